"""rnncourse: the library behind the course's notebooks (data, training, checks, quizzes)."""

from rnncourse.tracebacks import install as _install_short_errors

_install_short_errors()  # in a notebook: errors without the library's frames
