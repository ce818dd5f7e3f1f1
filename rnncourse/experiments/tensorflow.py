"""TensorFlow (Keras 3) side of Lesson 2's experiments: gradient norms, memory sweep, clipping.

The plots and the table come from :mod:`rnncourse.experiments.common` and are
re-exported here, so a notebook needs one import.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np

from rnncourse.experiments.common import (
    CLIPPING_EMBED_SIZE,
    CLIPPING_HIDDEN_SIZE,
    CLIPPING_LR,
    CLIPPING_RECURRENT_GAIN,
    CLIPPING_UPDATES,
    MEMORY_CLASSES,
    MEMORY_VOCAB_SIZE,
    ClippingProblem,
    ClippingRun,
    check_at_least,
    check_clipping_arguments,
    check_init,
    check_kind,
    chrono_bias,
    clipping_problem,
    gradient_probe,
    mean_step_norms,
    memory_splits,
    memory_table,
    plot_clipping,
    plot_gradient_norms,
    plot_memory_sweep,
    run_clipping,
    run_memory_sweep,
)
from rnncourse.i18n import _
from rnncourse.quiet import native_stderr_silenced
from rnncourse.tensorflow import (
    clip_gradients,
    keras,
    make_dataset,
    pick_device,
    seed_everything,
    tf,
    train,
)

__all__ = [
    "ClippingRun",
    "apply_chrono_init",
    "clipping_experiment",
    "input_gradient_norms",
    "memory_accuracy",
    "memory_classifier",
    "memory_sweep",
    "memory_table",
    "plot_clipping",
    "plot_gradient_norms",
    "plot_memory_sweep",
    "recurrent_layer",
]

_LAYERS = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def recurrent_layer(kind: str, hidden_size: int) -> keras.layers.RNN:
    """Keras's built-in ``SimpleRNN``, ``LSTM`` or ``GRU`` (default init); gives the final state."""
    return _LAYERS[check_kind(kind)](hidden_size)


def apply_chrono_init(layer: keras.layers.RNN, kind: str, max_lag: int, seed: int = 0) -> None:
    """Start the gates of a built Keras LSTM or GRU from the chrono initialisation.

    The LSTM's forget gate gets :func:`~rnncourse.experiments.common.chrono_bias`
    and its input gate the opposite; the GRU's update gate ``z`` gets it. A plain
    RNN has no gate and is left alone.
    """
    if check_kind(kind) == "rnn":
        return
    hidden = layer.cell.units
    bias = chrono_bias(hidden, max_lag, seed)
    values = layer.cell.bias.numpy()
    if kind == "lstm":  # gates i, f, c, o; the input gate starts mostly shut
        values[:hidden], values[hidden:2 * hidden] = -bias, bias
    else:  # rows: input and recurrent bias; gates z, r, h, and z keeps the old state
        values[0, :hidden], values[1, :hidden] = bias, 0.0
    layer.cell.bias.assign(values)



@native_stderr_silenced()  # TensorFlow's native log lines stay out of the lesson
def input_gradient_norms(kind: str, *, steps: int = 100, input_size: int = 32,
                         hidden_size: int = 64, batch: int = 32, init: str = "default",
                         seed: int = 0) -> np.ndarray:
    """How strongly the final state depends on each input step, at initialisation.

    Builds the built-in layer with Keras's default initialisation (or, with
    ``init="chrono"``, :func:`apply_chrono_init` over ``steps``), feeds it random
    inputs (:func:`~rnncourse.experiments.common.gradient_probe`), takes the loss
    ``sum(h_T @ readout)`` of the final hidden state only and returns, for every step
    ``t``, the mean over the batch of ``||d loss / d x_t||``: an array of length
    ``steps``, step 0 first. The curve against distance from the end shows how fast
    the gradient vanishes; plot it with :func:`plot_gradient_norms`.

    Raises:
        ValueError: If ``kind`` or ``init`` is unknown or a size is below 1.
    """
    check_kind(kind)
    check_init(init)
    x_np, readout_np = gradient_probe(steps, input_size, hidden_size, batch, seed)
    with tf.device(pick_device(verbose=False)):
        seed_everything(seed)
        layer = recurrent_layer(kind, hidden_size)
        layer.build((batch, steps, input_size))
        if init == "chrono":
            apply_chrono_init(layer, kind, steps, seed)
        x, readout = tf.constant(x_np), tf.constant(readout_np)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x) * readout)
        gradient = tape.gradient(loss, x)
    return mean_step_norms(gradient.numpy())


def memory_classifier(kind: str, *, vocab_size: int = MEMORY_VOCAB_SIZE, embed_size: int = 16,
                      hidden_size: int = 32, num_classes: int = MEMORY_CLASSES,
                      init: str = "chrono", max_lag: int = 100, seed: int = 0) -> keras.Model:
    """Embedding, a built-in recurrent layer, and a dense readout of its final state.

    With ``init="chrono"`` the LSTM's forget and input gates (the GRU's update gate)
    start from :func:`~rnncourse.experiments.common.chrono_bias`; with ``"default"``
    every weight keeps Keras's initialisation (the LSTM's forget bias is 1). A plain
    RNN has no gate: both agree.

    The embeddings start standard normal, as PyTorch's do, so both frameworks run
    the same experiment: from Keras's default (uniform in +-0.05) the SimpleRNN
    starts almost linear, and its orthogonal recurrent matrix then carries the
    first token over 100 steps, hiding the forgetting this experiment shows. Id 0
    is masked: ``make_dataset`` pads batches to a multiple of 16, and the layer
    must stop at the true end of each sequence.
    """
    check_init(init)
    recurrent = recurrent_layer(kind, hidden_size)
    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int64"),
        keras.layers.Embedding(vocab_size, embed_size, mask_zero=True,
                               embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0)),
        recurrent,
        keras.layers.Dense(num_classes),
    ])
    if init == "chrono":
        apply_chrono_init(recurrent, kind, max_lag, seed)
    return model


@native_stderr_silenced()  # TensorFlow's native log lines stay out of the lesson
def memory_accuracy(kind: str, distractors: int, *, train_size: int = 2000,
                    test_size: int = 500, hidden_size: int = 32, embed_size: int = 16,
                    epochs: int = 5, batch_size: int = 32, lr: float = 5e-3,
                    init: str = "chrono", seed: int = 0) -> float:
    """Test accuracy of a :func:`memory_classifier` trained on the first-token memory task.

    Trains on ``first_token_memory(train_size, distractors)`` with the course's
    :func:`~rnncourse.tensorflow.train` (Adam, gradients clipped to 1) on the GPU when
    there is one, and evaluates on an independent test split.

    The defaults keep the default :func:`memory_sweep` to about 50 s on two CPU cores
    while the plain RNN stays at chance for T = 100 and the LSTM and GRU reach 100 %
    (seeds 0, 1 and 2). They need ``init="chrono"``: from the default gates (forget
    or update gate near 0.5) their gradient vanishes too, and within this budget they
    stay near chance from T = 50 on, like the RNN (compare ``input_gradient_norms``
    with both inits).
    More epochs or a larger ``hidden_size`` let the RNN learn T = 100 on some seeds.

    Raises:
        ValueError: If ``kind`` or ``init`` is unknown or a size is out of range.
    """
    check_kind(kind)
    check_init(init)
    check_at_least("distractors", distractors, 0)
    for name, value in (("hidden_size", hidden_size), ("embed_size", embed_size),
                        ("epochs", epochs), ("batch_size", batch_size)):
        check_at_least(name, value, 1)
    train_split, test_split = memory_splits(distractors, train_size, test_size, seed)
    with tf.device(pick_device(verbose=False)):
        seed_everything(seed)
        model = memory_classifier(kind, embed_size=embed_size, hidden_size=hidden_size,
                                  init=init, max_lag=distractors + 1, seed=seed)
        history = train(model, make_dataset(train_split, batch_size, shuffle=True, seed=seed),
                        make_dataset(test_split, 500), epochs=epochs, lr=lr, progress=False)
    return history.test_accuracy


def memory_sweep(kinds: Iterable[str] = ("rnn", "lstm", "gru"),
                 distractors: Iterable[int] = (5, 20, 50, 100),
                 **kw: object) -> dict[str, dict[int, float]]:
    """:func:`memory_accuracy` for every kind and number of distractors, with a progress bar.

    Keyword arguments go to :func:`memory_accuracy`. Returns ``{kind: {T: accuracy}}``;
    show it with :func:`plot_memory_sweep` or :func:`memory_table`.
    """
    run = functools.partial(memory_accuracy, **kw)
    label = _("memory sweep ({framework})").format(framework="TensorFlow")
    return run_memory_sweep(run, kinds, distractors, desc=label)


def _clipping_model(problem: ClippingProblem) -> keras.Model:
    """Embedding, a ``SimpleRNN`` and a dense readout, started from ``problem``'s weights.

    The same model as PyTorch's :class:`~rnncourse.experiments.pytorch.MemoryClassifier`
    for ``"rnn"`` in the clipping experiment: Keras stores each weight matrix transposed
    (``x @ kernel`` rather than ``weight @ x``), and every bias starts at zero. No id is
    masked: the sequences have no padding.
    """
    hidden = CLIPPING_HIDDEN_SIZE
    recurrent = recurrent_layer("rnn", hidden)
    embedding = keras.layers.Embedding(MEMORY_VOCAB_SIZE, CLIPPING_EMBED_SIZE)
    readout = keras.layers.Dense(MEMORY_CLASSES)
    model = keras.Sequential([keras.Input(shape=(None,), dtype="int64"), embedding, recurrent,
                              readout])
    embedding.set_weights([problem.embedding])
    recurrent.set_weights([problem.input_weights.T, problem.recurrent_weights.T,
                           np.zeros(hidden, np.float32)])
    readout.set_weights([problem.readout_weights.T, np.zeros(MEMORY_CLASSES, np.float32)])
    return model


@native_stderr_silenced()  # TensorFlow's native log lines stay out of the lesson
def clipping_experiment(clip_norm: float | None, *, updates: int = CLIPPING_UPDATES,
                        lr: float = CLIPPING_LR, recurrent_gain: float = CLIPPING_RECURRENT_GAIN,
                        seed: int = 0) -> ClippingRun:
    """Train a plain tanh RNN with plain SGD, with or without gradient clipping.

    The TensorFlow twin of :func:`rnncourse.experiments.pytorch.clipping_experiment`, whose
    docstring explains the experiment and its measured results: the same weights and
    batches (:func:`~rnncourse.experiments.common.clipping_problem`), an embedding,
    ``SimpleRNN`` and a dense readout, clipped by :func:`~rnncourse.tensorflow.clip_gradients`.
    Returns a :class:`~rnncourse.experiments.common.ClippingRun`.

    Raises:
        ValueError: If ``clip_norm``, ``lr`` or ``recurrent_gain`` is not a positive
            number (``clip_norm`` may be None) or ``updates`` is below 1.
    """
    clip_norm = check_clipping_arguments(clip_norm, updates, lr, recurrent_gain)
    problem = clipping_problem(updates, recurrent_gain, seed)
    with tf.device(pick_device(verbose=False)):
        model = _clipping_model(problem)
        optimizer = keras.optimizers.SGD(learning_rate=lr)
        variables = model.trainable_variables
        ids, labels = tf.constant(problem.ids), tf.constant(problem.labels)

        @tf.function
        def train_step(batch_ids: tf.Tensor, batch_labels: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                logits = model(batch_ids, training=True)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    batch_labels, logits))
            gradients, norm = clip_gradients(tape.gradient(loss, variables), clip_norm)
            optimizer.apply_gradients(zip(gradients, variables, strict=True))
            return tf.stack([loss, norm])

        def step(update: int) -> tuple[float, float]:
            loss, norm = train_step(ids[update], labels[update]).numpy().tolist()
            return loss, norm

        return run_clipping(step, clip_norm, lr, recurrent_gain, updates)
