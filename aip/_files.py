"""Durable files for the shells: atomic writes (node data directory, agent identity
directories) and the one way SQLite files are opened (WAL, ``synchronous=FULL``).

Not part of the pure core: it touches the file system and draws a random temporary name.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path

__all__ = ["open_durable_sqlite", "write_atomic"]

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


def open_durable_sqlite(
    path: str | os.PathLike[str], *, cache_kib: int | None = None, timeout: float = 5.0
) -> sqlite3.Connection:
    """Open ``path`` in autocommit mode (transactions are explicit), usable from any one
    thread at a time, in WAL mode with ``synchronous=FULL``: a committed transaction is on
    stable storage.  ``cache_kib`` sets the page cache.  Raises ``sqlite3.OperationalError``
    when WAL is not available (the connection is closed), ``sqlite3.Error`` otherwise.
    """
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout)
    try:
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"{path}: cannot switch to WAL (got {mode})")
        db.execute("PRAGMA synchronous=FULL")
        if cache_kib is not None:
            db.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
    except BaseException:
        db.close()
        raise
    return db
