"""Task vectors of fine-tuned runs: how far each run moved from the base model, how much the runs agree,
and (optionally) a model that moves further along a run's direction.

A run's task vector is tau = theta_tuned - theta_base over every floating-point tensor (Ilharco et al. 2023,
"Editing models with task arithmetic", arXiv 2212.04089). This prints, for the runs given:

* each run's ||tau|| (all tensors, and without the word-embedding matrix, which only the tokens seen in
  training move);
* the cosine between every two runs' tau: near 1, the runs learned the same thing; near 0, mostly seed noise;
* with ``--soup DIR``, the soup's ||tau|| and its ratio to the runs' mean. If tau_i = c + n_i with a shared
  c and independent noise n_i, the average of k runs keeps c and shrinks the noise by sqrt(k), so the ratio
  is below 1 by an amount the cosines predict.

``--scale LAM --scale-from DIR --out OUT`` writes ``theta_base + LAM * (theta_DIR - theta_base)``. LAM in (0, 1)
is WiSE-FT (``codeswitch interpolate`` does that, with checks and records); LAM > 1 extrapolates: a soup's
shrunken tau pushed back towards its runs' length. This is an experiment, not a toolkit command: it copies
DIR and replaces its ``model.safetensors``.

    python benchmarks/task_vectors.py --base /root/.cache/e5-small \\
        runs/african-zeroshot-cpu/models/e5/hybrid-tydi-flores-xen-s100/seed{1,2,3} \\
        --soup runs/african-zeroshot-cpu/models/e5/hybrid-tydi-flores-xen-s100-soup/once \\
        --json benchmarks/results/african-zeroshot-cpu/task-vectors/hybrid-tydi-flores-xen-s100.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import shutil
import sys
from pathlib import Path

from codeswitch.errors import ConfigError
from training.interpolate import check_same_layout

WEIGHTS = "model.safetensors"


def load(model_dir: str | Path, role: str) -> dict:
    """The float tensors of ``model_dir/model.safetensors`` (float64); one-line error when it is missing."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(model_dir) / WEIGHTS
    if not path.is_file():
        raise ConfigError(f"{role} {model_dir}: no {WEIGHTS} there; give a model directory written by "
                          "`codeswitch train` / `soup` or a sentence-transformers base model directory")
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ConfigError(f"{role} {path}: not a readable safetensors file ({exc}); "
                          "retrain or re-download it") from None
    return {k: v.double() for k, v in state.items() if v.is_floating_point()}


def task_vector(base: dict, tuned: dict, role: str) -> dict:
    check_same_layout(base, tuned, "base model", role, "pass the --base the runs were trained from")
    return {k: tuned[k] - base[k] for k in tuned}


def norm(tau: dict, skip_embeddings: bool = False) -> float:
    return math.sqrt(sum(float((v * v).sum()) for k, v in tau.items()
                         if not (skip_embeddings and "word_embeddings" in k)))


def dot(a: dict, b: dict) -> float:
    return sum(float((a[k] * b[k]).sum()) for k in a)


def analyse(base_dir: str, runs: list[str], soup: str | None) -> dict:
    twice = next((r for r in runs if runs.count(r) > 1), None)
    if twice is not None:
        raise ConfigError(f"run {twice} is given twice; give each run directory once")
    base = load(base_dir, "--base")
    taus = {r: task_vector(base, load(r, "run"), f"run {r}") for r in runs}
    if soup is not None:
        taus_soup = task_vector(base, load(soup, "--soup"), f"soup {soup}")
    for name, t in [*taus.items(), *([(soup, taus_soup)] if soup is not None else [])]:
        if norm(t) == 0.0:
            raise ConfigError(f"{name} has the base model's weights (its task vector is zero, no cosine exists); "
                              "give a fine-tuned run, or the --base it was trained from")
    norms = {r: norm(t) for r, t in taus.items()}  # each computed once: a pass over every weight
    out = {"base": base_dir,
           "runs": {r: {"norm": norms[r], "norm_without_word_embeddings": norm(t, True)} for r, t in taus.items()},
           "cosines": {f"{a} | {b}": dot(taus[a], taus[b]) / (norms[a] * norms[b])
                       for a, b in itertools.combinations(runs, 2)}}
    if soup is not None:
        soup_norm = norm(taus_soup)
        out["soup"] = {"dir": soup, "norm": soup_norm, "norm_without_word_embeddings": norm(taus_soup, True),
                       "ratio_to_runs_mean_norm": soup_norm / (sum(norms.values()) / len(runs)),
                       "cosine_to_runs": {r: dot(taus_soup, taus[r]) / (soup_norm * norms[r]) for r in runs}}
    return out


def scale(base_dir: str, src: str, lam: float, out: str) -> None:
    """Write ``base + lam * (src - base)`` as a copy of ``src`` with new weights."""
    from safetensors.torch import load_file, save_file

    if not math.isfinite(lam) or lam <= 0:
        raise ConfigError(f"--scale must be a positive number, found {lam}; e.g. --scale 1.25")
    dest = Path(out)
    if dest.exists():
        raise ConfigError(f"--out {out} exists; remove it or choose another folder")
    base, tuned = load(base_dir, "--base"), load(src, "--scale-from")
    check_same_layout(base, tuned, "base model", "--scale-from", "pass the --base the run was trained from")
    raw = load_file(str(Path(src) / WEIGHTS))
    new = {k: (base[k] + lam * (tuned[k] - base[k])).to(v.dtype).contiguous() if k in tuned else v
           for k, v in raw.items()}
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(src, tmp)
    save_file(new, str(tmp / WEIGHTS), metadata={"format": "pt"})
    (tmp / "task_vector_scale.json").write_text(json.dumps(
        {"base": base_dir, "from": src, "scale": lam,
         "formula": "theta = theta_base + scale * (theta_from - theta_base)"}, indent=1) + "\n")
    tmp.rename(dest)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="*", help="fine-tuned model directories (two or more for cosines)")
    ap.add_argument("--base", required=True, help="the base model directory the runs started from")
    ap.add_argument("--soup", help="a soup of the runs (codeswitch soup) to compare with them")
    ap.add_argument("--json", help="write the analysis here as JSON")
    ap.add_argument("--scale", type=float, help="write base + SCALE * (--scale-from - base) to --out")
    ap.add_argument("--scale-from", help="the model whose task vector --scale scales")
    ap.add_argument("--out", help="output model directory for --scale (must not exist)")
    args = ap.parse_args(argv)
    try:
        if args.scale is not None:
            if not args.scale_from or not args.out:
                raise ConfigError("--scale needs --scale-from DIR and --out DIR")
            scale(args.base, args.scale_from, args.scale, args.out)
            print(f"wrote {args.out}: base + {args.scale} * ({args.scale_from} - base)")
            return 0
        if len(args.runs) < 2:
            raise ConfigError("give two or more run directories (the cosines compare runs), or --scale")
        res = analyse(args.base, args.runs, args.soup)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for r, v in res["runs"].items():
        print(f"{r}: ||tau|| {v['norm']:.4f} (without word embeddings {v['norm_without_word_embeddings']:.4f})")
    for pair, c in res["cosines"].items():
        print(f"cos({pair}) = {c:.4f}")
    if "soup" in res:
        s = res["soup"]
        print(f"soup {s['dir']}: ||tau|| {s['norm']:.4f}, {s['ratio_to_runs_mean_norm']:.3f} x the runs' mean")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
