"""``codeswitch generate``: code-switch query–passage pairs with bilingual lexicons."""

from __future__ import annotations

import json
from pathlib import Path

import click

from codeswitch.errors import ConfigError
from codeswitch.example_io import stats_path
from codeswitch.lexical.generate import OUTPUT_FORMATS, GenerateConfig, generate
from codeswitch.lexical.lexicon import POLICIES
from codeswitch.lexical.switch import DRAWS, SIDE_CHOICES, SwitchConfig
from codeswitch.options import PROBABILITY
from codeswitch.parallel.pair_generate import pair_options, run_from_generate
from codeswitch.tokenize import BACKENDS

DEMO_DIR = Path(__file__).parent / "demo"
DEMO_LEXICONS = ("cldr:sw", "cldr:yo", "cldr:te", "cldr:bn", "cldr:th", "cldr:hi")
DEMO_OUT = "codeswitch-demo.jsonl"


def _columns(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for v in values:
        name, sep, col = v.partition("=")
        if not sep or name not in ("id", "pair_id", "query", "passage", "query_lang", "passage_lang"):
            raise ConfigError(f"--column expects FIELD=NAME with FIELD one of id, pair_id, query, passage, "
                              f"query_lang, passage_lang; found {v!r}")
        if name in out:
            raise ConfigError(f"--column maps {name} twice ({name}={out[name]} and {v}); map each field once")
        out[name] = col
    used: dict[str, str] = {}
    for field in ("id", "pair_id", "query", "passage", "query_lang", "passage_lang"):
        col = out.get(field, field)  # an unmapped field reads the column of its own name
        if col in used and (field in out or used[col] in out):
            raise ConfigError(f"--column: {used[col]} and {field} would both read the column {col!r}; give each "
                              "field its own column (e.g. --column query=question)")
        used[col] = field
    return out


@click.command("generate")
@click.argument("inputs", nargs=-1)
@click.option("--lexicon", "lexicons", multiple=True, metavar="[LANG=]PATH",
              help="Bilingual lexicon; repeat for multilingual switching. LANG= names the target language, "
                   "SRC-TGT= the file's two columns; en-de.txt, sw-en.train or swahili.txt imply them; "
                   "cldr:LANG uses the packaged CLDR names.")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Output: .jsonl (default), .parquet, or a "
              "directory for datasets.save_to_disk. Stats go beside it (<stem>.stats.json).")
@click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), help="Output format (default: from --out).")
@click.option("--ratio", type=PROBABILITY, default=0.5, show_default=True,
              help="Probability a covered token is switched.")
@click.option("--side", type=click.Choice(SIDE_CHOICES), default="both", show_default=True,
              help="Which text is switched: the query, the passage or both (Litschko et al. switch queries for "
                   "English documents).")
@click.option("--seed", type=int, default=13, show_default=True,
              help="Seed of every random draw (which tokens switch, which language, which translation): same seed, "
                   "same bytes.")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Processes; 0 = one per CPU. Capped at the usable CPUs and at the input's chunks of 256 pairs "
                   "(the output says so); the output is identical for any.")
@click.option("--source-lang", default="en", show_default=True, help="Language of the text being switched.")
@click.option("--policy", type=click.Choice(POLICIES), default="first", show_default=True,
              help="Which translation of an ambiguous entry.")
@click.option("--draw", type=click.Choice(DRAWS), default="all", show_default=True,
              help="Multilingual: draw the target language among all lexicons (paper) or only those covering "
                   "the token (real rate over covered tokens = --ratio).")
@click.option("--sentence-ratio", type=PROBABILITY, default=1.0, show_default=True,
              help="CoSDA-ML style: probability a sentence is eligible.")
@click.option("--tokenizer", type=click.Choice(BACKENDS), default="auto", show_default=True,
              help="How text is split into words: auto (regex for spaced scripts; spaCy + pythainlp/jieba/... for th "
                   "zh ja ko when installed, else one token per character), fast, spacy or chars.")
@click.option("--variants", type=int, default=1, show_default=True, help="Switched records per pair.")
@click.option("--keep-original", is_flag=True, help="Also write each unswitched pair.")
@click.option("--switch-negatives", is_flag=True, help="Switch hard negatives too (MS MARCO triples).")
@click.option("--no-stopwords", is_flag=True, help="Never switch source stopwords (spaCy list).")
@click.option("--no-numbers", is_flag=True, help="Never switch entries containing digits.")
@click.option("--min-length", type=int, default=0, help="Never switch source entries shorter than this.")
@click.option("--column", "columns", multiple=True, metavar="FIELD=NAME",
              help="Column name of a field in JSONL/Parquet/CSV/HF input, e.g. --column query=question.")
@click.option("--split", default="train", show_default=True, help="Split of a hub dataset / DatasetDict.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@pair_options
def generate_cmd(inputs, lexicons, out, fmt, ratio, side, seed, workers, source_lang, policy, draw, sentence_ratio,
                 tokenizer, variants, keep_original, switch_negatives, no_stopwords, no_numbers, min_length, columns,
                 split, overwrite, quiet, **pair_opts) -> None:
    """Code-switch query–passage pairs with bilingual lexicons (Litschko et al. 2023).

    \b
    INPUT: SQuAD/XQuAD/LAReQA .json, .jsonl, .parquet, .csv, a save_to_disk dir,
    a hub id, or MS MARCO TSVs as queries=P collection=P qrels=P (or triples=P).
    Without INPUT, runs the packaged demo (English pairs, CLDR lexicons for sw yo te bn th hi).

    \b
    codeswitch generate ../shared/data/squad/squad-v2.0-dev.first5articles.json \\
        --lexicon ../shared/data/muse-full/en-de.txt --ratio 0.5 --out cs.jsonl
    codeswitch generate pairs.jsonl --column query=question --lexicon sw-en.train \\
        --lexicon te=te-en.train --side passage --workers 2 --out ml.parquet
    """
    demo = not inputs
    if demo:
        inputs = (str(DEMO_DIR / "pairs.jsonl"),)
        lexicons = lexicons or DEMO_LEXICONS
        if out is None:
            out, overwrite = Path(DEMO_OUT), True
    if out is None:
        raise ConfigError("--out is required with inputs; e.g. --out switched.jsonl")
    fmt = fmt or ("parquet" if out.suffix == ".parquet" else "jsonl" if out.suffix in (".jsonl", ".json") else "hf")
    # --pairs (parallel input): mono/cross pairs, split, alignment switching; see codeswitch.parallel.pair_generate
    inputs = run_from_generate(inputs, out, fmt, lexicons, seed, ratio, side, workers, overwrite, quiet, pair_opts)
    if inputs is None:
        return
    config = GenerateConfig(
        inputs=tuple(inputs), lexicons=tuple(lexicons), out=str(out), fmt=fmt, source_lang=source_lang,
        switch=SwitchConfig(ratio=ratio, side=side, policy=policy, draw=draw, sentence_ratio=sentence_ratio,
                            tokenizer=tokenizer, seed=seed),
        variants=variants, keep_original=keep_original, switch_negatives=switch_negatives, stopwords=no_stopwords,
        numbers=no_numbers, min_length=min_length, columns=_columns(columns), split=split,
        workers=workers,
    )
    stats = generate(config, overwrite=overwrite, progress=not quiet)
    _report(stats, out, demo)


def _report(stats: dict, out: Path, demo: bool) -> None:
    click.echo(f"records: {stats['records']} ({', '.join(f'{k} {v}' for k, v in stats['records_by_kind'].items())})")
    for side, per in stats["switch_rates"].items():
        for lang, r in per.items():
            if r["switched_tokens"] or lang == "*":
                click.echo(f"  {side:8s} {lang:3s} switched {r['switched_tokens']:>8d} of {r['word_tokens']} words; "
                           f"rate over covered {r['rate_over_covered']}"
                           + (f" (nominal {r['nominal']})" if r["nominal"] is not None else "") + ", "
                           f"coverage {r['coverage']}"
                           + (f", {r['identical_tokens']} identical draws not switched" if r["identical_tokens"]
                              else ""))
    run = stats["run"]
    capped = ""
    if run["workers_capped_by"]:
        asked = run["workers_requested"] or "one per CPU"
        capped = f" (asked {asked}; capped at {' and '.join(run['workers_capped_by'])})"
    click.echo(f"speed: {run['tokens_per_second']} tokens/s with {run['workers']} worker(s){capped}")
    if stats["skipped"]["empty_query_or_passage"]:
        click.echo(f"warning: skipped {stats['skipped']['empty_query_or_passage']} pair(s) with an empty query or "
                   "passage (counted under 'skipped' in the stats)", err=True)
    if demo:
        with open(out, encoding="utf-8") as fh:
            for _, line in zip(range(3), fh, strict=False):
                rec = json.loads(line)
                click.echo(f"  [{rec['id']}] Q: {rec['query']}\n      P: {rec['passage'][:160]}")
    click.echo(f"wrote {out} and {stats_path(out)}")
