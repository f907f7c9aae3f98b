"""AMP log records: build, check, sign and verify them (spec Part 11, topic AUD-REC).

Pure core.  A log record is the AMP ``LogRecord`` envelope (camelCase members) around a body
whose shape depends on ``logType``.  Audit records are Part 3 signed objects, the signature over
the whole record minus ``integrity``; other log types may be signed the same way.

* Producers: :func:`make_record` (with :func:`audit_body` and :func:`hash_subject` for audit
  events), then :func:`sign_record`.  Times go in as aware datetimes (:func:`format_timestamp`).
* Receivers: :func:`verify_record` on the object :func:`aip.codec.parse` returned, or
  :func:`check_record` for the shape alone (an unsigned heartbeat, say).  Both hand back or check
  the very object they were given: nothing is rebuilt, so the signature keeps holding [AUD-REC-021].

Failures raise :class:`~aip.errors.AuditError` (RECORD_INVALID, ``data.member`` a JSON Pointer to
the culprit) or, for the signature, :class:`~aip.errors.IntegrityError` (the -332xx codes).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aip.audit.bodies import (
    BODY_CHECKS,
    SUBJECT_PREFIX,
    check_audit_body,
    fail,
    is_secret_name,
    member,
    text,
    walk,
)
from aip.audit.bodies import aic as _check_aic
from aip.errors import AuditError, Code, IntegrityError
from aip.identity.keys import SigningKey, b64url_encode
from aip.integrity import INTEGRITY, KeyResolver, sign_object, verify_object

__all__ = [
    "LOG_TYPES",
    "MIN_SALT_SIZE",
    "SCHEMA_VERSION",
    "SEVERITIES",
    "SUBJECT_PREFIX",
    "audit_body",
    "check_record",
    "format_timestamp",
    "hash_subject",
    "make_record",
    "parse_timestamp",
    "sign_record",
    "verify_record",
]

SCHEMA_VERSION = "1.0.0"  # AMP §5.1.1; the major version this module reads [AUD-REC-002]
LOG_TYPES = ("heartbeat", "access", "metrics", "audit", "message", "system")  # [AUD-REC-006]
SEVERITIES = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}
"""OTel severity bases; a number may lie anywhere in base..base+3 of its text [AUD-REC-009]."""
MIN_SALT_SIZE = 16  # bytes of the subject-hash key [AUD-REC-016]

_MAJOR = 1
_REQUIRED = ("schemaVersion", "timestamp", "aic", "logType", "body")  # [AUD-REC-001]
_SEMVER_RE = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
_TIMESTAMP_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?Z"
)
_TRACE_RE = re.compile(r"[0-9a-f]{32}")
_SPAN_RE = re.compile(r"[0-9a-f]{16}")
_SIGNATURE_MEMBERS = frozenset(("alg", "kid", "sig"))


# ---------------------------------------------------------------- timestamps [AUD-REC-003]


def format_timestamp(moment: datetime) -> str:
    """The record form of an aware datetime: UTC, six fractional digits, ``Z`` [AUD-REC-004].

    Fixed width, so text order is time order.  Raises RECORD_INVALID for a naive datetime (or
    one that leaves the year range once moved to UTC).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise AuditError(Code.RECORD_INVALID, "a record time must be timezone-aware")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise AuditError(Code.RECORD_INVALID, "the time is out of range in UTC") from None
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def _timestamp(value: Any, at: str) -> datetime:
    if type(value) is not str:
        fail(at, "must be an RFC 3339 UTC time string")
    match = _TIMESTAMP_RE.fullmatch(value)
    if match is None:
        fail(at, "must be YYYY-MM-DDTHH:MM:SS[.ffffff]Z (UTC, at most six fractional digits)")
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second),
            int((fraction or "").ljust(6, "0")), tzinfo=UTC,
        )  # fmt: skip
    except ValueError:
        fail(at, "is not a real UTC date and time")


def parse_timestamp(text: str) -> datetime:
    """Read a record time (0 to 6 fractional digits, ``Z``); return an aware UTC datetime.

    Raises RECORD_INVALID for any other form, an offset other than ``Z``, or an impossible
    date or time (February 30th, second 60).
    """
    return _timestamp(text, "")


# ---------------------------------------------------------------- human subjects


def hash_subject(value: str, salt: bytes) -> str:
    """How a human subject id is recorded: ``"hmac-sha256:" + b64url(HMAC-SHA256(salt, id))``.

    Call when an audit actor or target is a person (type ``user``) [AUD-REC-015]; ``salt`` is a
    secret of the producer, at least 16 bytes, the same for every record that should link the
    same person [AUD-REC-016].  The id is hashed exactly as given (UTF-8).  Raises
    RECORD_INVALID for an empty or unencodable id or a short salt.
    """
    if not isinstance(salt, bytes) or len(salt) < MIN_SALT_SIZE:
        raise AuditError(Code.RECORD_INVALID, f"the subject salt must be >= {MIN_SALT_SIZE} bytes")
    if type(value) is not str or not value:
        raise AuditError(Code.RECORD_INVALID, "a subject id must be a non-empty string")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:
        raise AuditError(Code.RECORD_INVALID, "a subject id must be valid Unicode") from None
    return SUBJECT_PREFIX + b64url_encode(hmac.new(salt, data, hashlib.sha256).digest())


# ---------------------------------------------------------------- envelope checks


def _schema_version(value: Any) -> None:
    match = _SEMVER_RE.fullmatch(value) if type(value) is str else None
    if match is None:
        fail("/schemaVersion", "must be MAJOR.MINOR.PATCH")
    if int(match.group(1)) != _MAJOR:  # a minor version only adds optional members
        fail("/schemaVersion", f"has major version {match.group(1)}; only {_MAJOR} is known")


def _hex_id(record: Mapping[str, Any], name: str, pattern: re.Pattern[str]) -> None:
    value = record[name]
    if type(value) is not str or not pattern.fullmatch(value) or not value.strip("0"):
        fail(member("", name), "must be lower-case hex of its fixed length, not all zero")


def _trace(record: Mapping[str, Any]) -> None:
    """[AUD-REC-007] W3C/OTel ids; a span needs its trace, a parent span needs its span."""
    for name, pattern, needs in (
        ("traceId", _TRACE_RE, None),
        ("spanId", _SPAN_RE, "traceId"),
        ("parentSpanId", _SPAN_RE, "spanId"),
    ):
        if name in record:
            _hex_id(record, name, pattern)
            if needs is not None and needs not in record:
                fail(member("", name), f"is present without {needs}")


def _severity(record: Mapping[str, Any]) -> None:
    """[AUD-REC-009] Both or neither; the number within the range of the text."""
    has_text, has_number = "severityText" in record, "severityNumber" in record
    if has_text != has_number:
        missing = "severityNumber" if has_text else "severityText"
        fail(member("", missing), "is required with its partner member")
    if not has_text:
        return
    name, number = record["severityText"], record["severityNumber"]
    if type(name) is not str or name not in SEVERITIES:
        fail("/severityText", f"must be one of {', '.join(SEVERITIES)}")
    base = SEVERITIES[name]
    if type(number) not in (int, float) or number not in range(base, base + 4):
        fail("/severityNumber", f"must be an integer {base}..{base + 3} for {name}")


def _attribute_kind(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return "string"
    if kind is bool:
        return "boolean"
    return "number" if kind is int or kind is float else None


def _attributes(value: Any, at: str) -> None:
    """[AUD-REC-010] OTel attributes: scalars, or arrays of scalars of one kind."""
    if type(value) is not dict:
        fail(at, "must be an object")
    for name, item in value.items():
        where = member(at, name)
        if not name:
            fail(where, "has an empty name")
        if type(item) is list:
            kinds = {_attribute_kind(element) for element in item}
            if None in kinds or len(kinds) > 1:
                fail(where, "must be an array of strings, of numbers or of booleans")
        elif _attribute_kind(item) is None:
            fail(where, "must be a string, number, boolean or an array of one of them")


def _check_unsigned(record: Any) -> None:
    """Every RECORD_INVALID rule, in the order of [AUD-REC-020]; ``integrity`` is not looked at."""
    if type(record) is not dict:
        fail("", "a record must be a JSON object")
    for name, value in record.items():
        if name == INTEGRITY:
            continue
        if type(name) is not str:
            fail("", "has a member name that is not a string")
        if is_secret_name(name):  # [AUD-REC-014]
            fail(member("", name), "names a credential; raw secrets are never logged")
        walk(value, member("", name))  # unknown members too: kept and signed [AUD-REC-011]
    for name in _REQUIRED:
        if name not in record:
            fail(member("", name), "is required")
    _schema_version(record["schemaVersion"])
    _timestamp(record["timestamp"], "/timestamp")
    if "observedTimestamp" in record:
        _timestamp(record["observedTimestamp"], "/observedTimestamp")
    _check_aic(record["aic"], "/aic")
    log_type = record["logType"]
    if type(log_type) is not str or log_type not in LOG_TYPES:
        fail("/logType", f"must be one of {', '.join(LOG_TYPES)}")
    _trace(record)
    if "correlationId" in record:
        text(record["correlationId"], "/correlationId")  # [AUD-REC-008]
    _severity(record)
    BODY_CHECKS[log_type](record["body"], "/body")  # [AUD-REC-012]
    if "resource" in record:
        _attributes(record["resource"], "/resource")
        if "service.name" not in record["resource"]:
            fail("/resource/service.name", "is required")
        text(record["resource"]["service.name"], "/resource/service.name")
    if "attributes" in record:
        _attributes(record["attributes"], "/attributes")


def _check_integrity(record: dict[str, Any]) -> None:
    """[AUD-REC-018] [AUD-REC-019] Presence for audit records, shape whenever present."""
    signature = record.get(INTEGRITY)
    if signature is None:
        if record["logType"] == "audit":
            raise IntegrityError(Code.INTEGRITY_MISSING, "an audit record must be signed")
        if INTEGRITY in record:
            fail("/integrity", "is null; an unsigned record leaves it out")
        return
    if (
        type(signature) is not dict
        or signature.keys() != _SIGNATURE_MEMBERS
        or not all(type(v) is str and v for v in signature.values())
    ):
        raise IntegrityError(Code.INTEGRITY_MALFORMED, "integrity must be {alg, kid, sig}")


# ---------------------------------------------------------------- public API


def check_record(record: Any) -> dict[str, Any]:
    """Check the shape of a parsed record and return that same object, unchanged.

    Call on every record received, before storing or forwarding it; use :func:`verify_record`
    when the signature must be checked too.  Raises :class:`~aip.errors.AuditError`
    (RECORD_INVALID) for any shape rule, then :class:`~aip.errors.IntegrityError`:
    INTEGRITY_MISSING for an audit record without ``integrity``, INTEGRITY_MALFORMED for an
    ``integrity`` that is not ``{alg, kid, sig}`` of non-empty strings.
    """
    _check_unsigned(record)
    _check_integrity(record)
    return record  # type: ignore[no-any-return]


def verify_record(record: Any, keys: KeyResolver) -> str:
    """Check a parsed record and its signature; return the ``kid`` that verified it.

    Every log type is verified the same way; an unsigned record of any type fails here (use
    :func:`check_record` to accept unsigned non-audit records).  Raises what
    :func:`check_record` raises, then the Part 3 codes in their order: INTEGRITY_MISSING,
    INTEGRITY_MALFORMED, ALGORITHM_UNSUPPORTED, KEY_UNKNOWN, SIGNATURE_INVALID [AUD-REC-020].
    Whether the key speaks for ``record["aic"]`` is for the caller to establish (INT-SIG-010).
    """
    check_record(record)
    return verify_object(record, keys)  # [AUD-REC-017] over the parsed object (INT-SIG-006)


def sign_record(
    record: Mapping[str, Any], key: SigningKey, kid: str | None = None
) -> dict[str, Any]:
    """Return a copy of ``record`` signed with ``key`` over everything but ``integrity``.

    ``kid`` defaults to the key id of [IDN-KEY-003]; an ``integrity`` already present is
    replaced.  The record is checked first: raises RECORD_INVALID if it breaks a shape rule.
    """
    unsigned = {name: value for name, value in record.items() if name != INTEGRITY}
    _check_unsigned(unsigned)
    return sign_object(unsigned, key, kid)  # [AUD-REC-017]


def audit_body(
    *, actor: dict[str, Any], action: dict[str, Any], target: dict[str, Any], result: dict[str, Any]
) -> dict[str, Any]:
    """The body of an audit record: a checked copy of its four parts [AUD-REC-013].

    Put a person in ``actor`` or ``target`` as ``{"type": "user", "id": hash_subject(...)}``
    and without ``name`` [AUD-REC-015].  Raises RECORD_INVALID (pointer under ``/body``).
    """
    body = copy.deepcopy({"actor": actor, "action": action, "target": target, "result": result})
    check_audit_body(body)
    return body


def make_record(
    *,
    aic: str,
    log_type: str,
    body: dict[str, Any],
    timestamp: datetime,
    observed: datetime | None = None,
    trace_id: str | None = None,
    span_id: str | None = None,
    parent_span_id: str | None = None,
    correlation_id: str | None = None,
    severity: str | None = "INFO",
    resource: dict[str, Any] | None = None,
    attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a checked, unsigned record; sign it with :func:`sign_record` (audit records must be).

    ``severity`` names one of :data:`SEVERITIES` and sets both ``severityText`` and
    ``severityNumber`` (its base); ``None`` leaves both out, as any ``None`` argument leaves its
    member out.  ``body``, ``resource`` and ``attributes`` are deep-copied.  Raises
    RECORD_INVALID naming the first member that breaks a rule.
    """
    record: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "timestamp": format_timestamp(timestamp),
    }
    if observed is not None:
        record["observedTimestamp"] = format_timestamp(observed)
    record["aic"] = aic
    record["logType"] = log_type
    for name, value in (
        ("traceId", trace_id),
        ("spanId", span_id),
        ("parentSpanId", parent_span_id),
        ("correlationId", correlation_id),
    ):
        if value is not None:
            record[name] = value
    if severity is not None:
        record["severityText"] = severity
        record["severityNumber"] = SEVERITIES.get(severity, 0)
    record["body"] = copy.deepcopy(body)
    if resource is not None:
        record["resource"] = copy.deepcopy(resource)
    if attributes is not None:
        record["attributes"] = copy.deepcopy(attributes)
    _check_unsigned(record)
    return record
