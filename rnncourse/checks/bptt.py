"""The check of Lesson 1's backpropagation through time, written once for both frameworks.

The student's ``rnn_backward`` is NumPy; the reference is the framework's own RNN layer
(``nn.RNN`` / ``keras.layers.SimpleRNN``) with the same W, H and b, differentiated by
autograd in float64. When a gradient differs, the check replays the classic mistakes of
this exercise in NumPy and names the one whose gradients the student's match.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnncourse.backprop import GRADIENT_NAMES, RNNProblem, rnn_problem
from rnncourse.checks.backend import Backend
from rnncourse.checks.compare import assert_close, assert_shape, joined, relative_error
from rnncourse.errors import CheckFailed
from rnncourse.i18n import N_, _

#: (batch, steps, input_size, hidden_size) of the visible test and of the hidden one.
QUICK_SHAPES = ((2, 4, 3, 5), (3, 6, 4, 4))
THOROUGH_SHAPES = ((1, 1, 1, 1), (1, 7, 2, 3), (4, 3, 5, 2), (2, 20, 3, 4), (5, 9, 6, 8))

_AXES = {
    "X": (N_("example"), N_("step"), N_("feature")),
    "S0": (N_("example"), N_("unit")),
    "W": (N_("feature"), N_("unit")),
    "H": (N_("unit"), N_("unit")),
    "b": (N_("unit"),),
}


@dataclass(frozen=True)
class BackwardMistake:
    """A classic mistake of this exercise: its id, what it does wrong, and how to fix it."""

    id: str
    sentence: str


_MISTAKES = (
    BackwardMistake("bptt-no-tanh-derivative", N_(
        "Your rnn_backward leaves out tanh's derivative: multiply the incoming gradient by "
        "1 − S_i² before it reaches W, H, b, X and the previous state.")),
    BackwardMistake("bptt-tanh-twice", N_(
        "Your rnn_backward takes tanh's derivative as 1 − tanh(S_i)², but S_i is already "
        "tanh's output: the derivative is 1 − S_i².")),
    BackwardMistake("bptt-no-carry", N_(
        "Your rnn_backward does not carry the gradient back to earlier steps: add the "
        "gradient that step i + 1 sends to S_i (d_pre @ Hᵀ) to d_states[:, i].")),
    BackwardMistake("bptt-forwards", N_(
        "Your rnn_backward visits the steps from first to last: the gradient of a step "
        "needs the gradient from the step after it, so go from the last step back to the "
        "first.")),
    BackwardMistake("bptt-overwritten", N_(
        "Your rnn_backward keeps only one step's gradient of W, H and b: the same weights "
        "are used at every step, so add up the gradients of all steps (+=).")),
    BackwardMistake("bptt-untransposed-h", N_(
        "Your rnn_backward sends the gradient to the previous state through H instead of "
        "Hᵀ: S_{i−1} is multiplied by H on the right, so its gradient is d_pre @ H.T.")),
    BackwardMistake("bptt-new-state-for-h", N_(
        "Your rnn_backward computes H's gradient from the new state S_i: H multiplies the "
        "previous state S_{i−1} (S0 at the first step), so use that one.")),
)


def _replay(problem: RNNProblem, states: np.ndarray, mistake: str | None = None
            ) -> dict[str, np.ndarray]:
    """The gradients with ``mistake`` made the way students make it (none: the right ones)."""
    X, S0, W, H = problem.X, problem.S0, problem.W, problem.H
    gradients = {name: np.zeros_like(getattr(problem, name)) for name in ("X", "W", "H", "b")}
    carried = np.zeros_like(S0)
    steps = range(X.shape[1]) if mistake == "bptt-forwards" else reversed(range(X.shape[1]))
    for i in steps:
        incoming = problem.d_states[:, i] + (0 if mistake == "bptt-no-carry" else carried)
        derivative = {"bptt-no-tanh-derivative": 1.0,
                      "bptt-tanh-twice": 1 - np.tanh(states[:, i]) ** 2
                      }.get(mistake or "", 1 - states[:, i] ** 2)
        d_pre = incoming * derivative
        previous = states[:, i - 1] if i > 0 else S0
        if mistake == "bptt-new-state-for-h":
            previous = states[:, i]
        step = {"W": X[:, i].T @ d_pre, "H": previous.T @ d_pre, "b": d_pre.sum(axis=0)}
        for name, gradient in step.items():
            gradients[name] = gradient if mistake == "bptt-overwritten" else (
                gradients[name] + gradient)
        gradients["X"][:, i] = d_pre @ W.T
        carried = d_pre @ (H if mistake == "bptt-untransposed-h" else H.T)
    gradients["S0"] = carried
    return gradients


def _named_mistake(got: Mapping[str, np.ndarray], problem: RNNProblem,
                   states: np.ndarray) -> BackwardMistake | None:
    """The mistake whose replayed gradients of W, H, b and X all match the student's."""
    for mistake in _MISTAKES:
        replayed = _replay(problem, states, mistake.id)
        if all(np.allclose(got[name], replayed[name], rtol=1e-7, atol=1e-10)
               for name in ("X", "W", "H", "b")):
            return mistake
    return None


def _as_gradients(result: Any, problem: RNNProblem) -> dict[str, np.ndarray]:
    """The student's result as float64 arrays by name, or one sentence on what is wrong."""
    if not isinstance(result, Mapping):
        raise CheckFailed(_(
            "rnn_backward must return a dict with the keys {keys}; it returned {kind}.").format(
            keys=joined([repr(n) for n in GRADIENT_NAMES]), kind=type(result).__name__),
            mistake="bptt-return-structure")
    missing = [name for name in GRADIENT_NAMES if name not in result]
    if missing:
        raise CheckFailed(_(
            "The dict rnn_backward returns has no key {missing}; it needs {keys}.").format(
            missing=joined([repr(n) for n in missing]),
            keys=joined([repr(n) for n in GRADIENT_NAMES])), mistake="bptt-return-structure")
    gradients = {}
    for name in GRADIENT_NAMES:
        try:
            gradients[name] = np.asarray(result[name], dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(_("The gradient of {name} rnn_backward returns is not an array "
                                "of numbers.").format(name=name)) from None
        assert_shape(_("The gradient of {name}").format(name=name), gradients[name],
                     getattr(problem, name).shape,
                     N_("A gradient has the shape of what it is the gradient of."))
    return gradients


def _call(rnn_backward: Callable[..., Any], problem: RNNProblem,
          states: np.ndarray) -> dict[str, np.ndarray]:
    """Run the student's function on copies, and fail if it changed one of them in place."""
    given = {**{name: a.copy() for name, a in problem.arrays().items()},
             "states": states.copy(), "d_states": problem.d_states.copy()}
    result = rnn_backward(given["X"], given["S0"], given["W"], given["H"], given["b"],
                          given["states"], given["d_states"])
    originals = {**problem.arrays(), "states": states, "d_states": problem.d_states}
    changed = [name for name, array in given.items()
               if not np.array_equal(array, originals[name])]
    if changed:
        raise CheckFailed(_(
            "Your rnn_backward changed its argument {name} in place: compute into new arrays "
            "(for example incoming = d_states[:, i] + carried) so the caller's data stays as "
            "it was.").format(name=changed[0]), mistake="bptt-changed-inputs")
    return _as_gradients(result, problem)


def check_rnn_backward(backend: Backend, rnn_backward: Callable[..., Any], *,
                       shapes: tuple[tuple[int, int, int, int], ...] = QUICK_SHAPES,
                       seed: int = 0) -> None:
    """Check ``rnn_backward(X, S0, W, H, b, states, d_states)`` against the framework's autograd.

    For each (batch, steps, input_size, hidden_size) in ``shapes`` the five gradients must
    match those of the framework's RNN layer, to the backend's tolerance.
    """
    for offset, (batch, steps, input_size, hidden_size) in enumerate(shapes):
        problem = rnn_problem(batch, steps, input_size, hidden_size, seed=seed * 100 + offset)
        states = problem.states()
        got = _call(rnn_backward, problem, states)
        expected = backend.reference_gradients(problem.W, problem.H, problem.b, problem.X,
                                               problem.S0, problem.d_states)
        if all(relative_error(got[n], expected[n]) <= backend.tolerance
               for n in GRADIENT_NAMES):
            continue
        mistake = _named_mistake(got, problem, states)
        if mistake is not None:
            raise CheckFailed(_(mistake.sentence), mistake=mistake.id)
        for name in GRADIENT_NAMES:
            assert_close(_("The gradient of {name}").format(name=name), got[name],
                         expected[name], reference=backend.reference_layer_name,
                         axes=_AXES[name], tol=backend.tolerance)
