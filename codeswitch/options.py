"""Option types and checks shared by every command: finite floats, counts, seeds, worker counts.

``click``'s ``float`` accepts ``nan`` and ``inf``; every float option of every command uses
:data:`FINITE_FLOAT` (or :class:`FiniteFloat` with bounds) instead, so a non-finite value is a
one-line usage error naming the option. Integers have one type per kind of number, the same way:
:data:`POSITIVE_INT` (sizes, lengths, depths, step counts: > 0), :data:`NON_NEGATIVE_INT` (0 = off),
:data:`SEED` (``0 .. 2**32 - 1``, what numpy and torch accept) and :data:`MAX_STEPS` (> 0, or -1 =
train by epochs). ``--workers 0`` means one worker per usable CPU; negative counts are refused;
:func:`cap_workers` says why fewer workers than asked are used. :func:`check_int` applies the same
rules to config values (recipes) that do not pass through click. :func:`check_model_dir` is the
``--model`` check of ``train`` and ``evaluate``: a local model folder whose safetensors weights are
truncated is one ``Error:`` line naming the file.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import click

from codeswitch.errors import ConfigError, DataFormatError


class FiniteFloat(click.ParamType):
    """A float that is finite (no nan/inf) and, optionally, inside ``[low, high]``."""

    name = "float"

    def __init__(self, low: float | None = None, high: float | None = None, open_low: bool = False) -> None:
        self.low, self.high, self.open_low = low, high, open_low

    def convert(self, value, param, ctx):
        if isinstance(value, float) and math.isfinite(value):
            number = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.fail(f"expected a number, found {value!r}", param, ctx)
            if not math.isfinite(number):
                self.fail(f"expected a finite number, found {value!r}", param, ctx)
        low_bad = self.low is not None and (number <= self.low if self.open_low else number < self.low)
        if low_bad or (self.high is not None and number > self.high):
            self.fail(f"expected a number in {self._range()}, found {value!r}", param, ctx)
        return number

    def _range(self) -> str:
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        left = "(" if self.open_low or self.low is None else "["
        return f"{left}{low}, {high}{']' if self.high is not None else ')'}"


FINITE_FLOAT = FiniteFloat()
PROBABILITY = FiniteFloat(0.0, 1.0)

SEED_MAX = 2**32 - 1


class BoundedInt(click.ParamType):
    """An integer (not a float, not a bool) in ``[low, high]``, or one of the ``special`` values.

    ``hint`` says what the number means (shown in the error, with an example), e.g. ``"-1 = by epochs"``.
    """

    name = "integer"

    def __init__(self, low: int | None = None, high: int | None = None, special: tuple[int, ...] = (),
                 hint: str = "") -> None:
        self.low, self.high, self.special, self.hint = low, high, tuple(special), hint

    def check(self, value) -> int | None:
        """``value`` as an int when it is one of this kind, else None."""
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            number = value
        else:
            text = str(value).strip()
            try:
                number = int(text, 10)
            except ValueError:
                return None
        if number in self.special:
            return number
        if (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            return None
        return number

    def describe(self) -> str:
        """What this kind accepts, e.g. ``an integer >= 1`` or ``an integer in [0, 4294967295]``."""
        if self.low is not None and self.high is not None:
            what = f"an integer in [{self.low}, {self.high}]"
        elif self.low is not None:
            what = f"an integer >= {self.low}"
        elif self.high is not None:
            what = f"an integer <= {self.high}"
        else:
            what = "an integer"
        if self.special:
            what += " or " + " or ".join(str(v) for v in self.special)
        return what + (f" ({self.hint})" if self.hint else "")

    def convert(self, value, param, ctx):
        number = self.check(value)
        if number is None:
            self.fail(f"expected {self.describe()}, found {value!r}", param, ctx)
        return number


POSITIVE_INT = BoundedInt(1)
NON_NEGATIVE_INT = BoundedInt(0)
SEED = BoundedInt(0, SEED_MAX, hint="numpy and torch take 32-bit seeds")
MAX_STEPS = BoundedInt(1, special=(-1,), hint="-1 = train by --epochs")


def check_int(value, kind: BoundedInt, option: str) -> int:
    """Raise :class:`ConfigError` naming ``option`` unless ``value`` is an integer of ``kind`` (for configs)."""
    number = kind.check(value) if isinstance(value, int) else None  # a config's 1.5 or "3" is not an integer
    if number is None:
        raise ConfigError(f"{option} must be {kind.describe()}, found {value!r}")
    return number


def check_finite(value: float, option: str) -> float:
    """Raise :class:`ConfigError` naming ``option`` unless ``value`` is a finite number (for configs)."""
    try:
        ok = math.isfinite(float(value))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"{option} must be a finite number, found {value!r}")
    return float(value)


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def check_workers(workers: int, option: str = "--workers") -> None:
    """``workers`` must be >= 0 (0 = one per usable CPU)."""
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 0:
        raise ConfigError(f"{option} must be >= 0 (0 = one per CPU), found {workers!r}; e.g. {option} 2")


def cap_workers(requested: int, shards: int | None = None) -> tuple[int, list[str]]:
    """How many workers help: ``requested`` (0 = all usable CPUs) capped at the CPUs and at ``shards``.

    Returns ``(workers, reasons)``; ``reasons`` names each cap that applied (empty when none did).
    """
    check_workers(requested)
    cpus = usable_cpus()
    workers, reasons = requested or cpus, []
    if workers > cpus:
        workers, reasons = cpus, [f"{cpus} usable CPU(s)"]
    if shards is not None and workers > max(shards, 1):
        workers = max(shards, 1)
        reasons.append(f"{shards} input chunk(s)")
    return workers, reasons


def safetensors_problem(path: str | Path) -> str | None:
    """What is wrong with the ``.safetensors`` file at ``path`` (truncated, not safetensors), or None.

    Reads only the header: 8 bytes of header length, the JSON header, then checks that the file is as
    long as the last tensor's end offset says -- a cut-off copy or an interrupted save fails here.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                return f"truncated: {size} bytes, shorter than a safetensors header"
            n = int.from_bytes(head, "little")
            if n > size - 8:
                return f"truncated: {size} bytes, its {n}-byte header is cut off"
            header = json.loads(fh.read(n).decode("utf-8"))
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "not a safetensors file (its header is not JSON)"
    try:
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return "not a safetensors file (its header lists no tensor offsets)"
    if size < 8 + n + end:
        return f"truncated: {size} of {8 + n + end} bytes"
    return None


def check_model_dir(model: str, option: str = "--model") -> None:
    """Raise :class:`DataFormatError` naming the file when a local model folder holds damaged weights.

    A hub id (no such local folder) is left to the loader. Checked before anything loads, so a
    truncated ``model.safetensors`` is one line naming it instead of a deserialisation traceback.
    """
    root = Path(model)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*.safetensors")):
        problem = safetensors_problem(path)
        if problem:
            raise DataFormatError(f"{problem}; the weights of {option} {model} are damaged: copy, download or "
                                  "train the model again", path)
