"""How fast :func:`rnncourse.data.load_text_csv` reads a large CSV of a student's own.

``python -m benchmarks.csv_loader [--megabytes 100]`` writes a synthetic CSV of about that
size into a temporary folder (texts of about 40 words drawn from a fixed vocabulary, some
with a comma, so quoted; five class names as labels), loads it three times and prints one
line: size, rows, the best time, throughput and the growth of the process's peak resident
memory during the loads (``resource.getrusage``'s ``ru_maxrss``, a high-water mark, so it
covers the largest load, the texts of the result included). The file is deleted afterwards.
Not part of ``python -m benchmarks``: it is a check to run by hand after changing the loader.
"""

from __future__ import annotations

import argparse
import csv
import gc
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CLASSES = ("business", "health", "politics", "science", "sports")
# A fixed vocabulary: words shared by all classes plus a few that lean towards each.
_COMMON = ("the a an of to in on for with and but or as at by from that this it was is are "
          "were has have had will would said says new year years people time day week first "
          "last after before over more most many some about into out up down however, also, "
          "then, which who when where while because report city country world")
COMMON = _COMMON.split()
LEANING = {
    "business": "market shares profit stocks bank company deal trade prices investors",
    "health": "doctors patients hospital vaccine disease study care drug virus health",
    "politics": "election minister vote party government law senate policy leaders campaign",
    "science": "researchers space planet climate data physics experiment species energy lab",
    "sports": "team game season coach players match win league goal championship",
}
WORDS_PER_TEXT = 40
ROWS_PER_BATCH = 2_000
REPEATS = 3


def write_csv(path: Path, megabytes: float, seed: int = 0) -> int:
    """Write a CSV of at least ``megabytes`` MB (2**20 bytes) in batches; return its rows."""
    rng = np.random.default_rng(seed)
    vocab = {name: np.array(COMMON + LEANING[name].split()) for name in CLASSES}
    target = megabytes * 2**20
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["text", "label"])
        while file.tell() < target:
            labels = rng.integers(len(CLASSES), size=ROWS_PER_BATCH)
            lengths = rng.integers(WORDS_PER_TEXT - 10, WORDS_PER_TEXT + 11, size=ROWS_PER_BATCH)
            for label, length in zip(labels, lengths, strict=True):
                name = CLASSES[label]
                words = vocab[name][rng.integers(len(vocab[name]), size=length)]
                writer.writerow([" ".join(words).capitalize() + ".", name])
            rows += ROWS_PER_BATCH
    return rows


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux and in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def measure(megabytes: float) -> dict:
    """Write the CSV, time the loads, delete it; returns the numbers the line prints."""
    from rnncourse.data import load_text_csv

    with tempfile.TemporaryDirectory(prefix="csv_loader.") as folder:
        path = Path(folder) / "texts.csv"
        rows = write_csv(path, megabytes)
        size_mb = path.stat().st_size / 2**20
        gc.collect()
        before = _peak_rss_mb()
        times = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            train, test = load_text_csv(path, max_megabytes=size_mb + 1)
            times.append(time.perf_counter() - start)
            if len(train) + len(test) != rows:
                raise RuntimeError(f"Loaded {len(train) + len(test)} rows instead of {rows}.")
            del train, test  # so the next load starts from the same memory
            gc.collect()
        growth = _peak_rss_mb() - before
    best = min(times)
    return {"megabytes": size_mb, "rows": rows, "seconds": best,
            "megabytes_per_second": size_mb / best, "peak_rss_growth_mb": growth}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.csv_loader",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=100.0,
                        help="size of the synthetic CSV in MB of 2**20 bytes (default 100)")
    args = parser.parse_args(argv)
    if not args.megabytes > 0:
        parser.error("--megabytes must be a positive number")
    result = measure(args.megabytes)
    print(f"csv_loader: {result['megabytes']:.1f} MB, {result['rows']:,} rows, "
          f"{result['seconds']:.2f} s (best of {REPEATS}), "
          f"{result['megabytes_per_second']:.1f} MB/s, "
          f"peak RSS +{result['peak_rss_growth_mb']:.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
