"""AMP log records (spec Part 11, topic AUD-REC): shape rules, signing, subject hashes, times.

Every refusal asserts the registry code and, for RECORD_INVALID, the JSON Pointer in
``data.member`` [AUD-REC-022], so a case cannot pass by failing for an unrelated reason.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aip import codec
from aip._spec import spec_dir
from aip.audit.bodies import is_secret_name, is_subject_hash
from aip.audit.records import (
    LOG_TYPES,
    SEVERITIES,
    audit_body,
    check_record,
    format_timestamp,
    hash_subject,
    make_record,
    parse_timestamp,
    sign_record,
    verify_record,
)
from aip.errors import AipError, Code
from aip.identity.keys import SigningKey, b64url_encode
from aip.integrity import sign_object
from conformance.ops.records import OPERATIONS
from conformance.requirements import load_requirements
from conformance.runner import run_case
from conformance.vectors import load_file
from tests.helpers import code_of

KEY = SigningKey(bytes(range(32)))
OTHER = SigningKey(bytes(range(1, 33)))
KID = KEY.verify_key.key_id()
AIC = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
SALT = b"0123456789abcdef"
T0 = datetime(2026, 11, 21, 10, tzinfo=UTC)
VECTORS = spec_dir() / "vectors" / "audit" / "records.json"
DROP = object()


def _member_of(fn: Any, *args: Any) -> str:
    """Call ``fn``; it must raise RECORD_INVALID; return the pointer it names."""
    with pytest.raises(AipError) as info:
        fn(*args)
    assert info.value.code == Code.RECORD_INVALID
    assert info.value.data is not None
    member = info.value.data["member"]
    assert isinstance(member, str)
    return member


def _edit(record: dict[str, Any], *changes: tuple[str, Any]) -> dict[str, Any]:
    """A deep copy with each (JSON Pointer, value or DROP) applied."""
    out = copy.deepcopy(record)
    for pointer, value in changes:
        *path, last = pointer.split("/")[1:]
        node: Any = out
        for part in path:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is DROP:
            del node[last]
        else:
            node[int(last) if isinstance(node, list) else last] = value
    return out


def _envelope(log_type: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    record = {"schemaVersion": "1.0.0", "timestamp": "2026-11-21T10:00:00.000000Z", "aic": AIC,
              "logType": log_type, "body": body}  # fmt: skip
    return {**record, **extra}


USER = hash_subject("alice@example.org", SALT)
AUDIT = _envelope(
    "audit",
    {
        "actor": {"id": USER, "type": "user", "role": "operator", "ip": "10.0.0.5"},
        "action": {"name": "task.cancel", "type": "task", "method": "aip.rpc"},
        "target": {"type": "task", "id": "task-42", "before": {"state": "working"}, "after": None},
        "result": {"status": "success"},
    },
    observedTimestamp="2026-11-21T10:00:00.250000Z",
    traceId="4bf92f3577b34da6a3ce929d0e0e4736",
    spanId="00f067aa0ba902b7",
    parentSpanId="b7ad6b7169203331",
    correlationId="task-42",
    severityText="INFO",
    severityNumber=9,
    resource={"service.name": "aip-node", "host.ip": ["10.0.0.5"], "process.pid": 7},
    attributes={"retry": False, "weights": [0.5, 1]},
)
BODIES: dict[str, dict[str, Any]] = {
    "heartbeat": {"uptimeSeconds": 86400},
    "metrics": {
        "loadMetrics": {"activeTasks": 3, "queuedTasks": 0, "cpuUsage": 45.5},
        "windowMetrics": [{"window": "P2DT5H30M", "successRate": 100, "p99LatencyMs": 9.5}],
    },
    "access": {
        "durationMs": 3,
        "request": {"method": "aip.rpc", "headers": {"Accept": "application/json"}},
        "response": {"statusCode": 200},
        "caller": {"aic": AIC, "ip": "::1"},
        "error": {"code": "E1", "data": {"any": [None]}},
    },
    "message": {"direction": "receive", "system": "aip-ws", "destination": {"name": "inbox"},
                "ack": {"status": "nack", "reason": "busy"}, "deliveryAttempt": 2,
                "attributes": {"priority": "high"}},
    "system": {"anything": {"goes": [1, "two", None]}},
    "audit": AUDIT["body"],
}  # fmt: skip


def _signed(record: dict[str, Any]) -> dict[str, Any]:
    """Sign without the shape check, so that a broken record still carries a good signature."""
    return sign_object(record, KEY)


# ---------------------------------------------------------------- valid records


@pytest.mark.parametrize("log_type", LOG_TYPES)
def test_valid_record_of_each_type_is_returned_unchanged(log_type: str) -> None:
    record = _envelope(log_type, BODIES[log_type])
    if log_type == "audit":
        record = _signed(record)
    before = copy.deepcopy(record)
    assert check_record(record) is record  # [AUD-REC-021]
    assert record == before


@pytest.mark.parametrize("log_type", ["heartbeat", "metrics", "access", "system"])
def test_minimal_bodies_of_optional_types(log_type: str) -> None:
    assert check_record(_envelope(log_type, {}))["body"] == {}


def test_full_audit_record_signs_and_verifies() -> None:
    signed = sign_record(AUDIT, KEY)
    assert signed["integrity"]["kid"] == KID
    parsed = codec.parse(codec.dumps(signed))
    assert verify_record(parsed, KEY.verify_key) == KID
    assert verify_record(parsed, {KID: KEY.verify_key}) == KID


def test_make_record_builds_the_envelope() -> None:
    body = {"uptimeSeconds": 5}
    record = make_record(aic=AIC, log_type="heartbeat", body=body, timestamp=T0,
                         observed=T0 + timedelta(milliseconds=250), trace_id="ab" * 16,
                         span_id="cd" * 8, correlation_id="s-1", severity="WARN",
                         resource={"service.name": "n"}, attributes={"a": 1})  # fmt: skip
    assert record == {
        "schemaVersion": "1.0.0", "timestamp": "2026-11-21T10:00:00.000000Z",
        "observedTimestamp": "2026-11-21T10:00:00.250000Z", "aic": AIC, "logType": "heartbeat",
        "traceId": "ab" * 16, "spanId": "cd" * 8, "correlationId": "s-1", "severityText": "WARN",
        "severityNumber": 13, "body": {"uptimeSeconds": 5}, "resource": {"service.name": "n"},
        "attributes": {"a": 1},
    }  # fmt: skip
    body["uptimeSeconds"] = 6
    assert record["body"] == {"uptimeSeconds": 5}  # copied
    bare = make_record(aic=AIC, log_type="system", body={}, timestamp=T0, severity=None)
    assert "severityText" not in bare
    assert "severityNumber" not in bare


@pytest.mark.parametrize(
    "changes", [{"log_type": "audit", "body": {}}, {"timestamp": datetime(2026, 11, 21, 10)},
                {"severity": "NOTICE"}, {"aic": AIC.lower()}, {"trace_id": "AB" * 16}],
)  # fmt: skip
def test_make_record_refuses_bad_arguments(changes: dict[str, Any]) -> None:
    args: dict[str, Any] = {"aic": AIC, "log_type": "system", "body": {}, "timestamp": T0}
    assert code_of(make_record, **{**args, **changes}) == Code.RECORD_INVALID


def test_make_record_leaves_an_audit_record_unsigned_until_signed() -> None:
    record = make_record(aic=AIC, log_type="audit", body=AUDIT["body"], timestamp=T0)
    assert code_of(check_record, record) == Code.INTEGRITY_MISSING  # [AUD-REC-018]
    assert verify_record(sign_record(record, KEY), KEY.verify_key) == KID


def test_audit_body_checks_and_copies() -> None:
    actor = {"id": hash_subject("bob", SALT), "type": "user"}
    body = audit_body(actor=actor, action={"name": "a.b", "type": "a"},
                      target={"type": "t", "id": "1"}, result={"status": "unknown"})  # fmt: skip
    actor["type"] = "agent"
    assert body["actor"]["type"] == "user"
    raw = {"id": "bob", "type": "user"}
    parts = {"action": {"name": "a", "type": "a"}, "target": {"type": "t", "id": "1"},
             "result": {"status": "success"}}  # fmt: skip
    assert _member_of(lambda: audit_body(actor=raw, **parts)) == "/body/actor/id"


def test_unknown_members_are_kept_and_signed() -> None:  # [AUD-REC-011] [AUD-REC-012]
    record = _edit(AUDIT, ("/x-vendor", {"deep": [1, {"k": "v"}]}), ("/body/x-extra", True),
                   ("/body/actor/department", "ops"))  # fmt: skip
    signed = sign_record(record, KEY)
    assert signed["x-vendor"] == {"deep": [1, {"k": "v"}]}
    assert verify_record(signed, KEY.verify_key) == KID
    stripped = {k: v for k, v in signed.items() if k != "x-vendor"}
    assert code_of(verify_record, stripped, KEY.verify_key) == Code.SIGNATURE_INVALID


@pytest.mark.parametrize(
    "changes",
    [
        [("/timestamp", "2026-11-21T10:00:00Z")], [("/timestamp", "2026-11-21T10:00:00.1Z")],
        [("/timestamp", "2026-11-21T10:00:00.123Z")], [("/severityNumber", 12)],
        [("/severityNumber", 9.0)], [("/severityText", DROP), ("/severityNumber", DROP)],
        [("/schemaVersion", "1.22.0")], [("/resource/host.ip", [])],
        [("/attributes/n", [1, 2.5, -0.0])],
        [("/attributes/n", [9007199254740991.0, -9007199254740991])],
        [("/body/result/reason", "")],
        [("/body/target", {"type": "user", "id": USER, "after": None})],
        [("/body/actor", {"id": AIC, "type": "agent", "name": "travel agent"})],
        [("/body/target/before/tokenId", "jti-1")], [("/body/target/before/maxTokens", 4096)],
    ],
    ids=lambda c: "+".join(f"{p}" for p, _ in c),
)  # fmt: skip
def test_variants_that_stay_valid(changes: list[tuple[str, Any]]) -> None:
    record = _signed(_edit(AUDIT, *changes))
    assert check_record(record) is record


# ---------------------------------------------------------------- every rule has a failing case

_GROUPS: list[tuple[str, str, list[Any], str | None]] = [  # (base, pointer, values, named)
    # [AUD-REC-001]
    *(("audit", f"/{name}", [DROP], None) for name in
      ("schemaVersion", "timestamp", "aic", "logType", "body")),
    *(("audit", f"/{name}", [None], None) for name in
      ("traceId", "observedTimestamp", "attributes")),
    ("audit", "/schemaVersion", ["1.0", "2.0.0", "0.9.0", "1.00.0", "1.0.0+build", 1], None),
    ("audit", "/timestamp", ["2026-11-21T10:00:00+00:00", "2026-11-21T10:00:00.000000z",
                             "2026-11-21T10:00:00.1234567Z", "2026-11-21T10:00:00.Z",
                             "2026-11-31T10:00:00Z", "2026-11-21T10:00:60Z",
                             "26-11-21T10:00:00Z", "2026-11-21T10:00:00Z\n",
                             "٢٠٢٦-11-21T10:00:00Z"], None),  # [AUD-REC-003]
    ("audit", "/observedTimestamp", ["2026-11-21"], None),
    ("audit", "/aic", [AIC.lower(), AIC + " ", "1.2.156.3088.1.1.34C2.478BDF.3GF546",
                       "1.2.156.3088.1.1.34C2.478BDF.3GF546.1EKG", ""], None),  # [AUD-REC-005]
    ("audit", "/logType", ["trace", "AUDIT", ["audit"]], None),  # [AUD-REC-006]
    ("audit", "/traceId", ["4BF92F3577B34DA6A3CE929D0E0E4736", "0" * 32,
                           "4bf92f3577b34da6a3ce929d0e0e47"], None),  # [AUD-REC-007]
    ("audit", "/spanId", ["0" * 16, "00f067aa-0ba902b"], None),
    ("audit", "/parentSpanId", ["0" * 16], None),
    ("audit", "/traceId", [DROP], "/spanId"),
    ("audit", "/spanId", [DROP], "/parentSpanId"),
    ("audit", "/correlationId", ["", 42], None),  # [AUD-REC-008]
    ("audit", "/severityText", ["Critical", "WARNING", DROP], None),  # [AUD-REC-009]
    ("audit", "/severityNumber", [13, 8, 0, 9.5, True, DROP], None),
    ("audit", "/resource/service.name", [DROP, ""], None),  # [AUD-REC-010]
    ("audit", "/resource", ["aip-node"], None),
    ("audit", "/resource/host", [{"name": "h"}], None),
    ("audit", "/resource/host.ip", [["10.0.0.5", None]], None),
    ("audit", "/attributes/mixed", [[True, 1]], None),
    ("audit", "/attributes/", ["empty name"], None),
    ("audit", "/attributes/none", [None], None),
    ("system", "/body", [[], None], None),  # [AUD-REC-012]
    ("heartbeat", "/body/uptimeSeconds", ["86400", -0.5], None),
    ("metrics", "/body/loadMetrics/queuedTasks", [DROP, 1.5], None),
    ("metrics", "/body/loadMetrics/cpuUsage", [100.1], None),
    ("metrics", "/body/windowMetrics/0/window", ["PT", "P1DT"], None),
    ("metrics", "/body/windowMetrics/0/successRate", [-1], None),
    ("metrics", "/body/windowMetrics", [{"window": "PT1M"}], None),
    ("access", "/body/durationMs", [None], None),
    ("access", "/body/request/method", [""], None),
    ("access", "/body/request/headers/Accept", [["a"]], None),
    ("access", "/body/response/statusCode", [200.5], None),
    ("access", "/body/caller/aic", ["agent-1"], None),
    ("access", "/body/caller/ip", ["10.0.0.256"], None),
    ("access", "/body/error", ["boom"], None),
    ("access", "/body/error/code", [{"n": 1}], None),
    ("message", "/body/direction", [DROP, "both"], None),
    ("message", "/body/system", [""], None),
    ("message", "/body/destination", [DROP], None),
    ("message", "/body/destination/kind", ["stream"], None),
    ("message", "/body/ack/status", [DROP], None),
    ("message", "/body/deliveryAttempt", [0], None),
    ("message", "/body/attributes", [[]], None),
    *(("audit", f"/body/{name}", [DROP], None) for name in  # [AUD-REC-013]
      ("actor", "action", "target", "result", "actor/id", "action/name", "action/type",
       "target/type", "target/id")),
    ("audit", "/body/actor/type", [""], None),
    ("audit", "/body/actor/ip", ["10.0.0"], None),
    ("audit", "/body/actor/userAgent", [5], None),
    ("audit", "/body/action/method", [""], None),
    ("audit", "/body/result/status", ["SUCCESS"], None),
    ("audit", "/body/result/errorCode", [-33205], None),
    *(("audit", pointer, ["x"], None) for pointer in  # [AUD-REC-014]
      ("/body/target/before/password", "/body/target/before/accessToken",
       "/attributes/refresh_token", "/resource/db.password", "/token")),
    ("access", "/body/request/headers/authorization", ["Bearer x"], None),
    ("access", "/body/response/headers", [{"Cookie": "1"}], "/body/response/headers/Cookie"),
    ("system", "/body/keys", [[{"private-key": "k"}]], "/body/keys/0/private-key"),
    ("system", "/body/CLIENT_SECRET", ["s"], None),
    ("system", "/body/x-api-key", ["k"], None),
    ("system", "/body/a~b", [{"passphrase": "p"}], "/body/a~0b/passphrase"),
    ("message", "/body/attributes/idToken", ["t"], None),
    # [AUD-REC-015]; the last one has a non-canonical final character
    ("audit", "/body/actor/id", ["alice", USER.replace("hmac-sha256:", "sha256:"),
                                 USER[:-1] + "B"], None),
    ("audit", "/body/actor/name", ["Alice"], None),
    ("audit", "/body/target", [{"type": "user", "id": "user-67890"}], "/body/target/id"),
    ("audit", "/body/target", [{"type": "user", "id": USER, "name": "bob"}], "/body/target/name"),
]
RULES = [(base, pointer, value, named) for base, pointer, values, named in _GROUPS
         for value in values]  # fmt: skip


@pytest.mark.parametrize(
    ("log_type", "pointer", "value", "named"),
    RULES,
    ids=[f"{t}{p}={'DROP' if v is DROP else json.dumps(v)[:24]}" for t, p, v, _ in RULES],
)
def test_each_rule_refuses(log_type: str, pointer: str, value: Any, named: str | None) -> None:
    base = AUDIT if log_type == "audit" else _envelope(log_type, BODIES[log_type])
    record = _signed(_edit(base, (pointer, value)))
    where = named or pointer
    assert _member_of(check_record, record) == where
    assert _member_of(verify_record, record, KEY.verify_key) == where  # shape before signature
    assert _member_of(sign_record, _edit(base, (pointer, value)), KEY) == where


@pytest.mark.parametrize("record", [[], "record", None, 5, {1: 2}])
def test_a_record_is_an_object(record: Any) -> None:
    assert _member_of(check_record, record) == ""


@pytest.mark.parametrize(
    ("value", "named"),
    [(float("nan"), "/body/v"), (2**53, "/body/v"), (2.0**53, "/body/v"), (-1e20, "/body/v"),
     (datetime(2026, 1, 1, tzinfo=UTC), "/body/v"), ((1, 2), "/body/v"), ({1: "x"}, "/body/v"),
     ({"a": {"b": [{"c": float("inf")}]}}, "/body/v/a/b/0/c")],
)  # fmt: skip
def test_values_that_are_not_json_are_refused(value: Any, named: str) -> None:
    assert _member_of(check_record, _envelope("system", {"v": value})) == named


def test_nesting_and_cycles_end_in_record_invalid() -> None:
    deep: Any = "leaf"
    for _ in range(126):  # record + body + 126 = 128 levels: allowed
        deep = [deep]
    assert check_record(_envelope("system", {"v": deep}))
    assert _member_of(check_record, _envelope("system", {"v": [deep]})).startswith("/body/v/0")
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    assert _member_of(check_record, _envelope("system", cyclic)).startswith("/body/self")


@pytest.mark.parametrize(
    "name",
    ["token", "Token", "access_token", "X-Auth-Token", "csrfToken", "password", "db.password",
     "passwd", "PASSPHRASE", "clientSecret", "apiKey", "x-api-key", "private_key",
     "Authorization", "Proxy-Authorization", "Cookie", "set-cookie"],
)  # fmt: skip
def test_secret_names(name: str) -> None:  # [AUD-REC-014]
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["tokenId", "tokens", "maxTokens", "secretary", "passwordPolicy", "cookies", "key",
             "authorizationDecision", "jti", "tokenHash"],
)  # fmt: skip
def test_names_that_are_not_secrets(name: str) -> None:
    assert not is_secret_name(name)
    assert check_record(_envelope("system", {name: "v"}))


# ---------------------------------------------------------------- integrity [AUD-REC-017..020]


def test_audit_record_without_integrity_is_refused() -> None:
    unsigned = copy.deepcopy(AUDIT)
    assert code_of(check_record, unsigned) == Code.INTEGRITY_MISSING
    assert code_of(verify_record, unsigned, KEY.verify_key) == Code.INTEGRITY_MISSING
    assert code_of(check_record, {**unsigned, "integrity": None}) == Code.INTEGRITY_MISSING


def test_shape_is_checked_before_integrity() -> None:  # [AUD-REC-020]
    broken = _edit(AUDIT, ("/severityNumber", 30))
    assert _member_of(check_record, broken) == "/severityNumber"


def test_other_types_may_be_unsigned_but_verify_needs_a_signature() -> None:  # [AUD-REC-019]
    heartbeat = _envelope("heartbeat", {})
    assert check_record(heartbeat) is heartbeat
    assert code_of(verify_record, heartbeat, KEY.verify_key) == Code.INTEGRITY_MISSING
    assert _member_of(check_record, {**heartbeat, "integrity": None}) == "/integrity"
    signed = sign_record(heartbeat, KEY)
    assert verify_record(signed, KEY.verify_key) == KID


@pytest.mark.parametrize(
    "integrity", ["sig", {"alg": "EdDSA", "kid": "k"}, {"alg": "EdDSA", "kid": "", "sig": "s"},
                  {"alg": "EdDSA", "kid": "k", "sig": "s", "x": 1}],
)  # fmt: skip
def test_malformed_integrity(integrity: Any) -> None:
    for log_type in ("audit", "heartbeat"):
        record = {**_envelope(log_type, BODIES[log_type]), "integrity": integrity}
        assert code_of(check_record, record) == Code.INTEGRITY_MALFORMED


def test_part3_order_after_the_shape() -> None:
    signed = sign_record(AUDIT, KEY)
    es256 = {**signed, "integrity": {**signed["integrity"], "alg": "ES256"}}
    assert code_of(verify_record, es256, KEY.verify_key) == Code.ALGORITHM_UNSUPPORTED
    assert code_of(verify_record, signed, OTHER.verify_key) == Code.KEY_UNKNOWN
    other_sig = sign_record(AUDIT, OTHER)["integrity"]["sig"]
    forged = {**signed, "integrity": {**signed["integrity"], "sig": other_sig}}
    assert code_of(verify_record, forged, KEY.verify_key) == Code.SIGNATURE_INVALID
    assert sign_record(signed, KEY, kid="k-1")["integrity"]["kid"] == "k-1"  # replaced


TAMPER: list[list[tuple[str, Any]]] = [  # severity, resource and attributes: outside AMP's list
    [("/severityNumber", 10)], [("/severityText", "ERROR"), ("/severityNumber", 17)],
    [("/resource/service.name", "other")], [("/resource/process.pid", 8)],
    [("/attributes/retry", True)], [("/attributes", DROP)], [("/attributes/new", "x")],
    [("/observedTimestamp", "2026-11-21T10:00:01.000000Z")], [("/schemaVersion", "1.1.0")],
    [("/timestamp", "2026-11-21T10:00:00.000001Z")], [("/aic", "1.2.156.3088.1.2.5A.9B.7C.1A2B")],
    [("/traceId", "5bf92f3577b34da6a3ce929d0e0e4736")], [("/correlationId", "task-43")],
    [("/body/result/status", "failure")], [("/body/target/after", {"state": "canceled"})],
    [("/body/actor/role", "admin")], [("/x-added", 1)],
]  # fmt: skip


@pytest.mark.parametrize("changes", TAMPER, ids=lambda c: "+".join(p for p, _ in c))
def test_tampering_any_member_breaks_the_signature(changes: list[tuple[str, Any]]) -> None:
    signed = sign_record(AUDIT, KEY)
    tampered = _edit(signed, *changes)
    assert check_record(tampered) is tampered  # still well-formed: only the signature catches it
    assert code_of(verify_record, tampered, KEY.verify_key) == Code.SIGNATURE_INVALID


# ---------------------------------------------------------------- times [AUD-REC-003] [AUD-REC-004]


_ZONES = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))]


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.sampled_from(_ZONES)))  # fmt: skip
def test_timestamps_round_trip(moment: datetime) -> None:
    text = format_timestamp(moment)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", text)
    assert parse_timestamp(text) == moment
    assert parse_timestamp(text).tzinfo is UTC


@settings(max_examples=50)
@given(st.datetimes(timezones=st.just(UTC)), st.datetimes(timezones=st.just(UTC)))
def test_timestamp_text_order_is_time_order(a: datetime, b: datetime) -> None:
    assert (format_timestamp(a) < format_timestamp(b)) == (a < b)


def test_timestamp_refusals() -> None:
    naive = datetime(2026, 1, 1)
    assert code_of(format_timestamp, naive) == Code.RECORD_INVALID
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    assert code_of(format_timestamp, early) == Code.RECORD_INVALID
    for text in ("2026-01-01T00:00:00+01:00", "2026-01-01", "2026-02-29T00:00:00Z", ""):
        assert code_of(parse_timestamp, text) == Code.RECORD_INVALID
    assert parse_timestamp("2026-01-01T00:00:00.5Z").microsecond == 500000


# ---------------------------------------------------------------- subject hashes [AUD-REC-016]


def test_subject_hash_is_hmac_sha256_base64url() -> None:
    expected = hmac.new(SALT, b"alice@example.org", hashlib.sha256).digest()
    assert "hmac-sha256:" + b64url_encode(expected) == USER
    assert is_subject_hash(USER)
    assert hash_subject("alice@example.org", SALT + b"x") != USER
    assert hash_subject("Alice@example.org", SALT) != USER  # hashed exactly as given


@pytest.mark.parametrize(
    ("value", "salt"), [("alice", SALT[:15]), ("", SALT), ("\ud800", SALT), (5, SALT),
                        ("alice", "0123456789abcdef")],
)  # fmt: skip
def test_subject_hash_refusals(value: Any, salt: Any) -> None:
    assert code_of(hash_subject, value, salt) == Code.RECORD_INVALID


@given(st.text(min_size=1), st.binary(min_size=16, max_size=64))
def test_every_subject_hash_is_accepted_as_a_user_id(value: str, salt: bytes) -> None:
    subject = hash_subject(value, salt)
    assert is_subject_hash(subject)
    record = _signed(_edit(AUDIT, ("/body/actor/id", subject)))
    assert check_record(record) is record


# ---------------------------------------------------------------- properties

_SAFE = 2**53 - 1
_names = st.text(min_size=1, max_size=8).filter(lambda n: not is_secret_name(n))
_floats = st.floats(-_SAFE, _SAFE)  # [AUD-REC-023]
_scalars = st.text(max_size=8) | st.booleans() | st.integers(-_SAFE, _SAFE) | _floats
_json = st.recursive(
    st.none() | _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_names, inner, max_size=3),
    max_leaves=12,
)
_attr_values = (_scalars | st.lists(st.text(max_size=5), max_size=3)
                | st.lists(st.integers(-_SAFE, _SAFE) | _floats, max_size=3)
                | st.lists(st.booleans(), max_size=3))  # fmt: skip
_attrs = st.dictionaries(_names, _attr_values, max_size=4)
_times = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                      timezones=st.just(UTC)).map(format_timestamp)  # fmt: skip


def _hex(size: int) -> st.SearchStrategy[str]:
    return st.binary(min_size=size, max_size=size).filter(any).map(bytes.hex)


_party = st.fixed_dictionaries({"id": st.text(min_size=1, max_size=8), "type": st.just("agent")},
                               optional={"role": st.text(min_size=1, max_size=5)})  # fmt: skip
_user = st.builds(lambda v: {"id": hash_subject(v, SALT), "type": "user"}, st.text(min_size=1))
_BODY_STRATEGIES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "heartbeat": st.fixed_dictionaries({}, optional={"uptimeSeconds": st.integers(0, 10**9)}),
    "system": st.dictionaries(_names, _json, max_size=4),
    "message": st.fixed_dictionaries({
        "direction": st.sampled_from(["send", "receive"]), "system": st.just("aip-ws"),
        "destination": st.fixed_dictionaries({"name": st.text(min_size=1, max_size=6)})}),
    "audit": st.fixed_dictionaries({
        "actor": _party | _user,
        "action": st.fixed_dictionaries({"name": st.text(min_size=1), "type": st.just("task")}),
        "target": st.fixed_dictionaries({"type": st.just("task"), "id": st.text(min_size=1)},
                                        optional={"after": _json}),
        "result": st.fixed_dictionaries({"status": st.sampled_from(["success", "failure",
                                                                    "unknown"])})}),
}  # fmt: skip


@st.composite
def valid_records(draw: st.DrawFn) -> dict[str, Any]:
    """Random records that satisfy every AUD-REC rule."""
    log_type = draw(st.sampled_from(sorted(_BODY_STRATEGIES)))
    record: dict[str, Any] = {
        "schemaVersion": draw(st.sampled_from(["1.0.0", "1.3.12"])),
        "timestamp": draw(_times),
        "aic": AIC,
        "logType": log_type,
        "body": draw(_BODY_STRATEGIES[log_type]),
    }
    if draw(st.booleans()):
        record["observedTimestamp"] = draw(_times)
    if draw(st.booleans()):
        record["traceId"] = draw(_hex(16))
        if draw(st.booleans()):
            record["spanId"] = draw(_hex(8))
            if draw(st.booleans()):
                record["parentSpanId"] = draw(_hex(8))
    if draw(st.booleans()):
        record["correlationId"] = draw(st.text(min_size=1, max_size=10))
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(SEVERITIES)))
        record["severityText"] = name
        record["severityNumber"] = SEVERITIES[name] + draw(st.integers(0, 3))
    if draw(st.booleans()):
        record["resource"] = {**draw(_attrs), "service.name": draw(st.text(min_size=1))}
    if draw(st.booleans()):
        record["attributes"] = draw(_attrs)
    unknown = draw(st.dictionaries(_names.map(lambda n: "x-" + n), _json, max_size=2))
    record.update({k: v for k, v in unknown.items() if not is_secret_name(k)})
    return record


@settings(max_examples=150)
@given(valid_records())
def test_random_records_round_trip_through_canonical_bytes(record: dict[str, Any]) -> None:
    signed = sign_record(record, KEY)
    wire = codec.canonicalize(signed)
    parsed = codec.parse(wire)
    assert check_record(parsed) is parsed
    assert verify_record(parsed, KEY.verify_key) == KID
    assert codec.canonicalize(parsed) == wire
    assert parsed == signed


@settings(max_examples=100)
@given(valid_records(), st.data())
def test_removing_any_member_is_detected(record: dict[str, Any], data: st.DataObject) -> None:
    signed = sign_record(record, KEY)
    name = data.draw(st.sampled_from(sorted(k for k in signed if k != "integrity")))
    shorter = {k: v for k, v in signed.items() if k != name}
    with pytest.raises(AipError) as info:
        verify_record(shorter, KEY.verify_key)
    assert info.value.code in (Code.RECORD_INVALID, Code.SIGNATURE_INVALID)


@settings(max_examples=150)
@given(st.dictionaries(st.sampled_from([*AUDIT, "integrity", "x"]), _json, max_size=8))
def test_check_raises_only_registry_errors(candidate: dict[str, Any]) -> None:
    try:
        check_record(candidate)
    except AipError as exc:
        assert exc.code in (Code.RECORD_INVALID, Code.INTEGRITY_MISSING, Code.INTEGRITY_MALFORMED)


# ---------------------------------------------------------------- vectors


def _vector_cases() -> list[Any]:
    known = set(load_requirements(spec_dir()))
    known |= set(re.findall(r"AUD-REC-\d{3}", VECTORS.read_text(encoding="utf-8")))
    return load_file(VECTORS, known)


@pytest.mark.parametrize("case", _vector_cases(), ids=lambda c: c.id)
def test_vector(case: Any) -> None:
    result = run_case(case, OPERATIONS)
    assert result.passed, result.detail


def test_vectors_use_every_operation_and_both_verdicts() -> None:
    cases = _vector_cases()
    assert {c.operation for c in cases} == set(OPERATIONS)
    for op in OPERATIONS:
        assert {c.verdict for c in cases if c.operation == op} == {"valid", "invalid"}


def test_vector_ids_are_defined_in_the_draft_or_the_spec() -> None:
    cited = set(re.findall(r"AUD-REC-\d{3}", VECTORS.read_text(encoding="utf-8")))
    draft = Path(__file__).resolve().parent.parent / ".drafts" / "aud-rec.md"
    source = draft if draft.exists() else spec_dir() / "11-audit.md"
    defined = set(re.findall(r"^- \[(AUD-REC-\d{3})\]", source.read_text(encoding="utf-8"), re.M))
    assert cited <= defined
