"""The bridge (다리): an English query also searches Korean words, a Korean query English ones.

Each analysed query word (and each run of two or three, ``secretari general`` → 사무총장) gets its
best lexicon translations that the index holds as **one synonym group** (``synonyms``), weighted
BRIDGE_WEIGHT below the typed words, so same-language ranking keeps its order while documents in
the other language are found at all.  A word the lexicon lacks may derive from one it has
(iraqi → iraq).  Names (``names``): a capitalised English run is matched to the index's Hangul
words by its consonant skeleton (or vowel key), a Korean proper noun to the Latin words.  The
loose words of a query are translated, a quoted phrase's among them too (the other language
cannot hold the English phrase), but not a ``-word`` nor a field-scoped one.  What was added is
reported in the words a person reads: the typed ones, and the lexicon's shown form of a stem.

Ambiguity is kept down three ways, each measured in benchmarks/README.md: translations are ranked
by the lexicon's learned probability and capped (MAX_PER_WORD); a translation held by more than
COMMON_SHARE of the documents carries no meaning and is dropped; and a query word with no content
(STOP_WORDS) is not translated.  In one mixed index the other language still ranks low, so the
first page keeps room for its best few (``with_other_language``).

Imports ``analysis``, ``lexicon``, ``morphemes``, ``names``, ``query``, ``storage`` and ``synonyms``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple

from whoosh import query as wq

from indexer.analysis import compound_pieces
from indexer.lexicon import Lexicon
from indexer.morphemes import HANGUL_SYLLABLES, has_hangul, nfc
from indexer.names import NameKeys, capitalised_runs
from indexer.query import WORD_FIELDS, LooseWords, Pieces, Word
from indexer.storage import CommitCache
from indexer.synonyms import SynonymGroup

BRIDGE_WEIGHT = 0.45  # a translation against a typed word (tuned on park-dev and jhe, 0.3–0.6)
NAME_WEIGHT = 0.6  # a name's other spelling is surer than a dictionary sense (tuned likewise)
MAX_PER_WORD = 3  # translations kept per query word, best first (make/take have dozens)
COMMON_SHARE = 0.1  # a translation in more than this share of documents says nothing …
COMMON_MIN_DOCS = 50  # … in an index large enough to tell (in 5 documents every word is common)
MAX_SUFFIX = 3  # letters an untranslated English word may lose to reach a listed one (-i, -n, -ian) …
MIN_BASE = 4  # … which must keep this many (iraq)
MAX_NGRAM = 3  # neighbouring query words looked up together (국제 노동 기구, secretari general)
RELATED_TERMS = 20  # a document's words, by tf·idf, that find its other-language neighbours …
RELATED_CHARS = 5000  # … read from its start (analysing a 10 MB body per page view is too slow)
OTHER_LANGUAGE = {"ko": "en", "en": "ko"}
OTHER_SLOTS = (1, 3, 5)  # first-page ranks (0-based) kept for the other language's best hits
AMERICAN = re.compile(r"^([a-z]+[^aeiou])our$")
# Light verbs and pronouns with content tags: their translations are noise, never meaning.
STOP_WORDS = frozenset("하다 되다 있다 없다 않다 이다 것 수 등 때 그 이 저 우리 get make take do".split())


class Translated(NamedTuple):
    """One query word's (or run's, or name's) translations."""

    typed: str  # as the user wrote it (``policy``, ``Kim Young-hoon``)
    terms: list[str]  # the index terms searched (``정책``; ``polici``)
    shown: list[str]  # those as a person reads them (``policy``, not ``polici``)
    weight: float
    source: str  # the query's index terms translated (``polici``; ``secretari general``)


@dataclass
class Bridged:
    """The query with its translations, and what was added per typed word, in words a person reads
    (``{"policy": ["정책"]}``, ``{"협력": ["cooperation"]}``: stems are the index's business)."""

    query: wq.Query
    added: dict[str, list[str]] = field(default_factory=dict)


class Bridge:
    """Translations of query words into index words, against one open searcher at a time."""

    def __init__(self, lexicon: Lexicon, analyzer) -> None:
        self.lexicon = lexicon
        self._analyzer = analyzer
        self._names = CommitCache(self._name_keys_of)  # a server thread has a reader of its own

    def extend(self, tree: wq.Query, text: str, searcher, excluded: frozenset[str] = frozenset()) -> Bridged:
        """``tree`` with a synonym group per translated word.  Only a tree of loose words is
        extended (a lone phrase, a required or a title-only word keeps its exact meaning); among
        loose words a quoted phrase stays exact but its words are translated too, as the other
        language cannot hold the phrase; ``-word`` and scoped words (``excluded``) are not."""
        if isinstance(tree, wq.AndNot):
            inner = self.extend(tree.a, text, searcher, excluded | _texts(tree.b))
            return Bridged(wq.AndNot(inner.query, tree.b), inner.added)
        words = list(tree.subqueries) if type(tree) is LooseWords else [tree]
        if not any(_loose(word) for word in words):
            return Bridged(tree)
        scoped = (_texts(word) for word in words if not (_loose(word) or _phrase(word)))
        added = self.translations(text, searcher, excluded.union(*scoped))
        if not added:
            return Bridged(tree)
        groups = [_group(found.terms, found.weight, found.source) for found in added]
        shown: dict[str, list[str]] = defaultdict(list)
        for found in added:  # ``labor labour`` both read as labor
            shown[found.typed] = list(dict.fromkeys([*shown[found.typed], *found.shown]))
        return Bridged(LooseWords([*words, *groups]), dict(shown))

    def translations(self, text: str, searcher, excluded: frozenset[str] = frozenset()) -> list[Translated]:
        """Per query word (or run of words, or name) but the ``excluded`` ones: the index words
        it is also searched as, their weight, and both as a person reads them."""
        reader = searcher.reader()
        text = nfc(text)
        tokens = list(self._analyzer(text, mode="query", chars=True))
        typed: list[str | None] = []  # an excluded word breaks the runs of its neighbours (None)
        spans: list[tuple[int, int]] = []  # where each stands in ``text``
        for token in tokens:
            pieces = [None] if token.text in excluded else self._translatable(token.text)
            typed.extend(pieces)
            spans.extend([(token.startchar, token.endchar)] * len(pieces))
        found: dict[str, Translated] = {}
        covered: set[int] = set()  # words translated as part of a longer run
        for size in range(MAX_NGRAM, 0, -1):
            for start in range(len(typed) - size + 1):
                span = set(range(start, start + size))
                words = typed[start : start + size]
                if None in words:
                    continue
                korean = has_hangul(words[0])
                source = ("" if korean else " ").join(words)
                if span & covered or source in found or (size == 1 and source in STOP_WORDS):
                    continue
                if options := self.options(source, reader):
                    # Korean morphemes read as words; English stems do not (``polici``): as typed.
                    written = source if korean else text[spans[start][0] : spans[start + size - 1][1]]
                    shown = [self.lexicon.shown(option) for option in options]
                    found[source] = Translated(written, options, shown, BRIDGE_WEIGHT, " ".join(words))
                    covered |= span if size > 1 else set()
        for name, other in self._names_in(text, tokens, reader, excluded).items():
            shown = [word if has_hangul(word) else word.capitalize() for word in other]
            found.setdefault(name, Translated(name, other, shown, NAME_WEIGHT, name))
        return list(found.values())

    def options(self, source: str, reader) -> list[str]:
        """The best translations of one index term (or run) that the index holds usefully."""
        # The index folds British spellings to American ones (``spelling``); a lexicon may not.
        listed = self._listed(source)
        spellings = dict.fromkeys(spelling for option, _ in listed for spelling in (option, american(option)))
        return list(islice((s for s in spellings if _useful(reader, s)), MAX_PER_WORD))

    def _listed(self, source: str) -> list[tuple[str, float]]:
        """The lexicon's translations of ``source``, or of the English word it derives from by a
        short suffix when it has none (iraqi → iraq, jordanian → jordan, israeli → israel)."""
        listed = self.lexicon.translations(source)
        if listed or has_hangul(source) or " " in source:
            return listed
        for cut in range(1, MAX_SUFFIX + 1):
            if len(base := source[:-cut]) >= MIN_BASE and (listed := self.lexicon.translations(base)):
                return listed
        return []

    def related_query(self, body: str, searcher) -> wq.Query | None:
        """A query for the other language's documents on what ``body`` is about: its
        RELATED_TERMS words of most tf·idf, each as its translations, weighted by that tf·idf."""
        reader = searcher.reader()
        counts = Counter(t.text for t in self._analyzer(body[:RELATED_CHARS]) if not t.piece)
        weights = {term: tf * searcher.idf("body", term) for term, tf in counts.items()}
        groups = []
        for term in sorted(weights, key=lambda t: (-weights[t], t)):
            if options := self.options(term, reader):
                groups.append((options, weights[term]))
            if len(groups) == RELATED_TERMS:
                break
        if not groups:
            return None
        best = groups[0][1]
        return LooseWords([_group(options, weight / best) for options, weight in groups])

    def _translatable(self, word: str) -> list[str]:
        """``word``, or a Hangul compound the lexicon lacks as its 2-syllable pieces (국제노동기구 →
        국제 노동 기구), which it may have."""
        if HANGUL_SYLLABLES.fullmatch(word) and len(word) > 2 and not self.lexicon.translations(word):
            return compound_pieces(word) or [word]
        return [word]

    def _names_in(self, text: str, tokens, reader, excluded: frozenset[str]) -> dict[str, list[str]]:
        """Names of the query (but the ``excluded`` words) with the index's words that spell them
        in the other script."""
        keys = None
        found: dict[str, list[str]] = {}
        for run in capitalised_runs(text):
            terms = [token.text for token in self._analyzer(run, mode="query")]
            # A capitalised ordinary word (Minister, Taking at a sentence's start, Germany) or
            # phrase (European Union) is the lexicon's; a stopword (From) is nothing.
            if not terms or self._listed(" ".join(terms)) or set(terms) & excluded:
                continue
            keys = keys or self.name_keys(reader)
            if not any(run in longer for longer in found) and (korean := keys.korean_for(run)):
                found[run] = korean[:MAX_PER_WORD]
        for token in tokens:
            if token.tag == "NNP" and has_hangul(token.text) and token.text not in excluded:
                keys = keys or self.name_keys(reader)
                if english := keys.english_for(token.text)[:MAX_PER_WORD]:
                    found[token.text] = english
        return found

    def name_keys(self, reader) -> NameKeys:
        """The skeletons of the index's words, built on the first name asked of a commit and shared
        by every thread searching it (keyed by reader, each server thread's first Korean name
        waited 2.7 s at 20k documents, and again after each reindex)."""
        return self._names.of(reader)

    def _name_keys_of(self, reader) -> NameKeys:
        body = reader.schema["body"]
        return NameKeys(
            (body.from_bytes(word) for word in reader.lexicon("body")), is_word=self.lexicon.lists
        )


def american(stem: str) -> str:
    """The American spelling of a British English stem (``labour`` → ``labor``), or the stem."""
    return AMERICAN.sub(r"\1or", stem)


def _loose(tree: wq.Query) -> bool:
    """Whether ``tree`` is loose words only, which the bridge extends: no phrase, operator or
    wildcard, and no word scoped to titles (``title:Geneva``) — those keep their exact meaning."""
    nodes = [tree, *tree.children()] if tree.is_leaf() is False else [tree]
    while nodes:
        node = nodes.pop()
        if type(node) not in LOOSE_NODES:
            return False
        if not node.is_leaf():
            nodes.extend(node.children())
    fields = defaultdict(set)
    for node in tree.leaves():
        fields[node.fieldname].add(node.text)
    return fields["title"] <= fields["body"] and set(fields) <= {"title", "body"}


LOOSE_NODES = (LooseWords, wq.Or, wq.Term, Word, Pieces, wq.DisjunctionMax)


def _phrase(node: wq.Query) -> bool:
    """Whether ``node`` is a quoted phrase (in the title and the body, as the parser makes it)."""
    return (
        all(type(leaf) is wq.Phrase for leaf in node.leaves())
        if not node.is_leaf()
        else type(node) is wq.Phrase
    )


def _texts(node: wq.Query) -> frozenset[str]:
    """The words of ``node``'s terms and phrases."""
    leaves = [node] if node.is_leaf() else node.leaves()
    words = (
        word for leaf in leaves for word in getattr(leaf, "words", None) or [getattr(leaf, "text", None)]
    )
    return frozenset(word for word in words if isinstance(word, str))


def _useful(reader, translation: str) -> bool:
    """Whether the index holds every term of ``translation``, none of them in most documents."""
    limit = max(COMMON_SHARE * reader.doc_count_all(), COMMON_MIN_DOCS)
    frequencies = [reader.doc_frequency("body", term) for term in translation.split()]
    return all(0 < df <= limit for df in frequencies)


def _group(translations: list[str], weight: float, source: str = "") -> wq.Query:
    """The translations (of ``source``) as one synonym group in the body and, less, in the title."""
    fields = [
        SynonymGroup([_member(name, t) for t in translations], boost=boost, source=source)
        for name, boost in WORD_FIELDS.items()
    ]
    return wq.Or(fields, boost=weight)


def _member(fieldname: str, translation: str) -> wq.Query:
    terms = [wq.Term(fieldname, term) for term in translation.split()]
    return terms[0] if len(terms) == 1 else Word(terms)


def query_language(typed: Sequence[str]) -> str | None:
    """``ko`` or ``en`` when every typed word is of one script (numbers aside), else None."""
    scripts = {has_hangul(word) for word in typed if not word.isdigit()}
    return None if len(scripts) != 1 else "ko" if scripts.pop() else "en"


def with_other_language(ranked: list, language_of: Callable[[object], str], query_lang: str | None) -> list:
    """``ranked`` with the best hits of the other language than the query's at the OTHER_SLOTS
    ranks, so a first page shows both languages, and the query's own language at the others.

    Translations score below typed words, so in a mixed index the other language rarely reaches
    the first page by score alone (measured: 10 % of the top 10 at weight 0.5); and when the
    rerank's proximity of the translations lifts it above the typed words (`labor policy` over
    the seeds with the English 000 deleted: the Korean 002 first), the same-language best still
    leads, as the issue asks.  Each language keeps its own order; with hits of one language only,
    the order is unchanged.
    """
    if query_lang is None:
        return ranked
    other, head_size = OTHER_LANGUAGE[query_lang], max(OTHER_SLOTS) + 1
    own: list[int] = []
    others: list[int] = []
    for i, hit in enumerate(ranked):  # the first head_size of each language at most fill the head
        (others if language_of(hit) == other else own).append(i)
        if len(own) >= head_size and len(others) >= head_size:
            break
    if not own or not others:
        return ranked
    head: list[int] = []
    for rank in range(head_size):
        pool = others if rank in OTHER_SLOTS else own
        pool = pool or own or others  # one language used up: the other fills the page
        if not pool:
            break
        head.append(pool.pop(0))
    taken = set(head)
    return [ranked[i] for i in head] + [hit for i, hit in enumerate(ranked) if i not in taken]
