"""The resume ledger: finished work survives a crash, a torn line is graded again."""

from __future__ import annotations

from rnncourse.grading.ledger import FILE_NAME, append, read_ledger
from rnncourse.grading.worker import Result


def result(student: str, total: float, digest: str = "d") -> Result:
    return Result(student=student, assignment="a", digest=digest, status="graded",
                  scores={"t": total}, max_scores={"t": 3.0})


def test_results_round_trip_and_the_latest_line_for_a_student_wins(tmp_path):
    append(tmp_path, result("ann", 1.0))
    append(tmp_path, result("bob", 2.0))
    append(tmp_path, result("ann", 3.0, digest="e"))
    found = read_ledger(tmp_path)
    assert {k: (v.total, v.digest) for k, v in found.items()} == {"ann": (3.0, "e"),
                                                                  "bob": (2.0, "d")}


def test_a_line_cut_short_by_a_crash_is_ignored_and_the_next_line_stands_alone(tmp_path):
    append(tmp_path, result("ann", 1.0))
    with open(tmp_path / FILE_NAME, "a") as handle:
        handle.write('{"student": "bob", "assig')  # power lost mid-write
    assert set(read_ledger(tmp_path)) == {"ann"}
    append(tmp_path, result("cy", 2.0))
    assert set(read_ledger(tmp_path)) == {"ann", "cy"}


def test_no_ledger_means_nothing_graded_yet(tmp_path):
    assert read_ledger(tmp_path) == {}
