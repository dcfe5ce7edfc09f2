from __future__ import annotations

from dataclasses import replace

from evaluation.collections.registry import resolve
from evaluation.retrieval.models import BM25Model
from evaluation.scoring.metrics import evaluate_run
from tests.evaluation.helpers import write_miracl


def test_bm25_runs_hold_only_matching_documents(tmp_path):
    data = write_miracl(tmp_path / "data", gz=False)
    task = resolve("miracl/sw/dev", data).tasks[0]
    # q5 has no word token; "4#0" is the largest docid, so docid-order padding ranked it first (AP 1.0)
    task = replace(task, topics=task.topics | {"q5": "?!"}, qrels=task.qrels | {"q5": {"4#0": 1}})
    run = BM25Model().retrieve(task, k=100)
    assert run["q5"] == {}
    assert run["q4"] == {}  # "swali bila majibu": no word of it is in the corpus
    assert set(run["q2"]) == {"4#0"}  # only "Kilimanjaro ni mlima mrefu Afrika" has mlima / mrefu / afrika
    assert all(s > 0 for docs in run.values() for s in docs.values())
    scores = evaluate_run(task.qrels, run)
    assert scores.per_query["q5"]["map"] == 0.0 and scores.per_query["q2"]["map"] == 1.0
    assert scores.n_missing_from_run == 1  # q5 (q4 has no qrels)


def test_streamed_bm25_equals_bm25s_and_reads_one_shard_at_a_time(tmp_path, monkeypatch):
    import numpy as np

    import evaluation.retrieval.bm25 as bm25
    import evaluation.retrieval.corpus as corpus
    from evaluation.collections.registry import RetrievalTask

    words = ["mji", "mkuu", "kenya", "simba", "mlima", "mrefu", "afrika", "watu", "wengi", "porini"]
    rng = np.random.default_rng(0)
    docs = [(f"d{i:03d}", "", " ".join(rng.choice(words, size=rng.integers(1, 9)))) for i in range(40)]
    task = resolve("miracl/sw/dev", write_miracl(tmp_path / "data", docs=docs, qrels={"q1": {"d001": 1}})).tasks[0]
    task = replace(task, topics={"q1": "mji mkuu wa Kenya", "q2": "simba simba porini", "q3": "?!"})
    monkeypatch.setattr(corpus, "load_corpus", None)  # the whole corpus is never loaded
    read, seen_at_analyze = [], []
    original_iter, original_analyze = RetrievalTask.iter_corpus, bm25.analyze

    def counting(self):
        for row in original_iter(self):
            read.append(row[0])
            yield row

    def analyze(text, lang):
        seen_at_analyze.append(len(read))
        return original_analyze(text, lang)

    monkeypatch.setattr(RetrievalTask, "iter_corpus", counting)
    monkeypatch.setattr(bm25, "analyze", analyze)
    run = BM25Model(shard_size=8).retrieve(task, k=1000)
    n_queries = 3
    doc_calls = seen_at_analyze[n_queries:]
    assert len(doc_calls) == 80  # two passes over 40 documents
    # the first document is tokenized after reading 8 (one shard), not all 40
    assert doc_calls[0] == 8 and doc_calls[8] == 16 and doc_calls[40] == 48
    # same scores and order as bm25s over the whole corpus (Lucene BM25, k1 0.9, b 0.4)
    ref = bm25.BM25Index([t for _, _, t in docs], ["sw"] * len(docs))
    for qid, text in task.topics.items():
        scores = ref.scores(text, "sw")
        expected = sorted(((docs[i][0], float(scores[i])) for i in np.flatnonzero(scores > 0)),
                          key=lambda r: (r[1], r[0]), reverse=True)
        got = list(run[qid].items())
        assert [d for d, _ in got] == [d for d, _ in expected]
        assert np.allclose([s for _, s in got], [s for _, s in expected], rtol=1e-6)
    assert run["q3"] == {} and len(run["q2"]) > 3
