"""Which classic mistakes the visible checks already catch, and which only the hidden ones do.

``python -m benchmarks.visible_vs_hidden`` runs every mistake of the check tests' corpus (the
``*_MISTAKES`` lists of ``tests/checks`` and the mistakes their other tests name) through its
check twice, as a visible test (quick) and as a hidden test (thorough), and prints how many
each catches. "Hidden only" is the count the issue wants at zero: a ✓ in the notebook and no
points in the grade. Run it against another checkout's library with ``PYTHONPATH`` to compare.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: Per test module: the mistakes list -> the name of the public check it goes through.
LISTS = {
    "test_pytorch_checks": {"CELL_MISTAKES": "check_rnn_cell", "LAYER_MISTAKES":
                            "check_rnn_layer", "CLASSIFIER_MISTAKES": "check_classifier",
                            "LOADING_MISTAKES": "check_weight_loading"},
    "test_tensorflow_checks": {"CELL_MISTAKES": "check_rnn_cell", "LAYER_MISTAKES":
                               "check_rnn_layer", "CLASSIFIER_MISTAKES": "check_classifier",
                               "LOADING_MISTAKES": "check_weight_loading"},
    "test_gated_torch": {"LSTM_CELL_MISTAKES": "check_lstm_cell", "LSTM_LAYER_MISTAKES":
                         "check_lstm_layer", "GRU_CELL_MISTAKES": "check_gru_cell",
                         "GRU_LAYER_MISTAKES": "check_gru_layer"},
    "test_gated_keras": {"LSTM_CELL_MISTAKES": "check_lstm_cell", "LSTM_LAYER_MISTAKES":
                         "check_lstm_layer", "GRU_CELL_MISTAKES": "check_gru_cell",
                         "GRU_LAYER_MISTAKES": "check_gru_layer"},
    "test_deep_torch": {"REVERSE_MISTAKES": "check_reverse_padded", "BIDIRECTIONAL_MISTAKES":
                        "check_bidirectional", "STACKED_MISTAKES": "check_stacked",
                        "POOLING_MISTAKES": "check_pooling"},
    "test_deep_keras": {"REVERSE_MISTAKES": "check_reverse_padded", "BIDIRECTIONAL_MISTAKES":
                        "check_bidirectional", "STACKED_MISTAKES": "check_stacked",
                        "POOLING_MISTAKES": "check_pooling"},
}
FRAMEWORK = {"test_pytorch_checks": "pytorch", "test_tensorflow_checks": "tensorflow",
             "test_gated_torch": "pytorch", "test_gated_keras": "tensorflow",
             "test_deep_torch": "pytorch", "test_deep_keras": "tensorflow"}


def corpus() -> list[tuple[str, str, str, tuple[Any, ...]]]:
    """(framework, check name, mistake name, the check's arguments), each mistake once."""
    import importlib

    sys.path.insert(0, str(ROOT / "tests"))
    seen, found = set(), []
    for module_name, lists in LISTS.items():
        module = importlib.import_module(f"checks.{module_name}")
        students = module.s
        for list_name, check in lists.items():
            for param in getattr(module, list_name):
                values = param.values
                if list_name == "LOADING_MISTAKES":
                    args = (students.PlainCell, values[0])
                elif check.startswith(("check_lstm", "check_gru")):
                    args = (values[0], values[1])
                else:
                    args = values[0] if isinstance(values[0], tuple) else (values[0],)
                name = "+".join(getattr(a, "__name__", str(a)) for a in args)
                key = (FRAMEWORK[module_name], check, name)
                if key not in seen:
                    seen.add(key)
                    found.append((*key, args))
    from checks import (
        deep_students_keras,
        gated_students_keras,
        gated_students_torch,
        graph_students_keras,
        students_keras,
        students_torch,
    )
    extra = [
        ("pytorch", "check_padding_invariance", gated_students_torch.UnpackedClassifier),
        ("pytorch", "check_padding_invariance", gated_students_torch.LastPaddedStepClassifier),
        ("tensorflow", "check_padding_invariance", gated_students_keras.NoMaskClassifier),
        ("tensorflow", "check_padding_invariance",
         gated_students_keras.LastPaddedStepClassifier),
        # Mistakes this issue added to the corpus.
        ("pytorch", "check_classifier", students_torch.SoftmaxClassifier),
        ("tensorflow", "check_classifier", students_keras.SoftmaxClassifier),
        ("pytorch", "check_padding_invariance", gated_students_torch.SoftmaxPackedClassifier),
        ("tensorflow", "check_padding_invariance",
         gated_students_keras.SoftmaxMaskZeroClassifier),
        ("pytorch", "check_padding_invariance", gated_students_torch.IgnoresKindClassifier),
        ("tensorflow", "check_padding_invariance", gated_students_keras.IgnoresKindClassifier),
        ("tensorflow", "check_rnn_layer", graph_students_keras.IntStepsRNN),
        ("tensorflow", "check_classifier", graph_students_keras.NumpyIndexClassifier),
        ("tensorflow", "check_classifier", graph_students_keras.EarlyStopClassifier),
        ("tensorflow", "check_classifier", graph_students_keras.IdsDtypeClassifier),
        ("tensorflow", "check_lstm_layer", graph_students_keras.IteratingLSTM,
         gated_students_keras.load_fused_lstm),
        ("tensorflow", "check_gru_cell", graph_students_keras.DebugPrintGRUCell,
         gated_students_keras.load_fused_gru),
        ("tensorflow", "check_reverse_padded", graph_students_keras.reverse_numpy_lengths),
        ("tensorflow", "check_pooling", graph_students_keras.max_per_row,
         deep_students_keras.mean_cast_to_dtype),
        ("tensorflow", "check_bidirectional", graph_students_keras.NumpyReverseBidirectional),
    ]
    from checks import test_bptt
    extra += [(framework, "check_rnn_backward", test_bptt.mistaken(mistake))
              for framework in ("pytorch", "tensorflow") for mistake in test_bptt.BPTT_MISTAKES]
    extra += [(framework, "check_rnn_backward", test_bptt.in_place_backward)
              for framework in ("pytorch", "tensorflow")]
    for framework, check, *args in extra:
        name = "+".join(a.__name__ for a in args)
        if (framework, check, name) not in seen:
            seen.add((framework, check, name))
            found.append((framework, check, name, tuple(args)))
    return found


def verdict(check: Callable[..., None], args: tuple[Any, ...], thorough: bool) -> bool:
    """True when the check fails the code (any error counts: the grade is zero either way)."""
    return failure(check, args, thorough) is not None


def failure(check: Callable[..., None], args: tuple[Any, ...],
            thorough: bool) -> BaseException | None:
    """The error the check raises for the code, or None when it passes."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(*args, thorough=thorough)
    except Exception as error:  # noqa: BLE001
        return error
    return None


def names_the_cause(error: BaseException) -> bool:
    """Whether a failure names a cause rather than a symptom.

    A symptom is a value or shape that differs, which ``checks/compare.py`` words for every
    check alike; a sentence raised anywhere else in the checks names what the code did. This
    reads any version of the library, so the same rule counts the messages before and after.
    """
    if type(error).__name__ not in ("CheckFailed", "IgnoresState"):
        return False  # the student's own error, shown as it is
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is None or not tb.tb_frame.f_code.co_filename.endswith("compare.py")


def messages() -> None:
    """Count, for the mistakes the visible checks catch, the messages that name the cause."""
    from rnncourse.checks import pytorch, tensorflow

    modules = {"pytorch": pytorch, "tensorflow": tensorflow}
    counts: Counter[str] = Counter()
    print("| framework | check | mistake | names the cause | catalogue id |")
    print("|---|---|---|---|---|")
    for framework, check_name, name, args in corpus():
        error = failure(getattr(modules[framework], check_name), args, False)
        if error is None:
            counts["passed"] += 1
            continue
        cause, mistake = names_the_cause(error), getattr(error, "mistake", None)
        counts["caught"] += 1
        counts["cause"] += cause
        counts["catalogue"] += mistake is not None
        print(f"| {framework} | {check_name} | {name} | {'yes' if cause else 'no'} | "
              f"{mistake or ''} |", flush=True)
    print(f"\n{counts['caught']} mistakes failed by the visible test: the message names the "
          f"cause for {counts['cause']}, with a catalogue id for {counts['catalogue']}; "
          f"{counts['passed']} passed it.")


def main() -> None:
    """Print each mistake's verdicts and the counts (``--messages``: the message counts)."""
    if "--messages" in sys.argv[1:]:
        messages()
        return
    from rnncourse.checks import pytorch, tensorflow

    modules = {"pytorch": pytorch, "tensorflow": tensorflow}
    counts: Counter[str] = Counter()
    print("| framework | check | mistake | visible | hidden |")
    print("|---|---|---|---|---|")
    for framework, check_name, name, args in corpus():
        check = getattr(modules[framework], check_name)
        visible, hidden = verdict(check, args, False), verdict(check, args, True)
        outcome = ("visible" if visible else "hidden only" if hidden else "neither")
        counts[outcome] += 1
        print(f"| {framework} | {check_name} | {name} | {'✗' if visible else '✓'} | "
              f"{'✗' if hidden else '✓'} |", flush=True)
    total = sum(counts.values())
    print(f"\n{total} mistakes: caught by the visible test {counts['visible']}, only by the "
          f"hidden test {counts['hidden only']}, by neither {counts['neither']}.")


if __name__ == "__main__":
    main()
