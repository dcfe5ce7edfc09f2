"""Atomic outputs: write to a hidden sibling, rename into place only on success.

An interrupted or failed run therefore never leaves a partial file or directory at the target.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from codeswitch.errors import ConfigError


def check_output(path: Path, overwrite: bool) -> None:
    """Refuse to clobber an existing output unless ``overwrite`` is set."""
    if path.exists() and not overwrite:
        raise ConfigError(f"output {path} exists; pass --overwrite to replace it or choose another path")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    Works for files and directories. On any exception (including KeyboardInterrupt) the
    temporary is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    _remove(tmp)
    try:
        yield tmp
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        _remove(tmp)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    elif p.exists() or p.is_symlink():
        p.unlink()
