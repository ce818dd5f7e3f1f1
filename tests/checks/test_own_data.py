"""Lesson 4's automatic checks: each passes on what a right notebook makes and fails, in one
sentence, on the mistake it is there for."""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.checks.own_data import (
    check_beats_baseline,
    check_comparison,
    check_dataset,
    majority_baseline,
)
from rnncourse.data import TextClassificationData, stratified_split
from rnncourse.errors import CheckFailed
from rnncourse.training import EpochRecord, History, comparison_table

CLASSES = ("animal", "food", "plant")


def data(n: int = 60) -> TextClassificationData:
    labels = np.repeat([0, 1, 2], [n // 2, n // 4, n - n // 2 - n // 4])  # half are animal
    return TextClassificationData([f"text number {i}" for i in range(n)], labels, CLASSES)


def history(test_accuracy: float) -> History:
    run = History(device="cpu")
    run.epochs.append(EpochRecord(epoch=1, train_loss=1.0, train_accuracy=0.5, test_loss=1.0,
                                  test_accuracy=test_accuracy, seconds=1.0))
    return run


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message.endswith(".")
    return message


def test_a_stratified_split_passes(capsys):
    train, test = stratified_split(data(), test_fraction=0.2, seed=0)
    check_dataset(train, test)
    assert capsys.readouterr().out.startswith("✓ 48 training and 12 test texts in 3 classes")


def test_a_text_in_both_splits_is_named():
    train, test = stratified_split(data(), test_fraction=0.2, seed=0)
    leaky = TextClassificationData(test.texts[:2] + train.texts, np.concatenate(
        [test.labels[:2], train.labels]), CLASSES)
    with pytest.raises(CheckFailed) as error:
        check_dataset(leaky, test)
    assert error.value.mistake == "split-overlap"
    assert one_line(error).startswith(f'2 of the 12 test texts are also training texts, such as '
                                      f'"{test.texts[0]}"')


def test_the_same_data_twice_is_an_overlap():
    whole = data()
    with pytest.raises(CheckFailed, match="60 of the 60 test texts"):
        check_dataset(whole, whole)


@pytest.mark.parametrize(("train", "test", "said"), [
    (None, data(), "train_data is a NoneType, not the data set load_text_csv returns"),
    (data(), [], "test_data is a list"),
    (TextClassificationData([], [], CLASSES), data(), "train_data holds no texts"),
    (data(), TextClassificationData(["x"], [0], ("a", "b", "c")), "different classes"),
    (TextClassificationData(["a", "b"], [0, 0], ("only",)),
     TextClassificationData(["c"], [0], ("only",)), "only one class"),
    (TextClassificationData(["a", "b"], [0, 0], CLASSES), TextClassificationData(
        ["c"], [1], CLASSES), "no example of food, plant"),
])
def test_data_that_cannot_be_compared_is_refused_in_one_sentence(train, test, said):
    with pytest.raises(CheckFailed) as error:
        check_dataset(train, test)
    assert said in one_line(error)


def test_the_majority_baseline_is_the_largest_class_share():
    assert majority_baseline(data()) == (0.5, "animal")


def test_a_model_above_the_baseline_passes(capsys):
    check_beats_baseline({"RNN": history(0.40), "GRU": history(0.90)}, data())
    assert "✓ Your best model, GRU, reaches a test accuracy of 0.900, above the 0.500" in (
        capsys.readouterr().out)


@pytest.mark.parametrize("accuracy", [0.5, 0.505, 0.30, float("nan")])
def test_no_model_above_the_baseline_fails(accuracy):
    with pytest.raises(CheckFailed) as error:
        check_beats_baseline({"RNN": history(accuracy)}, data())
    assert error.value.mistake == "below-baseline"
    assert 'no better than the 0.500 of always answering "animal"' in one_line(error)


@pytest.mark.parametrize("histories", [{}, None, {"RNN": "0.9"}, {"RNN": History(device="cpu")}])
def test_histories_that_are_not_training_runs_are_refused(histories):
    with pytest.raises(CheckFailed) as error:
        check_beats_baseline(histories, data())
    assert "histor" in one_line(error)


def test_three_models_in_the_table_pass(capsys):
    histories = {"RNN": history(0.5), "GRU": history(0.8), "BiLSTM": history(0.85)}
    table = comparison_table(histories, {"RNN": 10, "GRU": 20, "BiLSTM": 30})
    check_comparison(histories, table)
    assert capsys.readouterr().out.strip() == "✓ 3 models compared."


def test_two_models_are_not_a_comparison():
    histories = {"RNN": history(0.5), "GRU": history(0.8)}
    with pytest.raises(CheckFailed) as error:
        check_comparison(histories, comparison_table(histories, {"RNN": 1, "GRU": 2}))
    assert "2 trained model(s); train at least 3" in one_line(error)


def test_a_table_without_a_model_fails():
    histories = {"RNN": history(0.5), "GRU": history(0.8), "BiLSTM": history(0.85)}
    old = comparison_table({"RNN": histories["RNN"], "GRU": histories["GRU"]},
                           {"RNN": 10, "GRU": 20})
    with pytest.raises(CheckFailed) as error:
        check_comparison(histories, old)
    assert "no row for BiLSTM" in one_line(error)
    with pytest.raises(CheckFailed, match="comparison_table returns"):
        check_comparison(histories, None)
