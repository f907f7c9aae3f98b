"""DSP synchronisation, pure core (spec Part 8, DSC-SYN): the change envelope and its decimal
seq, the params and results of ``dsp.info`` / ``dsp.snapshot`` / ``dsp.chunk`` /
``dsp.changes`` (a provider's handler calls ``parse_*_params``, its feed, then the result
builders; waiting for a long poll is the shell's job), :class:`MemoryFeed`, the reference
provider the SQLite store is tested against, and :class:`Replica`, the consumer.

Refusals are :class:`~aip.errors.DiscoveryError`: INVALID_PARAMS (-32602) for a malformed
envelope, params or result; CURSOR_EXPIRED (-33806) for a cursor outside the retention window;
SNAPSHOT_NOT_FOUND (-33807) for an unknown or expired snapshot or chunk; AGENT_NOT_FOUND
(-33802) for deleting what does not exist.  Local misuse (a naive clock, a bad constructor
argument) raises ``ValueError``.
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from aip.errors import Code, DiscoveryError

__all__ = [
    "DEFAULT_CHUNK_SIZE", "DEFAULT_LIMIT", "DEFAULT_RETENTION_AGE_S",
    "DEFAULT_RETENTION_COUNT", "MAX_CHUNK_SIZE", "MAX_LIMIT", "MAX_SEQ", "MAX_WAIT_MS",
    "Change", "ChangesRequest", "ChunkRequest", "MemoryFeed", "Replica", "SnapshotRequest",
    "acs_urn", "chunk_result", "chunk_total", "decode_change", "decode_changes_result",
    "decode_seq", "encode_change", "encode_changes_result", "encode_seq", "format_ts",
    "info_result", "parse_changes_params", "parse_chunk_params", "parse_info_params",
    "parse_snapshot_params",
]

MAX_SEQ = 2**63 - 1  # [DSC-SYN-003]
MAX_VERSION = 2**53 - 1  # an I-JSON integer [DSC-SYN-005]
DEFAULT_RETENTION_COUNT = 100_000  # [DSC-SYN-010]
DEFAULT_RETENTION_AGE_S = 168 * 3600.0
DEFAULT_LIMIT, MAX_LIMIT = 1000, 10_000  # [DSC-SYN-013]
MAX_WAIT_MS = 30_000  # [DSC-SYN-014]
DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE = 1000, 10_000  # [DSC-SYN-016]
DEFAULT_SNAPSHOT_IDLE_S, DEFAULT_SNAPSHOT_MAX_S = 7200.0, 86400.0  # [DSC-SYN-018]
PAYLOAD_FORMS = ("FULL_JSON",)  # [DSC-SYN-007]
OPS = ("upsert", "delete")
MAX_ID_LENGTH = 1024

_SEQ_RE = re.compile(r"0|[1-9][0-9]{0,18}")
_TYPE_RE = re.compile(r"[a-z][a-z0-9._-]{0,63}")
_PCHAR = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})"
_URN_RE = re.compile(rf"urn:[A-Za-z0-9][A-Za-z0-9-]{{0,30}}[A-Za-z0-9]:{_PCHAR}(?:{_PCHAR}|/)*")
_SNAPSHOT_ID_RE = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_TS_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?Z"
)
_MEMBERS = ("seq", "ts", "op", "type", "id", "version", "payload")
_CHUNK_MEMBERS = ("snapshotId", "seq", "chunkIndex", "chunkTotal", "objectCount", "objects")


def _bad(member: str, why: str) -> NoReturn:
    raise DiscoveryError(Code.INVALID_PARAMS, f"{member} {why}", data={"member": member})


def _int(value: Any, member: str, low: int, high: int) -> int:
    """A JSON integer (never a boolean or a float) in ``low..high``."""
    if type(value) is not int or not low <= value <= high:
        _bad(member, f"must be an integer from {low} to {high}")
    return value


# ---------------------------------------------------------------- seq, ts, type, id


def encode_seq(n: int) -> str:
    """The wire form of a sequence number: decimal, no sign, no leading zeros [DSC-SYN-003].

    Raises INVALID_PARAMS unless ``n`` is an integer in 0..2^63-1.
    """
    return str(_int(n, "seq", 0, MAX_SEQ))


def decode_seq(text: Any, member: str = "seq") -> int:
    """Read a sequence number from its wire form [DSC-SYN-003]: a JSON string of ASCII digits,
    ``"0"`` or without leading zeros, at most 2^63-1.  Raises INVALID_PARAMS for anything else
    (a JSON number included); ``member`` names the field in the error's data."""
    if type(text) is not str or _SEQ_RE.fullmatch(text) is None or int(text) > MAX_SEQ:
        _bad(member, "must be a decimal string from 0 to 2^63-1 without leading zeros")
    return int(text)


def format_ts(moment: datetime) -> str:
    """The ``ts`` of a change appended at ``moment``: UTC, ``Z``, whole seconds, or exactly six
    fractional digits when there is a fraction [DSC-SYN-006].  Naive datetimes: ``ValueError``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    u = moment.astimezone(UTC)
    text = f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
    return text + (f".{u.microsecond:06d}Z" if u.microsecond else "Z")


def _check_ts(value: Any) -> str:
    match = _TS_RE.fullmatch(value) if type(value) is str else None
    if match is None:
        _bad("ts", "must be an RFC 3339 UTC time ending in Z, with at most six fraction digits")
    year, month, day, hour, minute, second, _ = match.groups()
    try:
        datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        _bad("ts", "is not a real date and time")
    return str(value)


def _check_type(value: Any, member: str = "type") -> str:
    if type(value) is not str or _TYPE_RE.fullmatch(value) is None:
        _bad(member, "must be 1-64 characters: a-z first, then a-z 0-9 . _ -")
    return value


def _check_id(value: Any) -> str:
    if type(value) is not str or len(value) > MAX_ID_LENGTH or _URN_RE.fullmatch(value) is None:
        _bad("id", f"must be a URN (RFC 8141, lower-case 'urn:') of at most {MAX_ID_LENGTH} chars")
    return value


def _check_sid(value: Any) -> str:
    if type(value) is not str or _SNAPSHOT_ID_RE.fullmatch(value) is None:
        _bad("snapshotId", "must be 1-128 characters from A-Z a-z 0-9 . _ ~ -")
    return value


def acs_urn(aic: str) -> str:
    """The object id under which the registry publishes the ACS document of ``aic`` (already
    canonical) [DSC-SYN-021]: ``urn:aip:acs:<AIC>``."""
    return _check_id(f"urn:aip:acs:{aic}")


# ---------------------------------------------------------------- the envelope


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the change feed, and one object of a snapshot [DSC-SYN-002].

    ``payload`` is the whole object (FULL_JSON) for an upsert and ``None`` for a delete.  Treat
    the payload as read-only: feeds and replicas hand out the objects they hold.
    """

    seq: int
    ts: str
    op: str
    type: str
    id: str
    version: int
    payload: dict[str, Any] | None


def _check_payload(op: str, payload: Any) -> dict[str, Any] | None:
    if op == "delete":
        if payload is not None:
            _bad("payload", "of a delete must be null")
        return None
    if isinstance(payload, list):  # the JSON_PATCH form of RFC 6902 [DSC-SYN-007]
        _bad("payload", "is a JSON_PATCH; only FULL_JSON payloads are accepted")
    if not isinstance(payload, dict):
        _bad("payload", "of an upsert must be the whole object (a JSON object)")
    return payload


def _check_change(c: Any) -> Change:
    if not isinstance(c, Change):
        _bad("change", "must be a Change")
    _int(c.seq, "seq", 1, MAX_SEQ)
    _check_ts(c.ts)
    if c.op not in OPS:
        _bad("op", "must be 'upsert' or 'delete'")
    _check_type(c.type)
    _check_id(c.id)
    _int(c.version, "version", 1, MAX_VERSION)
    _check_payload(c.op, c.payload)
    return c


def encode_change(c: Change) -> dict[str, Any]:
    """The wire object of ``c``, all seven members [DSC-SYN-002].  The payload is not copied.
    Raises INVALID_PARAMS when ``c`` breaks an envelope rule."""
    _check_change(c)
    return {"seq": encode_seq(c.seq), "ts": c.ts, "op": c.op, "type": c.type, "id": c.id,
            "version": c.version, "payload": c.payload}


def decode_change(obj: Any) -> Change:
    """Read a change envelope received from a provider [DSC-SYN-002]; unknown members are
    ignored.  Raises INVALID_PARAMS for a missing or mistyped member, a seq of 0, and a
    JSON_PATCH payload (an array) [DSC-SYN-007]."""
    if not isinstance(obj, Mapping):
        _bad("change", "must be an object")
    for member in _MEMBERS:
        if member not in obj:
            _bad(member, "is missing")
    op = obj["op"]
    if op not in OPS:
        _bad("op", "must be 'upsert' or 'delete'")
    seq = decode_seq(obj["seq"])
    if seq == 0:
        _bad("seq", "of a change is at least 1")
    version = _int(obj["version"], "version", 1, MAX_VERSION)
    return Change(seq, _check_ts(obj["ts"]), op, _check_type(obj["type"]), _check_id(obj["id"]),
                  version, _check_payload(op, obj["payload"]))


# ---------------------------------------------------------------- method params and results


@dataclass(frozen=True, slots=True)
class ChangesRequest:
    """The params of ``dsp.changes``."""

    since: int
    limit: int
    wait_ms: int


@dataclass(frozen=True, slots=True)
class SnapshotRequest:
    """The params of ``dsp.snapshot``; ``types`` is ``None`` for every offered type."""

    types: tuple[str, ...] | None
    chunk_size: int


@dataclass(frozen=True, slots=True)
class ChunkRequest:
    """The params of ``dsp.chunk``."""

    snapshot_id: str
    index: int


def _members(params: Any, required: Sequence[str], optional: Sequence[str]) -> Mapping[Any, Any]:
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        _bad("params", "must be an object")
    for name in required:
        if name not in params:
            _bad(name, "is missing")
    for name in params:
        if name not in required and name not in optional:
            _bad(str(name), "is not a parameter of this method")
    return params


def parse_info_params(params: Any) -> None:
    """``dsp.info`` takes no params (absent or ``{}``) [DSC-SYN-020]; else INVALID_PARAMS."""
    _members(params, (), ())


def parse_changes_params(params: Any) -> ChangesRequest:
    """``{since, limit?, waitMs?}``: ``since`` a seq string [DSC-SYN-012], ``limit`` 1..10000
    (default 1000) [DSC-SYN-013], ``waitMs`` 0..30000 (default 0) [DSC-SYN-014].  Raises
    INVALID_PARAMS."""
    p = _members(params, ("since",), ("limit", "waitMs"))
    return ChangesRequest(
        decode_seq(p["since"], "since"),
        _int(p.get("limit", DEFAULT_LIMIT), "limit", 1, MAX_LIMIT),
        _int(p.get("waitMs", 0), "waitMs", 0, MAX_WAIT_MS),
    )


def parse_snapshot_params(params: Any, offered: Collection[str]) -> SnapshotRequest:
    """``{types?, chunkSize?}`` [DSC-SYN-016]: ``types`` a non-empty list of distinct types,
    each in ``offered``; ``chunkSize`` 1..10000 (default 1000).  Raises INVALID_PARAMS."""
    p = _members(params, (), ("types", "chunkSize"))
    types = p.get("types")
    if types is not None:
        if not isinstance(types, list) or not types or len(set(map(repr, types))) != len(types):
            _bad("types", "must be a non-empty list of distinct types")
        for t in types:
            if _check_type(t, "types") not in offered:
                _bad("types", f"names a type this provider does not offer: {t}")
        types = tuple(types)
    return SnapshotRequest(types, _int(p.get("chunkSize", DEFAULT_CHUNK_SIZE), "chunkSize", 1,
                                       MAX_CHUNK_SIZE))


def parse_chunk_params(params: Any) -> ChunkRequest:
    """``{snapshotId, index}`` [DSC-SYN-017]: an id of 1-128 characters ``A-Z a-z 0-9 . _ ~ -``
    and an index 0..2^53-1.  Raises INVALID_PARAMS; an index past the end is the caller's
    SNAPSHOT_NOT_FOUND."""
    p = _members(params, ("snapshotId", "index"), ())
    return ChunkRequest(_check_sid(p["snapshotId"]), _int(p["index"], "index", 0, MAX_VERSION))


def encode_changes_result(changes: Sequence[Change], next_seq: int) -> dict[str, Any]:
    """The result of ``dsp.changes``: ``{changes, nextSeq}`` [DSC-SYN-012]."""
    return {"changes": [encode_change(c) for c in changes], "nextSeq": encode_seq(next_seq)}


def decode_changes_result(obj: Any) -> tuple[list[Change], int]:
    """Read a ``dsp.changes`` result on the consumer's side: the changes and ``nextSeq``.
    Raises INVALID_PARAMS for a bad shape or a ``nextSeq`` below a change's seq."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("changes"), list):
        _bad("changes", "must be a list")
    changes = [decode_change(c) for c in obj["changes"]]
    next_seq = decode_seq(obj.get("nextSeq"), "nextSeq")
    if any(c.seq > next_seq for c in changes):
        _bad("nextSeq", "is below the seq of a change it covers")
    return changes, next_seq


def chunk_total(count: int, chunk_size: int) -> int:
    """How many chunks a snapshot of ``count`` objects has: at least one [DSC-SYN-015]."""
    return max(1, -(-count // chunk_size))


def chunk_result(snapshot_id: str, seq: int, *, index: int, total: int, count: int,
                 objects: Sequence[Change]) -> dict[str, Any]:
    """The result of ``dsp.snapshot`` (chunk 0) and ``dsp.chunk`` [DSC-SYN-015]."""
    return {"snapshotId": snapshot_id, "seq": encode_seq(seq), "chunkIndex": index,
            "chunkTotal": total, "objectCount": count,
            "objects": [encode_change(c) for c in objects]}


def info_result(*, types: Collection[str], head: int, horizon: int, retention_count: int,
                retention_age_s: float, snapshot_idle_s: float,
                snapshot_max_s: float) -> dict[str, Any]:
    """The result of ``dsp.info`` [DSC-SYN-020]; ``horizon`` is the smallest accepted
    ``since`` [DSC-SYN-011]."""
    def num(x: float) -> float | int:
        return int(x) if float(x).is_integer() else x

    return {
        "types": sorted(types),
        "payloadForms": list(PAYLOAD_FORMS),
        "headSeq": encode_seq(head),
        "minSince": encode_seq(horizon),
        "retention": {"maxRecords": retention_count, "maxAgeSeconds": num(retention_age_s)},
        "changes": {"limitDefault": DEFAULT_LIMIT, "limitMax": MAX_LIMIT,
                    "waitMsMax": MAX_WAIT_MS},
        "snapshots": {"chunkSizeDefault": DEFAULT_CHUNK_SIZE, "chunkSizeMax": MAX_CHUNK_SIZE,
                      "idleSeconds": num(snapshot_idle_s),
                      "maxLifetimeSeconds": num(snapshot_max_s)},
    }


# ---------------------------------------------------------------- the reference provider


@dataclass(slots=True)
class _Snapshot:
    seq: int
    size: int
    objects: tuple[Change, ...]
    created: datetime
    used: datetime


class MemoryFeed:
    """A provider in memory, the reference the SQLite store is tested against: append upserts and
    deletes, keep retention (by count and by age, clock passed in), answer changes(since, limit),
    make snapshots (consistent cut, chunked, ids from an injected generator), expire them.

    Seqs are 1, 2, 3, ... (contiguous here; consumers must not rely on that).  Every call reads
    ``clock`` once and first discards what has fallen out of retention [DSC-SYN-010] and the
    snapshots that have expired [DSC-SYN-018]: exactly at the limits, so vectors can pin them.
    """

    def __init__(self, *, retention_count: int, retention_age_s: float,
                 clock: Callable[[], datetime], ids: Callable[[], str],
                 types: Collection[str] = ("acs",),
                 snapshot_idle_s: float = DEFAULT_SNAPSHOT_IDLE_S,
                 snapshot_max_s: float = DEFAULT_SNAPSHOT_MAX_S) -> None:
        if min(retention_count, retention_age_s, snapshot_idle_s, snapshot_max_s) <= 0 or not types:
            raise ValueError("retention and snapshot limits must be positive, types non-empty")
        self.types = frozenset(_check_type(t) for t in types)
        self._count, self._age = retention_count, timedelta(seconds=retention_age_s)
        self._age_s, self._idle_s, self._max_s = retention_age_s, snapshot_idle_s, snapshot_max_s
        self._clock, self._ids = clock, ids
        self._log: deque[tuple[datetime, Change]] = deque()
        self._head = 0  # the last seq assigned
        self._horizon = 0  # the greatest seq discarded [DSC-SYN-011]
        self._live: dict[tuple[str, str], Change] = {}
        self._versions: dict[tuple[str, str], int] = {}  # deletes included [DSC-SYN-005]
        self._snapshots: dict[str, _Snapshot] = {}

    @property
    def head(self) -> int:
        """The seq of the newest change; 0 before the first."""
        return self._head

    @property
    def horizon(self) -> int:
        """The smallest ``since`` :meth:`changes` accepts (as of the last call): the greatest seq
        discarded, 0 while none is."""
        return self._horizon

    def live(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Copies of the objects that exist now, by (type, id): what a synced replica holds."""
        return {k: copy.deepcopy(c.payload or {}) for k, c in self._live.items()}

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return self._expire(now)

    def _expire(self, now: datetime) -> datetime:
        limit = now - self._age
        while self._log and (len(self._log) > self._count or self._log[0][0] < limit):
            self._horizon = self._log.popleft()[1].seq
        for sid, snap in list(self._snapshots.items()):
            idle = (now - snap.used).total_seconds()
            if idle > self._idle_s or (now - snap.created).total_seconds() > self._max_s:
                del self._snapshots[sid]
        return now

    def _append(self, op: str, type_: str, id_: str, payload: dict[str, Any] | None) -> Change:
        now = self._now()
        key = (type_, id_)
        change = _check_change(Change(self._head + 1, format_ts(now), op, type_, id_,
                                      self._versions.get(key, 0) + 1, payload))
        self._head = change.seq
        self._versions[key] = change.version
        if op == "upsert":
            self._live[key] = change
        else:
            del self._live[key]
        self._log.append((now, change))
        self._expire(now)  # the count limit applies at once
        return change

    def _key(self, type_: str, id_: str) -> None:
        if _check_type(type_) not in self.types:
            _bad("type", f"is not offered by this feed: {type_}")
        _check_id(id_)

    def upsert(self, type_: str, id_: str, payload: dict[str, Any]) -> Change:
        """Store a new version of an object (version = previous + 1, deletes counted, so a
        re-created object continues its numbering) [DSC-SYN-005].  ``payload`` is copied.
        Raises INVALID_PARAMS for a bad type, id or payload."""
        self._key(type_, id_)
        return self._append("upsert", type_, id_, copy.deepcopy(_check_payload("upsert", payload)))

    def delete(self, type_: str, id_: str) -> Change:
        """Remove a live object; the delete takes the next version as its tombstone.  Raises
        AGENT_NOT_FOUND when the object does not exist, INVALID_PARAMS for a bad type or id."""
        self._key(type_, id_)
        if (type_, id_) not in self._live:
            raise DiscoveryError(Code.AGENT_NOT_FOUND, f"no live object {type_} {id_}")
        return self._append("delete", type_, id_, None)

    def changes(self, since: int, limit: int) -> tuple[list[Change], int]:
        """The changes after ``since``, oldest first, at most ``limit``, and the cursor to ask from
        next: the last seq returned, or ``since`` when there is none [DSC-SYN-012].

        Raises CURSOR_EXPIRED when ``since < horizon`` (with contiguous seqs: when since is below
        the oldest retained seq minus one) or ``since > head`` [DSC-SYN-011], with data
        ``{minSince, headSeq}``; INVALID_PARAMS for a since or limit out of range.
        """
        _int(since, "since", 0, MAX_SEQ)
        _int(limit, "limit", 1, MAX_LIMIT)
        self._now()
        if since < self._horizon or since > self._head:
            raise DiscoveryError(
                Code.CURSOR_EXPIRED, f"cursor {since} is outside {self._horizon}..{self._head}",
                data={"minSince": encode_seq(self._horizon), "headSeq": encode_seq(self._head)})
        start = bisect_right(self._log, since, key=lambda entry: entry[1].seq)
        page = [self._log[i][1] for i in range(start, min(start + limit, len(self._log)))]
        return page, page[-1].seq if page else since

    def snapshot(self, chunk_size: int, types: Collection[str] | None = None) -> dict[str, Any]:
        """Cut a snapshot at the current head: every live object of ``types`` (all offered types
        when ``None``) as its latest upsert, ordered by (type, id) [DSC-SYN-015].  Returns chunk
        0 (the ``dsp.snapshot`` result).  Raises INVALID_PARAMS for a chunk size outside
        1..10000 or a type not offered; ``ValueError`` if ``ids`` repeats or returns a bad id."""
        _int(chunk_size, "chunkSize", 1, MAX_CHUNK_SIZE)
        wanted = self.types if types is None else frozenset(types)
        if not wanted <= self.types:
            _bad("types", "names a type this provider does not offer")
        now = self._now()
        sid = self._ids()
        if type(sid) is not str or not _SNAPSHOT_ID_RE.fullmatch(sid) or sid in self._snapshots:
            raise ValueError(f"the id generator gave an unusable snapshot id: {sid!r}")
        objects = tuple(c for k, c in sorted(self._live.items()) if k[0] in wanted)
        self._snapshots[sid] = _Snapshot(self._head, chunk_size, objects, now, now)
        return self._chunk(sid, 0)

    def chunk(self, snapshot_id: str, index: int) -> dict[str, Any]:
        """Chunk ``index`` of a live snapshot, the same every time it is asked for
        [DSC-SYN-017]; each call counts as use for the idle timeout.  Raises SNAPSHOT_NOT_FOUND
        for an unknown or expired snapshot or an index past the last chunk."""
        _int(index, "index", 0, MAX_VERSION)
        now = self._now()
        snap = self._snapshots.get(snapshot_id)
        if snap is None or index >= chunk_total(len(snap.objects), snap.size):
            raise DiscoveryError(Code.SNAPSHOT_NOT_FOUND, f"no chunk {index} of {snapshot_id}",
                                 data={"snapshotId": snapshot_id})
        snap.used = now
        return self._chunk(snapshot_id, index)

    def _chunk(self, sid: str, index: int) -> dict[str, Any]:
        snap = self._snapshots[sid]
        part = snap.objects[index * snap.size:(index + 1) * snap.size]
        total = chunk_total(len(snap.objects), snap.size)
        return copy.deepcopy(chunk_result(sid, snap.seq, index=index, total=total,
                                          count=len(snap.objects), objects=part))

    def info(self) -> dict[str, Any]:
        """The ``dsp.info`` result now [DSC-SYN-020]."""
        self._now()
        return info_result(types=self.types, head=self._head, horizon=self._horizon,
                           retention_count=self._count, retention_age_s=self._age_s,
                           snapshot_idle_s=self._idle_s, snapshot_max_s=self._max_s)


# ---------------------------------------------------------------- the consumer


@dataclass(slots=True)
class _Pending:
    id: str
    seq: int
    total: int
    count: int
    chunks: dict[int, list[Change]] = field(default_factory=dict)


def _read_chunk(chunk: Any) -> tuple[_Pending, int, list[Change]]:
    if not isinstance(chunk, Mapping):
        _bad("chunk", "must be an object")
    for member in _CHUNK_MEMBERS:
        if member not in chunk:
            _bad(member, "is missing")
    sid = _check_sid(chunk["snapshotId"])
    seq = decode_seq(chunk["seq"])
    total = _int(chunk["chunkTotal"], "chunkTotal", 1, MAX_VERSION)
    index = _int(chunk["chunkIndex"], "chunkIndex", 0, total - 1)
    count = _int(chunk["objectCount"], "objectCount", 0, MAX_VERSION)
    if not isinstance(chunk["objects"], list):
        _bad("objects", "must be a list")
    objects = [decode_change(o) for o in chunk["objects"]]
    for c in objects:  # [DSC-SYN-015]
        if c.op != "upsert" or c.seq > seq:
            _bad("objects", "of a snapshot are upserts with seq at most the snapshot's")
    return _Pending(sid, seq, total, count), index, objects


class Replica:
    """The consumer: apply snapshot chunks and changes; idempotent by (type, id, version): a change
    whose version is not newer than what is held is ignored; deletes leave a tombstone version so a
    late older upsert cannot resurrect; `cursor` is the seq to ask from next.

    Changes at or below the cursor are ignored too [DSC-SYN-009], which keeps a page delivered
    again after a re-snapshot from bringing back an object the snapshot no longer has.  ``types``
    restricts what is kept (``None``: everything).  ``objects`` maps (type, id) to payloads and
    ``versions`` to the highest version seen, tombstones included.
    """

    def __init__(self, *, types: Collection[str] | None = None) -> None:
        self.types = None if types is None else frozenset(types)
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.versions: dict[tuple[str, str], int] = {}
        self.cursor = 0
        self._pending: _Pending | None = None
        self._done: set[str] = set()

    def _wanted(self, type_: str) -> bool:
        return self.types is None or type_ in self.types

    def missing_chunks(self) -> tuple[str, list[int]] | None:
        """The snapshot being assembled and the chunk indexes it still lacks, or ``None``."""
        p = self._pending
        return None if p is None else (p.id, [i for i in range(p.total) if i not in p.chunks])

    def apply_snapshot_chunk(self, chunk: Mapping[str, Any]) -> None:
        """Take one ``dsp.snapshot`` / ``dsp.chunk`` result, in any order, any number of times
        [DSC-SYN-019].  When the last missing chunk arrives the replica *becomes* the snapshot:
        objects absent from it are dropped, ``cursor`` is set to its seq.  A chunk of a new
        snapshot id abandons a half-assembled one; a chunk of a snapshot already applied is
        ignored.  Raises INVALID_PARAMS for a malformed chunk, one that disagrees with earlier
        chunks of its snapshot, or a completed snapshot with duplicate objects or the wrong
        object count (that snapshot is then abandoned); objects and cursor stay unchanged."""
        head, index, objects = _read_chunk(chunk)
        if head.id in self._done:
            return
        p = self._pending
        if p is None or p.id != head.id:
            p = head
        elif (p.seq, p.total, p.count) != (head.seq, head.total, head.count):
            _bad("chunk", "disagrees with earlier chunks of its snapshot")
        p.chunks = {**p.chunks, index: objects}
        if len(p.chunks) < p.total:
            self._pending = p
            return
        every = [c for i in range(p.total) for c in p.chunks[i]]
        if len({(c.type, c.id) for c in every}) != len(every) or len(every) != p.count:
            self._pending = None  # a broken snapshot is dropped; take a new one
            _bad("objects", "of the snapshot repeat an object or miss its objectCount")
        kept = [c for c in every if self._wanted(c.type)]
        self.objects = {(c.type, c.id): copy.deepcopy(c.payload or {}) for c in kept}
        self.versions = {(c.type, c.id): c.version for c in kept}
        self.cursor = p.seq
        self._pending = None
        self._done.add(p.id)

    def apply_changes(self, changes: Sequence[Change], next_seq: int) -> None:
        """Apply one ``dsp.changes`` page (its changes in any order, repeats allowed), then move
        ``cursor`` to ``next_seq`` unless it is already further [DSC-SYN-008] [DSC-SYN-009].
        Raises INVALID_PARAMS for an invalid change or a ``next_seq`` below a change's seq;
        the replica is then unchanged."""
        _int(next_seq, "nextSeq", 0, MAX_SEQ)
        for c in changes:
            _check_change(c)
            if c.seq > next_seq:
                _bad("nextSeq", "is below the seq of a change it covers")
        floor = self.cursor
        for c in changes:
            key = (c.type, c.id)
            if c.seq <= floor or not self._wanted(c.type) or c.version <= self.versions.get(key, 0):
                continue
            self.versions[key] = c.version
            if c.op == "upsert":
                self.objects[key] = copy.deepcopy(c.payload or {})
            else:
                self.objects.pop(key, None)
        self.cursor = max(self.cursor, next_seq)
