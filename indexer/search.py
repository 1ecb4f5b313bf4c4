"""Ranked, highlighted search over the index: the one path the CLI, the web app and eval use.

Queries go through Whoosh's query language (quoted phrases, AND/OR/NOT, ``title:``, ``lang:``) with
two changes: loose words are OR-ed, their scores summed, so documents with more of them rank higher
(natural-language questions work), and each word is analysed like documents are, a compound becoming
"its morphemes, or its 2-syllable pieces" so Kiwi's different cuts in documents and queries still meet.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice, pairwise
from math import log
from pathlib import Path
from weakref import WeakKeyDictionary

from whoosh import query as wq
from whoosh.analysis import Token
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.collectors import FilterCollector, TopCollector
from whoosh.fields import TEXT
from whoosh.highlight import (
    FIRST,
    BasicFragmentScorer,
    Formatter,
    Fragment,
    PinpointFragmenter,
    top_fragments,
)
from whoosh.index import EmptyIndexError
from whoosh.matching import DisjunctionMaxMatcher, ListMatcher, Matcher, NullMatcher, WrappingMatcher
from whoosh.qparser import FieldsPlugin, MultifieldPlugin, OrGroup, QueryParser, RangePlugin
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.searching import Hit as WhooshHit
from whoosh.support.levenshtein import distance

from indexer.analysis import HANGUL_SYLLABLES, SURROGATE, compound_pieces, warm_up
from indexer.index import open_index
from indexer.storage import IndexDamaged

logger = logging.getLogger("dari")

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
# Caps on the work one query can cause (measured on 2,400 documents: 64 words ≈ 0.3 s, while
# twelve uncapped prefixes took 19 s and `[a TO z]` 3.6 s).
MAX_QUERY_WORDS = 64  # distinct analysed words
MAX_WILDCARDS = 4  # `노*`, `polic*`: each is an OR of the indexed words it matches …
MAX_EXPANSIONS = 50  # … of at most this many, the first in the index's word order
MAX_PAGE = 100  # with MAX_PER_PAGE: 10,000 results deep at most, as Elasticsearch's default
LANGS = {"ko": ("ko", "mixed"), "en": ("en", "mixed")}
# Ranking constants, tuned with benchmarks/quality.py (see benchmarks/README.md).
K1, B = 0.6, 0.3  # low B: short documents (sentences, notes) beside long ones stay comparable
TITLE_BOOST = 0.25  # titles are often shared by many documents or repeat the first line
GRAMS_BOOST = 1.0
PROXIMITY_WEIGHT = 2.0
PROXIMITY_WINDOW = 15  # positions (kept words): about a sentence
PHRASE_WEIGHT = 1.0
GRAMS_DEPTH = 200  # the best hits that the bigram bonus reorders (it reads only postings) …
RERANK_DEPTH = 100  # … and the best of those that the proximity and phrase bonuses reorder
SNIPPET_CHARS = 240
FRAGMENT_CHARS = 160  # matches grouped in one passage; 50 characters of context on each side
# An English word of a query, not a field name or value (title:x); did-you-mean corrects these.
LATIN_WORD = re.compile(r"(?<![\w':])[A-Za-z][A-Za-z']*(?![\w':])")
SYNTAX = re.compile(r'["()\[\]{}^~*?:+\-]')  # query-language characters, dropped for a plain-word retry
OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})


class LuceneBM25F(BM25F):
    """BM25F with Lucene's idf, log(1 + (N - df + 0.5) / (df + 0.5)).

    Whoosh's log(N / (df + 1)) + 1 keeps every word worth at least 1, so the common words of a
    question outvote its one rare word.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # Per segment reader and field: each document's length part of the BM25 denominator.
        self._norms: WeakKeyDictionary = WeakKeyDictionary()

    def idf(self, searcher, fieldname: str, text) -> float:
        parent = searcher.get_parent()
        df = parent.doc_frequency(fieldname, text)
        return log(1 + (parent.doc_count_all() - df + 0.5) / (df + 0.5))

    def scorer(self, searcher, fieldname: str, text, qf: int = 1):
        if not searcher.schema[fieldname].scorable or not searcher.is_atomic():
            # A multi-segment searcher's own scorer is never used: each segment gets one.
            return super().scorer(searcher, fieldname, text, qf)
        return NormsScorer(searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1,
                           qf, self._norms_of(searcher, fieldname))

    def load_norms(self, searcher) -> None:
        """Compute the norms of every segment and scored field now (~35 ms at 20k documents), so
        that a searcher's first query does not pay them."""
        for segment, _ in searcher.subsearchers or [(searcher, 0)]:  # None: one segment
            for fieldname in searcher.schema.scorable_names():
                self._norms_of(segment, fieldname)

    def _norms_of(self, searcher, fieldname: str) -> list[float]:
        """``K1 * (1 - B + B * length / average length)`` of every document of the segment."""
        reader = searcher.reader()
        by_field = self._norms.setdefault(reader, {})
        if fieldname not in by_field:
            avgfl = searcher.get_parent().avg_field_length(fieldname) or 1
            b = self._field_B.get(fieldname, self.B)
            lengths = (reader.doc_field_length(docnum, fieldname) or 0  # None: no words
                       for docnum in range(reader.doc_count_all()))
            by_field[fieldname] = [self.K1 * ((1 - b) + b * length / avgfl) for length in lengths]
        return by_field[fieldname]


class NormsScorer(BM25FScorer):
    """Whoosh's BM25F scorer with each document's length norm read from a list, as Lucene keeps
    its norms: Whoosh looks the field length up in a column for every posting scored."""

    def __init__(self, searcher, fieldname, text, B, K1, qf, norms: list[float]) -> None:
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)
        self._norms = norms
        self._k1_plus_1 = K1 + 1

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

    def _matcher(self, subs, searcher, context) -> Matcher:
        if context is not None and context.weighting is None:  # unscored, e.g. as a filter
            return super()._matcher(subs, searcher, context)
        scores = _summed_scores(subs, searcher, context)
        if not scores:
            return NullMatcher()
        docnums = sorted(scores)
        return ListMatcher(docnums, [scores[docnum] * self.boost for docnum in docnums])


def _summed_scores(subs: list[wq.Query], searcher, context) -> dict[int, float]:
    """Each document's summed score over ``subs``; a nested plain OR (a word in title and body)
    is summed first, as Whoosh's union of it does."""
    scores: dict[int, float] = defaultdict(float)
    for sub in subs:
        if type(sub) is wq.Or:
            for docnum, score in _summed_scores(sub.subqueries, searcher, context).items():
                scores[docnum] += score * sub.boost
        else:
            add_scores(sub.matcher(searcher, context), scores)
    return scores


def add_scores(matcher: Matcher, scores: dict[int, float]) -> None:
    """Add the score of each document ``matcher`` matches into ``scores``.

    A word's postings (a stored term, boosted or not, scored by NormsScorer) are read a block
    at a time from Whoosh's W3 leaf matcher, which otherwise takes five method calls a posting;
    the arithmetic is NormsScorer's, in the same order, so each posting scores the same.
    This reads the matcher's block attributes: whoosh-reloaded is pinned for it, and
    tests/test_scoring.py compares the scores with Whoosh's own.
    """
    leaf, boost = (matcher.child, matcher.boost) if type(matcher) is WrappingMatcher else (matcher, 1.0)
    if type(leaf) is not W3LeafMatcher or type(leaf.scorer) is not NormsScorer:
        while matcher.is_active():
            scores[matcher.id()] += matcher.score()
            matcher.next()
        return
    scorer = leaf.scorer
    idf, k1_plus_1, norms = scorer.idf, scorer._k1_plus_1, scorer._norms
    while leaf.is_active():
        leaf.id(), leaf.weight()  # load the block's docnums and term frequencies
        start = leaf._i
        for docnum, tf in zip(leaf._ids[start:], leaf._weights[start:], strict=True):
            scores[docnum] += idf * ((tf * k1_plus_1) / (tf + norms[docnum])) * boost
        leaf._next_block()


class FlatOrGroup(OrGroup):
    """The parser's group for loose words, built as a FlatOr."""

    qclass = FlatOr


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


class QueryError(ValueError):
    """A query or paging parameter the user has to fix; the message says how."""


@dataclass
class Hit:
    id: str
    title: str
    lang: str
    score: float
    snippet: str  # escaped HTML; only <mark> is markup
    path: str


@dataclass
class SearchResults:
    query: str
    total: int
    took_ms: float
    hits: list[Hit] = field(default_factory=list)
    page: int = 1
    per_page: int = 10
    suggestion: str | None = None


class BilingualParser(QueryParser):
    """Whoosh's parser, with compounds expanded to 'morphemes AND' or 'pieces AND'."""

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):
        field_type = self.schema[fieldname] if fieldname in self.schema else None  # noqa: SIM401
        if not isinstance(field_type, TEXT) or not tokenize:
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        tokens = list(field_type.analyzer(text, positions=True, mode="expand"))
        words = [t.text for t in tokens if not t.piece]
        if not words:
            return wq.NullQuery
        # The same word cut into 2-syllable pieces: long Hangul words give way to their pieces.
        pieces = [t.text for t in tokens if t.piece or not HANGUL_SYLLABLES.match(t.text) or len(t.text) < 3]
        whole = _all_of(fieldname, words, termclass, boost)
        if not pieces or pieces == words:
            return whole
        # The better of the two cuts counts, not their sum (which made long words outweigh the
        # rest of a question); pieces are scaled to the word count for the same reason.
        scale = len(set(words)) / len(set(pieces))
        return BetterOf([whole, _all_of(fieldname, pieces, termclass, boost * scale)])


def exclude_negations(query: wq.Query) -> wq.Query:
    """Make ``a b NOT c`` mean "a or b, but never c", as in Lucene and Elasticsearch.

    Whoosh's OR group would otherwise turn ``NOT c`` into "anything without c" and match nearly
    every document.
    """
    query = query.apply(exclude_negations) if query.is_leaf() is False else query
    if isinstance(query, wq.Or):
        negated = [child.query for child in query.subqueries if isinstance(child, wq.Not)]
        kept = [child for child in query.subqueries if not isinstance(child, wq.Not)]
        if negated and kept:
            positive = kept[0] if len(kept) == 1 else query.__class__(kept, boost=query.boost)
            return wq.AndNot(positive, wq.Or(negated))
    return query


def _all_of(fieldname: str, texts: list[str], termclass, boost: float) -> wq.Query:
    terms = [termclass(fieldname, text, boost=boost) for text in dict.fromkeys(texts)]
    return terms[0] if len(terms) == 1 else wq.And(terms)


class MarkFormatter(Formatter):
    """Escape everything and wrap each run of touching or overlapping matches in one <mark>."""

    between = " … "

    def _text(self, text: str) -> str:
        return html.escape(text)

    def format_fragment(self, fragment, replace=False) -> str:
        spans: list[list[int]] = []
        for token in sorted(fragment.matches, key=lambda t: t.startchar):
            if spans and token.startchar <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], token.endchar)
            else:
                spans.append([token.startchar, token.endchar])
        out, index, text = [], fragment.startchar, fragment.text
        for start, end in spans:
            out.append(self._text(text[index:start]))
            out.append(f"<mark>{self._text(text[start:end])}</mark>")
            index = end
        out.append(self._text(text[index : fragment.endchar]))
        return "".join(out)


class Snippets:
    """Up to three passages around a hit's matches, from the offsets stored in the index.

    Reading stored offsets (not re-running Kiwi) is fast and marks exactly the surface words that
    matched.  When a long compound matched whole, its 2-syllable pieces are not marked elsewhere
    in the text (``국제노동기구`` should not light up every ``노동``), unless typed as words.
    """

    def __init__(self) -> None:
        self.fragmenter = PinpointFragmenter(
            maxchars=FRAGMENT_CHARS, surround=50, autotrim=True, charlimit=None
        )
        self.scorer = BasicFragmentScorer()
        self.formatter = MarkFormatter()

    def __call__(self, body: str, tokens: list[Token]) -> str:
        fragments = self.fragmenter.fragment_matches(body, tokens)
        best = top_fragments(fragments, 3, self.scorer, FIRST)
        return self.formatter.format(best) if best else _leading_text(body)

    def whole(self, text: str, tokens: list[Token]) -> str:
        """All of ``text``, escaped, with every match marked (the document page)."""
        return self.formatter.format_fragment(Fragment(text, tokens, 0, len(text)))


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
        if not segment.reader().doc_frequency(fieldname, word):
            continue
        end = offset + segment.reader().doc_count_all()
        local = [docnum - offset for docnum in wanted if offset <= docnum < end]
        if not local:
            continue
        postings = segment.postings(fieldname, word)
        for docnum in _positioned(postings, local):
            yield offset + docnum, postings


def _positioned(postings: W3LeafMatcher, docnums: list[int]) -> Iterator[int]:
    """Move ``postings`` onto each of the sorted ``docnums`` it holds, yielding those.

    Reads the W3 leaf matcher's block attributes, as ``add_scores`` does (the index's codec is a
    W3 codec, so every stored word's postings are one).
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


def matched_offsets(searcher, query: wq.Query, docnums: list[int]) -> dict[int, dict[str, list]]:
    """For each shown hit, the query's body words it contains with their stored (pos, start, end).

    Done for the page only: asking Whoosh for every match's terms (``terms=True``) costs a lookup
    per match and term.
    """
    found: dict[int, dict[str, list]] = {docnum: {} for docnum in docnums}
    body = searcher.schema["body"]
    for _, text in query.existing_terms(searcher.reader(), expand=True, fieldname="body"):
        word = body.from_bytes(text)
        for docnum, postings in postings_at(searcher, "body", word, docnums):
            found[docnum][word] = postings.value_as("characters")
    return found


def match_tokens(offsets: dict[str, list], typed_words: set[str]) -> list[Token]:
    """The body's matched words, in text order, as tokens carrying their stored offsets."""
    hidden = {piece for word in offsets for piece in compound_pieces(word)} - typed_words
    tokens = [
        Token(text=word, startchar=start, endchar=end)
        for word, spans in offsets.items()
        if word not in hidden
        for _, start, end in spans
    ]
    tokens.sort(key=lambda token: token.startchar)
    return tokens


def proximity_bonuses(
    searcher, hits, offsets: dict[int, dict[str, list]], typed_words: set[str]
) -> list[float]:
    """Per hit, the idf sum of the distinct typed words in its best PROXIMITY_WINDOW positions.

    A question's words tend to meet in the one sentence that answers it, while a passage that
    only mentions the same topic spreads them out; plain BM25 does not see where words are.
    A typed word in the title counts as present in every window: the title is what each
    sentence is about (a paragraph of the article 김영삼 need not repeat his name).
    Only the words as typed count: a compound's 2-syllable pieces also match inside other words
    (대통 of 대통령 in 대통합), which brought unrelated passages up.  Positions come from the
    stored (pos, start, end) of ``matched_offsets``.
    """
    in_title = title_matches(searcher, typed_words, [hit.docnum for hit in hits])
    bonuses = []
    for hit in hits:
        titled = in_title[hit.docnum]
        words = {
            word: spans
            for word, spans in offsets[hit.docnum].items()
            if word in typed_words and word not in titled
        }
        idfs = {word: searcher.idf("body", word) for word in words}
        occurrences = sorted((pos, word) for word, spans in words.items() for pos, _, _ in spans)
        window = _best_window(occurrences, idfs, PROXIMITY_WINDOW)
        bonuses.append(window + sum(searcher.idf("body", word) for word in titled))
    return bonuses


def phrase_bonuses(searcher, hits, offsets: dict[int, dict[str, list]], typed: list[str]) -> list[float]:
    """Per hit, the mean idf of each pair of neighbouring typed words that its body holds side by
    side, in the typed order.

    Neighbouring words of a query often name one thing (유럽 뮤직 어워드, boundary layer): a
    passage holding the phrase should beat one holding its words apart (멜론 뮤직 어워드 … 유럽),
    which the window bonus cannot tell.  This is the ordered-pair feature of Metzler and Croft's
    sequential dependence model.  Positions count kept words, so particles and stopwords between
    two words do not part them.
    """
    pairs = [pair for pair in dict.fromkeys(pairwise(typed)) if pair[0] != pair[1]]
    bonuses = []
    for hit in hits:
        found = offsets[hit.docnum]
        bonus = 0.0
        for first, second in pairs:
            if first in found and second in found:
                after_first = {pos + 1 for pos, _, _ in found[first]}
                if any(pos in after_first for pos, _, _ in found[second]):
                    bonus += (searcher.idf("body", first) + searcher.idf("body", second)) / 2
        bonuses.append(bonus)
    return bonuses


def gram_scores(searcher, grams: list[str], docnums: list[int]) -> dict[int, float]:
    """Per hit, the BM25 score of the query's Hangul bigrams in the ``grams`` field.

    A bonus that only reorders the best hits of the word query, so a compound still needs all
    its morphemes to match, while documents sharing the query's syllables (however Kiwi cut
    them) move up.  Read for those hits only: matching the bigrams as part of the query cost
    more than the words themselves.
    """
    scores = dict.fromkeys(docnums, 0.0)
    for gram in grams:
        for docnum, postings in postings_at(searcher, "grams", gram, docnums):
            scores[docnum] += postings.score()
    return scores


def title_matches(searcher, words: set[str], docnums: list[int]) -> dict[int, set[str]]:
    """For each docnum, which of ``words`` its title holds."""
    found: dict[int, set[str]] = {docnum: set() for docnum in docnums}
    for word in words:
        for docnum, _ in postings_at(searcher, "title", word, docnums):
            found[docnum].add(word)
    return found


def _best_window(occurrences: list[tuple[int, str]], idfs: dict[str, float], width: int) -> float:
    """The largest idf sum of distinct words within ``width`` consecutive positions (a sliding
    window over the sorted occurrences)."""
    best = total = 0.0
    inside: dict[str, int] = {}
    first = 0
    for pos, word in occurrences:
        inside[word] = inside.get(word, 0) + 1
        if inside[word] == 1:
            total += idfs[word]
        while occurrences[first][0] <= pos - width:
            leaving = occurrences[first][1]
            inside[leaving] -= 1
            if not inside[leaving]:
                total -= idfs[leaving]
            first += 1
        best = max(best, total)
    return best


def _best_first(scored: Iterable[tuple[WhooshHit, float]]) -> list[tuple[WhooshHit, float]]:
    return sorted(scored, key=lambda pair: -pair[1])


def _leading_text(text: str) -> str:
    """The start of a document, escaped, for hits whose body holds no match (title-only hits)."""
    snippet = text[:SNIPPET_CHARS]
    return html.escape(snippet) + ("…" if len(text) > SNIPPET_CHARS else "")


class SearchEngine:
    """One open index and its searcher, refreshed when a reindex commits."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._index = open_index(self.index_dir)
        self._weighting = LuceneBM25F(B=B, K1=K1)
        self._commit = self._newest_commit()  # before the searcher: a commit between them is seen later
        self._searcher = self._index.searcher(weighting=self._weighting)
        self._weighting.load_norms(self._searcher)
        self._parser = BilingualParser(None, self._index.schema, group=FlatOrGroup)
        self._parser.add_plugin(MultifieldPlugin(["title", "body"], {"title": TITLE_BOOST}))
        # Ranges over analysed words expand to most of the index; stored-only fields (hash, size)
        # make Whoosh raise: `hash:x` and `[a TO z]` are searched as plain words instead.
        self._parser.remove_plugin_class(RangePlugin)
        searchable = "|".join(name for name, field_type in self._index.schema.items() if field_type.indexed)
        self._parser.replace_plugin(FieldsPlugin(expr=rf"(?P<text>{searchable}):"))
        self._grams = self._index.schema["grams"].analyzer if "grams" in self._index.schema else None
        self._analyzer = self._index.schema["body"].analyzer
        self._snippets = Snippets()
        warm_up()  # the first Kiwi call costs ~2 s: pay it at start-up, not on a user's query
        self._lock = threading.Lock()  # Whoosh searchers are not safe to share across threads

    def refresh(self) -> None:
        """Switch to the newest commit, if there is one (cheap when there is none)."""
        with self._lock:
            self._refresh()

    def _refresh(self) -> None:
        commit = self._newest_commit()
        if commit is None or commit == self._commit:
            # None: the index folder was removed or emptied.  The open searcher still reads the
            # files it holds, so it answers from them until a reindex writes a new index there.
            return
        # A new searcher, not Searcher.refresh(): Whoosh 2.7's reader reuse adds the old
        # segments back, so documents removed by a rebuild would reappear.
        try:
            new = self._index.searcher(weighting=self._weighting)
            self._weighting.load_norms(new)
        except (EmptyIndexError, OSError):  # removed again meanwhile
            return
        except IndexDamaged as error:  # no commit can be read: keep answering from the open one
            logger.warning("Warning: %s", error)
            self._commit = commit  # said once, not at every request
            return
        old, self._searcher, self._commit = self._searcher, new, commit
        old.close()

    def _newest_commit(self) -> tuple[int, int, int] | None:
        """The newest commit's generation and its table of contents' inode and time (None: no index).

        Not the generation alone: an index deleted and built again starts counting from 1 again.
        """
        generation = self._index.latest_generation()
        toc = self.index_dir / f"_{self._index.indexname}_{generation}.toc"
        try:
            stat = toc.stat()
        except OSError:
            return None
        return generation, stat.st_ino, stat.st_mtime_ns

    def doc_count(self) -> int:
        with self._lock:
            self._refresh()
            return self._searcher.doc_count()

    def last_commit(self) -> datetime:
        """When the index's newest commit was written (what /api/health reports)."""
        return datetime.fromtimestamp(self._index.last_modified(), tz=UTC)

    def get_document(self, doc_id: str) -> dict | None:
        with self._lock:
            self._refresh()
            return self._searcher.document(id=doc_id)

    def mark_document(self, doc_id: str, query: str) -> str | None:
        """The document's whole body, escaped, with every match of ``query`` marked (None: no such id).

        An empty query marks nothing; the matches are the ones a search would highlight.
        """
        query = SURROGATE.sub("\ufffd", query)
        if query.strip():
            _validate(query, None, 1, 1)
            parsed, typed = self._parse(query)
        with self._lock:
            self._refresh()
            docnum = self._searcher.document_number(id=doc_id)
            if docnum is None:
                return None
            body = self._searcher.stored_fields(docnum)["body"]
            tokens: list[Token] = []
            if query.strip():
                bounded = self._bounded(parsed)
                if self._searcher.search(bounded, filter={docnum}, limit=1):
                    offsets = matched_offsets(self._searcher, bounded, [docnum])[docnum]
                    tokens = match_tokens(offsets, set(typed))
            return self._snippets.whole(body, tokens)

    def search(
        self, query: str, *, lang: str | None = None, page: int = 1, per_page: int = 10
    ) -> SearchResults:
        """The ``page``-th page of hits for ``query``, best first, with highlighted snippets."""
        query = SURROGATE.sub("\ufffd", query)  # undecodable command-line bytes: unprintable
        _validate(query, lang, page, per_page)
        started = time.perf_counter()
        parsed, typed = self._parse(query)
        typed_words = set(typed)
        grams = self._query_grams(query)
        with self._lock:
            self._refresh()
            total, ranked, offsets = self._ranked(self._bounded(parsed), grams, typed, lang, page, per_page)
            hits = [
                self._hit(hit, score, match_tokens(offsets[hit.docnum], typed_words))
                for hit, score in ranked
            ]
            suggestion = self._suggest(query)
        took_ms = (time.perf_counter() - started) * 1000
        return SearchResults(query, total, round(took_ms, 2), hits, page, per_page, suggestion)

    def _ranked(
        self,
        query: wq.Query,
        grams: list[str],
        typed: list[str],
        lang: str | None,
        page: int,
        per_page: int,
    ) -> tuple[int, list, dict[int, dict[str, list]]]:
        """The total, the page's (hit, score) and the body offsets of the hits looked at.

        BM25F over every match in one pass, which also counts them exactly: Whoosh's defaults skip
        blocks (usequality) and drop sub-queries that can no longer reach the page (replace); on
        these OR queries that saves little, and the total then takes a second pass, or comes out
        short if only replace is left on.  Then two reorderings, the cheaper one deeper: the top
        GRAMS_DEPTH by the bigram bonus, and the top RERANK_DEPTH of those by the proximity and
        phrase bonuses (bonuses are never negative, so deeper hits stay below).  A page past the
        end is empty.
        """
        top = TopCollector(limit=max(page * per_page, GRAMS_DEPTH), usequality=False, replace=0)
        lang_filter = _lang_filter(lang)
        collector = top if lang_filter is None else FilterCollector(top, allow=lang_filter)
        self._searcher.search_with_collector(query, collector)
        results = collector.results()
        hits = list(results)
        pool = hits[:GRAMS_DEPTH]
        bigrams = gram_scores(self._searcher, grams, [hit.docnum for hit in pool])
        pooled = _best_first((hit, hit.score + GRAMS_BOOST * bigrams[hit.docnum]) for hit in pool)
        head = [hit for hit, _ in pooled[:RERANK_DEPTH]]
        offsets = matched_offsets(self._searcher, query, [hit.docnum for hit in head])
        proximity = proximity_bonuses(self._searcher, head, offsets, set(typed))
        phrases = phrase_bonuses(self._searcher, head, offsets, typed)
        rescored = _best_first(
            (hit, score + PROXIMITY_WEIGHT * near + PHRASE_WEIGHT * phrase)
            for (hit, score), near, phrase in zip(pooled[:RERANK_DEPTH], proximity, phrases, strict=True)
        )
        rescored += pooled[RERANK_DEPTH:] + [(hit, hit.score) for hit in hits[GRAMS_DEPTH:]]
        shown = rescored[(page - 1) * per_page : page * per_page]
        deeper = [hit.docnum for hit, _ in shown if hit.docnum not in offsets]
        offsets.update(matched_offsets(self._searcher, query, deeper))
        return len(results), shown, offsets

    def _query_grams(self, query: str) -> list[str]:
        """The query's Hangul bigrams, for the bonus of documents that share its syllables."""
        return sorted({token.text for token in self._grams(query)}) if self._grams else []

    def _suggest(self, query: str) -> str | None:
        """Did-you-mean: the query with each English word found in no document replaced by the
        nearest word that is (None when every word is known)."""
        changed = False

        def fix(match: re.Match) -> str:
            nonlocal changed
            word = match.group(0)
            better = None if word in OPERATORS else self._nearest_word(word)
            changed = changed or better is not None
            return better or word

        suggestion = LATIN_WORD.sub(fix, query)
        return suggestion if changed else None

    def _nearest_word(self, word: str) -> str | None:
        """The indexed word closest to an unknown ``word``, spelt as the documents spell it.

        Candidates are indexed stems near the typed word or near its stem (a misspelling can stem
        oddly: ``artifical`` → ``artif``); the winner is the spelling closest to what was typed.
        """
        terms = [token.text for token in self._analyzer(word, mode="query")]
        reader = self._searcher.reader()
        if (
            len(word) < 3
            or len(terms) != 1
            or any(reader.doc_frequency(fieldname, terms[0]) for fieldname in ("body", "title"))
        ):
            return None
        typed = word.lower()
        maxdist = 1 if len(typed) <= 4 else 2
        candidates = {
            candidate
            for text in {terms[0], typed}
            for candidate in reader.terms_within("body", text, maxdist, prefix=1)
        }
        ranked = sorted(
            candidates,
            key=lambda c: (min(distance(c, terms[0]), distance(c, typed)), -reader.doc_frequency("body", c)),
        )
        spellings = {spelling for candidate in ranked[:8] for spelling in self._spellings(candidate)}
        if not spellings:
            return None
        best = min(spellings, key=lambda spelling: (distance(spelling, typed), spelling))
        return best.capitalize() if word[:1].isupper() else best

    def _spellings(self, term: str, docs: int = 2) -> set[str]:
        """How the first few documents holding ``term`` (a stem) write it, lowercased."""
        postings = self._searcher.postings("body", term)
        spellings: set[str] = set()
        for _ in range(docs):
            if not postings.is_active():
                break
            body = self._searcher.stored_fields(postings.id())["body"]
            spellings.update(body[start:end].lower() for _, start, end in postings.value_as("characters"))
            postings.next()
        return spellings

    def _parse(self, query: str) -> tuple[wq.Query, list[str]]:
        """The query tree and the words typed, in order, or QueryError when the query asks for
        too much work."""
        typed = [token.text for token in self._analyzer(query, mode="query")]
        if len(set(typed)) > MAX_QUERY_WORDS:
            raise QueryError(
                f"The query has {len(set(typed))} different words; the limit is {MAX_QUERY_WORDS}."
            )
        parsed = exclude_negations(self._parse_syntax(query))
        wildcards = {leaf.text for leaf in parsed.leaves() if isinstance(leaf, wq.MultiTerm)}
        if len(wildcards) > MAX_WILDCARDS:
            raise QueryError(f"The query has {len(wildcards)} wildcards; the limit is {MAX_WILDCARDS}.")
        return parsed, typed

    def _parse_syntax(self, query: str) -> wq.Query:
        """Whoosh's parse, or, where its grammar trips (``NOT AND "`` raises IndexError), the same
        text searched as plain words, as Elasticsearch's simple_query_string would."""
        try:
            return self._parser.parse(query)
        except Exception:  # noqa: BLE001 — any parser bug: fall back to plain words
            plain = SYNTAX.sub(" ", query)
            plain = re.sub(r"\b(AND|OR|NOT|TO)\b", lambda m: m.group(0).lower(), plain)
            return self._parser.parse(plain)

    def _bounded(self, parsed: wq.Query) -> wq.Query:
        """``parsed`` with each wildcard expanded, within MAX_EXPANSIONS (call holding the lock)."""
        return parsed.accept(lambda query: _capped_expansion(query, self._searcher.reader()))

    def _hit(self, hit, score: float, tokens: list[Token]) -> Hit:
        return Hit(
            id=hit["id"],
            title=hit["title"],
            lang=hit["lang"],
            score=round(score, 4),
            snippet=self._snippets(hit["body"], tokens),
            path=hit["path"],
        )


def _capped_expansion(query: wq.Query, reader) -> wq.Query:
    """A wildcard as an OR of at most MAX_EXPANSIONS indexed words (Whoosh would OR all of them)."""
    if not isinstance(query, wq.MultiTerm):
        return query
    field_type = reader.schema[query.field()]
    words = [
        wq.Term(fieldname, field_type.from_bytes(btext), boost=query.boost)
        for fieldname, btext in islice(query.expanded_terms(reader), MAX_EXPANSIONS)
    ]
    return wq.Or(words) if words else wq.NullQuery


def _validate(query: str, lang: str | None, page: int, per_page: int) -> None:
    if not query or not query.strip():
        raise QueryError("The query is empty.")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is longer than {MAX_QUERY_CHARS} characters.")
    if lang not in (None, "all", *LANGS):
        raise QueryError(f"Unknown language {lang!r}: use ko, en or all.")
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(f"page must be between 1 and {MAX_PAGE}.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}.")


def _lang_filter(lang: str | None) -> wq.Query | None:
    """Korean or English documents; mixed documents belong to both."""
    if lang in LANGS:
        return wq.Or([wq.Term("lang", code) for code in LANGS[lang]])
    return None
