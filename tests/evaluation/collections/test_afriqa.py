"""AfriQA dev as a retrieval test (``afriqa/<lang>``, ``afriqa/<lang>-en``): the PROVENANCE.md recipe on the
real files and on small hand-made ones, and its errors."""

from __future__ import annotations

import json
import math
import unicodedata

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError, DataFormatError
from evaluation.collections.afriqa import CODES, EXPECTED_PASSAGES, EXPECTED_QUERIES, normalise
from evaluation.collections.registry import parse_id, resolve
from evaluation.trec_io import ranked, read_per_query, read_run


def test_afriqa_follows_the_provenance_recipe(shared_data):
    res = resolve("afriqa/dev", shared_data)
    assert [t.lang for t in res.tasks] == ["bem-en", "ha-en", "ig-en", "rw-en", "tw-en", "zu-en"]
    upper = resolve("afriqa/dev-en", shared_data)
    assert [t.lang for t in upper.tasks] == [f"{c}-en.upper" for c in CODES]
    docs = list(res.tasks[0].iter_corpus())
    assert len(docs) == EXPECTED_PASSAGES == len({text for _, _, text in docs})
    for task, up in zip(res.tasks, upper.tasks, strict=True):
        code = task.query_lang
        assert len(task.topics) == EXPECTED_QUERIES[code] and task.passage_lang == "en" and up.query_lang == "en"
        assert task.qrels == up.qrels and set(task.topics) == set(up.topics)  # the same questions, translated
        assert all(len(j) == 1 and set(j.values()) == {1} for j in task.qrels.values())
        assert all(q.startswith(f"{code}-dev-") for q in task.topics)
    # a raw row, read apart from the loader: its question, translation and own context
    path = shared_data / "afriqa-dev" / "gold_passages" / "gold_span_passages.afriqa.zul.en.dev.json"
    row = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    zu, zu_up = res.tasks[5], upper.tasks[5]
    qid = f"zu-dev-{row['id']}"
    by_id = {docid: text for docid, _, text in docs}
    assert zu.topics[qid] == " ".join(row["question_lang"].split())
    assert zu_up.topics[qid] == " ".join(row["question_translated"].split())
    assert by_id[next(iter(zu.qrels[qid]))] == " ".join(unicodedata.normalize("NFC", row["context"]).split())


def _write(root, rows_by_code):
    gold = root / "afriqa-dev" / "gold_passages"
    gold.mkdir(parents=True)
    for code in CODES.values():
        rows = rows_by_code.get(code, [])
        gold.joinpath(f"gold_span_passages.afriqa.{code}.en.dev.json").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return root


def _row(i, q, ctx, title="T", en="question?"):
    return {"id": i, "question_lang": q, "question_translated": en, "context": ctx, "title": title}


def test_afriqa_normalises_deduplicates_and_drops_unusable_rows(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Ìlú  Èkó\n ni")  # Yoruba-style marks, decomposed, extra spaces
    root = _write(tmp_path, {
        "hau": [_row(0, "Tambaya  daya", "Shared  passage.", title="First"), _row(1, float("nan"), "Only hau."),
                _row(2, "Babu mahallin", ""), _row(3, "Wani", decomposed)],
        "bem": [_row(7, "Ipusho", "Shared passage.", title="Second")],
    })
    ha = resolve("afriqa/ha", root).tasks[0]
    docs = list(ha.iter_corpus())
    # bem's file sorts first: its context is passage 0 and keeps bem's title; the NaN-question row still adds its
    # context to the pool; the empty context is dropped
    assert docs == [("afriqa-0", "Second", "Shared passage."), ("afriqa-1", "T", "Only hau."),
                    ("afriqa-2", "T", unicodedata.normalize("NFC", "Ìlú Èkó ni"))]
    assert ha.topics == {"ha-dev-0": "Tambaya daya", "ha-dev-3": "Wani"}
    assert ha.qrels == {"ha-dev-0": {"afriqa-0": 1}, "ha-dev-3": {"afriqa-2": 1}}
    assert normalise(" a\u00a0 b\t") == "a b"


def test_afriqa_ids_and_errors(tmp_path, shared_data):
    assert parse_id("afriqa/ha") == ("afriqa", "ha", "dev") and parse_id("AfriQA/dev-en") == ("afriqa", None, "dev")
    assert [t.dataset_id for t in resolve("afriqa/dev", shared_data, langs=("zu", "ha")).tasks] == ["afriqa/zu",
                                                                                                      "afriqa/ha"]
    with pytest.raises(ConfigError, match=r"unknown dataset id 'afriqa/yo'.*did you mean"):
        resolve("afriqa/yo", shared_data)
    with pytest.raises(ConfigError, match=r"language 'sw' is not in afriqa/dev.*available: bem ha ig rw tw zu"):
        resolve("afriqa/dev", shared_data, langs=("sw",))
    with pytest.raises(ConfigError, match="read from local files only; pass --data-dir"):
        resolve("afriqa/ha")
    with pytest.raises(ConfigError, match="no gold_passages/ folder"):
        resolve("afriqa/ha", tmp_path)
    with pytest.raises(ConfigError, match="--corpus is for MIRACL"):
        resolve("afriqa/ha", shared_data, corpus=tmp_path)
    with pytest.raises(ConfigError, match="--titles restricts"):
        resolve("afriqa/ha", shared_data, titles=("x",))
    root = _write(tmp_path / "bad", {"kin": [_row(0, "a", "b")]})
    (root / "afriqa-dev" / "gold_passages" / "gold_span_passages.afriqa.kin.en.dev.json").write_text(
        '{"id": 0, "context": "x"}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"kin.en.dev.json:1.*question_lang"):
        resolve("afriqa/rw", root)
    (root / "afriqa-dev" / "gold_passages" / "gold_span_passages.afriqa.twi.en.dev.json").unlink()
    with pytest.raises(ConfigError, match=r"afriqa/tw: gold_span_passages.afriqa.twi.en.dev.json not found"):
        resolve("afriqa/ha", root)


def test_afriqa_bm25_end_to_end_matches_pytrec_eval_and_a_hand_computation(tmp_path, shared_data):
    import pytrec_eval

    out = tmp_path / "res"
    r = CliRunner().invoke(main, ["evaluate", "--model", "bm25", "--dataset", "afriqa/ha", "--dataset",
                                  "afriqa/ha-en", "--data-dir", str(shared_data), "--out", str(out)])
    assert r.exit_code == 0, r.output
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    table = (out / "metrics.md").read_text(encoding="utf-8")
    assert "ha → en" in table and "en (ha) → en" in table and "AfriQA dev" in table
    for ds, key in (("afriqa/ha", "ha-en"), ("afriqa/ha-en", "ha-en.upper")):
        task = resolve(ds, shared_data).tasks[0]
        run = read_run(out / "runs" / ds.replace("/", "-") / f"{key}.trec")
        got = metrics["datasets"][ds]["per_lang"][key]
        ev = pytrec_eval.RelevanceEvaluator(task.qrels, {"ndcg_cut.10", "recall.100"})
        per_q = ev.evaluate(run)
        written = read_per_query(out / "runs" / ds.replace("/", "-") / f"{key}.per-query.tsv")
        for ours, theirs in (("ndcg@10", "ndcg_cut_10"), ("recall@100", "recall_100")):
            assert got[ours] == pytest.approx(sum(v[theirs] for v in per_q.values()) / len(task.qrels), abs=1e-12)
            # the per-query file (paired significance tests read it) holds pytrec_eval's values, every query
            assert written[ours] == {q: pytest.approx(per_q.get(q, {}).get(theirs, 0.0), abs=1e-12) for q in task.qrels}
        # by hand, three queries: one relevant passage, so nDCG@10 = 1 / log2(rank + 1) when it is in the top 10
        for qid in sorted(task.qrels)[:3]:
            rel = next(iter(task.qrels[qid]))
            order = [d for d, _ in ranked(run.get(qid, {}))]
            rank = order.index(rel) + 1 if rel in order else math.inf
            assert per_q[qid]["ndcg_cut_10"] == pytest.approx(1 / math.log2(rank + 1) if rank <= 10 else 0.0)
    # the English translation is the easier query: the upper bound of the same test
    assert metrics["datasets"]["afriqa/ha-en"]["per_lang"]["ha-en.upper"]["ndcg@10"] > \
        metrics["datasets"]["afriqa/ha"]["per_lang"]["ha-en"]["ndcg@10"]
