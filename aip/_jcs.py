"""The exact RFC 8785 (JCS) encoder, written for clarity; :func:`aip.codec.canonicalize` uses
it whenever the orjson fast path cannot be proved identical.

Pure core.  Numbers follow ECMAScript's Number.prototype.toString (RFC 8785 §3.2.2.3),
strings the JSON.stringify escaping rules (§3.2.2.2), and members are sorted by their UTF-16
code units (§3.2.3).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from aip.errors import Code, CodecError

__all__ = ["canonicalize", "number_text"]

_MAX_SAFE_INTEGER = 2**53 - 1
_MAX_DEPTH = 128


def number_text(value: float) -> str:
    """ECMAScript shortest round-trip text of a finite double [COD-JCS-003].

    Raises :class:`CodecError` NON_FINITE_NUMBER for NaN and infinities.
    """
    if not math.isfinite(value):
        raise CodecError(Code.NON_FINITE_NUMBER, "NaN and infinities have no JSON form")
    if value == 0:
        return "0"  # -0 serialises as 0
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digit string that round-trips, as ECMAScript requires;
    # Decimal splits it into digits d1..dk and n such that |value| = 0.d1..dk * 10**n.
    parts = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, parts.digits)).rstrip("0")
    n = len(parts.digits) + int(parts.exponent)
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        exponent = n - 1
        tail = "." + digits[1:] if k > 1 else ""
        text = f"{digits[0]}{tail}e{'+' if exponent > 0 else '-'}{abs(exponent)}"
    return sign + text


def _string_text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CodecError(Code.LONE_SURROGATE, "unpaired UTF-16 surrogate") from None
    # The stdlib encoder with ensure_ascii=False escapes exactly what RFC 8785 §3.2.2.2 does:
    # '"', '\\', the short forms \b \t \n \f \r, and other controls as lower-case \u00xx.
    return json.dumps(text, ensure_ascii=False)


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def _encode(value: Any, out: list[str], depth: int) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string_text(value))
    elif isinstance(value, int):
        if not -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            raise CodecError(Code.INTEGER_OUT_OF_RANGE, "integer outside ±(2**53-1)")
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(number_text(value))
    elif isinstance(value, dict):
        if depth >= _MAX_DEPTH:
            raise CodecError(Code.NESTING_TOO_DEEP, f"nesting deeper than {_MAX_DEPTH}")
        for key in value:
            if not isinstance(key, str):
                raise CodecError(Code.NOT_JSON_VALUE, "object member names must be str")
        out.append("{")
        for index, key in enumerate(sorted(value, key=_utf16_order)):
            if index:
                out.append(",")
            out.append(_string_text(key))
            out.append(":")
            _encode(value[key], out, depth + 1)
        out.append("}")
    elif isinstance(value, list | tuple):
        if depth >= _MAX_DEPTH:
            raise CodecError(Code.NESTING_TOO_DEEP, f"nesting deeper than {_MAX_DEPTH}")
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out, depth + 1)
        out.append("]")
    else:
        raise CodecError(Code.NOT_JSON_VALUE, f"{type(value).__name__} is not a JSON value")


def canonicalize(value: Any) -> bytes:
    """RFC 8785 bytes of ``value``; raises :class:`CodecError` like aip.codec.canonicalize."""
    out: list[str] = []
    _encode(value, out, 0)
    return "".join(out).encode("utf-8")

