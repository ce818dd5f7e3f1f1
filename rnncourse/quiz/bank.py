"""Quiz banks: loading, validation and the salted answer hashes that keep keys unreadable.

A bank is one JSON file per quiz in ``rnncourse/quiz/banks/``. Each question stores its key
only as a salted SHA-256 hash (see :func:`answer_hash`); a maintainer writes a key with::

    python -m rnncourse.quiz QUIZ_ID q1 c                # single: one option id
    python -m rnncourse.quiz QUIZ_ID q2 c,a              # multiple: ids, any order
    python -m rnncourse.quiz QUIZ_ID q3 0.25 --numeric --decimals 2
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from rnncourse.i18n import LANGUAGES as I18N_LANGUAGES
from rnncourse.i18n import check_language as i18n_check_language

LANGUAGES = I18N_LANGUAGES
KINDS = ("single", "multiple", "numeric")
SALT = "rnncourse-quiz-v1"
MAX_OPTIONS = 10
MAX_DECIMALS = 6
MAX_CANDIDATES = 100_001  # numeric grid points one answer may be compared against
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_OPTION_ID = re.compile(r"^[a-z]$")


@dataclass(frozen=True)
class Option:
    id: str
    text: dict[str, str]


@dataclass(frozen=True)
class Question:
    id: str
    kind: str
    prompt: dict[str, str]
    options: tuple[Option, ...]
    key: str
    explanation: dict[str, str]
    tolerance: float = 0.0
    decimals: int = 0

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Quiz:
    id: str
    title: dict[str, str]
    questions: tuple[Question, ...]
    #: A graded quiz never tells right from wrong before nbgrader grades it.
    graded: bool = False

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        valid = ", ".join(q.id for q in self.questions)
        raise ValueError(
            f"Quiz {self.id!r} has no question {question_id!r}; its questions are: {valid}."
        )


def check_language(language: str) -> str:
    """Return ``language`` if it is supported, else raise ValueError naming the valid ones."""
    return i18n_check_language(language)  # LanguageError is a ValueError


# ---------------------------------------------------------------- hashing

def canonical_choice(option_ids: str | Iterable[str]) -> str:
    """The sorted option ids joined by ","; a string may list ids separated by commas."""
    if isinstance(option_ids, str):
        option_ids = option_ids.split(",")
    ids = sorted({str(i).strip().lower() for i in option_ids} - {""})
    return ",".join(ids)


def canonical_number(value: float | int | str, decimals: int = 0) -> str:
    """The number rounded to ``decimals`` places, written with exactly that many places."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number.")
    text = f"{round(number, decimals):.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text  # no "-0"


def hash_canonical(quiz_id: str, question_id: str, canonical: str) -> str:
    """SHA-256 of the salt, quiz id, question id and canonical answer string."""
    payload = f"{SALT}\x1f{quiz_id}\x1f{question_id}\x1f{canonical}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def answer_hash(
    quiz_id: str,
    question_id: str,
    answer: str | Iterable[str] | float | int,
    *,
    numeric: bool | None = None,
    decimals: int = 0,
) -> str:
    """The key hash authors store: numbers are rounded to ``decimals``, ids are sorted."""
    if numeric is None:
        numeric = isinstance(answer, (int, float)) and not isinstance(answer, bool)
    canonical = (
        canonical_number(answer, decimals)  # type: ignore[arg-type]
        if numeric
        else canonical_choice(answer)  # type: ignore[arg-type]
    )
    return hash_canonical(quiz_id, question_id, canonical)


def numeric_candidates(value: float, tolerance: float, decimals: int) -> list[str]:
    """Canonical strings of every grid point (step 10**-decimals) within ``tolerance``."""
    scale = 10**decimals
    low = math.ceil(round((value - tolerance) * scale, 9))
    high = math.floor(round((value + tolerance) * scale, 9))
    if high - low + 1 > MAX_CANDIDATES:
        return []
    return [canonical_number(k / scale, decimals) for k in range(low, high + 1)]


# ---------------------------------------------------------------- validation

def _text_problems(where: str, value: Any) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where} must be an object with the languages {', '.join(LANGUAGES)}."]
    problems = []
    for language in LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where} has no {language!r} text.")
    return problems


def _parse_tolerance(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        tolerance = float(value)
    except (TypeError, ValueError):
        return None
    return tolerance if math.isfinite(tolerance) and tolerance >= 0 else None


def _question_problems(quiz_id: str, index: int, q: Any) -> list[str]:
    if not isinstance(q, dict):
        return [f"Question #{index + 1} must be an object."]
    qid = q.get("id")
    if not isinstance(qid, str) or not qid:
        return [f"Question #{index + 1} has no id."]
    where = f"Question {qid}"
    problems: list[str] = []
    kind = q.get("kind")
    if kind not in KINDS:
        problems.append(f"{where} has kind {kind!r}; valid kinds are: {', '.join(KINDS)}.")
    problems += _text_problems(f"{where}'s prompt", q.get("prompt"))
    problems += _text_problems(f"{where}'s explanation", q.get("explanation"))
    key = q.get("key")
    if not isinstance(key, str) or not _HEX64.match(key):
        problems.append(f"{where}'s key is not a 64-hex-digit SHA-256 hash.")
        key = None
    if kind in ("single", "multiple"):
        problems += _choice_problems(quiz_id, qid, kind, q.get("options"), key)
    elif kind == "numeric":
        if q.get("options"):
            problems.append(f"{where} is numeric but has options.")
        if _parse_tolerance(q.get("tolerance")) is None:
            problems.append(f"{where}'s tolerance is not a non-negative number.")
        decimals = q.get("decimals", 0)
        if isinstance(decimals, bool) or not isinstance(decimals, int) or not (
            0 <= decimals <= MAX_DECIMALS
        ):
            problems.append(f"{where}'s decimals must be an integer from 0 to {MAX_DECIMALS}.")
    return problems


def _choice_problems(quiz_id: str, qid: str, kind: str, options: Any, key: str | None):
    where = f"Question {qid}"
    if not isinstance(options, list) or len(options) < 2:
        return [f"{where} needs a list of at least two options."]
    if len(options) > MAX_OPTIONS:
        return [f"{where} has more than {MAX_OPTIONS} options."]
    problems: list[str] = []
    ids: list[str] = []
    for n, option in enumerate(options):
        if not isinstance(option, dict) or not isinstance(option.get("id"), str) \
                or not _OPTION_ID.match(option["id"]):
            problems.append(f"{where}'s option #{n + 1} needs an id that is one letter a-z.")
            continue
        if option["id"] in ids:
            problems.append(f"{where} has the option id {option['id']!r} twice.")
        ids.append(option["id"])
        problems += _text_problems(f"{where}'s option {option['id']}", option.get("text"))
    if key is None or problems:
        return problems
    if kind == "single":
        hits = [i for i in ids if hash_canonical(quiz_id, qid, i) == key]
        if len(hits) != 1:
            problems.append(f"{where} is single-choice but its key is not exactly one option.")
    else:
        subsets = (
            c for r in range(1, len(ids) + 1) for c in itertools.combinations(sorted(ids), r)
        )
        if not any(hash_canonical(quiz_id, qid, ",".join(s)) == key for s in subsets):
            problems.append(f"{where}'s key is not a non-empty set of its options.")
    return problems


def validate_quiz(data: Any) -> None:
    """Raise ValueError, one sentence per line for each problem, unless ``data`` is a valid bank."""
    if not isinstance(data, dict):
        raise ValueError("A quiz bank must be a JSON object.")
    problems: list[str] = []
    quiz_id = data.get("id")
    if not isinstance(quiz_id, str) or not quiz_id:
        problems.append("The quiz has no id.")
        quiz_id = ""
    problems += _text_problems("The quiz title", data.get("title"))
    if not isinstance(data.get("graded", False), bool):
        problems.append("The quiz's 'graded' must be true or false.")
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        problems.append("The quiz has no list of questions.")
        questions = []
    seen: set[str] = set()
    for index, q in enumerate(questions):
        qid = q.get("id") if isinstance(q, dict) else None
        if isinstance(qid, str) and qid:
            if qid in seen:
                problems.append(f"The question id {qid!r} is used more than once.")
            seen.add(qid)
        problems += _question_problems(quiz_id, index, q)
    if problems:
        raise ValueError("\n".join(problems))


# ---------------------------------------------------------------- loading

def quiz_from_data(data: Any) -> Quiz:
    """Validate a bank's parsed JSON and build the :class:`Quiz`."""
    validate_quiz(data)
    questions = tuple(
        Question(
            id=q["id"],
            kind=q["kind"],
            prompt=dict(q["prompt"]),
            options=tuple(Option(o["id"], dict(o["text"])) for o in q.get("options") or ()),
            key=q["key"],
            explanation=dict(q["explanation"]),
            tolerance=_parse_tolerance(q.get("tolerance", 0)) or 0.0,
            decimals=int(q.get("decimals", 0)),
        )
        for q in data["questions"]
    )
    return Quiz(id=data["id"], title=dict(data["title"]), questions=questions,
                graded=data.get("graded", False))


def _banks():
    return resources.files("rnncourse.quiz") / "banks"


def list_quizzes() -> list[str]:
    """The names of the shipped quizzes."""
    return sorted(p.name[:-5] for p in _banks().iterdir() if p.name.endswith(".json"))


@cache
def load_quiz(name: str) -> Quiz:
    """Load and validate the shipped quiz ``name`` (the file name without ``.json``)."""
    if name not in list_quizzes():
        raise ValueError(
            f"There is no quiz {name!r}; the quizzes are: {', '.join(list_quizzes())}."
        )
    data = json.loads((_banks() / f"{name}.json").read_text(encoding="utf-8"))
    quiz = quiz_from_data(data)
    if quiz.id != name:
        raise ValueError(f"The quiz in {name}.json has the id {quiz.id!r} instead of {name!r}.")
    return quiz


def main(argv: list[str] | None = None) -> None:
    """Print the key hash for an answer (maintainers only)."""
    parser = argparse.ArgumentParser(description="Print the key hash to store in a quiz bank.")
    parser.add_argument("quiz_id")
    parser.add_argument("question_id")
    parser.add_argument("answer", help="option id(s) like 'b' or 'a,c', or a number")
    parser.add_argument("--numeric", action="store_true")
    parser.add_argument("--decimals", type=int, default=0)
    args = parser.parse_args(argv)
    print(
        answer_hash(
            args.quiz_id, args.question_id, args.answer,
            numeric=args.numeric, decimals=args.decimals,
        )
    )


if __name__ == "__main__":
    main()
