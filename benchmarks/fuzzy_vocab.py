"""Fuzzy Korean term lookup on a 200k-term vocabulary: the SymSpell-style deletion index (indexer.fuzzy)
against a bounded Levenshtein scan of every term (rapidfuzz's C++ OSA distance with a score cutoff).

Run from the repository root inside the project's virtualenv with the bench extra (rapidfuzz):

    python benchmarks/fuzzy_vocab.py                       # 200,000 terms, 1,000 queries
    python benchmarks/fuzzy_vocab.py --terms 50000 --queries 300

The vocabulary is the Korean terms of korquad/corpus.jsonl in $DARI_DATA (else ../../shared/data)
through the analyzer queries use (make_analyzer, mode="query"), with their counts, topped up to
--terms with compounds of two real terms (고용 + 정책 → 고용정책, count 1-3): the shape of an
index's lexicon of nouns.  The queries are vocabulary terms with one keystroke edit (two for words of
8+ keystrokes), as typos: inserted, deleted, changed or swapped jamo.  Both methods must find the
same terms for every query (checked); the scan's candidates are ranked the same way, by keyboard
distance and frequency.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.analysis import make_analyzer  # noqa: E402
from indexer.fuzzy import KOREAN, Candidate, FuzzyIndex, edit_budget, script_terms  # noqa: E402
from indexer.jamo import compose, is_syllable, keystrokes  # noqa: E402
from indexer.keyboard import keystroke_distance  # noqa: E402

DATA = Path(os.environ.get("DARI_DATA") or ROOT.parents[1] / "shared" / "data")  # as quality.py finds it
CORPUS = DATA / "korquad" / "corpus.jsonl"


def korquad_terms(corpus: Path) -> Counter[str]:
    analyzer = make_analyzer()
    counts: Counter[str] = Counter()
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            document = json.loads(line)
            for text in (document["title"], document["text"]):
                counts.update(token.text for token in analyzer(text, mode="query"))
    return Counter(script_terms(counts.items(), KOREAN))


def top_up(real: Counter[str], size: int, rng: random.Random) -> dict[str, int]:
    """The real terms plus compounds of two of them, up to `size` terms."""
    vocabulary = dict(real)
    words = [term for term in real if len(term) <= 4]
    while len(vocabulary) < size:
        compound = rng.choice(words) + rng.choice(words)
        if len(compound) <= 6:
            vocabulary.setdefault(compound, rng.randint(1, 3))
    return vocabulary


def typo(term: str, rng: random.Random) -> str | None:
    """The term with one keystroke edit (two for 8+ keystrokes), or None if that is no Hangul word."""
    strokes = list(keystrokes(term))
    alphabet = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎㅏㅐㅑㅒㅓㅔㅕㅖㅗㅛㅜㅠㅡㅣ"
    for _ in range(edit_budget(len(strokes))):
        at = rng.randrange(len(strokes))
        edit = rng.choice("idsx")
        if edit == "i":
            strokes.insert(at, rng.choice(alphabet))
        elif edit == "d" and len(strokes) > 2:
            del strokes[at]
        elif edit == "s":
            strokes[at] = rng.choice(alphabet)
        elif at + 1 < len(strokes):
            strokes[at], strokes[at + 1] = strokes[at + 1], strokes[at]
    query = compose("".join(strokes))
    return query if query and all(map(is_syllable, query)) else None


class Scan:
    """Every term compared with the query by rapidfuzz's bounded OSA distance (C++), then ranked."""

    def __init__(self, vocabulary: dict[str, int]):
        self.terms = list(vocabulary)
        self.frequencies = list(vocabulary.values())
        self.strokes = [keystrokes(term) for term in self.terms]

    def lookup(self, query: str, limit: int = 10) -> list[Candidate]:
        strokes = keystrokes(query)
        budget = edit_budget(len(strokes))
        hits = process.extract(strokes, self.strokes, scorer=OSA.distance, score_cutoff=budget, limit=None)
        found = [
            Candidate(self.terms[i], keystroke_distance(strokes, self.strokes[i]), self.frequencies[i])
            for _, _, i in hits
        ]
        return sorted(found, key=lambda c: (c.distance, -c.frequency, c.term))[:limit]


def resident_mb() -> float:
    """The process's resident memory (Linux)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(name: str, build: Callable[[], object], queries: list[str]) -> tuple[object, dict[str, float]]:
    """Build time, the resident memory it added (after a collection), and lookup p50/p95."""
    gc.collect()
    before = resident_mb()
    started = time.perf_counter()
    method = build()
    build_s = time.perf_counter() - started
    gc.collect()
    memory_mb = resident_mb() - before
    method.lookup(queries[0])
    times = []
    for query in queries:
        started = time.perf_counter()
        method.lookup(query)
        times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=100)
    return method, {
        "build_s": build_s,
        "memory_mb": memory_mb,
        "p50_ms": cuts[49],
        "p95_ms": cuts[94],
        "name": name,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terms", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    real = korquad_terms(CORPUS)
    print(f"korquad: {len(real):,} Korean terms ({time.perf_counter() - started:.1f} s with Kiwi)")
    vocabulary = top_up(real, args.terms, rng)
    terms = list(vocabulary)
    queries: list[str] = []
    while len(queries) < args.queries:
        query = typo(rng.choice(list(real)) if rng.random() < 0.5 else rng.choice(terms), rng)
        if query:
            queries.append(query)
    print(f"vocabulary: {len(vocabulary):,} terms; {len(queries):,} queries, e.g. {', '.join(queries[:6])}")
    index, deletion = measure(
        "deletion index (indexer.fuzzy.FuzzyIndex)", lambda: FuzzyIndex(vocabulary.items()), queries
    )
    scan, scanned = measure("bounded OSA scan (rapidfuzz, C++)", lambda: Scan(vocabulary), queries)
    for query in queries:
        assert index.lookup(query, limit=10**6) == scan.lookup(query, limit=10**6), query
    print("| method | build s | memory MB | lookup p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for row in (deletion, scanned):
        print(
            f"| {row['name']} | {row['build_s']:.1f} | {row['memory_mb']:.0f} | {row['p50_ms']:.3f} "
            f"| {row['p95_ms']:.3f} |"
        )
    found = [len(index.lookup(query, limit=10**6)) for query in queries]
    print(f"terms found per query: median {statistics.median(found):.0f}, max {max(found)}")


if __name__ == "__main__":
    main()
