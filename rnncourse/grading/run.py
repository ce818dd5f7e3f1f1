"""``rnncourse grade``: a whole class, in parallel, resumable, with nothing lost.

One template course is generated for the assignment (``nbgrader generate_assignment`` in
a scratch copy, never in the instructor's course); each worker grades in its own copy of
it and writes nothing else. Only the main thread writes results: it publishes the
feedback and the graded notebook a worker returns, records the result in the merged
gradebook and appends it to the ledger, in that order, so an interruption at any point
loses nothing and counts nothing twice.
"""

from __future__ import annotations

import dataclasses
import fcntl
import shutil
import tempfile
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from tqdm.auto import tqdm

from rnncourse.errors import CourseError
from rnncourse.grading import ledger
from rnncourse.grading.executors import DaskPool, LocalPool
from rnncourse.grading.gradebook import (
    DATABASE_ERRORS,
    CourseGradebook,
    copy_receipts,
    duration,
    late_by,
    open_gradebook,
    reason,
    shown,
    submitted_at,
)
from rnncourse.grading.intake import collect
from rnncourse.grading.job import pack_release
from rnncourse.grading.report import record_in_gradebook, summary, write_csv
from rnncourse.grading.sandbox import SandboxUnavailable, check
from rnncourse.grading.worker import Graded, Limits, Result, max_scores, template_notebook
from rnncourse.release import generate_into, list_assignments
from rnncourse.threads import threads_per_process


@dataclass
class Run:
    """What a grading run produced."""

    out: Path
    results: list[Result]
    newly_graded: int
    seconds: float
    summary: str
    #: The run's private folder for sandbox jobs (gone once the run ends); every kernel of
    #: the run has it on its command line.
    jobs: Path


def _template(root: Path, assignment: str, scratch: Path) -> Path:
    generate_into(root, scratch, [assignment])
    return scratch


def _merged_gradebook(out: Path, template: Path, assignment: str) -> str:
    path = out / "gradebook.db"
    if not path.exists():
        partial = out / ".gradebook.db.partial"
        shutil.copy(template / "gradebook.db", partial)
        partial.replace(path)
    url = f"sqlite:///{path}"
    with Gradebook(url) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"{out} holds the grades of another assignment: choose another "
                              "--out folder for this one.") from None
    return url


def grade_class(root: Path, assignment: str, source: Path, out: Path, *, workers: int,
                limits: Limits | None = None, progress: bool = True,
                say: Callable[[str], None] = print, scheduler: str | None = None,
                db_url: str | None = None) -> Run:
    """Grade every submission of ``assignment`` in ``source``; results go to ``out``.

    Submissions already in ``out``'s ledger with the same notebook are not graded again.
    Each kernel runs in the sandbox unless ``limits.sandbox`` is False; without a working
    sandbox nothing is graded (:class:`SandboxUnavailable` says how to get one). The jobs
    run in this machine's pool of ``workers``, or on Dask: ``scheduler`` is a scheduler's
    address, or ``"local"`` for a ``LocalCluster`` of ``workers`` processes started here.
    ``db_url``: the course's own nbgrader gradebook, which gets every result too
    (:mod:`rnncourse.grading.gradebook`).
    """
    limits = limits or Limits()
    known = list_assignments(root)
    if assignment not in known:
        raise CourseError(f"Unknown assignment {assignment!r}; the course has: "
                          f"{', '.join(known)}.")
    if workers < 1:
        raise CourseError(f"--workers must be at least 1, not {workers}.")
    if limits.sandbox and scheduler in (None, "local"):  # Dask workers check their own
        try:
            check(limits.memory_bytes)
        except SandboxUnavailable as error:
            raise SandboxUnavailable(
                f"Grading needs a working sandbox and this machine has none: {error} "
                "(`rnncourse grade --no-sandbox` grades without one, which lets student code "
                "read and change your files.)") from None
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    lock = _lock(out)
    for stale in out.glob(".work-*"):  # scratch left by a run that was killed
        shutil.rmtree(stale, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=".work-", dir=out))
    # Sandbox jobs hold Unix sockets, whose paths must be short: a private folder in /tmp.
    jobs = Path(tempfile.mkdtemp(prefix="rnncourse-"))
    pool: LocalPool | DaskPool | None = None
    graded_jobs: Generator[Graded, None, None] | None = None
    course: CourseGradebook | None = None
    try:
        if db_url is not None:  # reach the database first: one that is down fails fast
            course = open_gradebook(db_url, assignment)
        if scheduler is not None:  # reach the cluster first: a wrong address fails fast
            pool = DaskPool(assignment, scheduler=None if scheduler == "local" else scheduler,
                            local_workers=workers)
        say(f"Preparing {assignment} (nbgrader generate_assignment in a scratch course) ...")
        template = _template(root, assignment, work / "template")
        scores = max_scores(nbformat.read(template_notebook(template, assignment), 4))
        grade_ids = list(scores)
        submissions = collect(source, assignment, set(grade_ids))
        url = _merged_gradebook(out, template, assignment)
        done = ledger.read_ledger(out)
        stamps = {s.student: submitted_at(s.origin) for s in submissions}
        if course is not None:
            course.know_assignment(template / "gradebook.db")
        # An "error" result (the infrastructure failed, not the notebook) is graded again.
        todo = [s for s in submissions if done.get(s.student) is None
                or done[s.student].digest != s.digest or done[s.student].status == "error"]
        skipped = len(submissions) - len(todo)
        if skipped:
            say(f"Resuming: {skipped} submission(s) already graded in {out}, "
                f"{len(todo)} to grade.")
        late: dict[str, str] = {}
        if course is not None:  # what a stopped run graded but could not record there
            waiting = {s.student for s in submissions} - {s.student for s in todo}
            for student in sorted(waiting):
                _record(course, done[student], stamps, late, out)
        if scheduler in (None, "local") and limits.threads is None:
            # The CPUs this process may use, shared by the notebooks graded here at once.
            share = threads_per_process(min(workers, max(1, len(todo))))
            limits = dataclasses.replace(limits, threads=share)
        if isinstance(pool, DaskPool):
            where = f"Dask ({pool.where})"
            graded_jobs = pool.run(todo, pack_release(template, assignment), scores, limits)
        else:
            workers = min(workers, max(1, len(todo)))
            pool = LocalPool(work, template, assignment, limits, workers, jobs)
            where = f"{workers} worker(s)"
            graded_jobs = pool.run(todo)
        bar = tqdm(total=len(todo), unit="notebook", desc=f"grading {assignment}",
                   disable=not progress)
        try:
            for graded in graded_jobs:
                result = graded.result
                if course is not None and (behind := late_by(stamps.get(result.student),
                                                             course.due)):
                    result.notes.append(f"Submitted {duration(behind)} after the due date "
                                        f"({course.due:%Y-%m-%d %H:%M} UTC).")
                graded.publish(out)
                record_in_gradebook(url, result)
                ledger.append(out, result)
                done[result.student] = result
                if course is not None:
                    _record(course, result, stamps, late, out)
                bar.set_postfix_str(f"{result.student}: {result.total:g}/{result.max_total:g}")
                bar.update()
        except KeyboardInterrupt:
            bar.close()
            graded_now = sum(1 for s in submissions if s.student in done)
            raise CourseError(f"Interrupted: {graded_now} of {len(submissions)} submissions are "
                              f"graded and kept in {out}; run the same command again to "
                              "grade the rest.") from None
        except CourseError:
            bar.close()
            raise
        bar.close()
        results = [done[s.student] for s in submissions if s.student in done]
        write_csv(out / "grades.csv", results, grade_ids)
        for submission in submissions:  # what nbgrader release_feedback reads
            copy_receipts(submission.origin,
                          out / "feedback" / submission.student / assignment)
        seconds = time.monotonic() - started
        text = summary(results, grade_ids, seconds=seconds, where=where,
                       newly_graded=len(todo), sandbox=limits.sandbox)
        if course is not None:
            text += "\n" + f"Recorded in the gradebook at {shown(course.url)}."
            text += "".join(f"\n{line}" for _, line in sorted(late.items()))
        return Run(out=out, results=results, newly_graded=len(todo), seconds=seconds,
                   summary=text, jobs=jobs)
    finally:
        if graded_jobs is not None:
            graded_jobs.close()  # stops the pool's jobs now, not when garbage-collected
        if pool is not None:
            pool.close()
        if course is not None:
            course.close()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(jobs, ignore_errors=True)
        lock.close()


def _record(course: CourseGradebook, result: Result, stamps: dict[str, datetime | None],
            late: dict[str, str], out: Path) -> None:
    """Write one result into the course's gradebook; stop the run, in one sentence, if the
    database fails (the result is already kept in ``out``, so a rerun records it)."""
    try:
        penalty = course.merge(result, stamps.get(result.student))
    except DATABASE_ERRORS as error:
        raise CourseError(
            f"The gradebook at {shown(course.url)} stopped answering ({reason(error)}) "
            f"while recording {result.student}; everything graded so far is kept in {out}: "
            "start the database, then run the same command again to record it and grade the "
            "rest.") from None
    behind = late_by(stamps.get(result.student), course.due)
    if behind is not None:
        late[result.student] = (
            f"Late: {result.student} submitted {duration(behind)} after the due date; the "
            f"course's late policy took {penalty or 0:g} of {result.total:g} points in the "
            "gradebook.")


def _lock(out: Path) -> IO:
    """Hold ``out/.lock`` for the run, so two runs never write one results folder."""
    handle = open(out / ".lock", "w")  # noqa: SIM115 - held open for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise CourseError(f"Another `rnncourse grade` is writing to {out}; wait for it to "
                          "finish or choose another --out folder.") from None
    return handle
