"""What the user typed, as a Whoosh query: syntax, operators, compounds, filters and caps.

Whoosh's query language (quoted phrases, AND/OR/NOT, ``title:``, wildcards) with these changes:
loose words are one OR (``LooseWords``), their scores summed, so documents with more of them rank
higher (natural-language questions work); ``+word``/``-word`` as in Elasticsearch's
simple_query_string; ``lang:`` is a filter; and each word is analysed like documents are, a
compound becoming "its morphemes, or its 2-syllable pieces" (``Word`` or ``Pieces``, the better of
the two) so Kiwi's different cuts in documents and queries still meet.  Caps keep what one query
can cost bounded.

Imports ``morphemes``.  How these queries are scored fast is the business of scoring.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import islice

from whoosh import query as wq
from whoosh.fields import TEXT, Schema
from whoosh.qparser import (
    FieldsPlugin,
    MultifieldPlugin,
    OrGroup,
    PlusMinusPlugin,
    QueryParser,
    RangePlugin,
    WildcardPlugin,
    syntax,
)

from indexer.morphemes import HANGUL_SYLLABLES

MAX_QUERY_CHARS = 1000
MAX_PER_PAGE = 100
# Caps on the work one query can cause (measured on 2,400 documents: 64 words ≈ 0.3 s, while
# twelve uncapped prefixes took 19 s and `[a TO z]` 3.6 s).
MAX_QUERY_WORDS = 64  # distinct analysed words
MAX_WILDCARDS = 4  # `노*`, `polic*`: each is an OR of the indexed words it matches …
MAX_EXPANSIONS = 50  # … of at most this many, the first in the index's word order
# Postings the loose words of one query may read: past it, their commonest words (the lowest idf,
# the least to add to a score) are left out.  At 100k documents the costliest natural questions
# read ~360k postings (~0.4 s), 64 common words ~380k; the median question 37k.
MAX_POSTINGS = 250_000
MAX_PAGE = 100  # with MAX_PER_PAGE: 10,000 results deep at most, as Elasticsearch's default
LANGS = {"ko": ("ko", "mixed"), "en": ("en", "mixed")}
TITLE_BOOST = 0.25  # titles are often shared by many documents or repeat the first line (tuned)
WORD_FIELDS = {"title": TITLE_BOOST, "body": 1.0}  # where a word without a field: prefix is looked for
SYNTAX = re.compile(r'["()\[\]{}^~*?:+\-]')  # query-language characters, dropped for a plain-word retry
OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})
EDGE_PUNCTUATION = ".,!?;"  # punctuation at a word's edges, not part of the word
# Per read: typed word → (text, weight) searched beside it (``forgive``'s readings of unknown words).
Variants = Mapping[str, Sequence[tuple[str, float]]]
_VARIANTS: ContextVar[Variants | None] = ContextVar("variants", default=None)


class QueryError(ValueError):
    """A query or paging parameter the user has to fix; the message says how."""


class LooseWords(wq.Or):
    """The words typed side by side: any of them, documents with more of them first."""


class LooseWordsGroup(OrGroup):
    qclass = LooseWords


class Word(wq.CompoundQuery):
    """The morphemes of one typed word, all required, as Whoosh's And matches them.

    Not an And: Whoosh merges an And into an enclosing one, and highlighting needs to know which
    terms make one word (they are marked only side by side).
    """

    JOINT = " AND "
    intersect_merge = True
    requires = wq.And.requires
    estimate_size = wq.And.estimate_size
    _matcher = wq.And._matcher


class Pieces(Word):
    """The 2-syllable pieces of one typed word (marked where they stand on consecutive characters)."""


class SignsPlugin(PlusMinusPlugin):
    """``+word`` must be in a hit and ``-word`` must not, as in Elasticsearch's simple_query_string
    and Google; the other words stay a loose OR.  A sign counts only at the start of a word, so
    ``Young-hoon`` and ``COVID-19`` keep their hyphens."""

    def __init__(self) -> None:
        super().__init__(plusexpr=r"(?<![^\s(])\+(?=[^\s+-])", minusexpr=r"(?<![^\s(])-(?=[^\s+-])")

    def do_plusminus(self, parser, group):
        if not any(isinstance(node, self.Plus | self.Minus) for node in group):
            return group  # as parsed: the loose words keep the parser's group
        required, optional, banned = syntax.AndGroup(), parser.group(), syntax.OrGroup()
        target = optional
        for node in group:
            if isinstance(node, self.Plus | self.Minus):
                target = required if isinstance(node, self.Plus) else banned
            else:
                target.append(node)
                target = optional
        result = syntax.AndMaybeGroup([required, optional]) if required and optional else required or optional
        return syntax.AndNotGroup([result, banned]) if banned else result


class InWordWildcardPlugin(WildcardPlugin):
    """``*`` and ``?`` are wildcards inside a word (``te?t``, ``polic*``), but a ``?`` with no letter
    after it is a question mark: ``what is the ILO?`` asks about the ILO, not ILO plus one letter."""

    expr = r"(?P<text>\*|\?(?=[?*]*\w))"


@dataclass(frozen=True)
class ParsedQuery:
    tree: wq.Query  # wildcards not yet expanded (that needs the index: ``expand_wildcards``)
    typed: list[str]  # the analysed words as typed, in order (the rerank bonuses read them)


class BilingualParser(QueryParser):
    """Whoosh's parser over ``title`` and ``body``, with compounds expanded to 'morphemes AND' or
    'pieces AND', signs, and every indexed field as a prefix."""

    def __init__(self, schema: Schema) -> None:
        super().__init__(None, schema, group=LooseWordsGroup)
        self.add_plugin(MultifieldPlugin(list(WORD_FIELDS), WORD_FIELDS))
        # Ranges over analysed words expand to most of the index; stored-only fields (hash, size)
        # make Whoosh raise: `hash:x` and `[a TO z]` are searched as plain words instead.
        self.remove_plugin_class(RangePlugin)
        self.remove_plugin_class(WildcardPlugin)
        self.add_plugin(InWordWildcardPlugin())
        self.add_plugin(SignsPlugin())
        searchable = "|".join(
            name
            for name, field_type in schema.items()
            if field_type.indexed and not getattr(field_type, "internal", False)
        )
        self.replace_plugin(FieldsPlugin(expr=rf"(?P<text>{searchable}):"))
        self._analyzer = schema["body"].analyzer

    def read(self, text: str, variants: Variants | None = None, as_read: str | None = None) -> ParsedQuery:
        """The query tree and the words typed, or QueryError when the query asks for too much work.

        ``variants``: texts searched beside a plain word (an OR, at their weights); ``as_read``: the
        query with its words read so, whose words the rerank bonuses then look for.
        """
        typed = [token.text for token in self._analyzer(as_read or text, mode="query")]
        if len(set(typed)) > MAX_QUERY_WORDS:
            raise QueryError(
                f"The query has {len(set(typed))} different words; the limit is {MAX_QUERY_WORDS}."
            )
        token = _VARIANTS.set(variants)
        try:
            tree = exclude_negations(self._parse_syntax(text))
        finally:
            _VARIANTS.reset(token)
        wildcards = {leaf.text for leaf in tree.leaves() if isinstance(leaf, wq.MultiTerm)}
        if len(wildcards) > MAX_WILDCARDS:
            raise QueryError(f"The query has {len(wildcards)} wildcards; the limit is {MAX_WILDCARDS}.")
        return ParsedQuery(tree, typed)

    def _parse_syntax(self, text: str) -> wq.Query:
        """Whoosh's parse, or, where its grammar trips (``NOT AND "`` raises IndexError), the same
        text searched as plain words, as Elasticsearch's simple_query_string would."""
        try:
            return self.parse(text)
        except Exception:  # noqa: BLE001 — any parser bug: fall back to plain words
            plain = SYNTAX.sub(" ", text)
            plain = re.sub(r"\b(AND|OR|NOT|TO)\b", lambda m: m.group(0).lower(), plain)
            return self.parse(plain)

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):
        if fieldname is None:  # a word Whoosh's field plugins passed over (the `^2` of `ILO(^2)`)
            return wq.Or(
                [
                    self.term_query(name, text, termclass, boost * weight, tokenize, removestops)
                    for name, weight in WORD_FIELDS.items()
                ]
            )
        field_type = self.schema[fieldname] if fieldname in self.schema else None  # noqa: SIM401
        if isinstance(field_type, TEXT) and termclass is wq.Wildcard and text[:1] not in "*?":
            # Matched against the indexed words as they are (stems: te?t finds test and text), as
            # Elasticsearch's wildcard query does; a trailing question mark is not part of it.
            return wq.Wildcard(fieldname, text.lower().rstrip(EDGE_PUNCTUATION), boost=boost)
        if not isinstance(field_type, TEXT) or not tokenize:
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        variants = (_VARIANTS.get() or {}).get(text.strip(EDGE_PUNCTUATION), ())
        if not variants:
            return self._word_query(field_type, fieldname, text, termclass, boost)
        found = [
            self._word_query(field_type, fieldname, word, termclass, boost * weight)
            for word, weight in [(text, 1.0), *variants]
        ]
        found = [query for query in found if query is not wq.NullQuery]
        return wq.Or(found) if len(found) > 1 else found[0] if found else wq.NullQuery

    def _word_query(self, field_type: TEXT, fieldname: str, text: str, termclass, boost: float) -> wq.Query:
        tokens = list(field_type.analyzer(text, positions=True, mode="expand"))
        words = [t.text for t in tokens if not t.piece]
        if not words:
            return wq.NullQuery
        # The same word cut into 2-syllable pieces: long Hangul words give way to their pieces.
        pieces = [t.text for t in tokens if t.piece or not HANGUL_SYLLABLES.match(t.text) or len(t.text) < 3]
        whole = _all_of(Word, fieldname, words, termclass, boost)
        if not pieces or pieces == words:
            return whole
        # The better of the two cuts counts, not their sum (which made long words outweigh the
        # rest of a question); pieces are scaled to the word count for the same reason.
        scale = len(set(words)) / len(set(pieces))
        return wq.DisjunctionMax([whole, _all_of(Pieces, fieldname, pieces, termclass, boost * scale)])


def _all_of(word_class: type[Word], fieldname: str, texts: list[str], termclass, boost: float) -> wq.Query:
    terms = [termclass(fieldname, text, boost=boost) for text in dict.fromkeys(texts)]
    return terms[0] if len(terms) == 1 else word_class(terms)


def exclude_negations(query: wq.Query) -> wq.Query:
    """Make ``a b NOT c`` mean "a or b, but never c", as in Lucene and Elasticsearch.

    Whoosh's OR group would otherwise turn ``NOT c`` into "anything without c" and match nearly
    every document.
    """
    query = query.apply(exclude_negations) if query.is_leaf() is False else query
    if isinstance(query, wq.Or):
        negated = [child.query for child in query.subqueries if isinstance(child, wq.Not)]
        kept = [child for child in query.subqueries if not isinstance(child, wq.Not)]
        if negated and kept:
            positive = kept[0] if len(kept) == 1 else query.__class__(kept, boost=query.boost)
            return wq.AndNot(positive, wq.Or(negated))
    return query


def within_budget(query: wq.Query, reader) -> wq.Query:
    """``query`` with the commonest of its loose words left out while they would read more than
    MAX_POSTINGS postings (one word always stays; phrases and required words are never dropped).
    Lucene's common-terms query makes the same trade: a word in most documents barely ranks."""

    def trimmed(node: wq.Query) -> wq.Query:
        if not isinstance(node, LooseWords):
            return node
        costs = [_postings(word, reader) for word in node.subqueries]
        total, dropped = sum(costs), set()
        for cost, position in sorted(((cost, n) for n, cost in enumerate(costs)), reverse=True):
            if total <= MAX_POSTINGS or len(dropped) == len(costs) - 1:
                break
            dropped.add(position)
            total -= cost
        if not dropped:
            return node
        return LooseWords(
            [word for n, word in enumerate(node.subqueries) if n not in dropped], boost=node.boost
        )

    return query.accept(trimmed)


def _postings(query: wq.Query, reader) -> int:
    """How many postings the terms of ``query`` hold (a phrase or a wildcard counts none)."""
    terms = [query] if query.is_leaf() else query.leaves()
    return sum(reader.doc_frequency(t.fieldname, t.text) for t in terms if type(t) is wq.Term)


def expand_wildcards(query: wq.Query, reader) -> wq.Query:
    """``query`` with each wildcard an OR of at most MAX_EXPANSIONS indexed words, the first in the
    index's word order (Whoosh would OR all of them)."""

    def capped(node: wq.Query) -> wq.Query:
        if not isinstance(node, wq.MultiTerm):
            return node
        field_type = reader.schema[node.field()]
        words = [
            wq.Term(fieldname, field_type.from_bytes(btext), boost=node.boost)
            for fieldname, btext in islice(node.expanded_terms(reader), MAX_EXPANSIONS)
        ]
        return wq.Or(words) if words else wq.NullQuery

    return query.accept(capped)


def validate(text: str, lang: str | None, page: int, per_page: int) -> None:
    """Raise QueryError for an empty or over-long query, an unknown language or a page out of range."""
    if not text or not text.strip():
        raise QueryError("The query is empty.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is longer than {MAX_QUERY_CHARS} characters.")
    if lang not in (None, "all", *LANGS):
        raise QueryError(f"Unknown language {lang!r}: use ko, en or all.")
    if not 1 <= page <= MAX_PAGE:
        raise QueryError(f"page must be between 1 and {MAX_PAGE}.")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}.")


def lang_filter(lang: str | None) -> wq.Query | None:
    """Korean or English documents; mixed documents belong to both (None: no filter)."""
    if lang in LANGS:
        return wq.Or([wq.Term("lang", code) for code in LANGS[lang]])
    return None


def all_of(filters: list[wq.Query | None]) -> wq.Query | None:
    """The documents every given filter allows (None: no filter at all)."""
    kept = [query for query in filters if query is not None]
    return None if not kept else kept[0] if len(kept) == 1 else wq.And(kept)


def split_filters(query: wq.Query) -> tuple[wq.Query, list[wq.Query]]:
    """``query`` without its ``lang:`` terms, and those terms as filters.

    ``lang:ko ILO`` means Korean documents about ILO (a filter, as Elasticsearch's filter context),
    not "ILO or anything Korean"; ``lang:ko`` alone lists the Korean documents.
    """
    if _is_lang(query):
        return wq.Every(), [lang_filter(query.text) or query]
    if isinstance(query, wq.AndNot | wq.AndMaybe):
        kept, filters = split_filters(query.a)
        return query.__class__(kept, query.b), filters
    if isinstance(query, wq.Or | wq.And) and any(_is_lang(sub) for sub in query.subqueries):
        langs = [lang_filter(sub.text) or sub for sub in query.subqueries if _is_lang(sub)]
        rest = [sub for sub in query.subqueries if not _is_lang(sub)]
        joined = langs[0] if len(langs) == 1 else (wq.And if isinstance(query, wq.And) else wq.Or)(langs)
        if not rest:
            return wq.Every(), [joined]
        return (rest[0] if len(rest) == 1 else query.__class__(rest, boost=query.boost)), [joined]
    return query, []


def _is_lang(query: wq.Query) -> bool:
    return isinstance(query, wq.Term) and query.fieldname == "lang"
