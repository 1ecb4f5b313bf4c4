"""Collecting: every match of a query scored in one pass, counted exactly, the best kept.  The other
half of the scoring room: ``CountingTopCollector`` reads Whoosh's TopCollector state (its heap and
its matcher), pinned like ``scoring``'s internals by tests/test_scoring.py on indexes with several
segments and deleted documents.  Imports ``matches`` and ``scoring``.
"""

from __future__ import annotations

import heapq

import numpy as np
from whoosh.collectors import FilterCollector, TopCollector, UnlimitedCollector
from whoosh.searching import Searcher

from indexer.matches import listed_scores
from indexer.scoring import FlatOr


def collect(searcher: Searcher, query: FlatOr, allow: np.ndarray | None, depth: int | None):
    """Every match of ``query`` (as ``scoring.scored`` made it) that ``allow`` lets through (a mask
    over the document numbers; None: all), counted exactly, the best ``depth`` of them (None: all)
    kept with their scores.

    BM25F over every match in one pass, which also counts them exactly: Whoosh's defaults skip
    blocks (usequality) and drop sub-queries that can no longer reach the page (replace); on
    these OR queries that saves little, and the total then takes a second pass, or comes out
    short if only replace is left on.
    """
    if depth is not None:
        collector = CountingTopCollector(limit=depth, allow=allow)
    elif allow is None:
        collector = UnlimitedCollector()
    else:  # Whoosh's FilterCollector reads an empty set as "no filter": NOTHING then
        docnums = set(np.flatnonzero(allow).tolist()) or NOTHING
        collector = FilterCollector(UnlimitedCollector(), allow=docnums)
    searcher.search_with_collector(query, collector)
    return collector.results()


NOTHING = {-1}  # a document number no document has


def matched(results) -> np.ndarray:
    """The document numbers of every match of ``collect``'s results (the facets count them)."""
    collector = results.collector
    if isinstance(collector, CountingTopCollector):
        return collector.matched()
    return np.fromiter(results.docs(), dtype=np.intp)


class CountingTopCollector(TopCollector):
    """The best ``limit`` matches, and every match's number as it is scored.

    Whoosh's TopCollector keeps no set of the matches: asked for them (the facets count every
    match) it ran the whole query a second time, unscored, through its union matchers, which
    stepped every branch at every document: 60 % of a 20k search's profile, and more with the
    bridge's translations in the query.  And where the query's scores are already arrays (the
    loose words' ``FlatOr``), the matches are kept as an array and the best taken from it at once,
    not a Python call per match.
    """

    def __init__(self, limit: int, allow: np.ndarray | None = None) -> None:
        """``allow``: a mask over the document numbers of those that may be collected (None: all),
        applied to a segment's arrays at once (Whoosh's FilterCollector asks a set per match)."""
        super().__init__(limit=limit, usequality=False, replace=0)
        self._allow = allow
        self._arrays: list[np.ndarray] = []  # the matches of segments scored as arrays

    def collect_matches(self) -> None:
        listed = None if self.final_fn else listed_scores(self.matcher)
        if listed is None:
            super().collect_matches()
            return
        ids, scores = listed
        docnums = ids + self.offset
        if self._allow is not None:
            allowed = self._allow[docnums]
            docnums, scores = docnums[allowed], scores[allowed]
        self._arrays.append(docnums)
        self.total += len(docnums)
        if len(scores) > self.limit:  # only those scoring at least the limit-th best can be kept
            cut = len(scores) - self.limit
            keep = scores >= np.partition(scores, cut)[cut]
            docnums, scores = docnums[keep], scores[keep]
        # As TopCollector's heap orders them: the higher score, then the lower document number.
        ranked = zip(scores.tolist(), (-docnums).tolist(), strict=True)
        best = heapq.nlargest(self.limit, [*self.items, *ranked])
        heapq.heapify(best)
        self.items = best

    def _collect(self, global_docnum: int, score: float):
        if self._allow is not None and not self._allow[global_docnum]:
            return 0
        self.docset.add(global_docnum)
        return super()._collect(global_docnum, score)

    def matched(self) -> np.ndarray:
        """Every match's document number."""
        collected = [*self._arrays, np.fromiter(self.docset, dtype=np.intp)]
        return np.concatenate(collected)

    def all_ids(self):
        return set(self.matched().tolist())
