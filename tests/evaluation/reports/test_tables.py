"""compare / report tables for TyDi and BEIR collections: one TyDi table, low-resource columns first and
averaged apart, and every column's query and passage language named."""

from __future__ import annotations

import pytest

from evaluation.compare import _tables, comparison_markdown, pair_labels
from evaluation.reports.tables import markdown


def _result(model: str, ndcg: dict[str, float], beir: float) -> dict:
    per = {lang: {"ndcg@10": v, "recall@100": 1.0, "n_queries": 3, "n_topics_without_qrels": 0}
           for lang, v in ndcg.items()}
    datasets = {f"tydi/{lang}": {"kind": "retrieval", "per_lang": {lang: m}, "average": {"ndcg@10": m["ndcg@10"],
                                                                                       "recall@100": 1.0},
                                 "languages": {lang: {"query": lang, "passage": lang}}} for lang, m in per.items()}
    datasets["beir:/data/afriqa-sw"] = {
        "kind": "retrieval", "per_lang": {"sw-en": {"ndcg@10": beir, "recall@100": 0.5, "n_queries": 2,
                                                    "n_topics_without_qrels": 0}},
        "average": {"ndcg@10": beir, "recall@100": 0.5}, "languages": {"sw-en": {"query": "sw", "passage": "en"}}}
    return {"model": model, "datasets": datasets}


def test_tydi_and_cross_lingual_collections_in_compare_tables():
    results = [_result("bm25", {"en": 0.9, "sw": 0.7, "te": 0.8}, 0.2), _result("e5", {"en": 0.95, "sw": 0.8,
                                                                                       "te": 0.9}, 0.5)]
    tables = _tables(results)
    assert set(tables) == {("tydi", "ndcg@10"), ("tydi", "recall@100"), ("beir:/data/afriqa-sw", "ndcg@10"),
                           ("beir:/data/afriqa-sw", "recall@100")}
    text, rows = comparison_markdown(tables, "bm25", pair_labels(results))
    tydi = text.split("## tydi -- ndcg@10")[1].split("##")[0]
    assert "| model | sw* | te* | en | avg | low-res avg |" in tydi  # low-resource languages first
    assert "query → passage: sw* sw → sw, te* te → te, en en → en" in tydi
    low = {r[2]: r[4] for r in rows if r[0] == "tydi" and r[1] == "ndcg@10" and r[3] == "low-res avg"}
    assert low == {"bm25": pytest.approx(0.75), "e5": pytest.approx(0.85)}
    beir = text.split("## beir:/data/afriqa-sw -- ndcg@10")[1].split("##")[0]
    assert "| model | sw-en* | avg | low-res avg |" in beir and "query → passage: sw-en* sw → en" in beir
    md = markdown(results[0])
    assert "| sw-en* | sw → en | 0.2000 |" in md and "TyDi, not MIRACL" in md
