"""Copy a recipe's finished cells between working folders: the small records a report needs, nothing large.

A recipe's working folder (``recipe run --out``) holds trained models (hundreds of MB each), TREC runs
(1,000 lines a query) and generated data: too large to commit, and gone with the machine. The report needs
far less: each step's record (``<output>.step.json``: hash, seconds, config), for every evaluation
``metrics.json`` and the per-query scores (``runs/<dataset>/<key>.per-query.tsv``) that the significance
tests read, and the article split's title lists (evaluation hashes include them). :func:`copy_cells`
copies exactly those, keeping the folder layout, so that

- ``codeswitch recipe copy-cells runs/NAME benchmarks/results/NAME/cells`` keeps finished cells in git as a
  grid advances, and
- ``codeswitch recipe copy-cells benchmarks/results/NAME/cells runs/NAME`` puts them back in a new working
  folder, where ``recipe report`` rebuilds every table and test from them (``recipe run`` still retrains a
  cell whose model it needs: models are not kept).

Config hashes contain the paths the recipe resolved (``--out``, ``$CODESWITCH_DATA``), so cells copied back
count as finished only under the same ``--out`` and the same data path spelling as the run that made them.

Rules that keep a copied record honest (a record says "this output is finished with this config"):

- A record is written last, after the files it vouches for, as the runner does; an interrupted copy leaves at
  worst files without a record, which count as not finished.
- A step whose destination holds a record of another hash, or an output (a model, data, TREC runs) that no
  record vouches for, is a conflict: nothing is copied unless ``replace`` is set, and then the destination's
  record and whole output of that step are removed first, so nothing of the old run stays beside the new
  record. Leftovers of an interrupted copy (only files this module writes) are not a conflict.
- A step already there with the same hash gets the files it is missing, and nothing else changes.
- Every folder and file of the source must be readable: an unreadable one is an error before anything is
  written, never a cell silently copied without its scores. Symbolic links to folders are followed.
- A step whose source record changes while it is copied (a running grid reran it) is rolled back and skipped.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from codeswitch.errors import ConfigError

SUFFIX = ".step.json"
# what an evaluation folder keeps: the numbers and the per-query scores; not the TREC runs or the plots
EVAL_FILES = ("metrics.json", "metrics.md", "metrics.csv", "eval_config.json")
PER_QUERY_SUFFIX = ".per-query.tsv"
# the article split: evaluations with held-out titles hash the titles file, so it travels with them
SPLIT_FILES = ("split.json", "heldout_titles.txt", "train_titles.txt")
TMP_SUFFIX = ".tmp-copy"


@dataclass
class CopySummary:
    copied: list[str] = field(default_factory=list)  # step outputs, relative to the source
    already: list[str] = field(default_factory=list)  # same hash at the destination
    replaced: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)  # same hash, missing files copied
    changed: list[str] = field(default_factory=list)  # rerun in the source while being copied: skipped
    evaluations: int = 0

    def line(self) -> str:
        parts = [f"{len(self.copied)} step record(s) copied ({self.evaluations} evaluation(s) with their "
                 f"metrics and per-query scores)", f"{len(self.already)} already there"]
        for label, items in (("replaced", self.replaced), ("repaired (missing files copied)", self.repaired),
                             ("skipped: rerun in the source while copying, copy again later", self.changed)):
            if items:
                parts.append(f"{len(items)} {label}")
        return ", ".join(parts)


def _record(path: Path) -> dict:
    """A step record's JSON; an unreadable one is an error naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read this step record ({exc.strerror or exc}); fix its permissions "
                          "or the link it is") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not a readable step record ({exc}); delete it (the step then counts as not "
                          "finished) or copy it again from the working folder that wrote it") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("hash"), str):
        found = "an object without a string 'hash'" if isinstance(doc, dict) else f"a JSON {type(doc).__name__}"
        raise ConfigError(f"{path}: a step record must be a JSON object with a string 'hash', found {found}; "
                          "delete it or copy it again")
    return doc


def _listdir(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError as exc:
        raise ConfigError(f"{folder}: cannot list this folder ({exc.strerror or exc}); fix its permissions, "
                          "or nothing in it can be copied") from None


def _records(src: Path) -> list[Path]:
    """Every step record below ``src`` (links to folders followed, each real folder once); errors name the folder."""
    found: list[Path] = []
    seen: set[Path] = set()
    stack = [src]
    while stack:
        folder = stack.pop()
        real = folder.resolve()
        if real in seen:
            continue
        seen.add(real)
        for name in _listdir(folder):
            path = folder / name
            if path.is_dir():
                stack.append(path)
            elif name.endswith(SUFFIX):
                if name == SUFFIX:
                    raise ConfigError(f"{path}: a step record is named <output>{SUFFIX}, this one names no "
                                      "output; delete it")
                found.append(path)
    return sorted(found)


def _carried(output: Path) -> list[Path]:
    """The files of one step worth keeping: an evaluation's numbers and per-query scores; the split's lists."""
    if not output.is_dir():
        return []
    names = _listdir(output)
    if "split.json" in names:
        return [output / n for n in SPLIT_FILES if n in names]
    if "metrics.json" not in names:
        return []
    files = [output / n for n in EVAL_FILES if n in names]
    if "runs" in names and (output / "runs").is_dir():
        for ds in _listdir(output / "runs"):
            if (output / "runs" / ds).is_dir():
                files += [output / "runs" / ds / n for n in _listdir(output / "runs" / ds)
                          if n.endswith(PER_QUERY_SUFFIX)]
    return files


def _only_ours(output: Path) -> bool:
    """Whether an output at the destination holds nothing but files this module writes (or nothing at all)."""
    if not output.exists() and not output.is_symlink():
        return True
    if not output.is_dir():
        return False
    for root, dirs, files in os.walk(output):
        rel = Path(root).relative_to(output)
        for name in files:
            ours = (name in EVAL_FILES + SPLIT_FILES and rel == Path(".")) or name.endswith(TMP_SUFFIX) or (
                len(rel.parts) == 2 and rel.parts[0] == "runs" and name.endswith(PER_QUERY_SUFFIX))
            if not ours:
                return False
        if dirs and rel != Path(".") and rel.parts[0] != "runs":
            return False
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _copy_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}{TMP_SUFFIX}")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)


def _output(record: Path) -> Path:
    return record.with_name(record.name[: -len(SUFFIX)])


def _unchanged(record: Path, doc: dict) -> bool:
    try:
        return _record(record) == doc
    except ConfigError:  # removed: the runner deletes a step's record when it starts the step again
        return False


def copy_cells(src: Path, dst: Path, replace: bool = False) -> CopySummary:
    """Copy every finished step's record (and an evaluation's numbers) from working folder ``src`` to ``dst``."""
    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise ConfigError(f"{src}: not a folder; give a recipe working folder (recipe run --out) or a folder "
                          "that copy-cells filled")
    if dst.is_symlink() and not dst.exists():
        raise ConfigError(f"{dst}: is a broken link (to {os.readlink(dst)}); remove it or point it at a folder")
    if dst.exists() and not dst.is_dir():
        raise ConfigError(f"{dst}: is a file; the destination must be a folder (it is created if missing)")
    if dst.resolve() == src.resolve():
        raise ConfigError(f"{src}: source and destination are the same folder; give another destination")
    if dst.resolve().is_relative_to(src.resolve()) or src.resolve().is_relative_to(dst.resolve()):
        raise ConfigError(f"{dst}: one folder lies inside the other ({src}); give folders side by side")
    records = _records(src)
    if not records:
        raise ConfigError(f"{src}: holds no step records (*{SUFFIX}); is it the --out of a recipe run?")
    summary = CopySummary()
    plan: list[tuple[Path, Path, dict, list[Path], bool]] = []  # record, target, its JSON, files, repair only
    conflicts: list[str] = []
    for rec in records:
        doc = _record(rec)
        rel = rec.relative_to(src)
        target = dst / rel
        name = str(rel)[: -len(SUFFIX)]
        files = _carried(_output(rec))  # listing errors surface here, before anything is written
        there = _record(target) if target.is_file() else None
        if there is not None and there["hash"] == doc["hash"]:
            missing = [f for f in files if not (_output(target) / f.relative_to(_output(rec))).is_file()]
            if missing:
                plan.append((rec, target, doc, missing, True))
                summary.repaired.append(name)
            else:
                summary.already.append(name)
            continue
        if there is not None or not _only_ours(_output(target)):
            if not replace:
                why = (f"here {doc['hash']}, there {there['hash']}" if there is not None
                       else "there an output no record vouches for")
                conflicts.append(f"{name} ({why})")
                continue
            summary.replaced.append(name)
        plan.append((rec, target, doc, files, False))
    if conflicts:
        more = f" and {len(conflicts) - 1} more" if len(conflicts) > 1 else ""
        raise ConfigError(f"{dst}: already holds another run of {conflicts[0]}{more}; nothing was copied. Pass "
                          "--replace to replace those steps (record and output) with the source's, or copy into "
                          "an empty folder")
    done = 0
    try:
        for rec, target, doc, files, repair in plan:
            name = str(rec.relative_to(src))[: -len(SUFFIX)]
            out_src, out_dst = _output(rec), _output(target)
            if not repair:
                target.unlink(missing_ok=True)  # no record while the output it vouches for changes
                _remove(out_dst)
            for f in files:
                _copy_file(f, out_dst / f.relative_to(out_src))
            if not _unchanged(rec, doc):  # rerun in the source meanwhile: what was copied may be of either run
                for f in files:
                    (out_dst / f.relative_to(out_src)).unlink(missing_ok=True)
                summary.changed.append(name)
                continue
            if not repair:
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}{TMP_SUFFIX}")
                tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
                tmp.replace(target)
                summary.copied.append(name)
                summary.evaluations += any(f.name == "metrics.json" for f in files)
            done += 1
        if (src / "recipe.json").is_file() and plan:
            _copy_file(src / "recipe.json", dst / "recipe.json")
    except OSError as exc:
        where = exc.filename or dst
        raise ConfigError(f"{where}: {exc.strerror or exc}; the copy stopped after {done} of {len(plan)} step(s) "
                          "(each one copied is whole; the rest have no record at the destination): fix this and "
                          "run the same command again") from None
    return summary
