"""nbgrader's Validate button without a frozen JupyterLab: each validation in its own process.

nbgrader's own handler validates inside the server's event loop, so JupyterLab answers
nothing (no saving, no other notebook) until the notebook has run, and it sets
``NBGRADER_EXECUTION`` in the server's environment meanwhile. This server extension answers
the same request, with the same reply, from a child process (``python -m
rnncourse.lab.validate NOTEBOOK``) that JupyterLab awaits. ``rnncourse lab`` turns it on in
place of nbgrader's (``config/validate/jupyter_server_config.json``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jupyter_server.utils import url_path_join
from nbgrader.server_extensions.validate_assignment.handlers import (
    NbGraderVersionHandler,
    ValidateAssignmentHandler,
)
from tornado import web

#: Marks the child's reply among anything else it prints.
REPLY = "rnncourse-validate-reply: "


class ValidateHandler(ValidateAssignmentHandler):
    """``POST /assignments/validate``: nbgrader's reply, computed in a child process."""

    @web.authenticated
    async def post(self) -> None:
        try:
            path = self.get_argument("path")
        except web.MissingArgumentError:
            path = (self.get_json_body() or {}).get("path", "")
        root = Path(self.root_dir).resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root):
            raise web.HTTPError(403, "Access denied: path outside allowed directory")
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rnncourse.lab.validate", str(root), str(path),
            cwd=os.getcwd(), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await child.communicate()
        replies = [line[len(REPLY):] for line in out.decode(errors="replace").splitlines()
                   if line.startswith(REPLY)]
        if child.returncode == 0 and replies:
            self.finish(replies[-1])
            return
        self.log.error("Validating %s failed: %s", path, err.decode(errors="replace"))
        self.finish(json.dumps({"success": False, "value": (
            f"Validation stopped before it finished (exit status {child.returncode}); "
            "save the notebook and press Validate again.")}))


def validate(root: str, path: str) -> dict[str, Any]:
    """nbgrader's Validate reply for the notebook ``path`` under ``root``, computed here.

    It is nbgrader's own handler method, with its settings and its error messages, called
    without a web server around it.
    """
    shim = SimpleNamespace(root_dir=root, log=logging.getLogger("rnncourse.validate"))
    shim.load_config = lambda: ValidateAssignmentHandler.load_config(shim)
    return ValidateAssignmentHandler.validate_notebook(shim, path)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "rnncourse.lab.validate"}]


def _load_jupyter_server_extension(server: Any) -> None:
    base = server.web_app.settings["base_url"]
    server.web_app.settings["root_dir"] = server.root_dir  # where nbgrader's handler looks
    server.web_app.add_handlers(".*$", [
        (url_path_join(base, "assignments/validate"), ValidateHandler),
        (url_path_join(base, "nbgrader_version"), NbGraderVersionHandler),
    ])


def main(argv: list[str]) -> int:
    """``python -m rnncourse.lab.validate ROOT PATH``: print the reply after :data:`REPLY`."""
    root, path = argv
    print(REPLY + json.dumps(validate(root, path)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
