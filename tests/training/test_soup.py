"""`codeswitch soup` (the uniform weight average of fine-tuned runs) on tiny random XLM-R models.

The averaged weights are checked against numpy's mean of the members' safetensors files, read without
torch or our code.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError

pytest.importorskip("sentence_transformers")


def _run(args: list[str]):
    return CliRunner().invoke(main, ["soup", *args], catch_exceptions=False)


def _numpy_weights(model_dir: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(next(Path(model_dir).glob("**/model.safetensors"))))


@pytest.fixture(scope="module")
def members(tmp_path_factory) -> list[Path]:
    """Three random tiny XLM-Rs of one architecture (seeds 1-3) standing in for three fine-tuned runs; the first
    carries the files `codeswitch train` writes and prompts of its own."""
    from sentence_transformers import SentenceTransformer

    from tests.tiny_models import build_tiny_xlmr

    root = tmp_path_factory.mktemp("soup_members")
    out = [build_tiny_xlmr(root / f"seed{s}", seed=s) for s in (1, 2, 3)]
    model = SentenceTransformer(str(out[0]), device="cpu")
    model.prompts = {"query": "query: ", "passage": "passage: "}
    model.save(str(out[0]))
    for s, m in ((1, out[0]), (2, out[1])):
        (m / "train_config.json").write_text(json.dumps({"model": "base", "batching": "hybrid", "seed": s,
                                                         "query_prefix": "query: ", "out": str(m)}))
    (out[0] / "batch_mix.json").write_text(json.dumps({"batches": 1}))
    return out


def test_weight_average_matches_numpy_and_keeps_equal_tensors_bit_for_bit():
    import torch

    from training.interpolate import WeightAverage

    g = torch.Generator().manual_seed(0)
    states = [{"w": torch.randn(4, 3, generator=g), "h": torch.randn(5, generator=g).half(),
               "same": torch.arange(6.0) / 7, "position_ids": torch.arange(8)} for _ in range(3)]
    avg = WeightAverage(states[0], "first")
    for i, st in enumerate(states[1:]):
        avg.add(st, f"member {i + 2}")
    out, counts = avg.result()
    assert counts == {"averaged": 2, "unchanged": 1, "non_float": 1, "parameters": 17}
    want = np.mean([s["w"].numpy().astype(np.float64) for s in states], axis=0)
    assert out["w"].dtype == torch.float32 and np.array_equal(out["w"].numpy(), want.astype(np.float32))
    want_h = np.mean([s["h"].numpy().astype(np.float64) for s in states], axis=0)
    assert out["h"].dtype == torch.float16 and np.array_equal(out["h"].numpy(), want_h.astype(np.float16))
    assert torch.equal(out["same"], states[0]["same"]) and torch.equal(out["position_ids"], torch.arange(8))

    with pytest.raises(ConfigError, match=r"tensor w has shape \(4, 3\) in the first but \(4, 2\) in the other"):
        WeightAverage(states[0], "first").add({**states[1], "w": torch.zeros(4, 2)}, "other")
    with pytest.raises(ConfigError, match=r"tensor extra \(shape \(2,\)\) is in the other but not in the first"):
        WeightAverage(states[0], "first").add({**states[1], "extra": torch.zeros(2)}, "other")
    with pytest.raises(ConfigError, match="non-float tensor position_ids .* differs between first and other"):
        WeightAverage(states[0], "first").add({**states[1], "position_ids": torch.arange(8) + 1}, "other")


def test_soup_of_three_runs_is_numpys_mean_of_their_weights(members, tmp_path):
    from sentence_transformers import SentenceTransformer

    out = tmp_path / "soup"
    res = _run([*sum((["--model", str(m)] for m in members), []), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert re.search(r"model written to .*soup: the mean of 3 models over \d+ tensors", res.output), res.output
    got, given = _numpy_weights(out), [_numpy_weights(m) for m in members]
    assert set(got) == set(given[0])
    for name, value in got.items():
        want = np.mean([g[name].astype(np.float64) for g in given], axis=0).astype(given[0][name].dtype)
        assert np.array_equal(value, want), name
    record = json.loads((out / "soup_config.json").read_text())
    assert [m["path"] for m in record["members"]] == [str(m.resolve()) for m in members]
    assert record["members"][1]["weights_sha256"]["model.safetensors"] == hashlib.sha256(
        (members[1] / "model.safetensors").read_bytes()).hexdigest()
    # what the members share is kept; what differs (the seed) is null, each member's value under soup_of
    cfg = json.loads((out / "train_config.json").read_text())
    assert cfg["batching"] == "hybrid" and cfg["model"] == "base" and cfg["query_prefix"] == "query: "
    assert cfg["seed"] is None and cfg["out"] == str(out)
    assert cfg["soup_of"] == [{"path": str(members[0].resolve()), "seed": 1},
                              {"path": str(members[1].resolve()), "seed": 2},
                              {"path": str(members[2].resolve()), "train_config": None}]
    assert not (out / "batch_mix.json").exists()  # one run's batch mix is not the soup's
    model = SentenceTransformer(str(out), device="cpu")
    assert model.prompts["query"] == "query: "
    assert model.encode(["Wer gewann den Super Bowl?"]).shape == (1, 32)

    again = tmp_path / "again"
    assert _run([*sum((["--model", str(m)] for m in members), []), "--out", str(again)]).exit_code == 0
    assert (again / "model.safetensors").read_bytes() == (out / "model.safetensors").read_bytes()  # same bytes


@pytest.fixture(scope="module")
def other_arch(tmp_path_factory) -> Path:
    from tests.tiny_models import build_tiny_xlmr

    return build_tiny_xlmr(tmp_path_factory.mktemp("soup_other_arch") / "model", hidden=16, seed=2)


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("one_model", r"--model: a soup averages at least two models, found 1"),
        ("model_missing", r"--model .*nope: no such model directory"),
        ("model_not_st", r"--model .*plain is not a sentence-transformers model directory \(no modules.json\)"),
        ("model_twice", r"--model .* is given twice"),
        ("out_is_member", r"--out .* overlaps --model .*: choose another --out"),
        ("out_holds_member", r"--out .* overlaps --model"),
        ("out_exists", r"output .*taken exists; pass --overwrite"),
        ("arch_mismatch", r"tensor 0\.\w+\.embeddings\.word_embeddings\.weight has shape \(\d+, 32\) in the --model "
                          r".* but \(\d+, 16\) in the --model .*; pass models fine-tuned from the same base"),
        ("prefix_mismatch", r"--model .*other was trained with query_prefix '' but --model .* with 'query: '; a "
                            r"soup is encoded with one pair of prefixes"),
        ("config_damaged", r"other/train_config.json: not a JSON object of training options"),
    ],
)
def test_bad_input_one_line_error(case, match, members, other_arch, tmp_path):
    out = tmp_path / "never"
    models = [str(members[0]), str(members[1])]
    extra: list[str] = []
    keep = None  # an existing dir that must be left as it was
    if case == "one_model":
        models = models[:1]
    elif case == "model_missing":
        models[1] = str(tmp_path / "nope")
    elif case == "model_not_st":
        (tmp_path / "plain").mkdir()
        (tmp_path / "plain" / "config.json").write_text("{}")
        models[1] = str(tmp_path / "plain")
    elif case == "model_twice":
        models[1] = str(members[0]) + "/"
    elif case in ("out_is_member", "out_holds_member"):
        copy = tmp_path / "runs" / "seed1"
        shutil.copytree(members[0], copy)
        models[0] = str(copy)
        out, keep = (copy if case == "out_is_member" else tmp_path / "runs"), copy
        extra = ["--overwrite"]
    elif case == "out_exists":
        out = tmp_path / "taken"
        out.mkdir()
        (out / "x.txt").write_text("mine")
        keep = out
    elif case == "arch_mismatch":
        models[1] = str(other_arch)
    elif case in ("prefix_mismatch", "config_damaged"):
        shutil.copytree(members[1], tmp_path / "other")
        models[1] = str(tmp_path / "other")
        (tmp_path / "other" / "train_config.json").write_text(
            json.dumps({"model": "base", "query_prefix": ""}) if case == "prefix_mismatch" else "[1, 2]")
    before = sorted(p.relative_to(keep).as_posix() for p in keep.rglob("*")) if keep is not None else None
    res = _run([*sum((["--model", m] for m in models), []), "--out", str(out), *extra])
    lines = res.output.strip().splitlines()
    assert res.exit_code != 0 and len(lines) == 1 and lines[0].startswith("Error: "), res.output
    assert re.search(match, lines[0]), lines[0]
    if keep is None:
        assert not out.exists()
    else:
        assert sorted(p.relative_to(keep).as_posix() for p in keep.rglob("*")) == before
    assert not list(out.parent.glob(f".{out.name}.tmp-*"))
