"""Lookups over a term vocabulary that forgive typos and initials-only queries.

    FuzzyIndex      a Korean term → the vocabulary terms a few keystrokes away (고용노동뷰 → 고용노동부);
                    with ENGLISH, an English word → the words one letter edit away (eoxteric → exoteric)
    ChoseongIndex   initials → the terms they begin or spell (ㄱㅇㄴㄷㅂ → 고용노동부), most frequent first

Both take (term, frequency) pairs, such as an index's terms and their document frequencies, and keep
the terms of their script (a ``Script``): Korean ones written wholly in Hangul syllables, English ones
in letters a–z.

FuzzyIndex is a SymSpell-style symmetric deletion index over keystrokes (jamo.keystrokes): every
string reachable from a term by deleting up to its budget of keystrokes points back to the term, so a
query's own deletions find every term within that many edits without comparing it to the others.  On
200,000 terms a lookup takes 0.3 ms (p95 0.8) against 24 ms (p95 31) for a bounded Levenshtein scan in
C++, for a build of 15 s and 150 MB instead of 1 s and 18 MB: build it once, not per query (figures in
benchmarks/README.md, from benchmarks/fuzzy_vocab.py).  The deletions are kept as one sorted
array of 32-bit hashes beside the terms' numbers, 8 bytes a deletion, not a dict of strings (about 150);
a hash collision only adds a candidate that the distance check then drops.  English words get one
edit (a letter replaced, added, dropped, or two swapped) anywhere, the first letter too: the index's
own Levenshtein automaton (``suggest``) needs the first letter right and works on stems, which a typo
can break (congregatoin is no stem of congregation).
Imports ``jamo`` and ``keyboard``.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import NamedTuple

import numpy as np

from indexer.jamo import choseong, choseong_query, is_syllable, keystrokes
from indexer.keyboard import keystroke_distance, substitution_cost, unit_cost

# Elasticsearch's "AUTO:3,8" fuzziness counted in keystrokes rather than UTF-16 units: a word of up to
# 2 keystrokes (가, 이) must match exactly, up to 7 (고용 5, 노동부 7) within one edit, longer ones
# (고용노동부 12) within two.
SHORT_WORD, LONG_WORD = 3, 8
MAX_BUDGET = 2
# A word's deletions grow with the square of its keystrokes (a 1,000-syllable query would make 4.5
# million of 3,000 characters each): queries longer than this find nothing, and terms too long for such
# a query to reach are not indexed.  40 keystrokes is 13 or more syllables; Kiwi's nouns are far shorter.
MAX_KEYSTROKES = 40
# English: a word of 3+ letters may be one edit from the word meant (most typos are one: Damerau found
# 80 %); two would index ~n²/2 deletions a word, and the index's Levenshtein automaton (``suggest``)
# already finds two-edit typos that keep the first letter.
ENGLISH_MIN_LETTERS = 3
ENGLISH_TERM = re.compile(r"[a-z]+")  # English as the vocabulary writes it (``surface.english_words``)


class Candidate(NamedTuple):
    term: str
    distance: float  # keyboard-aware keystroke distance (keyboard.keystroke_distance)
    frequency: int


def edit_budget(length: int) -> int:
    """How many keystroke edits a query of `length` keystrokes may be from a term it finds."""
    return 0 if length < SHORT_WORD else 1 if length < LONG_WORD else MAX_BUDGET


def english_budget(length: int) -> int:
    """How many letter edits an English query of `length` letters may be from a word it finds."""
    return 0 if length < ENGLISH_MIN_LETTERS else 1


class Script(NamedTuple):
    """How the terms of one script are compared: which terms it holds, the string its edits are
    counted on, the edit budget of a query of n such characters, and what a substitution costs when
    the candidates are ranked."""

    holds: Callable[[str], bool]
    spelled: Callable[[str], str]
    budget: Callable[[int], int]
    substitution: Callable[[str, str], float]


KOREAN = Script(lambda term: all(map(is_syllable, term)), keystrokes, edit_budget, substitution_cost)
ENGLISH = Script(lambda term: ENGLISH_TERM.fullmatch(term) is not None, str, english_budget, unit_cost)


@cache
def _deletion_depth(length: int, budget: Callable[[int], int]) -> int:
    """How many deletions a term of `length` keystrokes needs indexed: the largest budget of a query
    that can reach it (a query within its budget differs in length by at most that budget)."""
    return max(
        budget(query)
        for query in range(length - MAX_BUDGET, length + MAX_BUDGET + 1)
        if abs(query - length) <= budget(query)
    )


def _deletions(strokes: str, depth: int) -> set[str]:
    """The string and every string made from it by deleting up to `depth` keystrokes."""
    found = {strokes}
    layer = found
    for _ in range(depth):
        layer = {word[:i] + word[i + 1 :] for word in layer for i in range(len(word))} - found
        found |= layer
    return found


def _short_hash(deletion: str) -> int:
    """32 bits of the string's hash: 17 million deletions of 200,000 terms fill 0.4 % of them, so a
    query's 80 keys meet a stranger's about once in three queries, a candidate the check drops."""
    return hash(deletion) & 0xFFFFFFFF


def script_terms(vocabulary: Iterable[tuple[str, int]], script: Script) -> dict[str, int]:
    """The terms of the script (KOREAN: written wholly in Hangul syllables), with the frequencies of
    repeated terms summed."""
    terms: dict[str, int] = {}
    for term, frequency in vocabulary:
        if term and script.holds(term):
            terms[term] = terms.get(term, 0) + frequency
    return terms


class FuzzyIndex:
    """Terms within an edit budget of a query (Korean keystrokes unless another ``script``), nearest
    and most frequent first."""

    def __init__(self, vocabulary: Iterable[tuple[str, int]], script: Script = KOREAN):
        self.script = script
        reachable = [
            (term, frequency, strokes)
            for term, frequency in script_terms(vocabulary, script).items()
            if len(strokes := script.spelled(term)) <= MAX_KEYSTROKES + MAX_BUDGET
        ]
        self.terms = [term for term, _, _ in reachable]
        self.frequencies = [frequency for _, frequency, _ in reachable]
        self.strokes = [strokes for _, _, strokes in reachable]
        hashes: list[int] = []
        owners: list[int] = []
        for number, strokes in enumerate(self.strokes):
            deletions = _deletions(strokes, _deletion_depth(len(strokes), script.budget))
            hashes.extend(map(_short_hash, deletions))
            owners.extend([number] * len(deletions))
        keys = np.array(hashes, dtype=np.uint32)
        order = np.argsort(keys)
        self._hashes = keys[order]
        self._owners = np.array(owners, dtype=np.int32)[order]

    def __len__(self) -> int:
        return len(self.terms)

    def _candidates(self, strokes: str, budget: int) -> Iterator[int]:
        keys = np.fromiter(map(_short_hash, _deletions(strokes, budget)), dtype=np.uint32)
        starts = np.searchsorted(self._hashes, keys, side="left")
        ends = np.searchsorted(self._hashes, keys, side="right")
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            yield from self._owners[start:end].tolist()

    def lookup(self, query: str, limit: int = 10) -> list[Candidate]:
        """The terms within the query's edit budget (edit_budget: plain keystroke edits, a swap of two
        counting one), ranked by keyboard-aware distance, then frequency; the query itself, if it is a
        term, comes first at distance 0.  A query not of the script (not wholly Hangul), or longer than
        MAX_KEYSTROKES, finds nothing."""
        if not query or not self.script.holds(query):
            return []
        strokes = self.script.spelled(query)
        if len(strokes) > MAX_KEYSTROKES:
            return []
        budget = self.script.budget(len(strokes))
        found = []
        for number in set(self._candidates(strokes, budget)):
            term_strokes = self.strokes[number]
            if keystroke_distance(strokes, term_strokes, unit_cost) <= budget:
                distance = keystroke_distance(strokes, term_strokes, self.script.substitution)
                found.append(Candidate(self.terms[number], distance, self.frequencies[number]))
        return heapq.nsmallest(limit, found, key=lambda c: (c.distance, -c.frequency, c.term))


class ChoseongIndex:
    """Terms by their initials (고용노동부 under ㄱㅇㄴㄷㅂ), for queries typed as initials only."""

    def __init__(self, vocabulary: Iterable[tuple[str, int]]):
        entries = sorted(
            (choseong(term), term, frequency) for term, frequency in script_terms(vocabulary, KOREAN).items()
        )
        self._initials = [initials for initials, _, _ in entries]
        self._terms = [term for _, term, _ in entries]
        self._frequencies = [frequency for _, _, frequency in entries]

    def lookup(self, query: str, limit: int = 10, prefix: bool = False) -> list[tuple[str, int]]:
        """(term, frequency) of the terms whose initials are the query's (with prefix, begin with them),
        most frequent first; [] when the query is not initials only (jamo.choseong_query)."""
        initials = choseong_query(query)
        if initials is None:
            return []
        start = bisect_left(self._initials, initials)
        end = bisect_right(self._initials, initials + "\U0010ffff" if prefix else initials, lo=start)
        best = heapq.nsmallest(
            limit, range(start, end), key=lambda i: (-self._frequencies[i], self._terms[i])
        )
        return [(self._terms[i], self._frequencies[i]) for i in best]
