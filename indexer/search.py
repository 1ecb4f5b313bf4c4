"""Search: the one path the CLI, the web app and eval use, and the only module they import for it.

``SearchEngine`` holds the open index and its searcher (refreshed when a reindex commits) and runs
each search through the steps, one module each: ``query`` parses and caps what was typed,
``scoring`` collects every match by BM25F, ``rerank`` reorders the best, ``highlight`` marks the
page's hits; ``forgive`` reads unknown words as what they were probably meant to be (searched beside
them unless ``fuzzy=False``) and offers the did-you-mean.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from whoosh import query as wq
from whoosh.collectors import FilterCollector, TopCollector
from whoosh.index import EmptyIndexError

from indexer.analysis import SURROGATE, warm_up
from indexer.forgive import Forgiver
from indexer.highlight import Span, Unit, mark, query_units, snippet, unit_spans
from indexer.index import open_index
from indexer.query import (
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY_CHARS,
    BilingualParser,
    ParsedQuery,
    QueryError,
    all_of,
    expand_wildcards,
    lang_filter,
    split_filters,
    validate,
)
from indexer.rerank import GRAMS_DEPTH, HitOffsets, reranked
from indexer.scoring import K1, MAX_MATCH_CHARS, B, LuceneBM25F, matched_offsets, scored
from indexer.storage import CommitFile, IndexDamaged

logger = logging.getLogger("dari")

# What the web app and the CLI need of the steps, through this module alone.
__all__ = [
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "MAX_QUERY_CHARS",
    "Hit",
    "QueryError",
    "SearchEngine",
    "SearchResults",
]


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
    corrected: dict[str, str] = field(default_factory=dict)  # a word that found nothing → searched as
    typed_in: str | None = None  # "english-mode" / "korean-mode": the keyboard was in the other mode
    read_as: str = ""  # the query as searched (with ``corrected`` applied)


class SearchEngine:
    """One open index and its searcher, refreshed when a reindex commits."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self._index = open_index(self.index_dir)
        self._weighting = LuceneBM25F(B=B, K1=K1)
        self._commit = self._newest_commit()  # before the searcher: a commit between them is seen later
        self._searcher = self._index.searcher(weighting=self._weighting)
        self._weighting.load_norms(self._searcher)
        self._parser = BilingualParser(self._index.schema)
        self._grams = self._index.schema["grams"].analyzer if "grams" in self._index.schema else None
        self._analyzer = self._index.schema["body"].analyzer
        self._forgiver = Forgiver(self._searcher, self._parser, self._analyzer)
        warm_up()  # the first Kiwi call costs ~2 s: pay it at start-up, not on a user's query
        self._forgiver.vocabulary  # noqa: B018 — and the fuzzy vocabulary's build (benchmarks/README.md)
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
        self._forgiver = Forgiver(new, self._parser, self._analyzer)  # its vocabulary: on first use
        old.close()

    def _newest_commit(self) -> CommitFile | None:
        """The newest commit's table of contents as found on disk (None: no index).

        Not the generation alone: an index deleted and built again starts counting from 1 again.
        """
        commits = self._index.storage.commit_files()
        return commits[0] if commits else None

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
        """The document's body, escaped, with every match of ``query`` marked (None: no such id).

        An empty query marks nothing; the matches are the ones a search would highlight.  Bodies
        longer than MAX_MATCH_CHARS are cut there (a 10 MB text made a 20 MB page).
        """
        query = SURROGATE.sub("\ufffd", query)
        if query.strip():
            validate(query, None, 1, 1)
            parsed = self._parser.read(query)
        with self._lock:
            self._refresh()
            docnum = self._searcher.document_number(id=doc_id)
            if docnum is None:
                return None
            body = self._searcher.stored_fields(docnum)["body"]
            spans: list[Span] = []
            if query.strip():
                bounded = self._bounded(parsed)
                if self._searcher.search(scored(bounded), filter={docnum}, limit=1):
                    offsets = matched_offsets(self._searcher, bounded, [docnum])[docnum]
                    spans = unit_spans(query_units(bounded), offsets, body)
            return mark(body, spans, 0, MAX_MATCH_CHARS) + ("…" if len(body) > MAX_MATCH_CHARS else "")

    def search(
        self, query: str, *, lang: str | None = None, page: int = 1, per_page: int = 10, fuzzy: bool = True
    ) -> SearchResults:
        """The ``page``-th page of hits for ``query``, best first, with highlighted snippets; with
        ``fuzzy``, words that find nothing are also searched as ``forgive`` reads them."""
        query = SURROGATE.sub("\ufffd", query)  # undecodable command-line bytes: unprintable
        validate(query, lang, page, per_page)
        started = time.perf_counter()
        with self._lock:
            self._refresh()
            forgiven = self._forgiver.forgive(query, fuzzy)
            parsed = self._parser.read(query, forgiven.parser_variants(), forgiven.searched)
            grams = self._query_grams(forgiven.searched)
            bounded, filters = split_filters(self._bounded(parsed))
            allow = all_of([*filters, lang_filter(lang)])
            total, ranked, offsets = self._ranked(bounded, grams, parsed.typed, allow, page, per_page)
            units = query_units(bounded)
            hits = [self._hit(hit, score, units, offsets[hit.docnum]) for hit, score in ranked]
        took_ms = (time.perf_counter() - started) * 1000
        return SearchResults(
            query,
            total,
            round(took_ms, 2),
            hits,
            page,
            per_page,
            forgiven.suggestion,
            forgiven.corrected,
            forgiven.typed_in,
            forgiven.searched,
        )

    def _ranked(
        self,
        query: wq.Query,
        grams: list[str],
        typed: list[str],
        allow: wq.Query | None,
        page: int,
        per_page: int,
    ) -> tuple[int, list, HitOffsets]:
        """The total, the page's (hit, score) and the body offsets of the hits looked at (only hits
        ``allow`` matches, if given).

        BM25F over every match in one pass, which also counts them exactly: Whoosh's defaults skip
        blocks (usequality) and drop sub-queries that can no longer reach the page (replace); on
        these OR queries that saves little, and the total then takes a second pass, or comes out
        short if only replace is left on.  Then the rerank bonuses reorder the best; a page past
        the end is empty.
        """
        top = TopCollector(limit=max(page * per_page, GRAMS_DEPTH), usequality=False, replace=0)
        collector = top if allow is None else FilterCollector(top, allow=allow)
        self._searcher.search_with_collector(scored(query), collector)
        results = collector.results()
        rescored, offsets = reranked(self._searcher, query, list(results), grams, typed)
        shown = rescored[(page - 1) * per_page : page * per_page]
        deeper = [hit.docnum for hit, _ in shown if hit.docnum not in offsets]
        offsets.update(matched_offsets(self._searcher, query, deeper))
        return len(results), shown, offsets

    def _query_grams(self, query: str) -> list[str]:
        """The query's Hangul bigrams, for the bonus of documents that share its syllables."""
        return sorted({token.text for token in self._grams(query)}) if self._grams else []

    def _bounded(self, parsed: ParsedQuery) -> wq.Query:
        """``parsed`` with each wildcard expanded (call holding the lock: it reads the index)."""
        return expand_wildcards(parsed.tree, self._searcher.reader())

    def _hit(self, hit, score: float, units: set[Unit], offsets: dict[str, list]) -> Hit:
        body = hit["body"]
        return Hit(
            id=hit["id"],
            title=hit["title"],
            lang=hit["lang"],
            score=round(score, 4),
            snippet=snippet(body, unit_spans(units, offsets, body)),
            path=hit["path"],
        )
