"""dari's web UI and JSON API: a Flask app over one shared, long-lived SearchEngine."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

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
    return render_template("error.html", status=status, message=f"{status} {exc.name}"), status


def create_app(index_dir: Path | str) -> Flask:
    """Open the index once (raises IndexMissing); the engine warms Kiwi up before any request."""
    engine = SearchEngine(Path(index_dir))
    app = Flask(__name__)
    app.json.ensure_ascii = False  # Hangul stays readable in API responses
    app.json.sort_keys = False  # keep the documented field order
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.url_map.merge_slashes = False  # ids are taken literally, never redirected
    app.extensions["dari.engine"] = engine
    app.extensions["dari.index_dir"] = Path(index_dir)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    return app
