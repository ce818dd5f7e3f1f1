"""Turning text into integer sequences: tokenizer, vocabulary, padding.

Everything here is plain Python and numpy so that the PyTorch and the
TensorFlow lessons see exactly the same token ids.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain

import numpy as np

__all__ = [
    "Vocabulary",
    "encode_texts",
    "pad_batch",
    "repair_text",
    "tokenize",
]

# AG News was scraped from HTML and lost the "&" of most entities, usually to a
# space: "won&#39;t" became "won #39;t" and "&quot;Hi" became " quot;Hi". So one
# "&" or one whitespace character before an entity remnant is taken to be the lost
# "&" and consumed with it. Only these names and numeric codes are restored: a
# generic "word;" rule would turn ordinary text such as "not;" into "¬", and the
# look-behind keeps "built;" from being read as "bui&lt;" and leaves the "lt;" of
# the doubly escaped "amp;lt;" to the second pass.
_ENTITY_NAMES = (
    "quot|amp|lt|gt|apos|nbsp|hellip|rsquo|lsquo|rdquo|ldquo|mdash|ndash|eacute|pound|euro"
)
_ENTITY = re.compile(
    rf"(?:&|\s|(?<![\w;]))(#[0-9]{{1,7}}|#[xX][0-9a-fA-F]{{1,6}}|(?:{_ENTITY_NAMES}));"
)

# Characters unified after unescaping, so "it’s" and "it's" are the same token.
_UNIFY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",
        "\\": " ",  # in AG News a backslash stands for a line break or escapes "$"
    }
)

# A word is a run of letters/digits, optionally joined by internal apostrophes
# ("don't", "o'neill" stay one token), except that the clitic "'s" is its own
# token ("america's" -> "america", "'s") so that possessives share the noun's
# embedding. Any other non-space character is a one-character punctuation token;
# "_" counts as punctuation, not as a letter.
_TOKEN = re.compile(r"'s\b|[^\W_]+(?:'(?!s\b)[^\W_]+)*|[^\w\s]|_")


def _unescape(match: re.Match[str]) -> str:
    return html.unescape("&" + match.group(1) + ";")


def repair_text(text: str) -> str:
    """Undo the AG News scraping artefacts, keeping case and spacing otherwise.

    Backslashes become spaces, entity remnants such as ``#39;``, ``quot;``,
    ``&lt;``, ``amp;`` or ``#151;`` become the characters they stand for, and
    curly quotes become straight ones. Useful for showing an example to a reader;
    :func:`tokenize` applies it first.

    Args:
        text: A raw title or description.

    Returns:
        The repaired text.
    """
    # Every entity ends in ";", and most texts have none: skip the slow regex then.
    # Applied twice because a few rows are escaped twice ("amp;lt;" -> "&lt;" -> "<").
    if ";" in text:
        text = _ENTITY.sub(_unescape, text)
        if ";" in text:
            text = _ENTITY.sub(_unescape, text)
    return text.translate(_UNIFY)


def tokenize(text: str) -> list[str]:
    """Split a text into lower-case word and punctuation tokens.

    The AG News artefacts are repaired first (see :func:`repair_text`). Words
    keep internal apostrophes, so ``"Don't"`` gives ``["don't"]``, except for the
    clitic ``'s``: ``"America's"`` gives ``["america", "'s"]``. Every other symbol
    is its own token, so ``"$1.5"`` gives ``["$", "1", ".", "5"]``.

    Args:
        text: Any text.

    Returns:
        The tokens, possibly an empty list.
    """
    return _TOKEN.findall(repair_text(text).lower())


class Vocabulary:
    """A fixed mapping between tokens and integer ids.

    Id 0 is the padding token :attr:`PAD` and id 1 the unknown-token :attr:`UNK`;
    every token not in the vocabulary is encoded as 1.

    Args:
        tokens: All tokens in id order, starting with ``"<pad>"`` and ``"<unk>"``.
    """

    PAD = "<pad>"
    UNK = "<unk>"
    pad_id = 0
    unk_id = 1

    def __init__(self, tokens: Sequence[str]) -> None:
        tokens = list(tokens)
        if tokens[:2] != [self.PAD, self.UNK]:
            raise ValueError(
                f"A Vocabulary must start with {self.PAD!r} and {self.UNK!r}, "
                f"but it starts with {tokens[:2]!r}."
            )
        index = {token: i for i, token in enumerate(tokens)}
        if len(index) != len(tokens):
            duplicates = sorted(t for t, c in Counter(tokens).items() if c > 1)
            raise ValueError(f"A Vocabulary needs distinct tokens, but {duplicates[:5]!r} repeat.")
        self._tokens = tokens
        self._index = index

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        *,
        max_size: int | None = None,
        min_freq: int = 1,
    ) -> Vocabulary:
        """Build a vocabulary from tokenized texts, most frequent tokens first.

        Ties in frequency are broken alphabetically, so the same texts always give
        the same ids.

        Args:
            token_lists: One token list per text, e.g. ``map(tokenize, texts)``.
            max_size: Largest size including the two special tokens; None for no limit.
            min_freq: Keep only tokens seen at least this many times.

        Returns:
            The vocabulary.

        Raises:
            ValueError: If ``max_size < 2`` or ``min_freq < 1``.
        """
        if max_size is not None and max_size < 2:
            raise ValueError(
                f"max_size must be at least 2 (room for {cls.PAD!r} and {cls.UNK!r}), "
                f"not {max_size}."
            )
        if min_freq < 1:
            raise ValueError(f"min_freq must be at least 1, not {min_freq}.")
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        # The specials have fixed ids; if a text happens to contain them they
        # must not appear a second time.
        counts.pop(cls.PAD, None)
        counts.pop(cls.UNK, None)
        kept = sorted(
            (token for token, count in counts.items() if count >= min_freq),
            key=lambda token: (-counts[token], token),
        )
        if max_size is not None:
            kept = kept[: max_size - 2]
        return cls([cls.PAD, cls.UNK, *kept])

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self._tokens == other._tokens

    __hash__ = None  # type: ignore[assignment]  # mutable-looking container

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self._tokens[:6])
        more = ", ..." if len(self._tokens) > 6 else ""
        return f"Vocabulary(size={len(self)}, tokens=[{head}{more}])"

    @property
    def tokens(self) -> list[str]:
        """All tokens in id order (a copy)."""
        return list(self._tokens)

    def token_to_id(self, token: str) -> int:
        """Return the id of ``token``, or :attr:`unk_id` if it is unknown."""
        return self._index.get(token, self.unk_id)

    def id_to_token(self, i: int) -> str:
        """Return the token with id ``i``.

        Raises:
            IndexError: If ``i`` is not between 0 and ``len(self) - 1``.
        """
        i = int(i)
        if not 0 <= i < len(self._tokens):
            raise IndexError(f"Token id {i} is outside this vocabulary's 0..{len(self) - 1}.")
        return self._tokens[i]

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Map tokens to ids, unknown tokens to :attr:`unk_id`."""
        get = self._index.get
        return [get(token, 1) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Map ids back to tokens, leaving out padding (id 0)."""
        return [self.id_to_token(i) for i in ids if int(i) != self.pad_id]


def _fill(sequences: list[list[int]], width: int, pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Pack already-truncated, non-empty sequences into a padded int64 matrix."""
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    flat = np.fromiter(chain.from_iterable(sequences), dtype=np.int64, count=int(lengths.sum()))
    ids = np.full((len(sequences), width), pad_id, dtype=np.int64)
    # Row-major boolean indexing visits the cells in the same order as `flat`.
    ids[np.arange(width) < lengths[:, None]] = flat
    return ids, lengths


def encode_texts(
    texts: Sequence[str], vocab: Vocabulary, max_len: int
) -> tuple[np.ndarray, np.ndarray]:
    """Tokenize, encode, truncate and pad texts into one id matrix.

    A text with no tokens becomes a single ``<unk>`` (length 1), so that every
    sequence has at least one real step: models read the RNN state at position
    ``length - 1``.

    Args:
        texts: The texts.
        vocab: The vocabulary giving the ids.
        max_len: Keep at most this many tokens per text (the first ones).

    Returns:
        ``(ids, lengths)``: int64 arrays of shape ``(N, max_len)`` (padded with 0)
        and ``(N,)``.

    Raises:
        ValueError: If ``max_len < 1``.
    """
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, not {max_len}.")
    encoded = [vocab.encode(tokenize(text)[:max_len]) or [vocab.unk_id] for text in texts]
    return _fill(encoded, max_len, vocab.pad_id)


def pad_batch(
    sequences: Sequence[Sequence[int]],
    *,
    max_len: int | None = None,
    pad_id: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Pad id sequences to a common length.

    Args:
        sequences: Non-empty sequences of token ids.
        max_len: If given, sequences longer than this keep only their first
            ``max_len`` ids.
        pad_id: The id written after the end of each sequence.

    Returns:
        ``(ids, lengths)``: int64 arrays of shape ``(B, T)`` and ``(B,)``, where T
        is the longest (truncated) length in the batch.

    Raises:
        ValueError: If the batch or one of its sequences is empty, or ``max_len < 1``.
    """
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be at least 1 or None, not {max_len}.")
    if len(sequences) == 0:
        raise ValueError("pad_batch needs at least one sequence, but the batch is empty.")
    cut = [list(s) if max_len is None else list(s[:max_len]) for s in sequences]
    for i, seq in enumerate(cut):
        if not seq:
            raise ValueError(
                f"Sequence {i} of the batch is empty; give every sequence at least one id "
                "(for example the <unk> id)."
            )
    width = max(len(s) for s in cut)
    return _fill(cut, width, pad_id)
