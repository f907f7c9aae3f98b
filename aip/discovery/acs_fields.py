"""Per-member checks of ACS documents (spec Part 8, DSC-ACS and DSC-PRC).

Pure helpers for :mod:`aip.discovery.acs`: each function checks one value found at the JSON
Pointer ``at`` and raises :class:`~aip.errors.DiscoveryError` (ACS_INVALID, -33801) with
``data.member = at`` when the value breaks its rule.  Nothing here rewrites a value.  Call them
through :func:`aip.discovery.acs.check_acs`; they are separate only to keep files small.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, NoReturn

from aip.codec import pointer
from aip.errors import Code, DiscoveryError

__all__ = [
    "COUNTRY_CODES", "FLOWS", "FLOW_URLS", "MQ_PROTOCOLS", "PLACEHOLDER", "PRICE_UNITS",
    "SCHEME_TYPES", "boolean", "country_code", "dns_name", "email", "fail", "ip_literal",
    "member", "mime_type", "mq_expression", "obj", "pointer", "pricing", "protocol_version",
    "requirements", "security_schemes", "skill_id", "string_list", "text", "timestamp", "url",
    "url_host", "version",
]

# ISO 3166-1 alpha-2 officially assigned codes (ISO/TC 46 N1108, 2023-04-05) [DSC-ACS-011].
_COUNTRY_TEXT = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
COUNTRY_CODES = frozenset(_COUNTRY_TEXT.split())
MQ_PROTOCOLS = ("mqtt", "amqp", "kafka", "redis", "rabbitmq")  # [DSC-ACS-020]
PRICE_UNITS = ("call", "token.input", "token.output", "second")  # [DSC-PRC-002]

_NUM = r"(?:0|[1-9][0-9]{0,8})"
_MQ_VERSION = rf"{_NUM}\.{_NUM}(?:\.{_NUM})?"
_MQ_RE = re.compile(
    rf"(?P<proto>[a-z]+):(?:(?P<wild>{_NUM})\.\*|(?P<ge>>=)?(?P<low>{_MQ_VERSION})"
    rf"(?: <(?P<high>{_MQ_VERSION}))?)"
)
_VERSION_ID = r"[0-9A-Za-z-]+"
_VERSION_RE = re.compile(
    rf"[0-9]+(?:\.[0-9]+){{0,2}}(?:-{_VERSION_ID}(?:\.{_VERSION_ID})*)?"
    rf"(?:\+{_VERSION_ID}(?:\.{_VERSION_ID})*)?"
)
_TIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_MIME_RE = re.compile(
    rf"(?:\*/\*|{_TOKEN}/(?:\*|{_TOKEN}))(?: *; *{_TOKEN}=(?:{_TOKEN}|\"[^\"\\\x00-\x1f]*\"))*"
)
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9_-]*"
_SKILL_ID_RE = re.compile(rf"{_SEGMENT}([.:]){_SEGMENT}(?:\1{_SEGMENT})*")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# A DNS host name: LDH labels, at most 253 characters, a last label that is not all digits
_HOST_RE = re.compile(rf"(?=.{{1,253}}\Z)(?:{_LABEL}\.)*(?![0-9]+\Z){_LABEL}", re.ASCII)
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.-]*)://")
_URL_CHARS_RE = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+")
_AMOUNT_RE = re.compile(r"0|[1-9][0-9]{0,17}")
_ASSET_RE = re.compile(r"[A-Z][A-Z0-9]{2,11}")
_PRIVATE_UNIT_RE = re.compile(r"x-[a-z0-9][a-z0-9.-]{0,62}")
PLACEHOLDER = "{AIC}"
SCHEME_TYPES = ("apiKey", "http", "oauth2", "openIdConnect", "mutualTLS")  # [DSC-ACS-012]
FLOWS = {  # OAuth 2 flow -> the URLs it must carry [DSC-ACS-013]
    "implicit": ("authorizationUrl",),
    "password": ("tokenUrl",),
    "clientCredentials": ("tokenUrl",),
    "authorizationCode": ("authorizationUrl", "tokenUrl"),
}
FLOW_URLS = ("authorizationUrl", "tokenUrl", "refreshUrl")
_WEB = ("http", "https")
_MAX_ID = 128


def fail(at: str, message: str) -> NoReturn:
    """Raise ACS_INVALID (-33801) naming the member ``at`` (a JSON Pointer) in ``data``."""
    raise DiscoveryError(Code.ACS_INVALID, f"{at or '(document)'}: {message}", data={"member": at})


def obj(value: Any, at: str) -> dict[str, Any]:
    """``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        fail(at, "must be an object")
    return value


def member(parent: dict[str, Any], name: str, at: str) -> Any:
    """The required member ``name`` of ``parent`` (at ``at``); missing -> ACS_INVALID."""
    if name not in parent:
        fail(pointer(at, name), "is required")
    return parent[name]


def text(value: Any, at: str, *, nonempty: bool = False) -> str:
    """``value`` if it is a string (and non-empty after trimming, when asked)."""
    if type(value) is not str:
        fail(at, "must be a string")
    if nonempty and not value.strip():
        fail(at, "must not be empty")
    return value


def boolean(value: Any, at: str) -> bool:
    if type(value) is not bool:
        fail(at, "must be true or false")
    return value


def string_list(value: Any, at: str, *, nonempty_items: bool = True) -> list[str]:
    """A JSON array of strings (each non-empty unless ``nonempty_items`` is false)."""
    if not isinstance(value, list):
        fail(at, "must be an array")
    for i, item in enumerate(value):
        text(item, pointer(at, i), nonempty=nonempty_items)
    return value


def protocol_version(value: Any, at: str) -> None:
    """``MM.NN`` with major ``02``: 02.01 and later minor versions of 02 [DSC-ACS-005]."""
    if not (type(value) is str and re.fullmatch(r"02\.[0-9]{2}", value)):
        fail(at, 'must be "02.NN" (this is ACS 02.01)')


def version(value: Any, at: str) -> None:
    """One to three dot-separated numbers with SemVer pre-release and build parts [DSC-ACS-008]."""
    if not (type(value) is str and len(value) <= 64 and _VERSION_RE.fullmatch(value)):
        fail(at, "must be a version such as 1.2.0 or 1.2.0-beta.1")


def timestamp(value: Any, at: str) -> datetime:
    """An RFC 3339 date-time with seconds and an offset; returns it aware [DSC-ACS-006]."""
    match = _TIME_RE.fullmatch(value) if type(value) is str else None
    if match is None:
        fail(at, "must be an RFC 3339 date-time such as 2025-03-15T16:30:00+08:00")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    offset = timedelta(0)
    if zone != "Z":
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 23 or minutes > 59:
            fail(at, "has an impossible offset")
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if zone[0] == "-" else 1)
    try:
        micros = int((fraction or ".")[1:7].ljust(6, "0"))
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                        micros, tzinfo=timezone(offset))  # fmt: skip
    except ValueError:
        fail(at, "is not a real date and time")


def dns_name(value: Any, at: str, *, wildcard: bool = False, min_labels: int = 1) -> str:
    """An ASCII host name (IDNs as A-labels), no trailing dot; ``*.`` first if ``wildcard``."""
    name = text(value, at)
    body = name[2:] if wildcard and name.startswith("*.") else name
    if not _HOST_RE.fullmatch(body) or body.count(".") + 1 < min_labels:
        fail(at, "must be a DNS name")
    return name


def ip_literal(value: Any, at: str) -> str:
    """One exact IPv4 or IPv6 address: no prefix length, no zone [DSC-ACS-024]."""
    address = text(value, at)
    if "/" in address or "%" in address:
        fail(at, "must be a single IP address (no CIDR prefix, no zone)")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        fail(at, "must be an IPv4 or IPv6 address")
    return address


def email(value: Any, at: str) -> None:
    """``local@domain``: a local part without spaces and a DNS domain of two or more labels."""
    address = text(value, at)
    local, sep, domain = address.rpartition("@")
    if not sep or not local or len(local) > 64 or re.search(r"[\s@]", local):
        fail(at, "must be an e-mail address")
    dns_name(domain, at, min_labels=2)


def country_code(value: Any, at: str) -> None:
    if not (type(value) is str and value in COUNTRY_CODES):
        fail(at, "must be an assigned ISO 3166-1 alpha-2 code in upper case")


@lru_cache(maxsize=4096)
def url_host(value: str) -> str:
    """The lower-cased host of a URL already checked by :func:`url` (brackets removed)."""
    rest = value.split("://", 1)[1]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if authority.startswith("["):
        return authority[1 : authority.index("]")].lower()
    return authority.rsplit(":", 1)[0].lower() if ":" in authority else authority.lower()


def url(value: Any, at: str, schemes: tuple[str, ...], *, placeholder: bool = False) -> str:
    """An absolute URL with a scheme from ``schemes`` and a host [DSC-ACS-009].

    ASCII only (RFC 3986 characters, valid percent escapes), no user information, a port in
    1..65535 if given.  With ``placeholder`` the literal ``{AIC}`` may appear after the host
    (AMQP inbox URLs) [DSC-ACS-016].
    """
    raw = text(value, at)
    problem = _url_problem(raw, schemes, placeholder)
    if problem:
        fail(at, problem)
    return raw


@lru_cache(maxsize=4096)
def _url_problem(raw: str, schemes: tuple[str, ...], placeholder: bool) -> str:
    """What is wrong with ``raw`` ("" if nothing); cached, as documents repeat their hosts."""
    scheme = _SCHEME_RE.match(raw)
    if scheme is None or scheme.group(1) not in schemes:
        return f"must be an absolute URL with scheme {' or '.join(schemes)}"
    rest = raw[scheme.end() :]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    tail = rest[len(authority) :]
    if placeholder:
        tail = tail.replace(PLACEHOLDER, "AIC")
    if not authority or not _URL_CHARS_RE.fullmatch(authority + tail):
        return "must be an ASCII URL with a host and no spaces or invalid escapes"
    if "@" in authority:
        return "must not carry user information"
    if authority.startswith("["):
        close = authority.find("]")
        host, port = authority[1:close], authority[close + 1 :]
        if close < 0 or (port and not port.startswith(":")) or not _is_ipv6(host):
            return "has a malformed IPv6 host"
        port = port[1:]
    else:
        host, _, port = authority.partition(":")
        if not _HOST_RE.fullmatch(host) and not _is_ipv4(host):
            return "has a malformed host"
    if (port or ":" in authority.rpartition("]")[2]) and not (
        port.isdigit() and port.isascii() and 1 <= int(port) <= 65535
    ):
        return "has a port outside 1..65535"
    return ""


def _is_ipv6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def mime_type(value: Any, at: str) -> None:
    """A media type or range (``text/plain``, ``image/*``, ``*/*``), parameters allowed."""
    if not (type(value) is str and _MIME_RE.fullmatch(value)):
        fail(at, "must be a MIME type such as text/plain")


def skill_id(value: Any, at: str) -> str:
    """Two or more segments joined by one kind of separator, ``.`` or ``:`` [DSC-ACS-021]."""
    if not (type(value) is str and len(value) <= _MAX_ID and _SKILL_ID_RE.fullmatch(value)):
        fail(at, "must be a namespaced id such as agent.category.skill or agent:skill")
    return value


def _version_tuple(text_: str) -> tuple[int, int, int]:
    parts = [int(p) for p in text_.split(".")] + [0]
    return parts[0], parts[1], parts[2]


def mq_expression(value: Any, at: str) -> None:
    """``{protocol}:{expr}``: exact ``X.Y[.Z]``, ``>=X.Y[.Z]``, ``>=A <B`` with A < B, or
    ``X.*`` [DSC-ACS-020]."""
    match = _MQ_RE.fullmatch(value) if type(value) is str else None
    if match is None:
        fail(at, "must be protocol:expression, e.g. kafka:>=2.8 <4.0 or mqtt:5.*")
    if match["proto"] not in MQ_PROTOCOLS:
        fail(at, f"protocol must be one of {', '.join(MQ_PROTOCOLS)}")
    if match["high"] is not None:
        if match["ge"] is None:
            fail(at, "a range is written >=LOW <HIGH")
        if _version_tuple(match["low"]) >= _version_tuple(match["high"]):
            fail(at, "a range must have LOW below HIGH")


def _amount(value: Any, at: str) -> int:
    if not (type(value) is str and _AMOUNT_RE.fullmatch(value)):
        fail(at, "must be a decimal string of a non-negative integer (at most 18 digits)")
    return int(value)


def _price(value: Any, at: str) -> tuple[str, str]:
    """Check one price entry [DSC-PRC-001..004]; return its (unit, asset)."""
    entry = obj(value, at)
    unit = text(member(entry, "unit", at), pointer(at, "unit"))
    if unit not in PRICE_UNITS and not _PRIVATE_UNIT_RE.fullmatch(unit):
        fail(pointer(at, "unit"), "must be a registered unit or start with x-")
    _amount(member(entry, "pricePerUnit", at), pointer(at, "pricePerUnit"))
    asset = member(entry, "asset", at)
    if not (type(asset) is str and _ASSET_RE.fullmatch(asset)):
        fail(pointer(at, "asset"), "must be an upper-case asset code such as CNY")
    if "per" in entry and _amount(entry["per"], pointer(at, "per")) == 0:
        fail(pointer(at, "per"), "must be at least 1")
    low = _amount(entry["minimum"], pointer(at, "minimum")) if "minimum" in entry else None
    high = _amount(entry["maximum"], pointer(at, "maximum")) if "maximum" in entry else None
    if low is not None and high is not None and low > high:
        fail(pointer(at, "maximum"), "must not be below minimum")
    return unit, asset


def pricing(value: Any, at: str) -> None:
    """``skills[].pricing``: a non-empty list of prices, one per unit, one asset [DSC-PRC-001]."""
    if not isinstance(value, list) or not value:
        fail(at, "must be a non-empty array of prices")
    units: set[str] = set()
    assets: set[str] = set()
    for i, entry in enumerate(value):
        unit, asset = _price(entry, pointer(at, i))
        if unit in units:
            fail(pointer(pointer(at, i), "unit"), "prices a unit already priced")  # [DSC-PRC-004]
        if assets and asset not in assets:
            fail(pointer(pointer(at, i), "asset"), "differs from the skill's other prices")
        units.add(unit)
        assets.add(asset)


def security_schemes(value: Any) -> set[str]:
    """The scheme map [DSC-ACS-012]; returns the declared names."""
    at = "/securitySchemes"
    schemes = obj(value, at)
    for name in sorted(schemes):
        here = pointer(at, name)
        if not (0 < len(name) <= 64 and all(c.isascii() and (c.isalnum() or c in "._-")
                                           for c in name)):  # fmt: skip
            fail(here, "a scheme name is 1-64 characters from A-Z a-z 0-9 . _ -")
        _scheme(schemes[name], here)
    return set(schemes)


def _scheme(value: Any, at: str) -> None:
    scheme = obj(value, at)
    kind = member(scheme, "type", at)
    if kind not in SCHEME_TYPES:
        fail(f"{at}/type", f"must be one of {', '.join(SCHEME_TYPES)}")
    if "description" in scheme:
        text(scheme["description"], f"{at}/description")
    if kind == "apiKey":
        text(member(scheme, "name", at), f"{at}/name", nonempty=True)
        if member(scheme, "in", at) not in ("query", "header", "cookie"):
            fail(f"{at}/in", "must be query, header or cookie")
    elif kind == "http":
        text(member(scheme, "scheme", at), f"{at}/scheme", nonempty=True)
        if "bearerFormat" in scheme:
            text(scheme["bearerFormat"], f"{at}/bearerFormat")
    elif kind == "oauth2":
        _flows(member(scheme, "flows", at), f"{at}/flows")
    elif kind == "openIdConnect":
        url(member(scheme, "openIdConnectUrl", at), f"{at}/openIdConnectUrl", _WEB)
    elif "x-caChallengeBaseUrl" in scheme:  # mutualTLS; deprecated by ACPs, still checked
        url(scheme["x-caChallengeBaseUrl"], f"{at}/x-caChallengeBaseUrl", _WEB)


def _flows(value: Any, at: str) -> None:
    """OAuth 2 flows: at least one known flow, each with the URLs it needs [DSC-ACS-013]."""
    flows = obj(value, at)
    if not any(name in flows for name in FLOWS):
        fail(at, f"must declare at least one of {', '.join(FLOWS)}")
    for name, needed in FLOWS.items():
        if name not in flows:
            continue
        here = pointer(at, name)
        flow = obj(flows[name], here)
        for url_name in needed:
            member(flow, url_name, here)
        for url_name in FLOW_URLS:
            if url_name in flow:
                url(flow[url_name], pointer(here, url_name), _WEB)
        scopes = obj(member(flow, "scopes", here), f"{here}/scopes")
        for scope in sorted(scopes):
            text(scopes[scope], pointer(f"{here}/scopes", scope))


def requirements(value: Any, at: str, schemes: set[str]) -> None:
    """Security requirements: OR-list of AND-maps naming declared schemes [DSC-ACS-017]."""
    if not isinstance(value, list):
        fail(at, "must be an array of security requirement objects")
    for i, entry in enumerate(value):
        here = pointer(at, i)
        requirement = obj(entry, here)
        for name in sorted(requirement):
            if name not in schemes:
                fail(pointer(here, name), "names no scheme declared in securitySchemes")
            string_list(requirement[name], pointer(here, name))
