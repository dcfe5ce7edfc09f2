"""Error types shared by every stage; the CLI shows them as one line and exits non-zero.

Every message names where the problem is (file, line, field), what was expected and found, and
the fix. Raise these instead of ``assert`` for anything a user controls.
"""

from __future__ import annotations

from pathlib import Path


class CodeswitchError(ValueError):
    """Base class: a user-facing problem with input or configuration."""


class DataFormatError(CodeswitchError):
    """An input file does not parse or lacks what is needed."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}" + (f":{line}" if line is not None else "") + ": "
        super().__init__(where + message)
        self.path = path
        self.line = line


class ConfigError(CodeswitchError):
    """An option or configuration value is invalid."""
