"""The Korean edition: generated from the English one, current, and different only in prose."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

from rnncourse.errors import CourseError
from rnncourse.i18n.catalogs import (
    catalog_path,
    catalog_problems,
    catalog_text,
    lessons,
    read_catalog,
    update_catalogs,
    write_atomic,
)
from rnncourse.i18n.editions import (
    build_editions,
    edition_dir,
    language_cell,
    notebook_text,
    stale_editions,
    translate_notebook,
    write_editions,
)
from rnncourse.release import RELEASE_DIR, list_assignments
from tests.i18n.conftest import LANGUAGE_CELL, SHARED, write_lesson

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = list_assignments(REPO)


def read(path):
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_korean_notebook_differs_from_the_english_only_in_prose_and_the_language_call(
        repo, assignment):
    english = read(repo / RELEASE_DIR / assignment / f"{assignment}.ipynb")
    korean = read(repo / edition_dir("ko") / assignment / f"{assignment}.ipynb")
    assert korean.metadata == english.metadata
    assert [(c.id, c.cell_type, c.metadata) for c in korean.cells] == [
        (c.id, c.cell_type, c.metadata) for c in english.cells]  # grade ids and checksums too
    differing = [(en.source, ko.source) for en, ko in zip(english.cells, korean.cells, strict=True)
                 if en.cell_type != "markdown" and en.source != ko.source]
    assert differing == [(LANGUAGE_CELL, LANGUAGE_CELL.replace('"en"', '"ko"'))]
    # The language is chosen once, at the top: before the first cell that imports anything else.
    first_code = next(i for i, c in enumerate(english.cells) if c.cell_type == "code")
    assert language_cell(english, assignment) == first_code
    assert "nbgrader" not in english.cells[first_code].metadata  # nbgrader keeps the student's
    assert all(not c.get("outputs") for c in korean.cells if c.cell_type == "code")


def test_korean_notebooks_are_what_the_english_ones_and_the_catalogs_make(repo):
    built = build_editions(repo, repo / RELEASE_DIR)
    assert sorted(built) == [f"{edition_dir('ko')}/{a}/{a}.ipynb" for a in ASSIGNMENTS]
    for name, notebook in built.items():
        on_disk = json.loads((repo / name).read_text(encoding="utf-8"))
        assert on_disk == json.loads(notebook_text(notebook)), f"{name}: run `rnncourse release`"


@pytest.mark.parametrize("lesson", sorted(lessons(REPO)))
def test_every_cell_has_a_current_korean_translation(repo, lesson):
    # Fails, one sentence per text, while a translation is missing, empty or fuzzy.
    problems = catalog_problems(repo, lesson, "ko")
    assert problems == [], "\n".join(problems)


def test_translating_replaces_markdown_and_the_language_call_only(tiny_course):
    notebook = read(tiny_course / "solutions" / "99-demo-pytorch" / "99-demo-pytorch.ipynb")
    korean = translate_notebook(notebook, {SHARED: "## 준비\n\n이 셀을 먼저 실행합니다."}, "ko")
    assert [c.source for c in korean.cells][1:4] == [
        LANGUAGE_CELL.replace('"en"', '"ko"'), "## 준비\n\n이 셀을 먼저 실행합니다.", "x = 1"]
    assert korean.cells[0].source == notebook.cells[0].source  # untranslated: stays English
    assert notebook.cells[1].source == LANGUAGE_CELL  # the English notebook is not changed
    assert '"## 준비' in notebook_text(korean)  # written readable, not as \\u escapes


@pytest.mark.parametrize("cells", [0, 2])
def test_a_notebook_must_choose_its_language_in_exactly_one_cell(tiny_course, cells):
    path = write_lesson(tiny_course, "99-demo-pytorch",
                        [("md", "markdown", "Hi")] + [(f"c{i}", "code", LANGUAGE_CELL)
                                                      for i in range(cells)])
    with pytest.raises(CourseError, match=rf'^x must call set_language\("en"\) in exactly one '
                                          rf"code cell at its top, but {cells} cells do\.$"):
        translate_notebook(read(path), {}, "ko", "x")


def english_edition(root):
    """``lessons/en`` of the tiny course: here simply its solutions."""
    shutil.copytree(root / "solutions", root / RELEASE_DIR)
    return root / RELEASE_DIR


def test_write_editions_then_stale_editions_reports_each_problem(tiny_course):
    english = english_edition(tiny_course)
    update_catalogs(tiny_course, ["ko"])
    catalog = read_catalog(catalog_path(tiny_course, "99-demo", "ko"))
    for entry in catalog:
        entry.msgstr = f"번역: {entry.msgid}"
    write_atomic(catalog_path(tiny_course, "99-demo", "ko"), catalog_text(catalog))
    written = write_editions(tiny_course)
    korean = tiny_course / edition_dir("ko")
    assert written == [korean / f"99-demo-{f}" / f"99-demo-{f}.ipynb"
                       for f in ("pytorch", "tensorflow")]
    assert stale_editions(tiny_course, english) == []
    assert "번역: ## Set-up" in written[0].read_text(encoding="utf-8")

    # A hand edit, a missing notebook, a stray file and an English change, one sentence each.
    text = written[0].read_text(encoding="utf-8").replace("번역: ## Set-up", "손으로 고침")
    written[0].write_text(text, encoding="utf-8")
    written[1].unlink()
    (korean / "stray.ipynb").write_text("{}", encoding="utf-8")
    notebook = read(english / "99-demo-pytorch" / "99-demo-pytorch.ipynb")
    notebook.cells[4].source = "PyTorch stores the weights transposed, as (out, in)."
    nbformat.write(notebook, tiny_course / "solutions/99-demo-pytorch/99-demo-pytorch.ipynb")
    update_catalogs(tiny_course, ["ko"])
    assert stale_editions(tiny_course, english) == [
        "lessons/ko/99-demo-pytorch/99-demo-pytorch.ipynb differs from lessons/en/ and its "
        "translation catalog: run `rnncourse release`.",
        "lessons/ko/99-demo-tensorflow/99-demo-tensorflow.ipynb is missing: run "
        "`rnncourse release`.",
        "lessons/ko/stray.ipynb is not generated from lessons/en/: remove it.",
        "Lesson 99-demo (ko): the translation of 'PyTorch stores the weights transposed, as "
        "(out, in).' is fuzzy (its English changed); review it and remove the fuzzy flag.",
    ]


def test_a_missing_catalog_leaves_the_edition_english_and_is_reported(tiny_course):
    english = english_edition(tiny_course)
    update_catalogs(tiny_course, [])  # the template only
    [py, _] = write_editions(tiny_course)
    assert read(py).cells[2].source == SHARED
    assert stale_editions(tiny_course, english) == [
        "Lesson 99-demo (ko): The catalog locale/ko/LC_MESSAGES/99-demo.po is missing: run "
        "`rnncourse translations update` to create it."]


def test_a_corrupt_catalog_stops_the_release_before_anything_is_written(tiny_course):
    english = english_edition(tiny_course)
    update_catalogs(tiny_course, ["ko"])
    catalog_path(tiny_course, "99-demo", "ko").write_text('msgid "a"\n', encoding="utf-8")
    with pytest.raises(CourseError, match=r"^The catalog locale/ko/LC_MESSAGES/99-demo\.po "
                                          r"cannot be read \(.*\): fix it or restore it"):
        write_editions(tiny_course)
    assert not (tiny_course / edition_dir("ko")).exists()
    problems = stale_editions(tiny_course, english)
    assert len(problems) == 1 and "cannot be read" in problems[0]
