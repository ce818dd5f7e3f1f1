"""The lessons as students and CI meet them: executed with real kernels on real AG News.

The solutions run in English here; the Korean solutions run, solved, under nbgrader in
tests/notebooks/test_autograde.py (full marks, Korean feedback), so each edition's every
notebook executes once per CI run. The untouched student notebooks run in both editions.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from rnncourse.i18n import gettext
from rnncourse.i18n.catalogs import lesson_name
from rnncourse.i18n.editions import edition_dir, lesson_translations, translate_notebook
from rnncourse.quiz import load_quiz
from rnncourse.release import stale_lessons
from tests.notebooks.helpers import LESSONS, errors, execute, stdout

pytestmark = pytest.mark.notebooks

#: How many checks each lesson's solution passes at least (visible plus hidden).
VISIBLE_AND_HIDDEN = {"01": 8, "02": 9, "03": 9}
EDITIONS = ("en", "ko")


def device_words(language: str) -> str:
    """What the device line says between the framework and the device, in ``language``."""
    line = gettext("{framework} is using {device}.", language)
    return line.split("{framework}", 1)[1].split("{device}", 1)[0]


def solution(repo, tmp_path, lesson: str, language: str):
    """The solution notebook in ``language``: the Korean one generated like the lessons."""
    path = repo / "solutions" / lesson / f"{lesson}.ipynb"
    if language == "en":
        return path
    notebook = translate_notebook(nbformat.read(path, as_version=4),
                                  lesson_translations(repo, lesson_name(lesson), language),
                                  language, lesson)
    target = tmp_path / lesson / f"{lesson}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(notebook, target)
    return target


def test_lessons_are_what_nbgrader_generates_from_solutions(repo):
    assert stale_lessons(repo) == []


@pytest.mark.parametrize("language", ["en"])
@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_notebook_runs_and_passes_all_its_tests(repo, shared_ag_news, tmp_path, lesson,
                                                         language):
    notebook = execute(solution(repo, tmp_path, lesson, language),
                       {"RNNCOURSE_DATA": str(shared_ag_news), "RNNCOURSE_QUICK": "1"})
    assert list(errors(notebook)) == []
    printed = stdout(notebook)
    # Every graded cell ran its visible and hidden checks, and each passed ("✓" per check).
    # Quiz cells (grade ids quiz_*) grade silently: for them, no error is the pass.
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and "check_accuracy" not in cell.source \
                and not meta["grade_id"].startswith("quiz_"):
            shown = "".join(out.get("text", "") for out in cell.get("outputs", []))
            assert shown.count("✓") == cell.source.count("check_"), meta["grade_id"]
    # Every quiz shows its questions as readable text (widgets carry it as their text/plain).
    for cell in notebook.cells:
        for name in re.findall(r'^show_quiz\("([\w-]+)"', cell.source, flags=re.M):
            shown = "".join(out.get("text", "") + out.get("data", {}).get("text/plain", "")
                            for out in cell.get("outputs", []))
            assert load_quiz(name).questions[-1].prompt[language] in shown, name
    assert VISIBLE_AND_HIDDEN[lesson[:2]] <= printed.count("✓")
    # The device is named once, by the set-up cell, in the notebook's language.
    assert printed.count(device_words(language)) == 1
    # nbgrader gives zero points to a test cell that writes to stderr, whatever it printed:
    # no framework log line may land in a graded cell (or clutter the set-up cell).
    noisy = [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
             if cell.metadata.get("nbgrader", {}).get("grade_id")
             and any(out.get("name") == "stderr" for out in cell.get("outputs", []))]
    assert noisy == []


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
