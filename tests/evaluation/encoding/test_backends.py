"""CPU inference options of dense encoders: bf16 autocast, int8 quantization, ONNX Runtime export."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError
from evaluation.encoding.dense import DenseEncoder, EncoderConfig

pytest.importorskip("sentence_transformers")

TEXTS = ["Nairobi ni mji mkuu wa Kenya", "Wer gewann den Super Bowl 50?", "short", "a" * 300, "Dodoma"]


def _encode(model, cache=None, **kw):
    enc = DenseEncoder(EncoderConfig(model=str(model), device="cpu", query_prefix="query: ", **kw), cache)
    return enc, enc.encode_queries(TEXTS)


def _cos(a, b):
    return np.sum(a * b, axis=1)  # both L2-normalised


@pytest.mark.parametrize(("kw", "floor"), [({"backend": "onnx"}, 0.99999),
                                            ({"backend": "onnx", "quantize": "int8"}, 0.95), ({"bf16": True}, 0.98),
                                            ({"quantize": "int8"}, 0.995)])
def test_backends_agree_with_fp32_torch(tiny_xlmr, tmp_path, kw, floor):
    _, ref = _encode(tiny_xlmr)
    enc, emb = _encode(tiny_xlmr, tmp_path / "cache", **kw)
    assert emb.shape == ref.shape and emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    assert _cos(emb, ref).min() > floor, _cos(emb, ref)
    if kw.get("quantize") == "int8" or kw.get("bf16"):
        assert not np.array_equal(emb, ref)  # the option really changed the arithmetic
    if kw.get("quantize") == "int8" and kw.get("backend", "torch") == "torch":
        # the module sentence-transformers calls is the compiled one (compiling the read-only alias
        # ``auto_model`` of sentence-transformers >= 6 would leave the model running eager, 2.8x slower)
        word = enc.model[0]
        called = word.model if isinstance(getattr(type(word), "auto_model", None), property) else word.auto_model
        assert type(called).__name__ == "OptimizedModule"


def test_onnx_export_is_cached_beside_the_embedding_cache(tiny_xlmr, tmp_path):
    cache = tmp_path / "cache"
    _encode(tiny_xlmr, cache, backend="onnx", quantize="int8")
    exports = sorted(p.relative_to(cache).as_posix() for p in (cache / "onnx").rglob("*.onnx"))
    assert len(exports) == 2 and exports[0].endswith("/model.int8.onnx") and exports[1].endswith("/model.onnx")
    stamp = {p: p.stat().st_mtime_ns for p in (cache / "onnx").rglob("*.onnx")}
    enc = DenseEncoder(EncoderConfig(model=str(tiny_xlmr), device="cpu", backend="onnx", quantize="int8"), cache)
    enc.encode_passages(["another text"])  # a new text: encoded, not read from the embedding cache
    assert {p: p.stat().st_mtime_ns for p in (cache / "onnx").rglob("*.onnx")} == stamp  # export reused
    assert not list((cache / "onnx").rglob(".export-*"))


def test_backend_settings_key_the_embedding_cache(tiny_xlmr, tmp_path):
    fp32, _ = _encode(tiny_xlmr, tmp_path)
    bf16, _ = _encode(tiny_xlmr, tmp_path, bf16=True)
    onnx, _ = _encode(tiny_xlmr, tmp_path, backend="onnx", quantize="int8")
    assert len({fp32.fingerprint, bf16.fingerprint, onnx.fingerprint}) == 3


@pytest.mark.parametrize(("kw", "message"), [
    ({"backend": "onnx", "bf16": True}, "--bf16 is for --backend torch"),
    ({"backend": "tensorrt"}, "--backend must be one of torch, onnx, openvino"),
    ({"quantize": "int4"}, "--quantize must be one of none, int8"),
    ({"quantize": "int8", "bf16": True}, "alternatives"),
    ({"backend": "openvino", "quantize": "int8"}, "runs with --backend torch"),
    ({"backend": "onnx", "device": "cuda"}, "are CPU paths"),
])
def test_impossible_combinations_are_one_line_errors(tiny_xlmr, kw, message):
    kw = {"device": "cpu"} | kw
    with pytest.raises(ConfigError, match=message):
        DenseEncoder(EncoderConfig(model=str(tiny_xlmr), **kw))


def test_batches_follow_token_counts_and_vectors_come_back_in_input_order(tiny_xlmr, tmp_path):
    """Batches are cut by token count, not characters; each vector equals the text encoded alone."""
    from sentence_transformers import SentenceTransformer

    from evaluation.encoding.backends import batches_in_length_order

    model = SentenceTransformer(str(tiny_xlmr), device="cpu")
    texts = ["x " * 40, "Kilimanjaro" * 6, "a b c d e f g h", "Dodoma", "wer gewann das Spiel am Sonntag?"]
    tokens = [len(model.tokenizer("query: " + t)["input_ids"]) for t in texts]
    chars = [len("query: " + t) for t in texts]
    order, batches = batches_in_length_order(model, texts, 2, "query: ")
    assert [tokens[i] for i in order] == sorted(tokens, reverse=True)
    assert list(order) != sorted(range(5), key=lambda i: -chars[i])  # characters would batch them otherwise
    assert [len(b) for b in batches] == [2, 3]  # a last batch of one joins the batch before it
    assert [t for b in batches for t in b] == [texts[i] for i in order]
    for kw in ({}, {"backend": "onnx"}):
        enc = DenseEncoder(EncoderConfig(model=str(tiny_xlmr), device="cpu", query_prefix="query: ", batch_size=2,
                                         **kw), tmp_path / "cache")
        emb = enc.encode_queries(texts)
        alone = np.concatenate([model.encode([t], prompt="query: ", normalize_embeddings=True) for t in texts])
        assert np.allclose(emb, alone, atol=1e-5), (kw, np.abs(emb - alone).max())


def test_int8_without_torchao_says_how_to_install(tiny_xlmr, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torchao.quantization", None)  # import fails as if not installed
    with pytest.raises(ConfigError, match=r"needs torchao: pip install \"codeswitch\[eval\]\""):
        DenseEncoder(EncoderConfig(model=str(tiny_xlmr), device="cpu", quantize="int8"))


def test_a_failed_compile_is_a_one_line_error_naming_the_fix():
    from evaluation.encoding.backends import first_compiled_call

    class InvalidCxxCompiler(RuntimeError):  # what torch's inductor raises without g++
        pass

    def no_compiler():
        raise InvalidCxxCompiler("No working C++ compiler found in torch._inductor.config.cpp.cxx")

    with pytest.raises(ConfigError, match=r"needs a C\+\+ compiler .*--backend onnx --quantize int8"):
        first_compiled_call(no_compiler)

    def other():
        raise ValueError("not a compiler problem")

    with pytest.raises(ValueError, match="not a compiler problem"):  # anything else is not rewritten
        first_compiled_call(other)
    assert first_compiled_call(lambda: 7) == 7


def test_openvino_missing_says_how_to_install(tiny_xlmr):
    pytest.importorskip("torch")
    try:
        import optimum.intel  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"pip install \"sentence-transformers\[openvino\]\""):
            DenseEncoder(EncoderConfig(model=str(tiny_xlmr), device="cpu", backend="openvino"))
    else:  # pragma: no cover - where optimum-intel is installed the backend must load
        DenseEncoder(EncoderConfig(model=str(tiny_xlmr), device="cpu", backend="openvino"))


def test_evaluate_cli_records_backend_and_keeps_metrics(tiny_xlmr, shared_data, tmp_path):
    titles = tmp_path / "titles.txt"  # 3 articles keep the test small
    articles = json.loads((shared_data / "xquad" / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    titles.write_text("".join(a["title"] + "\n" for a in articles[:3]), encoding="utf-8")

    def run(out, *extra):
        r = CliRunner().invoke(main, ["evaluate", "--model", str(tiny_xlmr), "--dataset", "xquad-r", "--data-dir",
                                      str(shared_data), "--langs", "en,de", "--device", "cpu", "--settings", "mono",
                                      "--settings", "multi", "--titles", str(titles), "--out", str(out), *extra],
                               catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return json.loads((out / "metrics.json").read_text(encoding="utf-8"))["datasets"]["xquad-r"]

    ref = run(tmp_path / "fp32")
    onnx = run(tmp_path / "onnx", "--backend", "onnx", "--cache-dir", str(tmp_path / "cache"))
    cfg = json.loads((tmp_path / "onnx" / "eval_config.json").read_text(encoding="utf-8"))
    assert cfg["backend"] == "onnx" and cfg["quantize"] == "none" and cfg["bf16"] is False
    int8 = run(tmp_path / "int8", "--quantize", "int8")
    cfg = json.loads((tmp_path / "int8" / "eval_config.json").read_text(encoding="utf-8"))
    assert cfg["backend"] == "torch" and cfg["quantize"] == "int8"

    for s in ("mono", "multi"):
        assert abs(ref["summary"][s]["map"] - onnx["summary"][s]["map"]) < 0.005
        assert abs(ref["summary"][s]["map"] - int8["summary"][s]["map"]) < 0.01
        assert ref["summary"][s]["map"] > 0.0
