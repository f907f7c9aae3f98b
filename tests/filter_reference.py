"""The reference evaluator and Hypothesis strategies for tests/test_filters.py (DSC-FLT).

Deliberately plain and apart from ``aip.discovery.filters``: recursive path resolution, one
branch per operator, negative operators spelt out as complements, dates through ``datetime``,
the spec's tables typed in again by hand.  The strategies make valid filters over a handful of
test paths and documents of every shape (wrong types included) over the same paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from aip.discovery.filters import MAX_DEPTH, Filter, parse_filter
from aip.errors import DiscoveryError

# ------------------------------------------------------------ the spec's tables, by hand
# Types of the test paths: (kind, is an array of that kind); "any" for open paths.
TYPES: dict[str, tuple[str, bool]] = {
    "name": ("string", False), "version": ("string", False), "skills.id": ("string", False),
    "endPoints.transport": ("string", False), "active": ("boolean", False),
    "lastModifiedTime": ("datetime", False), "certificate.requestedValidity": ("number", False),
    "skills.pricing.pricePerUnit": ("amount", False), "skills": ("object", True),
    "endPoints": ("object", True), "skills.tags": ("string", True),
    "capabilities.messageQueue": ("string", True), "securitySchemes": ("object", False),
    "entityMeta": ("object", False), "entityMeta.x": ("any", False),
    "entityMeta.x.a": ("any", False),
}  # fmt: skip
STRING_OPS = {"eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "contains", "notContains",
              "startsWith", "endsWith", "eqCs", "neCs", "inCs", "ninCs", "containsCs",
              "notContainsCs", "startsWithCs", "endsWithCs", "exists"}  # fmt: skip
ALLOWED: dict[str, set[str]] = {  # DSC-FLT-009, element kinds
    "string": STRING_OPS,
    "number": {"eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "nin", "exists"},
    "amount": {"eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "nin", "exists"},
    "boolean": {"eq", "ne", "exists"},
    "datetime": {"eq", "ne", "gt", "gte", "lt", "lte", "between", "exists"},
    "object": {"hasKey", "hasNoKey", "hasAnyKey", "hasAllKeys", "exists"},
}
ARRAY_OPS = {"size", "sizeGt", "sizeGte", "sizeLt", "sizeLte"}
MEMBER_OPS = {"anyOf", "allOf", "noneOf"}
ALL_OPS = STRING_OPS | ALLOWED["number"] | ALLOWED["object"] | ARRAY_OPS | MEMBER_OPS
NEGATION = {"ne": "eq", "neCs": "eqCs", "nin": "in", "ninCs": "inCs", "notContains": "contains",
            "notContainsCs": "containsCs", "noneOf": "anyOf", "hasNoKey": "hasAnyKey"}  # fmt: skip


def allowed_ops(path: str) -> set[str]:
    kind, array = TYPES[path]
    if kind == "any":
        return set(ALL_OPS)
    ops = set(ALLOWED[kind])
    if array:
        ops |= ARRAY_OPS | (MEMBER_OPS if kind != "object" else set())
    return ops


# ----------------------------------------------------------------- the reference evaluator
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)", re.A)
_AMOUNT = re.compile(r"0|[1-9]\d{0,17}", re.A)


def ref_leaves(node: Any, names: list[str]) -> Iterator[Any]:
    if not names:
        yield node
    elif isinstance(node, dict) and names[0] in node:
        child = node[names[0]]
        if len(names) > 1 and isinstance(child, list):
            for element in child:
                yield from ref_leaves(element, names[1:])
        else:
            yield from ref_leaves(child, names[1:])


def ref_date(x: Any) -> Fraction | None:
    """Whole seconds from ``datetime``, the fraction added exactly."""
    found = _RFC3339.fullmatch(x) if isinstance(x, str) else None
    if found is None:
        return None
    whole, digits, zone = found.groups()
    try:
        stamp = datetime.fromisoformat(whole.upper() + zone.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    fraction = Fraction(int(digits), 10 ** len(digits)) if digits else Fraction(0)
    return Fraction(int(stamp.timestamp())) + fraction


def ref_typed(x: Any, kind: str) -> Any:
    """``x`` as a comparable of ``kind``, or None when it is not one."""
    if kind == "date":
        return ref_date(x)
    if kind == "amount":
        return int(x) if isinstance(x, str) and _AMOUNT.fullmatch(x) else None
    if kind == "fold":
        return x.casefold() if isinstance(x, str) else None
    if kind == "str":
        return x if isinstance(x, str) else None
    if kind == "bool":
        return x if isinstance(x, bool) else None
    ok = isinstance(x, int | float) and not isinstance(x, bool)
    return x if ok else None


def same_json(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and bool(a == b)
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return isinstance(a, int | float) and isinstance(b, int | float) and bool(a == b)


def ref_condition(cond: dict[str, Any], doc: Any) -> bool:
    field, op, value = cond["field"], cond["op"], cond["value"]
    if op in NEGATION:
        return not ref_condition({**cond, "op": NEGATION[op]}, doc)
    leaves = list(ref_leaves(doc, field.split(".")))
    cands = [x for leaf in leaves for x in (leaf if isinstance(leaf, list) else [leaf])]
    if op == "exists":
        return bool(any(leaf not in (None, "", [], {}) for leaf in leaves) == value)
    arrays = [leaf for leaf in leaves if isinstance(leaf, list)]
    if op == "anyOf":
        return any(any(same_json(e, v) for e in arr for v in value) for arr in arrays)
    if op == "allOf":
        return any(all(any(same_json(e, v) for e in arr) for v in value) for arr in arrays)
    sizes = {"size": "eq", "sizeGt": "gt", "sizeGte": "gte", "sizeLt": "lt", "sizeLte": "lte"}
    if op in sizes:
        return any(compare(sizes[op], len(arr), value) for arr in arrays)
    if op in ("hasKey", "hasAnyKey", "hasAllKeys"):
        keys = [value] if isinstance(value, str) else value
        test = all if op == "hasAllKeys" else any
        return any(test(k in m for k in keys) for m in cands if isinstance(m, dict))
    kind = TYPES.get(field, ("any", False))[0]
    sample = value[0] if isinstance(value, list) else value
    if kind == "datetime":
        how = "date"
    elif kind == "amount":
        how = "amount"
    elif isinstance(sample, str):
        how = "str" if op.endswith("Cs") or op in ("gt", "gte", "lt", "lte") else "fold"
    elif isinstance(sample, bool):
        how = "bool"
    else:
        how = "num"
    base = op.removesuffix("Cs")

    def want(v: Any) -> Any:
        if how == "amount":
            return v if isinstance(v, int) else int(v)
        return ref_typed(v, how)

    got = [t for t in (ref_typed(x, how) for x in cands) if t is not None]
    if base == "between":
        return any(want(value[0]) <= t <= want(value[1]) for t in got)
    if base == "in":
        return any(t == want(v) for t in got for v in value)
    if base in ("contains", "startsWith", "endsWith"):
        w = want(value)
        return any({"contains": w in t, "startsWith": t.startswith(w),
                    "endsWith": t.endswith(w)}[base] for t in got)  # fmt: skip
    return any(compare(base, t, want(value)) for t in got)


def compare(how: str, a: Any, b: Any) -> bool:
    return bool({"eq": a == b, "gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[how])


def ref_matches(flt: dict[str, Any], doc: Any) -> bool:
    items = [ref_condition(c, doc) for c in flt.get("conditions") or []]
    items += [ref_matches(g, doc) for g in flt.get("groups") or []]
    logic = flt.get("logic") or "and"
    if logic == "or":
        return any(items)
    return all(items) if logic == "and" else not all(items)


def ref_facts(doc: Any, path: str = "", in_list: bool = False) -> list[tuple[str, Any]]:
    if isinstance(doc, dict):
        out: list[tuple[str, Any]] = []
        for k, v in doc.items():
            out += ref_facts(v, f"{path}.{k}" if path else k)
        return out
    if isinstance(doc, list):
        return [] if in_list else [f for e in doc for f in ref_facts(e, path, True)]
    return [] if doc is None else [(path, doc)]


# ------------------------------------------------------------------------ strategies
STRINGS = ["a", "A", "ab", "AB", "b", "ß", "SS", "ss", "σ", "Σ", "ς", "", "2.0.0", "10.0.0",
           "ﬁ", "fi", "K", "\u212a", "k", "x"]  # fmt: skip
NUMBERS = [0, 1, 1.0, 2, 2.5, -1, 10, 100]
DATES = ["2025-03-15T08:30:00Z", "2025-03-15T16:30:00+08:00", "2025-03-15T08:30:00.5Z",
         "2024-12-31T23:59:59Z", "2025-03-15t08:30:00z", "2025-03-15T08:30:00-00:00"]  # fmt: skip
AMOUNTS = ["0", "9", "10", "100", "050", "1000"]
KEYS = ["a", "b", "x", "mtls", "oidc"]
scalar = st.one_of(
    st.sampled_from(STRINGS),
    st.sampled_from(NUMBERS),
    st.booleans(),
    st.none(),
    st.sampled_from([*DATES, "2025-03-15T08:30:00", "2025-02-29T00:00:00Z"]),
    st.sampled_from(AMOUNTS),
)


def shaped(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(s, st.lists(s, max_size=3), st.lists(st.lists(s, max_size=2), max_size=2))


def documents_of(scalar: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Documents over the test paths, with values of every shape (and wrong types)."""
    leaf = shaped(scalar)
    small_obj = st.dictionaries(st.sampled_from(KEYS), leaf, max_size=3)
    skill = st.fixed_dictionaries({}, optional={
        "id": leaf, "tags": leaf,
        "pricing": st.lists(st.fixed_dictionaries({}, optional={"pricePerUnit": leaf}),
                            max_size=2),
    })  # fmt: skip
    endpoint = st.fixed_dictionaries({}, optional={"transport": leaf})
    return st.fixed_dictionaries({}, optional={
        "name": leaf, "version": leaf, "active": leaf, "lastModifiedTime": leaf,
        "certificate": st.fixed_dictionaries({}, optional={"requestedValidity": leaf}),
        "skills": st.one_of(shaped(st.one_of(skill, scalar)), skill),
        "endPoints": st.one_of(shaped(st.one_of(endpoint, scalar)), endpoint),
        "securitySchemes": st.one_of(small_obj, leaf, st.lists(small_obj, max_size=2)),
        "entityMeta": st.one_of(
            st.fixed_dictionaries({}, optional={
                "x": st.one_of(leaf, small_obj, st.lists(small_obj, max_size=2))}),
            leaf),
        "capabilities": st.fixed_dictionaries({}, optional={"messageQueue": leaf}),
    })  # fmt: skip


documents = documents_of(scalar)
TINY = ["a", "A", "ß", "ss", "SS"]  # few values, so that filters often match
tiny_documents = documents_of(
    st.one_of(st.sampled_from(TINY), st.sampled_from([1, 1.0, 2]), st.booleans(),
              st.sampled_from(DATES[:2]), st.sampled_from(["9", "10"]))
)  # fmt: skip


def values_of(kind: str, strings: list[str]) -> st.SearchStrategy[Any]:
    return {
        "string": st.sampled_from(strings), "number": st.sampled_from(NUMBERS),
        "boolean": st.booleans(), "datetime": st.sampled_from(DATES),
        "amount": st.one_of(st.sampled_from(AMOUNTS[:2] + AMOUNTS[2:4] + AMOUNTS[5:]),
                            st.integers(0, 2000)),
    }[kind]  # fmt: skip


TEXT_OPS = {"contains", "notContains", "startsWith", "endsWith", "eqCs", "neCs", "containsCs",
            "notContainsCs", "startsWithCs", "endsWithCs", "inCs", "ninCs"}  # fmt: skip


@st.composite
def conditions(
    draw: st.DrawFn, ops: set[str] = ALL_OPS, strings: list[str] = STRINGS
) -> dict[str, Any]:
    """A valid condition on one of the test paths, with an operator of ``ops``."""
    path = draw(st.sampled_from(sorted(p for p in TYPES if allowed_ops(p) & ops)))
    op = draw(st.sampled_from(sorted(allowed_ops(path) & ops)))
    kind = TYPES[path][0]
    if op in TEXT_OPS:
        kind = "string"
    elif kind == "any" and op == "between":
        kind = "number"
    elif kind == "any" and op in ("gt", "gte", "lt", "lte", "in", "nin"):
        kind = draw(st.sampled_from(["string", "number"]))
    elif kind == "any":
        kind = draw(st.sampled_from(["string", "number", "boolean"]))
    value: Any
    if op == "exists":
        value = draw(st.booleans())
    elif op in ARRAY_OPS:
        value = draw(st.integers(1 if op == "sizeLt" else 0, 3))
    elif op == "hasKey":
        value = draw(st.sampled_from(KEYS))
    elif op in ("hasAnyKey", "hasAllKeys", "hasNoKey"):
        keys = st.lists(st.sampled_from(KEYS), min_size=1, max_size=3)
        value = draw(st.one_of(st.sampled_from(KEYS), keys))
    elif op in ("in", "nin", "inCs", "ninCs") or op in MEMBER_OPS:
        value = draw(st.lists(values_of(kind, strings), min_size=1, max_size=3))
        if kind == "amount":
            value = [str(v) for v in value]
    elif op == "between":
        pair = draw(st.lists(values_of(kind, strings), min_size=2, max_size=2))

        def key(v: Any) -> Any:
            return ref_date(v) if kind == "datetime" else int(v) if kind == "amount" else v

        value = sorted(pair, key=key)
    else:
        value = draw(values_of(kind, strings))
    return {"field": path, "op": op, "value": value}


def groups(
    depth: int, condition: st.SearchStrategy[dict[str, Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    sub = st.lists(groups(depth + 1, condition), max_size=2) if depth < MAX_DEPTH else st.just([])
    return st.fixed_dictionaries(
        {"conditions": st.lists(condition, max_size=3), "groups": sub},
        optional={"logic": st.sampled_from(["and", "or", "not"])},
    ).filter(lambda g: bool(g["conditions"] or g["groups"]))


filters = groups(1, conditions())
HINTED = {"eq", "eqCs", "in", "inCs", "anyOf", "allOf", "startsWith", "startsWithCs"}
hinted_filters = groups(1, conditions(HINTED | {"contains", "gt", "exists", "size"}, TINY))


def _fits(kind: str, value: Any) -> bool:
    if isinstance(value, bool):
        return kind in ("boolean", "any")
    if isinstance(value, str):
        amount = kind == "amount" and _AMOUNT.fullmatch(value) is not None
        return kind in ("string", "any") or amount
    return isinstance(value, int | float) and kind in ("number", "any")


@st.composite
def fitted(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document and a filter made from its facts (so that it often matches): conditions with
    the hinted operators around values the document holds, in an and or an or."""
    doc = draw(tiny_documents)
    facts = [(p, v) for p, v in ref_facts(doc) if p in TYPES and _fits(TYPES[p][0], v)]
    conds = []
    chosen = draw(st.lists(st.sampled_from(facts), min_size=1, max_size=3)) if facts else []
    for path, v in chosen:
        kind = TYPES[path][0]
        ops = sorted(allowed_ops(path) & HINTED)
        if not isinstance(v, str):
            ops = [o for o in ops if not o.endswith("Cs") and not o.startswith("startsWith")]
        if isinstance(v, bool):
            ops = [o for o in ops if o != "in"]  # in takes strings or numbers
        op = draw(st.sampled_from(ops))
        text = str(v)
        textual = isinstance(v, str) and kind != "amount"
        value = {
            "in": [v, "zz"] if textual else [v],
            "inCs": [v],
            "anyOf": [v],
            "allOf": [v],
            "startsWith": text[:1].upper(),
            "startsWithCs": text[:1],
            "eq": text.upper() if textual else v,
        }.get(op, v)
        conds.append({"field": path, "op": op, "value": value})
    extra = draw(st.lists(conditions(ALL_OPS, TINY), max_size=1))
    logic = draw(st.sampled_from(["and", "or"]))
    return doc, {"logic": logic, "conditions": conds + extra}


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["logic", "conditions", "groups", "field", "op", "value", "x"]),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=20,
)


def checked(flt: dict[str, Any]) -> Filter:
    try:
        return parse_filter(flt)
    except DiscoveryError as exc:  # the strategies only make valid filters
        raise AssertionError(f"refused {flt}: {exc.data}") from exc


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A valid filter with one member or item replaced by arbitrary JSON."""
    flt: Any = draw(filters)
    spots: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            spots.extend((node, k) for k in node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            spots.extend((node, i) for i in range(len(node)))
            for v in node:
                walk(v)

    walk(flt)
    if spots:
        container, key = draw(st.sampled_from(spots))
        container[key] = draw(json_values)
    return flt
