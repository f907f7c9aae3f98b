"""ACS capability documents (aip.discovery.acs; spec Part 8, DSC-ACS and DSC-PRC).

The two ACS examples of the standard and the six ACPs demo documents validate and round-trip
byte for byte; unknown members survive at every level; every rule refuses with -33801 and the
pointer of the bad member (through our vector file, whose invalid cases name it); the registry
signature covers every member; the domain rule; the registry's JSON Schema against our rules;
hypothesis over random valid documents; and the vector generator reproduces the committed file.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aip import codec
from aip.discovery import acs
from aip.discovery.acs_fields import COUNTRY_CODES
from aip.errors import AipError, Code
from aip.identity.aic import make_aic
from aip.identity.keys import SigningKey
from conformance.ops.acs import OPERATIONS
from tests.helpers import code_of

REPO = Path(__file__).resolve().parent.parent
EXT = REPO / "spec" / "vectors" / "external" / "acps"
VECTORS = json.loads((REPO / "spec" / "vectors" / "discovery" / "acs.json").read_text("utf-8"))
CASES = VECTORS["cases"]
EXTERNAL_DOCS = sorted((EXT / "acs-instances").glob("*.json")) + sorted(
    (EXT / "spec-examples" / "ACS").glob("*.json")
)
KEY = SigningKey(bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
OTHER = SigningKey(bytes(range(32)))
AIC = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def _case_doc(prefix: str) -> dict[str, Any]:
    doc: dict[str, Any] = next(c for c in CASES if c["comment"].startswith(prefix))["input"][
        "document"
    ]
    return copy.deepcopy(doc)


FULL = _case_doc("every member this part knows")
EXTENDED = _case_doc("unknown members at every level")
MINIMAL = _case_doc("required members only")


def member_of(fn: Any, *args: Any, **kw: Any) -> tuple[Code, str]:
    """(code, data.member) of the DiscoveryError ``fn`` must raise."""
    with pytest.raises(AipError) as info:
        fn(*args, **kw)
    assert info.value.data is not None
    return info.value.code, info.value.data["member"]


def _load(path: Path) -> Any:
    return codec.parse(path.read_bytes())


# ---------------------------------------------------------------- the public documents


@pytest.mark.parametrize("path", EXTERNAL_DOCS, ids=lambda p: p.name)
def test_public_documents_validate_and_round_trip(path: Path) -> None:
    doc = _load(path)
    before = codec.canonicalize(doc)
    assert acs.check_acs(doc) is doc  # [DSC-ACS-002]
    once = codec.canonicalize(doc)
    assert once == before
    assert codec.canonicalize(codec.parse(once)) == once
    assert acs.check_acs(codec.parse(once)) == doc


def test_both_spec_examples_are_present() -> None:
    names = [p.name for p in EXTERNAL_DOCS]
    assert "01-L812.json" in names
    assert "02-L924.json" in names
    assert len(names) == 8


def test_legacy_aic_policy() -> None:
    # [DSC-ACS-004] the examples' pre-v02 AICs fit the ten-level format: accepted, read as v02.01
    doc = _load(EXT / "spec-examples" / "ACS" / "01-L812.json")
    assert doc["aic"] == "1.2.156.3088.1.34C2.478BDF.3GF546.1.0SEN"
    acs.check_acs(doc)
    # The registry schema's example layout does not fit: refused, naming /aic
    schema_example = "1.2.156.3088.0001.00001.FW49KF.06LGSK.1.0FVY"
    assert member_of(acs.check_acs, {**doc, "aic": schema_example}) == (Code.ACS_INVALID, "/aic")
    # The checksum is not checked (the salt is private to the issuing registry)
    acs.check_acs({**doc, "aic": AIC[:-4] + "0000"})


# ---------------------------------------------------------------- the vector file


def _vector_ids() -> list[str]:
    return [c["id"] for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=_vector_ids())
def test_vector_case(case: dict[str, Any]) -> None:
    op = OPERATIONS[case["operation"]]
    if case["verdict"] == "valid":
        out = op(copy.deepcopy(case["input"]))
        for key, value in case["expected"].items():
            assert out[key] == value, key
        return
    with pytest.raises(AipError) as info:
        op(copy.deepcopy(case["input"]))
    assert info.value.code == case["error"]
    if case["error"] in (Code.ACS_INVALID, Code.DOMAIN_NOT_OWNED):  # [DSC-ACS-003]
        named = re.search(r'member "([^"]*)"', case["comment"])
        assert named, "an invalid ACS case names its member"
        assert info.value.data == {"member": named.group(1)}


def test_vectors_cover_every_operation_and_requirement() -> None:
    assert {c["operation"] for c in CASES} == set(OPERATIONS)
    cited = {r for c in CASES for r in c["requirements"]}
    assert {f"DSC-ACS-{n:03d}" for n in range(1, 33)} <= cited
    assert {f"DSC-PRC-{n:03d}" for n in range(1, 6)} <= cited


# ---------------------------------------------------------------- losslessness


def _objects(node: Any, at: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield at, node
        for key, value in node.items():
            yield from _objects(value, f"{at}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{at}/{i}")


# Objects whose member names carry meaning: a new name there is a scheme, a requirement, a scope
# or a flow, not an unknown member.
_NAMED_MAPS = re.compile(r"^/securitySchemes$|/security/\d+$|/scopes$")


def _extensible() -> list[str]:
    return [at for at, _ in _objects(FULL) if not _NAMED_MAPS.search(at)]


@pytest.mark.parametrize("at", _extensible())
def test_unknown_member_round_trips_at_every_level(at: str) -> None:
    doc = copy.deepcopy(FULL)
    target = dict(_objects(doc))[at]
    target["x-unknown"] = {"n": [1, 2.5, None, "值"], "integrity": "not ours"}
    before = codec.canonicalize(doc)
    assert acs.check_acs(doc) is doc
    assert codec.canonicalize(doc) == before
    signed = acs.sign_acs(doc, KEY)
    kid = acs.verify_acs(codec.parse(codec.dumps(signed)), KEY.verify_key)
    assert kid == KEY.verify_key.key_id()


def test_check_does_not_mutate_and_ignores_integrity_content() -> None:
    doc = {**copy.deepcopy(EXTENDED), "integrity": "garbage is Part 3's business"}
    snapshot = copy.deepcopy(doc)
    acs.check_acs(doc)
    acs.check_submission(doc)
    assert doc == snapshot


# ---------------------------------------------------------------- more refusals


@pytest.mark.parametrize("value", [None, "doc", 5, [], True])
def test_document_must_be_an_object(value: Any) -> None:
    assert member_of(acs.check_acs, value) == (Code.ACS_INVALID, "")
    assert member_of(acs.check_submission, value) == (Code.ACS_INVALID, "")


def test_first_bad_member_in_check_order() -> None:
    # [DSC-ACS-003] two bad members: the one earlier in the check order is named, and map order
    # in the document does not matter
    doc = {**copy.deepcopy(FULL), "version": "v1", "name": ""}
    assert member_of(acs.check_acs, doc) == (Code.ACS_INVALID, "/name")
    schemes = doc["securitySchemes"]
    doc = {**copy.deepcopy(FULL), "securitySchemes": {
        "zeta": {"type": "bad"}, **schemes, "alpha": {"type": "bad"}}}
    assert member_of(acs.check_acs, doc) == (Code.ACS_INVALID, "/securitySchemes/alpha/type")


def test_pointer_escapes_tilde_and_slash() -> None:
    doc = copy.deepcopy(FULL)
    doc["endPoints"][0]["security"] = [{"a~b/c": []}]
    assert member_of(acs.check_acs, doc) == (Code.ACS_INVALID, "/endPoints/0/security/0/a~0b~1c")


def test_version_expression_standalone() -> None:
    acs.check_version_expression("kafka:>=2.8 <4.0")
    assert member_of(acs.check_version_expression, "kafka:>=4.0 <2.8") == (Code.ACS_INVALID, "")
    assert code_of(acs.check_version_expression, 5) == Code.ACS_INVALID


def test_country_codes_match_the_tz_database() -> None:
    # An independent copy of ISO 3166-1 alpha-2: the tz database's iso3166.tab
    table = Path("/usr/share/zoneinfo/iso3166.tab")
    if not table.exists():
        pytest.skip("no tz database on this machine")
    rows = table.read_text("utf-8").splitlines()
    assert {r.split("\t")[0] for r in rows if r and not r.startswith("#")} == COUNTRY_CODES


# ---------------------------------------------------------------- submission and publishing


def test_submission_ignores_registry_fields_and_publish_sets_them() -> None:
    submission = {k: v for k, v in FULL.items() if k not in acs.REGISTRY_FIELDS}
    submission["endPoints"] = copy.deepcopy(FULL["endPoints"])
    submission["endPoints"][3]["url"] = "amqps://mq.tea.example.com:5671/acps?inbox=inbox_{AIC}"
    assert acs.check_submission(submission) is submission
    assert member_of(acs.check_acs, submission) == (Code.ACS_INVALID, "/aic")
    assert acs.check_submission({**submission, "aic": [], "active": 1}) is not None
    frozen = copy.deepcopy(submission)
    out = acs.published({**submission, "integrity": {}}, aic=AIC.lower(), active=True,
                        modified=NOW.astimezone(timezone(timedelta(hours=8))))  # fmt: skip
    assert submission == frozen  # [DSC-ACS-027] a copy; the input is untouched
    assert out == FULL
    assert "integrity" not in out
    assert out["lastModifiedTime"] == "2026-11-21T10:00:00.000000Z"
    assert out["endPoints"][3]["url"].endswith("inbox=inbox_" + AIC)


def test_publish_refusals() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        acs.published(MINIMAL, aic=AIC, active=True, modified=datetime(2026, 1, 1))
    assert member_of(acs.published, MINIMAL, aic="x", active=True, modified=NOW) == (
        Code.ACS_INVALID, "/aic")  # fmt: skip
    assert member_of(acs.published, MINIMAL, aic=AIC, active=1, modified=NOW) == (
        Code.ACS_INVALID, "/active")  # fmt: skip


def test_publish_time_form_orders_as_time() -> None:
    times = [NOW + timedelta(microseconds=n * 999_999) for n in range(40)]
    texts = [acs.format_time(t) for t in times]
    assert texts == sorted(texts)
    assert all(len(t) == 27 for t in texts)


# ---------------------------------------------------------------- registry signature


def _leaves(node: Any, at: str = "") -> Iterator[str]:
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _leaves(value, f"{at}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list) and node:
        for i, value in enumerate(node):
            yield from _leaves(value, f"{at}/{i}")
    else:
        yield at


def _tampered(doc: dict[str, Any], at: str) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    *path, last = [t.replace("~1", "/").replace("~0", "~") for t in at.split("/")[1:]]
    node: Any = out
    for token in path:
        node = node[int(token)] if isinstance(node, list) else node[token]
    index: Any = int(last) if isinstance(node, list) else last
    value = node[index]
    if isinstance(value, bool):
        node[index] = not value
    elif isinstance(value, str):
        node[index] = value + "x" if value else "x"
    elif isinstance(value, int | float):
        node[index] = value + 1
    elif value is None:
        node[index] = 0
    elif isinstance(value, list):
        node[index] = [*value, "x"]
    else:
        node[index] = {**value, "x": 1}
    return out


SIGNED = acs.sign_acs(EXTENDED, KEY)


@pytest.mark.parametrize("at", [a for a in _leaves(SIGNED) if not a.startswith("/integrity")])
def test_tampering_with_any_member_breaks_the_signature(at: str) -> None:
    assert acs.verify_acs(SIGNED, KEY.verify_key) == KEY.verify_key.key_id()
    assert code_of(acs.verify_acs, _tampered(SIGNED, at), KEY.verify_key) == Code.SIGNATURE_INVALID


def test_signature_failures_and_order() -> None:
    unsigned = {k: v for k, v in SIGNED.items() if k != "integrity"}
    assert code_of(acs.verify_acs, unsigned, KEY.verify_key) == Code.INTEGRITY_MISSING
    assert code_of(acs.verify_acs, SIGNED, OTHER.verify_key) == Code.KEY_UNKNOWN
    wrong = {KEY.verify_key.key_id(): OTHER.verify_key}
    assert code_of(acs.verify_acs, SIGNED, wrong) == Code.SIGNATURE_INVALID
    # a tampered document that also breaks a rule: the signature is checked first
    assert code_of(acs.verify_acs, {**SIGNED, "version": "v1"}, KEY.verify_key) == (
        Code.SIGNATURE_INVALID)  # fmt: skip
    # [DSC-ACS-028] the registry refuses to sign what breaks a rule
    assert member_of(acs.sign_acs, {**FULL, "skills": {}}, KEY) == (Code.ACS_INVALID, "/skills")


# ---------------------------------------------------------------- the domain rule


def test_domain_rule_covers_every_url_member() -> None:
    # [DSC-ACS-030] moving any single covered host out of the registered domains is refused,
    # naming exactly that member
    acs.check_domains(FULL)
    covered = ["/iconUrl", "/documentationUrl", "/webAppUrl", "/provider/url",
               "/securitySchemes/oidc/openIdConnectUrl",
               "/securitySchemes/oauth/flows/clientCredentials/tokenUrl",
               "/securitySchemes/oauth/flows/authorizationCode/authorizationUrl",
               "/securitySchemes/oauth/flows/authorizationCode/tokenUrl",
               "/securitySchemes/oauth/flows/authorizationCode/refreshUrl",
               *[f"/endPoints/{i}/url" for i in range(4)],
               "/certificate/altNames/dns/0"]  # fmt: skip
    for at in covered:
        doc = copy.deepcopy(FULL)
        *path, last = at.split("/")[1:]
        node: Any = doc
        for token in path:
            node = node[int(token)] if isinstance(node, list) else node[token]
        key: Any = int(last) if isinstance(node, list) else last
        node[key] = node[key].replace("tea.example.com", "tea.example.net")
        acs.check_acs(doc)
        assert member_of(acs.check_domains, doc) == (Code.DOMAIN_NOT_OWNED, at), at
    # URL-named members a scheme's type does not define are unknown members: not covered
    odd = copy.deepcopy(FULL)
    odd["securitySchemes"]["bearer"].update(openIdConnectUrl=5, flows={"implicit": 1})
    odd["securitySchemes"]["mtls"]["openIdConnectUrl"] = "https://elsewhere.example/"
    acs.check_domains(acs.check_acs(odd))
    ips = copy.deepcopy(FULL)
    ips["certificate"]["altNames"]["ip"] = ["203.0.113.9"]  # IP SANs are reviewed by people
    acs.check_domains(ips)


# ---------------------------------------------------------------- reading


def test_search_fields_and_skill_lookup() -> None:
    fields = acs.search_fields(FULL)
    assert list(fields) == ["name", "description", "skills", "tags", "examples"]
    assert fields["skills"].split("\n") == [
        "Route planning", "A walking route between tea houses, with opening hours.",
        "Tea talk", "Answers questions on tea."]  # fmt: skip
    assert fields["tags"] == "tea\nHangzhou\nitinerary"
    assert fields["examples"].count("\n") == 1
    assert acs.search_fields(MINIMAL) == {"name": "Echo", "description": "Repeats its input.",
                                          "skills": "", "tags": "", "examples": ""}  # fmt: skip
    found = acs.skill(FULL, "tea-tour:guide:talk")
    assert found is FULL["skills"][1]
    assert acs.skill(FULL, "tea-tour.guide.talk") is None


# ---------------------------------------------------------------- the registry's JSON Schema


SCHEMA = jsonschema.Draft202012Validator(json.loads((EXT / "acsSchema.json").read_text("utf-8")))


@pytest.mark.parametrize("path", EXTERNAL_DOCS, ids=lambda p: p.name)
def test_public_documents_match_the_registry_schema(path: Path) -> None:
    assert list(SCHEMA.iter_errors(json.loads(path.read_text("utf-8")))) == []


def _swap(doc: dict[str, Any], at: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    *path, last = at.split("/")[1:]
    node: Any = out
    for token in path:
        node = node[int(token)] if isinstance(node, list) else node[token]
    if value is None:
        del node[last]
    else:
        node[int(last) if isinstance(node, list) else last] = value
    return out


SPEC1 = json.loads((EXT / "spec-examples" / "ACS" / "01-L812.json").read_text("utf-8"))
# Documents the schema accepts and we refuse (spec text or our stricter rule wins) ...
SCHEMA_ONLY = {
    "oauth2 without a flow": _swap(SPEC1, "/securitySchemes/oidc", {"type": "oauth2", "flows": {}}),
    "implicit flow without authorizationUrl": _swap(SPEC1, "/securitySchemes/oidc", {
        "type": "oauth2", "flows": {"implicit": {"scopes": {}}}}),
    "country code XK": _swap(SPEC1, "/provider/countryCode", "XK"),
    "skill id with a slash": _swap(SPEC1, "/skills/0/id", "beijing-tour/sight-recommender"),
    ">= with a wildcard": _swap(SPEC1, "/capabilities/messageQueue/0", "mqtt:>=5.*"),
    "range without >=": _swap(SPEC1, "/capabilities/messageQueue/0", "kafka:2.8 <4.0"),
    "unknown transport": _swap(SPEC1, "/endPoints/0/transport", "GRPC"),
    "undeclared scheme": _swap(SPEC1, "/endPoints/0/security/0", {"jwt": []}),
    "bad AIC": _swap(SPEC1, "/aic", "agent-leader-aic"),
    "version v1": _swap(SPEC1, "/version", "v1"),
    "empty name": _swap(SPEC1, "/name", ""),
    "MIME type text": _swap(SPEC1, "/defaultInputModes/0", "text"),
}
# ... and documents we accept that the schema refuses (additionalProperties: false)
OURS_ONLY = {
    "unknown member": {**SPEC1, "x-future": 1},
    "registry signature": acs.sign_acs(SPEC1, KEY),
    "pricing": _swap(SPEC1, "/skills/0/pricing", [{"unit": "call", "pricePerUnit": "1",
                                                   "asset": "CNY"}]),
}


@pytest.mark.parametrize("name", sorted(SCHEMA_ONLY))
def test_schema_accepts_what_we_refuse(name: str) -> None:
    doc = SCHEMA_ONLY[name]
    assert list(SCHEMA.iter_errors(doc)) == []
    assert code_of(acs.check_acs, doc) == Code.ACS_INVALID


@pytest.mark.parametrize("name", sorted(OURS_ONLY))
def test_we_accept_what_the_schema_refuses(name: str) -> None:
    doc = OURS_ONLY[name]
    assert list(SCHEMA.iter_errors(doc)) != []
    assert acs.check_acs(doc) is doc


# ---------------------------------------------------------------- hypothesis

_SEG = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,6}", fullmatch=True)
_TEXT = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != "")
_MQ = st.one_of(
    st.builds(lambda p, a, b: f"{p}:{a}.{b}", st.sampled_from(["mqtt", "kafka"]),
              st.integers(0, 99), st.integers(0, 99)),
    st.builds(lambda p, a: f"{p}:{a}.*", st.sampled_from(["redis", "amqp"]), st.integers(0, 9)),
    st.builds(lambda p, a, d: f"{p}:>={a}.0 <{a + d}.0", st.sampled_from(["rabbitmq", "kafka"]),
              st.integers(0, 50), st.integers(1, 5)),
)  # fmt: skip
# Unknown member values: any JSON, with numbers whose RFC 8785 text parses back strictly (a
# float such as -1e16 is written as an integer beyond 2**53, which strict parsing refuses).
_SCALARS = (st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=8)
            | st.floats(-1e15, 1e15, allow_nan=False))  # fmt: skip
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=10)
_EXTRA = st.dictionaries(st.from_regex(r"x-[a-z]{1,5}", fullmatch=True), _VALUES, max_size=2)


@st.composite
def _skills(draw: st.DrawFn) -> list[dict[str, Any]]:
    ids = draw(st.lists(st.lists(_SEG, min_size=2, max_size=3), max_size=3,
                        unique_by=".".join))  # fmt: skip
    out = []
    for segments in ids:
        item = {"id": ".".join(segments), "name": draw(_TEXT), "description": draw(_TEXT),
                "version": draw(st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,2}){0,2}", fullmatch=True)),
                "tags": draw(st.lists(_TEXT, max_size=3)), **draw(_EXTRA)}  # fmt: skip
        if draw(st.booleans()):
            units = draw(st.lists(st.sampled_from(["call", "token.input", "second"]),
                                  min_size=1, unique=True))  # fmt: skip
            item["pricing"] = [{"unit": u, "pricePerUnit": str(draw(st.integers(0, 10**18 - 1))),
                                "asset": "CNY"} for u in units]  # fmt: skip
        out.append(item)
    return out


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A small strategy for valid ACS documents, with unknown members at the root and skills."""
    levels = [draw(st.from_regex(p, fullmatch=True)) for p in
              (r"[1-9A-Z]", r"[1-9A-Z]{1,6}", r"[1-9A-Z]{1,6}", r"[1-9A-Z]{1,9}", r"[0-9A-Z]{1,9}")]
    aic = make_aic(version=levels[0], registry=levels[1], provider=levels[2], ontology=levels[3],
                   entity=levels[4], salt=b"\x12\x34")  # fmt: skip
    when = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1),
                             timezones=st.just(UTC)))  # fmt: skip
    transport = draw(st.sampled_from(acs.TRANSPORTS))
    url = {"JSONRPC": "https://a.example.com/rpc", "HTTP_JSON": "http://a.example.com:8080/v1",
           "AMQP": "amqps://mq.example.com/v?inbox=inbox_{AIC}",
           "WEBSOCKET": "wss://a.example.com/aip"}[transport]  # fmt: skip
    return {
        "aic": str(aic), "active": draw(st.booleans()), "lastModifiedTime": acs.format_time(when),
        "protocolVersion": "02.01", "name": draw(_TEXT), "description": draw(_TEXT),
        "version": "1.0.0",
        "provider": {"countryCode": draw(st.sampled_from(sorted(COUNTRY_CODES)))},
        "securitySchemes": {"mtls": {"type": "mutualTLS"}},
        "endPoints": [{"url": url, "transport": transport, "security": [{"mtls": []}]}],
        "capabilities": {"streaming": draw(st.booleans()), "notification": draw(st.booleans()),
                         "messageQueue": draw(st.lists(_MQ, max_size=3))},
        "defaultInputModes": draw(st.lists(st.sampled_from(["text/plain", "image/*", "*/*"]))),
        "defaultOutputModes": ["application/json"],
        "skills": draw(_skills()),
        **draw(_EXTRA),
    }  # fmt: skip


@settings(max_examples=60)
@given(documents())
def test_random_valid_documents_survive_unchanged(doc: dict[str, Any]) -> None:
    before = codec.canonicalize(doc)
    assert acs.check_acs(doc) is doc
    assert acs.check_submission(doc) is doc
    assert codec.canonicalize(doc) == before
    assert codec.canonicalize(codec.parse(before)) == before
    assert all(isinstance(v, str) for v in acs.search_fields(doc).values())
    republished = acs.published(doc, aic=doc["aic"], active=doc["active"],
                                modified=acs_time(doc["lastModifiedTime"]))  # fmt: skip
    assert republished["lastModifiedTime"] == doc["lastModifiedTime"]


def acs_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


REQUIRED = ["aic", "active", "lastModifiedTime", "protocolVersion", "name", "description",
            "version", "provider", "securitySchemes", "endPoints", "capabilities",
            "defaultInputModes", "defaultOutputModes", "skills"]  # fmt: skip


@settings(max_examples=40)
@given(documents(), st.sampled_from(REQUIRED))
def test_removing_a_required_member_names_it(doc: dict[str, Any], name: str) -> None:
    del doc[name]
    assert member_of(acs.check_acs, doc) == (Code.ACS_INVALID, f"/{name}")
