"""Durable file writes for the shells (node data directory, agent identity directories).

Not part of the pure core: it touches the file system and draws a random temporary name.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["write_atomic"]

_PUBLIC = 0o644


def _fsync_dir(path: Path) -> None:
    if os.name == "posix":
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int = _PUBLIC) -> None:
    """Replace ``path`` with ``data`` so that a crash never leaves a partial file.

    Writes a temporary file in the same directory with ``mode`` (never wider: the umask still
    applies), fsyncs it, renames it over ``path`` and fsyncs the directory.  Raises ``OSError``.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
