"""Alignment-based switching: consistent phrases, exact offsets, determinism, code-switched pairs."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from codeswitch.errors import CodeswitchError
from codeswitch.parallel.align import AlignConfig
from codeswitch.parallel.align_switch import (
    AlignmentIndex,
    AlignSwitchConfig,
    Target,
    build_alignment_index,
    codeswitch_example,
    minimal_phrase,
    switch_text,
)
from codeswitch.parallel.bitext import AlignedPair, TextPair
from codeswitch.parallel.pairs import build_pairs, read_parallel
from codeswitch.tokenize import tokenize

SRC = "How many points did the Panthers defense surrender?"
TGT = "Wie viele Punkte gab die Verteidigung der Panthers ab?"
# How-Wie many-viele points-Punkte did-gab the-die Panthers-Panthers defense-Verteidigung
# the-der surrender-gab/ab ?-?  (reordering: "the Panthers defense" <-> "die Verteidigung der Panthers")
LINKS = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 7), (6, 5), (4, 6), (7, 3), (7, 8), (8, 9)]


def _maps(n_src: int, n_tgt: int, links):
    s2t = [[] for _ in range(n_src)]
    t2s = [[] for _ in range(n_tgt)]
    for i, j in links:
        s2t[i].append(j)
        t2s[j].append(i)
    return s2t, t2s


def test_minimal_phrase_handles_reordering_and_discontinuity() -> None:
    s2t, t2s = _maps(9, 10, LINKS)
    assert minimal_phrase(0, s2t, t2s, 4) == (0, 0, 0, 0)
    assert minimal_phrase(4, s2t, t2s, 4) == (4, 6, 4, 7)  # the Panthers defense -> die Verteidigung der Panthers
    assert minimal_phrase(5, s2t, t2s, 4) == (5, 5, 7, 7)  # Panthers alone is consistent too
    assert minimal_phrase(4, s2t, t2s, 2) is None  # "the" needs 3 source tokens
    assert minimal_phrase(3, s2t, t2s, 4) is None  # did ... surrender spans 5 source tokens
    assert minimal_phrase(3, s2t, t2s, 5) == (3, 7, 3, 8)


def test_switch_offsets_point_at_inserted_target_spans() -> None:
    src_t, tgt_t = tokenize(SRC, "en"), tokenize(TGT, "de")
    out, sw = switch_text(SRC, src_t, [Target("de", TGT, tgt_t, LINKS)], 1.0, random.Random(0), "query")
    assert out == "Wie viele Punkte did die Verteidigung der Panthers surrender?"
    assert [(s.source, out[s.start:s.end]) for s in sw] == [
        ("How", "Wie"), ("many", "viele"), ("points", "Punkte"),
        ("the Panthers defense", "die Verteidigung der Panthers"),
    ]
    assert all(s.method == "alignment" and s.lang == "de" and s.side == "query" for s in sw)
    # each switch's source is the text it replaced: undoing the switches restores the input
    restored = out
    for s in reversed(sw):
        restored = restored[: s.start] + s.source + restored[s.end:]
    assert restored == SRC
    none, no_sw = switch_text(SRC, src_t, [Target("de", TGT, tgt_t, LINKS)], 0.0, random.Random(0), "query")
    assert none == SRC and no_sw == []


def test_window_switches_only_inside_and_offsets_are_relative() -> None:
    text = "First one. The house is small. Last one."
    tgt = "Erster. Das Haus ist klein. Letzter."
    st, tt = tokenize(text, "en"), tokenize(tgt, "de")
    links = [(0, 0), (1, 0), (2, 1), (3, 2), (4, 3), (5, 4), (6, 5), (7, 6), (8, 7), (9, 7), (10, 8)]
    out, sw = switch_text(text, st, [Target("de", tgt, tt, links)], 1.0, random.Random(1), "passage",
                          window=(11, 30))
    assert out == "Das Haus ist klein."
    assert [(s.source, out[s.start:s.end]) for s in sw] == [("The", "Das"), ("house", "Haus"), ("is", "ist"),
                                                            ("small", "klein")]


@pytest.fixture(scope="module")
def xquad3(shared_data: Path):
    files = [str(shared_data / "xquad" / f"xquad.{lg}.json") for lg in ("en", "de", "es")]
    return read_parallel(files)[:40]


@pytest.fixture(scope="module")
def index3(xquad3) -> AlignmentIndex:
    cfg = AlignConfig(rel_iterations=0.2, n_samplers=1, chunk_size=200)
    return build_alignment_index(xquad3, [("en", "de"), ("en", "es"), ("de", "en")], cfg)


def test_codeswitched_cross_pairs_real_xquad(xquad3, index3) -> None:
    assert len(index3) > 0
    items = {it.pair_id: it for it in xquad3}
    cfg = AlignSwitchConfig(ratio=0.5, side="both", langs=("de", "es"), seed=11)
    base = [ex for ex in build_pairs(xquad3, "cross", langs=["en", "de"]) if ex.query_lang == "en"]
    assert len(base) == 40
    out = [codeswitch_example(ex, items[ex.pair_id], index3, cfg) for ex in base]
    switched = [ex for ex in out if ex.switches]
    assert len(switched) >= 30 and all(ex.kind == "codeswitch" for ex in switched)
    langs = set()
    for orig, ex in zip(base, out, strict=True):
        assert ex.pair_id == orig.pair_id and ex.id == orig.id
        for s in ex.switches:
            text = ex.query if s.side == "query" else ex.passage
            src = orig.query if s.side == "query" else orig.passage
            tgt_item = items[ex.pair_id].texts[s.lang]
            tgt_text = tgt_item.query if s.side == "query" else tgt_item.paragraph
            assert text[s.start:s.end] in tgt_text  # the inserted span is a piece of the translation
            assert s.source in src and s.method == "alignment"
            langs.add(s.lang)
    assert langs == {"de", "es"}  # multilingual target choice
    again = [codeswitch_example(ex, items[ex.pair_id], index3, cfg) for ex in base]
    assert again == out  # same seed, same output
    other = [codeswitch_example(ex, items[ex.pair_id], index3, AlignSwitchConfig(0.5, "both", ("de", "es"), 4, 12))
             for ex in base]
    assert other != out


def test_sentence_passage_switching(xquad3, index3) -> None:
    items = {it.pair_id: it for it in xquad3}
    cfg = AlignSwitchConfig(ratio=1.0, side="passage", langs=("de",), seed=0)
    base = list(build_pairs(xquad3, "mono", passage="sentence", langs=["en"]))
    out = [codeswitch_example(ex, items[ex.pair_id], index3, cfg, passage_unit="sentence") for ex in base]
    assert sum(bool(ex.switches) for ex in out) >= 35
    for orig, ex in zip(base, out, strict=True):
        assert ex.query == orig.query
        for s in ex.switches:
            assert s.side == "passage" and 0 <= s.start < s.end <= len(ex.passage)
            assert s.source in orig.passage


def test_aligned_pair_and_options() -> None:
    st, tt = tokenize(SRC, "en"), tokenize(TGT, "de")
    ap = AlignedPair(TextPair("q1", "en", "de", SRC, TGT), tuple(st), tuple(tt), tuple(LINKS))
    from codeswitch.parallel.align_switch import switch_aligned_pair

    a = switch_aligned_pair(ap, 0.5, seed=3)
    assert a == switch_aligned_pair(ap, 0.5, seed=3)
    with pytest.raises(CodeswitchError, match=r"--ratio must be within \[0, 1\], found 1.5"):
        AlignSwitchConfig(ratio=1.5).check()
    with pytest.raises(CodeswitchError, match=r"--side must be one of query, passage, both"):
        AlignSwitchConfig(side="left").check()
