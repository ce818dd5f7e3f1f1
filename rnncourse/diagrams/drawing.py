"""Shared pieces of the diagrams: palette, boxes, operation nodes, wires, and SVG rendering.

A canvas is one axes filling the figure, with data units of one inch, so sizes, line widths
and font sizes relate simply (1 inch = 72 points) and nothing is rescaled after drawing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from rnncourse.plots import FALLBACK_FONT, font_family

Point = tuple[float, float]
Labels = Mapping[str, str]

INK = "#2f3640"
BACKGROUND = "white"
MUTED = "#6b7380"
#: Fill and edge colour per kind of thing, the same in every diagram.
PALETTE: dict[str, tuple[str, str]] = {
    "input": ("#e3eefb", "#4a7fb5"),
    "state": ("#e0f2e3", "#3d8b53"),
    "cell state": ("#fff0d4", "#c7861a"),
    "gate": ("#efe5f8", "#8452a8"),
    "candidate": ("#fde5e1", "#c0504d"),
    "cell": ("#f3f5f8", "#5c6670"),
    "weights": ("#f7f7f7", "#8c8c8c"),
    "op": ("#ffffff", "#4d5561"),
    "forward": ("#e3eefb", "#3f72ad"),
    "backward": ("#fdebd9", "#d0782a"),
    "classifier": ("#fde5e1", "#c0504d"),
    "dropout": ("#fafafa", "#9aa0a8"),
}

TITLE_SIZE = 16
TEXT_SIZE = 12.5
SMALL_SIZE = 10.5
MATH_SIZE = 15
CODE_FONT = "DejaVu Sans Mono"  # shapes such as 1 × input_size are code, in both languages
LINE_WIDTH = 1.6


@dataclass(frozen=True)
class Box:
    """A drawn box's centre and size, to attach wires to its sides."""

    x: float
    y: float
    w: float
    h: float

    @property
    def top(self) -> Point:
        return (self.x, self.y + self.h / 2)

    @property
    def bottom(self) -> Point:
        return (self.x, self.y - self.h / 2)

    @property
    def left(self) -> Point:
        return (self.x - self.w / 2, self.y)

    @property
    def right(self) -> Point:
        return (self.x + self.w / 2, self.y)

    def at(self, dx: float = 0.0, dy: float = 0.0) -> Point:
        """A point relative to the centre, e.g. on an edge off the middle."""
        return (self.x + dx, self.y + dy)


def canvas(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of ``width`` × ``height`` inches whose axes use inches as data units."""
    # Figure, not pyplot: nothing registered globally, nothing shown by a notebook by accident.
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    return fig, ax


def text(ax: Axes, at: Point, content: str, size: float = TEXT_SIZE, color: str = INK,
         **kwargs: Any) -> None:
    """Text centred on ``at`` unless ``ha``/``va`` say otherwise."""
    kwargs.setdefault("ha", "center")
    kwargs.setdefault("va", "center")
    ax.text(at[0], at[1], content, size=size, color=color, **kwargs)


def title(ax: Axes, width: float, height: float, content: str) -> None:
    """The figure's title, centred along the top."""
    text(ax, (width / 2, height - 0.3), content, size=TITLE_SIZE)


def box(ax: Axes, at: Point, size: Point, kind: str, content: str = "",
        text_size: float = MATH_SIZE, dashed: bool = False, rounding: float = 0.08,
        note: str = "", note_size: float = SMALL_SIZE, zorder: float = 2) -> Box:
    """A rounded box of a palette ``kind`` centred on ``at``; ``note`` is a smaller second
    line (e.g. a shape) under ``content``. A frame around other things takes ``zorder=0``."""
    fill, edge = PALETTE[kind]
    w, h = size
    ax.add_patch(FancyBboxPatch(
        (at[0] - w / 2, at[1] - h / 2), w, h,
        boxstyle=f"round,pad=0,rounding_size={rounding}", facecolor=fill, edgecolor=edge,
        linewidth=LINE_WIDTH, linestyle=(0, (4, 3)) if dashed else "-", zorder=zorder))
    if content and note:
        text(ax, (at[0], at[1] + h * 0.17), content, size=text_size, zorder=zorder + 1)
        text(ax, (at[0], at[1] - h * 0.22), note, size=note_size, color=MUTED,
             family=CODE_FONT, zorder=zorder + 1)
    elif content:
        text(ax, at, content, size=text_size, zorder=zorder + 1)
    return Box(at[0], at[1], w, h)


def node(ax: Axes, at: Point, symbol: str, kind: str = "op", radius: float = 0.2,
         size: float = MATH_SIZE) -> Box:
    """A small circle holding an operation (⊙, +, ×, tanh) or a gate's σ."""
    fill, edge = PALETTE[kind]
    ax.add_patch(Circle(at, radius, facecolor=fill, edgecolor=edge, linewidth=LINE_WIDTH,
                        zorder=4))
    text(ax, at, symbol, size=size, zorder=5)
    return Box(at[0], at[1], 2 * radius, 2 * radius)


def wire(ax: Axes, *points: Point, color: str = INK, head: bool = True, halo: str = "",
         dashed: bool = False, width: float = LINE_WIDTH, zorder: float = 1) -> None:
    """A polyline through ``points``, with an arrow head at the end unless ``head`` is False.

    ``halo`` (the background's colour) draws a band under it, so it visibly bridges the
    wires it crosses."""
    path = Path(list(points), [Path.MOVETO] + [Path.LINETO] * (len(points) - 1))
    effects = [patheffects.withStroke(linewidth=7, foreground=halo)] if halo else []
    ax.add_patch(FancyArrowPatch(
        path=path, arrowstyle="-|>" if head else "-", mutation_scale=13, color=color,
        linewidth=width, linestyle=(0, (4, 3)) if dashed else "-", path_effects=effects,
        joinstyle="miter", capstyle="butt", zorder=zorder + (0.5 if halo else 0)))


def loop(ax: Axes, start: Point, end: Point, side: float, color: str = INK) -> None:
    """A rounded loop leaving ``start`` and coming back into ``end`` on the same side
    (``side`` is -1 for left, 1 for right): a state fed back into its own cell."""
    angle = 0 if side > 0 else 180
    ax.add_patch(FancyArrowPatch(
        start, end, arrowstyle="-|>", mutation_scale=13, color=color, linewidth=LINE_WIDTH,
        connectionstyle=f"arc,angleA={angle},angleB={angle},armA=30,armB=30,rad=10",
        shrinkA=0, shrinkB=0, zorder=1))


def dot(ax: Axes, at: Point, color: str = INK) -> None:
    """A junction: one wire splitting into two."""
    ax.add_patch(Circle(at, 0.045, facecolor=color, edgecolor="none", zorder=3))


def settings(language: str) -> dict[str, Any]:
    """The rcParams every diagram is drawn under (applied with ``rc_context``)."""
    # English pins DejaVu Sans instead of font_family("en"), which follows the notebook's
    # rcParams: the committed figures must not depend on who rendered them.
    families = font_family("ko") if language == "ko" else [FALLBACK_FONT]
    return {
        "font.family": families,
        "font.size": TEXT_SIZE,
        "mathtext.fontset": "dejavusans",
        "text.usetex": False,
        "text.color": INK,
        "axes.unicode_minus": True,
        "svg.fonttype": "path",  # glyphs as paths: the same picture without the fonts
        "svg.hashsalt": "rnncourse-diagrams",  # fixed ids: same input, same bytes
        "svg.image_inline": True,
        "figure.facecolor": BACKGROUND,
        "savefig.facecolor": BACKGROUND,
        "savefig.transparent": False,
    }


def render(draw: Callable[[Labels], Figure], labels: Labels, language: str,
           title: str = "") -> str:
    """Draw a figure with ``labels`` under :func:`settings` and return it as SVG text;
    ``title`` goes into the SVG's metadata."""
    with mpl.rc_context(settings(language)):
        fig = draw(labels)  # inside the context: text takes its font when it is created
        try:
            buffer = io.StringIO()
            metadata = {"Date": None, **({"Title": title} if title else {})}
            fig.savefig(buffer, format="svg", metadata=metadata)
        finally:
            fig.clear()
    return buffer.getvalue()
