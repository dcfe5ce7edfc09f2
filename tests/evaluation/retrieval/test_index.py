from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from evaluation.collections.registry import RetrievalTask, resolve
from evaluation.retrieval.models import DenseModel
from evaluation.retrieval.search import IndexConfig
from tests.evaluation.helpers import KeywordEncoder, write_miracl


def test_index_dir_is_keyed_by_what_changes_a_vector(tmp_path, tiny_xlmr):
    data = write_miracl(tmp_path / "data", gz=False)
    args = ["evaluate", "--model", str(tiny_xlmr), "--dataset", "miracl/sw/dev", "--data-dir", str(data),
            "--index-dir", str(tmp_path / "index"), "--depth", "5"]
    runs = []
    for n, prefix in enumerate(["", "passage: ", ""]):
        r = CliRunner().invoke(main, [*args, "--passage-prefix", prefix, "--out", str(tmp_path / f"o{n}")])
        assert r.exit_code == 0, r.output
        runs.append((tmp_path / f"o{n}" / "runs" / "miracl-sw-dev" / "sw.trec").read_text())
    assert runs[0] != runs[1]  # before: the second run silently reused the first one's vectors
    assert runs[0] == runs[2]  # and the first index is reused when the settings come back
    assert len(list((tmp_path / "index" / "miracl-sw-dev").glob("*/index.json"))) == 2


class _Interrupted(Exception):
    pass


def test_interrupted_index_is_rebuilt_not_reused(tmp_path):
    task = resolve("miracl/sw/dev", write_miracl(tmp_path / "data", gz=False)).tasks[0]
    full = DenseModel(KeywordEncoder(), IndexConfig(shard_size=2)).retrieve(task, 5)
    enc = KeywordEncoder()
    calls = []

    def flaky(texts, desc=""):
        calls.append(len(texts))
        if len(calls) == 3:
            raise _Interrupted  # killed while encoding shard 3 of 3: shards 1-2 are on disk
        return KeywordEncoder().encode_passages(texts)

    enc.encode_passages = flaky
    with pytest.raises(_Interrupted):
        DenseModel(enc, IndexConfig(shard_size=2)).retrieve(task, 5, tmp_path / "index")
    again = DenseModel(KeywordEncoder(), IndexConfig(shard_size=2)).retrieve(task, 5, tmp_path / "index")
    assert again == full  # before: the 2-shard index (4 of 5 passages) was reloaded without a word
    assert sum(len(d) for d in again.values()) == sum(len(d) for d in full.values())


def test_dense_corpus_is_streamed_shard_by_shard(tmp_path, monkeypatch):
    docs = [(f"d{i:03d}", "", f"word{i % 7} text number {i}") for i in range(50)]
    task = resolve("miracl/sw/dev", write_miracl(tmp_path / "data", docs=docs, qrels={"q1": {"d003": 1}})).tasks[0]
    read = []
    original = RetrievalTask.iter_corpus

    def counting(self):
        for row in original(self):
            read.append(row[0])
            yield row

    monkeypatch.setattr(RetrievalTask, "iter_corpus", counting)
    enc = KeywordEncoder()
    seen_when_encoding = []

    def encode(texts, desc=""):
        seen_when_encoding.append((len(read), len(texts)))
        return KeywordEncoder().encode_passages(texts)

    enc.encode_passages = encode
    run = DenseModel(enc, IndexConfig(shard_size=8)).retrieve(task, 3, tmp_path / "index")
    assert [n for _, n in seen_when_encoding] == [8] * 6 + [2]
    # each shard is encoded as soon as it is read: the corpus is never held beyond one shard
    assert [r for r, _ in seen_when_encoding] == [8, 16, 24, 32, 40, 48, 50]
    assert len(run["q1"]) == 3


def test_passage_text_rule_reaches_dense_bm25_and_the_index_key(tmp_path):
    """--passage-text text embeds/indexes the passage text alone; the title+text index is not reused for it."""
    from evaluation.retrieval.corpus import passage_string
    from evaluation.retrieval.models import BM25Model

    assert passage_string("Nairobi", "ni mji mkuu") == "Nairobi ni mji mkuu"
    assert passage_string("Nairobi", "ni mji mkuu", "text") == "ni mji mkuu"
    assert passage_string("", "ni mji mkuu") == "ni mji mkuu"
    task = resolve("miracl/sw/dev", write_miracl(tmp_path / "data", gz=False)).tasks[0]
    seen: dict[str, list[str]] = {}

    class Spy(KeywordEncoder):
        def __init__(self, rule):
            super().__init__()
            self.rule = rule

        def encode_passages(self, texts, desc=""):
            seen.setdefault(self.rule, []).extend(texts)
            return super().encode_passages(texts)

    for rule in ("title+text", "text"):
        DenseModel(Spy(rule), IndexConfig(shard_size=2), rule).retrieve(task, 5, tmp_path / "index")
    titles = {t for _, t, _ in task.iter_corpus() if t}
    assert titles and all(any(s.startswith(t + " ") for t in titles) for s in seen["title+text"])
    assert sorted(seen["text"]) == sorted(x for _, _, x in task.iter_corpus())
    assert len(list((tmp_path / "index").glob("*/index.json"))) == 2  # two keys, no reuse across rules
    # BM25 reads the same strings: "Nairobi" is the title of 1#1 but not in its text
    task = dataclasses.replace(task, topics={"q": "Nairobi"})
    with_titles = BM25Model(shard_size=2).retrieve(task, 5)
    without = BM25Model(shard_size=2, passage_text="text").retrieve(task, 5)
    assert set(with_titles["q"]) == {"1#0", "1#1"} and set(without["q"]) == {"1#0"}
