"""Hanja words indexed by their Hangul reading too (indexer/hanja.py): real Kiwi, a real index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faultkit import run_dari
from whoosh import index as whoosh_index

from indexer.analysis import BilingualTokenizer, CompoundPartsFilter, ContentFilter, PositionFilter
from indexer.hanja import hangul_reading
from indexer.schema import make_schema


@pytest.mark.parametrize(
    ("hanja", "hangul"),
    [
        ("勞動", "노동"),  # 두음법칙: 勞 alone reads 로
        ("勤勞", "근로"),  # not at the start: 로 stays
        ("女子", "여자"),
        ("歷史", "역사"),
        ("來日", "내일"),
        ("規律", "규율"),  # 률 after a vowel
        ("法律", "법률"),
        ("權利", "권리"),
        ("A勞", None),  # not all Hanja
    ],
)
def test_hangul_reading(hanja: str, hangul: str | None) -> None:
    assert hangul_reading(hanja) == hangul


@pytest.fixture(scope="module")
def hanja_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hanja-docs")
    (folder / "constitution.txt").write_text(
        "憲法 第32條\n모든 國民은 勤勞의 權利를 가진다. 勞動者의 團結權은 保障된다.\n國際勞動機構 加入",
        encoding="utf-8",
    )
    (folder / "plain.txt").write_text("근로 시간과 임금에 관한 안내", encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("hanja-index")
    result = run_dari("reindex", str(folder), "--index", str(index_dir))
    assert result.returncode == 0, result.stderr
    return index_dir


def search(index_dir: Path, query: str) -> list[dict]:
    result = run_dari("search", query, "--index", str(index_dir), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["hits"]


@pytest.mark.parametrize("query", ["노동자", "노동", "勞動者", "단결권", "국제노동기구", "헌법"])
def test_a_hangul_or_hanja_query_finds_the_hanja_document(hanja_index: Path, query: str) -> None:
    assert [hit["id"] for hit in search(hanja_index, query)] == ["constitution.txt"]


def test_the_reading_marks_the_hanja_and_the_text_is_unchanged(hanja_index: Path) -> None:
    [hit] = search(hanja_index, "노동자")
    assert "<mark>勞動者</mark>의" in hit["snippet"]
    with whoosh_index.open_dir(str(hanja_index)).searcher() as searcher:
        body = searcher.document(id="constitution.txt")["body"]
    assert "勞動者의 團結權은" in body and "노동" not in body


def test_a_word_in_both_scripts_finds_both_documents(hanja_index: Path) -> None:
    assert sorted(hit["id"] for hit in search(hanja_index, "근로")) == ["constitution.txt", "plain.txt"]


def test_a_full_reindex_brings_an_older_analyzer_up_to_date(tmp_path: Path) -> None:
    """An index whose pickled analyzer predates the readings works as it is, and `--full` gives it
    today's analysis."""
    folder, index_dir = tmp_path / "docs", tmp_path / "index"
    folder.mkdir()
    (folder / "law.txt").write_text("勞動者의 權利", encoding="utf-8")
    older = make_schema()
    for name in ("title", "body"):
        older[name].analyzer = (
            BilingualTokenizer() | CompoundPartsFilter() | ContentFilter() | PositionFilter()
        )
    index_dir.mkdir()
    whoosh_index.create_in(str(index_dir), older)
    assert run_dari("reindex", str(folder), "--index", str(index_dir)).returncode == 0
    assert search(index_dir, "노동자") == []
    assert [hit["id"] for hit in search(index_dir, "勞動者")] == ["law.txt"]
    assert run_dari("reindex", "--full", str(folder), "--index", str(index_dir)).returncode == 0
    assert [hit["id"] for hit in search(index_dir, "노동자")] == ["law.txt"]
