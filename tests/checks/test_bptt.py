"""Lesson 1's backpropagation-through-time check, in both frameworks: right solutions written
differently pass, each classic mistake fails with its name, and broken returns get one sentence."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

from rnncourse.backprop import numerical_gradients, relative_error, rnn_problem, step_gradient_norms
from rnncourse.checks import bptt
from rnncourse.errors import CheckFailed


@pytest.fixture(params=["pytorch", "tensorflow"], scope="module")
def checks(request):
    """The framework's bound checks module (rnncourse.checks.pytorch or .tensorflow)."""
    return importlib.import_module(f"rnncourse.checks.{request.param}")


def loop_backward(X, S0, W, H, b, states, d_states):
    """The lesson's solution: one step at a time, from the last to the first."""
    grads = {"X": np.zeros_like(X), "W": np.zeros_like(W), "H": np.zeros_like(H),
             "b": np.zeros_like(b)}
    carried = np.zeros_like(S0)
    for i in reversed(range(X.shape[1])):
        d_pre = (d_states[:, i] + carried) * (1 - states[:, i] ** 2)
        previous = states[:, i - 1] if i > 0 else S0
        grads["W"] += X[:, i].T @ d_pre
        grads["H"] += previous.T @ d_pre
        grads["b"] += d_pre.sum(axis=0)
        grads["X"][:, i] = d_pre @ W.T
        carried = d_pre @ H.T
    grads["S0"] = carried
    return grads


def two_pass_backward(X, S0, W, H, b, states, d_states):
    """Right but different: collect every step's d_pre first, then the weights with einsum."""
    steps = X.shape[1]
    d_pre = np.empty_like(states)
    carried = np.zeros_like(S0)
    for i in range(steps - 1, -1, -1):
        d_pre[:, i] = (d_states[:, i] + carried) * (1 - np.square(states[:, i]))
        carried = np.einsum("bh,kh->bk", d_pre[:, i], H)
    previous = np.concatenate([S0[:, None], states[:, :-1]], axis=1)
    return {"W": np.einsum("bti,bth->ih", X, d_pre),
            "H": np.einsum("btk,bth->kh", previous, d_pre),
            "b": d_pre.sum(axis=(0, 1)), "X": d_pre @ W.T, "S0": carried}


def in_place_backward(X, S0, W, H, b, states, d_states):
    """Right gradients, but adds the carried gradient into the caller's d_states."""
    carried = np.zeros_like(S0)
    for i in reversed(range(X.shape[1])):
        d_states[:, i] += carried
        carried = (d_states[:, i] * (1 - states[:, i] ** 2)) @ H.T
    return loop_backward(X, S0, W, H, b, states, np.zeros_like(d_states))


def mistaken(mistake: str):
    """The lesson's solution with one classic mistake, written as a student writes it."""
    def backward(X, S0, W, H, b, states, d_states):
        grads = {"X": np.zeros_like(X), "W": np.zeros_like(W), "H": np.zeros_like(H),
                 "b": np.zeros_like(b)}
        carried = np.zeros_like(S0)
        order = range(X.shape[1]) if mistake == "forwards" else reversed(range(X.shape[1]))
        for i in order:
            incoming = d_states[:, i] if mistake == "no-carry" else d_states[:, i] + carried
            if mistake == "no-tanh-derivative":
                d_pre = incoming
            elif mistake == "tanh-twice":
                d_pre = incoming * (1 - np.tanh(states[:, i]) ** 2)
            else:
                d_pre = incoming * (1 - states[:, i] ** 2)
            previous = states[:, i - 1] if i > 0 else S0
            if mistake == "new-state-for-h":
                previous = states[:, i]
            if mistake == "overwritten":
                grads["W"] = X[:, i].T @ d_pre
                grads["H"] = previous.T @ d_pre
                grads["b"] = d_pre.sum(axis=0)
            else:
                grads["W"] += X[:, i].T @ d_pre
                grads["H"] += previous.T @ d_pre
                grads["b"] += d_pre.sum(axis=0)
            grads["X"][:, i] = d_pre @ W.T
            carried = d_pre @ (H if mistake == "untransposed-h" else H.T)
        grads["S0"] = carried
        return grads
    backward.__name__ = f"backward_{mistake.replace('-', '_')}"
    return backward


#: The classic mistakes of the exercise, as the visible-versus-hidden benchmark reads them.
BPTT_MISTAKES = ("no-tanh-derivative", "tanh-twice", "no-carry", "forwards", "overwritten",
                 "untransposed-h", "new-state-for-h")


@pytest.mark.parametrize("solution", [loop_backward, two_pass_backward],
                         ids=["loop", "einsum-two-pass"])
@pytest.mark.parametrize("thorough", [False, True], ids=["visible", "hidden"])
def test_right_solutions_pass(checks, solution, thorough, capsys):
    checks.check_rnn_backward(solution, thorough=thorough)
    assert capsys.readouterr().out.startswith("✓ rnn_backward returns the same gradients")


@pytest.mark.parametrize("mistake", BPTT_MISTAKES)
def test_each_classic_mistake_fails_the_visible_test_naming_the_gradient(checks, mistake):
    with pytest.raises(CheckFailed, match=r"^The gradient of (X|S0|W|H|b) differs from "):
        checks.check_rnn_backward(mistaken(mistake))


def test_the_library_students_receive_holds_no_backward_pass():
    # A replay of the mistakes would need the right backward pass; the bundle refuses it.
    source = (Path(bptt.__file__)).read_text(encoding="utf-8")
    assert "1 - states" not in source and "@ H.T" not in source


def test_changing_an_argument_in_place_is_named(checks):
    with pytest.raises(CheckFailed, match="changed its argument d_states in place") as failure:
        checks.check_rnn_backward(in_place_backward)
    assert failure.value.mistake == "bptt-changed-inputs"


@pytest.mark.parametrize(("returned", "sentence"), [
    (lambda grads: tuple(grads.values()), "must return a dict with the keys 'X', 'S0'"),
    (lambda grads: {k: v for k, v in grads.items() if k != "S0"}, "has no key 'S0'"),
    (lambda grads: {**grads, "b": grads["b"][None]}, "The gradient of b has shape (1, 5)"),
    (lambda grads: {**grads, "W": "dW"}, "The gradient of W rnn_backward returns is not"),
])
def test_a_broken_return_gets_one_sentence(checks, returned, sentence):
    def backward(*args):
        return returned(loop_backward(*args))
    with pytest.raises(CheckFailed, match=sentence.replace("(", r"\(").replace(")", r"\)")):
        checks.check_rnn_backward(backward)


def test_an_unnamed_error_says_which_gradient_differs_and_where(checks):
    def off_in_one_entry(*args):
        grads = loop_backward(*args)
        grads["H"][1, 2] += 0.01
        return grads
    with pytest.raises(CheckFailed, match=r"The gradient of H differs from .* at unit 1, unit 2")\
            as failure:
        checks.check_rnn_backward(off_in_one_entry)
    assert failure.value.mistake is None


def test_the_numerical_gradient_agrees_with_the_solution_to_a_relative_error_below_1e_7():
    problem = rnn_problem(seed=3)
    analytic = loop_backward(problem.X, problem.S0, problem.W, problem.H, problem.b,
                             problem.states(), problem.d_states)
    numeric = numerical_gradients(problem)
    assert max(relative_error(analytic[n], numeric[n]) for n in numeric) < 1e-7
    # ... and it is sharp enough to see the smallest classic mistake.
    wrong = mistaken("new-state-for-h")(problem.X, problem.S0, problem.W, problem.H,
                                        problem.b, problem.states(), problem.d_states)
    assert relative_error(wrong["H"], numeric["H"]) > 1e-2


def test_step_gradient_norms_vanish_below_radius_one_and_explode_well_above():
    shrinking = step_gradient_norms(loop_backward, 0.5)
    growing = step_gradient_norms(loop_backward, 3.0)
    assert shrinking[0] < 1e-8 * shrinking[-1]
    assert growing[0] > 100 * growing[-1]


@pytest.mark.parametrize(("arguments", "sentence"), [
    ({"steps": 0}, "steps must be at least 1, not 0."),
    ({"spectral_radius": -1.0}, "spectral_radius must be positive, not -1.0."),
])
def test_a_bad_problem_size_gets_one_sentence(arguments, sentence):
    with pytest.raises(ValueError, match=sentence.replace(".", r"\.")):
        rnn_problem(**arguments)
