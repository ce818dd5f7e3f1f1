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
        "graded_single": "Choose one answer: write its option id as a string.",
        "graded_multiple": "Choose all answers that apply: write a list of their option ids.",
        "graded_numeric": "Write a number.",
        "graded_how": (
            "This quiz is graded, so it shows no right or wrong now. Write your answers in the "
            "answers cell below, one entry per question id; they are checked when your "
            "notebook is graded."
        ),
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
        "graded_single": "답을 하나 고르고 그 보기의 id를 문자열로 쓰십시오.",
        "graded_multiple": "해당하는 답을 모두 고르고 그 보기들의 id를 리스트로 쓰십시오.",
        "graded_numeric": "숫자로 쓰십시오.",
        "graded_how": (
            "채점되는 퀴즈이므로 지금은 정답 여부를 보여 주지 않습니다. 아래 answers 셀에 문제 "
            "id마다 답을 하나씩 쓰십시오. 답은 노트북을 채점할 때 확인합니다."
        ),
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


def format_quiz(name: str, language: str = "en", graded: bool = False) -> str:
    """The whole quiz as readable text, with option letters.

    ``graded=True`` is for a graded quiz: it tells how to write each answer in the ``answers``
    cell instead of how to get feedback, and shows nothing that depends on the key."""
    check_language(language)
    quiz = load_quiz(name)
    messages = MESSAGES[language]
    lines = [quiz.title[language], "=" * len(quiz.title[language]), ""]
    for number, question in enumerate(quiz.questions, start=1):
        lines.append(f"{messages['question']} {number} [{question.id}]: "
                     f"{question.prompt[language]}")
        hint = messages[f"graded_{question.kind}" if graded else question.kind]
        lines.append(f"  ({hint})")
        lines += [f"  {o.id}) {o.text[language]}" for o in question.options]
        lines.append("")
    lines.append(messages["graded_how"] if graded else messages["how"].format(quiz=quiz.id))
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


def display_bundle(box: Any, text: str) -> dict[str, Any]:
    """The display data of a widget with ``text`` as its plain-text form.

    A front end with widget support shows the widget; any other (a terminal, an HTML export, a
    front end without ipywidgets) shows the readable text instead of ``VBox(children=...)``."""
    bundle = dict(box._repr_mimebundle_())
    bundle["text/plain"] = text
    return bundle


def show_quiz(
    name: str, language: str = "en", interactive: bool | None = None, graded: bool = False
) -> list[QuestionWidget] | None:
    """Display the quiz: widgets in a notebook, else (or with interactive=False) plain text.

    With ``graded=True`` it always prints the questions and how to write the answers, and never
    a verdict or an explanation (no widgets, no Check button): for quizzes nbgrader grades."""
    check_language(language)
    if graded:
        print(format_quiz(name, language, graded=True))
        return None
    if interactive is None:
        interactive = widgets_available()
    if not interactive:
        print(format_quiz(name, language))
        return None
    import ipywidgets as w
    from IPython.display import display

    question_widgets = quiz_widgets(name, language)
    title = w.HTML(f"<h3>{html.escape(load_quiz(name).title[language])}</h3>")
    box = w.VBox([title, *(q.box for q in question_widgets)])
    display(display_bundle(box, format_quiz(name, language)), raw=True)
    return question_widgets
