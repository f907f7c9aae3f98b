"""ACS capability documents (ACPs-spec-ACS v02.01) as spec Part 8 enforces them (DSC-ACS, DSC-PRC).

Pure core.  An ACS document stays the JSON object it arrived as: the functions here check it
and hand back *the very object given*, so unknown members at any level survive a round trip
byte for byte [DSC-ACS-002].  Which function to call:

* :func:`check_submission` on what a provider submits for registration;
* :func:`published` in the registry, to set the registry-maintained members, then
  :func:`sign_acs` with the node key before the document leaves the registry;
* :func:`verify_acs` on a document received from another node (signature, then rules);
* :func:`check_domains` where the registry decides whether the provider owns every host;
* :func:`search_fields` and :func:`skill` for the store and the ranker.

Every refusal is a :class:`~aip.errors.DiscoveryError` with ACS_INVALID (-33801) or
DOMAIN_NOT_OWNED (-33804) carrying ``data.member``, the JSON Pointer of the first bad member;
signature failures are Part 3's :class:`~aip.errors.IntegrityError`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from aip.discovery import acs_fields as f
from aip.discovery.acs_fields import SCHEME_TYPES, fail, member, pointer
from aip.errors import AicError, Code, DiscoveryError
from aip.identity.aic import parse_aic
from aip.identity.keys import SigningKey
from aip.integrity import INTEGRITY, KeyResolver, sign_object, verify_object

__all__ = [
    "PROTOCOL_VERSION", "REGISTRY_FIELDS", "SCHEME_TYPES", "TRANSPORTS", "check_acs",
    "check_domains", "check_submission", "check_version_expression", "format_time", "published",
    "search_fields", "sign_acs", "skill", "verify_acs",
]

PROTOCOL_VERSION = "02.01"
TRANSPORTS = ("JSONRPC", "HTTP_JSON", "AMQP", "WEBSOCKET")  # [DSC-ACS-014] [DSC-ACS-015]
REGISTRY_FIELDS = ("aic", "active", "lastModifiedTime")  # [DSC-ACS-026]

_WEB = ("http", "https")
_URL_SCHEMES = {"JSONRPC": _WEB, "HTTP_JSON": _WEB, "AMQP": ("amqps",), "WEBSOCKET": ("ws", "wss")}
_TOP_URLS = ("iconUrl", "documentationUrl", "webAppUrl")
_SCHEME_URL = {"openIdConnect": "openIdConnectUrl", "mutualTLS": "x-caChallengeBaseUrl"}


# ---------------------------------------------------------------- the rules


def check_acs(doc: Any) -> dict[str, Any]:
    """Check a complete ACS document (stored, published or relayed) against every rule.

    Returns ``doc`` itself, unchanged.  Unknown members are allowed wherever member names are
    free (not as scheme, requirement or scope names); ``integrity`` is not inspected here (see
    :func:`verify_acs`).  Raises :class:`DiscoveryError` ACS_INVALID (-33801) with
    ``data.member`` the pointer of the first bad member in the check order of
    [DSC-ACS-003].
    """
    return _check(doc, submission=False)


def check_submission(doc: Any) -> dict[str, Any]:
    """Check what a provider submits: every rule of :func:`check_acs` except that the
    registry-maintained members :data:`REGISTRY_FIELDS` are ignored, present or not, whatever
    their value; :func:`published` overwrites them [DSC-ACS-026].  Returns ``doc``; raises
    ACS_INVALID (-33801)."""
    return _check(doc, submission=True)


def _check(doc: Any, *, submission: bool) -> dict[str, Any]:
    root = f.obj(doc, "")  # [DSC-ACS-001]
    if not submission:
        _aic(member(root, "aic", ""), "/aic")
        f.boolean(member(root, "active", ""), "/active")
        f.timestamp(member(root, "lastModifiedTime", ""), "/lastModifiedTime")
    f.protocol_version(member(root, "protocolVersion", ""), "/protocolVersion")
    f.text(member(root, "name", ""), "/name", nonempty=True)  # [DSC-ACS-007]
    f.text(member(root, "description", ""), "/description", nonempty=True)
    f.version(member(root, "version", ""), "/version")
    for name in _TOP_URLS:
        if name in root:
            f.url(root[name], f"/{name}", _WEB)
    _provider(member(root, "provider", ""))
    schemes = f.security_schemes(member(root, "securitySchemes", ""))
    _endpoints(member(root, "endPoints", ""), schemes)
    _capabilities(member(root, "capabilities", ""))
    for name in ("defaultInputModes", "defaultOutputModes"):
        _modes(member(root, name, ""), f"/{name}")
    _skills(member(root, "skills", ""))
    if "entityUserId" in root:  # [DSC-ACS-023]
        f.text(root["entityUserId"], "/entityUserId", nonempty=True)
    if "entityMeta" in root:
        f.obj(root["entityMeta"], "/entityMeta")
    if "certificate" in root:
        _certificate(root["certificate"])
    return root


def _aic(value: Any, at: str) -> str:
    """Part 4 format and ranges, written canonically; the checksum is not checked [DSC-ACS-004]."""
    try:
        canonical = str(parse_aic(value))
    except AicError:
        fail(at, "is not an AIC (format or range, Part 4)")
    if canonical != value:
        fail(at, "must be written canonically: upper case, no surrounding spaces")
    return canonical


def _provider(value: Any) -> None:
    """[DSC-ACS-010] [DSC-ACS-011]"""
    at = "/provider"
    provider = f.obj(value, at)
    if "countryCode" in provider:
        f.country_code(provider["countryCode"], f"{at}/countryCode")
    for name in ("organization", "department", "license", "name"):
        if name in provider:
            f.text(provider[name], pointer(at, name))
    if "url" in provider:
        f.url(provider["url"], f"{at}/url", _WEB)
    if "email" in provider:
        f.email(provider["email"], f"{at}/email")
    if "domainRegistrations" in provider:
        at = f"{at}/domainRegistrations"
        entries = provider["domainRegistrations"]
        if not isinstance(entries, list):
            fail(at, "must be an array")
        for i, entry in enumerate(entries):
            here = pointer(at, i)
            f.obj(entry, here)
            f.dns_name(member(entry, "domain", here), f"{here}/domain", min_labels=2)
            f.text(member(entry, "registrationNumber", here), f"{here}/registrationNumber",
                   nonempty=True)  # fmt: skip
            if member(entry, "registrationType", here) not in ("ICP", "WHOIS"):
                fail(f"{here}/registrationType", "must be ICP or WHOIS")


def _endpoints(value: Any, schemes: set[str]) -> None:
    """[DSC-ACS-014] [DSC-ACS-015] [DSC-ACS-016] [DSC-ACS-017]"""
    if not isinstance(value, list):
        fail("/endPoints", "must be an array")
    for i, entry in enumerate(value):
        at = f"/endPoints/{i}"
        endpoint = f.obj(entry, at)
        transport = member(endpoint, "transport", at)
        if transport not in TRANSPORTS:
            fail(f"{at}/transport", f"must be one of {', '.join(TRANSPORTS)}")
        amqp = transport == "AMQP"
        url = f.url(member(endpoint, "url", at), f"{at}/url", _URL_SCHEMES[transport],
                    placeholder=amqp)  # fmt: skip
        if amqp and not _has_inbox(url):
            fail(f"{at}/url", "an AMQP endpoint names its inbox queue: ?inbox=<queue>")
        if "security" in endpoint:
            f.requirements(endpoint["security"], f"{at}/security", schemes)


def _has_inbox(url: str) -> bool:
    query = url.partition("?")[2].partition("#")[0]
    return any(p.startswith("inbox=") and len(p) > len("inbox=") for p in query.split("&"))


def _capabilities(value: Any) -> None:
    """[DSC-ACS-018] [DSC-ACS-020]"""
    at = "/capabilities"
    caps = f.obj(value, at)
    f.boolean(member(caps, "streaming", at), f"{at}/streaming")
    f.boolean(member(caps, "notification", at), f"{at}/notification")
    queues = member(caps, "messageQueue", at)
    if not isinstance(queues, list):
        fail(f"{at}/messageQueue", "must be an array")
    for i, expression in enumerate(queues):
        f.mq_expression(expression, f"{at}/messageQueue/{i}")


def _modes(value: Any, at: str) -> None:
    """A list of MIME types, possibly empty [DSC-ACS-019]."""
    if not isinstance(value, list):
        fail(at, "must be an array of MIME types")
    for i, mode in enumerate(value):
        f.mime_type(mode, pointer(at, i))


def _skills(value: Any) -> None:
    """[DSC-ACS-021] [DSC-ACS-022] and pricing [DSC-PRC-001]"""
    if not isinstance(value, list):
        fail("/skills", "must be an array")
    seen: set[str] = set()
    for i, entry in enumerate(value):
        at = f"/skills/{i}"
        item = f.obj(entry, at)
        ident = f.skill_id(member(item, "id", at), f"{at}/id")
        if ident in seen:
            fail(f"{at}/id", "repeats the id of an earlier skill")
        seen.add(ident)
        f.text(member(item, "name", at), f"{at}/name", nonempty=True)
        f.text(member(item, "description", at), f"{at}/description", nonempty=True)
        f.version(member(item, "version", at), f"{at}/version")
        f.string_list(member(item, "tags", at), f"{at}/tags")
        if "examples" in item:
            f.string_list(item["examples"], f"{at}/examples")
        for name in ("inputModes", "outputModes"):
            if name in item:
                _modes(item[name], f"{at}/{name}")
        if "pricing" in item:
            f.pricing(item["pricing"], f"{at}/pricing")


def _certificate(value: Any) -> None:
    """[DSC-ACS-024]"""
    at = "/certificate"
    cert = f.obj(value, at)
    if "altNames" in cert:
        names = f.obj(cert["altNames"], f"{at}/altNames")
        for kind in ("dns", "ip"):
            if kind not in names:
                continue
            here = f"{at}/altNames/{kind}"
            if not isinstance(names[kind], list):
                fail(here, "must be an array")
            for i, item in enumerate(names[kind]):
                if kind == "dns":
                    f.dns_name(item, f"{here}/{i}", wildcard=True)
                else:
                    f.ip_literal(item, f"{here}/{i}")
    if "requestedValidity" in cert:
        days = cert["requestedValidity"]
        if type(days) is not int or days < 1:
            fail(f"{at}/requestedValidity", "must be a whole number of days, at least 1")


def check_version_expression(text: str) -> None:
    """Check one MQ version expression such as ``kafka:>=2.8 <4.0`` [DSC-ACS-020].

    Raises ACS_INVALID (-33801) with ``data.member = ""`` (the expression itself).
    """
    f.mq_expression(text, "")


# ---------------------------------------------------------------- registry side


def format_time(moment: datetime) -> str:
    """``lastModifiedTime`` as the registry writes it: UTC, six fractional digits, ``Z``, so
    text order is time order [DSC-ACS-027].  Raises ``ValueError`` for a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("lastModifiedTime needs a timezone-aware datetime")
    t = moment.astimezone(UTC)
    return (f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:"
            f"{t.second:02d}.{t.microsecond:06d}Z")  # fmt: skip


def published(
    doc: Mapping[str, Any], *, aic: str, active: bool, modified: datetime
) -> dict[str, Any]:
    """The document as the registry publishes it: a copy with ``aic`` (canonical form),
    ``active`` and ``lastModifiedTime`` set, the ``{AIC}`` placeholder of AMQP endpoint URLs
    replaced by the AIC, and any old ``integrity`` removed [DSC-ACS-027].  The copy shares the
    members it does not change with ``doc`` (JSON values are never changed in place here).

    Call after :func:`check_submission` (or alone: the result is checked), then sign the
    result with :func:`sign_acs`.  The result passes :func:`check_acs`.  Raises ACS_INVALID
    (-33801) if ``aic`` is not an AIC, ``active`` not a bool, or the document breaks a rule;
    ``ValueError`` for a naive ``modified``.
    """
    out = dict(doc)
    out.pop(INTEGRITY, None)
    canonical = _canonical_or_fail(aic)
    if type(active) is not bool:
        fail("/active", "must be true or false")
    out.update(aic=canonical, active=active, lastModifiedTime=format_time(modified))
    endpoints = out.get("endPoints")
    if isinstance(endpoints, list) and any(_placeholder(e) for e in endpoints):
        out["endPoints"] = [
            {**e, "url": e["url"].replace(f.PLACEHOLDER, canonical)} if _placeholder(e) else e
            for e in endpoints
        ]
    return check_acs(out)


def _placeholder(endpoint: Any) -> bool:
    """Whether ``endpoint`` is an AMQP endpoint whose URL may carry the AIC placeholder."""
    return (
        isinstance(endpoint, dict)
        and endpoint.get("transport") == "AMQP"
        and isinstance(endpoint.get("url"), str)
    )


def _canonical_or_fail(aic: Any) -> str:
    try:
        return str(parse_aic(aic))
    except AicError:
        fail("/aic", "is not an AIC (format or range, Part 4)")


def sign_acs(doc: Mapping[str, Any], key: SigningKey, kid: str | None = None) -> dict[str, Any]:
    """Check ``doc`` with :func:`check_acs`, then sign it with the registry's node key: the
    whole document minus ``integrity`` is covered (Part 3) [DSC-ACS-028].  Returns the signed
    copy; raises ACS_INVALID (-33801) for a document that breaks a rule."""
    check_acs(doc)
    return sign_object(doc, key, kid)


def verify_acs(doc: Any, keys: KeyResolver) -> str:
    """Verify a relayed document: first its registry signature (Part 3: -33201..-33205 as
    :class:`~aip.errors.IntegrityError`), then :func:`check_acs` (-33801).  Returns the kid
    that verified it [DSC-ACS-029]."""
    kid = verify_object(doc, keys)
    check_acs(doc)
    return kid


# ---------------------------------------------------------------- the domain rule


def _hosts(doc: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(pointer, lower-case host) of every URL and DNS name the domain rule covers, in check
    order [DSC-ACS-030]: top-level URLs, provider.url, scheme URLs, endpoints, certificate."""
    for name in _TOP_URLS:
        if name in doc:
            yield f"/{name}", f.url_host(doc[name])
    if "url" in doc["provider"]:
        yield "/provider/url", f.url_host(doc["provider"]["url"])
    schemes = doc["securitySchemes"]
    for name in sorted(schemes):
        at = pointer("/securitySchemes", name)
        scheme = schemes[name]
        # only the URL members the scheme's type defines (elsewhere they are unknown members)
        url_name = _SCHEME_URL.get(scheme["type"], "")
        if url_name in scheme:
            yield pointer(at, url_name), f.url_host(scheme[url_name])
        flows: Mapping[str, Any] = scheme["flows"] if scheme["type"] == "oauth2" else {}
        for flow_name in f.FLOWS:
            flow = flows.get(flow_name, {})
            for url_name in f.FLOW_URLS:
                if url_name in flow:
                    here = pointer(pointer(f"{at}/flows", flow_name), url_name)
                    yield here, f.url_host(flow[url_name])
    for i, endpoint in enumerate(doc["endPoints"]):
        yield f"/endPoints/{i}/url", f.url_host(endpoint["url"])
    alt = doc.get("certificate", {}).get("altNames", {})
    for i, name in enumerate(alt.get("dns", ())):
        yield f"/certificate/altNames/dns/{i}", name.removeprefix("*.").lower()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_domains(doc: Mapping[str, Any], *, allow_loopback: bool = False) -> None:
    """Check that the provider owns every host of ``doc`` [DSC-ACS-030]: each is equal to, or a
    subdomain of, some ``provider.domainRegistrations[].domain`` (case-insensitive).  IP
    literals are never owned.  ``allow_loopback`` lets ``localhost``, 127.0.0.0/8 and ``::1``
    through, for development nodes only [DSC-ACS-031].

    Call on a document that passed :func:`check_submission` or :func:`check_acs`.  Raises
    :class:`DiscoveryError` DOMAIN_NOT_OWNED (-33804) naming the first host's member.
    """
    registrations = doc["provider"].get("domainRegistrations", [])
    domains = [entry["domain"].lower() for entry in registrations]
    for at, host in _hosts(doc):
        if allow_loopback and _loopback(host):
            continue
        if not any(host == d or host.endswith("." + d) for d in domains):
            raise DiscoveryError(
                Code.DOMAIN_NOT_OWNED,
                f"{at}: host {host} is not under a domain the provider registered",
                data={"member": at},
            )


# ---------------------------------------------------------------- reading


def search_fields(doc: Mapping[str, Any]) -> dict[str, str]:
    """The text a full-text ranker indexes [DSC-ACS-032], lines joined by ``\\n`` in document
    order: ``name``; ``description``; ``skills`` (each skill's name, then its description);
    ``tags`` and ``examples`` (of every skill).  Call on a checked document; never raises."""
    skills = doc["skills"]
    return {
        "name": doc["name"],
        "description": doc["description"],
        "skills": "\n".join(line for s in skills for line in (s["name"], s["description"])),
        "tags": "\n".join(tag for s in skills for tag in s["tags"]),
        "examples": "\n".join(ex for s in skills for ex in s.get("examples", ())),
    }


def skill(doc: Mapping[str, Any], skill_id: str) -> dict[str, Any] | None:
    """The skill of a checked document whose ``id`` is exactly ``skill_id``, or ``None``."""
    for item in doc["skills"]:
        if item["id"] == skill_id:
            found: dict[str, Any] = item
            return found
    return None
