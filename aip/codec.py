"""Strict I-JSON parsing and exact RFC 8785 canonical encoding.

Pure core.  Call :func:`parse` on every byte string received from a peer, and
:func:`canonicalize` to get the bytes a signature covers.  Both raise only
:class:`~aip.errors.CodecError`, whose ``code`` names the exact rule broken (``spec/02-codec.md``).

Speed: parsing runs the C scanner of the standard library with a duplicate-key hook, and
adds the slower checks (large integers, overflow, surrogates, depth) only when a cheap scan of
the raw text shows they could matter.  Canonicalisation takes the orjson fast path whenever its
sorted-key output is provably identical to RFC 8785, and otherwise the exact reference path
in :mod:`aip._jcs` (proved equal by vectors and property tests).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from aip import _jcs
from aip._jcs import number_text
from aip.errors import Code, CodecError

__all__ = [
    "MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "canonicalize",
    "dumps",
    "number_text",
    "parse",
    "pointer",
]

MAX_SAFE_INTEGER = 2**53 - 1  # [COD-JSON-004]
MAX_DEPTH = 128  # [COD-JSON-007]

# A surrogate can only come from a \u escape, so texts without one skip the surrogate walk.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")

# orjson options for the fast paths: integers past ±(2**53-1) raise instead of encoding, and
# datetimes, dataclasses and subclasses of the JSON types go to _refuse, which raises.
_FAST_OPTIONS = (
    orjson.OPT_STRICT_INTEGER
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
_SORTED = _FAST_OPTIONS | orjson.OPT_SORT_KEYS
# Bytes F0-F4 start code points beyond the BMP, the only case where code point order (orjson)
# and UTF-16 order (RFC 8785) of member names can differ.
_NON_BMP_LEADS = bytes(range(0xF0, 0xF5))
_ALL_BUT_NON_BMP_LEADS = bytes(b for b in range(256) if b not in _NON_BMP_LEADS)

# What _shape finds in a value.
_NOT_PLAIN = 0  # a type outside the JSON types (Enum, UUID, orjson.Fragment, ...) or NaN/inf
_HAS_FLOAT = 1  # plain JSON types, some finite floats
_NO_FLOAT = 2  # plain JSON types, no float at all
_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


def _shape(value: Any) -> int:
    """Classify ``value`` by exact type, iteratively.

    Call only after orjson encoded ``value``: that proves it acyclic and at most 255 deep, so
    the walk ends.  Exact types, not isinstance: orjson encodes Enum, UUID and Fragment
    natively, and the exact encoder refuses them; both paths must agree.
    """
    floats = False
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is dict:
            push(item.values())
        elif kind is list or kind is tuple:
            push(item)
        elif kind is float:
            if item - item != 0.0:  # NaN or an infinity: orjson would have written null
                return _NOT_PLAIN
            floats = True
        elif kind not in _PLAIN_SCALARS:
            return _NOT_PLAIN
    return _HAS_FLOAT if floats else _NO_FLOAT


def _fast_output_is_canonical(out: bytes, value: Any) -> bool:
    """True when orjson's sorted output ``out`` is provably the RFC 8785 form of ``value``.

    It is when the value holds only plain JSON types and no float (orjson and ECMAScript
    format numbers differently, and orjson's format changed between versions), no member name
    beyond the BMP, and nesting within :data:`MAX_DEPTH`.  The test depends on no detail of
    orjson's number formatting.
    """
    return (
        (out.isascii() or not out.translate(None, _ALL_BUT_NON_BMP_LEADS))
        and out.count(b"[") + out.count(b"{") <= MAX_DEPTH
        and _shape(value) == _NO_FLOAT
    )


def _reject_constant(name: str) -> Any:
    raise CodecError(Code.NON_FINITE_NUMBER, f"{name} is not a JSON number")  # [COD-JSON-005]


def _checked_int(text: str) -> int:
    if len(text) > 17:  # sign + 16 digits; JSON has no leading zeros, so longer is too large
        raise CodecError(Code.INTEGER_OUT_OF_RANGE, "integer outside ±(2**53-1)")
    value = int(text)
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    raise CodecError(Code.INTEGER_OUT_OF_RANGE, "integer outside ±(2**53-1)")  # [COD-JSON-004]


def _checked_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):  # [COD-JSON-005]
        raise CodecError(Code.NON_FINITE_NUMBER, "number overflows an IEEE double")
    return value


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise CodecError(Code.DUPLICATE_KEY, "duplicate member name")  # [COD-JSON-003]
    return obj


def _members(level: list[Any]) -> list[Any]:
    """Every member of the containers in ``level`` (dict values and list items), in one list."""
    return [m for item in level for m in (item.values() if type(item) is dict else item)]


def _check_depth(value: Any) -> None:
    """Raise NESTING_TOO_DEEP if containers nest past MAX_DEPTH [COD-JSON-007].

    Level by level, keeping only containers: a list comprehension per level, so a wide
    document costs a few C-speed passes rather than a Python step per node.
    """
    level = [value] if type(value) in (dict, list) else []
    for _ in range(MAX_DEPTH):
        level = [m for m in _members(level) if type(m) is dict or type(m) is list]
        if not level:
            return
    raise CodecError(Code.NESTING_TOO_DEEP, f"nesting deeper than {MAX_DEPTH}")


def _check_surrogates(value: Any) -> None:
    """Raise LONE_SURROGATE if any member name or string holds one [COD-JSON-006]."""
    level = [value]
    while level:
        for item in level:
            if type(item) is str:
                _check_string(item)
            elif type(item) is dict:
                for key in item:
                    _check_string(key)
        level = _members([i for i in level if type(i) in (dict, list)])


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # [COD-JSON-006]
        raise CodecError(Code.LONE_SURROGATE, "unpaired UTF-16 surrogate") from None


def parse(data: bytes | bytearray | memoryview | str) -> Any:
    """Parse one JSON text under the strict I-JSON rules of ``spec/02-codec.md``.

    Returns dicts, lists, str, int, float, bool and None.  Raises :class:`CodecError` with
    INVALID_UTF8, DUPLICATE_KEY, INTEGER_OUT_OF_RANGE, NON_FINITE_NUMBER, LONE_SURROGATE,
    NESTING_TOO_DEEP, or PARSE_ERROR for anything else that is not one JSON text (a byte order
    mark included).  Never raises anything else.
    """
    if isinstance(data, str):
        text = data
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            raise CodecError(Code.LONE_SURROGATE, "text holds an unpaired surrogate") from None
    else:
        raw = bytes(data)
        try:
            text = raw.decode("utf-8")  # [COD-JSON-001]
        except UnicodeDecodeError:
            raise CodecError(Code.INVALID_UTF8, "input is not well-formed UTF-8") from None
    # More brackets than MAX_DEPTH is necessary, not sufficient, for excess depth: then walk.
    deep = raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
    # Fast path: orjson parses; if re-encoding gives back the very same bytes, the text is in
    # orjson's compact form, which cannot hold a duplicate name (a dict cannot), an unsafe
    # integer (STRICT_INTEGER would have raised), a non-finite number, a lone surrogate or bad
    # UTF-8 (orjson.loads rejects those).  Anything else takes the exact path below, which
    # also names the rule broken.
    try:
        value = orjson.loads(raw)
        if orjson.dumps(value, option=orjson.OPT_STRICT_INTEGER) == raw:
            if deep:
                _check_depth(value)
            return value
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        pass
    try:
        value = json.loads(
            text,
            object_pairs_hook=_unique_object,
            parse_constant=_reject_constant,
            parse_int=_checked_int,
            parse_float=_checked_float,
        )
    except CodecError:
        raise
    except RecursionError:
        raise CodecError(Code.NESTING_TOO_DEEP, f"nesting deeper than {MAX_DEPTH}") from None
    except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError
        raise CodecError(Code.PARSE_ERROR, f"not a JSON text: {exc}") from None
    if deep:
        _check_depth(value)
    if b"\\u" in raw and _SURROGATE_ESCAPE.search(raw) is not None:
        _check_surrogates(value)
    return value


def canonicalize(value: Any) -> bytes:
    """Return the RFC 8785 (JCS) canonical UTF-8 bytes of a JSON value.

    Accepts what :func:`parse` returns: dict with str keys, list, tuple, str, int, float,
    bool, None (subclasses of these count as their base type).  Raises :class:`CodecError` with
    NOT_JSON_VALUE for any other type (Enum, UUID, datetime, bytes, orjson.Fragment, ...),
    INTEGER_OUT_OF_RANGE for an int outside ±(2**53-1), NON_FINITE_NUMBER for NaN or
    infinity, LONE_SURROGATE for a str that is not valid Unicode, NESTING_TOO_DEEP past
    :data:`MAX_DEPTH`.
    """
    try:
        out = orjson.dumps(value, default=_refuse, option=_SORTED)
    except orjson.JSONEncodeError:
        return _jcs.canonicalize(value)  # the exact path raises the precise error
    if _fast_output_is_canonical(out, value):
        return out
    return _jcs.canonicalize(value)


def dumps(value: Any) -> bytes:
    """Compact (not canonical) UTF-8 JSON for the wire; same input domain as canonicalize.

    Raises :class:`CodecError` like :func:`canonicalize`.
    """
    try:
        out = orjson.dumps(value, default=_refuse, option=_FAST_OPTIONS)
    except orjson.JSONEncodeError:
        out = None
    if out is not None and out.count(b"[") + out.count(b"{") <= MAX_DEPTH and _shape(value):
        return out
    # Subclasses, NaN, unsafe integers, excess depth, foreign types: the exact encoder either
    # raises the precise error or gives bytes that are valid (and canonical) JSON.
    return _jcs.canonicalize(value)


def _refuse(obj: Any) -> Any:
    raise TypeError(type(obj).__name__)


def pointer(base: str, token: str | int) -> str:
    """``base``, a JSON Pointer, extended by one reference token (a member name or an array
    index), escaped as RFC 6901 requires: ``~`` as ``~0``, ``/`` as ``~1``.  Refusals across
    the library name the member they refuse with it."""
    text = token if type(token) is str else str(token)
    if "~" in text or "/" in text:
        text = text.replace("~", "~0").replace("/", "~1")
    return f"{base}/{text}"
