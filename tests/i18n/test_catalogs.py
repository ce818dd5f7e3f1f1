"""The gettext catalogs: extraction, msgmerge-like updates, and bad input in one sentence."""

from __future__ import annotations

import os
import shutil

import nbformat
import polib
import pytest

from rnncourse.cli import main
from rnncourse.errors import CourseError
from rnncourse.i18n import catalogs
from rnncourse.i18n.catalogs import (
    catalog_path,
    catalog_problems,
    catalog_text,
    cell_references,
    extract_template,
    is_answer_cell,
    lessons,
    read_catalog,
    template_path,
    translations,
    update_catalogs,
    write_atomic,
)
from rnncourse.i18n.editions import edition_dir
from rnncourse.release import RELEASE_DIR, SOURCE_DIR
from tests.i18n.conftest import INTRO, PYTORCH_ONLY, SHARED, TENSORFLOW_ONLY

LESSON = "99-demo"
PY = f"{SOURCE_DIR}/99-demo-pytorch/99-demo-pytorch.ipynb"
TF = f"{SOURCE_DIR}/99-demo-tensorflow/99-demo-tensorflow.ipynb"


def translate_all(root, prefix="KO: "):
    """Fill every empty msgstr of the Korean catalog, as a translator would."""
    path = catalog_path(root, LESSON, "ko")
    catalog = read_catalog(path)
    for entry in catalog:
        if not entry.obsolete and not entry.msgstr:
            entry.msgstr = prefix + entry.msgid
    write_atomic(path, catalog_text(catalog))
    return catalog


def edit_cell(root, path, cell_id, source):
    notebook = nbformat.read(root / path, as_version=4)
    if source is None:
        notebook.cells = [cell for cell in notebook.cells if cell.id != cell_id]
    else:
        next(cell for cell in notebook.cells if cell.id == cell_id).source = source
    nbformat.write(notebook, root / path)


def entry(catalog, msgid):
    return next(e for e in catalog if e.msgid == msgid)


def test_the_template_holds_each_markdown_text_once_with_every_cell_that_has_it(tiny_course):
    template = extract_template(tiny_course, LESSON)
    assert lessons(tiny_course) == {LESSON: ["99-demo-pytorch", "99-demo-tensorflow"]}
    assert [e.msgid for e in template] == [
        INTRO.replace("Demo", "Demo (pytorch)"), SHARED, PYTORCH_ONLY,
        INTRO.replace("Demo", "Demo (tensorflow)"), TENSORFLOW_ONLY]
    assert cell_references(entry(template, SHARED)) == {(PY, "py-01"), (TF, "te-01")}
    assert all(e.msgctxt is None and e.msgstr == "" for e in template)
    # What polib writes reads back to exactly the cell sources, with the same references.
    back = polib.pofile(catalog_text(template))
    assert [(e.msgid, cell_references(e)) for e in back] == [
        (e.msgid, cell_references(e)) for e in template]
    text = catalog_text(template)
    assert f"#: {PY}:py-01" in text and f"{TF}:te-01" in text


def test_every_real_markdown_cell_is_in_its_template_exactly_as_nbformat_reads_it(repo):
    for lesson, assignments in lessons(repo).items():
        template = extract_template(repo, lesson)
        msgids = {e.msgid for e in template}
        for assignment in assignments:
            path = repo / SOURCE_DIR / assignment / f"{assignment}.ipynb"
            for cell in nbformat.read(path, as_version=4).cells:
                if cell.cell_type == "markdown" and not is_answer_cell(cell):
                    assert cell.source in msgids, (assignment, cell.id)
                elif cell.cell_type == "markdown":  # the instructor's answer stays out
                    assert not any(cell.source[:60] in msgid for msgid in msgids)
        assert len(msgids) == len(template)


def test_answer_cells_are_the_same_in_every_edition(repo):
    # nbgrader tells an unanswered cell by the English edition's checksum: a translated
    # stub would count as an answer.
    for english in (repo / RELEASE_DIR).glob("*/*.ipynb"):
        korean = repo / edition_dir("ko") / english.parent.name / english.name
        answers = [[cell.source for cell in nbformat.read(path, as_version=4).cells
                    if is_answer_cell(cell)] for path in (english, korean)]
        assert answers[0] == answers[1]
        assert all(source == "YOUR ANSWER HERE" for source in answers[1])
    assert any(is_answer_cell(cell) for cell in nbformat.read(
        repo / RELEASE_DIR / "04-own-data-pytorch" / "04-own-data-pytorch.ipynb",
        as_version=4).cells)


def test_the_committed_templates_are_current(repo):
    for lesson in lessons(repo):
        assert template_path(repo, lesson).read_text(encoding="utf-8") == catalog_text(
            extract_template(repo, lesson)), f"run `rnncourse translations update` ({lesson})"


def test_update_creates_the_template_and_an_empty_translation(tiny_course):
    written = update_catalogs(tiny_course, ["ko"])
    assert written == [template_path(tiny_course, LESSON), catalog_path(tiny_course, LESSON, "ko")]
    catalog = read_catalog(catalog_path(tiny_course, LESSON, "ko"))
    assert catalog.metadata["Language"] == "ko"
    assert catalog.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert len(catalog) == 5 and translations(catalog) == {}
    # Nothing changed, nothing written: translators' files are not touched needlessly.
    assert update_catalogs(tiny_course, ["ko"]) == []


def test_a_changed_cell_becomes_fuzzy_with_its_previous_english(tiny_course):
    update_catalogs(tiny_course, ["ko"])
    translate_all(tiny_course)
    edit_cell(tiny_course, PY, "py-03", "PyTorch stores the weights transposed, as (out, in).")
    update_catalogs(tiny_course, ["ko"])
    path = catalog_path(tiny_course, LESSON, "ko")
    catalog = read_catalog(path)
    changed = entry(catalog, "PyTorch stores the weights transposed, as (out, in).")
    assert changed.fuzzy and changed.previous_msgid == PYTORCH_ONLY
    assert changed.msgstr == "KO: " + PYTORCH_ONLY  # kept for the translator to revise
    text = path.read_text(encoding="utf-8")
    assert "#, fuzzy" in text and f'#| msgid "{PYTORCH_ONLY}"' in text
    # A fuzzy translation is not used, and the check names the lesson and the text.
    assert changed.msgid not in translations(catalog)
    assert catalog_problems(tiny_course, LESSON, "ko") == [
        f"Lesson {LESSON} (ko): the translation of 'PyTorch stores the weights transposed, as "
        "(out, in).' is fuzzy (its English changed); review it and remove the fuzzy flag."]
    # The old text is used by no cell and its translation now lives in the fuzzy entry.
    assert PYTORCH_ONLY not in {e.msgid for e in catalog}


def test_a_second_change_keeps_the_english_the_translation_was_made_for(tiny_course):
    update_catalogs(tiny_course, ["ko"])
    translate_all(tiny_course)
    edit_cell(tiny_course, PY, "py-03", "First rewrite.")
    update_catalogs(tiny_course, ["ko"])
    edit_cell(tiny_course, PY, "py-03", "Second rewrite.")
    update_catalogs(tiny_course, ["ko"])
    changed = entry(read_catalog(catalog_path(tiny_course, LESSON, "ko")), "Second rewrite.")
    assert changed.fuzzy and changed.previous_msgid == PYTORCH_ONLY


def test_a_shared_text_changed_in_one_framework_only(tiny_course):
    update_catalogs(tiny_course, ["ko"])
    translate_all(tiny_course)
    edit_cell(tiny_course, TF, "te-01", "## Set-up\n\nRun this cell first, always.")
    update_catalogs(tiny_course, ["ko"])
    catalog = read_catalog(catalog_path(tiny_course, LESSON, "ko"))
    assert translations(catalog)[SHARED] == "KO: " + SHARED  # PyTorch still has it
    assert cell_references(entry(catalog, SHARED)) == {(PY, "py-01")}
    changed = entry(catalog, "## Set-up\n\nRun this cell first, always.")
    assert changed.fuzzy and changed.previous_msgid == SHARED


def test_a_removed_text_becomes_obsolete_and_comes_back_translated(tiny_course):
    update_catalogs(tiny_course, ["ko"])
    translate_all(tiny_course)
    edit_cell(tiny_course, TF, "te-03", None)
    update_catalogs(tiny_course, ["ko"])
    path = catalog_path(tiny_course, LESSON, "ko")
    gone = entry(read_catalog(path), TENSORFLOW_ONLY)
    assert gone.obsolete and gone.msgstr == "KO: " + TENSORFLOW_ONLY
    assert f'#~ msgid "{TENSORFLOW_ONLY}"' in path.read_text(encoding="utf-8")
    assert catalog_problems(tiny_course, LESSON, "ko") == []  # obsolete is no problem
    edit_cell(tiny_course, TF, "te-04", TENSORFLOW_ONLY)  # the text is back, in another cell
    update_catalogs(tiny_course, ["ko"])
    back = entry(read_catalog(path), TENSORFLOW_ONLY)
    assert not back.obsolete and back.translated() and not back.fuzzy


def test_a_new_cell_is_reported_untranslated(tiny_course):
    update_catalogs(tiny_course, ["ko"])
    translate_all(tiny_course)
    notebook = nbformat.read(tiny_course / PY, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("## 7. Something entirely new here"))
    nbformat.write(notebook, tiny_course / PY)
    assert catalog_problems(tiny_course, LESSON, "ko") == [
        f"Lesson {LESSON}: the template locale/{LESSON}.pot is out of date with solutions/; "
        "run `rnncourse translations update`.",
        f"Lesson {LESSON} (ko): the catalog has no entry for '## 7. Something entirely new "
        "here'; run `rnncourse translations update`."]
    update_catalogs(tiny_course, ["ko"])
    assert catalog_problems(tiny_course, LESSON, "ko") == [
        f"Lesson {LESSON} (ko): '## 7. Something entirely new here' is not translated yet."]


def test_updating_the_real_catalogs_loses_no_translation(repo, tmp_path):
    shutil.copytree(repo / SOURCE_DIR, tmp_path / SOURCE_DIR)
    shutil.copytree(repo / "locale", tmp_path / "locale")
    before = {}
    for lesson in lessons(repo):
        path = catalog_path(repo, lesson, "ko")
        if path.exists():
            before[lesson] = {e.msgstr for e in read_catalog(path) if e.msgstr}
    update_catalogs(tmp_path, ["ko"])
    for lesson, kept in before.items():
        after = {e.msgstr for e in read_catalog(catalog_path(tmp_path, lesson, "ko")) if e.msgstr}
        assert kept <= after, lesson


def test_a_missing_catalog_is_one_sentence(tiny_course):
    with pytest.raises(CourseError) as error:
        read_catalog(catalog_path(tiny_course, LESSON, "ko"), tiny_course)
    assert str(error.value) == (f"The catalog locale/ko/LC_MESSAGES/{LESSON}.po is missing: run "
                                "`rnncourse translations update` to create it.")
    update_catalogs(tiny_course, [])  # the template only
    assert catalog_problems(tiny_course, LESSON, "ko") == [f"Lesson {LESSON} (ko): {error.value}"]


@pytest.mark.parametrize(("text", "reason"), [
    ('msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n', 'Entry "a" already exists'),
    ("this is not a catalog\n", "Syntax error in po file (line 1)"),
    ('msgid "a"\n', "its header declares the language None, not 'ko'"),
])
def test_a_corrupt_catalog_is_one_sentence_and_the_update_writes_nothing(tiny_course, text,
                                                                         reason):
    update_catalogs(tiny_course, ["ko"])
    path = catalog_path(tiny_course, LESSON, "ko")
    path.write_text(text, encoding="utf-8")
    template = template_path(tiny_course, LESSON).read_text(encoding="utf-8")
    edit_cell(tiny_course, PY, "py-03", "Changed, so that the template would change.")
    expected = (f"The catalog locale/ko/LC_MESSAGES/{LESSON}.po cannot be read ({reason}): "
                "fix it or restore it from git.")
    with pytest.raises(CourseError) as error:
        update_catalogs(tiny_course, ["ko"])
    assert str(error.value) == expected
    assert path.read_text(encoding="utf-8") == text
    assert template_path(tiny_course, LESSON).read_text(encoding="utf-8") == template


def test_the_command_line_reports_a_corrupt_catalog_in_one_sentence(tiny_course, monkeypatch,
                                                                    capsys):
    (tiny_course / "autograder").mkdir()
    (tiny_course / "autograder" / "nbgrader_config.py").write_text("")
    monkeypatch.chdir(tiny_course)
    assert main(["translations", "update"]) == 0
    assert main(["translations", "status"]) == 1  # nothing is translated yet
    catalog_path(tiny_course, LESSON, "ko").write_text("garbage\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["translations", "update"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnncourse: The catalog locale/ko/LC_MESSAGES/99-demo.po cannot be read")
    assert "\n" not in err


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "x.po"
    path.write_text("old\n", encoding="utf-8")

    def fail(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(catalogs.os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(path, "new\n")
    assert path.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["x.po"]  # no temporary file left behind
