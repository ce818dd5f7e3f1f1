"""The library's own messages in the notebook's language: ``_("...")``, gettext style.

The English text is the key, as in gettext: ``_("epoch {epoch}/{epochs}").format(...)``
looks the text up in ``rnncourse/locale/<language>/LC_MESSAGES/rnncourse.po`` (read with
polib, shipped with the package) and falls back to the English when it has no current
translation. Parameters stay in ``{}`` fields filled by ``.format`` after translation, so a
translation may reorder them. ``N_("...")`` marks a text for the catalog where it is
defined (a constant, a hint) and :func:`gettext` translates it where it is shown.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import polib

from rnncourse.errors import CourseError
from rnncourse.i18n.language import SOURCE_LANGUAGE, resolve_language

#: The library's catalogs: ``<language>/LC_MESSAGES/rnncourse.po``, and ``rnncourse.pot``.
LOCALE = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "rnncourse"


def message_catalog_path(language: str) -> Path:
    """Where the library's catalog for ``language`` lives inside the package."""
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(language: str) -> dict[str, str]:
    path = message_catalog_path(language)
    if not path.is_file():
        return {}  # no catalog: everything stays English, as gettext does
    try:
        catalog = polib.pofile(str(path), encoding="utf-8")
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise CourseError(f"The library's {language} messages in {path} cannot be read "
                          f"({error}); reinstall rnncourse.") from error
    return {entry.msgid: entry.msgstr for entry in catalog if entry.translated()}


def gettext(message: str, language: str | None = None) -> str:
    """``message`` in ``language`` (default: the notebook's), or as it is if untranslated."""
    language = resolve_language(language)
    if language == SOURCE_LANGUAGE:
        return message
    return _translations(language).get(message, message)


#: The usual short name; ``from rnncourse.i18n import _``.
_ = gettext


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name
    """Mark ``message`` for the catalog without translating it (``gettext_noop``)."""
    return message


def reload_messages() -> None:
    """Forget the catalogs read so far (after a catalog changed on disk)."""
    _translations.cache_clear()
