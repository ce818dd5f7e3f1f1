"""Keras 3 code that is right run eagerly and fails inside ``tf.function``, as training runs it.

Each one passes every eager comparison, and a check that ran it only eagerly used to say ✓
before the training cell crashed. Each class reuses a right solution from the lesson's students
module and changes the one line that cannot be traced.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from keras import ops

from . import deep_students_keras as deep
from . import gated_students_keras as gated
from . import students_keras as plain

# Lesson 1 ------------------------------------------------------------------------------------


class IntStepsRNN(plain.LoopRNN):
    """Counts the steps with int() of a tensor."""

    def call(self, x, initial_state=None):
        state = initial_state
        if state is None:
            state = ops.zeros((ops.shape(x)[0], self.hidden_size), dtype=x.dtype)
        outputs = []
        for t in range(int(tf.shape(x)[1])):
            state = self.cell(x[:, t, :], state)
            outputs.append(state)
        return ops.stack(outputs, axis=1), state


class NumpyIndexClassifier(plain.GatherClassifier):
    """Finds the last real positions with NumPy."""

    def last_states(self, ids, outputs):
        index = np.asarray(ids != 0).sum(axis=1) - 1
        return tf.gather(outputs, index, batch_dims=1)


class EarlyStopClassifier(plain.MaskedCarryClassifier):
    """Stops its loop with a Python if once every sequence has ended."""

    def call(self, ids):
        x = self.embedding(ids)
        mask = ops.cast(ops.not_equal(ids, 0), x.dtype)[:, :, None]
        state = ops.zeros((ops.shape(ids)[0], self.hidden_size), dtype=x.dtype)
        for t in range(ids.shape[1]):
            if not ops.any(mask[:, t] > 0):
                break
            new = self.cell(x[:, t], state)
            state = mask[:, t] * new + (1 - mask[:, t]) * state
        return self.head(state)


class IdsDtypeClassifier(plain.GatherClassifier):
    """Counts the lengths in the ids' own dtype: int64 in training, which tf.range's int32
    cannot be stacked with."""

    def last_states(self, ids, outputs):
        lengths = tf.reduce_sum(tf.cast(ids != 0, ids.dtype), axis=1)
        index = tf.stack([tf.range(tf.shape(ids)[0]), lengths - 1], axis=1)
        return tf.gather_nd(outputs, index)


# Lesson 2 ------------------------------------------------------------------------------------


class IteratingLSTM(gated.LoopLSTM):
    """Loops over the time-major tensor itself."""

    def call(self, x, initial_state=None):
        if initial_state is None:
            zeros = ops.zeros((ops.shape(x)[0], self.hidden_size), dtype=x.dtype)
            initial_state = (zeros, zeros)
        h, c = initial_state
        outputs = []
        for x_t in tf.transpose(x, [1, 0, 2]):
            h, c = self.cell(x_t, (h, c))
            outputs.append(h)
        return ops.stack(outputs, axis=1), (h, c)


class DebugPrintGRUCell(gated.FusedGRUCell):
    """Prints the state's mean while debugging, as a Python float."""

    def call(self, x, h):
        print(f"mean of h: {float(ops.mean(h)):.3f}")
        return super().call(x, h)


# Lesson 3 ------------------------------------------------------------------------------------


def reverse_numpy_lengths(x, lengths):
    """One sequence at a time, with the lengths as Python numbers."""
    rows = []
    for row, length in enumerate(lengths.numpy().tolist()):
        rows.append(tf.concat([tf.reverse(x[row, :length], axis=[0]), x[row, length:]], axis=0))
    return tf.stack(rows)


def max_per_row(outputs, lengths):
    """Each row's maximum over its real steps, looping over the lengths tensor."""
    return tf.stack([tf.reduce_max(outputs[row, :length], axis=0)
                     for row, length in enumerate(lengths)])


class NumpyReverseBidirectional(deep.Bidirectional):
    """The lesson's solution around the reverse_padded above."""

    reverse = staticmethod(reverse_numpy_lengths)
