"""JSON API: /api/search, /api/docs/<id>, /api/health, /api/openapi.json.

Every error is `{"error": {"code", "message"}}` with a 4xx/5xx status, never an HTML page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request

from indexer.documents import relative_path
from indexer.search import QueryError
from web.core import ParamError, doc_url, engine, parse_search_args, run_search
from web.openapi import openapi_spec

bp = Blueprint("api", __name__)


def error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.errorhandler(ParamError)
def _param_error(exc: ParamError):
    return error(400, exc.code, exc.message)


@bp.errorhandler(QueryError)
def _query_error(exc: QueryError):
    return error(400, "bad_query", str(exc))


@bp.get("/search")
def search():
    sargs = parse_search_args(request.args)
    results = run_search(sargs)
    return jsonify(
        query=results.query,
        total=results.total,
        page=results.page,
        per_page=results.per_page,
        took_ms=results.took_ms,
        hits=[
            {
                "id": hit.id,
                "title": hit.title,
                "lang": hit.lang,
                "score": hit.score,
                "snippet": hit.snippet,
                "url": doc_url(hit.id, results.read_as),
            }
            for hit in results.hits
        ],
        suggestion=results.suggestion,
        corrected=results.corrected,
        typed_in=results.typed_in,
    )


@bp.get("/docs/<path:doc_id>")
def document(doc_id: str):
    doc = engine().get_document(doc_id)
    if doc is None:
        return error(404, "not_found", f"no document with id {doc_id!r}")
    return jsonify(
        id=doc["id"],
        title=doc["title"],
        lang=doc["lang"],
        path=relative_path(doc["path"], doc.get("root")),
        size=doc["size"],
        modified=datetime.fromtimestamp(doc["mtime"], tz=UTC).isoformat(),
        hash=doc["hash"],
        text=doc["body"],
    )


@bp.get("/health")
def health():
    """No index path: a page or a probe has no use for where the user keeps files."""
    eng = engine()
    return jsonify(status="ok", documents=eng.doc_count(), last_commit=eng.last_commit().isoformat())


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_spec())
