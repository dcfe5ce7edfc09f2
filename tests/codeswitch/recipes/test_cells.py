"""``recipe copy-cells``: finished cells kept small, put back, and read by the report as if never moved."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError
from codeswitch.recipes.cells import copy_cells
from codeswitch.recipes.config import load_recipe
from codeswitch.recipes.report import aggregate, collect_rows
from codeswitch.recipes.runner import RecipeRunner
from tests.codeswitch.recipes.test_recipe import FakeInvoker, _recipe


def _report(recipe, out):
    steps = RecipeRunner(load_recipe(recipe), out, echo=lambda s: None, invoker=FakeInvoker(), report_only=True).run()
    aggs = aggregate(collect_rows(steps, ["xquad-r"]))
    return {(a["model"], a["setting"]): (a["n"], a.get("mono_map")) for a in aggs}


def test_cells_survive_a_new_working_folder(tmp_path, shared_data):
    recipe, out, kept = _recipe(tmp_path, shared_data), tmp_path / "out", tmp_path / "kept"
    RecipeRunner(load_recipe(recipe), out, echo=lambda s: None, invoker=FakeInvoker()).run()
    cell = out / "eval" / "m" / "english" / "seed1"
    (cell / "runs" / "xquad-r").mkdir(parents=True)
    (cell / "runs" / "xquad-r" / "en.per-query.tsv").write_text("map\tq1\t0.5\n", encoding="utf-8")
    (cell / "runs" / "xquad-r" / "en.trec").write_text("q1 Q0 d1 1 0.9 m\n", encoding="utf-8")
    before = _report(recipe, out)
    assert before[("m", "english")] == (2, pytest.approx(0.6))

    summary = copy_cells(out, kept)
    assert summary.evaluations == len(list(out.glob("eval/**/metrics.json")))
    assert not list(kept.rglob("*.trec")) and not list(kept.glob("models/*/*/seed1"))  # no runs, no models
    assert (kept / "eval/m/english/seed1/runs/xquad-r/en.per-query.tsv").read_text(encoding="utf-8") == \
        "map\tq1\t0.5\n"
    assert (kept / "models/m/english/seed1.step.json").is_file() and (kept / "recipe.json").is_file()

    shutil.rmtree(out)  # a new checkout: the working folder is gone
    back = copy_cells(kept, out)
    assert len(back.copied) == len(summary.copied) and not back.already
    assert _report(recipe, out) == before  # the report reads the copied cells as the originals
    planned = RecipeRunner(load_recipe(recipe), out, dry_run=True, echo=lambda s: None, invoker=FakeInvoker()).run()
    status = {(s.kind, s.name): s.status for s in planned}
    assert status[("eval", "m/english/seed1")] == "skipped"  # evaluated: not again
    assert status[("train", "m/english/seed1")] == "planned"  # models are not kept: a blend would retrain

    again = copy_cells(out, kept)
    assert not again.copied and len(again.already) == len(summary.copied)


def test_a_conflict_copies_nothing_unless_replaced(tmp_path, shared_data):
    recipe, out, kept = _recipe(tmp_path, shared_data), tmp_path / "out", tmp_path / "kept"
    RecipeRunner(load_recipe(recipe), out, echo=lambda s: None, invoker=FakeInvoker()).run()
    copy_cells(out, kept)
    rec = kept / "eval" / "m" / "english" / "seed1.step.json"
    old = json.loads(rec.read_text(encoding="utf-8"))
    rec.write_text(json.dumps({**old, "hash": "0" * 16}), encoding="utf-8")
    stale = kept / "eval" / "m" / "english" / "seed1" / "runs" / "x" / "zz.per-query.tsv"
    stale.parent.mkdir(parents=True)
    stale.write_text("map\tq\t1\n", encoding="utf-8")
    (out / "eval" / "m" / "hybrid" / "seed1.step.json").unlink()  # this one would be new at the destination
    shutil.rmtree(kept / "eval" / "m" / "hybrid")
    (kept / "eval" / "m" / "hybrid" / "seed1.step.json").unlink(missing_ok=True)
    with pytest.raises(ConfigError, match=r"eval/m/english/seed1 \(here [0-9a-f]{16}, there 0{16}\)"):
        copy_cells(out, kept)
    assert json.loads(rec.read_text(encoding="utf-8"))["hash"] == "0" * 16  # untouched
    assert not (kept / "eval" / "m" / "hybrid" / "seed2.step.json").exists()  # nothing else copied either

    summary = copy_cells(out, kept, replace=True)
    assert summary.replaced == ["eval/m/english/seed1"]
    assert json.loads(rec.read_text(encoding="utf-8"))["hash"] == old["hash"]
    assert not stale.exists()  # the replaced step's old per-query files are gone, not mixed in


def test_cli_copy_cells_prints_what_it_did(tmp_path, shared_data):
    recipe, out = _recipe(tmp_path, shared_data), tmp_path / "out"
    RecipeRunner(load_recipe(recipe), out, echo=lambda s: None, invoker=FakeInvoker()).run()
    r = CliRunner().invoke(main, ["recipe", "copy-cells", str(out), str(tmp_path / "kept")])
    assert r.exit_code == 0, r.output
    assert "step record(s) copied" in r.output and "0 already there" in r.output
    r = CliRunner().invoke(main, ["recipe", "copy-cells", "--help"])
    assert "codeswitch recipe copy-cells runs/NAME" in r.output


def test_report_says_when_records_are_of_another_configuration(tmp_path, shared_data):
    """The same data under another path spelling changes every hash: the report says so instead of staying silent."""
    out = tmp_path / "out"
    RecipeRunner(load_recipe(_recipe(tmp_path, shared_data)), out, echo=lambda s: None, invoker=FakeInvoker()).run()
    same = CliRunner().invoke(main, ["recipe", "report", str(_recipe(tmp_path, shared_data)), "--out", str(out)])
    assert same.exit_code == 0 and "note:" not in same.output, same.output
    link = tmp_path / "data-link"
    link.symlink_to(shared_data, target_is_directory=True)
    other = CliRunner().invoke(main, ["recipe", "report", str(_recipe(tmp_path, link)), "--out", str(out)])
    assert other.exit_code == 0, other.output
    assert "note: " in other.output and "finished record of another configuration" in other.output
    assert "$CODESWITCH_DATA" in other.output
