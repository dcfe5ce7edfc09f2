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

    evaluated: bool = False  # the model's results hold this dataset (so a missing figure is a failure)

    @property
    def status(self) -> str:
        """``reference``, ``no expected score`` (other settings), ``not run``, ``missing``, ``ok`` or ``FAIL``.

        ``missing``: the results hold the dataset but not this figure (a language deleted, a null value).
        It counts as a failure, as does ``FAIL``.
        """
        if self.reference:
            return "reference"
        if self.differs:
            return "no expected score"
        if self.got is None:
            return "missing" if self.evaluated else "not run"
        return "ok" if abs(self.got - self.expected) <= self.tolerance else "FAIL"

    @property
    def failed(self) -> bool:
        """A figure that was expected and is wrong or missing."""
        return self.status in ("FAIL", "missing")


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
            doc = json.loads(f.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"not valid JSON ({exc.msg})", f, exc.lineno) from None
        except UnicodeDecodeError:
            raise DataFormatError("not UTF-8 text; give a metrics.json written by codeswitch evaluate", f) from None
        out.append(_checked_results(doc, f))
    return out


def _checked_results(doc, path: Path) -> dict:
    """A metrics.json as ``evaluate`` writes it, or a DataFormatError naming the first field that is not."""
    fix = "; give a metrics.json written by codeswitch evaluate (or rerun it)"
    if not isinstance(doc, dict):
        raise DataFormatError(f"expected a JSON object with model and datasets, found a {type(doc).__name__}{fix}",
                              path)
    if not isinstance(doc.get("model"), str) or not isinstance(doc.get("datasets"), dict):
        raise DataFormatError(f"expected a 'model' name and a 'datasets' mapping{fix}", path)
    for ds, entry in doc["datasets"].items():
        if not isinstance(entry, dict) or entry.get("kind") not in ("lareqa", "retrieval"):
            raise DataFormatError(f"datasets.{ds}: expected 'kind' lareqa or retrieval{fix}", path)
        per_lang = entry.get("per_lang", {})
        if entry["kind"] == "lareqa":  # per_lang: setting -> language -> figures; summary: setting -> figures
            if not isinstance(per_lang, dict) or not all(isinstance(t, dict) for t in per_lang.values()):
                raise DataFormatError(f"datasets.{ds}: per_lang must map a setting to its languages{fix}", path)
            tables = [*({f"{st}.{k}": v for k, v in t.items()} for st, t in per_lang.items()),
                      entry.get("summary", {})]
        else:
            tables = [per_lang]
        for table in tables:
            if not isinstance(table, dict):
                raise DataFormatError(f"datasets.{ds}: per_lang / summary must be mappings{fix}", path)
            for key, figures in table.items():
                if not isinstance(figures, dict):
                    raise DataFormatError(f"datasets.{ds}.{key}: expected a mapping of metric -> number{fix}", path)
                for metric, value in figures.items():
                    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                        raise DataFormatError(f"datasets.{ds}.{key}.{metric}: expected a number, found "
                                              f"{value!r}{fix}", path)
    return doc


def dataset_in(result: dict, dataset: str) -> bool:
    """Whether one model's results cover ``dataset`` (an id or a ``family/split`` group)."""
    return any(dataset in _groups(ds, entry) for ds, entry in result["datasets"].items())


def _result_for(results: dict[str, dict], entry: dict) -> dict | None:
    """The results of an entry's model: by name, else by an alias (``aliases``) or the last part of a path.

    ``--model /models/multilingual-e5-small`` (named by its path) matches the entry
    ``multilingual-e5-small``; ``aliases: [e5-small]`` lets a folder of another name match too.
    """
    model = entry["model"]
    if model in results:
        return results[model]
    aliases = {str(a) for a in entry.get("aliases") or []}
    names = {model.rstrip("/").rsplit("/", 1)[-1], *aliases}
    for name, result in results.items():
        if name in aliases or (Path(name).name and Path(name).name in names):
            return result
    return None


def averaged_langs(result: dict, dataset: str) -> list[str] | None:
    """The languages a LAReQA macro average of ``result`` is over (None if the dataset is not there)."""
    entry = result["datasets"].get(dataset)
    return sorted(entry.get("langs", [])) if entry is not None and entry.get("kind") == "lareqa" else None


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
        if dataset in _groups(ds, entry) and key in entry["per_lang"]:
            return entry["per_lang"][key].get(metric)
    return None


def _covers(ds: str, key: str) -> bool:
    """Whether a result's dataset id should hold the figure ``key`` (so its absence is a failure).

    A multi-language id (``tydi/dev``, ``xquad-r``) holds every key; a one-language id (``miracl/sw/dev``,
    ``tydi/sw``, ``afriqa/ha``) only its own language's (``sw``; ``ha-en``, ``ha-en.upper``).
    """
    parts = ds.split("/")
    if len(parts) == 1 or ":" in ds or parts[1] in ("dev", "dev-en", "train", "test"):
        return True
    lang = parts[1]
    return key == lang or key.split(".")[0] == lang or key.split("-")[0] == lang.split("-")[0]


def _groups(ds: str, entry: dict) -> set[str]:
    """The ids an expected entry may name a result's dataset by: itself and its ``<family>/<split>`` group.

    ``miracl/sw/dev`` belongs to ``miracl/dev``; a one-language id such as ``tydi/sw`` or ``afriqa/ha`` to
    ``<family>/dev``; ``beir:NAME`` has no group.
    """
    parts = ds.split("/")
    if len(parts) == 3:
        return {ds, f"{parts[0]}/{parts[2]}"}
    if len(parts) == 2 and ":" not in ds and parts[1] != "dev":
        return {ds, f"{parts[0]}/dev"}
    return {ds}


# settings an entry holds for unless it says otherwise: the fp32 torch encoder (int8, ONNX, bf16 or fp16 runs
# are other variants, judged against entries that pin them)
IMPLICIT_SETTINGS = {"backend": "torch", "quantize": "none", "bf16": False, "fp16": False}


def settings_differ(wanted: dict, result: dict) -> str:
    """The settings of an entry that a result does not share, as ``key got (expected X)``; "" if none.

    Settings in :data:`IMPLICIT_SETTINGS` that the result records and the entry does not name count
    with their implicit value (an int8 run is no reproduction of an fp32 figure).
    """
    have = result.get("settings", {})
    wanted = {k: v for k, v in IMPLICIT_SETTINGS.items() if k in have} | dict(wanted)
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
        where = f"entry {i}"
        if not isinstance(e, dict) or not all(k in e for k in ("model", "dataset", "metric", "values")):
            raise DataFormatError(f"{where} needs model, dataset, metric and values", expected)
        model, dataset, metric, values = str(e["model"]), str(e["dataset"]), str(e["metric"]), e["values"]
        where = f"entry {i} ({model}, {dataset}, {metric})"
        if not isinstance(values, dict):
            raise DataFormatError(f"{where}: 'values' must map a language (or macro) to a number", expected)
        reference = bool(e.get("reference", False))
        result = _result_for(results, e)
        if result is None and not (reference and any(dataset_in(r, dataset) for r in results.values())):
            continue
        wanted = e.get("settings") or {}
        if not isinstance(wanted, dict):
            raise DataFormatError(f"{where}: 'settings' must be a mapping, e.g. {{candidate: sentence, average: "
                                  "macro}", expected)
        tol = _number(e.get("tolerance", spec.get("tolerance", 0.0005)), f"{where}: tolerance", expected)
        if result is not None:
            differs = settings_differ(wanted, result)
        else:  # a reference: name how the runs on this dataset differ from its settings
            runs = [r for r in results.values() if dataset_in(r, dataset)]
            differs = "; ".join(sorted({d for d in (settings_differ(wanted, r) for r in runs) if d}))
        for key, value in values.items():
            key = str(key)
            value = _number(value, f"{where}: values.{key}", expected)
            got = lookup(result, dataset, metric, key) if result is not None else None
            row_differs = differs
            if key == "macro" and result is not None and not differs:
                over = averaged_langs(result, dataset)
                full = sorted(e.get("langs") or _all_langs(dataset))
                if over is not None and full and over != full:
                    row_differs = f"averaged over {' '.join(over)} (entry: {' '.join(full)})"
            evaluated = result is not None and any(dataset in _groups(ds, ent) and _covers(ds, key)
                                                   for ds, ent in result["datasets"].items())
            rows.append(CheckRow(model, dataset, metric, key, value, got, tol, reference, str(e.get("source", "")),
                                 row_differs, evaluated))
    return rows


def _number(value, where: str, expected: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataFormatError(f"{where}: expected a number, found {value!r}", expected)
    return float(value)


def _all_langs(dataset: str) -> tuple[str, ...]:
    """The languages of a LAReQA id (what an entry's ``macro`` is averaged over unless it lists ``langs``)."""
    from evaluation.collections.lareqa import LANGS

    return LANGS.get(dataset, ())


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
