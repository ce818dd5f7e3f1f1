"""Run one command (an ``nbgrader`` call and the kernel it starts) under limits.

The limits are enforced from outside, by a watchdog thread: the whole process tree (the
nbgrader process and every kernel it launched, which jupyter_client starts in sessions
of their own) is killed when it runs past its wall-clock limit or when its resident
memory together exceeds the limit. A submission that misbehaves therefore costs only its
own points and never the grader. What the kernel may see and touch is decided by
:mod:`~rnncourse.grading.sandbox`; these limits apply with or without it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

#: How often the watchdog measures the process tree (seconds).
POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1
try:  # Linux: made here, in the parent, so the child only calls it between fork and exec
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _PRCTL = None


def _die_with_parent() -> None:
    # If the grader (or the Dask worker thread that started the command) dies, so does the
    # command, and with it the kernel and its sandbox: nothing runs on unwatched.
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass(frozen=True)
class Outcome:
    """How a limited command ended."""

    returncode: int | None
    output: str
    seconds: float
    #: ``None`` when the command ended by itself, else ``"time"``, ``"memory"``, ``"disk"``
    #: (the watched folder grew past its limit) or ``"stopped"`` (the whole run was
    #: interrupted).
    killed_for: str | None = None
    peak_bytes: int = 0


def _tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _resident_bytes(processes: list[psutil.Process]) -> int:
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += process.memory_info().rss
    return total


def kill_tree(processes: list[psutil.Process]) -> None:
    """Kill every process of a tree (children first, so none is re-parented and missed)."""
    for process in reversed(processes):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process.kill()
    psutil.wait_procs(processes, timeout=5)


class Running:
    """The process trees started by :func:`run_limited`, so Ctrl-C can stop them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._roots: set[int] = set()
        #: Set by :meth:`kill_all`: every command still running was stopped, not finished.
        self.stopped = threading.Event()

    def add(self, pid: int) -> bool:
        """Remember ``pid``; False once :meth:`kill_all` ran, so the caller kills it itself."""
        with self._lock:
            if self.stopped.is_set():
                return False
            self._roots.add(pid)
            return True

    def discard(self, pid: int) -> None:
        with self._lock:
            self._roots.discard(pid)

    def kill_all(self) -> None:
        """Kill every tree still running."""
        with self._lock:  # one step: a command starting now is either listed or refused
            self.stopped.set()
            roots = list(self._roots)
        for pid in roots:
            with contextlib.suppress(psutil.NoSuchProcess):
                kill_tree(_tree(psutil.Process(pid)))


def folder_bytes(folder: Path) -> int:
    """The bytes of the files under ``folder`` (0 when it does not exist)."""
    total = 0
    for base, _, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(base, name)).st_size
    return total


def run_limited(command: Sequence[str], *, cwd: Path, env: dict[str, str], seconds: float,
                memory_bytes: int, running: Running | None = None, watch: Path | None = None,
                watch_bytes: int = 0) -> Outcome:
    """Run ``command`` and wait for it, killing its whole tree past any limit.

    The kernels jupyter_client launches live in their own sessions, so the tree is found
    through parent links (psutil), not through a process group. ``watch``, when given, is a
    folder the tree may write to on the host's disk; past ``watch_bytes`` the tree is killed.
    """
    start = time.monotonic()
    popen = subprocess.Popen(list(command), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True, preexec_fn=_die_with_parent)
    # A worker thread may start its command just after Ctrl-C stopped the run.
    refused = running is not None and not running.add(popen.pid)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(popen.stdout.read()), daemon=True)
    reader.start()
    root = psutil.Process(popen.pid)
    killed_for, peak, seen = None, 0, []
    try:
        if refused:
            killed_for = "stopped"
            kill_tree(_tree(root))
        while killed_for is None and popen.poll() is None:
            tree = _tree(root)
            seen = tree or seen
            used = _resident_bytes(tree)
            peak = max(peak, used)
            if used > memory_bytes:
                killed_for = "memory"
            elif time.monotonic() - start > seconds:
                killed_for = "time"
            elif watch is not None and folder_bytes(watch) > watch_bytes:
                killed_for = "disk"
            if killed_for:
                kill_tree(tree)
                break
            time.sleep(POLL_SECONDS)
        if killed_for is None:
            # The command ended by itself; a kernel it left behind must not live on.
            kill_tree([p for p in seen[1:] if p.is_running()])
        popen.wait()
    finally:
        if popen.poll() is None:
            kill_tree(_tree(root))
            popen.wait()
        if running is not None:
            running.discard(popen.pid)
    reader.join(timeout=5)
    if killed_for is None and running is not None and running.stopped.is_set():
        killed_for = "stopped"
    output = b"".join(chunks).decode("utf-8", errors="replace")
    return Outcome(returncode=popen.returncode, output=output,
                   seconds=time.monotonic() - start, killed_for=killed_for, peak_bytes=peak)
