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
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from codeswitch.errors import DataFormatError
from evaluation.bm25 import BM25Config, BM25Index, stream_search
from evaluation.datasets import RetrievalTask
from evaluation.encoders import DenseEncoder
from evaluation.lareqa import LareqaPool, Question
from evaluation.lareqa_eval import Scorer
from evaluation.search import DenseIndex, IndexConfig
from evaluation.trec_io import Run


def _docid_hashes(docids: list[str]) -> np.ndarray:
    return np.array([int.from_bytes(hashlib.blake2b(d.encode(), digest_size=8).digest(), "little")
                     for d in docids], dtype=np.uint64)


# how a retrieval passage becomes the text that is embedded / indexed (``--passage-text``)
PASSAGE_TEXTS = {"title+text": "title + ' ' + text", "text": "text"}


def passage_string(title: str, text: str, passage_text: str = "title+text") -> str:
    """``title + " " + text`` (MIRACL's and BEIR's convention; the text alone without a title) or the text.

    ``passage_text`` is a key of :data:`PASSAGE_TEXTS` (checked once per corpus by :func:`iter_corpus_shards`).
    """
    return f"{title} {text}" if title and passage_text == "title+text" else text


def iter_corpus_shards(task: RetrievalTask, shard_size: int,
                       passage_text: str = "title+text") -> Iterator[tuple[list[str], list[str]]]:
    """Stream a task's corpus as ``(docids, texts)`` shards of at most ``shard_size`` passages.

    Texts are ``title + " " + text``, or the text alone with ``passage_text="text"``. Only one shard of
    texts is ever held; what is kept across shards is an 8-byte hash per docid (to find a docid that
    appears twice) and the relevant docids of the qrels (to raise, after the last shard, if the corpus
    lacks some of them).
    """
    if passage_text not in PASSAGE_TEXTS:
        raise ValueError(f"passage_text must be one of {', '.join(PASSAGE_TEXTS)}, got {passage_text!r}")
    needed = {d for judged in task.qrels.values() for d, g in judged.items() if g >= 1}
    found: set[str] = set()
    seen = np.zeros(0, dtype=np.uint64)  # sorted hashes of the docids of earlier shards

    def check(docids: list[str]) -> np.ndarray:
        h = _docid_hashes(docids)
        order = np.argsort(h, kind="stable")
        dup_in = np.flatnonzero(h[order][1:] == h[order][:-1])
        dup = order[dup_in[0] + 1] if len(dup_in) else None
        prev = np.flatnonzero(np.isin(h, seen))
        if len(prev) and (dup is None or prev[0] < dup):
            dup = prev[0]
        if dup is not None:
            raise DataFormatError(f"corpus of {task.dataset_id}: docid {docids[dup]!r} appears twice",
                                  task.corpus_files[0])
        return np.sort(np.concatenate([seen, h]))

    docids: list[str] = []
    texts: list[str] = []
    for docid, title, text in tqdm(task.iter_corpus(), desc=f"{task.dataset_id} corpus", unit=" docs"):
        docids.append(docid)
        texts.append(passage_string(title, text, passage_text))
        if docid in needed:
            found.add(docid)
        if len(docids) == shard_size:
            seen = check(docids)
            yield docids, texts
            docids, texts = [], []
    if docids:
        seen = check(docids)
        yield docids, texts
    missing = sorted(needed - found)
    if missing:
        raise DataFormatError(
            f"corpus of {task.dataset_id} lacks {len(missing)} of the {len(needed)} relevant documents named in "
            f"the qrels (e.g. {', '.join(missing[:3])}); use the matching corpus version/language",
            task.corpus_files[0])


def load_corpus(task: RetrievalTask) -> tuple[list[str], list[str]]:
    """Docids and ``title + " " + text`` of a task's whole corpus (in memory); errors as :func:`iter_corpus_shards`."""
    docids: list[str] = []
    texts: list[str] = []
    for ids, txt in iter_corpus_shards(task, 1 << 62):
        docids.extend(ids)
        texts.extend(txt)
    return docids, texts


def corpus_checksum(files: tuple[Path, ...]) -> str:
    """sha256 over the names and bytes of the corpus files (part of an on-disk index's key).

    A folder (a BEIR collection) counts with every file below it; a source that is no path on disk
    (an ``irds:`` id, whose corpus ir_datasets versions by id) counts by its name.
    """
    h = hashlib.sha256()
    for source in files:
        source = Path(source)
        parts = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        for f in parts:
            if not f.is_file():  # an id (irds:beir/scifact/test): the whole id, not its last part
                h.update(str(source).encode() + b"\0")
                continue
            h.update(str(f.relative_to(source) if source.is_dir() else f.name).encode() + b"\0")
            with open(f, "rb") as fh:
                for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()


class BM25Model:
    """The lexical baseline."""

    name = "bm25"

    def __init__(self, config: BM25Config = BM25Config(), shard_size: int = 2_000_000,
                 passage_text: str = "title+text") -> None:
        self.config, self.shard_size, self.passage_text = config, shard_size, passage_text
        self.settings = {"bm25_k1": config.k1, "bm25_b": config.b, "passage_text": passage_text}

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
        """Top ``k`` matching documents per topic; the corpus is streamed twice, ``shard_size`` passages at a time.

        A cross-lingual collection (:mod:`evaluation.collection`) analyses each side in its own language.
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

    def index_key(self, task: RetrievalTask) -> str:
        """What an on-disk index of ``task`` is keyed by: everything that changes a vector or the index.

        The encoder fingerprint (model files, resolved prefixes, pooling, normalisation, max length,
        fp16), the index kind and shard size, the passage text rule and a checksum of the corpus files.
        """
        parts = {"encoder": self.encoder.fingerprint, "index": asdict(self.index_config),
                 "passage_text": PASSAGE_TEXTS[self.passage_text], "corpus": corpus_checksum(task.corpus_files)}
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def retrieve(self, task: RetrievalTask, k: int, index_dir: Path | None = None) -> Run:
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
                print(f"note: {index_dir} holds an incomplete index (interrupted build); rebuilding it",
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
