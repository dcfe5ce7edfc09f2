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

A step record is written last, after the files it vouches for, as the runner does: a copy that is
interrupted leaves at worst files without a record, which count as not finished. A step whose record at the
destination has another hash is a conflict: nothing is copied unless ``replace`` is set, and then the
destination's record and evaluation files of that step are removed before the new ones are written.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from codeswitch.errors import ConfigError

SUFFIX = ".step.json"
# what an evaluation folder keeps: the numbers and the per-query scores; not the TREC runs or the plots
EVAL_FILES = ("metrics.json", "metrics.md", "metrics.csv", "eval_config.json")
PER_QUERY = "runs/*/*.per-query.tsv"
# the article split: evaluations with held-out titles hash the titles file, so it travels with them
SPLIT_FILES = ("split.json", "heldout_titles.txt", "train_titles.txt")


@dataclass
class CopySummary:
    copied: list[str] = field(default_factory=list)  # step outputs, relative to the source
    already: list[str] = field(default_factory=list)  # same hash at the destination
    replaced: list[str] = field(default_factory=list)
    evaluations: int = 0

    def line(self) -> str:
        parts = [f"{len(self.copied)} step record(s) copied ({self.evaluations} evaluation(s) with their "
                 f"metrics and per-query scores)", f"{len(self.already)} already there"]
        if self.replaced:
            parts.append(f"{len(self.replaced)} replaced")
        return ", ".join(parts)


def _record(path: Path) -> dict:
    """A step record's JSON; an unreadable one is an error naming the file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable step record ({exc}); delete it (the step then counts as not "
                          "finished) or copy it again from the working folder that wrote it") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("hash"), str):
        found = "an object without a string 'hash'" if isinstance(doc, dict) else f"a JSON {type(doc).__name__}"
        raise ConfigError(f"{path}: a step record must be a JSON object with a string 'hash', found {found}; "
                          "delete it or copy it again")
    return doc


def _step_files(output: Path) -> list[Path]:
    """The files of one finished step worth keeping: an evaluation's numbers and per-query scores; the split."""
    if output.is_dir() and (output / "split.json").is_file():
        return [output / name for name in SPLIT_FILES if (output / name).is_file()]
    if not output.is_dir() or not (output / "metrics.json").is_file():
        return []
    files = [output / name for name in EVAL_FILES if (output / name).is_file()]
    return files + sorted(output.glob(PER_QUERY))


def _copy_file(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp-copy")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)


def copy_cells(src: Path, dst: Path, replace: bool = False) -> CopySummary:
    """Copy every finished step's record (and an evaluation's numbers) from working folder ``src`` to ``dst``."""
    src, dst = Path(src), Path(dst)
    if not src.is_dir():
        raise ConfigError(f"{src}: not a folder; give a recipe working folder (recipe run --out) or a folder "
                          "that copy-cells filled")
    if dst.exists() and not dst.is_dir():
        raise ConfigError(f"{dst}: is a file; the destination must be a folder (it is created if missing)")
    if dst.resolve() == src.resolve():
        raise ConfigError(f"{src}: source and destination are the same folder; give another destination")
    if dst.resolve().is_relative_to(src.resolve()) or src.resolve().is_relative_to(dst.resolve()):
        raise ConfigError(f"{dst}: one folder lies inside the other ({src}); give folders side by side")
    records = sorted(p for p in src.rglob(f"*{SUFFIX}") if p.is_file())
    if not records:
        raise ConfigError(f"{src}: holds no step records (*{SUFFIX}); is it the --out of a recipe run?")
    plan: list[tuple[Path, Path, dict]] = []
    conflicts: list[str] = []
    summary = CopySummary()
    for rec in records:
        doc = _record(rec)
        rel = rec.relative_to(src)
        target = dst / rel
        name = str(rel)[: -len(SUFFIX)]
        if target.is_file():
            there = _record(target)
            if there["hash"] == doc["hash"]:
                summary.already.append(name)
                continue
            if not replace:
                conflicts.append(f"{name} (here {doc['hash']}, there {there['hash']})")
                continue
            summary.replaced.append(name)
        plan.append((rec, target, doc))
    if conflicts:
        more = f" and {len(conflicts) - 1} more" if len(conflicts) > 1 else ""
        raise ConfigError(f"{dst}: already holds another run of {conflicts[0]}{more}; nothing was copied. Pass "
                          "--replace to overwrite those steps with the source's, or copy into an empty folder")
    for rec, target, _doc in plan:
        output_src = rec.with_name(rec.name[: -len(SUFFIX)])
        output_dst = target.with_name(target.name[: -len(SUFFIX)])
        target.unlink(missing_ok=True)  # no record while the files it vouches for change
        for old in _step_files(output_dst):
            old.unlink()
        files = _step_files(output_src)
        for f in files:
            _copy_file(f, output_dst / f.relative_to(output_src))
        summary.evaluations += any(f.name == "metrics.json" for f in files)
        _copy_file(rec, target)
        summary.copied.append(str(rec.relative_to(src))[: -len(SUFFIX)])
    recipe_json = src / "recipe.json"
    if recipe_json.is_file() and plan:
        _copy_file(recipe_json, dst / "recipe.json")
    return summary
