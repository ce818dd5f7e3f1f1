"""Offline quizzes for the course notebooks: banks with hashed keys, grading and widgets."""

from rnncourse.quiz.bank import (
    LANGUAGES,
    Option,
    Question,
    Quiz,
    answer_hash,
    list_quizzes,
    load_quiz,
    validate_quiz,
)
from rnncourse.quiz.grading import check_answer_format, check_answers, is_correct
from rnncourse.quiz.widgets import QuestionWidget, answer, format_quiz, show_quiz

__all__ = [
    "LANGUAGES",
    "Option",
    "Question",
    "QuestionWidget",
    "Quiz",
    "answer",
    "answer_hash",
    "check_answer_format",
    "check_answers",
    "format_quiz",
    "is_correct",
    "list_quizzes",
    "load_quiz",
    "show_quiz",
    "validate_quiz",
]
