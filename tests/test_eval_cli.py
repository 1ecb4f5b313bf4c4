"""`dari eval` end to end on a small judged set written for these tests (tests/data/eval)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.cli import main
from indexer.search import SearchEngine

EVAL_DIR = Path(__file__).parent / "data" / "eval"

# Six queries find their one relevant document first. "q-islands" is judged relevant to the
# English Hawaii text (grade 2) and to the Korean Jeju text (grade 1), which the English query
# reaches through the bridge (volcanic → 화산, island → 섬) right after Hawaii: every figure 1.
# Without the bridge it cannot: nDCG = 2 / (2 + 1/log2(3)) and recall 1/2 for it.
# "q-unjudged" is not scored.
EXPECTED = {"ndcg@10": 1.0, "mrr@10": 1.0, "recall@10": 1.0, "recall@100": 1.0, "queries": 7}
ISLANDS_NDCG = 2 / (2 + 1 / math.log2(3))
WITHOUT_BRIDGE = {"ndcg@10": (6 + ISLANDS_NDCG) / 7, "recall@10": 6.5 / 7, "recall@100": 6.5 / 7}


def test_eval_json_and_run_file(tmp_path: Path, tmp_index: Path) -> None:
    run_file = tmp_path / "run.trec"
    args = ["eval", str(EVAL_DIR), "--json", "--index", str(tmp_index), "--run-out", str(run_file)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {*EXPECTED, "p50_ms", "p95_ms"}
    for key, value in EXPECTED.items():
        assert report[key] == pytest.approx(value), key
    assert 0 < report["p50_ms"] <= report["p95_ms"]

    lines = [line.split() for line in run_file.read_text().splitlines()]
    ilo = [fields for fields in lines if fields[0] == "q-ilo"]
    assert [(f[2], f[3]) for f in ilo[:2]] == [("ko-ilo", "1"), ("en-labour", "2")]
    assert all(f[1] == "Q0" and f[5] == "dari" for f in lines)
    assert float(ilo[0][4]) > float(ilo[1][4])

    # --index keeps the index: a second run reuses it and scores the same.
    assert SearchEngine(tmp_index).doc_count() == 8
    again = CliRunner().invoke(main, ["eval", str(EVAL_DIR), "--json", "--index", str(tmp_index)])
    assert json.loads(again.output)["ndcg@10"] == pytest.approx(EXPECTED["ndcg@10"])
    plain = CliRunner().invoke(
        main, ["eval", str(EVAL_DIR), "--json", "--index", str(tmp_index), "--no-bridge"]
    )
    for key, value in WITHOUT_BRIDGE.items():
        assert json.loads(plain.output)[key] == pytest.approx(value), key


def test_eval_readable_report_with_a_temporary_index() -> None:
    result = CliRunner().invoke(main, ["eval", str(EVAL_DIR)])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.output.splitlines())
    assert lines["nDCG@10"] == f"{EXPECTED['ndcg@10']:.4f}"
    assert lines["MRR@10"] == "1.0000"
    assert lines["queries"] == "7"
    assert lines["latency"].startswith("p50 ")


def test_eval_dir_without_qrels_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "corpus.jsonl").write_text('{"id": "a", "title": "t", "text": "x"}\n')
    (tmp_path / "queries.jsonl").write_text('{"id": "1", "text": "x"}\n')
    result = CliRunner().invoke(main, ["eval", str(tmp_path)])
    assert result.exit_code == 1
    assert "qrels.tsv" in result.output


def test_per_query_ranks_name_where_each_query_found_its_first_relevant_document() -> None:
    """What people debug a ranking with: each judged query's rank of its first relevant document."""
    result = CliRunner().invoke(main, ["eval", str(EVAL_DIR), "--per-query"])
    assert result.exit_code == 0, result.output
    rows = result.output.split("rank\tid\tquery\n", 1)[1].splitlines()
    ranks = {fields[1]: fields[0] for fields in (row.split("\t") for row in rows)}
    assert len(ranks) == EXPECTED["queries"] and set(ranks.values()) == {"1"}  # MRR@10 is 1.0
    assert "q-unjudged" not in ranks
    as_json = CliRunner().invoke(main, ["eval", str(EVAL_DIR), "--json", "--per-query"])
    per_query = {row["id"]: row for row in json.loads(as_json.output)["per_query"]}
    assert per_query.keys() == ranks.keys() and per_query["q-ilo"]["rank"] == 1
    assert per_query["q-ilo"]["query"]
