"""The checks under an AMP log record: JSON values, secret names, and the six body shapes.

Pure core, the lower half of :mod:`aip.audit.records` (call that module, not this one).  Every
check here takes a value and the JSON Pointer (RFC 6901) of where it sits in the record, and
raises :class:`~aip.errors.AuditError` with RECORD_INVALID whose ``data.member`` is that pointer
[AUD-REC-022].  Body tables follow ACPs AMP §5.2-5.6: members the table names are typed,
members it does not name are accepted and kept [AUD-REC-012].
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from aip.codec import MAX_DEPTH, MAX_SAFE_INTEGER, pointer
from aip.errors import AicError, AuditError, Code
from aip.identity.aic import parse_aic

__all__ = [
    "BODY_CHECKS",
    "SUBJECT_PREFIX",
    "Check",
    "aic",
    "check_audit_body",
    "fail",
    "is_secret_name",
    "is_subject_hash",
    "member",
    "text",
    "walk",
]

Check = Callable[[Any, str], None]
"""A check of one value found at a JSON Pointer; raises RECORD_INVALID or returns None."""

SUBJECT_PREFIX = "hmac-sha256:"
# 32 bytes in unpadded base64url: 43 characters, the last one carrying 4 bits (low 2 zero).
_SUBJECT_RE = re.compile(r"hmac-sha256:[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]")

# [AUD-REC-014] Names are folded (lower case, without _ - . and spaces) before the test.
_SECRET_SUFFIXES = ("token", "password", "passwd", "passphrase", "secret", "apikey", "privatekey")
_SECRET_NAMES = frozenset(("authorization", "proxyauthorization", "cookie", "setcookie"))
_FOLD = str.maketrans("", "", "_-. ")
_ALWAYS_FINE = frozenset({str, bool, type(None)})  # scalar kinds walk() never refuses

# ISO 8601 duration as AMP uses it for metric windows: PT5M, PT1H, P1D, P2DT5H30M.
_DURATION_RE = re.compile(
    r"P(?=[0-9]|T[0-9])(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?"
    r"(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?"
)


def fail(pointer: str, why: str) -> NoReturn:
    """Raise RECORD_INVALID naming the member at ``pointer`` (``""`` is the record itself)."""
    raise AuditError(Code.RECORD_INVALID, f"{pointer or '/'} {why}", data={"member": pointer})


def member(at: str, name: str) -> str:
    """The JSON Pointer of member ``name`` of the object at ``at`` (:func:`aip.codec.pointer`)."""
    return pointer(at, name)


@functools.lru_cache(maxsize=4096)  # records repeat the same few member names
def is_secret_name(name: str) -> bool:
    """True if a member called ``name`` would hold a raw credential [AUD-REC-014]."""
    folded = name.lower().translate(_FOLD)
    return folded in _SECRET_NAMES or folded.endswith(_SECRET_SUFFIXES)


def is_subject_hash(value: object) -> bool:
    """True if ``value`` has the form of :func:`aip.audit.records.hash_subject` output."""
    return isinstance(value, str) and _SUBJECT_RE.fullmatch(value) is not None


def walk(value: Any, at: str) -> None:
    """Refuse anything in ``value`` that is not a JSON value, or that names a secret.

    ``at`` is the pointer of ``value``, which sits one level inside the record.  Checks every
    depth iteratively: member names are strings and not secret names [AUD-REC-014], numbers are
    finite and within ±(2**53-1) [AUD-REC-023], and no more than MAX_DEPTH containers nest
    (which also ends the walk on a cyclic value).  Raises RECORD_INVALID.
    """
    stack: list[tuple[Any, str, int]] = [(value, at, 1)]
    while stack:
        item, where, depth = stack.pop()
        kind = type(item)
        if kind is dict or kind is list:
            if depth + 1 > MAX_DEPTH:
                fail(where, f"nests deeper than {MAX_DEPTH} levels")
            if kind is list:
                stack.extend((child, f"{where}/{i}", depth + 1) for i, child in enumerate(item))
                continue
            for name, child in item.items():
                if type(name) is not str:
                    fail(where, "has a member name that is not a string")
                if is_secret_name(name):
                    fail(member(where, name), "names a credential; raw secrets are never logged")
                if type(child) not in _ALWAYS_FINE:  # strings, booleans, null: nothing to check
                    stack.append((child, member(where, name), depth + 1))
        elif kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                fail(where, "is an integer outside ±(2**53-1)")
        elif kind is float:
            if not math.isfinite(item) or abs(item) > MAX_SAFE_INTEGER:  # [AUD-REC-023]
                fail(where, "is not a finite number within ±(2**53-1)")
        elif kind is not str and kind is not bool and item is not None:
            fail(where, f"is not a JSON value ({kind.__name__})")


# ---------------------------------------------------------------- scalar checks


def _is_number(value: object) -> bool:
    return type(value) is int or type(value) is float


def _is_integer(value: object) -> bool:
    """An integral JSON number: 9 and 9.0 are the same value once canonicalised."""
    return type(value) is int or (type(value) is float and value.is_integer())


def text(value: Any, at: str) -> None:
    """A non-empty string."""
    if type(value) is not str or not value:
        fail(at, "must be a non-empty string")


def _string(value: Any, at: str) -> None:
    if type(value) is not str:
        fail(at, "must be a string")


def _anything(value: Any, at: str) -> None:
    """Any JSON value, null included (``walk`` has already checked it)."""


def _integer(value: Any, at: str) -> None:
    if not _is_integer(value):
        fail(at, "must be an integer")


def _at_least(low: int) -> Check:
    def check(value: Any, at: str) -> None:
        if not _is_integer(value) or value < low:
            fail(at, f"must be an integer >= {low}")

    return check


def _number(low: float = 0, high: float | None = None) -> Check:
    def check(value: Any, at: str) -> None:
        if not _is_number(value) or value < low or (high is not None and value > high):
            fail(at, f"must be a number in [{low}, {high if high is not None else 'inf'}]")

    return check


def _one_of(*options: str) -> Check:
    def check(value: Any, at: str) -> None:
        if type(value) is not str or value not in options:
            fail(at, f"must be one of {', '.join(options)}")

    return check


def _code(value: Any, at: str) -> None:
    if not (_is_number(value) or type(value) is str):
        fail(at, "must be a number or a string")


def _ip(value: Any, at: str) -> None:
    text(value, at)
    try:
        ipaddress.ip_address(value)
    except ValueError:
        fail(at, "must be an IPv4 or IPv6 address")


def aic(value: Any, at: str) -> None:
    """An AIC in canonical form that passes the Part 4 format and range checks [AUD-REC-005]."""
    text(value, at)
    try:
        canonical = str(parse_aic(value))
    except AicError:
        fail(at, "is not a well-formed AIC")
    if canonical != value:
        fail(at, "is not in canonical form (upper case, no surrounding whitespace)")


def _duration(value: Any, at: str) -> None:
    if type(value) is not str or not _DURATION_RE.fullmatch(value):
        fail(at, "must be an ISO 8601 duration such as PT5M")


def _string_map(value: Any, at: str) -> None:
    if type(value) is not dict:
        fail(at, "must be an object")
    for name, item in value.items():
        _string(item, member(at, name))


# ---------------------------------------------------------------- structure checks


def _object(required: Mapping[str, Check], optional: Mapping[str, Check] | None = None) -> Check:
    """An object with the ``required`` members; the ``optional`` ones typed when present."""
    known = {**required, **(optional or {})}

    def check(value: Any, at: str) -> None:
        if type(value) is not dict:
            fail(at, "must be an object")
        for name in required:
            if name not in value:
                fail(member(at, name), "is required")
        for name, inner in known.items():
            if name in value:
                inner(value[name], member(at, name))

    return check


def _array(item: Check) -> Check:
    def check(value: Any, at: str) -> None:
        if type(value) is not list:
            fail(at, "must be an array")
        for index, element in enumerate(value):
            item(element, f"{at}/{index}")

    return check


def _party(required: Mapping[str, Check], optional: Mapping[str, Check]) -> Check:
    """An audit actor or target: a human (type "user") appears only by subject hash."""
    shape = _object(required, optional)

    def check(value: Any, at: str) -> None:
        shape(value, at)
        if value["type"] == "user":  # [AUD-REC-015]
            if not is_subject_hash(value["id"]):
                fail(member(at, "id"), "of a user must be a subject hash (hmac-sha256:...)")
            if "name" in value:
                fail(member(at, "name"), "of a user is never logged")

    return check


# ---------------------------------------------------------------- the six bodies (AMP §5.2-5.6)

_ERROR_INFO = _object({}, {"code": _code, "message": _string, "data": _anything,
                           "stackTrace": _string})  # fmt: skip
_ENDPOINT = _object({}, {"aic": aic, "serviceName": text, "ip": _ip})
_COUNT = _at_least(0)
_NON_NEGATIVE = _number(0)
_PERCENT = _number(0, 100)

_HEARTBEAT = _object({}, {"uptimeSeconds": _NON_NEGATIVE})

_LOAD = _object(
    {"activeTasks": _COUNT, "queuedTasks": _COUNT},
    {"maxActiveTasks": _COUNT, "maxQueuedTasks": _COUNT, "cpuUsage": _PERCENT,
     "memoryUsage": _PERCENT, "diskUsage": _PERCENT, "networkInUsage": _PERCENT,
     "networkOutUsage": _PERCENT},
)  # fmt: skip
_WINDOW = _object(
    {"window": _duration, "successRate": _PERCENT},
    {"requestTotal": _COUNT}
    | dict.fromkeys(
        ("requestPerSecond", "avgThroughputMBps", "peakThroughputMBps", "avgLatencyMs",
         "p99LatencyMs", "p95LatencyMs", "p90LatencyMs", "p80LatencyMs", "p75LatencyMs",
         "p50LatencyMs"),
        _NON_NEGATIVE,
    ),
)  # fmt: skip
_METRICS = _object({}, {"uptimeSeconds": _NON_NEGATIVE, "loadMetrics": _LOAD,
                        "windowMetrics": _array(_WINDOW)})  # fmt: skip

_ACCESS = _object(
    {},
    {
        "durationMs": _NON_NEGATIVE,
        "request": _object({}, {"method": text, "url": _string, "headers": _string_map,
                                "bodySizeBytes": _COUNT}),
        "response": _object({}, {"statusCode": _integer, "headers": _string_map,
                                 "bodySizeBytes": _COUNT}),
        "caller": _ENDPOINT,
        "callee": _ENDPOINT,
        "error": _ERROR_INFO,
    },
)  # fmt: skip

_MESSAGE = _object(
    {
        "direction": _one_of("send", "receive"),
        "system": text,
        "destination": _object({"name": text}, {"kind": _one_of("topic", "queue", "exchange"),
                                                "virtualHost": text}),
    },
    {
        "routing": _object({}, {"key": _string, "partition": _COUNT, "offset": _COUNT}),
        "messageId": text,
        "payloadSizeBytes": _COUNT,
        "deliveryAttempt": _at_least(1),
        "ack": _object({"status": _one_of("ack", "nack", "reject", "timeout")},
                       {"latencyMs": _NON_NEGATIVE, "reason": _string}),
        "error": _ERROR_INFO,
        "attributes": _object({}),
    },
)  # fmt: skip

# [AUD-REC-013]
_AUDIT = _object(
    {
        "actor": _party({"id": text, "type": text},
                        {"name": text, "role": text, "ip": _ip, "userAgent": _string}),
        "action": _object({"name": text, "type": text}, {"method": text}),
        "target": _party({"type": text, "id": text},
                         {"name": text, "before": _anything, "after": _anything}),
        "result": _object({"status": _one_of("success", "failure", "unknown")},
                          {"reason": _string, "errorCode": text}),
    }
)  # fmt: skip

BODY_CHECKS: dict[str, Check] = {
    "heartbeat": _HEARTBEAT,
    "access": _ACCESS,
    "metrics": _METRICS,
    "audit": _AUDIT,
    "message": _MESSAGE,
    "system": _object({}),  # free-form
}
"""The body check of each log type [AUD-REC-012]; the keys are the log types of AMP."""


def check_audit_body(body: Any, at: str = "/body") -> None:
    """Check an audit body (JSON values, secrets, shape, subject hashes); raise RECORD_INVALID."""
    walk(body, at)
    _AUDIT(body, at)
