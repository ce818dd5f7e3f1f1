"""Texts turned into padded id arrays, and batches of similar length over them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rnncourse.data.ag_news import TextClassificationData
from rnncourse.data.batches import batch_index_plan
from rnncourse.data.text import Vocabulary, encode_texts, tokenize


@dataclass
class EncodedSplit:
    """A split as arrays: ``ids`` (N, max_len) zero-padded, ``lengths`` (N,), ``labels`` (N,)."""

    ids: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def num_batches(self, batch_size: int) -> int:
        """How many batches of ``batch_size`` one pass over the split makes."""
        return -(-len(self) // batch_size)

    def batches(self, batch_size: int, *, shuffle: bool, seed: int | None = None,
                pad_multiple: int = 1) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(ids, lengths, labels)`` batches of similar lengths.

        Each batch is cut to its longest sequence, rounded up to ``pad_multiple``
        (TensorFlow compiles one graph per shape, so it asks for few distinct shapes).
        """
        for index in batch_index_plan(self.lengths, batch_size, shuffle=shuffle, seed=seed):
            lengths = self.lengths[index]
            width = int(lengths.max())
            width = min(self.ids.shape[1], -(-width // pad_multiple) * pad_multiple)
            yield self.ids[index, :width], lengths, self.labels[index]


def encode_splits(
    train: TextClassificationData,
    test: TextClassificationData,
    *,
    max_len: int = 64,
    max_vocab: int | None = 20_000,
    min_freq: int = 1,
) -> tuple[Vocabulary, EncodedSplit, EncodedSplit]:
    """Build the vocabulary on the training texts only, then encode both splits.

    The test split never contributes words, so its unseen words become ``<unk>``
    exactly as they would for new text.
    """
    vocab = Vocabulary.build((tokenize(t) for t in train.texts), max_size=max_vocab,
                             min_freq=min_freq)
    encoded = []
    for split in (train, test):
        ids, lengths = encode_texts(split.texts, vocab, max_len)
        encoded.append(EncodedSplit(ids, lengths, np.asarray(split.labels, dtype=np.int64)))
    return vocab, encoded[0], encoded[1]
