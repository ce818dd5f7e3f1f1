"""Checking answers: is_correct never raises, check_answers fails one question at a time."""

from __future__ import annotations

import pytest

from rnncourse.errors import CheckFailed
from rnncourse.quiz import check_answers, is_correct, load_quiz

GARBAGE = [None, "", "   ", 3.5, True, {"a": 1}, object(), [1, 2], float("nan"), "zzz"]


def test_single():
    assert is_correct("lesson1-check", "q1", "b")
    assert is_correct("lesson1-check", "q1", " B ")
    assert not is_correct("lesson1-check", "q1", "a")
    assert not is_correct("lesson1-check", "q1", ["a", "b"])
    assert is_correct("lesson2-check", "q3", "b")


def test_multiple_is_order_free():
    for right in (["a", "b", "d"], ("d", "b", "a"), {"b", "a", "d"}, "d,a,b"):
        assert is_correct("lesson1-check", "q3", right)
    assert not is_correct("lesson1-check", "q3", ["a", "b"])  # a subset is not enough
    assert not is_correct("lesson1-check", "q3", ["a", "b", "c", "d"])
    assert is_correct(load_quiz("lesson2-check"), "q2", ["b", "a"])


def test_numeric():
    assert is_correct("lesson1-check", "q2", 3104)
    assert is_correct("lesson1-check", "q2", 3104.0)
    assert is_correct("lesson1-check", "q2", "3,104")
    assert not is_correct("lesson1-check", "q2", 3072)
    assert not is_correct("lesson1-check", "q2", 3104.4)  # tolerance 0


@pytest.mark.parametrize("question_id", ["q1", "q2", "q3", "q9"])
@pytest.mark.parametrize("garbage", GARBAGE, ids=repr)
def test_garbage_is_wrong_not_an_error(question_id, garbage):
    assert is_correct("lesson1-check", question_id, garbage) is False


def test_check_answers_passes_on_right():
    answers = {"q1": "b", "q2": 3104, "q3": ["d", "a", "b"]}
    for question_id in ("q1", "q2", "q3"):
        check_answers("lesson1-check", answers, question_id)


def test_check_answers_wrong_and_missing():
    answers = {"q1": "c", "q3": []}
    with pytest.raises(CheckFailed, match=r"^The answer to q1 is not right\.$"):
        check_answers("lesson1-check", answers, "q1")
    with pytest.raises(CheckFailed, match=r"^Question q2 is not answered\.$"):
        check_answers("lesson1-check", answers, "q2")
    with pytest.raises(CheckFailed, match=r"^Question q3 is not answered\.$"):
        check_answers("lesson1-check", answers, "q3")
    with pytest.raises(CheckFailed, match="not answered"):
        check_answers("lesson1-check", None, "q1")  # no answers dict at all: zero, no crash


def test_check_answers_unknown_question_is_an_author_error():
    with pytest.raises(ValueError, match="has no question 'q7'"):
        check_answers("lesson1-check", {}, "q7")
