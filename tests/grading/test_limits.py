"""The limits every graded notebook runs under: wall-clock time and memory, on a whole tree."""

from __future__ import annotations

import os
import sys
import time

import psutil

from rnncourse.grading.limits import Running, run_limited

PY = sys.executable


def _run(code: str, *, seconds: float = 30, memory: int = 2**31, running=None):
    return run_limited([PY, "-c", code], cwd=os.getcwd(), env=dict(os.environ), seconds=seconds,
                       memory_bytes=memory, running=running)


def test_a_well_behaved_command_keeps_its_output_and_exit_code():
    outcome = _run("print('hello'); raise SystemExit(3)")
    assert (outcome.returncode, outcome.output.strip(), outcome.killed_for) == (3, "hello", None)


def test_a_grandchild_in_its_own_session_is_killed_with_the_tree_at_the_time_limit(tmp_path):
    # Like a Jupyter kernel: started by the command, in a new session, never ending.
    pid_file = tmp_path / "pid"
    code = ("import subprocess, sys, time\n"
            "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
            " start_new_session=True)\n"
            f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
            "time.sleep(600)\n")
    started = time.monotonic()
    outcome = _run(code, seconds=3)
    assert outcome.killed_for == "time"
    assert time.monotonic() - started < 20
    grandchild = int(pid_file.read_text())
    assert not psutil.pid_exists(grandchild) or psutil.Process(grandchild).status() == "zombie"


def test_a_command_that_allocates_without_end_is_killed_for_memory():
    code = "hoard = []\nwhile True:\n    hoard.append(bytearray(50 * 2**20))\n"
    outcome = _run(code, memory=400 * 2**20)
    assert outcome.killed_for == "memory"
    assert outcome.peak_bytes > 400 * 2**20


def test_running_trees_can_all_be_stopped_at_once():
    import threading

    running = Running()
    results = []
    thread = threading.Thread(target=lambda: results.append(
        _run("import time; time.sleep(600)", running=running)))
    thread.start()
    time.sleep(1.0)
    running.kill_all()
    thread.join(timeout=20)
    assert results and results[0].killed_for == "stopped" and results[0].seconds < 20


def test_a_command_started_after_the_run_was_stopped_is_killed_at_once():
    # A worker thread that starts nbgrader just after Ctrl-C: nobody else would stop it.
    running = Running()
    running.kill_all()
    outcome = _run("import time; time.sleep(30); print('finished')", seconds=120,
                   running=running)
    assert outcome.killed_for == "stopped"
    assert "finished" not in outcome.output
    assert outcome.seconds < 20


def test_a_command_that_fills_the_watched_folder_is_killed_for_disk(tmp_path):
    code = (f"import time\nwith open({str(tmp_path / 'fill')!r}, 'wb') as f:\n"
            "    while True:\n        f.write(b'x' * 2**20); f.flush(); time.sleep(0.01)\n")
    outcome = run_limited([PY, "-c", code], cwd=os.getcwd(), env=dict(os.environ), seconds=60,
                          memory_bytes=2**31, watch=tmp_path, watch_bytes=20 * 2**20)
    assert outcome.killed_for == "disk"
    assert (tmp_path / "fill").stat().st_size < 200 * 2**20


def test_a_command_within_the_watched_limit_ends_by_itself(tmp_path):
    code = f"open({str(tmp_path / 'small')!r}, 'wb').write(b'x' * 1000)"
    outcome = run_limited([PY, "-c", code], cwd=os.getcwd(), env=dict(os.environ), seconds=60,
                          memory_bytes=2**31, watch=tmp_path, watch_bytes=20 * 2**20)
    assert (outcome.returncode, outcome.killed_for) == (0, None)
