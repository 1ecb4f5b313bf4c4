"""Metrics on a tiny hand-made run whose values were worked out by hand."""

import json

import pytest

from indexer.evaluate import (
    load_eval_set,
    ndcg_at,
    percentile,
    read_qrels,
    recall_at,
    reciprocal_rank_at,
    score_run,
    write_trec_run,
)

QRELS = {
    "q1": {"d1": 2, "d3": 1},  # graded: two relevant documents
    "q2": {"d5": 1},  # its only relevant document sits at rank 11
    "q3": {"d9": 0},  # judged but nothing relevant: not scored
    "q4": {"d7": 1},  # missing from the run: scores 0
}
RUN = {
    "q1": [("d2", 3.0), ("d1", 2.0), ("d3", 1.0)],
    "q2": [(f"x{i}", 20.0 - i) for i in range(10)] + [("d5", 1.0)],
    "q3": [("d9", 1.0)],
}


def test_ndcg_graded_gains_log2_discount():
    # DCG = 0/log2(2) + 2/log2(3) + 1/log2(4) = 1.261860 + 0.5; IDCG = 2/log2(2) + 1/log2(3)
    assert ndcg_at(["d2", "d1", "d3"], QRELS["q1"], 10) == pytest.approx(0.669672, abs=1e-6)
    assert ndcg_at(["d1", "d3", "d2"], QRELS["q1"], 10) == pytest.approx(1.0)
    # the grade order matters: the grade-1 document first is worse than the grade-2 one first
    assert ndcg_at(["d3", "d1"], QRELS["q1"], 10) < ndcg_at(["d1", "d3"], QRELS["q1"], 10)
    assert ndcg_at(["x", "d5"], QRELS["q2"], 10) == pytest.approx(0.630930, abs=1e-6)  # 1/log2(3)
    assert ndcg_at(["x", "d5"], QRELS["q2"], 1) == 0.0


def test_reciprocal_rank_and_recall_cut_offs():
    ranked = [doc for doc, _ in RUN["q2"]]
    assert reciprocal_rank_at(["d2", "d1", "d3"], QRELS["q1"], 10) == 0.5
    assert reciprocal_rank_at(ranked, QRELS["q2"], 10) == 0.0
    assert reciprocal_rank_at(ranked, QRELS["q2"], 11) == pytest.approx(1 / 11)
    assert recall_at(ranked, QRELS["q2"], 10) == 0.0
    assert recall_at(ranked, QRELS["q2"], 100) == 1.0
    assert recall_at(["d1"], QRELS["q1"], 10) == 0.5


def test_score_run_means_over_judged_queries():
    m = score_run(RUN, QRELS)
    assert m.queries == 3  # q3 has no relevant document
    assert m.ndcg10 == pytest.approx(0.669672 / 3, abs=1e-6)
    assert m.mrr10 == pytest.approx(0.5 / 3)
    assert m.recall10 == pytest.approx(1 / 3)
    assert m.recall100 == pytest.approx(2 / 3)
    assert set(m.as_dict()) == {"ndcg@10", "mrr@10", "recall@10", "recall@100", "queries"}


def test_percentile_interpolates():
    values = [40.0, 10.0, 30.0, 20.0, 50.0]
    assert percentile(values, 50) == 30.0
    assert percentile(values, 95) == pytest.approx(48.0)  # 40 + 0.8 * (50 - 40)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) == 0.0


def test_trec_run_file(tmp_path):
    path = tmp_path / "run.trec"
    write_trec_run({"q1": RUN["q1"]}, path, tag="t")
    assert path.read_text().splitlines() == [
        "q1 Q0 d2 1 3.000000 t",
        "q1 Q0 d1 2 2.000000 t",
        "q1 Q0 d3 3 1.000000 t",
    ]


def test_qrels_formats(tmp_path):
    path = tmp_path / "qrels.tsv"
    path.write_text("query-id\tcorpus-id\tscore\nq1\td1\t2\nq1 0 d2 1\n")
    assert read_qrels(path) == {"q1": {"d1": 2, "d2": 1}}
    path.write_text("q1\td1\t2\nq2\td2\tx\n")
    with pytest.raises(ValueError, match="qrels.tsv:2"):
        read_qrels(path)


def test_load_eval_set(tmp_path):
    with pytest.raises(ValueError, match="queries.jsonl, qrels.tsv"):
        (tmp_path / "corpus.jsonl").write_text("")
        load_eval_set(tmp_path)
    (tmp_path / "queries.jsonl").write_text(json.dumps({"id": 1, "text": "노동 정책"}) + "\n\n")
    (tmp_path / "qrels.tsv").write_text("1\tdoc-a\t1\n")
    es = load_eval_set(tmp_path)
    assert es.corpus == tmp_path / "corpus.jsonl"
    assert es.queries == {"1": "노동 정책"}
    assert es.qrels == {"1": {"doc-a": 1}}
