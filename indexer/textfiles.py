"""Plain text, Markdown and HTML files: their text, title and (Markdown) layout.

HTML gives its ``<title>`` and visible text, Markdown its text without the syntax and its first
heading, plain text its first line.  Imports ``decoding`` and ``markdown``.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from indexer.decoding import first_line_title, tidy
from indexer.markdown import MARKDOWN_SUFFIXES, Range, markdown_text

TEXT_SUFFIXES = frozenset({".txt"}) | MARKDOWN_SUFFIXES
HTML_SUFFIXES = frozenset({".html", ".htm"})


def text_and_title(path: Path, raw: str) -> tuple[str, str, list[Range] | None]:
    """The text, title and layout (Markdown's; None for others) of a decoded file, by its suffix
    (HTML, Markdown or plain text)."""
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        parser = _HTMLText()
        parser.feed(raw)
        text = tidy("".join(parser.parts))
        return text, tidy(parser.title) or first_line_title(text), None
    if suffix in MARKDOWN_SUFFIXES:
        text, heading, layout = markdown_text(raw)
        return text, first_line_title(heading or text), layout
    text = tidy(raw)
    return text, first_line_title(text), None


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
