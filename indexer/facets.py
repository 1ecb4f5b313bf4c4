"""Facets, filters and sorting by what a document is rather than what it says: its language, file
type, folder and modification date.

Each segment's facts (one small record per document) are read once from its stored fields and
kept while the segment lives: segments never change, so an incremental reindex reads only its new
ones.  Counting the facets of every match, filtering by them and sorting by date are then lookups
by document number, without a schema change or a rebuild.  A language filter keeps the engine's
rule that a mixed document is Korean and English too, and the language counts follow it, so a
count is what its filter finds.  Imports ``query`` and ``sources``.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from itertools import chain
from operator import itemgetter

import numpy as np

from indexer.query import QueryError
from indexer.sources import relative_path

# A language filter's own code, and the mixed documents that are that language too.
LANGUAGE_INCLUDES = {"ko": ("ko", "mixed"), "en": ("en", "mixed")}
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
SORTS = ("relevance", "newest", "oldest")
TYPE_NAMES = {".htm": "html", ".markdown": "md"}
TOP_LEVEL = "."  # the folder facet of a file directly in its indexed folder


class FilterError(QueryError):
    """A filter value that cannot be understood (the message says which and why)."""


@dataclass(frozen=True)
class Facts:
    """What the facets, filters and sorts need of one document."""

    lang: str
    type: str
    folder: str  # the first folder of its path under its indexed folder, TOP_LEVEL for none
    path: str  # relative to its indexed folder, as the API shows it
    absolute: str
    mtime: float
    # The number of its (lang, type, folder, year), made once: the facets count it for every match
    # of every search, and counting numbers is ten times faster than hashing the tuples.
    kind: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        year = str(datetime.fromtimestamp(self.mtime, tz=UTC).year)
        object.__setattr__(self, "kind", _kind_number((self.lang, self.type, self.folder, year)))

    @property
    def year(self) -> str:
        return KINDS[self.kind][3]


Kind = tuple[str, str, str, str]  # lang, type, folder, year
KINDS: dict[int, Kind] = {}  # kind number → kind, for every kind of document seen in this process
_KIND_NUMBERS: dict[Kind, int] = {}
_NUMBERS = itertools.count()


def _kind_number(kind: Kind) -> int:
    """The kind's number in this process (setdefault: two threads reading segments agree on it).
    Numbered densely, a new number only for a new kind: the facets count by number (bincount)."""
    number = _KIND_NUMBERS.get(kind)
    if number is None:
        number = _KIND_NUMBERS.setdefault(kind, next(_NUMBERS))
    KINDS.setdefault(number, kind)
    return number


@dataclass(frozen=True)
class Filters:
    """The facet filters of one search; empty ones filter nothing."""

    lang: str | None = None
    types: tuple[str, ...] = ()
    path: str | None = None  # a folder prefix, relative to the indexed folder (or absolute)
    modified_after: date | None = None  # from the start of this day (UTC)
    modified_before: date | None = None  # up to the start of this day (UTC)

    def __bool__(self) -> bool:
        return any((self.lang, self.types, self.path, self.modified_after, self.modified_before))

    def allows_kind(self, kind: Kind) -> bool:
        """Whether the language and type filters let documents of ``kind`` through."""
        lang, file_type, _, _ = kind
        if self.lang and lang not in LANGUAGE_INCLUDES.get(self.lang, (self.lang,)):
            return False
        return not (self.types and file_type not in self.types)

    def allows(self, facts: Facts | None) -> bool:
        if facts is None or not self.allows_kind(KINDS[facts.kind]):  # None: a deleted document
            return False
        if self.path and not _under(facts, self.path):
            return False
        if self.modified_after and facts.mtime < _timestamp(self.modified_after):
            return False
        return not (self.modified_before and facts.mtime >= _timestamp(self.modified_before))


NO_FILTERS = Filters()


def with_language(filters: Filters, lang: str | None) -> Filters:
    """``filters`` with the language ``lang`` too (the older way to ask for one)."""
    if lang in (None, "", "all"):
        return filters
    return replace(filters, lang=parse_filters(lang=lang).lang)


def parse_filters(
    lang: str | None = None,
    types: Iterable[str] = (),
    path: str | None = None,
    modified_after: str | None = None,
    modified_before: str | None = None,
) -> Filters:
    """Filters from what a user typed (``types`` may hold comma-separated lists); FilterError if
    a value makes no sense."""
    if lang in (None, "", "all"):
        lang = None
    elif not LANGUAGE_CODE.match(lang) and lang != "mixed":
        raise FilterError(f"Unknown language {lang!r}: use ko, en, mixed, another ISO 639 code or all.")
    kinds = tuple(
        sorted({kind.strip().lower().lstrip(".") for text in types for kind in text.split(",")} - {""})
    )
    return Filters(
        lang=lang,
        types=tuple(sorted(kinds)),
        path=_folder(path),
        modified_after=_date("modified_after", modified_after),
        modified_before=_date("modified_before", modified_before),
    )


def _folder(path: str | None) -> str | None:
    """A folder prefix without its trailing slash (an absolute one keeps its leading one)."""
    path = (path or "").strip()
    return (path.rstrip("/") if os.path.isabs(path) else path.strip("/")) or None


def _date(name: str, text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{name} must be a date as YYYY-MM-DD, not {text!r}.") from None


def _timestamp(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _under(facts: Facts, prefix: str) -> bool:
    if os.path.isabs(prefix):
        return facts.absolute == prefix or facts.absolute.startswith(prefix.rstrip("/") + "/")
    return facts.path == prefix or facts.path.startswith(prefix + "/")


def facts_of(stored: dict) -> Facts:
    path = relative_path(stored["path"], stored.get("root"))
    suffix = os.path.splitext(stored["path"])[1].lower()
    folder = path.split("/", 1)[0] if "/" in path else TOP_LEVEL
    return Facts(
        lang=stored["lang"],
        type=TYPE_NAMES.get(suffix, suffix.lstrip(".") or "none"),
        folder=folder,
        path=path,
        absolute=stored["path"],
        mtime=stored["mtime"] or 0.0,
    )


DELETED = -1  # the kind number of a deleted document


class FactsCache:
    """Each segment's facts and kind numbers by document number, read once per segment (shared by
    threads); the whole index's, joined, kept for the last set of segments asked."""

    def __init__(self) -> None:
        self._segments: dict[str, tuple[list[Facts | None], np.ndarray]] = {}
        self._joined: tuple[tuple[str, ...], list[Facts | None], np.ndarray] | None = None
        self._lock = threading.Lock()

    def of(self, searcher) -> list[Facts | None]:
        """Facts by the searcher's document numbers (None: deleted)."""
        return self._join(searcher)[1]

    def kinds(self, searcher) -> np.ndarray:
        """Kind numbers (``Facts.kind``) by the searcher's document numbers (DELETED: deleted)."""
        return self._join(searcher)[2]

    def _join(self, searcher) -> tuple[tuple[str, ...], list[Facts | None], np.ndarray]:
        """The segments' tables end to end, made once for a commit's segments (at 100k documents
        joining them for every search took a millisecond)."""
        parts = searcher.subsearchers or [(searcher, 0)]
        readers = [sub.reader() for sub, _ in parts]
        key = tuple(reader.segment().segment_id() for reader in readers)
        joined = self._joined
        if joined is None or joined[0] != key:
            tables = self._tables(readers)
            facts = list(chain.from_iterable(facts for facts, _ in tables))
            joined = key, facts, np.concatenate([kinds for _, kinds in tables])
            self._joined = joined
        return joined

    def _tables(self, readers) -> list[tuple[list[Facts | None], np.ndarray]]:
        with self._lock:
            known = {reader.segment().segment_id(): reader for reader in readers}
            for segment_id in self._segments.keys() - known.keys():  # merged away or deleted
                del self._segments[segment_id]
            for segment_id, reader in known.items():
                if segment_id not in self._segments:
                    facts = _segment_facts(reader)
                    kinds = np.array([DELETED if f is None else f.kind for f in facts], dtype=np.intp)
                    self._segments[segment_id] = facts, kinds
            return [self._segments[reader.segment().segment_id()] for reader in readers]


def _segment_facts(reader) -> list[Facts | None]:
    facts: list[Facts | None] = [None] * reader.doc_count_all()
    for docnum, stored in reader.iter_docs():
        facts[docnum] = facts_of(stored)
    return facts


def allowed(facts: Sequence[Facts | None], kinds: np.ndarray, filters: Filters) -> np.ndarray:
    """A mask over the document numbers of those ``filters`` lets through: by kind number for the
    language and type (a lookup for every document of 100k costs more than a search), then the
    documents of those kinds one by one for a folder or dates."""
    by_kind = [number for number, kind in list(KINDS.items()) if filters.allows_kind(kind)]
    mask = np.isin(kinds, by_kind)
    if filters.path or filters.modified_after or filters.modified_before:
        candidates = np.flatnonzero(mask).tolist()
        mask[candidates] = [filters.allows(facts[docnum]) for docnum in candidates]
    return mask


def count_facets(kinds_by_docnum: np.ndarray, docnums: np.ndarray) -> dict[str, dict[str, int]]:
    """lang, type, folder and year counts over ``docnums``, most frequent first, from each
    document's kind number (``FactsCache.kinds``)."""
    # One count per kind of document first: a search matches thousands of documents of few kinds.
    per_kind = np.bincount(kinds_by_docnum[docnums] - DELETED)[1:]  # DELETED (-1) counts at 0
    present = np.flatnonzero(per_kind)
    kinds = [
        (KINDS[kind], count) for kind, count in zip(present.tolist(), per_kind[present].tolist(), strict=True)
    ]
    counts = {}
    for place, name in enumerate(("lang", "type", "folder", "year")):
        totals: dict[str, int] = {}
        for kind, count in kinds:
            value = kind[place]
            for code in LANGUAGE_INCLUDES if name == "lang" and value == "mixed" else ():
                totals[code] = totals.get(code, 0) + count
            totals[value] = totals.get(value, 0) + count
        counts[name] = dict(sorted(totals.items(), key=itemgetter(1), reverse=True))
    return counts


def by_date(facts: Sequence[Facts | None], ranked: list, newest: bool) -> list:
    """``ranked`` (hit, score) pairs in modification order, the better score first on a tie."""

    def key(item) -> tuple[float, float]:
        hit, score = item
        mtime = facts[hit.docnum].mtime
        return (-mtime if newest else mtime, -score)

    return sorted(ranked, key=key)
