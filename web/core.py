"""What the pages and the API share: the one search engine and the rules for search arguments.

The engine checks the same limits; checking here too turns each bad argument into a stable
error code for API clients (and a non-number page into a 400, not a crash).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app, url_for

from indexer.search import MAX_PAGE, MAX_PER_PAGE, MAX_QUERY_CHARS, SearchEngine, SearchResults

DEFAULT_PER_PAGE = 10
# "all" (or nothing) means no filter; the engine's "ko" and "en" filters also match "mixed".
LANGS = ("all", "ko", "en")


class ParamError(ValueError):
    """A request argument the user must fix; `code` is stable for API clients."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SearchArgs:
    q: str
    lang: str  # one of LANGS
    page: int
    per_page: int
    fuzzy: bool = True  # off: the words as typed

    @property
    def lang_filter(self) -> str | None:
        return None if self.lang == "all" else self.lang


def engine() -> SearchEngine:
    """The app's one engine; each of its calls first picks up a newer commit (no restart needed)."""
    return current_app.extensions["dari.engine"]


def _int_arg(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ParamError(f"bad_{name}", f"{name} must be a whole number, not {raw[:20]!r}") from None
    if not low <= value <= high:
        raise ParamError(f"bad_{name}", f"{name} must be between {low} and {high}")
    return value


def parse_search_args(args: Mapping[str, str], *, require_query: bool = True) -> SearchArgs:
    """Validate q/lang/page/per_page from a query string; raise ParamError on the first bad one."""
    q = args.get("q", "").strip()
    if require_query and not q:
        raise ParamError("empty_query", "q is empty: type something to search for")
    if len(q) > MAX_QUERY_CHARS:
        raise ParamError("query_too_long", f"q is longer than {MAX_QUERY_CHARS} characters")
    lang = args.get("lang", "").strip().lower() or "all"
    if lang not in LANGS:
        raise ParamError("bad_lang", f"lang must be one of {', '.join(LANGS)}")
    # The page cap keeps `page * per_page` (what Whoosh collects) bounded.
    page = _int_arg(args, "page", 1, 1, MAX_PAGE)
    per_page = _int_arg(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    fuzzy = args.get("fuzzy", "").strip().lower() or "on"
    if fuzzy not in ("on", "off"):
        raise ParamError("bad_fuzzy", "fuzzy must be on or off")
    return SearchArgs(q=q, lang=lang, page=page, per_page=per_page, fuzzy=fuzzy == "on")


def run_search(sargs: SearchArgs) -> SearchResults:
    """Search with validated arguments; the engine's QueryError propagates to the caller."""
    return engine().search(
        sargs.q, lang=sargs.lang_filter, page=sargs.page, per_page=sargs.per_page, fuzzy=sargs.fuzzy
    )


def doc_url(doc_id: str, q: str = "") -> str:
    """The document page, with the query so every match is marked there."""
    return url_for("pages.document", doc_id=doc_id, q=q or None)
