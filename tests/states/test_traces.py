"""state_trace and lstm_trace in both frameworks, checked against the networks' own outputs."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from rnncourse.data.text import Vocabulary
from rnncourse.errors import CourseError
from rnncourse.states import GateTrace, StateTrace

FRAMEWORKS = ["pytorch", "tensorflow"]
VOCAB = Vocabulary(["<pad>", "<unk>", "the", "movie", "was", "not", "good", "bad", ".", "boy",
                    "and", "tom", "near", "dogs"])
TEXT = "the movie was not good ."
HIDDEN = 4


@pytest.fixture(params=FRAMEWORKS)
def framework(request):
    """(the rnncourse.states module of the framework, the test's models for it)."""
    name = request.param
    module = importlib.import_module(f"rnncourse.states.{name}")
    models = importlib.import_module(
        "tests.states.lesson_models_" + ("torch" if name == "pytorch" else "keras"))
    return module, models


def one_sentence(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message.endswith("."), message
    return message


# --- Lesson 1: state_trace ------------------------------------------------------------------


def test_state_trace_keeps_the_state_after_every_token(framework) -> None:
    module, models = framework
    classifier = models.make_classifier(len(VOCAB), HIDDEN, seed=1)
    trace = module.state_trace(classifier, VOCAB, "The movie was NOT good.")
    assert isinstance(trace, StateTrace)
    assert trace.tokens == tuple(TEXT.split()) and trace.states.shape == (6, HIDDEN)
    ids = VOCAB.encode(trace.tokens)
    for step in range(len(ids)):
        # The state after token t is the RNN's own final state on the first t + 1 tokens.
        np.testing.assert_allclose(trace.states[step],
                                   models.final_state_after(classifier, ids[:step + 1]),
                                   rtol=0, atol=1e-6)
    # And the classifier reads its answer from the last of them.
    np.testing.assert_allclose(models.readout(classifier, trace.final),
                               models.logits_of(classifier, ids), rtol=0, atol=1e-5)
    assert np.abs(np.diff(trace.states, axis=0)).max() > 0.1  # the states really change


def test_state_trace_names_what_is_missing(framework) -> None:
    module, models = framework
    with pytest.raises(CourseError) as error:
        module.state_trace(models.without_rnn(models.make_classifier(len(VOCAB), HIDDEN, 0)),
                           VOCAB, TEXT)
    assert one_sentence(error) == ("state_trace needs a model with a layer named `rnn`, but "
                                   "this RNNClassifier has none.")
    with pytest.raises(CourseError) as error:
        module.state_trace(models.make_classifier(len(VOCAB), HIDDEN, 0), VOCAB,
                           "the movie was great")
    assert one_sentence(error).startswith("The word(s) 'great' are not in this vocabulary")
    with pytest.raises(CourseError) as error:
        module.state_trace(models.with_outputs_only(models.make_classifier(len(VOCAB), HIDDEN, 0)),
                           VOCAB, TEXT)
    assert one_sentence(error).startswith("state_trace needs your RNN to return (outputs, "
                                          "final_state) with outputs of shape (1, 6, hidden)")


# --- Lesson 2: lstm_trace -------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_lstm_trace_matches_the_built_in_layer(framework, seed) -> None:
    module, models = framework
    model = models.make_lstm_model(module, len(VOCAB), hidden_size=5, seed=seed)
    text = "the boy and tom near the dogs was not good"
    trace = module.lstm_trace(model, VOCAB, text)
    assert isinstance(trace, GateTrace) and trace.tokens == tuple(text.split())
    hidden, cell = models.builtin_lstm_states(model, VOCAB.encode(trace.tokens))
    np.testing.assert_allclose(trace.hidden, hidden, rtol=0, atol=1e-5)
    np.testing.assert_allclose(trace.cell, cell, rtol=0, atol=1e-5)
    # Non-trivial weights: the gates use their range, and C moves.
    assert trace.forget_gate.min() < 0.2 and trace.forget_gate.max() > 0.8
    assert np.abs(trace.cell).max() > 0.5
    # The recorded gates are the ones that produced C and h.
    previous = np.vstack([np.zeros((1, 5)), trace.cell[:-1]])
    np.testing.assert_allclose(trace.cell, trace.forget_gate * previous
                               + trace.input_gate * trace.candidate, atol=1e-12)
    np.testing.assert_allclose(trace.hidden, trace.output_gate * np.tanh(trace.cell), atol=1e-12)


def test_lstm_trace_refuses_what_it_cannot_read(framework) -> None:
    module, models = framework
    model = models.make_lstm_model(module, len(VOCAB), hidden_size=4, seed=0)
    with pytest.raises(CourseError) as error:
        module.lstm_trace(model, VOCAB, "the boy and jerry")
    assert one_sentence(error).startswith("The word(s) 'jerry' are not in")
    with pytest.raises(CourseError) as error:
        module.lstm_trace(models.gru_instead(model), VOCAB, TEXT)
    assert one_sentence(error).startswith("lstm_trace needs a model whose `lstm` is a")
    assert str(error.value).endswith("but this AgreementLSTM's is a GRU.")
    model = models.make_lstm_model(module, len(VOCAB), hidden_size=4, seed=0)
    with pytest.raises(CourseError) as error:
        module.lstm_trace(models.unsupported_lstm(model), VOCAB, TEXT)
    assert one_sentence(error).startswith("lstm_trace reads ")
