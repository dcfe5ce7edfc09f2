"""compare: a model name is a label, never a path; --reuse only answers the same question; every model is
checked before any is evaluated; the comparison records each column's settings (issues 21 §4, 23)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from codeswitch.cli import main
from tests.evaluation.helpers import write_miracl


def _run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def _compare(data, out, *extra):
    return _run(["compare", "--model", "bm25", "--dataset", "miracl/sw/dev", "--data-dir", str(data), "--out",
                 str(out), *extra])


def test_a_model_name_never_becomes_a_path_outside_out(tmp_path):
    data = write_miracl(tmp_path / "data")
    keep = tmp_path / "user-file.txt"
    keep.write_text("mine", encoding="utf-8")
    out = tmp_path / "cmp"
    for name in ("..", ".", "../..", "/etc"):
        r = _compare(data, out, "--model-name", name, "--overwrite")
        assert r.exit_code == 0, r.output
        assert keep.read_text(encoding="utf-8") == "mine" and (tmp_path / "data").is_dir()
        folder = json.loads((out / "comparison.json").read_text(encoding="utf-8"))["columns"][name]["folder"]
        assert (out / folder).resolve().parent == out.resolve() and (out / folder / "metrics.json").is_file()
    r = _run(["compare", "--model", "bm25", "--model", "bm25", "--model-name", "a/b", "--model-name", "a-b",
              "--dataset", "miracl/sw/dev", "--data-dir", str(data), "--out", str(tmp_path / "c2")])
    assert r.exit_code == 1 and "would share the results folder OUT/a-b" in r.output


def test_reuse_recomputes_what_answers_another_question(tmp_path):
    data = write_miracl(tmp_path / "data")
    out = tmp_path / "cmp"
    assert _compare(data, out).exit_code == 0
    before = json.loads((out / "bm25" / "metrics.json").read_text(encoding="utf-8"))
    assert before["settings"]["passage_text"] == "title+text"
    r = CliRunner().invoke(main, ["compare", "--model", "bm25", "--dataset", "miracl/sw/dev",
                                 "--data-dir", str(data), "--out", str(out), "--passage-text",
                                 "text", "--reuse"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "evaluated with other settings (passage_text 'title+text' -> 'text')" in r.stderr
    after = json.loads((out / "bm25" / "metrics.json").read_text(encoding="utf-8"))
    assert after["settings"]["passage_text"] == "text"
    cmp = json.loads((out / "comparison.json").read_text(encoding="utf-8"))
    assert cmp["columns"]["bm25"]["reused"] is False
    assert cmp["columns"]["bm25"]["eval_config"]["passage_text"] == "text"
    # the same question again: reused, said so in comparison.json
    r = _compare(data, out, "--passage-text", "text", "--reuse")
    assert json.loads((out / "comparison.json").read_text(encoding="utf-8"))["columns"]["bm25"]["reused"] is True
    # a corrupt earlier result is evaluated again, not a traceback
    (out / "bm25" / "metrics.json").write_text("[1, 2", encoding="utf-8")
    r = _compare(data, out, "--passage-text", "text", "--reuse")
    assert r.exit_code == 0 and json.loads((out / "bm25" / "metrics.json").read_text(encoding="utf-8"))["datasets"]


def test_a_model_that_cannot_load_stops_compare_before_any_result(tmp_path):
    data = write_miracl(tmp_path / "data")
    out = tmp_path / "cmp"
    r = _run(["compare", "--model", "bm25", "--model", str(tmp_path / "no-such-model"), "--dataset", "miracl/sw/dev",
              "--data-dir", str(data), "--out", str(out)])
    assert r.exit_code == 1 and "no such folder" in r.output and r.output.count("\n") == 1
    assert not out.exists()


def test_a_language_given_twice_is_an_error(tmp_path):
    r = _run(["evaluate", "--model", "bm25", "--dataset", "xquad-r", "--langs", "en,en", "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "language 'en' is given twice for xquad-r" in r.output
    assert not (tmp_path / "o").exists()
