"""The whole course autograded: nbgrader's own commands, and `rnncourse grade` in parallel.

Lesson 1 (PyTorch) goes through nbgrader's commands one by one, as the README's instructor
section shows them. Every lesson is then graded by `rnncourse grade`: solved (in English or
in Korean, alternating: one nbgrader config grades both editions), and Lesson 3 in both
frameworks also untouched. The notebooks nbgrader executed are also checked as the lessons'
own tests would check them, so this is where the solutions run in CI.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from rnncourse.grading.run import grade_class
from rnncourse.grading.worker import Limits
from rnncourse.i18n.editions import edition_dir
from rnncourse.release import RELEASE_DIR, nbgrader_env, solved_notebook
from tests.notebooks.helpers import (
    LESSONS,
    assert_solution_ran_cleanly,
    assert_untouched_failed_only_at_the_stubs,
    max_points,
)

pytestmark = pytest.mark.nbgrader
NATIVE = "01-rnn-pytorch"


def nbgrader(course: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run an nbgrader command from the course's autograder folder, as the README says."""
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}",
         f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"],
        cwd=course / "autograder", env=env, capture_output=True, text=True, timeout=1200,
    )


def hand_in(folder: Path, lesson: str, repo: Path, students: tuple[str, ...]) -> None:
    """Submissions of ``lesson`` in ``folder``: ``solver`` (the English notebook solved),
    ``untouched`` (the English one as released) and ``solver-ko`` (the Korean one solved)."""
    released = repo / RELEASE_DIR / lesson / f"{lesson}.ipynb"
    korean = repo / edition_dir("ko") / lesson / f"{lesson}.ipynb"
    source = repo / "solutions" / lesson / f"{lesson}.ipynb"
    made = {"solver": lambda: solved_notebook(released, source),
            "untouched": lambda: nbformat.read(released, as_version=4),
            "solver-ko": lambda: solved_notebook(korean, source)}
    for student in students:
        notebook = made[student]()
        (folder / student / lesson).mkdir(parents=True)
        nbformat.write(notebook, folder / student / lesson / f"{lesson}.ipynb")


@pytest.fixture(scope="module")
def native_course(repo, shared_ag_news, tmp_path_factory):
    """A copy of the course where Lesson 1 went through nbgrader's own commands."""
    course = tmp_path_factory.mktemp("course")
    for folder in ("solutions", "autograder"):
        shutil.copytree(repo / folder, course / folder,
                        ignore=shutil.ignore_patterns("gradebook.db", "__pycache__"))
    env = {**nbgrader_env(), "RNNCOURSE_DATA": str(shared_ag_news)}
    env.pop("RNNCOURSE_QUICK", None)  # nbgrader's own NBGRADER_EXECUTION must switch it on
    result = nbgrader(course, "generate_assignment", NATIVE, "--force", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    hand_in(course / "submitted", NATIVE, repo, ("solver", "untouched"))
    for command in ("autograde", "generate_feedback"):
        result = nbgrader(course, command, NATIVE, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
    result = nbgrader(course, "export", f"--to={course / 'grades.csv'}", env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    return course


def test_nbgrader_commands_give_full_marks_and_zero(native_course):
    with Gradebook(f"sqlite:///{native_course / 'gradebook.db'}") as gradebook:
        solver = gradebook.find_submission_notebook(NATIVE, NATIVE, "solver")
        untouched = gradebook.find_submission_notebook(NATIVE, NATIVE, "untouched")
        top = max_points(native_course / "solutions" / NATIVE / f"{NATIVE}.ipynb")
        assert (solver.score, solver.max_score, untouched.score) == (top, top, 0)
        assert all(grade.score == grade.max_score for grade in solver.grades)
    exported = {row["student_id"]: float(row["score"])
                for row in csv.DictReader((native_course / "grades.csv").open())}
    assert exported == {"solver": top, "untouched": 0.0}
    feedback = native_course / "feedback" / "solver" / NATIVE / f"{NATIVE}.html"
    assert "on every shape" in feedback.read_text()  # the hidden tests ran


#: The edition each lesson's solution is handed in in. Every solution runs once per CI run, so
#: the editions alternate: each covers both frameworks and more than one lesson, and the two
#: editions' code cells are identical (tests/i18n/test_editions.py).
SOLVED_IN = {"01-rnn-pytorch": "en", "01-rnn-tensorflow": "ko", "02-lstm-pytorch": "ko",
             "02-lstm-tensorflow": "en", "03-deep-pytorch": "en", "03-deep-tensorflow": "ko",
             "04-own-data-pytorch": "ko", "04-own-data-tensorflow": "en"}
SOLVERS = {"en": "solver", "ko": "solver-ko"}
#: The lessons also handed in untouched: one per framework, with the graded quiz. The other
#: untouched lessons run in tests/notebooks/test_lessons.py (Korean edition, same code
#: cells), and Lesson 1 (PyTorch) untouched in the grading corpus (tests/grading).
UNTOUCHED_IN = ("03-deep-pytorch", "03-deep-tensorflow", "04-own-data-pytorch",
                "04-own-data-tensorflow")
#: A phrase of a hidden test's pass line, per language: the hidden tests ran.
HIDDEN_TESTS_RAN = {"en": "on every shape", "ko": "모든 모양에서"}


def test_the_solved_editions_cover_every_lesson_and_both_frameworks_in_each_edition():
    assert set(SOLVED_IN) == set(LESSONS)
    for language in SOLVERS:
        frameworks = {lesson.rsplit("-", 1)[1] for lesson, edition in SOLVED_IN.items()
                      if edition == language}
        assert frameworks == {"pytorch", "tensorflow"}, language


@pytest.fixture(scope="module")
def parallel_results(repo, shared_ag_news, tmp_path_factory):
    """lesson -> (results folder, {student: result}) after `rnncourse grade`.

    Every lesson is handed in solved (in the edition SOLVED_IN names), and the lessons of
    UNTOUCHED_IN also untouched in English. Two lessons are graded at a time, one worker each
    with one math thread, the longest first, so both cores stay busy (tests/grading grades
    with two workers).
    """
    base = tmp_path_factory.mktemp("parallel")
    for lesson in LESSONS:
        untouched = ("untouched",) if lesson in UNTOUCHED_IN else ()
        hand_in(base / "submitted", lesson, repo, (SOLVERS[SOLVED_IN[lesson]], *untouched))
    longest_first = sorted(LESSONS, key=lambda lesson: (lesson[:2], "tensorflow" in lesson),
                           reverse=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNCOURSE_DATA", str(shared_ag_news))
        patch.delenv("RNNCOURSE_QUICK", raising=False)
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = {lesson: pool.submit(grade_class, repo, lesson, base / "submitted",
                                        base / "graded" / lesson, workers=1,
                                        limits=Limits(threads=1), progress=False,
                                        say=lambda line: None)
                    for lesson in longest_first}
            return {lesson: (run.result().out, {r.student: r for r in run.result().results})
                    for lesson, run in runs.items()}


def answer_cells(solution: Path) -> dict[str, float]:
    """grade id -> points of every written answer a person grades."""
    notebook = nbformat.read(solution, as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]["points"]
            for cell in notebook.cells if cell.cell_type == "markdown"
            and cell.metadata.get("nbgrader", {}).get("grade")}


@pytest.mark.parametrize("lesson", LESSONS)
def test_solutions_get_full_marks_in_parallel_grading(parallel_results, repo, lesson):
    out, results = parallel_results[lesson]
    language = SOLVED_IN[lesson]
    solver = results[SOLVERS[language]]
    solution = repo / "solutions" / lesson / f"{lesson}.ipynb"
    top, written = max_points(solution), answer_cells(solution)
    # Full marks on everything a computer grades; the written answers await a person.
    assert (solver.total, solver.max_total, solver.status) == (
        top - sum(written.values()), top, "graded")
    assert solver.manual == list(written)
    assert all(solver.scores[grade_id] == (0 if grade_id in written else points)
               for grade_id, points in solver.max_scores.items())
    assert not solver.flags and not solver.problems, solver
    feedback = out / "feedback" / solver.student / lesson / f"{lesson}.html"
    assert "✓ passed" in feedback.read_text("utf-8")
    if "BEGIN HIDDEN TESTS" in solution.read_text("utf-8"):
        # The hidden tests ran: the instructor's graded notebook shows it, the student's not.
        graded = out / "autograded" / solver.student / lesson / f"{lesson}.ipynb"
        assert HIDDEN_TESTS_RAN[language] in graded.read_text("utf-8")
        assert HIDDEN_TESTS_RAN[language] not in feedback.read_text("utf-8")


@pytest.mark.parametrize("lesson", [lesson for lesson in LESSONS if lesson.startswith("04")])
def test_written_answers_go_to_a_person_in_the_gradebook_csv_and_summary(parallel_results, repo,
                                                                         lesson):
    out, results = parallel_results[lesson]
    solver = SOLVERS[SOLVED_IN[lesson]]
    written = answer_cells(repo / "solutions" / lesson / f"{lesson}.ipynb")
    assert len(written) == 4
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        for student, waiting in ((solver, set(written)), ("untouched", set())):
            notebook = gradebook.find_submission_notebook(lesson, lesson, student)
            manual = {grade.name for grade in notebook.grades if grade.needs_manual_grade}
            assert manual == waiting, student
            assert all(grade.auto_score is None for grade in notebook.grades
                       if grade.name in waiting)
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert rows[solver]["manual_grading"].split() == list(written)
    assert rows[solver]["findings_data"] == "" and rows["untouched"]["findings_data"] == "0"
    assert results["untouched"].manual == []  # an unanswered cell is nbgrader's 0 already


@pytest.mark.parametrize("lesson", LESSONS)
def test_graded_solutions_ran_every_check_cleanly(parallel_results, lesson):
    # The notebook nbgrader executed, checked as tests/notebooks/test_lessons.py would.
    out, _ = parallel_results[lesson]
    language = SOLVED_IN[lesson]
    notebook = nbformat.read(out / "autograded" / SOLVERS[language] / lesson / f"{lesson}.ipynb",
                             as_version=4)
    assert_solution_ran_cleanly(notebook, lesson, language)


@pytest.mark.parametrize("lesson", UNTOUCHED_IN)
def test_untouched_notebooks_get_zero_without_crashing(parallel_results, lesson):
    out, results = parallel_results[lesson]
    untouched = results["untouched"]
    assert (untouched.total, untouched.status) == (0, "graded")
    assert set(untouched.scores) == set(results[SOLVERS[SOLVED_IN[lesson]]].scores)
    feedback = out / "feedback" / "untouched" / lesson / f"{lesson}.html"
    assert "NotImplementedError" in feedback.read_text()
    # The notebook nbgrader executed, checked as tests/notebooks/test_lessons.py checks the
    # untouched Korean ones: it failed only at the exercise stubs.
    notebook = nbformat.read(out / "autograded" / "untouched" / lesson / f"{lesson}.ipynb",
                             as_version=4)
    assert_untouched_failed_only_at_the_stubs(notebook, "en")


@pytest.mark.parametrize("lesson", [lesson for lesson in LESSONS if SOLVED_IN[lesson] == "ko"])
def test_a_korean_submission_gets_korean_feedback(parallel_results, lesson):
    out, _ = parallel_results[lesson]
    page = (out / "feedback" / "solver-ko" / lesson / f"{lesson}.html").read_text("utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # the page without its highlighting
    assert 'set_language("ko")' in text  # the language cell stays as the student handed it in
    assert "사용하는 장치는" in text  # so the feedback is Korean: the device line, for one


#: The graded quiz's review in the feedback, per language: under every question's verdict.
QUIZ_REVIEW = {"en": "» The right answer: ", "ko": "» 정답: "}


@pytest.mark.parametrize("lesson", [lesson for lesson in LESSONS if lesson.startswith("03")])
def test_the_graded_quiz_s_feedback_reviews_every_question(parallel_results, lesson):
    out, _ = parallel_results[lesson]
    language = SOLVED_IN[lesson]
    page = (out / "feedback" / SOLVERS[language] / lesson / f"{lesson}.html").read_text("utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert text.count(QUIZ_REVIEW[language]) == 6  # q1 to q6
    assert QUIZ_REVIEW[language] + "2480. " in text
    assert "right=" not in text  # the hidden cells' code stays hidden; only their output shows
    untouched = (out / "feedback" / "untouched" / lesson / f"{lesson}.html").read_text("utf-8")
    untouched = html.unescape(re.sub(r"<[^>]+>", "", untouched))
    assert "Question q1 is not answered." in untouched
    assert untouched.count("» The right answer: ") == 6
