"""Issue 23: what ``train --resume`` trusts -- whole checkpoints, the same records, the same settings.

One interrupted run (checkpoints 2 and 4 of 6 steps) is made once; every test works on its own copy,
from inside it (the run's paths are relative), and damages one file the way a full disk, an
interrupted save or a cut copy would. Before: tracebacks from safetensors / torch / json, an
``IndexError``-free resume over edited data, and a resume under another ``--precision``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError, DataFormatError

COMMON = dict(data="d.jsonl", out="out", batch_size=8, max_steps=6, save_steps=2, max_query_length=24,
              max_passage_length=32, seed=7, learning_rate=1e-3, device="cpu")
FLAGS = ["--data", "d.jsonl", "--out", "out", "--batch-size", "8", "--max-steps", "6", "--save-steps", "2",
         "--max-query-length", "24", "--max-passage-length", "32", "--seed", "7", "--lr", "0.001", "--device", "cpu"]


@pytest.fixture(scope="module")
def interrupted(tiny_bert, xquad_jsonl, tmp_path_factory) -> Path:
    """A folder holding d.jsonl and out.checkpoints/ of a run that crashed after step 5 (checkpoints 2 and 4)."""
    from tests.training.test_train import _Crash
    from training.config import TrainConfig
    from training.trainer import train

    root = tmp_path_factory.mktemp("interrupted")
    shutil.copy(xquad_jsonl, root / "d.jsonl")
    config = TrainConfig(**{**COMMON, "data": str(root / "d.jsonl"), "out": str(root / "out")}, model=str(tiny_bert))
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(config, callbacks=[_Crash(5).callback])
    ckpt = root / "out.checkpoints"
    saved = json.loads((ckpt / "train_config.json").read_text())
    saved.update(data="d.jsonl", out="out")  # relative, so a copy of the folder resumes from inside itself
    (ckpt / "train_config.json").write_text(json.dumps(saved))
    assert sorted(p.name for p in ckpt.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    return root


@pytest.fixture
def run_dir(interrupted, tmp_path, monkeypatch) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(interrupted, copy)
    monkeypatch.chdir(copy)
    return copy


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _empty_folder(ckpt: Path) -> None:
    for p in ckpt.iterdir():
        shutil.rmtree(p) if p.is_dir() else p.unlink()


DAMAGES = {
    "truncated-weights": (lambda c: _cut(c / "model.safetensors"), "model.safetensors"),
    "truncated-optimizer": (lambda c: _cut(c / "optimizer.pt"), "optimizer.pt"),
    "truncated-scheduler": (lambda c: _cut(c / "scheduler.pt"), "scheduler.pt"),
    "truncated-rng-state": (lambda c: _cut(c / "rng_state.pth"), "rng_state.pth"),
    "truncated-trainer-state": (lambda c: _cut(c / "trainer_state.json"), "trainer_state.json"),
    "missing-optimizer": (lambda c: (c / "optimizer.pt").unlink(), "optimizer.pt"),
    "empty-checkpoint-folder": (_empty_folder, "checkpoint-4"),
}


def _config(tiny_bert, **changes):
    from training.config import TrainConfig

    return TrainConfig(**{**COMMON, **changes}, model=str(tiny_bert))


@pytest.mark.parametrize("damage", list(DAMAGES), ids=list(DAMAGES))
def test_damaged_newest_checkpoint_is_skipped_with_a_note(run_dir, tiny_bert, capsys, damage):
    from training.trainer import prepare

    hurt, named = DAMAGES[damage]
    hurt(run_dir / "out.checkpoints" / "checkpoint-4")
    prep = prepare(_config(tiny_bert), resume=True)
    assert prep.resume_from == Path("out.checkpoints") / "checkpoint-2"
    err = capsys.readouterr().err
    assert named in err and "resuming from the previous complete checkpoint" in err, err


def test_resume_past_a_damaged_checkpoint_reaches_the_uninterrupted_weights(run_dir, tiny_bert):
    import torch

    from tests.training.test_train import _weights
    from training.trainer import train

    full = train(_config(tiny_bert, out="full"))
    _cut(run_dir / "out.checkpoints" / "checkpoint-4" / "model.safetensors")
    r = CliRunner().invoke(main, ["train", "--model", str(tiny_bert), *FLAGS, "--resume"])
    assert r.exit_code == 0, r.output  # before: a safetensors deserialisation traceback
    assert "checkpoint-4/model.safetensors: truncated" in r.output
    a, b = _weights(full), _weights(run_dir / "out")
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)


def _one_error_line(args: list[str]) -> str:
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    errors = [line for line in r.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, r.output
    return errors[0]


def test_no_complete_checkpoint_is_one_line_naming_the_file(run_dir, tiny_bert):
    _cut(run_dir / "out.checkpoints" / "checkpoint-4" / "optimizer.pt")
    (run_dir / "out.checkpoints" / "checkpoint-2" / "trainer_state.json").write_text("{\"global_st")
    line = _one_error_line(["train", "--model", str(tiny_bert), *FLAGS, "--resume"])
    assert "checkpoint-4/optimizer.pt" in line and "--overwrite" in line, line
    assert not (run_dir / "out").exists()


def test_resume_after_the_data_was_edited_in_place_is_refused(run_dir, tiny_bert):
    lines = (run_dir / "d.jsonl").read_text().splitlines(keepends=True)
    rec = json.loads(lines[0])
    rec["query"] = rec["query"] + " edited"
    (run_dir / "d.jsonl").write_text(json.dumps(rec) + "\n" + "".join(lines[1:]))
    line = _one_error_line(["train", "--model", str(tiny_bert), *FLAGS, "--resume"])
    assert "--data d.jsonl differ from those the interrupted run trained on" in line, line


def test_resume_with_another_precision_is_refused(run_dir, tiny_bert):
    line = _one_error_line(["train", "--model", str(tiny_bert), *FLAGS, "--precision", "bf16", "--resume"])
    assert "options differ from the interrupted run" in line and "precision: 'fp32' -> 'bf16'" in line, line


def test_damaged_saved_options_are_one_line(run_dir, tiny_bert):
    _cut(run_dir / "out.checkpoints" / "train_config.json")
    line = _one_error_line(["train", "--model", str(tiny_bert), *FLAGS, "--resume"])
    assert "out.checkpoints/train_config.json: truncated or not a JSON object" in line, line


def test_resume_checkpoint_reader_units(tmp_path):
    from training.resume import resume_checkpoint

    with pytest.raises(ConfigError, match="no checkpoint in"):
        resume_checkpoint(tmp_path)
    (tmp_path / "checkpoint-3").mkdir()
    with pytest.raises(DataFormatError, match=r"checkpoint-3: empty .*no checkpoint in .* is complete"):
        resume_checkpoint(tmp_path)
