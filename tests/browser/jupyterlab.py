"""Driving the student's JupyterLab in Chromium, as a student does: menus, clicks and typing."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page

#: How long a step may take: a cell that trains on a busy 2-core machine is slow.
STEP_MS = 300_000
_IDLE = re.compile(r"\| Idle$")


def open_notebook(page: Page, base: str, path: str) -> None:
    """Open the notebook at ``path`` (relative to lessons/) alone, and wait for its kernel."""
    page.goto(f"{base}/lab/tree/{path}?reset")  # reset: no tabs restored from another test
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=STEP_MS)
    wait_idle(page)


def wait_idle(page: Page) -> None:
    """Wait until the kernel of the current notebook is idle."""
    page.locator(".jp-StatusBar-TextItem", has_text=_IDLE).wait_for(timeout=STEP_MS)


def menu(page: Page, top: str, item: str) -> None:
    """Choose ``top`` > ``item`` in the main menu bar."""
    page.get_by_role("menuitem", name=top, exact=True).click()
    # An item's accessible name ends with its shortcut, if it has one ("Close Tab Alt+W").
    page.get_by_role("menuitem", name=re.compile(rf"^{re.escape(item)}( |$)")).click()


def cell(page: Page, index: int) -> Locator:
    """The notebook's cell number ``index`` (from 0, markdown cells included)."""
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)


def output_text(page: Page, index: int) -> str:
    """The text the cell's outputs show."""
    return cell(page, index).locator(".jp-OutputArea").inner_text().strip()


def wait_output(page: Page, index: int, pattern: str) -> str:
    """Wait until the outputs of cell ``index`` match ``pattern``; returns their text."""
    cell(page, index).locator(".jp-OutputArea", has_text=re.compile(pattern)).wait_for(
        timeout=STEP_MS)
    return output_text(page, index)


def run_cell(page: Page, index: int) -> None:
    """Select cell ``index`` and run it (Shift+Enter), waiting for the kernel."""
    cell(page, index).locator(".jp-InputPrompt").click()
    page.keyboard.press("Shift+Enter")
    wait_idle(page)


def set_source(page: Page, index: int, source: str) -> None:
    """Replace the code of cell ``index``, as a student selecting all and pasting."""
    editor = cell(page, index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(source)  # no auto-indent, unlike typing key by key
    page.keyboard.press("Escape")


def cut_off_texts(scope: Locator) -> list[str]:
    """Texts in ``scope`` wider than their box: shown cut off, with "…" or not at all."""
    return scope.evaluate("""root => [...root.querySelectorAll(
            '.widget-html-content, .widget-label-basic, .widget-radio-box label')]
        .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.innerText)""")
