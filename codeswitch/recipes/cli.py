"""``codeswitch recipe``: run a comparison recipe (generate -> train -> evaluate -> table) from one YAML."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from codeswitch.errors import ConfigError


def _csv(value: str | tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``a,b`` and repeated options (``--settings a --settings b``) alike -> ``("a", "b")``."""
    if isinstance(value, tuple):
        value = " ".join(value)
    return tuple(v for v in value.replace(",", " ").split()) if value else None


def _seeds(value: str | tuple[str, ...] | None) -> tuple[int, ...] | None:
    items = _csv(value)
    if items is None:
        return None
    try:
        return tuple(int(v) for v in items)
    except ValueError:
        raise ConfigError(f"--seeds takes integers separated by commas, found {','.join(items)!r}") from None


@click.group("recipe")
def recipe_group() -> None:
    """Reproducible comparison recipes: generate -> train -> evaluate -> aggregate, from one YAML file.

    \b
    codeswitch recipe run recipes/xquad-small-cpu.yaml --out runs/xquad-small-cpu
    codeswitch recipe run recipes/xquad-small-cpu.yaml --out runs/xquad-small-cpu --dry-run
    """


_RUN_HELP = {
    "out": "Working folder: split, data, models, eval results (large; keep it out of git, e.g. runs/NAME). "
           "Required except with --dry-run.",
    "device": "Train and evaluate on this device instead of the recipe's train.device / eval.device. It enters "
              "every step's config hash, so cells run on another device are run again, never mixed with the "
              "recipe's.",
}
_REPORT_HELP = {
    "out": "The working folder that `recipe run` filled (its --out). Required.",
    "device": "The --device the run was given, if any: it is part of every step's config hash, so the report "
              "reads the cells run on that device (and lists the others as not run).",
}


def _options(helps: dict):
    """The options `recipe run` and `recipe report` share; ``helps`` words --out and --device for the command."""
    def decorate(f):
        for option in reversed([
            click.argument("recipe_file", type=click.Path(path_type=Path, exists=True, dir_okay=False)),
            click.option("--out", type=click.Path(path_type=Path), default=None, help=helps["out"]),
            click.option("--results", type=click.Path(path_type=Path), default=None,
                         help="Where runs.csv, results.json, table.md, a PNG per dataset and (with a recipe "
                              "'significance:' section) per_language.md / .png go (default: OUT/results)."),
            click.option("--models", multiple=True,
                         help="Only these recipe models (comma-separated; or repeat the option)."),
            click.option("--settings", multiple=True,
                         help="Only these settings (comma-separated; or repeat the option)."),
            click.option("--seeds", multiple=True,
                         help="Only these seeds (comma-separated integers; or repeat the option)."),
            click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help=helps["device"]),
        ]):
            f = option(f)
        return f
    return decorate


def _execute(recipe_file: Path, out: Path, results: Path | None, models, settings, seeds, dry_run: bool,
             write_results_too: bool = True, device: str | None = None, report_only: bool = False) -> None:
    from codeswitch.recipes.config import load_recipe
    from codeswitch.recipes.report import collect_rows, write_results
    from codeswitch.recipes.runner import RecipeRunner, RunFilter, RunSummary

    if out is None and not dry_run:  # the usage error first, before the recipe file is read
        raise click.UsageError("--out is required (the working folder); only --dry-run runs without one")
    recipe = load_recipe(recipe_file)
    if out is None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:  # nothing is written; every step shows as planned
            return _execute(recipe_file, Path(tmp) / "out", results, models, settings, seeds, dry_run,
                            write_results_too, device, report_only)
    if dry_run:
        _show_paths(recipe)
    if device:
        recipe.train["device"] = device
        recipe.eval["device"] = device
    flt = RunFilter(_csv(models), _csv(settings), _seeds(seeds))
    for kind, chosen, known in (("model", flt.models, recipe.models), ("setting", flt.settings, recipe.settings)):
        for name in chosen or ():
            if name not in known:
                raise ConfigError(f"--{kind}s: {name!r} is not in {recipe_file} (known: {', '.join(known)})")
    for seed in flt.seeds or ():
        if seed not in recipe.seeds:
            raise ConfigError(f"--seeds: {seed} is not among the seeds of {recipe_file} "
                              f"({', '.join(map(str, recipe.seeds))}); add it to the recipe's 'seeds' list to run it")
    reference = recipe.significance.get("reference", "off-the-shelf") if recipe.significance else None
    if flt.settings is not None and reference in recipe.settings and reference not in flt.settings:
        # without it the per-language tables have no row to test against and no gap to close
        flt = RunFilter(flt.models, (*flt.settings, reference), flt.seeds)
        click.echo(f"note: --settings: added {reference!r}, the setting every per-language comparison is made "
                   "against (significance.reference)", err=True)
    runner = RecipeRunner(recipe, out, flt, dry_run=dry_run, echo=click.echo, report_only=report_only)
    steps = runner.run()
    ds = recipe.eval["dataset"]
    datasets = list(ds) if isinstance(ds, list) else [ds]
    rows = collect_rows(steps, datasets)
    res_dir = results or out / "results"
    header = _header(recipe, rows, datasets)
    if write_results_too and rows and any(r["status"] in ("ran", "skipped") for r in rows):
        write_results(rows, res_dir, header, recipe.name, recipe.compare)
        # provenance: the resolved recipe these results were read with (--device applied; not OUT's copy,
        # which is whatever ran last) and every step's status, config hash and wall time
        if recipe.significance:
            from codeswitch.recipes import per_language

            sig = recipe.significance
            result = per_language.per_language(steps, datasets, sig.get("reference", "off-the-shelf"),
                                               sig.get("upper_bounds"), int(sig.get("resamples", 10_000)),
                                               int(sig.get("seed", 0)))
            per_language.write(result, res_dir)
            if warning := per_language.too_few_resamples(result, str(recipe_file)):
                click.echo(f"note: {warning}", err=True)
        (res_dir / "recipe.json").write_text(json.dumps(asdict(recipe), indent=1, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
        (res_dir / "steps.json").write_text(json.dumps([asdict(s) for s in steps], indent=1) + "\n",
                                            encoding="utf-8")
        click.echo((res_dir / "table.md").read_text(encoding="utf-8"))
        click.echo(f"results written to {res_dir}")
    summary = RunSummary.of(steps)
    click.echo(f"steps: {summary.line()}")
    _note_other_records(steps)
    if summary.counts.get("failed"):
        raise click.ClickException(f"{summary.counts['failed']} step(s) failed; see the [fail] lines above")


def _note_other_records(steps: list) -> None:
    """Say so when planned steps have a record from another configuration (a dry run or report only).

    Config hashes include the resolved paths, so the same recipe read with another ``$CODESWITCH_DATA``
    spelling, model path or ``--device`` finds none of a finished grid: without this line the report
    silently lists every cell as not run.
    """
    from codeswitch.recipes.runner import read_sidecar

    other = [s for s in steps if s.status == "planned" and s.out
             and (read_sidecar(Path(s.out), need_output=False) or {}).get("hash", s.hash) != s.hash]
    if other:
        click.echo(f"note: {len(other)} planned step(s) have a finished record of another configuration in their "
                   f"folder (first: {other[0].kind} {other[0].name}); the recipe now resolves other paths or "
                   "options than that run did: compare the [path] lines of --dry-run and OUT/recipe.json "
                   "($CODESWITCH_DATA, E5_PATH, --device)")


def _looks_local(value: str) -> bool:
    return value.startswith((".", "/", "~")) or value.count("/") != 1


def _show_paths(recipe) -> None:
    """Print every resolved path and model; a local path that does not exist is an error, before any step."""
    for key, value in recipe.paths.items():
        exists = Path(value).expanduser().exists()
        state = "ok" if exists else ("not on disk: a hub id, or a folder a step creates" if not _looks_local(value)
                                     else "MISSING")
        click.echo(f"[path] {key} = {value} ({state})")
        if state == "MISSING":
            names = recipe.path_variables.get(key, ())
            fixes = [f"set {' or '.join(names)}"] if names else []
            if not Path(value).expanduser().is_absolute():
                fixes.append(f"run from the folder it is relative to (here {Path.cwd()})")
            fixes.append(f"add a candidate under paths.{key}")
            raise ConfigError(f"{recipe.path}: paths.{key} resolved to {value}, which does not exist; "
                              + ", ".join(fixes[:-1]) + (" or " if len(fixes) > 1 else "") + fixes[-1])
    for name, model in recipe.models.items():
        click.echo(f"[model] {name} = {model['path']}")


def _header(recipe, rows, datasets) -> str:
    ev = recipe.eval
    first = next((r for r in rows if r.get("n_questions")), {})
    langs = ev.get("langs") or "all"
    langs = " ".join(langs) if isinstance(langs, list) else langs
    held = recipe.split.get("held_out")
    parts = [f"**{recipe.name}** — {', '.join(datasets)}, languages {langs}"]
    if held is not None:
        parts.append(f"{held} held-out articles (split seed {recipe.split.get('seed', 0)}), "
                     f"{first.get('n_questions', '?')} questions, {first.get('n_candidates', '?')} candidates")
    parts.append(f"seeds {', '.join(map(str, recipe.seeds))}; mean ± std over seeds (sample std)")
    parts.append(f"device: train {recipe.train.get('device', 'auto')}, evaluate {ev.get('device') or 'auto'}")
    if recipe.sizes:
        parts.append(recipe.sizes.strip())
    return "; ".join(parts) + "."


@recipe_group.command("run")
@_options(_RUN_HELP)
@click.option("--dry-run", is_flag=True, help="Only list the steps (run / skip by hash); write nothing new.")
def run_cmd(recipe_file, out, results, models, settings, seeds, device, dry_run) -> None:
    """Run RECIPE_FILE into OUT; steps whose output exists with the same config hash are skipped.

    Rerunning the same command resumes an interrupted grid. Each step's hash sits beside its
    output in <output>.step.json; change an option in the YAML and that step and everything
    downstream of it run again. A model deleted after its evaluation (its record kept) is not
    trained again unless a blend or soup still to run reads it.
    """
    _execute(recipe_file, out, results, models, settings, seeds, dry_run, write_results_too=not dry_run,
             device=device)


@recipe_group.command("report")
@_options(_REPORT_HELP)
def report_cmd(recipe_file, out, results, models, settings, seeds, device) -> None:
    """Rebuild the results table and plots from the finished steps in OUT (runs nothing).

    Finished steps count by their records (<output>.step.json) even where the output itself was
    removed since, so trained models can be deleted to free disk once they are evaluated. Give the
    same --device as the run: it is part of every step's config hash.
    """
    if out is None:
        raise click.UsageError("recipe report needs --out: the working folder that `recipe run` filled")
    if not out.is_dir():
        raise click.UsageError(f"--out {out} is not a folder that `recipe run` filled; give the run's --out")
    _execute(recipe_file, out, results, models, settings, seeds, dry_run=True, device=device, report_only=True)


@recipe_group.command("copy-cells")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("destination", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True,
              help="Where DESTINATION holds another run of a step (a record of another config hash, or an output "
                   "no record vouches for), remove that step's record and whole output there (model, TREC runs) "
                   "and copy SOURCE's; without it such a conflict copies nothing.")
def copy_cells_cmd(source: Path, destination: Path, replace: bool) -> None:
    """Copy the finished cells of SOURCE to DESTINATION: step records, metrics, per-query scores; no models.

    \b
    Keep a grid's finished cells in git as it advances, and put them back in a new working folder:
      codeswitch recipe copy-cells runs/NAME benchmarks/results/NAME/cells
      codeswitch recipe copy-cells benchmarks/results/NAME/cells runs/NAME
      codeswitch recipe report RECIPE --out runs/NAME --results benchmarks/results/NAME

    A few hundred kB a cell (models and TREC runs stay behind). Cells copied back count as finished under
    the same --out and data path spelling as the run that made them (both enter the config hashes);
    `recipe report` then rebuilds every table and significance test from them.
    """
    from codeswitch.recipes.cells import copy_cells

    summary = copy_cells(source, destination, replace=replace)
    click.echo(f"{destination}: {summary.line()}")
