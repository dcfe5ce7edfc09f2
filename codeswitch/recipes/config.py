"""Recipe files: the YAML that names data, generation, training, grid and evaluation of an experiment.

A recipe is a plain mapping (see ``recipes/*.yaml`` and ``docs/recipes.md``)::

    name: xquad-small-cpu
    paths: {data: ["$CODESWITCH_DATA", "../shared/data"], e5: ["/models/e5", "intfloat/multilingual-e5-small"]}
    split: {titles_from: "{data}/xquad/xquad.en.json", held_out: 12, seed: 0}
    data:
      en:     {pairs: {inputs: ["{data}/xquad/xquad.en.json"], mode: mono, passage: sentence}}
      cs-bi:  {generate: ["{data:en}", "--lexicon", "de={data}/muse-full/en-de.txt"]}
    models: {e5: {path: "{e5}", query_prefix: "query: ", passage_prefix: "passage: "}}
    train:  {batch_size: 16, max_steps: 20}
    settings:
      off-the-shelf: {}
      english: {data: en, batching: random}
    seeds: [1, 2, 3]
    baselines: [bm25]
    eval: {dataset: xquad-r, langs: [en, de], max_length: 64}

Conventions: ``{NAME}`` in any string is a resolved ``paths`` entry (the first candidate that exists
on disk, else the last one, a hub id); ``$VAR`` candidates read the environment, ``pkg:MODULE``
calls ``MODULE.get_model_path()``; ``{data:NAME}`` is the output file of data entry ``NAME``.
Keys of ``train`` / ``eval`` / a setting become ``--key-with-dashes`` options of ``codeswitch
train`` / ``codeswitch evaluate`` (``true`` -> a bare flag, lists -> repeated option).
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codeswitch.errors import ConfigError

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.:-]+)\}")
_RUNNER_KEYS = {"out", "split", "held_out", "split_seed"}  # filled in by the runner
SETTING_KEYS = {"data", "needs", "label", "interpolate", "lam", "soup"}  # other setting keys are train options


def soup_sources(setting: dict) -> list[str]:
    """The trained settings a ``soup`` setting averages: ``soup: A`` or ``soup: [A, B]``; ``[]`` if not a soup
    (or if the value is neither a name nor a list of names, which :func:`load_recipe` refuses)."""
    value = setting.get("soup")
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return names if all(isinstance(n, str) and n for n in names) else []


@dataclass(frozen=True)
class Recipe:
    """A parsed recipe (placeholders of ``paths`` resolved; ``{data:NAME}`` kept for the runner)."""

    name: str
    path: str
    description: str = ""
    paths: dict[str, str] = field(default_factory=dict)
    split: dict[str, Any] = field(default_factory=dict)
    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    seeds: tuple[int, ...] = (13,)
    baselines: tuple[str, ...] = ()
    eval: dict[str, Any] = field(default_factory=dict)
    sizes: str = ""
    eval_dir: str = "eval"
    compare: tuple[tuple[str, str], ...] = ()
    significance: dict[str, Any] = field(default_factory=dict)  # per-language tables with paired tests
    path_variables: dict[str, tuple[str, ...]] = field(default_factory=dict)  # paths key -> its $VARIABLE candidates


def _resolve_candidate(cand: str) -> str | None:
    if cand.startswith("$"):
        return os.environ.get(cand[1:]) or None
    if cand.startswith("pkg:"):
        try:
            return str(importlib.import_module(cand[4:]).get_model_path())
        except (ImportError, AttributeError):
            return None
    return cand


def resolve_paths(paths: dict[str, Any], where: str) -> dict[str, str]:
    """Pick, for every ``paths`` entry, the first candidate that exists on disk (else the last)."""
    out: dict[str, str] = {}
    for key, value in (paths or {}).items():
        cands = value if isinstance(value, list) else [value]
        if not cands or not all(isinstance(c, str) for c in cands):
            raise ConfigError(f"{where}: paths.{key} must be a string or a list of strings")
        resolved = [r for r in (_resolve_candidate(c) for c in cands) if r]
        if not resolved:
            raise ConfigError(f"{where}: paths.{key}: none of {cands} is set; set the variable or add a candidate")
        out[key] = next((r for r in resolved if Path(r).exists()), resolved[-1])
    return out


def substitute(value: Any, paths: dict[str, str], where: str) -> Any:
    """Replace ``{NAME}`` placeholders (not ``{data:...}``) in strings, recursively."""
    if isinstance(value, str):
        def repl(m: re.Match) -> str:
            key = m.group(1)
            if key.startswith("data:") or key in _RUNNER_KEYS:
                return m.group(0)
            if key not in paths:
                raise ConfigError(f"{where}: unknown placeholder {{{key}}}; define it under 'paths' "
                                  f"(known: {', '.join(sorted(paths)) or 'none'})")
            return paths[key]
        return _PLACEHOLDER.sub(repl, value)
    if isinstance(value, list):
        return [substitute(v, paths, where) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, paths, where) for k, v in value.items()}
    return value


def _mapping(doc: dict, key: str, where: str) -> dict:
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: '{key}' must be a mapping, found {type(value).__name__}")
    return value


def load_recipe(path: Path) -> Recipe:
    """Read and check a recipe YAML file.

    Raises:
        ConfigError: unknown keys, a setting naming an unknown data entry, missing models/settings.
    """
    import yaml

    path = Path(path)
    where = str(path)
    from codeswitch.recipes.schema import check, load_yaml

    try:
        doc = load_yaml(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: recipe file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: a folder, not a recipe file; pass a recipe .yaml") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason}); pass a recipe .yaml") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: a recipe is a YAML mapping (name, data, models, settings, eval, ...)")
    check(doc, path)
    paths = resolve_paths(_mapping(doc, "paths", where), where)
    sub = {k: substitute(_mapping(doc, k, where), paths, where) for k in
           ("split", "data", "models", "train", "settings", "eval")}
    if not sub["models"]:
        raise ConfigError(f"{path}: 'models' is empty; name at least one model with a 'path'")
    for name, model in sub["models"].items():
        if not isinstance(model, dict) or "path" not in model:
            raise ConfigError(f"{path}: models.{name} needs a 'path' (hub id or local dir)")
    if not sub["settings"]:
        raise ConfigError(f"{path}: 'settings' is empty; add e.g. 'off-the-shelf: {{}}'")
    for name, setting in sub["settings"].items():
        setting = setting or {}
        sub["settings"][name] = setting
        if setting.get("data") is not None and setting["data"] not in sub["data"]:
            raise ConfigError(f"{path}: settings.{name}.data is {setting['data']!r}, not a 'data' entry "
                              f"(known: {', '.join(sub['data']) or 'none'})")
    trained: list[str] = []
    for name, setting in sub["settings"].items():
        if "soup" in setting:
            srcs = soup_sources(setting)
            if not srcs or len(set(srcs)) != len(srcs):
                raise ConfigError(f"{path}: settings.{name}.soup is {setting['soup']!r}; give a trained setting, or a "
                                  "list of different trained settings (e.g. soup: [english, cs-query])")
            for src in srcs:
                if src not in trained:
                    verb = "is" if isinstance(setting["soup"], str) else "lists"
                    raise ConfigError(f"{path}: settings.{name}.soup {verb} {src!r}, not a trained setting listed "
                                      f"above it (known: {', '.join(trained) or 'none'})")
            extra = sorted(set(setting) - {"soup", "label"})
            if extra:
                raise ConfigError(f"{path}: settings.{name} averages the seeds of {', '.join(map(repr, srcs))}; it "
                                  f"takes only 'label', found {', '.join(extra)}")
            continue
        if "interpolate" not in setting:
            if setting.get("data") is not None:
                trained.append(name)
            elif "lam" in setting:
                raise ConfigError(f"{path}: settings.{name}.lam needs 'interpolate: SETTING' (the trained setting "
                                  "whose models are blended with the base model)")
            continue
        src, lam = setting["interpolate"], setting.get("lam")
        if src not in trained:
            raise ConfigError(f"{path}: settings.{name}.interpolate is {src!r}, not a trained setting listed above it "
                              f"(known: {', '.join(trained) or 'none'})")
        extra = sorted(set(setting) - {"interpolate", "lam", "label"})
        if extra:
            raise ConfigError(f"{path}: settings.{name} interpolates {src!r}; it takes only 'lam' (and 'label'), "
                              f"found {', '.join(extra)}")
        if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not 0.0 <= float(lam) <= 1.0:
            raise ConfigError(f"{path}: settings.{name}.lam must be a number in [0, 1] (the tuned model's weight), "
                              f"found {lam!r}")
    for name, entry in sub["data"].items():
        if not isinstance(entry, dict) or not ({"pairs", "generate", "command"} & set(entry)):
            raise ConfigError(f"{path}: data.{name} needs 'pairs', 'generate' or 'command'")
    seeds = doc.get("seeds", [13])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) for s in seeds):
        raise ConfigError(f"{path}: 'seeds' must be a non-empty list of integers")
    soups = [name for name, setting in sub["settings"].items() if len(soup_sources(setting)) == 1]
    if soups and len(seeds) < 2:
        raise ConfigError(f"{path}: settings.{soups[0]} averages the models of every seed, but 'seeds' lists "
                          f"{len(seeds)}; list at least two seeds, or remove the soup setting")
    compare = []
    for spec in doc.get("compare") or []:
        parts = [x.strip() for x in str(spec).split(" vs ")]
        if len(parts) != 2 or any(x not in sub["settings"] for x in parts):
            raise ConfigError(f"{path}: compare entry {spec!r} must be 'SETTING vs SETTING' with two settings "
                              f"of this recipe (known: {', '.join(sub['settings'])})")
        compare.append((parts[0], parts[1]))
    significance = _mapping(doc, "significance", where)
    unknown = sorted(set(significance) - {"reference", "upper_bounds", "resamples", "seed"})
    if unknown:
        raise ConfigError(f"{path}: significance: unknown key(s) {', '.join(unknown)}; known: reference, "
                          "upper_bounds, resamples, seed")
    if significance.get("reference", "off-the-shelf") not in sub["settings"]:
        raise ConfigError(f"{path}: significance.reference is {significance.get('reference', 'off-the-shelf')!r}, "
                          f"not a setting (known: {', '.join(sub['settings'])})")
    for key, low in (("resamples", 1), ("seed", 0)):
        value = significance.get(key, low)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{path}: significance.{key} must be an integer >= {low}, found {value!r}; e.g. "
                              + ("resamples: 100000" if key == "resamples" else "seed: 0"))
    if not isinstance(significance.get("upper_bounds", {}), dict):
        raise ConfigError(f"{path}: significance.upper_bounds maps a dataset to its upper-bound dataset, e.g. "
                          "{afriqa/dev: afriqa/dev-en}")
    if "dataset" not in sub["eval"]:
        raise ConfigError(f"{path}: eval.dataset is required (e.g. xquad-r)")
    return Recipe(name=str(doc.get("name") or path.stem), path=str(path), description=str(doc.get("description", "")),
                  paths=paths, split=sub["split"], data=sub["data"], models=sub["models"], train=sub["train"],
                  settings=sub["settings"], seeds=tuple(seeds), baselines=tuple(doc.get("baselines") or ()),
                  eval=sub["eval"], sizes=str(doc.get("sizes", "")), eval_dir=str(doc.get("eval_dir", "eval")),
                  compare=tuple(compare), significance=significance, path_variables=_path_variables(doc))


def _path_variables(doc: dict) -> dict[str, tuple[str, ...]]:
    """For each ``paths`` key, the environment variables among its candidates (``$E5_PATH`` -> ``E5_PATH``)."""
    out = {}
    for key, value in (doc.get("paths") or {}).items():
        cands = value if isinstance(value, list) else [value]
        out[key] = tuple(c[1:] for c in cands if isinstance(c, str) and c.startswith("$"))
    return out


def as_options(options: dict[str, Any]) -> list[str]:
    """``{"max_steps": 20, "cached": True, "langs": ["en", "de"]}`` -> CLI arguments (keys sorted).

    Sorting makes the arguments, and so the step hashes, independent of key order in the YAML.
    """
    args: list[str] = []
    for key, value in sorted(options.items()):
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, list):
            for v in value:
                args += [flag, str(v)]
        else:
            args += [flag, str(value)]
    return args
