"""The class on JupyterHub, in one place: who is in it, where things live, which ports.

Everything is read from the environment, with a real server's defaults, so the hub's config
(``jupyterhub_config.py``), the setup (``prepare.py``) and ``start`` always agree:

=============================  ==========================================================
``RNNCOURSE_HUB_DIR``          the hub's own state: its database, cookie secret, logs
                               (``/srv/rnncourse-hub``)
``RNNCOURSE_EXCHANGE``         nbgrader's exchange, shared by the whole class
                               (``/srv/nbgrader/exchange``)
``RNNCOURSE_GRADEBOOK_URL``    nbgrader's ``db_url``: a PostgreSQL URL, or (default) SQLite
                               in the course folder
``RNNCOURSE_HUB_IP``           where the hub listens (``127.0.0.1``)
``RNNCOURSE_HUB_PORT``         its public port (8000); the next three ports are the proxy's
                               API, the hub itself and the formgrader service
``RNNCOURSE_INSTRUCTORS``      hub users who may open the formgrader (``instructor``)
``RNNCOURSE_GRADER``           the Unix account that owns the course folder and runs the
                               formgrader (``grader-rnncourse``)
``RNNCOURSE_STUDENTS``         the students' user names, comma-separated
``RNNCOURSE_CLASS_GROUP``      the Unix group of everyone above (``rnncourse``)
``RNNCOURSE_HOME_BASE``        where ``prepare.py`` creates new users' homes (``/home``)
``RNNCOURSE_HUB_PASSWORD``     a shared password (``start`` sets one): logins for trying
                               it out; unset, the hub uses PAM (the machine's passwords)
``RNNCOURSE_HUB_ADMIN_TOKEN``  an API token for scripts that create users and servers
=============================  ==========================================================
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
VENV = Path(os.environ.get("RNNCOURSE_VENV", REPO / ".venv"))
#: The course's id in nbgrader, the exchange and the hub's service and group names.
COURSE_ID = "rnncourse"
#: The hub service that runs the formgrader (nbgrader wants it named as the course).
SERVICE = COURSE_ID
INSTRUCTOR_GROUP = f"formgrade-{COURSE_ID}"
STUDENT_GROUP = f"nbgrader-{COURSE_ID}"


def _names(variable: str, default: str) -> list[str]:
    return [n.strip() for n in os.environ.get(variable, default).split(",") if n.strip()]


@dataclass(frozen=True)
class ClassSettings:
    """Who takes the class and where everything is."""

    hub_dir: Path
    exchange: Path
    gradebook_url: str | None
    ip: str
    port: int
    instructors: list[str]
    grader: str
    students: list[str]
    group: str
    home_base: Path
    password: str
    admin_token: str

    @property
    def proxy_api_port(self) -> int:
        return self.port + 1

    @property
    def hub_port(self) -> int:
        return self.port + 2

    @property
    def service_port(self) -> int:
        return self.port + 3

    @property
    def unix_users(self) -> list[str]:
        """Accounts that need a Unix user: the course's owner, then everyone with a server."""
        return [self.grader, *self.instructors, *self.students]

    def home(self, user: str) -> Path:
        """The user's home folder (where ``prepare.py`` creates it, if the user is new)."""
        try:
            return Path(pwd.getpwnam(user).pw_dir)
        except KeyError:
            return self.home_base / user

    @property
    def course_dir(self) -> Path:
        """The instructor's nbgrader course: sources, submissions, grades (the grader's)."""
        return self.home(self.grader) / COURSE_ID

    @property
    def db_url(self) -> str:
        """nbgrader's gradebook: the PostgreSQL URL given, or SQLite in the course folder."""
        return self.gradebook_url or f"sqlite:///{self.course_dir / 'gradebook.db'}"


def class_settings() -> ClassSettings:
    """The settings from the environment (real-server defaults where unset)."""
    return ClassSettings(
        hub_dir=Path(os.environ.get("RNNCOURSE_HUB_DIR", "/srv/rnncourse-hub")),
        exchange=Path(os.environ.get("RNNCOURSE_EXCHANGE", "/srv/nbgrader/exchange")),
        gradebook_url=os.environ.get("RNNCOURSE_GRADEBOOK_URL") or None,
        ip=os.environ.get("RNNCOURSE_HUB_IP", "127.0.0.1"),
        port=int(os.environ.get("RNNCOURSE_HUB_PORT", "8000")),
        instructors=_names("RNNCOURSE_INSTRUCTORS", "instructor"),
        grader=os.environ.get("RNNCOURSE_GRADER", f"grader-{COURSE_ID}"),
        students=_names("RNNCOURSE_STUDENTS", ""),
        group=os.environ.get("RNNCOURSE_CLASS_GROUP", COURSE_ID),
        home_base=Path(os.environ.get("RNNCOURSE_HOME_BASE", "/home")),
        password=os.environ.get("RNNCOURSE_HUB_PASSWORD", ""),
        admin_token=os.environ.get("RNNCOURSE_HUB_ADMIN_TOKEN", ""),
    )
