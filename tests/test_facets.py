"""Facets, filters and sorting (by language, file type, folder, modification date), through the
engine, `dari search` and the API, on a folder of several types, folders and years, and again after
an incremental reindex has edited, deleted and added files (several segments, deleted documents)."""

from __future__ import annotations

import html
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.facets import FilterError, parse_filters
from indexer.index import reindex
from indexer.search import QueryError, SearchEngine
from web import create_app

FILES = {  # path: (text, year modified)
    "reports/2019-en.txt": ("Labour policy report on decent work.", 2019),
    "reports/2021-ko.txt": ("노동 정책 보고서: 양질의 일자리와 labour policy.", 2021),
    "reports/2023-mixed.md": ("# ILO labour policy\n\nILO와 labour policy 협력 강화 방안을 논의했다.", 2023),
    "news/2022-en.html": ("<title>Labour news</title><p>New labour policy announced.</p>", 2022),
    "news/2024-ko.txt": ("노동 정책 뉴스와 labour policy 소식.", 2024),
    "top-2020.txt": ("A labour policy note at the top of the folder.", 2020),
}


def write(folder: Path, files: dict[str, tuple[str, int]]) -> None:
    for name, (text, year) in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        moment = datetime(year, 6, 1, tzinfo=UTC).timestamp()
        os.utime(path, (moment, moment))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("facets")
    write(root / "docs", FILES)
    reindex([root / "docs"], root / "index")
    return root / "docs", root / "index"


@pytest.fixture(scope="module")
def engine(folder: tuple[Path, Path]) -> SearchEngine:
    return SearchEngine(folder[1])


def paths(results) -> list[str]:
    return [hit.path for hit in results.hits]


def test_facets_count_every_match_not_the_page(engine: SearchEngine) -> None:
    results = engine.search("labour policy", per_page=1)
    assert results.total == 6 and len(results.hits) == 1
    assert results.facets["type"] == {"txt": 4, "md": 1, "html": 1}
    assert results.facets["folder"] == {"reports": 3, "news": 2, ".": 1}
    assert results.facets["year"] == {str(year): 1 for year in range(2019, 2025)}
    # A mixed document is Korean and English too, as the language filter says.
    assert results.facets["lang"] == {"en": 4, "ko": 3, "mixed": 1}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (dict(types=["md,html"]), {"reports/2023-mixed.md", "news/2022-en.html"}),
        (dict(path="reports"), {"reports/2019-en.txt", "reports/2021-ko.txt", "reports/2023-mixed.md"}),
        (dict(path="news/"), {"news/2022-en.html", "news/2024-ko.txt"}),
        (dict(lang="mixed"), {"reports/2023-mixed.md"}),
        (dict(lang="ko"), {"reports/2021-ko.txt", "reports/2023-mixed.md", "news/2024-ko.txt"}),
        (
            dict(modified_after="2022-01-01", modified_before="2024-01-01"),
            {"news/2022-en.html", "reports/2023-mixed.md"},
        ),
        (dict(types=["txt"], path="reports", lang="en"), {"reports/2019-en.txt"}),
    ],
)
def test_filters_combine(engine: SearchEngine, filters: dict, expected: set[str]) -> None:
    results = engine.search("labour policy", filters=parse_filters(**filters))
    assert set(paths(results)) == expected and results.total == len(expected)
    assert sum(results.facets["type"].values()) == len(expected)  # facets follow the filters


def test_sort_by_date_over_every_match_and_across_pages(engine: SearchEngine) -> None:
    newest = engine.search("labour policy", sort="newest", per_page=4)
    second = engine.search("labour policy", sort="newest", per_page=4, page=2)
    oldest = engine.search("labour policy", sort="oldest", per_page=6)
    years = [FILES[path][1] for path in paths(newest) + paths(second)]
    assert years == [2024, 2023, 2022, 2021, 2020, 2019]
    assert paths(oldest) == list(reversed(paths(newest) + paths(second)))
    assert [hit.modified[:4] for hit in oldest.hits] == [str(year) for year in range(2019, 2025)]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (dict(lang="korean"), "Unknown language 'korean'"),
        (dict(modified_after="2024-13-01"), "modified_after must be a date as YYYY-MM-DD"),
    ],
)
def test_bad_filter_values_say_why(filters: dict, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filters(**filters)


def test_an_unknown_sort_is_a_query_error(engine: SearchEngine) -> None:
    with pytest.raises(QueryError, match="sort must be relevance, newest or oldest"):
        engine.search("labour", sort="best")


def test_facets_after_edits_deletions_and_additions(tmp_path: Path) -> None:
    write(tmp_path / "docs", FILES)
    reindex([tmp_path / "docs"], tmp_path / "index")
    engine = SearchEngine(tmp_path / "index")
    assert engine.search("labour policy").facets["folder"]["news"] == 2
    (tmp_path / "docs" / "news" / "2022-en.html").unlink()
    write(tmp_path / "docs", {"news/2024-ko.txt": ("노동 정책 소식 labour policy 개정.", 2025)})
    write(tmp_path / "docs", {"archive/1999.txt": ("An old labour policy paper.", 1999)})
    reindex([tmp_path / "docs"], tmp_path / "index")
    searcher = engine._current()
    assert searcher.subsearchers and searcher.reader().doc_count_all() > searcher.doc_count()
    results = engine.search("labour policy")
    assert results.facets["folder"] == {"reports": 3, "news": 1, "archive": 1, ".": 1}
    assert results.facets["year"] == {"1999": 1, "2019": 1, "2020": 1, "2021": 1, "2023": 1, "2025": 1}
    assert results.facets["type"] == {"txt": 5, "md": 1}
    newest = engine.search("labour policy", sort="newest", per_page=1)
    assert paths(newest) == ["news/2024-ko.txt"]


def test_the_cli_takes_the_same_filters_and_prints_the_apis_shape(folder: tuple[Path, Path]) -> None:
    _, index = folder
    args = ["search", "labour policy", "--index", str(index), "--type", "txt", "--path", "reports"]
    result = CliRunner().invoke(main, [*args, "--sort", "oldest", "--json"])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    assert [hit["path"] for hit in cli["hits"]] == ["reports/2019-en.txt", "reports/2021-ko.txt"]
    app = create_app(index).test_client()
    api = app.get(
        "/api/search", query_string={"q": "labour policy", "type": "txt", "path": "reports", "sort": "oldest"}
    ).get_json()
    for hit in api["hits"]:
        del hit["url"]  # a link into the server, which a terminal has not got
    assert cli == {**api, "took_ms": cli["took_ms"]}
    readable = CliRunner().invoke(main, [*args, "--sort", "oldest", "--page", "2", "--limit", "1"])
    assert readable.output.startswith("2–2 of 2 results")
    assert "2021-ko.txt" in readable.output and "2019-en.txt" not in readable.output


def test_the_api_filters_sorts_and_refuses_unknown_parameters(folder: tuple[Path, Path]) -> None:
    app = create_app(folder[1]).test_client()
    found = app.get("/api/search?q=labour+policy&lang=mixed&from=0&size=5").get_json()
    assert (
        found["total"] == 1
        and found["per_page"] == 5
        and found["facets"]["lang"] == {"mixed": 1, "ko": 1, "en": 1}
    )
    posted = app.post(
        "/api/search", json={"q": "labour policy", "type": "md,html", "sort": "newest"}
    ).get_json()
    assert [hit["path"] for hit in posted["hits"]] == ["reports/2023-mixed.md", "news/2022-en.html"]
    assert posted["hits"][0]["type"] == "md" and posted["hits"][0]["modified"].startswith("2023-06-01")
    refused = app.get("/api/search?q=labour&limit=5&offset=10")
    assert refused.status_code == 400
    message = refused.get_json()["error"]["message"]
    assert "limit" in message and "offset" in message and "per_page" in message
    bad_date = app.get("/api/search?q=labour&modified_after=yesterday")
    assert bad_date.status_code == 400 and "YYYY-MM-DD" in bad_date.get_json()["error"]["message"]


def test_the_page_shows_the_range_sort_links_and_facet_chips_that_filter(folder: tuple[Path, Path]) -> None:
    client = create_app(folder[1]).test_client()
    page = client.get("/search?q=labour+policy&per_page=2&page=2&bridge=off").get_data(as_text=True)
    assert "결과 3–4 / <strong>6</strong>건" in page and "3–4 of 6 results" in page
    chips = dict(re.findall(r'<a class="chip" href="([^"]+)"[^>]*>([^<]+?) <span class="count">', page))
    by_label = {label.strip(): href for href, label in chips.items()}
    assert set(by_label) >= {"txt", "md", "html", "reports", "news", ".", "2019", "2024"}
    narrowed = client.get(html.unescape(by_label["news"])).get_data(as_text=True)
    assert "<strong>2</strong>건" in narrowed and 'aria-current="true">news' in narrowed
    year = client.get(html.unescape(by_label["2023"])).get_data(as_text=True)
    assert "<strong>1</strong>건" in year and "2023-mixed.md" in year
    newest = re.search(r'<a href="([^"]+)">최신 · Newest</a>', page).group(1)
    assert "sort=newest" in newest and "&amp;page=" not in newest  # a new order starts at page one
    first = client.get(html.unescape(newest)).get_data(as_text=True)
    assert first.index("2024-ko.txt") < first.index("2023-mixed.md")


def test_the_home_page_says_how_many_documents_are_indexed(folder: tuple[Path, Path]) -> None:
    page = create_app(folder[1]).test_client().get("/").get_data(as_text=True)
    assert "6 documents indexed, last updated" in page


def test_cors_is_off_unless_an_origin_is_allowed(folder: tuple[Path, Path]) -> None:
    origin = {"Origin": "https://app.example"}
    closed = create_app(folder[1]).test_client().get("/api/search?q=labour", headers=origin)
    assert "Access-Control-Allow-Origin" not in closed.headers
    client = create_app(folder[1], cors=["https://app.example"]).test_client()
    opened = client.get("/api/search?q=labour", headers=origin)
    assert opened.headers["Access-Control-Allow-Origin"] == "https://app.example"
    preflight = client.options("/api/search", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200 and "POST" in preflight.headers["Access-Control-Allow-Methods"]
    other = client.get("/api/search?q=labour", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Origin" not in client.get("/?q=labour", headers=origin).headers


@pytest.mark.parametrize(
    ("query", "filters"),
    [("labour policy", dict(types=["pdf"])), ("labour policy", dict(path="nowhere"))],
)
def test_a_filter_that_leaves_nothing_finds_nothing(engine: SearchEngine, query: str, filters: dict) -> None:
    """Whoosh reads an empty allow set as no filter at all: every match came back."""
    results = engine.search(query, filters=parse_filters(**filters), bridge=False)
    assert (results.total, results.hits) == (0, [])
