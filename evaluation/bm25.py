"""BM25 baseline over bm25s, with language-aware tokenization from :mod:`codeswitch.tokenize`.

Text is split with ``codeswitch.tokenize.tokenize(text, lang)`` (script-aware: Thai, Chinese,
Japanese and Korean are segmented there), punctuation dropped, lower-cased. Scoring is bm25s'
Lucene variant with Pyserini's MIRACL defaults ``k1=0.9, b=0.4``. Lucene's per-language analyzers
(stemming, stopwords) are not reproduced, so scores near but not equal to Pyserini's BM25 rows are
expected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from codeswitch.tokenize import tokenize


@dataclass(frozen=True)
class BM25Config:
    """BM25 parameters (Pyserini's MIRACL settings by default)."""

    k1: float = 0.9
    b: float = 0.4
    method: str = "lucene"


def analyze(text: str, lang: str) -> list[str]:
    """Lower-cased word tokens of ``text`` in ``lang`` (punctuation dropped)."""
    return [t.text.lower() for t in tokenize(text, lang) if t.is_word]


class BM25Index:
    """A bm25s index over documents, each tokenized in its own language."""

    def __init__(self, texts: Sequence[str], langs: Sequence[str], config: BM25Config = BM25Config()) -> None:
        import bm25s

        self.config = config
        self.size = len(texts)
        self._bm25 = bm25s.BM25(k1=config.k1, b=config.b, method=config.method)
        self._bm25.index([analyze(t, lang) for t, lang in zip(texts, langs, strict=True)], show_progress=False)

    def scores(self, query: str, lang: str) -> np.ndarray:
        """float32 BM25 score of every document for ``query`` (zeros if it has no word token)."""
        tokens = analyze(query, lang)
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def score_many(self, queries: Sequence[str], langs: Sequence[str]) -> np.ndarray:
        """``(len(queries), size)`` float32 scores."""
        out = np.zeros((len(queries), self.size), dtype=np.float32)
        for i, (q, lang) in enumerate(zip(queries, langs, strict=True)):
            out[i] = self.scores(q, lang)
        return out
