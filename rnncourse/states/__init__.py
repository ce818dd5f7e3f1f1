"""What a recurrent network's state remembers: traces over one sentence, and their plots.

Framework-neutral (numpy and matplotlib only): the traces are computed by
:mod:`rnncourse.states.pytorch` and :mod:`rnncourse.states.tensorflow`, which offer
the same functions (``state_trace``, ``lstm_trace``, ``train_agreement_lstm``).

* Lesson 1: :func:`flipping_units` compares the final states of two sentences (with
  and without "not") and :func:`plot_state_flip` shows the state over both.
* Lesson 2: :func:`switching_units` finds the LSTM cell units that switch on where a
  sentence names a plural subject and stay on to the end (a "flag"), compared with its
  singular twin, and :func:`plot_gates` shows the gates and the cell state over one
  sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Patch

from rnncourse.data.text import Vocabulary, tokenize
from rnncourse.errors import CourseError
from rnncourse.i18n import N_, _
from rnncourse.plots import use_language_font

__all__ = [
    "GateTrace",
    "StateTrace",
    "TrainedLSTM",
    "flipping_units",
    "plot_gates",
    "plot_state_flip",
    "switch_scores",
    "switching_units",
    "unroll_lstm",
]

#: Most units a heatmap shows by default; beyond this it would be unreadable.
MAX_SHOWN_UNITS = 32
#: The colour that marks the units a plot points to.
MARK_COLOR = "C3"
#: Share of ``train_agreement_lstm``'s training sentences that stop early (see there).
AGREEMENT_STOP_EARLY = 0.5
#: Ids kept per sentence: the agreement data's longest has 40 tokens (five modifiers of 7).
AGREEMENT_MAX_LEN = 64


def _as_steps_by_units(name: str, values: object, steps: int) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != steps:
        raise ValueError(f"{name} must have shape (steps, hidden) with {steps} steps, "
                         f"not {array.shape}.")
    return array


@dataclass(frozen=True, eq=False)
class StateTrace:
    """A recurrent network's state over one text.

    Attributes:
        tokens: The text's tokens, in order.
        states: float64 array ``(steps, hidden)``: ``states[t]`` is the state after
            reading ``tokens[t]``, so the last row is the final state.
    """

    tokens: tuple[str, ...]
    states: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(self.tokens))
        if not self.tokens:
            raise ValueError("A trace needs at least one token.")
        object.__setattr__(self, "states",
                           _as_steps_by_units("states", self.states, len(self.tokens)))

    @property
    def hidden_size(self) -> int:
        """Number of state units."""
        return self.states.shape[1]

    @property
    def final(self) -> np.ndarray:
        """The state after the last token, ``(hidden,)``."""
        return self.states[-1]


#: The arrays of a :class:`GateTrace`, in the order the plots and tests use them.
GATE_FIELDS: tuple[str, ...] = ("input_gate", "forget_gate", "candidate", "output_gate",
                                "cell", "hidden")


@dataclass(frozen=True, eq=False)
class GateTrace:
    """An LSTM's gates and states over one text, each ``(steps, hidden)`` float64.

    At step ``t``, with ``x`` the embedding of ``tokens[t]``:
    ``cell[t] = forget_gate[t] * cell[t-1] + input_gate[t] * candidate[t]`` and
    ``hidden[t] = output_gate[t] * tanh(cell[t])``, starting from zero states.

    Attributes:
        tokens: The text's tokens, in order.
        input_gate: i, how much of the candidate is written (0 to 1).
        forget_gate: f, how much of the previous cell state is kept (0 to 1).
        candidate: g, the value proposed for writing (-1 to 1).
        output_gate: o, how much of the cell state is shown as h (0 to 1).
        cell: C, the cell state.
        hidden: h, the hidden state (the layer's output).
    """

    tokens: tuple[str, ...]
    input_gate: np.ndarray
    forget_gate: np.ndarray
    candidate: np.ndarray
    output_gate: np.ndarray
    cell: np.ndarray
    hidden: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", tuple(self.tokens))
        if not self.tokens:
            raise ValueError("A trace needs at least one token.")
        shapes = set()
        for name in GATE_FIELDS:
            array = _as_steps_by_units(name, getattr(self, name), len(self.tokens))
            object.__setattr__(self, name, array)
            shapes.add(array.shape)
        if len(shapes) != 1:
            raise ValueError(f"The gates and states of a GateTrace must share one shape, "
                             f"not {sorted(shapes)}.")

    @property
    def hidden_size(self) -> int:
        """Number of units."""
        return self.hidden.shape[1]

    def hidden_states(self) -> StateTrace:
        """The hidden states h as a :class:`StateTrace` (what the classifier reads)."""
        return StateTrace(self.tokens, self.hidden)


class TrainedLSTM(NamedTuple):
    """What ``train_agreement_lstm`` returns: unpack it as ``model, vocab, accuracy, seconds``.

    Attributes:
        model: The trained classifier, with ``embedding`` and ``lstm`` layers.
        vocab: The vocabulary its ids come from.
        test_accuracy: Accuracy on independent test sentences.
        seconds: Wall-clock time the training took.
    """

    model: object
    vocab: Vocabulary
    test_accuracy: float
    seconds: float


def sentence_ids(vocab: Vocabulary, text: str) -> tuple[list[str], list[int]]:
    """The tokens of ``text`` and their ids, refusing words the vocabulary lacks.

    A trace of ``<unk>`` would show the state for a different word than the reader
    sees, so unknown words are an error rather than silently replaced.

    Raises:
        CourseError: If ``vocab`` is not a Vocabulary, ``text`` has no tokens, or a
            word is not in the vocabulary (the sentence names it).
    """
    if not isinstance(vocab, Vocabulary):
        raise CourseError(_("The vocabulary must be the Vocabulary the model was trained "
                            "with (from encode_splits), not a {type}.").format(
                                type=type(vocab).__name__))
    tokens = tokenize(text)
    if not tokens:
        raise CourseError(_("The text {text!r} has no words to trace.").format(text=text))
    unknown = [token for token in tokens if token not in vocab]
    if unknown:
        raise CourseError(_("The word(s) {words} are not in this vocabulary: use words of the "
                            "model's training texts, and the vocabulary built from them.").format(
                                words=", ".join(repr(w) for w in dict.fromkeys(unknown))))
    return tokens, vocab.encode(tokens)


def unroll_lstm(tokens: Sequence[str], inputs: np.ndarray, kernel: np.ndarray,
                recurrent: np.ndarray, bias: np.ndarray) -> GateTrace:
    """An LSTM's gates and states over one sentence, recomputed in float64 from zero states.

    ``inputs`` is (steps, input_size); ``kernel`` (input_size, 4·hidden), ``recurrent``
    (hidden, 4·hidden) and ``bias`` (4·hidden,) hold the gates side by side in the order
    i, f, g, o (PyTorch's order; Keras's i, f, c, o is the same). At every step
    ``i, f, o = sigmoid(...)``, ``g = tanh(...)``, ``C = f * C + i * g``, ``h = o * tanh(C)``.
    """
    hidden = np.zeros(recurrent.shape[0])
    cell = np.zeros(recurrent.shape[0])
    steps: dict[str, list[np.ndarray]] = {name: [] for name in (
        "input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden")}
    for x in np.asarray(inputs, dtype=np.float64):
        i, f, g, o = np.split(x @ kernel + hidden @ recurrent + bias, 4)
        i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
        cell = f * cell + i * g
        hidden = o * np.tanh(cell)
        for name, value in zip(steps, (i, f, g, o, cell, hidden), strict=True):
            steps[name].append(value)
    return GateTrace(tokens, **{name: np.stack(values) for name, values in steps.items()})


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _check_count(name: str, value: int, minimum: int) -> None:
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}.")


def _final_hidden(trace: StateTrace | GateTrace) -> np.ndarray:
    if isinstance(trace, GateTrace):
        return trace.hidden[-1]
    if isinstance(trace, StateTrace):
        return trace.final
    raise TypeError(f"Expected a StateTrace or GateTrace, not a {type(trace).__name__}.")


def flipping_units(trace_a: StateTrace | GateTrace, trace_b: StateTrace | GateTrace,
                   k: int = 3) -> list[int]:
    """The ``k`` units whose final state differs most between two sentences.

    The final state is what the classifier reads, so these are the units that carry
    the difference between, say, "the movie was good" and "the movie was not good".
    For a :class:`GateTrace` the hidden state h is compared.

    Args:
        trace_a: The trace of one sentence.
        trace_b: The trace of the other, from the same network.
        k: How many units to return.

    Returns:
        Unit indices, largest absolute difference of the final states first.

    Raises:
        ValueError: If the traces have different numbers of units or ``k`` is out of range.
    """
    final_a, final_b = _final_hidden(trace_a), _final_hidden(trace_b)
    if final_a.shape != final_b.shape:
        raise ValueError(f"The traces come from networks of different sizes "
                         f"({final_a.shape[0]} and {final_b.shape[0]} units).")
    _check_count("k", k, 1)
    if k > final_a.shape[0]:
        raise ValueError(f"k must be at most the {final_a.shape[0]} units, not {k}.")
    difference = np.abs(final_a - final_b)
    # A stable sort keeps ties in unit order, so the result is reproducible.
    return [int(unit) for unit in np.argsort(-difference, kind="stable")[:k]]


def _step_index(tokens: Sequence[str], at: int | str) -> int:
    if isinstance(at, str):
        if at not in tokens:
            raise ValueError(f"The word {at!r} is not in the sentence {' '.join(tokens)!r}.")
        return list(tokens).index(at)
    step = int(at)
    if not 0 <= step < len(tokens):
        raise ValueError(f"at must be a step between 0 and {len(tokens) - 1}, not {at}.")
    return step


def _first_difference(trace: GateTrace, reference: GateTrace) -> int:
    for step, (token, other) in enumerate(zip(trace.tokens, reference.tokens, strict=True)):
        if token != other:
            return step
    raise ValueError("The two sentences are the same; give a reference sentence that differs "
                     "where the subject's number is decided, or the step `at`.")


def switch_scores(trace: GateTrace, reference: GateTrace, at: int | str | None = None
                  ) -> np.ndarray:
    """How firmly each cell unit switched at step ``at`` and stayed switched, ``(hidden,)``.

    ``trace`` and ``reference`` are two sentences of the same length from the same LSTM,
    alike except where the subject's number is decided: "the boy and tom near ..." and
    "the boy with tom near ...". The gap of unit ``j`` at step ``t`` is
    ``trace.cell[t, j] - reference.cell[t, j]``; its direction is the sign of the gap at
    the last step. The score is the smallest gap in that direction over every step from
    ``at`` to the end: how far apart the unit keeps the two sentences at its closest.
    A unit that switches at ``at`` and stays switched scores its smallest gap; one that
    reacts for a word and falls back, or never reacts, scores about 0 or below.

    Args:
        trace: The sentence that switches the flag on (e.g. a plural subject).
        reference: Its twin that does not (e.g. the singular subject).
        at: The step where the switch happens: an index, a word of ``trace`` (its first
            occurrence), or None for the first step where the sentences differ.

    Raises:
        ValueError: If the traces differ in length or size, or ``at`` is not a step.
    """
    for name, value in (("trace", trace), ("reference", reference)):
        if not isinstance(value, GateTrace):
            raise TypeError(f"{name} must be a GateTrace (from lstm_trace), "
                            f"not a {type(value).__name__}.")
    if trace.cell.shape != reference.cell.shape:
        raise ValueError(f"The two sentences must have the same number of tokens and come from "
                         f"the same LSTM, but their cell states have shapes {trace.cell.shape} "
                         f"and {reference.cell.shape}.")
    step = _first_difference(trace, reference) if at is None else _step_index(trace.tokens, at)
    gap = trace.cell[step:] - reference.cell[step:]
    return (gap * np.sign(gap[-1])).min(axis=0)


def switching_units(trace: GateTrace, reference: GateTrace, k: int = 1, *,
                    at: int | str | None = None, min_gap: float = 0.5) -> list[int]:
    """The cell units that switch where the subject becomes plural and stay switched: "flags".

    Criterion (see :func:`switch_scores`): compare ``trace`` (say "the boy and tom near
    the car ...") with a ``reference`` of the same length that differs only where the
    number is decided ("the boy with tom near the car ..."). A unit's score is the
    smallest gap between the two cell states, in the direction it ends up, over the
    steps from that word to the last. A flag unit jumps at "and" and keeps the
    sentences apart to the end, where the verb would agree; units that react to one
    word and fall back score near 0. Only units scoring at least ``min_gap`` count.

    Args:
        trace: The LSTM's trace of the sentence with the plural subject.
        reference: Its trace of the twin sentence with a singular subject.
        k: At most this many units are returned.
        at: The step where the switch should happen: an index, a word of ``trace``, or
            None for the first step where the two sentences differ.
        min_gap: The smallest score that counts as switching and staying switched.

    Returns:
        Up to ``k`` unit indices, highest score first; empty if no unit qualifies.

    Raises:
        ValueError: If the traces differ in length or size, ``at`` is not a step or word
            of the sentence, or ``k`` < 1.
    """
    _check_count("k", k, 1)
    scores = switch_scores(trace, reference, at)
    ranked = np.argsort(-scores, kind="stable")[:k]
    return [int(unit) for unit in ranked if scores[unit] >= min_gap]


# --- plots ------------------------------------------------------------------------------


def _units_to_show(units: Sequence[int] | None, hidden_size: int,
                   preferred: Sequence[int]) -> list[int]:
    """The given units, or every unit when they fit, else the preferred ones first."""
    if units is None:
        if hidden_size <= MAX_SHOWN_UNITS:
            return list(range(hidden_size))
        rest = [unit for unit in range(hidden_size) if unit not in preferred]
        return sorted([*preferred, *rest][:MAX_SHOWN_UNITS])
    shown = [int(unit) for unit in units]
    if not shown:
        raise ValueError("units must name at least one unit, or be None for all of them.")
    outside = [unit for unit in shown if not 0 <= unit < hidden_size]
    if outside:
        raise ValueError(f"units {outside} do not exist: the network has {hidden_size} units "
                         f"(0 to {hidden_size - 1}).")
    return shown


def _heatmap(ax: Axes, values: np.ndarray, tokens: Sequence[str], units: Sequence[int],
             marked: Sequence[int], *, cmap: str, limits: tuple[float, float]) -> AxesImage:
    """Units as rows, tokens as columns; the rows of ``marked`` units outlined and coloured."""
    image = ax.imshow(values[:, units].T, aspect="auto", cmap=cmap, vmin=limits[0],
                      vmax=limits[1], interpolation="nearest")
    ax.set_xticks(range(len(tokens)), tokens, rotation=60, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(units)), [str(unit) for unit in units])
    for row, (unit, label) in enumerate(zip(units, ax.get_yticklabels(), strict=True)):
        if unit in marked:
            # Colour, not bold: the Korean font has no bold face and matplotlib would warn.
            label.set_color(MARK_COLOR)
            ax.add_patch(plt.Rectangle((-0.5, row - 0.5), len(tokens), 1, fill=False,
                                       edgecolor=MARK_COLOR, linewidth=1.5))
    if len(units) > 16:  # keep the tick labels from overlapping
        ax.tick_params(axis="y", labelsize="x-small")
    return image


def _symmetric_limit(*arrays: np.ndarray) -> float:
    return max(float(np.abs(array).max()) for array in arrays) or 1.0


def plot_state_flip(trace_a: StateTrace | GateTrace, trace_b: StateTrace | GateTrace,
                    units: Sequence[int] | None = None, *, flipping: Sequence[int] | None = None,
                    k: int = 3, title: str = N_("What the state remembers")) -> Figure:
    """The state units over two sentences, side by side, with the units that flip marked.

    Each panel is a heatmap: one row per unit, one column per token, the colour the
    unit's value after reading that token. The rows of the units whose final state
    differs most (:func:`flipping_units`) are outlined and their numbers coloured.

    Args:
        trace_a: The trace of the first sentence (e.g. without "not").
        trace_b: The trace of the second (e.g. with "not"), from the same network.
        units: The units to show, in this order; default all of them (if there are more
            than 32, the flipping ones and the first others up to 32).
        flipping: The units to mark; default the ``k`` of :func:`flipping_units`.
        k: How many flipping units to find when ``flipping`` is not given.
        title: The figure's title, translated when drawn.

    Returns:
        The figure (two heatmaps and a colour bar).
    """
    marked = flipping_units(trace_a, trace_b, k) if flipping is None else [
        int(unit) for unit in flipping]
    traces = [trace.hidden_states() if isinstance(trace, GateTrace) else trace
              for trace in (trace_a, trace_b)]
    if marked:
        _units_to_show(marked, traces[0].hidden_size, [])  # reject units that do not exist
    shown = _units_to_show(units, traces[0].hidden_size, marked)
    limit = _symmetric_limit(*(trace.states for trace in traces))
    use_language_font()
    widths = [max(len(trace.tokens), 3) for trace in traces]
    fig, axes = plt.subplots(1, 2, figsize=(3 + 0.42 * sum(widths), 2.0 + 0.2 * len(shown)),
                             gridspec_kw={"width_ratios": widths}, layout="constrained")
    for index, (ax, trace) in enumerate(zip(axes, traces, strict=True)):
        image = _heatmap(ax, trace.states, trace.tokens, shown, marked, cmap="RdBu_r",
                         limits=(-limit, limit))
        ax.set(title=_("sentence {number}").format(number=index + 1), xlabel=_("token read"))
    axes[0].set_ylabel(_("state unit"))
    fig.colorbar(image, ax=list(axes), label=_("state value"), fraction=0.04)
    handle = Patch(fill=False, edgecolor=MARK_COLOR, label=_("units whose final state "
                                                             "differs most"))
    fig.legend(handles=[handle], loc="outside lower left", fontsize="small", frameon=False)
    fig.suptitle(_(title))
    return fig


#: The panels of :func:`plot_gates`: field, label, colour map, fixed limits (None: symmetric).
_GATE_PANELS = (
    ("input_gate", N_("input gate i"), "viridis", (0.0, 1.0)),
    ("forget_gate", N_("forget gate f"), "viridis", (0.0, 1.0)),
    ("output_gate", N_("output gate o"), "viridis", (0.0, 1.0)),
    ("cell", N_("cell state C"), "RdBu_r", None),
)


def plot_gates(trace: GateTrace, units: Sequence[int] | None = None, *,
               highlight: Sequence[int] = (), reference: GateTrace | None = None,
               title: str = N_("Inside the LSTM: gates and cell state")) -> Figure:
    """The input, forget and output gates and the cell state C over one sentence.

    Four heatmaps one above the other, sharing the tokens on the x axis: one row per
    unit, the colour the gate's value (0 to 1) or the cell state (blue negative, red
    positive) after reading each token. When ``highlight`` names units (for example
    the flags of :func:`switching_units`), their rows are outlined and a fifth panel
    draws their cell state as lines, where a unit that switches on and stays on shows
    as a step; with a ``reference`` sentence of the same length (the singular twin of
    :func:`switching_units`), its cell state is drawn dashed beside them.

    Args:
        trace: The LSTM's trace of one sentence, from ``lstm_trace``.
        units: The units to show in the heatmaps, in this order; default all of them (if
            there are more than 32, the highlighted ones and the first others up to 32).
        highlight: Units to mark, and to draw as lines.
        reference: Another sentence's trace, of the same length, whose highlighted units
            are drawn dashed for comparison.
        title: The figure's title, translated when drawn.

    Returns:
        The figure.
    """
    if not isinstance(trace, GateTrace):
        raise TypeError(f"plot_gates needs a GateTrace (from lstm_trace), "
                        f"not a {type(trace).__name__}.")
    marked = [int(unit) for unit in highlight]
    _units_to_show(marked or None, trace.hidden_size, [])  # reject units that do not exist
    if reference is not None and reference.cell.shape != trace.cell.shape:
        raise ValueError(f"The reference sentence must have as many tokens and units as the "
                         f"traced one, but their cell states have shapes "
                         f"{reference.cell.shape} and {trace.cell.shape}.")
    shown = _units_to_show(units, trace.hidden_size, marked)
    steps = len(trace.tokens)
    heights = [max(1.0, 0.12 * len(shown))] * len(_GATE_PANELS) + ([1.6] if marked else [])
    use_language_font()
    fig = plt.figure(figsize=(2.5 + 0.45 * max(steps, 6), 1.4 + sum(heights) * 1.1),
                     layout="constrained")
    # A narrow second column holds the colour bars, so every panel gets the same width.
    grid = fig.add_gridspec(len(heights), 2, height_ratios=heights, width_ratios=[1, 0.025])
    axes: list[Axes] = []
    for row, (field, label, cmap, limits) in enumerate(_GATE_PANELS):
        ax = fig.add_subplot(grid[row, 0], sharex=axes[0] if axes else None)
        values = getattr(trace, field)
        if limits is None:
            limit = _symmetric_limit(values)
            limits = (-limit, limit)
        image = _heatmap(ax, values, trace.tokens, shown, marked, cmap=cmap, limits=limits)
        ax.set_title(_(label), fontsize="medium", loc="left")
        ax.set_ylabel(_("unit"))
        fig.colorbar(image, cax=fig.add_subplot(grid[row, 1]))
        axes.append(ax)
    if marked:
        ax = fig.add_subplot(grid[len(_GATE_PANELS), 0], sharex=axes[0])
        # Line colours other than the marking colour, so a line is not read as a mark.
        colors = [f"C{i}" for i in range(10) if f"C{i}" != MARK_COLOR]
        for index, unit in enumerate(marked):
            color = colors[index % len(colors)]
            ax.plot(range(steps), trace.cell[:, unit], "-o", markersize=3, color=color,
                    label=_("unit {unit}").format(unit=unit))
            if reference is not None:
                ax.plot(range(steps), reference.cell[:, unit], "--", color=color, alpha=0.7,
                        label=_("unit {unit}, reference sentence").format(unit=unit))
        ax.axhline(0.0, color="gray", linewidth=0.8, linestyle=":")
        ax.set_title(_("cell state C of the highlighted units"), fontsize="medium", loc="left")
        ax.set_ylabel(_("cell state C"))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", loc="best")
        axes.append(ax)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    axes[-1].set_xlabel(_("token read"))
    axes[-1].set_xticks(range(steps), trace.tokens, rotation=60, ha="right",
                        rotation_mode="anchor")
    fig.suptitle(_(title))
    return fig
