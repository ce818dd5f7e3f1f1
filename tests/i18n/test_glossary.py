"""The Korean glossary (locale/ko/glossary.tsv) holds in every Korean text of the course.

Every Korean text: the lessons' catalogs, the library's messages, the quiz banks and the
diagrams' labels. A variant the glossary avoids never appears; for a term whose rule is
"always", a text whose English uses the term (outside code) uses its Korean term.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest

from rnncourse.i18n.messages import message_catalog_path

REPO = Path(__file__).resolve().parents[2]
GLOSSARY = REPO / "locale" / "ko" / "glossary.tsv"


@dataclass(frozen=True)
class Term:
    english: str
    korean: str
    avoid: tuple[str, ...]
    always: bool


def glossary() -> list[Term]:
    terms = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        english, korean, avoid, rule = line.split("\t")
        assert rule in ("always", "avoid"), line
        terms.append(Term(english, korean, tuple(v for v in avoid.split(",") if v),
                          rule == "always"))
    return terms


def _walk(value: object, where: str):
    if isinstance(value, dict):
        if isinstance(value.get("en"), str) and isinstance(value.get("ko"), str):
            yield value["en"], value["ko"], where
        for item in value.values():
            yield from _walk(item, where)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, where)


def korean_texts() -> list[tuple[str, str, str]]:
    """(English, Korean, where) for every translated text of the course."""
    catalogs = [*sorted((REPO / "locale" / "ko" / "LC_MESSAGES").glob("*.po")),
                message_catalog_path("ko")]
    texts = [(entry.msgid, entry.msgstr, catalog.name) for catalog in catalogs
             for entry in polib.pofile(str(catalog)) if entry.msgstr and not entry.obsolete]
    for bank in sorted((REPO / "rnncourse" / "quiz" / "banks").glob("*.json")):
        texts += list(_walk(json.loads(bank.read_text(encoding="utf-8")), bank.name))
    from rnncourse.diagrams.labels import LABELS

    texts += [(LABELS["en"][key], LABELS["ko"][key], "diagrams") for key in LABELS["en"]]
    return texts


#: Code in English text: `spans`, {fields}, dotted names, snake_case and calls.
_CODE = re.compile(r"`[^`]*`|\{[^}]*\}|\b\w+(?:\.\w+)+\b|\b\w*_\w*\b|\b\w+\(")


def uses(english: str, term: str) -> bool:
    """Whether ``english`` uses ``term`` as a word outside code (a capital only where a
    sentence starts: "Embedding" mid-sentence is Keras' class)."""
    prose = _CODE.sub(" ", english)
    rest = re.escape(term[1:])
    lower = re.search(rf"(?<![\w-]){re.escape(term[0])}{rest}(?:s|es)?(?![\w-])", prose)
    start = re.search(rf"(?:^|(?<=[.!?:]\s)|(?<=\n)|(?<=\*\*)){re.escape(term[0].upper())}"
                      rf"{rest}(?:s|es)?(?![\w-])", prose, re.MULTILINE)
    return bool(lower or start)


TERMS = glossary()


def test_the_glossary_gives_each_english_term_one_korean_term():
    english = [term.english.lower() for term in TERMS]
    assert len(english) == len(set(english))
    assert all(re.search("[가-힣]", t.korean) or t.korean.isascii() for t in TERMS)


@pytest.mark.parametrize("term", TERMS, ids=lambda t: t.english)
def test_no_korean_text_uses_a_variant_the_glossary_avoids(term):
    found = [f"{where}: {korean[:80]!r}" for _english, korean, where in korean_texts()
             for variant in term.avoid if variant in korean]
    assert found == [], f"use {term.korean!r} instead of {term.avoid}: {found}"


@pytest.mark.parametrize("term", [t for t in TERMS if t.always], ids=lambda t: t.english)
def test_a_korean_text_says_the_glossary_term_wherever_the_english_does(term):
    missing = [f"{where}: {english[:60]!r} -> {korean[:80]!r}"
               for english, korean, where in korean_texts()
               if uses(english, term.english) and term.korean not in korean]
    assert missing == [], f"{term.english!r} is {term.korean!r} in Korean: {missing}"


def test_korean_texts_keep_the_formal_style():
    # The course speaks in 합니다체 (-습니다, -십시오); -세요 slips into the polite 해요체.
    informal = [f"{where}: {korean[:80]!r}" for _english, korean, where in korean_texts()
                if re.search(r"세요(?![가-힣])", korean)]
    assert informal == []


def test_the_matcher_sees_words_not_code():
    assert uses("Padding every text to the same length.", "padding")
    assert uses("the forget gate keeps", "forget gate")
    assert not uses("Give the Embedding mask_zero=True", "embedding")
    assert not uses("pass it through self.dropout", "dropout")
    assert not uses("load `keras.layers.LSTM`'s weights", "layer")
    assert not uses("Your {layer}'s outputs", "layer")
