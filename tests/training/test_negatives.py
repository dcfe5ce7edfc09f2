"""`codeswitch mine-negatives` on real XQuAD records, checked against a ranking written here with numpy.

The negatives come from sentence-transformers' ``mine_hard_negatives``; the reference below encodes the
same texts with the same model and ranks every candidate itself (one corpus per passage language, all
positives of a query excluded, the relative margin applied to the query's lowest positive score), so a
wrong convention in how our records feed the library (languages mixed, a translation of the positive
offered as a negative, the margin on the wrong side) shows up as a different passage.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.example_io import read_examples, write_examples
from tests.training.conftest import xquad_examples

pytest.importorskip("sentence_transformers")


def _run(args: list[str]):
    return CliRunner().invoke(main, ["mine-negatives", *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def en_de_records(shared_data: Path) -> list:
    """Mono and cross records for the first 120 XQuAD questions in English and German (two passage
    languages; every English paragraph also appears in German), all but every seventh with a stale negative
    to be replaced."""
    records = xquad_examples(shared_data, langs=("en", "de"), n_questions=120)
    return [dataclasses.replace(r, negatives=("stale",)) if k % 7 else r for k, r in enumerate(records)]


@pytest.fixture(scope="module")
def en_de_jsonl(en_de_records, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hn") / "pairs.jsonl"
    write_examples(en_de_records, path)
    return path


def _reference(records, model_dir: Path, num: int, range_min: int, margin: float) -> dict[str, tuple[str, ...]]:
    """Negatives by record id, ranked with numpy over cosine scores of the model's embeddings."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu")
    expected: dict[str, tuple[str, ...]] = {}
    groups = defaultdict(list)
    for r in records:
        groups[r.passage_lang].append(r)
    for rows in groups.values():
        corpus = sorted({r.passage for r in rows})
        queries = sorted({r.query for r in rows})
        c = model.encode(corpus, convert_to_numpy=True, normalize_embeddings=True)
        q = model.encode(queries, convert_to_numpy=True, normalize_embeddings=True)
        scores = q @ c.T
        positives = defaultdict(set)
        for r in rows:
            positives[r.query].add(r.passage)
        for r in rows:
            row = scores[queries.index(r.query)]
            pos = [corpus.index(p) for p in positives[r.query]]
            floor = min(row[pos])
            floor -= abs(floor) * margin
            order = [j for j in np.argsort(-row, kind="stable") if j not in pos and row[j] <= floor]
            expected[r.id] = tuple(corpus[j] for j in order[range_min:range_min + num])
    return expected


def test_negatives_match_a_numpy_ranking_and_keep_every_other_field(en_de_records, en_de_jsonl, minilm_path,
                                                                   tmp_path):
    out = tmp_path / "hn.jsonl"
    res = _run([str(en_de_jsonl), "--model", str(minilm_path), "--num", "2", "--range-min", "1",
                "--relative-margin", "0.05", "--drop-missing", "--out", str(out)])
    assert res.exit_code == 0, res.output
    mined = read_examples(out)
    expected = _reference(en_de_records, minilm_path, num=2, range_min=1, margin=0.05)
    kept = [r for r in en_de_records if len(expected[r.id]) == 2]
    # an English encoder on German -> English pairs: some positives rank last, and those records are dropped
    assert 0 < len(en_de_records) - len(kept) < 0.1 * len(en_de_records)
    assert [r.id for r in mined] == [r.id for r in kept]  # input order, exactly the records with negatives
    for before, after in zip(kept, mined, strict=True):
        assert dataclasses.replace(after, negatives=before.negatives) == before  # only `negatives` changed
    agree = sum(r.negatives == expected[r.id] for r in mined)
    # float32 encodings batched differently may swap two candidates a hair apart, nothing more
    assert agree >= 0.98 * len(mined), f"{agree} of {len(mined)} records agree with the numpy ranking"
    by_lang = defaultdict(set)
    for r in en_de_records:
        by_lang[r.passage_lang].add(r.passage)
    for r in mined:
        assert len(r.negatives) == 2 and r.passage not in r.negatives
        assert set(r.negatives) <= by_lang[r.passage_lang]  # never a passage of the other language
    stats = json.loads(out.with_name("hn.stats.json").read_text())
    # records written whose input negatives were replaced; a dropped record replaces nothing
    assert stats["records"] == len(mined)
    assert stats["replaced_existing_negatives"] == sum(1 for r in kept if r.negatives)
    assert any(r.negatives for r in kept) and any(r.negatives for r in en_de_records if r not in kept)
    assert stats["dropped"] == len(en_de_records) - len(kept)
    assert set(stats["by_passage_lang"]) == {"de", "en"}
    for lang, v in stats["by_passage_lang"].items():
        assert v["corpus"] == len(by_lang[lang])
        assert v["with_negatives"] + v["dropped"] == v["records"] == sum(r.passage_lang == lang for r in en_de_records)
        assert v["mean_negative_score"] < v["mean_positive_score"]
    assert f"({stats['dropped']} dropped: no negative below the margin)" in res.output
    assert "by passage language: de" in res.output


def test_without_drop_missing_a_record_left_without_negatives_stops_everything(en_de_jsonl, minilm_path, tmp_path):
    out = tmp_path / "hn.jsonl"
    res = _run([str(en_de_jsonl), "--model", str(minilm_path), "--num", "2", "--range-min", "1",
                "--out", str(out)])
    lines = res.output.strip().splitlines()
    assert res.exit_code == 1 and lines[-1].startswith("Error: "), res.output
    assert "records have fewer than 2 negatives left" in lines[-1] and "--drop-missing" in lines[-1]
    assert list(tmp_path.iterdir()) == []


def test_same_input_same_bytes_and_the_output_trains(en_de_jsonl, minilm_path, tiny_bert, tmp_path):
    outs = []
    for name in ("a.jsonl", "b.jsonl"):
        out = tmp_path / name
        res = _run([str(en_de_jsonl), "--model", str(minilm_path), "--out", str(out), "--batch-size", "16",
                    "--drop-missing"])
        assert res.exit_code == 0, res.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    model = tmp_path / "m"
    res = CliRunner().invoke(main, [
        "train", "--data", str(tmp_path / "a.jsonl"), "--model", str(tiny_bert), "--hard-negatives", "1",
        "--batching", "hybrid", "--max-steps", "2", "--batch-size", "4", "--max-query-length", "16",
        "--max-passage-length", "24", "--device", "cpu", "--out", str(model)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert (model / "train_config.json").is_file()


def test_a_query_whose_corpus_is_all_positives_writes_nothing(tiny_bert, tmp_path):
    from codeswitch.records import Example

    # one query paired with every passage of its language: no candidate is left to be a negative
    rows = [Example(id=f"r{i}", pair_id=f"r{i}", query="where is the house", passage=f"passage {i}",
                    query_lang="en", passage_lang="en", kind="mono") for i in range(3)]
    data = tmp_path / "p.jsonl"
    write_examples(rows, data)
    out = tmp_path / "hn.jsonl"
    res = CliRunner().invoke(main, ["mine-negatives", str(data), "--model", str(tiny_bert), "--out", str(out),
                                    "--relative-margin", "0"])
    lines = res.output.strip().splitlines()
    assert res.exit_code == 1 and lines[-1].startswith("Error: "), res.output
    assert "3 of 3 records have fewer than 1 negatives left (first: id 'r0'" in lines[-1]
    assert "nothing written" in lines[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jsonl"]
