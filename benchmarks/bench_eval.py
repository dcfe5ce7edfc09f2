"""Benchmark + end-to-end figures for the evaluator on real XQuAD-R (not run by CI; takes minutes on CPU).

    python benchmarks/bench_eval.py [--data-dir ../shared/data] [--e5 $CODESWITCH_E5] [--reuse-embeddings DIR]

Runs BM25 and multilingual-e5-small through the full LAReQA protocol with the evaluator's defaults
(e5's "query: "/"passage: " prefixes resolved by the encoder, the model's max length 512, mean
pooling, L2-normalised; candidates = answer sentence alone; macro averages over query languages)
and measures encoding throughput and FAISS search time on this machine. The resolved settings are
written beside the figures. Writes benchmarks/results/eval_xquad_r.json and .md (plus each model's
metrics.md and runs under benchmarks/results/eval_runs/, which are not committed).

``--reuse-embeddings DIR`` takes the embeddings from an evaluate ``--cache-dir`` instead of timing a
cold encode: the figures are recomputed, the timings are not (the previous ones are kept, labelled).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from evaluation.datasets import resolve  # noqa: E402
from evaluation.evaluate import EvalConfig, build_model, evaluate  # noqa: E402
from evaluation.search import DenseIndex  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--e5", default=os.environ.get("CODESWITCH_E5"),
                    help="multilingual-e5-small directory (default: $CODESWITCH_E5; build it with "
                         "python ../shared/tools/make_e5_small.py DIR)")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--reuse-embeddings", default=None,
                    help="an embedding cache dir (evaluate --cache-dir) to reuse; skips the timing of a cold encode")
    args = ap.parse_args()
    if not args.e5:
        ap.error("give --e5 DIR or set CODESWITCH_E5 (build it: python ../shared/tools/make_e5_small.py DIR)")
    out = Path(args.out)
    runs = out / "eval_runs"
    import torch

    report: dict = {"machine": {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                                "python": platform.python_version(), "torch": torch.__version__,
                                "cuda": torch.cuda.is_available(), "loadavg_1m_at_start": os.getloadavg()[0]},
                    "models": {}}
    pool = resolve("xquad-r", Path(args.data_dir)).pool
    previous = {}
    if args.reuse_embeddings and (out / "eval_xquad_r.json").is_file():
        previous = json.loads((out / "eval_xquad_r.json").read_text(encoding="utf-8"))
        report["machine"]["note"] = ("figures recomputed from cached embeddings (evaluate --cache-dir); timings NOT "
                                     "re-measured: the 'previous run' ones are those of the earlier run named in "
                                     "its machine field")
    for name, model in (("bm25", "bm25"), ("multilingual-e5-small", args.e5)):
        cache = Path(args.reuse_embeddings) if args.reuse_embeddings else out / "eval_runs" / "embedding-cache"
        if cache.exists() and not args.reuse_embeddings:
            import shutil

            shutil.rmtree(cache)  # time a cold encode; evaluate() below then reuses these embeddings
        cfg = EvalConfig(model=model, model_name=name, datasets=("xquad-r",), data_dir=args.data_dir,
                         batch_size=64, cache_dir=str(cache))
        built = build_model(cfg)
        timing: dict = {}
        if args.reuse_embeddings:
            timing = {f"previous run: {k}": v for k, v in previous.get("models", {}).get(name, {}).get(
                "timing", {}).items() if not k.startswith("previous run")}
        elif name != "bm25":
            enc = built.encoder
            t = time.perf_counter()
            c_emb = enc.encode_passages(list(pool.cand_texts))
            timing["encode_candidates_s"] = time.perf_counter() - t
            timing["candidates_per_s"] = len(pool.cand_texts) / timing["encode_candidates_s"]
            t = time.perf_counter()
            q_emb = enc.encode_queries([q.text for q in pool.questions])
            timing["encode_questions_s"] = time.perf_counter() - t
            timing["questions_per_s"] = len(pool.questions) / timing["encode_questions_s"]
            index = DenseIndex(enc.dim)
            t = time.perf_counter()
            index.add_shard(list(pool.cand_ids), c_emb)
            timing["faiss_flat_build_s"] = time.perf_counter() - t
            t = time.perf_counter()
            index.search(q_emb, 100)
            timing["faiss_flat_search_top100_all_questions_s"] = time.perf_counter() - t
            timing["dim"] = enc.dim
        t = time.perf_counter()
        res = evaluate(cfg, runs / name, overwrite=True, model=built)
        if not args.reuse_embeddings:
            timing["protocol_s (cached embeddings for dense: score+rank+write runs)"] = time.perf_counter() - t
        entry = res["datasets"]["xquad-r"]
        report["models"][name] = {"summary": entry["summary"], "timing": timing, "settings": res["settings"],
                                  "multi_rank_distance_per_lang": {k: v["rank_distance"]
                                                                   for k, v in entry["per_lang"]["multi"].items()}}
        print(name, json.dumps(entry["summary"], indent=1), timing, flush=True)
    report["n_questions"], report["n_candidates"] = len(pool.questions), len(pool.cand_ids)
    (out / "eval_xquad_r.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    lines = ["# XQuAD-R end to end (real data, CPU)", "",
             f"{report['n_questions']} questions, {report['n_candidates']} candidates, 11 languages. "
             f"Machine: {report['machine']}.", "",
             "Candidates: the answer sentence alone (LAReQA's baselines encode sentence + paragraph: not comparable). "
             "Averages: macro over query languages (cross: over the 110 ordered pairs), as the hybrid-batch paper. "
             "† mostly tie order: the share of relevant candidates whose score ties another candidate's is given "
             "in brackets; such figures come mostly from the docid tie rule and are not pinned in "
             "evaluation/expected_scores.yaml.", "",
             "| model | mono mAP | cross mAP | multi mAP | multi R@1 | multi R@10 | rank distance |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, m in report["models"].items():
        s = m["summary"]

        def mark(setting: str, text: str, s=s) -> str:
            share = s[setting].get("tied_relevant", 0.0)
            return f"{text} † ({share:.0%} tied)" if share > 0.25 else text

        lines.append(f"| {name} | {mark('mono', format(s['mono']['map'], '.4f'))} | "
                     f"{mark('cross', format(s['cross']['map'], '.4f'))} | "
                     f"{mark('multi', format(s['multi']['map'], '.4f'))} | "
                     f"{s['multi']['recall@1']:.4f} | {s['multi']['recall@10']:.4f} | "
                     f"{mark('multi', format(s['multi']['rank_distance'], '.1f'))} |")
    lines += ["", "| model | settings |", "|---|---|"]
    lines += [f"| {name} | {json.dumps(m['settings'], sort_keys=True)} |" for name, m in report["models"].items()]
    lines += ["", "| timing | value |", "|---|---:|"]
    for name, m in report["models"].items():
        lines += [f"| {name}: {k} | {v:.2f} |" for k, v in m["timing"].items() if isinstance(v, float)]
    (out / "eval_xquad_r.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    _ = np


if __name__ == "__main__":
    main()
