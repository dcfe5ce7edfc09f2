"""The BM25 analyser: NFKC + casefold, letter / mark / digit runs, word segmenters, loud fallbacks (issue 21)."""

from __future__ import annotations

import sys
import unicodedata

import numpy as np
import pytest
import yaml

import evaluation.retrieval.bm25 as bm25
from evaluation.retrieval.bm25 import ANALYZER, BM25Index, analyze, analyzer_settings
from evaluation.retrieval.models import BM25Model


@pytest.fixture
def fresh_segmenters():
    """Segmenter and analyser caches cleared before and after (a test may hide a package)."""
    bm25._segmenter.cache_clear()
    bm25._analyzer.cache_clear()
    yield
    bm25._segmenter.cache_clear()
    bm25._analyzer.cache_clear()


@pytest.mark.parametrize(("text", "lang", "tokens"), [
    ("Coca-Cola", "en", ["coca", "cola"]),
    ("Mandela's", "en", ["mandela", "s"]),
    ("Mandela\u2019s", "en", ["mandela", "s"]),
    ("l'Èkó", "yo", ["l", "èkó"]),
    ("Ankara'da", "tr", ["ankara", "da"]),
    ("well-known (1990).", "en", ["well", "known", "1990"]),
])
def test_hyphens_and_apostrophes_split(text, lang, tokens):
    assert analyze(text, lang) == tokens


def test_a_hyphenated_query_scores_as_its_words():
    index = BM25Index(["Coca-Cola is sold in Lagos", "Water is sold in Lagos", "Nelson Mandela's house"],
                      ["en"] * 3)
    for query, twin in (("coca-cola", "Coca Cola"), ("mandela's", "Mandela s")):
        got = index.scores(query, "en")
        assert got.max() > 0 and np.array_equal(got, index.scores(twin, "en"))


def test_precomposed_and_decomposed_bengali_are_one_term():
    pre, dec = "\u0986\u09df\u09a8\u09be", "\u0986\u09af\u09bc\u09a8\u09be"  # আয়না: U+09DF vs U+09AF U+09BC
    assert pre != dec and unicodedata.normalize("NFKC", pre) == dec
    assert analyze(pre, "bn") == analyze(dec, "bn") == [dec]
    index = BM25Index([f"{dec} হাতে মেয়েটি", "অন্য একটি বাক্য"], ["bn", "bn"])
    assert index.scores(pre, "bn")[0] > 0 and np.array_equal(index.scores(pre, "bn"), index.scores(dec, "bn"))


def test_combining_marks_stay_inside_words():
    yoruba = "O\u0323\u0300ro\u0323\u0300 Yoru\u0300ba\u0301 ni e\u0300de\u0300 wa"  # decomposed tone marks
    assert analyze(yoruba, "yo")[:2] == [unicodedata.normalize("NFKC", w) for w in ("ọ̀rọ̀", "yorùbá")]
    assert analyze("Ẹ\u0301kọ\u0301", "yo") == [unicodedata.normalize("NFKC", "ẹ\u0301kọ\u0301")]  # one word
    assert analyze("हिन्दी भारत की राजभाषा है।", "hi") == ["हिन्दी", "भारत", "की", "राजभाषा", "है"]
    assert analyze("পুরুষ", "bn") == ["পুরুষ"]


def test_format_characters_are_ignored_and_zero_width_space_splits():
    assert analyze("র\u200d্যাব", "bn") == analyze("র্যাব", "bn")  # ZWJ inside a Bengali word
    assert analyze("co\u00adca", "en") == ["coca"]  # soft hyphen
    assert analyze("one\u200btwo", "en") == ["one", "two"]


def test_casefold_is_full_and_language_independent():
    # full case folding: ß -> ss, so Straße, STRASSE and strasse are one term
    assert analyze("Straße", "de") == analyze("STRASSE", "de") == ["strasse"]
    # no Turkish rule: I -> i (not ı), İ -> i + U+0307, so İstanbul is not istanbul
    assert analyze("ISPARTA", "tr") == ["isparta"]
    assert analyze("İstanbul", "tr") == ["i\u0307stanbul"] != analyze("istanbul", "tr")
    assert analyze("ﬁne ２０２４", "en") == ["fine", "2024"]  # NFKC: ligature, full-width digits


def test_thai_is_segmented_into_words(fresh_segmenters):
    tokens = analyze("เมืองหลวงของประเทศไทยคือกรุงเทพมหานคร Bangkok", "th")
    assert {"ของ", "ประเทศ", "ไทย", "bangkok"} <= set(tokens)
    assert len(tokens) < 10 and all(len(t) > 1 for t in tokens)  # words, not 36 characters
    assert analyze("ทำงาน", "th") == analyze("ท\u0e4d\u0e32งาน", "th") == ["ทำงาน"]  # SARA AM kept whole


def test_chinese_is_segmented_into_words(fresh_segmenters):
    tokens = analyze("北京是中国的首都，Ｂｅｉｊｉｎｇ", "zh")
    assert {"北京", "中国", "首都", "beijing"} <= set(tokens)


def test_unsegmented_scripts_outside_their_language_are_characters():
    assert analyze("Tokyo 東京 Seoul 서울", "en") == ["tokyo", "東", "京", "seoul", "서", "울"]


@pytest.mark.parametrize(("lang", "module", "package", "text"), [
    ("th", "pythainlp.tokenize", "pythainlp", "ภาษาไทย"),
    ("zh", "jieba", "jieba", "北京大学"),
])
def test_a_missing_segmenter_is_a_one_line_warning(lang, module, package, text, monkeypatch, capsys,
                                                   fresh_segmenters):
    monkeypatch.setitem(sys.modules, module, None)  # import fails
    assert bm25.segmenter_name(lang) == "characters"
    assert BM25Model().settings[f"bm25_segmenter_{lang}"] == "characters"
    assert analyze(text, lang) == list(text)
    analyze(text, lang)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"warning: BM25: no word segmenter for {lang!r} ({package} is not "
                                               "installed)") and "codeswitch[eval]" in err[0]


def test_japanese_fallback_warns_too(capsys, fresh_segmenters):
    assert analyze("東京は日本", "ja") == ["東", "京", "は", "日", "本"]
    assert "warning: BM25: no word segmenter for 'ja'" in capsys.readouterr().err


def test_no_warning_for_spaced_languages(capsys, fresh_segmenters):
    analyze("Nairobi ni mji mkuu wa Kenya", "sw")
    analyze("ภาษาไทย", "th")
    assert capsys.readouterr().err == ""


def test_settings_name_the_analyser_and_segmenters(fresh_segmenters):
    settings = BM25Model().settings
    assert settings["bm25_analyzer"] == ANALYZER == "nfkc-casefold-letters-marks-digits-v1"
    assert {k: settings[k] for k in settings if k.startswith("bm25_segmenter_")} == {
        "bm25_segmenter_th": "pythainlp-newmm", "bm25_segmenter_zh": "jieba",
        "bm25_segmenter_ja": "characters", "bm25_segmenter_ko": "characters"}
    assert analyzer_settings().items() <= settings.items()


def test_metrics_json_records_the_analyser(tmp_path):
    import json

    from evaluation.evaluate import EvalConfig, evaluate
    from tests.evaluation.helpers import write_miracl

    data = write_miracl(tmp_path / "data", gz=False)
    evaluate(EvalConfig(model="bm25", datasets=("miracl/sw/dev",), data_dir=str(data)), tmp_path / "out")
    settings = json.loads((tmp_path / "out" / "metrics.json").read_text(encoding="utf-8"))["settings"]
    assert settings["bm25_analyzer"] == ANALYZER and settings["bm25_segmenter_th"] == "pythainlp-newmm"


def test_expected_bm25_scores_pin_the_analyser():
    from evaluation.reports.check_scores import DEFAULT_EXPECTED, settings_differ

    spec = yaml.safe_load(DEFAULT_EXPECTED.read_text(encoding="utf-8"))
    entries = [e for e in spec["entries"] if e["model"] == "bm25"]
    assert entries and all(e["settings"]["bm25_analyzer"] == ANALYZER for e in entries)
    xquad = next(e for e in entries if e["dataset"] == "xquad-r")
    assert xquad["settings"]["bm25_segmenter_th"] == "pythainlp-newmm"
    run = {"settings": {**xquad["settings"], "bm25_segmenter_th": "characters"}}
    assert "bm25_segmenter_th 'characters'" in settings_differ(xquad["settings"], run)  # -> "no expected score"
    assert settings_differ(xquad["settings"], {"settings": xquad["settings"]}) == ""


def test_eval_extra_installs_the_segmenters():
    from pathlib import Path

    import tomllib

    extra = tomllib.loads((Path(__file__).resolve().parents[3] / "pyproject.toml").read_text())[
        "project"]["optional-dependencies"]["eval"]
    names = {d.split(">")[0].split("=")[0].strip() for d in extra}
    assert {"pythainlp", "jieba", "bm25s"} <= names
