"""Mini-batch plans: coverage, determinism, bucketing."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.data import batch_index_plan


def _lengths(n: int = 5000, seed: int = 0) -> np.ndarray:
    # Roughly like AG News: mostly 20-60 tokens, a long tail.
    rng = np.random.default_rng(seed)
    return np.clip(rng.lognormal(3.6, 0.5, size=n).astype(np.int64), 1, 300)


def _padding(plan: list[np.ndarray], lengths: np.ndarray) -> int:
    """Padded cells when each batch is trimmed to its longest sequence."""
    return int(sum(lengths[b].max() * len(b) - lengths[b].sum() for b in plan))


@pytest.mark.parametrize(
    ("shuffle", "bucket"), [(False, True), (False, False), (True, False), (True, True)]
)
@pytest.mark.parametrize("n", [0, 1, 31, 32, 33, 5000])
def test_every_index_exactly_once(n: int, shuffle: bool, bucket: bool) -> None:
    lengths = _lengths(n)
    plan = batch_index_plan(lengths, 32, shuffle=shuffle, seed=1, bucket=bucket)
    assert all(b.dtype == np.int64 and b.ndim == 1 and 1 <= len(b) <= 32 for b in plan)
    joined = np.concatenate(plan) if plan else np.zeros(0, dtype=np.int64)
    assert np.array_equal(np.sort(joined), np.arange(n))
    assert len(plan) >= -(-n // 32)


def test_without_shuffle_batches_are_consecutive() -> None:
    plan = batch_index_plan(np.ones(10), 4, shuffle=False)
    assert [b.tolist() for b in plan] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [b.tolist() for b in batch_index_plan(np.ones(10), 4, shuffle=False, seed=5)] == [
        b.tolist() for b in plan
    ]


@pytest.mark.parametrize("bucket", [True, False])
def test_seeded_shuffle_is_deterministic_and_random(bucket: bool) -> None:
    lengths = _lengths()
    a = batch_index_plan(lengths, 64, shuffle=True, seed=7, bucket=bucket)
    b = batch_index_plan(lengths, 64, shuffle=True, seed=7, bucket=bucket)
    c = batch_index_plan(lengths, 64, shuffle=True, seed=8, bucket=bucket)
    assert len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(np.concatenate(a), np.concatenate(c))
    assert not np.array_equal(np.concatenate(a), np.arange(len(lengths)))


def test_unseeded_shuffles_differ() -> None:
    lengths = _lengths()
    a = np.concatenate(batch_index_plan(lengths, 64, shuffle=True))
    b = np.concatenate(batch_index_plan(lengths, 64, shuffle=True))
    assert not np.array_equal(a, b)


def test_bucketing_cuts_padding() -> None:
    lengths = _lengths(20_000)
    random_plan = batch_index_plan(lengths, 32, shuffle=True, seed=0, bucket=False)
    bucketed = batch_index_plan(lengths, 32, shuffle=True, seed=0, bucket=True)
    # Bucketing should remove most of the padding (here about 90 %).
    assert _padding(bucketed, lengths) < 0.25 * _padding(random_plan, lengths)
    # Only the last batch of each window of 50 batches may be short.
    assert sum(len(b) < 32 for b in bucketed) <= -(-len(lengths) // (50 * 32))


def test_bucketed_batches_come_in_random_order() -> None:
    lengths = _lengths(20_000)
    plan = batch_index_plan(lengths, 32, shuffle=True, seed=0, bucket=True)
    longest = np.array([lengths[b].max() for b in plan])
    # Not sorted by length overall: neighbouring batches are unrelated.
    assert not (np.all(np.diff(longest) >= 0) or np.all(np.diff(longest) <= 0))


def test_errors(one_sentence) -> None:
    with pytest.raises(ValueError, match="batch_size must be at least 1, not 0") as info:
        batch_index_plan(np.ones(3), 0, shuffle=False)
    one_sentence(str(info.value))
    with pytest.raises(ValueError, match="1-D array") as info:
        batch_index_plan(np.ones((3, 2)), 2, shuffle=True)
    one_sentence(str(info.value))
