"""What a framework must provide so the framework-neutral checks can run.

Backends build the student's modules in float64 and run them on NumPy arrays,
returning NumPy arrays and gradients, so the checks compare like with like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from rnncourse.i18n import _


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
    #: How to turn integer lengths into the inputs' float dtype, e.g. "lengths.to(x.dtype)".
    integer_cast_text: str

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

    def reference_gradients(self, w: np.ndarray, h: np.ndarray, b: np.ndarray, x: np.ndarray,
                            initial_state: np.ndarray, grad_outputs: np.ndarray
                            ) -> dict[str, np.ndarray]:
        """Autograd's gradients of ``sum(outputs * grad_outputs)`` through the framework's RNN
        layer with weights W, H, b, keyed "X", "S0", "W", "H" and "b" (in those shapes)."""

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
    #: For each kind, the framework's gates in the order its weights stack them.
    gate_names: dict[str, tuple[str, ...]]
    #: One sentence on how to make the framework's LSTM skip padding.
    padding_hint: str
    #: One sentence on creating a gated cell's weights so the framework trains them.
    gated_parameter_hint: str
    #: True for the float32 backend that runs only when the student's code needs float32.
    is_fallback: bool

    def recurrent_kinds(self, model: Any) -> dict[str, str]:
        """The built-in recurrent layers ``model`` holds: kind ("rnn", "lstm", "gru") -> the
        framework's class name, e.g. {"lstm": "torch.nn.LSTM"}."""

    def random_gated_layer(self, kind: str, input_size: int, hidden_size: int,
                           rng: np.random.Generator) -> Any:
        """A float64 framework LSTM/GRU layer with random weights and biases."""

    def with_gates_swapped(self, layer: Any, kind: str, first: int, second: int) -> Any:
        """A copy of the framework ``layer`` whose gates ``first`` and ``second`` (indices in
        :attr:`gate_names`) trade their weights and biases."""

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


# ---------------------------------------------------------------------------------------------
# Lesson 3: reading both ways and stacking. The student's Bidirectional and Stacked take a
# ``make_layer`` factory; the checks pass one whose layers (the course's ``Recurrent``) record
# what they receive and return, so where the dropout goes and what each layer reads can be
# seen. A final state is a flat tuple of (batch, hidden) arrays: layer by layer, forward before
# backward, (h, c) for an LSTM and (h,) otherwise.
# ---------------------------------------------------------------------------------------------


@dataclass
class DeepRun:
    """A student's function or layer (or the reference) over a padded batch."""

    outputs: np.ndarray
    #: The final states as returned: a tuple of arrays, possibly nested (the checks say so).
    final: Any = ()
    #: Gradient of the loss with respect to x; None when no gradient reaches x at all.
    grad_x: np.ndarray | None = None


@dataclass
class LayerRecord:
    """What one of the check's recurrent layers received and returned in its latest call."""

    inputs: np.ndarray
    outputs: np.ndarray
    final: tuple[np.ndarray, ...]


@dataclass
class LayerRecorder:
    """The check's ``make_layer``: every layer it made, in order, and what to call each one."""

    kind: str
    #: The framework's make_layer: (input_size, hidden_size) in PyTorch, (hidden_size) in Keras.
    make: Callable[..., Any] = field(default=lambda *args: None)
    layers: list[Any] = field(default_factory=list)
    #: id(layer) -> how messages name it, e.g. "Layer 1 of your Stacked".
    names: dict[int, str] = field(default_factory=dict)
    #: What a layer that receives inputs of the wrong size says after its name (marked with
    #: ``N_``, translated where it is shown).
    size_hint: str = ""

    def name(self, layer: Any) -> str:
        name = self.names.get(id(layer))
        return name if name is not None else _("A layer made by make_layer")

    def record(self, layer: Any) -> LayerRecord | None:
        return getattr(layer, "record", None)


class DeepBackend(Protocol):
    """What Lesson 3's checks need from a framework."""

    framework: str
    tolerance: float
    is_fallback: bool
    #: One sentence on keeping a function differentiable (no detaching). These hints are marked
    #: with ``N_`` and translated where a message shows them.
    deep_grad_hint: str
    #: The attribute of the given Stacked.__init__ that holds its layers ("layers" or "rnns").
    stacked_attribute: str
    #: How the student's classes are built, for messages: "(make_layer, input_size, ...)".
    make_layer_text: str
    #: One sentence on letting the framework switch dropout off in eval mode.
    eval_dropout_hint: str
    #: How to leave the padding out of a maximum, e.g. "masked_fill(..., float('-inf'))".
    masked_max_hint: str
    #: The framework's way to reverse whole rows, padding included: "x.flip(1)".
    flip_all_text: str

    def bidirectional_reference_name(self, *kinds: str) -> str:
        """The framework's bidirectional layer, e.g. "torch.nn.LSTM(bidirectional=True)"."""

    def stacked_reference_name(self, kind: str, num_layers: int, dropout: float,
                               bidirectional: bool) -> str:
        """The framework's stack, e.g. "torch.nn.LSTM(num_layers=2, dropout=0.3)"."""

    def stacked_summary(self, *kinds: str) -> str:
        """The framework's stacks of those kinds in a few words, for the thorough ✓ line."""

    def run_function(self, function: Callable[..., Any], what: str, x: np.ndarray,
                     lengths: np.ndarray, grad_output: np.ndarray | None = None) -> DeepRun:
        """``function(x, lengths)`` on framework tensors; grad_x of sum(result · grad_output)."""

    def recorder(self, kind: str) -> LayerRecorder:
        """A fresh make_layer whose layers are recording ``Recurrent`` layers of ``kind``."""

    def bidirectional_maker(self, bidirectional_class: type,
                            recorder: LayerRecorder) -> Callable[..., Any]:
        """A make_layer that builds the student's Bidirectional around ``recorder.make``."""

    def build_deep(self, cls: type, make_layer: Callable[..., Any], input_size: int,
                   hidden_size: int, *args: Any, **kwargs: Any) -> Any:
        """The student's class built (in the check's dtype) with the framework's arguments."""

    def assert_no_builtin_deep(self, module: Any, recorder: LayerRecorder, what: str) -> None:
        """Fail when ``module`` holds built-in recurrent layers other than make_layer's."""

    def run_deep(self, module: Any, what: str, x: np.ndarray, lengths: np.ndarray, *,
                 training: bool, grad_outputs: np.ndarray | None = None,
                 grad_final: tuple[np.ndarray, ...] | None = None) -> DeepRun:
        """``module(x, lengths)`` in eval or training mode; with gradients when asked."""

    def randomize_layers(self, layers: list[Any], rng: np.random.Generator) -> None:
        """Give each of the check's (already built) recurrent layers random weights."""

    def deep_reference(self, kind: str, layers: list[Any], num_layers: int,
                       bidirectional: bool) -> Any:
        """The framework's stack with the weights of ``layers`` (layer by layer, fwd, bwd)."""

    def run_deep_reference(self, reference: Any, x: np.ndarray, lengths: np.ndarray,
                           grad_outputs: np.ndarray | None = None,
                           grad_final: tuple[np.ndarray, ...] | None = None) -> DeepRun:
        """The reference over a padded batch, skipping the padding; flat final states."""


def nested_arrays(value: Any, what: str, to_array: Callable[[Any, str], np.ndarray]) -> Any:
    """Tensors as arrays, tuples and lists as tuples (kept nested, for the checks to judge)."""
    if isinstance(value, tuple | list):
        return tuple(nested_arrays(part, what, to_array) for part in value)
    return to_array(value, what)
