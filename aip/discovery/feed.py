"""The registry's change feed served from its SQLite file: the DSP provider (shell: sqlite3,
threads).  Spec Part 8 §8.8, DSC-SYN.

The registry (:class:`~aip.discovery.store.RegistryStore`) appends one row to its ``changes``
table per publication; :class:`SqliteFeed` opens its own connection to the same file (WAL: it
reads while the registry writes) and answers what a provider answers, with the interface of the
reference :class:`~aip.discovery.sync.MemoryFeed`: :attr:`~SqliteFeed.head`,
:attr:`~SqliteFeed.horizon`, :meth:`~SqliteFeed.changes`, :meth:`~SqliteFeed.snapshot`,
:meth:`~SqliteFeed.chunk`, :meth:`~SqliteFeed.info`, plus :meth:`~SqliteFeed.prune`, which
applies retention (the registry never deletes changes itself).

Storage (tables of its own, created if missing; the registry's tables are never altered):

* ``dsp_state``: the horizon H, the greatest seq discarded [DSC-SYN-011];
* ``dsp_objects``: the compacted log, the latest upsert (its whole envelope) of every object
  live at H.  Pruning folds the discarded changes into it in the same transaction, so the state
  at any seq S >= H is ``dsp_objects`` overlaid with the changes in (H, S]: a snapshot needs no
  change the retention window dropped [DSC-SYN-015].

A snapshot is kept in memory as the seqs of its objects (their envelopes never change; pruning
only moves them from ``changes`` to ``dsp_objects``).  While a snapshot is kept, pruning holds
the horizon at or below its cut, so its chunks can be read again and are identical
[DSC-SYN-017]; DSC-SYN-010 allows keeping changes longer, and DSC-SYN-018 bounds how long.

Threads: every method may be called from any thread; one lock serialises them.  Refusals are
:class:`~aip.errors.DiscoveryError` (INVALID_PARAMS, CURSOR_EXPIRED, SNAPSHOT_NOT_FOUND); I/O
failures are ``sqlite3.Error``; a naive clock or a bad constructor argument ``ValueError``.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aip._files import open_durable_sqlite
from aip.codec import parse
from aip.discovery.sync import (
    DEFAULT_RETENTION_AGE_S,
    DEFAULT_RETENTION_COUNT,
    MAX_CHUNK_SIZE,
    MAX_LIMIT,
    MAX_SEQ,
    Change,
    chunk_result,
    chunk_total,
    encode_seq,
    format_ts,
    info_result,
)
from aip.errors import Code, DiscoveryError

__all__ = ["SqliteFeed"]

DEFAULT_SNAPSHOT_IDLE_S, DEFAULT_SNAPSHOT_MAX_S = 7200.0, 86400.0  # [DSC-SYN-018]
_PRUNE_BATCH = 5000  # changes discarded per transaction: the registry's writer waits at most this
_IN_BATCH = 500  # seqs per IN (...) list
_SNAPSHOT_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS dsp_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dsp_objects (
    type TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL UNIQUE, ts TEXT NOT NULL,
    version INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (type, id));
"""
# The latest change of each object in (H, S], numbered 1 per object.
_TAIL = """
SELECT seq, ts, op, type, id, version, payload,
       ROW_NUMBER() OVER (PARTITION BY type, id ORDER BY seq DESC) AS rn
FROM changes WHERE seq > :h AND seq <= :s"""
# The objects live after change S [DSC-SYN-015]: the compacted state at H overlaid with the tail.
_LIVE_AT = f"""
WITH tail AS MATERIALIZED ({_TAIL})
SELECT type, id, seq FROM tail WHERE rn = 1 AND op = 'upsert'
UNION ALL
SELECT o.type, o.id, o.seq FROM dsp_objects AS o
WHERE NOT EXISTS (SELECT 1 FROM tail AS t WHERE t.type = o.type AND t.id = o.id)"""
_FOLD_UPSERTS = f"""
WITH tail AS ({_TAIL})
INSERT OR REPLACE INTO dsp_objects (type, id, seq, ts, version, payload)
SELECT type, id, seq, ts, version, payload FROM tail WHERE rn = 1 AND op = 'upsert'"""
_FOLD_DELETES = f"""
DELETE FROM dsp_objects WHERE (type, id) IN (
    SELECT type, id FROM ({_TAIL}) WHERE rn = 1 AND op = 'delete')"""


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the clock must return timezone-aware datetimes")
    return now


def _when(ts: str) -> datetime:
    """The moment of a stored ``ts`` (the registry writes six fraction digits and ``Z``)."""
    return _aware(datetime.fromisoformat(ts))


def _change(row: tuple[Any, ...]) -> Change:
    """A stored row as its envelope; ``ts`` in the form of DSC-SYN-006 (no fraction at a whole
    second), the payload parsed from its canonical bytes [DSC-SYN-007]."""
    seq, ts, op, type_, id_, version, payload = row
    body = None if payload is None else parse(bytes(payload))
    return Change(int(seq), format_ts(_when(ts)), op, type_, id_, int(version), body)


@dataclass(slots=True)
class _Snapshot:
    seq: int
    size: int
    seqs: tuple[int, ...]  # the objects, in (type, id) order, by the seq of their latest upsert
    created: datetime
    used: datetime


class SqliteFeed:
    """The DSP provider over a registry file.  Open it after the registry
    (:meth:`RegistryStore.open <aip.discovery.store.RegistryStore.open>` creates the
    ``changes`` table) and :meth:`close` it after.

    ``clock`` gives the time for retention and snapshot expiry; ``ids`` the snapshot ids (each
    1-128 characters of ``A-Z a-z 0-9 . _ ~ -``, never repeated).  Retention is applied only by
    :meth:`prune` (a write); every other call first drops the snapshots that have expired
    [DSC-SYN-018], exactly at the limits as the reference provider does.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        ids: Callable[[], str] = lambda: secrets.token_urlsafe(18),
        types: Collection[str] = ("acs",),
        retention_count: int = DEFAULT_RETENTION_COUNT,
        retention_age_s: float = DEFAULT_RETENTION_AGE_S,
        snapshot_idle_s: float = DEFAULT_SNAPSHOT_IDLE_S,
        snapshot_max_s: float = DEFAULT_SNAPSHOT_MAX_S,
        busy_timeout_s: float = 10.0,
    ) -> None:
        if min(retention_count, retention_age_s, snapshot_idle_s, snapshot_max_s) <= 0 or not types:
            raise ValueError("retention and snapshot limits must be positive, types non-empty")
        self.path = Path(path)
        self.types = frozenset(types)
        self.clock = clock
        self._ids = ids
        self._count, self._age_s = retention_count, retention_age_s
        self._idle_s, self._max_s = snapshot_idle_s, snapshot_max_s
        self._snapshots: dict[str, _Snapshot] = {}
        self._lock = threading.Lock()
        db = open_durable_sqlite(self.path, timeout=busy_timeout_s)
        try:
            db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
            db.execute("SELECT 1 FROM changes LIMIT 1")  # the registry's table must exist
        except BaseException:
            db.close()
            raise
        self._db = db

    def close(self) -> None:
        """Close the connection (waits for a call in progress on another thread)."""
        with self._lock:
            self._db.close()

    # --- reading -----------------------------------------------------------------------------

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: every statement in it sees the same committed state."""
        self._db.execute("BEGIN")
        try:
            yield self._db
        finally:
            self._db.execute("COMMIT")

    def _horizon(self) -> int:
        row = self._db.execute("SELECT value FROM dsp_state WHERE key = 'horizon'").fetchone()
        return 0 if row is None else int(row[0])

    def _head(self) -> int:
        # AUTOINCREMENT keeps the greatest seq ever given, pruned rows included [DSC-SYN-004]
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
        return max(0 if row is None else int(row[0]), self._horizon())

    def largest_object(self) -> int:
        """Bytes of the largest payload the feed could put in a chunk (0 when none)."""
        with self._lock, self._reading():
            row = self._db.execute(
                "SELECT MAX(m) FROM (SELECT MAX(length(payload)) AS m FROM changes"
                " UNION ALL SELECT MAX(length(payload)) FROM dsp_objects)"
            ).fetchone()
        return int(row[0] or 0)

    @property
    def head(self) -> int:
        """The seq of the newest change (0 before the first), as last committed."""
        with self._lock, self._reading():
            return self._head()

    @property
    def horizon(self) -> int:
        """The smallest ``since`` :meth:`changes` accepts: the greatest seq :meth:`prune`
        discarded, 0 while none is [DSC-SYN-011]."""
        with self._lock, self._reading():
            return self._horizon()

    def _now(self) -> datetime:
        """Read the clock once and drop the expired snapshots [DSC-SYN-018].  Lock held."""
        now = _aware(self.clock())
        self._expire(now)
        return now

    def _expire(self, now: datetime) -> None:
        for sid, snap in list(self._snapshots.items()):
            idle = (now - snap.used).total_seconds()
            if idle > self._idle_s or (now - snap.created).total_seconds() > self._max_s:
                del self._snapshots[sid]

    def changes(self, since: int, limit: int) -> tuple[list[Change], int]:
        """The changes after ``since``, oldest first, at most ``limit``, and the cursor to ask
        from next: the last seq returned, or ``since`` when there is none [DSC-SYN-012].

        Raises CURSOR_EXPIRED, data ``{minSince, headSeq}``, when ``since`` is below the horizon
        or above the head [DSC-SYN-011]; INVALID_PARAMS for a since or limit out of range.
        """
        _check_int(since, "since", 0, MAX_SEQ)
        _check_int(limit, "limit", 1, MAX_LIMIT)
        with self._lock:
            self._now()
            with self._reading() as db:
                horizon, head = self._horizon(), self._head()
                if since < horizon or since > head:
                    raise DiscoveryError(
                        Code.CURSOR_EXPIRED,
                        f"cursor {since} is outside {horizon}..{head}",
                        data={"minSince": encode_seq(horizon), "headSeq": encode_seq(head)},
                    )
                rows = db.execute(
                    "SELECT seq, ts, op, type, id, version, payload FROM changes WHERE seq > ?"
                    " ORDER BY seq LIMIT ?",
                    (since, limit),
                ).fetchall()
        page = [_change(row) for row in rows]
        return page, page[-1].seq if page else since

    def snapshot(self, chunk_size: int, types: Collection[str] | None = None) -> dict[str, Any]:
        """Cut a snapshot at the head S: every object of ``types`` (all offered types when
        ``None``) live after change S, as its latest upsert, in (type, id) code-point order,
        in chunks of ``chunk_size`` [DSC-SYN-015].  Returns chunk 0 (the ``dsp.snapshot``
        result).  Raises INVALID_PARAMS for a chunk size outside 1..10000 or a type not offered
        [DSC-SYN-016] (no snapshot id is used then); ``ValueError`` if ``ids`` repeats or gives
        an unusable id."""
        _check_int(chunk_size, "chunkSize", 1, MAX_CHUNK_SIZE)
        wanted = self.types if types is None else frozenset(types)
        if not wanted <= self.types:
            raise DiscoveryError(
                Code.INVALID_PARAMS, "types names a type this provider does not offer",
                data={"member": "types"},
            )  # fmt: skip
        with self._lock:
            now = self._now()
            sid = self._ids()
            if not _usable_id(sid) or sid in self._snapshots:
                raise ValueError(f"the id generator gave an unusable snapshot id: {sid!r}")
            with self._reading() as db:
                horizon, head = self._horizon(), self._head()
                live = db.execute(_LIVE_AT, {"h": horizon, "s": head}).fetchall()
            keyed = sorted((str(t), str(i), int(s)) for t, i, s in live if t in wanted)
            self._snapshots[sid] = _Snapshot(
                head, chunk_size, tuple(s for _, _, s in keyed), now, now
            )
            return self._chunk(sid, 0)

    def chunk(self, snapshot_id: str, index: int) -> dict[str, Any]:
        """Chunk ``index`` of a snapshot still kept, the same every time [DSC-SYN-017]; each
        call counts as use for the idle limit.  Raises SNAPSHOT_NOT_FOUND (data
        ``{snapshotId}``) for an unknown or expired snapshot or an index past the last chunk,
        INVALID_PARAMS for a negative index."""
        _check_int(index, "index", 0, 2**53 - 1)
        with self._lock:
            now = self._now()
            snap = self._snapshots.get(snapshot_id)
            if snap is None or index >= chunk_total(len(snap.seqs), snap.size):
                raise _not_found(snapshot_id, index)
            snap.used = now
            return self._chunk(snapshot_id, index)

    def _chunk(self, sid: str, index: int) -> dict[str, Any]:
        snap = self._snapshots[sid]
        seqs = snap.seqs[index * snap.size : (index + 1) * snap.size]
        found: dict[int, Change] = {}
        with self._reading() as db:
            for start in range(0, len(seqs), _IN_BATCH):
                part = seqs[start : start + _IN_BATCH]
                marks = ",".join("?" * len(part))
                rows = db.execute(
                    "SELECT seq, ts, op, type, id, version, payload FROM changes"
                    f" WHERE seq IN ({marks}) UNION ALL"
                    " SELECT seq, ts, 'upsert', type, id, version, payload FROM dsp_objects"
                    f" WHERE seq IN ({marks})",
                    (*part, *part),
                ).fetchall()
                found.update((int(row[0]), _change(row)) for row in rows)
        if len(found) != len(seqs) or any(c.op != "upsert" for c in found.values()):
            # Only if someone else pruned past the cut: the consumer takes a new snapshot.
            del self._snapshots[sid]
            raise _not_found(sid, index)
        total = chunk_total(len(snap.seqs), snap.size)
        return chunk_result(sid, snap.seq, index=index, total=total, count=len(snap.seqs),
                            objects=[found[s] for s in seqs])  # fmt: skip

    def info(self) -> dict[str, Any]:
        """The ``dsp.info`` result now [DSC-SYN-020]."""
        with self._lock:
            self._now()
            with self._reading():
                head, horizon = self._head(), self._horizon()
        return info_result(
            types=self.types, head=head, horizon=horizon, retention_count=self._count,
            retention_age_s=self._age_s, snapshot_idle_s=self._idle_s,
            snapshot_max_s=self._max_s,
        )  # fmt: skip

    # --- retention ---------------------------------------------------------------------------

    def prune(self, now: datetime) -> int:
        """Apply retention at ``now`` [DSC-SYN-010]: discard, oldest first, every change that
        has ``retention_count`` newer ones or is older than ``retention_age_s`` (strictly),
        stopping at the first change that is neither, and never past the cut of a snapshot
        still kept (expired snapshots are dropped first).  Discarded changes are folded into the
        compacted log and the horizon moves to the last one, in one transaction per batch of
        at most 5000 changes.  Returns the horizon.  Raises ``sqlite3.Error`` when the file is
        busy past the timeout or on I/O failure (what was committed stays)."""
        _aware(now)
        oldest = now - timedelta(seconds=self._age_s)
        while True:
            with self._lock:
                self._expire(now)
                pin = min((s.seq for s in self._snapshots.values()), default=MAX_SEQ)
                horizon, done = self._prune_batch(oldest, pin)
            if done:
                return horizon

    def _prune_batch(self, oldest: datetime, pin: int) -> tuple[int, bool]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            horizon = self._horizon()
            total = int(db.execute("SELECT COUNT(*) FROM changes").fetchone()[0])
            rows = db.execute(
                "SELECT seq, ts FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                (horizon, _PRUNE_BATCH),
            ).fetchall()
            cut = horizon
            for n, (seq, ts) in enumerate(rows):
                if seq > pin or (total - n <= self._count and _when(ts) >= oldest):
                    break
                cut = int(seq)
            if cut > horizon:
                bounds = {"h": horizon, "s": cut}
                db.execute(_FOLD_UPSERTS, bounds)
                db.execute(_FOLD_DELETES, bounds)
                db.execute("DELETE FROM changes WHERE seq <= ?", (cut,))
                db.execute(
                    "INSERT INTO dsp_state (key, value) VALUES ('horizon', ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (cut,),
                )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        # Another batch only when this one was full and went all the way.
        more = len(rows) == _PRUNE_BATCH and cut == int(rows[-1][0])
        return cut, not more


def _check_int(value: Any, member: str, low: int, high: int) -> None:
    if type(value) is not int or not low <= value <= high:
        raise DiscoveryError(
            Code.INVALID_PARAMS, f"{member} must be an integer from {low} to {high}",
            data={"member": member},
        )  # fmt: skip


def _usable_id(sid: Any) -> bool:
    return type(sid) is str and 0 < len(sid) <= 128 and set(sid) <= _SNAPSHOT_ID_CHARS


def _not_found(sid: str, index: int) -> DiscoveryError:
    return DiscoveryError(
        Code.SNAPSHOT_NOT_FOUND, f"no chunk {index} of {sid}", data={"snapshotId": sid}
    )
