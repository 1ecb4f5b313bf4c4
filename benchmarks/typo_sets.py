"""Query sets for forgiving search, built from a judged set by seeded edits (benchmarks/quality.py).

From korquad's article titles, as navigational queries whose relevant documents are the article's
paragraphs: the titles as written, with one jamo typo (TYPOS_PER_TITLE seeded draws each), typed with
the keyboard in English mode, and as initials only.  From whole questions: one seeded typo each, a jamo
in one Hangul word (korquad) or a letter in one English word (squad).  A jamo typo replaces one letter
of a syllable by another of its kind (an initial, a medial, a final or none), chosen at random, not by
keyboard nearness, so the sets do not favour the keyboard-aware distance.
"""

from __future__ import annotations

import random
import re
import string
from pathlib import Path

from indexer.evaluate import EvalSet
from indexer.jamo import CHOSEONG, JONGSEONG, JUNGSEONG, choseong, is_syllable, join_syllable, split_syllable
from indexer.keyboard import hangul_to_latin

TYPOS_PER_TITLE = 3
HANGUL_WORD = re.compile(r"[가-힣]{2,}")
ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}")


def jamo_typo(word: str, rng: random.Random) -> str:
    """``word`` with one letter of one syllable replaced by another of the same kind."""
    places = [i for i, char in enumerate(word) if is_syllable(char)]
    i = rng.choice(places)
    letters = list(split_syllable(word[i]))
    kind = rng.randrange(3)
    pool = (CHOSEONG, JUNGSEONG, JONGSEONG)[kind]
    letters[kind] = rng.choice([letter for letter in pool if letter != letters[kind]])
    return word[:i] + join_syllable(*letters) + word[i + 1 :]


def letter_typo(word: str, rng: random.Random) -> str:
    """``word`` with one letter replaced, dropped, doubled or swapped with the next."""
    i = rng.randrange(len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + rng.choice([c for c in string.ascii_lowercase if c != word[i]]) + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def title_sets(path: Path, corpus: list[dict], seed: int = 0) -> dict[str, EvalSet]:
    """titles, titles-typo, titles-english-mode, titles-initials over the corpus read from ``path``."""
    rng = random.Random(seed)
    by_title: dict[str, list[str]] = {}
    for doc in corpus:
        if HANGUL_WORD.search(doc["title"]):
            by_title.setdefault(doc["title"], []).append(doc["id"])
    rows: dict[str, dict[str, tuple[str, list[str]]]] = {
        name: {} for name in ("titles", "titles-typo", "titles-english-mode", "titles-initials")
    }
    for n, (title, ids) in enumerate(sorted(by_title.items())):
        rows["titles"][f"t{n}"] = (title, ids)
        rows["titles-english-mode"][f"t{n}"] = (hangul_to_latin(title), ids)
        rows["titles-initials"][f"t{n}"] = (choseong(title), ids)
        for k in range(TYPOS_PER_TITLE):
            rows["titles-typo"][f"t{n}-{k}"] = (jamo_typo(title, rng), ids)
    return {
        name: EvalSet(
            path,
            {q: text for q, (text, _) in found.items()},
            {q: dict.fromkeys(ids, 1) for q, (_, ids) in found.items()},
        )
        for name, found in rows.items()
    }


def question_typos(eval_set: EvalSet, seed: int = 0) -> EvalSet:
    """Each question with one typo in one of its Hangul words (if any), else its English words."""
    rng = random.Random(seed)
    queries = {}
    for qid, text in eval_set.queries.items():
        words = list(HANGUL_WORD.finditer(text)) or list(ENGLISH_WORD.finditer(text))
        if not words:
            queries[qid] = text
            continue
        word = rng.choice(words)
        typo = jamo_typo if HANGUL_WORD.fullmatch(word.group()) else letter_typo
        queries[qid] = text[: word.start()] + typo(word.group(), rng) + text[word.end() :]
    return EvalSet(eval_set.corpus, queries, eval_set.qrels)
