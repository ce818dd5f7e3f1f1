"""Widgets driven without a front end, the text fallback, and Korean rendering."""

from __future__ import annotations

import pytest

from rnncourse.quiz import answer, format_quiz, load_quiz, show_quiz
from rnncourse.quiz.widgets import quiz_widgets, widgets_available


def widget(name, question_id, language="en"):
    quiz = load_quiz(name)
    index = [q.id for q in quiz.questions].index(question_id)
    return quiz_widgets(name, language)[index]


def test_single_right_shows_right_and_explanation():
    w = widget("lesson1-check", "q1")
    w.select("b")
    w.button.click()  # the real click handler
    assert w.feedback_text.startswith("✓ Right")
    assert load_quiz("lesson1-check").question("q1").explanation["en"] in w.feedback_text
    assert "Right" in w.feedback.value


def test_single_wrong_shows_not_quite():
    w = widget("lesson2-check", "q1")
    w.select("a")
    w.button.click()
    assert w.feedback_text.startswith("✗ Not quite")


def test_multiple_and_numeric_widgets():
    w = widget("lesson2-check", "q2")
    w.select(["b", "a"])
    w.button.click()
    assert w.feedback_text.startswith("✓")
    w.select(["a"])
    w.button.click()
    assert w.feedback_text.startswith("✗")
    n = widget("lesson1-check", "q2")
    n.input.value = "3104"
    n.button.click()
    assert n.feedback_text.startswith("✓")


def test_unanswered_check_asks_for_an_answer():
    w = widget("lesson1-check", "q1")
    assert w.check() == "Choose or type an answer first."


def test_korean_widget():
    w = widget("lesson1-check", "q1", "ko")
    assert w.button.description == "확인"
    w.select("b")
    w.button.click()
    assert w.feedback_text.startswith("✓ 정답입니다")
    assert "은닉 상태" in w.prompt.value


def test_no_kernel_means_text():
    assert not widgets_available()  # pytest is not an IPython kernel


@pytest.mark.parametrize("name", ["lesson1-check", "lesson2-check"])
def test_text_fallback_prints_every_question_and_option(name, capsys):
    assert show_quiz(name) is None  # automatic fallback outside a kernel
    out = capsys.readouterr().out
    for question in load_quiz(name).questions:
        assert question.prompt["en"] in out
        for option in question.options:
            assert f"{option.id}) {option.text['en']}" in out
    assert show_quiz(name, interactive=False) is None


def test_answer_in_text_mode():
    right = answer("lesson1-check", "q2", 3104)
    assert right.startswith("✓ Right. ") and "32×64" in right
    assert answer("lesson1-check", "q3", ["a"]).startswith("✗ Not quite. ")


def test_korean_text():
    text = format_quiz("lesson2-check", language="ko")
    assert "망각 게이트(forget gate)" in text and "문제 1" in text
    assert answer("lesson2-check", "q1", "b", language="ko").startswith("✓ 정답입니다. ")
    assert "셀 상태(cell state)" in text
    wrong = answer("lesson2-check", "q2", "c", language="ko")
    assert wrong.startswith("✗ 아쉽지만 틀렸습니다. ") and "다음 층이 받는 것은 H_t" in wrong


@pytest.mark.parametrize(
    "call",
    [
        lambda: show_quiz("lesson1-check", language="fr"),
        lambda: answer("lesson1-check", "q1", "b", language="fr"),
        lambda: format_quiz("lesson1-check", language="de"),
        lambda: quiz_widgets("lesson1-check", language="EN"),
    ],
)
def test_unknown_language(call):
    with pytest.raises(ValueError, match=r"^Unknown language '\w+'; choose one of: en, ko\.$"):
        call()
