"""Running notebooks with real kernels, and making the submissions a class would hand in."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from rnncourse.i18n import gettext
from rnncourse.quiz import load_quiz
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


#: How many checks each lesson's solution passes at least (visible plus hidden).
VISIBLE_AND_HIDDEN = {"01": 8, "02": 9, "03": 9, "04": 3}


def device_words(language: str) -> str:
    """What the device line says between the framework and the device, in ``language``."""
    line = gettext("{framework} is using {device}.", language)
    return line.split("{framework}", 1)[1].split("{device}", 1)[0]


def assert_solution_ran_cleanly(notebook: nbformat.NotebookNode, lesson: str,
                                language: str) -> None:
    """The checks a solved lesson, executed top to bottom, must pass in ``language``."""
    assert list(errors(notebook)) == []
    printed = stdout(notebook)
    # Every graded cell ran its visible and hidden checks, and each passed ("✓" per check).
    # Quiz cells (grade ids quiz_*) grade silently: for them, no error is the pass.
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta["grade_id"].startswith("quiz_"):
            shown = "".join(out.get("text", "") for out in cell.get("outputs", []))
            assert shown.count("✓") == cell.source.count("check_"), meta["grade_id"]
    # Every quiz shows its questions as readable text (widgets carry it as their text/plain).
    for cell in notebook.cells:
        for name in re.findall(r'^show_quiz\("([\w-]+)"', cell.source, flags=re.M):
            shown = "".join(out.get("text", "") + out.get("data", {}).get("text/plain", "")
                            for out in cell.get("outputs", []))
            prompt = load_quiz(name).questions[-1].prompt[language]
            # The text is wrapped into lines: compare the words.
            assert " ".join(prompt.split()) in " ".join(shown.split()), name
    assert VISIBLE_AND_HIDDEN[lesson[:2]] <= printed.count("✓")
    # The device is named once, by the set-up cell, in the notebook's language.
    assert printed.count(device_words(language)) == 1
    # nbgrader gives zero points to a test cell that writes to stderr, whatever it printed:
    # no framework log line may land in a graded cell (or clutter the set-up cell).
    noisy = [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
             if cell.metadata.get("nbgrader", {}).get("grade_id")
             and any(out.get("name") == "stderr" for out in cell.get("outputs", []))]
    assert noisy == []


def assert_untouched_failed_only_at_the_stubs(notebook: nbformat.NotebookNode,
                                              language: str) -> None:
    """The checks an unsolved lesson, executed top to bottom with errors allowed, must pass."""
    found = list(errors(notebook))
    assert found, "an unsolved lesson must fail"
    first_cell, first_name, _ = found[0]
    assert first_name == "NotImplementedError"
    # ... raised by a student's stub: in an exercise cell, or in code that calls one.
    assert "NotImplementedError" in "".join(
        out.get("ename", "") for out in notebook.cells[first_cell].outputs)
    # Nothing from the course itself breaks: no import, data or type errors, only the stubs,
    # the names that unsolved exercises never defined, and a graded quiz's checks (its format
    # check and, under nbgrader, its hidden tests) finding the answers still left at None.
    quiz_cells = {index for index, cell in enumerate(notebook.cells)
                  if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("quiz_")}
    # Lesson 4's checks read what the given cells made (an empty dict of histories) and
    # say in one sentence that nothing was trained.
    empty = ("histories holds no trained model yet", "histories에 아직 학습한 모델이 없습니다")
    unexpected = [(name, message) for index, name, message in found
                  if name not in {"NotImplementedError", "NameError"}
                  and not (name == "ValueError" and message.endswith("train first."))
                  and not (name == "CheckFailed" and index in quiz_cells
                           and "is not answered" in message)
                  and not (name == "CheckFailed" and message.startswith(empty))]
    assert unexpected == []
    # The cells before the first exercise (set-up, data, bag-of-embeddings) ran cleanly.
    assert device_words(language) in stdout(notebook)
