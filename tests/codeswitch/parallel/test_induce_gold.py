"""`lexicon induce --gold` with WECHSEL / Wiktionary dictionaries: tab lines, direction, NFC, errors."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from codeswitch.cli import main
from codeswitch.errors import CodeswitchError
from codeswitch.parallel.bitext import AlignedPair, TextPair
from codeswitch.parallel.induce import count_links, gold_spec, read_muse_gold
from codeswitch.tokenize import tokenize


def _align_dir(path: Path, src_lang: str, tgt_lang: str, rows: list[tuple[str, str, str]]) -> Path:
    path.mkdir()
    (path / "pairs.jsonl").write_text("".join(
        f'{{"id": "{n}", "src_lang": "{src_lang}", "tgt_lang": "{tgt_lang}", "src": "{s}", "tgt": "{t}"}}\n'
        for n, (s, t, _) in enumerate(rows)), encoding="utf-8")
    (path / "grow-diag-final-and.align").write_text("".join(a + "\n" for _, _, a in rows), encoding="utf-8")
    return path


def test_tab_lines_phrases_header_and_empty_sides(tmp_path: Path) -> None:
    g = tmp_path / "hausa.txt"
    g.write_text("B\tA\nalways\tabada\npaternal uncle\tkawu\nWater\tRuwa\nempty\t\n", encoding="utf-8")
    assert read_muse_gold(g) == {"always": {"abada"}, "paternal uncle": {"kawu"}, "water": {"ruwa"}}
    w = tmp_path / "sw-en.train"
    w.write_text("maji\twater\nmaji\tjuice\nnyumba\thouse\nbure\t\n", encoding="utf-8")
    assert read_muse_gold(w, invert=True) == {"water": {"maji"}, "juice": {"maji"}, "house": {"nyumba"}}


def test_nfc_on_both_sides() -> None:
    decomposed = unicodedata.normalize("NFD", "ọmọ")
    ap = AlignedPair(TextPair("1", "en", "yo", "child", decomposed), tuple(tokenize("child", "en")),
                     tuple(tokenize(decomposed, "yo")), ((0, 0),))
    assert count_links([ap]) == {("child", unicodedata.normalize("NFC", "ọmọ")): 1}


def test_gold_spec_direction() -> None:
    assert gold_spec("muse/en-de.0-5000.txt", "en", "de") == (Path("muse/en-de.0-5000.txt"), False)
    assert gold_spec("wiktionary-bli/sw-en.train", "en", "sw") == (Path("wiktionary-bli/sw-en.train"), True)
    assert gold_spec("wechsel-dicts/swahili.txt", "en", "sw") == (Path("wechsel-dicts/swahili.txt"), False)
    assert gold_spec("sw-en=my.dict", "en", "sw") == (Path("my.dict"), True)
    assert gold_spec("en-sw=sw-en.train", "en", "sw") == (Path("sw-en.train"), False)  # the prefix wins
    with pytest.raises(CodeswitchError, match=r"--gold yo-en=x.txt holds yo-en but the lexicon is en-sw; pass a "
                                              r"gold dictionary of these two languages \(en-sw=PATH or sw-en=PATH\)"):
        gold_spec("yo-en=x.txt", "en", "sw")


def _one_line_error(result, expected: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], result.output


def test_cli_induce_scores_against_an_inverted_wiktionary_file(tmp_path: Path) -> None:
    al = _align_dir(tmp_path / "al", "en", "sw", [("the water", "maji", "1-0"), ("the house", "nyumba", "1-0"),
                                                  ("water", "maji", "0-0"), ("house", "kitabu", "0-0"),
                                                  ("house", "nyumba", "0-0")])
    gold = tmp_path / "sw-en.train"
    gold.write_text("maji\twater\nnyumba\thouse\nmbwa\tdog\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["lexicon", "induce", str(al), "--out", str(tmp_path / "en-sw.txt"),
                                  "--min-count", "1", "--gold", str(gold)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "en-sw.txt").read_text(encoding="utf-8") == "house nyumba\nhouse kitabu\nwater maji\n"
    assert ('{"gold_source_words": 3, "covered": 2, "coverage": 0.6667, "correct": 2, "precision_at_1": 1.0}'
            in r.output)


def test_cli_induce_gold_errors_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    al = _align_dir(tmp_path / "al", "en", "sw", [("water", "maji", "0-0")])
    out = tmp_path / "lex.txt"
    _one_line_error(runner.invoke(main, ["lexicon", "induce", str(al), "--out", str(out), "--gold",
                                         f"yo-en={tmp_path / 'g.txt'}"]), "holds yo-en but the lexicon is en-sw")
    bad = tmp_path / "g.txt"
    bad.write_text("water maji\nthree fields here\n", encoding="utf-8")
    _one_line_error(runner.invoke(main, ["lexicon", "induce", str(al), "--out", str(out), "--gold", str(bad)]),
                    "g.txt:2: expected 'src tgt' (2 whitespace-separated fields), found 3")
    other = _align_dir(tmp_path / "al2", "en", "yo", [("water", "omi", "0-0")])
    _one_line_error(runner.invoke(main, ["lexicon", "induce", str(al), str(other), "--out", str(out)]),
                    "the alignment directories hold different language pairs: en-sw")
    assert not out.exists()
