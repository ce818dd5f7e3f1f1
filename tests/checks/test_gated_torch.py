"""Tests for Lesson 2's checks in rnncourse.checks.pytorch (LSTM, GRU, padding invariance).

Every check must pass on right solutions written in different styles and fail, with one clear
sentence, on the classic mistakes. The students' code lives in ``gated_students_torch``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnncourse.checks import pytorch as checks
from rnncourse.checks import rnn
from rnncourse.errors import CheckFailed

from . import gated_students_torch as s
from . import students_torch


@pytest.fixture(autouse=True)
def _default_dtype_is_restored():
    assert torch.get_default_dtype() == torch.float32
    yield
    assert torch.get_default_dtype() == torch.float32, "a check left float64 as the default dtype"


def name_of(value) -> str:
    return getattr(value, "__name__", str(value))


def case(student, load, thorough: bool, match: str):
    """One parametrized mistake: the student's code and loader, the mode, the message expected."""
    mode = "thorough" if thorough else "quick"
    return pytest.param(student, load, thorough, match,
                        id=f"{name_of(student)}-{name_of(load)}-{mode}")


def assert_fails(check, *args, match: str, thorough: bool) -> str:
    with pytest.raises(CheckFailed, match=match) as error:
        check(*args, thorough=thorough)
    message = str(error.value)
    assert "\n" not in message and message.endswith("."), message
    assert torch.get_default_dtype() == torch.float32
    return message


GRAD_HINT = r"\(no \.detach\(\), \.data, \.numpy\(\), \.item\(\) or torch\.no_grad\(\)\)"
LSTM_HINT = r"nn\.LSTM stacks its gates in the order i, f, g, o: .* and both biases, " \
    r"bias_ih_l0 and bias_hh_l0, add to every gate\.$"
GRU_HINT = r"nn\.GRU stacks its gates in the order r, z, n: .* stays inside r·\(h·W_hn \+ b_hn\)\.$"


def loaded_differs(load: str, part: str, what: str = "LSTMCell", hint: str = LSTM_HINT) -> str:
    """The message of a cell whose loaded states differ from PyTorch's at the first step."""
    reference = "LSTM" if what == "LSTMCell" else "GRU"
    return (rf"^After {load}, the {part} of your {what} \(batch 2, length 5, input 3, hidden 4, "
            rf"from a random initial state\) differs from torch\.nn\.{reference} first at step 0 "
            rf"\(sequence \d, step 0, unit \d\): got .* Check your {what}'s gate formulas, and "
            rf"that it and {load} put each gate's weights in the same place; " + hint)


def gates_swapped(load: str, first: str, second: str, what: str = "LSTMCell") -> str:
    """The message of a cell that, with ``load``, trades two gates' weights."""
    reference, order = (("LSTM", "i, f, g, o") if what == "LSTMCell" else ("GRU", "r, z, n"))
    return (rf"^Your {what}, loaded by {load}, computes torch\.nn\.{reference} with its "
            rf"{first} and {second} gates swapped: between your loader and your cell, each of "
            rf"the two gates gets the other's weights; torch\.nn\.{reference} stacks its gates in "
            rf"the order {order}\.$")


SWAPPED_CELL = r"^Your LSTMCell returns \(c_new, h_new\): its first value is the expected C and " \
    r"its second the expected H; return \(h_new, c_new\), h first\.$"
SWAPPED_FINAL = r"^Your LSTM returns its final state as \(c_T, h_T\): its first value is the " \
    r"expected C and its second the expected H; return \(outputs, \(h_T, c_T\)\), h first\.$"
ZERO_C = r"^With every parameter set to zero, the new C of your LSTMCell differs from 0\.5·c at " \
    r"example \d, unit \d: got .* c_new = f·c \+ i·g must be 0\.5·c: sigmoid on the gates"
ZERO_H = r"^With every parameter set to zero, the new H of your LSTMCell differs from " \
    r"0\.5·tanh\(0\.5·c\) at example \d, unit \d: .* times tanh of the new c \(not the old one\)\.$"

# ---------------------------------------------------------------------------------------------
# check_lstm_cell
# ---------------------------------------------------------------------------------------------

RIGHT_LSTM_CELLS = [
    (s.FusedLSTMCell, s.load_fused_lstm),
    (s.FusedLSTMCell, s.load_fused_lstm_by_state_dict),
    (s.LinearGatesLSTMCell, s.load_linear_gates_lstm),
    (s.KerasLayoutLSTMCell, s.load_keras_layout_lstm),
    (s.GateOrderLSTMCell, s.load_fused_lstm_reordered),
]


@pytest.mark.parametrize(("cell_class", "load"), RIGHT_LSTM_CELLS, ids=name_of)
def test_right_lstm_cell_passes_thorough(cell_class, load, capsys):
    checks.check_lstm_cell(cell_class, load, thorough=True)
    assert capsys.readouterr().out == (
        f"✓ LSTMCell, loaded by {load.__name__}, computes the same h and c as torch.nn.LSTM at "
        "every step, on every shape, with the same gradients.\n")


def test_right_lstm_cell_passes_quick(capsys):
    checks.check_lstm_cell(s.FusedLSTMCell, s.load_fused_lstm)
    assert capsys.readouterr().out == (
        "✓ LSTMCell, loaded by load_fused_lstm, computes the same h and c as torch.nn.LSTM at "
        "every step.\n")


LSTM_CELL_MISTAKES = [
    case(s.GateOrderLSTMCell, s.load_fused_lstm, False, gates_swapped("load_fused_lstm", "g", "o")),
    case(s.GateOrderLSTMCell, s.load_fused_lstm, True, gates_swapped("load_fused_lstm", "g", "o")),
    case(s.TanhInputGateLSTMCell, s.load_fused_lstm, False,
         loaded_differs("load_fused_lstm", "cell state C")),
    case(s.TanhForgetGateLSTMCell, s.load_fused_lstm, False, ZERO_C),
    case(s.SigmoidCandidateLSTMCell, s.load_fused_lstm, False, ZERO_C),
    case(s.CNotCarriedLSTMCell, s.load_fused_lstm, True, ZERO_C),
    case(s.OldCLSTMCell, s.load_fused_lstm, False, ZERO_H),
    case(s.NoForgetGateLSTMCell, s.load_fused_lstm, False, ZERO_C),
    case(s.SwappedOutputLSTMCell, s.load_fused_lstm, False, SWAPPED_CELL),
    case(s.SwappedOutputLSTMCell, s.load_fused_lstm, True, SWAPPED_CELL),
    case(s.DetachedCLSTMCell, s.load_fused_lstm, True,
         r"^The gradient with respect to c0 \(batch 1, length 1, input 1, hidden 1, from a zero "
         r"initial state\) differs from torch\.nn\.LSTM at sequence 0, unit 0: got 0, .*"
         + GRAD_HINT),
    case(s.HOnlyLSTMCell, s.load_fused_lstm, False,
         r"^Your LSTMCell's forward should return a pair \(h_new, c_new\)\.$"),
    case(s.MissingBiasLSTMCell, s.load_fused_lstm, False,
         r"^Your LSTMCell with input size 3 and hidden size 4 has 112 parameters \(W 48, U 64\), "
         r"but 4 gates with an input matrix \(3×4\), a recurrent matrix \(4×4\) and a bias \(4\) "
         r"each make 128 \(144 with separate input and recurrent biases\)\.$"),
    case(s.BuiltinLSTMCell, s.load_fused_lstm, False,
         r"^Your LSTMCell uses PyTorch's LSTMCell \('inner'\); the exercise asks you to build it "
         r"from your own code"),
    # Loaders that get PyTorch's layout wrong.
    case(s.FusedLSTMCell, s.load_lstm_swapping_i_and_f, False,
         gates_swapped("load_lstm_swapping_i_and_f", "i", "f")),
    case(s.FusedLSTMCell, s.load_lstm_without_bias_hh, False,
         loaded_differs("load_lstm_without_bias_hh", "cell state C")),
    case(s.FusedLSTMCell, s.load_lstm_reshaped, False,
         loaded_differs("load_lstm_reshaped", "cell state C")),
    case(s.FusedLSTMCell, s.load_lstm_nothing, False,
         loaded_differs("load_lstm_nothing", "cell state C")),
    case(s.FusedLSTMCell, s.load_lstm_nothing, True,
         r"^After load_lstm_nothing, the cell state C of your LSTMCell \(batch 1, length 1, "),
]


@pytest.mark.parametrize(("cell_class", "load", "thorough", "match"), LSTM_CELL_MISTAKES)
def test_lstm_cell_mistake_fails(cell_class, load, thorough, match, capsys):
    assert_fails(checks.check_lstm_cell, cell_class, load, match=match, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


def test_c_not_carried_names_c_with_its_expected_value():
    message = assert_fails(checks.check_lstm_cell, s.CNotCarriedLSTMCell, s.load_fused_lstm,
                           match=ZERO_C, thorough=False)
    assert ": got 0, expected " in message


def test_loader_that_raises_gets_the_layout_hint():
    with pytest.raises(CheckFailed, match=r"^load_lstm_without_transpose raised RuntimeError "
                       r"\(.*\); " + LSTM_HINT) as error:
        checks.check_lstm_cell(s.FusedLSTMCell, s.load_lstm_without_transpose)
    assert isinstance(error.value.__cause__, RuntimeError)  # the student's traceback is kept
    assert "\n" not in str(error.value)


def test_unsolved_loader_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_lstm_cell(s.FusedLSTMCell, s.load_lstm_unsolved)


def test_checks_run_the_student_code_in_float64():
    seen = []

    class SpyCell(s.FusedLSTMCell):
        def forward(self, x, state):
            seen.append((torch.get_default_dtype(), x.dtype, state[0].dtype, state[1].dtype,
                         self.W.dtype, torch.zeros(1).dtype))
            return super().forward(x, state)

    checks.check_lstm_cell(SpyCell, s.load_fused_lstm)
    assert seen and set(seen) == {(torch.float64,) * 6}


def test_reference_unrolled_step_by_step_is_the_layer():
    backend = checks.BACKEND
    rng = np.random.default_rng(0)
    for kind in ("lstm", "gru"):
        layer = backend.random_gated_layer(kind, 3, 4, rng)
        x = rng.normal(size=(2, 7, 3))
        state = tuple(rng.normal(size=(2, 4)) for _ in range(2 if kind == "lstm" else 1))
        run = backend.run_gated_reference(layer, kind, x, state)
        hx = tuple(torch.tensor(v)[None] for v in state)
        with torch.no_grad():
            outputs, final = layer(torch.tensor(x), hx if kind == "lstm" else hx[0])
        final = final if kind == "lstm" else (final,)
        stacked = run.stacked()
        np.testing.assert_allclose(stacked[0], outputs.numpy(), rtol=0, atol=1e-14)
        for k, part in enumerate(final):
            np.testing.assert_allclose(stacked[k][:, -1], part[0].numpy(), rtol=0, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# check_lstm_layer
# ---------------------------------------------------------------------------------------------

RIGHT_LSTM_LAYERS = [(s.LoopLSTM, s.load_fused_lstm), (s.UnbindLSTM, s.load_linear_gates_lstm)]


@pytest.mark.parametrize(("layer_class", "load"), RIGHT_LSTM_LAYERS, ids=name_of)
def test_right_lstm_layer_passes_thorough(layer_class, load, capsys):
    checks.check_lstm_layer(layer_class, load, thorough=True)
    assert capsys.readouterr().out == (
        "✓ LSTM returns the same outputs and final (h, c) as torch.nn.LSTM, on every shape, with "
        "the same gradients.\n")


def test_right_lstm_layer_passes_quick(capsys):
    checks.check_lstm_layer(s.LoopLSTM, s.load_fused_lstm)
    assert capsys.readouterr().out == (
        "✓ LSTM returns the same outputs and final (h, c) as torch.nn.LSTM.\n")


class OldCLoopLSTM(s.LoopLSTM):
    cell_class = s.OldCLSTMCell


IGNORES_LSTM_STATE = r"^Your LSTM ignores initial_state: its outputs are those of a zero " \
    r"initial state; start the first step from the \(h, c\) passed as initial_state\.$"

LSTM_LAYER_MISTAKES = [
    case(s.IgnoresInitialStateLSTM, s.load_fused_lstm, False, IGNORES_LSTM_STATE),
    case(s.IgnoresInitialStateLSTM, s.load_fused_lstm, True, IGNORES_LSTM_STATE),
    case(s.CNotCarriedLSTM, s.load_fused_lstm, False,
         r"^Your LSTM's outputs \(batch 2, length 5, without an initial state\) differ from "
         r"torch\.nn\.LSTM first at step 1 \(sequence \d, step 1, unit \d\): .* Each step must "
         r"pass the previous \(h, c\) to self\.cell, starting from zeros\. Run check_lstm_cell "
         r"first if it has not passed\.$"),
    case(OldCLoopLSTM, s.load_fused_lstm, False,
         r"^Your LSTM's outputs \(batch 2, length 5, without an initial state\) differ from "
         r"torch\.nn\.LSTM first at step 0 "),
    case(s.DetachedStateLSTM, s.load_fused_lstm, True,
         r"^The gradient with respect to x \(batch 1, length 6, with an initial state\) differs "
         r"from torch\.nn\.LSTM first at step 0 .*" + GRAD_HINT),
    case(s.SwappedFinalLSTM, s.load_fused_lstm, False, SWAPPED_FINAL),
    case(s.FinalHOnlyLSTM, s.load_fused_lstm, False,
         r"^Your LSTM's forward should return a pair \(outputs, \(h_T, c_T\)\)\.$"),
    case(s.NoCellLSTM, s.load_fused_lstm, False,
         r"^Your LSTM has no attribute cell: create its LSTMCell in __init__ as self\.cell, so "
         r"that load_fused_lstm can load it\.$"),
    case(s.BuiltinCellLSTM, s.load_fused_lstm, False,
         r"^Your LSTM layer uses PyTorch's LSTMCell \('cell'\)"),
    case(s.LoopLSTM, s.load_lstm_nothing, False,
         r"^Your LSTM's outputs \(batch 2, length 5, without an initial state\) differ from "
         r"torch\.nn\.LSTM first at step 0 "),
]


@pytest.mark.parametrize(("layer_class", "load", "thorough", "match"), LSTM_LAYER_MISTAKES)
def test_lstm_layer_mistake_fails(layer_class, load, thorough, match):
    assert_fails(checks.check_lstm_layer, layer_class, load, match=match, thorough=thorough)


def test_float32_lstm_layer_passes_with_a_note(capsys):
    checks.check_lstm_layer(s.FloatZerosLSTM, s.load_fused_lstm, thorough=True)
    out = capsys.readouterr().out
    assert out.startswith("✓ LSTM returns the same outputs") and "Checked in float32" in out


def test_float32_fallback_still_fails_a_wrong_layer():
    class FloatZerosIgnoresInitialState(s.FloatZerosLSTM):
        def forward(self, x, initial_state=None):
            return super().forward(x)

    assert_fails(checks.check_lstm_layer, FloatZerosIgnoresInitialState, s.load_fused_lstm,
                 match=r"^Your LSTM ignores initial_state", thorough=False)


# ---------------------------------------------------------------------------------------------
# check_gru_cell and check_gru_layer
# ---------------------------------------------------------------------------------------------

RIGHT_GRU_CELLS = [(s.FusedGRUCell, s.load_fused_gru),
                   (s.SeparateGatesGRUCell, s.load_separate_gates_gru),
                   (s.LinearGRUCell, s.load_linear_gru)]


@pytest.mark.parametrize(("cell_class", "load"), RIGHT_GRU_CELLS, ids=name_of)
def test_right_gru_cell_passes_thorough(cell_class, load, capsys):
    checks.check_gru_cell(cell_class, load, thorough=True)
    assert capsys.readouterr().out == (
        f"✓ GRUCell, loaded by {load.__name__}, computes the same h as torch.nn.GRU at every "
        "step, on every shape, with the same gradients.\n")


def test_right_gru_cell_passes_quick():
    checks.check_gru_cell(s.FusedGRUCell, s.load_fused_gru)


GRU_CELL_MISTAKES = [
    case(s.SwappedZGRUCell, s.load_fused_gru, False,
         loaded_differs("load_fused_gru", "state H", "GRUCell", GRU_HINT)),
    case(s.ResetBeforeMatmulGRUCell, s.load_fused_gru, False,
         loaded_differs("load_fused_gru", "state H", "GRUCell", GRU_HINT)),
    case(s.ResetBeforeMatmulGRUCell, s.load_fused_gru, True, r"^After load_fused_gru, the state "
         r"H of your GRUCell \(batch 1, length 1, input 1, hidden 1, from a zero initial state\) "
         r"differs from torch\.nn\.GRU first at step 0"),
    case(s.TanhUpdateGateGRUCell, s.load_fused_gru, False,
         r"^With every parameter set to zero, the new H of your GRUCell differs from 0\.5·h at "
         r"example \d, unit \d: got 0, .* h_new = \(1 - z\)·n \+ z·h must be 0\.5·h: sigmoid on r "
         r"and z, tanh on n\.$"),
    case(s.DetachedGRUCell, s.load_fused_gru, True,
         r"^The gradient with respect to h0 \(batch 1, length 1, input 1, hidden 1, from a zero "
         r"initial state\) differs from torch\.nn\.GRU at sequence 0, unit 0: got 0, .*"
         + GRAD_HINT),
    case(s.FusedGRUCell, s.load_gru_swapping_r_and_z, False,
         gates_swapped("load_gru_swapping_r_and_z", "r", "z", "GRUCell")),
    case(s.FusedGRUCell, s.load_gru_merging_all_biases, False,
         loaded_differs("load_gru_merging_all_biases", "state H", "GRUCell", GRU_HINT)),
]


@pytest.mark.parametrize(("cell_class", "load", "thorough", "match"), GRU_CELL_MISTAKES)
def test_gru_cell_mistake_fails(cell_class, load, thorough, match):
    assert_fails(checks.check_gru_cell, cell_class, load, match=match, thorough=thorough)


RIGHT_GRU_LAYERS = [(s.LoopGRU, s.load_fused_gru), (s.PreallocatedGRU, s.load_separate_gates_gru)]


@pytest.mark.parametrize(("layer_class", "load"), RIGHT_GRU_LAYERS, ids=name_of)
def test_right_gru_layer_passes_thorough(layer_class, load, capsys):
    checks.check_gru_layer(layer_class, load, thorough=True)
    assert capsys.readouterr().out == (
        "✓ GRU returns the same outputs and final h as torch.nn.GRU, on every shape, with the "
        "same gradients.\n")


def test_right_gru_layer_passes_quick():
    checks.check_gru_layer(s.LoopGRU, s.load_fused_gru)


class SwappedZLoopGRU(s.LoopGRU):
    cell_class = s.SwappedZGRUCell


GRU_LAYER_MISTAKES = [
    case(s.IgnoresInitialStateGRU, s.load_fused_gru, True,
         r"^Your GRU ignores initial_state: its outputs are those of a zero initial state; start "
         r"the first step from the h passed as initial_state\.$"),
    case(s.DetachedStateGRU, s.load_fused_gru, True,
         r"^The gradient with respect to x \(batch 1, length 6, with an initial state\) differs "
         r"from torch\.nn\.GRU first at step 0 .*" + GRAD_HINT),
    case(SwappedZLoopGRU, s.load_fused_gru, False,
         r"^Your GRU's outputs \(batch 2, length 5, without an initial state\) differ from "
         r"torch\.nn\.GRU first at step 0 .* Run check_gru_cell first if it has not passed\.$"),
]


@pytest.mark.parametrize(("layer_class", "load", "thorough", "match"), GRU_LAYER_MISTAKES)
def test_gru_layer_mistake_fails(layer_class, load, thorough, match):
    assert_fails(checks.check_gru_layer, layer_class, load, match=match, thorough=thorough)


# ---------------------------------------------------------------------------------------------
# check_padding_invariance
# ---------------------------------------------------------------------------------------------

RIGHT_PADDED = [s.PackedClassifier, s.GatherLastClassifier]


@pytest.mark.parametrize("model_class", RIGHT_PADDED, ids=name_of)
def test_right_padding_passes_thorough(model_class, capsys):
    checks.check_padding_invariance(model_class, thorough=True)
    assert capsys.readouterr().out == (
        "✓ The classifier's logits do not change when its batch is padded and it trains every "
        "parameter.\n")


def test_right_padding_passes_quick(capsys):
    checks.check_padding_invariance(s.PackedClassifier)
    assert capsys.readouterr().out == (
        "✓ The classifier's logits do not change when its batch is padded.\n")


PADDING = r"^The logits of sequence 0 \(length 5\) change when its batch is padded to length 7: " \
    r"by \d\.\de-\d\d relative to the sequence alone \(tolerance 1e-08\)\. Pack the embedded " \
    r"batch with nn\.utils\.rnn\.pack_padded_sequence\(x, lengths, batch_first=True, " \
    r"enforce_sorted=False\), .*last real token\.$"


@pytest.mark.parametrize("thorough", [False, True])
@pytest.mark.parametrize("model_class", [s.UnpackedClassifier, s.LastPaddedStepClassifier],
                         ids=name_of)
def test_padding_mistake_fails(model_class, thorough):
    assert_fails(checks.check_padding_invariance, model_class, match=PADDING, thorough=thorough)


def test_padding_unused_parameter_fails_thorough():
    assert_fails(checks.check_padding_invariance, s.UnusedLayerPackedClassifier, thorough=True,
                 match=r"^The parameter 'spare\.weight' of your classifier receives no gradient\.")


def test_padding_student_error_propagates_and_restores_the_default_dtype():
    with pytest.raises(RuntimeError, match="sorted"):
        checks.check_padding_invariance(s.PackedSortedClassifier)
    assert torch.get_default_dtype() == torch.float32


def test_padding_check_and_check_classifier_share_one_implementation(monkeypatch):
    calls = []
    real = rnn.find_padding_change

    def spy(backend, model, ids, lengths, widths):
        calls.append(tuple(widths))
        return real(backend, model, ids, lengths, widths)

    monkeypatch.setattr(rnn, "find_padding_change", spy)
    checks.check_padding_invariance(s.PackedClassifier)
    checks.check_classifier(students_torch.GatherClassifier)
    assert calls == [(7, 12), (7, 12)]


# ---------------------------------------------------------------------------------------------
# Global state
# ---------------------------------------------------------------------------------------------


def test_checks_leave_no_float64_behind():
    checks.check_lstm_cell(s.FusedLSTMCell, s.load_fused_lstm)
    assert_fails(checks.check_gru_layer, s.IgnoresInitialStateGRU, s.load_fused_gru,
                 match="ignores initial_state", thorough=False)
    assert_fails(checks.check_padding_invariance, s.UnpackedClassifier, match="padded",
                 thorough=False)
    assert s.FusedLSTMCell(3, 4).W.dtype == torch.float32
    assert torch.tensor(1.0).dtype == torch.float32


@pytest.mark.parametrize("check", ["check_lstm_cell", "check_lstm_layer", "check_gru_cell",
                                   "check_gru_layer", "check_padding_invariance"])
def test_public_functions_are_bound(check):
    assert callable(getattr(checks, check))
