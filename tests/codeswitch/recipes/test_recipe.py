"""Recipe runner: parsing, skipping by config hash, reruns on change, aggregation (fake step commands).

The steps' commands are replaced by a fake invoker that writes what the real commands would
(a JSONL, a model dir, a metrics.json with known numbers), so hashing, skipping and the
aggregated table are checked exactly and fast; tests/test_recipe_e2e.py runs the real commands.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import yaml

from codeswitch.errors import ConfigError
from codeswitch.recipes.config import as_options, load_recipe
from codeswitch.recipes.report import aggregate, collect_rows, comparison_table, markdown_table, verdict, write_results
from codeswitch.recipes.runner import RecipeRunner, RunFilter, config_hash, sidecar

# mono mAP of a fake trained model: depends on setting and seed so mean/std are known
FAKE_MAP = {("english", "1"): 0.5, ("english", "2"): 0.7, ("hybrid", "1"): 0.6, ("hybrid", "2"): 0.6}


def _recipe(tmp_path: Path, shared_data: Path, **over) -> Path:
    doc = {
        "name": "tiny",
        "paths": {"data": str(shared_data)},
        "split": {"titles_from": "{data}/xquad/xquad.en.json", "held_out": 4, "seed": 0},
        "data": {
            "en": {"pairs": {"inputs": ["{data}/xquad/xquad.en.json"], "mode": "mono", "passage": "sentence"}},
            "cs": {"generate": ["{data:en}", "--lexicon", "de={data}/muse-full/en-de.txt"]},
            "future": {"needs": ["generate --no-such-option"], "generate": ["{data:en}"]},
        },
        "models": {"m": {"path": "some/model", "query_prefix": "query: "}},
        "train": {"batch_size": 4, "max_steps": 2},
        "settings": {"off-the-shelf": {}, "english": {"data": "en", "batching": "random"},
                     "hybrid": {"data": "cs", "batching": "hybrid", "alpha": 0.5}, "later": {"data": "future"}},
        "seeds": [1, 2],
        "baselines": ["bm25"],
        "eval": {"dataset": "xquad-r", "data_dir": "{data}", "langs": ["en", "de"], "titles": "heldout"},
    } | over
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


class FakeInvoker:
    """Stands in for ``codeswitch <cmd>``: records calls, writes plausible outputs."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, args: list[str]) -> None:
        self.calls.append(args)
        out = Path(args[args.index("--out") + 1])
        if out.is_dir():  # the real commands get --overwrite
            shutil.rmtree(out)
        if args[0] == "generate":
            src = Path(args[1])
            out.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
        elif args[0] == "train":
            out.mkdir(parents=True)
            (out / "args.json").write_text(json.dumps(args), encoding="utf-8")
        elif args[0] == "evaluate":
            name = args[args.index("--model-name") + 1]
            parts = name.split("/") + ["", ""]
            mono = FAKE_MAP.get((parts[1], parts[2].replace("seed", "")), 0.3)
            summary = {"mono": {"map": mono}, "cross": {"map": mono / 2}, "multi": {"map": 0.2, "rank_distance": 10.0}}
            out.mkdir(parents=True)
            (out / "metrics.json").write_text(json.dumps(
                {"datasets": {"xquad-r": {"summary": summary, "n_questions": 7, "n_candidates": 9}}}), encoding="utf-8")

    def commands(self, name: str) -> list[list[str]]:
        return [c for c in self.calls if c[0] == name]


def test_load_recipe_resolves_paths_and_options(tmp_path, shared_data):
    r = load_recipe(_recipe(tmp_path, shared_data))
    assert r.paths["data"] == str(shared_data)
    assert r.split["titles_from"] == f"{shared_data}/xquad/xquad.en.json"
    assert r.data["cs"]["generate"][0] == "{data:en}"  # data references stay for the runner
    assert as_options({"max_steps": 2, "cached": True, "fp16": False, "langs": ["en", "de"], "x": None}) == [
        "--cached", "--langs", "en", "--langs", "de", "--max-steps", "2"]


@pytest.mark.parametrize(("over", "match"), [
    ({"modelz": {}}, r"unknown top-level key 'modelz'; did you mean 'models'\?"),
    ({"train": {"batchng": "mono"}}, r"train: unknown train key 'batchng'"),
    ({"eval": {"dataset": "xquad-r", "depht": 10}}, r"eval: unknown eval key 'depht'; did you mean 'depth'\?"),
    ({"settings": {"e": {"data": "en", "batchng": "mono"}}}, r"settings.e: unknown setting key 'batchng'; did you "
                                                            r"mean 'batching'\?"),
    ({"settings": {"e": ["data", "en"]}}, r"settings.e must be a mapping, found a list"),
    ({"settings": {"e": {"data": ["en"]}}}, r"settings.e.data must name one data entry, found a list"),
    ({"seeds": [True]}, r"'seeds' must be a non-empty list of integers"),
    ({"seeds": [1, 1]}, r"'seeds' lists a seed twice"),
    ({"baselines": "bm25"}, r"'baselines' must be a list of model names"),
    ({"split": {"titles_from": "x", "held_out": -3}}, r"split.held_out must be a count of articles"),
    ({"data": {"en": {"generate": "{data:nope}"}}}, r"data.en.generate must be a list of arguments"),
    ({"settings": {"s": {"data": "nope"}}}, r"settings.s.data is 'nope', not a 'data' entry"),
    ({"models": {"m": {}}}, r"models.m needs a 'path'"),
    ({"seeds": []}, r"'seeds' must be a non-empty list of integers"),
    ({"eval": {}}, r"eval.dataset is required"),
    ({"compare": ["english vs nope"]}, r"compare entry 'english vs nope' must be 'SETTING vs SETTING'"),
    ({"split": {"titles_from": "{nowhere}/x.json"}}, r"unknown placeholder \{nowhere\}; define it under 'paths'"),
    ({"data": {"en": {"pairs": {"inputs": ["x"], "passage_langs": "en"}}}},
     r"data.en.pairs.passage_langs must be a list of language codes, e.g. \[en\], found 'en'"),
    ({"data": {"en": {"pairs": {"inputs": ["x"], "langs": [1]}}}}, r"data.en.pairs.langs must be a list of language"),
])
def test_bad_recipes(tmp_path, shared_data, over, match):
    with pytest.raises(ConfigError, match=match):
        load_recipe(_recipe(tmp_path, shared_data, **over))


def test_path_candidates_first_existing_else_last(tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("RECIPE_TEST_DIR", str(tmp_path))
    r = load_recipe(_recipe(tmp_path, shared_data, paths={
        "data": str(shared_data), "a": ["$RECIPE_TEST_UNSET", "$RECIPE_TEST_DIR", "hub/id"],
        "b": [str(tmp_path / "absent"), "hub/fallback"]}))
    assert r.paths["a"] == str(tmp_path)
    assert r.paths["b"] == "hub/fallback"


def test_run_skips_by_hash_and_reruns_what_changed(tmp_path, shared_data):
    out = tmp_path / "out"
    fake = FakeInvoker()
    steps = RecipeRunner(load_recipe(_recipe(tmp_path, shared_data)), out, echo=lambda s: None, invoker=fake).run()
    status = {(s.kind, s.name): s.status for s in steps}
    assert status[("split", "by-title")] == "ran"
    assert status[("data", "future")] == "unavailable"
    assert status[("train", "m/later/seed1")] == "unavailable"
    assert len(fake.commands("train")) == 4 and len(fake.commands("evaluate")) == 6  # 4 trained + 1 shelf + bm25
    held = (out / "split" / "heldout_titles.txt").read_text(encoding="utf-8").split("\n")[:-1]
    train_titles = set((out / "split" / "train_titles.txt").read_text(encoding="utf-8").split("\n")[:-1])
    assert len(held) == 4 and len(train_titles) == 44 and not set(held) & train_titles
    # English pairs hold only training articles, one per question of those articles
    records = [json.loads(x) for x in (out / "data" / "en.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["meta"]["title"] for r in records} == train_titles
    # every evaluation is restricted to the held-out titles; e5-style prefixes reach train and eval
    for call in fake.commands("evaluate"):
        assert call[call.index("--titles") + 1] == str(out / "split" / "heldout_titles.txt")
    train1 = fake.commands("train")[0]
    assert train1[train1.index("--query-prefix") + 1] == "query: " and train1[train1.index("--seed") + 1] == "1"
    side = json.loads(sidecar(out / "models" / "m" / "english" / "seed1").read_text(encoding="utf-8"))
    assert side["hash"] == config_hash(side["config"])

    # same recipe again: everything is skipped, nothing invoked
    fake2 = FakeInvoker()
    steps2 = RecipeRunner(load_recipe(_recipe(tmp_path, shared_data)), out, echo=lambda s: None, invoker=fake2).run()
    assert fake2.calls == []
    assert {s.status for s in steps2 if s.status != "unavailable"} == {"skipped"}

    # change one setting's training option: only its trains and evals rerun
    changed = _recipe(tmp_path, shared_data, settings={
        "off-the-shelf": {}, "english": {"data": "en", "batching": "random"},
        "hybrid": {"data": "cs", "batching": "hybrid", "alpha": 0.7}, "later": {"data": "future"}})
    fake3 = FakeInvoker()
    RecipeRunner(load_recipe(changed), out, echo=lambda s: None, invoker=fake3).run()
    trained = [c[c.index("--out") + 1] for c in fake3.commands("train")]
    assert trained == [str(out / "models" / "m" / "hybrid" / f"seed{k}") for k in (1, 2)]
    assert [c[c.index("--model-name") + 1] for c in fake3.commands("evaluate")] == ["m/hybrid/seed1", "m/hybrid/seed2"]

    # a changed lexicon (data step) reruns the data and everything trained on it
    fake4 = FakeInvoker()
    lex = changed  # keeps alpha 0.7
    doc = yaml.safe_load(lex.read_text(encoding="utf-8"))
    doc["data"]["cs"]["generate"] += ["--ratio", "0.3"]
    lex.write_text(yaml.safe_dump(doc), encoding="utf-8")
    RecipeRunner(load_recipe(lex), out, echo=lambda s: None, invoker=fake4).run()
    assert [c[0] for c in fake4.calls] == ["generate", "train", "evaluate", "train", "evaluate"]


def test_verdict_rule():
    a = {"n": 3, "map": 0.70, "map_std": 0.01, "rank_distance": 20.0, "rank_distance_std": 1.0}
    b = {"n": 3, "map": 0.65, "map_std": 0.02, "rank_distance": 30.0, "rank_distance_std": 2.0}
    assert verdict(a, b, "map", lower_better=False) == "+0.050 better"
    assert verdict(b, a, "map", lower_better=False) == "-0.050 worse"
    assert verdict(a, b, "rank_distance", lower_better=True) == "-10.0 better"
    assert verdict(a, b | {"map": 0.68}, "map", lower_better=False) == "+0.020 ≈"  # within 0.01 + 0.02
    assert verdict(a | {"n": 1}, b, "map", lower_better=False) == "+0.050 (n<2)"
    shelf = {"n": 1, "map": 0.695, "map_std": float("nan"), "deterministic": True}
    assert verdict(a, shelf, "map", lower_better=False) == "+0.005 ≈"


def test_planned_cells_are_listed_not_filled(tmp_path, shared_data):
    runner = RecipeRunner(load_recipe(_recipe(tmp_path, shared_data)), tmp_path / "out", dry_run=True,
                          echo=lambda s: None, invoker=FakeInvoker())
    aggs = {(a["model"], a["setting"]): a for a in aggregate(collect_rows(runner.run(), ["xquad-r"]))}
    assert aggs[("m", "english")]["n"] == 0
    assert aggs[("m", "english")]["not_run"] == ["planned: not run yet: rerun the recipe command"]


def test_filters_and_dry_run(tmp_path, shared_data):
    fake = FakeInvoker()
    runner = RecipeRunner(load_recipe(_recipe(tmp_path, shared_data)), tmp_path / "out",
                          RunFilter(models=("m",), settings=("english",), seeds=(2,)), dry_run=True,
                          echo=lambda s: None, invoker=fake)
    steps = runner.run()
    assert fake.calls == []
    assert [s.name for s in steps if s.kind == "train"] == ["m/english/seed2"]
    assert not (tmp_path / "out").exists()  # issue 12: a dry run writes nothing, not even recipe.json


def test_aggregated_table_mean_std(tmp_path, shared_data):
    out = tmp_path / "out"
    steps = RecipeRunner(load_recipe(_recipe(tmp_path, shared_data)), out, echo=lambda s: None,
                         invoker=FakeInvoker()).run()
    rows = collect_rows(steps, ["xquad-r"])
    aggs = {(a["model"], a["setting"]): a for a in aggregate(rows)}
    eng = aggs[("m", "english")]
    assert eng["n"] == 2 and eng["mono_map"] == pytest.approx(0.6)
    assert eng["mono_map_std"] == pytest.approx(math.sqrt(0.02))  # sample std of 0.5, 0.7
    assert aggs[("m", "hybrid")]["mono_map_std"] == pytest.approx(0.0)
    assert aggs[("bm25", "baseline")]["n"] == 1 and math.isnan(aggs[("bm25", "baseline")]["mono_map_std"])
    assert aggs[("m", "later")]["n"] == 0
    table = markdown_table(list(aggs.values()), "HEADER")
    assert "| m | english | 2 | 0.600 ± 0.141 | 0.300 ± 0.071 | 0.200 ± 0.000 | 10.0 ± 0.0 |" in table
    assert "| m | off-the-shelf | 1 | 0.300 | 0.150 | 0.200 | 10.0 | – |" in table
    assert "| m | later | 0 | not run: unavailable: needs `codeswitch generate --no-such-option`" in table
    diff = comparison_table(list(aggs.values()), (("hybrid", "english"), ("english", "off-the-shelf")))
    # hybrid 0.6 ± 0 vs english 0.6 ± 0.141 -> no difference; english vs shelf has n<2 on one side
    assert "| m | hybrid vs english | 2 / 2 | +0.000 ≈ | +0.000 ≈ | +0.000 ≈ | +0.0 ≈ |" in diff
    # off the shelf is deterministic (std 0): english 0.6 ± 0.141 vs 0.3 -> better
    assert "| m | english vs off-the-shelf | 2 / 1 | +0.300 better |" in diff
    write_results(rows, out / "results", "HEADER", "tiny", (("hybrid", "english"),))
    assert {p.name for p in (out / "results").iterdir()} == {"runs.csv", "results.json", "table.md", "xquad-r.png"}
    assert (out / "results" / "runs.csv").read_text(encoding="utf-8").count("\n") == len(rows) + 1


@pytest.mark.parametrize("name", ["xquad-small-cpu", "paper-miracl", "paper-lareqa", "african-zeroshot-cpu"])
def test_shipped_recipes_parse_and_plan(name, tmp_path, shared_data, monkeypatch):
    monkeypatch.setenv("CODESWITCH_DATA", str(shared_data))
    recipe = load_recipe(Path(__file__).resolve().parents[3] / "recipes" / f"{name}.yaml")
    assert len(recipe.seeds) >= 3 and recipe.baselines == ("bm25",)
    steps = RecipeRunner(recipe, tmp_path / "out", dry_run=True, echo=lambda s: None, invoker=FakeInvoker()).run()
    trained = [s for s in steps if s.kind == "train"]
    n_trained_settings = sum(1 for s in recipe.settings.values() if s.get("data"))
    assert len(trained) == len(recipe.models) * n_trained_settings * len(recipe.seeds)
    assert {s.status for s in trained} <= {"planned", "unavailable"}


def test_cli_dry_run_writes_nothing(tmp_path, shared_data):
    from click.testing import CliRunner

    from codeswitch.cli import main

    recipe = _recipe(tmp_path, shared_data)
    before = sorted(p.name for p in tmp_path.iterdir())
    r = CliRunner().invoke(main, ["recipe", "run", str(recipe), "--out", str(tmp_path / "out"), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert "[plan]" in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # issue 12: no OUT/recipe.json, no results


@pytest.mark.parametrize("opts", [["--settings", "english,hybrid"], ["--settings", "english", "--settings", "hybrid"]])
def test_cli_repeated_or_comma_separated_filters_plan_the_same_cells(tmp_path, shared_data, opts):
    """A repeated --settings adds to the filter; it once silently kept the last value only."""
    from click.testing import CliRunner

    from codeswitch.cli import main

    recipe = _recipe(tmp_path, shared_data)
    r = CliRunner().invoke(main, ["recipe", "run", str(recipe), "--out", str(tmp_path / "out"), "--dry-run",
                                  *opts, "--seeds", "1", "--seeds", "2"])
    assert r.exit_code == 0, r.output
    trained = sorted(line.split()[2] for line in r.output.splitlines() if line.startswith("[plan] train"))
    assert trained == ["m/english/seed1", "m/english/seed2", "m/hybrid/seed1", "m/hybrid/seed2"]


def test_xquad_small_cpu_evaluates_at_the_models_length(tmp_path, shared_data, monkeypatch):
    # issue 11 defect 6: eval.max_length 64 truncated 10-18 % of the held-out candidates
    monkeypatch.setenv("CODESWITCH_DATA", str(shared_data))
    recipe = load_recipe(Path(__file__).resolve().parents[3] / "recipes" / "xquad-small-cpu.yaml")
    assert "max_length" not in recipe.eval
    assert recipe.train["max_passage_length"] == 64  # training length is a separate setting
    runner = RecipeRunner(recipe, tmp_path / "out", dry_run=True, echo=lambda s: None, invoker=FakeInvoker())
    runner.run()
    args, _ = runner._eval_args()
    assert "--max-length" not in args and "--titles" in args


def test_report_keeps_cells_whose_models_were_deleted(tmp_path, shared_data):
    """Trained models are large: once evaluated they may be deleted, and the report still shows the cells.

    A report reads the step records. A run (or a dry run) treats a deleted model as finished only while its
    evaluation is finished and no blend or soup still needs it (tests/codeswitch/recipes/test_deleted_models.py).
    """
    out = tmp_path / "out"
    RecipeRunner(load_recipe(_recipe(tmp_path, shared_data)), out, echo=lambda s: None, invoker=FakeInvoker()).run()
    for model in (out / "models").glob("*/*/seed*"):
        if model.is_dir():
            shutil.rmtree(model)  # the <model>.step.json records stay
    report = RecipeRunner(load_recipe(_recipe(tmp_path, shared_data)), out, echo=lambda s: None,
                          invoker=FakeInvoker(), report_only=True).run()
    aggs = {(a["model"], a["setting"]): a for a in aggregate(collect_rows(report, ["xquad-r"]))}
    assert aggs[("m", "english")]["n"] == 2 and aggs[("m", "english")]["mono_map"] == pytest.approx(0.6)
    planned = RecipeRunner(load_recipe(_recipe(tmp_path, shared_data)), out, dry_run=True, echo=lambda s: None,
                           invoker=FakeInvoker()).run()
    assert {s.status for s in planned if s.kind == "train" and s.status != "unavailable"} == {"skipped"}
    assert not [s for s in planned if s.status == "planned"]


def test_device_override_enters_every_hash(tmp_path, shared_data):
    """`recipe run --device cuda` plans every train/eval again: a GPU cell never passes for a CPU one."""
    from click.testing import CliRunner

    from codeswitch.cli import main

    recipe, out = _recipe(tmp_path, shared_data), tmp_path / "out"
    RecipeRunner(load_recipe(recipe), out, echo=lambda s: None, invoker=FakeInvoker()).run()
    same = CliRunner().invoke(main, ["recipe", "run", str(recipe), "--out", str(out), "--dry-run"])
    assert same.exit_code == 0, same.output
    assert "[plan] train" not in same.output and "[skip] train m/english/seed1" in same.output
    gpu = CliRunner().invoke(main, ["recipe", "run", str(recipe), "--out", str(out), "--dry-run", "--device", "cuda"])
    assert gpu.exit_code == 0, gpu.output
    assert "[plan] train m/english/seed1" in gpu.output and "[plan] eval bm25" in gpu.output
    assert "[skip] data en" in gpu.output  # data does not depend on the device
    report = CliRunner().invoke(main, ["recipe", "report", str(recipe), "--out", str(out), "--device", "cuda",
                                       "--results", str(tmp_path / "r")])
    assert report.exit_code == 0 and "10 planned" in report.output  # nothing of the CPU run passes for cuda
    # (2 baseline / off-the-shelf evals + 4 trainings and their 4 evals)
    assert not (tmp_path / "r").exists()
    # running on cuda into the CPU run's OUT would replace its cells (same paths): refused, one line
    real = CliRunner().invoke(main, ["recipe", "run", str(recipe), "--out", str(out), "--device", "cuda"])
    assert real.exit_code != 0 and "give another --out" in real.output and "Traceback" not in real.output
    assert sorted(p.name for p in (out / "models" / "m" / "english").iterdir()) == [
        "seed1", "seed1.step.json", "seed2", "seed2.step.json"]


def test_ctrl_c_inside_a_stage_stops_the_run_instead_of_failing_one_cell(tmp_path, shared_data, monkeypatch):
    """click (standalone_mode=False) turns Ctrl-C into click.Abort; the run must stop, not go on to the next cell."""
    import click

    from codeswitch.recipes import runner

    @click.command(context_settings={"ignore_unknown_options": True})
    @click.argument("rest", nargs=-1, type=click.UNPROCESSED)
    def interrupted(rest):
        raise KeyboardInterrupt  # what the user's Ctrl-C (or SIGTERM, through the CLI) raises mid-stage

    class Every(click.Group):
        def get_command(self, ctx, name):
            return interrupted

    recipe = load_recipe(_recipe(tmp_path, shared_data))  # the schema reads the real commands
    monkeypatch.setattr("codeswitch.recipes.stages.stage_group", lambda: Every())
    with pytest.raises(KeyboardInterrupt):
        runner.invoke(["evaluate", "--model", "bm25"])
    echoed: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        RecipeRunner(recipe, tmp_path / "out", echo=echoed.append, invoker=runner.invoke).run()
    assert not any(line.startswith("[fail]") for line in echoed), echoed
    # split and pairs are built in-process; the first stage command (generate) is interrupted, nothing after it runs
    assert echoed[-1].startswith("[run]  data cs") and not any(" train " in line or " eval " in line for line in echoed)
