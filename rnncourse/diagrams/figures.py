"""The six diagrams. Each function takes one language's labels and returns a Figure.

Coordinates are inches from the bottom-left corner (see :func:`drawing.canvas`). Math is
written here, words come from :mod:`rnncourse.diagrams.labels`.
"""

from __future__ import annotations

from collections.abc import Callable

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rnncourse.diagrams.drawing import (
    BACKGROUND,
    MATH_SIZE,
    MUTED,
    PALETTE,
    SMALL_SIZE,
    TEXT_SIZE,
    Box,
    Labels,
    box,
    canvas,
    dot,
    loop,
    node,
    text,
    title,
    wire,
)

#: The steps drawn in a sequence: three, an ellipsis, and the last.
STEPS = ("1", "2", "3", "T")
CELL = (1.0, 0.7)
SMALL_BOX = (0.72, 0.48)
GATE = (0.64, 0.5)


def edge(kind: str) -> str:
    """The edge colour of a palette kind, used for the wires that carry it."""
    return PALETTE[kind][1]


def columns(first: float, spacing: float) -> tuple[list[float], float]:
    """The x of steps 1, 2, 3 and T, and of the ellipsis between 3 and T."""
    xs = [first + i * spacing for i in range(3)]
    last = xs[-1] + 1.5 * spacing  # room for "→ ⋯ →"
    return [*xs, last], (xs[-1] + last) / 2


def chain(ax: Axes, cells: list[Box], dots: float, color: str, backward: bool = False) -> None:
    """The state wires along a row of cells, with ``⋯`` before the last; right to left when
    ``backward``."""
    y = cells[0].y
    for a, b in zip(cells[:-2], cells[1:-1], strict=True):
        start, end = (b.left, a.right) if backward else (a.right, b.left)
        wire(ax, start, end, color=color)
    before, last = cells[-2], cells[-1]
    if backward:
        wire(ax, last.left, (dots + 0.25, y), color=color)
        wire(ax, (dots - 0.25, y), before.right, color=color)
    else:
        wire(ax, before.right, (dots - 0.25, y), color=color)
        wire(ax, (dots + 0.25, y), last.left, color=color)
    text(ax, (dots, y), r"$\cdots$", size=MATH_SIZE, color=color)


def legend(ax: Axes, y: float, xs: list[float], items: list[tuple[str, str, str]]) -> None:
    """Small coloured chips with a symbol, each followed by the words it stands for."""
    for x, (kind, symbol, words) in zip(xs, items, strict=True):
        box(ax, (x, y), (0.36, 0.34), kind, symbol, text_size=13, rounding=0.05)
        text(ax, (x + 0.27, y), words, size=TEXT_SIZE - 1, ha="left")


def rnn_unrolled(t: Labels) -> Figure:
    """The RNN folded (a loop) and unrolled over steps 1..T with the same weights."""
    width, height = 10.0, 4.9
    fig, ax = canvas(width, height)
    title(ax, width, height, t["title:rnn-unrolled"])
    y_out, y_cell, y_in = 3.5, 2.4, 1.25
    state = edge("state")

    fx = 1.75
    text(ax, (fx, 4.12), t["folded"], color=MUTED)
    cell = box(ax, (fx, y_cell), (1.2, 0.8), "cell", r"$W,\ H,\ b$", text_size=14)
    x_t = box(ax, (fx, y_in), SMALL_BOX, "input", r"$X_t$")
    s_t = box(ax, (fx, y_out), SMALL_BOX, "state", r"$S_t$")
    wire(ax, x_t.top, cell.bottom, color=edge("input"))
    wire(ax, cell.top, s_t.bottom, color=state)
    loop(ax, cell.at(-0.6, 0.2), cell.at(-0.6, -0.2), side=-1, color=state)
    text(ax, (0.36, y_cell), r"$S_{t-1}$", size=13, color=state)

    text(ax, (3.1, y_cell), "=", size=30, color=MUTED)

    xs, dots = columns(4.45, 1.4)
    text(ax, ((xs[0] + xs[-1]) / 2, 4.12), t["unrolled"], color=MUTED)
    cells = []
    for x, step in zip(xs, STEPS, strict=True):
        c = box(ax, (x, y_cell), (1.0, 0.8), "cell", r"$W,\ H,\ b$", text_size=13)
        xb = box(ax, (x, y_in), SMALL_BOX, "input", rf"$X_{step}$")
        sb = box(ax, (x, y_out), SMALL_BOX, "state", rf"$S_{step}$")
        wire(ax, xb.top, c.bottom, color=edge("input"))
        wire(ax, c.top, sb.bottom, color=state)
        text(ax, (x, 0.78), t["step"].format(rf"${step}$"), size=SMALL_SIZE, color=MUTED)
        cells.append(c)
    wire(ax, (3.55, y_cell), cells[0].left, color=state)
    text(ax, (3.72, y_cell + 0.22), r"$S_0$", size=13, color=state)
    chain(ax, cells, dots, state)
    text(ax, ((xs[0] + xs[-1]) / 2, 0.3), t["same weights"], size=TEXT_SIZE)
    return fig


def rnn_cell(t: Labels) -> Figure:
    """One RNN step: X_t W + S_{t-1} H + b through tanh, with every shape."""
    width, height = 10.0, 6.0
    fig, ax = canvas(width, height)
    title(ax, width, height, t["title:rnn-cell"])
    y_w, y_x, y_sum, y_s, y_h = 4.85, 3.75, 2.75, 1.75, 0.65
    x_in, x_mul, x_sum, x_tanh, x_out = 1.25, 3.6, 5.75, 7.15, 8.9
    quiet = {"size": SMALL_SIZE, "color": MUTED}

    # The cell's outline behind everything; the weights feed in from outside it.
    box(ax, ((x_mul + x_tanh) / 2, y_sum), (x_tanh - x_mul + 1.3, 2.95), "cell",
        dashed=True, rounding=0.15, zorder=0)
    text(ax, (x_tanh + 0.55, y_s - 0.3), t["rnn cell"], ha="right", **quiet)

    x_t = box(ax, (x_in, y_x), (1.9, 0.8), "input", r"$X_t$", note="1 × input_size")
    text(ax, (x_in, y_x + 0.6), t["input"], **quiet)
    s_prev = box(ax, (x_in, y_s), (1.9, 0.8), "state", r"$S_{t-1}$", note="1 × hidden_size")
    text(ax, (x_in, y_s - 0.6), t["previous state"], **quiet)
    w = box(ax, (x_mul, y_w), (2.4, 0.8), "weights", r"$W$", note="input_size × hidden_size")
    h = box(ax, (x_mul, y_h), (2.4, 0.8), "weights", r"$H$",
            note="hidden_size × hidden_size")
    text(ax, (w.left[0] - 0.12, y_w), t["weights"], ha="right", **quiet)
    text(ax, (h.left[0] - 0.12, y_h), t["weights"], ha="right", **quiet)
    b = box(ax, (x_sum, y_w), (1.4, 0.8), "weights", r"$b$", note="hidden_size")
    text(ax, (b.right[0] + 0.12, y_w), t["bias"], ha="left", **quiet)

    mul_x = node(ax, (x_mul, y_x), r"$\times$")
    mul_s = node(ax, (x_mul, y_s), r"$\times$")
    plus = node(ax, (x_sum, y_sum), r"$+$")
    act = box(ax, (x_tanh, y_sum), (0.9, 0.55), "candidate", r"$\tanh$", text_size=14)
    s_t = box(ax, (x_out, y_sum), (1.8, 0.8), "state", r"$S_t$", note="1 × hidden_size")
    text(ax, (x_out, y_sum + 0.6), t["new state"], **quiet)

    wire(ax, x_t.right, mul_x.left, color=edge("input"))
    wire(ax, s_prev.right, mul_s.left, color=edge("state"))
    wire(ax, w.bottom, mul_x.top, color=edge("weights"))
    wire(ax, h.top, mul_s.bottom, color=edge("weights"))
    # The two products meet the bias in one sum: diagonals into the + from either side.
    corner = 0.2 * 0.7071
    wire(ax, mul_x.right, (x_sum - 0.85, y_x), plus.at(-corner, corner), color=edge("input"))
    wire(ax, mul_s.right, (x_sum - 0.85, y_s), plus.at(-corner, -corner), color=edge("state"))
    wire(ax, b.bottom, plus.top, color=edge("weights"))
    wire(ax, plus.right, act.left)
    wire(ax, act.right, s_t.left, color=edge("state"))
    text(ax, ((x_mul + x_sum) / 2 - 0.3, y_x + 0.22), r"$X_t W$", size=13)
    text(ax, ((x_mul + x_sum) / 2 - 0.3, y_s - 0.24), r"$S_{t-1} H$", size=13)
    text(ax, (7.55, y_h), r"$S_t = \tanh(X_t W + S_{t-1} H + b)$", size=MATH_SIZE + 1)
    return fig


def gated_frame(ax: Axes, width: float) -> None:
    """The rounded outline of an LSTM or GRU cell."""
    box(ax, (width / 2, 3.5), (7.4, 3.7), "cell", rounding=0.2, zorder=0)


def lstm_cell(t: Labels) -> Figure:
    """The LSTM: gates f, i, o and candidate g, the cell state along the top."""
    width, height = 10.0, 6.25
    fig, ax = canvas(width, height)
    title(ax, width, height, t["title:lstm-cell"])
    gated_frame(ax, width)
    y_c, y_gate, y_bus = 4.85, 3.0, 2.05
    cs, st, ink = edge("cell state"), edge("state"), edge("op")

    c_prev = box(ax, (0.65, y_c), (0.9, 0.5), "cell state", r"$C_{t-1}$", text_size=14)
    c_next = box(ax, (9.35, y_c), (0.9, 0.5), "cell state", r"$C_t$", text_size=14)
    h_prev = box(ax, (0.65, y_bus), (0.9, 0.5), "state", r"$H_{t-1}$", text_size=14)
    h_next = box(ax, (9.35, y_bus), (0.9, 0.5), "state", r"$H_t$", text_size=14)
    x_t = box(ax, (2.0, 0.95), SMALL_BOX, "input", r"$X_t$", text_size=14)
    for b, key in ((c_prev, "cell state"), (c_next, "cell state"),
                   (h_prev, "hidden state"), (h_next, "hidden state")):
        text(ax, (b.x, b.y + 0.42), t[key], size=SMALL_SIZE, color=MUTED)

    forget = node(ax, (2.7, y_c), r"$\odot$")
    plus = node(ax, (4.2, y_c), r"$+$")
    product = node(ax, (4.2, 3.95), r"$\odot$")
    squash = box(ax, (7.0, 3.95), (0.75, 0.44), "candidate", r"$\tanh$", text_size=13)
    out = node(ax, (7.0, y_gate), r"$\odot$")
    gates = {}
    for key, x, kind, symbol in (("f", 2.7, "gate", r"$\sigma$"), ("i", 3.7, "gate", r"$\sigma$"),
                                 ("g", 4.7, "candidate", r"$\tanh$"),
                                 ("o", 5.9, "gate", r"$\sigma$")):
        gates[key] = box(ax, (x, y_gate), GATE, kind, symbol, text_size=14)
        dot(ax, (x, y_bus), color=st)
        wire(ax, (x, y_bus), gates[key].bottom, color=st)

    # The cell state runs straight along the top: only multiplied and added to.
    wire(ax, c_prev.right, forget.left, color=cs, head=False)
    wire(ax, forget.right, plus.left, color=cs, head=False)
    wire(ax, plus.right, c_next.left, color=cs)
    dot(ax, (7.0, y_c), color=cs)
    wire(ax, (7.0, y_c), squash.top, color=cs)
    wire(ax, squash.bottom, out.top, color=cs)

    wire(ax, h_prev.right, (gates["o"].x, y_bus), color=st, head=False)
    dot(ax, (x_t.x, y_bus), color=st)
    wire(ax, x_t.top, (x_t.x, y_bus), color=edge("input"), head=False)
    wire(ax, gates["f"].top, forget.bottom, color=ink)
    wire(ax, gates["i"].top, (3.7, 3.95), product.left, color=ink)
    wire(ax, gates["g"].top, (4.7, 3.95), product.right, color=ink)
    wire(ax, product.top, plus.bottom, color=ink)
    wire(ax, gates["o"].right, out.left, color=ink)
    wire(ax, out.bottom, (7.0, y_bus), h_next.left, color=st)
    for key, at in (("f", (2.82, 3.55)), ("i", (3.58, 3.55)), ("g", (4.82, 3.55)),
                    ("o", (6.4, 3.16))):
        text(ax, at, rf"${key}$", size=14, ha="right" if key == "i" else "left")
    text(ax, (5.6, y_c + 0.26), t["cell state"], size=SMALL_SIZE, color=cs)

    legend(ax, 1.0, [3.25, 4.95, 6.65, 8.2], [
        ("gate", r"$f$", t["forget gate"]), ("gate", r"$i$", t["input gate"]),
        ("candidate", r"$g$", t["candidate"]), ("gate", r"$o$", t["output gate"])])
    text(ax, (5.8, 0.38), r"$C_t = f \odot C_{t-1} + i \odot g\qquad H_t = o \odot \tanh(C_t)$",
         size=MATH_SIZE)
    return fig


def gru_cell(t: Labels) -> Figure:
    """The GRU: reset gate r, update gate z, candidate n, one state along the top."""
    width, height = 10.0, 6.25
    fig, ax = canvas(width, height)
    title(ax, width, height, t["title:gru-cell"])
    gated_frame(ax, width)
    y_h, y_mid, y_gate, y_bus = 4.85, 3.95, 3.0, 2.05
    st, ink = edge("state"), edge("op")

    h_prev = box(ax, (0.65, y_h), (0.9, 0.5), "state", r"$H_{t-1}$", text_size=14)
    h_next = box(ax, (9.35, y_h), (0.9, 0.5), "state", r"$H_t$", text_size=14)
    x_t = box(ax, (2.2, 0.95), SMALL_BOX, "input", r"$X_t$", text_size=14)
    for b in (h_prev, h_next):
        text(ax, (b.x, b.y + 0.42), t["hidden state"], size=SMALL_SIZE, color=MUTED)

    reset = box(ax, (2.9, y_gate), GATE, "gate", r"$\sigma$", text_size=14)
    update = box(ax, (6.6, y_gate), GATE, "gate", r"$\sigma$", text_size=14)
    cand = box(ax, (4.6, y_mid), (0.75, 0.46), "candidate", r"$\tanh$", text_size=13)
    gated = node(ax, (2.9, y_mid), r"$\odot$")
    keep = node(ax, (6.6, y_h), r"$\odot$")
    plus = node(ax, (7.9, y_h), r"$+$")
    mix = node(ax, (7.9, y_mid), r"$\odot$")
    flip = node(ax, (7.9, y_gate), r"$1-$", radius=0.24, size=12)

    # H_{t-1} along the top, and down into the bus that feeds the gates with X_t.
    wire(ax, h_prev.right, keep.left, color=st, head=False)
    wire(ax, keep.right, plus.left, color=st, head=False)
    wire(ax, plus.right, h_next.left, color=st)
    dot(ax, (1.6, y_h), color=st)
    dot(ax, (2.9, y_h), color=st)
    wire(ax, (1.6, y_h), (1.6, y_bus), (6.6, y_bus), color=st, head=False)
    dot(ax, (x_t.x, y_bus), color=st)
    wire(ax, x_t.top, (x_t.x, y_bus), color=edge("input"), head=False)
    for x, target in ((2.9, reset.bottom), (4.6, cand.bottom), (6.6, update.bottom)):
        dot(ax, (x, y_bus), color=st)
        wire(ax, (x, y_bus), target, color=st)

    wire(ax, (2.9, y_h), gated.top, color=st)
    wire(ax, reset.top, gated.bottom, color=ink)
    wire(ax, gated.right, cand.left, color=ink)
    wire(ax, cand.right, mix.left, color=edge("candidate"))
    # z crosses the candidate's wire: a halo in the cell's colour shows it passes over.
    wire(ax, update.top, keep.bottom, color=ink, halo=PALETTE["cell"][0])
    wire(ax, update.right, flip.left, color=ink)
    wire(ax, flip.top, mix.bottom, color=ink)
    wire(ax, mix.top, plus.bottom, color=ink)

    text(ax, (2.75, 4.45), r"$U_n$", size=13, ha="right")
    text(ax, (4.72, 2.55), r"$W_n$", size=13, ha="left")
    text(ax, (3.02, 3.47), r"$r$", size=14, ha="left")
    text(ax, (6.72, 3.47), r"$z$", size=14, ha="left")
    text(ax, (5.4, y_mid + 0.2), r"$n$", size=14)

    legend(ax, 1.0, [3.4, 5.3, 7.3], [
        ("gate", r"$r$", t["reset gate"]), ("gate", r"$z$", t["update gate"]),
        ("candidate", r"$n$", t["candidate"])])
    text(ax, (5.8, 0.38),
         r"$n = \tanh(X_t W_n + r \odot (H_{t-1} U_n) + b)\qquad"
         r"H_t = (1 - z) \odot n + z \odot H_{t-1}$", size=MATH_SIZE - 1)
    return fig


def bidirectional(t: Labels) -> Figure:
    """A forward row and a backward row over the same inputs, concatenated per step."""
    width, height = 10.0, 5.6
    fig, ax = canvas(width, height)
    title(ax, width, height, t["title:bidirectional"])
    y_in, y_fw, y_bw, y_out = 0.55, 2.0, 3.25, 4.6
    fw, bw = edge("forward"), edge("backward")
    xs, dots = columns(2.55, 1.75)
    offset = 0.3  # the two rows sit apart so each input's two wires are straight

    fws, bws = [], []
    for x, step in zip(xs, STEPS, strict=True):
        xb = box(ax, (x, y_in), SMALL_BOX, "input", rf"$X_{step}$")
        f = box(ax, (x - offset, y_fw), (0.8, 0.6), "forward",
                rf"$\overrightarrow{{h}}_{step}$")
        b = box(ax, (x + offset, y_bw), (0.8, 0.6), "backward",
                rf"$\overleftarrow{{h}}_{step}$")
        out = box(ax, (x, y_out), (1.4, 0.55), "state",
                  rf"$[\overrightarrow{{h}}_{step}\,;\ \overleftarrow{{h}}_{step}]$",
                  text_size=14)
        split = (x, y_in + 0.5)
        dot(ax, split, color=edge("input"))
        wire(ax, xb.top, split, color=edge("input"), head=False)
        wire(ax, split, (f.x, split[1]), f.bottom, color=edge("input"))
        # Each row's state wires cross the other row's inputs or outputs: bridge them.
        wire(ax, split, (b.x, split[1]), b.bottom, color=edge("input"), halo=BACKGROUND)
        wire(ax, f.top, (f.x, out.bottom[1]), color=fw, halo=BACKGROUND)
        wire(ax, b.top, (b.x, out.bottom[1]), color=bw)
        fws.append(f)
        bws.append(b)
    chain(ax, fws, dots - offset, fw)
    chain(ax, bws, dots + offset, bw, backward=True)

    labels = ((y_fw, t["forward"], fw, 1), (y_bw, t["backward"], bw, -1))
    for y, words, color, direction in labels:
        text(ax, (0.85, y + 0.14), words, color=color)
        wire(ax, (0.85 - 0.4 * direction, y - 0.16), (0.85 + 0.4 * direction, y - 0.16),
             color=color)
    text(ax, (0.85, y_out), t["concatenate"], color=MUTED)
    text(ax, (0.85, y_in), t["input"], color=MUTED)
    return fig


def stacked(t: Labels) -> Figure:
    """Two recurrent layers, dropout between them, a classifier on the last one's end."""
    width, height = 10.0, 4.95
    fig, ax = canvas(width, height)
    title(ax, width, height, t["title:stacked"])
    y_in, y_0, y_drop, y_1 = 0.55, 1.75, 2.75, 3.75
    st = edge("state")
    xs, dots = columns(2.45, 1.5)

    box(ax, ((xs[0] + xs[-1]) / 2, y_drop), (xs[-1] - xs[0] + 1.5, 0.42), "dropout",
               dashed=True, rounding=0.1)
    text(ax, (0.8, y_drop), t["dropout"], color=MUTED)
    text(ax, (0.8, y_0), t["layer"].format(0), color=st)
    text(ax, (0.8, y_1), t["layer"].format(1), color=st)
    text(ax, (0.8, y_in), t["input"], color=MUTED)

    rows: list[list[Box]] = [[], []]
    for x, step in zip(xs, STEPS, strict=True):
        xb = box(ax, (x, y_in), SMALL_BOX, "input", rf"$X_{step}$")
        low = box(ax, (x, y_0), CELL, "state", rf"$S^{{(0)}}_{step}$")
        high = box(ax, (x, y_1), CELL, "state", rf"$S^{{(1)}}_{step}$")
        wire(ax, xb.top, low.bottom, color=edge("input"))
        wire(ax, low.top, high.bottom, color=st, zorder=3)
        rows[0].append(low)
        rows[1].append(high)
    for row in rows:
        chain(ax, row, dots, st)

    clf = box(ax, (9.05, y_1), (1.3, 0.6), "classifier", t["classifier"], text_size=TEXT_SIZE)
    wire(ax, rows[1][-1].right, clf.left, color=st)
    return fig


#: Name → drawing function, in the order the lessons use them.
FIGURES: dict[str, Callable[[Labels], Figure]] = {
    "rnn-unrolled": rnn_unrolled,
    "rnn-cell": rnn_cell,
    "lstm-cell": lstm_cell,
    "gru-cell": gru_cell,
    "bidirectional": bidirectional,
    "stacked": stacked,
}
