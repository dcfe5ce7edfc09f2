"""``--backend onnx --quantize int8`` says what it was measured to cost (issue 21 §3); fp32 ONNX says nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluation.encoding.backends import ONNX_INT8_WARNING

pytest.importorskip("sentence_transformers")
pytest.importorskip("onnxruntime")

REPO = Path(__file__).resolve().parents[3]


def _warnings(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]


def test_onnx_int8_warns_once_with_the_measured_loss_and_its_file(tiny_xlmr, tmp_path, capsys):
    from evaluation.encoding.dense import DenseEncoder, EncoderConfig

    capsys.readouterr()
    DenseEncoder(EncoderConfig(model=str(tiny_xlmr), device="cpu", backend="onnx", quantize="int8"), tmp_path)
    assert _warnings(capsys) == [ONNX_INT8_WARNING]
    assert "nDCG@10 -0.048" in ONNX_INT8_WARNING and "benchmarks/results/int8-cost/int8_cost.md" in ONNX_INT8_WARNING
    DenseEncoder(EncoderConfig(model=str(tiny_xlmr), device="cpu", backend="onnx"), tmp_path)
    assert _warnings(capsys) == []


def test_the_warning_quotes_the_measured_file():
    doc = json.loads((REPO / "benchmarks" / "results" / "int8-cost" / "int8_cost.json").read_text(encoding="utf-8"))
    onnx, torch = doc["variants"]["onnx-int8"], doc["variants"]["torch-int8"]
    assert f"nDCG@10 {onnx['mean_delta_vs_fp32']['ndcg@10']:+.3f}" in ONNX_INT8_WARNING
    assert f"MRR@10 {onnx['mean_delta_vs_fp32']['mrr@10']:+.3f}" in ONNX_INT8_WARNING
    for lang in ("ha-en", "zu-en"):
        arrow = lang.replace("-", "->")
        assert f"{arrow} {onnx['delta_vs_fp32'][lang]['ndcg@10']:+.3f}" in ONNX_INT8_WARNING
    assert (f"nDCG@10 {torch['delta_vs_fp32']['ha-en']['ndcg@10']:+.3f} / "
            f"{torch['delta_vs_fp32']['zu-en']['ndcg@10']:+.3f}") in ONNX_INT8_WARNING
