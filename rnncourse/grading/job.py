"""Grading one submission as a pure job: the assignment's release and the submission in,
the graded result out, nothing shared written. What a Dask worker runs.

The release is the template course nbgrader generated for the assignment (its source
folder, the nbgrader config, the gradebook and the student notebook), packed into bytes
so it travels with the jobs rather than through a shared filesystem.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import shutil
import tarfile
import tempfile
from pathlib import Path

from rnncourse.grading.intake import Submission
from rnncourse.grading.sandbox import check
from rnncourse.grading.worker import Graded, Limits, Worker, template_notebook
from rnncourse.release import CONFIG, SOURCE_DIR
from rnncourse.threads import threads_per_process


def pack_release(template: Path, assignment: str) -> bytes:
    """The files of ``template`` a worker needs for ``assignment``, as a gzipped tar."""
    members = [Path(SOURCE_DIR, assignment), Path(CONFIG).parent, Path("gradebook.db"),
               template_notebook(Path("."), assignment)]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for member in members:
            archive.add(template / member, arcname=str(member))
    return buffer.getvalue()


def unpack_release(release: bytes, folder: Path) -> Path:
    """Unpack a release made by :func:`pack_release` into ``folder``; returns ``folder``."""
    with tarfile.open(fileobj=io.BytesIO(release), mode="r:gz") as archive:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12 and later: refuse odd paths
            archive.extractall(folder, filter="data")
        else:  # the grader packed it itself
            archive.extractall(folder)
    return folder


@functools.lru_cache(maxsize=1)
def _sandbox_works_here(memory_bytes: int) -> str:
    # Once per process: a Dask worker proves its own sandbox before its first job, so a
    # worker without one fails closed (SandboxUnavailable) instead of grading unsandboxed.
    return check(memory_bytes)


def grade_job(release: bytes, assignment: str, submission: Submission, limits: Limits,
              worker_name: str = "") -> Graded:
    """Grade ``submission`` in a private scratch course made from ``release``.

    Runs anywhere the course's environment (and bubblewrap) is installed; writes only
    below a temporary folder, which it removes. ``worker_name`` goes into the ledger.
    """
    name, workers_here = worker_name, 1
    try:  # on a Dask worker: its address, and the jobs it runs at once
        from distributed import get_worker

        worker = get_worker()
        workers_here, name = worker.state.nthreads, name or worker.address
    except (ImportError, ValueError):
        pass
    if limits.threads is None:  # share this worker's CPUs among the jobs it runs at once
        limits = dataclasses.replace(limits, threads=threads_per_process(workers_here))
    if limits.sandbox:
        _sandbox_works_here(limits.memory_bytes)
    with tempfile.TemporaryDirectory(prefix="rnncourse-job-") as scratch:
        template = unpack_release(release, Path(scratch) / "template")
        jobs = Path(tempfile.mkdtemp(prefix="rnncourse-"))  # short: it holds Unix sockets
        try:
            graded = Worker(Path(scratch) / "worker", template, assignment, limits,
                            jobs=jobs).grade(submission)
        finally:
            shutil.rmtree(jobs, ignore_errors=True)
    graded.result.worker = name
    return graded
