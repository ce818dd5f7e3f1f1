"""The negation task: order decides the label, the bag of words does not."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest

from rnncourse.data import (
    NEGATION_CLASSES,
    NEGATION_NEGATIVE_WORDS,
    NEGATION_POSITIVE_WORDS,
    TextClassificationData,
    Vocabulary,
    negation_reviews,
    tokenize,
)

ADJECTIVES = set(NEGATION_POSITIVE_WORDS) | set(NEGATION_NEGATIVE_WORDS)


def _order_rule(tokens: list[str]) -> int:
    """The true rule: adjective polarity, flipped iff "not" directly precedes it."""
    (where,) = [i for i, t in enumerate(tokens) if t in ADJECTIVES]
    positive = tokens[where] in NEGATION_POSITIVE_WORDS
    negated = where > 0 and tokens[where - 1] == "not"
    return int(positive != negated)


def test_shape_classes_and_determinism() -> None:
    data = negation_reviews(500, seed=3)
    assert isinstance(data, TextClassificationData)
    assert len(data) == 500 and data.labels.dtype == np.int64
    assert data.classes == NEGATION_CLASSES == ("negative", "positive")
    again = negation_reviews(500, seed=3)
    assert again.texts == data.texts and np.array_equal(again.labels, data.labels)
    other = negation_reviews(500, seed=4)
    assert other.texts != data.texts
    assert len(negation_reviews(0)) == 0
    with pytest.raises(ValueError, match="n must be 0 or more, not -1"):
        negation_reviews(-1)


def test_every_review_has_one_adjective_and_one_not() -> None:
    data = negation_reviews(3000, seed=0)
    negated = 0
    for text, label in zip(data.texts, data.labels, strict=True):
        tokens = tokenize(text)
        assert tokens == text.split(), text  # space-separated, tokenizer-stable
        assert sum(t in ADJECTIVES for t in tokens) == 1, text
        assert tokens.count("not") == 1, text
        where, nots = next(i for i, t in enumerate(tokens) if t in ADJECTIVES), tokens.index("not")
        if nots == where - 1:
            negated += 1
        else:
            assert abs(nots - where) > 1, text  # elsewhere means not touching the adjective
        assert _order_rule(tokens) == label, text
    assert negated == 1500  # exactly half
    assert len(set(data.texts)) > 1000  # many distinct reviews
    assert 0.45 < data.labels.mean() < 0.55


def test_examples_read_naturally() -> None:
    texts = negation_reviews(200, seed=1).texts
    assert any(t.startswith("not surprisingly") or ", not surprisingly" in t for t in texts)
    assert any("was not good" in t or "is not good" in t for t in texts)
    assert all("  " not in t and t.endswith(" .") for t in texts)


def test_every_bag_of_words_occurs_with_both_labels() -> None:
    # Within one bag (multiset of tokens) the label still depends on order: for each
    # frequent bag, both labels occur in roughly equal numbers.
    data = negation_reviews(20_000, seed=0)
    by_bag: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for text, label in zip(data.texts, data.labels, strict=True):
        by_bag[tuple(sorted(text.split()))].append(int(label))
    frequent = [labels for labels in by_bag.values() if len(labels) >= 6]
    assert len(frequent) > 50
    both = sum(0 < sum(labels) < len(labels) for labels in frequent)
    assert both / len(frequent) > 0.9
    # Predicting each bag's majority label is no better than chance overall.
    agree = sum(max(sum(labels), len(labels) - sum(labels)) for labels in frequent)
    total = sum(len(labels) for labels in frequent)
    assert agree / total < 0.75  # small groups favour their majority a little by chance


def _features(texts: list[str], vocab: Vocabulary, bigrams: bool) -> np.ndarray:
    x = np.zeros((len(texts), len(vocab) + (len(vocab) if bigrams else 0)))
    for row, text in enumerate(texts):
        tokens = text.split()
        for token, count in Counter(tokens).items():
            x[row, vocab.token_to_id(token)] = count
        if bigrams:  # "not" followed by a word: an order feature
            for first, second in zip(tokens, tokens[1:], strict=False):
                if first == "not":
                    x[row, len(vocab) + vocab.token_to_id(second)] = 1
    return x


# einsum rather than "@": multi-threaded BLAS is slower than one core for these
# small matrices, and wildly so on a busy machine.
def _logistic_regression(x: np.ndarray, y: np.ndarray, steps: int = 400) -> np.ndarray:
    x = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 0.5 * (1 + np.tanh(0.5 * np.einsum("ij,j->i", x, w)))  # sigmoid, no overflow
        w -= 0.5 * np.einsum("ij,i->j", x, p - y) / len(y)
    return w


def _accuracy(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    x = np.hstack([x, np.ones((len(x), 1))])
    return float(((np.einsum("ij,j->i", x, w) > 0).astype(int) == y).mean())


def test_bag_of_words_model_is_at_chance_but_order_is_enough() -> None:
    train, test = negation_reviews(4000, seed=0), negation_reviews(4000, seed=1)
    vocab = Vocabulary.build(t.split() for t in train.texts)

    w = _logistic_regression(_features(train.texts, vocab, False), train.labels)
    bag_accuracy = _accuracy(w, _features(test.texts, vocab, False), test.labels)
    assert abs(bag_accuracy - 0.5) < 0.04, bag_accuracy

    # Adding one order feature ("not" right before a word) makes it learnable.
    w = _logistic_regression(_features(train.texts, vocab, True), train.labels, steps=300)
    order_accuracy = _accuracy(w, _features(test.texts, vocab, True), test.labels)
    assert order_accuracy > 0.95, order_accuracy

    # And the rule that reads the token before the adjective is always right.
    rule = np.array([_order_rule(t.split()) for t in test.texts])
    assert (rule == test.labels).all()
