"""The Korean words of one index commit, for typo and initials lookups (``FuzzyIndex``, ``ChoseongIndex``).

Built from the ``words`` field's lexicon (``indexer.surface``) when a search of the commit first needs
it, then kept with the commit's searcher: a reindex's new words are there as soon as the engine opens
the new commit.  The lexicon still counts documents deleted since their segment was written, so every
word found is checked against the live postings before it is offered (``live``).  Imports ``fuzzy``.
"""

from __future__ import annotations

from indexer.fuzzy import Candidate, ChoseongIndex, FuzzyIndex

FIELD = "words"
LOOKUP_DEPTH = 10  # nearest candidates looked at before the live check drops deleted ones


class Vocabulary:
    """The surface words of a searcher's commit, with their document frequencies."""

    def __init__(self, searcher) -> None:
        self._searcher = searcher
        reader = searcher.reader()
        pairs = (
            [
                (reader.schema[FIELD].from_bytes(text), info.doc_frequency())
                for text, info in reader.iter_field(FIELD)
            ]
            if FIELD in reader.schema
            else []
        )
        self._frequency = dict(pairs)
        self._fuzzy = FuzzyIndex(pairs)
        self._initials = ChoseongIndex(pairs)

    def __len__(self) -> int:
        return len(self._frequency)

    def live(self, word: str) -> bool:
        """Whether a document not deleted holds ``word`` as a surface word."""
        if not self._frequency.get(word):
            return False
        return self._searcher.postings(FIELD, word).is_active()

    def nearest(self, word: str) -> Candidate | None:
        """The live word a few keystrokes from ``word`` (not ``word`` itself), nearest then most frequent."""
        found = self._fuzzy.lookup(word, limit=LOOKUP_DEPTH)
        return next((c for c in found if c.term != word and self.live(c.term)), None)

    def by_initials(self, initials: str, limit: int) -> list[tuple[str, int]]:
        """(word, frequency) of the live words these initials spell, most frequent first; words they
        begin when none spells them whole."""
        for prefix in (False, True):
            found = self._initials.lookup(initials, limit=limit + LOOKUP_DEPTH, prefix=prefix)
            live = [(word, frequency) for word, frequency in found if self.live(word)][:limit]
            if live:
                return live
        return []
