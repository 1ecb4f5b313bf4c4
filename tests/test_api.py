"""JSON API through Flask's test client and through a real `dari serve` process."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime

import pytest
from conftest import KOREAN_SEED, ODD_ID

from indexer.index import reindex
from web import create_app

HIT_KEYS = {"id", "title", "lang", "score", "snippet", "url", "path", "type", "modified", "page"}
RESULT_KEYS = {
    "query",
    "total",
    "page",
    "per_page",
    "took_ms",
    "hits",
    "suggestion",
    "facets",
    "sort",
    "bridged",
    "corrected",
    "typed_in",
    "read_as",
}


def api_search(client, **params):
    resp = client.get("/api/search", query_string=params)
    assert resp.mimetype == "application/json"
    return resp


def test_korean_search_marks_the_matched_word(client):
    body = api_search(client, q="국제노동기구").get_json()
    assert set(body) == RESULT_KEYS
    assert body["query"] == "국제노동기구"
    assert body["hits"][0]["id"] == KOREAN_SEED
    hit = body["hits"][0]
    assert set(hit) == HIT_KEYS
    assert "<mark>" in hit["snippet"] and "노동" in hit["snippet"]
    assert hit["url"] == "/doc/" + KOREAN_SEED + "?q=" + urllib.parse.quote("국제노동기구")
    assert body["took_ms"] >= 0 and body["page"] == 1 and body["per_page"] == 10


def test_english_search_ranks_by_score(client):
    body = api_search(client, q="labor policy", bridge="off").get_json()
    scores = [hit["score"] for hit in body["hits"]]
    assert body["total"] >= 2
    assert scores == sorted(scores, reverse=True)
    assert all("<mark>" in hit["snippet"] for hit in body["hits"])


def test_language_filter_splits_the_results(client):
    every = api_search(client, q="ILO").get_json()
    korean = api_search(client, q="ILO", lang="ko").get_json()
    english = api_search(client, q="ILO", lang="en").get_json()
    assert {h["lang"] for h in korean["hits"]} <= {"ko", "mixed"}
    assert {h["lang"] for h in english["hits"]} == {"en"}
    assert KOREAN_SEED in {h["id"] for h in korean["hits"]}
    assert korean["total"] + english["total"] == every["total"] == 5
    assert api_search(client, q="ILO", lang="all").get_json()["total"] == every["total"]


def test_pages_do_not_overlap(client):
    pages = [api_search(client, q="ILO", per_page=2, page=n).get_json() for n in (1, 2, 3, 4)]
    ids = [[h["id"] for h in p["hits"]] for p in pages]
    assert [len(i) for i in ids] == [2, 2, 1, 0]
    assert len({i for page in ids for i in page}) == 5
    assert {p["total"] for p in pages} == {5}
    assert pages[1]["page"] == 2 and pages[1]["per_page"] == 2


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "empty_query"),
        ({"q": ""}, "empty_query"),
        ({"q": "   "}, "empty_query"),
        ({"q": "가" * 1001}, "query_too_long"),
        ({"q": "ILO", "page": "0"}, "bad_page"),
        ({"q": "ILO", "page": "-1"}, "bad_page"),
        ({"q": "ILO", "page": "two"}, "bad_page"),
        ({"q": "ILO", "per_page": "0"}, "bad_per_page"),
        ({"q": "ILO", "per_page": "101"}, "bad_per_page"),
        ({"q": "ILO", "lang": "french"}, "bad_filter"),
        ({"q": "ILO", "sort": "best"}, "bad_sort"),
        ({"q": "ILO", "limit": "5"}, "unknown_parameter"),
    ],
)
def test_bad_parameters_are_400_with_a_json_error(client, params, code):
    resp = api_search(client, **params)
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_limits_are_inclusive(client):
    assert api_search(client, q="가" * 1000).status_code == 200
    assert api_search(client, q="ILO", per_page=100).status_code == 200
    assert api_search(client, q="ILO", per_page=1).get_json()["per_page"] == 1


@pytest.mark.parametrize(
    "query",
    ['"AND (', "(((", ")", "AND", "OR NOT", "title:", "lang:", '"', "*", "?", "a:b:c", "[1 TO"],
)
def test_broken_syntax_is_never_a_server_error(client, query):
    resp = api_search(client, q=query)
    assert resp.status_code in (200, 400)
    body = resp.get_json()
    assert "hits" in body if resp.status_code == 200 else body["error"]["code"]


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        ("labr polcy", "labor policy"),  # spelt as the documents write it, not as the stem
        ("artifical inteligence 협력", "artificial intelligence 협력"),  # odd stem: artif
        ("Genva", "Geneva"),
        ("ILO AND Partnershp", "ILO AND Partnership"),  # operators and known words untouched
        ("labor policy", None),
        ("노동 협력", None),
        ("lang:ko", None),  # field names and values are not words to correct
        ("xqzvw", None),  # nothing near enough
    ],
)
def test_did_you_mean(client, query, suggestion):
    assert api_search(client, q=query).get_json()["suggestion"] == suggestion


def test_document_has_metadata_and_full_text(client, seeds_index):
    resp = client.get(f"/api/docs/{KOREAN_SEED}")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["id"] == KOREAN_SEED
    assert doc["lang"] in ("ko", "mixed")
    assert "사람중심 인공지능" in doc["title"] + doc["text"]
    assert "고용노동부 장관은 5월 21일" in doc["text"]


def test_document_id_with_slash_space_and_hangul(odd_client):
    resp = odd_client.get("/api/docs/" + urllib.parse.quote(ODD_ID))
    assert resp.status_code == 200
    assert resp.get_json()["id"] == ODD_ID


@pytest.mark.parametrize(
    "path",
    [
        "/api/docs/no-such-doc.txt",
        "/api/docs/../pyproject.toml",
        "/api/docs/%2e%2e/%2e%2e/etc/passwd",
        "/api/docs//etc/passwd",
        "/api/docs/" + KOREAN_SEED.upper(),
    ],
)
def test_unknown_document_is_404_json(client, path):
    resp = client.get(path)
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"


def test_unknown_api_path_is_json_too(client):
    resp = client.get("/api/nope")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"
    assert client.delete("/api/search?q=ILO").get_json()["error"]["code"] == "method_not_allowed"
    assert client.post("/api/search?q=ILO").get_json()["error"]["code"] == "bad_body"  # no JSON body


def test_unexpected_failure_is_a_json_500_under_api(seeds_index):
    app = create_app(seeds_index)
    app.add_url_rule("/api/boom", "api_boom", lambda: 1 / 0)
    app.add_url_rule("/boom", "page_boom", lambda: 1 / 0)
    client = app.test_client()
    resp = client.get("/api/boom")
    assert resp.status_code == 500
    assert resp.get_json()["error"]["code"] == "internal_server_error"
    page = client.get("/boom")
    assert page.status_code == 500 and page.mimetype == "text/html"


def test_health_reports_the_index(client):
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok"
    assert body["documents"] == 5
    assert datetime.fromisoformat(body["last_commit"]).year >= 2024


def test_openapi_documents_every_api_route(client, web_app):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    routes = {
        rule.rule.replace("<path:doc_id>", "{id}")
        for rule in web_app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
    }
    assert routes == set(spec["paths"])


def test_new_commit_is_served_without_a_restart(tmp_path, tmp_index):
    """A reindex while the app is running shows up on the next request (searcher refresh)."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "a.txt").write_text("서울 고용센터 개소\n", encoding="utf-8")
    (second / "b.txt").write_text("Busan harbour opens a training centre\n", encoding="utf-8")
    reindex([first], tmp_index)
    client = create_app(tmp_index).test_client()
    assert api_search(client, q="harbour").get_json()["total"] == 0
    reindex([second], tmp_index)
    assert api_search(client, q="harbour").get_json()["hits"][0]["id"] == "b.txt"
    assert client.get("/api/health").get_json()["documents"] == 2


# ---- the same API through a real `dari serve` process ----


def fetch(url: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status, dict(resp.headers), json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.load(exc)


def test_serve_indexes_the_seeds_into_an_empty_index(live_server):
    status, headers, body = fetch(live_server + "/api/health")
    assert status == 200 and body["documents"] == 5
    assert headers["Content-Type"].startswith("application/json")


def test_serve_answers_a_korean_search(live_server):
    q = urllib.parse.quote("노동")
    status, headers, body = fetch(f"{live_server}/api/search?q={q}&lang=ko")
    assert status == 200
    assert body["hits"][0]["id"] == KOREAN_SEED
    assert "<mark>" in body["hits"][0]["snippet"]
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'none' covers it
    assert "default-src 'none'" in headers["Content-Security-Policy"]


def test_serve_answers_errors_as_json(live_server):
    status, _, body = fetch(f"{live_server}/api/search?q=ILO&per_page=500")
    assert status == 400 and body["error"]["code"] == "bad_per_page"
    status, _, body = fetch(f"{live_server}/api/docs/nope/../../etc/passwd")
    assert status == 404 and body["error"]["code"] == "not_found"
