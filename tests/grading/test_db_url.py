"""``rnncourse grade --db-url``: results go into the course's own nbgrader gradebook too.

A SQLite file stands in for the class server's PostgreSQL here (the same nbgrader and
SQLAlchemy code talks to both); tests/hub grades into a real PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from nbgrader.api import Gradebook
from sqlalchemy.exc import OperationalError

from rnncourse.cli import main
from rnncourse.errors import CourseError
from rnncourse.grading import gradebook as course_gradebook
from rnncourse.grading.gradebook import CourseGradebook, course_db_url, open_gradebook
from rnncourse.grading.run import grade_class
from rnncourse.grading.worker import Result
from rnncourse.release import generate_into
from tests.grading.conftest import LIMITS
from tests.grading.corpus import ASSIGNMENT, build

FULL = {"test_rnn_cell": 3.0, "test_rnn_layer": 3.0, "test_rnn_classifier": 2.0,
        "test_ag_news_accuracy": 2.0, "test_load_weights": 2.0, "test_rnn_backward": 2.0}
#: Cases graded in seconds (no kernel runs): they fail with zero points.
QUICK = ["corrupt-json", "empty-file", "no-notebook"]


@pytest.fixture(scope="module")
def template(repo, tmp_path_factory):
    """The scratch course's SQLite gradebook of Lesson 1, as ``rnncourse grade`` makes it."""
    scratch = tmp_path_factory.mktemp("template")
    generate_into(repo, scratch, [ASSIGNMENT])
    return scratch / "gradebook.db"


def _course(folder, policy: str = "zero") -> None:
    """The course's nbgrader settings in ``folder``: its id and late policy."""
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'rnncourse'\n"
        f"c.LateSubmissionPlugin.penalty_method = {policy!r}\n")


def _result(student: str, scores: dict[str, float]) -> Result:
    return Result(student=student, assignment=ASSIGNMENT, digest=student, status="graded",
                  scores=scores, max_scores=FULL)


def test_a_result_recorded_twice_counts_once_and_a_regrade_replaces_it(template, tmp_path):
    _course(tmp_path)
    url = f"sqlite:///{tmp_path / 'course.db'}"
    course = CourseGradebook(url, ASSIGNMENT, folder=tmp_path)
    course.know_assignment(template)  # a gradebook that never saw the assignment learns it
    course.merge(_result("ann", FULL), None)
    course.merge(_result("ann", FULL), None)
    assert course.scores("ann") == (14.0, None, None)
    course.merge(_result("ann", {**FULL, "test_load_weights": 0.0}), None)
    assert course.scores("ann")[0] == 12.0
    course.close()
    with Gradebook(url, "rnncourse") as gradebook:
        assert len(gradebook.find_assignment(ASSIGNMENT).submissions) == 1
        assert gradebook.find_assignment(ASSIGNMENT).course_id == "rnncourse"


@pytest.mark.parametrize(("policy", "penalty"), [("zero", 14.0), ("none", None)])
def test_late_work_gets_the_penalty_of_the_courses_policy(template, tmp_path, policy, penalty):
    _course(tmp_path, policy)
    url = f"sqlite:///{tmp_path / 'course.db'}"
    with Gradebook(url, "rnncourse") as gradebook:
        gradebook.update_or_create_assignment(ASSIGNMENT, duedate="2026-12-01 12:00:00 UTC")
    course = CourseGradebook(url, ASSIGNMENT, folder=tmp_path)
    course.know_assignment(template)
    assert course.due == datetime(2026, 12, 1, 12)
    on_time, late = datetime(2026, 12, 1, 11, 59), datetime(2026, 12, 1, 12, 5)
    assert course.merge(_result("ann", FULL), on_time) is None
    assert course.merge(_result("bob", FULL), late) == penalty
    assert course.scores("ann") == (14.0, None, on_time)
    assert course.scores("bob") == (14.0, penalty, late)  # nbgrader export: score - penalty
    course.close()


def test_another_version_of_the_assignment_is_refused(template, tmp_path):
    _course(tmp_path)
    url = f"sqlite:///{tmp_path / 'course.db'}"
    with Gradebook(url, "rnncourse") as gradebook:
        gradebook.update_or_create_assignment(ASSIGNMENT)
        gradebook.update_or_create_notebook(ASSIGNMENT, ASSIGNMENT)
        gradebook.update_or_create_grade_cell("test_old", ASSIGNMENT, ASSIGNMENT, max_score=1,
                                              cell_type="code")
    course = CourseGradebook(url, ASSIGNMENT, folder=tmp_path)
    with pytest.raises(CourseError, match="holds another version of 01-rnn-pytorch"):
        course.know_assignment(template)
    course.close()


def test_db_url_alone_is_the_courses_own_from_its_nbgrader_settings(tmp_path, monkeypatch):
    """`--db-url` alone: the db_url of the working folder's nbgrader settings, so that its
    password is never on a command line every account on the machine can read."""
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_url = 'postgresql://u:secret@db/gradebook'\n")
    monkeypatch.chdir(tmp_path)
    assert course_db_url() == "postgresql://u:secret@db/gradebook"
    (tmp_path / "plain").mkdir()
    assert course_db_url(tmp_path / "plain").startswith("sqlite:///")  # nbgrader's default


def test_a_gradebook_that_cannot_be_reached_is_one_sentence(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CourseError) as caught:
        open_gradebook(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}", ASSIGNMENT)
    message = str(caught.value)
    assert message.startswith("The gradebook at sqlite:///") and "cannot be reached" in message
    assert message.endswith("then run the same command again.") and "\n" not in message
    with pytest.raises(CourseError, match="is not a database URL"):
        open_gradebook("not a url", ASSIGNMENT)
    assert capsys.readouterr().err == ""  # nbgrader's traceback stays out of it


def test_a_stopped_database_stops_the_run_and_the_same_command_resumes(
        repo, shared_ag_news, tmp_path, monkeypatch):
    """The database fails while the second result is recorded: the run stops in one
    sentence; run again, nothing is graded twice and every result is recorded once."""
    build(tmp_path / "submitted", QUICK)
    for case in QUICK:  # nbgrader's receipts, as `nbgrader collect` leaves them
        folder = tmp_path / "submitted" / case / ASSIGNMENT
        (folder / "timestamp.txt").write_text("2026-12-01 11:00:00.000000 UTC")
        (folder / "submission_secret.txt").write_text(f"secret-{case}")
    course = tmp_path / "course"
    course.mkdir()
    _course(course)
    monkeypatch.chdir(course)
    monkeypatch.setenv("RNNCOURSE_DATA", str(shared_ag_news))
    url = f"sqlite:///{course / 'gradebook.db'}"
    out = tmp_path / "out"
    merge = course_gradebook.CourseGradebook.merge
    calls = []

    def failing(self, result, submitted):
        calls.append(result.student)
        if len(calls) == 2:
            raise OperationalError("INSERT", {}, Exception("server closed the connection"))
        return merge(self, result, submitted)

    monkeypatch.setattr(course_gradebook.CourseGradebook, "merge", failing)
    with pytest.raises(CourseError) as caught:
        grade_class(repo, ASSIGNMENT, tmp_path / "submitted", out, workers=1, limits=LIMITS,
                    progress=False, say=lambda line: None, db_url=url)
    message = str(caught.value)
    assert "stopped answering (server closed the connection) while recording" in message
    assert "run the same command again" in message and "\n" not in message
    monkeypatch.setattr(course_gradebook.CourseGradebook, "merge", merge)
    run = grade_class(repo, ASSIGNMENT, tmp_path / "submitted", out, workers=1, limits=LIMITS,
                      progress=False, say=lambda line: None, db_url=url)
    assert run.newly_graded == 1  # the third; the first two were kept though not recorded
    assert f"Recorded in the gradebook at {url}." in run.summary
    with Gradebook(url, "rnncourse") as gradebook:
        submissions = gradebook.find_assignment(ASSIGNMENT).submissions
        assert sorted(s.student.id for s in submissions) == QUICK
        assert {s.timestamp for s in submissions} == {datetime(2026, 12, 1, 11)}
    # What `nbgrader release_feedback --CourseDirectory.feedback_directory=...` needs.
    page = out / "feedback" / "no-notebook" / ASSIGNMENT
    assert (page / "submission_secret.txt").read_text() == "secret-no-notebook"
    assert (page / "timestamp.txt").is_file() and (page / f"{ASSIGNMENT}.html").is_file()


def test_the_cli_says_what_is_wrong_with_the_database_in_one_sentence(repo, tmp_path,
                                                                       monkeypatch, capsys):
    monkeypatch.chdir(repo)
    code = main(["grade", ASSIGNMENT, str(tmp_path), "--out", str(tmp_path / "out"),
                 "--db-url", "postgresql://nobody:secret@127.0.0.1:9/gradebook"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("rnncourse: The gradebook at postgresql://nobody:***@")
    assert "secret" not in err and len(err.splitlines()) == 1
