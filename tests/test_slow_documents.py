"""Documents whose reader is slow or stuck in C code: a real `dari reindex` with a lowered
``--read-timeout`` gives the file up, says so, and indexes the rest (the reader runs in a worker
process that is killed; a timer signal cannot interrupt pdfium)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from faultkit import run_dari
from test_readers import write_docx, write_pdf

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def write_raw_pdf(path: Path, content: bytes, font: bytes = FONT) -> None:
    """A one-page PDF written object by object around a compressed content stream."""
    stream = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
        font,
    ]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(pdf))


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

    result = run_dari("reindex", str(folder), "--index", str(index_dir), "--read-timeout", "1", timeout=300)

    assert result.returncode == 0, result.stderr
    assert f"skipped {folder / 'a_slow.pdf'}: took longer than 1 s to read" in result.stderr
    assert f"skipped {folder / 'b_slow.docx'}: took longer than 1 s to read" in result.stderr
    assert "3 added, 0 updated, 0 deleted, 0 unchanged, 2 skipped" in result.stdout
    for query, expected in [
        ("청년고용장려금", "c_quick.pdf"),
        ("통계청", "d_quick.docx"),
        ("decent", "e_note.txt"),
    ]:
        found = run_dari("search", query, "--index", str(index_dir), "--json")
        assert [hit["id"] for hit in json.loads(found.stdout)["hits"]] == [expected], query


def test_the_read_timeout_must_be_positive(tmp_path: Path) -> None:
    result = run_dari("reindex", str(tmp_path), "--index", str(tmp_path / "index"), "--read-timeout", "0")
    assert result.returncode == 2
    assert "Invalid value for '--read-timeout'" in result.stderr
    assert "Traceback" not in result.stderr
