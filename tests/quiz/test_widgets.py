"""Widgets driven without a front end, the text fallback, and Korean rendering."""

from __future__ import annotations

import pytest

from rnncourse.errors import CourseError
from rnncourse.quiz import answer, format_quiz, list_quizzes, load_quiz, show_quiz
from rnncourse.quiz.widgets import (
    MESSAGES,
    TEXT_WIDTH,
    display_bundle,
    display_width,
    quiz_widgets,
    widgets_available,
    wrap,
)


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
    assert "상태 S_i" in w.prompt.value


def test_no_kernel_means_text():
    assert not widgets_available()  # pytest is not an IPython kernel


@pytest.mark.parametrize("name", list_quizzes())
def test_text_fallback_prints_every_question_and_option(name, capsys):
    assert show_quiz(name) is None  # automatic fallback outside a kernel
    out = capsys.readouterr().out
    flat = _flat(out)  # the text is wrapped into lines
    for question in load_quiz(name).questions:
        assert _flat(question.prompt["en"]) in flat
        for option in question.options:
            assert _flat(f"{option.id}) {option.text['en']}") in flat
    assert show_quiz(name, interactive=False) is None


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize("name", list_quizzes())
def test_printed_quizzes_wrap_between_words_within_the_width(name, language):
    for graded in (False, True):
        text = format_quiz(name, language, graded=graded)
        lines = text.splitlines()
        assert max(display_width(line) for line in lines) <= TEXT_WIDTH
        quiz = load_quiz(name)
        words = {w for q in quiz.questions for o in q.options for w in o.text[language].split()}
        words |= {w for q in quiz.questions for w in q.prompt[language].split()}
        printed = {w for line in lines for w in line.split()}
        assert words <= printed  # no word was cut in two


def test_wrapping_counts_hangul_as_two_columns():
    assert display_width("가나") == 4 and display_width("ab") == 2
    assert wrap("가나다 라마바 사아자", width=10) == ["가나다", "라마바", "사아자"]
    assert wrap("a b c", first="  x) ", rest="     ", width=9) == ["  x) a b", "     c"]


def test_answer_in_text_mode():
    right = answer("lesson1-check", "q2", 3104)
    assert right.startswith("✓ Right. ") and "64×32" in right
    assert answer("lesson1-check", "q3", ["a"]).startswith("✗ Not quite. ")


def test_korean_text():
    text = format_quiz("lesson2-check", language="ko")
    assert "망각 게이트(forget gate)" in text and "문제 1" in text
    assert answer("lesson2-check", "q1", "b", language="ko").startswith("✓ 정답입니다. ")
    assert "셀 상태(cell state)" in text
    wrong = answer("lesson2-check", "q2", "c", language="ko")
    assert wrong.startswith("✗ 아쉽지만 틀렸습니다. ") and "다음 층이 받는 것은 H입니다" in wrong


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


@pytest.mark.parametrize("language", ["en", "ko"])
def test_graded_mode_shows_questions_and_how_to_answer_but_no_verdict(language, capsys):
    # Even where widgets would work: a graded quiz never gets a Check button.
    assert show_quiz("course-post", language=language, interactive=True, graded=True) is None
    out = capsys.readouterr().out
    quiz = load_quiz("course-post")
    assert out == format_quiz("course-post", language, graded=True) + "\n"
    flat = _flat(out)
    for question in quiz.questions:
        assert _flat(question.prompt[language]) in flat
        assert _flat(question.explanation[language]) not in flat
        for option in question.options:
            assert _flat(f"{option.id}) {option.text[language]}") in flat
    messages = MESSAGES[language]
    assert _flat(messages["graded_how"]) in flat and messages["graded_numeric"] in out
    for secret in (messages["right"], messages["wrong"], "answer(", "✓", "✗"):
        assert secret not in out


def test_widgets_carry_the_readable_text_for_front_ends_without_widgets(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda data, raw=False: shown.append((data, raw)))
    question_widgets = show_quiz("lesson3-check", interactive=True)
    assert len(question_widgets) == 3
    [(bundle, raw)] = shown
    assert raw and bundle["text/plain"] == format_quiz("lesson3-check")
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"]


def test_display_bundle_replaces_only_the_plain_text():
    box = quiz_widgets("lesson1-pre")[0].box
    bundle = display_bundle(box, "readable")
    assert bundle["text/plain"] == "readable"
    assert bundle["application/vnd.jupyter.widget-view+json"] == \
        box._repr_mimebundle_()["application/vnd.jupyter.widget-view+json"]


def test_a_graded_quiz_gives_no_verdict_through_answer_or_widgets(capsys):
    # Otherwise a student could try every option of a graded question until one is right.
    question = load_quiz("course-post").questions[1]
    for option in question.options:
        with pytest.raises(CourseError, match="'course-post' is graded, so it gives no verdict "
                                              "before grading"):
            answer("course-post", question.id, option.id)
    with pytest.raises(CourseError, match="is graded"):
        quiz_widgets("course-post")
    # Shown without graded=True, it is still shown as a graded quiz: questions, no buttons.
    assert show_quiz("course-post", interactive=True) is None
    printed = capsys.readouterr().out
    assert question.prompt["en"] in printed and "This quiz is graded" in printed
    assert answer("lesson1-check", "q2", 3104).startswith("✓")  # practice quizzes still do


def test_the_refusal_is_korean_in_a_korean_notebook():
    with pytest.raises(CourseError, match="채점"):
        answer("course-post", "q2", "a", language="ko")
