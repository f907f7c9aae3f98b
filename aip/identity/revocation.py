"""Revocation reasons and the signed revocation list (an X.509 v2 CRL).

The issuing (intermediate) CA signs a CRL listing every revoked certificate that has not yet
expired, each with its reason [IDN-REV-005].  A relying party calls :func:`verify_crl` against
the issuer certificate it already trusts and passes the returned :class:`RevocationList` to
:func:`aip.identity.chain.validate_chain`.

Pure: times are parameters.  Failures raise :class:`~aip.errors.CertificateError`
REVOCATION_LIST_INVALID.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from types import MappingProxyType
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import SignatureAlgorithmOID

from aip.errors import CertificateError, Code
from aip.identity.certificates import extension_of, require_utc
from aip.identity.keys import SigningKey, VerifyKey

__all__ = [
    "RevocationEntry",
    "RevocationList",
    "RevocationReason",
    "build_crl",
    "verify_crl",
]

_PEM_CRL = re.compile(rb"-----BEGIN X509 CRL-----\r?\n.+?\r?\n-----END X509 CRL-----", re.DOTALL)

# What a complete list may carry; a delta or partitioned list is refused even when its
# extension is not marked critical, since reading it as complete would hide revocations.
_LIST_EXTENSIONS = frozenset({x509.CRLNumber.oid, x509.AuthorityKeyIdentifier.oid})
_PARTIAL_LIST = frozenset({x509.DeltaCRLIndicator.oid, x509.IssuingDistributionPoint.oid})


class RevocationReason(IntEnum):
    """RFC 5280 CRLReason values an AIP CA uses [IDN-REV-002]."""

    UNSPECIFIED = 0
    KEY_COMPROMISE = 1
    CA_COMPROMISE = 2
    AFFILIATION_CHANGED = 3
    SUPERSEDED = 4
    CESSATION_OF_OPERATION = 5

    @property
    def flag(self) -> x509.ReasonFlags:
        """The ``cryptography`` flag for this reason."""
        return _FLAGS[self]


_FLAGS = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.CA_COMPROMISE: x509.ReasonFlags.ca_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
}
_REASONS = {flag: reason for reason, flag in _FLAGS.items()}
_E = TypeVar("_E", bound=x509.ExtensionType)


@dataclass(frozen=True, slots=True)
class RevocationEntry:
    """One revoked certificate: serial, when, why."""

    serial: int
    revoked_at: datetime
    reason: RevocationReason


@dataclass(frozen=True, slots=True)
class RevocationList:
    """A revocation list whose signature and freshness :func:`verify_crl` has checked.

    ``issuer_key`` is the key that signed it; ``entries`` maps serial to entry.
    """

    issuer_key: VerifyKey
    issuer: x509.Name
    number: int
    this_update: datetime
    next_update: datetime
    entries: Mapping[int, RevocationEntry]
    der: bytes

    def reason_for(self, serial: int) -> RevocationReason | None:
        """The revocation reason of ``serial``, or None if it is not listed."""
        entry = self.entries.get(serial)
        return None if entry is None else entry.reason

    def require_fresh(self, now: datetime) -> None:
        """Raise REVOCATION_LIST_INVALID unless thisUpdate <= now <= nextUpdate [IDN-REV-007]."""
        now = require_utc(now)
        if now > self.next_update:
            raise _invalid("the revocation list is stale (now is past nextUpdate)")
        if now < self.this_update:
            raise _invalid("the revocation list is not yet valid (thisUpdate is in the future)")


def _invalid(why: str) -> CertificateError:
    return CertificateError(Code.REVOCATION_LIST_INVALID, why)


def build_crl(
    *,
    issuer: x509.Certificate,
    issuer_key: SigningKey,
    entries: Iterable[RevocationEntry],
    number: int,
    this_update: datetime,
    next_update: datetime,
) -> bytes:
    """Sign a CRL over ``entries`` and return its PEM [IDN-REV-004] [IDN-REV-005].

    Low level: :meth:`aip.identity.ca.DomainCA.revocation_list` picks the entries and the
    number.  An UNSPECIFIED reason is encoded by leaving the reasonCode extension out (RFC 5280
    §5.3.1).  Raises ``ValueError`` if ``next_update`` is not after ``this_update`` (misuse).
    """
    this_update = require_utc(this_update).replace(microsecond=0)
    next_update = require_utc(next_update).replace(microsecond=0)
    if next_update <= this_update:
        raise ValueError("nextUpdate must be after thisUpdate")
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    )
    for entry in sorted(entries, key=lambda e: e.serial):
        revoked = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(require_utc(entry.revoked_at).replace(microsecond=0))
        )
        if entry.reason is not RevocationReason.UNSPECIFIED:
            revoked = revoked.add_extension(x509.CRLReason(entry.reason.flag), critical=False)
        builder = builder.add_revoked_certificate(revoked.build())
    crl = builder.sign(issuer_key.to_cryptography(), algorithm=None)
    return crl.public_bytes(Encoding.PEM)


def _load_crl(data: bytes | str) -> x509.CertificateRevocationList:
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    if not isinstance(raw, bytes):
        raise _invalid("a revocation list is PEM or DER bytes")
    try:
        if raw.lstrip().startswith(b"-----BEGIN"):
            blocks = _PEM_CRL.findall(raw)
            if len(blocks) != 1:
                raise _invalid("expected exactly one PEM X509 CRL block")
            return x509.load_pem_x509_crl(blocks[0])
        return x509.load_der_x509_crl(raw)
    except CertificateError:
        raise
    except Exception:
        raise _invalid("the revocation list does not parse") from None


def verify_crl(
    data: bytes | str,
    issuer: x509.Certificate,
    now: datetime,
    *,
    min_number: int | None = None,
) -> RevocationList:
    """Check a CRL (PEM or DER) against the ``issuer`` certificate at ``now``.

    Call before trusting any revocation status.  Checks, in order: it parses; the issuer may
    sign CRLs (keyUsage cRLSign) and has an Ed25519 key; the CRL names that issuer (name, and
    authorityKeyIdentifier if present); the Ed25519 signature; a CRL number and nextUpdate are
    present, and no other extension than those two and authorityKeyIdentifier is critical, nor
    a delta or partial list (deltaCRLIndicator, issuingDistributionPoint); the CRL number is at
    least ``min_number`` (the highest one the caller has seen) [IDN-REV-009];
    thisUpdate <= now <= nextUpdate; every entry's reason is one of the six and no entry
    extension is critical.  Returns the verified :class:`RevocationList`.  Raises
    :class:`CertificateError` REVOCATION_LIST_INVALID on the first failure.
    [IDN-REV-006] [IDN-REV-007]
    """
    now = require_utc(now)
    crl = _load_crl(data)
    try:
        result = _verify_loaded(crl, issuer)
        if min_number is not None and result.number < min_number:
            raise _invalid("the revocation list is older than one already seen")
        result.require_fresh(now)
        return result
    except CertificateError:
        raise
    except Exception as exc:  # lazily parsed parts of a malformed CRL
        raise _invalid(f"the revocation list does not parse: {type(exc).__name__}") from None


def _verify_loaded(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> RevocationList:
    public = issuer.public_key()
    ku = extension_of(issuer, x509.KeyUsage)
    if not isinstance(public, Ed25519PublicKey) or ku is None or not ku.value.crl_sign:
        raise _invalid("the issuer certificate may not sign revocation lists")
    if crl.issuer != issuer.subject:
        raise _invalid("the revocation list names another issuer")
    aki = _crl_extension(crl, x509.AuthorityKeyIdentifier)
    ski = extension_of(issuer, x509.SubjectKeyIdentifier)
    if aki is not None and ski is not None and aki.key_identifier != ski.value.digest:
        raise _invalid("the revocation list names another issuer key")
    der = crl.public_bytes(Encoding.DER)
    if crl.signature_algorithm_oid != SignatureAlgorithmOID.ED25519 or not der.endswith(
        b"\x03\x41\x00" + crl.signature
    ):  # one exact encoding of the Ed25519 signature, as for certificates [IDN-CA-006]
        raise _invalid("the revocation list is not signed with Ed25519")
    if not crl.is_signature_valid(public):
        raise _invalid("the revocation list signature does not verify")
    number = _crl_extension(crl, x509.CRLNumber)
    next_update = crl.next_update_utc
    if number is None or next_update is None:
        raise _invalid("the revocation list lacks a CRL number or nextUpdate")
    for ext in crl.extensions:
        if ext.oid in _PARTIAL_LIST or (ext.critical and ext.oid not in _LIST_EXTENSIONS):
            raise _invalid("a delta, partial or critically extended list is not supported")
    entries: dict[int, RevocationEntry] = {}
    for revoked in crl:
        if any(ext.critical for ext in revoked.extensions):
            raise _invalid("an entry carries a critical extension")
        reason_ext = _entry_reason(revoked)
        reason = RevocationReason.UNSPECIFIED if reason_ext is None else _REASONS.get(reason_ext)
        if reason is None or revoked.serial_number in entries:
            raise _invalid("an entry has an unknown reason or a repeated serial")
        entries[revoked.serial_number] = RevocationEntry(
            revoked.serial_number, revoked.revocation_date_utc, reason
        )
    return RevocationList(
        issuer_key=VerifyKey.from_cryptography(public),
        issuer=crl.issuer,
        number=number.crl_number,
        this_update=crl.last_update_utc,
        next_update=next_update,
        entries=MappingProxyType(entries),
        der=der,
    )


def _crl_extension(crl: x509.CertificateRevocationList, kind: type[_E]) -> _E | None:
    """The value of the CRL extension of class ``kind``, or None if absent."""
    try:
        return crl.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _entry_reason(revoked: x509.RevokedCertificate) -> x509.ReasonFlags | None:
    try:
        return revoked.extensions.get_extension_for_class(x509.CRLReason).value.reason
    except x509.ExtensionNotFound:
        return None
