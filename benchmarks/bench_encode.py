"""CPU inference variants of a dense encoder on XQuAD-R, speed and metrics side by side (not run by CI).

    python benchmarks/bench_encode.py [--e5 $CODESWITCH_E5] [--langs en,de,ar,hi] \
        [--variants torch-fp32,torch-bf16,onnx-fp32,onnx-int8,torch-int8]

Each variant encodes the same candidates and questions cold (fresh embedding cache; ONNX exports are
built first and timed apart, as a one-time cost, and so is compiling torch-int8), with the model's
prefixes ("query: " / "passage: " for e5), then runs the full LAReQA protocol on those embeddings.
Reported per variant: candidates/s, the split of wall time (load, tokenize, forward, index build,
FAISS search, protocol = scoring, ranking, metrics and runs), mono / cross / multi mAP and rank
distance, and the differences to the first variant. Writes benchmarks/results/encode_backends.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from codeswitch.atomic import atomic_path  # noqa: E402
from evaluation.collections.registry import resolve  # noqa: E402
from evaluation.encoding.backends import features_of  # noqa: E402
from evaluation.evaluate import EvalConfig, build_model, evaluate  # noqa: E402
from evaluation.retrieval.search import DenseIndex  # noqa: E402

VARIANTS = {
    "torch-fp32": {},
    "torch-bf16": {"bf16": True},
    "onnx-fp32": {"backend": "onnx"},
    "onnx-int8": {"backend": "onnx", "quantize": "int8"},
    "torch-int8": {"quantize": "int8"},
}


def tokenize_seconds(model, texts: list[str], batch_size: int) -> float:
    """Seconds one pass of the model's tokenizer over ``texts`` takes, in encode-sized batches.

    The evaluator's encoders make two passes (token counts to order the batches, then the batches
    themselves), so callers count this twice for them and once for plain ``SentenceTransformer.encode``.
    """
    t = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        features_of(model, texts[i:i + batch_size])
    return time.perf_counter() - t


def run_variant(name: str, e5: str, data_dir: str, langs: tuple[str, ...], work: Path, batch: int) -> dict:
    """Time one variant end to end; return its timings and LAReQA summary."""
    cache = work / f"cache-{name}"
    shutil.rmtree(cache, ignore_errors=True)
    cfg = EvalConfig(model=e5, model_name=name, datasets=("xquad-r",), data_dir=data_dir, langs=langs,
                     batch_size=batch, cache_dir=str(cache), device="cpu", **VARIANTS[name])
    timing: dict[str, float] = {}
    if cfg.backend == "onnx":  # the one-time export, kept out of the per-run split
        t = time.perf_counter()
        build_model(cfg)
        timing["export_once_s"] = time.perf_counter() - t
    t = time.perf_counter()
    built = build_model(cfg)
    timing["load_s"] = time.perf_counter() - t
    enc = built.encoder
    if cfg.backend == "torch" and cfg.quantize == "int8":  # torch.compile on the first batch: a one-time cost
        t = time.perf_counter()
        enc.encode_passages(["a first text to compile the model", "and a second"])
        timing["export_once_s"] = time.perf_counter() - t
    pool = resolve("xquad-r", Path(data_dir), langs=langs).pool
    cands = [enc.passage_prefix + x for x in pool.cand_texts]
    quests = [enc.query_prefix + q.text for q in pool.questions]
    t = time.perf_counter()
    c_emb = enc.encode_passages(list(pool.cand_texts))
    timing["encode_candidates_s"] = time.perf_counter() - t
    t = time.perf_counter()
    q_emb = enc.encode_queries([q.text for q in pool.questions])
    timing["encode_questions_s"] = time.perf_counter() - t
    timing["tokenize_s"] = 2 * (tokenize_seconds(enc.model, cands, batch) + tokenize_seconds(enc.model, quests, batch))
    timing["forward_s"] = timing["encode_candidates_s"] + timing["encode_questions_s"] - timing["tokenize_s"]
    index = DenseIndex(enc.dim)
    t = time.perf_counter()
    index.add_shard(list(pool.cand_ids), c_emb)
    timing["index_s"] = time.perf_counter() - t
    t = time.perf_counter()
    index.search(q_emb, 100)
    timing["search_s"] = time.perf_counter() - t
    t = time.perf_counter()
    res = evaluate(cfg, work / f"eval-{name}", overwrite=True, model=built)  # embeddings come from the cache
    timing["protocol_s"] = time.perf_counter() - t
    wall = sum(v for k, v in timing.items() if k not in ("export_once_s", "encode_candidates_s",
                                                         "encode_questions_s"))
    entry = res["datasets"]["xquad-r"]
    return {"timing": timing, "wall_s": wall, "forward_pct": 100 * timing["forward_s"] / wall,
            "candidates_per_s": len(pool.cand_texts) / timing["encode_candidates_s"],
            "questions_per_s": len(pool.questions) / timing["encode_questions_s"],
            "summary": entry["summary"], "n_questions": entry["n_questions"], "n_candidates": entry["n_candidates"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--e5", default=os.environ.get("CODESWITCH_E5"), help="multilingual-e5-small dir ($CODESWITCH_E5)")
    ap.add_argument("--langs", default="", help="XQuAD-R languages (default: all 11)")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results"))
    args = ap.parse_args()
    if not args.e5:
        ap.error("give --e5 DIR or set CODESWITCH_E5 (build it: python ../shared/tools/make_e5_small.py DIR)")
    names = [v for v in args.variants.split(",") if v]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        ap.error(f"unknown variant {unknown[0]!r}; choose from {', '.join(VARIANTS)}")
    import torch

    langs = tuple(x for x in args.langs.split(",") if x)
    report: dict = {"command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), "langs": list(langs) or "all",
                    "machine": {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                                "python": platform.python_version(), "torch": torch.__version__,
                                "loadavg_1m_at_start": os.getloadavg()[0]},
                    "variants": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            report["variants"][name] = r = run_variant(name, args.e5, args.data_dir, langs, Path(tmp), args.batch_size)
            print(name, json.dumps({k: v for k, v in r.items() if k != "summary"}), flush=True)
    report["machine"]["loadavg_1m_at_end"] = os.getloadavg()[0]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "encode_backends.json") as tmp_json:
        tmp_json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    with atomic_path(out / "encode_backends.md") as tmp_md:
        tmp_md.write_text(markdown(report) + "\n", encoding="utf-8")
    print(markdown(report))


def markdown(report: dict) -> str:
    """The side-by-side table (speed, time split, metrics and their differences to the first variant)."""
    variants = report["variants"]
    first = next(iter(variants.values()))
    lines = [f"# e5-small CPU inference variants on XQuAD-R ({first['n_questions']} questions, "
             f"{first['n_candidates']} candidates, languages {report['langs']})", "",
             f"`python benchmarks/{report['command']}`; machine {report['machine']}.", "",
             "| variant | candidates/s | speed-up | mono mAP | cross mAP | multi mAP | rank distance | "
             "Δ mono | Δ cross | Δ multi |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in variants.items():
        s, f = r["summary"], first["summary"]
        cross = s.get("cross", {}).get("map", float("nan"))
        d = [s[k]["map"] - f[k]["map"] if k in s and k in f else float("nan") for k in ("mono", "cross", "multi")]
        lines.append(f"| {name} | {r['candidates_per_s']:.1f} | "
                     f"{r['candidates_per_s'] / first['candidates_per_s']:.2f}x | {s['mono']['map']:.4f} | "
                     f"{cross:.4f} | {s['multi']['map']:.4f} | {s['multi']['rank_distance']:.1f} | "
                     f"{d[0]:+.4f} | {d[1]:+.4f} | {d[2]:+.4f} |")
    lines += ["", "Wall-time split of one evaluation (seconds; exporting (onnx) and compiling (torch-int8) are "
              "one-time costs, not in the split):", "",
              "| variant | load | tokenize | forward | index | search | protocol | forward share "
              "| export / compile once |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in variants.items():
        t = r["timing"]
        lines.append(f"| {name} | {t['load_s']:.1f} | {t['tokenize_s']:.1f} | {t['forward_s']:.1f} | "
                     f"{t['index_s']:.2f} | {t['search_s']:.2f} | {t['protocol_s']:.1f} | {r['forward_pct']:.1f} % | "
                     f"{t.get('export_once_s', 0.0):.1f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
