"""Per-language tables of a recipe's retrieval datasets, with paired significance tests against a reference.

For every retrieval dataset the recipe evaluates and every row key of it (a language, or a language pair
such as ``ha-en``), each setting's nDCG@10 and Recall@100 as mean ± std over seeds (sample std, ddof=1).
Each setting is tested against the reference setting (``significance.reference``, default the
off-the-shelf setting ``off-the-shelf``) with a paired two-sided randomization test on per-query scores
(Smucker, Allan & Carterette, CIKM 2007): a query's score under a setting is its mean over that setting's
seeds; the statistic is the mean per-query difference, and each resample flips the sign of each query's
difference at random (``paired_randomization``: seeded Monte Carlo, ``significance.resamples``, default
10,000; exact when the sign vectors are fewer). The p-values of one
metric over every (setting, dataset, language) comparison of the report are Holm-corrected (Holm 1979;
family-wise error 0.05). Marks: ``▲`` significantly better than the reference, ``▼`` significantly worse.

``upper_bounds`` pairs a cross-lingual dataset with the dataset that asks the same questions in the
passages' language (AfriQA: ``afriqa/dev`` with ``afriqa/dev-en``; rows paired in order): the table then
shows the reference's upper bound per language and, per setting, the share of the average gap it closes,
``(avg(setting) - avg(reference)) / (avg(upper of the reference) - avg(reference))``.

Per-query scores are the ``<key>.per-query.tsv`` files that ``codeswitch evaluate`` writes beside each run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from codeswitch.recipes.report import _mean_std

METRICS = ("ndcg@10", "recall@100")
ALPHA = 0.05


def _slug(text: str) -> str:
    from evaluation.reports.tables import slug

    return slug(text)


def holm(pvalues: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down; monotone; capped at 1), in the input order."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted = [1.0] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def paired_randomization(a: np.ndarray, b: np.ndarray, resamples: int = 10_000, seed: int = 0,
                         chunk: int = 8192) -> float:
    """Two-sided p-value of mean(a - b) = 0 under random sign flips of the paired differences.

    Exact (every sign vector) when 2^n <= ``resamples``; otherwise a seeded Monte Carlo estimate,
    ``(hits + 1) / (resamples + 1)`` with hits = the resamples whose |sum of flipped differences| reaches the
    observed one (Phipson & Smyth 2010). Drawn as packed random bits and one matrix product per chunk: about
    ten times faster than ``scipy.stats.permutation_test`` on the same test (the report runs hundreds of them
    at 100,000 resamples), whose p-values it matches within Monte Carlo error
    (``tests/codeswitch/recipes/test_per_language.py``).
    """
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = d.size
    total = float(d.sum())
    observed = abs(total)
    if n == 0 or observed <= 1e-12 * max(1.0, float(np.abs(d).sum())):
        return 1.0
    tol = observed * 1e-9  # a flip that reproduces the observed sum counts despite float rounding
    if n < 63 and 2 ** n <= resamples:
        codes = np.arange(2 ** n, dtype=np.uint64)[:, None]
        bits = ((codes >> np.arange(n, dtype=np.uint64)) & np.uint64(1)).astype(np.float64)
        return float(np.mean(np.abs(2 * (bits @ d) - total) >= observed - tol))
    rng = np.random.default_rng(seed)
    hits = 0
    for start in range(0, resamples, chunk):
        m = min(chunk, resamples - start)
        # bit 1 keeps a difference's sign, bit 0 flips it: flipped sum = 2 * (kept sum) - total
        bits = np.unpackbits(rng.integers(0, 256, (m, (n + 7) // 8), dtype=np.uint8), axis=1, count=n)
        hits += int(np.count_nonzero(np.abs(2 * (bits @ d) - total) >= observed - tol))
    return (hits + 1) / (resamples + 1)


def resamples_needed(n_tests: int, alpha: float = ALPHA) -> int:
    """The fewest Monte Carlo resamples with which any of ``n_tests`` Holm-corrected tests can reach ``alpha``.

    The smallest Monte Carlo p-value is 1 / (resamples + 1) and Holm multiplies the smallest by the number of
    tests, so significance needs n_tests / (resamples + 1) < alpha. (Exact tests, on 16 or fewer queries at
    100,000 resamples, can go lower; a report has hundreds of queries per test.)
    """
    return math.floor(n_tests / alpha) if n_tests else 0


def too_few_resamples(result: dict[str, Any], where: str = "the recipe") -> str:
    """One sentence when ``result`` (of :func:`per_language`) has too few resamples for its Holm family, else ""."""
    resamples, needed = result["resamples"], result.get("resamples_needed", 0)
    if resamples >= needed:
        return ""
    m = max(result["n_tests"].values())
    return (f"{resamples:,} resamples cannot make any of the {m:,} Holm-corrected comparisons significant; set "
            f"significance.resamples to at least {needed:,} in {where} (the smallest possible p, "
            f"1/{resamples + 1:,}, times {m:,} is {m / (resamples + 1):.3f} ≥ {ALPHA})")


def _cells(steps: list) -> dict[tuple[str, str], list[Path]]:
    """(model, setting) -> the eval folders of its finished cells (one per seed; one for a baseline)."""
    cells: dict[tuple[str, str], list[Path]] = {}
    for s in steps:
        if s.kind == "eval" and s.status in ("ran", "skipped") and (Path(s.out) / "metrics.json").is_file():
            parts = s.name.split("/")
            key = (parts[0], "baseline") if len(parts) == 1 else (parts[0], parts[1])
            cells.setdefault(key, []).append(Path(s.out))
    return cells


def _load(folder: Path, ds: str) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, dict[str, float]]]]:
    """Per-language means and per-query scores (metric -> qid -> value) of one cell on one dataset."""
    from evaluation.trec_io import read_per_query

    entry = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))["datasets"].get(ds, {})
    if entry.get("kind") != "retrieval":
        return {}, {}
    per_query = {}
    for key in entry["per_lang"]:
        path = folder / "runs" / _slug(ds) / f"{key}.per-query.tsv"
        if path.is_file():
            per_query[key] = read_per_query(path)
    return entry["per_lang"], per_query


def per_language(steps: list, datasets: list[str], reference: str = "off-the-shelf",
                 upper_bounds: dict[str, str] | None = None, resamples: int = 10_000, seed: int = 0) -> dict[str, Any]:
    """The numbers behind the per-language tables (see the module docstring)."""
    cells = _cells(steps)
    out: dict[str, Any] = {"reference": reference, "alpha": ALPHA, "test": "paired randomization, two-sided",
                           "resamples": resamples, "correction": "holm", "datasets": {}}
    tests: list[tuple[str, str, str, str, str, float]] = []  # metric, ds, model, setting, key, p
    for ds in datasets:
        rows: dict[str, Any] = {}
        keys: list[str] = []
        for (model, setting), folders in cells.items():
            loaded = [_load(f, ds) for f in folders]
            loaded = [x for x in loaded if x[0]]
            if not loaded:
                continue
            keys = keys or list(loaded[0][0])
            row: dict[str, Any] = {"model": model, "setting": setting, "n": len(loaded), "per_lang": {}}
            for key in loaded[0][0]:
                vals = {m: [x[0][key][m] for x in loaded if key in x[0]] for m in METRICS}
                q = {m: _mean_over_seeds([x[1].get(key, {}).get(m, {}) for x in loaded]) for m in METRICS}
                row["per_lang"][key] = {m: _mean_std(vals[m]) for m in METRICS} | {"_per_query": q}
            rows[f"{model}/{setting}"] = row
        if rows:
            out["datasets"][ds] = {"keys": keys, "rows": rows}
    for ds, table in out["datasets"].items():
        for name, row in table["rows"].items():
            ref = table["rows"].get(f"{row['model']}/{reference}")
            if ref is None or row["setting"] in (reference, "baseline"):
                continue
            for key, cell in row["per_lang"].items():
                for m in METRICS:
                    a, b = cell["_per_query"][m], ref["per_lang"].get(key, {}).get("_per_query", {}).get(m, {})
                    common = sorted(set(a) & set(b))
                    if common:
                        p = paired_randomization(np.array([a[q] for q in common]), np.array([b[q] for q in common]),
                                                 resamples, seed)
                        tests.append((m, ds, name, key, m, p))
    for m in METRICS:
        idx = [i for i, t in enumerate(tests) if t[0] == m]
        for i, adj in zip(idx, holm([tests[i][5] for i in idx]), strict=True):
            _, ds, name, key, _, p = tests[i]
            cell = out["datasets"][ds]["rows"][name]["per_lang"][key]
            cell.setdefault("p", {})[m] = p
            cell.setdefault("p_holm", {})[m] = adj
    out["n_tests"] = {m: sum(1 for t in tests if t[0] == m) for m in METRICS}
    out["resamples_needed"] = resamples_needed(max(out["n_tests"].values(), default=0))
    for ds, up in (upper_bounds or {}).items():
        if ds in out["datasets"] and up in out["datasets"]:
            out["datasets"][ds]["upper_bound"] = up
    for table in out["datasets"].values():
        for row in table["rows"].values():
            for cell in row["per_lang"].values():
                cell.pop("_per_query")
    return out


def _mean_over_seeds(per_seed: list[dict[str, float]]) -> dict[str, float]:
    common = set.intersection(*(set(d) for d in per_seed)) if per_seed and all(per_seed) else set()
    return {q: sum(d[q] for d in per_seed) / len(per_seed) for q in common}


def _mark(cell: dict, metric: str, ref_mean: float | None) -> str:
    adj = cell.get("p_holm", {}).get(metric)
    if adj is None or adj >= ALPHA or ref_mean is None:
        return ""
    return " ▲" if cell[metric][0] > ref_mean else " ▼"


def markdown(result: dict[str, Any]) -> str:
    """Per dataset and metric: a table of settings × row keys (mean ± std, marks), gap closed where given."""
    ref = result["reference"]
    lines = [f"Per language: mean ± std over seeds; ▲ / ▼ = better / worse than `{ref}` at p < {ALPHA} "
             f"(paired two-sided randomization test on per-query scores, {result['resamples']:,} resamples, Holm "
             f"correction over the {result['n_tests'].get('ndcg@10', 0)} comparisons of each metric).", ""]
    if warning := too_few_resamples(result):
        lines += [f"**Too few resamples:** {warning}.", ""]
    for ds, table in result["datasets"].items():
        keys, rows = table["keys"], table["rows"]
        upper = result["datasets"].get(table.get("upper_bound", ""), None)
        for m in METRICS:
            head = f"### {ds}: {m}"
            cols = [*keys, "avg"] + (["gap closed"] if upper else [])
            lines += [head, "", "| model / setting | n | " + " | ".join(cols) + " |",
                      "|---|---:|" + "---:|" * len(cols)]
            if upper:
                # the reference of the first model that has one (the first row may be a baseline such as bm25)
                uref = next((upper["rows"][f"{r['model']}/{ref}"] for r in rows.values()
                             if f"{r['model']}/{ref}" in upper["rows"]), None)
                if uref is not None:
                    ups = [uref["per_lang"][k][m][0] for k in upper["keys"]]
                    lines.append(f"| upper bound: {ref}, English question | 1 | "
                                 + " | ".join(f"{u:.3f}" for u in ups) + f" | {sum(ups) / len(ups):.3f} | |")
            for name, row in rows.items():
                refrow = rows.get(f"{row['model']}/{ref}")
                cells, avgs = [], []
                for k in keys:
                    cell = row["per_lang"].get(k)
                    if cell is None:
                        cells.append("–")
                        continue
                    mean, std = cell[m]
                    avgs.append(mean)
                    ref_mean = refrow["per_lang"][k][m][0] if refrow and k in refrow["per_lang"] else None
                    sd = "" if math.isnan(std) else f" ± {std:.3f}"
                    cells.append(f"{mean:.3f}{sd}{_mark(cell, m, ref_mean)}")
                avg = sum(avgs) / len(avgs) if avgs else float("nan")
                cells.append(f"{avg:.3f}")
                if upper:
                    cells.append(_gap(rows, upper, row, ref, m, avg))
                lines.append(f"| {name} | {row['n']} | " + " | ".join(cells) + " |")
            lines.append("")
    return "\n".join(lines) + "\n"


def _gap(rows: dict, upper: dict, row: dict, ref: str, metric: str, avg: float) -> str:
    refrow, uref = rows.get(f"{row['model']}/{ref}"), upper["rows"].get(f"{row['model']}/{ref}")
    if refrow is None or uref is None or row["setting"] in (ref, "baseline"):
        return ""
    r = [c[metric][0] for c in refrow["per_lang"].values()]
    u = [uref["per_lang"][k][metric][0] for k in upper["keys"]]
    gap = sum(u) / len(u) - sum(r) / len(r)
    return f"{(avg - sum(r) / len(r)) / gap:+.0%}" if gap > 0 else ""


def _no_nan(obj: Any) -> Any:
    """``obj`` with NaN floats as None: strict JSON (a single seed has no std)."""
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _no_nan(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_no_nan(v) for v in obj]
    return obj


def plot(result: dict[str, Any], path: Path, metric: str = "ndcg@10") -> bool:
    """Per row key, each trained setting's change against the reference (mean over seeds, error bar = std).

    Upper-bound datasets are left out (they are the ceiling, not a target). Solid bars are significant after
    Holm correction, hatched ones are not. Returns False (and writes nothing) when there is nothing to plot.
    """
    ref = result["reference"]
    uppers = {t.get("upper_bound") for t in result["datasets"].values()}
    columns = [(ds, k) for ds, t in result["datasets"].items() if ds not in uppers for k in t["keys"]]
    series: dict[str, dict[tuple[str, str], tuple[float, float, bool]]] = {}
    seeds: dict[str, int] = {}
    for ds, key in columns:
        rows = result["datasets"][ds]["rows"]
        for name, row in rows.items():
            refrow = rows.get(f"{row['model']}/{ref}")
            cell = row["per_lang"].get(key)
            if row["setting"] in (ref, "baseline") or refrow is None or cell is None or key not in refrow["per_lang"]:
                continue
            mean, std = cell[metric]
            significant = cell.get("p_holm", {}).get(metric, 1.0) < ALPHA
            delta = mean - refrow["per_lang"][key][metric][0]
            no_std = std is None or math.isnan(std)  # one seed: NaN in memory, null in per_language.json
            series.setdefault(name, {})[(ds, key)] = (delta, 0.0 if no_std else std, significant)
            seeds[name] = row["n"]
    if not series:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = 0.84 / len(series)
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(max(8.0, 0.22 * len(columns) * len(series) + 3.5), 4.2), layout="constrained")
    colours, handles = plt.get_cmap("tab10").colors, []
    for i, (name, cells) in enumerate(series.items()):
        colour = colours[i % len(colours)]
        handles.append(Patch(color=colour, label=f"{name} (n={seeds[name]})"))
        for j, col in enumerate(columns):
            if col not in cells:
                continue
            delta, std, significant = cells[col]
            ax.bar(j - 0.42 + width * (i + 0.5), delta, width * 0.9, yerr=std or None, capsize=1.5,
                   color=colour if significant else "white", edgecolor=colour, hatch=None if significant else "///")
    ax.axhline(0, color="black", linewidth=0.8)
    # a dataset of several row keys labels them by key (ha-en); a dataset of one key by the dataset id (tydi/sw)
    ax.set_xticks(range(len(columns)), [k if len(result["datasets"][ds]["keys"]) > 1 else ds for ds, k in columns],
                  fontsize=8)
    ax.set_ylabel(f"{metric} minus {ref}")
    ax.set_title(f"{metric} change against {ref} per language (mean over seeds, error bar = std; solid = significant "
                 f"at p < {ALPHA} after Holm, hatched = not)", fontsize=9, wrap=True)
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(result: dict[str, Any], out_dir: Path) -> None:
    """``per_language.json``, ``per_language.md`` and ``per_language.png`` (the changes plotted) in ``out_dir``."""
    out_dir = Path(out_dir)
    (out_dir / "per_language.json").write_text(json.dumps(_no_nan(result), indent=1, allow_nan=False) + "\n",
                                               encoding="utf-8")
    (out_dir / "per_language.md").write_text(markdown(result), encoding="utf-8")
    plot(result, out_dir / "per_language.png")
