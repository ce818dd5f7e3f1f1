"""What the library draws follows the notebook's language, with the code cells unchanged."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rnncourse.experiments.common import plot_gradient_norms, plot_memory_sweep
from rnncourse.i18n import set_language
from rnncourse.i18n.catalogs import extract_messages, notebook_plot_texts
from rnncourse.plots import plot_bars, plot_history
from rnncourse.training import EpochRecord, History


def _history() -> History:
    return History("cpu", [EpochRecord(epoch=epoch, train_loss=1.0 / epoch, train_accuracy=0.5,
                                       test_loss=1.2 / epoch, test_accuracy=0.45, seconds=1.0)
                           for epoch in (1, 2)])


def _texts(figure) -> set[str]:
    """Every title, axis label, legend entry and tick label the figure shows."""
    shown = {figure._suptitle.get_text()} if figure._suptitle else set()
    for ax in figure.axes:
        shown |= {ax.get_title(), ax.get_xlabel(), ax.get_ylabel()}
        shown |= {label.get_text() for label in ax.get_xticklabels()}
        legend = ax.get_legend()
        if legend is not None:
            shown |= {text.get_text() for text in legend.get_texts()}
    plt.close(figure)
    return shown - {""}


def test_training_curves_are_korean_in_the_korean_edition():
    set_language("ko")
    shown = _texts(plot_history(_history(), title="Your RNN classifier on AG News"))
    assert {"AG News에서 여러분의 RNN 분류기", "손실 (교차 엔트로피)", "정확도", "에폭", "손실",
            "학습", "테스트"} <= shown
    assert not {"train", "test", "epoch", "Accuracy", "Your RNN classifier on AG News"} & shown


def test_bars_translate_their_names_title_and_reference_line():
    set_language("ko")
    shown = _texts(plot_bars({"bag of embeddings": 0.5, "your RNN": 0.9}, reference=0.5,
                             title="Negation reviews: test accuracy", ylabel="accuracy"))
    assert shown >= {"임베딩 주머니", "여러분의 RNN", "부정 표현 리뷰: 테스트 정확도", "정확도",
                     "무작위 수준"}


def test_a_text_the_catalog_lacks_is_drawn_as_given():
    set_language("ko")
    assert "My own plot" in _texts(plot_bars({"a": 1.0}, title="My own plot", ylabel="y"))


def test_lesson_2_experiments_draw_korean_labels():
    set_language("ko")
    memory = _texts(plot_memory_sweep({"lstm": {1: 0.9, 5: 0.8}},
                                      title="Remembering the first token behind T distractors"))
    assert {"방해 토큰 T개 뒤의 첫 토큰 기억하기", "신호와 끝 사이의 방해 토큰 수 (T)",
            "테스트 정확도(accuracy)", "무작위 수준"} <= memory
    gradients = _texts(plot_gradient_norms({"rnn": np.array([1e-3, 1e-2, 1.0])}))
    assert {"기울기가 얼마나 멀리 거슬러 전해지는가",
            "시퀀스 끝으로부터의 거리 (단계)"} <= gradients


def test_english_stays_english():
    shown = _texts(plot_history({"LSTM": _history()}))
    assert {"Training curves", "LSTM, train", "LSTM, test", "epoch"} <= shown


def test_the_texts_a_cell_hands_to_plot_functions_are_found():
    source = '''plot_bars({"your RNN": 1.0, name: 2.0}, title="Fixed title", ylabel=f"{unit}")
plots.plot_history(h, title="Another")
print("not a plot", title="nope")'''
    assert [text for _, _, text in notebook_plot_texts(source)] == ["Fixed title", "your RNN",
                                                                    "Another"]
    assert notebook_plot_texts("%timeit f()\nplot_bars({}, title='x')") == []


@pytest.mark.parametrize("text", ["Your RNN classifier on AG News",
                                  "Test accuracy after training, Lessons 1-3",
                                  "bag of embeddings"])
def test_the_library_catalog_holds_the_solutions_plot_texts(repo, text):
    entry = next(e for e in extract_messages(repo) if e.msgid == text)
    assert any(file.startswith("solutions/") for file, _ in entry.occurrences)


def test_a_title_with_numbers_is_one_catalog_text_filled_after_translation():
    set_language("ko")
    shown = _texts(plot_bars({"your LSTM": 3.0, "hoisted": 2.0}, ylabel="milliseconds per call",
                             title="LSTM forward and backward, {steps} steps ({device})",
                             fields={"steps": 100, "device": "cpu"}))
    assert {"LSTM 순전파와 역전파, 100 단계 (cpu)", "여러분의 LSTM", "투영을 꺼낸 버전"} <= shown
    set_language("en")
    shown = _texts(plot_bars({"a": 1.0}, title="{n} steps", fields={"n": 5}, ylabel="y"))
    assert "5 steps" in shown
    with pytest.raises(ValueError, match=r"the title '\{n\} steps' and its fields \['m'\]"):
        plot_bars({"a": 1.0}, title="{n} steps", fields={"m": 5}, ylabel="y")


def test_speed_comparisons_name_their_variants_in_the_catalog():
    source = 'speed = compare_speed({"your LSTM": f, "nn.LSTM": g})\nother({"not": 1})'
    assert [text for _, _, text in notebook_plot_texts(source)] == ["your LSTM", "nn.LSTM"]


def test_printed_comparison_tables_follow_the_language():
    from rnncourse.experiments.common import memory_table
    from rnncourse.training import comparison_table

    set_language("ko")
    table = comparison_table({"rnn": _history()}, {"rnn": 1234})
    assert table.splitlines()[0] == "| 모델 | 테스트 정확도(accuracy) | 매개변수 수 | 에포크당 초 |"
    assert memory_table({"lstm": {1: 0.9}}).startswith("| 모델 | T = 1 |")
    set_language("en")
    assert comparison_table({"rnn": _history()}, {"rnn": 1234}).startswith("| model | test acc")
