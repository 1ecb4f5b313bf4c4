"""How a query is scored, fast: the scoring room, with ``matches`` (a word's postings read whole as
arrays), ``positions`` (where the words stand in the hits) and ``collector`` (the best kept); every
use of Whoosh's internals is in these four, each pinned to Whoosh's own results by
tests/test_scoring.py (also on indexes with several segments and deleted documents).

- ``LuceneBM25F``/``NormsScorer``: BM25F with Lucene's idf, each document's length norm from a list.
- ``FlatOr``: the loose words of a query scored one word at a time, a word's postings as numpy
  arrays (``Scored``), instead of Whoosh's tree of union matchers; a compound's better cut
  (``BetterOf`` of ``Word``s) is taken from its terms' scores the same way.
- ``BetterOf``: Whoosh's DisjunctionMax with its scoring of other documents' matches fixed.

``scored(query)`` turns what ``query`` parsed into these.  Reads the private attributes of Whoosh's
W3 leaf matcher (and of ``blocks.ArrayBlockMatcher``, which fills them as arrays): whoosh-reloaded is
pinned for it.  Imports ``matches`` and ``query``.
"""

from __future__ import annotations

from functools import lru_cache
from math import log
from weakref import WeakKeyDictionary

import numpy as np
from whoosh import query as wq
from whoosh.matching import (
    AndNotMatcher,
    DisjunctionMaxMatcher,
    Matcher,
    NullMatcher,
)
from whoosh.scoring import BM25F, BM25FScorer

from indexer.matches import Scored, ScoresMatcher, leaf_postings, listed_scores, live, raw_postings, summed
from indexer.query import LooseWords, Word

K1, B = 0.6, 0.3  # low B: short documents (sentences, notes) beside long ones stay comparable (tuned)
MAX_MATCH_CHARS = 200_000  # matches past this many characters of a body are not highlighted or reranked
REMEMBERED_FREQUENCIES = 50_000  # words' document frequencies a reader keeps (a few MB)


def scored(query: wq.Query) -> FlatOr:
    """``query`` with its loose words as a FlatOr, each DisjunctionMax as a BetterOf and each
    exclusion as Excluding; a query of one word is a FlatOr of it, so its scores are listed too."""
    fast = query.accept(_fast)
    return fast if type(fast) is FlatOr else FlatOr([fast])


def _fast(node: wq.Query) -> wq.Query:
    if type(node) is LooseWords:
        return FlatOr(node.subqueries, boost=node.boost)
    if type(node) is wq.DisjunctionMax:
        return BetterOf(node.subqueries, boost=node.boost, tiebreak=node.tiebreak)
    if type(node) is wq.AndNot:
        return Excluding(node.a, node.b)
    return node


class LuceneBM25F(BM25F):
    """BM25F with Lucene's idf, log(1 + (N - df + 0.5) / (df + 0.5)).

    Whoosh's log(N / (df + 1)) + 1 keeps every word worth at least 1, so the common words of a
    question outvote its one rare word.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # Per segment reader and field: each document's length part of the BM25 denominator, as a
        # list (a posting at a time) and as an array (a word's postings at once).
        self._norms: WeakKeyDictionary = WeakKeyDictionary()
        self._norm_arrays: WeakKeyDictionary = WeakKeyDictionary()

    def idf(self, searcher, fieldname: str, text) -> float:
        parent = searcher.get_parent()
        df = parent.doc_frequency(fieldname, text)
        return log(1 + (parent.doc_count_all() - df + 0.5) / (df + 0.5))

    def scorer(self, searcher, fieldname: str, text, qf: int = 1):
        if not searcher.schema[fieldname].scorable or not searcher.is_atomic():
            # A multi-segment searcher's own scorer is never used: each segment gets one.
            return super().scorer(searcher, fieldname, text, qf)
        return NormsScorer(
            searcher,
            fieldname,
            text,
            self._field_B.get(fieldname, self.B),
            self.K1,
            qf,
            self.norms(searcher, fieldname),
            self.norm_array(searcher, fieldname),
        )

    def load_norms(self, searcher) -> None:
        """Compute the norms of every segment and scored field now (~35 ms at 20k documents), so
        that a searcher's first query does not pay them."""
        for segment, _ in searcher.subsearchers or [(searcher, 0)]:  # None: one segment
            for fieldname in searcher.schema.scorable_names():
                self.norm_array(segment, fieldname)

    def norms(self, searcher, fieldname: str) -> list[float]:
        """``K1 * (1 - B + B * length / average length)`` of every document of the segment."""
        reader = searcher.reader()
        by_field = self._norms.setdefault(reader, {})
        if fieldname not in by_field:
            avgfl = searcher.get_parent().avg_field_length(fieldname) or 1
            b = self._field_B.get(fieldname, self.B)
            lengths = (
                reader.doc_field_length(docnum, fieldname) or 0  # None: no words
                for docnum in range(reader.doc_count_all())
            )
            by_field[fieldname] = [self.K1 * ((1 - b) + b * length / avgfl) for length in lengths]
        return by_field[fieldname]

    def norm_array(self, searcher, fieldname: str) -> np.ndarray:
        """``norms`` as a numpy array (float64: each posting scores what the list's norm gives)."""
        by_field = self._norm_arrays.setdefault(searcher.reader(), {})
        if fieldname not in by_field:
            by_field[fieldname] = np.array(self.norms(searcher, fieldname), dtype=np.float64)
        return by_field[fieldname]


def remember_frequencies(searcher) -> None:
    """Let each reader of ``searcher`` remember the document frequencies it has looked up.

    One search asks for the same words' many times (the bridge's useful translations, the
    postings budget, the synonym groups, each word's idf, the positions' readers), and each ask
    is a hashed lookup in the terms file of every segment.  A reader reads one commit, so what it
    remembers stays true; a search path that reads a newer commit opens new readers.
    """
    segments = [segment.reader() for segment, _ in searcher.subsearchers or []]  # None: one segment
    for reader in [searcher.reader(), *segments]:
        reader.doc_frequency = lru_cache(maxsize=REMEMBERED_FREQUENCIES)(reader.doc_frequency)


class NormsScorer(BM25FScorer):
    """Whoosh's BM25F scorer with each document's length norm read from a list, as Lucene keeps
    its norms: Whoosh looks the field length up in a column for every posting scored."""

    def __init__(
        self, searcher, fieldname, text, B, K1, qf, norms: list[float], norm_array: np.ndarray
    ) -> None:
        # Not BM25FScorer's own set-up: it reads the term's info once more for a best score that
        # only Whoosh's block skipping asks for (a question made ~170 scorers, a tenth of its time).
        parent = searcher.get_parent()
        self.idf = parent.idf(fieldname, text)
        self.avgfl = parent.avg_field_length(fieldname) or 1
        self.B, self.K1, self.qf = B, K1, qf
        self._norms = norms
        self.norm_array = norm_array
        self._k1_plus_1 = K1 + 1
        self._term = searcher, fieldname, text

    def max_quality(self) -> float:
        """The term's best score, as BM25FScorer's set-up computes it, when first asked."""
        searcher, fieldname, text = self._term
        info = searcher.term_info(fieldname, text)
        return self._score(info.max_weight(), info.min_length())

    def score(self, matcher) -> float:
        tf = matcher.weight()
        return self.idf * ((tf * self._k1_plus_1) / (tf + self._norms[matcher.id()]))


class FlatOr(wq.Or):
    """An OR of loose words, scored one sub-query at a time: each one's matches are read once and
    their scores summed per document.

    Whoosh matches an OR through a binary tree of union matchers that steps every branch at every
    document; on a 20k index that is most of a query's time.  Same documents, same scores (but
    for the last bits: the sum is taken in another order).
    (Whoosh's coordination bonus is not applied: the parser's Or lost it to ``Query.apply`` in
    ``exclude_negations`` long before ranking was tuned, and the tuning holds without it.)
    """

    def matcher(self, searcher, context=None) -> Matcher:
        if len(self.subqueries) == 1 and not _unscored(context):
            # Whoosh gives a compound of one query that query's matcher, which lists no scores.
            return self._matcher(self.subqueries, searcher, context)
        return super().matcher(searcher, context)

    def _matcher(self, subs, searcher, context) -> Matcher:
        if _unscored(context):  # e.g. as a filter
            return super()._matcher(subs, searcher, context)
        docnums, scores = live(searcher.reader(), *_summed_scores(subs, searcher, context))
        if not len(docnums):
            return NullMatcher()
        return ScoresMatcher(docnums, scores * self.boost)


def _unscored(context) -> bool:
    return context is not None and context.weighting is None


def _summed_scores(subs: list[wq.Query], searcher, context) -> Scored:
    """Each document's summed score over ``subs`` (deleted documents may be among them); a nested
    plain OR (a word in title and body) is summed first, as Whoosh's union of it does."""
    return summed((_sub_scores(sub, searcher, context) for sub in subs), searcher.reader().doc_count_all())


def _sub_scores(sub: wq.Query, searcher, context) -> Scored:
    """One of a FlatOr's sub-queries' scores: a nested OR's sum, a word's or compound's cut, or
    what its matcher gives."""
    if type(sub) is wq.Or:
        docnums, scores = _summed_scores(sub.subqueries, searcher, context)
        return docnums, scores * sub.boost
    if isinstance(sub, Word | BetterOf) and (cut := _cut_scores(sub, searcher, context)) is not None:
        return cut
    return matcher_scores(sub.matcher(searcher, context))  # a word's term, or another query


def _cut_scores(query: wq.Query, searcher, context) -> Scored | None:
    """The scores of a word or a compound of words from its terms' scores (None: another query).

    A ``Word`` (or ``Pieces``) scores the sum of its terms where all of them stand, a ``BetterOf``
    the better of its cuts, at its boost, as Whoosh's intersection and DisMax matchers score them
    (but for the last bits: the sum is taken in another order), without their Python calls per
    match, which were a fifth of a Korean question's time on 20k documents.
    """
    if type(query) is wq.Term:
        return matcher_scores(query.matcher(searcher, context))
    if not isinstance(query, Word | BetterOf) or not query.subqueries:
        return None
    cuts = [_cut_scores(sub, searcher, context) for sub in query.subqueries]
    if any(cut is None for cut in cuts):
        return None
    if isinstance(query, Word):
        docnums = cuts[0][0]
        for other, _ in cuts[1:]:
            docnums = np.intersect1d(docnums, other, assume_unique=True)
        scores = np.zeros(len(docnums))
        for cut_docnums, cut_scores in cuts:  # in order, from 0.0, as sum() adds them
            scores += cut_scores[np.searchsorted(cut_docnums, docnums)]
    else:
        best = np.full(searcher.reader().doc_count_all(), -np.inf)
        for cut_docnums, cut_scores in cuts:
            best[cut_docnums] = np.maximum(best[cut_docnums], cut_scores)
        docnums = np.flatnonzero(best > -np.inf)
        scores = best[docnums]
    if query.boost == 1.0 or len(cuts) == 1:  # Whoosh's matcher of a compound of one is that one's
        return docnums, scores
    return docnums, scores * query.boost


def matcher_scores(matcher: Matcher) -> Scored:
    """The documents ``matcher`` matches and their scores (deleted documents may be among them).

    Scores already listed (``listed_scores``) are taken as they are.  A word's postings (a stored
    term, boosted or not, scored by NormsScorer) are read whole from Whoosh's W3 leaf matcher
    (``leaf_postings``), which otherwise takes five method calls a posting, and scored at once
    with NormsScorer's arithmetic in the same order, so each posting scores the same float.
    This reads the matcher's block attributes: whoosh-reloaded is pinned for it, and
    tests/test_scoring.py compares the scores with Whoosh's own, with and without deletions.
    """
    if (listed := listed_scores(matcher)) is not None:  # a synonym group's or FlatOr's, made already
        return listed
    leaf, boost, _ = raw_postings(matcher)
    if leaf is None or type(leaf.scorer) is not NormsScorer:
        docnums, scores = [], []
        while matcher.is_active():
            docnums.append(matcher.id())
            scores.append(matcher.score())
            matcher.next()
        return np.array(docnums, dtype=np.intp), np.array(scores, dtype=np.float64)
    scorer = leaf.scorer
    docnums, tfs = leaf_postings(leaf)
    norms = scorer.norm_array[docnums]
    return docnums, scorer.idf * ((tfs * scorer._k1_plus_1) / (tfs + norms)) * boost


class ExcludingMatcher(AndNotMatcher):
    """Whoosh's AndNotMatcher, which drops a first match the excluded side holds too.

    Whoosh skips past excluded documents at the start only when both sides begin on the same
    document: ``heatwave -Bangkok``, where Bangkok's first document comes before heatwave's, found
    heatwave's first document although it says Bangkok (found by tests/test_reindex_model.py).
    """

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class Excluding(wq.AndNot):
    """``a`` without the documents of ``b`` (``-word``), matched by ExcludingMatcher."""

    def matcher(self, searcher, context=None):
        return ExcludingMatcher(
            self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context())
        )


class BetterOfMatcher(DisjunctionMaxMatcher):
    """Whoosh's DisMax matcher, scoring only the children on the current document.

    Whoosh's takes the max of both children's scores whenever both are active, also when one
    of them stands on a later document: a compound then scored what its whole word scored in
    some other document, so its score depended on unrelated documents and on how the index
    was cut into segments.
    """

    def score(self) -> float:
        a, b = self.a, self.b
        if not b.is_active() or (a.is_active() and a.id() < b.id()):
            return a.score()
        if not a.is_active() or b.id() < a.id():
            return b.score()
        return max(a.score(), b.score())


class BetterOf(wq.DisjunctionMax):
    """A document's best score among the sub-queries (Whoosh's DisjunctionMax, fixed)."""

    def _matcher(self, subs, searcher, context) -> Matcher:
        reader = searcher.reader()
        return self._tree_matcher(subs, BetterOfMatcher, searcher, context, lambda q: q.estimate_size(reader))
