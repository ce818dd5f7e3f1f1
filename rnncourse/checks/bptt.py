"""The check of Lesson 1's backpropagation through time, written once for both frameworks.

The student's ``rnn_backward`` is NumPy; the reference is the framework's own RNN layer
(``nn.RNN`` / ``keras.layers.SimpleRNN``) with the same W, H and b, differentiated by
autograd in float64. A differing gradient is reported as a symptom (which gradient, where,
by how much): naming its cause would need a right backward pass to replay the mistakes
with, and the library is what students receive (``rnncourse bundle`` refuses solution
lines in it). What the function does to its arguments or returns instead of the gradients
is named.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
        for name in GRADIENT_NAMES:
            assert_close(_("The gradient of {name}").format(name=name), got[name],
                         expected[name], reference=backend.reference_layer_name,
                         axes=_AXES[name], tol=backend.tolerance)
