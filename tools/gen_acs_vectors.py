"""Regenerate spec/vectors/discovery/acs.json (ACS documents, spec Part 8 DSC-ACS and DSC-PRC).

Independent of ``aip``: documents and their verdicts are written by hand from the rules of the
spec draft; the expected search text is a separate transcription of [DSC-ACS-032]; canonical
bytes come from ``rfc8785`` and signatures from ``cryptography`` (Ed25519, RFC 8032 TEST 1 seed).
The two ACS examples of ACPs-spec-ACS v02.01 and the six ACPs demo documents are read from
``spec/vectors/external/acps`` and embedded unchanged.  Every invalid case changes one member of
a valid document and names it in its comment as ``member "<JSON Pointer>"``.  Run from the
repository root: ``python tools/gen_acs_vectors.py``.  The output is byte-reproducible.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "spec" / "vectors" / "discovery" / "acs.json"
EXTERNAL = ROOT / "spec" / "vectors" / "external" / "acps"
ACS_INVALID, DOMAIN_NOT_OWNED = -33801, -33804
INTEGRITY_MISSING, KEY_UNKNOWN, SIGNATURE_INVALID = -33201, -33204, -33205
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
AIC = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"  # the AIC spec's example (Part 4)
CASES: list[dict[str, Any]] = []

FULL: dict[str, Any] = {
    "aic": AIC,
    "active": True,
    "lastModifiedTime": "2026-11-21T10:00:00.000000Z",
    "protocolVersion": "02.01",
    "name": "Tea route planner",
    "description": "Plans tea-house walks in Hangzhou. Does not book transport or rooms.",
    "version": "1.4.2",
    "iconUrl": "https://cdn.tea.example.com/icon.png",
    "documentationUrl": "https://docs.tea.example.com/planner",
    "webAppUrl": "https://tea.example.com/app",
    "provider": {
        "countryCode": "CN", "organization": "Example Tea Co.", "department": "",
        "url": "https://tea.example.com", "license": "浙ICP备00000000号-1", "name": "李雷",
        "email": "ops@tea.example.com",
        "domainRegistrations": [
            {"domain": "tea.example.com", "registrationNumber": "浙ICP备00000000号-1",
             "registrationType": "ICP"},
            {"domain": "example.org", "registrationNumber": "R-2026-0001", "registrationType": "WHOIS"},
        ],
    },
    "securitySchemes": {
        "mtls": {"type": "mutualTLS", "description": "mutual TLS between agents"},
        "oidc": {"type": "openIdConnect",
                 "openIdConnectUrl": "https://auth.tea.example.com/.well-known/openid-configuration"},
        "key": {"type": "apiKey", "name": "X-Api-Key", "in": "header"},
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "oauth": {"type": "oauth2", "flows": {
            "clientCredentials": {"tokenUrl": "https://auth.tea.example.com/token",
                                  "scopes": {"plan": "plan walks"}},
            "authorizationCode": {"authorizationUrl": "https://auth.tea.example.com/authorize",
                                  "tokenUrl": "https://auth.tea.example.com/token",
                                  "refreshUrl": "https://auth.tea.example.com/refresh", "scopes": {}},
        }},
    },
    "endPoints": [
        {"url": "wss://agents.tea.example.com/aip", "transport": "WEBSOCKET", "security": [{"mtls": []}]},
        {"url": "https://api.tea.example.com/rpc", "transport": "JSONRPC",
         "security": [{"mtls": []}, {"oidc": ["openid", "profile"]}]},
        {"url": "https://api.tea.example.com:8443/v1", "transport": "HTTP_JSON",
         "security": [{"key": [], "bearer": []}, {"oauth": ["plan"]}]},
        {"url": f"amqps://mq.tea.example.com:5671/acps?inbox=inbox_{AIC}", "transport": "AMQP",
         "security": [{"mtls": []}]},
    ],
    "capabilities": {"streaming": True, "notification": False,
                     "messageQueue": ["rabbitmq:>=4.2", "kafka:>=2.8 <4.0", "mqtt:5.*", "amqp:0.9.1"]},
    "defaultInputModes": ["text/plain", "application/json"],
    "defaultOutputModes": ["text/markdown; charset=utf-8", "application/json"],
    "skills": [
        {"id": "tea-tour.route.plan", "name": "Route planning",
         "description": "A walking route between tea houses, with opening hours.", "version": "2.0.0",
         "tags": ["tea", "Hangzhou", "itinerary"],
         "examples": ["A half-day tea walk near West Lake", "Longjing village in two hours"],
         "inputModes": ["text/plain"], "outputModes": ["text/markdown", "image/*"],
         "pricing": [
             {"unit": "token.input", "pricePerUnit": "2", "per": "1000", "asset": "CNY"},
             {"unit": "token.output", "pricePerUnit": "8", "per": "1000", "asset": "CNY",
              "minimum": "1", "maximum": "500"},
         ]},
        {"id": "tea-tour:guide:talk", "name": "Tea talk", "description": "Answers questions on tea.",
         "version": "1.0", "tags": [], "pricing": [{"unit": "call", "pricePerUnit": "100", "asset": "CNY"}]},
    ],
    "entityUserId": "user-42",
    "entityMeta": {"location": "Hangzhou", "environment": "production"},
    "certificate": {"altNames": {"dns": ["agents.tea.example.com", "*.api.tea.example.com"],
                                 "ip": ["192.0.2.10", "2001:db8::10"]}, "requestedValidity": 365},
}

MINIMAL: dict[str, Any] = {
    "aic": AIC, "active": False, "lastModifiedTime": "2025-03-15T16:30:00+08:00",
    "protocolVersion": "02.01", "name": "Echo", "description": "Repeats its input.", "version": "1",
    "provider": {}, "securitySchemes": {}, "endPoints": [],
    "capabilities": {"streaming": False, "notification": False, "messageQueue": []},
    "defaultInputModes": [], "defaultOutputModes": [], "skills": [],
}


# ---------------------------------------------------------------- helpers


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


PRIVATE = Ed25519PrivateKey.from_private_bytes(SEED)
PUBLIC = PRIVATE.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
KID = b64u(hashlib.sha256(('{"crv":"Ed25519","kty":"OKP","x":"' + b64u(PUBLIC) + '"}').encode()).digest())


def tokens(ptr: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")[1:]]


def edit(doc: dict[str, Any], ptr: str, value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    """A deep copy of ``doc`` with the member at ``ptr`` set to ``value`` (or deleted)."""
    out = copy.deepcopy(doc)
    *path, last = tokens(ptr)
    node: Any = out
    for t in path:
        node = node[int(t)] if isinstance(node, list) else node[t]
    if isinstance(node, list):
        if delete:
            del node[int(last)]
        else:
            node[int(last)] = value
    elif delete:
        del node[last]
    else:
        node[last] = value
    return out


def search(doc: dict[str, Any]) -> dict[str, str]:
    """[DSC-ACS-032] transcribed: five fields, lines joined by newline, document order."""
    lines: dict[str, list[str]] = {"skills": [], "tags": [], "examples": []}
    for s in doc["skills"]:
        lines["skills"] += [s["name"], s["description"]]
        lines["tags"] += s["tags"]
        lines["examples"] += s.get("examples", [])
    return {"name": doc["name"], "description": doc["description"],
            **{k: "\n".join(v) for k, v in lines.items()}}


def facts(doc: dict[str, Any]) -> dict[str, Any]:
    return {"valid": True, "skill_ids": [s["id"] for s in doc["skills"]], "search": search(doc),
            "canonical_sha256_hex": hashlib.sha256(rfc8785.dumps(doc)).hexdigest()}


def sign(doc: dict[str, Any], kid: str = KID) -> dict[str, Any]:
    body = {k: v for k, v in doc.items() if k != "integrity"}
    return {**body, "integrity": {"alg": "EdDSA", "kid": kid, "sig": b64u(PRIVATE.sign(rfc8785.dumps(body)))}}


def case(kind: str, op: str, reqs: list[str], inp: dict[str, Any], comment: str, *,
         expected: dict[str, Any] | None = None, error: int | None = None) -> None:
    number = sum(c["id"].startswith(f"acs-{kind}-") for c in CASES) + 1
    row: dict[str, Any] = {"id": f"acs-{kind}-{number:03d}", "operation": op, "requirements": reqs,
                           "verdict": "valid" if error is None else "invalid", "input": inp}
    if error is None:
        row["expected"] = expected
    else:
        row["error"] = error
    row["comment"] = comment
    CASES.append(row)


def valid(reqs: list[str], doc: dict[str, Any], comment: str, op: str = "acs.check") -> None:
    case("ok", op, reqs, {"document": doc}, comment, expected=facts(doc))


def slim(ptr: str) -> dict[str, Any]:
    """MINIMAL with FULL's top-level member that ``ptr`` points into (and the schemes that
    endpoints refer to): small documents, and one changed member each."""
    top = tokens(ptr)[0]
    doc = copy.deepcopy(MINIMAL)
    if top in FULL:
        doc[top] = copy.deepcopy(FULL[top])
    if top == "endPoints":
        doc["securitySchemes"] = copy.deepcopy(FULL["securitySchemes"])
    return doc


def bad(reqs: list[str], ptr: str, value: Any, comment: str, *, base: dict[str, Any] | None = None,
        delete: bool = False, op: str = "acs.check", member: str | None = None) -> None:
    doc = edit(slim(ptr) if base is None else base, ptr, value, delete=delete)
    where = ptr if member is None else member
    case("bad", op, reqs, {"document": doc}, f'{comment}; member "{where}"', error=ACS_INVALID)


def load(relative: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXTERNAL / relative).read_text(encoding="utf-8"))
    return data


def with_extensions(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with an unknown member at every level where members are free [DSC-ACS-002]."""
    ext = {"x-note": {"kept": [1, "二", None, True]}}
    out = copy.deepcopy(doc)
    for node in (out, out["provider"], out["provider"]["domainRegistrations"][0],
                 out["securitySchemes"]["mtls"], out["securitySchemes"]["oauth"]["flows"],
                 out["securitySchemes"]["oauth"]["flows"]["clientCredentials"], out["endPoints"][0],
                 out["capabilities"], out["skills"][0], out["skills"][0]["pricing"][0],
                 out["certificate"], out["certificate"]["altNames"]):
        node.update(copy.deepcopy(ext))
    out["futureTopLevel"] = [{"deep": {"deeper": "value"}}]
    return out


# ---------------------------------------------------------------- acs.check: valid documents
SPEC_EXAMPLES = ["spec-examples/ACS/01-L812.json", "spec-examples/ACS/02-L924.json"]
INSTANCES = [f"acs-instances/{n}.json" for n in (
    "demo-leader", "demo-partner-beijing_food", "demo-partner-beijing_rural",
    "demo-partner-beijing_urban", "demo-partner-china_hotel", "demo-partner-china_transport")]
for name in SPEC_EXAMPLES:
    valid(["DSC-ACS-001", "DSC-ACS-002", "DSC-ACS-004", "DSC-ACS-032"], load(name),
          f"ACPs-spec-ACS v02.01 §4 example ({name}); its pre-v02 AIC fits the ten-level format and "
          "is read as v02.01 levels; canonical bytes by rfc8785, search text by hand")
for name in INSTANCES:
    valid(["DSC-ACS-001", "DSC-ACS-002", "DSC-ACS-016"], load(name),
          f"ACPs demo document {name}: the {{AIC}} placeholder left in its amqps inbox URL is accepted")
valid(["DSC-ACS-001", "DSC-ACS-009", "DSC-ACS-012", "DSC-ACS-013", "DSC-ACS-015", "DSC-ACS-017",
       "DSC-ACS-024", "DSC-PRC-001"], FULL, "every member this part knows, each scheme type, all four transports")
valid(["DSC-ACS-001", "DSC-ACS-019"], MINIMAL, "required members only; empty arrays and maps are allowed")
valid(["DSC-ACS-002"], with_extensions(FULL), "unknown members at every level are kept and accepted")
for ptr, value, reqs, why in [
    ("/protocolVersion", "02.02", ["DSC-ACS-005"], "a later minor version of 02"),
    ("/version", "1.2.0-beta.1+exp.sha.5114f85", ["DSC-ACS-008"], "SemVer pre-release and build"),
    ("/version", "2025.10.01", ["DSC-ACS-008"], "three numbers, leading zeros allowed"),
    ("/lastModifiedTime", "2025-03-15T16:30:00.123456789-05:30", ["DSC-ACS-006"], "nine fractional digits, negative offset"),
    ("/lastModifiedTime", "2024-02-29T23:59:59Z", ["DSC-ACS-006"], "a leap day in UTC"),
    ("/endPoints/0/url", "ws://127.0.0.1:8765/aip", ["DSC-ACS-015"], "plain ws on loopback"),
    ("/endPoints/1/url", "https://[2001:db8::1]:8443/rpc", ["DSC-ACS-009"], "an IPv6 literal host with a port"),
    ("/endPoints/1/security", [], ["DSC-ACS-017"], "an empty requirement list"),
    ("/endPoints/1/security", [{}], ["DSC-ACS-017"], "an empty requirement: anonymous access"),
    ("/capabilities/messageQueue", ["redis:>=7.0", "kafka:3.1", "amqp:>=0.9.1", "mqtt:5.0.0", "rabbitmq:3.*"],
     ["DSC-ACS-020"], "the four expression forms"),
    ("/defaultInputModes", ["*/*", "application/vnd.api+json", 'text/plain; charset="utf-8"'],
     ["DSC-ACS-019"], "a media range, a structured suffix, a quoted parameter"),
    ("/skills/1/id", "a.b", ["DSC-ACS-021"], "two segments are enough"),
    ("/skills/1/id", "x_1:y-2", ["DSC-ACS-021"], "colon separators, underscore and hyphen inside segments"),
    ("/skills/1/pricing", [{"unit": "x-image", "pricePerUnit": "0", "asset": "USDT", "minimum": "5", "maximum": "5"}],
     ["DSC-PRC-002", "DSC-PRC-003", "DSC-PRC-005"], "a private unit, a zero price, minimum equal to maximum"),
    ("/provider/countryCode", "US", ["DSC-ACS-011"], "another assigned code"),
    ("/securitySchemes/mtls/x-caChallengeBaseUrl", "https://ca.tea.example.com/challenge", ["DSC-ACS-012"],
     "the deprecated member is still accepted"),
]:
    doc = edit(slim(ptr), ptr, value)
    valid(reqs, doc, f"{why}: {ptr} = {json.dumps(value, ensure_ascii=False)}")

# ---------------------------------------------------------------- acs.check: invalid documents
case("bad", "acs.check", ["DSC-ACS-001", "DSC-ACS-003"], {"document": [FULL]},
     'the document is an array, not an object; member ""', error=ACS_INVALID)
for name in ("aic", "active", "lastModifiedTime", "protocolVersion", "name", "description", "version",
             "provider", "securitySchemes", "endPoints", "capabilities", "defaultInputModes",
             "defaultOutputModes", "skills"):
    bad(["DSC-ACS-001", "DSC-ACS-003"], f"/{name}", None, f"required member {name} missing", delete=True)
TYPES: list[tuple[str, Any, list[str], str]] = [
    ("/name", 5, ["DSC-ACS-001"], "name is a number"),
    ("/active", "true", ["DSC-ACS-001"], "active is a string"),
    ("/provider", [], ["DSC-ACS-001"], "provider is an array"),
    ("/securitySchemes", [], ["DSC-ACS-001"], "securitySchemes is an array"),
    ("/endPoints", {}, ["DSC-ACS-001"], "endPoints is an object"),
    ("/skills", {}, ["DSC-ACS-001"], "skills is an object"),
    ("/defaultOutputModes", "text/plain", ["DSC-ACS-019"], "modes are an array, not a string"),
    ("/aic", "1.2.156.3088.0001.00001.FW49KF.06LGSK.1.0FVY", ["DSC-ACS-004"], "the acsSchema.json example AIC: level 5 has four characters"),
    ("/aic", AIC.lower(), ["DSC-ACS-004"], "lower case is not the canonical form"),
    ("/aic", AIC + " ", ["DSC-ACS-004"], "a trailing space"),
    ("/aic", "1.2.156.3088.1.34C2.478BDF.3GF546.0JU4", ["DSC-ACS-004"], "nine levels"),
    ("/aic", "1.2.156.3088.1.1.34C2.478BDF.3GF546.ZZZZ", ["DSC-ACS-004"], "checksum above 1EKF"),
    ("/aic", "3f2a9c1e7b8d4a6f0e1c2b3a4d5e6f70", ["DSC-ACS-004"], "a hex id, not an AIC"),
    ("/protocolVersion", "02.1", ["DSC-ACS-005"], "minor of one digit"),
    ("/protocolVersion", "03.00", ["DSC-ACS-005"], "another major version"),
    ("/protocolVersion", 2.01, ["DSC-ACS-005"], "a number"),
    ("/lastModifiedTime", "2025-03-15 16:30:00+08:00", ["DSC-ACS-006"], "a space instead of T"),
    ("/lastModifiedTime", "2025-03-15T16:30:00", ["DSC-ACS-006"], "no offset"),
    ("/lastModifiedTime", "2025-02-30T00:00:00Z", ["DSC-ACS-006"], "February 30th"),
    ("/lastModifiedTime", "2025-03-15T24:00:00Z", ["DSC-ACS-006"], "hour 24"),
    ("/lastModifiedTime", "2025-03-15T16:30:60Z", ["DSC-ACS-006"], "second 60"),
    ("/lastModifiedTime", "2025-03-15T16:30Z", ["DSC-ACS-006"], "no seconds"),
    ("/lastModifiedTime", "2025-03-15T16:30:00+24:00", ["DSC-ACS-006"], "offset hour 24"),
    ("/name", "   ", ["DSC-ACS-007"], "name of spaces only"),
    ("/description", "", ["DSC-ACS-007"], "empty description"),
    ("/skills/0/name", "", ["DSC-ACS-007"], "empty skill name"),
    ("/version", "v1.0.0", ["DSC-ACS-008"], "a v prefix"),
    ("/version", "1.0.0.0", ["DSC-ACS-008"], "four numbers"),
    ("/version", "1..0", ["DSC-ACS-008"], "an empty number"),
    ("/skills/0/version", "latest", ["DSC-ACS-008"], "a word"),
    ("/iconUrl", "ftp://cdn.tea.example.com/icon.png", ["DSC-ACS-009"], "scheme ftp"),
    ("/iconUrl", "//cdn.tea.example.com/icon.png", ["DSC-ACS-009"], "no scheme"),
    ("/iconUrl", "https://", ["DSC-ACS-009"], "no host"),
    ("/iconUrl", "HTTPS://cdn.tea.example.com/icon.png", ["DSC-ACS-009"], "scheme in upper case"),
    ("/documentationUrl", "https://user:pw@docs.tea.example.com/", ["DSC-ACS-009"], "user information"),
    ("/documentationUrl", "https://docs.tea.example.com/a b", ["DSC-ACS-009"], "a space"),
    ("/documentationUrl", "https://docs.tea.example.com/%zz", ["DSC-ACS-009"], "a bad percent escape"),
    ("/webAppUrl", "https://tea.example.com:0/app", ["DSC-ACS-009"], "port 0"),
    ("/webAppUrl", "https://tea.example.com:70000/app", ["DSC-ACS-009"], "port above 65535"),
    ("/webAppUrl", "https://tea.example.com:/app", ["DSC-ACS-009"], "an empty port"),
    ("/webAppUrl", "https://bad_host.tea.example.com/", ["DSC-ACS-009"], "underscore in a host name"),
    ("/webAppUrl", "https://茶.example.com/", ["DSC-ACS-009"], "a Unicode host (A-labels required)"),
    ("/provider/url", "mailto:ops@tea.example.com", ["DSC-ACS-009"], "not a web URL"),
    ("/securitySchemes/oidc/openIdConnectUrl", "wss://auth.tea.example.com/", ["DSC-ACS-009"], "scheme URLs are web URLs"),
    ("/provider/email", "ops.tea.example.com", ["DSC-ACS-010"], "no @"),
    ("/provider/email", "ops@localhost", ["DSC-ACS-010"], "a one-label mail domain"),
    ("/provider/organization", 5, ["DSC-ACS-010"], "organization is a number"),
    ("/provider/countryCode", "cn", ["DSC-ACS-011"], "lower case"),
    ("/provider/countryCode", "CHN", ["DSC-ACS-011"], "alpha-3"),
    ("/provider/countryCode", "XK", ["DSC-ACS-011"], "user-assigned, not officially assigned"),
    ("/provider/domainRegistrations", {}, ["DSC-ACS-025"], "not an array"),
    ("/provider/domainRegistrations/0/registrationType", "DNS", ["DSC-ACS-025"], "neither ICP nor WHOIS"),
    ("/provider/domainRegistrations/0/domain", "https://tea.example.com", ["DSC-ACS-025"], "a URL, not a domain"),
    ("/provider/domainRegistrations/0/domain", "com", ["DSC-ACS-025"], "a single label"),
    ("/provider/domainRegistrations/1/registrationNumber", "", ["DSC-ACS-025"], "empty registration number"),
    ("/securitySchemes/mtls/type", "basic", ["DSC-ACS-012"], "an unknown scheme type"),
    ("/securitySchemes/key/in", "body", ["DSC-ACS-012"], "apiKey in body"),
    ("/securitySchemes/bearer/scheme", "", ["DSC-ACS-012"], "empty http scheme"),
    ("/securitySchemes/mtls", "mutualTLS", ["DSC-ACS-012"], "a scheme that is a string"),
    ("/securitySchemes/mtls/x-caChallengeBaseUrl", "challenge", ["DSC-ACS-012", "DSC-ACS-009"], "deprecated URL member not a URL"),
    ("/securitySchemes/oauth/flows", {}, ["DSC-ACS-013"], "no flow"),
    ("/securitySchemes/oauth/flows/clientCredentials/scopes/plan", 1, ["DSC-ACS-013"], "a scope description that is a number"),
    ("/securitySchemes/oauth/flows/authorizationCode/refreshUrl", "refresh", ["DSC-ACS-013", "DSC-ACS-009"], "refreshUrl not a URL"),
    ("/endPoints/1/transport", "GRPC", ["DSC-ACS-014"], "an unknown transport"),
    ("/endPoints/1/transport", "jsonrpc", ["DSC-ACS-014"], "transport names are upper case"),
    ("/endPoints/1/url", "wss://api.tea.example.com/rpc", ["DSC-ACS-014"], "JSONRPC over a ws URL"),
    ("/endPoints/0/url", "https://agents.tea.example.com/aip", ["DSC-ACS-015"], "WEBSOCKET with an https URL"),
    ("/endPoints/2/url", "amqps://mq.tea.example.com:5671/acps?inbox=x", ["DSC-ACS-014"], "HTTP_JSON with an amqps URL"),
    ("/endPoints/3/url", "amqp://mq.tea.example.com:5672/acps?inbox=inbox_{AIC}", ["DSC-ACS-016"], "AMQP without TLS"),
    ("/endPoints/3/url", "amqps://mq.tea.example.com:5671/acps", ["DSC-ACS-016"], "AMQP without an inbox"),
    ("/endPoints/3/url", "amqps://{AIC}.mq.tea.example.com/acps?inbox=i", ["DSC-ACS-016"], "the placeholder in the host"),
    ("/endPoints/1/url", "https://api.tea.example.com/rpc/{AIC}", ["DSC-ACS-016"], "the placeholder outside an AMQP URL"),
    ("/endPoints/1/security", {"mtls": []}, ["DSC-ACS-017"], "a requirement object, not a list"),
    ("/endPoints/1/security/0", ["mtls"], ["DSC-ACS-017"], "a requirement that is a list"),
    ("/endPoints/1/security/1/oidc", "openid", ["DSC-ACS-017"], "scopes as a string"),
    ("/endPoints/1/security/1/oidc/0", 1, ["DSC-ACS-017"], "a scope that is a number"),
    ("/capabilities/streaming", "yes", ["DSC-ACS-018"], "streaming is a string"),
    ("/capabilities/notification", None, ["DSC-ACS-018"], "notification is null"),
    ("/capabilities/messageQueue", "mqtt:5.*", ["DSC-ACS-018"], "messageQueue is a string"),
    ("/defaultInputModes/0", "text", ["DSC-ACS-019"], "no subtype"),
    ("/defaultInputModes/1", "application/json;", ["DSC-ACS-019"], "an empty parameter"),
    ("/skills/0/outputModes/1", "image/**", ["DSC-ACS-019"], "a bad range"),
    ("/skills/0/inputModes/0", 7, ["DSC-ACS-019"], "a number"),
    ("/skills/0/id", "sight-recommender", ["DSC-ACS-021"], "no namespace"),
    ("/skills/0/id", "beijing-tour/sight-recommender", ["DSC-ACS-021"], "a slash, as in the acsSchema.json example"),
    ("/skills/0/id", "a.b:c", ["DSC-ACS-021"], "mixed separators"),
    ("/skills/0/id", "a..b", ["DSC-ACS-021"], "an empty segment"),
    ("/skills/0/id", "a." + "b" * 127, ["DSC-ACS-021"], "longer than 128 characters"),
    ("/skills/1/id", "tea-tour.route.plan", ["DSC-ACS-021"], "the id of skill 0 again"),
    ("/skills/0/tags", "tea", ["DSC-ACS-022"], "tags as a string"),
    ("/skills/0/tags/1", "", ["DSC-ACS-022"], "an empty tag"),
    ("/skills/0/examples/0", 1, ["DSC-ACS-022"], "an example that is a number"),
    ("/entityUserId", "", ["DSC-ACS-023"], "empty entityUserId"),
    ("/entityUserId", 42, ["DSC-ACS-023"], "entityUserId a number"),
    ("/entityMeta", [], ["DSC-ACS-023"], "entityMeta an array"),
    ("/certificate", "365", ["DSC-ACS-024"], "certificate a string"),
    ("/certificate/altNames/dns/0", "10.0.0.1", ["DSC-ACS-024"], "an IP address among DNS names"),
    ("/certificate/altNames/dns/1", "*.*.tea.example.com", ["DSC-ACS-024"], "a wildcard beyond the first label"),
    ("/certificate/altNames/ip/0", "10.0.0.0/8", ["DSC-ACS-024"], "a CIDR block"),
    ("/certificate/altNames/ip/1", "fe80::1%eth0", ["DSC-ACS-024"], "a zone index"),
    ("/certificate/altNames/ip/0", "256.1.1.1", ["DSC-ACS-024"], "not an IPv4 address"),
    ("/certificate/requestedValidity", 0, ["DSC-ACS-024"], "zero days"),
    ("/certificate/requestedValidity", 365.5, ["DSC-ACS-024"], "a fraction of a day"),
    ("/certificate/requestedValidity", True, ["DSC-ACS-024"], "a boolean"),
    ("/skills/0/pricing", {"unit": "call", "pricePerUnit": "1", "asset": "CNY"}, ["DSC-PRC-001"], "one price object, not a list"),
    ("/skills/0/pricing", [], ["DSC-PRC-001"], "an empty price list"),
    ("/skills/0/pricing/0/unit", "token", ["DSC-PRC-002"], "an unregistered unit"),
    ("/skills/0/pricing/0/unit", "X-image", ["DSC-PRC-002"], "a private unit in upper case"),
    ("/skills/0/pricing/0/pricePerUnit", 2, ["DSC-PRC-003"], "a JSON number"),
    ("/skills/0/pricing/0/pricePerUnit", "2.5", ["DSC-PRC-003"], "a decimal fraction"),
    ("/skills/0/pricing/0/pricePerUnit", "-1", ["DSC-PRC-003"], "negative"),
    ("/skills/0/pricing/0/pricePerUnit", "01", ["DSC-PRC-003"], "a leading zero"),
    ("/skills/0/pricing/0/pricePerUnit", "1e3", ["DSC-PRC-003"], "an exponent"),
    ("/skills/0/pricing/0/pricePerUnit", "1" * 19, ["DSC-PRC-003"], "nineteen digits"),
    ("/skills/0/pricing/0/per", "0", ["DSC-PRC-003"], "per zero units"),
    ("/skills/0/pricing/0/asset", "cny", ["DSC-PRC-003"], "a lower-case asset"),
    ("/skills/0/pricing/1/minimum", 1, ["DSC-PRC-003"], "a minimum that is a number"),
    ("/skills/0/pricing/1/unit", "token.input", ["DSC-PRC-004"], "the same unit twice"),
    ("/skills/0/pricing/1/asset", "USD", ["DSC-PRC-004"], "two assets in one skill"),
    ("/skills/0/pricing/1/maximum", "0", ["DSC-PRC-005"], "maximum below minimum"),
]
for ptr, value, reqs, why in TYPES:
    bad(["DSC-ACS-003", *reqs], ptr, value, why)
bad(["DSC-ACS-007", "DSC-ACS-003"], "/skills/1/description", None,
    "a skill without description", delete=True)
bad(["DSC-ACS-022", "DSC-ACS-003"], "/skills/0/tags", None, "a skill without tags", delete=True)
bad(["DSC-ACS-012", "DSC-ACS-003"], "/securitySchemes/oidc/openIdConnectUrl", None, "openIdConnect without its URL", delete=True)
bad(["DSC-ACS-012", "DSC-ACS-003"], "/securitySchemes/key/name", None, "apiKey without name", delete=True)
bad(["DSC-ACS-013", "DSC-ACS-003"], "/securitySchemes/oauth/flows/clientCredentials/scopes", None, "a flow without scopes", delete=True)
bad(["DSC-ACS-018", "DSC-ACS-003"], "/capabilities/messageQueue", None, "capabilities without messageQueue", delete=True)
bad(["DSC-PRC-001", "DSC-ACS-003"], "/skills/0/pricing/0/asset", None, "a price without asset", delete=True)
bad(["DSC-ACS-013", "DSC-ACS-003"], "/securitySchemes/oauth/flows/implicit", {"scopes": {}},
    "an implicit flow without authorizationUrl", member="/securitySchemes/oauth/flows/implicit/authorizationUrl")
bad(["DSC-ACS-012", "DSC-ACS-003"], "/securitySchemes/m tls", {"type": "mutualTLS"}, "a scheme name with a space",
    member="/securitySchemes/m tls")
bad(["DSC-ACS-017", "DSC-ACS-003"], "/endPoints/0/security/0/jwt", [], "a requirement naming an undeclared scheme")
bad(["DSC-ACS-017", "DSC-ACS-003"], "/endPoints/0/security/0/a~1b", [], "RFC 6901 escaping of an undeclared name a/b",
    member="/endPoints/0/security/0/a~1b")

# ---------------------------------------------------------------- acs.version_expression
for text in ["kafka:>=2.8 <4.0", "mqtt:5.*", "amqp:>=0.9.1", "redis:>=7.0", "rabbitmq:>=4.2", "kafka:3.1",
             "rabbitmq:3.*", "rabbitmq:3.11.2", "kafka:>=2.8.1 <2.8.2", "mqtt:0.0"]:
    case("mq", "acs.version_expression", ["DSC-ACS-020"], {"text": text},
         "one of the four forms of ACPs-spec-ACS §3.3 (the first six are its own examples)", expected={"valid": True})
for text, why in [("activemq:5.0", "a protocol outside the five"), ("mqtt:5", "one number"),
                  ("kafka:>=4.0 <2.8", "an empty range"), ("kafka:>=2.8 <2.8", "LOW equal to HIGH"),
                  ("kafka:2.8 <4.0", "a range without >="), ("mqtt:>=5.*", ">= with a wildcard (acsSchema.json's pattern allows it)"),
                  ("mqtt:5.*.1", "a wildcard then a number"), ("MQTT:5.0", "protocol in upper case"),
                  ("kafka: >=2.8", "a space after the colon"), ("kafka:>=2.8  <4.0", "two spaces"),
                  ("redis:07.0", "a leading zero"), ("kafka:>=2.8 <4.*", "a wildcard as HIGH"),
                  ("rabbitmq", "no expression"), ("rabbitmq:3.11.2.1", "four numbers")]:
    case("mq", "acs.version_expression", ["DSC-ACS-020"], {"text": text}, f'{why}; member ""', error=ACS_INVALID)

# ---------------------------------------------------------------- acs.check_submission
SUBMISSION = {k: v for k, v in FULL.items() if k not in ("aic", "active", "lastModifiedTime")}
SUBMISSION["endPoints"] = edit({"e": FULL["endPoints"]}, "/e/3/url",
                               "amqps://mq.tea.example.com:5671/acps?inbox=inbox_{AIC}")["e"]
valid(["DSC-ACS-026"], SUBMISSION, "a submission without the registry-maintained members",
      op="acs.check_submission")
valid(["DSC-ACS-026"], {**SUBMISSION, "aic": 5, "active": "yes", "lastModifiedTime": "yesterday"},
      "registry-maintained members are ignored, whatever they hold", op="acs.check_submission")
bad(["DSC-ACS-026", "DSC-ACS-007"], "/name", "", "every other rule still applies", base=SUBMISSION,
    op="acs.check_submission")
case("bad", "acs.check", ["DSC-ACS-026", "DSC-ACS-001"], {"document": SUBMISSION},
     'check_acs on a submission: aic is required; member "/aic"', error=ACS_INVALID)

# ---------------------------------------------------------------- acs.publish
PUBLISHED = edit(FULL, "/lastModifiedTime", "2026-11-21T10:00:00.000000Z")
case("pub", "acs.publish", ["DSC-ACS-027", "DSC-ACS-016"],
     {"document": {**SUBMISSION, "integrity": {"alg": "EdDSA", "kid": "old", "sig": "old"}}, "aic": AIC,
      "active": True, "modified": "2026-11-21T18:00:00+08:00"},
     "registry members set, UTC time with six fractional digits, {AIC} replaced in the AMQP URL, old integrity "
     "dropped; expected document written by hand", expected={"document": PUBLISHED})
case("pub", "acs.publish", ["DSC-ACS-027"],
     {"document": MINIMAL, "aic": AIC.lower(), "active": False, "modified": "2026-11-21T10:00:00.5Z"},
     "the AIC is written canonically; half a second is .500000", expected={"document": {
         **MINIMAL, "aic": AIC, "active": False, "lastModifiedTime": "2026-11-21T10:00:00.500000Z"}})
case("pub", "acs.publish", ["DSC-ACS-027", "DSC-ACS-004"],
     {"document": MINIMAL, "aic": "1.2.3", "active": True, "modified": "2026-11-21T10:00:00Z"},
     'the registry passed something that is not an AIC; member "/aic"', error=ACS_INVALID)
case("pub", "acs.publish", ["DSC-ACS-027", "DSC-ACS-008"],
     {"document": edit(MINIMAL, "/version", "v1"), "aic": AIC, "active": True, "modified": "2026-11-21T10:00:00Z"},
     'the published document must pass every rule; member "/version"', error=ACS_INVALID)

# ---------------------------------------------------------------- acs.sign and acs.verify
for doc, kid, why in [(PUBLISHED, None, "the published document, kid = RFC 7638 thumbprint"),
                      ({**PUBLISHED, "integrity": {"alg": "EdDSA", "kid": "old", "sig": "old"}}, None,
                       "an old integrity member is replaced"),
                      (with_extensions(PUBLISHED), "registry-node-1", "unknown members are covered; an explicit kid")]:
    signed = sign(doc, kid or KID)
    body = {k: v for k, v in doc.items() if k != "integrity"}
    inp = {"document": doc, "seed_hex": SEED.hex(), **({"kid": kid} if kid else {})}
    case("sign", "acs.sign", ["DSC-ACS-028"], inp, f"{why}; Ed25519 (cryptography) over rfc8785 bytes",
         expected={"sig": signed["integrity"]["sig"], "kid": signed["integrity"]["kid"],
                   "signing_input_sha256_hex": hashlib.sha256(rfc8785.dumps(body)).hexdigest()})
case("sign", "acs.sign", ["DSC-ACS-028"], {"document": edit(PUBLISHED, "/skills/0/tags", None, delete=True),
                                           "seed_hex": SEED.hex()},
     'the registry refuses to sign a document that breaks a rule; member "/skills/0/tags"', error=ACS_INVALID)

SIGNED = sign(PUBLISHED)
SIGNED_EXT = sign(with_extensions(PUBLISHED))
KEYS = {"public_key_hex": PUBLIC.hex()}
for doc, why in [(SIGNED, "the signed published document"), (SIGNED_EXT, "unknown members kept and covered"),
                 (sign(load(SPEC_EXAMPLES[0])), "the first ACS example, signed")]:
    case("verify", "acs.verify", ["DSC-ACS-029"], {"document": doc, **KEYS}, why,
         expected={"verified": True, "kid": KID})
case("verify", "acs.verify", ["DSC-ACS-029"],
     {"document": sign(PUBLISHED, "registry-node-1"), **KEYS, "kid": "registry-node-1"},
     "a kid the verifier maps to the registry key", expected={"verified": True, "kid": "registry-node-1"})
TAMPER: list[tuple[str, Any, str]] = [
    ("/active", False, "active flipped"), ("/lastModifiedTime", "2026-11-21T10:00:01.000000Z", "time moved"),
    ("/skills/0/tags/0", "Tea", "one letter of a tag"), ("/skills/0/pricing/1/pricePerUnit", "9", "a price raised"),
    ("/endPoints/0/url", "wss://agents.tea.example.com/aip2", "an endpoint redirected"),
    ("/provider/domainRegistrations/1/domain", "example.net", "a registration changed"),
    ("/x-added", True, "an unknown member added"), ("/certificate/requestedValidity", 3650, "validity raised"),
]
for ptr, value, why in TAMPER:
    case("verify", "acs.verify", ["DSC-ACS-029"], {"document": edit(SIGNED, ptr, value), **KEYS},
         f"{why} after signing ({ptr})", error=SIGNATURE_INVALID)
case("verify", "acs.verify", ["DSC-ACS-029", "DSC-ACS-002"],
     {"document": edit(SIGNED_EXT, "/futureTopLevel", None, delete=True), **KEYS},
     "an unknown member dropped after signing: a lossy relay breaks the signature", error=SIGNATURE_INVALID)
case("verify", "acs.verify", ["DSC-ACS-029"], {"document": PUBLISHED, **KEYS}, "no integrity member",
     error=INTEGRITY_MISSING)
case("verify", "acs.verify", ["DSC-ACS-029"], {"document": SIGNED, "public_key_hex": "00" * 31 + "01"},
     "signed by a key the verifier does not trust (kid unknown)", error=KEY_UNKNOWN)
case("verify", "acs.verify", ["DSC-ACS-029", "DSC-ACS-005"],
     {"document": sign(edit(PUBLISHED, "/protocolVersion", "03.00")), **KEYS},
     'a correctly signed document that breaks a rule; member "/protocolVersion"', error=ACS_INVALID)

# ---------------------------------------------------------------- acs.domains
def domains(reqs: list[str], doc: dict[str, Any], why: str, *, loopback: bool = False, member: str | None = None) -> None:
    inp = {"document": doc, **({"allow_loopback": True} if loopback else {})}
    if member is None:
        case("dom", "acs.domains", reqs, inp, why, expected={"owned": True})
    else:
        case("dom", "acs.domains", reqs, inp, f'{why}; member "{member}"', error=DOMAIN_NOT_OWNED)


D = ["DSC-ACS-030"]
domains(D, FULL, "every host is tea.example.com or below it")
domains(D, edit(FULL, "/endPoints/1/url", "https://tea.example.com/rpc"), "a host equal to a registered domain")
domains(D, edit(FULL, "/endPoints/1/url", "https://API.Tea.Example.COM/rpc"), "hosts compare case-insensitively")
domains(D, edit(FULL, "/provider/domainRegistrations/0/domain", "Tea.Example.com"), "registered domains too")
domains(D, edit(FULL, "/documentationUrl", "https://docs.example.org/planner"), "the second registration covers it")
domains(D, MINIMAL, "no URL, nothing to own")
domains(D, edit(FULL, "/endPoints/1/url", "https://eviltea.example.com/rpc"), "a suffix that is not a label boundary",
        member="/endPoints/1/url")
domains(D, edit(FULL, "/endPoints/1/url", "https://tea.example.com.evil.net/rpc"), "a registered name as a prefix",
        member="/endPoints/1/url")
domains(D, edit(FULL, "/endPoints/2/url", "https://192.0.2.1/v1"), "an IP literal is never owned", member="/endPoints/2/url")
domains(D, edit(FULL, "/securitySchemes/oidc/openIdConnectUrl", "https://accounts.google.com/.well-known/openid-configuration"),
        "a third-party identity provider is a URL of the document too", member="/securitySchemes/oidc/openIdConnectUrl")
domains(D, edit(FULL, "/securitySchemes/oauth/flows/authorizationCode/refreshUrl", "https://auth.other.example/r"),
        "an OAuth flow URL", member="/securitySchemes/oauth/flows/authorizationCode/refreshUrl")
domains(D, edit(FULL, "/certificate/altNames/dns/1", "*.example.com"), "a wildcard above the registered domain",
        member="/certificate/altNames/dns/1")
domains(D, edit(FULL, "/provider/domainRegistrations", None, delete=True), "no registrations: the first URL fails",
        member="/iconUrl")
domains(D, edit(FULL, "/provider/url", "https://tea.example.net"), "provider.url", member="/provider/url")
domains(D, load(SPEC_EXAMPLES[0]), "the first ACS example registers no domain", member="/iconUrl")
LOOP = edit(edit(edit(FULL, "/endPoints/0/url", "ws://127.0.0.1:8765/aip"), "/endPoints/1/url",
                 "https://[::1]:8443/rpc"), "/endPoints/2/url", "http://localhost:8080/v1")
domains(["DSC-ACS-031"], LOOP, "loopback hosts pass on a development node", loopback=True)
domains(["DSC-ACS-030", "DSC-ACS-031"], LOOP, "and fail otherwise", member="/endPoints/0/url")
domains(["DSC-ACS-031"], edit(LOOP, "/endPoints/0/url", "ws://10.0.0.1:8765/aip"), "a private address is not loopback",
        loopback=True, member="/endPoints/0/url")
domains(["DSC-ACS-031"], load(INSTANCES[1]), "an ACPs demo document: its localhost endpoints pass, provider.url "
        "https://ioa.pub is not registered", loopback=True, member="/provider/url")


def dump(doc: dict[str, Any]) -> str:
    """The file text: one line per case, so that large documents stay readable as rows."""
    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    head = [f"  {compact(k)}: {compact(v)}," for k, v in doc.items() if k != "cases"]
    rows = ",\n".join(f"    {compact(c)}" for c in doc["cases"])
    return "{\n" + "\n".join(head) + '\n  "cases": [\n' + rows + "\n  ]\n}\n"


def main() -> None:
    doc = {
        "format": "aip-vectors/1",
        "area": "discovery.acs",
        "description": "ACS capability documents (spec Part 8, DSC-ACS and DSC-PRC): the two ACS examples of "
                       "ACPs-spec-ACS v02.01 and six ACPs demo documents, hand-written valid and invalid documents "
                       "(one changed member each, named in the comment), MQ version expressions, the registry's "
                       "publish step, its Ed25519 signature (RFC 8032 TEST 1 seed) and the domain rule. Expected "
                       "values from tools/gen_acs_vectors.py (rfc8785, cryptography, hand transcription).",
        "cases": CASES,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(dump(doc), encoding="utf-8")
    print(OUT.relative_to(ROOT), len(CASES))


if __name__ == "__main__":
    main()
