"""A real `dari serve` under hostile input: XSS in queries and documents, bidi controls in names,
`../` ids, oversized requests, clients that vanish mid-response, never finish their request or
just hold connections, Host headers of other sites (DNS rebinding), and fuzzing of the API, by
Hypothesis and by schemathesis from the server's own OpenAPI description."""

from __future__ import annotations

import contextlib
import html
import http.client
import json
import re
import socket
import struct
import time
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
import schemathesis
from faultkit import QUERY, Server, get, serving
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from indexer.index import reindex
from indexer.serving import IDLE_SECONDS

XSS = [
    '<script>alert("q")</script>',
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(2)>",
    "</mark><script>alert(3)</script><mark>",
    "javascript:alert(4)",
    "{{7*7}} ${7*7} <%= 7*7 %>",
]
HOSTILE_NAME = '"><img src=x onerror=alert(5)>.txt'  # a real file name, so a document id
BIG_WORDS = 200_000  # a 1.3 MB document: responses big enough to be cut off mid-way
# Shown as "invoicetxt.jpg" and "Payment invoice overdue" if the bidi controls act.
BIDI_NAME = "invoice\u202egpj.txt"
BIDI_TITLE = "Payment \u202eeciovni\u202c overdue"
BIDI_TEXT = f"{BIDI_TITLE}\n\nThe \u2066overdue\u2069 bill, zero\u200bwidth, 👩\u200d💻 coder.\n"
ALLOWED_NAME = "dari.test"  # given to the server as --allow-host


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    docs = tmp_path_factory.mktemp("hostile-docs")
    (docs / HOSTILE_NAME).write_text(
        f"{XSS[1]} hostile title\n\n" + "\n".join(f"hostile {payload} 협력" for payload in XSS),
        encoding="utf-8",
    )
    (docs / "ids.jsonl").write_text(
        json.dumps({"id": "<script>alert('id')</script>", "text": "hostile id 노동"}) + "\n", encoding="utf-8"
    )
    (docs / "big.txt").write_text("bigword " + "decent work " * (BIG_WORDS // 2), encoding="utf-8")
    (docs / "plain.txt").write_text("ILO and Korea on decent work. 국제노동기구와 협력.", encoding="utf-8")
    (docs / BIDI_NAME).write_text(BIDI_TEXT, encoding="utf-8")
    index = tmp_path_factory.mktemp("hostile-index")
    reindex([docs], index)
    with serving(index, index.parent / "hostile-serve.log", "--allow-host", ALLOWED_NAME) as running:
        yield running


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_inert(page: str) -> None:
    """No script can run: no script-capable tag, no event handler, no javascript: link."""
    for tag, attrs in Tags(page).tags:
        assert tag not in {"script", "img", "svg", "iframe", "object", "embed", "base"}, (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, attrs)
            if name in {"href", "src", "action", "formaction"}:
                assert not (value or "").strip().lower().startswith("javascript:"), (tag, attrs)


def quoted(text: str) -> str:
    return urllib.parse.quote(text, safe="")


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_the_query_renders_as_text(server: Server, payload: str) -> None:
    for path in (f"/search?q={quoted(payload)}", f"/doc/plain.txt?q={quoted(payload)}"):
        status, body = get(server, path)
        assert status in (200, 400), path
        page = body.decode()
        assert_inert(page)
        if path.startswith("/search"):
            assert payload in html.unescape(page)  # shown, as text
    status, body = get(server, f"/api/search?q={quoted(payload)}")
    assert status in (200, 400) and json.loads(body)


def test_xss_in_documents_renders_as_text(server: Server) -> None:
    status, body = get(server, "/search?q=hostile")
    page = body.decode()
    assert status == 200
    assert_inert(page)
    assert html.unescape(page).count(XSS[1]) >= 2  # the hostile title and id, as text
    status, body = get(server, f"/doc/{quoted(HOSTILE_NAME)}?q=hostile")
    assert status == 200
    assert_inert(body.decode())
    assert all(payload in html.unescape(body.decode()) for payload in XSS)
    status, body = get(server, "/api/search?q=hostile&per_page=100")
    hits = json.loads(body)["hits"]
    assert {hit["id"] for hit in hits} == {HOSTILE_NAME, "<script>alert('id')</script>"}
    for hit in hits:  # the snippet is the API's only HTML: escaped, <mark> alone is markup
        assert "<" not in re.sub(r"</?mark>", "", hit["snippet"])


@pytest.mark.parametrize(
    "path",
    [
        "/api/docs/../../pyproject.toml",
        "/api/docs/..%2f..%2fpyproject.toml",
        "/api/docs/%2e%2e/%2e%2e/etc/passwd",
        "/api/docs/" + "../" * 40 + "etc/passwd",
        "/api/docs/..\\..\\pyproject.toml",
        "/api/docs//etc/passwd",
        "/doc/../../pyproject.toml",
        "/doc/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/static/../../pyproject.toml",
        "/static/%2e%2e/%2e%2e/pyproject.toml",
        "/static/..%2f..%2findexer%2fsearch.py",
    ],
)
def test_dotdot_ids_are_404_and_read_nothing_outside(server: Server, path: str) -> None:
    status, body = get(server, path)
    assert status == 404
    assert b"root:x:0" not in body and b"[project]" not in body and b"import" not in body


def raw_request(server: Server, request: bytes) -> bytes:
    """Send raw bytes, return the status line (b"" when the server just closed the connection)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        with contextlib.suppress(OSError):  # refused mid-send: the server may have answered first
            connection.sendall(request)
        try:
            return connection.recv(4096).split(b"\r\n")[0]
        except OSError:
            return b""


@pytest.mark.parametrize(
    ("request_bytes", "refusals"),
    [
        (b"GET /api/search?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (b"", b"431")),
        (
            b"GET /api/search?q=ILO HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 100_000 + b"\r\n\r\n",
            (b"431",),
        ),
        (b"GET /api/search?q=" + b"%EA%B0%80" * 2000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", (b"400",)),
        (
            b"GET /api/search?q=ILO HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000000\r\n\r\n",
            (b"413",),
        ),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello\r\n\r\n", (b"400", b"")),
        (
            b"POST /api/search?q=ILO HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 20000000\r\n\r\n"
            + b"x" * 20_000_000,
            (b"413",),
        ),
    ],
    ids=[
        "1 MB URL",
        "100 KB header",
        "2000-character query",
        "5 GB body announced",
        "TLS",
        "20 MB body sent",
    ],
)
def test_oversized_requests_are_refused(
    server: Server, request_bytes: bytes, refusals: tuple[bytes, ...]
) -> None:
    """Refused with a status (or, for a 1 MB URL, a closed connection), quickly, and harmlessly."""
    started = time.monotonic()
    status_line = raw_request(server, request_bytes)
    assert (status_line.split(b" ")[1] if status_line else b"") in refusals, status_line
    assert time.monotonic() - started < 20
    assert get(server, "/api/health")[0] == 200


def test_server_survives_clients_that_vanish_or_stall(server: Server) -> None:
    status, body = get(server, "/api/docs/big.txt")
    assert status == 200 and len(body) > 1_000_000
    # More vanishing clients than waitress has worker threads (4): a stuck thread would show.
    for n in range(8):
        with socket.socket() as connection:
            # A small receive window, so the server is still writing when the client goes.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            connection.settimeout(30)
            connection.connect(("127.0.0.1", server.port))
            path = "/api/docs/big.txt" if n % 2 else "/doc/big.txt?q=bigword"
            connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            assert connection.recv(1024).startswith(b"HTTP/1.1 200")
            # Close with a reset, mid-response.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # Clients that send half a request and wait: they hold connections, not worker threads.
    stalled = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in range(30)]
    try:
        for connection in stalled:
            connection.sendall(b"GET /api/search?q=ILO HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for _ in range(8):
            started = time.monotonic()
            status, body = get(server, "/api/search?q=decent+work&bridge=off", timeout=10)
            assert status == 200 and json.loads(body)["total"] == 2
            assert time.monotonic() - started < 10
    finally:
        for connection in stalled:
            connection.close()
    assert server.process.poll() is None
    assert get(server, "/api/health")[0] == 200


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=QUERY,
    params=st.dictionaries(
        st.sampled_from(["lang", "page", "per_page"]),
        st.one_of(st.sampled_from(["ko", "en", "all", "1", "2", "100", "0", "-1", "x"]), st.text(max_size=8)),
    ),
)
def test_any_query_is_answered_never_a_server_error(
    server: Server, query: str, params: dict[str, str]
) -> None:
    """Through the API, the results page and the document page."""
    encoded = urllib.parse.urlencode({"q": query, **params}, errors="surrogatepass")
    status, body = get(server, f"/api/search?{encoded}")
    assert status in (200, 400), (status, body[:300])
    answer = json.loads(body)
    assert ("hits" in answer) if status == 200 else answer["error"]["message"]
    status, body = get(server, f"/search?{encoded}")
    assert status in (200, 400), (status, body[:300])
    assert_inert(body.decode())
    status, body = get(server, f"/doc/plain.txt?{encoded}")
    assert status == 200, (status, body[:300])


def test_api_keeps_its_openapi_promises(server: Server) -> None:
    """Requests generated from the served OpenAPI description, valid and invalid ones: never a
    5xx, and every response has a documented status, content type and shape.  (Invalid requests
    may be answered 200: an empty ``page=`` means the default, as HTML forms send it.)"""
    schema = schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")
    cases = st.one_of(schema.as_strategy(generation_mode=mode) for mode in GenerationMode)

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def check(case) -> None:
        case.call_and_validate(base_url=server.url, excluded_checks=[negative_data_rejection])

    check()


def test_a_hostile_document_keeps_its_id_through_the_api(server: Server) -> None:
    status, body = get(server, f"/api/docs/{quoted(HOSTILE_NAME)}")
    assert status == 200 and json.loads(body)["id"] == HOSTILE_NAME
    assert json.loads(get(server, "/api/search?q=hostile+title")[1])["hits"][0]["url"].startswith("/doc/")


def shown(code_point: int) -> str:
    """How a page shows a bidi control or invisible character."""
    return f'<span class="ctrl">&lt;U+{code_point:04X}&gt;</span>'


def test_bidi_controls_in_names_are_shown_not_obeyed(server: Server) -> None:
    """A file name and title holding U+202E: pages show every such character as a marker (a
    browser would reorder the text), JSON keeps the exact text."""
    status, body = get(server, "/search?q=overdue")
    page = body.decode()
    assert status == 200
    assert f"invoice{shown(0x202E)}gpj.txt" in page  # the id
    assert f"Payment {shown(0x202E)}eciovni{shown(0x202C)} overdue" in page  # the title
    assert shown(0x2066) in page and shown(0x200B) in page  # the snippet
    assert "👩\u200d💻" in page  # a joiner is part of ordinary text
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b]", page)
    status, body = get(server, f"/doc/{quoted(BIDI_NAME)}?q=overdue")
    page = body.decode()
    assert status == 200
    assert "<title>Payment &lt;U+202E&gt;eciovni&lt;U+202C&gt; overdue – " in page
    assert f"<h1>Payment {shown(0x202E)}eciovni{shown(0x202C)} overdue</h1>" in page
    assert re.search(
        f'The {re.escape(shown(0x2066))}<mark id="m\\d+">overdue</mark>{re.escape(shown(0x2069))} bill', page
    )
    assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b]", page)
    hit = json.loads(get(server, "/api/search?q=overdue")[1])["hits"][0]
    assert (hit["id"], hit["title"]) == (BIDI_NAME, BIDI_TITLE)
    assert json.loads(get(server, f"/api/docs/{quoted(BIDI_NAME)}")[1])["text"] == BIDI_TEXT.strip()


def test_health_does_not_tell_where_the_index_is(server: Server, tmp_path_factory) -> None:
    status, body = get(server, "/api/health")
    assert status == 200
    assert set(json.loads(body)) == {"status", "documents", "last_commit"}
    assert b"hostile-index" not in body and str(tmp_path_factory.getbasetemp()).encode() not in body


def get_as(server: Server, host: str | None, path: str = "/api/health") -> tuple[int, bytes]:
    """GET with this Host header (None: an HTTP/1.0 request without one)."""
    if host is None:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
            connection.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
            answer = b"".join(iter(lambda: connection.recv(65536), b""))
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split()[1]), body
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:{port}", "localhost:{port}", "[::1]:{port}", "LocalHost", "127.0.0.1", "dari.test:{port}"],
)
def test_the_servers_own_names_are_answered(server: Server, host: str) -> None:
    for path in ("/api/health", "/search?q=ILO", "/static/style.css"):
        assert get_as(server, host.format(port=server.port), path)[0] == 200, path


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:{port}",
        "127.0.0.1.evil.example:{port}",
        "localhost.evil.example",
        f"{ALLOWED_NAME}.evil.example",
        "[::2]:{port}",
        "",
        "local host",
        None,
    ],
)
def test_other_host_names_are_refused_dns_rebinding(server: Server, host: str | None) -> None:
    """A page of evil.example whose name is re-pointed at 127.0.0.1 reaches the server with its own
    name in the Host header: it gets a 421 and a reason, never the API's answer or a page."""
    sent = None if host is None else host.format(port=server.port)
    status, body = get_as(server, sent, "/api/search?q=ILO")
    assert status == 421
    message = json.loads(body)["error"]["message"]
    assert "does not answer to the host" in message and "--allow-host" in message
    assert "hits" not in json.loads(body)
    status, body = get_as(server, sent, "/search?q=ILO")
    assert status == 421 and b"--allow-host" in body and b'class="hit"' not in body
    assert get_as(server, sent, "/static/style.css")[0] == 421


def test_idle_connections_do_not_lock_users_out(server: Server) -> None:
    """150 connections that send nothing or half a request (waitress used to accept 100 and close
    idle ones after 2 minutes): searches still answer at once, and the server closes the idle
    connections after IDLE_SECONDS."""
    idle: list[socket.socket] = []
    try:
        for n in range(150):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            idle.append(connection)
            if n % 2:
                connection.sendall(b"GET /api/search?q=ILO HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        opened = time.monotonic()
        for _ in range(3):
            status, body = get(server, "/api/search?q=decent+work&bridge=off", timeout=5)
            assert status == 200 and json.loads(body)["total"] == 2
        assert time.monotonic() - opened < 15
        deadline = opened + IDLE_SECONDS + 30
        for connection in idle:
            connection.settimeout(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ConnectionResetError):  # closed by the server, maybe with a reset
                assert connection.recv(4096) == b""
        assert time.monotonic() < deadline
    finally:
        for connection in idle:
            connection.close()
    assert get(server, "/api/health")[0] == 200
