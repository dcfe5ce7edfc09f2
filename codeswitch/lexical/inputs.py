"""Read query–passage pairs from the formats users have, streaming, as plain :data:`Row` tuples.

Supported (:func:`iter_rows` picks by path):

* SQuAD-style JSON (``*.json``; also XQuAD and LAReQA's XQuAD-R): one pair per answerable
  question, the paragraph as passage; ``is_impossible`` questions are skipped. The whole file is
  parsed at once (these files are a few MB).
* JSONL (``*.jsonl``), Parquet (``*.parquet``), CSV with a header (``*.csv``), a
  ``save_to_disk`` directory, or a Hugging Face hub id (``owner/name``, ``hf:name``; split from
  ``--split``): one pair per row, columns renamed with ``columns`` (defaults: id, pair_id, query,
  passage, query_lang, passage_lang). Only query and passage are required; a missing id becomes
  ``<file>:<row>``, a missing pair_id the id, missing languages the source language.
* MS MARCO TSV, recognised by role prefix or file name: ``queries=`` (qid, text), ``collection=``
  (pid, text) and ``qrels=`` (qid 0 pid rel) together give one pair per positive qrel, streamed in
  collection order (queries and qrels are held in memory, the collection is not); ``triples=`` text
  triples (query, positive, negative) give one pair per line with the negative kept.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from codeswitch.errors import DataFormatError
from codeswitch.languages import LANGUAGES

# (id, pair_id, query, passage, query_lang, passage_lang, negatives)
Row = tuple[str, str, str, str, str, str, tuple[str, ...]]

FIELDS = ("id", "pair_id", "query", "passage", "query_lang", "passage_lang")
MSMARCO_ROLES = ("queries", "collection", "qrels", "triples")
_HUB_ID = re.compile(r"^(hf:)?[\w.-]+(/[\w.-]+)?$")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, decoded line without newline) for a UTF-8 text file."""
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                yield lineno, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise DataFormatError(f"not UTF-8 ({exc.reason}); re-encode the file as UTF-8", path, lineno) from None


def split_role(spec: str) -> tuple[str | None, str]:
    """``queries=PATH`` -> ("queries", PATH); a bare MS MARCO file name implies its role."""
    head, sep, rest = spec.partition("=")
    if sep and head in MSMARCO_ROLES:
        return head, rest
    name = Path(spec).name.lower()
    if name.endswith((".tsv", ".tsv.gz")) or name.endswith(".txt"):
        for role in MSMARCO_ROLES:
            if role in name:
                return role, spec
    return None, spec


def lang_from_filename(path: str) -> str | None:
    """``xquad.de.json`` / ``de.json`` -> ``de``; None when no part of the name is a language code."""
    for part in reversed(Path(path).name.lower().split(".")[:-1]):
        if part in LANGUAGES:
            return part
    return None


def _squad_rows(path: Path, source_lang: str) -> Iterator[Row]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(f"not UTF-8 ({exc.reason}); re-encode the file as UTF-8", path, line) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFormatError(f"invalid JSON ({exc.msg}); fix the file", path, exc.lineno) from None
    lang = lang_from_filename(str(path)) or source_lang
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise DataFormatError("expected SQuAD JSON with a top-level 'data' list; use JSONL for other shapes", path)
    for a, article in enumerate(doc["data"]):
        paragraphs = article.get("paragraphs", ()) if isinstance(article, dict) else None
        if not isinstance(paragraphs, list | tuple):
            raise DataFormatError(f"data[{a}] must be an object with a 'paragraphs' list; fix the SQuAD file", path)
        for p, para in enumerate(paragraphs):
            where = f"data[{a}].paragraphs[{p}]"
            if not isinstance(para, dict) or not isinstance(para.get("qas", []), list):
                raise DataFormatError(f"{where} must be an object with 'context' and a 'qas' list", path)
            if "context" not in para:
                raise DataFormatError(f"{where} has no 'context'; present: {', '.join(sorted(para))}", path)
            for q, qa in enumerate(para.get("qas", ())):
                if not isinstance(qa, dict) or "id" not in qa or "question" not in qa:
                    qa = qa if isinstance(qa, dict) else {}
                    raise DataFormatError(
                        f"{where}.qas[{q}] needs 'id' and 'question'; present: {', '.join(sorted(qa))}", path
                    )
                if qa.get("is_impossible"):
                    continue
                qid = str(qa["id"])
                yield (qid, qid, qa["question"], para["context"], lang, lang, ())


def _table_rows(
    records: Iterator[tuple[int, dict]], path: str, columns: dict[str, str], source_lang: str, what: str
) -> Iterator[Row]:
    names = {f: columns.get(f, f) for f in FIELDS}
    checked = False
    for row, obj in records:
        if not isinstance(obj, dict):
            raise DataFormatError(f"expected an object per {what}, found {type(obj).__name__}", path, row)
        if not checked:
            need = ["query", "passage"] + [f for f in ("id", "pair_id", "query_lang", "passage_lang") if f in columns]
            missing = [names[f] for f in need if names[f] not in obj]
            if missing:
                raise DataFormatError(
                    f"missing column(s) {', '.join(missing)}; present: {', '.join(map(str, obj)) or 'none'}. "
                    "Map them with --column FIELD=NAME, e.g. --column query=question", path, row,
                )
            checked = True
        try:
            query, passage = obj[names["query"]], obj[names["passage"]]
        except KeyError as exc:
            raise DataFormatError(f"{what} lacks column {exc.args[0]!r}", path, row) from None
        if not isinstance(query, str) or not isinstance(passage, str):
            raise DataFormatError(f"query and passage must be strings, found {type(query).__name__}/"
                                  f"{type(passage).__name__}", path, row)
        rid = str(obj.get(names["id"], "") or f"{Path(path).name}:{row}")
        yield (
            rid, str(obj.get(names["pair_id"]) or rid), query, passage,
            str(obj.get(names["query_lang"]) or source_lang), str(obj.get(names["passage_lang"]) or source_lang), (),
        )


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict]]:
    from codeswitch.example_io import iter_json_lines

    yield from iter_json_lines(path)  # type: ignore[misc]


def _csv_records(path: Path) -> Iterator[tuple[int, dict]]:
    lines = _lines(path)
    reader = csv.DictReader(line for _, line in lines)
    yield from enumerate(reader, start=2)


def _parquet_records(path: Path) -> Iterator[tuple[int, dict]]:
    from codeswitch.example_io import parquet_batches

    row = 0
    for batch in parquet_batches(path):
        for obj in batch:
            row += 1
            yield row, obj


def _hf_records(source: str, split: str) -> Iterator[tuple[int, dict]]:
    import datasets

    if Path(source).is_dir():
        ds = datasets.load_from_disk(source)
        if isinstance(ds, datasets.DatasetDict):
            if split not in ds:
                raise DataFormatError(f"no split {split!r}; present: {', '.join(ds)}; pass --split", source)
            ds = ds[split]
    else:  # a hub id: streamed, so nothing is held in memory (needs network)
        ds = datasets.load_dataset(source.removeprefix("hf:"), split=split, streaming=True)
    yield from enumerate(ds, start=1)


def _msmarco_rows(roles: dict[str, Path]) -> Iterator[Row]:
    if "triples" in roles:
        path = roles["triples"]
        for lineno, line in _lines(path):
            fields = line.split("\t")
            if len(fields) != 3:
                raise DataFormatError(f"expected 'query<TAB>positive<TAB>negative', found {len(fields)} field(s)",
                                      path, lineno)
            rid = f"{path.name}:{lineno}"
            yield (rid, rid, fields[0], fields[1], "", "", (fields[2],))
        return
    missing = [r for r in ("queries", "collection", "qrels") if r not in roles]
    if missing:
        raise DataFormatError(
            f"MS MARCO input needs queries, collection and qrels (or triples); missing {', '.join(missing)}. "
            "Pass them as queries=PATH collection=PATH qrels=PATH", str(next(iter(roles.values()))),
        )
    queries = {}
    for lineno, line in _lines(roles["queries"]):
        qid, sep, text = line.partition("\t")
        if not sep:
            raise DataFormatError("expected 'qid<TAB>query'", roles["queries"], lineno)
        queries[qid] = text
    positives: dict[str, list[str]] = {}
    for lineno, line in _lines(roles["qrels"]):
        f = line.split()
        if len(f) != 4:
            raise DataFormatError(f"expected 'qid 0 pid relevance', found {len(f)} field(s)", roles["qrels"], lineno)
        if f[3] != "0" and f[0] in queries:
            positives.setdefault(f[2], []).append(f[0])
    for lineno, line in _lines(roles["collection"]):
        pid, sep, text = line.partition("\t")
        if not sep:
            raise DataFormatError("expected 'pid<TAB>passage'", roles["collection"], lineno)
        for qid in positives.get(pid, ()):
            rid = f"{qid}-{pid}"
            yield (rid, rid, queries[qid], text, "", "", ())


def count_rows(inputs: Sequence[str]) -> int | None:
    """A cheap estimate of how many pairs ``inputs`` hold (for the progress bar's ETA), or None.

    Counts lines of JSONL/CSV/triples/qrels files and Parquet row counts; None when any input
    (SQuAD JSON, a directory, a hub id) cannot be counted without parsing it.
    """
    total = 0
    for spec in inputs:
        role, path = split_role(spec)
        p = Path(path)
        if role in ("queries", "collection") or not p.is_file():
            if role is None:
                return None
            continue
        if p.suffix == ".parquet":
            import pyarrow.parquet as pq

            total += pq.ParquetFile(p).metadata.num_rows
        elif p.suffix in (".jsonl", ".csv", ".tsv", ".txt"):
            with open(p, "rb") as fh:
                total += sum(block.count(b"\n") for block in iter(lambda fh=fh: fh.read(1 << 20), b""))
        else:
            return None
    return total


def iter_rows(
    inputs: Sequence[str], source_lang: str = "en", columns: dict[str, str] | None = None, split: str = "train"
) -> Iterator[Row]:
    """Yield pairs from every input in order (MS MARCO role files form one input).

    Args:
        inputs: paths, ``ROLE=PATH`` MS MARCO files, or hub ids.
        source_lang: language of rows that do not state one.
        columns: field -> column name for table inputs.
        split: split of a hub dataset or a ``DatasetDict`` directory.

    Raises:
        DataFormatError: naming the file, line or field, and the fix.
    """
    columns = columns or {}
    roles: dict[str, Path] = {}
    for spec in inputs:
        role, path = split_role(spec)
        if role is not None:
            roles[role] = Path(path)
            if not roles[role].is_file():
                raise DataFormatError("no such file; check the input path", path)
            continue
        p = Path(path)
        if not p.exists():
            if _HUB_ID.match(path) and "/" in path or path.startswith("hf:"):
                yield from _fill(_table_rows(_hf_records(path, split), path, columns, source_lang, "row"), source_lang)
                continue
            raise DataFormatError("no such file or directory; check the input path", path)
        if p.is_dir():
            records = _hf_records(path, split)
        elif p.suffix == ".json":
            yield from _squad_rows(p, source_lang)
            continue
        elif p.suffix == ".parquet":
            records = _parquet_records(p)
        elif p.suffix == ".csv":
            records = _csv_records(p)
        elif p.suffix == ".jsonl":
            records = _jsonl_records(p)
        else:
            raise DataFormatError(
                "unknown input type; use .json (SQuAD), .jsonl, .parquet, .csv, a save_to_disk directory, a hub id, "
                "or MS MARCO files as queries=PATH collection=PATH qrels=PATH / triples=PATH", path,
            )
        yield from _table_rows(records, path, columns, source_lang, "line" if p.suffix == ".jsonl" else "row")
    if roles:
        yield from _fill(_msmarco_rows(roles), source_lang)


def _fill(rows: Iterator[Row], lang: str) -> Iterator[Row]:
    for r in rows:
        yield r if r[4] and r[5] else (r[0], r[1], r[2], r[3], r[4] or lang, r[5] or lang, r[6])
