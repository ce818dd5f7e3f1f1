"""Lesson 4's reading of a data set and of a model's errors (rnncourse.analysis)."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.analysis import (
    confusion,
    covering_length,
    examples,
    misclassified,
    most_confused,
    token_lengths,
)
from rnncourse.data import TextClassificationData

CLASSES = ("animal", "food", "plant")


def data() -> TextClassificationData:
    texts = ["a cat", "a large dog | with a bark", "bread", "an apple pie baked", "a tree",
             "a small red flower of the meadow"]
    return TextClassificationData(texts, [0, 0, 1, 1, 2, 2], CLASSES)


def test_lengths_and_the_covering_length():
    assert list(token_lengths(data())) == [2, 7, 1, 4, 2, 7]
    assert covering_length(data(), share=0.5) == 3
    assert covering_length(data(), share=1.0) == 7
    with pytest.raises(ValueError, match=r"share must lie in \(0, 1\]"):
        covering_length(data(), share=0)


def test_the_confusion_matrix_counts_true_against_predicted():
    matrix = confusion([0, 0, 1, 1, 2, 2], [0, 1, 1, 2, 2, 2], 3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 1], [0, 0, 2]]
    with pytest.raises(ValueError, match="6 labels but 5 predictions"):
        confusion([0] * 6, [0] * 5, 3)


def test_the_most_confused_pairs_come_first():
    matrix = np.array([[5, 3, 0], [1, 6, 0], [0, 2, 4]])
    lines = most_confused(matrix, CLASSES, top=2).splitlines()
    assert lines == ["animal read as food: 3 texts (37.5% of animal)",
                     "plant read as food: 2 texts (33.3% of plant)"]
    assert most_confused(np.eye(3, dtype=int), CLASSES) == "No text was misclassified."


def test_misclassified_lists_only_wrong_predictions_as_a_table():
    predictions = np.array([0, 2, 1, 1, 2, 0])
    table = misclassified(data(), predictions, n=10).splitlines()
    assert table[0] == "| text | true class | predicted class |"
    assert table[2:] == ["| a large dog \\| with a bark | animal | plant |",
                         "| a small red flower of the meadow | plant | animal |"]
    with pytest.raises(ValueError, match="5 predictions for 6 texts"):
        misclassified(data(), predictions[:5])


def test_examples_shows_each_class():
    table = examples(data(), per_class=1, seed=0).splitlines()
    assert len(table) == 2 + 3
    assert [row.split(" | ")[0] for row in table[2:]] == ["| animal", "| food", "| plant"]
