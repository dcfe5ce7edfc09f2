"""Tokenization with character offsets, so switching keeps the input's spacing and punctuation.

:func:`tokenize` returns :class:`Token` spans over the original string; joining the untouched
gaps with (possibly replaced) token texts reproduces the input exactly.

Three backends (:data:`BACKENDS`), chosen per language by :func:`backend_for`:

* ``fast``: one compiled regular expression; words are runs of letters, digits and combining
  marks (so Devanagari, Telugu, Bengali and Yoruba tone marks stay inside their word) joined by
  internal apostrophes or hyphens; every other non-space character is its own token. The default
  for whitespace-delimited scripts (en, de, sw, yo, hi, te, bn, ...).
* ``spacy``: a blank spaCy pipeline's rule-based tokenizer (``spacy.blank(lang)``, ``xx`` for
  languages spaCy lacks, such as sw). Used for th, ja, ko, zh when their segmenter package is
  installed (pythainlp, sudachipy, natto-py/mecab-ko, jieba), or when asked for.
* ``chars``: the rule-based fallback for unsegmented scripts: each Thai/Lao/CJK/kana/Hangul
  character (with its combining marks) is a token, other text as in ``fast``. Lexicon phrases
  are matched longest-first over these tokens, which amounts to dictionary maximal matching.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from codeswitch.errors import ConfigError
from codeswitch.languages import UNSEGMENTED

BACKENDS = ("auto", "fast", "spacy", "chars")

# Segmenter packages that spaCy needs for the unsegmented languages.
_SPACY_SEGMENTER = {"th": "pythainlp", "ja": "sudachipy", "ko": "natto", "zh": "jieba"}

# Scripts written without spaces: Thai, Lao, Khmer, Myanmar, CJK, kana, Hangul.
_UNSEG_RANGES = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
)


@dataclass(frozen=True, slots=True)
class Token:
    """A token: its text and ``[start, end)`` character offsets in the source string."""

    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        """True for word tokens (letters or digits), False for punctuation and symbols."""
        return self.text[:1].isalnum() or self.text[:1] == "_"


@functools.cache
def _marks() -> str:
    """A regex character-class body with every combining mark (Unicode category M) of the BMP."""
    ranges, start = [], None
    for cp in range(0x10000):
        is_mark = unicodedata.category(chr(cp))[0] == "M"
        if is_mark and start is None:
            start = cp
        elif not is_mark and start is not None:
            ranges.append((start, cp - 1))
            start = None
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


@functools.cache
def _fast_regex() -> re.Pattern[str]:
    w = rf"[\w{_marks()}]"
    return re.compile(rf"{w}+(?:['’\-]{w}+)*|[^\w\s]")


@functools.cache
def _chars_regex() -> re.Pattern[str]:
    marks = _marks()
    w = rf"[^\W{_UNSEG_RANGES}]|[{marks}]"
    return re.compile(rf"[{_UNSEG_RANGES}][{marks}]*|(?:{w})+(?:['’\-](?:{w})+)*|[^\w\s]")


def backend_for(lang: str, backend: str = "auto") -> str:
    """The backend used for ``lang``: ``backend`` itself unless it is ``auto`` (see module docs)."""
    if backend not in BACKENDS:
        raise ConfigError(f"unknown tokenizer {backend!r}; choose one of {', '.join(BACKENDS)}")
    if backend != "auto":
        return backend
    if lang in UNSEGMENTED:
        return "spacy" if importlib.util.find_spec(_SPACY_SEGMENTER[lang]) else "chars"
    return "fast"


@functools.cache
def get_tokenizer(lang: str, backend: str = "auto") -> Callable[[str], list[Token]]:
    """A cached ``text -> tokens`` function for ``lang`` (see :func:`backend_for`)."""
    chosen = backend_for(lang, backend)
    if chosen == "spacy":
        return _spacy_tokenizer(lang)
    pattern = _fast_regex() if chosen == "fast" else _chars_regex()
    finditer = pattern.finditer

    def run(text: str) -> list[Token]:
        return [Token(m.group(), m.start(), m.end()) for m in finditer(text)]

    return run


def _spacy_tokenizer(lang: str) -> Callable[[str], list[Token]]:
    import spacy

    try:
        spacy.util.get_lang_class(lang)
    except ImportError:  # spaCy has no class for this language (sw, ...): multi-language rules
        lang = "xx"
    try:
        if lang == "zh":
            nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        else:
            nlp = spacy.blank(lang)
    except ImportError as exc:  # the language needs a segmenter package that is missing
        raise ConfigError(f"spaCy cannot tokenize {lang!r}: {exc}; install it or use --tokenizer chars") from None
    make_doc = nlp.make_doc

    def run(text: str) -> list[Token]:
        return [Token(t.text, t.idx, t.idx + len(t.text)) for t in make_doc(text) if not t.is_space]

    return run


def tokenize(text: str, lang: str = "en", backend: str = "auto") -> list[Token]:
    """Split ``text`` into tokens with character offsets into ``text``.

    Args:
        text: the string to split; it is never modified.
        lang: ISO code of its language; picks the backend when ``backend`` is ``auto``.
        backend: one of :data:`BACKENDS`.

    Returns:
        Tokens in order, non-overlapping; whitespace is never part of a token.
    """
    return get_tokenizer(lang, backend)(text)
