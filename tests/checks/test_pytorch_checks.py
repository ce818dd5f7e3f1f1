"""Tests for rnncourse.checks.pytorch.

Every check must pass on right solutions written in different styles and fail, with one clear
sentence, on the classic mistakes. The students' code lives in ``students_torch``.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnncourse.checks import pytorch as checks
from rnncourse.checks import rnn as neutral
from rnncourse.errors import CheckFailed

from . import students_torch as s


@pytest.fixture(autouse=True)
def _default_dtype_is_restored():
    assert torch.get_default_dtype() == torch.float32
    yield
    assert torch.get_default_dtype() == torch.float32, "a check left float64 as the default dtype"


def name_of(value) -> str:
    return getattr(value, "__name__", str(value))


def case(student, thorough: bool, match: str):
    """One parametrized mistake: the student's code, the check's mode, the message expected."""
    return pytest.param(student, thorough, match,
                        id=f"{name_of(student)}-{'thorough' if thorough else 'quick'}")


def assert_fails(check, *args, match: str, thorough: bool) -> str:
    with pytest.raises(CheckFailed, match=match) as error:
        check(*args, thorough=thorough)
    message = str(error.value)
    assert "\n" not in message and message.endswith("."), message
    assert torch.get_default_dtype() == torch.float32
    return message


GRAD_HINT = r"\(no \.detach\(\), \.data, \.numpy\(\), \.item\(\) or torch\.no_grad\(\)\)"

# ---------------------------------------------------------------------------------------------
# check_rnn_cell
# ---------------------------------------------------------------------------------------------

RIGHT_CELLS = [s.PlainCell, s.TorchLayoutCell, s.FusedEinsumCell, s.LinearLayersCell]


@pytest.mark.parametrize("cell_class", RIGHT_CELLS, ids=name_of)
def test_right_cell_passes_thorough(cell_class, capsys):
    checks.check_rnn_cell(cell_class, thorough=True)
    assert capsys.readouterr().out == (
        "✓ RNNCell computes the same states as torch.nn.RNNCell on every shape, with the same "
        "gradients.\n"
    )


def test_right_cell_passes_quick(capsys):
    checks.check_rnn_cell(s.PlainCell)
    assert capsys.readouterr().out == "✓ RNNCell computes the same states as torch.nn.RNNCell.\n"


WRONG_NEW_STATE = r"RNNCell's new state \(batch \d, input \d, hidden \d\) differs from " \
    r"torch\.nn\.RNNCell at example \d, unit \d: .* The new state must be tanh\(x·W \+ s·H \+ b\)\."

CELL_MISTAKES = [
    case(s.NoTanhCell, False, WRONG_NEW_STATE),
    case(s.NoTanhCell, True, WRONG_NEW_STATE),
    case(s.ReluCell, False, WRONG_NEW_STATE),
    case(s.SigmoidCell, False,
         r"^With every parameter set to zero your RNNCell returns values up to 0\.5, but "
         r"tanh\(x·0 \+ s·0 \+ 0\) is 0\.$"),
    case(s.TanhOnInputOnlyCell, False, WRONG_NEW_STATE),
    case(s.IgnoresStateCell, True,
         r"^Your RNNCell ignores the previous state: the output does not change with the state\.$"),
    case(s.IgnoresInputCell, False,
         r"^Your RNNCell ignores its input x: the output does not change"),
    case(s.OffsetAfterTanhCell, False,
         r"every parameter set to zero your RNNCell returns values up to 0\.1,"),
    case(s.OffsetInsideTanhCell, False,
         r"every parameter set to zero your RNNCell returns values up to 0\.0997,"),
    case(s.DetachedStateCell, True,
         r"^The gradient of the loss with respect to the state differs from torch\.nn\.RNNCell "
         r"at example 0, unit 0: got 0, .*" + GRAD_HINT),
    case(s.NoGradCell, True, r"^No gradient flows through your RNNCell\. .*" + GRAD_HINT),
    case(s.MissingBiasCell, False,
         r"^Your RNNCell with input size 3 and hidden size 4 has 28 parameters \(W 12, H 16\), "
         r"but W \(3×4\), H \(4×4\) and b \(4\) make 32\.$"),
    # At size (1, 1) an extra H has as many elements as nn.RNNCell's second bias; (3, 4) catches it.
    case(s.ExtraMatrixCell, True, r"has 48 parameters \(W 12, H 16, b 4, H2 16\)"),
    case(s.UnusedBiasCell, True, r"^The parameter 'b2' of your RNNCell receives no gradient\."),
    case(s.PlainTensorCell, False,
         r"^Your RNNCell has no trainable parameters\. Create W, H and b in __init__ as "
         r"torch\.nn\.Parameter"),
    case(s.TupleCell, False, r"^RNNCell\.forward returned a tuple; it should return a tensor\.$"),
    case(s.NumpyCell, False, r"^RNNCell\.forward returned a ndarray; it should return a tensor\.$"),
    case(s.NotAModuleCell, False, r"^NotAModuleCell must be a subclass of torch\.nn\.Module\.$"),
]


@pytest.mark.parametrize(("cell_class", "thorough", "match"), CELL_MISTAKES)
def test_cell_mistake_fails(cell_class, thorough, match):
    assert_fails(checks.check_rnn_cell, cell_class, match=match, thorough=thorough)


def test_failed_check_prints_no_tick(capsys):
    assert_fails(checks.check_rnn_cell, s.IgnoresStateCell, match="ignores", thorough=False)
    assert "✓" not in capsys.readouterr().out


@pytest.mark.parametrize(("cell_class", "error"),
                         [(s.BrokenInitCell, ValueError), (s.BrokenForwardCell, RuntimeError)])
def test_student_exceptions_propagate_and_restore_the_default_dtype(cell_class, error):
    with pytest.raises(error, match="student bug"):
        checks.check_rnn_cell(cell_class, thorough=True)
    assert torch.get_default_dtype() == torch.float32
    assert torch.zeros(1).dtype == torch.float32


def test_checks_run_the_student_code_in_float64():
    seen = []

    class SpyCell(s.PlainCell):
        def forward(self, x, state):
            seen.append((torch.get_default_dtype(), x.dtype, state.dtype, self.W.dtype,
                         torch.zeros(1).dtype))
            return super().forward(x, state)

    checks.check_rnn_cell(SpyCell)
    assert seen and set(seen) == {(torch.float64,) * 5}
    assert torch.zeros(1).dtype == torch.float32


# ---------------------------------------------------------------------------------------------
# check_rnn_layer
# ---------------------------------------------------------------------------------------------

RIGHT_LAYERS = [s.LoopRNN, s.WhileRNN, s.ComprehensionRNN, s.PreallocatedRNN]


@pytest.mark.parametrize("layer_class", RIGHT_LAYERS, ids=name_of)
def test_right_layer_passes_thorough(layer_class, capsys):
    checks.check_rnn_layer(layer_class, thorough=True)
    assert "✓ RNN returns the same outputs and final state as torch.nn.RNN on every shape" in (
        capsys.readouterr().out)


def test_right_layer_passes_quick():
    checks.check_rnn_layer(s.LoopRNN)


OUTPUTS_SHAPE = r"^The outputs of your RNN for a batch of 2 sequences of length 3 have shape {} " \
    r"but should have shape \(2, 3, 4\)\. Return \(outputs, final_state\)"

IGNORES_INITIAL_STATE = r"^Your RNN layer ignores initial_state: the final state after one " \
    r"step does not change when initial_state does\.$"

LAYER_MISTAKES = [
    case(s.IgnoresInitialStateRNN, False, IGNORES_INITIAL_STATE),
    case(s.IgnoresInitialStateRNN, True, IGNORES_INITIAL_STATE),
    case(s.FirstStateAsFinalRNN, False,
         r"^Your RNN's final state \(batch 2, length 5, without an initial state\) differs from "
         r"torch\.nn\.RNN at sequence \d, unit \d: .* The final state is the state after the "
         r"last step\.$"),
    case(s.ReversedTimeRNN, False,
         r"^Your RNN's outputs \(batch 2, length 5, without an initial state\) differ from "
         r"torch\.nn\.RNN first at step 0 \(sequence \d, step 0, unit \d\)"),
    case(s.StaleStateRNN, False,
         r"differ from torch\.nn\.RNN first at step 1 \(sequence \d, step 1, unit \d\): .* "
         r"Each step must feed the previous state into the cell, starting from zeros\.$"),
    case(s.IgnoresInputRNN, False, r"^Your RNN layer run for one step ignores its input x"),
    case(s.DetachedBetweenStepsRNN, True,
         r"^The gradient with respect to x \(batch \d, length \d, without an initial state\) "
         r"differs from torch\.nn\.RNN first at step 0 .*" + GRAD_HINT),
    case(s.MissingStepRNN, False, OUTPUTS_SHAPE.format(r"\(2, 2, 4\)")),
    case(s.TimeMajorOutputsRNN, False, OUTPUTS_SHAPE.format(r"\(3, 2, 4\)")),
    case(s.LayerAxisFinalRNN, False,
         r"^The final state of your RNN for a batch of 2 has shape \(1, 2, 4\) but should have "
         r"shape \(2, 4\)\.$"),
    case(s.OutputsOnlyRNN, False,
         r"^Your RNN's forward should return a pair \(outputs, final_state\)\.$"),
    case(s.NumpyOutputsRNN, False,
         r"^RNN\.forward \(outputs\) returned a ndarray; it should return a tensor\.$"),
    case(s.ExtraLayerRNN, False,
         r"^Your RNN layer with input size 3 and hidden size 4 has 52 parameters \(cell\.W 12, "
         r"cell\.H 16, cell\.b 4, project\.weight 16, project\.bias 4\)"),
]


@pytest.mark.parametrize(("layer_class", "thorough", "match"), LAYER_MISTAKES)
def test_layer_mistake_fails(layer_class, thorough, match):
    assert_fails(checks.check_rnn_layer, layer_class, match=match, thorough=thorough)


def test_layer_with_a_wrong_cell_fails():
    class NoTanhRNN(s.LoopRNN):
        cell_class = s.NoTanhCell

    assert_fails(checks.check_rnn_layer, NoTanhRNN, thorough=False,
                 match=r"^Your RNN's outputs .* differ from torch\.nn\.RNN first at step 0")


def test_float32_cast_in_a_right_layer_passes(capsys):
    model = s.FloatCastRNN(3, 4)
    reference = nn.RNN(3, 4, batch_first=True)
    with torch.no_grad():
        reference.weight_ih_l0.copy_(model.cell.W.T)
        reference.weight_hh_l0.copy_(model.cell.H.T)
        reference.bias_ih_l0.copy_(model.cell.b)
        reference.bias_hh_l0.zero_()
        x = torch.randn(2, 5, 3)
        torch.testing.assert_close(model(x)[0], reference(x)[0])  # right in float32
    checks.check_rnn_layer(s.FloatCastRNN)
    assert "Checked in float32" in capsys.readouterr().out


def test_float32_fallback_still_fails_a_wrong_layer(capsys):
    class FloatCastNoTanh(s.FloatCastRNN):
        cell_class = s.NoTanhCell

    with pytest.raises(CheckFailed, match=r"differ from torch\.nn\.RNN"):
        checks.check_rnn_layer(FloatCastNoTanh)


# ---------------------------------------------------------------------------------------------
# check_classifier
# ---------------------------------------------------------------------------------------------

RIGHT_CLASSIFIERS = [s.GatherClassifier, s.OneHotClassifier, s.TorchGatherClassifier,
                     s.MaskedCarryClassifier, s.MeanOverRealStepsClassifier]


@pytest.mark.parametrize("model_class", RIGHT_CLASSIFIERS, ids=name_of)
def test_right_classifier_passes_thorough(model_class, capsys):
    checks.check_classifier(model_class, thorough=True)
    assert capsys.readouterr().out == (
        "✓ The classifier returns one logit per class, ignores padding and trains every "
        "parameter.\n"
    )


def test_right_classifier_passes_quick():
    checks.check_classifier(s.GatherClassifier)


PADDING = r"^The logits of sequence 0 \(length 5\) change when its batch is padded to length 7: " \
    r"classify from the state at each sequence's last real token \(position length - 1\), not " \
    r"from the last padded step\.$"

FIRST_TOKEN = (r"^Your classifier's logits stay the same when every token after each "
               r"sequence's first one changes: it reads the state at position 0; classify from "
               r"the state at each sequence's last real token \(position length - 1\)\.$")
CLASSIFIER_MISTAKES = [
    case(s.LastPaddedColumnClassifier, False, PADDING),
    case(s.LastPaddedColumnClassifier, True, PADDING),
    case(s.MeanOverPaddingClassifier, False, PADDING),
    case(s.FirstTokenClassifier, False, FIRST_TOKEN),
    case(s.PerStepLogitsClassifier, False,
         r"^The logits of your classifier for 3 sequences have shape \(3, 7, 4\) but should have "
         r"shape \(3, 4\)\."),
    case(s.BuiltinRNNClassifier, False,
         r"^Your classifier uses PyTorch's RNN \('rnn'\); the exercise asks you to build it "
         r"from your own code, without built-in recurrent layers\.$"),
    case(s.BuiltinLSTMClassifier, False, r"^Your classifier uses PyTorch's LSTM \('rnn'\)"),
    case(s.BuiltinCellClassifier, True, r"^Your classifier uses PyTorch's RNNCell \('cell'\)"),
    case(s.UnusedParameterClassifier, True,
         r"^The parameter 'spare\.weight' of your classifier receives no gradient\. .*"
         + GRAD_HINT),
    case(s.DetachedEmbeddingClassifier, True,
         r"^The parameter 'embedding\.weight' of your classifier receives no gradient\."),
]


@pytest.mark.parametrize(("model_class", "thorough", "match"), CLASSIFIER_MISTAKES)
def test_classifier_mistake_fails(model_class, thorough, match):
    assert_fails(checks.check_classifier, model_class, match=match, thorough=thorough)


# ---------------------------------------------------------------------------------------------
# check_weight_loading
# ---------------------------------------------------------------------------------------------

RIGHT_LOADERS = [(s.PlainCell, s.load_plain), (s.PlainCell, s.load_by_new_parameters),
                 (s.TorchLayoutCell, s.load_torch_layout), (s.FusedEinsumCell, s.load_fused)]


@pytest.mark.parametrize(("cell_class", "load"), RIGHT_LOADERS, ids=name_of)
def test_right_weight_loading_passes_thorough(cell_class, load, capsys):
    checks.check_weight_loading(cell_class, load, thorough=True)
    assert capsys.readouterr().out == (
        "✓ With the loaded weights your cell reproduces torch.nn.RNN step by step.\n")


def test_right_weight_loading_passes_quick():
    checks.check_weight_loading(s.PlainCell, s.load_plain)


LOADING_HINT = r"nn\.RNN stores weight_ih_l0 as \(hidden, input\), the transpose of W"

LOADING_MISTAKES = [
    # Without transposes the shapes only fit when input size = hidden size: thorough's (4, 4).
    case(s.load_without_transpose, True,
         r"^After load_without_transpose, your cell unrolled over a batch of 1 \(input 4, "
         r"hidden 4\) differs from torch\.nn\.RNN first at step 0 .*" + LOADING_HINT),
    case(s.load_without_bias_hh, False,
         r"^After load_without_bias_hh, .* differs from torch\.nn\.RNN first at step 0 "
         r".*bias_ih_l0 and bias_hh_l0\) that both add to b\.$"),
    case(s.load_swapped, True,
         r"^After load_swapped, your cell unrolled over a batch of 1 \(input 1, hidden 1\) "
         r"differs from torch\.nn\.RNN first at step 0"),
    case(s.load_nothing, False,
         r"^After load_nothing, .* differs from torch\.nn\.RNN first at step 0"),
    case(s.load_nothing, True,
         r"^After load_nothing, .* differs from torch\.nn\.RNN first at step 0"),
]


@pytest.mark.parametrize(("load", "thorough", "match"), LOADING_MISTAKES)
def test_weight_loading_mistake_fails(load, thorough, match):
    assert_fails(checks.check_weight_loading, s.PlainCell, load, match=match, thorough=thorough)


def test_weight_loading_without_transpose_on_square_sizes_only():
    # The neutral check with equal input and hidden size, so the wrong layout fits the shapes.
    with pytest.raises(CheckFailed, match=r"input 4, hidden 4\) differs .*" + LOADING_HINT):
        neutral.check_weight_loading(checks.BACKEND, s.PlainCell, s.load_without_transpose,
                                     sizes=((4, 4),))
    assert torch.get_default_dtype() == torch.float32


def test_weight_loading_into_a_torch_layout_cell_must_load_both_biases():
    def load_one_bias(cell, rnn):
        with torch.no_grad():
            cell.weight_ih.copy_(rnn.weight_ih_l0)
            cell.weight_hh.copy_(rnn.weight_hh_l0)
            cell.bias_ih.copy_(rnn.bias_ih_l0)

    assert_fails(checks.check_weight_loading, s.TorchLayoutCell, load_one_bias, thorough=False,
                 match=r"^After load_one_bias, .* differs from torch\.nn\.RNN first at step 0")


# ---------------------------------------------------------------------------------------------
# check_accuracy and global state
# ---------------------------------------------------------------------------------------------


def test_check_accuracy_is_the_neutral_one():
    assert checks.check_accuracy is neutral.check_accuracy
    checks.check_accuracy(0.9, 0.5)
    with pytest.raises(CheckFailed, match=r"accuracy is 0\.2000, below the 0\.50"):
        checks.check_accuracy(0.2, 0.5)
    with pytest.raises(CheckFailed, match=r"accuracy is nan"):
        checks.check_accuracy(float("nan"), 0.5)


def test_checks_leave_no_float64_behind():
    checks.check_rnn_cell(s.PlainCell)
    assert_fails(checks.check_rnn_layer, s.ReversedTimeRNN, match="first at step 0",
                 thorough=False)
    # The student's own modules and tensors after the checks are float32 again.
    assert s.PlainCell(3, 4).W.dtype == torch.float32
    assert torch.tensor(1.0).dtype == torch.float32


# ---------------------------------------------------------------------------------------------
# Built-in recurrent layers inside the cell or the layer, and loaders that raise
# ---------------------------------------------------------------------------------------------


class WrappedBuiltinCell(nn.Module):
    """Right numbers, but computed by nn.RNNCell, which exercise 1 forbids."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.inner = nn.RNNCell(input_size, hidden_size)

    def forward(self, x, state):
        return self.inner(x, state)


class WrappedBuiltinRNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.inner = nn.RNN(input_size, hidden_size, batch_first=True)

    def forward(self, x, initial_state=None):
        h0 = None if initial_state is None else initial_state[None]
        outputs, final = self.inner(x, h0)
        return outputs, final[0]


def test_cell_wrapping_the_builtin_cell_fails():
    with pytest.raises(CheckFailed, match=r"^Your RNNCell uses PyTorch's RNNCell \('inner'\)"):
        checks.check_rnn_cell(WrappedBuiltinCell)


def test_layer_wrapping_the_builtin_rnn_fails():
    with pytest.raises(CheckFailed, match=r"^Your RNN layer uses PyTorch's RNN \('inner'\)"):
        checks.check_rnn_layer(WrappedBuiltinRNN, thorough=True)


def test_loader_that_raises_gets_the_layout_hint():
    def load_without_transpose(cell, torch_rnn):
        with torch.no_grad():
            cell.W.copy_(torch_rnn.weight_ih_l0)  # (hidden, input) into (input, hidden)

    with pytest.raises(CheckFailed, match=r"^load_without_transpose raised RuntimeError .*"
                       r"transpose of W") as error:
        checks.check_weight_loading(s.PlainCell, load_without_transpose)
    assert isinstance(error.value.__cause__, RuntimeError)  # the student's traceback is kept


def test_unsolved_loader_raises_not_implemented():
    def load_torch_rnn(cell, torch_rnn):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        checks.check_weight_loading(s.PlainCell, load_torch_rnn)
