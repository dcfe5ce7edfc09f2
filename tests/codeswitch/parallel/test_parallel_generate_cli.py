"""`codeswitch generate --pairs ...` end to end through the root CLI on real XQuAD."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.example_io import read_examples


def test_generate_pairs_real_xquad_counts(shared_data: Path, tmp_path: Path) -> None:
    files = [str(shared_data / "xquad" / f"xquad.{lg}.json") for lg in ("en", "de", "es")]
    out = tmp_path / "pairs.jsonl"
    r = CliRunner().invoke(main, ["generate", *files, "--pairs", "all", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    recs = read_examples(out)
    assert Counter(x.kind for x in recs) == {"mono": 1190 * 3, "cross": 1190 * 6}
    assert set(Counter(x.pair_id for x in recs).values()) == {9}
    stats = json.loads((tmp_path / "pairs.stats.json").read_text(encoding="utf-8"))
    assert stats["pairs"]["missing"] == {"de": 0, "en": 0, "es": 0}
    assert "records: 10710 (mono 3570, cross 7140)" in r.output


def test_generate_pairs_split_then_lexicon_switching(shared_data: Path, tmp_path: Path) -> None:
    files = [str(shared_data / "xquad" / f"xquad.{lg}.json") for lg in ("en", "de")]
    out = tmp_path / "cs.jsonl"
    r = CliRunner().invoke(main, [
        "generate", *files, "--pairs", "cross", "--passage", "sentence", "--split-by", "title", "--held-out", "10",
        "--keep-split", "heldout", "--lexicon", str(shared_data / "muse-splits" / "en-de.0-5000.txt"),
        "--ratio", "0.5", "--side", "query", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    recs = read_examples(out)
    en_q = [x for x in recs if x.query_lang == "en"]
    assert len(recs) == 2 * len(en_q) and 0 < len(en_q) < 1190
    assert sum(x.kind == "codeswitch" for x in en_q) > 0.8 * len(en_q)
    for x in en_q:
        for s in x.switches:
            assert s.method == "lexicon" and s.lang == "de" and 0 <= s.start < s.end <= len(x.query)
    assert all(x.kind == "cross" for x in recs if x.query_lang == "de")  # German queries are not switched


def test_generate_pairs_option_errors(shared_data: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    f = str(shared_data / "xquad" / "xquad.en.json")
    r = runner.invoke(main, ["generate", f, "--align-switch", "de", "--out", str(tmp_path / "o.jsonl")])
    assert r.exit_code == 1 and "Error: --align-switch and --split-by need --pairs all|mono|cross" in r.output
    r = runner.invoke(main, ["generate", f, "--pairs", "all", "--align-switch", "de", "--lexicon",
                             str(shared_data / "muse-splits" / "en-de.0-5000.txt"), "--out", str(tmp_path / "o.jsonl")])
    assert r.exit_code == 1 and "use either --lexicon or --align-switch with --pairs, not both" in r.output
    assert not (tmp_path / "o.jsonl").exists()


def test_generate_alignment_switched_cross_pairs(shared_data: Path, tmp_path: Path) -> None:
    files = []
    for lang in ("en", "de"):
        data = json.loads((shared_data / "xquad" / f"xquad.{lang}.json").read_text(encoding="utf-8"))
        data["data"] = [{"title": a["title"], "paragraphs": a["paragraphs"][:1]} for a in data["data"][:4]]
        files.append(tmp_path / f"xquad.{lang}.json")
        files[-1].write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    args = ["generate", *map(str, files), "--pairs", "cross", "--align-switch", "de", "--align-iterations", "0.2",
            "--ratio", "0.5", "--seed", "3", "--quiet"]
    r = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a.jsonl")])
    assert r.exit_code == 0, r.output
    recs = read_examples(tmp_path / "a.jsonl")
    switched = [x for x in recs if x.kind == "codeswitch"]
    assert switched and all(x.query_lang == "en" or x.passage_lang == "en" for x in switched)
    for x in switched:
        for s in x.switches:
            assert s.method == "alignment" and s.lang == "de"
            assert (x.query if s.side == "query" else x.passage)[s.start:s.end]
    assert "alignment switches:" in r.output
