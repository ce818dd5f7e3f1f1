"""The student's JupyterLab: Validate with the course's settings, and students' tools only.

``rnncourse lab`` (what ``./course lab`` runs) puts folders of :data:`CONFIG` on
``JUPYTER_CONFIG_PATH``, where both nbgrader and JupyterLab look for settings:

- ``validate/``: nbgrader's settings for the Validate button (cell timeout, course id), which
  validates in a child process (:mod:`rnncourse.lab.validate`), so JupyterLab never freezes;
- ``student/``: Formgrader, Create Assignment and the course list are off (instructors'
  tools: ``--instructor`` keeps them), and so is the "Jupyter news" pop-up;
- ``no-exchange/``: the Assignment List is off, added only when no nbgrader exchange exists
  here, so a student working alone never sees "exchange directory does not exist".

``settings/`` holds JupyterLab's default overrides: notebooks save their widgets' state, so a
reopened notebook shows its quizzes and progress bars, not "model not found". JupyterLab
reads them from its application settings folder, used only where the environment has none.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from rnncourse.errors import CourseError

#: The settings folders this module puts on ``JUPYTER_CONFIG_PATH``.
CONFIG = Path(__file__).resolve().parent / "config"


def exchange_root(config_paths: list[str] | None = None) -> Path:
    """The nbgrader exchange folder that the Assignment List would use here."""
    from jupyter_core.paths import jupyter_config_path
    from nbgrader.apps import NbGrader
    from nbgrader.exchange.default.exchange import Exchange

    app = NbGrader(log_level="ERROR")  # a student without nbgrader settings is the norm
    # As nbgrader's own server extensions load it: the working folder first.
    app.config_file_paths.extend([os.getcwd(), *(config_paths or jupyter_config_path())])
    app.load_config_file()
    return Path(Exchange(config=app.config).root)


def config_folders(*, instructor: bool = False, exchange: bool | None = None) -> list[Path]:
    """The folders to put first on ``JUPYTER_CONFIG_PATH``, highest priority first.

    ``exchange`` says whether an nbgrader exchange exists (default: look for one).
    """
    folders = [CONFIG / "validate"]
    if not instructor:
        folders.append(CONFIG / "student")
        if exchange is None:
            exchange = exchange_root().is_dir()
        if not exchange:
            folders.append(CONFIG / "no-exchange")
    return folders


def lab_environment(base: Mapping[str, str], folders: list[Path]) -> dict[str, str]:
    """``base`` with ``folders`` put ahead of any ``JUPYTER_CONFIG_PATH`` it already has."""
    env = dict(base)
    paths = [str(folder) for folder in folders]
    if env.get("JUPYTER_CONFIG_PATH"):
        paths.append(env["JUPYTER_CONFIG_PATH"])
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return env


def settings_options() -> list[str]:
    """``jupyter lab`` options for the course's default overrides (none where the environment
    has application settings of its own, which they would hide)."""
    from jupyterlab.commands import get_app_dir

    own = Path(get_app_dir()) / "settings"
    if own.is_dir() and any(own.iterdir()):
        return []
    return [f"--LabApp.app_settings_dir={CONFIG / 'settings'}"]


def lab_command(notebook_dir: Path, extra: list[str]) -> list[str]:
    """The ``jupyter lab`` command line, with the jupyter beside this Python."""
    jupyter = Path(sys.executable).with_name("jupyter")
    program = str(jupyter) if jupyter.is_file() else shutil.which("jupyter")
    if program is None:
        raise CourseError("JupyterLab is not installed in this environment; run ./course lab, "
                          "or pip install -e . in the course folder.")
    chosen = any(arg.split("=")[0] in ("--notebook-dir", "--ServerApp.root_dir")
                 for arg in extra)  # the user's own folder wins over lessons/
    folder = [] if chosen else [f"--notebook-dir={notebook_dir}"]
    return [program, "lab", *folder, *settings_options(), *extra]


def launch(extra: list[str], *, instructor: bool = False) -> None:
    """Replace this process with JupyterLab on ``lessons/`` (or the working folder)."""
    here = Path.cwd()
    notebook_dir = here / "lessons" if (here / "lessons").is_dir() else here
    env = lab_environment(os.environ, config_folders(instructor=instructor))
    command = lab_command(notebook_dir, extra)
    os.execvpe(command[0], command, env)
