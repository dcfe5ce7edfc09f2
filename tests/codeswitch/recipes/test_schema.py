"""Recipe YAML: a key given twice is an error naming the line; two runs into one OUT cannot interleave."""

from __future__ import annotations

import pytest

from codeswitch.errors import ConfigError
from codeswitch.recipes.config import load_recipe
from codeswitch.recipes.runner import RecipeRunner, out_lock
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


def test_a_second_run_into_the_same_out_is_refused(tmp_path, shared_data):
    out = tmp_path / "out"
    recipe = load_recipe(_recipe(tmp_path, shared_data))
    with out_lock(out):
        with pytest.raises(ConfigError, match=r"another recipe run is using .*out"):
            RecipeRunner(recipe, out, echo=lambda s: None, invoker=FakeInvoker()).run()
    steps = RecipeRunner(recipe, out, echo=lambda s: None, invoker=FakeInvoker()).run()  # free again
    assert steps and not (out / ".lock").read_text(encoding="utf-8").strip()
