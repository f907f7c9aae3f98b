"""The domain CA's state in SQLite (shell: file I/O): one row per record, one transaction per save.

``ca/ca.sqlite3`` (WAL, ``synchronous=FULL``, mode 0600) holds what
:class:`~aip.identity.ca_state.CaState` holds: the settings and CRL number, the issued
certificates (DER), the revocations and the enrollment tokens (by token id, the SHA-256 of the
secret: never the secret itself [IDN-ENR-002]).  The whole state is loaded into memory at
open; :meth:`CaStore.save` then writes only what the state's journal says changed, in one
transaction, so a change costs the same however many records there are, is on stable storage
when ``save`` returns, and leaves the file as it was when ``save`` raises.

Tables::

    settings  name TEXT PRIMARY KEY, value TEXT (JSON)   format, domain, max_validity_days,
                                                          renewal_window_days, crl_number
    issued    serial TEXT PRIMARY KEY (lowercase hex), der BLOB, predecessor TEXT (hex) | NULL
    revoked   serial TEXT PRIMARY KEY (lowercase hex), revoked_at TEXT (RFC 3339), reason INT
    tokens    token_id TEXT PRIMARY KEY, record TEXT (JSON of TokenRecord.to_dict)
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

from aip._files import open_durable_sqlite
from aip.identity.ca_state import SETTINGS, STATE_FORMAT, CaState
from aip.identity.certificates import format_utc
from aip.identity.keys import b64url_encode

__all__ = ["STORE_FORMAT", "CaStore", "read_ca_state"]

STORE_FORMAT = "aip-ca-store/1"
_SECRET = 0o600
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS issued"
    " (serial TEXT PRIMARY KEY, der BLOB NOT NULL, predecessor TEXT)",
    "CREATE TABLE IF NOT EXISTS revoked"
    " (serial TEXT PRIMARY KEY, revoked_at TEXT NOT NULL, reason INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tokens (token_id TEXT PRIMARY KEY, record TEXT NOT NULL)",
)


def _hex(serial: int) -> str:
    return format(serial, "x")


class CaStore:
    """An open ``ca.sqlite3``.  :meth:`open` it, :meth:`load` the state, :meth:`save` each
    change (or :meth:`replace` the whole state once), :meth:`close` it."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    @classmethod
    def open(cls, path: Path) -> CaStore:
        """Open (creating, mode 0600, if needed) the store at ``path``.

        Raises ``sqlite3.Error`` or ``OSError``.
        """
        if not path.exists():  # created with its final mode: SQLite gives -wal/-shm the same
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, _SECRET))
        db = open_durable_sqlite(path)
        try:
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                db.execute(statement)
            db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return cls(db)

    def close(self) -> None:
        """Close the database; safe to call twice."""
        self._db.close()

    def load(self) -> CaState | None:
        """The stored state, or None if the store holds none yet.

        Raises :class:`~aip.errors.EnrollmentError` INVALID_PARAMS for rows that are not a
        valid state (see :meth:`CaState.from_dict`), ``sqlite3.Error`` for I/O failures.
        """
        return _load(self._db)

    def replace(self, state: CaState) -> None:
        """Write the whole of ``state`` in one transaction, in place of what is stored (first
        start, and the one import of an older ``state.json``); then settle its journal.
        Raises ``sqlite3.Error``, the store unchanged."""
        settings = {name: getattr(state, name) for name in SETTINGS}
        with self._transaction() as db:
            for table in ("settings", "issued", "revoked", "tokens"):
                db.execute(f"DELETE FROM {table}")  # fixed names
            _put_settings(db, {"format": STORE_FORMAT, **settings})
            db.executemany(
                "INSERT INTO issued (serial, der, predecessor) VALUES (?, ?, ?)",
                [
                    (_hex(s), r.der, None if r.predecessor is None else _hex(r.predecessor))
                    for s, r in state.issued.items()
                ],
            )
            db.executemany(
                "INSERT INTO revoked (serial, revoked_at, reason) VALUES (?, ?, ?)",
                [
                    (_hex(s), format_utc(e.revoked_at), int(e.reason))
                    for s, e in state.revoked.items()
                ],
            )
            db.executemany(
                "INSERT INTO tokens (token_id, record) VALUES (?, ?)",
                [(t, json.dumps(r.to_dict())) for t, r in state.tokens.records.items()],
            )
        state.settle()

    def save(self, state: CaState) -> None:
        """Write what changed in ``state`` since it was last saved, in one durable transaction,
        then settle its journal.  Raises ``sqlite3.Error`` (or ``OSError``) with the store
        unchanged and the journal kept: the caller then discards the change
        (:meth:`CaState.discard`) or tries again."""
        changes = state.changes()
        if not changes:
            return
        with self._transaction() as db:
            _put_settings(db, changes.settings)
            for serial, record in changes.issued.items():
                if record is None:
                    db.execute("DELETE FROM issued WHERE serial = ?", (_hex(serial),))
                else:
                    pred = None if record.predecessor is None else _hex(record.predecessor)
                    db.execute(
                        "INSERT OR REPLACE INTO issued (serial, der, predecessor) VALUES (?, ?, ?)",
                        (_hex(serial), record.der, pred),
                    )
            for serial, entry in changes.revoked.items():
                if entry is None:
                    db.execute("DELETE FROM revoked WHERE serial = ?", (_hex(serial),))
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO revoked (serial, revoked_at, reason)"
                        " VALUES (?, ?, ?)",
                        (_hex(serial), format_utc(entry.revoked_at), int(entry.reason)),
                    )
            for token_id, token in changes.tokens.items():
                if token is None:
                    db.execute("DELETE FROM tokens WHERE token_id = ?", (token_id,))
                else:
                    db.execute(
                        "INSERT OR REPLACE INTO tokens (token_id, record) VALUES (?, ?)",
                        (token_id, json.dumps(token.to_dict())),
                    )
        state.settle()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, kind: type[BaseException] | None, exc: object, tb: object) -> None:
        if kind is None:
            try:
                self._db.execute("COMMIT")
                return
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")


def _put_settings(db: sqlite3.Connection, settings: dict[str, Any]) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
        [(name, json.dumps(value)) for name, value in settings.items()],
    )


def _load(db: sqlite3.Connection) -> CaState | None:
    settings = {name: json.loads(value) for name, value in db.execute("SELECT * FROM settings")}
    if not settings:
        return None
    if settings.get("format") != STORE_FORMAT:
        settings["format"] = None  # refused by from_dict below, as an unknown format
    else:
        settings["format"] = STATE_FORMAT
    snapshot = {
        **settings,
        "issued": [
            {"serial": s, "der": b64url_encode(bytes(der)), "predecessor": p}
            for s, der, p in db.execute("SELECT serial, der, predecessor FROM issued")
        ],
        "revoked": [
            {"serial": s, "revoked_at": at, "reason": reason}
            for s, at, reason in db.execute("SELECT serial, revoked_at, reason FROM revoked")
        ],
        "tokens": [json.loads(record) for (record,) in db.execute("SELECT record FROM tokens")],
    }
    return CaState.from_dict(snapshot)


def read_ca_state(root: Path) -> CaState:
    """The CA state of the node data directory ``root``, read-only (while the node runs too):
    from ``ca/ca.sqlite3``, or from ``ca/state.json`` in a directory no node of this version
    has opened yet.  Raises ``ValueError`` if there is none, ``sqlite3.Error``, ``OSError``,
    :class:`~aip.errors.EnrollmentError` for a damaged state."""
    path, legacy = root / "ca" / "ca.sqlite3", root / "ca" / "state.json"
    state = None
    if path.is_file():
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            state = _load(db)
        finally:
            db.close()
    if state is None and legacy.is_file():  # not imported yet
        return CaState.from_dict(json.loads(legacy.read_text("utf-8")))
    if state is None:
        raise ValueError(f"{path}: no CA state here")
    return state
