"""Server-rendered pages through Flask's test client: markup, escaping, links, headers."""

from __future__ import annotations

import html
import re
import urllib.parse

import pytest
from conftest import KOREAN_SEED, ODD_ID
from markupsafe import escape

from web import allowed_hosts, create_app


def page(client, path: str, status: int = 200, **params) -> str:
    resp = client.get(path, query_string=params)
    assert resp.status_code == status
    assert resp.mimetype == "text/html"
    return resp.get_data(as_text=True)


def hrefs(body: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', body)]


def test_home_has_an_autofocused_search_box_and_no_script(client):
    resp = client.get("/")
    body = resp.get_data(as_text=True)
    assert re.search(r'<input type="search" name="q" value=""[^>]*autofocus', body)
    assert "<script" not in body
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_korean_results_keep_the_query_and_mark_matches(client):
    body = page(client, "/search", q="국제노동기구", bridge="off")
    assert 'value="국제노동기구"' in body
    assert "결과 <strong>1</strong>건" in body and "1 result ·" in body
    assert re.search(r'class="snippet" lang="ko">[^<]*(<mark>[^<]+</mark>[^<]*)+', body)
    doc_link = "/doc/" + KOREAN_SEED + "?q=" + urllib.parse.quote("국제노동기구")
    assert doc_link in hrefs(body)
    # With the bridge (the default) the English reports come too, and the page says why.
    bridged = page(client, "/search", q="국제노동기구")
    assert "also searched:" in bridged and "labour" in bridged and "1 result ·" not in bridged


def test_language_tabs_keep_the_query(client):
    body = page(client, "/search", q="ILO", lang="en")
    assert '<a href="/search?q=ILO&amp;lang=ko">한국어</a>' in body
    assert '<a href="/search?q=ILO&amp;lang=en" aria-current="page">English</a>' in body
    assert '<input type="hidden" name="lang" value="en">' in body
    assert body.count('class="hit"') == 4
    assert "lang-ko" not in body and "lang-mixed" not in body


def test_pagination_links(client):
    first = page(client, "/search", q="ILO", per_page=2)
    assert 'rel="next" href="/search?q=ILO&amp;page=2&amp;per_page=2"' in first
    assert 'rel="prev"' not in first
    assert '<span aria-current="page">1</span>' in first
    last = page(client, "/search", q="ILO", per_page=2, page=3)
    assert 'rel="prev" href="/search?q=ILO&amp;page=2&amp;per_page=2"' in last
    assert 'rel="next"' not in last
    assert '<ol class="hits" start="5">' in last


def test_no_results_state_with_suggestion(client):
    body = page(client, "/search", q="labr polcy", fuzzy="off")
    assert "결과가 없습니다" in body and "No results for “labr polcy”" in body
    assert "Did you mean" in body
    assert "/search?q=labor+policy&fuzzy=off" in hrefs(body)


def test_bad_arguments_render_an_error_page_in_korean_and_english(client):
    body = page(client, "/search", 400, q="ILO", page="0")
    assert 'role="alert"' in body
    assert "page 값은 1~100이어야 합니다" in body and "page must be between 1 and 100" in body
    body = page(client, "/search", 400, q="x" * 1001)
    assert "검색어가 1000자보다 깁니다" in body and "longer than 1000" in body
    body = page(client, "/search", 400, q="ILO", modified_after="yesterday")
    assert "좁혀 보기(필터) 값을 읽을 수 없습니다" in body and "modified_after must be a date" in body


@pytest.mark.parametrize("query", ['"AND (', "title:", "((("])
def test_broken_syntax_page_is_not_a_server_error(client, query):
    assert client.get("/search", query_string={"q": query}).status_code in (200, 400)


XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_query_is_escaped_everywhere(client):
    body = page(client, "/search", q=XSS)
    assert "<script>" not in body and "<img src=x" not in body
    shown = str(escape(XSS))  # as text
    assert f"<title>{shown} – " in body and f'value="{shown}"' in body
    nothing = page(client, "/search", q=XSS + " zzqx", lang="ko")
    assert f"“{escape(XSS + ' zzqx')}”에 대한 결과가 없습니다" in nothing


def test_document_text_is_escaped_in_snippets_and_document_page(odd_client):
    results = page(odd_client, "/search", q="alert meeting")
    assert "<script>" not in results and "<img src=x" not in results
    assert "&lt;script&gt;" in results
    doc = page(odd_client, "/doc/" + urllib.parse.quote(ODD_ID), q="alert")
    assert "<script>" not in doc and "<img src" not in doc
    assert '<mark id="m1">alert</mark>' in doc


def test_document_page_marks_every_match_and_keeps_the_text(client, web_app):
    body = page(client, "/doc/" + KOREAN_SEED, q="노동")
    marked = re.search(r'<div class="doctext">(.*?)</div>', body, re.S).group(1)
    full_text = web_app.extensions["dari.engine"].get_document(KOREAN_SEED)["body"]
    assert html.unescape(re.sub(r'<mark id="m\d+">|</mark>', "", marked)) == full_text
    count = marked.count("<mark ")
    assert count >= full_text.count("노동부") + full_text.count("노동기구")
    # Each match is an anchor, numbered in order, and the page links to each (no script needed).
    assert re.findall(r'<mark id="m(\d+)">', marked) == [str(n) for n in range(1, count + 1)]
    assert f"{count} matches" in body and {f"#m{n}" for n in range(1, min(count, 50) + 1)} <= set(hrefs(body))
    assert "/search?q=%EB%85%B8%EB%8F%99" in hrefs(body)  # back to the results


def test_document_page_without_query_has_no_marks(client):
    body = page(client, "/doc/" + KOREAN_SEED)
    assert "<mark>" not in body and "사람중심" in body


def test_unknown_document_is_a_404_page(client):
    body = page(client, "/doc/missing/../../etc/passwd", 404)
    assert "문서를 찾을 수 없습니다" in body and "No such document" in body


def test_unknown_page_is_a_404_page_in_korean_and_english(client):
    body = page(client, "/nope", 404)
    assert "페이지를 찾을 수 없습니다" in body and "404 Page not found" in body
    assert "The requested URL was not found" in body  # werkzeug's description, as it says more


def test_a_wrong_method_is_a_405_page_and_api_error(client):
    resp = client.post("/search")
    assert resp.status_code == 405 and resp.mimetype == "text/html"
    assert "이 요청 방식을 받지 않습니다" in resp.get_data(as_text=True)
    api = client.delete("/api/search")
    assert api.status_code == 405
    assert api.get_json() == {
        "error": {"code": "method_not_allowed", "message": "The method is not allowed for the requested URL."}
    }


def test_an_unhandled_error_is_a_500_page_in_both_languages_that_tells_nothing_inside(seeds_index):
    """A view that fails (added to a real app) is a 500 page, or the API's error JSON, that does
    not show the exception."""
    app = create_app(seeds_index)

    def failing() -> str:
        raise RuntimeError("secret /home/user/path")

    app.add_url_rule("/fails", view_func=failing)
    app.add_url_rule("/api/fails", view_func=failing)
    client = app.test_client()
    resp = client.get("/fails")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500 and resp.mimetype == "text/html"
    assert "서버에 문제가 생겼습니다" in body and "500 Something went wrong on the server" in body
    assert "secret" not in body and "RuntimeError" not in body
    api = client.get("/api/fails")
    assert api.status_code == 500
    assert api.get_json()["error"]["code"] == "internal_server_error"
    assert set(api.get_json()) == {"error"} and set(api.get_json()["error"]) == {"code", "message"}
    assert "secret" not in api.get_data(as_text=True)


def test_stylesheet_has_a_hangul_font_stack(client):
    css = client.get("/static/style.css").get_data(as_text=True)
    assert '"Noto Sans KR"' in css and '"Apple SD Gothic Neo"' in css and '"Malgun Gothic"' in css


def test_which_host_names_a_server_answers():
    assert allowed_hosts("127.0.0.1") == {"127.0.0.1", "localhost", "::1"}
    assert allowed_hosts("::1", ["Dari.Test:8080", "[fe80::1]"]) == {
        "127.0.0.1",
        "localhost",
        "::1",
        "dari.test",
        "fe80::1",
    }
    assert allowed_hosts("127.0.0.2") == {"127.0.0.1", "127.0.0.2", "localhost", "::1"}
    assert allowed_hosts("0.0.0.0") is None and allowed_hosts("192.0.2.7") is None  # any
    assert allowed_hosts("0.0.0.0", ["dari.lan"]) == {"dari.lan", "0.0.0.0"}


def test_a_page_for_another_host_is_refused_with_the_way_to_allow_it(seeds_index):
    local = create_app(seeds_index, allowed_hosts("127.0.0.1")).test_client()
    assert local.get("/search?q=ILO").status_code == 200  # the test client says Host: localhost
    resp = local.get("/search?q=ILO", headers={"Host": "evil.example:8080"})
    assert resp.status_code == 421 and resp.mimetype == "text/html"
    body = resp.get_data(as_text=True)
    assert "이 서버는 이 주소로 답하지 않습니다" in body and "421 Misdirected request" in body
    assert 'class="hit"' not in body
    refusal = "does not answer to the host &#39;evil.example:8080&#39;, only to 127.0.0.1, [::1], localhost"
    assert refusal in body
    assert "--allow-host NAME" in body
    public = create_app(seeds_index, allowed_hosts("0.0.0.0")).test_client()
    assert public.get("/search?q=ILO", headers={"Host": "search.example"}).status_code == 200


def test_a_refused_query_renders_its_error_page(client):
    """Five wildcards are a QueryError: the page says why (the error page lacked its link helper
    and was a 500)."""
    resp = client.get("/search", query_string={"q": "ILO* 노동* Kim* poli* dece*"})
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "검색어를 처리할 수 없습니다" in body and "wildcards; the limit is 4" in body
