"""Per-member checks of AIP messages (spec Part 9 §9.2, topic MSG-MSG).

Pure helpers for :mod:`aip.interaction.messages`: each function checks one value found at the
JSON Pointer ``at`` and raises :class:`~aip.errors.InteractionError` MESSAGE_INVALID (-33901)
with ``data.member = at`` when the value breaks its rule [MSG-MSG-003].  Nothing here rewrites a
value.  The time helpers (:func:`instant`, :func:`format_time`, :func:`nanoseconds`) are shared
with the task machine, which compares times as integer nanoseconds since the epoch.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NoReturn

from aip.codec import pointer
from aip.errors import AicError, Code, InteractionError
from aip.identity.aic import parse_aic

__all__ = [
    "DATA_ITEM_TYPES", "MAX_IDENT", "TASK_STATES", "aic", "boolean", "data_item", "data_items",
    "fail", "format_time", "group_id", "ident", "instant", "mentions", "nanoseconds", "obj",
    "optional", "pointer", "positive_int", "product", "products", "required", "task_status",
    "text", "timestamp",
]

TASK_STATES = (  # [MSG-TSK-001]
    "accepted", "working", "awaiting-input", "awaiting-completion",
    "completed", "canceled", "failed", "rejected",
)
DATA_ITEM_TYPES = ("text", "file", "data")  # [MSG-MSG-010]
MAX_IDENT = 256  # [MSG-MSG-005]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_MICROSECOND = timedelta(microseconds=1)
_TIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_GROUP_RE = re.compile(r"[A-Za-z0-9-]{1,128}", re.ASCII)  # [MSG-MSG-006]
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_MIME_RE = re.compile(rf"{_TOKEN}/{_TOKEN}(?: *; *{_TOKEN}=(?:{_TOKEN}|\"[^\"\\\x00-\x1f]*\"))*")
_URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20\x7f]+", re.ASCII)
_BASE64_RE = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", re.ASCII)


def fail(at: str, why: str) -> NoReturn:
    """Refuse the member at ``at`` with MESSAGE_INVALID and ``data.member`` [MSG-MSG-003]."""
    raise InteractionError(Code.MESSAGE_INVALID, f"{at or '/'}: {why}", data={"member": at})


def obj(value: Any, at: str) -> dict[str, Any]:
    """``value`` as a JSON object, else MESSAGE_INVALID."""
    if not isinstance(value, dict):
        fail(at, "must be an object")
    return value


def required(parent: Mapping[str, Any], name: str, at: str) -> Any:
    """The member ``name`` of ``parent``; absent or null is MESSAGE_INVALID at its pointer."""
    value = parent.get(name)
    if value is None:
        fail(pointer(at, name), "is required")
    return value


def optional(parent: Mapping[str, Any], name: str) -> Any:
    """The member ``name`` of ``parent``, or None when it is absent or null [MSG-MSG-002]."""
    return parent.get(name)


def text(value: Any, at: str) -> str:
    """Any JSON string."""
    if not isinstance(value, str):
        fail(at, "must be a string")
    return value


def ident(value: Any, at: str) -> str:
    """An identifier: 1 to 256 characters, no control character [MSG-MSG-005]."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_IDENT:
        fail(at, f"must be a string of 1 to {MAX_IDENT} characters")
    if _CONTROL_RE.search(value):
        fail(at, "must not hold control characters")
    return value


def group_id(value: Any, at: str) -> str:
    """A group id: 1 to 128 of ``A-Z a-z 0-9 -`` [MSG-MSG-006]."""
    if not isinstance(value, str) or _GROUP_RE.fullmatch(value) is None:
        fail(at, "must be 1 to 128 letters, digits or hyphens")
    return value


def aic(value: Any, at: str) -> str:
    """An entity AIC written canonically (Part 4 format and ranges) [MSG-MSG-004]."""
    if not isinstance(value, str):
        fail(at, "must be an AIC string")
    try:
        parsed = parse_aic(value)
    except AicError:
        fail(at, "is not an AIC (Part 4)")
    if str(parsed) != value:
        fail(at, "must be written canonically")
    if not parsed.is_entity:
        fail(at, "must name an entity, not an ontology")
    return value


def boolean(value: Any, at: str) -> bool:
    """A JSON boolean."""
    if not isinstance(value, bool):
        fail(at, "must be true or false")
    return value


def positive_int(value: Any, at: str) -> int:
    """A JSON integer of at least 1 (not a boolean, not 1.0)."""
    if type(value) is not int or value < 1:
        fail(at, "must be an integer of at least 1")
    return value


# ---------------------------------------------------------------- times


def instant(value: str) -> int | None:
    """Nanoseconds since 1970 of an RFC 3339 date-time with an offset, or None if ``value``
    is not one [MSG-MSG-007]: seconds required, 0 to 9 fractional digits, upper-case ``T``
    and ``Z``, a real date and time (no second 60), offset hours at most 23."""
    match = _TIME_RE.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        zone = UTC
        if offset != "Z":
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            if hours > 23 or minutes > 59:
                return None
            delta = timedelta(hours=hours, minutes=minutes)
            zone = timezone(-delta if offset[0] == "-" else delta)
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except ValueError:  # no such date or time
        return None
    whole = (moment - _EPOCH) // _SECOND
    return whole * 1_000_000_000 + int((fraction or "").ljust(9, "0"))


def timestamp(value: Any, at: str) -> int:
    """An RFC 3339 time (see :func:`instant`); returns its nanoseconds since 1970."""
    if not isinstance(value, str):
        fail(at, "must be an RFC 3339 date-time string")
    found = instant(value)
    if found is None:
        fail(at, "must be an RFC 3339 date-time with seconds and an offset")
    return found


def nanoseconds(moment: datetime) -> int:
    """Nanoseconds since 1970 of an aware datetime.  Raises ``ValueError`` if it is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return ((moment - _EPOCH) // _MICROSECOND) * 1000


def format_time(ns: int) -> str:
    """The form this implementation writes: UTC, six fractional digits, ``Z`` [MSG-MSG-007].

    Sub-microsecond digits are dropped (times written here are always whole microseconds).
    """
    t = _EPOCH + timedelta(microseconds=ns // 1000)
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
        f".{t.microsecond:06d}Z"
    )


# ---------------------------------------------------------------- members with structure


def mentions(value: Any, at: str) -> None:
    """``"all"`` or an array of distinct entity AICs (absent, null and [] mean nobody)
    [MSG-MSG-008]."""
    if value == "all":
        return
    if not isinstance(value, list):
        fail(at, 'must be "all" or an array of AICs')
    for index, item in enumerate(value):
        aic(item, pointer(at, index))
        if item in value[:index]:
            fail(pointer(at, index), "names an AIC twice")


def data_item(value: Any, at: str) -> None:
    """One data item: ``text``, ``file`` (exactly one of ``uri`` and ``bytes``) or ``data``,
    each with an optional ``metadata`` object [MSG-MSG-010] [MSG-MSG-011]."""
    item = obj(value, at)
    kind = required(item, "type", at)
    if kind not in DATA_ITEM_TYPES:
        fail(pointer(at, "type"), "must be text, file or data")
    if kind == "text":
        text(required(item, "text", at), pointer(at, "text"))
    elif kind == "data":
        obj(required(item, "data", at), pointer(at, "data"))
    else:
        _file(item, at)
    if optional(item, "metadata") is not None:
        obj(item["metadata"], pointer(at, "metadata"))


def _file(item: dict[str, Any], at: str) -> None:
    """[MSG-MSG-011]"""
    if optional(item, "name") is not None:
        text(item["name"], pointer(at, "name"))
    mime = optional(item, "mimeType")
    if mime is not None and (not isinstance(mime, str) or _MIME_RE.fullmatch(mime) is None):
        fail(pointer(at, "mimeType"), "must be a media type type/subtype")
    uri, raw = optional(item, "uri"), optional(item, "bytes")
    if (uri is None) == (raw is None):
        fail(pointer(at, "bytes" if uri is not None else "uri"), "give exactly one of uri, bytes")
    if uri is not None:
        if not isinstance(uri, str) or _URI_RE.fullmatch(uri) is None:
            fail(pointer(at, "uri"), "must be an absolute URI")
        return
    if not isinstance(raw, str) or _BASE64_RE.fullmatch(raw) is None:
        fail(pointer(at, "bytes"), "must be padded base64 (RFC 4648 §4)")
    try:
        canonical = base64.b64encode(base64.b64decode(raw, validate=True)).decode("ascii")
    except binascii.Error:
        fail(pointer(at, "bytes"), "must be padded base64 (RFC 4648 §4)")
    if canonical != raw:
        fail(pointer(at, "bytes"), "unused bits of the last character must be zero")


def data_items(value: Any, at: str) -> None:
    """An array of data items [MSG-MSG-010]."""
    if not isinstance(value, list):
        fail(at, "must be an array of data items")
    for index, item in enumerate(value):
        data_item(item, pointer(at, index))


def product(value: Any, at: str) -> None:
    """A product: ``id``, optional ``name`` and ``description``, ``dataItems`` [MSG-MSG-012]."""
    item = obj(value, at)
    ident(required(item, "id", at), pointer(at, "id"))
    for name in ("name", "description"):
        if optional(item, name) is not None:
            text(item[name], pointer(at, name))
    data_items(required(item, "dataItems", at), pointer(at, "dataItems"))


def products(value: Any, at: str) -> None:
    """An array of products whose ids are distinct [MSG-MSG-012]."""
    if not isinstance(value, list):
        fail(at, "must be an array of products")
    seen: set[str] = set()
    for index, item in enumerate(value):
        product(item, pointer(at, index))
        if item["id"] in seen:
            fail(pointer(pointer(at, index), "id"), "two products have this id")
        seen.add(item["id"])


def task_status(value: Any, at: str) -> None:
    """A task status: ``state`` (one of the eight), ``stateChangedAt``, optional ``dataItems``
    [MSG-MSG-013]."""
    status = obj(value, at)
    if required(status, "state", at) not in TASK_STATES:
        fail(pointer(at, "state"), "is not one of the eight task states")
    timestamp(required(status, "stateChangedAt", at), pointer(at, "stateChangedAt"))
    if optional(status, "dataItems") is not None:
        data_items(status["dataItems"], pointer(at, "dataItems"))
