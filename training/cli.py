"""``codeswitch train``: fine-tune a dual encoder on generated Example records with hybrid batching."""

from __future__ import annotations

import click

from codeswitch.options import FINITE_FLOAT, MAX_STEPS, NON_NEGATIVE_INT, POSITIVE_INT, PROBABILITY, SEED
from training.config import DEVICES, POOLINGS, PRECISIONS
from training.sampler import LANGUAGE_SAMPLING, MODES


@click.command("train", context_settings={"show_default": True})
@click.option("--data", required=True, type=click.Path(), help="Example records: JSONL, Parquet or save_to_disk dir.")
@click.option("--model", required=True,
              help="Starting encoder: Hugging Face id or local path (HF or sentence-transformers).")
@click.option("--out", required=True, type=click.Path(), help="Output sentence-transformers model directory.")
@click.option("--batching", type=click.Choice(MODES), default="hybrid",
              help="mono: one language per batch; cross: query lang != passage lang; hybrid: mono with "
                   "probability alpha else cross; random: plain shuffle.")
@click.option("--alpha", type=FINITE_FLOAT, default=0.5, help="Probability that a hybrid batch is mono.")
@click.option("--language-sampling", type=click.Choice(LANGUAGE_SAMPLING), default="uniform",
              help="Language of a mono batch: uniform over languages, or by data size.")
@click.option("--mono-languages", default="", help="Comma-separated languages for mono batches (default: all).")
@click.option("--batch-size", type=POSITIVE_INT, default=32, help="Pairs per batch per device (in-batch negatives).")
@click.option("--epochs", type=FINITE_FLOAT, default=1.0, help="Epochs (ignored with --max-steps).")
@click.option("--max-steps", type=MAX_STEPS, default=-1,
              help="Stop after this many optimizer steps (> 0; -1: train for --epochs).")
@click.option("--seed", type=SEED, default=13, help="Seed for sampling, initialisation and dropout.")
@click.option("--lr", "learning_rate", type=FINITE_FLOAT, default=3e-5, help="Peak learning rate (AdamW).")
@click.option("--warmup", "warmup_ratio", type=FINITE_FLOAT, default=0.1, help="Fraction of steps of linear warm-up.")
@click.option("--weight-decay", type=FINITE_FLOAT, default=0.01, help="AdamW weight decay.")
@click.option("--max-query-length", type=POSITIVE_INT, default=64, help="Query truncation, in tokens.")
@click.option("--max-passage-length", type=POSITIVE_INT, default=256,
              help="Passage (and negative) truncation, in tokens.")
@click.option("--query-prefix", default="", help='Prepended to queries (e5: "query: ").')
@click.option("--passage-prefix", default="", help='Prepended to passages and negatives (e5: "passage: ").')
@click.option("--pooling", type=click.Choice(POOLINGS), default="auto",
              help="auto keeps the model's pooling (mean for a plain HF encoder).")
@click.option("--loss-scale", type=FINITE_FLOAT, default=20.0,
              help="Cosine-similarity scale (1/temperature); fine-tune at the base model's own "
                   "(multilingual-e5: 100, i.e. temperature 0.01).")
@click.option("--symmetric/--no-symmetric", default=False, help="Add the passage->query InfoNCE term.")
@click.option("--hard-negatives", type=NON_NEGATIVE_INT, default=0, help="Use the first N `negatives` of every record.")
@click.option("--freeze-embeddings/--no-freeze-embeddings", default=False,
              help="Keep the word-embedding matrix fixed (no gradient, no optimizer state for it); "
                   "see docs/train.md, \"Frozen embeddings\", for its measured speed and quality effect.")
@click.option("--freeze-layers", type=NON_NEGATIVE_INT, default=0,
              help="Also keep the embedding block and the lowest N transformer layers fixed: backward stops "
                   "at layer N, so a step costs less (0: train every layer); see docs/train.md, \"Frozen "
                   "lower layers\", for speed and quality.")
@click.option("--cached/--no-cached", default=False, help="GradCache: batches larger than memory allows.")
@click.option("--mini-batch-size", type=POSITIVE_INT, default=32, help="Chunk size for --cached.")
@click.option("--precision", type=click.Choice(PRECISIONS), default="fp32", help="fp16 needs CUDA.")
@click.option("--device", type=click.Choice(DEVICES), default="auto", help="auto: cuda when available, else cpu.")
@click.option("--gradient-accumulation", type=POSITIVE_INT, default=1, help="Batches per optimizer step.")
@click.option("--val-fraction", type=FINITE_FLOAT, default=0.0,
              help="Hold out this fraction of pair_ids for validation loss (0: none).")
@click.option("--eval-steps", type=POSITIVE_INT, default=100, help="Validation loss every N steps.")
@click.option("--early-stopping", type=NON_NEGATIVE_INT, default=0,
              help="Stop after N evaluations without better validation loss (0: off); keeps the best model.")
@click.option("--save-steps", type=POSITIVE_INT, default=500, help="Checkpoint every N steps.")
@click.option("--save-total-limit", type=POSITIVE_INT, default=2, help="Checkpoints kept.")
@click.option("--logging-steps", type=POSITIVE_INT, default=10, help="Log the loss every this many steps "
                                                                     "(train_log.json).")
@click.option("--checkpoint-dir", type=click.Path(), default=None, help="Default: <out>.checkpoints")
@click.option("--keep-checkpoints", is_flag=True, help="Keep checkpoints after success.")
@click.option("--resume", is_flag=True,
              help="Continue the interrupted run from its last complete checkpoint (same options and data).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out and its checkpoints.")
def train(resume: bool, overwrite: bool, mono_languages: str, **options) -> None:
    """Fine-tune a shared dual encoder with in-batch-negative InfoNCE and hybrid mono/cross batching.

    \b
    Records with query_lang == passage_lang feed mono batches (code-switched records count by their
    matrix languages); the others feed cross batches. No batch holds two records of one pair_id.
    The output dir loads with SentenceTransformer(OUT) and holds train_config.json, data_stats.json,
    batch_mix.json (realised mono/cross and language mix) and train_log.json.

    \b
    Example:
      codeswitch train --data gen.jsonl --model intfloat/multilingual-e5-small \\
        --query-prefix "query: " --passage-prefix "passage: " --batching hybrid --alpha 0.5 \\
        --batch-size 32 --epochs 1 --seed 13 --out models/e5-hybrid
    Multi-GPU: torchrun --nproc_per_node 4 -m training.cli --data ... (same options).
    """
    from training.config import TrainConfig
    from training.trainer import train as run_train

    langs = tuple(x.strip() for x in mono_languages.split(",") if x.strip())
    config = TrainConfig(mono_languages=langs, **options)
    import os

    out = run_train(config, resume=resume, overwrite=overwrite)
    if os.environ.get("RANK", "0") == "0":
        click.echo(f"model written to {out} (train_config.json, data_stats.json, batch_mix.json, train_log.json)")


@click.command("interpolate", context_settings={"show_default": True})
@click.option("--tuned", required=True, type=click.Path(),
              help="Fine-tuned sentence-transformers model dir (the --out of `codeswitch train`).")
@click.option("--base", default=None,
              help="Base model: Hugging Face id or local dir. Default: the `model` in TUNED/train_config.json.")
@click.option("--lam", type=PROBABILITY, default=0.5,
              help="Weight of the tuned model, in [0, 1]: 0 gives the base weights, 1 the tuned weights.")
@click.option("--out", required=True, type=click.Path(),
              help="Output sentence-transformers model directory (must not be or overlap --tuned / --base).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
def interpolate(tuned: str, base: str | None, lam: float, out: str, overwrite: bool) -> None:
    """Blend a fine-tuned encoder with its base model in weight space (WiSE-FT) to undo forgetting.

    \b
    Every floating-point weight becomes
        theta = (1 - lam) * theta_base + lam * theta_tuned
    lam 0 is the base model, lam 1 the tuned model (exactly); values in between keep part of the
    fine-tuning gain and part of what the base model knew (languages and domains absent from the
    training data). Wortsman et al. 2022, "Robust fine-tuning of zero-shot models", arXiv 2109.01903.

    \b
    Base and tuned must have the same architecture (every tensor name and shape). OUT is the tuned
    model (tokenizer, pooling, prompts, max_seq_length) with the blended weights, plus
    interpolate_config.json (base, tuned, lam, sha256 of the tuned weights) and the tuned dir's
    train_config.json / data_stats.json / batch_mix.json; written atomically.

    \b
    Example:
      codeswitch interpolate --tuned models/e5-hybrid --lam 0.5 --out models/e5-hybrid-wise05
      codeswitch interpolate --base intfloat/multilingual-e5-small --tuned models/e5-hybrid \\
        --lam 0.3 --out models/e5-hybrid-wise03
    """
    from training.interpolate import interpolate as run_interpolate

    record = run_interpolate(tuned, out, lam, base=base, overwrite=overwrite)
    counts = record["tensors"]
    click.echo(f"model written to {out}: (1 - {lam:g}) * base + {lam:g} * tuned over {counts['interpolated']} "
               f"tensors ({counts['unchanged']} equal in both kept, {counts['non_float']} non-float from tuned); "
               f"base {record['base']}; {record['seconds']:.1f} s (interpolate_config.json)")


@click.command("soup", context_settings={"show_default": True})
@click.option("--model", "models", required=True, multiple=True, type=click.Path(),
              help="A fine-tuned sentence-transformers model dir; repeat it, once per run (at least two).")
@click.option("--out", required=True, type=click.Path(),
              help="Output sentence-transformers model directory (must not be or overlap a --model).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
def soup_cmd(models: tuple[str, ...], out: str, overwrite: bool) -> None:
    """Average the weights of several fine-tuned runs of one model (a uniform model soup).

    \b
    Every floating-point weight becomes
        theta = (theta_1 + ... + theta_k) / k
    over the k --model dirs: typically one setting trained with k seeds (or several settings). The
    soup is one model, as fast as each member, and usually better than the members' mean (Wortsman et
    al. 2022, "Model soups", arXiv 2203.05482). Members must be fine-tuned from the same base (every
    tensor name and shape equal) with the same query/passage prefixes. OUT is the first member
    (tokenizer, pooling, prompts, max_seq_length) with the averaged weights, plus soup_config.json
    (members and the sha256 of their weights) and a train_config.json keeping what the members share
    (what differs, e.g. seed, is null there and listed per member under soup_of); no member's
    data_stats.json / batch_mix.json (each member keeps its own). Written atomically.

    \b
    Example:
      codeswitch soup --model runs/e5-hybrid-seed1 --model runs/e5-hybrid-seed2 \\
        --model runs/e5-hybrid-seed3 --out models/e5-hybrid-soup
    """
    from training.interpolate import soup

    record = soup(list(models), out, overwrite=overwrite)
    counts = record["tensors"]
    click.echo(f"model written to {out}: the mean of {len(models)} models over {counts['averaged']} tensors "
               f"({counts['unchanged']} equal in all kept, {counts['non_float']} non-float from the first); "
               f"{record['seconds']:.1f} s (soup_config.json)")


@click.command("mine-negatives", context_settings={"show_default": True})
@click.argument("data", type=click.Path())
@click.option("--model", required=True, help="Encoder that ranks the candidates: Hugging Face id or local path.")
@click.option("--out", required=True, type=click.Path(),
              help="Output records (.jsonl, .parquet, or a folder for save_to_disk) plus OUT's .stats.json.")
@click.option("--num", type=POSITIVE_INT, default=1, help="Negatives per record (train with --hard-negatives NUM).")
@click.option("--range-min", type=NON_NEGATIVE_INT, default=0,
              help="Skip this many of the best-ranked candidates left after the margin.")
@click.option("--range-max", type=POSITIVE_INT, default=100,
              help="Consider candidates up to this rank (the margin may skip many of the first ones).")
@click.option("--relative-margin", type=FINITE_FLOAT, default=0.05,
              help="Skip candidates scoring above (1 - margin) x the positive's score: likely false negatives "
                   "(0: skip only those above the positive).")
@click.option("--query-prefix", default="", help='Prepended to queries when ranking (e5: "query: ").')
@click.option("--passage-prefix", default="", help='Prepended to passages when ranking (e5: "passage: ").')
@click.option("--batch-size", type=POSITIVE_INT, default=32, help="Encoding batch size.")
@click.option("--device", type=click.Choice(DEVICES), default="auto", help="auto: cuda when available, else cpu.")
@click.option("--drop-missing", is_flag=True,
              help="Drop records left with fewer than NUM negatives (the encoder ranks every candidate above the "
                   "margin) instead of stopping; the count is printed and kept in the statistics.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out.")
def mine_negatives_cmd(data: str, model: str, out: str, num: int, range_min: int, range_max: int,
                       relative_margin: float, query_prefix: str, passage_prefix: str, batch_size: int, device: str,
                       drop_missing: bool, overwrite: bool) -> None:
    """Give every record of DATA hard negatives: passages the encoder ranks high that are not its positive.

    \b
    Records are grouped by passage language and each query is ranked against the distinct passages of
    its group (so a translation of the positive never becomes a negative), by sentence-transformers'
    mine_hard_negatives: exact search, the best-scored candidates (deterministic). Candidates within
    --relative-margin of the positive's score are skipped as likely false negatives. Every record
    gets NUM negatives in its `negatives` field (existing ones are replaced), or nothing is written
    (--drop-missing: records left without are dropped and counted).

    \b
    Example (multilingual-e5, one negative per record):
      codeswitch mine-negatives train.jsonl --model intfloat/multilingual-e5-small \\
        --query-prefix "query: " --passage-prefix "passage: " --out train.hn.jsonl
      codeswitch train --data train.hn.jsonl --hard-negatives 1 ...
    """
    from training.negatives import mine_negatives

    stats = mine_negatives(data, model, out, num=num, range_min=range_min, range_max=range_max,
                           relative_margin=relative_margin,
                           query_prefix=query_prefix, passage_prefix=passage_prefix, batch_size=batch_size,
                           device=None if device == "auto" else device, overwrite=overwrite,
                           drop_missing=drop_missing,
                           say=lambda msg: click.echo(msg, err=True))
    langs = ", ".join(f"{lang} {v['records']:,} (corpus {v['corpus']:,})"
                      for lang, v in stats["by_passage_lang"].items())
    dropped = f" ({stats['dropped']:,} dropped: no negative below the margin)" if stats["dropped"] else ""
    click.echo(f"{stats['records']:,} records with {num} negative(s) each written to {out}{dropped} in "
               f"{stats['seconds']:.1f} s; by passage language: {langs}")


def _main() -> None:
    """Entry point for ``torchrun -m training.cli``: the command with one-line errors."""
    from codeswitch.errors import CodeswitchError

    try:
        train(standalone_mode=False)
    except CodeswitchError as exc:
        raise SystemExit(f"Error: {exc}") from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None


if __name__ == "__main__":
    _main()
