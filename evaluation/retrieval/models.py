"""Models behind ``codeswitch evaluate``: BM25 and dense encoders, as LAReQA scorers and corpus retrievers.

Both rank with trec_eval's rule (score descending, docid descending); BM25 corpus runs hold only the
documents that match the query (Lucene's behaviour), never zero-score padding. Passages of retrieval
collections are embedded as ``title + " " + text`` (MIRACL's convention), or as the text alone with
``--passage-text text``; BM25 indexes the same string.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from evaluation.collections.base import Task
from evaluation.collections.lareqa import LareqaPool, Question
from evaluation.encoding.dense import DenseEncoder
from evaluation.retrieval.bm25 import BM25Config, BM25Index, analyzer_settings, stream_search
from evaluation.retrieval.corpus import PASSAGE_TEXTS, corpus_checksum, iter_corpus_shards
from evaluation.retrieval.search import DenseIndex, IndexConfig
from evaluation.scoring.lareqa import Scorer
from evaluation.trec_io import Run


class BM25Model:
    """The lexical baseline."""

    name = "bm25"

    def __init__(self, config: BM25Config = BM25Config(), shard_size: int = 2_000_000,
                 passage_text: str = "title+text") -> None:
        self.config, self.shard_size, self.passage_text = config, shard_size, passage_text
        self.settings = {"bm25_k1": config.k1, "bm25_b": config.b, "passage_text": passage_text,
                         **analyzer_settings()}  # the analyser and the th / zh / ja segmenters it will use

    def lareqa_scorer(self, pool: LareqaPool) -> Scorer:
        cache: dict[str | None, BM25Index] = {}

        def score(qs: list[Question], cand_lang: str | None) -> np.ndarray:
            if cand_lang not in cache:
                idx = pool.candidates_of(cand_lang)
                cache[cand_lang] = BM25Index([pool.cand_texts[i] for i in idx], [pool.cand_langs[i] for i in idx],
                                             self.config)
            return cache[cand_lang].score_many([q.text for q in qs], [q.lang for q in qs])

        return score

    def retrieve(self, task: Task, k: int, work_dir: Path | None = None) -> Run:
        """Top ``k`` matching documents per topic; the corpus is streamed twice, ``shard_size`` passages at a time.

        A cross-lingual collection (:mod:`evaluation.collections.base`) analyses each side in its own language.
        """
        qlang, plang = getattr(task, "query_lang", task.lang), getattr(task, "passage_lang", task.lang)
        return stream_search(task.topics, qlang,
                             lambda: iter_corpus_shards(task, self.shard_size, self.passage_text), k, self.config,
                             passage_lang=plang)


class DenseModel:
    """A dense encoder with FAISS search."""

    def __init__(self, encoder: DenseEncoder, index_config: IndexConfig = IndexConfig(),
                 passage_text: str = "title+text") -> None:
        self.encoder, self.index_config, self.passage_text = encoder, index_config, passage_text
        self.name = encoder.config.model
        self.settings = dict(getattr(encoder, "settings", {})) | {"passage_text": passage_text}

    def lareqa_scorer(self, pool: LareqaPool) -> Scorer:
        q_emb = self.encoder.encode_queries([q.text for q in pool.questions], desc=f"{pool.name} questions")
        c_emb = self.encoder.encode_passages(list(pool.cand_texts), desc=f"{pool.name} candidates")
        row = {q.qid: i for i, q in enumerate(pool.questions)}

        def score(qs: list[Question], cand_lang: str | None) -> np.ndarray:
            cand = pool.candidates_of(cand_lang)
            return q_emb[[row[q.qid] for q in qs]] @ c_emb[cand].T

        return score

    def index_key(self, task: Task) -> str:
        """What an on-disk index of ``task`` is keyed by: everything that changes a vector or the index.

        The encoder fingerprint (model files, resolved prefixes, pooling, normalisation, max length,
        fp16), the index kind and shard size, the passage text rule and a checksum of the corpus files.
        """
        parts = {"encoder": self.encoder.fingerprint, "index": asdict(self.index_config),
                 "passage_text": PASSAGE_TEXTS[self.passage_text], "corpus": corpus_checksum(task.corpus_files)}
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def retrieve(self, task: Task, k: int, index_dir: Path | None = None) -> Run:
        """Top ``k`` per topic; with ``index_dir`` the index lives (and is reused) under ``index_dir/<key>``.

        The corpus is streamed shard by shard (``shard_size`` passages): with ``index_dir`` at most one
        shard of texts, embeddings and FAISS index is in memory at a time. An index is reused only
        when its key matches and it was completed; an interrupted one is rebuilt.
        """
        index = None
        if index_dir is not None:
            key = self.index_key(task)
            index_dir = Path(index_dir) / key[:16]
            index = DenseIndex.load_complete(index_dir, self.encoder.dim, key, self.name)
        if index is None:
            if index_dir is not None and index_dir.exists():
                print(f"note: {index_dir} holds no complete, valid index; rebuilding it",
                      file=sys.stderr)
                shutil.rmtree(index_dir)
            index = DenseIndex(self.encoder.dim, self.index_config, index_dir, self.name)
            step = self.index_config.shard_size
            for n, (ids, texts) in enumerate(iter_corpus_shards(task, step, self.passage_text)):
                emb = self.encoder.encode_passages(texts, desc=f"passages {n * step}+")
                del texts  # drop this shard's texts before the next one is read
                index.add_shard(ids, emb)
                del ids, emb
            if index_dir is not None:
                index.mark_complete(key)
        qids = list(task.topics)
        q_emb = self.encoder.encode_queries([task.topics[q] for q in qids], desc=f"{task.dataset_id} queries")
        hits = index.search(q_emb, k)
        return {qid: dict(rows) for qid, rows in zip(qids, hits, strict=True)}
