"""Peak memory of ``codeswitch evaluate`` on a MIRACL-layout corpus as it grows (issue 11, defect 7).

    python benchmarks/bench_eval_memory.py [--sizes 20000 80000 320000] [--shard-size 20000]
        [--code-root DIR] [--label after] [--out benchmarks/results/eval_memory]

For each corpus size a synthetic corpus (``docs-0.jsonl``: random words from a fixed list, seed 0;
about 30 words a passage) with 50 topics is written to a temporary MIRACL layout and evaluated in a
fresh Python process with BM25 and with a tiny random XLM-R (hidden 32, 2 layers, the real XLM-R
tokenizer; built with ``tests/tiny_models.py``), ``--shard-size`` passages a shard and an
``--index-dir`` for the dense index. The child reports its peak resident set size
(``VmHWM`` in ``/proc/self/status``). ``--code-root`` runs another checkout of the
repository (e.g. the code before the fix) to get a before/after pair. Results are appended to
``OUT.json`` (one record per run) and ``OUT.md`` is rewritten from it. Memory, not time, is the
figure here: timings on a shared CPU are not reported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
WORDS = ("mji mkuu wa kenya ni nairobi na dodoma tanzania simba mnyama porini mlima mrefu afrika watu wengi sana "
         "habari za leo shule kitabu maji chakula nyumba gari barabara mto ziwa bahari jua mvua upepo").split()

# VmHWM (the peak resident set of this process image), not ru_maxrss: on Linux ru_maxrss survives
# fork + exec, so a child would report the parent's peak.
CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
from codeswitch.cli import main
try:
    main(sys.argv[2:], standalone_mode=False)
finally:
    hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
    print("PEAK_RSS_KB", hwm[0], flush=True)
"""


def write_corpus(root: Path, n: int, seed: int = 0) -> Path:
    """A MIRACL sw dev layout with ``n`` synthetic passages and 50 topics (docid d0 relevant to all)."""
    rng = np.random.default_rng(seed)
    (root / "topics").mkdir(parents=True)
    (root / "qrels").mkdir()
    cdir = root / "miracl-corpus-v1.0-sw"
    cdir.mkdir()
    topics = {f"q{i}": " ".join(rng.choice(WORDS, size=4)) for i in range(50)}
    (root / "topics" / "topics.miracl-v1.0-sw-dev.tsv").write_text(
        "".join(f"{q}\t{t}\n" for q, t in topics.items()), encoding="utf-8")
    (root / "qrels" / "qrels.miracl-v1.0-sw-dev.tsv").write_text(
        "".join(f"{q} Q0 d0 1\n" for q in topics), encoding="utf-8")
    words = np.array(WORDS)
    with open(cdir / "docs-0.jsonl", "w", encoding="utf-8") as fh:
        for start in range(0, n, 10_000):
            m = min(10_000, n - start)
            idx = rng.integers(0, len(words), size=(m, 30))
            fh.writelines(json.dumps({"docid": f"d{start + i}", "title": "", "text": " ".join(words[row])}) + "\n"
                          for i, row in enumerate(idx))
    return root


def run_child(code_root: Path, args: list[str]) -> int:
    """Run ``codeswitch <args>`` from ``code_root`` in a fresh process; its peak RSS in KiB."""
    env = dict(os.environ, PYTHONPATH=str(code_root), TQDM_DISABLE="1")
    proc = subprocess.run([sys.executable, "-c", CHILD, str(code_root), *args], capture_output=True, text=True,
                          env=env, check=False)
    peak = [line.split()[1] for line in proc.stdout.splitlines() if line.startswith("PEAK_RSS_KB")]
    if proc.returncode != 0 or not peak:
        raise SystemExit(f"child failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return int(peak[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 80_000, 320_000])
    ap.add_argument("--shard-size", type=int, default=20_000)
    ap.add_argument("--models", nargs="+", default=["bm25", "tiny-xlmr"])
    ap.add_argument("--code-root", default=str(REPO), help="checkout whose code is measured (default: this one)")
    ap.add_argument("--label", default="this checkout")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "eval_memory"))
    args = ap.parse_args()
    out = Path(args.out)
    records = json.loads(out.with_suffix(".json").read_text(encoding="utf-8")) if out.with_suffix(
        ".json").is_file() else []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sys.path.insert(0, str(REPO))
        from tests.tiny_models import build_tiny_xlmr

        tiny = build_tiny_xlmr(tmp / "tiny-xlmr")
        for n in args.sizes:
            data = write_corpus(tmp / f"data-{n}", n)
            for model in args.models:
                path = "bm25" if model == "bm25" else str(tiny)
                cli = ["evaluate", "--model", path, "--model-name", model, "--dataset", "miracl/sw/dev",
                       "--data-dir", str(data), "--shard-size", str(args.shard_size), "--depth", "100",
                       "--index-dir", str(tmp / f"index-{n}-{model}-{len(records)}"), "--device", "cpu",
                       "--batch-size", "256", "--out", str(tmp / f"out-{n}-{model}-{len(records)}")]
                peak = run_child(Path(args.code_root), cli)
                rec = {"label": args.label, "model": model, "passages": n, "shard_size": args.shard_size,
                       "corpus_mb": round((data / "miracl-corpus-v1.0-sw" / "docs-0.jsonl").stat().st_size / 2**20, 1),
                       "peak_rss_mb": round(peak / 1024, 1)}
                records.append(rec)
                print(json.dumps(rec), flush=True)
                out.parent.mkdir(parents=True, exist_ok=True)
                out.with_suffix(".json").write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    lines = ["# Peak memory of `codeswitch evaluate` vs corpus size (synthetic MIRACL-layout corpus)", "",
             "Measured by `benchmarks/bench_eval_memory.py` (peak RSS of a fresh process: "
             "`VmHWM` in /proc/self/status); 50 topics, ~30 words a passage, --index-dir set. "
             "`before` = the code before issue 11 (corpus texts held in memory), `after` = texts streamed shard by "
             "shard.", "", "| code | model | passages | shard size | corpus MB | peak RSS MB |",
             "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {r['label']} | {r['model']} | {r['passages']} | {r['shard_size']} | {r['corpus_mb']} | "
              f"{r['peak_rss_mb']} |" for r in records]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
