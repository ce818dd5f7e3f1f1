"""Checks for the TensorFlow (Keras 3) lessons: what the notebooks' test cells call.

Each public ``check_*`` function raises :class:`~rnncourse.errors.CheckFailed` with one
sentence when the student's code differs from Keras' own layers, and prints one line
when it passes. ``thorough=True`` runs the hidden tests' larger set of cases.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import sysconfig
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from rnncourse.checks import rnn as neutral
from rnncourse.checks.backend import (
    CellRun,
    DeepRun,
    GatedLayerRun,
    GatedRun,
    LayerRecord,
    LayerRecorder,
    LayerRun,
    ModelRun,
    nested_arrays,
)
from rnncourse.checks.compare import joined
from rnncourse.checks.deep import DeepLessonChecks
from rnncourse.checks.gated import GatedLessonChecks, float32_exact
from rnncourse.checks.lesson import LessonChecks
from rnncourse.errors import CheckFailed
from rnncourse.i18n import N_, _
from rnncourse.quiet import native_stderr_silenced
from rnncourse.tracebacks import is_ours

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # honoured by part of TensorFlow's C++ log
with native_stderr_silenced():  # the rest of its start-up notices go straight to fd 2
    import keras
    import tensorflow as tf

    from rnncourse.tensorflow import RECURRENT_LAYERS, Recurrent

_LIBRARY_KEYS = ("stdlib", "platstdlib", "purelib", "platlib")

BUILTIN_RECURRENT = (
    keras.layers.RNN, keras.layers.SimpleRNNCell, keras.layers.LSTMCell, keras.layers.GRUCell,
    keras.layers.Bidirectional,
)


@contextlib.contextmanager
def _default_dtype(dtype: str) -> Iterator[None]:
    # Layers built here, and their weights, default to the check's dtype. Keras caches its
    # global dtype policy on first use, so the policy is switched and restored along with
    # floatx, otherwise the student's later layers would silently stay float64.
    previous_floatx = keras.config.floatx()
    previous_policy = keras.config.dtype_policy()
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(previous_floatx)
        keras.config.set_dtype_policy(previous_policy)


def _numpy(value: Any, what: str) -> np.ndarray:
    if not (tf.is_tensor(value) or isinstance(value, np.ndarray | tf.Variable)):
        raise CheckFailed(_("{what} returned a {type}; it should return a tensor.").format(
            what=what, type=type(value).__name__), mistake="not-a-tensor")
    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)


def _grads(tape: tf.GradientTape, loss: tf.Tensor, sources: list[Any]) -> list[Any]:
    # Embedding gradients arrive as IndexedSlices; make them dense first.
    return [None if g is None else np.asarray(tf.convert_to_tensor(g), dtype=np.float64)
            for g in tape.gradient(loss, sources)]


def _zeros_if_none(grad: np.ndarray | None, like: np.ndarray) -> np.ndarray:
    return np.zeros_like(like) if grad is None else grad


#: Where installed libraries and Python's own modules live: frames there are not the student's.
_LIBRARY_PATHS = tuple(sorted({os.path.realpath(path) + os.sep for key, path in
                               sysconfig.get_paths().items() if key in _LIBRARY_KEYS}))

#: (words in the error, all of which must be there; the sentence for it). Marked with ``N_``
#: and translated where the sentence is made.
_GRAPH_CONSTRUCTS = (
    (("to a numpy array",), "graph-numpy",
     N_("{where} converts a tensor to NumPy (np.asarray, np.array or .numpy()), which works only "
        "outside tf.function, and training runs your code inside one: keep it a tensor and use "
        "tf or keras.ops operations (tf.sequence_mask, tf.gather, tf.where).")),
    (("has no attribute 'numpy'",), "graph-numpy",
     N_("{where} converts a tensor to NumPy (np.asarray, np.array or .numpy()), which works only "
        "outside tf.function, and training runs your code inside one: keep it a tensor and use "
        "tf or keras.ops operations (tf.sequence_mask, tf.gather, tf.where).")),
    (("symbolictensor",), "graph-python-number",
     N_("{where} turns a tensor into a Python number (int(), float(), range() or an index), "
        "which works only outside tf.function, and training runs your code inside one: keep it "
        "a tensor (a mask from tf.sequence_mask(lengths, tf.shape(x)[1]), tf.gather, or tf.print "
        "to print it), and loop over range(x.shape[1]), which is a Python number.")),
    (("as a python `bool`",), "graph-python-if",
     N_("{where} branches on a tensor with a Python if, and, or or not, which works only outside "
        "tf.function, and training runs your code inside one: compute both results and choose "
        "with tf.where, or multiply by a mask.")),
    (("iterating over a symbolic",), "graph-tensor-loop",
     N_("{where} loops over a tensor's values in Python, which works only outside tf.function, "
        "and training runs your code inside one: loop over range(x.shape[1]), which is a Python "
        "number, or use a mask.")),
    (("int32", "int64"), "graph-int-mix",
     N_("{where} mixes int32 and int64 tensors inside tf.function, where training's batches of "
        "ids are int64: cast with tf.cast(..., \"int32\") before combining them.")),
)


def _student_entry(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The innermost traceback entry in the student's code (not the course's or a library's)."""
    found = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not (is_ours(filename) or filename.startswith("<frozen")
                or os.path.realpath(filename).startswith(_LIBRARY_PATHS)):
            found = tb
        tb = tb.tb_next
    return found


def graph_failure(error: BaseException) -> CheckFailed:
    """The failure, in one sentence, of code that runs eagerly but fails inside ``tf.function``."""
    entry = _student_entry(error.__traceback__)
    if entry is None:
        where = _("Your code")
    else:
        code = entry.tb_frame.f_code
        source = linecache.getline(code.co_filename, entry.tb_lineno).strip()
        where = _("`{source}` (line {line}, in {function})").format(
            line=entry.tb_lineno, function=getattr(code, "co_qualname", code.co_name),
            source=source if len(source) <= 60 else source[:57] + "...")
    text = str(error).lower()
    for words, mistake, sentence in _GRAPH_CONSTRUCTS:
        if all(word in text for word in words):
            return CheckFailed(_(sentence).format(where=where), mistake=mistake)
    first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    if not first_line.endswith((".", "!", "?")):
        first_line += "."
    return CheckFailed(_("{where} raises {error} inside tf.function, as training runs your "
                         "code, although it runs outside one: {message}").format(
        where=where, error=type(error).__name__, message=first_line), mistake="graph-eager-only")


class KerasBackend:
    """Runs students' Keras layers and models in float64 (or float32) for the neutral checks."""

    framework = "TensorFlow"
    reference_cell_name = "keras.layers.SimpleRNNCell"
    reference_layer_name = "keras.layers.SimpleRNN"
    # Hints are marked for the catalog here and translated where a message shows them.
    parameter_hint = N_("Create W, H and b with self.add_weight so Keras can train them.")
    grad_hint = N_(
        "Compute every step with keras.ops or tf operations on the tensors themselves (no "
        ".numpy(), tf.stop_gradient or Python floats) and use every weight."
    )
    integer_cast_text = "tf.cast(lengths, outputs.dtype)"
    parameter_word = N_("weight")
    loading_hint = N_(
        "SimpleRNN's get_weights() returns [kernel (input×hidden), recurrent_kernel "
        "(hidden×hidden), bias (hidden)]: the lesson's W, H and b, in that order."
    )

    def __init__(self, dtype: str = "float64", tolerance: float = 1e-8, *,
                 graph: bool = False) -> None:
        self.dtype = dtype
        self.tolerance = tolerance
        #: True for the twin that runs the student's code inside tf.function, as training does.
        self.graph = graph
        self._graph_twin: KerasBackend | None = None

    @property
    def graph_twin(self) -> KerasBackend:
        """The same backend, running each call of the student's code inside ``tf.function``."""
        if self.graph:
            return self
        if self._graph_twin is None:
            self._graph_twin = KerasBackend(self.dtype, self.tolerance, graph=True)
        return self._graph_twin

    def run_traced(self, check: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """``check`` on the graph twin; what fails only there is told in one sentence."""
        try:
            check(self.graph_twin, *args, **kwargs)
        except CheckFailed as failure:
            raise CheckFailed(_("Inside tf.function, as training runs your code: {message}")
                              .format(message=failure), mistake=failure.mistake) from None
        except Exception as error:  # noqa: BLE001  (each one becomes its sentence)
            raise graph_failure(error) from None

    def _call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``function(*args, **kwargs)``: eagerly, or traced in a ``tf.function`` like training's.

        The trace has no AutoGraph, as a layer's ``call`` has none inside training's step, so a
        Python ``if`` on a tensor fails here as it fails there.
        """
        if not self.graph:
            return function(*args, **kwargs)
        called: list[tuple[RecordingRecurrent, tuple[Any, ...]]] = []

        def traced(*inner_args: Any, **inner_kwargs: Any) -> tuple[Any, list[Any]]:
            _TRACING.append(called)
            try:
                result = function(*inner_args, **inner_kwargs)
            finally:
                _TRACING.pop()
            # Keras also traces a layer's call in a scratch graph to infer its output shapes;
            # only the calls in this function's own graph can be returned.
            graph = tf.compat.v1.get_default_graph()
            called[:] = [entry for entry in called if entry[1][1].graph is graph]
            return result, [tensors for _layer, tensors in called]

        result, recorded = tf.function(traced, autograph=False)(*args, **kwargs)
        # The recording layers saw symbolic tensors: keep their values, the latest call last.
        for (layer, _tensors), (x, outputs, final) in zip(called, recorded, strict=True):
            layer.record = LayerRecord(_numpy(x, "x"), _numpy(outputs, "Recurrent"),
                                       tuple(_numpy(part, "Recurrent") for part in final))
        return result

    def _ids(self, ids: np.ndarray) -> tf.Tensor:
        # Training's batches hold int64 ids; the eager checks keep the int32 they always used.
        return tf.constant(ids, dtype=tf.int64 if self.graph else tf.int32)

    def _const(self, array: np.ndarray) -> tf.Tensor:
        return tf.constant(array, dtype=self.dtype)

    def build(self, cls: type, *args: Any) -> keras.layers.Layer:
        with _default_dtype(self.dtype):
            layer = cls(*args)
        if not isinstance(layer, keras.layers.Layer):
            raise CheckFailed(_("{name} must be a subclass of {base}.").format(
                name=cls.__name__, base="keras.layers.Layer"), mistake="wrong-base-class")
        return layer

    def parameter_sizes(self, module: keras.layers.Layer) -> dict[str, int]:
        return {w.path: int(np.prod(w.shape)) for w in module.trainable_weights}

    def fill_parameters(self, module: keras.layers.Layer,
                        make: Callable[[tuple[int, ...]], np.ndarray]) -> None:
        for w in module.trainable_weights:
            w.assign(np.asarray(make(tuple(w.shape)), dtype=w.dtype))

    def _param_grads(self, module: keras.layers.Layer, grads: list[Any]) -> dict[str, Any]:
        return {w.path: g for w, g in zip(module.trainable_weights, grads, strict=True)}

    def run_cell(self, cell: keras.layers.Layer, x: np.ndarray, state: np.ndarray,
                 grad_output: np.ndarray | None = None) -> CellRun:
        xt, st = self._const(x), self._const(state)
        with _default_dtype(self.dtype), tf.GradientTape() as tape:
            tape.watch([xt, st])
            out = self._call(cell, xt, st)
            value = _numpy(out, "RNNCell.call")
            loss = None if grad_output is None else tf.reduce_sum(
                tf.cast(out, self.dtype) * self._const(grad_output))
        run = CellRun(value)
        if loss is not None:
            weights = list(cell.trainable_weights)
            gx, gs, *gw = _grads(tape, loss, [xt, st, *weights])
            run.grad_x, run.grad_state = _zeros_if_none(gx, x), _zeros_if_none(gs, state)
            run.grad_params = self._param_grads(cell, gw)
        return run

    def run_layer(self, layer: keras.layers.Layer, x: np.ndarray,
                  initial_state: np.ndarray | None, grad_outputs: np.ndarray | None = None,
                  grad_final: np.ndarray | None = None) -> LayerRun:
        xt = self._const(x)
        st = None if initial_state is None else self._const(initial_state)
        with _default_dtype(self.dtype), tf.GradientTape() as tape:
            tape.watch(xt)
            if st is not None:
                tape.watch(st)
            result = (self._call(layer, xt) if st is None
                      else self._call(layer, xt, initial_state=st))
            if not (isinstance(result, tuple | list) and len(result) == 2):
                raise CheckFailed(_("Your RNN's {method} should return a pair (outputs, "
                                    "final_state).").format(method="call"),
                                  mistake="wrong-return-structure")
            outputs, final = result
            values = (_numpy(outputs, "RNN.call (outputs)"), _numpy(final, "RNN.call (final)"))
            loss = None
            if grad_outputs is not None:
                loss = (tf.reduce_sum(tf.cast(outputs, self.dtype) * self._const(grad_outputs))
                        + tf.reduce_sum(tf.cast(final, self.dtype) * self._const(grad_final)))
        run = LayerRun(*values)
        if loss is not None:
            weights = list(layer.trainable_weights)
            sources = [xt] + ([st] if st is not None else []) + weights
            grads = _grads(tape, loss, sources)
            run.grad_x = _zeros_if_none(grads.pop(0), x)
            if st is not None:
                run.grad_state = _zeros_if_none(grads.pop(0), initial_state)
            run.grad_params = self._param_grads(layer, grads)
        return run

    def run_classifier(self, model: keras.layers.Layer, ids: np.ndarray,
                       grad_output: np.ndarray | None = None) -> ModelRun:
        with _default_dtype(self.dtype), tf.GradientTape() as tape:
            logits = self._call(model, self._ids(ids))
            value = _numpy(logits, "The classifier's call")
            loss = None if grad_output is None else tf.reduce_sum(
                tf.cast(logits, self.dtype) * self._const(grad_output))
        run = ModelRun(value)
        if loss is not None:
            run.grad_params = self._param_grads(
                model, _grads(tape, loss, list(model.trainable_weights)))
        return run

    def _reference_rnn(self, w: np.ndarray, h: np.ndarray, b: np.ndarray) -> keras.layers.Layer:
        layer = keras.layers.SimpleRNN(w.shape[1], return_sequences=True, return_state=True,
                                       dtype=self.dtype)
        layer.build((None, None, w.shape[0]))
        layer.set_weights([w, h, b])
        return layer

    def reference_cell(self, w: np.ndarray, h: np.ndarray, b: np.ndarray, x: np.ndarray,
                       state: np.ndarray, grad_output: np.ndarray | None) -> CellRun:
        cell = keras.layers.SimpleRNNCell(w.shape[1], dtype=self.dtype)
        cell.build((None, w.shape[0]))
        cell.set_weights([w, h, b])
        xt, st = self._const(x), self._const(state)
        with tf.GradientTape() as tape:
            tape.watch([xt, st])
            out, _ = cell(xt, [st])
            loss = None if grad_output is None else tf.reduce_sum(out * self._const(grad_output))
        run = CellRun(_numpy(out, "SimpleRNNCell"))
        if loss is not None:
            run.grad_x, run.grad_state = _grads(tape, loss, [xt, st])
        return run

    def reference_layer(self, w: np.ndarray, h: np.ndarray, b: np.ndarray, x: np.ndarray,
                        initial_state: np.ndarray | None, grad_outputs: np.ndarray | None,
                        grad_final: np.ndarray | None) -> LayerRun:
        layer = self._reference_rnn(w, h, b)
        xt = self._const(x)
        s0 = np.zeros((x.shape[0], w.shape[1])) if initial_state is None else initial_state
        st = self._const(s0)
        with tf.GradientTape() as tape:
            tape.watch([xt, st])
            outputs, final = layer(xt, initial_state=[st])
            loss = None
            if grad_outputs is not None:
                loss = (tf.reduce_sum(outputs * self._const(grad_outputs))
                        + tf.reduce_sum(final * self._const(grad_final)))
        run = LayerRun(_numpy(outputs, "SimpleRNN"), _numpy(final, "SimpleRNN"))
        if loss is not None:
            run.grad_x, run.grad_state = _grads(tape, loss, [xt, st])
        return run

    def reference_gradients(self, w: np.ndarray, h: np.ndarray, b: np.ndarray, x: np.ndarray,
                            initial_state: np.ndarray, grad_outputs: np.ndarray
                            ) -> dict[str, np.ndarray]:
        layer = self._reference_rnn(w, h, b)
        xt, st = self._const(x), self._const(initial_state)
        kernel, recurrent, bias = layer.cell.kernel, layer.cell.recurrent_kernel, layer.cell.bias
        with tf.GradientTape() as tape:
            tape.watch([xt, st])
            outputs, _final = layer(xt, initial_state=[st])
            loss = tf.reduce_sum(outputs * self._const(grad_outputs))
        grads = _grads(tape, loss, [xt, st, kernel, recurrent, bias])
        return dict(zip(("X", "S0", "W", "H", "b"), grads, strict=True))

    def random_reference_layer(self, input_size: int, hidden_size: int,
                               rng: np.random.Generator) -> keras.layers.Layer:
        layer = keras.layers.SimpleRNN(hidden_size, return_sequences=True, dtype=self.dtype)
        layer.build((None, None, input_size))
        bound = 1 / np.sqrt(hidden_size)
        layer.set_weights([rng.uniform(-bound, bound, size=tuple(w.shape))
                           for w in layer.get_weights()])
        return layer

    def run_reference_object(self, layer: keras.layers.Layer, x: np.ndarray) -> np.ndarray:
        return np.asarray(layer(self._const(x)), dtype=np.float64)

    def assert_no_builtin_rnn(self, model: keras.layers.Layer, what: str) -> None:
        for layer in model._flatten_layers(include_self=False, recursive=True):
            if isinstance(layer, BUILTIN_RECURRENT):
                raise CheckFailed(_(
                    "Your {what} uses Keras' {layer} ({name}); the exercise asks you to build it "
                    "from your own code, without built-in recurrent layers."
                ).format(what=_(what), layer=type(layer).__name__, name=repr(layer.name)),
                                  mistake="builtin-layer")

    def recurrent_kinds(self, model: keras.layers.Layer) -> dict[str, str]:
        """The built-in recurrent layers ``model`` holds: kind -> the framework's class name."""
        found = {}
        layers = (model._flatten_layers(include_self=True, recursive=True)
                  if isinstance(model, keras.layers.Layer) else [])
        for layer in layers:
            for kind, builtin in RECURRENT_LAYERS.items():
                if isinstance(layer, builtin):
                    found.setdefault(kind, f"keras.layers.{builtin.__name__}")
        return found

    # Lesson 2: gated cells (LSTM and GRU) ----------------------------------------------------

    @property
    def is_fallback(self) -> bool:
        return self.dtype != "float64"

    gated_reference_names = {"lstm": "keras.layers.LSTM", "gru": "keras.layers.GRU"}
    gate_names = {"lstm": ("i", "f", "c", "o"), "gru": ("z", "r", "h")}
    gated_loading_hints = {
        "lstm": N_("keras.layers.LSTM's get_weights() returns kernel (input, 4·hidden), "
                   "recurrent_kernel (hidden, 4·hidden) and bias (4·hidden), already in the x·W "
                   "layout, with the gates in the order i, f, c (the candidate), o."),
        "gru": N_("keras.layers.GRU's get_weights() returns kernel (input, 3·hidden), "
                  "recurrent_kernel (hidden, 3·hidden) and bias (2, 3·hidden), row 0 for the "
                  "input and row 1 for the recurrent part, with the gates in the order z, r, h "
                  "(not r, z, n)."),
    }
    gated_parameter_hint = N_(
        "Create its weights with self.add_weight (or Dense layers) so Keras can train them."
    )
    padding_hint = N_(
        "Give the Embedding mask_zero=True (or pass a mask to the LSTM), so that the LSTM skips "
        "the padding and its final state is the one at each sequence's last real token."
    )

    def random_gated_layer(self, kind: str, input_size: int, hidden_size: int,
                           rng: np.random.Generator) -> keras.layers.Layer:
        if kind == "lstm":
            layer = keras.layers.LSTM(hidden_size, return_sequences=True, return_state=True,
                                      dtype=self.dtype)
        else:
            layer = keras.layers.GRU(hidden_size, return_sequences=True, return_state=True,
                                     reset_after=True, dtype=self.dtype)
        layer.build((None, None, input_size))
        bound = 1 / np.sqrt(hidden_size)
        layer.set_weights([float32_exact(rng.uniform(-bound, bound, size=tuple(w.shape)))
                           for w in layer.get_weights()])
        return layer

    def _gated_loss(self, tensors: list[tuple[Any, ...]],
                    grads: tuple[np.ndarray, ...]) -> tf.Tensor:
        return tf.add_n([
            tf.reduce_sum(tf.stack([tf.cast(step[k], self.dtype) for step in tensors], axis=1)
                          * self._const(grad))
            for k, grad in enumerate(grads)])

    def with_gates_swapped(self, layer: keras.layers.Layer, kind: str, first: int,
                           second: int) -> keras.layers.Layer:
        swapped = layer.__class__.from_config(layer.get_config())
        swapped.build((None, None, layer.get_weights()[0].shape[0]))
        weights = []
        for w in layer.get_weights():  # each stacks its gates along its last axis
            blocks = np.split(w, len(self.gate_names[kind]), axis=-1)
            blocks[first], blocks[second] = blocks[second], blocks[first]
            weights.append(np.concatenate(blocks, axis=-1))
        swapped.set_weights(weights)
        return swapped

    def run_gated_reference(self, layer: keras.layers.Layer, kind: str, x: np.ndarray,
                            state: tuple[np.ndarray, ...],
                            grads: tuple[np.ndarray, ...] | None = None) -> GatedRun:
        xt = self._const(x)
        st = [self._const(s) for s in state]
        name = self.gated_reference_names[kind]
        with tf.GradientTape() as tape:
            tape.watch([xt, *st])
            # The layer's own cell, one step at a time, so every step's c is seen too.
            current = list(st)
            tensors = []
            for t in range(x.shape[1]):
                _, current = layer.cell(xt[:, t], current)
                current = list(current)
                tensors.append(tuple(current))
            loss = None if grads is None else self._gated_loss(tensors, grads)
        run = GatedRun([tuple(_numpy(v, name) for v in step) for step in tensors])
        if loss is not None:
            gx, *gs = _grads(tape, loss, [xt, *st])
            run.grad_x = _zeros_if_none(gx, x)
            run.grad_state = tuple(_zeros_if_none(g, s) for g, s in zip(gs, state, strict=True))
        return run

    @staticmethod
    def _gated_parts(result: Any, kind: str, message: str) -> tuple[Any, ...]:
        if kind != "lstm":
            return (result,)
        if not (isinstance(result, tuple | list) and len(result) == 2):
            raise CheckFailed(message, mistake="wrong-return-structure")
        return tuple(result)

    def unroll_gated_cell(self, cell: keras.layers.Layer, kind: str, what: str, x: np.ndarray,
                          state: tuple[np.ndarray, ...],
                          grads: tuple[np.ndarray, ...] | None = None) -> GatedRun:
        xt = self._const(x)
        st = [self._const(s) for s in state]
        names = ("h_new", "c_new") if kind == "lstm" else ()
        steps = []
        pair = _("Your {what}'s {method} should return a pair (h_new, c_new).").format(
            what=what, method="call")

        def values(current: tuple[Any, ...]) -> tuple[np.ndarray, ...]:
            return tuple(_numpy(v, f"{what}.call" + (f" ({names[k]})" if names else ""))
                         for k, v in enumerate(current))

        def unroll(xt: tf.Tensor, st: list[tf.Tensor]) -> list[tuple[Any, ...]]:
            current: tuple[Any, ...] = tuple(st)
            tensors = []
            for t in range(x.shape[1]):
                current = self._gated_parts(
                    cell(xt[:, t], current if kind == "lstm" else current[0]), kind, pair)
                tensors.append(current)
                if not self.graph:  # each step's values at once, so a wrong step stops the loop
                    steps.append(values(current))
            return tensors

        with _default_dtype(self.dtype), tf.GradientTape() as tape:
            tape.watch([xt, *st])
            # In graph mode one trace holds all the steps, as in the student's layer in training.
            tensors = [tuple(step) for step in self._call(unroll, xt, st)]
            if self.graph:
                steps = [values(step) for step in tensors]
            loss = None if grads is None else self._gated_loss(tensors, grads)
        run = GatedRun(steps)
        if loss is not None:
            weights = list(cell.trainable_weights)
            gx, *rest = _grads(tape, loss, [xt, *st, *weights])
            run.grad_x = _zeros_if_none(gx, x)
            run.grad_state = tuple(_zeros_if_none(g, s)
                                   for g, s in zip(rest[: len(st)], state, strict=True))
            run.grad_params = self._param_grads(cell, rest[len(st) :])
        return run

    def run_gated_layer(self, layer: keras.layers.Layer, kind: str, what: str, x: np.ndarray,
                        initial_state: tuple[np.ndarray, ...] | None,
                        grad_outputs: np.ndarray | None = None,
                        grad_final: tuple[np.ndarray, ...] | None = None) -> GatedLayerRun:
        xt = self._const(x)
        st = None if initial_state is None else [self._const(s) for s in initial_state]
        final_text = "(h_T, c_T)" if kind == "lstm" else "h_T"
        pair = _("Your {what}'s {method} should return a pair (outputs, {final}).").format(
            what=what, method="call", final=final_text)
        names = ("h_T", "c_T") if kind == "lstm" else ("h_T",)
        with _default_dtype(self.dtype), tf.GradientTape() as tape:
            tape.watch(xt)
            if st is None:
                result = self._call(layer, xt)
            else:
                tape.watch(st)
                result = self._call(layer, xt,
                                    initial_state=tuple(st) if kind == "lstm" else st[0])
            if not (isinstance(result, tuple | list) and len(result) == 2):
                raise CheckFailed(pair, mistake="wrong-return-structure")
            outputs, final = result
            final = self._gated_parts(final, kind, pair)
            values = (_numpy(outputs, f"{what}.call (outputs)"),
                      tuple(_numpy(v, f"{what}.call ({n})")
                            for n, v in zip(names, final, strict=True)))
            loss = None
            if grad_outputs is not None:
                loss = tf.add_n(
                    [tf.reduce_sum(tf.cast(outputs, self.dtype) * self._const(grad_outputs))]
                    + [tf.reduce_sum(tf.cast(v, self.dtype) * self._const(g))
                       for v, g in zip(final, grad_final, strict=True)])
        run = GatedLayerRun(*values)
        if loss is not None:
            weights = list(layer.trainable_weights)
            sources = [xt] + (st or []) + weights
            grads = _grads(tape, loss, sources)
            run.grad_x = _zeros_if_none(grads.pop(0), x)
            if st is not None:
                run.grad_state = tuple(_zeros_if_none(grads.pop(0), s) for s in initial_state)
            run.grad_params = self._param_grads(layer, grads)
        return run

    # Lesson 3: reading both ways and stacking -------------------------------------------------

    deep_grad_hint = N_(
        "use tf or keras.ops operations on the tensors themselves (tf.reverse_sequence, "
        "tf.gather, tf.where, indexing), without .numpy(), tf.stop_gradient or NumPy arrays."
    )
    stacked_attribute = "rnns"
    make_layer_text = "make_layer(hidden_size)"
    eval_dropout_hint = N_(
        "call self.dropout(x, training=training) with the training argument your call "
        "receives (Keras passes False in evaluation), never with training=True."
    )
    masked_max_hint = N_("fill the padding with -inf first (tf.where with the mask)")
    flip_all_text = "tf.reverse(x, axis=[1])"

    def bidirectional_reference_name(self, *kinds: str) -> str:
        names = [self.gated_reference_names.get(k, "keras.layers.SimpleRNN") for k in kinds]
        if len(kinds) == 1:
            return f"keras.layers.Bidirectional({names[0]})"
        return _("keras.layers.Bidirectional around {names}").format(names=joined(names))

    def stacked_reference_name(self, kind: str, num_layers: int, dropout: float,
                               bidirectional: bool) -> str:
        name = self.gated_reference_names.get(kind, "keras.layers.SimpleRNN")
        if bidirectional:
            name = f"keras.layers.Bidirectional({name})"
        stacked = (_("{count} stacked {name} layers") if num_layers > 1
                   else _("{count} stacked {name} layer"))
        return stacked.format(count=num_layers, name=name)

    def stacked_summary(self, *kinds: str) -> str:
        names = [self.gated_reference_names.get(k, "keras.layers.SimpleRNN") for k in kinds]
        return _("stacked {names} layers").format(names=joined(names))

    @staticmethod
    def _lengths(lengths: np.ndarray) -> tf.Tensor:
        # What rnncourse.tensorflow.sequence_lengths gives the notebooks: an int32 tensor.
        return tf.constant(np.asarray(lengths), dtype=tf.int32)

    def run_function(self, function: Callable[..., Any], what: str, x: np.ndarray,
                     lengths: np.ndarray, grad_output: np.ndarray | None = None) -> DeepRun:
        xt = self._const(x)
        with _default_dtype(self.dtype), tf.GradientTape() as tape:
            tape.watch(xt)
            result = self._call(function, xt, self._lengths(lengths))
            value = _numpy(result, what)
            loss = None
            if grad_output is not None and value.shape == grad_output.shape:
                loss = tf.reduce_sum(tf.cast(result, self.dtype) * self._const(grad_output))
        run = DeepRun(value)
        if loss is not None:
            run.grad_x = _grads(tape, loss, [xt])[0]
        return run

    def recorder(self, kind: str) -> LayerRecorder:
        recorder = LayerRecorder(kind)

        def make_layer(hidden_size: int, **kwargs: Any) -> RecordingRecurrent:
            layer = RecordingRecurrent(hidden_size, kind, recorder, **kwargs)
            recorder.layers.append(layer)
            return layer

        recorder.make = make_layer
        return recorder

    def bidirectional_maker(self, bidirectional_class: type,
                            recorder: LayerRecorder) -> Callable[..., Any]:
        def make_layer(hidden_size: int) -> keras.layers.Layer:
            return bidirectional_class(recorder.make, hidden_size)

        return make_layer

    def build_deep(self, cls: type, make_layer: Callable[..., Any], input_size: int,
                   hidden_size: int, *args: Any, **kwargs: Any) -> keras.layers.Layer:
        # Keras layers infer their input size: the student's classes take no input_size.
        with _default_dtype(self.dtype):
            layer = cls(make_layer, hidden_size, *args, **kwargs)
        if not isinstance(layer, keras.layers.Layer):
            raise CheckFailed(_("{name} must be a subclass of {base}.").format(
                name=cls.__name__, base="keras.layers.Layer"), mistake="wrong-base-class")
        return layer

    def assert_no_builtin_deep(self, module: keras.layers.Layer, recorder: LayerRecorder,
                               what: str) -> None:
        own = {id(sub) for layer in recorder.layers
               for sub in layer._flatten_layers(include_self=True, recursive=True)}
        for layer in module._flatten_layers(include_self=True, recursive=True):
            if id(layer) in own or not isinstance(layer, BUILTIN_RECURRENT):
                continue
            raise CheckFailed(_(
                "Your {what} uses Keras' own {layer} ({name}); the exercise asks you to build it "
                "from the layers that make_layer returns, without built-in bidirectional or "
                "recurrent layers of its own."
            ).format(what=what, layer=type(layer).__name__, name=repr(layer.name)),
                              mistake="builtin-layer")

    def run_deep(self, module: keras.layers.Layer, what: str, x: np.ndarray,
                 lengths: np.ndarray, *, training: bool,
                 grad_outputs: np.ndarray | None = None,
                 grad_final: tuple[np.ndarray, ...] | None = None) -> DeepRun:
        xt = self._const(x)
        with _default_dtype(self.dtype), tf.GradientTape() as tape:
            tape.watch(xt)
            result = self._call(module, xt, self._lengths(lengths), training=training)
            if not (isinstance(result, tuple | list) and len(result) == 2):
                raise CheckFailed(_("Your {what}'s {method} should return a pair (outputs, "
                                    "{final}).").format(what=what, method="call", final="final"),
                                  mistake="wrong-return-structure")
            outputs, final = result
            run = DeepRun(_numpy(outputs, f"{what}.call (outputs)"),
                          nested_arrays(final, f"{what}.call (final)", _numpy))
            loss = None
            if grad_outputs is not None:
                # Outputs past each length may hold anything, even NaN: where() keeps them out.
                g_out = self._const(grad_outputs)
                weighted = tf.where(g_out != 0, tf.cast(outputs, self.dtype) * g_out,
                                    tf.zeros_like(g_out))
                loss = tf.add_n([tf.reduce_sum(weighted)]
                                + [tf.reduce_sum(tf.cast(part, self.dtype) * self._const(g))
                                   for part, g in zip(final, grad_final, strict=True)])
        if loss is not None:
            run.grad_x = _grads(tape, loss, [xt])[0]
        return run

    def randomize_layers(self, layers: list[Any], rng: np.random.Generator) -> None:
        for layer in layers:
            if not layer.rnn.built:
                raise CheckFailed(_("{name} is never called: call every layer that make_layer "
                                    "made.").format(name=layer._recorder.name(layer)),
                                  mistake="layer-never-called")
            bound = 1 / np.sqrt(layer.hidden_size)
            layer.rnn.set_weights([float32_exact(rng.uniform(-bound, bound, size=tuple(w.shape)))
                                   for w in layer.rnn.get_weights()])

    def deep_reference(self, kind: str, layers: list[Any], num_layers: int,
                       bidirectional: bool) -> list[keras.layers.Layer]:
        directions = 2 if bidirectional else 1
        stack = []
        with _default_dtype(self.dtype):
            for index in range(num_layers):
                sources = layers[index * directions : (index + 1) * directions]
                first = sources[0]
                base = RECURRENT_LAYERS[kind](first.hidden_size, return_sequences=True,
                                              return_state=True)
                input_size = first.rnn.get_weights()[0].shape[0]
                if bidirectional:
                    reference = keras.layers.Bidirectional(base)
                    reference.build((None, None, input_size))
                    reference.forward_layer.set_weights(sources[0].rnn.get_weights())
                    reference.backward_layer.set_weights(sources[1].rnn.get_weights())
                else:
                    reference = base
                    reference.build((None, None, input_size))
                    reference.set_weights(first.rnn.get_weights())
                stack.append(reference)
        return stack

    def run_deep_reference(self, reference: list[keras.layers.Layer], x: np.ndarray,
                           lengths: np.ndarray, grad_outputs: np.ndarray | None = None,
                           grad_final: tuple[np.ndarray, ...] | None = None) -> DeepRun:
        xt = self._const(x)
        mask = tf.sequence_mask(self._lengths(lengths), maxlen=x.shape[1])
        with tf.GradientTape() as tape:
            tape.watch(xt)
            outputs, final = xt, []
            for layer in reference:
                # Bidirectional returns (outputs, forward states..., backward states...).
                outputs, *states = layer(outputs, mask=mask)
                final.extend(states)
            loss = None
            if grad_outputs is not None:
                loss = tf.add_n([tf.reduce_sum(outputs * self._const(grad_outputs))]
                                + [tf.reduce_sum(part * self._const(g))
                                   for part, g in zip(final, grad_final, strict=True)])
        run = DeepRun(_numpy(outputs, "the reference"),
                      tuple(_numpy(part, "the reference") for part in final))
        if loss is not None:
            run.grad_x = _grads(tape, loss, [xt])[0]
        return run


class RecordingRecurrent(Recurrent):
    """The course's Recurrent layer that remembers what it received and returned last."""

    def __init__(self, hidden_size: int, kind: str, recorder: LayerRecorder,
                 **kwargs: Any) -> None:
        super().__init__(hidden_size, kind, **kwargs)
        self._recorder = recorder
        self.record: LayerRecord | None = None

    def call(self, x, lengths):
        outputs, final = super().call(x, lengths)
        if _TRACING:  # symbolic tensors: KerasBackend._call reads their values after the trace
            _TRACING[-1].append((self, (x, outputs, tuple(final))))
        else:
            self.record = LayerRecord(_numpy(x, "x"), _numpy(outputs, "Recurrent"),
                                      tuple(_numpy(part, "Recurrent") for part in final))
        return outputs, final


#: While KerasBackend._call traces, the list its recording layers add their calls to.
_TRACING: list[list[tuple[RecordingRecurrent, tuple[Any, ...]]]] = []


BACKEND = KerasBackend()
#: Used only when the student's code creates float32 tensors itself (e.g. ``tf.zeros``).
FLOAT32_BACKEND = KerasBackend("float32", tolerance=1e-4)
FLOAT32_NOTE = N_(
    "  (Checked in float32, because your code makes float32 tensors itself, e.g. with tf.zeros "
    "or tf.one_hot; keras.ops functions or dtype=x.dtype keep the input's full precision.)"
)



_CHECKS = LessonChecks(BACKEND, FLOAT32_BACKEND, FLOAT32_NOTE)
check_rnn_cell = _CHECKS.check_rnn_cell
check_rnn_layer = _CHECKS.check_rnn_layer
check_classifier = _CHECKS.check_classifier
check_weight_loading = _CHECKS.check_weight_loading
check_rnn_backward = _CHECKS.check_rnn_backward
check_accuracy = neutral.check_accuracy

_GATED = GatedLessonChecks(BACKEND, FLOAT32_BACKEND, FLOAT32_NOTE)
check_lstm_cell = _GATED.check_lstm_cell
check_lstm_layer = _GATED.check_lstm_layer
check_gru_cell = _GATED.check_gru_cell
check_gru_layer = _GATED.check_gru_layer
check_padding_invariance = _GATED.check_padding_invariance

_DEEP = DeepLessonChecks(BACKEND, FLOAT32_BACKEND, FLOAT32_NOTE)
check_reverse_padded = _DEEP.check_reverse_padded
check_bidirectional = _DEEP.check_bidirectional
check_stacked = _DEEP.check_stacked
check_pooling = _DEEP.check_pooling
