"""A classifier must return logits: probabilities (a softmax at the end) fail in both lessons.

The training losses apply the softmax themselves (``nn.CrossEntropyLoss``,
``from_logits=True``), so a softmax in the model trains badly without any error. The right
classifiers of both lessons pass these checks in their own test modules.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnncourse.checks.rnn import fail_if_probabilities
from rnncourse.errors import CheckFailed

PROBABILITIES = (r"^Your classifier returns probabilities \(every row is between 0 and 1 and sums "
                 r"to 1\): return the scores before the softmax \(logits\), because the training "
                 r"loss applies the softmax itself\.$")


def _lesson_checks(framework: str):
    """(L1 checks, L1 students, L2 students, L2's softmax classifier name) of a framework."""
    if framework == "pytorch":
        from rnncourse.checks import pytorch as checks

        from . import gated_students_torch as gated
        from . import students_torch as plain

        return checks, plain, gated.SoftmaxPackedClassifier
    from rnncourse.checks import tensorflow as checks

    from . import gated_students_keras as gated
    from . import students_keras as plain

    return checks, plain, gated.SoftmaxMaskZeroClassifier


@pytest.mark.parametrize("thorough", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_a_softmax_at_the_end_fails_both_classifier_checks(framework, thorough, capsys):
    checks, plain, gated_softmax = _lesson_checks(framework)
    with pytest.raises(CheckFailed, match=PROBABILITIES):
        checks.check_classifier(plain.SoftmaxClassifier, thorough=thorough)
    with pytest.raises(CheckFailed, match=PROBABILITIES):
        checks.check_padding_invariance(gated_softmax, thorough=thorough)
    assert "✓" not in capsys.readouterr().out


def test_logits_that_happen_to_be_small_are_not_probabilities():
    fail_if_probabilities(np.array([[0.2, 0.3, 0.1, 0.1], [0.5, 0.1, 0.2, 0.1]]))  # sums ≠ 1
    fail_if_probabilities(np.array([[-0.2, 0.7, 0.3, 0.2]]))  # sums to 1, one negative
    with pytest.raises(CheckFailed, match=PROBABILITIES):
        fail_if_probabilities(np.array([[0.25, 0.25, 0.4, 0.1], [0.7, 0.1, 0.1, 0.1]]))
