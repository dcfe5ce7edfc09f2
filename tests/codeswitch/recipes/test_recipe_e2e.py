"""``codeswitch recipe run`` end to end with the real commands: tiny XLM-R, real XQuAD slice, 2 seeds."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from codeswitch.cli import main


def test_recipe_run_end_to_end_then_skip(tmp_path, shared_data, tiny_xlmr):
    recipe = {
        "name": "tiny-e2e",
        "sizes": "train: 2 steps x 4 pairs",
        "paths": {"data": str(shared_data), "tiny": str(tiny_xlmr)},
        "split": {"titles_from": "{data}/xquad/xquad.en.json", "held_out": 2, "seed": 0},
        "data": {
            "en": {"pairs": {"inputs": ["{data}/xquad/xquad.en.json"], "mode": "mono", "passage": "sentence"}},
            "parallel": {"pairs": {"inputs": ["{data}/xquad/xquad.en.json", "{data}/xquad/xquad.de.json"],
                                   "mode": "all", "passage": "sentence"}},
        },
        "models": {"tiny": {"path": "{tiny}", "query_prefix": "query: ", "passage_prefix": "passage: "}},
        "train": {"batch_size": 4, "max_steps": 2, "max_query_length": 16, "max_passage_length": 32,
                  "device": "cpu"},
        "settings": {"off-the-shelf": {}, "english": {"data": "en", "batching": "random"},
                     "hybrid": {"data": "parallel", "batching": "hybrid", "alpha": 0.5}},
        "seeds": [1, 2],
        "baselines": ["bm25"],
        "eval": {"dataset": "xquad-r", "data_dir": "{data}", "langs": ["en", "de"], "titles": "heldout",
                 "max_length": 32, "device": "cpu", "settings": ["mono", "multi"]},
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")
    out, results = tmp_path / "out", tmp_path / "results"
    args = ["recipe", "run", str(path), "--out", str(out), "--results", str(results)]
    r = CliRunner().invoke(main, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "steps: 13 ran" in r.output and "failed" not in r.output.split("steps:")[-1]
    # the trained model saw only training articles, and was evaluated on the held-out ones
    held = set((out / "split" / "heldout_titles.txt").read_text(encoding="utf-8").splitlines())
    titles = {json.loads(x)["meta"]["title"] for x in (out / "data" / "parallel.jsonl").open(encoding="utf-8")}
    assert len(held) == 2 and not held & titles
    cfg = json.loads((out / "eval" / "tiny" / "hybrid" / "seed2" / "eval_config.json").read_text(encoding="utf-8"))
    assert sorted(cfg["titles"]) == sorted(held)
    mix = json.loads((out / "models" / "tiny" / "hybrid" / "seed1" / "batch_mix.json").read_text(encoding="utf-8"))
    assert mix  # the trainer's realised batch mix sits beside the model
    table = (results / "table.md").read_text(encoding="utf-8")
    assert "**tiny-e2e** — xquad-r, languages en de; 2 held-out articles" in table
    rows = [line for line in table.splitlines() if line.startswith("| tiny | hybrid | 2 |")]
    assert len(rows) == 1 and rows[0].count("±") == 3  # mono, multi, rank distance over 2 seeds (cross not run)
    assert (results / "xquad-r.png").stat().st_size > 0
    steps = json.loads((results / "steps.json").read_text(encoding="utf-8"))
    assert len(steps) == 13 and all(s["status"] == "ran" and len(s["hash"]) == 16 for s in steps)
    assert json.loads((results / "recipe.json").read_text(encoding="utf-8"))["name"] == "tiny-e2e"

    again = CliRunner().invoke(main, args, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "[run]" not in again.output and "steps: 13 skipped" in again.output
