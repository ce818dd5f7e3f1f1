"""Lesson 2's experiments: vanishing gradients and the memory contrast, in both frameworks."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from rnncourse.experiments import (  # noqa: E402
    MEMORY_CLASSES,
    RECURRENT_KINDS,
    chrono_bias,
    memory_table,
    plot_gradient_norms,
    plot_memory_sweep,
)
from rnncourse.experiments.common import (  # noqa: E402
    check_init,
    check_kind,
    gradient_probe,
    mean_step_norms,
    memory_splits,
    run_memory_sweep,
)

RESULTS = {"rnn": {5: 1.0, 100: 0.25}, "lstm": {5: 1.0, 100: 0.993}, "gru": {100: 1.0}}
FRAMEWORKS = ["pytorch", "tensorflow"]


def _adapter(framework: str):
    if framework == "pytorch":
        import rnncourse.experiments.pytorch as adapter
    else:
        import rnncourse.experiments.tensorflow as adapter
    return adapter


# --- framework-neutral pieces ------------------------------------------------------------


def test_importing_the_neutral_package_loads_no_framework() -> None:
    code = ("import sys, rnncourse.experiments; "
            "loaded = [m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules]; "
            "assert not loaded, loaded")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_memory_table_is_markdown_with_kinds_as_rows_and_t_as_columns() -> None:
    assert memory_table(RESULTS).splitlines() == [
        "| model | T = 5 | T = 100 |",
        "|---|---:|---:|",
        "| rnn | 1.00 | 0.25 |",
        "| lstm | 1.00 | 0.99 |",
        "| gru |  | 1.00 |",
    ]
    with pytest.raises(ValueError, match="memory_table needs the results of at least one run"):
        memory_table({})


def test_memory_sweep_plot_has_title_labels_legend_and_chance() -> None:
    fig = plot_memory_sweep(RESULTS, title="Memory")
    (ax,) = fig.axes
    assert ax.get_title() == "Memory"
    assert ax.get_xlabel() and ax.get_ylabel() == "test accuracy"
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["rnn", "lstm", "gru", "chance"]
    chance = [line for line in ax.get_lines() if line.get_label() == "chance"][0]
    assert chance.get_ydata()[0] == pytest.approx(1 / MEMORY_CLASSES)
    rnn = ax.get_lines()[0]
    assert list(rnn.get_xdata()) == [5, 100] and list(rnn.get_ydata()) == [1.0, 0.25]
    with pytest.raises(ValueError, match="plot_memory_sweep needs the results"):
        plot_memory_sweep({"rnn": {}})


def test_gradient_plot_uses_distance_from_the_end_and_a_log_axis() -> None:
    norms = {"rnn": np.array([0.0, 1e-6, 1e-3, 1.0]), "lstm": np.array([0.1, 0.2, 0.5, 1.0])}
    fig = plot_gradient_norms(norms, title="Gradients")
    (ax,) = fig.axes
    assert ax.get_title() == "Gradients" and ax.get_yscale() == "log"
    assert "distance from the end" in ax.get_xlabel() and ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["rnn", "lstm"]
    rnn = ax.get_lines()[0]
    assert list(rnn.get_xdata()) == [3, 2, 1, 0]  # step 0 is the farthest from the end
    assert np.isnan(rnn.get_ydata()[0])  # an underflowed zero leaves a gap
    with pytest.raises(ValueError, match="needs the norms of at least one kind"):
        plot_gradient_norms({})
    with pytest.raises(ValueError, match="the norms of 'rnn' must be a non-empty 1-D array"):
        plot_gradient_norms({"rnn": np.zeros((2, 2))})


def test_checks_name_the_choices_in_one_sentence() -> None:
    assert [check_kind(k) for k in RECURRENT_KINDS] == ["rnn", "lstm", "gru"]
    with pytest.raises(ValueError, match=r"^kind must be one of rnn, lstm, gru, not 'cnn'\.$"):
        check_kind("cnn")
    with pytest.raises(ValueError, match=r"^init must be one of chrono, default, not 'zeros'\.$"):
        check_init("zeros")
    with pytest.raises(ValueError, match=r"^steps must be at least 1, not 0\.$"):
        gradient_probe(0, 4, 4, 2, seed=0)
    with pytest.raises(ValueError, match=r"^train_size must be at least 1, not 0\.$"):
        memory_splits(5, 0, 10)


def test_probe_inputs_norms_chrono_bias_and_splits() -> None:
    x, readout = gradient_probe(7, 3, 5, 2, seed=1)
    assert x.shape == (2, 7, 3) and readout.shape == (5,) and x.dtype == np.float32
    assert np.array_equal(gradient_probe(7, 3, 5, 2, seed=1)[0], x)
    # Squared in float32, 1e-25 would underflow; the norms are taken in float64.
    tiny = np.full((2, 3, 4), 1e-25, dtype=np.float32)
    assert mean_step_norms(tiny) == pytest.approx(np.full(3, 2e-25), rel=1e-5)
    bias = chrono_bias(1000, 101, seed=0)
    assert bias.dtype == np.float32 and bias.min() >= 0 and bias.max() <= np.log(100) + 1e-6
    assert chrono_bias(4, 0).max() <= np.log(2) + 1e-6  # lags below 3 count as 3
    train, test = memory_splits(12, 40, 20, seed=3)
    assert train.ids.shape == (40, 13) and test.ids.shape == (20, 13)
    assert not np.array_equal(train.ids[:20], test.ids)


def test_the_sweep_runs_every_pair_in_order() -> None:
    calls = []

    def run(kind: str, lag: int) -> float:
        calls.append((kind, lag))
        return lag / 100

    results = run_memory_sweep(run, ("lstm", "rnn"), (50, 10))
    assert calls == [("lstm", 50), ("lstm", 10), ("rnn", 50), ("rnn", 10)]
    assert results == {"lstm": {50: 0.5, 10: 0.1}, "rnn": {50: 0.5, 10: 0.1}}
    with pytest.raises(ValueError, match="at least one kind and one number of distractors"):
        run_memory_sweep(run, (), (5,))
    with pytest.raises(ValueError, match="kind must be one of"):
        run_memory_sweep(run, ("cnn",), (5,))


# --- both frameworks ---------------------------------------------------------------------


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_plain_rnn_gradients_vanish_much_faster_than_lstm_gradients(framework) -> None:
    adapter = _adapter(framework)
    norms = {kind: adapter.input_gradient_norms(kind, seed=0) for kind in RECURRENT_KINDS}
    for kind, curve in norms.items():
        assert curve.shape == (100,) and np.all(np.isfinite(curve)), kind
        # At initialisation the gradient of the final state shrinks with distance.
        assert curve[-61] < 1e-3 * curve[-1], kind
    # Distance 60 against distance 0 (the last step): at least 100 times steeper for the RNN.
    decay = {kind: curve[-61] / curve[-1] for kind, curve in norms.items()}
    assert decay["rnn"] * 100 < decay["lstm"], decay
    # Started with its forget gate open (chrono), the LSTM keeps most of the gradient.
    chrono = adapter.input_gradient_norms("lstm", init="chrono", seed=0)
    assert chrono[-61] / chrono[-1] > 1e-2
    again = adapter.input_gradient_norms("rnn", steps=20, seed=0)
    assert np.allclose(again, adapter.input_gradient_norms("rnn", steps=20, seed=0))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_lstm_remembers_across_100_distractors_where_the_plain_rnn_cannot(framework) -> None:
    adapter = _adapter(framework)
    results = adapter.memory_sweep(kinds=("rnn", "lstm"), distractors=(100,), seed=0)
    assert set(results) == {"rnn", "lstm"} and set(results["rnn"]) == {100}
    assert results["lstm"][100] > 0.9, results
    assert results["rnn"][100] < 0.5, results


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_memory_classifier_gates_start_from_chrono_or_the_defaults(framework) -> None:
    hidden = 8
    if framework == "pytorch":
        from rnncourse.experiments.pytorch import MemoryClassifier

        def biases(kind: str, init: str) -> np.ndarray:
            layer = MemoryClassifier(kind, hidden_size=hidden, init=init, max_lag=50).recurrent
            return (layer.bias_ih_l0 + layer.bias_hh_l0).detach().numpy()

        gru_update = slice(hidden, 2 * hidden)  # gates r, z, n
    else:
        from rnncourse.experiments.tensorflow import memory_classifier

        def biases(kind: str, init: str) -> np.ndarray:
            model = memory_classifier(kind, hidden_size=hidden, init=init, max_lag=50)
            bias = model.layers[1].cell.bias.numpy()
            return bias.sum(axis=0) if bias.ndim == 2 else bias

        gru_update = slice(0, hidden)  # gates z, r, h
    lstm_input, lstm_forget = slice(0, hidden), slice(hidden, 2 * hidden)  # i, f first in both
    expected = chrono_bias(hidden, 50, seed=0)
    lstm = biases("lstm", "chrono")
    assert np.allclose(lstm[lstm_forget], expected) and np.allclose(lstm[lstm_input], -expected)
    assert np.allclose(biases("gru", "chrono")[gru_update], expected)
    default = biases("lstm", "default")[lstm_forget]
    assert not np.allclose(default, expected) and np.abs(default).max() <= 1.0


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_memory_accuracy_refuses_bad_arguments(framework) -> None:
    adapter = _adapter(framework)
    with pytest.raises(ValueError, match=r"^kind must be one of rnn, lstm, gru, not 'RNN'\.$"):
        adapter.memory_accuracy("RNN", 5)
    with pytest.raises(ValueError, match=r"^init must be one of chrono, default, not 'x'\.$"):
        adapter.memory_accuracy("lstm", 5, init="x")
    with pytest.raises(ValueError, match=r"^distractors must be at least 0, not -1\.$"):
        adapter.memory_accuracy("lstm", -1)
    with pytest.raises(ValueError, match=r"^hidden_size must be at least 1, not 0\.$"):
        adapter.memory_accuracy("lstm", 5, hidden_size=0)
    with pytest.raises(ValueError, match=r"^kind must be one of"):
        adapter.input_gradient_norms("elman")
    with pytest.raises(ValueError, match=r"^init must be one of"):
        adapter.input_gradient_norms("gru", init="orthogonal")
    with pytest.raises(ValueError, match=r"^batch must be at least 1, not 0\.$"):
        adapter.input_gradient_norms("gru", batch=0)
