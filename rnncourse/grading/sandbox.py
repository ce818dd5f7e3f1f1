"""Each student's kernel in a bubblewrap sandbox; nbgrader itself stays outside.

nbgrader is the trusted side: it restores the test cells, computes the scores and writes
the gradebook. Only the kernel, which runs the student's code, is started inside the
sandbox. The worker points nbgrader at a kernel spec whose command is this module's
launcher (``python -m rnncourse.grading.sandbox POLICY CONNECTION_FILE``) and at
jupyter_client's IPC transport, so the kernel's channels are Unix sockets in one folder
bound into the sandbox and the sandbox needs no network at all.

Inside the sandbox (bubblewrap, ``bwrap``; Debian's ``bubblewrap`` package):

* the operating system's programs and libraries, this Python, its environment and the
  course library are visible read-only; nothing else of the machine is: no course
  folder, no solutions, no gradebook, no results, no other submission, no home folder;
* the only writable places are ``/submission`` (the student's own notebook, read-only,
  and room for files the code writes), ``/tmp`` and a home folder, each a private
  size-limited tmpfs, plus the folder of the kernel's sockets;
* it has its own network namespace with nothing in it (not even the host's loopback),
  its own PID namespace (every process it started dies with the kernel), its own IPC
  and UTS namespaces, and no capabilities; it runs as user ``nobody`` inside;
* the kernel's address space (``RLIMIT_AS``, the memory limit plus
  :data:`ADDRESS_SPACE_HEADROOM`) and every file it writes (``RLIMIT_FSIZE``) are limited
  by the operating system, beside the grader's watchdog, which kills the whole tree when
  its memory in use passes the memory limit.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from rnncourse.errors import CourseError

#: The name of the kernel spec the worker writes; nbgrader is told to use no other.
KERNEL_NAME = "rnncourse-sandbox"
#: The user and group the student's code runs as inside the sandbox ("nobody").
SANDBOX_ID = 65534
#: Where the student's notebook copy and the files it writes live inside the sandbox.
WORK_DIR = "/submission"
HOME_DIR = "/home/student"
DATA_DIR = "/data/ag_news"
#: Address space the kernel may reserve beyond its memory limit. PyTorch and TensorFlow
#: reserve far more than they touch: measured here, a Lesson 1 TensorFlow kernel reserved
#: 2.4 GB while using 0.7 GB. The watchdog enforces the limit on memory in use; this cap
#: stops an allocation too fast for the watchdog to see.
ADDRESS_SPACE_HEADROOM = 3 * 2**30
#: How to get a sandbox, said wherever one is missing.
HOW_TO_GET_ONE = ("install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: "
                  "`dnf install bubblewrap`) on a Linux machine that allows user namespaces, "
                  "or run the grader inside a container that does")
# The system folders a Python process needs; a merged-/usr symlink is recreated as one.
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# From /etc, only what loading libraries, fonts and user names needs: no secrets.
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts",
              "localtime", "passwd", "group", "nsswitch.conf", "mime.types")
# The host variables a grading kernel keeps: thread counts, nbgrader's and the course's.
_KEPT_PREFIXES = ("NBGRADER_", "OMP_", "MKL_", "OPENBLAS_", "TF_", "KMP_", "RNNCOURSE_",
                  "LC_")
_KEPT_NAMES = {"LANG", "TZ", "MPLBACKEND", "PYTHONHASHSEED", "PYTHONUNBUFFERED",
               "PYDEVD_DISABLE_FILE_VALIDATION", "CUDA_VISIBLE_DEVICES"}


class SandboxUnavailable(CourseError):
    """No working sandbox on this machine; the message says how to get one."""


@dataclass
class Policy:
    """What one sandboxed kernel may see and use; written by the worker, read by the launcher."""

    #: A folder of the grader's own for this job: ``run/`` holds the kernel's sockets.
    job: str
    #: The student's submitted notebook (without hidden tests), shown read-only inside.
    notebook: str
    #: Host folders made visible read-only at the same path (Python and the course library).
    read_only: list[str]
    #: The AG News folder, shown read-only at :data:`DATA_DIR`.
    data_dir: str | None
    memory_bytes: int
    #: Size of each private tmpfs (``/submission``, ``/tmp``, home) and the largest file.
    scratch_bytes: int = 512 * 2**20
    env: dict[str, str] = field(default_factory=dict)
    #: The submission's data files: host path -> path relative to the notebook, shown
    #: read-only there (Lesson 4 reads the student's own CSV).
    files: dict[str, str] = field(default_factory=dict)

    @property
    def run_dir(self) -> Path:
        """The folder of the kernel's IPC sockets and its connection file."""
        return Path(self.job) / "run"

    def save(self, path: Path) -> None:
        """Write the policy as JSON, for the launcher."""
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Policy:
        """Read a policy written by :meth:`save`."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def bwrap_path() -> str | None:
    """The bubblewrap program, or None when it is not installed."""
    return shutil.which("bwrap")


def python_folders() -> list[str]:
    """The folders a kernel must read: this Python, its environment and the course library."""
    import rnncourse

    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  str(Path(os.path.realpath(sys.executable)).parent.parent),
                  str(Path(rnncourse.__file__).resolve().parent)}
    folders = sorted(os.path.realpath(p) for p in candidates if os.path.isdir(p))
    # A folder inside another one is bound with it already.
    return [f for f in folders if not any(f != o and f.startswith(o + os.sep) for o in folders)]


def refuse_exposing(read_only: list[str], private: list[Path]) -> None:
    """Refuse a policy whose read-only folders would show a private folder to the kernel."""
    for folder in read_only:
        for secret in private:
            real = os.path.realpath(secret)
            if real == folder or real.startswith(folder.rstrip(os.sep) + os.sep):
                raise SandboxUnavailable(
                    f"The sandbox would have to show {folder} to student code, and it holds "
                    f"{secret}; install the course's Python environment outside that folder.")


def kernel_env(host: dict[str, str], policy: Policy) -> dict[str, str]:
    """The kernel's whole environment: a short list of host variables plus the sandbox's own."""
    env = {name: value for name, value in host.items()
           if name in _KEPT_NAMES or name.startswith(_KEPT_PREFIXES)}
    env.pop("RNNCOURSE_DATA", None)
    env.update({"HOME": HOME_DIR, "USER": "student", "LOGNAME": "student", "TMPDIR": "/tmp",
                "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
                "LANG": host.get("LANG") or "C.UTF-8", "PYTHONNOUSERSITE": "1",
                "MPLCONFIGDIR": f"{HOME_DIR}/.config/matplotlib"})
    if policy.data_dir:
        env["RNNCOURSE_DATA"] = DATA_DIR
    env.update(policy.env)
    return env


def bwrap_command(policy: Policy, command: list[str], host_env: dict[str, str]) -> list[str]:
    """The full ``bwrap`` command line that runs ``command`` under ``policy``."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed; {HOW_TO_GET_ONE}.")
    size = str(policy.scratch_bytes)
    argv = [bwrap, "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_ID),
            "--gid", str(SANDBOX_ID), "--cap-drop", "ALL", "--die-with-parent",
            "--hostname", "sandbox", "--clearenv"]
    for folder in _SYSTEM_DIRS:
        if os.path.islink(folder):
            argv += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            argv += ["--ro-bind", folder, folder]
    for name in _ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            argv += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    if os.path.isdir("/sys/devices/system/cpu"):  # CPU counts for the math libraries
        argv += ["--ro-bind", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
    for folder in policy.read_only:
        argv += ["--ro-bind", folder, folder]
    argv += ["--proc", "/proc", "--dev", "/dev",
             "--size", size, "--tmpfs", "/dev/shm",
             "--size", size, "--tmpfs", "/tmp",
             "--size", size, "--tmpfs", HOME_DIR,
             "--size", size, "--tmpfs", WORK_DIR]
    if policy.notebook:
        argv += ["--ro-bind", policy.notebook, f"{WORK_DIR}/{Path(policy.notebook).name}"]
    for host, relative in sorted(policy.files.items()):
        inside = PurePosixPath(WORK_DIR, relative)
        if ".." in PurePosixPath(relative).parts or PurePosixPath(relative).is_absolute():
            raise ValueError(f"A data file must stay beside the notebook, not {relative!r}.")
        argv += ["--ro-bind", host, str(inside)]
    if policy.data_dir:
        argv += ["--ro-bind", policy.data_dir, DATA_DIR]
    run = str(policy.run_dir)
    argv += ["--bind", run, run, "--chdir", WORK_DIR]
    for name, value in sorted(kernel_env(host_env, policy).items()):
        argv += ["--setenv", name, value]
    return [*argv, "--", *command]


def _apply_limits(policy: Policy) -> None:
    # Inherited by bwrap and everything it starts; the kernel refuses what goes past them.
    address_space = policy.memory_bytes + ADDRESS_SPACE_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (policy.scratch_bytes, policy.scratch_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def launch(policy_path: Path, connection_file: Path, kernel_args: list[str]) -> None:
    """Replace this process with the sandboxed kernel (the kernel spec's command)."""
    policy = Policy.load(policy_path)
    run = policy.run_dir
    run.mkdir(parents=True, exist_ok=True)
    # The host's connection file stays outside; the kernel reads its own copy.
    inside = run / "kernel.json"
    shutil.copyfile(connection_file, inside)
    os.chmod(inside, 0o600)
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", str(inside), *kernel_args]
    argv = bwrap_command(policy, command, dict(os.environ))
    _apply_limits(policy)
    # jupyter_client interrupts a cell with SIGINT to the whole process group: the kernel
    # handles it, and bwrap must not die of it (that would kill the kernel).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.execv(argv[0], argv)


def write_kernel_spec(folder: Path, policy_path: Path) -> Path:
    """Write the sandbox's kernel spec under ``folder`` (a JUPYTER_PATH entry)."""
    spec = folder / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "rnncourse.grading.sandbox", str(policy_path),
            "{connection_file}", "--HistoryManager.hist_file=:memory:"]
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "Python 3 (rnncourse grading sandbox)",
        "language": "python", "interrupt_mode": "signal", "metadata": {"debugger": False},
    }, indent=1), encoding="utf-8")
    return spec


# What the self-check runs inside: each line must print its expected word.
_PROBE = """
import os, socket, sys
port, secret = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("127.0.0.1", port)); print("network: reached the host")
except OSError:
    print("network: none")
try:
    open(os.path.join(sys.prefix, "rnncourse-sandbox-check"), "w"); print("python: writable")
except OSError:
    print("python: read-only")
print("host files: visible" if os.path.exists(secret) else "host files: hidden")
print("user:", os.getuid())
"""


def check(memory_bytes: int = 2 * 2**30) -> str:
    """Start a sandbox and prove it isolates; returns a one-line report.

    Raises :class:`SandboxUnavailable`, with one sentence saying why, when bubblewrap is
    missing, cannot start (user namespaces disabled) or fails to isolate.
    """
    with tempfile.TemporaryDirectory(prefix="rnncourse-check-") as folder:
        secret = Path(folder) / "secret"
        secret.write_text("not for students")
        policy = Policy(job=folder, notebook="", read_only=python_folders(), data_dir=None,
                        memory_bytes=memory_bytes, scratch_bytes=16 * 2**20)
        policy.run_dir.mkdir()
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        command = [sys.executable, "-c", _PROBE, str(port), str(secret)]
        try:
            done = subprocess.run(bwrap_command(policy, command, dict(os.environ)),
                                  capture_output=True, text=True, timeout=60,
                                  preexec_fn=lambda: _apply_limits(policy))
        except subprocess.TimeoutExpired:
            raise SandboxUnavailable(f"A test sandbox did not finish in 60 s; {HOW_TO_GET_ONE}."
                                     ) from None
        finally:
            listener.close()
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1][:200]
        raise SandboxUnavailable(f"bubblewrap could not start a sandbox ({reason}); "
                                 f"{HOW_TO_GET_ONE}.")
    expected = ["network: none", "python: read-only", "host files: hidden",
                f"user: {SANDBOX_ID}"]
    seen = done.stdout.strip().splitlines()
    wrong = [line for line in seen if line not in expected]
    if wrong or len(seen) != len(expected):
        raise SandboxUnavailable(f"The test sandbox did not isolate ({'; '.join(wrong or seen)}"
                                 f"); {HOW_TO_GET_ONE}.")
    version = subprocess.run([bwrap_path() or "bwrap", "--version"], capture_output=True,
                             text=True).stdout.strip()
    return (f"The grading sandbox works ({version}): no network, Python read-only, host files "
            f"hidden, student code runs as uid {SANDBOX_ID}.")


if __name__ == "__main__":
    launch(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
