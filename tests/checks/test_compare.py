"""Tests for the framework-neutral half of the checks: comparisons, weight recovery, accuracy."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.checks import rnn as neutral
from rnncourse.checks.compare import (
    TOLERANCE,
    assert_close,
    assert_shape,
    describe_index,
    relative_error,
)
from rnncourse.errors import CheckFailed

AXES = ("sequence", "step", "unit")


def one_sentence(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message.endswith("."), message
    return message


# ---------------------------------------------------------------------------------------------
# relative_error
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("got", "expected", "error"),
    [
        ([1.0, 2.0], [1.0, 2.0], 0.0),
        ([1.0, 2.0], [1.0, 2.5], 0.5 / 2.5),
        ([1.0, 2.5], [1.0, 2.0], 0.5 / 2.5),  # symmetric: the larger magnitude is the scale
        ([[0.0, -4.0]], [[0.0, 4.0]], 8.0 / 4.0),
        ([0.0, 0.0], [0.0, 0.0], 0.0),  # all zeros: no division by zero
        ([0.0, 1e-3], [0.0, 0.0], 1.0),  # anything against zeros is a 100 % error
        ([], [], 0.0),
        (3.0, 3.0 + 3e-9, 1e-9),
    ],
)
def test_relative_error_values(got, expected, error):
    assert relative_error(np.asarray(got), np.asarray(expected)) == pytest.approx(error, rel=1e-6)


def test_relative_error_is_scale_free_and_accepts_lists_and_ints():
    got, expected = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.3])
    assert relative_error(got * 1e6, expected * 1e6) == pytest.approx(relative_error(got, expected))
    assert relative_error([1, 2], [1, 2]) == 0.0


# ---------------------------------------------------------------------------------------------
# assert_shape / describe_index
# ---------------------------------------------------------------------------------------------


def test_describe_index_names_each_axis():
    assert describe_index((1, 4, 0), AXES) == "sequence 1, step 4, unit 0"
    assert describe_index(np.unravel_index(5, (2, 3)), ("example", "unit")) == "example 1, unit 2"


def test_assert_shape_passes_on_the_right_shape():
    assert_shape("X", np.zeros((2, 3)), (2, 3))


def test_assert_shape_message_gives_both_shapes_and_the_hint():
    with pytest.raises(CheckFailed, match=r"^X has shape \(3, 2\) but should have shape \(2, 3\)\. "
                       r"Return one row per example\.$") as error:
        assert_shape("X", np.zeros((3, 2)), (2, 3), hint="Return one row per example.")
    one_sentence(error)


# ---------------------------------------------------------------------------------------------
# assert_close
# ---------------------------------------------------------------------------------------------


def test_assert_close_passes_within_the_tolerance():
    expected = np.linspace(-1, 1, 24).reshape(2, 3, 4)
    assert_close("X", expected * (1 + 1e-10), expected, reference="ref", axes=AXES, step_axis=1)
    assert_close("X", expected.tolist(), expected, reference="ref")  # lists are fine too


def test_assert_close_fails_just_above_the_tolerance():
    expected = np.ones((2, 3))
    got = expected.copy()
    got[1, 2] += 10 * TOLERANCE
    with pytest.raises(CheckFailed, match=r"tolerance 1e-08"):
        assert_close("X", got, expected, reference="ref")


def test_assert_close_message_without_steps_names_the_largest_difference():
    expected = np.zeros((2, 3, 4))
    expected[1, 2, 3] = 1.0
    expected[0, 1, 0] = 0.5
    with pytest.raises(CheckFailed) as error:
        assert_close("Your outputs", np.zeros((2, 3, 4)), expected, reference="torch.nn.RNN",
                     axes=AXES, hint="Feed the state back.", plural=True)
    assert one_sentence(error) == (
        "Your outputs differ from torch.nn.RNN at sequence 1, step 2, unit 3: got 0, expected 1 "
        "(relative error 1.0e+00, tolerance 1e-08). Feed the state back."
    )


def test_assert_close_message_names_the_first_differing_step():
    # The largest error is at step 3, but the recurrence went wrong first at step 1.
    expected = np.zeros((2, 5, 4))
    got = expected.copy()
    got[0, 3, 2] = 1.0
    got[1, 1, 3] = 0.25
    got[1, 1, 0] = 0.125
    with pytest.raises(CheckFailed) as error:
        assert_close("Your outputs", got, expected, reference="keras.layers.SimpleRNN",
                     axes=AXES, step_axis=1, plural=True)
    message = one_sentence(error)
    assert message.startswith(
        "Your outputs differ from keras.layers.SimpleRNN first at step 1 "
        "(sequence 1, step 1, unit 3): got 0.25, expected 0 (relative error 1.0e+00,"
    ), message


def test_assert_close_step_axis_zero_and_tiny_early_errors():
    expected = np.ones((6, 2))
    got = expected.copy()
    got[2, 1] += 1e-6  # above the tolerance: this is the first bad step
    got[4, 0] += 0.5
    got[0, 0] += 1e-12  # below the tolerance: not blamed
    with pytest.raises(CheckFailed, match=r"first at step 2 \(step 2, unit 1\)"):
        assert_close("Y", got, expected, reference="ref", axes=("step", "unit"), step_axis=0)


def test_assert_close_step_message_without_axis_names_is_plain_ints():
    expected = np.zeros((2, 3, 4))
    expected[1, 2, 3] = 1.0
    with pytest.raises(CheckFailed) as error:
        assert_close("X", np.zeros((2, 3, 4)), expected, reference="ref", step_axis=1)
    assert "first at step 2 ((1, 2, 3))" in str(error.value)


def test_a_singular_name_keeps_the_singular_verbs():
    with pytest.raises(CheckFailed, match=r"^The final state has shape \(3,\) but should have "):
        assert_close("The final state", np.zeros(3), np.zeros(2), reference="ref")
    with pytest.raises(CheckFailed, match=r"^The final state differs from ref at "):
        assert_close("The final state", np.ones(2), np.zeros(2), reference="ref")
    with pytest.raises(CheckFailed, match=r"^The logits contain NaN or infinite values; "):
        assert_close("The logits", np.array([np.nan]), np.zeros(1), reference="ref", plural=True)


def test_assert_close_without_axis_names_prints_the_index():
    expected = np.zeros((2, 3))
    expected[1, 2] = 1.0
    with pytest.raises(CheckFailed, match=r"differs from ref at \(1, 2\): got 0, expected 1"):
        assert_close("X", np.zeros((2, 3)), expected, reference="ref")


def test_assert_close_shape_mismatch_comes_before_values():
    with pytest.raises(CheckFailed) as error:
        assert_close("Your outputs", np.zeros((3, 2, 4)), np.zeros((2, 3, 4)), reference="ref",
                     axes=AXES, step_axis=1, plural=True)
    assert one_sentence(error) == (
        "Your outputs have shape (3, 2, 4) but should have shape (2, 3, 4)."
    )


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_assert_close_reports_nan_and_inf(bad):
    got = np.zeros((2, 3))
    got[0, 1] = bad
    with pytest.raises(CheckFailed) as error:
        assert_close("Your state", got, np.zeros((2, 3)), reference="torch.nn.RNNCell")
    assert one_sentence(error) == (
        "Your state contains NaN or infinite values; torch.nn.RNNCell gives finite ones."
    )


# ---------------------------------------------------------------------------------------------
# Recovering W, H and b from a step function
# ---------------------------------------------------------------------------------------------


def _numpy_step(w, h, b, activation=np.tanh):
    return lambda x, s: activation(x @ w + s @ h + b)


def test_effective_weights_recovers_w_h_and_b():
    rng = np.random.default_rng(0)
    w, h, b = (rng.uniform(-0.3, 0.3, shape) for shape in ((3, 4), (4, 4), (4,)))
    got_w, got_h, got_b = neutral.effective_weights(_numpy_step(w, h, b), 3, 4, "RNNCell")
    np.testing.assert_allclose(got_w, w, atol=1e-12)
    np.testing.assert_allclose(got_h, h, atol=1e-12)
    np.testing.assert_allclose(got_b, b, atol=1e-12)


@pytest.mark.parametrize(
    ("step", "match"),
    [
        (lambda x, s: np.tanh(x @ np.ones((3, 4))), "ignores the previous state"),
        (lambda x, s: np.tanh(s @ np.ones((4, 4)) * 0.1), "ignores its input x"),
        (lambda x, s: 2 + x @ np.ones((3, 4)) + s @ np.ones((4, 4)),
         r"returns values as large as 3, but tanh keeps every state strictly between -1 and 1"),
        (lambda x, s: np.full((x.shape[0], 4), np.nan), "returns NaN or infinite values"),
        (lambda x, s: np.tanh(x @ np.ones((3, 5))),
         r"output of your RNNCell has shape \(8, 5\) but should have shape \(8, 4\)"),
    ],
    ids=["no-state", "no-input", "no-tanh-large", "nan", "wrong-hidden-size"],
)
def test_effective_weights_failures(step, match):
    with pytest.raises(CheckFailed, match=match) as error:
        neutral.effective_weights(step, 3, 4, "RNNCell")
    one_sentence(error)


@pytest.mark.parametrize(
    ("count", "ok"),
    [(3 * 4 + 4 * 4 + 4, True), (3 * 4 + 4 * 4 + 2 * 4, True), (3 * 4 + 4 * 4, False),
     (3 * 4 + 2 * 4 * 4 + 4, False), (0, False)],
    ids=["one-bias", "two-biases", "no-bias", "extra-H", "none"],
)
def test_parameter_count_ok(count, ok):
    assert neutral.parameter_count_ok(count, 3, 4) is ok


# ---------------------------------------------------------------------------------------------
# check_accuracy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("accuracy", [0.8, 0.5, 1.0, np.float32(0.75)])
def test_check_accuracy_passes_at_or_above_the_minimum_with_one_line(accuracy, capsys):
    neutral.check_accuracy(accuracy, 0.5)
    assert capsys.readouterr().out == (f"✓ Your model's test accuracy is {accuracy:.4f}, at "
                                       "least the 0.50 this exercise requires.\n")


@pytest.mark.parametrize(
    ("accuracy", "shown"),
    [(0.4, "0.4000"), (0.0, "0.0000"), (float("nan"), "nan"), (-np.inf, "-inf")],
)
def test_check_accuracy_fails_below_the_minimum_and_on_nan(accuracy, shown):
    with pytest.raises(CheckFailed) as error:
        neutral.check_accuracy(accuracy, 0.5)
    message = one_sentence(error)
    assert message.startswith(f"Your model's test accuracy is {shown}, below the 0.50 this "
                              "exercise requires"), message


def test_check_accuracy_names_what_was_measured():
    with pytest.raises(CheckFailed,
                       match=r"^Your model's validation accuracy is 0\.3000, below the "
                       r"0\.60"):
        neutral.check_accuracy(0.3, 0.6, what="validation accuracy")


def test_check_accuracy_shows_enough_digits_near_the_minimum():
    with pytest.raises(CheckFailed, match=r"is 0\.4999, below the 0\.50"):
        neutral.check_accuracy(0.4999, 0.5)
