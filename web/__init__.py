"""dari's web UI and JSON API: a Flask app over one shared, long-lived SearchEngine.

Imports ``search``, ``api`` and ``pages``.
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MisdirectedRequest

from indexer.search import SearchEngine
from web import api, pages

# No script at all is needed (the page works without JavaScript), so none is allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _http_error(exc: HTTPException):
    """JSON under /api/ (clients parse it), a page elsewhere; unhandled errors arrive as 500."""
    status = exc.code or 500
    if request.path.startswith("/api/"):
        return api.error(status, exc.name.lower().replace(" ", "_"), exc.description or exc.name)
    return pages.http_error_page(status, exc.name, exc.description)


LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def host_name(host: str) -> str | None:
    """The name in a Host header or an address, lower case, without port or IPv6 brackets."""
    return urllib.parse.urlsplit("//" + host).hostname


def allowed_hosts(listen_host: str, extra: Iterable[str] = ()) -> frozenset[str] | None:
    """The Host names a server on ``listen_host`` answers, None for any.

    On a loopback address: the loopback names, the address and ``extra``, because a page on
    evil.example whose name is re-pointed at 127.0.0.1 (DNS rebinding) reaches the server with
    ``Host: evil.example`` and could read its answers. On any other address the server is meant to be
    reached under names it cannot know: any Host, unless ``extra`` lists them (then those and the
    address).
    """
    names = {name for name in map(host_name, extra) if name}
    loopback = _is_loopback(listen_host)
    if not names and not loopback:
        return None
    return frozenset({*names, *(LOOPBACK_NAMES if loopback else ()), host_name(listen_host) or listen_host})


def _is_loopback(address: str) -> bool:
    name = host_name(address) or address
    try:
        return name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _refuse_other_hosts(allowed: frozenset[str]) -> Callable[[], None]:
    """A before-request check of the Host header (werkzeug's TRUSTED_HOSTS cannot match [::1])."""
    shown = ", ".join(f"[{name}]" if ":" in name else name for name in sorted(allowed))

    def check() -> None:
        # werkzeug has already turned a Host with characters no host name has into "".
        if host_name(request.host) not in allowed:
            sent = request.headers.get("Host", "")[:100]
            raise MisdirectedRequest(
                f"This server does not answer to the host {sent!r}, only to {shown}; "
                f"to add a name, start it with `dari serve --allow-host NAME`."
            )

    return check


def _allow_origins(origins: frozenset[str]) -> Callable[[Response], Response]:
    """CORS for the API: a web front end served from one of ``origins`` may call it (the browser
    asks first with an OPTIONS request for a JSON POST; Flask answers those by itself)."""

    def headers(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if request.path.startswith("/api/") and (origin in origins or "*" in origins):
            response.headers["Access-Control-Allow-Origin"] = origin if "*" not in origins else "*"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Vary"] = "Origin"
        return response

    return headers


def create_app(index_dir: Path | str, hosts: frozenset[str] | None = None, cors: Iterable[str] = ()) -> Flask:
    """Open the index once (raises IndexMissing); the engine warms Kiwi up before any request.

    ``hosts``: the only Host names answered (see `allowed_hosts`), others get a 421; None for any.
    ``cors``: origins (``https://app.example``, or ``*``) whose pages may call the API; none by default.
    """
    engine = SearchEngine(Path(index_dir))
    app = Flask(__name__)
    app.json.ensure_ascii = False  # Hangul stays readable in API responses
    app.json.sort_keys = False  # keep the documented field order
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.url_map.merge_slashes = False  # ids are taken literally, never redirected
    app.extensions["dari.engine"] = engine
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    if hosts is not None:
        app.before_request(_refuse_other_hosts(hosts))
    app.after_request(_security_headers)
    if cors:
        app.after_request(_allow_origins(frozenset(cors)))
    app.register_error_handler(HTTPException, _http_error)
    return app
