"""Which examples go into which mini-batch.

The framework adapters (PyTorch, TensorFlow) take the index arrays planned here
and trim each batch to its longest sequence, so grouping examples of similar
length ("bucketing") saves most of the work spent on padding.
"""

from __future__ import annotations

import numpy as np

__all__ = ["batch_index_plan"]

# Examples are sorted by length within windows of this many batches: wide enough
# for batches of similar lengths, narrow enough to keep the epoch random.
_BUCKET_BATCHES = 50


def batch_index_plan(
    lengths: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int | None = None,
    bucket: bool = True,
) -> list[np.ndarray]:
    """Split the example indices into mini-batches covering every example once.

    Without ``shuffle`` the batches are consecutive and in order
    (``[0..B-1], [B..2B-1], ...``; ``bucket`` is ignored). With ``shuffle`` the
    examples are permuted at random; with ``bucket`` as well, the permutation is
    cut into windows of ``50 * batch_size`` examples, each window is sorted by
    length and cut into batches, and the order of all batches is shuffled, so
    each batch holds sequences of similar length while the epoch stays random.

    Args:
        lengths: One sequence length per example (1-D).
        batch_size: Examples per batch; only the last batch of the plan (or of
            a bucketing window) may be smaller.
        shuffle: Randomise the order (for training).
        seed: Seed for the random order; None draws a fresh one.
        bucket: Group similar lengths together when shuffling.

    Returns:
        A list of int64 index arrays.

    Raises:
        ValueError: If ``batch_size < 1`` or ``lengths`` is not 1-D.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}.")
    lengths = np.asarray(lengths)
    if lengths.ndim != 1:
        raise ValueError(f"lengths must be a 1-D array, not one of shape {lengths.shape}.")
    n = len(lengths)
    if not shuffle:
        order = np.arange(n, dtype=np.int64)
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]

    rng = np.random.default_rng(seed)
    order = rng.permutation(n).astype(np.int64)
    if not bucket:
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]

    window = _BUCKET_BATCHES * batch_size
    batches: list[np.ndarray] = []
    for start in range(0, n, window):
        chunk = order[start : start + window]
        # Stable sort keeps the random order among equal lengths.
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]
