"""Result files of one evaluation: JSON, CSV (long format), Markdown tables and a PNG per dataset."""

from __future__ import annotations

import csv
import json
import re
import textwrap
from pathlib import Path

import numpy as np

from codeswitch.languages import LOW_RESOURCE
from evaluation.collections.registry import FAMILIES
from evaluation.scoring.lareqa import TIE_ORDER_SHARE

LOW_NOTE = f"Languages marked * are the low-resource set ({', '.join(LOW_RESOURCE)})."
LAREQA_COLS = (("mono", "map"), ("cross", "map"), ("multi", "map"), ("multi", "recall@1"), ("multi", "recall@10"),
               ("multi", "rank_distance"))


def slug(text: str) -> str:
    """A file-name-safe form of a dataset id or model name (``miracl/sw/dev`` -> ``miracl-sw-dev``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip("/")).strip("-") or "x"


def mark(lang: str) -> str:
    """``sw`` -> ``sw*`` for the low-resource set; a ``<query>-<passage>`` key is marked by its query language."""
    return f"{lang}*" if query_lang(lang) in LOW_RESOURCE else lang


def query_lang(key: str) -> str:
    """The query language of a row key (``sw`` -> ``sw``, cross-lingual ``sw-en`` -> ``sw``)."""
    return key.split("-")[0]


def is_low_resource(key: str) -> bool:
    """Whether a row key's query language is in the low-resource set (how tables group languages)."""
    return query_lang(key) in LOW_RESOURCE


def pair_label(entry: dict, key: str) -> str:
    """``query → passage`` languages of a retrieval row (``sw → en``); the key itself for MIRACL-style rows."""
    langs = entry.get("languages", {}).get(key)
    if not langs:
        return f"{key} → {key}"
    return langs.get("label") or f"{langs['query']} → {langs['passage']}"


def collection_family(dataset_id: str) -> str:
    """``tydi`` / ``beir`` / ``irds`` / ``miracl`` / ``mrtydi`` / ``xquad-r`` ... of a dataset id."""
    return dataset_id.split(":", 1)[0] if ":" in dataset_id else dataset_id.split("/")[0]


def collection_note(dataset_id: str) -> str | None:
    """The note a family puts under its tables (its module's ``NOTE``), if any."""
    module = FAMILIES.get(collection_family(dataset_id))
    return module.NOTE if module is not None else None


def lareqa_by_query_lang(entry: dict) -> dict[str, dict[str, float]]:
    """Per query language: mono, cross (mean over candidate languages) and multi figures."""
    out: dict[str, dict[str, float]] = {}
    per = entry["per_lang"]
    for lang in entry["langs"]:
        row: dict[str, float] = {}
        for setting, metric in LAREQA_COLS:
            table = per.get(setting, {})
            if setting == "cross":
                vals = [v[metric] for k, v in table.items() if k.split("-")[0] == lang]
                if vals:
                    row[f"{setting} {metric}"] = float(np.mean(vals))
            elif lang in table and metric in table[lang]:
                row[f"{setting} {metric}"] = table[lang][metric]
        out[lang] = row
    return out


def tie_ordered(entry: dict) -> dict[str, float]:
    """LAReQA settings whose figures are mostly tie order -> their share of tied relevant candidates."""
    return {s: m["tied_relevant"] for s, m in entry["summary"].items()
            if m.get("tied_relevant", 0.0) > TIE_ORDER_SHARE}


def lareqa_settings_line(entry: dict) -> str:
    """One line naming a LAReQA table's averaging and candidate text (every LAReQA table carries it)."""
    average = entry.get("average", "macro")
    avg = ("averages: macro over query languages (cross: over ordered language pairs), as the hybrid-batch paper"
           if average == "macro" else "averages: over all questions, as LAReQA's README")
    cand = entry.get("candidate", "sentence")
    text = ("candidates: the answer sentence alone -- LAReQA's baselines encode (sentence, paragraph), so these "
            "numbers are not comparable with theirs" if cand == "sentence"
            else "candidates: sentence followed by its paragraph (LAReQA's baselines encode the pair)")
    return f"Settings: {avg}; {text}."


def _csv_rows(results: dict) -> list[list]:
    rows = []
    for ds, entry in results["datasets"].items():
        if entry["kind"] == "lareqa":
            for setting, table in entry["per_lang"].items():
                for key, metrics in table.items():
                    rows += [[results["model"], ds, setting, key, m, v] for m, v in metrics.items()]
            label = "all questions" if entry.get("average") == "questions" else "macro"
            for setting, metrics in entry["summary"].items():
                rows += [[results["model"], ds, setting, label, m, v] for m, v in metrics.items()]
        else:
            for lang, metrics in entry["per_lang"].items():
                rows += [[results["model"], ds, "", lang, m, v] for m, v in metrics.items()]
            rows += [[results["model"], ds, "", "average", m, v] for m, v in entry["average"].items()]
    return rows


def _fmt(v: float | int) -> str:
    if isinstance(v, int):
        return str(v)
    return f"{v:.1f}" if abs(v) >= 10 else f"{v:.4f}"


def markdown(results: dict) -> str:
    """Markdown tables for every dataset of one model's results."""
    parts = [f"# Results: {results['model']}\n"]
    analyser = analyser_line(results.get("settings", {}))
    if analyser:
        parts.append(analyser + "\n")
    for ds, entry in results["datasets"].items():
        if entry["kind"] == "lareqa":
            rows = lareqa_by_query_lang(entry)
            cols = [f"{s} {m}" for s, m in LAREQA_COLS if any(f"{s} {m}" in r for r in rows.values())]
            ties = tie_ordered(entry)
            heads = [c + (" †" if c.split()[0] in ties else "") for c in cols]
            parts.append(f"## {ds}\n\n{lareqa_settings_line(entry)}\n\n| query lang | " + " | ".join(heads)
                         + " |\n|---|" + "---:|" * len(cols))
            for lang, row in rows.items():
                parts.append(f"| {mark(lang)} | " + " | ".join(_fmt(row[c]) if c in row else "" for c in cols) + " |")
            macro = {f"{s} {m}": entry["summary"].get(s, {}).get(m) for s, m in LAREQA_COLS}
            label = "avg over questions" if entry.get("average") == "questions" else "macro avg"
            parts.append(f"| **{label}** | " + " | ".join(
                _fmt(macro[c]) if macro.get(c) is not None else "" for c in cols) + " |")
            tie_note = ("† mostly tie order: " + ", ".join(f"{s} {ties[s]:.0%}" for s in ties)
                        + " of the relevant candidates score exactly the same as another candidate (BM25: mostly 0), "
                        "so their ranks, and these columns, come mostly from the docid tie rule. ") if ties else ""
            parts.append(f"\n{entry['n_questions']} questions, {entry['n_candidates']} candidates. cross = mean over "
                         "candidate languages of the query language; "
                         "mAP = trec_eval AP over the full ranking; recall@k = relevant in top k / relevant; "
                         "rank distance = max - min rank of the parallel answers in multi (lower is better). "
                         f"Questions without a relevant candidate, left out: {entry['skipped_without_relevant']}. "
                         + tie_note + LOW_NOTE + "\n")
        else:
            names = list(entry["average"])
            counts = ["n_queries", "n_topics_without_qrels"]
            parts.append(f"## {ds}\n\n| lang | query → passage | " + " | ".join(names + counts) + " |\n|---|---|"
                         + "---:|" * (len(names) + len(counts)))
            for lang, m in entry["per_lang"].items():
                parts.append(f"| {mark(lang)} | {pair_label(entry, lang)} | "
                             + " | ".join(_fmt(m[n]) for n in names + counts) + " |")
            parts.append("| **average** | | " + " | ".join(_fmt(entry["average"][n]) for n in names)
                         + " |" + " |" * len(counts))
            note = collection_note(ds)
            text_rule = results.get("settings", {}).get("passage_text", "title+text")
            rule = ("Passages embedded as title + \" \" + text. " if text_rule == "title+text"
                    else "Passages embedded as their text alone (no title). ")
            note = (note + " " if note else "") + rule
            parts.append(f"\n{note}nDCG@10 = trec_eval -c -M 100 ndcg_cut.10; "
                         "recall@100 = -c recall.100; mrr@k = -c -M k "
                         "recip_rank; averages over the queries in the qrels (-c). " + LOW_NOTE + "\n")
    return "\n".join(parts) + "\n"


def analyser_line(settings: dict) -> str:
    """How BM25 read the text (its analyser and word segmenters), for the notes of a BM25 result; "" otherwise."""
    if "bm25_analyzer" not in settings:
        return ""
    segs = ", ".join(f"{k.rsplit('_', 1)[1]} {v}" for k, v in sorted(settings.items())
                     if k.startswith("bm25_segmenter_"))
    return (f"BM25 k1 {settings.get('bm25_k1')}, b {settings.get('bm25_b')}; analyser {settings['bm25_analyzer']}"
            + (f"; word segmenters: {segs}" if segs else "") + ".")


def headline(entry: dict) -> tuple[str, dict[str, float]]:
    """The metric plotted for a dataset and its per-language values."""
    if entry["kind"] == "lareqa":
        return "multi map", {k: v["map"] for k, v in entry["per_lang"].get("multi", entry["per_lang"].get(
            "mono", {})).items()}
    metric = "ndcg@10" if "ndcg@10" in entry["average"] else next(iter(entry["average"]))
    return metric, {lang: m[metric] for lang, m in entry["per_lang"].items()}


def short_name(model: str) -> str:
    """A model's label in a plot: a local path's last folder (``/root/.cache/e5-small`` -> ``e5-small``)."""
    return Path(model).name if ("/" in model and Path(model).exists()) or model.startswith(("/", ".")) else model


def bar_plot(series: dict[str, dict[str, float]], title: str, ylabel: str, path: Path) -> Path:
    """Grouped bars: one group per language, one bar per series (model or setting)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    langs = sorted({lang for s in series.values() for lang in s})
    width = 0.8 / max(1, len(series))
    fig, ax = plt.subplots(figsize=(max(5.0, 0.5 * len(langs) * max(1, len(series)) + 3), 3.6),
                           layout="constrained")
    for i, (name, values) in enumerate(series.items()):
        x = np.arange(len(langs)) - 0.4 + width * (i + 0.5)
        ax.bar(x, [values.get(lang, 0.0) for lang in langs], width * 0.88, label=short_name(name))  # a gap between
    ax.set_xticks(np.arange(len(langs)), [mark(lang) for lang in langs])
    ax.set_ylabel(ylabel)
    ax.set_title(textwrap.fill(title, 90), fontsize=9)
    if len(series) > 1:  # beside the axes, never over the bars
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_report(results: dict, out: Path) -> None:
    """Write metrics.json, metrics.csv, metrics.md and one PNG per dataset into ``out``."""
    (out / "metrics.json").write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    with open(out / "metrics.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["model", "dataset", "setting", "lang", "metric", "value"])
        writer.writerows(_csv_rows(results))
    (out / "metrics.md").write_text(markdown(results), encoding="utf-8")
    for ds, entry in results["datasets"].items():
        if entry["kind"] == "lareqa":
            rows = lareqa_by_query_lang(entry)
            series = {s: {lang: r[f"{s} map"] for lang, r in rows.items() if f"{s} map" in r}
                      for s in ("mono", "cross", "multi")}
            series = {k: v for k, v in series.items() if v}
            bar_plot(series, f"{ds}: {results['model']} ({LOW_NOTE[:-1]})", "mAP", out / f"{slug(ds)}.png")
        else:
            metric, values = headline(entry)
            if len(values) > 1:  # one language is one bar: the table says it
                bar_plot({results["model"]: values}, f"{ds}: {short_name(results['model'])}", metric,
                         out / f"{slug(ds)}.png")
