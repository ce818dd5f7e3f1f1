"""Showing a quiz: ipywidgets in a notebook, plain text everywhere else."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from rnncourse.errors import CourseError
from rnncourse.i18n import N_, gettext, resolve_language
from rnncourse.quiz.bank import LANGUAGES, Question, Quiz, check_language, load_quiz
from rnncourse.quiz.grading import is_answered, question_is_correct

GRADED_REFUSAL = N_("{quiz!r} is graded, so it gives no verdict before grading: write your "
                    "answers in the answers cell, and the autograder will mark them.")
#: The widget's texts in English; :func:`messages` gives them in any language (the Korean
#: ones live in the library's catalog, rnncourse/locale/ko/LC_MESSAGES/rnncourse.po).
ENGLISH = {
    "right": N_("✓ Right"),
    "wrong": N_("✗ Not quite"),
    "unanswered": N_("Choose or type an answer first."),
    "check": N_("Check"),
    "single": N_("Choose one answer."),
    "multiple": N_("Choose all answers that apply."),
    "numeric": N_("Type a number."),
    "question": N_("Question"),
    "how": N_('Answer in code with answer("{quiz}", "<question id>", <value>).'),
    "graded_single": N_("Choose one answer: write its option id as a string."),
    "graded_multiple": N_("Choose all answers that apply: write a list of their option ids."),
    "graded_numeric": N_("Write a number."),
    "graded_how": N_(
        "This quiz is graded, so it shows no right or wrong now. Write your answers in the "
        "answers cell below, one entry per question id; they are checked when your "
        "notebook is graded."
    ),
}


def messages(language: str | None = None) -> dict[str, str]:
    """The widget's texts in ``language`` (default: the notebook's)."""
    return {key: gettext(text, language) for key, text in ENGLISH.items()}


class _ByLanguage(Mapping[str, dict[str, str]]):
    """``MESSAGES[language][key]``, read from the catalogs when asked."""

    def __getitem__(self, language: str) -> dict[str, str]:
        return messages(check_language(language))

    def __iter__(self) -> Iterator[str]:
        return iter(LANGUAGES)

    def __len__(self) -> int:
        return len(LANGUAGES)


MESSAGES: Mapping[str, dict[str, str]] = _ByLanguage()


def feedback(quiz: Quiz, question: Question, value: Any, language: str) -> str:
    """The feedback sentence plus the explanation, or a request to answer first."""
    texts = messages(check_language(language))
    if not is_answered(value):
        return texts["unanswered"]
    verdict = "right" if question_is_correct(quiz.id, question, value) else "wrong"
    return f"{texts[verdict]}. {question.explanation[language]}"


def answer(name: str, question_id: str, value: Any, language: str | None = None) -> str:
    """Text-mode answering: the feedback sentence plus the explanation.

    ``language`` defaults to the notebook's (:func:`rnncourse.i18n.set_language`), as in
    every function here."""
    language = resolve_language(language)
    quiz = _practice_quiz(name, language)
    return feedback(quiz, quiz.question(question_id), value, language)


def _practice_quiz(name: str, language: str) -> Quiz:
    """The quiz ``name``, unless it is graded: a verdict now would let a student try every
    option until one is right."""
    quiz = load_quiz(name)
    if quiz.graded:
        raise CourseError(gettext(GRADED_REFUSAL, language).format(quiz=name))
    return quiz


#: Columns of printed quiz text: the notebook wraps longer lines anywhere, even mid-word.
TEXT_WIDTH = 88


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font (Hangul and other wide characters: two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def wrap(text: str, first: str = "", rest: str = "", width: int = TEXT_WIDTH) -> list[str]:
    """``text`` broken at spaces into lines of at most ``width`` columns (a longer word keeps a
    line of its own), the first line starting with ``first`` and the others with ``rest``."""
    lines, line = [], first
    for word in text.split():
        if line.strip() and display_width(f"{line} {word}") > width:
            lines.append(line)
            line = rest + word
        else:
            line = f"{line} {word}" if line.strip() and not line.endswith(" ") else line + word
    lines.append(line)
    return lines


def format_quiz(name: str, language: str | None = None, graded: bool = False) -> str:
    """The whole quiz as readable text, with option letters.

    ``graded=True`` is for a graded quiz: it tells how to write each answer in the ``answers``
    cell instead of how to get feedback, and shows nothing that depends on the key."""
    language = resolve_language(language)
    quiz = load_quiz(name)
    texts = messages(language)
    lines = [quiz.title[language], "=" * display_width(quiz.title[language]), ""]
    for number, question in enumerate(quiz.questions, start=1):
        lines += wrap(f"{texts['question']} {number} [{question.id}]: "
                      f"{question.prompt[language]}", rest="  ")
        hint = texts[f"graded_{question.kind}" if graded else question.kind]
        lines += wrap(f"({hint})", first="  ", rest="   ")
        for o in question.options:
            lines += wrap(o.text[language], first=f"  {o.id}) ", rest=" " * (len(o.id) + 4))
        lines.append("")
    lines += wrap(texts["graded_how"] if graded else texts["how"].format(quiz=quiz.id))
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

    def __init__(self, quiz: Quiz, question: Question, language: str | None = None) -> None:
        import ipywidgets as w

        self.quiz, self.question = quiz, question
        self.language = language = resolve_language(language)
        texts = messages(language)
        self.feedback_text = ""
        self.prompt = w.HTML(f"<b>{html.escape(question.prompt[language])}</b>")
        if question.kind == "single":
            self.input: Any = w.RadioButtons(
                options=[(o.text[language], o.id) for o in question.options],
                value=None, layout=w.Layout(width="auto"),
            )
        elif question.kind == "multiple":
            # A Checkbox's own description is one line cut off with "…" past 300 px, so each
            # option's text is an HTML widget beside its box, which wraps like any paragraph.
            self.checkboxes = {
                o.id: w.Checkbox(value=False, indent=False, layout=w.Layout(width="2em"))
                for o in question.options
            }
            self.input = w.VBox([
                w.HBox([self.checkboxes[o.id],
                        w.HTML(html.escape(o.text[language]), layout=w.Layout(flex="1 1 auto"))],
                       layout=w.Layout(align_items="center"))
                for o in question.options
            ])
        else:
            self.input = w.Text(placeholder=texts["numeric"])
        self.button = w.Button(description=texts["check"])
        self.button.on_click(lambda _button: self.check())
        self.feedback = w.HTML("")
        self.box = w.VBox([self.prompt, self.input, self.button, self.feedback])
        self.box.add_class("rnncourse-question")  # a handle for the browser tests

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


def quiz_widgets(name: str, language: str | None = None) -> list[QuestionWidget]:
    """One :class:`QuestionWidget` per question, without displaying them."""
    language = resolve_language(language)
    quiz = _practice_quiz(name, language)
    return [QuestionWidget(quiz, q, language) for q in quiz.questions]


def display_bundle(box: Any, text: str) -> dict[str, Any]:
    """The display data of a widget with ``text`` as its plain-text form.

    A front end with widget support shows the widget; any other (a terminal, an HTML export, a
    front end without ipywidgets) shows the readable text instead of ``VBox(children=...)``."""
    bundle = dict(box._repr_mimebundle_())
    bundle["text/plain"] = text
    return bundle


def show_quiz(
    name: str, language: str | None = None, interactive: bool | None = None,
    graded: bool = False,
) -> list[QuestionWidget] | None:
    """Display the quiz: widgets in a notebook, else (or with interactive=False) plain text.

    With ``graded=True``, or for a bank marked graded, it prints the questions and how to write
    the answers, and never a verdict or an explanation (no widgets, no Check button): for
    quizzes nbgrader grades.
    ``language`` defaults to the one the notebook chose with ``set_language``."""
    language = resolve_language(language)
    if graded or load_quiz(name).graded:
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
