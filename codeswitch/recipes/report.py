"""Aggregate a recipe's evaluations: per-run rows, mean ± std over seeds, Markdown tables, plots.

Conventions: a row is one evaluated model (a baseline, an off-the-shelf model, or one trained
seed) on one dataset. XQuAD-R / MLQA-R rows hold the LAReQA macro averages that ``codeswitch
evaluate`` writes (mono / cross / multi mAP; rank distance in the multi setting, lower is
better); MIRACL / Mr.TyDi rows hold nDCG@10 and Recall@100 averaged over the evaluated
languages. ``std`` is the sample standard deviation over seeds (ddof=1; shown only with two or
more seeds). Training time is the wall-clock seconds of the ``codeswitch train`` step on the
machine that ran it, shown as median (min–max) over seeds: on a shared machine the load, not the
setting, drives its spread. Cells not run yet (or that failed / need a missing option) are listed as
such, never filled in.
"""

from __future__ import annotations

import csv
import json
import math
import re
import textwrap
from pathlib import Path
from typing import Any

from codeswitch.atomic import atomic_path

# column key, table heading, (setting, metric) in the LAReQA summary, digits
LAREQA_COLUMNS = (("mono_map", "mono mAP", ("mono", "map"), 3), ("cross_map", "cross mAP", ("cross", "map"), 3),
                  ("multi_map", "multi mAP", ("multi", "map"), 3),
                  ("rank_distance", "rank distance ↓", ("multi", "rank_distance"), 1))
RETRIEVAL_COLUMNS = (("ndcg@10", "nDCG@10", ("average", "ndcg@10"), 3),
                     ("recall@100", "Recall@100", ("average", "recall@100"), 3))
DONE = ("ran", "skipped")


def _columns(kind: str) -> tuple:
    return LAREQA_COLUMNS if kind == "lareqa" else RETRIEVAL_COLUMNS


def slug(text: str) -> str:
    """A file-name-safe form of a dataset id (``miracl/sw/dev`` -> ``miracl-sw-dev``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def read_metrics(eval_dir: Path) -> dict[str, dict[str, Any]]:
    """dataset id -> headline figures (and ``kind``) of one ``codeswitch evaluate`` results folder."""
    doc = json.loads((Path(eval_dir) / "metrics.json").read_text(encoding="utf-8"))
    out: dict[str, dict[str, Any]] = {}
    for ds, entry in doc["datasets"].items():
        kind = entry.get("kind", "lareqa")
        row: dict[str, Any] = {"kind": kind}
        for col, _, (setting, metric), _ in _columns(kind):
            table = entry.get("summary", {}).get(setting, {}) if kind == "lareqa" else entry.get(setting, {})
            row[col] = table.get(metric, float("nan"))
        row["n_questions"] = entry.get("n_questions", 0)
        row["n_candidates"] = entry.get("n_candidates", 0)
        out[ds] = row
    return out


def _split_name(name: str) -> tuple[str, str, str]:
    # names: "bm25" (baseline), "model/setting" (off the shelf), "model/setting/seedN" (trained)
    parts = name.split("/")
    if len(parts) == 1:
        return parts[0], "baseline", ""
    return parts[0], parts[1], parts[2].replace("seed", "") if len(parts) > 2 else ""


def collect_rows(steps: list, datasets: list[str]) -> list[dict[str, Any]]:
    """One row per (eval step, dataset); rows for cells not run (planned, failed, unavailable)."""
    train = {s.name: s for s in steps if s.kind == "train"}
    evaluated = {s.name for s in steps if s.kind == "eval"}
    rows: list[dict[str, Any]] = []
    for s in steps:
        if s.kind == "eval" or (s.kind in ("train", "interpolate", "soup") and s.status not in DONE
                                and s.name not in evaluated):
            model, setting, seed = _split_name(s.name)
            t = train.get(s.name)
            base = {"model": model, "setting": setting, "seed": seed, "status": s.status,
                    "train_seconds": round(t.seconds, 1) if t is not None and t.status in DONE else None,
                    "eval_seconds": round(s.seconds, 1) if s.kind == "eval" else None,
                    "message": s.message or ("not run yet: rerun the recipe command" if s.status == "planned" else "")}
            metrics = read_metrics(Path(s.out)) if s.kind == "eval" and s.status in DONE else {}
            for ds in datasets:
                rows.append(base | {"dataset": ds} | metrics.get(ds, {}))
    return rows


def _mean_std(values: list[float]) -> tuple[float, float]:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return float("nan"), float("nan")
    mean = sum(vals) / len(vals)
    if len(vals) < 2:
        return mean, float("nan")
    return mean, math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and std over seeds per (dataset, model, setting), in first-seen order."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], r["model"], r["setting"]), []).append(r)
    out = []
    for (ds, model, setting), rs in groups.items():
        ok = [r for r in rs if r["status"] in DONE and "kind" in r]
        kind = ok[0]["kind"] if ok else ""
        agg: dict[str, Any] = {"dataset": ds, "kind": kind, "model": model, "setting": setting, "n": len(ok),
                               "seeds": ",".join(r["seed"] for r in ok if r["seed"]),
                               "not_run": sorted({f"{r['status']}: {r['message']}" for r in rs if r not in ok}),
                               "n_not_run": sum(1 for r in rs if r not in ok),
                               # baselines and off-the-shelf models: one run, no seed, no training noise
                               "deterministic": bool(ok) and all(not r["seed"] for r in ok)}
        for col in [c[0] for c in _columns(kind)] + ["train_seconds"]:
            agg[col], agg[col + "_std"] = _mean_std([r.get(col) for r in ok])
        secs = sorted(r["train_seconds"] for r in ok if r.get("train_seconds") is not None)
        agg["train_seconds_median"] = secs[len(secs) // 2] if len(secs) % 2 else (
            (secs[len(secs) // 2 - 1] + secs[len(secs) // 2]) / 2 if secs else float("nan"))
        agg["train_seconds_range"] = (secs[0], secs[-1]) if secs else None
        out.append(agg)
    return out


def _fmt(mean: float, std: float, digits: int) -> str:
    if math.isnan(mean):
        return "–"
    return f"{mean:.{digits}f}" if math.isnan(std) else f"{mean:.{digits}f} ± {std:.{digits}f}"


def markdown_table(aggs: list[dict[str, Any]], header: str) -> str:
    """One table per dataset (mean ± std over seeds) with ``header`` above them."""
    lines = [header]
    for ds in dict.fromkeys(a["dataset"] for a in aggs):
        group = [a for a in aggs if a["dataset"] == ds]
        kind = next((a["kind"] for a in group if a["kind"]), "lareqa")
        cols = _columns(kind)
        lines += ["", f"#### {ds}", "", "| model | setting | runs | " + " | ".join(c[1] for c in cols)
                  + " | train s, median (min–max) |",
                  "|---|---|---:|" + "---:|" * (len(cols) + 1)]
        for a in group:
            if a["n"] == 0:
                blank = " | " * len(cols)
                lines.append(f"| {a['model']} | {a['setting']} | 0 | not run: {'; '.join(a['not_run'])}{blank}|")
                continue
            cells = [_fmt(a[c[0]], a[c[0] + "_std"], c[3]) for c in cols]
            lo_hi = a["train_seconds_range"]
            train = "–" if lo_hi is None else (f"{a['train_seconds_median']:.0f}" if lo_hi[0] == lo_hi[1] else
                                               f"{a['train_seconds_median']:.0f} ({lo_hi[0]:.0f}–{lo_hi[1]:.0f})")
            note = f" (+{a['n_not_run']} not run)" if a["n_not_run"] else ""
            lines.append(f"| {a['model']} | {a['setting']} | {a['n']}{note} | " + " | ".join(cells) + f" | {train} |")
    return "\n".join(lines) + "\n"


def verdict(a: dict[str, Any], b: dict[str, Any], col: str, lower_better: bool) -> str:
    """``+0.037 better`` / ``-0.004 ≈``: the difference of means and whether it exceeds the seed noise.

    The difference counts as measurable when it is larger than ``std_a + std_b`` (the ±1 std
    intervals over seeds do not overlap). A deterministic row (baseline, off-the-shelf model: no
    seed) has std 0; a trained row with fewer than two seeds has no noise estimate and the
    verdict is ``n<2``.
    """
    d = a[col] - b[col]
    if math.isnan(d):
        return "–"
    digits = 1 if col == "rank_distance" else 3
    noise = []
    for x in (a, b):
        if x.get("deterministic"):
            noise.append(0.0)
        elif x["n"] < 2:
            return f"{d:+.{digits}f} (n<2)"
        else:
            noise.append(x[col + "_std"])
    if abs(d) <= sum(noise):
        return f"{d:+.{digits}f} ≈"
    return f"{d:+.{digits}f} " + ("better" if (d < 0) == lower_better else "worse")


def comparison_table(aggs: list[dict[str, Any]], pairs: tuple[tuple[str, str], ...]) -> str:
    """Markdown: for every model and ``(A, B)`` pair, A minus B per metric with a verdict."""
    lines: list[str] = []
    for ds in dict.fromkeys(a["dataset"] for a in aggs):
        group = {(a["model"], a["setting"]): a for a in aggs if a["dataset"] == ds and a["n"] > 0}
        if not group:
            continue
        cols = _columns(next(iter(group.values()))["kind"])
        rows = []
        for model in dict.fromkeys(m for m, _ in group):
            for sa, sb in pairs:
                a, b = group.get((model, sa)), group.get((model, sb))
                if a is None or b is None:
                    continue
                cells = [verdict(a, b, c[0], c[0] == "rank_distance") for c in cols]
                rows.append(f"| {model} | {sa} vs {sb} | {a['n']} / {b['n']} | " + " | ".join(cells) + " |")
        if rows:
            lines += ["", f"#### {ds}: differences (A − B; measurable when larger than std A + std B)", "",
                      "| model | A vs B | runs | " + " | ".join(c[1] for c in cols) + " |",
                      "|---|---|---:|" + "---:|" * len(cols), *rows]
    return "\n".join(lines) + ("\n" if lines else "")


def plot(aggs: list[dict[str, Any]], path: Path, title: str) -> None:
    """One bar per finished (model, setting), coloured by model (error bar: std over seeds), per headline figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [a for a in aggs if a["n"] > 0]
    cols = _columns(done[0]["kind"])
    models = list(dict.fromkeys(a["model"] for a in done))
    bars = [(a["model"], a["setting"]) for a in done]  # one bar per finished (model, setting), side by side
    colours = dict(zip(models, plt.get_cmap("tab10").colors, strict=False))
    ncols = 2
    nrows = (len(cols) + 1) // ncols
    fig, grid = plt.subplots(nrows, ncols, figsize=(max(10, 0.45 * len(bars) * ncols + 2), 3.8 * nrows + 0.6),
                             squeeze=False, layout="constrained")
    axes = [ax for row in grid for ax in row]
    for ax in axes[len(cols):]:
        ax.set_visible(False)
    for ax, (col, name, _, _) in zip(axes, cols, strict=False):
        for x, (m, s) in enumerate(bars):
            a = next(a for a in done if a["model"] == m and a["setting"] == s)
            if not math.isnan(a[col]):
                std = a[col + "_std"]
                ax.bar(x, a[col], 0.8, color=colours[m], yerr=None if math.isnan(std) else std, capsize=2)
        ax.set_xticks(range(len(bars)), [s for _, s in bars], rotation=45, ha="right", fontsize=8)
        ax.set_title(name, fontsize=10)
    if len(models) > 1:
        from matplotlib.patches import Patch

        axes[0].legend(handles=[Patch(color=colours[m], label=m) for m in models], fontsize=8)
    fig.suptitle(textwrap.fill(title, 110), fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_results(rows: list[dict[str, Any]], out_dir: Path, header: str, title: str,
                  pairs: tuple[tuple[str, str], ...] = ()) -> list[dict[str, Any]]:
    """Write runs.csv, results.json, table.md and ``<dataset>.png`` under ``out_dir`` (atomically).

    ``pairs`` (the recipe's ``compare``) add a differences table below the results.
    """
    aggs = aggregate(rows)
    with atomic_path(Path(out_dir)) as tmp:
        tmp.mkdir(parents=True)
        metric_cols = list(dict.fromkeys(c[0] for kind in ("lareqa", "retrieval") for c in _columns(kind)))
        fields = ["dataset", "model", "setting", "seed", "status", *metric_cols, "train_seconds", "eval_seconds",
                  "n_questions", "n_candidates", "message"]
        with open(tmp / "runs.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        (tmp / "results.json").write_text(json.dumps({"runs": rows, "aggregated": aggs}, indent=1, default=str)
                                          + "\n", encoding="utf-8")
        (tmp / "table.md").write_text(markdown_table(aggs, header) + comparison_table(aggs, pairs), encoding="utf-8")
        for ds in dict.fromkeys(a["dataset"] for a in aggs):
            group = [a for a in aggs if a["dataset"] == ds]
            if any(a["n"] > 0 for a in group):
                plot(group, tmp / f"{slug(ds)}.png", f"{title}: {ds}")
    return aggs
