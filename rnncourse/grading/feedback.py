"""What leaves the grader: outputs cut to a documented size, and feedback without hidden tests.

Two notebooks are made from nbgrader's graded notebook:

* the **graded notebook** for the instructor: every output kept, but no output longer than
  :data:`MAX_OUTPUT_BYTES` and all of them together under :data:`MAX_OUTPUTS_BYTES`
  (a submission that prints 100 MB would otherwise publish it);
* the **feedback notebook** for the student, from which nbgrader writes the feedback page:
  each test cell shows its name and a verdict (passed, or the failure's one sentence),
  with the lines it printed for the student (:data:`FEEDBACK_MARK`), never its code, and
  any output line that quotes a hidden test's code (say, a student cell that prints
  IPython's input history) is removed.
"""

from __future__ import annotations

import copy
import json

import nbformat

from rnncourse.checks.mistakes import mistake_in_output, shown_title

#: The largest single output (a stream, an image, a table) kept in a graded notebook.
MAX_OUTPUT_BYTES = 1 * 2**20
#: All outputs of one graded notebook together; past this, outputs are replaced by a note.
MAX_OUTPUTS_BYTES = 8 * 2**20
#: The cells' own text (code and markdown, without outputs) a submission may hold: twenty
#: times the largest lesson.
MAX_SOURCE_BYTES = 1 * 2**20
#: The largest graded notebook or feedback page the grader publishes. A feedback page
#: beyond it (HTML escaping and syntax colouring make a page larger than its notebook) is
#: replaced by the grader's own short page.
MAX_PUBLISHED_BYTES = 10 * 2**20
#: A feedback page's outputs together: a quarter of the graded notebook's, as HTML is larger.
MAX_FEEDBACK_OUTPUTS_BYTES = 2 * 2**20
#: The longest failure sentence shown for a test cell.
MAX_SENTENCE = 400
# Lines of a hidden test shorter than this are too generic to redact ("else:", "pass").
_MIN_HIDDEN_LINE = 16
#: A test cell's printed lines that start with this are meant for the student: the feedback
#: page shows them under the cell's verdict (the graded quiz's review, for one).
FEEDBACK_MARK = "» "
#: The longest such line shown.
MAX_FEEDBACK_LINE = 1000
_CUT = "[output cut by the grader: {size} more]"
_REDACTED = "[a line of a hidden test was removed from this output by the grader]"


# nbformat writes multi-line text as a list of lines, each indented, quoted and ended.
_PER_LINE = 16


def _size(value: object) -> int:
    """Bytes ``value`` takes in a notebook file, counted generously."""
    text = json.dumps(value, ensure_ascii=False)
    return len(text.encode("utf-8")) + _PER_LINE * text.count("\\n")


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 2**10:.0f} KB"


_ALL_SPENT = "[output removed: the notebook's outputs reached the grader's size limit]"


def _note(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text + "\n")


def _cut_output(output: nbformat.NotebookNode, limit: int) -> nbformat.NotebookNode:
    """One output made to fit ``limit`` bytes: text is cut with a note, anything else replaced."""
    size = _size(output)
    if size <= limit:
        return output
    if output.get("output_type") == "stream":
        text, room = "".join(output.get("text", "")), max(0, limit - 200)
        kept = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
        while kept and _size(kept) > room:  # JSON escapes can make the text longer
            kept = kept[: len(kept) * room // _size(kept)]
        return nbformat.v4.new_output("stream", name=output.get("name", "stdout"),
                                      text=kept + "\n" + _CUT.format(size=_megabytes(size))
                                      + "\n")
    if output.get("output_type") == "error":
        trimmed = copy.deepcopy(output)
        trimmed["evalue"] = str(trimmed.get("evalue", ""))[:MAX_SENTENCE]
        trimmed["traceback"] = [line[:2000] for line in trimmed.get("traceback", [])[-20:]]
        if _size(trimmed) <= limit:
            return trimmed
    return _note(f"[an output of {_megabytes(size)} was removed by the grader]")


def cap_outputs(notebook: nbformat.NotebookNode, total: int = MAX_OUTPUTS_BYTES) -> list[str]:
    """Cut ``notebook``'s outputs in place to the documented sizes; one note per cut cell.

    No output keeps more than :data:`MAX_OUTPUT_BYTES`, and all of them together no more
    than ``total``; what is cut says so in a note where it was.
    """
    budget, notes = total, []
    for index, cell in enumerate(notebook.cells):
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept, cut, dropped = [], False, False
        for output in outputs:
            if budget <= 0:
                dropped = True
                continue
            small = _cut_output(output, min(MAX_OUTPUT_BYTES, budget, total))
            cut = cut or small is not output
            budget -= _size(small)
            kept.append(small)
        if dropped:
            kept.append(_note(_ALL_SPENT))
        cut = cut or dropped
        cell["outputs"] = kept
        if cut:
            notes.append(f"Cell {index + 1}'s output was cut to the grader's size limit.")
    return notes



def source_bytes(notebook: nbformat.NotebookNode) -> int:
    """The size of the cells' own text and attachments, without outputs."""
    return sum(len(cell.get("source", "").encode("utf-8")) + _size(cell.get("attachments", {}))
               for cell in notebook.cells)


def _nbgrader(cell: nbformat.NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_test_cell(cell: nbformat.NotebookNode) -> bool:
    """A graded cell that holds tests rather than the student's answer."""
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def hidden_lines(graded: nbformat.NotebookNode, released: nbformat.NotebookNode) -> set[str]:
    """The lines of the test cells that students never saw (the hidden tests)."""
    visible = {line.strip() for cell in released.cells if is_test_cell(cell)
               for line in cell.source.splitlines()}
    return {line.strip() for cell in graded.cells if is_test_cell(cell)
            for line in cell.source.splitlines()
            if len(line.strip()) >= _MIN_HIDDEN_LINE and line.strip() not in visible}


def _redact(text: str, hidden: set[str]) -> str:
    lines = text.splitlines(keepends=True)
    cleaned = [(_REDACTED + "\n") if any(h in line for h in hidden) else line for line in lines]
    return "".join(cleaned)


def _last_error(cell: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return errors[-1] if errors else None


def _verdict(cell: nbformat.NotebookNode) -> str:
    error = _last_error(cell)
    if error is None:
        return "✓ passed"
    sentence = " ".join(str(error.get("evalue", "")).split())
    sentence = sentence if len(sentence) <= MAX_SENTENCE else sentence[:MAX_SENTENCE] + "…"
    shown = shown_title(error)
    name = f"{error.get('ename', 'Error')}" + (f" [{shown}]" if shown else "")
    return f"✗ {name}: {sentence}" if sentence else f"✗ {name}"


def named_mistakes(graded: nbformat.NotebookNode) -> dict[str, str]:
    """grade id -> the id of the classic mistake its failed test named (see
    :mod:`rnncourse.checks.mistakes`), for the tests that named one.

    The outputs come from the student's kernel, so a student could forge them: they feed
    the class's count of mistakes, never a score.
    """
    named = {}
    for cell in graded.cells:
        error = _last_error(cell) if is_test_cell(cell) else None
        mistake = None if error is None else mistake_in_output(error)
        if mistake is not None:
            named[_nbgrader(cell).get("grade_id", "test")] = mistake
    return named


def _feedback_lines(cell: nbformat.NotebookNode) -> list[str]:
    """The lines a test cell printed for the student (:data:`FEEDBACK_MARK`)."""
    printed = "".join("".join(o.get("text", "")) for o in cell.get("outputs", [])
                      if o.get("output_type") == "stream" and o.get("name") == "stdout")
    return [line if len(line) <= MAX_FEEDBACK_LINE else line[:MAX_FEEDBACK_LINE] + "…"
            for line in printed.splitlines() if line.startswith(FEEDBACK_MARK)]


def feedback_notebook(graded: nbformat.NotebookNode,
                      released: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook the student's feedback page is made from: no test code, no hidden line."""
    hidden = hidden_lines(graded, released)
    notebook = copy.deepcopy(graded)
    for cell in notebook.cells:
        if is_test_cell(cell):
            meta = _nbgrader(cell)
            cell.source = (f"# {meta.get('grade_id', 'test')} ({meta.get('points', 0):g} "
                           "points): the tests' code is not shown in feedback.")
            shown = "\n".join([_verdict(cell), *_feedback_lines(cell)])
            cell.outputs = [_note(_redact(shown, hidden).rstrip("\n"))]
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = _redact("".join(output.get("text", "")), hidden)
            elif output.get("output_type") == "error":
                output["evalue"] = _redact(str(output.get("evalue", "")), hidden)
                output["traceback"] = [_redact(line, hidden)
                                       for line in output.get("traceback", [])]
            for kind, value in list(output.get("data", {}).items()):
                if kind.startswith("text/") and isinstance(value, str | list):
                    text = value if isinstance(value, str) else "".join(value)
                    output["data"][kind] = _redact(text, hidden)
    cap_outputs(notebook, MAX_FEEDBACK_OUTPUTS_BYTES)
    return notebook
