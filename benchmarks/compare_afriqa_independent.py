"""Compare ``check_afriqa_independent.py``'s figures with ``codeswitch evaluate``'s for one model.

Reads the independent JSON (``afriqa_independent.json``) and an evaluation folder's ``metrics.json``
(``afriqa/dev`` and ``afriqa/dev-en``), and writes one markdown table: per language, cross-lingual and
English-query nDCG@10, Recall@100 and MRR@10 from both, and the largest absolute difference.

    python benchmarks/compare_afriqa_independent.py /tmp/indep/afriqa_independent.json \\
        runs/african-zeroshot-cpu/eval/e5/hybrid-flores-para/seed1 --out benchmarks/results/afriqa-independent/X.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ISO = ("bem", "ha", "ig", "rw", "tw", "zu")
METRICS = (("ndcg_at_10", "ndcg@10"), ("recall_at_100", "recall@100"), ("mrr_at_10", "mrr@10"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("independent", type=Path)
    ap.add_argument("eval_dir", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    ind = json.loads(args.independent.read_text(encoding="utf-8"))
    ours = json.loads((args.eval_dir / "metrics.json").read_text(encoding="utf-8"))["datasets"]
    rows, worst = [], (0.0, "")
    for iso in ISO:
        for setting, ds, key in (("cross", "afriqa/dev", f"{iso}-en"),
                                 ("english_upper_bound", "afriqa/dev-en", f"{iso}-en.upper")):
            theirs = ind["results"][iso][setting]
            mine = ours[ds]["per_lang"][key]
            for name, ours_name in METRICS:
                diff = abs(theirs[name] - mine[ours_name])
                worst = max(worst, (diff, f"{key} {ours_name}"))
                rows.append(f"| {key} | {ours_name} | {theirs[name]:.6f} | {mine[ours_name]:.6f} | {diff:.1e} |")
    lines = [f"Independent check (`{ind['command']}`, {ind['date']}) against `codeswitch evaluate` "
             f"(`{args.eval_dir}/metrics.json`): {len(rows)} figures, largest difference {worst[0]:.1e} "
             f"({worst[1]}).", "", "| key | metric | independent | evaluate | abs diff |", "|---|---|---:|---:|---:|",
             *rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(lines[0])


if __name__ == "__main__":
    main()
