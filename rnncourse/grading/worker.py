"""Grade one submission with nbgrader in a worker's own course directory.

Each worker owns a private copy of the course (the assignment's source, the nbgrader
config and a gradebook made by ``generate_assignment``), so workers never share a SQLite
gradebook; results are merged by the one thread that writes the ledger
(:mod:`rnncourse.grading.run`). nbgrader runs here, on the trusted side; the kernel that
runs the student's code is started in a sandbox (:mod:`rnncourse.grading.sandbox`) that
sees none of these folders.
"""

from __future__ import annotations

import copy
import html
import secrets
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from rnncourse.data.ag_news import default_cache_dir, find_data_dir
from rnncourse.grading.feedback import (
    MAX_PUBLISHED_BYTES,
    MAX_SOURCE_BYTES,
    cap_outputs,
    feedback_notebook,
    named_mistakes,
    source_bytes,
)
from rnncourse.grading.inspection import (
    cell_changes,
    imported_course_names,
    probe_cell,
    probe_findings,
    suspicious_code,
)
from rnncourse.grading.intake import Submission
from rnncourse.grading.limits import Outcome, Running, run_limited
from rnncourse.grading.sandbox import KERNEL_NAME, Policy, python_folders, write_kernel_spec
from rnncourse.release import CONFIG, SOURCE_DIR, nbgrader_env
from rnncourse.threads import ENV as THREADS_ENV


@dataclass(frozen=True)
class Limits:
    """What one notebook may use."""

    cell_seconds: int = 600
    notebook_seconds: int = 1800
    memory_bytes: int = 4 * 2**30
    #: CPU threads for the kernel's math libraries; grading N notebooks at once on C cores
    #: wants C // N each (PyTorch and TensorFlow otherwise each take every core, and two
    #: kernels fighting over 2 cores run several times slower than one after the other).
    threads: int | None = None
    #: Run each kernel in the bubblewrap sandbox; False only with ``--no-sandbox``.
    sandbox: bool = True
    #: Size of each of the sandbox's private folders, and of the largest file it may write.
    scratch_bytes: int = 512 * 2**20


@dataclass
class Result:
    """One graded submission: what goes into the ledger, the CSV and the gradebook."""

    student: str
    assignment: str
    digest: str
    #: ``"graded"`` when nbgrader graded it, ``"failed"`` when it earned zero by failing,
    #: ``"error"`` when the grading infrastructure failed (a rerun grades it again).
    status: str
    scores: dict[str, float]
    max_scores: dict[str, float]
    #: Why points were lost outside the tests (time, memory, a dead kernel, no notebook).
    problems: list[str] = field(default_factory=list)
    #: Tampering the instructor should look at.
    flags: list[str] = field(default_factory=list)
    #: Everything else worth knowing (renamed notebook, extra files, deleted locked cells).
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: False when the student's code ran without the sandbox (``--no-sandbox``).
    sandboxed: bool = True
    #: Which worker graded it: ``local/worker-0``, or a Dask worker's address.
    worker: str = ""
    #: grade id -> the classic mistake its failed test named (rnncourse.checks.mistakes).
    mistakes: dict[str, str] = field(default_factory=dict)
    #: The written answers a person must grade (their score counts 0 until then).
    manual: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(self.scores.values())

    @property
    def max_total(self) -> float:
        return sum(self.max_scores.values())

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class Graded:
    """A submission graded by a worker, which wrote nothing outside its own folder.

    Only the coordinator publishes it (:meth:`publish`), records it in the gradebook and
    appends it to the ledger, so no grading job ever writes a shared file.
    """

    result: Result
    #: The student's feedback page: nbgrader's, or the grader's own summary page.
    feedback: bytes
    #: The graded notebook for the instructor, when nbgrader graded it.
    notebook: bytes | None = None

    def publish(self, out: Path) -> None:
        """Write the feedback page and the graded notebook into the results folder ``out``."""
        student, assignment = self.result.student, self.result.assignment
        write_atomic(out / "feedback" / student / assignment / f"{assignment}.html",
                     self.feedback)
        if self.notebook is not None:
            write_atomic(out / "autograded" / student / assignment / f"{assignment}.ipynb",
                         self.notebook)


#: The note every result graded with ``--no-sandbox`` carries.
UNSANDBOXED = ("Graded without the sandbox (--no-sandbox): the student's code could read and "
               "change the grader's files.")


class Worker:
    """A private nbgrader course for one assignment, grading one submission at a time."""

    def __init__(self, folder: Path, template: Path, assignment: str, limits: Limits,
                 running: Running | None = None, jobs: Path | None = None) -> None:
        """``jobs``: a short folder of the grader's own for the sandbox's sockets (a Unix
        socket's path must stay under 108 bytes); required when ``limits.sandbox``."""
        self.folder, self.assignment = folder, assignment
        self.limits, self.running = limits, running
        self.job = (jobs / folder.name) if jobs is not None else folder / "job"
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(template / SOURCE_DIR / assignment, folder / SOURCE_DIR / assignment)
        shutil.copytree(template / CONFIG.parent, folder / CONFIG.parent)
        shutil.copy(template / "gradebook.db", folder / "gradebook.db")
        self.released = nbformat.read(template_notebook(template, assignment), as_version=4)
        self.max_scores = max_scores(self.released)

    def _nbgrader(self, *args: str, seconds: float, env: dict[str, str] | None = None,
                  watch: Path | None = None) -> Outcome:
        command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={self.folder}",
                   f"--CourseDirectory.db_url=sqlite:///{self.folder / 'gradebook.db'}"]
        env = {**nbgrader_env(), **(env or {})}
        if self.limits.threads:
            threads = str(self.limits.threads)
            for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                         "TF_NUM_INTRAOP_THREADS"):
                env[name] = threads
            env["TF_NUM_INTEROP_THREADS"] = "1"
            env[THREADS_ENV] = threads  # the course's thread policy in the kernel
        return run_limited(command, cwd=self.folder / CONFIG.parent, env=env,
                           seconds=seconds, memory_bytes=self.limits.memory_bytes,
                           running=self.running, watch=watch,
                           watch_bytes=self.limits.scratch_bytes)

    def _sandboxed_kernel(self, notebook: nbformat.NotebookNode, name: str,
                          data_files: dict[str, bytes]) -> tuple[list[str], dict[str, str]]:
        """nbgrader's arguments and environment for a kernel in a fresh sandbox job."""
        shutil.rmtree(self.job, ignore_errors=True)
        (self.job / "run").mkdir(parents=True)
        # The student's own notebook, before the probe was added: no test, no nonce.
        visible = self.job / "notebook" / name
        visible.parent.mkdir()
        nbformat.write(notebook, visible)
        files = {}
        for index, (relative, content) in enumerate(sorted(data_files.items())):
            host = self.job / "data" / str(index)  # the student's name never reaches a path
            host.parent.mkdir(exist_ok=True)
            host.write_bytes(content)
            files[str(host)] = relative
        data = find_data_dir()
        if data is None and default_cache_dir().is_dir():
            data = default_cache_dir()
        policy = Policy(job=str(self.job), notebook=str(visible), read_only=python_folders(),
                        data_dir=str(data.resolve()) if data else None,
                        memory_bytes=self.limits.memory_bytes,
                        scratch_bytes=self.limits.scratch_bytes, files=files)
        policy.save(self.job / "policy.json")
        write_kernel_spec(self.job / "jupyter", self.job / "policy.json")
        args = [f"--Execute.kernel_name={KERNEL_NAME}", "--KernelManager.transport=ipc",
                f"--KernelManager.ip={self.job / 'run' / 'k'}"]
        env = {"JUPYTER_PATH": str(self.job / "jupyter"),
               "JUPYTER_RUNTIME_DIR": str(self.job / "runtime")}
        return args, env

    def _failed(self, submission: Submission, problem: str, started: float,
                **extra: list[str]) -> Result:
        notes = list(submission.notes) + ([] if self.limits.sandbox else [UNSANDBOXED])
        return Result(student=submission.student, assignment=self.assignment,
                      digest=submission.digest, status="failed",
                      scores=dict.fromkeys(self.max_scores, 0.0),
                      max_scores=dict(self.max_scores), problems=[problem],
                      notes=notes, seconds=time.monotonic() - started,
                      sandboxed=self.limits.sandbox, **extra)

    def grade(self, submission: Submission) -> Graded:
        """Autograde ``submission`` in this worker's folder; the caller publishes the result."""
        started = time.monotonic()
        name = f"{self.assignment}.ipynb"
        if submission.notebook is None:
            result = self._failed(submission, "No notebook was graded.", started)
            result.notes = [n for n in result.notes if n != result.problems[0]]
            return self._finish(result)
        try:
            notebook = nbformat.reads(submission.notebook.decode("utf-8"), as_version=4)
            nbformat.validate(notebook)
        except Exception as error:  # any way a file can fail to be a notebook
            reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(
                error).__name__
            return self._finish(self._failed(
                submission, f"The notebook could not be read ({reason}).", started))
        text_bytes = source_bytes(notebook)
        if text_bytes > MAX_SOURCE_BYTES:
            return self._finish(self._failed(
                submission, f"The notebook's cells hold {text_bytes / 2**20:.1f} MB "
                f"of code and text, more than the {MAX_SOURCE_BYTES / 2**20:.0f} MB a lesson "
                "can need, so it was not graded.", started))
        own = copy.deepcopy(notebook)
        flags = suspicious_code(notebook, self.released)
        changes = cell_changes(notebook, self.released)
        notes = list(submission.notes) + [n for n in changes if "deleted" in n]
        flags = [n for n in changes if "edited" in n] + flags
        nonce = secrets.token_hex(8)
        notebook.cells.append(probe_cell(nonce, imported_course_names(self.released)))

        for step in ("submitted", "autograded", "feedback"):
            shutil.rmtree(self.folder / step / submission.student, ignore_errors=True)
        target = self.folder / "submitted" / submission.student / self.assignment / name
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, target)
        if not self.limits.sandbox:  # nbgrader runs the notebook beside its data
            for relative, content in submission.data_files.items():
                (target.parent / relative).parent.mkdir(parents=True, exist_ok=True)
                (target.parent / relative).write_bytes(content)

        if self.limits.sandbox:
            kernel_args, kernel_env = self._sandboxed_kernel(own, name, submission.data_files)
        else:  # still a folder of this job's own for the connection file
            shutil.rmtree(self.job, ignore_errors=True)
            kernel_args, kernel_env = [], {"JUPYTER_RUNTIME_DIR": str(self.job / "runtime")}
        try:
            outcome = self._nbgrader(
                "autograde", self.assignment, "--student", submission.student, "--force",
                f"--Execute.timeout={self.limits.cell_seconds}", *kernel_args,
                seconds=self.limits.notebook_seconds, env=kernel_env,
                watch=self.job / "run" if self.limits.sandbox else None)
        finally:
            shutil.rmtree(self.job, ignore_errors=True)
        graded_path = self.folder / "autograded" / submission.student / self.assignment / name
        problem = _failure(outcome, self.limits, graded_path.exists())
        if problem:
            return self._finish(self._failed(submission, problem, started, flags=flags))

        graded = nbformat.read(graded_path, as_version=4)
        problems = _cell_timeouts(graded, self.limits.cell_seconds)
        flags += probe_findings(graded, nonce, ran_to_end=not _kernel_stopped(graded))
        notes += cap_outputs(graded)
        scores, manual = self._scores(submission.student)
        result = Result(student=submission.student, assignment=self.assignment,
                        digest=submission.digest, status="graded", scores=scores,
                        max_scores=dict(self.max_scores), problems=problems, flags=flags,
                        notes=notes, seconds=0.0, sandboxed=self.limits.sandbox,
                        mistakes=named_mistakes(graded), manual=manual)
        if not self.limits.sandbox:
            result.notes.append(UNSANDBOXED)
        graded_bytes = nbformat.writes(graded).encode("utf-8")
        # nbgrader writes the student's page from the notebook in its autograded folder, which
        # it made read-only (444): replace the file, as an instructor who is not root can.
        graded_path.unlink()
        nbformat.write(feedback_notebook(graded, self.released), graded_path)
        feedback = self._nbgrader("generate_feedback", self.assignment, "--student",
                                  submission.student, "--force",
                                  "--HTMLExporter.sanitize_html=True", seconds=300)
        made = self.folder / "feedback" / submission.student / self.assignment / f"{name[:-6]}.html"
        page = None
        if feedback.returncode != 0 or not made.exists():
            result.notes.append("nbgrader could not write the feedback; a summary page was "
                                "written instead.")
        elif made.stat().st_size > MAX_PUBLISHED_BYTES:
            result.notes.append(f"nbgrader's feedback page was {made.stat().st_size / 2**20:.0f} "
                                f"MB, over the {MAX_PUBLISHED_BYTES / 2**20:.0f} MB limit; a "
                                "summary page was written instead.")
        else:
            page = made.read_bytes()
        result.seconds = time.monotonic() - started
        return self._finish(result, page, graded_bytes)

    def _scores(self, student: str) -> tuple[dict[str, float], list[str]]:
        """Every graded cell's score, and the answers nbgrader left to a person (an
        unanswered one it scores 0 itself)."""
        url = f"sqlite:///{self.folder / 'gradebook.db'}"
        with Gradebook(url) as gradebook:
            notebook = gradebook.find_submission_notebook(self.assignment, self.assignment,
                                                          student)
            found = {g.name: float(g.score or 0.0) for g in notebook.grades}
            manual = {g.name for g in notebook.grades if g.needs_manual_grade}
        return ({grade_id: found.get(grade_id, 0.0) for grade_id in self.max_scores},
                [grade_id for grade_id in self.max_scores if grade_id in manual])

    @staticmethod
    def _finish(result: Result, page: bytes | None = None,
                notebook: bytes | None = None) -> Graded:
        return Graded(result, page if page is not None else summary_page(result).encode("utf-8"),
                      notebook)


def template_notebook(template: Path, assignment: str) -> Path:
    """The released (student) notebook nbgrader generated in the template course."""
    from rnncourse.release import RELEASE_DIR

    return template / RELEASE_DIR / assignment / f"{assignment}.ipynb"


def max_scores(released: nbformat.NotebookNode) -> dict[str, float]:
    """grade id -> points, in notebook order, for every graded cell."""
    scores = {}
    for cell in released.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            scores[meta["grade_id"]] = float(meta.get("points", 0))
    return scores


def _failure(outcome: Outcome, limits: Limits, graded: bool) -> str | None:
    if outcome.killed_for == "stopped":
        return "Grading was interrupted before this notebook was finished."
    if outcome.killed_for == "time":
        return (f"Grading stopped after {limits.notebook_seconds} s, the time limit for one "
                "notebook (an endless loop that ignores interrupts?).")
    if outcome.killed_for == "disk":
        return (f"Grading stopped when the notebook wrote more than "
                f"{limits.scratch_bytes / 2**20:.0f} MB outside its private folders.")
    if outcome.killed_for == "memory":
        return (f"Grading stopped when the notebook used more than "
                f"{limits.memory_bytes / 2**30:.1f} GB of memory.")
    if outcome.returncode == 0 and graded:
        return None
    text = outcome.output
    if "CellTimeoutError" in text:
        return (f"A cell ran longer than {limits.cell_seconds} s and did not stop when "
                "interrupted, so nbgrader could not grade the notebook.")
    if "DeadKernelError" in text or "Kernel died" in text or "kernel died" in text:
        return "The kernel stopped while the notebook ran (os._exit() or a crash), so no cell " \
               "could be graded."
    lines = [line for line in text.strip().splitlines() if "[ERROR]" in line or "Error" in line]
    detail = lines[-1].split("]", 1)[-1].strip()[:200] if lines else "no message"
    return f"nbgrader could not grade the notebook ({detail})."


def _cell_timeouts(graded: nbformat.NotebookNode, seconds: int) -> list[str]:
    problems = []
    for index, cell in enumerate(graded.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError":
                problems.append(f"Cell {index + 1} ran longer than {seconds} s and was "
                                "interrupted.")
    return problems


def _kernel_stopped(graded: nbformat.NotebookNode) -> bool:
    # The probe is the last cell: the kernel ran it when it has an execution count, even if
    # it printed nothing (an input transformer can swap its code for ``pass``).
    last = graded.cells[-1] if graded.cells else None
    return last is None or last.get("execution_count") is None


def write_atomic(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    partial.replace(path)



def summary_page(result: Result) -> str:
    """A feedback page written by the grader itself: the score and the reasons, one per line.

    Used when nbgrader could not grade the notebook (no notebook, a crash, a limit) or could
    not write its own feedback.
    """
    items = "".join(f"<li>{html.escape(line)}</li>"
                    for line in result.problems + result.notes + result.flags)
    scores = "".join(f"<tr><td>{html.escape(g)}</td><td>{result.scores.get(g, 0):g} / {m:g}"
                     "</td></tr>" for g, m in result.max_scores.items())
    intro = ("Your notebook was graded; the detailed feedback could not be written."
             if result.status == "graded" else "Your notebook could not be graded automatically.")
    title = f"{html.escape(result.student)} - {html.escape(result.assignment)}"
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{html.escape(result.assignment)}: {result.total:g} / "
            f"{result.max_total:g}</h1><p>{intro}</p><ul>{items}</ul><table>{scores}</table>"
            "<p>Ask your instructor if you think this is wrong.</p></body></html>")
