"""PyTorch Lesson 2 solutions a student might hand in: right ones in several styles, and mistakes.

The lesson's interfaces:
``LSTMCell(input_size, hidden_size)(x, (h, c)) -> (h_new, c_new)``,
``load_torch_lstm(cell, nn.LSTM)``, ``LSTM(input_size, hidden_size)(x, initial_state=None)
-> (outputs, (h_T, c_T))``, ``GRUCell(...)(x, h) -> h_new``, ``load_torch_gru(cell, nn.GRU)``,
``GRU(...)(x, initial_state=None) -> (outputs, h_T)`` and
``Classifier(vocab_size, embed_size, hidden_size, num_classes)(ids) -> logits``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

# ---------------------------------------------------------------------------------------------
# LSTM cells that are right
# ---------------------------------------------------------------------------------------------


class FusedLSTMCell(nn.Module):
    """One (E, 4H) and one (H, 4H) matrix, one bias, gates i, f, g, o split with torch.chunk."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.W = nn.Parameter(torch.randn(input_size, 4 * hidden_size) * 0.1)
        self.U = nn.Parameter(torch.randn(hidden_size, 4 * hidden_size) * 0.1)
        self.b = nn.Parameter(torch.zeros(4 * hidden_size))

    def gates(self, x, h):
        return torch.chunk(x @ self.W + h @ self.U + self.b, 4, dim=-1)

    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new


def load_fused_lstm(cell: FusedLSTMCell, lstm: nn.LSTM) -> None:
    with torch.no_grad():
        cell.W.copy_(lstm.weight_ih_l0.T)
        cell.U.copy_(lstm.weight_hh_l0.T)
        cell.b.copy_(lstm.bias_ih_l0 + lstm.bias_hh_l0)


class LinearGatesLSTMCell(nn.Module):
    """Eight nn.Linear layers, one per gate for x and for h, both with biases (PyTorch's two)."""

    GATES = ("input", "forget", "candidate", "output")

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.from_x = nn.ModuleDict({g: nn.Linear(input_size, hidden_size) for g in self.GATES})
        self.from_h = nn.ModuleDict({g: nn.Linear(hidden_size, hidden_size) for g in self.GATES})

    def forward(self, x, state):
        h, c = state
        pre = {g: self.from_x[g](x) + self.from_h[g](h) for g in self.GATES}
        c = torch.sigmoid(pre["forget"]) * c + torch.sigmoid(pre["input"]) * pre["candidate"].tanh()
        return torch.sigmoid(pre["output"]) * c.tanh(), c


def load_linear_gates_lstm(cell: LinearGatesLSTMCell, lstm: nn.LSTM) -> None:
    h = lstm.hidden_size
    with torch.no_grad():
        for k, gate in enumerate(LinearGatesLSTMCell.GATES):  # PyTorch's order i, f, g, o
            rows = slice(k * h, (k + 1) * h)
            cell.from_x[gate].weight.copy_(lstm.weight_ih_l0[rows])
            cell.from_x[gate].bias.copy_(lstm.bias_ih_l0[rows])
            cell.from_h[gate].weight.copy_(lstm.weight_hh_l0[rows])
            cell.from_h[gate].bias.copy_(lstm.bias_hh_l0[rows])


class KerasLayoutLSTMCell(nn.Module):
    """Keras' layout: one matrix over concat([x, h]), gates i, f, c, o, taken by slicing."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.kernel = nn.Parameter(torch.randn(input_size + hidden_size, 4 * hidden_size) * 0.1)
        self.bias = nn.Parameter(torch.zeros(4 * hidden_size))

    def forward(self, x, state):
        h, c = state
        n = self.hidden_size
        z = torch.cat([x, h], dim=1) @ self.kernel + self.bias
        i, f = torch.sigmoid(z[:, :n]), torch.sigmoid(z[:, n : 2 * n])
        candidate, o = torch.tanh(z[:, 2 * n : 3 * n]), torch.sigmoid(z[:, 3 * n :])
        c_new = f * c + i * candidate
        return o * torch.tanh(c_new), c_new


def load_keras_layout_lstm(cell: KerasLayoutLSTMCell, lstm: nn.LSTM) -> None:
    with torch.no_grad():
        weight = torch.cat([lstm.weight_ih_l0, lstm.weight_hh_l0], dim=1).T  # (E + H, 4H)
        cell.kernel.copy_(weight)
        cell.bias.copy_(lstm.bias_ih_l0 + lstm.bias_hh_l0)


def load_fused_lstm_by_state_dict(cell: FusedLSTMCell, lstm: nn.LSTM) -> None:
    """Replaces the parameters through load_state_dict, with t() and clone()."""
    cell.load_state_dict({
        "W": lstm.weight_ih_l0.detach().t().clone(),
        "U": lstm.weight_hh_l0.detach().t().clone(),
        "b": (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().clone(),
    })


# ---------------------------------------------------------------------------------------------
# LSTM cells and loaders with classic mistakes
# ---------------------------------------------------------------------------------------------


class GateOrderLSTMCell(FusedLSTMCell):
    """Reads the chunks as i, f, o, g while the loader copies PyTorch's i, f, g, o."""

    def forward(self, x, state):
        h, c = state
        i, f, o, g = self.gates(x, h)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new


class TanhInputGateLSTMCell(FusedLSTMCell):
    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = torch.sigmoid(f) * c + torch.tanh(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new


class TanhForgetGateLSTMCell(FusedLSTMCell):
    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = torch.tanh(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new


class SigmoidCandidateLSTMCell(FusedLSTMCell):
    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.sigmoid(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new


class CNotCarriedLSTMCell(FusedLSTMCell):
    """Forgets the old c: c_new = i·g."""

    def forward(self, x, state):
        h, _ = state
        i, f, g, o = self.gates(x, h)
        c_new = torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new


class OldCLSTMCell(FusedLSTMCell):
    """Computes h from the old c."""

    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c_new


class NoForgetGateLSTMCell(FusedLSTMCell):
    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h)
        c_new = c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new


class DetachedCLSTMCell(FusedLSTMCell):
    """Right values, but no gradient reaches the old c."""

    def forward(self, x, state):
        h, c = state
        return super().forward(x, (h, c.detach()))


def load_fused_lstm_reordered(cell: GateOrderLSTMCell, lstm: nn.LSTM) -> None:
    """The cell's own order i, f, o, g, filled from PyTorch's i, f, g, o: right."""
    i, f, g, o = range(4)
    h = lstm.hidden_size
    with torch.no_grad():
        for name, source in (("W", lstm.weight_ih_l0.T), ("U", lstm.weight_hh_l0.T),
                             ("b", lstm.bias_ih_l0 + lstm.bias_hh_l0)):
            blocks = [source[..., k * h : (k + 1) * h] for k in (i, f, o, g)]
            getattr(cell, name).copy_(torch.cat(blocks, dim=-1))


class SwappedOutputLSTMCell(FusedLSTMCell):
    """Returns (c_new, h_new)."""

    def forward(self, x, state):
        h, c = super().forward(x, state)
        return c, h


class HOnlyLSTMCell(FusedLSTMCell):
    def forward(self, x, state):
        return super().forward(x, state)[0]


class MissingBiasLSTMCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.W = nn.Parameter(torch.randn(input_size, 4 * hidden_size) * 0.1)
        self.U = nn.Parameter(torch.randn(hidden_size, 4 * hidden_size) * 0.1)

    def forward(self, x, state):
        h, c = state
        i, f, g, o = torch.chunk(x @ self.W + h @ self.U, 4, dim=-1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new


class BuiltinLSTMCell(nn.Module):
    """Right numbers, computed by nn.LSTMCell, which the exercise forbids."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.inner = nn.LSTMCell(input_size, hidden_size)

    def forward(self, x, state):
        return self.inner(x, state)


def load_lstm_swapping_i_and_f(cell: FusedLSTMCell, lstm: nn.LSTM) -> None:
    """Takes the gates in the order f, i, g, o."""
    h = lstm.hidden_size
    order = [1, 0, 2, 3]
    with torch.no_grad():
        for name, source in (("W", lstm.weight_ih_l0.T), ("U", lstm.weight_hh_l0.T),
                             ("b", lstm.bias_ih_l0 + lstm.bias_hh_l0)):
            blocks = [source[..., k * h : (k + 1) * h] for k in order]
            getattr(cell, name).copy_(torch.cat(blocks, dim=-1))


def load_lstm_without_bias_hh(cell: FusedLSTMCell, lstm: nn.LSTM) -> None:
    with torch.no_grad():
        cell.W.copy_(lstm.weight_ih_l0.T)
        cell.U.copy_(lstm.weight_hh_l0.T)
        cell.b.copy_(lstm.bias_ih_l0)


def load_lstm_reshaped(cell: FusedLSTMCell, lstm: nn.LSTM) -> None:
    """reshape instead of a transpose: the shapes fit, the numbers do not."""
    with torch.no_grad():
        cell.W.copy_(lstm.weight_ih_l0.reshape(cell.W.shape))
        cell.U.copy_(lstm.weight_hh_l0.reshape(cell.U.shape))
        cell.b.copy_(lstm.bias_ih_l0 + lstm.bias_hh_l0)


def load_lstm_without_transpose(cell: FusedLSTMCell, lstm: nn.LSTM) -> None:
    with torch.no_grad():
        cell.W.copy_(lstm.weight_ih_l0)  # (4H, E) into (E, 4H): raises


def load_lstm_nothing(cell: nn.Module, lstm: nn.LSTM) -> None:
    pass


def load_lstm_unsolved(cell: nn.Module, lstm: nn.LSTM) -> None:
    raise NotImplementedError()


# ---------------------------------------------------------------------------------------------
# LSTM layers
# ---------------------------------------------------------------------------------------------


class LoopLSTM(nn.Module):
    """A for loop over steps, new_zeros for the initial state, torch.stack at the end."""

    cell_class: type[nn.Module] = FusedLSTMCell

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = self.cell_class(input_size, hidden_size)

    def start(self, x, initial_state):
        if initial_state is None:
            zeros = x.new_zeros(x.shape[0], self.hidden_size)
            return zeros, zeros
        return initial_state

    def forward(self, x, initial_state=None):
        h, c = self.start(x, initial_state)
        outputs = []
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
            outputs.append(h)
        return torch.stack(outputs, dim=1), (h, c)


class UnbindLSTM(LoopLSTM):
    """torch.unbind over time and a state tuple carried whole."""

    cell_class = LinearGatesLSTMCell

    def forward(self, x, initial_state=None):
        state = self.start(x, initial_state)
        outputs = []
        for step in torch.unbind(x, dim=1):
            state = self.cell(step, state)
            outputs.append(state[0])
        return torch.stack(outputs, 1), state


class IgnoresInitialStateLSTM(LoopLSTM):
    def forward(self, x, initial_state=None):
        return super().forward(x)


class CNotCarriedLSTM(LoopLSTM):
    """Passes a fresh zero c to every step."""

    def forward(self, x, initial_state=None):
        h, c = self.start(x, initial_state)
        outputs = []
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c if t == 0 else torch.zeros_like(c)))
            outputs.append(h)
        return torch.stack(outputs, dim=1), (h, c)


class DetachedStateLSTM(LoopLSTM):
    """Truncates backpropagation: detaches (h, c) between steps."""

    def forward(self, x, initial_state=None):
        state = self.start(x, initial_state)
        outputs = []
        for t in range(x.shape[1]):
            if t > 0:
                state = (state[0].detach(), state[1].detach())
            state = self.cell(x[:, t], state)
            outputs.append(state[0])
        return torch.stack(outputs, dim=1), state


class SwappedFinalLSTM(LoopLSTM):
    def forward(self, x, initial_state=None):
        outputs, (h, c) = super().forward(x, initial_state)
        return outputs, (c, h)


class FinalHOnlyLSTM(LoopLSTM):
    def forward(self, x, initial_state=None):
        outputs, (h, _) = super().forward(x, initial_state)
        return outputs, h


class NoCellLSTM(nn.Module):
    """Right, but the cell is stored under another name."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.lstm_cell = FusedLSTMCell(input_size, hidden_size)
        self.hidden_size = hidden_size

    def forward(self, x, initial_state=None):
        zeros = x.new_zeros(x.shape[0], self.hidden_size)
        h, c = (zeros, zeros) if initial_state is None else initial_state
        outputs = []
        for t in range(x.shape[1]):
            h, c = self.lstm_cell(x[:, t], (h, c))
            outputs.append(h)
        return torch.stack(outputs, dim=1), (h, c)


class BuiltinCellLSTM(LoopLSTM):
    """Loops over nn.LSTMCell: the numbers are right, the exercise asks for its own cell."""

    cell_class = nn.LSTMCell


class FloatZerosLSTM(LoopLSTM):
    """Starts from torch.zeros(..., dtype=torch.float32): right in float32 training."""

    def start(self, x, initial_state):
        if initial_state is None:
            zeros = torch.zeros(x.shape[0], self.hidden_size, dtype=torch.float32)
            return zeros, zeros
        return initial_state

    def forward(self, x, initial_state=None):
        return super().forward(x.float(), initial_state)


# ---------------------------------------------------------------------------------------------
# GRU cells that are right
# ---------------------------------------------------------------------------------------------


class FusedGRUCell(nn.Module):
    """W (E, 3H), U (H, 3H) and two biases, gates r, z, n taken by slicing."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.W = nn.Parameter(torch.randn(input_size, 3 * hidden_size) * 0.1)
        self.U = nn.Parameter(torch.randn(hidden_size, 3 * hidden_size) * 0.1)
        self.b_x = nn.Parameter(torch.zeros(3 * hidden_size))
        self.b_h = nn.Parameter(torch.zeros(3 * hidden_size))

    def parts(self, x, h):
        n = self.hidden_size
        gx, gh = x @ self.W + self.b_x, h @ self.U + self.b_h
        return [(gx[:, k * n : (k + 1) * n], gh[:, k * n : (k + 1) * n]) for k in range(3)]

    def forward(self, x, h):
        (xr, hr), (xz, hz), (xn, hn) = self.parts(x, h)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h


def load_fused_gru(cell: FusedGRUCell, gru: nn.GRU) -> None:
    with torch.no_grad():
        cell.W.copy_(gru.weight_ih_l0.T)
        cell.U.copy_(gru.weight_hh_l0.T)
        cell.b_x.copy_(gru.bias_ih_l0)
        cell.b_h.copy_(gru.bias_hh_l0)


class SeparateGatesGRUCell(nn.Module):
    """One matrix per gate, r's and z's biases merged (4 biases of size H in all)."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()

        def matrix(rows):
            return nn.Parameter(torch.randn(rows, hidden_size) * 0.1)

        self.W_r, self.W_z, self.W_n = matrix(input_size), matrix(input_size), matrix(input_size)
        self.U_r, self.U_z, self.U_n = (matrix(hidden_size), matrix(hidden_size),
                                        matrix(hidden_size))
        self.b_r = nn.Parameter(torch.zeros(hidden_size))
        self.b_z = nn.Parameter(torch.zeros(hidden_size))
        self.b_in = nn.Parameter(torch.zeros(hidden_size))
        self.b_hn = nn.Parameter(torch.zeros(hidden_size))

    def forward(self, x, h):
        r = torch.sigmoid(x @ self.W_r + h @ self.U_r + self.b_r)
        z = torch.sigmoid(x @ self.W_z + h @ self.U_z + self.b_z)
        n = torch.tanh(x @ self.W_n + self.b_in + r * (h @ self.U_n + self.b_hn))
        return torch.lerp(n, h, z)  # (1 - z)·n + z·h


def load_separate_gates_gru(cell: SeparateGatesGRUCell, gru: nn.GRU) -> None:
    wx = gru.weight_ih_l0.T.chunk(3, dim=1)
    wh = gru.weight_hh_l0.T.chunk(3, dim=1)
    bx, bh = gru.bias_ih_l0.chunk(3), gru.bias_hh_l0.chunk(3)
    with torch.no_grad():
        for k, gate in enumerate("rzn"):
            getattr(cell, f"W_{gate}").copy_(wx[k])
            getattr(cell, f"U_{gate}").copy_(wh[k])
        cell.b_r.copy_(bx[0] + bh[0])
        cell.b_z.copy_(bx[1] + bh[1])
        cell.b_in.copy_(bx[2])
        cell.b_hn.copy_(bh[2])


class LinearGRUCell(nn.Module):
    """Two nn.Linear layers in PyTorch's own layout, split with torch.chunk."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.x_to_gates = nn.Linear(input_size, 3 * hidden_size)
        self.h_to_gates = nn.Linear(hidden_size, 3 * hidden_size)

    def forward(self, x, h):
        xr, xz, xn = self.x_to_gates(x).chunk(3, dim=-1)
        hr, hz, hn = self.h_to_gates(h).chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h


def load_linear_gru(cell: LinearGRUCell, gru: nn.GRU) -> None:
    cell.x_to_gates.load_state_dict({"weight": gru.weight_ih_l0, "bias": gru.bias_ih_l0})
    cell.h_to_gates.load_state_dict({"weight": gru.weight_hh_l0, "bias": gru.bias_hh_l0})


# ---------------------------------------------------------------------------------------------
# GRU cells and loaders with classic mistakes
# ---------------------------------------------------------------------------------------------


class SwappedZGRUCell(FusedGRUCell):
    """z and 1 - z swapped: h_new = z·n + (1 - z)·h."""

    def forward(self, x, h):
        (xr, hr), (xz, hz), (xn, hn) = self.parts(x, h)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return z * n + (1 - z) * h


class ResetBeforeMatmulGRUCell(FusedGRUCell):
    """Keras' reset_after=False: the reset gate multiplies h before the matrix."""

    def forward(self, x, h):
        n_ = self.hidden_size
        (xr, hr), (xz, hz), _ = self.parts(x, h)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        xn = (x @ self.W + self.b_x)[:, 2 * n_ :]
        n = torch.tanh(xn + (r * h) @ self.U[:, 2 * n_ :] + self.b_h[2 * n_ :])
        return (1 - z) * n + z * h


class TanhUpdateGateGRUCell(FusedGRUCell):
    def forward(self, x, h):
        (xr, hr), (xz, hz), (xn, hn) = self.parts(x, h)
        r, z = torch.sigmoid(xr + hr), torch.tanh(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h


class DetachedGRUCell(FusedGRUCell):
    def forward(self, x, h):
        return super().forward(x, h.detach())


def load_gru_swapping_r_and_z(cell: FusedGRUCell, gru: nn.GRU) -> None:
    h = gru.hidden_size
    order = [1, 0, 2]
    with torch.no_grad():
        for name, source in (("W", gru.weight_ih_l0.T), ("U", gru.weight_hh_l0.T),
                             ("b_x", gru.bias_ih_l0), ("b_h", gru.bias_hh_l0)):
            blocks = [source[..., k * h : (k + 1) * h] for k in order]
            getattr(cell, name).copy_(torch.cat(blocks, dim=-1))


def load_gru_merging_all_biases(cell: FusedGRUCell, gru: nn.GRU) -> None:
    """Adds bias_hh_l0 to bias_ih_l0, as for an LSTM: wrong for n's recurrent bias."""
    with torch.no_grad():
        cell.W.copy_(gru.weight_ih_l0.T)
        cell.U.copy_(gru.weight_hh_l0.T)
        cell.b_x.copy_(gru.bias_ih_l0 + gru.bias_hh_l0)
        cell.b_h.zero_()


# ---------------------------------------------------------------------------------------------
# GRU layers
# ---------------------------------------------------------------------------------------------


class LoopGRU(nn.Module):
    cell_class: type[nn.Module] = FusedGRUCell

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.cell = self.cell_class(input_size, hidden_size)

    def forward(self, x, initial_state=None):
        h = x.new_zeros(x.shape[0], self.hidden_size) if initial_state is None else initial_state
        outputs = []
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h)
            outputs.append(h)
        return torch.stack(outputs, dim=1), h


class PreallocatedGRU(LoopGRU):
    """Writes every step into a preallocated tensor (out-of-place, so autograd is happy)."""

    cell_class = SeparateGatesGRUCell

    def forward(self, x, initial_state=None):
        batch, steps, _ = x.shape
        h = initial_state if initial_state is not None else x.new_zeros(batch, self.hidden_size)
        outputs = x.new_zeros(batch, steps, self.hidden_size)
        for t in range(steps):
            h = self.cell(x[:, t], h)
            outputs = outputs.index_copy(1, torch.tensor([t]), h[:, None])
        return outputs, h


class IgnoresInitialStateGRU(LoopGRU):
    def forward(self, x, initial_state=None):
        return super().forward(x)


class DetachedStateGRU(LoopGRU):
    def forward(self, x, initial_state=None):
        h = x.new_zeros(x.shape[0], self.hidden_size) if initial_state is None else initial_state
        outputs = []
        for t in range(x.shape[1]):
            h = self.cell(x[:, t], h if t == 0 else h.detach())
            outputs.append(h)
        return torch.stack(outputs, dim=1), h


# ---------------------------------------------------------------------------------------------
# Classifiers on the built-in nn.LSTM (allowed in Lesson 2)
# ---------------------------------------------------------------------------------------------


class PackedClassifier(nn.Module):
    """Embedding → packed nn.LSTM → h_n → Linear: ignores padding."""

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=0)
        self.lstm = nn.LSTM(embed_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, ids):
        lengths = (ids != 0).sum(dim=1).cpu()
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True,
                                      enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return self.head(h_n[-1])


class GatherLastClassifier(PackedClassifier):
    """No packing, but reads the outputs at position length - 1: also ignores padding."""

    def forward(self, ids):
        outputs, _ = self.lstm(self.embedding(ids))
        lengths = (ids != 0).sum(dim=1)
        return self.head(outputs[torch.arange(ids.shape[0]), lengths - 1])


class SoftmaxPackedClassifier(PackedClassifier):
    def forward(self, ids):
        return torch.softmax(super().forward(ids), dim=-1)


class UnpackedClassifier(PackedClassifier):
    """nn.LSTM on the padded batch, h_n read after the padding."""

    def forward(self, ids):
        _, (h_n, _) = self.lstm(self.embedding(ids))
        return self.head(h_n[-1])


class LastPaddedStepClassifier(PackedClassifier):
    def forward(self, ids):
        outputs, _ = self.lstm(self.embedding(ids))
        return self.head(outputs[:, -1])


class PackedSortedClassifier(PackedClassifier):
    """Packs with enforce_sorted=True: fails on unsorted batches with PyTorch's RuntimeError."""

    def forward(self, ids):
        lengths = (ids != 0).sum(dim=1).cpu()
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True)
        _, (h_n, _) = self.lstm(packed)
        return self.head(h_n[-1])


class UnusedLayerPackedClassifier(PackedClassifier):
    def __init__(self, vocab_size, embed_size, hidden_size, num_classes):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes)
        self.spare = nn.Linear(hidden_size, num_classes)


class KindClassifier(PackedClassifier):
    """The lesson's RecurrentClassifier: the built-in layer that ``kind`` names, packed."""

    LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

    def __init__(self, vocab_size, embed_size, hidden_size, num_classes, kind="lstm"):
        super().__init__(vocab_size, embed_size, hidden_size, num_classes)
        self.lstm = self.build_recurrent(kind, embed_size, hidden_size)

    def build_recurrent(self, kind, embed_size, hidden_size):
        return self.LAYERS[kind](embed_size, hidden_size, batch_first=True)

    def forward(self, ids):
        lengths = (ids != 0).sum(dim=1).cpu()
        packed = pack_padded_sequence(self.embedding(ids), lengths, batch_first=True,
                                      enforce_sorted=False)
        _, final = self.lstm(packed)
        h = final[0] if isinstance(final, tuple) else final
        return self.head(h[-1])


class IgnoresKindClassifier(KindClassifier):
    """Always an LSTM, whatever ``kind`` says."""

    def build_recurrent(self, kind, embed_size, hidden_size):
        return nn.LSTM(embed_size, hidden_size, batch_first=True)
