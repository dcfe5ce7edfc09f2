from __future__ import annotations

import json
import shutil

from evaluation.encoding.dense import DenseEncoder, EncoderConfig


def _copy(tiny_xlmr, dest, prompts=None):
    shutil.copytree(tiny_xlmr, dest)
    cfg = dest / "config_sentence_transformers.json"
    data = json.loads(cfg.read_text(encoding="utf-8"))
    if prompts is not None:
        data["prompts"] = prompts
    cfg.write_text(json.dumps(data), encoding="utf-8")
    return dest


def test_e5_gets_its_prefixes_despite_empty_saved_prompts(tiny_xlmr, tmp_path):
    # sentence-transformers >= 6 saves {"query": "", "document": ""} on every model: that is "not set"
    model = _copy(tiny_xlmr, tmp_path / "multilingual-e5-tiny", {"query": "", "document": ""})
    enc = DenseEncoder(EncoderConfig(model=str(model), device="cpu"))
    assert enc.model.prompts.get("query") == ""  # the placeholder is really there
    assert (enc.query_prefix, enc.passage_prefix) == ("query: ", "passage: ")
    # an explicit empty prefix still switches them off
    off = DenseEncoder(EncoderConfig(model=str(model), query_prefix="", passage_prefix="", device="cpu"))
    assert (off.query_prefix, off.passage_prefix) == ("", "")
    plain = DenseEncoder(EncoderConfig(model=str(tiny_xlmr), device="cpu"))
    assert (plain.query_prefix, plain.passage_prefix) == ("", "")


def test_real_saved_prompts_are_kept(tiny_xlmr, tmp_path):
    model = _copy(tiny_xlmr, tmp_path / "e5-with-prompts", {"query": "Q> ", "document": "D> "})
    enc = DenseEncoder(EncoderConfig(model=str(model), device="cpu"))
    assert (enc.query_prefix, enc.passage_prefix) == ("Q> ", "D> ")
