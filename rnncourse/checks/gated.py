"""Checks for Lesson 2 (LSTM and GRU), written once for both frameworks.

A framework ``GatedBackend`` (see :mod:`rnncourse.checks.backend`) builds the student's
modules in float64, runs them on NumPy inputs and returns NumPy states and gradients;
everything here is NumPy.

The checks never assume how a student lays out the gates. Three things are compared:

* a value that needs no layout: with every parameter zero, every gate is sigmoid(0) = 0.5
  and every candidate tanh(0) = 0, so an LSTM gives c_new = 0.5·c and
  h_new = 0.5·tanh(0.5·c), a GRU h_new = 0.5·h; this alone names a missing forget gate,
  a C that is not carried, an H computed from the old C or a tanh/sigmoid swap;
* the student's cell, loaded from a random framework layer by the student's own loading
  function, unrolled here step by step from a random (h0, c0), against the framework
  layer: H and C at every step, and the gradients with respect to x, h0 and c0;
* the student's layer (its own loop over ``layer.cell``) against the framework layer.

``check_padding_invariance`` checks a classifier built on the framework's own LSTM
(packing in PyTorch, masking in Keras): a sequence's logits must not depend on padding.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnncourse.checks import rnn as neutral
from rnncourse.checks.backend import GatedBackend
from rnncourse.checks.compare import assert_close, assert_shape, joined, relative_error
from rnncourse.checks.lesson import THOROUGH_SIZES, PrecisionChecks
from rnncourse.errors import CheckFailed
from rnncourse.i18n import N_, _

State = tuple[np.ndarray, ...]


@dataclass(frozen=True)
class GatedKind:
    """What differs between an LSTM and a GRU, for the checks and their messages."""

    kind: str  # "lstm" or "gru": what the backends are told
    cell: str  # the student's class names, as the lesson spells them
    layer: str
    gates: int  # weight blocks: 4 for an LSTM (i, f, g, o), 3 for a GRU (r, z, n)
    parts: tuple[str, ...]  # the parts of the state, as messages name them
    words: tuple[str, ...]  # the same, in words
    initial: tuple[str, ...]  # the initial state's parts, for gradient messages
    state_text: str  # the state as the student passes it
    #: For each part: what it must be with every parameter zero, and why.
    zero_references: tuple[str, ...]
    zero_hints: tuple[str, ...]

    def zero_parameter_state(self, state: State) -> State:
        """The new state of a right cell with every parameter zero."""
        if self.kind == "lstm":
            _, c = state
            return (0.5 * np.tanh(0.5 * c), 0.5 * c)
        return (0.5 * state[0],)


LSTM = GatedKind(
    kind="lstm", cell="LSTMCell", layer="LSTM", gates=4, parts=("H", "C"),
    words=(N_("hidden state H"), N_("cell state C")), initial=("h0", "c0"),
    state_text="(h, c)", zero_references=("0.5·tanh(0.5·c)", "0.5·c"),
    zero_hints=(
        N_("With every gate at sigmoid(0) = 0.5, c_new is 0.5·c and h_new = o·tanh(c_new) must "
           "be 0.5·tanh(0.5·c): sigmoid on the output gate, times tanh of the new c (not the "
           "old one)."),
        N_("With every gate at sigmoid(0) = 0.5 and the candidate g = tanh(0) = 0, "
           "c_new = f·c + i·g must be 0.5·c: sigmoid on the gates, tanh on the candidate, and "
           "the old c carried through the forget gate."),
    ),
)
GRU = GatedKind(
    kind="gru", cell="GRUCell", layer="GRU", gates=3, parts=("H",), words=(N_("state H"),),
    initial=("h0",), state_text="h", zero_references=("0.5·h",),
    zero_hints=(
        N_("With r = z = sigmoid(0) = 0.5 and n = tanh(0 + r·0) = 0, h_new = (1 - z)·n + z·h "
           "must be 0.5·h: sigmoid on r and z, tanh on n."),
    ),
)

#: (batch, length, from a random initial state?) cases; the thorough ones cover batch 1,
#: length 1, long sequences, and both zero and random initial states, in few steps.
QUICK_CELL_CASES = ((2, 5, True),)
THOROUGH_CELL_CASES = ((1, 1, False), (3, 1, True), (1, 6, True), (4, 9, False), (2, 30, True))
QUICK_LAYER_CASES = ((2, 5, False), (2, 5, True))
THOROUGH_LAYER_CASES = ((1, 1, False), (1, 1, True), (1, 6, True), (3, 1, False), (4, 9, False),
                        (2, 30, True))
PADDING_QUICK = (((5, 2, 7), (7, 12)),)
#: The tf.function run of the padding check builds one kind: enough to show untraceable code.
TRACED_PADDING = {"kinds": ("lstm",)}
PADDING_THOROUGH = (((5, 2, 7), (7, 12)), ((1, 9, 3, 4), (9, 10, 16)), ((4,), (5, 9)),
                    ((1,), (1, 3)))


def float32_exact(values: np.ndarray) -> np.ndarray:
    """``values`` rounded to float32 and back: a loader that goes through float32 loses nothing.

    The reference layers get such weights, so a loader that copies them through float32
    arrays or constants (harmless in training) still reproduces the layer to 1e-8 in float64.
    """
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def _close(backend: GatedBackend, *args: Any, **kwargs: Any) -> None:
    """``assert_close`` at the backend's tolerance (float64 or, as a fallback, float32)."""
    assert_close(*args, tol=backend.tolerance, **kwargs)


def _function_name(function: Any) -> str:
    return getattr(function, "__name__", None) or _("your loading function")


def _check_parameter_count(backend: GatedBackend, gk: GatedKind, module: Any, what: str,
                           e: int, h: int) -> None:
    """Every gate needs an input matrix, a recurrent matrix and one or two biases."""
    sizes = backend.parameter_sizes(module)
    if not sizes:
        raise CheckFailed(_("Your {what} has no trainable parameters.").format(what=_(what))
                          + f" {_(backend.gated_parameter_hint)}",
                          mistake="unregistered-parameters")
    count = sum(sizes.values())
    weights = gk.gates * h * (e + h)
    biases = count - weights
    if biases % h == 0 and gk.gates <= biases // h <= 2 * gk.gates:
        return
    listed = ", ".join(f"{name} {size}" for name, size in sizes.items())
    raise CheckFailed(_(
        "Your {what} with input size {e} and hidden size {h} has {count} parameters ({listed}), "
        "but {gates} gates with an input matrix ({e}×{h}), a recurrent matrix ({h}×{h}) and a "
        "bias ({h}) each make {one_bias} ({two_biases} with separate input and recurrent biases)."
    ).format(what=_(what), e=e, h=h, count=count, listed=listed, gates=gk.gates,
             one_bias=weights + gk.gates * h, two_biases=weights + 2 * gk.gates * h),
                      mistake="parameter-count")


def _zero_state(gk: GatedKind, batch: int, h: int) -> State:
    return tuple(np.zeros((batch, h)) for _part in gk.parts)


def _random_state(rng: np.random.Generator, gk: GatedKind, batch: int, h: int,
                  random: bool = True) -> State:
    """A random (h, c) or (h,), or zeros when ``random`` is False."""
    if not random:
        return _zero_state(gk, batch, h)
    # h stays in (-1, 1) like an output of tanh; c may grow beyond.
    return tuple(rng.uniform(-1, 1, size=(batch, h)) * (1 if k == 0 else 2)
                 for k in range(len(gk.parts)))


def _check_cell_shapes(backend: GatedBackend, gk: GatedKind, cell: Any, e: int, h: int) -> None:
    run = backend.unroll_gated_cell(cell, gk.kind, gk.cell, np.zeros((2, 1, e)),
                                    _zero_state(gk, 2, h))
    for part, value in zip(gk.parts, run.steps[0], strict=True):
        assert_shape(_("The new {part} of your {cell} for a batch of 2").format(
                         part=part.lower(), cell=gk.cell), value, (2, h),
                     hint=N_("It should hold one row of hidden_size values per example."))


def _all_close(backend: GatedBackend, got: State, expected: State) -> bool:
    return all(np.shape(g) == np.shape(x) and bool(np.all(np.isfinite(g)))
               and relative_error(np.asarray(g), x) <= backend.tolerance
               for g, x in zip(got, expected, strict=True))


def _is_swapped(backend: GatedBackend, got: State, expected: State) -> bool:
    """True for an LSTM state returned as (c, h): each part is the other one expected."""
    return len(got) == 2 and len(expected) == 2 and _all_close(backend, got,
                                                                 tuple(reversed(expected)))


def _fail_if_cell_swaps(backend: GatedBackend, gk: GatedKind, got: State,
                        expected: State) -> None:
    if _is_swapped(backend, got, expected):
        raise CheckFailed(_(
            "Your {cell} returns (c_new, h_new): its first value is the expected C and its "
            "second the expected H; return (h_new, c_new), h first."
        ).format(cell=gk.cell), mistake="state-order")


def _fail_if_gates_swapped(backend: GatedBackend, gk: GatedKind, got: State, expected: State,
                           layer: Any, x: np.ndarray, state: State, what: str,
                           load_name: str) -> None:
    """Name two gates whose weights the cell and its loader use in each other's place.

    ``got`` may hold the first parts only (a layer's outputs are its H). Called when the
    states differ: if they match the framework's layer with two of its gates'
    weights traded, that is the mistake, whether the loader or the cell put them there.
    """
    if _all_close(backend, got, expected[:len(got)]):
        return
    names = backend.gate_names[gk.kind]
    for first in range(len(names)):
        for second in range(first + 1, len(names)):
            swapped = backend.with_gates_swapped(layer, gk.kind, first, second)
            run = backend.run_gated_reference(swapped, gk.kind, x, state)
            if _all_close(backend, got, run.stacked()[:len(got)]):
                raise CheckFailed(_(
                    "Your {what}, loaded by {name}, computes {reference} with its {first} and "
                    "{second} gates swapped: between your loader and your cell, each of the "
                    "two gates gets the other's weights; {reference} stacks its gates in the "
                    "order {order}."
                ).format(what=what, name=load_name, reference=backend.gated_reference_names[
                    gk.kind], first=names[first], second=names[second],
                    order=", ".join(names)), mistake="gate-order")


def _check_zero_parameters(backend: GatedBackend, gk: GatedKind, cell: Any, e: int, h: int,
                           rng: np.random.Generator) -> None:
    """The known value with every parameter zero (see the module's docstring)."""
    backend.fill_parameters(cell, np.zeros)
    state = _random_state(rng, gk, 3, h)
    got = backend.unroll_gated_cell(cell, gk.kind, gk.cell, rng.normal(size=(3, 1, e)),
                                    state).steps[0]
    expected = gk.zero_parameter_state(state)
    _fail_if_cell_swaps(backend, gk, got, expected)
    # C first: H is computed from it, so a wrong C makes H wrong too.
    for k in reversed(range(len(gk.parts))):
        _close(backend, _("With every parameter set to zero, the new {part} of your "
                          "{cell}").format(part=gk.parts[k], cell=gk.cell),
               got[k], expected[k], reference=gk.zero_references[k],
               axes=("example", "unit"), hint=gk.zero_hints[k])


def _load(backend: GatedBackend, gk: GatedKind, load_function: Callable[[Any, Any], Any],
          target: Any, owner: Any, reference_layer: Any, rng: np.random.Generator) -> None:
    """Scramble ``owner``'s parameters, then let the student load ``reference_layer``."""
    # Unloaded weights keep these random values, so they cannot pass by luck.
    backend.fill_parameters(owner, lambda shape: rng.uniform(-2, 2, size=shape))
    try:
        load_function(target, reference_layer)
    except (CheckFailed, NotImplementedError):
        raise
    except Exception as error:  # the student's own error, shown with the layout hint
        if not backend.is_fallback and neutral.looks_like_precision_mix(error):
            raise  # e.g. a float32 constant assigned in float64: retried in float32
        raise CheckFailed(_("{name} raised {error_type} ({error}); {hint}").format(
            name=_function_name(load_function), error_type=type(error).__name__,
            error=neutral.error_summary(error),
            hint=_(backend.gated_loading_hints[gk.kind])), mistake="loading-error") from error


def _first_bad_step(got: np.ndarray, expected: np.ndarray, tol: float) -> float:
    """The first step (axis 1) where ``got`` leaves ``expected``; inf when none does."""
    if got.shape != expected.shape:
        return -1.0
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-12)
    per_step = np.abs(got - expected).reshape(got.shape[0], got.shape[1], -1).max(axis=(0, 2))
    bad = np.nonzero(~(per_step / scale <= tol))[0]  # NaN counts as bad
    return float(bad[0]) if bad.size else float("inf")


def _compare_steps(backend: GatedBackend, gk: GatedKind, got: State, expected: State,
                   name: Callable[[int], str], reference: str, hint: str) -> None:
    """Compare every part of the state at every step, naming the part that goes wrong first.

    On a tie C is named: H at the same step is computed from it.
    """
    firsts = [_first_bad_step(g, x, backend.tolerance) for g, x in zip(got, expected, strict=True)]
    for k in sorted(range(len(got)), key=lambda k: (firsts[k], -k)):
        _close(backend, name(k), got[k], expected[k], reference=reference,
               axes=("sequence", "step", "unit"), step_axis=1, hint=hint)


def _case(batch: int, steps: int, with_state: bool, e: int | None = None,
          h: int | None = None) -> str:
    """The case in words: the cell's (unrolled by the check) with sizes, the layer's without."""
    if e is None:
        case = (_("batch {batch}, length {steps}, with an initial state") if with_state
                else _("batch {batch}, length {steps}, without an initial state"))
        return case.format(batch=batch, steps=steps)
    case = (_("batch {batch}, length {steps}, input {e}, hidden {h}, from a random initial "
              "state") if with_state else
            _("batch {batch}, length {steps}, input {e}, hidden {h}, from a zero initial state"))
    return case.format(batch=batch, steps=steps, e=e, h=h)


def check_gated_cell(
    backend: GatedBackend,
    gk: GatedKind,
    cell_class: type,
    load_function: Callable[[Any, Any], Any],
    *,
    sizes: Sequence[tuple[int, int]] = ((3, 4),),
    cases: Sequence[tuple[int, int, bool]] = QUICK_CELL_CASES,
    gradients: bool = True,
    seed: int = 0,
) -> None:
    """Check a student's LSTM/GRU cell and loading function against the framework's layer.

    ``sizes`` are (input size, hidden size) pairs; ``cases`` are (batch, length, random initial
    state?) triples: the check unrolls the cell itself from zeros or from a random state.
    """
    rng = np.random.default_rng(seed)
    what = gk.cell
    reference = backend.gated_reference_names[gk.kind]
    load_name = _function_name(load_function)
    hint = _("Check your {what}'s gate formulas, and that it and {name} put each gate's weights "
             "in the same place; {hint}").format(what=what, name=load_name,
                                                 hint=_(backend.gated_loading_hints[gk.kind]))
    for e, h in sizes:
        cell = backend.build(cell_class, e, h)
        _check_cell_shapes(backend, gk, cell, e, h)
        _check_parameter_count(backend, gk, cell, what, e, h)
        backend.assert_no_builtin_rnn(cell, what)
        _check_zero_parameters(backend, gk, cell, e, h, rng)

        layer = backend.random_gated_layer(gk.kind, e, h, rng)
        _load(backend, gk, load_function, cell, cell, layer, rng)
        tracker = neutral._GradientTracker()
        for batch, steps, with_state in cases:
            x = rng.normal(size=(batch, steps, e))
            state = _random_state(rng, gk, batch, h, with_state)
            grads = (tuple(rng.normal(size=(batch, steps, h)) for _part in gk.parts)
                     if gradients else None)
            got = backend.unroll_gated_cell(cell, gk.kind, what, x, state, grads)
            ref = backend.run_gated_reference(layer, gk.kind, x, state, grads)
            case = _case(batch, steps, with_state, e, h)
            _fail_if_cell_swaps(backend, gk, got.stacked(), ref.stacked())
            _fail_if_gates_swapped(backend, gk, got.stacked(), ref.stacked(), layer, x, state,
                                   what, load_name)
            _compare_steps(
                backend, gk, got.stacked(), ref.stacked(),
                lambda k, c=case: _("After {name}, the {part} of your {what} ({case})").format(
                    name=load_name, part=_(gk.words[k]), what=what, case=c),
                reference, hint)
            if gradients:
                _close(backend, _("The gradient with respect to x ({case})").format(case=case),
                       got.grad_x, ref.grad_x, reference=reference,
                       axes=("sequence", "step", "feature"), step_axis=1, hint=backend.grad_hint)
                for part, g_got, g_ref in zip(gk.initial, got.grad_state, ref.grad_state,
                                              strict=True):
                    _close(backend, _("The gradient with respect to {part} ({case})").format(
                               part=part, case=case), g_got,
                           g_ref, reference=reference, axes=("sequence", "unit"),
                           hint=backend.grad_hint)
                tracker.add(got.grad_params)
        if gradients:
            tracker.check(backend, what)


def check_gated_layer(
    backend: GatedBackend,
    gk: GatedKind,
    layer_class: type,
    load_function: Callable[[Any, Any], Any],
    *,
    sizes: Sequence[tuple[int, int]] = ((3, 4),),
    cases: Sequence[tuple[int, int, bool]] = QUICK_LAYER_CASES,
    gradients: bool = True,
    seed: int = 0,
) -> None:
    """Check a student's LSTM/GRU layer, loaded through ``layer.cell``, against the framework's.

    ``cases`` are (batch, length, with initial_state?) triples; without, the layer starts from
    zeros.
    """
    rng = np.random.default_rng(seed)
    what = _("{layer} layer").format(layer=gk.layer)
    reference = backend.gated_reference_names[gk.kind]
    final_hint = _("The final {state} is the state after the last step.").format(
        state=gk.state_text)
    for e, h in sizes:
        layer = backend.build(layer_class, e, h)
        first = backend.run_gated_layer(layer, gk.kind, gk.layer, np.zeros((2, 3, e)), None)
        assert_shape(_("The outputs of your {layer} for a batch of 2 sequences of length "
                       "3").format(layer=gk.layer),
                     first.outputs, (2, 3, h), hint=N_("They should hold the new h after every "
                                                       "step: (batch, steps, hidden_size)."),
                     plural=True)
        for part, value in zip(gk.parts, first.final, strict=True):
            assert_shape(_("The final {part} of your {layer} for a batch of 2").format(
                part=part.lower(), layer=gk.layer), value, (2, h))
        _check_parameter_count(backend, gk, layer, what, e, h)
        backend.assert_no_builtin_rnn(layer, what)
        cell = getattr(layer, "cell", None)
        if cell is None:
            raise CheckFailed(_(
                "Your {layer} has no attribute cell: create its {cell} in __init__ as self.cell, "
                "so that {name} can load it."
            ).format(layer=gk.layer, cell=gk.cell, name=_function_name(load_function)),
                              mistake="no-cell-attribute")
        reference_layer = backend.random_gated_layer(gk.kind, e, h, rng)
        _load(backend, gk, load_function, cell, layer, reference_layer, rng)

        tracker = neutral._GradientTracker()
        for batch, steps, with_state in cases:
            x = rng.normal(size=(batch, steps, e))
            state = _random_state(rng, gk, batch, h, with_state)
            g_out = rng.normal(size=(batch, steps, h)) if gradients else None
            g_fin = (tuple(rng.normal(size=(batch, h)) for _part in gk.parts)
                     if gradients else None)
            got = backend.run_gated_layer(layer, gk.kind, gk.layer, x,
                                          state if with_state else None, g_out, g_fin)
            ref_grads = None
            if gradients:
                # The same loss, spread over the reference's steps: outputs feed H at
                # every step, the final state the last step's H and C.
                ref_grads = tuple(np.zeros((batch, steps, h)) for _part in gk.parts)
                ref_grads[0][:] = g_out
                for k in range(len(gk.parts)):
                    ref_grads[k][:, -1] += g_fin[k]
            ref = backend.run_gated_reference(reference_layer, gk.kind, x, state, ref_grads)
            expected = ref.stacked()
            case = _case(batch, steps, with_state)
            try:
                steps_hint = (
                    _("Each step must pass the previous {state} to self.cell, the first step "
                      "starting from initial_state. Run check_{kind}_cell first if it has not "
                      "passed.") if with_state else
                    _("Each step must pass the previous {state} to self.cell, starting from "
                      "zeros. Run check_{kind}_cell first if it has not passed."))
                _close(backend, _("Your {layer}'s outputs ({case})").format(
                           layer=gk.layer, case=case), got.outputs,
                       expected[0], reference=reference, axes=("sequence", "step", "unit"),
                       step_axis=1, hint=steps_hint.format(state=gk.state_text, kind=gk.kind),
                       plural=True)
            except CheckFailed:
                if with_state:
                    _check_initial_state_used(backend, gk, got, reference_layer, x)
                _fail_if_gates_swapped(backend, gk, (got.outputs,), expected, reference_layer,
                                       x, state, what, _function_name(load_function))
                raise
            if _is_swapped(backend, got.final, tuple(part[:, -1] for part in expected)):
                raise CheckFailed(_(
                    "Your {layer} returns its final state as (c_T, h_T): its first value is the "
                    "expected C and its second the expected H; return (outputs, (h_T, c_T)), h "
                    "first."
                ).format(layer=gk.layer), mistake="state-order")
            for k, part in enumerate(gk.parts):
                _close(backend, _("Your {layer}'s final {part} ({case})").format(
                           layer=gk.layer, part=part, case=case), got.final[k],
                       expected[k][:, -1], reference=reference, axes=("sequence", "unit"),
                       hint=final_hint)
            if gradients:
                _close(backend, _("The gradient with respect to x ({case})").format(case=case),
                       got.grad_x, ref.grad_x, reference=reference,
                       axes=("sequence", "step", "feature"), step_axis=1, hint=backend.grad_hint)
                if with_state:
                    for k, part in enumerate(gk.initial):
                        _close(backend, _("The gradient with respect to initial_state's {part} "
                                          "({case})").format(part=part, case=case),
                               got.grad_state[k], ref.grad_state[k],
                               reference=reference, axes=("sequence", "unit"),
                               hint=backend.grad_hint)
                tracker.add(got.grad_params)
        if gradients:
            tracker.check(backend, what)


def _check_initial_state_used(backend: GatedBackend, gk: GatedKind, got: Any,
                              reference_layer: Any, x: np.ndarray) -> None:
    """Name the mistake when wrong outputs are exactly those of a zero initial state."""
    zero = _zero_state(gk, x.shape[0], got.outputs.shape[-1])
    from_zero = backend.run_gated_reference(reference_layer, gk.kind, x, zero).stacked()[0]
    if (got.outputs.shape == from_zero.shape
            and relative_error(got.outputs, from_zero) <= backend.tolerance):
        raise CheckFailed(_(
            "Your {layer} ignores initial_state: its outputs are those of a zero initial state; "
            "start the first step from the {state} passed as initial_state."
        ).format(layer=gk.layer, state=gk.state_text), mistake="ignores-initial-state")


def _padded_ids(rng: np.random.Generator, lengths: Sequence[int], vocab_size: int) -> np.ndarray:
    ids = np.zeros((len(lengths), max(lengths)), dtype=np.int64)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(1, vocab_size, size=length)
    return ids


def check_padding_invariance(
    backend: GatedBackend,
    model_class: type,
    *,
    batches: Sequence[tuple[Sequence[int], Sequence[int]]] = PADDING_QUICK,
    gradients: bool = True,
    seed: int = 0,
    vocab_size: int = 30,
    embed_size: int = 5,
    hidden_size: int = 6,
    num_classes: int = 4,
    kinds: Sequence[str] = ("lstm", "gru"),
) -> None:
    """A classifier's logits for a sequence must not change with the padding around it.

    ``batches`` are (lengths, widths) pairs: sequences of those lengths, padded with 0 to each
    width, compared with each sequence alone. Built-in recurrent layers are allowed here. A
    class whose constructor takes ``kind`` is checked with each of ``kinds``, and must then hold
    the built-in layer of that kind.
    """
    if "kind" not in _parameters(model_class):
        _check_padding_of(backend, backend.build(model_class, vocab_size, embed_size,
                                                 hidden_size, num_classes),
                          batches, gradients, seed, vocab_size, num_classes)
        return
    for kind in kinds:
        model = backend.build(model_class, vocab_size, embed_size, hidden_size, num_classes,
                              kind)
        found = backend.recurrent_kinds(model)
        if found and kind not in found:
            expected = (backend.gated_reference_names.get(kind)
                        or backend.reference_layer_name)
            raise CheckFailed(_(
                "Your {name} built with kind=\"{kind}\" holds {found} and no {expected}: build "
                "the recurrent layer that kind names (for example self.LAYERS[kind])."
            ).format(name=getattr(model_class, "__name__", _("classifier")), kind=kind,
                     found=joined(sorted(found.values())), expected=expected),
                              mistake="kind-ignored")
        _check_padding_of(backend, model, batches, gradients, seed, vocab_size, num_classes)


def _parameters(model_class: type) -> set[str]:
    """The names the constructor of ``model_class`` takes (none known: the empty set)."""
    try:
        return set(inspect.signature(model_class).parameters)
    except (TypeError, ValueError):
        return set()


def _check_padding_of(backend: GatedBackend, model: Any,
                      batches: Sequence[tuple[Sequence[int], Sequence[int]]], gradients: bool,
                      seed: int, vocab_size: int, num_classes: int) -> None:
    """:func:`check_padding_invariance` on one built classifier."""
    rng = np.random.default_rng(seed)
    first = _padded_ids(rng, batches[0][0], vocab_size)
    logits = backend.run_classifier(model, first).output
    assert_shape(_("The logits of your classifier for {count} sequences").format(
                     count=len(first)), logits, (len(first), num_classes),
                 hint=N_("Return one score per class for each sequence, before any softmax."),
                 plural=True)
    backend.fill_parameters(model, lambda shape: rng.uniform(-0.5, 0.5, size=shape))
    for lengths, widths in batches:
        ids = _padded_ids(rng, lengths, vocab_size)
        logits = backend.run_classifier(model, ids).output
        if not np.all(np.isfinite(logits)):
            raise CheckFailed(_("Your classifier returns NaN or infinite logits for random "
                                "weights."), mistake="nan-values")
        neutral.fail_if_probabilities(logits)
        found = neutral.find_padding_change(backend, model, ids, lengths, widths)
        if found is not None:
            raise CheckFailed(_(
                "The logits of sequence {row} (length {length}) change when its batch is padded "
                "to length {width}: by {change:.1e} relative to the sequence alone (tolerance "
                "{tol:.0e})."
            ).format(row=found.row, length=found.length, width=found.width, change=found.change,
                     tol=backend.tolerance) + f" {_(backend.padding_hint)}",
                              mistake="padding-changes-logits")
    if gradients:
        run = backend.run_classifier(model, first, rng.normal(size=(len(first), num_classes)))
        neutral._check_gradients_present(backend, neutral.CLASSIFIER, run.grad_params)


class GatedLessonChecks(PrecisionChecks):
    """Lesson 2's checks (LSTM and GRU cells and layers, padding) for one framework."""

    precise: GatedBackend

    def _cell(self, gk: GatedKind, cell_class: type, load_function: Callable[[Any, Any], Any],
              thorough: bool) -> None:
        if thorough:
            note = self._run(check_gated_cell, gk, cell_class, load_function,
                             sizes=THOROUGH_SIZES, cases=THOROUGH_CELL_CASES, gradients=True,
                             seed=5)
        else:
            note = self._run(check_gated_cell, gk, cell_class, load_function)
        computes = _("h and c") if gk.kind == "lstm" else "h"
        passed = (_("✓ {cell}, loaded by {name}, computes the same {computes} as {reference} at "
                    "every step, on every shape, with the same gradients.") if thorough
                  else _("✓ {cell}, loaded by {name}, computes the same {computes} as "
                         "{reference} at every step."))
        print(passed.format(cell=gk.cell, name=_function_name(load_function), computes=computes,
                            reference=self.precise.gated_reference_names[gk.kind]) + note)

    def _layer(self, gk: GatedKind, layer_class: type, load_function: Callable[[Any, Any], Any],
               thorough: bool) -> None:
        if thorough:
            note = self._run(check_gated_layer, gk, layer_class, load_function,
                             sizes=THOROUGH_SIZES, cases=THOROUGH_LAYER_CASES, gradients=True,
                             seed=6)
        else:
            note = self._run(check_gated_layer, gk, layer_class, load_function)
        passed = (_("✓ {layer} returns the same outputs and final {state} as {reference}, on "
                    "every shape, with the same gradients.") if thorough
                  else _("✓ {layer} returns the same outputs and final {state} as "
                         "{reference}."))
        print(passed.format(layer=gk.layer, state=gk.state_text,
                            reference=self.precise.gated_reference_names[gk.kind]) + note)

    def check_lstm_cell(self, cell_class: type, load_function: Callable[[Any, Any], Any], *,
                        thorough: bool = False) -> None:
        """Check ``LSTMCell(input_size, hidden_size)`` and ``load_function(cell, builtin_lstm)``."""
        self._cell(LSTM, cell_class, load_function, thorough)

    def check_lstm_layer(self, layer_class: type, load_function: Callable[[Any, Any], Any], *,
                         thorough: bool = False) -> None:
        """Check ``LSTM(input_size, hidden_size)``, loaded through its ``.cell``."""
        self._layer(LSTM, layer_class, load_function, thorough)

    def check_gru_cell(self, cell_class: type, load_function: Callable[[Any, Any], Any], *,
                       thorough: bool = False) -> None:
        """Check ``GRUCell(input_size, hidden_size)`` and ``load_function(cell, builtin_gru)``."""
        self._cell(GRU, cell_class, load_function, thorough)

    def check_gru_layer(self, layer_class: type, load_function: Callable[[Any, Any], Any], *,
                        thorough: bool = False) -> None:
        """Check ``GRU(input_size, hidden_size)``, loaded through its ``.cell``."""
        self._layer(GRU, layer_class, load_function, thorough)

    def check_padding_invariance(self, model_class: type, *, thorough: bool = False) -> None:
        """Check that ``model_class(vocab_size, embed_size, hidden_size, num_classes)``'s
        logits for a sequence are the same alone and in padded batches."""
        if thorough:
            note = self._run(check_padding_invariance, model_class, batches=PADDING_THOROUGH,
                             traced=TRACED_PADDING,
                             gradients=True, seed=7)
        else:
            note = self._run(check_padding_invariance, model_class, traced=TRACED_PADDING)
        passed = (_("✓ The classifier's logits do not change when its batch is padded and it "
                    "trains every {word}.") if thorough
                  else _("✓ The classifier's logits do not change when its batch is padded."))
        print(passed.format(word=_(self.precise.parameter_word)) + note)
