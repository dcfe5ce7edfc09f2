"""A column-letter first line (WECHSEL hausa.txt: ``B<TAB>A``) is a header, not the entry b -> A."""

from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.mark.parametrize(("data", "match"), [
    ("house Haus\t3\n", r"lex.txt:1: 'house Haus\\t3' mixes spaces and a tab"),
    ("house\tHa\x00us\n", r"lex.txt:1: a NUL byte inside the line"),
    ("house Haus\n".encode("utf-16"), r"lex.txt:1: UTF-16 text"),
])
def test_lexicon_lines_that_would_lose_an_entry_are_errors(tmp_path, data, match):
    from codeswitch.errors import DataFormatError
    from codeswitch.lexical.lexicon import read_pairs

    path = tmp_path / "lex.txt"
    (path.write_bytes if isinstance(data, bytes) else lambda d: path.write_text(d, encoding="utf-8"))(data)
    with pytest.raises(DataFormatError, match=match):
        read_pairs(path)


def test_a_utf8_bom_does_not_glue_itself_to_the_first_entry(tmp_path):
    from codeswitch.lexical.lexicon import read_pairs

    path = tmp_path / "lex.txt"
    path.write_bytes("\ufeffhouse Haus\ncat Katze\n".encode())
    assert read_pairs(path)[0] == [("house", "Haus", 1.0), ("cat", "Katze", 1.0)]
