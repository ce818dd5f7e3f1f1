"""The lessons as students and CI meet them: executed with real kernels on real AG News."""

from __future__ import annotations

import pytest

from rnncourse.release import stale_lessons
from tests.notebooks.helpers import LESSONS, errors, execute, stdout

pytestmark = pytest.mark.notebooks


def test_lessons_are_what_nbgrader_generates_from_solutions(repo):
    assert stale_lessons(repo) == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_notebook_runs_and_passes_all_its_tests(repo, shared_ag_news, lesson):
    notebook = execute(repo / "solutions" / lesson / f"{lesson}.ipynb",
                       {"RNNCOURSE_DATA": str(shared_ag_news), "RNNCOURSE_QUICK": "1"})
    assert list(errors(notebook)) == []
    printed = stdout(notebook)
    # Visible and hidden tests both ran and passed.
    assert printed.count("on every shape, with the same gradients.") == 2
    assert "ignores padding and trains every" in printed
    assert printed.count("reproduces") == 2
    assert "Test accuracy after 3 epochs" in printed
    # The device is named once, by the set-up cell.
    assert printed.count(" is using ") == 1
    # nbgrader gives zero points to a test cell that writes to stderr, whatever it printed:
    # no framework log line may land in a graded cell (or clutter the set-up cell).
    noisy = [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
             if cell.metadata.get("nbgrader", {}).get("grade_id")
             and any(out.get("name") == "stderr" for out in cell.get("outputs", []))]
    assert noisy == []


@pytest.mark.parametrize("lesson", LESSONS)
def test_untouched_student_notebook_fails_only_with_the_exercise_stubs(repo, shared_ag_news,
                                                                      lesson):
    notebook = execute(repo / "lessons" / lesson / f"{lesson}.ipynb",
                       {"RNNCOURSE_DATA": str(shared_ag_news), "RNNCOURSE_QUICK": "1"},
                       allow_errors=True)
    found = list(errors(notebook))
    assert found, "an unsolved lesson must fail"
    first_cell, first_name, _ = found[0]
    assert first_name == "NotImplementedError"
    assert notebook.cells[first_cell].metadata.get("nbgrader", {}).get("solution") or \
        "RNNCell(" in notebook.cells[first_cell].source
    # Nothing from the course itself breaks: no import, data or type errors, only the stubs
    # and the names that unsolved exercises never defined.
    assert {name for _, name, _ in found} <= {"NotImplementedError", "NameError"}
    # The cells before the first exercise (set-up, data, bag-of-embeddings) ran cleanly.
    assert "is using" in stdout(notebook)
