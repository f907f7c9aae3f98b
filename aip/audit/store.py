"""The transparency log's SQLite store (shell: file I/O).

Open with :meth:`LogStore.open`.  One file holds the leaves (commitments), the hashes of every
complete subtree, the payloads (entry and salt, kept apart so that erasure deletes them and
nothing else), the issued checkpoints and, when the node is a witness, the last checkpoint it
cosigned for each log it follows.

Durability [AUD-LOG-005]: WAL with ``synchronous=FULL``, and one transaction per batch of
appends, so an append is on disk before :meth:`append` returns and a crash (kill -9 included)
leaves the log at the last committed batch: never a leaf without its subtree hashes, never a
half-written tree.

Threads: the store keeps two connections.  :meth:`append`, :meth:`erase` and the other writers
must be called from one thread at a time (the log service runs them in its writer thread);
the readers (:meth:`read_nodes`, :meth:`entry`, checkpoints) may run on another thread at the
same time and see the last committed state.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aip._files import open_durable_sqlite
from aip.audit.merkle import Appender, leaf_hash, subtree_ids

__all__ = ["LogStore", "StoreError", "StoredEntry"]

_FORMAT = "aip-audit-log/1"
_LEVEL = 1 << 48  # node key = level * _LEVEL + index: one integer primary key per subtree
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leaves (
    idx INTEGER PRIMARY KEY, commitment BLOB NOT NULL, appended_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payloads (
    idx INTEGER PRIMARY KEY, salt BLOB NOT NULL, entry BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS erasures (
    idx INTEGER PRIMARY KEY, erased_at TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
    size INTEGER PRIMARY KEY, note TEXT NOT NULL, issued_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS witnessed (
    origin TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL,
    updated_at TEXT NOT NULL);
"""
_MAX_VARIABLES = 500  # well under SQLite's limit on bound parameters per statement


class StoreError(Exception):
    """The log file is unusable: another format, another log's origin, or a broken tree."""


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """One leaf as stored: its commitment, and the entry and salt unless erased."""

    index: int
    commitment: bytes
    appended_at: str
    salt: bytes | None
    entry: bytes | None
    erased_at: str | None


def _connect(path: Path) -> sqlite3.Connection:
    try:
        return open_durable_sqlite(path)  # [AUD-LOG-005]
    except sqlite3.OperationalError as exc:
        raise StoreError(str(exc)) from None


class LogStore:
    """An open log file; see the module docstring for the threading rules."""

    def __init__(self, path: Path, write: sqlite3.Connection, read: sqlite3.Connection) -> None:
        self.path = path
        self._write = write
        self._read = read
        self._read_lock = threading.Lock()
        self._appender = self._load_appender()

    @classmethod
    def open(cls, path: str | Path, origin: str) -> LogStore:
        """Open or create the log at ``path`` for the log named ``origin``.

        Raises :class:`StoreError` if the file belongs to another origin or format, or if its
        stored tree is incomplete; ``sqlite3.Error``/``OSError`` for I/O failures.
        """
        file = Path(path)
        write = _connect(file)
        try:
            write.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
        except BaseException:
            write.close()
            raise
        try:
            with write:
                write.execute("BEGIN IMMEDIATE")
                meta = dict(write.execute("SELECT key, value FROM meta").fetchall())
                if not meta:
                    write.executemany(
                        "INSERT INTO meta (key, value) VALUES (?, ?)",
                        [("format", _FORMAT), ("origin", origin)],
                    )
                elif meta.get("format") != _FORMAT:
                    raise StoreError(f"{file}: format {meta.get('format')!r}, not {_FORMAT}")
                elif meta.get("origin") != origin:
                    raise StoreError(f"{file}: the log of {meta.get('origin')!r}, not {origin!r}")
            read = _connect(file)
        except BaseException:
            write.close()
            raise
        try:
            return cls(file, write, read)
        except BaseException:
            write.close()
            read.close()
            raise

    def close(self) -> None:
        """Close both connections; the store is unusable afterwards."""
        self._write.close()
        self._read.close()

    # --- the tree ----------------------------------------------------------------------------

    def _load_appender(self) -> Appender:
        row = self._write.execute("SELECT MAX(idx) FROM leaves").fetchone()
        size = 0 if row[0] is None else int(row[0]) + 1
        ids = subtree_ids(0, size)
        edge = self._read_nodes(self._write, ids)
        return Appender(size, edge)

    @property
    def size(self) -> int:
        """Entries committed so far (by this process's writer)."""
        return self._appender.size

    def root(self) -> bytes:
        """The root hash of the whole committed tree."""
        return self._appender.root()

    def read_nodes(self, ids: Sequence[tuple[int, int]]) -> list[bytes]:
        """Hashes of the complete subtrees ``ids`` ((level, index) pairs), in order: the
        :data:`~aip.audit.merkle.NodeReader` of this log.  Raises :class:`StoreError` if one
        is missing (a size beyond the committed tree, or a damaged file)."""
        with self._read_lock:
            return self._read_nodes(self._read, ids)

    @staticmethod
    def _read_nodes(db: sqlite3.Connection, ids: Sequence[tuple[int, int]]) -> list[bytes]:
        keys = [level * _LEVEL + index for level, index in ids]
        found: dict[int, bytes] = {}
        for start in range(0, len(keys), _MAX_VARIABLES):
            chunk = keys[start : start + _MAX_VARIABLES]
            marks = ",".join("?" * len(chunk))
            found.update(db.execute(f"SELECT id, hash FROM nodes WHERE id IN ({marks})", chunk))
        try:
            return [found[key] for key in keys]
        except KeyError as exc:
            key = int(exc.args[0])
            raise StoreError(f"subtree ({key // _LEVEL}, {key % _LEVEL}) is not stored") from None

    def append(self, items: Sequence[tuple[bytes, bytes, bytes]], appended_at: str) -> int:
        """Append ``items`` = (commitment, salt, entry) in one durable transaction; return
        the index of the first.  Call from the writer thread only.

        On any failure nothing is appended (the transaction rolls back and the in-memory tree
        is restored), and the exception propagates.
        """
        first = self._appender.size
        appender = Appender(first, self._appender.edge)
        leaves, payloads, nodes = [], [], []
        for offset, (committed, salt, entry) in enumerate(items):
            index = first + offset
            leaves.append((index, committed, appended_at))
            payloads.append((index, salt, entry))
            for level, node_index, digest in appender.append(leaf_hash(committed)):
                nodes.append((level * _LEVEL + node_index, digest))
        with self._write:
            self._write.execute("BEGIN IMMEDIATE")
            self._write.executemany(
                "INSERT INTO leaves (idx, commitment, appended_at) VALUES (?, ?, ?)", leaves
            )
            self._write.executemany(
                "INSERT INTO payloads (idx, salt, entry) VALUES (?, ?, ?)", payloads
            )
            self._write.executemany("INSERT INTO nodes (id, hash) VALUES (?, ?)", nodes)
        self._appender = appender  # only once committed [AUD-LOG-005]
        return first

    # --- entries -----------------------------------------------------------------------------

    def entry(self, index: int) -> StoredEntry | None:
        """The stored leaf ``index`` with its payload (None where erased), or None past the
        end of the committed log."""
        with self._read_lock:
            row = self._read.execute(
                "SELECT l.commitment, l.appended_at, p.salt, p.entry, e.erased_at FROM leaves l"
                " LEFT JOIN payloads p ON p.idx = l.idx LEFT JOIN erasures e ON e.idx = l.idx"
                " WHERE l.idx = ?",
                (index,),
            ).fetchone()
        if row is None:
            return None
        return StoredEntry(index, row[0], row[1], row[2], row[3], row[4])

    def erase(self, index: int, erased_at: str, reason: str) -> bool:
        """Delete the entry and salt of leaf ``index``, keeping its commitment [AUD-LOG-007];
        True if there was a payload to erase.  Call from the writer thread only."""
        with self._write:
            self._write.execute("BEGIN IMMEDIATE")
            gone = self._write.execute("DELETE FROM payloads WHERE idx = ?", (index,)).rowcount
            if gone:
                self._write.execute(
                    "INSERT OR REPLACE INTO erasures (idx, erased_at, reason) VALUES (?, ?, ?)",
                    (index, erased_at, reason),
                )
        return bool(gone)

    def commitments(self, start: int, end: int) -> list[bytes]:
        """Commitments of leaves ``start`` .. ``end - 1`` (fewer if the log is shorter)."""
        with self._read_lock:
            rows = self._read.execute(
                "SELECT commitment FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx",
                (start, end),
            ).fetchall()
        return [row[0] for row in rows]

    # --- checkpoints -------------------------------------------------------------------------

    def save_checkpoint(self, size: int, note: str, issued_at: str) -> None:
        """Record the signed checkpoint of ``size`` (replacing one of the same size, e.g. when
        cosignatures arrive).  Call from the writer thread only."""
        with self._write:
            self._write.execute("BEGIN IMMEDIATE")
            self._write.execute(
                "INSERT OR REPLACE INTO checkpoints (size, note, issued_at) VALUES (?, ?, ?)",
                (size, note, issued_at),
            )

    def latest_checkpoint(self) -> tuple[int, str] | None:
        """(size, signed note) of the largest checkpoint issued, or None."""
        with self._read_lock:
            row = self._read.execute(
                "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def checkpoints(self) -> list[tuple[int, str]]:
        """Every issued checkpoint, smallest first."""
        with self._read_lock:
            rows = self._read.execute("SELECT size, note FROM checkpoints ORDER BY size").fetchall()
        return [(int(size), str(note)) for size, note in rows]

    # --- witness state -----------------------------------------------------------------------

    def witnessed(self, origin: str) -> tuple[int, bytes, str] | None:
        """(size, root, note) of the last checkpoint cosigned for ``origin``, or None."""
        with self._read_lock:
            row = self._read.execute(
                "SELECT size, root, note FROM witnessed WHERE origin = ?", (origin,)
            ).fetchone()
        return None if row is None else (int(row[0]), bytes(row[1]), str(row[2]))

    def save_witnessed(self, origin: str, size: int, root: bytes, note: str, at: str) -> None:
        """Record the checkpoint just cosigned for ``origin``; durable before the cosignature
        leaves the witness [AUD-WIT-005].  Call from the writer thread only."""
        with self._write:
            self._write.execute("BEGIN IMMEDIATE")
            self._write.execute(
                "INSERT OR REPLACE INTO witnessed (origin, size, root, note, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (origin, size, root, note, at),
            )
