"""Training fixtures: real mono + cross Example records from XQuAD, and a tiny BERT.

The records are built like the generator's parallel pairs: ``pair_id`` = XQuAD question id (shared by
all languages), mono = question in L with its paragraph in L, cross = question in L with the paragraph
in M != L.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeswitch.example_io import write_examples
from codeswitch.records import Example

LANGS = ("en", "de", "es")


def xquad_examples(root: Path, langs=LANGS, n_questions: int = 60, cross: bool = True) -> list[Example]:
    """Mono (and cross) records for the first ``n_questions`` XQuAD questions in ``langs``."""
    items: dict[str, dict[str, tuple[str, str]]] = {}
    order: list[str] = []
    for lang in langs:
        doc = json.loads((root / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        for art in doc["data"]:
            for para in art["paragraphs"]:
                for qa in para["qas"]:
                    if lang == langs[0]:
                        order.append(qa["id"])
                    items.setdefault(qa["id"], {})[lang] = (qa["question"], para["context"])
    out = []
    for qid in order[:n_questions]:
        for lq in langs:
            for lp in langs:
                if lq != lp and not cross:
                    continue
                out.append(Example(
                    id=f"{qid}:{lq}-{lp}", pair_id=qid, query=items[qid][lq][0], passage=items[qid][lp][1],
                    query_lang=lq, passage_lang=lp, kind="mono" if lq == lp else "cross",
                    meta={"source": "xquad"},
                ))
    return out


@pytest.fixture(scope="session")
def xquad_records(shared_data: Path) -> list[Example]:
    """9 records (3 mono + 6 cross) for each of the first 60 XQuAD questions in en/de/es."""
    return xquad_examples(shared_data)


@pytest.fixture(scope="session")
def xquad_jsonl(xquad_records: list[Example], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xquad") / "generated.jsonl"
    write_examples(xquad_records, path)
    return path


@pytest.fixture(scope="session")
def tiny_bert(minilm_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random 2-layer BERT with the real all-MiniLM-L6-v2 WordPiece vocab, as a plain HF directory."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    out = tmp_path_factory.mktemp("tiny_bert") / "model"
    tok = BertTokenizerFast.from_pretrained(str(minilm_path))
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=512)
    BertModel(cfg).save_pretrained(out)
    tok.save_pretrained(out)
    return out
