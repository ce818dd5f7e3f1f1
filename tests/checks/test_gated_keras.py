"""Tests for Lesson 2's checks in rnncourse.checks.tensorflow (Keras 3: LSTM, GRU, padding).

Every check must pass on right solutions written in different styles and fail, with one clear
sentence, on the classic mistakes. The students' code lives in ``gated_students_keras``.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnncourse.checks import tensorflow as checks
from rnncourse.errors import CheckFailed

from . import gated_students_keras as s

# Keras warns when a model holding its built-in LSTM is called before being built.
pytestmark = pytest.mark.filterwarnings("ignore:`build\\(\\)` was called on layer")


def keras_is_float32() -> bool:
    return keras.config.floatx() == "float32" and keras.config.dtype_policy().name == "float32"


@pytest.fixture(autouse=True)
def _floatx_is_restored():
    assert keras_is_float32()
    yield
    assert keras_is_float32(), "a check left Keras in float64"


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
    assert keras_is_float32()
    return message


GRAD_HINT = r"\(no \.numpy\(\), tf\.stop_gradient or Python floats\) and use every weight\.$"
LSTM_HINT = r"keras\.layers\.LSTM's get_weights\(\) returns kernel \(input, 4·hidden\), .* with " \
    r"the gates in the order i, f, c \(the candidate\), o\.$"
GRU_HINT = r"keras\.layers\.GRU's get_weights\(\) returns kernel \(input, 3·hidden\), .*bias " \
    r"\(2, 3·hidden\), row 0 for the input and row 1 for the recurrent part, with the gates in " \
    r"the order z, r, h \(not r, z, n\)\.$"


def loaded_differs(load: str, part: str, what: str = "LSTMCell", hint: str = LSTM_HINT) -> str:
    """The message of a cell whose loaded states differ from Keras' at the first step."""
    reference = "LSTM" if what == "LSTMCell" else "GRU"
    return (rf"^After {load}, the {part} of your {what} \(batch 2, length 5, input 3, hidden 4, "
            rf"from a random initial state\) differs from keras\.layers\.{reference} first at "
            rf"step 0 \(sequence \d, step 0, unit \d\): got .* Check your {what}'s gate "
            rf"formulas, and that it and {load} put each gate's weights in the same place; "
            + hint)


def gates_swapped(load: str, first: str, second: str, what: str = "LSTMCell") -> str:
    """The message of a cell that, with ``load``, trades two gates' weights."""
    reference, order = (("LSTM", "i, f, c, o") if what == "LSTMCell" else ("GRU", "z, r, h"))
    return (rf"^Your {what}, loaded by {load}, computes keras\.layers\.{reference} with its "
            rf"{first} and {second} gates swapped: between your loader and your cell, each of "
            rf"the two gates gets the other's weights; keras\.layers\.{reference} stacks its "
            rf"gates in the order {order}\.$")


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
    (s.TorchLayoutLSTMCell, s.load_torch_layout_lstm),
    (s.DenseGatesLSTMCell, s.load_dense_gates_lstm),
]


@pytest.mark.parametrize(("cell_class", "load"), RIGHT_LSTM_CELLS, ids=name_of)
def test_right_lstm_cell_passes_thorough(cell_class, load, capsys):
    checks.check_lstm_cell(cell_class, load, thorough=True)
    assert capsys.readouterr().out == (
        f"✓ LSTMCell, loaded by {load.__name__}, computes the same h and c as keras.layers.LSTM "
        "at every step, on every shape, with the same gradients.\n")


def test_right_lstm_cell_passes_quick(capsys):
    checks.check_lstm_cell(s.FusedLSTMCell, s.load_fused_lstm_from_attributes)
    assert capsys.readouterr().out == (
        "✓ LSTMCell, loaded by load_fused_lstm_from_attributes, computes the same h and c as "
        "keras.layers.LSTM at every step.\n")


LSTM_CELL_MISTAKES = [
    case(s.SwappedOutputLSTMCell, s.load_fused_lstm, False, SWAPPED_CELL),
    case(s.SwappedOutputLSTMCell, s.load_fused_lstm, True, SWAPPED_CELL),
    case(s.GateOrderLSTMCell, s.load_fused_lstm, False, gates_swapped("load_fused_lstm", "c", "o")),
    case(s.TanhInputGateLSTMCell, s.load_fused_lstm, False,
         loaded_differs("load_fused_lstm", "cell state C")),
    case(s.TanhInputGateLSTMCell, s.load_fused_lstm, True,
         r"^After load_fused_lstm, the cell state C of your LSTMCell \(batch 1, length 1, input 1, "
         r"hidden 1, from a zero initial state\) differs from keras\.layers\.LSTM first at step 0"),
    case(s.TanhOutputGateLSTMCell, s.load_fused_lstm, False, ZERO_H),
    case(s.CNotCarriedLSTMCell, s.load_fused_lstm, False, ZERO_C),
    case(s.OldCLSTMCell, s.load_fused_lstm, False, ZERO_H),
    case(s.OldCLSTMCell, s.load_fused_lstm, True, ZERO_H),
    case(s.NoForgetGateLSTMCell, s.load_fused_lstm, False, ZERO_C),
    case(s.StopGradientCLSTMCell, s.load_fused_lstm, True,
         r"^The gradient with respect to c0 \(batch 1, length 1, input 1, hidden 1, from a zero "
         r"initial state\) differs from keras\.layers\.LSTM at sequence 0, unit 0: got 0, .*"
         + GRAD_HINT),
    case(s.ListStateLSTMCell, s.load_fused_lstm, False,
         r"^LSTMCell\.call \(c_new\) returned a list; it should return a tensor\.$"),
    case(s.BuiltinLSTMCell, s.load_fused_lstm, False,
         r"^Your LSTMCell uses Keras' LSTMCell \('\w+'\); the exercise asks you to build it from "
         r"your own code"),
    # Loaders that get Keras' layout wrong.
    case(s.FusedLSTMCell, s.load_lstm_as_torch_order, False,
         gates_swapped("load_lstm_as_torch_order", "f", "c")),
    case(s.TorchLayoutLSTMCell, s.load_torch_layout_reshaped, False,
         loaded_differs("load_torch_layout_reshaped", "cell state C")),
    case(s.FusedLSTMCell, s.load_lstm_without_bias, False,
         loaded_differs("load_lstm_without_bias", "cell state C")),
]


@pytest.mark.parametrize(("cell_class", "load", "thorough", "match"), LSTM_CELL_MISTAKES)
def test_lstm_cell_mistake_fails(cell_class, load, thorough, match, capsys):
    assert_fails(checks.check_lstm_cell, cell_class, load, match=match, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


def test_loader_that_raises_gets_the_layout_hint():
    with pytest.raises(CheckFailed, match=r"^load_torch_layout_without_transpose raised "
                       r"ValueError \(.*\); " + LSTM_HINT) as error:
        checks.check_lstm_cell(s.TorchLayoutLSTMCell, s.load_torch_layout_without_transpose)
    assert isinstance(error.value.__cause__, ValueError)  # the student's traceback is kept
    assert "\n" not in str(error.value)
    assert keras_is_float32()


def test_loader_through_float32_constants_passes_in_float64(capsys):
    checks.check_lstm_cell(s.FusedLSTMCell, s.load_fused_lstm_as_float32, thorough=True)
    assert "Checked in float32" not in capsys.readouterr().out


def test_loader_mixing_float32_passes_with_a_note(capsys):
    checks.check_lstm_cell(s.FusedLSTMCell, s.load_fused_lstm_adding_tf_zeros)
    out = capsys.readouterr().out
    assert out.startswith("✓ LSTMCell, loaded by load_fused_lstm_adding_tf_zeros, computes")
    assert "Checked in float32" in out


def test_loader_shape_error_mentioning_dtypes_still_gets_the_hint():
    # Keras' shape errors name the variable's dtype; they fail in float32 too, with the hint.
    with pytest.raises(CheckFailed, match=r"^load_torch_layout_without_transpose raised "
                       r"ValueError \(The shape of the target variable .*\); " + LSTM_HINT):
        checks.check_lstm_cell(s.TorchLayoutLSTMCell, s.load_torch_layout_without_transpose)


def test_unsolved_loader_raises_not_implemented():
    def load_keras_lstm(cell, keras_lstm):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        checks.check_lstm_cell(s.FusedLSTMCell, load_keras_lstm)
    assert keras_is_float32()


def test_checks_run_the_student_code_in_float64():
    seen = []

    class SpyCell(s.FusedLSTMCell):
        def call(self, x, state):
            dtypes = (x.dtype, state[0].dtype, state[1].dtype, self.kernel.dtype,
                      keras.ops.zeros((1,)).dtype)
            seen.append((keras.config.floatx(), *(tf.as_dtype(d).name for d in dtypes)))
            return super().call(x, state)

    checks.check_lstm_cell(SpyCell, s.load_fused_lstm)
    assert seen and set(seen) == {("float64",) * 6}


def test_reference_unrolled_step_by_step_is_the_layer():
    backend = checks.BACKEND
    rng = np.random.default_rng(0)
    for kind in ("lstm", "gru"):
        layer = backend.random_gated_layer(kind, 3, 4, rng)
        x = rng.normal(size=(2, 7, 3))
        state = tuple(rng.normal(size=(2, 4)) for _ in range(2 if kind == "lstm" else 1))
        run = backend.run_gated_reference(layer, kind, x, state)
        outputs, *final = layer(tf.constant(x), initial_state=[tf.constant(v) for v in state])
        stacked = run.stacked()
        np.testing.assert_allclose(stacked[0], outputs.numpy(), rtol=0, atol=1e-13)
        for k, part in enumerate(final):
            np.testing.assert_allclose(stacked[k][:, -1], part.numpy(), rtol=0, atol=1e-13)


# ---------------------------------------------------------------------------------------------
# check_lstm_layer
# ---------------------------------------------------------------------------------------------

RIGHT_LSTM_LAYERS = [(s.LoopLSTM, s.load_fused_lstm), (s.UnstackLSTM, s.load_dense_gates_lstm)]


@pytest.mark.parametrize(("layer_class", "load"), RIGHT_LSTM_LAYERS, ids=name_of)
def test_right_lstm_layer_passes_thorough(layer_class, load, capsys):
    checks.check_lstm_layer(layer_class, load, thorough=True)
    assert capsys.readouterr().out == (
        "✓ LSTM returns the same outputs and final (h, c) as keras.layers.LSTM, on every shape, "
        "with the same gradients.\n")


def test_right_lstm_layer_passes_quick(capsys):
    checks.check_lstm_layer(s.LoopLSTM, s.load_fused_lstm)
    assert capsys.readouterr().out == (
        "✓ LSTM returns the same outputs and final (h, c) as keras.layers.LSTM.\n")


IGNORES_LSTM_STATE = r"^Your LSTM ignores initial_state: its outputs are those of a zero " \
    r"initial state; start the first step from the \(h, c\) passed as initial_state\.$"

LSTM_LAYER_MISTAKES = [
    case(s.IgnoresInitialStateLSTM, s.load_fused_lstm, False, IGNORES_LSTM_STATE),
    case(s.SwappedFinalLSTM, s.load_fused_lstm, False, SWAPPED_FINAL),
    case(s.CNotCarriedLSTM, s.load_fused_lstm, False,
         r"^Your LSTM's outputs \(batch 2, length 5, without an initial state\) differ from "
         r"keras\.layers\.LSTM first at step 1 \(sequence \d, step 1, unit \d\): .* Each step "
         r"must pass the previous \(h, c\) to self\.cell, starting from zeros\. Run "
         r"check_lstm_cell first if it has not passed\.$"),
    case(s.StopGradientLSTM, s.load_fused_lstm, True,
         r"^The gradient with respect to x \(batch 1, length 6, with an initial state\) differs "
         r"from keras\.layers\.LSTM first at step 0 .*" + GRAD_HINT),
    case(s.StatesListLSTM, s.load_fused_lstm, False,
         r"^Your LSTM's call should return a pair \(outputs, \(h_T, c_T\)\)\.$"),
]


@pytest.mark.parametrize(("layer_class", "load", "thorough", "match"), LSTM_LAYER_MISTAKES)
def test_lstm_layer_mistake_fails(layer_class, load, thorough, match):
    assert_fails(checks.check_lstm_layer, layer_class, load, match=match, thorough=thorough)


def test_float32_lstm_layer_passes_with_a_note(capsys):
    checks.check_lstm_layer(s.TensorArrayLSTM, s.load_fused_lstm, thorough=True)
    out = capsys.readouterr().out
    assert out.startswith("✓ LSTM returns the same outputs") and "Checked in float32" in out


# ---------------------------------------------------------------------------------------------
# check_gru_cell and check_gru_layer
# ---------------------------------------------------------------------------------------------

RIGHT_GRU_CELLS = [(s.FusedGRUCell, s.load_fused_gru),
                   (s.TorchOrderGRUCell, s.load_torch_order_gru)]


@pytest.mark.parametrize(("cell_class", "load"), RIGHT_GRU_CELLS, ids=name_of)
def test_right_gru_cell_passes_thorough(cell_class, load, capsys):
    checks.check_gru_cell(cell_class, load, thorough=True)
    assert capsys.readouterr().out == (
        f"✓ GRUCell, loaded by {load.__name__}, computes the same h as keras.layers.GRU at every "
        "step, on every shape, with the same gradients.\n")


def test_right_gru_cell_passes_quick():
    checks.check_gru_cell(s.FusedGRUCell, s.load_fused_gru)


GRU_CELL_MISTAKES = [
    case(s.SwappedZGRUCell, s.load_fused_gru, False,
         loaded_differs("load_fused_gru", "state H", "GRUCell", GRU_HINT)),
    case(s.ResetBeforeMatmulGRUCell, s.load_fused_gru, False,
         loaded_differs("load_fused_gru", "state H", "GRUCell", GRU_HINT)),
    case(s.TorchOrderGRUCell, s.load_gru_as_torch_order, False,
         gates_swapped("load_gru_as_torch_order", "z", "r", "GRUCell")),
    case(s.FusedGRUCell, s.load_gru_input_bias_only, False,
         loaded_differs("load_gru_input_bias_only", "state H", "GRUCell", GRU_HINT)),
]


@pytest.mark.parametrize(("cell_class", "load", "thorough", "match"), GRU_CELL_MISTAKES)
def test_gru_cell_mistake_fails(cell_class, load, thorough, match):
    assert_fails(checks.check_gru_cell, cell_class, load, match=match, thorough=thorough)


RIGHT_GRU_LAYERS = [(s.LoopGRU, s.load_fused_gru), (s.ScanGRU, s.load_torch_order_gru)]


@pytest.mark.parametrize(("layer_class", "load"), RIGHT_GRU_LAYERS, ids=name_of)
def test_right_gru_layer_passes_thorough(layer_class, load, capsys):
    checks.check_gru_layer(layer_class, load, thorough=True)
    assert capsys.readouterr().out == (
        "✓ GRU returns the same outputs and final h as keras.layers.GRU, on every shape, with the "
        "same gradients.\n")


GRU_LAYER_MISTAKES = [
    case(s.IgnoresInitialStateGRU, s.load_fused_gru, False,
         r"^Your GRU ignores initial_state: its outputs are those of a zero initial state; start "
         r"the first step from the h passed as initial_state\.$"),
    case(s.StopGradientGRU, s.load_fused_gru, True,
         r"^The gradient with respect to x \(batch 1, length 6, with an initial state\) differs "
         r"from keras\.layers\.GRU first at step 0 .*" + GRAD_HINT),
]


@pytest.mark.parametrize(("layer_class", "load", "thorough", "match"), GRU_LAYER_MISTAKES)
def test_gru_layer_mistake_fails(layer_class, load, thorough, match):
    assert_fails(checks.check_gru_layer, layer_class, load, match=match, thorough=thorough)


# ---------------------------------------------------------------------------------------------
# check_padding_invariance
# ---------------------------------------------------------------------------------------------

RIGHT_PADDED = [s.MaskZeroClassifier, s.SequentialMaskClassifier, s.ExplicitMaskClassifier]


@pytest.mark.parametrize("model_class", RIGHT_PADDED, ids=name_of)
def test_right_padding_passes_thorough(model_class, capsys):
    checks.check_padding_invariance(model_class, thorough=True)
    assert capsys.readouterr().out == (
        "✓ The classifier's logits do not change when its batch is padded and it trains every "
        "weight.\n")


def test_right_padding_passes_quick(capsys):
    checks.check_padding_invariance(s.MaskZeroClassifier)
    assert capsys.readouterr().out == (
        "✓ The classifier's logits do not change when its batch is padded.\n")


PADDING = r"^The logits of sequence 0 \(length 5\) change when its batch is padded to length 7: " \
    r"by \d\.\de-\d\d relative to the sequence alone \(tolerance 1e-08\)\. Give the Embedding " \
    r"mask_zero=True \(or pass a mask to the LSTM\), so that the LSTM skips the padding .*\.$"


@pytest.mark.parametrize("thorough", [False, True])
@pytest.mark.parametrize("model_class", [s.NoMaskClassifier, s.LastPaddedStepClassifier],
                         ids=name_of)
def test_padding_mistake_fails(model_class, thorough):
    assert_fails(checks.check_padding_invariance, model_class, match=PADDING, thorough=thorough)


def test_masked_model_is_built_in_float64():
    seen = []

    class Spy(s.MaskZeroClassifier):
        def call(self, ids):
            logits = super().call(ids)
            seen.append((self.embedding.embeddings.dtype, self.lstm.cell.kernel.dtype,
                         tf.as_dtype(logits.dtype).name))
            return logits

    checks.check_padding_invariance(Spy)
    assert seen and set(seen) == {("float64", "float64", "float64")}


# ---------------------------------------------------------------------------------------------
# Global state
# ---------------------------------------------------------------------------------------------


def test_layers_built_after_the_checks_are_float32_again():
    checks.check_gru_cell(s.FusedGRUCell, s.load_fused_gru)
    assert_fails(checks.check_lstm_cell, s.OldCLSTMCell, s.load_fused_lstm, match=ZERO_H,
                 thorough=False)
    assert_fails(checks.check_padding_invariance, s.NoMaskClassifier, match="padded",
                 thorough=False)
    assert s.FusedLSTMCell(3, 4).kernel.dtype == "float32"
    assert keras.ops.zeros((1,)).dtype == "float32"
    lstm = keras.layers.LSTM(2)
    lstm.build((None, None, 3))
    assert lstm.cell.kernel.dtype == "float32"


@pytest.mark.parametrize("check", ["check_lstm_cell", "check_lstm_layer", "check_gru_cell",
                                   "check_gru_layer", "check_padding_invariance"])
def test_public_functions_are_bound(check):
    assert callable(getattr(checks, check))
