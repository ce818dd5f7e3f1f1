"""Tests for Lesson 3's checks in rnncourse.checks.tensorflow (Keras 3: reverse_padded,
Bidirectional, Stacked, pooling).

Every check must pass on right solutions written in different styles and fail, with one clear
sentence, on the classic mistakes. The students' code lives in ``deep_students_keras``.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnncourse.checks import deep
from rnncourse.checks import tensorflow as checks
from rnncourse.errors import CheckFailed
from rnncourse.tensorflow import Recurrent

from . import deep_students_keras as s

# Keras warns when a layer holding its built-in LSTM is called before being built.
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


def case(students, thorough: bool, match: str):
    """One parametrized mistake: the student's code, the mode, the message expected."""
    students = students if isinstance(students, tuple) else (students,)
    mode = "thorough" if thorough else "quick"
    return pytest.param(students, thorough, match,
                        id="-".join(name_of(x) for x in students) + f"-{mode}")


def assert_fails(check, *args, match: str, thorough: bool) -> str:
    with pytest.raises(CheckFailed, match=match) as error:
        check(*args, thorough=thorough)
    message = str(error.value)
    assert "\n" not in message and message.endswith("."), message
    assert keras_is_float32()
    return message


CASE = r"lengths 7, 3, 5, 1 padded to 7 steps"
GRAD_HINT = r"without \.numpy\(\), tf\.stop_gradient or NumPy arrays\.$"

# ---------------------------------------------------------------------------------------------
# check_reverse_padded
# ---------------------------------------------------------------------------------------------

REVERSE_OK = ("✓ reverse_padded reverses each sequence within its own length, leaves the padding "
              "in place and passes gradients back")


@pytest.mark.parametrize("function", [s.reverse_by_reverse_sequence, s.reverse_by_gather,
                                      s.reverse_by_loop], ids=name_of)
def test_right_reverse_padded_passes_thorough(function, capsys):
    checks.check_reverse_padded(function, thorough=True)
    assert capsys.readouterr().out == REVERSE_OK + ", on every shape.\n"


def test_right_reverse_padded_passes_quick(capsys):
    checks.check_reverse_padded(s.reverse_by_reverse_sequence)
    assert capsys.readouterr().out == REVERSE_OK + ".\n"


def test_float32_reverse_padded_passes_with_a_note(capsys):
    checks.check_reverse_padded(s.reverse_float32_mask)
    out = capsys.readouterr().out
    assert out.startswith(REVERSE_OK + ".\n") and "Checked in float32" in out


NO_GRADIENT = r"^No gradient flows through your reverse_padded back to x: use tf or keras\.ops " \
    r"operations on the tensors themselves .*" + GRAD_HINT
REVERSE_MISTAKES = [
    case(s.reverse_flip_all, False,
         rf"^Your reverse_padded flips whole rows, padding included \(like "
         rf"tf\.reverse\(x, axis=\[1\]\)\), so a "
         rf"shorter sequence starts with its padding \({CASE}\): reverse each sequence within its "
         rf"own length"),
    case(s.reverse_padding_first, True,
         rf"^Your reverse_padded moves the padding to the front, before the reversed steps "
         rf"\({CASE}\): each reversed sequence must start at step 0, with its padding left at the "
         rf"end\.$"),
    case(s.reverse_stop_gradient, False, NO_GRADIENT),
    case(s.reverse_numpy, False, NO_GRADIENT),
]


@pytest.mark.parametrize(("students", "thorough", "match"), REVERSE_MISTAKES)
def test_reverse_padded_mistake_fails(students, thorough, match, capsys):
    assert_fails(checks.check_reverse_padded, *students, match=match, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


def test_unsolved_reverse_padded_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_reverse_padded(s.reverse_unsolved)
    assert keras_is_float32()


def test_reverse_padded_gets_float64_tensors_and_int32_lengths():
    seen = []

    def spy(x, lengths):
        seen.append((tf.as_dtype(x.dtype).name, tf.as_dtype(lengths.dtype).name,
                     tf.is_tensor(lengths), keras.config.floatx()))
        return s.reverse_by_reverse_sequence(x, lengths)

    checks.check_reverse_padded(spy)
    assert seen and set(seen) == {("float64", "int32", True, "float64")}


# ---------------------------------------------------------------------------------------------
# check_bidirectional
# ---------------------------------------------------------------------------------------------

BIDIRECTIONAL_OK = "✓ Bidirectional returns the same outputs, final states and gradients as "


@pytest.mark.parametrize("bidirectional_class", [s.Bidirectional, s.StackReshapeBidirectional],
                         ids=name_of)
def test_right_bidirectional_passes_thorough(bidirectional_class, capsys):
    checks.check_bidirectional(bidirectional_class, thorough=True)
    assert capsys.readouterr().out == (
        BIDIRECTIONAL_OK + "keras.layers.Bidirectional around keras.layers.LSTM and "
        "keras.layers.GRU, on every shape.\n")


@pytest.mark.parametrize("bidirectional_class", [s.Bidirectional, s.GatherBidirectional,
                                                 s.NaNPaddingBidirectional], ids=name_of)
def test_right_bidirectional_passes_quick(bidirectional_class, capsys):
    checks.check_bidirectional(bidirectional_class)
    assert capsys.readouterr().out == (
        BIDIRECTIONAL_OK + "keras.layers.Bidirectional around keras.layers.LSTM and "
        "keras.layers.GRU.\n")


BI_CASE = CASE + r", LSTM layers of 3 → 4"
FINAL_ORDER = r"return the forward layer's final tuple followed by the backward layer's, " \
    r"\(h_fwd, c_fwd, h_bwd, c_bwd\)\.$"

BIDIRECTIONAL_MISTAKES = [
    case(s.BackwardAcrossPaddingBidirectional, False,
         rf"^The backward half of your Bidirectional's outputs is right for the sequences as long "
         rf"as the batch but wrong for shorter ones \(sequence 1, length 3; {BI_CASE}\): reverse "
         rf"each sequence within its own length with reverse_padded, not across the padding, "
         rf"both before the backward layer and after it\.$"),
    case(s.SwappedHalvesBidirectional, False,
         rf"^Your Bidirectional's outputs hold the backward outputs first \({BI_CASE}\): "
         rf"concatenate the forward outputs first, then the backward ones, along the last "
         rf"axis\.$"),
    case(s.NotReversedBackBidirectional, False,
         rf"^The backward half of your Bidirectional's outputs is still in reading order "
         rf"\({BI_CASE}\): reverse the backward layer's outputs back within each length"),
    case(s.BackwardFinalFirstBidirectional, False,
         rf"^Your Bidirectional's final states hold the backward h \(h_bwd\) where the forward h "
         rf"\(h_fwd\) belongs \({BI_CASE}\): " + FINAL_ORDER),
    case(s.ForwardFinalOnlyBidirectional, False,
         r"^Your Bidirectional's final states hold 2 arrays but should hold 4: " + FINAL_ORDER),
    case(s.NestedFinalBidirectional, False,
         r"^Your Bidirectional's final states are a tuple of tuples; make them one flat tuple of "
         r"arrays \(add the tuples together\): " + FINAL_ORDER),
    case(s.PaddedStepFinalBidirectional, False,
         rf"^Your Bidirectional's final h_fwd is right for the sequences as long as the batch but "
         rf"wrong for shorter ones \(sequence 1, length 3; {BI_CASE}\): use the final tuple each "
         rf"layer returns"),
    case(s.StopGradientBidirectional, False,
         rf"^The gradient of your Bidirectional with respect to x \({BI_CASE}\) differs from "
         rf"keras\.layers\.Bidirectional\(keras\.layers\.LSTM\) first at step 0 .* Use tf or "
         rf"keras\.ops operations .*" + GRAD_HINT),
    case(s.BuiltinBidirectional, False,
         r"^Your Bidirectional uses Keras' own Bidirectional \('\w+'\); the exercise asks you to "
         r"build it from the layers that make_layer returns, without built-in bidirectional or "
         r"recurrent layers of its own\.$"),
]


@pytest.mark.parametrize(("students", "thorough", "match"), BIDIRECTIONAL_MISTAKES)
def test_bidirectional_mistake_fails(students, thorough, match, capsys):
    assert_fails(checks.check_bidirectional, *students, match=match, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


def test_unsolved_bidirectional_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_bidirectional(s.UnsolvedBidirectional)
    assert keras_is_float32()


def test_bidirectional_layers_are_float64_inside_the_check():
    seen = []

    class Spy(s.Bidirectional):
        def call(self, x, lengths):
            result = super().call(x, lengths)
            seen.append((tf.as_dtype(x.dtype).name, self.forward_layer.rnn.cell.kernel.dtype,
                         tf.as_dtype(result[0].dtype).name))
            return result

    checks.check_bidirectional(Spy)
    assert seen and set(seen) == {("float64", "float64", "float64")}


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_keras_bidirectional_with_a_mask_reverses_within_each_length(kind):
    """The reference: keras.layers.Bidirectional with a mask on post-padded batches equals the
    lesson's recipe, the backward layer reading each sequence reversed within its length."""
    backend = checks.BACKEND
    rng = np.random.default_rng(0)
    recorder = backend.recorder(kind)
    lengths, steps = (7, 3, 5, 1), 7
    x = rng.normal(size=(4, steps, 3))
    with checks._default_dtype("float64"):
        layers = [recorder.make(4), recorder.make(4)]
        lt = tf.constant(lengths)
        layers[0](tf.constant(x), lt)
        layers[1](tf.constant(x), lt)
    backend.randomize_layers(layers, rng)
    ref = backend.run_deep_reference(backend.deep_reference(kind, layers, 1, True), x,
                                     np.asarray(lengths))
    out_f, fin_f = layers[0](tf.constant(x), lt)
    out_b, fin_b = layers[1](tf.constant(deep.reverse_within(x, lengths)), lt)
    mask = deep.real_steps(lengths, steps)[..., None]
    expected = np.concatenate([out_f.numpy(), deep.reverse_within(out_b.numpy(), lengths)], -1)
    np.testing.assert_allclose(ref.outputs * mask, expected * mask, rtol=0, atol=1e-13)
    for got, want in zip(ref.final, (*fin_f, *fin_b), strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-13)


# ---------------------------------------------------------------------------------------------
# check_stacked
# ---------------------------------------------------------------------------------------------

STACKED_OK = ("✓ Stacked matches stacked keras.layers.LSTM and keras.layers.GRU layers in eval "
              "mode and applies dropout only between layers in training.\n")


def test_visible_stacked_with_bidirectional_stacks_it_too(capsys):
    checks.check_stacked(s.Stacked, s.Bidirectional)
    assert capsys.readouterr().out == (
        "✓ Stacked matches stacked keras.layers.LSTM and keras.layers.GRU layers in eval mode, "
        "also with your Bidirectional layers, and applies dropout only between layers in "
        "training.\n")
    with pytest.raises(CheckFailed, match=r"^Your Stacked's outputs .* bidirectional"):
        checks.check_stacked(s.Stacked, s.SwappedHalvesBidirectional)


def test_right_stacked_passes_thorough(capsys):
    checks.check_stacked(s.Stacked, s.Bidirectional, thorough=True)
    assert capsys.readouterr().out == (
        "✓ Stacked matches stacked keras.layers.LSTM and keras.layers.GRU layers in eval mode, "
        "also with your Bidirectional layers, and applies dropout only between layers in "
        "training, on every shape.\n")


@pytest.mark.parametrize("stacked_class", [s.Stacked, s.ImplicitTrainingStacked], ids=name_of)
def test_right_stacked_passes_quick(stacked_class, capsys):
    checks.check_stacked(stacked_class)
    assert capsys.readouterr().out == STACKED_OK


TRAIN_CASE = r"lengths 12, 9, 5, 12, 1, 7, 10, 3 padded to 12 steps, 2 LSTM layers of 3 → 4, " \
    r"dropout=0\.3"
EVAL_CASE = CASE + r", 2 LSTM layers of 3 → 4, dropout=0\.3"
LAYER_ORDER = r"list every layer's final tuple in layer order, \(h_0, c_0, h_1, c_1\)\.$"

STACKED_MISTAKES = [
    case(s.DropoutAfterLastStacked, False,
         rf"^In training mode your Stacked's outputs are the last layer's outputs with dropout "
         rf"applied \(\d+% zeroed; {TRAIN_CASE}\): dropout goes only between layers, so return "
         rf"the last layer's outputs as they are\.$"),
    case(s.EvalDropoutStacked, False,
         rf"^In eval mode your Stacked applies dropout to the input of layer 1 \(\d+% of the "
         rf"values zeroed, the rest scaled by 1\.43; {EVAL_CASE}\): call self\.dropout\(x, "
         rf"training=training\) with the training argument your call receives \(Keras passes "
         rf"False in evaluation\), never with training=True\.$"),
    case(s.InputDropoutStacked, False,
         rf"^In training mode layer 0 of your Stacked receives x with dropout applied \(\d+% of "
         rf"the values zeroed, the rest scaled by 1\.43; {TRAIN_CASE}\): dropout goes only "
         rf"between layers, so the first layer reads x as it is\.$"),
    case(s.NoDropoutStacked, False,
         rf"^In training mode layer 1 of your Stacked receives layer 0's outputs without dropout "
         rf"\({TRAIN_CASE}\): pass each layer's outputs through self\.dropout before the next "
         rf"layer reads them\.$"),
    case(s.ReversedFinalsStacked, False,
         rf"^Your Stacked's final states hold layer 1's h \(h_1\) where layer 0's h \(h_0\) "
         rf"belongs \({EVAL_CASE}, eval mode\): " + LAYER_ORDER),
    case(s.LastFinalOnlyStacked, False,
         r"^Your Stacked's final states hold 2 arrays, only one layer's final state, but should "
         r"hold 4: " + LAYER_ORDER),
    case(s.OriginalInputStacked, False,
         rf"^Layer 1 of your Stacked reads the original input x \({EVAL_CASE}\): each layer must "
         rf"read the previous layer's outputs, only layer 0 reads x\.$"),
    case(s.BuiltinStacked, False,
         r"^Your Stacked uses Keras' own LSTM \('\w+'\); the exercise asks you to build it from "
         r"the layers that make_layer returns"),
]


@pytest.mark.parametrize(("students", "thorough", "match"), STACKED_MISTAKES)
def test_stacked_mistake_fails(students, thorough, match, capsys):
    assert_fails(checks.check_stacked, *students, match=match, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


def test_stacked_with_a_wrong_bidirectional_fails_thorough():
    assert_fails(checks.check_stacked, s.Stacked, s.SwappedHalvesBidirectional, thorough=True,
                 match=r"^Your Stacked's outputs \(lengths 7, 3, 5, 1 padded to 7 steps, 2 LSTM "
                 r"layers of 3 → 4, bidirectional, dropout=0\.3, eval mode\) differ from 2 "
                 r"stacked keras\.layers\.Bidirectional\(keras\.layers\.LSTM\) layers first at "
                 r"step 0")


def test_unsolved_stacked_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_stacked(s.UnsolvedStacked)
    assert keras_is_float32()


def test_make_layer_is_called_with_hidden_size():
    calls = []

    class Spy(s.Stacked):
        def __init__(self, make_layer, hidden_size, num_layers, dropout=0.0, **kwargs):
            def spy(*args):
                layer = make_layer(*args)
                calls.append((args, isinstance(layer, Recurrent), layer.output_size))
                return layer

            super().__init__(spy, hidden_size, num_layers, dropout, **kwargs)

    checks.check_stacked(Spy)
    # 2 LSTM and 3 GRU layers in the eager check, then the 2 LSTM layers inside tf.function.
    assert calls == [((4,), True, 4)] * 7


# ---------------------------------------------------------------------------------------------
# check_pooling
# ---------------------------------------------------------------------------------------------

POOLING_OK = ("✓ max_over_time and mean_over_time pool over each sequence's real steps only, "
              "with the right gradients")


def test_right_pooling_passes_thorough(capsys):
    checks.check_pooling(s.max_where_inf, s.mean_cast_to_dtype, thorough=True)
    assert capsys.readouterr().out == POOLING_OK + ", on every shape.\n"


def test_float32_pooling_passes_with_a_note(capsys):
    checks.check_pooling(s.max_ops_where, s.mean_float32_mask)
    out = capsys.readouterr().out
    assert out.startswith(POOLING_OK + ".\n") and "Checked in float32" in out


WHERE = r"fill the padding with -inf first \(tf\.where with the mask\)\.$"
POOLING_MISTAKES = [
    case((s.max_with_padding, s.mean_cast_to_dtype), False,
         rf"^Your max_over_time picks values from the padding steps \({CASE}\), which the check "
         rf"fills with large values: take the maximum over each sequence's real steps only, "
         rf"e\.g\. " + WHERE),
    case((s.max_times_mask, s.mean_cast_to_dtype), False,
         rf"^Your max_over_time returns 0 where every real value is negative \({CASE}\): "
         rf"multiplying by the mask turns the padding into zeros, which beat negative values; "
         rf"instead " + WHERE),
    case((s.max_where_inf, s.mean_int_lengths), False,
         r"^Your code divides or multiplies a float tensor by an integer one \(`x` and `y` must "
         r"have the same dtype, got tf\.float64 != tf\.int32\): convert the integers first, "
         r"e\.g\. tf\.cast\(lengths, outputs\.dtype\)\.$"),
    case((s.max_stop_gradient, s.mean_cast_to_dtype), False,
         r"^No gradient flows through your max_over_time back to its input: use tf or keras\.ops "
         r"operations .*" + GRAD_HINT),
    case((s.max_where_inf, s.mean_over_all_steps), False,
         rf"^Your mean_over_time divides by the number of steps of the batch \(7\), not by each "
         rf"sequence's length \({CASE}\): divide the masked sum by lengths\.$"),
    case((s.max_where_inf, s.mean_with_padding), True,
         rf"^Your mean_over_time averages the padding steps too \({CASE}\), which the check fills "
         rf"with large values: sum only each sequence's real steps \(multiply by the mask\) and "
         rf"divide by its length\.$"),
]


@pytest.mark.parametrize(("students", "thorough", "match"), POOLING_MISTAKES)
def test_pooling_mistake_fails(students, thorough, match, capsys):
    assert_fails(checks.check_pooling, *students, match=match, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


def test_unsolved_pooling_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_pooling(s.max_unsolved, s.mean_cast_to_dtype)
    assert keras_is_float32()


# ---------------------------------------------------------------------------------------------
# Global state and output
# ---------------------------------------------------------------------------------------------


def test_checks_leave_float32_behind_and_write_nothing_to_stderr(capfd):
    checks.check_reverse_padded(s.reverse_by_reverse_sequence)
    checks.check_bidirectional(s.Bidirectional)
    assert_fails(checks.check_stacked, s.EvalDropoutStacked, match="eval mode", thorough=False)
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out.count("✓") == 2
    assert keras.ops.zeros((1,)).dtype == "float32"
    layer = Recurrent(3)
    layer(tf.zeros((1, 2, 5)), tf.constant([2]))
    assert layer.rnn.cell.kernel.dtype == "float32"


@pytest.mark.parametrize("check", ["check_reverse_padded", "check_bidirectional",
                                   "check_stacked", "check_pooling"])
def test_public_functions_are_bound(check):
    assert callable(getattr(checks, check))
