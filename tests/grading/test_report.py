"""What the instructor reads about written answers: the CSV leaves them blank and the summary
lists them as needing manual grading."""

from __future__ import annotations

import csv

from rnncourse.grading.report import summary, write_csv
from rnncourse.grading.worker import Result

GRADE_IDS = ["test_data_loads", "findings_data", "findings_models"]
MAX = {"test_data_loads": 1.0, "findings_data": 2.0, "findings_models": 3.0}


def result(student: str, manual: list[str], auto: float = 1.0) -> Result:
    return Result(student=student, assignment="04-own-data-pytorch", digest="d",
                  status="graded", scores={"test_data_loads": auto, "findings_data": 0.0,
                                           "findings_models": 0.0},
                  max_scores=dict(MAX), manual=manual)


def test_answers_awaiting_a_person_are_blank_in_the_csv(tmp_path):
    write_csv(tmp_path / "grades.csv", [result("ann", ["findings_data", "findings_models"]),
                                        result("bob", [], auto=0.0)], GRADE_IDS)
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "grades.csv").open())}
    assert (rows["ann"]["findings_data"], rows["ann"]["test_data_loads"]) == ("", "1")
    assert rows["ann"]["manual_grading"] == "findings_data findings_models"
    assert (rows["bob"]["findings_data"], rows["bob"]["manual_grading"]) == ("0", "")


def test_the_summary_lists_the_answers_that_need_manual_grading():
    text = summary([result("ann", ["findings_data", "findings_models"]),
                    result("cy", ["findings_models"]), result("bob", [])], GRADE_IDS,
                   seconds=3, where="1 worker(s)", newly_graded=3)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Needs manual grading"))
    assert lines[start].startswith("Needs manual grading: 2 submission(s)")
    assert lines[start + 1:start + 3] == ["    1  findings_data (2 points)",
                                          "    2  findings_models (3 points)"]
    without = summary([result("bob", [])], GRADE_IDS, seconds=1, where="1", newly_graded=1)
    assert "manual grading" not in without
