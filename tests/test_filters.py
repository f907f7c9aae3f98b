"""The discovery filter language (aip.discovery.filters; spec Part 8, DSC-FLT).

Hand-written checks of the operator x type matrix and the value shapes, nesting and size caps,
our vectors (expected results written by hand in tools/gen_filter_vectors.py) through the
conformance operations, and property tests: ``matches`` agrees with the deliberately plain
reference evaluator of tests/filter_reference.py (recursive, one branch per operator, written
from the spec text) on random documents and filters; ``prefilter`` hints are sound against
``flatten``; and ``parse_filter`` refuses any other input with 40004 only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aip.codec import canonicalize
from aip.discovery.filters import (
    MAX_DEPTH,
    REASONS,
    Condition,
    Filter,
    compile_filter,
    flatten,
    fold,
    matches,
    parse_filter,
    prefilter,
)
from aip.errors import AipError, Code, DiscoveryError
from conformance.ops.filters import OPERATIONS
from tests.filter_reference import (
    ALL_OPS,
    ALLOWED,
    ARRAY_OPS,
    MEMBER_OPS,
    NEGATION,
    TYPES,
    allowed_ops,
    checked,
    conditions,
    documents,
    filters,
    fitted,
    hinted_filters,
    json_values,
    mutated,
    ref_facts,
    ref_leaves,
    ref_matches,
    tiny_documents,
)
from tests.helpers import code_of

REPO = Path(__file__).resolve().parent.parent
VECTORS = REPO / "spec" / "vectors" / "discovery" / "filters.json"
OURS = json.loads(VECTORS.read_text("utf-8"))


def one(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"conditions": [{"field": field, "op": op, "value": value}]}


def refusal(obj: Any) -> dict[str, Any]:
    with pytest.raises(DiscoveryError) as info:
        parse_filter(obj)
    assert info.value.code == Code.FILTER_INVALID
    assert isinstance(info.value.data, dict)
    return info.value.data


# ============================================================================== tests
@pytest.mark.parametrize("path", sorted(TYPES))
@pytest.mark.parametrize("op", sorted(ALL_OPS))
def test_operator_type_matrix(path: str, op: str) -> None:
    """Every operator on every type: accepted (with a value of the right shape) exactly when
    the DSC-FLT-009 table allows it, else 40004 not-applicable at the op."""
    kind = TYPES[path][0]
    value: Any = {"exists": True, "between": [1, 2], "hasKey": "a"}.get(op, "a")
    if op in ARRAY_OPS:
        value = 1
    elif op in MEMBER_OPS | {"in", "nin", "inCs", "ninCs", "hasAnyKey", "hasAllKeys", "hasNoKey"}:
        value = [1] if kind == "number" else ["1"] if kind == "amount" else ["a"]
    elif kind == "boolean" and op in ("eq", "ne"):
        value = True
    elif kind == "datetime" and op != "exists":
        value = ["2025-01-01T00:00:00Z"] * 2 if op == "between" else "2025-01-01T00:00:00Z"
    elif kind in ("number", "amount") and op in ALLOWED["number"] - {"between", "exists"}:
        value = 5
    if op in allowed_ops(path):
        assert isinstance(parse_filter(one(path, op, value)), Filter)
    else:
        assert refusal(one(path, op, value)) == {
            "path": "/conditions/0/op",
            "reason": "not-applicable",
        }


VALUE_KINDS: dict[str, Any] = {
    "string": "x", "number": 3, "fraction": 2.5, "true": True, "null": None, "object": {},
    "date": "2025-01-01T00:00:00Z", "amount": "100", "strings": ["x", "y"], "numbers": [1, 2],
    "mixed": ["x", 1], "empty": [], "dates": ["2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"],
    "bools": [True, False], "negative": -1,
}  # fmt: skip
# Which value kinds each operator takes on a string / number / datetime / open path (by hand).
STRINGLIKE = {"string", "date", "amount"}
NUMERIC = {"number", "fraction", "negative"}
TAKES: dict[tuple[str, str], set[str]] = {
    ("eq", "string"): STRINGLIKE,
    ("eq", "number"): NUMERIC,
    ("eq", "datetime"): {"date"},
    ("eq", "any"): STRINGLIKE | NUMERIC | {"true"},
    ("gt", "string"): STRINGLIKE,
    ("gt", "number"): NUMERIC,
    ("gt", "datetime"): {"date"},
    ("gt", "any"): STRINGLIKE | NUMERIC,
    ("between", "number"): {"numbers"},
    ("between", "datetime"): {"dates"},
    ("between", "any"): {"numbers"},
    ("in", "string"): {"strings", "dates"},
    ("in", "number"): {"numbers"},
    ("in", "any"): {"strings", "numbers", "dates"},
    ("inCs", "string"): {"strings", "dates"},
    ("inCs", "any"): {"strings", "dates"},
    ("contains", "string"): STRINGLIKE,
    ("contains", "any"): STRINGLIKE,
    ("exists", "string"): {"true"},
    ("exists", "number"): {"true"},
    ("exists", "datetime"): {"true"},
    ("exists", "any"): {"true"},
    ("anyOf", "any"): {"strings", "numbers", "bools", "dates"},
    ("size", "any"): {"number"},
    ("hasKey", "any"): STRINGLIKE,
    ("hasAnyKey", "any"): STRINGLIKE | {"strings", "dates"},
}  # fmt: skip
KIND_PATH = {"string": "name", "number": "certificate.requestedValidity",
             "datetime": "lastModifiedTime", "any": "entityMeta.x"}  # fmt: skip


@pytest.mark.parametrize(("op", "kind"), sorted(TAKES))
@pytest.mark.parametrize("value_kind", sorted(VALUE_KINDS))
def test_value_shapes(op: str, kind: str, value_kind: str) -> None:
    """Each operator with each JSON value type: valid, or 40004 (bad-value / empty-range)."""
    flt = one(KIND_PATH[kind], op, VALUE_KINDS[value_kind])
    if value_kind in TAKES[(op, kind)]:
        parse_filter(flt)
    else:
        assert refusal(flt)["reason"] in {"bad-value", "empty-range"}


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("logic", ["and", "or", "not"])
def test_nesting_cap(depth: int, logic: str) -> None:
    flt: dict[str, Any] = {"logic": logic, **one("name", "eq", "x")}
    pointer = ""
    for _ in range(depth - 1):
        flt = {"logic": logic, "groups": [flt]}
        pointer += "/groups/0"
    if depth <= MAX_DEPTH:
        assert OPERATIONS["filter.parse"]({"filter": flt})["depth"] == depth
    else:
        deepest = "/groups/0" * MAX_DEPTH
        assert refusal(flt) == {"path": deepest, "reason": "too-deep"}


def test_caps() -> None:
    """64 conditions, 256 list items, 1024 characters, 256-character paths [DSC-FLT-005]."""
    many = {"groups": [{"conditions": [{"field": "name", "op": "eq", "value": "x"}] * 16}] * 4}
    assert OPERATIONS["filter.parse"]({"filter": many})["conditions"] == 64
    many["groups"] = [*many["groups"], one("name", "eq", "y")]
    assert refusal(many) == {"path": "/groups/4/conditions/0", "reason": "too-many-conditions"}
    parse_filter(one("skills.tags", "anyOf", ["t"] * 256))
    assert refusal(one("skills.tags", "anyOf", ["t"] * 257))["reason"] == "too-long"
    parse_filter(one("entityMeta." + "k" * 245, "exists", True))
    assert refusal(one("entityMeta." + "k" * 246, "exists", True))["reason"] == "bad-field"
    parse_filter(one("skills.pricing.maximum", "lte", 2**53 - 1))  # the I-JSON integer range
    assert refusal(one("skills.pricing.maximum", "lte", 2**53))["reason"] == "bad-value"
    parse_filter(one("skills.pricing.maximum", "lte", "999999999999999999"))
    # a huge list is refused by its length, before any item is looked at
    assert refusal(one("name", "in", [object()] * 100_000))["reason"] == "too-long"


def test_refusals_carry_pointer_and_reason() -> None:
    data = refusal({"groups": [{"conditions": [{"field": "name", "op": "eq"}]}]})
    assert data == {"path": "/groups/0/conditions/0/value", "reason": "bad-value"}
    assert refusal({1: 2})["path"] == "/1"  # a non-string key of a Python dict
    assert code_of(parse_filter, {"conditions": [{"field": "x", "op": "eq"}]}) == 40004


def test_negative_operators_on_a_missing_member() -> None:
    doc: dict[str, Any] = {"skills": [{"id": "a.b"}]}
    assert matches(parse_filter(one("skills.tags", "noneOf", ["x"])), doc)
    assert not matches(parse_filter(one("skills.tags", "anyOf", ["x"])), doc)
    assert matches(parse_filter(one("provider.organization", "nin", ["Evil"])), doc)
    assert matches(parse_filter(one("provider", "hasNoKey", "name")), doc)


def test_fold_is_full_case_folding() -> None:
    assert fold("Straße") == "strasse" == fold("STRASSE")
    assert fold("ΣΊΣΥΦΟΣ") == fold("σίσυφος")
    assert fold("\u212a") == "k"
    assert fold("\u00e9") != fold("e\u0301")  # no normalization
    assert fold("ﬁ") == "fi"


def test_hand_built_filters_and_compiled_predicates() -> None:
    flt = Filter("or", (Condition("skills.tags", "anyOf", ["a"]),), ())  # a list: unhashable
    assert matches(flt, {"skills": [{"tags": ["a"]}]})
    parsed = parse_filter(one("name", "startsWith", "Be"))
    predicate = compile_filter(parsed)
    assert predicate({"name": "beijing"})
    assert not predicate({"name": "Shanghai"})


def test_prefilter_shapes() -> None:
    def hints(flt: dict[str, Any]) -> Any:
        return prefilter(parse_filter(flt))

    assert hints(one("name", "eq", "Straße")) == [("name", "fold", ("strasse",))]
    assert hints(one("name", "eqCs", "Straße")) == [("name", "eq", ("Straße",))]
    assert hints(one("name", "in", ["A", "a", "b"])) == [("name", "fold", ("a", "b"))]
    assert hints(one("name", "startsWithCs", "Be")) == [("name", "prefix", ("be",))]
    assert hints(one("skills.tags", "allOf", ["x", "y"])) == [("skills.tags", "eq", ("x",))]
    assert hints(one("skills.pricing.pricePerUnit", "in", [9, 10])) == [
        ("skills.pricing.pricePerUnit", "eq", ("9", "10"))
    ]
    assert hints(one("lastModifiedTime", "eq", "2025-01-01T00:00:00Z")) is None
    assert hints(one("name", "ne", "x")) is None
    assert hints({"logic": "not", **one("name", "eq", "x")}) is None
    both = {
        "conditions": [
            {"field": "active", "op": "eq", "value": True},
            {"field": "endPoints.transport", "op": "in", "value": ["JSONRPC"]},
            {"field": "skills.tags", "op": "anyOf", "value": ["a", "b"]},
        ]
    }
    assert hints(both) == [("skills.tags", "eq", ("a", "b"))]  # the narrowest item of an and
    either: dict[str, Any] = {
        "logic": "or",
        "groups": [one("name", "eq", "a"), one("aic", "startsWith", "1.2")],
    }
    assert hints(either) == [("name", "fold", ("a",)), ("aic", "prefix", ("1.2",))]
    either["groups"].append(one("name", "contains", "z"))
    assert hints(either) is None  # one branch without a hint: no hint for the or


def test_flatten_document_order_and_shapes() -> None:
    doc = {"name": "n", "skills": [{"tags": ["a", ["nested"], None]}, "loose"],
           "entityMeta": {"k": {"deep": 1.5}}, "active": False, "x": None}  # fmt: skip
    assert flatten(doc) == [("name", "n"), ("skills.tags", "a"), ("skills", "loose"),
                            ("entityMeta.k.deep", 1.5), ("active", False)]  # fmt: skip
    deep: Any = "leaf"
    for _ in range(5000):
        deep = {"k": deep}
    assert flatten({"entityMeta": deep})[0][1] == "leaf"  # iterative: no recursion limit


# --------------------------------------------------------------------- property tests
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(filters, hinted_filters),
    st.lists(st.one_of(documents, tiny_documents), min_size=1, max_size=4),
)
def test_matches_agrees_with_the_reference(flt: dict[str, Any], docs: list[Any]) -> None:
    """[DSC-FLT-013]..[DSC-FLT-023]: the evaluator and the reference agree everywhere."""
    parsed = checked(flt)
    for doc in docs:
        assert matches(parsed, doc) == ref_matches(flt, doc), doc


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(fitted())
def test_matches_agrees_with_the_reference_on_fitted_filters(pair: tuple[Any, Any]) -> None:
    """The same on filters made from the document's own facts (which often match)."""
    doc, flt = pair
    if flt["conditions"]:
        assert matches(checked(flt), doc) == ref_matches(flt, doc)


@settings(max_examples=150)
@given(conditions(), documents)
def test_negative_operators_are_complements(cond: dict[str, Any], doc: Any) -> None:
    """[DSC-FLT-015]: not(C) is C with its partner operator, on every document."""
    flt = {"conditions": [cond]}
    negated = {"logic": "not", "conditions": [cond]}
    assert matches(checked(negated), doc) == (not matches(checked(flt), doc))
    partner = {v: k for k, v in NEGATION.items()} | NEGATION
    if cond["op"] in partner:
        swapped = {"conditions": [{**cond, "op": partner[cond["op"]]}]}
        assert matches(checked(swapped), doc) == matches(checked(negated), doc)


def _meets(hint: tuple[str, str, tuple[Any, ...]], facts: list[tuple[str, Any]]) -> bool:
    path, kind, values = hint
    for fact_path, v in facts:
        if fact_path != path:
            continue
        if kind == "eq" and any(canonicalize(v) == canonicalize(w) for w in values):
            return True
        if kind == "fold" and isinstance(v, str) and fold(v) in values:
            return True
        if kind == "prefix" and isinstance(v, str) and fold(v).startswith(values):
            return True
    return False


def _sound(flt: dict[str, Any], doc: Any) -> bool:
    """Whether the hint of ``flt`` is sound on ``doc``; true when it was put to the test."""
    parsed = checked(flt)
    hints = prefilter(parsed)
    if hints is None or not matches(parsed, doc):
        return False
    facts = flatten(doc)
    assert any(_meets(h, facts) for h in hints), (hints, facts)
    return True


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(filters, hinted_filters), st.one_of(documents, tiny_documents))
def test_prefilter_is_sound(flt: dict[str, Any], doc: Any) -> None:
    """[DSC-FLT-026]: a matching document always has a fact that meets the hint."""
    _sound(flt, doc)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(fitted())
def test_prefilter_is_sound_on_matching_documents(pair: tuple[dict[str, Any], Any]) -> None:
    doc, flt = pair
    if flt["conditions"]:
        _sound(flt, doc)
        _sound({"groups": [flt, {"logic": "or", "conditions": flt["conditions"]}]}, doc)


@settings(max_examples=150)
@given(documents)
def test_flatten_lists_every_reachable_scalar(doc: Any) -> None:
    """Every candidate a test path reaches ([DSC-FLT-013]) is among the facts."""
    facts = flatten(doc)
    assert sorted(map(repr, facts)) == sorted(map(repr, ref_facts(doc)))
    for path in TYPES:
        reached = [x for leaf in ref_leaves(doc, path.split("."))
                   for x in (leaf if isinstance(leaf, list) else [leaf])]  # fmt: skip
        for x in reached:
            if x is not None and not isinstance(x, dict | list):
                assert (path, x) in facts


@settings(max_examples=200)
@given(json_values)
def test_parse_refuses_anything_else_with_40004_only(obj: Any) -> None:
    """[DSC-FLT-012]: arbitrary JSON is a filter or 40004 with a pointer and a reason."""
    try:
        parse_filter(obj)
    except AipError as exc:
        assert exc.code == Code.FILTER_INVALID
        assert isinstance(exc.data, dict)
        assert exc.data["reason"] in REASONS
        assert exc.data["path"] == "" or exc.data["path"].startswith("/")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_parse_of_mutated_filters_raises_only_40004(obj: Any) -> None:
    try:
        parsed = parse_filter(obj)
    except AipError as exc:
        assert exc.code == Code.FILTER_INVALID
        assert exc.data
        assert exc.data["reason"] in REASONS
    else:
        assert isinstance(matches(parsed, {}), bool)


@settings(max_examples=100)
@given(filters, json_values)
def test_matches_never_raises(flt: dict[str, Any], doc: Any) -> None:
    """[DSC-FLT-024]: evaluation gives a boolean on any JSON document."""
    parsed = checked(flt)
    assert isinstance(matches(parsed, doc if isinstance(doc, dict) else {"entityMeta": doc}), bool)


# ------------------------------------------------------------------------ our vectors
@pytest.mark.parametrize("case", OURS["cases"], ids=lambda c: c["id"])
def test_vector_file(case: dict[str, Any]) -> None:
    operation = OPERATIONS[case["operation"]]
    if case["verdict"] == "valid":
        out = operation(dict(case["input"]))
        for key, want in case["expected"].items():
            assert out[key] == want, key
        if case["operation"] == "filter.match":  # and the reference evaluator agrees
            flt = case["input"]["filter"]
            assert [ref_matches(flt, d) for d in case["input"]["documents"]] == out["matches"]
        return
    with pytest.raises(AipError) as info:
        operation(dict(case["input"]))
    assert int(info.value.code) == case["error"] == 40004
    found = re.fullmatch(r".*\[(\S+) @ (\S*)\]", case["comment"])
    assert found is not None
    assert info.value.data == {"path": found.group(2), "reason": found.group(1)}


def test_vector_file_covers_every_operator_both_ways() -> None:
    assert OURS["format"] == "aip-vectors/1"
    assert OURS["area"] == "discovery.filter"
    assert {c["operation"] for c in OURS["cases"]} == set(OPERATIONS)
    used_valid = {cond["op"] for c in OURS["cases"] if c["verdict"] == "valid"
                  for cond in _conditions(c["input"]["filter"])}  # fmt: skip
    used_invalid = {cond.get("op") for c in OURS["cases"] if c["verdict"] == "invalid"
                    for cond in _conditions(c["input"]["filter"])}  # fmt: skip
    assert used_valid >= ALL_OPS
    assert used_invalid >= ALL_OPS
    reasons = {c["comment"].rsplit("[", 1)[1].split(" @ ")[0]
               for c in OURS["cases"] if c["verdict"] == "invalid"}  # fmt: skip
    assert reasons == REASONS


def _conditions(flt: Any) -> list[dict[str, Any]]:
    if not isinstance(flt, dict):
        return []
    conds = [c for c in flt.get("conditions") or [] if isinstance(c, dict)]
    nested = flt.get("groups")
    return conds + [c for g in nested or [] for c in _conditions(g)]
