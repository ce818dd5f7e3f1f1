"""Submissions written by a hostile student: one per class of attack on the grader.

Each is the untouched Lesson 1 notebook with attack code appended to its first exercise
cell, so it costs a kernel start and little else. The attacks print a word the tests look
for (``LEAK``, ``WROTE``, ``CONNECTED``) only when they succeed. Paths and ports are filled
in when the class is built, because an attack aims at the real folders of that run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from tests.grading.corpus import ASSIGNMENT, NAME, cell_with_id, lesson_notebooks

#: Words an attack prints when it worked.
SUCCESS_WORDS = ("LEAK", "WROTE", "CONNECTED")

_READ = '''
import glob as _glob
for _pattern in {patterns!r}:
    for _path in _glob.glob(_pattern) or [_pattern]:
        try:
            with open(_path, "rb") as _handle:
                print("LEAK", _path, len(_handle.read(64)))
        except OSError:
            pass
'''

_WRITE = '''
import glob as _glob
for _pattern in {patterns!r}:
    for _path in _glob.glob(_pattern) or [_pattern]:
        try:
            with open(_path, "ab") as _handle:
                _handle.write(b"\\nHACKED\\n")
            print("WROTE", _path)
        except OSError:
            pass
'''

_DAEMON = '''
import os as _os, sys as _sys
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execv(_sys.executable, [_sys.executable, "-c",
                  "import time  # {marker}\\nwhile True: time.sleep(1)"])
    _os._exit(0)
'''

_CONNECT = '''
import socket as _socket
for _family, _address in [(_socket.AF_INET, ("127.0.0.1", {port})),
                          (_socket.AF_INET6, ("::1", {port}))]:
    _connection = _socket.socket(_family)
    _connection.settimeout(2)
    try:
        _connection.connect(_address)
        print("CONNECTED", _address)
    except OSError:
        pass
'''

_FLOOD = '''
for _ in range(100):
    print("x" * 2**20)  # 100 MB of output in all
'''

_AST_TRANSFORMER = '''
import ast as _ast
class _Silence(_ast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        name = getattr(node.func, "id", "")
        return _ast.Constant(None) if name.startswith("check_") else node
get_ipython().ast_transformers.append(_Silence())
'''

_INPUT_TRANSFORMER = '''
def _skip_probe(lines):
    return ["pass\\n"] if lines and lines[0].startswith("# Added by the grader") else lines
get_ipython().input_transformers_post.append(_skip_probe)
'''

_META_PATH = '''
import importlib.abc as _abc
import sys as _sys
class _Finder(_abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        return None
_sys.meta_path.insert(0, _Finder())
'''

_MRO = '''
for _klass in object.__subclasses__():
    if _klass.__name__ == "PrecisionChecks":
        _klass.check = lambda *args, **kwargs: None
'''


@dataclass(frozen=True)
class Targets:
    """The real folders and port of one grading run, for the attacks to aim at."""

    repo: Path
    out: Path
    submitted: Path
    port: int
    marker: str


def _read_patterns(t: Targets) -> list[str]:
    return [f"{t.repo}/solutions/*/*.ipynb", f"{t.repo}/autograder/nbgrader_config.py",
            f"{t.out}/grades.csv", f"{t.out}/ledger.jsonl", f"{t.out}/gradebook.db",
            f"{t.out}/feedback/*/*/*.html", f"{t.out}/autograded/*/*/*.ipynb",
            f"{t.out}/.work-*/worker-*/gradebook.db",
            f"{t.out}/.work-*/worker-*/source/*/*.ipynb",
            f"{t.submitted}/*/*/*.ipynb", "/tmp/rnncourse-*/*/runtime/*.json",
            "/etc/shadow", "/root/.bash_history"]


def _write_patterns(t: Targets) -> list[str]:
    package = t.repo / "rnncourse"
    return [f"{t.out}/grades.csv", f"{t.out}/ledger.jsonl", f"{t.out}/gradebook.db",
            f"{t.out}/feedback/*/*/*.html", f"{t.out}/.work-*/worker-*/gradebook.db",
            f"{package}/checks/*.py", f"{package}/grading/*.py",
            f"{t.repo}/solutions/*/*.ipynb", f"{t.submitted}/*/*/*.ipynb"]


def attacks(t: Targets) -> dict[str, str]:
    """case name -> the attack code appended to the notebook's first exercise cell."""
    return {
        "reads-secrets": _READ.format(patterns=_read_patterns(t)),
        "writes-results": _WRITE.format(patterns=_write_patterns(t)),
        "daemon": _DAEMON.format(marker=t.marker),
        "network": _CONNECT.format(port=t.port),
        "output-flood": _FLOOD,
        "ast-transformer": _AST_TRANSFORMER,
        "input-transformer": _INPUT_TRANSFORMER,
        "meta-path": _META_PATH,
        "mro-patch": _MRO,
    }


#: The cases whose attack patches the checks in memory: each must be flagged.
PATCHES = ("ast-transformer", "input-transformer", "meta-path", "mro-patch")


def build(submitted: Path, targets: Targets, cases: list[str] | None = None) -> list[str]:
    """Write the hostile cases (default: all) into ``submitted/<case>/<assignment>/``."""
    code = attacks(targets)
    cases = cases or list(code)
    for case in cases:
        _, blank = lesson_notebooks()
        cell_with_id(blank, "rnn_cell").source += "\n" + code[case]
        folder = submitted / case / ASSIGNMENT
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(blank, folder / NAME)
    return cases
