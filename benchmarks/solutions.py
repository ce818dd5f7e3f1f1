"""The solutions' own classes, taken from the solution notebooks rather than from copies.

A benchmark of copied code would drift from what students are taught. Instead we read a
notebook with nbformat, run the import statements of its code cells (not the set-up cell
itself, which picks a device, seeds and prints) and then the exercise cells we need, each
found by its nbgrader ``grade_id``, in a fresh namespace.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import nbformat

from benchmarks import HarnessError

#: Per layer kind: the grade id of the cell exercise and of the layer exercise (None: the
#: course has no layer exercise for it yet, and the harness unrolls the cell itself).
EXERCISES: dict[str, tuple[str, str | None]] = {
    "rnn": ("rnn_cell", "rnn_layer"),
    "lstm": ("lstm_cell", "lstm_layer"),
    "gru": ("gru_cell", "gru_layer"),
}


@dataclass
class Exercise:
    """A solution's cell class and, when the lesson has one, its layer class."""

    kind: str
    cell: type
    layer: type | None
    source: str  # where they came from, for the results file

    @property
    def unrolled_by_harness(self) -> bool:
        """True when the lessons have no layer exercise and the harness unrolls the cell."""
        return self.layer is None


def _grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _imports(source: str) -> list[ast.stmt]:
    """The top-level import statements of a code cell (cells with magics are skipped)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]


def _classes(source: str) -> list[str]:
    return [node.name for node in ast.parse(source).body if isinstance(node, ast.ClassDef)]


def notebooks(root: Path, framework: str) -> list[Path]:
    """The solution notebooks of one framework, in lesson order."""
    return sorted((root / "solutions").glob(f"*-{framework}/*.ipynb"))


def load_cells(path: Path, grade_ids: list[str], name: str) -> dict:
    """A namespace with the imports of ``path``'s code cells up to the last of ``grade_ids``,
    then those cells run in order."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    ids = [_grade_id(cell) for cell in code]
    missing = [grade_id for grade_id in grade_ids if grade_id not in ids]
    if missing:
        raise HarnessError(f"{path} has no cell with grade id {missing[0]!r}.")
    last = max(ids.index(grade_id) for grade_id in grade_ids)
    namespace: dict = {"__name__": name}
    module = ast.Module(body=[node for cell in code[:last + 1]
                              for node in _imports(cell.source)], type_ignores=[])
    exec(compile(module, f"{path.name} (imports)", "exec"), namespace)
    for grade_id in grade_ids:
        source = code[ids.index(grade_id)].source
        exec(compile(source, f"{path.name} ({grade_id})", "exec"), namespace)
    return namespace


def load_exercise(root: Path, framework: str, kind: str) -> Exercise:
    """The solution's classes for ``kind`` ("rnn", "lstm" or "gru") in ``framework``.

    The first notebook (in lesson order) holding the cell exercise is used, as the lesson
    where students build it.
    """
    cell_id, layer_id = EXERCISES[kind]
    for path in notebooks(root, framework):
        notebook = nbformat.read(path, as_version=4)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        ids = [_grade_id(cell) for cell in code]
        if cell_id not in ids:
            continue
        wanted = [cell_id] + ([layer_id] if layer_id in ids else [])
        namespace = load_cells(path, wanted, f"solution_{kind}_{framework}")
        classes = {}
        for grade_id in wanted:
            names = _classes(code[ids.index(grade_id)].source)
            if not names:
                raise HarnessError(f"The cell {grade_id!r} of {path} defines no class.")
            classes[grade_id] = namespace[names[0]]
        relative = path.relative_to(root)
        layer = classes.get(layer_id) if layer_id else None
        how = ", ".join(wanted) + ("" if layer else " (unrolled by the harness: no layer "
                                   "exercise in the lessons)")
        return Exercise(kind, classes[cell_id], layer, f"{relative}: {how}")
    raise HarnessError(f"No {framework} solution notebook has a cell with grade id {cell_id!r}.")
