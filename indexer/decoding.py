"""Bytes to text: which encoding a file is in, whether it is text at all, its language and title.

A file that is not text raises ``NotText`` with a reason the user can act on, so it is skipped
instead of indexed as mojibake.  Imports ``morphemes``.
"""

from __future__ import annotations

import re
import string
import unicodedata

import charset_normalizer
from langdetect import DetectorFactory, LangDetectException, detect

from indexer.morphemes import HANGUL, SURROGATE, nfc

TITLE_LENGTH = 80
# A title cut at TITLE_LENGTH ends at the last space in its second half; a line with none there
# (a URL, unspaced text) is cut at the length.  Hangul puts spaces between words as English does.
SPACE = re.compile(r"\s")
# A bigger text file (or .jsonl line) is skipped: one 50 MB log is no useful search result, and Kiwi
# reads ~60 KB/s of Korean.
MAX_FILE_BYTES = 10 * 1024 * 1024
ASCII_LETTERS = string.ascii_letters.encode()
NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Common English function words: a text with enough of them is English without asking langdetect,
# which is slow and unreliable on short text ("labor policy" → es).  Matched in the lowercased text:
# half the time of a case-blind match.
ENGLISH_MARKERS = re.compile(r"\b(?:the|and|of|to|in|is|for|with|that|on)\b")

DetectorFactory.seed = 0  # langdetect is random unless seeded


class NotText(ValueError):
    """The bytes are not text in any encoding we accept."""


def decode_text(data: bytes) -> str:
    """A text file's bytes as text, or NotText (binary, or in no encoding we know)."""
    raw = decode(data)
    if _looks_binary(raw):
        raise NotText("binary file (control characters)")
    return raw


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
    # Counted from what is left once they are taken out: a list of every letter took 4× the time.
    hangul = len(text) - len(HANGUL.sub("", text))
    ascii_text = text.encode("ascii", "ignore")
    latin = len(ascii_text) - len(ascii_text.translate(None, ASCII_LETTERS))
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
    return len(ENGLISH_MARKERS.findall(sample.lower())) / words >= 0.08


def tidy(text: str) -> str:
    """NFC (macOS names and some exports are NFD), one newline style, no runs of blank lines, and
    U+FFFD for lone surrogates (JSON ``\\ud800`` escapes), which cannot be stored."""
    text = SURROGATE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = nfc(text)
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()


def first_line_title(text: str) -> str:
    """The first line with text (a leading ``#`` dropped), cut to TITLE_LENGTH at a word boundary."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return shortened(line, TITLE_LENGTH)
    return ""


def shortened(line: str, limit: int) -> str:
    """``line``, or its words that fit in ``limit`` characters with an ellipsis after them."""
    if len(line) <= limit:
        return line
    kept = line[: limit - 1]  # room for the ellipsis
    if not SPACE.match(line, limit - 1):  # the cut falls inside a word: end at the space before it
        space = max((match.start() for match in SPACE.finditer(kept)), default=-1)
        if space >= limit // 2:
            kept = kept[:space]
    return kept.rstrip(" \t,;:·-–—") + "…"


def megabytes(size: int) -> str:
    """A size as the skip reasons say it (``12.3 MB``)."""
    return f"{size / 1024 / 1024:.1f} MB"
