"""How many threads PyTorch, TensorFlow and the BLAS libraries use: one policy for the course.

The frameworks size their thread pools from the machine's cores. That is wrong twice over
for the course: a process may be allowed fewer CPUs than the machine has (an affinity mask,
a container's cgroup quota), and the machine is often busy (a browser beside the notebook,
other students on a JupyterHub node). When one of a training step's threads has to wait
for a busy CPU, every other thread waits at the next barrier: on 2 cores with one busy
neighbour, PyTorch's step with 2 threads ran 26 times slower than with 1 (see the README).

The policy therefore starts from the CPUs this process may use (affinity and quota) and
gives up each CPU a neighbour keeps busy, measured from ``/proc/stat`` over a short probe
and, during PyTorch training, again every second. ``RNNCOURSE_THREADS`` overrides it (the
grader uses it to share a machine between the notebooks it grades).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rnncourse.errors import CourseError
from rnncourse.i18n import _

#: The variable that overrides the policy: a whole number of threads.
ENV = "RNNCOURSE_THREADS"
#: A neighbour that keeps a CPU busier than this (a share of one CPU) takes that CPU.
BUSY_SHARE = 0.25
#: How long the first measurement of the neighbours' load lasts.
PROBE_SECONDS = 0.2
#: How often a training loop looks at the neighbours again.
RECHECK_SECONDS = 1.0

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuAllowance:
    """The CPUs this process may use: its affinity mask, capped by a cgroup CPU quota."""

    affinity: frozenset[int]
    quota: float | None = None  # in CPUs; None when there is no quota

    @property
    def cpus(self) -> int:
        """Whole CPUs: the smaller of the mask and the quota, at least 1."""
        limit = float(len(self.affinity)) if self.quota is None else min(
            len(self.affinity), self.quota)
        return max(1, math.floor(limit + 1e-9))


def _quota_v2(text: str) -> float | None:
    fields = text.split()  # "max 100000" or "150000 100000"
    if not fields or fields[0] == "max":
        return None
    period = int(fields[1]) if len(fields) > 1 else 100_000
    return int(fields[0]) / period if period > 0 else None


def _quota_v1(quota_text: str, period_text: str) -> float | None:
    quota, period = int(quota_text), int(period_text)
    return None if quota <= 0 or period <= 0 else quota / period


def _cgroup_paths(proc_cgroup: Path) -> tuple[str | None, str | None]:
    """This process's cgroup v2 path and its v1 ``cpu`` controller path, as listed."""
    unified = v1 = None
    with contextlib.suppress(OSError):
        for line in proc_cgroup.read_text().splitlines():
            number, controllers, path = line.split(":", 2)
            if number == "0" and controllers == "":
                unified = path
            elif "cpu" in controllers.split(","):
                v1 = path
    return unified, v1


def _ancestors(root: Path, path: str) -> list[Path]:
    """``root/path`` and each folder above it up to ``root`` (a container sees its own as /)."""
    parts = [part for part in path.split("/") if part]
    return [root.joinpath(*parts[:depth]) for depth in range(len(parts), -1, -1)]


def cgroup_quota(proc_cgroup: Path = Path("/proc/self/cgroup"),
                 root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """The tightest CPU quota on this process's cgroup and its parents, in CPUs (v2 or v1).

    None when no quota is set or the files cannot be read.
    """
    unified, v1 = _cgroup_paths(proc_cgroup)
    quotas: list[float] = []
    if v1 is not None:  # cgroup v1: cpu.cfs_quota_us / cpu.cfs_period_us
        for base in (root / "cpu", root / "cpu,cpuacct", root / "cpuacct,cpu"):
            for folder in _ancestors(base, v1):
                with contextlib.suppress(OSError, ValueError):
                    quota = _quota_v1((folder / "cpu.cfs_quota_us").read_text(),
                                      (folder / "cpu.cfs_period_us").read_text())
                    if quota is not None:
                        quotas.append(quota)
    if unified is not None:  # cgroup v2: cpu.max holds "quota period" or "max period"
        for folder in _ancestors(root, unified):
            with contextlib.suppress(OSError, ValueError):
                quota = _quota_v2((folder / "cpu.max").read_text())
                if quota is not None:
                    quotas.append(quota)
    return min(quotas) if quotas else None


def allowed_cpus(proc_cgroup: Path = Path("/proc/self/cgroup"),
                 root: Path = Path("/sys/fs/cgroup")) -> CpuAllowance:
    """The CPUs this process may use: ``sched_getaffinity`` and the cgroup quota."""
    return CpuAllowance(frozenset(os.sched_getaffinity(0)), cgroup_quota(proc_cgroup, root))


def threads_per_process(processes: int, allowance: CpuAllowance | None = None) -> int:
    """Threads for each of ``processes`` running at once on this process's CPUs (at least 1).

    The grader gives this to each kernel through :data:`ENV`: two kernels with two threads
    each on 2 cores ran a training cell over 3 times slower than with one each.
    """
    return max(1, (allowance or allowed_cpus()).cpus // max(1, processes))


def _read_busy(stat: Path, cpus: frozenset[int]) -> float | None:
    """Seconds the CPUs in ``cpus`` have spent busy since boot, from ``/proc/stat``."""
    busy = 0
    try:
        for line in stat.read_text().splitlines():
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            name, *ticks = line.split()
            if int(name[3:]) in cpus:
                values = [int(tick) for tick in ticks]
                idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
                busy += sum(values[:8]) - idle  # guest time is already inside user time
    except (OSError, ValueError, IndexError):
        return None
    return busy / _CLOCK_TICKS


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


class LoadMeter:
    """How many CPUs other processes keep busy, among the CPUs this process may use."""

    def __init__(self, cpus: frozenset[int], stat: Path = Path("/proc/stat"),
                 own: Callable[[], float] = _own_cpu_seconds,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cpus, self.stat, self.own, self.clock = cpus, stat, own, clock
        self._last = self._sample()

    def _sample(self) -> tuple[float, float | None, float]:
        return self.clock(), _read_busy(self.stat, self.cpus), self.own()

    def others(self) -> float | None:
        """CPUs busy with other processes since the previous call (None: unknown)."""
        then, now = self._last, self._sample()
        self._last = now
        elapsed = now[0] - then[0]
        if then[1] is None or now[1] is None or elapsed <= 0:
            return None
        return max(0.0, (now[1] - then[1]) - (now[2] - then[2])) / elapsed


def choose_threads(allowance: CpuAllowance, others: float | None) -> int:
    """One thread per allowed CPU that no neighbour keeps busy (at least 1).

    ``others`` is the neighbours' load in CPUs; a CPU counts as taken once they use more
    than :data:`BUSY_SHARE` of it, so background noise does not cost a thread.
    """
    if others is None:
        return allowance.cpus
    taken = max(0, math.ceil(others - BUSY_SHARE))
    free = len(allowance.affinity) - taken
    return max(1, min(allowance.cpus, free))


def threads_override(environ: dict[str, str] | None = None) -> int | None:
    """The number of threads ``RNNCOURSE_THREADS`` asks for, None when it is unset."""
    text = (os.environ if environ is None else environ).get(ENV, "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise CourseError(f"{ENV} must be a whole number of threads, at least 1, not "
                          f"{text!r}; unset it to let the course choose.")
    return int(text)


def _set_torch(threads: int) -> None:
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def _set_blas(threads: int) -> None:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional nicety: NumPy's BLAS pool only
        return
    threadpool_limits(limits=threads, user_api="blas")


class ThreadPolicy:
    """The course's thread count for this process, kept up to date while it trains.

    :meth:`start` decides once (a short probe of the neighbours' load); :meth:`adapt`,
    called by the PyTorch training loop at every batch, looks again at most once per
    :data:`RECHECK_SECONDS` and changes PyTorch's and the BLAS pools' threads when the
    neighbours changed. TensorFlow's pools are fixed once TensorFlow starts, so TensorFlow
    keeps what :meth:`start` chose.
    """

    def __init__(self, allowance: CpuAllowance | None = None,
                 meter: LoadMeter | None = None,
                 environ: dict[str, str] | None = None) -> None:
        self.allowance = allowance or allowed_cpus()
        self.override = threads_override(environ)
        self.meter = meter
        self.threads = self.override or self.allowance.cpus
        self._next_check = 0.0
        self.started = False

    def start(self) -> int:
        """Choose the thread count (probing the neighbours unless overridden) and apply it."""
        if not self.started:
            self.started = True
            if self.override is None and self.allowance.cpus > 1:
                self.meter = self.meter or LoadMeter(self.allowance.affinity)
                time.sleep(PROBE_SECONDS)
                self.threads = choose_threads(self.allowance, self.meter.others())
                self._next_check = time.monotonic() + RECHECK_SECONDS
            self._apply()
        return self.threads

    def adapt(self) -> int:
        """Look at the neighbours again if a second has passed; returns the thread count."""
        now = time.monotonic()
        if now < self._next_check:
            return self.threads
        self._next_check = now + RECHECK_SECONDS
        if self.meter is not None and self.override is None:
            threads = choose_threads(self.allowance, self.meter.others())
            if threads != self.threads:
                self.threads = threads
                self._apply()
                return self.threads
        _set_torch(self.threads)  # PyTorch may have been imported after start()
        return self.threads

    def _apply(self) -> None:
        _set_torch(self.threads)
        _set_blas(self.threads)

    def describe(self) -> str:
        """What the device line says: threads, and the CPUs this process may use."""
        cpus = self.allowance.cpus
        threads = (_("1 thread") if self.threads == 1
                   else _("{count} threads").format(count=self.threads))
        allowed = _("1 CPU allowed") if cpus == 1 else _("{count} CPUs allowed").format(count=cpus)
        return _("cpu, {threads} ({allowed})").format(threads=threads, allowed=allowed)


_policy: ThreadPolicy | None = None


def policy() -> ThreadPolicy:
    """This process's policy, started on first use."""
    global _policy
    if _policy is None:
        _policy = ThreadPolicy()
    _policy.start()
    return _policy


def tensorflow_threads(tf: object) -> int:
    """Give TensorFlow the policy's threads, if it has not started yet; returns its count."""
    chosen = policy().threads
    threading = tf.config.threading  # type: ignore[attr-defined]
    with contextlib.suppress(RuntimeError):  # too late once TensorFlow has run an op
        if threading.get_intra_op_parallelism_threads() != chosen:
            threading.set_intra_op_parallelism_threads(chosen)
        if threading.get_inter_op_parallelism_threads() != chosen:
            threading.set_inter_op_parallelism_threads(chosen)
    return threading.get_intra_op_parallelism_threads() or chosen
