"""TensorFlow (Keras 3) variants of the layer benchmark (see :mod:`benchmarks.layers`).

The loops below restate the solution cells' formulas (same weight names and Keras' gate
order). "Compiled" wraps the whole forward-plus-gradient step in ``tf.function``, as the
course's training loop does, so the Python loop over steps is traced once into a graph.
The loops walk ``tf.unstack(x, axis=1)`` rather than ``x[:, t]``: once ``x`` needs a gradient
(hoisted), each slice's gradient would be a full-size tensor.
"""

from __future__ import annotations

from collections.abc import Callable

from benchmarks import HarnessError
from benchmarks.machine import cpu_count
from benchmarks.solutions import Exercise
from rnncourse.speed import TOLERANCE

# Keras and TensorFlow as rnncourse.tensorflow imports them: without their start-up noise.
from rnncourse.tensorflow import keras, pick_device, tf

NOTES = [
    "compiled = tf.function around the whole forward-plus-gradient step (graph mode, no XLA), "
    "as the lessons' training loop runs it; its first call includes tracing the unrolled loop",
    "builtin = keras.layers.SimpleRNN / LSTM / GRU (reset_after=True), return_sequences=True, "
    "inside tf.function as Keras trains it",
    "scratch and hoisted run eagerly, one Python step at a time",
]
BUILTIN = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
PARAMETERS: dict[str, tuple[str, ...]] = {
    "rnn": ("W", "H", "b"), "lstm": ("W", "H", "b"), "gru": ("W", "H", "b_x", "b_h")}

_device = "/CPU:0"
Calls = dict[str, Callable[[], tf.Tensor]]


def _step_input(x_t: tf.Tensor, w: dict, hoisted: bool, bias: str) -> tf.Tensor:
    return x_t if hoisted else tf.matmul(x_t, w["W"]) + w[bias]


def rnn_loop(x: tf.Tensor, w: dict, hoisted: bool) -> tf.Tensor:
    """tanh(x_t W + h H + b) over every step; ``x`` already projected when ``hoisted``."""
    h = tf.zeros((tf.shape(x)[0], w["H"].shape[0]), dtype=x.dtype)
    outputs = []
    for x_t in tf.unstack(x, axis=1):
        h = tf.tanh(_step_input(x_t, w, hoisted, "b") + tf.matmul(h, w["H"]))
        outputs.append(h)
    return tf.stack(outputs, axis=1)


def lstm_loop(x: tf.Tensor, w: dict, hoisted: bool) -> tf.Tensor:
    """The solution's LSTM step (gates i, f, c, o side by side) over every step."""
    h = c = tf.zeros((tf.shape(x)[0], w["H"].shape[0]), dtype=x.dtype)
    outputs = []
    for x_t in tf.unstack(x, axis=1):
        gates = _step_input(x_t, w, hoisted, "b") + tf.matmul(h, w["H"])
        i, f, g, o = tf.split(gates, 4, axis=1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        h = tf.sigmoid(o) * tf.tanh(c)
        outputs.append(h)
    return tf.stack(outputs, axis=1)


def gru_loop(x: tf.Tensor, w: dict, hoisted: bool) -> tf.Tensor:
    """The solution's GRU step (Keras order z, r, h; reset after the product) over every step."""
    h = tf.zeros((tf.shape(x)[0], w["H"].shape[0]), dtype=x.dtype)
    outputs = []
    for x_t in tf.unstack(x, axis=1):
        x_z, x_r, x_n = tf.split(_step_input(x_t, w, hoisted, "b_x"), 3, axis=1)
        h_z, h_r, h_n = tf.split(tf.matmul(h, w["H"]) + w["b_h"], 3, axis=1)
        z = tf.sigmoid(x_z + h_z)
        r = tf.sigmoid(x_r + h_r)
        n = tf.tanh(x_n + r * h_n)
        h = (1 - z) * n + z * h
        outputs.append(h)
    return tf.stack(outputs, axis=1)


LOOPS = {"rnn": rnn_loop, "lstm": lstm_loop, "gru": gru_loop}


class UnrolledCell(keras.layers.Layer):
    """A solution cell run over every step, as the lessons' layer exercises do it."""

    def __init__(self, cell: type, input_size: int, hidden_size: int, kind: str) -> None:
        super().__init__()
        self.cell, self.hidden_size, self.kind = cell(input_size, hidden_size), hidden_size, kind

    def call(self, x: tf.Tensor) -> tuple[tf.Tensor, object]:
        """x: (batch, steps, input) -> (outputs (batch, steps, hidden), final state)."""
        zeros = tf.zeros((tf.shape(x)[0], self.hidden_size), dtype=x.dtype)
        state = (zeros, zeros) if self.kind == "lstm" else zeros
        outputs = []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
            outputs.append(state[0] if self.kind == "lstm" else state)
        return tf.stack(outputs, axis=1), state


def setup() -> str:
    """Pick the device as the lessons do (memory growth on a GPU); returns its description."""
    global _device
    _device = pick_device(verbose=False)
    if _device.startswith("/GPU"):
        details = tf.config.experimental.get_device_details(
            tf.config.list_physical_devices("GPU")[0])
        return f"GPU:0 ({details.get('device_name', 'GPU')})"
    return f"CPU ({cpu_count()} cores)"


def version() -> str:
    """The TensorFlow and Keras versions."""
    return f"{tf.__version__} (Keras {keras.__version__})"


def _weights(exercise: Exercise, cell: keras.layers.Layer) -> dict[str, tf.Variable]:
    missing = [name for name in PARAMETERS[exercise.kind] if not hasattr(cell, name)]
    if missing:
        raise HarnessError(
            f"The solution's {type(cell).__name__} has no {missing[0]!r}; the optimised "
            f"variants read its weights {', '.join(PARAMETERS[exercise.kind])}.")
    return {name: getattr(cell, name) for name in PARAMETERS[exercise.kind]}


def _on_device(function: Callable[[], tf.Tensor]) -> Callable[[], tf.Tensor]:
    def run() -> tf.Tensor:
        with tf.device(_device):
            return function()
    return run


def variants(exercise: Exercise, batch: int, steps: int, input_size: int,
             hidden: int) -> tuple[Calls, Calls]:
    """(forwards, steps): per variant, a forward pass, and a forward plus backward pass."""
    kind = exercise.kind
    keras.utils.set_random_seed(0)
    with tf.device(_device):
        builtin = BUILTIN[kind](hidden, return_sequences=True)
        if exercise.layer is not None:
            scratch = exercise.layer(input_size, hidden)
        else:
            scratch = UnrolledCell(exercise.cell, input_size, hidden, kind)
        x = tf.random.normal((batch, steps, input_size))
        builtin(x)  # builds its weights
        scratch(x[:, :1])
    w = _weights(exercise, scratch.cell)
    for name in PARAMETERS[kind][2:]:  # the solutions start with zero biases: hides bias errors
        w[name].assign(tf.random.uniform(w[name].shape, -0.1, 0.1))
    bias = "b_x" if kind == "gru" else "b"
    loop = LOOPS[kind]

    def hoisted() -> tf.Tensor:
        return loop(tf.matmul(x, w["W"]) + w[bias], w, True)

    forwards = {
        "builtin": lambda: builtin(x),
        "scratch": lambda: scratch(x)[0],
        "hoisted": hoisted,
        "compiled": lambda: loop(x, w, False),
        "hoisted+compiled": hoisted,
    }
    weights = {"builtin": builtin.trainable_weights, "scratch": scratch.trainable_weights}

    def step(forward: Callable[[], tf.Tensor], variables: list) -> Callable[[], tf.Tensor]:
        def run() -> tf.Tensor:
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(forward())
            grads = tape.gradient(loss, variables)
            return tf.add_n([tf.reduce_sum(g) for g in grads])
        return run

    steps_ = {}
    for name, forward in forwards.items():
        run = step(forward, weights.get(name, list(w.values())))
        if name in ("builtin", "compiled", "hoisted+compiled"):
            run = tf.function(run)
        # .numpy() waits for the device, so a timed call includes all of its work.
        steps_[name] = (lambda run=run: _on_device(run)().numpy())
    return {name: _on_device(forward) for name, forward in forwards.items()}, steps_


def differences(forwards: Calls) -> dict[str, float]:
    """Largest absolute difference of each optimised variant's outputs from the solution's."""
    reference = forwards["scratch"]().numpy()
    found = {name: float(abs(forward().numpy() - reference).max())
             for name, forward in forwards.items() if name not in ("builtin", "scratch")}
    found["scratch"] = 0.0
    for name, difference in found.items():
        if not difference <= TOLERANCE:
            raise HarnessError(f"The {name} variant's outputs differ from the solution layer's "
                               f"by {difference:.1e}: it does not compute the same thing.")
    return found
