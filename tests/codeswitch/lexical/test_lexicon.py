"""Lexicon parsing, orientation, policies, filters and errors (real MUSE / Wiktionary / WECHSEL files)."""

from __future__ import annotations

import pytest

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.lexical.lexicon import Lexicon, LexiconSpec, langs_from_name, parse_spec, read_pairs


def test_orientation_from_file_names(shared_data):
    muse = parse_spec(str(shared_data / "muse-full/en-de.txt"), "en")
    assert (muse.src_lang, muse.tgt_lang, muse.invert) == ("en", "de", False)
    wikt = parse_spec(str(shared_data / "wiktionary-bli/sw-en.train"), "en")
    assert (wikt.tgt_lang, wikt.invert) == ("sw", True)
    assert langs_from_name("swahili.txt") == ("en", "sw")
    assert parse_spec("te=mydict.tsv", "en") == LexiconSpec("mydict.tsv", "en", "te", False)
    assert parse_spec("yo-en=mydict.tsv", "en") == LexiconSpec("mydict.tsv", "en", "yo", True)


def test_muse_first_translation_and_case_insensitive(shared_data):
    lex = Lexicon.load(parse_spec(str(shared_data / "muse-full/en-de.txt"), "en"))
    assert lex.translations("The")[:2] == ("die", "der")  # file order: the first line is `the die`
    assert lex.stats()["pairs"] == 101931


def test_wiktionary_inverted_and_empty_lines_skipped(shared_data):
    lex = Lexicon.load(parse_spec(str(shared_data / "wiktionary-bli/sw-en.train"), "en"))
    assert "vuruga" in lex.translations("mix")
    test = Lexicon.load(parse_spec(str(shared_data / "wiktionary-bli/sw-en.test"), "en"))
    assert test.skipped == 8  # PROVENANCE.md: 8 sw lines with an empty English side


def test_wechsel_multiword_entries(shared_data):
    lex = Lexicon.load(parse_spec(str(shared_data / "wechsel-dicts/swahili.txt"), "en"))
    assert lex.translations("Paternal   Uncle") == ("ami",)
    assert lex.max_tokens >= 2 and "paternal" in lex.phrase_starts


def test_frequent_policy_uses_counts(tmp_path):
    f = tmp_path / "en-de.tsv"
    f.write_text("house\tHaus\t2\nhouse\tGebäude\t5\nhome\tHeim\n", encoding="utf-8")
    assert Lexicon.load(parse_spec(str(f), "en"), policy="frequent").translations("house") == ("Gebäude", "Haus")
    assert Lexicon.load(parse_spec(str(f), "en"), policy="first").translations("house") == ("Haus", "Gebäude")


def test_filters(tmp_path):
    f = tmp_path / "en-de.txt"
    f.write_text("the die\n1990 1990er\nox Ochse\nhouse Haus\n", encoding="utf-8")
    lex = Lexicon.load(parse_spec(str(f), "en")).filtered(stopwords=True, numbers=True, min_length=3)
    assert sorted(lex.table) == ["house"]


def test_cldr_lexicon():
    lex = Lexicon.load(parse_spec("cldr:sw", "en"))
    assert lex.translations("Monday") == ("Jumatatu",)
    assert lex.translations("united states") == ("Marekani",)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("house Haus\nbroken line here\n", r"en-de.txt:2: expected 'source target'"),
        ("\n\n", r"lexicon has no entries"),
        ("house\tHaus\tmany\n", r"en-de.txt:1: expected"),
    ],
)
def test_malformed_lexicon(tmp_path, content, message):
    f = tmp_path / "en-de.txt"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(DataFormatError, match=message):
        read_pairs(f)


def test_non_utf8_lexicon(tmp_path):
    f = tmp_path / "en-de.txt"
    f.write_bytes(b"house Haus\nb\xe4r B\xe4r\n")
    with pytest.raises(DataFormatError, match=r"en-de.txt:2: not UTF-8"):
        read_pairs(f)


def test_spec_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown lexicon language 'qq'; supported ISO codes: af, am"):
        parse_spec("qq=x.txt", "en")
    unnamed = tmp_path / "dict.txt"
    unnamed.write_text("house\tHaus\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cannot tell the languages of lexicon .*dict.txt"):
        parse_spec(str(unnamed), "en")
    with pytest.raises(ConfigError, match=r"lexicon file .*missing.txt not found; fix the --lexicon path"):
        parse_spec(str(tmp_path / "missing.txt"), "en")
    with pytest.raises(ConfigError, match=r"holds de-fr but the source language is en"):
        parse_spec("de-fr.txt", "en")
    with pytest.raises(DataFormatError, match=r"lexicon not found"):
        Lexicon.load(parse_spec("missing-en-de.txt", "en"))
