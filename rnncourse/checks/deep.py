"""Checks for Lesson 3 (reading both ways and stacking), written once for both frameworks.

A framework ``DeepBackend`` (see :mod:`rnncourse.checks.backend`) runs the student's functions
and layers on NumPy inputs and returns NumPy outputs, final states and gradients; everything
here is NumPy.

* ``reverse_padded`` and the pooling functions are compared with exact NumPy references, on
  padded batches whose padding holds values (large ones for pooling) that must not matter.
* ``Bidirectional`` and ``Stacked`` are built with the check's own ``make_layer``: recording
  ``Recurrent`` layers. Their weights are randomised and copied into the framework's own
  bidirectional or multi-layer layer, which must give the same outputs at every real step, the
  same flat tuple of final states and the same gradient with respect to x. The recordings show
  what each layer of a Stacked received, so the checks see where the dropout goes.

When a comparison fails, the message names the classic mistake it matches (halves swapped,
a reversal across the padding, states in another order, dropout in eval mode, ...) or, failing
that, where the first difference is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnncourse.checks.backend import DeepBackend, DeepRun, LayerRecorder
from rnncourse.checks.compare import assert_close, assert_shape, relative_error
from rnncourse.checks.lesson import PrecisionChecks
from rnncourse.errors import CheckFailed
from rnncourse.i18n import N_, _

#: The parts of one direction's final state, by kind.
PARTS = {"lstm": ("h", "c"), "gru": ("h",), "rnn": ("h",)}
KIND_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}

Case = tuple[tuple[int, ...], int]  # (lengths, steps)

REVERSE_QUICK = (((7, 3, 5, 1), 7, 3), ((4,), 4, 2))
REVERSE_THOROUGH = REVERSE_QUICK + (((1,), 1, 1), ((3, 3), 3, 2), ((2, 6, 1), 9, 4),
                                    ((12, 5, 9, 1, 12), 12, 2))
POOLING_QUICK = (((7, 3, 5, 1), 7, 3),)
POOLING_THOROUGH = POOLING_QUICK + (((1,), 1, 1), ((4,), 4, 2), ((2, 9, 3), 12, 5),
                                    ((1, 1), 3, 2))
#: (kind, input size, hidden size) of the Bidirectional layers checked.
#: Every kind the hidden test reads, so that a ✓ here predicts the grade.
BIDIRECTIONAL_QUICK = (("lstm", 3, 4), ("gru", 1, 2))
BIDIRECTIONAL_THOROUGH = BIDIRECTIONAL_QUICK
#: (lengths, steps): a sequence as long as the batch first (a reversal across the padding is
#: right for it only), batch 1 and length 1, padding after the longest, longer sequences.
DEEP_CASES_QUICK: tuple[Case, ...] = (((7, 3, 5, 1), 7), ((1,), 1))
DEEP_CASES_THOROUGH: tuple[Case, ...] = (((7, 3, 5, 1), 7), ((1,), 1), ((2, 5), 9),
                                         ((12, 4, 12, 9, 1), 12))
#: (kind, input size, hidden size, num_layers, dropout, with the student's Bidirectional?).
StackConfig = tuple[str, int, int, int, float, bool]
#: Quick: both kinds and layer counts of the thorough set (a stack may break at 3 layers only).
STACKED_QUICK: tuple[StackConfig, ...] = (("lstm", 3, 4, 2, 0.3, False),
                                          ("gru", 4, 4, 3, 0.0, False))
#: Thorough: dropout > 0 and = 0 between layers, input size = hidden size (so that feeding x to
#: every layer raises nothing by itself), a single layer, and the student's Bidirectional.
STACKED_THOROUGH: tuple[StackConfig, ...] = (
    ("lstm", 3, 4, 2, 0.3, False), ("gru", 4, 4, 3, 0.0, False), ("lstm", 2, 3, 1, 0.5, False))
STACKED_BIDIRECTIONAL: tuple[StackConfig, ...] = (("lstm", 3, 4, 2, 0.3, True),)
#: What the tf.function runs of the checks read: one kind is enough to show code that cannot
#: be traced (the student's Bidirectional is traced by its own check), and each costs seconds.
TRACED_BIDIRECTIONAL = {"configs": BIDIRECTIONAL_QUICK[:1]}
TRACED_STACKED = {"configs": STACKED_QUICK[:1]}
STACKED_CASES_QUICK: tuple[Case, ...] = (((7, 3, 5, 1), 7),)
STACKED_CASES_THOROUGH: tuple[Case, ...] = (((7, 3, 5, 1), 7), ((1,), 1), ((2, 5), 9))
#: The batch read in training mode: enough real values to measure the share dropout zeroes.
TRAINING_CASE: Case = ((12, 9, 5, 12, 1, 7, 10, 3), 12)

REVERSE = "reverse_padded"
MAX = "max_over_time"
MEAN = "mean_over_time"


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def real_steps(lengths: Sequence[int], steps: int) -> np.ndarray:
    """(batch, steps) booleans: True at each sequence's real steps (t < length)."""
    return np.arange(steps)[None, :] < np.asarray(lengths)[:, None]


def reverse_within(x: np.ndarray, lengths: Sequence[int]) -> np.ndarray:
    """Each sequence's first ``length`` steps reversed, the padding left where it is."""
    out = np.array(x, dtype=np.float64, copy=True)
    for row, length in enumerate(lengths):
        out[row, :length] = x[row, :length][::-1]
    return out


def _only_real(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values`` with every padding step set to zero (what the checks ignore)."""
    return np.where(mask[..., None], values, 0.0)


def _case(lengths: Sequence[int], steps: int) -> str:
    case = (_("length {lengths} padded to {steps} steps") if len(lengths) == 1
            else _("lengths {lengths} padded to {steps} steps"))
    return case.format(lengths=", ".join(str(n) for n in lengths), steps=steps)


def _is_close(backend: DeepBackend, got: Any, expected: np.ndarray) -> bool:
    got = np.asarray(got, dtype=np.float64)
    return (got.shape == expected.shape and bool(np.all(np.isfinite(got)))
            and relative_error(got, expected) <= backend.tolerance)


def _close(backend: DeepBackend, *args: Any, **kwargs: Any) -> None:
    """``assert_close`` at the backend's tolerance (float64 or, as a fallback, float32)."""
    assert_close(*args, tol=backend.tolerance, **kwargs)


def _padded_inputs(rng: np.random.Generator, lengths: Sequence[int], steps: int,
                   features: int) -> np.ndarray:
    """Random inputs whose padding holds values too (a right layer never reads them)."""
    return rng.normal(size=(len(lengths), steps, features))


def _short_row_only(backend: DeepBackend, got: np.ndarray, expected: np.ndarray,
                    lengths: Sequence[int], steps: int) -> int | None:
    """The first shorter sequence that differs, when every sequence as long as the batch is right.

    That pattern is the mark of a reversal across the padding, or of a state taken at the last
    padded step: both are right exactly for the sequences without padding.
    """
    full = [row for row, length in enumerate(lengths) if length == steps]
    if not full or len(full) == len(lengths) or got.shape != expected.shape:
        return None
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-12)

    def row_ok(row: int) -> bool:
        diff = np.abs(got[row] - expected[row])
        return bool(np.all(np.isfinite(got[row]))) and float(np.max(diff)) / scale <= \
            backend.tolerance

    if not all(row_ok(row) for row in full):
        return None
    for row, length in enumerate(lengths):
        if length < steps and not row_ok(row):
            return row
    return None


def _sentence(clause: str) -> str:
    """A hint clause ("use ...") as a sentence of its own ("Use ...")."""
    return clause[:1].upper() + clause[1:]


def _random_padded_grad(rng: np.random.Generator, mask: np.ndarray, units: int) -> np.ndarray:
    """A gradient for the outputs that is zero at the padding, whose outputs may hold anything."""
    return _only_real(rng.normal(size=(*mask.shape, units)), mask)


# ---------------------------------------------------------------------------------------------
# reverse_padded
# ---------------------------------------------------------------------------------------------


def check_reverse_padded(
    backend: DeepBackend,
    function: Callable[..., Any],
    *,
    cases: Sequence[tuple[tuple[int, ...], int, int]] = REVERSE_QUICK,
    seed: int = 0,
) -> None:
    """Compare ``function(x, lengths)`` with each sequence reversed within its own length.

    ``cases`` are (lengths, steps, features); the padding holds random values, which must come
    back unchanged, and the gradient with respect to x must be the reversed gradient.
    """
    rng = np.random.default_rng(seed)
    for lengths, steps, features in cases:
        x = _padded_inputs(rng, lengths, steps, features)
        grad = rng.normal(size=x.shape)
        run = backend.run_function(function, REVERSE, x, np.asarray(lengths), grad)
        case = _case(lengths, steps)
        assert_shape(_("The result of {function} for x of shape {shape} ({case})").format(
                         function=REVERSE, shape=x.shape, case=case), run.outputs,
                     x.shape, hint=N_("It should have x's shape: (batch, steps, features)."))
        _check_reversal(backend, run.outputs, x, lengths, steps, case)
        if run.grad_x is None:
            raise CheckFailed(_("No gradient flows through your {function} back to x: "
                                "{hint}").format(function=REVERSE,
                                                 hint=_(backend.deep_grad_hint)),
                              mistake="no-gradient")
        _close(backend, _("The gradient of your {function} with respect to x ({case})").format(
                   function=REVERSE, case=case), run.grad_x,
               reverse_within(grad, lengths), reference=N_("the reversed gradient"),
               axes=("sequence", "step", "feature"), step_axis=1,
               hint=_sentence(_(backend.deep_grad_hint)))


def _check_reversal(backend: DeepBackend, got: np.ndarray, x: np.ndarray,
                    lengths: Sequence[int], steps: int, case: str) -> None:
    expected = reverse_within(x, lengths)
    if _is_close(backend, got, expected):
        return
    padded = any(length < steps for length in lengths)
    if padded and _is_close(backend, got, x[:, ::-1]):
        raise CheckFailed(_(
            "Your {function} flips whole rows, padding included (like {flip}), so a shorter "
            "sequence starts with its padding ({case}): reverse each sequence within its own "
            "length (its first length steps) and leave the padding steps where they are."
        ).format(function=REVERSE, flip=backend.flip_all_text, case=case),
                          mistake="reverse-flips-padding")
    if padded and all(_is_close(backend, got[row, steps - length:], x[row, :length][::-1])
                      for row, length in enumerate(lengths)):
        raise CheckFailed(_(
            "Your {function} moves the padding to the front, before the reversed steps ({case}): "
            "each reversed sequence must start at step 0, with its padding left at the end."
        ).format(function=REVERSE, case=case), mistake="reverse-padding-first")
    mask = real_steps(lengths, steps)
    if padded and _is_close(backend, _only_real(got, mask), _only_real(expected, mask)):
        moved = ~mask[..., None] & (np.abs(got - x) > backend.tolerance * np.max(np.abs(x)))
        row, step, _feature = (int(i) for i in np.argwhere(moved)[0])
        raise CheckFailed(_(
            "Your {function} reverses the real steps but changes the padding (first at sequence "
            "{row}, step {step}, length {length}; {case}): leave the padding steps "
            "(t >= length) unchanged."
        ).format(function=REVERSE, row=row, step=step, length=lengths[row], case=case),
                          mistake="reverse-changes-padding")
    if _is_close(backend, got, x):
        raise CheckFailed(_("Your {function} returns x unchanged ({case}): reverse the first "
                            "length steps of each sequence.").format(function=REVERSE, case=case),
                          mistake="reverse-unchanged")
    _close(backend, _("The result of your {function} ({case})").format(function=REVERSE,
                                                                      case=case), got, expected,
           reference=N_("each sequence reversed within its length"),
           axes=("sequence", "step", "feature"), step_axis=1,
           hint=N_("Step t < length must hold the input's step length - 1 - t, and the padding "
                   "steps must stay as they are."))


# ---------------------------------------------------------------------------------------------
# Pooling over time
# ---------------------------------------------------------------------------------------------


def _pooling_inputs(rng: np.random.Generator, lengths: Sequence[int], steps: int,
                    features: int, negative: bool) -> np.ndarray:
    """Real values (all negative when asked) and padding full of large positive values."""
    mask = real_steps(lengths, steps)[..., None]
    real = (-rng.uniform(0.5, 3.0, size=(len(lengths), steps, features)) if negative
            else rng.normal(size=(len(lengths), steps, features)))
    padding = rng.uniform(100.0, 200.0, size=real.shape)
    return np.where(mask, real, padding)


def check_pooling(
    backend: DeepBackend,
    max_function: Callable[..., Any],
    mean_function: Callable[..., Any],
    *,
    cases: Sequence[tuple[tuple[int, ...], int, int]] = POOLING_QUICK,
    seed: int = 0,
) -> None:
    """Compare the student's max and mean over time with NumPy, values and gradients.

    Each case is tried with normal real values and with all-negative ones; the padding is
    filled with large values that must change nothing.
    """
    rng = np.random.default_rng(seed)
    for function, what in ((max_function, MAX), (mean_function, MEAN)):
        for lengths, steps, features in cases:
            for negative in (False, True):
                x = _pooling_inputs(rng, lengths, steps, features, negative)
                grad = rng.normal(size=(len(lengths), features))
                run = backend.run_function(function, what, x, np.asarray(lengths), grad)
                case = _case(lengths, steps)
                if negative:
                    case = _("{case}, every real value negative").format(case=case)
                assert_shape(_("The result of {function} for outputs of shape {shape}").format(
                                 function=what, shape=x.shape),
                             run.outputs, (len(lengths), features),
                             hint=N_("It should hold one vector per sequence: (batch, features)."))
                if what == MAX:
                    _check_max(backend, run, x, grad, lengths, steps, case)
                else:
                    _check_mean(backend, run, x, grad, lengths, steps, case)


def _check_max(backend: DeepBackend, run: DeepRun, x: np.ndarray, grad: np.ndarray,
               lengths: Sequence[int], steps: int, case: str) -> None:
    mask = real_steps(lengths, steps)[..., None]
    masked = np.where(mask, x, -np.inf)
    expected = masked.max(axis=1)
    if not _is_close(backend, run.outputs, expected):
        if _is_close(backend, run.outputs, x.max(axis=1)):
            raise CheckFailed(_(
                "Your {function} picks values from the padding steps ({case}), which the check "
                "fills with large values: take the maximum over each sequence's real steps only, "
                "e.g. {hint}."
            ).format(function=MAX, case=case, hint=_(backend.masked_max_hint)),
                              mistake="max-reads-padding")
        if _is_close(backend, run.outputs, np.where(mask, x, 0.0).max(axis=1)):
            raise CheckFailed(_(
                "Your {function} returns 0 where every real value is negative ({case}): "
                "multiplying by the mask turns the padding into zeros, which beat negative "
                "values; instead {hint}."
            ).format(function=MAX, case=case, hint=_(backend.masked_max_hint)),
                              mistake="max-mask-zeros")
        _close(backend, _("The result of your {function} ({case})").format(function=MAX,
                                                                          case=case),
               run.outputs, expected,
               reference=N_("the maximum over each sequence's real steps"),
               axes=("sequence", "feature"),
               hint=_("Leave the padding out of the maximum, e.g. {hint}.").format(
                   hint=_(backend.masked_max_hint)))
    if run.grad_x is None:
        raise CheckFailed(_("No gradient flows through your {function} back to its input: "
                            "{hint}").format(function=MAX, hint=_(backend.deep_grad_hint)),
                          mistake="no-gradient")
    winner = masked.argmax(axis=1)  # (batch, features): one real step per feature
    expected_grad = np.zeros_like(x)
    rows, cols = np.meshgrid(np.arange(x.shape[0]), np.arange(x.shape[2]), indexing="ij")
    expected_grad[rows, winner, cols] = grad
    _close(backend, _("The gradient of your {function} with respect to its input "
                      "({case})").format(function=MAX, case=case),
           run.grad_x, expected_grad, reference=N_("the gradient of the exact maximum"),
           axes=("sequence", "step", "feature"), step_axis=1,
           hint=_("Only the largest real value of each feature receives the gradient; "
                  "{hint}").format(hint=_(backend.deep_grad_hint)))


def _check_mean(backend: DeepBackend, run: DeepRun, x: np.ndarray, grad: np.ndarray,
                lengths: Sequence[int], steps: int, case: str) -> None:
    mask = real_steps(lengths, steps)[..., None]
    counts = np.asarray(lengths, dtype=np.float64)[:, None]
    real_sum = np.where(mask, x, 0.0).sum(axis=1)
    expected = real_sum / counts
    if not _is_close(backend, run.outputs, expected):
        if (_is_close(backend, run.outputs, x.mean(axis=1))
                or _is_close(backend, run.outputs, x.sum(axis=1) / counts)):
            raise CheckFailed(_(
                "Your {function} averages the padding steps too ({case}), which the check fills "
                "with large values: sum only each sequence's real steps (multiply by the mask) "
                "and divide by its length."
            ).format(function=MEAN, case=case), mistake="mean-reads-padding")
        if _is_close(backend, run.outputs, real_sum / steps):
            raise CheckFailed(_(
                "Your {function} divides by the number of steps of the batch ({steps}), not by "
                "each sequence's length ({case}): divide the masked sum by lengths."
            ).format(function=MEAN, steps=steps, case=case), mistake="mean-divides-by-steps")
        _close(backend, _("The result of your {function} ({case})").format(function=MEAN,
                                                                          case=case),
               run.outputs, expected,
               reference=N_("the mean over each sequence's real steps"),
               axes=("sequence", "feature"),
               hint=N_("Sum only the real steps and divide by each sequence's length."))
    if run.grad_x is None:
        raise CheckFailed(_("No gradient flows through your {function} back to its input: "
                            "{hint}").format(function=MEAN, hint=_(backend.deep_grad_hint)),
                          mistake="no-gradient")
    expected_grad = np.where(mask, grad[:, None, :] / counts[:, :, None], 0.0)
    _close(backend, _("The gradient of your {function} with respect to its input "
                      "({case})").format(function=MEAN, case=case),
           run.grad_x, expected_grad, reference=N_("the gradient of the exact mean"),
           axes=("sequence", "step", "feature"), step_axis=1,
           hint=_("Each real step must receive the gradient divided by the length and the "
                  "padding none; {hint}").format(hint=_(backend.deep_grad_hint)))


# ---------------------------------------------------------------------------------------------
# Final states: a flat tuple, layer by layer, forward before backward, (h, c) or (h,)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slots:
    """The slots of a flat tuple of final states, for messages."""

    symbols: tuple[str, ...]  # e.g. ("h_fwd", "c_fwd", "h_bwd", "c_bwd")
    words: tuple[str, ...]  # e.g. ("the forward h", ...)
    per_layer: int  # slots of one layer (both directions)
    order_hint: str  # how the tuple must be ordered, one clause

    @property
    def text(self) -> str:
        return "(" + ", ".join(self.symbols) + ")"


def bidirectional_slots(kind: str) -> Slots:
    parts = PARTS[kind]
    symbols = tuple(f"{p}_{d}" for d in ("fwd", "bwd") for p in parts)
    words = tuple(word.format(part=p) for word in (_("the forward {part}"),
                                                   _("the backward {part}")) for p in parts)
    text = "(" + ", ".join(symbols) + ")"
    return Slots(symbols, words, len(symbols),
                 _("return the forward layer's final tuple followed by the backward layer's, "
                   "{text}").format(text=text))


def stacked_slots(kind: str, num_layers: int, bidirectional: bool) -> Slots:
    parts = PARTS[kind]
    directions = ((("fwd", _("layer {layer}'s forward {part}")),
                   ("bwd", _("layer {layer}'s backward {part}"))) if bidirectional
                  else (("", _("layer {layer}'s {part}")),))
    symbols, words = [], []
    for layer in range(num_layers):
        for short, word in directions:
            for p in parts:
                symbols.append(f"{p}_{layer}" + (f"_{short}" if short else ""))
                words.append(word.format(layer=layer, part=p))
    text = "(" + ", ".join(symbols) + ")"
    return Slots(tuple(symbols), tuple(words), len(parts) * len(directions),
                 _("list every layer's final tuple in layer order, {text}").format(text=text))


def _check_final_structure(final: Any, slots: Slots, what: str, batch: int,
                           hidden: int) -> None:
    """The final states must be a flat tuple of (batch, hidden) arrays, as many as the slots."""
    if not isinstance(final, tuple):
        raise CheckFailed(_(
            "Your {what}'s final states should be a flat tuple {text}, but it returned a single "
            "array of shape {shape}: {order_hint}."
        ).format(what=what, text=slots.text, shape=np.shape(final), order_hint=slots.order_hint),
                          mistake="final-states-structure")
    if any(isinstance(part, tuple) for part in final):
        raise CheckFailed(_(
            "Your {what}'s final states are a tuple of tuples; make them one flat tuple of "
            "arrays (add the tuples together): {order_hint}."
        ).format(what=what, order_hint=slots.order_hint), mistake="final-states-structure")
    if len(final) != len(slots.symbols):
        only = (len(final) == slots.per_layer and len(slots.symbols) > slots.per_layer)
        message = (_("Your {what}'s final states hold {count} arrays, only one layer's final "
                     "state, but should hold {expected}: {order_hint}.") if only
                   else _("Your {what}'s final states hold {count} arrays but should hold "
                          "{expected}: {order_hint}."))
        raise CheckFailed(message.format(what=what, count=len(final),
                                         expected=len(slots.symbols),
                                         order_hint=slots.order_hint),
                          mistake="final-states-structure")
    for symbol, part in zip(slots.symbols, final, strict=True):
        assert_shape(_("The final {symbol} of your {what} for a batch of {batch}").format(
                         symbol=symbol, what=what, batch=batch), part,
                     (batch, hidden), hint=N_("Each final state is (batch, hidden_size)."))


def _compare_final(backend: DeepBackend, got: tuple[np.ndarray, ...],
                   expected: tuple[np.ndarray, ...], slots: Slots, what: str, case: str,
                   reference: str, lengths: Sequence[int], steps: int) -> None:
    for k, (g, e) in enumerate(zip(got, expected, strict=True)):
        if _is_close(backend, g, e):
            continue
        for j, other in enumerate(expected):
            if j != k and _is_close(backend, g, other):
                raise CheckFailed(_(
                    "Your {what}'s final states hold {word} ({symbol}) where {expected_word} "
                    "({expected_symbol}) belongs ({case}): {order_hint}."
                ).format(what=what, word=slots.words[j], symbol=slots.symbols[j],
                         expected_word=slots.words[k], expected_symbol=slots.symbols[k],
                         case=case, order_hint=slots.order_hint), mistake="final-states-order")
        row = _short_row_only(backend, g, e, lengths, steps)
        if row is not None:
            raise CheckFailed(_(
                "Your {what}'s final {symbol} is right for the sequences as long as the batch "
                "but wrong for shorter ones (sequence {row}, length {length}; {case}): use the "
                "final tuple each layer returns, the state after each sequence's last real "
                "step, not its outputs at the last padded step."
            ).format(what=what, symbol=slots.symbols[k], row=row, length=lengths[row],
                     case=case), mistake="final-state-from-padding")
        _close(backend, _("Your {what}'s final {symbol} ({case})").format(
                   what=what, symbol=slots.symbols[k], case=case), g, e,
               reference=reference, axes=("sequence", "unit"),
               hint=_("The final states must be {text}: {order_hint}.").format(
                   text=slots.text, order_hint=slots.order_hint))


# ---------------------------------------------------------------------------------------------
# Bidirectional
# ---------------------------------------------------------------------------------------------


def _direction_layers(backend: DeepBackend, module: Any, recorder: LayerRecorder,
                      what: str) -> list[Any]:
    """The Bidirectional's forward and backward layers, which must be make_layer's."""
    layers = []
    for attribute in ("forward_layer", "backward_layer"):
        layer = getattr(module, attribute, None)
        if not any(layer is made for made in recorder.layers):
            raise CheckFailed(_(
                "Your {what}'s {attribute} is not a layer that make_layer made: keep the given "
                "__init__, which sets self.forward_layer and self.backward_layer with "
                "{make_layer}."
            ).format(what=what, attribute=attribute, make_layer=backend.make_layer_text),
                              mistake="layers-not-from-make-layer")
        layers.append(layer)
    if layers[0] is layers[1]:
        raise CheckFailed(_("Your {what} uses one layer for both directions: keep the given "
                            "__init__, which makes two layers with make_layer.").format(what=what),
                          mistake="one-layer-both-directions")
    return layers


def check_bidirectional(
    backend: DeepBackend,
    bidirectional_class: type,
    *,
    configs: Sequence[tuple[str, int, int]] = BIDIRECTIONAL_QUICK,
    cases: Sequence[Case] = DEEP_CASES_QUICK,
    seed: int = 0,
) -> None:
    """Compare the student's Bidirectional (around the check's layers) with the framework's.

    ``configs`` are (kind, input size, hidden size); ``cases`` (lengths, steps) padded batches
    with a sequence as long as the batch first, so that a reversal across the padding shows.
    """
    rng = np.random.default_rng(seed)
    what = "Bidirectional"
    for kind, e, h in configs:
        recorder = backend.recorder(kind)
        recorder.size_hint = N_("both directions read x itself (the backward one reversed "
                                "within each length), with the input size they were made for")
        module = backend.build_deep(bidirectional_class, recorder.make, e, h)
        backend.assert_no_builtin_deep(module, recorder, what)
        layers = _direction_layers(backend, module, recorder, what)
        recorder.names.update({
            id(layers[0]): _("The forward layer of your {what}").format(what=what),
            id(layers[1]): _("The backward layer of your {what}").format(what=what)})
        slots = bidirectional_slots(kind)
        reference_name = backend.bidirectional_reference_name(kind)

        lengths, steps = cases[0]
        first = backend.run_deep(module, what, _padded_inputs(rng, lengths, steps, e),
                                 np.asarray(lengths), training=False)
        assert_shape(_("The outputs of your {what} for a batch of {count} sequences of "
                       "{steps} steps").format(what=what, count=len(lengths), steps=steps),
                     first.outputs, (len(lengths), steps, 2 * h),
                     hint=N_("Concatenate the forward and backward outputs along the last axis: "
                             "(batch, steps, 2·hidden_size)."), plural=True)
        _check_final_structure(first.final, slots, what, len(lengths), h)

        backend.randomize_layers(layers, rng)
        reference = backend.deep_reference(kind, layers, 1, True)
        for lengths, steps in cases:
            x = _padded_inputs(rng, lengths, steps, e)
            mask = real_steps(lengths, steps)
            g_out = _random_padded_grad(rng, mask, 2 * h)
            g_fin = tuple(rng.normal(size=(len(lengths), h)) for _slot in slots.symbols)
            got = backend.run_deep(module, what, x, np.asarray(lengths), training=False,
                                   grad_outputs=g_out, grad_final=g_fin)
            ref = backend.run_deep_reference(reference, x, np.asarray(lengths), g_out, g_fin)
            case = _("{case}, {kind} layers of {e} → {h}").format(
                case=_case(lengths, steps), kind=KIND_NAMES[kind], e=e, h=h)
            _compare_bidirectional_outputs(backend, got.outputs, ref.outputs, lengths, steps, h,
                                           case, reference_name)
            _check_final_structure(got.final, slots, what, len(lengths), h)
            _compare_final(backend, got.final, ref.final, slots, what, case, reference_name,
                           lengths, steps)
            _compare_grad_x(backend, got, ref, what, case, reference_name)


def _compare_bidirectional_outputs(backend: DeepBackend, got: np.ndarray, expected: np.ndarray,
                                   lengths: Sequence[int], steps: int, h: int, case: str,
                                   reference: str) -> None:
    what = "Bidirectional"
    mask = real_steps(lengths, steps)
    got, expected = _only_real(got, mask), _only_real(expected, mask)
    if _is_close(backend, got, expected):
        return
    got_f, got_b = got[..., :h], got[..., h:]
    exp_f, exp_b = expected[..., :h], expected[..., h:]
    forward_ok, backward_ok = _is_close(backend, got_f, exp_f), _is_close(backend, got_b, exp_b)
    if not forward_ok and _is_close(backend, got_f, exp_b) and _is_close(backend, got_b, exp_f):
        raise CheckFailed(_(
            "Your {what}'s outputs hold the backward outputs first ({case}): concatenate the "
            "forward outputs first, then the backward ones, along the last axis."
        ).format(what=what, case=case), mistake="backward-first")
    axes = ("sequence", "step", "unit")
    if not forward_ok:
        _close(backend, _("The forward half of your {what}'s outputs ({case})").format(
                   what=what, case=case), got_f, exp_f,
               reference=reference, axes=axes, step_axis=1,
               hint=N_("The forward layer reads x as it is, with lengths."))
    if not backward_ok:
        if _is_close(backend, got_b, reverse_within(exp_b, lengths)):
            raise CheckFailed(_(
                "The backward half of your {what}'s outputs is still in reading order ({case}): "
                "reverse the backward layer's outputs back within each length (reverse_padded "
                "again), so that step t holds the state after reading steps t..length-1."
            ).format(what=what, case=case), mistake="backward-not-reversed-back")
        row = _short_row_only(backend, got_b, exp_b, lengths, steps)
        if row is not None:
            raise CheckFailed(_(
                "The backward half of your {what}'s outputs is right for the sequences as long "
                "as the batch but wrong for shorter ones (sequence {row}, length {length}; "
                "{case}): reverse each sequence within its own length with reverse_padded, not "
                "across the padding, both before the backward layer and after it."
            ).format(what=what, row=row, length=lengths[row], case=case),
                              mistake="backward-reversed-with-padding")
        _close(backend, _("The backward half of your {what}'s outputs ({case})").format(
                   what=what, case=case), got_b, exp_b,
               reference=reference, axes=axes, step_axis=1,
               hint=N_("The backward layer reads each sequence reversed within its length "
                       "(reverse_padded), and its outputs are reversed back the same way."))


def _compare_grad_x(backend: DeepBackend, got: DeepRun, ref: DeepRun, what: str, case: str,
                    reference: str) -> None:
    if got.grad_x is None:
        raise CheckFailed(_("No gradient flows through your {what} back to x: {hint}").format(
            what=what, hint=_(backend.deep_grad_hint)), mistake="no-gradient")
    _close(backend, _("The gradient of your {what} with respect to x ({case})").format(
               what=what, case=case), got.grad_x,
           ref.grad_x, reference=reference, axes=("sequence", "step", "feature"), step_axis=1,
           hint=_sentence(_(backend.deep_grad_hint)))


# ---------------------------------------------------------------------------------------------
# Stacked
# ---------------------------------------------------------------------------------------------


@dataclass
class _Dropout:
    """How a tensor relates to another elementwise: a share set to zero, the rest scaled."""

    fraction: float
    scale: float

    def is_identity(self, tol: float) -> bool:
        return self.fraction == 0.0 and abs(self.scale - 1.0) <= 10 * tol


def _as_dropout(got: np.ndarray, previous: np.ndarray, mask: np.ndarray,
                tol: float) -> _Dropout | None:
    """``got`` as dropout of ``previous`` at the real steps: zeros, and the rest times one factor.

    None when ``got`` is something else.
    """
    if got.shape != previous.shape:
        return None
    g, p = got[mask].ravel(), previous[mask].ravel()
    keep = p != 0
    g, p = g[keep], p[keep]
    if g.size == 0 or not np.all(np.isfinite(g)):
        return None
    zero = g == 0
    if zero.all():
        return _Dropout(1.0, 0.0)
    scale = float(np.median(g[~zero] / p[~zero]))
    largest = max(float(np.max(np.abs(g))), 1e-12)
    if float(np.max(np.abs(g[~zero] - scale * p[~zero]))) > 10 * tol * largest:
        return None
    return _Dropout(float(zero.mean()), scale)


def _stack_layers(backend: DeepBackend, module: Any, recorder: LayerRecorder, num_layers: int,
                  bidirectional: bool, what: str) -> tuple[list[Any], list[Any]]:
    """The Stacked's layers, and the check's recurrent layers in reference order."""
    attribute = backend.stacked_attribute
    layers = list(getattr(module, attribute, None) or [])
    if len(layers) != num_layers:
        raise CheckFailed(_(
            "Your {what} with num_layers={num_layers} holds {count} layers in "
            "self.{attribute}: keep the given __init__, which makes each layer with make_layer "
            "and puts it in self.{attribute}."
        ).format(what=what, num_layers=num_layers, count=len(layers), attribute=attribute),
                          mistake="layer-count")
    recurrents = []
    for index, layer in enumerate(layers):
        if bidirectional:
            for direction, name in (("forward", _("The forward layer of layer {index} of your "
                                                  "{what}")),
                                    ("backward", _("The backward layer of layer {index} of "
                                                   "your {what}"))):
                inner = getattr(layer, f"{direction}_layer", None)
                if not any(inner is made for made in recorder.layers):
                    raise CheckFailed(_(
                        "The {direction}_layer of layer {index} of your {what} is not a layer "
                        "that make_layer made: keep the given __init__ of Bidirectional."
                    ).format(direction=direction, index=index, what=what),
                                      mistake="layers-not-from-make-layer")
                recurrents.append(inner)
                recorder.names[id(inner)] = name.format(index=index, what=what)
        else:
            if not any(layer is made for made in recorder.layers):
                raise CheckFailed(_(
                    "Layer {index} of your {what} (self.{attribute}[{index}]) is not a layer "
                    "that make_layer made: keep the given __init__."
                ).format(index=index, what=what, attribute=attribute),
                                  mistake="layers-not-from-make-layer")
            recurrents.append(layer)
            recorder.names[id(layer)] = _("Layer {index} of your {what}").format(index=index,
                                                                                 what=what)
    return layers, recurrents


def check_stacked(
    backend: DeepBackend,
    stacked_class: type,
    bidirectional_class: type | None = None,
    *,
    configs: Sequence[StackConfig] = STACKED_QUICK,
    cases: Sequence[Case] = STACKED_CASES_QUICK,
    seed: int = 0,
) -> None:
    """Compare the student's Stacked with the framework's multi-layer layer, and find its dropout.

    For each config the stack runs in eval mode: each layer must receive exactly what it
    should (x, then the previous layer's outputs) and the whole must match the framework's
    layer, outputs, final states and gradient; then, for stacks of the check's layers, in
    training mode, where the input of every layer but the first must be dropout of the previous
    layer's outputs.
    """
    rng = np.random.default_rng(seed)
    what = "Stacked"
    for kind, e, h, num_layers, dropout, bidirectional in configs:
        recorder = backend.recorder(kind)
        recorder.size_hint = N_("each layer must read the previous layer's outputs, only "
                                "layer 0 reads x")
        if bidirectional:
            if bidirectional_class is None:
                continue
            make_layer = backend.bidirectional_maker(bidirectional_class, recorder)
        else:
            make_layer = recorder.make
        module = backend.build_deep(stacked_class, make_layer, e, h, num_layers, dropout=dropout)
        backend.assert_no_builtin_deep(module, recorder, what)
        recurrents = _stack_layers(backend, module, recorder, num_layers, bidirectional,
                                   what)[1]
        width = 2 * h if bidirectional else h
        slots = stacked_slots(kind, num_layers, bidirectional)
        reference_name = backend.stacked_reference_name(kind, num_layers, dropout, bidirectional)
        description = (_("{count} {kind} layers of {e} → {h}") if num_layers > 1
                       else _("{count} {kind} layer of {e} → {h}")).format(
                           count=num_layers, kind=KIND_NAMES[kind], e=e, h=h)
        if bidirectional:
            description = _("{layers}, bidirectional").format(layers=description)
        description += f", dropout={dropout:g}"

        lengths, steps = cases[0]
        x = _padded_inputs(rng, lengths, steps, e)
        first = backend.run_deep(module, what, x, np.asarray(lengths), training=False)
        assert_shape(_("The outputs of your {what} for a batch of {count} sequences of "
                       "{steps} steps").format(what=what, count=len(lengths), steps=steps),
                     first.outputs, (len(lengths), steps, width),
                     hint=N_("They are the last layer's outputs: (batch, steps, output_size)."),
                     plural=True)
        _check_final_structure(first.final, slots, what, len(lengths), h)
        if not bidirectional:
            _check_flow(backend, first, recorder, recurrents, x, lengths, steps, dropout,
                        training=False, case=f"{_case(lengths, steps)}, {description}")

        backend.randomize_layers(recurrents, rng)
        reference = backend.deep_reference(kind, recurrents, num_layers, bidirectional)
        for lengths, steps in cases:
            x = _padded_inputs(rng, lengths, steps, e)
            mask = real_steps(lengths, steps)
            g_out = _random_padded_grad(rng, mask, width)
            g_fin = tuple(rng.normal(size=(len(lengths), h)) for _slot in slots.symbols)
            got = backend.run_deep(module, what, x, np.asarray(lengths), training=False,
                                   grad_outputs=g_out, grad_final=g_fin)
            ref = backend.run_deep_reference(reference, x, np.asarray(lengths), g_out, g_fin)
            case = _("{case}, eval mode").format(case=f"{_case(lengths, steps)}, {description}")
            _close(backend, _("Your {what}'s outputs ({case})").format(what=what, case=case),
                   _only_real(got.outputs, mask),
                   _only_real(ref.outputs, mask), reference=reference_name,
                   axes=("sequence", "step", "unit"), step_axis=1, plural=True,
                   hint=N_("Each layer reads the previous layer's outputs, and the stack returns "
                           "the last layer's outputs."))
            _check_final_structure(got.final, slots, what, len(lengths), h)
            _compare_final(backend, got.final, ref.final, slots, what, case, reference_name,
                           lengths, steps)
            _compare_grad_x(backend, got, ref, what, case, reference_name)

        if not bidirectional:
            lengths, steps = TRAINING_CASE
            x = _padded_inputs(rng, lengths, steps, e)
            run = backend.run_deep(module, what, x, np.asarray(lengths), training=True)
            _check_final_structure(run.final, slots, what, len(lengths), h)
            _check_flow(backend, run, recorder, recurrents, x, lengths, steps, dropout,
                        training=True, case=f"{_case(lengths, steps)}, {description}")


def _check_flow(backend: DeepBackend, run: DeepRun, recorder: LayerRecorder,
                layers: list[Any], x: np.ndarray, lengths: Sequence[int], steps: int,
                dropout: float, *, training: bool, case: str) -> None:
    """What each layer received, and what the stack returned, in eval or training mode."""
    what = "Stacked"
    mask = real_steps(lengths, steps)
    tol = backend.tolerance
    records = []
    for index, layer in enumerate(layers):
        record = recorder.record(layer)
        if record is None:
            raise CheckFailed(_("Layer {index} of your {what} is never called ({case}): run "
                                "every layer of self.{attribute} in order.").format(
                index=index, what=what, case=case, attribute=backend.stacked_attribute),
                              mistake="layer-never-called")
        records.append(record)

    for index, record in enumerate(records):
        received = np.asarray(record.inputs)
        if index == 0:
            previous, source = x, "x"
        else:
            previous = records[index - 1].outputs
            source = _("layer {index}'s outputs").format(index=index - 1)
            if received.shape == x.shape and _is_close(
                    backend, _only_real(received, mask), _only_real(x, mask)):
                raise CheckFailed(_(
                    "Layer {index} of your {what} reads the original input x ({case}): each "
                    "layer must read the previous layer's outputs, only layer 0 reads x."
                ).format(index=index, what=what, case=case), mistake="layer-reads-x")
        if received.shape != previous.shape:
            message = (_("Layer {index} of your {what} receives inputs of shape {shape}, but "
                         "{source} have shape {expected} ({case}): layer 0 reads x.")
                       if index == 0 else
                       _("Layer {index} of your {what} receives inputs of shape {shape}, but "
                         "{source} have shape {expected} ({case}): feed it the previous "
                         "layer's outputs."))
            raise CheckFailed(message.format(index=index, what=what, shape=received.shape,
                                             source=source, expected=previous.shape, case=case),
                              mistake="layer-input")
        pattern = _as_dropout(received, previous, mask, tol)
        identity = pattern is not None and pattern.is_identity(tol)
        between = training and index > 0
        if between and dropout > 0:
            _check_dropout(backend, pattern, int(mask.sum()) * previous.shape[-1], index,
                           dropout, case)
            continue
        if identity:
            continue
        if pattern is not None and pattern.fraction > 0:
            if between:  # dropout=0 yet values zeroed: the scale or the share says so
                _check_dropout(backend, pattern, int(mask.sum()) * previous.shape[-1], index,
                               dropout, case)
            _dropout_misplaced(backend, pattern,
                               _("the input of layer {index}").format(index=index), training,
                               case)
        name = (_("In training mode the input of layer {index} of your {what} ({case})")
                if training else
                _("In eval mode the input of layer {index} of your {what} ({case})"))
        _close(backend, name.format(index=index, what=what, case=case),
               _only_real(received, mask), _only_real(previous, mask), reference=source,
               axes=("sequence", "step", "feature"), step_axis=1,
               hint=N_("Layer 0 reads x as it is, and each further layer the previous layer's "
                       "outputs, through self.dropout.") if training else
               N_("Layer 0 reads x as it is, and each further layer the previous layer's "
                  "outputs (self.dropout changes nothing in eval mode)."))

    outputs = np.asarray(run.outputs)
    last = records[-1].outputs
    if not _is_close(backend, _only_real(outputs, mask), _only_real(last, mask)):
        for index, record in enumerate(records[:-1]):
            if _is_close(backend, _only_real(outputs, mask), _only_real(record.outputs, mask)):
                raise CheckFailed(_(
                    "Your {what} returns the outputs of layer {index}, not those of the last "
                    "layer (layer {last}) ({case})."
                ).format(what=what, index=index, last=len(records) - 1, case=case),
                                  mistake="inner-layer-returned")
        pattern = _as_dropout(outputs, last, mask, tol)
        if pattern is not None and pattern.fraction > 0:
            if not training:
                _dropout_misplaced(backend, pattern, _("its outputs"), training, case)
            raise CheckFailed(_(
                "In training mode your {what}'s outputs are the last layer's outputs with "
                "dropout applied ({fraction:.0%} zeroed; {case}): dropout goes only between "
                "layers, so return the last layer's outputs as they are."
            ).format(what=what, fraction=pattern.fraction, case=case), mistake="dropout-on-outputs")
        name = (_("In training mode the outputs of your {what} ({case})") if training
                else _("In eval mode the outputs of your {what} ({case})"))
        _close(backend, name.format(what=what, case=case),
               _only_real(outputs, mask), _only_real(last, mask),
               reference=N_("the last layer's outputs"), axes=("sequence", "step", "unit"),
               step_axis=1, hint=N_("Return the last layer's outputs as they are."))
    if training:
        flat = tuple(part for record in records for part in record.final)
        for k, (got, expected) in enumerate(zip(run.final, flat, strict=True)):
            _close(backend, _("In training mode final state {k} of your {what} ({case})").format(
                       k=k, what=what, case=case), got,
                   expected, reference=N_("the final states its layers returned"),
                   axes=("sequence", "unit"),
                   hint=N_("Return every layer's final tuple as the layer returned it."))


def _dropout_misplaced(backend: DeepBackend, pattern: _Dropout, where: str, training: bool,
                       case: str) -> None:
    """Dropout where there must be none: anywhere in eval mode, on x in training mode."""
    what = "Stacked"
    share = _("{fraction:.0%} of the values zeroed, the rest scaled by {scale:.3g}").format(
        fraction=pattern.fraction, scale=pattern.scale)
    if not training:
        raise CheckFailed(_("In eval mode your {what} applies dropout to {where} ({share}; "
                            "{case}): {hint}").format(what=what, where=where, share=share,
                                                      case=case,
                                                      hint=_(backend.eval_dropout_hint)),
                          mistake="dropout-in-eval")
    raise CheckFailed(_(
        "In training mode layer 0 of your {what} receives x with dropout applied ({share}; "
        "{case}): dropout goes only between layers, so the first layer reads x as it is."
    ).format(what=what, share=share, case=case), mistake="dropout-on-input")


def _check_dropout(backend: DeepBackend, pattern: _Dropout | None, count: int, index: int,
                   dropout: float, case: str) -> None:
    """In training mode the input of layer ``index`` > 0 is dropout(p) of the previous outputs."""
    what = "Stacked"
    if pattern is None:
        raise CheckFailed(_(
            "In training mode the input of layer {index} of your {what} is not dropout of "
            "layer {previous}'s outputs ({case}): each value must be 0 or the previous output "
            "times 1/(1 - dropout); pass the previous outputs through self.dropout."
        ).format(index=index, what=what, previous=index - 1, case=case), mistake="dropout-wrong")
    if pattern.is_identity(backend.tolerance):
        raise CheckFailed(_(
            "In training mode layer {index} of your {what} receives layer {previous}'s outputs "
            "without dropout ({case}): pass each layer's outputs through self.dropout before "
            "the next layer reads them."
        ).format(index=index, what=what, previous=index - 1, case=case), mistake="dropout-missing")
    expected_scale = 1.0 / (1.0 - dropout)
    if abs(pattern.scale - expected_scale) > 1e-6 * expected_scale + 10 * backend.tolerance:
        raise CheckFailed(_(
            "In training mode the dropout before layer {index} of your {what} scales the kept "
            "values by {scale:.4g}, but dropout={dropout:g} scales them by "
            "1/(1 - {dropout:g}) = {expected:.4g} ({case}): use self.dropout, made with the "
            "dropout argument."
        ).format(index=index, what=what, scale=pattern.scale, dropout=dropout,
                 expected=expected_scale, case=case), mistake="dropout-scale")
    spread = 5.0 * np.sqrt(dropout * (1.0 - dropout) / count) + 1.0 / count
    if abs(pattern.fraction - dropout) > spread:
        raise CheckFailed(_(
            "In training mode the dropout before layer {index} of your {what} zeroes "
            "{fraction:.0%} of {count} values, far from dropout={dropout:g} ({case}): use "
            "self.dropout, made with the dropout argument."
        ).format(index=index, what=what, fraction=pattern.fraction, count=count,
                 dropout=dropout, case=case), mistake="dropout-rate")


# ---------------------------------------------------------------------------------------------
# The notebooks' functions
# ---------------------------------------------------------------------------------------------


class DeepLessonChecks(PrecisionChecks):
    """Lesson 3's checks (reverse_padded, Bidirectional, Stacked, pooling) for one framework."""

    precise: DeepBackend

    def check_reverse_padded(self, function: Callable[..., Any], *,
                             thorough: bool = False) -> None:
        """Check ``function(x, lengths)``: each sequence reversed within its own length."""
        if thorough:
            note = self._run(check_reverse_padded, function, cases=REVERSE_THOROUGH, seed=11)
        else:
            note = self._run(check_reverse_padded, function)
        passed = (_("✓ {function} reverses each sequence within its own length, leaves the "
                    "padding in place and passes gradients back, on every shape.") if thorough
                  else _("✓ {function} reverses each sequence within its own length, leaves the "
                         "padding in place and passes gradients back."))
        print(passed.format(function=REVERSE) + note)

    def check_bidirectional(self, bidirectional_class: type, *, thorough: bool = False) -> None:
        """Check ``Bidirectional(make_layer, ...)`` against the framework's bidirectional layer."""
        if thorough:
            note = self._run(check_bidirectional, bidirectional_class, traced=TRACED_BIDIRECTIONAL,
                             configs=BIDIRECTIONAL_THOROUGH, cases=DEEP_CASES_THOROUGH, seed=12)
        else:
            note = self._run(check_bidirectional, bidirectional_class,
                             traced=TRACED_BIDIRECTIONAL)
        configs = BIDIRECTIONAL_THOROUGH if thorough else BIDIRECTIONAL_QUICK
        kinds = tuple(dict.fromkeys(config[0] for config in configs))
        passed = (_("✓ Bidirectional returns the same outputs, final states and gradients as "
                    "{reference}, on every shape.") if thorough
                  else _("✓ Bidirectional returns the same outputs, final states and gradients "
                         "as {reference}."))
        print(passed.format(reference=self.precise.bidirectional_reference_name(*kinds)) + note)

    def check_stacked(self, stacked_class: type, bidirectional_class: type | None = None, *,
                      thorough: bool = False) -> None:
        """Check ``Stacked(make_layer, ..., num_layers, dropout)``: against the framework's
        multi-layer layer in eval mode, and where its dropout goes in training; thorough with
        ``bidirectional_class`` also stacks the student's Bidirectional layers (quick too)."""
        if thorough:
            configs = STACKED_THOROUGH + (STACKED_BIDIRECTIONAL if bidirectional_class else ())
            note = self._run(check_stacked, stacked_class, bidirectional_class, configs=configs,
                             cases=STACKED_CASES_THOROUGH, seed=13,
                             traced=TRACED_STACKED)
            kinds = tuple(dict.fromkeys(config[0] for config in configs))
            reference = self.precise.stacked_summary(*kinds)
            passed = (_("✓ Stacked matches {reference} in eval mode, also with your "
                        "Bidirectional layers, and applies dropout only between layers in "
                        "training, on every shape.") if bidirectional_class
                      else _("✓ Stacked matches {reference} in eval mode and applies dropout "
                             "only between layers in training, on every shape."))
        else:
            configs = STACKED_QUICK + (STACKED_BIDIRECTIONAL if bidirectional_class else ())
            note = self._run(check_stacked, stacked_class, bidirectional_class, configs=configs,
                             traced=TRACED_STACKED)
            kinds = tuple(dict.fromkeys(config[0] for config in configs))
            reference = self.precise.stacked_summary(*kinds)
            passed = (_("✓ Stacked matches {reference} in eval mode, also with your "
                        "Bidirectional layers, and applies dropout only between layers in "
                        "training.") if bidirectional_class
                      else _("✓ Stacked matches {reference} in eval mode and applies dropout "
                             "only between layers in training."))
        print(passed.format(reference=reference) + note)

    def check_pooling(self, max_function: Callable[..., Any], mean_function: Callable[..., Any],
                      *, thorough: bool = False) -> None:
        """Check ``max_function(outputs, lengths)`` and ``mean_function(outputs, lengths)``."""
        if thorough:
            note = self._run(check_pooling, max_function, mean_function, cases=POOLING_THOROUGH,
                             seed=14)
        else:
            note = self._run(check_pooling, max_function, mean_function)
        passed = (_("✓ {max} and {mean} pool over each sequence's real steps only, with the "
                    "right gradients, on every shape.") if thorough
                  else _("✓ {max} and {mean} pool over each sequence's real steps only, with "
                         "the right gradients."))
        print(passed.format(max=MAX, mean=MEAN) + note)
