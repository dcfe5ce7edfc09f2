"""Tokenizer backends: offsets reproduce the input; scripts keep their marks; fallbacks for th/ja."""

from __future__ import annotations

import pytest

from codeswitch.errors import ConfigError
from codeswitch.tokenize import backend_for, tokenize

TEXTS = {
    "en": "The Normans (Norman: Nourmands) gave their name to Normandy, a region in France.",
    "hi": "हिन्दी भारत की राजभाषा है।",
    "yo": "Ọ̀rọ̀ Yorùbá ni èdè wa.",
    "th": "ภาษาไทยเป็นภาษาราชการ",
    "ja": "東京は日本の首都です。",
}


@pytest.mark.parametrize("lang", sorted(TEXTS))
@pytest.mark.parametrize("backend", ["auto", "fast", "chars", "spacy"])
def test_offsets_point_into_text(lang, backend):
    if backend == "spacy" and backend_for(lang) == "chars":
        with pytest.raises(ConfigError, match=r"spaCy cannot tokenize"):
            tokenize(TEXTS[lang], lang, backend)
        return
    toks = tokenize(TEXTS[lang], lang, backend)
    assert toks and all(TEXTS[lang][t.start:t.end] == t.text for t in toks)
    assert all(not t.text.isspace() for t in toks)


def test_marks_stay_in_words():
    assert [t.text for t in tokenize(TEXTS["hi"], "hi")][:2] == ["हिन्दी", "भारत"]
    assert [t.text for t in tokenize(TEXTS["yo"], "yo")][:2] == ["Ọ̀rọ̀", "Yorùbá"]


def test_fast_path_keeps_inner_hyphens_and_splits_punctuation():
    assert [t.text for t in tokenize("well-known (1990).", "en")] == ["well-known", "(", "1990", ")", "."]


def test_unsegmented_fallback_is_per_character():
    assert backend_for("th") in ("chars", "spacy") and backend_for("en") == "fast"
    assert [t.text for t in tokenize("東京は", "ja", "chars")] == ["東", "京", "は"]


def test_unknown_backend():
    with pytest.raises(ConfigError, match=r"unknown tokenizer 'nltk'; choose one of auto, fast, spacy, chars"):
        tokenize("x", "en", "nltk")
