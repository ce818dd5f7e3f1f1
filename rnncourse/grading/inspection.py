"""Tampering a grader can see: edited or deleted locked cells, and code that patches the tests.

Three layers, each reporting one sentence per finding for the instructor:

* **checksums** (nbgrader's own): every locked or test cell of the submission is compared
  with the released notebook's checksum; an edited one is flagged and a deleted one
  noted (nbgrader puts the original back before grading, so neither changes the score);
* **the student's code, read** (``ast``): assignments to attributes of imported modules,
  ``setattr``/``delattr``, touching ``builtins``, ``sys.modules`` or ``importlib``,
  ``exec``/``eval``, and rebinding the names the lesson imports from ``rnncourse``, such
  as ``check_lstm_cell = lambda *a: None``;
* **the running kernel** (:func:`probe_cell`): after the last cell, every loaded module
  is searched for functions or classes that were defined in the notebook, which is what
  a patched check function or built-in looks like however it was written.

This catches the patches a student would write, not a determined attacker who also
patches the probe: the README says so, and says where to run the grader for isolation.
"""

from __future__ import annotations

import ast
import json
import re
import threading
from collections.abc import Iterable

import nbformat
from nbgrader.utils import compute_checksum

#: The first line of the probe cell the grader appends; feedback shows it to students.
PROBE_HEADER = "# Added by the grader: an integrity check of the course's functions."
_PROBE_MARK = "RNNCOURSE-PROBE"
# CPython 3.11's parser keeps its recursion depth in interpreter-wide state: two threads
# parsing at once fail with "AST constructor recursion depth mismatch". Workers are threads.
_PARSING = threading.Lock()
_MODULES_NOT_TO_PATCH = {"builtins", "__builtins__", "sys", "importlib"}
# Modules the lessons import with ``from ... import``: patching their attributes is flagged too.
_MODULES_BY_NAME = {"nn", "F", "functional", "init", "keras", "layers", "ops", "tf", "np", "torch"}


def _meta(cell: nbformat.NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def locked_cells(released: nbformat.NotebookNode) -> dict[str, str]:
    """grade id -> checksum of every cell students may not change (tests and locked cells)."""
    cells = {}
    for cell in released.cells:
        meta = _meta(cell)
        fixed = meta.get("locked") or (meta.get("grade") and not meta.get("solution"))
        if fixed and meta.get("grade_id") and meta.get("checksum"):
            cells[meta["grade_id"]] = meta["checksum"]
    return cells


def cell_changes(submitted: nbformat.NotebookNode, released: nbformat.NotebookNode) -> list[str]:
    """One sentence per locked or test cell that was edited or deleted."""
    expected = locked_cells(released)
    found: dict[str, nbformat.NotebookNode] = {}
    for cell in submitted.cells:
        grade_id = _meta(cell).get("grade_id")
        if grade_id in expected:
            found.setdefault(grade_id, cell)
    notes = []
    for grade_id, checksum in expected.items():
        if grade_id not in found:
            notes.append(f"The locked cell {grade_id} was deleted (nbgrader put it back).")
            continue
        cell = found[grade_id]
        try:
            same = compute_checksum(cell) == checksum
        except (KeyError, TypeError, ValueError):  # metadata edited beyond recognition
            same = False
        if not same:
            notes.append(f"The locked cell {grade_id} was edited (nbgrader graded the original).")
    return notes


def imported_course_names(released: nbformat.NotebookNode) -> set[str]:
    """Names the notebook's own cells import from ``rnncourse`` (check functions and helpers)."""
    names: set[str] = set()
    for cell in released.cells:
        if cell.cell_type != "code" or _meta(cell).get("solution"):
            continue
        for node in ast.walk(_parse(cell.source) or ast.Module(body=[], type_ignores=[])):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rnncourse"):
                names.update(alias.asname or alias.name for alias in node.names)
    return names


def _parse(source: str) -> ast.Module | None:
    # IPython magics and shell escapes are not Python; blank them out, keep line numbers.
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        with _PARSING:
            return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None


def _student_cells(submitted: nbformat.NotebookNode,
                   locked: dict[str, str]) -> Iterable[tuple[int, str]]:
    for index, cell in enumerate(submitted.cells):
        if cell.cell_type == "code" and _meta(cell).get("grade_id") not in locked:
            yield index, cell.source


def suspicious_code(submitted: nbformat.NotebookNode, released: nbformat.NotebookNode) -> list[str]:
    """One sentence per place where the student's code patches modules, built-ins or checks."""
    protected = imported_course_names(released)
    modules = _MODULES_NOT_TO_PATCH | _MODULES_BY_NAME
    for cell in submitted.cells:
        tree = _parse(cell.source) if cell.cell_type == "code" else None
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.Import):
                modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
    notes: list[str] = []
    for index, source in _student_cells(submitted, locked_cells(released)):
        tree = _parse(source)
        if tree is None:
            continue
        for node in ast.walk(tree):
            found = _finding(node, modules, protected)
            if found:
                notes.append(f"Cell {index + 1}, line {node.lineno}: {found}.")
    return list(dict.fromkeys(notes))


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return [t for target in node.targets for t in _flatten(target)]
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return [node.target]
    if isinstance(node, ast.Delete):
        return list(node.targets)
    return []


def _flatten(target: ast.AST) -> list[ast.AST]:
    if isinstance(target, ast.Tuple | ast.List):
        return [t for element in target.elts for t in _flatten(element)]
    return [target]


def _finding(node: ast.AST, modules: set[str], protected: set[str]) -> str | None:
    for target in _targets(node):
        if isinstance(target, ast.Attribute) and _root_name(target) in modules:
            return f"it changes {ast.unparse(target)}, an attribute of a module"
        if isinstance(target, ast.Name) and target.id in protected:
            return f"it rebinds {target.id}, which the lesson imports from rnncourse"
        if isinstance(target, ast.Subscript) and _root_name(target) in {
                "sys", "globals", "__builtins__", "builtins"}:
            return f"it changes {ast.unparse(target)}"
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) \
            and node.name in protected:
        return f"it redefines {node.name}, which the lesson imports from rnncourse"
    if isinstance(node, ast.Import | ast.ImportFrom):
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            from_course = isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "rnncourse") and alias.name == bound
            if bound in protected and not from_course:
                return f"it rebinds {bound} by an import"
            if alias.name.split(".")[0] in {"builtins", "ctypes", "gc"} or (
                    isinstance(node, ast.ImportFrom) and node.module in {"builtins"}):
                return f"it imports {alias.name}, which can patch the interpreter"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {
            "setattr", "delattr", "exec", "eval", "compile", "__import__"}:
        return f"it calls {node.func.id}()"
    if isinstance(node, ast.Name) and node.id == "__builtins__":
        return "it uses __builtins__"
    if isinstance(node, ast.Attribute) and ast.unparse(node) in {"sys.modules", "importlib.reload"}:
        return f"it uses {ast.unparse(node)}"
    return None


def probe_cell(nonce: str, protected: set[str]) -> nbformat.NotebookNode:
    """The cell the grader appends: it reports functions the notebook planted in modules.

    ``nonce`` is a fresh random token, so a line the student printed cannot pass for it.
    """
    source = f'''{PROBE_HEADER}
def __rnncourse_probe(nonce={nonce!r}, protected={sorted(protected)!r}):
    import json, sys
    planted = []
    main = sys.modules.get("__main__")
    for module_name, module in list(sys.modules.items()):
        if module is None or module is main or module_name in ("__main__", "__mp_main__"):
            continue
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        for attribute, value in items:
            try:
                if getattr(value, "__module__", None) == "__main__":
                    planted.append(module_name + "." + attribute)
            except Exception:
                pass
    rebound = []
    for name in protected:
        value = globals().get(name)
        home = getattr(value, "__module__", None) or ""
        if callable(value) and not home.startswith("rnncourse"):
            rebound.append(name)
    print("{_PROBE_MARK}", nonce, json.dumps({{"planted": planted, "rebound": rebound}}))
__rnncourse_probe()
del __rnncourse_probe'''
    return nbformat.v4.new_code_cell(source)


def probe_findings(graded: nbformat.NotebookNode, nonce: str, *, ran_to_end: bool) -> list[str]:
    """Sentences from the probe's report in the graded notebook (none when it ran clean)."""
    pattern = re.compile(rf"{_PROBE_MARK} {re.escape(nonce)} (\{{.*\}})")
    for cell in reversed(graded.cells):
        if cell.cell_type != "code" or not cell.source.startswith(PROBE_HEADER):
            continue
        text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                       if o.get("output_type") == "stream")
        match = pattern.search(text)
        if not match:
            break
        report = json.loads(match.group(1))
        notes = [f"{name} was replaced by a function defined in the notebook."
                 for name in report.get("planted", [])]
        notes += [f"{name} no longer refers to the course's function at the end of the notebook."
                  for name in report.get("rebound", [])]
        return notes
    if ran_to_end:
        return ["The grader's integrity check did not report (print or the kernel was patched?)."]
    return []
