"""TyDi QA GoldP as a retrieval test (``tydi/<lang>``, ``tydi/dev``): the PROVENANCE.md recipe, and metrics
checked against pytrec_eval on the written run and by hand."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError, DataFormatError
from evaluation.collections.registry import parse_id, resolve
from evaluation.trec_io import ranked, read_run

# PROVENANCE.md: questions and unique contexts per dev file; sw adds the train contexts (1,981 in all)
COUNTS = {"sw": (499, 1981, 357), "te": (669, 601, 601), "bn": (113, 105, 105), "ar": (921, 842, 842),
          "en": (440, 429, 429), "fi": (782, 634, 634)}
FILES = {"sw": "swahili", "bn": "bengali"}


def test_tydi_follows_the_provenance_recipe(shared_data):
    res = resolve("tydi/dev", shared_data, langs=tuple(COUNTS))
    assert [t.lang for t in res.tasks] == list(COUNTS)
    for task in res.tasks:
        docs = list(task.iter_corpus())
        n_q, n_docs, n_judged = COUNTS[task.lang]
        judged = {d for j in task.qrels.values() for d in j}
        assert (len(task.topics), len(docs), len(judged)) == (n_q, n_docs, n_judged)
        assert len({text for _, _, text in docs}) == len(docs)  # deduplicated by text
        assert all(len(j) == 1 and set(j.values()) == {1} for j in task.qrels.values())
        assert task.family == "tydi" and task.query_lang == task.passage_lang == task.lang
    sw = res.tasks[0]
    raw = json.loads((shared_data / "tydiqa-goldp" / "swahili_tydiqa_dev.json").read_text(encoding="utf-8"))
    by_text = {text: docid for docid, _, text in sw.iter_corpus()}
    title = {docid: t for docid, t, _ in sw.iter_corpus()}
    for art in raw["data"][:50]:  # each question's own context is its only relevant passage, title kept
        for para in art["paragraphs"]:
            for qa in para["qas"]:
                assert sw.qrels[qa["id"]] == {by_text[para["context"]]: 1} and sw.topics[qa["id"]] == qa["question"]
                assert title[by_text[para["context"]]] == art["title"]
    # dev contexts come first: the judged passages are tydi-sw-0 .. tydi-sw-356, the rest are train distractors
    assert {d for j in sw.qrels.values() for d in j} == {f"tydi-sw-{k}" for k in range(357)}


def test_tydi_ids_languages_and_errors(shared_data, tmp_path):
    assert parse_id("tydi/sw") == ("tydi", "sw", "dev") and parse_id("TyDi/dev") == ("tydi", None, "dev")
    assert [t.dataset_id for t in resolve("tydi/dev", shared_data, langs=("bn", "te")).tasks] == ["tydi/bn", "tydi/te"]
    with pytest.raises(ConfigError, match=r"language 'yo' is not in tydi/dev.*available: sw te bn ar en fi id ko ru"):
        resolve("tydi/dev", shared_data, langs=("yo",))
    with pytest.raises(ConfigError, match="unknown dataset id 'tydi/th'.*tydi/<lang>"):
        parse_id("tydi/th")
    with pytest.raises(ConfigError, match="tydi/sw is read from local files only; pass --data-dir"):
        resolve("tydi/sw")
    with pytest.raises(ConfigError, match=r"tydi/bn: bengali_tydiqa_dev.json not found in .*point --data-dir"):
        resolve("tydi/bn", tmp_path)
    bad = tmp_path / "tydiqa-goldp"
    bad.mkdir()
    (bad / "bengali_tydiqa_dev.json").write_text('{"data": [{"title": "x", "paragraphs": [{"qas": []}]}]}')
    with pytest.raises(DataFormatError, match=r"bengali_tydiqa_dev.json: data\[0\]: expected paragraphs\[\]"):
        resolve("tydi/bn", tmp_path)


def test_tydi_bm25_end_to_end_matches_pytrec_eval_and_hand(shared_data, tmp_path):
    import pytrec_eval

    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["evaluate", "--model", "bm25", "--dataset", "tydi/bn", "--data-dir",
                                  str(shared_data), "--out", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "| bn* | bn → bn |" in r.output and "TyDi QA GoldP" in r.output
    assert r.output.count("MIRACL") == r.output.count("not MIRACL")  # tables call it TyDi, never MIRACL
    ours = json.loads((out / "metrics.json").read_text())["datasets"]["tydi/bn"]["per_lang"]["bn"]
    run = read_run(out / "runs" / "tydi-bn" / "bn.trec")
    # qrels rebuilt independently from the raw GoldP JSON (by context text), not from our loader
    task = resolve("tydi/bn", shared_data).tasks[0]
    docid_of = {text: docid for docid, _, text in task.iter_corpus()}
    raw = json.loads((shared_data / "tydiqa-goldp" / "bengali_tydiqa_dev.json").read_text(encoding="utf-8"))
    qrels = {qa["id"]: {docid_of[p["context"]]: 1} for a in raw["data"] for p in a["paragraphs"] for qa in p["qas"]}
    per = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"}).evaluate(run)
    per_rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(
        {q: dict(ranked(d)[:10]) for q, d in run.items()})  # trec_eval -M 10
    n = len(qrels)
    assert ours["n_queries"] == n == 113
    assert ours["ndcg@10"] == pytest.approx(sum(per[q]["ndcg_cut_10"] for q in per) / n, abs=1e-9)
    assert ours["recall@100"] == pytest.approx(sum(per[q]["recall_100"] for q in per) / n, abs=1e-9)
    assert ours["mrr@10"] == pytest.approx(sum(per_rr[q]["recip_rank"] for q in per_rr) / n, abs=1e-9)
    for qid in list(qrels)[:3]:  # by hand: one relevant passage at rank r -> nDCG@10 = 1 / log2(r + 1)
        rel = next(iter(qrels[qid]))
        order = [d for d, _ in ranked(run[qid])]
        rank = order.index(rel) + 1 if rel in order else math.inf
        assert per[qid]["ndcg_cut_10"] == pytest.approx(1 / math.log2(rank + 1) if rank <= 10 else 0.0)
        assert per_rr[qid]["recip_rank"] == pytest.approx(1 / rank if rank <= 10 else 0.0)
