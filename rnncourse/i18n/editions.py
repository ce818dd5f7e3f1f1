"""The translated editions of the student notebooks, generated from the English ones.

``lessons/ko/<a>/<a>.ipynb`` is ``lessons/en/<a>/<a>.ipynb`` with every markdown cell
replaced by its translation from the lesson's catalog and the notebook's one
``set_language("en")`` call made ``set_language("ko")``. Code cells, cell ids, nbgrader
metadata, grade ids and checksums stay identical, so nbgrader grades either edition as the
same assignment. A text without a current translation (missing, empty or fuzzy) stays
English, as gettext does; :func:`stale_editions` reports it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from pathlib import Path

import nbformat

from rnncourse.errors import CourseError
from rnncourse.i18n.catalogs import (
    catalog_names,
    catalog_path,
    catalog_problems,
    is_answer_cell,
    lesson_name,
    read_catalog,
    relative,
    translations,
    write_atomic,
)
from rnncourse.i18n.language import LANGUAGES, SOURCE_LANGUAGE, check_language
from rnncourse.release import LESSON_FIGURES, LESSONS_DIR, RELEASE_DIR, list_assignments

#: The languages whose editions are generated (every language but the source's).
TRANSLATIONS: tuple[str, ...] = tuple(lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE)
#: The call that chooses a notebook's language; its argument is the one code difference.
LANGUAGE_CALL = re.compile(r'\bset_language\("([a-z]{2})"\)')


def edition_dir(language: str) -> str:
    """The folder of an edition relative to the course root: ``lessons/<language>``."""
    check_language(language)
    return RELEASE_DIR if language == SOURCE_LANGUAGE else f"{LESSONS_DIR}/{language}"


def language_cell(notebook: nbformat.NotebookNode, name: str) -> int:
    """The index of the one code cell that calls ``set_language("...")``."""
    found = [index for index, cell in enumerate(notebook.cells)
             if cell.cell_type == "code" and LANGUAGE_CALL.search(cell.source)]
    if len(found) != 1:
        raise CourseError(f"{name} must call set_language(\"{SOURCE_LANGUAGE}\") in exactly one "
                          f"code cell at its top, but {len(found)} cells do.")
    return found[0]


def translate_notebook(notebook: nbformat.NotebookNode, texts: Mapping[str, str],
                       language: str, name: str = "the notebook") -> nbformat.NotebookNode:
    """A copy of an English notebook in ``language``: markdown from ``texts``, same code."""
    check_language(language)
    translated = copy.deepcopy(notebook)
    chosen = language_cell(translated, name)
    cell = translated.cells[chosen]
    cell.source = LANGUAGE_CALL.sub(f'set_language("{language}")', cell.source)
    for cell in translated.cells:
        if cell.cell_type == "markdown" and not is_answer_cell(cell):
            cell.source = texts.get(cell.source, cell.source)
    return translated


def lesson_translations(root: Path, lesson: str, language: str) -> dict[str, str]:
    """A lesson's current translations; none while its catalog does not exist yet.

    A missing catalog leaves the edition English (check-release reports it); a catalog that
    exists but cannot be read stops the release with one sentence.
    """
    path = catalog_path(root, lesson, language)
    return translations(read_catalog(path, root, language)) if path.exists() else {}


def build_editions(root: Path, english: Path,
                   assignments: list[str] | None = None) -> dict[str, nbformat.NotebookNode]:
    """Every translated edition of the English notebooks in ``english``, by relative path.

    ``english`` holds ``<assignment>/<assignment>.ipynb`` (``lessons/en`` or a scratch copy);
    the keys are paths relative to the course root (``lessons/ko/<a>/<a>.ipynb``).
    """
    built = {}
    for language in TRANSLATIONS:
        texts: dict[str, dict[str, str]] = {}
        for assignment in assignments or list_assignments(root):
            lesson = lesson_name(assignment)
            if lesson not in texts:
                texts[lesson] = lesson_translations(root, lesson, language)
            source = english / assignment / f"{assignment}.ipynb"
            name = relative(root, source)
            try:
                notebook = nbformat.read(source, as_version=4)
            except (OSError, ValueError) as error:
                raise CourseError(f"Cannot read the notebook {name} ({error}).") from error
            target = f"{edition_dir(language)}/{assignment}/{assignment}.ipynb"
            built[target] = translate_notebook(notebook, texts[lesson], language, name)
    return built


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """A notebook as nbformat writes it (Korean stays readable: no \\u escapes)."""
    return nbformat.writes(notebook) + "\n"


def write_editions(root: Path, assignments: list[str] | None = None) -> list[Path]:
    """Regenerate the translated editions from ``lessons/en``; returns the files written.

    Every notebook is built before any is written, so an unreadable catalog or notebook
    changes nothing; each file is replaced atomically.
    """
    from rnncourse.diagrams.placement import place

    built = build_editions(root, root / RELEASE_DIR, assignments)
    written = []
    for name, notebook in built.items():
        write_atomic(root / name, notebook_text(notebook))
        written.append(root / name)
        # The diagrams in the edition's language, next to it.
        written += place(root, (root / name).parent, notebook, _language_of(name))
    return written


def _language_of(name: str) -> str:
    """The language of an edition's notebook, from its path (``lessons/ko/...``)."""
    return next(language for language in TRANSLATIONS
                if name.startswith(edition_dir(language) + "/"))


def _load(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def stale_editions(root: Path, english: Path) -> list[str]:
    """One sentence per translated notebook or catalog that is not what it should be.

    ``english`` holds the English notebooks as nbgrader makes them now. Reports notebooks
    that differ from what :func:`build_editions` makes, are missing or are extra, then every
    problem of the lessons' and the library's catalogs (see
    :func:`~rnncourse.i18n.catalogs.catalog_problems`).
    """
    problems: list[str] = []
    catalogs = [problem for language in TRANSLATIONS for name in catalog_names(root)
                for problem in catalog_problems(root, name, language)]
    try:
        built = build_editions(root, english)
    except CourseError as error:
        # Nothing to compare against; an unreadable catalog is among the catalog problems.
        if not any(str(error) in problem for problem in catalogs):
            problems.append(str(error))
        return problems + catalogs
    from rnncourse.diagrams.placement import misplaced

    expected = {name: json.loads(notebook_text(notebook)) for name, notebook in built.items()}
    for name, notebook in built.items():
        problems += misplaced(root, (root / name).parent, notebook, _language_of(name))
    actual = {p.relative_to(root).as_posix(): p for language in TRANSLATIONS
              for p in sorted((root / edition_dir(language)).rglob("*"))
              if p.is_file() and p.parent.name != LESSON_FIGURES}  # diagrams: misplaced()
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            problems.append(f"{name} is missing: run `rnncourse release`.")
        elif name not in expected:
            problems.append(f"{name} is not generated from {RELEASE_DIR}/: remove it.")
        elif expected[name] != _load(actual[name]):
            problems.append(f"{name} differs from {RELEASE_DIR}/ and its translation catalog: "
                            "run `rnncourse release`.")
    return problems + catalogs
