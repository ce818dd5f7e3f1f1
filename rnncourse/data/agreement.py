"""A synthetic number-agreement task: is the subject singular or plural?

Every sentence opens with a subject and stops where its verb would come, after a
run of modifiers ("near the cars", "who saw the dog", "that the teachers liked")
that each name more nouns. The label is the number the verb must take: "plural"
if the subject is a plural noun ("the boys") or two singular ones joined by "and"
("the boy and tom"), "singular" otherwise.

The nouns between subject and end are *attractors*: at least one of them has the
number opposite to the subject, and the last one's number is drawn at random. So
neither "is there a plural noun" nor "is the last noun plural" says anything about
the label, and every noun phrase, conjunctions included, is realised the same way
wherever it stands: the bag of words of a sentence says nothing about its label.
Only the order does: a network must notice the number of the first noun phrase and
carry it to the end, which is what an LSTM's "flag" cell units learn to do.
"""

from __future__ import annotations

import numpy as np

from rnncourse.data.ag_news import TextClassificationData

__all__ = [
    "AGREEMENT_CLASSES",
    "AGREEMENT_MODIFIERS",
    "AGREEMENT_NAMES",
    "AGREEMENT_PLURAL_NOUNS",
    "AGREEMENT_SINGULAR_NOUNS",
    "number_agreement",
]

AGREEMENT_CLASSES: tuple[str, ...] = ("singular", "plural")
#: Singular nouns and, at the same index, their plurals (irregular ones included, so
#: the number is a property of the word, not of a final "s").
AGREEMENT_SINGULAR_NOUNS: tuple[str, ...] = (
    "boy", "girl", "dog", "cat", "teacher", "doctor", "friend", "car", "key", "house",
    "child", "man", "woman",
)
AGREEMENT_PLURAL_NOUNS: tuple[str, ...] = (
    "boys", "girls", "dogs", "cats", "teachers", "doctors", "friends", "cars", "keys", "houses",
    "children", "men", "women",
)
#: Names: singular noun phrases without "the".
AGREEMENT_NAMES: tuple[str, ...] = ("tom", "anna", "mary", "john")
#: The modifiers that follow the subject; ``{np}`` is a noun phrase. Their verbs are
#: in the past tense, which has one form for both numbers, so no word but a noun
#: phrase carries number.
AGREEMENT_MODIFIERS: tuple[str, ...] = (
    "near {np}",
    "behind {np}",
    "with {np}",
    "next to {np}",
    "from {np}",
    "who saw {np}",
    "that {np} liked",
)

_NAME_SHARE = 0.25  # of singular noun phrases: "tom" rather than "the boy"
_CONJUNCTION_SHARE = 0.5  # of plural noun phrases: "the boy and tom" rather than "the boys"
# Each of up to 6 noun phrases may use two nouns: 12 of the 13, so none repeats.
_MOST_ATTRACTORS = 5


class _Words:
    """Draws a sentence's nouns and names without repeats ("the key that the key liked")."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.nouns = list(rng.permutation(len(AGREEMENT_SINGULAR_NOUNS)))
        self.names = list(rng.permutation(len(AGREEMENT_NAMES)))

    def singular(self) -> str:
        # More names than a sentence can use would be needed to never run out; then a noun.
        if self.names and self.rng.random() < _NAME_SHARE:
            return AGREEMENT_NAMES[self.names.pop()]
        return "the " + AGREEMENT_SINGULAR_NOUNS[self.nouns.pop()]

    def phrase(self, plural: bool) -> str:
        """A noun phrase of the given number, realised alike for subjects and attractors."""
        if not plural:
            return self.singular()
        if self.rng.random() < _CONJUNCTION_SHARE:
            return f"{self.singular()} and {self.singular()}"
        return "the " + AGREEMENT_PLURAL_NOUNS[self.nouns.pop()]


def number_agreement(n: int, seed: int = 0, *, attractors: tuple[int, int] = (2, 5),
                     stop_early: float = 0.0) -> TextClassificationData:
    """Generate ``n`` sentence openings whose label is the number their verb must take.

    Each sentence is a subject noun phrase followed by between ``attractors[0]`` and
    ``attractors[1]`` modifiers (:data:`AGREEMENT_MODIFIERS`), each naming one noun
    phrase, and stops where the verb would come: ``"the boy and tom near the car
    who saw the dogs"`` needs a plural verb. A plural noun phrase is a plural noun or,
    half of the time, two singular ones joined by "and", wherever it stands.

    One modifier before the last holds a noun phrase of the number opposite to the
    subject's; the others, the last included, get a number drawn at random. So the
    numbers of a sentence's noun phrases are always one of each plus random ones,
    whatever the label, and the last noun's number is independent of the label.
    Exactly half of the sentences (rounded up) are singular, shuffled. Words are
    separated by single spaces, so :func:`~rnncourse.data.text.tokenize` splits them
    exactly.

    With ``stop_early``, that share of the sentences (drawn at random) stops after a
    random number of its modifiers, from none to all but one, as a verb may follow any
    of them: ``"the boy and tom"`` is plural too. Training on such sentences teaches a
    network to know the number as soon as the subject is complete and to hold it from
    there, rather than to work it out towards the end. They keep their label but lose
    the guarantees above (the last noun may be the subject's), so test on sentences
    that do not stop early.

    Args:
        n: Number of sentences.
        seed: Seed of the random choices; the same seed gives the same sentences.
        attractors: Smallest and largest number of modifiers after the subject (at
            least 2, so that the attractor of the other number need not be the last, and
            at most 5). Sentences of varied length teach a network to hold the number
            until the end rather than to count steps.
        stop_early: Share of the sentences, between 0 and 1, that stop before their
            last modifier.

    Returns:
        The sentences with classes :data:`AGREEMENT_CLASSES` (0 singular, 1 plural).

    Raises:
        ValueError: If ``n`` is negative, or ``attractors`` or ``stop_early`` is out of
            range.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}.")
    fewest, most = attractors
    if not 2 <= fewest <= most <= _MOST_ATTRACTORS:
        raise ValueError(f"attractors must be (fewest, most) with 2 <= fewest <= most <= "
                         f"{_MOST_ATTRACTORS}, "
                         f"not {attractors}.")
    if not 0.0 <= stop_early <= 1.0:
        raise ValueError(f"stop_early must be a share between 0 and 1, not {stop_early}.")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) >= (n + 1) // 2).astype(np.int64)
    texts = []
    for plural_subject in labels.astype(bool):
        count = int(rng.integers(fewest, most + 1))
        plural = rng.random(count) < 0.5
        # The guaranteed attractor of the other number stands before the last modifier.
        plural[rng.integers(count - 1)] = not plural_subject
        draw = _Words(rng)
        words = [draw.phrase(bool(plural_subject))]
        for is_plural in plural:
            modifier = AGREEMENT_MODIFIERS[rng.integers(len(AGREEMENT_MODIFIERS))]
            words.append(modifier.format(np=draw.phrase(bool(is_plural))))
        # Drawn only when asked for, so that stop_early=0 leaves the other sentences alone.
        if stop_early and rng.random() < stop_early:
            words = words[:1 + int(rng.integers(count))]
        texts.append(" ".join(words))
    return TextClassificationData(texts, labels, AGREEMENT_CLASSES)
