"""Tests for rnncourse.checks.tensorflow (Keras 3).

Every check must pass on right solutions written in different styles and fail, with one clear
sentence, on the classic mistakes. The students' code lives in ``students_keras``.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnncourse.checks import rnn as neutral
from rnncourse.checks import tensorflow as checks
from rnncourse.errors import CheckFailed

from . import students_keras as s

# Keras warns when a model holding its built-in SimpleRNN/LSTM is called before being built.
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


def case(student, thorough: bool, match: str):
    """One parametrized mistake: the student's code, the check's mode, the message expected."""
    return pytest.param(student, thorough, match,
                        id=f"{name_of(student)}-{'thorough' if thorough else 'quick'}")


def assert_fails(check, *args, match: str, thorough: bool) -> str:
    with pytest.raises(CheckFailed, match=match) as error:
        check(*args, thorough=thorough)
    message = str(error.value)
    assert "\n" not in message and message.endswith("."), message
    assert keras_is_float32()
    return message


GRAD_HINT = r"\(no \.numpy\(\), tf\.stop_gradient or Python floats\) and use every weight\.$"

# ---------------------------------------------------------------------------------------------
# check_rnn_cell
# ---------------------------------------------------------------------------------------------

RIGHT_CELLS = [s.PlainCell, s.TorchLayoutCell, s.LazyFusedCell, s.DenseLayersCell]


@pytest.mark.parametrize("cell_class", RIGHT_CELLS, ids=name_of)
def test_right_cell_passes_thorough(cell_class, capsys):
    checks.check_rnn_cell(cell_class, thorough=True)
    assert capsys.readouterr().out == (
        "✓ RNNCell computes the same states as keras.layers.SimpleRNNCell on every shape, with "
        "the same gradients.\n"
    )


def test_right_cell_passes_quick(capsys):
    checks.check_rnn_cell(s.LazyFusedCell)
    assert capsys.readouterr().out == (
        "✓ RNNCell computes the same states as keras.layers.SimpleRNNCell.\n")


WRONG_NEW_STATE = r"RNNCell's new state \(batch \d, input \d, hidden \d\) differs from " \
    r"keras\.layers\.SimpleRNNCell at example \d, unit \d: .* The new state must be " \
    r"tanh\(x·W \+ s·H \+ b\)\."

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
    case(s.IgnoresInputCell, False, r"^Your RNNCell ignores its input x: the output does not "),
    case(s.OffsetAfterTanhCell, False, r"every parameter set to zero your RNNCell returns values "
         r"up to 0\.1,"),
    case(s.OffsetInsideTanhCell, False, r"every parameter set to zero your RNNCell returns values "
         r"up to 0\.0997,"),
    case(s.StopGradientStateCell, True, r"^The gradient of the loss with respect to the state "
         r"differs from keras\.layers\.SimpleRNNCell at example 0, unit 0: got 0, .*" + GRAD_HINT),
    case(s.NumpyMathCell, True, r"^The gradient of the loss with respect to x differs from "
         r"keras\.layers\.SimpleRNNCell .*: got 0, .*" + GRAD_HINT),
    case(s.MissingBiasCell, False, r"^Your RNNCell with input size 3 and hidden size 4 has 28 "
         r"parameters \([\w/]+W 12, [\w/]+H 16\), but W \(3×4\), H \(4×4\) and b \(4\) make 32\.$"),
    # At size (1, 1) an extra H has as many elements as a second bias; (3, 4) catches it.
    case(s.ExtraMatrixCell, True, r"with input size 3 and hidden size 4 has 48 parameters"),
    case(s.UnusedBiasCell, True, r"^The parameter '[\w/]+/b2' of your RNNCell receives no "
         r"gradient\. .*" + GRAD_HINT),
    case(s.TfVariableCell, False, r"^Your RNNCell has no trainable parameters\. Create W, H and b "
         r"with self\.add_weight so Keras can train them\.$"),
    case(s.NonTrainableCell, False, r"^Your RNNCell has no trainable parameters\."),
    case(s.KerasStyleTupleCell, False, r"^RNNCell\.call returned a tuple; it should return a "
         r"tensor\.$"),
    case(s.NotALayerCell, False, r"^NotALayerCell must be a subclass of keras\.layers\.Layer\.$"),
]


@pytest.mark.parametrize(("cell_class", "thorough", "match"), CELL_MISTAKES)
def test_cell_mistake_fails(cell_class, thorough, match):
    assert_fails(checks.check_rnn_cell, cell_class, match=match, thorough=thorough)


def test_failed_check_prints_no_tick(capsys):
    assert_fails(checks.check_rnn_cell, s.IgnoresStateCell, match="ignores", thorough=False)
    assert "✓" not in capsys.readouterr().out


@pytest.mark.parametrize(("cell_class", "error"),
                         [(s.BrokenInitCell, ValueError), (s.BrokenCallCell, RuntimeError)])
def test_student_exceptions_propagate_and_restore_floatx(cell_class, error):
    with pytest.raises(error, match="student bug"):
        checks.check_rnn_cell(cell_class, thorough=True)
    assert keras_is_float32()


def test_checks_run_the_student_code_in_float64():
    seen = []

    class SpyCell(s.PlainCell):
        def call(self, x, state):
            dtypes = (x.dtype, state.dtype, self.W.dtype, keras.ops.zeros((1,)).dtype)
            seen.append((keras.config.floatx(), *(tf.as_dtype(d).name for d in dtypes)))
            return super().call(x, state)

    checks.check_rnn_cell(SpyCell)
    assert seen and set(seen) == {("float64",) * 5}


def test_layers_built_after_a_check_are_float32_again():
    assert_fails(checks.check_rnn_cell, s.NoTanhCell, match="must be tanh", thorough=False)
    checks.check_rnn_cell(s.DenseLayersCell)
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    assert dense.kernel.dtype == "float32"
    assert s.PlainCell(3, 4).W.dtype == "float32"
    assert keras.ops.zeros((1,)).dtype == "float32"


# ---------------------------------------------------------------------------------------------
# check_rnn_layer
# ---------------------------------------------------------------------------------------------

RIGHT_LAYERS = [s.LoopRNN, s.WhileRNN, s.ScanRNN, s.ComprehensionRNN]


@pytest.mark.parametrize("layer_class", RIGHT_LAYERS, ids=name_of)
def test_right_layer_passes_thorough(layer_class, capsys):
    checks.check_rnn_layer(layer_class, thorough=True)
    assert "✓ RNN returns the same outputs and final state as keras.layers.SimpleRNN on every " \
        "shape" in capsys.readouterr().out


def test_right_layer_passes_quick():
    checks.check_rnn_layer(s.LoopRNN)


IGNORES_INITIAL_STATE = r"^Your RNN layer ignores initial_state: the final state after one " \
    r"step does not change when initial_state does\.$"
OUTPUTS_SHAPE = r"^The outputs of your RNN for a batch of 2 sequences of length 3 have shape {} " \
    r"but should have shape \(2, 3, 4\)\. Return \(outputs, final_state\)"

LAYER_MISTAKES = [
    case(s.IgnoresInitialStateRNN, False, IGNORES_INITIAL_STATE),
    case(s.IgnoresInitialStateRNN, True, IGNORES_INITIAL_STATE),
    case(s.FirstStateAsFinalRNN, False, r"^Your RNN's final state \(batch 2, length 5, without an "
         r"initial state\) differs from keras\.layers\.SimpleRNN at sequence \d, unit \d: .* The "
         r"final state is the state after the last step\.$"),
    case(s.ReversedTimeRNN, False, r"^Your RNN's outputs \(batch 2, length 5, without an initial "
         r"state\) differ from keras\.layers\.SimpleRNN first at step 0 \(sequence \d, step 0, "
         r"unit \d\)"),
    case(s.StaleStateRNN, False, r"differ from keras\.layers\.SimpleRNN first at step 1 "
         r"\(sequence \d, step 1, unit \d\): .* Each step must feed the previous state into the "
         r"cell, starting from zeros\.$"),
    case(s.IgnoresInputRNN, False, r"^Your RNN layer run for one step ignores its input x"),
    case(s.StopGradientBetweenStepsRNN, True, r"^The gradient with respect to x \(batch \d, length "
         r"\d, without an initial state\) differs from keras\.layers\.SimpleRNN first at step 0 "
         r".*" + GRAD_HINT),
    case(s.NumpyOutputsRNN, True, r"^The gradient with respect to x .* differs from "
         r"keras\.layers\.SimpleRNN first at step 0 .*" + GRAD_HINT),
    case(s.MissingStepRNN, False, OUTPUTS_SHAPE.format(r"\(2, 2, 4\)")),
    case(s.TimeMajorOutputsRNN, False, OUTPUTS_SHAPE.format(r"\(3, 2, 4\)")),
    case(s.StateListRNN, False, r"^RNN\.call \(final\) returned a list; it should return a "
         r"tensor\.$"),
    case(s.OutputsOnlyRNN, False, r"^Your RNN's call should return a pair \(outputs, "
         r"final_state\)\.$"),
    case(s.ExtraLayerRNN, False, r"^Your RNN layer with input size 3 and hidden size 4 has 52 "
         r"parameters \(.*/W 12, .*/H 16, .*/b 4, .*/kernel 16, .*/bias 4\)"),
]


@pytest.mark.parametrize(("layer_class", "thorough", "match"), LAYER_MISTAKES)
def test_layer_mistake_fails(layer_class, thorough, match):
    assert_fails(checks.check_rnn_layer, layer_class, match=match, thorough=thorough)


def test_layer_with_a_wrong_cell_fails():
    class ReluRNN(s.LoopRNN):
        cell_class = s.ReluCell

    assert_fails(checks.check_rnn_layer, ReluRNN, thorough=False,
                 match=r"^Your RNN's outputs .* differ from keras\.layers\.SimpleRNN first")


# ---------------------------------------------------------------------------------------------
# check_classifier
# ---------------------------------------------------------------------------------------------

RIGHT_CLASSIFIERS = [s.GatherClassifier, s.OneHotClassifier, s.TakeAlongAxisClassifier,
                     s.MaskedCarryClassifier, s.MeanOverRealStepsClassifier]


@pytest.mark.parametrize("model_class", RIGHT_CLASSIFIERS, ids=name_of)
def test_right_classifier_passes_thorough(model_class, capsys):
    checks.check_classifier(model_class, thorough=True)
    assert capsys.readouterr().out == (
        "✓ The classifier returns one logit per class, ignores padding and trains every weight.\n")


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
    case(s.PerStepLogitsClassifier, False, r"^The logits of your classifier for 3 sequences have "
         r"shape \(3, 7, 4\) but should have shape \(3, 4\)\."),
    case(s.BuiltinSimpleRNNClassifier, False, r"^Your classifier uses Keras' SimpleRNN \('\w+'\); "
         r"the exercise asks you to build it from your own code, without built-in recurrent "
         r"layers\.$"),
    case(s.BuiltinLSTMClassifier, False, r"^Your classifier uses Keras' LSTM \('\w+'\)"),
    case(s.BuiltinCellClassifier, True, r"^Your classifier uses Keras' SimpleRNNCell \('\w+'\)"),
    case(s.UnusedWeightClassifier, True, r"^The parameter '[\w/]+/spare' of your classifier "
         r"receives no gradient\. .*" + GRAD_HINT),
    case(s.StopGradientEmbeddingClassifier, True, r"^The parameter '[\w/]+/embeddings' of your "
         r"classifier receives no gradient\."),
]


@pytest.mark.parametrize(("model_class", "thorough", "match"), CLASSIFIER_MISTAKES)
def test_classifier_mistake_fails(model_class, thorough, match):
    assert_fails(checks.check_classifier, model_class, match=match, thorough=thorough)


# ---------------------------------------------------------------------------------------------
# check_weight_loading
# ---------------------------------------------------------------------------------------------

RIGHT_LOADERS = [(s.PlainCell, s.load_plain), (s.PlainCell, s.load_with_set_weights),
                 (s.PlainCell, s.load_from_cell_attributes),
                 (s.TorchLayoutCell, s.load_torch_layout), (s.LazyFusedCell, s.load_fused)]


@pytest.mark.parametrize(("cell_class", "load"), RIGHT_LOADERS, ids=name_of)
def test_right_weight_loading_passes_thorough(cell_class, load, capsys):
    checks.check_weight_loading(cell_class, load, thorough=True)
    assert capsys.readouterr().out == (
        "✓ With the loaded weights your cell reproduces keras.layers.SimpleRNN step by step.\n")


def test_right_weight_loading_passes_quick():
    checks.check_weight_loading(s.PlainCell, s.load_plain)


LOADING_HINT = r"SimpleRNN's get_weights\(\) returns \[kernel \(input×hidden\), recurrent_kernel " \
    r"\(hidden×hidden\), bias \(hidden\)\]: the lesson's W, H and b, in that order\.$"

LOADING_MISTAKES = [
    # Transposing fits the shapes only when input size = hidden size: thorough's (4, 4).
    case(s.load_transposed, True, r"^After load_transposed, your cell unrolled over a batch of 1 "
         r"\(input 4, hidden 4\) differs from keras\.layers\.SimpleRNN first at step 0 .*"
         + LOADING_HINT),
    # With input size ≠ hidden size Keras refuses the assignment; its message is quoted short.
    case(s.load_transposed, False, r"^load_transposed raised ValueError \(The shape of the target "
         r"variable and the shape of the target value in `variable\.assign\(value\)` must match\. "
         r"variable\.shape=\(3, 4\), Received: value\.shape=\(4, 3\)\); " + LOADING_HINT),
    case(s.load_swapped, True, r"^After load_swapped, your cell unrolled over a batch of 1 "
         r"\(input 1, hidden 1\) differs from keras\.layers\.SimpleRNN first at step 0"),
    case(s.load_without_bias, False, r"^After load_without_bias, .* differs from "
         r"keras\.layers\.SimpleRNN first at step 0 .*" + LOADING_HINT),
    case(s.load_nothing, False, r"^After load_nothing, .* differs from keras\.layers\.SimpleRNN "
         r"first at step 0"),
    case(s.load_nothing, True, r"^After load_nothing, .* differs from keras\.layers\.SimpleRNN "
         r"first at step 0"),
]


@pytest.mark.parametrize(("load", "thorough", "match"), LOADING_MISTAKES)
def test_weight_loading_mistake_fails(load, thorough, match):
    assert_fails(checks.check_weight_loading, s.PlainCell, load, match=match, thorough=thorough)


def test_weight_loading_transposed_on_square_sizes_only():
    # The neutral check with equal input and hidden size, so the wrong layout fits the shapes.
    with pytest.raises(CheckFailed, match=r"input 4, hidden 4\) differs .*" + LOADING_HINT):
        neutral.check_weight_loading(checks.BACKEND, s.PlainCell, s.load_transposed,
                                     sizes=((4, 4),))
    assert keras_is_float32()


# ---------------------------------------------------------------------------------------------
# Right in float32 but float32 is hard-coded: the float64 checks crash on them (bug)
# ---------------------------------------------------------------------------------------------

FLOAT64_BUG = (
    "BUG: the Keras checks run student code in float64, but tf.zeros, tf.one_hot and "
    "tf.TensorArray(tf.float32) stay float32, so these solutions, right in float32 training, "
    "crash with TensorFlow's InvalidArgumentError instead of passing."
)


def test_float32_style_solutions_are_right_in_float32():
    layer = s.TensorArrayRNN(3, 4)
    x = tf.random.normal((2, 5, 3), seed=1)
    outputs, final = layer(x)
    reference = keras.layers.SimpleRNN(4, return_sequences=True)
    reference.build((None, None, 3))
    reference.set_weights([w.numpy() for w in layer.cell.weights])
    np.testing.assert_allclose(outputs, reference(x), atol=1e-6)
    np.testing.assert_allclose(final, outputs[:, -1], atol=0)
    ids = np.array([[3, 4, 5, 0, 0], [6, 7, 0, 0, 0], [8, 9, 10, 11, 12]])
    for model_class in (s.TfOneHotClassifier, s.TfZerosCarryClassifier):
        model = model_class(30, 5, 6, 4)
        batch = model(tf.constant(ids))
        for row, length in enumerate((3, 2, 5)):
            alone = model(tf.constant(ids[row:row + 1, :length]))[0]
            np.testing.assert_allclose(batch[row], alone, atol=1e-6)


def test_tensor_array_layer_passes(capsys):
    checks.check_rnn_layer(s.TensorArrayRNN, thorough=True)
    assert "Checked in float32" in capsys.readouterr().out


@pytest.mark.parametrize("model_class", [s.TfOneHotClassifier, s.TfZerosCarryClassifier],
                         ids=name_of)
def test_tf_float32_classifier_passes(model_class, capsys):
    checks.check_classifier(model_class, thorough=True)
    assert "Checked in float32" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# check_accuracy
# ---------------------------------------------------------------------------------------------


def test_check_accuracy_is_the_neutral_one():
    assert checks.check_accuracy is neutral.check_accuracy
    checks.check_accuracy(tf.constant(0.9), 0.5)
    with pytest.raises(CheckFailed, match=r"accuracy is 0\.2000, below the 0\.50"):
        checks.check_accuracy(tf.constant(0.2), 0.5)
    with pytest.raises(CheckFailed, match=r"accuracy is nan"):
        checks.check_accuracy(float("nan"), 0.5)
