"""BM25 baseline over bm25s, with language-aware tokenization from :mod:`codeswitch.tokenize`.

Text is split with ``codeswitch.tokenize.tokenize(text, lang)`` (script-aware: Thai, Chinese,
Japanese and Korean are segmented there), punctuation dropped, lower-cased. Scoring is bm25s'
Lucene variant with Pyserini's MIRACL defaults ``k1=0.9, b=0.4``. Lucene's per-language analyzers
(stemming, stopwords) are not reproduced, so scores near but not equal to Pyserini's BM25 rows are
expected.

Two ways to score: :class:`BM25Index` (bm25s; the whole collection in memory, used for the small
LAReQA pools) and :func:`stream_search` (a large corpus streamed shard by shard in two passes:
document frequencies of the query terms and the mean length first, then each shard scored and
merged into a running top k -- Lucene's formula as bm25s computes it, so both give the same scores).
Lucene BM25: ``idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))``, a term's weight in a document
``idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))`` (no ``k1 + 1`` factor), a query term repeated
counts each time. Every weight is positive, so a document matches iff its score is > 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
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


def _ranked_merge(rows: list[tuple[str, float]], k: int) -> list[tuple[str, float]]:
    return sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)[:k]


def stream_search(queries: dict[str, str], lang: str, shards: Callable[[], Iterable[tuple[list[str], list[str]]]],
                  k: int, config: BM25Config = BM25Config(), passage_lang: str | None = None
                  ) -> dict[str, dict[str, float]]:
    """Top ``k`` matching documents per query over a corpus given as a re-iterable stream of shards.

    Queries are analysed in ``lang``, passages in ``passage_lang`` (default: ``lang``; a cross-lingual
    collection has two).

    ``shards()`` must yield the same ``(docids, texts)`` shards each time it is called (it is read
    twice). Memory: one shard's tokens and weights plus ``k`` hits per query -- not the corpus.
    Results are ordered by score descending, then docid descending (trec_eval); documents without
    a query term are never returned (a query with no word token gets an empty run).
    """
    from scipy import sparse

    plang = passage_lang or lang
    q_tokens = {qid: analyze(text, lang) for qid, text in queries.items()}
    vocab = {t: i for i, t in enumerate(sorted({t for toks in q_tokens.values() for t in toks}))}
    qids = list(queries)
    q_rows, q_cols = [], []
    for row, qid in enumerate(qids):
        for t in q_tokens[qid]:
            q_rows.append(row)
            q_cols.append(vocab[t])
    q_mat = sparse.csr_matrix((np.ones(len(q_rows), dtype=np.float32), (q_rows, q_cols)),
                              shape=(len(qids), len(vocab)))
    n_docs, total_len = 0, 0
    df = np.zeros(len(vocab), dtype=np.int64)
    for _, texts in shards():  # pass 1: N, mean length, document frequency of the query terms
        for text in texts:
            tokens = analyze(text, plang)
            n_docs += 1
            total_len += len(tokens)
            for t in set(tokens):
                if t in vocab:
                    df[vocab[t]] += 1
        del texts
    best: dict[str, list[tuple[str, float]]] = {qid: [] for qid in qids}
    if n_docs == 0 or not vocab:
        return {qid: {} for qid in qids}
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    avgdl = total_len / n_docs
    for docids, texts in shards():  # pass 2: score each shard, merge into the running top k
        rows, cols, vals = [], [], []
        for row, text in enumerate(texts):
            tokens = analyze(text, plang)
            norm = config.k1 * (1 - config.b + config.b * len(tokens) / avgdl)
            for t, tf in Counter(t for t in tokens if t in vocab).items():
                rows.append(row)
                cols.append(vocab[t])
                vals.append(np.float32(idf[vocab[t]] * tf / (tf + norm)))
        weights = sparse.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                                    shape=(len(texts), len(vocab)))
        scores = (q_mat @ weights.T).tocsr()
        for row, qid in enumerate(qids):
            start, end = scores.indptr[row], scores.indptr[row + 1]
            hits = [(docids[j], float(v)) for j, v in zip(scores.indices[start:end], scores.data[start:end],
                                                          strict=True) if v > 0]
            if hits:
                best[qid] = _ranked_merge(best[qid] + _ranked_merge(hits, k), k)
        del docids, texts, rows, cols, vals, weights, scores  # before the next shard is read
    return {qid: dict(rows) for qid, rows in best.items()}
