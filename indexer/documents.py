"""Turn files on disk into documents: decode, extract text and title, label the language.

A file that cannot be read as text is never indexed as garbage: it becomes a ``Skipped`` with a
reason the user can act on.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat as stat_module
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path

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
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        self.id, self.path = valid_unicode(self.id), valid_unicode(self.path)
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

    def __post_init__(self) -> None:
        self.path = valid_unicode(self.path)


@dataclass
class Unchanged:
    """A file whose size and modification time match what the index already holds."""

    path: str


class NotText(ValueError):
    """The bytes are not text in any encoding we accept."""


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
    """Collect an HTML page's <title> and visible text (no script, style or template)."""

    HIDDEN = frozenset({"script", "style", "template", "noscript", "head"})
    BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.parts: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag not in ("br",):
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if "title" in self._stack:
            self.title += data
        elif not self.HIDDEN.intersection(self._stack):
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


def read_file(path: Path, doc_id: str) -> Iterator[Document | Skipped]:
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
        limit = readers.MAX_DOCUMENT_BYTES if suffix in DOCUMENT_SUFFIXES else MAX_FILE_BYTES
        if stat.st_size > limit and suffix not in JSONL_SUFFIXES:
            yield Skipped(
                str(path), f"too large ({_megabytes(stat.st_size)}; the limit is {_megabytes(limit)})"
            )
            return
        if suffix in DOCUMENT_SUFFIXES:
            yield from _extracted_document(path, doc_id, stat)
            return
        data = path.read_bytes()
    except OSError as error:
        yield Skipped(str(path), f"cannot read: {error.strerror or error}")
        return
    try:
        raw = decode(data)
        if _looks_binary(raw):
            raise NotText("binary file (control characters)")
    except NotText as error:
        yield Skipped(str(path), str(error))
        return
    if suffix in JSONL_SUFFIXES:
        yield from _jsonl_documents(path, raw, stat)
        return
    text, title = _text_and_title(path, raw)
    if not text:
        yield Skipped(str(path), "no text")
        return
    yield Document(doc_id, title, text, str(path), stat.st_size, stat.st_mtime)


def _extracted_document(path: Path, doc_id: str, stat: os.stat_result) -> Iterator[Document | Skipped]:
    """A binary document through its reader; a partial read is indexed and also reported."""
    try:
        extracted = readers.read(path)
    except readers.Unreadable as error:
        yield Skipped(str(path), str(error))
        return
    title = extracted.title or first_line_title(extracted.text)
    yield Document(doc_id, title, extracted.text, str(path), stat.st_size, stat.st_mtime, extracted.pages)
    if extracted.notice:
        yield Skipped(str(path), extracted.notice)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _jsonl_documents(path: Path, raw: str, stat: os.stat_result) -> Iterator[Document | Skipped]:
    seen: set[str] = set()
    # Split on newlines only: str.splitlines() also splits at U+2028 and U+0085, which JSON strings
    # may hold unescaped.
    for number, line in enumerate(raw.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield Skipped(where, f"invalid JSON ({error.msg})")
            continue
        except RecursionError:
            yield Skipped(where, "invalid JSON (nested too deeply)")
            continue
        problem = _record_problem(record)
        if problem:
            yield Skipped(where, problem)
            continue
        doc_id = str(record.get("id") or f"{path.name}:{number}")
        if doc_id in seen:
            yield Skipped(where, f"duplicate id {doc_id!r}")
            continue
        seen.add(doc_id)
        title = record.get("title") or first_line_title(record["text"])
        yield Document(doc_id, title, record["text"], str(path), stat.st_size, stat.st_mtime)


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
    """Files under ``root`` (or ``root`` itself) with their ids: the path relative to ``root``.

    Folder symlinks are not followed (no loops, no documents twice) but reported, like a folder
    that cannot be listed.
    """
    if not root.is_dir():
        yield root, root.name
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
            yield path, path.relative_to(root).as_posix()
    yield from _unlisted(errors)


def _unlisted(errors: list[OSError]) -> Iterator[Skipped]:
    """The folders os.walk could not list so far (it reports them through ``onerror``)."""
    for error in errors:
        yield Skipped(str(error.filename), f"cannot list folder: {error.strerror or error}")
    errors.clear()


FileCheck = Callable[[Path], bool]


def read_documents(
    paths: Sequence[Path], unchanged: FileCheck | None = None
) -> Iterator[tuple[Path, Document | Skipped | Unchanged]]:
    """Every document (or skipped file) under the given folders and files, with its root PATH.

    ``unchanged(path)`` lets the caller skip reading files it already holds as they are.
    """
    for root in paths:
        if not root.exists():
            yield root, Skipped(str(root), "no such file or folder")
            continue
        for entry in walk(root):
            if isinstance(entry, Skipped):
                yield root, entry
                continue
            path, doc_id = entry
            if unchanged is not None and unchanged(path):
                yield root, Unchanged(str(path))
                continue
            for item in read_file(path, doc_id):
                yield root, item
