"""Highlights: which stretches of a document a query matched, and the passages that show them.

Everything here works from the character offsets stored in the index (no re-analysis), and marks
a typed word only where the document holds it whole: all of its morphemes side by side
(``고용`` + ``노동부`` in ``고용노동부를``, the particle left outside), or all of its 2-syllable
pieces in a row (``국제노동기구`` however Kiwi cut it), never one loose morpheme of it
(``고용`` in ``서울고용센터`` is no match for ``고용노동부``).  A phrase is marked where its words stand
in order.  Passages start and end at word boundaries and never repeat text.

The units come from the query tree (``query_units``), the offsets from ``positions``.  Imports
``query``.  Imports ``query``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from whoosh import query as wq

from indexer.query import Pieces, Word

PASSAGES = 3  # passages a snippet shows at most
PASSAGE_CHARS = 100  # the matches one passage gathers span at most this many characters …
CONTEXT_CHARS = 40  # … with about this much text on each side
WORD_REACH = 20  # how far a passage edge moves to reach a word boundary (text without spaces)
LEADING_CHARS = 240  # a hit without a body match shows the start of its text
BETWEEN = " … "
SPACE = re.compile(r"\s")

Offsets = dict[str, list[tuple[int, int, int]]]  # index term → its (position, start, end) in the text
Span = tuple[int, int]  # (start, end) characters of one marked stretch


@dataclass(frozen=True)
class Unit:
    """What must stand together in the text for one typed word or phrase to be marked.

    ``word``: the morphemes of one typed word at consecutive positions, joined as ``_joins`` allows.
    ``phrase``: words at consecutive positions.  ``pieces``: 2-syllable pieces starting on
    consecutive characters (``국제``, ``제노``, ``노동`` … of ``국제노동기구``).
    """

    terms: tuple[str, ...]
    kind: Literal["word", "phrase", "pieces"] = "word"


def query_units(query: wq.Query, fieldname: str = "body") -> set[Unit]:
    """What of ``query`` a highlight marks in ``fieldname``: its typed words (each term, or the
    morphemes or pieces of a compound) and phrases, not what it excludes."""
    if isinstance(query, wq.Not):
        return set()
    if isinstance(query, wq.AndNot):
        return query_units(query.a, fieldname)
    if isinstance(query, Word):
        terms = [sub for sub in query.subqueries if isinstance(sub, wq.Term)]
        if {term.fieldname for term in terms} != {fieldname}:
            return set()
        return {Unit(tuple(term.text for term in terms), "pieces" if isinstance(query, Pieces) else "word")}
    if isinstance(query, wq.Phrase):
        return {Unit(tuple(query.words), "phrase")} if query.fieldname == fieldname else set()
    if isinstance(query, wq.Term):
        return {Unit((query.text,))} if query.fieldname == fieldname else set()
    return set().union(*(query_units(child, fieldname) for child in query.children()))


def unit_spans(units: Iterable[Unit], offsets: Offsets, text: str) -> list[Span]:
    """Every stretch of ``text`` where one of ``units`` stands whole, in text order."""
    spans: set[Span] = set()
    for unit in units:
        if all(term in offsets for term in unit.terms):
            spans.update(_occurrences(unit, offsets, text))
    return sorted(spans)


def _occurrences(unit: Unit, offsets: Offsets, text: str) -> Iterable[Span]:
    first, *rest = unit.terms
    if not rest:
        return [(start, end) for _, start, end in offsets[first]]
    if unit.kind == "pieces":
        return _piece_runs(unit.terms, offsets)
    return _position_runs(unit, offsets, text)


def _piece_runs(terms: tuple[str, ...], offsets: Offsets) -> Iterable[Span]:
    """One span per run of the pieces on consecutive characters."""
    starts = [{start: end for _, start, end in offsets[term]} for term in terms]
    for start in starts[0]:
        if all(start + i in starts[i] for i in range(1, len(terms))):
            yield start, starts[-1][start + len(terms) - 1]


def _position_runs(unit: Unit, offsets: Offsets, text: str) -> Iterable[Span]:
    """Each term's span, where all the terms stand at consecutive positions."""
    at = [{pos: (start, end) for pos, start, end in offsets[term]} for term in unit.terms]
    for pos in at[0]:
        run = [at[i].get(pos + i) for i in range(len(unit.terms))]
        if None in run:
            continue
        gaps = (text[left[1] : right[0]] for left, right in zip(run, run[1:], strict=False))
        if unit.kind == "word" and not all(_joins(gap) for gap in gaps):
            continue
        yield from run


def _joins(gap: str) -> bool:
    """Whether two morphemes of one typed word may stand this far apart: touching, a particle
    between them (``AI를활용``) or only a space (Korean spacing varies: ``사람중심``, ``사람 중심``),
    but not the rest of another word (``서울고용센터 노동부`` holds no ``고용노동부``)."""
    return not gap.strip() or not SPACE.search(gap)


def mark(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` escaped, each run of touching or overlapping spans in one ``<mark>``."""
    end = len(text) if end is None else end
    out, index = [], start
    for left, right in merged_spans(spans):
        if right <= start or left >= end:
            continue
        left, right = max(left, start), min(right, end)
        out.append(html.escape(text[index:left]))
        out.append(f"<mark>{html.escape(text[left:right])}</mark>")
        index = right
    out.append(html.escape(text[index:end]))
    return "".join(out)


def merged_spans(spans: list[Span]) -> list[list[int]]:
    """``spans`` in order, touching and overlapping ones as one [start, end] (one <mark> each)."""
    merged: list[list[int]] = []
    for left, right in sorted(spans):
        if merged and left <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], right)
        else:
            merged.append([left, right])
    return merged


def snippet(text: str, spans: list[Span]) -> str:
    """Up to PASSAGES passages of ``text`` around its matches, escaped and marked.

    Matches within PASSAGE_CHARS of each other form one candidate passage; the passages with the
    most different matched words win, then those with the most matches (earlier first on ties),
    and are shown in text order.
    Without matches: the start of the text.
    """
    if not spans:
        return leading_text(text)
    best = _best_groups(text, spans)
    windows = sorted(_window(text, group[0][0], group[-1][1]) for group in best[:PASSAGES])
    joined: list[list[int]] = []
    for left, right in windows:  # passages that came to overlap are shown as one
        if joined and left <= joined[-1][1]:
            joined[-1][1] = max(joined[-1][1], right)
        else:
            joined.append([left, right])
    return BETWEEN.join(mark(text, spans, left, right).strip() for left, right in joined)


def best_match(text: str, spans: list[Span]) -> int | None:
    """Where the snippet's best passage starts its matches (None: no match), e.g. to name its page."""
    return _best_groups(text, spans)[0][0][0] if spans else None


def _best_groups(text: str, spans: list[Span]) -> list[list[Span]]:
    """The candidate passages, best first: matches within PASSAGE_CHARS of each other form one;
    more different matched words, then more matches, then earlier wins."""
    groups: list[list[Span]] = []
    for span in merged_spans(spans):
        if groups and span[1] - groups[-1][0][0] <= PASSAGE_CHARS:
            groups[-1].append(span)
        else:
            groups.append([span])
    return sorted(groups, key=lambda group: (-len({text[a:b].lower() for a, b in group}), -len(group)))


def _window(text: str, first: int, last: int) -> tuple[int, int]:
    """CONTEXT_CHARS around ``text[first:last]`` within its lines, widened or narrowed to word
    boundaries."""
    left = max(0, first - CONTEXT_CHARS, text.rfind("\n", 0, first) + 1)
    right = min(len(text), last + CONTEXT_CHARS)
    line_end = text.find("\n", last, right)
    right = right if line_end < 0 else line_end
    return _word_start(text, left, first), _word_end(text, right, last)


def _word_start(text: str, index: int, limit: int) -> int:
    """The start of the word at ``index``: back to a space, else forward to one (not past ``limit``)."""
    if index == 0 or SPACE.match(text[index - 1]):
        return index
    for i in range(index - 1, max(0, index - WORD_REACH) - 1, -1):
        if i == 0 or SPACE.match(text[i - 1]):
            return i
    for i in range(index, limit):
        if SPACE.match(text[i]):
            return i + 1
    return index


def _word_end(text: str, index: int, limit: int) -> int:
    """The end of the word at ``index``: forward to a space, else back to one (not before ``limit``)."""
    for i in range(index, min(len(text), index + WORD_REACH) + 1):
        if i == len(text) or SPACE.match(text[i]):
            return i
    for i in range(index, limit, -1):
        if SPACE.match(text[i - 1]):
            return i - 1
    return index


def leading_text(text: str) -> str:
    """The start of a text, escaped, cut at a word boundary (hits whose body holds no match)."""
    if len(text) <= LEADING_CHARS:
        return html.escape(text)
    return html.escape(text[: _word_end(text, LEADING_CHARS, 0)].rstrip()) + "…"
