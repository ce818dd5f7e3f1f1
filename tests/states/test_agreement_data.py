"""The number-agreement task: the first noun phrase decides the label, nothing else does."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.data.ag_news import TextClassificationData
from rnncourse.data.agreement import (
    AGREEMENT_CLASSES,
    AGREEMENT_NAMES,
    AGREEMENT_PLURAL_NOUNS,
    AGREEMENT_SINGULAR_NOUNS,
    number_agreement,
)
from rnncourse.data.text import tokenize

# Words that open a modifier; none of them occurs inside a noun phrase.
MODIFIER_WORDS = {"near", "behind", "with", "next", "from", "who", "that"}
NOUNS = set(AGREEMENT_SINGULAR_NOUNS) | set(AGREEMENT_PLURAL_NOUNS) | set(AGREEMENT_NAMES)


def phrases(text: str) -> list[list[str]]:
    """The sentence's noun phrases, subject first, parsed independently of the generator."""
    found, current = [], []
    for word in text.split():
        if word in MODIFIER_WORDS:
            found.append(current)
            current = []
        elif word in NOUNS or word in ("the", "and"):
            current.append(word)
    found.append(current)
    return found


def is_plural(phrase: list[str]) -> bool:
    return "and" in phrase or any(word in AGREEMENT_PLURAL_NOUNS for word in phrase)


def last_noun(text: str) -> str:
    return [word for word in text.split() if word in NOUNS][-1]


@pytest.fixture(scope="module")
def data() -> TextClassificationData:
    return number_agreement(4000, seed=5)


def test_classes_balance_and_determinism(data) -> None:
    assert data.classes == AGREEMENT_CLASSES == ("singular", "plural")
    assert len(data) == 4000 and data.labels.dtype == np.int64
    assert np.bincount(data.labels).tolist() == [2000, 2000]
    assert np.bincount(number_agreement(7).labels).tolist() == [4, 3]
    again = number_agreement(4000, seed=5)
    assert again.texts == data.texts and np.array_equal(again.labels, data.labels)
    assert number_agreement(4000, seed=6).texts != data.texts
    assert len(number_agreement(0)) == 0


def test_words_are_lower_case_english_separated_by_single_spaces(data) -> None:
    for text in data.texts[:500]:
        assert tokenize(text) == text.split(" ") and text == text.lower().strip()
    vocabulary = {word for text in data.texts for word in text.split()}
    assert vocabulary <= NOUNS | MODIFIER_WORDS | {"the", "and", "to", "saw", "liked"}
    assert {"and", "children", "tom"} <= vocabulary


def test_the_label_is_the_number_of_the_subject(data) -> None:
    subjects = [phrases(text)[0] for text in data.texts]
    assert [int(is_plural(subject)) for subject in subjects] == data.labels.tolist()
    # Plural subjects come both as plural nouns and as "X and Y".
    plural = [subject for subject, label in zip(subjects, data.labels, strict=True) if label]
    with_and = np.mean(["and" in subject for subject in plural])
    assert 0.4 < with_and < 0.6


def test_every_sentence_has_an_attractor_of_the_other_number_before_the_last(data) -> None:
    for text, label in zip(data.texts, data.labels, strict=True):
        found = phrases(text)
        assert 3 <= len(found) <= 6, text  # the subject and two to five modifiers
        assert any(is_plural(phrase) != bool(label) for phrase in found[1:-1]), text


def test_the_last_noun_says_nothing_about_the_label(data) -> None:
    last_plural = np.array([last_noun(text) in AGREEMENT_PLURAL_NOUNS for text in data.texts])
    last_phrase_plural = np.array([is_plural(phrases(text)[-1]) for text in data.texts])
    for feature in (last_plural, last_phrase_plural):
        # A predictor from the feature is right about half of the time, either way round.
        assert abs(np.mean(feature == data.labels.astype(bool)) - 0.5) < 0.03


def test_the_bag_of_words_says_nothing_about_the_label(data) -> None:
    plural_phrases = np.array([sum(map(is_plural, phrases(text))) for text in data.texts])
    has_and = np.array(["and" in text.split() for text in data.texts])
    length = np.array([len(text.split()) for text in data.texts])
    for feature in (plural_phrases, has_and, length):
        by_class = [feature[data.labels == label].mean() for label in (0, 1)]
        assert abs(by_class[0] - by_class[1]) < 0.05 * max(1.0, feature.mean()), by_class


def test_no_noun_repeats_within_a_sentence(data) -> None:
    for text in data.texts[:1000]:
        nouns = [word for word in text.split() if word in NOUNS]
        lemmas = [AGREEMENT_SINGULAR_NOUNS[AGREEMENT_PLURAL_NOUNS.index(word)]
                  if word in AGREEMENT_PLURAL_NOUNS else word for word in nouns]
        assert len(set(lemmas)) == len(lemmas), text


@pytest.mark.parametrize("attractors", [(1, 3), (3, 2), (2, 6)])
def test_bad_arguments_are_refused_in_one_sentence(attractors) -> None:
    with pytest.raises(ValueError, match=r"^attractors must be \(fewest, most\)"):
        number_agreement(10, attractors=attractors)
    with pytest.raises(ValueError, match="n must be 0 or more"):
        number_agreement(-1)


def test_sentences_that_stop_early_keep_the_subject_and_its_label() -> None:
    data = number_agreement(2000, seed=3, stop_early=1.0)
    assert np.bincount(data.labels).tolist() == [1000, 1000]
    modifiers = np.array([len(phrases(text)) - 1 for text in data.texts])
    # Each stops before its last modifier: after none up to four of at most five.
    assert modifiers.max() == 4 and 0.15 < np.mean(modifiers == 0) < 0.45
    subjects = [phrases(text)[0] for text in data.texts]
    assert [int(is_plural(subject)) for subject in subjects] == data.labels.tolist()
    half = number_agreement(2000, seed=3, stop_early=0.5)
    short = np.mean([len(phrases(text)) - 1 < 2 for text in half.texts])
    assert 0.25 < short < 0.4  # half stop early, a third of those as soon as this: 0.32
    with pytest.raises(ValueError, match="stop_early must be a share between 0 and 1"):
        number_agreement(10, stop_early=1.5)
