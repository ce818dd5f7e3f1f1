"""Real nbgrader runs over the course's config: full marks for solutions, zero for stubs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from rnncourse.release import nbgrader_env
from tests.notebooks.helpers import LESSONS, max_points, solved

pytestmark = pytest.mark.nbgrader


def nbgrader(course: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run an nbgrader command from the course's autograder folder, as the README says."""
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}",
         f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"],
        cwd=course / "autograder", env=env, capture_output=True, text=True, timeout=1200,
    )


@pytest.fixture(scope="module")
def graded_course(repo, shared_ag_news, tmp_path_factory):
    """A copy of the course where two students handed in every lesson, autograded."""
    course = tmp_path_factory.mktemp("course")
    for folder in ("solutions", "lessons", "autograder"):
        shutil.copytree(repo / folder, course / folder,
                        ignore=shutil.ignore_patterns("gradebook.db", "__pycache__"))
    env = {**nbgrader_env(), "RNNCOURSE_DATA": str(shared_ag_news)}
    env.pop("RNNCOURSE_QUICK", None)  # nbgrader's own NBGRADER_EXECUTION must switch it on
    for lesson in LESSONS:
        result = nbgrader(course, "generate_assignment", lesson, "--force", env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        for student, notebook in (
            ("solver", solved(course / "lessons" / lesson / f"{lesson}.ipynb",
                              course / "solutions" / lesson / f"{lesson}.ipynb")),
            ("untouched", nbformat.read(course / "lessons" / lesson / f"{lesson}.ipynb", 4)),
        ):
            folder = course / "submitted" / student / lesson
            folder.mkdir(parents=True)
            nbformat.write(notebook, folder / f"{lesson}.ipynb")
        result = nbgrader(course, "autograde", lesson, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        result = nbgrader(course, "generate_feedback", lesson, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
    return course


@pytest.mark.parametrize("lesson", LESSONS)
def test_solutions_get_full_marks(graded_course, lesson):
    with Gradebook(f"sqlite:///{graded_course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(lesson, lesson, "solver")
        scores = {grade.name: (grade.score, grade.max_score) for grade in notebook.grades}
        top = max_points(graded_course / "solutions" / lesson / f"{lesson}.ipynb")
        assert notebook.max_score == top
        assert all(score == most for score, most in scores.values()), scores
        assert notebook.score == top


@pytest.mark.parametrize("lesson", LESSONS)
def test_untouched_notebooks_get_zero_without_crashing(graded_course, lesson):
    with Gradebook(f"sqlite:///{graded_course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(lesson, lesson, "untouched")
        assert len(notebook.grades) == len(
            gradebook.find_submission_notebook(lesson, lesson, "solver").grades)
        assert notebook.score == 0
        assert notebook.max_score == max_points(
            graded_course / "solutions" / lesson / f"{lesson}.ipynb")


@pytest.mark.parametrize("lesson", LESSONS)
def test_feedback_shows_hidden_tests_and_failures(graded_course, lesson):
    solver = graded_course / "feedback" / "solver" / lesson / f"{lesson}.html"
    untouched = graded_course / "feedback" / "untouched" / lesson / f"{lesson}.html"
    assert "on every shape" in solver.read_text()  # the hidden tests ran
    assert "NotImplementedError" in untouched.read_text()
