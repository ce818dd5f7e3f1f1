"""Outputs cut to the documented sizes, and feedback that never shows the tests' code."""

from __future__ import annotations

import csv
import json

import nbformat

from rnncourse.grading.feedback import (
    MAX_OUTPUT_BYTES,
    MAX_OUTPUTS_BYTES,
    cap_outputs,
    feedback_notebook,
    hidden_lines,
    named_mistakes,
)
from rnncourse.grading.report import mistake_counts, summary, write_csv
from rnncourse.grading.worker import Result

VISIBLE_TEST = "check_rnn_cell(RNNCell)"
HIDDEN_TEST = "check_rnn_cell_on_every_shape(RNNCell, seeds=range(7))"


def _size(notebook: nbformat.NotebookNode) -> int:
    return len(nbformat.writes(notebook).encode("utf-8"))


def _stream(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def _cell(source: str, outputs=(), **nbgrader) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = list(outputs)
    if nbgrader:
        cell.metadata["nbgrader"] = nbgrader
    return cell


def _notebooks(test_outputs, student_outputs=()):
    """(graded, released): an answer cell, then a test cell with a hidden line."""
    answer = {"grade": False, "solution": True, "grade_id": "rnn_cell"}
    test = {"grade": True, "solution": False, "grade_id": "test_rnn_cell", "points": 3}
    graded = nbformat.v4.new_notebook(cells=[
        _cell("class RNNCell: ...", **answer),
        _cell(f"{VISIBLE_TEST}\n{HIDDEN_TEST}", test_outputs, **test),
        _cell("print(In[-1])", student_outputs),
    ])
    released = nbformat.v4.new_notebook(cells=[
        _cell("raise NotImplementedError()", **answer), _cell(VISIBLE_TEST, **test)])
    return graded, released


def test_a_small_output_is_kept_as_it_is():
    graded, _ = _notebooks([_stream("✓ fine\n")])
    before = json.dumps(graded)
    assert cap_outputs(graded) == []
    assert json.dumps(graded) == before


def test_one_huge_output_is_cut_to_the_limit_with_a_note():
    graded, _ = _notebooks([_stream("x" * (5 * MAX_OUTPUT_BYTES))])
    notes = cap_outputs(graded)
    (output,) = graded.cells[1].outputs
    assert len(output.text.encode()) <= MAX_OUTPUT_BYTES
    assert "output cut by the grader: 5.0 MB more" in output.text
    assert notes == ["Cell 2's output was cut to the grader's size limit."]


def test_escaped_text_is_cut_by_its_size_in_the_notebook():
    graded, _ = _notebooks([_stream("\n" * (3 * MAX_OUTPUT_BYTES))])  # "\n" is 2 bytes in JSON
    cap_outputs(graded)
    assert _size(graded) < MAX_OUTPUT_BYTES + 10_000


def test_many_outputs_stop_at_the_notebook_limit():
    outputs = [_stream("y" * (MAX_OUTPUT_BYTES // 2)) for _ in range(40)]  # 20 MB
    graded, _ = _notebooks(outputs)
    cap_outputs(graded)
    assert _size(graded) < MAX_OUTPUTS_BYTES + 10_000
    assert "reached the grader's size limit" in graded.cells[1].outputs[-1].text


def test_a_huge_image_is_replaced_by_a_note():
    image = nbformat.v4.new_output("display_data", data={"image/png": "A" * (2 * MAX_OUTPUT_BYTES)})
    graded, _ = _notebooks([image])
    cap_outputs(graded)
    (output,) = graded.cells[1].outputs
    assert output.output_type == "stream" and "was removed by the grader" in output.text


def test_feedback_shows_the_tests_name_points_and_verdict_not_their_code():
    error = nbformat.v4.new_output("error", ename="CheckFailed",
                                   evalue="Your cell's state differs at step 3.",
                                   traceback=["Traceback", HIDDEN_TEST])
    graded, released = _notebooks([_stream("✓ visible\n"), error])
    page = feedback_notebook(graded, released)
    test = page.cells[1]
    assert test.source.startswith("# test_rnn_cell (3 points)") and HIDDEN_TEST not in test.source
    assert [o.text for o in test.outputs] == [
        "✗ CheckFailed: Your cell's state differs at step 3.\n"]
    passed, _ = _notebooks([_stream("✓ visible\n")])
    assert feedback_notebook(passed, released).cells[1].outputs[0].text == "✓ passed\n"
    assert HIDDEN_TEST in graded.cells[1].source  # the instructor's notebook keeps it


def test_lines_a_test_printed_for_the_student_follow_its_verdict_redacted():
    error = nbformat.v4.new_output("error", ename="CheckFailed", evalue="Not right.",
                                   traceback=["Traceback"])
    review = "» The right answer: c. Because it is."
    graded, released = _notebooks([_stream(f"checking\n{review}\n» {HIDDEN_TEST}\n"), error])
    shown = feedback_notebook(graded, released).cells[1].outputs[0].text
    assert shown.splitlines() == ["✗ CheckFailed: Not right.", review,
                                  "[a line of a hidden test was removed from this output by "
                                  "the grader]"]
    passed, _ = _notebooks([_stream(f"{review}\n» {'x' * 2000}\n")])
    lines = feedback_notebook(passed, released).cells[1].outputs[0].text.splitlines()
    assert lines[:2] == ["✓ passed", review] and len(lines[2]) == 1001 and lines[2][-1] == "…"


def test_an_output_that_quotes_a_hidden_test_loses_that_line_only():
    leak = _stream(f"the tests were:\n{VISIBLE_TEST}\n{HIDDEN_TEST}\n")
    graded, released = _notebooks([], [leak])
    assert hidden_lines(graded, released) == {HIDDEN_TEST}
    text = feedback_notebook(graded, released).cells[2].outputs[0].text
    assert HIDDEN_TEST not in text and VISIBLE_TEST in text and "the tests were:" in text
    assert "a line of a hidden test was removed" in text


def test_a_named_mistake_is_read_back_and_shown_with_its_title():
    named = nbformat.v4.new_output("error", ename="CheckFailed",
                                   evalue="Your LSTMCell trades i and f.",
                                   traceback=["\x1b[0;31mCheckFailed\x1b[0m [게이트 순서]: "
                                              "Your LSTMCell trades i and f."])
    graded, released = _notebooks([_stream("✓ visible\n"), named])
    assert named_mistakes(graded) == {"test_rnn_cell": "gate-order"}
    assert feedback_notebook(graded, released).cells[1].outputs[0].text == (
        "✗ CheckFailed [게이트 순서]: Your LSTMCell trades i and f.\n")
    # A symptom, or a label a student printed in their own cell, names nothing.
    symptom = nbformat.v4.new_output("error", ename="CheckFailed", evalue="differs",
                                     traceback=["CheckFailed: differs"])
    printed = nbformat.v4.new_output("error", ename="CheckFailed", evalue="",
                                     traceback=["CheckFailed [gate order]: forged"])
    graded, _ = _notebooks([symptom], student_outputs=[printed])
    assert named_mistakes(graded) == {}


def test_the_summary_counts_each_named_mistake_across_the_class(tmp_path):
    def result(student, mistakes):
        return Result(student=student, assignment="02-lstm-pytorch", digest="", status="graded",
                      scores={"test_lstm_cell": 0.0}, max_scores={"test_lstm_cell": 3.0},
                      mistakes=mistakes)

    results = [result("ana", {"test_lstm_cell": "gate-order"}),
               result("bo", {"test_lstm_cell": "gate-order", "test_lstm_layer": "state-order"}),
               result("cy", {})]
    assert mistake_counts(results) == [
        "Mistakes the checks named (students, test, mistake):",
        "    2  test_lstm_cell  gate order [gate-order]",
        "    1  test_lstm_layer  (c, h) returned for (h, c) [state-order]"]
    assert mistake_counts([result("cy", {})]) == []
    text = summary(results, ["test_lstm_cell"], seconds=3, where="1 worker(s)", newly_graded=3)
    assert "    2  test_lstm_cell  gate order [gate-order]" in text
    write_csv(tmp_path / "grades.csv", results, ["test_lstm_cell"])
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "grades.csv").open())}
    assert rows["bo"]["mistakes"] == "test_lstm_cell: gate-order; test_lstm_layer: state-order"
    assert rows["cy"]["mistakes"] == ""
