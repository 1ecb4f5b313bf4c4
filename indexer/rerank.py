"""Reordering the best hits by what BM25 does not see: shared syllables, nearness, phrases.

Three bonuses, each a pure function of the hits' postings and stored offsets, added to the BM25F
score: the query's Hangul bigrams (the ``grams`` field) over the top GRAMS_DEPTH, then over the
top RERANK_DEPTH of those the query's words found near each other (typed, or through the bridge's
translations: the synonym groups) and the neighbouring typed words found side by side.  Bonuses
are never negative, so hits below the depth stay below.  The weights were tuned with
benchmarks/quality.py and benchmarks/crosslingual.py (benchmarks/README.md).
Imports ``positions`` and ``synonyms``.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

import numpy as np
from whoosh.searching import Hit as WhooshHit

from indexer.positions import HitOffsets, WordOffsets, body_words, postings_at
from indexer.synonyms import SynonymGroup

GRAMS_BOOST = 1.0
PROXIMITY_WEIGHT = 2.0
PROXIMITY_WINDOW = 15  # positions (kept words): about a sentence
PHRASE_WEIGHT = 1.0
TRANSLATED_SHARE = 0.7  # a translated word against a typed one (at 1.0 the Korean seed beat the English)
# The best hits that the bigram bonus reorders (it reads only postings), and the best of those that
# the proximity and phrase bonuses reorder.  Halved from 200/100 (tuned for a 10-hit page):
# korquad nDCG@10 −.0006, squad and cranfield ±0, a third of a question's rerank time at 20k.
GRAMS_DEPTH = 100
RERANK_DEPTH = 50

Units = dict[str, tuple[str, float]]  # body word → the query word it stands for, and that one's idf


def reranked(
    searcher, query, hits: list[WhooshHit], grams: list[str], typed: list[str], read: WordOffsets
) -> list[tuple[WhooshHit, float]]:
    """``hits`` (best first by BM25F) reordered with the bonuses.

    The bonuses look at the typed words that ``query`` searches and the bridge's translations of
    them only, so only theirs are read for the RERANK_DEPTH hits: reading the fuzzy readings and
    the compounds' pieces there too was most of a question's time on 20k documents.  ``read``
    keeps what was read for the page (made with the groups' ``translation_holders``).
    """
    pool = hits[:GRAMS_DEPTH]
    bigrams = gram_scores(searcher, grams, [hit.docnum for hit in pool])
    pooled = _best_first((hit, hit.score + GRAMS_BOOST * bigrams[hit.docnum]) for hit in pool)
    head = [hit for hit, _ in pooled[:RERANK_DEPTH]]
    searched = set(body_words(searcher, query))
    units = word_units(searcher, query, typed)
    offsets = read.of([word for word in units if word in searched], [hit.docnum for hit in head])
    proximity = proximity_bonuses(searcher, head, offsets, units)
    phrases = phrase_bonuses(searcher, head, offsets, typed)
    rescored = _best_first(
        (hit, score + PROXIMITY_WEIGHT * near + PHRASE_WEIGHT * phrase)
        for (hit, score), near, phrase in zip(pooled[:RERANK_DEPTH], proximity, phrases, strict=True)
    )
    return rescored + pooled[RERANK_DEPTH:] + [(hit, hit.score) for hit in hits[GRAMS_DEPTH:]]


def proximity_bonuses(searcher, hits, offsets: HitOffsets, units: Units) -> list[float]:
    """Per hit, the idf sum of the distinct query words in its best PROXIMITY_WINDOW positions, a
    query word found as typed or through its translations alike (``word_units``).

    A question's words tend to meet in the one sentence that answers it, while a passage that
    only mentions the same topic spreads them out; plain BM25 does not see where words are.
    A query word in the title counts as present in every window: the title is what each
    sentence is about (a paragraph of the article 김영삼 need not repeat his name).
    Only the words as typed and their translations count: a compound's 2-syllable pieces also
    match inside other words (대통 of 대통령 in 대통합), which brought unrelated passages up.
    Positions come from the stored (pos, start, end) of ``positions.word_offsets``.
    """
    in_title = title_matches(searcher, set(units), [hit.docnum for hit in hits])
    bonuses = []
    for hit in hits:
        titled = _unit_idfs(units, in_title[hit.docnum])
        body = {
            word: spans
            for word, spans in offsets[hit.docnum].items()
            if word in units and units[word][0] not in titled
        }
        idfs = _unit_idfs(units, body)
        occurrences = [(pos, units[word][0]) for word, spans in body.items() for pos, _, _ in spans]
        window = _best_window(sorted(occurrences), idfs, PROXIMITY_WINDOW)
        bonuses.append(window + sum(titled.values()))
    return bonuses


def word_units(searcher, query, typed: list[str]) -> Units:
    """The typed words and the body words of the query's synonym groups, each mapped to the query
    word it translates: a source word counts once, however many of its translations, or it and
    they, a document holds.  A translated word weighs TRANSLATED_SHARE of its group's idf (of the
    union of its translations' documents, as BM25 scores the group): a stray sense that is rare
    (two → 너희) is not worth more than the common ones beside it (명, 개), and in a mixed index
    the document holding the typed words stays above its translation.

    Without its translations, a bridged query's proximity bonus went to documents of the other
    language that happen to quote a typed word (an English title above a Korean text) and never
    to the twin holding the translations side by side.
    """
    units: Units = {word: (word, searcher.idf("body", word)) for word in typed}
    for group in _synonym_groups(query):
        if group.source and group.fieldname == "body":
            unit = (group.source, TRANSLATED_SHARE * group.idf(searcher))
            units.update((leaf.text, unit) for leaf in group.leaves() if leaf.text not in units)
    return units


def translation_holders(searcher, query) -> dict[str, np.ndarray]:
    """The body words of the query's synonym groups, each with the documents holding it (read by
    scoring already), ascending."""
    holders: dict[str, np.ndarray] = {}
    for group in _synonym_groups(query):
        if group.fieldname == "body":
            for word, docnums in group.holders(searcher).items():
                holders[word] = np.union1d(holders[word], docnums) if word in holders else docnums
    return holders


def _synonym_groups(query) -> list[SynonymGroup]:
    groups, pending = [], [query]
    while pending:
        node = pending.pop()
        if isinstance(node, SynonymGroup):
            groups.append(node)
        elif not node.is_leaf():
            pending.extend(node.children())
    return groups


def _unit_idfs(units: Units, words) -> dict[str, float]:
    """The query words that ``words`` (a hit's) stand for, each with its idf (a typed word and its
    translations both held: the larger)."""
    idfs: dict[str, float] = {}
    for word in words:
        if word in units:
            unit, idf = units[word]
            idfs[unit] = max(idfs.get(unit, 0.0), idf)
    return idfs


def phrase_bonuses(searcher, hits, offsets: HitOffsets, typed: list[str]) -> list[float]:
    """Per hit, the mean idf of each pair of neighbouring typed words that its body holds side by
    side, in the typed order.

    Neighbouring words of a query often name one thing (유럽 뮤직 어워드, boundary layer): a
    passage holding the phrase should beat one holding its words apart (멜론 뮤직 어워드 … 유럽),
    which the window bonus cannot tell.  This is the ordered-pair feature of Metzler and Croft's
    sequential dependence model.  Positions count kept words, so particles and stopwords between
    two words do not part them.
    """
    pairs = [pair for pair in dict.fromkeys(pairwise(typed)) if pair[0] != pair[1]]
    bonuses = []
    for hit in hits:
        found = offsets[hit.docnum]
        bonus = 0.0
        for first, second in pairs:
            if first in found and second in found:
                after_first = {pos + 1 for pos, _, _ in found[first]}
                if any(pos in after_first for pos, _, _ in found[second]):
                    bonus += (searcher.idf("body", first) + searcher.idf("body", second)) / 2
        bonuses.append(bonus)
    return bonuses


def gram_scores(searcher, grams: list[str], docnums: list[int]) -> dict[int, float]:
    """Per hit, the BM25 score of the query's Hangul bigrams in the ``grams`` field.

    A bonus that only reorders the best hits of the word query, so a compound still needs all
    its morphemes to match, while documents sharing the query's syllables (however Kiwi cut
    them) move up.  Read for those hits only: matching the bigrams as part of the query cost
    more than the words themselves.
    """
    scores = dict.fromkeys(docnums, 0.0)
    for gram in grams:
        for docnum, postings in postings_at(searcher, "grams", gram, docnums):
            scores[docnum] += postings.score()
    return scores


def title_matches(searcher, words: set[str], docnums: list[int]) -> dict[int, set[str]]:
    """For each docnum, which of ``words`` its title holds."""
    found: dict[int, set[str]] = {docnum: set() for docnum in docnums}
    for word in words:
        for docnum, _ in postings_at(searcher, "title", word, docnums):
            found[docnum].add(word)
    return found


def _best_window(occurrences: list[tuple[int, str]], idfs: dict[str, float], width: int) -> float:
    """The largest idf sum of distinct words within ``width`` consecutive positions (a sliding
    window over the sorted occurrences)."""
    best = total = 0.0
    inside: dict[str, int] = {}
    first = 0
    for pos, word in occurrences:
        inside[word] = inside.get(word, 0) + 1
        if inside[word] == 1:
            total += idfs[word]
        while occurrences[first][0] <= pos - width:
            leaving = occurrences[first][1]
            inside[leaving] -= 1
            if not inside[leaving]:
                total -= idfs[leaving]
            first += 1
        best = max(best, total)
    return best


def _best_first(scored: Iterable[tuple[WhooshHit, float]]) -> list[tuple[WhooshHit, float]]:
    return sorted(scored, key=lambda pair: -pair[1])
