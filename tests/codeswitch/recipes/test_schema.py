"""Recipe YAML: a key given twice is an error naming the line; two runs never build one step at once."""

from __future__ import annotations

import pytest

from codeswitch.errors import ConfigError
from codeswitch.recipes.config import load_recipe
from codeswitch.recipes.runner import RecipeRunner, step_lock
from tests.codeswitch.recipes.test_recipe import FakeInvoker, _recipe

TEXT = """name: t
models: {m: {path: x}}
settings:
  off-the-shelf: {}
  off-the-shelf: {}
eval: {dataset: xquad-r}
"""


def test_a_key_given_twice_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"r.yaml:5: key 'off-the-shelf' is given twice \(first on line 4\)"):
        load_recipe(path)
    path.write_text("name: a\nname: b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"r.yaml:2: key 'name' is given twice"):
        load_recipe(path)


def test_a_step_another_run_is_running_is_left_to_it(tmp_path, shared_data):
    out = tmp_path / "out"
    recipe = load_recipe(_recipe(tmp_path, shared_data))
    with step_lock(out / "data" / "en.jsonl") as mine:  # another process building the data entry 'en'
        assert mine
        steps = RecipeRunner(recipe, out, echo=lambda s: None, invoker=FakeInvoker()).run()
    busy = [s for s in steps if s.name == "en" and s.kind == "data"]
    assert busy[0].status == "failed" and "another recipe run on this --out is running this step" in busy[0].message
    assert not (out / "data" / "en.jsonl").exists()
    steps = RecipeRunner(recipe, out, echo=lambda s: None, invoker=FakeInvoker()).run()  # free again
    assert [s.status for s in steps if s.name == "en" and s.kind == "data"] == ["ran"]


def test_dry_run_needs_no_out_prints_paths_and_fails_at_once_on_a_missing_one(tmp_path, shared_data):
    from click.testing import CliRunner

    from codeswitch.cli import main

    recipe = _recipe(tmp_path, shared_data)
    r = CliRunner().invoke(main, ["recipe", "run", str(recipe), "--dry-run"])
    assert r.exit_code == 0, r.output
    assert f"[path] data = {shared_data} (ok)" in r.output and "[model] m = some/model" in r.output
    assert "[plan] eval m/english/seed1" in r.output  # evaluations of cells not trained yet are listed too
    assert not list(tmp_path.glob("out*"))
    missing = _recipe(tmp_path, shared_data, paths={"data": str(tmp_path / "nowhere")})
    r = CliRunner().invoke(main, ["recipe", "run", str(missing), "--dry-run"])
    assert r.exit_code == 1 and "paths.data resolved to" in r.output and "does not exist" in r.output
    assert "[plan]" not in r.output
    r = CliRunner().invoke(main, ["recipe", "run", str(recipe)])
    assert r.exit_code == 2 and "--out is required" in r.output


@pytest.mark.parametrize("value", ["1e5", 0, -3, 2.5, True])
def test_significance_resamples_and_seed_must_be_whole_numbers(tmp_path, value):
    base = "name: t\nmodels: {m: {path: x}}\nsettings: {off-the-shelf: {}}\neval: {dataset: xquad-r}\n"
    path = tmp_path / "r.yaml"
    path.write_text(base + f"significance: {{resamples: {value!r}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"r.yaml: significance.resamples must be an integer >= 1, found .*"
                                          r"e.g. resamples: 100000"):
        load_recipe(path)
    path.write_text(base + f"significance: {{seed: {value!r}}}\n", encoding="utf-8")
    if value == 0:
        assert load_recipe(path).significance == {"seed": 0}
    else:
        with pytest.raises(ConfigError, match=r"significance.seed must be an integer >= 0"):
            load_recipe(path)
    path.write_text(base + "significance: {resamples: 100000, seed: 3}\n", encoding="utf-8")
    assert load_recipe(path).significance == {"resamples": 100000, "seed": 3}
