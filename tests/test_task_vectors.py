"""benchmarks/task_vectors.py: norms, cosines and the soup ratio by hand, the --scale formula, bad inputs."""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("task_vectors", ROOT / "benchmarks" / "task_vectors.py")
tv = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tv)


def _model(dir_: Path, tensors: dict) -> str:
    dir_.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(dir_ / "model.safetensors"))
    (dir_ / "config.json").write_text("{}\n")
    return str(dir_)


@pytest.fixture()
def models(tmp_path):
    base = {"w": torch.zeros(2), "embeddings.word_embeddings.weight": torch.zeros(1), "ids": torch.arange(3)}
    # tau_1 = (3, 4 | 0), tau_2 = (0, 4 | 12): norms 5 and sqrt(16 + 144); tau_1 . tau_2 = 16
    r1 = {"w": torch.tensor([3.0, 4.0]), "embeddings.word_embeddings.weight": torch.zeros(1), "ids": torch.arange(3)}
    r2 = {"w": torch.tensor([0.0, 4.0]), "embeddings.word_embeddings.weight": torch.tensor([12.0]),
          "ids": torch.arange(3)}
    soup = {k: (r1[k] + r2[k]) / 2 if r1[k].is_floating_point() else r1[k] for k in r1}
    return {name: _model(tmp_path / name, t) for name, t in
            [("base", base), ("r1", r1), ("r2", r2), ("soup", soup)]}


def test_norms_cosines_and_soup_ratio_match_a_hand_computation(models, tmp_path):
    out = tmp_path / "a.json"
    assert tv.main([models["r1"], models["r2"], "--base", models["base"], "--soup", models["soup"],
                    "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["runs"][models["r1"]]["norm"] == pytest.approx(5.0)
    assert res["runs"][models["r2"]]["norm"] == pytest.approx(math.sqrt(160))
    assert res["runs"][models["r2"]]["norm_without_word_embeddings"] == pytest.approx(4.0)
    assert res["cosines"][f"{models['r1']} | {models['r2']}"] == pytest.approx(16 / (5 * math.sqrt(160)))
    # soup tau = (1.5, 4 | 6): norm sqrt(2.25 + 16 + 36)
    soup_norm = math.sqrt(54.25)
    assert res["soup"]["norm"] == pytest.approx(soup_norm)
    assert res["soup"]["ratio_to_runs_mean_norm"] == pytest.approx(soup_norm / ((5 + math.sqrt(160)) / 2))


def test_scale_writes_base_plus_scale_times_tau_and_keeps_integer_tensors(models, tmp_path):
    from safetensors.torch import load_file

    out = tmp_path / "x"
    assert tv.main(["--base", models["base"], "--scale", "1.5", "--scale-from", models["r1"], "--out", str(out)]) == 0
    w = load_file(str(out / "model.safetensors"))
    assert torch.equal(w["w"], torch.tensor([4.5, 6.0]))
    assert torch.equal(w["ids"], torch.arange(3))
    assert (out / "config.json").is_file()
    assert json.loads((out / "task_vector_scale.json").read_text())["scale"] == 1.5
    assert not (tmp_path / "x.tmp").exists()


@pytest.mark.parametrize("case", ["no-weights", "bad-weights", "other-layout", "one-run", "run-twice", "run-is-base",
                                  "out-exists", "scale-zero", "scale-nan", "scale-without-out"])
def test_bad_inputs_are_one_line_errors(models, tmp_path, capsys, case):
    base, r1, r2 = models["base"], models["r1"], models["r2"]
    args = [r1, r2, "--base", base]
    if case == "no-weights":
        (tmp_path / "empty").mkdir()
        args = [r1, str(tmp_path / "empty"), "--base", base]
    elif case == "bad-weights":
        (Path(r2) / "model.safetensors").write_bytes(b"not safetensors")
    elif case == "other-layout":
        args = [r1, _model(tmp_path / "other", {"v": torch.zeros(2)}), "--base", base]
    elif case == "one-run":
        args = [r1, "--base", base]
    elif case == "run-twice":
        args = [r1, r1, "--base", base]
    elif case == "run-is-base":
        args = [r1, base, "--base", base]
    elif case == "out-exists":
        args = ["--base", base, "--scale", "2", "--scale-from", r1, "--out", r2]
    elif case == "scale-zero":
        args = ["--base", base, "--scale", "0", "--scale-from", r1, "--out", str(tmp_path / "o")]
    elif case == "scale-nan":
        args = ["--base", base, "--scale", "nan", "--scale-from", r1, "--out", str(tmp_path / "o")]
    elif case == "scale-without-out":
        args = ["--base", base, "--scale", "2", "--scale-from", r1]
    assert tv.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
