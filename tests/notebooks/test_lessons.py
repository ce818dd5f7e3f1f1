"""The lessons as students and CI meet them: executed with real kernels on real AG News.

The untouched student notebooks run here, in both editions. The solved notebooks of both
editions run under nbgrader in tests/notebooks/test_autograde.py, which checks the executed
notebooks the same way (every check passed, quizzes shown, device named once, no stderr in
graded cells) besides their scores, so no solution is executed twice per CI run.
"""

from __future__ import annotations

import pytest

from rnncourse.i18n.editions import edition_dir
from rnncourse.release import stale_lessons
from tests.notebooks.helpers import LESSONS, device_words, errors, execute, stdout

pytestmark = pytest.mark.notebooks

EDITIONS = ("en", "ko")


def test_lessons_are_what_nbgrader_generates_from_solutions(repo):
    assert stale_lessons(repo) == []


@pytest.mark.parametrize("language", EDITIONS)
@pytest.mark.parametrize("lesson", LESSONS)
def test_untouched_student_notebook_fails_only_with_the_exercise_stubs(repo, shared_ag_news,
                                                                      lesson, language):
    notebook = execute(repo / edition_dir(language) / lesson / f"{lesson}.ipynb",
                       {"RNNCOURSE_DATA": str(shared_ag_news), "RNNCOURSE_QUICK": "1"},
                       allow_errors=True)
    found = list(errors(notebook))
    assert found, "an unsolved lesson must fail"
    first_cell, first_name, _ = found[0]
    assert first_name == "NotImplementedError"
    # ... raised by a student's stub: in an exercise cell, or in code that calls one.
    assert "NotImplementedError" in "".join(
        out.get("ename", "") for out in notebook.cells[first_cell].outputs)
    # Nothing from the course itself breaks: no import, data or type errors, only the stubs,
    # the names that unsolved exercises never defined and a graded quiz's format check asking
    # for the answers still left at None.
    quiz_cells = {index for index, cell in enumerate(notebook.cells)
                  if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("quiz_")}
    unexpected = [(name, message) for index, name, message in found
                  if name not in {"NotImplementedError", "NameError"}
                  and not (name == "ValueError" and message.endswith("train first."))
                  and not (name == "CheckFailed" and index in quiz_cells
                           and "is not answered yet" in message)]
    assert unexpected == []
    # The cells before the first exercise (set-up, data, bag-of-embeddings) ran cleanly.
    assert device_words(language) in stdout(notebook)
