from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError
from evaluation.evaluate import EvalConfig, evaluate
from evaluation.retrieval.models import DenseModel
from evaluation.trec_io import read_run
from tests.evaluation.helpers import KeywordEncoder, write_miracl


def _run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.mark.parametrize("gz", [True, False])
def test_evaluate_bm25_miracl_release_layout(tmp_path, gz):
    data = write_miracl(tmp_path / "data", gz=gz)
    out = tmp_path / "out"
    r = _run(["evaluate", "--model", "bm25", "--dataset", "miracl/sw/dev", "--data-dir", str(data), "--out", str(out)])
    assert r.exit_code == 0, r.output
    m = json.loads((out / "metrics.json").read_text())["datasets"]["miracl/sw/dev"]["per_lang"]["sw"]
    assert m["n_topics_without_qrels"] == 1 and m["n_queries"] == 3  # q4 has no judgments: counted, not averaged
    assert m["ndcg@10"] == pytest.approx(1.0) and m["mrr@10"] == pytest.approx(1.0)
    for f in ("metrics.csv", "metrics.md", "eval_config.json", "runs/miracl-sw-dev/sw.trec"):
        assert (out / f).is_file(), f
    assert not (out / "miracl-sw-dev.png").exists()  # one language is one bar: no plot
    assert "sw*" in (out / "metrics.md").read_text()
    run = read_run(out / "runs" / "miracl-sw-dev" / "sw.trec")
    assert next(iter(run["q1"])) == "1#0"
    r = _run(["evaluate", "--model", "bm25", "--dataset", "miracl/sw/dev", "--data-dir", str(data), "--out", str(out)])
    assert r.exit_code == 1 and "exists; pass --overwrite" in r.output


def test_bad_inputs_one_line_errors(tmp_path):
    data = write_miracl(tmp_path / "data")
    (data / "qrels" / "qrels.miracl-v1.0-sw-dev.tsv").write_text("q1 Q0 1#0 1\nq2 Q0 4#0\n")
    out = tmp_path / "out"
    r = _run(["evaluate", "--model", "bm25", "--dataset", "miracl/sw/dev", "--data-dir", str(data), "--out", str(out)])
    assert r.exit_code == 1 and r.output.count("\n") == 1
    assert "qrels.miracl-v1.0-sw-dev.tsv:2: expected TREC qrels" in r.output and not out.exists()
    r = _run(["evaluate", "--model", "bm25", "--dataset", "miracl/sw/dv", "--out", str(out)])
    assert r.exit_code == 1 and "did you mean miracl/sw/dev" in r.output
    r = _run(["evaluate", "--model", "bm25", "--dataset", "xquad-r", "--langs", "en,klingon", "--out", str(out)])
    assert r.exit_code == 1 and "language 'klingon' is not in xquad-r" in r.output


def test_dense_corpus_path_and_compare_and_check(tmp_path):
    data = write_miracl(tmp_path / "data")
    cfg = EvalConfig(model="keyword", datasets=("miracl/sw/dev",), data_dir=str(data), depth=3)
    res = evaluate(cfg, tmp_path / "kw", model=DenseModel(KeywordEncoder()))
    sw = res["datasets"]["miracl/sw/dev"]["per_lang"]["sw"]
    assert sw["recall@100"] == 1.0 and sw["n_queries"] == 3
    assert all(len(v) == 3 for v in read_run(tmp_path / "kw" / "runs" / "miracl-sw-dev" / "sw.trec").values())
    # compare: bm25 vs the keyword model (reused from its results dir)
    # (a result is reused only where its eval_config.json matches the comparison's settings: same base config)
    from dataclasses import replace

    from evaluation.compare import compare

    cmp_dir = tmp_path / "cmp"
    (cmp_dir / "keyword").mkdir(parents=True)
    (cmp_dir / "keyword" / "metrics.json").write_text((tmp_path / "kw" / "metrics.json").read_text())
    kw_config = json.loads((tmp_path / "kw" / "eval_config.json").read_text()) | {"model_name": "keyword"}
    (cmp_dir / "keyword" / "eval_config.json").write_text(json.dumps(kw_config))
    compare(["bm25", "keyword"], replace(cfg, model="x"), cmp_dir, baseline="bm25", reuse=True)
    assert json.loads((cmp_dir / "comparison.json").read_text())["columns"]["keyword"]["reused"] is True
    md = (cmp_dir / "comparison.md").read_text()
    assert "## miracl/dev -- ndcg@10" in md and "| model | sw* | avg | low-res avg |" in md
    assert "(+0.0000)" in md or "(-" in md
    assert (cmp_dir / "compare-miracl-dev-ndcg-10.png").is_file()
    # reproduction check: expected scores in a YAML, one figure off
    exp = tmp_path / "exp.yaml"
    exp.write_text("entries:\n  - {model: bm25, dataset: miracl/dev, metric: ndcg@10, values: {sw: 1.0}}\n"
                   "  - {model: keyword, dataset: miracl/dev, metric: recall@100, tolerance: 0.01, values: {sw: 0.5}}\n"
                   "  - {model: paper, dataset: miracl/dev, metric: ndcg@10, reference: true, values: {sw: 0.3}}\n")
    r = CliRunner().invoke(main, ["check-scores", str(cmp_dir), "--expected", str(exp)])
    assert r.exit_code == 1 and "| bm25 | miracl/dev | ndcg@10 | sw | 1.0000 | 1.0000 | +0.0000 |" in r.output
    assert "FAIL" in r.output and "reference" in r.output and "1/2 reproducible figures" in r.output


def test_tiny_xlmr_dense_cache_and_dimension_mismatch(tmp_path, tiny_xlmr):
    data = write_miracl(tmp_path / "data", gz=False)
    args = ["evaluate", "--model", str(tiny_xlmr), "--dataset", "miracl/sw/dev", "--data-dir", str(data),
            "--cache-dir", str(tmp_path / "cache"), "--index-dir", str(tmp_path / "index"), "--depth", "5"]
    r = _run(args + ["--out", str(tmp_path / "o1")])
    assert r.exit_code == 0, r.output
    metas = list((tmp_path / "index" / "miracl-sw-dev").glob("*/index.json"))
    assert list((tmp_path / "cache").rglob("*.npy")) and len(metas) == 1
    r2 = _run(args + ["--out", str(tmp_path / "o2")])  # cached embeddings + saved index: same run
    assert (tmp_path / "o1" / "runs" / "miracl-sw-dev" / "sw.trec").read_text() == \
        (tmp_path / "o2" / "runs" / "miracl-sw-dev" / "sw.trec").read_text() and r2.exit_code == 0
    meta = metas[0]
    meta.write_text(meta.read_text().replace('"dim": 32', '"dim": 48').replace('"dim": 64', '"dim": 48'))
    r3 = CliRunner().invoke(main, args + ["--out", str(tmp_path / "o3")])
    assert r3.exit_code == 1 and "dimension mismatch" in r3.output and "has dimension 48" not in r3.output
    assert "have dimension 48 but encoder" in r3.output
    for npy in (tmp_path / "cache").rglob("*.npy"):
        np.save(npy, np.zeros((2, 7), dtype=np.float32))
    r4 = CliRunner().invoke(main, args[:-4] + ["--out", str(tmp_path / "o4")])
    assert r4.exit_code == 1 and "have dimension 7 but encoder" in r4.output


def test_check_scores_lareqa_entries(tmp_path):
    res = {"model": "bm25", "datasets": {"xquad-r": {
        "kind": "lareqa", "langs": ["en", "de"],
        "per_lang": {"multi": {"en": {"map": 0.5, "rank_distance": 3.0}, "de": {"map": 0.25, "rank_distance": 5.0}}},
        "summary": {"multi": {"map": 0.375, "rank_distance": 4.0}}}}}
    (tmp_path / "metrics.json").write_text(json.dumps(res))
    exp = tmp_path / "e.yaml"
    exp.write_text("entries:\n  - {model: bm25, dataset: xquad-r, metric: multi map,"
                   " langs: [en, de], values: {macro: 0.375, de: 0.25}}\n"
                   "  - {model: x (paper), dataset: xquad-r, metric: multi rank_distance, reference: true,"
                   " values: {macro: 286.6}}\n")
    r = CliRunner().invoke(main, ["check-scores", str(tmp_path), "--expected", str(exp)])
    assert r.exit_code == 0, r.output
    assert "2/2 reproducible figures within tolerance" in r.output
    assert "| 286.6000 |  |  | 0.0005 | reference |" in r.output


def test_pooling_override_builds_that_pooling(tiny_xlmr):
    from evaluation.encoding.dense import DenseEncoder, EncoderConfig

    hf_dir = str(tiny_xlmr / "0_Transformer") if (tiny_xlmr / "0_Transformer").is_dir() else str(tiny_xlmr)
    texts = ["Nairobi is the capital of Kenya.", "Mji mkuu wa Kenya ni Nairobi na ni mji mkubwa."]
    mean = DenseEncoder(EncoderConfig(model=str(tiny_xlmr), device="cpu")).encode_passages(texts)
    cls = DenseEncoder(EncoderConfig(model=hf_dir, pooling="cls", device="cpu"))
    pool = cls.model[1]
    assert type(pool).__name__ == "Pooling" and pool.get_config_dict()["pooling_mode"] == "cls"
    emb = cls.encode_passages(texts)
    assert emb.shape == mean.shape and np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(emb, mean, atol=1e-4)  # CLS token, not the mean of all tokens
    with pytest.raises(ConfigError, match="unknown pooling 'sum'; choose one of mean, cls, max, lasttoken"):
        DenseEncoder(EncoderConfig(model=hf_dir, pooling="sum", device="cpu"))


def test_embedding_cache_resumes_block_by_block(tiny_xlmr, tmp_path, monkeypatch):
    import evaluation.encoding.dense as enc

    texts = [f"Nairobi ni mji mkuu wa Kenya, sehemu {i}." for i in range(8)]
    plain = enc.DenseEncoder(enc.EncoderConfig(model=str(tiny_xlmr), device="cpu")).encode_passages(texts)
    monkeypatch.setattr(enc, "CACHE_BLOCK", 3)
    cached = enc.DenseEncoder(enc.EncoderConfig(model=str(tiny_xlmr), device="cpu"), cache_dir=tmp_path / "c")
    assert np.allclose(cached.encode_passages(texts), plain, atol=1e-6)
    files = sorted((tmp_path / "c").rglob("*.npy"))
    assert sorted(np.load(f).shape[0] for f in files) == [2, 3, 3]
    files[0].unlink()  # as if the run had stopped before this block was written
    calls = []
    real = cached.model.encode
    monkeypatch.setattr(cached.model, "encode", lambda xs, **kw: calls.append(len(xs)) or real(xs, **kw))
    again = cached.encode_passages(texts)
    assert len(calls) == 1 and calls[0] in (2, 3) and np.allclose(again, plain, atol=1e-6)
