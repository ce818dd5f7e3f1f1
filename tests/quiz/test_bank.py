"""Quiz banks: shipped banks validate, broken ones fail with the right sentence, keys hidden."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources

import pytest

from rnncourse.quiz import answer_hash, list_quizzes, load_quiz, validate_quiz
from rnncourse.quiz.bank import main

BANKS = resources.files("rnncourse.quiz") / "banks"


def raw(name: str) -> dict:
    return json.loads((BANKS / f"{name}.json").read_text(encoding="utf-8"))


#: The course's quizzes and how many questions each may have.
QUESTION_COUNTS = {
    "lesson1-pre": range(4, 6),  # pre-lecture, before Lesson 1
    "lesson1-check": range(2, 4),  # practice checks at the end of each lesson
    "lesson2-check": range(2, 4),
    "lesson3-check": range(2, 4),
    "course-post": range(6, 7),  # the graded post-lecture quiz
}
#: The numeric answers, which must appear nowhere in a bank but in its hashed key.
NUMERIC_ANSWERS = {
    ("lesson1-pre", "q3"): 4 * 3 * 2 * 1,  # orderings of four different words
    ("lesson1-check", "q2"): 64 * 32 + 32 * 32 + 32,  # RNN cell, input 64, hidden 32
    ("course-post", "q1"): 4 * (10 * 20 + 20 * 20 + 20),  # LSTM, input 10, hidden 20, 1 bias
}


def test_the_course_quizzes_ship():
    assert set(QUESTION_COUNTS) == set(list_quizzes())


@pytest.mark.parametrize("name", list_quizzes())
def test_every_shipped_bank_is_valid(name):
    validate_quiz(raw(name))
    quiz = load_quiz(name)
    assert quiz.id == name
    assert len(quiz.questions) in QUESTION_COUNTS[name]
    assert [q.id for q in quiz.questions] == [f"q{n}" for n in range(1, len(quiz.questions) + 1)]
    for question in quiz.questions:
        assert question.prompt["ko"] and question.explanation["ko"]


def test_the_graded_quiz_mixes_every_kind():
    kinds = [q.kind for q in load_quiz("course-post").questions]
    assert set(kinds) == {"single", "multiple", "numeric"}


def test_a_bank_is_marked_graded_exactly_when_a_lesson_grades_it(repo):
    graded_in_lessons = set()
    for solution in (repo / "solutions").glob("*/*.ipynb"):
        cells = json.loads(solution.read_text(encoding="utf-8"))["cells"]
        text = "".join("".join(cell["source"]) for cell in cells)
        graded_in_lessons |= set(re.findall(r'show_quiz\("([\w-]+)", graded=True\)', text))
    assert graded_in_lessons == {"course-post"}
    assert {name for name in list_quizzes() if load_quiz(name).graded} == graded_in_lessons


def test_no_prompt_is_asked_twice():
    prompts = [q.prompt[language] for name in list_quizzes() for q in load_quiz(name).questions
               for language in ("en", "ko")]
    assert len(prompts) == len(set(prompts))


@pytest.mark.parametrize(("name", "question_id"), list(NUMERIC_ANSWERS))
def test_numeric_keys_and_nowhere_else(name, question_id):
    value = NUMERIC_ANSWERS[name, question_id]
    question = load_quiz(name).question(question_id)
    assert question.kind == "numeric"
    assert question.key == answer_hash(name, question_id, value)
    data = raw(name)
    for q in data["questions"]:
        q.pop("key")
    text = json.dumps(data, ensure_ascii=False)
    for written in {str(value), f"{value:,}"}:  # as a whole number, not inside a longer one
        assert not re.search(rf"(?<!\d)(?<!\d[.,]){written}(?!\d)(?![.,]\d)", text), written


@pytest.mark.parametrize("name", list_quizzes())
def test_no_readable_key_in_the_json(name):
    data = raw(name)
    allowed = {"id", "kind", "prompt", "options", "key", "explanation", "tolerance", "decimals"}
    for question in data["questions"]:
        assert set(question) <= allowed
        assert re.fullmatch(r"[0-9a-f]{64}", question["key"])
        option_ids = {o["id"] for o in question.get("options", [])}
        for field, value in question.items():
            if field in ("id", "options") or not isinstance(value, str):
                continue
            assert value not in option_ids, f"{question['id']}.{field} looks like a key"
    text = json.dumps(data)
    assert "3104" not in text  # the numeric answer appears only hashed, not even explained


def test_lesson1_numeric_key_is_3104():
    question = load_quiz("lesson1-check").question("q2")
    assert question.kind == "numeric"
    assert question.key == answer_hash("lesson1-check", "q2", 64 * 32 + 32 * 32 + 32)


def test_answer_hash_sorts_ids_and_cli_prints_it(capsys):
    assert answer_hash("x", "q", ["c", "a"]) == answer_hash("x", "q", "a,c")
    assert answer_hash("x", "q", "a") != answer_hash("x", "q2", "a")  # salted per question
    main(["x", "q", "c,a"])
    assert capsys.readouterr().out.strip() == answer_hash("x", "q", "a,c")


def broken(change) -> str:
    data = copy.deepcopy(raw("lesson1-check"))
    change(data)
    with pytest.raises(ValueError) as error:
        validate_quiz(data)
    return str(error.value)


def test_duplicate_question_id_fails():
    def change(d):
        d["questions"][1]["id"] = "q1"

    assert "The question id 'q1' is used more than once." in broken(change)


def test_missing_korean_fails():
    def change(d):
        del d["questions"][0]["prompt"]["ko"]
        del d["questions"][2]["options"][1]["text"]["ko"]
        d["questions"][1]["explanation"]["ko"] = " "

    message = broken(change)
    assert "Question q1's prompt has no 'ko' text." in message
    assert "Question q3's option b has no 'ko' text." in message
    assert "Question q2's explanation has no 'ko' text." in message
    assert len(message.splitlines()) == 3  # one sentence per problem


def test_single_key_not_among_options_fails():
    def change(d):
        d["questions"][0]["key"] = answer_hash("lesson1-check", "q1", "z")

    assert "single-choice but its key is not exactly one option" in broken(change)


def test_single_key_for_two_options_fails():
    def change(d):
        d["questions"][0]["key"] = answer_hash("lesson1-check", "q1", "a,b")

    assert "single-choice" in broken(change)


def test_multiple_key_not_a_subset_fails():
    def change(d):
        d["questions"][2]["key"] = answer_hash("lesson1-check", "q3", "a,e")

    assert "Question q3's key is not a non-empty set of its options." in broken(change)


def test_readable_key_fails():
    def change(d):
        d["questions"][0]["key"] = "b"

    assert "Question q1's key is not a 64-hex-digit SHA-256 hash." in broken(change)


def test_bad_tolerance_and_kind_fail():
    def change(d):
        d["questions"][1]["tolerance"] = "about one"
        d["questions"][0]["kind"] = "essay"

    message = broken(change)
    assert "Question q2's tolerance is not a non-negative number." in message
    assert "Question q1 has kind 'essay'; valid kinds are: single, multiple, numeric." in message


def test_keys_are_bound_to_the_quiz_id():
    def change(d):
        d["id"] = "another-quiz"  # salted with the quiz id, the option keys no longer match

    assert "single-choice" in broken(change)


def test_unknown_quiz_name():
    with pytest.raises(ValueError, match="There is no quiz 'nope'; the quizzes are: "):
        load_quiz("nope")
