"""Running notebooks with real kernels, and making the submissions a class would hand in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from rnncourse.release import list_assignments

REPO = Path(__file__).resolve().parents[2]
LESSONS = list_assignments(REPO)


def max_points(solution: Path) -> float:
    """The points a lesson is worth: the sum over its graded cells."""
    notebook = nbformat.read(solution, as_version=4)
    return sum(cell.metadata["nbgrader"].get("points", 0) for cell in notebook.cells
               if cell.metadata.get("nbgrader", {}).get("grade"))


def execute(path: Path, env: dict[str, str], *, allow_errors: bool = False,
            timeout: int = 600) -> nbformat.NotebookNode:
    """Execute a notebook top to bottom in a fresh python3 kernel with ``env`` added."""
    notebook = nbformat.read(path, as_version=4)
    saved = dict(os.environ)
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return notebook


def errors(notebook: nbformat.NotebookNode) -> Iterator[tuple[int, str, str]]:
    """(cell index, exception name, message) of every error output."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                yield index, output.ename, output.evalue


def stdout(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook printed."""
    return "".join(output.text for cell in notebook.cells for output in cell.get("outputs", [])
                   if output.output_type == "stream" and output.name == "stdout")


def solved(lesson: Path, solution: Path) -> nbformat.NotebookNode:
    """The student notebook with every solution cell filled in from the source notebook."""
    student = nbformat.read(lesson, as_version=4)
    source = nbformat.read(solution, as_version=4)
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in source.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    for cell in student.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = answers[meta["grade_id"]]
    return student
