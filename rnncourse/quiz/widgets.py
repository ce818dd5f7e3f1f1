"""Showing a quiz: ipywidgets in a notebook, plain text everywhere else."""

from __future__ import annotations

import html
from typing import Any

from rnncourse.quiz.bank import Question, Quiz, check_language, load_quiz
from rnncourse.quiz.grading import is_answered, question_is_correct

MESSAGES = {
    "en": {
        "right": "✓ Right",
        "wrong": "✗ Not quite",
        "unanswered": "Choose or type an answer first.",
        "check": "Check",
        "single": "Choose one answer.",
        "multiple": "Choose all answers that apply.",
        "numeric": "Type a number.",
        "question": "Question",
        "how": 'Answer in code with answer("{quiz}", "<question id>", <value>, language="en").',
    },
    "ko": {
        "right": "✓ 정답입니다",
        "wrong": "✗ 아쉽지만 틀렸습니다",
        "unanswered": "먼저 답을 고르거나 입력하십시오.",
        "check": "확인",
        "single": "답을 하나 고르십시오.",
        "multiple": "해당하는 답을 모두 고르십시오.",
        "numeric": "숫자를 입력하십시오.",
        "question": "문제",
        "how": '코드로 답하려면 answer("{quiz}", "<문제 id>", <값>, language="ko")를 쓰십시오.',
    },
}


def feedback(quiz: Quiz, question: Question, value: Any, language: str) -> str:
    """The feedback sentence plus the explanation, or a request to answer first."""
    messages = MESSAGES[check_language(language)]
    if not is_answered(value):
        return messages["unanswered"]
    verdict = "right" if question_is_correct(quiz.id, question, value) else "wrong"
    return f"{messages[verdict]}. {question.explanation[language]}"


def answer(name: str, question_id: str, value: Any, language: str = "en") -> str:
    """Text-mode answering: the feedback sentence plus the explanation."""
    check_language(language)
    quiz = load_quiz(name)
    return feedback(quiz, quiz.question(question_id), value, language)


def format_quiz(name: str, language: str = "en") -> str:
    """The whole quiz as readable text, with option letters."""
    check_language(language)
    quiz = load_quiz(name)
    messages = MESSAGES[language]
    lines = [quiz.title[language], "=" * len(quiz.title[language]), ""]
    for number, question in enumerate(quiz.questions, start=1):
        lines.append(f"{messages['question']} {number} [{question.id}]: "
                     f"{question.prompt[language]}")
        lines.append(f"  ({messages[question.kind]})")
        lines += [f"  {o.id}) {o.text[language]}" for o in question.options]
        lines.append("")
    lines.append(messages["how"].format(quiz=quiz.id))
    return "\n".join(lines)


def widgets_available() -> bool:
    """True when ipywidgets imports and we run inside an IPython kernel (a widget front end)."""
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class QuestionWidget:
    """One question's widgets; tests drive it with ``select``, ``check`` and ``feedback_text``."""

    def __init__(self, quiz: Quiz, question: Question, language: str = "en") -> None:
        import ipywidgets as w

        self.quiz, self.question = quiz, question
        self.language = check_language(language)
        messages = MESSAGES[language]
        self.feedback_text = ""
        self.prompt = w.HTML(f"<b>{html.escape(question.prompt[language])}</b>")
        if question.kind == "single":
            self.input: Any = w.RadioButtons(
                options=[(o.text[language], o.id) for o in question.options],
                value=None, layout=w.Layout(width="auto"),
            )
        elif question.kind == "multiple":
            self.checkboxes = {
                o.id: w.Checkbox(value=False, description=o.text[language], indent=False)
                for o in question.options
            }
            self.input = w.VBox(list(self.checkboxes.values()))
        else:
            self.input = w.Text(placeholder=messages["numeric"])
        self.button = w.Button(description=messages["check"])
        self.button.on_click(lambda _button: self.check())
        self.feedback = w.HTML("")
        self.box = w.VBox([self.prompt, self.input, self.button, self.feedback])

    @property
    def value(self) -> Any:
        if self.question.kind == "multiple":
            return [i for i, box in self.checkboxes.items() if box.value]
        return self.input.value

    def select(self, value: Any) -> None:
        """Set the answer as a student would: an option id, a list of ids, or a number."""
        if self.question.kind == "multiple":
            chosen = {value} if isinstance(value, str) else set(value)
            for option_id, box in self.checkboxes.items():
                box.value = option_id in chosen
        elif self.question.kind == "single":
            self.input.value = value
        else:
            self.input.value = str(value)

    def check(self) -> str:
        """Grade the current answer and show the feedback; returns its text."""
        self.feedback_text = feedback(self.quiz, self.question, self.value, self.language)
        right = self.feedback_text.startswith("✓")
        color = "green" if right else ("#b00" if self.feedback_text.startswith("✗") else "#555")
        self.feedback.value = (
            f'<span style="color:{color}">{html.escape(self.feedback_text)}</span>'
        )
        return self.feedback_text


def quiz_widgets(name: str, language: str = "en") -> list[QuestionWidget]:
    """One :class:`QuestionWidget` per question, without displaying them."""
    check_language(language)
    quiz = load_quiz(name)
    return [QuestionWidget(quiz, q, language) for q in quiz.questions]


def show_quiz(
    name: str, language: str = "en", interactive: bool | None = None
) -> list[QuestionWidget] | None:
    """Display the quiz: widgets in a notebook, else (or with interactive=False) plain text."""
    check_language(language)
    if interactive is None:
        interactive = widgets_available()
    if not interactive:
        print(format_quiz(name, language))
        return None
    import ipywidgets as w
    from IPython.display import display

    question_widgets = quiz_widgets(name, language)
    title = w.HTML(f"<h3>{html.escape(load_quiz(name).title[language])}</h3>")
    display(w.VBox([title, *(q.box for q in question_widgets)]))
    return question_widgets
