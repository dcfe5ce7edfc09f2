"""Pair building from translated QA data: real XQuAD / XQuAD-R counts, splits, sampling, errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from codeswitch.errors import CodeswitchError
from codeswitch.parallel.pairs import (
    PairStats,
    build_pairs,
    lang_from_name,
    language_pairs,
    read_parallel,
    split_by_title,
)


@pytest.fixture(scope="module")
def xquad_items(shared_data: Path):
    files = sorted(str(p) for p in (shared_data / "xquad").glob("xquad.*.json"))
    assert len(files) == 12
    return read_parallel(files)


def test_xquad_all_pairs_counts(xquad_items) -> None:
    stats = PairStats()
    recs = list(build_pairs(xquad_items, "all", stats=stats))
    kinds = Counter(r.kind for r in recs)
    assert len(xquad_items) == 1190
    assert kinds == {"mono": 1190 * 12, "cross": 1190 * 12 * 11}
    assert stats.records == {"mono": 1190 * 12, "cross": 1190 * 12 * 11}
    assert stats.missing == {lg: 0 for lg in stats.languages} and len(stats.languages) == 12
    by_pair = Counter(r.pair_id for r in recs)
    assert set(by_pair.values()) == {144}  # every record of an item shares its pair_id
    assert len({r.id for r in recs}) == len(recs)
    r = next(r for r in recs if r.id == "56beb4343aeaaa14008c925b/de-en")
    assert r.query == "Wie viele Punkte gab die Verteidigung der Panthers ab?"
    assert r.passage.startswith("The Panthers defense gave up just 308 points")
    assert (r.query_lang, r.passage_lang, r.kind) == ("de", "en", "cross")


def test_mono_cross_modes_and_langs(xquad_items) -> None:
    mono = list(build_pairs(xquad_items, "mono", langs=["en", "de"]))
    cross = list(build_pairs(xquad_items, "cross", langs=["en", "de", "zh"]))
    assert len(mono) == 1190 * 2 and all(r.kind == "mono" for r in mono)
    assert len(cross) == 1190 * 6 and all(r.query_lang != r.passage_lang for r in cross)
    assert language_pairs(["de", "en"], "all") == [("de", "de"), ("en", "en"), ("de", "en"), ("en", "de")]


def test_sampled_pairs_are_seeded(xquad_items) -> None:
    a = [r.id for r in build_pairs(xquad_items[:50], "cross", per_item=3, seed=7)]
    b = [r.id for r in build_pairs(xquad_items[:50], "cross", per_item=3, seed=7)]
    c = [r.id for r in build_pairs(xquad_items[:50], "cross", per_item=3, seed=8)]
    assert a == b and a != c and len(a) == 150


def test_sentence_passage_contains_answer(xquad_items) -> None:
    recs = list(build_pairs(xquad_items[:200], "mono", passage="sentence", langs=["en", "de"]))
    assert len(recs) == 400
    item = {it.pair_id: it for it in xquad_items}
    for r in recs:
        it = item[r.pair_id].texts[r.passage_lang]
        assert r.passage == it.paragraph[it.sentence_start: it.sentence_start + len(it.sentence)]
        assert len(r.passage) <= len(it.paragraph)
    en = next(r for r in recs if r.id == "56beb4343aeaaa14008c925b/en-en")
    assert en.passage.startswith("The Panthers defense") and "308" in en.passage and "Kawann" not in en.passage


def test_lareqa_sentence_candidates(shared_data: Path) -> None:
    root = shared_data / "lareqa" / "xquad-r"
    items = read_parallel([str(root / "en.json"), str(root / "de.json"), str(root / "zh.json")])
    recs = list(build_pairs(items, "all", passage="sentence"))
    assert Counter(r.kind for r in recs) == {"mono": 1190 * 3, "cross": 1190 * 6}
    data = json.loads((root / "de.json").read_text(encoding="utf-8"))
    sentences = {s.strip() for a in data["data"] for p in a["paragraphs"] for s in p["sentences"]}
    de = [r for r in recs if r.passage_lang == "de"]
    assert all(r.passage in sentences for r in de)  # the passage is a LAReQA candidate sentence


def test_split_by_title_is_leakage_free_and_seeded(xquad_items) -> None:
    split = split_by_title(xquad_items, held_out=0.2, seed=3)
    assert split == split_by_title(xquad_items, held_out=0.2, seed=3)
    assert split != split_by_title(xquad_items, held_out=0.2, seed=4)
    assert Counter(split.values()) == {"train": 38, "heldout": 10}
    train = list(build_pairs(xquad_items, "mono", langs=["en"], split=split, keep_split="train"))
    held = list(build_pairs(xquad_items, "mono", langs=["en"], split=split, keep_split="heldout"))
    assert len(train) + len(held) == 1190
    train_titles = {r.meta["title"] for r in train}
    held_titles = {r.meta["title"] for r in held}
    assert train_titles.isdisjoint(held_titles) and len(held_titles) == 10
    assert {r.pair_id for r in train}.isdisjoint({r.pair_id for r in held})


def _jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def test_generic_jsonl_missing_languages_counted(tmp_path: Path) -> None:
    rows = [
        {"pair_id": "a", "lang": "en", "query": "q a", "passage": "p a"},
        {"pair_id": "a", "lang": "de", "query": "F a", "passage": "P a"},
        {"pair_id": "a", "lang": "sw", "query": "sw a", "passage": "sw p"},
        {"pair_id": "b", "lang": "en", "query": "q b", "passage": "p b"},
        {"pair_id": "b", "lang": "sw", "query": "sw b", "passage": "sw pb"},
    ]
    items = read_parallel([_jsonl(tmp_path / "data.jsonl", rows)])
    stats = PairStats()
    recs = list(build_pairs(items, "all", stats=stats))
    assert len(recs) == 9 + 4
    assert stats.missing == {"de": 1, "en": 0, "sw": 0}
    assert stats.present == {"de": 1, "en": 2, "sw": 2}


def test_lang_from_name() -> None:
    assert lang_from_name(Path("xquad.de.json")) == "de"
    assert lang_from_name(Path("mlqa-hi.jsonl")) == "hi"
    with pytest.raises(CodeswitchError, match=r"cannot tell the language from the file name; name it like"):
        lang_from_name(Path("questions.json"))


def test_duplicate_id_within_language(tmp_path: Path, shared_data: Path) -> None:
    rows = [{"pair_id": "a", "lang": "en", "query": "q", "passage": "p"}] * 2
    with pytest.raises(CodeswitchError, match=r"data.jsonl: field 'id': id 'a' appears twice in language en; ids"):
        read_parallel([_jsonl(tmp_path / "data.jsonl", rows)])
    squad = json.loads((shared_data / "xquad" / "xquad.en.json").read_text(encoding="utf-8"))
    para = squad["data"][0]["paragraphs"][0]
    para["qas"].append(dict(para["qas"][0]))
    bad = tmp_path / "dup.en.json"
    bad.write_text(json.dumps(squad), encoding="utf-8")
    with pytest.raises(CodeswitchError, match=r"dup.en.json: field 'id': question id '56beb4343aeaaa14008c925b' "
                                              r"appears twice in language en"):
        read_parallel([str(bad)])


def test_unknown_language(tmp_path: Path) -> None:
    rows = [{"pair_id": "a", "lang": "xx", "query": "q", "passage": "p"}]
    with pytest.raises(CodeswitchError, match=r"data.jsonl:1: field 'lang': unknown language 'xx'; supported ISO"):
        read_parallel([_jsonl(tmp_path / "data.jsonl", rows)])
    with pytest.raises(CodeswitchError, match=r"unknown language 'qq'"):
        read_parallel([f"qq={tmp_path / 'data.jsonl'}"])


def test_empty_text(tmp_path: Path) -> None:
    rows = [{"pair_id": "a", "lang": "en", "query": "  ", "passage": "p"}]
    with pytest.raises(CodeswitchError, match=r"data.jsonl:1: field 'query' is missing or empty"):
        read_parallel([_jsonl(tmp_path / "data.jsonl", rows)])
    squad = {"data": [{"title": "T", "paragraphs": [{"context": "C.", "qas": [{"id": "x", "question": " "}]}]}]}
    bad = tmp_path / "e.de.json"
    bad.write_text(json.dumps(squad), encoding="utf-8")
    with pytest.raises(CodeswitchError, match=r"e.de.json: field 'question' of id 'x' is empty in de; texts must have"):
        read_parallel([str(bad)])


def test_hf_dataset_with_language_column(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    rows = [
        {"pair_id": "a", "language": "en", "question": "Who?", "context": "Him."},
        {"pair_id": "a", "language": "sw", "question": "Nani?", "context": "Yeye."},
        {"pair_id": "b", "language": "en", "question": "What?", "context": "That."},
    ]
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "ds"))
    items = read_parallel([str(tmp_path / "ds")], lang_field="language", query_field="question",
                          passage_field="context")
    recs = list(build_pairs(items, "all"))
    assert sorted(r.id for r in recs) == ["a/en-en", "a/en-sw", "a/sw-en", "a/sw-sw", "b/en-en"]
    assert next(r for r in recs if r.id == "a/en-sw").passage == "Yeye."


def test_flores_tsv_translation_pairs_through_an_english_pivot(shared_data: Path) -> None:
    """FLORES sentences (SIB-200 TSVs) become items keyed by index_id; cross + pivot en gives x->en and en->x only."""
    flores = shared_data / "flores-sib200"
    files = {"en": "eng_Latn", "ha": "hau_Latn", "zu": "zul_Latn", "rw": "kin_Latn"}
    items = read_parallel([f"{lg}={flores / name}.train.tsv" for lg, name in files.items()])
    assert len(items) == 701 and all(len(it.texts) == 4 for it in items)
    # the first row of each file, read here with the csv module (not our reader)
    import csv

    with open(flores / "hau_Latn.train.tsv", encoding="utf-8", newline="") as fh:
        first = next(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    ha = next(it for it in items if it.pair_id == first["index_id"]).texts["ha"]
    assert ha.query == ha.paragraph == ha.sentence == first["text"].strip()
    stats = PairStats()
    recs = list(build_pairs(items, mode="cross", passage="sentence", pivot="en", stats=stats))
    pairs = Counter((r.query_lang, r.passage_lang) for r in recs)
    assert pairs == {(a, b): 701 for x in ("ha", "zu", "rw") for a, b in (("en", x), (x, "en"))}
    assert stats.records == {"cross": 701 * 6}
    xen = list(build_pairs(items, mode="cross", passage="sentence", pivot="en", passage_langs=["en"]))
    assert Counter((r.query_lang, r.passage_lang) for r in xen) == {(x, "en"): 701 for x in ("ha", "zu", "rw")}
    by_id = {it.pair_id: it for it in items}
    for r in recs[:50]:  # a record is a sentence and its translation, paired by index_id
        assert r.query == by_id[r.pair_id].texts[r.query_lang].query
        assert r.passage == by_id[r.pair_id].texts[r.passage_lang].paragraph


def test_pivot_filters_language_pairs() -> None:
    assert language_pairs(["de", "en", "fr"], "cross", "en") == [("de", "en"), ("en", "de"), ("en", "fr"),
                                                                ("fr", "en")]
    assert language_pairs(["de", "en", "fr"], "all", "en") == [("en", "en"), ("de", "en"), ("en", "de"),
                                                              ("en", "fr"), ("fr", "en")]
    with pytest.raises(CodeswitchError, match="pivot language 'sw'"):
        language_pairs(["de", "en"], "cross", "sw")


def test_passage_languages_keep_one_direction() -> None:
    assert language_pairs(["de", "en", "fr"], "cross", "en", ["en"]) == [("de", "en"), ("fr", "en")]
    assert language_pairs(["de", "en", "fr"], "all", None, ["en"]) == [("en", "en"), ("de", "en"), ("fr", "en")]
    assert language_pairs(["de", "en", "fr"], "cross", "en", ["de", "fr"]) == [("en", "de"), ("en", "fr")]
    with pytest.raises(CodeswitchError, match="passage language 'sw' is not among the languages read"):
        language_pairs(["de", "en"], "cross", "en", ["sw"])
