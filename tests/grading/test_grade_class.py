"""`rnncourse grade` on a class of broken and misbehaving submissions: real nbgrader, 2 workers."""

from __future__ import annotations

import csv
import html
import re
import subprocess
import sys

import psutil
import pytest

from rnncourse.grading.ledger import FILE_NAME
from rnncourse.grading.run import grade_class
from rnncourse.release import nbgrader_env
from tests.grading.conftest import LIMITS
from tests.grading.corpus import (
    ASSIGNMENT,
    EXPECTED,
    FULL,
    INTERRUPTED,
    NAME,
    build,
    interrupt_after_three,
    interruptible,
)

pytestmark = pytest.mark.nbgrader

@pytest.mark.parametrize("case", list(EXPECTED))
def test_each_submission_gets_its_score_and_its_reason(graded, case):
    out, run, _ = graded
    result = next(r for r in run.results if r.student == case)
    expected = EXPECTED[case]
    told = " ".join(result.problems + result.flags + result.notes).lower()
    assert (result.total, result.status) == (expected.total, expected.status), told
    assert all(phrase.lower() in told for phrase in expected.reports), told
    assert bool(result.flags) == expected.flagged, result.flags
    assert result.mistakes == dict(expected.mistakes)
    feedback = out / "feedback" / case / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert feedback.is_file()
    if expected.status == "failed":
        assert html.escape(result.problems[0]) in feedback.read_text()


def test_the_notebook_reads_its_own_data_in_the_sandbox(graded):
    out, run, _ = graded
    result = next(r for r in run.results if r.student == "own-data")
    assert result.sandboxed and not result.notes
    graded_notebook = (out / "autograded" / "own-data" / ASSIGNMENT / NAME).read_text()
    assert "own data: 2 days" in graded_notebook


def _page_text(path):
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def test_feedback_is_nbgraders_page_without_the_tests_code(graded, repo):
    out, _, _ = graded
    solver, untouched = (_page_text(out / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html")
                         for student in ("solver", "untouched"))
    graded_solver = (out / "autograded" / "solver" / ASSIGNMENT / NAME).read_text()
    assert "on every shape" in graded_solver  # a hidden test ran: the instructor sees it
    for page in (solver, untouched):
        assert "BEGIN HIDDEN TESTS" not in page and "on every shape" not in page
        assert "Grade cell: test_rnn_cell" in page and "not shown in feedback" in page
    assert "✓ passed" in solver
    assert "✗ NotImplementedError" in untouched
    wrong_key = _page_text(out / "feedback" / "wrong-key" / ASSIGNMENT / f"{ASSIGNMENT}.html")
    assert "✗ CheckFailed [weight loading raised an error]: load_torch_rnn raised KeyError" in (
        wrong_key)


def test_the_grades_csv_has_one_row_per_student_and_each_exercise(graded):
    out, run, _ = graded
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["student"] for r in rows] == sorted(EXPECTED)
    solver = next(r for r in rows if r["student"] == "solver")
    assert solver["test_rnn_cell"] == "3" and solver["total"] == "14" and solver["max"] == "14"
    assert next(r for r in rows if r["student"] == "patched-check")["needs_look"] == "yes"
    assert len(run.results) == len(EXPECTED)


def test_the_summary_names_who_needs_a_look_and_why_and_counts_the_mistakes(graded):
    out, run, _ = graded
    assert f"{ASSIGNMENT}: {len(EXPECTED)} student(s)" in run.summary
    assert "test_load_weights" in run.summary
    assert "    1  test_load_weights  weight loading raised an error [loading-error]" in run.summary
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["wrong-key"]["mistakes"] == "test_load_weights: loading-error"
    look = run.summary.split("Needs a manual look:")[1]
    assert "patched-check (3/14)" in look and "memory-hog (0/14)" in look
    assert "  solver (" not in look


def test_nbgraders_export_reads_the_merged_gradebook(graded, tmp_path):
    out, _, _ = graded
    exported = tmp_path / "export.csv"
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", f"--CourseDirectory.root={tmp_path}",
         f"--CourseDirectory.db_url=sqlite:///{out / 'gradebook.db'}", f"--to={exported}"],
        cwd=tmp_path, env=nbgrader_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(exported.open())}
    assert scores["solver"] == FULL and scores["untouched"] == 0
    assert scores["patched-check"] == 3 and len(scores) == len(EXPECTED)


def test_no_process_of_the_run_outlives_it(graded):
    # Only the grader's own processes: every kernel, sandbox and launcher of this run has
    # the run's private job folder on its command line.
    _, run, _ = graded
    left = [p for p in psutil.process_iter(["cmdline"])
            if str(run.jobs) in " ".join(p.info["cmdline"] or [])]
    assert left == []
    assert not run.jobs.exists()


def test_a_rerun_grades_nothing_twice(graded, repo, shared_ag_news):
    out, run, _ = graded
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNCOURSE_DATA", str(shared_ag_news))
        again = grade_class(repo, ASSIGNMENT, out.parent / "submitted", out, workers=2,
                            limits=LIMITS, progress=False, say=lambda line: None)
    assert again.newly_graded == 0
    assert [(r.student, r.total) for r in again.results] == [
        (r.student, r.total) for r in run.results]


def test_an_interrupted_run_resumes_without_losing_or_double_counting(repo, shared_ag_news,
                                                                    tmp_path):
    # The last notebook sleeps until its cell is interrupted, so it is still being graded
    # whenever the interrupt arrives: the test waits for an event, never for a time.
    cases = build(tmp_path / "submitted", INTERRUPTED)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "rnncourse.cli", "grade", ASSIGNMENT,
               str(tmp_path / "submitted"), "--out", str(out), "--workers", "1"]
    env = {**nbgrader_env(), "RNNCOURSE_DATA": str(shared_ag_news)}
    grading = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    interrupt_after_three(grading, out, timeout=300)

    finished = subprocess.run([*command, "--cell-timeout", "5"], cwd=repo, env=env,
                              capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "Resuming: 3 submission(s) already graded" in finished.stdout
    assert "Graded 1 submission(s)" in finished.stdout
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert sorted(r["student"] for r in rows) == sorted(cases)
    lines = (out / FILE_NAME).read_text().splitlines()
    assert len(lines) == 4  # one line per submission: nothing graded twice
