"""FAISS search over passage embeddings, with trec_eval's tie rule and sharding for large corpora.

Index kinds and the memory each needs for N passages of dimension d (float32):

* ``flat`` (default, exact inner product): 4·d·N bytes -- 203 MB for MIRACL sw (131,924 × 384),
  50 GB for MIRACL en (32.9M × 384), 101 GB at d=768. With ``shard_size`` the corpus is split
  into flat shards searched one after the other and merged exactly; with ``index_dir`` the
  shards (vectors and docids) live on disk and only one is in memory at a time (4·d·shard_size
  bytes). On disk, ``index.json`` is written last and marks the index complete; it records the byte
  size of every shard file, and docids are JSON strings one a line (any id round-trips, U+2028
  and newlines included). :meth:`DenseIndex.load_complete` is the one reader: an index whose
  ``index.json`` is not JSON or lacks a field, whose shard or docids file is missing, truncated or of
  another size, or that an older version wrote, is reported on stderr and rebuilt, never half-used;
  a shard that changes after that check is refused in one line when it is read (:func:`read_docids`,
  :func:`read_shard`).
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
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from codeswitch.errors import ConfigError, DataFormatError
from evaluation.encoding.dense import check_dim

INDEX_KINDS = ("flat", "hnsw", "ivf")
INDEX_FORMAT = 2  # 2: docids as JSON lines and file sizes in index.json (1: plain lines, split on any line break)
_META_FIELDS = {"complete": bool, "key": str, "dim": int, "shards": int, "sizes": list, "config": dict,
                "files": dict}


def write_docids(path: Path, docids: list[str]) -> None:
    """Docids as JSON strings, one a line (ASCII: every id round-trips, whatever characters it holds)."""
    path.write_text("".join(json.dumps(str(d)) + "\n" for d in docids), encoding="ascii")


def _rebuild_hint(path: Path) -> str:
    return f"delete {path.parent} and rerun to rebuild the index"


def read_docids(path: Path, expected: int) -> np.ndarray:
    """The ``expected`` docids written by :func:`write_docids`; anything else is a :class:`DataFormatError`."""
    try:
        lines = path.read_bytes().decode("ascii").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"unreadable docids ({exc}); {_rebuild_hint(path)}", path) from None
    if lines and lines[-1] == "":
        lines.pop()
    ids = []
    for lineno, line in enumerate(lines, 1):
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, str):
            raise DataFormatError(f"not a JSON string docid: {line[:40]!r}; {_rebuild_hint(path)}", path, lineno)
        ids.append(value)
    if len(ids) != expected:
        raise DataFormatError(f"holds {len(ids)} docids but its shard holds {expected} vectors; "
                              f"{_rebuild_hint(path)}", path)
    return np.array(ids, dtype=object)


def read_shard(path: Path, expected: int, dim: int):
    """The FAISS index in ``path``, checked to hold ``expected`` vectors of dimension ``dim``."""
    import faiss

    try:
        index = faiss.read_index(str(path))
    except RuntimeError as exc:
        first = (str(exc).strip().splitlines() or ["?"])[-1]
        raise DataFormatError(f"not a readable FAISS index ({first}); {_rebuild_hint(path)}", path) from None
    if index.ntotal != expected or index.d != dim:
        raise DataFormatError(f"holds {index.ntotal} vectors of dimension {index.d}, expected {expected} of "
                              f"dimension {dim}; {_rebuild_hint(path)}", path)
    return index


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
            write_docids(self.index_dir / f"shard-{n:05d}.docids", docids)
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
        files = {p.name: p.stat().st_size for shard in self._shards for p in (shard, shard.with_suffix(".docids"))}
        meta = {"complete": True, "format": INDEX_FORMAT, "key": key, "dim": self.dim, "model": self.model,
                "shards": len(self._shards), "sizes": self._sizes, "config": asdict(self.config), "files": files}
        tmp = self.index_dir / "index.json.tmp"
        tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        tmp.replace(self.index_dir / "index.json")

    @classmethod
    def load_complete(cls, index_dir: Path, dim: int, key: str, model: str = "") -> DenseIndex | None:
        """The index saved under ``index_dir`` if it is complete, whole and was built for ``key``, else None.

        A damaged index (see the module docstring) is None too, after a note on stderr saying what is
        wrong, so the caller rebuilds it. Its dimension must equal the encoder's ``dim`` (a mismatch
        is an error, not a rebuild).
        """
        meta_path = index_dir / "index.json"
        if not meta_path.is_file():
            return None
        meta, problem = _read_meta(meta_path)
        if meta is not None:
            check_dim(meta["dim"], dim, meta_path, model)
            if not meta["complete"] or meta["key"] != key:
                return None
            problem = _shards_problem(index_dir, meta)
        if problem:
            print(f"note: {problem}; the index is rebuilt", file=sys.stderr)
            return None
        self = cls(dim, IndexConfig(**meta["config"]), index_dir, model)
        self._shards = [index_dir / f"shard-{n:05d}.faiss" for n in range(meta["shards"])]
        self._docids = [p.with_suffix(".docids") for p in self._shards]
        self._sizes = list(meta["sizes"])
        return self

    @property
    def size(self) -> int:
        """Number of indexed passages."""
        return sum(self._sizes)

    # searching --------------------------------------------------------------------------------
    def search(self, queries: np.ndarray, k: int = 1000) -> list[list[tuple[str, float]]]:
        """Top ``k`` ``(docid, score)`` per query, ordered by score desc then docid desc."""
        check_dim(queries.shape[1], self.dim, self.index_dir or "index", self.model)
        q = np.ascontiguousarray(queries, dtype=np.float32)
        pooled: list[list[tuple[str, float]]] = [[] for _ in range(len(q))]
        for shard, ids, size in zip(self._shards, self._docids, self._sizes, strict=True):
            index = read_shard(shard, size, self.dim) if isinstance(shard, Path) else shard
            if isinstance(ids, Path):
                ids = read_docids(ids, size)
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


def _read_meta(path: Path) -> tuple[dict | None, str]:
    """``index.json`` checked field by field: ``(meta, "")`` or ``(None, what is wrong)``."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{path} is not JSON ({exc})"
    if not isinstance(meta, dict):
        return None, f"{path} is not a JSON object"
    if meta.get("format") != INDEX_FORMAT:
        return None, f"{path}: the index was written by an older version (format {meta.get('format', 1)})"
    for name, kind in _META_FIELDS.items():
        value = meta.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            what = {bool: "true or false", str: "a string", int: "an integer", list: "a list", dict: "an object"}[kind]
            return None, f"{path} lacks {name!r} (or it is not {what})"
    sizes = meta["sizes"]
    if len(sizes) != meta["shards"] or not all(isinstance(n, int) and n >= 0 for n in sizes):
        return None, f"{path}: 'sizes' does not list one passage count per shard"
    try:
        config = IndexConfig(**meta["config"])
    except TypeError:
        return None, f"{path}: 'config' is not an index configuration"
    if config.kind not in INDEX_KINDS:
        return None, f"{path}: unknown index kind {config.kind!r}"
    return meta, ""


def _shards_problem(index_dir: Path, meta: dict) -> str:
    """What is wrong with the shard files ``meta`` lists (missing, or not the size written), or ""."""
    for n in range(meta["shards"]):
        for path in (index_dir / f"shard-{n:05d}.faiss", index_dir / f"shard-{n:05d}.docids"):
            want = meta["files"].get(path.name)
            if not isinstance(want, int):
                return f"{index_dir / 'index.json'} does not list {path.name}"
            if not path.is_file():
                return f"{path} is missing"
            have = path.stat().st_size
            if have != want:
                return f"{path} is truncated or damaged ({have} bytes, {want} were written)"
    return ""
