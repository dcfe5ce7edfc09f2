"""Parallel sentence pairs for alignment: building them, aligning them, saving and reading them.

An alignment directory (written by ``codeswitch align``) holds, line-aligned:

- ``pairs.jsonl``: ``{"id", "src_lang", "tgt_lang", "src", "tgt"}`` with the raw texts;
- ``src.tok`` / ``tgt.tok``: the alignment tokens, space separated (see :mod:`codeswitch.parallel.align`);
- ``forward.align``, ``reverse.align``, ``intersect.align``, ``grow-diag-final-and.align``:
  Pharaoh ``i-j`` links (0-based token indices of ``tokenize(text, lang)``);
- ``align_config.json`` and ``align_stats.json`` (pairs, seconds, sentence pairs per second).

From translated QA files, each item contributes its question pair (id ``q:<pair_id>``) and each
paragraph pair once (id ``p:<pair_id of its first question>``).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import asdict, dataclass
from pathlib import Path

from codeswitch.atomic import atomic_path
from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.languages import check_lang
from codeswitch.parallel.align import (
    AlignCheckpoint,
    AlignConfig,
    Link,
    align_corpus,
    alignment_tokens,
    eflomal_line,
    format_pharaoh,
    parse_pharaoh,
    symmetrize,
)
from codeswitch.parallel.pairs import ParallelItem, read_tsv_rows
from codeswitch.tokenize import Token, tokenize

ALIGN_FILES = ("forward", "reverse", "intersect", "grow-diag-final-and")


@dataclass(frozen=True, slots=True)
class TextPair:
    """Two texts that translate each other."""

    id: str
    src_lang: str
    tgt_lang: str
    src: str
    tgt: str


@dataclass(frozen=True, slots=True)
class AlignedPair:
    """A text pair with its tokens and symmetrised links (``(source_index, target_index)``)."""

    pair: TextPair
    src_tokens: tuple[Token, ...]
    tgt_tokens: tuple[Token, ...]
    links: tuple[Link, ...]


def units_from_items(items: Iterable[ParallelItem], src_lang: str, tgt_lang: str) -> Iterator[TextPair]:
    """Question pairs and (deduplicated) paragraph pairs of items present in both languages."""
    seen: set[tuple[str, str]] = set()
    for it in items:
        s, t = it.texts.get(src_lang), it.texts.get(tgt_lang)
        if s is None or t is None:
            continue
        yield TextPair(f"q:{it.pair_id}", src_lang, tgt_lang, s.query, t.query)
        key = (s.paragraph, t.paragraph)
        if key not in seen:
            seen.add(key)
            yield TextPair(f"p:{it.pair_id}", src_lang, tgt_lang, s.paragraph, t.paragraph)


def read_line_pairs(src_path: Path, tgt_path: Path, src_lang: str, tgt_lang: str) -> list[TextPair]:
    """Plain parallel text: line ``n`` of one file translates line ``n`` of the other.

    Raises:
        DataFormatError: when the files have different numbers of lines.
    """
    from codeswitch.example_io import read_utf8

    src = read_utf8(src_path).splitlines()
    tgt = read_utf8(tgt_path).splitlines()
    if not src:
        raise DataFormatError("no sentences (the file is empty); pass two parallel files with one sentence a line",
                              src_path)
    if len(src) != len(tgt):
        raise DataFormatError(
            f"{len(src)} lines but {tgt_path} has {len(tgt)}; parallel files need one translation per line — "
            "fix the mismatched counts", src_path,
        )
    sl, tl = check_lang(src_lang), check_lang(tgt_lang)
    return [TextPair(str(n), sl, tl, a, b) for n, (a, b) in enumerate(zip(src, tgt, strict=True), 1)]


def read_tsv_pairs(src_path: Path, tgt_path: Path, src_lang: str, tgt_lang: str) -> list[TextPair]:
    """Parallel TSV files (FLORES via SIB-200: ``index_id<TAB>category<TAB>text``) paired by id, not line order.

    Each file starts with a header naming an ``index_id`` (or ``id``) column and a ``text``
    column; other columns are ignored. Fields are split on tabs with no quoting (texts keep
    their quotes). Pairs follow the source file's row order and carry the id as
    :attr:`TextPair.id`. Every id must occur exactly once in each file.

    Raises:
        DataFormatError: naming file and line for a missing column, a row with the wrong number of
            fields, an empty or repeated id, or an id found in one file only.
    """
    sl, tl = check_lang(src_lang), check_lang(tgt_lang)
    (s_col, src), (t_col, tgt) = read_tsv_rows(src_path), read_tsv_rows(tgt_path)
    for here, there, path, other, col in ((src, tgt, src_path, tgt_path, s_col), (tgt, src, tgt_path, src_path, t_col)):
        missing = [k for k in here if k not in there]
        if missing:
            more = f" ({len(missing)} ids in all)" if len(missing) > 1 else ""
            raise DataFormatError(
                f"{col} {missing[0]!r} has no row in {other}{more}; parallel TSVs need the same ids on both "
                "sides — add the translation or drop the row", path, here[missing[0]][0],
            )
    return [TextPair(k, sl, tl, text, tgt[k][1]) for k, (_, text) in src.items()]


def tokenize_pairs(
    pairs: Iterable[TextPair], source: str = "<input>"
) -> Iterator[tuple[TextPair, list[Token], list[Token]]]:
    """Attach alignment tokens; raises naming the pair id when a text has no tokens."""
    for p in pairs:
        where = f"{source} (pair {p.id})"
        yield p, alignment_tokens(p.src, p.src_lang, where), alignment_tokens(p.tgt, p.tgt_lang, where)


def align_pairs(
    pairs: Iterable[TextPair], config: AlignConfig, progress: bool = False, source: str = "<input>",
    checkpoint: AlignCheckpoint | None = None, desc: str = "align",
) -> Iterator[tuple[TextPair, list[Token], list[Token], list[Link], list[Link]]]:
    """Tokenize and align; yields ``(pair, src_tokens, tgt_tokens, forward, reverse)`` in input order.

    ``checkpoint`` (eflomal only) keeps finished work on disk for resuming; see :class:`AlignCheckpoint`.
    """
    if config.backend == "simalign":
        if checkpoint is not None:
            raise ConfigError("resuming is only available for --backend eflomal; rerun simalign from the start")
        from codeswitch.parallel.align_embed import simalign_pairs

        yield from simalign_pairs(tokenize_pairs(pairs, source), config, progress=progress)
        return
    if config.backend != "eflomal":
        raise ConfigError(f"--backend must be eflomal or simalign, found {config.backend!r}")
    pending: deque[tuple[TextPair, list[Token], list[Token]]] = deque()

    def lines() -> Iterator[tuple[str, str]]:
        # align_corpus reads ahead (priors + in-flight chunks); tokens wait here until their links arrive
        for entry in tokenize_pairs(pairs, source):
            pending.append(entry)
            yield eflomal_line(entry[1]), eflomal_line(entry[2])

    total = len(pairs) if isinstance(pairs, Sized) else None
    for fwd, rev in align_corpus(lines(), config, progress=progress, checkpoint=checkpoint, total=total, desc=desc):
        p, s, t = pending.popleft()
        yield p, s, t, fwd, rev


def align_items(
    items: Sequence[ParallelItem], src_lang: str, tgt_lang: str, config: AlignConfig, method: str | None = None,
    progress: bool = False,
) -> dict[str, AlignedPair]:
    """Align the questions and paragraphs of ``items`` between two languages; keyed by unit id."""
    method = method or config.symmetrize
    out = {}
    units = list(units_from_items(items, src_lang, tgt_lang))
    for p, s, t, fwd, rev in align_pairs(units, config, progress, desc=f"align {src_lang}-{tgt_lang}"):
        out[p.id] = AlignedPair(p, tuple(s), tuple(t), tuple(symmetrize(fwd, rev, method)))
    return out


def write_alignment_dir(
    out_dir: Path, pairs: Iterable[TextPair], config: AlignConfig, progress: bool = False, source: str = "<input>",
    checkpoint: AlignCheckpoint | None = None,
) -> dict:
    """Align ``pairs`` and write an alignment directory atomically; returns the stats.

    With ``checkpoint``, finished work is kept there as the run goes and reused when it is rerun;
    the stats then count the chunks taken from it.
    """
    t0 = time.perf_counter()
    n = 0
    with atomic_path(out_dir) as tmp:
        tmp.mkdir()
        handles = {name: open(tmp / f"{name}.align", "w", encoding="utf-8") for name in ALIGN_FILES}
        try:
            with open(tmp / "pairs.jsonl", "w", encoding="utf-8") as pj, \
                    open(tmp / "src.tok", "w", encoding="utf-8") as st, \
                    open(tmp / "tgt.tok", "w", encoding="utf-8") as tt:
                for p, s, t, fwd, rev in align_pairs(pairs, config, progress, source, checkpoint):
                    n += 1
                    pj.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
                    st.write(eflomal_line(s) + "\n")
                    tt.write(eflomal_line(t) + "\n")
                    for name in ALIGN_FILES:
                        handles[name].write(format_pharaoh(symmetrize(fwd, rev, name)) + "\n")
        finally:
            for h in handles.values():
                h.close()
        secs = time.perf_counter() - t0
        if n == 0:
            raise DataFormatError("no sentence pairs to align; check the inputs and languages", source)
        stats = {"pairs": n, "seconds": round(secs, 3), "pairs_per_second": round(n / secs, 2) if secs else None}
        if checkpoint is not None:
            stats.update(reused_priors=checkpoint.reused_priors, reused_chunks=checkpoint.reused_chunks)
        (tmp / "align_config.json").write_text(json.dumps(asdict(config), indent=2) + "\n", encoding="utf-8")
        (tmp / "align_stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return stats


def _check_pair(p: TextPair, first: TextPair | None, where: Path, lineno: int) -> None:
    """Every field a string, and the languages those of the directory's first record."""
    for name in ("id", "src_lang", "tgt_lang", "src", "tgt"):
        value = getattr(p, name)
        if not isinstance(value, str):
            raise DataFormatError(f'field "{name}" is {type(value).__name__} {value!r}, not a string; every field of '
                                  "a pair record is text (re-run `codeswitch align`)", where, lineno)
    if first is not None and (p.src_lang, p.tgt_lang) != (first.src_lang, first.tgt_lang):
        raise DataFormatError(f"languages {p.src_lang}-{p.tgt_lang} differ from line 1's {first.src_lang}-"
                              f"{first.tgt_lang}; one alignment directory holds one language pair", where, lineno)


def read_alignment_dir(path: Path, method: str = "grow-diag-final-and") -> Iterator[AlignedPair]:
    """Read an alignment directory back, re-tokenizing the texts and checking every link's bounds.

    Raises:
        DataFormatError: for missing files, differing line counts, or links beyond a sentence.
    """
    path = Path(path)
    align_file = path / f"{method}.align"
    for f in (path / "pairs.jsonl", align_file):
        if not f.exists():
            raise DataFormatError(
                f"missing {f.name}; pass a directory written by `codeswitch align` (symmetrisations: "
                f"{', '.join(ALIGN_FILES)})", path,
            )
    from codeswitch.example_io import utf8_lines

    pj, af = utf8_lines(path / "pairs.jsonl"), utf8_lines(align_file)
    lineno, first = 0, None
    while True:
        pline, aline = next(pj, (0, None))[1], next(af, (0, None))[1]
        if pline is None or aline is None:
            break
        lineno += 1
        try:
            p = TextPair(**json.loads(pline))
        except (json.JSONDecodeError, TypeError) as exc:
            raise DataFormatError(
                f"not a pair record ({exc}); expected id, src_lang, tgt_lang, src, tgt", path / "pairs.jsonl",
                lineno,
            ) from None
        _check_pair(p, first, path / "pairs.jsonl", lineno)
        first = first or p
        s, t = tokenize(p.src, p.src_lang), tokenize(p.tgt, p.tgt_lang)
        links = parse_pharaoh(aline, len(s), len(t), align_file, lineno)
        yield AlignedPair(p, tuple(s), tuple(t), tuple(links))
    if pline is not None or aline is not None:
        longer = "pairs.jsonl" if pline is not None else align_file.name
        raise DataFormatError(
            f"{longer} has more lines than the other file after line {lineno}; the alignment and the "
            "pairs must be line-aligned (mismatched counts) — re-run `codeswitch align`", path,
        )
