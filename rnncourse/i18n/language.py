"""The language a notebook chose, once at its top: ``set_language("ko")``.

Everything that speaks to students (quizzes, check messages, progress lines, plot fonts) asks
:func:`current_language` when it is not given a language explicitly. The choice lives in this
process only: a notebook's kernel, or one test.
"""

from __future__ import annotations

from collections.abc import Callable

from rnncourse.errors import CourseError

#: The languages the course speaks; the first is the one everything is written in.
LANGUAGES: tuple[str, ...] = ("en", "ko")
#: The language of the sources (solutions, library messages); the others are translations.
SOURCE_LANGUAGE = LANGUAGES[0]

_current = SOURCE_LANGUAGE
_listeners: list[Callable[[str], None]] = []


class LanguageError(CourseError, ValueError):
    """An unknown language code (a ValueError too, as the quiz functions always raised)."""


def check_language(language: str) -> str:
    """Return ``language`` if the course speaks it, else raise :class:`LanguageError`."""
    if language not in LANGUAGES:
        raise LanguageError(
            f"Unknown language {language!r}; choose one of: {', '.join(LANGUAGES)}."
        )
    return language


def set_language(language: str) -> None:
    """Choose the language of quizzes, messages, progress output and plots.

    Returns nothing, so the notebook cell that calls it shows no output.
    """
    global _current
    _current = check_language(language)
    for listener in list(_listeners):
        listener(_current)


def current_language() -> str:
    """The language chosen with :func:`set_language` (English until one is chosen)."""
    return _current


def resolve_language(language: str | None) -> str:
    """``language`` checked, or the current language when it is None."""
    return _current if language is None else check_language(language)


def on_language_change(listener: Callable[[str], None]) -> None:
    """Call ``listener(language)`` now and whenever :func:`set_language` runs.

    Modules that keep global state per language (matplotlib's fonts) register here, so the
    one call at the top of a notebook reaches them whether they were imported before or after.
    """
    if listener not in _listeners:
        _listeners.append(listener)
    listener(_current)
