"""Pages of a paged document (PDF pages, slides, sheets): the page a hit's best passage is on, and
the document's marked text with its page breaks shown.

A document stores where each page starts in its text (``pages``, from the readers); flowing text
(a .txt, a DOCX) has none, and its hits name no page.  Imports ``highlight``.
"""

from __future__ import annotations

from bisect import bisect_right

from indexer.highlight import Span, mark


def page_of(pages: list[int] | None, offset: int | None) -> int | None:
    """The 1-based page holding character ``offset`` (None: not a paged document, or no offset)."""
    if not pages or offset is None:
        return None
    return max(1, bisect_right(pages, offset))


def page_break(number: int) -> str:
    """The marker shown where page ``number`` starts."""
    return f'<span class="page-break" role="separator">p. {number}</span>'


def marked_pages(text: str, spans: list[Span], pages: list[int] | None, end: int) -> str:
    """``text[:end]`` escaped and marked (as ``highlight.mark``), with a break where each page
    after the first starts (an empty page, which starts where the next does, shows none)."""
    starts = pages or []
    breaks = [
        (number, start)
        for number, start in enumerate(starts, start=1)
        if 0 < start < end and (number == len(starts) or starts[number] != start)
    ]
    out, left = [], 0
    for number, start in breaks:
        out.append(mark(text, spans, left, start))
        out.append(page_break(number))
        left = start
    out.append(mark(text, spans, left, end))
    return "".join(out)
