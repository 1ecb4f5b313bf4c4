"""Markdown files: indexed and shown as text without the syntax; the document page draws their
headings, lists, quotes, code and bold again with every match marked on the stored offsets."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from indexer.decoding import tidy
from indexer.documents import Document, read_documents
from indexer.index import open_index, reindex
from indexer.markdown import BLOCK_KINDS, markdown_text
from web import create_app

NOTES = """# 노동 *정책* 회의

The **labour** policy meeting, with `ILO` and [the report](https://example.org/r).
<script>alert(1)</script>

## 안건 · Agenda

- 국제노동기구와 협력
  - labour statistics
3. 고용 **labour market**

> 인용: labour is not a commodity

```
labour = "code"  # a comment
```
"""


def test_the_text_holds_no_syntax_and_the_layout_fits_it() -> None:
    text, heading, layout = markdown_text(NOTES)
    assert heading == "노동 정책 회의"
    assert not re.search(r"^#|\*\*|`|\]\(|https://", text, re.M)  # no syntax, no link target
    assert "<script>alert(1)</script>" in text  # raw HTML is text (shown escaped)
    assert tidy(text) == text  # what Document keeps, so the ranges still fit
    shown = {(kind, text[start:end], depth, marker) for start, end, kind, depth, marker in layout}
    assert ("h1", "노동 정책 회의", 0, "") in shown and ("em", "정책", 0, "") in shown
    assert ("h2", "안건 · Agenda", 0, "") in shown
    assert ("li", "국제노동기구와 협력", 1, "•") in shown and ("li", "labour statistics", 2, "•") in shown
    assert ("li", "고용 labour market", 1, "3.") in shown and ("strong", "labour market", 0, "") in shown
    assert ("quote", "인용: labour is not a commodity", 0, "") in shown
    assert ("pre", 'labour = "code"  # a comment', 0, "") in shown  # code keeps its characters
    assert ("code", "ILO", 0, "") in shown
    blocks = [text[start:end] for start, end, kind, _, _ in layout if kind in BLOCK_KINDS]
    assert "\n\n".join(blocks) == text  # the blocks are the whole text


@pytest.mark.parametrize("source", ["", "   \n\n", "***", "# \n\n-"])
def test_markdown_without_words_has_no_text(source: str) -> None:
    text, _, layout = markdown_text(source)
    assert text.strip() == "" and layout == []


def test_a_markdown_file_is_read_as_its_text_and_first_heading(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("intro line\n\n# Labour *policy*\n\ntext", encoding="utf-8")
    (tmp_path / "plain.txt").write_text("# not markdown\n**kept**", encoding="utf-8")
    documents = {item.id: item for _, item in read_documents([tmp_path]) if isinstance(item, Document)}
    assert documents["notes.md"].title == "Labour policy"
    assert documents["notes.md"].text == "intro line\n\nLabour policy\n\ntext"
    assert documents["notes.md"].layout
    assert documents["plain.txt"].text == "# not markdown\n**kept**" and documents["plain.txt"].layout is None


@pytest.fixture(scope="module")
def notes_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("notes")
    (root / "notes.md").write_text(NOTES, encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("notes-index")
    reindex([root], index_dir)
    return index_dir


def test_the_document_page_draws_the_layout_with_every_match_marked(notes_index: Path) -> None:
    client = create_app(notes_index).test_client()
    body = client.get("/doc/notes.md", query_string={"q": "labour"}).get_data(as_text=True)
    shown = re.search(r'<div class="doctext layout">(.*?)</div>\n</article>', body, re.S).group(1)
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<h2>노동 <em>정책</em> 회의</h2>" in shown and "<h3>안건 · Agenda</h3>" in shown
    assert '<p class="li depth-2" data-marker="•"><mark id="m2">labour</mark> statistics</p>' in shown
    # A match in bold: the mark outside, the bold closed and opened again around its edge.
    assert '고용 <mark id="m3"><strong>labour</strong></mark><strong> market</strong>' in shown
    assert "<blockquote><p>인용: <mark" in shown and "<pre><code><mark" in shown
    assert "#" not in re.sub(r"<[^>]+>", "", shown).replace("# a comment", "")
    text = open_index(notes_index).searcher().document(id="notes.md")["body"]
    marks = re.findall(r'<mark id="m(\d+)">', shown)
    assert marks == [str(n) for n in range(1, text.count("labour") + 1)]  # each match, once, in order
    assert f"{len(marks)} matches" in body
    # Without the tags the page is the stored text, block by block.
    assert html.unescape(re.sub(r"<[^>]+>", "", shown)) == text.replace("\n\n", "\n")
    results = client.get("/search", query_string={"q": "statistics"}).get_data(as_text=True)
    assert "<mark>statistics</mark>" in results and "**" not in results
