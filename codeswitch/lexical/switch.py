"""Lexicon code-switching of one text: per-token coin flips, longest-first phrases, offsets kept.

Semantics (Litschko et al. 2023, BL-CS / ML-CS; papers.md 1a): the text is tokenized; at each
position the longest lexicon entry starting there (lower-cased, over any of the lexicons) is
found; such a covered span is replaced with probability ``ratio``. With several target languages
(ML-CS) a switched span draws its language uniformly from all of them (``draw="all"``: a
language whose lexicon lacks the span is a miss, not retried, as in the paper's code) or only
from those whose lexicon covers it (``draw="covering"``: the real rate over covered tokens is
then ``ratio``). Optionally (CoSDA-ML style) each sentence is eligible only with probability
``sentence_ratio``. A drawn translation equal to its source up to case and spacing (identity
entries such as MUSE's ``California California``) is not a switch: the text is left alone, no
switch is recorded and the tokens are counted as ``identical``, not ``switched`` (as the
alignment switcher does). Everything between tokens is copied unchanged, so the output reads like the
input with some words replaced; each replacement is returned with its offsets in the output.
"""

from __future__ import annotations

import itertools
import operator
import random
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from codeswitch.errors import ConfigError
from codeswitch.lexical.lexicon import Lexicon, normalize_key
from codeswitch.tokenize import _fast_regex, backend_for, get_tokenizer

SIDE_CHOICES = ("query", "passage", "both")
DRAWS = ("all", "covering")
_SENTENCE_END = frozenset(".!?。！？।॥")


@dataclass(frozen=True)
class SwitchConfig:
    """How texts are switched (saved in the stats JSON beside every output).

    Attributes:
        ratio: probability that a covered token (span) is switched, in [0, 1]; paper default 0.5.
        side: which side of a pair is switched: ``query``, ``passage`` or ``both``.
        policy: which translation of an ambiguous entry: ``first``, ``frequent`` or ``random``.
        draw: target language of a switch with several lexicons: ``all`` (uniform over all, a
            miss when that lexicon lacks the token) or ``covering`` (uniform over those covering it).
        sentence_ratio: probability that a sentence is eligible at all (CoSDA-ML); 1.0 = every one.
        tokenizer: tokenizer backend (``auto``, ``fast``, ``spacy``, ``chars``).
        seed: base seed; each record's generator is seeded from (seed, record id, variant).
    """

    ratio: float = 0.5
    side: str = "both"
    policy: str = "first"
    draw: str = "all"
    sentence_ratio: float = 1.0
    tokenizer: str = "auto"
    seed: int = 13

    def __post_init__(self) -> None:
        for name in ("ratio", "sentence_ratio"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                flag = "--" + name.replace("_", "-")
                raise ConfigError(f"{flag} must be in [0, 1], found {value}; e.g. {flag} 0.5")
        if self.side not in SIDE_CHOICES:
            raise ConfigError(f"--side must be one of {', '.join(SIDE_CHOICES)}, found {self.side!r}")
        if self.draw not in DRAWS:
            raise ConfigError(f"--draw must be one of {', '.join(DRAWS)}, found {self.draw!r}")

    def to_dict(self) -> dict[str, object]:
        """The fields as a JSON-ready dict."""
        return asdict(self)


_first = operator.itemgetter(0)


def restore_case(source: str, target: str) -> str:
    """Give ``target`` the capitalisation pattern of ``source`` (ALL CAPS or Initial), else keep it."""
    if len(source) > 1 and source.isupper():
        return target.upper()
    if source[:1].isupper():
        return target[:1].upper() + target[1:]
    return target


def same_text(source: str, replacement: str) -> bool:
    """True when ``replacement`` equals ``source`` up to case and spacing: such a replacement is not a switch."""
    if source == replacement:
        return True
    return " ".join(source.split()).casefold() == " ".join(replacement.split()).casefold()


def rng_for(seed: int, record_id: str, variant: int = 0) -> random.Random:
    """The record's random generator: depends only on (seed, id, variant), never on worker or order."""
    return random.Random(f"{seed}\x1f{record_id}\x1f{variant}")


class Switcher:
    """Switches texts of one source language into the target languages of its lexicons.

    Counters accumulate in :attr:`counts`: ``(side, lang, field) -> int`` with ``lang`` ``*`` for
    all languages and ``field`` one of ``tokens`` (word tokens), ``covered`` (tokens inside a
    covered span), ``switched`` (tokens inside a switched span) and ``identical`` (tokens whose drawn
    translation equals the source up to case and spacing, e.g. MUSE's California -> California:
    the draw happens, but the text is left alone and nothing is recorded or counted as switched).
    """

    def __init__(self, lexicons: Sequence[Lexicon], source_lang: str, config: SwitchConfig) -> None:
        if not lexicons:
            raise ConfigError("no lexicon given; pass --lexicon [LANG=]PATH (repeat it for several languages)")
        self.config = config
        self.langs = tuple(lex.tgt_lang for lex in lexicons)
        if len(set(self.langs)) != len(self.langs):
            raise ConfigError(f"two lexicons share a target language ({', '.join(self.langs)}); pass one per language")
        merged: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for lex in lexicons:
            for key, trans in lex.table.items():
                merged.setdefault(key, []).append((lex.tgt_lang, trans))
        self.table = {k: tuple(v) for k, v in merged.items()}
        self.max_tokens = max(lex.max_tokens for lex in lexicons)
        self.phrase_starts: dict[str, dict[str, tuple[int, ...]]] = {}
        for lex in lexicons:
            for first, seconds in lex.phrase_starts.items():
                mine = self.phrase_starts.setdefault(first, {})
                for second, lengths in seconds.items():
                    mine[second] = tuple(sorted({*mine.get(second, ()), *lengths}, reverse=True))
        self.backend = backend_for(source_lang, config.tokenizer)
        if self.backend == "fast":
            self._split = re.compile(f"({_fast_regex().pattern})").split
        else:
            self._split = self._split_tokens
            self._tok = get_tokenizer(source_lang, config.tokenizer)
        self.counts: dict[tuple[str, str, str], int] = {}
        # the vectorised path applies with one lexicon and a fixed translation choice
        self._simple = len(self.langs) == 1 and config.policy != "random"

    def _split_tokens(self, text: str) -> list[str]:
        parts, pos = [], 0
        for t in self._tok(text):
            parts.append(text[pos:t.start])
            parts.append(t.text)
            pos = t.end
        parts.append(text[pos:])
        return parts

    def _phrase_in(self, parts: list[str], lows: list[str], starts: list[bool]) -> bool:
        """True if some multi-token entry really matches in this text."""
        heads, get, ntok = self.phrase_starts, self.table.get, len(lows)
        for t in itertools.compress(range(ntok - 1), starts):
            for m in heads[lows[t]].get(lows[t + 1], ()):
                if t + m <= ntok and get(normalize_key("".join(parts[2 * t + 1:2 * (t + m)]))) is not None:
                    return True
        return False

    def _switch_words(
        self, text: str, parts: list[str], toks: list[str], entries: list, side: str, rng: random.Random
    ) -> tuple[str, list[tuple[int, int, str, str]]]:
        """The fast path (one lexicon, no phrase in the text, first/frequent policy, all sentences).

        Draws exactly as the general loop does (one ``random()`` per covered token, in order), so
        both give the same output; the per-token work happens in C (map/compress).
        """
        covered = list(itertools.compress(range(len(toks)), map(operator.is_not, entries, itertools.repeat(None))))
        rand = rng.random
        chosen = list(itertools.compress(covered, map(self.config.ratio.__gt__, [rand() for _ in covered])))
        counts, lang = self.counts, self.langs[0]
        kept, sources = [], []
        for t in chosen:
            a = 2 * t + 1
            src = parts[a]
            new = entries[t][0][1][0]
            new = new if src.islower() else restore_case(src, new)
            if same_text(src, new):  # an identity entry (California -> California): not a switch
                continue
            kept.append(t)
            sources.append(src)
            parts[a] = new
        for field, value in (("tokens", sum(map(str.isalnum, map(_first, toks)))), ("covered", len(covered)),
                             ("switched", len(kept)), ("identical", len(chosen) - len(kept))):
            key = (side, "*", field)
            counts[key] = counts.get(key, 0) + value
        for field, value in (("covered", len(covered)), ("identical", len(chosen) - len(kept))):
            key = (side, lang, field)
            counts[key] = counts.get(key, 0) + value
        if not kept:
            return text, []
        key = (side, lang, "switched")
        counts[key] = counts.get(key, 0) + len(kept)
        ends = list(itertools.accumulate(map(len, parts)))
        return "".join(parts), [(ends[2 * t], ends[2 * t + 1], src, lang) for t, src in zip(kept, sources,
                                                                                           strict=True)]

    @staticmethod
    def _identical(parts: list[str], t: int, last: int, new: str) -> bool:
        a, b = 2 * t + 1, 2 * last + 1
        return same_text(parts[a] if a == b else "".join(parts[a:b + 1]), new)

    def switch(self, text: str, side: str, rng: random.Random) -> tuple[str, list[tuple[int, int, str, str]]]:
        """Switch ``text``; return the new text and ``(start, end, source, lang)`` per replaced span.

        ``start``/``end`` index the returned text; ``source`` is the original span (tokens and
        the spacing between them). Random draws happen in token order, one per covered span
        (plus one per sentence with ``sentence_ratio`` < 1 and one per language/translation draw).
        """
        parts = self._split(text)  # [gap, token, gap, token, ..., gap]
        toks = parts[1::2]
        ntok = len(toks)
        lows = list(map(str.lower, toks))
        entries = list(map(self.table.get, lows))
        starts = list(map(self.phrase_starts.__contains__, lows))
        cfg, counts, heads = self.config, self.counts, self.phrase_starts
        sentences = cfg.sentence_ratio < 1.0
        if self._simple and not sentences and not self._phrase_in(parts, lows, starts):
            return self._switch_words(text, parts, toks, entries, side, rng)
        if sentences:
            positions = range(ntok)
        else:  # only covered tokens and phrase starts matter
            mask = map(operator.or_, map(operator.is_not, entries, itertools.repeat(None)), starts)
            positions = itertools.compress(range(ntok), mask)
        rand, p = rng.random, cfg.ratio
        langs, k, by_all, pick_random = self.langs, len(self.langs), cfg.draw == "all", cfg.policy == "random"
        eligible = not sentences or rand() < cfg.sentence_ratio
        covered = switched = identical = 0
        hits: list[tuple[int, int, str, str]] = []  # (first token, last token, source, lang)
        skip_to = 0
        if k == 1 and not sentences:  # the common case, kept tight: bilingual, every sentence eligible
            get = self.table.get
            lang0 = langs[0]
            for t in positions:
                if t < skip_to:
                    continue
                entry, last = entries[t], t
                if starts[t] and t + 1 < ntok:
                    for m in heads[lows[t]].get(lows[t + 1], ()):
                        if t + m <= ntok:
                            cand = get(normalize_key("".join(parts[2 * t + 1:2 * (t + m)])))
                            if cand is not None:
                                entry, last = cand, t + m - 1
                                break
                if entry is None:
                    continue
                skip_to = last + 1
                covered += skip_to - t
                if rand() < p:
                    trans = entry[0][1]
                    new = trans[int(rand() * len(trans))] if pick_random and len(trans) > 1 else trans[0]
                    if self._identical(parts, t, last, new):
                        identical += skip_to - t
                        continue
                    hits.append((t, last, new, lang0))
                    switched += skip_to - t
            if switched:
                key = (side, lang0, "switched")
                counts[key] = counts.get(key, 0) + switched
            positions = ()
        for t in positions:
            if t < skip_to:
                continue
            if sentences and toks[t] in _SENTENCE_END:
                eligible = rand() < cfg.sentence_ratio
            entry, last = entries[t], t
            if starts[t] and t + 1 < ntok:
                for m in heads[lows[t]].get(lows[t + 1], ()):
                    if t + m <= ntok:
                        cand = self.table.get(normalize_key("".join(parts[2 * t + 1:2 * (t + m)])))
                        if cand is not None:
                            entry, last = cand, t + m - 1
                            break
            if entry is None:
                continue
            skip_to = last + 1
            span = last - t + 1
            covered += span
            if k > 1:
                for lang, _ in entry:
                    key = (side, lang, "covered")
                    counts[key] = counts.get(key, 0) + span
            if not (eligible and rand() < p):
                continue
            if k == 1:
                lang, trans = entry[0]
            elif by_all:
                lang = langs[int(rand() * k)]
                trans = next((tr for g, tr in entry if g == lang), None)
                if trans is None:
                    continue
            else:
                lang, trans = entry[int(rand() * len(entry))]
            new = trans[int(rand() * len(trans))] if pick_random and len(trans) > 1 else trans[0]
            if self._identical(parts, t, last, new):
                identical += span
                if k > 1:
                    key = (side, lang, "identical")
                    counts[key] = counts.get(key, 0) + span
                continue
            hits.append((t, last, new, lang))
            switched += span
            key = (side, lang, "switched")
            counts[key] = counts.get(key, 0) + span
        words = sum(map(str.isalnum, map(_first, toks)))
        for field, value in (("tokens", words), ("covered", covered), ("switched", switched),
                             ("identical", identical)):
            key = (side, "*", field)
            counts[key] = counts.get(key, 0) + value
        if k == 1:
            for field, value in (("covered", covered), ("identical", identical)):
                key = (side, langs[0], field)
                counts[key] = counts.get(key, 0) + value
        if not hits:
            return text, []
        sources = []
        for t, last, new, _ in hits:
            a, b = 2 * t + 1, 2 * last + 1
            src = parts[a] if a == b else "".join(parts[a:b + 1])
            sources.append(src)
            parts[a] = new if src.islower() else restore_case(src, new)
            for x in range(a + 1, b + 1):
                parts[x] = ""
        ends = list(itertools.accumulate(map(len, parts)))
        out = [(ends[2 * t], ends[2 * t + 1], src, lang) for (t, _, _, lang), src in zip(hits, sources, strict=True)]
        return "".join(parts), out
