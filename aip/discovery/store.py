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

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aip._files import open_durable_sqlite
from aip.codec import canonicalize, parse
from aip.discovery.filters import flatten, fold
from aip.discovery.query import index_text
from aip.discovery.sync import acs_urn

__all__ = ["MAX_INDEXED", "Published", "RegistryStore", "Writer"]

_FORMAT = "aip-registry/1"
MAX_INDEXED = 256  # longer strings are indexed by their first MAX_INDEXED folded characters
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
    aic UNINDEXED, skill UNINDEXED, name, description, tags, examples, agent,
    tokenize = 'unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE IF NOT EXISTS skills_vocab USING fts5vocab(skills_fts, row);
CREATE TABLE IF NOT EXISTS skill_rows (aic TEXT NOT NULL, row INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS skill_rows_aic ON skill_rows (aic);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, op TEXT NOT NULL,
    type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, payload BLOB);
"""


def _connect(path: Path) -> sqlite3.Connection:
    return open_durable_sqlite(path, cache_kib=65536)  # 64 MiB: the indexes stay in memory


def _key(value: Any) -> str:
    """The facts key of a scalar: ``f:`` + folded text for a string (so an exact match is
    found among its folded equals, then checked), ``e:`` + canonical JSON otherwise."""
    if isinstance(value, str):  # cut: a lookup cut the same way finds a superset [DSC-FLT-026]
        return "f:" + fold(value)[:MAX_INDEXED]
    if value is True or value is False or value is None:
        return "e:" + ("true" if value is True else "false" if value is False else "null")
    if type(value) is int:  # the parser admits only safe integers: their text is canonical
        return f"e:{value}"
    return "e:" + canonicalize(value).decode("utf-8")


def fact_keys(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The (path, key) rows of ``doc`` in the facts index: every scalar, strings cut."""
    return sorted({(path, _key(value)) for path, value in flatten(doc)})


Prepared = tuple[bytes, list[tuple[str, str, str]], list[tuple[str, ...]]]


def prepare(agent: Published) -> Prepared:
    """What :meth:`Writer.publish` stores for ``agent``, computed ahead: its canonical bytes,
    its facts rows and its full-text rows."""
    facts = [(path, key, agent.aic) for path, key in fact_keys(agent.doc)]
    return canonicalize(agent.doc), facts, list(_skill_rows(agent.aic, agent.doc))


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
        doc, facts, skills = prepared if prepared is not None else prepare(agent)
        self._db.execute(
            "INSERT OR REPLACE INTO agents (aic, kind, ontology, active, version, modified, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (agent.aic, agent.kind, agent.ontology, int(agent.active), agent.version,
             agent.modified, doc),
        )  # fmt: skip
        if agent.kind == "entity" and agent.active:
            self._db.executemany("INSERT INTO facts (path, key, aic) VALUES (?, ?, ?)", facts)
            for row in skills:
                cursor = self._db.execute(
                    "INSERT INTO skills_fts (aic, skill, name, description, tags, examples,"
                    " agent) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                self._db.execute(
                    "INSERT INTO skill_rows (aic, row) VALUES (?, ?)", (agent.aic, cursor.lastrowid)
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


def _skill_rows(aic: str, doc: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    agent = index_text(" ".join(str(doc.get(k, "")) for k in ("name", "description")))
    for skill in doc.get("skills", []):
        if not isinstance(skill, dict) or not isinstance(skill.get("id"), str):
            continue
        tags = [t for t in skill.get("tags", []) if isinstance(t, str)]
        examples = [e for e in skill.get("examples", []) if isinstance(e, str)]
        yield (
            aic,
            skill["id"],
            index_text(str(skill.get("name", ""))),
            index_text(str(skill.get("description", ""))),
            index_text(" ".join(tags)),
            index_text(" ".join(examples)),
            agent,
        )


class RegistryStore:
    """An open registry file; see the module docstring for the threading rules."""

    def __init__(self, path: Path, write: sqlite3.Connection, read: sqlite3.Connection) -> None:
        self.path = path
        self._write = write
        self._read = read
        self._lock = threading.Lock()

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
        with self._write:
            self._write.execute("BEGIN IMMEDIATE")
            return work(Writer(self._write))

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

    def candidate_page(
        self, hints: Sequence[Sequence[tuple[str, str, tuple[Any, ...]]]], after: str, limit: int
    ) -> list[str]:
        """Up to ``limit`` AICs after ``after``, in order, with a fact matching every one of
        ``hints`` (each a disjunction, as :func:`~aip.discovery.filters.prefilter` gives):
        the intersection is computed by SQLite, a page at a time."""
        parts: list[str] = []
        args: list[Any] = []
        for hint in hints:
            union: list[str] = []
            for path, kind, values in hint:
                keys = [
                    "f:" + fold(str(v))[:MAX_INDEXED] if kind != "eq" else _key(v) for v in values
                ]
                if kind == "prefix":
                    for key in keys:
                        union.append(
                            "SELECT aic FROM facts WHERE path = ? AND key >= ? AND key < ?"
                            " AND aic > ?"
                        )
                        args += [path, key, key + "\U0010ffff", after]
                else:
                    marks = ",".join("?" * len(keys))
                    union.append(
                        f"SELECT aic FROM facts WHERE path = ? AND key IN ({marks}) AND aic > ?"
                    )
                    args += [path, *keys, after]
            parts.append("SELECT DISTINCT aic FROM (" + " UNION ".join(union) + ")")
        sql = " INTERSECT ".join(parts) + " ORDER BY 1 LIMIT ?"
        return [a for (a,) in self._rows(sql, [*args, limit])]

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

    def recent_entities(self, limit: int) -> list[str]:
        """Active entities, most recently modified first (then by AIC)."""
        return [
            a
            for (a,) in self._rows(
                "SELECT aic FROM agents WHERE kind = 'entity' AND active = 1"
                " ORDER BY modified DESC, aic LIMIT ?",
                (limit,),
            )
        ]

    def document_frequency(self, terms: Sequence[str]) -> dict[str, int]:
        """How many skill rows hold each term (FTS5 vocabulary)."""
        if not terms:
            return {}
        marks = ",".join("?" * len(terms))
        return {
            t: int(n)
            for t, n in self._rows(
                f"SELECT term, doc FROM skills_vocab WHERE term IN ({marks})", list(terms)
            )
        }

    def search(self, match: str, limit: int) -> list[tuple[str, str, float]]:
        """(aic, skill id, bm25) of the best skill rows for an FTS5 ``match`` expression."""
        return [
            (a, s, float(r))
            for a, s, r in self._rows(
                "SELECT aic, skill, bm25(skills_fts, 0, 0, 4.0, 2.0, 3.0, 1.0, 1.0) AS r"
                " FROM skills_fts WHERE skills_fts MATCH ? ORDER BY r, aic, skill LIMIT ?",
                (match, limit),
            )
        ]

    def skill_rows(self) -> int:
        """About how many skills the full-text index holds (rows ever added: O(1))."""
        return int(self._rows("SELECT COALESCE(MAX(rowid), 0) FROM skill_rows")[0][0])


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
