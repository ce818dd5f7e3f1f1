"""A real JupyterLab, started the way students start it (`rnncourse lab`), on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

from rnncourse.release import LESSON_FIGURES, solved_notebook
from tests.notebooks.helpers import REPO

TOKEN = "rnncourse-test"


@dataclass
class Lab:
    """A running JupyterLab: where it is, and its log so far."""

    url: str
    process: subprocess.Popen
    log: Path
    #: The folder JupyterLab shows: the lessons/ it was started beside.
    notebooks: Path

    def get(self, path: str) -> tuple[int, str]:
        """GET ``path`` with the token: (status, body)."""
        return self._request(urllib.request.Request(f"{self.url}{path}"))

    def post(self, path: str, form: dict[str, str], timeout: float = 600) -> tuple[int, str]:
        """POST ``form`` to ``path`` with the token, as the Validate button does."""
        data = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in form.items()).encode()
        return self._request(urllib.request.Request(f"{self.url}{path}", data=data),
                             timeout=timeout)

    def page_config(self) -> dict:
        """The page config JupyterLab sends the browser (which plugins are disabled)."""
        _, body = self.get("/lab")
        start = body.index('id="jupyter-config-data"')
        start = body.index(">", start) + 1
        return json.loads(body[start:body.index("</script>", start)])

    def _request(self, request: urllib.request.Request, timeout: float = 60) -> tuple[int, str]:
        request.add_header("Authorization", f"token {TOKEN}")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lesson_folder(where: Path, assignments: list[str], *, language: str = "en") -> Path:
    """``where``/lessons with each assignment's released notebook and a solved copy of it."""
    lessons = where / "lessons"
    for assignment in assignments:
        folder = lessons / assignment
        folder.mkdir(parents=True, exist_ok=True)
        lesson = REPO / "lessons" / language / assignment / f"{assignment}.ipynb"
        (folder / lesson.name).write_bytes(lesson.read_bytes())
        if (lesson.parent / LESSON_FIGURES).is_dir():  # the diagrams the lesson shows
            shutil.copytree(lesson.parent / LESSON_FIGURES, folder / LESSON_FIGURES,
                            dirs_exist_ok=True)
        solution = REPO / "solutions" / assignment / f"{assignment}.ipynb"
        nbformat.write(solved_notebook(lesson, solution), folder / "solved.ipynb")
    return lessons


@contextlib.contextmanager
def running_lab(cwd: Path, env: dict[str, str], *args: str) -> Iterator[Lab]:
    """``rnncourse lab`` in ``cwd`` (which holds lessons/), until the block ends."""
    port = free_port()
    log = cwd / f"lab-{port}.log"
    command = [sys.executable, "-m", "rnncourse.cli", "lab", *args, "--no-browser",
               "--allow-root", f"--port={port}", "--ip=127.0.0.1",
               f"--IdentityProvider.token={TOKEN}", "--ServerApp.open_browser=False"]
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(url=f"http://127.0.0.1:{port}", process=process, log=log,
              notebooks=cwd / "lessons")
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"JupyterLab exited:\n{log.read_text()[-3000:]}"
            with contextlib.suppress(OSError):
                if lab.get("/api")[0] == 200:
                    break
            assert time.monotonic() < deadline, f"JupyterLab never answered:\n{log.read_text()}"
            time.sleep(0.3)
        yield lab
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
