"""One query word's translations scored as one word: Pirkola's synonym group, on Whoosh's internals.

``SynonymGroup([Term("body", "노동"), Word([Term("body", "국제"), Term("body", "기구")])])`` matches
a document holding any member (a member of several terms, a phrase of the lexicon, needs them all
and counts as often as its rarest one) and scores it as BM25F would score one word whose term
frequency is the members' summed tf and whose document frequency is the size of their union
(Pirkola 1998; Darwish & Oard's structured queries).  So a word with five translations weighs as
one word, not five, and a common translation does not drown a rare one.

Document frequencies count the documents a segment still holds deleted, as Whoosh's and Lucene's
do: a group of one term scores what that term scores (tests/test_scoring.py checks both, on an
index with several segments and deletions).  Imports ``matches``, ``query`` and ``scoring``.
"""

from __future__ import annotations

from math import log

import numpy as np
from whoosh import query as wq
from whoosh.matching import Matcher, NullMatcher

from indexer.matches import NO_MATCHES, Scored, ScoresMatcher, leaf_postings, live, stored_leaf, summed
from indexer.query import Word
from indexer.scoring import LuceneBM25F


class SynonymGroup(wq.CompoundQuery):
    """Any of the member queries (terms, or a ``Word`` of terms), scored as one word (module doc)."""

    JOINT = " | "

    def __init__(self, subqueries, boost: float = 1.0, source: str = "") -> None:
        """``source``: the query word (or run of words) these translate, which the rerank counts
        once however many of its translations a document holds."""
        super().__init__(subqueries, boost=boost)
        self.source = source
        # The parent searcher read, its idf, each segment's tfs, and each term's holders in it.
        self._cache: tuple[object, float, dict[int, Scored], dict[str, np.ndarray]] | None = None

    def apply(self, fn) -> SynonymGroup:
        return type(self)([fn(q) for q in self.subqueries], boost=self.boost, source=self.source)

    @property
    def fieldname(self) -> str:
        return self.subqueries[0].field()

    def estimate_size(self, ixreader) -> int:
        return sum(sub.estimate_size(ixreader) for sub in self.subqueries)

    def matcher(self, searcher, context=None) -> Matcher:
        weighting = searcher.weighting
        unscored = context is not None and context.weighting is None
        if unscored or not isinstance(weighting, LuceneBM25F):
            return wq.Or(self.subqueries, boost=self.boost).matcher(searcher, context)
        idf, (docnums, tfs) = self._segment_tfs(searcher)
        docnums, tfs = live(searcher.reader(), docnums, tfs)
        if not len(docnums):
            return NullMatcher()
        norms = weighting.norm_array(searcher, self.fieldname)[docnums]
        return ScoresMatcher(docnums, idf * (tfs * (weighting.K1 + 1)) / (tfs + norms) * self.boost)

    def idf(self, searcher) -> float:
        """The group's idf in ``searcher``'s index: of the union of its members' documents."""
        self._segment_tfs(searcher)
        return self._cache[1]

    def holders(self, searcher) -> dict[str, np.ndarray]:
        """Each term of the group → the documents of ``searcher`` that hold it (deleted ones too,
        ascending), as scoring read them: the rerank reads a translation's positions only where it
        stands."""
        self._segment_tfs(searcher)
        return self._cache[3]

    def _segment_tfs(self, searcher) -> tuple[float, Scored]:
        """The group's idf and ``searcher``'s segment's tfs, read for every segment on first use
        (the union's df needs them all)."""
        parent = searcher.get_parent()
        if self._cache is None or self._cache[0] is not parent:
            by_segment, holders = {}, {}
            for segment, offset in parent.subsearchers or [(parent, 0)]:  # None: one segment
                term_docs = {
                    term.text: term_tfs(segment.reader(), term.fieldname, term.text)
                    for member in self.subqueries
                    for term in _terms(member)
                }
                for text, (docnums, _) in term_docs.items():
                    holders.setdefault(text, []).append(docnums + offset)
                reader = segment.reader()
                by_segment[id(reader)] = group_tfs(self.subqueries, term_docs, reader.doc_count_all())
            df = sum(len(docnums) for docnums, _ in by_segment.values())
            idf = log(1 + (parent.doc_count_all() - df + 0.5) / (df + 0.5))
            held = {text: np.concatenate(parts) for text, parts in holders.items()}
            self._cache = (parent, idf, by_segment, held)
        return self._cache[1], self._cache[2].get(id(searcher.reader()), NO_MATCHES)


def group_tfs(members: list[wq.Query], term_docs: dict[str, Scored], size: int) -> Scored:
    """Per document of one segment of ``size`` documents (deleted ones too), the members' summed
    term frequency, from each term's tfs in that segment."""
    found = [_member_tfs(member, term_docs) for member in members]
    return found[0] if len(found) == 1 else summed(found, size)


def _member_tfs(member: wq.Query, term_docs: dict[str, Scored]) -> Scored:
    """A term's tf per document, or for a ``Word`` of terms the least tf of its terms where all
    stand."""
    docnums, tfs = None, None
    for term in _terms(member):
        found_docnums, found_tfs = term_docs[term.text]
        if docnums is None:
            docnums, tfs = found_docnums, found_tfs
            continue
        docnums, here, there = np.intersect1d(docnums, found_docnums, assume_unique=True, return_indices=True)
        tfs = np.minimum(tfs[here], found_tfs[there])
    return NO_MATCHES if docnums is None else (docnums, tfs)


def _terms(member: wq.Query) -> list[wq.Term]:
    """The terms of a member: itself, or a ``Word``'s (another kind of query has none)."""
    return [member] if isinstance(member, wq.Term) else member.subqueries if isinstance(member, Word) else []


def term_tfs(reader, fieldname: str, text: str) -> Scored:
    """The documents of one segment holding one stored word, deleted ones included, and its tf in
    each, read a block at a time (as ``scoring.matcher_scores`` does)."""
    leaf = stored_leaf(reader, fieldname, text)
    return NO_MATCHES if leaf is None else leaf_postings(leaf)
