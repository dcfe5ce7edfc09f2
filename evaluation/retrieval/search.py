"""FAISS search over passage embeddings, with trec_eval's tie rule and sharding for large corpora.

Index kinds and the memory each needs for N passages of dimension d (float32):

* ``flat`` (default, exact inner product): 4·d·N bytes -- 203 MB for MIRACL sw (131,924 × 384),
  50 GB for MIRACL en (32.9M × 384), 101 GB at d=768. With ``shard_size`` the corpus is split
  into flat shards searched one after the other and merged exactly; with ``index_dir`` the
  shards (vectors and docids) live on disk and only one is in memory at a time (4·d·shard_size
  bytes). On disk, ``index.json`` is written last and marks the index complete.
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
from evaluation.encoding.dense import check_dim

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
        self._docids: list = []  # docid arrays (in memory) or docid file paths (on disk, read when searched)
        self._sizes: list[int] = []

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
            self._docids.append(self.index_dir / f"shard-{n:05d}.docids")
        else:
            self._shards.append(index)
            self._docids.append(ids)
        self._sizes.append(len(docids))

    def add(self, items: Iterable[tuple[list[str], np.ndarray]]) -> None:
        """Index shards from an iterator of ``(docids, embeddings)``."""
        for docids, emb in items:
            self.add_shard(docids, emb)

    def mark_complete(self, key: str) -> None:
        """Write ``index.json`` -- the completion marker -- once every shard is on disk.

        ``key`` names what the vectors were built from (see ``DenseModel.index_key``); an index
        without this file (a build interrupted after some shards) is never loaded.
        """
        meta = {"complete": True, "key": key, "dim": self.dim, "model": self.model, "shards": len(self._shards),
                "sizes": self._sizes, "config": asdict(self.config)}
        tmp = self.index_dir / "index.json.tmp"
        tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        tmp.replace(self.index_dir / "index.json")

    @classmethod
    def load_complete(cls, index_dir: Path, dim: int, key: str, model: str = "") -> DenseIndex | None:
        """The index saved under ``index_dir`` if it is complete and was built for ``key``, else None.

        Its dimension must equal the encoder's ``dim`` (a mismatch is an error, not a rebuild).
        """
        meta_path = index_dir / "index.json"
        if not meta_path.is_file():
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        check_dim(int(meta["dim"]), dim, meta_path, model)
        shards = [index_dir / f"shard-{n:05d}.faiss" for n in range(int(meta["shards"]))]
        if not meta.get("complete") or meta.get("key") != key or not all(
                p.is_file() and p.with_suffix(".docids").is_file() for p in shards):
            return None
        self = cls(dim, IndexConfig(**meta["config"]), index_dir, model)
        self._shards = shards
        self._docids = [p.with_suffix(".docids") for p in shards]
        self._sizes = [int(n) for n in meta["sizes"]]
        return self

    @property
    def size(self) -> int:
        """Number of indexed passages."""
        return sum(self._sizes)

    # searching --------------------------------------------------------------------------------
    def search(self, queries: np.ndarray, k: int = 1000) -> list[list[tuple[str, float]]]:
        """Top ``k`` ``(docid, score)`` per query, ordered by score desc then docid desc."""
        import faiss

        check_dim(queries.shape[1], self.dim, self.index_dir or "index", self.model)
        q = np.ascontiguousarray(queries, dtype=np.float32)
        pooled: list[list[tuple[str, float]]] = [[] for _ in range(len(q))]
        for shard, ids in zip(self._shards, self._docids, strict=True):
            index = faiss.read_index(str(shard)) if isinstance(shard, Path) else shard
            if isinstance(ids, Path):
                ids = np.array(ids.read_text(encoding="utf-8").splitlines(), dtype=object)
            for qi, (d_row, i_row) in enumerate(zip(*self._search_shard(index, q, k, len(ids)), strict=True)):
                rows = pooled[qi] + [(ids[i], float(s)) for s, i in zip(d_row, i_row, strict=True) if i >= 0]
                pooled[qi] = sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)[:k]
        return pooled

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
