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
    """Also stands in for ``codeswitch interpolate`` and ``codeswitch soup`` (a folder with their record)."""

    def __call__(self, args: list[str]) -> None:
        if args[0] in ("interpolate", "soup"):
            self.calls.append(args)
            out = Path(args[args.index("--out") + 1])
            out.mkdir(parents=True)
            (out / f"{args[0]}_config.json").write_text(json.dumps(args), encoding="utf-8")
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


# ------------------------------------------------------------------ soup: the weight average of every seed's model
def test_a_soup_averages_every_seeds_model_once_and_is_evaluated_once(tmp_path, shared_data):
    recipe = load_recipe(_recipe(tmp_path, shared_data, settings=_settings(**{"english-soup": {"soup": "english"}})))
    out, fake = tmp_path / "out", BlendingInvoker()
    steps = RecipeRunner(recipe, out, echo=lambda s: None, invoker=fake).run()
    (soup,) = fake.commands("soup")
    members = [soup[i + 1] for i, a in enumerate(soup) if a == "--model"]
    assert members == [str(out / "models/m/english/seed1"), str(out / "models/m/english/seed2")]
    assert soup[soup.index("--out") + 1] == str(out / "models/m/english-soup/once")
    evals = [c[c.index("--model-name") + 1] for c in fake.commands("evaluate")]
    assert evals.count("m/english-soup") == 1 and evals.index("m/english-soup") == len(evals) - 1  # after the seeds
    assert [s.status for s in steps if s.kind == "soup"] == ["ran"]
    # a rerun skips it; retraining the source (new hashes) makes a new soup
    fake2 = BlendingInvoker()
    RecipeRunner(recipe, out, echo=lambda s: None, invoker=fake2).run()
    assert fake2.commands("soup") == []
    changed = load_recipe(_recipe(tmp_path, shared_data, settings=_settings(**{"english-soup": {"soup": "english"}}),
                                  train={"batch_size": 4, "max_steps": 3}))
    fake3 = BlendingInvoker()
    RecipeRunner(changed, out, echo=lambda s: None, invoker=fake3).run()
    assert len(fake3.commands("soup")) == 1


def test_a_soup_alone_reads_the_finished_seeds_and_waits_for_missing_ones(tmp_path, shared_data):
    recipe = load_recipe(_recipe(tmp_path, shared_data, settings=_settings(**{"s": {"soup": "english"}})))
    out = tmp_path / "out"
    from codeswitch.recipes.runner import RunFilter

    steps = RecipeRunner(recipe, out, RunFilter(settings=("s",)), echo=lambda s: None, invoker=BlendingInvoker()).run()
    (soup,) = [s for s in steps if s.kind == "soup"]
    assert soup.status == "unavailable" and "not trained for seed(s) 1, 2" in soup.message
    RecipeRunner(recipe, out, RunFilter(settings=("english",), seeds=(1,)), echo=lambda s: None,
                 invoker=BlendingInvoker()).run()
    steps = RecipeRunner(recipe, out, RunFilter(settings=("s",)), echo=lambda s: None, invoker=BlendingInvoker()).run()
    (soup,) = [s for s in steps if s.kind == "soup"]
    assert soup.status == "unavailable" and "seed(s) 2 " in soup.message
    RecipeRunner(recipe, out, RunFilter(settings=("english",)), echo=lambda s: None, invoker=BlendingInvoker()).run()
    fake = BlendingInvoker()
    steps = RecipeRunner(recipe, out, RunFilter(settings=("s",)), echo=lambda s: None, invoker=fake).run()
    assert [s.status for s in steps if s.kind == "soup"] == ["ran"] and len(fake.commands("soup")) == 1
    assert not fake.commands("train")


def test_a_soup_of_two_settings_averages_both_settings_seeds_in_order(tmp_path, shared_data):
    two = _settings(**{"english-lr": {"data": "en", "batching": "random", "lr": 1e-4},
                       "both": {"soup": ["english", "english-lr"]}})
    out, fake = tmp_path / "out", BlendingInvoker()
    steps = RecipeRunner(load_recipe(_recipe(tmp_path, shared_data, settings=two)), out, echo=lambda s: None,
                         invoker=fake).run()
    (soup,) = fake.commands("soup")
    assert [soup[i + 1] for i, a in enumerate(soup) if a == "--model"] == [
        str(out / f"models/m/{s}/seed{k}") for s in ("english", "english-lr") for k in (1, 2)]
    assert [s.status for s in steps if s.kind == "soup"] == ["ran"]
    # one seed is enough when two settings are averaged (two members)
    recipe1 = load_recipe(_recipe(tmp_path, shared_data, settings=two, seeds=[1]))
    fake1 = BlendingInvoker()
    RecipeRunner(recipe1, tmp_path / "out1", echo=lambda s: None, invoker=fake1).run()
    (soup1,) = fake1.commands("soup")
    assert soup1.count("--model") == 2
    # alone with --settings, a missing member names its setting and seed
    from codeswitch.recipes.runner import RunFilter

    steps = RecipeRunner(recipe1, tmp_path / "out2", RunFilter(settings=("both",)), echo=lambda s: None,
                         invoker=BlendingInvoker()).run()
    (st,) = [s for s in steps if s.kind == "soup"]
    assert st.status == "unavailable"
    assert "m/english is not trained for seed(s) 1; m/english-lr is not trained for seed(s) 1" in st.message


@pytest.mark.parametrize(("setting", "match"), [
    ({"soup": "nope"}, r"settings.w.soup is 'nope', not a trained setting listed above it"),
    ({"soup": "off-the-shelf"}, r"settings.w.soup is 'off-the-shelf', not a trained setting .*\(known: english\)"),
    ({"soup": "english", "lam": 0.5}, r"settings.w averages the seeds of 'english'; it takes only 'label', found lam"),
    ({"soup": "english", "data": "en"}, r"takes only 'label', found data"),
    ({"soup": ["english", "nope"]}, r"settings.w.soup lists 'nope', not a trained setting listed above it"),
    ({"soup": ["english", "english"]}, r"settings.w.soup is \['english', 'english'\]; give a trained setting, or "
                                       r"a list of different trained settings"),
    ({"soup": []}, r"settings.w.soup is \[\]; give a trained setting"),
    ({"soup": 3}, r"settings.w.soup is 3; give a trained setting"),
    ({"soup": ["english", {"a": 1}]}, r"settings.w.soup is \['english', \{'a': 1\}\]; give a trained setting"),
])
def test_bad_soup_settings(tmp_path, shared_data, setting, match):
    with pytest.raises(ConfigError, match=match):
        load_recipe(_recipe(tmp_path, shared_data, settings=_settings(w=setting)))


def test_a_soup_needs_two_seeds(tmp_path, shared_data):
    with pytest.raises(ConfigError, match=r"settings.w averages the models of every seed, but 'seeds' lists 1; list "
                                          r"at least two seeds"):
        load_recipe(_recipe(tmp_path, shared_data, settings=_settings(w={"soup": "english"}), seeds=[1]))
