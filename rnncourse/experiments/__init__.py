"""Lesson 2's experiments: why plain RNNs forget, how far LSTMs and GRUs remember, clipping.

The framework-neutral pieces (the sweep's table, the clipping runs and the plots) are
importable from here without loading a framework; the experiments themselves live in
:mod:`rnncourse.experiments.pytorch` and :mod:`rnncourse.experiments.tensorflow`,
which offer the same functions.
"""

from rnncourse.experiments.common import (
    MEMORY_CLASSES,
    MEMORY_INITS,
    MEMORY_VOCAB_SIZE,
    RECURRENT_KINDS,
    ClippingRun,
    chrono_bias,
    memory_table,
    plot_clipping,
    plot_gradient_norms,
    plot_memory_sweep,
)

__all__ = [
    "MEMORY_CLASSES",
    "MEMORY_INITS",
    "MEMORY_VOCAB_SIZE",
    "RECURRENT_KINDS",
    "ClippingRun",
    "chrono_bias",
    "memory_table",
    "plot_clipping",
    "plot_gradient_norms",
    "plot_memory_sweep",
]
