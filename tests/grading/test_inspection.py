"""Tampering the grader flags: edited or deleted locked cells and code that patches the tests."""

from __future__ import annotations

import ast
import copy
import subprocess
import sys
from functools import cache

import nbformat
import pytest

from rnncourse.grading.inspection import (
    cell_changes,
    imported_course_names,
    probe_cell,
    probe_findings,
    suspicious_code,
)
from rnncourse.i18n import LANGUAGES
from rnncourse.release import LESSONS_DIR, RELEASE_DIR, solved_notebook
from tests.grading.benign_code import SNIPPETS
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


# ---------------------------------------------------------------------------------------------
# Wider flags (IPython's hooks, the import system, internals, namespaces, ctypes/gc, frames),
# and no flag at all on ordinary code
# ---------------------------------------------------------------------------------------------

# The student-variant modules of tests/checks (right answers and classic mistakes) and the
# lesson each one answers.
VARIANTS = {
    "students_torch": "01-rnn-pytorch",
    "students_keras": "01-rnn-tensorflow",
    "gated_students_torch": "02-lstm-pytorch",
    "gated_students_keras": "02-lstm-tensorflow",
    "deep_students_torch": "03-deep-pytorch",
    "deep_students_keras": "03-deep-tensorflow",
}


@cache
def _solved(name: str, language: str = "en") -> tuple[nbformat.NotebookNode,
                                                      nbformat.NotebookNode]:
    path = REPO / LESSONS_DIR / language / name / f"{name}.ipynb"
    return nbformat.read(path, as_version=4), solved_notebook(
        path, REPO / "solutions" / name / f"{name}.ipynb")


def _with_cells(name: str, sources: list[str]) -> tuple[nbformat.NotebookNode,
                                                        nbformat.NotebookNode]:
    """(released, the solved notebook with ``sources`` added as new cells of the student's)."""
    released, solved = _solved(name)
    submitted = copy.deepcopy(solved)
    submitted.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    return released, submitted


def _parses(source: str) -> bool:
    # As the grader reads it: magics and shell escapes blanked. A snippet that did not parse
    # would be skipped, and pass the no-flag tests without being read.
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        ast.parse("\n".join(lines))
    except SyntaxError:
        return False
    return True


def _top_level_sources(module: str) -> list[str]:
    """The source of every top-level statement of tests/checks/<module>.py, decorators included,
    but the docstring and the ``__future__`` import (which a cell cannot hold)."""
    path = REPO / "tests" / "checks" / f"{module}.py"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    sources = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) or (
                isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            continue
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        sources.append("\n".join(lines[first - 1:node.end_lineno]))
    return sources


@pytest.mark.parametrize(("name", "source"), SNIPPETS, ids=[name for name, _ in SNIPPETS])
def test_ordinary_student_code_is_never_flagged(name, source):
    assert _parses(source), name
    released, submitted = _with_cells("01-rnn-pytorch", [source])
    assert suspicious_code(submitted, released) == []


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", LESSONS)
def test_every_edition_solved_or_untouched_raises_no_flag(name, language):
    released, solved = _solved(name, language)
    assert any(c.metadata.get("nbgrader", {}).get("solution") for c in solved.cells)
    assert suspicious_code(solved, released) == []
    assert suspicious_code(released, released) == []


@pytest.mark.parametrize("module", VARIANTS)
def test_every_student_variant_of_the_checks_raises_no_flag(module):
    sources = _top_level_sources(module)
    assert len(sources) > 20 and all(_parses(source) for source in sources)
    released, submitted = _with_cells(VARIANTS[module], sources)
    assert suspicious_code(submitted, released) == []


HOSTILE = [
    # IPython's hooks
    ("get_ipython().ast_transformers.append(T())", "it uses ast_transformers, IPython's hooks"),
    ("get_ipython().ast_transformers.append(T())", "it uses get_ipython(), IPython's hooks"),
    ("ip = get_ipython()\nip.input_transformers_post.append(f)",
     "line 2: it uses input_transformers_post, IPython's hooks"),
    ("ip.input_transformers_cleanup.insert(0, f)",
     "it uses input_transformers_cleanup, IPython's hooks"),
    ("ip.input_transformer_manager.cleanup_transforms.clear()",
     "it uses input_transformer_manager, IPython's hooks"),
    ("ip.events.register('post_run_cell', f)", "it uses events.register, IPython's hooks"),
    ("ip.set_custom_exc((Exception,), h)", "it uses set_custom_exc, IPython's hooks"),
    ("ip.register_magic_function(f, 'line', 'check')",
     "it uses register_magic_function, IPython's hooks"),
    ("ip.user_ns['check_rnn_cell'] = f", "it uses user_ns, IPython's hooks"),
    ("shell = get_ipython", "it uses get_ipython(), IPython's hooks"),
    ("from IPython import get_ipython as g", "it uses IPython.get_ipython, IPython's hooks"),
    ("import IPython\nIPython.get_ipython()", "it uses IPython.get_ipython, IPython's hooks"),
    ("from IPython.core.interactiveshell import InteractiveShell as S\nS.instance()",
     "it uses IPython.core.interactiveshell.InteractiveShell.instance, IPython's hooks"),
    # the import system
    ("import sys\nsys.meta_path.insert(0, Finder())", "it uses sys.meta_path, the import system"),
    ("sys.path_hooks.append(h)", "it uses sys.path_hooks, the import system"),
    ("sys.path_importer_cache.clear()", "it uses sys.path_importer_cache, the import system"),
    ("from sys import meta_path", "it uses sys.meta_path, the import system"),
    ("from importlib.abc import MetaPathFinder", "it uses importlib.abc, the import system"),
    ("import importlib.machinery", "it uses importlib.machinery, the import system"),
    ("import importlib.util as u\nu.spec_from_loader('x', L())",
     "it uses importlib.util.spec_from_loader, the import system"),
    ("import importlib\nimportlib.import_module('gc')",
     "it uses importlib.import_module, the import system"),
    ("from importlib import reload\nreload(torch)", "it uses importlib.reload, the import system"),
    ("spec = __spec__", "it uses __spec__, the import system"),
    ("torch.__loader__.exec_module(m)", "it uses __loader__, the import system"),
    ("__import__('ctypes')", "it calls __import__()"),
    ("imp = __import__", "it uses __import__, the import system"),
    ("import sys\nsys.modules['torch'].allclose", "it uses sys.modules, the import system"),
    # an object's internals
    ("check_rnn_cell.__globals__['x'] = 1", "it uses __globals__, an object's internals"),
    ("type(c).__mro__[1].check = f", "it uses __mro__, an object's internals"),
    ("obj.__class__ = Other", "it changes obj.__class__, an object's internals"),
    ("model.__class__.forward = f", "it changes model.__class__.forward, an object's internals"),
    ("f.__code__ = g.__code__", "it uses __code__, an object's internals"),
    ("check_rnn_cell.__defaults__ = (1e9,)", "it uses __defaults__, an object's internals"),
    ("torch.nn.Module.__dict__['__call__']", "it uses __dict__, an object's internals"),
    ("object.__subclasses__()", "it uses __subclasses__, an object's internals"),
    ("int.__bases__", "it uses __bases__, an object's internals"),
    ("T.__base__", "it uses __base__, an object's internals"),
    ("f.__closure__[0].cell_contents = 1", "it uses __closure__, an object's internals"),
    ("m.forward.__func__", "it uses __func__, an object's internals"),
    ("m.forward.__self__", "it uses __self__, an object's internals"),
    ("f.__builtins__['round'] = g", "it uses __builtins__, an object's internals"),
    ("T.__getattribute__ = g", "it uses __getattribute__, an object's internals"),
    ("object.__setattr__(m, 'x', 1)", "it uses __setattr__, an object's internals"),
    ("type.__delattr__(T, 'x')", "it uses __delattr__, an object's internals"),
    ("getattr(check_rnn_cell, '__globals__')['x'] = 1",
     "it uses __globals__, an object's internals"),
    # namespaces
    ("globals()['check_rnn_cell'] = f",
     "it calls globals(), which can rebind the lesson's names"),
    ("vars(module)['x'] = 1", "it calls vars(), which can rebind the lesson's names"),
    ("locals().update(x=1)", "it calls locals(), which can rebind the lesson's names"),
    ("del globals()['check_rnn_layer']",
     "it calls globals(), which can rebind the lesson's names"),
    ("globals().setdefault('x', 1)", "it calls globals(), which can rebind the lesson's names"),
    ("globals().pop('check_rnn_cell')",
     "it calls globals(), which can rebind the lesson's names"),
    ("globals().__setitem__('x', 1)", "it calls globals(), which can rebind the lesson's names"),
    ("namespace = globals()\nnamespace['x'] = 1",
     "it calls globals(), which can rebind the lesson's names"),
    ("patch(vars(torch))", "it calls vars(), which can rebind the lesson's names"),
    ("g = globals\ng()['x'] = 1", "it uses globals, which can rebind the lesson's names"),
    # ctypes and the garbage collector
    ("import ctypes", "it imports ctypes, which can patch the interpreter"),
    ("import ctypes as c", "it imports ctypes, which can patch the interpreter"),
    ("from ctypes import pythonapi", "it imports from ctypes, which can patch the interpreter"),
    ("import gc\ngc.get_referrers(x)",
     "it uses gc.get_referrers, the garbage collector's view of every object"),
    ("from gc import get_objects",
     "it uses gc.get_objects, the garbage collector's view of every object"),
    # frames
    ("sys._getframe(1).f_globals['x'] = 1",
     "it uses sys._getframe, the interpreter's stack frames"),
    ("sys._getframe(1).f_globals['x'] = 1", "it uses f_globals, the interpreter's stack frames"),
    ("import inspect\ninspect.currentframe().f_back",
     "it uses inspect.currentframe, the interpreter's stack frames"),
    ("inspect.currentframe().f_back", "it uses f_back, the interpreter's stack frames"),
    ("inspect.stack()[1].frame.f_locals", "it uses inspect.stack, the interpreter's stack frames"),
    ("import sys as s\ns._getframe()", "it uses sys._getframe, the interpreter's stack frames"),
    ("from inspect import currentframe as here\nhere()",
     "line 2: it uses inspect.currentframe, the interpreter's stack frames"),
    ("error.__traceback__.tb_frame.f_builtins",
     "it uses tb_frame, the interpreter's stack frames"),
    ("(x for x in []).gi_frame", "it uses gi_frame, the interpreter's stack frames"),
    ("sys.settrace(tracer)", "it uses sys.settrace, the interpreter's stack frames"),
    # what timeit runs is read as code, since it runs in the namespace it is given
    ("import timeit\ntimeit.timeit('global check_rnn_cell; check_rnn_cell = print', "
     "globals=globals(), number=1)", "line 2: it rebinds check_rnn_cell"),
    ("import timeit\ntimeit.repeat(setup='import ctypes', number=1)",
     "line 2: it imports ctypes, which can patch the interpreter"),
]


@pytest.mark.parametrize(("code", "sentence"), HOSTILE,
                         ids=[f"{i:02d}-{sentence.split(',')[0][8:]}"
                              for i, (_, sentence) in enumerate(HOSTILE)])
def test_machinery_no_exercise_needs_is_flagged(code, sentence):
    released, submitted = _with_cells("01-rnn-pytorch", [code])
    found = suspicious_code(submitted, released)
    assert any(sentence in note for note in found), found


def test_a_finding_names_its_cell_and_line_once():
    released, submitted = _with_cells("01-rnn-pytorch", [
        "x = 1\nfor base in type(c).__mro__:\n    print(base.__mro__)\n"])
    cell_number = len(submitted.cells)
    assert suspicious_code(submitted, released) == [
        f"Cell {cell_number}, line 2: it uses __mro__, an object's internals.",
        f"Cell {cell_number}, line 3: it uses __mro__, an object's internals."]


def test_locked_cells_are_not_read_for_machinery():
    released, good = lesson()
    cell(good, "test_rnn_cell").source += "\nget_ipython().events.register('x', f)\n"
    assert suspicious_code(good, released) == []
