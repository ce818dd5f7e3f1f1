"""AG News from a local folder: the shared files, malformed files, the data container."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest

from rnncourse.data import (
    AG_NEWS_CLASSES,
    AG_NEWS_FILES,
    RemoteFile,
    TextClassificationData,
    Vocabulary,
    default_cache_dir,
    encode_texts,
    find_data_dir,
    load_ag_news,
    repair_text,
    tokenize,
)
from rnncourse.data import ag_news as ag_news_module
from rnncourse.errors import DataError

# ---------------------------------------------------------------- constants


def test_constants() -> None:
    assert AG_NEWS_CLASSES == ("World", "Sports", "Business", "Sci/Tech")
    assert set(AG_NEWS_FILES) == {"train", "test"}
    train, test = AG_NEWS_FILES["train"], AG_NEWS_FILES["test"]
    assert train == RemoteFile(
        "train.csv",
        "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/train.csv",
        "b1a00f826fdfbd249f79597b59e1dc12",
        120_000,
    )
    assert test.url.endswith("/ag_news_csv/test.csv")
    assert (test.name, test.md5, test.rows) == (
        "test.csv",
        "d52ea96a97a2d943681189a97654912d",
        7_600,
    )
    with pytest.raises(AttributeError):
        test.md5 = "0"  # type: ignore[misc]  # frozen


def test_default_cache_dir_is_the_os_cache(tmp_path: Path) -> None:
    folder = default_cache_dir()
    assert folder.name == "ag_news" and folder.parent.name == "rnncourse"


# ---------------------------------------------------------------- the shared files


def test_shared_files_load_with_expected_counts(shared_ag_news: Path) -> None:
    test = load_ag_news("test", shared_ag_news)
    assert len(test) == 7_600
    assert test.classes == AG_NEWS_CLASSES
    assert test.labels.dtype == np.int64 and set(test.labels.tolist()) == {0, 1, 2, 3}
    assert test.class_counts() == dict.fromkeys(AG_NEWS_CLASSES, 1_900)

    start = time.perf_counter()
    train = load_ag_news("train", shared_ag_news)
    seconds = time.perf_counter() - start
    assert len(train) == 30_031
    assert train.class_counts() == {
        "World": 7_481,
        "Sports": 7_528,
        "Business": 7_547,
        "Sci/Tech": 7_475,
    }
    assert seconds < 1.5, f"reading train.csv took {seconds:.2f} s"
    assert all(isinstance(t, str) and t for t in train.texts)


def test_first_rows_are_joined_readably(shared_ag_news: Path) -> None:
    data = load_ag_news("test", shared_ag_news, limit=3)
    assert len(data) == 3
    assert data.labels.tolist() == [2, 3, 3]  # file classes 3, 4, 4
    assert data.texts[0] == (
        "Fears for T N pension after talks. Unions representing workers at Turner   Newall "
        "say they are 'disappointed' after talks with stricken parent firm Federal Mogul."
    )
    # A title ending in punctuation is not followed by another period.
    assert data.texts[1].startswith("The Race is On: Second Private Team Sets Launch Date for ")
    assert "(SPACE.com). SPACE.com - TORONTO" in data.texts[1]


def test_limit_reads_the_first_rows(shared_ag_news: Path) -> None:
    full = load_ag_news("test", shared_ag_news)
    for limit in (0, 1, 250):
        part = load_ag_news("test", shared_ag_news, limit=limit)
        assert part.texts == full.texts[:limit]
        assert np.array_equal(part.labels, full.labels[:limit])
    assert len(load_ag_news("test", shared_ag_news, limit=10**6)) == 7_600
    with pytest.raises(ValueError, match="limit must be 0 or more"):
        load_ag_news("test", shared_ag_news, limit=-1)


def test_environment_variable_points_at_the_folder(
    shared_ag_news: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RNNCOURSE_DATA", str(shared_ag_news))
    assert find_data_dir() == shared_ag_news
    assert len(load_ag_news("test", limit=5)) == 5
    # An explicit argument wins over the variable.
    monkeypatch.setenv("RNNCOURSE_DATA", "/nonexistent/elsewhere")
    assert len(load_ag_news("test", shared_ag_news, limit=5)) == 5


def test_tokenizer_on_real_rows(shared_ag_news: Path) -> None:
    data = load_ag_news("test", shared_ag_news)
    tokens = [tokenize(text) for text in data.texts]
    flat = [t for ts in tokens for t in ts]
    assert "quot" not in flat and not any("\\" in t for t in flat)
    for text in data.texts:
        repaired = repair_text(text)
        for leftover in ("#39;", "quot;", "\\", "#36;", "amp;", "&lt;", "&gt;", "#151;"):
            assert leftover not in repaired, (leftover, text)
    # Row 2: "A second\team of rocketeers ... the  #36;10 million Ansari X Prize".
    row = " ".join(tokens[1])
    assert "a second team of rocketeers" in row
    assert "the $ 10 million ansari x prize" in row
    assert "for privately funded suborbital" in row
    # "Iraq #39;s" and "won #39;t" come back as in the original text.
    joined = [" ".join(ts) for ts in tokens]
    assert any("iraq 's" in j for j in joined)
    assert any("won't" in j for j in joined)
    assert any('" poison pill "' in j for j in joined)
    assert "'s" in flat


def test_whole_pipeline_is_fast(shared_ag_news: Path) -> None:
    start = time.perf_counter()
    train = load_ag_news("train", shared_ag_news)
    test = load_ag_news("test", shared_ag_news)
    vocab = Vocabulary.build((tokenize(t) for t in train.texts), max_size=20_000)
    ids, lengths = encode_texts(train.texts + test.texts, vocab, max_len=128)
    seconds = time.perf_counter() - start
    assert ids.shape == (37_631, 128) and lengths.min() >= 1
    assert len(vocab) == 20_000 and vocab.tokens[2:5] == [".", "the", ","]
    assert seconds < 10, f"tokenize + vocabulary + encode took {seconds:.1f} s"


# ---------------------------------------------------------------- folders


def test_find_data_dir_argument_variable_and_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_data_dir() is None
    monkeypatch.setenv("RNNCOURSE_DATA", "")
    assert find_data_dir() is None  # an empty variable counts as unset
    monkeypatch.setenv("RNNCOURSE_DATA", str(tmp_path))
    assert find_data_dir() == tmp_path
    other = tmp_path / "other"
    other.mkdir()
    assert find_data_dir(other) == other
    assert find_data_dir(str(other)) == other


def test_find_data_dir_missing_folder_from_argument(tmp_path: Path, one_sentence) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(DataError) as info:
        find_data_dir(missing)
    message = str(info.value)
    assert str(missing) in message and "given as data_dir" in message
    assert "does not exist" in message and "train.csv and test.csv" in message
    one_sentence(message)


def test_find_data_dir_missing_folder_from_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_sentence
) -> None:
    missing = tmp_path / "gone"
    monkeypatch.setenv("RNNCOURSE_DATA", str(missing))
    with pytest.raises(DataError) as info:
        load_ag_news("test")
    message = str(info.value)
    assert str(missing) in message and "$RNNCOURSE_DATA" in message
    one_sentence(message)


def test_find_data_dir_file_instead_of_folder(tmp_path: Path, one_sentence) -> None:
    a_file = tmp_path / "test.csv"
    a_file.write_text("")
    with pytest.raises(DataError, match="is a file, not a folder") as info:
        find_data_dir(a_file)
    one_sentence(str(info.value))


def test_missing_file_in_local_folder(tmp_path: Path, one_sentence) -> None:
    (tmp_path / "train.csv").write_text('"1","t","d"\n')
    with pytest.raises(DataError) as info:
        load_ag_news("test", tmp_path)
    message = str(info.value)
    assert str(tmp_path / "test.csv") in message and "does not exist" in message
    assert "train.csv and test.csv" in message
    one_sentence(message)


@pytest.mark.parametrize("split", ["valid", "TRAIN", "", None])
def test_unknown_split(split: object, tmp_path: Path, one_sentence) -> None:
    with pytest.raises(DataError) as info:
        load_ag_news(split, tmp_path)  # type: ignore[arg-type]
    message = str(info.value)
    assert f"Unknown AG News split {split!r}" in message and "'train' or 'test'" in message
    one_sentence(message)


def test_load_without_folder_uses_the_verified_cache(
    shared_ag_news: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shared test.csv is the canonical file, so a cache holding it needs no network.
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "test.csv").write_bytes((shared_ag_news / "test.csv").read_bytes())
    monkeypatch.setattr(ag_news_module, "default_cache_dir", lambda: cache)
    assert len(load_ag_news("test")) == 7_600


# ---------------------------------------------------------------- malformed files

GOOD = '"3","Title one","Desc one"\n"1","Title two","Desc two"\n'


def _write(tmp_path: Path, content: bytes | str, name: str = "test.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_small_file_quotes_commas_blank_lines_and_bom(tmp_path: Path) -> None:
    _write(
        tmp_path,
        '\ufeff"2","A ""quoted"", title","Desc, with comma"\r\n\r\n4,Plain?,unquoted\n',
    )
    data = load_ag_news("test", tmp_path)
    assert data.texts == ['A "quoted", title. Desc, with comma', "Plain? unquoted"]
    assert data.labels.tolist() == [1, 3]


def test_empty_title_or_description(tmp_path: Path) -> None:
    _write(tmp_path, '"1","","only description"\n"2","only title",""\n')
    assert load_ag_news("test", tmp_path).texts == ["only description", "only title"]


def test_wrong_field_count(tmp_path: Path, one_sentence) -> None:
    path = _write(tmp_path, GOOD + '"2","no description"\n')
    with pytest.raises(DataError) as info:
        load_ag_news("test", tmp_path)
    message = str(info.value)
    assert f"Row 3 of {path} has 2 field(s) instead of 3" in message
    one_sentence(message)
    # Rows before the bad one can still be read.
    assert len(load_ag_news("test", tmp_path, limit=2)) == 2


def test_class_out_of_range(tmp_path: Path, one_sentence) -> None:
    path = _write(tmp_path, GOOD + '"7","Title","Desc"\n')
    with pytest.raises(DataError) as info:
        load_ag_news("test", tmp_path)
    message = str(info.value)
    assert f"Row 3 of {path} has class '7'" in message and "1, 2, 3, 4" in message
    one_sentence(message)


def test_class_not_a_number(tmp_path: Path) -> None:
    path = _write(tmp_path, '"class","title","description"\n' + GOOD)
    with pytest.raises(DataError, match=re.escape(f"Row 1 of {path} has class 'class'")):
        load_ag_news("test", tmp_path)


def test_undecodable_byte(tmp_path: Path, one_sentence) -> None:
    path = _write(tmp_path, GOOD.encode() + b'"4","Caf\xe9","Desc"\n' + GOOD.encode())
    with pytest.raises(DataError) as info:
        load_ag_news("test", tmp_path)
    message = str(info.value)
    assert f"Row 3 of {path} is not valid UTF-8" in message and "0xe9" in message
    one_sentence(message)
    # Only rows before the bad byte are wanted: fine.
    assert load_ag_news("test", tmp_path, limit=2).labels.tolist() == [2, 0]
    with pytest.raises(DataError, match="Row 3 of"):
        load_ag_news("test", tmp_path, limit=3)


def test_undecodable_byte_in_first_row(tmp_path: Path) -> None:
    _write(tmp_path, b'"1","\xff","x"\n')
    with pytest.raises(DataError, match="Row 1 of .* is not valid UTF-8"):
        load_ag_news("test", tmp_path)


def test_invalid_csv(tmp_path: Path, one_sentence) -> None:
    path = _write(tmp_path, GOOD + '"1","' + "x" * 200_000 + '","d"\n')
    with pytest.raises(DataError) as info:
        load_ag_news("test", tmp_path)
    message = str(info.value)
    assert f"Row 3 of {path} is not valid CSV" in message
    one_sentence(message)


def test_folder_in_place_of_the_file(tmp_path: Path, one_sentence) -> None:
    (tmp_path / "test.csv").mkdir()  # a folder where the file should be
    with pytest.raises(DataError, match="is a folder, not a file") as info:
        load_ag_news("test", tmp_path)
    one_sentence(str(info.value))


# ---------------------------------------------------------------- TextClassificationData


def _toy(n_per_class: tuple[int, ...] = (60, 30, 10)) -> TextClassificationData:
    labels = np.repeat(np.arange(len(n_per_class)), n_per_class)
    texts = [f"text {i}" for i in range(len(labels))]
    return TextClassificationData(texts, labels, ("a", "b", "c"))


def test_container_basics() -> None:
    data = _toy()
    assert len(data) == 100 and data.labels.dtype == np.int64
    assert data.class_counts() == {"a": 60, "b": 30, "c": 10}
    empty = TextClassificationData([], np.zeros(0), ("x", "y"))
    assert empty.class_counts() == {"x": 0, "y": 0} and len(empty) == 0
    assert TextClassificationData(["a"], [1], ["x", "y"]).classes == ("x", "y")


def test_container_validation() -> None:
    with pytest.raises(ValueError, match="same length, not 2 and 1"):
        TextClassificationData(["a", "b"], np.array([0]), ("x",))
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1"):
        TextClassificationData(["a"], np.array([2]), ("x", "y"))
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.1"):
        TextClassificationData(["a"], np.array([-1]), ("x", "y"))


def test_subset_is_stratified_random_and_deterministic() -> None:
    data = _toy()
    part = data.subset(20, seed=1)
    assert len(part) == 20
    assert part.class_counts() == {"a": 12, "b": 6, "c": 2}
    assert len(set(part.texts)) == 20  # without replacement
    # Texts and labels stay paired.
    for text, label in zip(part.texts, part.labels, strict=True):
        assert data.labels[int(text.split()[1])] == label
    again = data.subset(20, seed=1)
    assert again.texts == part.texts and np.array_equal(again.labels, part.labels)
    assert data.subset(20, seed=2).texts != part.texts
    assert len(data) == 100  # the original is untouched


def test_subset_rounding_adds_up() -> None:
    data = _toy((5, 5, 5))
    for n in range(16):
        counts = data.subset(n, seed=n).class_counts()
        assert sum(counts.values()) == n
        assert max(counts.values()) - min(counts.values()) <= 1


def test_subset_of_all_or_more_is_a_shuffled_copy() -> None:
    data = _toy()
    for n in (100, 1000):
        everything = data.subset(n, seed=0)
        assert sorted(everything.texts) == sorted(data.texts)
        assert everything.texts != data.texts
        assert everything.class_counts() == data.class_counts()
    everything.texts.append("mutating the copy")
    assert len(data) == 100
    assert len(data.subset(0)) == 0
    with pytest.raises(ValueError, match="n must be 0 or more, not -3"):
        data.subset(-3)


def test_subset_on_real_data(shared_ag_news: Path) -> None:
    train = load_ag_news("train", shared_ag_news)
    part = train.subset(2_000, seed=0)
    counts = part.class_counts()
    for name, full in train.class_counts().items():
        assert abs(counts[name] - 2_000 * full / len(train)) < 1


def test_container_repr_is_a_summary_and_subset_handles_empty_classes() -> None:
    data = _toy((4, 0, 6))
    assert repr(data) == "TextClassificationData(10 texts; {'a': 4, 'b': 0, 'c': 6})"
    assert data.subset(5, seed=0).class_counts() == {"a": 2, "b": 0, "c": 3}
