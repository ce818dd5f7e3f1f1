"""Keras 3 Lesson 3 solutions a student might hand in: right ones in several styles, and mistakes.

The lesson's interfaces (see /tmp/l3/SPEC.md): ``reverse_padded(x, lengths)``,
``Bidirectional(make_layer, hidden_size)(x, lengths) -> (outputs, final)``,
``Stacked(make_layer, hidden_size, num_layers, dropout=0.0)(x, lengths, training=None)
-> (outputs, final)``, ``max_over_time(outputs, lengths)`` and ``mean_over_time(outputs,
lengths)``. ``__init__`` of Bidirectional and Stacked is given in the notebook; the students write
the rest.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

# ---------------------------------------------------------------------------------------------
# reverse_padded
# ---------------------------------------------------------------------------------------------


def reverse_by_reverse_sequence(x, lengths):
    return tf.reverse_sequence(x, lengths, seq_axis=1, batch_axis=0)


def reverse_by_gather(x, lengths):
    """Index arithmetic and tf.gather(batch_dims=1): step t < length reads length - 1 - t."""
    steps = tf.range(tf.shape(x)[1])[None, :]
    lengths = tf.cast(lengths, steps.dtype)[:, None]
    index = tf.where(steps < lengths, lengths - 1 - steps, steps)
    return tf.gather(x, index, batch_dims=1)


def reverse_by_loop(x, lengths):
    """One sequence at a time with tf.concat, stacked back together; slices end at a tensor."""
    rows = []
    for row in range(x.shape[0]):
        length = lengths[row]
        rows.append(tf.concat([tf.reverse(x[row, :length], axis=[0]), x[row, length:]], axis=0))
    return tf.stack(rows)


def reverse_flip_all(x, lengths):
    return tf.reverse(x, axis=[1])


def reverse_padding_first(x, lengths):
    rows = []
    for row, length in enumerate(lengths.numpy().tolist()):
        rows.append(tf.concat([x[row, length:], tf.reverse(x[row, :length], axis=[0])], axis=0))
    return tf.stack(rows)


def reverse_stop_gradient(x, lengths):
    return reverse_by_reverse_sequence(tf.stop_gradient(x), lengths)


def reverse_numpy(x, lengths):
    """Right values, computed in NumPy: a tensor without a gradient."""
    values = x.numpy().copy()
    for row, length in enumerate(lengths.numpy().tolist()):
        values[row, :length] = values[row, :length][::-1]
    return tf.constant(values)


def reverse_float32_mask(x, lengths):
    """Blends with a float32 mask: an error in float64, so it is checked in float32."""
    mask = tf.cast(tf.sequence_mask(lengths, tf.shape(x)[1]), tf.float32)[:, :, None]
    return reverse_by_reverse_sequence(x, lengths) * mask + x * (1.0 - mask)


def reverse_unsolved(x, lengths):
    raise NotImplementedError()


# ---------------------------------------------------------------------------------------------
# Bidirectional: __init__ is given, students write call
# ---------------------------------------------------------------------------------------------


class GivenBidirectional(keras.layers.Layer):
    """The notebook's given __init__."""

    def __init__(self, make_layer, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.forward_layer = make_layer(hidden_size)
        self.backward_layer = make_layer(hidden_size)
        self.output_size = 2 * hidden_size


class Bidirectional(GivenBidirectional):
    """The lesson's solution, with tf.reverse_sequence."""

    reverse = staticmethod(reverse_by_reverse_sequence)

    def call(self, x, lengths):
        forward_outputs, forward_final = self.forward_layer(x, lengths)
        backward_outputs, backward_final = self.backward_layer(self.reverse(x, lengths), lengths)
        backward_outputs = self.reverse(backward_outputs, lengths)
        return ops.concatenate([forward_outputs, backward_outputs], axis=-1), \
            tuple(forward_final) + tuple(backward_final)


class GatherBidirectional(Bidirectional):
    """The student's own gather-based reverse_padded; final states in a list."""

    reverse = staticmethod(reverse_by_gather)

    def call(self, x, lengths):
        outputs, final = super().call(x, lengths)
        return outputs, list(final)


class StackReshapeBidirectional(GivenBidirectional):
    """Stacks the two directions on a new axis and reshapes."""

    def call(self, x, lengths):
        out_f, fin_f = self.forward_layer(x, lengths)
        out_b, fin_b = self.backward_layer(reverse_by_gather(x, lengths), lengths)
        out_b = reverse_by_gather(out_b, lengths)
        stacked = tf.stack([out_f, out_b], axis=2)
        shape = tf.shape(x)
        return tf.reshape(stacked, [shape[0], shape[1], -1]), (*fin_f, *fin_b)


class NaNPaddingBidirectional(Bidirectional):
    """Right, with NaN at the padding steps, which the lesson says may hold anything."""

    def call(self, x, lengths):
        outputs, final = super().call(x, lengths)
        mask = tf.sequence_mask(lengths, tf.shape(x)[1])[:, :, None]
        return tf.where(mask, outputs, tf.constant(float("nan"), outputs.dtype)), final


class BackwardAcrossPaddingBidirectional(GivenBidirectional):
    def call(self, x, lengths):
        out_f, fin_f = self.forward_layer(x, lengths)
        out_b, fin_b = self.backward_layer(tf.reverse(x, axis=[1]), lengths)
        return tf.concat([out_f, tf.reverse(out_b, axis=[1])], axis=-1), \
            tuple(fin_f) + tuple(fin_b)


class SwappedHalvesBidirectional(GivenBidirectional):
    def call(self, x, lengths):
        out_f, fin_f = self.forward_layer(x, lengths)
        out_b, fin_b = self.backward_layer(reverse_by_reverse_sequence(x, lengths), lengths)
        out_b = reverse_by_reverse_sequence(out_b, lengths)
        return tf.concat([out_b, out_f], axis=-1), tuple(fin_f) + tuple(fin_b)


class NotReversedBackBidirectional(GivenBidirectional):
    def call(self, x, lengths):
        out_f, fin_f = self.forward_layer(x, lengths)
        out_b, fin_b = self.backward_layer(reverse_by_reverse_sequence(x, lengths), lengths)
        return tf.concat([out_f, out_b], axis=-1), tuple(fin_f) + tuple(fin_b)


class BackwardFinalFirstBidirectional(Bidirectional):
    def call(self, x, lengths):
        outputs, final = super().call(x, lengths)
        half = len(final) // 2
        return outputs, final[half:] + final[:half]


class ForwardFinalOnlyBidirectional(Bidirectional):
    def call(self, x, lengths):
        outputs, final = super().call(x, lengths)
        return outputs, final[: len(final) // 2]


class NestedFinalBidirectional(Bidirectional):
    def call(self, x, lengths):
        outputs, final = super().call(x, lengths)
        half = len(final) // 2
        return outputs, (final[:half], final[half:])


class PaddedStepFinalBidirectional(Bidirectional):
    """Takes the forward h from the outputs at the last padded step."""

    def call(self, x, lengths):
        outputs, final = super().call(x, lengths)
        hidden = outputs.shape[-1] // 2
        return outputs, (outputs[:, -1, :hidden], *final[1:])


class StopGradientBidirectional(Bidirectional):
    reverse = staticmethod(lambda x, lengths: reverse_by_reverse_sequence(tf.stop_gradient(x),
                                                                          lengths))


class BuiltinBidirectional(GivenBidirectional):
    """Wraps a keras.layers.Bidirectional instead of using make_layer's layers."""

    def __init__(self, make_layer, hidden_size: int, **kwargs) -> None:
        super().__init__(make_layer, hidden_size, **kwargs)
        self.builtin = keras.layers.Bidirectional(
            keras.layers.LSTM(hidden_size, return_sequences=True, return_state=True))

    def call(self, x, lengths):
        outputs, *final = self.builtin(x, mask=tf.sequence_mask(lengths, tf.shape(x)[1]))
        return outputs, tuple(final)


class UnsolvedBidirectional(GivenBidirectional):
    def call(self, x, lengths):
        raise NotImplementedError()


# ---------------------------------------------------------------------------------------------
# Stacked: __init__ is given, students write call
# ---------------------------------------------------------------------------------------------


class GivenStacked(keras.layers.Layer):
    """The notebook's given __init__."""

    def __init__(self, make_layer, hidden_size: int, num_layers: int, dropout: float = 0.0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.rnns = [make_layer(hidden_size) for _ in range(num_layers)]
        self.output_size = self.rnns[-1].output_size
        self.dropout = keras.layers.Dropout(dropout)


class Stacked(GivenStacked):
    """The lesson's solution: dropout before every layer but the first."""

    def call(self, x, lengths, training=None):
        final = ()
        for index, rnn in enumerate(self.rnns):
            if index > 0:
                x = self.dropout(x, training=training)
            x, rnn_final = rnn(x, lengths)
            final += tuple(rnn_final)
        return x, final


class ImplicitTrainingStacked(GivenStacked):
    """No training argument: Keras passes the mode on to self.dropout by itself."""

    def call(self, x, lengths):
        finals = []
        for index, rnn in enumerate(self.rnns):
            x, rnn_final = rnn(x, lengths)
            finals.extend(rnn_final)
            if index < len(self.rnns) - 1:
                x = self.dropout(x)
        return x, tuple(finals)


class DropoutAfterLastStacked(GivenStacked):
    def call(self, x, lengths, training=None):
        final = ()
        for rnn in self.rnns:
            x, rnn_final = rnn(x, lengths)
            x = self.dropout(x, training=training)
            final += tuple(rnn_final)
        return x, final


class EvalDropoutStacked(GivenStacked):
    """Calls the dropout with training=True: dropout in evaluation too."""

    def call(self, x, lengths, training=None):
        final = ()
        for index, rnn in enumerate(self.rnns):
            if index > 0:
                x = self.dropout(x, training=True)
            x, rnn_final = rnn(x, lengths)
            final += tuple(rnn_final)
        return x, final


class InputDropoutStacked(GivenStacked):
    def call(self, x, lengths, training=None):
        final = ()
        for rnn in self.rnns:
            x, rnn_final = rnn(self.dropout(x, training=training), lengths)
            final += tuple(rnn_final)
        return x, final


class NoDropoutStacked(GivenStacked):
    def call(self, x, lengths, training=None):
        final = ()
        for rnn in self.rnns:
            x, rnn_final = rnn(x, lengths)
            final += tuple(rnn_final)
        return x, final


class ReversedFinalsStacked(GivenStacked):
    def call(self, x, lengths, training=None):
        finals = []
        for index, rnn in enumerate(self.rnns):
            if index > 0:
                x = self.dropout(x, training=training)
            x, rnn_final = rnn(x, lengths)
            finals.append(tuple(rnn_final))
        return x, tuple(part for rnn_final in reversed(finals) for part in rnn_final)


class LastFinalOnlyStacked(GivenStacked):
    def call(self, x, lengths, training=None):
        for index, rnn in enumerate(self.rnns):
            if index > 0:
                x = self.dropout(x, training=training)
            x, final = rnn(x, lengths)
        return x, tuple(final)


class OriginalInputStacked(GivenStacked):
    """Feeds every layer the original x (Keras builds each layer for x's size)."""

    def call(self, x, lengths, training=None):
        final, outputs = (), x
        for rnn in self.rnns:
            outputs, rnn_final = rnn(x, lengths)
            final += tuple(rnn_final)
        return outputs, final


class BuiltinStacked(GivenStacked):
    """Keeps a list of keras LSTM layers of its own next to make_layer's."""

    def __init__(self, make_layer, hidden_size, num_layers, dropout=0.0, **kwargs):
        super().__init__(make_layer, hidden_size, num_layers, dropout, **kwargs)
        self.lstms = [keras.layers.LSTM(hidden_size, return_sequences=True, return_state=True)
                      for _ in range(num_layers)]

    def call(self, x, lengths, training=None):
        return Stacked.call(self, x, lengths, training)


class UnsolvedStacked(GivenStacked):
    def call(self, x, lengths, training=None):
        raise NotImplementedError()


# ---------------------------------------------------------------------------------------------
# Pooling over time
# ---------------------------------------------------------------------------------------------


def real_mask(outputs, lengths):
    return tf.sequence_mask(lengths, tf.shape(outputs)[1])[:, :, None]


def max_where_inf(outputs, lengths):
    return tf.reduce_max(tf.where(real_mask(outputs, lengths), outputs,
                                  tf.constant(float("-inf"), outputs.dtype)), axis=1)


def max_ops_where(outputs, lengths):
    steps = ops.arange(ops.shape(outputs)[1], dtype="int32")
    mask = ops.expand_dims(steps[None, :] < ops.cast(lengths, "int32")[:, None], -1)
    return ops.max(ops.where(mask, outputs, -1e9), axis=1)


def max_with_padding(outputs, lengths):
    return tf.reduce_max(outputs, axis=1)


def max_times_mask(outputs, lengths):
    return tf.reduce_max(outputs * tf.cast(real_mask(outputs, lengths), outputs.dtype), axis=1)


def max_stop_gradient(outputs, lengths):
    return max_where_inf(tf.stop_gradient(outputs), lengths)


def mean_cast_to_dtype(outputs, lengths):
    mask = tf.cast(real_mask(outputs, lengths), outputs.dtype)
    return tf.reduce_sum(outputs * mask, axis=1) / tf.cast(lengths, outputs.dtype)[:, None]


def mean_float32_mask(outputs, lengths):
    """tf.cast(..., tf.float32), as tutorials do: a clash in float64, checked in float32."""
    mask = tf.cast(real_mask(outputs, lengths), tf.float32)
    return tf.reduce_sum(outputs * mask, axis=1) / tf.cast(lengths, tf.float32)[:, None]


def mean_int_lengths(outputs, lengths):
    """Divides by the int32 lengths as they come: float64 and float32 alike clash with them."""
    mask = tf.cast(real_mask(outputs, lengths), outputs.dtype)
    return tf.reduce_sum(outputs * mask, axis=1) / lengths[:, None]


def mean_over_all_steps(outputs, lengths):
    mask = tf.cast(real_mask(outputs, lengths), outputs.dtype)
    return tf.reduce_mean(outputs * mask, axis=1)


def mean_with_padding(outputs, lengths):
    return tf.reduce_mean(outputs, axis=1)


def max_unsolved(outputs, lengths):
    raise NotImplementedError()
