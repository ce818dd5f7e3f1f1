"""The short LSTM training of Lesson 2: fast, deterministic, accurate, and it grows a flag unit."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from rnncourse.states import TrainedLSTM, switch_scores, switching_units

FRAMEWORKS = ["pytorch", "tensorflow"]
TAIL = " near the car who saw the dogs with the girls"
PLURAL, SINGULAR = "the boy and tom" + TAIL, "the boy with tom" + TAIL


@pytest.fixture(scope="module", params=FRAMEWORKS)
def framework(request):
    return importlib.import_module(f"rnncourse.states.{request.param}")


@pytest.fixture(scope="module")
def trained(framework) -> TrainedLSTM:
    return framework.train_agreement_lstm(progress=False)


def test_training_is_accurate(trained) -> None:
    model, vocab, accuracy, seconds = trained
    # Measured on one CPU thread for seeds 0 to 7: test accuracy 1.000 in both frameworks.
    # The time (1.4-2.5 s PyTorch, 6.4-8.8 s TensorFlow) is reported, never asserted.
    assert seconds > 0
    assert accuracy >= 0.97
    assert {"and", "with", "boys", "children"} <= set(vocab.tokens)


def test_the_trained_lstm_keeps_a_flag_for_the_plural_subject(framework, trained) -> None:
    model, vocab, _, _ = trained

    def scores(sentence: str, twin: str) -> np.ndarray:
        return switch_scores(framework.lstm_trace(model, vocab, sentence),
                             framework.lstm_trace(model, vocab, twin))

    plural = framework.lstm_trace(model, vocab, PLURAL)
    singular = framework.lstm_trace(model, vocab, SINGULAR)
    # Measured for seeds 0 to 7: the best unit scored 1.90 to 3.14 (PyTorch) and 2.42 to
    # 3.19 (TensorFlow); seed 0: 1.95 and 2.94.
    (flag,) = switching_units(plural, singular, k=1)
    assert switch_scores(plural, singular)[flag] >= 1.0
    # The same unit flags other plural subjects, with other words (seeds 0 to 7: at least
    # 1.66 with "and", 1.08 with a plural noun) ...
    assert scores("the dog and mary" + TAIL, "the dog near mary" + TAIL)[flag] >= 1.0
    assert scores("the boys" + TAIL, "the boy" + TAIL)[flag] >= 0.5
    # ... and ignores a change of word that keeps the subject singular (at most 0.29).
    assert scores("the boy from tom" + TAIL, SINGULAR)[flag] < 0.5


def test_the_same_seed_gives_the_same_model(framework, trained) -> None:
    again = framework.train_agreement_lstm(progress=False)
    assert again.vocab == trained.vocab and again.test_accuracy == trained.test_accuracy
    first = framework.lstm_trace(trained.model, trained.vocab, PLURAL)
    second = framework.lstm_trace(again.model, again.vocab, PLURAL)
    np.testing.assert_array_equal(first.cell, second.cell)
