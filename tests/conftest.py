"""Fixtures shared by every test folder: where the repository and the real AG News data are."""

from __future__ import annotations

import os
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
