"""Plots the lessons show: training curves and simple comparisons."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from rnncourse.training import History


def plot_history(
    history: History | Mapping[str, History], title: str = "Training curves"
) -> Figure:
    """Loss and accuracy per epoch, training (solid) and test (dashed), side by side.

    Pass one History, or a mapping ``{"model name": history}`` to compare runs.
    """
    runs = {"": history} if isinstance(history, History) else dict(history)
    if not runs or not all(isinstance(h, History) and h.epochs for h in runs.values()):
        raise ValueError("plot_history needs a History with at least one epoch; train first.")
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
    for index, (name, run) in enumerate(runs.items()):
        color = f"C{index}"
        epochs = run.column("epoch")
        prefix = f"{name}, " if name else ""
        for ax, metric in ((ax_loss, "loss"), (ax_acc, "accuracy")):
            ax.plot(epochs, run.column(f"train_{metric}"), "-o", color=color,
                    label=f"{prefix}train")
            ax.plot(epochs, run.column(f"test_{metric}"), "--s", color=color,
                    label=f"{prefix}test")
    ax_loss.set(title="Loss (cross-entropy)", xlabel="epoch", ylabel="loss")
    ax_acc.set(title="Accuracy", xlabel="epoch", ylabel="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", framealpha=0.7)  # several runs: keep the curves visible
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_bars(values: Mapping[str, float], title: str, ylabel: str,
              reference: float | None = None, reference_label: str = "chance") -> Figure:
    """A labelled bar chart, e.g. test accuracy per model, with an optional reference line."""
    if not values:
        raise ValueError("plot_bars needs at least one value.")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = list(values)
    bars = ax.bar(names, [values[n] for n in names], color=[f"C{i}" for i in range(len(names))])
    ax.bar_label(bars, fmt="%.2f")
    ax.margins(y=0.12)  # room for the labels above the tallest bar
    if reference is not None:
        ax.axhline(reference, color="gray", linestyle=":", label=reference_label)
        ax.legend()
    ax.set(title=title, ylabel=ylabel)
    fig.tight_layout()
    return fig
