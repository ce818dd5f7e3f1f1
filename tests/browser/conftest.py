"""A real JupyterLab (`rnncourse lab`) and Debian's Chromium driven by Playwright.

Run only these with ``-m browser``, or the rest without a browser with ``-m "not browser"``.
Without Chromium or Playwright the tests skip, except on CI, where they fail. A failed test
leaves a screenshot in ``test-artifacts/browser/`` (or ``$RNNCOURSE_ARTIFACTS/browser``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from rnncourse.release import LESSON_FIGURES
from tests.conftest import REPO, shared_ag_news_folder
from tests.lab.server import TOKEN, Lab, lesson_folder, running_lab

ARTIFACTS = Path(os.environ.get("RNNCOURSE_ARTIFACTS", REPO / "test-artifacts")) / "browser"
#: Console messages JupyterLab itself logs as errors on a healthy page (none so far).
HARMLESS: tuple[str, ...] = ()


@pytest.fixture(scope="session")
def student_lab(tmp_path_factory) -> Iterator[Lab]:
    """`rnncourse lab` on lessons/ holding Lesson 1 (PyTorch) in English, solved and not, and
    in Korean, and Lesson 4 (PyTorch) in Korean. JupyterLab's user settings live in a scratch
    folder: every cell stays in the page (no windowing), so the test can read any of them."""
    where = tmp_path_factory.mktemp("student")
    lesson_folder(where, ["01-rnn-pytorch"])
    korean = where / "lessons" / "ko" / "01-rnn-pytorch"
    korean.mkdir(parents=True)
    shutil.copy(REPO / "lessons" / "ko" / "01-rnn-pytorch" / "01-rnn-pytorch.ipynb", korean)
    shutil.copytree(REPO / "lessons" / "ko" / "01-rnn-pytorch" / LESSON_FIGURES,
                    korean / LESSON_FIGURES)
    own_data = where / "lessons" / "ko" / "04-own-data-pytorch"  # Lesson 4, Korean
    own_data.mkdir(parents=True)
    shutil.copy(REPO / "lessons" / "ko" / "04-own-data-pytorch" / "04-own-data-pytorch.ipynb",
                own_data)
    settings = where / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    env = {**os.environ, "JUPYTER_CONFIG_PATH": "",
           "JUPYTERLAB_SETTINGS_DIR": str(where / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(where / "workspaces"),
           "RNNCOURSE_DATA": str(shared_ag_news_folder())}
    # A student's kernel draws plots inline; CI's MPLBACKEND=Agg would hide every figure.
    env.pop("MPLBACKEND", None)
    with running_lab(where, env) as lab:
        yield lab


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def own_copy(student_lab, request):
    """``own_copy(path)``: a copy of the notebook at ``path`` (under lessons/) for this test
    alone, so no test meets another's kernel or saved outputs; returns the copy's path."""
    def copy(path: str) -> str:
        source = student_lab.notebooks / path
        target = student_lab.notebooks / request.node.name / source.name
        target.parent.mkdir(exist_ok=True)
        shutil.copy(source, target)
        if (source.parent / LESSON_FIGURES).is_dir():  # the diagrams the lesson shows
            shutil.copytree(source.parent / LESSON_FIGURES, target.parent / LESSON_FIGURES,
                            dirs_exist_ok=True)
        return str(target.relative_to(student_lab.notebooks))
    return copy


@pytest.fixture
def page(browser, student_lab, request):
    """A fresh tab, logged in; fails the test on any console error, keeps a screenshot of a
    failure."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text)
           if message.type == "error" and not message.text.startswith(HARMLESS) else None)
    tab.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    tab.goto(f"{student_lab.url}/lab?token={TOKEN}")  # logs in: a cookie from now on
    tab.base = student_lab.url
    yield tab
    if getattr(request.node, "failed_call", False):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"the browser console logged errors: {errors}"
