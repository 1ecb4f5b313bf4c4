"""dari's fast scoring paths give Whoosh's own results: same hits, same totals, same scores (but
for the last bits of a sum taken in another order).

Each path replaces a slow part of Whoosh (the union tree of an OR, the per-posting field-length
lookup, the per-posting length statistics written at index time, a Token for every bigram); these
tests compare them with the stock parts, mostly on a real two-segment index of the seeds' sentences.
"""

from __future__ import annotations

import io
import math
import mmap
import pickle
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from test_parallel_index import corpus_documents, write_files
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TopCollector
from whoosh.fields import TEXT
from whoosh.filedb.structfile import StructFile
from whoosh.scoring import BM25F

from indexer.analysis import make_bigram_analyzer
from indexer.blocks import ArrayBlockMatcher
from indexer.collector import CountingTopCollector, matched
from indexer.index import reindex
from indexer.matches import leaf_postings, raw_postings
from indexer.positions import WordOffsets, characters_before, postings_at
from indexer.query import Word, expand_wildcards
from indexer.schema import BigramField
from indexer.scoring import (
    K1,
    B,
    BetterOf,
    FlatOr,
    LuceneBM25F,
    scored,
)
from indexer.search import SearchEngine
from indexer.storage import MappedFile, MapReader
from indexer.synonyms import SynonymGroup

QUERIES = [
    "labor policy 협력",
    "국제노동기구 사무총장 Houngbo",
    "what did President Lee say about AI",
    "고용노동부 장관 서울고용센터를 방문",
    "Geneva OR Bangkok",
    "ILO NOT Bangkok",
    '"decent work" agenda',
]


@pytest.fixture(scope="module", params=["two segments", "with deletions"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SearchEngine:
    """600 documents in two segments (two worker processes), the commonest words in several blocks
    of postings (over 128 in a segment); then,
    as an incremental reindex leaves it, with a fifth of the files deleted and a seventh edited
    (a new segment beside the old ones, which hold deleted documents)."""
    folder = tmp_path_factory.mktemp("scoring")
    docs = corpus_documents(600)
    reindex([write_files(folder, docs)], folder / "index", procs=2)
    if request.param == "with deletions":
        kept = [doc for i, doc in enumerate(docs) if i % 5]
        for doc in kept[::7]:
            doc["text"] += "\nThe labor policy of the ILO, 국제노동기구 협력."
        summary = reindex([write_files(folder, kept)], folder / "index", procs=2)
        assert summary.deleted == 120 and summary.updated == len(kept[::7])
    return SearchEngine(folder / "index")


def parsed(engine: SearchEngine, text: str, flat: bool = True) -> wq.Query:
    """``text`` as the engine scores it; ``flat=False``: its loose words in Whoosh's own OR."""
    tree = expand_wildcards(engine._parser.read(text).tree, engine._current().reader())
    if flat:
        return scored(tree)
    return tree.accept(lambda node: BetterOf(node.subqueries) if type(node) is wq.DisjunctionMax else node)


def results(engine: SearchEngine, flat: bool = True) -> list[tuple[int, dict[int, float]]]:
    """Per query: the total users get, and the score of every document the word query matches."""
    return [
        (engine.search(query, bridge=False).total, all_scores(engine, parsed(engine, query, flat)))
        for query in QUERIES
    ]


def all_scores(engine: SearchEngine, query: wq.Query) -> dict[int, float]:
    """The score of every document ``query`` matches."""
    every = TopCollector(limit=engine.doc_count(), usequality=False, replace=0)
    engine._current().search_with_collector(query, every)
    return {hit.docnum: hit.score for hit in every.results()}


def assert_same(found: list, expected: list) -> None:
    """Same totals, same documents, same scores but for the last bits (sums in another order)."""
    for (total, scores), (expected_total, expected_scores) in zip(found, expected, strict=True):
        assert total == expected_total
        assert scores == pytest.approx(expected_scores, rel=1e-12)


def test_the_index_has_two_segments_or_more_with_deletions(engine: SearchEngine) -> None:
    segments = [segment.reader() for segment, _ in engine._current().subsearchers]
    deleted = sum(reader.doc_count_all() - reader.doc_count() for reader in segments)
    assert (len(segments), deleted) in {(2, 0), (3, 120 + 480 // 7 + 1)}
    assert any(reader.doc_frequency("body", "ilo") > 128 for reader in segments)  # several blocks


def test_flat_or_scores_like_whooshs_or(engine: SearchEngine) -> None:
    assert isinstance(parsed(engine, "labor policy"), FlatOr)
    assert not isinstance(parsed(engine, "labor policy", flat=False), FlatOr)
    ours = results(engine)
    assert_same(results(engine, flat=False), ours)
    assert any(total > 50 for total, _ in ours)  # the comparison reached past one page


def test_norms_scorer_scores_like_whooshs_bm25f_scorer(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = results(engine)
    monkeypatch.setattr(LuceneBM25F, "scorer", BM25F.scorer)
    stock = SearchEngine(engine.index_dir)
    assert_same(results(stock), ours)


def test_block_skipping_finds_the_same_top_hits_without_length_statistics(engine: SearchEngine) -> None:
    """The lean codec writes no per-block shortest length; Whoosh's block-max skipping then uses
    length 0, an over-estimate, so it may skip less but never drops a hit."""
    searcher = engine._current()
    for query in QUERIES:
        tree = parsed(engine, query)
        exhaustive = TopCollector(limit=10, usequality=False, replace=0)
        searcher.search_with_collector(tree, exhaustive)
        skipping = searcher.search(tree, limit=10)  # Whoosh's defaults: block quality on
        assert [hit.docnum for hit in skipping] == [hit.docnum for hit in exhaustive.results()]


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_bigram_field_indexes_what_whooshs_text_field_would(form: str) -> None:
    text = unicodedata.normalize(form, "국제노동기구(ILO)와 고용노동부는 청년 일자리 협력. 노동 노동 책")
    stock = TEXT(analyzer=make_bigram_analyzer(), phrase=False)
    postings = sorted(BigramField().index(text))
    assert postings == sorted(stock.index(text))
    assert ("노동".encode(), 4, 4.0, b"\x00\x00\x00\x04") in postings  # twice alone, twice inside


WHOOSHS_DISMAX = pytest.param(wq.DisjunctionMax, marks=pytest.mark.xfail(strict=True))


@pytest.mark.parametrize("query_class", [BetterOf, WHOOSHS_DISMAX])
def test_better_of_scores_each_document_by_its_own_matches(engine: SearchEngine, query_class) -> None:
    # Whoosh's DisjunctionMax (the xfail) gives a document the score its other branch has in a
    # later document, whenever both branches are still active.
    branches = [wq.Term("body", "노동"), wq.Term("body", "polici", boost=3.0)]
    alone = [all_scores(engine, branch) for branch in branches]
    expected = {
        docnum: max(scores[docnum] for scores in alone if docnum in scores)
        for docnum in alone[0].keys() | alone[1].keys()
    }
    assert all_scores(engine, query_class(branches)) == pytest.approx(expected, rel=1e-12)


def stock_postings(searcher, word: str, docnums: set[int]) -> dict[int, list]:
    """Whoosh's own reading of ``word``'s body postings for ``docnums`` (deleted ones skipped)."""
    found = {}
    for segment, offset in searcher.subsearchers or [(searcher, 0)]:
        if ("body", word) in segment.reader():
            for docnum, value in segment.postings("body", word).items_as("characters"):
                if offset + docnum in docnums:
                    found[offset + docnum] = value
    return found


def test_postings_at_reads_what_whoosh_reads(engine: SearchEngine) -> None:
    searcher = engine._current()
    hits = all_scores(engine, parsed(engine, "labor policy 협력 국제노동기구"))
    for word in ("labor", "polici", "협력", "국제"):
        ours = {
            docnum: postings.value_as("characters")
            for docnum, postings in postings_at(searcher, "body", word, list(hits))
        }
        assert ours and ours == stock_postings(searcher, word, set(hits))


def test_every_stored_words_postings_are_array_blocks_under_whooshs_wrappers(engine: SearchEngine) -> None:
    # What the fast paths rely on: no other matcher comes out of a segment (whoosh-reloaded's
    # inlined postings, the one other kind, cannot even be written: W3TermInfo lacks set_inline),
    # and a segment dari writes is read through its array blocks (``indexer.blocks``).
    for segment, _ in engine._current().subsearchers:
        reader = segment.reader()
        for fieldname in ("title", "body", "grams"):
            for word in list(reader.lexicon(fieldname))[::25]:
                leaf, boost, deleted = raw_postings(segment.postings(fieldname, word))
                assert type(leaf) is ArrayBlockMatcher and boost == 1.0
                assert set(deleted) == set(reader.all_doc_ids()) ^ set(range(reader.doc_count_all()))


def test_word_offsets_read_once_are_whooshs_characters(engine: SearchEngine) -> None:
    """The rerank's and the page's readings share one WordOffsets: a second ask of other hits,
    words known to stand only in some documents (``holders``), and every answer is Whoosh's."""
    searcher = engine._current()
    hits = sorted(all_scores(engine, parsed(engine, "labor policy 협력 국제노동기구")))
    words = ["labor", "polici", "협력", "국제"]
    expected = {docnum: {} for docnum in hits}
    for word in words:
        for docnum, characters in stock_postings(searcher, word, set(hits)).items():
            expected[docnum][word] = characters
    labor = set(stock_postings(searcher, "labor", set(hits)))
    read = WordOffsets(searcher, {"labor": np.array(sorted(labor))})
    head, rest = hits[: len(hits) // 2], hits[len(hits) // 3 :]  # overlapping, as head and page
    assert read.of(words, head) == {docnum: expected[docnum] for docnum in head}
    assert read.of(words, rest) == {docnum: expected[docnum] for docnum in rest}
    again = head[:3]  # asked before: answered from what was read
    assert read.of(["labor"], again) == {
        d: {w: c for w, c in expected[d].items() if w == "labor"} for d in again
    }
    assert labor  # so that the next ask has something to leave unread
    # Holders are trusted: the rerank's saving.
    wrong = WordOffsets(searcher, {"labor": np.array([], dtype=np.intp)})
    assert not any("labor" in found for found in wrong.of(words, hits).values())


def test_bounded_character_decoding_is_whooshs_decoding(engine: SearchEngine) -> None:
    searcher = engine._current()
    hits = list(all_scores(engine, parsed(engine, "labor policy 협력 국제노동기구 ILO")))
    for word in ("labor", "협력", "ilo"):
        for _, postings in postings_at(searcher, "body", word, hits):
            whole = postings.value_as("characters")
            assert characters_before(postings, 10**9) == whole
            assert characters_before(postings, whole[-1][1]) == whole[:-1]


def test_a_synonym_group_of_one_word_scores_as_that_word(engine: SearchEngine) -> None:
    for word in ("labor", "노동", "ilo"):
        group = SynonymGroup([wq.Term("body", word)])
        assert all_scores(engine, group) == pytest.approx(
            all_scores(engine, wq.Term("body", word)), rel=1e-12
        )


def test_a_synonym_group_sums_tf_over_the_union_of_its_words(engine: SearchEngine) -> None:
    """Pirkola's rule by hand, from Whoosh's own postings, field lengths and counts: tf is the
    members' summed tf (a two-word member counts as often as its rarer word), df the number of
    documents holding any member, deleted ones included (as each word's df counts them); a word
    no segment holds adds nothing."""
    searcher = engine._current()
    members = [("labor",), ("협력",), ("decent", "work"), ("무지개다리",)]
    tfs: dict[int, float] = {}
    union_all = 0  # documents holding a member, deleted ones too, segment by segment
    for segment, offset in searcher.subsearchers:
        reader = segment.reader()
        holding: dict[int, float] = {}
        for member in members:
            per_word = [dict(stock_postings_all(reader, word)) for word in member]
            for docnum in set.intersection(*(set(p) for p in per_word)):
                holding[docnum] = holding.get(docnum, 0) + min(p[docnum] for p in per_word)
        union_all += len(holding)
        tfs.update({offset + d: tf for d, tf in holding.items() if not reader.is_deleted(d)})
    idf = math.log(1 + (searcher.doc_count_all() - union_all + 0.5) / (union_all + 0.5))
    average = searcher.avg_field_length("body")
    expected = {
        docnum: idf
        * tf
        * (K1 + 1)
        / (tf + K1 * (1 - B + B * searcher.doc_field_length(docnum, "body") / average))
        for docnum, tf in tfs.items()
    }
    group = SynonymGroup(
        [
            wq.Term("body", "labor"),
            wq.Term("body", "협력"),
            Word([wq.Term("body", "decent"), wq.Term("body", "work")]),
            wq.Term("body", "무지개다리"),
        ],
        source="노동",
    )
    assert len(expected) > 50 and all_scores(engine, group) == pytest.approx(expected, rel=1e-9)
    assert group.idf(searcher) == pytest.approx(idf, rel=1e-12)  # what the rerank weighs it by
    holding = {
        text: {
            offset + d
            for segment, offset in searcher.subsearchers
            for d, _ in stock_postings_all(segment.reader(), text)
        }
        for text in ("labor", "협력", "decent", "work", "무지개다리")
    }
    assert {word: docnums.tolist() for word, docnums in group.holders(searcher).items()} == {
        word: sorted(docnums) for word, docnums in holding.items()
    }  # deleted documents too: the rerank asks of live hits only
    assert group.apply(lambda member: member).source == "노동"  # kept through Query.accept


def test_a_words_postings_read_whole_are_whooshs(engine: SearchEngine) -> None:
    """Every body and title word's postings read at once (``leaf_postings``: an array block's bytes
    joined, from the memory map, or through the file's own reads) are Whoosh's, step by step,
    deleted documents included."""
    searcher = engine._current()
    for segment, _ in searcher.subsearchers:
        reader = segment.reader()
        for fieldname, word in reader.all_terms():
            if fieldname not in ("body", "title"):
                continue
            expected = stock_postings_all(reader, reader.schema[fieldname].from_bytes(word), fieldname)
            for through_reads in (False, True):
                leaf, _, _ = raw_postings(reader.postings(fieldname, word))
                leaf.reset()
                assert type(leaf._postfile) is MappedFile
                if through_reads:  # a file that is not a map: its get() reads
                    leaf._postfile = StructFile(io.BytesIO(bytes(leaf._postfile._buf)))
                docnums, tfs = leaf_postings(leaf)
                assert list(zip(docnums.tolist(), tfs.tolist(), strict=True)) == expected, word


def stock_postings_all(reader, word: str, fieldname: str = "body") -> list[tuple[int, float]]:
    """(docnum, tf) of ``word`` in one segment, its deleted documents included (Whoosh's raw
    term postings, under the filter that hides them)."""
    if not reader.doc_frequency(fieldname, word):
        return []
    matcher = reader.postings(fieldname, word)
    matcher = getattr(matcher, "child", matcher)  # the FilterMatcher of a segment with deletions …
    matcher.reset()  # … which moved it past the first deleted ones
    found = []
    while matcher.is_active():
        found.append((matcher.id(), matcher.weight()))
        matcher.next()
    return found


@pytest.mark.parametrize("limit", [3, 10, 1000])
def test_the_counting_collector_keeps_whooshs_top_hits_and_every_match(engine: SearchEngine, limit) -> None:
    """The best ``limit`` (ties by document number, as Whoosh's heap keeps them) and the match set
    Whoosh would compute again with a second, unscored pass; bridged queries included."""
    searcher = engine._current()
    for text in [*QUERIES, "work"]:
        query = scored(engine._bridge.extend(parsed(engine, text, flat=False), text, searcher).query)
        stock = TopCollector(limit=limit, usequality=False, replace=0)
        searcher.search_with_collector(query, stock)
        counting = CountingTopCollector(limit)
        searcher.search_with_collector(query, counting)
        expected, found = stock.results(), counting.results()
        assert [(hit.docnum, hit.score) for hit in found] == [(hit.docnum, hit.score) for hit in expected]
        assert found.docs() == set(searcher.docs_for_query(query)) and len(found) == len(expected), text


@pytest.mark.parametrize("limit", [3, 1000])
def test_the_counting_collector_filters_as_whooshs_filter_collector(engine: SearchEngine, limit) -> None:
    """A mask of allowed documents (the facet filters') keeps what Whoosh's FilterCollector keeps
    with the same documents as a set: the best, the total and every match; an empty mask none."""
    searcher = engine._current()
    every_third = np.arange(searcher.doc_count_all()) % 3 == 0
    nothing = np.zeros(searcher.doc_count_all(), dtype=bool)
    for text in [*QUERIES, "work"]:
        query = scored(engine._bridge.extend(parsed(engine, text, flat=False), text, searcher).query)
        for allow in (every_third, nothing):
            stock = FilterCollector(TopCollector(limit=limit, usequality=False, replace=0), allow=set())
            stock.allow = set(np.flatnonzero(allow).tolist()) or {-1}  # Whoosh reads {} as no filter
            searcher.search_with_collector(query, stock)
            counting = CountingTopCollector(limit, allow=allow)
            searcher.search_with_collector(query, counting)
            expected, found = stock.results(), counting.results()
            assert [(hit.docnum, hit.score) for hit in found] == [(hit.docnum, hit.score) for hit in expected]
            assert len(found) == len(expected) and set(matched(found).tolist()) == expected.docs(), text
        assert len(expected) == 0


def test_flat_or_scores_bridged_queries_like_whooshs_or(engine: SearchEngine) -> None:
    """The bridge's synonym groups inside the loose words' FlatOr (their scores read as lists)
    score as in Whoosh's own OR."""
    searcher = engine._current()
    for text in ("labor policy 협력", "국제노동기구 사무총장 Houngbo", "decent work"):
        tree = expand_wildcards(engine._parser.read(text).tree, searcher.reader())
        bridged = engine._bridge.extend(tree, text, searcher)
        assert bridged.added, text
        stock = bridged.query.accept(
            lambda node: BetterOf(node.subqueries) if type(node) is wq.DisjunctionMax else node
        )
        expected = all_scores(engine, stock)
        assert expected and all_scores(engine, scored(bridged.query)) == pytest.approx(expected, rel=1e-12)


def test_remembered_frequencies_are_the_readers_own_and_a_reindex_reads_anew(tmp_path: Path) -> None:
    # On two segments with deletions: every word's remembered frequency is what the segment and
    # the whole index hold, deleted documents counted, as Whoosh counts them; after a reindex adds
    # documents with a word, the engine's next search reads the new commit's frequency.
    docs = corpus_documents(200)
    reindex([write_files(tmp_path, docs)], tmp_path / "index", procs=2)
    reindex([write_files(tmp_path, docs[::2])], tmp_path / "index", procs=2)
    engine = SearchEngine(tmp_path / "index", warm=False)
    searcher = engine._current()
    readers = [searcher.reader(), *(segment.reader() for segment, _ in searcher.subsearchers)]
    assert len(readers) > 2 and searcher.reader().has_deletions()
    with whoosh_index.open_dir(str(tmp_path / "index")).reader() as plain:  # Whoosh's, uncached
        plain_readers = [plain, *(leaf for leaf, _ in plain.leaf_readers())]
        for reader, own in zip(readers, plain_readers, strict=True):
            assert hasattr(reader.doc_frequency, "cache_info")  # remembered by the engine's searcher
            terms = list(own.all_terms())[::7]
            for _ in range(2):  # asked, then remembered
                assert [reader.doc_frequency(f, t) for f, t in terms] == [
                    own.doc_frequency(f, t) for f, t in terms
                ]
            assert reader.doc_frequency.cache_info().hits >= len(terms)
    assert searcher.doc_frequency("body", "zebrafish") == 0
    added = [{"id": f"z{i}", "title": "Zebrafish", "text": "zebrafish genetics"} for i in range(3)]
    reindex([write_files(tmp_path, docs[::2] + added)], tmp_path / "index", procs=2)
    assert engine.search("zebrafish").total == 3
    assert engine._current().doc_frequency("body", "zebrafish") == 3


def test_a_searchers_segment_files_are_read_from_the_map_not_copied(engine: SearchEngine) -> None:
    # Whoosh's BufferFile copied each file of a compound segment into a BytesIO: every server
    # thread's searcher held a copy of the whole index.  Here they read the segment's memory map.
    for segment, _ in engine._current().subsearchers:
        postings = segment.reader()._terms._postfile
        assert isinstance(postings, MappedFile) and isinstance(postings.file, MapReader)
        assert type(postings._buf) is memoryview and type(postings._buf.obj) is mmap.mmap
        postings.file.seek(0)
        assert postings.file.read(4) == postings.get(0, 4) and postings.file.tell() == 4


def test_the_map_reader_reads_as_a_file_does() -> None:
    # What StructFile and pickle ask of MappedFile's file, against io.BytesIO over the same bytes.
    data = b"line one\nline two\n" + b"x" * 600 + b"\nend"
    ours, theirs = MapReader(memoryview(data)), io.BytesIO(data)
    steps = [("readline",), ("read", 3), ("readline",), ("seek", 5), ("read", 4), ("tell",), ("readline",)]
    steps += [("readline", 10), ("seek", -2, 2), ("read", -1), ("read", 5), ("seek", 0), ("readline",)]
    steps += [("seek", 0), ("read", None), ("seek", 3, 1), ("tell",)]
    for name, *args in steps:
        assert getattr(ours, name)(*args) == getattr(theirs, name)(*args), (name, args)
    stored = [{"title": "노동" * 300, "n": 3}, 2.5, (1, 2)]
    for protocol in (0, 2, 5):  # protocol 0 reads lines
        assert pickle.load(MapReader(memoryview(pickle.dumps(stored, protocol)))) == stored
