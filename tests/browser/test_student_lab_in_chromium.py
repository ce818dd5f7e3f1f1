"""What a student sees in JupyterLab, in Chromium: lessons, quizzes, exercises, Validate."""

from __future__ import annotations

import itertools

import nbformat
import pytest

from rnncourse.diagrams import TITLES
from rnncourse.quiz import load_quiz
from rnncourse.quiz.grading import question_is_correct
from tests.browser.jupyterlab import (
    cell,
    cut_off_texts,
    menu,
    open_notebook,
    output_text,
    run_cell,
    set_source,
    wait_idle,
    wait_output,
)
from tests.conftest import REPO

pytestmark = pytest.mark.browser

LESSON = "01-rnn-pytorch/01-rnn-pytorch.ipynb"
#: Lesson 1 (PyTorch): the pre-lecture quiz, Exercise 1, its "try it" cell and its check.
QUIZ, EXERCISE, TRY_IT, CHECK = 3, 14, 16, 17


def _solution(index: int) -> str:
    notebook = nbformat.read(REPO / "solutions" / LESSON, as_version=4)
    return notebook.cells[index].source


def _right_options(quiz_id: str, question_id: str) -> list[str]:
    """The option ids that answer the question (found through the bank's hashed key)."""
    quiz = load_quiz(quiz_id)
    question = quiz.question(question_id)
    ids = [o.id for o in question.options]
    if question.kind == "single":
        return [next(i for i in ids if question_is_correct(quiz_id, question, i))]
    subsets = (list(c) for n in range(1, len(ids) + 1) for c in itertools.combinations(ids, n))
    return next(s for s in subsets if question_is_correct(quiz_id, question, s))


def _question(page, number: int):
    """The widgets of the quiz's question ``number`` (from 0)."""
    return cell(page, QUIZ).locator(".rnncourse-question").nth(number)


def test_the_english_lesson_runs_to_its_first_exercise_and_its_quiz_answers(page, own_copy):
    open_notebook(page, page.base, own_copy(LESSON))
    menu(page, "Run", "Run All Cells")
    # Run All stops at the first exercise, which the student has not written yet.
    stopped = wait_output(page, TRY_IT, "NotImplementedError")
    assert stopped == ("NotImplementedError: RNNCell.__init__ is not written yet: replace "
                       "`raise NotImplementedError()` (line 9 of its cell) with your code.")
    wait_idle(page)
    quiz = cell(page, QUIZ)
    assert quiz.locator("h3").inner_text() == load_quiz("lesson1-pre").title["en"]
    assert cut_off_texts(quiz) == []

    single = _question(page, 1)  # q2: choose one answer
    right = _right_options("lesson1-pre", "q2")[0]
    options = [o.id for o in load_quiz("lesson1-pre").question("q2").options]
    wrong = next(i for i in options if i != right)
    single.locator("input[type=radio]").nth(options.index(wrong)).check()
    single.get_by_role("button", name="Check").click()
    single.locator(".widget-html-content", has_text="✗ Not quite.").wait_for()
    single.locator("input[type=radio]").nth(options.index(right)).check()
    single.get_by_role("button", name="Check").click()
    single.locator(".widget-html-content", has_text="✓ Right.").wait_for()

    several = _question(page, 0)  # q1: choose all that apply
    boxes = several.locator("input[type=checkbox]")
    ids = [o.id for o in load_quiz("lesson1-pre").question("q1").options]
    for option in _right_options("lesson1-pre", "q1"):
        boxes.nth(ids.index(option)).check()
    several.get_by_role("button", name="Check").click()
    several.locator(".widget-html-content", has_text="✓ Right.").wait_for()


def test_exercise_one_fails_in_one_sentence_then_passes(page, own_copy):
    open_notebook(page, page.base, own_copy(LESSON))
    menu(page, "Run", "Run All Cells")
    wait_output(page, TRY_IT, "NotImplementedError")
    wait_idle(page)
    solution = _solution(EXERCISE)
    assert "torch.tanh" in solution
    set_source(page, EXERCISE, solution.replace("torch.tanh", "torch.relu"))  # classic slip
    run_cell(page, EXERCISE)
    run_cell(page, CHECK)
    failed = wait_output(page, CHECK, "CheckFailed")
    assert failed.startswith("CheckFailed: ") and len(failed.splitlines()) == 1, failed
    assert "rnncourse" not in failed and "Traceback" not in failed

    # A classic mistake the checks name: its title comes before the sentence.
    set_source(page, EXERCISE, solution.replace(" + state @ self.H", ""))
    run_cell(page, EXERCISE)
    run_cell(page, CHECK)
    named = wait_output(page, CHECK, "previous state ignored")
    assert named.startswith("CheckFailed [previous state ignored]: Your RNNCell ignores the "
                            "previous state") and len(named.splitlines()) == 1, named

    set_source(page, EXERCISE, solution)
    run_cell(page, EXERCISE)
    run_cell(page, CHECK)
    passed = wait_output(page, CHECK, "✓")
    assert passed.startswith("✓ RNNCell") and len(passed.splitlines()) == 1, passed


def _grade_cell(grade_id: str) -> int:
    """The index of the cell with nbgrader grade id ``grade_id`` in the English lesson."""
    notebook = nbformat.read(REPO / "lessons" / "en" / LESSON, as_version=4)
    return next(i for i, c in enumerate(notebook.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def test_backpropagation_by_hand_fails_in_one_sentence_then_checks_out(page, own_copy):
    exercise, check = _grade_cell("rnn_backward"), _grade_cell("test_rnn_backward")
    numeric, vanishing = check + 2, check + 6  # the gradient check and the Jacobian plot
    open_notebook(page, page.base, own_copy(LESSON))
    menu(page, "Run", "Run All Cells")
    wait_output(page, TRY_IT, "NotImplementedError")  # Run All stops at Exercise 1
    wait_idle(page)
    solution = _solution(exercise)
    derivative = " * (1 - states[:, i] ** 2)"
    assert derivative in solution
    set_source(page, exercise, solution.replace(derivative, ""))  # the classic slip
    run_cell(page, exercise)
    run_cell(page, check)
    failed = wait_output(page, check, "CheckFailed")
    assert failed.startswith("CheckFailed: The gradient of ") and len(failed.splitlines()) == 1

    set_source(page, exercise, solution)
    for index in (exercise, check, numeric, vanishing):
        run_cell(page, index)
    assert wait_output(page, check, "✓").startswith("✓ rnn_backward returns the same gradients")
    errors = wait_output(page, numeric, "relative error").splitlines()
    assert [line.split()[0] for line in errors] == ["X", "S0", "W", "H", "b"]
    assert all(float(line.split()[-1]) < 1e-7 for line in errors), errors
    plot = cell(page, vanishing).locator(".jp-OutputArea img")
    plot.wait_for()
    assert plot.evaluate("img => img.complete && img.naturalWidth > 300")


def test_the_korean_lesson_speaks_korean_up_to_its_first_exercise(page, own_copy):
    open_notebook(page, page.base, own_copy(f"ko/{LESSON}"))
    menu(page, "Run", "Run All Cells")
    stopped = wait_output(page, TRY_IT, "NotImplementedError")
    assert "아직 작성되지 않았습니다" in stopped and len(stopped.splitlines()) == 1
    wait_idle(page)
    assert cell(page, QUIZ).locator("h3").inner_text() == load_quiz("lesson1-pre").title["ko"]
    assert cut_off_texts(cell(page, QUIZ)) == []
    assert cell(page, QUIZ).get_by_role("button", name="확인").count() == 5


@pytest.mark.parametrize("edition", ["en", "ko"])
def test_the_lesson_shows_its_diagrams_in_its_language(page, own_copy, edition):
    path = LESSON if edition == "en" else f"ko/{LESSON}"
    notebook = nbformat.read(REPO / "lessons" / edition / LESSON, as_version=4)
    open_notebook(page, page.base, own_copy(path))
    for name in ("rnn-cell", "rnn-unrolled"):
        index = next(i for i, c in enumerate(notebook.cells)
                     if f"(figures/{name}.svg)" in c.source)
        shown = cell(page, index)
        shown.scroll_into_view_if_needed()
        image = shown.locator(f'img[alt="{TITLES[name][edition]}"]')
        image.wait_for()
        # Drawn, not a broken-image icon: the browser decoded the SVG next to the notebook.
        assert image.evaluate("img => img.complete && img.naturalWidth > 300"), name


def test_a_reopened_notebook_shows_its_widgets_not_model_not_found(page, own_copy):
    path = own_copy(LESSON)
    open_notebook(page, page.base, path)
    run_cell(page, 1)
    run_cell(page, QUIZ)
    cell(page, QUIZ).locator("h3").wait_for()
    page.keyboard.press("Control+s")
    page.locator(".jp-mod-current .jp-mod-dirty").wait_for(state="detached")
    menu(page, "Kernel", "Shut Down Kernel")
    page.locator(".jp-StatusBar-TextItem", has_text="No Kernel").wait_for()
    menu(page, "File", "Close Tab")
    open_notebook(page, page.base, path)
    cell(page, QUIZ).locator("h3").wait_for()
    assert "model not found" not in page.locator(".jp-NotebookPanel:visible").inner_text()
    assert cell(page, QUIZ).locator("h3").inner_text() == load_quiz("lesson1-pre").title["en"]


def _validate(page, path: str) -> str:
    open_notebook(page, page.base, path)  # Validate reads the saved file: no copy needed
    page.locator(".jp-Toolbar").get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".jp-Dialog-header").wait_for(timeout=300_000)
    return dialog.locator(".jp-Dialog-body").inner_text()


def test_validate_passes_a_solved_lesson(page):
    shown = _validate(page, "01-rnn-pytorch/solved.ipynb")
    assert "Success" in shown, shown


def test_validate_lists_each_unfinished_exercise_in_one_sentence(page):
    shown = _validate(page, LESSON)
    failures = shown.split("The following cell failed:")[1:]
    assert len(failures) == 6, shown  # the six checks of Lesson 1
    for failure in failures:
        source, *error = [line for line in failure.splitlines() if line.strip()]
        assert source.startswith("check_") and len(error) == 1, failure
    assert shown.count("is not written yet") == 5, shown
    assert "rnncourse/" not in shown and "Traceback" not in shown, shown


OWN_DATA = "04-own-data-pytorch/04-own-data-pytorch.ipynb"


def test_own_data_a_wrong_column_is_one_sentence_then_the_data_loads_and_shows(
        page, own_copy, student_lab, request):
    notebook = nbformat.read(REPO / "lessons" / "ko" / OWN_DATA, as_version=4)
    solution = nbformat.read(REPO / "solutions" / OWN_DATA, as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in notebook.cells]
    load, check = ids.index("load_data"), ids.index("test_data_loads")
    data = next(i for i, c in enumerate(notebook.cells) if c.source.startswith("DATA_FILE"))
    look, table = check + 2, check + 3  # the data set's plot, then its examples
    answer = ids.index("findings_data")
    path = own_copy(f"ko/{OWN_DATA}")
    rows = [f"{'a lovely warm film' if i % 2 else 'a dull cold film'} number {i},"
            f"{'good' if i % 2 else 'bad'}" for i in range(60)]
    (student_lab.notebooks / request.node.name / "reviews.csv").write_text(
        "review,rating\n" + "\n".join(rows) + "\n", encoding="utf-8")
    open_notebook(page, page.base, path)
    menu(page, "Run", "Run All Cells")
    wait_output(page, load, "NotImplementedError")  # Run All stops at Exercise 1
    wait_idle(page)

    # The student's file, but the worked example's column names still in place.
    set_source(page, data, notebook.cells[data].source.replace(
        "DATA_FILE = None", 'DATA_FILE = "reviews.csv"'))
    set_source(page, load, solution.cells[load].source)
    run_cell(page, data)
    run_cell(page, load)
    failed = wait_output(page, load, "DataError")
    assert len(failed.splitlines()) == 1 and "Traceback" not in failed, failed
    assert 'reviews.csv has no column "definition"; its columns are "review", "rating"' in failed

    set_source(page, data, 'DATA_FILE = "reviews.csv"\nTEXT_COLUMN = "review"\n'
                           'LABEL_COLUMN = "rating"')
    for index in (data, load, check):
        run_cell(page, index)
    passed = wait_output(page, check, "✓")
    assert passed == ("✓ 클래스 2개에 학습 텍스트 48개와 테스트 텍스트 12개가 있고, 양쪽에 모두 "
                      "있는 텍스트는 없습니다."), passed
    run_cell(page, look)
    run_cell(page, table)
    plot = cell(page, look).locator(".jp-OutputArea img")
    plot.wait_for()
    assert plot.evaluate("img => img.complete && img.naturalWidth > 300")
    assert "a lovely warm film" in output_text(page, table)

    # The findings: the rubric in Korean above, nbgrader's stub in the answer cell.
    cell(page, answer).scroll_into_view_if_needed()
    assert "채점 기준" in cell(page, answer - 1).inner_text()
    assert cell(page, answer).inner_text().strip() == "YOUR ANSWER HERE"
