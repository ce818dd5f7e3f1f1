"""Keras 3 Lesson 2 solutions a student might hand in: right ones in several styles, and mistakes.

The lesson's interfaces:
``LSTMCell(input_size, hidden_size)(x, (h, c)) -> (h_new, c_new)``,
``load_keras_lstm(cell, keras.layers.LSTM)``, ``LSTM(input_size, hidden_size)(x,
initial_state=None) -> (outputs, (h_T, c_T))``, ``GRUCell(...)(x, h) -> h_new``,
``load_keras_gru(cell, keras.layers.GRU)``, ``GRU(...)(x, initial_state=None) -> (outputs, h_T)``
and ``Classifier(vocab_size, embed_size, hidden_size, num_classes)(ids) -> logits``.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

# ---------------------------------------------------------------------------------------------
# LSTM cells that are right
# ---------------------------------------------------------------------------------------------


class FusedLSTMCell(keras.layers.Layer):
    """Keras' own layout: kernel (E, 4H), recurrent_kernel (H, 4H), bias; gates i, f, c, o."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kernel = self.add_weight(shape=(input_size, 4 * hidden_size), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(hidden_size, 4 * hidden_size),
                                                initializer="orthogonal", name="recurrent_kernel")
        self.bias = self.add_weight(shape=(4 * hidden_size,), initializer="zeros", name="bias")

    def gates(self, x, h):
        z = ops.matmul(x, self.kernel) + ops.matmul(h, self.recurrent_kernel) + self.bias
        return ops.split(z, 4, axis=-1)

    def call(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        return ops.sigmoid(o) * ops.tanh(c_new), c_new


def load_fused_lstm(cell: FusedLSTMCell, lstm: keras.layers.LSTM) -> None:
    cell.set_weights(lstm.get_weights())


def load_fused_lstm_from_attributes(cell: FusedLSTMCell, lstm: keras.layers.LSTM) -> None:
    cell.kernel.assign(lstm.cell.kernel)
    cell.recurrent_kernel.assign(lstm.cell.recurrent_kernel)
    cell.bias.assign(lstm.cell.bias)


def load_fused_lstm_as_float32(cell: FusedLSTMCell, lstm: keras.layers.LSTM) -> None:
    """Assigns float32 constants, which Keras casts to the variables' dtype: right."""
    for variable, value in zip(cell.weights, lstm.get_weights(), strict=True):
        variable.assign(tf.constant(value, dtype=tf.float32))


def load_fused_lstm_adding_tf_zeros(cell: FusedLSTMCell, lstm: keras.layers.LSTM) -> None:
    """tf.add of a float64 bias and tf.zeros (float32): right in float32, a clash in float64."""
    kernel, recurrent_kernel, bias = lstm.get_weights()
    cell.kernel.assign(kernel)
    cell.recurrent_kernel.assign(recurrent_kernel)
    cell.bias.assign(tf.add(tf.constant(bias), tf.zeros(bias.shape)))


class TorchLayoutLSTMCell(keras.layers.Layer):
    """PyTorch's layout: weight_ih (4H, E), weight_hh (4H, H), two biases, sliced by hand."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.weight_ih = self.add_weight(shape=(4 * hidden_size, input_size), name="weight_ih")
        self.weight_hh = self.add_weight(shape=(4 * hidden_size, hidden_size), name="weight_hh")
        self.bias_ih = self.add_weight(shape=(4 * hidden_size,), initializer="zeros",
                                       name="bias_ih")
        self.bias_hh = self.add_weight(shape=(4 * hidden_size,), initializer="zeros",
                                       name="bias_hh")

    def call(self, x, state):
        h, c = state
        n = self.hidden_size
        z = (tf.matmul(x, self.weight_ih, transpose_b=True) + self.bias_ih
             + tf.matmul(h, self.weight_hh, transpose_b=True) + self.bias_hh)
        i, f = tf.sigmoid(z[:, :n]), tf.sigmoid(z[:, n : 2 * n])
        g, o = tf.tanh(z[:, 2 * n : 3 * n]), tf.sigmoid(z[:, 3 * n :])
        c_new = f * c + i * g
        return o * tf.tanh(c_new), c_new


def load_torch_layout_lstm(cell: TorchLayoutLSTMCell, lstm: keras.layers.LSTM) -> None:
    kernel, recurrent_kernel, bias = lstm.get_weights()
    cell.weight_ih.assign(kernel.T)
    cell.weight_hh.assign(recurrent_kernel.T)
    cell.bias_ih.assign(bias)
    cell.bias_hh.assign(np.zeros_like(bias))


class DenseGatesLSTMCell(keras.layers.Layer):
    """Four Dense layers over concat([x, h]), built on the first call; own order o, i, f, c."""

    GATES = ("output", "input", "forget", "candidate")

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dense = {g: keras.layers.Dense(hidden_size, name=g) for g in self.GATES}

    def call(self, x, state):
        h, c = state
        joined = ops.concatenate([x, h], axis=-1)
        o, i, f = (ops.sigmoid(self.dense[g](joined)) for g in self.GATES[:3])
        c_new = f * c + i * ops.tanh(self.dense["candidate"](joined))
        return o * ops.tanh(c_new), c_new


def load_dense_gates_lstm(cell: DenseGatesLSTMCell, lstm: keras.layers.LSTM) -> None:
    kernel, recurrent_kernel, bias = lstm.get_weights()
    n = recurrent_kernel.shape[0]
    for k, gate in enumerate(("input", "forget", "candidate", "output")):  # Keras' i, f, c, o
        block = slice(k * n, (k + 1) * n)
        cell.dense[gate].set_weights([
            np.concatenate([kernel[:, block], recurrent_kernel[:, block]], axis=0), bias[block]])


# ---------------------------------------------------------------------------------------------
# LSTM cells and loaders with classic mistakes
# ---------------------------------------------------------------------------------------------


class GateOrderLSTMCell(FusedLSTMCell):
    """Reads the blocks as i, f, o, c while the loader keeps Keras' i, f, c, o."""

    def call(self, x, state):
        h, c = state
        i, f, o, g = self.gates(x, h)
        c_new = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        return ops.sigmoid(o) * ops.tanh(c_new), c_new


class TanhInputGateLSTMCell(FusedLSTMCell):
    def call(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = ops.sigmoid(f) * c + ops.tanh(i) * ops.tanh(g)
        return ops.sigmoid(o) * ops.tanh(c_new), c_new


class TanhOutputGateLSTMCell(FusedLSTMCell):
    def call(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        return ops.tanh(o) * ops.tanh(c_new), c_new


class CNotCarriedLSTMCell(FusedLSTMCell):
    def call(self, x, state):
        h, _ = state
        i, f, g, o = self.gates(x, h)
        c_new = ops.sigmoid(i) * ops.tanh(g)
        return ops.sigmoid(o) * ops.tanh(c_new), c_new


class OldCLSTMCell(FusedLSTMCell):
    def call(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        return ops.sigmoid(o) * ops.tanh(c), c_new


class NoForgetGateLSTMCell(FusedLSTMCell):
    def call(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = c + ops.sigmoid(i) * ops.tanh(g)
        return ops.sigmoid(o) * ops.tanh(c_new), c_new


class StopGradientCLSTMCell(FusedLSTMCell):
    def call(self, x, state):
        h, c = state
        return super().call(x, (h, tf.stop_gradient(c)))


class SwappedOutputLSTMCell(FusedLSTMCell):
    """Returns (c_new, h_new)."""

    def call(self, x, state):
        h, c = super().call(x, state)
        return c, h


class ListStateLSTMCell(FusedLSTMCell):
    """Returns (h, [h, c]) like keras.layers.LSTMCell instead of (h_new, c_new)."""

    def call(self, x, state):
        h, c = super().call(x, state)
        return h, [h, c]


class BuiltinLSTMCell(keras.layers.Layer):
    """Right numbers, computed by keras.layers.LSTMCell, which the exercise forbids."""

    def __init__(self, input_size, hidden_size, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.LSTMCell(hidden_size)

    def call(self, x, state):
        _, (h, c) = self.inner(x, list(state))
        return h, c


def load_lstm_as_torch_order(cell: FusedLSTMCell, lstm: keras.layers.LSTM) -> None:
    """Reorders Keras' blocks as if they were i, g, f, o."""
    kernel, recurrent_kernel, bias = lstm.get_weights()
    n = recurrent_kernel.shape[0]

    def reorder(w):
        i, f, c, o = (w[..., k * n : (k + 1) * n] for k in range(4))
        return np.concatenate([i, c, f, o], axis=-1)

    cell.set_weights([reorder(kernel), reorder(recurrent_kernel), reorder(bias)])


def load_torch_layout_without_transpose(cell: TorchLayoutLSTMCell,
                                        lstm: keras.layers.LSTM) -> None:
    kernel, recurrent_kernel, bias = lstm.get_weights()
    cell.weight_ih.assign(kernel)  # (E, 4H) into (4H, E): raises
    cell.weight_hh.assign(recurrent_kernel)
    cell.bias_ih.assign(bias)


def load_torch_layout_reshaped(cell: TorchLayoutLSTMCell, lstm: keras.layers.LSTM) -> None:
    """reshape instead of a transpose: the shapes fit, the numbers do not."""
    kernel, recurrent_kernel, bias = lstm.get_weights()
    cell.weight_ih.assign(kernel.reshape(cell.weight_ih.shape))
    cell.weight_hh.assign(recurrent_kernel.reshape(cell.weight_hh.shape))
    cell.bias_ih.assign(bias)
    cell.bias_hh.assign(np.zeros_like(bias))


def load_lstm_without_bias(cell: FusedLSTMCell, lstm: keras.layers.LSTM) -> None:
    kernel, recurrent_kernel, _ = lstm.get_weights()
    cell.kernel.assign(kernel)
    cell.recurrent_kernel.assign(recurrent_kernel)


# ---------------------------------------------------------------------------------------------
# LSTM layers
# ---------------------------------------------------------------------------------------------


class LoopLSTM(keras.layers.Layer):
    """A for loop, ops.zeros with x's dtype, ops.stack at the end."""

    cell_class: type[keras.layers.Layer] = FusedLSTMCell

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.cell = self.cell_class(input_size, hidden_size)

    def start(self, x, initial_state):
        if initial_state is None:
            zeros = ops.zeros((ops.shape(x)[0], self.hidden_size), dtype=x.dtype)
            return zeros, zeros
        return initial_state

    def call(self, x, initial_state=None):
        h, c = self.start(x, initial_state)
        outputs = []
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
            outputs.append(h)
        return ops.stack(outputs, axis=1), (h, c)


class UnstackLSTM(LoopLSTM):
    """tf.unstack over time, the state tuple carried whole."""

    cell_class = DenseGatesLSTMCell

    def call(self, x, initial_state=None):
        state = self.start(x, initial_state)
        outputs = []
        for step in tf.unstack(x, axis=1):
            state = self.cell(step, state)
            outputs.append(state[0])
        return tf.stack(outputs, axis=1), state


class IgnoresInitialStateLSTM(LoopLSTM):
    def call(self, x, initial_state=None):
        return super().call(x)


class CNotCarriedLSTM(LoopLSTM):
    def call(self, x, initial_state=None):
        h, c = self.start(x, initial_state)
        outputs = []
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c if t == 0 else ops.zeros_like(c)))
            outputs.append(h)
        return ops.stack(outputs, axis=1), (h, c)


class StopGradientLSTM(LoopLSTM):
    def call(self, x, initial_state=None):
        h, c = self.start(x, initial_state)
        outputs = []
        for t in range(x.shape[1]):
            if t > 0:
                h, c = tf.stop_gradient(h), tf.stop_gradient(c)
            h, c = self.cell(x[:, t], (h, c))
            outputs.append(h)
        return ops.stack(outputs, axis=1), (h, c)


class SwappedFinalLSTM(LoopLSTM):
    def call(self, x, initial_state=None):
        outputs, (h, c) = super().call(x, initial_state)
        return outputs, (c, h)


class StatesListLSTM(LoopLSTM):
    """Returns [outputs, h, c] like keras.layers.LSTM(return_state=True)."""

    def call(self, x, initial_state=None):
        outputs, (h, c) = super().call(x, initial_state)
        return [outputs, h, c]


class TensorArrayLSTM(LoopLSTM):
    """Collects h in a tf.TensorArray(tf.float32), as many TF tutorials do: right in float32."""

    def call(self, x, initial_state=None):
        h, c = self.start(x, initial_state)
        outputs = tf.TensorArray(tf.float32, size=x.shape[1])
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
            outputs = outputs.write(t, h)
        return tf.transpose(outputs.stack(), [1, 0, 2]), (h, c)


# ---------------------------------------------------------------------------------------------
# GRU cells that are right
# ---------------------------------------------------------------------------------------------


class FusedGRUCell(keras.layers.Layer):
    """Keras' layout (reset_after=True): gates z, r, h, bias (2, 3H)."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.kernel = self.add_weight(shape=(input_size, 3 * hidden_size), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(hidden_size, 3 * hidden_size),
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(2, 3 * hidden_size), initializer="zeros", name="bias")

    def call(self, x, h):
        xz, xr, xh = ops.split(ops.matmul(x, self.kernel) + self.bias[0], 3, axis=-1)
        hz, hr, hh = ops.split(ops.matmul(h, self.recurrent_kernel) + self.bias[1], 3, axis=-1)
        z, r = ops.sigmoid(xz + hz), ops.sigmoid(xr + hr)
        candidate = ops.tanh(xh + r * hh)
        return z * h + (1 - z) * candidate


def load_fused_gru(cell: FusedGRUCell, gru: keras.layers.GRU) -> None:
    cell.set_weights(gru.get_weights())


class TorchOrderGRUCell(keras.layers.Layer):
    """PyTorch's formulation written gate by gate in the order r, z, n, one weight per gate."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.w = {}
        for gate in "rzn":
            self.w[f"W_{gate}"] = self.add_weight(shape=(input_size, hidden_size),
                                                  name=f"W_{gate}")
            self.w[f"U_{gate}"] = self.add_weight(shape=(hidden_size, hidden_size),
                                                  name=f"U_{gate}")
            for part in "ih":
                self.w[f"b_{part}{gate}"] = self.add_weight(
                    shape=(hidden_size,), initializer="zeros", name=f"b_{part}{gate}")

    def call(self, x, h):
        w = self.w

        def pre(gate):
            return (ops.matmul(x, w[f"W_{gate}"]) + w[f"b_i{gate}"],
                    ops.matmul(h, w[f"U_{gate}"]) + w[f"b_h{gate}"])

        r = ops.sigmoid(sum(pre("r")))
        z = ops.sigmoid(sum(pre("z")))
        xn, hn = pre("n")
        n = ops.tanh(xn + r * hn)
        return (1 - z) * n + z * h


def load_torch_order_gru(cell: TorchOrderGRUCell, gru: keras.layers.GRU) -> None:
    kernel, recurrent_kernel, bias = gru.get_weights()
    n = recurrent_kernel.shape[0]
    for k, gate in enumerate("zrn"):  # Keras' z, r, h is PyTorch's z, r, n
        block = slice(k * n, (k + 1) * n)
        cell.w[f"W_{gate}"].assign(kernel[:, block])
        cell.w[f"U_{gate}"].assign(recurrent_kernel[:, block])
        cell.w[f"b_i{gate}"].assign(bias[0, block])
        cell.w[f"b_h{gate}"].assign(bias[1, block])


# ---------------------------------------------------------------------------------------------
# GRU cells and loaders with classic mistakes
# ---------------------------------------------------------------------------------------------


class SwappedZGRUCell(FusedGRUCell):
    def call(self, x, h):
        xz, xr, xh = ops.split(ops.matmul(x, self.kernel) + self.bias[0], 3, axis=-1)
        hz, hr, hh = ops.split(ops.matmul(h, self.recurrent_kernel) + self.bias[1], 3, axis=-1)
        z, r = ops.sigmoid(xz + hz), ops.sigmoid(xr + hr)
        candidate = ops.tanh(xh + r * hh)
        return (1 - z) * h + z * candidate


class ResetBeforeMatmulGRUCell(FusedGRUCell):
    """Keras' reset_after=False formulation: r multiplies h before the recurrent matrix."""

    def call(self, x, h):
        xz, xr, xh = ops.split(ops.matmul(x, self.kernel) + self.bias[0], 3, axis=-1)
        uz, ur, uh = ops.split(self.recurrent_kernel, 3, axis=-1)
        bz, br, bh = ops.split(self.bias[1], 3, axis=-1)
        z = ops.sigmoid(xz + ops.matmul(h, uz) + bz)
        r = ops.sigmoid(xr + ops.matmul(h, ur) + br)
        candidate = ops.tanh(xh + ops.matmul(r * h, uh) + bh)
        return z * h + (1 - z) * candidate


def load_gru_as_torch_order(cell: TorchOrderGRUCell, gru: keras.layers.GRU) -> None:
    """Reads Keras' z, r, h blocks as PyTorch's r, z, n."""
    kernel, recurrent_kernel, bias = gru.get_weights()
    n = recurrent_kernel.shape[0]
    for k, gate in enumerate("rzn"):
        block = slice(k * n, (k + 1) * n)
        cell.w[f"W_{gate}"].assign(kernel[:, block])
        cell.w[f"U_{gate}"].assign(recurrent_kernel[:, block])
        cell.w[f"b_i{gate}"].assign(bias[0, block])
        cell.w[f"b_h{gate}"].assign(bias[1, block])


def load_gru_input_bias_only(cell: FusedGRUCell, gru: keras.layers.GRU) -> None:
    kernel, recurrent_kernel, bias = gru.get_weights()
    cell.set_weights([kernel, recurrent_kernel, np.stack([bias[0], np.zeros_like(bias[0])])])


# ---------------------------------------------------------------------------------------------
# GRU layers
# ---------------------------------------------------------------------------------------------


class LoopGRU(keras.layers.Layer):
    cell_class: type[keras.layers.Layer] = FusedGRUCell

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.cell = self.cell_class(input_size, hidden_size)

    def call(self, x, initial_state=None):
        h = initial_state
        if h is None:
            h = ops.zeros((ops.shape(x)[0], self.hidden_size), dtype=x.dtype)
        outputs = []
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
            outputs.append(h)
        return ops.stack(outputs, axis=1), h


class ScanGRU(LoopGRU):
    """tf.scan over time-major steps."""

    cell_class = TorchOrderGRUCell

    def call(self, x, initial_state=None):
        if initial_state is None:
            initial_state = tf.zeros_like(x[:, 0, :1]) + tf.zeros((self.hidden_size,), x.dtype)
        states = tf.scan(lambda h, step: self.cell(step, h), tf.transpose(x, [1, 0, 2]),
                         initializer=initial_state)
        return tf.transpose(states, [1, 0, 2]), states[-1]


class IgnoresInitialStateGRU(LoopGRU):
    def call(self, x, initial_state=None):
        return super().call(x)


class StopGradientGRU(LoopGRU):
    def call(self, x, initial_state=None):
        h = initial_state
        if h is None:
            h = ops.zeros((ops.shape(x)[0], self.hidden_size), dtype=x.dtype)
        outputs = []
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h if t == 0 else tf.stop_gradient(h))
            outputs.append(h)
        return ops.stack(outputs, axis=1), h


# ---------------------------------------------------------------------------------------------
# Classifiers on the built-in keras.layers.LSTM (allowed in Lesson 2)
# ---------------------------------------------------------------------------------------------


class MaskZeroClassifier(keras.Model):
    """Embedding(mask_zero=True) → LSTM → Dense: the mask makes the LSTM skip padding."""

    mask_zero = True

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(vocab_size, embed_size,
                                                mask_zero=self.mask_zero)
        self.lstm = keras.layers.LSTM(hidden_size)
        self.head = keras.layers.Dense(num_classes)

    def call(self, ids):
        return self.head(self.lstm(self.embedding(ids)))


class SequentialMaskClassifier:
    """A keras.Sequential built by a function-like class: Embedding(mask_zero) → LSTM → Dense."""

    def __new__(cls, vocab_size, embed_size, hidden_size, num_classes):
        return keras.Sequential([
            keras.layers.Embedding(vocab_size, embed_size, mask_zero=True),
            keras.layers.LSTM(hidden_size),
            keras.layers.Dense(num_classes),
        ])


class ExplicitMaskClassifier(MaskZeroClassifier):
    """No mask_zero, but passes mask= to the LSTM."""

    mask_zero = False

    def call(self, ids):
        return self.head(self.lstm(self.embedding(ids), mask=ops.not_equal(ids, 0)))


class SoftmaxMaskZeroClassifier(MaskZeroClassifier):
    def call(self, ids):
        return ops.softmax(super().call(ids), axis=-1)


class NoMaskClassifier(MaskZeroClassifier):
    """The LSTM runs over the padding: its final state is the last padded step's."""

    mask_zero = False


class LastPaddedStepClassifier(MaskZeroClassifier):
    """Masks, but reads the full sequence's last column."""

    mask_zero = False

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes, **kwargs):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes, **kwargs)
        self.lstm = keras.layers.LSTM(hidden_size, return_sequences=True)

    def call(self, ids):
        return self.head(self.lstm(self.embedding(ids))[:, -1])


class KindClassifier(keras.Model):
    """The lesson's RecurrentClassifier: the built-in layer that ``kind`` names."""

    LAYERS = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes, kind="lstm"):
        super().__init__()
        self.embedding = keras.layers.Embedding(vocab_size, embed_size, mask_zero=True)
        self.recurrent = self.build_recurrent(kind, hidden_size)
        self.head = keras.layers.Dense(num_classes)

    def build_recurrent(self, kind, hidden_size):
        return self.LAYERS[kind](hidden_size)

    def call(self, ids):
        return self.head(self.recurrent(self.embedding(ids)))


class IgnoresKindClassifier(KindClassifier):
    """Always an LSTM, whatever ``kind`` says."""

    def build_recurrent(self, kind, hidden_size):
        return keras.layers.LSTM(hidden_size)
