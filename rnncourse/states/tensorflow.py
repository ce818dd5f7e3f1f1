"""TensorFlow (Keras 3) side of "what the state remembers": traces of a trained network.

* Lesson 1: :func:`state_trace` runs your ``RNNClassifier`` over one text and keeps the
  state after every token.
* Lesson 2: :func:`train_agreement_lstm` trains a small built-in LSTM on the number-agreement
  task in seconds, and :func:`lstm_trace` recomputes its gates and states step by step.

The plots and the unit finders come from :mod:`rnncourse.states` and are re-exported here,
so a notebook needs one import.
"""

from __future__ import annotations

import time

import numpy as np

from rnncourse.data.agreement import AGREEMENT_CLASSES, number_agreement
from rnncourse.data.encoded import encode_splits
from rnncourse.data.text import Vocabulary
from rnncourse.errors import CourseError
from rnncourse.i18n import _
from rnncourse.quiet import native_stderr_silenced
from rnncourse.states import (
    AGREEMENT_MAX_LEN,
    AGREEMENT_STOP_EARLY,
    GateTrace,
    StateTrace,
    TrainedLSTM,
    flipping_units,
    plot_gates,
    plot_state_flip,
    sentence_ids,
    switching_units,
    unroll_lstm,
)
from rnncourse.tensorflow import keras, make_dataset, seed_everything, tf, train

__all__ = [
    "AgreementLSTM",
    "GateTrace",
    "StateTrace",
    "TrainedLSTM",
    "flipping_units",
    "lstm_trace",
    "plot_gates",
    "plot_state_flip",
    "state_trace",
    "switching_units",
    "train_agreement_lstm",
]




def _layer(model: object, attribute: str, function: str, kind: type) -> keras.layers.Layer:
    """``model.<attribute>``, refused in one sentence when it is missing or of the wrong kind."""
    layer = getattr(model, attribute, None)
    if layer is None:
        raise CourseError(_("{function} needs a model with a layer named `{attribute}`, but "
                            "this {model} has none.").format(
                                function=function, attribute=attribute,
                                model=type(model).__name__))
    if not isinstance(layer, kind):
        raise CourseError(_("{function} needs a model whose `{attribute}` is a {kind}, but "
                            "this {model}'s is a {found}.").format(
                                function=function, attribute=attribute, kind=kind.__name__,
                                model=type(model).__name__, found=type(layer).__name__))
    return layer


def _numpy(tensor: object) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float64)


@native_stderr_silenced()  # TensorFlow's native log lines stay out of the lesson
def state_trace(classifier: keras.layers.Layer, vocab: Vocabulary, text: str) -> StateTrace:
    """Run your trained ``RNNClassifier`` over one text and keep the state after every token.

    Uses the classifier's ``embedding`` and ``rnn`` layers as Lesson 1 defines them: the
    text's ids go through ``embedding``, and ``rnn`` returns ``(outputs, final_state)``
    with outputs of shape (1, steps, hidden).

    Args:
        classifier: The trained classifier.
        vocab: The vocabulary it was trained with.
        text: One sentence; every word must be in ``vocab``.

    Returns:
        The tokens and the states, ``states[t]`` after reading ``tokens[t]``.

    Raises:
        CourseError: In one sentence, if the classifier lacks ``embedding`` or ``rnn``,
            its RNN returns something else, or a word is not in the vocabulary.
    """
    embedding = _layer(classifier, "embedding", "state_trace", keras.layers.Layer)
    rnn = _layer(classifier, "rnn", "state_trace", keras.layers.Layer)
    tokens, ids = sentence_ids(vocab, text)
    result = rnn(embedding(np.asarray([ids], dtype=np.int64)))
    outputs = (_numpy(result[0]) if isinstance(result, (tuple, list)) and len(result) == 2
               else None)
    if outputs is None or outputs.ndim != 3 or outputs.shape[:2] != (1, len(tokens)):
        shape = type(result).__name__ if outputs is None else outputs.shape
        raise CourseError(_("state_trace needs your RNN to return (outputs, final_state) with "
                            "outputs of shape (1, {steps}, hidden) for this text, but it returned "
                            "{shape}.").format(steps=len(tokens), shape=shape))
    return StateTrace(tokens, outputs[0])


def _check_plain_lstm(lstm: keras.layers.LSTM) -> None:
    cell = lstm.cell
    if cell.activation is not keras.activations.tanh or (
            cell.recurrent_activation is not keras.activations.sigmoid):
        raise CourseError(_("lstm_trace reads an LSTM with the default activations (tanh, and "
                            "sigmoid for the gates), but this one uses {activation} and "
                            "{recurrent}.").format(activation=cell.activation.__name__,
                                                   recurrent=cell.recurrent_activation.__name__))
    if lstm.go_backwards or not lstm.built:
        raise CourseError(_("lstm_trace reads a built, forward LSTM: train the model or call it "
                            "once on some ids first."))


@native_stderr_silenced()  # TensorFlow's native log lines stay out of the lesson
def lstm_trace(model: keras.layers.Layer, vocab: Vocabulary, text: str) -> GateTrace:
    """Recompute an LSTM classifier's gates and states over one text, step by step.

    Reads the weights of ``model.lstm`` (a built-in ``keras.layers.LSTM``, gates in
    Keras's order i, f, c, o) and embeds the text with ``model.embedding``; then, from
    zero states, computes in float64 at every step
    ``i, f, o = sigmoid(...)``, ``g = tanh(...)``, ``C = f * C + i * g``, ``h = o * tanh(C)``.

    Args:
        model: A classifier with ``embedding`` and ``lstm`` layers, such as the
            :class:`AgreementLSTM` of :func:`train_agreement_lstm`.
        vocab: The vocabulary it was trained with.
        text: One sentence; every word must be in ``vocab``.

    Returns:
        The tokens and, per step, the gates, the candidate and the states.

    Raises:
        CourseError: In one sentence, if the model lacks those layers, its LSTM is not
            built, runs backwards or uses other activations, or a word is not in the
            vocabulary.
    """
    embedding = _layer(model, "embedding", "lstm_trace", keras.layers.Layer)
    lstm = _layer(model, "lstm", "lstm_trace", keras.layers.LSTM)
    _check_plain_lstm(lstm)
    tokens, ids = sentence_ids(vocab, text)
    inputs = _numpy(embedding(np.asarray([ids], dtype=np.int64)))[0]
    cell = lstm.cell
    bias = _numpy(cell.bias) if cell.use_bias else np.zeros(4 * cell.units)
    return unroll_lstm(tokens, inputs, _numpy(cell.kernel), _numpy(cell.recurrent_kernel), bias)


class AgreementLSTM(keras.Model):
    """Embedding, a built-in ``keras.layers.LSTM``, and a dense readout of the final state.

    ``call(ids)`` takes ids (batch, steps) padded with 0 at the end and returns logits
    (batch, classes). The LSTM is masked where ids are 0, so its final state ``h`` is the
    state after each text's last real token. It returns its outputs and both states, so
    ``model.lstm(x)`` gives ``(outputs, h, c)``.
    """

    def __init__(self, vocab_size: int, embed_size: int = 16, hidden_size: int = 16,
                 num_classes: int = len(AGREEMENT_CLASSES), **kwargs) -> None:
        super().__init__(**kwargs)
        self.embedding = keras.layers.Embedding(vocab_size, embed_size)
        self.lstm = keras.layers.LSTM(hidden_size, return_sequences=True, return_state=True)
        self.output_layer = keras.layers.Dense(num_classes)

    def call(self, ids):
        """Logits of shape (batch, classes) for ids of shape (batch, steps)."""
        _outputs, final_h, _final_c = self.lstm(self.embedding(ids),
                                                mask=keras.ops.not_equal(ids, 0))
        return self.output_layer(final_h)


@native_stderr_silenced()  # TensorFlow's native log lines stay out of the lesson
def train_agreement_lstm(*, hidden_size: int = 16, embed_size: int = 16,
                         train_size: int = 3000, test_size: int = 1000, epochs: int = 6,
                         lr: float = 1e-2, batch_size: int = 32, seed: int = 0,
                         progress: bool = True) -> TrainedLSTM:
    """Train an :class:`AgreementLSTM` on the number-agreement task, in a few seconds.

    Trains on ``number_agreement(train_size, seed=2 * seed, stop_early=0.5)`` with the
    course's :func:`~rnncourse.tensorflow.train` (Adam, gradients clipped to 1) and tests on
    ``number_agreement(test_size, seed=2 * seed + 1)``; the same seed gives the same model.
    Half of the training sentences stop after the subject or one of its modifiers, so the
    LSTM must know the number as soon as the subject is complete: trained on whole
    sentences only, it tends to work the number out gradually, often in different units
    for "and" and for plural nouns, instead of keeping one unit as a flag.

    It runs on the CPU even where there is a GPU: the model is too small to gain from one,
    and the CPU repeats a run exactly for the same seed.

    Args:
        hidden_size: Units of the LSTM.
        embed_size: Size of the word vectors.
        train_size: Training sentences.
        test_size: Test sentences.
        epochs: Passes over the training sentences.
        lr: Adam's learning rate.
        batch_size: Sentences per training batch.
        seed: Seed of the data and of the initial weights.
        progress: Show a progress bar per epoch.

    Returns:
        ``(model, vocab, test_accuracy, seconds)`` as a :class:`~rnncourse.states.TrainedLSTM`.
    """
    for name, value in (("hidden_size", hidden_size), ("embed_size", embed_size),
                        ("train_size", train_size), ("test_size", test_size),
                        ("epochs", epochs), ("batch_size", batch_size)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, not {value}.")
    start = time.perf_counter()
    vocab, train_split, test_split = encode_splits(
        number_agreement(train_size, seed=2 * seed, stop_early=AGREEMENT_STOP_EARLY),
        number_agreement(test_size, seed=2 * seed + 1), max_len=AGREEMENT_MAX_LEN)
    with tf.device("/CPU:0"):
        seed_everything(seed)
        model = AgreementLSTM(len(vocab), embed_size, hidden_size)
        history = train(model, make_dataset(train_split, batch_size, shuffle=True, seed=seed),
                        make_dataset(test_split, 500), epochs=epochs, lr=lr, progress=progress)
    return TrainedLSTM(model, vocab, history.test_accuracy, time.perf_counter() - start)
