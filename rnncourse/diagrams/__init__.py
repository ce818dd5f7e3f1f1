"""The course's teaching diagrams (RNN, LSTM, GRU, ...), drawn from code in each language.

``python -m rnncourse.diagrams`` writes them to ``figures/<language>/<name>.svg``. Each SVG
carries a digest of what it was drawn from (the drawing modules and that language's labels)
in a comment, so :func:`stale` can tell which committed files are out of date without
redrawing them, whatever matplotlib version renders them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from rnncourse.diagrams import drawing, figures
from rnncourse.diagrams.labels import LABELS
from rnncourse.errors import CourseError
from rnncourse.i18n import LANGUAGES, check_language

#: The diagrams, in the order the lessons use them.
NAMES: tuple[str, ...] = tuple(figures.FIGURES)

#: A short title per diagram and language (the image's alt text).
TITLES: dict[str, dict[str, str]] = {
    name: {language: LABELS[language][f"title:{name}"] for language in LANGUAGES}
    for name in NAMES
}

#: The modules whose bytes decide how a diagram looks.
_SOURCES = (Path(drawing.__file__), Path(figures.__file__))
_MARK = re.compile(r"<!-- rnncourse diagram (\S+) (\S+) sha256:([0-9a-f]{64}) -->")


def _check(name: str, language: str) -> None:
    if name not in figures.FIGURES:
        raise CourseError(f"Unknown diagram {name!r}; choose one of: {', '.join(NAMES)}.")
    check_language(language)


def source_digest(name: str, language: str) -> str:
    """The sha256 hex digest of what diagram ``name`` in ``language`` is drawn from: the
    drawing modules' bytes and that language's labels (not the matplotlib version)."""
    _check(name, language)
    digest = hashlib.sha256(f"{name}\n{language}\n".encode())
    for path in _SOURCES:
        # Line endings normalised: a Windows checkout (autocrlf) is not a changed drawing.
        digest.update(path.read_bytes().replace(b"\r\n", b"\n"))
    digest.update(json.dumps(LABELS[language], sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def svg(name: str, language: str) -> str:
    """Diagram ``name`` (one of :data:`NAMES`) in ``language`` ("en" or "ko") as SVG text,
    with its source digest in a comment after the XML declaration."""
    _check(name, language)
    body = drawing.render(figures.FIGURES[name], LABELS[language], language,
                          title=TITLES[name][language])
    mark = f"<!-- rnncourse diagram {name} {language} sha256:{source_digest(name, language)} -->"
    declaration, newline, rest = body.partition("\n")
    if not declaration.startswith("<?xml"):  # no declaration: the comment goes first
        return f"{mark}\n{body}"
    return f"{declaration}\n{mark}\n{rest}" if newline else f"{declaration}\n{mark}\n"


def _relative(name: str, language: str) -> str:
    return f"{language}/{name}.svg"


def write_all(folder: Path) -> list[Path]:
    """Write every diagram to ``folder/<language>/<name>.svg`` and return the paths written.

    A file whose content is already right is left alone; the others are replaced atomically
    (a temporary file in the same folder, then ``os.replace``)."""
    folder = Path(folder)
    written = []
    for language in LANGUAGES:
        for name in NAMES:
            path = folder / _relative(name, language)
            content = svg(name, language).encode("utf-8")
            if path.is_file() and path.read_bytes() == content:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(content)
                os.chmod(temporary, 0o644)  # mkstemp makes it private; figures are public
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            written.append(path)
    return written


def stale(folder: Path) -> list[str]:
    """The paths, relative to ``folder`` (e.g. ``"ko/lstm-cell.svg"``), of diagrams that are
    missing or whose embedded digest differs from :func:`source_digest`."""
    folder = Path(folder)
    out_of_date = []
    for language in LANGUAGES:
        for name in NAMES:
            relative = _relative(name, language)
            path = folder / relative
            try:
                head = path.read_bytes()[:1000].decode("utf-8", errors="replace")
            except OSError:
                out_of_date.append(relative)
                continue
            found = _MARK.search(head)
            if found is None or found.groups() != (name, language,
                                                    source_digest(name, language)):
                out_of_date.append(relative)
    return out_of_date


__all__ = ["NAMES", "TITLES", "source_digest", "stale", "svg", "write_all"]
