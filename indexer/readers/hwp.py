"""HWP 5.x (Hancom's binary format): an OLE compound file of zlib-compressed record streams.

Parsed here from Hancom's published HWP 5.0 specification, with ``olefile`` for the OLE container:
the body's paragraph-text records hold every paragraph in reading order, including those inside
tables, footnotes, headers and text boxes.  Distribution (배포용) documents keep their body
AES-encrypted in ``ViewText/``; readers that skip it see only a stub paragraph, so it is decrypted.
Imports ``readers``.
"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import olefile
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from indexer.readers import Extracted, Unreadable, clean, clean_title

SIGNATURE = b"HWP Document File"
HWP3_SIGNATURE = b"HWP Document File V3"
COMPRESSED, PASSWORD, DISTRIBUTION = 0x1, 0x2, 0x4  # FileHeader property bits
TAG_PARA_TEXT = 67  # HWPTAG_BEGIN (16) + 51
TAG_DISTRIBUTE_DOC_DATA = 28  # HWPTAG_BEGIN + 12: the first record of a ViewText section
# Control characters in paragraph text: 1 UTF-16 unit for these, 8 (the code, 12 bytes of
# parameters, the code again) for the inline and extended controls (tables, footnotes, fields…),
# whose own text follows as separate paragraphs.
SINGLE_UNIT_CONTROLS = {0, 10, 13, *range(24, 32)}
CONTROL_TEXT = {9: "\t", 10: "\n", 13: "\n", 24: "-", 30: " ", 31: " "}
STUB = "상위 버전의 배포용 문서"  # what a distribution document shows readers that cannot decrypt it
SECTION = re.compile(r"Section(\d+)$")
SUMMARY = "\x05HwpSummaryInformation"
PIDSI_TITLE = 2


def read(path: Path) -> Extracted:
    head = _head(path)
    if head.startswith(HWP3_SIGNATURE):
        raise Unreadable("HWP 3.x document (only HWP 5 and HWPX are read; save it again in a newer 한글)")
    if b"<HWPML" in head.upper():
        raise Unreadable("HWPML (XML) document, not HWP 5 (save it as .hwpx)")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise Unreadable("not an HWP document (HTML or XML text; a web page saved as .hwp?)")
    if not olefile.isOleFile(str(path)):
        raise Unreadable("not an HWP 5 document (no OLE container)")
    with olefile.OleFileIO(str(path)) as ole:
        if not ole.exists("FileHeader"):
            raise Unreadable("not an HWP 5 document (no FileHeader)")
        header = ole.openstream("FileHeader").read()
        if not header.startswith(SIGNATURE) or len(header) < 40:
            raise Unreadable("not an HWP 5 document (bad FileHeader)")
        (flags,) = struct.unpack_from("<I", header, 36)
        if flags & PASSWORD:
            raise Unreadable("password-protected")
        folder = "ViewText" if flags & DISTRIBUTION else "BodyText"
        try:
            text = "\n".join(_section_text(ole, name, flags) for name in _sections(ole, folder))
            if STUB in text and len(clean(text)) < 200:
                raise ValueError("only the distribution stub was read")
        except (ValueError, zlib.error, struct.error) as error:
            preview = _preview_text(ole)
            if not preview:
                raise Unreadable(f"damaged HWP body ({error}) and no preview text") from None
            return Extracted(
                preview,
                _title(ole, preview),
                notice=f"body unreadable ({error}): indexed its preview text only",
            )
        text = clean(text)
        return Extracted(text, _title(ole, text))


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(1024)


def _sections(ole: olefile.OleFileIO, folder: str) -> list[str]:
    names = [entry[1] for entry in ole.listdir() if len(entry) == 2 and entry[0] == folder]
    numbered = sorted((int(m.group(1)), name) for name in names if (m := SECTION.match(name)))
    if not numbered:
        raise ValueError(f"no {folder} sections")
    return [f"{folder}/{name}" for _, name in numbered]


def _section_text(ole: olefile.OleFileIO, stream: str, flags: int) -> str:
    data = ole.openstream(stream).read()
    if flags & DISTRIBUTION:
        data = _decrypt_distribution(data)
    if flags & COMPRESSED:
        data = zlib.decompress(data, -15)
    return "".join(_paragraph_text(payload) for tag, payload in _records(data) if tag == TAG_PARA_TEXT)


def _records(data: bytes):
    """(tag, payload) of each record: a 32-bit header of tag (10 bits), level (10), size (12),
    the size in a further 32 bits when it is 0xfff."""
    offset = 0
    while offset + 4 <= len(data):
        (header,) = struct.unpack_from("<I", data, offset)
        tag, size = header & 0x3FF, header >> 20
        offset += 4
        if size == 0xFFF:
            (size,) = struct.unpack_from("<I", data, offset)
            offset += 4
        if offset + size > len(data):
            raise ValueError("truncated record")
        yield tag, data[offset : offset + size]
        offset += size


def _paragraph_text(payload: bytes) -> str:
    units = struct.unpack(f"<{len(payload) // 2}H", payload[: len(payload) // 2 * 2])
    out: list[str] = []
    index = 0
    while index < len(units):
        code = units[index]
        if code >= 32:
            out.append(chr(code))
            index += 1
            continue
        out.append(CONTROL_TEXT.get(code, ""))
        index += 1 if code in SINGLE_UNIT_CONTROLS else 8
    text = "".join(out)
    # Surrogate pairs (characters beyond the BMP) were read unit by unit.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text if text.endswith("\n") else text + "\n"


def _decrypt_distribution(data: bytes) -> bytes:
    """A ViewText section: a DISTRIBUTE_DOC_DATA record whose 256 bytes, unscrambled with MSVC's
    ``rand()`` seeded by their first 4, hold the AES-128 key of the rest (ECB)."""
    (header,) = struct.unpack_from("<I", data, 0)
    if header & 0x3FF != TAG_DISTRIBUTE_DOC_DATA or header >> 20 != 256 or len(data) < 260:
        raise ValueError("no distribution key record")
    block = bytearray(data[4:260])
    seed = struct.unpack_from("<I", block, 0)[0]
    mask, run = 0, 0
    for index in range(256):
        if run == 0:
            seed = (seed * 214013 + 2531011) & 0xFFFFFFFF
            mask = (seed >> 16) & 0xFF
            seed = (seed * 214013 + 2531011) & 0xFFFFFFFF
            run = ((seed >> 16) & 0xF) + 1
        if index >= 4:
            block[index] ^= mask
        run -= 1
    start = 4 + (block[0] & 0xF)
    key = bytes(block[start : start + 16])
    body = data[260:]
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    return decryptor.update(body[: len(body) // 16 * 16]) + decryptor.finalize()


def _preview_text(ole: olefile.OleFileIO) -> str:
    """The plain-text preview 한글 saves beside the body (its first pages, UTF-16)."""
    if not ole.exists("PrvText"):
        return ""
    return clean(ole.openstream("PrvText").read().decode("utf-16-le", "replace").replace("\x00", ""))


def _title(ole: olefile.OleFileIO, text: str) -> str | None:
    """The summary's title, when the text contains it: 한글 carries a template's title into every
    document made from it (a notice titled after its form), which would mislabel the hit."""
    if not ole.exists(SUMMARY):
        return None
    try:
        value = ole.getproperties(SUMMARY).get(PIDSI_TITLE)
    except Exception:  # noqa: BLE001 - a damaged summary only costs the title
        return None
    # olefile reads HWP's UTF-16 strings past their end; the title stops at the first NUL.
    title = clean_title(value.split("\x00")[0]) if isinstance(value, str) else None
    if title and title.replace(" ", "") in text.replace(" ", "").replace("\n", ""):
        return title
    return None
