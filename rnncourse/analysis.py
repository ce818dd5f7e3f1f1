"""Reading a data set and a model's errors, for Lesson 4 (no framework: labels and texts only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnncourse.data import TextClassificationData, tokenize
from rnncourse.i18n import _


def token_lengths(data: TextClassificationData) -> np.ndarray:
    """How many tokens each text has, as the course's tokenizer splits it."""
    return np.array([len(tokenize(text)) for text in data.texts], dtype=np.int64)


def covering_length(data: TextClassificationData, share: float = 0.95) -> int:
    """The smallest length that holds ``share`` of the texts whole: a choice of ``max_len``."""
    if not 0 < share <= 1:
        raise ValueError(f"share must lie in (0, 1], not {share}.")
    lengths = token_lengths(data)
    return max(int(np.ceil(np.quantile(lengths, share))), 1) if len(lengths) else 1


def examples(data: TextClassificationData, per_class: int = 2, seed: int = 0) -> str:
    """A Markdown table with ``per_class`` texts of every class, drawn at random."""
    rng = np.random.default_rng(seed)
    lines = [f"| {_('class')} | {_('text')} |", "|---|---|"]
    for label, name in enumerate(data.classes):
        members = np.flatnonzero(data.labels == label)
        for index in rng.choice(members, size=min(per_class, len(members)), replace=False):
            lines.append(f"| {_cell(name)} | {_cell(data.texts[index])} |")
    return "\n".join(lines)


def confusion(labels: Sequence[int], predictions: Sequence[int], num_classes: int) -> np.ndarray:
    """Counts: ``matrix[true, predicted]`` texts of class ``true`` predicted as ``predicted``."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.shape != predictions.shape:
        raise ValueError(f"{len(labels)} labels but {len(predictions)} predictions; predict "
                         "every text of the split, in its order.")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def most_confused(matrix: np.ndarray, classes: Sequence[str], top: int = 3) -> str:
    """One line per most frequent confusion: ``true -> predicted: count (share of true)``."""
    pairs = [(int(matrix[t, p]), t, p) for t in range(len(classes)) for p in range(len(classes))
             if t != p and matrix[t, p]]
    lines = []
    for count, true, predicted in sorted(pairs, reverse=True)[:top]:
        share = count / max(int(matrix[true].sum()), 1)
        lines.append(_("{true} read as {predicted}: {count} texts ({share:.1%} of {true})").format(
            true=classes[true], predicted=classes[predicted], count=count, share=share))
    return "\n".join(lines) if lines else _("No text was misclassified.")


def misclassified(data: TextClassificationData, predictions: Sequence[int], n: int = 10,
                  seed: int = 0) -> str:
    """A Markdown table of ``n`` misclassified texts, drawn at random: the text, its true
    class and the predicted one."""
    predictions = np.asarray(predictions)
    if len(predictions) != len(data):
        raise ValueError(f"{len(predictions)} predictions for {len(data)} texts; predict every "
                         "text of the split, in its order.")
    wrong = np.flatnonzero(predictions != data.labels)
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(wrong, size=min(n, len(wrong)), replace=False))
    header = [_("text"), _("true class"), _("predicted class")]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for index in chosen:
        row = [data.texts[index], data.classes[data.labels[index]],
               data.classes[predictions[index]]]
        lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    return "\n".join(lines)


def _cell(text: str, limit: int = 160) -> str:
    """Text fit for a Markdown table cell: one line, no pipes, not too long."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 1] + "…"
