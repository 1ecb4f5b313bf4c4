"""Turn files on disk into documents: each file read by its kind (text, HTML, .jsonl, a binary
format's reader) within a time limit, and given its id.

A file that cannot be read as text is never indexed as garbage: it becomes a ``Skipped`` with a
reason the user can act on.  Imports ``decoding``, ``sources``, ``markdown``, ``textfiles``,
``jsonl``, ``readers`` and ``extraction``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import stat as stat_module
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from indexer import jsonl, readers
from indexer.decoding import (
    MAX_FILE_BYTES,
    NotText,
    decode_text,
    detect_language,
    first_line_title,
    megabytes,
    tidy,
)
from indexer.extraction import Job, ReaderPool, TooSlow
from indexer.jsonl import JSONL_SUFFIXES
from indexer.markdown import Range
from indexer.sources import DocumentIds, Notice, Place, Skipped, is_under, valid_unicode, walk
from indexer.textfiles import HTML_SUFFIXES, TEXT_SUFFIXES, text_and_title

# HWP, HWPX, PDF, DOCX, PPTX, XLSX: each read by its module in indexer/readers/.
DOCUMENT_SUFFIXES = frozenset(readers.READERS)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | DOCUMENT_SUFFIXES
# Seconds one file may take to read and extract (Python-level work: decoding, HTML, the format readers);
# past it the file is skipped, so one hostile file cannot stall a reindex.
READ_TIME_LIMIT = 30.0

__all__ = ["Document", "DocumentIds", "Notice", "Place", "Skipped", "Unchanged", "read_documents"]


@dataclass
class Document:
    id: str
    title: str
    text: str
    path: str
    size: int  # of the source file (a .jsonl holds many documents)
    mtime: float
    pages: list[int] | None = None  # where each page/slide/sheet starts in ``text``
    root: str = ""  # the indexed folder (or file) it was found under, absolute
    line: int | None = None  # its line in a .jsonl
    layout: list[Range] | None = None  # a Markdown file's blocks and runs in ``text`` ([]: none kept)
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.id, self.path = valid_unicode(self.id), valid_unicode(self.path)
        self.root = valid_unicode(self.root)
        self.title, self.text = tidy(self.title), tidy(self.text)
        content = f"{self.title}\x00{self.text}".encode()
        self.hash = hashlib.blake2b(content, digest_size=16).hexdigest()

    @cached_property
    def lang(self) -> str:
        """Computed on demand: an unchanged document skipped by reindex never needs it."""
        return detect_language(f"{self.title}\n{self.text}")


@dataclass
class Unchanged:
    """A file whose size and modification time match what the index already holds."""

    path: str

    def __post_init__(self) -> None:
        self.path = valid_unicode(self.path)


@dataclass
class _File:
    """A file found under a root, checked and (a binary document) handed to a reader process."""

    root: Path
    path: Path
    relpath: str
    stat: os.stat_result
    job: Job | None = None  # set for a binary document: the reader pool reads it meanwhile


FileCheck = Callable[[Path], bool]
Found = Document | Skipped | Unchanged | Notice
# Files found but not yet yielded: they wait behind a binary document being read, this many at most.
MAX_AHEAD = 64


def read_documents(
    paths: Sequence[Path],
    unchanged: FileCheck | None = None,
    doc_ids: DocumentIds | None = None,
    *,
    follow_links: bool = False,
    time_limit: float = READ_TIME_LIMIT,
) -> Iterator[tuple[Path, Found]]:
    """Every document (or skipped file) under the given folders and files, with its root PATH, in
    the order they are found.

    ``unchanged(path)`` lets the caller skip reading files it already holds as they are; ``doc_ids``
    knows the ids the index already holds.  A file symlink that resolves outside every PATH is
    skipped unless ``follow_links`` (it could serve /etc/passwd, or a private file, to searchers).
    Binary documents are read by a ``ReaderPool`` a few files ahead of the one yielded; each file
    may take ``time_limit`` seconds.
    """
    doc_ids = doc_ids or DocumentIds()
    with ReaderPool(time_limit) as pool:
        ahead: deque[tuple[Path, Found | _File]] = deque()
        in_pool = 0
        for root, entry in _found(paths, unchanged, follow_links):
            if isinstance(entry, _File) and entry.path.suffix.lower() in DOCUMENT_SUFFIXES:
                entry.job = pool.submit(entry.path)
                in_pool += 1
            ahead.append((root, entry))
            while ahead and (_ready(ahead[0][1]) or in_pool >= pool.capacity or len(ahead) >= MAX_AHEAD):
                root, entry = ahead.popleft()
                in_pool -= isinstance(entry, _File) and entry.job is not None
                yield from ((root, item) for item in _read(entry, pool, doc_ids))
        for root, entry in ahead:
            yield from ((root, item) for item in _read(entry, pool, doc_ids))


def _ready(entry: Found | _File) -> bool:
    """Whether ``entry`` can be yielded without waiting for the reader pool."""
    return not isinstance(entry, _File) or entry.job is None


def _found(
    paths: Sequence[Path], unchanged: FileCheck | None, follow_links: bool
) -> Iterator[tuple[Path, Found | _File]]:
    """What the walk finds: files to read, and those skipped or unchanged without reading them."""
    real_roots = [os.path.realpath(root) for root in paths]
    for root in paths:
        if not root.exists():
            yield root, Skipped(str(root), "no such file or folder")
            continue
        for entry in walk(root):
            if isinstance(entry, Skipped):
                yield root, entry
                continue
            path, relpath = entry
            if not follow_links and path.is_symlink() and not is_under(os.path.realpath(path), real_roots):
                yield root, Skipped(str(path), "symlink outside the indexed folders", keeps_old=False)
            elif unchanged is not None and unchanged(path):
                yield root, Unchanged(str(path))
            else:
                yield root, _checked(root, path, relpath)


def _checked(root: Path, path: Path, relpath: str) -> _File | Skipped:
    """The file to read, or why it is not read (its type, not a regular file, its size)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return Skipped(str(path), f"unsupported file type {suffix or '(no extension)'}")
    try:
        stat = path.stat()
    except OSError as error:
        return Skipped(str(path), f"cannot read: {error.strerror or error}")
    if not stat_module.S_ISREG(stat.st_mode):
        return Skipped(str(path), "not a regular file")  # a FIFO would block the read forever
    limit = readers.MAX_DOCUMENT_BYTES if suffix in DOCUMENT_SUFFIXES else MAX_FILE_BYTES
    if suffix not in JSONL_SUFFIXES and stat.st_size > limit:
        return Skipped(str(path), f"too large ({megabytes(stat.st_size)}; the limit is {megabytes(limit)})")
    return _File(root, path, relpath, stat)


def _read(entry: Found | _File, pool: ReaderPool, doc_ids: DocumentIds) -> Iterator[Found]:
    """The document(s) in one file: one for a text file or a binary document, one per line for a
    .jsonl; what the walk found without reading is passed on."""
    if not isinstance(entry, _File):
        yield entry
        return
    path, pages, layout, notice = entry.path, None, None, None
    try:
        if path.suffix.lower() in JSONL_SUFFIXES:
            yield from _jsonl_documents(path, entry.root, entry.stat, doc_ids)
            return
        if entry.job is not None:
            extracted = pool.result(entry.job)
            text, title = extracted.text, extracted.title or first_line_title(extracted.text)
            pages, notice = extracted.pages, extracted.notice
        else:
            with _time_limit(pool.time_limit):
                text, title, layout = text_and_title(path, decode_text(path.read_bytes()))
    except OSError as error:
        yield Skipped(str(path), f"cannot read: {error.strerror or error}")
        return
    except (NotText, readers.Unreadable) as error:
        yield Skipped(str(path), str(error))
        return
    except TooSlow:
        yield Skipped(str(path), f"took longer than {pool.time_limit:g} s to read")
        return
    if not text:
        yield Skipped(str(path), "no text")
        return
    doc_id, renamed = doc_ids.file_id(entry.root, path, entry.relpath)
    if renamed is not None:
        yield renamed
    stat = entry.stat
    yield Document(
        doc_id,
        title,
        text,
        str(path),
        stat.st_size,
        stat.st_mtime,
        pages,
        root=str(entry.root),
        layout=layout,
    )
    if notice:  # a partial read (an HWP's preview text only): indexed, and said
        yield Skipped(str(path), notice)


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise TooSlow in the block after ``seconds`` (a SIGALRM timer: it interrupts Python code and
    blocking reads for the cost of two system calls; C code runs on to its end).  Signals reach only
    the main thread, so elsewhere the block runs unbounded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    running = [True]

    def expire(signum: int, frame: object) -> None:
        if running[0]:  # not once the block is over (a signal delivered as the timer is stopped)
            raise TooSlow

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        running[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _jsonl_documents(
    path: Path, root: Path, stat: os.stat_result, doc_ids: DocumentIds
) -> Iterator[Document | Skipped]:
    """A .jsonl's documents, each claiming its id (a duplicate of another place's is skipped)."""
    for record in jsonl.records(path):
        if isinstance(record, jsonl.BadLine):
            yield Skipped(str(path), record.reason, record.line)
            continue
        place = Place(str(root), str(path), record.line)
        holder = doc_ids.record_id(record.id, place)
        if holder is not None:
            yield Skipped(place.path, f"duplicate id {record.id!r} (also in {holder})", record.line)
            continue
        yield Document(
            record.id,
            record.title,
            record.text,
            place.path,
            stat.st_size,
            stat.st_mtime,
            root=place.root or "",
            line=record.line,
        )
