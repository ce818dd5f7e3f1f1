"""The benchmark harness works: one quick run end to end, and clear refusals of bad input.

Benchmarks are not timed tests: nothing here asserts anything about how long things take.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from benchmarks import HarnessError
from benchmarks.__main__ import main
from benchmarks.lessons import parse
from benchmarks.report import MARKER, prepare, write
from rnncourse.release import list_assignments


@pytest.fixture(scope="module")
def quick_run(repo, shared_ag_news, tmp_path_factory):
    """``python -m benchmarks --quick`` as CI runs it: layers, one autograde, data, contention,
    thread settings."""
    out = tmp_path_factory.mktemp("benchmarks") / "results"
    env = {**os.environ, "RNNCOURSE_DATA": str(shared_ag_news)}
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out)],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    return done, out


@pytest.mark.nbgrader
def test_quick_run_writes_json_and_markdown_that_name_the_machine(quick_run):
    done, out = quick_run
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (json_file,) = out.glob("*.json")
    md_file = json_file.with_suffix(".md")
    results = json.loads(json_file.read_text())
    assert results["quick"] is True and results["parts"] == ["layers", "grading", "data",
                                                               "contention", "thread-settings"]
    assert results["problems"] == []
    machine = results["machine"]
    assert json_file.stem == machine["device_kind"]
    assert machine["cpu_count"] >= 1 and machine["date"]
    assert all(machine["versions"][name] for name in ("python", "torch", "tensorflow", "keras"))
    markdown = md_file.read_text()
    assert markdown.startswith(MARKER + "\n")
    for text in ("## 2. From scratch versus built in", "## 3. Grading", "## 4. Data",
                 "## 5. Busy and restricted CPUs", "## 7. Ways of setting threads",
                 machine["versions"]["torch"], machine["date"], machine["device_kind"]):
        assert text in markdown
    assert done.stdout.rstrip().endswith(markdown.rstrip())  # the table is printed last


@pytest.mark.nbgrader
def test_quick_run_times_a_step_quiet_and_beside_busy_processes(quick_run):
    _, out = quick_run
    (json_file,) = out.glob("*.json")
    part = json.loads(json_file.read_text())["contention"]
    cpus = part["cpus"]
    busy = f"busy {cpus - 1}" if cpus > 1 else f"busy {cpus}"
    rows = {(row["condition"], row["setting"]): row for row in part["rows"]}
    assert set(rows) == {(condition, setting) for condition in ("quiet", busy)
                         for setting in ("policy", "default")}
    assert all(row["status"] == "ok" and row["seconds"] > 0 for row in rows.values())
    assert rows[(busy, "policy")]["ratio_to_quiet"] > 0
    # The harness's neighbours keep their CPUs busy: the policy leaves those CPUs to them
    # (other load on the machine could only lower the count further).
    assert rows[(busy, "policy")]["threads"] <= max(1, cpus - (cpus - 1 if cpus > 1 else 1))
    assert rows[("quiet", "default")]["threads"] >= 1


@pytest.mark.nbgrader
def test_quick_run_compares_the_policy_with_the_default_quiet_and_busy(quick_run):
    _, out = quick_run
    (json_file,) = out.glob("*.json")
    part = json.loads(json_file.read_text())["thread-settings"]
    rows = {(row["condition"], row["setting"]): row for row in part["rows"]}
    assert set(rows) == {(condition, setting) for condition in ("quiet", "busy")
                         for setting in ("default", "policy")}
    assert all(row["status"] == "ok" and row["seconds"] > 0 and len(row["process_medians"]) == 1
               for row in rows.values())
    assert rows[("busy", "policy")]["threads"] <= max(1, part["cpus"] - part["busy_processes"])
    markdown = json_file.with_suffix(".md").read_text()
    section = markdown.split("## 7. Ways of setting threads")[1]
    lines = {line.split(" | ")[1]: line for line in section.splitlines()
             if line.startswith("| PyTorch | ")}
    assert set(lines) == {"default", "policy"}
    assert lines["default"].endswith("| 1.00× |")  # the default's quiet time over itself


@pytest.mark.nbgrader
def test_quick_run_measures_every_layer_variant_in_both_frameworks(quick_run, repo):
    _, out = quick_run
    results = json.loads(next(out.glob("*.json")).read_text())
    frameworks = {f["framework"]: f for f in results["layers"]["frameworks"]}
    assert set(frameworks) == {"pytorch", "tensorflow"}
    for framework in frameworks.values():
        assert framework["status"] == "measured"
        found = {(row["kind"], row["variant"]) for row in framework["rows"]}
        assert found == {(kind, variant) for kind in ("rnn", "lstm", "gru") for variant in
                         ("builtin", "scratch", "hoisted", "compiled", "hoisted+compiled")}
        for row in framework["rows"]:
            assert row["ratio_to_builtin"] > 0 and row["seconds"] > 0
            assert row["variant"] == "builtin" or row["max_difference"] <= 1e-4
        # The layers come from the solution notebooks themselves.
        assert framework["sources"]["lstm"].startswith("solutions/")


@pytest.mark.nbgrader
def test_quick_run_grades_with_nbgrader_and_with_the_parallel_grader(quick_run, repo):
    _, out = quick_run
    results = json.loads(next(out.glob("*.json")).read_text())
    (graded,) = results["grading"]["notebooks"]
    assert graded["lesson"] == list_assignments(repo)[0]
    assert graded["status"] == "ok" and graded["score"] == graded["max_score"] > 0
    assert graded["seconds"] > 0
    parallel = results["grading"]["parallel"]
    (row,) = parallel["rows"]
    assert (parallel["students"], row["workers"], row["status"]) == (2, 2, "ok")
    assert row["sandbox"] is True
    assert row["seconds"] > 0 and row["mean_score"] == graded["max_score"]  # both solved
    assert "`rnncourse grade 01-rnn-pytorch` on a class of 2" in \
        next(out.glob("*.md")).read_text()
    data = results["data"]
    assert data["articles"]["train"] > 0 and data["seconds"]["encode_splits"] > 0


@pytest.mark.parametrize(("arguments", "says"), [
    (["--parts", "layers,frobnicate"], "Unknown part 'frobnicate'; choose from lessons, layers"),
    (["--lessons", "99-nope"], "Unknown lesson '99-nope'; choose from 01-rnn-pytorch"),
    (["--quick"], "A quick run needs --out"),
    (["--budget", "-3"], "--budget must be a positive number"),
    (["--frobnicate"], "Unrecognized arguments: --frobnicate"),
])
def test_bad_arguments_give_one_sentence_and_write_nothing(arguments, says, tmp_path, capsys):
    out = tmp_path / "out"
    extra = [] if "--quick" in arguments else ["--out", str(out)]
    assert main([*arguments, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("benchmarks: ") and says in err and "\n" not in err
    assert not out.exists()


def test_an_unwritable_output_folder_gives_one_sentence(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["--parts", "data", "--out", str(blocker / "results")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("benchmarks: Cannot write the results to ") and "\n" not in err


def test_a_hand_written_results_file_is_never_overwritten(tmp_path):
    (tmp_path / "nvidia-h200.md").write_text("# Lessons on an NVIDIA H200, measured by hand\n")
    with pytest.raises(HarnessError, match="was not written by this harness"):
        prepare(tmp_path, "nvidia-h200")
    assert prepare(tmp_path, "cpu-2-cores") == (tmp_path / "cpu-2-cores.json",
                                                tmp_path / "cpu-2-cores.md")


def test_results_are_written_whole_or_not_at_all(tmp_path):
    paths = prepare(tmp_path, "cpu-2-cores")
    with pytest.raises(ValueError):  # NaN is not JSON: fails before any file is touched
        write(paths, {"nan": float("nan")})
    assert list(tmp_path.iterdir()) == []


def _notebook(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    for kind, text in cells:
        if kind == "markdown":
            notebook.cells.append(nbformat.v4.new_markdown_cell(text))
        else:
            cell = nbformat.v4.new_code_cell("")
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
            notebook.cells.append(cell)
    return notebook


def test_lesson_output_is_read_for_device_accuracy_and_checks():
    summary = "epoch {}: train accuracy 0.700, test accuracy {} (3 s)\n"
    notebook = _notebook([
        ("code", "PyTorch 2.13.0+cpu is using cpu (2 threads).\n"),
        ("code", summary.format(1, "0.600") + summary.format(2, "0.990") + "✓ passes\n"),
        ("markdown", "## 5. RNN, LSTM and GRU on AG News"),
        ("code", "--- RNN: 10 parameters\n" + summary.format(1, "0.500")
         + summary.format(2, "0.794") + "--- LSTM: 20 parameters\n" + summary.format(1, "0.700")
         + summary.format(2, "0.876") + "--- 2-layer BiLSTM: 30 parameters\n"
         + summary.format(1, "0.901")),
    ])
    parsed = parse(notebook)
    assert parsed["device"] == "cpu (2 threads)"
    assert parsed["accuracy"] == {"RNN": 0.794, "LSTM": 0.876,  # AG News runs only
                                  "2-layer BiLSTM": 0.901}
    assert len(parsed["runs"]) == 4 and parsed["checks_passed"] == 1



def _copy_results(out, tmp_path):
    copy = tmp_path / "results"
    copy.mkdir()
    for path in out.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    return copy, next(copy.glob("*.json"))


def test_update_replaces_only_the_parts_it_runs(quick_run, tmp_path, shared_ag_news,
                                                monkeypatch):
    _, out = quick_run
    copy, json_path = _copy_results(out, tmp_path)
    before = json.loads(json_path.read_text())
    before["layers"]["frameworks"][0]["marker"] = "kept from the first run"
    json_path.write_text(json.dumps(before))
    monkeypatch.setenv("RNNCOURSE_DATA", str(shared_ag_news))
    assert main(["--quick", "--parts", "data", "--update", "--out", str(copy)]) == 0
    after = json.loads(json_path.read_text())
    # the harness's order, all kept
    assert after["parts"] == ["layers", "grading", "data", "contention", "thread-settings"]
    assert after["layers"]["frameworks"][0]["marker"] == "kept from the first run"
    assert after["grading"] == before["grading"]
    assert after["data"]["measured"]["date"] == after["machine"]["date"]
    assert after["layers"]["measured"] == before["layers"]["measured"]
    text = json_path.with_suffix(".md").read_text()
    assert text.count("Measured ") == 5 and "## 2. From scratch" in text  # one per part


@pytest.mark.parametrize(("change", "says"), [
    (lambda results: results["machine"]["versions"].update(torch="1.0"),
     "other versions of torch: rerun every part"),
    (lambda results: results.update(quick=False), "holds a full run and this one is quick"),
    (lambda results: results["problems"].append("lessons: 01 failed"), "lists problems"),
    (lambda results: results.pop("machine"), "cannot be read as the harness's results"),
])
def test_update_refuses_results_it_cannot_combine_honestly(quick_run, tmp_path, change, says,
                                                           capsys):
    _, out = quick_run
    copy, json_path = _copy_results(out, tmp_path)
    results = json.loads(json_path.read_text())
    change(results)
    json_path.write_text(json.dumps(results))
    untouched = json_path.read_bytes()
    assert main(["--quick", "--parts", "data", "--update", "--out", str(copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("benchmarks: ") and says in err and "\n" not in err
    assert json_path.read_bytes() == untouched


def test_update_needs_existing_results(tmp_path, capsys):
    assert main(["--quick", "--parts", "data", "--update", "--out", str(tmp_path)]) == 2
    assert "--update needs existing results" in capsys.readouterr().err


def test_check_times_runs_every_tensorflow_check_on_the_solutions_own_code():
    from benchmarks.check_times import _cases

    cases = _cases()
    assert [name for name, *_rest in cases] == [
        "check_rnn_cell", "check_rnn_layer", "check_classifier", "check_lstm_cell",
        "check_lstm_layer", "check_gru_cell", "check_padding_invariance", "check_reverse_padded",
        "check_bidirectional", "check_stacked", "check_pooling"]
    # Every argument is read from a solution notebook's exercise cell, not from a copy.
    for _name, _eager, _public, args in cases:
        assert all(arg.__module__.startswith("lesson") for arg in args), args


def test_the_mistake_corpus_holds_each_mistake_once_in_both_frameworks():
    from benchmarks.visible_vs_hidden import corpus

    mistakes = corpus()
    keys = [(framework, check, name) for framework, check, name, _args in mistakes]
    assert len(keys) == len(set(keys)) and len(keys) > 200
    assert {framework for framework, *_rest in keys} == {"pytorch", "tensorflow"}
    assert ("tensorflow", "check_classifier", "NumpyIndexClassifier") in keys
