"""Tests for Lesson 3's checks in rnncourse.checks.pytorch (reverse_padded, Bidirectional,
Stacked, pooling).

Every check must pass on right solutions written in different styles and fail, with one clear
sentence, on the classic mistakes. The students' code lives in ``deep_students_torch``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnncourse.checks import deep
from rnncourse.checks import pytorch as checks
from rnncourse.errors import CheckFailed
from rnncourse.pytorch import Recurrent

from . import deep_students_torch as s


@pytest.fixture(autouse=True)
def _default_dtype_is_restored():
    assert torch.get_default_dtype() == torch.float32
    yield
    assert torch.get_default_dtype() == torch.float32, "a check left float64 as the default dtype"


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
    assert torch.get_default_dtype() == torch.float32
    return message


CASE = r"lengths 7, 3, 5, 1 padded to 7 steps"
GRAD_HINT = r"without \.detach\(\), \.data, \.numpy\(\), \.item\(\) or torch\.no_grad\(\)\.$"

# ---------------------------------------------------------------------------------------------
# check_reverse_padded
# ---------------------------------------------------------------------------------------------

REVERSE_OK = ("✓ reverse_padded reverses each sequence within its own length, leaves the padding "
              "in place and passes gradients back")


@pytest.mark.parametrize("function", [s.reverse_by_gather, s.reverse_by_loop,
                                      s.reverse_by_index], ids=name_of)
def test_right_reverse_padded_passes_thorough(function, capsys):
    checks.check_reverse_padded(function, thorough=True)
    assert capsys.readouterr().out == REVERSE_OK + ", on every shape.\n"


def test_right_reverse_padded_passes_quick(capsys):
    checks.check_reverse_padded(s.reverse_by_gather)
    assert capsys.readouterr().out == REVERSE_OK + ".\n"


REVERSE_MISTAKES = [
    case(s.reverse_flip_all, False,
         rf"^Your reverse_padded flips whole rows, padding included \(like x\.flip\(1\)\), so a "
         rf"shorter sequence starts with its padding \({CASE}\): reverse each sequence within its "
         rf"own length \(its first length steps\) and leave the padding steps where they are\.$"),
    case(s.reverse_flip_all, True, r"^Your reverse_padded flips whole rows"),
    case(s.reverse_padding_first, False,
         rf"^Your reverse_padded moves the padding to the front, before the reversed steps "
         rf"\({CASE}\): each reversed sequence must start at step 0, with its padding left at the "
         rf"end\.$"),
    case(s.reverse_zero_padding, False,
         rf"^Your reverse_padded reverses the real steps but changes the padding \(first at "
         rf"sequence 1, step 3, length 3; {CASE}\): leave the padding steps \(t >= length\) "
         rf"unchanged\.$"),
    case(s.reverse_detached, False,
         r"^No gradient flows through your reverse_padded back to x: use torch operations on the "
         r"tensors themselves .*" + GRAD_HINT),
    case(s.reverse_transposed, False,
         r"^The result of reverse_padded for x of shape \(4, 7, 3\) \(lengths 7, 3, 5, 1 padded "
         r"to 7 steps\) has shape \(7, 4, 3\) but should have shape \(4, 7, 3\)\. It should have "
         r"x's shape: \(batch, steps, features\)\.$"),
]


@pytest.mark.parametrize(("students", "thorough", "match"), REVERSE_MISTAKES)
def test_reverse_padded_mistake_fails(students, thorough, match, capsys):
    assert_fails(checks.check_reverse_padded, *students, match=match, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


def test_reverse_padded_that_returns_x_fails():
    assert_fails(checks.check_reverse_padded, lambda x, lengths: x * 1, thorough=False,
                 match=rf"^Your reverse_padded returns x unchanged \({CASE}\): reverse the first "
                 r"length steps of each sequence\.$")


def test_reverse_padded_off_by_one_names_the_first_step():
    def shifted(x, lengths):
        return s.reverse_by_gather(x, lengths - 1)

    assert_fails(checks.check_reverse_padded, shifted, thorough=False,
                 match=rf"^The result of your reverse_padded \({CASE}\) differs from each sequence "
                 r"reversed within its length first at step 0 \(sequence \d, step 0, feature \d\): "
                 r"got .* Step t < length must hold the input's step length - 1 - t")


def test_unsolved_reverse_padded_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_reverse_padded(s.reverse_unsolved)


def test_reverse_padded_gets_float64_tensors_and_int64_lengths():
    seen = []

    def spy(x, lengths):
        seen.append((x.dtype, lengths.dtype, torch.is_tensor(lengths), x.requires_grad))
        return s.reverse_by_gather(x, lengths)

    checks.check_reverse_padded(spy)
    assert seen and set(seen) == {(torch.float64, torch.int64, True, True)}


# ---------------------------------------------------------------------------------------------
# check_bidirectional
# ---------------------------------------------------------------------------------------------

BIDIRECTIONAL_OK = "✓ Bidirectional returns the same outputs, final states and gradients as "
RIGHT_BIDIRECTIONAL = [s.Bidirectional, s.LoopReverseBidirectional, s.StackReshapeBidirectional,
                       s.NaNPaddingBidirectional]


@pytest.mark.parametrize("bidirectional_class", RIGHT_BIDIRECTIONAL, ids=name_of)
def test_right_bidirectional_passes_thorough(bidirectional_class, capsys):
    checks.check_bidirectional(bidirectional_class, thorough=True)
    assert capsys.readouterr().out == (
        BIDIRECTIONAL_OK + "torch.nn.LSTM and torch.nn.GRU with bidirectional=True, on every "
        "shape.\n")


def test_right_bidirectional_passes_quick(capsys):
    checks.check_bidirectional(s.Bidirectional)
    assert capsys.readouterr().out == (
        BIDIRECTIONAL_OK + "torch.nn.LSTM and torch.nn.GRU with bidirectional=True.\n")


BI_CASE = CASE + r", LSTM layers of 3 → 4"
FINAL_ORDER = r"return the forward layer's final tuple followed by the backward layer's, " \
    r"\(h_fwd, c_fwd, h_bwd, c_bwd\)\.$"

BIDIRECTIONAL_MISTAKES = [
    case(s.BackwardAcrossPaddingBidirectional, False,
         rf"^The backward half of your Bidirectional's outputs is right for the sequences as long "
         rf"as the batch but wrong for shorter ones \(sequence 1, length 3; {BI_CASE}\): reverse "
         rf"each sequence within its own length with reverse_padded, not across the padding, "
         rf"both before the backward layer and after it\.$"),
    case(s.BackwardAcrossPaddingBidirectional, True,
         r"^The backward half of your Bidirectional's outputs is right for the sequences as long "
         r"as the batch but wrong for shorter ones"),
    case(s.SwappedHalvesBidirectional, False,
         rf"^Your Bidirectional's outputs hold the backward outputs first \({BI_CASE}\): "
         rf"concatenate the forward outputs first, then the backward ones, along the last "
         rf"axis\.$"),
    case(s.NotReversedBackBidirectional, False,
         rf"^The backward half of your Bidirectional's outputs is still in reading order "
         rf"\({BI_CASE}\): reverse the backward layer's outputs back within each length "
         rf"\(reverse_padded again\), so that step t holds the state after reading steps "
         rf"t\.\.length-1\.$"),
    case(s.NotReversedBackBidirectional, True, r"^The backward half of your Bidirectional's "
         r"outputs is still in reading order"),
    case(s.BackwardFinalFirstBidirectional, False,
         rf"^Your Bidirectional's final states hold the backward h \(h_bwd\) where the forward h "
         rf"\(h_fwd\) belongs \({BI_CASE}\): " + FINAL_ORDER),
    case(s.BackwardFinalFirstBidirectional, True, r"^Your Bidirectional's final states hold the "
         r"backward h \(h_bwd\) where the forward h \(h_fwd\) belongs"),
    case(s.ForwardFinalOnlyBidirectional, False,
         r"^Your Bidirectional's final states hold 2 arrays but should hold 4: " + FINAL_ORDER),
    case(s.NestedFinalBidirectional, False,
         r"^Your Bidirectional's final states are a tuple of tuples; make them one flat tuple of "
         r"arrays \(add the tuples together\): " + FINAL_ORDER),
    case(s.PaddedStepFinalBidirectional, False,
         rf"^Your Bidirectional's final h_fwd is right for the sequences as long as the batch but "
         rf"wrong for shorter ones \(sequence 1, length 3; {BI_CASE}\): use the final tuple each "
         rf"layer returns, the state after each sequence's last real step, not its outputs at "
         rf"the last padded step\.$"),
    case(s.DetachedBackwardBidirectional, False,
         rf"^The gradient of your Bidirectional with respect to x \({BI_CASE}\) differs from "
         rf"torch\.nn\.LSTM\(bidirectional=True\) first at step 0 .* Use torch operations .*"
         + GRAD_HINT),
    case(s.BuiltinBidirectional, False,
         r"^Your Bidirectional uses PyTorch's own LSTM \('lstm', bidirectional=True\); the "
         r"exercise asks you to build it from the layers that make_layer returns, without "
         r"built-in bidirectional or multi-layer recurrent layers\.$"),
]


@pytest.mark.parametrize(("students", "thorough", "match"), BIDIRECTIONAL_MISTAKES)
def test_bidirectional_mistake_fails(students, thorough, match, capsys):
    assert_fails(checks.check_bidirectional, *students, match=match, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


class ForwardLayerTwiceBidirectional(s.GivenBidirectional):
    """Runs the forward layer in both directions: the backward half cannot match."""

    def forward(self, x, lengths):
        out_f, fin_f = self.forward_layer(x, lengths)
        out_b, fin_b = self.forward_layer(s.reverse_by_gather(x, lengths), lengths)
        return torch.cat([out_f, s.reverse_by_gather(out_b, lengths)], -1), fin_f + fin_b


def test_bidirectional_generic_difference_names_half_step_and_unit():
    assert_fails(checks.check_bidirectional, ForwardLayerTwiceBidirectional, thorough=False,
                 match=rf"^The backward half of your Bidirectional's outputs \({BI_CASE}\) "
                 r"differs from torch\.nn\.LSTM\(bidirectional=True\) first at step 0 \(sequence "
                 r"\d, step 0, unit \d\): got .*, expected .* \(relative error .*, tolerance "
                 r"1e-08\)\. The backward layer reads each sequence reversed within its length")


def test_bidirectional_with_half_the_outputs_gets_the_shape_hint():
    class ForwardOnly(s.GivenBidirectional):
        def forward(self, x, lengths):
            out_f, fin_f = self.forward_layer(x, lengths)
            _, fin_b = self.backward_layer(s.reverse_by_gather(x, lengths), lengths)
            return out_f, fin_f + fin_b

    assert_fails(checks.check_bidirectional, ForwardOnly, thorough=False,
                 match=r"^The outputs of your Bidirectional for a batch of 4 sequences of 7 steps "
                 r"have shape \(4, 7, 4\) but should have shape \(4, 7, 8\)\. Concatenate the "
                 r"forward and backward outputs along the last axis")


def test_bidirectional_with_a_builtin_one_direction_layer_is_refused():
    class OwnLSTM(s.Bidirectional):
        def __init__(self, make_layer, input_size, hidden_size):
            super().__init__(make_layer, input_size, hidden_size)
            self.extra = torch.nn.GRU(input_size, hidden_size, num_layers=2)

    assert_fails(checks.check_bidirectional, OwnLSTM, thorough=False,
                 match=r"^Your Bidirectional uses PyTorch's own GRU \('extra', num_layers=2\)")


def test_unsolved_bidirectional_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_bidirectional(s.UnsolvedBidirectional)


class FloatInputBidirectional(s.Bidirectional):
    """Feeds the layers x.float(), as a student copying training code might: float32 check."""

    def forward(self, x, lengths):
        return super().forward(x.float(), lengths)


def test_float32_bidirectional_passes_with_a_note(capsys):
    checks.check_bidirectional(FloatInputBidirectional)
    out = capsys.readouterr().out
    assert out.startswith(BIDIRECTIONAL_OK) and "Checked in float32" in out


def test_reference_bidirectional_is_two_layers_reversed_within_each_length():
    """torch's packed bidirectional LSTM equals the lesson's recipe with the course's layers."""
    backend = checks.BACKEND
    rng = np.random.default_rng(0)
    recorder = backend.recorder("lstm")
    layers = [recorder.make(3, 4), recorder.make(3, 4)]
    for layer in layers:
        layer.double()
    backend.randomize_layers(layers, rng)
    reference = backend.deep_reference("lstm", layers, 1, True)
    lengths, steps = (7, 3, 5, 1), 7
    x = rng.normal(size=(4, steps, 3))
    ref = backend.run_deep_reference(reference, x, np.asarray(lengths))
    xt, lt = torch.tensor(x), torch.tensor(lengths)
    with torch.no_grad():
        out_f, fin_f = layers[0](xt, lt)
        out_b, fin_b = layers[1](torch.tensor(deep.reverse_within(x, lengths)), lt)
    mask = deep.real_steps(lengths, steps)[..., None]
    expected = np.concatenate([out_f.numpy(), deep.reverse_within(out_b.numpy(), lengths)], -1)
    np.testing.assert_allclose(ref.outputs * mask, expected * mask, rtol=0, atol=1e-14)
    for got, want in zip(ref.final, (*fin_f, *fin_b), strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# check_stacked
# ---------------------------------------------------------------------------------------------

STACKED_OK = ("✓ Stacked matches torch.nn.LSTM and torch.nn.GRU with num_layers and dropout in "
              "eval mode and applies dropout only between layers in training.\n")
STACKED_THOROUGH_OK = ("✓ Stacked matches torch.nn.LSTM and torch.nn.GRU with num_layers and "
                       "dropout in eval mode, also with your Bidirectional layers, and applies "
                       "dropout only between layers in training, on every shape.\n")


def test_visible_stacked_with_bidirectional_stacks_it_too(capsys):
    checks.check_stacked(s.Stacked, s.Bidirectional)
    assert capsys.readouterr().out == (
        "✓ Stacked matches torch.nn.LSTM and torch.nn.GRU with num_layers and dropout in eval "
        "mode, also with your Bidirectional layers, and applies dropout only between layers in "
        "training.\n")
    with pytest.raises(CheckFailed, match=r"^Your Stacked's outputs .* bidirectional"):
        checks.check_stacked(s.Stacked, s.SwappedHalvesBidirectional)


@pytest.mark.parametrize("stacked_class", [s.Stacked, s.FunctionalDropoutStacked], ids=name_of)
def test_right_stacked_passes_thorough(stacked_class, capsys):
    checks.check_stacked(stacked_class, s.Bidirectional, thorough=True)
    assert capsys.readouterr().out == STACKED_THOROUGH_OK


def test_right_stacked_passes_quick(capsys):
    checks.check_stacked(s.Stacked)
    assert capsys.readouterr().out == STACKED_OK


def test_thorough_stacked_without_bidirectional_says_so(capsys):
    checks.check_stacked(s.Stacked, thorough=True)
    assert capsys.readouterr().out == (
        "✓ Stacked matches torch.nn.LSTM and torch.nn.GRU with num_layers and dropout in eval "
        "mode and applies dropout only between layers in training, on every shape.\n")


TRAIN_CASE = r"lengths 12, 9, 5, 12, 1, 7, 10, 3 padded to 12 steps, 2 LSTM layers of 3 → 4, " \
    r"dropout=0\.3"
EVAL_CASE = CASE + r", 2 LSTM layers of 3 → 4, dropout=0\.3"
LAYER_ORDER = r"list every layer's final tuple in layer order, \(h_0, c_0, h_1, c_1\)\.$"


class WrongRateStacked(s.GivenStacked):
    """Zeroes 70% of the values yet scales the rest by 1/(1 - p), with p = 0.3."""

    def forward(self, x, lengths):
        final = ()
        for index, layer in enumerate(self.layers):
            if index > 0 and self.training:
                keep = (torch.rand_like(x) < 0.3).to(x.dtype)
                x = x * keep / (1 - self.dropout.p)
            x, layer_final = layer(x, lengths)
            final += tuple(layer_final)
        return x, final


class FirstTwoFinalsStacked(s.GivenStacked):
    """Keeps (h, c) of each layer by slicing [:2]: right for LSTM layers, not for bidirectional."""

    def forward(self, x, lengths):
        final = ()
        for index, layer in enumerate(self.layers):
            if index > 0:
                x = self.dropout(x)
            x, layer_final = layer(x, lengths)
            final += tuple(layer_final[:2])
        return x, final


STACKED_MISTAKES = [
    case(s.DropoutAfterLastStacked, False,
         rf"^In training mode your Stacked's outputs are the last layer's outputs with dropout "
         rf"applied \(\d+% zeroed; {TRAIN_CASE}\): dropout goes only between layers, so return "
         rf"the last layer's outputs as they are\.$"),
    case(s.DropoutAfterLastStacked, True, r"^In training mode your Stacked's outputs are the last "
         r"layer's outputs with dropout applied"),
    case(s.EvalDropoutStacked, False,
         rf"^In eval mode your Stacked applies dropout to the input of layer 1 \(\d+% of the "
         rf"values zeroed, the rest scaled by 1\.43; {EVAL_CASE}\): use self\.dropout \(an "
         rf"nn\.Dropout\), which PyTorch switches off in eval mode, not F\.dropout\(\.\.\., "
         rf"training=True\)\.$"),
    case(s.InputDropoutStacked, False,
         rf"^In training mode layer 0 of your Stacked receives x with dropout applied \(\d+% of "
         rf"the values zeroed, the rest scaled by 1\.43; {TRAIN_CASE}\): dropout goes only "
         rf"between layers, so the first layer reads x as it is\.$"),
    case(s.NoDropoutStacked, False,
         rf"^In training mode layer 1 of your Stacked receives layer 0's outputs without dropout "
         rf"\({TRAIN_CASE}\): pass each layer's outputs through self\.dropout before the next "
         rf"layer reads them\.$"),
    case(s.HalfDropoutStacked, False,
         rf"^In training mode the dropout before layer 1 of your Stacked scales the kept values "
         rf"by 2, but dropout=0\.3 scales them by 1/\(1 - 0\.3\) = 1\.429 \({TRAIN_CASE}\): use "
         rf"self\.dropout, made with the dropout argument\.$"),
    case(s.HalfDropoutStacked, True,
         r"^In training mode the dropout before layer 1 of your Stacked scales the kept values "
         r"by 2, but dropout=0\.3"),
    case(WrongRateStacked, False,
         rf"^In training mode the dropout before layer 1 of your Stacked zeroes \d+% of 236 "
         rf"values, far from dropout=0\.3 \({TRAIN_CASE}\): use self\.dropout, made with the "
         rf"dropout argument\.$"),
    case(s.ReversedFinalsStacked, False,
         rf"^Your Stacked's final states hold layer 1's h \(h_1\) where layer 0's h \(h_0\) "
         rf"belongs \({EVAL_CASE}, eval mode\): " + LAYER_ORDER),
    case(s.ReversedFinalsStacked, True, r"^Your Stacked's final states hold layer 1's h \(h_1\)"),
    case(s.LastFinalOnlyStacked, False,
         r"^Your Stacked's final states hold 2 arrays, only one layer's final state, but should "
         r"hold 4: " + LAYER_ORDER),
    case(s.OriginalInputStacked, False,
         r"^Layer 1 of your Stacked was made for inputs of 4 features but receives 3: each layer "
         r"must read the previous layer's outputs, only layer 0 reads x\.$"),
    case(s.OriginalInputStacked, True,
         r"^Layer 1 of your Stacked was made for inputs of 4 features but receives 3"),
    case(s.FirstOutputsStacked, False,
         rf"^Your Stacked returns the outputs of layer 0, not those of the last layer \(layer 1\) "
         rf"\({EVAL_CASE}\)\.$"),
    case(s.BuiltinStacked, False,
         r"^Your Stacked uses PyTorch's own LSTM \('lstm', num_layers=2\); the exercise asks you "
         r"to build it from the layers that make_layer returns, without built-in bidirectional or "
         r"multi-layer recurrent layers\.$"),
    # Only the stack of Bidirectional layers (thorough) shows these.
    case((FirstTwoFinalsStacked, s.Bidirectional), True,
         r"^Your Stacked's final states hold 4 arrays, only one layer's final state, but should "
         r"hold 8: list every layer's final tuple in layer order, \(h_0_fwd, c_0_fwd, h_0_bwd, "
         r"c_0_bwd, h_1_fwd, c_1_fwd, h_1_bwd, c_1_bwd\)\.$"),
    case((s.Stacked, s.SwappedHalvesBidirectional), True,
         r"^Your Stacked's outputs \(lengths 7, 3, 5, 1 padded to 7 steps, 2 LSTM layers of 3 → "
         r"4, bidirectional, dropout=0\.3, eval mode\) differ from torch\.nn\.LSTM\(num_layers=2, "
         r"dropout=0\.3, bidirectional=True\) first at step 0"),
]


@pytest.mark.parametrize(("students", "thorough", "match"), STACKED_MISTAKES)
def test_stacked_mistake_fails(students, thorough, match, capsys):
    assert_fails(checks.check_stacked, *students, match=match, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


def test_first_two_finals_stacked_passes_without_bidirectional_layers():
    checks.check_stacked(FirstTwoFinalsStacked, thorough=True)


def test_stacked_with_eval_dropout_on_its_outputs_names_the_outputs():
    class EvalDropoutOnOutputs(s.Stacked):
        def forward(self, x, lengths):
            outputs, final = super().forward(x, lengths)
            return F.dropout(outputs, 0.3, training=True), final

    assert_fails(checks.check_stacked, EvalDropoutOnOutputs, thorough=False,
                 match=r"^In eval mode your Stacked applies dropout to its outputs \(")


def test_stacked_that_skips_a_layer_fails():
    class SkipsLastLayer(s.GivenStacked):
        def forward(self, x, lengths):
            x, final = self.layers[0](x, lengths)
            return x, tuple(final) * len(self.layers)

    assert_fails(checks.check_stacked, SkipsLastLayer, thorough=False,
                 match=rf"^Layer 1 of your Stacked is never called \({EVAL_CASE}\): run every "
                 r"layer of self\.layers in order\.$")


def test_unsolved_stacked_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_stacked(s.UnsolvedStacked)
    with pytest.raises(NotImplementedError):
        checks.check_stacked(s.Stacked, s.UnsolvedBidirectional, thorough=True)


def test_make_layer_is_called_with_input_size_and_hidden_size():
    calls = []

    class Spy(s.Stacked):
        def __init__(self, make_layer, input_size, hidden_size, num_layers, dropout=0.0):
            def spy(*args):
                layer = make_layer(*args)
                calls.append((args, isinstance(layer, Recurrent), layer.output_size))
                return layer

            super().__init__(spy, input_size, hidden_size, num_layers, dropout)

    checks.check_stacked(Spy)
    # An LSTM stack of 2 layers (3 → 4), then a GRU stack of 3 layers (4 → 4).
    assert calls == [((3, 4), True, 4)] + [((4, 4), True, 4)] * 4


def test_stacked_checks_leave_the_global_generator_alone():
    state = torch.random.get_rng_state()
    checks.check_stacked(s.Stacked)
    assert torch.equal(torch.random.get_rng_state(), state)


# ---------------------------------------------------------------------------------------------
# check_pooling
# ---------------------------------------------------------------------------------------------

POOLING_OK = ("✓ max_over_time and mean_over_time pool over each sequence's real steps only, "
              "with the right gradients")
RIGHT_POOLING = [(s.max_masked_fill, s.mean_masked_sum), (s.max_by_where_amax, s.mean_by_loop),
                 (s.max_by_loop, s.mean_float_mask)]


@pytest.mark.parametrize(("max_function", "mean_function"), RIGHT_POOLING, ids=name_of)
def test_right_pooling_passes_thorough(max_function, mean_function, capsys):
    checks.check_pooling(max_function, mean_function, thorough=True)
    assert capsys.readouterr().out == POOLING_OK + ", on every shape.\n"


def test_right_pooling_passes_quick(capsys):
    checks.check_pooling(s.max_masked_fill, s.mean_masked_sum)
    assert capsys.readouterr().out == POOLING_OK + ".\n"


MASKED_FILL = r"fill the padding with -inf \(masked_fill\(~mask, float\('-inf'\)\)\) first\.$"
POOLING_MISTAKES = [
    case((s.max_with_padding, s.mean_masked_sum), False,
         rf"^Your max_over_time picks values from the padding steps \({CASE}\), which the check "
         rf"fills with large values: take the maximum over each sequence's real steps only, "
         rf"e\.g\. " + MASKED_FILL),
    case((s.max_times_mask, s.mean_masked_sum), False,
         rf"^Your max_over_time returns 0 where every real value is negative \({CASE}\): "
         rf"multiplying by the mask turns the padding into zeros, which beat negative values; "
         rf"instead " + MASKED_FILL),
    case((s.max_times_mask, s.mean_masked_sum), True, r"^Your max_over_time returns 0 where "),
    case((s.max_pair, s.mean_masked_sum), False,
         r"^max_over_time returned the \(values, indices\) pair that max\(dim=\.\.\.\) gives; "
         r"return its \.values \(or use amax\)\.$"),
    case((s.max_detached, s.mean_masked_sum), False,
         r"^No gradient flows through your max_over_time back to its input: use torch "
         r"operations .*" + GRAD_HINT),
    case((s.max_masked_fill, s.mean_over_all_steps), False,
         rf"^Your mean_over_time divides by the number of steps of the batch \(7\), not by each "
         rf"sequence's length \({CASE}\): divide the masked sum by lengths\.$"),
    case((s.max_masked_fill, s.mean_with_padding), False,
         rf"^Your mean_over_time averages the padding steps too \({CASE}\), which the check fills "
         rf"with large values: sum only each sequence's real steps \(multiply by the mask\) and "
         rf"divide by its length\.$"),
    case((s.max_masked_fill, s.mean_sum_with_padding), True,
         r"^Your mean_over_time averages the padding steps too"),
    case((s.max_masked_fill, s.mean_item_lengths), False,
         r"^No gradient flows through your mean_over_time back to its input"),
]


@pytest.mark.parametrize(("students", "thorough", "match"), POOLING_MISTAKES)
def test_pooling_mistake_fails(students, thorough, match, capsys):
    assert_fails(checks.check_pooling, *students, match=match, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


def test_max_with_a_wrong_gradient_fails_on_the_gradient():
    def soft_max(outputs, lengths):
        """Right maximum in value, but the gradient is spread over every real step."""
        hard = s.max_masked_fill(outputs, lengths)
        mean = s.mean_masked_sum(outputs, lengths)
        return hard.detach() + mean - mean.detach()

    assert_fails(checks.check_pooling, soft_max, s.mean_masked_sum, thorough=False,
                 match=rf"^The gradient of your max_over_time with respect to its input \({CASE}\) "
                 r"differs from the gradient of the exact maximum first at step 0 .* Only the "
                 r"largest real value of each feature receives the gradient; use torch")


def test_pooling_that_keeps_the_time_axis_gets_the_shape_hint():
    def keepdim_max(outputs, lengths):
        return s.max_masked_fill(outputs, lengths)[:, None]

    assert_fails(checks.check_pooling, keepdim_max, s.mean_masked_sum, thorough=False,
                 match=r"^The result of max_over_time for outputs of shape \(4, 7, 3\) has shape "
                 r"\(4, 1, 3\) but should have shape \(4, 3\)\. It should hold one vector per "
                 r"sequence: \(batch, features\)\.$")


def test_unsolved_pooling_raises_not_implemented():
    with pytest.raises(NotImplementedError):
        checks.check_pooling(s.max_unsolved, s.mean_masked_sum)


# ---------------------------------------------------------------------------------------------
# Global state and output
# ---------------------------------------------------------------------------------------------


def test_checks_leave_no_float64_behind_and_write_nothing_to_stderr(capfd):
    checks.check_bidirectional(s.Bidirectional)
    checks.check_stacked(s.Stacked)
    assert_fails(checks.check_stacked, s.EvalDropoutStacked, match="eval mode", thorough=False)
    captured = capfd.readouterr()
    assert captured.err == ""
    assert captured.out.count("✓") == 2
    assert torch.tensor(1.0).dtype == torch.float32
    assert s.Stacked(lambda i, h: Recurrent(i, h), 3, 4, 2).layers[0].rnn.weight_ih_l0.dtype \
        == torch.float32


@pytest.mark.parametrize("check", ["check_reverse_padded", "check_bidirectional",
                                   "check_stacked", "check_pooling"])
def test_public_functions_are_bound(check):
    assert callable(getattr(checks, check))
