"""Bad queries get a result (maybe empty) or a QueryError saying why, never anything else; and no
single query can make the engine do unbounded work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from faultkit import DARI, ENGLISH_WORDS, KOREAN_WORDS, write_corpus

from indexer import query as query_module
from indexer import suggest
from indexer.forgive import MAX_CORRECTED
from indexer.index import reindex
from indexer.query import MAX_EXPANSIONS, MAX_PAGE, MAX_QUERY_WORDS, MAX_WILDCARDS, expand_wildcards
from indexer.scoring import MAX_MATCH_CHARS
from indexer.search import QueryError, SearchEngine
from web import create_app

ANSWERED = [  # each gets a result, possibly empty
    '"unbalanced quote',
    "unbalanced (parenthesis",
    "closing) only)",
    '"AND ("',
    "((( )))",
    "을 를 the",  # only particles and stopwords
    "the of and",
    "AND OR NOT",
    "NOT",
    "nosuchfield:ILO",
    "hash:abc",  # a stored-only field (Whoosh raised on these)
    "size:3 mtime:1",
    "title:",
    "lang:xx",
    "*",
    "?",
    "*:*",
    "IL*",
    "노*",
    "[a TO z]",  # ranges over analysed words are searched as words
    "{a TO}",
    "ILO^99999",
    "ILO~5",
    "ILO(^2)",  # a boost with nothing before it, in a group: Whoosh left it without a field
    "협력 AND (^2)",
    "\x00\x01\x07\x1b[31m ILO \x7f",
    "😀🙈 ILO 👩‍👩‍👧",
    "ILO 협력 Сотрудничество 合作 تعاون सहयोग",
    "\u200b\u200d\ufeff",
    "\ud800 협력 \udcff",  # lone surrogates (bytes undecodable on a command line)
    "e\u0301 한\u1100\u1161",
    "<script>alert(1)</script>",
    "협력 " * 199 + "협력",  # 999 characters, one distinct word
]
REFUSED = {  # each is a QueryError with this message
    "": "The query is empty.",
    " \t\n ": "The query is empty.",
    "ILO " * 250 + "ILO!": "The query is longer than 1000 characters.",
}


@pytest.mark.parametrize("query", ANSWERED)
def test_awkward_queries_get_a_result(seeds_engine: SearchEngine, query: str) -> None:
    results = seeds_engine.search(query)
    assert results.total >= len(results.hits) >= 0
    assert all("<mark>" not in hit.title for hit in results.hits)


@pytest.mark.parametrize(("query", "message"), REFUSED.items())
def test_empty_and_overlong_queries_are_refused(seeds_engine: SearchEngine, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        seeds_engine.search(query)


def test_unbalanced_syntax_still_finds_the_words(seeds_engine: SearchEngine) -> None:
    plain = {hit.id for hit in seeds_engine.search("ILO 협력").hits}
    assert plain
    assert {hit.id for hit in seeds_engine.search('"ILO 협력').hits} <= plain
    assert {hit.id for hit in seeds_engine.search("(ILO 협력").hits} == plain
    assert seeds_engine.search("hash:abc").total == seeds_engine.search("hash abc").total
    assert {hit.id for hit in seeds_engine.search("ILO(^2)").hits} == {
        hit.id for hit in seeds_engine.search("ILO (2)").hits
    }


def test_query_word_cap(seeds_engine: SearchEngine) -> None:
    words = [f"word{n}" for n in range(MAX_QUERY_WORDS)]
    assert seeds_engine.search(" ".join(words)).total == 0
    with pytest.raises(QueryError, match=f"the limit is {MAX_QUERY_WORDS}"):
        seeds_engine.search(" ".join([*words, "one-more"]))


def test_page_depth_cap(seeds_engine: SearchEngine) -> None:
    assert seeds_engine.search("ILO", page=MAX_PAGE, per_page=100).hits == []
    with pytest.raises(QueryError, match=f"page must be between 1 and {MAX_PAGE}"):
        seeds_engine.search("ILO", page=MAX_PAGE + 1, per_page=100)
    with pytest.raises(QueryError):
        seeds_engine.search("ILO", page=10**30)


@pytest.fixture(scope="module")
def prefix_engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """200 documents, each with one of zeta000 … zeta199 (`zeta*` could match them all) and `common`."""
    folder = tmp_path_factory.mktemp("prefix-docs")
    for n in range(200):
        (folder / f"z{n:03d}.txt").write_text(f"zeta{n:03d} and omega{n:03d}, common", encoding="utf-8")
    index = tmp_path_factory.mktemp("prefix-index")
    reindex([folder], index)
    return SearchEngine(index)


def test_wildcards_expand_to_a_bounded_number_of_words(prefix_engine: SearchEngine) -> None:
    assert prefix_engine.search("zeta00*").total == 10  # within the cap: every match
    capped = prefix_engine.search("zeta*", per_page=100)
    assert capped.total == MAX_EXPANSIONS  # the first words in the index's order: zeta000 … zeta049
    assert {hit.id for hit in capped.hits} == {f"z{n:03d}.txt" for n in range(MAX_EXPANSIONS)}
    wildcards = " ".join(f"zeta{n}*" for n in range(MAX_WILDCARDS))
    assert prefix_engine.search(wildcards).total > 0
    with pytest.raises(QueryError, match=f"the limit is {MAX_WILDCARDS}"):
        prefix_engine.search(f"{wildcards} omega*")


def test_document_page_marking_has_the_same_caps(prefix_engine: SearchEngine) -> None:
    assert "<mark>zeta000</mark>" in prefix_engine.mark_document("z000.txt", "zeta0*")
    with pytest.raises(QueryError):
        prefix_engine.mark_document("z000.txt", " ".join(f"w{n}" for n in range(MAX_QUERY_WORDS + 1)))


@pytest.mark.parametrize(
    ("argument", "exit_code", "output"),
    [
        (b"\xff\xfe ILO", 0, '"query": "\ufffd\ufffd ILO"'),  # bytes that are not UTF-8
        (b'"AND (', 0, '"total": 0'),
        (b"x" * 1001, 1, "Error: The query is longer than 1000 characters."),
    ],
)
def test_cli_answers_awkward_queries_without_a_traceback(
    seeds_index: Path, argument: bytes, exit_code: int, output: str
) -> None:
    run = subprocess.run(
        [os.fsencode(DARI), b"search", argument, b"--json", b"--index", os.fsencode(seeds_index)],
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == exit_code
    assert output in run.stdout.decode() + run.stderr.decode()
    assert b"Traceback" not in run.stderr
    if exit_code == 0:
        json.loads(run.stdout)


def test_results_page_links_stop_at_the_page_cap(prefix_engine: SearchEngine) -> None:
    """200 hits, one a page: the results page offers no link past the cap."""
    client = create_app(prefix_engine.index_dir).test_client()
    before = client.get(f"/search?q=common&per_page=1&page={MAX_PAGE - 1}").get_data(as_text=True)
    assert f"page={MAX_PAGE}&amp;" in before and 'rel="next"' in before
    last = client.get(f"/search?q=common&per_page=1&page={MAX_PAGE}")
    assert last.status_code == 200 and 'rel="next"' not in last.get_data(as_text=True)
    assert client.get(f"/search?q=common&per_page=1&page={MAX_PAGE + 1}").status_code == 400


def test_did_you_mean_looks_each_distinct_word_up_once_and_few_of_them(
    seeds_engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Colege " × 142 once took 7–8 s: the nearest word was looked up for every occurrence.
    looked_up: list[str] = []
    nearest = suggest.nearest_word
    monkeypatch.setattr(suggest, "nearest_word", lambda *args: looked_up.append(args[-1]) or nearest(*args))
    results = seeds_engine.search(" ".join(["colege"] * 142))
    assert looked_up == ["colege"]
    assert results.suggestion is not None and "colege" not in results.suggestion
    looked_up.clear()
    seeds_engine.search(" ".join(f"unknwn{chr(97 + i)}" for i in range(20)))
    assert len(looked_up) == MAX_CORRECTED


def test_a_huge_document_is_searched_and_marked_within_bounds(tmp_path: Path) -> None:
    # A 10 M-character document made every search that hit it take 3–4.5 s (all its offsets were
    # decoded, reranked and highlighted) and its page 20 MB.
    folder = tmp_path / "docs"
    folder.mkdir()
    body = "alpha beginning. " + "filler words here. " * (MAX_MATCH_CHARS // 19 + 100) + "omega ending."
    (folder / "huge.txt").write_text(body, encoding="utf-8")
    reindex([folder], tmp_path / "index", procs=1)
    engine = SearchEngine(tmp_path / "index")
    assert "<mark>alpha</mark>" in engine.search("alpha").hits[0].snippet
    far = engine.search("omega")
    assert [hit.id for hit in far.hits] == ["huge.txt"]  # found, but past the highlighted part
    assert "<mark>" not in far.hits[0].snippet and len(far.hits[0].snippet) < 300
    page = engine.mark_document("huge.txt", "filler")
    assert len(page.replace("<mark>", "").replace("</mark>", "")) == MAX_MATCH_CHARS + 1
    assert page.endswith("…")
    assert page.count("<mark>filler</mark>") > 1000


@pytest.fixture(scope="module")
def busy_engine(tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """4,000 documents that every word of HEAVY matches: a search of it takes ~0.1 s."""
    folder = tmp_path_factory.mktemp("busy")
    write_corpus(folder / "docs", 4000, "busy")
    reindex([folder / "docs"], folder / "index")
    return SearchEngine(folder / "index")


HEAVY = " ".join(ENGLISH_WORDS[:15] + KOREAN_WORDS[:15])


def _scoring(thread: threading.Thread) -> bool:
    """Whether ``thread`` is, right now, inside Whoosh's collection of a search's matches."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name == "search_with_collector":
            return True
        frame = frame.f_back
    return False


def _search_twice(engine: SearchEngine, done: list[int]) -> None:
    for _ in range(2):
        engine.search(HEAVY)
        done.append(1)


def test_a_health_check_does_not_wait_behind_a_running_search(busy_engine: SearchEngine) -> None:
    """/api/health's doc_count answers while another thread's search is still
    being scored.  One searcher behind a lock made them wait for every search ahead of them (four
    heavy searches held /api/health for 29 s): with the lock, no trial overlaps."""
    overlapped = 0
    for _ in range(5):
        done: list[int] = []
        thread = threading.Thread(target=_search_twice, args=(busy_engine, done))
        thread.start()
        while thread.is_alive() and not _scoring(thread):
            time.sleep(0.0005)
        before = len(done)
        assert busy_engine.doc_count() == 4000
        overlapped += len(done) == before
        thread.join()
    assert overlapped >= 3


def test_each_thread_reads_the_newest_commit(tmp_path: Path) -> None:
    """A thread whose searcher was opened before a reindex sees the reindex's documents at its
    next search, as the thread that reindexed does."""
    write_corpus(tmp_path / "docs", 10, "before")
    reindex([tmp_path / "docs"], tmp_path / "index")
    engine = SearchEngine(tmp_path / "index")
    found: list[int] = []
    ask, answered = threading.Event(), threading.Event()

    def serve() -> None:
        for _ in range(2):
            ask.wait()
            ask.clear()
            found.append(engine.search("after").total + engine.search("before").total)
            answered.set()

    worker = threading.Thread(target=serve)
    worker.start()
    ask.set()
    answered.wait(30)
    answered.clear()
    write_corpus(tmp_path / "docs", 5, "after", seed=1)
    reindex([tmp_path / "docs"], tmp_path / "index")
    ask.set()
    answered.wait(30)
    worker.join()
    assert found == [10, 15]
    assert engine.search("after").total == 5


def test_a_query_reads_a_bounded_number_of_postings(
    busy_engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the posting budget the commonest loose words are left out (64 common words read 380k
    postings at 100k documents, ~0.4 s); the rarest word stays, and phrases stay whole."""
    searcher = busy_engine._current()
    reader = searcher.reader()
    words = ENGLISH_WORDS[:6] + ["busy"]  # "busy" is in every document: the commonest
    tree = expand_wildcards(busy_engine._parser.read(" ".join(words)).tree, reader)
    cost = query_module._postings(tree, reader)
    assert query_module.within_budget(tree, reader) == tree  # well within the real budget
    monkeypatch.setattr(query_module, "MAX_POSTINGS", cost // 2)
    trimmed = query_module.within_budget(tree, reader)
    assert query_module._postings(trimmed, reader) <= cost // 2
    kept = {leaf.text for leaf in trimmed.leaves() if leaf.field() == "body"}
    assert "busy" not in kept and kept  # the word in every document went first
    monkeypatch.setattr(query_module, "MAX_POSTINGS", 1)
    assert len(query_module.within_budget(tree, reader).subqueries) == 1  # one word always stays
    assert busy_engine.search(" ".join(words)).total > 0
