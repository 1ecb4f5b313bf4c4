"""English did-you-mean: an English word found in no document, and the nearest one that is.

Candidates are indexed stems within one or two edits of the typed word or of its stem (a
misspelling can stem oddly: ``artifical`` → ``artif``); the winner is written as the documents
write it, the spelling closest to what was typed.  ``forgive`` decides which words of a query are
looked up.  Imports ``positions`` and ``scoring``.
"""

from __future__ import annotations

from whoosh.support.levenshtein import distance

from indexer.positions import characters_before
from indexer.scoring import MAX_MATCH_CHARS

CANDIDATES = 8  # nearest stems whose spellings are compared
SPELLING_DOCS = 2  # documents read for how they spell a stem


def max_distance(word: str) -> int:
    """Edits a did-you-mean may be from the word typed: one for short words, two for longer."""
    return 1 if len(word) <= 4 else 2


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
    maxdist = max_distance(typed)
    candidates = {
        candidate
        for text in {terms[0], typed}
        for candidate in reader.terms_within("body", text, maxdist, prefix=1)
    }
    # The stem last: candidates is a set, and two as near and as frequent must not be ordered by
    # its hash order (which changes with each process: the same query read two ways).
    ranked = sorted(
        candidates,
        key=lambda c: (min(distance(c, terms[0]), distance(c, typed)), -reader.doc_frequency("body", c), c),
    )
    # Each spelling with the rank of its stem: of two as near to what was typed, the more frequent.
    found = {
        spelling: rank
        for rank, candidate in reversed(list(enumerate(ranked[:CANDIDATES])))
        for spelling in spellings(searcher, candidate)
    }
    if not found:
        return None
    best = min(found, key=lambda spelling: (distance(spelling, typed), found[spelling], spelling))
    return best.capitalize() if word[:1].isupper() else best


def spellings(searcher, term: str) -> set[str]:
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
