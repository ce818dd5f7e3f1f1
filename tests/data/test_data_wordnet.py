"""Lesson 4's worked example: WordNet's noun definitions as a CSV, built on the machine."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from rnncourse.data import load_text_csv
from rnncourse.data.wordnet import (
    WORDNET_ENV_VAR,
    find_wordnet,
    noun_definitions,
    wordnet_csv,
)
from rnncourse.errors import DataError

# Lines in WordNet's data format: offset, lexicographer file, type, word count (hex), words
# with their lex ids, pointers, then " | " and the gloss. The licence lines start with spaces.
DATA_NOUN = """\
  1 This software and database is being provided to you, the LICENSEE, by
  2 Princeton University under the following license.
02121620 05 n 02 cat 0 true_cat 0 000 | feline mammal usually having thick soft fur; "cats purr"
02084071 05 n 01 dog 0 000 | a member of the genus Canis; "the dog barked all night"
07739125 13 n 01 apple 0 000 | fruit with red or yellow or green skin and crisp flesh
12633994 20 n 02 apple 1 orchard_apple_tree 0 000 | native Eurasian tree widely cultivated
03001627 06 n 01 chair 0 000 | a seat for one person, with a support for the back
00001740 03 n 01 entity 0 000 | that which is perceived to have its own distinct existence
09999999 06 n 01 twin_a 0 000 | a thing that appears twice
09999998 18 n 01 twin_b 0 000 | a thing that appears twice
"""


@pytest.fixture
def wordnet(tmp_path: Path) -> Path:
    folder = tmp_path / "wordnet"
    folder.mkdir()
    (folder / "data.noun").write_text(DATA_NOUN, encoding="utf-8")
    return folder


def test_definitions_keep_the_chosen_categories_without_examples(wordnet):
    rows = list(noun_definitions(wordnet / "data.noun"))
    assert rows[:2] == [("feline mammal usually having thick soft fur", "animal", "cat, true cat"),
                        ("a member of the genus Canis", "animal", "dog")]
    assert [category for _, category, _ in rows] == [
        "animal", "animal", "food", "plant", "artifact", "artifact", "person"]  # no noun.Tops


def test_the_csv_leaves_out_shared_definitions_and_loads(wordnet, tmp_path):
    path = wordnet_csv(tmp_path / "out" / "nouns.csv", folder=wordnet)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [row["words"] for row in rows] == ["cat, true cat", "dog", "apple",
                                              "apple, orchard apple tree", "chair"]
    assert not list(path.parent.glob(".*partial"))
    with pytest.raises(DataError, match="too few|fewer"):  # one text per class is too few
        load_text_csv(path, text="definition", label="category")


def test_the_environment_variable_names_the_folder(wordnet, monkeypatch):
    monkeypatch.setenv(WORDNET_ENV_VAR, str(wordnet))
    assert find_wordnet() == wordnet / "data.noun"


def test_a_missing_wordnet_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv(WORDNET_ENV_VAR, raising=False)
    with pytest.raises(DataError) as error:
        find_wordnet(tmp_path)
    message = str(error.value)
    assert message.startswith(f"WordNet's noun definitions (data.noun) are not in {tmp_path}")
    assert "apt-get install wordnet-base" in message and "DATA_FILE" in message
    assert "\n" not in message


def test_a_file_that_is_not_wordnet_is_named(tmp_path):
    (tmp_path / "data.noun").write_text("not wordnet\n", encoding="utf-8")
    with pytest.raises(DataError, match="Line 1 of .* is not a WordNet data line"):
        wordnet_csv(tmp_path / "x.csv", folder=tmp_path)


@pytest.mark.skipif(not Path("/usr/share/wordnet/data.noun").is_file() and not os.environ.get("CI"),
                    reason="Debian's wordnet-base is not installed (.ci/run installs it; on CI "
                    "this test runs and fails without it)")
def test_the_installed_wordnet_gives_six_classes(tmp_path):
    train, test = load_text_csv(wordnet_csv(tmp_path / "nouns.csv"), text="definition",
                                label="category")
    assert train.classes == ("animal", "artifact", "food", "location", "person", "plant")
    assert len(train) + len(test) > 40_000
    assert not set(train.texts) & set(test.texts)
