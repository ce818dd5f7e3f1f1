"""Part 4: reading, tokenizing, building the vocabulary and encoding AG News.

The headline is :func:`rnncourse.data.encode_splits` over every article of both splits at
the lessons' settings (vocabulary 20,000, length 48): the one call a lesson makes. The
stages are also timed one by one; encoding tokenizes again, as ``encode_texts`` does.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

#: The lessons' settings (Lesson 1 and 2: ``encode_splits(..., max_len=48, max_vocab=20_000)``).
MAX_LEN, MAX_VOCAB = 48, 20_000
QUICK_ROWS = 2_000


def _median_seconds(function: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def run(root: Path, *, quick: bool, log: Callable[[str], None] = print) -> dict:
    """Part 4; returns the part's results (seconds are medians of three runs, one if quick)."""
    from rnncourse.data import encode_splits, find_data_dir, load_ag_news
    from rnncourse.data.text import Vocabulary, encode_texts, tokenize

    limit = QUICK_ROWS if quick else None
    repeats = 1 if quick else 3
    folder = find_data_dir()
    read, (train, test) = _median_seconds(
        lambda: (load_ag_news("train", limit=limit), load_ag_news("test", limit=limit)), repeats)
    texts = list(train.texts) + list(test.texts)
    tokenizing, tokens = _median_seconds(lambda: [tokenize(text) for text in texts], repeats)
    train_tokens = tokens[:len(train)]
    building, vocab = _median_seconds(
        lambda: Vocabulary.build(train_tokens, max_size=MAX_VOCAB), repeats)
    encoding, _ = _median_seconds(
        lambda: [encode_texts(split.texts, vocab, MAX_LEN) for split in (train, test)], repeats)
    total, _ = _median_seconds(
        lambda: encode_splits(train, test, max_len=MAX_LEN, max_vocab=MAX_VOCAB), repeats)
    log(f"data: {len(texts):,} articles: encode_splits {total:.2f} s")
    return {
        "source": str(folder) if folder else "the per-user cache (downloaded copy)",
        "articles": {"train": len(train), "test": len(test)},
        "tokens": sum(map(len, tokens)), "vocabulary": len(vocab),
        "max_len": MAX_LEN, "quick": quick, "repeats": repeats,
        "seconds": {"read_csv": read, "tokenize": tokenizing, "build_vocabulary": building,
                    "encode": encoding, "encode_splits": total},
    }
