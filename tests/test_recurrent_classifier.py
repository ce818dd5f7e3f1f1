"""Lesson 4's RecurrentClassifier and predict, in both frameworks: padding never changes a
text's logits, whatever the kind, direction, depth and pooling, and predictions keep order."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.data.encoded import EncodedSplit

SETTINGS = [
    dict(kind="rnn", pooling="last"),
    dict(kind="gru", pooling="last", bidirectional=True),
    dict(kind="lstm", pooling="last", bidirectional=True, num_layers=2, dropout=0.3),
    dict(kind="lstm", pooling="max"),
    dict(kind="gru", pooling="max", bidirectional=True, num_layers=2, dropout=0.3),
    dict(kind="lstm", pooling="mean", bidirectional=True),
    dict(kind="rnn", pooling="mean", num_layers=2),
]


def _torch(settings):
    import torch

    from rnncourse.pytorch import RecurrentClassifier, predict

    torch.manual_seed(0)
    model = RecurrentClassifier(30, 4, embed_size=5, hidden_size=6, **settings).double().eval()

    def logits(ids: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model(torch.from_numpy(ids)).numpy()

    return logits, lambda split: predict(model, split, batch_size=3)


def _keras(settings):
    import keras

    from rnncourse.tensorflow import RecurrentClassifier, predict

    keras.utils.set_random_seed(0)
    model = RecurrentClassifier(30, 4, embed_size=5, hidden_size=6, dtype="float64", **settings)

    def logits(ids: np.ndarray) -> np.ndarray:
        return np.asarray(model(ids, training=False))

    return logits, lambda split: predict(model, split, batch_size=3)


FRAMEWORKS = pytest.mark.parametrize("framework", [_torch, _keras], ids=["pytorch", "tensorflow"])


def _batch(rng: np.random.Generator, lengths: list[int], width: int) -> np.ndarray:
    ids = np.zeros((len(lengths), width), dtype=np.int64)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(1, 30, size=length)
    return ids


@FRAMEWORKS
@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: "-".join(map(str, s.values())))
def test_padding_changes_no_logit(framework, settings):
    logits, _ = framework(settings)
    rng = np.random.default_rng(1)
    lengths = [7, 3, 1, 5]
    batch = _batch(rng, lengths, width=7)
    together = logits(batch)
    wider = logits(np.pad(batch, ((0, 0), (0, 4))))  # four more padding steps for every text
    np.testing.assert_allclose(wider, together, rtol=1e-9, atol=1e-12)
    for row, length in enumerate(lengths):
        alone = logits(batch[row:row + 1, :length])
        np.testing.assert_allclose(together[row], alone[0], rtol=1e-9, atol=1e-12)
    assert together.shape == (4, 4)


def test_the_padding_test_catches_a_model_that_reads_padding():
    # The assertion above can fail: a GRU that reads the whole padded row changes its logits
    # when more padding is added.
    import torch

    torch.manual_seed(0)
    embedding, gru = torch.nn.Embedding(30, 5).double(), torch.nn.GRU(5, 4, batch_first=True)
    gru = gru.double()

    def logits(ids: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return gru(embedding(torch.from_numpy(ids)))[1][0].numpy()

    batch = _batch(np.random.default_rng(1), [7, 3], width=7)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(logits(np.pad(batch, ((0, 0), (0, 4)))), logits(batch),
                                   rtol=1e-9, atol=1e-12)


@FRAMEWORKS
def test_predict_keeps_the_split_order(framework):
    logits, predict = framework(dict(kind="gru", pooling="mean"))
    rng = np.random.default_rng(2)
    lengths = np.array([5, 1, 8, 3, 8, 2, 6], dtype=np.int64)
    ids = _batch(rng, list(lengths), width=8)
    split = EncodedSplit(ids=ids, lengths=lengths, labels=np.zeros(7, dtype=np.int64))
    expected = [int(np.argmax(logits(ids[i:i + 1, :n]))) for i, n in enumerate(lengths)]
    assert list(predict(split)) == expected


@pytest.mark.parametrize("module", ["rnncourse.pytorch", "rnncourse.tensorflow"])
@pytest.mark.parametrize(("argument", "said"), [({"kind": "transformer"}, "kind must be one of"),
                                                ({"pooling": "first"}, "pooling must be one of")])
def test_unknown_settings_are_refused_in_one_sentence(module, argument, said):
    import importlib

    classifier = importlib.import_module(module).RecurrentClassifier
    with pytest.raises(ValueError, match=said) as error:
        classifier(10, 2, **argument)
    assert "\n" not in str(error.value)
