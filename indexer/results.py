"""Results: what a search returns (``Hit``, ``SearchResults``) and how one page of them is made from
a parsed query: collect every match by BM25F (``collector``, ``scoring``), let the rerank bonuses reorder the
best (``rerank``), give the other language its slots on page one (``bridge``) or order by date
(``facets``), then mark each shown hit's passage (``highlight``) and name its page (``paging``).
Imports ``bridge``, ``collector``, ``facets``, ``highlight``, ``paging``, ``positions``, ``rerank``
and ``scoring``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.bridge import with_other_language
from indexer.collector import collect, matched
from indexer.facets import Facts, by_date
from indexer.highlight import Unit, best_match, snippet, unit_spans
from indexer.paging import page_of
from indexer.positions import WordOffsets, matched_offsets
from indexer.rerank import reranked, translation_holders
from indexer.scoring import scored


@dataclass
class Hit:
    id: str
    title: str
    lang: str
    score: float
    snippet: str  # escaped HTML; only <mark> is markup
    path: str  # relative to its indexed folder, as the API shows it
    type: str  # the file's type: txt, md, html, jsonl, pdf, hwp, …
    modified: str  # the file's modification time, ISO 8601 (UTC)
    file: str  # the absolute path, for the command line only
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
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    sort: str = "relevance"
    bridged: dict[str, list[str]] = field(default_factory=dict)  # typed word → translations also searched
    corrected: dict[str, str] = field(default_factory=dict)  # a word that found nothing → searched as
    typed_in: str | None = None  # "english-mode" / "korean-mode": the keyboard was in the other mode
    read_as: str = ""  # the query as searched (with ``corrected`` applied)

    def as_dict(self) -> dict:
        """The results as the API and `dari search --json` give them (never the absolute path).
        Shallow: ``dataclasses.asdict`` deep-copies the facets (3 % of a served search at 100k)."""
        shown = {item.name: getattr(self, item.name) for item in fields(self)}
        shown["hits"] = [
            {item.name: getattr(hit, item.name) for item in fields(hit) if item.name != "file"}
            for hit in self.hits
        ]
        return shown


__all__ = ["Hit", "SearchResults", "allowed_documents", "as_hit", "matched", "ranked_page"]

COLLECTED = 200  # best hits kept: the rerank's pool, and below it the other language's for page one


def allowed_documents(searcher: Searcher, in_query: wq.Query | None, by_facts: np.ndarray | None):
    """A mask over the document numbers of those the collector lets through: those of the query's
    own filters (``lang:``, ``-word``) and of the facet filters; or None, everything."""
    if in_query is None:
        return by_facts
    in_filter = np.zeros(searcher.doc_count_all(), dtype=bool)
    in_filter[np.fromiter(searcher.docs_for_query(in_query), dtype=np.intp)] = True
    return in_filter if by_facts is None else in_filter & by_facts


def ranked_page(
    searcher: Searcher,
    query: wq.Query,
    allow,
    page: int,
    per_page: int,
    facts: list[Facts | None],
    grams: list[str] = (),
    typed: list[str] = (),
    sort: str = "relevance",
    query_lang: str | None = None,
):
    """Every match (Whoosh's results), the page's (hit, score) and the body offsets of its hits.
    By relevance the rerank bonuses reorder the best, then ``query_lang``'s other language gets its
    slots on page one; by date every match is ordered.  A page past the end is empty."""
    depth = max(page * per_page, COLLECTED) if sort == "relevance" else None  # None: all, by date
    query = scored(query)  # once: the rerank reads what scoring read of the bridge's groups
    collected = collect(searcher, query, allow, depth)
    read = WordOffsets(searcher, translation_holders(searcher, query))  # for the rerank and the page
    if sort == "relevance":
        ordered = reranked(searcher, query, list(collected), list(grams), list(typed), read)
        if query_lang:
            ordered = with_other_language(ordered, lambda pair: facts[pair[0].docnum].lang, query_lang)
    else:
        ordered = by_date(facts, [(hit, hit.score) for hit in collected], sort == "newest")
    shown = ordered[(page - 1) * per_page : page * per_page]
    return collected, shown, matched_offsets(searcher, query, [hit.docnum for hit, _ in shown], read)


def as_hit(hit, score: float, units: set[Unit], offsets: dict[str, list], facts: Facts) -> Hit:
    body = hit["body"]
    spans = unit_spans(units, offsets, body)
    return Hit(
        id=hit["id"],
        title=hit["title"],
        lang=hit["lang"],
        score=round(score, 4),
        snippet=snippet(body, spans),
        path=facts.path,
        type=facts.type,
        modified=datetime.fromtimestamp(facts.mtime, tz=UTC).isoformat(),
        file=facts.absolute,
        page=page_of(hit.get("pages"), best_match(body, spans)),
    )
