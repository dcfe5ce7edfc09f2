"""Read and write Example records: JSONL (default), Parquet, or a ``datasets.save_to_disk`` directory.

Reading streams: :func:`iter_examples` yields one validated :class:`Example` at a time, so memory
stays flat. Writing is atomic (see :mod:`codeswitch.atomic`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from codeswitch.atomic import atomic_path
from codeswitch.errors import DataFormatError
from codeswitch.records import Example, example_from_dict

FORMATS = ("jsonl", "parquet", "hf")


def detect_format(path: str | Path) -> str:
    """``hf`` for a directory, ``parquet`` for ``*.parquet``, else ``jsonl``."""
    p = Path(path)
    if p.is_dir():
        return "hf"
    return "parquet" if p.suffix == ".parquet" else "jsonl"


def dumps(example: Example) -> str:
    """One JSONL line (no newline), keys in DESIGN.md order, non-ASCII kept as is."""
    return json.dumps(example.to_dict(), ensure_ascii=False, separators=(",", ":"))


def iter_examples(path: str | Path) -> Iterator[Example]:
    """Yield validated records from a JSONL file, a Parquet file or a ``save_to_disk`` directory.

    Raises:
        DataFormatError: naming the file and line (JSONL) or row (Parquet/HF) that is wrong.
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError("no such file or directory; check the --data path", path)
    fmt = detect_format(path)
    if fmt == "jsonl":
        yield from _iter_jsonl(path)
    elif fmt == "parquet":
        row = 0
        for batch in parquet_batches(path):
            for obj in batch:
                row += 1
                yield example_from_dict(obj, str(path), row)
    else:
        import datasets

        ds = datasets.load_from_disk(str(path))
        for row, obj in enumerate(ds, start=1):
            yield example_from_dict(obj, str(path), row)


def _iter_jsonl(path: Path) -> Iterator[Example]:
    for lineno, obj in iter_json_lines(path):
        yield example_from_dict(obj, str(path), lineno)


def iter_json_lines(path: str | Path) -> Iterator[tuple[int, object]]:
    """Yield ``(line_number, parsed_object)`` for each non-blank line of a UTF-8 JSONL file.

    Raises:
        DataFormatError: on a line that is not UTF-8 or not valid JSON, naming file and line.
    """
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataFormatError(
                    f"not UTF-8 ({exc.reason} at byte {exc.start}); re-encode the file as UTF-8", path, lineno
                ) from None
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataFormatError(f"invalid JSON ({exc.msg}); fix or remove this line", path, lineno) from None


def utf8_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` (newline stripped) of a UTF-8 text file.

    Raises:
        DataFormatError: naming file and line of the first byte that is not UTF-8.
    """
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                yield lineno, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise DataFormatError(
                    f"not UTF-8 ({exc.reason} at byte {exc.start}); re-encode the file as UTF-8", path, lineno
                ) from None


def read_utf8(path: str | Path) -> str:
    """The whole text of a UTF-8 file; :class:`DataFormatError` names the line of a non-UTF-8 byte."""
    raw = Path(path).read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataFormatError(f"not UTF-8 ({exc.reason}); re-encode the file as UTF-8", path, line) from None


def parquet_batches(path: str | Path, batch_size: int = 4096) -> Iterator[list[dict]]:
    """Rows of a Parquet file in batches of dicts; a corrupt or empty file is a :class:`DataFormatError`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
            yield batch.to_pylist()
    except (pa.ArrowException, OSError) as exc:
        raise DataFormatError(f"not a readable Parquet file ({' '.join(str(exc).split())}); re-write it, e.g. "
                              "with pyarrow.parquet.write_table", path) from None


def read_examples(path: str | Path) -> list[Example]:
    """All records of ``path`` as a list (see :func:`iter_examples`)."""
    return list(iter_examples(path))


def write_examples(examples: Iterable[Example], path: str | Path, fmt: str | None = None) -> int:
    """Write records atomically; return how many were written."""
    path = Path(path)
    fmt = fmt or ("parquet" if path.suffix == ".parquet" else "hf" if path.suffix == "" else "jsonl")
    count = 0
    with atomic_path(path) as tmp:
        if fmt == "jsonl":
            with open(tmp, "w", encoding="utf-8") as fh:
                for ex in examples:
                    fh.write(dumps(ex) + "\n")
                    count += 1
        else:
            rows = [ex.to_dict() for ex in examples]
            count = len(rows)
            if fmt == "parquet":
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(pa.Table.from_pylist(rows), tmp)
            else:
                import datasets

                datasets.Dataset.from_list(rows).save_to_disk(str(tmp))
    return count


def stats_path(out: str | Path) -> Path:
    """Where the stats JSON of ``out`` goes: ``train.jsonl`` -> ``train.stats.json``."""
    out = Path(out)
    stem = out.stem if out.suffix in (".jsonl", ".parquet", ".json") else out.name
    return out.with_name(stem + ".stats.json")
