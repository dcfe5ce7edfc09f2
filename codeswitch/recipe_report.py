"""Aggregate a recipe's evaluations: per-run rows, mean ± std over seeds, Markdown table, plots.

Conventions: a row is one evaluated model (a baseline, an off-the-shelf model, or one trained
seed). Figures are the LAReQA macro averages that ``codeswitch evaluate`` writes (mono / cross /
multi mAP; rank distance in the multi setting, lower is better). ``std`` is the sample standard
deviation over seeds (ddof=1; blank for a single run). Training time is the wall-clock seconds of
the ``codeswitch train`` step on the machine that ran it.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from codeswitch.atomic import atomic_path

METRICS = (("mono", "map"), ("cross", "map"), ("multi", "map"), ("multi", "rank_distance"))
COLUMNS = ("mono_map", "cross_map", "multi_map", "rank_distance")


def read_metrics(eval_dir: Path, dataset: str) -> dict[str, float]:
    """The headline figures of one ``codeswitch evaluate`` results folder."""
    doc = json.loads((Path(eval_dir) / "metrics.json").read_text(encoding="utf-8"))
    entry = doc["datasets"][dataset]
    summary = entry["summary"]
    row = {col: summary.get(s, {}).get(m, float("nan")) for col, (s, m) in zip(COLUMNS, METRICS, strict=True)}
    row["n_questions"] = entry.get("n_questions", 0)
    row["n_candidates"] = entry.get("n_candidates", 0)
    return row


def collect_rows(steps: list, dataset: str) -> list[dict[str, Any]]:
    """One row per eval step (ran or skipped) plus rows for settings that could not run."""
    train_secs = {s.name: s.seconds for s in steps if s.kind == "train" and s.status in ("ran", "skipped")}
    rows: list[dict[str, Any]] = []
    for s in steps:
        if s.kind == "eval":
            # names: "bm25" (baseline), "model/setting" (off the shelf), "model/setting/seedN" (trained)
            model, setting, seed = (s.name.split("/") + ["baseline", ""])[:3]
            row: dict[str, Any] = {"model": model, "setting": setting, "seed": seed.replace("seed", ""),
                                   "status": s.status, "train_seconds": train_secs.get(s.name),
                                   "eval_seconds": round(s.seconds, 1), "message": s.message}
            if s.status in ("ran", "skipped"):
                row |= read_metrics(Path(s.out), dataset)
            rows.append(row)
        elif s.kind == "train" and s.status in ("failed", "unavailable"):
            model, setting, seed = s.name.split("/")
            rows.append({"model": model, "setting": setting, "seed": seed.replace("seed", ""), "status": s.status,
                         "train_seconds": None, "eval_seconds": None, "message": s.message})
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
    """Mean and std over seeds per (model, setting), in first-seen order."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["model"], r["setting"]), []).append(r)
    out = []
    for (model, setting), rs in groups.items():
        ok = [r for r in rs if r["status"] in ("ran", "skipped")]
        agg: dict[str, Any] = {"model": model, "setting": setting, "n": len(ok),
                               "seeds": ",".join(r["seed"] for r in ok if r["seed"]),
                               "not_run": sorted({f"{r['status']}: {r['message']}" for r in rs if r not in ok})}
        for col in (*COLUMNS, "train_seconds"):
            agg[col], agg[col + "_std"] = _mean_std([r.get(col) for r in ok])
        out.append(agg)
    return out


def _fmt(mean: float, std: float, digits: int) -> str:
    if math.isnan(mean):
        return "–"
    return f"{mean:.{digits}f}" if math.isnan(std) else f"{mean:.{digits}f} ± {std:.{digits}f}"


def markdown_table(aggs: list[dict[str, Any]], header: str) -> str:
    """The results table (mean ± std over seeds) with ``header`` above it."""
    lines = [header, "", "| model | setting | seeds | mono mAP | cross mAP | multi mAP | rank distance ↓ | train s |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for a in aggs:
        if a["n"] == 0:
            lines.append(f"| {a['model']} | {a['setting']} | 0 | not run: {'; '.join(a['not_run'])} ||||| |")
            continue
        cells = [_fmt(a[c], a[c + "_std"], 1 if c == "rank_distance" else 3) for c in COLUMNS]
        lines.append(f"| {a['model']} | {a['setting']} | {a['n']} | " + " | ".join(cells)
                     + f" | {_fmt(a['train_seconds'], a['train_seconds_std'], 0)} |")
    return "\n".join(lines) + "\n"


def plot(aggs: list[dict[str, Any]], path: Path, title: str) -> None:
    """Grouped bars (one group per setting, one bar per model) for the four headline figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [a for a in aggs if a["n"] > 0]
    models = list(dict.fromkeys(a["model"] for a in done))
    settings = list(dict.fromkeys(a["setting"] for a in done))
    fig, axes = plt.subplots(1, 4, figsize=(max(12, 1.1 * len(settings) * 4), 4.2))
    width = 0.8 / max(1, len(models))
    for ax, col, name in zip(axes, COLUMNS, ("mono mAP", "cross mAP", "multi mAP", "rank distance (lower better)"),
                             strict=True):
        for i, m in enumerate(models):
            xs, ys, es = [], [], []
            for j, s in enumerate(settings):
                a = next((a for a in done if a["model"] == m and a["setting"] == s), None)
                if a is not None and not math.isnan(a[col]):
                    xs.append(j + i * width)
                    ys.append(a[col])
                    es.append(0.0 if math.isnan(a[col + "_std"]) else a[col + "_std"])
            ax.bar(xs, ys, width, yerr=es, capsize=2, label=m)
        ax.set_xticks([j + width * (len(models) - 1) / 2 for j in range(len(settings))])
        ax.set_xticklabels(settings, rotation=45, ha="right", fontsize=8)
        ax.set_title(name, fontsize=10)
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_results(rows: list[dict[str, Any]], out_dir: Path, header: str, title: str) -> list[dict[str, Any]]:
    """Write runs.csv, results.json, table.md and summary.png under ``out_dir`` (atomically)."""
    aggs = aggregate(rows)
    with atomic_path(Path(out_dir)) as tmp:
        tmp.mkdir(parents=True)
        fields = ["model", "setting", "seed", "status", *COLUMNS, "train_seconds", "eval_seconds", "n_questions",
                  "n_candidates", "message"]
        with open(tmp / "runs.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        (tmp / "results.json").write_text(json.dumps({"runs": rows, "aggregated": aggs}, indent=1, default=str)
                                          + "\n", encoding="utf-8")
        (tmp / "table.md").write_text(markdown_table(aggs, header), encoding="utf-8")
        if any(a["n"] > 0 for a in aggs):
            plot(aggs, tmp / "summary.png", title)
    return aggs
