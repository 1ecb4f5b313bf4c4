"""What the pages and the API share: the one search engine and the rules for search arguments.

The engine checks the same limits; checking here too turns each bad argument into a stable
error code for API clients (and a non-number page into a 400, not a crash).  Imports ``search``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import current_app, url_for

from indexer.search import (
    MAX_PAGE,
    MAX_PER_PAGE,
    MAX_QUERY_CHARS,
    SORTS,
    FilterError,
    Filters,
    SearchEngine,
    SearchResults,
    parse_filters,
)

DEFAULT_PER_PAGE = 10
# What a search takes, in a query string or a JSON body; `from`/`size` are Elasticsearch's names
# for an offset and a page size.  The API refuses anything else (a typo would silently do nothing).
SEARCH_PARAMS = (
    "q",
    "lang",
    "type",
    "path",
    "modified_after",
    "modified_before",
    "sort",
    "page",
    "per_page",
    "from",
    "size",
    "bridge",
    "fuzzy",
)
SWITCH_VALUES = ("on", "off")  # bridge=, fuzzy=


class ParamError(ValueError):
    """A request argument the user must fix; `code` is stable for API clients, `message` is what
    the API says and `korean` what the page says beside it."""

    def __init__(self, code: str, message: str, korean: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.korean = korean


@dataclass(frozen=True)
class SearchArgs:
    q: str
    page: int
    per_page: int
    filters: Filters = Filters()
    sort: str = "relevance"
    lang: str = "all"  # as typed, for the page's language selector
    bridge: bool = True  # also search the translations (`bridge=off`: the words as typed only)
    fuzzy: bool = True  # read words that find nothing (`fuzzy=off`: the words as typed)


def engine() -> SearchEngine:
    """The app's one engine; each of its calls first picks up a newer commit (no restart needed)."""
    return current_app.extensions["dari.engine"]


def _int_arg(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = str(args.get(name, "")).strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ParamError(
            f"bad_{name}",
            f"{name} must be a whole number, not {raw[:20]!r}",
            f"{name} 값은 정수여야 합니다 ({raw[:20]!r} 아님)",
        ) from None
    if not low <= value <= high:
        raise ParamError(
            f"bad_{name}",
            f"{name} must be between {low} and {high}",
            f"{name} 값은 {low}~{high}이어야 합니다",
        )
    return value


def unknown_params(names: Iterable[str]) -> None:
    """Raise ParamError naming the arguments a search does not take, and those it does."""
    unknown = sorted(set(names) - set(SEARCH_PARAMS))
    if unknown:
        raise ParamError(
            "unknown_parameter",
            f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}: "
            f"a search takes {', '.join(SEARCH_PARAMS)}",
            f"알 수 없는 매개변수 {', '.join(unknown)}: 검색에 쓰는 것은 {', '.join(SEARCH_PARAMS)}",
        )


def parse_search_args(args: Mapping[str, str], *, require_query: bool = True) -> SearchArgs:
    """Validate a search's arguments (a query string or a JSON body); raise ParamError on the first
    bad one."""
    q = str(args.get("q", "")).strip()
    if require_query and not q:
        raise ParamError("empty_query", "q is empty: type something to search for", "검색어를 입력하세요")
    if len(q) > MAX_QUERY_CHARS:
        raise ParamError(
            "query_too_long",
            f"q is longer than {MAX_QUERY_CHARS} characters",
            f"검색어가 {MAX_QUERY_CHARS}자보다 깁니다",
        )
    # The page cap keeps `page * per_page` (what Whoosh collects) bounded.
    per_page = _int_arg(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    per_page = _int_arg(args, "size", per_page, 1, MAX_PER_PAGE)
    page = _int_arg(args, "page", 1, 1, MAX_PAGE)
    if str(args.get("from", "")).strip():  # an offset: the page that holds it
        page = _int_arg(args, "from", 0, 0, MAX_PAGE * per_page - 1) // per_page + 1
    sort = str(args.get("sort", "")).strip() or "relevance"
    if sort not in SORTS:
        raise ParamError(
            "bad_sort",
            f"sort must be one of {', '.join(SORTS)}",
            f"정렬(sort)은 {', '.join(SORTS)} 중 하나입니다",
        )
    lang = str(args.get("lang", "")).strip().lower() or "all"
    try:
        filters = parse_filters(
            lang,
            _values(args, "type"),
            _text(args, "path"),
            _text(args, "modified_after"),
            _text(args, "modified_before"),
        )
    except FilterError as error:
        raise ParamError("bad_filter", str(error), "좁혀 보기(필터) 값을 읽을 수 없습니다") from None
    bridge = str(args.get("bridge", "")).strip().lower() or "on"
    if bridge not in SWITCH_VALUES:
        raise ParamError("bad_bridge", "bridge must be one of on or off", "bridge 값은 on 또는 off입니다")
    fuzzy = str(args.get("fuzzy", "")).strip().lower() or "on"
    if fuzzy not in SWITCH_VALUES:
        raise ParamError("bad_fuzzy", "fuzzy must be on or off", "fuzzy 값은 on 또는 off입니다")
    return SearchArgs(
        q=q,
        page=page,
        per_page=per_page,
        filters=filters,
        sort=sort,
        lang=lang,
        bridge=bridge == "on",
        fuzzy=fuzzy == "on",
    )


def _text(args: Mapping[str, str], name: str) -> str | None:
    value = args.get(name)
    return None if value is None else str(value)


def _values(args: Mapping[str, str], name: str) -> list[str]:
    """Every value of a repeatable argument (``type=pdf&type=hwp``, ``type=pdf,hwp``, a JSON list)."""
    value = args.getlist(name) if hasattr(args, "getlist") else args.get(name, [])
    return [str(item) for item in (value if isinstance(value, list) else [value])]


def run_search(sargs: SearchArgs) -> SearchResults:
    """Search with validated arguments; the engine's QueryError propagates to the caller."""
    return engine().search(
        sargs.q,
        page=sargs.page,
        per_page=sargs.per_page,
        filters=sargs.filters,
        sort=sargs.sort,
        bridge=sargs.bridge,
        fuzzy=sargs.fuzzy,
    )


def doc_url(doc_id: str, q: str = "") -> str:
    """The document page, with the query so every match is marked there."""
    return url_for("pages.document", doc_id=doc_id, q=q or None)
