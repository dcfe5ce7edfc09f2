"""Issue 23: BEIR files read by content, not position; TREC ids that trec_eval can read back.

The refusals (header-only qrels, all-zero judgments, empty corpus, null texts, ids with spaces,
Latin-1 / UTF-16 files) are rows of ``tests/test_bad_inputs.py``; the cases here run to exit 0.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import DataFormatError
from evaluation.collections.beir import load_beir, read_beir_qrels
from evaluation.trec_io import read_qrels, read_run, read_topics, write_qrels, write_run

CORPUS = [{"_id": f"d{i}", "title": "", "text": text} for i, text in
          enumerate(["the red house is big", "a small dog barks", "green trees grow", "the blue sea"])]
QUERIES = [{"_id": f"q{i}", "text": text} for i, text in enumerate(["red house", "dog", "trees", "sea"])]
JUDGED = "".join(f"q{i}\td{i}\t1\n" for i in range(4))


def _folder(root: Path, qrels: str, bom: str = "") -> Path:
    (root / "qrels").mkdir(parents=True)
    for name, rows in (("corpus.jsonl", CORPUS), ("queries.jsonl", QUERIES)):
        (root / name).write_text(bom + "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (root / "qrels" / "test.tsv").write_text(bom + qrels, encoding="utf-8")
    return root


def test_qrels_without_header_keep_their_first_judgment(tmp_path):
    # before: line 1 was skipped whatever it held, so q0 lost its only judgment (59 of 60 queries scored)
    plain = read_beir_qrels(_folder(tmp_path / "a", JUDGED) / "qrels" / "test.tsv")
    header = "query-id\tcorpus-id\tscore\n"
    with_header = read_beir_qrels(_folder(tmp_path / "b", header + JUDGED) / "qrels" / "test.tsv")
    assert plain == with_header == {f"q{i}": {f"d{i}": 1} for i in range(4)}
    task = load_beir(f"beir:{tmp_path / 'a'}", "en", "en")
    assert sorted(task.topics) == ["q0", "q1", "q2", "q3"]


def test_qrels_with_a_bad_score_after_the_first_line_is_still_an_error(tmp_path):
    path = _folder(tmp_path, JUDGED + "q0\td1\thigh\n") / "qrels" / "test.tsv"
    with pytest.raises(DataFormatError, match=r"test.tsv:5: expected query-id<TAB>corpus-id<TAB>integer score"):
        read_beir_qrels(path)


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    # before: '\ufeff{"_id": ...' was "expected a JSON object" and the qrels' first line lost its BOM-glued id
    root = _folder(tmp_path / "bom", JUDGED, bom="\ufeff")
    r = CliRunner().invoke(main, ["evaluate", "--model", "bm25", "--dataset", f"beir:{root}", "--query-lang", "en",
                                  "--passage-lang", "en", "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    (entry,) = metrics["datasets"].values()
    (scores,) = entry["per_lang"].values()
    assert scores["n_queries"] == 4 and scores["ndcg@10"] == pytest.approx(1.0)


def test_run_with_unicode_separator_in_an_id_reads_back_as_trec_eval_reads_it(tmp_path):
    # trec_eval splits fields on ASCII whitespace only; U+2028 / U+00A0 are part of an id
    run = {"q\u00a01": {"d\u20281": 2.0, "d2": 1.0}}
    write_run(run, tmp_path / "r.trec")
    assert all(len(line.split(" ")) == 6 for line in (tmp_path / "r.trec").read_text().split("\n") if line)
    assert read_run(tmp_path / "r.trec") == run
    write_qrels({"q\u00a01": {"d\u20281": 1}}, tmp_path / "q.txt")
    assert read_qrels(tmp_path / "q.txt") == {"q\u00a01": {"d\u20281": 1}}


@pytest.mark.parametrize(("run", "bad"), [({"q 1": {"d1": 1.0}}, "query id 'q 1'"),
                                           ({"q1": {"d\t1": 1.0}}, "document id 'd\\t1'"),
                                           ({"q1": {"": 1.0}}, "document id ''")])
def test_write_run_refuses_ids_trec_eval_would_split(tmp_path, run, bad):
    with pytest.raises(DataFormatError, match=f"{re.escape(bad)}.*r.trec would not have 6 fields"):
        write_run(run, tmp_path / "r.trec")
    assert not (tmp_path / "r.trec").exists()
    with pytest.raises(DataFormatError, match="would not have 4 fields"):
        write_qrels({q: {d: 1 for d in docs} for q, docs in run.items()}, tmp_path / "q.txt")


def test_topics_with_a_space_in_a_query_id_are_refused_at_load(tmp_path):
    (tmp_path / "t.tsv").write_text("q1\tfine\nq 2\tnot fine\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"t.tsv:2: query id 'q 2' holds whitespace"):
        read_topics(tmp_path / "t.tsv")
