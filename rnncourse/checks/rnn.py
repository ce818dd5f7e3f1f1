"""Checks for Lesson 1 (the RNN cell), written once for both frameworks.

A framework ``Backend`` (see :mod:`rnncourse.checks.backend`) builds the student's
modules in float64 and runs them on NumPy inputs; everything here is NumPy.

The checks never assume how a student lays out the weights. A correct cell computes
``tanh(x·W + s·H + b)``, so feeding it unit vectors reveals its *effective* W, H and
b; those are then copied into the framework's own layer (``nn.RNN`` /
``keras.layers.SimpleRNN``), and the two must agree on random inputs, in outputs and
in gradients. A transposed layout, one fused matrix, two biases, einsum or a loop all
pass; a missing tanh, a forgotten state or a detached graph fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rnncourse.checks.backend import Backend
from rnncourse.checks.compare import assert_close, assert_shape
from rnncourse.errors import CheckFailed
from rnncourse.i18n import N_, _

StepFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: The names of what Lesson 1 checks, as messages show them (translated where shown).
RNN_LAYER, CLASSIFIER = N_("RNN layer"), N_("classifier")
ONE_STEP = N_("RNN layer run for one step")


def _close(backend: Backend, *args: Any, **kwargs: Any) -> None:
    """``assert_close`` at the backend's tolerance (float64 or, as a fallback, float32)."""
    assert_close(*args, tol=backend.tolerance, **kwargs)


def _small_uniform(
    rng: np.random.Generator, input_size: int, hidden_size: int
) -> Callable[[tuple[int, ...]], np.ndarray]:
    """Random weights small enough that tanh is far from saturation (atanh stays exact)."""
    scale = 0.5 / np.sqrt(input_size + hidden_size)
    return lambda shape: rng.uniform(-scale, scale, size=shape)


def parameter_count_ok(count: int, input_size: int, hidden_size: int) -> bool:
    """True when ``count`` fits W, H and one bias (or PyTorch's two biases)."""
    weights = input_size * hidden_size + hidden_size * hidden_size
    return count in (weights + hidden_size, weights + 2 * hidden_size)


def _check_parameter_count(backend: Backend, module: Any, what: str, e: int, h: int) -> None:
    sizes = backend.parameter_sizes(module)
    if not sizes:
        raise CheckFailed(_("Your {what} has no trainable parameters.").format(what=_(what))
                          + f" {_(backend.parameter_hint)}", mistake="unregistered-parameters")
    count = sum(sizes.values())
    if not parameter_count_ok(count, e, h):
        listed = ", ".join(f"{name} {size}" for name, size in sizes.items())
        raise CheckFailed(_(
            "Your {what} with input size {e} and hidden size {h} has {count} parameters "
            "({listed}), but W ({e}×{h}), H ({h}×{h}) and b ({h}) make {total}."
        ).format(what=_(what), e=e, h=h, count=count, listed=listed, total=e * h + h * h + h),
                          mistake="parameter-count")


def effective_weights(
    step: StepFn, input_size: int, hidden_size: int, what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recover W (E×H), H (H×H) and b (H) of a step ``s_new = tanh(x·W + s·H + b)``.

    Row 0 of the probe batch is all zeros (gives b), the next E rows are unit inputs
    (rows of W), the last H rows are unit states (rows of H).
    """
    e, h = input_size, hidden_size
    x = np.zeros((1 + e + h, e))
    s = np.zeros((1 + e + h, h))
    x[1 : 1 + e] = np.eye(e)
    s[1 + e :] = np.eye(h)
    out = step(x, s)
    assert_shape(_("The output of your {what}").format(what=_(what)), out, (1 + e + h, h))
    if not np.all(np.isfinite(out)):
        raise CheckFailed(_("Your {what} returns NaN or infinite values for small "
                            "inputs.").format(what=_(what)), mistake="nan-values")
    largest = float(np.max(np.abs(out)))
    if largest >= 1.0:
        raise CheckFailed(_(
            "Your {what} returns values as large as {largest:.3g}, but tanh keeps every state "
            "strictly between -1 and 1: apply tanh to x·W + s·H + b."
        ).format(what=_(what), largest=largest), mistake="no-tanh")
    pre = np.arctanh(out)
    b = pre[0]
    w = pre[1 : 1 + e] - b
    hh = pre[1 + e :] - b
    if np.max(np.abs(w)) < 1e-12:
        raise CheckFailed(_("Your {what} ignores its input x: the output does not change with "
                            "x.").format(what=_(what)), mistake="ignores-input")
    if np.max(np.abs(hh)) < 1e-12:
        raise CheckFailed(_("Your {what} ignores the previous state: the output does not "
                            "change with the state.").format(what=_(what)),
                          mistake="ignores-state")
    return w, hh, b


class _GradientTracker:
    """Remembers which parameters ever received a non-zero gradient across all cases.

    One case alone can leave a parameter legitimately at zero (H after a single step
    from a zero state), so a parameter is blamed only if no case reached it.
    """

    def __init__(self) -> None:
        self.reached: dict[str, bool] = {}

    def add(self, grads: dict[str, Any]) -> None:
        for name, grad in grads.items():
            hit = grad is not None and bool(np.any(grad))
            self.reached[name] = self.reached.get(name, False) or hit

    def check(self, backend: Backend, what: str) -> None:
        for name, hit in self.reached.items():
            if not hit:
                raise CheckFailed(_("The parameter {name} of your {what} receives no "
                                    "gradient.").format(name=repr(name), what=_(what))
                                  + f" {_(backend.grad_hint)}", mistake="unused-parameter")


def _check_gradients_present(backend: Backend, what: str, grads: dict[str, Any]) -> None:
    tracker = _GradientTracker()
    tracker.add(grads)
    tracker.check(backend, what)


def check_rnn_cell(
    backend: Backend,
    cell_class: type,
    *,
    sizes: Sequence[tuple[int, int]] = ((3, 4),),
    batch_sizes: Sequence[int] = (2,),
    gradients: bool = True,
    seed: int = 0,
) -> None:
    """Compare a student's RNN cell with the framework's own cell; raise CheckFailed if not equal.

    ``sizes`` are (input size, hidden size) pairs; ``batch_sizes`` the batches tried.
    """
    rng = np.random.default_rng(seed)
    what = "RNNCell"
    for e, h in sizes:
        cell = backend.build(cell_class, e, h)
        out = backend.run_cell(cell, np.zeros((2, e)), np.zeros((2, h))).output
        assert_shape(N_("RNNCell's output for a batch of 2"), out, (2, h),
                     hint=N_("It should be the new state, one row of hidden_size values per "
                             "example."))
        _check_parameter_count(backend, cell, what, e, h)
        backend.assert_no_builtin_rnn(cell, what)

        # A small known value: with every parameter zero the new state is tanh(0) = 0.
        backend.fill_parameters(cell, lambda shape: np.zeros(shape))
        zero_out = backend.run_cell(cell, rng.normal(size=(3, e)), rng.normal(size=(3, h))).output
        if np.max(np.abs(zero_out)) > 1e-12:
            raise CheckFailed(_("With every parameter set to zero your RNNCell returns values "
                                "up to {largest:.3g}, but tanh(x·0 + s·0 + 0) is 0.").format(
                largest=float(np.max(np.abs(zero_out)))), mistake="nonzero-at-zero-weights")

        backend.fill_parameters(cell, _small_uniform(rng, e, h))
        w, hh, b = effective_weights(
            lambda x, s, c=cell: backend.run_cell(c, x, s).output, e, h, what)
        for batch in batch_sizes:
            x = rng.normal(size=(batch, e))
            s = rng.uniform(-1, 1, size=(batch, h))
            g = rng.normal(size=(batch, h)) if gradients else None
            got = backend.run_cell(cell, x, s, g)
            ref = backend.reference_cell(w, hh, b, x, s, g)
            _close(backend, _("RNNCell's new state (batch {batch}, input {e}, hidden "
                              "{h})").format(batch=batch, e=e, h=h),
                         got.output, ref.output, reference=backend.reference_cell_name,
                         axes=("example", "unit"),
                         hint=N_("The new state must be tanh(x·W + s·H + b)."))
            if gradients:
                _close(backend, N_("The gradient of the loss with respect to x"), got.grad_x,
                       ref.grad_x, reference=backend.reference_cell_name,
                       axes=("example", "feature"), hint=backend.grad_hint)
                _close(backend, N_("The gradient of the loss with respect to the state"),
                             got.grad_state, ref.grad_state, reference=backend.reference_cell_name,
                             axes=("example", "unit"), hint=backend.grad_hint)
                _check_gradients_present(backend, what, got.grad_params)


def check_rnn_layer(
    backend: Backend,
    layer_class: type,
    *,
    sizes: Sequence[tuple[int, int]] = ((3, 4),),
    shapes: Sequence[tuple[int, int]] = ((2, 5),),
    initial_states: Sequence[bool] = (False, True),
    gradients: bool = True,
    seed: int = 0,
) -> None:
    """Compare a student's unrolled RNN layer with the framework's RNN layer.

    ``shapes`` are (batch, sequence length) pairs; ``initial_states`` says whether to
    call the layer without an initial state (zeros), with one, or both.
    """
    rng = np.random.default_rng(seed)
    what = RNN_LAYER
    reference = backend.reference_layer_name
    for e, h in sizes:
        layer = backend.build(layer_class, e, h)
        first = backend.run_layer(layer, np.zeros((2, 3, e)), None)
        assert_shape(N_("The outputs of your RNN for a batch of 2 sequences of length 3"),
                     first.outputs, (2, 3, h), hint=N_(
                         "Return (outputs, final_state), outputs holding the state after every "
                         "step: (batch, steps, hidden_size)."), plural=True)
        assert_shape(N_("The final state of your RNN for a batch of 2"), first.final, (2, h))
        _check_parameter_count(backend, layer, what, e, h)
        backend.assert_no_builtin_rnn(layer, what)
        backend.fill_parameters(layer, _small_uniform(rng, e, h))

        def one_step(x: np.ndarray, s: np.ndarray, lay: Any = layer) -> np.ndarray:
            return backend.run_layer(lay, x[:, None, :], s).final

        try:
            w, hh, b = effective_weights(one_step, e, h, ONE_STEP)
        except CheckFailed as failure:
            if failure.mistake != "ignores-state":  # told apart by id: the text is translated
                raise
            raise CheckFailed(_(
                "Your RNN layer ignores initial_state: the final state after one step does not "
                "change when initial_state does."), mistake="ignores-initial-state") from None

        tracker = _GradientTracker()
        for batch, steps in shapes:
            for with_state in initial_states:
                x = rng.normal(size=(batch, steps, e))
                s0 = rng.uniform(-1, 1, size=(batch, h)) if with_state else None
                g_out = rng.normal(size=(batch, steps, h)) if gradients else None
                g_fin = rng.normal(size=(batch, h)) if gradients else None
                got = backend.run_layer(layer, x, s0, g_out, g_fin)
                ref = backend.reference_layer(w, hh, b, x, s0, g_out, g_fin)
                case = (_("batch {batch}, length {steps}, with an initial state") if with_state
                        else _("batch {batch}, length {steps}, without an initial state")).format(
                    batch=batch, steps=steps)
                _close(backend, _("Your RNN's outputs ({case})").format(case=case), got.outputs,
                             ref.outputs, reference=reference, axes=("sequence", "step", "unit"),
                             step_axis=1, plural=True,
                             hint=N_("Each step must feed the previous state into the cell and "
                                     "the first step must start from initial_state.")
                             if with_state else N_("Each step must feed the previous state into "
                                                   "the cell, starting from zeros."))
                _close(backend, _("Your RNN's final state ({case})").format(case=case), got.final,
                             ref.final, reference=reference, axes=("sequence", "unit"),
                             hint=N_("The final state is the state after the last step."))
                if gradients:
                    _close(backend, _("The gradient with respect to x ({case})").format(
                                     case=case), got.grad_x,
                                 ref.grad_x, reference=reference,
                                 axes=("sequence", "step", "feature"), step_axis=1,
                                 hint=backend.grad_hint)
                    if with_state:
                        _close(backend, _("The gradient with respect to initial_state "
                                          "({case})").format(case=case),
                                     got.grad_state, ref.grad_state, reference=reference,
                                     axes=("sequence", "unit"), hint=backend.grad_hint)
                    tracker.add(got.grad_params)
        if gradients:
            tracker.check(backend, what)


def check_weight_loading(
    backend: Backend,
    cell_class: type,
    load_function: Callable[[Any, Any], Any],
    *,
    sizes: Sequence[tuple[int, int]] = ((3, 4),),
    shapes: Sequence[tuple[int, int]] = ((2, 5),),
    seed: int = 0,
) -> None:
    """Load a random framework RNN layer into the student's cell and compare the outputs."""
    rng = np.random.default_rng(seed)
    name = getattr(load_function, "__name__", None) or _("your loading function")
    for e, h in sizes:
        layer = backend.random_reference_layer(e, h, rng)
        cell = backend.build(cell_class, e, h)
        backend.run_cell(cell, np.zeros((1, e)), np.zeros((1, h)))
        # Scramble the cell first, so weights that were never loaded cannot pass by luck.
        backend.fill_parameters(cell, lambda shape: rng.uniform(-2, 2, size=shape))
        try:
            load_function(cell, layer)
        except (CheckFailed, NotImplementedError):
            raise
        except Exception as error:  # the student's own error, shown with the layout hint
            raise CheckFailed(_("{name} raised {error_type} ({error}); {hint}").format(
                name=name, error_type=type(error).__name__, error=error_summary(error),
                hint=_(backend.loading_hint)), mistake="loading-error") from error
        for batch, steps in shapes:
            x = rng.normal(size=(batch, steps, e))
            expected = backend.run_reference_object(layer, x)
            state = np.zeros((batch, h))
            states = []
            for t in range(steps):
                state = backend.run_cell(cell, x[:, t], state).output
                states.append(state)
            got = np.stack(states, axis=1)
            _close(backend, _("After {name}, your cell unrolled over a batch of {batch} (input "
                              "{e}, hidden {h})").format(name=name, batch=batch, e=e, h=h),
                         got, expected, reference=backend.reference_layer_name,
                         axes=("sequence", "step", "unit"), step_axis=1,
                         hint=backend.loading_hint)


@dataclass
class PaddingChange:
    """Sequence ``row`` (``length`` real tokens) gets other logits in a batch ``width`` wide."""

    row: int
    length: int
    width: int
    #: Largest change of a logit, relative to the largest logit of the sequence alone (or 1).
    change: float


def find_padding_change(
    backend: Backend, model: Any, ids: np.ndarray, lengths: Sequence[int], widths: Sequence[int]
) -> PaddingChange | None:
    """The first sequence whose logits differ between alone (unpadded) and in a padded batch.

    ``ids`` holds one sequence per row, padded with 0 after its ``lengths[row]`` tokens; the
    batch is run padded to each of ``widths`` (≥ ``ids.shape[1]``) and each sequence alone.
    """
    batches = []
    for width in widths:
        padded = np.zeros((ids.shape[0], width), dtype=ids.dtype)
        padded[:, : ids.shape[1]] = ids
        batches.append((backend.run_classifier(model, padded).output, width))
    for row, length in enumerate(lengths):
        alone = backend.run_classifier(model, ids[row : row + 1, :length]).output[0]
        scale = max(1.0, float(np.max(np.abs(alone))))
        for logits, width in batches:
            change = float(np.max(np.abs(logits[row] - alone))) / scale
            if change > backend.tolerance:
                return PaddingChange(row, length, width, change)
    return None


def fail_if_probabilities(logits: np.ndarray) -> None:
    """Fail when a classifier's outputs are softmax probabilities rather than logits.

    The training loss applies the softmax itself (``from_logits=True``,
    ``nn.CrossEntropyLoss``): probabilities fed to it train far worse, and silently.
    """
    if (logits.ndim == 2 and logits.shape[1] > 1 and np.all(logits >= 0) and np.all(logits <= 1)
            and np.allclose(logits.sum(axis=1), 1.0, rtol=0, atol=1e-6)):
        raise CheckFailed(_(
            "Your classifier returns probabilities (every row is between 0 and 1 and sums to 1): "
            "return the scores before the softmax (logits), because the training loss applies "
            "the softmax itself."), mistake="probabilities")


def _fail_if_first_token_only(backend: Backend, model: Any, ids: np.ndarray,
                              lengths: Sequence[int], logits: np.ndarray,
                              rng: np.random.Generator, vocab_size: int) -> None:
    """Fail when the logits stay the same although every token after the first changed.

    Position 0 is real in every sequence, so a classifier that reads it passes the padding
    test; with every later token replaced, a classifier that reads the last one must change.
    """
    changed = ids.copy()
    for row, length in enumerate(lengths):
        # A different token at each later real position (ids 0 and 1 are padding and unknown).
        changed[row, 1:length] = (ids[row, 1:length] - 2 + rng.integers(
            1, vocab_size - 2, size=length - 1)) % (vocab_size - 2) + 2
    scale = max(1.0, float(np.max(np.abs(logits))))
    after = backend.run_classifier(model, changed).output
    if float(np.max(np.abs(after - logits))) / scale <= backend.tolerance:
        raise CheckFailed(_(
            "Your classifier's logits stay the same when every token after each sequence's "
            "first one changes: it reads the state at position 0; classify from the state at "
            "each sequence's last real token (position length - 1)."), mistake="first-token")


def check_classifier(
    backend: Backend,
    model_class: type,
    *,
    vocab_size: int = 30,
    embed_size: int = 5,
    hidden_size: int = 6,
    num_classes: int = 4,
    gradients: bool = True,
    seed: int = 0,
) -> None:
    """Check a classifier's shapes, its own-RNN rule, padding invariance and gradient flow."""
    rng = np.random.default_rng(seed)
    model = backend.build(model_class, vocab_size, embed_size, hidden_size, num_classes)
    lengths = [5, 2, 7]
    ids = np.zeros((3, 7), dtype=np.int64)
    for row, length in enumerate(lengths):
        ids[row, :length] = rng.integers(2, vocab_size, size=length)
    logits = backend.run_classifier(model, ids).output
    assert_shape(N_("The logits of your classifier for 3 sequences"), logits, (3, num_classes),
                 hint=N_("Return one score per class for each sequence, before any softmax."),
                 plural=True)
    backend.assert_no_builtin_rnn(model, CLASSIFIER)
    backend.fill_parameters(model, _small_uniform(rng, embed_size // 4, hidden_size // 4))
    logits = backend.run_classifier(model, ids).output
    fail_if_probabilities(logits)
    _fail_if_first_token_only(backend, model, ids, lengths, logits, rng, vocab_size)
    change = find_padding_change(backend, model, ids, lengths, (7, 12))
    if change is not None:
        raise CheckFailed(_(
            "The logits of sequence {row} (length {length}) change when its batch is padded to "
            "length {width}: classify from the state at each sequence's last real token "
            "(position length - 1), not from the last padded step."
        ).format(row=change.row, length=change.length, width=change.width),
                          mistake="padding-changes-logits")
    if gradients:
        run = backend.run_classifier(model, ids, rng.normal(size=(3, num_classes)))
        _check_gradients_present(backend, CLASSIFIER, run.grad_params)


def looks_like_precision_mix(error: BaseException) -> bool:
    """True for the frameworks' errors about mixing float32 and float64 tensors."""
    text = str(error).lower()
    return "float" in text and any(
        word in text for word in ("double", "float64", "same dtype", "scalar type", "dtype"))


def error_summary(error: BaseException, limit: int = 160) -> str:
    """The student's error in one short line, for a message that quotes it.

    Keras appends the variable itself, values and all, to its assignment errors: that part
    is left out, and whatever remains is cut at ``limit`` characters.
    """
    text = str(error)
    for tail in ("Target variable:", "<Variable ", "<tf.Variable "):
        if tail in text:
            text = text[: text.index(tail)]
    text = " ".join(text.split()).rstrip(" .")
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: How TensorFlow and PyTorch word a float tensor meeting an integer one.
_INTEGER_MIXES = (
    r"tf\.(float|double|bfloat)\w* != tf\.u?int\d+", r"tf\.u?int\d+ != tf\.(float|double)",
    r"(double|float|half) tensor but is a u?int\d+ tensor",
    r"u?int\d+ tensor but is a (double|float|half) tensor",
    r"expected scalar type (double|float) but found (long|int)",
)


def looks_like_integer_mix(error: BaseException) -> bool:
    """True for the frameworks' errors about a float tensor combined with an integer one."""
    text = str(error).lower().split("arguments received")[0]  # Keras appends the inputs
    return any(re.search(pattern, text) for pattern in _INTEGER_MIXES)


def with_precision_fallback(
    precise: Backend, fallback: Backend, check: Callable[..., None], *args: Any, **kwargs: Any
) -> bool:
    """Run ``check`` in float64; if the student's code mixes in float32 tensors, run it in float32.

    Code such as ``tf.zeros(...)`` or ``x.float()`` is right in training (float32) yet
    clashes with float64 inputs; such code is checked in float32, at a looser tolerance,
    rather than failed. Returns True when the fallback was used.
    """
    try:
        check(precise, *args, **kwargs)
        return False
    except CheckFailed:
        raise
    except Exception as error:
        if looks_like_integer_mix(error):
            # float32 would clash with the integers just the same: say what to change instead.
            detail = error_summary(error, limit=120)
            raise CheckFailed(_(
                "Your code divides or multiplies a float tensor by an integer one ({detail}): "
                "convert the integers first, e.g. {cast}."
            ).format(detail=detail, cast=precise.integer_cast_text),
                              mistake="integer-mix") from error
        if not looks_like_precision_mix(error):
            raise
    check(fallback, *args, **kwargs)
    return True


def check_accuracy(accuracy: float, minimum: float, what: str = N_("test accuracy")) -> None:
    """Fail with one sentence when a trained model's accuracy is below ``minimum``; print one
    line when it is not."""
    if not np.isfinite(accuracy) or accuracy < minimum:
        raise CheckFailed(_(
            "Your model's {what} is {accuracy:.4f}, below the {minimum:.2f} this exercise "
            "requires (4 classes: chance is 0.25); train it again or check the model."
        ).format(what=_(what), accuracy=accuracy, minimum=minimum), mistake="low-accuracy")
    print(_("✓ Your model's {what} is {accuracy:.4f}, at least the {minimum:.2f} this "
            "exercise requires.").format(what=_(what), accuracy=accuracy, minimum=minimum))
