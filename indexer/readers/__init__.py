"""Readers for the binary document formats people keep: HWP, HWPX, PDF, DOCX, PPTX, XLSX.

Each format has its own module whose ``read(path) -> Extracted`` returns the document's text, its
own title (or None) and where each page, slide or sheet starts, or raises ``Unreadable`` with a
reason a user can act on.  Modules are imported on first use, so a reindex of plain text never
loads pdfium or lxml.  Imports ``morphemes``.
"""

from __future__ import annotations

import importlib
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from indexer.morphemes import nfc

# suffix → module under indexer/readers/
READERS = {
    ".hwp": "hwp",
    ".hwpx": "hwpx",
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".xlsx": "xlsx",
}
# These files are mostly images and fonts: a 40 MB report holds far less text than a 10 MB log.
MAX_DOCUMENT_BYTES = 100 * 1024 * 1024
# Text extracted beyond this is no one document (and Kiwi reads ~60 KB/s of Korean).
MAX_TEXT_CHARS = 10 * 1024 * 1024
# Zip-based formats (HWPX, DOCX, PPTX, XLSX): a zip bomb is refused before anything is inflated.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_RATIO = 100

PRIVATE_USE = re.compile("[\ue000-\uf8ff]")  # Hancom's own symbols: no letter anyone can type
# "제    목", "성  명": single Hangul syllables spread by two or more spaces, as forms align labels.
LETTER_SPACED = re.compile(r"(?<![가-힣])[가-힣](?: {2,}[가-힣])+(?![가-힣])")
BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


class Unreadable(Exception):
    """The file is of a supported type but holds no text we can index; the message says why."""


@dataclass
class Extracted:
    text: str
    title: str | None = None
    # Character offsets in ``text`` where each page, slide or sheet starts; None for flowing text.
    pages: list[int] | None = None
    # Set when only part of the file could be read (e.g. an HWP's preview text for a broken body).
    notice: str | None = None


def clean(text: str) -> str:
    """The text as documents.py keeps it (NFC, ``\\n`` lines, no runs of blank lines, stripped),
    without Hancom's private-use symbols and with letter-spaced labels closed up (``제목``)."""
    text = PRIVATE_USE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = LETTER_SPACED.sub(lambda match: match.group().replace(" ", ""), nfc(text))
    return BLANK_LINES.sub("\n\n", text).strip()


def from_pages(pages: Iterable[str], title: str | None = None) -> Extracted:
    """One text from per-page texts, with the offset where each page starts.

    Pages are cleaned one by one and joined by a blank line, so documents.py's own tidying
    leaves the text, and so the offsets, as they are; an empty page starts where the next does.
    """
    text, starts = "", []
    for page in pages:
        page = clean(page)
        if page and text:
            text += "\n\n"
        starts.append(len(text))
        text += page
    starts = [min(start, len(text)) for start in starts]
    return Extracted(text, clean_title(title), starts)


def clean_title(title: str | None) -> str | None:
    title = clean(title or "").replace("\n", " ")
    return title or None


def checked_zip(path: Path, label: str) -> zipfile.ZipFile:
    """The zip file at ``path``, refused as a zip bomb before any member is inflated."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise Unreadable(f"not a {label} file (not a zip archive, or truncated)") from None
    infos = archive.infolist()
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if total > MAX_UNZIPPED_BYTES or total > MAX_ZIP_RATIO * max(packed, 1024):
        archive.close()
        raise Unreadable(f"zip bomb? {total / 1024 / 1024:.0f} MB unpacked from {packed / 1024:.0f} KB")
    return archive


def read(path: Path) -> Extracted:
    """Extract ``path`` with the reader for its suffix, or raise Unreadable.

    A parser meeting a damaged file can raise anything (KeyError, struct.error…): that becomes
    Unreadable too, so one bad file is one line in the summary, never a stopped reindex.
    """
    suffix = path.suffix.lower()
    reader = importlib.import_module(f"{__name__}.{READERS[suffix]}")
    try:
        extracted = reader.read(path)
    except Unreadable:
        raise
    except OSError as error:
        raise Unreadable(f"cannot read: {error.strerror or error}") from None
    except Exception as error:  # noqa: BLE001 - third-party parsers on hostile input
        raise Unreadable(f"damaged {suffix[1:].upper()} file ({type(error).__name__}: {error})") from None
    if not extracted.text:
        raise Unreadable("no text")
    if len(extracted.text) > MAX_TEXT_CHARS:
        raise Unreadable(
            f"too much text ({len(extracted.text):,} characters; the limit is {MAX_TEXT_CHARS:,})"
        )
    return extracted
