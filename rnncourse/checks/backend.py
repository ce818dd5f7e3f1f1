"""What a framework must provide so the framework-neutral checks can run.

Backends build the student's modules in float64 and run them on NumPy arrays,
returning NumPy arrays and gradients, so the checks compare like with like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass
class CellRun:
    """One step of a cell: its new state and, when asked, the gradients."""

    output: np.ndarray
    grad_x: np.ndarray | None = None
    grad_state: np.ndarray | None = None
    grad_params: dict[str, np.ndarray | None] = field(default_factory=dict)


@dataclass
class LayerRun:
    """A whole sequence through a layer: every state, the final state, gradients."""

    outputs: np.ndarray
    final: np.ndarray
    grad_x: np.ndarray | None = None
    grad_state: np.ndarray | None = None
    grad_params: dict[str, np.ndarray | None] = field(default_factory=dict)


@dataclass
class ModelRun:
    """A classifier's logits and, when asked, its parameter gradients."""

    output: np.ndarray
    grad_params: dict[str, np.ndarray | None] = field(default_factory=dict)


class Backend(Protocol):
    """The framework-specific half of every check."""

    framework: str
    reference_cell_name: str
    reference_layer_name: str
    parameter_hint: str
    grad_hint: str
    #: What the framework calls a trainable tensor: "parameter" (PyTorch), "weight" (Keras).
    parameter_word: str
    loading_hint: str
    #: Largest relative error accepted: 1e-8 in float64, looser in the float32 fallback.
    tolerance: float

    def build(self, cls: type, *args: Any) -> Any:
        """Instantiate a student's class so that its parameters are float64."""

    def parameter_sizes(self, module: Any) -> dict[str, int]:
        """Trainable parameters by name, with their number of elements."""

    def fill_parameters(self, module: Any, make: Callable[[tuple[int, ...]], np.ndarray]) -> None:
        """Overwrite every trainable parameter with ``make(shape)``."""

    def run_cell(self, cell: Any, x: np.ndarray, state: np.ndarray,
                 grad_output: np.ndarray | None = None) -> CellRun:
        """One step of the student's cell, with gradients when ``grad_output`` is given."""

    def run_layer(self, layer: Any, x: np.ndarray, initial_state: np.ndarray | None,
                  grad_outputs: np.ndarray | None = None,
                  grad_final: np.ndarray | None = None) -> LayerRun:
        """The student's layer over a batch of sequences."""

    def run_classifier(self, model: Any, ids: np.ndarray,
                       grad_output: np.ndarray | None = None) -> ModelRun:
        """The student's classifier on padded token ids."""

    def reference_cell(self, w: np.ndarray, h: np.ndarray, b: np.ndarray, x: np.ndarray,
                       state: np.ndarray, grad_output: np.ndarray | None) -> CellRun:
        """The framework's own cell with weights W, H, b."""

    def reference_layer(self, w: np.ndarray, h: np.ndarray, b: np.ndarray, x: np.ndarray,
                        initial_state: np.ndarray | None, grad_outputs: np.ndarray | None,
                        grad_final: np.ndarray | None) -> LayerRun:
        """The framework's own RNN layer with weights W, H, b."""

    def random_reference_layer(self, input_size: int, hidden_size: int,
                               rng: np.random.Generator) -> Any:
        """A float64 framework RNN layer with random weights, as a student would meet it."""

    def run_reference_object(self, layer: Any, x: np.ndarray) -> np.ndarray:
        """All states of a framework RNN layer (zero initial state)."""

    def assert_no_builtin_rnn(self, model: Any, what: str) -> None:
        """Fail when ``model`` uses the framework's recurrent layers instead of the student's."""


# ---------------------------------------------------------------------------------------------
# Lesson 2: gated cells (LSTM, GRU). ``kind`` is "lstm" or "gru"; a state is a tuple of arrays,
# (h, c) for an LSTM and (h,) for a GRU, each (batch, hidden).
# ---------------------------------------------------------------------------------------------


@dataclass
class GatedRun:
    """A gated cell unrolled step by step: every step's state and, when asked, the gradients."""

    #: One tuple per step: (h, c) for an LSTM, (h,) for a GRU, as the cell returned them.
    steps: list[tuple[np.ndarray, ...]]
    grad_x: np.ndarray | None = None
    #: Gradients with respect to the initial state, one per part: (h0, c0) or (h0,).
    grad_state: tuple[np.ndarray, ...] | None = None
    grad_params: dict[str, np.ndarray | None] = field(default_factory=dict)

    def stacked(self) -> tuple[np.ndarray, ...]:
        """Each part of the state over all steps: arrays of shape (batch, steps, hidden)."""
        parts = len(self.steps[0])
        return tuple(np.stack([step[k] for step in self.steps], axis=1) for k in range(parts))


@dataclass
class GatedLayerRun:
    """A student's gated layer over a batch: all outputs, the final (h, c) or (h,), gradients."""

    outputs: np.ndarray
    final: tuple[np.ndarray, ...]
    grad_x: np.ndarray | None = None
    grad_state: tuple[np.ndarray, ...] | None = None
    grad_params: dict[str, np.ndarray | None] = field(default_factory=dict)


class GatedBackend(Backend, Protocol):
    """What Lesson 2's checks need on top of :class:`Backend`."""

    #: The framework's layer for each kind, e.g. {"lstm": "torch.nn.LSTM", "gru": ...}.
    gated_reference_names: dict[str, str]
    #: For each kind, one sentence on how the framework's layer stores its weights.
    gated_loading_hints: dict[str, str]
    #: One sentence on how to make the framework's LSTM skip padding.
    padding_hint: str
    #: One sentence on creating a gated cell's weights so the framework trains them.
    gated_parameter_hint: str
    #: True for the float32 backend that runs only when the student's code needs float32.
    is_fallback: bool

    def random_gated_layer(self, kind: str, input_size: int, hidden_size: int,
                           rng: np.random.Generator) -> Any:
        """A float64 framework LSTM/GRU layer with random weights and biases."""

    def run_gated_reference(self, layer: Any, kind: str, x: np.ndarray,
                            state: tuple[np.ndarray, ...],
                            grads: tuple[np.ndarray, ...] | None = None) -> GatedRun:
        """The framework layer one step at a time from ``state``, with every step's (h, c).

        With ``grads`` (one (batch, steps, hidden) array per part of the state) the loss is
        the sum of every step's state times its gradient; the run holds its gradients.
        """

    def unroll_gated_cell(self, cell: Any, kind: str, what: str, x: np.ndarray,
                          state: tuple[np.ndarray, ...],
                          grads: tuple[np.ndarray, ...] | None = None) -> GatedRun:
        """The student's cell called once per step, as :meth:`run_gated_reference` does."""

    def run_gated_layer(self, layer: Any, kind: str, what: str, x: np.ndarray,
                        initial_state: tuple[np.ndarray, ...] | None,
                        grad_outputs: np.ndarray | None = None,
                        grad_final: tuple[np.ndarray, ...] | None = None) -> GatedLayerRun:
        """The student's layer (its own loop) over a batch of sequences."""
