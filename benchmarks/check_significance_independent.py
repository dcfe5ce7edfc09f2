#!/usr/bin/env python
"""Independent check of a recipe report's significance marks (``per_language.json``).

Nothing from the toolkit is imported. From the kept cells (``recipe copy-cells``) this script reads the
per-query scores itself (plain ``measure<TAB>qid<TAB>value`` lines), averages each query over a setting's
seeds, and for every comparison in the report recomputes

* the two-sided paired randomization p-value with its own sign-flip Monte Carlo (numpy, 100,000 resamples,
  ``p = (#{|mean(s·d)| >= |mean(d)|} + 1) / (resamples + 1)``), to compare with the report's figure (its
  ``resamples`` sign flips, read from the report; they differ by Monte Carlo error only);
* the paired t-test p-value (``scipy.stats.ttest_rel``), the other test ranx and trec_eval users run;
* Holm's correction of the report's own raw p-values with statsmodels' ``multipletests(method="holm")``,
  which must equal the report's adjusted p-values.

Usage (``pip install statsmodels`` first; it is not a toolkit dependency)::

    python benchmarks/check_significance_independent.py \
        --report benchmarks/results/african-zeroshot-cpu/2026-12-07/per_language.json \
        --cells benchmarks/results/african-zeroshot-cpu/cells \
        --out benchmarks/results/african-zeroshot-cpu/2026-12-07/significance_check.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import ttest_rel
from statsmodels.stats.multitest import multipletests

ALPHA = 0.05


def per_query(path: Path) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            measure, qid, value = line.split("\t")
            out.setdefault(measure, {})[qid] = float(value)
    return out


def setting_scores(cells: Path, name: str, dataset: str, key: str, metric: str) -> dict[str, float]:
    """qid -> score averaged over the setting's seeds (``once`` for a setting that is not trained)."""
    folder = cells / "eval" / name
    files = sorted(folder.glob(f"*/runs/{dataset.replace('/', '-')}/{key}.per-query.tsv"))
    if not files:
        raise SystemExit(f"{folder}: no per-query scores for {dataset} {key}; give the --cells the report read")
    runs = [per_query(f)[metric] for f in files]
    common = set.intersection(*(set(r) for r in runs))
    return {q: sum(r[q] for r in runs) / len(runs) for q in common}


def sign_flip_p(d: np.ndarray, resamples: int, seed: int) -> float:
    if np.allclose(d, 0):
        return 1.0
    rng = np.random.default_rng(seed)
    observed = abs(d.mean())
    hits = 0
    for start in range(0, resamples, 10_000):
        n = min(10_000, resamples - start)
        signs = rng.choice((-1.0, 1.0), size=(n, d.size))
        hits += int((np.abs(signs @ d / d.size) >= observed - 1e-12).sum())
    return (hits + 1) / (resamples + 1)


def parse_args(doc: str, table: str, table_help: str) -> argparse.Namespace:
    """The checkers' command line: ``--TABLE``, ``--cells``, ``--resamples``, ``--seed``, ``--out``."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument(f"--{table}", type=Path, required=True, help=table_help)
    ap.add_argument("--cells", type=Path, required=True, help="the kept cells (`recipe copy-cells` destination)")
    ap.add_argument("--resamples", type=int, default=100_000, help="sign flips of our randomization test")
    ap.add_argument("--seed", type=int, default=1, help="seed of the sign flips")
    ap.add_argument("--out", type=Path, required=True, help="markdown summary")
    return ap.parse_args()


def main() -> None:
    args = parse_args(__doc__, "report", "per_language.json of `recipe report`")
    report = json.loads(args.report.read_text(encoding="utf-8"))
    report_resamples = int(report.get("resamples", 10_000))
    ref = report["reference"]
    rows = []  # metric, dataset, name, key, p_report, p_holm_report, p_ours, p_t
    for ds, table in report["datasets"].items():
        for name, row in table["rows"].items():
            if row["setting"] in (ref, "baseline"):
                continue
            for key, cell in row["per_lang"].items():
                for metric, p in cell.get("p", {}).items():
                    a = setting_scores(args.cells, name, ds, key, metric)
                    b = setting_scores(args.cells, f"{row['model']}/{ref}", ds, key, metric)
                    common = sorted(set(a) & set(b))
                    d = np.array([a[q] - b[q] for q in common])
                    p_t = 1.0 if np.allclose(d, 0) else float(ttest_rel([a[q] for q in common],
                                                                         [b[q] for q in common]).pvalue)
                    rows.append((metric, ds, name, key, p, cell["p_holm"][metric],
                                 sign_flip_p(d, args.resamples, args.seed), p_t))
    lines = [f"Independent check of `{args.report}` against `{args.cells}` "
             f"({len(rows)} comparisons; reference `{ref}`).", ""]
    for metric in sorted({r[0] for r in rows}):
        sub = [r for r in rows if r[0] == metric]
        holm_sm = multipletests([r[4] for r in sub], alpha=ALPHA, method="holm")[1]
        holm_gap = max(abs(h - r[5]) for h, r in zip(holm_sm, sub, strict=True))
        small = [abs(r[6] - r[4]) for r in sub if min(r[4], r[6]) < 0.1] or [0.0]
        ours_holm = multipletests([r[6] for r in sub], alpha=ALPHA, method="holm")[1]
        t_holm = multipletests([r[7] for r in sub], alpha=ALPHA, method="holm")[1]
        sig_report = [r[5] < ALPHA for r in sub]
        agree_ours = sum(a == (b < ALPHA) for a, b in zip(sig_report, ours_holm, strict=True))
        agree_t = sum(a == (b < ALPHA) for a, b in zip(sig_report, t_holm, strict=True))
        lines += [f"## {metric}", "",
                  f"- Holm: statsmodels on the report's raw p-values vs the report's adjusted ones: largest "
                  f"difference {holm_gap:.2e}",
                  f"- randomization p, ours ({args.resamples:,} sign flips) vs the report's ({report_resamples:,}): "
                  f"largest difference {max(abs(r[6] - r[4]) for r in sub):.4f} (the Monte Carlo standard error "
                  f"of a {report_resamples:,}-resample p near 0.5 is {0.5 / report_resamples ** 0.5:.4f}), "
                  f"{max(small):.4f} where p < 0.1",
                  f"- significant after Holm (p < {ALPHA}): report {sum(sig_report)} of {len(sub)}; ours "
                  f"{sum(b < ALPHA for b in ours_holm)} (same verdict on {agree_ours}); paired t-test "
                  f"{sum(b < ALPHA for b in t_holm)} (same verdict on {agree_t})", "",
                  "| dataset | setting | key | p report | p ours | p t-test | Holm report | Holm ours | Holm t |",
                  "|---|---|---|---:|---:|---:|---:|---:|---:|"]
        for r, ho, ht in zip(sub, ours_holm, t_holm, strict=True):
            lines.append(f"| {r[1]} | {r[2]} | {r[3]} | {r[4]:.4f} | {r[6]:.4f} | {r[7]:.4f} | {r[5]:.4f} | "
                         f"{ho:.4f} | {ht:.4f} |")
        lines.append("")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(line for line in lines if not line.startswith("|")))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
