"""Train a shared-encoder dual encoder on Example records with sentence-transformers' trainer.

:func:`train` validates everything (options, data, sampler pools, output dir) before it loads the
model, trains with ``SentenceTransformerTrainer`` (checkpoints, ``resume_from_checkpoint``, eval loss,
early stopping, fp16/bf16, DDP under ``torchrun``) and our :class:`HybridBatchSampler` plugged in via
the trainer's ``get_batch_sampler`` hook, then writes the model directory atomically:

* the sentence-transformers model (``SentenceTransformer(out)`` loads it);
* ``train_config.json`` (:class:`TrainConfig`), ``data_stats.json`` (train/validation statistics),
  ``batch_mix.json`` (the sampler's realised batch mix over the batches actually trained) and
  ``train_log.json`` (loss / eval-loss history).

Checkpoints live in ``TrainConfig.checkpoints`` (``<out>.checkpoints``) so an interrupted run leaves no
partial model at ``out`` yet can be resumed; they are removed after success unless ``keep_checkpoints``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codeswitch.atomic import atomic_path, check_output
from codeswitch.errors import ConfigError
from codeswitch.options import check_model_dir
from training.config import TrainConfig
from training.data import TrainData, load_train_data, split_by_pair
from training.resume import check_same_data, data_digest, resume_checkpoint
from training.sampler import HybridBatchSampler


@dataclass
class Prepared:
    """Everything checked before the model is loaded."""

    config: TrainConfig
    train: TrainData
    val: TrainData | None
    sampler: HybridBatchSampler
    val_sampler: HybridBatchSampler | None
    data_sha256: str = ""
    resume_from: Path | None = None  # the complete checkpoint ``--resume`` continues from


def prepare(config: TrainConfig, resume: bool = False, overwrite: bool = False) -> Prepared:
    """Validate options, output directory and data; build the samplers. Cheap: no model is loaded."""
    config.validate()
    device_flags(config)
    check_model_dir(config.model)
    if _rank() == 0:  # under torchrun only rank 0 owns the output; other ranks would race its writes
        _check_output(config, resume, overwrite)
    # every rank reads the same files and picks the same checkpoint; only rank 0 says why it skipped one
    resume_from = resume_checkpoint(config.checkpoints, quiet=_rank() != 0) if resume else None
    data = load_train_data(config.data, config.hard_negatives)
    digest = data_digest(data)
    if resume:
        check_same_data(config.checkpoints / "train_config.json", digest, config.data)
    train_data, val_data = split_by_pair(data, config.val_fraction, config.seed)
    sampler = HybridBatchSampler(
        train_data.pair_ids, train_data.query_langs, train_data.passage_langs, config.batch_size,
        mode=config.batching, alpha=config.alpha, language_sampling=config.language_sampling,
        mono_languages=config.mono_languages or None, seed=config.seed,
    )
    val_sampler = None
    if val_data is not None:
        try:
            val_sampler = HybridBatchSampler(
                val_data.pair_ids, val_data.query_langs, val_data.passage_langs, config.batch_size,
                mode="random", seed=config.seed,
            )
        except ConfigError as exc:
            raise ConfigError(f"validation slice: {exc}; or raise --val-fraction") from None
    return Prepared(config, train_data, val_data, sampler, val_sampler, digest, resume_from)


def _rank() -> int:
    return int(os.environ.get("RANK", "0"))


def _check_output(config: TrainConfig, resume: bool, overwrite: bool) -> None:
    out, ckpt = Path(config.out), config.checkpoints
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite exclude each other; pick one")
    if resume:
        saved = ckpt / "train_config.json"
        if not saved.is_file() or not any(p.is_dir() for p in ckpt.glob("checkpoint-*")):
            raise ConfigError(f"--resume: no checkpoint in {ckpt}; run without --resume to start training")
        diff = config.resume_mismatch(TrainConfig.load(saved))
        if diff:
            raise ConfigError(f"--resume: options differ from the interrupted run ({'; '.join(diff)}); "
                              "rerun with the same options or drop --resume")
        return
    for path in (out, ckpt):
        if path.exists() and any(path.iterdir() if path.is_dir() else [path]) and not overwrite:
            raise ConfigError(f"{path} holds another run; pass --overwrite to replace it, --resume to continue "
                              "it, or choose another --out")
        check_output(path, overwrite=True, folder=True)  # a file in the way of the model folder: refused now


def load_model(config: TrainConfig):
    """Load the encoder (hub id or local path) and apply pooling and prefixes.

    The model keeps its own inference length (``max_seq_length``); the training lengths are applied per
    column by the collator only, so the saved model encodes as long as the base model did.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling

    device = None if config.device == "auto" else config.device
    try:
        model = SentenceTransformer(config.model, device=device)
    except Exception as exc:  # noqa: BLE001 - any loading failure becomes one line
        raise ConfigError(f"cannot load model {config.model!r} ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                          "give a Hugging Face id or a local model directory") from None
    if config.pooling != "auto":
        word = model[0]
        dim_of = getattr(word, "get_embedding_dimension", None) or word.get_word_embedding_dimension
        pool = Pooling(dim_of(), pooling_mode=config.pooling)
        model = SentenceTransformer(modules=[word, pool], device=device)
    prompts = {k: v for k, v in (("query", config.query_prefix), ("passage", config.passage_prefix)) if v}
    if prompts:
        model.prompts = prompts
    if config.freeze_embeddings:
        freeze_word_embeddings(model)
    if config.freeze_layers:
        freeze_lower_layers(model, config.freeze_layers)
    return model


def freeze_word_embeddings(model) -> int:
    """Stop training the input word embeddings of ``model``'s transformer; return how many weights froze.

    Only the token-embedding matrix is frozen (position and type embeddings, LayerNorms and all
    layers still train). The optimizer then holds no state for it and backward computes no gradient
    for it (a 250k x 384 matrix for e5-small; measured: 1.08x faster CPU steps at batch 32, see
    docs/train.md). Frozen embeddings are also a known lever for cross-lingual transfer: tokens of
    languages absent from the training data keep their pre-trained vectors.
    """
    weight = model[0].auto_model.get_input_embeddings().weight
    weight.requires_grad_(False)
    return weight.numel()


def freeze_lower_layers(model, k: int) -> int:
    """Keep the embedding block and the lowest ``k`` transformer layers of ``model`` fixed; return the frozen weights.

    Nothing below layer ``k`` then needs a gradient, so autograd records no graph there and backward
    stops at layer ``k``: a step costs one full forward plus the backward of the top layers only
    (measured on e5-small in docs/train.md, "Frozen lower layers"). The lower layers of a multilingual
    encoder carry most of its lexical, language-specific knowledge; freezing them is also a known way
    to keep languages absent from the training data where pre-training left them.
    """
    import torch

    auto = model[0].auto_model
    n_layers = getattr(auto.config, "num_hidden_layers", None)
    stack = next((m for m in auto.modules() if isinstance(m, torch.nn.ModuleList) and len(m) == n_layers), None)
    embeddings = getattr(auto, "embeddings", None)
    if stack is None or embeddings is None:
        raise ConfigError(f"--freeze-layers needs an encoder with an `embeddings` block and a list of its "
                          f"{n_layers} layers; {type(auto).__name__} has none: use --freeze-embeddings instead")
    if not 0 < k < n_layers:
        raise ConfigError(f"--freeze-layers must be at most {n_layers - 1} for this {n_layers}-layer model "
                          f"(at least one layer has to train), found {k}")
    frozen = 0
    for module in (embeddings, *stack[:k]):
        for weight in module.parameters():
            weight.requires_grad_(False)
            frozen += weight.numel()
    return frozen


def inference_length(model) -> tuple[int | None, dict | None]:
    """The base model's inference length and its fast tokenizer's saved truncation, read before training.

    Training truncates queries / passages at ``max_query_length`` / ``max_passage_length``; that is a
    training setting only. :func:`restore_inference_length` puts these back before the model is saved, so
    ``SentenceTransformer(out)`` encodes as long as the base model did (``tokenizer_config.json``
    ``model_max_length`` and ``tokenizer.json`` ``truncation`` unchanged).
    """
    backend = getattr(model.tokenizer, "backend_tokenizer", None)
    truncation = backend.truncation if backend is not None else None
    return model.max_seq_length, truncation


def restore_inference_length(model, saved: tuple[int | None, dict | None]) -> None:
    """Undo the training lengths on ``model`` (see :func:`inference_length`)."""
    length, truncation = saved
    if length is not None:
        model.max_seq_length = length
    backend = getattr(model.tokenizer, "backend_tokenizer", None)
    if backend is None:
        return
    if truncation is None:
        backend.no_truncation()
    else:
        backend.enable_truncation(**truncation)


def build_loss(model, config: TrainConfig):
    """In-batch-negatives InfoNCE over cosine similarity (sentence-transformers' MNRL family).

    ``symmetric`` adds the passage->query term with its own softmax; ``cached`` uses GradCache
    (``CachedMultipleNegativesRankingLoss``) with ``mini_batch_size`` so the batch can exceed memory.
    Hard negatives are the extra ``negative_*`` columns.
    """
    from sentence_transformers.sentence_transformer import losses

    kwargs: dict[str, Any] = {"scale": config.loss_scale}
    if config.symmetric:
        kwargs.update(directions=("query_to_doc", "doc_to_query"), partition_mode="per_direction")
    if config.cached:
        return losses.CachedMultipleNegativesRankingLoss(model, mini_batch_size=config.mini_batch_size, **kwargs)
    return losses.MultipleNegativesRankingLoss(model, **kwargs)


def device_flags(config: TrainConfig) -> dict[str, Any]:
    """Trainer flags for ``device``/``precision``; raises :class:`ConfigError` for impossible combinations."""
    import torch

    cuda = torch.cuda.is_available()
    if config.device == "cuda" and not cuda:
        raise ConfigError("--device cuda: no CUDA device visible; use --device auto or cpu")
    on_cpu = config.device == "cpu" or not cuda
    if config.precision == "fp16" and on_cpu:
        raise ConfigError("--precision fp16 needs a CUDA device; use fp32 or bf16 on CPU")
    return {"use_cpu": on_cpu, "fp16": config.precision == "fp16", "bf16": config.precision == "bf16"}


def _make_trainer(prep: Prepared, model, extra_callbacks: list | None):
    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from sentence_transformers.sentence_transformer.data_collator import SentenceTransformerDataCollator
    from transformers import EarlyStoppingCallback

    config = prep.config
    train_ds = prep.train.to_dataset(config.hard_negatives)
    val_ds = prep.val.to_dataset(config.hard_negatives) if prep.val is not None else None
    has_val = val_ds is not None

    class HybridTrainer(SentenceTransformerTrainer):
        def get_batch_sampler(self, dataset, batch_size, drop_last, valid_label_columns=None, generator=None,
                              seed=0):
            return prep.sampler if dataset is train_ds else prep.val_sampler

    class ColumnLengthCollator(SentenceTransformerDataCollator):
        """Truncate queries at ``max_query_length`` and passages/negatives at ``max_passage_length``."""

        def _get_task_for_column(self, column_name, column_position, router_mapping):
            self._column = column_name
            return super()._get_task_for_column(column_name, column_position, router_mapping)

        def _get_max_length_for_task(self, task):
            return config.max_query_length if self._column == "query" else config.max_passage_length

    prompts = {}
    if config.query_prefix:
        prompts["query"] = config.query_prefix
    if config.passage_prefix:
        prompts.update({c: config.passage_prefix for c in train_ds.column_names if c != "query"})
    args = SentenceTransformerTrainingArguments(
        output_dir=str(config.checkpoints),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_ratio,
        weight_decay=config.weight_decay,
        gradient_accumulation_steps=config.gradient_accumulation,
        seed=config.seed,
        data_seed=config.seed,
        logging_steps=config.logging_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        eval_strategy="steps" if has_val else "no",
        eval_steps=config.eval_steps if has_val else None,
        load_best_model_at_end=bool(config.early_stopping),
        metric_for_best_model="eval_loss" if config.early_stopping else None,
        greater_is_better=False if config.early_stopping else None,
        dataloader_drop_last=True,
        report_to="none",
        prompts=prompts or None,
        **device_flags(config),
    )
    callbacks = list(extra_callbacks or [])
    if config.early_stopping:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=config.early_stopping))
    collator = ColumnLengthCollator(preprocess_fn=model.preprocess, prompts=prompts or {})
    return HybridTrainer(
        model=model, args=args, train_dataset=train_ds, eval_dataset=val_ds, loss=build_loss(model, config),
        data_collator=collator, callbacks=callbacks,
    )


def trained_global_batches(global_step: int, rank_batches_per_epoch: int, grad_accum: int, world: int) -> int:
    """Global batches consumed after ``global_step`` optimizer steps (HF's last-step-per-epoch rule)."""
    if rank_batches_per_epoch == 0:
        return 0
    steps_per_epoch = math.ceil(rank_batches_per_epoch / grad_accum)
    full, rest = divmod(global_step, steps_per_epoch)
    return (full * rank_batches_per_epoch + min(rest * grad_accum, rank_batches_per_epoch)) * world


def train(config: TrainConfig, resume: bool = False, overwrite: bool = False, callbacks: list | None = None) -> Path:
    """Run training end to end and return the output model directory (see module docstring)."""
    prep = prepare(config, resume=resume, overwrite=overwrite)  # every input check, before any message
    ckpt = config.checkpoints
    if not resume and ckpt.exists() and _rank() == 0:
        shutil.rmtree(ckpt)
    _say(f"{len(prep.train)} training records read; loading the model {config.model} ...")
    model = load_model(config)
    base_length = inference_length(model)
    trainer = _make_trainer(prep, model, callbacks)
    _say("training (the first step also builds the optimizer and the first batch)")
    if trainer.is_world_process_zero():
        ckpt.mkdir(parents=True, exist_ok=True)
        config.save(ckpt / "train_config.json", data_sha256=prep.data_sha256)
    trainer.train(resume_from_checkpoint=str(prep.resume_from) if prep.resume_from is not None else None)
    if not trainer.is_world_process_zero():
        return Path(config.out)
    state = trainer.state
    world = trainer.args.world_size
    # the sampler yields the global sequence; accelerate hands rank r every world-th batch
    rank_batches = len(prep.sampler) // world
    consumed = trained_global_batches(state.global_step, rank_batches, config.gradient_accumulation, world)
    mix = {**prep.sampler.realised_mix(consumed), "world_size": world}
    stats = {"train": prep.train.stats(), "validation": prep.val.stats() if prep.val is not None else None,
             "global_steps": state.global_step, "world_size": world}
    out = Path(config.out)
    restore_inference_length(trainer.model, base_length)
    with atomic_path(out) as tmp:
        trainer.model.save(str(tmp))
        config.save(tmp / "train_config.json")
        _write_json(tmp / "data_stats.json", stats)
        _write_json(tmp / "batch_mix.json", mix)
        _write_json(tmp / "train_log.json", state.log_history)
    if not config.keep_checkpoints:
        shutil.rmtree(ckpt, ignore_errors=True)
    return out


def _say(message: str) -> None:
    """A progress line on stderr (rank 0 only), so the minute before the first step is not silent."""
    if _rank() == 0:
        import sys

        print(message, file=sys.stderr, flush=True)


def _write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
