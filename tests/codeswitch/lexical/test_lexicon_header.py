"""A column-letter first line (WECHSEL hausa.txt: ``B<TAB>A``) is a header, not the entry b -> A."""

from __future__ import annotations

from pathlib import Path

from codeswitch.lexical.lexicon import Lexicon, parse_spec, read_pairs


def test_column_letter_header_is_dropped(tmp_path: Path) -> None:
    f = tmp_path / "hausa.txt"
    f.write_text("B\tA\nalways\tabada\nB\tbi\n", encoding="utf-8")
    pairs, skipped = read_pairs(f)
    assert pairs == [("always", "abada", 1.0), ("B", "bi", 1.0)] and skipped == 0  # only line 1 is a header
    # a real first entry with longer words, or without a tab, is kept
    g = tmp_path / "g.txt"
    g.write_text("B A\n", encoding="utf-8")
    assert read_pairs(g)[0] == [("B", "A", 1.0)]


def test_real_wechsel_hausa(shared_data: Path) -> None:
    lex = Lexicon.load(parse_spec(str(shared_data / "wechsel-dicts" / "hausa.txt"), "en"))
    assert lex.tgt_lang == "ha" and lex.translations("always") == ("abada", "kullum")
    assert lex.translations("b") == ("ɓ", "Ɓ")  # the letter entries of lines 58 and 369, not the header's "A"
    assert lex.stats()["pairs"] == 1291  # 1,292 lines less the header
