"""Timing layers against each other (Lesson 2's optional section): rnncourse.speed and adapters.

Nothing here asserts how long anything takes; the tests check what is timed, that variants
which compute something else are refused, and that unfinished student code is skipped.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rnncourse.errors import CourseError
from rnncourse.speed import SpeedComparison, Timing, largest_differences, time_calls


def test_time_calls_interleaves_rounds_after_warm_up():
    order: list[str] = []
    calls = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    timings = time_calls(calls, warmup=2, repeats=3)
    # Warm-up per callable first (the first call timed alone), then rounds of a, b.
    assert order == ["a", "a", "b", "b"] + ["a", "b"] * 3
    assert list(timings) == ["a", "b"]
    assert all(len(t.samples) == 3 and t.seconds == sorted(t.samples)[1]
               for t in timings.values())
    with pytest.raises(ValueError, match="repeats >= 1"):
        time_calls(calls, repeats=0)


def test_largest_differences_refuses_a_variant_that_computes_something_else():
    same = np.ones((2, 3))
    assert largest_differences({"a": same, "b": same + 1e-6}) == {"a": 0.0,
                                                                  "b": pytest.approx(1e-6)}
    with pytest.raises(CourseError, match=r"'b' computes different outputs from 'a' \(largest "
                                          r"difference 0.5\): fix it before timing it\."):
        largest_differences({"a": same, "b": same + 0.5})
    with pytest.raises(CourseError, match=r"'b' returns outputs of shape \(3, 2\), but 'a' "):
        largest_differences({"a": same, "b": np.ones((3, 2))})


def test_the_table_shows_each_row_s_gain_over_the_row_above_and_what_was_skipped():
    comparison = SpeedComparison(
        timings={"slow": Timing(0.4, 0.5, [0.4]), "fast": Timing(0.1, 2.0, [0.1])},
        differences={"slow": 0.0, "fast": 0.0}, skipped={"yours": "not timed: …"})
    lines = comparison.table().splitlines()
    assert lines[2] == "| slow | 400.0 | — | 500 |"
    assert lines[3] == "| fast | 100.0 | 4.00× | 2000 |"
    assert lines[4] == "| yours | — | not timed: … | — |"
    assert comparison.milliseconds() == {"slow": 400.0, "fast": 100.0}


def _comparison(**samples: list[float]) -> SpeedComparison:
    import statistics

    return SpeedComparison(
        timings={name: Timing(statistics.median(times), times[0], times)
                 for name, times in samples.items()},
        differences=dict.fromkeys(samples, 0.0))


def test_a_difference_inside_the_rounds_scatter_is_called_noise_not_ranked():
    # Round by round the two swap places: medians 10.0 and 10.5 ms, but no real order.
    noisy = _comparison(yours=[0.010, 0.012, 0.009, 0.0105, 0.011],
                        builtin=[0.011, 0.010, 0.0105, 0.012, 0.009])
    assert noisy.within_noise("yours", "builtin")
    assert noisy.versus("yours", "builtin") == (
        "yours and builtin take the same time within this machine's noise (10.5 and 10.5 ms "
        "per call, medians of 5 rounds).")
    assert noisy.table().splitlines()[3] == "| builtin | 10.5 | within noise | 11 |"


def test_a_difference_every_round_agrees_on_is_ranked_whatever_the_order_given():
    # One slow round (a busy moment) does not change the order the other rounds agree on.
    clear = _comparison(yours=[0.030, 0.031, 0.029, 0.030, 0.002],
                        builtin=[0.010, 0.011, 0.009, 0.010, 0.040])
    assert not clear.within_noise("yours", "builtin")
    expected = ("builtin is 3.0× as fast as yours (10.0 against 30.0 ms per call, medians "
                "of 5 rounds).")
    assert clear.versus("yours", "builtin") == clear.versus("builtin", "yours") == expected
    assert clear.table().splitlines()[3] == "| builtin | 10.0 | 3.00× | 10 |"


def test_too_few_rounds_to_judge_noise_fall_back_to_the_medians():
    few = _comparison(a=[0.02, 0.01, 0.02], b=[0.01, 0.02, 0.01])
    assert not few.within_noise("a", "b")
    assert few.versus("a", "b").startswith("b is 2.0× as fast as a")


class TestPyTorch:
    torch = pytest.importorskip("torch")

    @staticmethod
    def _lstm_loop(x, W, H, b, hoisted: bool = True):
        import torch

        projected = x @ W + b if hoisted else None
        h = c = x.new_zeros(x.shape[0], H.shape[0])
        outputs = []
        for t in range(x.shape[1]):
            p_t = projected[:, t] if hoisted else x[:, t] @ W + b
            i, f, g, o = (p_t + h @ H).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs, dim=1)

    def _weights(self):
        torch = self.torch
        torch.manual_seed(0)
        lstm = torch.nn.LSTM(3, 4, batch_first=True)
        W = lstm.weight_ih_l0.detach().T.clone().requires_grad_()
        H = lstm.weight_hh_l0.detach().T.clone().requires_grad_()
        b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().requires_grad_()
        return lstm, torch.randn(2, 5, 3), W, H, b

    def test_variants_that_agree_are_timed_with_their_gradients(self):
        from rnncourse.pytorch import compare_speed

        lstm, x, W, H, b = self._weights()
        speed = compare_speed({"loop": lambda: self._lstm_loop(x, W, H, b, hoisted=False),
                               "hoisted": lambda: self._lstm_loop(x, W, H, b),
                               "nn.LSTM": lambda: lstm(x)[0]}, warmup=1, repeats=2)
        assert list(speed.timings) == ["loop", "hoisted", "nn.LSTM"]
        assert max(speed.differences.values()) < 1e-5
        assert W.grad is not None and lstm.weight_hh_l0.grad is not None  # backward ran

    def test_a_classic_mistake_is_refused_and_an_unfinished_layer_skipped(self):
        from rnncourse.pytorch import compare_speed

        lstm, x, W, H, b = self._weights()

        def unfinished():
            raise NotImplementedError

        with pytest.raises(CourseError, match="'no bias' computes different outputs from "
                                              "'nn.LSTM'"):
            compare_speed({"nn.LSTM": lambda: lstm(x)[0],
                           "no bias": lambda: self._lstm_loop(x, W, H, b * 0)})
        speed = compare_speed({"your LSTM": unfinished, "nn.LSTM": lambda: lstm(x)[0]},
                              warmup=1, repeats=1)
        assert list(speed.timings) == ["nn.LSTM"]
        assert "your LSTM still raises NotImplementedError" in speed.skipped["your LSTM"]
        with pytest.raises(CourseError, match="There is nothing to time"):
            compare_speed({"your LSTM": unfinished})

    def test_compile_loop_scripts_quietly_and_computes_the_same(self):
        torch = self.torch
        from rnncourse.pytorch import compile_loop

        def scale_steps(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
            outputs = []
            for x_t in x.unbind(1):
                outputs.append(torch.tanh(x_t * w))
            return torch.stack(outputs, dim=1)

        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a deprecation warning would reach the student
            compiled = compile_loop(scale_steps)
        x, w = torch.randn(2, 3, 4), torch.randn(4)
        assert isinstance(compiled, torch.jit.ScriptFunction)
        assert torch.allclose(compiled(x, w), scale_steps(x, w))


class TestTensorFlow:
    @pytest.fixture(scope="class")
    def tf(self):
        pytest.importorskip("tensorflow")
        from rnncourse.tensorflow import tf

        return tf

    def test_a_compiled_variant_agrees_and_a_wrong_one_is_refused(self, tf):
        from rnncourse.tensorflow import compare_speed, keras

        keras.utils.set_random_seed(0)
        layer = keras.layers.SimpleRNN(4, return_sequences=True)
        x = tf.random.normal((2, 5, 3))
        layer.build((None, None, 3))
        W, H, b = (tf.Variable(weight) for weight in layer.get_weights())

        def loop(x, activation=tf.tanh):
            h = tf.zeros((2, 4))
            outputs = []
            for x_t in tf.unstack(x, axis=1):
                h = activation(tf.matmul(x_t, W) + tf.matmul(h, H) + b)
                outputs.append(h)
            return tf.stack(outputs, axis=1)

        compiled = tf.function(loop)
        speed = compare_speed({"loop": lambda: loop(x), "compiled": lambda: compiled(x),
                               "keras": lambda: layer(x)}, warmup=1, repeats=2)
        assert list(speed.timings) == ["loop", "compiled", "keras"]
        assert max(speed.differences.values()) < 1e-5
        with pytest.raises(CourseError, match="'sigmoid' computes different outputs"):
            compare_speed({"keras": lambda: layer(x), "sigmoid": lambda: loop(x, tf.sigmoid)})
