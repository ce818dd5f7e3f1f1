"""The classic mistakes the checks can tell apart: an id and a short title for each.

A check that recognises a mistake raises ``CheckFailed(sentence, mistake=ID)``. The notebook
then shows the title before the sentence, ``CheckFailed [(c, h) returned for (h, c)]: Your
LSTMCell returns ...``, in the notebook's language. The grader reads that title back from the
graded notebook (:func:`mistake_in_output`), so its summary can count each mistake across a
class. A failure that shows only a symptom (a value that differs at some step) has no id.

``rnncourse mistakes`` prints this catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rnncourse.i18n import LANGUAGES, N_, _, gettext


@dataclass(frozen=True)
class Mistake:
    """One mistake: ``id`` is stable (ledgers and CSVs keep it); ``title`` is translated."""

    id: str
    title: str
    #: The checks that name it, for the catalogue's reader.
    checks: str


def _entries() -> tuple[Mistake, ...]:
    cell, layer = "check_rnn_cell", "check_rnn_layer"
    gated = "check_lstm_cell, check_lstm_layer, check_gru_cell, check_gru_layer"
    classifier = "check_classifier, check_padding_invariance"
    every = "every exercise"
    deep = "check_bidirectional, check_stacked"
    bptt = "check_rnn_backward"
    return (
        Mistake("unregistered-parameters", N_("parameters not registered"),
                f"{cell}, {gated}"),
        Mistake("parameter-count", N_("wrong number of parameters"), f"{cell}, {gated}"),
        Mistake("wrong-base-class", N_("wrong base class"), every),
        Mistake("not-a-tensor", N_("not a tensor"), every),
        Mistake("max-pair", N_("max's (values, indices) pair"), every),
        Mistake("wrong-return-structure", N_("wrong return structure"),
                f"{layer}, {gated}, {deep}"),
        Mistake("nan-values", N_("NaN or infinite values"), f"{cell}, {classifier}"),
        Mistake("no-tanh", N_("tanh missing"), cell),
        Mistake("nonzero-at-zero-weights", N_("not zero at zero weights"), cell),
        Mistake("ignores-input", N_("input ignored"), cell),
        Mistake("ignores-state", N_("previous state ignored"), f"{cell}, {layer}"),
        Mistake("ignores-initial-state", N_("initial state ignored"), f"{layer}, {gated}"),
        Mistake("no-gradient", N_("no gradient flows"), every),
        Mistake("unused-parameter", N_("parameter without gradient"), f"{cell}, {gated}"),
        Mistake("builtin-layer", N_("built-in layer used"), f"{gated}, {deep}"),
        Mistake("loading-error", N_("weight loading raised an error"),
                f"check_weight_loading, {gated}"),
        Mistake("state-order", N_("(c, h) returned for (h, c)"), gated),
        Mistake("gate-order", N_("gate order"), gated),
        Mistake("no-cell-attribute", N_("no self.cell"), gated),
        Mistake("kind-ignored", N_("kind ignored"), classifier),
        Mistake("probabilities", N_("probabilities instead of logits"), classifier),
        Mistake("first-token", N_("reads the first position"), "check_classifier"),
        Mistake("padding-changes-logits", N_("padding changes the logits"), classifier),
        Mistake("integer-mix", N_("integer and float tensors mixed"), every),
        Mistake("low-accuracy", N_("accuracy below the minimum"), "check_accuracy"),
        Mistake("split-overlap", N_("test texts also in training"), "check_dataset"),
        Mistake("below-baseline", N_("no better than the majority class"),
                "check_beats_baseline"),
        Mistake("reverse-flips-padding", N_("padding reversed too"), "check_reverse_padded"),
        Mistake("reverse-padding-first", N_("padding moved to the front"),
                "check_reverse_padded"),
        Mistake("reverse-changes-padding", N_("padding changed"), "check_reverse_padded"),
        Mistake("reverse-unchanged", N_("nothing reversed"), "check_reverse_padded"),
        Mistake("max-reads-padding", N_("maximum over padding"), "check_pooling"),
        Mistake("max-mask-zeros", N_("masked zeros beat negative values"), "check_pooling"),
        Mistake("mean-reads-padding", N_("padding averaged"), "check_pooling"),
        Mistake("mean-divides-by-steps", N_("divided by the batch's steps"), "check_pooling"),
        Mistake("final-states-structure", N_("final states not a flat tuple"), deep),
        Mistake("final-states-order", N_("final states in the wrong order"), deep),
        Mistake("final-state-from-padding", N_("final state read after the padding"), deep),
        Mistake("layers-not-from-make-layer", N_("layers not made by make_layer"), deep),
        Mistake("one-layer-both-directions", N_("one layer for both directions"),
                "check_bidirectional"),
        Mistake("backward-first", N_("backward outputs first"), "check_bidirectional"),
        Mistake("backward-not-reversed-back", N_("backward outputs not reversed back"),
                "check_bidirectional"),
        Mistake("backward-reversed-with-padding", N_("backward outputs reversed with padding"),
                "check_bidirectional"),
        Mistake("layer-count", N_("wrong number of layers"), "check_stacked"),
        Mistake("layer-never-called", N_("layer never called"), deep),
        Mistake("layer-reads-x", N_("later layer reads x"), "check_stacked"),
        Mistake("layer-input", N_("layer fed the wrong input"), deep),
        Mistake("inner-layer-returned", N_("outputs of an inner layer returned"),
                "check_stacked"),
        Mistake("dropout-on-outputs", N_("dropout on the outputs"), "check_stacked"),
        Mistake("dropout-in-eval", N_("dropout in eval mode"), "check_stacked"),
        Mistake("dropout-on-input", N_("dropout on the input"), "check_stacked"),
        Mistake("dropout-wrong", N_("not dropout between layers"), "check_stacked"),
        Mistake("dropout-missing", N_("no dropout between layers"), "check_stacked"),
        Mistake("dropout-scale", N_("dropout scaled wrongly"), "check_stacked"),
        Mistake("dropout-rate", N_("wrong dropout rate"), "check_stacked"),
        Mistake("graph-numpy", N_("NumPy inside tf.function"), "TensorFlow checks"),
        Mistake("graph-python-number", N_("Python number from a tensor"), "TensorFlow checks"),
        Mistake("graph-python-if", N_("Python if on a tensor"), "TensorFlow checks"),
        Mistake("bptt-return-structure", N_("gradients not returned by name"), bptt),
        Mistake("bptt-changed-inputs", N_("argument changed in place"), bptt),
        Mistake("graph-tensor-loop", N_("Python loop over a tensor"), "TensorFlow checks"),
        Mistake("graph-int-mix", N_("int32 and int64 mixed"), "TensorFlow checks"),
        Mistake("graph-eager-only", N_("works only eagerly"), "TensorFlow checks"),
    )


#: id -> mistake, in the catalogue's order.
CATALOGUE: dict[str, Mistake] = {mistake.id: mistake for mistake in _entries()}


def title(mistake_id: str, language: str | None = None) -> str:
    """The mistake's title in ``language`` (default: the notebook's)."""
    return gettext(CATALOGUE[mistake_id].title, language)


def label(mistake_id: str | None) -> str:
    """`` [title]``, what follows ``CheckFailed`` before the sentence; empty without an id."""
    return f" [{title(mistake_id)}]" if mistake_id in CATALOGUE else ""


@cache
def _by_title() -> dict[str, str]:
    """Every title, in every language, -> its id."""
    return {gettext(mistake.title, language): mistake.id
            for language in LANGUAGES for mistake in CATALOGUE.values()}


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LABELLED = re.compile(r"^CheckFailed \[(.+?)\]: ", re.MULTILINE)


def shown_title(output: dict) -> str | None:
    """The title of the mistake an error output of a notebook names, as shown, else None.

    ``output`` is an nbformat error output; the title is in its rendered traceback.
    """
    if output.get("output_type") != "error" or output.get("ename") != "CheckFailed":
        return None
    text = _ANSI.sub("", "\n".join(str(line) for line in output.get("traceback", [])))
    for found in _LABELLED.finditer(text):
        if found.group(1) in _by_title():
            return found.group(1)
    return None


def mistake_in_output(output: dict) -> str | None:
    """The id of the mistake an error output of a notebook names, else None."""
    shown = shown_title(output)
    return None if shown is None else _by_title()[shown]


def catalogue_text() -> str:
    """The catalogue as the command line prints it: id, title, and the checks that name it."""
    width = max(len(mistake_id) for mistake_id in CATALOGUE)
    lines = [_("{count} mistakes the checks name (id, title, checks):").format(
        count=len(CATALOGUE))]
    lines += [f"  {m.id:<{width}}  {title(m.id)} ({m.checks})" for m in CATALOGUE.values()]
    return "\n".join(lines)
