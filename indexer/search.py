"""Search: the one path the CLI, the web app and eval use, and the only module they import for it.

``SearchEngine`` holds the open index and its searcher (refreshed when a reindex commits) and runs
each search through the steps, one module each: ``query`` parses and caps what was typed,
``forgive`` reads words that find nothing as what they were probably meant to be (unless
``fuzzy=False``) and offers the did-you-mean, ``bridge`` adds the words' translations (from
``lexicon``), and ``results`` makes the page: ``scoring`` collects every match by BM25F,
``rerank`` reorders the best, ``highlight`` marks the page's hits, and ``facets`` counts and
filters by file.
Imports ``bridge``, ``facets``, ``forgive``, ``highlight``, ``index``, ``layout``, ``lexicon``,
``morphemes``, ``paging``, ``positions``, ``query``, ``results``, ``scoring``, ``sources``, ``storage`` and
``vocabulary``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from whoosh.index import EmptyIndexError
from whoosh.searching import Searcher

from indexer.bridge import OTHER_LANGUAGE, Bridge, Bridged, query_language
from indexer.facets import (
    NO_FILTERS,
    SORTS,
    FactsCache,
    FilterError,
    Filters,
    allowed,
    count_facets,
    parse_filters,
    with_language,
)
from indexer.forgive import Forgiver
from indexer.highlight import Span, query_units, unit_spans
from indexer.index import open_index
from indexer.layout import marked_layout
from indexer.lexicon import Lexicon, use_user_lexicon
from indexer.lexicon import lexicon as process_lexicon
from indexer.morphemes import SURROGATE, warm_up
from indexer.paging import marked_pages
from indexer.positions import matched_offsets
from indexer.query import (
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY_CHARS,
    BilingualParser,
    QueryError,
    all_of,
    expand_wildcards,
    split_filters,
    validate,
    within_budget,
)
from indexer.results import Hit, SearchResults, allowed_documents, as_hit, matched, ranked_page
from indexer.scoring import K1, MAX_MATCH_CHARS, B, LuceneBM25F, remember_frequencies, scored
from indexer.sources import relative_path
from indexer.storage import CommitCache, CommitFile, IndexDamaged
from indexer.vocabulary import Vocabulary

logger = logging.getLogger("dari")

# What the web app and the CLI need of the steps, through this module alone.
__all__ = [
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "MAX_QUERY_CHARS",
    "FilterError",
    "Filters",
    "Hit",
    "QueryError",
    "SearchEngine",
    "SORTS",
    "SearchResults",
    "parse_filters",
    "relative_path",
    "use_user_lexicon",
]


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

    def __init__(self, index_dir: Path, *, warm: bool = True, lexicon: Lexicon | None = None) -> None:
        """``warm``: load Kiwi now (~2 s) and read the commit's facets, fuzzy vocabulary and the
        bridge's name keys (seconds at 20k documents), so that a long-lived server's first query does
        not wait for them; a one-shot `dari search` skips it and loads Kiwi only for a query with Hangul.
        ``lexicon``: the bridge's translations (default: the shipped one and $DARI_LEXICON)."""
        self.index_dir = Path(index_dir)
        self._index = open_index(self.index_dir)
        self._parser = BilingualParser(self._index.schema)
        self._grams = self._index.schema["grams"].analyzer if "grams" in self._index.schema else None
        self._analyzer = self._index.schema["body"].analyzer
        self._bridge = Bridge(lexicon or process_lexicon(), self._analyzer)
        self._local = threading.local()
        self._facts = FactsCache()
        self._vocabularies = CommitCache(Vocabulary)  # forgiving search's, built on first need per commit
        self._warned: set[CommitFile] = set()  # unreadable commits already logged
        searcher = self._current()  # a damaged or unreadable index fails here, not at the first query
        if warm:  # and a server's first query pays neither Kiwi nor the commit's facets and vocabulary
            warm_up()
            self._facts.of(searcher)
            self._vocabularies.of(searcher.reader())
            self._bridge.name_keys(searcher.reader())

    def refresh(self) -> None:
        """Switch this thread to the newest commit, if there is one (cheap when there is none)."""
        self._current()

    def _current(self) -> Searcher:
        """The calling thread's searcher, at the newest commit that can be read."""
        return self._view().searcher

    def _view(self) -> _View:
        """The calling thread's view, at the newest commit that can be read."""
        view: _View | None = getattr(self._local, "view", None)
        commit = self._newest_commit()  # before the searcher: a commit between them is seen later
        if view is not None and (commit is None or commit == view.commit):
            # None: the index folder was removed or emptied.  The open searcher still reads the
            # files it holds, so it answers from them until a reindex writes a new index there.
            return view
        # A new searcher, not Searcher.refresh(): Whoosh 2.7's reader reuse adds the old
        # segments back, so documents removed by a rebuild would reappear.
        try:
            weighting = LuceneBM25F(B=B, K1=K1)
            searcher = self._index.searcher(weighting=weighting)
            weighting.load_norms(searcher)
            remember_frequencies(searcher)
        except (EmptyIndexError, OSError):
            if view is None:
                raise
            return view  # removed again meanwhile
        except IndexDamaged as error:
            if view is None:
                raise
            # No commit can be read: keep answering from the open one, and say so once.
            if commit not in self._warned:
                self._warned.add(commit)
                logger.warning("Warning: %s", error)
            view.commit = commit
            return view
        if view is not None:
            view.searcher.close()
        self._local.view = _View(commit, searcher)
        return self._local.view

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
        or (Markdown) its layout shown (None: no such id).

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
        if stored.get("layout"):  # a Markdown file's headings, lists and code as such
            marked = marked_layout(body, spans, stored["layout"], MAX_MATCH_CHARS)
        else:
            marked = marked_pages(body, spans, stored.get("pages"), MAX_MATCH_CHARS)
        return marked + ("…" if len(body) > MAX_MATCH_CHARS else "")

    def related(self, doc_id: str, limit: int = 5) -> list[Hit] | None:
        """The best documents of the other language for this one (Korean for English and back;
        none for others), found through the bridge from its top words (None: no such id)."""
        searcher = self._current()
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            return None
        stored = searcher.stored_fields(docnum)
        other = OTHER_LANGUAGE.get(stored["lang"])
        query = self._bridge.related_query(stored["body"], searcher) if other else None
        if query is None:
            return []
        facts = self._facts.of(searcher)
        _, shown, offsets = ranked_page(
            searcher, query, allowed(facts, self._facts.kinds(searcher), Filters(lang=other)), 1, limit, facts
        )
        units = query_units(query)
        return [as_hit(hit, score, units, offsets[hit.docnum], facts[hit.docnum]) for hit, score in shown]

    def search(
        self,
        query: str,
        *,
        lang: str | None = None,
        page: int = 1,
        per_page: int = 10,
        filters: Filters = NO_FILTERS,
        sort: str = "relevance",
        bridge: bool = True,
        fuzzy: bool = True,
    ) -> SearchResults:
        """The ``page``-th page of hits for ``query`` that ``filters`` (and ``lang``) allow, best
        first or by date (``sort``), with highlighted snippets and the facets of every match;
        ``bridge`` also searches the words' translations (``indexer.bridge``), ``fuzzy`` what words
        that find nothing were probably meant to be (``indexer.forgive``)."""
        query = SURROGATE.sub("\ufffd", query)  # undecodable command-line bytes: unprintable
        validate(query, None, page, per_page)
        if sort not in SORTS:
            raise QueryError(f"sort must be relevance, newest or oldest, not {sort!r}.")
        filters = with_language(filters, lang)
        started = time.perf_counter()
        searcher = self._current()
        forgiven = Forgiver(searcher, self._parser, self._analyzer, self._vocabularies).forgive(query, fuzzy)
        parsed = self._parser.read(query, forgiven.parser_variants(), forgiven.searched)
        grams = self._query_grams(forgiven.searched)
        reader = searcher.reader()
        facts = self._facts.of(searcher)
        bounded, in_query = split_filters(expand_wildcards(parsed.tree, reader))
        bridged = self._bridge.extend(bounded, query, searcher) if bridge else Bridged(bounded)
        words = within_budget(bridged.query, reader)
        allow = allowed_documents(
            searcher,
            all_of(in_query),
            allowed(facts, self._facts.kinds(searcher), filters) if filters else None,
        )
        # Room on page one for the other language, when the bridge added it and nothing filters.
        both = bridged.added and not in_query and not filters and sort == "relevance"
        query_lang = query_language(parsed.typed) if both else None
        collected, shown, offsets = ranked_page(
            searcher, words, allow, page, per_page, facts, grams, parsed.typed, sort, query_lang
        )
        units = query_units(words)
        hits = [as_hit(hit, score, units, offsets[hit.docnum], facts[hit.docnum]) for hit, score in shown]
        took_ms = (time.perf_counter() - started) * 1000
        return SearchResults(
            query,
            len(collected),
            round(took_ms, 2),
            hits,
            page,
            per_page,
            forgiven.suggestion,
            facets=count_facets(self._facts.kinds(searcher), matched(collected)),
            sort=sort,
            bridged=bridged.added,
            corrected=forgiven.corrected,
            typed_in=forgiven.typed_in,
            read_as=forgiven.searched,
        )

    def _query_grams(self, query: str) -> list[str]:
        """The query's Hangul bigrams, for the bonus of documents that share its syllables."""
        return sorted({token.text for token in self._grams(query)}) if self._grams else []
