"""Checking answers: is_correct never raises, check_answers fails one question at a time."""

from __future__ import annotations

import pytest

from rnncourse.errors import CheckFailed
from rnncourse.i18n import set_language
from rnncourse.quiz import check_answer_format, check_answers, is_correct, load_quiz

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


def test_with_the_right_answer_given_the_check_prints_the_question_s_review(capsys):
    # As the hidden test cells call it: the feedback page then shows the answer and why.
    explanation = load_quiz("lesson1-check").question("q1").explanation["en"]
    review = f"» The right answer: b. {explanation}\n"
    check_answers("lesson1-check", {"q1": "b"}, "q1", right="b")
    assert capsys.readouterr().out == review
    with pytest.raises(CheckFailed, match=r"^The answer to q1 is not right\.$"):
        check_answers("lesson1-check", {"q1": "c"}, "q1", right="b")
    assert capsys.readouterr().out == review
    with pytest.raises(CheckFailed, match=r"^Question q3 is not answered\.$"):
        check_answers("lesson1-check", {}, "q3", right=["a", "b", "d"])
    assert capsys.readouterr().out.startswith("» The right answer: a, b, d. ")
    with pytest.raises(CheckFailed):
        check_answers("lesson1-check", {"q2": 3000}, "q2", right=3104)
    assert capsys.readouterr().out.startswith("» The right answer: 3104. ")
    check_answers("lesson1-check", {"q1": "b"}, "q1")  # without it, nothing is printed
    assert capsys.readouterr().out == ""


def test_the_review_follows_the_notebook_s_language(capsys):
    set_language("ko")
    try:
        with pytest.raises(CheckFailed) as wrong:
            check_answers("lesson1-check", {"q1": "c"}, "q1", right="b")
    finally:
        set_language("en")
    explanation = load_quiz("lesson1-check").question("q1").explanation["ko"]
    assert str(wrong.value) == "문제 q1의 답이 맞지 않습니다."
    assert capsys.readouterr().out == f"» 정답: b. {explanation}\n"


def test_a_wrong_right_answer_is_the_author_s_mistake():
    with pytest.raises(ValueError, match="not the right answer"):
        check_answers("lesson1-check", {"q1": "b"}, "q1", right="c")


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


# ---------------------------------------------------------------- the graded post-lecture quiz

#: The key of the graded quiz, in the forms a student may write it.
COURSE_POST = {"q1": 4 * (10 * 20 + 20 * 20 + 20), "q2": "c", "q3": ["a", "c"], "q4": "d",
               "q5": ["a", "d"], "q6": ["a", "c"]}
TEMPLATE = {question_id: None for question_id in COURSE_POST}  # the untouched answers cell


def test_course_post_right_answers_pass_every_hidden_test():
    for question_id in COURSE_POST:
        check_answers("course-post", COURSE_POST, question_id)
    again = {**COURSE_POST, "q1": "2,480", "q3": "c, a", "q5": ("d", "a"), "q4": " D"}
    for question_id in again:
        check_answers("course-post", again, question_id)


def test_course_post_one_wrong_or_missing_answer_fails_only_that_question():
    for broken, message in (({**COURSE_POST, "q3": ["a"]}, "The answer to q3 is not right."),
                            ({**COURSE_POST, "q3": None}, "Question q3 is not answered."),
                            ({k: v for k, v in COURSE_POST.items() if k != "q3"},
                             "Question q3 is not answered.")):
        for question_id in COURSE_POST:
            if question_id == "q3":
                with pytest.raises(CheckFailed) as error:
                    check_answers("course-post", broken, question_id)
                assert str(error.value) == message
            else:
                check_answers("course-post", broken, question_id)


def test_the_untouched_template_scores_zero_without_crashing():
    for question_id in COURSE_POST:
        with pytest.raises(CheckFailed, match="not answered"):
            check_answers("course-post", TEMPLATE, question_id)


def test_format_check_passes_right_and_wrong_answers_alike(capsys):
    check_answer_format("course-post", COURSE_POST)
    assert capsys.readouterr().out.startswith("✓ Your answers to all 6 questions have a form")
    wrong = {"q1": 2560.5, "q2": "a", "q3": "b", "q4": ["a"], "q5": "a,b,c,d", "q6": ("d",)}
    check_answer_format("course-post", wrong)  # says nothing about being right
    out = capsys.readouterr().out
    assert out.count("✓") == 1 and "right" not in out.split(";")[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"q1": None}, "Question q1 is not answered yet: its answer must be a number."),
        ({"q3": []}, "Question q3 is not answered yet: its answer must be a list of option ids."),
        ({"q2": "  "}, "Question q2 is not answered yet: its answer must be one option id as a "
                       "string."),
        ({"q1": "many"}, "The answer to q1 must be a number, not 'many'."),
        ({"q1": True}, "The answer to q1 must be a number, not True."),
        ({"q2": 3}, "The answer to q2 must be one option id as a string, not 3."),
        ({"q3": ["a", 2]}, "The answer to q3 must be a list of option ids, not ['a', 2]."),
        ({"q2": "e"}, "The answer to q2 names 'e', which is not one of its options (a, b, c, d)."),
        ({"q6": ["a", "C", "x"]}, "The answer to q6 names 'x', which is not one of its options "
                                  "(a, b, c, d)."),
        ({"q4": "a,d"}, "Question q4 takes exactly one option id, but its answer names 2."),
        ({"q7": "a"}, "answers has the key 'q7', which is not a question of this quiz (its "
                      "questions are q1, q2, q3, q4, q5, q6)."),
    ],
)
def test_format_check_names_the_first_problem_in_one_sentence(change, message):
    with pytest.raises(CheckFailed) as error:
        check_answer_format("course-post", {**COURSE_POST, **change})
    assert str(error.value) == message


def test_format_check_on_a_missing_entry_or_no_dict():
    with pytest.raises(CheckFailed, match=r"^answers has no entry for question q5: add one whose "
                                          r"value is a list of option ids\.$"):
        check_answer_format("course-post", {k: v for k, v in COURSE_POST.items() if k != "q5"})
    with pytest.raises(CheckFailed, match=r"^answers must be a dict from question ids to "
                                          r"answers, not a list\.$"):
        check_answer_format("course-post", list(COURSE_POST.values()))
    with pytest.raises(CheckFailed, match="^Question q1 is not answered yet"):
        check_answer_format("course-post", TEMPLATE)


@pytest.mark.parametrize("question_id", list(COURSE_POST))
@pytest.mark.parametrize("value", [*GARBAGE, "a", "b", "c", "d", ["a", "c"], ["a", "d"], "a,c",
                                   ["A"], 2480, "2,480", 2480.4, 0], ids=repr)
def test_format_check_never_rejects_an_answer_the_grader_accepts(question_id, value):
    answers = {**COURSE_POST, question_id: value}
    try:
        check_answer_format("course-post", answers)
    except CheckFailed:
        assert not is_correct("course-post", question_id, value)
