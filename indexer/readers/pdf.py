"""PDF with ``pypdfium2`` (Chrome's PDF engine), page by page, and ``pdfminer.six`` for the files
pdfium reads as garbage (fonts without a ToUnicode map, whose glyph codes pdfium shifts).

Imports ``readers``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c

from indexer.readers import Extracted, Unreadable, clean_title, from_pages

# pdfium's load errors, in the user's words
LOAD_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: "encrypted (needs a password)",
    pdfium_c.FPDF_ERR_SECURITY: "encrypted (unsupported security handler)",
    pdfium_c.FPDF_ERR_FORMAT: "damaged or truncated PDF",
    pdfium_c.FPDF_ERR_FILE: "damaged or truncated PDF",
}
# Characters of real text in the languages we index; a page mostly of others is mis-decoded.
READABLE = re.compile(
    r"[\s\x21-\x7e\u00a0-\u024f\u1100-\u11ff\u2010-\u206f\u3000-\u303f"
    r"\u3130-\u318f\u3200-\u32ff\u4e00-\u9fff\uac00-\ud7a3\uff00-\uffef]"
)
MIN_READABLE = 0.7
# A run of this many Latin letters is no word: what pdfium makes of an embedded TrueType font's
# glyph ids when no ToUnicode map says what they are ("GHFHQW ZRUN" for "decent work", spaces lost).
OVERLONG_WORD = re.compile(r"[A-Za-z]{25,}")
# Titles that name no document: a word processor's default or the source file's name.
JUNK_TITLE = re.compile(
    r"^(?:untitled|제목 ?없음|no title|document\d*|microsoft \w+ - .*|.*\.(?:docx?|hwpx?|"
    r"pptx?|xlsx?|pdf|rtf|txt|tmp))$",
    re.IGNORECASE,
)


def read(path: Path) -> Extracted:
    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as error:
        code = getattr(error, "err_code", None)
        raise Unreadable(LOAD_ERRORS.get(code, f"cannot open the PDF ({error})")) from None
    try:
        pages = [_page_text(document, index) for index in range(len(document))]
        title = _title(document.get_metadata_value("Title"))
    finally:
        document.close()
    if not any(page.strip() for page in pages):
        raise Unreadable("no text layer (scanned?)")
    if any(_garbled(page) for page in pages):
        fallback = _pdfminer_pages(path)
        if fallback is not None and _readable_share("".join(fallback)) > _readable_share("".join(pages)):
            pages = fallback
    return from_pages(pages, title)


def _page_text(document: pypdfium2.PdfDocument, index: int) -> str:
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()


def _readable_share(text: str) -> float:
    """The share of the text's characters that read as text of ours: letters and signs of the
    languages we index, outside runs of Latin letters too long to be words."""
    letters = re.sub(r"\s", "", text)
    if not letters:
        return 1.0
    overlong = sum(len(run) for run in OVERLONG_WORD.findall(text))
    return (len(READABLE.findall(letters)) - overlong) / len(letters)


def _garbled(page: str) -> bool:
    """A page of 30+ characters most of which are no letters of ours (controls, private use,
    stray scripts, letters that make no words): what a font without a ToUnicode map gives."""
    return len(page.strip()) >= 30 and _readable_share(page) < MIN_READABLE


def _pdfminer_pages(path: Path) -> list[str] | None:
    """The pages as pdfminer reads them (slower, but it uses the fonts' own encodings)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    try:
        return [
            "".join(box.get_text() for box in page if isinstance(box, LTTextContainer))
            for page in extract_pages(path)
        ]
    except Exception:  # noqa: BLE001 - the fallback failing leaves pdfium's text
        return None


def _title(value: str) -> str | None:
    title = clean_title(value)
    if not title or len(title) < 2 or JUNK_TITLE.match(title) or _readable_share(title) < MIN_READABLE:
        return None
    return title
