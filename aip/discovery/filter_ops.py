"""The tables of the discovery filter language (spec Part 8, DSC-FLT): field paths and their
types, operators and the operator x type matrix, value shapes, case folding, date-times and
amounts.

Pure data and small pure functions, used by :mod:`aip.discovery.filters` (which parses and
evaluates filters); they are apart only to keep files small.  :func:`check_value` raises
:class:`BadValue` (a plain exception carrying a reason code and a pointer suffix), which the
parser turns into FilterInvalid (40004).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = [
    "AMOUNT",
    "ANY",
    "BOOLEAN",
    "DATETIME",
    "FIELDS",
    "MAX_LIST",
    "MAX_PATH",
    "MAX_SAFE",
    "MAX_STRING",
    "NUMBER",
    "OBJECT",
    "OPEN",
    "OPS",
    "STRING",
    "BadValue",
    "FieldType",
    "OpSpec",
    "amount",
    "applicable",
    "check_value",
    "field_type",
    "fold",
    "instant",
    "is_number",
]

MAX_LIST = 256  # items in a list value [DSC-FLT-005]
MAX_STRING = 1024  # characters in a string value [DSC-FLT-005]
MAX_PATH = 256  # characters in a field path [DSC-FLT-005]
MAX_SAFE = 2**53 - 1  # the largest I-JSON integer: larger amounts are written as strings

STRING, NUMBER, BOOLEAN, DATETIME, AMOUNT, OBJECT, ANY = (
    "string", "number", "boolean", "datetime", "amount", "object", "any",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FieldType:
    """The type of a field path: ``kind`` of its values (of its elements when ``array``)."""

    kind: str
    array: bool = False


_S, _SA = FieldType(STRING), FieldType(STRING, True)
_O, _OA = FieldType(OBJECT), FieldType(OBJECT, True)

# The closed list of ACS field paths [DSC-FLT-007]; a path through an array names the member of
# each element (``skills.tags`` is the tags array of every skill).
FIELDS: dict[str, FieldType] = {
    "aic": _S, "active": FieldType(BOOLEAN), "lastModifiedTime": FieldType(DATETIME),
    "protocolVersion": _S, "name": _S, "description": _S, "version": _S,
    "iconUrl": _S, "documentationUrl": _S, "webAppUrl": _S,
    "provider": _O, "provider.countryCode": _S, "provider.organization": _S,
    "provider.department": _S, "provider.url": _S, "provider.license": _S, "provider.name": _S,
    "provider.email": _S, "provider.domainRegistrations": _OA,
    "provider.domainRegistrations.domain": _S,
    "provider.domainRegistrations.registrationNumber": _S,
    "provider.domainRegistrations.registrationType": _S,
    "securitySchemes": _O,
    "endPoints": _OA, "endPoints.url": _S, "endPoints.transport": _S, "endPoints.security": _OA,
    "capabilities": _O, "capabilities.streaming": FieldType(BOOLEAN),
    "capabilities.notification": FieldType(BOOLEAN), "capabilities.messageQueue": _SA,
    "defaultInputModes": _SA, "defaultOutputModes": _SA,
    "skills": _OA, "skills.id": _S, "skills.name": _S, "skills.description": _S,
    "skills.version": _S, "skills.tags": _SA, "skills.examples": _SA,
    "skills.inputModes": _SA, "skills.outputModes": _SA,
    "skills.pricing": _OA, "skills.pricing.unit": _S, "skills.pricing.asset": _S,
    "skills.pricing.pricePerUnit": FieldType(AMOUNT), "skills.pricing.per": FieldType(AMOUNT),
    "skills.pricing.minimum": FieldType(AMOUNT), "skills.pricing.maximum": FieldType(AMOUNT),
    "entityUserId": _S, "entityMeta": _O,
    "certificate": _O, "certificate.altNames": _O, "certificate.altNames.dns": _SA,
    "certificate.altNames.ip": _SA, "certificate.requestedValidity": FieldType(NUMBER),
}  # fmt: skip

# Open subtrees: any path below one of these names is accepted with kind ANY [DSC-FLT-007].
OPEN = ("entityMeta", "securitySchemes", "endPoints.security")


def field_type(path: str) -> FieldType | None:
    """The type of ``path``, or None when it is not a filterable ACS path [DSC-FLT-007]."""
    if len(path) > MAX_PATH:
        return None
    known = FIELDS.get(path)
    if known is not None:
        return known
    for root in OPEN:
        rest = path[len(root) + 1 :]
        if path.startswith(root + ".") and all(rest.split(".")):
            return FieldType(ANY)
    return None


@dataclass(frozen=True, slots=True)
class OpSpec:
    """One operator: its value ``shape``, the element kinds it applies to, whether it folds
    case, and the positive operator it is the complement of (``negates``)."""

    name: str
    shape: str
    kinds: frozenset[str]
    folded: bool = False
    negates: str | None = None
    array: bool = False  # applies to the path's arrays, not to their elements


_EQ = frozenset({STRING, NUMBER, BOOLEAN, DATETIME, AMOUNT})
_CMP = frozenset({STRING, NUMBER, DATETIME, AMOUNT})
_RANGE = frozenset({NUMBER, DATETIME, AMOUNT})
_IN = frozenset({STRING, NUMBER, AMOUNT})
_STR = frozenset({STRING})
_ALL = frozenset({STRING, NUMBER, BOOLEAN, DATETIME, AMOUNT, OBJECT})
_SCALARS = frozenset({STRING, NUMBER, BOOLEAN})


def _op(name: str, shape: str, kinds: frozenset[str], **kw: Any) -> tuple[str, OpSpec]:
    return name, OpSpec(name, shape, kinds, **kw)


# Every operator of ADP v02.01 and the operator x type matrix [DSC-FLT-008] [DSC-FLT-009].
OPS: dict[str, OpSpec] = dict([
    _op("eq", "scalar", _EQ, folded=True), _op("ne", "scalar", _EQ, folded=True, negates="eq"),
    _op("eqCs", "string", _STR), _op("neCs", "string", _STR, negates="eqCs"),
    _op("gt", "ordered", _CMP), _op("gte", "ordered", _CMP),
    _op("lt", "ordered", _CMP), _op("lte", "ordered", _CMP),
    _op("between", "range", _RANGE),
    _op("in", "list", _IN, folded=True), _op("nin", "list", _IN, folded=True, negates="in"),
    _op("inCs", "strings", _STR), _op("ninCs", "strings", _STR, negates="inCs"),
    _op("contains", "string", _STR, folded=True),
    _op("notContains", "string", _STR, folded=True, negates="contains"),
    _op("startsWith", "string", _STR, folded=True), _op("endsWith", "string", _STR, folded=True),
    _op("containsCs", "string", _STR), _op("notContainsCs", "string", _STR, negates="containsCs"),
    _op("startsWithCs", "string", _STR), _op("endsWithCs", "string", _STR),
    _op("exists", "boolean", _ALL),
    _op("anyOf", "members", _SCALARS, array=True), _op("allOf", "members", _SCALARS, array=True),
    _op("noneOf", "members", _SCALARS, array=True, negates="anyOf"),
    _op("size", "size", _ALL, array=True), _op("sizeGt", "size", _ALL, array=True),
    _op("sizeGte", "size", _ALL, array=True), _op("sizeLt", "size", _ALL, array=True),
    _op("sizeLte", "size", _ALL, array=True),
    _op("hasKey", "key", frozenset({OBJECT})), _op("hasAnyKey", "keys", frozenset({OBJECT})),
    _op("hasAllKeys", "keys", frozenset({OBJECT})),
    _op("hasNoKey", "keys", frozenset({OBJECT}), negates="hasAnyKey"),
])  # fmt: skip


def applicable(op: OpSpec, ftype: FieldType) -> bool:
    """Whether ``op`` applies to a path of type ``ftype`` (the matrix of [DSC-FLT-009])."""
    if ftype.kind == ANY:
        return True
    if op.name == "exists":
        return True
    if op.array:
        return ftype.array and ftype.kind in op.kinds
    return ftype.kind in op.kinds


def fold(text: str) -> str:
    """Unicode full case folding (``str.casefold``), no normalization [DSC-FLT-016]."""
    return text.casefold()


def is_number(value: Any) -> bool:
    """A JSON number: int or finite float, never a boolean [DSC-FLT-018]."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


_DATE_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
)
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (civil-from-days, inverted)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def instant(text: Any) -> Fraction | None:
    """Seconds since 1970-01-01T00:00:00Z of an RFC 3339 date-time with an offset, exactly
    (any number of fraction digits); None for anything else [DSC-FLT-019]."""
    match = _DATE_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    y, mo, d, h, mi, s, frac, sign, oh, om = match.groups()
    year, month, day = int(y), int(mo), int(d)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= month <= 12 or not 1 <= day <= _MONTH_DAYS[month - 1] + (month == 2 and leap):
        return None
    if int(h) > 23 or int(mi) > 59 or int(s) > 59:
        return None
    offset = 0
    if sign is not None:
        if int(oh) > 23 or int(om) > 59:
            return None
        offset = (int(oh) * 3600 + int(om) * 60) * (1 if sign == "+" else -1)
    whole = _days(year, month, day) * 86400 + int(h) * 3600 + int(mi) * 60 + int(s) - offset
    return Fraction(whole) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)


_AMOUNT_RE = re.compile(r"0|[1-9][0-9]{0,17}")


def amount(value: Any) -> int | None:
    """The integer of an ACS amount (a decimal string of at most 18 digits, no leading zeros),
    or None [DSC-FLT-020]."""
    if isinstance(value, str) and _AMOUNT_RE.fullmatch(value):
        return int(value)
    return None


class BadValue(Exception):
    """A condition's value does not fit its operator and field (reason code, pointer suffix)."""

    def __init__(self, reason: str, at: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.at = at


def _string(value: Any, at: str = "") -> str:
    if not isinstance(value, str):
        raise BadValue("bad-value", at)
    if len(value) > MAX_STRING:
        raise BadValue("too-long", at)
    return value


def _scalar(kind: str, value: Any, at: str = "") -> Any:
    """``value`` checked as one value of ``kind`` (normalized: amounts become int)."""
    if kind in (STRING, DATETIME) or (kind == ANY and isinstance(value, str)):
        text = _string(value, at)
        if kind == DATETIME and instant(text) is None:
            raise BadValue("bad-value", at)
        return text
    if kind == AMOUNT:
        if is_number(value) and isinstance(value, int) and 0 <= value <= MAX_SAFE:
            return value
        parsed = amount(value)
        if parsed is None:
            raise BadValue("bad-value", at)
        return parsed
    if kind == BOOLEAN or (kind == ANY and isinstance(value, bool)):
        if not isinstance(value, bool):
            raise BadValue("bad-value", at)
        return value
    if not is_number(value):  # NUMBER, or ANY with a non-string, non-boolean value
        raise BadValue("bad-value", at)
    return value


def _items(value: Any, kind: str) -> tuple[Any, ...]:
    """A non-empty list of at most MAX_LIST values of one JSON type, checked as ``kind``."""
    if not isinstance(value, list) or not value:
        raise BadValue("bad-value")
    if len(value) > MAX_LIST:
        raise BadValue("too-long")
    out = tuple(_scalar(kind, v, f"/{i}") for i, v in enumerate(value))
    types = {str if isinstance(v, str) else bool if isinstance(v, bool) else float for v in value}
    if len(types) > 1:
        raise BadValue("bad-value")
    return out


def _compare_key(kind: str, value: Any) -> Any:
    if kind == DATETIME:
        return instant(value)
    return value


def _open_kind(shape: str, value: Any) -> str:
    """The kind a value on an open (ANY) path is checked as, taken from the value itself:
    ranges are numeric, booleans are equal or not but have no order."""
    probe = value[0] if isinstance(value, list) and value else value
    if shape == "range":
        return NUMBER
    if isinstance(probe, str):
        return STRING
    if isinstance(probe, bool) and shape in ("scalar", "members"):
        return BOOLEAN
    return NUMBER


def check_value(op: OpSpec, ftype: FieldType, present: bool, value: Any) -> Any:
    """The value of a condition with operator ``op`` on a path of type ``ftype``, checked and
    normalized (lists become tuples, amounts int, a single key a 1-tuple); raises
    :class:`BadValue` (bad-value, too-long, empty-range) [DSC-FLT-010] [DSC-FLT-011]."""
    if not present:
        raise BadValue("bad-value")
    shape = op.shape
    kind = _open_kind(shape, value) if ftype.kind == ANY else ftype.kind
    if shape in ("scalar", "ordered"):
        return _scalar(kind, value)
    if shape in ("string", "key"):
        return _string(value)
    if shape == "boolean":
        if not isinstance(value, bool):
            raise BadValue("bad-value")
        return value
    if shape == "range":
        if not isinstance(value, list) or len(value) != 2:
            raise BadValue("bad-value")
        low, high = _scalar(kind, value[0], "/0"), _scalar(kind, value[1], "/1")
        if _compare_key(kind, low) > _compare_key(kind, high):
            raise BadValue("empty-range")
        return (low, high)
    if shape in ("list", "members"):
        return _items(value, kind)
    if shape == "strings":
        return _items(value, STRING)
    if shape == "size":
        if not (is_number(value) and isinstance(value, int)) or value < 0:
            raise BadValue("bad-value")
        if op.name == "sizeLt" and value == 0:
            raise BadValue("empty-range")
        return value
    if isinstance(value, str):  # keys: one key or a list of keys
        return (_string(value),)
    return _items(value, STRING)
