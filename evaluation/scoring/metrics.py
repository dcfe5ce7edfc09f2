"""Retrieval metrics with trec_eval semantics, and rank-based metrics for pooled LAReQA candidates.

Conventions (the same in every function here):

* Ranking: score descending, ties broken by docid **descending** -- trec_eval's rule (its
  ``comp_sim_docno``), so a tie never changes a number between us and trec_eval / pytrec_eval.
* Relevant means label >= 1 (trec_eval's default ``relevance_level``); nDCG uses the label as gain.
* Averages follow ``trec_eval -c``: over every query in the qrels; a query absent from the run
  scores 0. Queries of the run without qrels are ignored (and counted by the caller).
* ``ndcg@k`` is ``trec_eval -c -M 100 -m ndcg_cut.k`` (MIRACL's official setting; -M 100 cannot
  change nDCG@10), ``recall@k`` is ``-m recall.k`` (found relevant in the top k / all relevant),
  ``mrr@k`` is ``-M k -m recip_rank`` (the run cut at k in trec_eval's order), ``map`` is
  trec_eval's full-list AP (sum of precision at each relevant / number of relevant).

Note: ir_measures' ``RR@10`` uses another tie order than trec_eval and can differ on tied runs;
our ``mrr@k`` is the trec_eval one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from codeswitch.errors import ConfigError
from evaluation.trec_io import Qrels, Run, ranked

DEFAULT_MEASURES = ("ndcg@10", "recall@100", "mrr@10", "map")
_NAME = re.compile(r"^(ndcg|recall|mrr|map)(?:@(\d+))?$")


@dataclass(frozen=True)
class RunScores:
    """Mean and per-query values of each measure, plus the query counts behind them."""

    means: dict[str, float]
    per_query: dict[str, dict[str, float]]
    n_queries: int  # queries in the qrels = the -c denominator
    n_missing_from_run: int  # qrels queries with no results (scored 0)
    n_without_relevant: int  # qrels queries whose judgments are all < 1 (score 0 on every measure)
    n_run_without_qrels: int  # run queries with no judgments (ignored)
    extra: dict[str, int] = field(default_factory=dict)


def parse_measure(name: str) -> tuple[str, int | None]:
    """Split ``'ndcg@10'`` into ``('ndcg', 10)``; raise naming the supported forms."""
    m = _NAME.match(name.strip().lower())
    if not m or (m.group(1) != "map" and m.group(2) is None) or (m.group(1) == "map" and m.group(2)):
        raise ConfigError(f"unknown measure {name!r}; use ndcg@K, recall@K, mrr@K or map (e.g. ndcg@10)")
    return m.group(1), int(m.group(2)) if m.group(2) else None


def cut_run(run: Run, depth: int) -> Run:
    """Keep each query's top ``depth`` results in trec_eval's order (what ``trec_eval -M depth`` does)."""
    return {qid: dict(ranked(docs)[:depth]) for qid, docs in run.items()}


def evaluate_run(qrels: Qrels, run: Run, measures: tuple[str, ...] = DEFAULT_MEASURES) -> RunScores:
    """Score ``run`` against ``qrels`` with pytrec_eval (trec_eval's C code) and ``-c`` averaging."""
    import pytrec_eval

    parsed = [(name, *parse_measure(name)) for name in measures]
    per_query: dict[str, dict[str, float]] = {qid: {} for qid in qrels}
    judged_run = {qid: docs for qid, docs in run.items() if qid in qrels}
    trec_names = {f"ndcg_cut.{k}" for _, m, k in parsed if m == "ndcg"}
    trec_names |= {f"recall.{k}" for _, m, k in parsed if m == "recall"}
    if any(m == "map" for _, m, _ in parsed):
        trec_names.add("map")
    full = pytrec_eval.RelevanceEvaluator(qrels, trec_names).evaluate(judged_run) if trec_names else {}
    rr_cuts = sorted({k for _, m, k in parsed if m == "mrr"})
    rr = {k: pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(cut_run(judged_run, k))
          for k in rr_cuts}
    for name, m, k in parsed:
        for qid in qrels:
            if m == "mrr":
                value = rr[k].get(qid, {}).get("recip_rank", 0.0)
            else:
                key = {"ndcg": f"ndcg_cut_{k}", "recall": f"recall_{k}", "map": "map"}[m]
                value = full.get(qid, {}).get(key, 0.0)
            per_query[qid][name] = float(value)
    n = len(qrels)
    means = {name: (sum(per_query[q][name] for q in qrels) / n if n else 0.0) for name, _, _ in parsed}
    return RunScores(
        means=means,
        per_query=per_query,
        n_queries=n,
        n_missing_from_run=sum(1 for q in qrels if not run.get(q)),
        n_without_relevant=sum(1 for q, d in qrels.items() if not any(v >= 1 for v in d.values())),
        n_run_without_qrels=sum(1 for q in run if q not in qrels),
    )


# ---------------------------------------------------------------------------------------------
# Rank-based metrics: every candidate is scored, so the ranks of the relevant ones say it all.


def relevant_ranks(scores: np.ndarray, order_key: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """1-based ranks of relevant candidates in full rankings (score desc, then docid desc).

    Args:
        scores: ``(n_queries, n_candidates)`` float32 scores.
        order_key: ``(n_candidates,)`` ints, larger = larger docid (``argsort`` of the docids).
        relevant: ``(n_queries, n_rel)`` candidate indexes (columns of ``scores``); -1 pads.

    Returns:
        ``(n_queries, n_rel)`` ranks (0 where ``relevant`` is -1). The rank of candidate r is
        ``1 + #{s > s_r} + #{s == s_r and docid > docid_r}``: exactly trec_eval's position.
    """
    scores = np.asarray(scores, dtype=np.float32)
    rel = np.where(relevant < 0, 0, relevant)
    rows = np.arange(scores.shape[0])[:, None]
    s_rel = scores[rows, rel][:, :, None]  # (q, r, 1)
    k_rel = order_key[rel][:, :, None]
    above = (scores[:, None, :] > s_rel) | ((scores[:, None, :] == s_rel) & (order_key[None, None, :] > k_rel))
    ranks = 1 + above.sum(axis=2)
    return np.where(relevant < 0, 0, ranks)


def metrics_from_ranks(ranks: np.ndarray, cutoffs: tuple[int, ...] = (1, 10)) -> dict[str, np.ndarray]:
    """Per-query ``map`` (trec_eval AP), ``recall@k`` and ``mrr`` from relevant ranks (0 = padding).

    AP = (1/R) * sum_j j / rank_(j) over the relevant sorted by rank -- LAReQA's AP with k=None and
    trec_eval's ``map`` for a run that contains every candidate. ``recall@k`` = relevant in top k / R.
    """
    ranks = np.asarray(ranks)
    valid = ranks > 0
    n_rel = valid.sum(axis=1)
    big = np.where(valid, ranks, np.iinfo(np.int64).max)
    srt = np.sort(big, axis=1)
    pos = np.arange(1, ranks.shape[1] + 1)[None, :]
    prec = np.where(srt < np.iinfo(np.int64).max, pos / np.where(valid.any(axis=1, keepdims=True), srt, 1), 0.0)
    out = {"map": np.divide(prec.sum(axis=1), n_rel, out=np.zeros(len(ranks)), where=n_rel > 0)}
    for k in cutoffs:
        hits = (valid & (ranks <= k)).sum(axis=1)
        out[f"recall@{k}"] = np.divide(hits, n_rel, out=np.zeros(len(ranks)), where=n_rel > 0)
    out["mrr"] = np.where(n_rel > 0, 1.0 / np.where(n_rel > 0, srt[:, 0], 1), 0.0)
    return out
