"""Reordering the best hits by what BM25 does not see: shared syllables, nearness, phrases.

Three bonuses, each a pure function of the hits' postings and stored offsets, added to the BM25F
score: the query's Hangul bigrams (the ``grams`` field) over the top GRAMS_DEPTH, then over the
top RERANK_DEPTH of those the typed words found near each other and the neighbouring typed words
found side by side.  Bonuses are never negative, so hits below the depth stay below.  The weights
were tuned with benchmarks/quality.py (benchmarks/README.md).  Imports ``positions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from whoosh.searching import Hit as WhooshHit

from indexer.positions import body_words, postings_at, word_offsets

GRAMS_BOOST = 1.0
PROXIMITY_WEIGHT = 2.0
PROXIMITY_WINDOW = 15  # positions (kept words): about a sentence
PHRASE_WEIGHT = 1.0
GRAMS_DEPTH = 200  # the best hits that the bigram bonus reorders (it reads only postings) …
RERANK_DEPTH = 100  # … and the best of those that the proximity and phrase bonuses reorder

HitOffsets = dict[int, dict[str, list]]  # docnum → body word → its stored (pos, start, end)


def reranked(
    searcher, query, hits: list[WhooshHit], grams: list[str], typed: list[str]
) -> list[tuple[WhooshHit, float]]:
    """``hits`` (best first by BM25F) reordered with the bonuses.

    The bonuses look at the typed words that ``query`` searches only, so only theirs are read for
    the RERANK_DEPTH hits: reading the bridge's translations, the fuzzy readings and the compounds'
    pieces there too was most of a question's time on 20k documents.
    """
    pool = hits[:GRAMS_DEPTH]
    bigrams = gram_scores(searcher, grams, [hit.docnum for hit in pool])
    pooled = _best_first((hit, hit.score + GRAMS_BOOST * bigrams[hit.docnum]) for hit in pool)
    head = [hit for hit, _ in pooled[:RERANK_DEPTH]]
    searched = set(body_words(searcher, query))
    offsets = word_offsets(
        searcher, [word for word in typed if word in searched], [hit.docnum for hit in head]
    )
    proximity = proximity_bonuses(searcher, head, offsets, set(typed))
    phrases = phrase_bonuses(searcher, head, offsets, typed)
    rescored = _best_first(
        (hit, score + PROXIMITY_WEIGHT * near + PHRASE_WEIGHT * phrase)
        for (hit, score), near, phrase in zip(pooled[:RERANK_DEPTH], proximity, phrases, strict=True)
    )
    return rescored + pooled[RERANK_DEPTH:] + [(hit, hit.score) for hit in hits[GRAMS_DEPTH:]]


def proximity_bonuses(searcher, hits, offsets: HitOffsets, typed_words: set[str]) -> list[float]:
    """Per hit, the idf sum of the distinct typed words in its best PROXIMITY_WINDOW positions.

    A question's words tend to meet in the one sentence that answers it, while a passage that
    only mentions the same topic spreads them out; plain BM25 does not see where words are.
    A typed word in the title counts as present in every window: the title is what each
    sentence is about (a paragraph of the article 김영삼 need not repeat his name).
    Only the words as typed count: a compound's 2-syllable pieces also match inside other words
    (대통 of 대통령 in 대통합), which brought unrelated passages up.  Positions come from the
    stored (pos, start, end) of ``positions.word_offsets``.
    """
    in_title = title_matches(searcher, typed_words, [hit.docnum for hit in hits])
    bonuses = []
    for hit in hits:
        titled = in_title[hit.docnum]
        words = {
            word: spans
            for word, spans in offsets[hit.docnum].items()
            if word in typed_words and word not in titled
        }
        idfs = {word: searcher.idf("body", word) for word in words}
        occurrences = sorted((pos, word) for word, spans in words.items() for pos, _, _ in spans)
        window = _best_window(occurrences, idfs, PROXIMITY_WINDOW)
        bonuses.append(window + sum(searcher.idf("body", word) for word in titled))
    return bonuses


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
