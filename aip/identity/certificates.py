"""The agent certificate profile: build, parse and inspect X.509 agent certificates.

An agent certificate binds one AIC to one Ed25519 key for one role: subject CN = the AIC,
SAN ``URI:acps://<AIC>``, extended key usage clientAuth OR serverAuth (spec/06-identity-pki.md,
IDN-CRT).  An agent therefore holds two certificates.  Chain validation lives in
:mod:`aip.identity.chain`; the issuing CA in :mod:`aip.identity.ca`.

Pure: no clock, no randomness.  Serial numbers and times are parameters.  Every failure on bad
input raises :class:`~aip.errors.CertificateError` (or :class:`~aip.errors.AicError` for a bad
AIC handed to a builder).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

from aip.errors import AicError, CertificateError, Code
from aip.identity.aic import parse_aic
from aip.identity.keys import SigningKey, VerifyKey

__all__ = [
    "ACPS_URI_SCHEME",
    "DEFAULT_VALIDITY_DAYS",
    "MAX_SERIAL",
    "MAX_VALIDITY_DAYS",
    "AgentCertificateInfo",
    "CertificateInput",
    "Usage",
    "acps_uri",
    "build_agent_certificate",
    "canonical_dns",
    "canonical_ips",
    "certificate_der",
    "certificate_pem",
    "extension_of",
    "format_utc",
    "inspect_agent_certificate",
    "is_ed25519_signed",
    "load_certificate",
    "load_certificates",
    "parse_utc",
    "require_utc",
    "unknown_critical",
    "validity_bounds",
]

ACPS_URI_SCHEME = "acps://"
DEFAULT_VALIDITY_DAYS = 49  # [IDN-CRT-010]
MAX_VALIDITY_DAYS = 1825  # default CA ceiling [IDN-CRT-011]
MAX_SERIAL = 2**159 - 1  # 159 bits: at most 20 DER octets, positive [IDN-CRT-009]

CertificateInput = x509.Certificate | bytes | str
"""A certificate as an object, PEM text/bytes or DER bytes."""

_PEM_CERT = re.compile(
    rb"-----BEGIN CERTIFICATE-----\r?\n.+?\r?\n-----END CERTIFICATE-----", re.DOTALL
)
_ED25519_SIG_PREFIX = b"\x03\x41\x00"  # BIT STRING, 65 octets, 0 unused bits
_ED25519_ALGORITHM = b"\x30\x05\x06\x03\x2b\x65\x70"  # AlgorithmIdentifier id-Ed25519, no params
# Extensions an agent certificate may mark critical; any other critical one is refused
# (RFC 5280 §4.2: a relying party must reject a critical extension it does not process).
_LEAF_EXTENSIONS = frozenset(
    {
        x509.BasicConstraints.oid,
        x509.KeyUsage.oid,
        x509.ExtendedKeyUsage.oid,
        x509.SubjectAlternativeName.oid,
        x509.SubjectKeyIdentifier.oid,
        x509.AuthorityKeyIdentifier.oid,
    }
)
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


class Usage(StrEnum):
    """The one role an agent certificate is good for (its single EKU purpose) [IDN-CRT-005]."""

    CLIENT = "clientAuth"
    SERVER = "serverAuth"

    @property
    def oid(self) -> x509.ObjectIdentifier:
        """The extendedKeyUsage OID of this role."""
        return _OID_BY_USAGE[self]


_OID_BY_USAGE = {
    Usage.CLIENT: ExtendedKeyUsageOID.CLIENT_AUTH,
    Usage.SERVER: ExtendedKeyUsageOID.SERVER_AUTH,
}
_USAGE_BY_OID = {oid: usage for usage, oid in _OID_BY_USAGE.items()}
_E = TypeVar("_E", bound=x509.ExtensionType)


@dataclass(frozen=True, slots=True)
class AgentCertificateInfo:
    """What an agent certificate says, once it passed the profile checks."""

    aic: str
    usage: Usage
    key: VerifyKey
    serial: int
    not_before: datetime
    not_after: datetime
    dns: tuple[str, ...]
    ips: tuple[str, ...]


def require_utc(now: datetime) -> datetime:
    """Return ``now`` converted to UTC.  Raises ``ValueError`` for a naive datetime (misuse)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return now.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """RFC 3339 text of an aware datetime in UTC with a ``Z`` suffix (state files, vectors)."""
    return require_utc(moment).isoformat().replace("+00:00", "Z")


def parse_utc(text: str) -> datetime:
    """Inverse of :func:`format_utc`.  Raises ``ValueError`` on text without a UTC offset."""
    return require_utc(datetime.fromisoformat(text))


def acps_uri(aic: str) -> str:
    """The SAN URI naming ``aic`` (already canonical): ``acps://<AIC>`` [IDN-CRT-003]."""
    return ACPS_URI_SCHEME + aic


def certificate_der(cert: x509.Certificate) -> bytes:
    """The DER bytes of ``cert``."""
    return cert.public_bytes(Encoding.DER)


def certificate_pem(cert: x509.Certificate) -> bytes:
    """The PEM bytes of ``cert``."""
    return cert.public_bytes(Encoding.PEM)


def _malformed(why: str) -> CertificateError:
    return CertificateError(Code.CERTIFICATE_MALFORMED, why)


def _profile(why: str) -> CertificateError:
    return CertificateError(Code.CERTIFICATE_PROFILE_INVALID, why)


def _touch(cert: x509.Certificate) -> x509.Certificate:
    """Force the lazily parsed parts of ``cert`` so that malformed input fails here, once."""
    try:
        _ = (cert.version, cert.serial_number, cert.not_valid_before_utc, cert.not_valid_after_utc)
        _ = (cert.subject, cert.issuer, cert.signature_algorithm_oid, cert.signature)
        list(cert.subject)
        list(cert.issuer)
        for ext in cert.extensions:
            _ = ext.value
        cert.public_key()
    # cryptography raises several unrelated types for bad DER (ValueError, InvalidVersion,
    # DuplicateExtension, UnsupportedGeneralNameType, UnsupportedAlgorithm, ...).
    except Exception as exc:
        raise _malformed(f"certificate does not parse: {type(exc).__name__}") from None
    return cert


def load_certificate(data: CertificateInput) -> x509.Certificate:
    """Parse one certificate from PEM (exactly one block) or DER; pass objects through.

    Call on every certificate received from outside.  Returns a fully parsed certificate.
    Raises :class:`CertificateError` CERTIFICATE_MALFORMED on anything else.  [IDN-CRT-001]
    """
    if isinstance(data, x509.Certificate):
        return _touch(data)
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    if not isinstance(raw, bytes | bytearray):
        raise _malformed("a certificate is PEM or DER bytes")
    raw = bytes(raw)
    if raw.lstrip().startswith(b"-----BEGIN"):
        blocks = _PEM_CERT.findall(raw)
        if len(blocks) != 1:
            raise _malformed("expected exactly one PEM CERTIFICATE block")
        try:
            cert = x509.load_pem_x509_certificate(blocks[0])
        except Exception:
            raise _malformed("certificate PEM does not parse") from None
    else:
        try:
            cert = x509.load_der_x509_certificate(raw)
        except Exception:
            raise _malformed("certificate DER does not parse") from None
    return _touch(cert)


def load_certificates(data: bytes | str) -> list[x509.Certificate]:
    """Parse a PEM bundle of one or more certificates, in order (e.g. a trust bundle).

    Raises :class:`CertificateError` CERTIFICATE_MALFORMED if there is no block or any block
    does not parse.
    """
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    if not isinstance(raw, bytes):
        raise _malformed("a certificate bundle is PEM bytes")
    blocks = _PEM_CERT.findall(raw)
    if not blocks:
        raise _malformed("no PEM CERTIFICATE block")
    return [load_certificate(block) for block in blocks]


def _single_cn(name: x509.Name) -> str | None:
    """The one CN string of ``name``; None if absent; ValueError if several or not text."""
    attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attrs:
        return None
    if len(attrs) > 1 or not isinstance(attrs[0].value, str):
        raise ValueError("more than one CN, or a CN that is not text")
    return attrs[0].value


def canonical_dns(names: Iterable[str]) -> tuple[str, ...]:
    """Check and lower-case DNS SAN values (LDH A-labels, no wildcard) [IDN-CRT-004].

    Raises :class:`CertificateError` CERTIFICATE_PROFILE_INVALID on a bad name.
    """
    if isinstance(names, str | bytes):
        raise _profile("DNS names come as a list of strings, not one string")
    out = []
    for name in names:
        low = name.lower() if isinstance(name, str) and name.isascii() else ""
        labels = low.split(".")
        if not (0 < len(low) <= 253 and all(_DNS_LABEL.fullmatch(lab) for lab in labels)):
            raise _profile(f"not a DNS name: {name!r}")
        out.append(low)
    return tuple(out)


def canonical_ips(addresses: Iterable[str]) -> tuple[str, ...]:
    """Check IP SAN values (IPv4 or IPv6 text) and return their compressed form [IDN-CRT-004].

    Raises :class:`CertificateError` CERTIFICATE_PROFILE_INVALID on a bad address.
    """
    if isinstance(addresses, str | bytes):
        raise _profile("IP addresses come as a list of strings, not one string")
    out = []
    for text in addresses:
        try:
            if not isinstance(text, str):
                raise ValueError("an IP address is text")  # ip_address(1) would be 0.0.0.1
            out.append(str(ipaddress.ip_address(text)))
        except ValueError:
            raise _profile(f"not an IP address: {text!r}") from None
    return tuple(out)


def build_agent_certificate(
    *,
    aic: str,
    key: VerifyKey,
    usage: Usage,
    issuer: x509.Certificate,
    issuer_key: SigningKey,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    dns: Sequence[str] = (),
    ips: Sequence[str] = (),
) -> x509.Certificate:
    """Build and sign an agent certificate exactly as the profile prescribes [IDN-CRT-012].

    Low level: the CA (:meth:`aip.identity.ca.DomainCA.issue`) calls this after its own policy
    checks; call it directly only to make test material.  ``aic`` is parsed and canonicalised;
    times are truncated to whole seconds.  Raises :class:`AicError` for a bad AIC,
    :class:`CertificateError` CERTIFICATE_PROFILE_INVALID for bad DNS/IP values.
    """
    text = str(parse_aic(aic))
    dns_names, ip_addrs = canonical_dns(dns), canonical_ips(ips)
    issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    public = key.to_cryptography()
    sans: list[x509.GeneralName] = [x509.UniformResourceIdentifier(acps_uri(text))]
    sans += [x509.DNSName(n) for n in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in ip_addrs]
    builder = (
        x509.CertificateBuilder()
        .serial_number(serial)
        .issuer_name(issuer.subject)
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)]))  # [IDN-CRT-002]
        .not_valid_before(require_utc(not_before).replace(microsecond=0))
        .not_valid_after(require_utc(not_after).replace(microsecond=0))
        .public_key(public)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_leaf_key_usage(), critical=True)  # [IDN-CRT-006]
        .add_extension(x509.ExtendedKeyUsage([usage.oid]), critical=False)  # [IDN-CRT-005]
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)  # [IDN-CRT-003]
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
    )
    return builder.sign(issuer_key.to_cryptography(), algorithm=None)


def _leaf_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def extension_of(cert: x509.Certificate, kind: type[_E]) -> x509.Extension[_E] | None:
    """The extension of class ``kind`` in ``cert``, or None if absent."""
    try:
        return cert.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def inspect_agent_certificate(data: CertificateInput) -> AgentCertificateInfo:
    """Parse ``data`` and check it against the agent profile, without any chain or time check.

    Returns what the certificate asserts.  Raises :class:`CertificateError`:
    CERTIFICATE_MALFORMED (does not parse) or CERTIFICATE_PROFILE_INVALID (first failing rule
    of IDN-CRT-001..009, checked in that order).
    """
    cert = load_certificate(data)
    if cert.version is not x509.Version.v3:
        raise _profile("an agent certificate is X.509 v3")  # [IDN-CRT-001]
    public = cert.public_key()
    if not isinstance(public, Ed25519PublicKey):
        raise _profile("an agent key is Ed25519")  # [IDN-CRT-007]
    if not 0 < cert.serial_number <= MAX_SERIAL:
        raise _profile("serial number out of range")  # [IDN-CRT-009]
    try:
        cn = _single_cn(cert.subject)
    except ValueError:
        raise _profile("the subject carries more than one CN") from None
    if cn is None:
        raise _profile("the subject has no CN")
    try:
        aic = str(parse_aic(cn))
    except AicError:
        raise _profile("the subject CN is not an AIC") from None
    if aic != cn:
        raise _profile("the subject CN is not the canonical AIC")  # [IDN-CRT-002]
    if unknown_critical(cert, _LEAF_EXTENSIONS):  # [IDN-CRT-006]
        raise _profile("the certificate carries a critical extension AIP does not process")
    basic = extension_of(cert, x509.BasicConstraints)
    if basic is None or not basic.critical or basic.value.ca:
        raise _profile("basicConstraints must be critical with CA false")  # [IDN-CRT-006]
    ku = extension_of(cert, x509.KeyUsage)
    if ku is None or not ku.critical or not _is_leaf_ku(ku.value):
        raise _profile("keyUsage must be critical digitalSignature without CA bits")
    usage = _usage_of(cert)
    dns, ips = _check_san(cert, aic)
    if extension_of(cert, x509.SubjectKeyIdentifier) is None:
        raise _profile("subjectKeyIdentifier is missing")  # [IDN-CRT-008]
    aki = extension_of(cert, x509.AuthorityKeyIdentifier)
    if aki is None or aki.value.key_identifier is None:
        raise _profile("authorityKeyIdentifier with a key identifier is missing")
    return AgentCertificateInfo(
        aic=aic,
        usage=usage,
        key=VerifyKey.from_cryptography(public),
        serial=cert.serial_number,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        dns=dns,
        ips=ips,
    )


def _is_leaf_ku(value: x509.ExtensionType) -> bool:
    return (
        isinstance(value, x509.KeyUsage)
        and value.digital_signature
        and not value.key_cert_sign
        and not value.crl_sign
    )


def _usage_of(cert: x509.Certificate) -> Usage:
    """The single EKU purpose: clientAuth or serverAuth, never both, never none [IDN-CRT-005]."""
    eku = extension_of(cert, x509.ExtendedKeyUsage)
    purposes = list(eku.value) if eku is not None else []
    if len(purposes) != 1 or purposes[0] not in _USAGE_BY_OID:
        raise _profile("extendedKeyUsage must hold exactly clientAuth or exactly serverAuth")
    return _USAGE_BY_OID[purposes[0]]


def _check_san(cert: x509.Certificate, aic: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One acps URI equal to the CN; otherwise only DNS and IP entries [IDN-CRT-003/004]."""
    san = extension_of(cert, x509.SubjectAlternativeName)
    if san is None:
        raise _profile("subjectAltName is missing")
    uris: list[str] = []
    dns: list[str] = []
    ips: list[str] = []
    for name in san.value:
        if isinstance(name, x509.UniformResourceIdentifier):
            uris.append(name.value)
        elif isinstance(name, x509.DNSName):
            dns.append(name.value)
        elif isinstance(name, x509.IPAddress) and not isinstance(
            name.value, ipaddress.IPv4Network | ipaddress.IPv6Network
        ):
            ips.append(str(name.value))
        else:
            raise _profile("subjectAltName may hold only URI, DNS and IP entries")
    if uris != [acps_uri(aic)]:
        raise _profile("subjectAltName must hold exactly one URI, acps://<CN>")
    return tuple(dns), tuple(ips)


def unknown_critical(cert: x509.Certificate, processed: frozenset[x509.ObjectIdentifier]) -> bool:
    """True if ``cert`` marks critical an extension outside ``processed``."""
    return any(ext.critical and ext.oid not in processed for ext in cert.extensions)


def _der_skip(data: bytes, offset: int) -> int:
    """Offset just past the DER element starting at ``offset`` (definite lengths only)."""
    first = data[offset + 1]
    if first < 0x80:
        return offset + 2 + first
    size = first & 0x7F
    length = int.from_bytes(data[offset + 2 : offset + 2 + size], "big")
    return offset + 2 + size + length


def _inner_algorithm(tbs: bytes) -> bytes:
    """The ``signature`` AlgorithmIdentifier inside a TBSCertificate (its third element)."""
    offset = 2 if tbs[1] < 0x80 else 2 + (tbs[1] & 0x7F)  # into the outer SEQUENCE
    if tbs[offset] == 0xA0:  # [0] EXPLICIT version
        offset = _der_skip(tbs, offset)
    offset = _der_skip(tbs, offset)  # serialNumber
    return tbs[offset : _der_skip(tbs, offset)]


def is_ed25519_signed(cert: x509.Certificate) -> bool:
    """True if ``cert`` is signed with Ed25519 (the only algorithm in an AIP PKI): the outer
    and the signed (inner) algorithm identifiers both name Ed25519 without parameters, and the
    signature is a BIT STRING of exactly 64 bytes with no unused bits at the end of the DER.

    The parser ignores the unused-bits octet and the inner identifier, so without these checks
    a certificate whose bytes differ from what was signed would be accepted [IDN-CA-006].
    """
    if cert.signature_algorithm_oid != SignatureAlgorithmOID.ED25519:
        return False
    try:
        if _inner_algorithm(cert.tbs_certificate_bytes) != _ED25519_ALGORITHM:
            return False
    except IndexError:
        return False
    return certificate_der(cert).endswith(_ED25519_SIG_PREFIX + cert.signature)


def validity_bounds(now: datetime, days: int) -> tuple[datetime, datetime]:
    """(notBefore, notAfter) for ``days`` days from ``now``, truncated to whole seconds."""
    start = require_utc(now).replace(microsecond=0)
    return start, start + timedelta(days=days)
