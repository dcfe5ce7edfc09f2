"""Recipe settings that blend a trained setting with its base model (``interpolate:`` + ``lam:``; WiSE-FT)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeswitch.errors import ConfigError
from codeswitch.recipes.config import load_recipe
from codeswitch.recipes.runner import RecipeRunner
from tests.codeswitch.recipes.test_recipe import FakeInvoker, _recipe


class BlendingInvoker(FakeInvoker):
    def __call__(self, args: list[str]) -> None:
        if args[0] == "interpolate":
            self.calls.append(args)
            out = Path(args[args.index("--out") + 1])
            out.mkdir(parents=True)
            (out / "interpolate_config.json").write_text(json.dumps(args), encoding="utf-8")
            return
        super().__call__(args)


def _settings(**extra):
    return {"off-the-shelf": {}, "english": {"data": "en", "batching": "random"}} | extra


def test_interpolated_cells_blend_each_seeds_model_and_are_evaluated(tmp_path, shared_data):
    recipe = load_recipe(_recipe(tmp_path, shared_data, settings=_settings(
        **{"english-wise-0.5": {"interpolate": "english", "lam": 0.5}})))
    out, fake = tmp_path / "out", BlendingInvoker()
    steps = RecipeRunner(recipe, out, echo=lambda s: None, invoker=fake).run()
    blends = fake.commands("interpolate")
    assert [c[c.index("--tuned") + 1] for c in blends] == [str(out / "models/m/english/seed1"),
                                                            str(out / "models/m/english/seed2")]
    assert all(c[c.index("--base") + 1] == "some/model" and c[c.index("--lam") + 1] == "0.5" for c in blends)
    evals = [c[c.index("--model-name") + 1] for c in fake.commands("evaluate")]
    assert "m/english-wise-0.5/seed1" in evals and "m/english-wise-0.5/seed2" in evals
    assert "m/english-wise-0.5" not in evals  # not mistaken for an off-the-shelf setting (it has no data)
    assert {s.status for s in steps if s.kind == "interpolate"} == {"ran"}
    # a rerun skips them by hash; retraining the source setting (new hash) re-blends
    fake2 = BlendingInvoker()
    RecipeRunner(recipe, out, echo=lambda s: None, invoker=fake2).run()
    assert fake2.commands("interpolate") == []
    changed = load_recipe(_recipe(tmp_path, shared_data, settings=_settings(
        **{"english-wise-0.5": {"interpolate": "english", "lam": 0.5}}), train={"batch_size": 4, "max_steps": 3}))
    fake3 = BlendingInvoker()
    RecipeRunner(changed, out, echo=lambda s: None, invoker=fake3).run()
    assert len(fake3.commands("interpolate")) == 2


def test_a_dry_run_plans_the_blends(tmp_path, shared_data):
    recipe = load_recipe(_recipe(tmp_path, shared_data, settings=_settings(
        **{"w": {"interpolate": "english", "lam": 0.25}})))
    steps = RecipeRunner(recipe, tmp_path / "out", dry_run=True, echo=lambda s: None, invoker=FakeInvoker()).run()
    assert [s.name for s in steps if s.kind == "interpolate" and s.status == "planned"] == ["m/w/seed1", "m/w/seed2"]


@pytest.mark.parametrize(("setting", "match"), [
    ({"interpolate": "nope", "lam": 0.5}, r"settings.w.interpolate is 'nope', not a trained setting listed above"),
    ({"interpolate": "off-the-shelf", "lam": 0.5}, r"not a trained setting listed above it \(known: english\)"),
    ({"interpolate": "english", "lam": 1.5}, r"settings.w.lam must be a number in \[0, 1\]"),
    ({"interpolate": "english", "lam": "half"}, r"settings.w.lam must be a number in \[0, 1\].*'half'"),
    ({"interpolate": "english", "lam": True}, r"settings.w.lam must be a number"),
    ({"interpolate": "english"}, r"settings.w.lam must be a number in \[0, 1\].*None"),
    ({"interpolate": "english", "lam": 0.5, "batching": "mono"}, r"takes only 'lam'.*found batching"),
    ({"lam": 0.5}, r"settings.w.lam needs 'interpolate: SETTING'"),
])
def test_bad_interpolation_settings(tmp_path, shared_data, setting, match):
    with pytest.raises(ConfigError, match=match):
        load_recipe(_recipe(tmp_path, shared_data, settings=_settings(w=setting)))


def test_a_blend_listed_before_its_source_is_refused(tmp_path, shared_data):
    settings = {"w": {"interpolate": "english", "lam": 0.5}, "english": {"data": "en"}}
    with pytest.raises(ConfigError, match="not a trained setting listed above it"):
        load_recipe(_recipe(tmp_path, shared_data, settings=settings))


def test_blends_run_alone_once_their_source_is_trained(tmp_path, shared_data):
    """``--settings english-wise-0.5`` after the english cells ran: the blends find them by hash."""
    from codeswitch.recipes.runner import RunFilter

    recipe = load_recipe(_recipe(tmp_path, shared_data, settings=_settings(
        **{"english-wise-0.5": {"interpolate": "english", "lam": 0.5}})))
    out = tmp_path / "out"
    RecipeRunner(recipe, out, RunFilter(settings={"english"}, seeds={1}), echo=lambda s: None,
                 invoker=BlendingInvoker()).run()
    fake = BlendingInvoker()
    steps = RecipeRunner(recipe, out, RunFilter(settings={"english-wise-0.5"}), echo=lambda s: None,
                         invoker=fake).run()
    assert fake.commands("train") == []  # the filter keeps the source out: never trained here
    assert [c[c.index("--tuned") + 1] for c in fake.commands("interpolate")] == [str(out / "models/m/english/seed1")]
    blend = {s.name: s for s in steps if s.kind == "interpolate"}
    assert blend["m/english-wise-0.5/seed1"].status == "ran"
    assert blend["m/english-wise-0.5/seed2"].status == "unavailable"  # seed 2 of english never ran
    assert "not trained" in blend["m/english-wise-0.5/seed2"].message
