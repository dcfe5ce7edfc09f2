"""Language bias in a pooled multilingual ranking: the rank distance (hybrid-batch paper, sec. 1b).

For a query whose relevant candidates are parallel (one per language), the rank distance is the
highest minus the lowest 1-based rank among them, in the ranking of the pooled candidates of all
languages (ties broken as in :mod:`evaluation.scoring.metrics`: score descending, docid descending).
It is averaged over the queries of each query language, then macro-averaged over query
languages. Lower is better; 0 means all translations of the answer sit side by side.
"""

from __future__ import annotations

import numpy as np


def rank_distance(ranks: np.ndarray) -> np.ndarray:
    """Per-query ``max rank - min rank`` over relevant candidates (``ranks`` 0-padded, 1-based).

    A query with fewer than two relevant candidates has distance 0.
    """
    ranks = np.asarray(ranks)
    valid = ranks > 0
    hi = np.where(valid, ranks, 0).max(axis=1)
    lo = np.where(valid, ranks, np.iinfo(np.int64).max).min(axis=1)
    return np.where(valid.sum(axis=1) >= 2, hi - lo, 0).astype(np.float64)


def macro_rank_distance(per_lang: dict[str, np.ndarray]) -> tuple[dict[str, float], float]:
    """Mean distance per query language and their unweighted (macro) mean."""
    means = {lang: float(np.mean(d)) if len(d) else 0.0 for lang, d in per_lang.items()}
    return means, (float(np.mean(list(means.values()))) if means else 0.0)
