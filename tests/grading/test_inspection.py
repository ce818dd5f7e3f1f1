"""Tampering the grader flags: edited or deleted locked cells and code that patches the tests."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from rnncourse.grading.inspection import (
    cell_changes,
    imported_course_names,
    probe_cell,
    probe_findings,
    suspicious_code,
)
from rnncourse.release import RELEASE_DIR, solved_notebook
from tests.notebooks.helpers import LESSONS, REPO


def lesson(name: str = "01-rnn-pytorch") -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """(released student notebook, the same notebook solved)."""
    path = REPO / RELEASE_DIR / name / f"{name}.ipynb"
    return nbformat.read(path, as_version=4), solved_notebook(path, REPO / "solutions" / name /
                                                     f"{name}.ipynb")


def cell(notebook, grade_id):
    return next(c for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


@pytest.mark.parametrize("name", LESSONS)
def test_the_real_solutions_raise_no_flag(name):
    released, good = lesson(name)
    assert cell_changes(good, released) == []
    assert suspicious_code(good, released) == []


def test_an_edited_and_a_deleted_test_cell_are_reported():
    released, good = lesson()
    cell(good, "test_rnn_cell").source = "pass"
    good.cells.remove(cell(good, "test_rnn_layer"))
    assert cell_changes(good, released) == [
        "The locked cell test_rnn_cell was edited (nbgrader graded the original).",
        "The locked cell test_rnn_layer was deleted (nbgrader put it back).",
    ]


def test_unlocking_a_test_cell_in_its_metadata_is_an_edit():
    released, good = lesson()
    cell(good, "test_rnn_cell").metadata["nbgrader"]["points"] = 30
    assert cell_changes(good, released) == [
        "The locked cell test_rnn_cell was edited (nbgrader graded the original)."]


def test_the_course_names_a_lesson_imports():
    released, _ = lesson()
    assert {"check_rnn_cell", "check_rnn_layer", "encode_splits"} <= imported_course_names(released)


@pytest.mark.parametrize(("code", "reason"), [
    ("check_rnn_cell = lambda *a: None", "it rebinds check_rnn_cell"),
    ("def check_rnn_layer(model):\n    pass", "it redefines check_rnn_layer"),
    ("from os import path as check_rnn_cell", "it rebinds check_rnn_cell by an import"),
    ("torch.allclose = lambda *a, **k: True", "it changes torch.allclose"),
    ("np.testing.assert_allclose = print", "it changes np.testing.assert_allclose"),
    ("import rnncourse.checks.compare as c\nc.relative_error = lambda *a: 0.0",
     "it changes c.relative_error"),
    ("import builtins", "it imports builtins"),
    ("setattr(torch, 'allclose', print)", "it calls setattr()"),
    ("__import__('sys').modules['x'] = 1", "it calls __import__()"),
    ("import sys\nsys.modules['rnncourse.checks'] = None", "it changes sys.modules['rnncourse"),
    ("__builtins__.round = print", "it changes __builtins__.round"),
    ("exec('x = 1')", "it calls exec()"),
])
def test_patching_code_in_a_solution_cell_is_flagged(code, reason):
    released, good = lesson()
    cell(good, "rnn_cell").source += "\n" + code
    found = suspicious_code(good, released)
    assert found and reason in found[0], found


def test_ordinary_solution_code_is_not_flagged():
    released, good = lesson()
    cell(good, "rnn_cell").source += (
        "\n%timeit 1\nimport math\nself_test = math.sqrt(4)\nlayer = nn.Linear(2, 2)\n"
        "layer.weight.requires_grad = False\nfrom rnncourse.quiz import answer\n")
    assert suspicious_code(good, released) == []


def _run_probe(setup: str, protected: set[str]) -> list[str]:
    source = probe_cell("n0nce", protected).source
    ran = subprocess.run([sys.executable, "-c", setup + "\n" + source], capture_output=True,
                         text=True, check=True, cwd=REPO)
    graded = nbformat.v4.new_notebook(cells=[probe_cell("n0nce", protected)])
    graded.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=ran.stdout)]
    return probe_findings(graded, "n0nce", ran_to_end=True)


def test_the_probe_finds_a_patched_builtin_and_a_patched_course_module():
    setup = ("import builtins, rnncourse.checks.compare as c\n"
             "builtins.round = lambda x, n=None: x\nc.relative_error = lambda *a: 0.0\n")
    assert _run_probe(setup, set()) == [
        "builtins.round was replaced by a function defined in the notebook.",
        "rnncourse.checks.compare.relative_error was replaced by a function defined in the "
        "notebook."]


def test_the_probe_finds_a_rebound_check_and_accepts_the_real_one():
    setup = ("from rnncourse.checks.compare import relative_error, assert_shape\n"
             "relative_error = lambda *a: 0.0\n")
    assert _run_probe(setup, {"relative_error", "assert_shape", "missing"}) == [
        "relative_error no longer refers to the course's function at the end of the notebook."]


def test_a_clean_kernel_gives_no_finding_and_a_forged_report_is_not_believed():
    assert _run_probe("import rnncourse.checks.compare", {"relative_error"}) == []
    graded = nbformat.v4.new_notebook(cells=[probe_cell("n0nce", set())])
    graded.cells[0].outputs = [nbformat.v4.new_output(
        "stream", name="stdout", text='RNNCOURSE-PROBE guessed {"planted": [], "rebound": []}')]
    assert probe_findings(graded, "n0nce", ran_to_end=True) == [
        "The grader's integrity check did not report (print or the kernel was patched?)."]
    assert probe_findings(graded, "n0nce", ran_to_end=False) == []


def test_workers_inspect_notebooks_at_the_same_time():
    # Grading workers are threads, and CPython 3.11's parser keeps its recursion depth in
    # shared state: when a garbage collection switches threads mid-parse, another parse fails
    # with "AST constructor recursion depth mismatch". Frequent switches and cyclic garbage
    # make that happen within a second unless parsing is serialised.
    import gc
    import threading

    released, good = lesson("03-deep-pytorch")
    failures = []

    def inspect() -> None:
        for _ in range(15):
            try:
                assert suspicious_code(good, released) == []
            except Exception as error:  # noqa: BLE001 - any failure fails the test below
                failures.append(error)

    class Cycle:
        def __del__(self) -> None:
            pass

    def make_garbage() -> None:
        for _ in range(100_000):
            cycle = Cycle()
            cycle.me = cycle

    interval, threshold = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-6)
    gc.set_threshold(10, 1, 1)
    try:
        threads = [threading.Thread(target=inspect) for _ in range(4)]
        threads.append(threading.Thread(target=make_garbage))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*threshold)
    assert failures == []
