"""Lexicon induction: hand-computed counts and probabilities, thresholds, MUSE output, P@1, CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from codeswitch.errors import CodeswitchError
from codeswitch.parallel.bitext import AlignedPair, TextPair
from codeswitch.parallel.cli import induce as induce_cmd
from codeswitch.parallel.induce import InduceConfig, count_links, induce, precision_at_1, read_muse_gold
from codeswitch.tokenize import tokenize


def _ap(src: str, tgt: str, links) -> AlignedPair:
    return AlignedPair(TextPair("x", "en", "de", src, tgt), tuple(tokenize(src, "en")), tuple(tokenize(tgt, "de")),
                       tuple(links))


PAIRS = [
    _ap("The house .", "Das Haus .", [(0, 0), (1, 1), (2, 2)]),
    _ap("the house", "das Gebäude", [(0, 0), (1, 1)]),
    _ap("a house", "ein Haus", [(0, 0), (1, 1)]),
]


def test_counts_and_probabilities_by_hand() -> None:
    counts = count_links(PAIRS)
    assert counts == {("the", "das"): 2, ("house", "haus"): 2, ("house", "gebäude"): 1, ("a", "ein"): 1}
    entries = induce(counts, InduceConfig(min_count=1, min_prob=0.0, top_k=5))
    got = {(e.src, e.tgt): (e.count, round(e.p_tgt_given_src, 4), round(e.p_src_given_tgt, 4)) for e in entries}
    assert got == {("a", "ein"): (1, 1.0, 1.0), ("house", "haus"): (2, 0.6667, 1.0),
                   ("house", "gebäude"): (1, 0.3333, 1.0), ("the", "das"): (2, 1.0, 1.0)}
    assert [(e.src, e.tgt) for e in entries] == [("a", "ein"), ("house", "haus"), ("house", "gebäude"),
                                                 ("the", "das")]


def test_thresholds() -> None:
    counts = count_links(PAIRS)
    assert [(e.src, e.tgt) for e in induce(counts, InduceConfig(min_count=2))] == [("house", "haus"), ("the", "das")]
    assert [(e.src, e.tgt) for e in induce(counts, InduceConfig(min_count=1, min_prob=0.5, top_k=1))] == [
        ("a", "ein"), ("house", "haus"), ("the", "das")]
    with pytest.raises(CodeswitchError, match=r"--min-prob must be within \[0, 1\]"):
        induce(counts, InduceConfig(min_prob=2.0))


def test_precision_at_1_on_covered_words(tmp_path: Path) -> None:
    gold_file = tmp_path / "gold.txt"
    gold_file.write_text("house haus\nhouse gebäude\nthe der\ncat katze\n", encoding="utf-8")
    gold = read_muse_gold(gold_file)
    entries = induce(count_links(PAIRS), InduceConfig(min_count=1, min_prob=0.0))
    res = precision_at_1(entries, gold)
    # covered: house (best haus: correct), the (best das: wrong); cat is not covered
    assert res == {"gold_source_words": 3, "covered": 2, "coverage": 0.6667, "correct": 1, "precision_at_1": 0.5}
    bad = tmp_path / "bad.txt"
    bad.write_text("house haus\nthree fields here\n", encoding="utf-8")
    with pytest.raises(CodeswitchError, match=r"bad.txt:2: expected 'src tgt' \(2 whitespace-separated fields\)"):
        read_muse_gold(bad)


def test_cli_induce_muse_output_and_gold(tmp_path: Path, shared_data: Path) -> None:
    al = tmp_path / "al"
    al.mkdir()
    (al / "pairs.jsonl").write_text(
        '{"id": "1", "src_lang": "en", "tgt_lang": "de", "src": "the house", "tgt": "das Haus"}\n'
        '{"id": "2", "src_lang": "en", "tgt_lang": "de", "src": "the water", "tgt": "das Wasser"}\n',
        encoding="utf-8")
    (al / "grow-diag-final-and.align").write_text("0-0 1-1\n0-0 1-1\n", encoding="utf-8")
    out = tmp_path / "lex.txt"
    gold = shared_data / "muse-splits" / "en-de.0-5000.txt"
    r = CliRunner().invoke(induce_cmd, [str(al), "--out", str(out), "--min-count", "1", "--scores",
                                        str(tmp_path / "s.tsv"), "--gold", str(gold)])
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8") == "house haus\nthe das\nwater wasser\n"
    assert (tmp_path / "s.tsv").read_text(encoding="utf-8").splitlines()[1] == "house\thaus\t1\t1.000000\t1.000000"
    assert '"precision_at_1"' in r.output and '"coverage"' in r.output
    assert (tmp_path / "lex.txt.config.json").exists()
    # the MUSE output reads back as a gold-format dictionary
    assert read_muse_gold(out) == {"house": {"haus"}, "the": {"das"}, "water": {"wasser"}}


def test_cli_induce_rejects_out_of_bounds_alignment(tmp_path: Path) -> None:
    al = tmp_path / "al"
    al.mkdir()
    (al / "pairs.jsonl").write_text('{"id": "1", "src_lang": "en", "tgt_lang": "de", "src": "a b", "tgt": "c"}\n',
                                    encoding="utf-8")
    (al / "grow-diag-final-and.align").write_text("0-0 1-1\n", encoding="utf-8")
    out = tmp_path / "lex.txt"
    r = CliRunner().invoke(induce_cmd, [str(al), "--out", str(out)])
    assert r.exit_code != 0 and not out.exists()
    assert "grow-diag-final-and.align:1: link '1-1' exceeds the sentence length (2 source, 1 target tokens)" in str(
        r.exception)
