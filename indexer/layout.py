"""A Markdown document as its page shows it: the blocks and runs of the layout its reader stored
(``markdown``) drawn over its text, with the matches marked on the same offsets as everywhere.

A match that crosses a run (half in bold) stays one ``<mark>``: marks are the outermost of the
tags, and the runs inside them close and open again around their edges, so the HTML nests.  A
document's headings start at ``<h2>``, under the page's title.  Imports ``highlight`` and
``markdown``.
"""

from __future__ import annotations

import html
from bisect import bisect_left, bisect_right

from indexer.highlight import Span, merged_spans
from indexer.markdown import BLOCK_KINDS, Range

# Inline tags, outermost first: the match marks, then the runs of bold, italic, struck and code.
NESTING = ("mark", "strong", "em", "s", "code")
DEEPEST = 4  # list items nested deeper are indented as this deep


def marked_layout(text: str, spans: list[Span], layout: list[Range], end: int) -> str:
    """``text[:end]`` as the HTML of its ``layout``'s blocks, escaped, each run of ``spans`` marked
    (as ``highlight.mark``).  Each block looks only at the marks and runs within it (bisected), so
    a long document with many of both is drawn in about linear time."""
    marks = merged_spans(spans)
    mark_ends = [right for _, right in marks]
    runs = sorted((start, stop, kind) for start, stop, kind, _, _ in layout if kind not in BLOCK_KINDS)
    run_starts = [start for start, _, _ in runs]
    out = []
    for start, stop, kind, depth, marker in layout:
        if kind not in BLOCK_KINDS or start >= end:
            continue
        stop = min(stop, end)
        inside = runs[bisect_left(run_starts, start) : bisect_left(run_starts, stop)]
        number = bisect_right(mark_ends, start)  # the first mark that ends inside the block
        while number < len(marks) and marks[number][0] < stop:
            inside.append((*marks[number], "mark"))
            number += 1
        opening, closing = _block_tags(kind, depth, marker)
        out.append(opening + _inline(text, inside, start, stop) + closing)
    return "\n".join(out)


def _block_tags(kind: str, depth: int, marker: str) -> tuple[str, str]:
    if kind.startswith("h"):
        tag = f"h{min(int(kind[1]) + 1, 6)}"
        return f"<{tag}>", f"</{tag}>"
    if kind == "li":
        shown = f' data-marker="{html.escape(marker)}"' if marker else ""
        return f'<p class="li depth-{min(depth, DEEPEST)}"{shown}>', "</p>"
    if kind == "pre":
        return "<pre><code>", "</code></pre>"
    if kind == "quote":
        return "<blockquote><p>", "</p></blockquote>"
    return "<p>", "</p>"


def _inline(text: str, runs: list[tuple[int, int, str]], start: int, stop: int) -> str:
    """``text[start:stop]`` escaped, inside the tags of the ``runs`` that cover each piece of it."""
    edges = sorted(
        {start, stop, *(edge for left, right, _ in runs for edge in (left, right) if start < edge < stop)}
    )
    out: list[str] = []
    shown: list[str] = []  # the tags open now, outermost first
    for left, right in zip(edges, edges[1:], strict=False):
        covering = {kind for begin, finish, kind in runs if begin <= left and right <= finish}
        wanted = [tag for tag in NESTING if tag in covering]
        kept = 0
        while kept < min(len(shown), len(wanted)) and shown[kept] == wanted[kept]:
            kept += 1
        out.extend(f"</{tag}>" for tag in reversed(shown[kept:]))
        out.extend(f"<{tag}>" for tag in wanted[kept:])
        shown = wanted
        out.append(html.escape(text[left:right]))
    out.extend(f"</{tag}>" for tag in reversed(shown))
    return "".join(out)
