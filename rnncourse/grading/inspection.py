"""Tampering a grader can see: edited or deleted locked cells, and code that patches the tests.

Three layers, each reporting one sentence per finding for the instructor:

* **checksums** (nbgrader's own): every locked or test cell of the submission is compared
  with the released notebook's checksum; an edited one is flagged and a deleted one
  noted (nbgrader puts the original back before grading, so neither changes the score);
* **the student's code, read** (``ast``): assignments to attributes of imported modules
  (but ``torch.backends.cudnn.deterministic = True`` and the like, which are settings),
  ``setattr``/``delattr`` (but on ``self``, as a layer built gate by gate does), touching
  ``builtins`` or ``sys.modules``, ``exec``/``eval``, rebinding the names the lesson
  imports from ``rnncourse``, such as ``check_lstm_cell = lambda *a: None``, and the
  machinery no RNN exercise needs:

  - IPython's hooks: ``get_ipython`` (any mention), the shell's ``ast_transformers``,
    ``input_transformers_cleanup``/``_post``, ``input_transformer_manager``,
    ``set_custom_exc``, ``register_magic_function``, ``user_ns``/``user_global_ns``, and
    ``<anything>.events.register`` (a bare ``.events`` is ordinary: ``prof.events()``);
  - the import system: ``sys.meta_path``, ``sys.path_hooks``, ``sys.path_importer_cache``,
    ``importlib``'s loaders and finders (``importlib.abc``, ``importlib.machinery``,
    ``importlib.util.spec_from_loader`` and friends, ``import_module``, ``reload``),
    ``__import__``, ``__loader__`` and ``__spec__`` (``importlib.metadata`` and
    ``importlib.util.find_spec`` only read, and are not flagged);
  - an object's internals: the attributes ``__mro__``, ``__dict__``, ``__globals__``,
    ``__code__``, ``__defaults__``, ``__kwdefaults__``, ``__closure__``, ``__self__``,
    ``__func__``, ``__subclasses__``, ``__bases__``, ``__base__``, ``__builtins__``,
    ``__getattribute__``, ``__setattr__`` and ``__delattr__``, also as ``getattr``'s
    string; ``__class__`` only where it is assigned to or through (reading it, as in
    ``self.__class__.__name__``, is what ``type(self)`` does);
  - a call of ``globals()``, ``vars()`` or ``locals()`` (and ``globals``/``locals``
    passed around uncalled): each hands out a namespace that rebinds the lesson's names.
    Only a namespace looked at where it is made is not flagged: ``"model" in globals()``,
    ``print(vars(config))``, ``vars(config).items()``, ``globals()["model"]``,
    ``for name in globals()``, ``.format(**locals())`` and ``timeit``'s
    ``globals=globals()``, whose statement is then read as the cell's own code;
  - ``ctypes`` imported in any form, and the garbage collector's view of every object
    (``gc.get_referrers``, ``gc.get_referents``, ``gc.get_objects``, ``gc.callbacks``;
    ``import gc`` and ``gc.collect()`` free memory and are ordinary);
  - frames: ``sys._getframe``, ``sys._current_frames``, ``sys.settrace``/``setprofile``,
    ``inspect.currentframe``/``stack``/``trace``/``getouterframes``/``getinnerframes``,
    ``traceback.walk_stack``/``walk_tb`` and a frame's ``f_back``, ``f_globals``,
    ``f_locals``, ``f_builtins``, reached by ``tb_frame``, ``gi_frame``, ``cr_frame`` or
    ``ag_frame`` (``traceback.extract_stack`` copies text only and is not flagged).

  Module names are followed through imports (``import sys as s; s._getframe()``);
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
# Switches a student may set for speed or reproducibility: torch.backends.cudnn.deterministic.
_SETTINGS = ("torch.backends.",)
# Modules that patch the interpreter however they are imported (``gc`` only by some functions:
# ``gc.collect()`` is how students free memory between runs).
_MODULES_NOT_TO_IMPORT = {"builtins", "ctypes"}

# What each kind of machinery is, as the end of a finding: "it uses X, <what>".
_IPYTHON = "IPython's hooks"
_IMPORTS = "the import system"
_INTERNALS = "an object's internals"
_FRAMES = "the interpreter's stack frames"
_GC = "the garbage collector's view of every object"
_NAMESPACE = "which can rebind the lesson's names"

# Attribute names that mean one thing only, whatever object they are read from. No library an
# exercise uses has an attribute of these names (``.events`` alone has: see _EVENT_HOOKS).
_ATTRIBUTES = {
    **dict.fromkeys(["ast_transformers", "input_transformers_cleanup", "input_transformers_post",
                     "input_transformer_manager", "set_custom_exc", "register_magic_function",
                     "get_ipython", "user_ns", "user_global_ns"], _IPYTHON),
    **dict.fromkeys(["meta_path", "path_hooks", "path_importer_cache", "__loader__", "__spec__",
                     "__import__"], _IMPORTS),
    **dict.fromkeys(["__mro__", "__dict__", "__globals__", "__code__", "__defaults__",
                     "__kwdefaults__", "__closure__", "__self__", "__func__", "__subclasses__",
                     "__bases__", "__base__", "__builtins__", "__getattribute__", "__setattr__",
                     "__delattr__"], _INTERNALS),
    **dict.fromkeys(["f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame",
                     "cr_frame", "ag_frame"], _FRAMES),
}
# How an attribute is named in a finding, where the name alone would not say whose it is.
_LABELS = {"get_ipython": "get_ipython()", "meta_path": "sys.meta_path",
           "path_hooks": "sys.path_hooks", "path_importer_cache": "sys.path_importer_cache"}
# IPython's event callbacks: ``<shell>.events.register(...)``. A bare ``.events`` is ordinary
# (``torch.profiler.profile().events()``), so only the hook's own methods after it count.
_EVENT_HOOKS = {"register", "unregister", "callbacks", "trigger"}
# Bare names, looked up in the notebook's globals or built-ins.
_NAMES = {"get_ipython": _IPYTHON, "__loader__": _IMPORTS, "__spec__": _IMPORTS,
          "__import__": _IMPORTS}
# Dotted names, after following imports: the name itself or anything below it is flagged.
_DOTTED = {
    **dict.fromkeys(["sys.modules", "sys.meta_path", "sys.path_hooks", "sys.path_importer_cache",
                     "importlib.abc", "importlib.machinery", "importlib._bootstrap",
                     "importlib._bootstrap_external", "importlib.import_module",
                     "importlib.reload", "importlib.invalidate_caches", "importlib.__import__",
                     "importlib.util.spec_from_loader", "importlib.util.spec_from_file_location",
                     "importlib.util.module_from_spec", "importlib.util.LazyLoader"], _IMPORTS),
    **dict.fromkeys(["IPython.get_ipython", "IPython.core.getipython",
                     "IPython.core.interactiveshell.InteractiveShell.instance"], _IPYTHON),
    **dict.fromkeys(["sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile",
                     "inspect.currentframe", "inspect.stack", "inspect.trace",
                     "inspect.getouterframes", "inspect.getinnerframes", "traceback.walk_stack",
                     "traceback.walk_tb"], _FRAMES),
    **dict.fromkeys(["gc.get_referrers", "gc.get_referents", "gc.get_objects", "gc.callbacks"],
                    _GC),
}
# Built-ins that hand out a namespace; ``vars`` alone is also a plausible variable name.
_NAMESPACES = {"globals", "vars", "locals"}
# Names whose calls are reported as calls ("it calls __import__()"), not again as names.
_CALLS_REPORTED = _NAMESPACES | {"__import__"}
# Where a namespace is only looked at, as ordinary code does: print(vars(config)),
# "model" in globals(), "{x}".format(**locals()), vars(config).items().
_READERS = {"print", "pprint", "display", "len", "sorted", "list", "dict", "set", "tuple", "repr",
            "str"}
_READ_METHODS = {"get", "keys", "items", "values", "copy"}
# timeit runs its statement in the namespace it is given: timeit("f(x)", globals=globals()) is
# how its documentation times a notebook's function, so the statement is read as code instead.
_TIMEIT = {"timeit.timeit", "timeit.repeat", "timeit.Timer"}


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
    """One sentence per place where the student's code patches modules, built-ins or checks,
    or reaches for machinery no exercise needs (IPython's hooks, the import system, an
    object's internals, namespaces, ``ctypes``, the garbage collector or stack frames)."""
    protected = imported_course_names(released)
    modules = _MODULES_NOT_TO_PATCH | _MODULES_BY_NAME
    aliases: dict[str, str] = {}
    for cell in submitted.cells:
        tree = _parse(cell.source) if cell.cell_type == "code" else None
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.Import):
                modules |= {(a.asname or a.name).split(".")[0] for a in node.names}
            aliases.update(_bindings(node))
    notes: list[str] = []
    for index, source in _student_cells(submitted, locked_cells(released)):
        tree = _parse(source)
        if tree is None:
            continue
        nodes = list(_code_nodes(tree, aliases))
        parents = {id(child): node for node in nodes for child in ast.iter_child_nodes(node)}
        for node in nodes:
            found = _finding(node, modules, protected) or _machinery(node, aliases, parents)
            if found:
                notes.append(f"Cell {index + 1}, line {node.lineno}: {found}.")
    return list(dict.fromkeys(notes))


def _code_nodes(tree: ast.AST, aliases: dict[str, str]) -> Iterable[ast.AST]:
    """Every node of a cell, and of the statements it hands to timeit (reported at the call)."""
    for node in ast.walk(tree):
        yield node
        if not (isinstance(node, ast.Call) and _dotted(node.func, aliases) in _TIMEIT):
            continue
        code = [*node.args[:2], *(k.value for k in node.keywords if k.arg in {"stmt", "setup"})]
        for text in code:
            inner = _parse(text.value) if isinstance(text, ast.Constant) and isinstance(
                text.value, str) else None
            for child in ast.walk(inner) if inner else ():
                if hasattr(child, "lineno"):
                    child.lineno = node.lineno
            if inner:
                yield from _code_nodes(inner, aliases)


def _bindings(node: ast.AST) -> dict[str, str]:
    """Local name -> the dotted name an import binds it to (``import sys as s``: s -> sys)."""
    if isinstance(node, ast.Import):
        return {a.asname or a.name.split(".")[0]: a.name if a.asname else a.name.split(".")[0]
                for a in node.names}
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return {a.asname or a.name: f"{node.module}.{a.name}" for a in node.names if a.name != "*"}
    return {}


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """``s._getframe`` as ``sys._getframe`` when ``s`` is ``sys`` imported; None for ``f().x``."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([aliases.get(node.id, node.id), *reversed(parts)])


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


def _chain(node: ast.AST) -> Iterable[ast.AST]:
    """``a.b[0].c``, then ``a.b[0]``, ``a.b`` and ``a``."""
    yield node
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
        yield node


def _flatten(target: ast.AST) -> list[ast.AST]:
    if isinstance(target, ast.Tuple | ast.List):
        return [t for element in target.elts for t in _flatten(element)]
    return [target]


def _finding(node: ast.AST, modules: set[str], protected: set[str]) -> str | None:
    for target in _targets(node):
        if isinstance(target, ast.Attribute) and _root_name(target) in modules \
                and not ast.unparse(target).startswith(_SETTINGS):
            return f"it changes {ast.unparse(target)}, an attribute of a module"
        if isinstance(target, ast.Name) and target.id in protected:
            return f"it rebinds {target.id}, which the lesson imports from rnncourse"
        if isinstance(target, ast.Subscript) and _root_name(target) in {
                "sys", "globals", "__builtins__", "builtins"}:
            return f"it changes {ast.unparse(target)}"
        # Reading x.__class__ is type(x); writing to or through it swaps or patches a class.
        if any(isinstance(link, ast.Attribute) and link.attr == "__class__"
               for link in _chain(target)):
            return f"it changes {ast.unparse(target)}, {_INTERNALS}"
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
            if isinstance(node, ast.Import) and alias.name.split(".")[0] in _MODULES_NOT_TO_IMPORT:
                return f"it imports {alias.name}, which can patch the interpreter"
    if isinstance(node, ast.ImportFrom) and not node.level \
            and (node.module or "").split(".")[0] in _MODULES_NOT_TO_IMPORT:
        return f"it imports from {node.module}, which can patch the interpreter"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in {
            "setattr", "delattr", "exec", "eval", "compile", "__import__"} and not (
            node.func.id in {"setattr", "delattr"} and _own(node)):
        return f"it calls {node.func.id}()"
    if isinstance(node, ast.Name) and node.id == "__builtins__":
        return "it uses __builtins__"
    return None


def _own(call: ast.Call) -> bool:
    # setattr(self, f"W_{gate}", ...) builds a student's own layer, gate by gate.
    first = call.args[0] if call.args else None
    return isinstance(first, ast.Name) and first.id in {"self", "cls"}


def _machinery(node: ast.AST, aliases: dict[str, str],
               parents: dict[int, ast.AST]) -> str | None:
    """A use of IPython's hooks, the import system, internals, namespaces, gc or frames."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id in _NAMESPACES:
            if _only_read(node, aliases, parents):
                return None
            return f"it calls {node.func.id}(), {_NAMESPACE}"
        name = node.args[1] if len(node.args) > 1 else None
        if node.func.id in {"getattr", "hasattr"} and isinstance(name, ast.Constant) \
                and isinstance(name.value, str):
            return _attribute(name.value)  # getattr(f, "__globals__") is f.__globals__
    parent = parents.get(id(node))
    called = isinstance(parent, ast.Call) and parent.func is node
    if isinstance(node, ast.Name) and not (called and node.id in _CALLS_REPORTED):
        if node.id in {"globals", "locals"}:
            return f"it uses {node.id}, {_NAMESPACE}"
        if node.id in _NAMES:
            return f"it uses {_LABELS.get(node.id, node.id)}, {_NAMES[node.id]}"
    if isinstance(node, ast.Name | ast.Attribute):
        found = _dotted_use(_dotted(node, aliases))
        if found:
            return found
    if isinstance(node, ast.Attribute):
        if node.attr in _EVENT_HOOKS and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "events":
            return f"it uses events.{node.attr}, {_IPYTHON}"
        return _attribute(node.attr)
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        for alias in node.names:
            found = _dotted_use(f"{node.module}.{alias.name}") or _attribute(alias.name)
            if found:
                return found
    if isinstance(node, ast.Import):
        for alias in node.names:
            found = _dotted_use(alias.name)
            if found:
                return found
    return None


def _only_read(call: ast.Call, aliases: dict[str, str], parents: dict[int, ast.AST]) -> bool:
    """Whether a namespace (``globals()``) is only looked at, right where it is made."""
    parent = parents.get(id(call))
    if isinstance(parent, ast.Compare | ast.FormattedValue):  # "model" in globals()
        return True
    if isinstance(parent, ast.For | ast.comprehension):  # for name in globals(): its keys
        return parent.iter is call
    if isinstance(parent, ast.keyword):  # **locals() is a copy; timeit's code is read above
        owner = parents.get(id(parent))
        return parent.arg is None or (parent.arg == "globals" and isinstance(owner, ast.Call)
                                      and _dotted(owner.func, aliases) in _TIMEIT)
    if isinstance(parent, ast.Call) and parent.func is not call:  # print(vars(config))
        return isinstance(parent.func, ast.Name) and parent.func.id in _READERS
    if isinstance(parent, ast.Subscript):  # globals()["model"], but not globals()["x"].y = 1
        return isinstance(parent.ctx, ast.Load) and not isinstance(
            parents.get(id(parent)), ast.Attribute | ast.Subscript)
    if isinstance(parent, ast.Attribute):  # vars(config).items(), not globals().update(...)
        method_call = parents.get(id(parent))
        return parent.attr in _READ_METHODS and isinstance(method_call, ast.Call) \
            and method_call.func is parent
    return False


def _attribute(name: str) -> str | None:
    if name in _ATTRIBUTES:
        return f"it uses {_LABELS.get(name, name)}, {_ATTRIBUTES[name]}"
    return None


def _dotted_use(dotted: str | None) -> str | None:
    # The entry of _DOTTED that ``dotted`` is or lies under: sys.meta_path.insert is sys.meta_path.
    parts = dotted.split(".") if dotted else []
    for end in range(len(parts), 1, -1):
        entry = ".".join(parts[:end])
        if entry in _DOTTED:
            return f"it uses {entry}, {_DOTTED[entry]}"
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
