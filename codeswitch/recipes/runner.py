"""Run a recipe: split -> generate -> train -> evaluate -> aggregate, skipping steps already done.

Every step writes its output (a file or a directory) and, beside it, ``<output>.step.json`` with
the hash of the step's full configuration (its command line, the recipe options and the hashes
of the steps it reads). A step whose output exists with the same hash is skipped; a changed
configuration reruns it (and, through the hashes, everything downstream). A model (trained, blended or
souped) may be deleted once it is evaluated: its step counts as done while its record has today's hash,
its evaluation is finished and so is everything that reads it (a blend, a soup); otherwise it runs
again. Steps run in-process
through the ``codeswitch`` click commands (``generate``, ``train``, ``evaluate``; gathered by
:mod:`codeswitch.recipes.stages`, not through the root CLI), so a recipe does exactly what a user
typing those commands would; torch is only imported by those commands.

Grid order is seed-major (all models and settings for the first seed, then the next seed), so an
interrupted run leaves complete seeds behind; rerunning resumes where it stopped. Off-the-shelf
settings (no ``data``) and the ``baselines`` (e.g. ``bm25``) are evaluated once, not per seed; so is a
``soup`` setting (the weight average of a trained setting's models over every seed, or of several
settings' models), after the seeds.

Output folder::

    OUT/recipe.json                     the parsed recipe (resolved paths)
    OUT/split/heldout_titles.txt        articles kept out of training (evaluation only)
    OUT/data/<name>.jsonl               generated training records (+ .stats.json, .step.json)
    OUT/models/<model>/<setting>/seed<k>   trained sentence-transformers models (``once``: a soup)
    OUT/eval/<model>/<setting>/seed<k>     codeswitch evaluate results (metrics.json, runs, plots);
                                        ``eval_dir`` in the recipe renames ``eval`` (recipes sharing
                                        one OUT and its models, each with its own evaluation)
    OUT/results/                        runs.csv, results.json, table.md, *.png (see codeswitch.recipes.report)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from codeswitch.errors import ConfigError
from codeswitch.recipes.config import SETTING_KEYS, Recipe, as_options, soup_sources

_DATA_REF = re.compile(r"\{data:([A-Za-z0-9_.-]+)\}")


@dataclass
class StepResult:
    """What happened to one step: ``ran``, ``skipped`` (same hash), ``failed`` or ``unavailable``."""

    kind: str
    name: str
    status: str
    out: str
    seconds: float = 0.0
    message: str = ""
    hash: str = ""


@dataclass
class RunFilter:
    """Restrict a run to some models / settings / seeds (None: all)."""

    models: tuple[str, ...] | None = None
    settings: tuple[str, ...] | None = None
    seeds: tuple[int, ...] | None = None

    def keep(self, model: str | None = None, setting: str | None = None, seed: int | None = None) -> bool:
        """Whether a grid cell passes the filter."""
        return ((model is None or self.models is None or model in self.models)
                and (setting is None or self.settings is None or setting in self.settings)
                and (seed is None or self.seeds is None or seed in self.seeds))


def config_hash(config: dict[str, Any]) -> str:
    """sha256 (first 16 hex digits) of the canonical JSON of ``config``."""
    blob = json.dumps(config, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def sidecar(out: Path) -> Path:
    """The ``<output>.step.json`` file beside a step output."""
    return out.with_name(out.name + ".step.json")


def read_sidecar(out: Path, need_output: bool = True) -> dict[str, Any] | None:
    """The stored step record of ``out``, or None when the step never finished.

    ``need_output=False`` (reports) keeps the record of a step whose output was removed since, e.g.
    a trained model deleted to free disk after its evaluation finished.
    """
    side = sidecar(out)
    if not side.is_file() or (need_output and not out.exists()):
        return None
    try:
        return json.loads(side.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def invoke(args: list[str]) -> None:
    """Run ``codeswitch ARGS`` in this process (errors propagate as exceptions).

    Ctrl-C (or SIGTERM, which the CLI turns into KeyboardInterrupt) stops the whole run: click's
    ``standalone_mode=False`` reports it as ``click.Abort``, which would otherwise count as one failed
    cell and let the grid go on to the next.
    """
    import click

    from codeswitch.recipes.stages import stage_group

    try:
        stage_group().main(args=[str(a) for a in args], prog_name="codeswitch", standalone_mode=False)
    except click.exceptions.Abort:
        raise KeyboardInterrupt(f"interrupted during codeswitch {args[0] if args else ''}") from None


def command_has_option(command: str, option: str) -> bool:
    """Whether ``codeswitch COMMAND`` (e.g. ``generate`` or ``lexicon induce``) has ``option``."""
    from codeswitch.recipes.stages import stage_group

    cmd: Any = stage_group()
    for part in command.split():
        cmd = getattr(cmd, "commands", {}).get(part)
        if cmd is None:
            return False
    return option is None or any(option in p.opts or option in getattr(p, "secondary_opts", []) for p in cmd.params)


class RecipeRunner:
    """Executes a :class:`Recipe` into ``out`` (see the module docstring for the layout)."""

    def __init__(self, recipe: Recipe, out: Path, run_filter: RunFilter | None = None, dry_run: bool = False,
                 echo: Callable[[str], None] = print, invoker: Callable[[list[str]], None] = invoke,
                 report_only: bool = False) -> None:
        self.recipe = recipe
        self.out = Path(out)
        self.filter = run_filter or RunFilter()
        self.dry_run = dry_run or report_only
        # a report reads finished steps' records even where their outputs (models) were deleted
        self.report_only = report_only
        self.echo = echo
        self.invoker = invoker
        self.steps: list[StepResult] = []
        self.data_out: dict[str, Path] = {}
        self.data_hash: dict[str, str] = {}
        self.unavailable: dict[str, str] = {}
        self.split_hash = ""
        self.heldout_file: Path | None = None
        self.trained: dict[tuple[str, str, int], str] = {}  # (model, setting, seed) -> train step hash
        self.deleted: set[tuple[str, str, int]] = set()  # trained cells whose model was deleted after evaluation

    # ------------------------------------------------------------------ generic step
    def _step(self, kind: str, name: str, out: Path, config: dict[str, Any], action: Callable[[], None],
              evaluated: Callable[[str], bool] | None = None) -> StepResult:
        """Run one step unless its record holds today's hash. ``evaluated(hash)``, for a model step: whether
        everything downstream of it is finished, so that its deleted output is not needed again."""
        h = config_hash(config)
        done = read_sidecar(out, need_output=not self.report_only)
        kept = read_sidecar(out, need_output=False) if done is None and evaluated is not None else None
        if done is not None and done.get("hash") == h:
            res = StepResult(kind, name, "skipped", str(out), float(done.get("seconds", 0.0)), hash=h)
            self.echo(f"[skip] {kind} {name} (same config hash {h})")
        elif kept is not None and kept.get("hash") == h and evaluated(h):
            why = "its output was deleted; its evaluation and every step reading it are finished"
            res = StepResult(kind, name, "skipped", str(out), float(kept.get("seconds", 0.0)), why, hash=h)
            self.echo(f"[skip] {kind} {name} (same config hash {h}; {why})")
        elif self.dry_run:
            res = StepResult(kind, name, "planned", str(out), hash=h)
            self.echo(f"[plan] {kind} {name} -> {out}")
        else:
            with step_lock(out) as mine:
                if not mine:
                    msg = "another recipe run on this --out is running this step; rerun once it is done"
                    self.echo(f"[busy] {kind} {name}: {msg}")
                    res = StepResult(kind, name, "failed", str(out), 0.0, msg, h)
                    self.steps.append(res)
                    return res
                done = read_sidecar(out)  # another run may have finished it while this one waited to look
                if done is not None and done.get("hash") == h:
                    res = StepResult(kind, name, "skipped", str(out), float(done.get("seconds", 0.0)), hash=h)
                else:
                    res = self._run_step(kind, name, out, config, h, action)
        self.steps.append(res)
        return res

    def _run_step(self, kind: str, name: str, out: Path, config: dict[str, Any], h: str,
                  action: Callable[[], None]) -> StepResult:
        self.echo(f"[run]  {kind} {name} -> {out}")
        sidecar(out).unlink(missing_ok=True)
        start = time.perf_counter()
        try:
            action()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - one failed cell must not stop the grid
            msg = " ".join(str(exc).split()) or type(exc).__name__
            self.echo(f"[fail] {kind} {name}: {msg}")
            return StepResult(kind, name, "failed", str(out), time.perf_counter() - start, msg, h)
        seconds = time.perf_counter() - start
        sidecar(out).write_text(json.dumps({"hash": h, "seconds": round(seconds, 2), "config": config,
                                            "finished": time.strftime("%Y-%m-%dT%H:%M:%S")},
                                           indent=1, default=str) + "\n", encoding="utf-8")
        return StepResult(kind, name, "ran", str(out), seconds, hash=h)

    # ------------------------------------------------------------------ split
    def run_split(self) -> None:
        """Split the articles by title (``codeswitch.parallel.pairs.split_by_title``) and write the title lists."""
        spec = self.recipe.split
        if not spec:
            return
        from codeswitch.parallel.pairs import split_by_title

        src = Path(spec.get("titles_from", ""))
        if not src.is_file():
            raise ConfigError(f"{self.recipe.path}: split.titles_from {str(src)!r} is not a file (SQuAD-format JSON)")
        out = self.out / "split"
        config = {"titles_from": str(src), "held_out": spec.get("held_out", 0.25), "seed": spec.get("seed", 0)}

        def action() -> None:
            doc = json.loads(src.read_text(encoding="utf-8"))
            titles = [a.get("title", "") for a in doc.get("data", [])]
            mapping = split_by_title([SimpleNamespace(title=t) for t in titles], config["held_out"], config["seed"])
            out.mkdir(parents=True, exist_ok=True)
            for part in ("heldout", "train"):
                names = sorted(t for t, v in mapping.items() if v == part)
                (out / f"{part}_titles.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
            (out / "split.json").write_text(json.dumps(mapping, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

        res = self._step("split", "by-title", out, config, action)
        self.split_hash = res.hash
        self.heldout_file = out / "heldout_titles.txt"

    def _split_map(self) -> dict[str, str] | None:
        path = self.out / "split" / "split.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    # ------------------------------------------------------------------ data
    def _data_order(self) -> list[str]:
        order: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in order:
                return
            if name in visiting:
                raise ConfigError(f"{self.recipe.path}: data entries reference each other in a cycle ({name})")
            if name not in self.recipe.data:
                raise ConfigError(f"{self.recipe.path}: {{data:{name}}} names no 'data' entry")
            visiting.add(name)
            for ref in _DATA_REF.findall(json.dumps(self.recipe.data[name])):
                visit(ref)
            visiting.discard(name)
            order.append(name)

        for name in self.recipe.data:
            visit(name)
        return order

    def _fill(self, value: Any, out: Path) -> Any:
        if isinstance(value, list):
            return [self._fill(v, out) for v in value]
        if isinstance(value, dict):
            return {k: self._fill(v, out) for k, v in value.items()}
        if not isinstance(value, str):
            return value
        value = _DATA_REF.sub(lambda m: str(self.data_out[m.group(1)]), value)
        value = value.replace("{out}", str(out)).replace("{split}", str(self.out / "split"))
        value = value.replace("{held_out}", str(self.recipe.split.get("held_out", 0.2)))
        return value.replace("{split_seed}", str(self.recipe.split.get("seed", 0)))

    def run_data(self, needed: set[str]) -> None:
        """Build the data entries that the selected settings need (and their inputs)."""
        for name in self._data_order():
            entry = self.recipe.data[name]
            ext = entry.get("ext", ".jsonl")
            out = self.out / "data" / f"{name}{ext}"
            self.data_out[name] = out
            if name not in needed:
                continue
            refs = _DATA_REF.findall(json.dumps(entry))
            missing = [n for n in entry.get("needs", []) if not command_has_option(*_split_need(n))]
            bad_refs = [r for r in refs if r in self.unavailable]
            if missing or bad_refs:
                why = (f"needs `codeswitch {missing[0]}`, not in this version" if missing
                       else f"input {bad_refs[0]} unavailable")
                self.unavailable[name] = why
                self.steps.append(StepResult("data", name, "unavailable", str(out), message=why))
                self.echo(f"[n/a]  data {name}: {why}")
                continue
            config = {"entry": entry, "inputs": {r: self.data_hash.get(r, "") for r in refs}, "split": self.split_hash}
            res = self._step("data", name, out, config, lambda e=entry, o=out: self._build_data(e, o))
            self.data_hash[name] = res.hash
            if res.status == "failed":
                self.unavailable[name] = f"data step failed: {res.message}"

    def _build_data(self, entry: dict[str, Any], out: Path) -> None:
        if "pairs" in entry:
            self._build_pairs(self._fill(entry["pairs"], out), out)
        for key in ("generate", "command"):
            if key in entry:
                args = self._fill(list(entry[key]), out)
                if key == "generate":
                    args = ["generate", *args, "--out", str(out), "--overwrite", "--quiet"]
                self.invoker(args)
        if not out.exists():
            raise ConfigError(f"the data step wrote nothing at {out}; its command must write {{out}}")
        self._check_leakage(out)

    def _check_leakage(self, out: Path) -> None:
        """Refuse training records from held-out articles (records that carry ``meta.title``)."""
        split = self._split_map()
        if split is None or out.suffix != ".jsonl":
            return
        from codeswitch.example_io import iter_examples

        held = {t for t, v in split.items() if v == "heldout"}
        for ex in iter_examples(out):
            if ex.meta.get("title") in held:
                out.unlink()
                raise ConfigError(f"{out.name}: record {ex.id} comes from held-out article {ex.meta['title']!r}; "
                                  "the data step must keep only the training articles (--keep-split train)")

    def _build_pairs(self, spec: dict[str, Any], out: Path) -> None:
        from codeswitch.example_io import write_examples
        from codeswitch.parallel.pairs import build_pairs, read_parallel

        items = read_parallel(spec["inputs"], langs=spec.get("langs"))
        split = self._split_map()
        examples = list(build_pairs(items, mode=spec.get("mode", "all"), passage=spec.get("passage", "sentence"),
                                    per_item=spec.get("per_item"), seed=int(spec.get("seed", 0)), split=split,
                                    keep_split="train" if split is not None else None, source="recipe",
                                    pivot=spec.get("pivot"), passage_langs=spec.get("passage_langs")))
        if split is not None:
            leaked = {e.meta.get("title") for e in examples} - {t for t, v in split.items() if v == "train"}
            if leaked:
                raise ConfigError(f"pairs for {out.name} contain articles outside the training split: "
                                  f"{sorted(leaked)[:3]}")
        write_examples(examples, out)

    # ------------------------------------------------------------------ train + eval
    def _eval_args(self) -> tuple[list[str], dict[str, Any]]:
        opts = dict(self.recipe.eval)
        if opts.get("titles") == "heldout":
            if self.heldout_file is None:
                raise ConfigError(f"{self.recipe.path}: eval.titles is 'heldout' but the recipe has no 'split'")
            opts["titles"] = str(self.heldout_file)
        return as_options(opts), opts

    def _eval_spec(self, label: str, model: str, out: Path, extra: dict[str, Any],
                   upstream: str) -> tuple[list[str], dict[str, Any]]:
        """(``codeswitch evaluate`` argv, config whose hash identifies the step) of one evaluation."""
        args, opts = self._eval_args()
        extra_args = as_options({k: v for k, v in extra.items() if v is not None})
        cmd = ["evaluate", "--model", model, "--model-name", label, *args, *extra_args, "--out", str(out),
               "--overwrite"]
        config = {"args": cmd[:-3] + cmd[-1:], "upstream": upstream, "split": self.split_hash}
        if opts.get("titles"):
            config["titles_sha"] = hashlib.sha256(Path(opts["titles"]).read_bytes()).hexdigest()[:16] \
                if Path(opts["titles"]).is_file() else ""
        return cmd, config

    def _evaluate(self, label: str, model: str, out: Path, extra: dict[str, Any], upstream: str) -> StepResult:
        cmd, config = self._eval_spec(label, model, out, extra, upstream)
        return self._step("eval", label, out, config, lambda: self.invoker(cmd))

    def _eval_out(self, label: str, model: Path) -> Path:
        """Where the model of ``label`` (``model/setting[/seed<k>]``) is evaluated: seed<k>, or once (a soup)."""
        return self.out / self.recipe.eval_dir / Path(*label.split("/")[:2]) / model.name

    def _evaluated(self, label: str, model: Path, upstream: str) -> bool:
        """Whether the evaluation of ``model`` (made by the step of hash ``upstream``) is finished."""
        out = self._eval_out(label, model)
        _, config = self._eval_spec(label, str(model), out, {}, upstream)
        done = read_sidecar(out)
        return done is not None and done.get("hash") == config_hash(config)

    def run_grid(self) -> None:
        """Baselines, off-the-shelf models, then every (seed, model, setting) cell."""
        for base in self.recipe.baselines:
            if self.filter.keep(model=base):
                self._evaluate(base, base, self.out / self.recipe.eval_dir / base / "baseline" / "once", {}, "")
        for mname, model in self.recipe.models.items():
            for sname, setting in self.recipe.settings.items():
                if (setting.get("data") is None and "interpolate" not in setting and "soup" not in setting
                        and self.filter.keep(mname, sname)):
                    out = self.out / self.recipe.eval_dir / mname / sname / "once"
                    self._evaluate(f"{mname}/{sname}", model["path"], out, _prefixes(model), model["path"])
        for seed in self.recipe.seeds:
            for mname, model in self.recipe.models.items():
                for sname, setting in self.recipe.settings.items():
                    if not self.filter.keep(mname, sname, seed):
                        continue
                    if "interpolate" in setting:
                        self._interpolate_and_eval(seed, mname, model, sname, setting)
                    elif setting.get("data") is not None:
                        self._train_and_eval(seed, mname, model, sname, setting)
        for mname, model in self.recipe.models.items():  # soups last: they read every seed's model
            for sname, setting in self.recipe.settings.items():
                if "soup" in setting and self.filter.keep(mname, sname):
                    self._soup_and_eval(mname, model, sname, soup_sources(setting))

    def _soup_and_eval(self, mname: str, model: dict, sname: str, srcs: list[str]) -> None:
        """A model soup: the weight average of the models of ``srcs`` (one trained setting or several) over every
        seed of the recipe, setting by setting; evaluated once."""
        label = f"{mname}/{sname}"
        cells = [(src, seed) for src in srcs for seed in self.recipe.seeds]
        members = {(src, seed): self.trained.get((mname, src, seed)) or
                   self._finished_training(seed, mname, model, src) for src, seed in cells}
        missing = {src: [str(seed) for (s, seed), h in members.items() if s == src and h is None] for src in srcs}
        if any(missing.values()):
            why = "; ".join(f"{mname}/{src} is not trained for seed(s) {', '.join(seeds)}"
                            for src, seeds in missing.items() if seeds)
            why += f" (a soup averages every seed of the recipe; run {'it' if len(srcs) == 1 else 'them'} first)"
            return self._unavailable("soup", label, why)
        mdir, cmd, config = self._soup_spec(mname, sname, srcs, members)
        gone = [f"{src}/seed{seed}" for src, seed in cells if (mname, src, seed) in self.deleted]
        if gone and not self._done_or_evaluated(label, mdir, config):
            why = (f"{mname}/{', '.join(gone)} deleted after evaluation, and this soup needs them: run "
                   f"--settings {','.join(srcs)},{sname} to train them again")
            return self._unavailable("soup", label, why)
        self._make_and_evaluate("soup", label, mdir, cmd, config)

    def _unavailable(self, kind: str, label: str, why: str) -> None:
        self.steps.append(StepResult(kind, label, "unavailable", "", message=why))
        self.echo(f"[n/a]  {kind} {label}: {why}")

    def _make_and_evaluate(self, kind: str, label: str, mdir: Path, cmd: list[str], config: dict[str, Any]) -> None:
        """Run a blend or soup step (skipped by hash, or deleted once evaluated), then evaluate its model."""
        res = self._step(kind, label, mdir, config, lambda: self.invoker(cmd),
                         evaluated=lambda h: self._evaluated(label, mdir, h))
        if res.status != "failed":  # a planned one (dry run) still lists its evaluation
            self._evaluate(label, str(mdir), self._eval_out(label, mdir), {}, res.hash)

    def _soup_spec(self, mname: str, sname: str, srcs: list[str],
                   members: dict[tuple[str, int], str]) -> tuple[Path, list[str], dict[str, Any]]:
        """(model folder, ``codeswitch soup`` argv, config) of a soup of ``srcs`` over every seed of the recipe."""
        cells = [(src, seed) for src in srcs for seed in self.recipe.seeds]
        mdir = self.out / "models" / mname / sname / "once"
        cmd = ["soup"]
        for src, seed in cells:
            cmd += ["--model", str(self.out / "models" / mname / src / f"seed{seed}")]
        cmd += ["--out", str(mdir), "--overwrite"]
        return mdir, cmd, {"args": cmd[:-3] + cmd[-1:], "members": [members[cell] for cell in cells]}

    def _interpolate_and_eval(self, seed: int, mname: str, model: dict, sname: str, setting: dict) -> None:
        """WiSE-FT: blend the seed's model of ``setting['interpolate']`` with the base (``codeswitch interpolate``)."""
        label, src = f"{mname}/{sname}/seed{seed}", setting["interpolate"]
        trained = self.trained.get((mname, src, seed))
        if trained is None and not self.filter.keep(mname, src, seed):  # e.g. --settings of the blends alone
            trained = self._finished_training(seed, mname, model, src)
        if trained is None:
            why = f"{mname}/{src}/seed{seed} is not trained (run that setting first)"
            return self._unavailable("interpolate", label, why)
        mdir, cmd, config = self._blend_spec(seed, mname, model, sname, trained)
        if (mname, src, seed) in self.deleted and not self._done_or_evaluated(label, mdir, config):
            why = (f"{mname}/{src}/seed{seed} was deleted after its evaluation and this blend needs it: run "
                   f"--settings {src},{sname} to train it again")
            return self._unavailable("interpolate", label, why)
        self._make_and_evaluate("interpolate", label, mdir, cmd, config)

    def _blend_spec(self, seed: int, mname: str, model: dict, sname: str,
                    trained: str) -> tuple[Path, list[str], dict[str, Any]]:
        """(model folder, ``codeswitch interpolate`` argv, config) of a blend whose source has hash ``trained``."""
        setting = self.recipe.settings[sname]
        mdir = self.out / "models" / mname / sname / f"seed{seed}"
        cmd = ["interpolate", "--tuned", str(self.out / "models" / mname / setting["interpolate"] / f"seed{seed}"),
               "--base", model["path"], "--lam", str(float(setting["lam"])), "--out", str(mdir), "--overwrite"]
        return mdir, cmd, {"args": cmd[:-3] + cmd[-1:], "tuned": trained}

    def _done_or_evaluated(self, label: str, mdir: Path, config: dict[str, Any]) -> bool:
        """Whether a blend's or soup's model is there with today's hash, or its evaluation is finished."""
        h = config_hash(config)
        done = read_sidecar(mdir)
        return (done is not None and done.get("hash") == h) or self._evaluated(label, mdir, h)

    def _readers_finished(self, seed: int, mname: str, model: dict, sname: str, h: str) -> bool:
        """Whether every blend and soup of the recipe that reads the model of ``sname`` / ``seed`` (trained with
        hash ``h``) is evaluated or has its own model, whatever ``--settings`` selects: then that model
        is not needed again."""
        for dname, d in self.recipe.settings.items():
            if d.get("interpolate") == sname:
                mdir, _, config = self._blend_spec(seed, mname, model, dname, h)
                if not self._done_or_evaluated(f"{mname}/{dname}/seed{seed}", mdir, config):
                    return False
            srcs = soup_sources(d)
            if sname in srcs and seed in self.recipe.seeds:
                members = {(src, k): h if (src, k) == (sname, seed) else self.trained.get((mname, src, k))
                           or self._train_hash(k, mname, model, src) for src in srcs for k in self.recipe.seeds}
                if None in members.values():  # a member whose data this run does not build: keep the model
                    return False
                mdir, _, config = self._soup_spec(mname, dname, srcs, members)
                if not self._done_or_evaluated(f"{mname}/{dname}", mdir, config):
                    return False
        return True

    def _train_step(self, seed: int, mname: str, model: dict, sname: str) -> tuple[Path, list[str], dict[str, Any]]:
        """(model folder, ``codeswitch train`` argv, config whose hash identifies the step) of one cell."""
        setting = self.recipe.settings[sname]
        mdir = self.out / "models" / mname / sname / f"seed{seed}"
        opts = dict(self.recipe.train) | dict(model.get("train", {})) | {
            k: v for k, v in setting.items() if k not in SETTING_KEYS}
        opts |= {k: v for k, v in _prefixes(model).items() if v is not None}
        cmd = ["train", "--data", str(self.data_out[setting["data"]]), "--model", model["path"], *as_options(opts),
               "--seed", str(seed), "--out", str(mdir), "--overwrite"]
        return mdir, cmd, {"args": cmd[:-3] + cmd[-1:], "data": self.data_hash.get(setting["data"], "")}

    def _train_hash(self, seed: int, mname: str, model: dict, sname: str) -> str | None:
        """The config hash the cell would train with today; None if this run does not build its data."""
        if self.recipe.settings[sname].get("data") not in self.data_out:
            return None
        return config_hash(self._train_step(seed, mname, model, sname)[2])

    def _finished_training(self, seed: int, mname: str, model: dict, sname: str) -> str | None:
        """The hash of a cell left out of this run (``--settings``) if its training is finished with today's config."""
        if self.recipe.settings[sname].get("data") in self.unavailable:
            return None
        mdir, _, config = self._train_step(seed, mname, model, sname)
        h = config_hash(config)
        done = read_sidecar(mdir, need_output=False)
        if done is None or done.get("hash") != h:
            return None
        if not self.report_only and not mdir.exists():
            self.deleted.add((mname, sname, seed))  # a blend or soup that needs it says so
        return h

    def _train_and_eval(self, seed: int, mname: str, model: dict, sname: str, setting: dict) -> None:
        label = f"{mname}/{sname}/seed{seed}"
        data = setting["data"]
        if data in self.unavailable:
            self.steps.append(StepResult("train", label, "unavailable", "", message=self.unavailable[data]))
            return
        mdir, cmd, config = self._train_step(seed, mname, model, sname)
        res = self._step("train", label, mdir, config, lambda: self.invoker(cmd),
                         evaluated=lambda h: (self._evaluated(label, mdir, h)
                                              and self._readers_finished(seed, mname, model, sname, h)))
        if res.status == "failed":
            return
        if res.status == "skipped" and not self.report_only and not mdir.exists():
            self.deleted.add((mname, sname, seed))
        self.trained[(mname, sname, seed)] = res.hash  # planned too: a dry run lists the blends and evaluations
        self._evaluate(label, str(mdir), self.out / self.recipe.eval_dir / mname / sname / f"seed{seed}", {}, res.hash)

    # ------------------------------------------------------------------ all
    def needed_data(self) -> set[str]:
        """Data entries used by the selected settings, with everything they read."""
        kept = [s for n, s in self.recipe.settings.items() if self.filter.keep(setting=n)]
        sources = [self.recipe.settings[src] for s in kept  # a blend's or soup's trained cells
                   for src in ([s["interpolate"]] if "interpolate" in s else soup_sources(s))]
        wanted = {s["data"] for s in kept + sources if s.get("data")}
        closure: set[str] = set()
        stack = list(wanted)
        while stack:
            name = stack.pop()
            if name in closure:
                continue
            closure.add(name)
            stack.extend(_DATA_REF.findall(json.dumps(self.recipe.data[name])))
        return closure

    def _check_same_device(self) -> None:
        """Refuse to run into an OUT whose cells were run on another device (they share its paths)."""
        prev_file = self.out / "recipe.json"
        try:
            prev = json.loads(prev_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return
        before, now = _devices(prev), _devices(asdict(self.recipe))
        if before != now:
            raise ConfigError(
                f"{self.out} holds cells run with train/eval device {before[0]}/{before[1]}, this run uses "
                f"{now[0]}/{now[1]}: a cell of one setting and seed has one path in OUT, so this run would "
                f"replace them; give another --out, or --device {before[0]} to continue that run")

    def run(self) -> list[StepResult]:
        """Run every step (or plan them with ``dry_run``, which writes nothing); return the step results."""
        if not self.dry_run:
            self._check_same_device()
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "recipe.json").write_text(
                json.dumps(asdict(self.recipe), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        self.run_split()
        self.run_data(self.needed_data())
        self.run_grid()
        return self.steps


@contextlib.contextmanager
def step_lock(out: Path) -> Iterator[bool]:
    """Hold ``<output>.lock`` (an exclusive ``flock``) while a step writes ``out``; yields False if another
    process holds it (that step is being run by another ``recipe run`` on the same ``--out``).

    Disjoint slices (``--seeds``, ``--settings``) can so run side by side on one ``--out``, and two runs never
    build the same step at once. The lock goes with the process (a killed run frees it).
    """
    import fcntl

    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.with_name(out.name + ".lock")
    with open(path, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        fh.write(f"pid {os.getpid()}\n")
        fh.flush()
        try:
            yield True
        finally:
            path.unlink(missing_ok=True)  # removed while still held: no lock file is left beside the output


def _devices(recipe: dict[str, Any]) -> tuple[Any, Any]:
    return (recipe.get("train") or {}).get("device"), (recipe.get("eval") or {}).get("device")


def _split_need(need: str) -> tuple[str, str | None]:
    parts = need.split()
    opts = [p for p in parts if p.startswith("--")]
    return " ".join(p for p in parts if not p.startswith("--")), (opts[0] if opts else None)


def _prefixes(model: dict[str, Any]) -> dict[str, Any]:
    return {"query_prefix": model.get("query_prefix"), "passage_prefix": model.get("passage_prefix")}


@dataclass
class RunSummary:
    """Counts of step outcomes (for the command's last line)."""

    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, steps: list[StepResult]) -> RunSummary:
        """Count the steps by status."""
        counts: dict[str, int] = {}
        for s in steps:
            counts[s.status] = counts.get(s.status, 0) + 1
        return cls(counts)

    def line(self) -> str:
        """``3 ran, 5 skipped, 0 failed``-style text."""
        return ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items())) or "nothing to do"
