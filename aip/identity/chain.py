"""Validate an agent certificate chain: leaf -> intermediate -> trusted root.

Call :func:`validate_chain` whenever a peer presents its certificate (mTLS or the in-band
challenge).  The checks and their order are normative (IDN-CRT-013): the first failing check
decides the error code, so two implementations report the same code for the same input.

Pure: ``now`` is a parameter.  Failures raise :class:`~aip.errors.CertificateError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from aip.errors import CertificateError, Code
from aip.identity.certificates import (
    CertificateInput,
    Usage,
    certificate_der,
    extension_of,
    inspect_agent_certificate,
    is_ed25519_signed,
    load_certificate,
    require_utc,
    unknown_critical,
)
from aip.identity.keys import VerifyKey
from aip.identity.revocation import RevocationList

__all__ = ["MAX_INTERMEDIATES", "ValidatedAgent", "issued_by", "validate_chain"]

MAX_INTERMEDIATES = 4  # certificates a peer may send beside its leaf [IDN-CA-005]
# Extensions a CA certificate may mark critical; any other critical one is refused
# (RFC 5280 §4.2), so constraints we do not process can never be silently ignored.
_CA_EXTENSIONS = frozenset(
    {
        x509.BasicConstraints.oid,
        x509.KeyUsage.oid,
        x509.SubjectKeyIdentifier.oid,
        x509.AuthorityKeyIdentifier.oid,
    }
)


@dataclass(frozen=True, slots=True)
class ValidatedAgent:
    """The outcome of a successful :func:`validate_chain`: who the peer is and for how long."""

    aic: str
    usage: Usage
    key: VerifyKey
    not_after: datetime
    serial: int
    root_fingerprint: str  # SHA-256 of the trust anchor's DER, hex: which domain vouched


def _chain(why: str) -> CertificateError:
    return CertificateError(Code.CERTIFICATE_CHAIN_INVALID, why)


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True if ``issuer``'s subject is ``cert``'s issuer and its Ed25519 key signed ``cert``.

    Never raises; any non-Ed25519 key or signature algorithm gives False [IDN-CA-006].
    """
    public = issuer.public_key()
    if cert.issuer != issuer.subject or not is_ed25519_signed(cert):
        return False
    if not isinstance(public, Ed25519PublicKey):
        return False
    try:
        public.verify(cert.signature, cert.tbs_certificate_bytes)
    except InvalidSignature:
        return False
    return True


def _ca_ok(cert: x509.Certificate, below: int, usage: Usage) -> bool:
    """CA flag, keyUsage, critical extensions, EKU and path length of its place [IDN-CA-003].

    ``below`` is the number of CA certificates under ``cert`` in the path: 0 for the
    intermediate (whose pathLenConstraint must be exactly 0), 1 for the root (absent or >= 1).
    A CA certificate that restricts extendedKeyUsage must allow the leaf's ``usage``.
    """
    basic = extension_of(cert, x509.BasicConstraints)
    ku = extension_of(cert, x509.KeyUsage)
    if basic is None or not basic.critical or not basic.value.ca:
        return False
    if ku is None or not ku.critical or not (ku.value.key_cert_sign and ku.value.crl_sign):
        return False
    if unknown_critical(cert, _CA_EXTENSIONS):
        return False
    eku = extension_of(cert, x509.ExtendedKeyUsage)
    if eku is not None and usage.oid not in eku.value:
        return False
    limit = basic.value.path_length
    if below == 0:
        return limit == 0
    return limit is None or limit >= below


def _key_ids_match(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """``cert``'s authorityKeyIdentifier equals ``issuer``'s subjectKeyIdentifier, if both exist."""
    aki = extension_of(cert, x509.AuthorityKeyIdentifier)
    ski = extension_of(issuer, x509.SubjectKeyIdentifier)
    if aki is None or ski is None or aki.value.key_identifier is None:
        return True
    return aki.value.key_identifier == ski.value.digest


def _build_path(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    usage: Usage,
) -> tuple[x509.Certificate, x509.Certificate]:
    """Find (intermediate, root) such that root -> intermediate -> leaf verifies [IDN-CA-005]."""
    for inter in intermediates:
        if not (issued_by(leaf, inter) and _key_ids_match(leaf, inter)):
            continue
        if inter.subject == inter.issuer or not _ca_ok(inter, 0, usage):  # [IDN-CA-003]
            continue  # a self-issued certificate is a root, never the intermediate
        for root in roots:
            if (
                issued_by(inter, root)
                and _key_ids_match(inter, root)
                and _ca_ok(root, 1, usage)
            ):
                return inter, root
    raise _chain("no path leaf -> intermediate -> trusted root verifies")  # [IDN-CA-005]


def _check_window(cert: x509.Certificate, now: datetime, what: str) -> None:
    """notBefore <= now <= notAfter, both ends inclusive (RFC 5280 §4.1.2.5) [IDN-CRT-014]."""
    if now > cert.not_valid_after_utc:
        raise CertificateError(Code.CERTIFICATE_EXPIRED, f"the {what} certificate has expired")
    if now < cert.not_valid_before_utc:
        raise CertificateError(
            Code.CERTIFICATE_NOT_YET_VALID, f"the {what} certificate is not yet valid"
        )


def validate_chain(
    leaf: CertificateInput,
    intermediates: Sequence[CertificateInput],
    trust_roots: Sequence[CertificateInput],
    *,
    now: datetime,
    usage: Usage,
    revocation: RevocationList | None = None,
) -> ValidatedAgent:
    """Validate an agent's ``leaf`` certificate for ``usage`` at ``now`` [IDN-CRT-013].

    ``intermediates`` are what the peer sent beside its leaf (any order, extras ignored, at
    most :data:`MAX_INTERMEDIATES`, else CERTIFICATE_CHAIN_INVALID);
    ``trust_roots`` are the local trust bundle (roots only).  ``revocation``, if given, must
    come from :func:`aip.identity.revocation.verify_crl` for the leaf's issuer.

    Checks in this order, the first failure deciding the code: every certificate parses
    (CERTIFICATE_MALFORMED); the leaf profile (CERTIFICATE_PROFILE_INVALID); the leaf's EKU is
    ``usage`` (CERTIFICATE_WRONG_USAGE); a path leaf -> intermediate -> root with Ed25519
    signatures, name chaining, key ids, CA flags and path lengths
    (CERTIFICATE_CHAIN_INVALID); the validity window of the leaf, then the intermediate, then
    the root (CERTIFICATE_EXPIRED, CERTIFICATE_NOT_YET_VALID); the revocation list belongs to
    the intermediate and is fresh (REVOCATION_LIST_INVALID); the leaf is not listed
    (CERTIFICATE_REVOKED).  Returns a :class:`ValidatedAgent`.
    """
    now = require_utc(now)
    leaf_cert = load_certificate(leaf)
    if not isinstance(intermediates, Sequence) or not isinstance(trust_roots, Sequence):
        raise _chain("intermediates and trust roots are sequences of certificates")
    if len(intermediates) > MAX_INTERMEDIATES:  # bound the path search a peer can cause
        raise _chain(f"more than {MAX_INTERMEDIATES} intermediate certificates")
    inters = [load_certificate(c) for c in intermediates]
    roots = [load_certificate(c) for c in trust_roots]
    info = inspect_agent_certificate(leaf_cert)
    if info.usage is not usage:  # [IDN-CRT-015]
        raise CertificateError(
            Code.CERTIFICATE_WRONG_USAGE, f"the certificate is for {info.usage}, not {usage}"
        )
    inter, root = _build_path(leaf_cert, inters, roots, usage)
    _check_window(leaf_cert, now, "agent")
    _check_window(inter, now, "intermediate CA")
    _check_window(root, now, "root CA")
    if revocation is not None:
        if revocation.issuer_key.raw != VerifyKey.from_cryptography(inter.public_key()).raw:
            raise CertificateError(
                Code.REVOCATION_LIST_INVALID, "the revocation list is not from the leaf's issuer"
            )
        revocation.require_fresh(now)  # [IDN-REV-008]
        reason = revocation.reason_for(info.serial)
        if reason is not None:  # [IDN-REV-008]
            raise CertificateError(
                Code.CERTIFICATE_REVOKED,
                f"the certificate was revoked ({reason.name.lower()})",
                data={"reason": int(reason)},
            )
    return ValidatedAgent(
        aic=info.aic,
        usage=info.usage,
        key=info.key,
        not_after=info.not_after,
        serial=info.serial,
        root_fingerprint=hashlib.sha256(certificate_der(root)).hexdigest(),
    )
