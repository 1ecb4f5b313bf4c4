"""Text as shown to a person (web pages, a terminal): the characters that hide or reorder text made visible.

A file named ``report``, U+202E (RIGHT-TO-LEFT OVERRIDE), ``txt.exe`` shows as ``reportexe.txt``:
the bidi controls turn the rest of a line around, and zero-width characters hide in a word. Shown as
``<U+202E>`` they cannot pass for other text. Data (JSON, the index) keeps the exact text.
Imports nothing of dari.
"""

from __future__ import annotations

import re

# Controls a page or a terminal would act on instead of showing (C0 but tab, newline and return;
# DEL and C1, ESC among them), the bidi controls (U+061C, U+200E/F, U+202A-202E, U+2066-2069),
# and the invisible format characters: zero-width space, word joiner and invisible operators, the
# deprecated format controls, the BOM, the interlinear annotation marks (they hide text) and the
# tags (invisible ASCII). Left alone, though invisible: the soft hyphen and the zero-width
# (non-)joiners U+200C/D, which ordinary Persian, Indic and emoji text needs.
HIDDEN_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b\u200e\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
MARKER = "<U+{:04X}>"


def reveal_hidden(text: str, marker: str = MARKER) -> str:
    """``text`` with each hidden character replaced by ``marker`` formatted with its code point."""
    return HIDDEN_CHARS.sub(lambda match: marker.format(ord(match[0])), text)
