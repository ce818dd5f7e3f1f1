"""Where grading jobs run: this machine's own pool of workers, or a Dask cluster.

Both yield :class:`~rnncourse.grading.worker.Graded` results as they finish and write
nothing themselves: the coordinator (:func:`rnncourse.grading.run.grade_class`) publishes,
records and ledgers each result. A result whose grading failed for reasons of the
infrastructure (a Dask worker that died too often) has status ``"error"``: it is reported,
and a rerun grades it again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Generator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ThreadPoolExecutor, wait
from pathlib import Path

from rnncourse.errors import CourseError
from rnncourse.grading.intake import Submission
from rnncourse.grading.job import grade_job
from rnncourse.grading.limits import Running
from rnncourse.grading.sandbox import SandboxUnavailable
from rnncourse.grading.worker import Graded, Limits, Result, Worker, summary_page

#: How many times a Dask job may lose its worker before its submission is reported.
DASK_ATTEMPTS = 3


class LocalPool:
    """This machine: one thread per worker, each with its own copy of the course."""

    def __init__(self, work: Path, template: Path, assignment: str, limits: Limits,
                 workers: int, jobs: Path) -> None:
        self.running = Running()
        self.workers = [Worker(work / f"worker-{i}", template, assignment, limits,
                               self.running, jobs) for i in range(workers)]

    def run(self, submissions: list[Submission]) -> Generator[Graded, None, None]:
        """Grade ``submissions``, yielding each result as it is done."""
        free, queue = list(self.workers), list(submissions)
        futures: dict[Future, Worker] = {}
        with ThreadPoolExecutor(max_workers=len(self.workers)) as executor:
            try:
                while queue or futures:
                    while queue and free:
                        worker = free.pop()
                        futures[executor.submit(worker.grade, queue.pop(0))] = worker
                    finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for future in finished:
                        worker = futures.pop(future)
                        free.append(worker)
                        graded = future.result()
                        graded.result.worker = f"local/{worker.folder.name}"
                        yield graded
            except BaseException:  # Ctrl-C, or the caller stopped: stop every kernel now
                self.running.kill_all()
                for future in futures:
                    future.cancel()
                raise

    def close(self) -> None:
        """Stop whatever still runs."""
        self.running.kill_all()


class DaskPool:
    """A Dask cluster: an existing scheduler, or a ``LocalCluster`` started for this run."""

    def __init__(self, assignment: str, *, scheduler: str | None = None,
                 local_workers: int | None = None) -> None:
        """Connect to ``scheduler``, or start a ``LocalCluster`` of ``local_workers``."""
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise CourseError("Grading on Dask needs the `distributed` package: "
                              "pip install 'distributed>=2024.1' (or the course's `dask` "
                              "extra).") from None
        self.assignment = assignment
        self.cluster = None
        # The client's reconnection tracebacks say nothing an instructor can act on.
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        try:
            if scheduler:
                self.where = f"the Dask scheduler at {scheduler}"
                self.client = Client(scheduler, timeout="10s")
            else:
                self.where = "the local Dask cluster"
                with dask.config.set({"distributed.scheduler.allowed-failures":
                                      DASK_ATTEMPTS - 1}):
                    self.cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1,
                                                processes=True, host="127.0.0.1",
                                                dashboard_address=None)
                self.client = Client(self.cluster)
        except OSError as error:
            raise CourseError(f"Could not reach {scheduler or 'a local Dask cluster'} "
                              f"({error}); check the address and that the scheduler runs."
                              ) from None
        self.futures: list = []

    def run(self, submissions: list[Submission], release: bytes, max_scores: dict[str, float],
            limits: Limits) -> Generator[Graded, None, None]:
        """Grade ``submissions`` on the cluster, yielding each result as it comes back.

        ``release`` is the packed assignment (:func:`~rnncourse.grading.job.pack_release`);
        ``max_scores`` gives a submission the cluster could not grade its zero scores.
        """
        from distributed import as_completed
        from distributed.comm import CommClosedError

        by_key = {}
        for index, submission in enumerate(submissions):
            # One key per notebook: a job that comes back twice is one result.
            key = f"grade-{self.assignment}-{submission.student}-{submission.digest[:16]}"
            by_key[key] = submission
            # The release (tens of KB) travels inside each job: no job depends on data that
            # a dying worker could take with it.
            # Earlier students first, as the local pool takes them.
            self.futures.append(self.client.submit(grade_job, release, self.assignment,
                                                   submission, limits, key=key,
                                                   priority=len(submissions) - index))
        try:
            for future in as_completed(self.futures):
                submission = by_key[future.key]
                try:
                    yield future.result()
                except (CancelledError, CommClosedError) as error:  # the scheduler is gone
                    reason = " ".join(str(error).split())[:200] or type(error).__name__
                    raise CourseError(f"{self.where[0].upper()}{self.where[1:]} went away "
                                      f"({reason}); what came back is kept, and running the "
                                      "same command again grades the rest.") from None
                except SandboxUnavailable as error:  # fail closed, as on this machine
                    raise SandboxUnavailable(f"A Dask worker cannot grade: {error}") from None
                except Exception as error:  # the job's worker died too often, or a bug
                    yield self._lost(submission, error, max_scores, limits.sandbox)
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.cancel(self.futures)
            raise

    def _lost(self, submission: Submission, error: Exception, max_scores: dict[str, float],
              sandboxed: bool) -> Graded:
        name = type(error).__name__
        reason = ("the Dask workers grading it died" if name == "KilledWorker"
                  else f"the grading job failed ({name}: {str(error)[:200]})")
        result = Result(student=submission.student, assignment=self.assignment,
                        digest=submission.digest, status="error",
                        scores=dict.fromkeys(max_scores, 0.0), max_scores=dict(max_scores),
                        problems=[f"Not graded: {reason}; running the same command again "
                                  "grades it again."], sandboxed=sandboxed)
        return Graded(result, summary_page(result).encode("utf-8"))

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this run started one."""
        with contextlib.suppress(Exception):
            self.client.close(timeout=10)
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close(timeout=10)
