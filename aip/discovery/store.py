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
from aip.discovery.rows import (
    MAX_INDEXED,
    Fact,
    RowTemplate,
    SkillRow,
    fact_key,
    fact_keys,
    rows_of,
)
from aip.discovery.sync import acs_urn

__all__ = ["Candidates", "Prepared", "Published", "RegistryStore", "Shared", "Writer", "prepare"]

_FORMAT = "aip-registry/3"
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
CREATE TABLE IF NOT EXISTS templates (
    id INTEGER PRIMARY KEY, ontology TEXT NOT NULL, version INTEGER NOT NULL,
    members TEXT NOT NULL, UNIQUE (ontology, version, members));
CREATE TABLE IF NOT EXISTS template_facts (
    path TEXT NOT NULL, key TEXT NOT NULL, template INTEGER NOT NULL,
    PRIMARY KEY (path, key, template)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inherits (
    aic TEXT PRIMARY KEY, template INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS inherits_template ON inherits (template, aic);
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


@dataclass(frozen=True, slots=True)
class Shared:
    """Facts an entity shares with others derived alike: those of the ``members`` it took
    unchanged from version ``version`` of ``ontology``."""

    ontology: str
    version: int
    members: tuple[str, ...]
    facts: list[Fact]


@dataclass(frozen=True, slots=True)
class Prepared:
    """What :meth:`Writer.publish` stores for a document, computed ahead (off the writer
    thread): its canonical bytes, its own facts, its full-text rows, and the facts it shares
    (None: every fact is its own)."""

    doc: bytes
    facts: list[Fact]
    skills: list[SkillRow]
    shared: Shared | None = None


def prepare(agent: Published, template: RowTemplate | None = None, version: int = 0) -> Prepared:
    """:class:`Prepared` of ``agent``; with ``template`` (built from version ``version`` of
    its ontology) the members it took unchanged are indexed once for all entities alike."""
    doc = canonicalize(agent.doc)
    if template is None:
        facts, skills = rows_of(agent.doc)
        return Prepared(doc, facts, skills)
    split = template.split(agent.doc)
    if not split.inherited:
        return Prepared(doc, split.own, split.skills)
    shared = Shared(agent.ontology, version, split.inherited, split.shared)
    return Prepared(doc, split.own, split.skills, shared)


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
        ready = prepared if prepared is not None else prepare(agent)
        doc, facts, skills = ready.doc, ready.facts, ready.skills
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
            if ready.shared is not None:  # the rest of its facts: its template's
                template = self._template(ready.shared)
                self._db.execute(
                    "INSERT INTO inherits (aic, template) VALUES (?, ?)", (aic, template)
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

    def _template(self, shared: Shared) -> int:
        """The id of the template of ``shared``, stored with its facts on first use."""
        members = canonicalize(list(shared.members)).decode("utf-8")
        key = (shared.ontology, shared.version, members)
        row = self._db.execute(
            "SELECT id FROM templates WHERE ontology = ? AND version = ? AND members = ?", key
        ).fetchone()
        if row is not None:
            return int(row[0])
        cursor = self._db.execute(
            "INSERT INTO templates (ontology, version, members) VALUES (?, ?, ?)", key
        )
        template = int(cursor.lastrowid or 0)
        self._db.executemany(
            "INSERT INTO template_facts (path, key, template) VALUES (?, ?, ?)",
            [(path, fact, template) for path, fact in shared.facts],
        )
        return template

    def _unindex(self, aic: str) -> None:
        row = self._db.execute("SELECT kind, doc FROM agents WHERE aic = ?", (aic,)).fetchone()
        if row is not None and row[0] == "entity":
            self._db.executemany(
                "DELETE FROM facts WHERE path = ? AND key = ? AND aic = ?",
                [(path, key, aic) for path, key in fact_keys(parse(row[1]))],
            )
        self._db.execute("DELETE FROM inherits WHERE aic = ?", (aic,))
        rows = self._db.execute("SELECT row FROM skill_rows WHERE aic = ?", (aic,)).fetchall()
        self._db.executemany("DELETE FROM skills_fts WHERE rowid = ?", rows)  # by rowid: no scan
        self._db.execute("DELETE FROM skill_rows WHERE aic = ?", (aic,))
        self._db.execute(
            "UPDATE counters SET value = value - ? WHERE name = 'skills'", (len(rows),)
        )


def _keys(kind: str, values: Sequence[Any]) -> list[str]:
    """The facts keys a hint's values look up (``prefix``: the start of a key range)."""
    return [fact_key(v) if kind == "eq" else "f:" + fold(str(v))[:MAX_INDEXED] for v in values]


def _key_condition(kind: str, key: str, column: str) -> tuple[str, list[Any]]:
    """SQL matching one looked-up key in ``column`` (a key range from it for ``prefix``)."""
    if kind == "prefix":
        return f"{column} >= ? AND {column} < ?", [key, key + "\U0010ffff"]
    return f"{column} = ?", [key]


_OWN = "EXISTS (SELECT 1 FROM facts p WHERE p.path = ? AND p.key IN ({marks}) AND p.aic = {x})"
_SHARED = (
    "EXISTS (SELECT 1 FROM inherits i2 JOIN template_facts t2 ON t2.template = i2.template"
    " WHERE i2.aic = {x} AND t2.path = ? AND t2.key IN ({marks}))"
)
Alternatives = list[tuple[str, list[str]]]  # (path, keys): a hint as the facts tables see it


def _holds(alternatives: Alternatives, x: str, *, shared: bool) -> tuple[str, list[Any]]:
    """SQL true when entity ``x`` holds one of ``alternatives``: by its own facts, and with
    ``shared`` also through its template."""
    parts: list[str] = []
    args: list[Any] = []
    for path, keys in alternatives:
        marks = ",".join("?" * len(keys))
        parts.append(_OWN.format(marks=marks, x=x))
        args += [path, *keys]
        if shared:
            parts.append(_SHARED.format(marks=marks, x=x))
            args += [path, *keys]
    return "(" + " OR ".join(parts) + ")", args


class Candidates:
    """Entities matching a set of index hints, in AIC order, a page at a time.

    An entity holds a fact either itself (``facts``) or through the template it was derived
    with (``inherits`` → ``template_facts``: the members it took unchanged from its ontology).
    Plan: the hint with the fewest holders (counted up to :data:`_WIDTH_CAP` per key) drives.
    Per key of it: the entities holding it themselves, with every other exact hint as a probe
    (indexed point lookups per candidate); and per template holding it, the entities inheriting
    that template, where each other hint is first decided for the template as a whole: one it
    holds needs no probe, and one it lacks must be held by the entity itself, so the scan is
    driven from those own facts.  Prefix hints other than the driver are left to the exact
    evaluation that follows (a hint only narrows; leaving one out stays sound)."""

    def __init__(self, store: RegistryStore, hints: Sequence[Sequence[Hint]]) -> None:
        self._store = store
        widths = [sum(store.width(path, kind, _keys(kind, values)) for path, kind, values in hint)
                  for hint in hints]  # fmt: skip
        order = sorted(range(len(hints)), key=lambda n: (widths[n], n))
        self._driver = hints[order[0]]
        self._probes: list[Alternatives] = [
            [(path, _keys(kind, values)) for path, kind, values in hints[n]]
            for n in order[1:]
            if not any(kind == "prefix" for _, kind, _ in hints[n])
        ]
        self._template_holds: dict[tuple[int, int], bool] = {}

    def _held_by_template(self, template: int, n: int) -> bool:
        """Whether ``template`` holds probe ``n`` (so every entity inheriting it does)."""
        known = self._template_holds.get((template, n))
        if known is None:
            known = False
            for path, keys in self._probes[n]:
                marks = ",".join("?" * len(keys))
                sql = (
                    "SELECT 1 FROM template_facts WHERE path = ? AND key IN"
                    f" ({marks}) AND template = ? LIMIT 1"
                )
                if self._store._rows(sql, [path, *keys, template]):
                    known = True
                    break
            self._template_holds[(template, n)] = known
        return known

    def _own_stream(self, path: str, kind: str, key: str, after: str, limit: int) -> list[str]:
        where, args = _key_condition(kind, key, "f.key")
        sql = f"SELECT f.aic FROM facts f WHERE f.path = ? AND {where} AND f.aic > ?"
        args = [path, *args, after]
        for probe in self._probes:
            holds, more = _holds(probe, "f.aic", shared=True)
            sql += " AND " + holds
            args += more
        return [a for (a,) in self._store._rows(sql + " ORDER BY f.aic LIMIT ?", [*args, limit])]

    def _template_stream(self, template: int, after: str, limit: int) -> list[str]:
        lacking = [p for n, p in enumerate(self._probes) if not self._held_by_template(template, n)]
        if not lacking:  # every entity of the template matches every hint
            sql = "SELECT aic FROM inherits WHERE template = ? AND aic > ? ORDER BY aic LIMIT ?"
            return [a for (a,) in self._store._rows(sql, [template, after, limit])]
        first, *others = lacking  # held by the entity itself, or not at all: drive from it
        union = " OR ".join(
            f"(f.path = ? AND f.key IN ({','.join('?' * len(keys))}))" for _, keys in first
        )
        args: list[Any] = [template, *(a for path, keys in first for a in (path, *keys)), after]
        sql = (
            "SELECT DISTINCT f.aic FROM facts f JOIN inherits i ON i.aic = f.aic"
            f" WHERE i.template = ? AND ({union}) AND f.aic > ?"
        )
        for probe in others:
            holds, more = _holds(probe, "f.aic", shared=False)
            sql += " AND " + holds
            args += more
        return [a for (a,) in self._store._rows(sql + " ORDER BY f.aic LIMIT ?", [*args, limit])]

    def page(self, after: str, limit: int) -> list[str]:
        """Up to ``limit`` matching AICs after ``after``, in order."""
        lists: list[list[str]] = []
        for path, kind, values in self._driver:
            for key in _keys(kind, values):
                lists.append(self._own_stream(path, kind, key, after, limit))
                where, args = _key_condition(kind, key, "key")
                templates = self._store._rows(
                    f"SELECT DISTINCT template FROM template_facts WHERE path = ? AND {where}",
                    [path, *args],
                )
                lists += [self._template_stream(t, after, limit) for (t,) in templates]
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
        """How many entities hold a fact ``keys`` of ``path`` (a range from each for
        ``prefix``), themselves or through their template, counted up to :data:`_WIDTH_CAP`
        per key and way: enough to tell a narrow hint from a wide one at a bounded cost."""
        total = 0
        for key in keys:
            where, args = _key_condition(kind, key, "key")
            own = f"SELECT count(*) FROM (SELECT 1 FROM facts WHERE path = ? AND {where} LIMIT ?)"
            shared = (
                "SELECT count(*) FROM (SELECT 1 FROM inherits WHERE template IN (SELECT template"
                f" FROM template_facts WHERE path = ? AND {where}) LIMIT ?)"
            )
            for sql in (own, shared):
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
