"""Framework-neutral side of Lesson 2's experiments: inputs, checks, the sweep, tables, plots.

The PyTorch and TensorFlow adapters (:mod:`rnncourse.experiments.pytorch`,
:mod:`rnncourse.experiments.tensorflow`) build the models and compute the
gradients; everything that does not depend on the framework lives here once.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from tqdm.auto import tqdm

from rnncourse.data.encoded import EncodedSplit
from rnncourse.data.memory import first_token_memory
from rnncourse.i18n import N_, _
from rnncourse.plots import use_language_font
from rnncourse.training import (
    check_clip_norm,
    clipped_fraction,
    largest_gradient_norm,
    positive_number,
)

__all__ = [
    "CLIPPING_BATCH_SIZE",
    "CLIPPING_DISTRACTORS",
    "CLIPPING_EMBED_SIZE",
    "CLIPPING_HIDDEN_SIZE",
    "CLIPPING_LR",
    "CLIPPING_RECURRENT_GAIN",
    "CLIPPING_UPDATES",
    "ClippingProblem",
    "ClippingRun",
    "MEMORY_CLASSES",
    "MEMORY_INITS",
    "MEMORY_VOCAB_SIZE",
    "RECURRENT_KINDS",
    "check_at_least",
    "check_clipping_arguments",
    "check_init",
    "check_kind",
    "check_positive",
    "chrono_bias",
    "clipping_problem",
    "gradient_probe",
    "mean_step_norms",
    "memory_splits",
    "memory_table",
    "plot_clipping",
    "plot_gradient_norms",
    "plot_memory_sweep",
    "run_clipping",
    "run_memory_sweep",
]

#: The recurrent layers the experiments compare, by the names the functions accept.
RECURRENT_KINDS: tuple[str, ...] = ("rnn", "lstm", "gru")
#: Gate initialisations of :func:`memory_accuracy`: see :func:`chrono_bias`.
MEMORY_INITS: tuple[str, ...] = ("chrono", "default")
#: Classes and id range of the memory task the experiments train on.
MEMORY_CLASSES = 4
MEMORY_VOCAB_SIZE = 20
#: The fixed sizes of :func:`clipping_experiment`'s model and task.
CLIPPING_DISTRACTORS = 20
CLIPPING_EMBED_SIZE = 16
CLIPPING_HIDDEN_SIZE = 64
CLIPPING_BATCH_SIZE = 32
#: The defaults of :func:`clipping_experiment`, chosen so that it diverges without clipping.
CLIPPING_UPDATES = 300
CLIPPING_LR = 0.5
CLIPPING_RECURRENT_GAIN = 1.25


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


def check_positive(name: str, value: float) -> None:
    """Raise a one-sentence ValueError unless ``value`` is a positive (finite) number."""
    if positive_number(value) is None:
        raise ValueError(f"{name} must be a positive number, not {value!r}.")


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


# --- exploding gradients and clipping ------------------------------------------------------


@dataclass
class ClippingProblem:
    """The starting weights and the batches of :func:`clipping_experiment`, in NumPy (float32).

    The weights use PyTorch's layout (``weight[out, in]``); the TensorFlow adapter
    transposes them. ``ids`` has shape ``(updates, batch, distractors + 1)`` and
    ``labels`` ``(updates, batch)``: batch ``i`` is the data of update ``i``.
    """

    embedding: np.ndarray  # (vocab, embed)
    input_weights: np.ndarray  # (hidden, embed)
    recurrent_weights: np.ndarray  # (hidden, hidden)
    readout_weights: np.ndarray  # (classes, hidden)
    ids: np.ndarray
    labels: np.ndarray


def check_clipping_arguments(clip_norm: float | None, updates: int, lr: float,
                             recurrent_gain: float) -> float | None:
    """Check :func:`clipping_experiment`'s arguments; return ``clip_norm`` as a float or None."""
    check_at_least("updates", updates, 1)
    check_positive("lr", lr)
    check_positive("recurrent_gain", recurrent_gain)
    return check_clip_norm(clip_norm)


def clipping_problem(updates: int, recurrent_gain: float, seed: int = 0) -> ClippingProblem:
    """Starting weights and data of the clipping experiment, the same in both frameworks.

    The task is :func:`~rnncourse.data.first_token_memory` with
    :data:`CLIPPING_DISTRACTORS` distractors, a fresh batch of
    :data:`CLIPPING_BATCH_SIZE` sequences per update. The embeddings start standard
    normal and the input and readout weights uniform in ``+-1/sqrt(hidden)`` (PyTorch's
    defaults); every bias starts at zero. The recurrent matrix is a random orthogonal
    matrix times ``recurrent_gain``: it stretches every direction of the state by exactly
    that factor, so with a gain above 1 a gradient sent back through the steps can grow by
    that factor per step wherever the tanh is not saturated.
    """
    check_at_least("updates", updates, 1)
    check_positive("recurrent_gain", recurrent_gain)
    rng = np.random.default_rng(seed)
    vocab, embed, hidden = MEMORY_VOCAB_SIZE, CLIPPING_EMBED_SIZE, CLIPPING_HIDDEN_SIZE
    bound = 1 / math.sqrt(hidden)
    embedding = rng.standard_normal((vocab, embed))
    input_weights = rng.uniform(-bound, bound, (hidden, embed))
    q, r = np.linalg.qr(rng.standard_normal((hidden, hidden)))
    orthogonal = q * np.sign(np.diag(r))  # signs fixed so the draw is uniform
    readout = rng.uniform(-bound, bound, (MEMORY_CLASSES, hidden))
    data = first_token_memory(updates * CLIPPING_BATCH_SIZE, CLIPPING_DISTRACTORS,
                              num_classes=MEMORY_CLASSES, vocab_size=vocab, seed=seed)
    return ClippingProblem(
        embedding=embedding.astype(np.float32),
        input_weights=input_weights.astype(np.float32),
        recurrent_weights=(recurrent_gain * orthogonal).astype(np.float32),
        readout_weights=readout.astype(np.float32),
        ids=data.ids.reshape(updates, CLIPPING_BATCH_SIZE, -1),
        labels=data.labels.reshape(updates, CLIPPING_BATCH_SIZE),
    )


@dataclass
class ClippingRun:
    """What one run of ``clipping_experiment`` measured, update by update.

    ``losses[i]`` is the training loss (mean cross-entropy of batch ``i``) before update
    ``i`` and ``gradient_norms[i]`` the global L2 norm of that update's gradients before
    clipping; a NaN or infinite value is recorded as it came. ``clip_norm`` is None for
    the run without clipping; ``seconds`` is the time the updates took.
    """

    clip_norm: float | None
    lr: float
    recurrent_gain: float
    losses: np.ndarray
    gradient_norms: np.ndarray
    seconds: float

    @property
    def updates(self) -> int:
        """Number of updates."""
        return len(self.losses)

    @property
    def initial_loss(self) -> float:
        """The loss before the first update."""
        return float(self.losses[0])

    @property
    def final_loss(self) -> float:
        """Mean loss over the last tenth of the updates (NaN or inf if one of them is)."""
        return float(np.mean(self.losses[-max(1, self.updates // 10):]))

    @property
    def largest_gradient_norm(self) -> float:
        """The largest gradient norm before clipping, NaN norms ignored."""
        return largest_gradient_norm(self.gradient_norms.tolist())

    def clipped_fraction(self) -> float:
        """Share of the updates whose gradient norm exceeded ``clip_norm`` (NaN unclipped)."""
        return clipped_fraction(self.gradient_norms.tolist(), self.clip_norm)

    def first_nonfinite_update(self) -> int | None:
        """Index of the first update whose loss was NaN or infinite, or None."""
        broken = np.flatnonzero(~np.isfinite(self.losses))
        return int(broken[0]) if len(broken) else None


def run_clipping(step: Callable[[int], tuple[float, float]], clip_norm: float | None,
                 lr: float, recurrent_gain: float, updates: int) -> ClippingRun:
    """Call ``step(i)`` for every update ``i`` and collect its ``(loss, gradient norm)``.

    The adapters' training loop, written once: ``step`` makes update ``i`` and returns
    the batch's loss and the gradient norm before clipping.
    """
    losses = np.empty(updates)
    norms = np.empty(updates)
    start = time.perf_counter()
    for update in range(updates):
        losses[update], norms[update] = step(update)
    return ClippingRun(clip_norm, lr, recurrent_gain, losses, norms, time.perf_counter() - start)


def _positive_or_gap(values: np.ndarray) -> np.ndarray:
    """``values`` as float64, with every value a log axis cannot show (NaN, inf, <= 0) as NaN."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values) & (values > 0), values, np.nan)


def plot_clipping(runs: Mapping[str, ClippingRun], *,
                  title: str = N_("Exploding gradients, without and with clipping")) -> Figure:
    """Gradient norm before clipping and training loss per update, side by side, on log axes.

    ``runs`` maps a name to a :class:`ClippingRun`; each run's clip threshold is a dashed
    line on the left panel. Values a log axis cannot show (NaN, infinite) leave a gap, and
    a dotted vertical line marks the update from which a run's loss stopped being finite.
    """
    if not runs:
        raise ValueError("plot_clipping needs at least one run.")
    for name, run in runs.items():
        if not isinstance(run, ClippingRun) or not run.updates:
            raise ValueError(f"the run {name!r} must be a ClippingRun with at least one update.")
    use_language_font()
    fig, (norm_ax, loss_ax) = plt.subplots(1, 2, figsize=(11, 3.8))
    thresholds_drawn: set[float] = set()
    for index, (name, run) in enumerate(runs.items()):
        color, label = f"C{index}", _(name)
        updates = np.arange(1, run.updates + 1)
        norm_ax.plot(updates, _positive_or_gap(run.gradient_norms), color=color, linewidth=1,
                     label=label)
        loss_ax.plot(updates, _positive_or_gap(run.losses), color=color, linewidth=1,
                     label=label)
        if run.clip_norm is not None and run.clip_norm not in thresholds_drawn:
            thresholds_drawn.add(run.clip_norm)
            norm_ax.axhline(run.clip_norm, color=color, linestyle="--", linewidth=1.2,
                            label=_("clip threshold ({value:g})").format(value=run.clip_norm))
        broken = run.first_nonfinite_update()
        if broken is not None:
            for ax in (norm_ax, loss_ax):
                ax.axvline(updates[broken], color=color, linestyle=":",
                           label=_("{name}: NaN or infinite from here").format(name=label))
    norm_ax.set(title=_("Gradient norm before clipping"), xlabel=_("update"),
                ylabel=_("global gradient norm (log scale)"))
    loss_ax.set(title=_("Training loss"), xlabel=_("update"),
                ylabel=_("cross-entropy loss (log scale)"))
    for ax in (norm_ax, loss_ax):
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize="small", framealpha=0.7)
    fig.suptitle(_(title))
    fig.tight_layout()
    return fig
