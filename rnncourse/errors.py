"""Exceptions the course raises on purpose, each with a one-sentence message."""

from __future__ import annotations


class CourseError(Exception):
    """Base class: something the user can fix, explained in one sentence."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows: the sentence, without the library's frames."""
        from rnncourse.tracebacks import render

        return render(self)


class DataError(CourseError):
    """A data file is missing, corrupt or cannot be downloaded."""


class CheckFailed(AssertionError):
    """A student's implementation differs from the reference; the message says how.

    ``mistake`` is the id of the classic mistake the check recognised, from
    :data:`rnncourse.checks.mistakes.CATALOGUE`, or None when the message names a symptom.
    """

    def __init__(self, message: str = "", mistake: str | None = None) -> None:
        super().__init__(message)
        self.mistake = mistake

    def _render_traceback_(self) -> list[str]:
        """What IPython shows: the sentence, after the student's own frames if their code
        raised the error the check reports."""
        from rnncourse.tracebacks import render

        return render(self)
