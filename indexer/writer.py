"""Index writers: one writing process, or Whoosh's multiprocessing writer made safe, and their settings.

Both commit through ``storage.DurableCommits`` (durable, the commit before kept), pool postings by
term (``TermPool``) and write them in ``codec``'s format (``LeanCodec``).  The write lock is Whoosh's
file lock (an ``flock``, which the OS releases when its process dies, so a stale lock never blocks);
a second writer is told who holds it.  Imports ``blocks``, ``codec``, ``morphemes``, ``storage`` and
``schema``.
"""

from __future__ import annotations

import gc
import os
import queue
import threading
import time
from pathlib import Path

from whoosh.fields import Schema
from whoosh.index import LockError
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import MERGE_SMALL, SegmentWriter

from indexer.blocks import TermPool
from indexer.codec import LeanCodec  # also what commits before ``codec`` pickled by this name
from indexer.morphemes import has_hangul, warm_up
from indexer.schema import SCHEMA_VERSION
from indexer.storage import CommitIndex, DurableCommits

PID_FILE = "dari-writer.pid"
LOCK_TIMEOUT = 2.0  # seconds a second writer waits before telling the user the index is busy
MAX_PROCS = 4  # worker processes at most: each holds its own write buffer
# Postings each writing process keeps in memory before spilling a sorted run to disk (Whoosh's
# limitmb, default 128), as ``TermPool`` counts them (close to their real memory).  Spilled runs are
# merged at commit; 512 holds ~25k documents of 1.6 KB (10k: 195 MiB in 157k terms).
BUFFER_MB = 512
BATCH_DOCS = 100  # documents per job handed to a worker
# A worker's garbage collector runs once per this many new container objects, not CPython's 700:
# indexing makes millions of short-lived tuples and next to no reference cycles, and each full
# collection walks every pooled term.
GC_THRESHOLD = 50_000


class IndexLocked(Exception):
    """Another reindex holds the index's write lock."""


class WorkerFailed(Exception):
    """An indexing worker process died; nothing was committed."""


def default_procs() -> int:
    """One indexing process per core, up to MAX_PROCS."""
    return max(1, min(os.cpu_count() or 1, MAX_PROCS))


def use_term_pool(writer: SegmentWriter, limitmb: float = BUFFER_MB) -> SegmentWriter:
    """``writer`` with a ``TermPool`` in place of its (still empty) Whoosh pool."""
    writer.pool = TermPool(writer.temp_storage(), writer.newsegment, limitmb=limitmb)
    return writer


class _Worker(SubWriterTask):
    """A writing worker that pools postings by term and exits when its parent dies (``kill -9``): it
    would otherwise wait for jobs forever, holding the index's write lock, which it inherited with
    the parent's files.  As Whoosh's worker with ``multisegment``, it writes a segment of its own."""

    def run(self) -> None:
        threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
        # What the worker inherited (Kiwi's Python side, the modules) is frozen: its collections
        # neither walk those objects nor copy the pages they sit on, which fork shares.
        gc.freeze()
        gc.set_threshold(GC_THRESHOLD)
        ix = self.storage.open_index(self.indexname)
        self.writer = use_term_pool(SegmentWriter(ix, _lk=False, **self.kwargs))
        while (job := self.jobqueue.get()) is not None:  # None: the parent has no more
            self._process_file(*job)
        fieldnames = self.writer.pool.fieldnames
        self.resultqueue.put((None, fieldnames, self.writer._finalize_segment()), timeout=5)


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


class ParallelWriter(DurableCommits, MpWriter):
    """Whoosh's multiprocessing writer, made to share Kiwi and to fail loudly.

    Worker processes each analyse their batches and write their own segment (``multisegment``), so
    Kiwi and Whoosh's posting work both run on every core and nothing is merged at the end.  Kiwi is
    warmed here before a worker forks (when its first batch has Hangul), so the workers share its
    ~265 MiB copy-on-write instead of each loading one.  Stock ``MpWriter`` commits without the
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


def open_writer(
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
        use_term_pool(writer)
    except LockError:
        holder = pid_file.read_text().strip() if pid_file.exists() else "unknown"
        raise IndexLocked(f"The index at {index_dir} is locked by another reindex (pid {holder}).") from None
    writer.schema.dari_version = SCHEMA_VERSION  # an index from before versions gets its own
    pid_file.write_text(str(os.getpid()))
    return writer
