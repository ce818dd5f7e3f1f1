"""A tiny course to edit freely, and the language reset every test here relies on."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from rnncourse.i18n import set_language

LANGUAGE_CELL = 'from rnncourse.i18n import set_language\n\nset_language("en")'


@pytest.fixture(autouse=True)
def english_afterwards():
    """Every test starts and ends in English: the language is process-wide state."""
    set_language("en")
    yield
    set_language("en")


def make_notebook(cells: list[tuple[str, str, str]]) -> nbformat.NotebookNode:
    """A notebook of (cell id, "markdown" or "code", source) cells."""
    notebook = nbformat.v4.new_notebook()
    for cell_id, kind, source in cells:
        cell = (nbformat.v4.new_markdown_cell(source) if kind == "markdown"
                else nbformat.v4.new_code_cell(source))
        cell.id = cell_id
        notebook.cells.append(cell)
    return notebook


def write_lesson(root: Path, assignment: str, cells: list[tuple[str, str, str]],
                 folder: str = "solutions") -> Path:
    """Write ``folder/<assignment>/<assignment>.ipynb`` under ``root``."""
    path = root / folder / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(make_notebook(cells), path)
    return path


INTRO = "# Lesson 9 — Demo\n\nA *sentence* is a sequence."
SHARED = "## Set-up\n\nRun this cell first."
PYTORCH_ONLY = "PyTorch stores the weights transposed."
TENSORFLOW_ONLY = "Keras stores the kernel as (input, units)."


@pytest.fixture
def tiny_course(tmp_path) -> Path:
    """A course with one lesson (99-demo) in two frameworks, sharing some markdown."""
    for framework, only, prefix in (("pytorch", PYTORCH_ONLY, "py"),
                                    ("tensorflow", TENSORFLOW_ONLY, "te")):
        write_lesson(tmp_path, f"99-demo-{framework}", [
            (f"{prefix}-00", "markdown", INTRO.replace("Demo", f"Demo ({framework})")),
            ("language", "code", LANGUAGE_CELL),
            (f"{prefix}-01", "markdown", SHARED),
            (f"{prefix}-02", "code", "x = 1"),
            (f"{prefix}-03", "markdown", only),
            (f"{prefix}-04", "markdown", "   \n"),  # empty: nothing to translate
        ])
    return tmp_path
