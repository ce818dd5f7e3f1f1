"""Korean labels render with the Korean font: no glyph is missing (matplotlib would warn)."""

from __future__ import annotations

import warnings

import matplotlib as mpl
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rnncourse.i18n import set_language
from rnncourse.plots import korean_font_file, plot_bars, plot_history
from rnncourse.training import EpochRecord, History

TITLE = "순환 신경망(RNN)의 정확도(accuracy) −0.5"


def missing_glyphs(draw) -> list[str]:
    """The "Glyph ... missing from font(s)" warnings emitted while ``draw()`` renders."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "Glyph" in str(w.message)
            and "missing" in str(w.message)]


def korean_figure() -> None:
    """A figure with a Korean title and axis labels, rendered on the Agg canvas."""
    figure = Figure()
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.plot([0, 1], [1, -1])
    axes.set(title=TITLE, xlabel="에폭(epoch)", ylabel="손실(loss)")
    figure.canvas.draw()


def test_the_korean_font_ships_with_koreanize_matplotlib():
    path = korean_font_file()
    assert path.name == "NanumGothic.ttf" and path.parent.parent.name == "koreanize_matplotlib"


def test_korean_labels_miss_glyphs_in_the_default_font():
    # The default (English) setting is DejaVu Sans, which has no Hangul: the test below
    # would catch a regression.
    assert mpl.rcParams["font.family"] == ["sans-serif"]
    missing = missing_glyphs(korean_figure)
    assert missing and "missing from font(s) DejaVu Sans" in missing[0]


def test_korean_labels_render_with_the_korean_font():
    set_language("ko")
    assert mpl.rcParams["font.family"][0] == "NanumGothic"
    assert missing_glyphs(korean_figure) == []
    history = History("cpu", [EpochRecord(epoch, 1.0 / epoch, 0.4 * epoch, 1.2 / epoch,
                                          0.3 * epoch, 1.0) for epoch in (1, 2)])
    assert missing_glyphs(lambda: plot_history({"순환 신경망": history}, TITLE)
                          .canvas.draw()) == []
    assert missing_glyphs(lambda: plot_bars({"양방향 LSTM": 0.9}, TITLE, "정확도")
                          .canvas.draw()) == []


def test_english_again_restores_the_font_setting():
    before = list(mpl.rcParams["font.family"])
    set_language("ko")
    set_language("en")
    assert mpl.rcParams["font.family"] == before


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
