"""The first-token memory task: the first token decides the label, the distractors say nothing."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.data import (
    MEMORY_PAD_ID,
    MEMORY_SIGNAL_OFFSET,
    MEMORY_UNK_ID,
    EncodedSplit,
    first_token_memory,
)


def test_shapes_dtypes_and_lengths() -> None:
    data = first_token_memory(50, 7, seed=1)
    assert isinstance(data, EncodedSplit) and len(data) == 50
    assert data.ids.shape == (50, 8) and data.ids.dtype == np.int64
    assert data.labels.shape == (50,) and data.labels.dtype == np.int64
    assert np.array_equal(data.lengths, np.full(50, 8))
    assert first_token_memory(3, 0).ids.shape == (3, 1)
    empty = first_token_memory(0, 5)
    assert empty.ids.shape == (0, 6) and len(empty) == 0


def test_the_first_token_is_the_label_and_the_rest_are_distractors() -> None:
    num_classes, vocab_size = 5, 12
    data = first_token_memory(400, 30, num_classes=num_classes, vocab_size=vocab_size, seed=2)
    assert MEMORY_SIGNAL_OFFSET == 2 and MEMORY_PAD_ID == 0 and MEMORY_UNK_ID == 1
    assert np.array_equal(data.ids[:, 0], data.labels + MEMORY_SIGNAL_OFFSET)
    assert set(np.unique(data.labels)) == set(range(num_classes))
    rest = data.ids[:, 1:]
    # No padding, no unknown token and no signal id after the first position.
    assert rest.min() == MEMORY_SIGNAL_OFFSET + num_classes and rest.max() == vocab_size - 1
    assert set(np.unique(rest)) == set(range(MEMORY_SIGNAL_OFFSET + num_classes, vocab_size))


def test_labels_are_balanced() -> None:
    counts = np.bincount(first_token_memory(10, 3, seed=0).labels, minlength=4)
    assert sorted(counts) == [2, 2, 3, 3]
    assert np.bincount(first_token_memory(1000, 3, seed=0).labels).tolist() == [250] * 4


def test_distractors_are_independent_of_the_label() -> None:
    data = first_token_memory(4000, 50, seed=3)
    ids = np.arange(MEMORY_SIGNAL_OFFSET + 4, 20)
    overall = np.array([(data.ids[:, 1:] == i).mean() for i in ids])
    assert np.allclose(overall, 1 / len(ids), atol=0.002)
    for label in range(4):
        rows = data.ids[data.labels == label, 1:]
        shares = np.array([(rows == i).mean() for i in ids])
        # 50,000 draws per label: a share depending on the label would be far outside this.
        assert np.allclose(shares, overall, atol=0.005), label
    # And position by position: the distractor right after the signal carries nothing either.
    table = np.array([[np.mean(data.ids[data.labels == k, 1] == i) for i in ids]
                      for k in range(4)])
    assert np.abs(table - 1 / len(ids)).max() < 0.04


def test_the_same_seed_gives_the_same_data() -> None:
    first, again = first_token_memory(200, 20, seed=7), first_token_memory(200, 20, seed=7)
    assert np.array_equal(first.ids, again.ids) and np.array_equal(first.labels, again.labels)
    other = first_token_memory(200, 20, seed=8)
    assert not np.array_equal(first.ids, other.ids)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n": -1, "distractors": 5}, "n must be 0 or more, not -1."),
    ({"n": 4, "distractors": -2}, "distractors must be 0 or more, not -2."),
    ({"n": 4, "distractors": 5, "num_classes": 1}, "num_classes must be at least 2, not 1."),
    ({"n": 4, "distractors": 5, "vocab_size": 6},
     "vocab_size must be at least 7 for 4 classes (padding, unknown, signals and one "
     "distractor), not 6."),
])
def test_bad_arguments_are_refused_in_one_sentence(kwargs, message, one_sentence) -> None:
    with pytest.raises(ValueError) as error:
        first_token_memory(**kwargs)
    assert str(error.value) == message
    one_sentence(str(error.value))
