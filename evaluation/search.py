"""FAISS search over passage embeddings, with trec_eval's tie rule and sharding for large corpora.

Index kinds and the memory each needs for N passages of dimension d (float32):

* ``flat`` (default, exact inner product): 4·d·N bytes -- 203 MB for MIRACL sw (131,924 × 384),
  50 GB for MIRACL en (32.9M × 384), 101 GB at d=768. With ``shard_size`` the corpus is split
  into flat shards searched one after the other and merged exactly; with ``index_dir`` the
  shards live on disk and only one is in memory at a time (4·d·shard_size bytes).
* ``hnsw`` (approximate): about 4·d·N + 8·M·N bytes (M=32 links: +256 B per passage).
* ``ivf`` (approximate, IVF-Flat, nlist = 4·sqrt(N) by default): 4·d·N + 8·N bytes; trains on
  up to 100k vectors of the first shard.

Ties: results are ordered by score descending, then docid descending -- trec_eval's rule. For
exact search, when the k-th score ties with the last fetched one, the fetch is widened until the
whole tie group is in, so the top k is the one trec_eval would keep from a full ranking.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from codeswitch.errors import ConfigError
from evaluation.encoders import check_dim

INDEX_KINDS = ("flat", "hnsw", "ivf")


@dataclass(frozen=True)
class IndexConfig:
    """Which FAISS index to build and how to shard it."""

    kind: str = "flat"
    shard_size: int = 2_000_000
    hnsw_m: int = 32
    hnsw_ef_search: int = 256
    ivf_nlist: int | None = None
    ivf_nprobe: int = 32


class DenseIndex:
    """Sharded FAISS index over (docid, embedding) pairs; in memory or on disk under ``index_dir``."""

    def __init__(self, dim: int, config: IndexConfig = IndexConfig(), index_dir: Path | None = None,
                 model: str = "") -> None:
        if config.kind not in INDEX_KINDS:
            raise ConfigError(f"unknown index kind {config.kind!r}; choose one of {', '.join(INDEX_KINDS)}")
        self.dim, self.config, self.index_dir, self.model = dim, config, index_dir, model
        self._shards: list = []  # faiss indexes (in memory) or shard file paths (on disk)
        self._docids: list[np.ndarray] = []

    # building ---------------------------------------------------------------------------------
    def add_shard(self, docids: list[str], emb: np.ndarray) -> None:
        """Index one shard of passages (``emb`` float32 ``(len(docids), dim)``)."""
        import faiss

        check_dim(emb.shape[1], self.dim, self.index_dir or "index", self.model)
        emb = np.ascontiguousarray(emb, dtype=np.float32)
        if self.config.kind == "flat":
            index = faiss.IndexFlatIP(self.dim)
        elif self.config.kind == "hnsw":
            index = faiss.IndexHNSWFlat(self.dim, self.config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = self.config.hnsw_ef_search
        else:
            nlist = self.config.ivf_nlist or max(1, min(len(emb) // 39, int(4 * math.sqrt(len(emb)))))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dim), self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = emb[rng.choice(len(emb), min(len(emb), 100_000), replace=False)]
            index.train(sample)
            index.nprobe = self.config.ivf_nprobe
        index.add(emb)
        ids = np.array(docids, dtype=object)
        if self.index_dir is not None:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            n = len(self._shards)
            faiss.write_index(index, str(self.index_dir / f"shard-{n:05d}.faiss"))
            (self.index_dir / f"shard-{n:05d}.docids").write_text("\n".join(docids) + "\n", encoding="utf-8")
            self._shards.append(self.index_dir / f"shard-{n:05d}.faiss")
            self._write_meta()
        else:
            self._shards.append(index)
        self._docids.append(ids)

    def add(self, items: Iterable[tuple[list[str], np.ndarray]]) -> None:
        """Index shards from an iterator of ``(docids, embeddings)``."""
        for docids, emb in items:
            self.add_shard(docids, emb)

    def _write_meta(self) -> None:
        meta = {"dim": self.dim, "model": self.model, "shards": len(self._shards), "config": asdict(self.config)}
        (self.index_dir / "index.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, index_dir: Path, dim: int, model: str = "") -> DenseIndex:
        """Open an index saved under ``index_dir``; its dimension must equal the encoder's ``dim``."""
        meta = json.loads((index_dir / "index.json").read_text(encoding="utf-8"))
        check_dim(int(meta["dim"]), dim, index_dir / "index.json", model)
        self = cls(dim, IndexConfig(**meta["config"]), index_dir, model)
        for n in range(int(meta["shards"])):
            self._shards.append(index_dir / f"shard-{n:05d}.faiss")
            text = (index_dir / f"shard-{n:05d}.docids").read_text(encoding="utf-8")
            self._docids.append(np.array(text.splitlines(), dtype=object))
        return self

    @property
    def size(self) -> int:
        """Number of indexed passages."""
        return sum(len(d) for d in self._docids)

    # searching --------------------------------------------------------------------------------
    def search(self, queries: np.ndarray, k: int = 1000) -> list[list[tuple[str, float]]]:
        """Top ``k`` ``(docid, score)`` per query, ordered by score desc then docid desc."""
        import faiss

        check_dim(queries.shape[1], self.dim, self.index_dir or "index", self.model)
        q = np.ascontiguousarray(queries, dtype=np.float32)
        pooled: list[list[tuple[str, float]]] = [[] for _ in range(len(q))]
        for shard, ids in zip(self._shards, self._docids, strict=True):
            index = faiss.read_index(str(shard)) if isinstance(shard, Path) else shard
            for qi, (d_row, i_row) in enumerate(zip(*self._search_shard(index, q, k, len(ids)), strict=True)):
                pooled[qi].extend((ids[i], float(s)) for s, i in zip(d_row, i_row, strict=True) if i >= 0)
        return [sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)[:k] for rows in pooled]

    def _search_shard(self, index, q: np.ndarray, k: int, n: int) -> tuple[list, list]:
        fetch = min(n, k + 16)
        scores, idx = index.search(q, fetch)
        out_s, out_i = list(scores), list(idx)
        if self.config.kind != "flat":
            return out_s, out_i
        # widen for queries whose tie group at rank k reaches the fetch boundary
        todo = [i for i in range(len(q)) if fetch < n and k <= fetch and scores[i, k - 1] == scores[i, fetch - 1]]
        width = fetch
        while todo:
            width = min(n, width * 2)
            s2, i2 = index.search(q[todo], width)
            still = []
            for j, qi in enumerate(todo):
                out_s[qi], out_i[qi] = s2[j], i2[j]
                if width < n and s2[j, k - 1] == s2[j, width - 1]:
                    still.append(qi)
            todo = still
        return out_s, out_i
