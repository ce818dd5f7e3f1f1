"""PyTorch side of "what the state remembers": traces of a trained network over one sentence.

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
import torch
from torch import nn

from rnncourse.data.agreement import AGREEMENT_CLASSES, number_agreement
from rnncourse.data.encoded import encode_splits
from rnncourse.data.text import Vocabulary
from rnncourse.errors import CourseError
from rnncourse.i18n import _
from rnncourse.pytorch import make_loader, seed_everything, train
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


def _layer(model: object, attribute: str, function: str, kind: type[nn.Module]) -> nn.Module:
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


def _ids_tensor(embedding: nn.Module, ids: list[int]) -> torch.Tensor:
    """The ids as a batch of one, on the embedding's device."""
    parameter = next(embedding.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    return torch.tensor([ids], dtype=torch.int64, device=device)


@torch.no_grad()
def state_trace(classifier: nn.Module, vocab: Vocabulary, text: str) -> StateTrace:
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
    embedding = _layer(classifier, "embedding", "state_trace", nn.Module)
    rnn = _layer(classifier, "rnn", "state_trace", nn.Module)
    tokens, ids = sentence_ids(vocab, text)
    result = rnn(embedding(_ids_tensor(embedding, ids)))
    outputs = result[0] if isinstance(result, (tuple, list)) and len(result) == 2 else None
    if not isinstance(outputs, torch.Tensor) or outputs.ndim != 3 or outputs.shape[:2] != (
            1, len(tokens)):
        shape = tuple(outputs.shape) if isinstance(outputs, torch.Tensor) else type(result).__name__
        raise CourseError(_("state_trace needs your RNN to return (outputs, final_state) with "
                            "outputs of shape (1, {steps}, hidden) for this text, but it returned "
                            "{shape}.").format(steps=len(tokens), shape=shape))
    return StateTrace(tokens, outputs[0].double().cpu().numpy())


def _check_single_lstm(lstm: nn.LSTM) -> None:
    if lstm.num_layers != 1 or lstm.bidirectional or lstm.proj_size:
        raise CourseError(_("lstm_trace reads a one-layer, one-direction nn.LSTM without "
                            "projection, but this one has {layers} layer(s), bidirectional="
                            "{bidirectional} and proj_size={proj}.").format(
                                layers=lstm.num_layers, bidirectional=lstm.bidirectional,
                                proj=lstm.proj_size))


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().double().cpu().numpy()


@torch.no_grad()
def lstm_trace(model: nn.Module, vocab: Vocabulary, text: str) -> GateTrace:
    """Recompute an LSTM classifier's gates and states over one text, step by step.

    Reads the weights of ``model.lstm`` (a built-in one-layer ``nn.LSTM``, gates in
    PyTorch's order i, f, g, o) and embeds the text with ``model.embedding``; then, from
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
        CourseError: In one sentence, if the model lacks those layers, its LSTM has
            several layers, directions or a projection, or a word is not in the vocabulary.
    """
    embedding = _layer(model, "embedding", "lstm_trace", nn.Module)
    lstm = _layer(model, "lstm", "lstm_trace", nn.LSTM)
    _check_single_lstm(lstm)
    tokens, ids = sentence_ids(vocab, text)
    inputs = _numpy(embedding(_ids_tensor(embedding, ids))[0])
    bias = (_numpy(lstm.bias_ih_l0) + _numpy(lstm.bias_hh_l0) if lstm.bias
            else np.zeros(4 * lstm.hidden_size))
    # nn.LSTM computes W x for a column x: its matrices are the transposes of ours.
    return unroll_lstm(tokens, inputs, _numpy(lstm.weight_ih_l0).T,
                       _numpy(lstm.weight_hh_l0).T, bias)


class AgreementLSTM(nn.Module):
    """Embedding, a built-in one-layer ``nn.LSTM``, and a linear readout of the last real step.

    ``forward(ids)`` takes ids (batch, steps) padded with 0 at the end and returns logits
    (batch, classes), read from the LSTM's output at each text's last real token. The forget
    gate's bias starts at 1, as Keras's ``unit_forget_bias`` does, so that both frameworks
    start from cells that keep what they hold.
    """

    def __init__(self, vocab_size: int, embed_size: int = 16, hidden_size: int = 16,
                 num_classes: int = len(AGREEMENT_CLASSES)) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.lstm = nn.LSTM(embed_size, hidden_size, batch_first=True)
        self.output = nn.Linear(hidden_size, num_classes)
        with torch.no_grad():
            forget = slice(hidden_size, 2 * hidden_size)  # gates i, f, g, o
            self.lstm.bias_ih_l0[forget] = 1.0
            self.lstm.bias_hh_l0[forget] = 0.0

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits of shape (batch, classes) for ids of shape (batch, steps)."""
        outputs, _ = self.lstm(self.embedding(ids))
        # The LSTM reads left to right, so the padding after the last token cannot change it.
        last = (ids != 0).sum(dim=1) - 1
        return self.output(outputs[torch.arange(ids.shape[0], device=ids.device), last])


def train_agreement_lstm(*, hidden_size: int = 16, embed_size: int = 16,
                         train_size: int = 3000, test_size: int = 1000, epochs: int = 6,
                         lr: float = 1e-2, batch_size: int = 32, seed: int = 0,
                         progress: bool = True) -> TrainedLSTM:
    """Train an :class:`AgreementLSTM` on the number-agreement task, in a few seconds.

    Trains on ``number_agreement(train_size, seed=2 * seed, stop_early=0.5)`` with the
    course's :func:`~rnncourse.pytorch.train` (Adam, gradients clipped to 1) and tests on
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
    seed_everything(seed)
    model = AgreementLSTM(len(vocab), embed_size, hidden_size)
    history = train(model, make_loader(train_split, batch_size, shuffle=True, seed=seed),
                    make_loader(test_split, 500), epochs=epochs, lr=lr,
                    device=torch.device("cpu"), progress=progress)
    model.eval()
    return TrainedLSTM(model, vocab, history.test_accuracy, time.perf_counter() - start)
