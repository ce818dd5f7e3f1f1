"""The course's own gradebook, at a database URL: ``rnncourse grade --db-url``.

On a class server the gradebook is nbgrader's ``db_url``, often PostgreSQL, which the
formgrader and ``nbgrader export`` read. A run with ``--db-url`` writes each result there
too, after the results folder has it (feedback, ledger, its SQLite gradebook), so a database
that stops answering loses nothing: the run stops, and the same command later records what
was graded and grades the rest. Writing a result sets its scores (never adds to them), so
recording it twice counts it once.

The submission's time (nbgrader's ``timestamp.txt``) goes into the gradebook with it, which
then knows how late it was against the assignment's due date; the late penalty is the one the
course's nbgrader settings choose (``LateSubmissionPlugin.penalty_method``, or another
``AssignLatePenalties.plugin_class``), as ``nbgrader autograde`` would set it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from nbgrader.api import Gradebook, InvalidEntry, MissingEntry
from nbgrader.utils import parse_utc
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SAWarning, SQLAlchemyError

from rnncourse.errors import CourseError
from rnncourse.grading.report import apply_result
from rnncourse.grading.worker import Result

#: What the database itself can raise when it is down, unreachable or refuses a write.
DATABASE_ERRORS = (SQLAlchemyError, InvalidEntry, OSError)
#: nbgrader's submission receipt files, in each ``submitted/<student>/<assignment>/``.
RECEIPTS = ("timestamp.txt", "submission_secret.txt")
_MAX_RECEIPT = 1024


def shown(url: str) -> str:
    """``url`` as it may be printed: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def reason(error: BaseException) -> str:
    """The first line of what the database (or its driver) said, for a one-sentence message."""
    lines = [line.strip() for line in str(getattr(error, "orig", None) or error).splitlines()]
    return next((line for line in lines if line), type(error).__name__)[:200]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """nbgrader logs a whole traceback (tornado's logger) before it re-raises a database
    error; the run says what went wrong in one sentence instead."""
    logger = logging.getLogger("tornado.application")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            # nbgrader's own update_or_create_submission trips SQLAlchemy autoflush warnings.
            warnings.simplefilter("ignore", SAWarning)
            yield
    finally:
        logger.setLevel(level)


def nbgrader_config(folder: Path | None = None):
    """The nbgrader settings in force in ``folder`` (default: the working folder), as
    nbgrader's own commands read them there: the folder's nbgrader_config.py over Jupyter's."""
    from nbgrader.apps import NbGrader

    here = os.getcwd()
    os.chdir(folder or here)  # nbgrader reads the working folder's settings, and no other
    try:
        app = NbGrader(log_level="ERROR")  # no settings at all is fine: nbgrader's defaults
        app.load_config_file()
        return app.config
    finally:
        os.chdir(here)


def course_db_url(folder: Path | None = None) -> str:
    """nbgrader's ``CourseDirectory.db_url`` in ``folder`` (default: the working folder): the
    course's gradebook, named in its settings rather than on a command line everyone on the
    machine can read."""
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=nbgrader_config(folder)).db_url


def submitted_at(origin: str) -> datetime | None:
    """When nbgrader received the submission in the folder ``origin`` (UTC), if it says."""
    receipt = Path(origin) / RECEIPTS[0]
    try:
        if receipt.is_symlink() or receipt.stat().st_size > _MAX_RECEIPT:
            return None
        return parse_utc(receipt.read_text(encoding="utf-8").strip())
    except (OSError, ValueError, OverflowError):
        return None


def copy_receipts(origin: str, feedback_folder: Path) -> None:
    """Put nbgrader's receipt files beside a student's feedback page, which is what
    ``nbgrader release_feedback`` needs to release it to that student alone."""
    if not feedback_folder.is_dir():
        return
    for name in RECEIPTS:
        source = Path(origin) / name
        if source.is_symlink() or not source.is_file() or source.stat().st_size > _MAX_RECEIPT:
            continue  # nbgrader writes a few bytes; anything else is not a receipt
        partial = feedback_folder / f".{name}.partial"
        partial.write_bytes(source.read_bytes())
        partial.replace(feedback_folder / name)


def late_by(submitted: datetime | None, due: datetime | None) -> timedelta | None:
    """How late a submission was (None when on time, or when either time is unknown)."""
    if submitted is None or due is None or submitted <= due:
        return None
    return submitted - due


def duration(late: timedelta) -> str:
    """``late`` in words a person reads at a glance: "45 s", "12 min", "3 h 5 min", "2 days"."""
    seconds = int(late.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


class CourseGradebook:
    """nbgrader's gradebook at a database URL, open for one grading run."""

    def __init__(self, url: str, assignment: str, *, folder: Path | None = None) -> None:
        """Connect to the gradebook at ``url`` (a :class:`CourseError` if it cannot be
        reached). The course's id and late policy are those of the nbgrader settings in
        ``folder`` (default: the working folder), as nbgrader's own commands there read them.
        """
        from nbgrader.preprocessors import AssignLatePenalties

        self.url, self.assignment = url, assignment
        self.due: datetime | None = None
        config = nbgrader_config(folder)
        self.course_id = config.CourseDirectory.get("course_id") or "default_course"
        penalties = AssignLatePenalties(config=config)
        penalties.init_plugin()
        self.late_plugin = penalties.plugin_inst
        self.gradebook = None
        with self._reaching():
            self.gradebook = Gradebook(url, self.course_id)

    @contextlib.contextmanager
    def _reaching(self) -> Iterator[None]:
        """Turn a database that cannot be reached into one sentence (and close it)."""
        try:
            with _quiet():
                yield
        except CourseError:
            self.close()
            raise
        except (*DATABASE_ERRORS, ImportError) as error:
            self.close()
            raise CourseError(f"The gradebook at {shown(self.url)} cannot be reached "
                              f"({reason(error)}): start the database or correct --db-url, "
                              "then run the same command again.") from None

    def know_assignment(self, template_db: Path) -> None:
        """Make sure the gradebook knows the assignment as this run grades it: where it has
        never seen it, its notebook and cells are copied from ``template_db``, the scratch
        course's SQLite gradebook (as ``nbgrader generate_assignment`` records them)."""
        with self._reaching():
            self._know_assignment(template_db)

    def _know_assignment(self, template_db: Path) -> None:
        with Gradebook(f"sqlite:///{template_db}") as template:
            source = template.find_assignment(self.assignment)
            target = self.gradebook
            try:
                known = target.find_assignment(self.assignment)
            except MissingEntry:
                known = target.update_or_create_assignment(self.assignment)
            self.due = known.duedate
            needed = {(nb.name, cell.name) for nb in source.notebooks for cell in nb.grade_cells}
            have = {(nb.name, cell.name) for nb in known.notebooks for cell in nb.grade_cells}
            if have and not needed <= have:
                missing = ", ".join(sorted(cell for _, cell in needed - have))
                raise CourseError(f"The gradebook at {shown(self.url)} holds another version of "
                                  f"{self.assignment} (it lacks {missing}): run nbgrader "
                                  "generate_assignment on the course's current source, then "
                                  "grade again.")
            if have:
                return
            for nb in source.notebooks:
                target.update_or_create_notebook(nb.name, self.assignment)
                for cell in nb.grade_cells:
                    target.update_or_create_grade_cell(
                        cell.name, nb.name, self.assignment, max_score=cell.max_score,
                        cell_type=cell.cell_type)
                for cell in nb.solution_cells:
                    target.update_or_create_solution_cell(cell.name, nb.name, self.assignment)
                for cell in nb.task_cells:
                    target.update_or_create_task_cell(
                        cell.name, nb.name, self.assignment, max_score=cell.max_score,
                        cell_type=cell.cell_type)
                for cell in nb.source_cells:
                    target.update_or_create_source_cell(
                        cell.name, nb.name, self.assignment, cell_type=cell.cell_type,
                        locked=cell.locked, source=cell.source, checksum=cell.checksum)

    def merge(self, result: Result, submitted: datetime | None) -> float | None:
        """Record ``result`` (its scores replace any earlier ones) with the submission's time;
        returns the late penalty the course's policy set, if any.

        Raises :data:`DATABASE_ERRORS` when the database fails. nbgrader commits the student
        and the submission on its own, so a failure can leave those without scores; merging
        the result again completes them.
        """
        gradebook = self.gradebook
        try:
            with _quiet():
                gradebook.update_or_create_student(result.student)
                submission = gradebook.update_or_create_submission(
                    result.assignment, result.student,
                    **({"timestamp": submitted} if submitted else {}))
                penalty = None
                for notebook in submission.notebooks:
                    apply_result(notebook, result)
                    gradebook.db.flush()
                    notebook.late_submission_penalty = None
                    if submission.total_seconds_late > 0:
                        gradebook.db.refresh(notebook)
                        penalty = self.late_plugin.late_submission_penalty(
                            result.student, notebook.score, submission.total_seconds_late)
                        if penalty is not None:  # as nbgrader caps it
                            penalty = min(max(penalty, 0.0), notebook.score)
                        notebook.late_submission_penalty = penalty
                gradebook.db.commit()
                return penalty
        except BaseException:
            with contextlib.suppress(*DATABASE_ERRORS):
                gradebook.db.rollback()
            raise

    def scores(self, student: str) -> tuple[float, float | None, datetime | None]:
        """What the gradebook holds for ``student``: (score before any late penalty, the
        penalty, when it was submitted)."""
        with _quiet():
            submission = self.gradebook.find_submission(self.assignment, student)
            penalty = sum(nb.late_submission_penalty or 0.0 for nb in submission.notebooks)
            return submission.score, penalty or None, submission.timestamp

    def close(self) -> None:
        """Close the connection (safe to call twice, and after a failed connection)."""
        gradebook = getattr(self, "gradebook", None)
        if gradebook is not None:
            with contextlib.suppress(*DATABASE_ERRORS):
                gradebook.close()
            self.gradebook = None


def open_gradebook(url: str, assignment: str) -> CourseGradebook:
    """A connection to the gradebook at ``url`` for ``assignment``, or a :class:`CourseError`
    saying in one sentence why there is none."""
    try:
        make_url(url)
    except ArgumentError:
        raise CourseError(f"--db-url {url!r} is not a database URL: give one such as "
                          "postgresql://user:password@host/gradebook or "
                          "sqlite:////path/gradebook.db.") from None
    return CourseGradebook(url, assignment)
