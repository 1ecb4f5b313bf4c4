"""Highlights mark what the user typed, whole, and passages read as text: an oracle over every hit
of the seeds for a set of Korean and English queries, and the passage rules on their own."""

from __future__ import annotations

import html
import re
from functools import cache

import pytest

from indexer.analysis import make_analyzer
from indexer.highlight import Unit, leading_text, snippet, unit_spans

KO = "002_2be1082304330c6a.txt"
QUERIES = [
    "고용노동부",
    "고용노동부 장관",
    "국제노동기구 사무총장",
    "협력을",
    "서울고용센터를 방문",
    "사람중심 인공지능",
    "노동권",
    "고용",
    "노동",
    "ILO와 협력",
    "labor policies",
    '"labor policy"',
    "Houngbo",
    "artificial intelligence AI",
    "what did President Lee say about labor policies for AI?",
]
MARK = re.compile(r"<mark>(.*?)</mark>")
# Marks with only spaces between them are read together (사람 중심 for 사람중심, a phrase's words).
MARKED_RUN = re.compile(r"<mark>.*?</mark>(?:\s*<mark>.*?</mark>)*")


def marked_runs(text: str) -> list[tuple[str, ...]]:
    return [tuple(html.unescape(mark) for mark in MARK.findall(run)) for run in MARKED_RUN.findall(text)]


@cache
def terms(text: str) -> tuple[str, ...]:
    return tuple(token.text for token in make_analyzer()(text, mode="query"))


def made_of_query_words(marks: tuple[str, ...], query: str) -> bool:
    """Whether a run of marks analyses to one or more whole words of the query, in a row."""
    words = {terms(word) for word in re.sub(r'["?]', " ", query).split()} - {()}
    wanted = sum((terms(mark) for mark in marks), ())
    reachable = {0}  # prefixes of ``wanted`` made of whole query words
    for end in range(1, len(wanted) + 1):
        if any(end - len(word) in reachable and wanted[end - len(word) : end] == word for word in words):
            reachable.add(end)
    return bool(wanted) and len(wanted) in reachable


@pytest.mark.parametrize("query", QUERIES)
def test_every_mark_is_whole_words_of_the_query(seeds_engine, query: str) -> None:
    results = seeds_engine.search(query, bridge=False)  # translations are marked too
    assert results.hits
    texts = [hit.snippet for hit in results.hits]
    texts += [seeds_engine.mark_document(hit.id, query) for hit in results.hits]
    found = [run for text in texts for run in marked_runs(text)]
    assert found, "something is marked"
    assert [mark for mark in found if not made_of_query_words(mark, query)] == []


def test_a_compound_is_marked_whole_and_never_by_one_loose_part(seeds_engine) -> None:
    marked = seeds_engine.mark_document(KO, "고용노동부")
    assert set(MARK.findall(marked)) == {"고용노동부"}
    assert "<mark>고용노동부</mark>를" in marked  # the particle stays outside
    assert "서울고용센터" in marked  # holds 고용, not 고용노동부: unmarked


def test_a_typed_word_marks_inside_a_compound_that_holds_it(seeds_engine) -> None:
    assert "서울<mark>고용</mark>센터" in seeds_engine.mark_document(KO, "고용")


def test_spacing_does_not_part_a_compound(seeds_engine) -> None:
    # 사람중심 typed, 사람 중심 written (Korean spacing varies): both marked.
    marked = seeds_engine.mark_document(KO, "사람중심")
    assert "<mark>사람중심</mark>" in marked and "<mark>사람</mark> <mark>중심</mark>" in marked


def spans_of(text: str, word: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(word), text)]


def test_passages_start_and_end_at_word_boundaries_and_never_repeat() -> None:
    text = " ".join(f"word{i}" for i in range(200))
    spans = spans_of(text, "word50") + spans_of(text, "word52") + spans_of(text, "word150")
    shown = snippet(text, spans)
    passages = [re.sub(r"</?mark>", "", passage) for passage in shown.split(" … ")]
    assert len(passages) == 2
    for passage in passages:
        assert passage in text
        start = text.index(passage)
        assert start == 0 or text[start - 1] == " "
        assert start + len(passage) == len(text) or text[start + len(passage)] == " "
    assert shown.count("<mark>word50</mark>") == 1 and shown.count("<mark>word52</mark>") == 1


def test_passages_stay_in_their_line() -> None:
    text = "첫 줄은 다른 이야기입니다.\n노동 정책을 발표했다.\n다음 줄도 다른 이야기입니다."
    assert snippet(text, spans_of(text, "노동")) == "<mark>노동</mark> 정책을 발표했다."


def test_the_passages_with_the_most_different_words_win() -> None:
    filler = " ".join(["filler"] * 40)
    text = f"labor alone. {filler} labor again. {filler} labor and policy together. {filler} labor last."
    spans = spans_of(text, "labor") + spans_of(text, "policy")
    first = snippet(text, spans).split(" … ")
    assert len(first) == 3 and any("<mark>policy</mark>" in passage for passage in first)
    assert "labor last" not in snippet(text, spans)


def test_words_of_a_unit_must_stand_together() -> None:
    text = "서울고용센터 노동부, 고용노동부를, 고용 노동부"
    offsets = {
        "고용": [(0, 2, 4), (2, 12, 14), (4, 20, 22)],
        "노동부": [(1, 7, 10), (3, 14, 17), (5, 23, 26)],
    }
    spans = unit_spans([Unit(("고용", "노동부"))], offsets, text)
    assert [text[a:b] for a, b in spans] == ["고용", "노동부", "고용", "노동부"]  # 고용노동부, 고용 노동부
    pieces = {"국제": [(0, 0, 2)], "제노": [(0, 1, 3)], "노동": [(0, 2, 4), (1, 9, 11)]}
    spans = unit_spans([Unit(("국제", "제노", "노동"), "pieces")], pieces, "국제노동기구 노동 노동")
    assert spans == [(0, 4)]


def test_a_text_without_matches_shows_its_start_cut_at_a_word() -> None:
    text = "가나다라 " * 100
    shown = leading_text(text)
    assert shown.endswith("가나다라…") and len(shown) < 260
