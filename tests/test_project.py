"""The project's own promises: one set of dependencies, two commands, a working CLI."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement

from rnncourse.cli import main
from rnncourse.errors import CourseError
from rnncourse.release import (
    LESSONS_DIR,
    RELEASE_DIR,
    course_root,
    generate_into,
    list_assignments,
    solved_notebook,
)

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


def normalised(lines):
    return {str(Requirement(line)) for line in lines}


def pip_lines(environment_file):
    spec = yaml.safe_load(environment_file.read_text())
    pip = next(item["pip"] for item in spec["dependencies"] if isinstance(item, dict))
    return [line for line in pip if not line.startswith("-")]


@pytest.mark.parametrize(("environment", "extra"),
                         [("environment.yml", "cpu"), ("environment-gpu.yml", "gpu")])
def test_conda_environments_name_the_same_dependencies_as_pyproject(repo, environment, extra):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    expected = (project["dependencies"] + project["optional-dependencies"][extra]
                + project["optional-dependencies"]["dev"])
    assert normalised(pip_lines(repo / environment)) == normalised(expected)


def test_framework_ranges_admit_the_ci_builds(repo):
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(r) for r in project["dependencies"]
                    + project["optional-dependencies"]["cpu"]]
    torch = next(r for r in requirements if r.name == "torch")
    tensorflow = next(r for r in requirements if r.name == "tensorflow-cpu")
    assert torch.specifier.contains("2.13.0") and not torch.specifier.contains("3.0")
    assert tensorflow.specifier.contains("2.21.0")


def test_readme_quickstart_and_ci_use_the_same_two_commands(repo):
    readme = (repo / "README.md").read_text()
    assert "./course lab" in readme and "./course test" in readme
    assert "./course test" in (repo / ".ci" / "run").read_text()


def test_course_script_refuses_an_unknown_command(repo):
    result = subprocess.run([str(repo / "course"), "frobnicate"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "usage: ./course lab | ./course test" in result.stderr


def test_cli_data_reads_a_local_folder(shared_ag_news, capsys):
    assert main(["data", "--dir", str(shared_ag_news)]) == 0
    out = capsys.readouterr().out
    assert "test: 7,600 articles" in out and "train: 30,031 articles" in out


def test_cli_data_names_a_missing_folder_in_one_sentence(tmp_path, capsys):
    assert main(["data", "--dir", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnncourse: ") and "nowhere" in err and "\n" not in err


def test_course_root_outside_the_repository_says_where_to_run(tmp_path):
    with pytest.raises(CourseError, match="run this inside the rnncourse repository"):
        course_root(tmp_path)


def test_release_refuses_an_unknown_assignment(repo, tmp_path):
    with pytest.raises(CourseError, match=r"Unknown assignment '99-nope'; the course has: "):
        generate_into(repo, tmp_path, ["99-nope"])


def test_every_lesson_exists_in_both_frameworks(repo):
    names = list_assignments(repo)
    assert {"01-rnn-pytorch", "01-rnn-tensorflow"} <= set(names)
    for name in names:
        lesson, framework = name.rsplit("-", 1)
        twin = "tensorflow" if framework == "pytorch" else "pytorch"
        assert framework in {"pytorch", "tensorflow"} and f"{lesson}-{twin}" in names


def test_check_release_reports_a_hand_edited_lesson(repo, tmp_path):
    import shutil

    copy = tmp_path / "course"
    for folder in ("solutions", LESSONS_DIR, "autograder"):
        shutil.copytree(repo / folder, copy / folder,
                        ignore=shutil.ignore_patterns("gradebook.db", "__pycache__"))
    lesson = copy / RELEASE_DIR / "01-rnn-pytorch" / "01-rnn-pytorch.ipynb"
    lesson.write_text(lesson.read_text().replace("Lesson 1", "Lesson One", 1))
    result = subprocess.run([sys.executable, "-m", "rnncourse.cli", "check-release"],
                            cwd=copy, capture_output=True, text=True)
    assert result.returncode == 1
    assert f"{RELEASE_DIR}/01-rnn-pytorch/01-rnn-pytorch.ipynb differs from its source" \
        in result.stdout


def test_nbgrader_releases_into_the_release_dir_constant(repo):
    # One place names the English edition's folder; nbgrader's config must agree with it.
    config = (repo / "autograder" / "nbgrader_config.py").read_text()
    assert f'c.CourseDirectory.release_directory = "{RELEASE_DIR}"' in config
    assert RELEASE_DIR.endswith("/en") and RELEASE_DIR.startswith(f"{LESSONS_DIR}/")


def test_the_model_submission_fills_every_exercise_cell_of_either_edition(repo):
    lesson = "02-lstm-pytorch"
    solution = repo / "solutions" / lesson / f"{lesson}.ipynb"
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source
               for cell in nbformat.read(solution, as_version=4).cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    for edition in ("en", "ko"):
        released = repo / "lessons" / edition / lesson / f"{lesson}.ipynb"
        submitted = solved_notebook(released, solution)
        filled = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in submitted.cells
                  if cell.metadata.get("nbgrader", {}).get("solution")}
        assert filled == answers and "NotImplementedError" not in str(filled)
        # Everything else is the released notebook's: its prose, its locked tests.
        assert [c.source for c in submitted.cells if not c.metadata.get("nbgrader", {})
                .get("solution")] == [c.source for c in nbformat.read(released, as_version=4)
                                     .cells if not c.metadata.get("nbgrader", {})
                                     .get("solution")]


def test_a_model_submission_for_a_lesson_with_an_unknown_exercise_is_one_sentence(repo,
                                                                                  tmp_path):
    lesson = "01-rnn-pytorch"
    notebook = nbformat.read(repo / "lessons" / "en" / lesson / f"{lesson}.ipynb", as_version=4)
    cell = nbformat.v4.new_code_cell("raise NotImplementedError()")
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": "new_exercise", "locked": False,
                                 "schema_version": 3, "solution": True}
    notebook.cells.append(cell)
    nbformat.write(notebook, tmp_path / "lesson.ipynb")
    with pytest.raises(CourseError, match="has an exercise cell 'new_exercise' that .* does not "
                                          "have: run `rnncourse release`"):
        solved_notebook(tmp_path / "lesson.ipynb", repo / "solutions" / lesson / f"{lesson}.ipynb")
