"""Ranking-quality evaluation on a judged collection (what `dari eval` runs).

An eval dir holds `corpus.jsonl` ({"id","title","text"}), `queries.jsonl` ({"id","text"}) and
`qrels.tsv` (qid<TAB>docid<TAB>grade). Metrics follow trec_eval's conventions: nDCG uses linear
graded gains with a log2(rank + 1) discount, a document is relevant when its grade is > 0, and only
queries that have at least one relevant document are scored.  Imports ``index``, ``lexicon`` and ``search``.
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from indexer.index import reindex
from indexer.lexicon import Lexicon
from indexer.search import QueryError, SearchEngine

Run = Mapping[str, Sequence[tuple[str, float]]]  # qid -> ranked (docid, score), best first
Qrels = Mapping[str, Mapping[str, int]]  # qid -> docid -> grade


@dataclass
class EvalSet:
    """The three files of an eval dir, parsed; the corpus stays a path since `reindex` reads it."""

    corpus: Path
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


@dataclass
class Metrics:
    ndcg10: float
    mrr10: float
    recall10: float
    recall100: float
    queries: int

    def as_dict(self) -> dict[str, float | int]:
        return {
            "ndcg@10": self.ndcg10,
            "mrr@10": self.mrr10,
            "recall@10": self.recall10,
            "recall@100": self.recall100,
            "queries": self.queries,
        }


@dataclass
class QueryRank:
    """Where one judged query put its first relevant document (None: not in the top ``depth``)."""

    id: str
    query: str
    rank: int | None


@dataclass
class EvalReport:
    metrics: Metrics
    p50_ms: float
    p95_ms: float
    per_query: list[QueryRank] = field(default_factory=list)

    def as_dict(self) -> dict[str, float | int]:
        return {**self.metrics.as_dict(), "p50_ms": self.p50_ms, "p95_ms": self.p95_ms}


def evaluate(
    eval_set: EvalSet,
    index_dir: Path | None = None,
    *,
    depth: int = 100,
    progress: bool = False,
    run_out: Path | None = None,
    bridge: bool = True,
    lexicon: Lexicon | None = None,
    fuzzy: bool = True,
) -> EvalReport:
    """Index the corpus (into a temporary index unless `index_dir`), run every query through
    `SearchEngine.search` as users do (``bridge``: with translations, ``fuzzy``: forgiving typos),
    and score the top `depth` hits of each."""
    where = tempfile.TemporaryDirectory(prefix="dari-eval-") if index_dir is None else None
    with where or nullcontext(str(index_dir)) as folder:
        reindex([eval_set.corpus], Path(folder), progress=progress)
        engine = SearchEngine(Path(folder), lexicon=lexicon)
        run: dict[str, list[tuple[str, float]]] = {}
        latencies = []
        for qid, text in tqdm(eval_set.queries.items(), desc="queries", unit="q", disable=not progress):
            started = time.perf_counter()
            try:
                hits = engine.search(text, per_page=depth, bridge=bridge, fuzzy=fuzzy).hits
            except QueryError:
                hits = []  # a question the query syntax rejects finds nothing, as for a user
            latencies.append((time.perf_counter() - started) * 1000)
            run[qid] = [(hit.id, hit.score) for hit in hits]
    if run_out is not None:
        write_trec_run(run, run_out)
    ranks = [
        QueryRank(qid, eval_set.queries.get(qid, ""), first_relevant_rank(_ids(run.get(qid, ())), rels))
        for qid, rels in eval_set.qrels.items()
        if any(grade > 0 for grade in rels.values())
    ]
    return EvalReport(
        score_run(run, eval_set.qrels), percentile(latencies, 50), percentile(latencies, 95), ranks
    )


def _ids(ranked: Sequence[tuple[str, float]]) -> list[str]:
    return [doc for doc, _ in ranked]


def load_eval_set(eval_dir: Path) -> EvalSet:
    """Read an eval dir; raise ValueError with the missing file's name when it is incomplete."""
    eval_dir = Path(eval_dir)
    paths = {name: eval_dir / name for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv")}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        raise ValueError(f"{eval_dir} has no {', '.join(missing)}")
    return EvalSet(
        corpus=paths["corpus.jsonl"],
        queries=read_queries(paths["queries.jsonl"]),
        qrels=read_qrels(paths["qrels.tsv"]),
    )


def read_queries(path: Path) -> dict[str, str]:
    with open(path, encoding="utf-8") as f:
        rows = (json.loads(line) for line in f if line.strip())
        return {str(row["id"]): row["text"] for row in rows}


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Accept `qid docid grade` and TREC's `qid iter docid grade`, tab or space separated.

    A first line whose grade is not a number is a header (BEIR writes `query-id corpus-id score`).
    """
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) not in (3, 4):
                raise ValueError(f"{path}:{lineno}: expected 3 or 4 fields, got {len(fields)}")
            qid, docid, grade = fields[0], fields[-2], fields[-1]
            try:
                qrels.setdefault(qid, {})[docid] = int(grade)
            except ValueError:
                if lineno == 1:
                    continue
                raise ValueError(f"{path}:{lineno}: grade {grade!r} is not an integer") from None
    return qrels


def ndcg_at(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    gains = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    ideal = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    if ideal == 0:
        return 0.0
    dcg = sum(max(judged.get(d, 0), 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    return dcg / ideal


def first_relevant_rank(ranked: Sequence[str], judged: Mapping[str, int]) -> int | None:
    """The 1-based rank of the first relevant document of ``ranked`` (None: none is there)."""
    return next((rank for rank, doc in enumerate(ranked, 1) if judged.get(doc, 0) > 0), None)


def reciprocal_rank_at(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    rank = first_relevant_rank(ranked[:k], judged)
    return 1.0 / rank if rank else 0.0


def recall_at(ranked: Sequence[str], judged: Mapping[str, int], k: int) -> float:
    relevant = {d for d, g in judged.items() if g > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def score_run(run: Run, qrels: Qrels) -> Metrics:
    """Mean metrics over the judged queries; a judged query missing from the run scores 0."""
    judged = {qid: rels for qid, rels in qrels.items() if any(g > 0 for g in rels.values())}
    if not judged:
        return Metrics(0.0, 0.0, 0.0, 0.0, 0)
    per_query = []
    for qid, rels in judged.items():
        ranked = _ids(run.get(qid, ()))
        per_query.append(
            (
                ndcg_at(ranked, rels, 10),
                reciprocal_rank_at(ranked, rels, 10),
                recall_at(ranked, rels, 10),
                recall_at(ranked, rels, 100),
            )
        )
    means = [statistics.fmean(column) for column in zip(*per_query, strict=True)]
    return Metrics(*means, queries=len(judged))


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default), defined for a single value too."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def write_trec_run(run: Run, path: Path, tag: str = "dari") -> None:
    """`qid Q0 docid rank score tag` lines, readable by trec_eval and pytrec_eval."""
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(_trec_lines(run, tag))


def _trec_lines(run: Run, tag: str) -> Iterable[str]:
    for qid, ranked in run.items():
        for rank, (doc, score) in enumerate(ranked, 1):
            yield f"{qid} Q0 {doc} {rank} {score:.6f} {tag}\n"
