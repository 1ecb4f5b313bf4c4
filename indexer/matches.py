"""A segment's matches as numpy arrays: a word's postings read whole from Whoosh's W3 leaf matcher
(a block at a time, not five method calls a posting), the deleted documents left out once, and a
ListMatcher over arrays that the scoring and the collector take whole.  Part of the scoring room
(``scoring``): reads the private attributes of Whoosh's W3 leaf matcher and of
``blocks.ArrayBlockMatcher`` (whoosh-reloaded is pinned for it); tests/test_scoring.py checks them
against Whoosh's own reading, also on indexes with several segments and deleted documents.
Imports ``blocks``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from weakref import WeakKeyDictionary

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import FilterMatcher, ListMatcher, Matcher, WrappingMatcher
from whoosh.reading import TermNotFound

from indexer.blocks import ArrayBlockMatcher

# A segment's matches: their document numbers (ascending, unique) and each one's score (or tf).
Scored = tuple[np.ndarray, np.ndarray]
NO_MATCHES: Scored = (np.zeros(0, dtype=np.intp), np.zeros(0))


def summed(parts: Iterable[Scored], size: int) -> Scored:
    """Each document's sum over ``parts`` (matches of one segment of ``size`` documents), kept in
    an array as long as the segment and added a part at a time, in order: each sum is the same
    float as one taken a document at a time."""
    total = np.zeros(size)
    matched = np.zeros(size, dtype=bool)
    for docnums, values in parts:
        total[docnums] += values
        matched[docnums] = True
    docnums = np.flatnonzero(matched)
    return docnums, total[docnums]


def raw_postings(matcher: Matcher) -> tuple[W3LeafMatcher | None, float, frozenset | set]:
    """The W3 leaf matcher under Whoosh's wrappers of one stored word's postings, with the boost
    a WrappingMatcher adds and the deleted documents a FilterMatcher hides (None: another kind).

    A term query's matcher is ``WrappingMatcher`` (boosted) around ``FilterMatcher`` (a segment
    with deleted documents) around the leaf; the fast paths read the leaf's blocks and must
    then skip the deleted documents themselves.  Every stored word's postings are such a leaf
    (Whoosh's one other kind, postings inlined in the term info, cannot be written by
    whoosh-reloaded 2.7.5); tests/test_scoring.py checks it on an index with deletions.
    """
    boost, deleted = 1.0, frozenset()
    if type(matcher) is WrappingMatcher:
        matcher, boost = matcher.child, matcher.boost
    if type(matcher) is FilterMatcher and matcher._exclude:
        matcher, deleted = matcher.child, matcher._ids
    return (matcher if isinstance(matcher, W3LeafMatcher) else None), boost, deleted


class ScoresMatcher(ListMatcher):
    """Whoosh's ListMatcher over arrays of documents and scores (``FlatOr``'s, a synonym group's),
    which ``listed_scores`` takes whole; the lists Whoosh's own steps read are made only if asked."""

    def __init__(self, docnums: np.ndarray, scores: np.ndarray) -> None:
        super().__init__([], [])
        self.arrays = docnums, scores
        self._lists: tuple[list, list] | None = None

    def _as_lists(self) -> tuple[list, list]:
        if self._lists is None:
            self._lists = self.arrays[0].tolist(), self.arrays[1].tolist()
        return self._lists

    @property
    def _ids(self) -> list[int]:
        return self._as_lists()[0]

    @_ids.setter
    def _ids(self, _) -> None:  # ListMatcher's __init__ sets it
        pass

    @property
    def _weights(self) -> list[float]:
        return self._as_lists()[1]

    @_weights.setter
    def _weights(self, _) -> None:
        pass

    def copy(self) -> ScoresMatcher:
        matcher = ScoresMatcher(*self.arrays)
        matcher._i = self._i
        return matcher


def listed_scores(matcher: Matcher) -> Scored | None:
    """The documents and scores left in a ``ScoresMatcher`` (``FlatOr``'s and the synonym groups'),
    taken from it at once, not a Python call a match (None: another matcher).  The matcher is
    used up."""
    if type(matcher) is not ScoresMatcher:
        return None
    start = matcher._i
    docnums, scores = matcher.arrays
    matcher._i = len(docnums)
    return docnums[start:], scores[start:]


def stored_leaf(reader, fieldname: str, text: str) -> W3LeafMatcher | None:
    """One segment's postings of a stored word, deleted documents included (None: it has none),
    found with one lookup of the word: ``doc_frequency`` and then ``postings`` look it up twice
    (each an MD5 of the key), and wrap the leaf to hide the deleted."""
    try:
        tbytes = reader._text_to_bytes(fieldname, text)
        return reader._terms.matcher(fieldname, tbytes, reader.schema[fieldname].format)
    except TermNotFound:
        return None


def leaf_postings(leaf: W3LeafMatcher) -> Scored:
    """The docnums and term frequencies (float64) of the leaf's postings from its position on,
    deleted documents included: an array block's straight from the file, another a block at a
    time."""
    if not leaf.is_active():
        return NO_MATCHES
    if isinstance(leaf, ArrayBlockMatcher):
        docnums, tfs = leaf.rest()
        return docnums.astype(np.intp), tfs.astype(np.float64)
    docnums, tfs = [], []
    while leaf.is_active():
        block_ids, block_tfs = block_postings(leaf)
        docnums.append(np.asarray(block_ids))
        tfs.append(np.asarray(block_tfs))
        leaf._next_block()
    return np.concatenate(docnums).astype(np.intp), np.concatenate(tfs).astype(np.float64)


def block_postings(leaf: W3LeafMatcher) -> tuple[Sequence[int], Sequence[float]]:
    """The docnums and term frequencies of the leaf's current block from its position on (the
    whole block as it is, without a copy, when at its start)."""
    leaf.id(), leaf.weight()  # load the block's docnums and term frequencies
    start = leaf._i
    if start == 0:
        return leaf._ids, leaf._weights
    return leaf._ids[start:], leaf._weights[start:]


_deleted_masks: WeakKeyDictionary = WeakKeyDictionary()  # segment reader → which documents are deleted
_deleted_lock = threading.Lock()  # readers are per thread, the table is not


def live(reader, docnums: np.ndarray, *aligned: np.ndarray) -> tuple[np.ndarray, ...]:
    """``docnums`` of one segment (and the arrays aligned with them) without its deleted documents.

    The fast paths read a word's postings with the deleted documents among them (a synonym
    group's document frequency counts them, as Whoosh's does) and leave them out once, here."""
    if not reader.has_deletions() or not len(docnums):
        return (docnums, *aligned)
    with _deleted_lock:
        deleted = _deleted_masks.get(reader)
        if deleted is None:
            deleted = np.zeros(reader.doc_count_all(), dtype=bool)
            deleted[np.fromiter(reader.deleted_docs_set, dtype=np.intp)] = True
            _deleted_masks[reader] = deleted
    keep = ~deleted[docnums]
    return (docnums[keep], *(values[keep] for values in aligned))
