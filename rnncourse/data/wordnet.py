"""Lesson 4's worked example: WordNet's noun definitions, labelled by what they define.

WordNet 3.0 (Princeton University; a permissive licence that allows use and copying with its
notice) files every noun sense under one of 26 broad categories, its *lexicographer file*:
animals, plants, foods, people, places, artefacts and more. Its definitions ("a large
carnivorous feline of Africa and Asia") make a text-classification task: which kind of thing
does a definition describe? Nothing is shipped with the course: the CSV is built on the
student's machine from the database that Debian's and Ubuntu's ``wordnet-base`` package (or
Homebrew's ``wordnet``) installs.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pooch

from rnncourse.errors import DataError

#: The environment variable that names a folder holding WordNet's ``data.noun``.
WORDNET_ENV_VAR = "RNNCOURSE_WORDNET"
#: Where the packages put the database.
WORDNET_FOLDERS = (
    "/usr/share/wordnet",  # Debian, Ubuntu: wordnet-base
    "/usr/local/share/wordnet",
    "/opt/homebrew/share/wordnet",  # Homebrew on Apple silicon
    "/usr/local/opt/wordnet/dict",  # Homebrew on Intel
)
#: The lexicographer files the worked example keeps, by number, with their class names:
#: six concrete categories whose definitions a reader can tell apart, of 2,500-11,600 each.
WORDNET_CATEGORIES = {
    5: "animal",
    6: "artifact",
    13: "food",
    15: "location",
    18: "person",
    20: "plant",
}
#: What the lesson says when the database is missing.
HOW_TO_GET_WORDNET = (
    "install it (Debian, Ubuntu: sudo apt-get install wordnet-base; macOS: brew install "
    f"wordnet), set {WORDNET_ENV_VAR} to a folder holding its data.noun, or set DATA_FILE to "
    "a CSV of your own"
)


def find_wordnet(folder: str | Path | None = None) -> Path:
    """Return the path of WordNet's ``data.noun``.

    Args:
        folder: A folder holding ``data.noun``; default the ``RNNCOURSE_WORDNET`` environment
            variable, else the folders the packages install it to.

    Raises:
        DataError: If no ``data.noun`` is found; the sentence says how to get one.
    """
    if folder is None and os.environ.get(WORDNET_ENV_VAR):
        folder = os.environ[WORDNET_ENV_VAR]
    candidates = [Path(folder).expanduser()] if folder is not None else [
        Path(f) for f in WORDNET_FOLDERS]
    for candidate in candidates:
        if (candidate / "data.noun").is_file():
            return candidate / "data.noun"
    where = candidates[0] if folder is not None else "the usual places"
    raise DataError(f"WordNet's noun definitions (data.noun) are not in {where}; "
                    f"{HOW_TO_GET_WORDNET}.")


def _definition(gloss: str) -> str:
    """The definition part of a gloss, without the quoted examples that follow it."""
    definition = gloss.split('; "', 1)[0].strip()
    return definition.removesuffix(";").strip()


def noun_definitions(path: str | Path,
                     categories: dict[int, str] | None = None) -> Iterator[tuple[str, str, str]]:
    """Yield ``(definition, category, words)`` for every noun sense in the categories.

    Args:
        path: WordNet's ``data.noun``.
        categories: Lexicographer file number -> class name; default
            :data:`WORDNET_CATEGORIES`.

    Raises:
        DataError: If a line is not in WordNet's data format.
    """
    categories = WORDNET_CATEGORIES if categories is None else categories
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.startswith("  "):
                continue  # the licence at the top of the file
            head, bar, gloss = line.partition(" | ")
            fields = head.split()
            try:
                category = categories.get(int(fields[1]))
                words = [w.replace("_", " ") for w in fields[4:4 + 2 * int(fields[3], 16):2]]
            except (IndexError, ValueError):
                raise DataError(f"Line {number} of {path} is not a WordNet data line; "
                                f"reinstall the package that provides it.") from None
            if category is not None and bar and _definition(gloss):
                yield _definition(gloss), category, ", ".join(words)


def wordnet_csv(target: str | Path | None = None, *, folder: str | Path | None = None,
                categories: dict[int, str] | None = None) -> Path:
    """Build the worked example's CSV and return its path.

    Columns: ``definition`` (the text), ``category`` (the label) and ``words`` (the nouns
    the definition belongs to, for reading the errors; not for training). A definition that
    more than one sense shares is left out, so no text can be in both splits. The file is
    written whole to a temporary name first, so an interrupted run never leaves half of it.

    Args:
        target: Where to write; default ``wordnet-nouns.csv`` in the course's cache folder.
        folder: Where WordNet is (see :func:`find_wordnet`).
        categories: Lexicographer file number -> class name (see :func:`noun_definitions`).

    Raises:
        DataError: If WordNet is missing or the target cannot be written.
    """
    source = find_wordnet(folder)
    if target is None:
        target = Path(pooch.os_cache("rnncourse")) / "wordnet-nouns.csv"
    target = Path(target).expanduser()
    rows = list(noun_definitions(source, categories))
    # A definition shared by several senses (about 1 %) would reach both the training and
    # the test split: a test text the model has seen. Keep only definitions used once.
    uses = Counter(definition for definition, _, _ in rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["definition", "category", "words"])
    writer.writerows(row for row in rows if uses[row[0]] == 1)
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(buffer.getvalue(), encoding="utf-8")
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise DataError(f"Cannot write {target} ({error.strerror or error}); pass a writable "
                        f"path as target.") from error
    return target


def category_names(categories: Sequence[str] | None = None) -> list[str]:
    """The worked example's class names in the order the loader gives them (alphabetical)."""
    return sorted(categories if categories is not None else WORDNET_CATEGORIES.values())
