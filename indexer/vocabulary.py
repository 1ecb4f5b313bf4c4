"""The words of one index commit, for typo and initials lookups (``FuzzyIndex``, ``ChoseongIndex``).

Built from the ``words`` field's lexicon (``indexer.surface``) when a search of a commit first needs
it, then shared by the threads searching it (``storage.CommitCache``, keyed by the commit's segments): a
reindex's new words are there as soon as a search reads the new commit.  The lexicon still counts
documents deleted since their segment was written, so every word found is checked against the
caller's searcher's live postings before it is offered (``live``).  Imports ``fuzzy``.
"""

from __future__ import annotations

from collections import Counter

from indexer.fuzzy import ENGLISH, Candidate, ChoseongIndex, FuzzyIndex

FIELD = "words"
LOOKUP_DEPTH = 10  # nearest candidates looked at before the live check drops deleted ones


class Vocabulary:
    """The surface words of a searcher's commit (Korean and English), with their document frequencies."""

    def __init__(self, reader) -> None:
        # Segment by segment, their counts summed: a multi-segment reader merges each term's info
        # across segments first, which took four times as long.
        frequency: Counter[str] = Counter()
        if FIELD in reader.schema:
            for segment, _ in reader.leaf_readers():
                for text, info in segment.iter_field(FIELD):
                    frequency[reader.schema[FIELD].from_bytes(text)] += info.doc_frequency()
        self._frequency = frequency
        pairs = list(frequency.items())
        self._fuzzy = (FuzzyIndex(pairs), FuzzyIndex(pairs, ENGLISH))
        self._initials = ChoseongIndex(pairs)

    def __len__(self) -> int:
        return len(self._frequency)

    def frequency(self, word: str) -> int:
        """How many documents hold ``word``, those deleted since their segment was written included."""
        return self._frequency.get(word, 0)

    def live(self, searcher, word: str) -> bool:
        """Whether a document not deleted holds ``word`` as a surface word."""
        if not self._frequency.get(word):
            return False
        return searcher.postings(FIELD, word).is_active()

    def nearest(self, searcher, word: str, limit: int = 1) -> list[Candidate]:
        """The live words a few keystrokes from ``word`` (not ``word`` itself) at the nearest distance
        found, the most frequent first: a Korean word's, or an English one's as
        ``analysis.latin_surface`` writes it."""
        found = [candidate for index in self._fuzzy for candidate in index.lookup(word, limit=LOOKUP_DEPTH)]
        live = [c for c in found if c.term != word and self.live(searcher, c.term)]
        return [c for c in live if c.distance == live[0].distance][:limit]

    def by_initials(self, searcher, initials: str, limit: int) -> list[tuple[str, int]]:
        """(word, frequency) of the live words these initials spell, most frequent first; words they
        begin when none spells them whole."""
        for prefix in (False, True):
            found = self._initials.lookup(initials, limit=limit + LOOKUP_DEPTH, prefix=prefix)
            live = [(word, frequency) for word, frequency in found if self.live(searcher, word)][:limit]
            if live:
                return live
        return []
