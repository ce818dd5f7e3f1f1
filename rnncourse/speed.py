"""Timing recurrent layers against each other: written once for both frameworks.

The framework adapters (:func:`rnncourse.pytorch.compare_speed`,
:func:`rnncourse.tensorflow.compare_speed`) turn each variant into a forward-plus-backward
call and a float64 array of its outputs; this module times the calls and checks the outputs.
The benchmark harness (``benchmarks/layers.py``) times its variants with :func:`time_calls` too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from rnncourse.errors import CourseError
from rnncourse.i18n import _

#: float32 outputs of variants that compute the same thing differ by rounding only.
TOLERANCE = 1e-4


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the median of the timed rounds, and the first call on its own."""

    seconds: float
    first_call_seconds: float
    samples: list[float]


def time_calls(calls: Mapping[str, Callable[[], object]], warmup: int = 2,
               repeats: int = 5) -> dict[str, Timing]:
    """Median seconds per call of each callable, measured in interleaved rounds.

    Every call must finish its work before it returns (synchronise a GPU). The first call
    is timed on its own, because for a compiled function it includes tracing or compiling;
    then each callable is called ``warmup - 1`` more times, and after that ``repeats``
    rounds call every callable once each, so a change in background load hits all alike.
    """
    if warmup < 1 or repeats < 1:
        raise ValueError("time_calls needs warmup >= 1 and repeats >= 1.")
    first = {}
    for name, call in calls.items():
        start = time.perf_counter()
        call()
        first[name] = time.perf_counter() - start
        for _round in range(warmup - 1):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _round in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: Timing(statistics.median(samples[name]), first[name], samples[name])
            for name in calls}


def largest_differences(outputs: Mapping[str, np.ndarray],
                        tolerance: float = TOLERANCE) -> dict[str, float]:
    """Largest absolute difference of each variant's outputs from the first variant's.

    Raises CourseError (one sentence) when a variant's outputs have another shape or differ
    by more than ``tolerance``: timing it would compare different computations.
    """
    names = list(outputs)
    reference = outputs[names[0]]
    found = {}
    for name in names:
        if outputs[name].shape != reference.shape:
            raise CourseError(_("{name!r} returns outputs of shape {shape}, but {first!r} "
                                "returns {expected}: the variants must compute the same "
                                "thing.").format(name=name, shape=outputs[name].shape,
                                                 first=names[0], expected=reference.shape))
        found[name] = float(np.max(np.abs(outputs[name] - reference), initial=0.0))
        if not found[name] <= tolerance:
            raise CourseError(_("{name!r} computes different outputs from {first!r} (largest "
                                "difference {difference:.2g}): fix it before timing it.").format(
                name=name, first=names[0], difference=found[name]))
    return found


@dataclass
class SpeedComparison:
    """What :func:`compare_speed` measured, in the order the variants were given."""

    timings: dict[str, Timing]
    differences: dict[str, float]
    skipped: dict[str, str] = field(default_factory=dict)

    def milliseconds(self) -> dict[str, float]:
        """Median milliseconds per forward-plus-backward call, per variant."""
        return {name: timing.seconds * 1000 for name, timing in self.timings.items()}

    def within_noise(self, first: str, second: str) -> bool:
        """Whether the two variants' times differ by less than the rounds' own scatter.

        Each round timed both, so each round gives a ratio of their times; the difference is
        real only when the middle half of those ratios lies on one side of 1.
        """
        ratios = sorted(a / b for a, b in zip(self.timings[first].samples,
                                              self.timings[second].samples, strict=True)
                        if b > 0)
        if len(ratios) < 4:  # too few rounds to tell: rank them by their medians
            return False
        lower, _median, upper = statistics.quantiles(ratios, n=4, method="inclusive")
        return lower <= 1.0 <= upper

    def versus(self, first: str, second: str) -> str:
        """One sentence: which of two variants is faster and by how much, or that it is noise."""
        a, b = self.timings[first].seconds * 1000, self.timings[second].seconds * 1000
        rounds = len(self.timings[first].samples)
        if self.within_noise(first, second):
            return _("{first} and {second} take the same time within this machine's noise "
                     "({first_ms:.1f} and {second_ms:.1f} ms per call, medians of {rounds} "
                     "rounds).").format(first=_(first), second=_(second), first_ms=a,
                                        second_ms=b, rounds=rounds)
        (fast, fast_ms), (slow, slow_ms) = sorted(((_(first), a), (_(second), b)),
                                                  key=lambda pair: pair[1])
        return _("{fast} is {ratio:.1f}× as fast as {slow} ({fast_ms:.1f} against "
                 "{slow_ms:.1f} ms per call, medians of {rounds} rounds).").format(
            fast=fast, slow=slow, ratio=slow_ms / fast_ms, fast_ms=fast_ms, slow_ms=slow_ms,
            rounds=rounds)

    def table(self) -> str:
        """A Markdown table: time per call, speed-up over the row above (or "within noise"),
        and the first call."""
        header = [_("variant"), _("ms per call"), _("faster than the row above"),
                  _("first call, ms")]
        lines = ["| " + " | ".join(header) + " |", "|---|---:|---:|---:|"]
        previous: str | None = None
        for name, timing in self.timings.items():
            if previous is None:
                gain = "—"
            elif self.within_noise(previous, name):
                gain = _("within noise")
            else:
                gain = f"{self.timings[previous].seconds / timing.seconds:.2f}×"
            lines.append(f"| {name} | {timing.seconds * 1000:.1f} | {gain} | "
                         f"{timing.first_call_seconds * 1000:.0f} |")
            previous = name
        for name, reason in self.skipped.items():
            lines.append(f"| {name} | — | {reason} | — |")
        return "\n".join(lines)


def compare(variants: Mapping[str, Callable[[], object]],
            outputs_of: Callable[[Callable[[], object]], np.ndarray],
            step_of: Callable[[Callable[[], object]], Callable[[], object]],
            warmup: int, repeats: int) -> SpeedComparison:
    """The adapters' compare_speed, given how their framework runs a variant.

    ``outputs_of(forward)`` runs a variant once and returns its outputs as a float64 array;
    ``step_of(forward)`` makes the forward-plus-backward call that is timed. A variant whose
    code raises NotImplementedError (a student's unfinished exercise) is listed as not timed.
    """
    steps, outputs, skipped = {}, {}, {}
    for name, forward in variants.items():
        try:
            outputs[name] = outputs_of(forward)
        except NotImplementedError:
            skipped[name] = _("not timed: {name} still raises NotImplementedError").format(
                name=name)
            continue
        steps[name] = step_of(forward)
    if not steps:
        raise CourseError(_("There is nothing to time: every variant was skipped ({reasons}).")
                          .format(reasons="; ".join(f"{name}: {reason}"
                                                    for name, reason in skipped.items())))
    return SpeedComparison(time_calls(steps, warmup, repeats), largest_differences(outputs),
                           skipped)
