"""Short errors in a notebook: a failed check is its sentence, and the course's frames are hidden.

A check that fails raises :class:`~rnncourse.errors.CheckFailed`, whose message says what
differs; a bad input raises :class:`~rnncourse.errors.CourseError`, whose message says what to
do. Either way the frames of this library between the student's cell and that sentence only
bury it (a 45-line traceback in JupyterLab and in nbgrader's Validate dialog). In an IPython
kernel the course therefore shows those errors as their sentence alone, and any other error
without the library's frames, so that an error in the student's own code, even one a check
called, still shows the student's lines.
"""

from __future__ import annotations

import os
import types
from pathlib import Path
from typing import Any

#: Frames from files under this folder are the course's own.
PACKAGE = str(Path(__file__).resolve().parent) + os.sep
_RED, _RESET = "\x1b[0;31m", "\x1b[0m"


def is_ours(filename: str) -> bool:
    """Whether ``filename`` is a file of this library."""
    return filename.startswith(PACKAGE)


def sentence_lines(error: BaseException) -> list[str]:
    """An error shown as its type and its sentence; a named mistake's title comes between."""
    name = f"{_RED}{type(error).__name__}{_RESET}"
    mistake = getattr(error, "mistake", None)
    if mistake is not None:
        from rnncourse.checks.mistakes import label  # here: it needs the translations

        name += label(mistake)
    return [f"{name}: {error}"]


def without_our_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The same traceback without the frames of this library's files."""
    kept: list[types.TracebackType] = []
    while tb is not None:
        if not is_ours(tb.tb_frame.f_code.co_filename):
            kept.append(tb)
        tb = tb.tb_next
    trimmed = None
    for entry in reversed(kept):
        trimmed = types.TracebackType(trimmed, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return trimmed


def _formatted(error: BaseException, tb: types.TracebackType) -> list[str]:
    """``error`` with the frames of ``tb``, formatted as the kernel formats tracebacks."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return list(shell.InteractiveTB.structured_traceback(type(error), error, tb,
                                                                 tb_offset=0))
    except Exception:  # noqa: S110  (any failure: fall back to the standard formatting)
        pass
    import traceback

    return "".join(traceback.format_exception(type(error), error, tb)).splitlines()


def render(error: BaseException) -> list[str]:
    """What a notebook shows for a course error: its sentence, after its cause's frames in the
    student's code when the student's code raised it (a check that called it says so)."""
    cause = error.__cause__
    student_frames = without_our_frames(cause.__traceback__) if cause is not None else None
    if cause is None or student_frames is None:
        return sentence_lines(error)
    return [*_formatted(cause, student_frames), "", *sentence_lines(error)]


def _innermost(tb: types.TracebackType) -> types.TracebackType:
    """The entry of ``tb`` where the error was raised."""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb


def unwritten_stub(error: BaseException, tb: types.TracebackType | None) -> str | None:
    """The sentence for an exercise the student has not written yet, else None.

    That is a bare ``raise NotImplementedError()``, the placeholder every exercise starts
    with, raised in the student's own code: a whole traceback would only point at it.
    """
    if type(error) is not NotImplementedError or error.args or tb is None:
        return None
    tb = _innermost(tb)
    code = tb.tb_frame.f_code
    if is_ours(code.co_filename):
        return None
    from rnncourse.i18n import _  # here: importing rnncourse must not need polib (the grader)

    name = getattr(code, "co_qualname", code.co_name)  # co_qualname: Python 3.11+
    where = _("a cell") if name == "<module>" else name
    return _("{where} is not written yet: replace `raise NotImplementedError()` (line {line} "
             "of its cell) with your code.").format(where=where, line=tb.tb_lineno)


def undefined_name(error: BaseException, tb: types.TracebackType | None) -> str | None:
    """The sentence for a name a cell uses at its top level that nothing defined, else None.

    Mostly a cell run before the cell that defines the name (or after that cell failed), as
    when Run All stops at an unwritten exercise; a traceback would only repeat the line.
    """
    if type(error) is not NameError or tb is None:
        return None
    tb = _innermost(tb)
    if tb.tb_frame.f_code.co_name != "<module>" or is_ours(tb.tb_frame.f_code.co_filename):
        return None
    from rnncourse.i18n import _

    return _("{error}: check its spelling, and run the cells above this one first (if one of "
             "them failed, fix it and run it again).").format(error=error)


def _show(shell: Any, etype: type, value: BaseException, tb: types.TracebackType | None,
          tb_offset: int | None = None) -> None:
    """IPython's custom exception handler: the usual display, minus the course's frames."""
    sentence = unwritten_stub(value, tb) or undefined_name(value, tb)
    if sentence is not None:
        shell._showtraceback(etype, value, [f"{_RED}{etype.__name__}{_RESET}: {sentence}"])
        return
    shell.showtraceback((etype, value, without_our_frames(tb)), tb_offset=tb_offset)


def install() -> bool:
    """Hide the course's frames in this IPython kernel, if there is one; returns whether it does.

    A shell that already has another extension's custom exception handler keeps it.
    """
    import sys

    if "IPython" not in sys.modules:  # a plain script or the grader's process
        return False
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    if getattr(shell, "_rnncourse_short_errors", False):
        return True
    if shell.custom_exceptions:
        return False
    shell.set_custom_exc((Exception,), _show)
    shell._rnncourse_short_errors = True
    return True
