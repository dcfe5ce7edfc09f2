from __future__ import annotations

from dataclasses import replace

from evaluation.datasets import resolve
from evaluation.metrics import evaluate_run
from evaluation.retrieve import BM25Model
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
