"""JSON API: /api/search, /api/docs/<id>, /api/health, /api/openapi.json.

Every error is `{"error": {"code", "message"}}` with a 4xx/5xx status, never an HTML page.
Imports ``search``, ``core`` and ``openapi``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request

from indexer.search import QueryError, relative_path
from web.core import ParamError, doc_url, engine, parse_search_args, run_search, unknown_params
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


@bp.route("/search", methods=["GET", "POST"])
def search():
    """A query string, or the same fields as a JSON object (POST)."""
    args = request.args if request.method == "GET" else _json_body()
    unknown_params(args.keys())
    sargs = parse_search_args(args)
    results = run_search(sargs).as_dict()
    for hit in results["hits"]:  # the document page marks the words as they were searched
        hit["url"] = doc_url(hit["id"], results["read_as"] or sargs.q)
    return jsonify(results)


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ParamError(
            "bad_body",
            "the body must be a JSON object of search fields (q, lang, …)",
            "본문은 검색 필드(q, lang, …)의 JSON 객체여야 합니다",
        )
    return body


@bp.get("/docs/<path:doc_id>/related")
def related(doc_id: str):
    """The other language's best documents for this one, through the bridge."""
    hits = engine().related(doc_id)
    if hits is None:
        return error(404, "not_found", f"no document with id {doc_id!r}")
    return jsonify(
        id=doc_id,
        related=[
            {"id": hit.id, "title": hit.title, "lang": hit.lang, "score": hit.score, "url": doc_url(hit.id)}
            for hit in hits
        ],
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
