"""The on-disk Whoosh index: its schema, where it lives, and incremental reindexing.

Whoosh commits by writing new segment files and then atomically renaming a new table of contents
into place, so readers keep the last committed state until a reindex's commit is complete, and a
killed reindex leaves that state intact; ``indexer.storage`` makes those commits durable, keeps the
one before, and reads past a commit that cannot be read.  One writer at a time is enforced by
Whoosh's file lock (an ``flock``, which the OS releases when its process dies, so a stale lock
never blocks).  The schema carries a version, so an index made by an older dari, or not by dari,
is explained instead of misread.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
from tqdm import tqdm
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.index import LockError
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
from indexer.storage import (
    CommitIndex,
    DurableCommits,
    DurableStorage,
    IndexDamaged,
    IndexUnusable,
    has_commits,
)
from indexer.surface import SurfaceWordsField

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
# Raised when documents or their analysis change so that an index made before cannot be read or
# updated as it is (``dari reindex --full`` rebuilds it).  Stored in every commit's schema.
SCHEMA_VERSION = 2  # 2: American spellings and folded accents (labour → labor), surface words
DARI_FIELDS = {"id", "body", "path", "hash"}  # what any dari index, of any version, has


class IndexMissing(Exception):
    """No index (or an empty one) where we looked."""

    def __init__(self, index_dir: Path) -> None:
        super().__init__(f"No index at {index_dir}: run `dari reindex` first.")


class IndexLocked(Exception):
    """Another reindex holds the index's write lock."""


class IndexIncompatible(IndexUnusable):
    """The index was made by another dari version, or is not a dari index."""


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
    schema = Schema(
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
        words=SurfaceWordsField(),  # Korean words as written, the vocabulary of forgiving search
    )
    schema.dari_version = SCHEMA_VERSION  # pickled with the schema into each commit
    return schema


def _field_types(schema: Schema) -> dict[str, str]:
    return {name: type(field).__name__ for name, field in schema.items()}


def _only_stored_fields_missing(schema: Schema) -> bool:
    """Whether ``schema`` is today's but for stored fields added since (``pages``, ``root``, ``line``)."""
    ours, theirs = _field_types(make_schema()), _field_types(schema)
    return all(ours.get(name) == kind for name, kind in theirs.items()) and all(
        ours[name] == "STORED" for name in ours.keys() - theirs.keys()
    )


def schema_problem(schema: Schema, index_dir: Path) -> IndexIncompatible | None:
    """Why this dari cannot use an index with ``schema`` (None: it can)."""
    version = getattr(schema, "dari_version", None)
    if version == SCHEMA_VERSION:
        return None
    if version is None and _only_stored_fields_missing(schema):
        return None  # made before the schema carried its version; the next reindex adds the fields
    if version is None and not set(schema.names()) >= DARI_FIELDS:
        return IndexIncompatible(
            f"The index at {index_dir} is not a dari index (a Whoosh index with the fields "
            f"{', '.join(sorted(schema.names()))}): dari leaves it alone; use another --index folder."
        )
    made_by = (
        f"an older dari (schema {version or 0})"
        if (version or 0) < SCHEMA_VERSION
        else (f"a newer dari (schema {version})")
    )
    return IndexIncompatible(
        f"The index at {index_dir} was made by {made_by}; this dari reads schema {SCHEMA_VERSION}: "
        "run `dari reindex --full` to rebuild it."
    )


def default_index_dir() -> Path:
    """``$DARI_INDEX``, else the per-user data folder (e.g. ~/.local/share/dari/index)."""
    env = os.environ.get("DARI_INDEX")
    return Path(env) if env else platformdirs.user_data_path("dari") / "index"


def bundled_seeds() -> Path:
    """The default corpus shipped beside the package: the repository's ``seeds/``."""
    return Path(__file__).resolve().parent.parent / "seeds"


def open_index(index_dir: Path) -> CommitIndex:
    """Open an existing, non-empty index at its newest readable commit, or raise IndexMissing,
    IndexDamaged (no commit can be read) or IndexIncompatible."""
    if not has_commits(str(index_dir)):
        raise IndexMissing(index_dir)
    ix = CommitIndex(DurableStorage(str(index_dir)))
    problem = schema_problem(ix.schema, index_dir)
    if problem:
        raise problem
    if ix.doc_count() == 0:
        raise IndexMissing(index_dir)
    return ix


def _open_or_create(index_dir: Path, full: bool) -> tuple[CommitIndex, Schema | None]:
    """The index to write, and the schema to start it over with (None: keep its commits).

    An index this dari cannot read is started over by ``full`` (a damaged one, or one made by
    another dari version); a foreign index never is.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    storage = DurableStorage(str(index_dir))
    if not storage.commit_files():
        return CommitIndex.create(storage, make_schema()), None
    ix = CommitIndex(storage)
    try:
        problem = schema_problem(ix.schema, index_dir)
    except IndexDamaged:
        if full:
            return ix, make_schema()
        raise
    if problem is None:
        return ix, None
    if full and set(ix.schema.names()) >= DARI_FIELDS:
        return ix, make_schema()
    raise problem


def _with_new_fields(ix: CommitIndex, index_dir: Path) -> CommitIndex:
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
    return CommitIndex(DurableStorage(str(index_dir)))


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


class ParallelWriter(DurableCommits, MpWriter):
    """Whoosh's multiprocessing writer, made to share Kiwi and to fail loudly.

    Worker processes each analyse their batches and write their own segment (``multisegment``), so
    Kiwi and Whoosh's posting work both run on every core and nothing is merged at the end.  Kiwi is
    warmed here before a worker forks (when its first batch has Hangul), so the workers share its
    ~330 MiB copy-on-write instead of each loading one.  Stock ``MpWriter`` commits without the
    documents of a worker that died, or whose segment is not in the result queue within a second
    of its end; this writer waits for every worker's segment, raises if one ends without sending
    it, and then leaves the index as it was; its ``cancel`` stops the workers.
    """

    def __init__(
        self,
        ix: CommitIndex,
        *,
        procs: int,
        timeout: float = LOCK_TIMEOUT,
        fresh_schema: Schema | None = None,
        **kwargs,
    ) -> None:
        # The workers' writers get the same settings, but never the lock (they run under this one).
        super().__init__(
            ix,
            timeout=timeout,
            fresh_schema=fresh_schema,
            procs=procs,
            batchsize=BATCH_DOCS,
            multisegment=True,
            subargs=dict(kwargs),
            **kwargs,
        )

    def _new_task(self) -> _Worker:
        if any(
            has_hangul(fields.get("title", "")) or has_hangul(fields.get("body", ""))
            for _, fields in self.docbuffer
        ):
            warm_up()
        task = _Worker(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        self.tasks.append(task)
        task.start()
        return task

    def _commit(self, mergetype, optimize, merge):
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        segments = self._merge_segments(mergetype, optimize, merge) + self._worker_segments()
        for task in self.tasks:
            task.join()
        if self._added:  # existing small segments merged into this writer's own
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(segments)
        self._finish()

    def _worker_segments(self) -> list:
        """Every worker's segment, however long its commit takes (read before joining them, so a
        worker never waits on a full pipe); a worker that fails or ends without sending one fails
        the run."""
        segments = []
        while len(segments) < len(self.tasks):
            if any(task.exitcode for task in self.tasks):
                raise WorkerFailed("An indexing worker process failed; the index was not changed.")
            # Once every worker has ended, what each sent is already in the queue's pipe.
            ended = all(task.exitcode is not None for task in self.tasks)
            try:
                _, _, segment = self.resultqueue.get(timeout=1)
            except queue.Empty:
                if ended:
                    missing = len(self.tasks) - len(segments)
                    raise WorkerFailed(
                        f"{missing} of {len(self.tasks)} indexing workers ended without sending their "
                        "documents; the index was not changed."
                    ) from None
                continue
            segments.append(segment)
        return segments

    def cancel(self) -> None:
        # Stock MpWriter.cancel flags its copy of each worker, not the worker, which then waits
        # for jobs forever and keeps this process from exiting.
        for task in self.tasks:
            task.terminate()
            task.join()
        DurableCommits.cancel(self)


def merge_small_dropping_empty(writer: SegmentWriter, segments: list) -> list:
    """Whoosh's default merge policy, after dropping the segments whose every document is deleted.

    Whoosh keeps such a segment in the table of contents for ever (Lucene drops it at commit):
    each reindex that replaced a segment's documents left one more behind, read by every search.
    """
    return MERGE_SMALL(writer, [segment for segment in segments if segment.doc_count() > 0])


def _writer(
    ix: CommitIndex, index_dir: Path, procs: int = 1, fresh_schema: Schema | None = None
) -> DurableCommits:
    """Take the write lock or explain who holds it."""
    pid_file = index_dir / PID_FILE
    try:
        if procs > 1:
            writer = ParallelWriter(
                ix,
                procs=procs,
                timeout=LOCK_TIMEOUT,
                fresh_schema=fresh_schema,
                limitmb=BUFFER_MB,
                codec=LeanCodec(),
            )
        else:
            writer = DurableCommits(
                ix, timeout=LOCK_TIMEOUT, fresh_schema=fresh_schema, limitmb=BUFFER_MB, codec=LeanCodec()
            )
    except LockError:
        holder = pid_file.read_text().strip() if pid_file.exists() else "unknown"
        raise IndexLocked(f"The index at {index_dir} is locked by another reindex (pid {holder}).") from None
    writer.schema.dari_version = SCHEMA_VERSION  # an index from before versions gets its own
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
    ix, fresh_schema = _open_or_create(index_dir, full)
    if fresh_schema is None:
        ix = _with_new_fields(ix, index_dir)
    writer = _writer(ix, index_dir, default_procs() if procs is None else procs, fresh_schema)
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


def _stored_documents(ix: CommitIndex) -> dict[str, dict]:
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
        "words": (doc.title, doc.text),
    }
