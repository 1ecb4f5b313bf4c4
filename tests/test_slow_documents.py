"""Documents whose reader is slow or stuck in C code: a real `dari reindex` with a lowered
``--read-timeout`` gives the file up, says so, and indexes the rest (the reader runs in a worker
process that is killed; a timer signal cannot interrupt pdfium)."""

from __future__ import annotations

import json
from pathlib import Path

from faultkit import run_dari
from test_readers import write_docx, write_pdf, write_raw_pdf


def test_a_document_slower_than_the_read_timeout_is_skipped_and_the_rest_indexed(tmp_path: Path) -> None:
    folder, index_dir = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    # 800,000 text runs on one page: pdfium takes ~6 s in one C call, which no signal interrupts.
    runs = b"".join(b"(w%d ) Tj " % n for n in range(800_000))
    write_raw_pdf(folder / "a_slow.pdf", b"BT /F1 1 Tf 10 700 Td " + runs + b"ET")
    # docx2python (lxml and Python) needs ~6 s for 40,000 paragraphs.
    paragraphs = "</w:t></w:r></w:p><w:p><w:r><w:t>".join(f"paragraph {n}" for n in range(40_000))
    write_docx(folder / "b_slow.docx", paragraphs, header="h", text_box="t", footnote="f", title="Long")
    write_pdf(folder / "c_quick.pdf", ["청년고용장려금 지급 기준"])
    write_docx(folder / "d_quick.docx", "통계청 자료", header="h", text_box="t", footnote="f", title="Brief")
    (folder / "e_note.txt").write_text("decent work agenda", encoding="utf-8")

    # 3 s: the quick files take well under it even on a loaded machine; the slow ones ~6 s.
    result = run_dari("reindex", str(folder), "--index", str(index_dir), "--read-timeout", "3", timeout=300)

    assert result.returncode == 0, result.stderr
    assert f"skipped {folder / 'a_slow.pdf'}: took longer than 3 s to read" in result.stderr
    assert f"skipped {folder / 'b_slow.docx'}: took longer than 3 s to read" in result.stderr
    assert "3 added, 0 updated, 0 deleted, 0 unchanged, 2 skipped" in result.stdout
    for query, expected in [
        ("청년고용장려금", "c_quick.pdf"),
        ("통계청", "d_quick.docx"),
        ("decent", "e_note.txt"),
    ]:
        found = run_dari("search", query, "--index", str(index_dir), "--json", "--no-bridge")
        assert [hit["id"] for hit in json.loads(found.stdout)["hits"]] == [expected], query


def test_the_read_timeout_must_be_positive(tmp_path: Path) -> None:
    result = run_dari("reindex", str(tmp_path), "--index", str(tmp_path / "index"), "--read-timeout", "0")
    assert result.returncode == 2
    assert "Invalid value for '--read-timeout'" in result.stderr
    assert "Traceback" not in result.stderr
