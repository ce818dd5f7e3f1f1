"""The padding-aware recurrent building block Lesson 3 stacks, in both frameworks."""

from __future__ import annotations

import numpy as np
import pytest

KINDS = ("rnn", "lstm", "gru")


def _torch_run(kind, x, lengths):
    import torch

    from rnncourse.pytorch import Recurrent

    torch.manual_seed(0)
    layer = Recurrent(x.shape[2], 4, kind).double()

    def run(xs, ls):
        outputs, final = layer(torch.from_numpy(xs), torch.tensor(ls))
        return outputs.detach().numpy(), [f.detach().numpy() for f in final]

    return layer, run


def _keras_run(kind, x, lengths):
    from rnncourse.tensorflow import Recurrent

    layer = Recurrent(4, kind, dtype="float64")

    def run(xs, ls):
        outputs, final = layer(xs, np.asarray(ls))
        return np.asarray(outputs), [np.asarray(f) for f in final]

    return layer, run


@pytest.mark.parametrize("framework", [_torch_run, _keras_run], ids=["pytorch", "tensorflow"])
@pytest.mark.parametrize("kind", KINDS)
def test_padding_changes_nothing_a_sequence_reads(framework, kind):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 3))
    lengths = [6, 2, 1]
    layer, run = framework(kind, x, lengths)
    outputs, final = run(x, lengths)
    assert layer.output_size == 4
    assert len(final) == (2 if kind == "lstm" else 1)
    for i, length in enumerate(lengths):
        alone_outputs, alone_final = run(x[i:i + 1, :length], [length])
        np.testing.assert_allclose(outputs[i, :length], alone_outputs[0], rtol=1e-10)
        for part, alone in zip(final, alone_final, strict=True):
            np.testing.assert_allclose(part[i], alone[0], rtol=1e-10)
        assert np.all(outputs[i, length:] == 0)


@pytest.mark.parametrize("module", ["rnncourse.pytorch", "rnncourse.tensorflow"])
def test_an_unknown_kind_is_refused_in_one_sentence(module):
    import importlib

    recurrent = importlib.import_module(module).Recurrent
    args = (3, 4) if module.endswith("pytorch") else (4,)
    with pytest.raises(ValueError, match=r"kind must be one of \['gru', 'lstm', 'rnn'\]"):
        recurrent(*args, kind="transformer")


def test_sequence_lengths_count_the_real_tokens():
    import torch

    from rnncourse.pytorch import sequence_lengths as torch_lengths
    from rnncourse.tensorflow import sequence_lengths as tf_lengths

    ids = np.array([[5, 2, 7, 0], [3, 0, 0, 0], [1, 1, 1, 1]])
    assert torch_lengths(torch.from_numpy(ids)).tolist() == [3, 1, 4]
    assert np.asarray(tf_lengths(ids)).tolist() == [3, 1, 4]
