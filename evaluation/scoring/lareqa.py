"""The LAReQA protocol: mono, cross and multi settings over a pooled candidate set, plus rank distance.

* mono: queries in X against the candidates in X (one setting per language);
* cross: queries in X against the candidates in Y, for every ordered pair X != Y, macro-averaged;
* multi: queries in X against the pooled candidates of all languages; the rank distance
  (:mod:`evaluation.scoring.bias`) is computed here.

Every candidate of a setting is scored, so metrics come from the exact ranks of the relevant
candidates (:func:`evaluation.scoring.metrics.relevant_ranks`; ties by docid descending, as trec_eval).
mAP is trec_eval's AP over the full ranking (= LAReQA's ``mean_avg_prec_at_k`` with k=None);
``recall@k`` is relevant-in-top-k / relevant (in multi, a query has one relevant per language, so
recall@1 is at most 1/|languages|). Per-setting figures are means over that setting's questions.
The summary averages them in one of two ways (``average``), named in every table:

* ``macro`` (default): mean over query languages (mono, multi) or ordered language pairs (cross),
  each weighted equally -- the hybrid-batch paper's Table 1 "mAP, macro average" and its rank
  distance "macro-averaged over query languages" (../shared/docs/papers.md, section 1b), the
  published rows this toolkit compares with;
* ``questions``: mean over all questions of all languages (a cross question once per candidate
  language) -- LAReQA's "mean of AP over all questions in all languages" (papers.md, section 3).

They agree on XQuAD-R (1,190 questions in every language) and differ on MLQA-R (500-1,148).
A question without a relevant candidate in a setting (MLQA-R questions exist in only 2-4
languages) is left out of that setting and counted.

Ties: ``tied_relevant`` is, per setting, the share of relevant candidates whose score equals another
candidate's score; where it is high (BM25 cross / multi: most scores are exactly 0), the ranks of
the relevant candidates, and so mAP and the rank distance, are mostly docid tie order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from codeswitch.errors import ConfigError
from evaluation.collections.lareqa import LareqaPool, Question
from evaluation.scoring.bias import macro_rank_distance, rank_distance
from evaluation.scoring.metrics import metrics_from_ranks, relevant_ranks
from evaluation.trec_io import format_score, write_qrels

SETTINGS = ("mono", "cross", "multi")
AVERAGES = ("macro", "questions")
TIE_ORDER_SHARE = 0.25  # above this share of tied relevant candidates a setting is marked "mostly tie order"
# score(questions, cand_lang) -> float32 (len(questions), len(pool.candidates_of(cand_lang)))
Scorer = Callable[[list[Question], "str | None"], np.ndarray]


@dataclass
class LareqaResult:
    """Metric means per setting and language (pair), and macro averages per setting."""

    per_lang: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # setting -> key -> metric
    summary: dict[str, dict[str, float]] = field(default_factory=dict)  # setting -> metric -> macro mean
    skipped: dict[str, int] = field(default_factory=dict)  # setting -> questions without a relevant candidate


def _order_key(ids: tuple[str, ...]) -> np.ndarray:
    key = np.empty(len(ids), dtype=np.int64)
    key[np.argsort(np.array(ids, dtype=object), kind="stable")] = np.arange(len(ids))
    return key


def _ranks(scores: np.ndarray, okey: np.ndarray, rel: np.ndarray, block: int = 32) -> np.ndarray:
    out = np.zeros(rel.shape, dtype=np.int64)
    step = max(1, block * 11 // max(1, rel.shape[1]))
    for i in range(0, len(scores), step):
        out[i:i + step] = relevant_ranks(scores[i:i + step], okey, rel[i:i + step])
    return out


RUNS_README = """Files per LAReQA setting (<setting>.<query lang>[-<candidate lang>]):

  *.qrels      the relevant candidates of each question (TREC qrels).
  *.trec       TREC run: each question's top {depth} candidates{full}. trec_eval on it reproduces
               recall@k for k <= the depth{map_note}.
  *.ranks.tsv  qid, docid, rank, score of every relevant candidate in the full ranking of all the
               setting's candidates (rank 1-based; score desc, docid desc): mAP = mean over questions of
               (1/R) * sum_j j / rank_(j), recall@k and the rank distance (max - min rank, multi)
               recompute exactly from it.
"""


def top_k(s: np.ndarray, okey: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best of ``s`` in run order (score descending, then ``okey`` descending).

    Equal to ``np.lexsort((-okey, -s))[:k]`` without sorting everything: only the candidates scoring at
    least the k-th best score are sorted, ties at that score included, so the tie rule still decides.
    """
    if k >= len(s):
        return np.lexsort((-okey, -s))[:k]
    kth = np.partition(s, len(s) - k)[len(s) - k]
    head = np.flatnonzero(s >= kth)
    return head[np.lexsort((-okey[head], -s[head]))][:k]


def _write_run(fh, qs: list[Question], scores: np.ndarray, ids: np.ndarray, okey: np.ndarray, depth: int | None,
               tag: str, last_relevant: np.ndarray) -> None:
    """Each question's top ``depth``; with ``depth`` None, down to its last relevant candidate."""
    for qi, q in enumerate(qs):
        s = scores[qi]
        order = top_k(s, okey, int(last_relevant[qi]) if depth is None else depth)
        # format_score's rule, vectorised: float32, then 9 significant digits
        values = s[order].astype(np.float32).astype(np.float64).tolist()
        fh.writelines(f"{q.qid} Q0 {d} {r} {v:.9g} {tag}\n"
                      for r, (d, v) in enumerate(zip(ids[order].tolist(), values, strict=True), 1))


def _tied(scores: np.ndarray, rel: np.ndarray, block: int = 32) -> np.ndarray:
    """Per relevant candidate (``rel`` >= 0): whether another candidate has exactly its score."""
    out = np.zeros(rel.shape, dtype=bool)
    r = np.where(rel < 0, 0, rel)
    for i in range(0, len(scores), block):
        s = scores[i:i + block]
        s_rel = s[np.arange(len(s))[:, None], r[i:i + block]]
        out[i:i + block] = (s[:, None, :] == s_rel[:, :, None]).sum(axis=2) > 1
    return out & (rel >= 0)


def evaluate_pool(pool: LareqaPool, scorer: Scorer, settings: tuple[str, ...] = SETTINGS,
                  cutoffs: tuple[int, ...] = (1, 10), run_dir: Path | None = None, depth: int | None = 100,
                  cross_runs: bool = False, tag: str = "codeswitch", average: str = "macro") -> LareqaResult:
    """Run the LAReQA settings over ``pool`` with ``scorer``; optionally write TREC runs and qrels.

    Runs go to ``run_dir/<setting>.<qlang>[-<clang>].trec`` (cross runs only with ``cross_runs``),
    qrels to ``run_dir/<setting>.<qlang>[-<clang>].qrels`` and the full-ranking rank of every relevant
    candidate to ``run_dir/<setting>.<qlang>[-<clang>].ranks.tsv`` (``README.txt`` there says which
    file reproduces what). A run holds each question's top ``depth`` candidates (enough for R@k,
    k <= depth); with ``depth=None`` it reaches each question's last relevant candidate, so trec_eval
    reproduces mAP and the rank distance too (large: BM25's relevant candidates often rank last).
    The ranks file reproduces every metric at any depth.
    """
    if average not in AVERAGES:
        raise ConfigError(f"unknown LAReQA average {average!r}; choose one of {', '.join(AVERAGES)}")
    if depth is not None and depth < 1:
        raise ConfigError(f"run depth {depth}: expected a positive number of hits per question (e.g. 100)")
    result = LareqaResult()
    ids_all = np.array(pool.cand_ids, dtype=object)
    okey_all = _order_key(pool.cand_ids)
    pairs = []
    for ql in pool.langs:
        for cl in pool.langs:
            kind = "mono" if ql == cl else "cross"
            if kind in settings:
                pairs.append((ql, cl))
        if "multi" in settings:
            pairs.append((ql, None))
    per_multi_rd: dict[str, np.ndarray] = {}
    tied: dict[str, list[int]] = {}  # setting -> [tied relevant, relevant]
    for ql, cl in tqdm(pairs, desc=f"{pool.name} settings", unit="setting"):
        setting = "multi" if cl is None else ("mono" if ql == cl else "cross")
        key = ql if setting != "cross" else f"{ql}-{cl}"
        cand = pool.candidates_of(cl)
        pos = np.full(len(pool.cand_ids), -1, dtype=np.int64)
        pos[cand] = np.arange(len(cand))
        qs = [q for q in pool.questions_of(ql) if pool.relevant(q, cl)]
        result.skipped[setting] = result.skipped.get(setting, 0) + len(pool.questions_of(ql)) - len(qs)
        if not qs:
            continue
        width = max(len(pool.relevant(q, cl)) for q in qs)
        rel = np.full((len(qs), width), -1, dtype=np.int64)
        for i, q in enumerate(qs):
            r = pos[pool.relevant(q, cl)]
            rel[i, :len(r)] = r
        scores = np.asarray(scorer(qs, cl), dtype=np.float32)
        if scores.shape != (len(qs), len(cand)):
            raise ValueError(f"scorer returned {scores.shape}, expected {(len(qs), len(cand))}")
        okey = okey_all[cand]
        ranks = _ranks(scores, okey, rel)
        t = tied.setdefault(setting, [0, 0])
        t[0] += int(_tied(scores, rel).sum())
        t[1] += int((rel >= 0).sum())
        per_query = metrics_from_ranks(ranks, cutoffs)
        means = {m: float(v.mean()) for m, v in per_query.items() if m != "mrr"}
        means["n_queries"] = len(qs)
        if setting == "multi":
            per_multi_rd[ql] = rank_distance(ranks)
            means["rank_distance"] = float(per_multi_rd[ql].mean())
        result.per_lang.setdefault(setting, {})[key] = means
        if run_dir is not None and (setting != "cross" or cross_runs):
            run_dir.mkdir(parents=True, exist_ok=True)
            with open(run_dir / f"{setting}.{key}.trec", "w", encoding="utf-8") as fh:
                _write_run(fh, qs, scores, ids_all[cand], okey, depth, tag, ranks.max(axis=1))
            write_qrels({q.qid: {pool.cand_ids[j]: 1 for j in pool.relevant(q, cl)} for q in qs},
                        run_dir / f"{setting}.{key}.qrels")
            with open(run_dir / f"{setting}.{key}.ranks.tsv", "w", encoding="utf-8") as fh:
                fh.write("qid\tdocid\trank\tscore\n")
                for i, q in enumerate(qs):
                    fh.writelines(f"{q.qid}\t{pool.cand_ids[cand[rel[i, j]]]}\t{ranks[i, j]}\t"
                                  f"{format_score(scores[i, rel[i, j]])}\n" for j in np.argsort(ranks[i])
                                  if rel[i, j] >= 0)
    if run_dir is not None and run_dir.is_dir():
        (run_dir / "README.txt").write_text(RUNS_README.format(
            depth="(all)" if depth is None else depth,
            full=", and always down to its last relevant candidate" if depth is None else "",
            map_note=", and mAP and the rank distance" if depth is None else "; not mAP or the rank distance, "
            "which need the ranks of every relevant candidate (*.ranks.tsv, or --run-depth full)"), encoding="utf-8")
    for setting, table in result.per_lang.items():
        names = [m for m in next(iter(table.values())) if m != "n_queries"]
        weights = [row["n_queries"] if average == "questions" else 1 for row in table.values()]
        result.summary[setting] = {m: float(np.average([row[m] for row in table.values()], weights=weights))
                                   for m in names}
        result.summary[setting]["n_settings"] = len(table)
        result.summary[setting]["n_questions"] = sum(row["n_queries"] for row in table.values())
        result.summary[setting]["tied_relevant"] = tied[setting][0] / max(1, tied[setting][1])
    if per_multi_rd and average == "macro":
        _, macro = macro_rank_distance(per_multi_rd)
        result.summary["multi"]["rank_distance"] = macro
    elif per_multi_rd:
        result.summary["multi"]["rank_distance"] = float(np.mean(np.concatenate(list(per_multi_rd.values()))))
    return result
