"""Option types and checks shared by every command: finite floats, worker counts.

``click``'s ``float`` accepts ``nan`` and ``inf``; every float option of every command uses
:data:`FINITE_FLOAT` (or :func:`finite_float` with bounds) instead, so a non-finite value is a
one-line usage error naming the option. ``--workers 0`` means one worker per usable CPU;
negative counts are refused; :func:`cap_workers` says why fewer workers than asked are used.
"""

from __future__ import annotations

import math
import os

import click

from codeswitch.errors import ConfigError


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
