"""The classic-mistake catalogue: each named mistake fails with its id, is shown with its title
in the notebook's language, and is read back from a graded notebook's outputs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rnncourse.checks import mistakes
from rnncourse.checks.mistakes import CATALOGUE, mistake_in_output, shown_title, title
from rnncourse.errors import CheckFailed
from rnncourse.i18n import LANGUAGES, set_language
from rnncourse.tracebacks import sentence_lines

CHECKS = Path(mistakes.__file__).parent


def _ids_raised_in_source() -> set[str]:
    text = "".join(path.read_text(encoding="utf-8") for path in CHECKS.glob("*.py"))
    return (set(re.findall(r'mistake="([a-z0-9-]+)"', text))
            | set(re.findall(r'\(\([^()]*\), "(graph-[a-z-]+)",', text)))


def test_every_id_a_check_raises_is_in_the_catalogue_and_every_entry_is_raised():
    raised = _ids_raised_in_source()
    assert raised - set(CATALOGUE) == set()
    assert set(CATALOGUE) - raised == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_titles_are_distinct_in_each_language(language):
    titles = [title(mistake_id, language) for mistake_id in CATALOGUE]
    assert len(set(titles)) == len(titles)
    if language == "ko":
        assert all(re.search("[가-힣]", t) for t in titles)


def _error_output(error: CheckFailed) -> dict:
    """The nbformat error output a kernel writes for ``error`` (its rendered traceback)."""
    return {"output_type": "error", "ename": type(error).__name__, "evalue": str(error),
            "traceback": sentence_lines(error)}


@pytest.mark.parametrize(("language", "label"), [("en", "[gate order]"), ("ko", "[게이트 순서]")])
def test_a_named_mistake_shows_its_title_and_is_read_back_in_each_language(language, label):
    set_language(language)
    try:
        error = CheckFailed("Your LSTMCell swaps i and f.", mistake="gate-order")
        line = re.sub(r"\x1b\[[0-9;]*m", "", sentence_lines(error)[0])
        assert line == f"CheckFailed {label}: Your LSTMCell swaps i and f."
        output = _error_output(error)
        assert mistake_in_output(output) == "gate-order"
        assert shown_title(output) == label[1:-1]
    finally:
        set_language("en")


def test_a_symptom_has_no_label_and_no_id():
    error = CheckFailed("The outputs differ at step 3.")
    assert re.sub(r"\x1b\[[0-9;]*m", "", sentence_lines(error)[0]) == (
        "CheckFailed: The outputs differ at step 3.")
    assert mistake_in_output(_error_output(error)) is None


def test_only_a_check_failure_with_a_catalogue_title_counts():
    forged = {"output_type": "error", "ename": "CheckFailed", "evalue": "",
              "traceback": ["CheckFailed [my own title]: nothing"]}
    assert mistake_in_output(forged) is None
    other = {"output_type": "error", "ename": "ValueError", "evalue": "",
             "traceback": ["CheckFailed [gate order]: printed by the student"]}
    assert mistake_in_output(other) is None
    assert mistake_in_output({"output_type": "stream", "text": "[gate order]"}) is None


def _students(framework: str):
    """(checks, Lesson 1 students, Lesson 2 students, Lesson 3 students) of a framework."""
    if framework == "pytorch":
        from rnncourse.checks import pytorch as checks

        from . import deep_students_torch as deep
        from . import gated_students_torch as gated
        from . import students_torch as plain
    else:
        from rnncourse.checks import tensorflow as checks

        from . import deep_students_keras as deep
        from . import gated_students_keras as gated
        from . import students_keras as plain
    return checks, plain, gated, deep


#: (mistake id, the check, what it is given), the same in both frameworks' corpora.
NAMED = [
    ("ignores-state", "check_rnn_cell", lambda p, g, d: (p.IgnoresStateCell,)),
    ("parameter-count", "check_rnn_cell", lambda p, g, d: (p.MissingBiasCell,)),
    ("probabilities", "check_classifier", lambda p, g, d: (p.SoftmaxClassifier,)),
    ("first-token", "check_classifier", lambda p, g, d: (p.FirstTokenClassifier,)),
    ("gate-order", "check_lstm_cell", lambda p, g, d: (g.GateOrderLSTMCell, g.load_fused_lstm)),
    ("state-order", "check_lstm_cell",
     lambda p, g, d: (g.SwappedOutputLSTMCell, g.load_fused_lstm)),
    ("kind-ignored", "check_padding_invariance", lambda p, g, d: (g.IgnoresKindClassifier,)),
    ("reverse-flips-padding", "check_reverse_padded", lambda p, g, d: (d.reverse_flip_all,)),
]


@pytest.mark.parametrize(("mistake", "check", "given"), NAMED, ids=[n[0] for n in NAMED])
@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_the_visible_check_names_the_mistake_by_its_id(framework, mistake, check, given):
    checks, plain, gated, deep = _students(framework)
    with pytest.raises(CheckFailed) as failure:
        getattr(checks, check)(*given(plain, gated, deep), thorough=False)
    assert failure.value.mistake == mistake, str(failure.value)


def test_the_graph_run_names_its_construct():
    from rnncourse.checks import tensorflow as checks

    from . import graph_students_keras as graph

    with pytest.raises(CheckFailed) as failure:
        checks.check_classifier(graph.NumpyIndexClassifier, thorough=False)
    assert failure.value.mistake == "graph-numpy", str(failure.value)


def test_the_command_line_lists_the_catalogue(capsys):
    from rnncourse.cli import main

    assert main(["mistakes", "--language", "ko"]) == 0
    printed = capsys.readouterr().out
    assert "검사가 알려 주는 실수" in printed and "gate-order" in printed
    assert all(mistake_id in printed for mistake_id in CATALOGUE)
    set_language("en")
