"""The ADP discovery filter language (spec Part 8, DSC-FLT): parse, evaluate, index hints.

Call :func:`parse_filter` on the ``filter`` member of a discovery request; it returns a
:class:`Filter` or raises :class:`~aip.errors.DiscoveryError` FilterInvalid (40004) with
``data = {"path": <JSON Pointer into the filter>, "reason": <one of REASONS>}``.  Then
:func:`matches` tells, for any document, whether it satisfies the filter (it never raises on a
document, whatever its shape).  A store indexes the facts :func:`flatten` lists for each
document and fetches candidates with the hints of :func:`prefilter`, then calls :func:`matches`
on each candidate: every matching document has a fact that meets one of the hints.

The field table, operator table and value rules are in :mod:`aip.discovery.filter_ops`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn

from aip.discovery.filter_ops import (
    AMOUNT,
    ANY,
    DATETIME,
    OPS,
    BadValue,
    FieldType,
    OpSpec,
    amount,
    applicable,
    check_value,
    field_type,
    fold,
    instant,
    is_number,
)
from aip.errors import Code, DiscoveryError

__all__ = [
    "LOGICS",
    "MAX_CONDITIONS",
    "MAX_DEPTH",
    "REASONS",
    "Condition",
    "Filter",
    "compile_filter",
    "flatten",
    "fold",
    "matches",
    "parse_filter",
    "prefilter",
]

MAX_DEPTH = 3  # nesting levels: the filter itself is level 1 [DSC-FLT-004]
MAX_CONDITIONS = 64  # conditions in a whole filter [DSC-FLT-005]
LOGICS = ("and", "or", "not")
REASONS = frozenset({
    "not-object", "unknown-member", "bad-logic", "not-array", "empty-group", "too-deep",
    "too-many-conditions", "bad-field", "bad-op", "not-applicable", "bad-value", "too-long",
    "empty-range",
})  # fmt: skip
_FILTER_MEMBERS = ("logic", "conditions", "groups")
_CONDITION_MEMBERS = ("field", "op", "value")
Hint = tuple[str, str, tuple[Any, ...]]
Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class Condition:
    """One checked condition; ``value`` is normalized (lists are tuples, amounts int)."""

    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class Filter:
    """One checked filter level: its logic, conditions and nested groups."""

    logic: str
    conditions: tuple[Condition, ...]
    groups: tuple[Filter, ...]


# --------------------------------------------------------------------------------- parsing


def _pointer(base: str, token: object) -> str:
    text = token if isinstance(token, str) else repr(token)
    return base + "/" + text.replace("~", "~0").replace("/", "~1")


def _fail(at: str, reason: str) -> NoReturn:
    """Raise FilterInvalid (40004) naming the place and the reason [DSC-FLT-012]."""
    raise DiscoveryError(
        Code.FILTER_INVALID, f"filter invalid at {at or '(filter)'}: {reason}",
        data={"path": at, "reason": reason},
    )  # fmt: skip


def parse_filter(obj: Any) -> Filter:
    """Check a ``DiscoveryFilter`` (parsed JSON) and return it as a :class:`Filter`.

    Raises DiscoveryError FILTER_INVALID (40004) at the first fault in document order, with
    ``data.path`` (JSON Pointer) and ``data.reason`` (one of :data:`REASONS`); never any other
    exception [DSC-FLT-001]..[DSC-FLT-012].
    """
    return _group(obj, "", 1, [0])


def _unknown(obj: dict[Any, Any], allowed: tuple[str, ...], at: str) -> None:
    for key in obj:
        if key not in allowed:
            _fail(_pointer(at, key), "unknown-member")


def _array(obj: dict[str, Any], name: str, at: str) -> list[Any]:
    value = obj.get(name)  # null is the same as absent [DSC-FLT-001]
    if value is None:
        return []
    if not isinstance(value, list):
        _fail(_pointer(at, name), "not-array")
    return value


def _group(obj: Any, at: str, depth: int, count: list[int]) -> Filter:
    if not isinstance(obj, dict):
        _fail(at, "not-object")
    if depth > MAX_DEPTH:  # [DSC-FLT-004]
        _fail(at, "too-deep")
    _unknown(obj, _FILTER_MEMBERS, at)
    logic = obj.get("logic")
    if logic is None:
        logic = "and"
    elif not isinstance(logic, str) or logic not in LOGICS:  # [DSC-FLT-002]
        _fail(_pointer(at, "logic"), "bad-logic")
    conditions = _array(obj, "conditions", at)
    groups = _array(obj, "groups", at)
    if not conditions and not groups:  # [DSC-FLT-003]
        _fail(at, "empty-group")
    base = _pointer(at, "conditions")
    parsed = tuple(_condition(c, _pointer(base, i), count) for i, c in enumerate(conditions))
    base = _pointer(at, "groups")
    nested = tuple(_group(g, _pointer(base, i), depth + 1, count) for i, g in enumerate(groups))
    return Filter(logic, parsed, nested)


def _condition(obj: Any, at: str, count: list[int]) -> Condition:
    count[0] += 1
    if count[0] > MAX_CONDITIONS:  # [DSC-FLT-005]
        _fail(at, "too-many-conditions")
    if not isinstance(obj, dict):
        _fail(at, "not-object")
    _unknown(obj, _CONDITION_MEMBERS, at)
    field = obj.get("field")
    ftype = field_type(field) if isinstance(field, str) else None
    if ftype is None:  # [DSC-FLT-007]
        _fail(_pointer(at, "field"), "bad-field")
    op = obj.get("op")
    spec = OPS.get(op) if isinstance(op, str) else None
    if spec is None:  # [DSC-FLT-008]
        _fail(_pointer(at, "op"), "bad-op")
    if not applicable(spec, ftype):  # [DSC-FLT-009]
        _fail(_pointer(at, "op"), "not-applicable")
    try:
        value = check_value(spec, ftype, "value" in obj, obj.get("value"))  # [DSC-FLT-010]
    except BadValue as bad:
        _fail(_pointer(at, "value") + bad.at, bad.reason)
    return Condition(str(field), str(op), value)


# ------------------------------------------------------------------------------ evaluation


def _leaves(doc: Any, segments: list[str]) -> list[Any]:
    """The values a path reaches: arrays met before the last segment fan out into their
    elements (one level), the last member's value is taken as it is [DSC-FLT-013]."""
    nodes = [doc]
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        reached: list[Any] = []
        for node in nodes:
            if isinstance(node, Mapping) and segment in node:
                value = node[segment]
                if i < last and isinstance(value, list | tuple):
                    reached.extend(value)
                else:
                    reached.append(value)
        nodes = reached
    return nodes


def _candidates(doc: Any, segments: list[str]) -> list[Any]:
    """The leaves, with each array leaf replaced by its elements [DSC-FLT-013]."""
    out: list[Any] = []
    for leaf in _leaves(doc, segments):
        if isinstance(leaf, list | tuple):
            out.extend(leaf)
        else:
            out.append(leaf)
    return out


def _non_empty(value: Any) -> bool:
    """Present for ``exists``: not null, not "", not [], not {} [DSC-FLT-021]."""
    if value is None:
        return False
    return not (isinstance(value, str | list | tuple | Mapping) and len(value) == 0)


def _member_key(value: Any) -> tuple[str, Any] | None:
    """JSON equality for array members: strings exactly, booleans apart from numbers."""
    if isinstance(value, str):
        return ("s", value)
    if isinstance(value, bool):
        return ("b", value)
    if is_number(value):
        return ("n", value)
    return None


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b,
    "between": lambda a, b: b[0] <= a <= b[1],
    "eq": lambda a, b: a == b, "in": lambda a, b: a in b,
}  # fmt: skip
_TEXT: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda a, b: a == b, "contains": lambda a, b: b in a,
    "startsWith": lambda a, b: a.startswith(b), "endsWith": lambda a, b: a.endswith(b),
}  # fmt: skip


def _converted(name: str, want: Any, convert: Callable[[Any], Any]) -> Callable[[Any], bool]:
    """A test for kinds compared after conversion (date-times, amounts): ``convert`` turns a
    candidate into a comparable value or None; ``want`` is already converted [DSC-FLT-019]."""
    order = _ORDER[name]

    def test(candidate: Any) -> bool:
        got = convert(candidate)
        return got is not None and order(got, want)

    return test


def _scalar_test(spec: OpSpec, kind: str, value: Any) -> Callable[[Any], bool]:
    """The test one candidate value must pass for a positive scalar operator."""
    name = spec.name.removesuffix("Cs")
    if kind in (DATETIME, AMOUNT):
        convert = instant if kind == DATETIME else amount
        if name == "between":
            want: Any = tuple(convert(v) for v in value) if kind == DATETIME else value
        elif name == "in":
            want = frozenset(value)  # amounts only: dates take no lists
        else:
            want = convert(value) if kind == DATETIME else value
        return _converted(name, want, convert)
    probe = value[0] if isinstance(value, tuple) else value
    if isinstance(probe, str):  # [DSC-FLT-016] [DSC-FLT-017]
        norm = fold if spec.folded else (lambda s: s)
        if name == "in":
            wanted = frozenset(norm(v) for v in value)
            return lambda c: isinstance(c, str) and norm(c) in wanted
        if name in _TEXT:
            text, check = norm(value), _TEXT[name]
            return lambda c: isinstance(c, str) and check(norm(c), text)
        order = _ORDER[name]  # gt, gte, lt, lte: code point order, case-sensitive
        return lambda c: isinstance(c, str) and order(c, value)
    if isinstance(probe, bool):
        return lambda c: isinstance(c, bool) and c == value
    order = _ORDER[name]
    want = frozenset(value) if name == "in" else value
    return lambda c: is_number(c) and order(c, want)  # [DSC-FLT-018]


def _positive(spec: OpSpec, ftype: FieldType, segments: list[str], value: Any) -> Predicate:
    """The predicate of a positive operator: true when some leaf or candidate passes
    [DSC-FLT-014]."""
    name = spec.name
    if name == "exists":  # [DSC-FLT-021]
        return lambda d: any(_non_empty(v) for v in _leaves(d, segments)) == value
    if spec.array:  # [DSC-FLT-022]
        array_test = _array_test(name, value)
        return lambda d: any(
            array_test(v) for v in _leaves(d, segments) if isinstance(v, list | tuple)
        )  # fmt: skip
    if spec.shape in ("key", "keys"):  # [DSC-FLT-023]
        keys = (value,) if isinstance(value, str) else value
        every = name == "hasAllKeys"

        def has(m: Mapping[str, Any]) -> bool:
            return all(k in m for k in keys) if every else any(k in m for k in keys)

        return lambda d: any(has(m) for m in _candidates(d, segments) if isinstance(m, Mapping))
    test = _scalar_test(spec, ftype.kind, value)
    return lambda d: any(test(c) for c in _candidates(d, segments))


def _array_test(name: str, value: Any) -> Callable[[Any], bool]:
    if name.startswith("size"):
        order = {"size": "eq", "sizeGt": "gt", "sizeGte": "gte", "sizeLt": "lt", "sizeLte": "lte"}
        check = _ORDER[order[name]]
        return lambda arr: check(len(arr), value)
    wanted = frozenset(_member_key(v) for v in value)
    if name == "allOf":
        return lambda arr: wanted <= {_member_key(e) for e in arr}
    return lambda arr: any(_member_key(e) in wanted for e in arr)  # anyOf


def _compile_condition(cond: Condition) -> Predicate:
    spec = OPS[cond.op]
    ftype = field_type(cond.field) or FieldType(ANY)
    segments = cond.field.split(".")
    if spec.negates is not None:  # the exact complement of its positive partner [DSC-FLT-015]
        positive = _positive(OPS[spec.negates], ftype, segments, cond.value)
        return lambda d: not positive(d)
    return _positive(spec, ftype, segments, cond.value)


def _compile(flt: Filter) -> Predicate:
    parts = [_compile_condition(c) for c in flt.conditions] + [_compile(g) for g in flt.groups]
    if flt.logic == "or":  # [DSC-FLT-002]
        return lambda d: any(p(d) for p in parts)
    if flt.logic == "not":
        return lambda d: not all(p(d) for p in parts)
    return lambda d: all(p(d) for p in parts)


@lru_cache(maxsize=512)
def compile_filter(flt: Filter) -> Predicate:
    """The predicate of a parsed filter, for a caller that tests many documents: the same
    answers as :func:`matches`, without its per-call cache lookup."""
    return _compile(flt)


def matches(flt: Filter, doc: Mapping[str, Any]) -> bool:
    """Whether ``doc`` satisfies ``flt`` (exact semantics of DSC-FLT; never raises on a
    document of any shape) [DSC-FLT-024]."""
    try:
        predicate = compile_filter(flt)
    except TypeError:  # a hand-built filter with an unhashable value: evaluate uncached
        predicate = _compile(flt)
    return predicate(doc)


# ------------------------------------------------------------------------ index support


def _is_fact(value: Any) -> bool:
    return isinstance(value, str | bool) or is_number(value)


def flatten(doc: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Every (dotted path, scalar) a filter path can reach in ``doc``, in document order:
    arrays fan out one level (arrays inside arrays are not searched), nulls and non-JSON values
    are left out.  The facts a store indexes for :func:`prefilter` hints [DSC-FLT-013]."""
    out: list[tuple[str, Any]] = []
    stack: list[tuple[str, Any, bool]] = [("", doc, False)]
    while stack:  # iterative, so that no nesting depth can exhaust the Python stack
        path, value, in_array = stack.pop()
        kind = type(value)
        if kind is str or kind is bool or kind is int:
            out.append((path, value))
        elif kind is dict or (kind is not list and isinstance(value, Mapping)):
            prefix = path + "." if path else ""
            members = [(prefix + k, v, False) for k, v in value.items() if isinstance(k, str)]
            members.reverse()
            stack.extend(members)
        elif kind is list or kind is tuple:
            if not in_array:
                stack.extend([(path, v, True) for v in reversed(value)])
        elif _is_fact(value):
            out.append((path, value))
    return out


def _unique(values: Any) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))


def _condition_hint(cond: Condition) -> list[Hint] | None:
    """A sound hint for one positive condition, or None (see :func:`prefilter`)."""
    kind = (field_type(cond.field) or FieldType(ANY)).kind
    op, value, path = cond.op, cond.value, cond.field
    if op in ("startsWith", "startsWithCs"):
        return [(path, "prefix", (fold(value),))]
    if op not in ("eq", "eqCs", "in", "inCs", "anyOf", "allOf") or kind == DATETIME:
        return None
    values = value if isinstance(value, tuple) else (value,)
    if op == "allOf":
        values = values[:1]  # each matching array holds every value, so the first one too
    if kind == AMOUNT:
        return [(path, "eq", _unique(str(v) for v in values))]
    if op in ("eq", "in") and isinstance(values[0], str):
        return [(path, "fold", _unique(fold(v) for v in values))]
    return [(path, "eq", _unique(values))]


# Paths whose values few documents tell apart (enumerations, MIME types, versions).
_WIDE = frozenset({
    "protocolVersion", "provider.countryCode", "provider.domainRegistrations.registrationType",
    "endPoints.transport", "capabilities.messageQueue", "defaultInputModes",
    "defaultOutputModes", "skills.inputModes", "skills.outputModes", "skills.pricing.unit",
    "skills.pricing.asset",
})  # fmt: skip


def _cost(hints: list[Hint]) -> int:
    """A rough count of the facts a hint list fetches: booleans, short prefixes and
    enumeration-like paths are wide; identifiers, names and tags narrow."""
    total = 0
    for path, kind, values in hints:
        weight = 32 if path in _WIDE else 1
        if any(isinstance(v, bool) for v in values):
            weight = 256
        elif kind == "prefix":
            weight *= 4 if min(len(v) for v in values) > 1 else 64
        total += weight * len(values)
    return total


def prefilter(flt: Filter) -> list[Hint] | None:
    """A sound index hint for ``flt``, or None when it has none.

    The hint is a disjunction of ``(path, kind, values)``: every document that matches ``flt``
    has a fact ``(path, v)`` among :func:`flatten` with ``v`` in ``values`` (kind ``eq``),
    ``fold(v)`` in ``values`` (``fold``) or ``fold(v)`` starting with one of ``values``
    (``prefix``).  Built from eq, eqCs, in, inCs, anyOf, allOf, startsWith and startsWithCs:
    an ``and`` takes its cheapest item, an ``or`` the union when every item has a hint, a
    ``not`` none.  Use it to fetch candidates, then call :func:`matches` on each.
    """
    if flt.logic == "not":
        return None
    options = [_condition_hint(c) for c in flt.conditions] + [prefilter(g) for g in flt.groups]
    if flt.logic == "or":
        if any(o is None for o in options):
            return None
        return [hint for o in options if o is not None for hint in o]
    best: list[Hint] | None = None
    for option in options:
        if option is not None and (best is None or _cost(option) < _cost(best)):
            best = option
    return best
