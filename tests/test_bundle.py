"""What students receive: `rnncourse bundle` ships the lessons and the library, never a solution."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import rnncourse.bundle as bundle_module
from rnncourse.bundle import NAME, find_leaks, readable_quiz_keys, secret_lines
from rnncourse.cli import main
from rnncourse.release import LESSONS_DIR, RELEASE_DIR, list_assignments

REPO = Path(__file__).resolve().parents[1]
LESSONS = list_assignments(REPO)
STUDENT_TOP = {".gitignore", "README.md", "course", "environment.yml", "environment-gpu.yml",
               "pyproject.toml", "lessons", "rnncourse", "tests"}
NEVER = {"solutions", "autograder", ".git", ".venv", "benchmarks", ".ci", ".gpu", "dist",
         "__pycache__", "gradebook.db"}


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative POSIX path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def shipped_files(folder: Path) -> dict[str, bytes]:
    """A folder's files as the bundle should hold them: no caches, no hidden files."""
    return {name: data for name, data in files_of(folder).items()
            if "__pycache__" not in name and not name.endswith(".pyc")
            and not any(part.startswith(".") for part in name.split("/"))}


def strings(value: object) -> list[str]:
    """Every string inside a parsed JSON value."""
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [text for item in items for text in strings(item)]


def readable(data: bytes) -> str:
    """A file's text, with a notebook's cell sources and outputs decoded from their JSON."""
    text = data.decode("utf-8", errors="replace")
    try:
        return "\n".join([text, *strings(json.loads(text))])
    except ValueError:
        return text


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The bundle, built once by the command line into a temporary ``dist`` folder.

    ``lessons/`` is compared with ``solutions/`` by tests/notebooks/test_lessons.py (nbgrader,
    about 25 s); here that comparison is stubbed out, and tested on its own below.
    """
    out = tmp_path_factory.mktemp("dist")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bundle_module, "stale_lessons", lambda root: [])
        patch.chdir(REPO)
        assert main(["bundle", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [NAME, f"{NAME}.zip"]  # no scratch left
    return out


def test_the_bundle_holds_the_student_files_and_nothing_of_the_instructors(built):
    folder = built / NAME
    files = files_of(folder)
    top = {name.split("/")[0] for name in files}
    assert top == STUDENT_TOP | ({"LICENSE"} if (REPO / "LICENSE").is_file() else set())
    assert not [name for name in files if NEVER & set(name.split("/"))]
    # The lessons and the library exactly as in the repository; the shipped test and README.
    # Every edition ships (lessons/en, lessons/ko), each holding every lesson.
    lessons = {f"{LESSONS_DIR}/{k}": v for k, v in shipped_files(REPO / LESSONS_DIR).items()}
    assert {k: v for k, v in files.items() if k.startswith(f"{LESSONS_DIR}/")} == lessons
    editions = sorted(p.name for p in (REPO / LESSONS_DIR).iterdir() if p.is_dir())
    notebooks = [name for name in lessons if name.endswith(".ipynb")]
    assert "en" in editions and len(notebooks) == len(LESSONS) * len(editions)
    # Each lesson's diagrams ship next to it, in its edition's language.
    assert all(f"{LESSONS_DIR}/{edition}/{lesson}/figures/rnn-cell.svg" in files
               for edition in editions for lesson in LESSONS if lesson.startswith("01-"))
    library = {f"rnncourse/{k}": v for k, v in shipped_files(REPO / "rnncourse").items()}
    assert {k: v for k, v in files.items() if k.startswith("rnncourse/")} == library
    assert [k for k in files if k.startswith("tests/")] == ["tests/test_setup.py"]
    assert files["tests/test_setup.py"] == (REPO / "rnncourse" / "setup_check.py").read_bytes()
    for name in ("pyproject.toml", "environment.yml", "environment-gpu.yml", "course"):
        assert files[name] == (REPO / name).read_bytes()
    assert os.access(folder / "course", os.X_OK)
    readme = files["README.md"].decode()
    assert "./course lab" in readme and "./course test" in readme and "RNNCOURSE_DATA" in readme
    assert all(f"{LESSONS_DIR}/{edition}/{lesson}/{lesson}.ipynb" in readme
               for lesson in LESSONS for edition in editions)
    assert "solutions" not in readme and "{{" not in readme


def test_the_zip_holds_exactly_the_folder(built):
    folder = files_of(built / NAME)
    with zipfile.ZipFile(built / f"{NAME}.zip") as archive:
        assert archive.testzip() is None
        zipped = {info.filename: archive.read(info) for info in archive.infolist()}
        mode = archive.getinfo(f"{NAME}/course").external_attr >> 16
    assert zipped == {f"{NAME}/{name}": data for name, data in folder.items()}
    assert mode & 0o111, "the course script must stay executable in the zip"


def test_no_solution_or_hidden_test_reaches_the_bundle(built):
    folder = built / NAME
    secrets = secret_lines(REPO)
    assert "check_lstm_cell(LSTMCell, load_torch_lstm, thorough=True)" in {
        s.line for s in secrets}
    assert find_leaks(folder, secrets) == []
    assert readable_quiz_keys(folder) == []
    # Independently of the scanner: no hidden-test line and no long solution line of any
    # source notebook occurs in any bundle file, unless a student notebook shows it anyway.
    texts = {name: readable(data) for name, data in files_of(folder).items()}
    solutions = sorted((REPO / "solutions").rglob("*.ipynb"))
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for p in solutions}
    assert not [n for n in texts if hashlib.sha256((folder / n).read_bytes()).hexdigest()
                in digests]
    shown = "\n".join(text for name, text in texts.items() if name.startswith(f"{LESSONS_DIR}/"))
    checked = 0
    for source in solutions:
        for cell in nbformat.read(source, as_version=4).cells:
            for begin, end, least in (("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", 1),
                                      ("BEGIN SOLUTION", "END SOLUTION", 40)):
                for region in re.findall(rf"{begin}[^\n]*\n(.*?)\n[^\n]*{end}", cell.source,
                                         re.S):
                    for line in (line.strip() for line in region.splitlines()):
                        if len(line) >= least and line not in shown:
                            checked += 1
                            assert not [n for n, t in texts.items() if line in t], line
    assert checked > 30


def copy_of_the_course(tmp_path: Path) -> Path:
    """A throw-away copy of everything the bundle is made from."""
    copy = tmp_path / "course"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "gradebook.db")
    for folder in ("solutions", LESSONS_DIR, "autograder", "rnncourse"):
        shutil.copytree(REPO / folder, copy / folder, ignore=ignore)
    for name in ("pyproject.toml", "environment.yml", "environment-gpu.yml", "course"):
        shutil.copy2(REPO / name, copy / name)
    return copy


def add_line(notebook: Path, grade_id: str, line: str) -> None:
    """Append ``line`` to the cell ``grade_id`` of ``notebook``, as a hand edit would."""
    data = nbformat.read(notebook, as_version=4)
    cell = next(c for c in data.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == grade_id)
    cell.source += "\n" + line
    nbformat.write(data, notebook)


@pytest.mark.parametrize(("where", "kind"), [("lesson", "hidden test"), ("library", "solution")])
def test_a_leak_is_refused_in_one_sentence_and_nothing_is_written(tmp_path, monkeypatch, capsys,
                                                                  where, kind):
    copy = copy_of_the_course(tmp_path)
    if where == "lesson":
        leaked = "check_lstm_cell(LSTMCell, load_torch_lstm, thorough=True)"
        add_line(copy / RELEASE_DIR / "02-lstm-pytorch" / "02-lstm-pytorch.ipynb",
                 "test_lstm_cell", leaked)
        path = f"{RELEASE_DIR}/02-lstm-pytorch/02-lstm-pytorch.ipynb"
    else:
        leaked = "cell.W.copy_(torch_lstm.weight_ih_l0.T)"
        with (copy / "rnncourse" / "plots.py").open("a") as library:
            library.write(f"\n# {leaked}\n")
        path = "rnncourse/plots.py"
    monkeypatch.setattr(bundle_module, "stale_lessons", lambda root: pytest.fail("not reached"))
    monkeypatch.chdir(copy)
    out = tmp_path / "dist"
    assert main(["bundle", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"rnncourse: Refusing to bundle: {path} holds the {kind} line "
                          f"{leaked!r} of solutions/02-lstm-pytorch/02-lstm-pytorch.ipynb")
    assert err.endswith("nothing was written.") and "\n" not in err
    assert list(out.iterdir()) == []


def test_out_of_date_lessons_are_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bundle_module, "stale_lessons",
                        lambda root: [f"{RELEASE_DIR}/01-rnn-pytorch/01-rnn-pytorch.ipynb differs"])
    monkeypatch.chdir(REPO)
    out = tmp_path / "dist"
    assert main(["bundle", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "run `rnncourse release` first" in err and "\n" not in err
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("existing", [NAME, f"{NAME}.zip"])
def test_an_existing_bundle_is_replaced_only_with_force(tmp_path, monkeypatch, capsys, existing):
    monkeypatch.setattr(bundle_module, "stale_lessons", lambda root: [])
    monkeypatch.chdir(REPO)
    out = tmp_path / "dist"
    (out / NAME).mkdir(parents=True)
    (out / NAME / "mine.txt").write_text("keep me")
    if existing.endswith(".zip"):
        shutil.rmtree(out / NAME)
        (out / existing).write_text("not a zip")
    assert main(["bundle", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"rnncourse: {out / existing} already exists: pass --force to replace it."
    assert sorted(p.name for p in out.iterdir()) == [existing]
    assert main(["bundle", "--out", str(out), "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [NAME, f"{NAME}.zip"]
    assert not (out / NAME / "mine.txt").exists() and zipfile.is_zipfile(out / f"{NAME}.zip")


def test_a_readable_quiz_key_is_found(tmp_path):
    banks = tmp_path / "rnncourse" / "quiz" / "banks"
    banks.mkdir(parents=True)
    (banks / "q.json").write_text(json.dumps({"questions": [{"id": "q1", "key": "b"},
                                                            {"id": "q2", "key": "ab" * 32}]}))
    assert readable_quiz_keys(tmp_path) == [
        "rnncourse/quiz/banks/q.json, question 'q1', stores a readable answer key"]


def test_the_bundle_builds_as_a_package(built, tmp_path):
    source = shutil.copytree(built / NAME, tmp_path / "source")  # building writes build/ there
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "-w", str(tmp_path / "wheel"), str(source)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    [wheel] = (tmp_path / "wheel").glob("rnncourse-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(archive.read(n).decode() for n in names
                            if n.endswith(".dist-info/entry_points.txt"))
    # Every file of the library is installed, data files included (a non-editable install
    # would lack a template or quiz bank otherwise).
    assert {f"rnncourse/{n}" for n in shipped_files(source / "rnncourse")} <= names
    assert "rnncourse = rnncourse.cli:main" in entry_points


def test_the_bundle_course_script_names_its_two_commands(built):
    result = subprocess.run([str(built / NAME / "course"), "frobnicate"], capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert "usage: ./course lab | ./course test" in result.stderr


def student_environment(built: Path, shared_ag_news: Path) -> dict[str, str]:
    """This venv's Python, but the bundle's library first on the path, as a student's would be."""
    return {"PYTHONPATH": str(built / NAME), "RNNCOURSE_DATA": str(shared_ag_news),
            "RNNCOURSE_QUICK": "1", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}


@pytest.mark.notebooks
@pytest.mark.parametrize("lesson", LESSONS)
def test_bundled_lesson_runs_unsolved_up_to_its_first_exercise(built, shared_ag_news,
                                                              monkeypatch, lesson):
    path = built / NAME / RELEASE_DIR / lesson / f"{lesson}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    first = next(i for i, cell in enumerate(notebook.cells)
                 if cell.metadata.get("nbgrader", {}).get("solution"))
    probe = nbformat.v4.new_code_cell("import rnncourse\nprint(rnncourse.__file__)")
    notebook.cells.insert(0, probe)
    for name, value in student_environment(built, shared_ag_news).items():
        monkeypatch.setenv(name, value)  # the kernel inherits this process's environment
    with pytest.raises(CellExecutionError) as failure:
        NotebookClient(notebook, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    assert failure.value.ename == "NotImplementedError"
    failed = [i - 1 for i, cell in enumerate(notebook.cells)
              if any(out.output_type == "error" for out in cell.get("outputs", []))]
    assert len(failed) == 1 and failed[0] >= first  # nothing before the first exercise failed
    library = Path(notebook.cells[0].outputs[0].text.strip()).resolve()
    assert library == (built / NAME / "rnncourse" / "__init__.py").resolve(), library


@pytest.mark.notebooks
def test_the_bundle_set_up_check_passes(built, shared_ag_news):
    # The shipped tests/test_setup.py, as `./course test` runs it; one lesson suffices here,
    # since the test above runs every lesson further than the set-up check does.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests",
         "-k", f"import or has_lessons or {LESSONS[1]}"],
        cwd=built / NAME, capture_output=True, text=True,
        env={**os.environ, **student_environment(built, shared_ag_news)})
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"\b3 passed\b", result.stdout), result.stdout[-3000:]
