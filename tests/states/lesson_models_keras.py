"""Keras models shaped like the lessons' solutions, and the built-in layer's own states."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


class RNNCell(keras.layers.Layer):
    """Lesson 1's cell: new_state = tanh(x·W + state·H + b)."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        normal = keras.initializers.RandomNormal(stddev=0.5)
        self.W = self.add_weight(shape=(input_size, hidden_size), initializer=normal, name="W")
        self.H = self.add_weight(shape=(hidden_size, hidden_size), initializer=normal, name="H")
        self.b = self.add_weight(shape=(hidden_size,), initializer=normal, name="b")

    def call(self, x, state):
        return ops.tanh(ops.matmul(x, self.W) + ops.matmul(state, self.H) + self.b)


class RNN(keras.layers.Layer):
    """Lesson 1's layer: (outputs, final_state)."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hidden_size = hidden_size
        self.cell = RNNCell(input_size, hidden_size)

    def call(self, x, initial_state=None):
        state = (ops.zeros((ops.shape(x)[0], self.hidden_size), dtype=x.dtype)
                 if initial_state is None else initial_state)
        outputs = []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
            outputs.append(state)
        return ops.stack(outputs, axis=1), state


class OutputsOnly(RNN):
    """A layer that returns the outputs alone, not the (outputs, final) pair."""

    def call(self, x, initial_state=None):
        return super().call(x, initial_state)[0]


class RNNClassifier(keras.Model):
    """Lesson 1's classifier: embedding, RNN, dense readout of the last real token."""

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, num_classes: int,
                 rnn_class: type = RNN) -> None:
        super().__init__()
        self.embedding = keras.layers.Embedding(
            vocab_size, embed_size, embeddings_initializer=keras.initializers.RandomNormal())
        self.rnn = rnn_class(embed_size, hidden_size)
        self.output_layer = keras.layers.Dense(num_classes)

    def call(self, ids):
        outputs, _ = self.rnn(self.embedding(ids))
        lengths = ops.sum(ops.cast(ids != 0, "int32"), axis=1)
        last = ops.take_along_axis(outputs, ops.reshape(lengths - 1, (-1, 1, 1)), axis=1)[:, 0]
        return self.output_layer(last)


def make_classifier(vocab_size: int, hidden_size: int, seed: int) -> keras.Model:
    keras.utils.set_random_seed(seed)
    classifier = RNNClassifier(vocab_size, 6, hidden_size, 2)
    classifier(np.array([[2, 3]]))  # builds the embedding and the readout
    return classifier


def without_rnn(classifier: keras.Model) -> keras.Model:
    classifier.rnn = None
    return classifier


def with_outputs_only(classifier: keras.Model) -> keras.Model:
    layer = OutputsOnly(classifier.rnn.cell.W.shape[0], classifier.rnn.hidden_size)
    layer.set_weights(classifier.rnn.get_weights())
    object.__setattr__(classifier, "rnn", layer)  # a built Keras model refuses new layers
    return classifier


def final_state_after(classifier: keras.Model, ids: list[int]) -> np.ndarray:
    """The classifier's RNN's own final state after reading ``ids`` (its second output)."""
    _, final = classifier.rnn(classifier.embedding(np.array([ids])))
    return np.asarray(final[0], dtype=np.float64)


def logits_of(classifier: keras.Model, ids: list[int]) -> np.ndarray:
    return np.asarray(classifier(np.array([ids]))[0], dtype=np.float64)


def readout(classifier: keras.Model, state: np.ndarray) -> np.ndarray:
    return np.asarray(classifier.output_layer(state[None].astype("float32"))[0], dtype=np.float64)


def make_lstm_model(module, vocab_size: int, hidden_size: int, seed: int) -> keras.Model:
    """The agreement classifier with random weights large enough to move every gate."""
    keras.utils.set_random_seed(seed)
    model = module.AgreementLSTM(vocab_size, embed_size=5, hidden_size=hidden_size)
    model(np.array([[2, 3]]))
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, 0.7, size=w.shape).astype("float32")
                       for w in model.get_weights()])
    return model


def builtin_lstm_states(model: keras.Model, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """h and C after every step, from ``model.lstm`` itself run over each prefix."""
    x = model.embedding(np.array([ids]))
    outputs, _, _ = model.lstm(x)
    cells = [np.asarray(model.lstm(x[:, :t + 1])[2][0]) for t in range(len(ids))]
    return np.asarray(outputs[0], dtype=np.float64), np.stack(cells).astype(np.float64)


def unsupported_lstm(model: keras.Model) -> keras.Model:
    lstm = keras.layers.LSTM(4, activation="relu", return_sequences=True, return_state=True)
    lstm.build((1, 2, 5))
    object.__setattr__(model, "lstm", lstm)  # a built Keras model refuses new layers
    return model


def gru_instead(model: keras.Model) -> keras.Model:
    object.__setattr__(model, "lstm", keras.layers.GRU(4))  # a built model refuses new layers
    return model


def weights(model: keras.Model) -> list[np.ndarray]:
    return [w.copy() for w in model.get_weights()]
