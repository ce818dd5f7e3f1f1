"""PyTorch models shaped like the lessons' solutions, and the built-in layer's own states."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


class RNNCell(nn.Module):
    """Lesson 1's cell: new_state = tanh(x·W + state·H + b)."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.W = nn.Parameter(torch.randn(input_size, hidden_size) * 0.5)
        self.H = nn.Parameter(torch.randn(hidden_size, hidden_size) * 0.5)
        self.b = nn.Parameter(torch.randn(hidden_size) * 0.5)

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.W + state @ self.H + self.b)


class RNN(nn.Module):
    """Lesson 1's layer: (outputs, final_state)."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = RNNCell(input_size, hidden_size)

    def forward(self, x: torch.Tensor, initial_state: torch.Tensor | None = None):
        state = x.new_zeros(x.shape[0], self.hidden_size) if initial_state is None else (
            initial_state)
        outputs = []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
            outputs.append(state)
        return torch.stack(outputs, dim=1), state


class RNNClassifier(nn.Module):
    """Lesson 1's classifier: embedding, RNN, linear readout of the last real token."""

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int,
                 num_classes: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.rnn = RNN(embed_size, hidden_size)
        self.output = nn.Linear(hidden_size, num_classes)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.rnn(self.embedding(ids))
        lengths = (ids != 0).sum(dim=1)
        return self.output(outputs[torch.arange(ids.shape[0]), lengths - 1])


class OutputsOnly(RNN):
    """A layer that returns the outputs alone, not the (outputs, final) pair."""

    def forward(self, x: torch.Tensor, initial_state: torch.Tensor | None = None):
        return super().forward(x, initial_state)[0]


def make_classifier(vocab_size: int, hidden_size: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return RNNClassifier(vocab_size, 6, hidden_size, 2)


def without_rnn(classifier: nn.Module) -> nn.Module:
    del classifier.rnn
    return classifier


def with_outputs_only(classifier: nn.Module) -> nn.Module:
    layer = OutputsOnly(classifier.rnn.cell.W.shape[0], classifier.rnn.hidden_size)
    layer.load_state_dict(classifier.rnn.state_dict())
    classifier.rnn = layer
    return classifier


@torch.no_grad()
def final_state_after(classifier: nn.Module, ids: list[int]) -> np.ndarray:
    """The classifier's RNN's own final state after reading ``ids`` (its second output)."""
    _, final = classifier.rnn(classifier.embedding(torch.tensor([ids])))
    return final[0].double().numpy()


@torch.no_grad()
def logits_of(classifier: nn.Module, ids: list[int]) -> np.ndarray:
    return classifier(torch.tensor([ids]))[0].double().numpy()


@torch.no_grad()
def readout(classifier: nn.Module, state: np.ndarray) -> np.ndarray:
    return classifier.output(torch.tensor(state, dtype=torch.float32)).double().numpy()


def make_lstm_model(module, vocab_size: int, hidden_size: int, seed: int) -> nn.Module:
    """The agreement classifier with random weights large enough to move every gate."""
    torch.manual_seed(seed)
    model = module.AgreementLSTM(vocab_size, embed_size=5, hidden_size=hidden_size)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.7)
    return model


@torch.no_grad()
def builtin_lstm_states(model: nn.Module, ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """h and C after every step, from ``model.lstm`` itself run over each prefix."""
    x = model.embedding(torch.tensor([ids]))
    outputs, _ = model.lstm(x)
    cells = [model.lstm(x[:, :t + 1])[1][1][0, 0] for t in range(len(ids))]
    return outputs[0].double().numpy(), torch.stack(cells).double().numpy()


def unsupported_lstm(model: nn.Module) -> nn.Module:
    model.lstm = nn.LSTM(model.lstm.input_size, model.lstm.hidden_size, num_layers=2,
                         batch_first=True)
    return model


def gru_instead(model: nn.Module) -> nn.Module:
    model.lstm = nn.GRU(model.lstm.input_size, model.lstm.hidden_size, batch_first=True)
    return model


def weights(model: nn.Module) -> list[np.ndarray]:
    return [parameter.detach().numpy().copy() for parameter in model.parameters()]
