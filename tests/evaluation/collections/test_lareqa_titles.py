"""XQuAD-R / MLQA-R restricted to a set of article titles (held-out evaluation, no leakage)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import ConfigError, DataFormatError
from evaluation.collections.lareqa import read_titles
from evaluation.collections.registry import resolve

HELD = ("Normans", "Warsaw")


def test_titles_keep_only_those_articles(shared_data):
    full = resolve("xquad-r", shared_data, langs=("en", "de")).pool
    pool = resolve("xquad-r", shared_data, langs=("en", "de"), titles=HELD).pool
    doc = json.loads((shared_data / "lareqa" / "xquad-r" / "en.json").read_text(encoding="utf-8"))
    held = [a for a in doc["data"] if a["title"] in HELD]
    n_q = sum(len(p["qas"]) for a in held for p in a["paragraphs"])
    n_c = sum(len(p["sentences"]) for a in held for p in a["paragraphs"])
    assert len(pool.questions_of("en")) == len(pool.questions_of("de")) == n_q
    assert len(pool.candidates_of("en")) == n_c
    # candidate ids are those of the full pool (paragraph numbers count through the whole file)
    assert set(pool.cand_ids) <= set(full.cand_ids)
    assert all(full.cand_texts[full.cand_ids.index(c)] == t for c, t in zip(pool.cand_ids, pool.cand_texts,
                                                                            strict=True))
    q = pool.questions_of("de")[0]
    assert [pool.cand_ids[i] for i in pool.relevant(q, None)] == [
        full.cand_ids[i] for i in full.relevant(full.questions[[x.qid for x in full.questions].index(q.qid)], None)]


def test_unknown_title_is_an_error_with_close_match(shared_data):
    with pytest.raises(ConfigError, match=r"1 of 2 titles are in no en file .*'Warsw'.*did you mean 'Warsaw'"):
        resolve("xquad-r", shared_data, langs=("en",), titles=("Normans", "Warsw"))


def test_titles_rejected_for_miracl(shared_data):
    with pytest.raises(ConfigError, match=r"miracl/sw/dev has no article titles"):
        resolve("miracl/sw/dev", shared_data, titles=HELD)


def test_read_titles_file(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("# held out\nNormans\n\n  Warsaw \n", encoding="utf-8")
    assert read_titles(f) == HELD
    f.write_text("# nothing\n\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="lists no title"):
        read_titles(f)
    with pytest.raises(ConfigError, match="titles file not found"):
        read_titles(tmp_path / "missing.txt")


def test_evaluate_cli_titles(shared_data, tmp_path):
    titles = tmp_path / "heldout.txt"
    titles.write_text("\n".join(HELD) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["evaluate", "--model", "bm25", "--dataset", "xquad-r", "--data-dir", str(shared_data),
                                  "--langs", "en,de", "--titles", str(titles), "--out", str(out)])
    assert r.exit_code == 0, r.output
    entry = json.loads((out / "metrics.json").read_text(encoding="utf-8"))["datasets"]["xquad-r"]
    pool = resolve("xquad-r", shared_data, langs=("en", "de"), titles=HELD).pool
    assert entry["titles"] == 2 and entry["n_questions"] == len(pool.questions)
    config = json.loads((out / "eval_config.json").read_text(encoding="utf-8"))
    assert config["titles"] == list(HELD) and config["titles_file"] == str(titles)
    bad = CliRunner().invoke(main, ["evaluate", "--model", "bm25", "--dataset", "xquad-r", "--data-dir",
                                    str(shared_data), "--titles", str(tmp_path / "nope.txt"), "--out", str(out / "x")])
    assert bad.exit_code == 1 and "titles file not found" in bad.output and not (out / "x").exists()
