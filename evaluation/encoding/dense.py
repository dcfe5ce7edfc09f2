"""Dense encoders: any sentence-transformers / Hugging Face model by hub id or local path.

Prefixes (as in training) are resolved in this order: the explicit ``query_prefix`` /
``passage_prefix``; the ``query_prefix`` / ``passage_prefix`` keys of a ``train_config.json`` saved
by ``codeswitch train`` in the model dir; the model's own sentence-transformers prompts named
``query`` and ``passage`` (or ``document``) when non-empty (sentence-transformers >= 6 saves ``""``
placeholders on every model, which count as "not set"); ``"query: "`` / ``"passage: "`` for E5 models (name
contains ``e5``); otherwise none. Pooling is the model's own unless ``pooling`` overrides it
(``mean``, ``cls``, ``max``, ``lasttoken``); embeddings are L2-normalised unless ``normalize`` is
off (so inner product = cosine). CUDA and fp16 are used when available. Embeddings of a text list
are cached on disk under ``cache_dir`` keyed by the model fingerprint, the settings and the texts;
a damaged cache file (truncated, or another row count than its texts) is re-encoded with a note
(:func:`read_cached`), never used.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.options import check_model_dir

POOLINGS = ("mean", "cls", "max", "lasttoken")
CACHE_BLOCK = 50_000  # texts per embedding-cache file: the most an interrupted encoding loses


@dataclass(frozen=True)
class EncoderConfig:
    """How a dense model is loaded and applied (saved beside the results)."""

    model: str
    query_prefix: str | None = None
    passage_prefix: str | None = None
    pooling: str | None = None
    normalize: bool = True
    max_length: int | None = None
    batch_size: int = 64
    device: str | None = None
    fp16: bool | None = None
    backend: str = "torch"
    quantize: str = "none"
    bf16: bool = False


def _fingerprint(model: str) -> str:
    path = Path(model)
    if path.exists():
        parts = [str(path.resolve())]
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            st = f.stat()
            parts.append(f"{f.relative_to(path)}:{st.st_size}:{st.st_mtime_ns}")
        return "\n".join(parts)
    return f"hub:{model}"


def _train_prefixes(model: str) -> tuple[str | None, str | None]:
    cfg = Path(model) / "train_config.json"
    if cfg.is_file():
        try:
            data = json.loads(cfg.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return None, None
        return data.get("query_prefix"), data.get("passage_prefix")
    return None, None


def transformer_with_pooling(model: str, pooling: str, max_length: int | None = None) -> list:
    """A sentence-transformers Transformer module for ``model`` followed by a ``pooling`` Pooling module.

    Uses ``sentence_transformers.sentence_transformer.modules`` (v6+) and falls back to the older
    ``sentence_transformers.models``, whose module names v6 deprecates.
    """
    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Pooling, Transformer
    word = Transformer(model, max_seq_length=max_length)
    dim = getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension
    return [word, Pooling(dim(), pooling_mode=pooling)]


def resolve_prefixes(config: EncoderConfig, prompts: dict | None,
                     train: tuple[str | None, str | None] = (None, None)) -> tuple[str, str]:
    """The (query, passage) prefixes for ``config``, in the order of the module docstring.

    An explicit prefix (even ``""``) and a ``train_config.json`` prefix are taken as given. A model
    prompt counts only when it is non-empty: sentence-transformers >= 6 fills ``prompts`` with ``""``
    for ``query`` and ``document`` on every model, and that placeholder must not hide the E5 fallback.
    """
    prompts = {k: v for k, v in (prompts or {}).items() if v}
    e5 = "e5" in Path(config.model).name.lower() or "e5" in config.model.lower()
    query = next(p for p in (config.query_prefix, train[0], prompts.get("query"),
                             "query: " if e5 else None, "") if p is not None)
    passage = next(p for p in (config.passage_prefix, train[1], prompts.get("passage"),
                               prompts.get("document"), "passage: " if e5 else None, "") if p is not None)
    return query, passage


class DenseEncoder:
    """A sentence-transformers model with prefixes, pooling, batching, progress and an embedding cache."""

    def __init__(self, config: EncoderConfig, cache_dir: str | Path | None = None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if config.pooling is not None and config.pooling not in POOLINGS:
            raise ConfigError(f"unknown pooling {config.pooling!r}; choose one of {', '.join(POOLINGS)}")
        from evaluation.encoding.backends import check_backend, onnx_encoder, openvino_model, torch_encoder

        device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
        check_backend(config.backend, config.quantize, config.bf16, device)
        check_model_dir(config.model)
        try:
            if config.backend == "openvino":
                self.model = openvino_model(config.model, device)
            elif config.pooling:
                modules = transformer_with_pooling(config.model, config.pooling, config.max_length)
                self.model = SentenceTransformer(modules=modules, device=device)
            else:
                self.model = SentenceTransformer(config.model, device=device)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load model {config.model!r}: {str(exc).splitlines()[0]} "
                              "(give a sentence-transformers/HF hub id or a local model dir)") from None
        if config.max_length:
            self.model.max_seq_length = config.max_length
        if (config.fp16 if config.fp16 is not None else device.startswith("cuda")):
            self.model.half()
        self.config = config
        self.device = device
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        tq, tp = _train_prefixes(config.model)
        self.query_prefix, self.passage_prefix = resolve_prefixes(
            config, getattr(self.model, "prompts", None), (tq, tp))
        settings = asdict(config) | {"query_prefix": self.query_prefix, "passage_prefix": self.passage_prefix}
        settings.pop("batch_size"), settings.pop("device")
        self.fingerprint = hashlib.sha256(
            (_fingerprint(config.model) + json.dumps(settings, sort_keys=True)).encode()).hexdigest()
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._encode_fn = (onnx_encoder(self.model, _fingerprint(config.model), config.quantize, self.cache_dir)
                           if config.backend == "onnx" else torch_encoder(self.model, config.bf16, config.quantize))

    @property
    def settings(self) -> dict:
        """The resolved settings that change a vector (recorded in results and matched by check-scores)."""
        pooling = self.config.pooling
        for module in self.model:
            if type(module).__name__ == "Pooling":
                pooling = getattr(module, "pooling_mode", None) or module.get_config_dict().get("pooling_mode")
        return {"query_prefix": self.query_prefix, "passage_prefix": self.passage_prefix, "pooling": pooling,
                "normalize": self.config.normalize, "max_length": int(self.model.max_seq_length or 0),
                "backend": self.config.backend, "quantize": self.config.quantize, "bf16": self.config.bf16}

    def encode_queries(self, texts: Sequence[str], desc: str = "queries") -> np.ndarray:
        """float32 ``(n, dim)`` embeddings of queries (query prefix applied)."""
        return self._encode(texts, self.query_prefix, desc)

    def encode_passages(self, texts: Sequence[str], desc: str = "passages") -> np.ndarray:
        """float32 ``(n, dim)`` embeddings of passages (passage prefix applied)."""
        return self._encode(texts, self.passage_prefix, desc)

    def _encode(self, texts: Sequence[str], prefix: str, desc: str) -> np.ndarray:
        """Embeddings of ``texts``; with a cache dir, a long list is encoded and cached block by block.

        Blocks of :data:`CACHE_BLOCK` texts are separate cache files, so an encoding of a large
        corpus that is interrupted resumes at the first block not yet on disk.
        """
        if self.cache_dir is None or len(texts) <= CACHE_BLOCK:
            return self._encode_block(texts, prefix, desc)
        blocks = [self._encode_block(texts[i:i + CACHE_BLOCK], prefix, f"{desc} {i}+")
                  for i in range(0, len(texts), CACHE_BLOCK)]
        return np.concatenate(blocks)

    def _encode_block(self, texts: Sequence[str], prefix: str, desc: str) -> np.ndarray:
        path = None
        if self.cache_dir is not None:
            h = hashlib.sha256(prefix.encode())
            for t in texts:
                h.update(hashlib.sha256(t.encode()).digest())
            path = self.cache_dir / self.fingerprint[:16] / f"{h.hexdigest()[:32]}.npy"
            emb = read_cached(path, len(texts), self.dim, self.config.model)
            if emb is not None:
                return emb
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        emb = self._encode_fn(texts, prefix, self.config.batch_size, self.config.normalize,
                              len(texts) > self.config.batch_size)
        emb = np.ascontiguousarray(emb, dtype=np.float32)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp.npy")
            np.save(tmp, emb)
            tmp.replace(path)
        return emb


def read_cached(path: Path, rows: int, dim: int, model: str) -> np.ndarray | None:
    """The cached embeddings at ``path`` if they are whole: float32, ``(rows, dim)``, finite; else None.

    The one reader of the embedding cache. A missing file is a cache miss; a damaged one (truncated,
    not ``.npy``, another row count than the texts it was keyed by, non-finite values) is a miss too,
    with a note on stderr, and is re-encoded and written again -- never used. A float32 matrix of
    another width is an error (:func:`check_dim`): it was built by another model.
    """
    if not path.is_file():
        return None
    emb, problem = None, ""
    try:
        emb = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        problem = f"unreadable, truncated or not .npy ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
    if emb is not None and not isinstance(emb, np.ndarray):  # an .npz archive
        emb.close()
        emb, problem = None, "an .npz archive, not an .npy array"
    if emb is not None:
        if emb.ndim == 2 and emb.dtype == np.float32:
            check_dim(emb.shape[1], dim, path, model)  # another model's vectors: an error, not a re-encode
        if emb.ndim != 2 or emb.dtype != np.float32 or emb.shape[0] != rows:
            problem = f"holds a {emb.dtype} array of shape {emb.shape}, expected float32 ({rows}, {dim})"
        elif not np.isfinite(emb).all():
            problem = "holds non-finite values"
        else:
            return emb
    print(f"note: embedding cache {path}: {problem}; re-encoding it", file=sys.stderr)
    return None


def check_dim(found: int, expected: int, where: str | Path, model: str) -> None:
    """Raise if cached embeddings / an index have another dimension than the encoder's output."""
    if found != expected:
        raise DataFormatError(
            f"dimension mismatch: the cached index/embeddings have dimension {found} but encoder {model!r} "
            f"outputs {expected}; they were built with another model -- delete them or use another cache dir",
            where)
