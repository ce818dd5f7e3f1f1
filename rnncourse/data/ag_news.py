"""The AG News topic-classification data set: download, verify, load.

AG News (Zhang, Zhao & LeCun, 2015) has four classes and CSV rows of the form
``"class","title","description"`` with the class in 1..4 and no header. The
loader either reads a local folder (``data_dir`` or the ``RNNCOURSE_DATA``
environment variable; no checksum, since a local folder may hold a subset) or
downloads the canonical files into a cache and verifies their md5.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pooch
import requests

from rnncourse.errors import DataError

__all__ = [
    "AG_NEWS_CLASSES",
    "AG_NEWS_FILES",
    "DATA_ENV_VAR",
    "RemoteFile",
    "TextClassificationData",
    "default_cache_dir",
    "fetch_ag_news_file",
    "find_data_dir",
    "load_ag_news",
]

AG_NEWS_CLASSES: tuple[str, ...] = ("World", "Sports", "Business", "Sci/Tech")

#: Environment variable naming a folder that holds train.csv and test.csv.
DATA_ENV_VAR = "RNNCOURSE_DATA"

_BASE_URL = "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv"


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: its name in the cache, where it lives, its md5 and row count."""

    name: str
    url: str
    md5: str
    rows: int


AG_NEWS_FILES: dict[str, RemoteFile] = {
    "train": RemoteFile(
        "train.csv", f"{_BASE_URL}/train.csv", "b1a00f826fdfbd249f79597b59e1dc12", 120_000
    ),
    "test": RemoteFile(
        "test.csv", f"{_BASE_URL}/test.csv", "d52ea96a97a2d943681189a97654912d", 7_600
    ),
}

# Generous: the canonical train file is about 30 MB.
_DOWNLOAD_TIMEOUT_S = 60


@dataclass(eq=False, repr=False)
class TextClassificationData:
    """Texts with integer labels.

    Equality is identity (comparing arrays element-wise would be ambiguous), and
    the ``repr`` is a one-line summary rather than thousands of texts.

    Attributes:
        texts: One string per example.
        labels: int64 array of 0-based class indices, same length as ``texts``.
        classes: Class names; ``classes[label]`` names an example's class.
    """

    texts: list[str]
    labels: np.ndarray
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        self.texts = list(self.texts)
        self.labels = np.asarray(self.labels, dtype=np.int64).reshape(-1)
        self.classes = tuple(self.classes)
        if len(self.texts) != len(self.labels):
            raise ValueError(
                f"texts and labels must have the same length, "
                f"not {len(self.texts)} and {len(self.labels)}."
            )
        if len(self.labels) and not (
            self.labels.min() >= 0 and self.labels.max() < len(self.classes)
        ):
            raise ValueError(f"labels must lie in 0..{len(self.classes) - 1}.")

    def __len__(self) -> int:
        return len(self.texts)

    def __repr__(self) -> str:
        counts = ", ".join(f"{name!r}: {count}" for name, count in self.class_counts().items())
        return f"TextClassificationData({len(self)} texts; {{{counts}}})"

    def _take(self, indices: np.ndarray) -> TextClassificationData:
        return TextClassificationData(
            [self.texts[i] for i in indices], self.labels[indices].copy(), self.classes
        )

    def subset(self, n: int, seed: int = 0) -> TextClassificationData:
        """Draw ``n`` examples at random without replacement, keeping class shares.

        Each class gets ``n`` times its share of the data, rounded so the counts
        add up to ``n`` (largest remainders first). The result is shuffled. If
        ``n >= len(self)``, all examples are returned, shuffled.

        Args:
            n: How many examples to keep.
            seed: Seed of the random draw; the same seed gives the same subset.

        Returns:
            A new data set; the original is unchanged.

        Raises:
            ValueError: If ``n`` is negative.
        """
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}.")
        rng = np.random.default_rng(seed)
        total = len(self)
        if n >= total:
            return self._take(rng.permutation(total))
        counts = np.bincount(self.labels, minlength=len(self.classes))
        exact = counts * n / total
        quota = np.floor(exact).astype(np.int64)
        # Hand the leftover places to the classes with the largest remainders
        # (stable sort: ties go to the lower class index, deterministically).
        order = np.argsort(-(exact - quota), kind="stable")
        quota[order[: n - int(quota.sum())]] += 1
        chosen = [
            rng.choice(np.flatnonzero(self.labels == c), size=int(q), replace=False)
            for c, q in enumerate(quota)
        ]
        indices = np.concatenate([np.asarray(c, dtype=np.int64) for c in chosen])
        return self._take(rng.permutation(indices))

    def class_counts(self) -> dict[str, int]:
        """Return how many examples each class has, in class order (zeros included)."""
        counts = np.bincount(self.labels, minlength=len(self.classes))
        return {name: int(count) for name, count in zip(self.classes, counts, strict=True)}


def default_cache_dir() -> Path:
    """Return the folder where downloaded AG News files are kept.

    This is the operating system's cache folder for ``rnncourse`` (for example
    ``~/.cache/rnncourse/ag_news`` on Linux).
    """
    return Path(pooch.os_cache("rnncourse")) / "ag_news"


def _remote_file(split: str) -> RemoteFile:
    try:
        return AG_NEWS_FILES[split]
    except (KeyError, TypeError):
        valid = " or ".join(repr(s) for s in AG_NEWS_FILES)
        raise DataError(f"Unknown AG News split {split!r}; use {valid}.") from None


def _why(error: BaseException) -> str:
    """A short reason for a failed download (requests' own messages run to lines)."""
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP status {error.response.status_code}"
    if isinstance(error, requests.Timeout):
        return "the connection timed out"
    if isinstance(error, requests.ConnectionError):
        return "the server could not be reached"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror  # e.g. the disk is full
    return type(error).__name__


def _by_hand(url: str, target: Path) -> str:
    return (
        f"download {url} with a browser and save it as {target}, or set the environment "
        f"variable {DATA_ENV_VAR} to a folder containing train.csv and test.csv"
    )


def fetch_ag_news_file(
    split: str, cache_dir: str | Path | None = None, *, url: str | None = None
) -> Path:
    """Return the path of a verified canonical AG News file, downloading it if needed.

    A file already in the cache is used only if its md5 matches; otherwise it is
    set aside as ``<name>.rejected`` and downloaded again. A download goes to a
    temporary file in the cache folder and takes the real name only once its md5
    has been checked, so an interrupted or wrong download never looks finished.

    Args:
        split: ``"train"`` or ``"test"``.
        cache_dir: Folder to keep the files in; default :func:`default_cache_dir`.
        url: Download from here instead of the canonical URL (the md5 is still
            the canonical one).

    Returns:
        The path of the verified file, ``<cache_dir>/<split>.csv``.

    Raises:
        DataError: If the split is unknown, the cache folder cannot be created,
            the download fails, or the downloaded file has the wrong md5.
    """
    remote = _remote_file(split)
    source = url if url is not None else remote.url
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = folder / remote.name
    rejected = folder / f"{remote.name}.rejected"

    if target.is_file():
        actual = pooch.file_hash(str(target), alg="md5")
        if actual == remote.md5:
            return target
        # A truncated or edited cached file: keep it for inspection, fetch afresh.
        try:
            os.replace(target, rejected)
        except OSError as error:
            raise DataError(
                f"The cached file {target} has md5 {actual} instead of {remote.md5} and "
                f"cannot be moved aside ({error.strerror or error}); delete it by hand and "
                f"try again."
            ) from error

    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{remote.name}.", suffix=".part")
        os.close(fd)
    except OSError as error:
        raise DataError(
            f"Cannot write to the cache folder {folder} ({error.strerror or error}); "
            f"pass a writable folder as cache_dir, or set the environment variable "
            f"{DATA_ENV_VAR} to a folder containing train.csv and test.csv."
        ) from error
    tmp = Path(tmp_name)
    try:
        try:
            downloader = pooch.HTTPDownloader(
                progressbar=True, chunk_size=1 << 16, timeout=_DOWNLOAD_TIMEOUT_S
            )
            downloader(source, str(tmp), None)
        except (requests.RequestException, OSError) as error:
            raise DataError(
                f"Could not download {remote.name} from {source} ({_why(error)}); "
                f"{_by_hand(source, target)}."
            ) from error
        actual = pooch.file_hash(str(tmp), alg="md5")
        if actual != remote.md5:
            os.replace(tmp, rejected)
            raise DataError(
                f"The file downloaded from {source} has md5 {actual} instead of the expected "
                f"{remote.md5}, so it was set aside as {rejected} and not used; try again "
                f"later, or {_by_hand(remote.url, target)}."
            )
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return target


def find_data_dir(data_dir: str | Path | None = None) -> Path | None:
    """Return the local folder to read AG News from, if any.

    Args:
        data_dir: A folder holding ``train.csv`` and ``test.csv``. If None, the
            ``RNNCOURSE_DATA`` environment variable is used when set.

    Returns:
        The folder, or None if neither the argument nor the variable names one
        (then the files are downloaded).

    Raises:
        DataError: If the folder named does not exist.
    """
    if data_dir is not None:
        folder, origin = Path(data_dir), "given as data_dir"
    elif os.environ.get(DATA_ENV_VAR):
        folder, origin = Path(os.environ[DATA_ENV_VAR]), f"named by ${DATA_ENV_VAR}"
    else:
        return None
    folder = folder.expanduser()
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise DataError(
            f"The data folder {folder} ({origin}) {what}; point it at a folder "
            f"containing train.csv and test.csv, or unset it to download the data."
        )
    return folder


def _join(title: str, description: str) -> str:
    """Join title and description so that the title reads as its own sentence."""
    title, description = title.strip(), description.strip()
    if not title or not description:
        return title or description
    if title[-1] in ".!?:;":
        return f"{title} {description}"
    return f"{title}. {description}"


def _decode(raw: bytes, path: Path, limit: int | None) -> str:
    """Decode UTF-8, naming the row of the first undecodable byte if it is needed."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        prefix = raw[: error.start].decode("utf-8-sig")
        # The bad byte is in the last (possibly partial) row of the prefix; the
        # appended character starts that row if the prefix ends with a newline.
        row = sum(1 for _ in csv.reader(io.StringIO(prefix + "x")))
        if limit is not None and row > limit:
            return prefix  # only rows before the bad byte are wanted
        raise DataError(
            f"Row {row} of {path} is not valid UTF-8 text (byte 0x{raw[error.start]:02x} at "
            f"offset {error.start}); replace the file with a clean copy of AG News."
        ) from None


def _read_csv(path: Path, classes: Sequence[str], limit: int | None) -> TextClassificationData:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(
            f"Cannot read {path} ({error.strerror or error}); check that it is a readable file."
        ) from error
    reader = csv.reader(io.StringIO(_decode(raw, path, limit), newline=""))
    valid = {str(c + 1): c for c in range(len(classes))}
    texts: list[str] = []
    labels: list[int] = []
    row = 0
    if limit == 0:
        return TextClassificationData([], np.zeros(0, dtype=np.int64), tuple(classes))
    try:
        for row, fields in enumerate(reader, start=1):
            if not fields:
                continue  # a blank line
            if len(fields) != 3:
                raise DataError(
                    f"Row {row} of {path} has {len(fields)} field(s) instead of 3 "
                    f'("class","title","description"); fix or replace the file.'
                )
            label = valid.get(fields[0].strip())
            if label is None:
                raise DataError(
                    f"Row {row} of {path} has class {fields[0]!r}, but the class must be "
                    f"one of {', '.join(valid)}; fix or replace the file."
                )
            texts.append(_join(fields[1], fields[2]))
            labels.append(label)
            if len(texts) == limit:
                break  # stop before parsing rows nobody asked for
    except csv.Error as error:
        raise DataError(
            f"Row {row + 1} of {path} is not valid CSV ({error}); fix or replace the file."
        ) from error
    return TextClassificationData(texts, np.array(labels, dtype=np.int64), tuple(classes))


def load_ag_news(
    split: str, data_dir: str | Path | None = None, *, limit: int | None = None
) -> TextClassificationData:
    """Load one split of AG News.

    Each text is the title and the description joined as two sentences; labels
    are 0-based indices into :data:`AG_NEWS_CLASSES`. The data come from
    ``<folder>/<split>.csv`` if :func:`find_data_dir` gives a folder (read as is,
    no checksum), otherwise from :func:`fetch_ag_news_file` (downloaded once,
    verified).

    Args:
        split: ``"train"`` or ``"test"``.
        data_dir: Local folder with ``train.csv`` and ``test.csv``; default the
            ``RNNCOURSE_DATA`` environment variable, else download.
        limit: Read only the first ``limit`` rows of the file.

    Returns:
        The texts and labels.

    Raises:
        DataError: If the split is unknown, the file is missing, cannot be
            downloaded or is malformed.
        ValueError: If ``limit`` is negative.
    """
    remote = _remote_file(split)
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more (or None for all rows), not {limit}.")
    folder = find_data_dir(data_dir)
    if folder is None:
        path = fetch_ag_news_file(split)
    else:
        path = folder / remote.name
        if not path.is_file():
            what = "is a folder, not a file" if path.exists() else "does not exist"
            raise DataError(
                f"{path} {what}; the folder {folder} should contain the AG News "
                f'files train.csv and test.csv (rows "class","title","description").'
            )
    return _read_csv(path, AG_NEWS_CLASSES, limit)
