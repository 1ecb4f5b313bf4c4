"""The index's schema: its fields, how each is analysed, and the version that says which dari made it.

Raised when documents or their analysis change so that an index made before cannot be read as it
is, the version is pickled with the schema into every commit, so an index made by an older dari,
or not by dari, is explained instead of misread.  Imports ``analysis``, ``storage`` and ``surface``.
"""

from __future__ import annotations

import pickle
from collections import Counter
from pathlib import Path

from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.system import pack_uint

from indexer.analysis import index_terms, make_analyzer, make_bigram_analyzer
from indexer.storage import IndexUnusable
from indexer.surface import SurfaceWordsField

# Raised when documents or their analysis change so that an index made before cannot be read or
# updated as it is (``dari reindex --full`` rebuilds it).  Stored in every commit's schema.
# 2: American spellings and folded accents (labour → labor), surface words; 3: English surface words.
SCHEMA_VERSION = 3
DARI_FIELDS = {"id", "body", "path", "hash"}  # what any dari index, of any version, has
TODAYS_ANALYZER = make_analyzer()  # the analysis ``analysis.index_terms`` does


class IndexIncompatible(IndexUnusable):
    """The index was made by another dari version, or is not a dari index."""


class BigramField(TEXT):
    """Hangul bigrams of title + body (``grams``), counted straight from the tokenizer's spans.

    Whoosh's TEXT field would make a Token of each of the hundreds of bigrams of a Korean document
    only to count them; these are the same postings for ~3 % less indexing CPU on the mix.
    """

    def __init__(self) -> None:
        super().__init__(analyzer=make_bigram_analyzer(), phrase=False)

    def index(self, value: str, **kwargs) -> list[tuple[bytes, int, float, bytes]]:
        counts = Counter(text for _, _, text, _ in self.analyzer.normalized_spans(value))
        boost = self.format.field_boost
        return [(gram.encode("utf-8"), n, n * boost, pack_uint(n)) for gram, n in counts.items()]


class MorphemeField(TEXT):
    """A document's title or body: the analyzer's terms, with positions and characters.

    Indexed from ``analysis.index_terms`` (the analyzer's index-mode terms as tuples) rather than
    through Tokens and ``Characters.word_values``: the same postings for half those steps' CPU
    (~10 % of what indexing spends beyond Kiwi).  A field whose analyzer is not today's (an older
    index's) goes through it as TEXT does, and queries use the analyzer as any TEXT field's.
    """

    def __init__(self) -> None:
        super().__init__(analyzer=make_analyzer(), stored=True, chars=True)

    def index(self, value: str, **kwargs) -> list[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str) or self.analyzer != TODAYS_ANALYZER:
            return list(super().index(value, **kwargs))
        seen: dict[str, list[tuple[int, int, int]]] = {}
        for term, pos, start, end in index_terms(value):
            occurrences = seen.get(term)
            if occurrences is None:
                seen[term] = [(pos, start, end)]
            else:
                occurrences.append((pos, start, end))
        boost, encode = self.format.field_boost, self.format.encode
        return [(t.encode("utf-8"), len(o), len(o) * boost, encode(o)) for t, o in seen.items()]


def make_schema() -> Schema:
    schema = Schema(
        id=ID(unique=True, stored=True),
        # chars=True stores each term's character offsets, so highlights need no re-analysis.
        title=MorphemeField(),
        body=MorphemeField(),
        # Hangul bigrams of title + body: a ranking signal that survives Kiwi's segmentation.
        grams=BigramField(),
        lang=ID(stored=True),
        path=ID(stored=True),
        root=STORED,  # the indexed folder (or file) the document was found under: ids are unique per root
        line=STORED,  # its line in a .jsonl, None for a file of its own
        size=STORED,
        mtime=STORED,
        hash=STORED,
        pages=STORED,  # where each page starts in body (PDF, PPTX, XLSX), so a hit can name its page
        layout=STORED,  # a Markdown file's blocks and runs in body, for its document page
        words=SurfaceWordsField(),  # words as written, the vocabulary of forgiving search
    )
    schema.dari_version = SCHEMA_VERSION  # pickled with the schema into each commit
    return schema


def analysis_outdated(schema: Schema) -> bool:
    """Whether the index's pickled analyzer is not today's (made before a filter was added, such as
    the Hanja readings): it still reads as it is, and a rebuild brings it up to date."""
    today = make_schema()
    return any(
        pickle.dumps(schema[name].analyzer) != pickle.dumps(today[name].analyzer)
        for name in ("title", "body")
        if name in schema
    )


def _field_types(schema: Schema) -> dict[str, str]:
    """Each field's Whoosh type (TEXT for a MorphemeField, which older indexes wrote as TEXT)."""
    return {
        name: next(kind.__name__ for kind in type(field).__mro__ if kind.__module__.startswith("whoosh"))
        for name, field in schema.items()
    }


def _only_stored_fields_missing(schema: Schema) -> bool:
    """Whether ``schema`` is today's but for stored fields added since (``pages``, ``root``, ``line``,
    ``layout``)."""
    ours, theirs = _field_types(make_schema()), _field_types(schema)
    return all(ours.get(name) == kind for name, kind in theirs.items()) and all(
        ours[name] == "STORED" for name in ours.keys() - theirs.keys()
    )


def schema_problem(schema: Schema, index_dir: Path) -> IndexIncompatible | None:
    """Why this dari cannot use an index with ``schema`` (None: it can)."""
    version = getattr(schema, "dari_version", None)
    if version == SCHEMA_VERSION:
        return None
    if version is None and _only_stored_fields_missing(schema):
        return None  # made before the schema carried its version; the next reindex adds the fields
    if version is None and not set(schema.names()) >= DARI_FIELDS:
        return IndexIncompatible(
            f"The index at {index_dir} is not a dari index (a Whoosh index with the fields "
            f"{', '.join(sorted(schema.names()))}): dari leaves it alone; use another --index folder."
        )
    made_by = (
        f"an older dari (schema {version or 0})"
        if (version or 0) < SCHEMA_VERSION
        else (f"a newer dari (schema {version})")
    )
    return IndexIncompatible(
        f"The index at {index_dir} was made by {made_by}; this dari reads schema {SCHEMA_VERSION}: "
        "run `dari reindex --full` to rebuild it."
    )
