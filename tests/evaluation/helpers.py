"""Small release-format files and a numpy keyword encoder for the evaluation tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

DOCS = [
    ("1#0", "Nairobi", "Nairobi ni mji mkuu wa Kenya"),
    ("1#1", "Nairobi", "Mji huu una watu wengi sana"),
    ("2#0", "Dodoma", "Dodoma ni mji mkuu wa Tanzania"),
    ("3#0", "Simba", "Simba ni mnyama wa porini"),
    ("4#0", "Mlima", "Kilimanjaro ni mlima mrefu Afrika"),
]
TOPICS = {"q1": "mji mkuu wa Kenya", "q2": "mlima mrefu Afrika", "q3": "simba mnyama", "q4": "swali bila majibu"}
QRELS = {"q1": {"1#0": 1, "2#0": 0}, "q2": {"4#0": 1}, "q3": {"3#0": 1, "1#1": 0}}


def write_miracl(root: Path, lang: str = "sw", gz: bool = True, docs=DOCS, qrels=QRELS) -> Path:
    """A MIRACL release-layout directory (anserini topics/qrels + HF corpus dir)."""
    (root / "topics").mkdir(parents=True, exist_ok=True)
    (root / "qrels").mkdir(exist_ok=True)
    (root / "topics" / f"topics.miracl-v1.0-{lang}-dev.tsv").write_text(
        "".join(f"{q}\t{t}\n" for q, t in TOPICS.items()), encoding="utf-8")
    (root / "qrels" / f"qrels.miracl-v1.0-{lang}-dev.tsv").write_text(
        "".join(f"{q} Q0 {d} {g}\n" for q, j in qrels.items() for d, g in j.items()), encoding="utf-8")
    cdir = root / f"miracl-corpus-v1.0-{lang}"
    cdir.mkdir(exist_ok=True)
    lines = "".join(json.dumps({"docid": d, "title": t, "text": x}, ensure_ascii=False) + "\n" for d, t, x in docs)
    if gz:
        with gzip.open(cdir / "docs-0.jsonl.gz", "wt", encoding="utf-8") as fh:
            fh.write(lines)
    else:
        (cdir / "docs-0.jsonl").write_text(lines, encoding="utf-8")
    return root


def lareqa_file(path: Path, lang: str, paragraphs: list[tuple[list[str], list[tuple[str, str, int]]]]) -> None:
    """Write a LAReQA-layout JSON: paragraphs of (sentences, [(xling id, question, answer sentence #)])."""
    data = []
    for sents, qas in paragraphs:
        breaks, pos = [], 0
        for s in sents:
            breaks.append([pos, pos + len(s)])
            pos += len(s) + 1
        data.append({"title": "t", "paragraphs": [{
            "context": " ".join(sents), "sentences": sents, "sentence_breaks": breaks,
            "qas": [{"id": xid, "question": q, "answers": [{"answer_start": breaks[k][0] + 1, "text": "x"}]}
                    for xid, q, k in qas]}]})
    path.write_text(json.dumps({"version": "1", "data": data}, ensure_ascii=False), encoding="utf-8")


class KeywordConfig:
    def __init__(self, model: str) -> None:
        self.model = model


class KeywordEncoder:
    """Bag-of-words hashed into ``dim`` buckets, L2-normalised (numpy only; the ST mock-model trick)."""

    def __init__(self, dim: int = 64, name: str = "keyword") -> None:
        self.dim = dim
        self.config = KeywordConfig(name)
        self.fingerprint = f"keyword-{dim}-{name}"

    def _enc(self, texts) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, sum(map(ord, w)) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    def encode_queries(self, texts, desc: str = "") -> np.ndarray:
        return self._enc(texts)

    def encode_passages(self, texts, desc: str = "") -> np.ndarray:
        return self._enc(texts)
