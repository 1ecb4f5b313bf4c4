"""The on-disk Whoosh index: its schema, where it lives, and incremental reindexing.

Whoosh commits by writing new segment files and then atomically renaming a new table of contents
into place, so readers keep the last committed state until a reindex's commit is complete, and a
killed reindex leaves that state intact.  One writer at a time is enforced by Whoosh's file lock
(an ``flock``, which the OS releases when its process dies, so a stale lock never blocks).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
from tqdm import tqdm
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.index import FileIndex, LockError
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.system import pack_uint
from whoosh.writing import CLEAR, MERGE_SMALL, SegmentWriter

from indexer.analysis import has_hangul, make_analyzer, make_bigram_analyzer, warm_up
from indexer.documents import (
    Document,
    DocumentIds,
    Notice,
    Place,
    Skipped,
    Unchanged,
    is_under,
    read_documents,
    valid_unicode,
)

PID_FILE = "dari-writer.pid"
# The files whose last read had bad lines: they are read (and their lines reported) again on every
# run until fixed, although their size and modification time say they are unchanged.
SKIP_RECORD = "dari-skipped.json"
LOCK_TIMEOUT = 2.0  # seconds a second writer waits before telling the user the index is busy
MAX_PROCS = 4  # worker processes at most: each holds its own write buffer
# Postings each writing process keeps in memory before spilling a sorted run to disk (Whoosh's
# limitmb, default 128).  Spilled runs are merged in Python at commit: ~15 % more CPU for a build
# that spills several; 512 (~600 MiB of real memory per process) holds ~15k documents of 1.6 KB.
BUFFER_MB = 512
BATCH_DOCS = 100  # documents per job handed to a worker


class IndexMissing(Exception):
    """No index (or an empty one) where we looked."""

    def __init__(self, index_dir: Path) -> None:
        super().__init__(f"No index at {index_dir}: run `dari reindex` first.")


class IndexLocked(Exception):
    """Another reindex holds the index's write lock."""


@dataclass
class ReindexSummary:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    seconds: float = 0.0


class WorkerFailed(Exception):
    """An indexing worker process died; nothing was committed."""


class SkippedFiles(Exception):
    """A strict reindex found files it could not index, so it changed nothing."""

    def __init__(self, summary: ReindexSummary) -> None:
        super().__init__(f"{len(summary.skipped)} skipped (--strict): the index was not changed.")
        self.summary = summary


class BigramField(TEXT):
    """Hangul bigrams of title + body (``grams``), counted straight from the tokenizer's spans.

    Whoosh's TEXT field would make a Token of each of the hundreds of bigrams of a Korean document
    only to count them; these are the same postings for ~3 % less indexing CPU on the mix.
    """

    def __init__(self) -> None:
        super().__init__(analyzer=make_bigram_analyzer(), phrase=False)

    def index(self, value: str, **kwargs) -> list[tuple[bytes, int, float, bytes]]:
        counts = Counter(text for _, _, text, _ in self.analyzer.normalized_spans(value))
        boost = self.format.field_boost
        return [(gram.encode("utf-8"), n, n * boost, pack_uint(n)) for gram, n in counts.items()]


def make_schema() -> Schema:
    analyzer = make_analyzer()
    return Schema(
        id=ID(unique=True, stored=True),
        # chars=True stores each term's character offsets, so highlights need no re-analysis.
        title=TEXT(analyzer=analyzer, stored=True, chars=True),
        body=TEXT(analyzer=analyzer, stored=True, chars=True),
        # Hangul bigrams of title + body: a ranking signal that survives Kiwi's segmentation.
        grams=BigramField(),
        lang=ID(stored=True),
        path=ID(stored=True),
        root=STORED,  # the indexed folder (or file) the document was found under: ids are unique per root
        line=STORED,  # its line in a .jsonl, None for a file of its own
        size=STORED,
        mtime=STORED,
        hash=STORED,
        pages=STORED,  # where each page starts in body (PDF, PPTX, XLSX), so a hit can name its page
    )


def default_index_dir() -> Path:
    """``$DARI_INDEX``, else the per-user data folder (e.g. ~/.local/share/dari/index)."""
    env = os.environ.get("DARI_INDEX")
    return Path(env) if env else platformdirs.user_data_path("dari") / "index"


def bundled_seeds() -> Path:
    """The default corpus shipped beside the package: the repository's ``seeds/``."""
    return Path(__file__).resolve().parent.parent / "seeds"


def open_index(index_dir: Path) -> FileIndex:
    """Open an existing, non-empty index, or raise IndexMissing."""
    if not whoosh_index.exists_in(str(index_dir)):
        raise IndexMissing(index_dir)
    ix = whoosh_index.open_dir(str(index_dir))
    if ix.doc_count() == 0:
        raise IndexMissing(index_dir)
    return ix


def _open_or_create(index_dir: Path) -> FileIndex:
    index_dir.mkdir(parents=True, exist_ok=True)
    if whoosh_index.exists_in(str(index_dir)):
        return whoosh_index.open_dir(str(index_dir))
    return whoosh_index.create_in(str(index_dir), make_schema())


def _with_new_fields(ix: FileIndex, index_dir: Path) -> FileIndex:
    """The index with the stored fields its schema has gained since it was made (``pages``,
    ``root``, ``line``), committed first: its writers, parallel workers included, take the schema
    from the last commit.  An index built by an older dari then needs no rebuild."""
    missing = [(name, kind) for name, kind in make_schema().items() if name not in ix.schema]
    if not missing:
        return ix
    writer = _writer(ix, index_dir)
    try:
        for name, kind in missing:
            writer.add_field(name, kind)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return whoosh_index.open_dir(str(index_dir))


def default_procs() -> int:
    """One indexing process per core, up to MAX_PROCS."""
    return max(1, min(os.cpu_count() or 1, MAX_PROCS))


class LeanCodec(W3Codec):
    """Whoosh's default codec without per-posting length statistics or compressed blocks.

    For every posting, the stock writer looks up its document's field length to record each
    block's shortest document, which only bounds block-max skipping; search scores every match
    (``usequality=False``), and a bound of length 0 stays a safe over-estimate.  Uncompressed
    posting blocks make the index 2–3× larger and indexing and queries ~5 % faster.  The files
    are those of ``W3Codec``, which reads them.
    """

    length_stats = False

    def __init__(self) -> None:
        super().__init__(compression=0)


class _Worker(SubWriterTask):
    """A writing worker that exits when its parent dies (``kill -9``): it would otherwise wait for
    jobs forever, holding the index's write lock, which it inherited with the parent's files."""

    def run(self) -> None:
        threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
        super().run()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


class ParallelWriter(MpWriter):
    """Whoosh's multiprocessing writer, made to share Kiwi and to fail loudly.

    Worker processes each analyse their batches and write their own segment (``multisegment``), so
    Kiwi and Whoosh's posting work both run on every core and nothing is merged at the end.  Kiwi is
    warmed here before a worker forks (when its first batch has Hangul), so the workers share its
    ~330 MiB copy-on-write instead of each loading one.  Stock ``MpWriter`` commits without the
    documents of a worker that died; this writer raises and leaves the index as it was, and its
    ``cancel`` stops the workers.
    """

    def _new_task(self) -> _Worker:
        if any(has_hangul(fields.get("title", "")) or has_hangul(fields.get("body", ""))
               for _, fields in self.docbuffer):
            warm_up()
        task = _Worker(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                       self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        for task in self.tasks:
            task.join()
        if any(task.exitcode for task in self.tasks):
            raise WorkerFailed("An indexing worker process failed; the index was not changed.")
        super()._commit(mergetype, optimize, merge)

    def cancel(self) -> None:
        # Stock MpWriter.cancel flags its copy of each worker, not the worker, which then waits
        # for jobs forever and keeps this process from exiting.
        for task in self.tasks:
            task.terminate()
            task.join()
        SegmentWriter.cancel(self)


def merge_small_dropping_empty(writer: SegmentWriter, segments: list) -> list:
    """Whoosh's default merge policy, after dropping the segments whose every document is deleted.

    Whoosh keeps such a segment in the table of contents for ever (Lucene drops it at commit):
    each reindex that replaced a segment's documents left one more behind, read by every search.
    """
    return MERGE_SMALL(writer, [segment for segment in segments if segment.doc_count() > 0])


def _writer(ix: FileIndex, index_dir: Path, procs: int = 1) -> SegmentWriter:
    """Take the write lock or explain who holds it."""
    pid_file = index_dir / PID_FILE
    try:
        if procs > 1:
            writer = ParallelWriter(ix, procs=procs, batchsize=BATCH_DOCS, multisegment=True,
                                    timeout=LOCK_TIMEOUT, limitmb=BUFFER_MB, codec=LeanCodec())
        else:
            writer = ix.writer(timeout=LOCK_TIMEOUT, limitmb=BUFFER_MB, codec=LeanCodec())
    except LockError:
        holder = pid_file.read_text().strip() if pid_file.exists() else "unknown"
        raise IndexLocked(f"The index at {index_dir} is locked by another reindex (pid {holder}).") from None
    pid_file.write_text(str(os.getpid()))
    return writer


def reindex(
    paths: Sequence[Path],
    index_dir: Path,
    *,
    full: bool = False,
    progress: bool = False,
    strict: bool = False,
    procs: int | None = None,
    follow_links: bool = False,
) -> ReindexSummary:
    """Bring the index in line with the files under ``paths``.

    Unchanged documents are skipped (by file size and mtime, then by content hash), changed ones
    replaced, and documents whose file under one of ``paths`` is gone are deleted; documents from
    other paths, of files that could not be read and under folders that could not be listed are
    left alone.  ``full`` rebuilds the index from ``paths`` alone.  ``strict`` raises SkippedFiles
    instead of committing when any file was skipped.  ``procs`` (default: one per core) processes
    analyse and write documents in parallel.  ``follow_links`` indexes file symlinks that lead
    outside ``paths``.
    """
    started = time.perf_counter()
    roots = list(dict.fromkeys(Path(os.path.abspath(p)) for p in paths))
    ix = _with_new_fields(_open_or_create(index_dir), index_dir)
    writer = _writer(ix, index_dir, default_procs() if procs is None else procs)
    summary = ReindexSummary()
    try:
        known = {} if full else _stored_documents(ix)
        file_stats = {(doc["path"], doc["size"], doc["mtime"]) for doc in known.values()}
        reread = set() if full else _read_skip_record(index_dir)
        doc_ids = DocumentIds((doc_id, _place(doc)) for doc_id, doc in known.items())
        seen_ids: set[str] = set()
        kept_paths: set[str] = set()  # files (and folders) whose documents stay as they are
        bad_files: set[str] = set()  # files with bad lines this run
        touched = False  # anything written or deleted: worth a commit

        def unchanged(path: Path) -> bool:
            stored_path = valid_unicode(str(path))
            if stored_path in reread:
                return False
            try:
                stat = path.stat()
            except OSError:
                return False  # read_file reports why
            return (stored_path, stat.st_size, stat.st_mtime) in file_stats

        def kept(path: str) -> bool:
            return path in kept_paths or any(str(parent) in kept_paths for parent in Path(path).parents)

        items = read_documents(
            roots, unchanged=None if full else unchanged, doc_ids=doc_ids, follow_links=follow_links
        )
        bar = tqdm(items, unit=" docs", disable=not progress, leave=False)
        for _, item in bar:
            if isinstance(item, Notice):
                summary.notices.append(item)
                continue
            if isinstance(item, Skipped):
                summary.skipped.append(item)
                if item.line is not None:
                    bad_files.add(item.path)
                elif item.keeps_old and os.path.lexists(item.path):
                    kept_paths.add(item.path)  # there but unreadable: it keeps its last good version
                continue
            if isinstance(item, Unchanged):
                kept_paths.add(item.path)
                continue
            seen_ids.add(item.id)
            previous = known.get(item.id)
            if previous is not None and previous["hash"] == item.hash:
                summary.unchanged += 1
                if _source(previous) != _source(_fields(item)):
                    writer.update_document(**_fields(item))  # refresh the stat that skips reads, or its name
                    touched = True
                continue
            if previous is None:
                writer.add_document(**_fields(item))  # nothing to replace: skip the id lookup
                summary.added += 1
            else:
                writer.update_document(**_fields(item))
                summary.updated += 1
        root_names = [str(root) for root in roots]
        for doc_id, doc in known.items():
            if doc_id in seen_ids:
                continue
            if kept(doc["path"]):
                summary.unchanged += 1
            elif is_under(doc["path"], root_names):
                writer.delete_by_term("id", doc_id)
                summary.deleted += 1
        if strict and summary.skipped:
            raise SkippedFiles(summary)
        # Written before the commit, under the lock: a file it misses after a failed commit differs
        # from the index anyway, so the next run reads it again.
        not_read = {path for path in reread if kept(path) or not is_under(path, root_names)}
        _write_skip_record(index_dir, bad_files | not_read)
        if full:
            writer.commit(mergetype=CLEAR)
        elif touched or summary.added or summary.updated or summary.deleted:
            writer.commit(mergetype=merge_small_dropping_empty)
        else:
            writer.cancel()
    except BaseException:
        writer.cancel()
        raise
    summary.seconds = time.perf_counter() - started
    return summary


def _read_skip_record(index_dir: Path) -> set[str]:
    try:
        return set(json.loads((index_dir / SKIP_RECORD).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return set()  # none yet, or unreadable: the files are read again when they change


def _write_skip_record(index_dir: Path, files: set[str]) -> None:
    record, temporary = index_dir / SKIP_RECORD, index_dir / f"{SKIP_RECORD}.tmp"
    if files == _read_skip_record(index_dir):
        return
    temporary.write_text(json.dumps(sorted(files), ensure_ascii=False), encoding="utf-8")
    temporary.replace(record)


def _source(doc: dict) -> tuple:
    """Where a stored document was read from, and that file's size and modification time."""
    return doc["path"], doc.get("root"), doc.get("line"), doc["size"], doc["mtime"]


def _place(doc: dict) -> Place:
    return Place(doc.get("root"), doc["path"], doc.get("line"))


def _stored_documents(ix: FileIndex) -> dict[str, dict]:
    """id → stored fields (path, root, line, size, mtime, hash) of every document in the index."""
    with ix.reader() as reader:
        return {
            doc["id"]: {key: doc.get(key) for key in ("path", "root", "line", "size", "mtime", "hash")}
            for doc in reader.all_stored_fields()
        }


def _fields(doc: Document) -> dict:
    return {
        "id": doc.id,
        "title": doc.title,
        "body": doc.text,
        "grams": f"{doc.title}\n{doc.text}",
        "lang": doc.lang,
        "path": doc.path,
        "root": doc.root,
        "line": doc.line,
        "size": doc.size,
        "mtime": doc.mtime,
        "hash": doc.hash,
        "pages": doc.pages,
    }
