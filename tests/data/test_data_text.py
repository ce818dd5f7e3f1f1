"""Tokenizer, vocabulary, encoding and padding."""

from __future__ import annotations

import random

import numpy as np
import pytest

from rnncourse.data import Vocabulary, encode_texts, pad_batch, repair_text, tokenize

# ---------------------------------------------------------------- tokenize


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", []),
        ("   \t\n ", []),
        ("Hello, World!", ["hello", ",", "world", "!"]),
        ("I don't know.", ["i", "don't", "know", "."]),
        ("America's cup", ["america", "'s", "cup"]),
        ("the players' union", ["the", "players", "'", "union"]),
        ("O'Neill scored", ["o'neill", "scored"]),
        ("costs $1.5 bn", ["costs", "$", "1", ".", "5", "bn"]),
        ("Café Zürich", ["café", "zürich"]),
        ("snake_case", ["snake", "_", "case"]),
        ("a--b", ["a", "-", "-", "b"]),
        ("it’s", ["it", "'s"]),
    ],
)
def test_tokenize_examples(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


@pytest.mark.parametrize(
    ("raw", "repaired"),
    [
        # The "&" was lost to a space in AG News; the space is consumed with it.
        ("Now It #39;s Official", "Now It's Official"),
        ("eBay won #39;t close", "eBay won't close"),
        ("adopted a  quot;poison pill quot; plan", 'adopted a "poison pill" plan'),
        ("Orbitz for  #36;1.2 Bln", "Orbitz for $1.2 Bln"),
        ("AT amp;T and Johnson  amp; Johnson", "AT&T and Johnson & Johnson"),
        ("Dell Inc. &lt;DELL.O&gt;, the", "Dell Inc. <DELL.O>, the"),
        ("dawn  #151; expensive", "dawn — expensive"),
        ("Don #146;t", "Don't"),
        ("A amp;lt;b", "A<b"),  # escaped twice
        ("record \\$47 a\\barrel", "record  $47 a barrel"),
        # Ordinary text ending in an entity name is left alone.
        ("it was built; then Camp; not;", "it was built; then Camp; not;"),
    ],
)
def test_repair_text(raw: str, repaired: str) -> None:
    assert repair_text(raw) == repaired


def test_tokenize_repairs_ag_news_artefacts() -> None:
    text = "Fears for T N pension. Workers #39; union says  quot;no quot; \\$5 \\\\ more"
    tokens = tokenize(text)
    assert tokens == [
        "fears", "for", "t", "n", "pension", ".", "workers", "'", "union", "says",
        '"', "no", '"', "$", "5", "more",
    ]  # fmt: skip
    assert not any("#" in t or "\\" in t or "quot" in t for t in tokens)


def test_tokenize_is_idempotent_on_its_own_output() -> None:
    text = "The  quot;Sox quot; won #39;t stop; AT amp;T \\$5."
    tokens = tokenize(text)
    assert tokenize(" ".join(tokens)) == tokens


def test_tokenize_splits_space_separated_tokens_exactly() -> None:
    text = "not surprisingly , the movie was good ."
    assert tokenize(text) == text.split()


# ---------------------------------------------------------------- Vocabulary

CORPUS = [
    ["the", "cat", "sat"],
    ["the", "dog", "sat"],
    ["a", "cat", "ran"],
    ["the", "bird"],
]


def test_build_orders_by_frequency_then_alphabet() -> None:
    vocab = Vocabulary.build(CORPUS)
    # the:3; cat,sat:2; a,bird,dog,ran:1 (ties alphabetical)
    assert vocab.tokens == ["<pad>", "<unk>", "the", "cat", "sat", "a", "bird", "dog", "ran"]
    assert len(vocab) == 9
    assert vocab.pad_id == 0 and vocab.unk_id == 1
    assert Vocabulary.PAD == "<pad>" and Vocabulary.UNK == "<unk>"


def test_build_is_deterministic_whatever_the_input_order() -> None:
    rng = random.Random(3)
    words = [f"w{i % 37}" for i in range(500)] + [f"x{i % 11}" for i in range(300)]
    lists = [words[i : i + 7] for i in range(0, len(words), 7)]
    first = Vocabulary.build(lists)
    for _ in range(3):
        shuffled = [rng.sample(tokens, len(tokens)) for tokens in lists]
        rng.shuffle(shuffled)
        assert Vocabulary.build(shuffled) == first
    assert Vocabulary.build(iter(lists)).tokens == first.tokens  # any iterable, once


def test_build_max_size_counts_the_specials() -> None:
    assert Vocabulary.build(CORPUS, max_size=4).tokens == ["<pad>", "<unk>", "the", "cat"]
    assert Vocabulary.build(CORPUS, max_size=2).tokens == ["<pad>", "<unk>"]
    assert len(Vocabulary.build(CORPUS, max_size=1000)) == 9


def test_build_min_freq() -> None:
    assert Vocabulary.build(CORPUS, min_freq=2).tokens == ["<pad>", "<unk>", "the", "cat", "sat"]
    assert Vocabulary.build(CORPUS, min_freq=99).tokens == ["<pad>", "<unk>"]


def test_build_does_not_duplicate_specials_seen_in_the_data() -> None:
    vocab = Vocabulary.build([["<unk>", "<pad>", "x", "<unk>"]])
    assert vocab.tokens == ["<pad>", "<unk>", "x"]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"max_size": 1}, "max_size must be at least 2"),
        ({"max_size": 0}, "max_size must be at least 2"),
        ({"min_freq": 0}, "min_freq must be at least 1"),
    ],
)
def test_build_rejects_bad_arguments(kwargs: dict, words: str, one_sentence) -> None:
    with pytest.raises(ValueError, match=words) as info:
        Vocabulary.build(CORPUS, **kwargs)
    one_sentence(str(info.value))


def test_constructor_checks_specials_and_duplicates(one_sentence) -> None:
    with pytest.raises(ValueError, match="must start with '<pad>' and '<unk>'") as info:
        Vocabulary(["a", "b"])
    one_sentence(str(info.value))
    with pytest.raises(ValueError, match="must start with"):
        Vocabulary([])
    with pytest.raises(ValueError, match=r"distinct tokens, but \['a'\] repeat") as info:
        Vocabulary(["<pad>", "<unk>", "a", "b", "a"])
    one_sentence(str(info.value))
    assert Vocabulary(["<pad>", "<unk>", "x"]).tokens == ["<pad>", "<unk>", "x"]


def test_lookup_unknown_contains_and_round_trip() -> None:
    vocab = Vocabulary.build(CORPUS)
    assert vocab.token_to_id("the") == 2
    assert vocab.token_to_id("zebra") == 1
    assert vocab.id_to_token(0) == "<pad>" and vocab.id_to_token(1) == "<unk>"
    assert "cat" in vocab and "zebra" not in vocab and "<pad>" in vocab
    ids = vocab.encode(["the", "zebra", "sat"])
    assert ids == [2, 1, 4]
    assert vocab.decode(ids) == ["the", "<unk>", "sat"]
    assert vocab.decode([2, 3, 0, 0]) == ["the", "cat"]  # padding skipped
    assert vocab.decode(np.array([3, 0], dtype=np.int64)) == ["cat"]
    for tokens in CORPUS:
        assert vocab.decode(vocab.encode(tokens)) == tokens
    with pytest.raises(IndexError, match="outside"):
        vocab.id_to_token(len(vocab))
    with pytest.raises(IndexError, match="outside"):
        vocab.id_to_token(-1)


def test_tokens_property_is_a_copy_and_repr_is_short() -> None:
    vocab = Vocabulary.build([[f"t{i}" for i in range(5000)]])
    vocab.tokens.append("oops")
    assert len(vocab) == 5002
    text = repr(vocab)
    assert text.startswith("Vocabulary(size=5002") and len(text) < 120


# ---------------------------------------------------------------- encode_texts


def test_encode_texts_shapes_values_truncation_and_empty_text() -> None:
    vocab = Vocabulary.build([tokenize("the cat sat on the mat")])
    texts = ["The cat sat.", "", "the the the the the the the", "!!! ???", "dog"]
    ids, lengths = encode_texts(texts, vocab, max_len=5)
    assert ids.dtype == np.int64 and lengths.dtype == np.int64
    assert ids.shape == (5, 5) and lengths.shape == (5,)
    the, cat, sat = (vocab.token_to_id(t) for t in ("the", "cat", "sat"))
    assert ids[0].tolist() == [the, cat, sat, 1, 0]  # "." is unknown
    assert ids[1].tolist() == [1, 0, 0, 0, 0]  # no tokens: a single <unk>
    assert ids[2].tolist() == [the] * 5  # truncated
    assert ids[3].tolist() == [1, 1, 1, 1, 1]  # six unknown punctuation tokens, cut to 5
    assert ids[4].tolist() == [1, 0, 0, 0, 0]
    assert lengths.tolist() == [4, 1, 5, 5, 1]


def test_encode_texts_agrees_with_pad_batch() -> None:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    texts = [" ".join(rng.choice(words, size=rng.integers(0, 12))) for _ in range(200)]
    vocab = Vocabulary.build((tokenize(t) for t in texts[:100]), max_size=20)
    ids, lengths = encode_texts(texts, vocab, max_len=8)
    expected = [vocab.encode(tokenize(t))[:8] or [1] for t in texts]
    ref_ids, ref_lengths = pad_batch(expected)
    assert np.array_equal(lengths, ref_lengths)
    assert np.array_equal(ids[:, : ref_ids.shape[1]], ref_ids)
    assert (ids[:, ref_ids.shape[1] :] == 0).all()


def test_encode_texts_no_texts_and_bad_max_len() -> None:
    vocab = Vocabulary.build([["a"]])
    ids, lengths = encode_texts([], vocab, max_len=4)
    assert ids.shape == (0, 4) and lengths.shape == (0,)
    with pytest.raises(ValueError, match="max_len must be at least 1, not 0"):
        encode_texts(["a"], vocab, max_len=0)


# ---------------------------------------------------------------- pad_batch


def test_pad_batch_shapes_values_and_lengths() -> None:
    ids, lengths = pad_batch([[5, 6, 7], [8], [9, 10]])
    assert ids.dtype == np.int64 and lengths.dtype == np.int64
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]]
    assert lengths.tolist() == [3, 1, 2]


def test_pad_batch_truncates_and_uses_pad_id() -> None:
    ids, lengths = pad_batch([[1, 2, 3, 4], [5]], max_len=2, pad_id=-1)
    assert ids.tolist() == [[1, 2], [5, -1]]
    assert lengths.tolist() == [2, 1]
    # max_len only caps: T is the longest sequence when all are shorter.
    ids, lengths = pad_batch([[1], [2, 3]], max_len=10)
    assert ids.shape == (2, 2)


def test_pad_batch_accepts_numpy_sequences() -> None:
    ids, lengths = pad_batch([np.array([3, 4], dtype=np.int32), (7,)])
    assert ids.tolist() == [[3, 4], [7, 0]] and ids.dtype == np.int64


def test_pad_batch_errors(one_sentence) -> None:
    with pytest.raises(ValueError, match="the batch is empty") as info:
        pad_batch([])
    one_sentence(str(info.value))
    with pytest.raises(ValueError, match="Sequence 1 of the batch is empty") as info:
        pad_batch([[1], []])
    one_sentence(str(info.value))
    with pytest.raises(ValueError, match="max_len must be at least 1"):
        pad_batch([[1]], max_len=0)
