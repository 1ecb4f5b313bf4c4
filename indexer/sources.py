"""Where documents come from: walking the indexed roots, the id each file gets, and the places
that already hold an id.

Folder symlinks are not followed and a folder that cannot be listed is reported, not silently
left out.  Ids are NFC with lone surrogates written out, so any file name can be stored and
printed.  Imports ``morphemes``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, count
from pathlib import Path

from indexer.morphemes import nfc


@dataclass
class Skipped:
    path: str
    reason: str
    line: int | None = None  # a bad line of a .jsonl
    # False when the file's indexed version must go too (it now points outside the indexed folders).
    keeps_old: bool = True

    def __post_init__(self) -> None:
        self.path = valid_unicode(self.path)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass
class Notice:
    """Something the user should know about a file that was indexed (e.g. the id it was given)."""

    path: str
    message: str


@dataclass(frozen=True)
class Place:
    """Where a document comes from: its indexed root, its file and, in a .jsonl, its line."""

    root: str | None  # None for documents indexed before roots were stored
    path: str
    line: int | None = None

    def __post_init__(self) -> None:  # spelt as stored (a file name's undecodable bytes written out)
        object.__setattr__(self, "path", valid_unicode(self.path))
        object.__setattr__(self, "root", self.root and valid_unicode(self.root))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def same_source(self, other: Place) -> bool:
        """The same file (NFC and NFD spellings alike); a plain file also under the same root, since
        its id is its path relative to that root."""
        if nfc(self.path) != nfc(other.path) or (self.line is None) != (other.line is None):
            return False
        return self.line is not None or None in (self.root, other.root) or self.root == other.root


class DocumentIds:
    """Which place holds each id, so that no document silently replaces another one's.

    A file's id is its path relative to its root; when another root's document holds that id, it is
    ``<root folder name>/<relative path>`` (then ``~2``, ``~3``…), and it keeps the id it was given on
    later runs.  A .jsonl id held by another place is refused (the caller skips the line).
    """

    def __init__(self, stored: Iterable[tuple[str, Place]] = ()) -> None:
        self._holders: dict[str, Place] = {}
        self._given: dict[str, list[str]] = {}  # NFC path of a file → the ids its documents hold
        self._this_run: set[str] = set()
        for doc_id, place in stored:
            self._holders[doc_id] = place
            if place.line is None:
                self._given.setdefault(nfc(place.path), []).append(doc_id)

    def file_id(self, root: Path, path: Path, relpath: str) -> tuple[str, Notice | None]:
        place = Place(str(root), str(path))
        for doc_id in self._given.get(nfc(place.path), ()):
            if self._free(doc_id, place):
                return self._claim(doc_id, place), None
        renamed = (f"{root.name}/{relpath}" + (f"~{n}" if n > 1 else "") for n in count(1))
        doc_id = next(name for name in chain([relpath], renamed) if self._free(name, place))
        if doc_id == relpath:
            return self._claim(doc_id, place), None
        notice = Notice(str(path), f"indexed as {doc_id!r}: the id {relpath!r} is {self._holders[relpath]}'s")
        return self._claim(doc_id, place), notice

    def record_id(self, doc_id: str, place: Place) -> Place | None:
        """Claim ``doc_id`` for a .jsonl line, or return the place that already holds it."""
        if not self._free(doc_id, place):
            return self._holders[doc_id]
        self._claim(doc_id, place)
        return None

    def _free(self, doc_id: str, place: Place) -> bool:
        holder = self._holders.get(doc_id)
        return holder is None or (holder.same_source(place) and doc_id not in self._this_run)

    def _claim(self, doc_id: str, place: Place) -> str:
        self._holders[doc_id] = place
        self._this_run.add(doc_id)
        return doc_id


def document_id(raw: str) -> str:
    """An id as stored: printable, and NFC, so a macOS (NFD) file name gives the id a Linux one does."""
    return nfc(valid_unicode(raw))


def is_under(path: str, roots: Iterable[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def relative_path(path: str, root: str | None) -> str:
    """A document's file as the web shows it: relative to its indexed folder, never the server's
    absolute path (a file indexed on its own, or before roots were stored, shows its name)."""
    if root and path != root and is_under(path, [root]):
        return Path(os.path.relpath(path, root)).as_posix()
    return os.path.basename(path)


def valid_unicode(text: str) -> str:
    """``text`` with lone surrogates, which can be neither stored nor printed, written out: a file
    name's undecodable bytes (Python's surrogateescape) as ``\\xff``, a JSON ``\\ud800`` as is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="backslashreplace")
        except UnicodeEncodeError:
            return text.encode("utf-8", errors="backslashreplace").decode("utf-8")
    return text


def walk(root: Path) -> Iterator[tuple[Path, str] | Skipped]:
    """Files under ``root`` (or ``root`` itself) with their natural ids: the path relative to ``root``.

    Folder symlinks are not followed (no loops, no documents twice) but reported, like a folder
    that cannot be listed.
    """
    if not root.is_dir():
        yield root, document_id(root.name)
        return
    errors: list[OSError] = []
    for folder, dirs, files in os.walk(root, onerror=errors.append, followlinks=False):
        yield from _unlisted(errors)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in dirs:
            if os.path.islink(os.path.join(folder, name)):  # os.walk lists but never enters them
                yield Skipped(os.path.join(folder, name), "symlink to a folder (not followed)")
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(folder, name)
            yield path, document_id(path.relative_to(root).as_posix())
    yield from _unlisted(errors)


def _unlisted(errors: list[OSError]) -> Iterator[Skipped]:
    """The folders os.walk could not list so far (it reports them through ``onerror``)."""
    for error in errors:
        yield Skipped(str(error.filename), f"cannot list folder: {error.strerror or error}")
    errors.clear()


def count_files(paths: Iterable[Path]) -> int:
    """How many files a walk of ``paths`` finds (not reading them): a reindex's progress total."""
    return sum(1 for root in paths if root.exists() for entry in walk(root) if not isinstance(entry, Skipped))
