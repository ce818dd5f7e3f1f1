"""Framework-neutral side of Lesson 2's experiments: inputs, checks, the sweep, tables, plots.

The PyTorch and TensorFlow adapters (:mod:`rnncourse.experiments.pytorch`,
:mod:`rnncourse.experiments.tensorflow`) build the models and compute the
gradients; everything that does not depend on the framework lives here once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from rnncourse.data.encoded import EncodedSplit
from rnncourse.data.memory import first_token_memory
from rnncourse.i18n import N_, _
from rnncourse.plots import use_language_font

__all__ = [
    "MEMORY_CLASSES",
    "MEMORY_INITS",
    "MEMORY_VOCAB_SIZE",
    "RECURRENT_KINDS",
    "check_at_least",
    "check_init",
    "check_kind",
    "chrono_bias",
    "gradient_probe",
    "mean_step_norms",
    "memory_splits",
    "memory_table",
    "plot_gradient_norms",
    "plot_memory_sweep",
    "run_memory_sweep",
]

#: The recurrent layers the experiments compare, by the names the functions accept.
RECURRENT_KINDS: tuple[str, ...] = ("rnn", "lstm", "gru")
#: Gate initialisations of :func:`memory_accuracy`: see :func:`chrono_bias`.
MEMORY_INITS: tuple[str, ...] = ("chrono", "default")
#: Classes and id range of the memory task the experiments train on.
MEMORY_CLASSES = 4
MEMORY_VOCAB_SIZE = 20


def check_kind(kind: str) -> str:
    """Return ``kind`` if it names a recurrent layer of :data:`RECURRENT_KINDS`, else raise."""
    if kind not in RECURRENT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(RECURRENT_KINDS)}, not {kind!r}.")
    return kind


def check_init(init: str) -> str:
    """Return ``init`` if it is one of :data:`MEMORY_INITS`, else raise."""
    if init not in MEMORY_INITS:
        raise ValueError(f"init must be one of {', '.join(MEMORY_INITS)}, not {init!r}.")
    return init


def check_at_least(name: str, value: int, minimum: int) -> None:
    """Raise a one-sentence ValueError if the count ``value`` is below ``minimum``."""
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}.")


def gradient_probe(steps: int, input_size: int, hidden_size: int, batch: int,
                   seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The random inputs and readout of the gradient experiment, the same in both frameworks.

    Returns ``x`` of shape ``(batch, steps, input_size)`` with standard normal entries
    and ``readout`` of shape ``(hidden_size,)``, both float32: the loss is
    ``sum(final_hidden_state @ readout)``, so it depends on the final state only.

    Raises:
        ValueError: If a size is below 1.
    """
    for name, value in (("steps", steps), ("input_size", input_size),
                        ("hidden_size", hidden_size), ("batch", batch)):
        check_at_least(name, value, 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, input_size)).astype(np.float32)
    readout = rng.standard_normal(hidden_size).astype(np.float32)
    return x, readout


def mean_step_norms(gradients: np.ndarray) -> np.ndarray:
    """Mean over the batch of the L2 norm of each step's gradient, shape ``(steps,)``.

    ``gradients`` has shape ``(batch, steps, features)``. The norms are taken in
    float64: squaring float32 gradients of 1e-20 would underflow to zero.
    """
    gradients = np.asarray(gradients, dtype=np.float64)
    if gradients.ndim != 3:
        raise ValueError(f"gradients must have shape (batch, steps, features), "
                         f"not {gradients.shape}.")
    return np.linalg.norm(gradients, axis=2).mean(axis=0)


def chrono_bias(hidden_size: int, max_lag: int, seed: int = 0) -> np.ndarray:
    """Chrono initialisation of a gate bias (Tallec & Ollivier, 2018), float32 ``(hidden_size,)``.

    Each unit gets ``log(u)`` with ``u`` uniform in ``[1, max_lag - 1]``: a forget
    gate (LSTM) or update gate (GRU) with this bias starts at ``u / (1 + u)``, so
    unit ``j`` initially keeps its state for about ``u_j`` steps. The LSTM's input
    gate gets the opposite bias, so distractors barely write into the cell at first.
    ``max_lag`` below 3 is treated as 3.
    """
    check_at_least("hidden_size", hidden_size, 1)
    rng = np.random.default_rng(seed)
    return np.log(rng.uniform(1.0, max(max_lag, 3) - 1.0, size=hidden_size)).astype(np.float32)


def memory_splits(distractors: int, train_size: int, test_size: int,
                  seed: int = 0) -> tuple[EncodedSplit, EncodedSplit]:
    """Training and test data of :func:`~rnncourse.data.first_token_memory`, drawn independently.

    The training split uses seed ``2 * seed`` and the test split ``2 * seed + 1``.
    """
    check_at_least("train_size", train_size, 1)
    check_at_least("test_size", test_size, 1)
    options = {"num_classes": MEMORY_CLASSES, "vocab_size": MEMORY_VOCAB_SIZE}
    return (first_token_memory(train_size, distractors, seed=2 * seed, **options),
            first_token_memory(test_size, distractors, seed=2 * seed + 1, **options))


def run_memory_sweep(
    run: Callable[[str, int], float],
    kinds: Iterable[str],
    distractors: Iterable[int],
    desc: str = "memory sweep",
) -> dict[str, dict[int, float]]:
    """Call ``run(kind, T)`` for every kind and T, with a progress bar over the runs.

    Returns ``{kind: {T: accuracy}}`` in the order given.

    Raises:
        ValueError: If ``kinds`` or ``distractors`` is empty or names an unknown kind.
    """
    kinds, lags = [check_kind(k) for k in kinds], [int(t) for t in distractors]
    if not kinds or not lags:
        raise ValueError("memory_sweep needs at least one kind and one number of distractors.")
    results: dict[str, dict[int, float]] = {kind: {} for kind in kinds}
    bar = tqdm(list(itertools.product(kinds, lags)), desc=desc, unit="run")
    for kind, lag in bar:
        bar.set_postfix(kind=kind, T=lag)
        results[kind][lag] = float(run(kind, lag))
    return results


def _check_results(results: Mapping[str, Mapping[int, float]], name: str) -> list[int]:
    if not results or not all(results.values()):
        raise ValueError(f"{name} needs the results of at least one run; run memory_sweep first.")
    return sorted({lag for row in results.values() for lag in row})


def memory_table(results: Mapping[str, Mapping[int, float]]) -> str:
    """A Markdown table of test accuracy: one row per kind, one column per T.

    A run missing from ``results`` shows as an empty cell.
    """
    lags = _check_results(results, "memory_table")
    lines = [f"| {_('model')} | " + " | ".join(f"T = {lag}" for lag in lags) + " |",
             "|---|" + "---:|" * len(lags)]
    for kind, row in results.items():
        cells = [f"{row[lag]:.2f}" if lag in row else "" for lag in lags]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_memory_sweep(results: Mapping[str, Mapping[int, float]], *,
                      num_classes: int = MEMORY_CLASSES,
                      title: str = N_("Remembering the first token")) -> Figure:
    """Test accuracy against the number of distractors T, one line per kind, chance dotted."""
    _check_results(results, "plot_memory_sweep")
    check_at_least("num_classes", num_classes, 2)
    use_language_font()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for index, (kind, row) in enumerate(results.items()):
        lags = sorted(row)
        ax.plot(lags, [row[lag] for lag in lags], "-o", color=f"C{index}", label=kind)
    ax.axhline(1 / num_classes, color="gray", linestyle=":", label=_("chance"))
    ax.set(title=_(title), xlabel=_("distractors between signal and end (T)"),
           ylabel=_("test accuracy"), ylim=(0, 1.05))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_gradient_norms(norms_by_kind: Mapping[str, np.ndarray], *,
                        title: str = N_("How far back the gradient reaches")) -> Figure:
    """Gradient norm against distance from the end of the sequence, on a log scale.

    ``norms_by_kind`` maps a name to the per-step norms of ``input_gradient_norms``
    (step 0 first); distance 0 is the last step. Norms that underflowed to zero
    leave a gap: a log axis cannot show them.
    """
    if not norms_by_kind:
        raise ValueError("plot_gradient_norms needs the norms of at least one kind.")
    use_language_font()
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for index, (kind, norms) in enumerate(norms_by_kind.items()):
        norms = np.asarray(norms, dtype=np.float64)
        if norms.ndim != 1 or not len(norms):
            raise ValueError(f"the norms of {kind!r} must be a non-empty 1-D array.")
        distance = np.arange(len(norms))[::-1]  # step t lies len - 1 - t steps before the end
        shown = np.where(norms > 0, norms, np.nan)
        ax.plot(distance, shown, color=f"C{index}", label=kind)
    ax.set_yscale("log")
    ax.set(title=_(title), xlabel=_("distance from the end of the sequence (steps)"),
           ylabel=_("gradient norm of the loss w.r.t. the input"))
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    return fig
