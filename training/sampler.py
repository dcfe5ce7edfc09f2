"""HybridBatchSampler: mono / cross / hybrid / random batches with no repeated ``pair_id`` in a batch.

Conventions (pure Python + numpy; no torch needed):

* **Pools.** A record goes to the *mono* pool of language ``L`` when ``query_lang == passage_lang == L``
  and to the *cross* pool otherwise. ``kind: codeswitch`` records are assigned the same way, by their
  matrix languages (``query_lang``/``passage_lang``), so an English query with German switches paired
  with an English passage is mono ``en``; with a German passage it is cross.
* **Modes.** ``mono``: every batch comes from one language's mono pool, the language drawn uniformly
  (``language_sampling="uniform"``, the hybrid-batch paper) or in proportion to pool size (``"size"``).
  ``cross``: every batch from the cross pool (every pair has query language != passage language).
  ``hybrid``: per batch, mono with probability ``alpha``, else cross. ``random``: one pool of all records
  (the usual shuffled baseline).
* **pair_id.** Never two records with the same ``pair_id`` in one batch: a record whose ``pair_id`` is
  already in the batch is deferred to the front of its pool's queue for that pool's next batch.
* **Epochs.** An epoch has exactly ``n = floor(E / batch_size)`` full batches, where ``E`` is the number of
  records the mode can use (mono pool for ``mono``, cross pool for ``cross``, all records for ``hybrid``
  and ``random``): as many pairs as one pass over the data. The epoch's random stream is
  ``numpy.random.default_rng(SeedSequence([seed, epoch]))``, so an epoch's batches depend only on
  (data, options, seed, epoch) and :meth:`set_epoch` reseeds.
* **When a pool runs out** (policy ``recycle``): a pool's queue is a random permutation of the pool; when it
  cannot fill the next batch, a fresh permutation is appended and drawing continues. So in ``hybrid`` the
  batch-kind mix follows ``alpha`` whatever the pool sizes, and the pool drawn more often than its share is
  oversampled within the epoch (the count of such refills is reported by :meth:`realised_mix`).
* **Distributed.** Every rank computes the same global batch sequence; rank ``r`` of ``W`` takes global batches
  ``r, r+W, ...`` of the first ``floor(n / W) * W`` (the same split accelerate's ``BatchSamplerShard`` makes
  with ``even_batches=False`` and ``drop_last=True``, which the trainer relies on; pass ``world_size=1``
  there).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from codeswitch.errors import ConfigError

MODES = ("mono", "cross", "hybrid", "random")
LANGUAGE_SAMPLING = ("uniform", "size")


@dataclass(frozen=True, slots=True)
class PlannedBatch:
    """One global batch: its kind (``mono``/``cross``/``random``), its language (mono only) and row indices."""

    kind: str
    lang: str | None
    indices: tuple[int, ...]


class _Pool:
    """A queue over a fixed index set, refilled with a fresh permutation when it runs dry."""

    __slots__ = ("indices", "queue", "refills")

    def __init__(self, indices: np.ndarray) -> None:
        self.indices = indices
        self.queue: deque[int] = deque()
        self.refills = 0

    def take(self, size: int, pair_codes: np.ndarray, rng: np.random.Generator) -> tuple[int, ...]:
        batch: list[int] = []
        seen: set[int] = set()
        deferred: list[int] = []
        while len(batch) < size:
            if not self.queue:
                self.queue.extend(rng.permutation(self.indices).tolist())
                self.refills += 1
            i = self.queue.popleft()
            code = pair_codes[i]
            if code in seen:
                deferred.append(i)
            else:
                seen.add(code)
                batch.append(i)
        self.queue.extendleft(reversed(deferred))
        return tuple(batch)


class HybridBatchSampler:
    """Batch sampler over Example-like rows; usable as a ``torch.utils.data.DataLoader`` ``batch_sampler``.

    Args:
        pair_ids: ``pair_id`` of each row.
        query_langs: ``query_lang`` of each row.
        passage_langs: ``passage_lang`` of each row.
        batch_size: records per batch (per rank); every batch is full.
        mode: one of :data:`MODES`.
        alpha: probability that a ``hybrid`` batch is mono (ignored by other modes).
        language_sampling: ``uniform`` or ``size`` choice of a mono batch's language.
        mono_languages: restrict mono batches to these languages (default: every language with mono rows).
        seed: base seed; epoch ``e`` uses ``SeedSequence([seed, e])``.
        rank: this process's rank.
        world_size: number of processes sharing the global batch sequence.

    Raises:
        ConfigError: bad ``mode``/``alpha``, or a pool the mode needs is empty or has fewer distinct
            ``pair_id`` values than ``batch_size``.
    """

    drop_last = True

    def __init__(
        self,
        pair_ids: Sequence[str],
        query_langs: Sequence[str],
        passage_langs: Sequence[str],
        batch_size: int,
        mode: str = "hybrid",
        alpha: float = 0.5,
        language_sampling: str = "uniform",
        mono_languages: Sequence[str] | None = None,
        seed: int = 13,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(f"--batching must be one of {', '.join(MODES)}, found {mode!r}")
        if not 0.0 <= alpha <= 1.0:
            raise ConfigError(f"--alpha must be in [0, 1], found {alpha}")
        if language_sampling not in LANGUAGE_SAMPLING:
            raise ConfigError(f"--language-sampling must be uniform or size, found {language_sampling!r}")
        if batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, found {batch_size}")
        if not (0 <= rank < world_size):
            raise ConfigError(f"rank {rank} outside world size {world_size}")
        if not (len(pair_ids) == len(query_langs) == len(passage_langs)):
            raise ConfigError("pair_ids, query_langs and passage_langs must have the same length")
        self.batch_size = batch_size
        self.mode = mode
        self.alpha = float(alpha)
        self.language_sampling = language_sampling
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0
        _, codes = np.unique(np.asarray(pair_ids, dtype=object).astype(str), return_inverse=True)
        self.pair_codes = codes.astype(np.int64)
        self.query_langs = list(query_langs)
        self.passage_langs = list(passage_langs)
        q = np.asarray(self.query_langs, dtype=object)
        p = np.asarray(self.passage_langs, dtype=object)
        is_mono = q == p
        self.cross_indices = np.flatnonzero(~is_mono)
        present = sorted(set(q[is_mono].tolist()))
        langs = list(mono_languages) if mono_languages else present
        self.mono_indices = {lang: np.flatnonzero(is_mono & (q == lang)) for lang in langs}
        self.all_indices = np.arange(len(self.pair_codes))
        self._validate()
        sizes = np.array([len(v) for v in self.mono_indices.values()], dtype=float)
        if language_sampling == "size" and sizes.sum() > 0:
            self.language_probs = sizes / sizes.sum()
        else:
            self.language_probs = np.full(len(sizes), 1.0 / max(len(sizes), 1))
        usable = {
            "mono": sum(len(v) for v in self.mono_indices.values()),
            "cross": len(self.cross_indices),
        }.get(mode, len(self.pair_codes))
        self.global_batches = usable // batch_size

    @property
    def needs_mono(self) -> bool:
        return self.mode == "mono" or (self.mode == "hybrid" and self.alpha > 0)

    @property
    def needs_cross(self) -> bool:
        return self.mode == "cross" or (self.mode == "hybrid" and self.alpha < 1)

    def _distinct(self, idx: np.ndarray) -> int:
        return int(len(np.unique(self.pair_codes[idx]))) if len(idx) else 0

    def _validate(self) -> None:
        b = self.batch_size
        fix = "lower --batch-size or add data"
        if self.mode == "random":
            n = self._distinct(self.all_indices)
            if n < b:
                raise ConfigError(f"--batch-size {b} exceeds the {n} distinct pair_ids in the data; {fix}")
        if self.needs_mono:
            if not self.mono_indices:
                raise ConfigError(
                    f"--batching {self.mode} needs mono records (query_lang == passage_lang) but there are none; "
                    "use --batching cross, --alpha 0, or generate mono pairs"
                )
            for lang, idx in self.mono_indices.items():
                if len(idx) == 0:
                    raise ConfigError(
                        f"language group {lang!r} has no mono records but --batching {self.mode} needs it; "
                        "drop it from --mono-languages or generate mono pairs for it"
                    )
                n = self._distinct(idx)
                if n < b:
                    raise ConfigError(
                        f"--batch-size {b} exceeds the {n} distinct pair_ids of mono language {lang!r}; "
                        f"{fix}, or leave {lang!r} out with --mono-languages"
                    )
        if self.needs_cross:
            if len(self.cross_indices) == 0:
                raise ConfigError(
                    f"--batching {self.mode} needs cross records (query_lang != passage_lang) but there are none; "
                    "use --batching mono, --alpha 1, or generate cross pairs"
                )
            n = self._distinct(self.cross_indices)
            if n < b:
                raise ConfigError(f"--batch-size {b} exceeds the {n} distinct pair_ids of cross records; {fix}")

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose batches :meth:`__iter__` yields (the trainer calls this every epoch)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        """Batches this rank yields per epoch."""
        return self.global_batches // self.world_size

    def __iter__(self) -> Iterator[list[int]]:
        limit = len(self) * self.world_size
        for g, batch in enumerate(self.plan(self.epoch)):
            if g >= limit:
                break
            if g % self.world_size == self.rank:
                yield list(batch.indices)

    def plan(self, epoch: int, pools_out: dict[str, _Pool] | None = None) -> Iterator[PlannedBatch]:
        """Yield the epoch's global batch sequence (all ranks), lazily and deterministically."""
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, int(epoch)]))
        pools: dict[str, _Pool] = {} if pools_out is None else pools_out
        langs = list(self.mono_indices)
        for _ in range(self.global_batches):
            if self.mode == "random":
                kind, lang = "random", None
            elif self.mode == "cross" or (self.mode == "hybrid" and rng.random() >= self.alpha):
                kind, lang = "cross", None
            else:
                kind = "mono"
                lang = langs[int(rng.choice(len(langs), p=self.language_probs))] if len(langs) > 1 else langs[0]
            key = f"mono:{lang}" if kind == "mono" else kind
            if key not in pools:
                idx = {"random": self.all_indices, "cross": self.cross_indices}.get(kind)
                pools[key] = _Pool(self.mono_indices[lang] if idx is None else idx)
            yield PlannedBatch(kind, lang, pools[key].take(self.batch_size, self.pair_codes, rng))

    def realised_mix(self, global_batches: int, start_epoch: int = 0) -> dict:
        """Summarise the first ``global_batches`` batches trained from ``start_epoch`` on (replaying the plan).

        Returns a JSON-ready dict: batch counts by kind and by mono language, the realised mono fraction
        (vs ``alpha``), record counts by query/passage language and language pair, and pool refills
        (a pool refilled more than once per epoch was oversampled).
        """
        by_kind: Counter[str] = Counter()
        by_lang: Counter[str] = Counter()
        q_langs: Counter[str] = Counter()
        p_langs: Counter[str] = Counter()
        lang_pairs: Counter[str] = Counter()
        refills: Counter[str] = Counter()
        left, epoch, epochs = global_batches, start_epoch, 0
        per_epoch = len(self) * self.world_size
        while left > 0 and per_epoch > 0:
            pools: dict[str, _Pool] = {}
            for g, batch in enumerate(self.plan(epoch, pools)):
                if g >= per_epoch or left == 0:
                    break
                left -= 1
                by_kind[batch.kind] += 1
                if batch.lang is not None:
                    by_lang[batch.lang] += 1
                for i in batch.indices:
                    q_langs[self.query_langs[i]] += 1
                    p_langs[self.passage_langs[i]] += 1
                    lang_pairs[f"{self.query_langs[i]}-{self.passage_langs[i]}"] += 1
            for key, pool in pools.items():
                refills[key] += pool.refills
            epoch += 1
            epochs += 1
        total = sum(by_kind.values())
        return {
            "mode": self.mode,
            "alpha": self.alpha if self.mode == "hybrid" else None,
            "language_sampling": self.language_sampling,
            "batch_size": self.batch_size,
            "world_size": self.world_size,
            "batches": total,
            "epochs_touched": epochs,
            "batches_by_kind": dict(sorted(by_kind.items())),
            "mono_fraction": (by_kind["mono"] / total) if total else None,
            "mono_batches_by_language": dict(sorted(by_lang.items())),
            "records_by_query_lang": dict(sorted(q_langs.items())),
            "records_by_passage_lang": dict(sorted(p_langs.items())),
            "records_by_language_pair": dict(sorted(lang_pairs.items())),
            "pool_refills": dict(sorted(refills.items())),
        }
