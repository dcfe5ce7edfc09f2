"""Atomic outputs: write to a hidden sibling, rename into place only on success.

An interrupted or failed run therefore never leaves a partial file or directory at the target.

Temporary names carry the owner: ``.NAME.tmp-<pid>@<host>`` (plus suffixes such as ``.parquet``
for helpers of the same write). A run killed with ``kill -9`` or by the out-of-memory killer
cannot remove its temporary; the next write to the same target removes every such sibling whose
pid is no longer alive on this host (:func:`sweep_debris`). Temporaries of other hosts (a shared
file system) are left alone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from codeswitch.errors import ConfigError

_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"


def owner_tag() -> str:
    """``<pid>@<host>``: who owns a temporary (see :func:`sweep_debris`)."""
    return f"{os.getpid()}@{_HOST}"


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host (one of another user counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_debris(parent: str | Path, prefix: str) -> list[Path]:
    """Remove the entries of ``parent`` named ``<prefix><pid>@<this host>...`` whose pid is dead; return them."""
    parent = Path(parent)
    pattern = re.compile(re.escape(prefix) + r"(\d+)@" + re.escape(_HOST) + r"(?![A-Za-z0-9_])")
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = pattern.match(entry.name)
        if m and int(m.group(1)) != os.getpid() and not pid_alive(int(m.group(1))):
            _remove(entry)
            removed.append(entry)
    return removed


def check_output(path: Path, overwrite: bool, folder: bool | None = None) -> None:
    """Refuse to clobber an existing output unless ``overwrite`` is set; refuse an unwritable folder.

    ``folder`` (True: the output is a folder, False: a file) also refuses, before any work is done, an
    existing path of the other kind, which ``overwrite`` would not replace either (see :func:`atomic_path`).
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise ConfigError(f"output {path} exists; pass --overwrite to replace it or choose another path")
    if folder is not None and path.exists():
        _refuse_other_kind(path, folder)
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write {path}: folder {parent} is not writable; choose another --out")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    Works for files and directories. On any exception (including KeyboardInterrupt) the
    temporary is removed and ``path`` is left as it was. Temporaries left by dead runs for the
    same target are removed first.

    Raises:
        ConfigError: the folder of ``path`` cannot be created or written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create folder {path.parent} for {path} ({exc.strerror}); choose another "
                          "output path") from None
    prefix = f".{path.name}.tmp-"
    sweep_debris(path.parent, prefix)
    tmp = path.with_name(prefix + owner_tag())
    _remove(tmp)
    try:
        try:
            yield tmp
        except OSError as exc:
            # a write through an open handle (disk full, file-size limit) carries no file name: it is ours
            ours = str(exc.filename or "").startswith(str(tmp)) or (exc.filename is None and exc.errno in _SPACE)
            if not ours:
                raise
            raise ConfigError(f"cannot write {path} ({exc.strerror}); choose a writable output path with room "
                              "to spare") from None
        _move_into_place(tmp, path)
    finally:
        _remove(tmp)


# errors of a write that ran out of room: disk full, file-size limit (ulimit -f), quota
_SPACE = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


def _move_into_place(tmp: Path, path: Path) -> None:
    """Replace ``path`` by the finished ``tmp``; an error names the user's path, never our temporary."""
    if path.exists():
        _refuse_other_kind(path, tmp.is_dir())
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path} ({exc.strerror}); choose a writable output path") from None


def _refuse_other_kind(path: Path, folder: bool) -> None:
    """Refuse to replace a file by a folder or a folder (not a link to one) by a file."""
    if folder and not path.is_dir():
        raise ConfigError(f"cannot write folder {path}: a file of that name is in the way; remove it or choose "
                          "another output path")
    if not folder and path.is_dir() and not path.is_symlink():
        raise ConfigError(f"cannot write file {path}: a folder of that name is in the way; remove it or choose "
                          "another output path")


def make_scratch(kind: str, parent: str | Path | None = None) -> Path:
    """Create a private folder ``codeswitch-<kind>-<pid>@<host>-XXXX`` under ``parent`` (default: the system
    temp folder), after removing the folders of that kind left there by dead runs. The caller removes it."""
    root = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    root.mkdir(parents=True, exist_ok=True)
    prefix = f"codeswitch-{kind}-"
    sweep_debris(root, prefix)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{owner_tag()}-", dir=root))


@contextlib.contextmanager
def scratch_dir(kind: str, parent: str | Path | None = None) -> Iterator[Path]:
    """:func:`make_scratch` as a context manager: the folder is removed when the block ends, however it ends."""
    tmp = make_scratch(kind, parent)
    try:
        yield tmp
    finally:
        _remove(tmp)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    elif p.exists() or p.is_symlink():
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
