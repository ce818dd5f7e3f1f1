"""A real class on this machine: PostgreSQL, JupyterHub from deploy/jupyterhub, Unix users.

Everything runs as real processes on 127.0.0.1: the test is root and creates the users, the
hub runs each student's server as that student, and nbgrader's commands run as the account
whose command it is (``runuser``), so the exchange's permissions are the machine's own.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

from tests.notebooks.helpers import REPO

DEPLOY = REPO / "deploy" / "jupyterhub"
VENV_BIN = REPO / ".venv" / "bin"
COURSE = "rnncourse"


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive TCP ports on 127.0.0.1 that nothing listens on."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count >= 65535:
            continue
        with contextlib.ExitStack() as stack:
            try:
                for port in range(first, first + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return first
    raise RuntimeError("no free block of ports on 127.0.0.1")


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (Debian: /usr/lib/postgresql/<v>/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def _as_user(user: str, command: str, env: dict[str, str] | None, cwd: str) -> list[str]:
    home = os.path.expanduser(f"~{user}")
    environment = {"HOME": home, "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
                   "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin", **(env or {})}
    return ["runuser", "-u", user, "--", "env", "-i",
            *(f"{k}={v}" for k, v in environment.items()), "bash", "-c", f"cd {cwd} && {command}"]


def run_as(user: str, command: str, env: dict[str, str] | None = None, *,
           cwd: str = "~", timeout: float = 300) -> subprocess.CompletedProcess:
    """``command`` (bash) as the Unix ``user``, in a login-like environment of their own."""
    return subprocess.run(_as_user(user, command, env, cwd), capture_output=True, text=True,
                          timeout=timeout, cwd="/")


def start_as(user: str, command: str, env: dict[str, str] | None = None, *,
             cwd: str = "~") -> subprocess.Popen:
    """:func:`run_as`, in the background."""
    return subprocess.Popen(_as_user(user, command, env, cwd), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd="/")


class Postgres:
    """A PostgreSQL cluster of its own, in a temporary folder, on a free port."""

    def __init__(self, folder: Path) -> None:
        self.bin = postgres_bin()
        assert self.bin is not None
        self.folder = folder
        self.data = folder / "data"
        self.port = free_ports(1)
        self.password = secrets.token_hex(12)
        self.url = f"postgresql://rnncourse:{self.password}@127.0.0.1:{self.port}/gradebook"
        folder.mkdir(mode=0o700)
        (folder / "password").write_text(self.password)
        shutil.chown(folder, "postgres")
        shutil.chown(folder / "password", "postgres")
        self._postgres(["initdb", "-D", str(self.data), "-U", "rnncourse", "-E", "UTF8",
                        "--auth=scram-sha-256", f"--pwfile={folder / 'password'}", "-N"])
        self.start()
        self._postgres(["createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "rnncourse",
                        "gradebook"], env={"PGPASSWORD": self.password})

    def _postgres(self, command: list[str], env: dict[str, str] | None = None) -> None:
        program = str(self.bin / command[0])
        result = subprocess.run(["runuser", "-u", "postgres", "--", "env",
                                 *(f"{k}={v}" for k, v in (env or {}).items()), program,
                                 *command[1:]], capture_output=True, text=True, timeout=120,
                                cwd="/")
        assert result.returncode == 0, f"{command[0]} failed: {result.stderr}"

    def start(self) -> None:
        """Start the server (again) and wait until it accepts connections."""
        self._postgres(["pg_ctl", "-D", str(self.data), "-l", str(self.folder / "log"), "-w",
                        "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off", "start"])

    def stop(self) -> None:
        """Stop the server at once (what a crash or an outage looks like to its clients)."""
        self._postgres(["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"])

    def close(self) -> None:
        with contextlib.suppress(AssertionError):
            self.stop()


@dataclass
class Hub:
    """deploy/jupyterhub/start, running, and what it was started with."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log: Path
    admin_token: str
    password: str
    grader: str
    instructor: str
    students: list[str]
    exchange: Path
    #: Seconds from `start` to a hub whose API and formgrader service answer.
    started_in: float = 0.0
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def student_env(self) -> dict[str, str]:
        """What a student's shell needs for nbgrader's commands (their server has it)."""
        return {"JUPYTER_CONFIG_PATH": str(DEPLOY / "jupyter"),
                "RNNCOURSE_EXCHANGE": str(self.exchange)}

    @property
    def course_dir(self) -> Path:
        return Path(os.path.expanduser(f"~{self.grader}")) / COURSE

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """The hub's REST API as the class-admin service."""
        return requests.request(method, f"{self.url}/hub/api{path}", timeout=60,
                                headers={"Authorization": f"token {self.admin_token}"}, **kwargs)

    def token(self, user: str) -> str:
        """An API token of ``user``'s own (what their browser session could do, no more)."""
        if user not in self.tokens:
            response = self.api("POST", f"/users/{user}/tokens",
                                json={"note": "test", "expires_in": 3600})
            assert response.status_code == 201, response.text
            self.tokens[user] = response.json()["token"]
        return self.tokens[user]

    def as_user(self, user: str, method: str, path: str, **kwargs) -> requests.Response:
        """A request to ``path`` (under the hub's URL) with ``user``'s token."""
        return requests.request(method, f"{self.url}{path}", timeout=300,
                                headers={"Authorization": f"token {self.token(user)}"},
                                **kwargs)

    def spawn(self, user: str) -> float:
        """Start ``user``'s server through the API; seconds until the hub says it is ready."""
        started = time.monotonic()
        response = self.api("POST", f"/users/{user}/server")
        assert response.status_code in (201, 202), response.text
        while True:
            server = self.api("GET", f"/users/{user}").json()["servers"].get("", {})
            if server.get("ready"):
                return time.monotonic() - started
            assert time.monotonic() - started < 180, f"{user}'s server never started:\n" \
                + self.log.read_text()[-4000:]
            time.sleep(0.2)

    def server_rss(self, user: str) -> int:
        """Bytes of memory (RSS) of ``user``'s server and everything it started."""
        roots = [p for p in psutil.process_iter(["username", "cmdline"])
                 if p.info["username"] == user
                 and any("jupyterhub-singleuser" in part for part in p.info["cmdline"] or [])]
        assert len(roots) == 1, roots
        processes = [roots[0], *roots[0].children(recursive=True)]
        return sum(p.memory_info().rss for p in processes)

    def grader_run(self, command: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """``command`` as the course's owner, in the course folder."""
        return run_as(self.grader, command, {"RNNCOURSE_DATA": self.env["RNNCOURSE_DATA"]},
                      cwd=f"~/{COURSE}", timeout=timeout)

    def grader_start(self, command: str) -> subprocess.Popen:
        """:meth:`grader_run`, in the background."""
        return start_as(self.grader, command, {"RNNCOURSE_DATA": self.env["RNNCOURSE_DATA"]},
                        cwd=f"~/{COURSE}")

    def stop(self) -> None:
        """Stop the hub, which stops everyone's server and the formgrader."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextlib.contextmanager
def running_hub(folder: Path, gradebook_url: str, data: Path, prefix: str,
                artifacts: Path) -> Iterator[Hub]:
    """``deploy/jupyterhub/start`` for a class of two students, until the block ends; then
    ``start remove`` takes back its accounts, homes and state."""
    port = free_ports(4)
    names = {"grader": f"{prefix}-grader", "instructor": f"{prefix}-teacher",
             "students": [f"{prefix}-s1", f"{prefix}-s2"]}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RNNCOURSE_")},
           "RNNCOURSE_HUB_DIR": str(folder / "hub"), "RNNCOURSE_EXCHANGE": str(folder / "exchange"),
           "RNNCOURSE_HOME_BASE": str(folder / "home"), "RNNCOURSE_HUB_PORT": str(port),
           "RNNCOURSE_GRADER": names["grader"], "RNNCOURSE_INSTRUCTORS": names["instructor"],
           "RNNCOURSE_STUDENTS": ",".join(names["students"]), "RNNCOURSE_CLASS_GROUP": prefix,
           "RNNCOURSE_HUB_PASSWORD": secrets.token_hex(8),
           "RNNCOURSE_HUB_ADMIN_TOKEN": secrets.token_hex(16),
           "RNNCOURSE_GRADEBOOK_URL": gradebook_url, "RNNCOURSE_DATA": str(data)}
    log = folder / "hub.log"
    started = time.monotonic()
    with log.open("w") as sink:
        process = subprocess.Popen([str(DEPLOY / "start")], env=env, stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(url=f"http://127.0.0.1:{port}", env=env, process=process, log=log,
              admin_token=env["RNNCOURSE_HUB_ADMIN_TOKEN"],
              password=env["RNNCOURSE_HUB_PASSWORD"], grader=names["grader"],
              instructor=names["instructor"], students=names["students"],
              exchange=folder / "exchange")
    try:
        while True:
            assert process.poll() is None, f"the hub exited:\n{log.read_text()[-4000:]}"
            with contextlib.suppress(requests.RequestException):
                # Ready: the API answers, and the proxy routes to the formgrader.
                if (hub.api("GET", "/").status_code == 200 and requests.get(
                        f"{hub.url}/services/{COURSE}/", allow_redirects=False,
                        timeout=10).status_code == 302):
                    break
            assert time.monotonic() - started < 120, f"the hub never answered:\n{log.read_text()}"
            time.sleep(0.2)
        hub.started_in = time.monotonic() - started
        yield hub
    finally:
        hub.stop()
        artifacts.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, artifacts / "hub.log")  # for whoever reads a failure
        removed = subprocess.run([str(DEPLOY / "start"), "remove"], env=env,
                                 capture_output=True, text=True, timeout=120)
    assert removed.returncode == 0, f"start remove failed: {removed.stderr}"
