"""A student's own CSV: label mapping, delimiters, encodings, splits, and every refusal."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rnncourse.data import (
    TextClassificationData,
    encode_splits,
    load_text_csv,
    stratified_split,
)
from rnncourse.data import csv_text as csv_text_module
from rnncourse.errors import DataError

# ---------------------------------------------------------------- helpers


def _csv_bytes(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue().encode("utf-8")


def _write(path: Path, rows: list[list[str]], **kwargs: str) -> Path:
    path.write_bytes(_csv_bytes(rows, **kwargs))
    return path


def _two_classes(n: int = 6) -> list[list[str]]:
    """A header and ``n`` rows of each of two classes, texts distinct."""
    rows = [["text", "label"]]
    for i in range(n):
        rows += [[f"a good game number {i}", "sports"], [f"stocks fell on day {i}", "business"]]
    return rows


def _raises(one_sentence, *args, **kwargs) -> str:
    """Call load_text_csv expecting a DataError; return its one-sentence message."""
    with pytest.raises(DataError) as info:
        load_text_csv(*args, **kwargs)
    message = str(info.value)
    one_sentence(message)
    return message


def _all(split: tuple[TextClassificationData, TextClassificationData]) -> list[tuple[str, str]]:
    return sorted((t, d.classes[y]) for d in split for t, y in zip(d.texts, d.labels, strict=True))


# ---------------------------------------------------------------- labels


def test_text_labels_become_ids_in_alphabetical_order(tmp_path: Path) -> None:
    rows = [["text", "label"]] + [[f"t{i}", [" sports", "Business ", "world"][i % 3]]
                                  for i in range(30)]
    train, test = load_text_csv(_write(tmp_path / "news.csv", rows))
    assert train.classes == test.classes == ("Business", "sports", "world")
    assert isinstance(train.classes[0], str)
    assert train.labels.dtype == np.int64
    assert len(train) + len(test) == 30
    for data in (train, test):
        for text, label in zip(data.texts, data.labels, strict=True):
            assert data.classes[label] == rows[int(text[1:]) + 1][1].strip()


def test_integer_labels_are_ordered_numerically_and_named_as_strings(tmp_path: Path) -> None:
    labels = ["2", "10", "1", "01", " 2"]  # "01" is the class "1", as a spreadsheet reads it
    rows = [["text", "label"]] + [[f"t{i}", labels[i % 5]] for i in range(50)]
    train, test = load_text_csv(_write(tmp_path / "n.csv", rows))
    assert train.classes == ("1", "2", "10")  # not "1", "10", "2"
    merged = train.class_counts()
    assert {k: merged[k] + test.class_counts()[k] for k in merged} == {"1": 20, "2": 20, "10": 10}


def test_explicit_classes_give_the_order(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.csv", _two_classes())
    train, test = load_text_csv(path, classes=["sports", "business"])
    assert train.classes == ("sports", "business")
    for data in (train, test):
        for text, label in zip(data.texts, data.labels, strict=True):
            assert (label == 0) == text.startswith("a good game")


def test_a_label_outside_the_classes_given_is_refused_with_its_row(
    tmp_path: Path, one_sentence
) -> None:
    rows = _two_classes()
    rows[4][1] = "weather"
    message = _raises(one_sentence, _write(tmp_path / "c.csv", rows),
                      classes=("sports", "business"))
    assert message.startswith("Row 5 of c.csv")
    assert '"weather"' in message and '"sports", "business"' in message


def test_an_empty_label_is_refused_with_its_row(tmp_path: Path, one_sentence) -> None:
    rows = _two_classes()
    rows[7][1] = "  "
    message = _raises(one_sentence, _write(tmp_path / "e.csv", rows))
    assert message.startswith("Row 8 of e.csv") and 'empty "label"' in message


def test_a_single_class_is_refused(tmp_path: Path, one_sentence) -> None:
    rows = [["text", "label"]] + [[f"t{i}", "sports"] for i in range(20)]
    message = _raises(one_sentence, _write(tmp_path / "one.csv", rows))
    assert "one.csv" in message and '"sports"' in message and "20 rows" in message
    assert "two or more classes" in message


def test_classes_with_too_few_examples_are_refused_by_name_and_count(
    tmp_path: Path, one_sentence
) -> None:
    rows = _two_classes(10) + [["chess move", "chess"]] * 2 + [["golf swing", "golf"]] * 4
    path = _write(tmp_path / "small.csv", rows)
    message = _raises(one_sentence, path)
    assert "small.csv" in message and "2 classes" in message
    assert '"chess": 2' in message and '"golf": 4' in message and "min_per_class=5" in message
    assert "merge" in message and "drop" in message
    assert "sports" not in message
    train, test = load_text_csv(path, min_per_class=2)  # lowered: accepted
    assert train.classes == ("business", "chess", "golf", "sports")
    assert train.class_counts()["chess"] == test.class_counts()["chess"] == 1


def test_a_class_given_but_absent_counts_as_too_small(tmp_path: Path, one_sentence) -> None:
    message = _raises(one_sentence, _write(tmp_path / "a.csv", _two_classes()),
                      classes=["sports", "business", "world"])
    assert '"world": 0' in message


def test_a_random_split_needs_two_examples_of_each_class(tmp_path: Path, one_sentence) -> None:
    rows = _two_classes() + [["lonely", "solo"]]
    message = _raises(one_sentence, _write(tmp_path / "s.csv", rows), min_per_class=1)
    assert '"solo": 1' in message and "at least 2" in message


# ---------------------------------------------------------------- empty texts


def test_empty_texts_are_skipped_with_one_printed_line(tmp_path: Path, capsys) -> None:
    rows = _two_classes(12)
    for r in (3, 5, 6, 8, 9, 11, 12):  # rows of the file, header = 1
        rows[r - 1][0] = " " if r % 2 else ""
    train, test = load_text_csv(_write(tmp_path / "gaps.csv", rows))
    assert len(train) + len(test) == 24 - 7
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1
    assert "Skipped 7 rows of gaps.csv" in printed and "rows 3, 5, 6, 8, 9, …" in printed
    assert all(t.strip() for t in train.texts + test.texts)


def test_empty_texts_are_refused_when_asked(tmp_path: Path, one_sentence, capsys) -> None:
    rows = _two_classes()
    rows[3][0] = rows[9][0] = ""
    message = _raises(one_sentence, _write(tmp_path / "gaps.csv", rows), empty="refuse")
    assert "gaps.csv has 2 rows" in message and "(rows 4, 10)" in message
    assert capsys.readouterr().out == ""


def test_a_file_of_empty_texts_only_is_refused(tmp_path: Path, one_sentence) -> None:
    rows = [["text", "label"]] + [["", "x"]] * 3
    message = _raises(one_sentence, _write(tmp_path / "blank.csv", rows))
    assert "blank.csv" in message and "(3)" in message


def test_blank_rows_are_left_out_silently(tmp_path: Path, capsys) -> None:
    data = _csv_bytes(_two_classes()) + b"\n,\n\r\n , \n"
    (tmp_path / "b.csv").write_bytes(data)
    train, test = load_text_csv(tmp_path / "b.csv")
    assert len(train) + len(test) == 12
    assert capsys.readouterr().out == ""


def test_an_unknown_empty_policy_is_a_value_error(tmp_path: Path, one_sentence) -> None:
    with pytest.raises(ValueError) as info:
        load_text_csv(_write(tmp_path / "x.csv", _two_classes()), empty="drop")
    one_sentence(str(info.value))
    assert "'drop'" in str(info.value)


# ---------------------------------------------------------------- columns and delimiters


def test_a_missing_column_names_the_file_and_the_columns(tmp_path: Path, one_sentence) -> None:
    rows = [["title", "body", "topic"], ["a", "b", "c"]]
    message = _raises(one_sentence, _write(tmp_path / "notes.csv", rows))
    assert message == ('notes.csv has no column "text"; its columns are "title", "body", '
                       '"topic": pass text="..." and label="..." with the right names.')
    message = _raises(one_sentence, tmp_path / "notes.csv", text="body")
    assert 'no column "label"' in message


def test_a_missing_split_column_says_split(tmp_path: Path, one_sentence) -> None:
    message = _raises(one_sentence, _write(tmp_path / "n.csv", _two_classes()), split="fold")
    assert 'no column "fold"' in message and 'split="..."' in message


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_the_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    # Commas inside the texts must not fool the detection.
    rows = [["id", "text", "label"]] + [
        [str(i), f"well, {'yes' if i % 2 else 'no'}, I think", "ab"[i % 2]] for i in range(20)]
    path = _write(tmp_path / "d.csv", rows, delimiter=delimiter)
    train, test = load_text_csv(path)
    assert len(train) + len(test) == 20
    assert all(t.startswith("well, ") for t in train.texts + test.texts)
    assert train.classes == ("a", "b")


def test_the_delimiter_splitting_the_header_into_most_columns_wins(tmp_path: Path) -> None:
    # "," splits header and rows alike into two fields, but ";" into three.
    rows = [["text", "label", "notes, if any"]] + [
        [f"well, {i}", "ab"[i % 2], "x"] for i in range(20)]
    train, test = load_text_csv(_write(tmp_path / "d.csv", rows, delimiter=";"))
    assert sorted(train.texts + test.texts) == sorted(f"well, {i}" for i in range(20))


def test_an_explicit_delimiter_is_used(tmp_path: Path, one_sentence) -> None:
    path = _write(tmp_path / "d.csv", _two_classes(), delimiter=";")
    train, test = load_text_csv(path, delimiter=";")
    assert len(train) + len(test) == 12
    message = _raises(one_sentence, path, delimiter=",")
    assert 'its only column is "text;label"' in message and 'delimiter="..."' in message
    with pytest.raises(ValueError) as info:
        load_text_csv(path, delimiter=";;")
    one_sentence(str(info.value))


def test_a_row_with_too_many_fields_names_row_counts_and_delimiter(
    tmp_path: Path, one_sentence
) -> None:
    data = _csv_bytes(_two_classes()) + b"I liked it, a lot,sports\n"
    (tmp_path / "wide.csv").write_bytes(data)
    message = _raises(one_sentence, tmp_path / "wide.csv")
    assert message.startswith("Row 14 of wide.csv has 3 fields where the header has 2")
    assert 'separated by ","' in message and "double quotes" in message


def test_a_row_with_too_few_fields(tmp_path: Path, one_sentence) -> None:
    data = _csv_bytes(_two_classes(), delimiter="\t") + b"no label here\n"
    (tmp_path / "narrow.tsv").write_bytes(data)
    message = _raises(one_sentence, tmp_path / "narrow.tsv")
    assert message.startswith("Row 14 of narrow.tsv has 1 field where the header has 2")
    assert "separated by a tab" in message


def test_rows_after_a_multiline_text_also_name_their_line(tmp_path: Path, one_sentence) -> None:
    rows = _two_classes()
    rows[2][0] = "three\nline\ntext"  # row 3 spans lines 3 to 5
    data = _csv_bytes(rows) + b"x,y,z\n"
    (tmp_path / "m.csv").write_bytes(data)
    message = _raises(one_sentence, tmp_path / "m.csv")
    assert message.startswith("Row 14 (line 16 of the file) of m.csv has 3 fields")
    (tmp_path / "m.csv").write_bytes(_csv_bytes(rows))
    train, test = load_text_csv(tmp_path / "m.csv")
    assert "three\nline\ntext" in train.texts + test.texts


def test_an_unterminated_quote_names_the_row_it_opens_on(tmp_path: Path, one_sentence) -> None:
    data = _csv_bytes(_two_classes()) + b'"never closed,sports\nmore,business\n'
    (tmp_path / "q.csv").write_bytes(data)
    message = _raises(one_sentence, tmp_path / "q.csv")
    assert message.startswith("Row 14 of q.csv is not valid CSV") and "quote" in message


def test_a_nul_byte_names_its_row(tmp_path: Path, one_sentence) -> None:
    data = _csv_bytes(_two_classes()) + b"bad\x00text,sports\n"
    (tmp_path / "nul.csv").write_bytes(data)
    message = _raises(one_sentence, tmp_path / "nul.csv")
    assert message.startswith("Row 14 of nul.csv contains a NUL character")
    assert 'encoding="utf-16"' in message


# ---------------------------------------------------------------- encodings


def test_a_utf8_bom_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + _csv_bytes(_two_classes()))
    train, test = load_text_csv(path)
    assert len(train) + len(test) == 12
    assert not any("\ufeff" in t for t in train.texts + test.texts)


def test_a_byte_that_is_not_utf8_names_file_row_and_byte(tmp_path: Path, one_sentence) -> None:
    data = b"\xef\xbb\xbf" + _csv_bytes(_two_classes()) + "café,sports\n".encode("latin-1")
    (tmp_path / "latin.csv").write_bytes(data)
    message = _raises(one_sentence, tmp_path / "latin.csv")
    offset = data.index(b"\xe9")
    assert message.startswith("Row 14 of latin.csv is not valid UTF-8 text")
    assert f"byte 0xe9 at byte offset {offset}" in message
    assert "CSV UTF-8" in message and 'encoding="latin-1"' in message
    train, test = load_text_csv(tmp_path / "latin.csv", encoding="latin-1")
    assert "café" in train.texts + test.texts


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_chunk_boundaries_change_nothing(tmp_path: Path, monkeypatch, one_sentence,
                                         chunk: int) -> None:
    """Lines, "\\r\\n" pairs and multi-byte characters cut by a chunk's end are read whole,
    and a bad byte after such a cut is still placed exactly."""
    rows = [["text", "label"]] + [[f"naïve “{i}”", "ab"[i % 2]] for i in range(10)]
    path = _write(tmp_path / "crlf.csv", rows, newline="\r\n")
    expected = _all(load_text_csv(path))
    monkeypatch.setattr(csv_text_module, "_CHUNK_BYTES", chunk)
    monkeypatch.setattr(csv_text_module, "_SAMPLE_CHARS", 3 * chunk)  # errors after the sample
    assert _all(load_text_csv(path)) == expected
    # "\xe2\x80" starts a three-byte character that "," cuts short: the decoder held the two
    # bytes back from earlier chunks when it fails, and the offset must count them.
    data = path.read_bytes() + "é,a\r\n".encode() + b"\xe2\x80,b\r\n"
    path.write_bytes(data)
    offset = data.rindex(b"\xe2\x80,")
    message = _raises(one_sentence, path)
    assert message.startswith("Row 13 of crlf.csv")
    assert f"byte 0xe2 at byte offset {offset}" in message


# ---------------------------------------------------------------- the file itself


def test_a_file_that_does_not_exist(tmp_path: Path, one_sentence, monkeypatch) -> None:
    message = _raises(one_sentence, tmp_path / "missing.csv")
    assert f"{tmp_path / 'missing.csv'} does not exist;" in message
    monkeypatch.chdir(tmp_path)
    message = _raises(one_sentence, "missing.csv")
    assert f"missing.csv does not exist (looked for {tmp_path / 'missing.csv'}" in message


def test_a_utf16_file_read_as_utf8_suggests_utf16(tmp_path: Path, one_sentence) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes(_csv_bytes(_two_classes()).decode().encode("utf-16"))
    message = _raises(one_sentence, path)
    assert message.startswith("Row 1 of unicode.txt") and 'encoding="utf-16"' in message
    train, test = load_text_csv(path, encoding="utf-16")
    assert len(train) + len(test) == 12


def test_a_folder_instead_of_a_file(tmp_path: Path, one_sentence) -> None:
    message = _raises(one_sentence, tmp_path)
    assert "is a folder" in message and str(tmp_path) in message


def test_an_empty_file(tmp_path: Path, one_sentence) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    message = _raises(one_sentence, tmp_path / "empty.csv")
    assert "empty.csv is empty" in message


def test_a_file_of_blank_lines(tmp_path: Path, one_sentence) -> None:
    (tmp_path / "blank.csv").write_bytes(b"\n\r\n \n")
    message = _raises(one_sentence, tmp_path / "blank.csv")
    assert "blank.csv has no header row" in message


def test_a_header_without_rows(tmp_path: Path, one_sentence) -> None:
    (tmp_path / "head.csv").write_bytes(b"text,label\n")
    message = _raises(one_sentence, tmp_path / "head.csv")
    assert "head.csv has a header row but no data rows" in message


def test_a_file_over_the_size_limit_is_refused_before_reading(
    tmp_path: Path, one_sentence, monkeypatch
) -> None:
    path = _write(tmp_path / "big.csv", _two_classes(2000))  # about 70 KB
    size_mb = path.stat().st_size / 2**20
    with monkeypatch.context() as patched:
        patched.setattr(Path, "open", lambda *a, **k: pytest.fail("the file was opened"))
        message = _raises(one_sentence, path, max_megabytes=0.01)
    assert f"big.csv is {size_mb:,.1f} MB" in message and "max_megabytes=0.01" in message
    assert "sample" in message


# ---------------------------------------------------------------- the split column


def test_a_split_column_decides_the_splits_in_file_order(tmp_path: Path) -> None:
    rows = [["text", "label", "part"]]
    for i in range(20):
        rows.append([f"t{i}", "ab"[i % 2], [" Train", "TEST ", "train"][i % 3]])
    train, test = load_text_csv(_write(tmp_path / "s.csv", rows), split="part")
    assert test.texts == [f"t{i}" for i in range(20) if i % 3 == 1]
    assert train.texts == [f"t{i}" for i in range(20) if i % 3 != 1]
    assert train.classes == test.classes == ("a", "b")
    assert test.labels.tolist() == [i % 2 for i in range(20) if i % 3 == 1]


def test_a_bad_split_value_names_its_row(tmp_path: Path, one_sentence) -> None:
    rows = [["text", "label", "part"]] + [[f"t{i}", "ab"[i % 2], "train"] for i in range(20)]
    rows[6][2] = "validation"
    message = _raises(one_sentence, _write(tmp_path / "s.csv", rows), split="part")
    assert message.startswith('Row 7 of s.csv has "validation" in its "part" column')


def test_a_split_column_with_one_side_empty_is_refused(tmp_path: Path, one_sentence) -> None:
    rows = [["text", "label", "part"]] + [[f"t{i}", "ab"[i % 2], "train"] for i in range(20)]
    message = _raises(one_sentence, _write(tmp_path / "s.csv", rows), split="part")
    assert 'No row of s.csv has "test"' in message


# ---------------------------------------------------------------- the stratified split


def _unbalanced(seed: int = 0) -> TextClassificationData:
    counts = [7, 13, 101, 2, 40]
    labels = np.repeat(np.arange(5), counts)
    np.random.default_rng(seed).shuffle(labels)
    return TextClassificationData([f"row {i}" for i in range(len(labels))], labels,
                                  ("a", "b", "c", "d", "e"))


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.9])
def test_stratified_split_keeps_class_shares_and_shares_no_row(fraction: float) -> None:
    data = _unbalanced()
    train, test = stratified_split(data, fraction, seed=3)
    assert train.classes == test.classes == data.classes
    assert not set(train.texts) & set(test.texts)
    assert sorted(train.texts + test.texts) == sorted(data.texts)
    for name, count in data.class_counts().items():
        n_test = test.class_counts()[name]
        assert abs(n_test - fraction * count) <= 1, (name, n_test, count)
        assert n_test >= 1 and train.class_counts()[name] >= 1
    for split in (train, test):  # each text still has its own label
        for text, label in zip(split.texts, split.labels, strict=True):
            assert data.labels[int(text.split()[1])] == label


def test_stratified_split_is_shuffled_and_repeatable() -> None:
    data = _unbalanced()
    first, again, other = (stratified_split(data, seed=s) for s in (0, 0, 1))
    assert first[0].texts == again[0].texts and first[1].texts == again[1].texts
    assert first[1].labels.tolist() == again[1].labels.tolist()
    assert set(first[1].texts) != set(other[1].texts)
    assert first[0].labels.tolist() != sorted(first[0].labels.tolist())  # classes mixed


def test_duplicated_texts_are_kept_but_no_row_is_in_both_splits(tmp_path: Path) -> None:
    rows = [["text", "label"]] + [["same words", "a"]] * 10 + [["other words", "b"]] * 10
    train, test = load_text_csv(_write(tmp_path / "dup.csv", rows), test_fraction=0.3)
    assert Counter(train.texts + test.texts) == {"same words": 10, "other words": 10}
    assert len(test) == 6 and len(train) == 14


def test_the_loader_split_follows_the_seed(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.csv", _two_classes(30))
    a, b, c = (load_text_csv(path, seed=s) for s in (5, 5, 6))
    assert a[1].texts == b[1].texts and set(a[1].texts) != set(c[1].texts)
    assert len(a[1]) == 12 and a[1].class_counts() == {"business": 6, "sports": 6}


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_a_test_fraction_outside_zero_one_is_a_value_error(
    tmp_path: Path, one_sentence, fraction: float
) -> None:
    path = _write(tmp_path / "s.csv", _two_classes())
    for call in (lambda: stratified_split(_unbalanced(), fraction),
                 lambda: load_text_csv(path, test_fraction=fraction)):
        with pytest.raises(ValueError) as info:
            call()
        one_sentence(str(info.value))
        assert "test_fraction" in str(info.value)


# ---------------------------------------------------------------- round trip


def test_a_generated_csv_trains_a_tiny_gru_above_the_majority_share(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from torch import nn

    from rnncourse.pytorch import Recurrent, make_loader, seed_everything, sequence_lengths
    from rnncourse.pytorch import train as train_model

    rng = np.random.default_rng(0)
    words = {"calm": ["sun", "warm", "bright", "clear", "mild", "dry"],
             "storm": ["rain", "wind", "cold", "thunder", "hail", "flood"]}
    filler = ["the", "a", "today", "and", "then", "it", "was", "very", "quite", "outside"]
    rows = [["text", "label"]]
    for i in range(360):
        name = "calm" if i % 5 < 3 else "storm"  # 60 % calm: the majority share to beat
        sentence = list(rng.choice(filler, 6)) + list(rng.choice(words[name], 3))
        rng.shuffle(sentence)
        rows.append([" ".join(sentence), name])
    train, test = load_text_csv(_write(tmp_path / "weather.csv", rows), seed=1)
    majority = max(test.class_counts().values()) / len(test)
    assert majority == pytest.approx(0.6, abs=0.02)
    vocab, train_ids, test_ids = encode_splits(train, test, max_len=16)

    class Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(len(vocab), 16, padding_idx=0)
            self.rnn = Recurrent(16, 16, "gru")
            self.out = nn.Linear(16, len(train.classes))

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            _, (h,) = self.rnn(self.embed(ids), sequence_lengths(ids))
            return self.out(h)

    seed_everything(0)
    history = train_model(Tiny(), make_loader(train_ids, 16, shuffle=True),
                          make_loader(test_ids, 64), epochs=2, lr=0.02, progress=False,
                          device=torch.device("cpu"))
    assert history.test_accuracy > majority + 0.15, (history.test_accuracy, majority)
