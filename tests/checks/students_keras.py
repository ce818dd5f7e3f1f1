"""Keras 3 solutions a student might hand in: right ones written differently, and classic mistakes.

Every class follows the lesson's interfaces:
``RNNCell(input_size, hidden_size)(x, state) -> new_state``,
``RNN(input_size, hidden_size)(x, initial_state=None) -> (outputs, final)`` and
``RNNClassifier(vocab_size, embed_size, hidden_size, num_classes)(ids) -> logits``.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

# ---------------------------------------------------------------------------------------------
# Cells that are right
# ---------------------------------------------------------------------------------------------


class PlainCell(keras.layers.Layer):
    """The lesson's layout: W (E×H), H (H×H), b (H), created in __init__."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.W = self.add_weight(shape=(input_size, hidden_size), initializer="glorot_uniform",
                                 name="W")
        self.H = self.add_weight(shape=(hidden_size, hidden_size), initializer="orthogonal",
                                 name="H")
        self.b = self.add_weight(shape=(hidden_size,), initializer="zeros", name="b")

    def call(self, x, state):
        return ops.tanh(ops.matmul(x, self.W) + ops.matmul(state, self.H) + self.b)


class TorchLayoutCell(keras.layers.Layer):
    """PyTorch's layout: weights stored transposed (H×E, H×H) and two biases."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.weight_ih = self.add_weight(shape=(hidden_size, input_size), name="weight_ih")
        self.weight_hh = self.add_weight(shape=(hidden_size, hidden_size), name="weight_hh")
        self.bias_ih = self.add_weight(shape=(hidden_size,), initializer="zeros", name="bias_ih")
        self.bias_hh = self.add_weight(shape=(hidden_size,), initializer="zeros", name="bias_hh")

    def call(self, x, state):
        return ops.tanh(
            ops.matmul(x, ops.transpose(self.weight_ih)) + self.bias_ih
            + ops.matmul(state, ops.transpose(self.weight_hh)) + self.bias_hh
        )


class LazyFusedCell(keras.layers.Layer):
    """Weights created lazily in build(); one matrix over concat([x, s]) with einsum."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hidden_size = hidden_size

    def build(self, input_shape):
        self.K = self.add_weight(shape=(input_shape[-1] + self.hidden_size, self.hidden_size),
                                 name="K")
        self.bias = self.add_weight(shape=(self.hidden_size,), initializer="zeros", name="bias")

    def call(self, x, state):
        joined = tf.concat([x, state], axis=-1)
        return tf.tanh(tf.einsum("bi,ih->bh", joined, self.K) + self.bias)


class DenseLayersCell(keras.layers.Layer):
    """Two Dense sublayers (built on first call), the recurrent one without a bias."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.input_to_hidden = keras.layers.Dense(hidden_size)
        self.hidden_to_hidden = keras.layers.Dense(hidden_size, use_bias=False)

    def call(self, x, state):
        return keras.activations.tanh(self.input_to_hidden(x) + self.hidden_to_hidden(state))


# ---------------------------------------------------------------------------------------------
# Cells with classic mistakes
# ---------------------------------------------------------------------------------------------


class NoTanhCell(PlainCell):
    def call(self, x, state):
        return ops.matmul(x, self.W) + ops.matmul(state, self.H) + self.b


class ReluCell(PlainCell):
    def call(self, x, state):
        return ops.relu(ops.matmul(x, self.W) + ops.matmul(state, self.H) + self.b)


class SigmoidCell(PlainCell):
    def call(self, x, state):
        return ops.sigmoid(ops.matmul(x, self.W) + ops.matmul(state, self.H) + self.b)


class TanhOnInputOnlyCell(PlainCell):
    def call(self, x, state):
        return ops.tanh(ops.matmul(x, self.W) + self.b) + ops.matmul(state, self.H)


class IgnoresStateCell(PlainCell):
    def call(self, x, state):
        return ops.tanh(ops.matmul(x, self.W) + self.b)


class IgnoresInputCell(PlainCell):
    def call(self, x, state):
        return ops.tanh(ops.matmul(state, self.H) + self.b)


class OffsetAfterTanhCell(PlainCell):
    def call(self, x, state):
        return ops.tanh(ops.matmul(x, self.W) + ops.matmul(state, self.H) + self.b) + 0.1


class OffsetInsideTanhCell(PlainCell):
    def call(self, x, state):
        return ops.tanh(ops.matmul(x, self.W) + ops.matmul(state, self.H) + self.b + 0.1)


class StopGradientStateCell(PlainCell):
    def call(self, x, state):
        return ops.tanh(ops.matmul(x, self.W) + ops.matmul(tf.stop_gradient(state), self.H)
                        + self.b)


class NumpyMathCell(PlainCell):
    """Computes with NumPy: the values are right but nothing can be trained."""

    def call(self, x, state):
        return np.tanh(np.asarray(x) @ self.W.numpy() + np.asarray(state) @ self.H.numpy()
                       + self.b.numpy())


class MissingBiasCell(keras.layers.Layer):
    def __init__(self, input_size, hidden_size, **kwargs):
        super().__init__(**kwargs)
        self.W = self.add_weight(shape=(input_size, hidden_size), name="W")
        self.H = self.add_weight(shape=(hidden_size, hidden_size), name="H")

    def call(self, x, state):
        return ops.tanh(ops.matmul(x, self.W) + ops.matmul(state, self.H))


class ExtraMatrixCell(PlainCell):
    def __init__(self, input_size, hidden_size, **kwargs):
        super().__init__(input_size, hidden_size, **kwargs)
        self.H2 = self.add_weight(shape=(hidden_size, hidden_size), name="H2")

    def call(self, x, state):
        return ops.tanh(ops.matmul(x, self.W) + ops.matmul(state, self.H)
                        + ops.matmul(state, self.H2) + self.b)


class UnusedBiasCell(PlainCell):
    """A second bias that is never used: the count fits PyTorch's two biases."""

    def __init__(self, input_size, hidden_size, **kwargs):
        super().__init__(input_size, hidden_size, **kwargs)
        self.b2 = self.add_weight(shape=(hidden_size,), initializer="zeros", name="b2")


class TfVariableCell(keras.layers.Layer):
    """tf.Variable instead of add_weight: Keras 3 does not track it as a weight."""

    def __init__(self, input_size, hidden_size, **kwargs):
        super().__init__(**kwargs)
        self.W = tf.Variable(tf.random.normal((input_size, hidden_size), dtype=tf.float64))
        self.H = tf.Variable(tf.random.normal((hidden_size, hidden_size), dtype=tf.float64))
        self.b = tf.Variable(tf.zeros((hidden_size,), dtype=tf.float64))

    def call(self, x, state):
        return tf.tanh(tf.matmul(x, self.W) + tf.matmul(state, self.H) + self.b)


class NonTrainableCell(PlainCell):
    def __init__(self, input_size, hidden_size, **kwargs):
        super().__init__(input_size, hidden_size, **kwargs)
        self.trainable = False


class KerasStyleTupleCell(PlainCell):
    """Returns (output, [state]) like keras.layers.SimpleRNNCell instead of the new state."""

    def call(self, x, state):
        new = ops.tanh(ops.matmul(x, self.W) + ops.matmul(state, self.H) + self.b)
        return new, [new]


class NotALayerCell:
    def __init__(self, input_size, hidden_size):
        self.W = np.zeros((input_size, hidden_size))

    def __call__(self, x, state):
        return ops.tanh(ops.matmul(x, self.W))


class BrokenInitCell(keras.layers.Layer):
    def __init__(self, input_size, hidden_size, **kwargs):
        super().__init__(**kwargs)
        raise ValueError("student bug in __init__")


class BrokenCallCell(PlainCell):
    def call(self, x, state):
        raise RuntimeError("student bug in call")


# ---------------------------------------------------------------------------------------------
# RNN layers that are right
# ---------------------------------------------------------------------------------------------


class LoopRNN(keras.layers.Layer):
    """A for loop, ops.zeros with x's dtype for the initial state, ops.stack at the end."""

    cell_class: type[keras.layers.Layer] = PlainCell

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.cell = self.cell_class(input_size, hidden_size)

    def call(self, x, initial_state=None):
        state = initial_state
        if state is None:
            state = ops.zeros((ops.shape(x)[0], self.hidden_size), dtype=x.dtype)
        outputs = []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t, :], state)
            outputs.append(state)
        return ops.stack(outputs, axis=1), state


class WhileRNN(LoopRNN):
    """A while loop over unstacked steps and a zeros_like-style initial state."""

    cell_class = TorchLayoutCell

    def call(self, x, initial_state=None):
        if initial_state is None:
            state = ops.repeat(ops.zeros_like(x[:, 0, :1]), self.hidden_size, axis=1)
        else:
            state = initial_state
        steps = tf.unstack(x, axis=1)
        outputs, t = [], 0
        while t < len(steps):
            state = self.cell(steps[t], state)
            outputs.append(state)
            t += 1
        return tf.stack(outputs, axis=1), outputs[-1]


class ScanRNN(LoopRNN):
    """tf.scan over time-major steps; the cell is built lazily inside the scan."""

    cell_class = LazyFusedCell

    def call(self, x, initial_state=None):
        if initial_state is None:
            initial_state = tf.zeros_like(x[:, 0, :1]) + tf.zeros((self.hidden_size,), x.dtype)
        time_major = tf.transpose(x, [1, 0, 2])
        states = tf.scan(lambda state, step: self.cell(step, state), time_major,
                         initializer=initial_state)
        return tf.transpose(states, [1, 0, 2]), states[-1]


class ComprehensionRNN(LoopRNN):
    """A list comprehension (walrus) and Dense sublayers inside the cell."""

    cell_class = DenseLayersCell

    def call(self, x, initial_state=None):
        state = initial_state
        if state is None:
            state = ops.zeros((ops.shape(x)[0], self.hidden_size))
        outputs = [state := self.cell(x[:, t], state) for t in range(x.shape[1])]
        return ops.stack(outputs, axis=1), state


# ---------------------------------------------------------------------------------------------
# RNN layers with classic mistakes
# ---------------------------------------------------------------------------------------------


class IgnoresInitialStateRNN(LoopRNN):
    def call(self, x, initial_state=None):
        return super().call(x)


class FirstStateAsFinalRNN(LoopRNN):
    def call(self, x, initial_state=None):
        outputs, _ = super().call(x, initial_state)
        return outputs, outputs[:, 0]


class ReversedTimeRNN(LoopRNN):
    def call(self, x, initial_state=None):
        return super().call(ops.flip(x, axis=1), initial_state)


class StaleStateRNN(LoopRNN):
    """Forgets to carry the state: every step starts again from the initial state."""

    def call(self, x, initial_state=None):
        start = initial_state
        if start is None:
            start = ops.zeros((ops.shape(x)[0], self.hidden_size), dtype=x.dtype)
        outputs = [self.cell(x[:, t], start) for t in range(x.shape[1])]
        return ops.stack(outputs, axis=1), outputs[-1]


class IgnoresInputRNN(LoopRNN):
    def call(self, x, initial_state=None):
        return super().call(ops.zeros_like(x), initial_state)


class StopGradientBetweenStepsRNN(LoopRNN):
    def call(self, x, initial_state=None):
        state = initial_state
        if state is None:
            state = ops.zeros((ops.shape(x)[0], self.hidden_size), dtype=x.dtype)
        outputs = []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
            outputs.append(state)
            state = tf.stop_gradient(state)
        return ops.stack(outputs, axis=1), outputs[-1]


class MissingStepRNN(LoopRNN):
    def call(self, x, initial_state=None):
        return super().call(x[:, :-1] if x.shape[1] > 1 else x, initial_state)


class TimeMajorOutputsRNN(LoopRNN):
    def call(self, x, initial_state=None):
        outputs, final = super().call(x, initial_state)
        return ops.transpose(outputs, (1, 0, 2)), final


class StateListRNN(LoopRNN):
    """Returns the final state wrapped in a list, like SimpleRNN(return_state=True) states."""

    def call(self, x, initial_state=None):
        outputs, final = super().call(x, initial_state)
        return outputs, [final]


class OutputsOnlyRNN(LoopRNN):
    def call(self, x, initial_state=None):
        return super().call(x, initial_state)[0]


class NumpyOutputsRNN(LoopRNN):
    def call(self, x, initial_state=None):
        outputs, final = super().call(x, initial_state)
        return outputs.numpy(), final


class ExtraLayerRNN(LoopRNN):
    """Adds an output projection, so it has more weights than one cell."""

    def __init__(self, input_size, hidden_size, **kwargs):
        super().__init__(input_size, hidden_size, **kwargs)
        self.project = keras.layers.Dense(hidden_size)

    def call(self, x, initial_state=None):
        outputs, _ = super().call(x, initial_state)
        outputs = self.project(outputs)
        return outputs, outputs[:, -1]


# ---------------------------------------------------------------------------------------------
# Classifiers
# ---------------------------------------------------------------------------------------------


def _lengths(ids):
    return ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=1)


class GatherClassifier(keras.Model):
    """Embedding → own RNN → state at position length - 1 (tf.gather) → Dense."""

    rnn_class: type[keras.layers.Layer] = LoopRNN

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(vocab_size, embed_size)
        self.rnn = self.rnn_class(embed_size, hidden_size)
        self.head = keras.layers.Dense(num_classes)

    def last_states(self, ids, outputs):
        return tf.gather(outputs, _lengths(ids) - 1, batch_dims=1)

    def call(self, ids):
        outputs, _ = self.rnn(self.embedding(ids))
        return self.head(self.last_states(ids, outputs))


class OneHotClassifier(GatherClassifier):
    """Picks the last real state by multiplying with one_hot(lengths - 1)."""

    rnn_class = WhileRNN

    def last_states(self, ids, outputs):
        pick = ops.one_hot(_lengths(ids) - 1, ops.shape(ids)[1], dtype=outputs.dtype)
        return ops.sum(outputs * pick[:, :, None], axis=1)


class TakeAlongAxisClassifier(GatherClassifier):
    rnn_class = ScanRNN

    def last_states(self, ids, outputs):
        index = ops.reshape(_lengths(ids) - 1, (-1, 1, 1))
        return ops.take_along_axis(outputs, index, axis=1)[:, 0]


class MaskedCarryClassifier(keras.Model):
    """Runs its own cell and carries the state unchanged through padding (mask multiplication)."""

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(vocab_size, embed_size)
        self.cell = PlainCell(embed_size, hidden_size)
        self.head = keras.layers.Dense(num_classes)
        self.hidden_size = hidden_size

    def call(self, ids):
        x = self.embedding(ids)
        mask = ops.cast(ops.not_equal(ids, 0), x.dtype)[:, :, None]
        state = ops.zeros((ops.shape(ids)[0], self.hidden_size), dtype=x.dtype)
        for t in range(ids.shape[1]):
            new = self.cell(x[:, t], state)
            state = mask[:, t] * new + (1 - mask[:, t]) * state
        return self.head(state)


class LastPaddedColumnClassifier(GatherClassifier):
    """Uses the RNN's final state, i.e. the state after the last *padded* column."""

    def call(self, ids):
        _, final = self.rnn(self.embedding(ids))
        return self.head(final)


class SoftmaxClassifier(GatherClassifier):
    """Right positions, but returns probabilities: the hint says "before any softmax"."""

    def call(self, ids):
        return ops.softmax(super().call(ids), axis=-1)


class FirstTokenClassifier(GatherClassifier):
    """Reads the state at position 0, which is real in every sequence."""

    def last_states(self, ids, outputs):
        return outputs[:, 0]


class MeanOverPaddingClassifier(GatherClassifier):
    def last_states(self, ids, outputs):
        return ops.mean(outputs, axis=1)


class MeanOverRealStepsClassifier(GatherClassifier):
    """Averages the states of the real steps (mean pooling): the lesson accepts it."""

    def last_states(self, ids, outputs):
        mask = ops.expand_dims(ops.cast(ops.not_equal(ids, 0), outputs.dtype), -1)
        return ops.sum(outputs * mask, axis=1) / ops.sum(mask, axis=1)


class PerStepLogitsClassifier(GatherClassifier):
    def call(self, ids):
        outputs, _ = self.rnn(self.embedding(ids))
        return self.head(outputs)


class BuiltinSimpleRNNClassifier(GatherClassifier):
    def __init__(self, vocab_size, embed_size, hidden_size, num_classes, **kwargs):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes, **kwargs)
        self.rnn = keras.layers.SimpleRNN(hidden_size, return_sequences=True, return_state=True)


class BuiltinLSTMClassifier(GatherClassifier):
    def __init__(self, vocab_size, embed_size, hidden_size, num_classes, **kwargs):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes, **kwargs)
        self.rnn = keras.layers.LSTM(hidden_size, return_sequences=True, return_state=True)

    def call(self, ids):
        outputs, _, _ = self.rnn(self.embedding(ids))
        return self.head(self.last_states(ids, outputs))


class BuiltinCellClassifier(MaskedCarryClassifier):
    """Loops over keras.layers.SimpleRNNCell by hand."""

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes, **kwargs):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes, **kwargs)
        self.builtin_cell = keras.layers.SimpleRNNCell(hidden_size)
        self.cell = lambda x, state: self.builtin_cell(x, [state])[0]


class UnusedWeightClassifier(GatherClassifier):
    """Creates a weight it never uses: it can never be trained."""

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes, **kwargs):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes, **kwargs)
        self.spare = self.add_weight(shape=(num_classes,), initializer="zeros", name="spare")


class StopGradientEmbeddingClassifier(GatherClassifier):
    def call(self, ids):
        outputs, _ = self.rnn(tf.stop_gradient(self.embedding(ids)))
        return self.head(self.last_states(ids, outputs))


# ---------------------------------------------------------------------------------------------
# Weight loading: load_keras_rnn(cell, keras.layers.SimpleRNN)
# ---------------------------------------------------------------------------------------------


def load_plain(cell: PlainCell, rnn: keras.layers.SimpleRNN) -> None:
    kernel, recurrent_kernel, bias = rnn.get_weights()
    cell.W.assign(kernel)
    cell.H.assign(recurrent_kernel)
    cell.b.assign(bias)


def load_with_set_weights(cell: PlainCell, rnn: keras.layers.SimpleRNN) -> None:
    cell.set_weights(rnn.get_weights())


def load_from_cell_attributes(cell: PlainCell, rnn: keras.layers.SimpleRNN) -> None:
    cell.W.assign(rnn.cell.kernel)
    cell.H.assign(rnn.cell.recurrent_kernel)
    cell.b.assign(rnn.cell.bias)


def load_torch_layout(cell: TorchLayoutCell, rnn: keras.layers.SimpleRNN) -> None:
    kernel, recurrent_kernel, bias = rnn.get_weights()
    cell.weight_ih.assign(kernel.T)
    cell.weight_hh.assign(recurrent_kernel.T)
    cell.bias_ih.assign(bias)
    cell.bias_hh.assign(np.zeros_like(bias))


def load_fused(cell: LazyFusedCell, rnn: keras.layers.SimpleRNN) -> None:
    kernel, recurrent_kernel, bias = rnn.get_weights()
    cell.K.assign(np.concatenate([kernel, recurrent_kernel], axis=0))
    cell.bias.assign(bias)


def load_transposed(cell: PlainCell, rnn: keras.layers.SimpleRNN) -> None:
    """Transposes as if it were PyTorch's layout (shapes only match when input = hidden)."""
    kernel, recurrent_kernel, bias = rnn.get_weights()
    cell.W.assign(kernel.T)
    cell.H.assign(recurrent_kernel.T)
    cell.b.assign(bias)


def load_swapped(cell: PlainCell, rnn: keras.layers.SimpleRNN) -> None:
    kernel, recurrent_kernel, bias = rnn.get_weights()
    cell.W.assign(recurrent_kernel)
    cell.H.assign(kernel)
    cell.b.assign(bias)


def load_without_bias(cell: PlainCell, rnn: keras.layers.SimpleRNN) -> None:
    kernel, recurrent_kernel, _ = rnn.get_weights()
    cell.W.assign(kernel)
    cell.H.assign(recurrent_kernel)


def load_nothing(cell: PlainCell, rnn: keras.layers.SimpleRNN) -> None:
    pass


# ---------------------------------------------------------------------------------------------
# Right in float32 training, but tf.* defaults to float32 (see the xfail tests)
# ---------------------------------------------------------------------------------------------


class TensorArrayRNN(LoopRNN):
    """Collects the states in a tf.TensorArray(tf.float32), as many TF tutorials do."""

    def call(self, x, initial_state=None):
        state = initial_state
        if state is None:
            state = tf.zeros((tf.shape(x)[0], self.hidden_size))
        states = tf.TensorArray(tf.float32, size=x.shape[1])
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
            states = states.write(t, state)
        return tf.transpose(states.stack(), [1, 0, 2]), state


class TfOneHotClassifier(GatherClassifier):
    """Picks the last real state with tf.one_hot, whose default dtype is float32."""

    def last_states(self, ids, outputs):
        pick = tf.one_hot(_lengths(ids) - 1, tf.shape(ids)[1])
        return tf.reduce_sum(outputs * pick[:, :, None], axis=1)


class TfZerosCarryClassifier(MaskedCarryClassifier):
    """MaskedCarryClassifier with the first state made by tf.zeros (float32)."""

    def call(self, ids):
        x = self.embedding(ids)
        mask = tf.cast(ids != 0, x.dtype)[:, :, None]
        state = tf.zeros((tf.shape(ids)[0], self.hidden_size))
        for t in range(ids.shape[1]):
            new = self.cell(x[:, t], state)
            state = mask[:, t] * new + (1 - mask[:, t]) * state
        return self.head(state)
