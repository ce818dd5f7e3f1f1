"""Framework-neutral comparison of arrays, with one-sentence verdicts.

Every check converts tensors to float64 NumPy arrays first, so a verdict never
depends on the framework, the device or TF32 matmuls. Verdicts are in the notebook's
language: the names, references and hints given here are looked up in the library's
catalog too (:func:`rnncourse.i18n.gettext`), so a constant marked with ``N_`` is translated
wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnncourse.errors import CheckFailed
from rnncourse.i18n import N_, _

#: Largest relative error accepted between two float64 computations of the same formula.
TOLERANCE = 1e-8
#: The axis names checks pass to :func:`assert_close`, marked for the catalog.
AXIS_NAMES = (N_("sequence"), N_("step"), N_("unit"), N_("example"), N_("feature"),
              N_("layer"), N_("direction"))


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    """Largest absolute difference divided by the largest magnitude (CS231n-style, robust at 0)."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = max(float(np.max(np.abs(expected), initial=0.0)),
                float(np.max(np.abs(got), initial=0.0)))
    diff = float(np.max(np.abs(got - expected), initial=0.0))
    return diff / max(scale, 1e-12)


def describe_index(index: Sequence[int], axes: Sequence[str]) -> str:
    """Turn an array index into words, e.g. ``(1, 4, 0)`` → ``"sequence 1, step 4, unit 0"``."""
    return ", ".join(f"{_(axis)} {i}" for axis, i in zip(axes, index, strict=False))


def joined(names: Sequence[str]) -> str:
    """Names listed in words, for messages: "A", "A and B", "A, B and C"."""
    if len(names) < 2:
        return "".join(names)
    return _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def assert_shape(name: str, got: np.ndarray, expected: tuple[int, ...], hint: str = "", *,
                 plural: bool = False) -> None:
    """Fail with one sentence when ``got`` does not have the expected shape.

    ``plural``: ``name`` is plural ("The outputs of ..."), so the sentence says "have".
    """
    if tuple(got.shape) != tuple(expected):
        tail = f" {_(hint)}" if hint else ""
        sentence = (_("{name} have shape {got} but should have shape {expected}.") if plural
                    else _("{name} has shape {got} but should have shape {expected}."))
        raise CheckFailed(sentence.format(
            name=_(name), got=tuple(got.shape), expected=tuple(expected)) + tail)


def assert_close(
    name: str,
    got: np.ndarray,
    expected: np.ndarray,
    *,
    reference: str,
    axes: Sequence[str] = (),
    step_axis: int | None = None,
    tol: float = TOLERANCE,
    hint: str = "",
    plural: bool = False,
) -> None:
    """Fail with one sentence saying where and by how much ``got`` differs from ``expected``.

    ``axes`` names the dimensions for the message; when ``step_axis`` is given the
    message names the first time step that differs, which is where a bug shows first.
    ``plural``: ``name`` is plural ("Your RNN's outputs"), so the verbs agree with it.
    """
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert_shape(name, got, expected.shape, plural=plural)
    if not np.all(np.isfinite(got)):
        sentence = (_("{name} contain NaN or infinite values; {reference} gives finite ones.")
                    if plural else
                    _("{name} contains NaN or infinite values; {reference} gives finite ones."))
        raise CheckFailed(sentence.format(name=_(name), reference=_(reference)))
    error = relative_error(got, expected)
    if error <= tol:
        return
    diff = np.abs(got - expected)
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-12)
    if step_axis is not None:
        # The first step whose error exceeds the tolerance is where a recurrence goes wrong.
        moved = np.moveaxis(diff, step_axis, 0).reshape(diff.shape[step_axis], -1)
        bad_steps = np.nonzero(moved.max(axis=1) / scale > tol)[0]
        first = int(bad_steps[0])
        sub = np.take(diff, first, axis=step_axis)
        sub_index = list(np.unravel_index(int(np.argmax(sub)), sub.shape))
        index = sub_index[:step_axis] + [first] + sub_index[step_axis:]
        where = describe_index(index, axes) if axes else str(tuple(int(i) for i in index))
        where = _("first at step {step} ({where})").format(step=first, where=where)
    else:
        index = np.unravel_index(int(np.argmax(diff)), diff.shape)
        where = _("at {where}").format(
            where=describe_index(index, axes) if axes else str(tuple(int(i) for i in index)))
    flat = tuple(int(i) for i in index)
    tail = f" {_(hint)}" if hint else ""
    sentence = (_("{name} differ from {reference} {where}: got {got:.6g}, expected "
                  "{expected:.6g} (relative error {error:.1e}, tolerance {tol:.0e}).") if plural
                else _("{name} differs from {reference} {where}: got {got:.6g}, expected "
                       "{expected:.6g} (relative error {error:.1e}, tolerance {tol:.0e})."))
    raise CheckFailed(sentence.format(name=_(name), reference=_(reference), where=where,
                                      got=got[flat], expected=expected[flat], error=error,
                                      tol=tol) + tail)
