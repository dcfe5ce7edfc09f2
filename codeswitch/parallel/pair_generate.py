"""The parallel-data branch of ``codeswitch generate``: pairs, article splits, alignment switching.

``codeswitch generate XQUAD_FILES... --pairs all|mono|cross`` runs :func:`generate_pairs`:
read translated QA files (:mod:`codeswitch.parallel.pairs`), optionally keep one side of a seeded
article split, build mono/cross-lingual records and, with ``--align-switch LANG``, code-switch
them with aligned translations (:mod:`codeswitch.parallel.align_switch`; alignments are computed with
eflomal for the needed language directions, or read from ``--alignments`` directories). The
records and a stats JSON (``<stem>.stats.json``) are written atomically.

With ``--lexicon`` as well, :func:`pairs_as_input` writes the pair records to a temporary JSONL
that the lexicon switcher of ``generate`` then reads like any other input.
"""

from __future__ import annotations

import atexit
import json
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from codeswitch.atomic import atomic_path, check_output, make_scratch
from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.example_io import stats_path
from codeswitch.options import FINITE_FLOAT, FiniteFloat
from codeswitch.parallel.align import AlignConfig
from codeswitch.parallel.pairs import PAIR_MODES, PASSAGE_UNITS, PairStats, build_pairs, read_parallel, split_by_title
from codeswitch.records import Example


@dataclass(frozen=True)
class PairConfig:
    """One pair-building run (saved under ``config`` in the stats JSON).

    Attributes:
        inputs: ``[LANG=]PATH`` translated QA files (see :func:`codeswitch.parallel.pairs.read_parallel`).
        out, fmt: output path and format (jsonl / parquet / hf).
        pairs: ``all``, ``mono`` or ``cross``; ``passage``: ``paragraph`` or ``sentence``.
        langs: languages to use (empty = all read); ``per_item``: sampled language pairs per item;
            ``pivot``: keep only the language pairs with this language on one side (None = all);
            ``passage_langs``: keep only the pairs whose passage is in one of these (empty = all).
        seed: seed for sampling and switching.
        split_by: ``title`` for an article split; ``held_out``: fraction or number of titles;
            ``split_seed``; ``keep_split``: ``train``, ``heldout`` or ``both``.
        align_switch: target languages of alignment-based switching (empty = none).
        ratio, side, max_phrase_len: switching options.
        alignments: precomputed alignment dirs (else eflomal runs here).
        rel_iterations, workers: eflomal options.
    """

    inputs: tuple[str, ...]
    out: str
    fmt: str = "jsonl"
    pairs: str = "all"
    passage: str = "paragraph"
    langs: tuple[str, ...] = ()
    per_item: int | None = None
    pivot: str | None = None
    passage_langs: tuple[str, ...] = ()
    seed: int = 13
    split_by: str | None = None
    held_out: float = 0.2
    split_seed: int = 0
    keep_split: str = "train"
    align_switch: tuple[str, ...] = ()
    ratio: float = 0.5
    side: str = "both"
    max_phrase_len: int = 4
    alignments: tuple[str, ...] = ()
    rel_iterations: float = 1.0
    workers: int = 1


def pair_records(config: PairConfig, stats: PairStats, progress: bool = False) -> Iterator[Example]:
    """Read, split, build and (optionally) alignment-switch; fills ``stats`` while iterating."""
    from codeswitch.languages import check_lang
    from codeswitch.parallel.align_switch import (
        AlignSwitchConfig,
        build_alignment_index,
        codeswitch_example,
        index_from_dirs,
        needed_directions,
    )

    if config.keep_split not in ("train", "heldout", "both"):
        raise ConfigError(f"--keep-split must be train, heldout or both, found {config.keep_split!r}")
    if config.split_by not in (None, "title"):
        raise ConfigError(f"--split-by supports 'title' only, found {config.split_by!r}")
    read_langs = (tuple(config.langs) + tuple(config.align_switch)) if config.langs else None
    items = read_parallel(config.inputs, read_langs)
    if not items:
        raise ConfigError("no items read; check the inputs and --pair-langs")
    split = split_by_title(items, config.held_out, config.split_seed) if config.split_by else None
    keep = None if split is None or config.keep_split == "both" else config.keep_split
    records = build_pairs(items, config.pairs, config.passage, config.langs or None, config.per_item, config.seed,
                          split, keep, stats, pivot=config.pivot, passage_langs=config.passage_langs or None)
    if not config.align_switch:
        yield from records
        return
    targets = tuple(check_lang(x) for x in config.align_switch)
    sw_cfg = AlignSwitchConfig(config.ratio, config.side, targets, config.max_phrase_len, config.seed)
    sw_cfg.check()
    if config.alignments:
        index = index_from_dirs(config.alignments)
    else:
        # align only what the records switch: from their languages (--pair-langs, else all) into the targets
        langs = sorted(set(config.langs) if config.langs else {lg for it in items for lg in it.texts})
        index = build_alignment_index(items, needed_directions(langs, targets),
                                      AlignConfig(rel_iterations=config.rel_iterations, workers=config.workers),
                                      progress=progress)
    by_id = {it.pair_id: it for it in items}
    for ex in records:
        yield codeswitch_example(ex, by_id[ex.pair_id], index, sw_cfg, config.passage)


def generate_pairs(config: PairConfig, overwrite: bool = False, progress: bool = True) -> dict:
    """Write the pair records of ``config`` and ``<stem>.stats.json``; return the stats."""
    from codeswitch.example_io import write_examples

    out = Path(config.out)
    check_output(out, overwrite, folder=config.fmt == "hf")
    stats = PairStats()
    kinds: Counter[str] = Counter()
    switches: Counter[str] = Counter()
    t0 = time.perf_counter()

    from tqdm import tqdm

    bars: list = []  # the records bar starts with the first record, after any alignment bars

    def counted() -> Iterator[Example]:
        for ex in pair_records(config, stats, progress):
            if not bars:
                bars.append(tqdm(unit=" records", desc="pairs", disable=not progress, unit_scale=True))
            kinds[ex.kind] += 1
            switches.update(f"{s.side}:{s.lang}" for s in ex.switches)
            bars[0].update()
            yield ex
        if not kinds:
            raise DataFormatError(
                f"no pair records from {', '.join(config.inputs)} with --pairs {config.pairs}"
                + (f" --keep-split {config.keep_split}" if config.split_by else "")
                + "; cross pairs need two languages of the same items, mono pairs at least one"
            )

    try:
        n = write_examples(counted(), out, config.fmt)
    finally:
        for bar in bars:
            bar.close()
    secs = time.perf_counter() - t0
    result = {
        "config": {**asdict(config), "inputs": [_name(s) for s in config.inputs], "out": out.name},
        "records": n, "records_by_kind": dict(kinds), "pairs": stats.to_dict(),
        "switches": dict(sorted(switches.items())),
        "run": {"seconds": round(secs, 3), "records_per_second": round(n / secs) if secs else None},
    }
    if stats.split:
        titles = titles_path(out)
        result["heldout_titles_file"] = titles.name
        with atomic_path(titles) as tmp:
            tmp.write_text("# held-out article titles (codeswitch generate --split-by title); for evaluate --titles\n"
                           + "".join(f"{t}\n" for t in stats.split["heldout"]), encoding="utf-8")
    with atomic_path(stats_path(out)) as tmp:
        tmp.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


def titles_path(out: str | Path) -> Path:
    """Where ``--split-by title`` writes the held-out titles: ``train.jsonl`` -> ``train.heldout-titles.txt``."""
    return stats_path(out).with_name(stats_path(out).name.replace(".stats.json", ".heldout-titles.txt"))


def _name(spec: str) -> str:
    """An input spec with its path reduced to the file name (``de=/a/xquad.de.json`` -> ``de=xquad.de.json``)."""
    head, sep, rest = spec.partition("=")
    return f"{head}={Path(rest).name}" if sep and "/" not in head else Path(spec).name


def pairs_as_input(config: PairConfig) -> str:
    """Write the pair records to a temporary JSONL (removed at exit) for the lexicon switcher."""
    from codeswitch.example_io import write_examples

    tmp = make_scratch("pairs")  # removed at exit; a killed run's folder is removed by the next run
    atexit.register(shutil.rmtree, tmp, True)
    path = tmp / "pairs.jsonl"
    write_examples(pair_records(config, PairStats()), path, "jsonl")
    return str(path)


PAIR_OPTIONS = [
    click.option("--pairs", "pairs", type=click.Choice(PAIR_MODES), default=None,
                 help="Parallel input (XQuAD/LAReQA files, JSONL with pair_id+lang): build monolingual and/or "
                      "cross-lingual pairs of every item; records of an item share its pair_id."),
    click.option("--passage", "passage_unit", type=click.Choice(PASSAGE_UNITS), default="paragraph",
                 show_default=True, help="--pairs: the paragraph or the answer-bearing sentence."),
    click.option("--pair-langs", default="", help="--pairs: comma-separated languages to use (default: all read)."),
    click.option("--pair-pivot", default=None,
                 help="--pairs: keep only language pairs with this language on one side (e.g. en: x->en and "
                      "en->x, none between two other languages)."),
    click.option("--pair-passage-langs", default="",
                 help="--pairs: comma-separated passage languages to keep (e.g. en with --pair-pivot en: x->en "
                      "only, the direction of a test with English passages)."),
    click.option("--pairs-per-item", type=int, default=None,
                 help="--pairs: sample this many language pairs per item (seeded) instead of all."),
    click.option("--split-by", type=click.Choice(["title"]), default=None,
                 help="--pairs: seeded article-level split so evaluation articles stay out of training."),
    click.option("--held-out", type=FINITE_FLOAT, default=0.2, show_default=True,
                 help="--split-by: fraction (<1) or number of held-out titles."),
    click.option("--split-seed", type=int, default=0, show_default=True,
                 help="Seed of the article shuffle behind --split-by title / --held-out (same seed, same split)."),
    click.option("--keep-split", type=click.Choice(["train", "heldout", "both"]), default="train",
                 show_default=True, help="--split-by: which articles to write (both: meta.split says which)."),
    click.option("--align-switch", default="",
                 help="--pairs: code-switch with aligned translations into these comma-separated languages "
                      "(method 'alignment'; uses --ratio, --side, --seed)."),
    click.option("--alignments", multiple=True, help="--align-switch: alignment dirs from `codeswitch align` "
                                                     "(default: align with eflomal now)."),
    click.option("--max-phrase-len", type=int, default=4, show_default=True,
                 help="--align-switch: longest source span replaced at once (tokens)."),
    click.option("--align-iterations", type=FiniteFloat(0.0, open_low=True), default=1.0, show_default=True,
                 help="--align-switch: eflomal iterations relative to its default (lower = faster)."),
]


def pair_options(f):
    """Add the parallel-data options to a click command (they arrive as keyword arguments)."""
    for opt in reversed(PAIR_OPTIONS):
        f = opt(f)
    return f


def config_from_options(inputs, out, fmt, seed, ratio, side, workers, opts: dict) -> PairConfig:
    """A :class:`PairConfig` from ``generate``'s arguments and the :data:`PAIR_OPTIONS` values."""
    split = lambda s: tuple(x.strip() for x in s.split(",") if x.strip())  # noqa: E731
    return PairConfig(
        inputs=tuple(inputs), out=str(out), fmt=fmt, pairs=opts["pairs"], passage=opts["passage_unit"],
        langs=split(opts["pair_langs"]), per_item=opts["pairs_per_item"], pivot=opts["pair_pivot"], seed=seed,
        passage_langs=split(opts["pair_passage_langs"]),
        split_by=opts["split_by"],
        held_out=opts["held_out"], split_seed=opts["split_seed"], keep_split=opts["keep_split"],
        align_switch=split(opts["align_switch"]), ratio=ratio, side=side, max_phrase_len=opts["max_phrase_len"],
        alignments=tuple(opts["alignments"]), rel_iterations=opts["align_iterations"], workers=workers,
    )


def report(stats: dict, out: Path) -> None:
    """Print what was written: counts per kind, missing languages, split, speed."""
    click.echo(f"records: {stats['records']} ({', '.join(f'{k} {v}' for k, v in stats['records_by_kind'].items())})")
    p = stats["pairs"]
    missing = ", ".join(f"{k} {v}" for k, v in p["missing"].items() if v) or "none"
    click.echo(f"items: {p['items']} in {len(p['languages'])} languages; missing per language: {missing}")
    if p["split"]:
        split = ", ".join(f"{k} {v}" for k, v in p["split"].items() if k != "heldout")
        click.echo(f"split by title: {split}; held-out titles in {titles_path(out)} (for evaluate --titles)")
    if stats["switches"]:
        switches = stats["switches"]
        shown = ", ".join(f"{k} {v}" for k, v in switches.items()) if isinstance(switches, dict) else switches
        click.echo(f"alignment switches: {shown}")
    click.echo(f"speed: {stats['run']['records_per_second']} records/s")

    click.echo(f"wrote {out} and {stats_path(out)}")


def run_from_generate(inputs, out, fmt, lexicons, seed, ratio, side, workers, overwrite, quiet, opts: dict):
    """The ``generate`` hook: returns None when the pair records were written (no ``--lexicon``),
    else the inputs the lexicon switcher should read instead (a temporary JSONL of pair records).
    Without ``--pairs`` it returns ``inputs`` unchanged (and rejects pair-only options)."""
    if not opts.get("pairs"):
        if opts.get("align_switch") or opts.get("split_by"):
            raise ConfigError("--align-switch and --split-by need --pairs all|mono|cross (parallel input)")
        return tuple(inputs)
    if not inputs:
        raise ConfigError("--pairs needs translated QA inputs, e.g. ../shared/data/xquad/xquad.*.json")
    config = config_from_options(inputs, out, fmt, seed, ratio, side, workers, opts)
    if lexicons and config.align_switch:
        raise ConfigError("use either --lexicon or --align-switch with --pairs, not both (one switcher per run)")
    if not lexicons:
        report(generate_pairs(config, overwrite, progress=not quiet), Path(out))
        return None
    return (pairs_as_input(config),)
