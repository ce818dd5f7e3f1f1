"""The grading sandbox itself: bubblewrap really isolates, and grading refuses to go without it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from rnncourse.grading import sandbox
from rnncourse.grading.run import grade_class
from rnncourse.grading.sandbox import (
    DATA_DIR,
    HOME_DIR,
    Policy,
    SandboxUnavailable,
    bwrap_command,
    check,
    kernel_env,
    python_folders,
    refuse_exposing,
)


def _policy(tmp_path: Path, **changes) -> Policy:
    (tmp_path / "run").mkdir(exist_ok=True)
    values = {"job": str(tmp_path), "notebook": "", "read_only": python_folders(),
              "data_dir": None, "memory_bytes": 2 * 2**30, "scratch_bytes": 8 * 2**20}
    return Policy(**{**values, **changes})


def _inside(policy: Policy, code: str) -> subprocess.CompletedProcess:
    command = bwrap_command(policy, [sys.executable, "-c", code], dict(os.environ))
    return subprocess.run(command, capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: sandbox._apply_limits(policy))


def test_the_self_check_passes_here():
    assert check().startswith("The grading sandbox works")


def test_inside_only_python_the_library_and_the_private_folders_exist(tmp_path, repo):
    secret = tmp_path / "secret.txt"
    secret.write_text("answers")
    done = _inside(_policy(tmp_path), f"""
import os, rnncourse
print(sorted(os.listdir("/")))
print(os.path.exists({str(secret)!r}), os.path.exists({str(repo / "solutions")!r}))
print(os.path.exists({str(repo / "rnncourse" / "checks")!r}), os.getuid())
""")
    assert done.returncode == 0, done.stderr
    top, hidden, own = done.stdout.splitlines()
    allowed = {"bin", "data", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32", "proc",
               "sbin", "submission", "sys", "tmp", "usr"}
    allowed |= {Path(folder).parts[1] for folder in python_folders()}
    assert set(eval(top)) <= allowed
    assert hidden == "False False"  # the job's own files and the course's solutions
    assert own == f"True {sandbox.SANDBOX_ID}"


def test_the_private_folders_are_writable_but_size_limited(tmp_path):
    done = _inside(_policy(tmp_path), """
import os
import shutil
for folder in ("/tmp", os.environ["HOME"], "/submission"):
    try:
        with open(os.path.join(folder, "big"), "wb") as handle:
            for _ in range(64):
                handle.write(b"x" * 2**20)
        print(folder, "unlimited")
    except OSError as error:
        print(folder, "limited", error.errno)
""")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[1] for line in lines] == ["limited"] * 3, lines


def test_a_daemon_dies_with_the_sandbox(tmp_path):
    marker = f"sandbox-daemon-{os.getpid()}"
    done = _inside(_policy(tmp_path), f"""
import os, sys
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "import time  # {marker}\\ntime.sleep(600)"])
print("parent done")
""")
    assert done.stdout.strip() == "parent done"
    import psutil

    left = [p for p in psutil.process_iter(["cmdline"])
            if marker in " ".join(p.info["cmdline"] or [])]
    assert left == []


def test_the_address_space_limit_stops_a_huge_allocation(tmp_path):
    done = _inside(_policy(tmp_path, memory_bytes=256 * 2**20), """
try:
    hoard = bytearray(8 * 2**30)
    print("allocated")
except MemoryError:
    print("refused")
""")
    assert done.stdout.strip() == "refused", done.stderr


def test_the_kernel_keeps_only_harmless_variables(tmp_path):
    host = {"NBGRADER_EXECUTION": "autograde", "OMP_NUM_THREADS": "1", "AWS_SECRET": "x",
            "JUPYTER_RUNTIME_DIR": "/host", "RNNCOURSE_DATA": "/host/data", "HOME": "/root"}
    env = kernel_env(host, _policy(tmp_path, data_dir="/host/data"))
    assert env["NBGRADER_EXECUTION"] == "autograde" and env["OMP_NUM_THREADS"] == "1"
    assert "AWS_SECRET" not in env and "JUPYTER_RUNTIME_DIR" not in env
    assert env["RNNCOURSE_DATA"] == DATA_DIR and env["HOME"] == HOME_DIR


def test_a_python_environment_that_holds_the_course_is_refused(repo, tmp_path):
    with pytest.raises(SandboxUnavailable, match="install the course's Python environment"):
        refuse_exposing([str(repo.parent)], [repo / "solutions"])
    refuse_exposing([str(repo / ".venv")], [repo / "solutions", tmp_path])  # siblings are fine


def test_without_bubblewrap_grading_refuses_in_one_sentence(repo, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    with pytest.raises(SandboxUnavailable) as refused:
        grade_class(repo, "01-rnn-pytorch", tmp_path, tmp_path / "out", workers=1,
                    progress=False, say=lambda line: None)
    message = str(refused.value)
    assert "apt-get install bubblewrap" in message and "--no-sandbox" in message
    assert "\n" not in message
    assert not (tmp_path / "out").exists()


def test_the_command_line_check_reports_the_sandbox(repo):
    done = subprocess.run([sys.executable, "-m", "rnncourse.cli", "check-sandbox"], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "The grading sandbox works" in done.stdout


def test_the_sandbox_works_for_an_ordinary_user_too(repo):
    """As root (CI), the self-check is run again as user nobody with the system's Python."""
    if os.geteuid() != 0:
        assert check().startswith("The grading sandbox works")  # already an ordinary user
        return
    python, setpriv = Path("/usr/bin/python3"), shutil.which("setpriv")
    if not (python.exists() and setpriv):
        message = "an ordinary-user check needs /usr/bin/python3 and setpriv (util-linux)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # The course library alone, somewhere nobody may read it (pytest's tmp_path is private).
    with tempfile.TemporaryDirectory(prefix="rnncourse-user-") as folder:
        base = Path(folder)
        shutil.copytree(repo / "rnncourse", base / "lib" / "rnncourse",
                        ignore=shutil.ignore_patterns("__pycache__"))
        for path in (base, *base.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        code = "from rnncourse.grading.sandbox import check; print(check())"
        done = subprocess.run(
            [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", str(python), "-c",
             code], cwd=base, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(base / "lib")},
            capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "The grading sandbox works" in done.stdout
