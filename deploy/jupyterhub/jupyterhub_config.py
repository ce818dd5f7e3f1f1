"""JupyterHub for the course: students, instructors and the formgrader, on one machine.

Run it as root (``deploy/jupyterhub/start`` does, after ``prepare.py``): each user's server
runs as their own Unix account (LocalProcessSpawner), from the course's ``.venv``, so nbgrader's
exchange permissions are the machine's own. What the class is made of comes from the
environment (see ``class_settings.py``); README.md in this folder says what to change on a
real server (TLS, an authenticator, the institution's users).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from class_settings import (  # noqa: E402 - found through the line above
    COURSE_ID,
    HERE,
    INSTRUCTOR_GROUP,
    SERVICE,
    STUDENT_GROUP,
    VENV,
    class_settings,
)

from rnncourse.lab import config_folders, settings_options  # noqa: E402 - the course's .venv

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file
s = class_settings()
s.hub_dir.mkdir(parents=True, exist_ok=True)

# Where the hub listens, and where its parts talk to each other (all on this machine).
c.JupyterHub.bind_url = f"http://{s.ip}:{s.port}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{s.hub_port}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
proxy = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
c.ConfigurableHTTPProxy.command = [str(proxy) if proxy.exists() else "configurable-http-proxy"]
c.ConfigurableHTTPProxy.pid_file = str(s.hub_dir / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{s.hub_dir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(s.hub_dir / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(s.hub_dir / "jupyterhub.pid")

# Who may log in. Trying it out: one shared password for everyone listed. On a server: PAM
# (the machine's own passwords) here, or the institution's login (README.md).
if s.password:
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = s.password
else:
    c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(s.instructors) | set(s.students)

# Groups, then what each may do: students only their own server ("user", the default role);
# instructors also the formgrader service and the list of students.
c.JupyterHub.load_groups = {
    INSTRUCTOR_GROUP: {"users": s.instructors},
    STUDENT_GROUP: {"users": s.students},
}
c.JupyterHub.load_roles = [
    {
        "name": "instructor",
        "description": f"Grades {COURSE_ID}: opens the formgrader, sees who is in the class",
        "groups": [INSTRUCTOR_GROUP],
        "scopes": ["self", f"access:services!service={SERVICE}",
                   f"read:users!group={STUDENT_GROUP}", f"read:groups!group={STUDENT_GROUP}"],
    },
]
if s.admin_token:  # a script's way in (creating users, starting servers); never a person's
    c.JupyterHub.services = [{"name": "class-admin", "api_token": s.admin_token}]
    c.JupyterHub.load_roles.append({
        "name": "class-admin",
        "description": "Creates users and starts and stops their servers",
        "services": ["class-admin"],
        "scopes": ["admin:users", "admin:servers", "admin:groups", "tokens", "list:services"],
    })
else:
    c.JupyterHub.services = []

# Everyone's server is JupyterLab from the course's .venv, with the AG News copy, the exchange
# and the course's student tools (what `rnncourse lab` sets): instructors see what students
# see, and grade in the formgrader below.
PATH = f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin"
HUB_CONFIG = HERE / "jupyter"  # the exchange's nbgrader settings


def config_path(folders: list[Path]) -> str:
    """JUPYTER_CONFIG_PATH for ``folders``, then the exchange's settings."""
    return ":".join(str(folder) for folder in [*folders, HUB_CONFIG])


environment = {"PATH": PATH, "RNNCOURSE_EXCHANGE": str(s.exchange), "MPLBACKEND": "Agg",
               "PYTHONNOUSERSITE": "1"}
for passed in ("RNNCOURSE_DATA", "RNNCOURSE_QUICK", "LANG"):
    if passed in os.environ:
        environment[passed] = os.environ[passed]
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(VENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.args = settings_options()
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    **environment,
    "JUPYTER_CONFIG_PATH": config_path(config_folders(instructor=False, exchange=True)),
}
c.Spawner.start_timeout = 120  # a busy small machine imports JupyterLab slowly
c.Spawner.http_timeout = 120
c.JupyterHub.cleanup_servers = True  # stopping the hub stops everyone's server
# A Jupyter server without a terminal ignores SIGINT; stop it with SIGTERM after 2 s, not 10.
c.LocalProcessSpawner.interrupt_timeout = 2

# The formgrader: a JupyterLab of the course's owner, opened by instructors at
# /services/rnncourse/formgrader as a page of its own (JupyterHub 4.1 and later forbid the
# iframe nbgrader's Lab extension would show it in).
c.JupyterHub.services.append({
    "name": SERVICE,
    "url": f"http://127.0.0.1:{s.service_port}",
    "command": [str(VENV / "bin" / "jupyterhub-singleuser"), f"--ServerApp.root_dir={s.course_dir}",
                "--ServerApp.default_url=/formgrader", *settings_options()],
    "user": s.grader,
    "cwd": str(s.course_dir),
    "environment": {**environment,
                    "JUPYTER_CONFIG_PATH": config_path(config_folders(instructor=True)),
                    "HOME": str(s.home(s.grader))},
    "oauth_no_confirm": True,
    "display": True,
})
