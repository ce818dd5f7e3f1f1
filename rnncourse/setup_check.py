"""Checks that the course runs on this machine: ``./course test`` in the student bundle.

``rnncourse bundle`` ships this file as ``tests/test_setup.py``. It never looks at answers:
each lesson runs in a fresh kernel only up to its first exercise (the set-up, the data and
the demonstrations before it), in quick mode, so it passes whatever you have solved so far.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from rnncourse.release import LESSONS_DIR, RELEASE_DIR

ROOT = Path(__file__).resolve().parents[1]
# The English edition runs here: the Korean one differs from it only in prose and language.
LESSONS = sorted((ROOT / RELEASE_DIR).glob("*/*.ipynb"))
KOREAN = sorted((ROOT / LESSONS_DIR / "ko").glob("*/*.ipynb"))
PROBE = "import rnncourse\nprint('rnncourse library:', rnncourse.__file__)"


def first_exercise(notebook: nbformat.NotebookNode) -> int:
    """The index of the first cell you write code in (the number of cells if there is none)."""
    return next((index for index, cell in enumerate(notebook.cells)
                 if cell.get("metadata", {}).get("nbgrader", {}).get("solution")),
                len(notebook.cells))


def run_up_to_first_exercise(path: Path) -> tuple[nbformat.NotebookNode, str]:
    """Run a lesson's cells before its first exercise; return them and the library's path."""
    notebook = nbformat.read(path, as_version=4)
    cells = notebook.cells[:first_exercise(notebook)]
    notebook.cells = [nbformat.v4.new_code_cell(PROBE), *cells]
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    probe = "".join(out.get("text", "") for out in notebook.cells[0].outputs)
    return notebook, probe.split("rnncourse library:", 1)[-1].strip()


def test_the_library_and_both_frameworks_import() -> None:
    import keras
    import torch

    import rnncourse

    assert Path(rnncourse.__file__).resolve().is_relative_to(ROOT), (
        f"Python imports rnncourse from {rnncourse.__file__}, not from {ROOT}: "
        "run ./course test again, or uninstall the other copy.")
    assert torch.ones(2).sum().item() == 2.0
    assert float(keras.ops.sum(keras.ops.ones(2))) == 2.0


def test_the_course_has_lessons() -> None:
    assert LESSONS, f"no lesson notebooks in {ROOT / RELEASE_DIR}"
    assert [p.name for p in KOREAN] == [p.name for p in LESSONS], (
        f"{ROOT / LESSONS_DIR / 'ko'} must hold the Korean edition of every lesson")
    # Korean plots need the Korean font (koreanize-matplotlib).
    from rnncourse.plots import korean_font_file

    assert korean_font_file().is_file()


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs_up_to_its_first_exercise(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNCOURSE_QUICK", "1")  # small data and short training: a smoke test
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    _, library = run_up_to_first_exercise(path)
    assert Path(library).resolve().is_relative_to(ROOT), (
        f"the notebook imported rnncourse from {library}, not from {ROOT}")
