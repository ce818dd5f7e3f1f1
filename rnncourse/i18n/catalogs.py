"""Gettext catalogs of the notebooks' prose, one per lesson, read and written with polib.

Relative to the course root::

    locale/<lesson>.pot                          the template: one entry per markdown cell text
    locale/<language>/LC_MESSAGES/<lesson>.po    its translation (Korean: locale/ko/...)

A lesson is an assignment without its framework suffix (``01-rnn`` for ``01-rnn-pytorch`` and
``01-rnn-tensorflow``): both frameworks share one catalog, so prose the two notebooks have in
common is translated once. An entry's msgid is a markdown cell's source exactly as nbformat
reads it; its references (``#:``) name the notebook and the cell id of every cell holding it.

:func:`merge_catalog` updates a translation to a new template as ``msgmerge --previous``
does: when a cell's English changes, its entry keeps the old translation but is marked fuzzy
with the old English as ``#| msgid``, so translators see what changed; translated entries
whose English is gone become obsolete (``#~``). A translation is never dropped.
"""

from __future__ import annotations

import ast
import difflib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polib

from rnncourse.errors import CourseError
from rnncourse.release import SOURCE_DIR, list_assignments

LOCALE_DIR = "locale"
#: The name of the library's own catalog (its messages, not a lesson's prose).
LIBRARY = "rnncourse"
#: The functions whose first argument, a string literal, is a library message.
MARKERS = frozenset({"_", "N_", "gettext"})
#: How similar (difflib ratio) a vanished text must be to a new one, when no cell id links
#: them, for its translation to be offered as a fuzzy starting point (msgmerge's spirit).
SIMILAR = 0.7
WRAP = 78
_FIELD = re.compile(r"\{[A-Za-z_][^{}]*\}")
_TEXT_HEADER = {
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
}


def lesson_name(assignment: str) -> str:
    """The lesson an assignment belongs to: its name without the framework suffix."""
    return assignment.rsplit("-", 1)[0]


def lessons(root: Path) -> dict[str, list[str]]:
    """Each lesson of the course with its assignments (one per framework)."""
    found: dict[str, list[str]] = {}
    for assignment in list_assignments(root):
        found.setdefault(lesson_name(assignment), []).append(assignment)
    return found


def _locale(root: Path, name: str) -> Path:
    # The library's catalogs ship inside the package, where the installed library finds them.
    return root / LIBRARY / LOCALE_DIR if name == LIBRARY else root / LOCALE_DIR


def catalog_names(root: Path) -> list[str]:
    """Every catalog of the course: one per lesson, then the library's when the course has it."""
    return [*lessons(root), *([LIBRARY] if (root / LIBRARY).is_dir() else [])]


def template_path(root: Path, lesson: str) -> Path:
    """``locale/<lesson>.pot`` (``rnncourse/locale/rnncourse.pot`` for the library)."""
    return _locale(root, lesson) / f"{lesson}.pot"


def catalog_path(root: Path, lesson: str, language: str) -> Path:
    """``locale/<language>/LC_MESSAGES/<lesson>.po`` (under ``rnncourse/`` for the library)."""
    return _locale(root, lesson) / language / "LC_MESSAGES" / f"{lesson}.po"


def relative(root: Path, path: Path) -> str:
    """``path`` relative to the course root when it lies inside, for messages."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def start_of(text: str, limit: int = 60) -> str:
    """The first line of a text with whitespace collapsed, cut to ``limit`` characters."""
    line = next((" ".join(line.split()) for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"


def is_answer_cell(cell: nbformat.NotebookNode) -> bool:
    """A markdown cell a student writes in (nbgrader's manually graded answer)."""
    return cell.cell_type == "markdown" and bool(
        cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def translatable_cells(notebook: nbformat.NotebookNode) -> Iterator[nbformat.NotebookNode]:
    """The cells whose source is translated: markdown cells that hold any text, except the
    answer cells (nbgrader tells an unanswered cell by its checksum, which the English
    edition fixes; their instructions go in the cell above)."""
    # An empty msgid is gettext's header entry, so an empty cell has nothing to translate.
    return (cell for cell in notebook.cells
            if cell.cell_type == "markdown" and cell.source.strip() and not is_answer_cell(cell))


def _read_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:
        raise CourseError(f"Cannot read the notebook {path} ({error}).") from error


def _header(name: str, language: str | None) -> dict[str, str]:
    project = name if name == LIBRARY else f"rnncourse {name}"
    header = {"Project-Id-Version": project, "Report-Msgid-Bugs-To": ""}
    if language is not None:
        header["Language"] = language
    return {**header, **_TEXT_HEADER}


def _subject(name: str) -> str:
    return "the library's messages" if name == LIBRARY else f"the prose of lesson {name}"


def new_catalog(name: str, language: str | None = None) -> polib.POFile:
    """An empty template (``language=None``) or translation with the course's header.

    ``name`` is a lesson (``01-rnn``) or :data:`LIBRARY` for the library's messages.
    """
    catalog = polib.POFile(wrapwidth=WRAP, check_for_duplicates=True)
    what = f"translation ({language})" if language else "template"
    catalog.header = (f"rnncourse: {what} of {_subject(name)}.\n"
                      "Generated by `rnncourse translations update`; translate the msgstr "
                      "lines only.")
    catalog.metadata = _header(name, language)
    return catalog


def extract_template(root: Path, lesson: str) -> polib.POFile:
    """The template of a lesson: one entry per unique markdown text across its notebooks."""
    assignments = lessons(root).get(lesson)
    if not assignments:
        known = ", ".join(lessons(root))
        raise CourseError(f"Unknown lesson {lesson!r}; the course has: {known}.")
    template = new_catalog(lesson)
    entries: dict[str, polib.POEntry] = {}
    for assignment in assignments:
        path = root / SOURCE_DIR / assignment / f"{assignment}.ipynb"
        notebook = _read_notebook(path)
        for cell in translatable_cells(notebook):
            entry = entries.get(cell.source)
            if entry is None:
                entry = entries[cell.source] = polib.POEntry(msgid=cell.source, msgstr="")
                template.append(entry)
            entry.occurrences.append((relative(root, path), cell.get("id", "")))
    return template


#: Keyword arguments of the library's ``plot_*`` functions that hold text the figure shows.
PLOT_TEXT_ARGUMENTS = frozenset({"title", "xlabel", "ylabel", "reference_label"})
#: Calls besides ``plot_*`` whose first argument's dict keys the library shows translated
#: (speed comparisons name their variants in tables, sentences and bars).
NAMING_CALLS = frozenset({"compare_speed"})


def notebook_plot_texts(source: str) -> list[tuple[int, int, str]]:
    """(line, column, text) of each text a code cell hands to a ``plot_*`` function.

    The plotting functions translate these when they draw, so the Korean edition's code cells
    stay identical to the English ones: string literals given as a title or label, and the
    string keys of a dict literal given first (bar or run names, and the variants of
    ``compare_speed``). Computed texts (f-strings) cannot be looked up and stay as they are:
    a title takes its numbers through ``fields`` instead.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a cell with IPython magics: it draws nothing of ours
        return []
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if not (name.startswith("plot_") or name in NAMING_CALLS):
            continue
        texts = [keyword.value for keyword in node.keywords
                 if keyword.arg in PLOT_TEXT_ARGUMENTS]
        if node.args and isinstance(node.args[0], ast.Dict):
            texts += [key for key in node.args[0].keys if key is not None]
        found += [(text.lineno, text.col_offset, text.value) for text in texts
                  if isinstance(text, ast.Constant) and isinstance(text.value, str)]
    return found


def extract_messages(root: Path) -> polib.POFile:
    """The library's template: every string literal passed to ``_``, ``N_`` or ``gettext``,
    and the texts the solution notebooks hand to ``plot_*`` functions.

    References name the file only (``xgettext --add-location=file``), so the template changes
    when a message does, not whenever code moves. Texts with ``{}`` fields are flagged
    python-brace-format, so PO editors check that a translation keeps every field.
    """
    found: list[tuple[str, int, int, str]] = []
    for path in sorted((root / LIBRARY).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as error:
            raise CourseError(f"Cannot read {relative(root, path)} ({error.msg}, line "
                              f"{error.lineno}).") from error
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in MARKERS and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.append((relative(root, path), node.lineno, node.col_offset,
                              node.args[0].value))
    for path in sorted((root / SOURCE_DIR).glob("*/*.ipynb")):
        for cell in _read_notebook(path).cells:
            if cell.cell_type == "code":
                found += [(relative(root, path), line, column, text)
                          for line, column, text in notebook_plot_texts(cell.source)]
    template = new_catalog(LIBRARY)
    entries: dict[str, polib.POEntry] = {}
    for file, _line, _column, message in sorted(found):
        entry = entries.get(message)
        if entry is None:
            flags = ["python-brace-format"] if _FIELD.search(message) else []
            entry = entries[message] = polib.POEntry(msgid=message, msgstr="", flags=flags)
            template.append(entry)
        if (file, "") not in entry.occurrences:
            entry.occurrences.append((file, ""))
    return template


def extract(root: Path, name: str) -> polib.POFile:
    """The template of a lesson, or of the library's messages (:data:`LIBRARY`)."""
    return extract_messages(root) if name == LIBRARY else extract_template(root, name)


def read_catalog(path: Path, root: Path | None = None,
                 language: str | None = None) -> polib.POFile:
    """Read a ``.po``/``.pot`` file; a missing or unreadable one raises one clear sentence.

    With ``language``, the header must declare it (``Language: ko``): polib reads a
    truncated file without complaint, but not its header then.
    """
    name = relative(root, path) if root is not None else str(path)
    if not path.is_file():
        raise CourseError(f"The catalog {name} is missing: run `rnncourse translations update` "
                          "to create it.")
    try:
        # polib treats a string that is not an existing path as catalog text, so the
        # existence check above must come first.
        catalog = polib.pofile(str(path), encoding="utf-8", wrapwidth=WRAP,
                               check_for_duplicates=True)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        # polib names the file in its message; the sentence names it already.
        reason = " ".join(str(error).replace(str(path), "").split()).rstrip(".")
        reason = reason or type(error).__name__
        raise CourseError(f"The catalog {name} cannot be read ({reason}): fix it or restore "
                          "it from git.") from error
    declared = catalog.metadata.get("Language")
    if language is not None and declared != language:
        raise CourseError(f"The catalog {name} cannot be read (its header declares the "
                          f"language {declared!r}, not {language!r}): fix it or restore it "
                          "from git.")
    return catalog


def cell_references(entry: polib.POEntry) -> set[tuple[str, str]]:
    """(notebook, cell id) of every reference of an entry, however polib split them."""
    found = set()
    for file, line in entry.occurrences:
        # polib keeps "path:cell-id" whole when the part after the colon is not a number.
        if not line and ":" in file:
            file, line = file.rsplit(":", 1)
        found.add((file, str(line)))
    return found


def _previous(entry: polib.POEntry) -> str:
    """The English an entry's translation was made for."""
    return entry.previous_msgid if entry.fuzzy and entry.previous_msgid else entry.msgid


def _prior(new: polib.POEntry, translated: list[polib.POEntry],
           vanished: list[polib.POEntry]) -> polib.POEntry | None:
    """The translated entry whose English became ``new``: same cell first, else most similar.

    A cell keeps its id when its text changes, so a translated entry that named the same cell
    is the one to start from, even if another cell still holds its old text. Without such a
    link only texts that vanished are candidates, as in msgmerge.
    """
    cells = cell_references(new)
    same_cell = [old for old in translated if cell_references(old) & cells]
    if same_cell:
        return same_cell[0]
    best, score = None, SIMILAR
    for old in vanished:
        ratio = difflib.SequenceMatcher(None, old.msgid, new.msgid, autojunk=False).ratio()
        if ratio >= score:
            best, score = old, ratio
    return best


def merge_catalog(old: polib.POFile | None, template: polib.POFile, name: str,
                  language: str, *, by_reference: bool = True) -> polib.POFile:
    """The translation ``old`` updated to ``template`` (``msgmerge --previous``, see above).

    * same English: the entry keeps its translation, flags and translator comments;
    * changed English (same cell id, else a similar text): the old translation, fuzzy, with
      the English it was made for as the previous msgid;
    * new English: an empty translation;
    * translated entries whose English is gone and that no new entry took up: obsolete.

    ``by_reference=False`` links changed texts by similarity only: the library's references
    name whole files, which say nothing about which message changed into which.
    """
    merged = new_catalog(name, language)
    if old is not None:
        merged.header = old.header or merged.header
        merged.metadata = {**old.metadata, **_header(name, language)}
    old_entries = list(old) if old is not None else []
    by_msgid = {entry.msgid: entry for entry in old_entries}
    wanted = {entry.msgid for entry in template}
    translated = [entry for entry in old_entries if entry.msgstr and not entry.obsolete]
    vanished = [entry for entry in old_entries if entry.msgid not in wanted and entry.msgstr]
    used: set[int] = set()
    for source in template:
        entry = polib.POEntry(msgid=source.msgid, msgstr="", occurrences=list(source.occurrences),
                              flags=list(source.flags))
        same = by_msgid.get(source.msgid)
        linked = translated if by_reference else []
        prior = same if same is not None else _prior(source, linked, vanished)
        if prior is not None:
            entry.msgstr, entry.tcomment = prior.msgstr, prior.tcomment
            used.add(id(prior))
            if prior is not same or prior.fuzzy:
                entry.flags.append("fuzzy")
                entry.previous_msgid = _previous(prior)
        merged.append(entry)
    for entry in old_entries:
        if id(entry) not in used and entry.msgstr and entry.msgid not in wanted:
            kept = polib.POEntry(msgid=entry.msgid, msgstr=entry.msgstr, tcomment=entry.tcomment,
                                 flags=list(entry.flags), previous_msgid=entry.previous_msgid,
                                 obsolete=True)
            merged.append(kept)
    return merged


def translations(catalog: polib.POFile) -> dict[str, str]:
    """English text -> translation, for current entries only (not fuzzy, empty or obsolete)."""
    return {entry.msgid: entry.msgstr for entry in catalog if entry.translated()}


def catalog_text(catalog: polib.POFile) -> str:
    """The file contents polib writes for a catalog, ending in one newline."""
    return str(catalog).rstrip("\n") + "\n"


def write_atomic(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` through a temporary file and a rename; False if unchanged."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        # mkstemp makes the file private (0600); other accounts (a class's kernels) read it.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)  # readers see the old file or the new one, never half
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


@dataclass(frozen=True)
class CatalogStatus:
    """How far a lesson's translation is: counts of its current template entries."""

    lesson: str
    language: str
    translated: int
    fuzzy: int
    untranslated: int
    missing: int

    def __str__(self) -> str:
        total = self.translated + self.fuzzy + self.untranslated + self.missing
        return (f"{self.lesson} ({self.language}): {self.translated} of {total} texts "
                f"translated, {self.fuzzy} fuzzy, {self.untranslated + self.missing} not yet")


def update_catalogs(root: Path, languages: Iterable[str],
                    only: Iterable[str] | None = None) -> list[Path]:
    """Re-extract every template and merge each translation into it.

    ``only`` names the catalogs (lessons, or :data:`LIBRARY`); default: every lesson, and
    the library's messages when the course holds the library. Everything is read and merged
    before anything is written, so a catalog that cannot be read stops the update with
    nothing changed. Returns the files that changed.
    """
    languages = list(languages)
    names = list(only) if only is not None else catalog_names(root)
    pending: list[tuple[Path, str]] = []
    for name in names:
        template = extract(root, name)
        pending.append((template_path(root, name), catalog_text(template)))
        for language in languages:
            path = catalog_path(root, name, language)
            old = read_catalog(path, root, language) if path.exists() else None
            merged = merge_catalog(old, template, name, language, by_reference=name != LIBRARY)
            pending.append((path, catalog_text(merged)))
    return [path for path, text in pending if write_atomic(path, text)]


def catalog_status(template: polib.POFile, catalog: polib.POFile, lesson: str,
                   language: str) -> CatalogStatus:
    """Count the template's entries by the state of their translation in ``catalog``."""
    by_msgid = {entry.msgid: entry for entry in catalog if not entry.obsolete}
    counts = {"translated": 0, "fuzzy": 0, "untranslated": 0, "missing": 0}
    for source in template:
        counts[_state(by_msgid.get(source.msgid))] += 1
    return CatalogStatus(lesson, language, **counts)


def _state(entry: polib.POEntry | None) -> str:
    if entry is None:
        return "missing"
    if entry.fuzzy:
        return "fuzzy"
    return "translated" if entry.translated() else "untranslated"


def catalog_problems(root: Path, lesson: str, language: str) -> list[str]:
    """One sentence per reason a catalog's translation is not complete and current.

    ``lesson`` is a lesson or :data:`LIBRARY`. The template must match what the notebooks
    (or the library's ``_()`` calls) hold now, the catalog must exist and be readable, and
    every text must have a translation that is neither empty nor fuzzy. An empty list means
    everything is translated.
    """
    template = extract(root, lesson)
    source = "rnncourse/" if lesson == LIBRARY else f"{SOURCE_DIR}/"
    label = "The library's messages" if lesson == LIBRARY else f"Lesson {lesson}"
    problems = []
    pot = template_path(root, lesson)
    try:
        current = read_catalog(pot, root)
        stale = [(e.msgid, cell_references(e)) for e in current if not e.obsolete] != [
            (e.msgid, cell_references(e)) for e in template]
    except CourseError:
        stale = True
    if stale:
        problems.append(f"{label}: the template {relative(root, pot)} is out of date "
                        f"with {source}; run `rnncourse translations update`.")
    try:
        catalog = read_catalog(catalog_path(root, lesson, language), root, language)
    except CourseError as error:
        return [*problems, f"{label} ({language}): {error}"]
    by_msgid = {entry.msgid: entry for entry in catalog if not entry.obsolete}
    for entry in template:
        text = start_of(entry.msgid)
        state = _state(by_msgid.get(entry.msgid))
        if state == "missing":
            problems.append(f"{label} ({language}): the catalog has no entry for "
                            f"{text!r}; run `rnncourse translations update`.")
        elif state == "untranslated":
            problems.append(f"{label} ({language}): {text!r} is not translated yet.")
        elif state == "fuzzy":
            problems.append(f"{label} ({language}): the translation of {text!r} is "
                            "fuzzy (its English changed); review it and remove the fuzzy flag.")
    return problems
