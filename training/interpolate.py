"""Weight-space interpolation of a fine-tuned encoder with its base model (WiSE-FT), against forgetting;
and the uniform average of several fine-tuned runs (a model soup, :func:`soup`).

:func:`interpolate` writes ``theta = (1 - lam) * theta_base + lam * theta_tuned`` for every
floating-point tensor of the model (Wortsman et al. 2022, "Robust fine-tuning of zero-shot models",
arXiv 2109.01903: interpolating the weights of a zero-shot model and its fine-tuned version keeps much
of the fine-tuning gain while recovering the robustness, here the languages and domains, that
fine-tuning forgot). ``lam = 0`` gives the base weights and ``lam = 1`` the tuned weights, exactly.

* The tuned model is a sentence-transformers directory (what ``codeswitch train`` writes); the base is
  a Hugging Face id or a local directory (plain Hugging Face or sentence-transformers). By default the
  base is the ``model`` that the tuned dir's ``train_config.json`` says training started from.
* Every floating-point tensor of the state dict (the transformer's, plus any other module with weights,
  e.g. a Dense layer) is interpolated; names and shapes must match between base and tuned, otherwise
  nothing is written. Non-float tensors (integer buffers such as ``position_ids``) are taken from the
  tuned model and must be equal in both. A tensor equal in both (a layer frozen with
  ``--freeze-layers``) is copied unchanged, bit for bit, whatever ``lam``.
* The output is the tuned model (its modules, configuration, tokenizer, prompts, ``max_seq_length``
  and pooling) with the interpolated weights, plus ``interpolate_config.json`` (base, tuned, lam,
  sha256 of the weights files) and copies of the tuned dir's ``train_config.json``,
  ``data_stats.json`` and ``batch_mix.json``; it is written atomically (:func:`codeswitch.atomic.atomic_path`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import time
from pathlib import Path
from typing import Any

from codeswitch.atomic import atomic_path, check_output
from codeswitch.errors import ConfigError

#: Files of the tuned dir copied to the output so downstream tools still see what the model was trained on.
CARRIED_FILES = ("train_config.json", "data_stats.json", "batch_mix.json")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
CITATION = "WiSE-FT: Wortsman et al. 2022, Robust fine-tuning of zero-shot models, arXiv 2109.01903"


def check_lam(lam: float) -> float:
    """``lam`` as a float in [0, 1]; :class:`ConfigError` naming ``--lam`` otherwise (nan included)."""
    try:
        value = float(lam)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"--lam must be a number in [0, 1] (0: base weights, 1: tuned weights), found {lam!r}; "
                          "e.g. --lam 0.5")
    return value


def default_base(tuned: str | Path) -> str:
    """The model the tuned dir was trained from (``train_config.json`` ``model``); :class:`ConfigError` if unknown."""
    cfg = Path(tuned) / "train_config.json"
    if not cfg.is_file():
        raise ConfigError(f"{tuned} has no train_config.json naming its base model; pass --base PATH_OR_HUB_ID")
    try:
        base = json.loads(cfg.read_text(encoding="utf-8")).get("model")
    except (json.JSONDecodeError, AttributeError, UnicodeDecodeError):
        base = None
    if not isinstance(base, str) or not base:
        raise ConfigError(f"{cfg} does not name a base model (no 'model' field); pass --base PATH_OR_HUB_ID")
    return base


def _looks_local(name: str) -> bool:
    """A path rather than a hub id (``org/name`` or ``name``): absolute, ``./``-relative, ``~`` or deeper."""
    if os.path.isabs(name) or name.startswith((".", "~")) or name.count("/") > 1:
        return True
    return (os.sep != "/" and os.sep in name) or Path(name).exists()


def _inside(path: Path, other: Path) -> bool:
    return path == other or other in path.parents


def check_tuned(tuned: str | Path, option: str = "--tuned") -> Path:
    """``tuned`` as a Path; :class:`ConfigError` unless it is a sentence-transformers model directory."""
    tuned_p = Path(tuned)
    if not tuned_p.is_dir():
        raise ConfigError(f"{option} {tuned}: no such model directory; pass the --out dir of `codeswitch train`")
    if not (tuned_p / "modules.json").is_file():
        raise ConfigError(f"{option} {tuned} is not a sentence-transformers model directory (no modules.json); pass "
                          "a dir written by `codeswitch train` or SentenceTransformer.save()")
    return tuned_p


def check_paths(base: str, tuned: str | Path, out: str | Path, overwrite: bool) -> Path | None:
    """Validate ``tuned``, ``base`` and ``out`` before any model is loaded; return the local base dir (or None).

    Refuses an ``out`` that is, lies inside or contains ``tuned`` or a local ``base`` (replacing it would
    destroy an input), and an existing ``out`` without ``overwrite``.
    """
    tuned_p = check_tuned(tuned)
    base_dir = None
    if _looks_local(base):
        base_dir = Path(base).expanduser()
        if not base_dir.is_dir():
            raise ConfigError(f"--base {base}: no such model directory; pass a local model dir or a Hugging Face id")
    out_r = Path(out).expanduser().resolve()
    for option, given in (("--tuned", tuned_p), ("--base", base_dir)):
        if given is None:
            continue
        src = given.resolve()
        if _inside(out_r, src) or _inside(src, out_r):
            raise ConfigError(f"--out {out} overlaps {option} {given} (the same folder, or one inside the other); "
                              f"writing it would destroy {option}: choose another --out")
    check_output(Path(out), overwrite, folder=True)
    return base_dir


def weights_sha256(model_dir: str | Path) -> dict[str, str]:
    """sha256 of every weights file (``*.safetensors``, ``*.bin``, ...) under ``model_dir``, by relative path."""
    root = Path(model_dir)
    digests = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in WEIGHT_SUFFIXES):
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digests[path.relative_to(root).as_posix()] = h.hexdigest()
    return digests


def check_same_layout(first: dict, other: dict, first_role: str, other_role: str, fix: str) -> None:
    """:class:`ConfigError` unless two state dicts have the same tensor names and shapes (``fix``: what to do)."""
    for name in other:
        if name not in first:
            raise ConfigError(f"tensor {name} (shape {tuple(other[name].shape)}) is in the {other_role} but not in "
                              f"the {first_role}: different architectures; {fix}")
        if tuple(first[name].shape) != tuple(other[name].shape):
            raise ConfigError(f"tensor {name} has shape {tuple(first[name].shape)} in the {first_role} but "
                              f"{tuple(other[name].shape)} in the {other_role} (different architecture or vocab "
                              f"size); {fix}")
    extra = next((n for n in first if n not in other), None)
    if extra is not None:
        raise ConfigError(f"tensor {extra} (shape {tuple(first[extra].shape)}) is in the {first_role} but not in "
                          f"the {other_role}: different architectures; {fix}")


def interpolate_state_dicts(base: dict, tuned: dict, lam: float) -> tuple[dict, dict[str, int]]:
    """``(1 - lam) * base + lam * tuned`` for every float tensor; non-float tensors from ``tuned``.

    Returns the new state dict (keys and order of ``tuned``) and counts (``interpolated``, ``unchanged``:
    float tensors equal in both, copied as they are; ``non_float``; ``parameters``: elements interpolated).
    Float tensors are computed in their own precision (float32 for float16 / bfloat16) and stored in the
    tuned dtype.

    Raises:
        ConfigError: a tensor is in one model only, the shapes differ, or a non-float tensor differs.
    """
    import torch

    lam = check_lam(lam)
    check_same_layout(base, tuned, "base model", "tuned model", "pass the --base the model was trained from")
    out, counts = {}, {"interpolated": 0, "unchanged": 0, "non_float": 0, "parameters": 0}
    for name, b in tuned.items():
        a = base[name].to(device=b.device)
        if not b.is_floating_point():
            if not torch.equal(a.to(b.dtype), b):
                raise ConfigError(f"non-float tensor {name} ({b.dtype}) differs between base and tuned model; it "
                                  "cannot be interpolated: pass the --base the model was trained from")
            out[name] = b.clone()
            counts["non_float"] += 1
            continue
        if a.dtype == b.dtype and torch.equal(a, b):  # frozen during training: keep it bit for bit
            out[name] = b.clone()
            counts["unchanged"] += 1
            continue
        compute = torch.float32 if b.dtype in (torch.float16, torch.bfloat16) else b.dtype
        mixed = a.to(compute).mul(1.0 - lam).add_(b.to(compute).mul(lam))
        out[name] = mixed.to(b.dtype)
        counts["interpolated"] += 1
        counts["parameters"] += b.numel()
    return out, counts


@contextlib.contextmanager
def _no_progress_bars():
    """Hide transformers' per-call "Loading weights" / "Writing model shards" bars (the command prints one line)."""
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was:
            hf_logging.enable_progress_bar()


def _load(name: str, role: str):
    from sentence_transformers import SentenceTransformer

    try:
        with _no_progress_bars():
            return SentenceTransformer(name, device="cpu")
    except Exception as exc:  # noqa: BLE001 - any loading failure becomes one line
        first = (str(exc).splitlines() or [""])[0]
        raise ConfigError(f"cannot load --{role} model {name!r} ({type(exc).__name__}: {first}); give a local model "
                          "directory or a Hugging Face id (hub ids need network access)") from None


def interpolate(tuned: str | Path, out: str | Path, lam: float, base: str | None = None,
                overwrite: bool = False) -> dict[str, Any]:
    """Write the WiSE-FT interpolation of ``tuned`` with ``base`` at ``lam`` to ``out``; return its record.

    ``base=None`` takes the model named in ``tuned/train_config.json``. Everything is checked (``lam``,
    paths, then every tensor's name and shape) before ``out`` is touched; the directory appears only
    complete. The returned dict is what ``out/interpolate_config.json`` holds.
    """
    from codeswitch import __version__

    lam = check_lam(lam)
    check_tuned(tuned)
    base_from = "--base"
    if base is None:
        base, base_from = default_base(tuned), f"{Path(tuned) / 'train_config.json'} (model)"
    base_dir = check_paths(base, tuned, out, overwrite)
    start = time.perf_counter()
    tuned_model = _load(str(tuned), "tuned")
    base_model = _load(str(base_dir) if base_dir is not None else base, "base")
    state, counts = interpolate_state_dicts(base_model.state_dict(), tuned_model.state_dict(), lam)
    del base_model
    tuned_model.load_state_dict(state)
    del state
    record = {
        "method": CITATION,
        "formula": "theta = (1 - lam) * theta_base + lam * theta_tuned",
        "lam": lam,
        "base": str(base_dir.resolve()) if base_dir is not None else base,
        "base_from": base_from,
        "tuned": str(Path(tuned).resolve()),
        "tuned_weights_sha256": weights_sha256(tuned),
        "base_weights_sha256": weights_sha256(base_dir) if base_dir is not None else None,
        "tensors": counts,
        "codeswitch_version": __version__,
    }
    _write_model(tuned_model, Path(tuned), Path(out), record, "interpolate_config.json", start)
    return record


def _write_model(model, source: Path, out: Path, record: dict[str, Any], record_name: str, start: float,
                 carried: tuple[str, ...] = CARRIED_FILES, written: dict[str, dict] | None = None) -> None:
    """Save ``model`` to ``out`` atomically with ``source``'s ``carried`` files, the JSON files ``written``
    (name -> content) and ``record`` (+ seconds)."""
    with atomic_path(out) as tmp:
        with _no_progress_bars():
            model.save(str(tmp))
        for name in carried:
            if (source / name).is_file():
                shutil.copy2(source / name, tmp / name)
        for name, body in (written or {}).items():
            (tmp / name).write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        record["seconds"] = round(time.perf_counter() - start, 2)
        (tmp / record_name).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------- model soups
SOUP_CITATION = ("Model soups: Wortsman et al. 2022, Model soups: averaging weights of multiple fine-tuned models "
                 "improves accuracy without increasing inference time, ICML, arXiv 2203.05482")


#: ``train_config.json`` keys a soup's members must share: the soup is evaluated with one pair of prefixes.
SOUP_SHARED_KEYS = ("query_prefix", "passage_prefix")


def soup_train_config(paths: list[Path], out: str | Path) -> dict[str, Any] | None:
    """The ``train_config.json`` of a soup of ``paths`` (None if no member has one).

    Keys every member agrees on keep their value (``model``, the prefixes, the options the runs share); a
    key that differs (``seed``, or ``data`` in a soup of two settings) is ``null``, with each member's value
    under ``soup_of`` (``"train_config": null`` for a member without the file); ``out`` is the soup's. So no
    reader takes the first member's seed or data for the soup's. Raises :class:`ConfigError` if a file is
    not a JSON object, or the members' prefixes differ.
    """
    configs = []
    for p in paths:
        cfg = p / "train_config.json"
        if not cfg.is_file():
            continue
        try:
            data = json.loads(cfg.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            raise ConfigError(f"{cfg}: not a JSON object of training options (damaged?); re-train that member or "
                              "remove the file")
        configs.append((p, data))
    if not configs:
        return None
    p0, first = configs[0]
    for key in SOUP_SHARED_KEYS:
        for p, data in configs[1:]:
            if data.get(key) != first.get(key):
                raise ConfigError(f"--model {p} was trained with {key} {data.get(key)!r} but --model {p0} with "
                                  f"{first.get(key)!r}; a soup is encoded with one pair of prefixes: average runs "
                                  "trained with the same prefixes")
    keys = list(dict.fromkeys(k for _, data in configs for k in data))
    differ = [k for k in keys if k != "out" and any((k in d) != (k in first) or d.get(k) != first.get(k)
                                                    for _, d in configs[1:])]
    merged = {k: (None if k in differ else first.get(k)) for k in keys}
    if "out" in merged:
        merged["out"] = str(out)
    have = dict(configs)
    merged["soup_of"] = [{"path": str(p.resolve()), **({k: have[p].get(k) for k in differ} if p in have
                                                       else {"train_config": None})} for p in paths]
    return merged


class WeightAverage:
    """The uniform average of state dicts added one at a time (the first member, the float64 sums and the member
    being added are held; not all of them at once).

    Float tensors are summed in float64 and divided once, so the result does not depend on the order of
    the members beyond float64 rounding; a tensor equal in every member (frozen during training) is copied
    bit for bit. Non-float tensors (``position_ids``) must be equal in every member.
    """

    def __init__(self, first: dict, role: str):
        import torch

        self.first, self.role, self.count = first, role, 1
        self.sums = {n: t.to(torch.float64) for n, t in first.items() if t.is_floating_point()}
        self.same = dict.fromkeys(self.sums, True)

    def add(self, state: dict, role: str) -> None:
        import torch

        check_same_layout(self.first, state, self.role, role, "a soup averages runs of one model (same base, "
                          "same --freeze options); pass models fine-tuned from the same base")
        for name, ref in self.first.items():
            t = state[name].to(device=ref.device)
            if name not in self.sums:
                if not torch.equal(ref, t.to(ref.dtype)):
                    raise ConfigError(f"non-float tensor {name} ({ref.dtype}) differs between {self.role} and {role}; "
                                      "it cannot be averaged: pass models fine-tuned from the same base")
                continue
            self.same[name] = self.same[name] and t.dtype == ref.dtype and torch.equal(ref, t)
            self.sums[name].add_(t.to(torch.float64))
        self.count += 1

    def result(self) -> tuple[dict, dict[str, int]]:
        """The averaged state dict (keys, order and dtypes of the first member) and counts like interpolation's."""
        out, counts = {}, {"averaged": 0, "unchanged": 0, "non_float": 0, "parameters": 0}
        for name, ref in self.first.items():
            if name not in self.sums:
                out[name] = ref.clone()
                counts["non_float"] += 1
            elif self.same[name]:
                out[name] = ref.clone()
                counts["unchanged"] += 1
            else:
                out[name] = self.sums[name].div(self.count).to(ref.dtype)
                counts["averaged"] += 1
                counts["parameters"] += ref.numel()
        return out, counts


def soup(models: list[str | Path], out: str | Path, overwrite: bool = False) -> dict[str, Any]:
    """Write the uniform soup (weight average) of ``models`` to ``out``; return its record.

    Every member is a sentence-transformers directory fine-tuned from the same base (e.g. one setting
    trained with several seeds). Everything is checked (paths, then every tensor's name and shape, member
    by member) before ``out`` is touched; the output is the first member (modules, tokenizer, prompts)
    with the averaged weights, plus ``soup_config.json`` and a ``train_config.json`` that keeps what the members
    share (:func:`soup_train_config`), written atomically. No member's ``data_stats.json`` /
    ``batch_mix.json`` is carried: they describe one run.
    """
    from codeswitch import __version__

    if len(models) < 2:
        raise ConfigError(f"--model: a soup averages at least two models, found {len(models)}; give --model once "
                          "per fine-tuned run, e.g. --model runs/seed1 --model runs/seed2")
    check_output(Path(out), overwrite, folder=True)
    paths = [check_tuned(m, "--model") for m in models]
    seen: dict[Path, Path] = {}
    for p in paths:
        r = p.resolve()
        if r in seen:
            raise ConfigError(f"--model {p} is given twice (also as {seen[r]}); a soup averages different runs, "
                              "each once")
        seen[r] = p
    out_r = Path(out).expanduser().resolve()
    for p in paths:
        if _inside(out_r, p.resolve()) or _inside(p.resolve(), out_r):
            raise ConfigError(f"--out {out} overlaps --model {p} (the same folder, or one inside the other); "
                              "writing it would destroy that model: choose another --out")
    train_config = soup_train_config(paths, out)
    start = time.perf_counter()
    skeleton = _load(str(paths[0]), "model")
    average = WeightAverage(skeleton.state_dict(), f"--model {paths[0]}")
    for p in paths[1:]:
        member = _load(str(p), "model")
        average.add(member.state_dict(), f"--model {p}")
        del member
    state, counts = average.result()
    del average
    skeleton.load_state_dict(state)
    del state
    record = {
        "method": SOUP_CITATION,
        "formula": "theta = (theta_1 + ... + theta_k) / k",
        "members": [{"path": str(p.resolve()), "weights_sha256": weights_sha256(p)} for p in paths],
        "tensors": counts,
        "codeswitch_version": __version__,
    }
    # no member's data_stats.json / batch_mix.json: they describe one run (each member keeps its own)
    _write_model(skeleton, paths[0], Path(out), record, "soup_config.json", start, carried=(),
                 written={"train_config.json": train_config} if train_config is not None else None)
    return record
