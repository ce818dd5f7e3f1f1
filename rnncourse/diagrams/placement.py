"""The diagrams a lesson shows, copied next to its notebook so the lesson folder stands alone.

A lesson's markdown shows a diagram as ``![title](figures/<name>.svg)``, a path relative to
the notebook, so it displays wherever the folder goes: JupyterLab, nbgrader's release, the
student bundle, a JupyterHub exchange. ``rnncourse release`` copies each referenced diagram
from the course's ``figures/<language>/`` into ``<lesson folder>/figures/``: the English ones
into ``solutions/<a>/`` (nbgrader releases them with the notebook into ``lessons/en/<a>/``)
and the translated ones into ``lessons/<language>/<a>/``. A browser shows an SVG in an
``<img>`` as a picture, never running anything in it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from rnncourse.diagrams import NAMES, stale
from rnncourse.i18n.catalogs import relative, write_atomic
from rnncourse.release import LESSON_FIGURES

#: The course's generated diagrams: ``figures/<language>/<name>.svg`` under the course root.
FIGURES_DIR = "figures"
_LINK = re.compile(r"\]\(" + LESSON_FIGURES + r"/([a-z0-9-]+)\.svg\)")


def referenced(notebook: nbformat.NotebookNode) -> list[str]:
    """The diagrams ``notebook``'s markdown shows, in order, each once."""
    found: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            found += [name for name in _LINK.findall(cell.source) if name not in found]
    return found


def _wanted(root: Path, folder: Path, notebook: nbformat.NotebookNode,
            language: str) -> dict[Path, bytes]:
    """Each diagram file ``folder`` should hold -> its content."""
    wanted = {}
    for name in referenced(notebook):
        source = root / FIGURES_DIR / language / f"{name}.svg"
        if name not in NAMES or not source.is_file():
            raise ValueError(f"{name!r}")
        wanted[folder / LESSON_FIGURES / f"{name}.svg"] = source.read_bytes()
    return wanted


def place(root: Path, folder: Path, notebook: nbformat.NotebookNode,
          language: str) -> list[Path]:
    """Copy the diagrams ``notebook`` shows, in ``language``, into ``folder/figures/``; remove
    the ones it no longer shows. Returns the files written; each is replaced atomically."""
    from rnncourse.errors import CourseError

    try:
        wanted = _wanted(root, folder, notebook, language)
    except ValueError as error:
        raise CourseError(f"A lesson in {folder} shows the diagram {error}, which "
                          f"{FIGURES_DIR}/{language}/ does not have; the diagrams are "
                          f"{', '.join(NAMES)} (`python -m rnncourse.diagrams` draws them).") \
            from None
    written = []
    for path, content in wanted.items():
        if write_atomic(path, content.decode("utf-8")):
            written.append(path)
    for old in sorted((folder / LESSON_FIGURES).glob("*.svg")):
        if old not in wanted:
            old.unlink()
    return written


def misplaced(root: Path, folder: Path, notebook: nbformat.NotebookNode,
              language: str) -> list[str]:
    """One sentence per diagram of ``folder`` that is missing, out of date or not shown."""
    shown = relative(root, folder)
    try:
        wanted = _wanted(root, folder, notebook, language)
    except ValueError as error:
        return [f"{shown} shows the diagram {error}, which {FIGURES_DIR}/{language}/ does "
                "not have."]
    problems = []
    for path, content in wanted.items():
        if not path.is_file():
            problems.append(f"{relative(root, path)} is missing: run `rnncourse release`.")
        elif path.read_bytes() != content:
            problems.append(f"{relative(root, path)} differs from {FIGURES_DIR}/{language}/: "
                            "run `rnncourse release`.")
    for extra in sorted((folder / LESSON_FIGURES).glob("*.svg")):
        if extra not in wanted:
            problems.append(f"{relative(root, extra)} is not shown by the lesson: run "
                            "`rnncourse release`.")
    return problems


def stale_figures(root: Path) -> list[str]:
    """One sentence per diagram of ``figures/`` drawn from older code or labels."""
    return [f"{FIGURES_DIR}/{name} is out of date with rnncourse/diagrams: run `python -m "
            f"rnncourse.diagrams`." for name in stale(root / FIGURES_DIR)]
