"""Training data: Example records -> text columns for the loss plus per-row bookkeeping for the sampler.

The ``datasets.Dataset`` handed to the trainer holds only text columns, in the order the contrastive
loss reads them: ``query``, ``passage``, then ``negative_1..k`` (sentence-transformers treats every
column as a text input). The bookkeeping (``pair_id``, languages, ``kind``) stays in :class:`TrainData`,
aligned by row, and feeds :class:`training.sampler.HybridBatchSampler` and the statistics.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.example_io import iter_examples


@dataclass
class TrainData:
    """Column-oriented records; row ``i`` of every list is one Example."""

    ids: list[str] = field(default_factory=list)
    pair_ids: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)
    query_langs: list[str] = field(default_factory=list)
    passage_langs: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    negatives: list[tuple[str, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, rows: np.ndarray | list[int]) -> TrainData:
        """The rows ``rows`` (in that order) as a new :class:`TrainData`."""
        rows = [int(r) for r in rows]
        return TrainData(**{name: [getattr(self, name)[r] for r in rows] for name in self.__dataclass_fields__})

    def to_dataset(self, hard_negatives: int = 0):
        """A ``datasets.Dataset`` with columns ``query``, ``passage`` and ``negative_1..hard_negatives``."""
        import datasets

        cols: dict[str, list[str]] = {"query": self.queries, "passage": self.passages}
        for j in range(hard_negatives):
            cols[f"negative_{j + 1}"] = [negs[j] for negs in self.negatives]
        return datasets.Dataset.from_dict(cols)

    def stats(self) -> dict:
        """Counts by kind, language pair, mono/cross pool and distinct ``pair_id`` (JSON-ready)."""
        pools: Counter[str] = Counter()
        pairs = [f"{q}-{p}" for q, p in zip(self.query_langs, self.passage_langs, strict=True)]
        for q, p in zip(self.query_langs, self.passage_langs, strict=True):
            pools[f"mono:{q}" if q == p else "cross"] += 1
        return {
            "records": len(self),
            "distinct_pair_ids": len(set(self.pair_ids)),
            "by_kind": dict(sorted(Counter(self.kinds).items())),
            "by_language_pair": dict(sorted(Counter(pairs).items())),
            "sampler_pools": dict(sorted(pools.items())),
            "with_negatives": sum(1 for n in self.negatives if n),
        }


def load_train_data(path: str | Path, hard_negatives: int = 0) -> TrainData:
    """Read and validate Example records (JSONL, Parquet or ``save_to_disk`` dir) into a :class:`TrainData`.

    Raises:
        DataFormatError: a malformed record (file and line named), an empty file, or a record with fewer
            than ``hard_negatives`` negatives.
    """
    data = TrainData()
    seen: set[str] = set()
    for n, ex in enumerate(iter_examples(path), start=1):
        if ex.id in seen:
            raise DataFormatError(f"record {n}: duplicate id {ex.id!r}; ids must be unique", path)
        seen.add(ex.id)
        if len(ex.negatives) < hard_negatives:
            raise DataFormatError(
                f"record {n} (id {ex.id!r}) has {len(ex.negatives)} negatives but --hard-negatives "
                f"{hard_negatives} needs that many in every record; lower --hard-negatives or mine negatives",
                path,
            )
        data.ids.append(ex.id)
        data.pair_ids.append(ex.pair_id)
        data.queries.append(ex.query)
        data.passages.append(ex.passage)
        data.query_langs.append(ex.query_lang)
        data.passage_langs.append(ex.passage_lang)
        data.kinds.append(ex.kind)
        data.negatives.append(ex.negatives)
    if not len(data):
        raise DataFormatError("no records; pass a file written by `codeswitch generate`", path)
    return data


def split_by_pair(data: TrainData, val_fraction: float, seed: int) -> tuple[TrainData, TrainData | None]:
    """Hold out ``val_fraction`` of the distinct ``pair_id`` values (all their records) for validation.

    Splitting by ``pair_id`` keeps every translation of a held-out pair out of training. The chosen
    pair_ids are a seeded permutation prefix, so the split depends only on (data, fraction, seed).
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ConfigError(f"--val-fraction must be in [0, 1), found {val_fraction}")
    if val_fraction == 0.0:
        return data, None
    distinct = sorted(set(data.pair_ids))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7919]))
    n_val = max(1, round(len(distinct) * val_fraction))
    held = set(rng.permutation(np.array(distinct, dtype=object))[:n_val].tolist())
    train_rows = [i for i, p in enumerate(data.pair_ids) if p not in held]
    val_rows = [i for i, p in enumerate(data.pair_ids) if p in held]
    if not train_rows:
        raise ConfigError(f"--val-fraction {val_fraction} leaves no training records; lower it")
    return data.subset(train_rows), data.subset(val_rows)
