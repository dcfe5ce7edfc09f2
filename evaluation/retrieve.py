"""Models behind ``codeswitch evaluate``: BM25 and dense encoders, as LAReQA scorers and corpus retrievers.

Both rank with trec_eval's rule (score descending, docid descending). Dense passages of MIRACL and
Mr.TyDi are embedded as ``title + " " + text`` (MIRACL's convention); BM25 indexes the same string.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from codeswitch.errors import DataFormatError
from evaluation.bm25 import BM25Config, BM25Index
from evaluation.datasets import RetrievalTask
from evaluation.encoders import DenseEncoder
from evaluation.lareqa import LareqaPool, Question
from evaluation.lareqa_eval import Scorer
from evaluation.search import DenseIndex, IndexConfig
from evaluation.trec_io import Run


def top_k(scores: np.ndarray, docids: np.ndarray, order_key: np.ndarray, k: int) -> list[tuple[str, float]]:
    """Exact top ``k`` of one full score vector, ties by docid descending (includes the whole tie group)."""
    if len(scores) > k:
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        cand = np.flatnonzero(scores >= kth)
    else:
        cand = np.arange(len(scores))
    order = cand[np.lexsort((-order_key[cand], -scores[cand]))][:k]
    return [(docids[i], float(scores[i])) for i in order]


def _order_key(docids: list[str]) -> np.ndarray:
    key = np.empty(len(docids), dtype=np.int64)
    key[np.argsort(np.array(docids, dtype=object), kind="stable")] = np.arange(len(docids))
    return key


def load_corpus(task: RetrievalTask) -> tuple[list[str], list[str]]:
    """Docids and ``title + " " + text`` of a task's corpus; error if qrels name missing documents."""
    docids, texts, seen = [], [], set()
    for docid, title, text in tqdm(task.iter_corpus(), desc=f"{task.dataset_id} corpus", unit=" docs"):
        if docid in seen:
            raise DataFormatError(f"corpus of {task.dataset_id}: docid {docid!r} appears twice", task.corpus_files[0])
        seen.add(docid)
        docids.append(docid)
        texts.append(f"{title} {text}" if title else text)
    needed = {d for judged in task.qrels.values() for d, g in judged.items() if g >= 1}
    missing = sorted(needed - seen)
    if missing:
        raise DataFormatError(
            f"corpus of {task.dataset_id} lacks {len(missing)} of the {len(needed)} relevant documents named in "
            f"the qrels (e.g. {', '.join(missing[:3])}); use the matching corpus version/language",
            task.corpus_files[0])
    return docids, texts


class BM25Model:
    """The lexical baseline."""

    name = "bm25"

    def __init__(self, config: BM25Config = BM25Config()) -> None:
        self.config = config

    def lareqa_scorer(self, pool: LareqaPool) -> Scorer:
        cache: dict[str | None, BM25Index] = {}

        def score(qs: list[Question], cand_lang: str | None) -> np.ndarray:
            if cand_lang not in cache:
                idx = pool.candidates_of(cand_lang)
                cache[cand_lang] = BM25Index([pool.cand_texts[i] for i in idx], [pool.cand_langs[i] for i in idx],
                                             self.config)
            return cache[cand_lang].score_many([q.text for q in qs], [q.lang for q in qs])

        return score

    def retrieve(self, task: RetrievalTask, k: int, work_dir: Path | None = None) -> Run:
        docids, texts = load_corpus(task)
        # a cross-lingual collection (evaluation.collection) tokenizes each side in its own language
        qlang, plang = getattr(task, "query_lang", task.lang), getattr(task, "passage_lang", task.lang)
        index = BM25Index(texts, [plang] * len(texts), self.config)
        ids, okey = np.array(docids, dtype=object), _order_key(docids)
        return {qid: dict(top_k(index.scores(q, qlang), ids, okey, k))
                for qid, q in tqdm(task.topics.items(), desc=f"{task.dataset_id} BM25", unit=" q")}


class DenseModel:
    """A dense encoder with FAISS search."""

    def __init__(self, encoder: DenseEncoder, index_config: IndexConfig = IndexConfig()) -> None:
        self.encoder, self.index_config = encoder, index_config
        self.name = encoder.config.model

    def lareqa_scorer(self, pool: LareqaPool) -> Scorer:
        q_emb = self.encoder.encode_queries([q.text for q in pool.questions], desc=f"{pool.name} questions")
        c_emb = self.encoder.encode_passages(list(pool.cand_texts), desc=f"{pool.name} candidates")
        row = {q.qid: i for i, q in enumerate(pool.questions)}

        def score(qs: list[Question], cand_lang: str | None) -> np.ndarray:
            cand = pool.candidates_of(cand_lang)
            return q_emb[[row[q.qid] for q in qs]] @ c_emb[cand].T

        return score

    def _shards(self, docids: list[str], texts: list[str]) -> Iterator[tuple[list[str], np.ndarray]]:
        step = self.index_config.shard_size
        for i in range(0, len(docids), step):
            yield docids[i:i + step], self.encoder.encode_passages(texts[i:i + step], desc=f"passages {i}+")

    def retrieve(self, task: RetrievalTask, k: int, index_dir: Path | None = None) -> Run:
        if index_dir is not None and (index_dir / "index.json").is_file():
            index = DenseIndex.load(index_dir, self.encoder.dim, self.name)
        else:
            docids, texts = load_corpus(task)
            index = DenseIndex(self.encoder.dim, self.index_config, index_dir, self.name)
            index.add(self._shards(docids, texts))
        qids = list(task.topics)
        q_emb = self.encoder.encode_queries([task.topics[q] for q in qids], desc=f"{task.dataset_id} queries")
        hits = index.search(q_emb, k)
        return {qid: dict(rows) for qid, rows in zip(qids, hits, strict=True)}
