"""How much of the best AfriQA figure is the luck of choosing it on the same queries (a held-out split).

Every setting of issue 20 was compared, and the best one chosen, on AfriQA dev itself, the set its figures
are reported on. Choosing the highest of many noisy figures picks, on average, one whose noise was
favourable (the winner's curse), so its figure overstates what it would score on new questions. This
script measures that with the queries the cells already have, and no training:

1. split each language's queries into two halves at random (seeded; half A, half B);
2. on half A, choose the candidate setting with the highest six-language average nDCG@10 (each query's
   score is its mean over the setting's seeds, as in the report; the average is over the six languages);
3. read the chosen setting on half B: its average, and the share of the gap between off the shelf and the
   English-question upper bound it closes there (both on half B);
4. repeat over ``--splits`` random splits.

The difference between the chosen setting's figure on half A and on half B is the optimism of choosing on
the test queries. Only the query sample is resampled: the seeds are the same in both halves, so the luck
of a setting's seeds (which ``robustness-seeds-4-9`` measures) is not part of it.

Candidates: every setting with AfriQA per-query scores in the cells except the reference, on the seeds the
cells hold (three seeds or one; a soup is one model). Output: a markdown table (how often each setting is
chosen, its mean on A and B) and a JSON file beside it.

    python benchmarks/african_selection.py --cells benchmarks/results/african-zeroshot-cpu/cells \\
        --out benchmarks/results/african-zeroshot-cpu/selection/selection.md
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from evaluation.trec_io import read_per_query  # noqa: E402

LANGS = ("bem-en", "ha-en", "ig-en", "rw-en", "tw-en", "zu-en")
METRIC = "ndcg@10"
REFERENCE = "off-the-shelf"


def setting_scores(folder: Path, sub: str = "afriqa-dev", suffix: str = "") -> tuple[dict[str, dict], int]:
    """(language -> qid -> nDCG@10 averaged over the seed or ``once`` folders of one setting, number of those
    folders); ``({}, 0)`` if it has none."""
    runs = sorted(p for p in folder.iterdir() if p.is_dir() and (p / "runs" / sub).is_dir()) if folder.is_dir() else []
    if not runs:
        return {}, 0
    out = {}
    for lang in LANGS:
        per_run = [read_per_query(r / "runs" / sub / f"{lang}{suffix}.per-query.tsv")[METRIC] for r in runs]
        qids = sorted(set.intersection(*(set(x) for x in per_run)))
        if not qids or any(len(x) != len(qids) for x in per_run):
            raise SystemExit(f"{folder}: the seeds of {lang} do not score the same queries; re-copy the cells")
        out[lang] = {q: float(np.mean([x[q] for x in per_run])) for q in qids}
    return out, len(runs)


def load(cells: Path, model: str) -> tuple[dict[str, dict], dict, dict, dict[str, int]]:
    """(candidates: setting -> language -> qid -> score, reference, upper bound, setting -> number of runs)."""
    root = cells / "eval" / model
    if not root.is_dir():
        raise SystemExit(f"{root}: no such folder; pass --cells a folder of kept cells (recipe copy-cells) or a "
                         "recipe --out, and --model one of its models")
    candidates, runs = {}, {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != REFERENCE):
        scores, n = setting_scores(folder)
        if n:
            candidates[folder.name], runs[folder.name] = scores, n
    reference, _ = setting_scores(root / REFERENCE)
    upper, _ = setting_scores(root / REFERENCE, "afriqa-dev-en", ".upper")
    if not reference or not upper:
        raise SystemExit(f"{root / REFERENCE}: no AfriQA per-query scores (afriqa-dev and afriqa-dev-en) to measure "
                         "the gap against; copy the off-the-shelf cell")
    return candidates, reference, upper, runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cells", type=Path, required=True, help="kept cells (recipe copy-cells) or a recipe --out")
    ap.add_argument("--out", type=Path, required=True, help="markdown table; a .json of the same name beside it")
    ap.add_argument("--model", default="e5")
    ap.add_argument("--splits", type=int, default=2000, help="random half splits")
    ap.add_argument("--seed", type=int, default=0, help="seed of the splits")
    ap.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                    help="leave these settings out of the candidates (repeatable; e.g. '*-soup')")
    args = ap.parse_args()
    if args.splits < 1:
        raise SystemExit(f"--splits must be at least 1, found {args.splits}")
    candidates, reference, upper, runs = load(args.cells, args.model)
    candidates = {n: v for n, v in candidates.items() if not any(fnmatch.fnmatchcase(n, g) for g in args.exclude)}
    names = sorted(candidates)
    if not names:
        raise SystemExit(f"{args.cells}: no candidate settings with AfriQA per-query scores"
                         + (f" after --exclude {' '.join(args.exclude)}" if args.exclude else ""))
    qids = {lang: sorted(reference[lang]) for lang in LANGS}
    for name, scores in [*candidates.items(), ("upper bound", upper)]:
        for lang in LANGS:
            if set(scores[lang]) != set(qids[lang]):
                raise SystemExit(f"{name}: {lang} scores {len(scores[lang])} queries, off the shelf "
                                 f"{len(qids[lang])}; the cells do not match")
    # matrices: language -> (setting, query); reference and upper bound as rows of their own
    mats = {lang: np.array([[candidates[n][lang][q] for q in qids[lang]] for n in names]) for lang in LANGS}
    ref = {lang: np.array([reference[lang][q] for q in qids[lang]]) for lang in LANGS}
    up = {lang: np.array([upper[lang][q] for q in qids[lang]]) for lang in LANGS}
    full = np.mean([mats[lang].mean(axis=1) for lang in LANGS], axis=0)

    rng = np.random.default_rng(args.seed)
    chosen, on_a, on_b, gap_b, best_b = [], [], [], [], []
    for _ in range(args.splits):
        avg_a, avg_b, ref_b, up_b = 0.0, 0.0, 0.0, 0.0
        for lang in LANGS:
            n = len(qids[lang])
            mask = np.zeros(n, dtype=bool)
            mask[rng.permutation(n)[: n // 2]] = True
            avg_a = avg_a + mats[lang][:, mask].mean(axis=1) / len(LANGS)
            avg_b = avg_b + mats[lang][:, ~mask].mean(axis=1) / len(LANGS)
            ref_b += ref[lang][~mask].mean() / len(LANGS)
            up_b += up[lang][~mask].mean() / len(LANGS)
        k = int(np.argmax(avg_a))
        chosen.append(k)
        on_a.append(avg_a[k])
        on_b.append(avg_b[k])
        gap_b.append((avg_b[k] - ref_b) / (up_b - ref_b))
        best_b.append(avg_b.max())
    chosen_a = np.array(chosen)
    counts = np.bincount(chosen_a, minlength=len(names))
    on_a, on_b, gap_b = np.array(on_a), np.array(on_b), np.array(gap_b)
    order = np.argsort(-full)
    result = {
        "splits": args.splits, "seed": args.seed, "candidates": len(names), "excluded": args.exclude,
        "queries": {lang: len(qids[lang]) for lang in LANGS},
        "chosen_on_A_mean": float(on_a.mean()), "chosen_on_B_mean": float(on_b.mean()),
        "optimism_mean": float((on_a - on_b).mean()),
        "optimism_quantiles_5_50_95": [float(x) for x in np.quantile(on_a - on_b, [0.05, 0.5, 0.95])],
        "gap_closed_on_B_mean": float(gap_b.mean()),
        "gap_closed_on_B_quantiles_5_50_95": [float(x) for x in np.quantile(gap_b, [0.05, 0.5, 0.95])],
        "share_of_splits_gap_on_B_at_least_a_third": float((gap_b >= 1 / 3).mean()),
        "settings": {names[i]: {"runs": runs[names[i]], "full_dev": float(full[i]), "chosen": int(counts[i]),
                                "mean_on_A_when_chosen": float(on_a[chosen_a == i].mean()) if counts[i] else None,
                                "mean_on_B_when_chosen": float(on_b[chosen_a == i].mean()) if counts[i] else None}
                     for i in order},
    }
    lines = [
        f"AfriQA dev nDCG@10 (six-language average), chosen on a random half of each language's queries (A) and "
        f"read on the other half (B); {args.splits} splits (seed {args.seed}); {len(names)} candidate settings "
        f"(every trained setting in `{args.cells}`, on the seeds it has"
        + (f"; left out: {', '.join(args.exclude)}" if args.exclude else "") + "). Queries: "
        + ", ".join(f"{lang.split('-')[0]} {len(qids[lang])}" for lang in LANGS) + ".",
        "",
        f"- chosen setting, mean on A (where it was chosen): **{on_a.mean():.4f}**; on B (held out): "
        f"**{on_b.mean():.4f}**; optimism A − B: {(on_a - on_b).mean():+.4f} (5 / 50 / 95 %: "
        + " / ".join(f"{x:+.4f}" for x in result["optimism_quantiles_5_50_95"]) + ")",
        f"- gap closed on B by the setting chosen on A: {100 * gap_b.mean():.1f} % on average (5 / 50 / 95 %: "
        + " / ".join(f"{100 * x:.1f}" for x in result["gap_closed_on_B_quantiles_5_50_95"])
        + f" %); at least a third in {100 * result['share_of_splits_gap_on_B_at_least_a_third']:.1f} % of the "
        "splits",
        "",
        "| setting | runs | full dev | chosen on A (share of splits) | mean on A when chosen | on B when chosen |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in result["settings"].items():
        if row["chosen"] or name in [names[i] for i in order[:8]]:
            a = f"{row['mean_on_A_when_chosen']:.4f}" if row["chosen"] else ""
            b = f"{row['mean_on_B_when_chosen']:.4f}" if row["chosen"] else ""
            lines.append(f"| `{name}` | {row['runs']} | {row['full_dev']:.4f} | {row['chosen']} "
                         f"({100 * row['chosen'] / args.splits:.1f} %) | {a} | {b} |")
    lines += ["", "Rows: every setting ever chosen, and the eight best on the full dev set."]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
