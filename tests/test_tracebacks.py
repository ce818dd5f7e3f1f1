"""A failed check in a notebook is its sentence; the library's frames never show."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from rnncourse.checks.rnn import check_accuracy
from rnncourse.errors import CheckFailed, CourseError
from rnncourse.tracebacks import is_ours, render, without_our_frames

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

SETUP = '''\
import torch
from torch import nn
from rnncourse.checks.pytorch import check_accuracy, check_rnn_cell, check_weight_loading


class RNNCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.input_to_hidden = nn.Linear(input_size, hidden_size)
        self.hidden_to_hidden = nn.Linear(hidden_size, hidden_size)

    def forward(self, x, h):
        return torch.tanh(self.input_to_hidden(x) + self.hidden_to_hidden(h))
'''
CELLS = {
    "relu instead of tanh": '''\
class ReluCell(RNNCell):
    def forward(self, x, h):
        return torch.relu(self.input_to_hidden(x) + self.hidden_to_hidden(h))

check_rnn_cell(ReluCell)''',
    "unsolved stub": '''\
class StubCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        raise NotImplementedError("write the cell")  # the stub's line

check_rnn_cell(StubCell)''',
    "unwritten exercise": '''\
class BlankCell(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

check_rnn_cell(BlankCell)''',
    "unwritten at top level": "# YOUR CODE HERE\nraise NotImplementedError()",
    "undefined name": "check_accuracy(history.test_accuracy, 0.5)",
    "undefined name inside a function": "def show():\n    print(nowhere)\n\nshow()",
    "loading raises": '''\
def load_weights(cell, layer):
    weights = dict(layer.named_parameters())
    cell.input_to_hidden.weight.data = weights["weight_ih"]  # the student's typo

check_weight_loading(RNNCell, load_weights)''',
    "accuracy": "check_accuracy(0.30, 0.80)",
    "plain error": "numbers = [1, 2]\nnumbers[5]  # not the course's business",
    "right cell": "check_rnn_cell(RNNCell)",
    "syntax error": "def broken(:\n    pass",
}


@pytest.fixture(scope="module")
def shown():
    """name -> (ename, traceback text without colours, stdout) from one real kernel."""
    cells = [nbformat.v4.new_code_cell(SETUP)]
    cells += [nbformat.v4.new_code_cell(source) for source in CELLS.values()]
    notebook = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True).execute()
    assert not [o for o in notebook.cells[0].outputs if o.output_type == "error"]
    result = {}
    for name, cell in zip(CELLS, notebook.cells[1:], strict=True):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        result[name] = ((errors[0].ename, _ANSI.sub("", "\n".join(errors[0].traceback)), text)
                        if errors else (None, "", text))
    return result


@pytest.mark.parametrize(("name", "start"), [
    ("relu instead of tanh", "CheckFailed: "),  # a symptom: no mistake named
    ("accuracy", "CheckFailed [accuracy below the minimum]: "),  # a mistake of the catalogue
])
def test_a_failed_check_is_one_sentence(shown, name, start):
    ename, traceback, _ = shown[name]
    assert ename == "CheckFailed"
    (line,) = traceback.splitlines()
    assert line.startswith(start) and line.endswith("."), line


def test_an_error_in_the_student_s_code_shows_their_lines_and_none_of_ours(shown):
    ename, traceback, _ = shown["unsolved stub"]
    assert ename == "NotImplementedError"
    assert "check_rnn_cell(StubCell)" in traceback and "# the stub's line" in traceback
    assert "rnncourse" not in traceback and "NotImplementedError: write the cell" in traceback


def test_an_exercise_not_written_yet_is_one_sentence_naming_its_place(shown):
    ename, traceback, _ = shown["unwritten exercise"]
    assert ename == "NotImplementedError"
    assert traceback == ("NotImplementedError: BlankCell.__init__ is not written yet: replace "
                         "`raise NotImplementedError()` (line 5 of its cell) with your code.")
    ename, traceback, _ = shown["unwritten at top level"]
    assert traceback.startswith("NotImplementedError: a cell is not written yet")
    assert "(line 2 of its cell)" in traceback


def test_a_name_no_cell_defined_is_one_sentence_saying_what_to_run(shown):
    ename, traceback, _ = shown["undefined name"]
    assert ename == "NameError"
    assert traceback == ("NameError: name 'history' is not defined: check its spelling, and "
                         "run the cells above this one first (if one of them failed, fix it "
                         "and run it again).")
    ename, traceback, _ = shown["undefined name inside a function"]  # the student's own code
    assert "print(nowhere)" in traceback and "run the cells above" not in traceback


def test_a_check_that_reports_the_student_s_error_shows_their_line_then_the_sentence(shown):
    ename, traceback, _ = shown["loading raises"]
    assert ename == "CheckFailed"
    assert "# the student's typo" in traceback and "KeyError" in traceback
    assert traceback.splitlines()[-1].startswith(
        "CheckFailed [weight loading raised an error]: load_weights raised KeyError")
    assert "rnncourse" not in traceback


def test_errors_outside_the_course_keep_their_usual_traceback(shown):
    ename, traceback, _ = shown["plain error"]
    assert ename == "IndexError"
    assert "numbers[5]" in traceback and "IndexError: list index out of range" in traceback


def test_a_syntax_error_still_points_at_the_student_s_line(shown):
    ename, traceback, _ = shown["syntax error"]
    assert ename == "SyntaxError"
    assert "def broken(:" in traceback and "^" in traceback


def test_a_passing_check_still_prints_its_line(shown):
    assert shown["right cell"][:2] == (None, "")
    assert shown["right cell"][2].startswith("✓ RNNCell computes the same states")


def test_the_library_s_frames_are_what_is_removed():
    # In this process (no kernel): the same error keeps our frames until they are removed.
    with pytest.raises(CheckFailed) as caught:
        check_accuracy(0.3, 0.8)
    files = [str(entry.path) for entry in caught.traceback]
    assert any(is_ours(str(name)) for name in files)
    trimmed = without_our_frames(caught.value.__traceback__)
    kept = []
    while trimmed is not None:
        kept.append(trimmed.tb_frame.f_code.co_filename)
        trimmed = trimmed.tb_next
    assert kept and not any(is_ours(name) for name in kept)


def test_a_course_error_renders_as_its_sentence_and_a_cause_from_our_code_adds_nothing():
    try:
        try:
            {}["missing"]
        except KeyError as error:  # raised in this test file: a "student" frame
            raise CourseError("The data folder is missing; set RNNCOURSE_DATA.") from error
    except CourseError as error:
        lines = [_ANSI.sub("", line) for line in render(error)]
    assert lines[-1] == "CourseError: The data folder is missing; set RNNCOURSE_DATA."
    assert any("KeyError" in line for line in lines[:-1])
    assert render(CourseError("Just this.")) != [] and len(render(CourseError("Just this."))) == 1
