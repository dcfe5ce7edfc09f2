"""TREC-format topics, qrels and runs: strict readers (errors name file and line) and atomic writers.

Shapes (the ones pytrec_eval, ir_measures and ranx use): ``Topics = dict[qid, text]``,
``Qrels = dict[qid, dict[docid, int]]``, ``Run = dict[qid, dict[docid, float]]``. Files ending in
``.gz`` are read transparently. Run lines are ``qid Q0 docid rank score tag``; the rank column is
ignored on reading (trec_eval ignores it too and orders by score, then docid descending).
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from codeswitch.atomic import atomic_path
from codeswitch.errors import ConfigError, DataFormatError

Topics = dict[str, str]
Qrels = dict[str, dict[str, int]]
Run = dict[str, dict[str, float]]


def open_text(path: str | Path) -> io.TextIOBase:
    """Open a UTF-8 text file, gunzipping ``*.gz``."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError("file not found; check the path or --data-dir", path)
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


_BOMS = ((b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"), (b"\xfe\xff", "UTF-16"),
         (b"\xff\xfe", "UTF-16"))
_ASCII_SPACE = re.compile(r"[ \t\n\v\f\r]+")  # what trec_eval splits fields on (C isspace)


def fields(line: str) -> list[str]:
    """The whitespace-separated fields of a TREC line, split as trec_eval splits them (ASCII whitespace only).

    ``str.split()`` would also split on U+2028, U+00A0 and other Unicode spaces, which may be part of an id.
    """
    return [f for f in _ASCII_SPACE.split(line) if f]


def has_space(token: str) -> bool:
    """Whether ``token`` is empty or holds whitespace, so it cannot be one field of a TREC line."""
    return not token or _ASCII_SPACE.search(token) is not None


def text_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of the non-blank lines of a UTF-8 text file (``*.gz`` gunzipped).

    The one text reader of the evaluation files: a UTF-8 byte-order mark is skipped; a UTF-16 /
    UTF-32 file (byte-order mark or NUL bytes) and undecodable bytes (Latin-1 and other encodings)
    are a :class:`DataFormatError` naming the file and line, saying "encoding". Lines end at
    ``\n`` only (``\r\n`` is stripped), so an id holding U+2028 stays on its line.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError("file not found; check the path or --data-dir", path)
    opener = gzip.open if path.suffix == ".gz" else open
    lineno = 0
    try:
        with opener(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):  # noqa: B007
                if lineno == 1:
                    for bom, name in _BOMS:
                        if raw.startswith(bom):
                            raise DataFormatError(f"{name} text (byte-order mark {bom.hex(' ').upper()}): wrong "
                                                  "encoding; re-encode the file as UTF-8", path, lineno)
                    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM: the text is UTF-8
                if b"\x00" in raw:
                    raise DataFormatError("holds NUL bytes: UTF-16/UTF-32 text or a binary file, wrong encoding; "
                                          "re-encode the file as UTF-8", path, lineno)
                try:
                    line = raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    raise DataFormatError(f"not UTF-8 text ({exc.reason} at byte {exc.start}): another encoding "
                                          "(Latin-1?); re-encode the file as UTF-8", path, lineno) from None
                if line.strip():
                    yield lineno, line
    except (OSError, EOFError) as exc:
        raise DataFormatError(f"cannot read after line {lineno} ({exc}); the file may be truncated or not gzip",
                              path) from None


_lines = text_lines


def read_topics(path: str | Path) -> Topics:
    """Read a topics TSV (``qid<TAB>query``), as MIRACL and Mr.TyDi release them."""
    topics: Topics = {}
    for lineno, line in _lines(path):
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip():
            raise DataFormatError(
                f"expected 'qid<TAB>query' (2 tab-separated fields), found {len(parts)} field(s): {line[:60]!r}",
                path, lineno)
        qid = parts[0].strip()
        if has_space(qid):
            raise DataFormatError(f"query id {qid!r} holds whitespace, so TREC runs and qrels could not hold it "
                                  "(trec_eval splits lines on spaces); remove the whitespace from the id", path, lineno)
        if qid in topics:
            raise DataFormatError(f"query id {qid!r} appears twice; topics must have one line per query",
                                  path, lineno)
        topics[qid] = parts[1].strip()
    return topics


def read_qrels(path: str | Path) -> Qrels:
    """Read TREC qrels (``qid iter docid label``, whitespace-separated; label an integer)."""
    qrels: Qrels = {}
    for lineno, line in _lines(path):
        parts = fields(line)
        if len(parts) != 4:
            raise DataFormatError(
                f"expected TREC qrels 'qid Q0 docid label' (4 fields), found {len(parts)}: {line[:60]!r}",
                path, lineno)
        qid, _, docid, label = parts
        try:
            grade = int(label)
        except ValueError:
            raise DataFormatError(f"relevance label {label!r} is not an integer", path, lineno) from None
        judged = qrels.setdefault(qid, {})
        if docid in judged and judged[docid] != grade:
            raise DataFormatError(
                f"document {docid!r} judged twice for query {qid!r} with different labels "
                f"({judged[docid]} and {grade}); keep one judgment", path, lineno)
        judged[docid] = grade
    return qrels


def read_run(path: str | Path) -> Run:
    """Read a TREC run (``qid Q0 docid rank score tag``); a docid repeated within a query is an error."""
    run: Run = {}
    for lineno, line in _lines(path):
        parts = fields(line)
        if len(parts) != 6:
            raise DataFormatError(
                f"expected TREC run 'qid Q0 docid rank score tag' (6 fields), found {len(parts)}: {line[:60]!r}",
                path, lineno)
        qid, _, docid, _, score, _ = parts
        try:
            value = float(score)
        except ValueError:
            raise DataFormatError(f"score {score!r} is not a number", path, lineno) from None
        ranked = run.setdefault(qid, {})
        if docid in ranked:
            raise DataFormatError(
                f"duplicate docid {docid!r} for query {qid!r}; trec_eval's result is undefined with "
                "duplicates: keep one line per (query, docid)", path, lineno)
        ranked[docid] = value
    return run


def ranked(docs: dict[str, float]) -> list[tuple[str, float]]:
    """Order one query's results the way trec_eval does: score descending, then docid descending.

    Docids compare as Python strings (by code point), which is the same order as trec_eval's
    ``strcmp`` on their UTF-8 bytes.
    """
    return sorted(docs.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)


def format_score(score: float) -> str:
    """Print a score so that distinct float32 values stay distinct and equal ones stay equal."""
    return f"{float(np.float32(score)):.9g}"


def write_run(run: Run, path: str | Path, tag: str = "codeswitch", depth: int | None = None) -> Path:
    """Write ``run`` in TREC format, atomically; each query ordered by :func:`ranked`, cut at ``depth``.

    Scores are rounded to float32 first (see :func:`format_score`), so the order trec_eval sees
    is the order our metrics use.
    """
    path = Path(path)
    _check_ids(run, path, "run")
    if has_space(tag):
        raise ConfigError(f"run tag {tag!r} holds whitespace; a TREC run line is 6 space-separated fields: "
                          "give a tag without spaces")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for qid in sorted(run):
            rows = ranked({d: float(np.float32(s)) for d, s in run[qid].items()})
            for rank, (docid, score) in enumerate(rows[:depth] if depth else rows, 1):
                fh.write(f"{qid} Q0 {docid} {rank} {format_score(score)} {tag}\n")
    return path


def _check_ids(table: dict[str, dict], path: Path, what: str) -> None:
    """Refuse query / document ids that would not be one field of a TREC line (trec_eval splits on spaces)."""
    for qid, docs in table.items():
        bad = [("query", qid)] if has_space(str(qid)) else []
        bad += [("document", d) for d in docs if has_space(str(d))][:1]
        if bad:
            kind, token = bad[0]
            raise DataFormatError(
                f"{kind} id {token!r} is empty or holds whitespace, so its line in the TREC {what} {path.name} "
                f"would not have {6 if what == 'run' else 4} fields (trec_eval could not read it); remove the "
                "whitespace from the ids in the collection's files")


def write_qrels(qrels: Qrels, path: str | Path) -> Path:
    """Write qrels in TREC format (``qid 0 docid label``), atomically, sorted by qid then docid."""
    path = Path(path)
    _check_ids(qrels, path, "qrels")
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for qid in sorted(qrels):
            for docid in sorted(qrels[qid]):
                fh.write(f"{qid} 0 {docid} {qrels[qid][docid]}\n")
    return path


def write_topics(topics: Topics, path: str | Path) -> Path:
    """Write a topics TSV, atomically, in the given order."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for qid, text in topics.items():
            fh.write(f"{qid}\t{text}\n")
    return path


def write_per_query(per_query: dict[str, dict[str, float]], path: str | Path) -> Path:
    """Per-query scores in ``trec_eval -q``'s layout (``measure<TAB>qid<TAB>value``), atomically.

    Sorted by measure, then query id; values as Python writes a float (round-trip exact). Paired
    significance tests (``codeswitch recipe report``) read these files back.
    """
    path = Path(path)
    measures = sorted({m for scores in per_query.values() for m in scores})
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for m in measures:
            for qid in sorted(per_query):
                if m in per_query[qid]:
                    fh.write(f"{m}\t{qid}\t{per_query[qid][m]!r}\n")
    return path


def read_per_query(path: str | Path) -> dict[str, dict[str, float]]:
    """``measure -> qid -> value`` from a file written by :func:`write_per_query`; errors name file:line."""
    out: dict[str, dict[str, float]] = {}
    for lineno, line in _lines(path):
        parts = line.split("\t")
        try:
            measure, qid, value = parts
            out.setdefault(measure, {})[qid] = float(value)
        except ValueError:
            raise DataFormatError(f"expected measure<TAB>qid<TAB>value, found {line!r}", path, lineno) from None
    return out
