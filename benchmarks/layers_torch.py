"""PyTorch variants of the layer benchmark (see :mod:`benchmarks.layers`).

The loops below restate the solution cells' formulas (same parameter names and gate order
as ``solutions/``) in a form TorchScript can compile. ``W`` given means "project the input
inside the loop, step by step" as the solutions do; ``W=None`` means the input was
projected for all steps before the loop (hoisted). The loops walk ``x.unbind(1)`` rather
than ``x[:, t]``: once ``x`` needs a gradient (hoisted), each slice's backward would write a
full-size zero tensor, which costs more than the hoisting saves.
"""

from collections.abc import Callable

import torch
from torch import Tensor, nn

from benchmarks import HarnessError
from benchmarks.solutions import Exercise
from rnncourse.pytorch import compile_loop
from rnncourse.speed import TOLERANCE

Calls = dict[str, Callable[[], Tensor]]

NOTES = [
    "compiled = TorchScript (torch.jit.script) of the loop; torch.compile would unroll a "
    "200-step loop and compile for minutes, and compiling one step only was slower still",
    "builtin = torch.nn.RNN (tanh) / LSTM / GRU, batch_first, eager",
]
BUILTIN: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
#: The solution cells' parameters the optimised variants read, per kind.
PARAMETERS: dict[str, tuple[str, ...]] = {
    "rnn": ("W", "H", "b"), "lstm": ("W", "H", "b"), "gru": ("W", "H", "b_x", "b_h")}

_device = torch.device("cpu")


def rnn_loop(x: Tensor, H: Tensor, h: Tensor, W: Tensor | None = None,
             b: Tensor | None = None) -> Tensor:
    """tanh(x_t W + h H + b) over every step; returns all states (batch, steps, hidden)."""
    outputs: list[Tensor] = []
    for x_t in x.unbind(1):
        if W is not None and b is not None:
            x_t = x_t @ W + b
        h = torch.tanh(x_t + h @ H)
        outputs.append(h)
    return torch.stack(outputs, 1)


def lstm_loop(x: Tensor, H: Tensor, h: Tensor, c: Tensor, W: Tensor | None = None,
              b: Tensor | None = None) -> Tensor:
    """The solution's LSTM step (gates i, f, g, o side by side) over every step."""
    outputs: list[Tensor] = []
    for x_t in x.unbind(1):
        if W is not None and b is not None:
            x_t = x_t @ W + b
        i, f, g, o = (x_t + h @ H).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs, 1)


def gru_loop(x: Tensor, H: Tensor, b_h: Tensor, h: Tensor, W: Tensor | None = None,
             b_x: Tensor | None = None) -> Tensor:
    """The solution's GRU step (gates r, z, n; biases apart) over every step."""
    outputs: list[Tensor] = []
    for x_t in x.unbind(1):
        if W is not None and b_x is not None:
            x_t = x_t @ W + b_x
        x_r, x_z, x_n = x_t.chunk(3, 1)
        h_r, h_z, h_n = (h @ H + b_h).chunk(3, 1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs, 1)


# TorchScript, not torch.compile, which would unroll a 200-step loop (see compile_loop).
SCRIPTED = {"rnn": compile_loop(rnn_loop), "lstm": compile_loop(lstm_loop),
            "gru": compile_loop(gru_loop)}
EAGER = {"rnn": rnn_loop, "lstm": lstm_loop, "gru": gru_loop}


class UnrolledCell(nn.Module):
    """A solution cell run over every step, as the lessons' layer exercises do it."""

    def __init__(self, cell: type, input_size: int, hidden_size: int, kind: str) -> None:
        super().__init__()
        self.cell, self.hidden_size, self.kind = cell(input_size, hidden_size), hidden_size, kind

    def forward(self, x: Tensor) -> tuple[Tensor, object]:
        """x: (batch, steps, input) -> (outputs (batch, steps, hidden), final state)."""
        zeros = x.new_zeros(x.shape[0], self.hidden_size)
        state = (zeros, zeros) if self.kind == "lstm" else zeros
        outputs = []
        for t in range(x.shape[1]):
            state = self.cell(x[:, t], state)
            outputs.append(state[0] if self.kind == "lstm" else state)
        return torch.stack(outputs, dim=1), state


def setup() -> str:
    """Pick the device as the lessons do; returns its description."""
    global _device
    from rnncourse.pytorch import pick_device

    _device = pick_device(verbose=False)
    if _device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return f"cpu ({torch.get_num_threads()} threads)"


def version() -> str:
    """The PyTorch version."""
    return torch.__version__


def _sync() -> None:
    if _device.type == "cuda":
        torch.cuda.synchronize()


def _weights(exercise: Exercise, cell: nn.Module) -> dict[str, Tensor]:
    missing = [name for name in PARAMETERS[exercise.kind] if not hasattr(cell, name)]
    if missing:
        raise HarnessError(
            f"The solution's {type(cell).__name__} has no {missing[0]!r}; the optimised "
            f"variants read its parameters {', '.join(PARAMETERS[exercise.kind])}.")
    return {name: getattr(cell, name) for name in PARAMETERS[exercise.kind]}


def _optimised(kind: str, loop: Callable, x: Tensor, w: dict[str, Tensor], hidden: int,
               hoisted: bool) -> Callable[[], Tensor]:
    def forward() -> Tensor:
        h = x.new_zeros(x.shape[0], hidden)
        if kind == "gru":
            if hoisted:
                return loop(x @ w["W"] + w["b_x"], w["H"], w["b_h"], h)
            return loop(x, w["H"], w["b_h"], h, w["W"], w["b_x"])
        state = (h, h) if kind == "lstm" else (h,)
        if hoisted:
            return loop(x @ w["W"] + w["b"], w["H"], *state)
        return loop(x, w["H"], *state, w["W"], w["b"])
    return forward


def variants(exercise: Exercise, batch: int, steps: int, input_size: int,
             hidden: int) -> tuple[Calls, Calls]:
    """(forwards, steps): per variant, a forward pass, and a forward plus backward pass."""
    kind = exercise.kind
    torch.manual_seed(0)
    builtin = BUILTIN[kind](input_size, hidden, batch_first=True).to(_device)
    if exercise.layer is not None:
        scratch = exercise.layer(input_size, hidden).to(_device)
    else:
        scratch = UnrolledCell(exercise.cell, input_size, hidden, kind).to(_device)
    x = torch.randn(batch, steps, input_size, device=_device)
    w = _weights(exercise, scratch.cell)
    with torch.no_grad():  # the solutions start with zero biases, which would hide bias errors
        for name in PARAMETERS[kind][2:]:
            w[name].uniform_(-0.1, 0.1)
    forwards = {
        "builtin": lambda: builtin(x)[0],
        "scratch": lambda: scratch(x)[0],
        "hoisted": _optimised(kind, EAGER[kind], x, w, hidden, hoisted=True),
        "compiled": _optimised(kind, SCRIPTED[kind], x, w, hidden, hoisted=False),
        "hoisted+compiled": _optimised(kind, SCRIPTED[kind], x, w, hidden, hoisted=True),
    }
    parameters = {"builtin": list(builtin.parameters()), "scratch": list(scratch.parameters())}

    def step(forward: Callable[[], Tensor], weights: list[Tensor]) -> Callable[[], Tensor]:
        def run() -> Tensor:
            grads = torch.autograd.grad(forward().sum(), weights)
            _sync()
            return grads[0]
        return run

    return forwards, {name: step(forward, parameters.get(name, list(w.values())))
                      for name, forward in forwards.items()}


@torch.no_grad()
def differences(forwards: Calls) -> dict[str, float]:
    """Largest absolute difference of each optimised variant's outputs from the solution's."""
    reference = forwards["scratch"]()
    found = {name: (forward() - reference).abs().max().item()
             for name, forward in forwards.items() if name not in ("builtin", "scratch")}
    found["scratch"] = 0.0
    for name, difference in found.items():
        if not difference <= TOLERANCE:
            raise HarnessError(f"The {name} variant's outputs differ from the solution layer's "
                               f"by {difference:.1e}: it does not compute the same thing.")
    return found
