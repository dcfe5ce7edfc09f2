"""BM25 baseline over bm25s, with one documented analyser (:func:`analyze`) for queries and passages.

The analyser (:data:`ANALYZER`, recorded in every BM25 result's ``settings``) is the same for every
language and for both sides of a collection:

1. Unicode NFKC, then ``str.casefold`` (full case folding: ``ß`` -> ``ss``, ``İ`` -> ``i`` + U+0307;
   no Turkish rule, so ``I`` -> ``i``, not ``ı``), then NFKC again; format characters (category Cf:
   ZWJ, ZWNJ, soft hyphen, word joiner, BOM) are deleted, as Unicode's NFKC_Casefold and word-break
   rules (UAX #29, WB4) ignore them -- except U+200B ZERO WIDTH SPACE, a word separator. Thai and Lao
   SARA AM stay one character (NFKC splits them; the segmenters' dictionaries do not);
2. word segmentation, only for languages written without spaces (:data:`SEGMENTERS`): Thai by
   pythainlp's ``newmm``, Chinese by jieba (``jieba.lcut``, accurate mode); Japanese and Korean have
   no segmenter in this version. A language whose segmenter is missing falls back to one token per
   character of those scripts (Korean: per Hangul syllable), with a one-line warning on stderr (once
   per language and process), never silently;
3. tokens = maximal runs of letters (L*), combining marks (M*) and numbers (N*), so marks (Bengali
   and Devanagari vowel signs, Yoruba tone marks left after NFKC) stay inside their word, and
   everything else splits: hyphens and apostrophes too (``coca-cola`` -> ``coca cola``,
   ``mandela's`` -> ``mandela s``, ``l'eko`` -> ``l eko``, ``ankara'da`` -> ``ankara da``). In a text
   of a language without its segmenter, each character of a script written without spaces (Thai,
   Lao, Myanmar, Khmer, Han, kana) and each Hangul syllable is its own token with its marks (UAX #29
   does the same for Han and kana);
4. no stemming, no stopwords.

Scoring is bm25s' Lucene variant with Pyserini's MIRACL defaults ``k1=0.9, b=0.4``. Lucene's
per-language analyzers (stemmers, stopwords, elision / possessive filters) are not reproduced, so
scores near but not equal to Pyserini's BM25 rows are expected.

Two ways to score: :class:`BM25Index` (bm25s; the whole collection in memory, used for the small
LAReQA pools) and :func:`stream_search` (a large corpus streamed shard by shard in two passes:
document frequencies of the query terms and the mean length first, then each shard scored and
merged into a running top k -- Lucene's formula as bm25s computes it, so both give the same scores).
Lucene BM25: ``idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))``, a term's weight in a document
``idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))`` (no ``k1 + 1`` factor), a query term repeated
counts each time. Every weight is positive, so a document matches iff its score is > 0.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

#: The analyser's name, recorded as ``settings["bm25_analyzer"]``; a change of any rule above gets a new one.
ANALYZER = "nfkc-casefold-letters-marks-digits-v1"

#: Languages written without spaces -> (package, segmenter name recorded in the settings).
SEGMENTERS: dict[str, tuple[str | None, str]] = {
    "th": ("pythainlp", "pythainlp-newmm"),
    "zh": ("jieba", "jieba"),
    "ja": (None, "characters"),
    "ko": (None, "characters"),
    "lo": (None, "characters"),
    "km": (None, "characters"),
    "my": (None, "characters"),
}
#: Languages whose segmenter is named in ``settings`` (``bm25_segmenter_<lang>``).
RECORDED = ("th", "zh", "ja", "ko")
CHARACTERS = "characters"

# Split into characters when their language has no segmenter: the scripts written without spaces (Thai,
# Lao, Myanmar, Khmer, kana, CJK with its extensions) and Hangul (Korean words carry their particles and
# endings; on TyDi ko, BM25 nDCG@10 is 0.70 by syllable, 0.61 by space-separated word).
_UNSEG = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1100, 0x11FF), (0x1780, 0x17FF), (0x3040, 0x30FF),
          (0x3130, 0x318F), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF),
          (0xF900, 0xFAFF), (0x20000, 0x3FFFF))


@dataclass(frozen=True)
class BM25Config:
    """BM25 parameters (Pyserini's MIRACL settings by default)."""

    k1: float = 0.9
    b: float = 0.4
    method: str = "lucene"


_OTHER, _SPACED, _UNSEG_BASE, _MARK, _FORMAT = range(5)


@functools.cache
def _runs() -> list[tuple[int, int, int]]:
    """``(first, last, kind)`` runs over all of Unicode: what each code point is to the analyser."""
    unseg = bytearray(0x110000)
    for a, b in _UNSEG:
        unseg[a:b + 1] = b"\x01" * (b - a + 1)
    runs: list[tuple[int, int, int]] = []
    for cp in range(0x110000):
        cat = unicodedata.category(chr(cp))
        kind = (_MARK if cat[0] == "M" else (_UNSEG_BASE if unseg[cp] else _SPACED) if cat[0] in "LN"
                else _FORMAT if cat == "Cf" and cp != 0x200B else _OTHER)
        if runs and runs[-1][2] == kind:
            runs[-1] = (runs[-1][0], cp, kind)
        else:
            runs.append((cp, cp, kind))
    return runs


def _class(kinds: set[int]) -> str:
    """A regex character-class body of every code point of one of ``kinds``."""
    merged: list[list[int]] = []
    for a, b, kind in _runs():
        if kind in kinds:
            if merged and merged[-1][1] == a - 1:
                merged[-1][1] = b
            else:
                merged.append([a, b])
    esc = re.escape
    return "".join(esc(chr(a)) if a == b else f"{esc(chr(a))}-{esc(chr(b))}" for a, b in merged)


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], dict[int, None]]:
    """(word runs, word runs with unsegmented scripts split into characters, the Cf deletion table)."""
    word, base = _class({_SPACED, _UNSEG_BASE, _MARK}), _class({_UNSEG_BASE})
    spaced, marks = _class({_SPACED, _MARK}), _class({_MARK})
    deleted = {cp: None for a, b, kind in _runs() if kind == _FORMAT for cp in range(a, b + 1)}
    return re.compile(f"[{word}]+"), re.compile(f"[{base}][{marks}]*|[{spaced}]+"), deleted


def normalize(text: str) -> str:
    """NFKC, casefold, NFKC; format characters (Cf, except U+200B) deleted; Thai / Lao SARA AM kept whole."""
    nfkc = unicodedata.normalize
    out = nfkc("NFKC", nfkc("NFKC", text).casefold()).translate(_patterns()[2])
    if "\u0e4d\u0e32" in out or "\u0ecd\u0eb2" in out:  # NFKC splits U+0E33 / U+0EB3; dictionaries do not
        out = out.replace("\u0e4d\u0e32", "\u0e33").replace("\u0ecd\u0eb2", "\u0eb3")
    return out


def _warn(lang: str, package: str | None) -> None:
    """One line on stderr (``tqdm.write``: on its own line even under a progress bar)."""
    from tqdm import tqdm

    if package:
        msg = (f"warning: BM25: no word segmenter for {lang!r} ({package} is not installed), so {lang} text is "
               f'tokenised by character, which lowers BM25 scores a lot; pip install "codeswitch[eval]" (or {package})')
    else:
        msg = f"warning: BM25: no word segmenter for {lang!r} in this version, so {lang} text is tokenised by character"
    tqdm.write(msg, file=sys.stderr)


@functools.cache
def _segmenter(lang: str) -> tuple[str, Callable[[str], list[str]] | None]:
    """``(name, segment)`` for a language written without spaces; ``segment`` is None for the character fallback."""
    package, name = SEGMENTERS[lang]
    try:
        if package == "pythainlp":
            from pythainlp.tokenize import word_tokenize

            return name, lambda text: word_tokenize(text, engine="newmm", keep_whitespace=False)
        if package == "jieba":
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict ..." on every run
            return name, jieba.lcut
    except ImportError:
        return CHARACTERS, None
    return name, None


def segmenter_name(lang: str) -> str:
    """The word segmenter BM25 uses for ``lang``: a name from :data:`SEGMENTERS`, ``characters`` for the
    fallback, ``none`` for a language written with spaces."""
    return _segmenter(lang)[0] if lang in SEGMENTERS else "none"


def analyzer_settings() -> dict[str, str]:
    """What BM25 results record: the analyser and the segmenter used for th, zh, ja and ko."""
    return {"bm25_analyzer": ANALYZER} | {f"bm25_segmenter_{lang}": segmenter_name(lang) for lang in RECORDED}


@functools.cache
def _analyzer(lang: str) -> Callable[[str], list[str]]:
    words, split_unseg, _ = _patterns()
    segment = _segmenter(lang)[1] if lang in SEGMENTERS else None
    if segment is not None:
        findall = words.findall
        return lambda text: [t for piece in segment(normalize(text)) for t in findall(piece)]
    if lang in SEGMENTERS:
        _warn(lang, SEGMENTERS[lang][0])
    findall = split_unseg.findall
    return lambda text: findall(normalize(text))


def analyze(text: str, lang: str) -> list[str]:
    """The BM25 terms of ``text`` in ``lang`` (see the module docs: one analyser for queries and passages)."""
    return _analyzer(lang)(text)


class BM25Index:
    """A bm25s index over documents, each tokenized in its own language."""

    def __init__(self, texts: Sequence[str], langs: Sequence[str], config: BM25Config = BM25Config()) -> None:
        import bm25s

        self.config = config
        self.size = len(texts)
        self._bm25 = bm25s.BM25(k1=config.k1, b=config.b, method=config.method)
        self._bm25.index([analyze(t, lang) for t, lang in zip(texts, langs, strict=True)], show_progress=False)

    def scores(self, query: str, lang: str) -> np.ndarray:
        """float32 BM25 score of every document for ``query`` (zeros if it has no word token)."""
        tokens = analyze(query, lang)
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def score_many(self, queries: Sequence[str], langs: Sequence[str]) -> np.ndarray:
        """``(len(queries), size)`` float32 scores."""
        out = np.zeros((len(queries), self.size), dtype=np.float32)
        for i, (q, lang) in enumerate(zip(queries, langs, strict=True)):
            out[i] = self.scores(q, lang)
        return out


def _ranked_merge(rows: list[tuple[str, float]], k: int) -> list[tuple[str, float]]:
    return sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)[:k]


def stream_search(queries: dict[str, str], lang: str, shards: Callable[[], Iterable[tuple[list[str], list[str]]]],
                  k: int, config: BM25Config = BM25Config(), passage_lang: str | None = None
                  ) -> dict[str, dict[str, float]]:
    """Top ``k`` matching documents per query over a corpus given as a re-iterable stream of shards.

    Queries are analysed in ``lang``, passages in ``passage_lang`` (default: ``lang``; a cross-lingual
    collection has two).

    ``shards()`` must yield the same ``(docids, texts)`` shards each time it is called (it is read
    twice). Memory: one shard's tokens and weights plus ``k`` hits per query -- not the corpus.
    Results are ordered by score descending, then docid descending (trec_eval); documents without
    a query term are never returned (a query with no word token gets an empty run).
    """
    from scipy import sparse

    plang = passage_lang or lang
    q_tokens = {qid: analyze(text, lang) for qid, text in queries.items()}
    vocab = {t: i for i, t in enumerate(sorted({t for toks in q_tokens.values() for t in toks}))}
    qids = list(queries)
    q_rows, q_cols = [], []
    for row, qid in enumerate(qids):
        for t in q_tokens[qid]:
            q_rows.append(row)
            q_cols.append(vocab[t])
    q_mat = sparse.csr_matrix((np.ones(len(q_rows), dtype=np.float32), (q_rows, q_cols)),
                              shape=(len(qids), len(vocab)))
    n_docs, total_len = 0, 0
    df = np.zeros(len(vocab), dtype=np.int64)
    for _, texts in shards():  # pass 1: N, mean length, document frequency of the query terms
        for text in texts:
            tokens = analyze(text, plang)
            n_docs += 1
            total_len += len(tokens)
            for t in set(tokens):
                if t in vocab:
                    df[vocab[t]] += 1
        del texts
    best: dict[str, list[tuple[str, float]]] = {qid: [] for qid in qids}
    if n_docs == 0 or not vocab:
        return {qid: {} for qid in qids}
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    avgdl = total_len / n_docs
    for docids, texts in shards():  # pass 2: score each shard, merge into the running top k
        rows, cols, vals = [], [], []
        for row, text in enumerate(texts):
            tokens = analyze(text, plang)
            norm = config.k1 * (1 - config.b + config.b * len(tokens) / avgdl)
            for t, tf in Counter(t for t in tokens if t in vocab).items():
                rows.append(row)
                cols.append(vocab[t])
                vals.append(np.float32(idf[vocab[t]] * tf / (tf + norm)))
        weights = sparse.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                                    shape=(len(texts), len(vocab)))
        scores = (q_mat @ weights.T).tocsr()
        for row, qid in enumerate(qids):
            start, end = scores.indptr[row], scores.indptr[row + 1]
            hits = [(docids[j], float(v)) for j, v in zip(scores.indices[start:end], scores.data[start:end],
                                                          strict=True) if v > 0]
            if hits:
                best[qid] = _ranked_merge(best[qid] + _ranked_merge(hits, k), k)
        del docids, texts, rows, cols, vals, weights, scores  # before the next shard is read
    return {qid: dict(rows) for qid, rows in best.items()}
