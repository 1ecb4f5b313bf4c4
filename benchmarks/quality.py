"""Ranking quality of dari beside BM25 baselines with the analyzers of common engines.

    python benchmarks/quality.py [--sample N] [--sets korquad,squad,cranfield,mixed]
                                 [--keep-index DIR] [--progress]
    python benchmarks/quality.py --forgiving [--sample N] [--keep-index DIR]
    python benchmarks/quality.py --bridge [--sample N] [--sets korquad,squad,cranfield,mixed]

dari is scored through `indexer.evaluate.evaluate`, the function behind `dari eval`. The baselines
are computed in the same run on the same data with `bm25s` (BM25, k1=0.9, b=0.4, Lucene's idf),
one field holding title + text, each with its own analyzer:
  w+       `\\w+` lowercase (Whoosh's default analyzer without its stopwords)
  bigram   Hangul character bigrams + lowercase Latin words (Lucene's CJKAnalyzer)
  nori     mecab-ko-dic morphemes, compounds split, Nori's default stop tags (Elasticsearch nori)
  porter2  `\\w+` lowercase + Snowball English stems (Lucene's EnglishAnalyzer without stopwords)
`--sets crosslingual` adds benchmarks/crosslingual.py's rows (the bridge on koen_parallel).
The mixed index holds the three corpora plus both sides of koen_parallel as distractors; each query
set is scored against it. Needs the `bench` extra: pip install -e '.[bench]'.
--forgiving scores forgiving search instead: the clean sets, korquad's titles as navigational queries
(clean, one jamo typo, typed in English keyboard mode, initials only) and the questions with one
seeded typo (benchmarks/typo_sets.py), each with fuzzy on and off, side by side.
--bridge scores the same-language sets (and, with ``mixed``, each against the mixed index, where the
bridge finds the other language's documents) with the bridge off and on, side by side.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import bm25s
import crosslingual
import mecab_ko
import Stemmer
from typo_sets import question_typos, title_sets

from indexer.evaluate import EvalSet, Metrics, evaluate, load_eval_set, score_run
from indexer.index import reindex

DATA = Path(os.environ.get("DARI_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
SETS = ("korquad", "squad", "cranfield")
DEPTH = 100

Tokenizer = Callable[[str], list[str]]

_WORD = re.compile(r"\w+")
_CJK = "가-힣\u3400-\u9fff\uf900-\ufaff"  # Hangul syllables and Han ideographs (Hanja)
_CJK_OR_WORD = re.compile(f"([{_CJK}]+)|[^\\W{_CJK}]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def cjk_bigrams(text: str) -> list[str]:
    """Like Lucene's CJKAnalyzer: a CJK run of one character stays a unigram."""
    tokens = []
    for m in _CJK_OR_WORD.finditer(text.lower()):
        run = m.group(1)
        if run is None:
            tokens.append(m.group())
        elif len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


# Nori's default `stoptags` (Elasticsearch nori_part_of_speech); E* and J* cover mecab's finer tags.
_NORI_STOP_PREFIXES = ("E", "J")
_NORI_STOP_TAGS = {
    "IC", "MAG", "MAJ", "MM", "SP", "SSC", "SSO", "SC", "SE",
    "XPN", "XSA", "XSN", "XSV", "UNA", "NA", "VSV",
    "SF", "SY",  # punctuation, dropped by the tokenizer's discard_punctuation (default true)
}  # fmt: skip
_tagger: mecab_ko.Tagger | None = None


def _nori_keep(tag: str) -> bool:
    return not tag.startswith(_NORI_STOP_PREFIXES) and tag not in _NORI_STOP_TAGS


def nori(text: str) -> list[str]:
    """mecab-ko-dic morphemes the way Nori emits them with decompound_mode=discard (its default):
    compounds and inflected forms are replaced by their parts, then filtered by POS tag."""
    global _tagger
    if _tagger is None:
        _tagger = mecab_ko.Tagger()
    tokens = []
    for line in _tagger.parse(text).splitlines():
        surface, _, feature = line.partition("\t")
        if not feature:
            continue  # EOS
        fields = feature.split(",")
        tag, kind, expression = fields[0], fields[4], fields[7]
        if kind in ("Compound", "Inflect", "Preanalysis") and expression != "*":
            parts = [part.split("/")[:2] for part in expression.split("+")]
        else:
            parts = [[surface, tag]]
        tokens.extend(form.lower() for form, ptag in parts if _nori_keep(ptag))
    return tokens


_stemmer = Stemmer.Stemmer("english")


def porter2(text: str) -> list[str]:
    return _stemmer.stemWords(words(text))


BASELINES: dict[str, Tokenizer] = {
    "w+": words,
    "bigram": cjk_bigrams,
    "nori": nori,
    "porter2": porter2,
}


def read_corpus(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def koen_distractors() -> list[dict]:
    """Both sides of each parallel pair as separate documents (ids suffixed -ko / -en)."""
    docs = []
    with open(DATA / "koen_parallel" / "pairs.jsonl", encoding="utf-8") as f:
        for line in f:
            pair = json.loads(line)
            for lang in ("ko", "en"):
                docs.append({"id": f"{pair['id']}-{lang}", "title": "", "text": pair[lang]})
    return docs


def bm25_run(
    docs: list[dict], queries: dict[str, str], tokenize: Tokenizer
) -> dict[str, list[tuple[str, float]]]:
    retriever = bm25s.BM25(k1=0.9, b=0.4)
    retriever.index([tokenize(f"{d['title']}\n{d['text']}") for d in docs], show_progress=False)
    qids = list(queries)
    found, scores = retriever.retrieve(
        [tokenize(queries[q]) for q in qids], k=min(DEPTH, len(docs)), show_progress=False
    )
    return {
        qid: [(docs[i]["id"], float(s)) for i, s in zip(row, srow, strict=True) if s > 0]
        for qid, row, srow in zip(qids, found, scores, strict=True)
    }


def sample(es: EvalSet, n: int | None) -> EvalSet:
    """A seeded random subset of the judged queries, the same one on every run."""
    if not n:
        return es
    qids = sorted(q for q in es.queries if q in es.qrels)
    keep = set(random.Random(0).sample(qids, min(n, len(qids))))
    return dataclasses.replace(
        es,
        queries={q: t for q, t in es.queries.items() if q in keep},
        qrels={q: r for q, r in es.qrels.items() if q in keep},
    )


@dataclasses.dataclass
class Row:
    name: str
    scores: dict[str, Metrics]
    p50_ms: float
    p95_ms: float


def score_set(name: str, es: EvalSet, docs: list[dict], index_dir: Path | None, progress: bool) -> Row:
    scores = {base: score_run(bm25_run(docs, es.queries, tok), es.qrels) for base, tok in BASELINES.items()}
    report = evaluate(es, index_dir, progress=progress)
    scores["dari"] = report.metrics
    row = Row(name, scores, report.p50_ms, report.p95_ms)
    print_table([row], out=sys.stderr)  # each row as it comes: a full run takes a while
    return row


def build_mixed_index(cache: Path) -> tuple[Path, list[dict]]:
    """The three corpora and koen_parallel's distractors in one index, in ``cache``; and those."""
    distractors = koen_distractors()
    koen_path = cache / "koen_parallel.jsonl"
    koen_path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in distractors))
    reindex([DATA / s / "corpus.jsonl" for s in SETS] + [koen_path], cache / "mixed")
    return cache / "mixed", distractors


def print_table(rows: Iterable[Row], out=sys.stdout) -> None:
    systems = [*BASELINES, "dari"]
    header = ["set", "queries", *(f"{s} nDCG/MRR" for s in systems), "dari R@100", "p50/p95 ms"]
    lines = [header]
    for row in rows:
        dari = row.scores["dari"]
        lines.append(
            [
                row.name,
                str(dari.queries),
                *(f"{row.scores[s].ndcg10:.3f}/{row.scores[s].mrr10:.3f}" for s in systems),
                f"{dari.recall100:.3f}",
                f"{row.p50_ms:.0f}/{row.p95_ms:.0f}",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        print(" | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)), file=out)
        if i == 0:
            print("-|-".join("-" * w for w in widths), file=out)


def forgiving_rows(evals: dict[str, EvalSet], corpora: dict[str, list[dict]], cache: Path) -> None:
    """Each set with fuzzy off and on: nDCG@10/MRR@10 and latency side by side."""
    sets = {name: (name, es) for name, es in evals.items()}
    sets |= {
        name: ("korquad", es) for name, es in title_sets(evals["korquad"].corpus, corpora["korquad"]).items()
    }
    sets |= {f"{name}-typo": (name, question_typos(evals[name])) for name in ("korquad", "squad")}
    side_by_side({name: (es, cache / corpus) for name, (corpus, es) in sets.items()}, "fuzzy")


def bridge_rows(evals: dict[str, EvalSet], wanted: list[str], cache: Path) -> None:
    """Each same-language set with the bridge off and on (the target: no more than .003 below)."""
    sets = {name: (es, cache / name) for name, es in evals.items() if name in wanted}
    if "mixed" in wanted:
        mixed_dir, _ = build_mixed_index(cache)
        sets |= {f"mixed:{name}": (es, mixed_dir) for name, es in evals.items()}
    side_by_side(sets, "bridge")


def side_by_side(sets: dict[str, tuple[EvalSet, Path]], switch: str) -> None:
    """nDCG@10/MRR@10 and latency of each set (in its index) with ``switch`` off and on."""
    print(f"| set | queries | {switch} off nDCG/MRR | on | Δ nDCG | off p50/p95 ms | on p50/p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (es, index_dir) in sets.items():
        off, on = (evaluate(es, index_dir, **{switch: value}) for value in (False, True))
        print(
            f"| {name} | {on.metrics.queries} | {off.metrics.ndcg10:.4f}/{off.metrics.mrr10:.4f} | "
            f"{on.metrics.ndcg10:.4f}/{on.metrics.mrr10:.4f} | "
            f"{on.metrics.ndcg10 - off.metrics.ndcg10:+.4f} | {off.p50_ms:.1f}/{off.p95_ms:.1f} | "
            f"{on.p50_ms:.1f}/{on.p95_ms:.1f} |",
            flush=True,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, help="score N seeded-random queries per set")
    parser.add_argument("--sets", default="korquad,squad,cranfield,mixed")
    parser.add_argument(
        "--keep-index",
        type=Path,
        help="reuse dari's indexes in this folder between runs (valid while analysis is unchanged)",
    )
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--forgiving", action="store_true", help="forgiving search, fuzzy off and on")
    parser.add_argument("--bridge", action="store_true", help="the same-language sets, bridge off and on")
    args = parser.parse_args(argv)
    wanted = args.sets.split(",")
    evals = {s: sample(load_eval_set(DATA / s), args.sample) for s in SETS}
    corpora = {s: read_corpus(evals[s].corpus) for s in SETS}
    started = time.perf_counter()
    if args.forgiving:
        with tempfile.TemporaryDirectory(prefix="dari-forgiving-") as tmp:
            forgiving_rows(evals, corpora, args.keep_index or Path(tmp))
        print(f"\n{args.sample or 'all'} questions per set; {time.perf_counter() - started:.0f} s")
        return
    if args.bridge:
        with tempfile.TemporaryDirectory(prefix="dari-bridge-") as tmp:
            bridge_rows(evals, wanted, args.keep_index or Path(tmp))
        print(f"\n{args.sample or 'all'} questions per set; {time.perf_counter() - started:.0f} s")
        return
    rows = []
    with tempfile.TemporaryDirectory(prefix="dari-quality-") as tmp:
        cache = args.keep_index or Path(tmp)
        cache.mkdir(parents=True, exist_ok=True)
        for s in SETS:
            if s in wanted:
                rows.append(score_set(s, evals[s], corpora[s], _dir(cache, s, args), args.progress))
        if "mixed" in wanted:
            mixed_dir, distractors = build_mixed_index(cache)
            mixed_docs = [d for s in SETS for d in corpora[s]] + distractors
            for s in SETS:
                rows.append(score_set(f"mixed:{s}", evals[s], mixed_docs, mixed_dir, args.progress))
    if rows:
        print_table(rows)
    if "crosslingual" in wanted:  # koen_parallel's park-test through the bridge (its own table)
        crosslingual.main(["--sample", str(args.sample)] if args.sample else [])
    queries = args.sample or "all"
    seconds = time.perf_counter() - started
    print(f"\n{queries} queries per set; {seconds:.0f} s; baselines: BM25 k1=0.9 b=0.4")


def _dir(cache: Path, name: str, args: argparse.Namespace) -> Path | None:
    """A persistent index when --keep-index is given, else evaluate's own temporary one."""
    return cache / name if args.keep_index else None


if __name__ == "__main__":
    main()
