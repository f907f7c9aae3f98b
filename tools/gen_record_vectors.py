"""Regenerate spec/vectors/audit/records.json: AMP log records (spec Part 11, topic AUD-REC).

Expected values come from code independent of ``aip``: the ``rfc8785`` package for the bytes a
signature covers, ``cryptography`` (OpenSSL) for Ed25519, ``hashlib`` for key ids and ``hmac``
for subject hashes.  Records and expected error codes are written by hand from the rules of the
draft.  All times are fixed, so the output is byte-for-byte reproducible.  Run from the
repository root: ``.venv/bin/python tools/gen_record_vectors.py``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "audit" / "records.json"
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")  # RFC 8032 TEST 1
SEED2 = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")  # RFC 8032 TEST 2
SALT = b"aip-vector-salt!"  # 16 bytes
AIC = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
PEER = "1.2.156.3088.1.2.5A.9B.7C.1A2B"
T0 = "2026-11-21T10:00:00.000000Z"
T1 = "2026-11-21T10:00:00.250000Z"
DROP = object()


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pub_of(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def kid_of(pub: bytes) -> str:
    jwk = '{"crv":"Ed25519","kty":"OKP","x":"' + b64u(pub) + '"}'
    return b64u(hashlib.sha256(jwk.encode()).digest())


def unsigned(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "integrity"}


def signed(obj: dict[str, Any], seed: bytes = SEED) -> dict[str, Any]:
    body = unsigned(obj)
    sig = Ed25519PrivateKey.from_private_bytes(seed).sign(rfc8785.dumps(body))
    return {**body, "integrity": {"alg": "EdDSA", "kid": kid_of(pub_of(seed)), "sig": b64u(sig)}}


def subject(value: str) -> str:
    return "hmac-sha256:" + b64u(hmac.new(SALT, value.encode("utf-8"), hashlib.sha256).digest())


def edit(obj: dict[str, Any], *changes: tuple[str, Any]) -> dict[str, Any]:
    """A deep copy of ``obj`` with each (JSON Pointer, value or DROP) applied."""
    out = copy.deepcopy(obj)
    for pointer, value in changes:
        *path, last = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
        node: Any = out
        for part in path:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is DROP:
            del node[last]
        else:
            node[int(last) if isinstance(node, list) else last] = value
    return out


def text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def envelope(log_type: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"schemaVersion": "1.0.0", "timestamp": T0, "aic": AIC, "logType": log_type, **extra, "body": body}


AUDIT_MIN = envelope("audit", {
    "actor": {"id": AIC, "type": "agent"},
    "action": {"name": "task.cancel", "type": "task"},
    "target": {"type": "task", "id": "task-42"},
    "result": {"status": "success"},
})
AUDIT_FULL = {
    "schemaVersion": "1.0.0", "timestamp": T0, "observedTimestamp": T1, "aic": AIC, "logType": "audit",
    "traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "spanId": "00f067aa0ba902b7", "parentSpanId": "b7ad6b7169203331",
    "correlationId": "task-42", "severityText": "WARN", "severityNumber": 13,
    "body": {
        "actor": {"id": subject("alice@example.org"), "type": "user", "role": "operator", "ip": "2001:db8::5", "userAgent": "aip-cli/0.1"},
        "action": {"name": "certificate.revoke", "type": "pki", "method": "ca.revoke"},
        "target": {"type": "certificate", "id": "serial-7f3a", "name": "agent cert", "before": {"status": "good"}, "after": None},
        "result": {"status": "failure", "reason": "already revoked", "errorCode": "AlreadyRevoked"},
    },
    "resource": {"service.name": "aip-node", "service.version": "0.1.0", "host.ip": ["10.0.0.5", "10.0.0.6"], "process.pid": 4242},
    "attributes": {"node.domain": "example.org", "retry": False, "weights": [0.5, 1.5]},
}
HEARTBEAT = envelope("heartbeat", {"uptimeSeconds": 86400}, severityText="INFO", severityNumber=9)
METRICS = envelope("metrics", {
    "uptimeSeconds": 3600.5,
    "loadMetrics": {"activeTasks": 3, "queuedTasks": 0, "maxActiveTasks": 20, "cpuUsage": 45.6, "memoryUsage": 52.1},
    "windowMetrics": [{"window": "PT5M", "successRate": 98.6, "requestTotal": 15900, "requestPerSecond": 88.7, "p99LatencyMs": 420}],
}, resource={"service.name": "travel-agent"})
ACCESS = envelope("access", {
    "durationMs": 12.5,
    "request": {"method": "aip.rpc", "url": "/aip", "headers": {"Content-Type": "application/json"}, "bodySizeBytes": 512},
    "response": {"statusCode": -32602, "bodySizeBytes": 128},
    "caller": {"aic": PEER, "serviceName": "leader", "ip": "192.0.2.7"},
    "callee": {"aic": AIC},
    "error": {"code": -32602, "message": "Invalid params"},
}, traceId="4bf92f3577b34da6a3ce929d0e0e4736", spanId="00f067aa0ba902b7")
MESSAGE = envelope("message", {
    "direction": "send", "system": "aip-ws",
    "destination": {"name": "inbox/" + PEER, "kind": "queue"},
    "routing": {"key": "task-42", "partition": 0, "offset": 17},
    "messageId": "m-1", "payloadSizeBytes": 2048, "deliveryAttempt": 1,
    "ack": {"status": "ack", "latencyMs": 3},
    "attributes": {"priority": "high"},
}, correlationId="task-42")
SYSTEM = envelope("system", {"event": "node.start", "config": {"listen": ["127.0.0.1:8765"], "tls": True}})
UNICODE = envelope("system", {"text": "智能体互联 😀", "\ue000": 1, "😀": 2, "é": 3})


def case(cid: str, op: str, reqs: list[str], inp: dict[str, Any], outcome: dict[str, Any] | int, comment: str) -> dict[str, Any]:  # noqa: PLR0917
    out: dict[str, Any] = {"id": f"records-{cid}", "operation": op, "requirements": reqs}
    if isinstance(outcome, dict):
        out.update(verdict="valid", input=inp, expected=outcome)
    else:
        out.update(verdict="invalid", input=inp, error=outcome)
    out["comment"] = comment
    return out


def sign_cases() -> list[dict[str, Any]]:
    rows = [  # (suffix, record, requirements, comment)
        ("audit-minimal", AUDIT_MIN, ["AUD-REC-001", "AUD-REC-013", "AUD-REC-017"], "an audit record with only the required members"),
        ("audit-full", AUDIT_FULL, ["AUD-REC-015", "AUD-REC-017"], "every envelope member; severity, resource, attributes and observedTimestamp are in the signing input"),
        ("heartbeat", HEARTBEAT, ["AUD-REC-019", "AUD-REC-017"], "a heartbeat may be signed; same construction"),
        ("metrics", METRICS, ["AUD-REC-012", "AUD-REC-017"], "a metrics record with a resource"),
        ("access", ACCESS, ["AUD-REC-012", "AUD-REC-017"], "an access record with trace ids"),
        ("message", MESSAGE, ["AUD-REC-012", "AUD-REC-017"], "a message record"),
        ("system", SYSTEM, ["AUD-REC-012", "AUD-REC-017"], "a free-form system body"),
        ("unknown-member", {**AUDIT_MIN, "x-vendor": {"zone": "b", "n": [1, 2]}}, ["AUD-REC-011", "AUD-REC-017"], "an envelope member this version does not define is signed with the rest"),
        ("replace", {**AUDIT_MIN, "integrity": {"alg": "EdDSA", "kid": "old", "sig": "old"}}, ["AUD-REC-017"], "an integrity member already present is replaced, never signed"),
        ("unicode", UNICODE, ["AUD-REC-017"], "non-ASCII names sort by UTF-16 code units in the signing input (RFC 8785)"),
    ]
    out = []
    kid = kid_of(pub_of(SEED))
    for n, (sfx, record, reqs, comment) in enumerate(rows, 1):
        body = rfc8785.dumps(unsigned(record))
        sig = Ed25519PrivateKey.from_private_bytes(SEED).sign(body)
        out.append(case(f"sign-{n:03d}-{sfx}", "records.sign", reqs, {"seed_hex": SEED.hex(), "record_text": text(record)},
                        {"signing_input": body.decode(), "sig": b64u(sig), "kid": kid},
                        f"{comment}; expected values from rfc8785 and OpenSSL Ed25519 with the RFC 8032 TEST 1 key"))
    bad = [
        ("raw-password", edit(AUDIT_MIN, ("/body/target/password", "hunter2")), ["AUD-REC-014"], "a record is checked before it is signed: a password member is refused"),
        ("bad-severity", {**HEARTBEAT, "severityNumber": 13}, ["AUD-REC-009"], "INFO with 13 is refused before signing"),
    ]
    for n, (sfx, record, reqs, comment) in enumerate(bad, len(rows) + 1):
        out.append(case(f"sign-{n:03d}-{sfx}", "records.sign", reqs, {"seed_hex": SEED.hex(), "record_text": text(record)}, -34101, comment))
    return out


def verify_cases() -> list[dict[str, Any]]:
    keys = [pub_of(SEED).hex(), pub_of(SEED2).hex()]
    kid = kid_of(pub_of(SEED))
    good = signed(AUDIT_FULL)
    ok = [
        ("canonical", rfc8785.dumps(good).decode(), ["AUD-REC-017", "AUD-REC-020"], "canonical text of a signed audit record"),
        ("reordered", json.dumps(dict(reversed(list(good.items()))), indent=2, ensure_ascii=False), ["AUD-REC-017", "AUD-REC-021"], "members in another order, with whitespace: the signature covers the value"),
        ("escaped", text(good).replace("task-42", "task\\u002d42"), ["AUD-REC-021"], "needless escapes in the text do not matter"),
        ("heartbeat", text(signed(HEARTBEAT)), ["AUD-REC-019"], "a signed heartbeat verifies like an audit record"),
        ("unknown-member", text(signed({**AUDIT_MIN, "x-vendor": {"zone": "b"}})), ["AUD-REC-011"], "an unknown envelope member is kept and verifies"),
    ]
    out = [case(f"verify-{n:03d}-{sfx}", "records.verify", reqs, {"record_text": t, "public_keys_hex": keys}, {"verified": True, "kid": kid}, c)
           for n, (sfx, t, reqs, c) in enumerate(ok, 1)]
    tampered: list[tuple[str, list[tuple[str, Any]], str]] = [  # changes after signing that keep the record well-formed
        ("severity", [("/severityNumber", 14)], "severityNumber 13 -> 14 (still WARN); AMP's field list would not notice"),
        ("severity-text", [("/severityText", "ERROR"), ("/severityNumber", 17)], "severity raised to ERROR 17, text and number consistent"),
        ("resource", [("/resource/service.name", "other-node")], "resource is outside AMP's signed fields, inside ours"),
        ("resource-added", [("/resource/host.name", "h2")], "a resource attribute added"),
        ("attributes", [("/attributes/retry", True)], "attributes are outside AMP's signed fields, inside ours"),
        ("attributes-dropped", [("/attributes", DROP)], "attributes removed"),
        ("observed", [("/observedTimestamp", "2026-11-21T10:00:01.000000Z")], "observedTimestamp is covered"),
        ("schema-version", [("/schemaVersion", "1.1.0")], "schemaVersion is covered"),
        ("result", [("/body/result/status", "success")], "the outcome of the audited action"),
        ("actor", [("/body/actor/role", "admin")], "a member deep in the body"),
        ("correlation", [("/correlationId", "task-43")], "the business key"),
        ("member-added", [("/x-note", "added in transit")], "a member added after signing"),
    ]
    n = len(ok)
    for sfx, changes, comment in tampered:
        n += 1
        out.append(case(f"verify-{n:03d}-tampered-{sfx}", "records.verify", ["AUD-REC-017", "AUD-REC-020"],
                        {"record_text": text(edit(good, *changes)), "public_keys_hex": keys}, -33205, comment))
    integ = good["integrity"]
    bad = [
        ("unsigned-audit", unsigned(good), -33201, ["AUD-REC-018"], "an audit record without integrity"),
        ("null-integrity", {**unsigned(good), "integrity": None}, -33201, ["AUD-REC-018"], "integrity null counts as absent"),
        ("unsigned-heartbeat", HEARTBEAT, -33201, ["AUD-REC-020"], "verification requires a signature on any log type"),
        ("integrity-extra", {**good, "integrity": {**integ, "typ": "x"}}, -33202, ["AUD-REC-019", "AUD-REC-020"], "integrity with a fourth member"),
        ("heartbeat-integrity-string", {**HEARTBEAT, "integrity": "sig"}, -33202, ["AUD-REC-019"], "a non-audit record's integrity is checked when present"),
        ("alg-es256", {**good, "integrity": {**integ, "alg": "ES256"}}, -33203, ["AUD-REC-020"], "AMP's ES256 is not accepted"),
        ("other-key", signed(AUDIT_FULL, bytes(32)), -33204, ["AUD-REC-020"], "signed by a key (seed of zeros) that is not among the trusted keys"),
        ("invalid-then-unsigned", {**unsigned(good), "severityNumber": 30}, -34101, ["AUD-REC-020"], "shape comes first: an unsigned audit record with a bad severity gives -34101, not -33201"),
        ("invalid-signed", signed({**AUDIT_FULL, "severityNumber": 30}), -34101, ["AUD-REC-009", "AUD-REC-020"], "a correctly signed record that breaks a rule is still refused"),
    ]
    for sfx, record, code, reqs, comment in bad:
        n += 1
        out.append(case(f"verify-{n:03d}-{sfx}", "records.verify", reqs, {"record_text": text(record), "public_keys_hex": keys}, code, comment))
    return out


GOOD_CHECKS = [  # (suffix, record, requirements, comment)
    ("audit-signed", signed(AUDIT_FULL), ["AUD-REC-001", "AUD-REC-013", "AUD-REC-015"], "a signed audit record with every envelope member"),
    ("heartbeat", HEARTBEAT, ["AUD-REC-012", "AUD-REC-019"], "an unsigned heartbeat is accepted"),
    ("heartbeat-empty", envelope("heartbeat", {}), ["AUD-REC-012"], "every heartbeat member is optional"),
    ("metrics", METRICS, ["AUD-REC-012", "AUD-REC-010"], "metrics with a resource"),
    ("access", ACCESS, ["AUD-REC-012", "AUD-REC-007"], "access with trace and span ids, negative JSON-RPC status code"),
    ("message", MESSAGE, ["AUD-REC-012", "AUD-REC-008"], "message with a correlation id"),
    ("system", SYSTEM, ["AUD-REC-012"], "free-form system body"),
    ("time-no-fraction", {**HEARTBEAT, "timestamp": "2026-11-21T10:00:00Z"}, ["AUD-REC-003"], "no fractional part"),
    ("time-millis", {**HEARTBEAT, "timestamp": "2026-11-21T10:00:00.123Z"}, ["AUD-REC-003"], "three fractional digits (a JavaScript toISOString)"),
    ("time-leap-day", {**HEARTBEAT, "timestamp": "2028-02-29T23:59:59.999999Z"}, ["AUD-REC-003"], "a leap day"),
    ("severity-top", {**HEARTBEAT, "severityNumber": 12}, ["AUD-REC-009"], "INFO 12 is the top of the INFO range"),
    ("severity-fraction", {**HEARTBEAT, "severityNumber": 9.0}, ["AUD-REC-009"], "9.0 is the JSON number 9"),
    ("minor-version", {**HEARTBEAT, "schemaVersion": "1.4.2"}, ["AUD-REC-002"], "a later minor version of major 1"),
    ("unknown-member", {**HEARTBEAT, "x-vendor": {"region": "north"}}, ["AUD-REC-011"], "an unknown envelope member is accepted"),
    ("body-extra", signed(edit(AUDIT_MIN, ("/body/x-extra", [1]), ("/body/actor/department", "ops"))), ["AUD-REC-012"], "body members the table does not name are accepted"),
    ("number-max", {**HEARTBEAT, "attributes": {"n": 9007199254740991.0}}, ["AUD-REC-023"], "2^53-1 written with a fraction is still in range"),
    ("token-id", signed(edit(AUDIT_MIN, ("/body/target", {"type": "token", "id": "jti-9", "tokenId": "jti-9"}))), ["AUD-REC-014"], "tokenId names a token without holding one: allowed"),
]


def check_cases() -> list[dict[str, Any]]:
    out = []
    for n, (sfx, record, reqs, comment) in enumerate(GOOD_CHECKS, 1):
        out.append(case(f"check-{n:03d}-{sfx}", "records.check", reqs, {"record_text": text(record)},
                        {"log_type": record["logType"], "signed": "integrity" in record}, comment))
    bases = {"audit": AUDIT_FULL, "heartbeat": HEARTBEAT, "metrics": METRICS, "access": ACCESS, "message": MESSAGE, "system": SYSTEM}
    bad: list[tuple[str, str, list[tuple[str, Any]], list[str], str]] = [  # (suffix, base, changes, requirements, comment)
        ("no-schema-version", "audit", [("/schemaVersion", DROP)], ["AUD-REC-001"], "schemaVersion is required"),
        ("no-timestamp", "audit", [("/timestamp", DROP)], ["AUD-REC-001"], "timestamp is required"),
        ("no-aic", "audit", [("/aic", DROP)], ["AUD-REC-001"], "aic is required"),
        ("no-log-type", "audit", [("/logType", DROP)], ["AUD-REC-001"], "logType is required"),
        ("no-body", "heartbeat", [("/body", DROP)], ["AUD-REC-001"], "body is required, even for a heartbeat"),
        ("null-trace", "audit", [("/traceId", None)], ["AUD-REC-001"], "an optional member is left out, never null"),
        ("null-resource", "metrics", [("/resource", None)], ["AUD-REC-001"], "resource null"),
        ("version-short", "heartbeat", [("/schemaVersion", "1.0")], ["AUD-REC-002"], "two numbers"),
        ("version-major", "heartbeat", [("/schemaVersion", "2.0.0")], ["AUD-REC-002"], "an unknown major version"),
        ("version-zero-pad", "heartbeat", [("/schemaVersion", "01.0.0")], ["AUD-REC-002"], "leading zero"),
        ("version-pre", "heartbeat", [("/schemaVersion", "1.0.0-rc.1")], ["AUD-REC-002"], "pre-release suffix"),
        ("version-number", "heartbeat", [("/schemaVersion", 1)], ["AUD-REC-002"], "a number"),
        ("time-offset", "heartbeat", [("/timestamp", "2026-11-21T18:00:00+08:00")], ["AUD-REC-003"], "an offset instead of Z"),
        ("time-zero-offset", "heartbeat", [("/timestamp", "2026-11-21T10:00:00+00:00")], ["AUD-REC-003"], "+00:00 instead of Z"),
        ("time-lower", "heartbeat", [("/timestamp", "2026-11-21t10:00:00z")], ["AUD-REC-003"], "lower-case t and z"),
        ("time-space", "heartbeat", [("/timestamp", "2026-11-21 10:00:00Z")], ["AUD-REC-003"], "a space for T"),
        ("time-no-seconds", "heartbeat", [("/timestamp", "2026-11-21T10:00Z")], ["AUD-REC-003"], "no seconds"),
        ("time-nanos", "heartbeat", [("/timestamp", "2026-11-21T10:00:00.123456789Z")], ["AUD-REC-003"], "nine fractional digits"),
        ("time-feb-30", "heartbeat", [("/timestamp", "2026-02-30T10:00:00Z")], ["AUD-REC-003"], "no such date"),
        ("time-leap-second", "heartbeat", [("/timestamp", "2026-12-31T23:59:60Z")], ["AUD-REC-003"], "second 60"),
        ("time-hour-24", "heartbeat", [("/timestamp", "2026-11-21T24:00:00Z")], ["AUD-REC-003"], "hour 24"),
        ("time-number", "heartbeat", [("/timestamp", 1795255200)], ["AUD-REC-003"], "epoch seconds"),
        ("time-wide-digits", "heartbeat", [("/timestamp", "２026-11-21T10:00:00Z")], ["AUD-REC-003"], "a full-width digit"),
        ("observed-naive", "audit", [("/observedTimestamp", "2026-11-21T10:00:00")], ["AUD-REC-003"], "observedTimestamp without a zone"),
        ("aic-lower", "heartbeat", [("/aic", AIC.lower())], ["AUD-REC-005"], "lower case is not canonical (a signed record is not normalised)"),
        ("aic-space", "heartbeat", [("/aic", " " + AIC)], ["AUD-REC-005"], "surrounding whitespace"),
        ("aic-levels", "heartbeat", [("/aic", AIC.rsplit(".", 1)[0])], ["AUD-REC-005"], "nine levels"),
        ("aic-zero", "heartbeat", [("/aic", "1.2.156.3088.0.1.34C2.478BDF.3GF546.0JU4")], ["AUD-REC-005"], "level 5 is zero"),
        ("aic-number", "heartbeat", [("/aic", 7)], ["AUD-REC-005"], "not a string"),
        ("type-unknown", "heartbeat", [("/logType", "trace")], ["AUD-REC-006"], "not a log type"),
        ("type-case", "heartbeat", [("/logType", "Heartbeat")], ["AUD-REC-006"], "log types are lower case"),
        ("trace-upper", "access", [("/traceId", "4BF92F3577B34DA6A3CE929D0E0E4736")], ["AUD-REC-007"], "upper-case hex"),
        ("trace-short", "access", [("/traceId", "4bf92f3577b34da6a3ce929d0e0e473")], ["AUD-REC-007"], "31 digits"),
        ("trace-zero", "access", [("/traceId", "0" * 32)], ["AUD-REC-007"], "all zeros is the invalid trace id"),
        ("span-zero", "access", [("/spanId", "0" * 16)], ["AUD-REC-007"], "all zeros is the invalid span id"),
        ("span-hex", "access", [("/spanId", "00f067aa0ba902bg")], ["AUD-REC-007"], "g is not hex"),
        ("span-alone", "access", [("/traceId", DROP)], ["AUD-REC-007"], "spanId without traceId"),
        ("parent-alone", "audit", [("/spanId", DROP)], ["AUD-REC-007"], "parentSpanId without spanId"),
        ("parent-long", "audit", [("/parentSpanId", "b7ad6b71692033310")], ["AUD-REC-007"], "17 digits"),
        ("correlation-empty", "message", [("/correlationId", "")], ["AUD-REC-008"], "empty"),
        ("correlation-number", "message", [("/correlationId", 42)], ["AUD-REC-008"], "a number"),
        ("severity-word", "heartbeat", [("/severityText", "Critical")], ["AUD-REC-009"], "AMP's free text is not accepted"),
        ("severity-lower", "heartbeat", [("/severityText", "info")], ["AUD-REC-009"], "names are upper case"),
        ("severity-range", "heartbeat", [("/severityNumber", 13)], ["AUD-REC-009"], "13 is WARN, not INFO"),
        ("severity-zero", "heartbeat", [("/severityNumber", 0)], ["AUD-REC-009"], "UNSPECIFIED is written by leaving both out"),
        ("severity-fraction", "heartbeat", [("/severityNumber", 9.5)], ["AUD-REC-009"], "not an integer"),
        ("severity-string", "heartbeat", [("/severityNumber", "9")], ["AUD-REC-009"], "a string"),
        ("severity-no-number", "heartbeat", [("/severityNumber", DROP)], ["AUD-REC-009"], "text without number"),
        ("severity-no-text", "heartbeat", [("/severityText", DROP)], ["AUD-REC-009"], "number without text"),
        ("resource-no-service", "metrics", [("/resource", {"host.name": "h1"})], ["AUD-REC-010"], "service.name is required in a resource"),
        ("resource-nested", "audit", [("/resource/k8s", {"pod": "p"})], ["AUD-REC-010"], "nested objects are not attribute values"),
        ("resource-mixed", "audit", [("/resource/host.ip", ["10.0.0.5", 6])], ["AUD-REC-010"], "an array of mixed kinds"),
        ("attributes-null", "audit", [("/attributes/retry", None)], ["AUD-REC-010"], "null is not an attribute value"),
        ("attributes-empty-name", "audit", [("/attributes/", 1)], ["AUD-REC-010"], "an empty attribute name"),
        ("attributes-array", "audit", [("/attributes", ["a"])], ["AUD-REC-010"], "attributes must be an object"),
        ("number-exponent", "system", [("/body/n", 1e20)], ["AUD-REC-023"], "1e20 canonicalises to 21 digits that a strict parser refuses"),
        ("number-2p53", "heartbeat", [("/attributes", {"n": 9007199254740992.0})], ["AUD-REC-023"], "2^53 written with a fraction"),
        ("body-string", "system", [("/body", "node started")], ["AUD-REC-012"], "a system body is free-form but an object"),
        ("heartbeat-negative", "heartbeat", [("/body/uptimeSeconds", -1)], ["AUD-REC-012"], "negative uptime"),
        ("metrics-no-active", "metrics", [("/body/loadMetrics/activeTasks", DROP)], ["AUD-REC-012"], "activeTasks is required in loadMetrics"),
        ("metrics-cpu", "metrics", [("/body/loadMetrics/cpuUsage", 120)], ["AUD-REC-012"], "a percentage above 100"),
        ("metrics-window", "metrics", [("/body/windowMetrics/0/window", "5 minutes")], ["AUD-REC-012"], "not an ISO 8601 duration"),
        ("metrics-no-success", "metrics", [("/body/windowMetrics/0/successRate", DROP)], ["AUD-REC-012"], "successRate is required in a window"),
        ("access-duration", "access", [("/body/durationMs", -5)], ["AUD-REC-012"], "negative duration"),
        ("access-caller-aic", "access", [("/body/caller/aic", "agent-7")], ["AUD-REC-012", "AUD-REC-005"], "a caller aic must be an AIC"),
        ("access-ip", "access", [("/body/caller/ip", "999.1.1.1")], ["AUD-REC-012"], "not an IP address"),
        ("access-header", "access", [("/body/request/headers/Content-Length", 512)], ["AUD-REC-012"], "header values are strings"),
        ("access-status", "access", [("/body/response/statusCode", "200")], ["AUD-REC-012"], "statusCode is an integer"),
        ("message-direction", "message", [("/body/direction", "up")], ["AUD-REC-012"], "send or receive"),
        ("message-no-system", "message", [("/body/system", DROP)], ["AUD-REC-012"], "system is required"),
        ("message-no-destination", "message", [("/body/destination/name", DROP)], ["AUD-REC-012"], "destination.name is required"),
        ("message-ack", "message", [("/body/ack/status", "ok")], ["AUD-REC-012"], "not an ack status"),
        ("message-attempt", "message", [("/body/deliveryAttempt", 0)], ["AUD-REC-012"], "the first attempt is 1"),
        ("audit-no-actor", "audit", [("/body/actor", DROP)], ["AUD-REC-013"], "actor is required"),
        ("audit-no-actor-type", "audit", [("/body/actor/type", DROP)], ["AUD-REC-013"], "actor.type is required"),
        ("audit-actor-ip", "audit", [("/body/actor/ip", "localhost")], ["AUD-REC-013"], "actor.ip is an IP address"),
        ("audit-no-action-type", "audit", [("/body/action/type", DROP)], ["AUD-REC-013"], "action.type is required (AMP)"),
        ("audit-no-target-id", "audit", [("/body/target/id", DROP)], ["AUD-REC-013"], "target.id is required (AMP)"),
        ("audit-status", "audit", [("/body/result/status", "ok")], ["AUD-REC-013"], "success, failure or unknown"),
        ("audit-error-code", "audit", [("/body/result/errorCode", 404)], ["AUD-REC-013"], "errorCode is a string"),
        ("secret-password", "audit", [("/body/target/after", {"password": "hunter2"})], ["AUD-REC-014"], "a password deep in the body"),
        ("secret-access-token", "audit", [("/attributes/accessToken", "eyJhbGciOi")], ["AUD-REC-014"], "a token in the attributes"),
        ("secret-authorization", "access", [("/body/request/headers/Authorization", "Bearer abc")], ["AUD-REC-014"], "an Authorization header"),
        ("secret-top-level", "heartbeat", [("/token", "abc")], ["AUD-REC-014"], "an unknown envelope member named token"),
        ("secret-in-array", "system", [("/body/config/listen", [{"client_secret": "s"}])], ["AUD-REC-014"], "inside an array of a free-form body"),
        ("secret-api-key", "system", [("/body/X-Api-Key", "k")], ["AUD-REC-014"], "X-Api-Key folds to xapikey"),
        ("secret-cookie", "message", [("/body/attributes/Set-Cookie", "sid=1")], ["AUD-REC-014"], "a cookie"),
        ("user-raw-id", "audit", [("/body/actor/id", "alice@example.org")], ["AUD-REC-015"], "a person appears only by subject hash"),
        ("user-name", "audit", [("/body/actor/name", "Alice")], ["AUD-REC-015"], "a person's name is never logged"),
        ("user-target", "audit", [("/body/target", {"type": "user", "id": "user-67890"})], ["AUD-REC-015"], "a person as target"),
        ("user-plain-hash", "audit", [("/body/actor/id", "sha256:" + b64u(hashlib.sha256(b"alice").digest()))], ["AUD-REC-015", "AUD-REC-016"], "an unkeyed hash has another prefix"),
        ("user-short-hash", "audit", [("/body/actor/id", subject("alice")[:-1])], ["AUD-REC-016"], "42 characters instead of 43"),
    ]
    for n, (sfx, base, changes, reqs, comment) in enumerate(bad, len(GOOD_CHECKS) + 1):
        record = edit(bases[base], *changes)
        if base == "audit":
            record = signed(record)  # everything else about it is right, the signature included
        out.append(case(f"check-{n:03d}-{sfx}", "records.check", reqs, {"record_text": text(record)}, -34101, comment))
    n = len(GOOD_CHECKS) + len(bad)
    tail = [
        ("not-object", ["AUD-REC-001"], text([AUDIT_MIN]), -34101, "a record is an object"),
        ("audit-unsigned", ["AUD-REC-018"], text(AUDIT_FULL), -33201, "an audit record must be signed"),
        ("audit-null-integrity", ["AUD-REC-018"], text({**AUDIT_FULL, "integrity": None}), -33201, "integrity null on an audit record"),
        ("heartbeat-null-integrity", ["AUD-REC-001", "AUD-REC-019"], text({**HEARTBEAT, "integrity": None}), -34101, "an unsigned heartbeat leaves integrity out"),
        ("integrity-shape", ["AUD-REC-019"], text({**HEARTBEAT, "integrity": {"alg": "EdDSA", "kid": "k"}}), -33202, "integrity without sig"),
    ]
    for sfx, reqs, t, code, comment in tail:
        n += 1
        out.append(case(f"check-{n:03d}-{sfx}", "records.check", reqs, {"record_text": t}, code, comment))
    return out


def hash_cases() -> list[dict[str, Any]]:
    out = []
    for n, value in enumerate(["alice", "alice@example.org", "张伟-0042"], 1):
        out.append(case(f"subject-{n:03d}", "records.hash_subject", ["AUD-REC-016"], {"subject": value, "salt_hex": SALT.hex()},
                        {"subject": subject(value)}, "HMAC-SHA-256 (Python hmac) keyed with the 16-byte salt over the UTF-8 of the id, base64url"))
    out.append(case("subject-004-short-salt", "records.hash_subject", ["AUD-REC-016"], {"subject": "alice", "salt_hex": SALT[:15].hex()}, -34101, "a salt of 15 bytes"))
    out.append(case("subject-005-empty", "records.hash_subject", ["AUD-REC-016"], {"subject": "", "salt_hex": SALT.hex()}, -34101, "an empty id"))
    return out


def time_cases() -> list[dict[str, Any]]:
    good = [
        ("2026-11-21T10:00:00Z", "2026-11-21T10:00:00.000000Z"),
        ("2026-11-21T10:00:00.5Z", "2026-11-21T10:00:00.500000Z"),
        ("2026-11-21T10:00:00.123456Z", "2026-11-21T10:00:00.123456Z"),
        ("2028-02-29T23:59:59.999999Z", "2028-02-29T23:59:59.999999Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
    ]
    out = [case(f"time-{n:03d}", "records.timestamp", ["AUD-REC-003", "AUD-REC-004"], {"text": given}, {"utc": want},
                "read, then written back in the six-digit form (by hand)") for n, (given, want) in enumerate(good, 1)]
    bad = ["2026-11-21T10:00:00+00:00", "2026-11-21T10:00:00", "2026-11-21T10:00:00.Z", "2026-11-21T10:00:00.1234567Z",
           "2027-02-29T00:00:00Z", "0000-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-21T10:60:00Z", " 2026-11-21T10:00:00Z"]
    out += [case(f"time-{n:03d}", "records.timestamp", ["AUD-REC-003"], {"text": t}, -34101, f"not a record time: {t!r}")
            for n, t in enumerate(bad, len(good) + 1)]
    return out


def main() -> None:
    cases = sign_cases() + verify_cases() + check_cases() + hash_cases() + time_cases()
    doc = {
        "format": "aip-vectors/1",
        "area": "audit.records",
        "description": "AMP log records (Part 11, AUD-REC): shape checks (records.check), signing over the whole record minus integrity (records.sign, records.verify), subject hashes and record times. Signatures by rfc8785 + OpenSSL Ed25519 with the RFC 8032 TEST 1 key; record_text is the JSON text of the record.",
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(OUT.relative_to(OUT.parents[3]), len(cases))


if __name__ == "__main__":
    main()
