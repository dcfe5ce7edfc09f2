"""What ``--resume`` trusts: a validating reader of the checkpoints we wrote, and the data a run trained on.

A checkpoint folder ``checkpoint-N`` (written by the Hugging Face trainer) is *complete* when its
``trainer_state.json`` is a JSON object with an integer ``global_step``, its weights
(``*.safetensors``) are as long as their headers say, and its torch files (``optimizer.pt``,
``scheduler.pt``, ``rng_state*.pth``, ``training_args.bin``: zip archives) open; the optimizer and
scheduler must be there (without them the trainer would silently restart both and the run would not
reach the uninterrupted weights). :func:`resume_checkpoint` resumes from the newest complete
checkpoint; a newer incomplete one (an interrupted save, a truncated copy) is named in a note and
left in place (the resumed run writes it again). No complete checkpoint is one ``Error:`` line
naming the damaged file.

:func:`data_digest` is a checksum of the records a run trains on (not of the file's bytes, so the same
records in another format match); the interrupted run's digest is kept in the checkpoint folder's
``train_config.json`` and a resumed run over other records is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import zipfile
from pathlib import Path

from codeswitch.errors import ConfigError, DataFormatError
from codeswitch.options import safetensors_problem
from training.data import TrainData

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
REQUIRED = ("trainer_state.json", "optimizer.pt", "scheduler.pt")


def checkpoints(folder: Path) -> list[Path]:
    """The ``checkpoint-N`` folders under ``folder``, newest (largest N) first."""
    found = [p for p in folder.iterdir() if p.is_dir() and _CHECKPOINT.match(p.name)] if folder.is_dir() else []
    return sorted(found, key=lambda p: int(_CHECKPOINT.match(p.name).group(1)), reverse=True)


def _zip_problem(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            size = path.stat().st_size
            if any(info.header_offset + info.compress_size > size for info in zf.infolist()):
                return "truncated"
    except (zipfile.BadZipFile, EOFError, ValueError):
        return "truncated or not a torch file"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return None


def checkpoint_problem(folder: Path) -> tuple[Path, str] | None:
    """``(file, what is wrong)`` for the first damaged or missing file of checkpoint ``folder``, or None."""
    if not any(folder.iterdir()):
        return folder, "empty (a checkpoint save that was interrupted)"
    for name in REQUIRED:
        if not (folder / name).is_file():
            return folder / name, "missing (a checkpoint save that was interrupted)"
    state = folder / "trainer_state.json"
    try:
        data = json.loads(state.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("global_step"), int):
            return state, "not a trainer state (no integer global_step)"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return state, "truncated or not JSON"
    weights = sorted(folder.rglob("*.safetensors")) + sorted(folder.glob("pytorch_model*.bin"))
    if not weights:
        return folder / "model.safetensors", "missing (no model weights in the checkpoint)"
    for path in weights:
        problem = safetensors_problem(path) if path.suffix == ".safetensors" else _zip_problem(path)
        if problem:
            return path, problem
    for path in sorted([*folder.glob("*.pt"), *folder.glob("*.pth"), *folder.glob("training_args.bin")]):
        problem = _zip_problem(path)
        if problem:
            return path, problem
    return None


def resume_checkpoint(folder: Path, quiet: bool = False) -> Path:
    """The newest complete checkpoint under ``folder`` (see the module docstring); notes go to stderr."""
    found = checkpoints(folder)
    if not found:
        raise ConfigError(f"--resume: no checkpoint in {folder}; run without --resume to start training")
    skipped = []
    for candidate in found:
        problem = checkpoint_problem(candidate)
        if problem is None:
            for path, why in skipped if not quiet else ():
                print(f"note: {path}: {why}; resuming from the previous complete checkpoint {candidate} "
                      "instead (training writes the newer one again)", file=sys.stderr)
            return candidate
        skipped.append(problem)
    path, why = skipped[0]
    raise DataFormatError(f"{why}; no checkpoint in {folder} is complete, so the run cannot continue: run with "
                          "--overwrite instead of --resume to start again", path)


def data_digest(data: TrainData) -> str:
    """sha256 of the records, in order: ids, pair ids, texts, languages, kinds and negatives."""
    h = hashlib.sha256()
    for row in zip(data.ids, data.pair_ids, data.queries, data.passages, data.query_langs, data.passage_langs,
                   data.kinds, data.negatives, strict=True):
        h.update(json.dumps(row, ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


def saved_digest(config_path: Path) -> str | None:
    """The ``data_sha256`` an interrupted run saved in its ``train_config.json`` (None from older versions)."""
    try:
        value = json.loads(config_path.read_text(encoding="utf-8")).get("data_sha256")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def check_same_data(config_path: Path, digest: str, data: str) -> None:
    """Refuse to resume over records other than the interrupted run's."""
    saved = saved_digest(config_path)
    if saved is not None and saved != digest:
        raise ConfigError(f"--resume: the records in --data {data} differ from those the interrupted run trained on "
                          "(the file was edited or replaced since), so the run would continue on other data; "
                          "restore the data, or pass --overwrite instead of --resume to start again on it")
