"""Plots the lessons show: training curves and simple comparisons, in the notebook's language.

When a notebook chooses Korean (``set_language("ko")``), matplotlib draws text with the
NanumGothic font that the ``koreanize-matplotlib`` package ships, falling back to DejaVu Sans
for any glyph it lacks, so Korean labels show instead of empty boxes. The font file is
registered with matplotlib's font manager directly: importing ``koreanize_matplotlib``
would change matplotlib's settings as a side effect (and needs ``distutils``, gone in
Python 3.12).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure

from rnncourse.errors import CourseError
from rnncourse.i18n import N_, _, on_language_change, resolve_language
from rnncourse.training import History

#: The package and file of the Korean font.
KOREAN_FONT_PACKAGE = "koreanize_matplotlib"
KOREAN_FONT_FILE = "NanumGothic.ttf"
#: Where glyphs missing from a language's font come from (matplotlib's own font).
FALLBACK_FONT = "DejaVu Sans"

_english_family: list[str] | None = None


def korean_font_file() -> Path:
    """The NanumGothic font file inside the installed ``koreanize-matplotlib`` package."""
    # find_spec locates the package without running it (its import changes rcParams).
    spec = importlib.util.find_spec(KOREAN_FONT_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "fonts" / KOREAN_FONT_FILE
        if path.is_file():
            return path
    raise CourseError(f"The Korean font {KOREAN_FONT_FILE} is not installed: run "
                      "`pip install koreanize-matplotlib` (./course lab installs it).")


@cache
def register_korean_font() -> str:
    """Add the Korean font to matplotlib's font manager (once); returns its family name."""
    path = korean_font_file()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def font_family(language: str | None = None) -> list[str]:
    """The font families text is drawn with in ``language`` (default: the notebook's)."""
    if resolve_language(language) == "ko":
        return [register_korean_font(), FALLBACK_FONT]
    return list(_english_family or mpl.rcParams["font.family"])


def use_language_font(language: str | None = None) -> None:
    """Make matplotlib draw every later figure's text in a font for ``language``.

    Called by ``set_language``; the English setting is remembered and restored."""
    global _english_family
    language = resolve_language(language)
    if language == "ko" and _english_family is None:
        _english_family = list(mpl.rcParams["font.family"])
    if language == "ko" or _english_family is not None:
        mpl.rcParams["font.family"] = font_family(language)
    if language != "ko":
        _english_family = None


on_language_change(use_language_font)


def plot_history(
    history: History | Mapping[str, History], title: str = N_("Training curves")
) -> Figure:
    """Loss and accuracy per epoch, training (solid) and test (dashed), side by side.

    Pass one History, or a mapping ``{"model name": history}`` to compare runs. The title and
    the run names are shown translated when the notebook's language has them in the catalog.
    """
    runs = {"": history} if isinstance(history, History) else dict(history)
    if not runs or not all(isinstance(h, History) and h.epochs for h in runs.values()):
        raise ValueError("plot_history needs a History with at least one epoch; train first.")
    use_language_font()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8))
    for index, (name, run) in enumerate(runs.items()):
        color = f"C{index}"
        epochs = run.column("epoch")
        prefix = f"{_(name)}, " if name else ""
        for ax, metric in ((ax_loss, "loss"), (ax_acc, "accuracy")):
            ax.plot(epochs, run.column(f"train_{metric}"), "-o", color=color,
                    label=prefix + _("train"))
            ax.plot(epochs, run.column(f"test_{metric}"), "--s", color=color,
                    label=prefix + _("test"))
    ax_loss.set(title=_("Loss (cross-entropy)"), xlabel=_("epoch"), ylabel=_("loss"))
    ax_acc.set(title=_("Accuracy"), xlabel=_("epoch"), ylabel=_("accuracy"))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small", framealpha=0.7)  # several runs: keep the curves visible
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(_(title))
    fig.tight_layout()
    return fig


def _labelled_bars(ax: plt.Axes, values: Mapping[str, float], fmt: str) -> None:
    """One bar per entry, each in its own colour with its value written above it."""
    bars = ax.bar(list(values), list(values.values()),
                  color=[f"C{i}" for i in range(len(values))])
    ax.bar_label(bars, fmt=fmt)
    ax.margins(y=0.12)  # room for the labels above the tallest bar


def plot_bars(values: Mapping[str, float], title: str, ylabel: str,
              reference: float | None = None, reference_label: str = N_("chance"),
              fields: Mapping[str, object] | None = None) -> Figure:
    """A labelled bar chart, e.g. test accuracy per model, with an optional reference line.

    The texts (title, label, bar names) are shown translated when the notebook's language
    has them in the catalog. ``fields`` fill the title's ``{name}`` fields after translation,
    so a title with numbers in it is still one text of the catalog.
    """
    if not values:
        raise ValueError("plot_bars needs at least one value.")
    use_language_font()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    _labelled_bars(ax, {_(name): value for name, value in values.items()}, "%.2f")
    if reference is not None:
        ax.axhline(reference, color="gray", linestyle=":", label=_(reference_label))
        ax.legend(loc="lower right", framealpha=0.9)  # the bars' labels are at the top
    shown = _(title)
    if fields:
        try:
            shown = shown.format(**fields)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"plot_bars: the title {title!r} and its fields "
                             f"{sorted(fields)} do not match ({error!r}).") from None
    ax.set(title=shown, ylabel=_(ylabel))
    fig.tight_layout()
    return fig


def plot_dataset(counts: Mapping[str, int], lengths: Sequence[int], max_len: int | None = None,
                 title: str = N_("The data set")) -> Figure:
    """Class balance (texts per class) beside the distribution of text lengths in tokens.

    ``max_len``, when given, is drawn as a line: texts longer than it are cut.
    """
    if not counts or not len(lengths):
        raise ValueError("plot_dataset needs at least one class and one text.")
    use_language_font()
    fig, (ax_classes, ax_lengths) = plt.subplots(1, 2, figsize=(11, 3.8))
    _labelled_bars(ax_classes, counts, "%d")
    ax_classes.tick_params(axis="x", labelrotation=30 if len(counts) > 4 else 0)
    ax_classes.set(title=_("Texts per class"), xlabel=_("class"), ylabel=_("texts"))
    ax_lengths.hist(lengths, bins=min(50, max(int(max(lengths)), 1)), color="C0")
    if max_len is not None:
        ax_lengths.axvline(max_len, color="gray", linestyle=":",
                           label=_("max_len = {max_len}").format(max_len=max_len))
        ax_lengths.legend()
    ax_lengths.set(title=_("Text length"), xlabel=_("tokens"), ylabel=_("texts"))
    fig.suptitle(_(title))
    fig.tight_layout()
    return fig


def plot_confusion(matrix: np.ndarray, classes: Sequence[str],
                   title: str = N_("Confusion matrix")) -> Figure:
    """A confusion matrix: row = true class, column = predicted class, each row as shares."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.shape != (len(classes), len(classes)):
        raise ValueError(f"plot_confusion: a {matrix.shape} matrix for {len(classes)} classes.")
    use_language_font()
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.7 * len(classes) + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, column), share in np.ndenumerate(shares):
        ax.text(column, row, f"{share:.2f}", ha="center", va="center",
                color="white" if share > 0.5 else "black", fontsize="small")
    ticks = range(len(classes))
    ax.set_xticks(ticks, classes, rotation=45, ha="right")
    ax.set_yticks(ticks, classes)
    ax.set(title=_(title), xlabel=_("predicted class"), ylabel=_("true class"))
    fig.colorbar(image, ax=ax, label=_("share of the true class"))
    fig.tight_layout()
    return fig
