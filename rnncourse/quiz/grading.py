"""Checking answers against the hashed keys, for self-checks and nbgrader hidden tests."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from rnncourse.errors import CheckFailed
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


def check_answers(name: str, answers: Any, question_id: str) -> None:
    """For one graded test cell: raise CheckFailed unless ``answers[question_id]`` is right."""
    quiz = load_quiz(name)
    quiz.question(question_id)  # a wrong question id is the author's mistake: ValueError
    answer = answers.get(question_id) if isinstance(answers, Mapping) else None
    if not is_answered(answer):
        raise CheckFailed(f"Question {question_id} is not answered.")
    if not is_correct(quiz, question_id, answer):
        raise CheckFailed(f"The answer to {question_id} is not right.")
