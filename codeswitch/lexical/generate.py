"""The ``generate`` pipeline: stream pairs, switch them in worker processes, write records and stats.

Determinism: a record's random generator depends only on (seed, input id, variant)
(:func:`codeswitch.lexical.switch.rng_for`) and chunks are written in input order, so the same input and
seed give byte-identical output for any ``workers``. Memory stays flat: at most
``4 × workers`` chunks are in flight (:mod:`codeswitch.lexical.pool`, which also makes any
signal stop the run at any moment). Output and stats are written atomically; an interrupted run
leaves neither, and re-running (with ``--overwrite``) regenerates the same bytes — there is no
partial resume.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from json.encoder import encode_basestring
from pathlib import Path

from codeswitch.atomic import atomic_path, check_output
from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.example_io import stats_path  # noqa: F401  (re-exported: codeswitch.lexical.generate.stats_path)
from codeswitch.languages import check_lang
from codeswitch.lexical.inputs import Row, count_rows, iter_rows, split_role
from codeswitch.lexical.lexicon import Lexicon, parse_spec
from codeswitch.lexical.pool import ordered_map
from codeswitch.lexical.switch import SwitchConfig, Switcher, rng_for
from codeswitch.options import cap_workers, check_workers
from codeswitch.records import kind_for

OUTPUT_FORMATS = ("jsonl", "parquet", "hf")


@dataclass(frozen=True)
class GenerateConfig:
    """One ``codeswitch generate`` run (saved under ``config`` in the stats JSON).

    Attributes:
        inputs: input paths / ``ROLE=PATH`` / hub ids.
        lexicons: ``--lexicon`` specs (see :func:`codeswitch.lexical.lexicon.parse_spec`).
        out: output path; ``fmt`` from its suffix unless given (``.parquet``, a directory = ``hf``).
        source_lang: language of the text being switched; other-language sides pass unchanged.
        switch: the switching options.
        variants: switched records per input pair (ids ``<id>#cs<k>``).
        keep_original: also write the unswitched pair (id ``<id>``).
        switch_negatives: switch hard negatives too (no offsets are recorded for them).
        stopwords, numbers, min_length: lexicon filters (drop stopwords / digit entries / short keys).
        columns: field -> column name for table inputs; ``split``: hub / DatasetDict split.
        workers: processes; ``chunk_size``: pairs per task.
    """

    inputs: tuple[str, ...]
    lexicons: tuple[str, ...]
    out: str
    fmt: str = "jsonl"
    source_lang: str = "en"
    switch: SwitchConfig = field(default_factory=SwitchConfig)
    variants: int = 1
    keep_original: bool = False
    switch_negatives: bool = False
    stopwords: bool = False
    numbers: bool = False
    min_length: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    split: str = "train"
    workers: int = 1
    chunk_size: int = 256

    def __post_init__(self) -> None:
        check_lang(self.source_lang, "--source-lang")
        if self.fmt not in OUTPUT_FORMATS:
            raise ConfigError(f"--format must be one of {', '.join(OUTPUT_FORMATS)}, found {self.fmt!r}")
        if self.variants < 1:
            raise ConfigError(f"--variants must be at least 1, found {self.variants}; e.g. --variants 1")
        check_workers(self.workers)


def load_lexicons(config: GenerateConfig) -> list[Lexicon]:
    """Load and filter the lexicons of ``config``."""
    out = []
    for spec in config.lexicons:
        lex = Lexicon.load(parse_spec(spec, config.source_lang), config.switch.policy, config.switch.tokenizer)
        if config.stopwords or config.numbers or config.min_length:
            lex = lex.filtered(config.stopwords, config.numbers, config.min_length)
        out.append(lex)
    return out


_WORKER: dict[str, object] = {}


def _init_worker(
    config: GenerateConfig, lexicons: list[Lexicon] | None = None, switcher: Switcher | None = None
) -> None:
    lexicons = lexicons if lexicons is not None else load_lexicons(config)
    _WORKER["switcher"] = switcher or Switcher(lexicons, config.source_lang, config.switch)
    _WORKER["config"] = config
    _WORKER["meta"] = ',"meta":{"lexicons":' + json.dumps(
        [lx.name for lx in lexicons], ensure_ascii=False, separators=(",", ":")) + (
        f',"seed":{config.switch.seed},"variant":'
    )


def _switches_json(side: str, hits: list[tuple[int, int, str, str]]) -> Iterator[str]:
    for s, e, src, lang in hits:
        yield f'{{"side":"{side}","start":{s},"end":{e},"source":{encode_basestring(src)},"lang":"{lang}",' \
              '"method":"lexicon"}'


def _line(
    rid: str, row: Row, query: str, passage: str, kind: str, sw: list[str], negs: Iterable[str], meta: str
) -> str:
    """One record in exactly :func:`codeswitch.example_io.dumps` form (checked by the tests)."""
    enc = encode_basestring
    return (
        f'{{"id":{enc(rid)},"pair_id":{enc(row[1])},"query":{enc(query)},"passage":{enc(passage)},'
        f'"query_lang":{enc(row[4])},"passage_lang":{enc(row[5])},"kind":"{kind}","switches":[{",".join(sw)}],'
        f'"negatives":[{",".join(map(enc, negs))}]{meta}}}}}\n'
    )


def process_chunk(rows: list[Row]) -> tuple[str, dict, int]:
    """Switch a chunk of pairs; return (JSONL text, counters, tokens seen). Runs in a worker."""
    sw: Switcher = _WORKER["switcher"]  # type: ignore[assignment]
    cfg: GenerateConfig = _WORKER["config"]  # type: ignore[assignment]
    meta = _WORKER["meta"]
    sw.counts = {}
    side, src_lang, seed = cfg.switch.side, cfg.source_lang, cfg.switch.seed
    do_q, do_p = side in ("query", "both"), side in ("passage", "both")
    out, kinds = [], {}
    for row in rows:
        qlang, plang = row[4], row[5]
        if cfg.keep_original:
            kind = kind_for(qlang, plang, False)
            kinds[(kind, qlang, plang)] = kinds.get((kind, qlang, plang), 0) + 1
            out.append(_line(row[0], row, row[2], row[3], kind, [], row[6], f"{meta}null"))
        for v in range(cfg.variants):
            rid = f"{row[0]}#cs{v}"
            rng = rng_for(seed, row[0], v)
            query, passage, sw_json, negs = row[2], row[3], [], row[6]
            if do_q and qlang == src_lang:
                query, hits = sw.switch(query, "query", rng)
                sw_json.extend(_switches_json("query", hits))
            if do_p and plang == src_lang:
                passage, hits = sw.switch(passage, "passage", rng)
                sw_json.extend(_switches_json("passage", hits))
                if cfg.switch_negatives and negs:
                    negs = [sw.switch(n, "negative", rng)[0] for n in negs]
            kind = kind_for(qlang, plang, bool(sw_json))
            kinds[(kind, qlang, plang)] = kinds.get((kind, qlang, plang), 0) + 1
            out.append(_line(rid, row, query, passage, kind, sw_json, negs, f"{meta}{v}"))
    counts = dict(sw.counts)
    for key, n in kinds.items():
        counts[("records",) + key] = n
    tokens = sum(n for (s, lang, f), n in sw.counts.items() if lang == "*" and f == "tokens") if sw.counts else 0
    return "".join(out), counts, tokens


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for r in rows:
        chunk.append(r)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _results(
    config: GenerateConfig, lexicons: list[Lexicon], switcher: Switcher, run: dict
) -> Iterator[tuple[str, dict, int]]:
    """Switched chunks in input order; ``run`` receives ``workers`` (used) and ``workers_capped_by``."""
    rows = iter_rows(config.inputs, config.source_lang, config.columns, config.split)
    chunks = _chunks(_checked_rows(rows, run), config.chunk_size)
    workers, caps = cap_workers(config.workers)
    first: list[list[Row]] = list(itertools.islice(chunks, workers)) if workers > 1 else []
    if workers > 1 and len(first) < workers:  # fewer chunks than workers: fewer workers
        workers, more = cap_workers(workers, len(first))
        caps += more
    run.update(workers=workers, workers_capped_by=caps)
    chunks = itertools.chain(first, chunks)
    if workers == 1:
        _init_worker(config, lexicons, switcher)
        for chunk in chunks:
            yield process_chunk(chunk)
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    # bounded window: memory stays flat however large the input; any exception kills and reaps the workers
    yield from ordered_map(ctx, workers, process_chunk, chunks, _init_worker, (config, lexicons), 4 * workers)


def checksum(spec: str) -> dict[str, str]:
    """sha256 of an input file (of its files' hashes for a directory); hub ids are named, not hashed."""
    _, path = split_role(spec)
    p = Path(path)
    if not p.exists():
        return {"input": spec, "sha256": "remote"}
    size = sum(x.stat().st_size for x in p.rglob("*") if x.is_file()) if p.is_dir() else p.stat().st_size
    h = hashlib.sha256()
    files = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
    for f in files:
        with open(f, "rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    return {"input": _portable(spec), "bytes": size, "sha256": h.hexdigest()}


def generate(config: GenerateConfig, overwrite: bool = False, progress: bool = True) -> dict:
    """Run ``config``; write the records and the stats JSON; return the stats.

    Raises:
        CodeswitchError: bad input or options; nothing is written then.
    """
    out, spath = Path(config.out), stats_path(config.out)
    check_output(out, overwrite, folder=config.fmt == "hf")
    lexicons = load_lexicons(config)
    switcher = Switcher(lexicons, config.source_lang, config.switch)  # validates before any input is read
    from tqdm import tqdm

    per_pair = config.variants + int(config.keep_original)
    started = time.perf_counter()
    totals: dict = {}
    tokens = 0
    run: dict = {"skipped_empty": 0}
    total = count_rows(config.inputs) if progress else None
    bar = tqdm(total=total, unit=" pairs", unit_scale=True, disable=not progress, desc="generate", smoothing=0.1)
    try:
        with atomic_path(out) as tmp:
            writer = _writer(config.fmt, tmp)
            results = _results(config, lexicons, switcher, run)
            try:
                for text, counts, ntok in results:
                    writer.send(text)
                    for key, n in counts.items():
                        totals[key] = totals.get(key, 0) + n
                    tokens += ntok
                    bar.update(sum(n for key, n in counts.items() if key[0] == "records") // per_pair)
                    bar.set_postfix_str(f"{tokens / max(bar.format_dict['elapsed'], 1e-9):,.0f} tok/s", refresh=False)
                if not any(key[0] == "records" for key in totals):
                    raise DataFormatError(
                        f"no query-passage pairs in {', '.join(config.inputs)} ({run['skipped_empty']} skipped for "
                        "an empty query or passage); SQuAD files need data[].paragraphs[].qas with answerable "
                        "questions, tables need query and passage columns (see --column)"
                    )
            except BaseException:
                _abort(writer)  # its files go now, before the temporary is removed, not later at garbage collection
                raise
            finally:
                results.close()  # stops the worker pool now, also on an error or an interrupt
            writer.close()
            bar.close()
            stats = _stats(config, lexicons, totals, time.perf_counter() - started, tokens, run)
            with atomic_path(spath) as stmp:
                stmp.write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    finally:
        bar.close()  # before any error line is printed
    return stats


def _checked_rows(rows: Iterable[Row], run: dict) -> Iterator[Row]:
    """Skip (and count in ``run``) pairs with an empty query or passage; refuse duplicate ids."""
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        if not row[2].strip() or not row[3].strip():
            run["skipped_empty"] += 1
            continue
        if row[0] in seen:
            raise DataFormatError(
                f"duplicate id {row[0]!r} (pair {n} of the input); ids must be unique: fix the input, drop its id "
                "column (ids then become <file>:<row>) or generate from each file separately"
            )
        seen.add(row[0])
        yield row


class _Abort(Exception):
    """Thrown into a writer: stop and remove what was written (nothing is finished)."""


def _abort(writer) -> None:
    try:
        writer.throw(_Abort())
    except (_Abort, StopIteration):
        pass


def _writer(fmt: str, tmp: Path):
    """A generator-based sink: ``send(jsonl_text)`` per chunk, ``close()`` to finish."""

    def jsonl():
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            try:
                while True:
                    fh.write((yield))
            except GeneratorExit:
                return

    def parquet(target: Path):
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer = None
        try:
            while True:
                rows = [json.loads(x) for x in (yield).splitlines()]
                table = pa.Table.from_pylist(rows, schema=_schema())
                writer = writer or pq.ParquetWriter(target, table.schema)
                writer.write_table(table)
        except _Abort:
            if writer is not None:
                writer.close()
            target.unlink(missing_ok=True)
            raise
        except GeneratorExit:
            if writer is None:
                pq.write_table(pa.Table.from_pylist([], schema=_schema()), target)
            else:
                writer.close()

    def hf():
        import datasets

        pq_path = tmp.with_name(tmp.name + ".parquet")
        inner = parquet(pq_path)
        next(inner)
        try:
            while True:
                inner.send((yield))
        except _Abort:
            _abort(inner)
            pq_path.unlink(missing_ok=True)
            raise
        except GeneratorExit:
            inner.close()
            try:
                ds = datasets.Dataset.from_parquet(str(pq_path), cache_dir=str(tmp) + ".cache")
                ds.save_to_disk(str(tmp))
            finally:
                pq_path.unlink(missing_ok=True)
                import shutil

                shutil.rmtree(str(tmp) + ".cache", ignore_errors=True)

    gen = {"jsonl": jsonl, "parquet": lambda: parquet(tmp), "hf": hf}[fmt]()
    next(gen)
    return gen


def _schema():
    import pyarrow as pa

    switch = pa.struct([("side", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("source", pa.string()),
                        ("lang", pa.string()), ("method", pa.string())])
    meta = pa.struct([("lexicons", pa.list_(pa.string())), ("seed", pa.int64()), ("variant", pa.int64())])
    return pa.schema([(n, pa.string()) for n in ("id", "pair_id", "query", "passage", "query_lang", "passage_lang",
                                                   "kind")] + [("switches", pa.list_(switch)),
                                                               ("negatives", pa.list_(pa.string())), ("meta", meta)])


def _rate(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _stats(
    config: GenerateConfig, lexicons: list[Lexicon], totals: dict, seconds: float, tokens: int, run: dict
) -> dict:
    """The stats JSON. Everything but ``run.seconds`` and ``run.tokens_per_second`` (wall-clock timings) is
    the same for the same input bytes, options and CPU count, wherever the command runs: inputs, lexicons and
    the output are named by file name (plus size and sha256 for inputs), never by absolute path."""
    records: dict[str, int] = {}
    by_lang: dict[str, int] = {}
    sides: dict[str, dict] = {}
    for key, n in sorted(totals.items()):
        if key[0] == "records":
            _, kind, ql, pl = key
            records[kind] = records.get(kind, 0) + n
            by_lang[f"{ql}-{pl}"] = by_lang.get(f"{ql}-{pl}", 0) + n
            continue
        side, lang, fld = key
        sides.setdefault(side, {}).setdefault(lang, {})[fld] = n
    nominal = config.switch.ratio * config.switch.sentence_ratio
    rates = {}
    for side, per in sides.items():
        tok = per.get("*", {}).get("tokens", 0)
        rates[side] = {}
        for lang, c in per.items():
            cov, sw, same = c.get("covered", 0), c.get("switched", 0), c.get("identical", 0)
            expected = nominal if lang == "*" or len(lexicons) == 1 or config.switch.draw == "covering" \
                else nominal / len(lexicons)
            rates[side][lang] = {
                "word_tokens": tok, "covered_tokens": cov, "switched_tokens": sw, "identical_tokens": same,
                "coverage": _rate(cov, tok),
                "rate_over_words": _rate(sw, tok), "rate_over_covered": _rate(sw, cov),
                "nominal": round(expected, 4) if lang == "*" or config.switch.draw == "all" else None,
            }
    return {
        "records": sum(records.values()), "records_by_kind": records, "records_by_languages": by_lang,
        "switch_rates": rates, "nominal_ratio": config.switch.ratio, "sentence_ratio": config.switch.sentence_ratio,
        "seed": config.switch.seed, "lexicons": [lx.stats() for lx in lexicons],
        "inputs": [checksum(s) for s in config.inputs],
        "skipped": {"empty_query_or_passage": run.get("skipped_empty", 0)},
        "config": {**asdict(config), "inputs": [_portable(s) for s in config.inputs],
                   "lexicons": [_portable(s) for s in config.lexicons], "out": Path(config.out).name,
                   "switch": config.switch.to_dict()},
        "run": {"seconds": round(seconds, 3), "word_tokens": tokens,
                "tokens_per_second": round(tokens / seconds) if seconds else None,
                "workers_requested": config.workers, "workers": run.get("workers", 1),
                "workers_capped_by": run.get("workers_capped_by", [])},
    }


def _portable(spec: str) -> str:
    """An input or lexicon spec with any path reduced to its file name (``queries=/a/b.tsv`` -> ``queries=b.tsv``)."""
    head, sep, rest = spec.partition("=")
    if sep and "/" not in head and os.sep not in head:
        return f"{head}={_portable(rest)}"
    return Path(spec).name if Path(spec).exists() else spec  # hub ids and cldr:LANG stay as given
