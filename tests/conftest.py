"""Fixtures shared by every test folder: where the repository and the real AG News data are,
and the one Chromium the browser and hub tests drive."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Read once at import: tests/data removes the variable from its tests' environment.
_ENV_DATA = os.environ.get("RNNCOURSE_DATA")
_DEFAULT_SHARED = REPO.parent / "shared" / "data" / "ag_news"


def shared_ag_news_folder() -> Path:
    """The folder with the project's copy of AG News; fails on CI, skips elsewhere, if absent."""
    folder = Path(_ENV_DATA) if _ENV_DATA else _DEFAULT_SHARED
    if not ((folder / "train.csv").is_file() and (folder / "test.csv").is_file()):
        message = f"the shared AG News files are not in {folder} (set RNNCOURSE_DATA)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)  # a real-data test skipped on CI would prove nothing
        pytest.skip(message)
    return folder


@pytest.fixture(scope="session")
def shared_ag_news() -> Path:
    """The folder with the project's copy of AG News (skip, or fail on CI, if absent)."""
    return shared_ag_news_folder()


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root."""
    return REPO


#: Where Debian's chromium package puts the browser itself (/usr/bin/chromium is a script).
CHROMIUM = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")


def unavailable(message: str) -> None:
    """Skip for a missing component, except on CI, where .ci/run installs it: fail there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}: CI must run this test (see .ci/run)")
    pytest.skip(message)


def chromium_path() -> str:
    """Debian's Chromium, or skip (fail on CI)."""
    found = os.environ.get("RNNCOURSE_CHROMIUM") or next(
        (path for path in CHROMIUM if Path(path).is_file()), shutil.which("chromium"))
    if not found:
        unavailable("Chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session, shared by tests/browser and tests/hub: Playwright's sync
    API allows one running instance per process."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install playwright)")
    executable = chromium_path()
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start.
        chromium = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()
