"""The on-disk index: where it lives, opening it, and incremental reindexing.

Whoosh commits by writing new segment files and then atomically renaming a new table of contents
into place, so readers keep the last committed state until a reindex's commit is complete, and a
killed reindex leaves that state intact; ``storage`` makes those commits durable, keeps the one
before, and reads past a commit that cannot be read.  ``schema`` says what is stored and which dari
made it; ``writer`` takes the lock and writes in parallel.  Imports ``documents``,
``progress``, ``schema``, ``sources``, ``storage`` and ``writer``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
from whoosh.fields import Schema
from whoosh.writing import CLEAR

from indexer.documents import READ_TIME_LIMIT, Document, Unchanged, read_documents
from indexer.progress import ReindexProgress
from indexer.schema import DARI_FIELDS, IndexIncompatible, analysis_outdated, make_schema, schema_problem
from indexer.sources import DocumentIds, Notice, Place, Skipped, is_under, valid_unicode
from indexer.storage import CommitIndex, DurableStorage, IndexDamaged, IndexUnusable, has_commits
from indexer.writer import IndexLocked, WorkerFailed, default_procs, merge_small_dropping_empty, open_writer

# The files whose last read had bad lines: they are read (and their lines reported) again on every
# run until fixed, although their size and modification time say they are unchanged.
SKIP_RECORD = "dari-skipped.json"

# What the CLI catches, importable from here with the rest of the index's API.
__all__ = [
    "IndexDamaged",
    "IndexIncompatible",
    "IndexLocked",
    "IndexMissing",
    "IndexUnusable",
    "READ_TIME_LIMIT",
    "ReindexSummary",
    "SkippedFiles",
    "WorkerFailed",
    "bundled_seeds",
    "default_index_dir",
    "open_index",
    "reindex",
]


class IndexMissing(Exception):
    """No index (or an empty one) where we looked."""

    def __init__(self, index_dir: Path) -> None:
        super().__init__(f"No index at {index_dir}: run `dari reindex` first.")


@dataclass
class ReindexSummary:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    seconds: float = 0.0


class SkippedFiles(Exception):
    """A strict reindex found files it could not index, so it changed nothing."""

    def __init__(self, summary: ReindexSummary) -> None:
        super().__init__(f"{len(summary.skipped)} skipped (--strict): the index was not changed.")
        self.summary = summary


def default_index_dir() -> Path:
    """``$DARI_INDEX``, else the per-user data folder (e.g. ~/.local/share/dari/index)."""
    env = os.environ.get("DARI_INDEX")
    return Path(env) if env else platformdirs.user_data_path("dari") / "index"


def bundled_seeds() -> Path:
    """The default corpus: the repository's ``seeds/``, which an installed wheel holds as
    ``indexer/seeds/`` (see pyproject.toml); a source checkout has it beside the package."""
    here = Path(__file__).resolve().parent
    installed = here / "seeds"
    return installed if installed.is_dir() else here.parent / "seeds"


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

    ``full`` starts a dari index over with today's schema (a damaged one, one made by another dari
    version, or one whose pickled analyzer is not today's); a foreign index never.
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
        return ix, make_schema() if full and analysis_outdated(ix.schema) else None
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
    writer = open_writer(ix, index_dir)
    try:
        for name, kind in missing:
            writer.add_field(name, kind)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return CommitIndex(DurableStorage(str(index_dir)))


def reindex(
    paths: Sequence[Path],
    index_dir: Path,
    *,
    full: bool = False,
    progress: bool = False,
    strict: bool = False,
    procs: int | None = None,
    follow_links: bool = False,
    read_timeout: float = READ_TIME_LIMIT,
) -> ReindexSummary:
    """Bring the index in line with the files under ``paths``.

    Unchanged documents are skipped (by file size and mtime, then by content hash), changed ones
    replaced, and documents whose file under one of ``paths`` is gone are deleted; documents from
    other paths, of files that could not be read and under folders that could not be listed are
    left alone.  ``full`` rebuilds the index from ``paths`` alone.  ``strict`` raises SkippedFiles
    instead of committing when any file was skipped.  ``procs`` (default: one per core) processes
    analyse and write documents in parallel.  ``follow_links`` indexes file symlinks that lead
    outside ``paths``.  A file that takes longer than ``read_timeout`` seconds to read is skipped.
    """
    started = time.perf_counter()
    roots = list(dict.fromkeys(Path(os.path.abspath(p)) for p in paths))
    ix, fresh_schema = _open_or_create(index_dir, full)
    if fresh_schema is None:
        ix = _with_new_fields(ix, index_dir)
    writer = open_writer(ix, index_dir, default_procs() if procs is None else procs, fresh_schema)
    summary = ReindexSummary()
    shown = ReindexProgress(roots, enabled=progress)
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
            roots,
            unchanged=None if full else unchanged,
            doc_ids=doc_ids,
            follow_links=follow_links,
            time_limit=read_timeout,
        )
        for _, item in items:
            shown.seen(item.path)
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
        shown.committing()
        if full:
            writer.commit(mergetype=CLEAR)
        elif touched or summary.added or summary.updated or summary.deleted:
            writer.commit(mergetype=merge_small_dropping_empty)
        else:
            writer.cancel()
    except BaseException:
        writer.cancel()
        raise
    finally:
        shown.close()
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
        "layout": doc.layout,
        "words": (doc.title, doc.text),
    }
