"""recipes/lowres-zeroshot-cpu.yaml: zero-shot by construction, the issue's settings and budget, resumable plan."""

from __future__ import annotations

import json
from pathlib import Path

from codeswitch.recipes.config import as_options, load_recipe
from codeswitch.recipes.runner import RecipeRunner
from tests.codeswitch.recipes.test_recipe import FakeInvoker

RECIPE = Path(__file__).resolve().parents[3] / "recipes" / "lowres-zeroshot-cpu.yaml"
LOWRES = ("sw", "yo", "te", "bn", "hi", "th")


def test_lowres_recipe_is_zero_shot_with_the_issue_grid(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("CODESWITCH_DATA", str(shared_data))
    recipe = load_recipe(RECIPE)
    # evaluation: TyDi sw te bn (+ en ar fi), never XQuAD-R (it is the training data's questions and passages)
    assert recipe.eval["dataset"] == ["tydi/sw", "tydi/te", "tydi/bn", "tydi/en", "tydi/ar", "tydi/fi"]
    # training data: XQuAD and the Wiktionary lexicons only; nothing from TyDi / Mr.TyDi / MIRACL
    data_text = json.dumps(recipe.data).lower()
    assert not any(word in data_text for word in ("tydi", "miracl", "lareqa", "xquad-r"))
    xquad = [p for e in recipe.data.values() if "pairs" in e for p in e["pairs"]["inputs"]]
    assert len({Path(p).name for p in xquad}) == 12  # all 12 XQuAD languages (all 48 articles: no split)
    assert not recipe.split
    ml = recipe.data["cs-multi"]["generate"]
    assert sorted(v.split("=")[0] for v in ml if "=" in v) == sorted(LOWRES)
    assert [v.split("=")[0] for v in recipe.data["cs-sw"]["generate"] if "=" in v] == ["sw"]
    # settings and budget: >= 4,800 pairs seen per cell, >= 3 seeds, hybrid alpha 0.5, e5 prefixes
    settings = recipe.settings
    assert {"off-the-shelf", "english", "cs-multilingual", "cs-bilingual-sw", "parallel-random", "parallel-mono",
            "parallel-cross", "parallel-hybrid", "hybrid-cs"} <= set(settings)
    assert [settings[s]["batching"] for s in ("parallel-random", "parallel-mono", "parallel-cross")] == [
        "random", "mono", "cross"]
    assert settings["parallel-hybrid"]["alpha"] == settings["hybrid-cs"]["alpha"] == 0.5
    assert recipe.train["max_steps"] * recipe.train["batch_size"] >= 4800 and len(recipe.seeds) >= 3
    assert recipe.models["e5"]["query_prefix"] == "query: " and recipe.models["e5"]["passage_prefix"] == "passage: "
    assert recipe.baselines == ("bm25",)
    # the plan: baselines and off the shelf once, then every (seed, setting) cell as its own resumable step
    steps = RecipeRunner(recipe, tmp_path / "out", dry_run=True, echo=lambda s: None, invoker=FakeInvoker()).run()
    trained = [s for s in steps if s.kind == "train"]
    cells = [s for s in settings if s != "off-the-shelf"]
    assert len(cells) == 12 and len(trained) == len(cells) * len(recipe.seeds)
    assert {s.status for s in trained} == {"planned"}
    assert [s.name for s in trained[:12]] == [f"e5/{s}/seed1" for s in cells]
    # the forgetting cells differ from their unfrozen twins only by --freeze-embeddings / --freeze-layers
    for twin in ("english", "hybrid-cs"):
        assert settings[f"{twin}-frozen"] == settings[twin] | {"freeze_embeddings": True}
        assert settings[f"{twin}-frozen-layers"] == settings[twin] | {"freeze_layers": 9}
    from training.cli import train as train_command

    flags = {flag for param in train_command.params for flag in param.opts}
    assert {"--freeze-embeddings", "--freeze-layers"} <= flags  # the setting keys are real train options
    opts = as_options(recipe.eval)
    assert [opts[i + 1] for i, o in enumerate(opts) if o == "--dataset"] == recipe.eval["dataset"]
