"""Framework-neutral training records: what both training loops return."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from numbers import Real

from rnncourse.i18n import _


def quick_mode() -> bool:
    """True under nbgrader's autograding or when ``RNNCOURSE_QUICK=1``: notebooks train small.

    nbgrader sets ``NBGRADER_EXECUTION`` while it executes a notebook; CI sets
    ``RNNCOURSE_QUICK``. Students running a lesson themselves get the full settings.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return True
    return os.environ.get("RNNCOURSE_QUICK", "").strip().lower() in {"1", "true", "yes"}


@dataclass
class EpochRecord:
    """Loss and accuracy of one epoch on the training and test data, and its duration."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float


@dataclass
class EpochMeter:
    """Running loss and accuracy over one epoch's batches, for the progress bar and History."""

    epoch: int
    start: float = field(default_factory=time.perf_counter)
    loss_sum: float = 0.0
    correct: float = 0.0
    count: int = 0

    def add(self, mean_loss: float, hits: float, size: int) -> None:
        """Account for one batch: its mean loss, number of right predictions and size."""
        self.loss_sum += mean_loss * size
        self.correct += hits
        self.count += size

    def postfix(self) -> dict[str, str]:
        """The running figures the progress bar shows."""
        count = max(self.count, 1)
        return {"loss": f"{self.loss_sum / count:.3f}", "acc": f"{self.correct / count:.3f}"}

    def finish(self, test_loss: float, test_accuracy: float) -> EpochRecord:
        """The epoch's record, once the test split has been evaluated."""
        count = max(self.count, 1)
        return EpochRecord(self.epoch, self.loss_sum / count, self.correct / count, test_loss,
                           test_accuracy, time.perf_counter() - self.start)


def epoch_summary(record: EpochRecord) -> str:
    """The line printed under an epoch's progress bar, in the notebook's language."""
    return _("epoch {epoch}: train accuracy {train:.3f}, test accuracy {test:.3f} "
             "({seconds:.0f} s)").format(epoch=record.epoch, train=record.train_accuracy,
                                         test=record.test_accuracy, seconds=record.seconds)


def epoch_description(epoch: int, epochs: int) -> str:
    """The label of an epoch's progress bar, e.g. ``epoch 2/5``."""
    return _("epoch {epoch}/{epochs}").format(epoch=epoch, epochs=epochs)


def device_line(framework: str, device: str) -> str:
    """The one line a lesson prints at its top: which framework uses which device."""
    return _("{framework} is using {device}.").format(framework=framework, device=device)


def positive_number(value: object) -> float | None:
    """``value`` as a float if it is a positive, finite number, else None.

    A string or a bool is refused; NaN fails the comparison, and inf would clip to NaN.
    """
    number = float(value) if isinstance(value, Real) and not isinstance(value, bool) else math.nan
    return number if 0 < number < math.inf else None


def check_clip_norm(clip_norm: float | None) -> float | None:
    """Return ``clip_norm`` as a float (or None: no clipping); raise unless positive and finite."""
    if clip_norm is None:
        return None
    value = positive_number(clip_norm)
    if value is None:
        raise ValueError(f"clip_norm must be a positive number or None, not {clip_norm!r}.")
    return value


def clipped_fraction(gradient_norms: Iterable[float], clip_norm: float | None) -> float:
    """Share of updates whose gradient norm exceeded ``clip_norm``, so that clipping shrank them.

    NaN when ``clip_norm`` is None (nothing was clipped, nor could be) or there was no
    update. A NaN norm counts as not clipped: clipping cannot repair it.
    """
    norms = list(gradient_norms)
    if clip_norm is None or not norms:
        return float("nan")
    return sum(norm > clip_norm for norm in norms) / len(norms)


def largest_gradient_norm(gradient_norms: Iterable[float]) -> float:
    """The largest gradient norm, NaN norms ignored (NaN if there is no other)."""
    return max((norm for norm in gradient_norms if not math.isnan(norm)), default=float("nan"))


@dataclass
class History:
    """Everything a training run measured: one record per epoch, one gradient norm per update.

    ``gradient_norms`` holds the global L2 norm of all trainable parameters' gradients at
    every update, in order over all epochs, measured before clipping; ``clip_norm`` is the
    threshold they were clipped to (None: not clipped).
    """

    device: str
    epochs: list[EpochRecord] = field(default_factory=list)
    gradient_norms: list[float] = field(default_factory=list)
    clip_norm: float | None = None

    @property
    def test_accuracy(self) -> float:
        """Test accuracy after the last epoch (NaN before any epoch)."""
        return self.epochs[-1].test_accuracy if self.epochs else float("nan")

    @property
    def seconds(self) -> float:
        """Total training time in seconds, evaluation included."""
        return sum(record.seconds for record in self.epochs)

    def column(self, name: str) -> list[float]:
        """One field of every epoch, e.g. ``history.column("test_accuracy")``."""
        return [getattr(record, name) for record in self.epochs]

    def clipped_fraction(self) -> float:
        """Share of the updates that clipping shrank (NaN without clipping or updates)."""
        return clipped_fraction(self.gradient_norms, self.clip_norm)

    @property
    def largest_gradient_norm(self) -> float:
        """The largest gradient norm of any update, before clipping (NaN before any)."""
        return largest_gradient_norm(self.gradient_norms)

    def to_dict(self) -> dict:
        """A JSON-ready dictionary (``json`` writes a NaN or infinite value as NaN or Infinity)."""
        return {"device": self.device, "epochs": [asdict(r) for r in self.epochs],
                "gradient_norms": [float(norm) for norm in self.gradient_norms],
                "clip_norm": self.clip_norm}

    def __str__(self) -> str:
        lines = ["epoch  train loss  train acc  test loss  test acc  seconds"]
        for r in self.epochs:
            lines.append(f"{r.epoch:5d}  {r.train_loss:10.4f}  {r.train_accuracy:9.3f}  "
                         f"{r.test_loss:9.4f}  {r.test_accuracy:8.3f}  {r.seconds:7.1f}")
        return "\n".join(lines)


def best_model(histories: Mapping[str, History]) -> str:
    """The name of the run with the highest final test accuracy."""
    finished = {name: h.test_accuracy for name, h in histories.items() if h.epochs}
    if not finished:
        raise ValueError("best_model needs at least one History with an epoch; train first.")
    return max(finished, key=finished.__getitem__)


def comparison_table(histories: dict[str, History], parameters: dict[str, int]) -> str:
    """A Markdown table comparing trained models: test accuracy, size and speed.

    ``histories`` and ``parameters`` are keyed by model name, in the order to show.
    """
    missing = [name for name in histories if name not in parameters]
    if missing:
        raise ValueError(f"No parameter count for {missing[0]!r}; pass one for every model.")
    header = [_("model"), _("test accuracy"), _("parameters"), _("seconds per epoch")]
    lines = ["| " + " | ".join(header) + " |", "|---|---|---|---|"]
    for name, history in histories.items():
        per_epoch = history.seconds / max(len(history.epochs), 1)
        lines.append(f"| {name.upper() if len(name) <= 4 else name} | "
                     f"{history.test_accuracy:.3f} | {parameters[name]:,} | {per_epoch:.1f} |")
    return "\n".join(lines)
