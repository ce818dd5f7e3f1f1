"""A lesson's diagrams are copied next to its notebook, in its language, and kept in step."""

from __future__ import annotations

import shutil

import nbformat
import pytest

from rnncourse.diagrams.placement import misplaced, place, referenced, stale_figures
from rnncourse.errors import CourseError
from tests.conftest import REPO


def _lesson(*names: str) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_markdown_cell(f"Text.\n\n![{name}](figures/{name}.svg)")
             for name in names]
    cells.append(nbformat.v4.new_code_cell("x = '![no](figures/stacked.svg)'"))  # code: ignored
    return nbformat.v4.new_notebook(cells=cells)


@pytest.fixture
def course(tmp_path):
    """A course root holding the repository's drawn figures."""
    shutil.copytree(REPO / "figures", tmp_path / "figures")
    return tmp_path


def test_referenced_lists_the_markdown_diagrams_in_order_once():
    assert referenced(_lesson("rnn-cell", "rnn-unrolled", "rnn-cell")) == ["rnn-cell",
                                                                           "rnn-unrolled"]


def test_place_copies_the_language_s_diagrams_and_removes_the_ones_no_longer_shown(course):
    folder = course / "lesson"
    assert len(place(course, folder, _lesson("rnn-cell", "lstm-cell"), "ko")) == 2
    assert (folder / "figures" / "rnn-cell.svg").read_bytes() == (
        course / "figures" / "ko" / "rnn-cell.svg").read_bytes()
    assert place(course, folder, _lesson("rnn-cell", "lstm-cell"), "ko") == []  # in step
    assert misplaced(course, folder, _lesson("rnn-cell", "lstm-cell"), "ko") == []
    place(course, folder, _lesson("rnn-cell"), "ko")
    assert sorted(p.name for p in (folder / "figures").iterdir()) == ["rnn-cell.svg"]


def test_misplaced_names_a_missing_an_old_and_an_extra_diagram(course):
    folder = course / "lesson"
    place(course, folder, _lesson("rnn-cell", "gru-cell"), "en")
    (folder / "figures" / "gru-cell.svg").unlink()
    (folder / "figures" / "rnn-cell.svg").write_text("<svg>old</svg>")
    (folder / "figures" / "stacked.svg").write_text("<svg/>")
    assert misplaced(course, folder, _lesson("rnn-cell", "gru-cell"), "en") == [
        "lesson/figures/rnn-cell.svg differs from figures/en/: run `rnncourse release`.",
        "lesson/figures/gru-cell.svg is missing: run `rnncourse release`.",
        "lesson/figures/stacked.svg is not shown by the lesson: run `rnncourse release`."]


def test_an_unknown_diagram_is_one_sentence(course):
    with pytest.raises(CourseError, match=r"shows the diagram 'rnn-cel', which figures/en/ "
                                          r"does not have; the diagrams are rnn-unrolled, "):
        place(course, course / "lesson", _lesson("rnn-cel"), "en")
    assert not (course / "lesson" / "figures").exists()


def test_a_figure_drawn_from_older_code_is_reported(course):
    assert stale_figures(course) == []
    path = course / "figures" / "en" / "lstm-cell.svg"
    path.write_text(path.read_text().replace("sha256:", "sha256:0", 1)[:-1])
    assert stale_figures(course) == [
        "figures/en/lstm-cell.svg is out of date with rnncourse/diagrams: run `python -m "
        "rnncourse.diagrams`."]
