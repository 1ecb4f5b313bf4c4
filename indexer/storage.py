"""Commits that survive a crash or power loss, and a reader that skips a commit it cannot read.

Whoosh commits by writing segment files, then a table of contents (``_MAIN_<generation>.toc``)
renamed into place, and deletes the previous table of contents at once.  Nothing is fsynced, so
after a power loss the newest toc can be empty or cut short, or name a segment whose blocks never
reached the disk, and there is no older commit to go back to.  Here, as in Lucene:

- a commit fsyncs its segment files, then its toc (before the rename), then the folder;
- the last ``KEEP_COMMITS`` readable commits are kept, with every segment file they use;
- readers and writers use the newest commit whose toc and segments open cleanly, and say once
  (a logged warning, one line) which commit they skipped and why;
- a writer removes what failed or killed writers left (scratch folders, half-written tocs, segment
  files no kept commit uses) as soon as it holds the lock, and again when it finishes.
A segment's files are read from its memory map (``MappedFile``), not from a copy per searcher.
Imports nothing of dari.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from whoosh.filedb import compound
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.index import TOC, EmptyIndexError, FileIndex, LockError
from whoosh.reading import SegmentReader
from whoosh.util.filelock import try_for
from whoosh.writing import SegmentWriter

INDEX_NAME = "MAIN"  # Whoosh's default index name: the files are _MAIN_<n>.toc and MAIN_<id>.<ext>
# Commits kept: the newest and the one before it, to fall back to if the newest is lost.  Each
# kept commit holds on to the segments it uses, so a --full rebuild takes twice its size on disk
# until the commit after it.
KEEP_COMMITS = 2
TOC_FILE = re.compile(rf"^_{INDEX_NAME}_(\d+)\.toc$")
TOC_BEING_WRITTEN = re.compile(rf"^_{INDEX_NAME}_\d+\.toc\.[\d.]+$")  # a toc before its rename
SEGMENT_FILE = re.compile(rf"^({INDEX_NAME}_[0-9a-z]+)\.[A-Za-z0-9_.]+$")
SCRATCH_FOLDER = f"{INDEX_NAME}.tmp"  # a writer's posting runs and job files

log = logging.getLogger("dari")


class IndexUnusable(Exception):
    """The index exists but cannot be used as it is; the message says what to run."""


class IndexDamaged(IndexUnusable):
    """No commit of the index can be read."""


@dataclass(frozen=True)
class CommitFile:
    """A toc file as found on disk: a rewritten toc of the same generation is another commit."""

    generation: int
    inode: int
    size: int
    mtime_ns: int


class MappedFile(BufferFile):
    """Whoosh's file over part of a compound segment's memory map, without copying that part.

    Whoosh's ``BufferFile`` wraps the map in a ``BytesIO``, which copies it: every searcher (one
    per server thread) held a copy of the whole index, 1.3 GB at 100k documents, made on its first
    search.  Reads by position slice the map, as before; the few sequential ones read it here.
    """

    def __init__(self, buf, name=None, onclose=None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf, self.file = buf, MapReader(buf)


class MapReader:
    """The read, readline, seek and tell of a file (what StructFile and pickle ask) over a buffer."""

    def __init__(self, buf) -> None:
        self._buf, self._at = buf, 0

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else min(self._at + size, len(self._buf))
        data, self._at = bytes(self._buf[self._at : end]), max(end, self._at)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else min(self._at + size, len(self._buf))
        start = self._at
        while start < end:  # a window at a time: never a copy of the rest of the file
            cut = bytes(self._buf[start : min(start + 256, end)]).find(b"\n")
            if cut >= 0:
                return self.read(start + cut + 1 - self._at)
            start += 256
        return self.read(end - self._at)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._at = offset + {os.SEEK_SET: 0, os.SEEK_CUR: self._at, os.SEEK_END: len(self._buf)}[whence]
        return self._at

    def tell(self) -> int:
        return self._at


compound.BufferFile = MappedFile  # what Whoosh's CompoundStorage opens a mapped segment's files as


def _fsync(path: str) -> None:
    """fsync a file or a folder.  On Linux fsync writes the file's dirty pages whichever descriptor
    asks, so a segment that a worker process wrote and closed is made durable here."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DurableStorage(FileStorage):
    """Whoosh's folder storage whose renames (the commit step) are durable, opening CommitIndex.

    It also remembers which commits it found readable or not, so the workers of a parallel writer
    (which inherit it) and every call of a long-lived index check and report a bad commit once.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.verdicts: dict[CommitFile, str | None] = {}  # None: it opens cleanly; else why not

    def sync(self, names: list[str]) -> None:
        for name in names:
            _fsync(self._fpath(name))

    def rename_file(self, oldname: str, newname: str, safe: bool = False) -> None:
        """The file's bytes reach the disk before its new name does, and the name after the rename."""
        _fsync(self._fpath(oldname))
        super().rename_file(oldname, newname, safe=safe)
        _fsync(self.folder)

    def open_index(self, indexname: str = INDEX_NAME, schema=None, indexclass=None) -> CommitIndex:
        return CommitIndex(self, indexname)

    def commit_files(self) -> list[CommitFile]:
        """The tocs in the folder, newest first."""
        found = []
        for name in self.list():
            match = TOC_FILE.match(name)
            if match:
                with contextlib.suppress(FileNotFoundError):  # pruned meanwhile
                    stat = os.stat(self._fpath(name))
                    generation = int(match.group(1))
                    found.append(CommitFile(generation, stat.st_ino, stat.st_size, stat.st_mtime_ns))
        return sorted(found, key=lambda commit: commit.generation, reverse=True)


def _reason(error: BaseException) -> str:
    """A one-line account of why a commit does not open."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


class CommitIndex(FileIndex):
    """A Whoosh FileIndex that reads the newest commit that opens cleanly (every call re-checks,
    as FileIndex does, so a new commit is seen), and raises IndexDamaged when none does."""

    def __init__(self, storage: DurableStorage, indexname: str = INDEX_NAME) -> None:
        # Unlike FileIndex, reading nothing yet: a writer of a --full rebuild opens a damaged index.
        self.storage = storage
        self._schema = None
        self.indexname = indexname

    @classmethod
    def create(cls, storage: DurableStorage, schema, indexname: str = INDEX_NAME) -> CommitIndex:
        TOC.create(storage, schema, indexname)
        return cls(storage, indexname)

    def _read_toc(self) -> TOC:
        return self.readable_commits(1)[0]

    def readable_commits(self, limit: int) -> list[TOC]:
        """The newest ``limit`` commits that open cleanly, newest first (at least one, or raise)."""
        storage: DurableStorage = self.storage
        files = storage.commit_files()
        if not files:
            raise EmptyIndexError(f"No index in {storage.folder}")
        readable: list[TOC] = []
        skipped: list[tuple[CommitFile, str]] = []
        newly_skipped: list[CommitFile] = []
        for commit in files:
            known = commit in storage.verdicts
            toc = self._checked(commit)
            if isinstance(toc, str):
                skipped.append((commit, toc))
                if not known:
                    newly_skipped.append(commit)
            elif toc is not None:
                readable.append(toc)
                if len(readable) == limit:
                    break
        if not readable:
            reasons = "; ".join(f"commit {c.generation}: {why}" for c, why in skipped[:3])
            raise IndexDamaged(
                f"The index at {storage.folder} is damaged, no commit can be read ({reasons}): "
                "run `dari reindex --full` to rebuild it."
            )
        for commit in newly_skipped:
            if commit.generation > readable[0].generation:
                log.warning(
                    "Warning: commit %d of the index at %s cannot be read (%s); using commit %d "
                    "until the next `dari reindex`.",
                    commit.generation,
                    storage.folder,
                    storage.verdicts[commit],
                    readable[0].generation,
                )
        return readable

    def _checked(self, commit: CommitFile) -> TOC | str | None:
        """The commit's toc if it and its segments open cleanly, else why not (None: it is gone)."""
        storage: DurableStorage = self.storage
        if storage.verdicts.get(commit):
            return storage.verdicts[commit]
        toc_name = TOC._filename(self.indexname, commit.generation)
        try:
            toc = TOC.read(storage, self.indexname, gen=commit.generation)
            if commit not in storage.verdicts:
                for segment in toc.segments:
                    SegmentReader(storage, toc.schema, segment, generation=commit.generation).close()
        except FileNotFoundError as error:
            if not storage.file_exists(toc_name):
                return None  # pruned by a writer since the listing: a newer commit is kept
            storage.verdicts[commit] = _reason(error)  # a segment file is missing
        except Exception as error:  # noqa: BLE001 - whatever way a commit fails to open, it is skipped
            storage.verdicts[commit] = _reason(error)
        else:
            storage.verdicts[commit] = None
            return toc
        return storage.verdicts[commit]

    def last_modified(self) -> float:
        """When the commit being read was written (not a newer one that cannot be read)."""
        toc = self._read_toc()
        return self.storage.file_modified(TOC._filename(self.indexname, toc.generation))


def has_commits(index_dir: str) -> bool:
    """Whether the folder holds any commit (readable or not)."""
    return os.path.isdir(index_dir) and bool(DurableStorage(index_dir).commit_files())


def prune(ix: CommitIndex) -> None:
    """Delete what no kept commit uses: older and unreadable tocs, tocs never renamed into place,
    segment files of failed writers and of dropped commits, the scratch folder.

    Only under the write lock, so no writer is making any of these files meanwhile.
    """
    storage: DurableStorage = ix.storage
    try:
        kept = ix.readable_commits(KEEP_COMMITS)
    except (EmptyIndexError, IndexDamaged):
        kept = []  # only a --full rebuild writes over a damaged index
    generations = {toc.generation for toc in kept}
    used = {segment.segment_id() for toc in kept for segment in toc.segments}
    for name in storage.list():
        toc = TOC_FILE.match(name)
        segment = SEGMENT_FILE.match(name)
        stale = (
            (toc is not None and int(toc.group(1)) not in generations)
            or TOC_BEING_WRITTEN.match(name) is not None
            or (segment is not None and segment.group(1) not in used)
        )
        with contextlib.suppress(FileNotFoundError):
            if name == SCRATCH_FOLDER:
                shutil.rmtree(storage._fpath(name))
            elif stale:
                storage.delete_file(name)


class DurableCommits(SegmentWriter):
    """The commit and clean-up steps shared by dari's writers (single and parallel).

    It takes the lock itself so it can remove a failed run's files before making its own, commits
    durably, and keeps the last commits instead of deleting the previous one.  ``fresh_schema``
    starts the index over with that schema, by an empty commit (a --full rebuild of an older or
    damaged index: the parallel writer's workers read the schema from the newest commit).
    """

    def __init__(self, ix: CommitIndex, *, timeout: float = 0.0, fresh_schema=None, **kwargs) -> None:
        lock = ix.lock("WRITELOCK")
        if not try_for(lock.acquire, timeout=timeout, delay=0.1):
            raise LockError
        try:
            prune(ix)  # a killed or failed run's files: the disk space this run may need
            if fresh_schema is not None:
                files = ix.storage.commit_files()
                generation = files[0].generation + 1 if files else 0
                TOC(fresh_schema, [], generation).write(ix.storage, ix.indexname)
            super().__init__(ix, _lk=False, **kwargs)
        except BaseException:
            lock.release()
            raise
        self.writelock = lock
        self.ix = ix

    def _commit_toc(self, segments) -> None:
        """Segment files on disk first, then the toc (DurableStorage's rename); old tocs stay."""
        self.storage.sync([name for segment in segments for name in segment.list_files(self.storage)])
        TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)

    def cancel(self) -> None:
        """Give up, even on a disk that is full: closing the segment files may fail again."""
        self._check_state()
        with contextlib.suppress(OSError):
            self._close_segment()
        self._finish()

    def _finish(self) -> None:
        try:
            prune(self.ix)
        except OSError:  # the next writer tries again; the commit, if any, is already durable
            pass
        finally:
            super()._finish()


Built = TypeVar("Built")


class CommitCache(Generic[Built]):
    """What ``build`` makes of a commit's reader, built once and shared by every thread searching
    that commit (each thread has a reader of its own), and built anew for a newer commit.  Keyed
    by the commit's segments: deleting documents does not change the lexicons these are made of."""

    def __init__(self, build: Callable[[SegmentReader], Built]) -> None:
        self._build = build
        self._segments: tuple[str, ...] = ()
        self._built: Built | None = None
        self._lock = threading.Lock()

    def of(self, reader) -> Built:
        segments = tuple(sorted(sub.segment().segment_id() for sub, _ in reader.leaf_readers()))
        with self._lock:  # the other threads wait for the one building it
            if self._built is None or segments != self._segments:
                self._built, self._segments = self._build(reader), segments
            return self._built
