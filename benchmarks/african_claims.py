"""The two published claims of issue 20, tested setting against setting (not against off the shelf).

``recipe report`` tests every setting against the reference (off the shelf). The claims compare trained
settings with each other:

* hybrid batching >= mono batching and >= cross batching on the same pairs (hybrid-batch paper):
  ``parallel-hybrid`` vs ``parallel-mono`` and vs ``parallel-cross`` (XQuAD parallel pairs, layers 0-8
  frozen), and ``hybrid-flores-para-xen-s100`` vs ``flores-para-xen-s100-mono`` and ``-cross`` (XQuAD
  question -> paragraph pairs and FLORES x -> en pairs, every layer), and ``hybrid-tydi-flores-xen-s100`` vs
  ``tydi-flores-xen-s100-mono`` and ``flores-para-xen-s100-cross`` (TyDi GoldP question -> paragraph pairs of
  five languages in place of XQuAD's; the cross half is the same FLORES pairs);
* code-switching raises zero-shot cross-lingual effectiveness (Litschko et al.): ``cs-query`` (and
  ``cs-both``) vs ``english``, the same pairs unswitched.

From the kept cells (``recipe copy-cells``) a query's score under a setting is its mean over the seeds
both settings of the pair have (so a three-seed setting meets a one-seed control on that seed); per AfriQA
language and pooled over all six (every query once), the difference of the means and a paired two-sided
randomization test (``per_language.paired_randomization``: 100,000 sign flips),
Holm-corrected over every test of the table. Pairs whose settings have no cells are listed as not run.

    python benchmarks/african_claims.py --cells benchmarks/results/african-zeroshot-cpu/cells \\
        --out benchmarks/results/african-zeroshot-cpu/2026-12-07/claims.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from codeswitch.recipes.per_language import holm, paired_randomization  # noqa: E402
from evaluation.trec_io import read_per_query  # noqa: E402

PAIRS = (("parallel-hybrid", "parallel-mono"), ("parallel-hybrid", "parallel-cross"), ("cs-query", "english"),
         ("cs-both", "english"), ("hybrid-cs", "parallel-hybrid"),
         ("hybrid-flores-para-xen-s100", "flores-para-xen-s100-mono"),
         ("hybrid-flores-para-xen-s100", "flores-para-xen-s100-cross"),
         ("hybrid-tydi-flores-xen-s100", "tydi-flores-xen-s100-mono"),
         ("hybrid-tydi-flores-xen-s100", "flores-para-xen-s100-cross"))
LANGS = ("bem-en", "ha-en", "ig-en", "rw-en", "tw-en", "zu-en")
METRIC = "ndcg@10"


def seeds_of(cells: Path, setting: str, model: str = "e5") -> set[str]:
    """The seed folders of a setting that hold AfriQA per-query scores."""
    return {f.parent.parent.parent.name
            for f in (cells / "eval" / model / setting).glob("seed*/runs/afriqa-dev/*.per-query.tsv")}


def scores(cells: Path, setting: str, key: str, seeds: set[str], model: str = "e5") -> tuple[dict[str, float], int]:
    """qid -> nDCG@10 averaged over the given seeds of the setting, and the number of seeds."""
    files = [cells / "eval" / model / setting / seed / "runs" / "afriqa-dev" / f"{key}.per-query.tsv"
             for seed in sorted(seeds)]
    runs = [read_per_query(f)[METRIC] for f in files if f.is_file()]
    if not runs:
        return {}, 0
    common = set.intersection(*(set(r) for r in runs))
    return {q: sum(r[q] for r in runs) / len(runs) for q in common}, len(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cells", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    tests, rows, missing = [], [], []
    for a, b in PAIRS:
        both = seeds_of(args.cells, a) & seeds_of(args.cells, b)
        per_lang = {k: (scores(args.cells, a, k, both), scores(args.cells, b, k, both)) for k in LANGS}
        if not all(sa and sb for (sa, _), (sb, _) in per_lang.values()):
            missing.append(f"`{a}` vs `{b}`")
            continue
        seeds = (per_lang[LANGS[0]][0][1], per_lang[LANGS[0]][1][1])
        pooled_a, pooled_b = [], []
        for k, ((sa, _), (sb, _)) in per_lang.items():
            common = sorted(set(sa) & set(sb))
            xa, xb = np.array([sa[q] for q in common]), np.array([sb[q] for q in common])
            pooled_a.append(xa)
            pooled_b.append(xb)
            tests.append(paired_randomization(xa, xb, resamples=100_000))
            rows.append((a, b, seeds, k, xa.mean(), xb.mean(), len(common)))
        xa, xb = np.concatenate(pooled_a), np.concatenate(pooled_b)
        tests.append(paired_randomization(xa, xb, resamples=100_000))
        rows.append((a, b, seeds, "all six (pooled)", xa.mean(), xb.mean(), len(xa)))
    adjusted = holm(tests) if tests else []
    lines = ["AfriQA dev nDCG@10, setting A against setting B on the same queries (mean over the seeds both have); "
             "p: paired two-sided randomization test (100,000 sign flips); Holm over the "
             f"{len(tests)} tests of this table. ▲ / ▼: A significantly above / below B (Holm p < 0.05).", "",
             "| A | B | seeds A / B | language | A | B | A − B | p | p Holm | queries |",
             "|---|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for (a, b, seeds, k, ma, mb, n), p, adj in zip(rows, tests, adjusted, strict=True):
        mark = (" ▲" if ma > mb else " ▼") if adj < 0.05 else ""
        lines.append(f"| `{a}` | `{b}` | {seeds[0]} / {seeds[1]} | {k} | {ma:.3f} | {mb:.3f} | {ma - mb:+.3f}{mark} | "
                     f"{p:.4f} | {adj:.4f} | {n} |")
    if missing:
        lines += ["", "Not run yet (no cells of one side): " + ", ".join(missing) + "."]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
