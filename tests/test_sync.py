"""DSP synchronisation (aip.discovery.sync; spec DSC-SYN).

Codecs for seq and the envelope, the params of the four methods, the reference provider
(retention by count and age with the exact CursorExpired boundary, paging, snapshot cut,
chunks, expiry), the consumer's guards, hypothesis properties for convergence under duplicated,
reordered and re-delivered pages and for recovery after falling behind retention, and our
vector file through the conformance operations.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aip.discovery.sync import (
    MAX_SEQ,
    Change,
    MemoryFeed,
    Replica,
    acs_urn,
    decode_change,
    decode_changes_result,
    decode_seq,
    encode_change,
    encode_changes_result,
    encode_seq,
    format_ts,
    parse_changes_params,
    parse_chunk_params,
    parse_info_params,
    parse_snapshot_params,
)
from aip.errors import AipError, Code
from conformance.ops.sync import OPERATIONS
from conformance.runner import run_case
from conformance.vectors import Case
from tests.helpers import code_of

REPO = Path(__file__).resolve().parent.parent
VECTORS = REPO / "spec" / "vectors" / "discovery" / "sync.json"
OURS = json.loads(VECTORS.read_text(encoding="utf-8"))
T0 = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)
A, B, C = acs_urn("AGENT.A"), acs_urn("AGENT.B"), acs_urn("AGENT.C")


class Clock:
    """A settable clock for a feed."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_feed(clock: Clock | None = None, *, count: int = 10**6, age: float = 10**9,
              **kw: Any) -> MemoryFeed:
    counter = iter(range(10**9))
    return MemoryFeed(retention_count=count, retention_age_s=age, clock=clock or Clock(),
                      ids=lambda: f"snap-{next(counter)}", **kw)


def good_change(**override: Any) -> dict[str, Any]:
    return {"seq": "7", "ts": "2026-11-21T10:00:00Z", "op": "upsert", "type": "acs", "id": A,
            "version": 3, "payload": {"name": "a"}, **override}


# ---------------------------------------------------------------- codecs


@pytest.mark.parametrize("text", ["0", "1", "10", "42001", str(2**53 + 1), str(MAX_SEQ)])
def test_seq_round_trip(text: str) -> None:  # [DSC-SYN-003]
    assert encode_seq(decode_seq(text)) == text


@pytest.mark.parametrize("bad", ["", "00", "01", "-1", "+1", "1.0", " 1", "1\n", str(MAX_SEQ + 1),
                                 "\u0661", "\uff11", "1_000", 1, None, True, 1.0, b"1"])
def test_seq_decode_refuses(bad: Any) -> None:  # [DSC-SYN-003]
    assert code_of(decode_seq, bad) == Code.INVALID_PARAMS


@pytest.mark.parametrize("bad", [-1, MAX_SEQ + 1, True, 1.0, "1"])
def test_seq_encode_refuses(bad: Any) -> None:  # [DSC-SYN-003]
    assert code_of(encode_seq, bad) == Code.INVALID_PARAMS


def test_change_round_trip_and_unknown_members() -> None:  # [DSC-SYN-002]
    wire = good_change()
    change = decode_change({**wire, "future": [1]})
    assert change == Change(7, "2026-11-21T10:00:00Z", "upsert", "acs", A, 3, {"name": "a"})
    assert encode_change(change) == wire
    delete = good_change(op="delete", payload=None)
    assert encode_change(decode_change(delete)) == delete


@pytest.mark.parametrize(("member", "value"), [
    ("seq", 7), ("seq", "0"), ("ts", "2026-11-21T10:00:00+00:00"), ("ts", "2026-13-01T00:00:00Z"),
    ("ts", "2026-11-21T24:00:00Z"), ("op", "merge"), ("type", "Acs"), ("id", "acs:agent"),
    ("id", "urn:x:"), ("id", "urn:-x:a"), ("version", 0), ("version", 2**53), ("version", 2.0),
    ("version", False), ("payload", [{"op": "add", "path": "/a", "value": 1}]), ("payload", 3),
    ("payload", None),
])
def test_change_decode_refuses(member: str, value: Any) -> None:  # [DSC-SYN-002] [DSC-SYN-007]
    assert code_of(decode_change, good_change(**{member: value})) == Code.INVALID_PARAMS


def test_change_decode_refuses_missing_members_and_delete_payload() -> None:  # [DSC-SYN-002]
    for member in good_change():
        wire = {k: v for k, v in good_change().items() if k != member}
        assert code_of(decode_change, wire) == Code.INVALID_PARAMS
    assert code_of(decode_change, good_change(op="delete")) == Code.INVALID_PARAMS
    assert code_of(decode_change, [good_change()]) == Code.INVALID_PARAMS


def test_encode_change_refuses_what_a_provider_must_not_send() -> None:
    change = decode_change(good_change())
    for bad in [Change(0, change.ts, "upsert", "acs", A, 1, {}),
                Change(1, change.ts, "upsert", "acs", A, 1, None),
                Change(1, change.ts, "delete", "acs", A, 1, {}),
                Change(1, "yesterday", "upsert", "acs", A, 1, {})]:
        assert code_of(encode_change, bad) == Code.INVALID_PARAMS


def test_format_ts() -> None:  # [DSC-SYN-006]
    assert format_ts(T0) == "2026-11-21T10:00:00Z"
    assert format_ts(T0 + timedelta(microseconds=5)) == "2026-11-21T10:00:00.000005Z"
    eight = timezone_offset(8)
    assert format_ts(datetime(2026, 11, 21, 18, 0, tzinfo=eight)) == "2026-11-21T10:00:00Z"
    with pytest.raises(ValueError, match="aware"):
        format_ts(datetime(2026, 11, 21))


def timezone_offset(hours: int) -> Any:
    from datetime import timezone

    return timezone(timedelta(hours=hours))


def test_changes_result_codec() -> None:  # [DSC-SYN-012]
    change = decode_change(good_change())
    wire = encode_changes_result([change], 9)
    assert wire == {"changes": [good_change()], "nextSeq": "9"}
    assert decode_changes_result(wire) == ([change], 9)
    for bad in [{"changes": [good_change()], "nextSeq": "6"}, {"changes": {}, "nextSeq": "1"},
                {"changes": []}, {"changes": [], "nextSeq": 1}, []]:
        assert code_of(decode_changes_result, bad) == Code.INVALID_PARAMS


# ---------------------------------------------------------------- params


def test_params_defaults_and_bounds() -> None:  # [DSC-SYN-013] [DSC-SYN-014] [DSC-SYN-016]
    parse_info_params(None)
    parse_info_params({})
    req = parse_changes_params({"since": "5"})
    assert (req.since, req.limit, req.wait_ms) == (5, 1000, 0)
    snap = parse_snapshot_params(None, {"acs"})
    assert (snap.types, snap.chunk_size) == (None, 1000)
    assert parse_chunk_params({"snapshotId": "s", "index": 3}).index == 3
    for bad in [{"since": "5", "limit": 10001}, {"since": "5", "waitMs": 30001}, {"since": 5},
                {"since": "5", "limit": 0}, {"since": "5", "extra": 1}, "since=5"]:
        assert code_of(parse_changes_params, bad) == Code.INVALID_PARAMS
    for bad_snapshot in [{"types": ["ont"]}, {"types": []}, {"chunkSize": 10001},
                         {"types": [["acs"]]}]:
        assert code_of(parse_snapshot_params, bad_snapshot, {"acs"}) == Code.INVALID_PARAMS
    assert code_of(parse_info_params, {"x": 1}) == Code.INVALID_PARAMS


# ---------------------------------------------------------------- the provider


def test_versions_and_deletes() -> None:  # [DSC-SYN-004] [DSC-SYN-005]
    feed = make_feed()
    assert feed.upsert("acs", A, {"n": 1}).version == 1
    assert feed.delete("acs", A).version == 2
    assert code_of(feed.delete, "acs", A) == Code.AGENT_NOT_FOUND
    again = feed.upsert("acs", A, {"n": 2})
    assert (again.seq, again.version) == (3, 3)
    assert code_of(feed.upsert, "ont", A, {}) == Code.INVALID_PARAMS
    assert code_of(feed.upsert, "acs", "not-a-urn", {}) == Code.INVALID_PARAMS
    assert code_of(feed.upsert, "acs", A, [{"op": "remove", "path": "/n"}]) == Code.INVALID_PARAMS
    assert feed.head == 3


def test_payload_is_copied_on_the_way_in() -> None:
    feed = make_feed()
    payload: dict[str, Any] = {"n": [1]}
    feed.upsert("acs", A, payload)
    payload["n"].append(2)
    assert feed.live() == {("acs", A): {"n": [1]}}


def test_retention_by_count_boundary() -> None:  # [DSC-SYN-010] [DSC-SYN-011]
    feed = make_feed(count=3)
    for i in range(5):
        feed.upsert("acs", A, {"i": i})
    assert feed.horizon == 2  # seqs 3, 4, 5 kept: oldest retained 3, minus one
    with pytest.raises(AipError) as err:
        feed.changes(1, 10)
    assert err.value.code == Code.CURSOR_EXPIRED
    assert err.value.data == {"minSince": "2", "headSeq": "5"}
    assert [c.seq for c in feed.changes(2, 10)[0]] == [3, 4, 5]
    assert code_of(feed.changes, 6, 10) == Code.CURSOR_EXPIRED
    assert feed.changes(5, 10) == ([], 5)


def test_retention_by_age_boundary() -> None:  # [DSC-SYN-010] [DSC-SYN-011]
    clock = Clock()
    feed = make_feed(clock, age=60)
    feed.upsert("acs", A, {})
    clock.advance(10)
    feed.upsert("acs", B, {})
    clock.advance(50)  # the first change is exactly 60 s old: kept
    assert [c.seq for c in feed.changes(0, 10)[0]] == [1, 2]
    clock.advance(0.000001)
    assert code_of(feed.changes, 0, 10) == Code.CURSOR_EXPIRED
    assert feed.changes(1, 10) == (feed.changes(1, 10)[0], 2)
    clock.advance(3600)  # everything gone: horizon == head, since == head is still fine
    assert feed.changes(2, 10) == ([], 2)
    assert code_of(feed.changes, 1, 10) == Code.CURSOR_EXPIRED
    assert feed.info()["minSince"] == "2"


def test_changes_paging_and_default_limit() -> None:  # [DSC-SYN-012] [DSC-SYN-013]
    feed = make_feed()
    for i in range(1001):
        feed.upsert("acs", acs_urn(f"A{i % 7}"), {"i": i})
    req = parse_changes_params({"since": "0"})
    page, nxt = feed.changes(req.since, req.limit)
    assert (len(page), nxt) == (1000, 1000)
    seen, cursor = [], 0
    while True:
        page, cursor_next = feed.changes(cursor, 64)
        assert cursor_next == (page[-1].seq if page else cursor)
        if not page:
            break
        seen += [c.seq for c in page]
        cursor = cursor_next
    assert seen == list(range(1, 1002))
    for bad in [(0, 0), (0, 10001), (-1, 1), (True, 1)]:
        assert code_of(feed.changes, *bad) == Code.INVALID_PARAMS


def test_snapshot_is_a_consistent_cut() -> None:  # [DSC-SYN-015] [DSC-SYN-017]
    feed = make_feed()
    for i, key in enumerate([A, B, C]):
        feed.upsert("acs", key, {"i": i})
    feed.delete("acs", B)
    first = feed.snapshot(1)
    feed.upsert("acs", B, {"back": True})
    feed.upsert("acs", A, {"i": 9})
    feed.delete("acs", C)
    chunks = [first] + [feed.chunk(first["snapshotId"], i) for i in range(1, first["chunkTotal"])]
    objects = [o for ch in chunks for o in ch["objects"]]
    assert first["seq"] == "4"
    assert (first["chunkTotal"], first["objectCount"]) == (2, 2)
    assert [(o["id"], o["version"], o["payload"]) for o in objects] == [(A, 1, {"i": 0}),
                                                                         (C, 1, {"i": 2})]
    after, _ = feed.changes(4, 100)
    assert [(c.op, c.id) for c in after] == [("upsert", B), ("upsert", A), ("delete", C)]
    assert feed.chunk(first["snapshotId"], 0) == first
    assert feed.chunk(first["snapshotId"], 1) == chunks[1]
    assert code_of(feed.chunk, first["snapshotId"], 2) == Code.SNAPSHOT_NOT_FOUND
    assert code_of(feed.chunk, "nope", 0) == Code.SNAPSHOT_NOT_FOUND
    assert code_of(feed.snapshot, 0) == Code.INVALID_PARAMS
    assert code_of(feed.snapshot, 10, ["ont"]) == Code.INVALID_PARAMS


def test_chunk_answers_are_not_shared_with_the_feed() -> None:
    feed = make_feed()
    feed.upsert("acs", A, {"n": 1})
    first = feed.snapshot(10)
    first["objects"][0]["payload"]["n"] = 99
    assert feed.chunk(first["snapshotId"], 0)["objects"][0]["payload"] == {"n": 1}


def test_snapshot_expiry_idle_and_lifetime() -> None:  # [DSC-SYN-018]
    clock = Clock()
    feed = make_feed(clock, snapshot_idle_s=60, snapshot_max_s=100)
    sid = feed.snapshot(5)["snapshotId"]
    clock.advance(60)
    feed.chunk(sid, 0)
    clock.advance(40)  # lifetime exactly 100: alive
    feed.chunk(sid, 0)
    clock.advance(0.5)
    assert code_of(feed.chunk, sid, 0) == Code.SNAPSHOT_NOT_FOUND
    idle = feed.snapshot(5)["snapshotId"]
    clock.advance(60.5)
    assert code_of(feed.chunk, idle, 0) == Code.SNAPSHOT_NOT_FOUND


def test_acs_urn() -> None:  # [DSC-SYN-021]
    aic = "1.2.156.3088.1.1.SC64YN.Z5LSGY.1.0NMQ"
    assert acs_urn(aic) == f"urn:aip:acs:{aic}"
    assert decode_change(good_change(id=acs_urn(aic))).id == acs_urn(aic)
    assert code_of(acs_urn, "not an aic") == Code.INVALID_PARAMS


def test_feed_misuse_is_value_error() -> None:
    with pytest.raises(ValueError, match="positive"):
        make_feed(count=0)
    naive = MemoryFeed(retention_count=1, retention_age_s=1, clock=lambda: datetime(2026, 1, 1),
                       ids=lambda: "s")
    with pytest.raises(ValueError, match="aware"):
        naive.upsert("acs", A, {})
    same = MemoryFeed(retention_count=1, retention_age_s=1, clock=Clock(), ids=lambda: "s")
    same.snapshot(1)
    with pytest.raises(ValueError, match="id"):
        same.snapshot(1)


# ---------------------------------------------------------------- the consumer


def ch(seq: int, op: str, id_: str, version: int, payload: dict[str, Any] | None = None) -> Change:
    """A change at T0; an upsert without a payload carries ``{}``."""
    body = (payload or {}) if op == "upsert" else None
    return Change(seq, "2026-11-21T10:00:00Z", op, "acs", id_, version, body)


def test_tombstone_and_cursor_guard() -> None:  # [DSC-SYN-008] [DSC-SYN-009]
    rep = Replica()
    rep.apply_changes([ch(2, "delete", A, 2), ch(1, "upsert", A, 1, {"v": 1})], 2)
    assert rep.objects == {}
    assert rep.versions == {("acs", A): 2}
    assert rep.cursor == 2
    rep.apply_changes([ch(3, "upsert", B, 1, {"b": 1})], 3)
    # a re-snapshot at seq 9 that no longer holds B (deleted meanwhile)
    rep.apply_snapshot_chunk({"snapshotId": "s", "seq": "9", "chunkIndex": 0, "chunkTotal": 1,
                              "objectCount": 1,
                              "objects": [encode_change(ch(8, "upsert", A, 5, {"v": 5}))]})
    assert rep.objects == {("acs", A): {"v": 5}}
    assert rep.cursor == 9
    rep.apply_changes([ch(3, "upsert", B, 1, {"b": 1}), ch(7, "upsert", B, 2, {"b": 2})], 7)
    assert ("acs", B) not in rep.objects  # at or below the cursor
    assert rep.cursor == 9


def test_apply_changes_refuses_a_page_whose_next_seq_is_behind() -> None:
    rep = Replica()
    assert code_of(rep.apply_changes, [ch(5, "upsert", A, 1)], 4) == Code.INVALID_PARAMS
    assert code_of(rep.apply_changes, [ch(5, "upsert", A, 1)], -1) == Code.INVALID_PARAMS
    bad = Change(5, "2026-11-21T10:00:00Z", "upsert", "acs", A, 1, None)
    assert code_of(rep.apply_changes, [bad], 5) == Code.INVALID_PARAMS
    assert (rep.objects, rep.cursor) == ({}, 0)


def test_missing_chunks_and_broken_snapshot() -> None:  # [DSC-SYN-019]
    feed = make_feed()
    for key in [A, B, C]:
        feed.upsert("acs", key, {})
    rep = Replica()
    first = feed.snapshot(2)
    rep.apply_snapshot_chunk(first)
    assert rep.missing_chunks() == (first["snapshotId"], [1])
    broken = {**feed.chunk(first["snapshotId"], 1), "objectCount": 4}
    assert code_of(rep.apply_snapshot_chunk, broken) == Code.INVALID_PARAMS
    rep.apply_snapshot_chunk(feed.chunk(first["snapshotId"], 1))
    assert rep.missing_chunks() is None
    assert rep.objects == feed.live()
    assert rep.cursor == 3


def test_replica_types_filter() -> None:
    feed = make_feed(types=("acs", "ont"))
    feed.upsert("ont", "urn:aip:ont:o", {"k": 1})
    feed.upsert("acs", A, {"k": 2})
    rep = Replica(types={"acs"})
    rep.apply_snapshot_chunk(feed.snapshot(10))
    feed.upsert("ont", "urn:aip:ont:o", {"k": 3})
    rep.apply_changes(*feed.changes(rep.cursor, 10))
    assert rep.objects == {("acs", A): {"k": 2}}
    assert rep.cursor == 3


# ---------------------------------------------------------------- properties

KEYS = [("acs", A), ("acs", B), ("acs", C), ("ont", "urn:aip:ont:onto")]


class World:
    """A provider, a replica following it, and the faults hypothesis draws: page order,
    repeated changes, old pages delivered again, chunk order and repeated chunks."""

    def __init__(self, data: st.DataObject, feed: MemoryFeed, clock: Clock) -> None:
        self.data, self.feed, self.clock = data, feed, clock
        self.replica = Replica()
        self.pages: list[tuple[list[Change], int]] = []
        self.written = 0
        self.expired = 0

    def draw(self, strategy: st.SearchStrategy[Any]) -> Any:
        return self.data.draw(strategy)

    def write(self, tick: float = 0) -> None:
        self.clock.advance(tick)
        key = self.draw(st.sampled_from(KEYS))
        self.written += 1
        if self.draw(st.booleans()) and key in self.feed.live():
            self.feed.delete(*key)
        else:
            self.feed.upsert(key[0], key[1], {"n": self.written})

    def deliver(self, page: list[Change], next_seq: int) -> None:
        repeated = self.draw(st.lists(st.sampled_from(page), max_size=3)) if page else []
        self.replica.apply_changes(self.draw(st.permutations([*page, *repeated])), next_seq)

    def poll(self) -> bool:
        """One changes call from the replica's cursor; False when the page was empty."""
        try:
            page, next_seq = self.feed.changes(self.replica.cursor, self.draw(st.integers(1, 4)))
        except AipError as exc:
            assert exc.code == Code.CURSOR_EXPIRED
            self.expired += 1
            self.resnapshot(interleave=False)
            return True
        self.pages.append((page, next_seq))
        self.deliver(page, next_seq)
        if self.draw(st.booleans()):  # an old page again, perhaps from before a snapshot
            self.deliver(*self.draw(st.sampled_from(self.pages)))
        return bool(page)

    def resnapshot(self, *, interleave: bool) -> None:
        first = self.feed.snapshot(self.draw(st.integers(1, 3)))
        sid, total = first["snapshotId"], first["chunkTotal"]
        fetched = [first]
        for index in self.draw(st.permutations(range(1, total))):
            if interleave and self.draw(st.booleans()):
                self.write()
            fetched.append(self.feed.chunk(sid, index))
            if self.draw(st.booleans()):
                fetched.append(self.feed.chunk(sid, self.draw(st.integers(0, total - 1))))
        for chunk in self.draw(st.permutations(fetched)):
            self.replica.apply_snapshot_chunk(chunk)
        assert self.replica.missing_chunks() is None
        assert self.replica.cursor == int(first["seq"])
        self.replica.apply_snapshot_chunk(self.draw(st.sampled_from(fetched)))  # ignored now

    def settle(self) -> None:
        while self.poll():
            pass
        assert self.replica.objects == self.feed.live()
        assert self.replica.cursor == self.feed.head
        every = self.feed.snapshot(10_000)["objects"]
        held = self.replica.versions
        versions = {k: v for k, v in held.items() if k in self.replica.objects}
        assert versions == {(o["type"], o["id"]): o["version"] for o in every}


PROPERTY = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(st.data())
def test_replica_converges_under_duplication_reordering_and_redelivery(data: st.DataObject) -> None:
    """[DSC-SYN-008] [DSC-SYN-009] [DSC-SYN-015] [DSC-SYN-019]: a snapshot at any point, then
    changes; pages shuffled, with repeats, old pages again; chunks in any order, refetched."""
    clock = Clock()
    world = World(data, make_feed(clock, types=("acs", "ont")), clock)
    steps = data.draw(st.integers(0, 25))
    snap_at = data.draw(st.integers(0, steps))
    for i in range(steps + 1):
        if i == snap_at:
            world.resnapshot(interleave=True)
        if i < steps:
            world.write()
        if data.draw(st.booleans()):
            world.poll()
    world.settle()
    assert world.expired == 0
    event(f"snapshot at step {'0' if snap_at == 0 else 'end' if snap_at == steps else 'middle'}")


@PROPERTY
@given(st.data())
def test_replica_behind_retention_recovers_by_snapshot(data: st.DataObject) -> None:
    """[DSC-SYN-010] [DSC-SYN-011] [DSC-SYN-019]: retention by count and age drops what the
    replica has not read; it gets CursorExpired, re-snapshots, and ends equal."""
    clock = Clock()
    feed = make_feed(clock, count=data.draw(st.integers(1, 4)), age=100, types=("acs", "ont"))
    world = World(data, feed, clock)
    for _ in range(data.draw(st.integers(0, 30))):
        world.write(tick=data.draw(st.sampled_from([0, 1, 30, 101])))
        if data.draw(st.integers(0, 3)) == 0:
            world.poll()
    world.settle()
    event(f"cursor expired {world.expired if world.expired < 3 else '3 or more'} times")


def test_behind_retention_sees_cursor_expired_then_recovers() -> None:  # [DSC-SYN-019]
    clock = Clock()
    feed = make_feed(clock, count=2)
    rep = Replica()
    feed.upsert("acs", A, {"n": 1})
    feed.upsert("acs", B, {"n": 2})
    rep.apply_changes(*feed.changes(0, 10))
    feed.delete("acs", A)
    feed.upsert("acs", C, {"n": 3})
    feed.upsert("acs", B, {"n": 4})
    assert code_of(feed.changes, rep.cursor, 10) == Code.CURSOR_EXPIRED
    first = feed.snapshot(1)
    for index in range(first["chunkTotal"]):
        rep.apply_snapshot_chunk(feed.chunk(first["snapshotId"], index))
    rep.apply_changes(*feed.changes(rep.cursor, 10))
    assert rep.objects == feed.live() == {("acs", B): {"n": 4}, ("acs", C): {"n": 3}}
    assert rep.cursor == feed.head == 5


# ---------------------------------------------------------------- vectors


def _case(raw: dict[str, Any]) -> Case:
    return Case(raw["id"], VECTORS.name, OURS["area"], raw["operation"],
                tuple(raw["requirements"]), raw["verdict"], raw["input"], raw.get("expected"),
                raw.get("error"), raw["comment"])


def test_vector_file_shape() -> None:
    assert OURS["format"] == "aip-vectors/1"
    assert OURS["area"] == "discovery.sync"
    assert {c["operation"] for c in OURS["cases"]} == set(OPERATIONS)
    assert len({c["id"] for c in OURS["cases"]}) == len(OURS["cases"])
    assert all(c["id"].startswith("sync-") for c in OURS["cases"])


def test_runner_catches_a_wrong_expectation() -> None:
    raw = next(c for c in OURS["cases"] if c["operation"] == "sync.feed")
    wrong = json.loads(json.dumps(raw))
    wrong["expected"]["results"][0]["version"] += 1
    assert not run_case(_case(wrong), OPERATIONS).passed


def test_shuffled_pages_from_a_real_feed() -> None:
    """A fixed-seed smoke run of the same faults outside hypothesis (order of a whole page
    reversed, every change twice)."""
    rng = random.Random(7)
    feed = make_feed()
    rep = Replica()
    for n in range(200):
        key = rng.choice(KEYS[:3])
        if rng.random() < 0.3 and key in feed.live():
            feed.delete(*key)
        else:
            feed.upsert(*key, {"n": n})
        if rng.random() < 0.2:
            page, nxt = feed.changes(rep.cursor, 5)
            rep.apply_changes(list(reversed(page)) * 2, nxt)
    while True:
        page, nxt = feed.changes(rep.cursor, 7)
        rep.apply_changes(page[::-1], nxt)
        if not page:
            break
    assert rep.objects == feed.live()
