"""Did-you-mean: an English word found in no document, replaced by the nearest one that is.

Candidates are indexed stems within one or two edits of the typed word or of its stem (a
misspelling can stem oddly: ``artifical`` → ``artif``); the winner is written as the documents
write it, the spelling closest to what was typed.  Each distinct word is looked up once, and at
most MAX_CORRECTED of them: a query repeating an unknown word a hundred times costs what it costs
once ("Colege " × 142 took 7–8 s).  Imports ``query`` and ``scoring``.
"""

from __future__ import annotations

import re

from whoosh.support.levenshtein import distance

from indexer.query import OPERATORS
from indexer.scoring import MAX_MATCH_CHARS, characters_before

# An English word of a query, not a field name or value (title:x); did-you-mean corrects these.
LATIN_WORD = re.compile(r"(?<![\w':])[A-Za-z][A-Za-z']*(?![\w':])")
MAX_CORRECTED = 8  # distinct words looked up (each reads the vocabulary near it)
CANDIDATES = 8  # nearest stems whose spellings are compared
SPELLING_DOCS = 2  # documents read for how they spell a stem


def suggestion(searcher, analyzer, query: str) -> str | None:
    """``query`` with each unknown English word corrected (None when every word is known)."""
    nearest: dict[str, str | None] = {}

    def fix(match: re.Match) -> str:
        word = match.group(0)
        if word not in nearest:
            known = word in OPERATORS or len(nearest) >= MAX_CORRECTED
            nearest[word] = None if known else nearest_word(searcher, analyzer, word)
        return nearest[word] or word

    corrected = LATIN_WORD.sub(fix, query)
    return corrected if any(nearest.values()) else None


def nearest_word(searcher, analyzer, word: str) -> str | None:
    """The indexed word closest to an unknown ``word``, spelt as the documents spell it."""
    terms = [token.text for token in analyzer(word, mode="query")]
    reader = searcher.reader()
    if (
        len(word) < 3
        or len(terms) != 1
        or any(reader.doc_frequency(fieldname, terms[0]) for fieldname in ("body", "title"))
    ):
        return None
    typed = word.lower()
    maxdist = 1 if len(typed) <= 4 else 2
    candidates = {
        candidate
        for text in {terms[0], typed}
        for candidate in reader.terms_within("body", text, maxdist, prefix=1)
    }
    ranked = sorted(
        candidates,
        key=lambda c: (min(distance(c, terms[0]), distance(c, typed)), -reader.doc_frequency("body", c)),
    )
    spellings = set().union(*(_spellings(searcher, candidate) for candidate in ranked[:CANDIDATES]))
    if not spellings:
        return None
    best = min(spellings, key=lambda spelling: (distance(spelling, typed), spelling))
    return best.capitalize() if word[:1].isupper() else best


def _spellings(searcher, term: str) -> set[str]:
    """How the first few documents holding ``term`` (a stem) write it, lowercased."""
    postings = searcher.postings("body", term)
    spellings: set[str] = set()
    for _ in range(SPELLING_DOCS):
        if not postings.is_active():
            break
        body = searcher.stored_fields(postings.id())["body"]
        found = characters_before(postings, MAX_MATCH_CHARS)
        spellings.update(body[start:end].lower() for _, start, end in found)
        postings.next()
    return spellings
