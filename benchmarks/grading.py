"""Part 3: seconds per notebook under real ``nbgrader autograde``, as an instructor runs it.

In a scratch copy of the course (so the real gradebook is never touched) each lesson is
generated, one solved submission is handed in, and ``nbgrader autograde`` is timed; its
score is read back from the gradebook. Then the parallel grader (``rnncourse grade``)
grades a class of the first lesson, three solved submissions in four and one untouched,
with 2 workers: without the sandbox, with it, and with it on a Dask ``LocalCluster`` of 2
worker processes (40 students; 2 students, sandboxed, in the local pool only, in quick
mode), so the sandbox's and Dask's costs are ratios measured in one run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nbformat

from rnncourse.release import RELEASE_DIR, nbgrader_env, solved_notebook

STUDENT = "benchmark"
#: (students, [(workers, sandboxed, scheduler), ...]) of the parallel-grader measurement,
#: full and quick; scheduler None is the local pool, "local" a Dask LocalCluster.
CLASS = {False: (40, [(2, False, None), (2, True, None), (2, True, "local")]),
         True: (2, [(2, True, None)])}


def _nbgrader(course: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}",
         f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"],
        cwd=course / "autograder", env=env, capture_output=True, text=True, timeout=3600)


def _score(course: Path, lesson: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(lesson, lesson, STUDENT)
        return float(notebook.score), float(notebook.max_score)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def parallel(root: Path, lesson: str, *, quick: bool, deadline: float | None,
             log: Callable[[str], None] = print) -> dict:
    """Wall time of ``rnncourse grade`` on one class in each configuration."""
    from rnncourse.grading.run import grade_class
    from rnncourse.grading.worker import Limits

    students, configurations = CLASS[quick]
    rows, problems = [], []
    released = root / RELEASE_DIR / lesson / f"{lesson}.ipynb"
    good = solved_notebook(released, root / "solutions" / lesson / f"{lesson}.ipynb")
    blank = nbformat.read(released, as_version=4)
    with tempfile.TemporaryDirectory(prefix="rnncourse-bench-class-") as tmp:
        submitted = Path(tmp) / "submitted"
        for index in range(students):
            folder = submitted / f"student-{index + 1:02d}" / lesson
            folder.mkdir(parents=True)
            nbformat.write(blank if index % 4 == 3 else good, folder / f"{lesson}.ipynb")
        for workers, sandbox, scheduler in configurations:
            executor = "dask-local" if scheduler == "local" else "local-pool"
            if deadline is not None and time.time() > deadline:
                rows.append({"workers": workers, "sandbox": sandbox, "executor": executor,
                             "status": "skipped: time budget spent"})
                continue
            how = ("in the sandbox" if sandbox else "without the sandbox") + f", {executor}"
            log(f"grading: rnncourse grade {lesson}, {students} students, {workers} worker(s), "
                f"{how} ...")
            start = time.perf_counter()
            run = grade_class(root, lesson, submitted,
                              Path(tmp) / f"out-{workers}-{sandbox}-{executor}",
                              workers=workers, limits=Limits(sandbox=sandbox),
                              progress=False, say=lambda line: None, scheduler=scheduler)
            seconds = time.perf_counter() - start
            failed = [r.student for r in run.results if r.status != "graded"]
            if failed:
                problems.append(f"parallel grading with {workers} worker(s): {len(failed)} "
                                f"submission(s) failed ({', '.join(failed[:3])})")
            log(f"grading: {workers} worker(s), {how}: {seconds:.0f} s, "
                f"{seconds / students:.1f} s per notebook")
            rows.append({"workers": workers, "sandbox": sandbox, "executor": executor,
                         "status": "ok", "seconds": seconds,
                         "seconds_per_notebook": seconds / students,
                         "mean_score": sum(r.total for r in run.results) / students})
    return {"lesson": lesson, "students": students, "rows": rows, "problems": problems}


def run(root: Path, lessons: list[str], *, deadline: float | None, quick: bool = False,
        log: Callable[[str], None] = print) -> dict:
    """Part 3: autograde one solved submission per lesson, then a class in parallel."""
    rows, problems = [], []
    env = nbgrader_env()
    env.pop("RNNCOURSE_QUICK", None)  # nbgrader's own NBGRADER_EXECUTION must switch it on
    with tempfile.TemporaryDirectory(prefix="rnncourse-bench-grading-") as tmp:
        course = Path(tmp)
        for folder in ("solutions", RELEASE_DIR, "autograder"):
            shutil.copytree(root / folder, course / folder,
                            ignore=shutil.ignore_patterns("gradebook.db", "__pycache__"))
        for lesson in lessons:
            if deadline is not None and time.time() > deadline:
                rows.append({"lesson": lesson, "status": "skipped: time budget spent"})
                continue
            log(f"grading: autograding {lesson} ...")
            generated = _nbgrader(course, "generate_assignment", lesson, "--force", env=env)
            if generated.returncode != 0:
                reason = f"generate_assignment failed: {_last_line(generated.stderr)}"
                rows.append({"lesson": lesson, "status": "error", "error": reason})
                problems.append(f"grading {lesson}: {reason}")
                continue
            folder = course / "submitted" / STUDENT / lesson
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(solved_notebook(course / RELEASE_DIR / lesson / f"{lesson}.ipynb",
                                  course / "solutions" / lesson / f"{lesson}.ipynb"),
                           folder / f"{lesson}.ipynb")
            start = time.perf_counter()
            graded = _nbgrader(course, "autograde", lesson, env=env)
            seconds = time.perf_counter() - start
            if graded.returncode != 0:
                reason = f"autograde failed: {_last_line(graded.stderr)}"
                rows.append({"lesson": lesson, "status": "error", "error": reason})
                problems.append(f"grading {lesson}: {reason}")
                continue
            score, max_score = _score(course, lesson)
            if score != max_score:
                problems.append(f"grading {lesson}: the solution scored {score:g} of "
                                f"{max_score:g}")
            log(f"grading: {lesson}: {seconds:.1f} s, {score:g}/{max_score:g} points")
            rows.append({"lesson": lesson, "status": "ok", "seconds": seconds, "score": score,
                         "max_score": max_score})
    class_run = parallel(root, lessons[0], quick=quick, deadline=deadline, log=log)
    problems += class_run.pop("problems")
    return {"notebooks": rows, "parallel": class_run, "problems": problems}
