"""Translation: the language a notebook chooses, and the Korean edition of the course.

* :mod:`rnncourse.i18n.language`: ``set_language("ko")`` once at the top of a notebook, and
  :func:`current_language` for everything that speaks to students;
* :mod:`rnncourse.i18n.messages`: ``_("...")``, the library's own messages in that language;
* :mod:`rnncourse.i18n.catalogs`: gettext catalogs (``locale/``) of the notebooks' prose,
  extracted and merged with polib;
* :mod:`rnncourse.i18n.editions`: the translated student notebooks (``lessons/ko``),
  generated from the English ones.

Only the language and message functions are imported here, so a notebook's first cell stays
cheap (no nbformat, no framework).
"""

from rnncourse.i18n.language import (
    LANGUAGES,
    SOURCE_LANGUAGE,
    LanguageError,
    check_language,
    current_language,
    on_language_change,
    resolve_language,
    set_language,
)
from rnncourse.i18n.messages import N_, _, gettext

__all__ = [
    "LANGUAGES",
    "SOURCE_LANGUAGE",
    "LanguageError",
    "N_",
    "_",
    "check_language",
    "current_language",
    "gettext",
    "on_language_change",
    "resolve_language",
    "set_language",
]
