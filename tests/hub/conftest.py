"""What the class on the hub needs: root, PostgreSQL, bubblewrap, the proxy and Chromium.

Run these with ``-m hub`` (or leave them out with ``-m "not hub"``). A missing component
skips them, except on CI (``CI=true``), where it fails them: .ci/run installs everything.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, shared_ag_news_folder, unavailable
from tests.hub.hub import DEPLOY, VENV_BIN, Hub, Postgres, postgres_bin, running_hub

#: The hub's log and the term's timings; a failed browser step's screenshot.
ARTIFACTS = Path(os.environ.get("RNNCOURSE_ARTIFACTS", REPO / "test-artifacts")) / "hub"


def _require() -> None:
    if os.geteuid() != 0:
        unavailable("the hub tests create Unix users and run the hub as root; run them as root")
    for program in ("useradd", "runuser", "bwrap"):
        if shutil.which(program) is None:
            unavailable(f"{program} is missing (apt-get install passwd util-linux bubblewrap)")
    if postgres_bin() is None:
        unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    if not (VENV_BIN / "jupyterhub").exists():
        unavailable("JupyterHub is not in .venv (pip install -e '.[cpu,dev]')")
    proxy = DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists() and shutil.which("configurable-http-proxy") is None:
        unavailable("configurable-http-proxy is missing (npm ci --prefix deploy/jupyterhub)")


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A folder every class account can pass through (pytest's own is root's alone)."""
    _require()
    folder = Path(tempfile.mkdtemp(prefix="rnncourse-hub-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres(scratch) -> Iterator[Postgres]:
    """A PostgreSQL cluster of the test's own, holding an empty gradebook database."""
    server = Postgres(scratch / "postgres")
    yield server
    server.close()


@pytest.fixture(scope="module")
def hub(scratch, postgres) -> Iterator[Hub]:
    """deploy/jupyterhub/start with a gradebook on ``postgres`` and accounts of its own."""
    prefix = f"rh{secrets.token_hex(2)}"  # fresh accounts: no home left by another run
    with running_hub(scratch, postgres.url, shared_ag_news_folder(), prefix,
                     ARTIFACTS) as running:
        yield running
