"""What the instructor reads: the grades CSV, the merged gradebook and the final summary."""

from __future__ import annotations

import csv
import io
import statistics
import warnings
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from nbgrader.api import Gradebook, SubmittedNotebook
from sqlalchemy.exc import SAWarning

from rnncourse.checks.mistakes import CATALOGUE, title
from rnncourse.grading.worker import Result, write_atomic
from rnncourse.i18n import SOURCE_LANGUAGE


def write_csv(path: Path, results: Iterable[Result], grade_ids: list[str]) -> None:
    """student, assignment, one column per graded cell, total, max, status, the mistakes the
    checks named (``grade id: mistake id``) and reasons."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student", "assignment", *grade_ids, "total", "max", "status",
                     "needs_look", "manual_grading", "sandboxed", "mistakes", "reasons"])
    for result in sorted(results, key=lambda r: r.student):
        # An answer awaiting a person has no score yet: an empty cell, not a 0.
        writer.writerow([result.student, result.assignment,
                         *("" if g in result.manual else f"{result.scores.get(g, 0.0):g}"
                           for g in grade_ids),
                         f"{result.total:g}", f"{result.max_total:g}", result.status,
                         "yes" if needs_look(result) else "", " ".join(result.manual),
                         "yes" if result.sandboxed else "no",
                         "; ".join(f"{g}: {m}" for g, m in sorted(result.mistakes.items())),
                         " | ".join(result.problems + result.flags + result.notes)])
    write_atomic(path, buffer.getvalue().encode("utf-8"))


def needs_look(result: Result) -> bool:
    """True when the instructor should open this submission: a failure or a tampering flag."""
    return result.status != "graded" or bool(result.flags) or bool(result.problems)


def record_in_gradebook(url: str, result: Result) -> None:
    """Write one result into the merged nbgrader gradebook (``nbgrader export`` reads it)."""
    with Gradebook(url) as gradebook, warnings.catch_warnings():
        # nbgrader's own update_or_create_submission trips SQLAlchemy autoflush warnings.
        warnings.simplefilter("ignore", SAWarning)
        gradebook.update_or_create_student(result.student)
        gradebook.update_or_create_submission(result.assignment, result.student)
        notebook = gradebook.find_submission_notebook(result.assignment, result.assignment,
                                                      result.student)
        apply_result(notebook, result)
        gradebook.db.commit()


def apply_result(notebook: SubmittedNotebook, result: Result) -> None:
    """Set a gradebook notebook's scores from ``result`` (replacing earlier ones), leave its
    written answers to a person, and flag it when it needs a look."""
    for grade in notebook.grades:
        if grade.name in result.manual:  # formgrader lists it for a person to grade
            grade.auto_score = None
            grade.needs_manual_grade = True
        elif grade.name in result.scores:
            grade.auto_score = result.scores[grade.name]
            grade.needs_manual_grade = False
    notebook.flagged = needs_look(result)


def mistake_counts(results: list[Result]) -> list[str]:
    """The summary's lines on the classic mistakes the checks named, most frequent first."""
    counts = Counter((grade_id, mistake) for result in results
                     for grade_id, mistake in result.mistakes.items() if mistake in CATALOGUE)
    if not counts:
        return []
    lines = ["Mistakes the checks named (students, test, mistake):"]
    for (grade_id, mistake), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {count:>3}  {grade_id}  {title(mistake, SOURCE_LANGUAGE)} [{mistake}]")
    return lines


def manual_grading(results: list[Result]) -> list[str]:
    """The summary's lines on the written answers that await a person, per answer cell."""
    waiting = Counter(grade_id for result in results for grade_id in result.manual)
    if not waiting:
        return []
    students = sum(bool(result.manual) for result in results)
    points = {g: p for result in results for g, p in result.max_scores.items()}
    lines = [f"Needs manual grading: {students} submission(s), in nbgrader's formgrader or "
             "gradebook; their totals count these answers as 0 until then:"]
    for grade_id, count in waiting.items():
        lines.append(f"  {count:>3}  {grade_id} ({points.get(grade_id, 0):g} points)")
    return lines


def summary(results: list[Result], grade_ids: list[str], *, seconds: float, where: str,
            newly_graded: int, sandbox: bool = True) -> str:
    """The text printed at the end of a run; ``where`` says what graded ("2 worker(s)")."""
    lines = [f"Graded {newly_graded} submission(s) in {seconds:.0f} s with {where}"
             + (f" ({seconds / newly_graded:.1f} s per notebook)." if newly_graded else ".")]
    unsandboxed = sum(not r.sandboxed for r in results)
    if not sandbox or unsandboxed:
        lines.append(f"WARNING: {unsandboxed} submission(s) were graded without the sandbox "
                     "(--no-sandbox): their code could read and change the grader's files, so "
                     "those grades cannot be trusted.")
    if not results:
        return "\n".join(lines)
    assignment = results[0].assignment
    totals = [r.total for r in results]
    errors = sum(r.status == "error" for r in results)
    lines.append(f"{assignment}: {len(results)} student(s), mean {statistics.mean(totals):.2f} of "
                 f"{results[0].max_total:g}; {sum(r.status == 'graded' for r in results)} graded "
                 f"by nbgrader, {sum(r.status == 'failed' for r in results)} failed"
                 + (f", {errors} not graded (run the same command again)." if errors else "."))
    width = max(len(g) for g in grade_ids) if grade_ids else 10
    lines.append("Mean score per exercise:")
    for grade_id in grade_ids:
        scores = [r.scores.get(grade_id, 0.0) for r in results]
        lines.append(f"  {grade_id:<{width}}  {statistics.mean(scores):.2f} / "
                     f"{results[0].max_scores.get(grade_id, 0):g}")
    lines += mistake_counts(results)
    lines += manual_grading(results)
    look = [r for r in results if needs_look(r)]
    lines.append(f"Needs a manual look: {len(look) or 'nobody'}")
    for result in sorted(look, key=lambda r: r.student):
        reasons = result.problems + result.flags
        lines.append(f"  {result.student} ({result.total:g}/{result.max_total:g}): "
                     + " ".join(reasons))
    return "\n".join(lines)
