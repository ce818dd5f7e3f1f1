"""Generate the student notebooks in ``lessons/en/`` from the nbgrader sources in ``solutions/``.

nbgrader runs in a scratch copy of the course, so a failed run never leaves half-written
lessons or a gradebook behind; only complete notebooks are moved into :data:`RELEASE_DIR`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath

import nbformat

from rnncourse.errors import CourseError

SOURCE_DIR = "solutions"
#: Where nbgrader releases the (English) student notebooks: the nbgrader config's
#: ``release_directory``, and the one place every other path to the lessons derives from.
RELEASE_DIR = "lessons/en"
#: The folder holding one edition per language (``lessons/en``, ``lessons/ko``).
LESSONS_DIR = PurePosixPath(RELEASE_DIR).parent.as_posix()
CONFIG = Path("autograder") / "nbgrader_config.py"
#: The folder next to a lesson's notebook that holds the diagrams it shows.
LESSON_FIGURES = "figures"


def course_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder above ``start`` holding the nbgrader config."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG).is_file() and (folder / SOURCE_DIR).is_dir():
            return folder
    raise CourseError(
        f"No course found at or above {here}: run this inside the rnncourse repository "
        f"(the folder holding {CONFIG} and {SOURCE_DIR}/)."
    )


def list_assignments(root: Path) -> list[str]:
    """Assignment names: the folders of ``solutions/`` that hold a notebook."""
    source = root / SOURCE_DIR
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader subprocesses: this Python's scripts first on PATH.

    nbgrader calls ``alembic`` by name to set up its gradebook, so the virtual
    environment's ``bin`` folder must be on PATH even when it is not activated.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def generate_into(root: Path, scratch: Path, assignments: list[str]) -> Path:
    """Run ``nbgrader generate_assignment`` on a copy of the course in ``scratch``."""
    known = list_assignments(root)
    unknown = [a for a in assignments if a not in known]
    if unknown:
        raise CourseError(f"Unknown assignment {unknown[0]!r}; the course has: {', '.join(known)}.")
    shutil.copytree(root / SOURCE_DIR, scratch / SOURCE_DIR)
    (scratch / CONFIG.parent).mkdir(parents=True)
    shutil.copy(root / CONFIG, scratch / CONFIG)
    for assignment in assignments:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
             f"--CourseDirectory.root={scratch}",
             f"--CourseDirectory.db_url=sqlite:///{scratch / 'gradebook.db'}"],
            cwd=scratch / CONFIG.parent, env=nbgrader_env(), capture_output=True, text=True,
        )
        made = list((scratch / RELEASE_DIR / assignment).glob("*.ipynb"))
        if result.returncode != 0 or not made:
            tail = "\n".join(result.stderr.strip().splitlines()[-15:])
            raise CourseError(
                f"nbgrader could not generate {assignment!r}; its last messages:\n{tail}"
            )
    return scratch / RELEASE_DIR


def release(root: Path, assignments: list[str] | None = None) -> list[Path]:
    """Regenerate ``lessons/<language>/<assignment>/`` for the given (default: all) assignments.

    nbgrader makes the English edition (:data:`RELEASE_DIR`); the translated editions are
    made from it and the translation catalogs (:mod:`rnncourse.i18n.editions`).
    """
    from rnncourse.diagrams.placement import place
    from rnncourse.i18n.editions import write_editions  # imports this module: not at the top

    assignments = assignments or list_assignments(root)
    written = []
    for assignment in assignments:  # nbgrader releases the diagrams with the notebook
        folder = root / SOURCE_DIR / assignment
        written += place(root, folder, _read_source(folder), "en")
    with tempfile.TemporaryDirectory(prefix="rnncourse-release-") as tmp:
        generated = generate_into(root, Path(tmp), assignments)
        for assignment in assignments:
            target = root / RELEASE_DIR / assignment
            made = {p.relative_to(generated / assignment) for p in
                    (generated / assignment).rglob("*") if p.is_file()}
            for name in sorted(made):
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                partial = target / name.parent / f".{name.name}.partial"
                shutil.copyfile(generated / assignment / name, partial)
                os.replace(partial, target / name)  # atomic: never half a notebook
                written.append(target / name)
            for old in sorted(target.rglob("*.svg")):  # a diagram the lesson no longer shows
                if old.relative_to(target) not in made:
                    old.unlink()
    return written + write_editions(root, assignments)


def _read_source(folder: Path) -> nbformat.NotebookNode:
    """The one notebook of an assignment's source folder."""
    path = folder / f"{folder.name}.ipynb"
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError) as error:
        raise CourseError(f"Cannot read the notebook {path} ({error}).") from error


def _load(path: Path) -> object:
    if path.suffix == ".ipynb":
        return json.loads(path.read_text(encoding="utf-8"))
    return path.read_bytes()


def stale_lessons(root: Path) -> list[str]:
    """Differences between ``lessons/`` and what ``rnncourse release`` makes now.

    Returns one line per differing, missing or extra file of the English edition (what
    nbgrader makes from ``solutions/``), then the problems of the translated editions:
    notebooks out of date with the English ones and their catalogs, and catalog entries that
    are missing, untranslated or fuzzy. An empty list means up to date.
    """
    from rnncourse.diagrams.placement import misplaced, stale_figures
    from rnncourse.i18n.editions import stale_editions  # imports this module: not at the top

    problems = stale_figures(root)
    for assignment in list_assignments(root):
        folder = root / SOURCE_DIR / assignment
        problems += misplaced(root, folder, _read_source(folder), "en")
    with tempfile.TemporaryDirectory(prefix="rnncourse-check-") as tmp:
        generated = generate_into(root, Path(tmp), list_assignments(root))
        expected = {p.relative_to(generated): p for p in generated.rglob("*") if p.is_file()}
        actual_root = root / RELEASE_DIR
        actual = {p.relative_to(actual_root): p for p in actual_root.rglob("*")
                  if p.is_file()} if actual_root.is_dir() else {}
        for name in sorted(set(expected) | set(actual)):
            if name not in actual:
                problems.append(f"{RELEASE_DIR}/{name} is missing")
            elif name not in expected:
                problems.append(f"{RELEASE_DIR}/{name} is not generated from {SOURCE_DIR}/")
            elif _load(expected[name]) != _load(actual[name]):
                problems.append(f"{RELEASE_DIR}/{name} differs from its source")
        problems += stale_editions(root, generated)
    return problems


def solved_notebook(lesson: Path, solution: Path) -> nbformat.NotebookNode:
    """The student notebook ``lesson`` with every exercise cell filled in from ``solution``.

    This is the model submission tests and benchmarks hand in: the released notebook, in any
    edition, with the source notebook's answers in the cells the student writes.
    """
    student = nbformat.read(lesson, as_version=4)
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source
               for cell in nbformat.read(solution, as_version=4).cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    for cell in student.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            if meta.get("grade_id") not in answers:
                raise CourseError(f"{lesson} has an exercise cell {meta.get('grade_id')!r} "
                                  f"that {solution} does not have: run `rnncourse release` to "
                                  f"regenerate it.")
            cell.source = answers[meta["grade_id"]]
    return student
