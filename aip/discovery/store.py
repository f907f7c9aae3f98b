"""The registry and discovery index in SQLite (shell: file I/O).

One file (``registry.sqlite3`` in the node's data directory) holds the ontology registrations
and their review state, the published ACS documents (signed by the registry, as canonical
bytes), the facts index the filter language uses (:func:`aip.discovery.filters.flatten`), a
full-text index of skills (FTS5 over the terms of :func:`~aip.discovery.query.index_text`,
BM25 ranking), the allocation counters and
the change feed DSP serves.

Durability: WAL with ``synchronous=FULL``; each :meth:`RegistryStore.write` is one transaction,
and the service groups concurrent requests into one (group commit).  Threads: writes from one
thread at a time (the service's writer); reads from another at the same time, on their own
connection, see the last committed state.
"""

from __future__ import annotations

import heapq
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aip._files import open_durable_sqlite
from aip.codec import canonicalize, parse
from aip.discovery.filters import fold
from aip.discovery.query import match_expression
from aip.discovery.rows import MAX_INDEXED, Rows, RowTemplate, fact_key, fact_keys, rows_of
from aip.discovery.sync import acs_urn

__all__ = ["Candidates", "Published", "RegistryStore", "Writer", "prepare"]

_FORMAT = "aip-registry/2"
_BM25 = "bm25(skills_fts, 4.0, 2.0, 3.0, 1.0, 1.0)"  # name, description, tags, examples, agent
_WIDTH_CAP = 2000  # facts counted per key when choosing which hint drives a candidate scan
Hint = tuple[str, str, tuple[Any, ...]]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS registrations (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, state TEXT NOT NULL, acs BLOB NOT NULL,
    aic TEXT, reason TEXT, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
    aic TEXT PRIMARY KEY, kind TEXT NOT NULL, ontology TEXT NOT NULL, active INTEGER NOT NULL,
    version INTEGER NOT NULL, modified TEXT NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS agents_ontology ON agents (ontology);
CREATE INDEX IF NOT EXISTS agents_modified ON agents (modified);
CREATE TABLE IF NOT EXISTS facts (
    path TEXT NOT NULL, key TEXT NOT NULL, aic TEXT NOT NULL, PRIMARY KEY (path, key, aic))
    WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS skills_fts USING fts5(
    name, description, tags, examples, agent,
    tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE IF NOT EXISTS skill_rows (
    row INTEGER PRIMARY KEY, aic TEXT NOT NULL, skill TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS skill_rows_aic ON skill_rows (aic);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, op TEXT NOT NULL,
    type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, payload BLOB);
"""


def _connect(path: Path) -> sqlite3.Connection:
    return open_durable_sqlite(path, cache_kib=65536)  # 64 MiB: the indexes stay in memory


Prepared = tuple[bytes, Rows]


def prepare(agent: Published, template: RowTemplate | None = None) -> Prepared:
    """What :meth:`Writer.publish` stores for ``agent``, computed ahead: its canonical bytes
    and its index rows (from ``template`` when it is derived from that template's ontology)."""
    rows = rows_of(agent.doc) if template is None else template.rows(agent.doc)
    return canonicalize(agent.doc), rows


@dataclass(frozen=True, slots=True)
class Published:
    """One published document: its AIC, kind, ontology, version and the signed ACS."""

    aic: str
    kind: str
    ontology: str
    active: bool
    version: int
    modified: str
    doc: dict[str, Any]


class Writer:
    """The operations of one write transaction (see :meth:`RegistryStore.write`)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def job(self, n: int) -> None:
        """Start job ``n`` of a batch: a savepoint it can be rolled back to alone."""
        self._db.execute(f"SAVEPOINT job{n}")

    def end_job(self, n: int, *, keep: bool) -> None:
        """End job ``n``: keep its changes, or undo them (the batch goes on)."""
        if not keep:
            self._db.execute(f"ROLLBACK TO job{n}")
        self._db.execute(f"RELEASE job{n}")

    def registration(self, ident: str) -> dict[str, Any] | None:
        """A registration as this transaction sees it."""
        row = self._db.execute(
            "SELECT id, owner, state, acs, aic, reason, updated_at FROM registrations WHERE id = ?",
            (ident,),
        ).fetchone()
        return None if row is None else _registration(row)

    def agent(self, aic: str) -> Published | None:
        """A published document as this transaction sees it."""
        row = self._db.execute(
            "SELECT aic, kind, ontology, active, version, modified, doc FROM agents WHERE aic = ?",
            (aic,),
        ).fetchone()
        return None if row is None else _published(row)

    def entities_of(self, ontology: str) -> list[Published]:
        """The entities derived from ``ontology``, as this transaction sees them."""
        rows = self._db.execute(
            "SELECT aic, kind, ontology, active, version, modified, doc FROM agents"
            " WHERE ontology = ? AND kind = 'entity' ORDER BY aic",
            (ontology,),
        ).fetchall()
        return [_published(row) for row in rows]

    def counter(self, name: str) -> int:
        row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return 0 if row is None else int(row[0])

    def set_counter(self, name: str, value: int) -> None:
        self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def save_registration(
        self,
        ident: str,
        *,
        owner: str,
        state: str,
        acs: dict[str, Any],
        aic: str | None,
        reason: str | None,
        at: str,
    ) -> None:
        self._db.execute(
            "INSERT INTO registrations (id, owner, state, acs, aic, reason, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state,"
            " acs = excluded.acs, aic = excluded.aic, reason = excluded.reason,"
            " updated_at = excluded.updated_at",
            (ident, owner, state, canonicalize(acs), aic, reason, at),
        )

    def publish(
        self, agent: Published, at: str, *, replaces: bool, prepared: Prepared | None = None
    ) -> None:
        """Store the signed document, (re-)index it, and append it to the change feed;
        ``replaces`` says whether an earlier version of it is stored; ``prepared`` is
        :func:`prepare` of ``agent``, done ahead (off the writer thread)."""
        if replaces:
            self._unindex(agent.aic)  # the previous version's facts and full-text rows
        doc, (facts, skills) = prepared if prepared is not None else prepare(agent)
        self._db.execute(
            "INSERT OR REPLACE INTO agents (aic, kind, ontology, active, version, modified, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (agent.aic, agent.kind, agent.ontology, int(agent.active), agent.version,
             agent.modified, doc),
        )  # fmt: skip
        if agent.kind == "entity" and agent.active:
            aic = agent.aic
            self._db.executemany(
                "INSERT INTO facts (path, key, aic) VALUES (?, ?, ?)",
                [(path, key, aic) for path, key in facts],
            )
            for skill, *columns in skills:
                cursor = self._db.execute(
                    "INSERT INTO skills_fts (name, description, tags, examples, agent)"
                    " VALUES (?, ?, ?, ?, ?)",
                    columns,
                )
                self._db.execute(
                    "INSERT INTO skill_rows (row, aic, skill) VALUES (?, ?, ?)",
                    (cursor.lastrowid, aic, skill),
                )
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES ('skills', ?)"
                " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                (len(skills),),
            )
        # [DSC-SYN-021] a withdrawn document leaves the feed as a delete
        op, payload = ("upsert", doc) if agent.active else ("delete", None)
        self._db.execute(
            "INSERT INTO changes (ts, op, type, id, version, payload) VALUES (?, ?, ?, ?, ?, ?)",
            (at, op, "acs", acs_urn(agent.aic), agent.version, payload),
        )

    def _unindex(self, aic: str) -> None:
        row = self._db.execute("SELECT kind, doc FROM agents WHERE aic = ?", (aic,)).fetchone()
        if row is not None and row[0] == "entity":
            self._db.executemany(
                "DELETE FROM facts WHERE path = ? AND key = ? AND aic = ?",
                [(path, key, aic) for path, key in fact_keys(parse(row[1]))],
            )
        rows = self._db.execute("SELECT row FROM skill_rows WHERE aic = ?", (aic,)).fetchall()
        self._db.executemany("DELETE FROM skills_fts WHERE rowid = ?", rows)  # by rowid: no scan
        self._db.execute("DELETE FROM skill_rows WHERE aic = ?", (aic,))
        self._db.execute(
            "UPDATE counters SET value = value - ? WHERE name = 'skills'", (len(rows),)
        )


def _keys(kind: str, values: Sequence[Any]) -> list[str]:
    """The facts keys a hint's values look up (``prefix``: the start of a key range)."""
    return [fact_key(v) if kind == "eq" else "f:" + fold(str(v))[:MAX_INDEXED] for v in values]


class Candidates:
    """Entities matching a set of index hints, in AIC order, a page at a time.

    Plan: the hint with the fewest facts (counted up to :data:`_WIDTH_CAP` per key) drives:
    one ordered range scan per key it looks up; every other exact hint is a probe, an indexed
    point lookup per candidate.  Prefix hints other than the driver are left to the exact
    evaluation that follows (a hint only narrows; leaving one out stays sound)."""

    def __init__(self, store: RegistryStore, hints: Sequence[Sequence[Hint]]) -> None:
        self._store = store
        widths = [sum(store.width(path, kind, _keys(kind, values)) for path, kind, values in hint)
                  for hint in hints]  # fmt: skip
        order = sorted(range(len(hints)), key=lambda n: (widths[n], n))
        self._driver = hints[order[0]]
        probe_sql: list[str] = []
        self._probe_args: list[Any] = []
        for n in order[1:]:
            hint = hints[n]
            if any(kind == "prefix" for _, kind, _ in hint):
                continue
            alternatives = []
            for path, kind, values in hint:
                keys = _keys(kind, values)
                marks = ",".join("?" * len(keys))
                alternatives.append(
                    "EXISTS (SELECT 1 FROM facts p WHERE p.path = ? AND p.key IN"
                    f" ({marks}) AND p.aic = f.aic)"
                )
                self._probe_args += [path, *keys]
            probe_sql.append("(" + " OR ".join(alternatives) + ")")
        self._probes = "".join(" AND " + p for p in probe_sql)

    def page(self, after: str, limit: int) -> list[str]:
        """Up to ``limit`` matching AICs after ``after``, in order."""
        lists: list[list[str]] = []
        for path, kind, values in self._driver:
            for key in _keys(kind, values):
                if kind == "prefix":
                    where, args = "f.key >= ? AND f.key < ?", [key, key + "\U0010ffff"]
                else:
                    where, args = "f.key = ?", [key]
                sql = (
                    f"SELECT f.aic FROM facts f WHERE f.path = ? AND {where} AND f.aic > ?"
                    f"{self._probes} ORDER BY f.aic LIMIT ?"
                )
                rows = self._store._rows(sql, [path, *args, after, *self._probe_args, limit])
                lists.append([a for (a,) in rows])
        out: list[str] = []
        for aic in heapq.merge(*lists):
            if not out or out[-1] != aic:
                out.append(aic)
                if len(out) == limit:
                    break
        return out


class RegistryStore:
    """An open registry file; see the module docstring for the threading rules."""

    def __init__(self, path: Path, write: sqlite3.Connection, read: sqlite3.Connection) -> None:
        self.path = path
        self._write = write
        self._read = read
        self._lock = threading.Lock()
        # Grows after every write transaction: what a reader computed under an older value
        # may be out of date (see FullTextRanker's counts).
        self.generation = 0

    @classmethod
    def open(cls, path: str | Path) -> RegistryStore:
        """Open or create the registry file; ``sqlite3.Error``/``OSError`` on I/O failure."""
        file = Path(path)
        write = _connect(file)
        try:
            write.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
            with write:
                write.execute("BEGIN IMMEDIATE")
                stored = write.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
                if stored is None:
                    write.execute("INSERT INTO meta (key, value) VALUES ('format', ?)", (_FORMAT,))
                elif stored[0] != _FORMAT:
                    raise sqlite3.DatabaseError(f"{file}: format {stored[0]!r}, not {_FORMAT}")
            read = _connect(file)
        except BaseException:
            write.close()
            raise
        return cls(file, write, read)

    def close(self) -> None:
        self._write.close()
        self._read.close()

    def write(self, work: Callable[[Writer], Any]) -> Any:
        """Run ``work`` in one durable transaction; roll back if it raises.  Writer thread only."""
        try:
            with self._write:
                self._write.execute("BEGIN IMMEDIATE")
                return work(Writer(self._write))
        finally:
            self.generation += 1  # after the commit (or the rollback): cached reads are old

    # --- reads -------------------------------------------------------------------------------

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._read.execute(sql, args).fetchall()

    def registration(self, ident: str) -> dict[str, Any] | None:
        rows = self._rows(
            "SELECT id, owner, state, acs, aic, reason, updated_at FROM registrations WHERE id = ?",
            (ident,),
        )
        return None if not rows else _registration(rows[0])

    def counter(self, name: str) -> int:
        """An allocation counter as last committed (0 if never set)."""
        rows = self._rows("SELECT value FROM counters WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else 0

    def owns(self, owner: str, aic: str) -> bool:
        """Whether ``owner`` registered the ontology ``aic``."""
        sql = "SELECT 1 FROM registrations WHERE owner = ? AND aic = ? LIMIT 1"
        return bool(self._rows(sql, (owner, aic)))

    def agent(self, aic: str) -> Published | None:
        rows = self._rows(
            "SELECT aic, kind, ontology, active, version, modified, doc FROM agents WHERE aic = ?",
            (aic,),
        )
        return None if not rows else _published(rows[0])

    def docs(self, aics: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The published documents of ``aics`` that exist, by AIC."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(aics), 500):
            chunk = list(aics[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for aic, doc in self._rows(
                f"SELECT aic, doc FROM agents WHERE aic IN ({marks})", chunk
            ):
                out[aic] = parse(doc)
        return out

    def candidates(self, hints: Sequence[Sequence[Hint]]) -> Candidates:
        """The entities with a fact matching every one of ``hints`` (each a disjunction, as
        :func:`~aip.discovery.filters.prefilter` gives), to read a page at a time."""
        return Candidates(self, hints)

    def active_entities(self, after: str = "", limit: int = 1000) -> list[str]:
        """Active entity AICs in AIC order, after ``after`` (for scans)."""
        return [
            a
            for (a,) in self._rows(
                "SELECT aic FROM agents WHERE kind = 'entity' AND active = 1 AND aic > ?"
                " ORDER BY aic LIMIT ?",
                (after, limit),
            )
        ]

    def recent_entities(
        self, limit: int, after: tuple[str, str] | None = None
    ) -> list[tuple[str, str]]:
        """(modified, aic) of active entities, most recently modified first (then by AIC),
        after the entity ``after`` = (modified, aic) in that order."""
        where, args = "", []
        if after is not None:
            where = " AND (modified < ? OR (modified = ? AND aic > ?))"
            args = [after[0], after[0], after[1]]
        rows = self._rows(
            "SELECT modified, aic FROM agents WHERE kind = 'entity' AND active = 1" + where
            + " ORDER BY modified DESC, aic LIMIT ?",
            [*args, limit],
        )  # fmt: skip
        return [(str(m), str(a)) for m, a in rows]

    def holders(self, term: str, cap: int) -> int:
        """How many skills hold ``term``, counted up to ``cap`` (exact below it)."""
        sql = (
            "SELECT count(*) FROM (SELECT rowid FROM skills_fts WHERE skills_fts MATCH ?"
            " LIMIT ?)"
        )
        return int(self._rows(sql, (match_expression([term]), cap))[0][0])

    def ranked(self, match: str, count: int) -> list[tuple[float, str, str]]:
        """The first ``count`` skills for the FTS5 expression ``match`` (fewer when fewer
        match), as (bm25, aic, skill id) in that order [DSC-ADP-006]."""
        rows = self._rows(
            f"SELECT {_BM25} AS r, s.aic, s.skill FROM skills_fts JOIN skill_rows s"
            " ON s.row = skills_fts.rowid WHERE skills_fts MATCH ? ORDER BY r, s.aic, s.skill"
            " LIMIT ?",
            (match, count),
        )
        return [(float(r), str(a), str(k)) for r, a, k in rows]

    def width(self, path: str, kind: str, keys: Sequence[str]) -> int:
        """How many facts ``keys`` of ``path`` hold (a range from each for ``prefix``),
        counted up to :data:`_WIDTH_CAP` per key: enough to tell a narrow hint from a wide
        one at a bounded cost."""
        total = 0
        for key in keys:
            if kind == "prefix":
                where, args = "key >= ? AND key < ?", [key, key + "\U0010ffff"]
            else:
                where, args = "key = ?", [key]
            sql = f"SELECT count(*) FROM (SELECT 1 FROM facts WHERE path = ? AND {where} LIMIT ?)"
            total += int(self._rows(sql, [path, *args, _WIDTH_CAP])[0][0])
        return total

    def skill_count(self) -> int:
        """How many skills the full-text index holds (a counter kept with the rows: O(1))."""
        return self.counter("skills")

    def registrations(self, state: str | None, after: str, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` registrations with an id after ``after`` ("" for the first page), in
        id order (stable under updates), only those in ``state`` unless it is None; each a
        summary without its ACS: ``{id, owner, state, aic, updatedAt}`` (``aic`` None until
        one is allocated).  For the operator's listing [DSC-REG-009]; any thread."""
        rows = self._rows(
            "SELECT id, owner, state, aic, updated_at FROM registrations"
            " WHERE (?1 IS NULL OR state = ?1) AND id > ?2 ORDER BY id LIMIT ?3",
            (state, after, limit),
        )
        return [
            {"id": ident, "owner": owner, "state": st, "aic": aic, "updatedAt": at}
            for ident, owner, st, aic, at in rows
        ]


def _registration(row: tuple[Any, ...]) -> dict[str, Any]:
    ident, owner, state, acs, aic, reason, at = row
    return {
        "id": ident,
        "owner": owner,
        "state": state,
        "acs": parse(acs),
        "aic": aic,
        "reason": reason,
        "updatedAt": at,
    }


def _published(row: tuple[Any, ...]) -> Published:
    aic, kind, ontology, active, version, modified, doc = row
    return Published(aic, kind, ontology, bool(active), int(version), modified, parse(doc))
