"""Server-rendered pages: search (`/`, `/search`) and one document (`/doc/<id>`).

They work without JavaScript. Jinja escapes everything; the only markup let through
(`|safe`) is the engine's snippet and marked text, which it escapes itself around `<mark>`.
Imports ``display``, ``search`` and ``core``.
"""

from __future__ import annotations

import itertools
import math
import posixpath
import re
from dataclasses import dataclass

from flask import Blueprint, render_template, request, url_for
from markupsafe import Markup, escape

from indexer.display import reveal_hidden
from indexer.search import MAX_PAGE, Hit, QueryError
from web.core import DEFAULT_PER_PAGE, ParamError, SearchArgs, engine, parse_search_args, run_search

bp = Blueprint("pages", __name__)

LANG_LABELS = {"all": "전체 · All", "ko": "한국어", "en": "English", "mixed": "한·영 Mixed"}
# What an error page says first, in Korean and in English, by HTTP status (others: werkzeug's name).
STATUS_TITLES = {
    400: ("요청을 처리할 수 없습니다", "Bad request"),
    404: ("페이지를 찾을 수 없습니다", "Page not found"),
    405: ("이 주소는 이 요청 방식을 받지 않습니다", "Method not allowed"),
    413: ("요청이 너무 큽니다", "Request too large"),
    421: ("이 서버는 이 주소로 답하지 않습니다", "Misdirected request"),
    500: (
        "서버에 문제가 생겼습니다. 잠시 뒤 다시 해 보세요",
        "Something went wrong on the server; try later",
    ),
}


@dataclass(frozen=True)
class PageError:
    """An error as a page shows it: in Korean and in English, with English specifics if any."""

    korean: str
    english: str
    detail: str = ""


@bp.app_template_global()
def search_url(sargs: SearchArgs, **changes: object) -> str:
    """Link to the same search with some arguments changed; defaults are left out of the URL."""
    filters = sargs.filters
    args = {
        "q": sargs.q,
        "lang": sargs.lang,
        "type": ",".join(filters.types),
        "path": filters.path or "",
        "modified_after": filters.modified_after.isoformat() if filters.modified_after else "",
        "modified_before": filters.modified_before.isoformat() if filters.modified_before else "",
        "sort": sargs.sort,
        "page": sargs.page,
        "per_page": sargs.per_page,
        "bridge": "on" if sargs.bridge else "off",
        "fuzzy": "on" if sargs.fuzzy else "off",
    }
    args.update(changes)
    defaults = {
        "lang": "all",
        "sort": "relevance",
        "page": 1,
        "per_page": DEFAULT_PER_PAGE,
        "bridge": "on",
        "fuzzy": "on",
    }
    kept = {k: v for k, v in args.items() if defaults.get(k) != v and v != ""}
    return url_for("pages.search", **kept)


@bp.app_template_global()
def facet_active(sargs: SearchArgs, name: str, value: str) -> bool:
    """Whether the search is already narrowed to this facet value."""
    filters = sargs.filters
    if name == "type":
        return value in filters.types
    if name == "folder":
        return filters.path == value
    after = filters.modified_after
    return bool(after and str(after.year) == value and after.month == after.day == 1)


@bp.app_template_global()
def facet_url(sargs: SearchArgs, name: str, value: str, active: bool) -> str:
    """The same search narrowed to a facet value, or (``active``) no longer narrowed by it."""
    if name == "type":
        types = set(sargs.filters.types) ^ {value}
        return search_url(sargs, type=",".join(sorted(types)), page=1)
    if name == "folder":
        return search_url(sargs, path="" if active else value, page=1)
    if active:
        return search_url(sargs, modified_after="", modified_before="", page=1)
    year = int(value)
    return search_url(sargs, modified_after=f"{year}-01-01", modified_before=f"{year + 1}-01-01", page=1)


def page_window(current: int, last: int, radius: int = 2) -> range:
    return range(max(1, current - radius), min(last, current + radius) + 1)


@bp.app_template_filter("by_source")
def by_source(hits: list[Hit]) -> list[tuple[Hit, list[Hit]]]:
    """The page's hits with the chunks of one source (the same title in the same folder: a long
    text split in parts, the records of one .jsonl) folded under the first of them, in rank order.

    Only the page is folded, so its count and paging stay those of the API, where every hit is a
    document (as Elasticsearch, which collapses only when asked).  A hit without a title is a
    source of its own."""
    groups: dict[tuple[str, str], tuple[Hit, list[Hit]]] = {}
    for hit in hits:
        key = (hit.title, posixpath.dirname(hit.path)) if hit.title else (hit.id, "")
        if key in groups:
            groups[key][1].append(hit)
        else:
            groups[key] = (hit, [])
    return list(groups.values())


@bp.app_template_filter("lang_label")
def lang_label(code: str) -> str:
    return LANG_LABELS.get(code, code.upper())


@bp.app_template_filter("html_lang")
def html_lang(code: str) -> str:
    """A valid `lang` attribute: "mixed" text is Korean with English words in it."""
    return "ko" if code == "mixed" else code


@bp.app_template_filter("reveal")
def reveal(text: str) -> Markup:
    """Text for a page (escaped, unless it is markup already) with each bidi control or invisible
    character shown as a `<U+202E>` marker, so a name cannot pass for another."""
    return Markup(reveal_hidden(escape(text), '<span class="ctrl">&lt;U+{:04X}&gt;</span>'))


# The same markers as plain text, where no markup can go (<title>).
bp.app_template_filter("reveal_plain")(reveal_hidden)


@bp.get("/", endpoint="home")
@bp.get("/search")
def search():
    try:
        sargs = parse_search_args(request.args, require_query=False)
    except ParamError as exc:
        error = PageError(exc.korean, exc.message)
        return render_template("search.html", q=request.args.get("q", ""), error=error), 400
    if not sargs.q:
        eng = engine()
        indexed = {"documents": eng.doc_count(), "when": eng.last_commit().isoformat()}
        return render_template("search.html", q="", sargs=sargs, indexed=indexed)
    try:
        results = run_search(sargs)
    except QueryError as exc:  # its message is English only: a Korean line says what it is about
        error = PageError("검색어를 처리할 수 없습니다", str(exc))
        return render_template("search.html", q=sargs.q, sargs=sargs, error=error), 400
    last_page = max(1, min(MAX_PAGE, math.ceil(results.total / sargs.per_page)))  # no link past the cap
    return render_template(
        "search.html",
        q=sargs.q,
        sargs=sargs,
        results=results,
        last_page=last_page,
        pages=page_window(sargs.page, last_page),
    )


@bp.get("/doc/<path:doc_id>")
def document(doc_id: str):
    q = request.args.get("q", "").strip()
    eng = engine()
    try:
        marked = eng.mark_document(doc_id, q)
    except QueryError:  # e.g. an over-long q in a hand-made link: show the text unmarked
        marked = eng.mark_document(doc_id, "")
    doc = None if marked is None else eng.get_document(doc_id)
    if doc is None:
        return error_page(404, PageError("문서를 찾을 수 없습니다", "No such document"))
    numbers = itertools.count(1)  # each match an anchor, #m1, #m2…, to jump to without a script
    marked = re.sub("<mark>", lambda _: f'<mark id="m{next(numbers)}">', marked)
    matches = next(numbers) - 1
    related = eng.related(doc_id) or []
    return render_template("document.html", q=q, doc=doc, marked=marked, matches=matches, related=related)


def error_page(status: int, error: PageError):
    """The error page for ``status``, saying ``error``."""
    return render_template("error.html", status=status, error=error), status


def http_error_page(status: int, name: str, description: str | None):
    """The page of an HTTP error (a 404, a 421, an unhandled error's 500): its title in both
    languages, and werkzeug's description (English) when it says more than the name."""
    korean, english = STATUS_TITLES.get(status, (f"오류 {status}", name))
    detail = description if description and description != name else ""
    return error_page(status, PageError(korean, f"{status} {english}", detail))
