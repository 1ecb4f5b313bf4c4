"""Cross-lingual retrieval through the bridge, on koen_parallel's sentence pairs.

    python benchmarks/crosslingual.py [--split park-test] [--sample N] [--rows all|bridge]
                                      [--weight W] [--name-weight W] [--lexicon FILE]

One direction's sentences are the documents, the other's the queries; a query's one relevant
document is its twin.  Rows: no bridge, bridge, and the bridge with each lexicon source alone
(krdict, cldr, learned), both directions; and a mixed index (both sides in one index, English
queries and Korean queries): how often the same-language twin is first and how often the
other-language twin is on the first page; and how often a sentence's related documents (the
document page's "In the other language") hold its twin in their top 3.  ``park-test`` is the
evaluation split: tune on ``park-dev`` or ``jhe`` (``--split park-dev,jhe-dev``), never on it;
since the shipped lexicon learned from those, tune with one that did not
(``tools/build_lexicon.py --train jhe- --out F``, then ``--split park-dev --lexicon F``).
Also run by ``benchmarks/quality.py --sets crosslingual``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from indexer import bridge
from indexer.evaluate import evaluate, load_eval_set
from indexer.index import reindex
from indexer.lexicon import SHIPPED, Lexicon
from indexer.search import SearchEngine

DATA = Path(os.environ.get("DARI_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
SOURCES = ("krdict", "cldr", "learned")
DIRECTIONS = (("en", "ko"), ("ko", "en"))  # (queries, documents)
RELATED_PAIRS = 500  # documents whose related list is checked, in a mixed index (each a search)


def read_pairs(splits: list[str], sample: int | None) -> list[dict]:
    """The pairs whose id starts with one of ``splits`` (a seeded sample of them if asked)."""
    with open(DATA / "koen_parallel" / "pairs.jsonl", encoding="utf-8") as f:
        pairs = [pair for line in f if any((pair := json.loads(line))["id"].startswith(s) for s in splits)]
    return random.Random(0).sample(pairs, sample) if sample and sample < len(pairs) else pairs


def write_set(folder: Path, pairs: list[dict], query_lang: str, doc_lang: str) -> Path:
    """An eval dir: the ``doc_lang`` sides as documents, the ``query_lang`` sides as queries."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = {
        "corpus.jsonl": [{"id": p["id"], "title": "", "text": p[doc_lang]} for p in pairs],
        "queries.jsonl": [{"id": p["id"], "text": p[query_lang]} for p in pairs],
    }
    for name, items in rows.items():
        (folder / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items))
    (folder / "qrels.tsv").write_text("".join(f"{p['id']}\t{p['id']}\t1\n" for p in pairs))
    return folder


def cross_rows(tmp: Path, pairs: list[dict], which: str, shipped: Path) -> None:
    """Recall@10/MRR@10 per direction and system (printed as they come)."""
    systems: list[tuple[str, bool, Lexicon | None]] = [("bridge", True, Lexicon(shipped))]
    if which == "all":
        systems = [("no bridge", False, None), *systems]
        systems += [
            (f"{source} alone", True, Lexicon(shipped, sources=frozenset({source}))) for source in SOURCES
        ]
    for query_lang, doc_lang in DIRECTIONS:
        folder = write_set(tmp / f"{query_lang}-{doc_lang}", pairs, query_lang, doc_lang)
        eval_set, index_dir = load_eval_set(folder), folder / "index"
        for name, on, lexicon in systems:
            report = evaluate(eval_set, index_dir, bridge=on, lexicon=lexicon)
            m = report.metrics
            print(
                f"{query_lang}→{doc_lang} | {name} | R@10 {m.recall10:.3f} | MRR@10 {m.mrr10:.3f} | "
                f"R@100 {m.recall100:.3f} | p50/p95 {report.p50_ms:.0f}/{report.p95_ms:.0f} ms",
                flush=True,
            )


def mixed_rows(tmp: Path, pairs: list[dict]) -> None:
    """Both sides in one index: the same-language twin first, the other twin on page one."""
    corpus = tmp / "mixed.jsonl"
    docs = [{"id": f"{p['id']}-{lang}", "title": "", "text": p[lang]} for p in pairs for lang in ("ko", "en")]
    corpus.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
    reindex([corpus], tmp / "mixed")
    engine = SearchEngine(tmp / "mixed")
    for query_lang, doc_lang in DIRECTIONS:
        for on in (False, True):
            same_first = other_seen = 0
            for pair in pairs:
                ids = [hit.id for hit in engine.search(pair[query_lang], bridge=on).hits]
                same_first += bool(ids) and ids[0] == f"{pair['id']}-{query_lang}"
                other_seen += f"{pair['id']}-{doc_lang}" in ids
            print(
                f"mixed {query_lang} queries | {'bridge' if on else 'no bridge'} | same-language twin "
                f"first {same_first / len(pairs):.3f} | other-language twin in top 10 "
                f"{other_seen / len(pairs):.3f}",
                flush=True,
            )
    # The document side: a sentence's "In the other language" list (GET /api/docs/<id>/related).
    for lang, other in DIRECTIONS:
        shown = pairs[:RELATED_PAIRS]
        found = sum(
            f"{p['id']}-{other}" in [hit.id for hit in engine.related(f"{p['id']}-{lang}", limit=3)]
            for p in shown
        )
        print(f"mixed {lang} documents | related | other-language twin in the top 3 {found / len(shown):.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="park-test", help="comma-separated id prefixes")
    parser.add_argument("--sample", type=int, help="a seeded sample of N pairs")
    parser.add_argument("--rows", choices=("all", "bridge"), default="all")
    parser.add_argument("--weight", type=float, help="override bridge.BRIDGE_WEIGHT (tuning)")
    parser.add_argument("--name-weight", type=float, help="override bridge.NAME_WEIGHT (tuning)")
    parser.add_argument("--no-mixed", action="store_true")
    parser.add_argument(
        "--lexicon", type=Path, default=SHIPPED, help="a lexicon.tsv.gz other than the shipped one"
    )
    args = parser.parse_args(argv)
    bridge.BRIDGE_WEIGHT = args.weight or bridge.BRIDGE_WEIGHT
    bridge.NAME_WEIGHT = args.name_weight or bridge.NAME_WEIGHT
    pairs = read_pairs(args.split.split(","), args.sample)
    started = time.perf_counter()
    print(f"{len(pairs)} pairs of {args.split}; weights {bridge.BRIDGE_WEIGHT}/{bridge.NAME_WEIGHT}")
    with tempfile.TemporaryDirectory(prefix="dari-crosslingual-") as tmp:
        cross_rows(Path(tmp), pairs, args.rows, args.lexicon)
        if not args.no_mixed:
            mixed_rows(Path(tmp), pairs)
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
