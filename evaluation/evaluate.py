"""``codeswitch evaluate`` as a function: one model on one or more datasets -> runs, metrics, tables, plots.

Output directory (written atomically: nothing is left behind on failure)::

    OUT/eval_config.json        the EvalConfig
    OUT/runs/<dataset>/...      TREC runs (and, for LAReQA, the qrels of each setting)
    OUT/metrics.json            every figure, with query counts
    OUT/metrics.csv             the same, one row per (dataset, setting, language, metric)
    OUT/metrics.md              Markdown tables
    OUT/<dataset>.png           per-language bars of the headline metric (datasets of two or more languages)
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from codeswitch.atomic import atomic_path, check_output
from evaluation.collections.registry import FAMILIES, resolve
from evaluation.encoding.dense import EncoderConfig
from evaluation.reports.tables import slug, write_report
from evaluation.retrieval.bm25 import BM25Config
from evaluation.retrieval.search import IndexConfig
from evaluation.scoring.lareqa import SETTINGS, evaluate_pool
from evaluation.scoring.metrics import DEFAULT_MEASURES, evaluate_run
from evaluation.trec_io import write_per_query, write_run


@dataclass(frozen=True, kw_only=True)
class EvalConfig(EncoderConfig):
    """Everything that determines an evaluation's numbers (saved as ``eval_config.json``).

    The encoder settings (model, prefixes, pooling, normalisation, max length, batch size, device,
    fp16) are the fields of :class:`~evaluation.encoding.dense.EncoderConfig`, inherited: one source of
    truth for them. Construct it with keywords.
    """

    datasets: tuple[str, ...]
    model_name: str | None = None
    data_dir: str | None = None
    langs: tuple[str, ...] = ()
    corpus: str | None = None
    depth: int = 1000
    lareqa_run_depth: int | None = 100  # None: each question's run reaches its last relevant candidate
    settings: tuple[str, ...] = SETTINGS
    cross_runs: bool = False
    index_kind: str = "flat"
    shard_size: int = 2_000_000
    index_dir: str | None = None
    bm25_k1: float = 0.9
    bm25_b: float = 0.4
    cache_dir: str | None = None
    titles: tuple[str, ...] = ()
    titles_file: str | None = None
    average: str = "macro"
    candidate: str = "sentence"
    passage_text: str = "title+text"
    query_lang: str | None = None
    passage_lang: str | None = None

    @property
    def name(self) -> str:
        """The model's name in tables (``model_name`` or the ``--model`` value)."""
        return self.model_name or self.model


def build_model(config: EvalConfig):
    """BM25 for ``bm25``, else a dense encoder (hub id or path) with a FAISS index."""
    from evaluation.retrieval.models import BM25Model, DenseModel

    if config.model.lower() == "bm25":
        return BM25Model(BM25Config(k1=config.bm25_k1, b=config.bm25_b), shard_size=config.shard_size,
                         passage_text=config.passage_text)
    from evaluation.encoding.dense import DenseEncoder

    # the encoder gets exactly its own fields (its cache keys must not depend on evaluation settings)
    enc = EncoderConfig(**{f.name: getattr(config, f.name) for f in fields(EncoderConfig)})
    return DenseModel(DenseEncoder(enc, config.cache_dir),
                      IndexConfig(kind=config.index_kind, shard_size=config.shard_size), config.passage_text)


def _measures(family: str) -> tuple[str, ...]:
    return DEFAULT_MEASURES + FAMILIES[family].EXTRA_MEASURES


def evaluate(config: EvalConfig, out: Path, overwrite: bool = False, model=None) -> dict:
    """Evaluate ``config.model`` on ``config.datasets``; write everything under ``out``; return the metrics."""
    out = Path(out)
    check_output(out, overwrite, folder=True)
    resolved = [resolve(d, Path(config.data_dir) if config.data_dir else None, config.langs or None,
                        Path(config.corpus) if config.corpus else None, config.titles or None,
                        config.query_lang, config.passage_lang)
                for d in config.datasets]
    if model is None:
        print(f"loading {config.model} ...", file=sys.stderr, flush=True)
        model = build_model(config)
    results: dict = {"model": config.name, "datasets": {},
                     "settings": dict(getattr(model, "settings", {})) | {"candidate": config.candidate,
                                                                         "average": config.average}}
    with atomic_path(out) as tmp:
        tmp.mkdir(parents=True)
        (tmp / "eval_config.json").write_text(json.dumps(asdict(config), indent=1) + "\n", encoding="utf-8")
        for res in resolved:
            run_dir = tmp / "runs" / slug(res.dataset_id)
            if res.pool is not None:
                pool = res.pool.with_candidate_text(config.candidate)
                r = evaluate_pool(pool, model.lareqa_scorer(pool), tuple(config.settings),
                                  run_dir=run_dir, depth=config.lareqa_run_depth, cross_runs=config.cross_runs,
                                  tag=slug(config.name), average=config.average)
                results["datasets"][res.dataset_id] = {
                    "kind": "lareqa", "langs": list(res.pool.langs), "per_lang": r.per_lang,
                    "average": config.average, "candidate": config.candidate,
                    "summary": r.summary, "skipped_without_relevant": r.skipped,
                    "n_candidates": len(res.pool.cand_ids), "n_questions": len(res.pool.questions)}
                if config.titles:
                    results["datasets"][res.dataset_id]["titles"] = len(config.titles)
                continue
            entry = {"kind": "retrieval", "per_lang": {}}
            for task in res.tasks:
                print(f"{task.dataset_id} ({task.lang}): {len(task.topics)} queries; reading and encoding the corpus",
                      file=sys.stderr, flush=True)
                index_dir = Path(config.index_dir) / slug(task.dataset_id) if config.index_dir else None
                run = model.retrieve(task, config.depth, index_dir)
                write_run(run, run_dir / f"{task.lang}.trec", tag=slug(config.name))
                scores = evaluate_run(task.qrels, run, _measures(task.family))
                write_per_query(scores.per_query, run_dir / f"{task.lang}.per-query.tsv")
                entry["per_lang"][task.lang] = scores.means | {
                    "n_queries": scores.n_queries, "n_topics": len(task.topics),
                    "n_topics_without_qrels": sum(1 for q in task.topics if q not in task.qrels),
                    "n_qrels_without_relevant": scores.n_without_relevant,
                    "n_missing_from_run": scores.n_missing_from_run}
                langs = {"query": getattr(task, "query_lang", task.lang),
                         "passage": getattr(task, "passage_lang", task.lang)}
                if getattr(task, "label", None):
                    langs["label"] = task.label
                entry.setdefault("languages", {})[task.lang] = langs
            names = _measures(res.tasks[0].family)
            rows = entry["per_lang"].values()
            entry["average"] = {m: sum(r[m] for r in rows) / len(rows) for m in names}
            results["datasets"][res.dataset_id] = entry
        write_report(results, tmp)
    return results
