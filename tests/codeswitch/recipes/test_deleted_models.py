"""A trained (blended, souped) model may be deleted once it is evaluated: a rerun of the recipe must not
train it again unless a step that reads it (a blend, a soup) is still to run. Before this, every cell
whose model was deleted was trained again, and its evaluation then skipped: hours of CPU for nothing."""

from __future__ import annotations

import shutil

from codeswitch.recipes.config import load_recipe
from codeswitch.recipes.runner import RecipeRunner, RunFilter, sidecar
from tests.codeswitch.recipes.test_interpolate_settings import BlendingInvoker, _settings
from tests.codeswitch.recipes.test_recipe import _recipe


def _run(recipe, out, keep=None, dry_run=False):
    fake = BlendingInvoker()
    steps = RecipeRunner(recipe, out, keep or RunFilter(), dry_run=dry_run, echo=lambda s: None, invoker=fake).run()
    return fake, {(s.kind, s.name): s for s in steps}


def _delete_models(out):
    """What a user short of disk does: delete the model folders, keep the step records beside them."""
    for folder in (out / "models").glob("*/*/*"):
        if folder.is_dir():
            shutil.rmtree(folder)


def _blend_and_soup(tmp_path, shared_data):
    return load_recipe(_recipe(tmp_path, shared_data, settings=_settings(
        **{"w": {"interpolate": "english", "lam": 0.5}, "soup": {"soup": "english"}})))


def test_a_deleted_model_whose_evaluation_is_finished_is_not_trained_again(tmp_path, shared_data):
    recipe = load_recipe(_recipe(tmp_path, shared_data, settings=_settings()))
    out = tmp_path / "out"
    _run(recipe, out)
    shutil.rmtree(out / "models/m/english/seed1")
    for dry in (True, False):
        fake, steps = _run(recipe, out, dry_run=dry)
        assert fake.calls == []
        train = steps[("train", "m/english/seed1")]
        assert train.status == "skipped" and "output was deleted" in train.message
        assert steps[("eval", "m/english/seed1")].status == "skipped"
    assert not (out / "models/m/english/seed1").exists()


def test_a_deleted_model_whose_evaluation_is_not_finished_is_trained_again(tmp_path, shared_data):
    recipe = load_recipe(_recipe(tmp_path, shared_data, settings=_settings()))
    out = tmp_path / "out"
    _run(recipe, out)
    shutil.rmtree(out / "models/m/english/seed1")
    sidecar(out / "eval/m/english/seed1").unlink()
    fake, steps = _run(recipe, out)
    assert [c[c.index("--seed") + 1] for c in fake.commands("train")] == ["1"]
    assert steps[("train", "m/english/seed1")].status == "ran" and steps[("eval", "m/english/seed1")].status == "ran"


def test_a_deleted_model_with_a_damaged_record_is_trained_again(tmp_path, shared_data):
    recipe = load_recipe(_recipe(tmp_path, shared_data, settings=_settings()))
    out = tmp_path / "out"
    _run(recipe, out)
    shutil.rmtree(out / "models/m/english/seed2")
    sidecar(out / "models/m/english/seed2").write_text("{not json", encoding="utf-8")
    fake, _ = _run(recipe, out)
    assert [c[c.index("--seed") + 1] for c in fake.commands("train")] == ["2"]


def test_deleted_models_of_a_finished_grid_with_blends_and_a_soup_are_all_skipped(tmp_path, shared_data):
    recipe = _blend_and_soup(tmp_path, shared_data)
    out = tmp_path / "out"
    _run(recipe, out)
    _delete_models(out)
    fake, steps = _run(recipe, out)
    assert fake.calls == []
    models = [s for s in steps.values() if s.kind in ("train", "interpolate", "soup")]
    assert len(models) == 5 and all(s.status == "skipped" and "deleted" in s.message for s in models)


def test_a_model_a_blend_still_needs_is_trained_again_even_outside_the_filter(tmp_path, shared_data):
    """``--settings english`` alone: the blend of seed 1 is not evaluated yet, so its source model is kept."""
    recipe = _blend_and_soup(tmp_path, shared_data)
    out = tmp_path / "out"
    _run(recipe, out)
    _delete_models(out)
    sidecar(out / "eval/m/w/seed1").unlink()
    fake, steps = _run(recipe, out, RunFilter(settings=("english",)))
    assert [c[c.index("--seed") + 1] for c in fake.commands("train")] == ["1"]
    assert steps[("train", "m/english/seed2")].status == "skipped"
    fake, steps = _run(recipe, out)  # now the blend runs from the retrained model, nothing else
    assert [c[0] for c in fake.calls] == ["interpolate", "evaluate"]


def _english_then_alone(tmp_path, shared_data, deleted_seed: int, setting: str):
    """Train english alone, delete one seed's model, then run ``setting`` alone."""
    recipe = _blend_and_soup(tmp_path, shared_data)
    out = tmp_path / "out"
    _run(recipe, out, RunFilter(settings=("english",)))
    shutil.rmtree(out / f"models/m/english/seed{deleted_seed}")
    return (recipe, out, *_run(recipe, out, RunFilter(settings=(setting,))))


def test_a_blend_run_alone_names_the_deleted_model_it_needs(tmp_path, shared_data):
    recipe, out, fake, steps = _english_then_alone(tmp_path, shared_data, 1, "w")
    blend1, blend2 = steps[("interpolate", "m/w/seed1")], steps[("interpolate", "m/w/seed2")]
    assert blend1.status == "unavailable"
    assert "m/english/seed1 was deleted after its evaluation" in blend1.message
    assert "--settings english,w" in blend1.message
    assert blend2.status == "ran" and [c[0] for c in fake.calls] == ["interpolate", "evaluate"]
    # following the message: the source is trained again, then blended
    fake, steps = _run(recipe, out, RunFilter(settings=("english", "w")))
    assert [c[0] for c in fake.calls] == ["train", "interpolate", "evaluate"]


def test_a_soup_that_needs_deleted_members_names_them(tmp_path, shared_data):
    _, _, fake, steps = _english_then_alone(tmp_path, shared_data, 2, "soup")
    soup = steps[("soup", "m/soup")]
    assert soup.status == "unavailable" and "english/seed2 deleted after evaluation" in soup.message
    assert "--settings english,soup" in soup.message and fake.calls == []


def test_a_report_reads_the_records_of_deleted_models(tmp_path, shared_data):
    recipe = _blend_and_soup(tmp_path, shared_data)
    out = tmp_path / "out"
    _run(recipe, out)
    _delete_models(out)
    steps = RecipeRunner(recipe, out, report_only=True, echo=lambda s: None, invoker=BlendingInvoker()).run()
    assert {s.status for s in steps} == {"skipped"}


def test_models_deleted_with_their_records_are_trained_again(tmp_path, shared_data):
    """The record beside a model is what says how it was trained; without it the cell runs again."""
    recipe = load_recipe(_recipe(tmp_path, shared_data, settings=_settings()))
    out = tmp_path / "out"
    _run(recipe, out)
    shutil.rmtree(out / "models")
    fake, _ = _run(recipe, out)
    assert [c[c.index("--seed") + 1] for c in fake.commands("train")] == ["1", "2"]
