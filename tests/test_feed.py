"""The DSP provider over the registry's SQLite file (aip.discovery.feed; spec DSC-SYN).

SqliteFeed answers the provider sequences of ``spec/vectors/discovery/sync.json`` exactly as
the reference MemoryFeed does, and agrees with it step by step on random sequences; retention
by count and by age at the exact boundary, the compacted log that keeps snapshots whole after
pruning, snapshots held by a live cut, consistent cuts while the registry writes on another
thread, expiry, reopening; and a Replica following it through the registry's own write path
ends equal to the published documents.

How the file is seeded: the vector sequences use payloads and a second type (``ont``) the
registry's ``Writer.publish`` cannot produce, so :class:`Seeded` inserts rows straight into the
registry's ``changes`` table, in the registry's own row format (``ts`` with six fraction digits,
canonical payload bytes, version = previous + 1, deletes only of live objects).  The property
test and the concurrency test go through ``Writer.publish`` itself.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aip.codec import canonicalize
from aip.discovery.feed import SqliteFeed
from aip.discovery.store import Published, RegistryStore
from aip.discovery.sync import (
    Change,
    MemoryFeed,
    Replica,
    acs_urn,
    decode_changes_result,
    encode_change,
    encode_changes_result,
)
from aip.errors import AipError, Code, DiscoveryError
from conformance.ops.sync import run_feed
from tests.helpers import code_of

REPO = Path(__file__).resolve().parent.parent
VECTORS = json.loads((REPO / "spec/vectors/discovery/sync.json").read_text(encoding="utf-8"))
FEED_CASES = [c for c in VECTORS["cases"] if c["operation"] == "sync.feed"]
T0 = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)


def registry_ts(moment: datetime) -> str:
    """``ts`` as the registry stores it (service._iso): always six fraction digits."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def ids(prefix: str = "snap") -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"{prefix}-{n}"


def open_feed(path: Path, clock: Clock, **kw: Any) -> tuple[RegistryStore, SqliteFeed]:
    store = RegistryStore.open(path)
    made = ids()
    return store, SqliteFeed(path, clock=clock, ids=lambda: next(made), **kw)


class Seeded:
    """A SqliteFeed with the write side of the MemoryFeed interface, so that
    :func:`conformance.ops.sync.run_feed` can drive it: writes are rows inserted the way the
    registry inserts them; retention is applied before every call and after every write, as the
    reference provider applies it."""

    def __init__(self, feed: SqliteFeed, clock: Clock) -> None:
        self.feed, self.clock, self.types = feed, clock, feed.types
        self._db = sqlite3.connect(feed.path, isolation_level=None, timeout=10)
        self._versions: dict[tuple[str, str], int] = {}
        self._live: set[tuple[str, str]] = set()

    def close(self) -> None:
        self._db.close()

    def _append(self, op: str, type_: str, id_: str, payload: Any) -> Change:
        if type_ not in self.types:
            raise DiscoveryError(Code.INVALID_PARAMS, "type not offered")
        if op == "upsert" and not isinstance(payload, dict):
            raise DiscoveryError(Code.INVALID_PARAMS, "FULL_JSON only")
        if op == "delete" and (type_, id_) not in self._live:
            raise DiscoveryError(Code.AGENT_NOT_FOUND, "not live")
        key = (type_, id_)
        version = self._versions.get(key, 0) + 1
        cursor = self._db.execute(
            "INSERT INTO changes (ts, op, type, id, version, payload) VALUES (?, ?, ?, ?, ?, ?)",
            (registry_ts(self.clock()), op, type_, id_, version,
             None if payload is None else canonicalize(payload)),
        )  # fmt: skip
        self._versions[key] = version
        (self._live.add if op == "upsert" else self._live.discard)(key)
        seq = int(cursor.lastrowid or 0)
        self.feed.prune(self.clock())
        page, _ = self.feed.changes(seq - 1, 1)  # as the feed serves it
        return page[0]

    def upsert(self, type_: str, id_: str, payload: dict[str, Any]) -> Change:
        return self._append("upsert", type_, id_, payload)

    def delete(self, type_: str, id_: str) -> Change:
        return self._append("delete", type_, id_, None)

    def changes(self, since: int, limit: int) -> tuple[list[Change], int]:
        self.feed.prune(self.clock())
        return self.feed.changes(since, limit)

    def snapshot(self, chunk_size: int, types: Any = None) -> dict[str, Any]:
        self.feed.prune(self.clock())
        return self.feed.snapshot(chunk_size, types)

    def chunk(self, snapshot_id: str, index: int) -> dict[str, Any]:
        self.feed.prune(self.clock())
        return self.feed.chunk(snapshot_id, index)

    def info(self) -> dict[str, Any]:
        self.feed.prune(self.clock())
        return self.feed.info()


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Seeded, Clock]]:
    clock = Clock()
    store, feed = open_feed(tmp_path / "r.sqlite3", clock, retention_count=3)
    seed = Seeded(feed, clock)
    yield seed, clock
    seed.close()
    feed.close()
    store.close()


# ---------------------------------------------------------------- the vector sequences


@pytest.mark.parametrize("case", FEED_CASES, ids=lambda c: c["id"])
def test_feed_vectors(case: dict[str, Any], tmp_path: Path) -> None:
    # [DSC-SYN-004] [DSC-SYN-005] [DSC-SYN-010] [DSC-SYN-011] [DSC-SYN-012] [DSC-SYN-015]
    # [DSC-SYN-017] [DSC-SYN-018] [DSC-SYN-020]: every sync.feed vector, answered by SQLite
    data = case["input"]
    config, steps = data["config"], data["steps"]
    clock = Clock(datetime.fromisoformat(steps[0]["at"]))
    given_ids = iter(data.get("ids", []))
    store = RegistryStore.open(tmp_path / "r.sqlite3")
    feed = SqliteFeed(
        store.path, clock=clock, ids=lambda: next(given_ids),
        types=config.get("types", ["acs"]),
        retention_count=config["retentionCount"],
        retention_age_s=config["retentionAgeSeconds"],
        snapshot_idle_s=config.get("snapshotIdleSeconds", 7200),
        snapshot_max_s=config.get("snapshotMaxSeconds", 86400),
    )  # fmt: skip
    seed = Seeded(feed, clock)
    try:

        def set_now(moment: datetime) -> None:
            clock.now = moment

        assert run_feed(seed, steps, set_now) == case["expected"]["results"]
    finally:
        seed.close()
        feed.close()
        store.close()


# ---------------------------------------------------------------- against MemoryFeed

KEYS = [("acs", acs_urn(f"AGENT.{i}")) for i in range(4)] + [("ont", acs_urn("ONTO.1"))]
STEP = st.one_of(
    st.tuples(st.just("upsert"), st.integers(0, len(KEYS) - 1), st.integers(0, 99)),
    st.tuples(st.just("delete"), st.integers(0, len(KEYS) - 1), st.just(0)),
    st.tuples(st.just("changes"), st.integers(0, 30), st.integers(1, 4)),
    st.tuples(st.just("snapshot"), st.integers(1, 3), st.just(0)),
    st.tuples(st.just("info"), st.just(0), st.just(0)),
    st.tuples(st.just("tick"), st.integers(0, 40), st.just(0)),
)


def _answer(fn: Any, *args: Any) -> Any:
    try:
        out = fn(*args)
    except AipError as exc:
        return {"error": int(exc.code), "data": exc.data}
    if isinstance(out, Change):
        return encode_change(out)
    if isinstance(out, tuple):
        return encode_changes_result(*out)
    return out


@settings(max_examples=60)
@given(
    count=st.integers(1, 6),
    age=st.integers(5, 60),
    steps=st.lists(STEP, max_size=40),
)
def test_agrees_with_memory_feed(count: int, age: int, steps: list[tuple[str, int, int]]) -> None:
    # [DSC-SYN-010] [DSC-SYN-011] [DSC-SYN-012] [DSC-SYN-015] [DSC-SYN-020]: step by step,
    # the same answers (errors with their data) as the reference provider.  A snapshot is
    # fetched whole at once and expires (idle 1 s) before the next step, so neither provider
    # holds one while retention applies (SqliteFeed would keep more then: see the pin test).
    clock = Clock()
    mem_ids, sql_ids = ids(), ids()
    memory = MemoryFeed(retention_count=count, retention_age_s=age, clock=clock,
                        ids=lambda: next(mem_ids), types=("acs", "ont"), snapshot_idle_s=1,
                        snapshot_max_s=2)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        store = RegistryStore.open(Path(tmp) / "r.sqlite3")
        feed = SqliteFeed(store.path, clock=clock, ids=lambda: next(sql_ids), types=("acs", "ont"),
                          retention_count=count, retention_age_s=age, snapshot_idle_s=1,
                          snapshot_max_s=2)  # fmt: skip
        seed = Seeded(feed, clock)
        try:
            for op, a, b in steps:
                if op == "tick":
                    clock.now += timedelta(seconds=a)
                elif op in ("upsert", "delete"):
                    type_, id_ = KEYS[a]
                    args = (type_, id_, {"n": b}) if op == "upsert" else (type_, id_)
                    assert _answer(getattr(seed, op), *args) == _answer(getattr(memory, op), *args)
                elif op == "changes":
                    assert _answer(seed.changes, a, b) == _answer(memory.changes, a, b)
                elif op == "info":
                    assert seed.info() == memory.info()
                else:
                    first = seed.snapshot(a)
                    assert first == memory.snapshot(a)
                    for index in range(1, first["chunkTotal"] + 1):  # one past the end too
                        assert _answer(seed.chunk, first["snapshotId"], index) == _answer(
                            memory.chunk, first["snapshotId"], index
                        )
                    clock.now += timedelta(seconds=3)
            assert (feed.head, feed.horizon) == (memory.head, memory.horizon)
        finally:
            seed.close()
            feed.close()
            store.close()


# ---------------------------------------------------------------- retention


def test_retention_by_count_boundary(seeded: tuple[Seeded, Clock]) -> None:  # [DSC-SYN-010]
    seed, _ = seeded
    for n in range(5):
        seed.upsert("acs", acs_urn(f"A.{n}"), {"n": n})
    feed = seed.feed
    assert (feed.head, feed.horizon) == (5, 2)  # 3 kept: 3, 4, 5
    page, next_seq = feed.changes(2, 10)  # [DSC-SYN-011] since = H is answered
    assert ([c.seq for c in page], next_seq) == ([3, 4, 5], 5)
    with pytest.raises(AipError) as info:
        feed.changes(1, 10)
    assert info.value.code is Code.CURSOR_EXPIRED
    assert info.value.data == {"minSince": "2", "headSeq": "5"}
    assert code_of(feed.changes, 6, 10) == Code.CURSOR_EXPIRED  # past the head
    assert feed.info()["minSince"] == "2"


def test_retention_by_age_boundary(tmp_path: Path) -> None:  # [DSC-SYN-010] [DSC-SYN-006]
    clock = Clock()
    store, feed = open_feed(tmp_path / "r.sqlite3", clock, retention_age_s=60)
    seed = Seeded(feed, clock)
    try:
        seed.upsert("acs", acs_urn("A"), {"n": 1})
        clock.now += timedelta(microseconds=250_000)
        second = seed.upsert("acs", acs_urn("B"), {"n": 2})
        assert second.ts == "2026-11-21T10:00:00.250000Z"  # a fraction: six digits
        assert feed.changes(0, 1)[0][0].ts == "2026-11-21T10:00:00Z"  # whole second: none
        assert feed.prune(T0 + timedelta(seconds=60)) == 0  # exactly 60 s old: kept
        assert feed.prune(T0 + timedelta(seconds=60, microseconds=1)) == 1
        assert feed.prune(T0 + timedelta(seconds=60, microseconds=250_000)) == 1
        assert feed.prune(T0 + timedelta(seconds=61)) == 2  # everything gone: H = head
        assert feed.changes(2, 10) == ([], 2)
        assert code_of(feed.changes, 1, 10) == Code.CURSOR_EXPIRED
    finally:
        seed.close()
        feed.close()
        store.close()


def test_pruned_objects_stay_in_snapshots(seeded: tuple[Seeded, Clock]) -> None:
    # [DSC-SYN-015] the compacted log: an object whose changes were all discarded is still in
    # every snapshot, as its latest upsert; a deleted one is not; a re-created one goes on
    seed, _ = seeded
    a, b, c = acs_urn("A"), acs_urn("B"), acs_urn("C")
    seed.upsert("acs", a, {"n": 1})
    seed.upsert("acs", b, {"n": 2})
    seed.upsert("acs", a, {"n": 3})
    seed.delete("acs", b)
    for n in range(3):  # pushes 1..4 out (count 3)
        seed.upsert("acs", c, {"n": 10 + n})
    assert seed.feed.horizon == 4
    snap = seed.snapshot(10)
    assert [(o["id"], o["seq"], o["version"], o["payload"]) for o in snap["objects"]] == [
        (a, "3", 2, {"n": 3}),
        (c, "7", 3, {"n": 12}),
    ]
    again = seed.upsert("acs", b, {"n": 4})
    assert again.version == 3  # after its delete (the registry numbers it) [DSC-SYN-005]
    assert [o["id"] for o in seed.snapshot(1)["objects"]] == [a]


def test_a_kept_snapshot_holds_the_horizon(seeded: tuple[Seeded, Clock]) -> None:
    # [DSC-SYN-017] [DSC-SYN-018] chunks stay identical while pruning is held at the cut;
    # once the snapshot expires, retention catches up
    seed, clock = seeded
    feed = seed.feed
    for n in range(3):
        seed.upsert("acs", acs_urn(f"A.{n}"), {"n": n})
    first = feed.snapshot(1)
    assert first["seq"] == "3"
    for n in range(3):
        seed.upsert("acs", acs_urn(f"A.{n}"), {"n": 10 + n})
    assert feed.horizon == 3  # would be 3 anyway: the cut
    for n in range(3):
        seed.upsert("acs", acs_urn(f"B.{n}"), {"n": n})
    assert feed.horizon == 3  # held at the cut (count 3 would say 6)
    chunks = [feed.chunk(first["snapshotId"], i) for i in range(3)]
    assert chunks[0] == first
    assert [c["objects"][0]["payload"] for c in chunks] == [{"n": 0}, {"n": 1}, {"n": 2}]
    clock.now += timedelta(seconds=7201)  # idle past the limit
    assert feed.prune(clock()) == 6
    assert code_of(feed.chunk, first["snapshotId"], 0) == Code.SNAPSHOT_NOT_FOUND


def test_snapshot_expiry_and_refusals(tmp_path: Path) -> None:  # [DSC-SYN-016] [DSC-SYN-018]
    clock = Clock()
    store, feed = open_feed(tmp_path / "r.sqlite3", clock, snapshot_idle_s=60,
                            snapshot_max_s=150)  # fmt: skip
    try:
        sid = feed.snapshot(5)["snapshotId"]
        assert sid == "snap-1"
        for seconds in (60, 120, 150):  # used every 60 s: lives to exactly 150 s
            clock.now = T0 + timedelta(seconds=seconds)
            assert feed.chunk(sid, 0)["snapshotId"] == sid
        clock.now = T0 + timedelta(seconds=150, microseconds=1)
        with pytest.raises(AipError) as info:
            feed.chunk(sid, 0)
        assert info.value.code is Code.SNAPSHOT_NOT_FOUND
        assert info.value.data == {"snapshotId": sid}
        assert code_of(feed.chunk, "snap-2", 0) == Code.SNAPSHOT_NOT_FOUND
        assert code_of(feed.snapshot, 5, ["ont"]) == Code.INVALID_PARAMS
        assert code_of(feed.snapshot, 0) == Code.INVALID_PARAMS
        assert feed.snapshot(5)["snapshotId"] == "snap-2"  # refusals took no id
        assert code_of(feed.chunk, "snap-2", -1) == Code.INVALID_PARAMS
        assert code_of(feed.chunk, "snap-2", 1) == Code.SNAPSHOT_NOT_FOUND
        assert code_of(feed.changes, -1, 10) == Code.INVALID_PARAMS
        assert code_of(feed.changes, 0, 10_001) == Code.INVALID_PARAMS
    finally:
        feed.close()
        store.close()


def test_bad_ids_and_clocks(tmp_path: Path) -> None:
    store = RegistryStore.open(tmp_path / "r.sqlite3")
    try:
        repeat = SqliteFeed(store.path, clock=Clock(), ids=lambda: "same")
        repeat.snapshot(1)
        with pytest.raises(ValueError, match="snapshot id"):
            repeat.snapshot(1)
        repeat.close()
        bad = SqliteFeed(store.path, clock=Clock(), ids=lambda: "no/slash")
        with pytest.raises(ValueError, match="snapshot id"):
            bad.snapshot(1)
        bad.close()
        naive = SqliteFeed(store.path, clock=lambda: datetime(2026, 1, 1))
        with pytest.raises(ValueError, match="aware"):
            naive.info()
        naive.close()
        with pytest.raises(ValueError, match="positive"):
            SqliteFeed(store.path, retention_count=0)
    finally:
        store.close()
    with pytest.raises(sqlite3.OperationalError):  # no registry file there
        SqliteFeed(tmp_path / "elsewhere.sqlite3")


def test_reopen_keeps_the_horizon_not_the_snapshots(tmp_path: Path) -> None:  # [DSC-SYN-011]
    clock = Clock()
    store, feed = open_feed(tmp_path / "r.sqlite3", clock, retention_count=1)
    seed = Seeded(feed, clock)
    for n in range(3):
        seed.upsert("acs", acs_urn(f"A.{n}"), {"n": n})
    sid = feed.snapshot(10)["snapshotId"]
    seed.close()
    feed.close()
    again = SqliteFeed(store.path, clock=clock, retention_count=1)
    try:
        assert (again.head, again.horizon) == (3, 2)
        assert again.prune(clock()) == 2
        assert code_of(again.chunk, sid, 0) == Code.SNAPSHOT_NOT_FOUND
        assert again.snapshot(10)["objectCount"] == 3
    finally:
        again.close()
        store.close()


# ---------------------------------------------------------------- through the registry's writes


def publish(store: RegistryStore, aic: str, rev: int, *, active: bool, at: datetime) -> None:
    """What Registry._publish stores: the next version of ``aic`` (deletes counted)."""
    previous = store.agent(aic)
    version = 1 if previous is None else previous.version + 1
    doc = {"aic": aic, "rev": rev, "active": active}
    entry = Published(aic, "ontology", aic, active, version, registry_ts(at), doc)
    store.write(lambda w: w.publish(entry, registry_ts(at), replaces=previous is not None))


def live_documents(store: RegistryStore) -> dict[tuple[str, str], dict[str, Any]]:
    rows = store._rows("SELECT aic, doc FROM agents WHERE active = 1")
    return {("acs", acs_urn(aic)): json.loads(doc) for aic, doc in rows}


def take_snapshot(feed: SqliteFeed, replica: Replica, size: int) -> None:
    first = feed.snapshot(size)
    replica.apply_snapshot_chunk(first)
    for index in range(1, first["chunkTotal"]):
        replica.apply_snapshot_chunk(feed.chunk(first["snapshotId"], index))


def follow(feed: SqliteFeed, replica: Replica, size: int, pages: int = 10**6) -> None:
    """The consumer's loop [DSC-SYN-019]: pages from the cursor, over the wire form; a
    snapshot when the cursor has expired."""
    for _ in range(pages):
        try:
            page = encode_changes_result(*feed.changes(replica.cursor, 2))
        except AipError as exc:
            assert exc.code is Code.CURSOR_EXPIRED
            take_snapshot(feed, replica, size)
            continue
        replica.apply_changes(*decode_changes_result(page))
        if not page["changes"]:
            return


AGENTS = [f"AGENT.{i}" for i in range(5)]
WRITE = st.one_of(
    st.tuples(st.just("publish"), st.integers(0, len(AGENTS) - 1)),
    st.tuples(st.just("withdraw"), st.integers(0, len(AGENTS) - 1)),
    st.tuples(st.just("prune"), st.just(0)),
    st.tuples(st.just("sync"), st.integers(1, 3)),
    st.tuples(st.just("snapshot"), st.integers(1, 3)),
)


@settings(max_examples=40)
@given(count=st.integers(1, 8), size=st.integers(1, 4), steps=st.lists(WRITE, max_size=30))
def test_replica_converges_on_registry_writes(
    count: int, size: int, steps: list[tuple[str, int]]
) -> None:
    # [DSC-SYN-008] [DSC-SYN-009] [DSC-SYN-015] [DSC-SYN-019] [DSC-SYN-021]: publish and
    # withdraw through Writer.publish, prune at random (cursors expire), snapshots interleaved
    # with writes between their chunks; at the end the replica holds exactly the live documents
    clock = Clock()
    rev = 0
    with tempfile.TemporaryDirectory() as tmp:
        store = RegistryStore.open(Path(tmp) / "r.sqlite3")
        made = ids()
        feed = SqliteFeed(store.path, clock=clock, ids=lambda: next(made), retention_count=count)
        replica = Replica()
        try:
            for op, n in steps:
                clock.now += timedelta(seconds=1)
                if op == "publish":
                    rev += 1
                    publish(store, AGENTS[n], rev, active=True, at=clock())
                elif op == "withdraw":
                    found = store.agent(AGENTS[n])
                    if found is not None and found.active:
                        publish(store, AGENTS[n], rev, active=False, at=clock())
                elif op == "prune":
                    feed.prune(clock())
                elif op == "sync":
                    follow(feed, replica, size, pages=n)
                else:  # a snapshot whose later chunks come after more writes and a prune
                    first = feed.snapshot(size)
                    rev += 1
                    publish(store, AGENTS[n], rev, active=True, at=clock())
                    feed.prune(clock())
                    replica.apply_snapshot_chunk(first)
                    for index in range(1, first["chunkTotal"]):
                        replica.apply_snapshot_chunk(feed.chunk(first["snapshotId"], index))
            feed.prune(clock())
            follow(feed, replica, size)
            assert replica.objects == live_documents(store)
            assert replica.cursor == feed.head
        finally:
            feed.close()
            store.close()


def test_snapshots_are_consistent_cuts_under_concurrent_writes(tmp_path: Path) -> None:
    # [DSC-SYN-015] [DSC-SYN-017]: while another thread publishes and withdraws, every
    # snapshot is exactly the state after its seq, however late its chunks are fetched
    store = RegistryStore.open(tmp_path / "r.sqlite3")
    feed = SqliteFeed(store.path, clock=Clock())
    done, taken, released = threading.Event(), threading.Event(), threading.Event()
    writes = 120

    def writer() -> None:
        for n in range(writes):
            if n % 20 == 0 and not released.is_set():  # let a snapshot in: the cuts differ
                taken.wait(timeout=10)
                taken.clear()
            aic = AGENTS[n % len(AGENTS)]
            found = store.agent(aic)
            active = not (found is not None and found.active and n % 3 == 0)
            publish(store, aic, n, active=active, at=T0 + timedelta(seconds=n))
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    firsts: list[dict[str, Any]] = []
    try:
        while not done.is_set() and len(firsts) < 500:
            firsts.append(feed.snapshot(2))
            taken.set()
        released.set()
        taken.set()
        thread.join(timeout=30)
        assert not thread.is_alive()
        log, _ = feed.changes(0, 10_000)
        assert len(log) == writes
        assert len({f["seq"] for f in firsts}) > 1  # the writer moved on between snapshots
        for first in firsts:
            cut = int(first["seq"])
            state = {c.id: c for c in log if c.seq <= cut}  # the last change of each, at cut
            want = [encode_change(state[k]) for k in sorted(state) if state[k].op == "upsert"]
            got = list(first["objects"])
            for index in range(1, first["chunkTotal"]):
                got += feed.chunk(first["snapshotId"], index)["objects"]
            assert got == want
            assert first["objectCount"] == len(want)
    finally:
        released.set()
        taken.set()
        thread.join(timeout=30)
        feed.close()
        store.close()
