"""A long-range memory task: remember the first token through a run of distractors.

Every sequence opens with a *signal* token that names its class, then continues
with random *distractor* tokens that carry no information at all. To classify a
sequence from its final state, a recurrent network must carry the first token
across every distractor, so the number of distractors sets how far back it must
remember: plain RNNs fail once it grows, LSTMs and GRUs keep up much longer.

Ids follow the layout of the course's vocabularies: 0 is padding and 1 the
unknown token (neither ever appears here), the signal tokens come next, and the
distractor tokens fill the rest of the vocabulary.
"""

from __future__ import annotations

import numpy as np

from rnncourse.data.encoded import EncodedSplit

__all__ = [
    "MEMORY_PAD_ID",
    "MEMORY_SIGNAL_OFFSET",
    "MEMORY_UNK_ID",
    "first_token_memory",
]

#: Padding id, never used: every sequence has the same length.
MEMORY_PAD_ID = 0
#: The unknown-token id of the course's vocabularies, kept free so the layouts agree.
MEMORY_UNK_ID = 1
#: Label ``k`` is announced by the signal token ``k + MEMORY_SIGNAL_OFFSET``.
MEMORY_SIGNAL_OFFSET = 2


def first_token_memory(
    n: int,
    distractors: int,
    *,
    num_classes: int = 4,
    vocab_size: int = 20,
    seed: int = 0,
) -> EncodedSplit:
    """Generate ``n`` sequences whose label is given by their first token only.

    Sequence ``i`` is ``[labels[i] + MEMORY_SIGNAL_OFFSET, d_1, ..., d_T]`` with
    ``T = distractors``: the signal token (ids ``2 .. num_classes + 1``) followed by
    ``T`` distractors drawn uniformly and independently from the ids
    ``num_classes + 2 .. vocab_size - 1``. All sequences have length ``T + 1``, so
    there is no padding. The labels are balanced (class counts differ by at most
    one) and shuffled; the distractors are drawn independently of them.

    Args:
        n: Number of sequences.
        distractors: Number of distractor tokens after the signal (``T``).
        num_classes: Number of classes, hence of signal tokens (at least 2).
        vocab_size: Size of the id range; ids ``num_classes + 2`` and above are
            distractors, so it must be at least ``num_classes + 3``.
        seed: Seed of the random choices; the same seed gives the same data.

    Returns:
        An :class:`EncodedSplit` with int64 ``ids`` of shape ``(n, T + 1)``,
        ``lengths`` all equal to ``T + 1`` and int64 ``labels`` in ``0 .. num_classes - 1``.

    Raises:
        ValueError: If an argument is out of range.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}.")
    if distractors < 0:
        raise ValueError(f"distractors must be 0 or more, not {distractors}.")
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, not {num_classes}.")
    first_distractor = MEMORY_SIGNAL_OFFSET + num_classes
    if vocab_size <= first_distractor:
        raise ValueError(
            f"vocab_size must be at least {first_distractor + 1} for {num_classes} classes "
            f"(padding, unknown, signals and one distractor), not {vocab_size}."
        )
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n, dtype=np.int64) % num_classes)
    ids = np.empty((n, distractors + 1), dtype=np.int64)
    ids[:, 0] = labels + MEMORY_SIGNAL_OFFSET
    ids[:, 1:] = rng.integers(first_distractor, vocab_size, size=(n, distractors))
    lengths = np.full(n, distractors + 1, dtype=np.int64)
    return EncodedSplit(ids, lengths, labels)
