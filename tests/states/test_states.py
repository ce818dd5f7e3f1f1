"""The framework-neutral side: traces, the units that flip or switch, and the plots."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import rnncourse.states as states  # noqa: E402
from rnncourse.data.text import Vocabulary  # noqa: E402
from rnncourse.errors import CourseError  # noqa: E402
from rnncourse.i18n import set_language  # noqa: E402
from rnncourse.states import (  # noqa: E402
    GATE_FIELDS,
    MARK_COLOR,
    GateTrace,
    StateTrace,
    flipping_units,
    plot_gates,
    plot_state_flip,
    sentence_ids,
    switch_scores,
    switching_units,
)

FLIP = ("the movie was good .", "the movie was not good .")
PLURAL = ["the", "boy", "and", "tom", "near", "the", "car", "who", "saw", "the", "dogs"]
SINGULAR = ["the", "boy", "with", "tom", "near", "the", "car", "who", "saw", "the", "dogs"]


@pytest.fixture(autouse=True)
def english_and_no_open_figures():
    set_language("en")
    yield
    set_language("en")
    plt.close("all")


def state_pair(seed: int, hidden: int = 12, flip_unit: int = 7) -> tuple[StateTrace, StateTrace]:
    """Two random traces that end alike except for ``flip_unit``, which ends -0.9 vs +0.9.

    Another unit differs by more, but only in the middle of the sentence.
    """
    rng = np.random.default_rng(seed)
    tokens_a, tokens_b = FLIP[0].split(), FLIP[1].split()
    a = np.tanh(rng.normal(size=(len(tokens_a), hidden)))
    b = np.tanh(rng.normal(size=(len(tokens_b), hidden)))
    b[-1] = a[-1] + rng.normal(scale=0.05, size=hidden)  # the same final state, up to noise
    a[-1, flip_unit], b[-1, flip_unit] = -0.9, 0.9
    loud = (flip_unit + 3) % hidden
    a[2, loud], b[2, loud] = -1.0, 1.0  # a big difference that does not last
    return StateTrace(tokens_a, a), StateTrace(tokens_b, b)


def gate_trace(tokens: list[str], cell: np.ndarray, seed: int = 0) -> GateTrace:
    rng = np.random.default_rng(seed)
    fields = {name: rng.uniform(size=cell.shape) for name in GATE_FIELDS}
    fields["candidate"] = rng.uniform(-1, 1, size=cell.shape)
    fields["cell"] = cell
    fields["hidden"] = fields["output_gate"] * np.tanh(cell)
    return GateTrace(tokens, **fields)


def flag_pair(flag_unit: int = 5, hidden: int = 10, seed: int = 0) -> tuple[GateTrace, GateTrace]:
    """A plural sentence and its singular twin whose cells differ as a flag unit and decoys would.

    ``flag_unit`` jumps by 1.2 at "and" and stays there. Decoys: unit 0 jumps by 2.0 at "and"
    and falls back; unit 1 drifts apart only towards the end; unit 2 jumps and then crosses
    over to the other side.
    """
    rng = np.random.default_rng(seed)
    reference = rng.normal(scale=0.5, size=(len(PLURAL), hidden))
    cell = reference + rng.normal(scale=0.05, size=reference.shape)
    switch = PLURAL.index("and")
    cell[switch:, flag_unit] = reference[switch:, flag_unit] + 1.2
    cell[switch:switch + 2, 0] = reference[switch:switch + 2, 0] + 2.0
    cell[switch:, 1] = reference[switch:, 1] + np.linspace(0.0, 2.5, len(PLURAL) - switch)
    cell[switch:, 2] = reference[switch:, 2] + np.where(np.arange(len(PLURAL) - switch) < 3,
                                                         1.5, -1.5)
    return gate_trace(PLURAL, cell, seed), gate_trace(SINGULAR, reference, seed + 1)


# --- the package and its traces ----------------------------------------------------------------


def test_importing_the_neutral_package_loads_no_framework() -> None:
    code = ("import sys, rnncourse.states; "
            "loaded = [m for m in ('torch', 'tensorflow', 'keras', 'jax') if m in sys.modules]; "
            "assert not loaded, loaded")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_public_functions_have_docstrings() -> None:
    for name in states.__all__:
        assert getattr(states, name).__doc__.strip(), name


def test_traces_check_their_shapes() -> None:
    trace = StateTrace(["a", "b"], [[1, 2, 3], [4, 5, 6]])
    assert trace.tokens == ("a", "b") and trace.states.dtype == np.float64
    assert trace.hidden_size == 3 and trace.final.tolist() == [4.0, 5.0, 6.0]
    with pytest.raises(ValueError, match=r"states must have shape \(steps, hidden\) with 3 steps"):
        StateTrace(["a", "b", "c"], np.zeros((2, 4)))
    with pytest.raises(ValueError, match="at least one token"):
        StateTrace([], np.zeros((0, 4)))
    fields = {name: np.zeros((2, 4)) for name in GATE_FIELDS}
    assert GateTrace(["a", "b"], **fields).hidden_states().states.shape == (2, 4)
    with pytest.raises(ValueError, match="must share one shape"):
        GateTrace(["a", "b"], **{**fields, "cell": np.zeros((2, 5))})


def test_sentence_ids_refuses_unknown_words_by_name() -> None:
    vocab = Vocabulary(["<pad>", "<unk>", "the", "movie", "was", "good", "."])
    assert sentence_ids(vocab, "The movie was good.") == (
        ["the", "movie", "was", "good", "."], [2, 3, 4, 5, 6])
    with pytest.raises(CourseError) as error:
        sentence_ids(vocab, "the movie was not good , really")
    message = str(error.value)
    assert message.startswith("The word(s) 'not', ',', 'really' are not in this vocabulary")
    assert "\n" not in message and message.endswith(".")
    with pytest.raises(CourseError, match="has no words to trace"):
        sentence_ids(vocab, "   ")
    with pytest.raises(CourseError, match="not a dict"):
        sentence_ids({"the": 2}, "the")


# --- flipping and switching units ----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_flipping_units_finds_the_planted_unit_not_a_loud_one(seed) -> None:
    planted = [3, 7, 0, 11, 5][seed]
    a, b = state_pair(seed, flip_unit=planted)
    assert flipping_units(a, b, k=1) == [planted]
    assert flipping_units(b, a, k=1) == [planted]
    assert flipping_units(a, b, k=3)[0] == planted and len(flipping_units(a, b, k=3)) == 3


def test_flipping_units_refuses_traces_of_different_networks() -> None:
    a, _ = state_pair(0)
    with pytest.raises(ValueError, match="different sizes"):
        flipping_units(a, StateTrace(["x"], np.zeros((1, 5))))
    with pytest.raises(ValueError, match="k must be at most the 12 units"):
        flipping_units(a, a, k=13)


@pytest.mark.parametrize("flag_unit", [3, 5, 9])
def test_switching_units_finds_the_planted_flag_and_no_decoy(flag_unit) -> None:
    plural, singular = flag_pair(flag_unit)
    scores = switch_scores(plural, singular)
    assert scores[flag_unit] == pytest.approx(1.2, abs=0.2)
    assert max(scores[0], scores[1], scores[2]) < 0.2  # jumps back, drifts late, crosses over
    assert switching_units(plural, singular, k=3) == [flag_unit]
    assert switching_units(plural, singular, at="and", k=3) == [flag_unit]
    assert switching_units(plural, singular, at=2, k=3) == [flag_unit]
    # Measured from the start of the sentence, the flag's gap before "and" is only noise.
    assert switching_units(plural, singular, at=0, k=3) == []


def test_switching_units_needs_twin_sentences_of_the_same_length() -> None:
    plural, singular = flag_pair()
    with pytest.raises(ValueError, match="the same number of tokens"):
        switching_units(plural, gate_trace(PLURAL[:-1], singular.cell[:-1]))
    with pytest.raises(ValueError, match="The two sentences are the same"):
        switching_units(plural, plural)
    with pytest.raises(ValueError, match="The word 'boys' is not in the sentence"):
        switching_units(plural, singular, at="boys")
    with pytest.raises(TypeError, match="GateTrace"):
        switching_units(plural, plural.hidden_states())


# --- plots -------------------------------------------------------------------------------


def heatmaps(figure) -> list:
    """The figure's panels, leaving out colour bars (they have no title)."""
    return [ax for ax in figure.axes if ax.get_title(loc="left") or ax.get_title()]


def test_state_flip_plot_shows_both_sentences_and_marks_the_flipping_units() -> None:
    a, b = state_pair(0, flip_unit=7)
    figure = plot_state_flip(a, b, k=2)
    assert figure._suptitle.get_text() == "What the state remembers"
    left, right = heatmaps(figure)
    assert [left.get_title(), right.get_title()] == ["sentence 1", "sentence 2"]
    assert left.get_xlabel() == right.get_xlabel() == "token read"
    assert left.get_ylabel() == "state unit"
    assert [t.get_text() for t in right.get_xticklabels()] == FLIP[1].split()
    marked = [t.get_text() for t in left.get_yticklabels() if t.get_color() == MARK_COLOR]
    assert marked == sorted(str(u) for u in flipping_units(a, b, k=2)) and "7" in marked
    assert [t.get_text() for t in figure.legends[0].get_texts()] == [
        "units whose final state differs most"]
    shown = plot_state_flip(a, b, units=[7, 1], flipping=[1], title="Custom")
    assert shown._suptitle.get_text() == "Custom"
    assert [t.get_text() for t in heatmaps(shown)[0].get_yticklabels()] == ["7", "1"]
    with pytest.raises(ValueError, match=r"units \[12\] do not exist"):
        plot_state_flip(a, b, units=[12])
    with pytest.raises(ValueError, match=r"units \[-1\] do not exist"):
        plot_state_flip(a, b, flipping=[-1])


def test_gate_plot_has_a_titled_panel_per_gate_and_the_flag_lines() -> None:
    plural, singular = flag_pair(flag_unit=5)
    figure = plot_gates(plural)
    assert figure._suptitle.get_text() == "Inside the LSTM: gates and cell state"
    panels = heatmaps(figure)
    assert [ax.get_title(loc="left") for ax in panels] == [
        "input gate i", "forget gate f", "output gate o", "cell state C"]
    assert all(ax.get_ylabel() == "unit" for ax in panels)
    assert panels[-1].get_xlabel() == "token read"
    assert [t.get_text() for t in panels[-1].get_xticklabels()] == PLURAL
    flagged = plot_gates(plural, highlight=[5], reference=singular, title="Flags")
    panels = heatmaps(flagged)
    lines = panels[-1]
    assert flagged._suptitle.get_text() == "Flags" and len(panels) == 5
    assert lines.get_title(loc="left") == "cell state C of the highlighted units"
    assert lines.get_ylabel() == "cell state C" and lines.get_xlabel() == "token read"
    assert [t.get_text() for t in lines.get_legend().get_texts()] == [
        "unit 5", "unit 5, reference sentence"]
    assert np.allclose(lines.get_lines()[0].get_ydata(), plural.cell[:, 5])
    marked = [t.get_text() for t in panels[0].get_yticklabels() if t.get_color() == MARK_COLOR]
    assert marked == ["5"]
    with pytest.raises(ValueError, match=r"units \[10\] do not exist"):
        plot_gates(plural, highlight=[10])


def test_plot_texts_go_through_the_translation(monkeypatch) -> None:
    monkeypatch.setattr(states, "_", lambda text: f"<{text}>")
    a, b = state_pair(0)
    flip = plot_state_flip(a, b)
    assert flip._suptitle.get_text() == "<What the state remembers>"
    assert heatmaps(flip)[0].get_ylabel() == "<state unit>"
    plural, singular = flag_pair()
    gates = plot_gates(plural, highlight=[5])
    assert gates._suptitle.get_text() == "<Inside the LSTM: gates and cell state>"
    assert heatmaps(gates)[1].get_title(loc="left") == "<forget gate f>"


def test_large_networks_show_32_units_with_the_marked_ones_among_them() -> None:
    a, b = state_pair(1, hidden=40, flip_unit=37)
    figure = plot_state_flip(a, b, k=1)
    rows = [t.get_text() for t in heatmaps(figure)[0].get_yticklabels()]
    assert len(rows) == 32 and "37" in rows and rows == sorted(rows, key=int)
    # An LSTM's traces are compared through their hidden states.
    plural, singular = flag_pair()
    flip = plot_state_flip(plural, singular, k=1)
    expected = str(flipping_units(plural.hidden_states(), singular.hidden_states(), k=1)[0])
    assert [t.get_text() for t in heatmaps(flip)[1].get_yticklabels()
            if t.get_color() == MARK_COLOR] == [expected]
