"""A synthetic task where word order alone decides the label.

Every review holds exactly one sentiment adjective and exactly one "not". In
half of the reviews "not" stands right before the adjective and flips it ("the
movie was not good" is negative); in the other half it stands elsewhere and
leaves the adjective alone ("not surprisingly , the movie was good" is
positive). Both placements use the very same words, and the placement is drawn
independently of the adjective, so the bag of words of a review says nothing
about its label: a mean-of-embeddings model stays at chance while an RNN, which
reads the words in order, can learn the task.
"""

from __future__ import annotations

import numpy as np

from rnncourse.data.ag_news import TextClassificationData

__all__ = [
    "NEGATION_CLASSES",
    "NEGATION_NEGATIVE_WORDS",
    "NEGATION_POSITIVE_WORDS",
    "negation_reviews",
]

NEGATION_CLASSES: tuple[str, ...] = ("negative", "positive")
NEGATION_POSITIVE_WORDS: tuple[str, ...] = ("good", "great", "fun", "excellent", "lovely")
NEGATION_NEGATIVE_WORDS: tuple[str, ...] = ("bad", "boring", "awful", "dull", "poor")

_NOUNS = ("movie", "film", "show", "plot", "acting", "ending", "script", "story", "soundtrack")

# {A} is the slot right before the adjective, {B} a slot elsewhere that never
# touches it; "not" fills exactly one of them and the other stays empty, so both
# placements give the same multiset of words. The {B} clauses are neutral, so
# the adjective alone carries the sentiment.
_TEMPLATES = (
    "{B} surprisingly , the {noun} was {A} {adj}",
    "{B} everyone will agree that the {noun} is {A} {adj}",
    "i had {B} seen the trailer , and the {noun} was {A} {adj}",
    "the {noun} was {A} {adj} , though it was {B} what i expected",
    "i do {B} often watch this kind of thing , and the {noun} was {A} {adj}",
    "{B} long after it started , i knew the {noun} was {A} {adj}",
    "the {noun} is {A} {adj} , and i am {B} a critic",
    "i was {B} expecting much , and the {noun} was {A} {adj}",
    "my friend did {B} come along , but the {noun} was {A} {adj}",
)

_OPENINGS = ("", "honestly ,", "overall ,", "in short ,", "to be honest ,", "well ,")


def negation_reviews(n: int, seed: int = 0) -> TextClassificationData:
    """Generate ``n`` short reviews whose label depends on where "not" stands.

    Label 1 ("positive") if the adjective is positive and not negated or negative
    and negated; label 0 ("negative") otherwise. Exactly half of the reviews
    (rounded down) have "not" right before the adjective, and half (rounded) have
    a positive adjective, drawn independently. Words and punctuation are
    separated by single spaces, so :func:`~rnncourse.data.text.tokenize` splits
    them exactly.

    Args:
        n: Number of reviews.
        seed: Seed of the random choices; the same seed gives the same reviews.

    Returns:
        The reviews with classes :data:`NEGATION_CLASSES`.

    Raises:
        ValueError: If ``n`` is negative.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}.")
    rng = np.random.default_rng(seed)
    # Exact halves, shuffled independently: placement carries no information
    # about the adjective, hence the words carry none about the label.
    negated = rng.permutation(np.arange(n) < n // 2)
    positive = rng.permutation(np.arange(n) < (n + 1) // 2)
    template = rng.integers(len(_TEMPLATES), size=n)
    noun = rng.integers(len(_NOUNS), size=n)
    adjective = rng.integers(len(NEGATION_POSITIVE_WORDS), size=n)
    opening = rng.integers(len(_OPENINGS), size=n)

    texts = []
    for i in range(n):
        words = NEGATION_POSITIVE_WORDS if positive[i] else NEGATION_NEGATIVE_WORDS
        body = _TEMPLATES[template[i]].format(
            A="not" if negated[i] else "",
            B="" if negated[i] else "not",
            noun=_NOUNS[noun[i]],
            adj=words[adjective[i]],
        )
        # split/join drops the empty slot's extra space.
        texts.append(" ".join(f"{_OPENINGS[opening[i]]} {body} .".split()))
    labels = (positive != negated).astype(np.int64)
    return TextClassificationData(texts, labels, NEGATION_CLASSES)
