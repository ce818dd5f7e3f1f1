"""Lesson 2's RecurrentClassifier takes ``kind``: its visible check builds every kind.

The hidden test grades a GRU classifier too; a class that ignores ``kind`` used to pass the
visible check (an LSTM) and the hidden one (an LSTM again, silently).
"""

from __future__ import annotations

import pytest

from rnncourse.errors import CheckFailed


def _lesson(framework: str):
    """(checks, Lesson 2 students, the framework's GRU and LSTM names) of a framework."""
    if framework == "pytorch":
        from rnncourse.checks import pytorch as checks

        from . import gated_students_torch as students

        return checks, students, "torch.nn.GRU", "torch.nn.LSTM"
    from rnncourse.checks import tensorflow as checks

    from . import gated_students_keras as students

    return checks, students, "keras.layers.GRU", "keras.layers.LSTM"


@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_the_visible_check_builds_every_kind(framework, capsys):
    checks, students, _gru, _lstm = _lesson(framework)
    kinds = []

    class Spy(students.KindClassifier):
        def __init__(self, vocab_size, embed_size, hidden_size, num_classes, kind="lstm"):
            kinds.append(kind)
            super().__init__(vocab_size, embed_size, hidden_size, num_classes, kind)

    checks.check_padding_invariance(Spy)
    assert {"lstm", "gru"} <= set(kinds)
    assert capsys.readouterr().out.startswith("✓ ")


@pytest.mark.parametrize("thorough", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_a_classifier_that_ignores_kind_fails(framework, thorough, capsys):
    checks, students, gru, lstm = _lesson(framework)
    expected = (f'Your IgnoresKindClassifier built with kind="gru" holds {lstm} and no {gru}: '
                "build the recurrent layer that kind names (for example self.LAYERS[kind]).")
    with pytest.raises(CheckFailed) as failure:
        checks.check_padding_invariance(students.IgnoresKindClassifier, thorough=thorough)
    assert str(failure.value) == expected
    assert "✓" not in capsys.readouterr().out
