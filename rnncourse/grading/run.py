"""``rnncourse grade``: a whole class, in parallel, resumable, with nothing lost.

One template course is generated for the assignment (``nbgrader generate_assignment`` in
a scratch copy, never in the instructor's course); each worker grades in its own copy of
it. Only the main thread writes results: the feedback and graded notebook are published
by the worker, then the main thread records the result in the merged gradebook and
appends it to the ledger, in that order, so an interruption at any point loses nothing
and counts nothing twice.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from tqdm.auto import tqdm

from rnncourse.errors import CourseError
from rnncourse.grading import ledger
from rnncourse.grading.intake import Submission, collect
from rnncourse.grading.limits import Running
from rnncourse.grading.report import record_in_gradebook, summary, write_csv
from rnncourse.grading.sandbox import SandboxUnavailable, check
from rnncourse.grading.worker import Limits, Result, Worker, max_scores, template_notebook
from rnncourse.release import generate_into, list_assignments


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
                say: Callable[[str], None] = print) -> Run:
    """Grade every submission of ``assignment`` in ``source``; results go to ``out``.

    Submissions already in ``out``'s ledger with the same notebook are not graded again.
    Each kernel runs in the sandbox unless ``limits.sandbox`` is False; without a working
    sandbox nothing is graded (:class:`SandboxUnavailable` says how to get one).
    """
    limits = limits or Limits()
    known = list_assignments(root)
    if assignment not in known:
        raise CourseError(f"Unknown assignment {assignment!r}; the course has: "
                          f"{', '.join(known)}.")
    if workers < 1:
        raise CourseError(f"--workers must be at least 1, not {workers}.")
    if limits.sandbox:
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
    running = Running()
    stopping = threading.Event()
    try:
        say(f"Preparing {assignment} (nbgrader generate_assignment in a scratch course) ...")
        template = _template(root, assignment, work / "template")
        grade_ids = list(max_scores(nbformat.read(template_notebook(template, assignment), 4)))
        submissions = collect(source, assignment, set(grade_ids))
        url = _merged_gradebook(out, template, assignment)
        done = ledger.read_ledger(out)
        todo = [s for s in submissions if done.get(s.student) is None
                or done[s.student].digest != s.digest]
        skipped = len(submissions) - len(todo)
        if skipped:
            say(f"Resuming: {skipped} submission(s) already graded in {out}, "
                f"{len(todo)} to grade.")
        workers = min(workers, max(1, len(todo)))
        if limits.threads is None:
            cores = len(os.sched_getaffinity(0))
            limits = dataclasses.replace(limits, threads=max(1, cores // workers))
        pool = [Worker(work / f"worker-{i}", template, assignment, limits, running, jobs)
                for i in range(workers)]
        free = list(pool)
        bar = tqdm(total=len(todo), unit="notebook", desc=f"grading {assignment}",
                   disable=not progress)
        queue = list(todo)
        futures: dict[Future, tuple[Worker, Submission]] = {}
        with ThreadPoolExecutor(max_workers=workers) as executor:
            try:
                while queue or futures:
                    while queue and free:
                        worker, submission = free.pop(), queue.pop(0)
                        futures[executor.submit(worker.grade, submission, out)] = (
                            worker, submission)
                    finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for future in finished:
                        worker, submission = futures.pop(future)
                        free.append(worker)
                        result = future.result()
                        if stopping.is_set():
                            continue
                        record_in_gradebook(url, result)
                        ledger.append(out, result)
                        done[result.student] = result
                        bar.set_postfix_str(f"{result.student}: {result.total:g}/"
                                            f"{result.max_total:g}")
                        bar.update()
            except KeyboardInterrupt:
                stopping.set()
                queue.clear()
                running.kill_all()
                for future in futures:
                    future.cancel()
                bar.close()
                graded = sum(1 for s in submissions if s.student in done)
                raise CourseError(f"Interrupted: {graded} of {len(submissions)} submissions are "
                                  f"graded and kept in {out}; run the same command again to "
                                  "grade the rest.") from None
        bar.close()
        results = [done[s.student] for s in submissions if s.student in done]
        write_csv(out / "grades.csv", results, grade_ids)
        seconds = time.monotonic() - started
        text = summary(results, grade_ids, seconds=seconds, workers=workers,
                       newly_graded=len(todo), sandbox=limits.sandbox)
        return Run(out=out, results=results, newly_graded=len(todo), seconds=seconds,
                   summary=text, jobs=jobs)
    finally:
        running.kill_all()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(jobs, ignore_errors=True)
        lock.close()


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
