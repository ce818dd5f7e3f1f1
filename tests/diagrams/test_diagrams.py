"""The course's diagrams: well-formed, reproducible, translated, and committed up to date."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rnncourse import diagrams
from rnncourse.diagrams.labels import LABELS
from rnncourse.errors import CourseError

REPO = Path(__file__).resolve().parents[2]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
MATH = re.compile(r"\$[^$]*\$")


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], str]:
    """Every diagram in every language, drawn once for the module."""
    return {(name, language): diagrams.svg(name, language)
            for name in diagrams.NAMES for language in ("en", "ko")}


def test_names_and_titles_cover_the_six_diagrams():
    assert diagrams.NAMES == ("rnn-unrolled", "rnn-cell", "lstm-cell", "gru-cell",
                              "bidirectional", "stacked")
    assert set(diagrams.TITLES) == set(diagrams.NAMES)
    for titles in diagrams.TITLES.values():
        assert set(titles) == {"en", "ko"} and all(titles.values())


def test_every_diagram_is_well_formed_svg_with_its_digest(rendered):
    for (name, language), text in rendered.items():
        root = ET.fromstring(text.encode("utf-8"))
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        mark = f"<!-- rnncourse diagram {name} {language} sha256:"
        assert mark + diagrams.source_digest(name, language) + " -->" in text[:400]
        assert len(text.encode("utf-8")) < 150_000, f"{language}/{name} is too large"
        assert "<text" not in text  # text drawn as paths: no font needed to view it


def test_rendering_twice_gives_identical_bytes(rendered):
    for name in ("lstm-cell", "bidirectional"):
        for language in ("en", "ko"):
            assert diagrams.svg(name, language) == rendered[name, language]


def test_korean_differs_from_english(rendered):
    for name in diagrams.NAMES:
        assert rendered[name, "ko"] != rendered[name, "en"]
        assert (diagrams.source_digest(name, "ko")
                != diagrams.source_digest(name, "en"))


def test_korean_labels_are_korean_and_english_labels_are_not():
    assert LABELS["en"].keys() == LABELS["ko"].keys()
    for key, label in LABELS["ko"].items():
        words = MATH.sub("", label.replace("{}", ""))
        if any(ch.isalpha() for ch in words):
            assert HANGUL.search(label), f"Korean label {key!r} has no Hangul: {label!r}"
    for key, label in LABELS["en"].items():
        assert not HANGUL.search(label), f"English label {key!r} has Hangul: {label!r}"


def test_write_all_rewrites_only_what_changed_and_stale_reports(tmp_path):
    written = diagrams.write_all(tmp_path)
    assert len(written) == 12
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(
        f"{language}/{name}.svg" for language in ("en", "ko") for name in diagrams.NAMES)
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".svg"]
    assert diagrams.write_all(tmp_path) == []
    assert diagrams.stale(tmp_path) == []

    edited = tmp_path / "ko" / "lstm-cell.svg"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(re.sub(r"sha256:[0-9a-f]{4}", "sha256:0000", text, count=1),
                      encoding="utf-8")
    (tmp_path / "en" / "stacked.svg").unlink()
    assert diagrams.stale(tmp_path) == ["en/stacked.svg", "ko/lstm-cell.svg"]
    assert sorted(p.name for p in diagrams.write_all(tmp_path)) == [
        "lstm-cell.svg", "stacked.svg"]
    assert diagrams.stale(tmp_path) == []


def test_committed_figures_are_up_to_date():
    out_of_date = diagrams.stale(REPO / "figures")
    assert not out_of_date, (
        f"These diagrams in figures/ are missing or out of date: {', '.join(out_of_date)}; "
        "run `python -m rnncourse.diagrams` and commit the figures it writes.")


def test_the_command_line_writes_a_folder(tmp_path):
    done = subprocess.run([sys.executable, "-m", "rnncourse.diagrams", str(tmp_path)],
                          capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.count("wrote ") == 12
    assert diagrams.stale(tmp_path) == []


@pytest.mark.parametrize(("name", "language", "expected"), [
    ("lstm", "en", "Unknown diagram 'lstm'"),
    ("lstm-cell", "fr", "Unknown language 'fr'"),
])
def test_bad_input_is_one_sentence(name, language, expected):
    for call in (diagrams.svg, diagrams.source_digest):
        with pytest.raises(CourseError) as raised:
            call(name, language)
        message = str(raised.value)
        assert message.startswith(expected)
        assert message.count(".") == 1 and message.endswith(".") and "\n" not in message
