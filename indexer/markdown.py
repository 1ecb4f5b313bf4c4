"""Markdown files as plain text, and the layout that shows it again: headings, paragraphs, list
items, quotes and code blocks, with bold, italic, struck and code words inside them, as ranges of
the text.

The text (what is indexed, stored, marked and shown in snippets) holds no Markdown syntax (no
``#``, ``*``, backticks or link targets), so a word is found as written and a snippet reads as
prose.  The document page draws the layout over the text with the matches marked (``layout``):
the marks sit on the offsets every match has, exactly, which rendering the Markdown source
again could not give (a match's offsets are in the text, the source's are elsewhere).  Raw HTML
in a document stays text (markdown-it's ``html=False``); a link keeps its words, an image its
alt text.  Imports ``decoding``.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from indexer.decoding import tidy

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
# (start, end, kind, depth, marker): a block (h1…h6, p, quote, pre, li) or a run inside one (strong,
# em, s, code); ``depth`` is a list item's nesting, ``marker`` its bullet or number ("" for the
# item's further paragraphs).  Stored with the document as plain tuples.
Range = tuple[int, int, str, int, str]
BLOCK_KINDS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "quote", "pre", "li"})
INLINE_KINDS = {"strong_open": "strong", "em_open": "em", "s_open": "s"}
BULLET = "•"
SEPARATOR = "\n\n"  # between two blocks

_PARSER = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


def markdown_text(source: str) -> tuple[str, str, list[Range]]:
    """The plain text of a Markdown ``source``, its first heading ("" for none) and its layout.

    The text is as ``decoding.tidy`` leaves it (documents are tidied again when made); where
    tidying would move it (a code block with runs of blank lines first or last), the tidied text
    is kept without a layout, rather than ranges that no longer fit it."""
    layout = _Layout()
    for token in _PARSER.parse(tidy(source)):
        layout.take(token)
    text = SEPARATOR.join(layout.blocks)
    if tidy(text) != text:
        return tidy(text), layout.heading, []
    return text, layout.heading, layout.ranges


class _Layout:
    """Markdown-it's tokens, in order, made into blocks of text and their ranges."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.ranges: list[Range] = []
        self.heading = ""
        self._offset = 0  # where the next block starts in the text
        self._lists = 0  # open lists around the next block
        self._quotes = 0
        self._marker: str | None = None  # the open list item's marker, until its first block
        self._kind = "p"

    def take(self, token: Token) -> None:
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            self._lists += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self._lists -= 1
        elif kind == "list_item_open":
            self._marker = f"{token.info}{token.markup}" if token.info else BULLET
        elif kind in ("blockquote_open", "blockquote_close"):
            self._quotes += 1 if kind == "blockquote_open" else -1
        elif kind in ("heading_open", "paragraph_open"):
            self._kind = token.tag if kind == "heading_open" else "p"
        elif kind == "inline":
            text, runs = _inline(token.children or [])
            if self._kind != "p" and not self.heading:
                self.heading = text
            self._add(text, self._kind if self._kind != "p" else self._paragraph_kind(), runs)
        elif kind in ("fence", "code_block"):
            self._add(token.content.rstrip("\n"), "pre", [])

    def _paragraph_kind(self) -> str:
        return "li" if self._lists else "quote" if self._quotes else "p"

    def _add(self, text: str, kind: str, runs: list[tuple[int, int, str]]) -> None:
        if not text.strip():
            return
        start = self._offset
        marker = ""
        if kind == "li":
            marker, self._marker = self._marker or "", None
        self.ranges.append((start, start + len(text), kind, self._lists, marker))
        self.ranges.extend((start + left, start + right, run, 0, "") for left, right, run in runs)
        self.blocks.append(text)
        self._offset = start + len(text) + len(SEPARATOR)


def _inline(children: list[Token]) -> tuple[str, list[tuple[int, int, str]]]:
    """An inline token's text and its (start, end, kind) runs of bold, italic, struck and code."""
    parts: list[str] = []
    runs: list[tuple[int, int, str]] = []
    opened: list[tuple[str, int]] = []
    offset = 0
    for child in children:
        piece = ""
        if child.type in ("text", "image"):  # an image: its alt text
            piece = child.content
        elif child.type == "code_inline":
            piece = child.content
            runs.append((offset, offset + len(piece), "code"))
        elif child.type in ("softbreak", "hardbreak"):
            piece = "\n"
        elif child.type in INLINE_KINDS:
            opened.append((INLINE_KINDS[child.type], offset))
        elif child.type.endswith("_close") and opened and child.type != "link_close":
            run, start = opened.pop()
            if offset > start:
                runs.append((start, offset, run))
        parts.append(piece)
        offset += len(piece)
    return "".join(parts), runs
