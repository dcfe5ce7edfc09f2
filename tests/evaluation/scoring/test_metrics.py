from __future__ import annotations

import ir_measures
import numpy as np
import pytest
import pytrec_eval
from ir_measures import AP, RR, R, nDCG

from codeswitch.errors import ConfigError
from evaluation.scoring.bias import macro_rank_distance, rank_distance
from evaluation.scoring.metrics import evaluate_run, metrics_from_ranks, parse_measure, relevant_ranks
from evaluation.trec_io import ranked


def test_hand_computed_metrics():
    # q1: relevant d1 (gain 2) and d3 (gain 1); run d2, d1, d4, d3.
    qrels = {"q1": {"d1": 2, "d3": 1, "d9": 0}, "q2": {"x": 1}}
    run = {"q1": {"d2": 4.0, "d1": 3.0, "d4": 2.0, "d3": 1.0}}
    s = evaluate_run(qrels, run, ("ndcg@10", "recall@100", "mrr@10", "map", "recall@2"))
    dcg = 2 / np.log2(3) + 1 / np.log2(5)  # trec_eval: gain = label
    idcg = 2 / np.log2(2) + 1 / np.log2(3)
    q1 = s.per_query["q1"]
    assert q1["ndcg@10"] == pytest.approx(dcg / idcg)
    assert q1["map"] == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert q1["mrr@10"] == pytest.approx(0.5)
    assert q1["recall@2"] == pytest.approx(0.5) and q1["recall@100"] == 1.0
    # -c: q2 is in the qrels but not in the run -> scores 0 and counts in the mean
    assert s.means["map"] == pytest.approx(0.25) and s.n_queries == 2 and s.n_missing_from_run == 1


def test_ties_follow_trec_eval_docid_descending():
    qrels = {"q": {"a": 1}}
    run = {"q": {"a": 1.0, "b": 1.0, "c": 1.0}}  # trec_eval order: c, b, a
    assert [d for d, _ in ranked(run["q"])] == ["c", "b", "a"]
    ours = evaluate_run(qrels, run, ("mrr@10", "map", "mrr@2"))
    ref = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank", "map"}).evaluate(run)["q"]
    assert ours.per_query["q"]["mrr@10"] == pytest.approx(ref["recip_rank"]) == pytest.approx(1 / 3)
    assert ours.per_query["q"]["map"] == pytest.approx(ref["map"])
    assert ours.per_query["q"]["mrr@2"] == 0.0  # cut at 2 in trec_eval order keeps c, b
    # rank-based path agrees: a is 3rd
    ids = np.array(["a", "b", "c"], dtype=object)
    key = np.argsort(np.argsort(ids))
    ranks = relevant_ranks(np.array([[1.0, 1.0, 1.0]], dtype=np.float32), key, np.array([[0]]))
    assert ranks.tolist() == [[3]]


def test_rank_metrics_hand_example():
    ranks = np.array([[1, 3, 0], [2, 0, 0]])  # q1 relevant at 1 and 3; q2 at 2 (0 pads)
    m = metrics_from_ranks(ranks, (1, 2))
    assert m["map"].tolist() == pytest.approx([(1 / 1 + 2 / 3) / 2, 1 / 2])
    assert m["recall@1"].tolist() == [0.5, 0.0] and m["recall@2"].tolist() == [0.5, 1.0]


def test_rank_distance_hand_example():
    # per query: ranks of its parallel answers (one per language) in the pooled ranking
    ranks_en = np.array([[1, 4, 2], [5, 2, 9]])  # distances 3 and 7 -> mean 5
    ranks_de = np.array([[1, 2, 0]])  # 1 (padding ignored)
    d_en, d_de = rank_distance(ranks_en), rank_distance(ranks_de)
    assert d_en.tolist() == [3, 7] and d_de.tolist() == [1]
    per, macro = macro_rank_distance({"en": d_en, "de": d_de})
    assert per == {"en": 5.0, "de": 1.0} and macro == 3.0
    assert rank_distance(np.array([[4, 0]])).tolist() == [0]


def test_parse_measure_errors():
    assert parse_measure("nDCG@10") == ("ndcg", 10)
    with pytest.raises(ConfigError, match="unknown measure 'ndcg'"):
        parse_measure("ndcg")


def test_equal_to_pytrec_eval_and_ir_measures_on_random_tied_runs():
    rng = np.random.default_rng(0)
    qrels = {f"q{i}": {f"d{j}": int(rng.integers(0, 3)) for j in rng.choice(50, 8, replace=False)}
             for i in range(30)}
    run = {f"q{i}": {f"d{j}": float(rng.integers(0, 4)) for j in rng.choice(50, 30, replace=False)}
           for i in range(28)}
    ours = evaluate_run(qrels, run, ("ndcg@10", "recall@100", "map", "mrr@10"))
    ref = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100", "map"}).evaluate(run)
    for q in run:
        assert ours.per_query[q]["ndcg@10"] == pytest.approx(ref[q]["ndcg_cut_10"])
        assert ours.per_query[q]["map"] == pytest.approx(ref[q]["map"])
    agg = ir_measures.calc_aggregate([nDCG @ 10, R @ 100, AP], qrels, run)  # ir_measures also averages -c style
    assert ours.means["ndcg@10"] == pytest.approx(agg[nDCG @ 10])
    assert ours.means["recall@100"] == pytest.approx(agg[R @ 100])
    assert ours.means["map"] == pytest.approx(agg[AP])
    untied = {q: {d: s + 1e-3 * k for k, (d, s) in enumerate(docs.items())} for q, docs in run.items()}
    assert evaluate_run(qrels, untied, ("mrr@10",)).means["mrr@10"] == pytest.approx(
        ir_measures.calc_aggregate([RR @ 10], qrels, untied)[RR @ 10])
