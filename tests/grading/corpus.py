"""A class of broken and misbehaving submissions, made from the real Lesson 1 notebooks.

Each case is what a real student could hand in; :data:`EXPECTED` says the score it must get
and what the grader must report about it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from rnncourse.grading.ledger import read_ledger
from rnncourse.release import RELEASE_DIR, solved_notebook
from tests.notebooks.helpers import REPO

ASSIGNMENT = "01-rnn-pytorch"
NAME = f"{ASSIGNMENT}.ipynb"
FULL = 14.0

# Solution bodies that misbehave (each replaces or extends one solution cell).
ENDLESS = "\n\ndef load_torch_rnn(cell, torch_rnn):\n    while True:\n        pass\n"
STUBBORN = ("\n\nimport time\n\ndef load_torch_rnn(cell, torch_rnn):\n    while True:\n"
            "        try:\n            time.sleep(0.05)\n        except KeyboardInterrupt:\n"
            "            pass\n\nload_torch_rnn(None, None)\n")
# A loader that reads a key nn.RNN does not have: the check names the mistake.
WRONG_KEY = ("\n\ndef load_torch_rnn(cell, torch_rnn):\n    with torch.no_grad():\n"
             "        cell.W.copy_(torch_rnn.state_dict()['weight_ih'].T)\n")
# Busy until interrupted: a notebook still being graded whenever a test interrupts the run.
SLEEPER = "\n\nimport time\n\ntime.sleep(3600)\n"
OWN_DATA = b"text,label\na fine day,1\na grey day,0\n"
OWN_DATA_READER = ("\n\nwith open('data/own.csv', encoding='utf-8') as own:\n"
                   "    print('own data:', own.read().count('day'), 'days')\n")
HOG = "\n\nhoard = [bytearray(2**28) for _ in range(64)]  # 16 GB, a page at a time\n"


@dataclass(frozen=True)
class Expected:
    """What the grader must make of one case."""

    total: float
    status: str = "graded"
    #: A phrase that must appear among the problems, flags or notes (lower case).
    reports: tuple[str, ...] = ()
    flagged: bool = False
    #: grade id -> the classic mistake its failed test must name.
    mistakes: tuple[tuple[str, str], ...] = ()


EXPECTED: dict[str, Expected] = {
    "solver": Expected(FULL),
    "untouched": Expected(0.0),
    "endless-loop": Expected(FULL - 2, reports=("ran longer than",)),
    "wrong-key": Expected(FULL - 2, mistakes=(("test_load_weights", "loading-error"),)),
    "ignores-interrupts": Expected(0.0, "failed", ("interrupt",)),
    "memory-hog": Expected(0.0, "failed", ("memory",)),
    "sys-exit": Expected(FULL),
    "os-exit": Expected(0.0, "failed", ("kernel stopped",)),
    "edited-test": Expected(FULL, reports=("test_rnn_cell was edited",), flagged=True),
    "deleted-test": Expected(FULL, reports=("test_rnn_layer was deleted",)),
    "renamed": Expected(FULL, reports=("renamed",)),
    "no-notebook": Expected(0.0, "failed", ("no notebook",)),
    "empty-file": Expected(0.0, "failed", ("could not be read",)),
    "corrupt-json": Expected(0.0, "failed", ("could not be read",)),
    "extra-files": Expected(FULL, reports=("extra files",)),
    "own-data": Expected(FULL),
    "patched-check": Expected(3.0, reports=("rebinds check_rnn_cell",
                                            "check_rnn_cell no longer refers"), flagged=True),
    "patched-builtin": Expected(0.0, reports=("builtins.round was replaced",), flagged=True),
}


def lesson_notebooks() -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """Lesson 1 (PyTorch) as students get it: (solved, untouched)."""
    lesson = REPO / RELEASE_DIR / ASSIGNMENT / NAME
    return (solved_notebook(lesson, REPO / "solutions" / ASSIGNMENT / NAME),
            nbformat.read(lesson, as_version=4))


def cell_with_id(notebook: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    """The cell of ``notebook`` whose nbgrader grade id is ``grade_id``."""
    return next(c for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _write(folder: Path, name: str, notebook: nbformat.NotebookNode | bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, bytes):
        (folder / name).write_bytes(notebook)
    else:
        nbformat.write(notebook, folder / name)


def build(submitted: Path, cases: list[str] | None = None) -> list[str]:
    """Write the cases (default: all) into ``submitted/<case>/<assignment>/``."""
    cases = cases or list(EXPECTED)
    for case in cases:
        good, blank = lesson_notebooks()
        folder = submitted / case / ASSIGNMENT
        if case == "solver":
            _write(folder, NAME, good)
        elif case == "untouched":
            _write(folder, NAME, blank)
        elif case == "endless-loop":
            cell_with_id(good, "load_weights").source += ENDLESS
            _write(folder, NAME, good)
        elif case == "wrong-key":
            cell_with_id(good, "load_weights").source += WRONG_KEY
            _write(folder, NAME, good)
        elif case == "ignores-interrupts":
            cell_with_id(good, "load_weights").source += STUBBORN
            _write(folder, NAME, good)
        elif case == "sleeps":  # not in EXPECTED: only the interruption test grades it
            cell_with_id(blank, "rnn_cell").source += SLEEPER
            _write(folder, NAME, blank)
        elif case == "memory-hog":
            cell_with_id(good, "rnn_layer").source += HOG
            _write(folder, NAME, good)
        elif case == "sys-exit":
            cell_with_id(good, "rnn_classifier").source += "\n\nimport sys\nsys.exit()\n"
            _write(folder, NAME, good)
        elif case == "os-exit":
            cell_with_id(good, "rnn_classifier").source += "\n\nimport os\nos._exit(1)\n"
            _write(folder, NAME, good)
        elif case == "edited-test":
            cell_with_id(good, "test_rnn_cell").source = "print('all good')"
            _write(folder, NAME, good)
        elif case == "deleted-test":
            good.cells.remove(cell_with_id(good, "test_rnn_layer"))
            _write(folder, NAME, good)
        elif case == "renamed":
            _write(folder, "my homework (final).ipynb", good)
        elif case == "no-notebook":
            _write(folder, "notes.txt", b"I could not finish, sorry.")
        elif case == "empty-file":
            _write(folder, NAME, b"")
        elif case == "corrupt-json":
            _write(folder, NAME, json.dumps(good)[:5000].encode())
        elif case == "extra-files":
            _write(folder, NAME, good)
            # Files that would shadow the course's modules if they were copied next to it.
            _write(folder / "rnncourse", "__init__.py", b"raise SystemExit('shadowed')\n")
            _write(folder, "torch.py", b"raise SystemExit('shadowed')\n")
        elif case == "own-data":  # Lesson 4 reads the student's CSV beside the notebook
            cell_with_id(good, "rnn_cell").source += OWN_DATA_READER
            _write(folder, NAME, good)
            _write(folder / "data", "own.csv", OWN_DATA)
        elif case == "patched-check":
            cell_with_id(blank, "rnn_cell").source += (
                "\n\ncheck_rnn_cell = lambda *args, **kwargs: print('passed')\n")
            _write(folder, NAME, blank)
        elif case == "patched-builtin":
            cell_with_id(blank, "rnn_cell").source += ("\n\nimport builtins\n"
                                                "builtins.round = lambda x, digits=None: x\n")
            _write(folder, NAME, blank)
        else:
            raise ValueError(f"unknown case {case!r}")
    return cases


#: Three cases graded in seconds, then one that sleeps until its cell is interrupted: a run
#: of these (one worker, name order) is still grading "sleeps" once it has recorded three.
INTERRUPTED = ["corrupt-json", "empty-file", "no-notebook", "sleeps"]


def interruptible() -> None:
    """``preexec_fn`` of a run a test will interrupt: Ctrl-C's default action, even when the
    test itself runs where SIGINT is ignored (a background job of a shell without job
    control), which the child would inherit, ignoring the test's SIGINT."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupt_after_three(grading: subprocess.Popen, out: Path, *, timeout: float,
                          ready: Callable[[], bool] = lambda: True) -> str:
    """Send SIGINT to ``grading`` once three of :data:`INTERRUPTED` are in the ledger at
    ``out`` and ``ready()`` holds; check it stopped with those three kept. Returns stderr."""
    while len(read_ledger(out)) < 3 and grading.poll() is None:
        time.sleep(0.02)  # interrupt as soon after the append as we can
    while not ready() and grading.poll() is None:
        time.sleep(0.05)
    grading.send_signal(signal.SIGINT)
    _, stderr = grading.communicate(timeout=timeout)
    assert grading.returncode == 2, stderr[-2000:]
    assert "Interrupted: 3 of 4 submissions are graded" in stderr
    assert set(read_ledger(out)) == set(INTERRUPTED[:3])
    return stderr
