"""The check functions the notebooks call, written once; each framework binds its backends.

``thorough=True`` is what the hidden tests use: more sizes and shapes (batch 1, length 1,
long sequences, with and without an initial state) and gradients.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rnncourse.checks import bptt
from rnncourse.checks import rnn as neutral
from rnncourse.checks.backend import Backend
from rnncourse.i18n import _
from rnncourse.quiet import check_quietly

THOROUGH_SIZES = ((1, 1), (3, 4), (4, 4), (6, 3))
THOROUGH_SHAPES = ((1, 1), (1, 6), (3, 1), (4, 9), (2, 30))
LOADING_SIZES = ((1, 1), (4, 4), (6, 3))
LOADING_SHAPES = ((1, 1), (3, 12))


class PrecisionChecks:
    """Runs a lesson's checks for one framework: float64 first, float32 if the student's code
    needs it, quietly (no framework warnings or native log lines in a graded cell).

    Each check prints one line starting with ✓ when it passes, and raises
    :class:`~rnncourse.errors.CheckFailed` with one sentence when it does not.
    """

    def __init__(self, precise: Any, fallback: Any, float32_note: str) -> None:
        self.precise = precise
        self.fallback = fallback
        self.float32_note = float32_note

    def _run(self, check: Callable[..., None], *args: Any,
             traced: dict[str, Any] | None = None, **kwargs: Any) -> str:
        """Run ``check``; return the float32 note (with a newline) when the fallback was used.

        A backend whose framework compiles training (``run_traced``: TensorFlow's
        ``tf.function``) then runs the check once more, on its quick cases (whatever the
        keyword arguments ask, or on ``traced``), the way training runs the code: what fails
        only there is about how the code runs, which one case shows.
        """
        with check_quietly():
            used_fallback = neutral.with_precision_fallback(self.precise, self.fallback, check,
                                                            *args, **kwargs)
            backend = self.fallback if used_fallback else self.precise
            run_traced = getattr(backend, "run_traced", None)
            if run_traced is not None:
                run_traced(check, *args, **(traced or {}))
        return "\n" + _(self.float32_note) if used_fallback else ""


class LessonChecks(PrecisionChecks):
    """Lesson 1's checks (RNN cell, RNN layer, classifier, weight loading) for one framework."""

    precise: Backend

    def check_rnn_cell(self, cell_class: type, *, thorough: bool = False) -> None:
        """Check an RNN cell ``cell_class(input_size, hidden_size)`` against the built-in cell."""
        if thorough:
            note = self._run(neutral.check_rnn_cell, cell_class, sizes=THOROUGH_SIZES,
                             batch_sizes=(1, 3, 8), gradients=True, seed=1)
        else:
            note = self._run(neutral.check_rnn_cell, cell_class)
        passed = (_("✓ RNNCell computes the same states as {reference} on every shape, with "
                    "the same gradients.") if thorough
                  else _("✓ RNNCell computes the same states as {reference}."))
        print(passed.format(reference=self.precise.reference_cell_name) + note)

    def check_rnn_layer(self, layer_class: type, *, thorough: bool = False) -> None:
        """Check an unrolled RNN ``layer_class(input_size, hidden_size)`` against the built-in."""
        if thorough:
            note = self._run(neutral.check_rnn_layer, layer_class, sizes=THOROUGH_SIZES[1:],
                             shapes=THOROUGH_SHAPES, gradients=True, seed=2)
        else:
            note = self._run(neutral.check_rnn_layer, layer_class)
        passed = (_("✓ RNN returns the same outputs and final state as {reference} on every "
                    "shape, with the same gradients.") if thorough
                  else _("✓ RNN returns the same outputs and final state as {reference}."))
        print(passed.format(reference=self.precise.reference_layer_name) + note)

    def check_classifier(self, model_class: type, *, thorough: bool = False) -> None:
        """Check ``model_class(vocab_size, embed_size, hidden_size, num_classes)``."""
        note = (self._run(neutral.check_classifier, model_class, seed=3) if thorough
                else self._run(neutral.check_classifier, model_class))
        passed = _("✓ The classifier returns one logit per class, ignores padding and trains "
                   "every {word}.")
        print(passed.format(word=_(self.precise.parameter_word)) + note)

    def check_weight_loading(self, cell_class: type, load_function: Callable[[Any, Any], Any],
                             *, thorough: bool = False) -> None:
        """Check ``load_function(cell, builtin_layer)`` against the loaded built-in layer."""
        if thorough:
            note = self._run(neutral.check_weight_loading, cell_class, load_function,
                             sizes=LOADING_SIZES, shapes=LOADING_SHAPES, seed=4)
        else:
            note = self._run(neutral.check_weight_loading, cell_class, load_function)
        print(_("✓ With the loaded weights your cell reproduces {reference} step by "
                "step.").format(reference=self.precise.reference_layer_name) + note)

    def check_rnn_backward(self, rnn_backward: Callable[..., Any], *,
                           thorough: bool = False) -> None:
        """Check the NumPy ``rnn_backward`` against autograd through the framework's RNN layer.

        It runs in float64 only: the student's code is NumPy, so the framework's precision
        cannot change what it computes.
        """
        shapes = bptt.THOROUGH_SHAPES if thorough else bptt.QUICK_SHAPES
        with check_quietly():
            bptt.check_rnn_backward(self.precise, rnn_backward, shapes=shapes,
                                    seed=5 if thorough else 0)
        print(_("✓ rnn_backward returns the same gradients as autograd through {reference}, "
                "for X, S0, W, H and b.").format(reference=self.precise.reference_layer_name))
