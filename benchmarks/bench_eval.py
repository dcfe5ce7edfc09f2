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

from benchmarks.bench_encode import tokenize_seconds  # noqa: E402
from evaluation.collections.registry import resolve  # noqa: E402
from evaluation.evaluate import EvalConfig, build_model, evaluate  # noqa: E402
from evaluation.retrieval.search import DenseIndex  # noqa: E402

VARIANTS = {
    "st-batches": {"suffix": " (fp32, sentence-transformers batches)", "st_batches": True},
    "fp32": {"suffix": ""},
    "int8": {"suffix": " (int8)", "quantize": "int8"},
}


def sentence_transformers_batches(model):
    """Encode with ``SentenceTransformer.encode`` as is (batches sorted by characters): the baseline."""

    def encode(texts, prefix, batch_size, normalize, show_progress):
        return model.encode(list(texts), prompt=prefix or None, batch_size=batch_size, show_progress_bar=show_progress,
                            convert_to_numpy=True, normalize_embeddings=normalize).astype(np.float32)

    return encode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--e5", default=os.environ.get("CODESWITCH_E5"),
                    help="multilingual-e5-small directory (default: $CODESWITCH_E5; build it with "
                         "python ../shared/tools/make_e5_small.py DIR)")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    ap.add_argument("--variants", default="st-batches,fp32,int8",
                    help="e5 variants, side by side: st-batches (fp32 in sentence-transformers' own batches, "
                         "sorted by characters: the evaluator before token-length batches), fp32 (the evaluator's "
                         "default), int8 (--quantize int8)")
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
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        ap.error(f"unknown --variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    if not args.reuse_embeddings:
        build_model(EvalConfig(model=args.e5, datasets=("xquad-r",), data_dir=args.data_dir))  # warm the file cache
    names = [("bm25", "bm25", {})] + [(f"multilingual-e5-small{VARIANTS[v]['suffix']}", args.e5, VARIANTS[v])
                                      for v in variants]
    for name, model, variant in names:
        cache = Path(args.reuse_embeddings) if args.reuse_embeddings else out / "eval_runs" / f"cache-{name}"
        if cache.exists() and not args.reuse_embeddings:
            import shutil

            shutil.rmtree(cache)  # time a cold encode; evaluate() below then reuses these embeddings
        cfg = EvalConfig(model=model, model_name=name, datasets=("xquad-r",), data_dir=args.data_dir,
                         batch_size=64, cache_dir=str(cache), quantize=variant.get("quantize", "none"))
        timing: dict = {}
        t = time.perf_counter()
        built = build_model(cfg)
        load_s = time.perf_counter() - t
        if args.reuse_embeddings:
            timing = {f"previous run: {k}": v for k, v in previous.get("models", {}).get(name, {}).get(
                "timing", {}).items() if not k.startswith("previous run")}
        elif name != "bm25":
            enc = built.encoder
            timing["load_s"] = load_s
            if variant.get("st_batches"):
                enc._encode_fn = sentence_transformers_batches(enc.model)
            if variant.get("quantize", "none") != "none":  # compiling is a one-time cost: timed apart
                t = time.perf_counter()
                enc.encode_passages(["a first text to compile the model", "and a second"])
                timing["compile_once_s"] = time.perf_counter() - t
            t = time.perf_counter()
            c_emb = enc.encode_passages(list(pool.cand_texts))
            timing["encode_candidates_s"] = time.perf_counter() - t
            timing["candidates_per_s"] = len(pool.cand_texts) / timing["encode_candidates_s"]
            t = time.perf_counter()
            q_emb = enc.encode_queries([q.text for q in pool.questions])
            timing["encode_questions_s"] = time.perf_counter() - t
            timing["questions_per_s"] = len(pool.questions) / timing["encode_questions_s"]
            one_pass = sum(tokenize_seconds(enc.model, [prefix + x for x in texts], 64) for prefix, texts in (
                (enc.passage_prefix, pool.cand_texts), (enc.query_prefix, [q.text for q in pool.questions])))
            timing["tokenize_s"] = one_pass * (1 if variant.get("st_batches") else 2)  # token order: 2 passes
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
    report["machine"]["loadavg_1m_at_end"] = os.getloadavg()[0]
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
    dense = {n: m for n, m in report["models"].items() if "candidates_per_s" in m["timing"]}
    if dense and not args.reuse_embeddings:
        base_name = next(iter(dense))
        base = dense[base_name]
        lines += ["", f"Side by side, one run (`python benchmarks/bench_eval.py {' '.join(sys.argv[1:])}`); "
                  f"speed-up and Δ against {base_name}. Split of an evaluation's wall time: load, tokenize "
                  "(two tokenizer passes with token-length batches: to order, then to encode), forward (encode "
                  "minus tokenize), index build + search + LAReQA scoring and runs (protocol); "
                  "compiling (int8) is a one-time cost per process, shown apart.", "",
                  "| model | candidates/s | speed-up | Δ mono mAP | Δ cross mAP | Δ multi mAP | load s | tokenize s "
                  "| forward s | protocol s | forward share | compile once s |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for name, m in dense.items():
            t, s = m["timing"], m["summary"]
            protocol = t["protocol_s (cached embeddings for dense: score+rank+write runs)"]
            forward = t["encode_candidates_s"] + t["encode_questions_s"] - t["tokenize_s"]
            total = t["load_s"] + t["encode_candidates_s"] + t["encode_questions_s"] + protocol
            delta = {k: s[k]["map"] - base["summary"][k]["map"] for k in ("mono", "cross", "multi")}
            lines.append(f"| {name} | {t['candidates_per_s']:.1f} | "
                         f"{t['candidates_per_s'] / base['timing']['candidates_per_s']:.2f}x | "
                         f"{delta['mono']:+.4f} | {delta['cross']:+.4f} | {delta['multi']:+.4f} | {t['load_s']:.1f} | "
                         f"{t['tokenize_s']:.1f} | {forward:.1f} | {protocol:.1f} | {100 * forward / total:.1f} % | "
                         f"{t.get('compile_once_s', 0.0):.1f} |")
    lines += ["", "| timing | value |", "|---|---:|"]
    for name, m in report["models"].items():
        lines += [f"| {name}: {k} | {v:.2f} |" for k, v in m["timing"].items() if isinstance(v, float)]
    (out / "eval_xquad_r.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
