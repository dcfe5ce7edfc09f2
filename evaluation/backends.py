"""Faster CPU inference for dense encoders: bf16 autocast, int8 dynamic quantization, ONNX Runtime.

``--backend torch`` (default) runs the sentence-transformers model itself; ``--bf16`` wraps it in
``torch.autocast("cpu", bfloat16)``: it pays off with AMX; on AVX512-BF16 without AMX it was measured
0.56x the fp32 speed (``benchmarks/results/encode_backends.md``).

``--backend onnx`` exports the transformer (input ids and attention mask -> token embeddings) once
with ``torch.onnx.export`` (the TorchScript exporter, ``dynamo=False``: no extra package), optionally
quantizes it to int8 with ``onnxruntime.quantization``, and runs it with ONNX Runtime; tokenization and
the model's own pooling / normalization modules stay the sentence-transformers ones, so the vectors are
those of the torch model up to numerical precision. Exports are cached under
``<cache_dir>/onnx/<key>/`` (the key hashes the model files, maximum length and quantization), beside
the embedding cache. sentence-transformers' own ``backend="onnx"`` needs ``optimum-onnx``, which pins
transformers < 4.58; this module needs only ``onnx`` and ``onnxruntime``.

``--backend openvino`` hands the model to sentence-transformers' OpenVINO backend (``pip install
"sentence-transformers[openvino]"``); it is not installable beside this project's CPU torch build here,
so it is untested in this repository and says so when the package is missing.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from codeswitch.errors import ConfigError

BACKENDS = ("torch", "onnx", "openvino")
QUANTIZATIONS = ("none", "int8")

EncodeFn = Callable[[Sequence[str], str, int, bool, bool], np.ndarray]
"""(texts, prefix, batch_size, normalize, show_progress) -> float32 (n, dim) embeddings."""


def check_backend(backend: str, quantize: str, bf16: bool, device: str) -> None:
    """Raise :class:`ConfigError` for a combination that cannot run."""
    if backend not in BACKENDS:
        raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, found {backend!r}")
    if quantize not in QUANTIZATIONS:
        raise ConfigError(f"--quantize must be one of {', '.join(QUANTIZATIONS)}, found {quantize!r}")
    if backend != "torch" and bf16:
        raise ConfigError(f"--bf16 is for --backend torch; --backend {backend} runs fp32 (or --quantize int8)")
    if quantize != "none" and backend != "onnx":
        raise ConfigError("--quantize int8 runs through ONNX Runtime: add --backend onnx")
    if (quantize != "none" or bf16 or backend != "torch") and not device.startswith("cpu"):
        raise ConfigError(f"--backend {backend} / --quantize {quantize} / --bf16 are CPU paths; found device "
                          f"{device!r} (use --device cpu, or fp16 on a GPU)")


def torch_encoder(model, bf16: bool) -> EncodeFn:
    """The sentence-transformers model itself, optionally under CPU bf16 autocast."""
    import torch

    def encode(texts, prefix, batch_size, normalize, show_progress):
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with ctx:
            emb = model.encode(list(texts), prompt=prefix or None, batch_size=batch_size,
                               show_progress_bar=show_progress, convert_to_numpy=False, convert_to_tensor=True,
                               normalize_embeddings=normalize)
        return emb.float().cpu().numpy()

    return encode


def _export_key(model, fingerprint: str, quantize: str) -> str:
    """Hash of what an export depends on: the model files, the maximum length, the quantization."""
    blob = f"{fingerprint}|{model.max_seq_length}|{quantize}|onnx-v1"
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def export_onnx(model, folder: Path, quantize: str) -> Path:
    """Write ``model.onnx`` (and ``model.int8.onnx`` for int8) for the transformer of ``model`` into ``folder``."""
    import torch

    target = folder / ("model.int8.onnx" if quantize == "int8" else "model.onnx")
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    auto = model[0].auto_model
    names = _input_names(model)
    sample = features_of(model, ["an example", "a second, longer example text"])
    args = tuple(sample[n] for n in names)

    class _TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs, strict=True)), return_dict=True).last_hidden_state

    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=folder))
    try:
        fp32 = tmp / "model.onnx"
        axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"token_embeddings": {0: "batch", 1: "tokens"}}
        with torch.no_grad(), warnings.catch_warnings():
            # the TorchScript exporter warns about traced Python conditions; the test suite checks the
            # exported graph against the torch model on padded batches of mixed lengths
            warnings.simplefilter("ignore")
            torch.onnx.export(_TokenEmbeddings(auto.eval()), args, str(fp32), input_names=list(names),
                              output_names=["token_embeddings"], dynamic_axes=axes, opset_version=17, dynamo=False)
        if not (folder / "model.onnx").is_file():
            shutil.copyfile(fp32, tmp / "model.onnx.part")
            (tmp / "model.onnx.part").replace(folder / "model.onnx")
        if quantize == "int8":
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(fp32), str(tmp / "model.int8.onnx"), weight_type=QuantType.QInt8)
            (tmp / "model.int8.onnx").replace(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def features_of(model, texts: list[str]) -> dict:
    """Tokenized model inputs of ``texts`` (``preprocess`` in sentence-transformers 6, ``tokenize`` before)."""
    prepare = getattr(model, "preprocess", None) or model.tokenize
    return prepare(texts)


def _input_names(model) -> tuple[str, ...]:
    features = features_of(model, ["x"])
    return tuple(n for n in ("input_ids", "attention_mask", "token_type_ids") if n in features)


def onnx_encoder(model, fingerprint: str, quantize: str, cache_dir: Path | None) -> EncodeFn:
    """An ONNX Runtime session for the transformer; ``model``'s tokenizer and pooling modules around it."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ConfigError('--backend onnx needs onnxruntime and onnx: pip install "codeswitch[onnx]"') from None
    import torch

    for module in list(model)[1:]:
        if getattr(module, "include_prompt", True) is False:
            raise ConfigError("--backend onnx does not support pooling that excludes the prompt; use --backend torch")
    if cache_dir:
        root = Path(cache_dir) / "onnx"
    else:  # no cache: export into a temporary folder removed when the process ends
        root = Path(tempfile.mkdtemp(prefix="codeswitch-onnx-"))
        atexit.register(shutil.rmtree, root, True)
    path = export_onnx(model, root / _export_key(model, fingerprint, quantize), quantize)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = _input_names(model)
    tail = list(model)[1:]

    def encode(texts, prefix, batch_size, normalize, show_progress):
        from tqdm import tqdm

        texts = [prefix + t for t in texts]
        order = np.argsort([-len(t) for t in texts], kind="stable")  # long first, like sentence-transformers
        parts = []
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, desc="encode (onnx)", disable=not show_progress):
            batch = [texts[i] for i in order[start:start + batch_size]]
            features = features_of(model, batch)
            tokens = session.run(None, {n: features[n].numpy().astype(np.int64) for n in names})[0]
            features["token_embeddings"] = torch.from_numpy(tokens)
            with torch.no_grad():
                for module in tail:
                    features = module(features)
            emb = features["sentence_embedding"]
            if normalize:
                emb = torch.nn.functional.normalize(emb, p=2, dim=1)
            parts.append(emb.numpy())
        out = np.concatenate(parts)  # in length order
        restored = np.empty_like(out)
        restored[order] = out
        return restored

    return encode


def openvino_model(model_id: str, device: str):
    """sentence-transformers' OpenVINO backend (needs ``optimum-intel``)."""
    try:
        import optimum.intel  # noqa: F401
    except ImportError:
        raise ConfigError('--backend openvino needs optimum-intel: pip install "sentence-transformers[openvino]" '
                          "(not installable beside this project's CPU torch build; use --backend onnx)") from None
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(model_id, device=device, backend="openvino")
