"""Document readers (indexer/readers/) on real files: HWP 5 and HWPX from two parser projects'
test sets (tests/fixtures/documents/, Apache-2.0, see SOURCE.md there), and PDF, DOCX, PPTX and
XLSX files written here with their own libraries.  Then a real `dari reindex` + `dari search`."""

from __future__ import annotations

import json
import re
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pypdfium2
import pytest
import reportlab
from faultkit import get, run_dari, serving
from pptx import Presentation
from pptx.util import Inches
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFontFile
from reportlab.pdfgen import canvas
from test_documents import read
from whoosh import index as whoosh_index
from whoosh.fields import Schema

from indexer.index import reindex
from indexer.readers import MAX_ZIP_RATIO
from indexer.schema import make_schema
from indexer.search import SearchEngine

FIXTURES = Path(__file__).parent / "fixtures" / "documents"
HWP_PROPERTIES = 36  # offset of the property flags in the FileHeader stream
PASSWORD_BIT, DISTRIBUTION_BIT = 0x2, 0x4
WORD = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
)
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def write_pdf(path: Path, pages: list[str], title: str | None = None, **options) -> None:
    """A PDF whose pages hold these lines, in reportlab's built-in Korean CID font."""
    pdfmetrics.registerFont(UnicodeCIDFont("HYSMyeongJo-Medium"))
    pdf = canvas.Canvas(str(path), **options)
    if title is not None:
        pdf.setTitle(title)
    for page in pages:
        pdf.setFont("HYSMyeongJo-Medium", 12)
        for number, line in enumerate(page.split("\n")):
            pdf.drawString(72, 750 - 18 * number, line)
        pdf.showPage()
    pdf.save()


HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def write_raw_pdf(path: Path, content: bytes, font: bytes = HELVETICA, *more: bytes) -> None:
    """A one-page PDF written object by object: the page's content stream (compressed) drawn in
    ``font`` (object 5), which may refer to ``more`` objects (6, 7…)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        pdf_stream(content),
        font,
        *more,
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


def pdf_stream(data: bytes, entries: bytes = b"") -> bytes:
    packed = zlib.compress(data, 9)
    return b"<< /Length %d /Filter /FlateDecode %s >>\nstream\n%s\nendstream" % (len(packed), entries, packed)


def write_pdf_without_tounicode(path: Path, text: str) -> None:
    """``text`` in reportlab's Vera embedded as a CID TrueType font drawn by glyph ids, with no
    ToUnicode map (as Hancom's exports do): only the font's own cmap says which letters they are."""
    font_file = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    glyphs = TTFontFile(str(font_file)).charToGlyph
    content = b"BT /F1 12 Tf 72 700 Td <%s> Tj ET" % b"".join(b"%04x" % glyphs[ord(ch)] for ch in text)
    write_raw_pdf(
        path,
        content,
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Vera /Encoding /Identity-H /DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Vera /CIDToGIDMap /Identity /FontDescriptor 7 0 R "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>",
        b"<< /Type /FontDescriptor /FontName /Vera /Flags 32 /FontBBox [-183 -236 1287 928] /ItalicAngle 0 "
        b"/Ascent 928 /Descent -236 /CapHeight 700 /StemV 80 /FontFile2 8 0 R >>",
        pdf_stream(font_file.read_bytes(), b"/Length1 %d" % font_file.stat().st_size),
    )


def _paragraph(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def write_docx(path: Path, body: str, *, header: str, text_box: str, footnote: str, title: str) -> None:
    """A DOCX written part by part (python-docx cannot make text boxes or footnotes)."""
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document {WORD}><w:body>{_paragraph(body)}'
        '<w:p><w:r><w:t>각주가 달린 문장</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r></w:p>'
        "<w:p><w:r><w:drawing><wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent>"
        f"{_paragraph(text_box)}</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic>"
        "</wp:anchor></w:drawing></w:r></w:p>"
        '<w:sectPr><w:headerReference w:type="default" r:id="rIdHeader"/></w:sectPr></w:body></w:document>'
    )
    word = "application/vnd.openxmlformats-officedocument.wordprocessingml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as docx:
        docx.writestr(
            "[Content_Types].xml",
            (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/word/document.xml" ContentType="{word}.document.main+xml"/>'
                f'<Override PartName="/word/header1.xml" ContentType="{word}.header+xml"/>'
                f'<Override PartName="/word/footnotes.xml" ContentType="{word}.footnotes+xml"/>'
                '<Override PartName="/docProps/core.xml" '
                'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>'
            ),
        )
        docx.writestr(
            "_rels/.rels",
            (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{RELS}/officeDocument" Target="word/document.xml"/>'
                '<Relationship Id="rId2" Target="docProps/core.xml" Type="http://schemas.openxmlformats.org/'
                'package/2006/relationships/metadata/core-properties"/></Relationships>'
            ),
        )
        docx.writestr(
            "word/_rels/document.xml.rels",
            (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rIdHeader" Type="{RELS}/header" Target="header1.xml"/>'
                f'<Relationship Id="rIdNotes" Type="{RELS}/footnotes" Target="footnotes.xml"/>'
                "</Relationships>"
            ),
        )
        docx.writestr("word/document.xml", document)
        docx.writestr("word/header1.xml", f"<w:hdr {WORD}>{_paragraph(header)}</w:hdr>")
        docx.writestr(
            "word/footnotes.xml",
            f'<w:footnotes {WORD}><w:footnote w:id="1">{_paragraph(footnote)}</w:footnote></w:footnotes>',
        )
        docx.writestr(
            "docProps/core.xml",
            (
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
                f'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{title}</dc:title>'
                "</cp:coreProperties>"
            ),
        )


def write_pptx(path: Path) -> None:
    presentation = Presentation()
    first = presentation.slides.add_slide(presentation.slide_layouts[5])
    first.shapes.title.text = "지역별 실업률"
    table = first.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for row, cells in enumerate([("지역", "실업률"), ("울산광역시", "3.2")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    first.notes_slide.notes_text_frame.text = "발표자 메모: 조선업 회복"
    second = presentation.slides.add_slide(presentation.slide_layouts[1])
    second.shapes.title.text = "Youth employment"
    second.placeholders[1].text = "apprenticeship programmes"
    presentation.core_properties.title = "분기 고용 브리핑"
    presentation.save(str(path))


def write_xlsx(path: Path) -> None:
    workbook = openpyxl.Workbook()
    summary = workbook.active
    summary.title = "요약"
    summary.append(["지역", "취업자수"])
    summary.append(["세종특별자치시", 2024])
    detail = workbook.create_sheet("Detail")
    detail.append(["commuting survey", 1.5])
    workbook.save(path)


def hwp_with_flags(source: Path, target: Path, set_bits: int = 0, clear_bits: int = 0) -> Path:
    """A copy of an HWP file with FileHeader property bits changed in place."""
    data = bytearray(source.read_bytes())
    at = data.find(b"HWP Document File")
    assert at >= 0 and data.find(b"HWP Document File", at + 1) < 0
    (flags,) = struct.unpack_from("<I", data, at + HWP_PROPERTIES)
    struct.pack_into("<I", data, at + HWP_PROPERTIES, (flags | set_bits) & ~clear_bits)
    target.write_bytes(bytes(data))
    return target


def copy_fixture(name: str, folder: Path) -> Path:
    return Path(shutil.copy(FIXTURES / name, folder / name))


def test_hwp_keeps_table_text_box_footnote_and_header_text(tmp_path: Path) -> None:
    for name in ("표", "글상자", "각주미주", "머리글꼬리글"):
        copy_fixture(f"hwplib_basic_{name}.hwp", tmp_path)
    documents, skipped = read(tmp_path)
    assert skipped == {}
    table = documents["hwplib_basic_표.hwp"]
    assert table.text.split() == "표 ABC 123 DEF GHI LMN OPQ STR UVM 123 456".split()
    assert table.title == "표"
    assert documents["hwplib_basic_글상자.hwp"].text.split() == ["그림", "ABC", "123", "ABC"]
    assert documents["hwplib_basic_각주미주.hwp"].text == "sssd"  # the footnote's text
    headers = documents["hwplib_basic_머리글꼬리글.hwp"].text.split("\n")
    assert headers[:3] == ["aaa", "개요1", "2233"] and headers[-1] == "888887774444"
    assert table.pages is None


def test_hwp_distribution_document_is_decrypted_not_its_stub(tmp_path: Path) -> None:
    copy_fixture("hwplib_distribution.hwp", tmp_path)
    document = read(tmp_path)[0]["hwplib_distribution.hwp"]
    assert document.text.startswith("강남세움복지관 공고 제 2024-08호")
    assert "2025년 강남세움센터 시설관리원 용역업체 선정 입찰공고" in document.text
    assert "배포용 문서" not in document.text
    # its summary title ("무궁화동산등") is the template's, not in the text: the first line is used
    assert document.title == "강남세움복지관 공고 제 2024-08호"


def test_hwp_whose_body_only_holds_the_stub_falls_back_to_its_preview(tmp_path: Path) -> None:
    """Read without decryption (the distribution flag cleared), the body is only the stub: the
    preview text is indexed instead, and the summary says so."""
    hwp_with_flags(FIXTURES / "hwplib_distribution.hwp", tmp_path / "stub.hwp", clear_bits=DISTRIBUTION_BIT)
    documents, skipped = read(tmp_path)
    assert "강남세움센터 시설관리원 용역업체 선정" in documents["stub.hwp"].text
    assert "배포용 문서" not in documents["stub.hwp"].text
    assert skipped["stub.hwp"].endswith("indexed its preview text only")


def test_unreadable_hwp_files_are_skipped_with_their_reason(tmp_path: Path) -> None:
    hwp_with_flags(FIXTURES / "hwplib_basic_표.hwp", tmp_path / "password.hwp", set_bits=PASSWORD_BIT)
    (tmp_path / "webpage.hwp").write_text("<!DOCTYPE html><html><body>파일을 찾을 수 없습니다</body></html>")
    (tmp_path / "old.hwp").write_bytes(b"HWP Document File V3.00 \x1a\x01\x02\x03\x04\x05" + bytes(200))
    (tmp_path / "hwpml.hwp").write_text('<?xml version="1.0"?><HWPML Version="2.8"><BODY/></HWPML>')
    shutil.copy(FIXTURES / "hwplib_basic_표.hwp", tmp_path / "truncated.hwp")
    with (tmp_path / "truncated.hwp").open("r+b") as truncated:
        truncated.truncate(3000)
    documents, skipped = read(tmp_path)
    assert documents == {}
    assert skipped == {
        "password.hwp": "password-protected",
        "webpage.hwp": "not an HWP document (HTML or XML text; a web page saved as .hwp?)",
        "old.hwp": "HWP 3.x document (only HWP 5 and HWPX are read; save it again in a newer 한글)",
        "hwpml.hwp": "HWPML (XML) document, not HWP 5 (save it as .hwpx)",
        "truncated.hwp": "damaged HWP body (no BodyText sections) and no preview text",
    }


def test_hwpx_reads_sections_without_a_manifest_and_refuses_a_zip_bomb(tmp_path: Path) -> None:
    copy_fixture("hwpxlib_error_20240626_no_manifest.hwpx", tmp_path)
    copy_fixture("hwpxlib_reader_writer_HeaderFooter.hwpx", tmp_path)
    with zipfile.ZipFile(tmp_path / "bomb.hwpx", "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("Contents/section0.xml", b" " * (30 * 1024 * 1024))
    documents, skipped = read(tmp_path)
    notice = documents["hwpxlib_error_20240626_no_manifest.hwpx"]
    assert notice.text.startswith("입 법 예 고\n\n울산광역시 남구 공고 제2021-174호")
    assert "울산광역시 남구 구세 조례 일부개정조례안" in notice.text
    assert notice.title == "입 법 예 고"  # its content.hpf title is empty
    assert documents["hwpxlib_reader_writer_HeaderFooter.hwpx"].text.split() == ["꼬리말", "머리말", "테스트"]
    assert skipped["bomb.hwpx"].startswith("zip bomb? 30 MB unpacked from ")
    assert MAX_ZIP_RATIO * (tmp_path / "bomb.hwpx").stat().st_size < 30 * 1024 * 1024


def test_pdf_pages_title_and_unreadable_pdfs(tmp_path: Path) -> None:
    pages = ["1쪽 국제노동기구 협력", "2쪽 Second page on decent work", "3쪽 청년고용장려금 지급 기준"]
    write_pdf(tmp_path / "report.pdf", pages, title="2024 고용 동향 보고서")
    write_pdf(tmp_path / "word-export.pdf", ["본문 첫 줄"], title="Microsoft Word - 보고서.docx")
    write_pdf(tmp_path / "encrypted.pdf", ["비밀 내용"], encrypt="secret")
    write_pdf(tmp_path / "scan.pdf", [""])
    shutil.copy(tmp_path / "report.pdf", tmp_path / "truncated.pdf")
    with (tmp_path / "truncated.pdf").open("r+b") as truncated:
        truncated.truncate((tmp_path / "report.pdf").stat().st_size // 2)
    documents, skipped = read(tmp_path)
    report = documents["report.pdf"]
    assert report.title == "2024 고용 동향 보고서"
    assert report.text == "\n\n".join(pages)
    assert report.pages is not None and len(report.pages) == 3
    assert report.text[report.pages[2] :] == "3쪽 청년고용장려금 지급 기준"
    assert documents["word-export.pdf"].title == "본문 첫 줄"  # a file name is no title
    assert skipped == {
        "encrypted.pdf": "encrypted (needs a password)",
        "scan.pdf": "no text layer (scanned?)",
        "truncated.pdf": "damaged or truncated PDF",
    }


def test_a_pdf_font_without_a_tounicode_map_is_read_by_pdfminer(tmp_path: Path) -> None:
    sentence = "decent work for all workers and employers alike"
    write_pdf_without_tounicode(tmp_path / "hancom.pdf", sentence)
    pdfium_text = pypdfium2.PdfDocument(tmp_path / "hancom.pdf")[0].get_textpage().get_text_range()
    assert "GHFHQW" in pdfium_text  # pdfium reads glyph ids as letters: "decent" shifted by three
    documents, skipped = read(tmp_path)
    assert skipped == {}
    assert documents["hancom.pdf"].text == sentence


def test_docx_header_text_box_footnote_and_title(tmp_path: Path) -> None:
    write_docx(
        tmp_path / "brief.docx",
        "본문: 고용률이 올랐다",
        header="머리글 고용노동부 보도자료",
        text_box="글상자 속 청년일자리",
        footnote="각주 속 통계청 자료",
        title="고용 브리핑",
    )
    document = read(tmp_path)[0]["brief.docx"]
    assert document.title == "고용 브리핑"
    assert document.text.split("\n\n") == [
        "머리글 고용노동부 보도자료",
        "본문: 고용률이 올랐다",
        "각주가 달린 문장",
        "글상자 속 청년일자리",
        "각주 속 통계청 자료",
    ]


def test_pptx_slides_tables_and_notes_xlsx_sheets(tmp_path: Path) -> None:
    write_pptx(tmp_path / "briefing.pptx")
    write_xlsx(tmp_path / "figures.xlsx")
    documents, skipped = read(tmp_path)
    assert skipped == {}
    slides = documents["briefing.pptx"]
    assert slides.title == "분기 고용 브리핑"
    assert slides.text == (
        "지역별 실업률\n지역\t실업률\n울산광역시\t3.2\n발표자 메모: 조선업 회복"
        "\n\nYouth employment\napprenticeship programmes"
    )
    assert slides.pages == [0, slides.text.index("Youth")]
    sheets = documents["figures.xlsx"]
    assert sheets.text == "요약\n지역\t취업자수\n세종특별자치시\t2024\n\nDetail\ncommuting survey\t1.5"
    assert sheets.pages == [0, sheets.text.index("Detail")]
    assert sheets.title == "요약"


def test_private_use_symbols_dropped_and_letter_spaced_labels_closed_up(tmp_path: Path) -> None:
    write_docx(
        tmp_path / "form.docx",
        "제    목: 채용 공고\ue0bc  성  명 홍길동 가 나",
        header="신  청  서",
        text_box="",
        footnote="",
        title="",
    )
    document = read(tmp_path)[0]["form.docx"]
    assert document.text.split("\n\n")[:2] == ["신청서", "제목: 채용 공고  성명 홍길동 가 나"]


def test_an_index_made_before_pages_gains_the_field(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    old = Schema(**{name: field for name, field in make_schema().items() if name != "pages"})
    whoosh_index.create_in(str(index_dir), old)
    folder = tmp_path / "docs"
    folder.mkdir()
    write_pdf(folder / "report.pdf", ["첫 쪽", "둘째 쪽"])
    summary = reindex([folder], index_dir, procs=2)
    assert summary.added == 1
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        assert searcher.document(id="report.pdf")["pages"] == [0, 5]


@pytest.fixture(scope="module")
def documents_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A real `dari reindex` of a folder holding every format, good and bad."""
    folder = tmp_path_factory.mktemp("documents")
    for name in (
        "hwplib_basic_표.hwp",
        "hwplib_basic_각주미주.hwp",
        "hwplib_distribution.hwp",
        "hwpxlib_reader_writer_HeaderFooter.hwpx",
        "hwpxlib_error_20240626_no_manifest.hwpx",
    ):
        copy_fixture(name, folder)
    write_pdf(folder / "report.pdf", ["1쪽 국제노동기구", "2쪽 decent work", "3쪽 청년고용장려금 지급 기준"])
    write_pdf(folder / "encrypted.pdf", ["비밀"], encrypt="secret")
    write_docx(
        folder / "brief.docx",
        "본문",
        header="머리글 고용노동부 보도자료",
        text_box="글상자",
        footnote="각주 속 통계청 자료",
        title="고용 브리핑",
    )
    write_pptx(folder / "briefing.pptx")
    write_xlsx(folder / "figures.xlsx")
    hwp_with_flags(FIXTURES / "hwplib_basic_표.hwp", folder / "password.hwp", set_bits=PASSWORD_BIT)
    index_dir = tmp_path_factory.mktemp("documents-index")
    result = run_dari("reindex", str(folder), "--index", str(index_dir))
    assert result.returncode == 0, result.stderr
    return index_dir, result.stdout + result.stderr


def search_ids(index_dir: Path, query: str) -> list[str]:
    result = run_dari("search", query, "--index", str(index_dir), "--json")
    assert result.returncode == 0, result.stderr
    return [hit["id"] for hit in json.loads(result.stdout)["hits"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("GHI", "hwplib_basic_표.hwp"),  # an HWP table cell
        ("sssd", "hwplib_basic_각주미주.hwp"),  # an HWP footnote
        ("머리말", "hwpxlib_reader_writer_HeaderFooter.hwpx"),  # an HWPX header
        ("청년고용장려금", "report.pdf"),  # page 3 of a PDF
    ],
)
def test_dari_search_finds_text_from_every_part(
    documents_index: tuple[Path, str], query: str, expected: str
) -> None:
    index_dir, _ = documents_index
    assert search_ids(index_dir, query)[:1] == [expected]


def test_the_engine_finds_the_other_formats_parts(documents_index: tuple[Path, str]) -> None:
    engine = SearchEngine(documents_index[0])
    for query, expected in [
        ("통계청", "brief.docx"),  # a DOCX footnote
        ("고용노동부 보도자료", "brief.docx"),  # a DOCX header
        ("시설관리원 용역업체", "hwplib_distribution.hwp"),  # a distribution document's body
        ("조선업", "briefing.pptx"),  # slide notes
        ("울산광역시 실업률", "briefing.pptx"),  # a slide's table
        ("세종특별자치시", "figures.xlsx"),  # a spreadsheet cell
    ]:
        assert [hit.id for hit in engine.search(query).hits][:1] == [expected], query


def test_dari_reindex_reports_the_unreadable_documents(documents_index: tuple[Path, str]) -> None:
    _, output = documents_index
    assert "9 added, 0 updated, 0 deleted, 0 unchanged, 2 skipped" in output
    assert "password.hwp: password-protected" in output
    assert "encrypted.pdf: encrypted (needs a password)" in output
    assert "Traceback" not in output


def test_a_pdf_hit_names_its_page_and_the_document_shows_page_breaks(
    documents_index: tuple[Path, str], tmp_path: Path
) -> None:
    """Bridge off: the English slides would join the Korean query's hits."""
    index_dir, _ = documents_index
    printed = run_dari("search", "청년고용장려금", "--index", str(index_dir), "--no-bridge")
    assert printed.returncode == 0, printed.stderr
    assert re.search(r"pdf \d{4}-\d\d-\d\d  p\. 3  score", printed.stdout)
    assert "report.pdf" in printed.stdout
    as_json = json.loads(
        run_dari("search", "청년고용장려금", "--index", str(index_dir), "--json", "--no-bridge").stdout
    )
    assert [(hit["id"], hit["page"]) for hit in as_json["hits"]] == [("report.pdf", 3)]
    assert (
        json.loads(run_dari("search", "통계청", "--index", str(index_dir), "--json").stdout)["hits"][0][
            "page"
        ]
        is None
    )  # a DOCX flows: no pages
    with serving(index_dir, tmp_path / "serve.log") as server:
        status, body = get(server, "/api/search?q=decent%20work&bridge=off")
        assert status == 200
        assert [(hit["id"], hit["page"]) for hit in json.loads(body)["hits"]] == [("report.pdf", 2)]
        status, body = get(
            server, "/search?q=%EC%B2%AD%EB%85%84%EA%B3%A0%EC%9A%A9%EC%9E%A5%EB%A0%A4%EA%B8%88"
        )
        assert status == 200 and '<span class="page">p. 3</span>' in body.decode()
        status, body = get(server, "/doc/report.pdf")
        page = body.decode()
        assert status == 200
        breaks = '<span class="page-break" role="separator">p. {}</span>'
        assert page.index("1쪽 국제노동기구") < page.index(breaks.format(2)) < page.index("2쪽 decent work")
        assert page.index("2쪽 decent work") < page.index(breaks.format(3)) < page.index("3쪽 청년고용장려금")
