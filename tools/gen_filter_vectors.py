"""Regenerate spec/vectors/discovery/filters.json (the filter language, spec Part 8 DSC-FLT).

Independent of ``aip``: every expected result below is written by hand from the rules of
DSC-FLT (the letters T and F list the results for the documents of a case, in order); nothing
here evaluates a filter.  The only inputs read from disk are the two ACS examples and the six
filter examples of the ACPs specification, copied unchanged under
``spec/vectors/external/acps/spec-examples/``.  Invalid cases end their comment with
``[reason @ pointer]``, the ``error.data`` a node gives (DSC-FLT-012); tests/test_filters.py
checks those too.  Run from the repository root: ``python tools/gen_filter_vectors.py
[OUT]``.  The output is stable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "spec" / "vectors" / "discovery" / "filters.json"
EXAMPLES = ROOT / "spec" / "vectors" / "external" / "acps" / "spec-examples"
FILTER_INVALID = 40004
CASES: list[dict[str, Any]] = []


def R(*numbers: int) -> list[str]:
    return [f"DSC-FLT-{n:03d}" for n in numbers]


def c(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def one(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"conditions": [c(field, op, value)]}


def match(reqs: list[str], flt: Any, docs: list[Any], results: str, comment: str) -> None:
    assert len(docs) == len(results), comment
    assert set(results) <= {"T", "F"}, comment
    CASES.append({
        "id": f"discovery-filter-match-{sum(1 for x in CASES if x['operation'] == 'filter.match') + 1:03d}",
        "operation": "filter.match", "requirements": reqs, "verdict": "valid",
        "input": {"filter": flt, "documents": docs},
        "expected": {"matches": [r == "T" for r in results]}, "comment": comment,
    })


def parses(reqs: list[str], flt: Any, depth: int, conditions: int, comment: str) -> None:
    CASES.append({
        "id": f"discovery-filter-parse-{sum(1 for x in CASES if x['operation'] == 'filter.parse') + 1:03d}",
        "operation": "filter.parse", "requirements": reqs, "verdict": "valid",
        "input": {"filter": flt},
        "expected": {"valid": True, "depth": depth, "conditions": conditions}, "comment": comment,
    })


def bad(reqs: list[str], flt: Any, reason: str, at: str, comment: str) -> None:
    CASES.append({
        "id": f"discovery-filter-parse-{sum(1 for x in CASES if x['operation'] == 'filter.parse') + 1:03d}",
        "operation": "filter.parse", "requirements": reqs, "verdict": "invalid",
        "input": {"filter": flt}, "error": FILTER_INVALID, "comment": f"{comment} [{reason} @ {at}]",
    })


def bad1(reqs: list[str], field: str, op: str, value: Any, reason: str, sub: str, comment: str) -> None:  # noqa: PLR0917
    """An invalid one-condition filter; ``sub`` is the pointer below the condition."""
    bad(reqs, one(field, op, value), reason, "/conditions/0" + sub, comment)


# ======================================================================= the ACPs examples
acs1 = json.loads((EXAMPLES / "ACS" / "01-L812.json").read_text("utf-8"))
acs2 = json.loads((EXAMPLES / "ACS" / "02-L924.json").read_text("utf-8"))
adp = {p.name[:2]: json.loads(p.read_text("utf-8")) for p in sorted((EXAMPLES / "ADP").glob("0[1-6]-*.json"))}
match(R(14, 2, 22), adp["01"], [acs1, acs2], "TF", "ADP filter example 1 on ACS examples 1 and 2: both active, 02.01, a JSONRPC endpoint and streaming; only example 1 has a skill tagged 北京 (example 2 has neither tag)")
match(R(19, 25), adp["02"], [acs1, acs2], "FT", "ADP filter example 2: both lastModifiedTime values (2025-03-15, 2025-04-10, +08:00) fall in 2025 (+08:00); version 1.2.0 < 2.0.0 and 2.1.0 >= 2.0.0 in code point order")
match(R(2, 16, 22, 23, 25), adp["03"], [acs1, acs2], "FF", "ADP filter example 3: neither organisation contains 大学; both have an oidc scheme, but neither messageQueue list holds the exact string mqtt:5.0 (example 2 has mqtt:5.*: no version-range semantics)")
match(R(15, 14), adp["04"], [acs1, acs2], "TT", "ADP filter example 4: both active, and neither organisation is in the exclusion list")
match(R(21, 22), adp["05"], [acs1, acs2], "TT", "ADP filter example 5: both have endpoints and a webAppUrl, and 3 and 4 skills")
match(R(16), adp["06"], [acs1, acs2], "FF", "ADP filter example 6: neither AIC starts with 1000100001 (both start with 1.2.156)")

# ================================================================== strings (field "name")
S = [{"name": "Beijing Tour"}, {"name": "BEIJING tour guide"}, {"name": "Shanghai"}, {}, {"name": ""}, {"name": 5}]
SD = "documents: 'Beijing Tour', 'BEIJING tour guide', 'Shanghai', no name, '', the number 5"
match(R(16, 14), one("name", "eq", "beijing tour"), S, "TFFFFF", f"eq folds case; {SD}")
match(R(15, 16), one("name", "ne", "beijing tour"), S, "FTTTTT", f"ne is not-eq: true for the missing name, the empty string and the number; {SD}")
match(R(17), one("name", "eqCs", "Beijing Tour"), S, "TFFFFF", f"eqCs exact; {SD}")
match(R(17), one("name", "eqCs", "beijing tour"), S, "FFFFFF", f"eqCs does not fold; {SD}")
match(R(15, 17), one("name", "neCs", "beijing tour"), S, "TTTTTT", f"neCs is not-eqCs; {SD}")
match(R(16), one("name", "in", ["SHANGHAI", "beijing tour"]), S, "TFTFFF", f"in folds case; {SD}")
match(R(15, 16), one("name", "nin", ["SHANGHAI", "beijing tour"]), S, "FTFTTT", f"nin is not-in; {SD}")
match(R(17), one("name", "inCs", ["Shanghai", "beijing tour"]), S, "FFTFFF", f"inCs exact; {SD}")
match(R(15, 17), one("name", "ninCs", ["Shanghai", "beijing tour"]), S, "TTFTTT", f"ninCs is not-inCs; {SD}")
match(R(16), one("name", "contains", "TOUR"), S, "TTFFFF", f"contains folds case; {SD}")
match(R(15, 16), one("name", "notContains", "TOUR"), S, "FFTTTT", f"notContains is not-contains; {SD}")
match(R(17), one("name", "containsCs", "tour"), S, "FTFFFF", f"containsCs exact: 'Tour' has a capital; {SD}")
match(R(15, 17), one("name", "notContainsCs", "tour"), S, "TFTTTT", f"notContainsCs is not-containsCs; {SD}")
match(R(16), one("name", "startsWith", "bei"), S, "TTFFFF", f"startsWith folds case; {SD}")
match(R(17), one("name", "startsWithCs", "Bei"), S, "TFFFFF", f"startsWithCs exact; {SD}")
match(R(16), one("name", "endsWith", "TOUR"), S, "TFFFFF", f"endsWith folds case; {SD}")
match(R(17), one("name", "endsWithCs", "guide"), S, "FTFFFF", f"endsWithCs exact; {SD}")
match(R(17, 18), one("name", "gt", "Beijing"), S, "TFTFFF", f"gt in code point order, case-sensitive: 'BE' < 'Be' (E=U+0045 < e=U+0065); a number is not a string; {SD}")
match(R(17, 18), one("name", "lt", "Beijing"), S, "FTFFTF", f"lt: 'BEIJING tour guide' and '' sort before 'Beijing'; {SD}")
match(R(17), one("name", "gte", "Shanghai"), S, "FFTFFF", f"gte includes equality; {SD}")
match(R(17), one("name", "lte", "BEIJING tour guide"), S, "FTFFTF", f"lte includes equality; {SD}")
match(R(21), one("name", "exists", True), S, "TTTFFT", f"exists: present and not empty (the number 5 exists, '' does not); {SD}")
match(R(21, 15), one("name", "exists", False), S, "FFFTTF", f"exists false is the complement; {SD}")
match(R(16), one("name", "contains", ""), S, "TTTFTF", f"the empty string is contained in every string (and only strings); {SD}")

# ======================================================================== Unicode folding
U = [{"name": "Straße"}, {"name": "STRASSE"}, {"name": "ΣΊΣΥΦΟΣ"}, {"name": "σίσυφος"}, {"name": "\u212a"}, {"name": "\u00e9"}, {"name": "e\u0301"}, {"name": "ﬁle"}, {"name": "\u0130"}]
UD = "documents: Straße, STRASSE, ΣΊΣΥΦΟΣ, σίσυφος (final sigma), KELVIN SIGN U+212A, é U+00E9, e + U+0301, the ligature ﬁ U+FB01 + le, İ U+0130"
match(R(16), one("name", "eq", "strasse"), U, "TTFFFFFFF", f"full case folding: ß folds to ss; {UD}")
match(R(16), one("name", "eq", "σίσυφοσ"), U, "FFTTFFFFF", f"capital and final sigma both fold to σ, Ί to ί; {UD}")
match(R(16), one("name", "eq", "k"), U, "FFFFTFFFF", f"the Kelvin sign folds to k; {UD}")
match(R(16), one("name", "eq", "\u00e9"), U, "FFFFFTFF" + "F", f"no normalization: U+00E9 matches itself only, not e + U+0301; {UD}")
match(R(16), one("name", "startsWith", "FI"), U, "FFFFFFFTF", f"startsWith on folded text: U+FB01 folds to fi; {UD}")
match(R(16), one("name", "contains", "SS"), U, "TTFFFFFFF", f"contains on folded text: Straße folds to strasse; {UD}")
match(R(17), one("name", "containsCs", "SS"), U, "FTFFFFFFF", f"containsCs does not fold: Straße has no SS; {UD}")
match(R(16), one("name", "eq", "i"), U, "FFFFFFFFF", f"İ (U+0130) folds to i + U+0307 (full folding, no Turkic rule), so it is not i; {UD}")
match(R(16), one("name", "in", ["STRASSE", "K"]), U, "TTFFTFFFF", f"in folds both sides; {UD}")

# ================================================================= numbers (requestedValidity)
def cert(v: Any) -> dict[str, Any]:
    return {"certificate": {"requestedValidity": v}}


N = [cert(365), cert(30), cert(365.0), cert("365"), {}, cert(True)]
ND = "documents: 365, 30, 365.0, the string '365', none, true"
match(R(18), one("certificate.requestedValidity", "eq", 365), N, "TFTFFF", f"numbers compare by value (365 = 365.0); no coercion from strings or booleans; {ND}")
match(R(15, 18), one("certificate.requestedValidity", "ne", 365), N, "FTFTTT", f"ne is not-eq; {ND}")
match(R(18), one("certificate.requestedValidity", "eq", 365.0), N, "TFTFFF", f"a value written 365.0 is the number 365; {ND}")
match(R(18), one("certificate.requestedValidity", "gt", 30), N, "TFTFFF", f"gt; {ND}")
match(R(18), one("certificate.requestedValidity", "gte", 30), N, "TTTFFF", f"gte; {ND}")
match(R(18), one("certificate.requestedValidity", "lt", 365), N, "FTFFFF", f"lt; {ND}")
match(R(18), one("certificate.requestedValidity", "lte", 30.5), N, "FTFFFF", f"lte with a fraction; {ND}")
match(R(18), one("certificate.requestedValidity", "between", [30, 365]), N, "TTTFFF", f"between is closed at both ends; {ND}")
match(R(18), one("certificate.requestedValidity", "between", [31, 364]), N, "FFFFFF", f"between excludes values outside; {ND}")
match(R(18), one("certificate.requestedValidity", "between", [365, 365]), N, "TFTFFF", f"a one-point range; {ND}")
match(R(18), one("certificate.requestedValidity", "in", [30, 100]), N, "FTFFFF", f"in on numbers; {ND}")
match(R(15, 18), one("certificate.requestedValidity", "nin", [30, 100]), N, "TFTTTT", f"nin is not-in; {ND}")
match(R(21), one("certificate.requestedValidity", "exists", True), N, "TTTTFT", f"exists; {ND}")

# ================================================================== booleans (field active)
B = [{"active": True}, {"active": False}, {}, {"active": "true"}, {"active": 1}]
BD = "documents: true, false, none, the string 'true', the number 1"
match(R(18), one("active", "eq", True), B, "TFFFF", f"booleans are not strings or numbers; {BD}")
match(R(18), one("active", "eq", False), B, "FTFFF", f"eq false; {BD}")
match(R(15, 18), one("active", "ne", True), B, "FTTTT", f"ne is not-eq; {BD}")
match(R(21), one("active", "exists", True), B, "TTFTT", f"false exists (it is not empty); {BD}")

# ============================================================ date-times (lastModifiedTime)
T = [{"lastModifiedTime": t} for t in ("2025-03-15T16:30:00+08:00", "2025-03-15T08:30:00Z", "2025-03-15T08:30:00.5Z", "2024-12-31T23:59:59Z", "not a date")] + [{}]
TD = "documents: 2025-03-15T16:30:00+08:00, 2025-03-15T08:30:00Z (the same instant), 2025-03-15T08:30:00.5Z, 2024-12-31T23:59:59Z, 'not a date', none"
match(R(19), one("lastModifiedTime", "eq", "2025-03-15T08:30:00Z"), T, "TTFFFF", f"instants compare, not strings; {TD}")
match(R(19), one("lastModifiedTime", "eq", "2025-03-15T08:30:00.000Z"), T, "TTFFFF", f"trailing zero fraction digits do not change the instant; {TD}")
match(R(19), one("lastModifiedTime", "eq", "2025-03-15T08:30:00-00:00"), T, "TTFFFF", f"-00:00 is UTC; {TD}")
match(R(15, 19), one("lastModifiedTime", "ne", "2025-03-15T08:30:00Z"), T, "FFTTTT", f"ne is not-eq, true for the non-date and the missing member; {TD}")
match(R(19), one("lastModifiedTime", "gt", "2025-03-15T08:30:00Z"), T, "FFTFFF", f"gt; {TD}")
match(R(19), one("lastModifiedTime", "gt", "2025-03-15T08:30:00.0000000001Z"), T, "FFTFFF", f"ten fraction digits compare exactly; {TD}")
match(R(19), one("lastModifiedTime", "gte", "2025-03-15T08:30:00Z"), T, "TTTFFF", f"gte; {TD}")
match(R(19), one("lastModifiedTime", "lt", "2025-01-01T00:00:00Z"), T, "FFFTFF", f"lt; {TD}")
match(R(19), one("lastModifiedTime", "lt", "2025-01-01T00:00:00+08:00"), T, "FFFFFF", f"2025-01-01T00:00+08:00 is 2024-12-31T16:00Z, before 23:59:59Z: the offset counts; {TD}")
match(R(19), one("lastModifiedTime", "lte", "2025-03-15T16:30:00+08:00"), T, "TTFTFF", f"lte; {TD}")
match(R(19), one("lastModifiedTime", "between", ["2025-03-15T16:30:00+08:00", "2025-03-15T08:30:00.5Z"]), T, "TTTFFF", f"between, closed, bounds in different offsets; {TD}")
match(R(19), one("lastModifiedTime", "between", ["2025-03-15t08:30:00.1z", "2025-12-31T23:59:59+08:00"]), T, "FFTFFF", f"lower-case t and z are RFC 3339; {TD}")
match(R(19), one("lastModifiedTime", "eq", "2024-02-29T12:00:00Z"), [{"lastModifiedTime": "2024-02-29T12:00:00Z"}, {"lastModifiedTime": "2025-02-29T12:00:00Z"}], "TF", "2024 is a leap year; 2025-02-29 in a document is not a date-time, so it matches nothing")
match(R(19, 21), one("lastModifiedTime", "exists", True), T, "TTTTTF", f"exists does not parse; {TD}")

# ===================================================================== amounts (pricing)
def price(*amounts: Any) -> dict[str, Any]:
    return {"skills": [{"id": f"s.{i}", "pricing": [{"unit": "call", "pricePerUnit": a, "asset": "CNY"}]} for i, a in enumerate(amounts)]}


P = [price("100"), price("9"), price("1000"), price("050"), {}, price("9", "1000"), price(100)]
PD = "documents: pricePerUnit '100', '9', '1000', '050' (not an amount), none, two skills '9' and '1000', the JSON number 100 (not an amount string)"
match(R(20), one("skills.pricing.pricePerUnit", "lte", 100), P, "TTFFFTF", f"amounts compare as integers, not as strings; {PD}")
match(R(20), one("skills.pricing.pricePerUnit", "gt", "99"), P, "TFTFFTF", f"the value may be an amount string; {PD}")
match(R(20), one("skills.pricing.pricePerUnit", "between", [10, 999]), P, "TFFFFFF", f"between on amounts; {PD}")
match(R(20), one("skills.pricing.pricePerUnit", "eq", 9), P, "FTFFFTF", f"eq; {PD}")
match(R(20), one("skills.pricing.pricePerUnit", "in", ["9", "1000"]), P, "FTTFFTF", f"in; {PD}")
match(R(20, 15), one("skills.pricing.pricePerUnit", "nin", [9, 1000]), P, "TFFTTFT", f"nin is not-in; {PD}")
match(R(20), one("skills.pricing.asset", "eq", "cny"), P, "TTTTFTT", f"the asset is a string path (folded); {PD}")

# ================================================================ arrays (skills.tags)
A = [{"skills": [{"tags": ["travel", "Beijing"]}, {"tags": ["food"]}]}, {"skills": [{"tags": ["travel"]}, {"tags": ["Beijing", "food"]}]},
     {"skills": [{"tags": []}]}, {"skills": []}, {}, {"skills": [{"tags": "travel"}]}]
AD = "documents: skills tagged [travel, Beijing] + [food]; [travel] + [Beijing, food]; one skill with []; no skills ([]); none; a skill whose tags is the string 'travel'"
match(R(22), one("skills.tags", "anyOf", ["Beijing", "x"]), A, "TTFFFF", f"anyOf: some tag list holds one of the values; {AD}")
match(R(17, 22), one("skills.tags", "anyOf", ["beijing"]), A, "FFFFFF", f"anyOf compares exactly (no folding); {AD}")
match(R(22, 14), one("skills.tags", "allOf", ["travel", "Beijing"]), A, "TFFFFF", f"allOf: one skill must hold both; tags of different skills are not pooled; {AD}")
match(R(22, 15), one("skills.tags", "noneOf", ["Beijing"]), A, "FFTTTT", f"noneOf is not-anyOf: true without any tag list; {AD}")
match(R(22), one("skills.tags", "size", 2), A, "TTFFFF", f"size: some tag list has 2 members; {AD}")
match(R(22), one("skills.tags", "size", 0), A, "FFTFFF", f"size 0 needs an empty array; a missing member or a string has no size; {AD}")
match(R(22), one("skills.tags", "sizeGt", 1), A, "TTFFFF", f"sizeGt; {AD}")
match(R(22), one("skills.tags", "sizeGte", 2), A, "TTFFFF", f"sizeGte; {AD}")
match(R(22), one("skills.tags", "sizeLt", 2), A, "TTTFFF", f"sizeLt: the one-tag lists, and []; {AD}")
match(R(22), one("skills.tags", "sizeLte", 0), A, "FFTFFF", f"sizeLte; {AD}")
match(R(22), one("skills", "sizeGte", 2), A, "TTFFFF", f"size of an array of objects; {AD}")
match(R(13, 14, 16), one("skills.tags", "eq", "BEIJING"), A, "TTFFFF", f"a scalar operator on an array path matches any element; {AD}")
match(R(13, 14), one("skills.tags", "eq", "travel"), A, "TTFFFT", f"a string where an array was expected is one candidate; {AD}")
match(R(15), one("skills.tags", "ne", "travel"), A, "FFTTTF", f"ne on an array: true only when no element equals; {AD}")
match(R(15), {"logic": "not", "conditions": [c("skills.tags", "eq", "travel")]}, A, "FFTTTF", f"not(eq) gives the same as ne; {AD}")
match(R(16), one("skills.tags", "in", ["FOOD"]), A, "TTFFFF", f"in on an array path: case-insensitive membership; {AD}")
match(R(21), one("skills.tags", "exists", True), A, "TTFFFT", f"exists: some tag list is not empty; {AD}")
match(R(21), one("skills", "exists", True), A, "TTTFFT", f"skills exists when it is a non-empty array; {AD}")

# ============================================================ fan-out (endPoints.transport)
E = [{"endPoints": [{"transport": "HTTP_JSON"}, {"transport": "JSONRPC"}]}, {"endPoints": [{"transport": "HTTP_JSON"}]}, {"endPoints": []}, {},
     {"endPoints": {"transport": "JSONRPC"}}, {"endPoints": [{"transport": ["JSONRPC"]}]}, {"endPoints": [[{"transport": "JSONRPC"}]]}, {"endPoints": ["JSONRPC"]}]
ED = "documents: endpoints HTTP_JSON + JSONRPC; HTTP_JSON; []; none; an object instead of an array; a transport list [JSONRPC]; an array inside the array; a string element"
match(R(13, 14, 16), one("endPoints.transport", "eq", "jsonrpc"), E, "TFFFTTFF", f"fan-out through an array; an object is walked as it is; an array leaf is expanded; arrays in arrays and strings end the path; {ED}")
match(R(13, 15), one("endPoints.transport", "ne", "JSONRPC"), E, "FTTTFFTT", f"ne: no endpoint is JSONRPC; {ED}")
match(R(13, 15), {"logic": "not", "conditions": [c("endPoints.transport", "eq", "JSONRPC")]}, E, "FTTTFFTT", f"not(eq) is ne; {ED}")
match(R(13), one("endPoints.transport", "in", ["JSONRPC", "WEBSOCKET"]), E, "TFFFTTFF", f"in; {ED}")
match(R(15), one("endPoints.transport", "nin", ["JSONRPC", "WEBSOCKET"]), E, "FTTTFFTT", f"nin is not-in; {ED}")
match(R(13, 21), one("endPoints.transport", "exists", True), E, "TTFFTTFF", f"exists; {ED}")
D = [{"provider": {"domainRegistrations": [{"domain": "example.com"}, {"domain": "bupt.edu.cn"}]}}, {"provider": {"domainRegistrations": [{"domain": "example.org"}]}}, {"provider": {}}]
match(R(13, 16), one("provider.domainRegistrations.domain", "endsWith", ".CN"), D, "TFF", "fan-out below an object: any registered domain ending in .cn")

# ===================================================================== maps (securitySchemes)
M = [{"securitySchemes": {"mtls": {"type": "mutualTLS"}, "oidc": {"type": "openIdConnect"}}}, {"securitySchemes": {"mtls": {"type": "mutualTLS"}}}, {"securitySchemes": {}}, {}, {"securitySchemes": ["mtls"]}]
MD = "documents: schemes mtls + oidc; mtls; {}; none; an array ['mtls'] instead of an object"
match(R(23), one("securitySchemes", "hasKey", "oidc"), M, "TFFFF", f"hasKey; {MD}")
match(R(17, 23), one("securitySchemes", "hasKey", "OIDC"), M, "FFFFF", f"keys are exact; {MD}")
match(R(23), one("securitySchemes", "hasAnyKey", ["oidc", "apiKey"]), M, "TFFFF", f"hasAnyKey; {MD}")
match(R(23), one("securitySchemes", "hasAnyKey", "mtls"), M, "TTFFF", f"a single key is a list of one; {MD}")
match(R(23), one("securitySchemes", "hasAllKeys", ["mtls", "oidc"]), M, "TFFFF", f"hasAllKeys; {MD}")
match(R(23, 15), one("securitySchemes", "hasNoKey", ["oidc"]), M, "FTTTT", f"hasNoKey is not-hasAnyKey: true without an object; {MD}")
match(R(23, 15), one("securitySchemes", "hasNoKey", ["mtls", "oidc"]), M, "FFTTT", f"hasNoKey with two keys: none of them; {MD}")
match(R(21), one("securitySchemes", "exists", True), M, "TTFFT", f"an empty object does not exist; {MD}")
match(R(7, 16), one("securitySchemes.oidc.type", "eq", "OPENIDCONNECT"), M, "TFFFF", f"a path below an open member; {MD}")
match(R(23, 13), one("endPoints.security", "hasKey", "mtls"), [{"endPoints": [{"security": [{"oidc": []}, {"mtls": []}]}]}, {"endPoints": [{"security": [{"oidc": []}]}]}], "TF", "map operators test each object of an array of objects")
match(R(23), one("skills", "hasKey", "pricing"), [price("1"), {"skills": [{"id": "a.b"}]}], "TF", "hasKey on each skill")

# ==================================================================== open paths (entityMeta)
OPEN = [{"entityMeta": {"location": "Beijing", "rating": 4.5, "verified": True, "labels": ["a", "b"], "grid": [["x"]], "nested": [[{"k": "x"}]]}},
     {"entityMeta": {"location": "Shanghai", "rating": 3, "labels": ["a"], "grid": ["x"], "nested": [{"k": "x"}]}}, {}]
OD = "documents: entityMeta {location Beijing, rating 4.5, verified true, labels [a, b], grid [[x]], nested [[{k: x}]]}; {location Shanghai, rating 3, labels [a], grid [x], nested [{k: x}]}; none"
match(R(7, 16), one("entityMeta.location", "eq", "BEIJING"), OPEN, "TFF", f"an open path, a string value: folded; {OD}")
match(R(7, 18), one("entityMeta.rating", "gt", 4), OPEN, "TFF", f"an open path, a number value: numeric order; {OD}")
match(R(7, 18), one("entityMeta.rating", "between", [3, 4]), OPEN, "FTF", f"between on an open path; {OD}")
match(R(7, 18), one("entityMeta.rating", "eq", "4.5"), OPEN, "FFF", f"the string '4.5' is not the number 4.5; {OD}")
match(R(7, 18), one("entityMeta.verified", "eq", True), OPEN, "TFF", f"a boolean on an open path; {OD}")
match(R(7, 17), one("entityMeta.location", "gt", "C"), OPEN, "FTF", f"string order on an open path (Shanghai > C > Beijing); {OD}")
match(R(7, 22), one("entityMeta.labels", "allOf", ["a", "b"]), OPEN, "TFF", f"array operators on an open path; {OD}")
match(R(7, 22), one("entityMeta.labels", "size", 1), OPEN, "FTF", f"size on an open path; {OD}")
match(R(7, 22), one("entityMeta.location", "anyOf", ["Beijing"]), OPEN, "FFF", f"anyOf needs an array leaf; {OD}")
match(R(13), one("entityMeta.grid", "eq", "x"), OPEN, "FTF", f"an array inside an array leaf is not searched; {OD}")
match(R(13), one("entityMeta.nested.k", "eq", "x"), OPEN, "FTF", f"an array inside an array is not walked; {OD}")
match(R(7, 23), one("entityMeta", "hasAllKeys", ["rating", "location"]), OPEN, "TTF", f"map operators on entityMeta; {OD}")
match(R(7, 19), one("entityMeta.when", "gt", "2025-01-01T00:00:00Z"), [{"entityMeta": {"when": "2025-01-01T08:00:00+08:00"}}], "T", "open paths hold no date-times: '2025-01-01T08…' > '2025-01-01T00…' as strings, though the instant is equal")

# ================================================================================= logic
L = [{"name": "a", "version": "1"}, {"name": "a", "version": "2"}, {"name": "b", "version": "1"}, {}]
LD = "documents: (a, 1), (a, 2), (b, 1), none"
both = [c("name", "eq", "a"), c("version", "eq", "1")]
match(R(2), {"conditions": both}, L, "TFFF", f"logic absent means and; {LD}")
match(R(2, 1), {"logic": None, "conditions": both, "groups": None}, L, "TFFF", f"null members count as absent; {LD}")
match(R(2), {"logic": "or", "conditions": both}, L, "TTTF", f"or; {LD}")
match(R(2), {"logic": "not", "conditions": both}, L, "FTTT", f"not negates the and of its items; {LD}")
match(R(2, 15), {"logic": "not", "conditions": [c("name", "eq", "a")]}, L, "FFTT", f"not with one condition; {LD}")
match(R(2), {"logic": "or", "conditions": [c("version", "eq", "2")], "groups": [{"logic": "not", "conditions": [c("name", "exists", True)]}]}, L, "FTFT", f"conditions and groups are items of one level; {LD}")
match(R(2, 4), {"groups": [{"logic": "or", "groups": [{"conditions": [c("name", "eq", "b")]}, {"conditions": [c("version", "eq", "2")]}]}]}, L, "FTTF", f"three levels; {LD}")
match(R(11), {"conditions": [c("name", "eq", "a"), c("name", "eq", "b")]}, L, "FFFF", f"contradicting conditions are valid and match nothing; {LD}")
match(R(2), {"logic": "or", "groups": [{"logic": "not", "groups": [{"conditions": [c("name", "eq", "a")]}]}]}, L, "FFTT", f"not over a group; {LD}")

# ======================================================= documents of any shape (DSC-FLT-024)
W = [{"name": {"en": "x"}, "skills": "x", "entityMeta": [1, [2], None], "lastModifiedTime": 5, "securitySchemes": "mtls",
      "endPoints": [None, 1, "x", [{"transport": "x"}]], "active": "yes", "certificate": [{"requestedValidity": "1"}]},
     {"name": None, "skills": [None, {"tags": {"a": 1}}], "entityMeta": None, "capabilities": []}]
WD = "documents whose members all have unexpected types (objects for strings, strings for arrays, nulls, nested arrays)"
wild = [c("name", "eq", "x"), c("skills.tags", "anyOf", ["a"]), c("entityMeta.x", "gt", 0), c("lastModifiedTime", "lt", "2030-01-01T00:00:00Z"),
        c("securitySchemes", "hasKey", "mtls"), c("endPoints.transport", "eq", "x"), c("active", "eq", True), c("certificate.requestedValidity", "eq", 1),
        c("skills.tags", "size", 1), c("capabilities.streaming", "exists", True)]
match(R(24, 18), {"logic": "or", "conditions": wild}, W, "FF", f"no positive operator holds on a wrongly typed member, and evaluation never fails; {WD}")
match(R(24, 15), {"logic": "or", "conditions": [{**x, "op": {"eq": "ne", "anyOf": "noneOf", "hasKey": "hasNoKey"}[x["op"]], "value": x["value"] if x["op"] != "hasKey" else [x["value"]]}
                                                 for x in wild if x["op"] in ("eq", "anyOf", "hasKey")]}, W, "TT", f"the negative partners all hold there; {WD}")
match(R(24, 21), one("name", "exists", True), W, "TF", f"an object is a present value, null is not; {WD}")

# ============================================== every operator on a document without the member
NEGATIVE = {"ne", "neCs", "nin", "ninCs", "notContains", "notContainsCs", "noneOf", "hasNoKey"}
SAMPLES = [("eq", "name", "x"), ("ne", "name", "x"), ("gt", "name", "x"), ("gte", "name", "x"), ("lt", "name", "x"), ("lte", "name", "x"),
           ("between", "certificate.requestedValidity", [1, 2]), ("in", "name", ["x"]), ("nin", "name", ["x"]), ("contains", "name", "x"),
           ("notContains", "name", "x"), ("startsWith", "name", "x"), ("endsWith", "name", "x"), ("eqCs", "name", "x"), ("neCs", "name", "x"),
           ("inCs", "name", ["x"]), ("ninCs", "name", ["x"]), ("containsCs", "name", "x"), ("notContainsCs", "name", "x"),
           ("startsWithCs", "name", "x"), ("endsWithCs", "name", "x"), ("exists", "name", True), ("anyOf", "skills.tags", ["x"]),
           ("allOf", "skills.tags", ["x"]), ("noneOf", "skills.tags", ["x"]), ("size", "skills.tags", 0), ("sizeGt", "skills.tags", 0),
           ("sizeGte", "skills.tags", 0), ("sizeLt", "skills.tags", 1), ("sizeLte", "skills.tags", 0), ("hasKey", "entityMeta", "x"),
           ("hasNoKey", "entityMeta", "x"), ("hasAnyKey", "entityMeta", ["x"]), ("hasAllKeys", "entityMeta", ["x"])]
assert len(SAMPLES) == 34
for op, field, value in SAMPLES:
    match(R(14, 15), one(field, op, value), [{}], "T" if op in NEGATIVE else "F", f"{op} on a document without {field}: " + ("a negative operator holds" if op in NEGATIVE else "a positive operator does not hold"))
match(R(21, 15), one("name", "exists", False), [{}], "T", "exists false on a document without name")

# ===================================================================== valid shapes (parse)
parses(R(1), one("name", "eq", "x"), 1, 1, "one condition")
parses(R(4), {"groups": [{"groups": [{"conditions": [c("name", "eq", "x")]}]}]}, 3, 1, "three levels is the cap")
parses(R(5), {"conditions": [c("name", "eq", str(i)) for i in range(64)]}, 1, 64, "64 conditions is the cap")
parses(R(5), {"conditions": [c("name", "eq", "a")] * 32, "groups": [{"conditions": [c("name", "eq", "b")] * 32}]}, 2, 64, "the cap counts all levels together")
parses(R(5), one("name", "in", [str(i) for i in range(256)]), 1, 1, "256 list items is the cap")
parses(R(5), one("name", "eq", "x" * 1024), 1, 1, "1024 characters is the cap")
parses(R(10), one("name", "eq", ""), 1, 1, "the empty string is a string")
parses(R(19), one("lastModifiedTime", "gt", "2024-02-29T23:59:59.123456789+14:00"), 1, 1, "a leap day, nine fraction digits, offset +14:00")
parses(R(10, 23), one("entityMeta", "hasNoKey", "x"), 1, 1, "hasNoKey with one key")
parses(R(7), one("endPoints.security.mtls", "size", 0), 1, 1, "a path below the open member endPoints.security")
parses(R(7), one("securitySchemes.oidc.flows.implicit.scopes", "hasKey", "read"), 1, 1, "a deep path below an open member")
parses(R(10), one("entityMeta.n", "in", [1, 2.5]), 1, 1, "ints and fractions are one JSON type")
parses(R(20), one("skills.pricing.minimum", "gte", "999999999999999999"), 1, 1, "the largest amount")
for op in ("eq", "ne", "gt", "gte", "lt", "lte", "between", "in", "nin", "contains", "notContains", "startsWith", "endsWith", "eqCs", "neCs", "inCs", "ninCs", "containsCs", "notContainsCs", "startsWithCs", "endsWithCs", "exists", "anyOf", "allOf", "noneOf", "size", "sizeGt", "sizeGte", "sizeLt", "sizeLte", "hasKey", "hasNoKey", "hasAnyKey", "hasAllKeys"):
    value = {"between": [1, 2], "in": ["a"], "nin": ["a"], "inCs": ["a"], "ninCs": ["a"], "exists": True, "anyOf": ["a"], "allOf": ["a"], "noneOf": ["a"], "size": 1, "sizeGt": 1, "sizeGte": 1, "sizeLt": 1, "sizeLte": 1, "hasAnyKey": ["a"], "hasAllKeys": ["a"]}.get(op, "a")
    parses(R(8, 9), one("entityMeta.x", op, value), 1, 1, f"{op} is an operator, and every operator applies to an open path")

# ============================================================= invalid structure (40004)
bad(R(1), None, "not-object", "", "the filter is null")
bad(R(1), [], "not-object", "", "the filter is an array")
bad(R(1), "name eq x", "not-object", "", "the filter is a string")
bad(R(3), {}, "empty-group", "", "the empty filter")
bad(R(3), {"conditions": [], "groups": []}, "empty-group", "", "empty lists")
bad(R(3), {"logic": "or"}, "empty-group", "", "logic only")
bad(R(3), {"groups": [{}]}, "empty-group", "/groups/0", "an empty group")
bad(R(1), {"conditions": [c("name", "eq", "x")], "limit": 1}, "unknown-member", "/limit", "an unknown member of the filter")
bad(R(1), {"filter": {"conditions": [c("name", "eq", "x")]}}, "unknown-member", "/filter", "the filter wrapped once more")
bad(R(1), {"conditions": c("name", "eq", "x")}, "not-array", "/conditions", "conditions is an object, not an array")
bad(R(1), {"groups": {"conditions": [c("name", "eq", "x")]}}, "not-array", "/groups", "groups is an object")
bad(R(1), {"groups": [[c("name", "eq", "x")]]}, "not-object", "/groups/0", "a group that is an array")
bad(R(2), {"logic": "AND", "conditions": [c("name", "eq", "x")]}, "bad-logic", "/logic", "logic names are lower case")
bad(R(2), {"logic": "xor", "conditions": [c("name", "eq", "x")]}, "bad-logic", "/logic", "no xor")
bad(R(2), {"logic": True, "conditions": [c("name", "eq", "x")]}, "bad-logic", "/logic", "logic is a string")
bad(R(4), {"groups": [{"groups": [{"groups": [{"conditions": [c("name", "eq", "x")]}]}]}]}, "too-deep", "/groups/0/groups/0/groups/0", "four levels")
bad(R(5), {"conditions": [c("name", "eq", str(i)) for i in range(65)]}, "too-many-conditions", "/conditions/64", "65 conditions")
bad(R(5), {"conditions": [c("name", "eq", "a")] * 40, "groups": [{"conditions": [c("name", "eq", "b")] * 25}]}, "too-many-conditions", "/groups/0/conditions/24", "65 conditions over two levels")
bad(R(5), one("name", "in", [str(i) for i in range(257)]), "too-long", "/conditions/0/value", "257 list items")
bad(R(5), one("name", "eq", "x" * 1025), "too-long", "/conditions/0/value", "1025 characters")
bad(R(5), one("name", "in", ["a", "x" * 1025]), "too-long", "/conditions/0/value/1", "a list item of 1025 characters")
bad(R(12), {"groups": [{"conditions": [{"field": "name", "op": "eq"}]}]}, "bad-value", "/groups/0/conditions/0/value", "the pointer of the example in DSC-FLT-012")
bad(R(12, 1), {"conditions": [{"field": "name", "op": "eq", "value": "x", "a/b~c": 1}]}, "unknown-member", "/conditions/0/a~1b~0c", "pointer tokens are escaped (RFC 6901)")
bad(R(12), {"conditions": [c("name", "eq", 1)], "extra": 1}, "unknown-member", "/extra", "unknown members come before conditions")
bad(R(12), {"conditions": [c("nope", "eq", "x"), c("name", "nope", "x")]}, "bad-field", "/conditions/0/field", "the first fault in order")
bad(R(12), {"conditions": [c("name", "eq", "x")], "groups": [one("name", "nope", 1)], "logic": "nope"}, "bad-logic", "/logic", "logic is checked before the items")

# ============================================================== invalid conditions (40004)
bad(R(6), {"conditions": ["name"]}, "not-object", "/conditions/0", "a condition that is a string")
bad(R(6), {"conditions": [{"op": "eq", "value": "x"}]}, "bad-field", "/conditions/0/field", "no field")
bad(R(6), {"conditions": [{"field": "name", "value": "x"}]}, "bad-op", "/conditions/0/op", "no op")
bad(R(6), {"conditions": [{"field": "name", "op": "exists"}]}, "bad-value", "/conditions/0/value", "exists needs its value too")
bad(R(6), {"conditions": [{"field": "name", "op": "eq", "value": "x", "caseSensitive": True}]}, "unknown-member", "/conditions/0/caseSensitive", "an unknown member of a condition")
bad1(R(6), "name", "eq", None, "bad-value", "/value", "null is never a value")
bad(R(6), {"conditions": [{"field": ["name"], "op": "eq", "value": "x"}]}, "bad-field", "/conditions/0/field", "field is a string")
bad(R(6), {"conditions": [{"field": "name", "op": None, "value": "x"}]}, "bad-op", "/conditions/0/op", "op is a string")
for field, why in [("nope", "an unknown top-level member"), ("Name", "names are case-sensitive"), ("provider.nope", "an unknown member of provider"),
                   ("skills.tags.x", "below a string array"), ("skills.0.tags", "no array indexes"), ("skills.*.tags", "no wildcards"),
                   ("entityMeta.", "an empty name below an open member"), ("entityMeta..x", "an empty name in the middle"),
                   ("", "the empty path"), (".name", "a leading dot"), ("entityMeta." + "x" * 250, "a path of 261 characters"),
                   ("skills.pricing.nope", "pricing is not open"), ("certificate.altNames.uri", "an unknown SAN kind")]:
    bad1(R(7), field, "exists", True, "bad-field", "/field", why)
for op in ("EQ", "$eq", "regex", "equals", "neq", "sizeGT", "hasKeys", "not", ""):
    bad1(R(8), "name", op, "x", "bad-op", "/op", f"'{op}' is not an operator")

# ======================================================== the operator x type matrix (40004)
NA = [("name", ["between", "anyOf", "allOf", "noneOf", "size", "sizeGt", "sizeGte", "sizeLt", "sizeLte", "hasKey", "hasNoKey", "hasAnyKey", "hasAllKeys"]),
      ("certificate.requestedValidity", ["contains", "notContains", "startsWith", "endsWith", "eqCs", "neCs", "inCs", "ninCs", "containsCs", "notContainsCs", "startsWithCs", "endsWithCs", "anyOf", "size", "hasKey"]),
      ("active", ["gt", "gte", "lt", "lte", "between", "in", "nin", "contains", "eqCs", "anyOf", "size", "hasAnyKey"]),
      ("lastModifiedTime", ["in", "nin", "contains", "startsWith", "endsWith", "eqCs", "inCs", "anyOf", "sizeGt", "hasKey"]),
      ("skills.pricing.pricePerUnit", ["contains", "startsWith", "eqCs", "inCs", "anyOf", "size", "hasKey"]),
      ("provider", ["eq", "ne", "gt", "between", "in", "contains", "eqCs", "anyOf", "size"]),
      ("skills", ["eq", "in", "contains", "anyOf", "allOf", "noneOf"]),
      ("skills.tags", ["between", "hasKey", "hasNoKey", "hasAllKeys"]),
      ("endPoints.transport", ["anyOf", "allOf", "noneOf", "size", "sizeLte", "hasKey"]),
      ("capabilities.streaming", ["size", "startsWith"])]
SOME_VALUE = {"between": [1, 2], "in": ["a"], "nin": ["a"], "inCs": ["a"], "ninCs": ["a"], "anyOf": ["a"], "allOf": ["a"], "noneOf": ["a"], "hasAnyKey": ["a"], "hasAllKeys": ["a"], "hasNoKey": ["a"]}
for field, ops in NA:
    for op in ops:
        value = SOME_VALUE.get(op, 1 if op.startswith("size") else "a")
        bad1(R(9), field, op, value, "not-applicable", "/op", f"{op} does not apply to {field}")

# ============================================================ value shapes (40004)
BV = [("name", "eq", 1, "", "a number on a string path"), ("name", "eq", True, "", "a boolean on a string path"), ("name", "eq", ["x"], "", "a list for eq"),
      ("name", "eq", {"$ne": "x"}, "", "an object"), ("name", "in", [], "", "an empty list"), ("name", "in", "x", "", "in takes a list"),
      ("name", "in", ["x", 1], "/1", "a number in a string list"), ("name", "inCs", [1], "/0", "inCs takes strings"), ("name", "gt", True, "", "a boolean has no order"),
      ("name", "contains", 1, "", "contains takes a string"), ("name", "startsWithCs", ["x"], "", "startsWithCs takes one string"), ("name", "exists", "true", "", "exists takes a boolean"),
      ("name", "exists", 1, "", "exists takes a boolean, not a number"),
      ("certificate.requestedValidity", "eq", "365", "", "a string on a number path"), ("certificate.requestedValidity", "eq", True, "", "a boolean is not a number"),
      ("certificate.requestedValidity", "between", [1], "", "between takes two bounds"), ("certificate.requestedValidity", "between", [1, 2, 3], "", "not three"),
      ("certificate.requestedValidity", "between", "1..2", "", "not a string"), ("certificate.requestedValidity", "between", [1, "2"], "/1", "a string bound"),
      ("certificate.requestedValidity", "in", [1, True], "/1", "a boolean in a number list"),
      ("active", "eq", "true", "", "the string 'true' on a boolean path"), ("active", "eq", 1, "", "the number 1 on a boolean path"),
      ("lastModifiedTime", "eq", "2025-03-15", "", "a date without a time"), ("lastModifiedTime", "eq", "2025-03-15T08:30:00", "", "no offset"),
      ("lastModifiedTime", "eq", "2025-02-29T00:00:00Z", "", "2025 is not a leap year"), ("lastModifiedTime", "eq", "2025-03-15 08:30:00Z", "", "a space separator"),
      ("lastModifiedTime", "eq", "2025-03-15T24:00:00Z", "", "hour 24"), ("lastModifiedTime", "eq", "2016-12-31T23:59:60Z", "", "a leap second"),
      ("lastModifiedTime", "eq", "2025-03-15T08:30:00+24:00", "", "offset hour 24"), ("lastModifiedTime", "eq", "2025-03-15T08:30Z", "", "no seconds"),
      ("lastModifiedTime", "eq", "2025-03-15T08:30:00.Z", "", "a fraction without digits"), ("lastModifiedTime", "eq", "2025-03-15T08:30:00+0800", "", "an offset without colon"),
      ("lastModifiedTime", "gt", 1742027400, "", "a number is not a date-time"), ("lastModifiedTime", "eq", "２０２５-03-15T08:30:00Z", "", "fullwidth digits"),
      ("lastModifiedTime", "between", ["2025-01-01T00:00:00Z", "tomorrow"], "/1", "a bad upper bound"),
      ("skills.pricing.pricePerUnit", "lte", -1, "", "amounts are not negative"), ("skills.pricing.pricePerUnit", "lte", 1.5, "", "amounts are integers"),
      ("skills.pricing.pricePerUnit", "lte", "1.5", "", "amount strings are digits"), ("skills.pricing.pricePerUnit", "lte", "01", "", "no leading zero"),
      ("skills.pricing.pricePerUnit", "lte", "1000000000000000000", "", "more than 18 digits"), ("skills.pricing.pricePerUnit", "in", [1, "2"], "", "one JSON type per list"),
      ("skills.tags", "anyOf", "Beijing", "", "anyOf takes a list"), ("skills.tags", "anyOf", [], "", "an empty list"), ("skills.tags", "anyOf", [1], "/0", "a number in a string array"),
      ("skills.tags", "allOf", [["a"]], "/0", "a nested list"), ("skills.tags", "noneOf", [None], "/0", "null"), ("skills.tags", "size", -1, "", "a negative size"),
      ("skills.tags", "size", 1.5, "", "a fraction"), ("skills.tags", "size", "2", "", "a string"), ("skills.tags", "sizeGt", True, "", "a boolean"),
      ("securitySchemes", "hasKey", ["a", "b"], "", "hasKey takes one key (DSC-FLT-023)"), ("securitySchemes", "hasKey", 1, "", "a number"),
      ("securitySchemes", "hasAnyKey", [], "", "an empty list"), ("securitySchemes", "hasAllKeys", [1], "/0", "a number key"), ("securitySchemes", "hasNoKey", None, "", "null"),
      ("entityMeta.x", "between", ["a", "b"], "/0", "between on an open path takes numbers"), ("entityMeta.x", "gt", True, "", "no order on booleans"),
      ("entityMeta.x", "in", [True], "/0", "in takes strings or numbers"), ("entityMeta.x", "in", ["a", 1], "/1", "one JSON type per list"),
      ("entityMeta.x", "anyOf", [{}], "/0", "objects are not members"), ("entityMeta.x", "anyOf", [True, 1], "/1", "one JSON type per list"),
      ("entityMeta.x", "eq", None, "", "null"), ("entityMeta.x", "eq", [1], "", "a list")]
for field, op, value, sub, why in BV:
    bad1(R(10), field, op, value, "bad-value", "/value" + sub, why)
bad1(R(11), "certificate.requestedValidity", "between", [365, 30], "empty-range", "/value", "lower bound above the upper")
bad1(R(11, 19), "lastModifiedTime", "between", ["2025-01-01T08:00:00+08:00", "2024-12-31T23:00:00Z"], "empty-range", "/value", "the lower bound is the later instant (00:00Z > 23:00Z the day before)")
bad1(R(11, 20), "skills.pricing.pricePerUnit", "between", ["100", 99], "empty-range", "/value", "amounts: 100 > 99")
bad1(R(11), "skills.tags", "sizeLt", 0, "empty-range", "/value", "no array has fewer than 0 members")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    doc = {
        "format": "aip-vectors/1",
        "area": "discovery.filter",
        "description": "The ADP filter language (DSC-FLT): every operator on every type, valid and invalid, "
                       "any-element matching and fan-out through arrays, negative operators as complements, "
                       "missing members, case folding, date-time and amount comparison, nesting and size caps, "
                       "and the six filter examples of ADP v02.01 on the two ACS examples. Expected values "
                       "written by hand in tools/gen_filter_vectors.py.",
        "cases": CASES,
    }
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(out, len(CASES))


if __name__ == "__main__":
    main()
