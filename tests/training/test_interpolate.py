"""`codeswitch interpolate` (WiSE-FT weight interpolation) on tiny random XLM-R models."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError

pytest.importorskip("sentence_transformers")

SENTENCES = ["Wer gewann den Super Bowl?", "The Panthers lost to the Broncos.", "¿Dónde está Varsovia?"]


def _run(args: list[str]):
    return CliRunner().invoke(main, ["interpolate", *args], catch_exceptions=False)


def _one_error(res) -> str:
    lines = res.output.strip().splitlines()
    assert res.exit_code != 0, res.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.output
    return lines[0]


def _no_debris(out: Path) -> bool:
    return not out.exists() and not list(out.parent.glob(f".{out.name}.tmp-*"))


def _weights(model_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(next(Path(model_dir).glob("**/model.safetensors"))))


def _encode(model_dir: Path) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu").encode(SENTENCES, convert_to_numpy=True)


@pytest.fixture(scope="module")
def tuned_xlmr(tiny_xlmr, tmp_path_factory) -> Path:
    """Another random tiny XLM-R (seed 1) standing in for a fine-tuned one: its own max_seq_length and
    prompts, and the files `codeswitch train` writes, with train_config.json naming tiny_xlmr as its base."""
    from sentence_transformers import SentenceTransformer

    from tests.tiny_models import build_tiny_xlmr

    root = tmp_path_factory.mktemp("tuned_xlmr")
    raw = build_tiny_xlmr(root / "raw", seed=1)
    model = SentenceTransformer(str(raw), device="cpu")
    model.max_seq_length = 64
    model.prompts = {"query": "query: ", "passage": "passage: "}
    out = root / "model"
    model.save(str(out))
    (out / "train_config.json").write_text(json.dumps({"model": str(tiny_xlmr), "batching": "hybrid"}))
    (out / "data_stats.json").write_text(json.dumps({"train": {"records": 9}}))
    (out / "batch_mix.json").write_text(json.dumps({"batches": 1}))
    return out


def test_state_dict_arithmetic_matches_numpy():
    import torch

    from training.interpolate import interpolate_state_dicts

    g = torch.Generator().manual_seed(0)
    base = {"w": torch.randn(4, 3, generator=g), "h": torch.randn(5, generator=g).half(),
            "same": torch.arange(6.0), "position_ids": torch.arange(8)}
    tuned = {"w": torch.randn(4, 3, generator=g), "h": torch.randn(5, generator=g).half(),
             "same": torch.arange(6.0), "position_ids": torch.arange(8)}
    for lam in (0.0, 0.3, 0.5, 1.0):
        out, counts = interpolate_state_dicts(base, tuned, lam)
        a, b = base["w"].numpy(), tuned["w"].numpy()
        np.testing.assert_array_equal(out["w"].numpy(), np.float32(1 - lam) * a + np.float32(lam) * b)
        hand = (np.float32(1 - lam) * base["h"].float().numpy() + np.float32(lam) * tuned["h"].float().numpy())
        np.testing.assert_array_equal(out["h"].numpy(), hand.astype(np.float16))
        assert out["h"].dtype == torch.float16 and out["position_ids"].dtype == torch.int64
        assert torch.equal(out["same"], base["same"]) and torch.equal(out["position_ids"], tuned["position_ids"])
        assert counts == {"interpolated": 2, "unchanged": 1, "non_float": 1, "parameters": 17}
    assert torch.equal(interpolate_state_dicts(base, tuned, 0.0)[0]["w"], base["w"])  # exact ends
    assert torch.equal(interpolate_state_dicts(base, tuned, 1.0)[0]["w"], tuned["w"])

    with pytest.raises(ConfigError, match=r"tensor w has shape \(4, 3\) in the base model but \(4, 2\) in the tuned"):
        interpolate_state_dicts(base, {**tuned, "w": torch.zeros(4, 2)}, 0.5)
    with pytest.raises(ConfigError, match=r"tensor extra \(shape \(2,\)\) is in the tuned model but not in the base"):
        interpolate_state_dicts(base, {**tuned, "extra": torch.zeros(2)}, 0.5)
    with pytest.raises(ConfigError, match=r"tensor extra \(shape \(2,\)\) is in the base model but not in the tuned"):
        interpolate_state_dicts({**base, "extra": torch.zeros(2)}, tuned, 0.5)
    with pytest.raises(ConfigError, match="non-float tensor position_ids"):
        interpolate_state_dicts(base, {**tuned, "position_ids": torch.arange(8) + 1}, 0.5)
    for lam in (-0.1, 1.5, math.nan):
        with pytest.raises(ConfigError, match=r"--lam must be a number in \[0, 1\]"):
            interpolate_state_dicts(base, tuned, lam)


def test_lam_0_and_1_reproduce_base_and_tuned_and_half_is_neither(tiny_xlmr, tuned_xlmr, tmp_path):
    from sentence_transformers import SentenceTransformer

    base_emb, tuned_emb = _encode(tiny_xlmr), _encode(tuned_xlmr)
    assert np.abs(base_emb - tuned_emb).max() > 1e-2
    (tmp_path / "lam0").mkdir()
    (tmp_path / "lam0" / "old.txt").write_text("replaced by --overwrite")
    embs = {}
    for lam, extra in (("0", ["--overwrite"]), ("0.5", []), ("1", ["--base", str(tiny_xlmr)])):
        out = tmp_path / f"lam{lam}"
        res = _run(["--tuned", str(tuned_xlmr), "--lam", lam, "--out", str(out), *extra])  # default base: train_config
        assert res.exit_code == 0, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"model written to {out}: (1 - {lam}) * base"), res.output
        embs[lam] = _encode(out)
    assert not (tmp_path / "lam0" / "old.txt").exists() and not list(tmp_path.glob(".lam*.tmp-*"))
    assert json.loads((tmp_path / "lam1" / "interpolate_config.json").read_text())["base_from"] == "--base"
    assert np.abs(embs["0"] - base_emb).max() <= 1e-6
    assert np.abs(embs["1"] - tuned_emb).max() <= 1e-6
    assert np.abs(embs["0.5"] - base_emb).max() > 1e-3 and np.abs(embs["0.5"] - tuned_emb).max() > 1e-3

    # the weights file against a hand computation of (1 - lam) * a + lam * b
    a, b, mid = _weights(tiny_xlmr), _weights(tuned_xlmr), _weights(tmp_path / "lam0.5")
    assert a.keys() == b.keys() == mid.keys()
    for name in ("embeddings.word_embeddings.weight", "encoder.layer.1.attention.self.query.weight",
                 "encoder.layer.0.output.LayerNorm.bias"):
        hand = np.float32(0.5) * a[name].numpy() + np.float32(0.5) * b[name].numpy()
        np.testing.assert_array_equal(mid[name].numpy(), hand)
    for end, ref in (("0", a), ("1", b)):
        got = _weights(tmp_path / f"lam{end}")
        assert all(np.array_equal(got[k].numpy(), ref[k].numpy()) for k in ref)

    # the tuned dir's inference settings, the files training wrote, and the record
    out = tmp_path / "lam0.5"
    model = SentenceTransformer(str(out), device="cpu")
    assert model.max_seq_length == 64 and model.prompts["query"] == "query: "
    for name in ("train_config.json", "data_stats.json", "batch_mix.json"):
        assert (out / name).read_text() == (tuned_xlmr / name).read_text()
    rec = json.loads((out / "interpolate_config.json").read_text())
    assert rec["lam"] == 0.5 and rec["base"] == str(tiny_xlmr.resolve()) and rec["tuned"] == str(tuned_xlmr.resolve())
    assert rec["base_from"].endswith("train_config.json (model)") and "2109.01903" in rec["method"]
    weights = next(tuned_xlmr.glob("**/model.safetensors"))
    sha = hashlib.sha256(weights.read_bytes()).hexdigest()
    assert rec["tuned_weights_sha256"] == {weights.relative_to(tuned_xlmr).as_posix(): sha}
    assert rec["tensors"]["interpolated"] > 0 and rec["tensors"]["parameters"] > 0


def test_frozen_layers_stay_unchanged(tiny_xlmr, xquad_jsonl, tmp_path):
    """A model trained with --freeze-layers 1: embeddings and layer 0 equal the base, so any lam keeps them."""
    import torch

    from training.config import TrainConfig
    from training.trainer import train

    tuned = train(TrainConfig(data=str(xquad_jsonl), model=str(tiny_xlmr), out=str(tmp_path / "tuned"),
                              batch_size=8, max_steps=2, learning_rate=1e-3, max_query_length=24,
                              max_passage_length=32, freeze_layers=1))
    out = tmp_path / "wise"
    res = _run(["--tuned", str(tuned), "--lam", "0.3", "--out", str(out)])
    assert res.exit_code == 0, res.output
    base, trained, mixed = _weights(tiny_xlmr), _weights(tuned), _weights(out)
    lower = [k for k in base if k.startswith(("embeddings.", "encoder.layer.0."))]
    assert lower and all(torch.equal(mixed[k], base[k]) and torch.equal(trained[k], base[k]) for k in lower)
    top = [k for k in base if k.startswith("encoder.layer.1.") and not torch.equal(base[k], trained[k])]
    assert top and all(not torch.equal(mixed[k], base[k]) and not torch.equal(mixed[k], trained[k]) for k in top)
    assert (out / "batch_mix.json").is_file() and (out / "data_stats.json").is_file()


@pytest.fixture(scope="module")
def other_arch(tmp_path_factory) -> Path:
    from tests.tiny_models import build_tiny_xlmr

    return build_tiny_xlmr(tmp_path_factory.mktemp("other_arch") / "model", hidden=16, seed=2)


@pytest.mark.parametrize(
    ("case", "match"),
    [
        ("lam_high", r"Invalid value for '--lam'.*\[0, 1\], found '1.5'"),
        ("lam_low", r"Invalid value for '--lam'.*\[0, 1\], found '-0.1'"),
        ("lam_nan", r"Invalid value for '--lam': expected a finite number, found 'nan'"),
        ("tuned_missing", r"--tuned .*nope: no such model directory"),
        ("tuned_not_st", r"--tuned .*plain is not a sentence-transformers model directory \(no modules.json\)"),
        ("base_missing", r"--base .*nobase: no such model directory"),
        ("no_train_config", r"has no train_config.json naming its base model; pass --base"),
        ("out_is_tuned", r"--out .* overlaps --tuned .*: choose another --out"),
        ("out_in_tuned", r"--out .*sub overlaps --tuned"),
        ("out_holds_tuned", r"--out .* overlaps --tuned"),
        ("out_is_base", r"--out .* overlaps --base"),
        ("out_exists", r"output .*taken exists; pass --overwrite"),
        ("arch_mismatch", r"tensor 0\.\w+\.embeddings\.word_embeddings\.weight has shape \(\d+, 16\) in the "
                          r"base model but \(\d+, 32\) in the tuned model"),
    ],
)
def test_bad_input_one_line_error(case, match, tiny_xlmr, tuned_xlmr, other_arch, tmp_path):
    import re
    import shutil

    out = tmp_path / "never"
    args = ["--tuned", str(tuned_xlmr), "--lam", "0.5", "--out", str(out)]
    keep = None  # an existing dir that must be left as it was
    if case.startswith("lam_"):
        args[3] = {"lam_high": "1.5", "lam_low": "-0.1", "lam_nan": "nan"}[case]
    elif case == "tuned_missing":
        args[1] = str(tmp_path / "nope")
    elif case == "tuned_not_st":
        (tmp_path / "plain").mkdir()
        (tmp_path / "plain" / "config.json").write_text("{}")
        args[1] = str(tmp_path / "plain")
    elif case == "base_missing":
        args += ["--base", str(tmp_path / "nobase")]
    elif case == "no_train_config":
        copy = tmp_path / "copy"
        shutil.copytree(tuned_xlmr, copy)
        (copy / "train_config.json").unlink()
        args[1] = str(copy)
    elif case in ("out_is_tuned", "out_in_tuned", "out_holds_tuned"):
        copy = tmp_path / "models" / "tuned"
        shutil.copytree(tuned_xlmr, copy)
        args[1] = str(copy)
        out = {"out_is_tuned": copy, "out_in_tuned": copy / "sub", "out_holds_tuned": tmp_path / "models"}[case]
        args[5] = str(out)
        args.append("--overwrite")
        keep = copy
    elif case == "out_is_base":
        args[5] = str(tiny_xlmr)
        args.append("--overwrite")
        out, keep = tiny_xlmr, tiny_xlmr
    elif case == "out_exists":
        out = tmp_path / "taken"
        out.mkdir()
        (out / "x.txt").write_text("mine")
        args[5] = str(out)
        keep = out
    elif case == "arch_mismatch":
        args += ["--base", str(other_arch)]
    before = sorted(p.relative_to(keep).as_posix() for p in keep.rglob("*")) if keep is not None else None
    line = _one_error(_run(args))
    assert re.search(match, line), line
    if keep is None:
        assert _no_debris(out)
    else:
        assert sorted(p.relative_to(keep).as_posix() for p in keep.rglob("*")) == before
        assert not list(out.parent.glob(f".{out.name}.tmp-*"))


def test_interrupt_while_writing_leaves_nothing(tiny_xlmr, tuned_xlmr, tmp_path, monkeypatch):
    import training.interpolate as mod

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(mod.shutil, "copy2", boom)  # after the model files are written, before the record
    out = tmp_path / "cut"
    with pytest.raises(KeyboardInterrupt):
        mod.interpolate(tuned_xlmr, out, 0.5)
    assert _no_debris(out)


def test_hub_ids_and_paths_are_told_apart():
    from training.interpolate import _looks_local

    assert not _looks_local("intfloat/multilingual-e5-small") and not _looks_local("xlm-roberta-base")
    assert _looks_local("/abs/model") and _looks_local("./model") and _looks_local("~/m") and _looks_local("a/b/c")


def test_help_explains_lam_and_formula():
    res = CliRunner().invoke(main, ["interpolate", "--help"])
    assert res.exit_code == 0
    text = " ".join(res.output.split())
    assert "theta = (1 - lam) * theta_base + lam * theta_tuned" in text
    assert "lam 0 is the base model, lam 1 the tuned model" in text and "Example:" in text and "2109.01903" in text
