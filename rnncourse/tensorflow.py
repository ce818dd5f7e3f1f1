"""TensorFlow (Keras 3) side of the course: device, seeding, batches, training loop, evaluation."""

from __future__ import annotations

import contextlib
import logging
import os
import weakref
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from tqdm.auto import tqdm

from rnncourse.data.encoded import EncodedSplit
from rnncourse.quiet import native_stderr_silenced
from rnncourse.speed import SpeedComparison, compare
from rnncourse.threads import policy, tensorflow_threads
from rnncourse.training import (
    EpochMeter,
    History,
    check_clip_norm,
    device_line,
    epoch_description,
    epoch_summary,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # honoured by part of TensorFlow's C++ log
with native_stderr_silenced():  # the rest of its start-up notices go straight to fd 2
    import keras
    import tensorflow as tf

# TensorFlow fixes its thread pools when it runs its first op: give it the policy's now.
tensorflow_threads(tf)
#: Batches are padded to a multiple of this, so tf.function compiles only a few shapes.
PAD_MULTIPLE = 16
_announced: set[str] = set()
_eval_steps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _RetracingFilter(logging.Filter):
    """Hides TensorFlow's retracing warning: we compile one graph per padded width on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_RetracingFilter())


def pick_device(verbose: bool = True) -> str:
    """``"/GPU:0"`` when TensorFlow sees a GPU (memory growth on), else ``"/CPU:0"``; says which."""
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        # Growth can only be set before the GPU is first used; later calls keep what was set.
        with contextlib.suppress(RuntimeError):
            tf.config.experimental.set_memory_growth(gpu, True)
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        device, description = "/GPU:0", f"GPU:0 ({details.get('device_name', 'GPU')})"
    else:
        device, description = "/CPU:0", policy().describe()
    if verbose and description not in _announced:
        _announced.add(description)
        print(device_line(f"TensorFlow {tf.__version__} (Keras {keras.__version__})",
                          description))
    return device


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and TensorFlow so a run can be repeated."""
    keras.utils.set_random_seed(seed)


def count_parameters(model: keras.layers.Layer) -> int:
    """Number of trainable weights (the model must have been built or called once)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


#: The built-in recurrent layers :class:`Recurrent` can wrap.
RECURRENT_LAYERS: dict[str, type[keras.layers.Layer]] = {
    "rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


class Recurrent(keras.layers.Layer):
    """A built-in one-direction recurrent layer that reads only each sequence's real steps.

    Lesson 2's mask as a building block: ``call(x, lengths)`` takes ``x`` of shape
    (batch, steps, features), padded at the end, and each sequence's length, and returns
    ``(outputs, final)``: outputs (batch, steps, hidden_size), zero past each length, and the
    state after each sequence's last real step as a tuple, ``(h, c)`` for an LSTM and ``(h,)``
    otherwise, each (batch, hidden_size).
    """

    def __init__(self, hidden_size: int, kind: str = "lstm", **kwargs) -> None:
        super().__init__(**kwargs)
        if kind not in RECURRENT_LAYERS:
            raise ValueError(f"kind must be one of {sorted(RECURRENT_LAYERS)}, got {kind!r}.")
        self.kind = kind
        self.hidden_size = hidden_size
        self.output_size = hidden_size  # what the next layer receives per step
        self.rnn = RECURRENT_LAYERS[kind](hidden_size, return_sequences=True, return_state=True,
                                          dtype=self.dtype_policy)

    def call(self, x, lengths):
        """x: (batch, steps, features), lengths: (batch,) -> (outputs, final)."""
        mask = tf.sequence_mask(lengths, maxlen=tf.shape(x)[1])
        outputs, *final = self.rnn(x, mask=mask)
        outputs = outputs * tf.cast(mask, outputs.dtype)[:, :, None]
        return outputs, tuple(final)


def sequence_lengths(ids) -> tf.Tensor:
    """How many real (non-zero) token ids each row of a batch padded with 0 holds."""
    return tf.reduce_sum(tf.cast(ids != 0, tf.int32), axis=1)


POOLINGS = ("last", "max", "mean")


class RecurrentClassifier(keras.Model):
    """Lessons 1-3's text classifiers in one class, on Keras' built-in layers.

    Embedding -> ``num_layers`` recurrent layers of ``kind`` (each bidirectional if asked),
    masked to each text's real steps -> one vector per text (``pooling``: the final state of
    the top layer's directions, or the max or mean of its outputs over the real steps) -> a
    dense layer. ``dropout`` applies to the word vectors, between layers and to the pooled
    vector. ``call(ids)`` takes (batch, steps) ids padded with 0 at the end.
    """

    def __init__(self, vocab_size: int, num_classes: int, *, kind: str = "lstm",
                 embed_size: int = 64, hidden_size: int = 64, bidirectional: bool = False,
                 num_layers: int = 1, dropout: float = 0.0, pooling: str = "last",
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if kind not in RECURRENT_LAYERS:
            raise ValueError(f"kind must be one of {sorted(RECURRENT_LAYERS)}, got {kind!r}.")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, got {pooling!r}.")
        self.kind, self.pooling = kind, pooling
        dtype = self.dtype_policy  # the sublayers compute in the model's dtype (float64 in tests)
        self.embedding = keras.layers.Embedding(vocab_size, embed_size, dtype=dtype)
        self.recurrent = []
        for layer in range(num_layers):
            rnn = RECURRENT_LAYERS[kind](hidden_size, return_sequences=True,
                                         return_state=layer == num_layers - 1, dtype=dtype)
            self.recurrent.append(keras.layers.Bidirectional(rnn, dtype=dtype)
                                  if bidirectional else rnn)
        self.dropout = keras.layers.Dropout(dropout, dtype=dtype)
        self.output_layer = keras.layers.Dense(num_classes, dtype=dtype)

    def call(self, ids, training=None):
        """ids: (batch, steps), padded with 0 at the end -> logits (batch, num_classes)."""
        mask = ids != 0
        x = self.dropout(self.embedding(ids), training=training)
        for layer in self.recurrent[:-1]:
            x = self.dropout(layer(x, mask=mask, training=training), training=training)
        outputs, *states = self.recurrent[-1](x, mask=mask, training=training)
        real = tf.cast(mask, outputs.dtype)[:, :, None]
        if self.pooling == "last":  # h of each direction; an LSTM's c comes after its h
            features = tf.concat(states[::2] if self.kind == "lstm" else states, axis=-1)
        elif self.pooling == "max":
            # The padding gets the lowest number there is, so it never wins the max.
            features = tf.reduce_max(real * outputs + (1.0 - real) * outputs.dtype.min, axis=1)
        else:
            counts = tf.maximum(tf.reduce_sum(real, axis=1), 1.0)
            features = tf.reduce_sum(real * outputs, axis=1) / counts
        return self.output_layer(self.dropout(features, training=training))


def predict(model: keras.layers.Layer, split: EncodedSplit, batch_size: int = 256) -> np.ndarray:
    """The class ``model`` predicts for every text of ``split``, in the split's order."""
    predictions = []
    for start in range(0, len(split), batch_size):
        lengths = split.lengths[start:start + batch_size]
        ids = split.ids[start:start + batch_size, :max(int(lengths.max()), 1)]
        logits = model(tf.constant(ids, dtype=tf.int64), training=False)
        predictions.append(np.argmax(np.asarray(logits), axis=1))
    return np.concatenate(predictions) if predictions else np.zeros(0, dtype=np.int64)


def make_dataset(split: EncodedSplit, batch_size: int = 64, *, shuffle: bool = False,
                 seed: int = 0) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of ``(ids, labels)`` batches of similar length.

    Reshuffled on every pass (seed + pass number); each batch is cut to its longest
    sequence rounded up to :data:`PAD_MULTIPLE`.
    """
    passes = iter(range(1_000_000))

    def generate():
        epoch_seed = seed + next(passes)
        for ids, _, labels in split.batches(batch_size, shuffle=shuffle, seed=epoch_seed,
                                            pad_multiple=PAD_MULTIPLE):
            yield ids, labels

    signature = (tf.TensorSpec((None, None), tf.int64), tf.TensorSpec((None,), tf.int64))
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return dataset.apply(tf.data.experimental.assert_cardinality(split.num_batches(batch_size)))


def _loss_fn() -> keras.losses.Loss:
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")


def clip_gradients(gradients: Sequence, clip_norm: float | None) -> tuple[list, tf.Tensor]:
    """The gradients clipped to global L2 norm ``clip_norm``, and their norm before clipping.

    The global norm is that of all the gradients together, as if they were one vector;
    when it exceeds ``clip_norm`` every gradient is scaled by ``clip_norm / norm``, so the
    update keeps its direction and only its length is capped (``tf.clip_by_global_norm``).
    With ``clip_norm=None`` the gradients are returned as they are, only measured. None
    entries (variables the loss does not use) are kept and ignored. Works inside
    ``tf.function``; the norm is a scalar tensor.
    """
    clip_norm = check_clip_norm(clip_norm)
    gradients = list(gradients)
    squares = [_squared_norm(gradient) for gradient in gradients if gradient is not None]
    norm = tf.sqrt(tf.add_n(squares)) if squares else tf.constant(0.0)
    if clip_norm is None:
        return gradients, norm
    return tf.clip_by_global_norm(gradients, clip_norm, use_norm=norm)[0], norm


def _squared_norm(gradient: tf.Tensor | tf.IndexedSlices) -> tf.Tensor:
    """The squared L2 norm of one gradient, in float32."""
    if isinstance(gradient, tf.IndexedSlices):
        # An embedding's gradient lists one row per token read; rows of a repeated id add up
        # (tf.linalg.global_norm would square them one by one). Summed here without building
        # the whole vocabulary-sized matrix.
        unique, position = tf.unique(gradient.indices)
        gradient = tf.math.unsorted_segment_sum(gradient.values, position, tf.size(unique))
    return tf.reduce_sum(tf.square(tf.cast(gradient, tf.float32)))


def evaluate(model: keras.layers.Layer, dataset: tf.data.Dataset) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` over ``dataset``."""
    step = _eval_steps.get(model)
    if step is None:  # compiled once per model, so later epochs reuse the graphs
        loss_fn = _loss_fn()

        @tf.function
        def step(ids: tf.Tensor, labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            logits = model(ids, training=False)
            hits = tf.reduce_sum(tf.cast(tf.argmax(logits, axis=1) == labels, tf.float32))
            return loss_fn(labels, logits), hits

        _eval_steps[model] = step

    loss_sum, correct, count = 0.0, 0.0, 0
    for ids, labels in dataset:
        loss, hits = step(ids, labels)
        loss_sum += float(loss)
        correct += float(hits)
        count += int(labels.shape[0])
    return loss_sum / max(count, 1), correct / max(count, 1)


def train(
    model: keras.layers.Layer,
    train_data: tf.data.Dataset,
    test_data: tf.data.Dataset,
    *,
    epochs: int = 3,
    lr: float = 1e-3,
    clip_norm: float | None = 1.0,
    progress: bool = True,
) -> History:
    """Train with Adam and cross-entropy, evaluating on the test data after every epoch.

    The training step is compiled with ``tf.function``; gradients are clipped to global
    norm ``clip_norm`` (None: not clipped), see :func:`clip_gradients`: plain RNNs
    occasionally explode without it. Shows a progress bar per epoch and returns a
    :class:`History`, which holds every update's gradient norm before clipping
    (``history.gradient_norms``, ``history.clipped_fraction()``).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    clip_norm = check_clip_norm(clip_norm)
    device = pick_device(verbose=False)
    # Clipped in the step rather than by Adam's global_clipnorm, so the norm can be recorded.
    optimizer = keras.optimizers.Adam(learning_rate=lr)
    loss_fn = _loss_fn()

    @tf.function
    def train_step(ids: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            logits = model(ids, training=True)
            loss = loss_fn(labels, logits) / tf.cast(tf.shape(labels)[0], logits.dtype)
        variables = model.trainable_variables
        gradients, norm = clip_gradients(tape.gradient(loss, variables), clip_norm)
        optimizer.apply_gradients(zip(gradients, variables, strict=True))
        hits = tf.reduce_sum(tf.cast(tf.argmax(logits, axis=1) == labels, tf.float32))
        # One tensor, so the host waits for the step once per batch, not once per number.
        return tf.stack([tf.cast(loss, tf.float32), hits, tf.cast(norm, tf.float32)])

    history = History(device=device, clip_norm=clip_norm)
    batches = int(train_data.cardinality())
    for epoch in range(1, epochs + 1):
        meter = EpochMeter(epoch)
        bar = tqdm(train_data, total=batches if batches > 0 else None, unit="batch",
                   desc=epoch_description(epoch, epochs), disable=not progress, leave=True)
        for ids, labels in bar:
            loss, hits, norm = train_step(ids, labels).numpy().tolist()
            meter.add(loss, hits, int(labels.shape[0]))
            history.gradient_norms.append(norm)
            bar.set_postfix(meter.postfix())
        record = meter.finish(*evaluate(model, test_data))
        history.epochs.append(record)
        if progress:
            bar.write(epoch_summary(record))
    return history


def compare_speed(variants: Mapping[str, Callable[[], tf.Tensor]], *, warmup: int = 2,
                  repeats: int = 5) -> SpeedComparison:
    """Time a forward plus backward pass of each variant, after checking they agree.

    ``variants`` maps a name to a function of no arguments that returns a layer's outputs
    (a ``tf.function`` is fine); the backward pass computes the gradients of their sum for
    every variable the forward pass read. A variant whose code raises NotImplementedError is
    listed as not timed. Returns a :class:`~rnncourse.speed.SpeedComparison`
    (``.table()``, ``.milliseconds()``).
    """
    return compare(variants, lambda forward: np.asarray(forward(), dtype=np.float64),
                   _forward_backward, warmup, repeats)


def _forward_backward(forward: Callable[[], tf.Tensor]) -> Callable[[], None]:
    def call() -> None:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(forward())
        gradients = tape.gradient(loss, tape.watched_variables())
        if gradients:
            gradients[0].numpy()  # waits for the device to finish
    return call
