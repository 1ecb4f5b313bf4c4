"""Forgiving search: what a query's words were probably meant to be, and how much to trust that.

Each distinct plain word of the query (not a phrase's, an operator, a field, a wildcard, a signed
word, a number, an acronym or a run of capitalised words such as ``Kim Young-hoon``) that finds
nothing in the index is read as the nearest word that does:

    Korean typo         고용노동뷰 → 고용노동부, by keyboard-aware keystroke distance over the index's
                        surface words (``vocabulary``); a particle after it is kept (…뷰는 → …부는)
    English typo        labr → labor, wmma → emma: one edit anywhere over the index's English words
                        (``vocabulary``), else two after the first letter (``suggest.nearest_word``)
    한/영 slip           rhdyd → 고용, dkssud → 안녕 (typed in English mode: a word of the index or of
                        Kiwi's dictionary), ㅗ디ㅣㅐ → hello (typed in Korean mode)
    initials            ㄱㅇㄴㄷㅂ → 고용노동부 and the next most frequent words with those initials

A capitalised word that the index holds rarely gets a one-edit name variant it holds more often
(Hounbo → Houngbo), searched beside it.  Each reading is a ``Variant`` searched *beside* the typed
word at a weight below 1 (below the exact word's, so an exact hit wins), and the query rewritten with
them is offered as the did-you-mean.  At most MAX_CORRECTED distinct words are looked up per query.
Imports ``analysis``, ``morphemes``, ``query``, ``storage``, ``suggest``, ``surface``, ``vocabulary``
and the Hangul toolkit: ``fuzzy``, ``jamo`` and ``keyboard``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh.support.levenshtein import distance

from indexer import suggest
from indexer.analysis import ENGLISH_STOPWORDS, QUESTION_WORDS, latin_surface, latin_term
from indexer.fuzzy import ENGLISH_MIN_LETTERS, Candidate, edit_budget
from indexer.jamo import choseong_query, is_syllable, keystrokes
from indexer.keyboard import hangul_to_latin, is_korean_slip, latin_to_hangul
from indexer.morphemes import is_dictionary_word
from indexer.query import EDGE_PUNCTUATION, OPERATORS
from indexer.storage import CommitCache
from indexer.surface import MIN_SYLLABLES, surface_words
from indexer.vocabulary import Vocabulary

MAX_CORRECTED = 8  # distinct words looked up per query (each reads the vocabulary near it)
INITIALS_CANDIDATES = 5  # words searched for one word of initials, the most frequent first
ENGLISH_CANDIDATES = 3  # words one edit from an English typo searched (dabs: days, dams, labs)
MIN_SHARE = 0.2  # the least weight a candidate's frequency share gives it, beside the most frequent's
NAME_WEIGHT = 0.5  # a name variant (Houngbo for Hounbo) counts half as much as the name typed
NAME_MIN_LETTERS = 5  # shorter capitalised words have too many one-edit neighbours (Lee, Lea)
NAME_RUN_MIN_LETTERS = 4  # an unknown word of a name run shorter than this is a name (Kim), not a typo
UNINDEXED = ENGLISH_STOPWORDS | QUESTION_WORDS
SYNTAX = re.compile(r'["*?~^:()\[\]{}]')  # a token holding these is query syntax, never corrected

HANGUL_WORD = re.compile(r"[\u3131-\u318e\uac00-\ud7a3]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


@dataclass(frozen=True)
class Variant:
    text: str  # searched beside the word typed
    weight: float  # its terms' boost, below the typed word's 1


@dataclass
class Forgiveness:
    """What forgiving search read a query as."""

    variants: dict[str, list[Variant]] = field(default_factory=dict)  # typed word → searched beside it
    corrected: dict[str, str] = field(default_factory=dict)  # a word that found nothing → read as
    typed_in: str | None = None  # "english-mode" / "korean-mode": a 한/영 slip was read
    suggestion: str | None = None  # the query with its best readings, for did-you-mean
    searched: str = ""  # the query as searched: each word replaced by its best reading

    def parser_variants(self) -> dict[str, list[tuple[str, float]]]:
        return {word: [(v.text, v.weight) for v in found] for word, found in self.variants.items()}


def correctable_words(query: str) -> dict[str, bool]:
    """The query's plain words that forgiving search may read otherwise, each distinct one once, and
    whether it stands in a run of capitalised words (a name)."""
    tokens = list(re.finditer(r"\S+", query))
    # Title-case words (not acronyms or operators) side by side are a name: Kim Young-hoon.
    capitalised = [t.group()[:1].isupper() and not t.group().isupper() for t in tokens]
    words: dict[str, bool] = {}
    in_phrase = False
    for i, token in enumerate(tokens):
        raw = token.group()
        quoted = in_phrase or '"' in raw
        in_phrase ^= raw.count('"') % 2 == 1
        text = raw.strip(EDGE_PUNCTUATION)
        in_name_run = capitalised[i] and (
            (i > 0 and capitalised[i - 1]) or (i + 1 < len(tokens) and capitalised[i + 1])
        )
        if (
            quoted
            or not text
            or SYNTAX.search(text)
            or text[0] in "+-"
            or text in OPERATORS
            or any(char.isdigit() for char in text)
            or (text.isupper() and len(text) > 1)  # IKORP, ILO: acronyms
            or not (HANGUL_WORD.fullmatch(text) or LATIN_WORD.fullmatch(text))
        ):
            continue
        words.setdefault(text, bool(in_name_run))
    return words


class Forgiver:
    """Readings of unknown words against one commit (its searcher, parser and surface words)."""

    def __init__(self, searcher, parser, analyzer, vocabularies: CommitCache[Vocabulary]) -> None:
        self._searcher = searcher
        self._parser = parser
        self._analyzer = analyzer
        self._vocabularies = vocabularies

    @property
    def vocabulary(self) -> Vocabulary:
        """The commit's surface words, built when a search of it first needs them."""
        return self._vocabularies.of(self._searcher.reader())

    def forgive(self, query: str, searched: bool = True) -> Forgiveness:
        """The readings of the query's unknown words; with ``searched`` False only the did-you-mean
        (the query is then searched as typed)."""
        readings: dict[str, list[Variant]] = {}
        corrected: dict[str, str] = {}
        typed_in = None
        words = correctable_words(query)
        if len(words) > 1 and (initials := choseong_query(query)) and (whole := self._initials(initials)):
            # ㅅㅇ ㄱㅇㅅㅌ: the initials of one compound (서울고용센터) typed with its parts apart
            readings, corrected = {next(iter(words)): whole}, {query.strip(): whole[0].text}
            words = {}
        looked_up = 0
        for word, in_name_run in words.items():
            if looked_up == MAX_CORRECTED:
                break
            found = self._read(word, in_name_run)
            if found is None:
                continue
            looked_up += 1
            if not found[0]:
                continue
            variants, mode, replaces = found
            readings[word] = variants
            if replaces:
                corrected[word] = variants[0].text
            typed_in = typed_in or mode
        shown = _rewritten(query, {word: variants[0].text for word, variants in readings.items()} | corrected)
        suggestion = shown if shown != query else None
        if not searched:
            return Forgiveness(suggestion=suggestion, searched=query)
        return Forgiveness(readings, corrected, typed_in, suggestion, _rewritten(query, corrected))

    def _read(self, word: str, in_name_run: bool) -> tuple[list[Variant], str | None, bool] | None:
        """(variants, keyboard mode, whether they replace a word that finds nothing), empty when none
        was found; None when the word was not looked up (it is found as typed, or is a stopword).  A word
        of a capitalised run (a name: Kim Young-hoon) is only read when it finds nothing and is long
        enough not to be a short name (Kim)."""
        if HANGUL_WORD.fullmatch(word):
            if initials := choseong_query(word):
                return self._initials(initials), None, True
            if not all(map(is_syllable, word)):  # lone letters: ㅗ디ㅣㅐ is hello typed in Korean mode
                return self._latin_slip(word), "korean-mode", True
        if not any(True for _ in self._analyzer(word, mode="query")):
            return None  # a stopword
        if self._finds(word):
            may_be_name = word[:1].isupper() and len(word) >= NAME_MIN_LETTERS and not in_name_run
            return (self._name_variant(word), None, False) if may_be_name else None
        if in_name_run and len(word) < NAME_RUN_MIN_LETTERS:
            return None
        if HANGUL_WORD.fullmatch(word):
            return self._korean_typo(word), None, True
        if is_korean_slip(word) and self._is_korean(hangul := latin_to_hangul(word)):
            return [Variant(hangul, 1.0)], "english-mode", True
        return self._english_typo(word), None, True

    def _is_korean(self, hangul: str) -> bool:
        """Whether a 한/영 slip's Hangul reading is a word: one the index finds, or one of Kiwi's
        dictionary of two syllables or more (안녕, an interjection, is no index word; 디 is no reading)."""
        return self._finds(hangul) or (len(hangul) >= MIN_SYLLABLES and is_dictionary_word(hangul))

    def _english_typo(self, word: str) -> list[Variant]:
        """The ENGLISH_CANDIDATES most frequent words one edit from ``word`` (the first letter too: wmma →
        wbma, emma), weighted by their frequency share, else the nearest up to two edits after its first
        letter (``suggest``), spelt as the documents spell it; the first is the did-you-mean."""
        typed = latin_surface(word)
        near = (
            self.vocabulary.nearest(self._searcher, typed, ENGLISH_CANDIDATES)
            if len(typed) >= ENGLISH_MIN_LETTERS
            else []
        )
        if not near and (found := suggest.nearest_word(self._searcher, self._analyzer, word)):
            near = [Candidate(found.lower(), distance(found.lower(), typed), 1)]
        if not near or latin_term(near[0].term) is None:
            return []  # none, or a stopword: nothing to search
        edits = near[0].distance
        if any(distance(typed, stopword) <= edits for stopword in UNINDEXED):
            return []  # Whaat is What, not Wheat: a word the index leaves out is as near
        possessive = word[len(word.removesuffix("'s").removesuffix("’s")) :]
        trust = _trust(edits, suggest.max_distance(word))
        return [
            Variant(
                (c.term.capitalize() if word[:1].isupper() else c.term) + possessive,
                trust * _share(c.frequency, near[0].frequency),
            )
            for c in near
        ]

    def _finds(self, word: str) -> bool:
        """Whether the word, searched as the parser searches it, matches a document in title or body."""
        return any(
            self._parser.term_query(fieldname, word, self._parser.termclass)
            .matcher(self._searcher)
            .is_active()
            for fieldname in ("body", "title")
        )

    def _korean_typo(self, word: str) -> list[Variant]:
        """The nearest surface word to the word, or to its noun stem with the particle kept."""
        stems = [run for run in surface_words(word) if word.startswith(run)][:1]
        best = None
        for typed in dict.fromkeys([word, *stems]):
            nearest = next(iter(self.vocabulary.nearest(self._searcher, typed)), None)
            if nearest and (
                best is None
                or (nearest.distance, -nearest.frequency) < (best[1].distance, -best[1].frequency)
            ):
                best = (typed, nearest)
        if best is None:
            return []
        typed, nearest = best
        budget = edit_budget(len(keystrokes(typed)))
        return [Variant(nearest.term + word[len(typed) :], _trust(nearest.distance, budget))]

    def _initials(self, initials: str) -> list[Variant]:
        found = self.vocabulary.by_initials(self._searcher, initials, INITIALS_CANDIDATES)
        if not found:
            return []
        top = found[0][1]
        return [Variant(word, _share(frequency, top)) for word, frequency in found]

    def _latin_slip(self, word: str) -> list[Variant]:
        latin = hangul_to_latin(word)
        return [Variant(latin, 1.0)] if LATIN_WORD.fullmatch(latin) and self._finds(latin) else []

    def _name_variant(self, word: str) -> list[Variant]:
        """Hounbo → Houngbo: a capitalised word's one-edit neighbour that more documents hold (the most
        frequent of the vocabulary's, written as the documents write it)."""
        if not word[:1].isupper() or len(word) < NAME_MIN_LETTERS:
            return []
        typed = latin_surface(word)
        own = self.vocabulary.frequency(typed)
        more = [c for c in self.vocabulary.nearest(self._searcher, typed) if c.frequency > own]
        return [Variant(more[0].term.capitalize(), NAME_WEIGHT)] if more else []


def _share(frequency: int, top: int) -> float:
    """A candidate's weight beside the most frequent one's: its share of that frequency, at least
    MIN_SHARE (the other words of the query, not frequency alone, tell which was meant)."""
    return max(frequency / top, MIN_SHARE)


def _trust(edits: float, budget: int) -> float:
    """A reading's weight: 1 for no edit, falling with the share of the edit budget it used."""
    return 1 - edits / (budget + 1)


def _rewritten(query: str, readings: dict[str, str]) -> str:
    """The query with each read word replaced where it stands alone (its punctuation kept)."""
    if not readings:
        return query
    pattern = re.compile(
        r"(?<!\S)(["
        + re.escape(EDGE_PUNCTUATION)
        + r"]*)("
        + "|".join(re.escape(word) for word in sorted(readings, key=len, reverse=True))
        + r")(?=["
        + re.escape(EDGE_PUNCTUATION)
        + r"]*(?!\S))"
    )
    return pattern.sub(lambda m: m.group(1) + readings[m.group(2)], query)
