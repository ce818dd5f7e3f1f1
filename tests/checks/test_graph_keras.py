"""The TensorFlow checks run the student's code inside ``tf.function`` too, as training does.

Code that is right eagerly but cannot be traced (NumPy conversions, Python numbers or branches
made from tensors, loops over a tensor, int32 mixed with training's int64 ids) must fail the
visible check already, with one sentence that names the student's line and its construct; the
right solutions of every lesson pass in both modes (their own test modules run them).
"""

from __future__ import annotations

import re

import pytest
import tensorflow as tf

from rnncourse.checks import deep, gated
from rnncourse.checks import rnn as neutral
from rnncourse.checks import tensorflow as checks
from rnncourse.errors import CheckFailed

from . import deep_students_keras as deep_students
from . import gated_students_keras as gated_students
from . import graph_students_keras as s

# Keras warns when a layer holding its built-in LSTM is called before being built.
pytestmark = pytest.mark.filterwarnings("ignore:`build\\(\\)` was called on layer")

TO_NUMPY = (r"converts a tensor to NumPy \(np\.asarray, np\.array or \.numpy\(\)\), which works "
            r"only outside tf\.function, and training runs your code inside one: keep it a "
            r"tensor and use tf or keras\.ops operations")
TO_NUMBER = (r"turns a tensor into a Python number \(int\(\), float\(\), range\(\) or an "
             r"index\), which works only outside tf\.function")
PYTHON_IF = (r"branches on a tensor with a Python if, and, or or not, which works only outside "
             r"tf\.function, and training runs your code inside one: compute both results and "
             r"choose with tf\.where")
LOOP_OVER_TENSOR = (r"loops over a tensor's values in Python, which works only outside "
                    r"tf\.function")
MIXED_INTEGERS = (r"mixes int32 and int64 tensors inside tf\.function, where training's batches "
                  r"of ids are int64: cast with tf\.cast\(\.\.\., \"int32\"\) before combining "
                  r"them")


def line_of(function, text: str) -> int:
    """The line number of the first source line of ``function``'s file that contains ``text``."""
    import inspect

    lines, start = inspect.findsource(function)
    return next(number + 1 for number, line in enumerate(lines) if text in line)


# (check, the eager run of the same check, arguments, student line, what its sentence says)
CASES = [
    pytest.param(checks.check_rnn_layer, neutral.check_rnn_layer, (s.IntStepsRNN,),
                 "IntStepsRNN.call", "int(tf.shape(x)[1])", TO_NUMBER, id="int-of-a-tensor"),
    pytest.param(checks.check_classifier, neutral.check_classifier, (s.NumpyIndexClassifier,),
                 "NumpyIndexClassifier.last_states", "np.asarray(ids != 0)", TO_NUMPY,
                 id="numpy-in-a-classifier"),
    pytest.param(checks.check_classifier, neutral.check_classifier, (s.EarlyStopClassifier,),
                 "EarlyStopClassifier.call", "if not ops.any", PYTHON_IF, id="python-if"),
    pytest.param(checks.check_classifier, neutral.check_classifier, (s.IdsDtypeClassifier,),
                 "IdsDtypeClassifier.last_states", "tf.stack([tf.range", MIXED_INTEGERS,
                 id="int32-with-int64-ids"),
    pytest.param(checks.check_lstm_layer, None,
                 (s.IteratingLSTM, gated_students.load_fused_lstm),
                 "IteratingLSTM.call", "for x_t in", LOOP_OVER_TENSOR, id="loop-over-a-tensor"),
    pytest.param(checks.check_gru_cell, None,
                 (s.DebugPrintGRUCell, gated_students.load_fused_gru),
                 "DebugPrintGRUCell.call", "float(ops.mean(h))", TO_NUMBER,
                 id="float-of-a-tensor"),
    pytest.param(checks.check_reverse_padded, deep.check_reverse_padded,
                 (s.reverse_numpy_lengths,), "reverse_numpy_lengths", "lengths.numpy()",
                 TO_NUMPY, id="numpy-lengths"),
    pytest.param(checks.check_pooling, deep.check_pooling,
                 (s.max_per_row, deep_students.mean_cast_to_dtype), "max_per_row",
                 "for row, length in enumerate(lengths)", LOOP_OVER_TENSOR,
                 id="loop-over-lengths"),
    pytest.param(checks.check_bidirectional, deep.check_bidirectional,
                 (s.NumpyReverseBidirectional,), "reverse_numpy_lengths", "lengths.numpy()",
                 TO_NUMPY, id="numpy-inside-a-layer"),
]

EAGER_GATED = {"check_lstm_layer": (gated.LSTM, gated.check_gated_layer),
               "check_gru_cell": (gated.GRU, gated.check_gated_cell)}


def run_eagerly(check, eager, args) -> None:
    """The same check with the eager backend only: what the checks did before."""
    if eager is None:
        kind, eager = EAGER_GATED[check.__name__]
        eager(checks.BACKEND, kind, *args)
    else:
        eager(checks.BACKEND, *args)


@pytest.mark.parametrize(("check", "eager", "args", "function", "source", "construct"), CASES)
@pytest.mark.parametrize("thorough", [False, True], ids=["visible", "hidden"])
def test_code_that_runs_only_eagerly_fails_with_its_line_and_construct(
        check, eager, args, function, source, construct, thorough, capsys):
    run_eagerly(check, eager, args)  # right values and gradients outside tf.function
    capsys.readouterr()
    with pytest.raises(CheckFailed) as failure:
        check(*args, thorough=thorough)
    message = str(failure.value)
    line = line_of(s.IntStepsRNN, source)  # every function named is in graph_students_keras
    assert message.startswith("`") and f"` (line {line}, in {function}) " in message, message
    assert source in message.split("` (line")[0], message
    assert re.search(construct, message), message
    assert "\n" not in message and message.endswith("."), message
    assert "✓" not in capsys.readouterr().out


def test_a_right_classifier_gets_int64_ids_inside_tf_function():
    seen = []

    class Spy(gated_students.MaskZeroClassifier):
        def call(self, ids):
            seen.append((tf.as_dtype(ids.dtype).name, tf.executing_eagerly()))
            return super().call(ids)

    checks.check_padding_invariance(Spy)
    assert ("int32", True) in seen  # the eager check, as before
    assert ("int64", False) in seen  # traced, with ids as training feeds them


def test_a_difference_seen_only_inside_tf_function_says_where_it_was_seen():
    class GraphOnlyCell(s.plain.PlainCell):
        """Right eagerly, half the state inside tf.function."""

        def call(self, x, state):
            scale = 1.0 if tf.executing_eagerly() else 0.5
            return super().call(x, state) * scale

    with pytest.raises(CheckFailed, match=r"^Inside tf\.function, as training runs your code: "):
        checks.check_rnn_cell(GraphOnlyCell)


def test_the_sentence_for_an_unknown_error_names_its_type_and_first_line():
    def student_code():
        raise RuntimeError("first line\nsecond line")

    try:
        student_code()
    except RuntimeError as error:
        failure = checks.graph_failure(error)
    assert failure.mistake == "graph-eager-only"
    message = str(failure)
    line = line_of(student_code, 'raise RuntimeError("first line')
    assert message == (
        f"`raise RuntimeError(\"first line\\nsecond line\")` (line {line}, in "
        "test_the_sentence_for_an_unknown_error_names_its_type_and_first_line.<locals>."
        "student_code) raises "
        "RuntimeError inside tf.function, as training runs your code, although it runs outside "
        "one: first line."), message
