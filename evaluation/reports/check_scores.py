"""Reproduction check: compare a results directory with expected scores kept in a YAML file.

The YAML (``evaluation/expected_scores.yaml`` by default) lists entries of ``model`` (the name in the
results, i.e. ``--model-name`` or ``--model``), ``dataset`` (``miracl/dev``-style groups or a
LAReQA id), ``metric`` (``ndcg@10``, ``recall@100``, ``mrr@100``; for LAReQA ``"<setting> <metric>"``
such as ``multi map``), ``values`` (language -> score; ``macro`` for the LAReQA macro average),
``tolerance`` (absolute), ``source`` and ``settings``: the evaluation settings the figures hold for
(any of ``query_prefix``, ``passage_prefix``, ``pooling``, ``normalize``, ``max_length``,
``candidate``, ``average``, ``bm25_k1``, ``bm25_b``; compared with the resolved ``settings`` that
``codeswitch evaluate`` records in metrics.json). A run whose settings differ from an entry's gets
"no expected score" for it -- neither pass nor fail. Entries marked ``reference: true`` are
published numbers of models that cannot be rerun (shown, never failed; a note names the settings in
which they differ from the run, e.g. LAReQA's sentence+context candidates).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.example_io import read_utf8
from evaluation.reports.tables import lareqa_by_query_lang

DEFAULT_EXPECTED = Path(__file__).resolve().parent.parent / "expected_scores.yaml"


@dataclass(frozen=True)
class CheckRow:
    """One expected figure against what the results hold."""

    model: str
    dataset: str
    metric: str
    key: str
    expected: float
    got: float | None
    tolerance: float
    reference: bool
    source: str
    differs: str = ""  # settings in which the run differs from the entry ("" = same)

    @property
    def status(self) -> str:
        """``reference`` (published), ``no expected score`` (other settings), ``not run``, ``ok`` or ``FAIL``."""
        if self.reference:
            return "reference"
        if self.differs:
            return "no expected score"
        if self.got is None:
            return "not run"
        return "ok" if abs(self.got - self.expected) <= self.tolerance else "FAIL"


def load_results(results_dir: Path) -> list[dict]:
    """metrics.json of ``results_dir`` itself or of each subdirectory (a ``compare`` output)."""
    results_dir = Path(results_dir)
    files = [results_dir / "metrics.json"] if (results_dir / "metrics.json").is_file() else sorted(
        results_dir.glob("*/metrics.json"))
    if not files:
        raise ConfigError(f"{results_dir}: no metrics.json here or in its subdirectories; give the --out of "
                          "codeswitch evaluate or compare")
    out = []
    for f in files:
        try:
            out.append(json.loads(f.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"not valid JSON ({exc.msg})", f, exc.lineno) from None
    return out


def dataset_in(result: dict, dataset: str) -> bool:
    """Whether one model's results cover ``dataset`` (an id or a ``family/split`` group)."""
    for ds in result["datasets"]:
        parts = ds.split("/")
        if dataset == ds or (len(parts) == 3 and dataset == f"{parts[0]}/{parts[2]}"):
            return True
    return False


def lookup(result: dict, dataset: str, metric: str, key: str) -> float | None:
    """The figure for (dataset, metric, language or ``macro``) in one model's results, if present."""
    for ds, entry in result["datasets"].items():
        if entry["kind"] == "lareqa":
            if ds != dataset:
                continue
            if key == "macro":
                setting, _, m = metric.partition(" ")
                return entry["summary"].get(setting, {}).get(m)
            return lareqa_by_query_lang(entry).get(key, {}).get(metric)
        parts = ds.split("/")  # miracl/sw/dev belongs to the group miracl/dev; beir:NAME has no group
        group = f"{parts[0]}/{parts[-1]}" if len(parts) == 3 else ds
        if dataset in (group, ds) and key in entry["per_lang"]:
            return entry["per_lang"][key].get(metric)
    return None


def settings_differ(wanted: dict, result: dict) -> str:
    """The settings of an entry that a result does not share, as ``key got (expected X)``; "" if none."""
    have = result.get("settings", {})
    out = []
    for key, value in sorted(wanted.items()):
        got = have.get(key, "not recorded")
        if got != value and not (isinstance(value, (int, float)) and isinstance(got, (int, float))
                                 and float(got) == float(value)):
            out.append(f"{key} {got!r} (entry: {value!r})")
    return ", ".join(out)


def check(results_dir: Path, expected: Path = DEFAULT_EXPECTED) -> list[CheckRow]:
    """Every expected figure whose model was evaluated in ``results_dir``, with its status."""
    try:
        spec = yaml.safe_load(read_utf8(expected))
    except FileNotFoundError:
        raise ConfigError(f"expected-scores file {expected} not found") from None
    except yaml.YAMLError as exc:
        raise DataFormatError(f"not valid YAML ({exc})", expected) from None
    if not isinstance(spec, dict) or not isinstance(spec.get("entries"), list):
        raise DataFormatError("expected a mapping with an 'entries' list", expected)
    results = {r["model"]: r for r in load_results(results_dir)}
    rows = []
    for i, e in enumerate(spec["entries"]):
        try:
            model, dataset, metric, values = e["model"], e["dataset"], e["metric"], e["values"]
        except (KeyError, TypeError):
            raise DataFormatError(f"entry {i} needs model, dataset, metric and values", expected) from None
        reference = bool(e.get("reference", False))
        if model not in results and not (reference and any(dataset_in(r, dataset) for r in results.values())):
            continue
        wanted = e.get("settings") or {}
        if not isinstance(wanted, dict):
            raise DataFormatError(f"entry {i} ({model}, {dataset}): 'settings' must be a mapping, e.g. "
                                  "{candidate: sentence, average: macro}", expected)
        tol = float(e.get("tolerance", spec.get("tolerance", 0.0005)))
        if model in results:
            differs = settings_differ(wanted, results[model])
        else:  # a reference: name how the runs on this dataset differ from its settings
            runs = [r for r in results.values() if dataset_in(r, dataset)]
            differs = "; ".join(sorted({d for d in (settings_differ(wanted, r) for r in runs) if d}))
        for key, value in values.items():
            got = lookup(results[model], dataset, metric, str(key)) if model in results else None
            rows.append(CheckRow(model, dataset, metric, str(key), float(value), got, tol, reference,
                                 str(e.get("source", "")), differs))
    return rows


def format_rows(rows: list[CheckRow]) -> str:
    """A Markdown table of the check."""
    lines = ["| model | dataset | metric | lang | expected | got | delta | tol | status | settings differ |",
             "|---|---|---|---|---:|---:|---:|---:|---|---|"]
    for r in rows:
        got = "" if r.got is None else f"{r.got:.4f}"
        delta = "" if r.got is None or r.differs else f"{r.got - r.expected:+.4f}"
        lines.append(f"| {r.model} | {r.dataset} | {r.metric} | {r.key} | {r.expected:.4f} | {got} | {delta} | "
                     f"{r.tolerance:g} | {r.status} | {r.differs} |")
    return "\n".join(lines)
