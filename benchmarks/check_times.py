"""How long each TensorFlow check takes on the solutions, and what its tf.function run adds.

``python -m benchmarks.check_times`` runs every TensorFlow check the notebooks call, visible
(quick) and hidden (thorough), on the solution notebooks' own code: once as the checks ran
before graph mode (the eager check alone) and once as they run now (eager, then the quick cases
inside ``tf.function``). Rounds are interleaved; the medians and their difference are printed
as a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.solutions import load_cells

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"


def _cases() -> list[tuple[str, Callable[..., None], Callable[..., None], tuple[Any, ...]]]:
    """(name, eager-only check, public check, its arguments) for every TensorFlow check."""
    from rnncourse.checks import deep, gated, lesson
    from rnncourse.checks import rnn as neutral
    from rnncourse.checks import tensorflow as checks

    one = load_cells(SOLUTIONS / "01-rnn-tensorflow/01-rnn-tensorflow.ipynb",
                     ["rnn_cell", "rnn_layer", "rnn_classifier"], "lesson1")
    two = load_cells(SOLUTIONS / "02-lstm-tensorflow/02-lstm-tensorflow.ipynb",
                     ["lstm_cell", "load_lstm", "lstm_layer", "gru_cell", "load_gru",
                      "recurrent_classifier"], "lesson2")
    three = load_cells(SOLUTIONS / "03-deep-tensorflow/03-deep-tensorflow.ipynb",
                       ["reverse_padded", "bidirectional", "stacked", "pooling"], "lesson3")
    backend = checks.BACKEND

    def eager(check: Callable[..., None], *args: Any) -> Callable[..., None]:
        # What PrecisionChecks._run did before graph mode: the check on the float64 backend.
        def run(*call_args: Any, thorough: bool = False) -> None:
            kwargs = thorough_kwargs.get(check, {}) if thorough else {}
            check(backend, *args, *call_args, **kwargs)
        return run

    thorough_kwargs = {
        neutral.check_rnn_cell: dict(sizes=lesson.THOROUGH_SIZES, batch_sizes=(1, 3, 8),
                                     gradients=True, seed=1),
        neutral.check_rnn_layer: dict(sizes=lesson.THOROUGH_SIZES[1:],
                                      shapes=lesson.THOROUGH_SHAPES, gradients=True, seed=2),
        neutral.check_classifier: dict(gradients=True, seed=3),
        gated.check_gated_cell: dict(sizes=gated.THOROUGH_SIZES, cases=gated.THOROUGH_CELL_CASES,
                                     gradients=True, seed=5),
        gated.check_gated_layer: dict(sizes=gated.THOROUGH_SIZES,
                                      cases=gated.THOROUGH_LAYER_CASES, gradients=True, seed=6),
        gated.check_padding_invariance: dict(batches=gated.PADDING_THOROUGH, gradients=True,
                                             seed=7),
        deep.check_reverse_padded: dict(cases=deep.REVERSE_THOROUGH, seed=11),
        deep.check_bidirectional: dict(configs=deep.BIDIRECTIONAL_THOROUGH,
                                       cases=deep.DEEP_CASES_THOROUGH, seed=12),
        deep.check_stacked: dict(configs=deep.STACKED_THOROUGH,
                                 cases=deep.STACKED_CASES_THOROUGH, seed=13),
        deep.check_pooling: dict(cases=deep.POOLING_THOROUGH, seed=14),
    }
    return [
        ("check_rnn_cell", eager(neutral.check_rnn_cell), checks.check_rnn_cell,
         (one["RNNCell"],)),
        ("check_rnn_layer", eager(neutral.check_rnn_layer), checks.check_rnn_layer,
         (one["RNN"],)),
        ("check_classifier", eager(neutral.check_classifier), checks.check_classifier,
         (one["RNNClassifier"],)),
        ("check_lstm_cell", eager(gated.check_gated_cell, gated.LSTM), checks.check_lstm_cell,
         (two["LSTMCell"], two["load_keras_lstm"])),
        ("check_lstm_layer", eager(gated.check_gated_layer, gated.LSTM),
         checks.check_lstm_layer, (two["LSTM"], two["load_keras_lstm"])),
        ("check_gru_cell", eager(gated.check_gated_cell, gated.GRU), checks.check_gru_cell,
         (two["GRUCell"], two["load_keras_gru"])),
        ("check_padding_invariance", eager(gated.check_padding_invariance),
         checks.check_padding_invariance, (two["RecurrentClassifier"],)),
        ("check_reverse_padded", eager(deep.check_reverse_padded), checks.check_reverse_padded,
         (three["reverse_padded"],)),
        ("check_bidirectional", eager(deep.check_bidirectional), checks.check_bidirectional,
         (three["Bidirectional"],)),
        ("check_stacked", eager(deep.check_stacked), checks.check_stacked,
         (three["Stacked"],)),
        ("check_pooling", eager(deep.check_pooling), checks.check_pooling,
         (three["max_over_time"], three["mean_over_time"])),
    ]


def _seconds(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    args = parser.parse_args()
    import contextlib
    import io

    from rnncourse.quiet import check_quietly

    print("| check | mode | eager only, s | eager + tf.function, s | added, s |")
    print("|---|---|---|---|---|")
    for name, eager, public, check_args in _cases():
        for thorough in (False, True):
            times: dict[str, list[float]] = {"eager": [], "both": []}
            with contextlib.redirect_stdout(io.StringIO()), check_quietly():
                public(*check_args, thorough=thorough)  # warm: first traces, imports
                for _ in range(args.rounds):
                    times["eager"].append(_seconds(partial(eager, *check_args,
                                                           thorough=thorough)))
                    times["both"].append(_seconds(partial(public, *check_args,
                                                          thorough=thorough)))
            before, after = (statistics.median(times[key]) for key in ("eager", "both"))
            mode = "hidden" if thorough else "visible"
            print(f"| {name} | {mode} | {before:.2f} | {after:.2f} | {after - before:+.2f} |",
                  flush=True)


if __name__ == "__main__":
    main()
