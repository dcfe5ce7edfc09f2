"""check-scores cannot pass a wrong run: missing figures fail, other variants and other language sets are
"no expected score", hand-edited files are one-line errors, a model named by its path still matches."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import DataFormatError
from evaluation.reports.check_scores import check

SETTINGS = {"backend": "torch", "quantize": "none", "bf16": False, "passage_text": "title+text"}


def _lareqa(langs, mono, macro):
    return {"kind": "lareqa", "langs": langs, "summary": {"mono": {"map": macro}},
            "per_lang": {f"mono.{lang}": {"map": v} for lang, v in zip(langs, mono, strict=True)}}


def _write(tmp_path, doc, entries, name="r"):
    res = tmp_path / name
    res.mkdir()
    (res / "metrics.json").write_text(json.dumps(doc), encoding="utf-8")
    exp = tmp_path / f"{name}.yaml"
    exp.write_text(yaml.safe_dump({"tolerance": 0.001, "entries": entries}), encoding="utf-8")
    return res, exp


def _retrieval(per_lang):
    return {"kind": "retrieval", "per_lang": {k: {"ndcg@10": v} for k, v in per_lang.items()}}


ENTRY = {"model": "m", "dataset": "tydi/dev", "metric": "ndcg@10", "values": {"sw": 0.5, "bn": 0.6}}


def test_a_language_deleted_or_null_is_a_failure_not_a_pass(tmp_path):
    res, exp = _write(tmp_path, {"model": "m", "settings": SETTINGS, "datasets": {
        "tydi/sw": _retrieval({"sw": 0.5})}}, [ENTRY])
    rows = {r.key: r.status for r in check(res, exp)}
    assert rows == {"sw": "ok", "bn": "not run"}  # tydi/bn was not evaluated: nothing to fail
    res, exp = _write(tmp_path, {"model": "m", "settings": SETTINGS, "datasets": {
        "tydi/dev": _retrieval({"sw": 0.5})}}, [ENTRY], "r2")
    rows = {r.key: r.status for r in check(res, exp)}
    assert rows == {"sw": "ok", "bn": "missing"}  # the dataset is there, the language was deleted
    r = CliRunner().invoke(main, ["check-scores", str(res), "--expected", str(exp)])
    assert r.exit_code == 1 and "1/2 reproducible figures within tolerance" in r.output
    doc = {"model": "m", "settings": SETTINGS, "datasets": {"tydi/dev": _retrieval({"sw": 0.5, "bn": None})}}
    res, exp = _write(tmp_path, doc, [ENTRY], "r3")
    assert {r.key: r.status for r in check(res, exp)} == {"sw": "ok", "bn": "missing"}


def test_other_variants_and_other_language_sets_are_no_expected_score(tmp_path):
    int8 = SETTINGS | {"quantize": "int8"}
    res, exp = _write(tmp_path, {"model": "m", "settings": int8, "datasets": {
        "tydi/dev": _retrieval({"sw": 0.1, "bn": 0.1})}}, [ENTRY, ENTRY | {"settings": {"quantize": "int8"},
                                                                          "values": {"sw": 0.1}}])
    rows = check(res, exp)
    assert [r.status for r in rows] == ["no expected score", "no expected score", "ok"]
    assert "quantize 'int8' (entry: 'none')" in rows[0].differs
    entries = [{"model": "m", "dataset": "xquad-r", "metric": "mono map", "values": {"macro": 0.4, "en": 0.5}}]
    res, exp = _write(tmp_path, {"model": "m", "settings": SETTINGS, "datasets": {
        "xquad-r": _lareqa(["en", "de"], [0.5, 0.3], 0.4) | {"per_lang": {}}}}, entries, "r4")
    (res / "metrics.json").write_text(json.dumps({"model": "m", "settings": SETTINGS, "datasets": {
        "xquad-r": {"kind": "lareqa", "langs": ["en", "de"], "summary": {"mono": {"map": 0.4}},
                    "per_lang": {"mono": {"en": {"map": 0.5}}}}}}), encoding="utf-8")
    rows = {r.key: r for r in check(res, exp)}
    assert rows["macro"].status == "no expected score" and "averaged over de en" in rows["macro"].differs


def test_a_model_named_by_its_path_matches_its_entry(tmp_path):
    doc = {"model": "/models/cache/multilingual-e5-small", "settings": SETTINGS, "datasets": {
        "afriqa/ha": _retrieval({"ha-en": 0.596})}}
    entry = {"model": "intfloat/multilingual-e5-small", "dataset": "afriqa/dev", "metric": "ndcg@10",
             "values": {"ha-en": 0.596}}
    res, exp = _write(tmp_path, doc, [entry])
    assert [r.status for r in check(res, exp)] == ["ok"]
    doc["model"] = "/root/.cache/e5-small"
    res, exp = _write(tmp_path, doc, [entry | {"aliases": ["e5-small"]}], "r2")
    assert [r.status for r in check(res, exp)] == ["ok"]
    doc["model"] = "e5/off-the-shelf"  # a recipe's cell name: matched as a whole by an alias
    res, exp = _write(tmp_path, doc, [entry | {"aliases": ["e5/off-the-shelf"]}], "r3")
    assert [r.status for r in check(res, exp)] == ["ok"]


@pytest.mark.parametrize(("doc", "match"), [
    ([1, 2], r"metrics.json: expected a JSON object with model and datasets, found a list"),
    ({"datasets": {}}, r"expected a 'model' name and a 'datasets' mapping"),
    ({"model": "m", "datasets": {"x": {"per_lang": {}}}}, r"datasets.x: expected 'kind' lareqa or retrieval"),
    ({"model": "m", "datasets": {"x": _retrieval({"sw": "high"})}}, r"datasets.x.sw.ndcg@10: expected a number"),
])
def test_hand_edited_results_are_one_line_errors(tmp_path, doc, match):
    res, exp = _write(tmp_path, doc, [ENTRY])
    with pytest.raises(DataFormatError, match=match):
        check(res, exp)
    r = CliRunner().invoke(main, ["check-scores", str(res), "--expected", str(exp)])
    assert r.exit_code == 1 and r.output.startswith("Error:") and r.output.count("\n") == 1


@pytest.mark.parametrize(("entries", "tolerance", "match"), [
    ([ENTRY | {"values": [0.5]}], 0.001, r"'values' must map a language"),
    ([ENTRY | {"tolerance": "small"}], 0.001, r"tolerance: expected a number, found 'small'"),
    ([ENTRY], "small", r"tolerance: expected a number, found 'small'"),
    ([ENTRY | {"values": {"sw": "x"}}], 0.001, r"values.sw: expected a number"),
])
def test_hand_edited_expected_scores_are_one_line_errors(tmp_path, entries, tolerance, match):
    res, exp = _write(tmp_path, {"model": "m", "settings": SETTINGS, "datasets": {
        "tydi/dev": _retrieval({"sw": 0.5})}}, entries)
    exp.write_text(yaml.safe_dump({"tolerance": tolerance, "entries": entries}), encoding="utf-8")
    with pytest.raises(DataFormatError, match=match):
        check(res, exp)
