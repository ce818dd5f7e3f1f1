"""PyTorch solutions a student might hand in: right ones written differently, and classic mistakes.

Every class follows the lesson's interfaces:
``RNNCell(input_size, hidden_size)(x, state) -> new_state``,
``RNN(input_size, hidden_size)(x, initial_state=None) -> (outputs, final)`` and
``RNNClassifier(vocab_size, embed_size, hidden_size, num_classes)(ids) -> logits``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------------------------------------
# Cells that are right
# ---------------------------------------------------------------------------------------------


class PlainCell(nn.Module):
    """The lesson's layout: W (E×H), H (H×H), b (H)."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.W = nn.Parameter(torch.randn(input_size, hidden_size) * 0.1)
        self.H = nn.Parameter(torch.randn(hidden_size, hidden_size) * 0.1)
        self.b = nn.Parameter(torch.zeros(hidden_size))

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ self.W + state @ self.H + self.b)


class TorchLayoutCell(nn.Module):
    """nn.RNNCell's layout: weights stored transposed (H×E, H×H) and two biases."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        bound = hidden_size**-0.5
        self.weight_ih = nn.Parameter(torch.empty(hidden_size, input_size).uniform_(-bound, bound))
        self.weight_hh = nn.Parameter(torch.empty(hidden_size, hidden_size).uniform_(-bound, bound))
        self.bias_ih = nn.Parameter(torch.zeros(hidden_size))
        self.bias_hh = nn.Parameter(torch.zeros(hidden_size))

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        from_input = F.linear(x, self.weight_ih, self.bias_ih)
        return torch.tanh(from_input + F.linear(state, self.weight_hh, self.bias_hh))


class FusedEinsumCell(nn.Module):
    """One matrix K ((E+H)×H) applied to concat([x, s]) with einsum."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.K = nn.Parameter(torch.randn(input_size + hidden_size, hidden_size) * 0.1)
        self.bias = nn.Parameter(torch.zeros(hidden_size))

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        joined = torch.cat([x, state], dim=1)
        return torch.einsum("bi,ih->bh", joined, self.K).add(self.bias).tanh()


class LinearLayersCell(nn.Module):
    """Two nn.Linear submodules, the recurrent one without a bias."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_to_hidden = nn.Linear(input_size, hidden_size)
        self.hidden_to_hidden = nn.Linear(hidden_size, hidden_size, bias=False)

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.input_to_hidden(x) + self.hidden_to_hidden(state))


# ---------------------------------------------------------------------------------------------
# Cells with classic mistakes
# ---------------------------------------------------------------------------------------------


class NoTanhCell(PlainCell):
    def forward(self, x, state):
        return x @ self.W + state @ self.H + self.b


class ReluCell(PlainCell):
    def forward(self, x, state):
        return torch.relu(x @ self.W + state @ self.H + self.b)


class SigmoidCell(PlainCell):
    def forward(self, x, state):
        return torch.sigmoid(x @ self.W + state @ self.H + self.b)


class TanhOnInputOnlyCell(PlainCell):
    def forward(self, x, state):
        return torch.tanh(x @ self.W + self.b) + state @ self.H


class IgnoresStateCell(PlainCell):
    def forward(self, x, state):
        return torch.tanh(x @ self.W + self.b)


class IgnoresInputCell(PlainCell):
    def forward(self, x, state):
        return torch.tanh(state @ self.H + self.b)


class OffsetAfterTanhCell(PlainCell):
    def forward(self, x, state):
        return torch.tanh(x @ self.W + state @ self.H + self.b) + 0.1


class OffsetInsideTanhCell(PlainCell):
    def forward(self, x, state):
        return torch.tanh(x @ self.W + state @ self.H + self.b + 0.1)


class DetachedStateCell(PlainCell):
    def forward(self, x, state):
        return torch.tanh(x @ self.W + state.detach() @ self.H + self.b)


class NoGradCell(PlainCell):
    def forward(self, x, state):
        with torch.no_grad():
            return torch.tanh(x @ self.W + state @ self.H + self.b)


class MissingBiasCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.W = nn.Parameter(torch.randn(input_size, hidden_size) * 0.1)
        self.H = nn.Parameter(torch.randn(hidden_size, hidden_size) * 0.1)

    def forward(self, x, state):
        return torch.tanh(x @ self.W + state @ self.H)


class ExtraMatrixCell(PlainCell):
    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size)
        self.H2 = nn.Parameter(torch.randn(hidden_size, hidden_size) * 0.1)

    def forward(self, x, state):
        return torch.tanh(x @ self.W + state @ self.H + state @ self.H2 + self.b)


class UnusedBiasCell(PlainCell):
    """A second bias that is never used: the count fits nn.RNNCell's two biases."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size)
        self.b2 = nn.Parameter(torch.zeros(hidden_size))


class PlainTensorCell(nn.Module):
    """W, H and b as plain tensors: PyTorch does not see them as parameters."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.W = torch.randn(input_size, hidden_size, requires_grad=True)
        self.H = torch.randn(hidden_size, hidden_size, requires_grad=True)
        self.b = torch.zeros(hidden_size, requires_grad=True)

    def forward(self, x, state):
        return torch.tanh(x @ self.W + state @ self.H + self.b)


class TupleCell(PlainCell):
    def forward(self, x, state):
        new = torch.tanh(x @ self.W + state @ self.H + self.b)
        return new, new


class NumpyCell(PlainCell):
    def forward(self, x, state):
        return torch.tanh(x @ self.W + state @ self.H + self.b).detach().numpy()


class NotAModuleCell:
    def __init__(self, input_size, hidden_size):
        self.W = torch.randn(input_size, hidden_size)

    def __call__(self, x, state):
        return torch.tanh(x @ self.W)


class BrokenInitCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        raise ValueError("student bug in __init__")


class BrokenForwardCell(PlainCell):
    def forward(self, x, state):
        raise RuntimeError("student bug in forward")


# ---------------------------------------------------------------------------------------------
# RNN layers that are right
# ---------------------------------------------------------------------------------------------


class LoopRNN(nn.Module):
    """A for loop, torch.zeros for the initial state, torch.stack at the end."""

    cell_class: type[nn.Module] = PlainCell

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = self.cell_class(input_size, hidden_size)

    def forward(self, x: torch.Tensor, initial_state: torch.Tensor | None = None):
        state = initial_state
        if state is None:
            state = torch.zeros(x.shape[0], self.hidden_size, dtype=x.dtype)
        outputs = []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t, :], state)
            outputs.append(state)
        return torch.stack(outputs, dim=1), state


class WhileRNN(LoopRNN):
    """A while loop over unbound time steps and x.new_zeros for the initial state."""

    cell_class = TorchLayoutCell

    def forward(self, x, initial_state=None):
        state = x.new_zeros(len(x), self.hidden_size) if initial_state is None else initial_state
        steps = x.unbind(dim=1)
        outputs, t = [], 0
        while t < len(steps):
            state = self.cell(steps[t], state)
            outputs.append(state)
            t += 1
        return torch.stack(outputs, dim=1), outputs[-1]


class ComprehensionRNN(LoopRNN):
    """A list comprehension (walrus) and a zeros_like-style initial state."""

    cell_class = FusedEinsumCell

    def forward(self, x, initial_state=None):
        state = (
            torch.zeros_like(x[:, 0, :1]).repeat(1, self.hidden_size)
            if initial_state is None
            else initial_state
        )
        outputs = [state := self.cell(x[:, t], state) for t in range(x.size(1))]
        return torch.stack(outputs, dim=1), state


class PreallocatedRNN(LoopRNN):
    """Writes every state into a preallocated tensor; final is its last column."""

    cell_class = LinearLayersCell

    def forward(self, x, initial_state=None):
        batch, steps, _ = x.shape
        outputs = x.new_zeros(batch, steps, self.hidden_size)
        state = torch.zeros_like(outputs[:, 0]) if initial_state is None else initial_state
        for t in range(steps):
            state = self.cell(x[:, t], state)
            outputs[:, t] = state
        return outputs, outputs[:, -1]


# ---------------------------------------------------------------------------------------------
# RNN layers with classic mistakes
# ---------------------------------------------------------------------------------------------


class IgnoresInitialStateRNN(LoopRNN):
    def forward(self, x, initial_state=None):
        return super().forward(x)


class FirstStateAsFinalRNN(LoopRNN):
    def forward(self, x, initial_state=None):
        outputs, _ = super().forward(x, initial_state)
        return outputs, outputs[:, 0]


class ReversedTimeRNN(LoopRNN):
    def forward(self, x, initial_state=None):
        return super().forward(torch.flip(x, dims=[1]), initial_state)


class StaleStateRNN(LoopRNN):
    """Forgets to carry the state: every step starts again from the initial state."""

    def forward(self, x, initial_state=None):
        start = torch.zeros(len(x), self.hidden_size) if initial_state is None else initial_state
        outputs = [self.cell(x[:, t], start) for t in range(x.shape[1])]
        return torch.stack(outputs, dim=1), outputs[-1]


class IgnoresInputRNN(LoopRNN):
    def forward(self, x, initial_state=None):
        return super().forward(torch.zeros_like(x), initial_state)


class DetachedBetweenStepsRNN(LoopRNN):
    def forward(self, x, initial_state=None):
        state = torch.zeros(len(x), self.hidden_size) if initial_state is None else initial_state
        outputs = []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
            outputs.append(state)
            state = state.detach()
        return torch.stack(outputs, dim=1), outputs[-1]


class MissingStepRNN(LoopRNN):
    def forward(self, x, initial_state=None):
        return super().forward(x[:, :-1], initial_state) if x.shape[1] > 1 else super().forward(x)


class TimeMajorOutputsRNN(LoopRNN):
    def forward(self, x, initial_state=None):
        outputs, final = super().forward(x, initial_state)
        return outputs.transpose(0, 1), final


class LayerAxisFinalRNN(LoopRNN):
    """Returns the final state with nn.RNN's leading layer axis: (1, batch, hidden)."""

    def forward(self, x, initial_state=None):
        outputs, final = super().forward(x, initial_state)
        return outputs, final.unsqueeze(0)


class OutputsOnlyRNN(LoopRNN):
    def forward(self, x, initial_state=None):
        return super().forward(x, initial_state)[0]


class NumpyOutputsRNN(LoopRNN):
    def forward(self, x, initial_state=None):
        outputs, final = super().forward(x, initial_state)
        return outputs.detach().numpy(), final


class ExtraLayerRNN(LoopRNN):
    """Adds an output projection, so it has more parameters than one cell."""

    def __init__(self, input_size, hidden_size):
        super().__init__(input_size, hidden_size)
        self.project = nn.Linear(hidden_size, hidden_size)

    def forward(self, x, initial_state=None):
        outputs, _ = super().forward(x, initial_state)
        outputs = self.project(outputs)
        return outputs, outputs[:, -1]


# ---------------------------------------------------------------------------------------------
# Classifiers
# ---------------------------------------------------------------------------------------------


class GatherClassifier(nn.Module):
    """Embedding → own RNN → state at position length - 1 (fancy indexing) → Linear."""

    rnn_class: type[nn.Module] = LoopRNN

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.rnn = self.rnn_class(embed_size, hidden_size)
        self.head = nn.Linear(hidden_size, num_classes)

    def last_states(self, ids, outputs):
        lengths = (ids != 0).sum(dim=1)
        return outputs[torch.arange(ids.shape[0]), lengths - 1]

    def forward(self, ids):
        outputs, _ = self.rnn(self.embedding(ids))
        return self.head(self.last_states(ids, outputs))


class OneHotClassifier(GatherClassifier):
    """Picks the last real state by multiplying with one_hot(lengths - 1)."""

    rnn_class = WhileRNN

    def last_states(self, ids, outputs):
        lengths = (ids != 0).sum(dim=1)
        pick = F.one_hot(lengths - 1, num_classes=ids.shape[1]).float()  # float32 × float64 is fine
        return (outputs * pick.unsqueeze(-1)).sum(dim=1)


class TorchGatherClassifier(GatherClassifier):
    """torch.gather along the time axis."""

    rnn_class = ComprehensionRNN

    def last_states(self, ids, outputs):
        lengths = (ids != 0).long().sum(dim=1)
        index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, outputs.shape[2])
        return outputs.gather(1, index).squeeze(1)


class MaskedCarryClassifier(nn.Module):
    """Runs its own cell and carries the state unchanged through padding (mask multiplication)."""

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.cell = PlainCell(embed_size, hidden_size)
        self.head = nn.Linear(hidden_size, num_classes)
        self.hidden_size = hidden_size

    def forward(self, ids):
        x = self.embedding(ids)
        mask = (ids != 0).unsqueeze(-1).to(x.dtype)
        state = x.new_zeros(ids.shape[0], self.hidden_size)
        for t in range(ids.shape[1]):
            new = self.cell(x[:, t], state)
            state = mask[:, t] * new + (1 - mask[:, t]) * state
        return self.head(state)


class LastPaddedColumnClassifier(GatherClassifier):
    """Uses the RNN's final state, i.e. the state after the last *padded* column."""

    def forward(self, ids):
        _, final = self.rnn(self.embedding(ids))
        return self.head(final)


class SoftmaxClassifier(GatherClassifier):
    """Right positions, but returns probabilities: the hint says "before any softmax"."""

    def forward(self, ids):
        return torch.softmax(super().forward(ids), dim=-1)


class FirstTokenClassifier(GatherClassifier):
    """Reads the state at position 0, which is real in every sequence."""

    def last_states(self, ids, outputs):
        return outputs[:, 0]


class MeanOverPaddingClassifier(GatherClassifier):
    def last_states(self, ids, outputs):
        return outputs.mean(dim=1)


class MeanOverRealStepsClassifier(GatherClassifier):
    """Averages the states of the real steps (mean pooling): the lesson accepts it."""

    def last_states(self, ids, outputs):
        mask = (ids != 0).unsqueeze(-1).to(outputs.dtype)
        return (outputs * mask).sum(dim=1) / mask.sum(dim=1)


class PerStepLogitsClassifier(GatherClassifier):
    def forward(self, ids):
        outputs, _ = self.rnn(self.embedding(ids))
        return self.head(outputs)


class BuiltinRNNClassifier(GatherClassifier):
    def __init__(self, vocab_size, embed_size, hidden_size, num_classes):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes)
        self.rnn = nn.RNN(embed_size, hidden_size, batch_first=True)


class BuiltinLSTMClassifier(GatherClassifier):
    def __init__(self, vocab_size, embed_size, hidden_size, num_classes):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes)
        self.rnn = nn.LSTM(embed_size, hidden_size, batch_first=True)


class BuiltinCellClassifier(MaskedCarryClassifier):
    def __init__(self, vocab_size, embed_size, hidden_size, num_classes):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes)
        self.cell = nn.RNNCell(embed_size, hidden_size)


class UnusedParameterClassifier(GatherClassifier):
    """Creates a layer it never uses: its parameters can never be trained."""

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes)
        self.spare = nn.Linear(hidden_size, num_classes)


class DetachedEmbeddingClassifier(GatherClassifier):
    def forward(self, ids):
        outputs, _ = self.rnn(self.embedding(ids).detach())
        return self.head(self.last_states(ids, outputs))


# ---------------------------------------------------------------------------------------------
# Weight loading: load_torch_rnn(cell, nn.RNN)
# ---------------------------------------------------------------------------------------------


def load_plain(cell: PlainCell, rnn: nn.RNN) -> None:
    with torch.no_grad():
        cell.W.copy_(rnn.weight_ih_l0.T)
        cell.H.copy_(rnn.weight_hh_l0.T)
        cell.b.copy_(rnn.bias_ih_l0 + rnn.bias_hh_l0)


def load_by_new_parameters(cell: PlainCell, rnn: nn.RNN) -> None:
    """Replaces the parameters instead of copying into them."""
    cell.W = nn.Parameter(rnn.weight_ih_l0.detach().t().clone())
    cell.H = nn.Parameter(rnn.weight_hh_l0.detach().t().clone())
    cell.b = nn.Parameter((rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().clone())


def load_torch_layout(cell: TorchLayoutCell, rnn: nn.RNN) -> None:
    cell.load_state_dict({
        "weight_ih": rnn.weight_ih_l0, "weight_hh": rnn.weight_hh_l0,
        "bias_ih": rnn.bias_ih_l0, "bias_hh": rnn.bias_hh_l0,
    })


def load_fused(cell: FusedEinsumCell, rnn: nn.RNN) -> None:
    with torch.no_grad():
        cell.K.copy_(torch.cat([rnn.weight_ih_l0, rnn.weight_hh_l0], dim=1).T)
        cell.bias.copy_(rnn.bias_ih_l0 + rnn.bias_hh_l0)


def load_without_transpose(cell: PlainCell, rnn: nn.RNN) -> None:
    with torch.no_grad():
        cell.W.copy_(rnn.weight_ih_l0)
        cell.H.copy_(rnn.weight_hh_l0)
        cell.b.copy_(rnn.bias_ih_l0 + rnn.bias_hh_l0)


def load_without_bias_hh(cell: PlainCell, rnn: nn.RNN) -> None:
    with torch.no_grad():
        cell.W.copy_(rnn.weight_ih_l0.T)
        cell.H.copy_(rnn.weight_hh_l0.T)
        cell.b.copy_(rnn.bias_ih_l0)


def load_swapped(cell: PlainCell, rnn: nn.RNN) -> None:
    with torch.no_grad():
        cell.W.copy_(rnn.weight_hh_l0.T)
        cell.H.copy_(rnn.weight_ih_l0.T)
        cell.b.copy_(rnn.bias_ih_l0 + rnn.bias_hh_l0)


def load_nothing(cell: PlainCell, rnn: nn.RNN) -> None:
    pass


# ---------------------------------------------------------------------------------------------
# Right in float32 training, but hard-code float32 (see the xfail test)
# ---------------------------------------------------------------------------------------------


class FloatCastRNN(LoopRNN):
    """Casts its input with x.float(), harmless when everything is float32."""

    def forward(self, x, initial_state=None):
        return super().forward(x.float(), initial_state)
