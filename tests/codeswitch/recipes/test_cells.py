"""``recipe copy-cells``: finished cells kept small, put back, and read by the report as if never moved."""

from __future__ import annotations

import json
import os
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
    # models are not kept, but nothing reads this one again (no blend or soup waits for it): not retrained
    assert status[("train", "m/english/seed1")] == "skipped"

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


def _kept(tmp_path, shared_data):
    recipe, out, kept = _recipe(tmp_path, shared_data), tmp_path / "out", tmp_path / "kept"
    RecipeRunner(load_recipe(recipe), out, echo=lambda s: None, invoker=FakeInvoker()).run()
    copy_cells(out, kept)
    return recipe, out, kept


def test_a_record_never_vouches_for_an_output_of_another_run(tmp_path, shared_data):
    """Copied back over a folder that ran another config, --replace removes that run's model with its record."""
    recipe, out, kept = _kept(tmp_path, shared_data)
    other = _recipe(tmp_path, shared_data, train={"batch_size": 4, "max_steps": 3})
    RecipeRunner(load_recipe(other), out, echo=lambda s: None, invoker=FakeInvoker()).run()
    with pytest.raises(ConfigError, match="nothing was copied"):
        copy_cells(kept, out)
    copy_cells(kept, out, replace=True)
    model = out / "models" / "m" / "english" / "seed1"
    assert not model.exists()  # max_steps 3 weights must not pass for the max_steps 2 record
    planned = RecipeRunner(load_recipe(_recipe(tmp_path, shared_data)), out, dry_run=True, echo=lambda s: None,
                           invoker=FakeInvoker()).run()
    status = {(s.kind, s.name): s.status for s in planned}
    # the kept record (max_steps 2) and its finished evaluation stand for the cell; the other run's model is gone
    assert status[("train", "m/english/seed1")] == "skipped" and status[("eval", "m/english/seed1")] == "skipped"


def test_outputs_without_a_record_conflict_unless_they_are_copy_leftovers(tmp_path, shared_data):
    _, out, kept = _kept(tmp_path, shared_data)
    fresh = tmp_path / "fresh"
    cell = fresh / "eval" / "m" / "english" / "seed1"
    (cell / "runs" / "old").mkdir(parents=True)
    (cell / "runs" / "old" / "en.per-query.tsv").write_text("map\tq\t1\n", encoding="utf-8")  # an interrupted copy
    copy_cells(kept, fresh)
    assert not (cell / "runs" / "old").exists() and (cell / "metrics.json").is_file()
    other = tmp_path / "other"
    (other / "eval" / "m" / "english" / "seed1").mkdir(parents=True)
    (other / "eval" / "m" / "english" / "seed1" / "en.trec").write_text("q Q0 d 1 1 x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"eval/m/english/seed1 \(there an output no record vouches for\)"):
        copy_cells(kept, other)


def test_same_hash_gets_its_missing_files_back(tmp_path, shared_data):
    _, out, kept = _kept(tmp_path, shared_data)
    (kept / "eval" / "m" / "english" / "seed1" / "metrics.json").unlink()
    summary = copy_cells(out, kept)
    assert summary.repaired == ["eval/m/english/seed1"] and not summary.copied
    assert (kept / "eval" / "m" / "english" / "seed1" / "metrics.json").is_file()


def test_linked_folders_are_followed_and_unreadable_ones_refused(tmp_path, shared_data, monkeypatch):
    _, out, _ = _kept(tmp_path, shared_data)
    moved = tmp_path / "elsewhere"
    (out / "eval").rename(moved)
    (out / "eval").symlink_to(moved, target_is_directory=True)
    summary = copy_cells(out, tmp_path / "k2")
    assert summary.evaluations == len(list(moved.glob("**/metrics.json"))) > 0
    real = os.listdir

    def deny(path):
        if str(path).endswith("english"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "listdir", deny)
    with pytest.raises(ConfigError, match="english: cannot list this folder"):
        copy_cells(out, tmp_path / "k3")
    assert not (tmp_path / "k3").exists()  # refused before anything was written


def test_a_step_rerun_while_copied_is_skipped(tmp_path, shared_data, monkeypatch):
    from codeswitch.recipes import cells

    _, out, _ = _kept(tmp_path, shared_data)
    rec = out / "eval" / "m" / "english" / "seed1.step.json"
    real = cells._copy_file

    def rerun_meanwhile(src, dst):
        real(src, dst)
        if src.name == "metrics.json" and "english/seed1" in str(src):
            rec.unlink()  # the runner drops a step's record when it starts the step again

    monkeypatch.setattr(cells, "_copy_file", rerun_meanwhile)
    summary = copy_cells(out, tmp_path / "k")
    assert summary.changed == ["eval/m/english/seed1"]
    assert not (tmp_path / "k" / "eval" / "m" / "english" / "seed1.step.json").exists()
    assert not (tmp_path / "k" / "eval" / "m" / "english" / "seed1" / "metrics.json").exists()


def test_no_note_for_cells_whose_outputs_are_only_missing(tmp_path, shared_data):
    recipe, out, kept = _kept(tmp_path, shared_data)
    shutil.rmtree(out)
    copy_cells(kept, out)
    r = CliRunner().invoke(main, ["recipe", "run", str(recipe), "--out", str(out), "--dry-run"])
    assert r.exit_code == 0 and "note:" not in r.output, r.output
    assert "[skip] train m/english/seed1" in r.output and "its output was deleted" in r.output
