"""Reading real files: encodings, formats, titles, language labels, and what gets skipped."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from indexer.documents import Document, Skipped, detect_language, read_documents

KOREAN = "국제노동기구와 협력을 강화한다.\n두 번째 줄입니다."


def read(folder: Path) -> tuple[dict[str, Document], dict[str, str]]:
    documents, skipped = {}, {}
    for _, item in read_documents([folder]):
        if isinstance(item, Document):
            documents[item.id] = item
        else:
            skipped[Path(item.path.split(":")[0]).name] = item.reason
    return documents, skipped


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16", b""),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("cp949", b""),
        ("euc-kr", b""),
    ],
)
def test_encodings(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    (tmp_path / "doc.txt").write_bytes(prefix + KOREAN.encode(encoding))
    documents, skipped = read(tmp_path)
    assert skipped == {}
    assert documents["doc.txt"].text == KOREAN
    assert documents["doc.txt"].title == "국제노동기구와 협력을 강화한다."


def test_html_title_and_visible_text_only(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><head><title>노동 정책</title><style>p{color:red}</style></head>"
        "<body><script>alert('x')</script><p>ILO와 협력</p><p>Second &amp; last</p></body></html>",
        encoding="utf-8",
    )
    document = read(tmp_path)[0]["page.html"]
    assert document.title == "노동 정책"
    assert document.text == "ILO와 협력\n\nSecond & last"


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        # Cut at the last space before the limit, never inside 논의한다 or "cooperation".
        ("국제노동기구와 " * 9 + "노동 정책을 논의한다", "국제노동기구와 " * 9 + "노동 정책을…"),
        ("labour " * 11 + "cooperation", ("labour " * 11).strip() + "…"),
        # A word that ends exactly at the cut keeps the whole of it; a trailing comma goes.
        ("x" * 79 + " yz", "x" * 79 + "…"),
        ("word, " * 15, ("word, " * 13).rstrip(", ") + "…"),
        ("a" * 200, "a" * 79 + "…"),  # no space to cut at: at the length
    ],
)
def test_long_first_lines_are_cut_at_a_word_boundary(tmp_path: Path, first_line: str, title: str) -> None:
    (tmp_path / "long.txt").write_text(first_line + "\nbody", encoding="utf-8")
    shown = read(tmp_path)[0]["long.txt"].title
    assert shown == title
    assert len(shown) <= 80


def test_markdown_heading_is_the_title(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("intro line\n\n# Labour policy\n\ntext", encoding="utf-8")
    assert read(tmp_path)[0]["notes.md"].title == "Labour policy"


def test_jsonl_one_document_per_line_and_bad_lines_reported(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "title": "첫째", "text": "협력을 강화"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "b", "title": "no text"}),
        json.dumps({"id": "a", "text": "duplicate"}),
        json.dumps({"id": "c", "text": "Labour policy"}),
    ]
    (tmp_path / "bulk.jsonl").write_text("\n".join(lines), encoding="utf-8")
    documents = {}
    reasons = []
    for _, item in read_documents([tmp_path / "bulk.jsonl"]):
        if isinstance(item, Skipped):
            reasons.append((item.line, item.reason.split(" (")[0]))
        else:
            documents[item.id] = item
    assert sorted(documents) == ["a", "c"]
    assert documents["a"].title == "첫째"
    assert reasons == [(2, "invalid JSON"), (3, 'missing "text"'), (4, "duplicate id 'a'")]


def test_binary_unsupported_and_empty_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "image.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "report.rtf").write_bytes(b"{\\rtf1 Labour policy}")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "good.txt").write_text("Labour policy", encoding="utf-8")
    documents, skipped = read(tmp_path)
    assert list(documents) == ["good.txt"]
    assert skipped["image.txt"].startswith("binary file")
    assert skipped["report.rtf"] == "unsupported file type .rtf"
    assert skipped["empty.txt"] == "no text"


def test_ids_are_relative_paths_and_text_is_nfc(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text(unicodedata.normalize("NFD", "협력"), encoding="utf-8")
    document = read(tmp_path)[0]["sub/a.txt"]
    assert document.text == unicodedata.normalize("NFC", "협력")
    assert len(document.hash) == 32


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (KOREAN, "ko"),
        ("The ILO and the Republic of Korea signed an agreement on labour policy.", "en"),
        ("김영훈 장관은 ILO 사무총장과 만나 AI 전환을 논의했다.", "ko"),
        (
            "Press release on labour standards. 한국 정부는 협력을 강화한다. And more English "
            "text follows here, about the partnership and the programme.",
            "mixed",
        ),
        (
            "Le gouvernement de la République de Corée a signé un accord avec l'organisation "
            "internationale du travail pour promouvoir le travail décent.",
            "fr",
        ),
    ],
)
def test_language_labels(text: str, lang: str) -> None:
    assert detect_language(text) == lang
