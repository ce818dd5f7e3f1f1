"""The language a notebook chooses once at its top, and what follows it."""

from __future__ import annotations

import pytest

from rnncourse.errors import CourseError
from rnncourse.i18n import current_language, on_language_change, set_language
from rnncourse.quiz import answer, format_quiz, load_quiz, show_quiz
from rnncourse.quiz.widgets import quiz_widgets


def test_english_until_a_notebook_chooses_otherwise():
    assert current_language() == "en"
    assert set_language("ko") is None and current_language() == "ko"


@pytest.mark.parametrize("language", ["fr", "EN", ""])
def test_an_unknown_language_is_one_sentence(language):
    with pytest.raises(CourseError) as error:
        set_language(language)
    assert str(error.value) == f"Unknown language {language!r}; choose one of: en, ko."
    assert isinstance(error.value, ValueError)  # as the quiz functions always raised
    assert current_language() == "en"


def test_listeners_hear_the_current_language_now_and_on_every_change():
    heard = []
    on_language_change(heard.append)
    set_language("ko")
    set_language("en")
    assert heard == ["en", "ko", "en"]


def test_quizzes_follow_the_notebook_language_without_an_argument(capsys):
    quiz = load_quiz("lesson1-check")
    assert format_quiz("lesson1-check").startswith(quiz.title["en"])
    set_language("ko")
    assert format_quiz("lesson1-check").startswith(quiz.title["ko"])
    assert answer("lesson1-check", "q1", "b").startswith("✓ 정답입니다")
    assert quiz_widgets("lesson1-check")[0].button.description == "확인"
    show_quiz("lesson1-check", interactive=False)
    printed = " ".join(capsys.readouterr().out.split())  # wrapped into lines
    assert " ".join(quiz.questions[0].prompt["ko"].split()) in printed
    # An explicit language still wins.
    assert format_quiz("lesson1-check", "en").startswith(quiz.title["en"])
