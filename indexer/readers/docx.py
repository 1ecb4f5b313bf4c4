"""DOCX with ``docx2python``: body, headers, footers, footnotes, endnotes and text boxes (which a
walk of the body's paragraphs, as python-docx does, misses).

Imports ``readers``.
"""

from __future__ import annotations

import re
from pathlib import Path

from docx2python import docx2python

from indexer.readers import Extracted, checked_zip, clean, clean_title

# docx2python marks where a note or an image was: "----footnote1----", "----media/image1.png----",
# and starts each note with "footnote1)\t".
PLACEHOLDER = re.compile(r"----(?:(?:foot|end)note\d+|media/[^\n]*?)----")
NOTE_NUMBER = re.compile(r"^(?:foot|end)note\d+\)\t", re.MULTILINE)


def read(path: Path) -> Extracted:
    checked_zip(path, "DOCX").close()  # docx2python inflates every part: refuse a zip bomb first
    with docx2python(path) as content:
        text = content.text
        title = content.core_properties.get("title")
    return Extracted(clean(NOTE_NUMBER.sub("", PLACEHOLDER.sub("", text))), clean_title(title))
