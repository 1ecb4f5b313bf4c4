"""Turn files on disk into documents: decode, extract text and title, label the language.

A file that cannot be read as text is never indexed as garbage: it becomes a ``Skipped`` with a
reason the user can act on.  Imports ``analysis`` and ``readers``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import signal
import stat as stat_module
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from itertools import chain, count
from pathlib import Path
from typing import BinaryIO

import charset_normalizer
from langdetect import DetectorFactory, LangDetectException, detect

from indexer import readers
from indexer.analysis import HANGUL, SURROGATE, nfc

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl"})
# HWP, HWPX, PDF, DOCX, PPTX, XLSX: each read by its module in indexer/readers/.
DOCUMENT_SUFFIXES = frozenset(readers.READERS)
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | DOCUMENT_SUFFIXES
TITLE_LENGTH = 80
# A bigger file is skipped: one 50 MB log is no useful search result, and Kiwi reads ~60 KB/s of Korean.
MAX_FILE_BYTES = 10 * 1024 * 1024
# Seconds one file may take to read and extract (Python-level work: decoding, HTML, the format readers);
# past it the file is skipped, so one hostile file cannot stall a reindex.
READ_TIME_LIMIT = 30.0
LATIN = re.compile(r"[A-Za-z]")
NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Common English function words: a text with enough of them is English without asking langdetect,
# which is slow and unreliable on short text ("labor policy" → es).
ENGLISH_MARKERS = re.compile(r"\b(?:the|and|of|to|in|is|for|with|that|on)\b", re.IGNORECASE)

DetectorFactory.seed = 0  # langdetect is random unless seeded


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
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.id, self.path = valid_unicode(self.id), valid_unicode(self.path)
        self.root = valid_unicode(self.root)
        self.title, self.text = _tidy(self.title), _tidy(self.text)
        content = f"{self.title}\x00{self.text}".encode()
        self.hash = hashlib.blake2b(content, digest_size=16).hexdigest()

    @cached_property
    def lang(self) -> str:
        """Computed on demand: an unchanged document skipped by reindex never needs it."""
        return detect_language(f"{self.title}\n{self.text}")


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


@dataclass
class Unchanged:
    """A file whose size and modification time match what the index already holds."""

    path: str

    def __post_init__(self) -> None:
        self.path = valid_unicode(self.path)


class NotText(ValueError):
    """The bytes are not text in any encoding we accept."""


class TooSlow(Exception):
    """A file took longer than its time limit to read."""


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


def decode(data: bytes) -> str:
    """Decode bytes as UTF-8 (BOM or not), UTF-16, CP949/EUC-KR, or what charset-normalizer finds.

    Raises NotText for binary data, so it is skipped instead of being indexed as mojibake.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    # Before UTF-8: ASCII text in UTF-16 is valid UTF-8 too, with a NUL after every letter.
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    if b"\x00" in data:
        raise NotText("binary file (contains NUL bytes)")
    utf8 = _mostly_utf8(data)
    if utf8 is not None:
        return utf8
    try:
        return data.decode("cp949")  # a superset of EUC-KR: the usual legacy Korean encoding
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise NotText("not text in any known encoding")
    return str(best)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8, also when cut off mid-character (a truncated download) or with a few corrupt bytes.

    Tried before CP949, which would otherwise decode such a file as mojibake.  A CP949 (or Latin-1)
    file fails on nearly every non-ASCII byte, so a few bad bytes among many good multibyte
    characters mean UTF-8.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.end == len(data) and error.reason == "unexpected end of data":
            try:
                return data[: error.start].decode("utf-8")
            except UnicodeDecodeError:
                pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = len(NON_ASCII.findall(text)) - bad
    return text if good >= 4 * bad else None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM: NUL bytes (from spaces and ASCII) and a byte order that decodes to
    common characters (ASCII, Latin, Hangul); the wrong order gives CJK ideographs and U+2000s."""
    if len(data) < 2 or len(data) % 2 or b"\x00" not in data:
        return None
    best, best_share = None, 0.5
    for codec in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        common = sum(1 for ch in text if ch < "\u0250" or "\uac00" <= ch <= "\ud7a3")
        if common / len(text) > best_share:
            best, best_share = text, common / len(text)
    return best


def _looks_binary(text: str) -> bool:
    """Decoded text full of control characters is a binary file that happened to decode."""
    if not text:
        return False
    sample = text[:4096]
    controls = sum(1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    return controls > len(sample) * 0.05 or "\x00" in sample


def detect_language(text: str) -> str:
    """'ko', 'en' or 'mixed' from the share of Hangul among letters; else langdetect's code."""
    hangul = len(HANGUL.findall(text))
    latin = len(LATIN.findall(text))
    if hangul + latin == 0:
        return "und"
    # A Hangul syllable carries about as much as three Latin letters.
    share = 3 * hangul / (3 * hangul + latin)
    if share >= 0.6:
        return "ko"
    if share >= 0.2:
        return "mixed"
    if hangul == 0 and not _mostly_english(text):
        try:
            return detect(text[:2000])
        except LangDetectException:
            return "und"
    return "en"


def _mostly_english(text: str) -> bool:
    sample = text[:2000]
    words = max(len(sample.split()), 1)
    return len(ENGLISH_MARKERS.findall(sample)) / words >= 0.08


class _HTMLText(HTMLParser):
    """Collect an HTML page's <title> and visible text (no script, style or template).

    Linear in the page: the open tags are counted by name, so neither a closing tag nor a piece of
    text scans the stack (60k unclosed tags took 164 s that way).  Measured instead of a parser
    library: Lexbor (selectolax 1.0) takes 34 s on 60k nested ``<div>``s (the HTML5 "p in button
    scope" check on each), and libxml2 (lxml 6.1) drops all text past a depth of 256 (2048 with
    ``huge_tree``).
    """

    HIDDEN = frozenset({"script", "style", "template", "noscript", "head"})
    BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.parts: list[str] = []
        self._stack: list[str] = []
        self._open: Counter[str] = Counter()  # open tags by name
        self._hidden = 0  # open tags in HIDDEN

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag not in ("br",):
            self._stack.append(tag)
            self._open[tag] += 1
            self._hidden += tag in self.HIDDEN

    def handle_endtag(self, tag: str) -> None:
        while self._open[tag]:  # each tag is popped once: linear over the page
            popped = self._stack.pop()
            self._open[popped] -= 1
            self._hidden -= popped in self.HIDDEN
            if popped == tag:
                break
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._open["title"]:
            self.title += data
        elif not self._hidden:
            self.parts.append(data)


def _tidy(text: str) -> str:
    """NFC (macOS names and some exports are NFD), one newline style, no runs of blank lines, and
    U+FFFD for lone surrogates (JSON ``\\ud800`` escapes), which cannot be stored."""
    text = SURROGATE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = nfc(text)
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()


def first_line_title(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1] + "…"
    return ""


def _text_and_title(path: Path, raw: str) -> tuple[str, str]:
    if path.suffix.lower() in HTML_SUFFIXES:
        parser = _HTMLText()
        parser.feed(raw)
        text = _tidy("".join(parser.parts))
        return text, _tidy(parser.title) or first_line_title(text)
    text = _tidy(raw)
    if path.suffix.lower() in (".md", ".markdown"):
        heading = re.search(r"^#{1,6}\s+(.+)$", text, re.MULTILINE)
        if heading:
            return text, first_line_title(heading.group(1))
    return text, first_line_title(text)


def read_file(
    path: Path, root: Path, doc_ids: DocumentIds, relpath: str, time_limit: float = READ_TIME_LIMIT
) -> Iterator[Document | Skipped | Notice]:
    """The document(s) in one file: one for .txt/.md/.html, one per line for .jsonl."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield Skipped(str(path), f"unsupported file type {suffix or '(no extension)'}")
        return
    try:
        stat = path.stat()
        if not stat_module.S_ISREG(stat.st_mode):
            yield Skipped(str(path), "not a regular file")  # a FIFO would block the read forever
            return
        if suffix in JSONL_SUFFIXES:
            yield from _jsonl_documents(path, root, stat, doc_ids)
            return
        limit = readers.MAX_DOCUMENT_BYTES if suffix in DOCUMENT_SUFFIXES else MAX_FILE_BYTES
        if stat.st_size > limit:
            yield Skipped(
                str(path), f"too large ({_megabytes(stat.st_size)}; the limit is {_megabytes(limit)})"
            )
            return
        pages = notice = None
        with _time_limit(time_limit):
            if suffix in DOCUMENT_SUFFIXES:
                extracted = readers.read(path)
                text, title = extracted.text, extracted.title or first_line_title(extracted.text)
                pages, notice = extracted.pages, extracted.notice
            else:
                text, title = _text_and_title(path, _decode_text(path.read_bytes()))
    except OSError as error:
        yield Skipped(str(path), f"cannot read: {error.strerror or error}")
        return
    except (NotText, readers.Unreadable) as error:
        yield Skipped(str(path), str(error))
        return
    except TooSlow:
        yield Skipped(str(path), f"took longer than {time_limit:g} s to read")
        return
    if not text:
        yield Skipped(str(path), "no text")
        return
    doc_id, renamed = doc_ids.file_id(root, path, relpath)
    if renamed is not None:
        yield renamed
    yield Document(doc_id, title, text, str(path), stat.st_size, stat.st_mtime, pages, root=str(root))
    if notice:  # a partial read (an HWP's preview text only): indexed, and said
        yield Skipped(str(path), notice)


def _decode_text(data: bytes) -> str:
    raw = decode(data)
    if _looks_binary(raw):
        raise NotText("binary file (control characters)")
    return raw


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


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _jsonl_documents(
    path: Path, root: Path, stat: os.stat_result, doc_ids: DocumentIds
) -> Iterator[Document | Skipped]:
    """One document per line, read a line at a time: memory is one line's, whatever the file's size.

    Lines end at ``\n`` only (U+2028 and U+0085 may stand unescaped in JSON strings)."""
    with path.open("rb") as file:
        head = file.read(8192)
        file.seek(0)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            lines: Iterator[str | None] = _lines(io.TextIOWrapper(file, "utf-16", "replace", newline="\n"))
        elif b"\x00" in head:
            yield Skipped(str(path), "binary file (contains NUL bytes)")
            return
        else:
            lines = _utf8_lines(file)
        for number, line in enumerate(lines, start=1):
            if line is None:
                too_large = f"line too large (the limit is {_megabytes(MAX_FILE_BYTES)})"
                yield Skipped(str(path), too_large, number)
            elif isinstance(line, NotText):
                yield Skipped(str(path), str(line), number)
            elif line.strip():
                yield _jsonl_document(line, Place(str(root), str(path), number), stat, doc_ids)


def _utf8_lines(file: BinaryIO) -> Iterator[str | NotText | None]:
    """A .jsonl's lines decoded one by one: UTF-8 as JSON Lines requires, a BOM allowed."""
    for number, line in enumerate(_lines(file), start=1):
        if line is None:
            yield None
            continue
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            yield NotText("not UTF-8 (a .jsonl must be UTF-8)")


def _lines(file: BinaryIO | io.TextIOWrapper) -> Iterator[bytes | str | None]:
    """The file's lines, each read whole only up to MAX_FILE_BYTES (None for a longer one)."""
    newline = "\n" if isinstance(file, io.TextIOWrapper) else b"\n"
    while line := file.readline(MAX_FILE_BYTES + 1):
        if len(line) <= MAX_FILE_BYTES:
            yield line
            continue
        while line and not line.endswith(newline):  # the rest of the long line
            line = file.readline(MAX_FILE_BYTES + 1)
        yield None


def _jsonl_document(
    line: str, place: Place, stat: os.stat_result, doc_ids: DocumentIds
) -> Document | Skipped:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return Skipped(place.path, f"invalid JSON ({error.msg})", place.line)
    except RecursionError:
        return Skipped(place.path, "invalid JSON (nested too deeply)", place.line)
    problem = _record_problem(record)
    if problem:
        return Skipped(place.path, problem, place.line)
    doc_id = document_id(str(record.get("id") or f"{Path(place.path).name}:{place.line}"))
    holder = doc_ids.record_id(doc_id, place)
    if holder is not None:
        return Skipped(place.path, f"duplicate id {doc_id!r} (also in {holder})", place.line)
    title = record.get("title") or first_line_title(record["text"])
    return Document(
        doc_id,
        title,
        record["text"],
        place.path,
        stat.st_size,
        stat.st_mtime,
        root=place.root or "",
        line=place.line,
    )


def _record_problem(record: object) -> str | None:
    """Why a jsonl record cannot be a document, or None."""
    if not isinstance(record, dict):
        return "not a JSON object"
    text = record.get("text")
    if not isinstance(text, str):
        return 'missing "text"'
    if not text.strip():
        return 'empty "text"'
    if len(text) > MAX_FILE_BYTES:
        return f'"text" too large ({len(text)} characters; the limit is {MAX_FILE_BYTES})'
    if not isinstance(record.get("id"), str | int | None):
        return '"id" is not a string'
    if not isinstance(record.get("title"), str | None):
        return '"title" is not a string'
    return None


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


FileCheck = Callable[[Path], bool]


def read_documents(
    paths: Sequence[Path],
    unchanged: FileCheck | None = None,
    doc_ids: DocumentIds | None = None,
    *,
    follow_links: bool = False,
    time_limit: float = READ_TIME_LIMIT,
) -> Iterator[tuple[Path, Document | Skipped | Unchanged | Notice]]:
    """Every document (or skipped file) under the given folders and files, with its root PATH.

    ``unchanged(path)`` lets the caller skip reading files it already holds as they are; ``doc_ids``
    knows the ids the index already holds.  A file symlink that resolves outside every PATH is
    skipped unless ``follow_links`` (it could serve /etc/passwd, or a private file, to searchers).
    """
    doc_ids = doc_ids or DocumentIds()
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
                continue
            if unchanged is not None and unchanged(path):
                yield root, Unchanged(str(path))
                continue
            for item in read_file(path, root, doc_ids, relpath, time_limit):
                yield root, item
