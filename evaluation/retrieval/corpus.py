"""The corpus path of a retrieval collection: the passage text rule, streamed shards, checksums.

Passages are ``title + " " + text`` (MIRACL's and BEIR's convention; the text alone where there is no
title), or the text alone with ``--passage-text text``; BM25 indexes the same string as a dense encoder
embeds. A corpus is streamed in shards so that only one shard of texts is ever in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from codeswitch.errors import DataFormatError
from evaluation.collections.base import Task


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


def iter_corpus_shards(task: Task, shard_size: int,
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


def load_corpus(task: Task) -> tuple[list[str], list[str]]:
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
