"""The recipe schema: every key of a recipe YAML is checked before anything runs, with "did you mean".

``train`` keys and the train keys of a setting are the options of ``codeswitch train``; ``eval`` keys are
the options of ``codeswitch evaluate`` (dashes written as underscores, e.g. ``max_query_length``). A
setting also takes ``data``, ``label``, ``needs``, for a WiSE-FT cell ``interpolate`` + ``lam``, and for a
model soup of a trained setting's seeds ``soup`` (one setting, or a list of settings). A
duplicate key anywhere (two settings of one name) is an error, not a silent override. ``load_yaml``
reads the file; :func:`check` checks the parsed mapping.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from codeswitch.errors import ConfigError

TOP_KEYS = ("name", "description", "paths", "split", "data", "models", "train", "settings", "seeds", "baselines",
            "eval", "sizes", "eval_dir", "compare", "significance")
SETTING_KEYS = ("data", "needs", "label", "interpolate", "lam", "soup")
DATA_KEYS = ("pairs", "generate", "command", "needs", "ext")
PAIRS_KEYS = ("inputs", "mode", "passage", "per_item", "seed", "langs", "pivot", "passage_langs")
MODEL_KEYS = ("path", "query_prefix", "passage_prefix", "train")
SPLIT_KEYS = ("titles_from", "held_out", "seed")
RUNNER_FILLED = ("data", "model", "out", "seed", "model_name", "overwrite", "resume", "help")


def load_yaml(path: Path) -> Any:
    """``yaml.safe_load`` that refuses a key given twice in one mapping (line named)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(f"{path}:{key_node.start_mark.line + 1}: key {key!r} is given twice (first on "
                                  f"line {seen[key]}); each key once -- rename one of them")
            seen[key] = key_node.start_mark.line + 1
        return loader.construct_mapping(node, deep=deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def command_keys(command: str) -> set[str]:
    """The option names of ``codeswitch COMMAND`` as recipe keys (``--max-length`` -> ``max_length``)."""
    from codeswitch.recipes.stages import stage_group

    cmd = stage_group().commands[command]
    keys = set()
    for p in cmd.params:
        keys.update(o.lstrip("-").replace("-", "_") for o in p.opts if o.startswith("--"))
    return keys - set(RUNNER_FILLED)


def _unknown(mapping: dict, allowed, where: str, what: str) -> None:
    for key in mapping:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else f" (known: {', '.join(sorted(allowed))})"
            raise ConfigError(f"{where}: unknown {what} key {key!r}{hint}")


def _mapping_of(value, where: str, example: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a mapping, found a {type(value).__name__}; e.g. {example}")
    return value


def check(doc: dict, path: Path) -> None:
    """Check every key and the shape of every section of a parsed recipe (see the module docstring)."""
    where = str(path)
    _unknown(doc, TOP_KEYS, where, "top-level")
    train_keys = command_keys("train")
    eval_keys = command_keys("evaluate")
    _unknown(_mapping_of(doc.get("train"), f"{where}: train", "{batch_size: 32, max_steps: 150}"), train_keys,
             f"{where}: train", "train")
    evals = _mapping_of(doc.get("eval"), f"{where}: eval", "{dataset: xquad-r}")
    _unknown(evals, eval_keys | {"dataset"}, f"{where}: eval", "eval")
    split = _mapping_of(doc.get("split"), f"{where}: split", "{titles_from: FILE, held_out: 10, seed: 0}")
    _unknown(split, SPLIT_KEYS, f"{where}: split", "split")
    held = split.get("held_out")
    if held is not None and (isinstance(held, bool) or not isinstance(held, (int, float)) or held <= 0):
        raise ConfigError(f"{where}: split.held_out must be a count of articles (> 0) or a share (0 < x < 1), "
                          f"found {held!r}")
    for name, model in _mapping_of(doc.get("models"), f"{where}: models", "{e5: {path: DIR}}").items():
        model = _mapping_of(model, f"{where}: models.{name}", "{path: DIR, query_prefix: 'query: '}")
        _unknown(model, MODEL_KEYS, f"{where}: models.{name}", "model")
        _unknown(_mapping_of(model.get("train"), f"{where}: models.{name}.train", "{lr: 2e-5}"), train_keys,
                 f"{where}: models.{name}.train", "train")
    for name, entry in _mapping_of(doc.get("data"), f"{where}: data", "{en: {pairs: {...}}}").items():
        entry = _mapping_of(entry, f"{where}: data.{name}", "{generate: [INPUT, --lexicon, FILE]}")
        _unknown(entry, DATA_KEYS, f"{where}: data.{name}", "data entry")
        for key in ("generate", "command", "needs"):
            if key in entry and not isinstance(entry[key], list):
                raise ConfigError(f"{where}: data.{name}.{key} must be a list of arguments, found a "
                                  f"{type(entry[key]).__name__}")
        if "pairs" in entry:
            pairs = _mapping_of(entry["pairs"], f"{where}: data.{name}.pairs", "{inputs: [FILE], mode: mono}")
            _unknown(pairs, PAIRS_KEYS, f"{where}: data.{name}.pairs", "pairs")
            for key in ("langs", "passage_langs"):
                value = pairs.get(key)
                if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                    raise ConfigError(f"{where}: data.{name}.pairs.{key} must be a list of language codes, e.g. "
                                      f"[en], found {value!r}")
    for name, setting in _mapping_of(doc.get("settings"), f"{where}: settings", "{english: {data: en}}").items():
        setting = _mapping_of(setting, f"{where}: settings.{name}", "{data: en, batching: hybrid}")
        _unknown(setting, train_keys | set(SETTING_KEYS), f"{where}: settings.{name}", "setting")
        if "data" in setting and setting["data"] is not None and not isinstance(setting["data"], str):
            raise ConfigError(f"{where}: settings.{name}.data must name one data entry, found a "
                              f"{type(setting['data']).__name__}")
    seeds = doc.get("seeds", [13])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) and not isinstance(s, bool)
                                                           and 0 <= s < 2**32 for s in seeds):
        raise ConfigError(f"{where}: 'seeds' must be a non-empty list of integers 0 .. 2**32-1, found {seeds!r}")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"{where}: 'seeds' lists a seed twice ({seeds!r}); each seed once")
    baselines = doc.get("baselines") or []
    if not isinstance(baselines, list) or not all(isinstance(b, str) for b in baselines):
        raise ConfigError(f"{where}: 'baselines' must be a list of model names, e.g. [bm25], found {baselines!r}")
