"""`codeswitch train` end to end on tiny XLM-R / BERT models and real XQuAD-derived records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.example_io import write_examples

pytest.importorskip("sentence_transformers")

FAST = ["--batch-size", "8", "--max-query-length", "24", "--max-passage-length", "32", "--logging-steps", "1"]


def _run(args: list[str]):
    return CliRunner().invoke(main, ["train", *args], catch_exceptions=False)


def test_train_hybrid_tiny_xlmr(tiny_xlmr, xquad_jsonl, tmp_path):
    from sentence_transformers import SentenceTransformer

    out = tmp_path / "model"
    res = _run(["--data", str(xquad_jsonl), "--model", str(tiny_xlmr), "--batching", "hybrid", "--alpha", "0.5",
                "--max-steps", "4", "--seed", "13", "--out", str(out), "--val-fraction", "0.2", "--eval-steps", "2",
                "--query-prefix", "query: ", "--passage-prefix", "passage: ", *FAST])
    assert res.exit_code == 0, res.output
    assert f"model written to {out}" in res.output
    model = SentenceTransformer(str(out), device="cpu")
    assert model.encode(["Wer gewann?"]).shape == (1, 32)
    assert model.prompts["query"] == "query: "
    cfg = json.loads((out / "train_config.json").read_text())
    assert cfg["batching"] == "hybrid" and cfg["alpha"] == 0.5 and cfg["max_steps"] == 4
    stats = json.loads((out / "data_stats.json").read_text())
    assert stats["train"]["distinct_pair_ids"] == 48 and stats["validation"]["distinct_pair_ids"] == 12
    assert stats["train"]["records"] == 48 * 9
    mix = json.loads((out / "batch_mix.json").read_text())
    assert mix["batches"] == 4 and sum(mix["batches_by_kind"].values()) == 4
    assert sum(mix["records_by_query_lang"].values()) == 32
    log = json.loads((out / "train_log.json").read_text())
    assert [e["step"] for e in log if "loss" in e] == [1, 2, 3, 4]
    assert any("eval_loss" in e for e in log)
    assert not (tmp_path / "model.checkpoints").exists()  # removed after success


def test_train_tiny_bert_cls_symmetric_cached_hard_negatives(tiny_bert, xquad_records, tmp_path):
    from dataclasses import replace

    from sentence_transformers import SentenceTransformer

    records = [replace(r, negatives=(xquad_records[(k + 9) % len(xquad_records)].passage,))
               for k, r in enumerate(xquad_records)]
    data = tmp_path / "neg.jsonl"
    write_examples(records, data)
    out = tmp_path / "bert"
    res = _run(["--data", str(data), "--model", str(tiny_bert), "--batching", "mono", "--pooling", "cls",
                "--symmetric", "--cached", "--mini-batch-size", "4", "--hard-negatives", "1", "--max-steps", "2",
                "--language-sampling", "size", "--out", str(out), *FAST])
    assert res.exit_code == 0, res.output
    model = SentenceTransformer(str(out), device="cpu")
    assert model[1].get_config_dict()["pooling_mode"] == "cls"
    assert json.loads((out / "batch_mix.json").read_text())["batches_by_kind"] == {"mono": 2}


class _Crash:
    """A trainer callback that raises after ``step`` optimizer steps (a simulated interruption)."""

    def __init__(self, step: int) -> None:
        from transformers import TrainerCallback

        outer = self

        class Cb(TrainerCallback):
            def on_step_end(self, args, state, control, **kw):
                if state.global_step == outer.step:
                    raise RuntimeError("simulated crash")

        self.step = step
        self.callback = Cb()


def _weights(model_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(next(Path(model_dir).glob("**/model.safetensors"))))


def test_resume_gives_same_weights_as_uninterrupted(tiny_bert, xquad_jsonl, tmp_path):
    import torch

    from training.config import TrainConfig
    from training.trainer import train

    common = dict(data=str(xquad_jsonl), model=str(tiny_bert), batch_size=8, max_steps=6, save_steps=2,
                  max_query_length=24, max_passage_length=32, seed=7, learning_rate=1e-3)
    full = train(TrainConfig(out=str(tmp_path / "full"), **common))
    cut = TrainConfig(out=str(tmp_path / "cut"), **common)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(cut, callbacks=[_Crash(5).callback])
    assert not (tmp_path / "cut").exists()  # nothing half-written
    assert (tmp_path / "cut.checkpoints" / "checkpoint-4").is_dir()
    res = _run(["--data", str(xquad_jsonl), "--model", str(tiny_bert), "--max-steps", "6", "--save-steps", "2",
                "--batch-size", "8", "--max-query-length", "24", "--max-passage-length", "32", "--seed", "7",
                "--lr", "0.001", "--out", str(tmp_path / "cut"), "--resume"])
    assert res.exit_code == 0, res.output
    a, b, init = _weights(full), _weights(tmp_path / "cut"), _weights(tiny_bert)
    assert a.keys() == b.keys()
    moved = max((a[k] - init[k]).abs().max().item() for k in a if k in init)
    assert moved > 1e-3  # training changed the weights, so equality below is meaningful
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    mix_a = json.loads((Path(full) / "batch_mix.json").read_text())
    assert mix_a == json.loads((tmp_path / "cut" / "batch_mix.json").read_text())


@pytest.fixture
def bad_inputs(xquad_records, tmp_path):
    lines = [json.dumps(r.to_dict()) for r in xquad_records[:20]]
    missing = json.loads(lines[3])
    del missing["pair_id"]
    lines[3] = json.dumps(missing)
    p = tmp_path / "missing.jsonl"
    p.write_text("\n".join(lines) + "\n")
    cross_only = tmp_path / "cross_only.jsonl"
    write_examples([r for r in xquad_records if r.kind == "cross"], cross_only)
    return {"missing": p, "cross_only": cross_only}


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--data", "{missing}"], r"missing.jsonl:4: record lacks field\(s\) pair_id"),
        (["--data", "{cross_only}", "--batching", "hybrid"],
         r"--batching hybrid needs mono records \(query_lang == passage_lang\) but there are none"),
        (["--data", "{good}", "--mono-languages", "en,sw"], "language group 'sw' has no mono records"),
        (["--data", "{good}", "--alpha", "1.2"], r"--alpha must be in \[0, 1\], found 1.2"),
        (["--data", "{good}", "--batch-size", "64", "--batching", "cross"],
         "--batch-size 64 exceeds the 60 distinct pair_ids of cross records"),
        (["--data", "{good}", "--early-stopping", "2"], "--early-stopping needs a validation slice"),
        (["--data", "{good}", "--precision", "fp16", "--device", "cpu"], "--precision fp16 needs a CUDA device"),
        (["--data", "{good}", "--resume"], "--resume: no checkpoint in"),
        (["--data", "{good}", "--hard-negatives", "1"], "has 0 negatives but --hard-negatives 1 needs"),
    ],
)
def test_bad_input_one_line_error(bad_inputs, xquad_jsonl, tmp_path, extra, match):
    import re

    paths = {**bad_inputs, "good": xquad_jsonl}
    extra = [e.format(**{k: str(v) for k, v in paths.items()}) for e in extra]
    out = tmp_path / "never"
    # the model path does not exist: every check runs before the model is loaded
    res = _run(["--model", str(tmp_path / "unused-model"), "--out", str(out), "--max-steps", "1", *extra])
    assert res.exit_code == 1
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.output
    assert re.search(match, lines[0]), lines[0]
    assert not out.exists() and not (tmp_path / "never.checkpoints").exists()


def test_output_dir_holding_another_run(xquad_jsonl, tiny_bert, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "config.json").write_text("{}")
    args = ["--data", str(xquad_jsonl), "--model", str(tiny_bert), "--out", str(out), "--max-steps", "1", *FAST]
    res = _run(args)
    assert res.exit_code == 1
    assert f"Error: {out} holds another run; pass --overwrite to replace it" in res.output
    assert (out / "config.json").read_text() == "{}"
    res = _run([*args, "--overwrite"])
    assert res.exit_code == 0, res.output
    assert (out / "train_config.json").is_file()


def test_unknown_model_is_one_line(xquad_jsonl, tmp_path):
    res = _run(["--data", str(xquad_jsonl), "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "o"),
                "--max-steps", "1", *FAST])
    assert res.exit_code == 1
    errors = [line for line in res.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: cannot load model '{tmp_path / 'nope'}'")
    assert not (tmp_path / "o").exists() and not (tmp_path / "o.checkpoints").exists()


def test_trained_global_batches_counts_epochs_accumulation_and_ranks():
    from training.trainer import trained_global_batches

    assert trained_global_batches(0, 10, 1, 1) == 0
    assert trained_global_batches(4, 10, 1, 1) == 4
    assert trained_global_batches(13, 10, 1, 1) == 13
    # 10 batches/epoch with accumulation 3: steps of 3, 3, 3, 1 batches -> 4 steps per epoch
    assert trained_global_batches(4, 10, 3, 1) == 10
    assert trained_global_batches(5, 10, 3, 1) == 13
    assert trained_global_batches(3, 5, 1, 2) == 6  # 2 ranks: each step consumes 2 global batches


def test_early_stopping_on_validation_loss(tiny_bert, xquad_jsonl, tmp_path):
    out = tmp_path / "es"
    # a learning rate of 1e-12 leaves the validation loss flat, so patience 1 stops at the second evaluation
    res = _run(["--data", str(xquad_jsonl), "--model", str(tiny_bert), "--out", str(out), "--max-steps", "6",
                "--lr", "1e-12", "--val-fraction", "0.2", "--eval-steps", "1", "--save-steps", "1",
                "--early-stopping", "1", *FAST])
    assert res.exit_code == 0, res.output
    stats = json.loads((out / "data_stats.json").read_text())
    assert stats["global_steps"] == 2
    log = json.loads((out / "train_log.json").read_text())
    assert [e["step"] for e in log if "eval_loss" in e] == [1, 2]
    assert json.loads((out / "batch_mix.json").read_text())["batches"] == 2


def test_bf16_autocast_on_cpu(tiny_xlmr, xquad_jsonl, tmp_path):
    """The mixed-precision path (Trainer's autocast, as on a GPU) runs and saves a usable model."""
    import math

    from sentence_transformers import SentenceTransformer

    out = tmp_path / "model"
    res = _run(["--data", str(xquad_jsonl), "--model", str(tiny_xlmr), "--precision", "bf16", "--device", "cpu",
                "--max-steps", "2", "--seed", "3", "--out", str(out), *FAST])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "train_config.json").read_text())["precision"] == "bf16"
    losses = [e["loss"] for e in json.loads((out / "train_log.json").read_text()) if "loss" in e]
    assert len(losses) == 2 and all(math.isfinite(x) and x > 0 for x in losses)
    emb = SentenceTransformer(str(out), device="cpu").encode(["Wer gewann?"])
    assert emb.shape == (1, 32) and all(math.isfinite(float(x)) for x in emb[0])


def test_freeze_embeddings_keeps_word_embeddings_and_trains_the_rest(tiny_xlmr, xquad_jsonl, tmp_path):
    import torch
    from sentence_transformers import SentenceTransformer

    def weights(path):
        auto = SentenceTransformer(str(path), device="cpu")[0].auto_model
        return auto.get_input_embeddings().weight.detach().clone(), next(
            p.detach().clone() for n, p in auto.named_parameters() if "layer.0.attention" in n and n.endswith("weight"))

    base_emb, base_layer = weights(tiny_xlmr)
    for flag, frozen in (("--freeze-embeddings", True), ("--no-freeze-embeddings", False)):
        out = tmp_path / flag
        res = _run(["--data", str(xquad_jsonl), "--model", str(tiny_xlmr), "--max-steps", "2", "--lr", "1e-3",
                    "--out", str(out), flag, *FAST])
        assert res.exit_code == 0, res.output
        emb, layer = weights(out)
        assert torch.equal(emb, base_emb) is frozen
        assert not torch.equal(layer, base_layer)  # the transformer layers train either way
        assert json.loads((out / "train_config.json").read_text())["freeze_embeddings"] is frozen


def test_freeze_layers_keeps_embeddings_and_lower_layers_and_trains_the_top(tiny_xlmr, xquad_jsonl, tmp_path):
    """--freeze-layers 1 on a 2-layer encoder: the embedding block and layer 0 stay, layer 1 trains."""
    import torch
    from sentence_transformers import SentenceTransformer

    def params(path):
        auto = SentenceTransformer(str(path), device="cpu")[0].auto_model
        return {n: p.detach().clone() for n, p in auto.named_parameters()}

    base = params(tiny_xlmr)
    out = tmp_path / "frozen1"
    res = _run(["--data", str(xquad_jsonl), "--model", str(tiny_xlmr), "--max-steps", "2", "--lr", "1e-3",
                "--out", str(out), "--freeze-layers", "1", *FAST])
    assert res.exit_code == 0, res.output
    trained = params(out)
    same = {n for n in base if torch.equal(base[n], trained[n]) and not n.startswith("pooler.")}  # pooler: unused
    lower = {n for n in base if n.startswith(("embeddings.", "encoder.layer.0."))}
    assert lower and same == lower  # everything below layer 1 fixed, everything from layer 1 up trained
    assert json.loads((out / "train_config.json").read_text())["freeze_layers"] == 1

    for bad in ("2", "-1"):  # a 2-layer model: at least one layer has to train
        res = CliRunner().invoke(main, ["train", "--data", str(xquad_jsonl), "--model", str(tiny_xlmr),
                                        "--max-steps", "1", "--out", str(tmp_path / f"bad{bad}"),
                                        "--freeze-layers", bad, *FAST])
        errors = [line for line in res.output.splitlines() if line.startswith("Error:")]
        assert res.exit_code != 0 and len(errors) == 1 and "--freeze-layers" in errors[0], res.output
        assert not (tmp_path / f"bad{bad}").exists()


def test_saved_model_keeps_base_inference_length(tiny_xlmr, xquad_jsonl, tmp_path):
    """Training truncation (24 / 32 tokens) is a training setting: the saved model keeps the base length (128)."""
    from sentence_transformers import SentenceTransformer

    base = SentenceTransformer(str(tiny_xlmr), device="cpu")
    assert base.max_seq_length == 128
    out = tmp_path / "model"
    res = _run(["--data", str(xquad_jsonl), "--model", str(tiny_xlmr), "--max-steps", "2", "--out", str(out), *FAST])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "tokenizer_config.json").read_text())["model_max_length"] == 128
    truncation = json.loads((out / "tokenizer.json").read_text())["truncation"]
    assert truncation is None or truncation["max_length"] == 128
    model = SentenceTransformer(str(out), device="cpu")
    assert model.max_seq_length == 128
    long_text = " ".join(["Warschau ist die Hauptstadt von Polen."] * 40)
    assert model.tokenize([long_text])["input_ids"].shape[1] == 128  # not cut at the training length 32
