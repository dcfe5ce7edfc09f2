"""TrainConfig: every option of a training run, validated up front and saved beside the model.

The saved ``train_config.json`` is what ``--resume`` compares against: a resumed run must keep the
fields in :data:`RESUME_KEYS` (the ones that change which batches, which numerics or which model the
run trains) and the records (``data_sha256`` in the checkpoint folder's copy, see
:mod:`training.resume`). ``--out`` and the checkpoint folder must not be equal or nested.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.options import MAX_STEPS, SEED, check_finite, check_int
from training.sampler import LANGUAGE_SAMPLING, MODES

POOLINGS = ("auto", "cls", "mean")
PRECISIONS = ("fp32", "fp16", "bf16")
DEVICES = ("auto", "cpu", "cuda")

RESUME_KEYS = (
    "data", "model", "batching", "alpha", "language_sampling", "mono_languages", "batch_size", "epochs",
    "max_steps", "seed", "learning_rate", "warmup_ratio", "weight_decay", "max_query_length",
    "max_passage_length", "query_prefix", "passage_prefix", "pooling", "loss_scale", "symmetric",
    "hard_negatives", "cached", "mini_batch_size", "gradient_accumulation", "val_fraction", "save_steps",
    "freeze_embeddings", "freeze_layers", "precision",
)


@dataclass(frozen=True)
class TrainConfig:
    """Options of one ``codeswitch train`` run (CLI flag = field name with dashes).

    ``batch_size`` is per device; with ``torchrun`` on W processes a step sees W batches, each of
    one kind (mono or cross), and the effective batch is ``W * batch_size * gradient_accumulation``.
    ``epochs`` is ignored when ``max_steps`` is set (> 0). ``loss_scale`` multiplies cosine
    similarities before the softmax (temperature = 1 / scale; sentence-transformers' default 20).
    ``warmup_ratio`` is the fraction of steps with linear learning-rate warm-up.
    ``freeze_embeddings`` keeps the input word-embedding matrix fixed (no gradient, no optimizer
    state): for multilingual encoders it is most of the parameters (e5-small: 96M of 118M), though
    not most of a step's time (docs/train.md, "Frozen embeddings"). ``freeze_layers`` = K > 0 also
    keeps the whole embedding block and the lowest K transformer layers fixed, so backward stops at
    layer K (docs/train.md, "Frozen lower layers").
    """

    data: str
    model: str
    out: str
    batching: str = "hybrid"
    alpha: float = 0.5
    language_sampling: str = "uniform"
    mono_languages: tuple[str, ...] = ()
    batch_size: int = 32
    epochs: float = 1.0
    max_steps: int = -1
    seed: int = 13
    learning_rate: float = 3e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_query_length: int = 64
    max_passage_length: int = 256
    query_prefix: str = ""
    passage_prefix: str = ""
    pooling: str = "auto"
    loss_scale: float = 20.0
    symmetric: bool = False
    hard_negatives: int = 0
    cached: bool = False
    mini_batch_size: int = 32
    precision: str = "fp32"
    device: str = "auto"
    gradient_accumulation: int = 1
    val_fraction: float = 0.0
    eval_steps: int = 100
    early_stopping: int = 0
    save_steps: int = 500
    save_total_limit: int = 2
    logging_steps: int = 10
    checkpoint_dir: str | None = None
    keep_checkpoints: bool = False
    freeze_embeddings: bool = False
    freeze_layers: int = 0

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first bad option and the fix (nan and inf included)."""
        for name in ("alpha", "epochs", "learning_rate", "warmup_ratio", "weight_decay", "loss_scale", "val_fraction"):
            check_finite(getattr(self, name), "--" + _flag(name))
        choices = {
            "batching": MODES, "language_sampling": LANGUAGE_SAMPLING, "pooling": POOLINGS,
            "precision": PRECISIONS, "device": DEVICES,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"--{_flag(name)} must be one of {', '.join(allowed)}, found {getattr(self, name)!r}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ConfigError(f"--alpha must be in [0, 1], found {self.alpha}")
        positive = ("batch_size", "max_query_length", "max_passage_length", "mini_batch_size",
                    "gradient_accumulation", "eval_steps", "save_steps", "logging_steps", "save_total_limit")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"--{_flag(name)} must be at least 1, found {getattr(self, name)}")
        check_int(self.seed, SEED, "--seed")
        check_int(self.max_steps, MAX_STEPS, "--max-steps")
        if self.max_steps <= 0 and self.epochs <= 0:
            raise ConfigError(f"--epochs must be > 0 (or give --max-steps), found {self.epochs}")
        if self.learning_rate <= 0 or self.loss_scale <= 0:
            raise ConfigError("--lr and --loss-scale must be > 0")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ConfigError(f"--warmup must be in [0, 1), found {self.warmup_ratio}")
        if self.hard_negatives < 0 or self.early_stopping < 0:
            raise ConfigError("--hard-negatives and --early-stopping must be >= 0")
        if self.freeze_layers < 0:
            raise ConfigError(f"--freeze-layers must be >= 0 (0: train every layer), found {self.freeze_layers}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ConfigError(f"--val-fraction must be in [0, 1), found {self.val_fraction}")
        if self.early_stopping and self.val_fraction == 0.0:
            raise ConfigError("--early-stopping needs a validation slice; pass --val-fraction (e.g. 0.05)")
        if self.early_stopping and self.save_steps % self.eval_steps:
            raise ConfigError("--early-stopping needs --save-steps to be a multiple of --eval-steps")
        self.check_folders()

    def check_folders(self) -> None:
        """``--out`` and the checkpoint folder must be apart: the clean-up after success deletes the checkpoints.

        Equal folders, or one inside the other, would delete the model just written (or the
        checkpoints would land inside the model); the default ``<out>.checkpoints`` is always apart.
        """
        out, ckpt = Path(self.out).expanduser().resolve(), self.checkpoints.expanduser().resolve()
        if out == ckpt:
            where = "are the same folder"
        elif out.is_relative_to(ckpt):
            where = "nest: --out is inside --checkpoint-dir"
        elif ckpt.is_relative_to(out):
            where = "nest: --checkpoint-dir is inside --out"
        else:
            return
        raise ConfigError(f"--checkpoint-dir {self.checkpoints} and --out {self.out} {where}, so removing the "
                          "checkpoints after training would delete the model; give a --checkpoint-dir outside --out "
                          f"(default: {Path(self.out).name}.checkpoints beside it)")

    @property
    def checkpoints(self) -> Path:
        """Where checkpoints go: ``checkpoint_dir`` or ``<out>.checkpoints`` beside the output."""
        if self.checkpoint_dir:
            return Path(self.checkpoint_dir)
        out = Path(self.out)
        return out.with_name(out.name + ".checkpoints")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["mono_languages"] = list(self.mono_languages)
        return d

    def save(self, path: str | Path, **extra: Any) -> None:
        """Write the options (plus ``extra`` keys, e.g. the checkpoint folder's ``data_sha256``) as JSON."""
        body = self.to_dict() | extra
        Path(path).write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Read a saved ``train_config.json``; a damaged one is a :class:`DataFormatError` naming it."""
        known = {f.name for f in fields(cls)}
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
            d = {k: v for k, v in d.items() if k in known}
            d["mono_languages"] = tuple(d.get("mono_languages") or ())
            return cls(**d)
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError, TypeError):
            raise DataFormatError("truncated or not a JSON object of training options; pass --overwrite instead "
                                  "of --resume to start again", path) from None

    def resume_mismatch(self, saved: TrainConfig) -> list[str]:
        """The :data:`RESUME_KEYS` whose values differ from ``saved`` (``name: saved -> now``)."""
        return [
            f"{_flag(k)}: {getattr(saved, k)!r} -> {getattr(self, k)!r}"
            for k in RESUME_KEYS
            if getattr(saved, k) != getattr(self, k)
        ]


def _flag(name: str) -> str:
    return {"learning_rate": "lr", "warmup_ratio": "warmup"}.get(name, name.replace("_", "-"))
