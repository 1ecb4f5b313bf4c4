"""The parallel reindex path (worker processes, one segment each) builds the same index as one process."""

from __future__ import annotations

import json
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3LeafMatcher
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashWriter

from indexer import rerank
from indexer.blocks import ArrayBlockMatcher, TermPool
from indexer.codec import CountingFile, LeanCodec, add_in_order
from indexer.index import bundled_seeds, open_index, reindex
from indexer.schema import make_schema
from indexer.search import SearchEngine
from indexer.writer import BATCH_DOCS, ParallelWriter, use_term_pool

TEXT_FIELDS = ("title", "body")


def corpus_documents(docs: int) -> list[dict]:
    """Documents recombined from the seeds' lines (Korean and English)."""
    lines = [
        line
        for path in sorted(bundled_seeds().iterdir())
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [
        {
            "id": f"d{i:04d}",
            "title": lines[i % len(lines)][:60],
            "text": "\n".join(lines[(i * 7 + k) % len(lines)] for k in range(1 + i % 3)),
        }
        for i in range(docs)
    ]


def write_corpus(folder: Path, docs: int) -> Path:
    """A jsonl of ``corpus_documents``."""
    path = folder / "docs.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for doc in corpus_documents(docs):
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def write_files(folder: Path, documents: list[dict]) -> Path:
    """A folder holding each document as a text file, its title as the first line; files whose
    text is the same are left untouched (an incremental reindex then skips them) and files of
    documents no longer listed are removed."""
    target = folder / "files"
    target.mkdir(exist_ok=True)
    wanted = {f"{doc['id']}.txt": f"{doc['title']}\n{doc['text']}\n" for doc in documents}
    for path in target.iterdir():
        if path.name not in wanted:
            path.unlink()
    for name, text in wanted.items():
        path = target / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return target


def snapshot(index_dir: Path) -> tuple[int, dict, dict, dict]:
    """(segments, stored fields by id, field lengths by id, postings of every term by id)."""
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.reader() as reader:
        ids = {docnum: fields["id"] for docnum, fields in reader.iter_docs()}
        stored = {fields["id"]: fields for _, fields in reader.iter_docs()}
        lengths = {
            (ids[docnum], name): reader.doc_field_length(docnum, name)
            for docnum in ids
            for name in TEXT_FIELDS
        }
        postings = {
            (name, term): {ids[d]: value for d, value in reader.postings(name, term).items_as("characters")}
            for name in TEXT_FIELDS
            for term in reader.lexicon(name)
        }
        segments = len(list(reader.leaf_readers()))
    return segments, stored, lengths, postings


def test_parallel_reindex_builds_the_same_index(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, BATCH_DOCS * 2 + 50)
    reindex([corpus], tmp_path / "serial", procs=1)
    reindex([corpus], tmp_path / "parallel", procs=2)
    serial, parallel = snapshot(tmp_path / "serial"), snapshot(tmp_path / "parallel")
    assert serial[0] == 1
    assert parallel[0] == 2, "each of the two workers writes its own segment"
    assert len(serial[1]) == BATCH_DOCS * 2 + 50
    assert ("body", "노동".encode()) in serial[3], "the corpus exercises Kiwi"
    assert parallel[1] == serial[1]
    assert parallel[2] == serial[2]
    assert parallel[3] == serial[3]


def test_cancelled_parallel_writer_stops_its_workers(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path, BATCH_DOCS * 2)
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, procs=1)
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        documents = list(searcher.documents())
    writer = ParallelWriter(ix, procs=2)
    for fields in documents:
        writer.add_document(**fields)
    assert writer.tasks, "workers were started"
    writer.cancel()
    assert not any(task.is_alive() for task in writer.tasks)
    assert whoosh_index.open_dir(str(index_dir)).doc_count() == BATCH_DOCS * 2


def test_a_parallel_index_ranks_and_highlights_as_one_segment_does(tmp_path: Path, monkeypatch) -> None:
    # The same scores and snippets, whichever segment a hit is in: the bonuses read postings one
    # segment at a time, and Whoosh's DisMax once scored a compound by its whole word's score in
    # another document, which depended on the segments.  (Fewer hits than the reranked depth,
    # so ties at its edge cannot change which documents are shown: it is deepened for that.)
    monkeypatch.setattr(rerank, "GRAMS_DEPTH", 200)
    monkeypatch.setattr(rerank, "RERANK_DEPTH", 100)
    corpus = write_corpus(tmp_path, BATCH_DOCS * 2 + 50)
    reindex([corpus], tmp_path / "serial", procs=1)
    reindex([corpus], tmp_path / "parallel", procs=2)
    serial, parallel = SearchEngine(tmp_path / "serial"), SearchEngine(tmp_path / "parallel")
    for query in ("국제노동기구와 협력", "사람중심 인공지능", "고용노동부 장관", "Global Accelerator"):
        # Without the bridge: its translations bring more hits than the reranked depth.
        one, two = (engine.search(query, per_page=100, bridge=False) for engine in (serial, parallel))
        assert 10 < one.total < rerank.RERANK_DEPTH
        assert {hit.id: (hit.score, hit.snippet) for hit in two.hits} == {
            hit.id: (hit.score, hit.snippet) for hit in one.hits
        }
        assert sum("<mark>" in hit.snippet for hit in one.hits) > len(one.hits) // 2


def test_a_reindex_that_replaces_a_whole_segment_drops_it(tmp_path: Path) -> None:
    # Whoosh keeps a segment whose every document is deleted in the index for ever; a jsonl whose
    # stat changed rewrites all its documents, so each such run left one more dead segment.
    corpus = write_corpus(tmp_path, BATCH_DOCS * 2)
    reindex([corpus], tmp_path / "index", procs=2)
    for round_ in range(3):
        with corpus.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"id": f"new{round_}", "text": "새 문서 new document"}) + "\n")
        reindex([corpus], tmp_path / "index", procs=2)
        segments = whoosh_index.open_dir(str(tmp_path / "index"))._segments()
        assert all(segment.doc_count() > 0 for segment in segments), [
            (segment.doc_count_all(), segment.deleted_count()) for segment in segments
        ]
        assert sum(segment.doc_count() for segment in segments) == BATCH_DOCS * 2 + round_ + 1


def term_postings(reader) -> dict[tuple[str, bytes], tuple]:
    """Every indexed term's info (df, total weight, first and last docnum, best weight) and
    postings (docnum, weight, value bytes), block by block as the matcher reads them."""
    found = {}
    for fieldname, term in reader.all_terms():
        info = reader.term_info(fieldname, term)
        matcher = reader.postings(fieldname, term)
        postings = []
        while matcher.is_active():
            postings.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        stats = (info.doc_frequency(), info.weight(), info.min_id(), info.max_id(), info.max_weight())
        found[fieldname, term] = (stats, postings)
    return found


class _OlderLeanCodec(LeanCodec):
    """The lean codec as an older dari wrote its segments: Whoosh's W3 blocks (its field writer
    wrote Whoosh's bytes), pickled without ``array_blocks``."""

    def field_writer(self, storage, segment) -> W3FieldWriter:
        return W3FieldWriter(self, storage, segment)


def test_the_array_blocks_and_term_pool_hold_what_whoosh_writes(tmp_path: Path) -> None:
    # Terms in more than one 128-posting block, weights that vary and repeat, empty values (the
    # words field's Existence format), fixed-size ones (grams), all dari's fields: what dari's pool
    # and block writer store (also when the pool spills runs to disk) reads back as what Whoosh's
    # own pool, field writer and codec store, and the files of W3's blocks read as before.
    documents = corpus_documents(300)
    for i, doc in enumerate(documents):
        doc["text"] += " 노동" * (i % 4) + " 공통"
    older = _OlderLeanCodec.__new__(_OlderLeanCodec)  # as unpickled: W3's state only
    older.__dict__.update(W3Codec(compression=0).__dict__)
    pickled_values = LeanCodec()  # array blocks whose values are one pickled tuple, as before
    pickled_values.value_ends = False
    read = {}
    for name, codec, pool_mb in (
        ("arrays", LeanCodec(), 512),
        ("spilling", LeanCodec(), 0.05),
        ("stock", W3Codec(), None),
        ("w3 blocks of an older dari", older, None),
        ("array blocks of an older dari", pickled_values, 512),
    ):
        folder = tmp_path / name
        folder.mkdir()
        writer = whoosh_index.create_in(str(folder), make_schema()).writer(codec=codec, compound=False)
        if pool_mb is not None:
            use_term_pool(writer, pool_mb)
            assert isinstance(writer.pool, TermPool)
        for doc in documents:
            writer.add_document(
                id=doc["id"],
                title=doc["title"],
                body=doc["text"],
                grams=doc["text"],
                words=(doc["title"], doc["text"]),
            )
        if name == "spilling":
            assert len(writer.pool.runs) > 3  # sorted runs on disk, merged at commit
        writer.commit()
        with whoosh_index.open_dir(str(folder)).reader() as reader:
            matchers = {type(reader.postings(f, t)) for f, t in reader.all_terms()}
            read[name] = term_postings(reader)
        assert matchers == ({ArrayBlockMatcher} if pool_mb else {W3LeafMatcher}), name
    assert len(read["stock"]) > 1000
    assert any(len(postings) > 128 for _, postings in read["stock"].values())
    assert read["arrays"] == read["stock"]
    assert read["spilling"] == read["stock"]
    assert read["w3 blocks of an older dari"] == read["stock"]
    assert read["array blocks of an older dari"] == read["stock"]


def test_segments_pickled_before_the_codec_moved_still_open(tmp_path: Path) -> None:
    # Each segment pickles its codec into the commit: those written before LeanCodec moved to
    # indexer.codec name it indexer.writer.LeanCodec, and must still read.
    reindex([bundled_seeds()], tmp_path / "index", procs=1)
    renamed = 0
    for toc in (tmp_path / "index").glob("_MAIN_*.toc"):
        pickled = toc.read_bytes()
        older = pickled.replace(
            b"\x8c\rindexer.codec\x94\x8c\tLeanCodec", b"\x8c\x0eindexer.writer\x94\x8c\tLeanCodec"
        )
        renamed += older != pickled
        toc.write_bytes(older)
    assert renamed
    hits = SearchEngine(tmp_path / "index").search("협력").hits
    assert hits and hits[0].lang == "ko"


def test_the_term_index_written_in_bulk_is_whooshs_byte_for_byte(tmp_path: Path) -> None:
    # Over a megabyte of entries, so add_in_order writes in more than one go.
    entries = [(b"\x00\x01" + f"term{i:06d}".encode(), bytes(range(i % 40))) for i in range(60_000)]
    written = {}
    for name in ("whoosh", "bulk"):
        storage = FileStorage(str(tmp_path)).create()
        tindex = OrderedHashWriter(CountingFile(storage.create_file(name)))
        if name == "whoosh":
            for key, value in entries:
                tindex.add(key, value)
        else:
            add_in_order(tindex, iter(entries))
        tindex.close()
        written[name] = (tmp_path / name).read_bytes()
    assert len(written["bulk"]) > 2 << 20
    assert written["bulk"] == written["whoosh"]
