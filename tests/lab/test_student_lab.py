"""`rnncourse lab`: students' tools only, and nbgrader's Validate with the course's settings."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from rnncourse.lab import CONFIG, config_folders, exchange_root, lab_command, lab_environment
from rnncourse.release import nbgrader_env
from tests.lab.server import lesson_folder, running_lab

INSTRUCTOR_PLUGINS = {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                      "@jupyter/nbgrader:course-list"}
ASSIGNMENT_LIST = "@jupyter/nbgrader:assignment-list"
_TAGS = re.compile(r"<[^>]+>")


def _disabled(lab) -> set[str]:
    disabled = lab.page_config()["disabledExtensions"]
    return set(disabled) if isinstance(disabled, list) else {k for k, v in disabled.items() if v}


def _validating(server: psutil.Process) -> bool:
    """Whether one of the server's child processes is validating a notebook."""
    for child in server.children(recursive=True):
        try:
            if "rnncourse.lab.validate" in " ".join(child.cmdline()):
                return True
        except psutil.Error:  # a child that ended meanwhile
            continue
    return False


def _exchange_config(folder, exchange) -> None:
    (folder / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")


def test_the_config_folders_follow_the_role_and_the_exchange():
    assert config_folders(instructor=False, exchange=False) == [
        CONFIG / "validate", CONFIG / "student", CONFIG / "no-exchange"]
    assert config_folders(instructor=False, exchange=True) == [CONFIG / "validate",
                                                               CONFIG / "student"]
    assert config_folders(instructor=True) == [CONFIG / "validate"]
    env = lab_environment({"JUPYTER_CONFIG_PATH": "/etc/mine"}, [CONFIG / "validate"])
    assert env["JUPYTER_CONFIG_PATH"] == os.pathsep.join([str(CONFIG / "validate"), "/etc/mine"])


def test_the_lessons_folder_is_served_unless_the_user_names_another():
    command = lab_command(Path("/course/lessons"), ["--port=9999"])
    assert command[1:3] == ["lab", "--notebook-dir=/course/lessons"] and "--port=9999" in command
    mine = lab_command(Path("/course/lessons"), ["--notebook-dir=/home/me"])
    assert [arg for arg in mine if "notebook-dir" in arg] == ["--notebook-dir=/home/me"]


def test_the_exchange_is_the_one_nbgrader_s_settings_name(tmp_path, monkeypatch):
    _exchange_config(tmp_path, tmp_path / "exchange")
    monkeypatch.chdir(tmp_path)
    assert exchange_root([]) == tmp_path / "exchange"


def test_validate_reads_the_course_s_nbgrader_settings(tmp_path):
    # As nbgrader's Validate handler loads them, in a server started by `rnncourse lab`.
    code = ("from nbgrader.server_extensions.validate_assignment.handlers import "
            "ValidateAssignmentHandler as Handler\n"
            "print(Handler.load_config(None).Execute.timeout)")
    env = lab_environment({**os.environ, "JUPYTER_CONFIG_PATH": ""},
                          config_folders(exchange=False))
    shown = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert shown == "600"
    bare = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                          env={**os.environ, "JUPYTER_CONFIG_PATH": ""},
                          capture_output=True, text=True, check=True).stdout.strip()
    assert bare != "600"  # nbgrader's own default, the 30 s that timed out Lesson 1


@pytest.fixture(scope="module")
def lab_env():
    return {**nbgrader_env(), "JUPYTER_CONFIG_PATH": ""}


def test_a_student_working_alone_sees_only_validate(tmp_path, lab_env):
    lesson_folder(tmp_path, [])
    _exchange_config(tmp_path, tmp_path / "no-such-exchange")
    with running_lab(tmp_path, lab_env) as lab:
        assert INSTRUCTOR_PLUGINS | {ASSIGNMENT_LIST} <= _disabled(lab)
        assert "@jupyter/nbgrader:validate-assignment" not in _disabled(lab)
        assert lab.get("/formgrader")[0] == 404
        assert lab.get("/assignments")[0] == 404  # no "exchange directory does not exist"
        assert lab.get("/nbgrader_version?version=0")[0] == 200  # Validate's server side
    log = lab.log.read_text()
    assert "nbgrader.server_extensions.formgrader | extension was successfully" not in log
    assert "rnncourse.lab.validate | extension was successfully loaded" in log


def test_a_class_with_an_exchange_also_gets_the_assignment_list(tmp_path, lab_env):
    (tmp_path / "exchange").mkdir()
    lesson_folder(tmp_path, [])
    _exchange_config(tmp_path, tmp_path / "exchange")
    with running_lab(tmp_path, lab_env) as lab:
        assert _disabled(lab) >= INSTRUCTOR_PLUGINS and ASSIGNMENT_LIST not in _disabled(lab)
        status, body = lab.get("/assignments?course_id=rnncourse")
        assert status == 200 and '"success": true' in body


def test_an_instructor_keeps_formgrader(tmp_path, lab_env):
    lesson_folder(tmp_path, [])
    with running_lab(tmp_path, lab_env, "--instructor") as lab:
        assert not INSTRUCTOR_PLUGINS & _disabled(lab)
        assert lab.get("/formgrader/api/status")[0] != 404


@pytest.mark.nbgrader
def test_validate_passes_solved_work_and_lists_each_unsolved_exercise_in_a_sentence(
        tmp_path, lab_env, shared_ag_news):
    lesson_folder(tmp_path, ["01-rnn-pytorch"])
    env = {**lab_env, "RNNCOURSE_DATA": str(shared_ag_news)}
    with running_lab(tmp_path, env) as lab:
        reply: dict = {}

        def press_validate() -> None:
            reply["solved"] = lab.post("/assignments/validate",
                                       {"path": "01-rnn-pytorch/solved.ipynb"})
            reply["at"] = time.monotonic()

        validating = threading.Thread(target=press_validate)
        validating.start()
        # JupyterLab answers while the notebook validates (nbgrader's own handler froze it).
        server = psutil.Process(lab.process.pid)
        while not _validating(server):
            assert validating.is_alive(), reply
            time.sleep(0.1)
        assert lab.get("/api/contents/01-rnn-pytorch")[0] == 200
        answered = time.monotonic()
        validating.join()
        assert answered < reply["at"]
        status, solved = reply["solved"]
        assert status == 200 and '"success": true' in solved
        assert '"value": {}' in solved, solved[:3000]  # no failed cell, no timeout
        status, unsolved = lab.post("/assignments/validate",
                                    {"path": "01-rnn-pytorch/01-rnn-pytorch.ipynb"})
    failed = json.loads(unsolved)["value"]["failed"]
    assert len(failed) >= 4, unsolved[:3000]
    for cell in failed:
        error = html.unescape(_TAGS.sub("", cell["error"])).strip()
        assert "rnncourse" not in error, error
        if "NotImplementedError" in error:
            assert len(error.splitlines()) == 1, error
            assert "is not written yet" in error
