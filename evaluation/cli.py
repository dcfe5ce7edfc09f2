"""Click commands ``codeswitch evaluate``, ``codeswitch compare`` and ``codeswitch check-scores``.

Heavy libraries (torch, FAISS, sentence-transformers) load only inside the command bodies.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from codeswitch.languages import LOW_RESOURCE
from codeswitch.options import POSITIVE_INT, PROBABILITY, FiniteFloat
from evaluation.encoding.backends import BACKENDS, QUANTIZATIONS

_DATASETS_HELP = ("dataset id, repeatable: miracl/<lang>/<dev|train>, miracl/<dev|train> (all languages or --langs), "
                  "mrtydi/<lang>/<train|dev|test>, mrtydi/<split>, xquad-r, mlqa-r, tydi/<lang>, "
                  "tydi/dev (all or --langs), beir:PATH[@split] (a BEIR folder), irds:<ir_datasets id>")


def _split_langs(ctx, param, value):
    return tuple(code for v in value for code in v.replace(",", " ").split())


def _run_depth(ctx, param, value):
    if str(value).strip().lower() == "full":
        return None
    try:
        depth = int(value)
    except ValueError:
        depth = 0
    if depth < 1:
        raise click.BadParameter(f"{value!r}: expected a positive number of hits per question (e.g. 100) or 'full'")
    return depth


def _shared_options(f):
    options = [
        click.option("--dataset", "datasets", multiple=True, required=True, help=_DATASETS_HELP),
        click.option("--data-dir", type=click.Path(path_type=Path), default=None,
                     help="local release files (e.g. ../shared/data); without it, download from the hub"),
        click.option("--langs", multiple=True, callback=_split_langs,
                     help="restrict to these languages (space/comma separated or repeated)"),
        click.option("--corpus", type=click.Path(path_type=Path), default=None,
                     help="corpus JSONL(.gz) file or directory for a single-language MIRACL/Mr.TyDi dataset"),
        click.option("--out", type=click.Path(path_type=Path), required=True, help="results directory"),
        click.option("--overwrite", is_flag=True, help="replace an existing results directory"),
        click.option("--depth", type=POSITIVE_INT, default=1000, show_default=True,
                     help="hits retrieved per MIRACL/Mr.TyDi query"),
        click.option("--run-depth", default="100", show_default=True, callback=_run_depth,
                     help="LAReQA runs: hits written per question (recall@k reproduces for k <= depth), or 'full': "
                          "down to each question's last relevant candidate, so trec_eval also reproduces mAP and "
                          "the rank distance (large files). A *.ranks.tsv beside the runs always reproduces every "
                          "metric"),
        click.option("--settings", multiple=True, type=click.Choice(["mono", "cross", "multi"]),
                     default=("mono", "cross", "multi"), show_default=True, help="LAReQA settings"),
        click.option("--average", type=click.Choice(["macro", "questions"]), default="macro", show_default=True,
                     help="LAReQA summary: macro over query languages / language pairs (the hybrid-batch paper's "
                          "Table 1) or over all questions (LAReQA's README); equal on XQuAD-R, not on MLQA-R"),
        click.option("--candidate", type=click.Choice(["sentence", "sentence+context"]), default="sentence",
                     show_default=True, help="LAReQA candidate text: the answer sentence alone, or the sentence "
                                             "followed by its paragraph (as LAReQA's baselines encode it)"),
        click.option("--cross-runs", is_flag=True, help="also write the runs of all cross-lingual LAReQA pairs"),
        click.option("--query-prefix", default=None, help="text put before queries (default: from the model)"),
        click.option("--passage-prefix", default=None, help="text put before passages (default: from the model)"),
        click.option("--pooling", type=click.Choice(["mean", "cls", "max", "lasttoken"]), default=None,
                     help="override the model's pooling (e.g. cls for mDPR)"),
        click.option("--normalize/--no-normalize", default=True, show_default=True,
                     help="L2-normalise embeddings (cosine); --no-normalize for dot-product models like mDPR"),
        click.option("--max-length", type=POSITIVE_INT, default=None,
                     help="max tokens per text (default: the model's)"),
        click.option("--batch-size", type=POSITIVE_INT, default=64, show_default=True,
                     help="texts per encoder batch (memory, not numbers)"),
        click.option("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda when available)"),
        click.option("--fp16/--no-fp16", default=None, help="half precision (default: on with CUDA)"),
        click.option("--backend", type=click.Choice(BACKENDS), default="torch", show_default=True,
                     help="CPU inference: torch, onnx (ONNX Runtime; export cached in --cache-dir) or openvino"),
        click.option("--quantize", type=click.Choice(QUANTIZATIONS), default="none", show_default=True,
                     help="int8: dynamic int8 linear layers. --backend torch: torchao, per-token activation "
                          "scales, compiled once per process; measured against fp32 with e5-small: 3.2x "
                          "candidates/s on XQuAD-R (cross mAP -0.001), nDCG@10 -0.001 / +0.003 on AfriQA "
                          "ha/zu -> en. --backend onnx: ONNX Runtime, per-tensor scales, lossy: nDCG@10 -0.048 "
                          "on AfriQA ha/zu -> en (prints a warning). Figures: "
                          "benchmarks/results/int8-cost/int8_cost.md"),
        click.option("--bf16", is_flag=True, help="bf16 autocast on CPU (torch backend; pays off with AMX, "
                          "measured slower without it)"),
        click.option("--index", "index_kind", type=click.Choice(["flat", "hnsw", "ivf"]), default="flat",
                     show_default=True, help="FAISS index: exact flat inner product, or approximate HNSW/IVF"),
        click.option("--shard-size", type=POSITIVE_INT, default=2_000_000, show_default=True,
                     help="passages per encoded/indexed shard (memory: 4 x dim x shard-size bytes)"),
        click.option("--index-dir", type=click.Path(path_type=Path), default=None,
                     help="keep index shards on disk here and reuse them (one shard in memory at a time)"),
        click.option("--bm25-k1", type=FiniteFloat(0.0), default=0.9, show_default=True,
                     help="BM25 term-frequency saturation (Pyserini's default 0.9)"),
        click.option("--bm25-b", type=PROBABILITY, default=0.4, show_default=True,
                     help="BM25 length normalisation, 0..1 (Pyserini's default 0.4)"),
        click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
                     help="on-disk embedding cache (keyed by model, settings and texts)"),
        click.option("--titles", "titles_file", type=click.Path(path_type=Path), default=None,
                     help="XQuAD-R/MLQA-R: keep only the articles titled in this file (one a line), e.g. the "
                          "held-out articles of a split by title"),
        click.option("--query-lang", default=None, help="beir:/irds: collections: the queries' language (ISO code)"),
        click.option("--passage-lang", default=None, help="beir:/irds: collections: the passages' language"),
        click.option("--passage-text", type=click.Choice(["title+text", "text"]), default="title+text",
                     show_default=True,
                     help="MIRACL/Mr.TyDi/TyDi/BEIR/irds passages: embed and index 'title + \" \" + text' "
                          "(MIRACL's convention) or the text alone; scores differ, compare like with like"),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _config(model: str, model_name: str | None, kw: dict):
    from evaluation.collections.lareqa import read_titles
    from evaluation.evaluate import EvalConfig

    titles = read_titles(kw["titles_file"]) if kw.get("titles_file") else ()
    return EvalConfig(
        model=model, model_name=model_name, datasets=tuple(kw["datasets"]),
        data_dir=str(kw["data_dir"]) if kw["data_dir"] else None, langs=tuple(kw["langs"]),
        corpus=str(kw["corpus"]) if kw["corpus"] else None, depth=kw["depth"], lareqa_run_depth=kw["run_depth"],
        settings=tuple(kw["settings"]), cross_runs=kw["cross_runs"], query_prefix=kw["query_prefix"],
        passage_prefix=kw["passage_prefix"], pooling=kw["pooling"], normalize=kw["normalize"],
        max_length=kw["max_length"], batch_size=kw["batch_size"], device=kw["device"], fp16=kw["fp16"],
        backend=kw["backend"], quantize=kw["quantize"], bf16=kw["bf16"],
        index_kind=kw["index_kind"], shard_size=kw["shard_size"],
        index_dir=str(kw["index_dir"]) if kw["index_dir"] else None, bm25_k1=kw["bm25_k1"], bm25_b=kw["bm25_b"],
        cache_dir=str(kw["cache_dir"]) if kw["cache_dir"] else None, titles=titles,
        titles_file=str(kw["titles_file"]) if kw.get("titles_file") else None, average=kw["average"],
        candidate=kw["candidate"], query_lang=kw.get("query_lang"), passage_lang=kw.get("passage_lang"),
        passage_text=kw.get("passage_text", "title+text"))


def _validate(f):
    """Check dataset ids and languages before any model is loaded."""
    @functools.wraps(f)
    def wrapper(**kw):
        from codeswitch.errors import ConfigError
        from evaluation.collections.registry import parse_id

        families = [parse_id(d)[0] for d in kw["datasets"]]
        if (kw.get("query_lang") or kw.get("passage_lang")) and not {"beir", "irds"} & set(families):
            raise ConfigError("--query-lang / --passage-lang name the languages of beir:/irds: collections; "
                                   "no such --dataset was given (other datasets know their languages)")
        return f(**kw)
    return wrapper


@click.command("evaluate")
@click.option("--model", required=True, help="bm25, a Hugging Face / sentence-transformers id, or a model dir")
@click.option("--model-name", default=None, help="name in tables and in check-scores (default: --model)")
@_shared_options
@_validate
def evaluate_cmd(model: str, model_name: str | None, **kw) -> None:
    """Zero-shot retrieval of one model on MIRACL, Mr.TyDi, XQuAD-R or MLQA-R.

    \b
    Writes TREC runs, metrics.json/.csv/.md and a PNG per dataset under --out. Metrics use
    trec_eval semantics (nDCG@10 = -c -M 100 ndcg_cut.10, Recall@100, MRR@10, MAP); LAReQA sets
    report mono / cross / multi mAP, R@1, R@10 and the multi-setting rank distance.
    \b
    Example:
      codeswitch evaluate --model bm25 --dataset xquad-r --data-dir ../shared/data --out results/bm25
    """
    from evaluation.evaluate import evaluate
    from evaluation.reports.tables import markdown

    results = evaluate(_config(model, model_name, kw), kw["out"], overwrite=kw["overwrite"])
    click.echo(markdown(results))
    click.echo(f"results written to {kw['out']}")


_COMPARE_HELP = f"""Several models on the same datasets -> one table per dataset and metric.

    \b
    Rows are models, columns languages plus the average and the low-resource average
    (low-resource set: {" ".join(LOW_RESOURCE)}, marked *); other rows show their
    difference to --baseline. Per-model results go to OUT/<model>/.

    \b
    Example:
      codeswitch compare --model bm25 --model intfloat/multilingual-e5-small \\
          --dataset xquad-r --data-dir ../shared/data --langs en,de,hi --baseline bm25 --out results/cmp

    Name the rows with --model-name (once per --model, same order).
    """


@click.command("compare", help=_COMPARE_HELP)
@click.option("--model", "models", multiple=True, required=True, help="repeat: bm25, hub ids, model dirs")
@click.option("--model-name", "names", multiple=True,
              help="repeat, once per --model in the same order: the names in the tables and in check-scores "
                   "(default: the --model values)")
@click.option("--baseline", default=None,
              help="the model (name or --model value) deltas are taken against (default: the first)")
@click.option("--reuse", is_flag=True, help="reuse OUT/<model>/metrics.json from an earlier compare")
@_shared_options
@_validate
def compare_cmd(models: tuple[str, ...], names: tuple[str, ...], baseline: str | None, reuse: bool, **kw) -> None:
    """Several models on the same datasets -> one table per dataset and metric (help: _COMPARE_HELP)."""
    from evaluation.compare import compare
    from evaluation.evaluate import EvalConfig

    base = _config(models[0], None, kw)
    if not isinstance(base, EvalConfig):  # pragma: no cover
        raise TypeError
    compare(list(models), base, kw["out"], baseline=baseline, overwrite=kw["overwrite"], reuse=reuse,
            names=list(names))
    click.echo((Path(kw["out"]) / "comparison.md").read_text(encoding="utf-8"))


@click.command("check-scores")
@click.argument("results_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--expected", type=click.Path(path_type=Path), default=None,
              help="expected-scores YAML (default: the one shipped in evaluation/expected_scores.yaml)")
def check_scores_cmd(results_dir: Path, expected: Path | None) -> None:
    """Check a results dir (evaluate or compare --out) against expected/published scores.

    Exits 1 if any reproducible figure is outside its tolerance or missing from the results (a
    language dropped, a null value); published references of models
    that cannot be rerun are listed with status 'reference'.

    \b
    Example:
      codeswitch compare --model bm25 --dataset xquad-r --data-dir ../shared/data --out results/cmp
      codeswitch check-scores results/cmp
    """
    from evaluation.reports.check_scores import DEFAULT_EXPECTED, check, format_rows

    rows = check(results_dir, expected or DEFAULT_EXPECTED)
    if not rows:
        raise click.ClickException(f"no expected scores match the models/datasets in {results_dir}")
    click.echo(format_rows(rows))
    failed = [r for r in rows if r.failed]
    checked = [r for r in rows if r.status in ("ok", "FAIL", "missing")]
    if not checked:
        raise click.ClickException(
            f"no expected scores for the models and settings in {results_dir} (only published references or "
            "entries for other settings matched); nothing was checked -- add entries with these settings to "
            "the expected-scores YAML or run with the settings of an existing entry")
    click.echo(f"{len(checked) - len(failed)}/{len(checked)} reproducible figures within tolerance")
    if failed:
        sys.exit(1)
