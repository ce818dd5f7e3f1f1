"""Checking answers against the hashed keys, for self-checks and nbgrader hidden tests.

A graded quiz in a notebook has three parts: an ``answers`` dict the student fills in,
:func:`check_answer_format` in a visible cell (it says whether every answer *can* be graded,
never whether it is right) and one hidden :func:`check_answers` call per question.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from rnncourse.errors import CheckFailed
from rnncourse.grading.feedback import FEEDBACK_MARK
from rnncourse.i18n import _, resolve_language
from rnncourse.quiz.bank import (
    Question,
    Quiz,
    canonical_choice,
    hash_canonical,
    load_quiz,
    numeric_candidates,
)


def _as_number(answer: Any) -> float | None:
    if isinstance(answer, bool):
        return None
    if isinstance(answer, str):
        answer = answer.strip().replace(",", "")
    try:
        number = float(answer)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _as_ids(answer: Any) -> str | None:
    """The canonical id string of a choice answer, or None when it is not one."""
    if isinstance(answer, str):
        return canonical_choice(answer) or None
    if isinstance(answer, Mapping) or not isinstance(answer, Iterable):
        return None
    items = list(answer)
    if not all(isinstance(i, str) for i in items):
        return None
    return canonical_choice(items) or None


def is_answered(answer: Any) -> bool:
    """False for a missing answer: None, an empty string or an empty collection."""
    if answer is None:
        return False
    if isinstance(answer, str):
        return bool(answer.strip())
    if isinstance(answer, (list, tuple, set, frozenset)):
        return bool(answer)
    return True


def question_is_correct(quiz_id: str, question: Question, answer: Any) -> bool:
    """Whether ``answer`` matches the question's hashed key; never raises."""
    try:
        if question.kind == "numeric":
            number = _as_number(answer)
            if number is None:
                return False
            candidates = numeric_candidates(number, question.tolerance, question.decimals)
            return any(
                hash_canonical(quiz_id, question.id, c) == question.key for c in candidates
            )
        ids = _as_ids(answer)
        if ids is None or any(question.option(i) is None for i in ids.split(",")):
            return False
        if question.kind == "single" and "," in ids:
            return False
        return hash_canonical(quiz_id, question.id, ids) == question.key
    except Exception:  # a grader must give zero, never crash, on garbage
        return False


def _quiz(quiz: Quiz | str) -> Quiz:
    return load_quiz(quiz) if isinstance(quiz, str) else quiz


def is_correct(quiz: Quiz | str, question_id: str, answer: Any) -> bool:
    """True when ``answer`` is right: an option id (single), ids in any order (multiple, also
    "a,c"), or a number within tolerance (numeric); a wrong type or no answer gives False."""
    quiz = _quiz(quiz)
    try:
        question = quiz.question(question_id)
    except ValueError:
        return False
    return question_is_correct(quiz.id, question, answer)


def _shown(answer: Any) -> str:
    """An answer as a student writes it: c, or a, c, or 2480."""
    if isinstance(answer, str):
        return answer
    if isinstance(answer, Iterable):
        return ", ".join(str(item) for item in answer)
    return f"{answer:g}" if isinstance(answer, float) else str(answer)


def check_answers(name: str, answers: Any, question_id: str, right: Any = None) -> None:
    """For one graded test cell: raise CheckFailed unless ``answers[question_id]`` is right.

    ``right``, the answer itself, is for hidden test cells, which students never see before
    grading: the cell then prints the right answer and its explanation for the feedback page
    (:data:`~rnncourse.grading.feedback.FEEDBACK_MARK`), so the graded feedback is the quiz's
    review. It must be right (the bank's hashed key says so).
    """
    quiz = load_quiz(name)
    question = quiz.question(question_id)  # a wrong question id is the author's mistake
    if right is not None and not question_is_correct(quiz.id, question, right):
        raise ValueError(f"{right!r} is not the right answer to {name} {question_id}.")
    language = resolve_language(None)
    if right is not None:  # the review, shown under the cell's verdict in the feedback
        print(FEEDBACK_MARK + _("The right answer: {right}. {explanation}", language).format(
            right=_shown(right), explanation=question.explanation[language]))
    answer = answers.get(question_id) if isinstance(answers, Mapping) else None
    if not is_answered(answer):
        raise CheckFailed(_("Question {qid} is not answered.", language).format(qid=question_id))
    if not is_correct(quiz, question_id, answer):
        raise CheckFailed(_("The answer to {qid} is not right.", language).format(
            qid=question_id))


#: How each kind of answer is written. No example values: next to a question id they could
#: read as hints.
ANSWER_HINTS = {
    "single": "one option id as a string",
    "multiple": "a list of option ids",
    "numeric": "a number",
}


def _format_problem(question: Question, answer: Any) -> str | None:
    """One sentence saying why ``answer`` cannot be graded, or None when its form is right."""
    qid, hint = question.id, ANSWER_HINTS[question.kind]
    if not is_answered(answer):
        return f"Question {qid} is not answered yet: its answer must be {hint}."
    if question.kind == "numeric":
        if _as_number(answer) is None:
            return f"The answer to {qid} must be {hint}, not {answer!r}."
        return None
    ids = _as_ids(answer)
    if ids is None:
        return f"The answer to {qid} must be {hint}, not {answer!r}."
    valid = [o.id for o in question.options]
    unknown = [i for i in ids.split(",") if i not in valid]
    if unknown:
        return (f"The answer to {qid} names {unknown[0]!r}, which is not one of its options "
                f"({', '.join(valid)}).")
    if question.kind == "single" and "," in ids:
        return (f"Question {qid} takes exactly one option id, but its answer names "
                f"{ids.count(',') + 1}.")
    return None


def check_answer_format(name: str, answers: Any) -> None:
    """For the visible cell of a graded quiz: raise CheckFailed (one sentence) unless ``answers``
    is a dict with a well-formed answer for every question of quiz ``name``; print a ✓ line.

    It never looks at the keys, so passing says nothing about being right; every answer that
    :func:`check_answers` would accept passes it."""
    quiz = load_quiz(name)
    if not isinstance(answers, Mapping):
        raise CheckFailed(
            f"answers must be a dict from question ids to answers, "
            f"not a {type(answers).__name__}."
        )
    ids = [q.id for q in quiz.questions]
    extra = [key for key in answers if key not in ids]
    if extra:
        raise CheckFailed(
            f"answers has the key {extra[0]!r}, which is not a question of this quiz "
            f"(its questions are {', '.join(ids)})."
        )
    for question in quiz.questions:
        if question.id not in answers:
            raise CheckFailed(
                f"answers has no entry for question {question.id}: add one whose value is "
                f"{ANSWER_HINTS[question.kind]}."
            )
        problem = _format_problem(question, answers[question.id])
        if problem:
            raise CheckFailed(problem)
    print(f"✓ Your answers to all {len(ids)} questions have a form that can be graded; whether "
          "they are right shows only after grading.")
