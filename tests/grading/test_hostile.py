"""A hostile class graded in the real sandbox (bubblewrap) with 2 workers: nothing outside changes.

First an innocent class (a solver and an untouched notebook) is graded, and everything
outside the grader's scratch is fingerprinted. Then the hostile submissions are added and
graded by a rerun, followed (in name order) by a second solver and untouched notebook,
which must still score full marks and 0. The attack code is shown to work, too: graded without
the sandbox, the reading attack finds the solutions.
"""

from __future__ import annotations

import hashlib
import secrets
import socket
from pathlib import Path

import nbformat
import psutil
import pytest

from rnncourse.grading.feedback import MAX_OUTPUTS_BYTES
from rnncourse.grading.ledger import read_ledger
from rnncourse.grading.run import grade_class
from rnncourse.grading.worker import Limits
from tests.grading.corpus import ASSIGNMENT, FULL, NAME
from tests.grading.corpus import build as build_class
from tests.grading.hostile import PATCHES, SUCCESS_WORDS, Targets, attacks, build

pytestmark = pytest.mark.nbgrader

LIMITS = Limits(cell_seconds=45, notebook_seconds=400, memory_bytes=3 * 2**30)
# Graded before the attacks, their results fingerprinted (cheap: no training).
INNOCENT = ["untouched", "no-notebook"]
# Graded after every hostile case (students are graded in name order).
LATE = {"zz-solver": "solver", "zz-untouched": "untouched"}
CAP = 10 * 2**20  # the README's promise for a graded notebook and a feedback page


def _fingerprint(folders: list[Path]) -> dict[str, str]:
    digests = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def _results_of(out: Path, students: list[str]) -> list[Path]:
    return [out / kind / student for kind in ("feedback", "autograded") for student in students]


def _output_text(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "\n".join("".join(o.get("text", "")) for cell in notebook.cells
                     for o in cell.get("outputs", []))


@pytest.fixture(scope="module")
def hostile(repo, shared_ag_news, tmp_path_factory):
    """(out, targets, fingerprints before, fingerprints after, listener's connections)."""
    base = tmp_path_factory.mktemp("hostile")
    submitted, out = base / "submitted", base / "out"
    build_class(submitted, INNOCENT)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    targets = Targets(repo=repo, out=out, submitted=submitted,
                      port=listener.getsockname()[1], marker=f"rnncourse-{secrets.token_hex(6)}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNCOURSE_DATA", str(shared_ag_news))
        patch.delenv("RNNCOURSE_QUICK", raising=False)
        grade_class(repo, ASSIGNMENT, submitted, out, workers=2, limits=LIMITS,
                    progress=False, say=lambda line: None)
        watched = [repo / "rnncourse", repo / "solutions", repo / "lessons",
                   repo / "autograder", *_results_of(out, INNOCENT)]
        before = _fingerprint(watched)
        innocent_lines = {s: r.to_json() for s, r in read_ledger(out).items()}
        build(submitted, targets)
        for late, case in LATE.items():
            build_class(submitted / "tmp", [case])
            (submitted / "tmp" / case).rename(submitted / late)
        (submitted / "tmp").rmdir()
        run = grade_class(repo, ASSIGNMENT, submitted, out, workers=2, limits=LIMITS,
                          progress=False, say=lambda line: None)
        after = _fingerprint(watched)
    connections = 0
    while True:
        try:
            listener.accept()[0].close()
            connections += 1
        except BlockingIOError:
            break
    listener.close()
    return out, targets, run, before, after, innocent_lines, connections


def test_nothing_outside_the_scratch_changed(hostile):
    out, _, run, before, after, innocent_lines, _ = hostile
    assert run.newly_graded == len(attacks(hostile[1])) + len(LATE)
    assert after == before  # the package, the course, the innocents' feedback and notebooks
    ledger = read_ledger(out)
    assert {s: ledger[s].to_json() for s in INNOCENT} == innocent_lines
    pages = [p for p in out.glob("feedback/*/*/*.html") if "writes-results" not in p.parts]
    for path in [out / "grades.csv", out / "ledger.jsonl", *pages]:  # the attacker's own
        assert b"HACKED" not in path.read_bytes(), path  # page shows its code, HACKED included


def test_no_attack_succeeded(hostile):
    out, _, _, _, _, _, connections = hostile
    assert connections == 0
    for case in attacks(hostile[1]):
        text = _output_text(out / "autograded" / case / ASSIGNMENT / NAME)
        said = [line for line in text.splitlines() if line.startswith(SUCCESS_WORDS)]
        assert said == [], (case, said[:5])


def test_no_process_of_the_submissions_is_left(hostile):
    _, targets, *_ = hostile
    left = [p.pid for p in psutil.process_iter(["cmdline"])
            if targets.marker in " ".join(p.info["cmdline"] or [])]
    assert left == []


def test_students_graded_after_the_attacks_get_their_own_scores(hostile):
    _, _, run, *_ = hostile
    scores = {r.student: r.total for r in run.results}
    assert scores["zz-solver"] == FULL and scores["zz-untouched"] == 0.0
    assert scores["untouched"] == 0.0 and scores["no-notebook"] == 0.0
    assert all(r.sandboxed for r in run.results)


def test_outputs_are_capped_in_the_graded_notebook_and_the_feedback(hostile):
    out, _, run, *_ = hostile
    graded = out / "autograded" / "output-flood" / ASSIGNMENT / NAME
    page = out / "feedback" / "output-flood" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert graded.stat().st_size < CAP and page.stat().st_size < CAP
    assert MAX_OUTPUTS_BYTES < CAP
    flood = next(r for r in run.results if r.student == "output-flood")
    assert any("cut to the grader's size limit" in note for note in flood.notes), flood.notes


@pytest.mark.parametrize("case", PATCHES)
def test_each_patch_in_memory_is_flagged(hostile, case):
    _, _, run, *_ = hostile
    result = next(r for r in run.results if r.student == case)
    assert result.flags, case


def test_a_probe_silenced_by_an_input_transformer_is_reported(hostile):
    _, _, run, *_ = hostile
    result = next(r for r in run.results if r.student == "input-transformer")
    assert any("integrity check did not report" in flag for flag in result.flags), result.flags


def test_the_reading_attack_works_without_the_sandbox(repo, shared_ag_news, tmp_path):
    """The control: the same attack, graded with --no-sandbox, does find the solutions."""
    targets = Targets(repo=repo, out=tmp_path / "out", submitted=tmp_path / "submitted",
                      port=1, marker="unused")
    build(targets.submitted, targets, ["reads-secrets"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RNNCOURSE_DATA", str(shared_ag_news))
        run = grade_class(repo, ASSIGNMENT, targets.submitted, targets.out, workers=1,
                          limits=Limits(cell_seconds=45, notebook_seconds=400,
                                        memory_bytes=3 * 2**30, sandbox=False),
                          progress=False, say=lambda line: None)
    text = _output_text(targets.out / "autograded" / "reads-secrets" / ASSIGNMENT / NAME)
    assert f"LEAK {repo}/solutions/" in text
    assert run.results[0].sandboxed is False
    assert "without the sandbox" in run.summary.lower()
