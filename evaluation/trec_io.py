"""TREC-format topics, qrels and runs: strict readers (errors name file and line) and atomic writers.

Shapes (the ones pytrec_eval, ir_measures and ranx use): ``Topics = dict[qid, text]``,
``Qrels = dict[qid, dict[docid, int]]``, ``Run = dict[qid, dict[docid, float]]``. Files ending in
``.gz`` are read transparently. Run lines are ``qid Q0 docid rank score tag``; the rank column is
ignored on reading (trec_eval ignores it too and orders by score, then docid descending).
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from codeswitch.atomic import atomic_path
from codeswitch.errors import DataFormatError

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


def _lines(path: str | Path) -> Iterator[tuple[int, str]]:
    path = Path(path)
    if not path.is_file():
        raise DataFormatError("file not found; check the path or --data-dir", path)
    opener = gzip.open if path.suffix == ".gz" else open
    lineno = 0
    try:
        with opener(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):  # noqa: B007
                try:
                    line = raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    raise DataFormatError(f"not UTF-8 text ({exc.reason}); re-encode the file as UTF-8", path,
                                          lineno) from None
                if line.strip():
                    yield lineno, line
    except (OSError, EOFError) as exc:
        raise DataFormatError(f"cannot read after line {lineno} ({exc}); the file may be truncated or not gzip",
                              path) from None


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
        if qid in topics:
            raise DataFormatError(f"query id {qid!r} appears twice; topics must have one line per query",
                                  path, lineno)
        topics[qid] = parts[1].strip()
    return topics


def read_qrels(path: str | Path) -> Qrels:
    """Read TREC qrels (``qid iter docid label``, whitespace-separated; label an integer)."""
    qrels: Qrels = {}
    for lineno, line in _lines(path):
        parts = line.split()
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
        parts = line.split()
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
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for qid in sorted(run):
            rows = ranked({d: float(np.float32(s)) for d, s in run[qid].items()})
            for rank, (docid, score) in enumerate(rows[:depth] if depth else rows, 1):
                fh.write(f"{qid} Q0 {docid} {rank} {format_score(score)} {tag}\n")
    return path


def write_qrels(qrels: Qrels, path: str | Path) -> Path:
    """Write qrels in TREC format (``qid 0 docid label``), atomically, sorted by qid then docid."""
    path = Path(path)
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
