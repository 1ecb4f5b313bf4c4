"""Bilingual analysis: Korean content morphemes (Kiwi) and English stems (Snowball) as one token stream.

Modelled on ``whoosh.analysis``: a tokenizer and small filters composed with ``|``.  Every token keeps
``startchar``/``endchar`` into the (NFC) text it came from, so highlights mark the exact surface word.

    BilingualTokenizer()    lines with Hangul go to Kiwi whole (so ``AI를`` stays ``AI`` + ``를``), but
                            their Latin (Cyrillic, Greek …) runs are split into words by the regex other
                            lines are: Kiwi sees each run as one token and cuts no word.  Each token
                            carries a ``tag``.
    | HanjaReadingFilter()  a Hanja word's Hangul reading beside it, in the index only (``勞動`` → ``노동``).
    | CompoundPartsFilter() Hangul noun runs of 3+ syllables also yield their 2-syllable pieces at the
                            same position (``국제노동기구`` → ``국제``, ``노동``, ``기구`` …), like Nori's
                            ``decompound_mode: mixed``.
    | ContentFilter()       keeps content morphemes, verb/adjective stems as lemmas; drops particles,
                            endings and punctuation.
    | LatinFilter()         lowercase, possessive strip, stopwords, PyStemmer English stem.
    | PositionFilter()      numbers the kept tokens so phrases ignore dropped particles.

The analyzer is pickled into the Whoosh schema, so it holds no Kiwi or stemmer object: both live in
module-level caches, created once per process (Kiwi in ``morphemes``, which finds the words).
Imports ``hanja``, ``morphemes`` and ``spelling``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache, lru_cache

import Stemmer
from whoosh.analysis import Filter, Token, Tokenizer

from indexer.hanja import HanjaReadingFilter, reading_aliases
from indexer.morphemes import HANGUL_RUN, HANGUL_SYLLABLES, LEMMA_TAGS, Span, bilingual_spans, nfc
from indexer.spelling import canonical_spelling, fold_accents

# Kiwi tags kept as index terms (Sejong tag set as used by Kiwi).
NOUN_TAGS = frozenset({"NNG", "NNP", "NNB", "NR", "NP", "XR"})
OTHER_CONTENT_TAGS = frozenset({"SN", "SH", "SL", "WORD"})  # numbers, Hanja, Latin, regex words
CONTENT_TAGS = NOUN_TAGS | LEMMA_TAGS | OTHER_CONTENT_TAGS  # LEMMA_TAGS: verbs and adjectives
# Tags that may form one compound with their neighbours (노동+권 for 노동권).
COMPOUND_TAGS = NOUN_TAGS | {"XPN", "XSN"}
LATIN_TAGS = frozenset({"SL", "WORD"})

# Whoosh's English stop list minus "us" and "it" (US$, IT) — both are real query terms here —
# plus auxiliaries and pronouns that questions are full of (measured: squad nDCG@10 +0.004).
ENGLISH_STOPWORDS = frozenset(
    "a an and are as at be by can for from have if in is may of on or s t that the this to "
    "we when will with yet you your "
    "about also been being did do does had has into its so some than their them then there "
    "these they those was were".split()
)
# Question words carry no topic, yet are rare enough in documents to outscore real terms
# ("Who had the best record?" met sentences saying "who"). Written in capitals they stay: WHO.
QUESTION_WORDS = frozenset("what which who whom whose where why how".split())


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


class SpanTokenizer(Tokenizer):
    """Whoosh's tokenizer protocol over ``spans()``: the text is NFC-normalised, then each span
    becomes a Token with exact offsets.  Subclasses only say where their words are."""

    def spans(self, value: str) -> Iterable[Span]:
        raise NotImplementedError

    def normalized_spans(self, value: str) -> Iterable[Span]:
        """The spans of ``value`` NFC-normalised, as the tokens carry them."""
        return self.spans(nfc(value))

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        value = nfc(value)
        # What Token(...) would set, built once: each token then takes one dict (a third of the
        # cost of Token's keyword handling, for every word of every document).
        common = vars(Token(positions, chars, removestops=removestops, mode=mode, **kwargs))
        common.update(boost=1.0, stopped=False, piece=False)
        for pos, (start, end, text, tag) in enumerate(self.spans(value), start=start_pos):
            token = Token.__new__(Token)
            token.__dict__ = {
                **common,
                "text": text,
                "tag": tag,
                "pos": pos,
                "startchar": start_char + start,
                "endchar": start_char + end,
            }
            if keeporiginal:
                token.original = value[start:end]
            yield token


class BilingualTokenizer(SpanTokenizer):
    """Kiwi morphemes for lines with Hangul, regex words for the rest; all with exact offsets."""

    def spans(self, value: str) -> Iterable[Span]:
        return bilingual_spans(value)


def compound_pieces(word: str) -> list[str]:
    """The overlapping 2-syllable pieces of a Hangul word of 3+ syllables (else none)."""
    if len(word) < 3 or not HANGUL_SYLLABLES.match(word):
        return []
    return [word[i : i + 2] for i in range(len(word) - 1)]


class CompoundPartsFilter(Filter):
    """Add the 2-syllable pieces of each Hangul noun run at the position of the token they start in.

    Kiwi splits the same compound differently in context and alone (서울고용센터, 노동+권 vs 노동권),
    so the pieces are taken over the whole run of touching noun morphemes: document and query then
    share them whichever way Kiwi cut.  Pieces are made at index time, and in the ``expand`` query
    mode the search module uses; Whoosh's phrase parser (mode ``query``) sees only whole words.
    """

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        run: list[Token] = []
        for token in tokens:
            if token.mode not in ("index", "expand"):
                yield token
                continue
            if token.tag in COMPOUND_TAGS and (not run or run[-1].endchar == token.startchar):
                run.append(token)
                continue
            yield from self._flush(run)
            if token.tag in COMPOUND_TAGS:
                run = [token]
            else:
                run = []
                yield token
        yield from self._flush(run)

    @staticmethod
    def _flush(run: list[Token]) -> Iterator[Token]:
        if not run:
            return
        for token, pieces in zip(
            run, run_pieces([(t.startchar, t.endchar, t.text) for t in run]), strict=True
        ):
            yield token
            for text, start in pieces:
                piece = token.copy()
                piece.text, piece.tag, piece.piece = text, "PIECE", True
                piece.startchar, piece.endchar = start, start + 2
                yield piece


def run_pieces(run: list[tuple[int, int, str]]) -> list[list[tuple[str, int]]]:
    """For each (start, end, text) of a run of touching noun morphemes, the (piece, start) of the
    2-syllable pieces of the run that start in it and are no morpheme of the run already; none when
    Kiwi restored letters (the morphemes' texts are not the surface)."""
    word = "".join(text for _, _, text in run)
    surface_ok = sum(end - start for start, end, _ in run) == len(word)
    pieces = compound_pieces(word) if surface_ok else []
    whole = {(start, text) for start, _, text in run}
    start = run[0][0]
    owner = 0
    owned: list[list[tuple[str, int]]] = []
    for _, end, _ in run:
        mine = []
        while owner < len(pieces) and start + owner < end:
            if (start + owner, pieces[owner]) not in whole:
                mine.append((pieces[owner], start + owner))
            owner += 1
        owned.append(mine)
    return owned


class ContentFilter(Filter):
    """Keep content morphemes (nouns, verb/adjective lemmas, numbers, Latin, Hanja) and pieces."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        for token in tokens:
            if token.piece or token.tag in CONTENT_TAGS:
                yield token


@lru_cache(maxsize=200_000)  # words repeat (Zipf): most lookups skip the string work and the stemmer
def latin_term(word: str) -> str | None:
    """The index term of a Latin word: lowercased, possessive, apostrophes, a joined prefix's hyphen
    and accents gone, spelt American (labour → labor, Beyoncé → beyonce), stemmed; None for a
    stopword."""
    term = _bare(word)
    if term in ENGLISH_STOPWORDS or (term in QUESTION_WORDS and not word.isupper()):
        return None
    return _stemmer().stemWord(canonical_spelling(fold_accents(term)))


@lru_cache(maxsize=200_000)  # every Latin word of every document, for the words field
def latin_surface(word: str) -> str:
    """A Latin word as written, for forgiving search's vocabulary: lowercased, possessive, apostrophes,
    a joined prefix's hyphen and accents gone (Beyoncé's → beyonce), neither respelt nor stemmed."""
    return fold_accents(_bare(word))


def _bare(word: str) -> str:
    term = word.lower()
    for suffix in ("'s", "’s"):
        term = term.removesuffix(suffix)
    return term.replace("'", "").replace("’", "").replace("-", "")


class LatinFilter(Filter):
    """One English path for Latin words from English text and from Kiwi (``ILO와`` → ``ilo``)."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        for token in tokens:
            if token.tag in LATIN_TAGS:
                term = latin_term(token.text)
                if term is None:
                    continue
                token.text = term
            elif token.tag == "SH":
                token.text = token.text.lower()
            yield token


class PositionFilter(Filter):
    """Number kept tokens 0, 1, 2 …; pieces share the position of the word they belong to."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        pos = -1
        for token in tokens:
            if not token.piece:
                pos += 1
            token.pos = max(pos, 0)
            yield token


def make_analyzer():
    """The one analyzer used for documents and queries alike."""
    return (
        BilingualTokenizer()
        | HanjaReadingFilter()
        | CompoundPartsFilter()
        | ContentFilter()
        | LatinFilter()
        | PositionFilter()
    )


Occurrence = tuple[str, int, int, int]  # (term, position, startchar, endchar) of one indexed term


def index_terms(value: str) -> list[Occurrence]:
    """What ``make_analyzer()`` yields for ``value`` in index mode, as tuples instead of Tokens.

    A document's title and body are indexed through this (``schema.MorphemeField``): the same
    terms at the same positions and characters, in the same order (tests/test_analysis.py compares
    both on the corpora), for a third of the filters' CPU.  It runs the filters' steps in their
    order: each span, then its Hanja readings (read off the word as the filters after
    ``HanjaReadingFilter`` left it), through the compound runs, the content tags, the Latin terms
    and the positions.
    """
    occurrences: list[Occurrence] = []
    pos = -1
    run: list[Span] = []

    def keep(start: int, end: int, text: str, tag: str, piece: bool) -> str:
        nonlocal pos
        if not piece and tag not in CONTENT_TAGS:
            return text
        if tag in LATIN_TAGS:
            term = latin_term(text)
            if term is None:
                return text
            text = term
        elif tag == "SH":
            text = text.lower()
        if not piece:
            pos += 1
        occurrences.append((text, max(pos, 0), start, end))
        return text

    def flush() -> None:
        for (start, end, text, tag), pieces in zip(run, run_pieces([r[:3] for r in run]), strict=True):
            keep(start, end, text, tag, False)
            for piece, piece_start in pieces:
                keep(piece_start, piece_start + 2, piece, "PIECE", True)

    def step(start: int, end: int, text: str, tag: str, piece: bool) -> str:
        nonlocal run
        if tag in COMPOUND_TAGS and (not run or run[-1][1] == start):
            run.append((start, end, text, tag))
            return text
        if run:
            flush()
        if tag in COMPOUND_TAGS:
            run = [(start, end, text, tag)]
            return text
        run = []
        return keep(start, end, text, tag, piece)

    for start, end, text, tag in bilingual_spans(nfc(value)):
        seen = step(start, end, text, tag, False)
        for alias in reading_aliases(seen, start):
            step(*alias, True)
    if run:
        flush()
    return occurrences


class HangulBigramTokenizer(SpanTokenizer):
    """Overlapping 2-syllable grams of every Hangul run (a lone syllable stays whole), as Lucene's
    CJKAnalyzer makes them: a view of Korean text that does not depend on where Kiwi cuts words,
    indexed beside the morphemes as a second field (other scripts yield nothing)."""

    def spans(self, value: str) -> Iterator[Span]:
        for run in HANGUL_RUN.finditer(value):
            word = run.group()
            for i in range(max(len(word) - 1, 1)):
                gram = word[i : i + 2]
                yield run.start() + i, run.start() + i + len(gram), gram, "GRAM"


def make_bigram_analyzer() -> HangulBigramTokenizer:
    return HangulBigramTokenizer()
