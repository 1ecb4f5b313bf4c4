"""Hanja (漢字) words read in Hangul: a document that writes ``勞動`` is found by ``노동`` too.

Korean laws, older press releases and names write Sino-Korean words in Hanja, while people search
in Hangul.  ``HanjaReadingFilter`` adds each Hanja word's Hangul reading to the index beside the
word itself, at the same position and over the same characters (so a search for ``노동`` marks
``勞動``); the text is not changed, and queries are analysed as typed (``勞動`` still finds the
Hanja).  Readings come from the ``hanja`` package's table (``indexer/data/hanja.tsv.gz``, built
by ``tools/build_hanja_table.py``; licence in ``indexer/data/NOTICE``), one syllable per ideograph,
with the initial-sound rule (두음법칙) the standard spelling applies: ``勞動`` is 노동, not 로동.
Imports ``jamo``.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from whoosh.analysis import Filter, Token

from indexer.jamo import join_syllable, split_syllable

TABLE = Path(__file__).resolve().parent / "data" / "hanja.tsv.gz"
# A word all of CJK ideographs (Kiwi tags one in a Korean line SH; a line without Hangul is split by a
# regex, whose words have no such tag).
HANJA_WORD = re.compile("^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+$")
READING_TAG = "HANJA_READING"
# 두음법칙 on a word's first syllable: 녀/뇨/뉴/니 → 여/요/유/이, 랴/려/례/료/류/리 → 야/여/예/요/유/이,
# 라/래/로/뢰/루/르 → 나/내/노/뇌/누/느 (as the hanja package applies it).
TO_IEUNG = {"ㄴ": frozenset("ㅕㅛㅠㅣ"), "ㄹ": frozenset("ㅑㅕㅖㅛㅠㅣ")}
TO_NIEUN = frozenset("ㅏㅐㅗㅚㅜㅡ")


@cache
def _readings() -> dict[str, str]:
    """ideograph → its Hangul syllable, read once per process (27,497 ideographs, 60 KB)."""
    table = {}
    for row in gzip.decompress(TABLE.read_bytes()).decode("utf-8").splitlines():
        reading, ideographs = row.split("\t")
        table.update(dict.fromkeys(ideographs, reading))
    return table


def hangul_reading(word: str) -> str | None:
    """The Hangul reading of a word of Hanja (None when a character has none in the table)."""
    syllables = _syllables(word)
    if syllables is None:
        return None
    syllables[0] = _initial_sound(syllables[0])
    for index in range(1, len(syllables)):  # 렬/률 after a vowel or ㄴ is 열/율 (規律 규율, 旋律 선율)
        if syllables[index] in ("렬", "률") and split_syllable(syllables[index - 1])[2] in ("", "ㄴ"):
            syllables[index] = "열" if syllables[index] == "렬" else "율"
    return "".join(syllables)


def piece_readings(word: str) -> list[set[str]]:
    """For each 2-ideograph piece of ``word``, its readings with a word starting at either syllable
    (國際勞動機構: 際勞 is 제로 or 제노, as 勞動 may start a word), so the pieces a query's compound
    gives (국제노동기구: 국제, 제노, 노동…) are all there whichever way the compound divides."""
    syllables = _syllables(word) or []
    return [
        {_initial_sound(first) + second, first + _initial_sound(second)}
        for first, second in zip(syllables, syllables[1:], strict=False)
    ]


def _syllables(word: str) -> list[str] | None:
    readings = _readings()
    syllables = [readings.get(char) for char in word]
    return None if not syllables or None in syllables else syllables


def _initial_sound(syllable: str) -> str:
    initial, medial, final = split_syllable(syllable)
    if medial in TO_IEUNG.get(initial, ()):
        return join_syllable("ㅇ", medial, final)
    if initial == "ㄹ" and medial in TO_NIEUN:
        return join_syllable("ㄴ", medial, final)
    return syllable


def reading_aliases(word: str, start: int) -> list[tuple[int, int, str, str]]:
    """The (start, end, text, tag) the index adds after the Hanja word ``word`` at ``start``: its
    Hangul reading, then for 3+ ideographs the readings of its 2-syllable pieces (``piece_readings``),
    all over its characters; none for a word that is not all Hanja or has no reading."""
    if not HANJA_WORD.match(word) or (reading := hangul_reading(word)) is None:
        return []
    aliases = [(start, start + len(reading), reading, READING_TAG)]
    if len(word) >= 3:
        for offset, pieces in enumerate(piece_readings(word)):
            aliases.extend((start + offset, start + offset + len(p), p, "PIECE") for p in sorted(pieces))
    return aliases


class HanjaReadingFilter(Filter):
    """At index time, follow each Hanja word with its Hangul reading and, for 3+ ideographs, the
    readings of its 2-syllable pieces (``reading_aliases``): the initial-sound rule applies where a
    word inside a compound starts, which no table says (國際勞動機構 is 국제노동기구, though 勞 alone
    reads 로), and a query's compound is matched by its pieces (``CompoundPartsFilter``).  All at
    the Hanja word's position (``piece``s, as a compound's parts are) and over its characters."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        for token in tokens:
            yield token
            if token.mode != "index":
                continue
            for start, end, text, tag in reading_aliases(token.text, token.startchar):
                alias = token.copy()
                alias.text, alias.tag, alias.piece = text, tag, True
                alias.startchar, alias.endchar = start, end
                yield alias
