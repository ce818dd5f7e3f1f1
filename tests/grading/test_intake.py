"""Reading what students handed in: nbgrader's layout, per-student zips and class zips."""

from __future__ import annotations

import zipfile

import pytest

from rnncourse.errors import CourseError
from rnncourse.grading.intake import MAX_NOTEBOOK_BYTES, choose_notebook, collect, student_id

A = "01-rnn-pytorch"
NB = f"{A}.ipynb"


def _zip(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def test_nbgrader_layout_one_submission_per_student_folder(tmp_path):
    for student in ("ann", "bob"):
        (tmp_path / student / A).mkdir(parents=True)
        (tmp_path / student / A / NB).write_bytes(student.encode())
    (tmp_path / "cy" / "02-lstm-pytorch").mkdir(parents=True)  # another assignment only
    found = collect(tmp_path, A)
    assert [(s.student, s.notebook, s.notes) for s in found] == [
        ("ann", b"ann", []), ("bob", b"bob", [])]


def test_checkpoints_are_not_extra_files_but_other_files_are_reported(tmp_path):
    folder = tmp_path / "ann" / A
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    (folder / ".ipynb_checkpoints" / NB).write_text("old")
    (folder / NB).write_text("new")
    (folder / "torch.py").write_text("raise SystemExit")
    (folder / "figures").mkdir()  # the lesson's own diagrams, handed back with the folder
    (folder / "figures" / "rnn-cell.svg").write_text("<svg/>")
    [submission] = collect(tmp_path, A)
    assert submission.notebook == b"new"
    assert submission.extra_files == ["torch.py"]
    assert submission.notes == ["Extra files were handed in and not used: torch.py."]


def test_per_student_zips_and_a_missing_notebook(tmp_path):
    _zip(tmp_path / "ann.zip", {f"work/{NB}": b"ann"})
    _zip(tmp_path / "bob.zip", {"readme.txt": b"sorry"})
    (tmp_path / "cy.zip").write_bytes(b"not a zip")
    ann, bob, cy = collect(tmp_path, A)
    assert (ann.student, ann.notebook) == ("ann", b"ann")
    assert bob.notebook is None
    assert bob.notes[0] == f"No notebook was handed in (expected {NB})."
    assert cy.notebook is None and "is not a readable zip file" in cy.notes[0]


def test_a_class_zip_with_canvas_style_names(tmp_path):
    archive = tmp_path / "export.zip"
    _zip(archive, {f"kimminsu_12345_67890_{NB}": b"k",
                   "leejiwoo_LATE_23456_78901_homework.ipynb": b"l",
                   "../../escape.ipynb": b"x"})
    found = collect(archive, A)
    assert [(s.student, s.notebook) for s in found] == [("kimminsu", b"k"), ("leejiwoo", b"l")]
    assert found[1].notes == [f"The notebook was renamed: homework.ipynb was graded as {NB}."]


def test_a_class_zip_with_a_folder_per_student(tmp_path):
    archive = tmp_path / "export.zip"
    _zip(archive, {f"Kim Minsu/{NB}": b"k", f"lee/{A}/{NB}": b"l"})
    kim, lee = collect(archive, A)
    assert (kim.student, kim.notebook, lee.notebook) == ("Kim-Minsu", b"k", b"l")
    assert kim.notes[0] == "The student id 'Kim Minsu' was changed to 'Kim-Minsu'."


def test_an_oversized_notebook_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr("rnncourse.grading.intake.MAX_NOTEBOOK_BYTES", 10)
    (tmp_path / "ann" / A).mkdir(parents=True)
    (tmp_path / "ann" / A / NB).write_bytes(b"x" * 11)
    [submission] = collect(tmp_path, A)
    assert submission.notebook is None
    assert "is larger than" in submission.notes[0]
    assert MAX_NOTEBOOK_BYTES > 2**20


def test_choose_notebook_prefers_the_one_holding_the_grade_ids():
    files = {"a.ipynb": b'{"grade_id": "x"}', "b.ipynb": b'"rnn_cell" "rnn_layer"'}
    name, notes = choose_notebook(files, A, {"rnn_cell", "rnn_layer"})
    assert name == "b.ipynb" and notes[0].startswith("Several notebooks and none named")


@pytest.mark.parametrize(("raw", "expected"), [
    ("ann", "ann"), ("Kim Minsu", "Kim-Minsu"), ("a.b@uni.kr", "a.b@uni.kr"),
    ("../etc", "etc")])
def test_student_ids_are_safe_folder_names(raw, expected):
    assert student_id(raw) == expected


def test_an_id_with_nothing_usable_gets_a_stable_name():
    assert student_id("김민수") == student_id("김민수") != student_id("이지우")
    assert student_id("김민수").startswith("student-")


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p / "nowhere", "does not exist"),
    (lambda p: (p / "grades.csv").write_text("") or p / "grades.csv", "is a file but not a .zip"),
    (lambda p: p, "No submission of 01-rnn-pytorch"),
])
def test_bad_sources_get_one_sentence(tmp_path, make, message):
    with pytest.raises(CourseError, match=message):
        collect(make(tmp_path), A)


def test_the_same_student_twice_is_refused(tmp_path):
    (tmp_path / "ann" / A).mkdir(parents=True)
    _zip(tmp_path / "ann.zip", {NB: b"x"})
    with pytest.raises(CourseError, match="Student ann appears twice"):
        collect(tmp_path, A)


def test_data_files_beside_or_below_the_notebook_come_with_it(tmp_path):
    folder = tmp_path / "ann" / A
    (folder / "data").mkdir(parents=True)
    (folder / NB).write_text("nb")
    (folder / "reviews.csv").write_bytes(b"text,label\nfine,1\n")
    (folder / "data" / "more.TSV").write_bytes(b"text\tlabel\n")
    (folder / "torch.py").write_text("raise SystemExit")
    [submission] = collect(tmp_path, A)
    assert submission.data_files == {"reviews.csv": b"text,label\nfine,1\n",
                                     "data/more.TSV": b"text\tlabel\n"}
    assert submission.extra_files == ["torch.py"]


def test_a_changed_data_file_changes_the_fingerprint(tmp_path):
    folder = tmp_path / "ann" / A
    folder.mkdir(parents=True)
    (folder / NB).write_text("nb")
    alone = collect(tmp_path, A)[0].digest
    (folder / "own.csv").write_bytes(b"a,b\n")
    with_data = collect(tmp_path, A)[0].digest
    (folder / "own.csv").write_bytes(b"a,c\n")
    assert len({alone, with_data, collect(tmp_path, A)[0].digest}) == 3


def test_data_files_past_the_limit_are_named_and_left_out(tmp_path, monkeypatch):
    monkeypatch.setattr("rnncourse.grading.intake.MAX_DATA_BYTES", 10)
    members = {f"ann/{NB}": b"nb", "ann/small.csv": b"a,b\n", "ann/big.csv": b"x" * 9,
               "ann/huge.csv": b"y" * 11, "ann/elsewhere/../x.csv": b"z"}
    _zip(tmp_path / "class.zip", members)
    [submission] = collect(tmp_path / "class.zip", A)
    assert submission.data_files == {"small.csv": b"a,b\n"}
    told = " ".join(submission.notes)
    assert "big.csv was not shown to the notebook" in told and "huge.csv was not" in told
