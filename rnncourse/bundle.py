"""Build what students receive: the course without its solutions, hidden tests or gradebook.

``rnncourse bundle`` copies the student notebooks of every edition (``lessons/en/``,
``lessons/ko/``), the helper library, the environment files and the ``course`` script into
``<out>/rnncourse-student/``, adds the student README (``rnncourse/student_readme.md``) and
a set-up check that ``./course test`` runs there (``rnncourse/setup_check.py``, shipped as
``tests/test_setup.py``), and zips the folder into ``<out>/rnncourse-student.zip``.

Everything is written into a scratch folder next to the target first and is moved into place
only when every check has passed, so a refused bundle leaves nothing behind. The checks:

* no file of the bundle holds a line from inside a solution or hidden-test region of a
  ``solutions/`` notebook (see :func:`secret_lines` and :func:`find_leaks`);
* every quiz bank stores its answer keys as hashes only;
* the lessons are what ``rnncourse release`` makes from ``solutions/`` now
  (:func:`~rnncourse.release.stale_lessons`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rnncourse.errors import CourseError
from rnncourse.release import LESSONS_DIR, RELEASE_DIR, SOURCE_DIR, stale_lessons

#: The name of the bundle folder, of the folder inside the zip and (with ``.zip``) of the zip.
NAME = "rnncourse-student"
#: The helper library, copied whole (minus caches).
LIBRARY = "rnncourse"
#: Top-level files students get as they are; ``LICENSE`` only where the course has one.
TOP_FILES = ("pyproject.toml", "environment.yml", "environment-gpu.yml", "course", "LICENSE")
#: Files that exist only for students: (template in the library, path in the bundle).
STUDENT_FILES = (("student_readme.md", "README.md"), ("setup_check.py", "tests/test_setup.py"))
GITIGNORE = ".venv/\n__pycache__/\n*.egg-info/\n.ipynb_checkpoints/\n.pytest_cache/\nbuild/\n"

#: Secret lines shorter than this (after collapsing whitespace) are not looked for: short
#: lines such as ``outputs.append(h)`` or ``for t in range(x.shape[1]):`` are generic code
#: that the library may hold too, while any real leak of a solution or hidden test carries
#: longer, distinctive lines (every hidden-test call is longer).
MIN_SECRET_LENGTH = 30

#: nbgrader's region markers (its defaults): what lies between them never reaches students.
REGIONS = (("BEGIN SOLUTION", "END SOLUTION", "solution"),
           ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden test"),
           ("BEGIN MARK SCHEME", "END MARK SCHEME", "mark scheme"))
_HEX_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Secret:
    """A line students must not see: its text (whitespace collapsed) and where it comes from."""

    line: str
    kind: str
    origin: str


@dataclass(frozen=True)
class Bundle:
    """A finished bundle: its folder, its zip and the files in it (relative, POSIX paths)."""

    folder: Path
    archive: Path
    files: tuple[str, ...]


def _normal(line: str) -> str:
    return " ".join(line.split())


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _split_cell(cell: dict) -> Iterator[tuple[str, str | None]]:
    """(line, region kind or None) for every line of a source cell; markers are skipped."""
    lines = _cell_source(cell).splitlines()
    whole = (cell.get("metadata", {}).get("nbgrader", {}).get("solution")
             and not any(begin in line for line in lines for begin, _, _ in REGIONS[:1]))
    region = None
    for line in lines:
        marker = next(((begin, end, kind) for begin, end, kind in REGIONS
                       if begin in line or end in line), None)
        if marker is not None:
            region = marker[2] if marker[0] in line else None
            continue
        # A solution cell without markers is replaced whole by nbgrader's stub.
        yield line, region or ("solution" if whole else None)


def secret_lines(root: Path) -> list[Secret]:
    """The lines of ``solutions/`` that students must never see.

    A line counts when it lies inside a solution, hidden-test or mark-scheme region of a
    source notebook (or in a solution cell without markers, which nbgrader replaces whole),
    is at least :data:`MIN_SECRET_LENGTH` characters long, and does not also occur in a line
    that students see anyway (outside those regions, in any source notebook).
    """
    found: dict[str, Secret] = {}
    public: list[str] = []
    for path in sorted((root / SOURCE_DIR).glob("*/*.ipynb")):
        try:
            notebook = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CourseError(f"Cannot read the notebook {path} ({error}).") from error
        for index, cell in enumerate(notebook.get("cells", [])):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            where = f"{path.relative_to(root).as_posix()}, cell {meta.get('grade_id', index)}"
            for line, kind in _split_cell(cell):
                text = _normal(line)
                if not text:
                    continue
                if kind is None:
                    public.append(text)
                elif len(text) >= MIN_SECRET_LENGTH and text not in found:
                    found[text] = Secret(text, kind, where)
    seen = "\n".join(public)
    return [secret for text, secret in found.items() if text not in seen]


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _readable_text(path: Path) -> tuple[str, object | None]:
    """A file's text, with the strings of a JSON file (a notebook) decoded and appended."""
    raw = path.read_bytes().decode("utf-8", errors="replace")
    parsed = None
    if path.suffix in {".ipynb", ".json"}:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
    texts = [raw, *_strings(parsed)] if parsed is not None else [raw]
    return "\n".join(_normal(line) for text in texts for line in text.splitlines()), parsed


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def find_leaks(folder: Path, secrets: list[Secret]) -> list[str]:
    """One sentence per file of ``folder`` that holds a secret line or an nbgrader region marker."""
    leaks = []
    for path in _files(folder):
        name = path.relative_to(folder).as_posix()
        text, parsed = _readable_text(path)
        hits = [secret for secret in secrets if secret.line in text]
        if hits:
            first = hits[0]
            more = f" and {len(hits) - 1} more secret lines" if len(hits) > 1 else ""
            leaks.append(f"{name} holds the {first.kind} line {first.line!r} of "
                         f"{first.origin}{more}")
        if path.suffix == ".ipynb" and isinstance(parsed, dict):
            sources = "\n".join(_cell_source(cell) for cell in parsed.get("cells", []))
            markers = [begin for begin, _, _ in REGIONS if begin in sources]
            if markers:
                leaks.append(f"{name} still holds nbgrader's {markers[0]!r} marker")
    return leaks


def readable_quiz_keys(folder: Path) -> list[str]:
    """One sentence per quiz question in ``folder`` whose key is not a SHA-256 hash."""
    problems = []
    for path in sorted((folder / LIBRARY / "quiz" / "banks").glob("*.json")):
        bank = json.loads(path.read_text(encoding="utf-8"))
        for question in bank.get("questions", []):
            key = question.get("key")
            if not (isinstance(key, str) and _HEX_KEY.fullmatch(key)):
                problems.append(f"{path.relative_to(folder).as_posix()}, question "
                                f"{question.get('id')!r}, stores a readable answer key")
    return problems


def _skipped(path: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" or part.endswith(".egg-info")
               for part in path.parts) or path.suffix in {".pyc", ".pyo"}


def _copy_tree(source: Path, target: Path) -> None:
    for path in _files(source):
        relative = path.relative_to(source)
        if not _skipped(relative):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)


def student_readme(root: Path) -> str:
    """The bundle's README: the template with the list of lesson notebooks filled in."""
    template = (Path(__file__).parent / "student_readme.md").read_text(encoding="utf-8")
    lessons = "\n".join(f"- `{p.relative_to(root).as_posix()}`"
                        for p in sorted((root / LESSONS_DIR).glob("*/*/*.ipynb")))
    return template.replace("{{lessons}}", lessons)


def _assemble(root: Path, target: Path) -> None:
    """Copy what students get from the course at ``root`` into the new folder ``target``."""
    english = root / RELEASE_DIR
    if not any(english.glob("*/*.ipynb")):
        raise CourseError(f"{english} holds no lesson notebook: run `rnncourse release` first.")
    # Every edition (one folder per language) ships: students pick theirs by folder.
    _copy_tree(root / LESSONS_DIR, target / LESSONS_DIR)
    _copy_tree(root / LIBRARY, target / LIBRARY)
    for name in TOP_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, target / name)
        elif name != "LICENSE":
            raise CourseError(f"{root / name} is missing, and students need it.")
    here = Path(__file__).parent
    for template, name in STUDENT_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        text = student_readme(root) if name == "README.md" else (here / template).read_text(
            encoding="utf-8")
        (target / name).write_text(text, encoding="utf-8")
    (target / ".gitignore").write_text(GITIGNORE, encoding="utf-8")


def _zip(folder: Path, archive: Path) -> None:
    """Zip ``folder`` as ``<folder name>/...``, keeping the executable bit of scripts."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in _files(folder):
            info = zipfile.ZipInfo.from_file(path, f"{folder.name}/{path.relative_to(folder)}")
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | (path.stat().st_mode & 0o777)) << 16
            bundle.writestr(info, path.read_bytes())


def build_bundle(root: Path, out: Path, *, force: bool = False, check_release: bool = True,
                 say: Callable[[str], object] = lambda message: None) -> Bundle:
    """Write ``out/rnncourse-student/`` and ``out/rnncourse-student.zip`` from the course.

    Args:
        root: The course repository (see :func:`~rnncourse.release.course_root`).
        out: The folder to write into; created if needed.
        force: Replace an existing bundle folder and zip instead of refusing.
        check_release: Refuse when ``lessons/`` is out of date or a translation is not
            current (runs nbgrader, about 25 s); tests that built ``lessons/`` themselves may
            skip it.
        say: Called with a line of progress before the slow step.

    Raises:
        CourseError: If the bundle exists (without ``force``), a secret line or readable
            quiz key would reach students, or ``lessons/`` is out of date; nothing is
            written then.
    """
    folder, archive = out / NAME, out / f"{NAME}.zip"
    existing = [p for p in (folder, archive) if p.exists() or p.is_symlink()]
    if existing and not force:
        raise CourseError(f"{existing[0]} already exists: pass --force to replace it.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=out))
    except OSError as error:
        raise CourseError(f"Cannot write to {out} ({error.strerror or error}).") from error
    try:
        staged = scratch / NAME
        _assemble(root, staged)
        problems = find_leaks(staged, secret_lines(root)) + readable_quiz_keys(staged)
        if problems:
            more = f" ({len(problems) - 1} more problems)" if len(problems) > 1 else ""
            raise CourseError(f"Refusing to bundle: {problems[0]}{more}; nothing was written.")
        if check_release:
            say("Checking that lessons/ is what `rnncourse release` makes from solutions/ ...")
            stale = stale_lessons(root)
            if stale:
                more = f" and {len(stale) - 1} more problems" if len(stale) > 1 else ""
                raise CourseError(f"lessons/ is out of date or not fully translated "
                                  f"({stale[0].rstrip('.')}{more}): run `rnncourse release` "
                                  "first; nothing was written.")
        files = tuple(p.relative_to(staged).as_posix() for p in _files(staged))
        _zip(staged, scratch / archive.name)
        # Only complete, checked output is moved into place; an old bundle is moved aside
        # into the scratch folder (deleted below) so that the rename cannot fail on it.
        for old in existing:
            os.replace(old, scratch / f"old-{old.name}")
        os.replace(staged, folder)
        os.replace(scratch / archive.name, archive)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return Bundle(folder, archive, files)
