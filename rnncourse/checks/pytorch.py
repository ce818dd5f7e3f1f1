"""Checks for the PyTorch lessons: what the notebooks' test cells call.

Each public ``check_*`` function raises :class:`~rnncourse.errors.CheckFailed` with one
sentence when the student's code differs from PyTorch's own layers, and prints one
line when it passes. ``thorough=True`` runs the hidden tests' larger set of cases.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnncourse.checks import rnn as neutral
from rnncourse.checks.backend import (
    CellRun,
    DeepRun,
    GatedLayerRun,
    GatedRun,
    LayerRecord,
    LayerRecorder,
    LayerRun,
    ModelRun,
    nested_arrays,
)
from rnncourse.checks.compare import joined
from rnncourse.checks.deep import DeepLessonChecks
from rnncourse.checks.gated import GatedLessonChecks, float32_exact
from rnncourse.checks.lesson import LessonChecks
from rnncourse.errors import CheckFailed
from rnncourse.i18n import N_, _
from rnncourse.pytorch import Recurrent


@contextlib.contextmanager
def _default_dtype(dtype: torch.dtype) -> Iterator[None]:
    # Tensors the student creates without a dtype (torch.zeros(...)) get the check's dtype too.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def _numpy(value: Any, what: str) -> np.ndarray:
    if isinstance(value, tuple) and hasattr(value, "values") and hasattr(value, "indices"):
        # torch.max(x, dim) and x.max(dim) return a (values, indices) named tuple.
        raise CheckFailed(_("{what} returned the (values, indices) pair that max(dim=...) "
                            "gives; return its .values (or use amax).").format(what=what),
                          mistake="max-pair")
    if not torch.is_tensor(value):
        raise CheckFailed(_("{what} returned a {type}; it should return a tensor.").format(
            what=what, type=type(value).__name__), mistake="not-a-tensor")
    return value.detach().to("cpu", torch.float64).numpy()


class TorchBackend:
    """Runs students' ``nn.Module`` classes in float64 (or float32) for the neutral checks."""

    framework = "PyTorch"
    reference_cell_name = "torch.nn.RNNCell"
    reference_layer_name = "torch.nn.RNN"
    # Hints are marked for the catalog here and translated where a message shows them.
    parameter_hint = N_(
        "Create W, H and b in __init__ as torch.nn.Parameter so PyTorch can train them."
    )
    grad_hint = N_(
        "Compute every step with torch operations on the tensors themselves (no .detach(), "
        ".data, .numpy(), .item() or torch.no_grad()) and use every parameter."
    )
    integer_cast_text = "lengths.to(outputs.dtype)"
    parameter_word = N_("parameter")
    loading_hint = N_(
        "nn.RNN stores weight_ih_l0 as (hidden, input), the transpose of W, likewise "
        "weight_hh_l0, and it has two biases (bias_ih_l0 and bias_hh_l0) that both add to b."
    )

    def __init__(self, dtype: torch.dtype = torch.float64, tolerance: float = 1e-8) -> None:
        self.dtype = dtype
        self.tolerance = tolerance

    def _tensor(self, array: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
        return torch.tensor(array, dtype=self.dtype, requires_grad=requires_grad)

    def build(self, cls: type, *args: Any) -> nn.Module:
        with _default_dtype(self.dtype):
            module = cls(*args)
        if not isinstance(module, nn.Module):
            raise CheckFailed(_("{name} must be a subclass of {base}.").format(
                name=cls.__name__, base="torch.nn.Module"), mistake="wrong-base-class")
        return module.to(self.dtype)

    def parameter_sizes(self, module: nn.Module) -> dict[str, int]:
        return {n: p.numel() for n, p in module.named_parameters() if p.requires_grad}

    def fill_parameters(self, module: nn.Module,
                        make: Callable[[tuple[int, ...]], np.ndarray]) -> None:
        with torch.no_grad():
            for _, p in module.named_parameters():
                if p.requires_grad:
                    p.copy_(torch.as_tensor(make(tuple(p.shape)), dtype=p.dtype))

    def _backward(self, module: nn.Module, pairs: list[tuple[torch.Tensor, np.ndarray]],
                  what: str) -> dict[str, np.ndarray | None]:
        module.zero_grad(set_to_none=True)
        loss = sum((out * self._tensor(g)).sum() for out, g in pairs)
        if not loss.requires_grad:
            raise CheckFailed(_("No gradient flows through your {what}.").format(what=_(what))
                              + f" {_(self.grad_hint)}", mistake="no-gradient")
        loss.backward()
        return {
            n: None if p.grad is None else p.grad.detach().to(torch.float64).numpy().copy()
            for n, p in module.named_parameters() if p.requires_grad
        }

    def run_cell(self, cell: nn.Module, x: np.ndarray, state: np.ndarray,
                 grad_output: np.ndarray | None = None) -> CellRun:
        want = grad_output is not None
        xt, st = self._tensor(x, want), self._tensor(state, want)
        with _default_dtype(self.dtype):
            out = cell(xt, st)
        run = CellRun(_numpy(out, "RNNCell.forward"))
        if want:
            run.grad_params = self._backward(cell, [(out, grad_output)], "RNNCell")
            run.grad_x = _grad(xt)
            run.grad_state = _grad(st)
        return run

    def run_layer(self, layer: nn.Module, x: np.ndarray, initial_state: np.ndarray | None,
                  grad_outputs: np.ndarray | None = None,
                  grad_final: np.ndarray | None = None) -> LayerRun:
        want = grad_outputs is not None
        xt = self._tensor(x, want)
        st = None if initial_state is None else self._tensor(initial_state, want)
        with _default_dtype(self.dtype):
            result = layer(xt) if st is None else layer(xt, initial_state=st)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise CheckFailed(_("Your RNN's {method} should return a pair (outputs, "
                                "final_state).").format(method="forward"),
                              mistake="wrong-return-structure")
        outputs, final = result
        run = LayerRun(_numpy(outputs, "RNN.forward (outputs)"),
                       _numpy(final, "RNN.forward (final)"))
        if want:
            run.grad_params = self._backward(
                layer, [(outputs, grad_outputs), (final, grad_final)], "RNN layer")
            run.grad_x = _grad(xt)
            run.grad_state = None if st is None else _grad(st)
        return run

    def run_classifier(self, model: nn.Module, ids: np.ndarray,
                       grad_output: np.ndarray | None = None) -> ModelRun:
        with _default_dtype(self.dtype):
            logits = model(torch.as_tensor(ids, dtype=torch.long))
        run = ModelRun(_numpy(logits, "The classifier's forward"))
        if grad_output is not None:
            run.grad_params = self._backward(model, [(logits, grad_output)], "classifier")
        return run

    def _reference_rnn(self, w: np.ndarray, h: np.ndarray, b: np.ndarray) -> nn.RNN:
        layer = nn.RNN(w.shape[0], w.shape[1], batch_first=True, dtype=self.dtype)
        with torch.no_grad():
            layer.weight_ih_l0.copy_(self._tensor(w.T))
            layer.weight_hh_l0.copy_(self._tensor(h.T))
            layer.bias_ih_l0.copy_(self._tensor(b))
            layer.bias_hh_l0.zero_()
        return layer

    def reference_cell(self, w: np.ndarray, h: np.ndarray, b: np.ndarray, x: np.ndarray,
                       state: np.ndarray, grad_output: np.ndarray | None) -> CellRun:
        cell = nn.RNNCell(w.shape[0], w.shape[1], dtype=self.dtype)
        with torch.no_grad():
            cell.weight_ih.copy_(self._tensor(w.T))
            cell.weight_hh.copy_(self._tensor(h.T))
            cell.bias_ih.copy_(self._tensor(b))
            cell.bias_hh.zero_()
        want = grad_output is not None
        xt, st = self._tensor(x, want), self._tensor(state, want)
        out = cell(xt, st)
        run = CellRun(_numpy(out, "nn.RNNCell"))
        if want:
            (out * self._tensor(grad_output)).sum().backward()
            run.grad_x, run.grad_state = _grad(xt), _grad(st)
        return run

    def reference_layer(self, w: np.ndarray, h: np.ndarray, b: np.ndarray, x: np.ndarray,
                        initial_state: np.ndarray | None, grad_outputs: np.ndarray | None,
                        grad_final: np.ndarray | None) -> LayerRun:
        layer = self._reference_rnn(w, h, b)
        want = grad_outputs is not None
        xt = self._tensor(x, want)
        s0 = np.zeros((x.shape[0], w.shape[1])) if initial_state is None else initial_state
        st = self._tensor(s0, want)
        outputs, final = layer(xt, st[None])
        final = final[0]
        run = LayerRun(_numpy(outputs, "nn.RNN"), _numpy(final, "nn.RNN"))
        if want:
            loss = ((outputs * self._tensor(grad_outputs)).sum()
                    + (final * self._tensor(grad_final)).sum())
            loss.backward()
            run.grad_x, run.grad_state = _grad(xt), _grad(st)
        return run

    def reference_gradients(self, w: np.ndarray, h: np.ndarray, b: np.ndarray, x: np.ndarray,
                            initial_state: np.ndarray, grad_outputs: np.ndarray
                            ) -> dict[str, np.ndarray]:
        layer = self._reference_rnn(w, h, b)
        xt, st = self._tensor(x, True), self._tensor(initial_state, True)
        outputs, _final = layer(xt, st[None])
        (outputs * self._tensor(grad_outputs)).sum().backward()
        # nn.RNN computes x Wᵀ: its matrices are the transposes of W and H.
        return {"X": _grad(xt), "S0": _grad(st), "W": _grad(layer.weight_ih_l0).T,
                "H": _grad(layer.weight_hh_l0).T, "b": _grad(layer.bias_ih_l0)}

    def random_reference_layer(self, input_size: int, hidden_size: int,
                               rng: np.random.Generator) -> nn.RNN:
        layer = nn.RNN(input_size, hidden_size, batch_first=True, dtype=self.dtype)
        bound = 1 / np.sqrt(hidden_size)  # PyTorch's own initialisation range
        with torch.no_grad():
            for p in layer.parameters():
                p.copy_(self._tensor(rng.uniform(-bound, bound, size=tuple(p.shape))))
        return layer

    def run_reference_object(self, layer: nn.RNN, x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return _numpy(layer(self._tensor(x))[0], "nn.RNN")

    def assert_no_builtin_rnn(self, model: nn.Module, what: str) -> None:
        for name, module in model.named_modules():
            if isinstance(module, (nn.RNNBase, nn.RNNCellBase)):
                raise CheckFailed(_(
                    "Your {what} uses PyTorch's {layer} ({name}); the exercise asks you to "
                    "build it from your own code, without built-in recurrent layers."
                ).format(what=_(what), layer=type(module).__name__, name=repr(name)),
                                  mistake="builtin-layer")

    def recurrent_kinds(self, model: nn.Module) -> dict[str, str]:
        """The built-in recurrent layers ``model`` holds: kind -> the framework's class name."""
        found = {}
        for module in model.modules():
            for kind, layer in (("rnn", nn.RNN), ("lstm", nn.LSTM), ("gru", nn.GRU)):
                if isinstance(module, layer):
                    found.setdefault(kind, f"torch.nn.{layer.__name__}")
        return found

    # Lesson 2: gated cells (LSTM and GRU) ----------------------------------------------------

    @property
    def is_fallback(self) -> bool:
        return self.dtype != torch.float64

    gated_reference_names = {"lstm": "torch.nn.LSTM", "gru": "torch.nn.GRU"}
    gate_names = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
    gated_loading_hints = {
        "lstm": N_("nn.LSTM stacks its gates in the order i, f, g, o: weight_ih_l0 is "
                   "(4·hidden, input), the transpose of an (input, 4·hidden) W, weight_hh_l0 is "
                   "(4·hidden, hidden), and both biases, bias_ih_l0 and bias_hh_l0, add to every "
                   "gate."),
        "gru": N_("nn.GRU stacks its gates in the order r, z, n: weight_ih_l0 is (3·hidden, "
                  "input), the transpose of an (input, 3·hidden) W, weight_hh_l0 is (3·hidden, "
                  "hidden), and of its two biases the n part of bias_hh_l0 stays inside "
                  "r·(h·W_hn + b_hn)."),
    }
    gated_parameter_hint = N_(
        "Create its weights in __init__ as torch.nn.Parameter (or nn.Linear layers) so PyTorch "
        "can train them."
    )
    padding_hint = N_(
        "Pack the embedded batch with nn.utils.rnn.pack_padded_sequence(x, lengths, "
        "batch_first=True, enforce_sorted=False), lengths being each sequence's number of "
        "non-zero ids, so that the LSTM's h_n is the state at each sequence's last real token."
    )

    def random_gated_layer(self, kind: str, input_size: int, hidden_size: int,
                           rng: np.random.Generator) -> nn.LSTM | nn.GRU:
        layer_class = nn.LSTM if kind == "lstm" else nn.GRU
        layer = layer_class(input_size, hidden_size, batch_first=True, dtype=self.dtype)
        bound = 1 / np.sqrt(hidden_size)  # PyTorch's own initialisation range, biases included
        with torch.no_grad():
            for p in layer.parameters():
                p.copy_(self._tensor(float32_exact(rng.uniform(-bound, bound, size=p.shape))))
        return layer

    def with_gates_swapped(self, layer: nn.LSTM | nn.GRU, kind: str, first: int,
                           second: int) -> nn.LSTM | nn.GRU:
        swapped = copy.deepcopy(layer)
        with torch.no_grad():
            for p in swapped.parameters():  # each stacks its gates along dimension 0
                blocks = list(p.chunk(len(self.gate_names[kind]), dim=0))
                blocks[first], blocks[second] = blocks[second], blocks[first]
                p.copy_(torch.cat(blocks, dim=0))
        return swapped

    def run_gated_reference(self, layer: nn.LSTM | nn.GRU, kind: str, x: np.ndarray,
                            state: tuple[np.ndarray, ...],
                            grads: tuple[np.ndarray, ...] | None = None) -> GatedRun:
        want = grads is not None
        xt = self._tensor(x, want)
        st = [self._tensor(s, want) for s in state]
        current = tuple(s[None] for s in st)  # nn.LSTM/nn.GRU states carry a layer axis
        tensors = []
        with torch.set_grad_enabled(want):
            for t in range(x.shape[1]):
                _, new = layer(xt[:, t : t + 1], current if kind == "lstm" else current[0])
                current = tuple(new) if kind == "lstm" else (new,)
                tensors.append(tuple(v[0] for v in current))
        name = self.gated_reference_names[kind]
        run = GatedRun([tuple(_numpy(v, name) for v in step) for step in tensors])
        if want:
            layer.zero_grad(set_to_none=True)
            self._gated_loss(tensors, grads).backward()
            run.grad_x, run.grad_state = _grad(xt), tuple(_grad(s) for s in st)
        return run

    def _gated_loss(self, tensors: list[tuple[torch.Tensor, ...]],
                    grads: tuple[np.ndarray, ...]) -> torch.Tensor:
        return sum((torch.stack([step[k] for step in tensors], dim=1) * self._tensor(grad)).sum()
                   for k, grad in enumerate(grads))

    @staticmethod
    def _gated_parts(result: Any, kind: str, message: str) -> tuple[Any, ...]:
        if kind != "lstm":
            return (result,)
        if not (isinstance(result, tuple | list) and len(result) == 2):
            raise CheckFailed(message, mistake="wrong-return-structure")
        return tuple(result)

    def unroll_gated_cell(self, cell: nn.Module, kind: str, what: str, x: np.ndarray,
                          state: tuple[np.ndarray, ...],
                          grads: tuple[np.ndarray, ...] | None = None) -> GatedRun:
        want = grads is not None
        xt = self._tensor(x, want)
        st = [self._tensor(s, want) for s in state]
        names = ("h_new", "c_new") if kind == "lstm" else ()
        current: tuple[Any, ...] = tuple(st)
        tensors, steps = [], []
        with _default_dtype(self.dtype):
            for t in range(x.shape[1]):
                result = cell(xt[:, t], current if kind == "lstm" else current[0])
                current = self._gated_parts(
                    result, kind, _("Your {what}'s {method} should return a pair (h_new, "
                                    "c_new).").format(what=what, method="forward"))
                tensors.append(current)
                steps.append(tuple(
                    _numpy(v, f"{what}.forward" + (f" ({names[k]})" if names else ""))
                    for k, v in enumerate(current)))
        run = GatedRun(steps)
        if want:
            pairs = [(torch.stack([step[k] for step in tensors], dim=1), grad)
                     for k, grad in enumerate(grads)]
            run.grad_params = self._backward(cell, pairs, what)
            run.grad_x, run.grad_state = _grad(xt), tuple(_grad(s) for s in st)
        return run

    def run_gated_layer(self, layer: nn.Module, kind: str, what: str, x: np.ndarray,
                        initial_state: tuple[np.ndarray, ...] | None,
                        grad_outputs: np.ndarray | None = None,
                        grad_final: tuple[np.ndarray, ...] | None = None) -> GatedLayerRun:
        want = grad_outputs is not None
        xt = self._tensor(x, want)
        st = None if initial_state is None else [self._tensor(s, want) for s in initial_state]
        with _default_dtype(self.dtype):
            if st is None:
                result = layer(xt)
            else:
                result = layer(xt, initial_state=tuple(st) if kind == "lstm" else st[0])
        final_text = "(h_T, c_T)" if kind == "lstm" else "h_T"
        pair = _("Your {what}'s {method} should return a pair (outputs, {final}).").format(
            what=what, method="forward", final=final_text)
        if not (isinstance(result, tuple | list) and len(result) == 2):
            raise CheckFailed(pair, mistake="wrong-return-structure")
        outputs, final = result
        final = self._gated_parts(final, kind, pair)
        names = ("h_T", "c_T") if kind == "lstm" else ("h_T",)
        run = GatedLayerRun(
            _numpy(outputs, f"{what}.forward (outputs)"),
            tuple(_numpy(v, f"{what}.forward ({n})") for n, v in zip(names, final, strict=True)))
        if want:
            pairs = [(outputs, grad_outputs), *zip(final, grad_final, strict=True)]
            run.grad_params = self._backward(layer, pairs, what)
            run.grad_x = _grad(xt)
            run.grad_state = None if st is None else tuple(_grad(s) for s in st)
        return run

    # Lesson 3: reading both ways and stacking -------------------------------------------------

    deep_grad_hint = N_(
        "use torch operations on the tensors themselves (indexing, flip, gather, cat, "
        "masked_fill), without .detach(), .data, .numpy(), .item() or torch.no_grad()."
    )
    stacked_attribute = "layers"
    make_layer_text = "make_layer(input_size, hidden_size)"
    eval_dropout_hint = N_(
        "use self.dropout (an nn.Dropout), which PyTorch switches off in eval mode, not "
        "F.dropout(..., training=True)."
    )
    masked_max_hint = N_(
        "fill the padding with -inf (masked_fill(~mask, float('-inf'))) first"
    )
    flip_all_text = "x.flip(1)"

    def bidirectional_reference_name(self, *kinds: str) -> str:
        names = [self.gated_reference_names.get(k, "torch.nn.RNN") for k in kinds]
        if len(kinds) == 1:
            return f"{names[0]}(bidirectional=True)"
        return _("{names} with bidirectional=True").format(names=joined(names))

    def stacked_reference_name(self, kind: str, num_layers: int, dropout: float,
                               bidirectional: bool) -> str:
        arguments = f"num_layers={num_layers}"
        if dropout > 0 and num_layers > 1:
            arguments += f", dropout={dropout:g}"
        if bidirectional:
            arguments += ", bidirectional=True"
        return f"{self.gated_reference_names.get(kind, 'torch.nn.RNN')}({arguments})"

    def stacked_summary(self, *kinds: str) -> str:
        names = [self.gated_reference_names.get(k, "torch.nn.RNN") for k in kinds]
        return _("{names} with num_layers and dropout").format(names=joined(names))

    def _lengths(self, lengths: np.ndarray) -> torch.Tensor:
        # What rnncourse.pytorch.sequence_lengths gives the notebooks: an int64 tensor.
        return torch.as_tensor(np.asarray(lengths), dtype=torch.int64)

    def run_function(self, function: Callable[..., Any], what: str, x: np.ndarray,
                     lengths: np.ndarray, grad_output: np.ndarray | None = None) -> DeepRun:
        want = grad_output is not None
        xt = self._tensor(x, want)
        with _default_dtype(self.dtype):
            result = function(xt, self._lengths(lengths))
        run = DeepRun(_numpy(result, what))
        if want and result.requires_grad and tuple(result.shape) == grad_output.shape:
            (result * self._tensor(grad_output)).sum().backward()
            run.grad_x = _grad(xt)
        return run

    def recorder(self, kind: str) -> LayerRecorder:
        recorder = LayerRecorder(kind)

        def make_layer(input_size: int, hidden_size: int) -> RecordingRecurrent:
            layer = RecordingRecurrent(input_size, hidden_size, kind, recorder)
            recorder.layers.append(layer)
            return layer

        recorder.make = make_layer
        return recorder

    def bidirectional_maker(self, bidirectional_class: type,
                            recorder: LayerRecorder) -> Callable[..., Any]:
        def make_layer(input_size: int, hidden_size: int) -> nn.Module:
            return bidirectional_class(recorder.make, input_size, hidden_size)

        return make_layer

    def build_deep(self, cls: type, make_layer: Callable[..., Any], input_size: int,
                   hidden_size: int, *args: Any, **kwargs: Any) -> nn.Module:
        # Initialising weights draws from PyTorch's generator: fork it, so that a check run
        # between seed_everything() and training changes nothing in the notebook.
        with _default_dtype(self.dtype), torch.random.fork_rng(devices=[]):
            module = cls(make_layer, input_size, hidden_size, *args, **kwargs)
        if not isinstance(module, nn.Module):
            raise CheckFailed(_("{name} must be a subclass of {base}.").format(
                name=cls.__name__, base="torch.nn.Module"), mistake="wrong-base-class")
        return module.to(self.dtype)

    def assert_no_builtin_deep(self, module: nn.Module, recorder: LayerRecorder,
                               what: str) -> None:
        own = {id(m) for layer in recorder.layers for m in layer.modules()}
        for name, sub in module.named_modules():
            if id(sub) in own or not isinstance(sub, (nn.RNNBase, nn.RNNCellBase)):
                continue
            details = [f"{name!r}"]
            if getattr(sub, "bidirectional", False):
                details.append("bidirectional=True")
            if getattr(sub, "num_layers", 1) > 1:
                details.append(f"num_layers={sub.num_layers}")
            raise CheckFailed(_(
                "Your {what} uses PyTorch's own {layer} ({details}); the exercise asks you to "
                "build it from the layers that make_layer returns, without built-in "
                "bidirectional or multi-layer recurrent layers."
            ).format(what=what, layer=type(sub).__name__, details=", ".join(details)),
                              mistake="builtin-layer")

    def run_deep(self, module: nn.Module, what: str, x: np.ndarray, lengths: np.ndarray, *,
                 training: bool, grad_outputs: np.ndarray | None = None,
                 grad_final: tuple[np.ndarray, ...] | None = None) -> DeepRun:
        want = grad_outputs is not None
        xt = self._tensor(x, want)
        module.train(training)
        # Dropout draws from PyTorch's generator: a seeded fork leaves the notebook's untouched.
        with _default_dtype(self.dtype), torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            result = module(xt, self._lengths(lengths))
        if not (isinstance(result, tuple | list) and len(result) == 2):
            raise CheckFailed(_("Your {what}'s {method} should return a pair (outputs, "
                                "{final}).").format(what=what, method="forward", final="final"),
                              mistake="wrong-return-structure")
        outputs, final = result
        run = DeepRun(_numpy(outputs, f"{what}.forward (outputs)"),
                      nested_arrays(final, f"{what}.forward (final)", _numpy))
        if want:
            # Outputs past each length may hold anything, even NaN: where() keeps them out.
            g_out = self._tensor(grad_outputs)
            loss = torch.where(g_out != 0, outputs * g_out, 0).sum() + sum(
                (part * self._tensor(g)).sum() for part, g in zip(final, grad_final, strict=True))
            if loss.requires_grad:
                loss.backward()
                run.grad_x = _grad(xt)
        return run

    def randomize_layers(self, layers: list[Any], rng: np.random.Generator) -> None:
        with torch.no_grad():
            for layer in layers:
                bound = 1 / np.sqrt(layer.hidden_size)  # PyTorch's own initialisation range
                for p in layer.rnn.parameters():
                    p.copy_(self._tensor(float32_exact(rng.uniform(-bound, bound, p.shape))))

    def deep_reference(self, kind: str, layers: list[Any], num_layers: int,
                       bidirectional: bool) -> nn.RNNBase:
        directions = 2 if bidirectional else 1
        first = layers[0]
        with torch.random.fork_rng(devices=[]):
            reference = type(first.rnn)(first.input_size, first.hidden_size,
                                        num_layers=num_layers, bidirectional=bidirectional,
                                        batch_first=True, dtype=self.dtype)
        with torch.no_grad():
            for index, layer in enumerate(layers):
                suffix = f"_l{index // directions}" + ("_reverse" if index % directions else "")
                for name, value in layer.rnn.named_parameters():
                    getattr(reference, name.replace("_l0", suffix)).copy_(value)
        return reference.eval()

    def run_deep_reference(self, reference: nn.RNNBase, x: np.ndarray, lengths: np.ndarray,
                           grad_outputs: np.ndarray | None = None,
                           grad_final: tuple[np.ndarray, ...] | None = None) -> DeepRun:
        want = grad_outputs is not None
        xt = self._tensor(x, want)
        packed = pack_padded_sequence(xt, self._lengths(lengths), batch_first=True,
                                      enforce_sorted=False)
        with torch.set_grad_enabled(want):
            packed_outputs, final = reference(packed)
            outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True,
                                             total_length=x.shape[1])
            final = final if isinstance(final, tuple) else (final,)
            # (layers·directions, batch, hidden) per part -> flat: layer, direction, part.
            flat = tuple(part[index] for index in range(final[0].shape[0]) for part in final)
        run = DeepRun(_numpy(outputs, "the reference"),
                      tuple(_numpy(part, "the reference") for part in flat))
        if want:
            loss = (outputs * self._tensor(grad_outputs)).sum() + sum(
                (part * self._tensor(g)).sum() for part, g in zip(flat, grad_final, strict=True))
            loss.backward()
            run.grad_x = _grad(xt)
        return run


class RecordingRecurrent(Recurrent):
    """The course's Recurrent layer that remembers what it received and returned last."""

    def __init__(self, input_size: int, hidden_size: int, kind: str,
                 recorder: LayerRecorder) -> None:
        super().__init__(input_size, hidden_size, kind)
        self._recorder = recorder
        self.record: LayerRecord | None = None

    def forward(self, x: torch.Tensor,
                lengths: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        if torch.is_tensor(x) and x.dim() == 3 and x.shape[-1] != self.input_size:
            raise CheckFailed(_(
                "{name} was made for inputs of {expected} features but receives {got}: {hint}."
            ).format(name=self._recorder.name(self), expected=self.input_size,
                     got=x.shape[-1], hint=_(self._recorder.size_hint)), mistake="layer-input")
        outputs, final = super().forward(x, lengths)
        self.record = LayerRecord(_numpy(x, "x"), _numpy(outputs, "Recurrent"),
                                  tuple(_numpy(part, "Recurrent") for part in final))
        return outputs, final


def _grad(t: torch.Tensor) -> np.ndarray:
    if t.grad is None:
        return np.zeros(tuple(t.shape))
    return t.grad.detach().to(torch.float64).numpy().copy()


BACKEND = TorchBackend()
#: Used only when the student's code creates float32 tensors itself (e.g. ``x.float()``).
FLOAT32_BACKEND = TorchBackend(torch.float32, tolerance=1e-4)
FLOAT32_NOTE = N_(
    "  (Checked in float32, because your code makes float32 tensors itself; create new "
    "tensors with the input's dtype, e.g. x.new_zeros(...), to keep full precision.)"
)



_CHECKS = LessonChecks(BACKEND, FLOAT32_BACKEND, FLOAT32_NOTE)
check_rnn_cell = _CHECKS.check_rnn_cell
check_rnn_layer = _CHECKS.check_rnn_layer
check_classifier = _CHECKS.check_classifier
check_weight_loading = _CHECKS.check_weight_loading
check_rnn_backward = _CHECKS.check_rnn_backward
check_accuracy = neutral.check_accuracy

_GATED = GatedLessonChecks(BACKEND, FLOAT32_BACKEND, FLOAT32_NOTE)
check_lstm_cell = _GATED.check_lstm_cell
check_lstm_layer = _GATED.check_lstm_layer
check_gru_cell = _GATED.check_gru_cell
check_gru_layer = _GATED.check_gru_layer
check_padding_invariance = _GATED.check_padding_invariance

_DEEP = DeepLessonChecks(BACKEND, FLOAT32_BACKEND, FLOAT32_NOTE)
check_reverse_padded = _DEEP.check_reverse_padded
check_bidirectional = _DEEP.check_bidirectional
check_stacked = _DEEP.check_stacked
check_pooling = _DEEP.check_pooling
