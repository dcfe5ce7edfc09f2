"""``codeswitch compare``: several models on the same datasets -> one table per (dataset, metric).

Each table has a row per model and a column per language plus the average (and the average over
the low-resource languages present, sw yo te bn hi th by default, marked *). Low-resource columns
come first. Cells of every non-baseline row carry the difference to the baseline row in brackets.
Groups: the languages of one MIRACL / Mr.TyDi split share a table, all TyDi languages share one
(``tydi``), and each ``beir:`` / ``irds:`` collection has its own; below every table a line names the
query and passage language of each column (``sw → en`` for a cross-lingual collection, whose column key
is ``sw-en`` and counts as low-resource by its query language).
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from codeswitch.atomic import atomic_path, check_output
from codeswitch.errors import ConfigError
from codeswitch.languages import LOW_RESOURCE
from evaluation.collections import lareqa
from evaluation.collections.registry import FAMILIES
from evaluation.evaluate import EvalConfig, build_model, evaluate
from evaluation.reports.tables import (
    LOW_NOTE,
    bar_plot,
    collection_family,
    is_low_resource,
    lareqa_by_query_lang,
    mark,
    pair_label,
    slug,
    tie_ordered,
)

# (dataset kind/family) -> metrics tabulated; LAReQA metrics are "setting metric"


def table_group(dataset_id: str) -> str:
    """The table a retrieval dataset's languages go to (see the module docstring)."""
    family = collection_family(dataset_id)
    if family in ("beir", "irds"):
        return dataset_id
    if family == "tydi":
        return "tydi"
    return f"{family}/{dataset_id.split('/')[-1]}"


def pair_labels(results: list[dict]) -> dict[str, dict[str, str]]:
    """group -> column key -> ``query → passage`` languages (retrieval datasets)."""
    labels: dict[str, dict[str, str]] = {}
    for res in results:
        for ds, entry in res["datasets"].items():
            if entry["kind"] != "lareqa":
                labels.setdefault(table_group(ds), {}).update({k: pair_label(entry, k) for k in entry["per_lang"]})
    return labels


def _tables(results: list[dict]) -> dict[tuple[str, str], dict[str, dict[str, float]]]:
    """(group, metric) -> model -> lang -> value; grouped as :func:`table_group` says."""
    tables: dict[tuple[str, str], dict[str, dict[str, float]]] = {}
    for res in results:
        for ds, entry in res["datasets"].items():
            if entry["kind"] == "lareqa":
                rows = lareqa_by_query_lang(entry)
                average, candidate = entry.get("average", "macro"), entry.get("candidate", "sentence")
                group = f"{ds} ({average} average, candidates: {candidate})"
                ties = tie_ordered(entry)
                for metric in lareqa.TABLE_METRICS:
                    vals = {lang: r[metric] for lang, r in rows.items() if metric in r}
                    setting, _, m = metric.partition(" ")
                    if vals and m in entry["summary"].get(setting, {}):
                        vals["avg"] = entry["summary"][setting][m]  # the summary, averaged as the entry says
                    if vals:
                        name = res["model"] + (" †" if setting in ties else "")
                        tables.setdefault((group, metric), {}).setdefault(name, {}).update(vals)
            else:
                for metric in FAMILIES[collection_family(ds)].TABLE_METRICS:
                    vals = {lang: m[metric] for lang, m in entry["per_lang"].items()}
                    tables.setdefault((table_group(ds), metric), {}).setdefault(res["model"], {}).update(vals)
    return tables


def _averages(values: dict[str, float], langs: list[str]) -> dict[str, float]:
    out = {"avg": values["avg"] if "avg" in values else float(np.mean([values[lang] for lang in langs
                                                                          if lang in values]))}
    low = [lang for lang in langs if is_low_resource(lang) and lang in values]
    if low:
        out["low-res avg"] = float(np.mean([values[lang] for lang in low]))
    return out


def _plain(name: str) -> str:
    """A row's model name without the tie-order mark (" †")."""
    return name.removesuffix(" †")


def comparison_markdown(tables: dict, baseline: str, labels: dict | None = None) -> tuple[str, list[list]]:
    """Markdown for all tables and the CSV rows (with deltas to the baseline); ``labels`` from :func:`pair_labels`."""
    parts, rows = [f"# Comparison (baseline: {baseline})\n", LOW_NOTE + "\n"], []
    for (group, metric), by_model in tables.items():
        langs = sorted({lang for v in by_model.values() for lang in v if lang != "avg"},
                       key=lambda k: (not is_low_resource(k), k))
        base_vals = next((v for m, v in by_model.items() if _plain(m) == baseline), {})
        base = base_vals | _averages(base_vals, langs) if base_vals else {}
        cols = langs + list(_averages(next(iter(by_model.values())), langs))
        parts.append(f"## {group} -- {metric}\n\n| model | " + " | ".join(mark(c) for c in cols) + " |\n|---|"
                     + "---:|" * len(cols))
        for model, vals in by_model.items():
            full = vals | _averages(vals, langs)
            cells = []
            for c in cols:
                if c not in full:
                    cells.append("")
                    continue
                delta = full[c] - base[c] if _plain(model) != baseline and c in base else None
                cells.append(f"{full[c]:.4f}" if abs(full[c]) < 10 else f"{full[c]:.1f}")
                if delta is not None:
                    cells[-1] += f" ({delta:+.4f})" if abs(full[c]) < 10 else f" ({delta:+.1f})"
                rows.append([group, metric, model, c, full[c], delta if delta is not None else ""])
            shown = f"**{model}**" if _plain(model) == baseline else model
            parts.append(f"| {shown} | " + " | ".join(cells) + " |")
        if any(m.endswith(" †") for m in by_model):
            parts.append("\n† mostly tie order (most relevant candidates tie with others, e.g. BM25 score 0): "
                         "kept for completeness, not a retrieval result.")
        named = (labels or {}).get(group, {})
        if named:
            parts.append("\nquery → passage: " + ", ".join(f"{mark(k)} {named[k]}" for k in langs if k in named))
        parts.append("")
    return "\n".join(parts) + "\n", rows


# EvalConfig fields that change no number (where files go, how much is held in memory)
NOT_IN_NUMBERS = frozenset({"index_dir", "cache_dir", "shard_size", "batch_size"})


def result_folders(names: list[str]) -> dict[str, str]:
    """The folder under OUT of each model name: a label, never a path (no ``.``/``..``, no separator).

    Two names that would share a folder are a ConfigError.
    """
    folders: dict[str, str] = {}
    for name in names:
        folder = slug(name).lstrip(".") or "model"
        if folder in folders.values():
            other = next(n for n, f in folders.items() if f == folder)
            raise ConfigError(f"--model-name {name!r} and {other!r} would share the results folder OUT/{folder}; "
                              "give names that differ in letters or digits")
        folders[name] = folder
    return folders


def check_model(model: str) -> None:
    """A local model path must exist and hold a model; hub ids (``org/name``) are checked when loaded."""
    if model == "bm25":
        return
    path = Path(model).expanduser()
    if path.exists():
        if path.is_dir() and not any((path / f).is_file() for f in ("modules.json", "config.json")):
            raise ConfigError(f"--model {model}: {path} holds no modules.json or config.json; give a "
                              "sentence-transformers or Hugging Face model folder")
        return
    looks_local = model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model
    if looks_local:
        raise ConfigError(f"--model {model}: no such folder; give a model folder or a Hugging Face id (org/name)")


def _reusable(sub: Path, config: EvalConfig) -> dict | None:
    """The earlier results in ``sub`` if they answer the same question as ``config``, else None (with a note)."""
    import sys

    try:
        metrics = json.loads((sub / "metrics.json").read_text(encoding="utf-8"))
        earlier = json.loads((sub / "eval_config.json").read_text(encoding="utf-8"))
        if not isinstance(metrics, dict) or not isinstance(earlier, dict) or "datasets" not in metrics:
            raise ValueError("not a results folder")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        print(f"note: --reuse: {sub} holds no readable results ({exc}); evaluating again", file=sys.stderr)
        return None
    now = json.loads(json.dumps(asdict(config)))  # tuples as lists, as in the file
    differ = sorted(k for k in set(now) | set(earlier) if k not in NOT_IN_NUMBERS and now.get(k) != earlier.get(k))
    if differ:
        shown = ", ".join(f"{k} {earlier.get(k)!r} -> {now.get(k)!r}" for k in differ[:3])
        print(f"note: --reuse: {sub} was evaluated with other settings ({shown}); evaluating again", file=sys.stderr)
        return None
    return metrics


def compare(models: list[str], base: EvalConfig, out: Path, baseline: str | None = None,
            overwrite: bool = False, reuse: bool = False, names: list[str] | None = None) -> dict:
    """Evaluate every model (into ``out/<name>``) and write ``comparison.{md,csv,json}`` and PNGs.

    ``names`` (one per model, in order; default: the ``--model`` values) are the names in the tables
    and the ones ``check-scores`` matches against expected-score entries. ``baseline`` is a name or
    a ``--model`` value.
    """
    if not models:
        raise ConfigError("give at least one --model")
    names = list(names) if names else list(models)
    if len(names) != len(models):
        raise ConfigError(f"--model-name given {len(names)} times for {len(models)} --model values; give one name "
                          "per --model, in the same order")
    if len(set(names)) != len(names):
        raise ConfigError(f"--model-name values must differ (got {', '.join(names)})")
    baseline = baseline or names[0]
    if baseline in models and baseline not in names:
        baseline = names[models.index(baseline)]
    if baseline not in names:
        raise ConfigError(f"--baseline {baseline!r} is not one of the models: {', '.join(names)}")
    out = Path(out)
    folders = result_folders(names)
    for model in models:
        check_model(model)
    check_output(out / "comparison.md", overwrite or reuse)
    configs = {name: replace(base, model=model, model_name=name) for model, name in zip(models, names, strict=True)}
    reused = {name: _reusable(out / folders[name], c) if reuse else None for name, c in configs.items()}
    # every model is loaded before any is evaluated: one that cannot load leaves no results behind
    built = {name: build_model(c) for name, c in configs.items() if reused[name] is None}
    results, columns = [], {}
    for model, name in zip(models, names, strict=True):
        config = configs[name]
        results.append(reused[name] if reused[name] is not None else
                       evaluate(config, out / folders[name], overwrite=True, model=built.pop(name)))
        columns[name] = {"model": model, "folder": folders[name], "reused": reused[name] is not None,
                         "settings": results[-1].get("settings", {}),
                         "eval_config": {k: v for k, v in asdict(config).items() if k not in NOT_IN_NUMBERS}}
    tables = _tables(results)
    text, rows = comparison_markdown(tables, baseline, pair_labels(results))
    with atomic_path(out / "comparison.md") as tmp:
        tmp.write_text(text, encoding="utf-8")
    with atomic_path(out / "comparison.csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["group", "metric", "model", "column", "value", "delta_vs_baseline"], *rows])
    with atomic_path(out / "comparison.json") as tmp:
        tmp.write_text(json.dumps({"baseline": baseline, "low_resource": list(LOW_RESOURCE), "columns": columns,
                                   "tables": {f"{g} | {m}": v for (g, m), v in tables.items()}}, indent=1),
                       encoding="utf-8")
    for (group, metric), by_model in tables.items():
        by_model = {m: {k: v for k, v in vals.items() if k != "avg"} for m, vals in by_model.items()}
        bar_plot(by_model, f"{group}: {metric}", metric, out / f"compare-{slug(group)}-{slug(metric)}.png")
    return {"baseline": baseline, "tables": tables}
