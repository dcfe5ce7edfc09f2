"""Benchmark parallel-data tools on the real XQuAD files (not run by CI).

Measures (1) pair-building records/s (12 languages, all ordered pairs, JSONL written),
(2) eflomal alignment sentence pairs/s for XQuAD en-de (questions + paragraphs, priors pass
included), and (3) lexicon induction from that alignment: precision@1 against the MUSE en-de
test split on the covered source words, and coverage.

    python benchmarks/bench_parallel.py [--data ../shared/data] [--workers 1 2]

Writes benchmarks/results/parallel.json|md and benchmarks/results/induce.json.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from codeswitch.example_io import dumps
from codeswitch.parallel.align import AlignConfig
from codeswitch.parallel.bitext import read_alignment_dir, units_from_items, write_alignment_dir
from codeswitch.parallel.induce import InduceConfig, count_links, induce, precision_at_1, read_muse_gold
from codeswitch.parallel.pairs import PairStats, build_pairs, read_parallel

RESULTS = Path(__file__).resolve().parent / "results"


def bench_pairs(data: Path, out_dir: Path) -> dict:
    """Read 12 XQuAD files, build all mono + cross pairs, write JSONL; time each part."""
    files = sorted(glob.glob(str(data / "xquad" / "xquad.*.json")))
    t0 = time.perf_counter()
    items = read_parallel(files)
    t1 = time.perf_counter()
    stats = PairStats()
    n = 0
    with open(out_dir / "pairs.jsonl", "w", encoding="utf-8") as fh:
        for ex in build_pairs(items, "all", stats=stats):
            fh.write(dumps(ex) + "\n")
            n += 1
    t2 = time.perf_counter()
    return {
        "files": len(files), "items": len(items), "records": n, "records_by_kind": stats.records,
        "read_seconds": round(t1 - t0, 3), "build_write_seconds": round(t2 - t1, 3),
        "records_per_second_build_write": round(n / (t2 - t1)), "records_per_second_total": round(n / (t2 - t0)),
    }


def bench_align(data: Path, out_dir: Path, workers: int, chunk_size: int, backend: str = "eflomal",
                model: str | None = None, rel_iterations: float = 1.0) -> tuple[dict, Path]:
    """Align XQuAD en-de (questions + paragraphs); eflomal: priors from all pairs, then chunks."""
    items = read_parallel([str(data / "xquad" / "xquad.en.json"), str(data / "xquad" / "xquad.de.json")])
    pairs = list(units_from_items(items, "en", "de"))
    out = out_dir / f"align-w{workers}"
    cfg = AlignConfig(workers=workers, chunk_size=chunk_size, backend=backend, model_path=model,
                      rel_iterations=rel_iterations)
    stats = write_alignment_dir(out, pairs, cfg)
    n_links = sum(len(ap.links) for ap in read_alignment_dir(out))
    return {"backend": backend, "model": model, "rel_iterations": rel_iterations,
            "workers": workers, "chunk_size": chunk_size, "sentence_pairs": stats["pairs"],
            "seconds": stats["seconds"], "sentence_pairs_per_second": stats["pairs_per_second"],
            "gdfa_links": n_links}, out


def bench_induce(align_dir: Path, gold_path: Path) -> list[dict]:
    """P@1 / coverage of induced en-de lexicons at a few thresholds."""
    counts = count_links(read_alignment_dir(align_dir))
    gold = read_muse_gold(gold_path)
    rows = []
    for min_count in (1, 2, 3):
        cfg = InduceConfig(min_count=min_count, min_prob=0.05, top_k=3)
        entries = induce(counts, cfg)
        row = {"min_count": min_count, "min_prob": 0.05, "entries": len(entries),
               "source_words": len({e.src for e in entries})}
        row.update(precision_at_1(entries, gold))
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--workers", type=int, nargs="+", default=[1])
    ap.add_argument("--chunk-size", type=int, default=500)
    ap.add_argument("--backend", choices=["eflomal", "simalign"], default="eflomal")
    ap.add_argument("--model", default=None, help="simalign: encoder dir (e.g. $CODESWITCH_E5)")
    ap.add_argument("--rel-iterations", type=float, default=1.0)
    ap.add_argument("--tag", default="", help="suffix of the result files, e.g. -simalign")
    args = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    env = {"python": platform.python_version(), "cpus": os.cpu_count(),
           "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pairs = bench_pairs(args.data, tmp)
        print("pairs", pairs)
        aligns, align_dir = [], None
        for w in args.workers:
            row, align_dir = bench_align(args.data, tmp, w, args.chunk_size, args.backend, args.model,
                                         args.rel_iterations)
            print("align", row)
            aligns.append(row)
        ind = bench_induce(align_dir, args.data / "muse-splits" / "en-de.5000-6500.txt")
        print("induce", ind)
    result = {"environment": env, "pair_building": pairs, "alignment_en_de": aligns}
    (RESULTS / f"parallel{args.tag}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (RESULTS / f"induce{args.tag}.json").write_text(json.dumps(
        {"data": f"XQuAD en-de (1190 questions + 240 paragraphs), {args.backend} grow-diag-final-and",
         "alignment": aligns,
         "gold": "MUSE en-de.5000-6500.txt", "rows": ind}, indent=2) + "\n", encoding="utf-8")
    md = ["# Parallel data benchmark", "", f"Environment: {env}", "",
          "| measure | value |", "|---|---|",
          f"| pair building, 12 XQuAD languages, all pairs | {pairs['records']} records; "
          f"{pairs['records_per_second_build_write']} records/s build+write, "
          f"{pairs['records_per_second_total']} records/s incl. reading |"]
    for a in aligns:
        md.append(f"| {a['backend']} en-de (rel_iterations {a['rel_iterations']}), {a['sentence_pairs']} sentence "
                  f"pairs, workers={a['workers']} | "
                  f"{a['seconds']} s, {a['sentence_pairs_per_second']} sentence pairs/s"
                  + (" (priors pass included) |" if a["backend"] == "eflomal" else " (CPU) |"))
    md += ["", f"## Induced en-de lexicon ({args.backend}) vs MUSE en-de.5000-6500", "",
           "| min_count | entries | covered gold src words | coverage | P@1 (covered) |", "|---|---|---|---|---|"]
    md += [f"| {r['min_count']} | {r['entries']} | {r['covered']}/{r['gold_source_words']} | {r['coverage']} | "
           f"{r['precision_at_1']} |" for r in ind]
    (RESULTS / f"parallel{args.tag}.md").write_text("\n".join(md) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
