"""Chunks of one source (the same title in the same folder) folded under the first on the results
page, while the API and the count keep every document."""

from __future__ import annotations

import json
import re

import pytest

from indexer.index import reindex
from web import create_app

TITLE = "Labour cooperation report"


@pytest.fixture(scope="module")
def chunks_client(tmp_path_factory: pytest.TempPathFactory):
    """Three parts of one report, a same-titled file in another folder, two records of one .jsonl
    with one title and one titled by its text."""
    root = tmp_path_factory.mktemp("chunks")
    (root / "report").mkdir()
    (root / "other").mkdir()
    for part in range(3):
        words = "cooperation " * (3 - part)  # the parts rank in order
        (root / "report" / f"part{part}.txt").write_text(f"{TITLE}\n{words}part {part}", encoding="utf-8")
    (root / "other" / "copy.txt").write_text(f"{TITLE}\ncooperation elsewhere", encoding="utf-8")
    lines = [
        {"id": "log-1", "title": "Meeting log", "text": "cooperation minutes one"},
        {"id": "log-2", "title": "Meeting log", "text": "cooperation minutes two"},
        {"id": "log-3", "text": "cooperation minutes of another day"},
    ]
    (root / "log.jsonl").write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("chunks-index")
    reindex([root], index_dir)
    return create_app(index_dir).test_client()


def entries(body: str) -> list[tuple[str, list[str]]]:
    """Each top-level hit's path and the paths folded under it, in page order."""
    found = []
    hits = re.findall(r'<li class="hit">(.*?)(?=\n    <li class="hit">|\n  </ol>)', body, re.S)
    for hit in hits:
        paths = re.findall(r'<span class="docid">([^<]*)</span>', hit)
        found.append((paths[0], paths[1:]))
    return found


def test_chunks_of_one_source_fold_under_the_first(chunks_client) -> None:
    resp = chunks_client.get("/search", query_string={"q": "cooperation"})
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    shown = entries(body)
    assert ("report/part0.txt", ["report/part1.txt", "report/part2.txt"]) in shown
    assert ("other/copy.txt", []) in shown  # the same title in another folder is another source
    assert ("log.jsonl", ["log.jsonl"]) in shown  # the two "Meeting log" records …
    assert ("log.jsonl", []) in shown  # … and the record titled by its own first line
    assert len(shown) == 4
    assert body.count("<details") == 2
    assert "이 문서에서 2건 더 · 2 more from this document</summary>" in body
    assert "이 문서에서 1건 더 · 1 more from this document</summary>" in body
    assert "<strong>7</strong>건" in body  # the count is of documents, folded or not


def test_folding_is_of_the_page_and_the_api_keeps_every_hit(chunks_client) -> None:
    api = chunks_client.get("/api/search", query_string={"q": "cooperation"}).get_json()
    assert api["total"] == len(api["hits"]) == 7
    paged = chunks_client.get("/search", query_string={"q": "cooperation", "per_page": 2})
    body = paged.get_data(as_text=True)
    assert entries(body) == [("report/part0.txt", ["report/part1.txt"])]  # part2 is on page two
    assert "1–2 / <strong>7</strong>건" in body
