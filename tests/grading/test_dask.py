"""`rnncourse grade` on a real Dask scheduler and workers on 127.0.0.1, with its guarantees kept."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from rnncourse.grading.ledger import FILE_NAME, read_ledger
from rnncourse.grading.run import grade_class
from rnncourse.release import nbgrader_env
from tests.grading.conftest import LIMITS
from tests.grading.corpus import (
    ASSIGNMENT,
    INTERRUPTED,
    build,
    interrupt_after_three,
    interruptible,
)

pytestmark = pytest.mark.nbgrader

# Cases of the local pool's corpus that Dask grades again; their verdicts must be equal. The
# "sleeps" case (a cell still running when a worker dies) is graded by the tests below.
SAME_AS_LOCAL = ["solver", "untouched", "endless-loop", "memory-hog", "edited-test"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """A `dask scheduler` and worker processes (no nanny: a killed worker stays dead)."""

    def __init__(self, data: Path, workers: int = 2, **env: str) -> None:
        self.env = {**nbgrader_env(), "RNNCOURSE_DATA": str(data),
                    "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "2", **env}
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._start("distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                     "--port", port, "--no-dashboard")
        self.workers = [self._start("distributed.cli.dask_worker", self.address, "--nthreads",
                                    "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1")
                        for _ in range(workers)]
        from distributed import Client

        self.client = Client(self.address, timeout="60s")
        self.client.wait_for_workers(workers, timeout=120)

    def _start(self, module: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", module, *args], env=self.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    def busy_worker(self) -> str | None:
        """The address of a worker running a grading job now, if any."""
        for address, keys in self.client.processing().items():
            if any(str(key).startswith("grade-") for key in keys):
                return address
        return None

    def kill_worker(self, address: str) -> None:
        """SIGKILL the worker process listening at ``address``."""
        import psutil

        port = int(address.rsplit(":", 1)[1])
        for process in self.workers:
            connections = psutil.Process(process.pid).net_connections(kind="tcp")
            if any(c.laddr and c.laddr.port == port for c in connections):
                process.kill()
                return
        raise AssertionError(f"no worker listens at {address}")

    def stop(self) -> None:
        """Stop every process of the cluster."""
        import contextlib

        with contextlib.suppress(Exception):
            self.client.close(timeout=5)
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@contextmanager
def cluster(data: Path, workers: int = 2, **env: str):
    started = Cluster(data, workers, **env)
    try:
        yield started
    finally:
        started.stop()


def _grade_command(submitted: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "rnncourse.cli", "grade", ASSIGNMENT, str(submitted),
            "--out", str(out), "--cell-timeout", "45", "--memory", "3", *extra]


def test_dask_gives_the_local_pools_scores_flags_and_notes(graded, repo, shared_ag_news,
                                                           tmp_path):
    _, local, _ = graded
    build(tmp_path / "submitted", SAME_AS_LOCAL)
    with cluster(shared_ag_news) as dask, pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNCOURSE_DATA", str(shared_ag_news))
        # Two one-thread workers share this machine's 2 cores, as the local pool's do.
        run = grade_class(repo, ASSIGNMENT, tmp_path / "submitted", tmp_path / "out",
                          workers=2, limits=dataclasses.replace(LIMITS, threads=1),
                          progress=False, say=lambda line: None, scheduler=dask.address)
        workers = set(dask.client.scheduler_info()["workers"])
    by_student = {r.student: r for r in local.results}
    for result in run.results:
        expected = by_student[result.student]
        assert (result.total, result.status, result.flags, result.problems, result.notes) == (
            expected.total, expected.status, expected.flags, expected.problems, expected.notes)
        assert result.worker in workers  # the ledger says which Dask worker graded whom
    assert {r.student for r in run.results} == set(SAME_AS_LOCAL)
    assert read_ledger(tmp_path / "out")["solver"].worker in workers


def test_a_killed_worker_s_job_is_graded_elsewhere_exactly_once(repo, shared_ag_news,
                                                                tmp_path):
    # Every job runs a kernel for seconds, so the first job seen running is killed mid-way.
    cases = build(tmp_path / "submitted", ["untouched"])
    (tmp_path / "submitted" / "untouched").rename(tmp_path / "submitted" / "untouched-1")
    cases = ["untouched-1", *build(tmp_path / "submitted", cases)]
    with cluster(shared_ag_news) as dask:
        grading = subprocess.Popen(_grade_command(tmp_path / "submitted", tmp_path / "out",
                                                  "--scheduler", dask.address),
                                   cwd=repo, env=dask.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        victim = None
        while victim is None and grading.poll() is None:  # an event: a job is running
            victim = dask.busy_worker()
            time.sleep(0.05)
        assert victim is not None, grading.communicate()
        dask.kill_worker(victim)
        stdout, stderr = grading.communicate(timeout=600)
    assert grading.returncode == 0, stderr[-2000:]
    ledger = (tmp_path / "out" / FILE_NAME).read_text().splitlines()
    assert len(ledger) == len(cases)  # each submission once, none lost
    results = read_ledger(tmp_path / "out")
    assert set(results) == set(cases)
    assert all(r.worker != victim and r.status != "error" for r in results.values())


def test_a_job_whose_workers_keep_dying_is_reported_after_its_last_attempt(
        repo, shared_ag_news, tmp_path):
    # allowed-failures 2: three workers die with the same job, then it is given up.
    build(tmp_path / "submitted", ["sleeps"])
    with cluster(shared_ag_news, workers=3) as dask:
        grading = subprocess.Popen(_grade_command(tmp_path / "submitted", tmp_path / "out",
                                                  "--scheduler", dask.address),
                                   cwd=repo, env=dask.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        victims: list[str] = []
        while len(victims) < 3 and grading.poll() is None:  # each time the job runs again
            victim = dask.busy_worker()
            if victim is not None and victim not in victims:
                dask.kill_worker(victim)
                victims.append(victim)
            time.sleep(0.05)
        stdout, stderr = grading.communicate(timeout=300)
    assert len(victims) == 3, stderr[-2000:]
    assert grading.returncode == 0, stderr[-2000:]
    (line,) = (tmp_path / "out" / FILE_NAME).read_text().splitlines()
    result = read_ledger(tmp_path / "out")["sleeps"]
    assert (result.status, result.total) == ("error", 0.0)
    assert result.problems == ["Not graded: the Dask workers grading it died; running the same "
                               "command again grades it again."]
    assert "sleeps" in stdout  # the summary names the student whose grading failed


def test_ctrl_c_keeps_what_came_back_and_cancels_the_rest(repo, shared_ag_news, tmp_path):
    # One worker takes the jobs in name order; the last sleeps until its cell is
    # interrupted, so it still runs when the interrupt comes.
    build(tmp_path / "submitted", INTERRUPTED)
    out = tmp_path / "out"
    with cluster(shared_ag_news, workers=1) as dask:
        grading = subprocess.Popen(_grade_command(tmp_path / "submitted", out,
                                                  "--scheduler", dask.address),
                                   cwd=repo, env=dask.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
        # Interrupted once "sleeps" runs on the worker, not merely waits for one.
        interrupt_after_three(grading, out, timeout=120,
                              ready=lambda: dask.busy_worker() is not None)
        deadline = time.monotonic() + 60
        while dask.busy_worker() is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert dask.busy_worker() is None  # the scheduler dropped the cancelled job


def test_a_lost_scheduler_stops_the_run_in_one_sentence_and_a_rerun_finishes(
        repo, shared_ag_news, tmp_path):
    # One worker takes the jobs in name order; the last one sleeps until its cell is
    # interrupted, so it is still running when the first result is in.
    cases = build(tmp_path / "submitted", ["corrupt-json", "empty-file", "no-notebook",
                                          "sleeps"])
    command = _grade_command(tmp_path / "submitted", tmp_path / "out", "--cell-timeout", "5")
    with cluster(shared_ag_news, workers=1) as dask:
        grading = subprocess.Popen([*command, "--scheduler", dask.address], cwd=repo,
                                   env=dask.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
        while not read_ledger(tmp_path / "out") and grading.poll() is None:
            time.sleep(0.05)
        dask.scheduler.kill()
        _, stderr = grading.communicate(timeout=300)
    assert grading.returncode == 2
    message = stderr.strip().splitlines()[-1]
    assert message.startswith("rnncourse: The Dask scheduler at") and "went away" in message
    assert "run" in message and "again" in message
    kept = read_ledger(tmp_path / "out")
    assert 1 <= len(kept) < len(cases)
    with cluster(shared_ag_news, workers=1) as dask:
        finished = subprocess.run([*command, "--scheduler", dask.address], cwd=repo,
                                  env=dask.env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert f"Resuming: {len(kept)} submission(s) already graded" in finished.stdout
    lines = (tmp_path / "out" / FILE_NAME).read_text().splitlines()
    assert len(lines) == len(cases)


def test_a_local_dask_cluster_grades_like_the_pool(repo, shared_ag_news, tmp_path):
    build(tmp_path / "submitted", ["untouched", "no-notebook"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNCOURSE_DATA", str(shared_ag_news))
        run = grade_class(repo, ASSIGNMENT, tmp_path / "submitted", tmp_path / "out",
                          workers=2, limits=LIMITS, progress=False, say=lambda line: None,
                          scheduler="local")
    scores = {r.student: (r.total, r.status) for r in run.results}
    assert scores == {"untouched": (0.0, "graded"), "no-notebook": (0.0, "failed")}
    assert all(r.worker.startswith("tcp://127.0.0.1:") for r in run.results)
    assert "Dask (the local Dask cluster)" in run.summary


def test_an_unreachable_scheduler_is_one_sentence(repo, tmp_path):
    build(tmp_path / "submitted", ["no-notebook"])
    done = subprocess.run(_grade_command(tmp_path / "submitted", tmp_path / "out", "--scheduler",
                                         f"tcp://127.0.0.1:{_free_port()}"),
                          cwd=repo, env=nbgrader_env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnncourse: Could not reach"), done.stderr


def test_a_worker_without_a_sandbox_stops_the_run_in_one_sentence(repo, shared_ag_news,
                                                                 tmp_path):
    # The workers' PATH has this Python's scripts only: no bwrap there. The coordinator's
    # own machine has one, so only the workers' check can refuse.
    build(tmp_path / "submitted", ["untouched"])
    with cluster(shared_ag_news, workers=1, PATH=str(Path(sys.executable).parent)) as dask:
        done = subprocess.run(_grade_command(tmp_path / "submitted", tmp_path / "out",
                                             "--scheduler", dask.address),
                              cwd=repo, env={**dask.env, "PATH": nbgrader_env()["PATH"]},
                              capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    message = done.stderr.strip().splitlines()[-1]
    assert message.startswith("rnncourse: A Dask worker cannot grade: bubblewrap"), done.stderr
    assert not read_ledger(tmp_path / "out")
