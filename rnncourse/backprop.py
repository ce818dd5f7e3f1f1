"""Backpropagation through time in NumPy, for Lesson 1's exercise.

The forward pass is given; the student writes the backward pass, ``rnn_backward``. To
check it without a framework the loss is linear in the states, ``L = sum(d_states * states)``,
so ``d_states`` is exactly the gradient of the loss with respect to each state as the layers
above would send it (through that state's own use, not through later steps). A numerical
gradient (central differences) then checks every analytic gradient, and the lesson compares
both with the framework's autograd.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from rnncourse.checks.compare import relative_error

__all__ = [
    "GRADIENT_NAMES",
    "RNNProblem",
    "linear_loss",
    "numerical_gradients",
    "relative_error",
    "rnn_forward",
    "rnn_problem",
    "step_gradient_norms",
]

#: The arrays ``rnn_backward`` returns a gradient for, in the order of its arguments.
GRADIENT_NAMES = ("X", "S0", "W", "H", "b")

BackwardFn = Callable[..., Mapping[str, np.ndarray]]


@dataclass
class RNNProblem:
    """Inputs, initial state, weights and upstream gradients of one backward pass (float64).

    Shapes: ``X`` (batch, steps, input_size), ``S0`` (batch, hidden_size), ``W``
    (input_size, hidden_size), ``H`` (hidden_size, hidden_size), ``b`` (hidden_size,),
    ``d_states`` (batch, steps, hidden_size).
    """

    X: np.ndarray
    S0: np.ndarray
    W: np.ndarray
    H: np.ndarray
    b: np.ndarray
    d_states: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        """The five arrays a gradient is taken for, by name (see :data:`GRADIENT_NAMES`)."""
        return {name: getattr(self, name) for name in GRADIENT_NAMES}

    def states(self) -> np.ndarray:
        """The forward pass's states S_1 … S_T, shape (batch, steps, hidden_size)."""
        return rnn_forward(self.X, self.S0, self.W, self.H, self.b)

    def loss(self) -> float:
        """The linear loss whose gradient with respect to the states is ``d_states``."""
        return linear_loss(self.states(), self.d_states)


def _check_size(name: str, value: int) -> None:
    if int(value) < 1:
        raise ValueError(f"{name} must be at least 1, not {value}.")


def rnn_problem(batch: int = 3, steps: int = 5, input_size: int = 4, hidden_size: int = 6, *,
                spectral_radius: float | None = None, seed: int = 0) -> RNNProblem:
    """A random problem in float64, weights in PyTorch's initial range ±1/√hidden_size.

    ``spectral_radius`` rescales H so that its largest eigenvalue magnitude is that value:
    below 1 the per-step Jacobians shrink the gradient, above 1 they can grow it.

    Raises:
        ValueError: If a size is below 1 or the spectral radius is not positive.
    """
    for name, value in (("batch", batch), ("steps", steps), ("input_size", input_size),
                        ("hidden_size", hidden_size)):
        _check_size(name, value)
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(hidden_size)
    H = rng.uniform(-bound, bound, (hidden_size, hidden_size))
    if spectral_radius is not None:
        if not spectral_radius > 0:
            raise ValueError(f"spectral_radius must be positive, not {spectral_radius}.")
        H *= spectral_radius / max(np.abs(np.linalg.eigvals(H)).max(), 1e-12)
    return RNNProblem(
        X=rng.standard_normal((batch, steps, input_size)),
        S0=rng.uniform(-0.5, 0.5, (batch, hidden_size)),
        W=rng.uniform(-bound, bound, (input_size, hidden_size)),
        H=H,
        b=rng.uniform(-bound, bound, hidden_size),
        d_states=rng.standard_normal((batch, steps, hidden_size)),
    )


def rnn_forward(X: np.ndarray, S0: np.ndarray, W: np.ndarray, H: np.ndarray,
                b: np.ndarray) -> np.ndarray:
    """Every state of the RNN cell unrolled over ``X``: S_i = tanh(X_i W + S_{i-1} H + b).

    Returns the states S_1 … S_T, shape (batch, steps, hidden_size); ``S0`` is not included.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3:
        raise ValueError(f"X must have shape (batch, steps, input_size), not {X.shape}.")
    state = np.asarray(S0, dtype=np.float64)
    states = []
    for i in range(X.shape[1]):
        state = np.tanh(X[:, i] @ W + state @ H + b)
        states.append(state)
    return np.stack(states, axis=1)


def linear_loss(states: np.ndarray, d_states: np.ndarray) -> float:
    """``sum(d_states * states)``, a loss whose gradient for ``states`` is ``d_states``."""
    return float(np.sum(np.asarray(d_states) * np.asarray(states)))


def numerical_gradients(problem: RNNProblem, epsilon: float = 1e-6) -> dict[str, np.ndarray]:
    """The gradient of ``problem.loss()`` for each array, by central differences.

    Each entry is nudged by ±``epsilon`` in turn: (L(a + ε) − L(a − ε)) / 2ε, which is
    exact up to O(ε²) plus rounding of order 1e-16/ε. Slow (two forward passes per
    entry), so for small problems only.
    """
    gradients = {}
    for name, array in problem.arrays().items():
        array = array.copy()
        setattr(problem, name, array)  # nudged in place: a private copy, restored below
        gradient = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            kept = array[index]
            array[index] = kept + epsilon
            above = problem.loss()
            array[index] = kept - epsilon
            below = problem.loss()
            array[index] = kept
            gradient[index] = (above - below) / (2 * epsilon)
        gradients[name] = gradient
    return gradients


def step_gradient_norms(rnn_backward: BackwardFn, spectral_radius: float, *, steps: int = 40,
                        batch: int = 16, hidden_size: int = 32, seed: int = 0) -> np.ndarray:
    """How much each input step moves a loss on the last state only, with your ``rnn_backward``.

    The loss reads S_T alone, so the gradient reaching step i has passed through T − i
    per-step Jacobians diag(1 − S_j²) Hᵀ. Returns the mean over the batch of ‖∂L/∂X_i‖ for
    each step i (step 0 first), H rescaled to ``spectral_radius``.
    """
    problem = rnn_problem(batch, steps, hidden_size, hidden_size,
                          spectral_radius=spectral_radius, seed=seed)
    problem.d_states[:, :-1] = 0.0  # only the last state feeds the loss
    gradients = rnn_backward(problem.X, problem.S0, problem.W, problem.H, problem.b,
                             problem.states(), problem.d_states)
    return np.linalg.norm(np.asarray(gradients["X"], dtype=np.float64), axis=2).mean(axis=0)
