"""Regenerate spec/vectors/discovery/sync.json (DSP synchronisation, spec Part 8 DSC-SYN).

Independent of ``aip``: every input and every expected value below is written by hand from the
rules of DSC-SYN (seq form, envelope members, retention horizon, snapshot cut and chunking,
expiry bounds, the consumer's version and cursor guards).  The only computation is formatting:
times as ``T0 + n seconds`` and envelopes assembled from hand-chosen seq, version and payload.
Run from the repository root: ``python tools/gen_sync_vectors.py``.  The output is stable.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "discovery" / "sync.json"
INVALID_PARAMS = -32602
AGENT_NOT_FOUND = -33802
CURSOR_EXPIRED = -33806
SNAPSHOT_NOT_FOUND = -33807
T0 = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)
A, B, C, D = (f"urn:aip:acs:agent-{x}" for x in "abcd")
ONT = "urn:aip:ont:onto-1"

CASES: list[dict[str, Any]] = []
# the loops over hand-written tables below reuse these names with mixed types
inp: Any
why: Any
member: Any
value: Any
given: Any
want: Any
req: Any
types: Any


def case(kind: str, op: str, reqs: list[str], inp: dict[str, Any], comment: str, *,
         expected: dict[str, Any] | None = None, error: int | None = None) -> None:
    number = sum(c["id"].startswith(f"sync-{kind}-") for c in CASES) + 1
    row: dict[str, Any] = {"id": f"sync-{kind}-{number:03d}", "operation": op,
                           "requirements": reqs, "verdict": "valid" if error is None else "invalid",
                           "input": inp}
    if error is None:
        row["expected"] = expected
    else:
        row["error"] = error
    row["comment"] = comment
    CASES.append(row)


def t(seconds: float) -> str:
    """T0 + seconds, as a step time (whole seconds: no fraction)."""
    moment = T0 + timedelta(seconds=seconds)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{moment.microsecond:06d}Z" if moment.microsecond else "Z")


def env(seq: int, at: float, op: str, id_: str, version: int, payload: Any,  # noqa: PLR0917
        type_: str = "acs") -> dict[str, Any]:
    return {"seq": str(seq), "ts": t(at), "op": op, "type": type_, "id": id_,
            "version": version, "payload": payload}


def up(seq: int, at: float, id_: str, version: int, payload: Any, type_: str = "acs") -> dict[str, Any]:  # noqa: PLR0917
    return env(seq, at, "upsert", id_, version, payload, type_)


def dl(seq: int, at: float, id_: str, version: int, type_: str = "acs") -> dict[str, Any]:
    return env(seq, at, "delete", id_, version, None, type_)


def page(changes: list[dict[str, Any]], next_seq: str) -> dict[str, Any]:
    return {"changes": changes, "nextSeq": next_seq}


def chunk(sid: str, seq: str, index: int, total: int, count: int,  # noqa: PLR0917
          objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {"snapshotId": sid, "seq": seq, "chunkIndex": index, "chunkTotal": total,
            "objectCount": count, "objects": objects}


def info(types: list[str], head: str, min_since: str, records: int, age: int,  # noqa: PLR0917
         idle: int = 7200, lifetime: int = 86400) -> dict[str, Any]:
    return {"types": types, "payloadForms": ["FULL_JSON"], "headSeq": head, "minSince": min_since,
            "retention": {"maxRecords": records, "maxAgeSeconds": age},
            "changes": {"limitDefault": 1000, "limitMax": 10000, "waitMsMax": 30000},
            "snapshots": {"chunkSizeDefault": 1000, "chunkSizeMax": 10000, "idleSeconds": idle,
                          "maxLifetimeSeconds": lifetime}}


def err(code: int) -> dict[str, int]:
    return {"error": code}


def s(at: float, call: str, **rest: Any) -> dict[str, Any]:
    return {"at": t(at), "call": call, **rest}


def ups(at: float, id_: str, payload: Any, type_: str = "acs") -> dict[str, Any]:
    return s(at, "upsert", type=type_, id=id_, payload=payload)


def dels(at: float, id_: str, type_: str = "acs") -> dict[str, Any]:
    return s(at, "delete", type=type_, id=id_)


def rpc(at: float, method: str, **params: Any) -> dict[str, Any]:
    return s(at, method, params=params)


# ---------------------------------------------------------------- sequence numbers
SEQ = ["DSC-SYN-003"]
for text in ["0", "1", "42001", "9007199254740993", "9223372036854775807"]:
    case("seq", "sync.seq_decode", SEQ, {"text": text},
         "a canonical decimal string, read exactly (2^53+1 and 2^63-1 included: why seq is text)",
         expected={"value": text})
for bad, why in [("", "empty"), ("00", "leading zero"), ("01", "leading zero"),
                 ("-1", "sign"), ("+1", "sign"), ("1.0", "fraction"), ("1e3", "exponent"),
                 (" 1", "leading space"), ("1 ", "trailing space"),
                 ("9223372036854775808", "2^63: one past the 64-bit signed range"),
                 ("18446744073709551615", "2^64-1"), ("\u0663", "an Arabic-Indic digit"),
                 ("\uff11", "a fullwidth digit"), ("0x1F", "hexadecimal"),
                 (42, "a JSON number, not a string"), (None, "null"), (True, "a boolean"),
                 (["1"], "an array")]:
    case("seq", "sync.seq_decode", SEQ, {"text": bad}, f"refused: {why}", error=INVALID_PARAMS)
for value, text in [(0, "0"), (42001, "42001")]:
    case("seq", "sync.seq_encode", SEQ, {"value": value}, "decimal, no padding",
         expected={"text": text})
case("seq", "sync.seq_encode", SEQ, {"value_decimal": "9223372036854775807"},
     "the largest seq (given as text: beyond a JSON number)",
     expected={"text": "9223372036854775807"})
for inp, why in [({"value": -1}, "negative"), ({"value_decimal": "9223372036854775808"}, "2^63"),
                 ({"value": True}, "a boolean is not a number"), ({"value": 1.5}, "a fraction")]:
    case("seq", "sync.seq_encode", SEQ, inp, f"refused: {why}", error=INVALID_PARAMS)

# ---------------------------------------------------------------- the envelope
ENV = ["DSC-SYN-002"]
GOOD = up(7, 0, A, 3, {"name": "agent a", "skills": [{"id": "s1"}]})
case("env", "sync.change_decode", ENV, {"change": GOOD}, "an upsert with every member",
     expected={"change": GOOD})
case("env", "sync.change_decode", [*ENV, "DSC-SYN-007"], {"change": dl(8, 1, A, 4)},
     "a delete carries payload null", expected={"change": dl(8, 1, A, 4)})
case("env", "sync.change_decode", ENV, {"change": {**GOOD, "extra": {"x": 1}, "note": "n"}},
     "unknown members are ignored (and not echoed)", expected={"change": GOOD})
for member, value, why in [
    ("ts", "2026-11-21T10:00:00.5Z", "one fraction digit, kept as sent"),
    ("ts", "2026-11-21T10:00:00.123456Z", "six fraction digits"),
    ("version", 9007199254740991, "the largest version: 2^53-1"),
    ("id", "urn:example:a/b%2Fc:d@e", "slash, percent-encoding, colon and at-sign in the NSS"),
    ("id", ONT, "another namespace-specific type"),
    ("type", "acs.v2_x-y", "dot, underscore and hyphen after the first letter"),
    ("seq", "9223372036854775807", "the largest seq"),
    ("payload", {}, "an empty object is a whole object"),
]:
    changed = {**GOOD, member: value}
    case("env", "sync.change_decode", ENV, {"change": changed}, why, expected={"change": changed})
BAD_ENV: list[tuple[str, Any, str]] = [
    ("seq", 7, "seq as a JSON number"), ("seq", "0", "seq 0 is never a change"),
    ("seq", "07", "leading zero"),
    ("ts", "2026-11-21T18:00:00+08:00", "an offset instead of Z"),
    ("ts", "2026-11-21 10:00:00Z", "a space instead of T"),
    ("ts", "2026-02-30T10:00:00Z", "February 30th"),
    ("ts", "2026-11-21T10:00:00.1234567Z", "seven fraction digits"),
    ("ts", 1795255200, "a number"),
    ("op", "patch", "an unknown op"), ("op", "UPSERT", "upper case"), ("op", None, "null op"),
    ("type", "", "empty type"), ("type", "ACS", "upper case"), ("type", "1acs", "digit first"),
    ("type", "a" * 65, "65 characters"),
    ("id", "agent-a", "not a URN"), ("id", "urn:aip", "no namespace-specific string"),
    ("id", "urn:a:x", "a one-letter namespace id"), ("id", "urn:aip:acs:a b", "a space"),
    ("id", "urn:aip:acs:a?x", "a query component"), ("id", "URN:aip:acs:a", "upper-case scheme"),
    ("id", "urn:aip:acs:%zz", "a broken percent-escape"),
    ("id", "urn:aip:acs:" + "x" * 1013, "1025 characters"),
    ("version", 0, "version 0"), ("version", -1, "negative"), ("version", 1.5, "a fraction"),
    ("version", True, "a boolean"), ("version", "3", "a string"),
    ("payload", [{"op": "replace", "path": "/name", "value": "x"}], "a JSON_PATCH payload"),
    ("payload", [], "an empty JSON_PATCH"), ("payload", "text", "a string payload"),
    ("payload", None, "an upsert without its object"),
]
for member, value, why in BAD_ENV:
    reqs = ENV + (["DSC-SYN-003"] if member == "seq" else []) + (
        ["DSC-SYN-007"] if member == "payload" else []) + (
        ["DSC-SYN-005"] if member == "version" else []) + (
        ["DSC-SYN-006"] if member == "ts" else [])
    case("env", "sync.change_decode", reqs, {"change": {**GOOD, member: value}},
         f"refused: {why}", error=INVALID_PARAMS)
case("env", "sync.change_decode", [*ENV, "DSC-SYN-007"], {"change": {**dl(8, 1, A, 4), "payload": {}}},
     "refused: a delete with an object payload", error=INVALID_PARAMS)
for member in ["seq", "ts", "op", "type", "id", "version", "payload"]:
    case("env", "sync.change_decode", ENV, {"change": {k: v for k, v in GOOD.items() if k != member}},
         f"refused: {member} missing", error=INVALID_PARAMS)
case("env", "sync.change_decode", ENV, {"change": [GOOD]}, "refused: not an object",
     error=INVALID_PARAMS)
NUMERIC = {**GOOD, "seq": 7}
case("env", "sync.change_encode", [*ENV, "DSC-SYN-003"], {"change": NUMERIC},
     "the seq goes out as a decimal string", expected={"change": GOOD})
for member, value, why in [("seq", 0, "seq 0"), ("op", "patch", "unknown op"),
                           ("payload", [{"op": "remove", "path": "/x"}], "a JSON_PATCH payload")]:
    case("env", "sync.change_encode", ENV, {"change": {**NUMERIC, member: value}},
         f"a provider never emits this: {why}", error=INVALID_PARAMS)

# ---------------------------------------------------------------- method params
P = "sync.params"
ok = {"accepted": True}
case("params", P, ["DSC-SYN-020"], {"method": "dsp.info", "params": {}}, "no params", expected=ok)
case("params", P, ["DSC-SYN-020"], {"method": "dsp.info"}, "params absent", expected=ok)
for given, why in [({"verbose": True}, "an unknown member"), ([], "params as an array")]:
    case("params", P, ["DSC-SYN-020"], {"method": "dsp.info", "params": given}, f"refused: {why}",
         error=INVALID_PARAMS)
for given, want, why in [
    ({"since": "0"}, {"since": "0", "limit": 1000, "waitMs": 0}, "defaults: limit 1000, no wait"),
    ({"since": "42", "limit": 10000, "waitMs": 30000}, {"since": "42", "limit": 10000,
                                                        "waitMs": 30000}, "both maxima"),
    ({"since": "9223372036854775807", "limit": 1}, {"since": "9223372036854775807", "limit": 1,
                                                    "waitMs": 0}, "the largest cursor, limit 1"),
]:
    case("params", P, ["DSC-SYN-012", "DSC-SYN-013", "DSC-SYN-014"],
         {"method": "dsp.changes", "params": given}, why, expected={"accepted": True, **want})
for given, why, req in [
    ({}, "since missing", "DSC-SYN-012"), ({"since": 0}, "since as a number", "DSC-SYN-003"),
    ({"since": "01"}, "since with a leading zero", "DSC-SYN-003"),
    ({"since": "-1"}, "negative since", "DSC-SYN-003"),
    ({"since": "0", "limit": 0}, "limit 0", "DSC-SYN-013"),
    ({"since": "0", "limit": 10001}, "limit past 10000", "DSC-SYN-013"),
    ({"since": "0", "limit": 1.5}, "a fractional limit", "DSC-SYN-013"),
    ({"since": "0", "limit": True}, "a boolean limit", "DSC-SYN-013"),
    ({"since": "0", "limit": "10"}, "a string limit", "DSC-SYN-013"),
    ({"since": "0", "waitMs": -1}, "negative wait", "DSC-SYN-014"),
    ({"since": "0", "waitMs": 30001}, "wait past 30 s", "DSC-SYN-014"),
    ({"since": "0", "types": ["acs"]}, "changes take no types", "DSC-SYN-012"),
]:
    case("params", P, [req], {"method": "dsp.changes", "params": given}, f"refused: {why}",
         error=INVALID_PARAMS)
for given, types, want, why in [
    ({}, ["acs"], {"types": None, "chunkSize": 1000}, "every type, chunks of 1000"),
    ({"types": ["acs"], "chunkSize": 10000}, ["acs"], {"types": ["acs"], "chunkSize": 10000},
     "one type, the largest chunk"),
    ({"types": ["ont", "acs"], "chunkSize": 1}, ["acs", "ont"],
     {"types": ["ont", "acs"], "chunkSize": 1}, "two offered types, chunks of one"),
]:
    case("params", P, ["DSC-SYN-016"], {"method": "dsp.snapshot", "params": given, "types": types},
         why, expected={"accepted": True, **want})
for given, why in [({"types": []}, "no types"), ({"types": "acs"}, "types as a string"),
                   ({"types": ["ont"]}, "a type not offered"),
                   ({"types": ["acs", "acs"]}, "a type twice"),
                   ({"chunkSize": 0}, "chunk size 0"), ({"chunkSize": 10001}, "past 10000"),
                   ({"chunkSize": None}, "null chunk size"), ({"since": "0"}, "an unknown member")]:
    case("params", P, ["DSC-SYN-016"], {"method": "dsp.snapshot", "params": given, "types": ["acs"]},
         f"refused: {why}", error=INVALID_PARAMS)
for given, why in [({"snapshotId": "snap-1", "index": 0}, "the first chunk"),
                   ({"snapshotId": "A.b_c~d-" + "z" * 120, "index": 7}, "a 128-character id")]:
    case("params", P, ["DSC-SYN-017"], {"method": "dsp.chunk", "params": given}, why,
         expected={"accepted": True, **given})
for given, why in [({"snapshotId": "snap-1"}, "index missing"),
                   ({"index": 0}, "snapshotId missing"),
                   ({"snapshotId": "", "index": 0}, "an empty id"),
                   ({"snapshotId": "z" * 129, "index": 0}, "a 129-character id"),
                   ({"snapshotId": "a/b", "index": 0}, "a slash in the id"),
                   ({"snapshotId": 5, "index": 0}, "a numeric id"),
                   ({"snapshotId": "snap-1", "index": -1}, "a negative index"),
                   ({"snapshotId": "snap-1", "index": True}, "a boolean index"),
                   ({"snapshotId": "snap-1", "index": "0"}, "a string index")]:
    case("params", P, ["DSC-SYN-017"], {"method": "dsp.chunk", "params": given}, f"refused: {why}",
         error=INVALID_PARAMS)

# ---------------------------------------------------------------- provider sequences
F = "sync.feed"
e1, e2, e3 = up(1, 0, A, 1, {"name": "a", "rev": 1}), up(2, 1, B, 1, {"name": "b"}), \
    up(3, 2, A, 2, {"name": "a", "rev": 2})
e4, e5, e6 = dl(4, 3, B, 2), up(5, 4, B, 3, {"name": "b", "rev": 3}), dl(6, 5, B, 4)
case("feed", F, ["DSC-SYN-004", "DSC-SYN-005", "DSC-SYN-011", "DSC-SYN-012", "DSC-SYN-013",
                 "DSC-SYN-014", "DSC-SYN-020"],
     {"config": {"retentionCount": 100, "retentionAgeSeconds": 3600}, "steps": [
         ups(0, A, {"name": "a", "rev": 1}), ups(1, B, {"name": "b"}),
         ups(2, A, {"name": "a", "rev": 2}), dels(3, B), ups(4, B, {"name": "b", "rev": 3}),
         dels(5, C), dels(5, B), dels(5, B),
         rpc(6, "dsp.changes", since="0", limit=2), rpc(6, "dsp.changes", since="2", limit=2),
         rpc(6, "dsp.changes", since="4"), rpc(6, "dsp.changes", since="6", waitMs=1000),
         rpc(6, "dsp.changes", since="7"), rpc(6, "dsp.changes", since="3", limit=1),
         rpc(6, "dsp.info"), ups(7, ONT, {"k": 1}, "ont"), ups(7, A, [])]},
     "seq 1, 2, 3 over all objects; versions per object, and a delete takes a version, so B "
     "re-created after its delete is version 3; deleting what is not live is -33802 and takes "
     "no seq; pages of at most limit, nextSeq = the last seq; nothing new: empty and nextSeq = "
     "since; a cursor past the head is -33806; a type not offered and a JSON_PATCH upsert are "
     "-32602",
     expected={"results": [
         e1, e2, e3, e4, e5, err(AGENT_NOT_FOUND), e6, err(AGENT_NOT_FOUND),
         page([e1, e2], "2"), page([e3, e4], "4"), page([e5, e6], "6"), page([], "6"),
         err(CURSOR_EXPIRED), page([e4], "4"), info(["acs"], "6", "0", 100, 3600),
         err(INVALID_PARAMS), err(INVALID_PARAMS)]})

r = [up(1, 0, A, 1, {"n": 1}), up(2, 1, B, 1, {"n": 2}), up(3, 2, C, 1, {"n": 3}),
     up(4, 3, A, 2, {"n": 4}), up(5, 4, B, 2, {"n": 5}), dl(6, 6, C, 2)]
case("feed", F, ["DSC-SYN-010", "DSC-SYN-011", "DSC-SYN-015", "DSC-SYN-020"],
     {"config": {"retentionCount": 3, "retentionAgeSeconds": 3600}, "ids": ["snap-1"], "steps": [
         ups(0, A, {"n": 1}), ups(1, B, {"n": 2}), ups(2, C, {"n": 3}), ups(3, A, {"n": 4}),
         ups(4, B, {"n": 5}),
         rpc(5, "dsp.changes", since="1"), rpc(5, "dsp.changes", since="2"),
         rpc(5, "dsp.changes", since="0"), rpc(5, "dsp.info"), dels(6, C),
         rpc(6, "dsp.changes", since="2"), rpc(6, "dsp.changes", since="3"),
         rpc(6, "dsp.snapshot")]},
     "retention by count (3): after 5 changes seqs 1-2 are gone, the horizon is 2, so since=1 "
     "and since=0 are -33806 and since=2 gets 3..5 (the boundary: oldest kept minus one); a "
     "6th change moves the horizon to 3; a snapshot still holds objects whose first change is "
     "gone, each as its latest upsert",
     expected={"results": [
         *r[:5], err(CURSOR_EXPIRED), page(r[2:5], "5"), err(CURSOR_EXPIRED),
         info(["acs"], "5", "2", 3, 3600), r[5], err(CURSOR_EXPIRED), page(r[3:6], "6"),
         chunk("snap-1", "6", 0, 1, 2, [r[3], r[4]])]})

g = [up(1, 0, A, 1, {"n": 1}), up(2, 30, B, 1, {"n": 2}), up(3, 60, C, 1, {"n": 3}),
     up(4, 200.25, A, 2, {"rev": 2})]
case("feed", F, ["DSC-SYN-006", "DSC-SYN-010", "DSC-SYN-011", "DSC-SYN-020"],
     {"config": {"retentionCount": 100, "retentionAgeSeconds": 60}, "steps": [
         ups(0, A, {"n": 1}), ups(30, B, {"n": 2}), ups(60, C, {"n": 3}),
         rpc(60, "dsp.changes", since="0"), rpc(61, "dsp.changes", since="0"),
         rpc(61, "dsp.changes", since="1"), rpc(200, "dsp.changes", since="3"),
         rpc(200, "dsp.changes", since="2"), rpc(200, "dsp.info"), ups(200.25, A, {"rev": 2}),
         rpc(200.25, "dsp.changes", since="3")]},
     "retention by age (60 s): a change exactly 60 s old is kept, at 61 s it is gone and "
     "since=0 is -33806 while since=1 works; once all are gone the horizon is the head, so "
     "since=3 is an empty page and since=2 is -33806; a time with a fraction gives a ts with "
     "six fraction digits",
     expected={"results": [
         *g[:3], page(g[:3], "3"), err(CURSOR_EXPIRED), page(g[1:3], "3"), page([], "3"),
         err(CURSOR_EXPIRED), info(["acs"], "3", "3", 100, 60), g[3], page([g[3]], "4")]})

k = [up(1, 0, A, 1, {"n": 1}), up(2, 1, B, 1, {"n": 2}), up(3, 2, C, 1, {"n": 3}),
     dl(4, 3, B, 2), up(5, 5, D, 1, {"n": 4}), up(6, 6, A, 2, {"n": 5})]
first = chunk("snap-1", "4", 0, 2, 2, [k[0]])
case("feed", F, ["DSC-SYN-015", "DSC-SYN-017"],
     {"config": {"retentionCount": 100, "retentionAgeSeconds": 3600, "snapshotIdleSeconds": 60,
                 "snapshotMaxSeconds": 300}, "ids": ["snap-1"], "steps": [
         ups(0, A, {"n": 1}), ups(1, B, {"n": 2}), ups(2, C, {"n": 3}), dels(3, B),
         rpc(4, "dsp.snapshot", chunkSize=1), ups(5, D, {"n": 4}), ups(6, A, {"n": 5}),
         rpc(7, "dsp.chunk", snapshotId="snap-1", index=1),
         rpc(8, "dsp.chunk", snapshotId="snap-1", index=0),
         rpc(9, "dsp.chunk", snapshotId="snap-1", index=2),
         rpc(9, "dsp.chunk", snapshotId="snap-9", index=0),
         rpc(9, "dsp.changes", since="4"),
         rpc(9, "dsp.chunk", snapshotId="snap-1", index=-1)]},
     "a snapshot is the cut at seq 4 (A and C live, B deleted), one object per chunk in id "
     "order; D and A v2 appended afterwards are in no chunk but in changes since 4; chunk 0 "
     "again is identical; an index past the end or an unknown id is -33807; a negative index "
     "is -32602",
     expected={"results": [
         *k[:4], first, k[4], k[5], chunk("snap-1", "4", 1, 2, 2, [k[2]]), first,
         err(SNAPSHOT_NOT_FOUND), err(SNAPSHOT_NOT_FOUND), page(k[4:6], "6"),
         err(INVALID_PARAMS)]})

o1, a2 = up(1, 0, ONT, 1, {"k": 1}, "ont"), up(2, 1, A, 1, {"k": 2})
case("feed", F, ["DSC-SYN-015", "DSC-SYN-016", "DSC-SYN-020"],
     {"config": {"retentionCount": 100, "retentionAgeSeconds": 3600, "types": ["acs", "ont"]},
      "ids": ["s1", "s2", "s3"], "steps": [
         ups(0, ONT, {"k": 1}, "ont"), ups(1, A, {"k": 2}),
         rpc(2, "dsp.snapshot", types=["acs"], chunkSize=10), rpc(2, "dsp.snapshot"),
         rpc(2, "dsp.snapshot", types=["other"]), dels(3, A), dels(3, ONT, "ont"),
         rpc(4, "dsp.snapshot", types=["ont"]), rpc(4, "dsp.info")]},
     "two types share one seq line; a snapshot of one type holds only that type; of all types "
     "it orders by type then id (acs before ont); an unoffered type is -32602 and uses no "
     "snapshot id; an empty snapshot still has one (empty) chunk",
     expected={"results": [
         o1, a2, chunk("s1", "2", 0, 1, 1, [a2]), chunk("s2", "2", 0, 1, 2, [a2, o1]),
         err(INVALID_PARAMS), dl(3, 3, A, 2), dl(4, 3, ONT, 2, "ont"), chunk("s3", "4", 0, 1, 0, []),
         info(["acs", "ont"], "4", "0", 100, 3600)]})

empty1, empty2 = chunk("snap-1", "0", 0, 1, 0, []), chunk("snap-2", "0", 0, 1, 0, [])
case("feed", F, ["DSC-SYN-018", "DSC-SYN-017", "DSC-SYN-011"],
     {"config": {"retentionCount": 100, "retentionAgeSeconds": 3600, "snapshotIdleSeconds": 60,
                 "snapshotMaxSeconds": 150}, "ids": ["snap-1", "snap-2"], "steps": [
         rpc(0, "dsp.snapshot"), rpc(60, "dsp.chunk", snapshotId="snap-1", index=0),
         rpc(121, "dsp.chunk", snapshotId="snap-1", index=0),
         rpc(121, "dsp.chunk", snapshotId="snap-1", index=0), rpc(200, "dsp.snapshot"),
         rpc(260, "dsp.chunk", snapshotId="snap-2", index=0),
         rpc(320, "dsp.chunk", snapshotId="snap-2", index=0),
         rpc(350, "dsp.chunk", snapshotId="snap-2", index=0),
         rpc(351, "dsp.chunk", snapshotId="snap-2", index=0),
         rpc(351, "dsp.changes", since="0"), rpc(351, "dsp.changes", since="1")]},
     "idle 60 s, lifetime 150 s: used again after exactly 60 s it lives; after 61 s idle it is "
     "gone for good (-33807); kept in use, it lives to exactly 150 s and is gone at 151 s; an "
     "empty feed has head 0, so since=0 is an empty page and since=1 is -33806",
     expected={"results": [
         empty1, empty1, err(SNAPSHOT_NOT_FOUND), err(SNAPSHOT_NOT_FOUND), empty2, empty2, empty2,
         empty2, err(SNAPSHOT_NOT_FOUND), page([], "0"), err(CURSOR_EXPIRED)]})

# ---------------------------------------------------------------- consumer sequences
R = "sync.replica"
OK = {"ok": True}


def held(id_: str, version: int, payload: Any, type_: str = "acs") -> dict[str, Any]:
    return {"type": type_, "id": id_, "version": version, "payload": payload}


a2_, b1, c1 = up(3, 0, A, 2, {"n": "a2"}), up(2, 0, B, 1, {"n": "b1"}), up(5, 0, C, 1, {"n": "c1"})
c0, c1_ = chunk("snap-1", "5", 0, 2, 3, [a2_, b1]), chunk("snap-1", "5", 1, 2, 3, [c1])
p1 = page([dl(7, 1, B, 2), up(6, 1, D, 1, {"n": "d1"}), dl(7, 1, B, 2),
           up(8, 1, A, 3, {"n": "a3"})], "8")
case("replica", R, ["DSC-SYN-008", "DSC-SYN-019"],
     {"steps": [{"chunk": c1_}, {"chunk": c1_}, {"chunk": c0}, {"chunk": c0}, {"page": p1},
                {"page": p1}, {"page": page([], "8")}]},
     "chunks out of order and twice; the snapshot applies when its last chunk arrives (cursor 5) "
     "and a chunk of it again changes nothing; a page out of seq order with a repeated delete, "
     "applied twice, gives the same state",
     expected={"results": [OK] * 7, "cursor": "8",
               "objects": [held(A, 3, {"n": "a3"}), held(C, 1, {"n": "c1"}),
                           held(D, 1, {"n": "d1"})]})
case("replica", R, ["DSC-SYN-019"], {"steps": [{"chunk": c1_}]},
     "half a snapshot changes nothing", expected={"results": [OK], "cursor": "0", "objects": []})
X = "urn:aip:acs:agent-x"
TOMB = [{"page": page([dl(2, 1, X, 2), up(1, 0, X, 1, {"v": 1})], "2")},
        {"page": page([up(1, 0, X, 1, {"v": 1})], "2")}]
case("replica", R, ["DSC-SYN-008"], {"steps": TOMB},
     "the delete (version 2) arrives before the upsert it follows: its tombstone keeps version "
     "1 from bringing X back, also when that page is delivered again",
     expected={"results": [OK] * 2, "cursor": "2", "objects": []})
case("replica", R, ["DSC-SYN-008"],
     {"steps": [*TOMB, {"page": page([up(3, 2, X, 3, {"back": True})], "3")}]},
     "after the tombstone, version 3 re-creates X",
     expected={"results": [OK] * 3, "cursor": "3", "objects": [held(X, 3, {"back": True})]})
old = page([up(1, 0, A, 1, {"n": 1}), up(2, 0, B, 1, {"n": 2})], "2")
case("replica", R, ["DSC-SYN-009", "DSC-SYN-019"],
     {"steps": [{"page": old}, {"chunk": chunk("snap-2", "9", 0, 1, 1, [up(9, 5, A, 3, {"n": 3})])},
                {"page": old}, {"page": page([up(8, 4, B, 2, {"n": "late"})], "8")}]},
     "a re-snapshot at 9 replaces the state (B, deleted meanwhile, goes) and sets cursor 9; the "
     "old page again and a late change at seq 8 are at or below the cursor and ignored, so B "
     "stays gone although the replica no longer knows its version",
     expected={"results": [OK] * 4, "cursor": "9", "objects": [held(A, 3, {"n": 3})]})
case("replica", R, ["DSC-SYN-019"],
     {"steps": [{"page": page([up(60, 0, A, 7, {"n": 7})], "60")},
                {"chunk": chunk("snap-r", "20", 0, 1, 1, [up(20, 0, B, 1, {"n": 1})])}]},
     "a snapshot below the cursor (a provider restored from backup) still replaces the state "
     "and moves the cursor back to its seq",
     expected={"results": [OK] * 2, "cursor": "20", "objects": [held(B, 1, {"n": 1})]})
case("replica", R, ["DSC-SYN-019"],
     {"steps": [{"chunk": chunk("s1", "3", 0, 2, 2, [up(1, 0, A, 1, {"n": 1})])},
                {"chunk": chunk("s2", "4", 0, 1, 1, [up(4, 0, B, 1, {"n": 2})])},
                {"chunk": chunk("s1", "3", 1, 2, 2, [up(3, 0, C, 1, {"n": 3})])}]},
     "a chunk of another snapshot abandons the half-assembled one: s2 applies, and s1's second "
     "chunk alone applies nothing",
     expected={"results": [OK] * 3, "cursor": "4", "objects": [held(B, 1, {"n": 2})]})
case("replica", R, ["DSC-SYN-004", "DSC-SYN-008"], {"types": ["acs"], "steps": [
        {"chunk": chunk("snap-1", "10", 0, 1, 2, [up(4, 0, A, 1, {"n": 1}),
                                                  up(10, 0, ONT, 1, {"k": 1}, "ont")])},
        {"page": page([up(20, 1, ONT, 2, {"k": 2}, "ont"), up(35, 1, B, 1, {"n": 2})], "35")},
        {"page": page([], "35")}]},
     "a replica of acs only skips ont objects and changes; seqs 10, 20, 35 with gaps are fine",
     expected={"results": [OK] * 3, "cursor": "35",
               "objects": [held(A, 1, {"n": 1}), held(B, 1, {"n": 2})]})
PATCH = {**up(5, 0, A, 1, {}), "payload": [{"op": "add", "path": "/n", "value": 1}]}
case("replica", R, ["DSC-SYN-007", "DSC-SYN-012", "DSC-SYN-015", "DSC-SYN-019"], {"steps": [
        {"page": page([up(5, 0, A, 1, {"n": 1})], "4")},
        {"page": page([PATCH], "5")},
        {"chunk": chunk("s1", "3", 2, 2, 1, [])},
        {"chunk": chunk("s3", "3", 0, 2, 1, [up(2, 0, A, 1, {"n": 1})])},
        {"chunk": chunk("s3", "4", 1, 2, 1, [])},
        {"chunk": chunk("s4", "3", 0, 1, 2, [up(1, 0, A, 1, {"n": 1})])},
        {"chunk": chunk("s5", "3", 0, 1, 1, [dl(1, 0, A, 2)])},
        {"chunk": chunk("s6", "1", 0, 1, 1, [up(2, 0, A, 1, {"n": 1})])},
        {"chunk": chunk("s7", "2", 0, 2, 2, [up(1, 0, A, 1, {"n": 1})])},
        {"chunk": chunk("s7", "2", 1, 2, 2, [up(1, 0, A, 1, {"n": 1})])}]},
     "each refused with -32602 and the replica left empty at cursor 0: nextSeq below a change; "
     "a JSON_PATCH payload; chunk index past chunkTotal; a chunk whose seq disagrees with its "
     "snapshot's first chunk; objectCount 2 with one object; a delete in a snapshot; an object "
     "newer than the snapshot; the same object in two chunks",
     expected={"results": [err(INVALID_PARAMS), err(INVALID_PARAMS), err(INVALID_PARAMS), OK,
                           err(INVALID_PARAMS), err(INVALID_PARAMS), err(INVALID_PARAMS),
                           err(INVALID_PARAMS), OK, err(INVALID_PARAMS)],
               "cursor": "0", "objects": []})


def main() -> None:
    doc = {
        "format": "aip-vectors/1",
        "area": "discovery.sync",
        "description": "DSP synchronisation (DSC-SYN): the seq text form, the change envelope, "
                       "the params of dsp.info / dsp.changes / dsp.snapshot / dsp.chunk, "
                       "provider sequences (versions, paging, retention horizon by count and "
                       "age, snapshot cut, chunks, expiry) and consumer sequences (chunk "
                       "assembly, version and cursor guards). Expected values written by hand "
                       "in tools/gen_sync_vectors.py.",
        "cases": CASES,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(OUT.relative_to(OUT.parents[3]), len(CASES))


if __name__ == "__main__":
    main()
