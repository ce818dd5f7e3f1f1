"""Downloading and verifying AG News, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from rnncourse.data import AG_NEWS_FILES, fetch_ag_news_file
from rnncourse.data import ag_news as ag_news_module
from rnncourse.errors import DataError

TRAIN_SUBSET_MD5 = "6fec9a03f0536ca350295adaa72c7ba3"  # the shared 30,031-row train.csv


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _leftovers(folder: Path) -> list[str]:
    """Temporary download files left behind (there should be none)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


@pytest.fixture
def serving(local_server, shared_ag_news: Path):
    """The local server, serving copies of the shared train.csv and test.csv."""
    for name in ("train.csv", "test.csv"):
        shutil.copyfile(shared_ag_news / name, local_server.folder / name)
    return local_server


def test_download_verifies_and_caches(serving, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "nested"  # created on demand
    path = fetch_ag_news_file("test", cache, url=serving.url("test.csv"))
    assert path == cache / "test.csv"
    assert _md5(path) == AG_NEWS_FILES["test"].md5
    assert serving.requests == ["/test.csv"]
    assert sorted(p.name for p in cache.iterdir()) == ["test.csv"]

    # A verified cached file is used without asking the server again, even when
    # the server is gone.
    serving.stop()
    assert fetch_ag_news_file("test", str(cache), url=serving.url("test.csv")) == path
    assert serving.requests == ["/test.csv"]


def test_wrong_checksum_is_rejected(serving, tmp_path: Path, one_sentence) -> None:
    cache = tmp_path / "cache"
    url = serving.url("train.csv")  # the shared subset, not the canonical file
    with pytest.raises(DataError) as info:
        fetch_ag_news_file("train", cache, url=url)
    message = str(info.value)
    rejected = cache / "train.csv.rejected"
    assert f"has md5 {TRAIN_SUBSET_MD5}" in message
    assert f"expected {AG_NEWS_FILES['train'].md5}" in message
    assert str(rejected) in message and url in message
    assert "not used" in message and str(cache / "train.csv") in message
    one_sentence(message)
    assert rejected.is_file() and _md5(rejected) == TRAIN_SUBSET_MD5
    assert not (cache / "train.csv").exists()
    assert _leftovers(cache) == []

    # Trying again refuses again; nothing is ever stored under the real name.
    with pytest.raises(DataError, match="set aside"):
        fetch_ag_news_file("train", cache, url=url)
    assert not (cache / "train.csv").exists()
    assert sorted(p.name for p in cache.iterdir()) == ["train.csv.rejected"]


def test_corrupted_cached_file_is_replaced(serving, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    good = serving.folder / "test.csv"
    (cache / "test.csv").write_bytes(good.read_bytes()[:-100])  # truncated
    path = fetch_ag_news_file("test", cache, url=serving.url("test.csv"))
    assert _md5(path) == AG_NEWS_FILES["test"].md5
    assert serving.requests == ["/test.csv"]  # downloaded afresh
    assert (cache / "test.csv.rejected").stat().st_size == good.stat().st_size - 100


def test_corrupted_cached_file_is_not_used_when_offline(
    tmp_path: Path, closed_port_url: str
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "test.csv").write_text('"1","edited","by hand"\n')
    with pytest.raises(DataError, match="Could not download test.csv"):
        fetch_ag_news_file("test", cache, url=closed_port_url)
    assert not (cache / "test.csv").exists()
    assert (cache / "test.csv.rejected").read_text() == '"1","edited","by hand"\n'


def test_unreachable_server(tmp_path: Path, closed_port_url: str, one_sentence) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as info:
        fetch_ag_news_file("test", cache, url=closed_port_url)
    message = str(info.value)
    assert message.startswith(f"Could not download test.csv from {closed_port_url}")
    assert "could not be reached" in message
    assert f"download {closed_port_url} with a browser" in message
    assert f"save it as {cache / 'test.csv'}" in message
    assert "RNNCOURSE_DATA" in message and "train.csv and test.csv" in message
    one_sentence(message)
    assert not (cache / "test.csv").exists() and _leftovers(cache) == []


def test_missing_file_on_server(local_server, tmp_path: Path, one_sentence) -> None:
    url = local_server.url("test.csv")  # the served folder is empty: 404
    with pytest.raises(DataError) as info:
        fetch_ag_news_file("test", tmp_path / "cache", url=url)
    message = str(info.value)
    assert f"Could not download test.csv from {url} (HTTP status 404)" in message
    one_sentence(message)
    assert list((tmp_path / "cache").iterdir()) == []


def test_unknown_split(tmp_path: Path, one_sentence) -> None:
    with pytest.raises(DataError) as info:
        fetch_ag_news_file("validation", tmp_path)
    message = str(info.value)
    assert "Unknown AG News split 'validation'" in message and "'train' or 'test'" in message
    one_sentence(message)
    assert list(tmp_path.iterdir()) == []


def test_cache_folder_cannot_be_created(tmp_path: Path, closed_port_url: str, one_sentence):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(DataError) as info:
        fetch_ag_news_file("test", blocker / "cache", url=closed_port_url)
    message = str(info.value)
    assert f"Cannot write to the cache folder {blocker / 'cache'}" in message
    assert "writable folder as cache_dir" in message
    one_sentence(message)


def test_corrupted_cached_file_that_cannot_be_moved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_sentence
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "test.csv").write_text("not the data\n")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ag_news_module.os, "replace", refuse)
    with pytest.raises(DataError) as info:
        fetch_ag_news_file("test", cache, url="http://127.0.0.1:9/test.csv")
    message = str(info.value)
    assert f"The cached file {cache / 'test.csv'} has md5" in message
    assert "Permission denied" in message and "delete it by hand" in message
    one_sentence(message)
