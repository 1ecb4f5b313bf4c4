"""One query word's translations scored as one word: Pirkola's synonym group, on Whoosh's internals.

``SynonymGroup([Term("body", "노동"), Word([Term("body", "국제"), Term("body", "기구")])])`` matches
a document holding any member (a member of several terms, a phrase of the lexicon, needs them all
and counts as often as its rarest one) and scores it as BM25F would score one word whose term
frequency is the members' summed tf and whose document frequency is the size of their union
(Pirkola 1998; Darwish & Oard's structured queries).  So a word with five translations weighs as
one word, not five, and a common translation does not drown a rare one.

Document frequencies count the documents a segment still holds deleted, as Whoosh's and Lucene's
do: a group of one term scores what that term scores (tests/test_synonyms.py checks both, on an
index with several segments and deletions).  Imports ``query`` and ``scoring``.
"""

from __future__ import annotations

from collections import defaultdict
from math import log

from whoosh import query as wq
from whoosh.matching import ListMatcher, Matcher, NullMatcher

from indexer.query import Word
from indexer.scoring import LuceneBM25F, block_postings, raw_postings

SegmentTfs = dict[int, float]  # segment docnum → summed tf, deleted documents included


class SynonymGroup(wq.CompoundQuery):
    """Any of the member queries (terms, or a ``Word`` of terms), scored as one word (module doc)."""

    JOINT = " | "

    def __init__(self, subqueries, boost: float = 1.0, source: str = "") -> None:
        """``source``: the query word (or run of words) these translate, which the rerank counts
        once however many of its translations a document holds."""
        super().__init__(subqueries, boost=boost)
        self.source = source
        self._cache: tuple[object, dict[int, tuple[float, SegmentTfs]], dict[str, set[int]]] | None = None

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
        idf, tfs = self._segment_tfs(searcher)
        reader = searcher.reader()
        norms = weighting.norms(searcher, self.fieldname)
        k1_plus_1 = weighting.K1 + 1
        docnums = sorted(tfs)
        if reader.has_deletions():  # a set lookup a document otherwise: a tenth of a bridged query
            docnums = [docnum for docnum in docnums if not reader.is_deleted(docnum)]
        if not docnums:
            return NullMatcher()
        scores = [idf * (tfs[d] * k1_plus_1) / (tfs[d] + norms[d]) * self.boost for d in docnums]
        return ListMatcher(docnums, scores)

    def idf(self, searcher) -> float:
        """The group's idf in ``searcher``'s index: of the union of its members' documents."""
        self._segment_tfs(searcher)
        return next(iter(self._cache[1].values()), (0.0,))[0]

    def holders(self, searcher) -> dict[str, set[int]]:
        """Each term of the group → the documents of ``searcher`` that hold it (deleted ones too),
        as scoring read them: the rerank reads a translation's positions only where it stands."""
        self._segment_tfs(searcher)
        return self._cache[2]

    def _segment_tfs(self, searcher) -> tuple[float, SegmentTfs]:
        """The group's idf and ``searcher``'s segment's tfs, read for every segment on first use
        (the union's df needs them all)."""
        parent = searcher.get_parent()
        if self._cache is None or self._cache[0] is not parent:
            by_segment, holders = {}, defaultdict(set)
            for segment, offset in parent.subsearchers or [(parent, 0)]:  # None: one segment
                term_docs = {
                    term.text: term_tfs(segment.reader(), term.fieldname, term.text)
                    for member in self.subqueries
                    for term in _terms(member)
                }
                for text, tfs in term_docs.items():
                    holders[text].update(offset + docnum for docnum in tfs)
                by_segment[id(segment.reader())] = group_tfs(self.subqueries, term_docs)
            df = sum(len(tfs) for tfs in by_segment.values())
            idf = log(1 + (parent.doc_count_all() - df + 0.5) / (df + 0.5))
            self._cache = (parent, {key: (idf, tfs) for key, tfs in by_segment.items()}, dict(holders))
        return self._cache[1].get(id(searcher.reader()), (0.0, {}))


def group_tfs(members: list[wq.Query], term_docs: dict[str, SegmentTfs]) -> SegmentTfs:
    """Per document of one segment (deleted ones too), the members' summed term frequency, from
    each term's tfs in that segment."""
    summed: SegmentTfs = {}
    for member in members:
        tfs = _member_tfs(member, term_docs)
        if not summed:  # the first member's as they are, without a Python step a document
            summed = dict(tfs)
            continue
        for docnum, tf in tfs.items():
            summed[docnum] = summed.get(docnum, 0.0) + tf
    return summed


def _member_tfs(member: wq.Query, term_docs: dict[str, SegmentTfs]) -> SegmentTfs:
    """A term's tf per document, or for a ``Word`` of terms the least tf of its terms where all
    stand."""
    tfs: SegmentTfs | None = None
    for term in _terms(member):
        found = term_docs[term.text]
        tfs = found if tfs is None else {d: min(tf, found[d]) for d, tf in tfs.items() if d in found}
    return tfs or {}


def _terms(member: wq.Query) -> list[wq.Term]:
    """The terms of a member: itself, or a ``Word``'s (another kind of query has none)."""
    return [member] if isinstance(member, wq.Term) else member.subqueries if isinstance(member, Word) else []


def term_tfs(reader, fieldname: str, text: str) -> SegmentTfs:
    """docnum → tf of one stored word in one segment, deleted documents included, read a block
    at a time (as ``scoring.add_scores`` does)."""
    if not reader.doc_frequency(fieldname, text):
        return {}
    leaf, _, _ = raw_postings(reader.postings(fieldname, text))
    leaf.reset()  # Whoosh's filter of deleted documents has moved it past the first ones
    tfs: SegmentTfs = {}
    while leaf.is_active():
        tfs.update(zip(*block_postings(leaf), strict=True))
        leaf._next_block()
    return tfs
