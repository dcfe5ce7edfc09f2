"""Alignment-based code-switching: replace source spans by their aligned translation in context.

For a text in language ``l`` and its translation in ``m`` with word alignment links, the
switcher walks the source tokens left to right. At each token it takes the *minimal phrase
pair consistent with the alignment* that starts there (Koehn-style: no link leaves the
source span or the target span), so multi-word translations and reorderings move as one
unit; with probability ``ratio`` the source span is replaced by the target span (the exact
target substring, with its own spacing), and the walk continues after the span. Unaligned
source tokens, spans without a word character, spans longer than ``max_phrase_len`` and
identical replacements are left alone. With several target languages, each span draws its
language uniformly among those available (multilingual switching).

Every replacement is recorded as a :class:`~codeswitch.records.Switch` with ``method:
"alignment"`` and ``start``/``end`` offsets into the *output* text, so
``output[start:end]`` is the inserted target span and ``source`` the replaced text.
Randomness comes from a per-record RNG derived from ``(seed, record id, side)``: the same seed
gives the same output regardless of order or workers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace

from codeswitch.errors import ConfigError
from codeswitch.parallel.align import Link
from codeswitch.parallel.bitext import AlignedPair
from codeswitch.parallel.pairs import ParallelItem, item_rng
from codeswitch.records import Example, Switch
from codeswitch.tokenize import Token

SIDES = ("query", "passage", "both")


@dataclass(frozen=True, slots=True)
class AlignSwitchConfig:
    """Options of alignment-based switching (saved in each record's ``meta``).

    Attributes:
        ratio: probability that an aligned phrase is replaced.
        side: ``query``, ``passage`` or ``both``.
        langs: target languages to draw from (several = multilingual switching).
        max_phrase_len: longest source span (tokens) replaced at once; the target span may be
            up to twice as long.
        seed: base seed; each record derives its own RNG from it.
    """

    ratio: float = 0.5
    side: str = "both"
    langs: tuple[str, ...] = ()
    max_phrase_len: int = 4
    seed: int = 0

    def check(self) -> None:
        """Raise :class:`ConfigError` for out-of-range options."""
        if not 0.0 <= self.ratio <= 1.0:
            raise ConfigError(f"--ratio must be within [0, 1], found {self.ratio}")
        if self.side not in SIDES:
            raise ConfigError(f"--side must be one of {', '.join(SIDES)}, found {self.side!r}")
        if self.max_phrase_len < 1:
            raise ConfigError(f"--max-phrase-len must be >= 1, found {self.max_phrase_len}")


@dataclass(frozen=True, slots=True)
class Target:
    """One translation of the source text: its language, text, tokens and links from the source."""

    lang: str
    text: str
    tokens: Sequence[Token]
    links: Sequence[Link]


def _is_word(tok: Token) -> bool:
    return any(c.isalnum() for c in tok.text)


def minimal_phrase(
    start: int, src_to_tgt: Sequence[Sequence[int]], tgt_to_src: Sequence[Sequence[int]], max_len: int
) -> tuple[int, int, int, int] | None:
    """The smallest consistent phrase pair whose source span starts at ``start``.

    Returns:
        ``(s1, s2, t1, t2)`` inclusive token spans, or None when ``start`` is unaligned, the
        phrase would need tokens left of ``start``, or it is longer than ``max_len``.
    """
    if not src_to_tgt[start]:
        return None
    s2 = start
    while s2 - start < max_len:
        tgts = [j for i in range(start, s2 + 1) for j in src_to_tgt[i]]
        t1, t2 = min(tgts), max(tgts)
        if t2 - t1 >= 2 * max_len:
            return None
        srcs = [i for j in range(t1, t2 + 1) for i in tgt_to_src[j]]
        if min(srcs) < start:
            return None
        if max(srcs) <= s2:
            return start, s2, t1, t2
        s2 = max(srcs)
    return None


def switch_text(
    text: str,
    tokens: Sequence[Token],
    targets: Sequence[Target],
    ratio: float,
    rng: random.Random,
    side: str,
    max_phrase_len: int = 4,
    window: tuple[int, int] | None = None,
) -> tuple[str, list[Switch]]:
    """Replace aligned phrases of ``text`` by target spans; returns the output and its switches.

    Args:
        text: source text; ``tokens`` are its alignment tokens (indices of the links).
        targets: translations to draw spans from (one language each).
        ratio: probability of replacing each candidate phrase.
        rng: the record's RNG.
        side: ``query`` or ``passage`` (stored in each switch).
        max_phrase_len: longest source span replaced.
        window: only switch, and only return, ``text[window[0]:window[1]]`` (e.g. the answer
            sentence of an aligned paragraph); offsets are relative to the window.
    """
    ws, we = window if window is not None else (0, len(text))
    maps = []
    for tg in targets:
        s2t: list[list[int]] = [[] for _ in tokens]
        t2s: list[list[int]] = [[] for _ in tg.tokens]
        for i, j in tg.links:
            s2t[i].append(j)
            t2s[j].append(i)
        maps.append((tg, s2t, t2s))
    out: list[str] = []
    out_len = 0
    pos = ws
    switches: list[Switch] = []
    i = 0
    while i < len(tokens) and maps:
        tok = tokens[i]
        if tok.start < ws or tok.end > we:
            i += 1
            continue
        tg, s2t, t2s = maps[rng.randrange(len(maps))] if len(maps) > 1 else maps[0]
        ph = minimal_phrase(i, s2t, t2s, max_phrase_len)
        if ph is None:
            i += 1
            continue
        s1, s2, t1, t2 = ph
        src_start, src_end = tokens[s1].start, tokens[s2].end
        if src_end > we or not any(_is_word(tokens[k]) for k in range(s1, s2 + 1)):
            i += 1
            continue
        if rng.random() < ratio:
            repl = tg.text[tg.tokens[t1].start: tg.tokens[t2].end]
            original = text[src_start:src_end]
            if repl != original:
                chunk = text[pos:src_start]
                out.append(chunk)
                out_len += len(chunk)
                switches.append(Switch(side, out_len, out_len + len(repl), original, tg.lang, "alignment"))
                out.append(repl)
                out_len += len(repl)
                pos = src_end
        i = s2 + 1
    out.append(text[pos:we])
    return "".join(out), switches


def switch_aligned_pair(
    ap: AlignedPair, ratio: float, seed: int, side: str = "query", max_phrase_len: int = 4
) -> tuple[str, list[Switch]]:
    """Switch the source text of one aligned pair into its target language (seeded by the pair id)."""
    rng = item_rng(seed, ap.pair.id, side)
    target = Target(ap.pair.tgt_lang, ap.pair.tgt, ap.tgt_tokens, ap.links)
    return switch_text(ap.pair.src, ap.src_tokens, [target], ratio, rng, side, max_phrase_len)


class AlignmentIndex:
    """Aligned texts looked up by ``(src_lang, tgt_lang, src_text, tgt_text)``."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str, str, str], AlignedPair] = {}

    def add(self, ap: AlignedPair) -> None:
        """Store one aligned pair."""
        p = ap.pair
        self._by_key[(p.src_lang, p.tgt_lang, p.src, p.tgt)] = ap

    def get(self, src_lang: str, tgt_lang: str, src: str, tgt: str) -> AlignedPair | None:
        """The aligned pair for these texts, or None."""
        return self._by_key.get((src_lang, tgt_lang, src, tgt))

    def __len__(self) -> int:
        return len(self._by_key)


def needed_directions(langs: Sequence[str], targets: Sequence[str]) -> list[tuple[str, str]]:
    """Language directions to align so every text in ``langs`` can switch into ``targets``.

    ``langs`` are the languages of the texts that are switched (the pair languages), not every
    language read: a target language's texts are read only to align against.
    """
    return [(s, t) for s in langs for t in targets if s != t]


def codeswitch_example(
    ex: Example, item: ParallelItem, index: AlignmentIndex, config: AlignSwitchConfig, passage_unit: str = "paragraph"
) -> Example:
    """Switch the query and/or passage of a pair record using the item's other-language versions.

    The query (in ``ex.query_lang``) takes spans from the item's questions in ``config.langs``;
    the passage from their paragraphs (restricted to the answer sentence when
    ``passage_unit == "sentence"``). Returns ``ex`` unchanged when nothing was switched.
    """
    rng = item_rng(config.seed, ex.id, "alignment")
    switches: list[Switch] = []
    query, passage = ex.query, ex.passage
    if config.side in ("query", "both"):
        lang = ex.query_lang
        src = item.texts[lang].query
        targets = _targets(item, index, lang, config.langs, src, lambda t: t.query)
        if targets:
            ap = targets[0][1]
            query, sw = switch_text(src, ap.src_tokens, [t for t, _ in targets], config.ratio, rng, "query",
                                    config.max_phrase_len)
            switches += sw
    if config.side in ("passage", "both"):
        lang = ex.passage_lang
        it = item.texts[lang]
        targets = _targets(item, index, lang, config.langs, it.paragraph, lambda t: t.paragraph)
        if targets:
            ap = targets[0][1]
            window = None
            if passage_unit == "sentence":
                window = (it.sentence_start, it.sentence_start + len(it.sentence))
            passage, sw = switch_text(it.paragraph, ap.src_tokens, [t for t, _ in targets], config.ratio, rng,
                                      "passage", config.max_phrase_len, window)
            switches += sw
    if not switches:
        return ex
    meta = dict(ex.meta)
    meta["switch"] = {"method": "alignment", "ratio": config.ratio, "side": config.side, "langs": list(config.langs),
                      "seed": config.seed, "base_kind": ex.kind}
    return replace(ex, query=query, passage=passage, kind="codeswitch", switches=tuple(switches), meta=meta)


def _targets(item, index, lang, langs, src, get) -> list[tuple[Target, AlignedPair]]:
    out = []
    for t in langs:
        if t == lang or t not in item.texts:
            continue
        ap = index.get(lang, t, src, get(item.texts[t]))
        if ap is not None:
            out.append((Target(t, ap.pair.tgt, ap.tgt_tokens, ap.links), ap))
    return out


def build_alignment_index(
    items: Sequence[ParallelItem], directions: Sequence[tuple[str, str]], config, method: str | None = None,
    progress: bool = False,
) -> AlignmentIndex:
    """Align questions and paragraphs of ``items`` for each ``(src, tgt)`` direction (eflomal or simalign);
    with ``progress`` one bar per direction."""
    from codeswitch.parallel.bitext import align_items

    index = AlignmentIndex()
    for s, t in directions:
        for ap in align_items(items, s, t, config, method, progress).values():
            index.add(ap)
    return index


def index_from_dirs(dirs: Sequence[str], method: str = "grow-diag-final-and") -> AlignmentIndex:
    """An index over alignment directories written by ``codeswitch align``."""
    from pathlib import Path

    from codeswitch.parallel.bitext import read_alignment_dir

    index = AlignmentIndex()
    for d in dirs:
        for ap in read_alignment_dir(Path(d), method):
            index.add(ap)
    return index
