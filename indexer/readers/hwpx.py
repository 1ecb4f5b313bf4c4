"""HWPX (OWPML, KS X 6101): a zip of XML parts; the body is ``Contents/section*.xml``.

Read with the standard library: the manifest is not needed (real files lack it), each section's
paragraphs (``hp:p``) are read in document order, nested ones (table cells, text boxes, notes)
included, and the text is that of their ``hp:t`` runs.  Imports ``readers``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from indexer.readers import Extracted, Unreadable, checked_zip, clean, clean_title

SECTION = re.compile(r"Contents/section(\d+)\.xml$")
PARAGRAPH_NS = "{http://www.hancom.co.kr/hwpml/2011/paragraph}"
TEXT_TAG, PARAGRAPH_TAG = f"{PARAGRAPH_NS}t", f"{PARAGRAPH_NS}p"
INLINE = {f"{PARAGRAPH_NS}tab": "\t", f"{PARAGRAPH_NS}lineBreak": "\n"}
TITLE_TAG = "{http://www.idpf.org/2007/opf/}title"


def read(path: Path) -> Extracted:
    with checked_zip(path, "HWPX") as archive:
        names = archive.namelist()
        sections = sorted((int(m.group(1)), name) for name in names if (m := SECTION.match(name)))
        if not sections:
            raise Unreadable("not an HWPX document (no Contents/section*.xml)")
        parts = []
        for _, name in sections:
            with archive.open(name) as section:
                parts.append(_section_text(section))
        title = None
        if "Contents/content.hpf" in names:
            with archive.open("Contents/content.hpf") as package:
                title = _title(package)
    return Extracted(clean("".join(parts)), title)


def _section_text(section) -> str:
    out: list[str] = []
    try:
        for _, element in ElementTree.iterparse(section, events=("end",)):
            if element.tag == TEXT_TAG:
                out.append(element.text or "")
                for child in element:
                    out.append(INLINE.get(child.tag, "") + (child.tail or ""))
            elif element.tag == PARAGRAPH_TAG:
                out.append("\n")
                element.clear()  # a long section is read paragraph by paragraph
    except ElementTree.ParseError as error:
        raise Unreadable(f"damaged HWPX section ({error})") from None
    return "".join(out)


def _title(package) -> str | None:
    try:
        root = ElementTree.parse(package).getroot()
    except ElementTree.ParseError:
        return None  # the title is a nicety; the body was read
    element = root.find(f".//{TITLE_TAG}")
    return clean_title(element.text) if element is not None else None
