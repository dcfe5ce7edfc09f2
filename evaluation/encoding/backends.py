"""Faster CPU inference for dense encoders: token-length batches, int8 quantization, bf16, ONNX Runtime.

Every backend batches texts by their token count (longest first), not by their characters as
``SentenceTransformer.encode`` does: on XQuAD-R's 11 languages, batches of 64 sorted by characters are 57 %
real tokens, sorted by tokens 97 %; padding never changes a vector (attention masks it).

``--backend torch`` (default) runs the sentence-transformers model itself. ``--quantize int8`` replaces
every linear layer of the transformer with torchao's int8 dynamic quantization (weights per output
channel; activations per token, at run time; ``Int8DynamicActivationInt8WeightConfig``) and compiles the
transformer with ``torch.compile`` (once per process, about a minute; without compiling int8 is slower
than fp32 here). Per-token activation scales keep one outlier token from flattening a whole batch: on 600
XQuAD-R sentences the vectors stay within cosine 0.998 of fp32 (mean 0.9991), where per-tensor dynamic
int8 (torch's ``quantize_dynamic``, the scheme of ONNX Runtime's ``quantize_dynamic``) falls to 0.963
(mean 0.978); ``benchmarks/results/eval_xquad_r.md`` has the speed and the metrics. ``--bf16`` wraps the model in
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
import functools
import hashlib
import logging
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from codeswitch.errors import ConfigError

BACKENDS = ("torch", "onnx", "openvino")
QUANTIZATIONS = ("none", "int8")

#: What ``--backend onnx --quantize int8`` prints (measured: benchmarks/results/int8-cost/int8_cost.md).
ONNX_INT8_WARNING = ("warning: --backend onnx --quantize int8 loses retrieval quality: nDCG@10 -0.048 (ha->en -0.054, "
                     "zu->en -0.043) and MRR@10 -0.052 against fp32 with e5-small on AfriQA (benchmarks/results/"
                     "int8-cost/int8_cost.md); --backend torch --quantize int8: nDCG@10 -0.001 / +0.003 there")

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
    if bf16 and quantize != "none":
        raise ConfigError("--bf16 and --quantize int8 are alternatives: choose one")
    if quantize != "none" and backend == "openvino":
        raise ConfigError("--quantize int8 runs with --backend torch (torchao) or --backend onnx (ONNX Runtime)")
    if (quantize != "none" or bf16 or backend != "torch") and not device.startswith("cpu"):
        raise ConfigError(f"--backend {backend} / --quantize {quantize} / --bf16 are CPU paths; found device "
                          f"{device!r} (use --device cpu, or fp16 on a GPU)")


def token_length_order(model, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
    """Indices of ``texts`` by token count (truncated at the model's maximum length), longest first.

    Ties keep their input order, so the order (and every batch) is the same on every run. Tokenizing
    here costs about 2 % of an fp32 encoding (3 s of 172 s on XQuAD-R, ``benchmarks/results/eval_xquad_r.md``).
    """
    tokenizer = getattr(model, "tokenizer", None)
    if callable(tokenizer):  # in chunks: only the lengths are kept, never all token ids of a large block
        lengths, chunks = [], range(0, len(texts), 2048)
        for i in tqdm(chunks, desc="tokenise", unit="chunk", disable=not show_progress or len(chunks) < 4):
            ids = tokenizer(list(texts[i:i + 2048]), truncation=True, max_length=model.max_seq_length or None)
            lengths.extend(len(x) for x in ids["input_ids"])
    else:  # a model without a callable tokenizer: characters are the next best proxy
        lengths = [len(t) for t in texts]
    return np.argsort([-n for n in lengths], kind="stable")


def batches_in_length_order(model, texts: Sequence[str], batch_size: int, prefix: str = "", show_progress=False):
    """(order, batches): ``texts`` in the :func:`token_length_order` of ``prefix + text``, in batches.

    A final batch of one text joins the batch before it: ``torch.compile`` specialises on size-1
    dimensions and would compile the int8 model a second time for it.
    """
    order = token_length_order(model, [prefix + t for t in texts], show_progress)
    cuts = list(range(0, len(texts), batch_size)) + [len(texts)]
    if len(cuts) > 2 and cuts[-1] - cuts[-2] == 1:
        cuts.pop(-2)
    return order, [[texts[i] for i in order[a:b]] for a, b in zip(cuts, cuts[1:], strict=False)]


def in_input_order(parts: list[np.ndarray], order: np.ndarray) -> np.ndarray:
    """Embeddings computed in ``order`` (one array per batch), put back in input order."""
    out = np.concatenate(parts)
    restored = np.empty_like(out)
    restored[order] = out
    return restored


def quantize_int8(model) -> None:
    """Int8 dynamic quantization (torchao) of ``model``'s transformer, compiled with ``torch.compile``."""
    import torch

    # torchao's import logs the CUDA-only kernels a CPU build cannot load, and torch a deprecation of
    # torchao's enum registration: neither concerns int8 on CPU
    quiet = [logging.getLogger(n) for n in ("torchao", "torch.utils._pytree")]
    levels = [q.level for q in quiet]
    for q in quiet:
        q.setLevel(logging.ERROR)
    try:
        from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_
    except ImportError:
        raise ConfigError('--quantize int8 with --backend torch needs torchao: pip install "codeswitch[eval]" '
                          "(or use --backend onnx)") from None
    finally:
        for q, level in zip(quiet, levels, strict=True):
            q.setLevel(level)
    word = model[0]
    quantize_(word.auto_model, Int8DynamicActivationInt8WeightConfig())
    # sentence-transformers >= 6 keeps the transformer in ``.model`` (``auto_model`` is a read-only alias)
    slot = "model" if isinstance(getattr(type(word), "auto_model", None), property) else "auto_model"
    setattr(word, slot, torch.compile(getattr(word, slot), dynamic=True))


def first_compiled_call(run: Callable):
    """``run()``, the call that compiles the int8 model: say so first, and turn a missing compiler into one line."""
    tqdm.write("compiling the int8 model (once per process, about a minute on 2 cores)", file=sys.stderr)
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - torch.compile's errors come from deep inside inductor
        if "Compiler" not in type(exc).__name__ and "compiler" not in str(exc).lower():
            raise
        raise ConfigError(f"--quantize int8 compiles the model with torch.compile, which failed "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); on CPU it needs "
                          "a C++ compiler (g++): install one, or use --backend onnx --quantize int8") from None


def torch_encoder(model, bf16: bool, quantize: str = "none") -> EncodeFn:
    """The sentence-transformers model itself, in token-length batches; optionally int8 or bf16 autocast."""
    import torch

    if quantize == "int8":
        quantize_int8(model)
    to_compile = quantize == "int8"  # the first batch compiles


    def encode(texts, prefix, batch_size, normalize, show_progress):
        nonlocal to_compile
        order, batches = batches_in_length_order(model, texts, batch_size, prefix, show_progress)
        parts = []
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        bar = tqdm(total=len(texts), desc="encode", unit="text", disable=not show_progress)
        with ctx, bar:
            for batch in batches:
                run = functools.partial(model.encode, batch, prompt=prefix or None, batch_size=len(batch),
                                        show_progress_bar=False, convert_to_numpy=False, convert_to_tensor=True,
                                        normalize_embeddings=normalize)
                emb = first_compiled_call(run) if to_compile else run()
                to_compile = False
                parts.append(emb.float().cpu().numpy())
                bar.update(len(batch))
        return in_input_order(parts, order)

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
    if quantize == "int8":  # per-tensor activation scales: measured lossy on cross-lingual sets
        tqdm.write(ONNX_INT8_WARNING, file=sys.stderr)
    path = export_onnx(model, root / _export_key(model, fingerprint, quantize), quantize)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = _input_names(model)
    tail = list(model)[1:]

    def encode(texts, prefix, batch_size, normalize, show_progress):
        order, batches = batches_in_length_order(model, [prefix + t for t in texts], batch_size, "", show_progress)
        parts = []
        bar = tqdm(total=len(texts), desc="encode (onnx)", unit="text", disable=not show_progress)
        for batch in batches:
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
            bar.update(len(batch))
        bar.close()
        return in_input_order(parts, order)

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
