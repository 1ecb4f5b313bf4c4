"""Hypothesis over the analyzer (any Unicode, lone surrogates included) and the query path."""

from __future__ import annotations

import re
import unicodedata

from faultkit import QUERY, TEXT
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from indexer.analysis import index_terms, make_analyzer
from indexer.search import QueryError, SearchEngine

KOREAN_SEED = "002_2be1082304330c6a.txt"
MARKUP = re.compile(r"</?mark>")


@settings(max_examples=300, deadline=None)
@given(text=TEXT, mode=st.sampled_from(["index", "query", "expand"]))
def test_analyzer_offsets_are_inside_the_text_and_ordered(text: str, mode: str) -> None:
    normalized = unicodedata.normalize("NFC", text)  # offsets refer to the NFC text
    tokens = [
        (t.text, t.startchar, t.endchar, t.pos)
        for t in make_analyzer()(text, positions=True, chars=True, mode=mode)
    ]
    for word, start, end, _ in tokens:
        assert word and 0 <= start < end <= len(normalized)
    starts = [start for _, start, _, _ in tokens]
    positions = [pos for _, _, _, pos in tokens]
    assert starts == sorted(starts)
    assert positions == sorted(positions) and (not positions or positions[0] == 0)


# Hanja words (readings, and pieces from three ideographs) among the rest.
HANJA = st.sampled_from(["勞動", "國際勞動機構", "法", "第1條", "憲法"])
WITH_HANJA = st.lists(st.one_of(TEXT, HANJA), max_size=6)


@settings(max_examples=300, deadline=None)
@given(parts=WITH_HANJA)
def test_index_terms_are_the_analyzers_index_tokens(parts: list[str]) -> None:
    text = " ".join(parts)
    tokens = make_analyzer()(text, positions=True, chars=True, mode="index")
    assert index_terms(text) == [(t.text, t.pos, t.startchar, t.endchar) for t in tokens]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=QUERY, lang=st.sampled_from([None, "ko", "en"]), page=st.integers(1, 3), per_page=st.integers(1, 20)
)
def test_any_query_gets_results_or_a_query_error(
    seeds_engine: SearchEngine, query: str, lang: str | None, page: int, per_page: int
) -> None:
    try:
        results = seeds_engine.search(query, lang=lang, page=page, per_page=per_page)
    except QueryError as error:
        event(f"QueryError: {error}")
        return
    event("hits" if results.hits else "no hits")
    assert results.total >= len(results.hits)
    assert len(results.hits) <= per_page
    for hit in results.hits:
        assert "<" not in MARKUP.sub("", hit.snippet)  # only <mark> is markup


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lang=st.one_of(st.none(), TEXT), page=st.integers(), per_page=st.integers())
def test_any_paging_and_language_gets_results_or_a_query_error(
    seeds_engine: SearchEngine, lang: str | None, page: int, per_page: int
) -> None:
    try:
        results = seeds_engine.search("ILO 협력", lang=lang, page=page, per_page=per_page)
    except QueryError as error:
        assert str(error)
        return
    assert len(results.hits) <= per_page <= 100 and 1 <= page <= 100


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=QUERY)
def test_any_query_marks_a_document_or_is_a_query_error(seeds_engine: SearchEngine, query: str) -> None:
    try:
        marked = seeds_engine.mark_document(KOREAN_SEED, query)
    except QueryError:
        return
    assert marked is not None
    assert MARKUP.sub("", marked) == seeds_engine.mark_document(KOREAN_SEED, "")
