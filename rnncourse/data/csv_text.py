"""A student's own text-classification CSV: read, check, map labels, split.

:func:`load_text_csv` reads a CSV with a header row, one column of texts and one of
labels (names such as ``sports`` or numbers such as ``1``), and returns a train and a
test :class:`~rnncourse.data.TextClassificationData`, either as a ``split`` column says or
by :func:`stratified_split`. Every problem a hand-made or exported file tends to have is
refused with one sentence that names the file and the row.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rnncourse.data.ag_news import TextClassificationData
from rnncourse.errors import DataError

__all__ = ["load_text_csv", "stratified_split"]

_MEGABYTE = 1 << 20
_CHUNK_BYTES = 1 << 20
_SAMPLE_CHARS = 64 * 1024
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": '","', ";": '";"', "\t": "a tab", "|": '"|"'}
_INTEGER = re.compile(r"[+-]?\d+")
_SHOWN_ROWS = 5  # row numbers listed in a message about many rows


class _BadByte(Exception):
    """Raised by :func:`_lines` after the last whole line before an undecodable byte."""

    def __init__(self, offset: int, byte: int) -> None:
        super().__init__(offset, byte)
        self.offset, self.byte = offset, byte


class _NulCharacter(Exception):
    """Raised by :func:`_lines` after the last whole line before a NUL character."""


def _split_lines(text: str) -> list[str]:
    # newline="" splits at \n, \r and \r\n and keeps them, as the csv module wants.
    return io.StringIO(text, newline="").readlines()


def _lines(stream: io.BufferedIOBase, encoding: str) -> Iterator[str]:
    """Yield the lines of a binary stream, decoded one chunk at a time.

    Decoding stops at the first undecodable byte or NUL character: the whole lines before
    it are yielded, then :class:`_BadByte` or :class:`_NulCharacter` is raised, so a csv
    reader fed by this knows how many lines came before the line at fault.
    """
    is_utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    # The utf-8-sig decoder shifts error offsets by the BOM, so the BOM is dropped here.
    decoder = codecs.getincrementaldecoder("utf-8" if is_utf8 else encoding)("strict")
    offset, carry, first = 0, "", True
    while True:
        chunk = stream.read(_CHUNK_BYTES)
        if first and is_utf8 and chunk.startswith(codecs.BOM_UTF8):
            chunk, offset = chunk[len(codecs.BOM_UTF8):], len(codecs.BOM_UTF8)
        first = False
        final = not chunk
        state = decoder.getstate()
        try:
            text = carry + decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            # The error counts from the bytes the decoder held back from the previous chunk.
            pending = len(state[0])
            good = max(0, error.start - pending)
            decoder.setstate(state)
            prefix = carry + decoder.decode(chunk[:good], False)
            yield from _whole_lines(prefix)
            raise _BadByte(offset - pending + error.start, error.object[error.start]) from None
        nul = text.find("\x00")
        if nul >= 0:
            yield from _whole_lines(text[:nul])
            raise _NulCharacter
        if final:
            yield from _split_lines(text)
            return
        lines = _split_lines(text)
        # The last line may be unfinished, or a "\r" whose "\n" is in the next chunk.
        carry = lines.pop() if lines else ""
        yield from lines
        offset += len(chunk)


def _whole_lines(text: str) -> list[str]:
    """The lines of ``text`` that end with a line break (the rest is the line at fault)."""
    lines = _split_lines(text)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines.pop()
    return lines


def _guess_delimiter(sample: str) -> str:
    """The candidate that splits the header into the most columns, the rows agreeing.

    csv.Sniffer is not used: it happily picks a letter or a space in free text. Each
    candidate is scored by whether the first rows of the sample have as many fields as the
    header, then by the header's number of fields; ties go to the earlier candidate.
    """
    best, best_score = ",", (False, 1, 0.0)
    for delimiter in _DELIMITERS:
        records: list[list[str]] = []
        try:
            for fields in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                if fields:
                    records.append(fields)
                if len(records) > 50:
                    break
        except csv.Error:
            pass  # scored on the records before the error
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        rows = records[1:]
        agree = sum(len(r) == width for r in rows) / len(rows) if rows else 1.0
        score = (agree >= 0.8, width, agree)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _show_delimiter(delimiter: str) -> str:
    return _DELIMITER_NAMES.get(delimiter, f'"{delimiter}"')


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _show_rows(rows: list[int], total: int) -> str:
    shown = ", ".join(str(r) for r in rows[:_SHOWN_ROWS])
    more = ", …" if total > _SHOWN_ROWS else ""
    return f"row {shown}" if total == 1 else f"rows {shown}{more}"


def _where(row: int, line: int) -> str:
    """``row 7``, or ``row 7 (line 9 of the file)`` once a quoted text has spanned lines."""
    return f"row {row}" if row == line else f"row {row} (line {line} of the file)"


def _quoted(names: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _column(header: list[str], name: str, argument: str, path: Path, delimiter: str) -> int:
    """The index of column ``name`` in the header, or a DataError saying what exists."""
    matches = [i for i, column in enumerate(header) if column == name]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise DataError(
            f'{path.name} has {len(matches)} columns named "{name}" (columns '
            f"{', '.join(str(i + 1) for i in matches)}); rename all but one in the header row."
        )
    if argument == "split":
        hint = 'pass split="..." with the right name, or split=None to split at random'
    else:
        hint = 'pass text="..." and label="..." with the right names'
    if len(header) == 1:
        columns = (f'its only column is "{header[0]}" (split at {_show_delimiter(delimiter)}; '
                   f'pass delimiter="..." if the file uses another separator)')
    else:
        columns = f"its columns are {_quoted(header)}"
    raise DataError(f'{path.name} has no column "{name}"; {columns}: {hint}.')


def _open(path: Path, max_megabytes: float) -> io.BufferedReader:
    """Open the file for reading bytes, after the checks that need no reading."""
    if not path.exists():
        where = "" if path.is_absolute() else (
            f" (looked for {path.absolute()}, since a relative path starts in the notebook's "
            f"folder)")
        raise DataError(f"The file {path} does not exist{where}; check its name and folder.")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a file; pass the path of the CSV file in it.")
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path.name} is empty (0 bytes); save the data into it again.")
    if size > max_megabytes * _MEGABYTE:
        raise DataError(
            f"{path.name} is {size / _MEGABYTE:,.1f} MB, more than max_megabytes="
            f"{max_megabytes:g}; save a sample of its rows as a smaller file, or pass a larger "
            f"max_megabytes if the computer has the memory for it."
        )
    try:
        return path.open("rb")
    except OSError as error:
        raise DataError(
            f"Cannot read {path} ({error.strerror or error}); check that it is a readable file."
        ) from error


def _check_arguments(empty: str, test_fraction: float, min_per_class: int,
                     max_megabytes: float, delimiter: str | None, encoding: str) -> None:
    if empty not in ("skip", "refuse"):
        raise ValueError(f'empty must be "skip" or "refuse", not {empty!r}.')
    _check_fraction(test_fraction)
    if isinstance(min_per_class, bool) or not isinstance(min_per_class, int) or min_per_class < 1:
        raise ValueError(f"min_per_class must be a whole number of 1 or more, not "
                         f"{min_per_class!r}.")
    if not max_megabytes > 0:
        raise ValueError(f"max_megabytes must be a positive number, not {max_megabytes!r}.")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in "\"\r\n"):
        raise ValueError(f"delimiter must be one character such as \",\" or \";\" (or None to "
                         f"detect it), not {delimiter!r}.")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"Unknown encoding {encoding!r}; use a name such as \"utf-8\" or "
                         f"\"latin-1\".") from None


def _check_fraction(test_fraction: float) -> None:
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, not "
                         f"{test_fraction!r}.")


def _canonical(label: str) -> str:
    """``"01"`` and ``"1"`` are the same class, as in a spreadsheet."""
    return str(int(label)) if _INTEGER.fullmatch(label) else label


def _class_order(keys: list[str]) -> list[str]:
    """Class names in id order: numerically if every label is an integer, else by name."""
    if keys and all(_INTEGER.fullmatch(k) for k in keys):
        return [str(v) for v in sorted({int(k) for k in keys})]
    return sorted(keys, key=lambda k: (k.casefold(), k))  # "apple" before "Banana"


def load_text_csv(
    path: str | os.PathLike[str],
    text: str = "text",
    label: str = "label",
    *,
    split: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    classes: Sequence[str] | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    empty: str = "skip",
    min_per_class: int = 5,
    max_megabytes: float = 1024,
) -> tuple[TextClassificationData, TextClassificationData]:
    """Load a text-classification CSV with a header row and return ``(train, test)``.

    Labels may be names (``sports``) or numbers (``1``); they become 0-based ids, and their
    names, as strings, the ``classes`` of both splits. The classes are in numeric order if
    every label is an integer (``"01"`` and ``"1"`` are then one class, ``"1"``), otherwise
    in alphabetical order, unless ``classes`` gives the order. Labels are stripped of
    surrounding spaces; texts are kept as they are.

    Rows are numbered as a spreadsheet numbers them: the header is row 1 and every record
    counts, blank ones included. Where a quoted text has spanned several lines before the
    row at fault, the message also gives the line of the file the row starts on, which is
    what a text editor shows. Blank rows (every field empty) are left out silently.

    The file is read in chunks of 1 MB and is never held whole as bytes; a megabyte (MB)
    here is 2**20 bytes.

    Args:
        path: The CSV file.
        text: Name of the column of texts.
        label: Name of the column of labels.
        split: Name of a column whose values are ``train`` or ``test`` (any case). None:
            split at random with :func:`stratified_split`.
        test_fraction: Share of each class that goes to the test split (random split only).
        seed: Seed of the random split; the same seed gives the same split.
        classes: The class names in the order wanted; every label must be one of them.
        delimiter: The field separator; None: whichever of ``,`` ``;`` tab ``|`` splits
            the header into the most columns (the next rows agreeing).
        encoding: The file's text encoding; a UTF-8 byte-order mark is allowed.
        empty: What to do with rows whose text is empty or only spaces: ``"skip"`` leaves
            them out and prints one line saying how many, ``"refuse"`` raises DataError.
        min_per_class: Fewest examples a class may have (after skipping empty texts).
        max_megabytes: Refuse a larger file before reading it.

    Returns:
        ``(train, test)``. With ``split`` they keep the file's order; without, each is
        shuffled (see :func:`stratified_split`).

    Raises:
        DataError: If the file is missing, empty, too large, not decodable, not a valid CSV
            or not usable for classification (a missing column, an empty label, one class
            only, too few examples of a class, a bad split value, an empty split).
        ValueError: If an argument is out of range.
    """
    _check_arguments(empty, test_fraction, min_per_class, max_megabytes, delimiter, encoding)
    path = Path(path).expanduser()
    wanted = _wanted_classes(classes)
    with _open(path, max_megabytes) as stream:
        rows = _Rows(path, encoding)
        texts, codes, keys, is_test, skipped = rows.read(
            stream, text, label, split, delimiter, wanted, empty)

    if not texts:
        if skipped:
            raise DataError(f'Every data row of {path.name} ({skipped}) has an empty '
                            f'"{text}"; check that text="{text}" names the column of texts.')
        raise DataError(f"{path.name} has a header row but no data rows; add rows of text "
                        f"and label under the header.")

    names, lookup = _resolve_classes(keys, wanted)
    labels = lookup[np.asarray(codes, dtype=np.int64)]
    counts = np.bincount(labels, minlength=len(names))
    _check_counts(path, names, counts, min_per_class, random_split=split is None)
    data = TextClassificationData(texts, labels, names)
    if split is None:
        return stratified_split(data, test_fraction, seed)
    test_mask = np.asarray(is_test, dtype=bool)
    for side, mask in (("train", ~test_mask), ("test", test_mask)):
        if not mask.any():
            raise DataError(f'No row of {path.name} has "{side}" in its "{split}" column, so '
                            f'the {side} split would be empty; mark some rows "{side}", or '
                            f"pass split=None to split at random.")
    train, test = (TextClassificationData([texts[i] for i in np.flatnonzero(mask)],
                                          labels[mask], names)
                   for mask in (~test_mask, test_mask))
    return train, test


def _wanted_classes(classes: Sequence[str] | None) -> list[str] | None:
    if classes is None:
        return None
    if isinstance(classes, str):
        raise ValueError(f"classes must be a sequence of class names, not the string "
                         f"{classes!r}.")
    names = [str(c).strip() for c in classes]
    keys = [_canonical(n) for n in names]
    if len(set(keys)) != len(keys) or "" in keys:
        raise ValueError(f"classes must be distinct, non-empty names, not {names!r}.")
    return names


def _resolve_classes(keys: list[str],
                     wanted: list[str] | None) -> tuple[tuple[str, ...], np.ndarray]:
    """The class names, and the table from a label's first-seen code to its class id."""
    if wanted is not None:
        # The codes already are indices into wanted (checked row by row).
        return tuple(wanted), np.arange(len(wanted), dtype=np.int64)
    numeric = bool(keys) and all(_INTEGER.fullmatch(k) for k in keys)
    canonical = [_canonical(k) if numeric else k for k in keys]
    names = _class_order(canonical)
    index = {name: i for i, name in enumerate(names)}
    return tuple(names), np.array([index[k] for k in canonical], dtype=np.int64)


def _check_counts(path: Path, names: tuple[str, ...], counts: np.ndarray, min_per_class: int,
                  *, random_split: bool) -> None:
    present = [i for i, c in enumerate(counts) if c > 0]
    if len(present) == 1:
        only = present[0]
        raise DataError(
            f'Every row of {path.name} has the label "{names[only]}" ({counts[only]} rows), '
            f"but a classifier needs two or more classes; add rows of other classes, or check "
            f"that the label column is the right one."
        )
    # A random split puts at least one example of each class in train and in test.
    needed = max(min_per_class, 2) if random_split else min_per_class
    small = [(names[i], int(c)) for i, c in enumerate(counts) if c < needed]
    if small:
        listed = ", ".join(f'"{name}": {count}' for name, count in small)
        which = "a class" if len(small) == 1 else f"{len(small)} classes"
        if needed > min_per_class:
            why = "a random split needs at least 2, one for each split"
            last = "or mark each row train or test in a column named by split"
        else:
            why = f"fewer than min_per_class={min_per_class}"
            last = "or pass a lower min_per_class"
        raise DataError(
            f"{path.name} has too few examples of {which} ({listed}; {why}): add examples, "
            f"merge the class into another or drop its rows, {last}."
        )


class _Rows:
    """One pass over the file's records, with the row numbers messages need."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.path, self.encoding = path, encoding
        self.row = 0  # spreadsheet row of the last record read (header = 1)
        self.line = 0  # the line of the file that record starts on

    def _where(self) -> str:
        return _where(self.row, self.line)

    def _records(self, stream: io.BufferedIOBase,
                 delimiter: str | None) -> tuple[Iterator[list[str]], str]:
        """The csv records, and the delimiter (detected from the first 64 KB if None)."""
        lines = _lines(stream, self.encoding)
        head: list[str] = []
        held: Exception | None = None
        size = 0
        try:
            for line in lines:
                head.append(line)
                size += len(line)
                if size >= _SAMPLE_CHARS:
                    break
        except (_BadByte, _NulCharacter) as error:
            held = error  # raised again once the csv reader reaches it

        def rest() -> Iterator[str]:
            yield from head
            if held is not None:
                raise held
            yield from lines

        if delimiter is None:
            delimiter = _guess_delimiter("".join(head))
        reader = csv.reader(rest(), delimiter=delimiter, strict=True)
        return self._numbered(reader), delimiter

    def _numbered(self, reader: Any) -> Iterator[list[str]]:
        """Yield records, keeping ``row`` and ``line`` and translating reading errors."""
        while True:
            self.row += 1
            self.line = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except _BadByte as error:
                raise self._bad_byte(error) from None
            except _NulCharacter:
                raise DataError(
                    f"{self._where().capitalize()} of {self.path.name} contains a NUL character "
                    f"(byte 0x00), which text never has: the file may be UTF-16 (then pass "
                    f'encoding="utf-16") or not a CSV at all; save it as "CSV UTF-8".'
                ) from None
            except csv.Error as error:
                raise DataError(
                    f"{self._where().capitalize()} of {self.path.name} is not valid CSV "
                    f"({error}): a text that contains quotes must be enclosed in double quotes "
                    f'with each quote inside doubled, as in "She said ""hi""", and every '
                    f"opening quote needs its closing one."
                ) from None
            yield fields

    def _bad_byte(self, error: _BadByte) -> DataError:
        codec = codecs.lookup(self.encoding).name
        shown = "UTF-8" if codec in ("utf-8", "utf-8-sig") else self.encoding
        if error.offset == 0 and error.byte in (0xFE, 0xFF):
            fix = ('it starts like a UTF-16 file (as Excel saves "Unicode Text"): pass '
                   'encoding="utf-16", or save it as "CSV UTF-8"')
        elif shown == "UTF-8":
            fix = ('save the file as UTF-8 (in Excel: "CSV UTF-8"), or pass '
                   'encoding="latin-1" (or the encoding it was saved in)')
        else:
            fix = (f"pass the encoding the file was saved in (encoding={self.encoding!r} is "
                   f'not it), or save it as UTF-8 (in Excel: "CSV UTF-8")')
        return DataError(
            f"{self._where().capitalize()} of {self.path.name} is not valid {shown} "
            f"text (byte 0x{error.byte:02x} at byte offset {error.offset:,}): {fix}."
        )

    def read(self, stream: io.BufferedIOBase, text: str, label: str, split: str | None,
             delimiter: str | None, wanted: list[str] | None, empty: str,
             ) -> tuple[list[str], list[int], list[str], list[bool], int]:
        """Texts, label codes (first-seen order), the labels' keys by code, test flags and
        how many rows were skipped for an empty text."""
        records, delimiter = self._records(stream, delimiter)
        header: list[str] | None = None
        for fields in records:
            if any(f.strip() for f in fields):
                header = [f.strip() for f in fields]
                break
        if header is None:
            raise DataError(f"{self.path.name} has no header row (it holds only blank lines); "
                            f"save the data into it again.")
        # A UTF-8 BOM as UTF-16 leaves it, or as latin-1 and cp1252 read it.
        header[0] = header[0].removeprefix("\ufeff").removeprefix("\u00ef\u00bb\u00bf")
        columns = [_column(header, text, "text", self.path, delimiter),
                   _column(header, label, "label", self.path, delimiter)]
        if split is not None:
            columns.append(_column(header, split, "split", self.path, delimiter))
        width = len(header)

        texts: list[str] = []
        codes: list[int] = []
        keys: list[str] = []
        is_test: list[bool] = []
        skipped: list[int] = []  # the first few rows with an empty text
        n_skipped = 0
        code_of: dict[str, int] = {}  # raw label -> code, so each distinct label is parsed once
        code_of_key: dict[str, int] = {}
        sides = {"train": False, "test": True}
        side_of: dict[str, bool] = {}
        text_at, label_at = columns[0], columns[1]
        split_at = columns[2] if split is not None else -1
        for fields in records:
            if len(fields) != width:
                if not any(f.strip() for f in fields):
                    continue  # a blank row
                raise self._wrong_width(len(fields), width, delimiter)
            body = fields[text_at]
            if not body or body.isspace():
                if not any(f.strip() for f in fields):
                    continue
                n_skipped += 1
                if len(skipped) < _SHOWN_ROWS:
                    skipped.append(self.row)
                continue
            raw = fields[label_at]
            code = code_of.get(raw)
            if code is None:
                code = self._label_code(raw, label, wanted, keys, code_of_key)
                code_of[raw] = code
            if split_at >= 0:
                value = fields[split_at]
                side = side_of.get(value)
                if side is None:
                    side = sides.get(value.strip().lower())
                    if side is None:
                        raise DataError(
                            f'{self._where().capitalize()} of {self.path.name} has "{value}" in '
                            f'its "{split}" column, which must say "train" or "test".'
                        )
                    side_of[value] = side
                is_test.append(side)
            texts.append(body)
            codes.append(code)

        if n_skipped:
            where = _show_rows(skipped, n_skipped)
            if empty == "refuse":
                raise DataError(
                    f'{self.path.name} has {_plural(n_skipped, "row")} with an empty "{text}" '
                    f"({where}); fill them in, delete them, or pass empty=\"skip\" to leave "
                    f"them out."
                )
            print(f'Skipped {_plural(n_skipped, "row")} of {self.path.name} with an empty '
                  f'"{text}" ({where}).')
        return texts, codes, keys, is_test, n_skipped

    def _label_code(self, raw: str, label: str, wanted: list[str] | None, keys: list[str],
                    code_of_key: dict[str, int]) -> int:
        """The code of a label not seen before; with ``classes``, its index there."""
        key = raw.strip()
        if not key:
            raise DataError(
                f'{self._where().capitalize()} of {self.path.name} has an empty "{label}"; '
                f"give it its class, or delete the row."
            )
        if wanted is not None:
            canonical = [_canonical(w) for w in wanted]
            if _canonical(key) not in canonical:
                raise DataError(
                    f'{self._where().capitalize()} of {self.path.name} has the label "{key}", '
                    f"which is not one of the classes given ({_quoted(wanted)}); add it to "
                    f"classes, or fix the row."
                )
            return canonical.index(_canonical(key))
        code = code_of_key.get(key)
        if code is None:
            code = code_of_key[key] = len(keys)
            keys.append(key)
        return code

    def _wrong_width(self, count: int, width: int, delimiter: str) -> DataError:
        shown = _show_delimiter(delimiter)
        if count > width:
            hint = (f"a text that contains {shown} must be enclosed in double quotes, as "
                    f"spreadsheet programs do when they save a CSV")
        else:
            hint = (f"a field may be missing, or the file may be separated by another "
                    f"character than {shown} (pass delimiter=\"...\")")
        return DataError(
            f"{self._where().capitalize()} of {self.path.name} has {_plural(count, 'field')} "
            f"where the header has {width}, separated by {shown}: {hint}."
        )


def stratified_split(
    data: TextClassificationData, test_fraction: float = 0.2, seed: int = 0
) -> tuple[TextClassificationData, TextClassificationData]:
    """Split into train and test so that each class keeps its share in both.

    Each class with ``n`` examples puts ``round(test_fraction * n)`` of them, drawn at
    random, in test (halves rounded up) and the rest in train, but at least one in each.
    Both splits are shuffled. No example goes to both, so duplicated texts in the data stay
    duplicated but never as the same row.

    Args:
        data: The examples to split.
        test_fraction: Share of each class that goes to test, strictly between 0 and 1.
        seed: Seed of the random draw; the same seed gives the same split.

    Returns:
        ``(train, test)``, with the classes of ``data``.

    Raises:
        ValueError: If ``test_fraction`` is out of range, or a class has exactly one
            example (it cannot be in both splits; classes with none are left out).
    """
    _check_fraction(test_fraction)
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for c, name in enumerate(data.classes):
        members = np.flatnonzero(data.labels == c)
        if len(members) == 0:
            continue
        if len(members) == 1:
            raise ValueError(f'The class "{name}" has a single example, which cannot be in '
                             f"both the train and the test split.")
        # Half up, not Python's round-half-to-even, so 2.5 test examples become 3.
        n_test = int(np.floor(test_fraction * len(members) + 0.5))
        n_test = min(max(n_test, 1), len(members) - 1)
        members = rng.permutation(members)
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    none = np.zeros(0, dtype=np.int64)
    train_index = rng.permutation(np.concatenate(train_parts or [none]))
    test_index = rng.permutation(np.concatenate(test_parts or [none]))
    train, test = (
        TextClassificationData([data.texts[i] for i in index], data.labels[index], data.classes)
        for index in (train_index, test_index)
    )
    return train, test
