"""Part 5: each lesson's training step on a busy or restricted CPU, policy against defaults.

For each condition (quiet; one busy process per CPU but one; one per CPU; restricted to one
CPU by affinity; restricted to one CPU by a cgroup quota) the harness times each lesson's
training step (:mod:`benchmarks.contention_step`, a fresh process each time) in both
frameworks, once with the course's thread policy (:mod:`rnncourse.threads`) and once with
the frameworks' default thread pools. Each time is reported as a ratio to the quiet time of
the same framework, lesson and setting, measured in this run.

The busy processes are started and stopped here, and each also ends itself after
:data:`BUSY_LIMIT_SECONDS`, so none outlives a crashed harness.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from benchmarks.contention_step import SIZES

FRAMEWORKS = ("pytorch", "tensorflow")
BUSY_LIMIT_SECONDS = 3600
STEP_TIMEOUT_SECONDS = 300
#: Fresh processes per setting and condition: a single one is at the mercy of the moment.
ROUNDS = 3
#: Spins until its deadline (the first argument, a Unix time).
_BUSY_LOOP = "import sys, time\nend = float(sys.argv[1])\nwhile time.time() < end:\n    pass\n"
#: Variables that would decide the thread counts for the step instead of what is compared.
_THREAD_VARIABLES = ("RNNCOURSE_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                     "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


@contextlib.contextmanager
def neighbours(count: int, cpus: list[int] | None = None) -> Iterator[list[subprocess.Popen]]:
    """``count`` processes that keep a CPU busy each (pinned to ``cpus`` in turn, if given)."""
    processes: list[subprocess.Popen] = []
    deadline = str(time.time() + BUSY_LIMIT_SECONDS)
    try:
        for index in range(count):
            pin = None if not cpus else {cpus[index % len(cpus)]}
            processes.append(subprocess.Popen(
                [sys.executable, "-c", _BUSY_LOOP, deadline],
                preexec_fn=(lambda pin=pin: os.sched_setaffinity(0, pin)) if pin else None))
        time.sleep(0.5)  # let them reach full speed before anything is measured
        yield processes
    finally:
        for process in processes:
            process.kill()
        for process in processes:
            process.wait()


class QuotaGroup:
    """A cgroup with a CPU quota that a child process joins; ``reason`` says why not, if not."""

    def __init__(self, cpus: float, root: Path = Path("/sys/fs/cgroup")) -> None:
        self.folder: Path | None = None
        self.reason = ""
        name = f"rnncourse-bench-{os.getpid()}"
        period = 100_000
        v1 = root / "cpu"
        try:
            if (v1 / "cpu.cfs_quota_us").exists():
                folder = v1 / name
                folder.mkdir()
                self.folder = folder
                (folder / "cpu.cfs_period_us").write_text(str(period))
                (folder / "cpu.cfs_quota_us").write_text(str(int(cpus * period)))
            elif (root / "cgroup.subtree_control").exists():
                if "cpu" not in (root / "cgroup.subtree_control").read_text().split():
                    (root / "cgroup.subtree_control").write_text("+cpu")
                folder = root / name
                folder.mkdir()
                self.folder = folder
                (folder / "cpu.max").write_text(f"{int(cpus * period)} {period}")
            else:
                self.reason = "no cgroup CPU controller is mounted at /sys/fs/cgroup"
        except OSError as error:
            self.reason = f"cannot make a cgroup with a CPU quota here ({error.strerror})"
            self.close()

    def join(self) -> None:
        """Move the calling process into the group (run in the child before it execs)."""
        assert self.folder is not None
        (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def close(self) -> None:
        """Remove the group (its processes have ended by then)."""
        if self.folder is not None:
            with contextlib.suppress(OSError):
                self.folder.rmdir()
            self.folder = None


def busy_beside() -> int:
    """Busy processes for "busy": one per CPU this process may use but one (one on a single
    CPU)."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


@dataclasses.dataclass(frozen=True)
class Setting:
    """How a step's process sets its threads: ``threads`` for the step, ``env`` added."""

    name: str
    threads: str
    env: tuple[tuple[str, str], ...] = ()


#: The two settings every condition of part 5 compares.
POLICY_AND_DEFAULT = (Setting("policy", "policy"), Setting("default", "default"))


def _step(root: Path, framework: str, lesson: int, setting: Setting, steps: int,
          preexec: Callable[[], None] | None, tokens: int | None = None) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in _THREAD_VARIABLES}
    env.update({"TF_CPP_MIN_LOG_LEVEL": "2", **dict(setting.env)})
    command = [sys.executable, "-m", "benchmarks.contention_step", "--framework", framework,
               "--lesson", str(lesson), "--threads", setting.threads, "--steps", str(steps)]
    if tokens is not None:
        command += ["--tokens", str(tokens)]
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                              timeout=STEP_TIMEOUT_SECONDS, preexec_fn=preexec)
    except subprocess.TimeoutExpired:
        return {"status": f"over {STEP_TIMEOUT_SECONDS} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": f"failed: {last[:200]}"}
    return {"status": "ok", **json.loads(lines[-1])}


def _rounds(root: Path, framework: str, lesson: int, steps: int, rounds: int,
            preexec: Callable[[], None] | None, condition: str,
            log: Callable[[str], None], settings: tuple[Setting, ...] = POLICY_AND_DEFAULT,
            tokens: int | None = None) -> dict[str, dict]:
    """Per setting: ``rounds`` fresh processes of ``steps`` steps, the settings taking turns;
    the median over all of a setting's steps, and each process's median and threads."""
    times: dict[str, list[float]] = {setting.name: [] for setting in settings}
    medians: dict[str, list[float]] = {setting.name: [] for setting in settings}
    threads: dict[str, list[int]] = {setting.name: [] for setting in settings}
    failed: dict[str, dict] = {}
    for round_number in range(1, rounds + 1):
        for setting in settings:
            if setting.name in failed:
                continue
            log(f"contention: {condition}, lesson {lesson}, {framework}, {setting.name} "
                f"(round {round_number} of {rounds})")
            done = _step(root, framework, lesson, setting, steps, preexec, tokens)
            if done["status"] != "ok":
                failed[setting.name] = done
                continue
            times[setting.name] += done["times"]
            medians[setting.name].append(done["seconds"])
            threads[setting.name].append(done["threads"])
    return {setting.name: failed.get(setting.name) or {
        "status": "ok", "seconds": statistics.median(times[setting.name]),
        "process_medians": medians[setting.name], "process_threads": threads[setting.name],
        "steps": len(times[setting.name]), "threads": max(threads[setting.name])}
        for setting in settings}


def run(root: Path, *, quick: bool, log: Callable[[str], None] = print) -> dict:
    """Part 5; returns the part's results."""
    cpus = sorted(os.sched_getaffinity(0))
    frameworks = ("pytorch",) if quick else FRAMEWORKS
    lessons = [1] if quick else sorted(SIZES)
    steps, rounds = (2, 1) if quick else (20, ROUNDS)
    conditions: list[tuple[str, str]] = [("quiet", "no other process")]
    if len(cpus) > 1:
        conditions.append((f"busy {len(cpus) - 1}", f"{len(cpus) - 1} busy process(es) "
                           f"beside it, one per CPU but one"))
    conditions.append((f"busy {len(cpus)}", f"{len(cpus)} busy process(es), one per CPU"))
    conditions += [("affinity 1", "its affinity restricted to one CPU"),
                   ("quota 1", "a cgroup CPU quota of one CPU")]
    if quick:
        conditions = conditions[:2]
    rows: list[dict] = []
    skipped: dict[str, str] = {}
    quiet: dict[tuple, float] = {}
    for name, _description in conditions:
        busy = int(name.split()[1]) if name.startswith("busy") else 0
        quota = QuotaGroup(1.0) if name == "quota 1" else None
        if quota is not None and quota.folder is None:
            skipped[name] = quota.reason
            continue
        if name == "affinity 1" and len(cpus) < 2:
            skipped[name] = "this machine lets the harness use one CPU only"
            continue
        preexec: Callable[[], None] | None = None
        if name == "affinity 1":
            preexec = lambda: os.sched_setaffinity(0, {cpus[0]})  # noqa: E731
        elif quota is not None:
            preexec = quota.join
        try:
            with neighbours(busy):
                for lesson in lessons:
                    for framework in frameworks:
                        measured = _rounds(root, framework, lesson, steps, rounds, preexec,
                                           name, log)
                        for setting, row in measured.items():
                            row.update(condition=name, lesson=lesson, framework=framework,
                                       setting=setting)
                            key = (lesson, framework, setting)
                            if row["status"] == "ok":
                                if name == "quiet":
                                    quiet[key] = row["seconds"]
                                if key in quiet:
                                    row["ratio_to_quiet"] = row["seconds"] / quiet[key]
                            rows.append(row)
        finally:
            if quota is not None:
                quota.close()
    return {"quick": quick, "cpus": len(cpus), "steps": steps, "rounds": rounds,
            "conditions": dict(conditions), "skipped": skipped, "rows": rows,
            "problems": [f"contention: {row['condition']}, lesson {row['lesson']}, "
                         f"{row['framework']}, {row['setting']}: {row['status']}"
                         for row in rows if row["status"] != "ok"
                         and not row["status"].startswith("over")]}


#: Part 7's step: Lesson 2's built-in LSTM at 48 tokens (batch 64, hidden 64, Adam), the
#: step of the measurements that opened the thread-policy work.
SETTINGS_LESSON, SETTINGS_TOKENS = 2, 48
#: Fresh processes per setting and condition in part 7.
SETTINGS_ROUNDS = 5
#: The ways of setting threads that part 7 compares.
THREAD_SETTINGS = (Setting("1 thread", "1"), Setting("default", "default"),
                   Setting("default, passive wait", "default", (("OMP_WAIT_POLICY", "PASSIVE"),)),
                   Setting("policy", "policy"))


def run_settings(root: Path, *, quick: bool, log: Callable[[str], None] = print) -> dict:
    """Part 7: one LSTM step with each of :data:`THREAD_SETTINGS`, quiet and busy.

    Busy means one busy process per CPU but one (one on a single CPU). Every setting takes
    its turn in each round, so all of them meet the same moments of the machine.
    """
    busy = busy_beside()
    frameworks = ("pytorch",) if quick else FRAMEWORKS
    steps, rounds = (2, 1) if quick else (20, SETTINGS_ROUNDS)
    settings = THREAD_SETTINGS[1::2] if quick else THREAD_SETTINGS  # default and policy
    rows: list[dict] = []
    for condition, count in (("quiet", 0), ("busy", busy)):
        with neighbours(count):
            for framework in frameworks:
                measured = _rounds(root, framework, SETTINGS_LESSON, steps, rounds, None,
                                   condition, log, settings, SETTINGS_TOKENS)
                rows += [{**row, "condition": condition, "framework": framework,
                          "setting": name} for name, row in measured.items()]
    return {"quick": quick, "cpus": len(os.sched_getaffinity(0)), "busy_processes": busy,
            "steps": steps, "rounds": rounds, "lesson": SETTINGS_LESSON,
            "tokens": SETTINGS_TOKENS, "rows": rows,
            "problems": [f"thread-settings: {row['condition']}, {row['framework']}, "
                         f"{row['setting']}: {row['status']}" for row in rows
                         if row["status"] != "ok" and not row["status"].startswith("over")]}


#: The lessons the busy-lessons part runs, unless --lessons names none of them.
BUSY_LESSONS = ("01-", "02-")


def run_lessons(root: Path, lessons: list[str], *, log: Callable[[str], None] = print) -> dict:
    """Part 6: solution notebooks at their default settings, quiet and beside busy processes.

    Each notebook runs quiet, then at once with one busy process per CPU but one (one on a
    single CPU), so the two times come from the same state of the machine.
    """
    from benchmarks.lessons import execute, parse

    busy = busy_beside()
    chosen = [lesson for lesson in lessons if lesson.startswith(BUSY_LESSONS)] or lessons
    rows, problems = [], []
    for lesson in chosen:
        path = root / "solutions" / lesson / f"{lesson}.ipynb"
        row: dict = {"lesson": lesson}
        for condition, count in (("quiet", 0), ("busy", busy)):
            log(f"busy-lessons: {lesson}, {condition} ...")
            with neighbours(count):
                start = time.perf_counter()
                notebook, error = execute(path, {}, timeout=3600)
                seconds = time.perf_counter() - start
            parsed = parse(notebook)
            row[condition] = {"seconds": seconds, "device": parsed["device"],
                              "accuracy": parsed["accuracy"], "error": error}
            if error:
                problems.append(f"{lesson} ({condition}) stopped with {error}")
            log(f"busy-lessons: {lesson}, {condition}: {seconds:.0f} s on {parsed['device']}")
        row["ratio"] = row["busy"]["seconds"] / row["quiet"]["seconds"]
        rows.append(row)
    return {"busy_processes": busy, "notebooks": rows, "problems": problems}
