"""Search: the one path the CLI, the web app and eval use, and the only module they import for it.

``SearchEngine`` holds the open index and its searcher (refreshed when a reindex commits) and runs
each search through the steps, one module each: ``query`` parses and caps what was typed,
``scoring`` collects every match by BM25F, ``rerank`` reorders the best, ``highlight`` marks the
page's hits (``paging`` names their pages) and ``suggest`` offers a did-you-mean.
Imports ``analysis``, ``highlight``, ``index``, ``paging``, ``query``, ``rerank``, ``scoring``,
``sources``, ``storage`` and ``suggest``.
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
from whoosh.searching import Searcher

from indexer.analysis import SURROGATE, warm_up
from indexer.highlight import Span, Unit, best_match, query_units, snippet, unit_spans
from indexer.index import open_index
from indexer.paging import marked_pages, page_of
from indexer.query import (
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY_CHARS,
    BilingualParser,
    QueryError,
    all_of,
    expand_wildcards,
    lang_filter,
    split_filters,
    validate,
)
from indexer.rerank import GRAMS_DEPTH, HitOffsets, reranked
from indexer.scoring import K1, MAX_MATCH_CHARS, B, LuceneBM25F, matched_offsets, scored
from indexer.sources import relative_path
from indexer.storage import CommitFile, IndexDamaged
from indexer.suggest import suggestion

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
    "relative_path",
]


@dataclass
class Hit:
    id: str
    title: str
    lang: str
    score: float
    snippet: str  # escaped HTML; only <mark> is markup
    path: str
    page: int | None = None  # of a paged document (PDF, slides): where the snippet's best passage is


@dataclass
class SearchResults:
    query: str
    total: int
    took_ms: float
    hits: list[Hit] = field(default_factory=list)
    page: int = 1
    per_page: int = 10
    suggestion: str | None = None


@dataclass
class _View:
    """A thread's searcher and the commit it reads."""

    commit: CommitFile | None
    searcher: Searcher


class SearchEngine:
    """One open index, and a searcher for each thread that searches it, refreshed when a reindex
    commits.

    Whoosh searchers are not safe to share across threads, and one shared searcher behind a lock
    made every request wait for the slowest (four heavy searches held /api/health for 29 s).  Each
    thread therefore reads through its own searcher, opened on its first request and replaced when
    a newer commit is on disk; nothing is locked on the search path.
    """

    def __init__(self, index_dir: Path, *, warm: bool = True) -> None:
        """``warm``: load Kiwi now (~2 s), so that a long-lived server's first Korean query does not
        wait for it; a one-shot `dari search` skips it and loads Kiwi only for a query with Hangul."""
        self.index_dir = Path(index_dir)
        self._index = open_index(self.index_dir)
        self._parser = BilingualParser(self._index.schema)
        self._grams = self._index.schema["grams"].analyzer if "grams" in self._index.schema else None
        self._analyzer = self._index.schema["body"].analyzer
        self._local = threading.local()
        self._warned: set[CommitFile] = set()  # unreadable commits already logged
        self._current()  # a damaged or unreadable index fails here, not at the first query
        if warm:
            warm_up()

    def refresh(self) -> None:
        """Switch this thread to the newest commit, if there is one (cheap when there is none)."""
        self._current()

    def _current(self) -> Searcher:
        """The calling thread's searcher, at the newest commit that can be read."""
        view: _View | None = getattr(self._local, "view", None)
        commit = self._newest_commit()  # before the searcher: a commit between them is seen later
        if view is not None and (commit is None or commit == view.commit):
            # None: the index folder was removed or emptied.  The open searcher still reads the
            # files it holds, so it answers from them until a reindex writes a new index there.
            return view.searcher
        # A new searcher, not Searcher.refresh(): Whoosh 2.7's reader reuse adds the old
        # segments back, so documents removed by a rebuild would reappear.
        try:
            weighting = LuceneBM25F(B=B, K1=K1)
            searcher = self._index.searcher(weighting=weighting)
            weighting.load_norms(searcher)
        except (EmptyIndexError, OSError):
            if view is None:
                raise
            return view.searcher  # removed again meanwhile
        except IndexDamaged as error:
            if view is None:
                raise
            # No commit can be read: keep answering from the open one, and say so once.
            if commit not in self._warned:
                self._warned.add(commit)
                logger.warning("Warning: %s", error)
            view.commit = commit
            return view.searcher
        if view is not None:
            view.searcher.close()
        self._local.view = _View(commit, searcher)
        return searcher

    def _newest_commit(self) -> CommitFile | None:
        """The newest commit's table of contents as found on disk (None: no index).

        Not the generation alone: an index deleted and built again starts counting from 1 again.
        """
        commits = self._index.storage.commit_files()
        return commits[0] if commits else None

    def doc_count(self) -> int:
        return self._current().doc_count()

    def last_commit(self) -> datetime:
        """When the index's newest commit was written (what /api/health reports)."""
        return datetime.fromtimestamp(self._index.last_modified(), tz=UTC)

    def get_document(self, doc_id: str) -> dict | None:
        return self._current().document(id=doc_id)

    def mark_document(self, doc_id: str, query: str) -> str | None:
        """The document's body, escaped, with every match of ``query`` marked and its page breaks
        shown (None: no such id).

        An empty query marks nothing; the matches are the ones a search would highlight.  Bodies
        longer than MAX_MATCH_CHARS are cut there (a 10 MB text made a 20 MB page).
        """
        query = SURROGATE.sub("\ufffd", query)
        if query.strip():
            validate(query, None, 1, 1)
            parsed = self._parser.read(query)
        searcher = self._current()
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            return None
        stored = searcher.stored_fields(docnum)
        body = stored["body"]
        spans: list[Span] = []
        if query.strip():
            bounded = expand_wildcards(parsed.tree, searcher.reader())
            if searcher.search(scored(bounded), filter={docnum}, limit=1):
                offsets = matched_offsets(searcher, bounded, [docnum])[docnum]
                spans = unit_spans(query_units(bounded), offsets, body)
        marked = marked_pages(body, spans, stored.get("pages"), MAX_MATCH_CHARS)
        return marked + ("…" if len(body) > MAX_MATCH_CHARS else "")

    def search(
        self, query: str, *, lang: str | None = None, page: int = 1, per_page: int = 10
    ) -> SearchResults:
        """The ``page``-th page of hits for ``query``, best first, with highlighted snippets."""
        query = SURROGATE.sub("\ufffd", query)  # undecodable command-line bytes: unprintable
        validate(query, lang, page, per_page)
        started = time.perf_counter()
        parsed = self._parser.read(query)
        grams = self._query_grams(query)
        searcher = self._current()
        bounded, filters = split_filters(expand_wildcards(parsed.tree, searcher.reader()))
        allow = all_of([*filters, lang_filter(lang)])
        total, ranked, offsets = _ranked(searcher, bounded, grams, parsed.typed, allow, page, per_page)
        units = query_units(bounded)
        hits = [_hit(hit, score, units, offsets[hit.docnum]) for hit, score in ranked]
        did_you_mean = suggestion(searcher, self._analyzer, query)
        took_ms = (time.perf_counter() - started) * 1000
        return SearchResults(query, total, round(took_ms, 2), hits, page, per_page, did_you_mean)

    def _query_grams(self, query: str) -> list[str]:
        """The query's Hangul bigrams, for the bonus of documents that share its syllables."""
        return sorted({token.text for token in self._grams(query)}) if self._grams else []


def _ranked(
    searcher: Searcher,
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
    searcher.search_with_collector(scored(query), collector)
    results = collector.results()
    rescored, offsets = reranked(searcher, query, list(results), grams, typed)
    shown = rescored[(page - 1) * per_page : page * per_page]
    deeper = [hit.docnum for hit, _ in shown if hit.docnum not in offsets]
    offsets.update(matched_offsets(searcher, query, deeper))
    return len(results), shown, offsets


def _hit(hit, score: float, units: set[Unit], offsets: dict[str, list]) -> Hit:
    body = hit["body"]
    spans = unit_spans(units, offsets, body)
    return Hit(
        id=hit["id"],
        title=hit["title"],
        lang=hit["lang"],
        score=round(score, 4),
        snippet=snippet(body, spans),
        path=hit["path"],
        page=page_of(hit.get("pages"), best_match(body, spans)),
    )
