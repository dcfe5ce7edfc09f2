"""Switching semantics: offsets, real rates near p, phrases longest-first, case, multilingual draws."""

from __future__ import annotations

import json

import pytest

from codeswitch.errors import ConfigError
from codeswitch.lexical.lexicon import Lexicon, parse_spec
from codeswitch.lexical.switch import SwitchConfig, Switcher, restore_case, rng_for


def _lex(pairs, tgt="de"):
    return Lexicon([(s, t, 1.0) for s, t in pairs], "en", tgt, f"en-{tgt}")


@pytest.fixture(scope="module")
def squad_texts(shared_data):
    path = shared_data / "squad/squad-v2.0-dev.demo-pairs.en.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return [r["passage"] for r in rows[::3]] + [r["question"] for r in rows]


@pytest.fixture(scope="module")
def muse_de(shared_data):
    return Lexicon.load(parse_spec(str(shared_data / "muse-full/en-de.txt"), "en"))


def _check_offsets(original, out, hits):
    for start, end, source, _ in hits:
        assert out[start:end] != "" and source in original
    # removing the replacements and putting the sources back gives the input again
    rebuilt, pos = [], 0
    for start, end, source, _ in hits:
        rebuilt.append(out[pos:start])
        rebuilt.append(source)
        pos = end
    rebuilt.append(out[pos:])
    assert "".join(rebuilt) == original


def test_offsets_and_rate_on_real_text(squad_texts, muse_de):
    sw = Switcher([muse_de], "en", SwitchConfig(ratio=0.5))
    for i, text in enumerate(squad_texts):
        out, hits = sw.switch(text, "passage", rng_for(13, str(i)))
        _check_offsets(text, out, hits)
        for start, end, source, lang in hits:
            assert lang == "de"
            assert out[start:end].lower() in {t.lower() for t in muse_de.translations(source)}
    c = sw.counts
    drawn = c[("passage", "*", "switched")] + c[("passage", "*", "identical")]
    rate = drawn / c[("passage", "*", "covered")]
    assert c[("passage", "*", "covered")] > 10000
    assert 0.48 < rate < 0.52  # the coin; identity draws (MUSE's California -> California) are not switches
    assert c[("passage", "*", "identical")] > 0.05 * drawn
    assert c[("passage", "*", "covered")] < c[("passage", "*", "tokens")]


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_extreme_ratios(p):
    sw = Switcher([_lex([("house", "Haus"), ("red", "rot")])], "en", SwitchConfig(ratio=p))
    out, hits = sw.switch("A red house.", "query", rng_for(1, "x"))
    assert out == ("A rot Haus." if p == 1.0 else "A red house.")
    assert len(hits) == (2 if p == 1.0 else 0)


def test_longest_phrase_first_and_case_restored():
    lex = _lex([("new", "neu"), ("new york", "New York City"), ("york", "Jork"), ("usa", "Vereinigte Staaten")])
    sw = Switcher([lex], "en", SwitchConfig(ratio=1.0))
    text = "New   York is in the USA; new york too."
    out, hits = sw.switch(text, "passage", rng_for(1, "x"))
    assert out == "New York City is in the VEREINIGTE STAATEN; New York City too."
    assert [h[2] for h in hits] == ["New   York", "USA", "new york"]
    _check_offsets(text, out, hits)


def test_restore_case():
    assert restore_case("House", "haus") == "Haus"
    assert restore_case("HOUSE", "haus") == "HAUS"
    assert restore_case("house", "Haus") == "Haus"


def test_multilingual_draws():
    de, sw_ = _lex([("house", "Haus"), ("tree", "Baum")]), _lex([("house", "nyumba")], "sw")
    text = " ".join(["house tree"] * 2000)
    for draw in ("all", "covering"):
        s = Switcher([de, sw_], "en", SwitchConfig(ratio=0.5, draw=draw))
        s.switch(text, "passage", rng_for(3, draw))
        c = s.counts
        tree_rate = c.get(("passage", "de", "switched"), 0) - c.get(("passage", "sw", "switched"), 0)
        covered = c[("passage", "*", "covered")]
        rate = c[("passage", "*", "switched")] / covered
        # all: "tree" only has de, drawn half the time -> 0.5 * (0.5 * 1 + 0.5 * 0.5) = 0.375
        assert rate == pytest.approx(0.375 if draw == "all" else 0.5, abs=0.03), (draw, tree_rate)
        assert c[("passage", "sw", "covered")] == 2000


def test_sentence_ratio_switches_whole_sentences_only():
    lex = _lex([("house", "Haus")])
    s = Switcher([lex], "en", SwitchConfig(ratio=1.0, sentence_ratio=0.5))
    out, _ = s.switch(" ".join(["house house."] * 400), "passage", rng_for(1, "s"))
    sentences = [x.strip() for x in out.split(".") if x.strip()]
    assert set(sentences) == {"house house", "Haus Haus"}
    assert 0.4 < sentences.count("Haus Haus") / len(sentences) < 0.6


def test_deterministic_per_record():
    lex = _lex([("house", "Haus"), ("red", "rot"), ("big", "groß")])
    a = Switcher([lex], "en", SwitchConfig(policy="random"))
    b = Switcher([lex], "en", SwitchConfig(policy="random"))
    text = "big red house " * 50
    assert a.switch(text, "q", rng_for(5, "id1")) == b.switch(text, "q", rng_for(5, "id1"))
    assert a.switch(text, "q", rng_for(5, "id1")) != a.switch(text, "q", rng_for(5, "id2"))


def test_generic_tokenizer_path_matches_fast_path(squad_texts, muse_de):
    fast = Switcher([muse_de], "en", SwitchConfig(tokenizer="fast"))
    chars = Switcher([muse_de], "en", SwitchConfig(tokenizer="chars"))
    for i, text in enumerate(squad_texts[:40]):
        assert fast.switch(text, "p", rng_for(1, str(i))) == chars.switch(text, "p", rng_for(1, str(i)))


def test_thai_source_maximal_matching(monkeypatch):
    # without a Thai word segmenter (pythainlp absent) the fallback is one token per Thai character, and
    # lexicon entries are matched longest-first over them (dictionary maximal matching)
    import importlib.util

    import codeswitch.tokenize as tok

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pythainlp" else real(name, *a))
    tok.get_tokenizer.cache_clear()
    try:
        lex = Lexicon([("ภาษา", "language", 1.0), ("ไทย", "Thai", 1.0)], "th", "en", "th-en")
        s = Switcher([lex], "th", SwitchConfig(ratio=1.0))
        out, hits = s.switch("ภาษาไทย", "query", rng_for(1, "t"))
    finally:
        tok.get_tokenizer.cache_clear()
    assert out == "languageThai" and [h[2] for h in hits] == ["ภาษา", "ไทย"]


def test_thai_source_with_a_word_segmenter():
    # with pythainlp (installed by the eval extra) auto segments words: ภาษาไทย is one dictionary word
    pytest.importorskip("pythainlp")
    lex = Lexicon([("ภาษาไทย", "Thai language", 1.0), ("ภาษา", "language", 1.0)], "th", "en", "th-en")
    s = Switcher([lex], "th", SwitchConfig(ratio=1.0))
    out, hits = s.switch("ภาษาไทย", "query", rng_for(1, "t"))
    assert out == "Thai language" and [h[2] for h in hits] == ["ภาษาไทย"]


@pytest.mark.parametrize("ratio", [-0.1, 1.5])
def test_ratio_outside_unit_interval(ratio):
    with pytest.raises(ConfigError, match=r"--ratio must be in \[0, 1\], found"):
        SwitchConfig(ratio=ratio)


def test_vectorised_path_equals_general_loop(squad_texts, muse_de):
    fast = Switcher([muse_de], "en", SwitchConfig())
    loop = Switcher([muse_de], "en", SwitchConfig())
    loop._simple = False
    for i, text in enumerate(squad_texts):
        assert fast.switch(text, "p", rng_for(2, str(i))) == loop.switch(text, "p", rng_for(2, str(i)))
    assert fast.counts == loop.counts


@pytest.mark.parametrize("policy", ["first", "random"])
@pytest.mark.parametrize("phrase", [False, True])
def test_identity_translation_is_not_a_switch(policy, phrase):
    # issue 12: MUSE en-de maps California -> California; such a draw must not be recorded or counted as switched
    pairs = [("california", "California"), ("house", "Haus"), ("paris", "PARIS")]
    if phrase:  # a phrase entry sends the text through the general loop instead of the vectorised path
        pairs.append(("new york", "New York"))
    sw = Switcher([_lex(pairs)], "en", SwitchConfig(ratio=1.0, policy=policy))
    text = "California house Paris california New York"
    out, hits = sw.switch(text, "query", rng_for(1, "x"))
    assert out == text.replace("house", "Haus")
    assert [(out[s:e], src) for s, e, src, _ in hits] == [("Haus", "house")]
    c = sw.counts
    assert c[("query", "*", "switched")] == 1 == c[("query", "de", "switched")]
    assert c[("query", "*", "identical")] == 3 + (2 if phrase else 0) == c[("query", "de", "identical")]


def test_identity_translation_multilingual():
    a = _lex([("california", "California"), ("house", "Haus")], "de")
    b = _lex([("california", "Kalifornia"), ("house", "nyumba")], "sw")
    sw = Switcher([a, b], "en", SwitchConfig(ratio=1.0))
    for i in range(20):
        out, hits = sw.switch("California house", "query", rng_for(1, str(i)))
        assert all(out[s:e] != src for s, e, src, _ in hits)
    assert sw.counts[("query", "de", "identical")] > 0 and ("query", "sw", "identical") not in sw.counts
