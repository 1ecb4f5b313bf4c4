"""Where a query's words stand in given hits: a word's postings positioned on the hits, and their
stored (position, start, end), for the rerank bonuses and the highlights.  Part of the scoring room:
reads the private attributes of Whoosh's W3 leaf matcher, as ``scoring`` does (whoosh-reloaded is
pinned for it; tests/test_scoring.py checks them against Whoosh's own reading, also on indexes with
several segments and deleted documents).  Imports ``matches`` and ``scoring``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.compat import loads
from whoosh.matching import Matcher
from whoosh.system import _INT_SIZE

from indexer.matches import raw_postings
from indexer.scoring import MAX_MATCH_CHARS


def postings_at(searcher, fieldname: str, word: str, docnums: list[int]):
    """(docnum, postings) for each of ``docnums`` holding ``word``, the postings positioned on it
    (and scored by the searcher's weighting).

    One cursor a segment walks the hits in docnum order: blocks that end before the next hit
    are passed without being read, and a hit is found in a block by bisection.  Whoosh's
    ``skip_to`` steps through a block one posting at a time (five method calls each), which
    made this most of a three-word query's time on 20k documents.
    """
    wanted = sorted(docnums)
    for segment, offset in searcher.subsearchers or [(searcher, 0)]:  # None: one segment
        end = offset + segment.reader().doc_count_all()
        local = [docnum - offset for docnum in wanted if offset <= docnum < end]
        if not local or not segment.reader().doc_frequency(fieldname, word):
            continue
        postings = segment.postings(fieldname, word)
        leaf, _, deleted = raw_postings(postings)
        for docnum in _positioned(leaf, local):
            if docnum not in deleted:
                yield offset + docnum, leaf


def _positioned(postings: W3LeafMatcher, docnums: list[int]) -> Iterator[int]:
    """Move ``postings`` onto each of the sorted ``docnums`` it holds, yielding those.

    Reads the W3 leaf matcher's block attributes, as ``matches.leaf_postings`` does; deleted documents are
    the caller's to skip (the leaf does not know them).
    """
    targets = iter(docnums)
    target = next(targets, None)
    while target is not None and postings.is_active():
        if target > postings.block_max_id():
            postings._next_block()  # the block's IDs are never decoded
            continue
        postings.id()  # load the block's docnums
        postings._i = bisect_left(postings._ids, target, postings._i)
        if postings._ids[postings._i] == target:
            yield target
        target = next(targets, None)


def characters_before(postings: Matcher, limit: int) -> list[tuple[int, int, int]]:
    """The (position, start, end) of the current posting's occurrences that start before ``limit``.

    Whoosh's Characters decoding (``value_as("characters")``), stopped at ``limit``: a 10 MB
    document holds a common word tens of thousands of times, and decoding them all took most of a
    search that hit it.
    """
    value = postings.value()
    codes = loads((value if value.endswith(b".") else value + b".")[_INT_SIZE:])
    found, position, end = [], 0, 0
    for step, gap, length in codes:
        position, start = position + step, end + gap
        if start >= limit:
            break
        end = start + length
        found.append((position, start, end))
    return found


def matched_offsets(
    searcher, query: wq.Query, docnums: list[int], read: WordOffsets | None = None
) -> HitOffsets:
    """For each shown hit, the query's body words it contains with their stored (pos, start, end);
    ``read``: what the rerank has read already.

    Done for the page only: asking Whoosh for every match's terms (``terms=True``) costs a lookup
    per match and term.
    """
    return (read or WordOffsets(searcher)).of(body_words(searcher, query), docnums)


def body_words(searcher, query: wq.Query) -> list[str]:
    """The body words ``query`` searches, its wildcards' expansions included: a word's text as it
    is (one the index lacks has no postings to read), without Whoosh's lookup of each word in each
    segment, which for a bridged query's translations came to a tenth of what the bridge adds."""
    body, reader = searcher.schema["body"], searcher.reader()
    words: list[str] = []
    for leaf in query.leaves():  # a leaf's leaves: itself
        if type(leaf) is not wq.Term:
            terms = leaf.existing_terms(reader, expand=True, fieldname="body")
            words += [body.from_bytes(text) for _, text in terms]
        elif leaf.fieldname == "body":
            words.append(leaf.text)
    return list(dict.fromkeys(words))


HitOffsets = dict[int, dict[str, list]]  # docnum → body word → its stored (pos, start, end)


class WordOffsets:
    """Which body words given hits hold, with their stored (pos, start, end), each word read once
    a hit: the rerank's best hits and the shown page ask for the same words of mostly the same hits.

    ``holders``: words whose documents are known already (a bridge group's translations, read by
    scoring), read only in those: most translations stand in few of the hits.
    """

    def __init__(self, searcher, holders: dict[str, np.ndarray] | None = None) -> None:
        self._searcher = searcher
        self._holders = holders or {}
        self._asked: dict[str, set[int]] = {}  # word → the hits it was read for
        self._spans: dict[str, dict[int, list]] = {}  # word → those of them holding it → spans

    def of(self, words: list[str], docnums: list[int]) -> HitOffsets:
        """For each of ``docnums``, which of ``words`` its body holds, with their stored offsets."""
        found: HitOffsets = {docnum: {} for docnum in docnums}
        for word in dict.fromkeys(words):
            asked = self._asked.setdefault(word, set())
            spans = self._spans.setdefault(word, {})
            unread = [d for d in docnums if d not in asked]
            if unread and (holders := self._holders.get(word)) is not None:
                unread = [d for d, holds in zip(unread, _held(holders, unread), strict=True) if holds]
            asked.update(docnums)
            if unread:
                for docnum, postings in postings_at(self._searcher, "body", word, unread):
                    spans[docnum] = characters_before(postings, MAX_MATCH_CHARS)
            for docnum in docnums:
                if docnum in spans:
                    found[docnum][word] = spans[docnum]
        return found


def _held(holders: np.ndarray, docnums: list[int]) -> list[bool]:
    """Whether each of ``docnums`` is among ``holders`` (ascending): a binary search each, which
    for the few hits asked costs less than ``np.isin``'s sorting."""
    if not len(holders):
        return [False] * len(docnums)
    places = np.searchsorted(holders, docnums).clip(max=len(holders) - 1)
    return (holders[places] == docnums).tolist()
