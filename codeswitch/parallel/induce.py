"""Bilingual lexicon induction from word-aligned parallel text.

Every link between two *word* tokens (at least one letter or digit; punctuation links are
ignored) counts one co-occurrence ``c(s, t)`` of the lower-cased, NFC-normalised source and
target words (FLORES Yoruba mixes composed and decomposed tone marks; dictionaries are NFC).
Translation probabilities are relative link frequencies, ``p(t|s) = c(s,t) / sum_t' c(s,t')``
and ``p(s|t) = c(s,t) / sum_s' c(s',t)``. An entry is kept when ``c >= min_count``,
``p(t|s) >= min_prob`` and ``p(s|t) >= min_reverse_prob``; at most ``top_k`` translations per
source word, best first (ties broken by count, then alphabetically).

The output is MUSE format (``src tgt``, one pair a line, a word repeating with several
translations, best first), optionally with a TSV of scores. Counting streams over the aligned
pairs, so memory grows with the number of distinct word pairs, not with the corpus.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from codeswitch.atomic import atomic_path
from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.parallel.bitext import AlignedPair


@dataclass(frozen=True, slots=True)
class InduceConfig:
    """Thresholds of lexicon induction (saved beside the output as ``<out>.config.json``)."""

    min_count: int = 2
    min_prob: float = 0.05
    min_reverse_prob: float = 0.0
    top_k: int = 3
    symmetrize: str = "grow-diag-final-and"

    def check(self) -> None:
        """Raise :class:`ConfigError` for out-of-range thresholds."""
        if self.min_count < 1 or self.top_k < 1:
            raise ConfigError("--min-count and --top-k must be >= 1")
        for name in ("min_prob", "min_reverse_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"--{name.replace('_', '-')} must be within [0, 1]")


@dataclass(frozen=True, slots=True)
class Entry:
    """One induced translation with its link count and probabilities."""

    src: str
    tgt: str
    count: int
    p_tgt_given_src: float
    p_src_given_tgt: float


def _word(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _key(word: str) -> str:
    return unicodedata.normalize("NFC", word.lower())


def count_links(pairs: Iterable[AlignedPair]) -> Counter[tuple[str, str]]:
    """Link counts of lower-cased word pairs over all aligned pairs."""
    counts: Counter[tuple[str, str]] = Counter()
    for ap in pairs:
        for i, j in ap.links:
            s, t = ap.src_tokens[i].text, ap.tgt_tokens[j].text
            if _word(s) and _word(t):
                counts[(_key(s), _key(t))] += 1
    return counts


def induce(counts: Mapping[tuple[str, str], int], config: InduceConfig) -> list[Entry]:
    """Entries passing the thresholds, grouped by source word (sorted), best translation first."""
    config.check()
    src_tot: Counter[str] = Counter()
    tgt_tot: Counter[str] = Counter()
    for (s, t), c in counts.items():
        src_tot[s] += c
        tgt_tot[t] += c
    by_src: dict[str, list[Entry]] = defaultdict(list)
    for (s, t), c in counts.items():
        e = Entry(s, t, c, c / src_tot[s], c / tgt_tot[t])
        if c < config.min_count or e.p_tgt_given_src < config.min_prob:
            continue
        if e.p_src_given_tgt >= config.min_reverse_prob:
            by_src[s].append(e)
    out = []
    for s in sorted(by_src):
        ranked = sorted(by_src[s], key=lambda e: (-e.p_tgt_given_src, -e.count, e.tgt))
        out += ranked[: config.top_k]
    return out


def write_lexicon(entries: list[Entry], out: Path, config: InduceConfig, scores: Path | None = None) -> None:
    """Write the MUSE file (and the optional scores TSV and the config JSON) atomically."""
    import json

    with atomic_path(out) as tmp:
        tmp.write_text("".join(f"{e.src} {e.tgt}\n" for e in entries), encoding="utf-8")
    if scores is not None:
        with atomic_path(scores) as tmp:
            lines = ["src\ttgt\tcount\tp_tgt_given_src\tp_src_given_tgt\n"]
            lines += [
                f"{e.src}\t{e.tgt}\t{e.count}\t{e.p_tgt_given_src:.6f}\t{e.p_src_given_tgt:.6f}\n" for e in entries
            ]
            tmp.write_text("".join(lines), encoding="utf-8")
    cfg = out.with_name(out.name + ".config.json")
    with atomic_path(cfg) as tmp:
        tmp.write_text(json.dumps(asdict(config), indent=2) + "\n", encoding="utf-8")


_PAIR_IN_NAME = re.compile(r"(?<![a-z])([a-z]{2,3})[-_]([a-z]{2,3})(?![a-z])")
_SPEC = re.compile(r"([A-Za-z]{2,3})-([A-Za-z]{2,3})=(.+)", re.S)


def gold_path(spec: str) -> Path:
    """The file of ``--gold [A-B=]PATH`` (read once early, so a bad gold file is named before any alignment)."""
    m = _SPEC.fullmatch(spec)
    return Path(m.group(3)) if m else Path(spec)


def gold_spec(spec: str, src_lang: str, tgt_lang: str) -> tuple[Path, bool]:
    """Parse ``--gold [A-B=]PATH`` for an induction ``src_lang`` -> ``tgt_lang``: the path and whether to invert.

    ``A-B`` names the file's two columns in order (``sw-en=sw-en.train``: Swahili first). Without
    it, a file name holding the two languages (``sw-en.train``, ``en-de.0-5000.txt``) decides;
    otherwise the file is taken as source -> target (MUSE; WECHSEL's ``english<TAB>target``).

    Raises:
        ConfigError: when the named columns are not the induction's two languages.
    """
    m = _SPEC.fullmatch(spec)
    if m:
        cols, path = (m.group(1).lower(), m.group(2).lower()), Path(m.group(3))
    else:
        path = Path(spec)
        found = [c for c in _PAIR_IN_NAME.findall(path.name.lower()) if set(c) == {src_lang, tgt_lang}]
        cols = found[0] if found else (src_lang, tgt_lang)
    if cols == (src_lang, tgt_lang):
        return path, False
    if cols == (tgt_lang, src_lang):
        return path, True
    raise ConfigError(
        f"--gold {spec} holds {cols[0]}-{cols[1]} but the lexicon is {src_lang}-{tgt_lang}; pass a gold dictionary "
        f"of these two languages ({src_lang}-{tgt_lang}=PATH or {tgt_lang}-{src_lang}=PATH)"
    )


def read_muse_gold(path: Path, invert: bool = False) -> dict[str, set[str]]:
    """A gold dictionary as source -> translations (lower-cased, NFC), ``invert``: second column is the source.

    A line is MUSE ``src tgt`` (exactly two whitespace-separated fields) or, where it holds a tab,
    ``src<TAB>tgt[<TAB>...]`` (phrases allowed; WECHSEL and Wiktionary BLI files). Lines with an
    empty side (Wiktionary has a few) and a first line of bare column letters (``B<TAB>A``, the
    header of WECHSEL's ``hausa.txt``) are skipped. Phrase entries count as gold source words but
    are never covered by induced single words.

    Raises:
        DataFormatError: naming the line that does not have two fields.
    """
    from codeswitch.example_io import utf8_lines

    gold: dict[str, set[str]] = defaultdict(set)
    if not Path(path).is_file():
        raise DataFormatError("gold dictionary not found; check the --gold path", path)
    for n, line in utf8_lines(path):
        if "\t" in line:
            parts = [f.strip() for f in line.split("\t")]
            if not parts[0] or not parts[1] or (n == 1 and _column_letters(parts)):
                continue
            parts = [" ".join(parts[0].split()), " ".join(parts[1].split())]
        else:
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise DataFormatError(
                    f"expected 'src tgt' (2 whitespace-separated fields), found {len(parts)}; use a MUSE dictionary "
                    "or 'src<TAB>tgt' lines", path, n,
                )
        src, tgt = (parts[1], parts[0]) if invert else (parts[0], parts[1])
        gold[_key(src)].add(_key(tgt))
    if not gold:
        raise DataFormatError("no 'src tgt' pairs in the gold dictionary; pass a MUSE dictionary", path)
    return dict(gold)


def _column_letters(fields: list[str]) -> bool:
    return len(fields) == 2 and all(len(f) == 1 and "A" <= f <= "Z" for f in fields)


def precision_at_1(entries: list[Entry], gold: Mapping[str, set[str]]) -> dict[str, float | int]:
    """P@1 of the induced lexicon on the gold source words it covers, plus coverage.

    ``precision_at_1`` = share of covered gold source words whose best induced translation is
    one of the gold translations; ``coverage`` = covered / all gold source words.
    """
    best: dict[str, str] = {}
    for e in entries:  # entries are best-first per source word
        best.setdefault(e.src, e.tgt)
    covered = [s for s in gold if s in best]
    hits = sum(best[s] in gold[s] for s in covered)
    return {
        "gold_source_words": len(gold),
        "covered": len(covered),
        "coverage": round(len(covered) / len(gold), 4) if gold else 0.0,
        "correct": hits,
        "precision_at_1": round(hits / len(covered), 4) if covered else 0.0,
    }
