#!/usr/bin/env python
"""Independent check of ``claims.md`` (``benchmarks/african_claims.py``): setting against setting.

Nothing from the toolkit is imported. For every row of the claims table this script reads the two settings'
per-query nDCG@10 from the kept cells itself, on the seeds the table says both have (the seed folders the
two settings share), averages each query over those seeds, and recomputes

* both means (must equal the table's to its three decimals);
* the two-sided paired randomization p with its own sign flips (``check_significance_independent.sign_flip_p``,
  numpy), and the paired t-test p (``scipy.stats.ttest_rel``);
* Holm over the table's raw p-values with statsmodels (must equal the table's adjusted p to its four decimals),
  and the verdicts (Holm p < 0.05) of both independent tests against the table's marks.

Usage (``pip install statsmodels`` first; it is not a toolkit dependency)::

    python benchmarks/check_claims_independent.py \\
        --claims benchmarks/results/african-zeroshot-cpu/2026-12-08-stop34/claims.md \\
        --cells benchmarks/results/african-zeroshot-cpu/cells \\
        --out benchmarks/results/african-zeroshot-cpu/2026-12-08-stop34/claims_check.md
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.stats import ttest_rel
from statsmodels.stats.multitest import multipletests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_significance_independent import parse_args, per_query, sign_flip_p  # noqa: E402

ALPHA = 0.05
LANGS = ("bem-en", "ha-en", "ig-en", "rw-en", "tw-en", "zu-en")
POOLED = "all six (pooled)"


def parse_claims(path: Path) -> list[dict]:
    """The table rows of claims.md: A, B, language, the two means, raw p, Holm p, the mark."""
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 10 or not cells[0].startswith("`"):
            continue
        try:
            diff = cells[6].split()
            rows.append({"a": cells[0].strip("`"), "b": cells[1].strip("`"), "lang": cells[3],
                         "seeds": int(cells[2].split("/")[0]),
                         "mean_a": float(cells[4]), "mean_b": float(cells[5]),
                         "mark": diff[1] if len(diff) > 1 else "", "p": float(cells[7]), "p_holm": float(cells[8]),
                         "queries": int(cells[9])})
        except (ValueError, IndexError):
            raise SystemExit(f"{path}:{n}: not a claims-table row ({line.strip()[:80]}); give a claims.md written "
                             "by benchmarks/african_claims.py") from None
    if not rows:
        raise SystemExit(f"{path}: no claims-table rows; give a claims.md written by benchmarks/african_claims.py")
    return rows


def seed_dirs(cells: Path, setting: str) -> set[str]:
    folder = cells / "eval" / "e5" / setting
    return {p.parent.parent.name for p in folder.glob("*/runs/afriqa-dev")} if folder.is_dir() else set()


def scores(cells: Path, setting: str, lang: str, seeds: set[str]) -> dict[str, float]:
    runs = [per_query(cells / "eval" / "e5" / setting / s / "runs" / "afriqa-dev" / f"{lang}.per-query.tsv")["ndcg@10"]
            for s in sorted(seeds)]
    common = set.intersection(*(set(r) for r in runs))
    return {q: sum(r[q] for r in runs) / len(runs) for q in common}


def main() -> None:
    args = parse_args(__doc__, "claims", "claims.md of benchmarks/african_claims.py")
    if not args.claims.is_file():
        raise SystemExit(f"--claims {args.claims}: no such file")
    if not (args.cells / "eval").is_dir():
        raise SystemExit(f"--cells {args.cells}: no eval/ folder there; give the `recipe copy-cells` destination")
    rows = parse_claims(args.claims)
    out = []
    for r in rows:
        seeds = seed_dirs(args.cells, r["a"]) & seed_dirs(args.cells, r["b"])
        if not seeds:
            raise SystemExit(f"{args.cells}: `{r['a']}` and `{r['b']}` share no seed with AfriQA per-query scores")
        langs = LANGS if r["lang"] == POOLED else (r["lang"],)
        xa, xb = [], []
        for lang in langs:
            sa, sb = scores(args.cells, r["a"], lang, seeds), scores(args.cells, r["b"], lang, seeds)
            common = sorted(set(sa) & set(sb))
            xa += [sa[q] for q in common]
            xb += [sb[q] for q in common]
        xa, xb = np.array(xa), np.array(xb)
        d = xa - xb
        p_t = 1.0 if np.allclose(d, 0) else float(ttest_rel(xa, xb).pvalue)
        out.append((r, len(seeds), xa.mean(), xb.mean(), len(d), sign_flip_p(d, args.resamples, args.seed), p_t))
    holm_sm = multipletests([r["p"] for r in rows], alpha=ALPHA, method="holm")[1]
    ours_holm = multipletests([o[5] for o in out], alpha=ALPHA, method="holm")[1]
    t_holm = multipletests([o[6] for o in out], alpha=ALPHA, method="holm")[1]
    mean_gap = max(max(abs(round(o[2], 3) - o[0]["mean_a"]), abs(round(o[3], 3) - o[0]["mean_b"])) for o in out)
    count_gap = sum(o[4] != o[0]["queries"] or o[1] != o[0]["seeds"] for o in out)
    holm_gap = max(abs(round(h, 4) - r["p_holm"]) for h, r in zip(holm_sm, rows, strict=True))
    sig = [r["mark"] != "" for r in rows]
    agree_ours = sum(s == (h < ALPHA) for s, h in zip(sig, ours_holm, strict=True))
    agree_t = sum(s == (h < ALPHA) for s, h in zip(sig, t_holm, strict=True))
    dirs = sum((o[2] > o[3]) == (o[0]["mark"] == "▲") for o, s in zip(out, sig, strict=True) if s)
    lines = [f"Independent check of `{args.claims}` against `{args.cells}` ({len(rows)} rows).", "",
             f"- means A and B recomputed from the per-query files on the shared seeds: largest difference from the "
             f"table after rounding to 3 decimals {mean_gap:.3f}; rows whose query or seed count differs: {count_gap}",
             f"- Holm: statsmodels on the table's raw p vs the table's adjusted p: largest difference {holm_gap:.4f} "
             f"(the raw p are printed to 4 decimals and Holm multiplies them by up to {len(rows)}, so rounding "
             f"alone allows {len(rows) * 5e-5 + 5e-5:.4f})",
             f"- significant after Holm: table {sum(sig)} of {len(rows)}; our {args.resamples:,} sign flips "
             f"{sum(h < ALPHA for h in ours_holm)} (same verdict on {agree_ours}); paired t-test "
             f"{sum(h < ALPHA for h in t_holm)} (same verdict on {agree_t}); the table's ▲ / ▼ matches the sign of "
             f"A − B on {dirs} of {sum(sig)}", "",
             "| A | B | seeds | language | A | B | p table | p ours | p t-test | Holm table | Holm ours | Holm t |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (r, k, ma, mb, _, p, pt), ho, ht in zip(out, ours_holm, t_holm, strict=True):
        lines.append(f"| `{r['a']}` | `{r['b']}` | {k} | {r['lang']} | {ma:.3f} | {mb:.3f} | {r['p']:.4f} | {p:.4f} | "
                     f"{pt:.4f} | {r['p_holm']:.4f} | {ho:.4f} | {ht:.4f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(line for line in lines if not line.startswith("|")))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
