"""Bilingual lexicons: MUSE (``src tgt``), tab-separated and Wiktionary BLI files, oriented source→target.

A :class:`Lexicon` maps a lower-cased source entry (a word or a whitespace-normalised phrase) to
its translations, ordered by the selection policy:

* ``first``: file order (MUSE lists its best translation first);
* ``frequent``: most frequent first, by the optional count column (``src<TAB>tgt<TAB>count``), else
  by how often the pair repeats; ties keep file order;
* ``random``: file order here; the switcher draws one per occurrence with the record's seed.

Which direction a file holds comes from its name (``en-de.txt``: en→de; ``sw-en.train``: sw→en,
read inverted when the source language is en; ``swahili.txt`` (WECHSEL): en→sw) or from the
``--lexicon`` spec (``de=PATH``, ``sw-en=PATH``); see :func:`parse_spec`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.languages import LANGUAGES, NAME_TO_CODE, check_lang
from codeswitch.tokenize import backend_for, get_tokenizer

POLICIES = ("first", "frequent", "random")
_PAIR_IN_NAME = re.compile(r"(?<![a-z])([a-z]{2,3})[-_]([a-z]{2,3})(?![a-z])")
_DIGIT = re.compile(r"\d")


def normalize_key(text: str) -> str:
    """The lookup key of a source entry or span: lower-cased, inner whitespace collapsed to one space."""
    return " ".join(text.split()).lower()


@dataclass(frozen=True, slots=True)
class LexiconSpec:
    """Where a lexicon comes from and how it is oriented.

    ``path`` is a file, or ``cldr:<lang>`` for the Babel/CLDR names lexicon. The file's columns
    hold ``file_langs`` (first, second); ``invert`` is true when the second column is the source.
    """

    path: str
    src_lang: str
    tgt_lang: str
    invert: bool = False

    @property
    def name(self) -> str:
        """A short name for stats and ``meta``: the file name, or ``cldr:<lang>``."""
        return self.path if self.path.startswith("cldr:") else Path(self.path).name


def langs_from_name(path: str) -> tuple[str, str] | None:
    """The (first column, second column) languages a file name implies, or None."""
    name = Path(path).name.lower()
    for a, b in _PAIR_IN_NAME.findall(name):
        if a in LANGUAGES and b in LANGUAGES:
            return a, b
    stem = name.split(".")[0]
    if stem in NAME_TO_CODE:  # WECHSEL: english<TAB>target, named after the target language
        return "en", NAME_TO_CODE[stem]
    return None


def parse_spec(spec: str, source_lang: str) -> LexiconSpec:
    """Parse a ``--lexicon`` value: ``PATH``, ``LANG=PATH``, ``SRC-TGT=PATH`` or ``cldr:LANG``.

    ``LANG`` is the target language; ``SRC-TGT`` names the file's two columns in order. Without
    either, the languages come from the file name (:func:`langs_from_name`).

    Raises:
        ConfigError: unknown language code, or languages that do not include ``source_lang``.
    """
    if spec.startswith("cldr:"):
        tgt = check_lang(spec[5:], "lexicon language")
        return LexiconSpec(f"cldr:{tgt}", source_lang, tgt)
    head, sep, rest = spec.partition("=")
    cols: tuple[str, str] | None = None
    target: str | None = None
    if sep and re.fullmatch(r"[A-Za-z_]{2,20}(-[A-Za-z_]{2,20})?", head):
        path = rest
        if "-" in head:
            a, b = head.split("-")
            cols = (check_lang(a, "lexicon language"), check_lang(b, "lexicon language"))
        else:
            target = check_lang(head, "lexicon language")
    else:
        path = spec
    cols = cols or langs_from_name(path)
    if cols is None:
        if target is None and not Path(path).exists():
            raise ConfigError(f"lexicon file {path} not found; fix the --lexicon path")
        if target is None:
            raise ConfigError(
                f"cannot tell the languages of lexicon {path}: name it like en-de.txt or pass LANG=PATH "
                f"(target language) or SRC-TGT=PATH (its two columns)"
            )
        cols = (source_lang, target)
    if target is not None and target not in cols:
        raise ConfigError(f"lexicon {path} holds {cols[0]}-{cols[1]}, not target {target}; fix the LANG= prefix")
    if cols[0] == source_lang:
        return LexiconSpec(path, source_lang, cols[1], invert=False)
    if cols[1] == source_lang:
        return LexiconSpec(path, source_lang, cols[0], invert=True)
    raise ConfigError(
        f"lexicon {path} holds {cols[0]}-{cols[1]} but the source language is {source_lang}; "
        f"pass --source-lang {cols[0]} or a lexicon with {source_lang} on one side"
    )


class Lexicon:
    """Source→target translations with lower-cased lookup and multi-word entries.

    Attributes:
        src_lang, tgt_lang: ISO codes.
        name: short name (file name or ``cldr:<lang>``).
        table: key (see :func:`normalize_key`) -> translations in policy order.
        max_tokens: the most tokens any entry spans under the source tokenizer.
        phrase_starts: first token -> second token -> token counts (descending) of the multi-token
            entries starting with them (all lower-cased), so phrases are tried only where they can match.
        skipped: lines skipped for an empty side.
    """

    def __init__(
        self, pairs: Iterable[tuple[str, str, float]], src_lang: str, tgt_lang: str, name: str,
        policy: str = "first", tokenizer: str = "auto", skipped: int = 0,
    ) -> None:
        if policy not in POLICIES:
            raise ConfigError(f"unknown translation policy {policy!r}; choose one of {', '.join(POLICIES)}")
        self.src_lang, self.tgt_lang, self.name, self.policy, self.skipped = src_lang, tgt_lang, name, policy, skipped
        counts: dict[str, dict[str, float]] = {}
        for src, tgt, count in pairs:
            by_tgt = counts.setdefault(normalize_key(src), {})
            by_tgt[tgt] = by_tgt.get(tgt, 0.0) + count
        if policy == "frequent":  # sorted() is stable: ties keep file order
            self.table = {k: tuple(sorted(v, key=lambda t, v=v: -v[t])) for k, v in counts.items()}
        else:
            self.table = {k: tuple(v) for k, v in counts.items()}
        tok = get_tokenizer(src_lang, tokenizer)
        fast = backend_for(src_lang, tokenizer) == "fast"  # there a plain alphanumeric key is one token
        self.max_tokens = 1
        self.phrase_starts: dict[str, dict[str, tuple[int, ...]]] = {}
        for key in self.table:
            if not fast or " " in key or not key.isalnum():
                toks = tok(key)
                if len(toks) > 1:
                    self.max_tokens = max(self.max_tokens, len(toks))
                    seconds = self.phrase_starts.setdefault(toks[0].text, {})
                    seconds[toks[1].text] = tuple(sorted({*seconds.get(toks[1].text, ()), len(toks)}, reverse=True))

    @classmethod
    def load(cls, spec: LexiconSpec, policy: str = "first", tokenizer: str = "auto") -> Lexicon:
        """Read the lexicon ``spec`` names (a file, or ``cldr:<lang>``).

        Raises:
            DataFormatError: missing, non-UTF-8, malformed (file:line) or empty file.
        """
        if spec.path.startswith("cldr:"):
            from codeswitch.lexical.cldr import cldr_pairs

            pairs = [(s, t, 1.0) for s, t in cldr_pairs(spec.src_lang, spec.tgt_lang)]
            return cls(pairs, spec.src_lang, spec.tgt_lang, spec.name, policy, tokenizer)
        pairs, skipped = read_pairs(spec.path)
        if spec.invert:
            pairs = [(t, s, c) for s, t, c in pairs]
        return cls(pairs, spec.src_lang, spec.tgt_lang, spec.name, policy, tokenizer, skipped)

    def __contains__(self, key: str) -> bool:
        return key in self.table

    def __len__(self) -> int:
        return len(self.table)

    def translations(self, word: str) -> tuple[str, ...]:
        """Translations of ``word`` (any case, phrases whitespace-normalised) in policy order; () if none."""
        return self.table.get(normalize_key(word), ())

    def filtered(self, stopwords: bool = False, numbers: bool = False, min_length: int = 0) -> Lexicon:
        """A copy without source stopwords (spaCy's list), entries with digits, or shorter keys."""
        stops: frozenset[str] = frozenset()
        if stopwords:
            import spacy

            try:
                stops = frozenset(w.lower() for w in spacy.util.get_lang_class(self.src_lang).Defaults.stop_words)
            except ImportError:
                raise ConfigError(f"no stopword list for {self.src_lang!r} in spaCy; drop --no-stopwords") from None
        out = object.__new__(Lexicon)
        out.__dict__.update(self.__dict__)
        out.table = {
            k: v for k, v in self.table.items()
            if len(k) >= min_length and not (numbers and _DIGIT.search(k)) and k not in stops
        }
        return out

    def stats(self) -> dict[str, object]:
        """Entries, pairs, ambiguity (translations per entry), multi-word entries and identity entries.

        ``identity_pairs`` counts translations equal to their source up to case and spacing (MUSE has
        many: ``California California``); ``identity_first_entries`` the entries whose first
        translation is one (with the ``first`` and ``frequent`` policies those never switch: a
        drawn identity translation is not a switch, see :mod:`codeswitch.lexical.switch`).
        """
        n = len(self.table)
        sizes = [len(v) for v in self.table.values()]
        same = [[" ".join(t.split()).casefold() == k.casefold() for t in v] for k, v in self.table.items()]
        return {
            "name": self.name, "source_lang": self.src_lang, "target_lang": self.tgt_lang, "policy": self.policy,
            "entries": n, "pairs": sum(sizes), "multiword_entries": sum(1 for k in self.table if " " in k),
            "mean_translations": round(sum(sizes) / n, 4) if n else 0.0,
            "ambiguous_share": round(sum(1 for s in sizes if s > 1) / n, 4) if n else 0.0,
            "max_translations": max(sizes, default=0), "skipped_empty_lines": self.skipped,
            "identity_pairs": sum(map(sum, same)), "identity_first_entries": sum(1 for x in same if x and x[0]),
        }


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_pairs(path: str | Path) -> tuple[list[tuple[str, str, float]], int]:
    """Parse a lexicon file into ``(first, second, count)`` triples; return them and the skipped-line count.

    A line is ``a<TAB>b[<TAB>count[<TAB>...]]`` (phrases allowed) or, without tabs, ``a b [count]``.
    Lines with an empty side (Wiktionary has a few) are skipped and counted. A first line of bare
    column letters (``B<TAB>A``: the header of WECHSEL's ``hausa.txt``) is a header, not an entry,
    and is dropped.

    Raises:
        DataFormatError: naming file and line for anything else, or for a file without entries.
    """
    p = Path(path)
    if not p.is_file():
        raise DataFormatError("lexicon not found; check the --lexicon path", p)
    pairs: list[tuple[str, str, float]] = []
    skipped = 0
    with open(p, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise DataFormatError("UTF-16 text (it starts with a UTF-16 byte-order mark); re-encode the lexicon "
                                      "as UTF-8", p, lineno)
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8").rstrip("\r\n")  # a UTF-8 BOM is dropped
            except UnicodeDecodeError as exc:
                raise DataFormatError(f"not UTF-8 ({exc.reason}); re-encode the lexicon as UTF-8", p, lineno) from None
            if "\x00" in line:
                raise DataFormatError("a NUL byte inside the line (a binary or UTF-16 file?); fix or remove this line",
                                      p, lineno)
            if not line.strip():
                continue
            fields = [f.strip() for f in line.split("\t")] if "\t" in line else line.split()
            if "\t" in line and len(fields) == 2 and " " in fields[0] and " " not in fields[1] \
                    and _is_number(fields[1]):
                raise DataFormatError(f"{line[:60]!r} mixes spaces and a tab ('source target<TAB>count'?); separate "
                                      "all fields with tabs, or all with spaces", p, lineno)
            count = 1.0
            if len(fields) >= 3:
                try:
                    count = float(fields[2])
                except ValueError:
                    count = -1.0
            if len(fields) < 2 or count < 0 or (len(fields) > 2 and "\t" not in line and len(fields) != 3):
                raise DataFormatError(
                    f"expected 'source target' (MUSE) or 'source<TAB>target[<TAB>count]', found {line[:60]!r}; "
                    "fix or remove this line", p, lineno,
                )
            if not fields[0] or not fields[1]:
                skipped += 1
                continue
            if lineno == 1 and "\t" in line and len(fields) == 2 and all(len(f) == 1 and "A" <= f <= "Z"
                                                                          for f in fields):
                continue  # a column-letter header (WECHSEL hausa.txt: "B<TAB>A")
            pairs.append((fields[0], fields[1], count))
    if not pairs:
        raise DataFormatError("lexicon has no entries; expected lines 'source target' or 'source<TAB>target'", p)
    return pairs, skipped
