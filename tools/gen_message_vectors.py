"""Regenerate spec/vectors/interaction/messages.json: the message model (spec Part 9 §9.2, MSG-MSG).

Independent of ``aip``: every message and expected outcome is written by hand from the rules of
§9.2; signatures come from ``rfc8785`` (the signed bytes) and ``cryptography`` (OpenSSL
Ed25519) with the RFC 8032 TEST 1 key (the Leader) and TEST 2 key (the Partner), key ids from
``hashlib`` (RFC 7638 thumbprints).  Invalid shape cases end their comment with
``[@ pointer]``, the ``data.member`` of the refusal (MSG-MSG-003); tests/test_interaction_messages.py
checks it.  Run from the repository root: ``python tools/gen_message_vectors.py``.  The output
is stable.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "interaction" / "messages.json"
SEED_L = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")  # RFC 8032 TEST 1
SEED_P = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")  # RFC 8032 TEST 2
L = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
P = "1.2.156.3088.1.2.5A.9B.7C.1A2B"
P2 = "1.2.156.3088.1.1.1.1.1.06QN"
ONTOLOGY = "1.2.156.3088.1.1.34C2.478BDF.0.0JU4"
INVALID, FORGED = -33901, -32009
DROP = object()
CASES: list[dict[str, Any]] = []


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pub(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def kid(seed: bytes) -> str:
    return b64u(hashlib.sha256(('{"crv":"Ed25519","kty":"OKP","x":"' + b64u(pub(seed)) + '"}').encode()).digest())


def signed(msg: dict[str, Any], seed: bytes | None = None) -> dict[str, Any]:
    seed = seed or (SEED_L if msg.get("senderRole") == "leader" else SEED_P)
    body = {k: v for k, v in msg.items() if k != "integrity"}
    sig = Ed25519PrivateKey.from_private_bytes(seed).sign(rfc8785.dumps(body))
    return {**body, "integrity": {"alg": "EdDSA", "kid": kid(seed), "sig": b64u(sig)}}


def edit(obj: dict[str, Any], *changes: tuple[str, Any]) -> dict[str, Any]:
    """A deep copy of ``obj`` with each (JSON Pointer, value or DROP) applied."""
    out = copy.deepcopy(obj)
    for pointer, value in changes:
        *path, last = pointer.split("/")[1:]
        node: Any = out
        for part in path:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is DROP:
            del node[int(last) if isinstance(node, list) else last]
        else:
            node[int(last) if isinstance(node, list) else last] = value
    return out


def text(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


def case(name: str, op: str, reqs: list[str], inp: dict[str, Any], outcome: dict[str, Any] | int, comment: str) -> None:  # noqa: PLR0917
    out: dict[str, Any] = {"id": f"messages-{len(CASES) + 1:03d}-{name}", "operation": op, "requirements": reqs}
    if isinstance(outcome, dict):
        out.update(verdict="valid", input=inp, expected=outcome)
    else:
        out.update(verdict="invalid", input=inp, error=outcome)
    out["comment"] = comment
    CASES.append(out)


# ---------------------------------------------------------------- example messages (ACPs AIP §6-7 shapes)

TEXT = {"type": "text", "text": "Plan three days of culture in Beijing."}
FILE_URI = {"type": "file", "name": "tour.pdf", "mimeType": "application/pdf", "uri": "https://example.com/files/tour.pdf"}
FILE_BYTES = {"type": "file", "name": "note.txt", "mimeType": "text/plain; charset=utf-8", "bytes": "aGVsbG8="}
DATA = {"type": "data", "data": {"days": 3, "budget": {"amount": "3000", "asset": "CNY"}}, "metadata": {"schema": "trip/1"}}
PRODUCT = {"id": "product-1", "name": "itinerary.pdf", "description": "a three-day plan", "dataItems": [FILE_URI]}
CMD = {"type": "task-command", "id": "msg-5678", "sentAt": "2025-09-01T11:58:00+08:00", "senderRole": "leader", "senderId": L,
       "taskId": "task-1234", "command": "start", "commandParams": {"timeout": 60000, "maxProductsBytes": 1048576, "priority": "high"},
       "dataItems": [TEXT], "sessionId": "session-91011"}
STATUS = {"state": "awaiting-completion", "stateChangedAt": "2025-09-01T12:00:00+08:00"}
RESULT = {"type": "task-result", "id": "msg-5679", "sentAt": "2025-09-01T12:00:00+08:00", "senderRole": "partner", "senderId": P,
          "taskId": "task-1234", "status": STATUS, "products": [PRODUCT], "commandHistory": [signed(CMD)],
          "statusHistory": [{"state": "accepted", "stateChangedAt": "2025-09-01T11:59:00+08:00"}, STATUS], "sessionId": "session-91011"}
UPDATE = {"type": "task-status-update", "id": "msg-1238", "sentAt": "2026-11-21T10:05:00Z", "senderRole": "partner", "senderId": P,
          "taskId": "task-5678", "status": {"state": "awaiting-input", "stateChangedAt": "2026-11-21T10:05:00.000000Z", "dataItems": [{"type": "text", "text": "Budget?"}]}}
CHUNK = {"type": "product-chunk", "id": "msg-1236", "sentAt": "2026-11-21T10:01:00Z", "senderRole": "partner", "senderId": P,
         "taskId": "task-5678", "product": {"id": "product-1", "dataItems": [FILE_BYTES]}, "append": False, "lastChunk": False, "sessionId": "session-91011"}
GCMD = {"type": "group-mgmt-command", "id": "mgmt-1234", "sentAt": "2026-11-21T10:10:00Z", "senderRole": "leader", "senderId": L,
        "groupId": "group123", "sessionId": "session-91011", "command": "leave-group", "mentions": [P]}
GRES = {"type": "group-mgmt-result", "id": "mgmt-1235", "sentAt": "2026-11-21T10:10:05Z", "senderRole": "partner", "senderId": P,
        "groupId": "group123", "sessionId": "session-91011", "status": {"connected": False, "muted": False}}
EXAMPLES = {"command": CMD, "result": RESULT, "update": UPDATE, "chunk": CHUNK, "group-command": GCMD, "group-result": GRES}
TYPE_REQS = {"command": ["MSG-MSG-014", "MSG-MSG-015"], "result": ["MSG-MSG-013"], "update": ["MSG-MSG-016"], "chunk": ["MSG-MSG-016"],
             "group-command": ["MSG-MSG-017"], "group-result": ["MSG-MSG-017"]}


def check_valid(name: str, reqs: list[str], msg: dict[str, Any], comment: str) -> None:
    case(name, "messages.check", ["MSG-MSG-001", *reqs], {"message_text": text(msg)}, {"type": msg["type"]}, comment + " (by hand)")


def check_invalid(name: str, reqs: list[str], msg: Any, member: str, comment: str) -> None:
    case(name, "messages.check", reqs, {"message_text": text(msg)}, INVALID, f"{comment} [@ {member}]")


def check_cases() -> None:
    for name, msg in EXAMPLES.items():
        check_valid(f"type-{name}", TYPE_REQS[name], msg, f"a {msg['type']} in the shape of the ACPs examples")
    for command, params in [("continue", None), ("cancel", {}), ("complete", {"note": 1}), ("get", {"lastCommandSentAt": None, "lastStateChangedAt": "2026-11-21T10:00:00Z"}), ("re-stream", {"lastEventSeq": 0}), ("re-stream", {"lastEventSeq": None})]:
        msg = edit(CMD, ("/command", command), ("/commandParams", params) if params is not None else ("/commandParams", DROP))
        check_valid(f"command-{command}", ["MSG-MSG-014", "MSG-MSG-015"], msg, f"{command} with params {params}")
    check_valid("nulls", ["MSG-MSG-002", "MSG-MSG-008"], {**CMD, "mentions": None, "dataItems": None, "groupId": None, "sessionId": None, "commandParams": None}, "null optional members count as absent")
    check_valid("unknown-members", ["MSG-MSG-002"], edit(RESULT, ("/x-trace", {"hop": 1}), ("/status/x-note", "n"), ("/products/0/dataItems/0/x", [1])), "unknown members at any depth are allowed")
    check_valid("mentions-all", ["MSG-MSG-008"], {**CMD, "groupId": "group123", "mentions": "all"}, '"all" mentions every Partner')
    check_valid("mentions-empty", ["MSG-MSG-008"], {**CMD, "mentions": []}, "[] mentions nobody")
    check_valid("items", ["MSG-MSG-010", "MSG-MSG-011"], {**CMD, "dataItems": [TEXT, {**TEXT, "text": ""}, DATA, FILE_URI, FILE_BYTES, {"type": "file", "bytes": ""}, {"type": "file", "uri": "urn:isbn:0451450523"}]},
                "every data item kind; empty text and empty bytes; a URN is an absolute URI")
    check_valid("time-forms", ["MSG-MSG-007"], {**CMD, "sentAt": "2028-02-29T23:59:59.123456789-00:00"}, "nine fractional digits, offset -00:00, a leap day")
    check_valid("long-ids", ["MSG-MSG-005", "MSG-MSG-006"], {**CMD, "id": "m" * 256, "taskId": "任务-" * 85 + "x", "groupId": "g-" * 64}, "identifiers of 256 characters (any script), a group id of 128")
    check_valid("result-minimal", ["MSG-MSG-013"], {k: v for k, v in RESULT.items() if k not in ("products", "commandHistory", "statusHistory", "sessionId")}, "only taskId and status")
    check_valid("chunk-last", ["MSG-MSG-016"], {**CHUNK, "append": True, "lastChunk": True}, "a last appended chunk")
    for command in ("get-status", "mute", "unmute"):
        check_valid(f"group-{command}", ["MSG-MSG-017"], {**GCMD, "command": command, "mentions": "all"}, f"group command {command}")
    bad = [  # (name, requirements, message, pointer, comment)
        ("not-object", ["MSG-MSG-001", "MSG-MSG-003"], [CMD], "", "a message is an object"),
        ("type-unknown", ["MSG-MSG-001"], {**CMD, "type": "task-event"}, "/type", "not one of the six types"),
        ("type-missing", ["MSG-MSG-001"], edit(CMD, ("/type", DROP)), "/type", "no type"),
        ("id-missing", ["MSG-MSG-001", "MSG-MSG-003"], edit(CMD, ("/id", DROP)), "/id", "a missing member has the pointer it would have"),
        ("id-empty", ["MSG-MSG-005"], {**CMD, "id": ""}, "/id", "an empty identifier"),
        ("id-long", ["MSG-MSG-005"], {**CMD, "id": "m" * 257}, "/id", "257 characters"),
        ("id-control", ["MSG-MSG-005"], {**CMD, "id": "msg\n1"}, "/id", "a line feed in an identifier"),
        ("id-number", ["MSG-MSG-005"], {**CMD, "id": 5678}, "/id", "a number"),
        ("sentAt-no-offset", ["MSG-MSG-007"], {**CMD, "sentAt": "2025-09-01T11:58:00"}, "/sentAt", "no offset"),
        ("sentAt-no-seconds", ["MSG-MSG-007"], {**CMD, "sentAt": "2025-09-01T11:58+08:00"}, "/sentAt", "no seconds"),
        ("sentAt-lower", ["MSG-MSG-007"], {**CMD, "sentAt": "2025-09-01t11:58:00z"}, "/sentAt", "lower-case t and z"),
        ("sentAt-feb30", ["MSG-MSG-007"], {**CMD, "sentAt": "2025-02-30T11:58:00Z"}, "/sentAt", "February 30th"),
        ("sentAt-leap-second", ["MSG-MSG-007"], {**CMD, "sentAt": "2016-12-31T23:59:60Z"}, "/sentAt", "second 60"),
        ("sentAt-offset-24", ["MSG-MSG-007"], {**CMD, "sentAt": "2025-09-01T11:58:00+24:00"}, "/sentAt", "offset hours above 23"),
        ("sentAt-fraction-10", ["MSG-MSG-007"], {**CMD, "sentAt": "2025-09-01T11:58:00.1234567890Z"}, "/sentAt", "ten fractional digits"),
        ("sentAt-epoch-number", ["MSG-MSG-007"], {**CMD, "sentAt": 1756698480}, "/sentAt", "a number"),
        ("role-partner-command", ["MSG-MSG-009"], {**CMD, "senderRole": "partner"}, "/senderRole", "a task command is the Leader's"),
        ("role-leader-result", ["MSG-MSG-009"], {**RESULT, "senderRole": "leader"}, "/senderRole", "a task result is the Partner's"),
        ("role-other", ["MSG-MSG-009"], {**GRES, "senderRole": "observer"}, "/senderRole", "no third role"),
        ("sender-placeholder", ["MSG-MSG-004"], {**CMD, "senderId": "agent-leader-aic"}, "/senderId", "the ACPs placeholder is not an AIC"),
        ("sender-lower", ["MSG-MSG-004"], {**CMD, "senderId": L.lower()}, "/senderId", "not written canonically"),
        ("sender-space", ["MSG-MSG-004"], {**CMD, "senderId": L + " "}, "/senderId", "surrounding white space"),
        ("sender-ontology", ["MSG-MSG-004"], {**CMD, "senderId": ONTOLOGY}, "/senderId", "an ontology takes no part in interactions"),
        ("mentions-word", ["MSG-MSG-008"], {**CMD, "mentions": "everyone"}, "/mentions", 'only "all" as a string'),
        ("mentions-twice", ["MSG-MSG-008"], {**CMD, "mentions": [P, P]}, "/mentions/1", "the same AIC twice"),
        ("mentions-not-aic", ["MSG-MSG-004", "MSG-MSG-008"], {**CMD, "mentions": ["agent-partner-1"]}, "/mentions/0", "not an AIC"),
        ("items-object", ["MSG-MSG-010"], {**CMD, "dataItems": TEXT}, "/dataItems", "an object, not an array"),
        ("item-image", ["MSG-MSG-010"], {**CMD, "dataItems": [TEXT, {"type": "image", "uri": "https://example.com/a.png"}]}, "/dataItems/1/type", "no image kind"),
        ("item-text-missing", ["MSG-MSG-010"], {**CMD, "dataItems": [{"type": "text"}]}, "/dataItems/0/text", "text without text"),
        ("item-text-number", ["MSG-MSG-010"], {**CMD, "dataItems": [{"type": "text", "text": 1}]}, "/dataItems/0/text", "a number as text"),
        ("item-data-array", ["MSG-MSG-010"], {**CMD, "dataItems": [{"type": "data", "data": [1, 2]}]}, "/dataItems/0/data", "data is an object"),
        ("item-metadata", ["MSG-MSG-010"], {**CMD, "dataItems": [{**TEXT, "metadata": "utf-8"}]}, "/dataItems/0/metadata", "metadata is an object"),
        ("file-both", ["MSG-MSG-011"], {**CMD, "dataItems": [{**FILE_URI, "bytes": "aGVsbG8="}]}, "/dataItems/0/bytes", "uri and bytes exclude each other"),
        ("file-neither", ["MSG-MSG-011"], {**CMD, "dataItems": [{"type": "file", "name": "a.txt"}]}, "/dataItems/0/uri", "one of uri and bytes is needed"),
        ("file-relative", ["MSG-MSG-011"], {**CMD, "dataItems": [{**FILE_URI, "uri": "files/tour.pdf"}]}, "/dataItems/0/uri", "a relative reference"),
        ("file-uri-space", ["MSG-MSG-011"], {**CMD, "dataItems": [{**FILE_URI, "uri": "https://example.com/my tour.pdf"}]}, "/dataItems/0/uri", "white space in a URI"),
        ("file-bytes-unpadded", ["MSG-MSG-011"], {**CMD, "dataItems": [{"type": "file", "bytes": "aGVsbG8"}]}, "/dataItems/0/bytes", "base64 without padding"),
        ("file-bytes-url", ["MSG-MSG-011"], {**CMD, "dataItems": [{"type": "file", "bytes": "-_8="}]}, "/dataItems/0/bytes", "the base64url alphabet"),
        ("file-bytes-bits", ["MSG-MSG-011"], {**CMD, "dataItems": [{"type": "file", "bytes": "YR=="}]}, "/dataItems/0/bytes", "unused bits not zero (YQ== is canonical)"),
        ("file-mime", ["MSG-MSG-011"], {**CMD, "dataItems": [{**FILE_URI, "mimeType": "pdf"}]}, "/dataItems/0/mimeType", "not type/subtype"),
        ("file-name", ["MSG-MSG-011"], {**CMD, "dataItems": [{**FILE_URI, "name": 7}]}, "/dataItems/0/name", "a number as name"),
        ("group-chars", ["MSG-MSG-006"], {**CMD, "groupId": "group_1"}, "/groupId", "an underscore"),
        ("group-long", ["MSG-MSG-006"], {**CMD, "groupId": "g" * 129}, "/groupId", "129 characters"),
        ("session-empty", ["MSG-MSG-005"], {**CMD, "sessionId": ""}, "/sessionId", "an empty session id"),
        ("task-id-missing", ["MSG-MSG-014"], edit(CMD, ("/taskId", DROP)), "/taskId", "a command without taskId (the ACPs SDK answers HTTP 500)"),
        ("command-unknown", ["MSG-MSG-014"], {**CMD, "command": "pause"}, "/command", "not one of the six commands"),
        ("params-array", ["MSG-MSG-014"], {**CMD, "commandParams": []}, "/commandParams", "params are an object"),
        ("start-timeout-zero", ["MSG-MSG-015"], edit(CMD, ("/commandParams/timeout", 0)), "/commandParams/timeout", "at least 1 ms"),
        ("start-timeout-text", ["MSG-MSG-015"], edit(CMD, ("/commandParams/timeout", "60000")), "/commandParams/timeout", "a string"),
        ("start-timeout-float", ["MSG-MSG-015"], edit(CMD, ("/commandParams/timeout", 1.5)), "/commandParams/timeout", "a fraction"),
        ("start-cap-bool", ["MSG-MSG-015"], edit(CMD, ("/commandParams/maxProductsBytes", True)), "/commandParams/maxProductsBytes", "true is not 1"),
        ("get-time", ["MSG-MSG-015", "MSG-MSG-007"], {**CMD, "command": "get", "commandParams": {"lastCommandSentAt": "yesterday"}}, "/commandParams/lastCommandSentAt", "not a time"),
        ("restream-negative", ["MSG-MSG-015"], {**CMD, "command": "re-stream", "commandParams": {"lastEventSeq": -1}}, "/commandParams/lastEventSeq", "below 0"),
        ("restream-text", ["MSG-MSG-015"], {**CMD, "command": "re-stream", "commandParams": {"lastEventSeq": "2"}}, "/commandParams/lastEventSeq", "a string"),
        ("result-status-missing", ["MSG-MSG-013"], edit(RESULT, ("/status", DROP)), "/status", "a result needs its status"),
        ("result-state", ["MSG-MSG-013"], edit(RESULT, ("/status/state", "done")), "/status/state", "not one of the eight states"),
        ("result-changed-missing", ["MSG-MSG-013"], edit(RESULT, ("/status/stateChangedAt", DROP)), "/status/stateChangedAt", "a status needs its time"),
        ("result-products-dup", ["MSG-MSG-012"], {**RESULT, "products": [PRODUCT, PRODUCT]}, "/products/1/id", "two products with one id"),
        ("result-product-items", ["MSG-MSG-012"], edit(RESULT, ("/products/0/dataItems", DROP)), "/products/0/dataItems", "a product needs dataItems"),
        ("result-product-id", ["MSG-MSG-012", "MSG-MSG-005"], edit(RESULT, ("/products/0/id", "")), "/products/0/id", "an empty product id"),
        ("result-history-type", ["MSG-MSG-013"], {**RESULT, "commandHistory": [UPDATE]}, "/commandHistory/0/type", "the command history holds task commands only"),
        ("result-history-bad", ["MSG-MSG-013", "MSG-MSG-004"], {**RESULT, "commandHistory": [{**CMD, "senderId": "leader"}]}, "/commandHistory/0/senderId", "a command in the history is checked like any"),
        ("result-statuses", ["MSG-MSG-013"], {**RESULT, "statusHistory": [STATUS, {"state": "paused", "stateChangedAt": "2026-11-21T10:00:00Z"}]}, "/statusHistory/1/state", "a bad status in the history"),
        ("update-status", ["MSG-MSG-016"], edit(UPDATE, ("/status", DROP)), "/status", "a status update without status"),
        ("update-task", ["MSG-MSG-016"], edit(UPDATE, ("/taskId", DROP)), "/taskId", "a status update without taskId"),
        ("chunk-append", ["MSG-MSG-016"], edit(CHUNK, ("/append", DROP)), "/append", "append is required"),
        ("chunk-last-text", ["MSG-MSG-016"], {**CHUNK, "lastChunk": "true"}, "/lastChunk", "a string is not a boolean"),
        ("chunk-product", ["MSG-MSG-016", "MSG-MSG-012"], edit(CHUNK, ("/product/id", DROP)), "/product/id", "the chunk's product needs an id"),
        ("gcmd-group", ["MSG-MSG-017"], edit(GCMD, ("/groupId", DROP)), "/groupId", "group management names its group"),
        ("gcmd-disband", ["MSG-MSG-017"], {**GCMD, "command": "disband"}, "/command", "the SDK's disband is not a group command"),
        ("gres-muted", ["MSG-MSG-017"], edit(GRES, ("/status/muted", DROP)), "/status/muted", "muted is required"),
        ("gres-status", ["MSG-MSG-017"], {**GRES, "status": "connected"}, "/status", "status is an object"),
    ]
    for name, reqs, msg, member, comment in bad:
        check_invalid(name, reqs, msg, member, comment)


SIGNERS = [{"aic": L, "public_key_hex": pub(SEED_L).hex()}, {"aic": P, "public_key_hex": pub(SEED_P).hex()}]


def sign_cases() -> None:
    for name, msg in EXAMPLES.items():
        seed = SEED_L if msg["senderRole"] == "leader" else SEED_P
        body = rfc8785.dumps(msg)
        sig = b64u(Ed25519PrivateKey.from_private_bytes(seed).sign(body))
        case(f"sign-{name}", "messages.sign", ["MSG-MSG-018"], {"message_text": text(msg), "seed_hex": seed.hex(), "aic": msg["senderId"]},
             {"signing_input": body.decode(), "sig": sig, "kid": kid(seed)}, "the whole message minus integrity, by rfc8785 and OpenSSL Ed25519")
    old = {**CMD, "integrity": {"alg": "EdDSA", "kid": "old", "sig": "old"}}
    body = rfc8785.dumps(CMD)
    case("sign-replace", "messages.sign", ["MSG-MSG-018"], {"message_text": text(old), "seed_hex": SEED_L.hex(), "aic": L},
         {"signing_input": body.decode(), "sig": b64u(Ed25519PrivateKey.from_private_bytes(SEED_L).sign(body))}, "an integrity member already there is replaced, never signed")
    case("sign-other-sender", "messages.sign", ["MSG-MSG-018"], {"message_text": text(CMD), "seed_hex": SEED_P.hex(), "aic": P}, FORGED,
         "the Partner may not sign a message in the Leader's name")
    case("sign-bad-shape", "messages.sign", ["MSG-MSG-018", "MSG-MSG-001"], {"message_text": text({**CMD, "command": "pause"}), "seed_hex": SEED_L.hex(), "aic": L}, INVALID,
         "a message is checked before it is signed [@ /command]")


def verify_cases() -> None:
    reqs = ["MSG-MSG-018", "MSG-MSG-019"]
    for name, msg in EXAMPLES.items():
        good = signed(msg)
        case(f"verify-{name}", "messages.verify", reqs, {"message_text": text(good), "signers": SIGNERS},
             {"verified": True, "kid": good["integrity"]["kid"], "senderId": msg["senderId"]}, "signed with its sender's key (RFC 8032 TEST 1 Leader, TEST 2 Partner)")
    good = signed(RESULT)
    relayed = json.dumps(dict(reversed(list(good.items()))), indent=1, ensure_ascii=True)
    case("verify-relayed", "messages.verify", ["MSG-MSG-019", "MSG-MSG-002"], {"message_text": relayed, "signers": SIGNERS},
         {"verified": True, "senderId": P}, "members reordered, whitespace and \\u escapes added by a relay: the value is what is signed")
    case("verify-nested-stale", "messages.verify", ["MSG-MSG-019"], {"message_text": text(signed(edit(RESULT, ("/commandHistory/0/integrity/sig", "A" * 86)))), "signers": SIGNERS},
         {"verified": True}, "a nested command's own signature is not checked by the receiver of the outer message; the outer signature covers it")
    bad = [  # (name, requirements, message text, error, comment)
        ("tampered", ["MSG-MSG-019"], text(edit(good, ("/status/state", "completed"))), -33205, "the state changed after signing"),
        ("added", ["MSG-MSG-019", "MSG-MSG-002"], text({**good, "x-relay": "hop-1"}), -33205, "a member added by a relay"),
        ("null-dropped", ["MSG-MSG-019", "MSG-MSG-002"], text(edit(signed({**UPDATE, "groupId": None}), ("/groupId", DROP))), -33205, "a relay that drops a null member breaks the signature"),
        ("unsigned", ["MSG-MSG-018", "MSG-MSG-019"], text(RESULT), -33201, "no integrity member"),
        ("integrity-null", ["MSG-MSG-019"], text({**RESULT, "integrity": None}), -33201, "integrity null"),
        ("sig-short", ["MSG-MSG-019"], text(edit(good, ("/integrity/sig", "AAAA"))), -33202, "a three-byte signature"),
        ("alg", ["MSG-MSG-019"], text(edit(good, ("/integrity/alg", "ES256"))), -33203, "another algorithm"),
        ("unknown-kid", ["MSG-MSG-019"], text(signed(RESULT, bytes(32))), -33204, "signed by a key no signer holds"),
        ("forged-sender", ["MSG-MSG-019"], text(signed({**RESULT, "senderId": P2}, SEED_P)), FORGED, "the Partner's key, another Partner's AIC in senderId"),
        ("forged-leader", ["MSG-MSG-019"], text(signed({**CMD, "senderId": L}, SEED_P)), FORGED, "a command in the Leader's name signed by the Partner"),
        ("shape-first", ["MSG-MSG-019", "MSG-MSG-001"], text(edit(signed(RESULT), ("/status/state", "done"))), INVALID, "the shape is checked before the signature [@ /status/state]"),
    ]
    for name, reqs_, message_text, error, comment in bad:
        case(f"verify-{name}", "messages.verify", reqs_, {"message_text": message_text, "signers": SIGNERS}, error, comment)


def main() -> None:
    check_cases()
    sign_cases()
    verify_cases()
    doc = {
        "format": "aip-vectors/1",
        "area": "interaction.messages",
        "description": "The message model (Part 9 §9.2, MSG-MSG): the shape of each of the six types (messages.check; the comment of an invalid case ends with the data.member of the refusal), signing over the whole message minus integrity (messages.sign) and verification in its check order with the sender bound to the signer (messages.verify). Messages are written by hand; signatures by rfc8785 + OpenSSL Ed25519 with the RFC 8032 TEST 1 (Leader) and TEST 2 (Partner) keys.",
        "cases": CASES,
    }
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(OUT, len(ids))


if __name__ == "__main__":
    main()
