"""The domain CA: a root and one intermediate that issues, renews and revokes agent certificates.

The trust bundle holds the root only [IDN-CA-002]; the intermediate signs every agent
certificate and every revocation list [IDN-CA-004].  All keys are Ed25519 [IDN-CA-006].
Mutable state lives in :class:`~aip.identity.ca_state.CaState`; keys and CA certificates
export as one PEM bundle.

Pure: ``now``, serial numbers, keys and token secrets are parameters.  Policy failures raise
:class:`~aip.errors.EnrollmentError`, certificate failures :class:`~aip.errors.CertificateError`,
key failures :class:`~aip.errors.KeyMaterialError`, bad AICs :class:`~aip.errors.AicError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.x509.oid import NameOID

from aip.errors import CertificateError, Code, EnrollmentError, KeyMaterialError
from aip.identity.aic import parse_aic
from aip.identity.ca_profile import build_ca_certificate, ca_name
from aip.identity.ca_state import CaState, IssuedRecord
from aip.identity.certificates import (
    DEFAULT_VALIDITY_DAYS,
    MAX_SERIAL,
    MAX_VALIDITY_DAYS,
    CertificateInput,
    Usage,
    build_agent_certificate,
    canonical_dns,
    certificate_der,
    certificate_pem,
    extension_of,
    load_certificate,
    load_certificates,
    require_utc,
    validity_bounds,
)
from aip.identity.chain import issued_by
from aip.identity.enrollment import DEFAULT_TOKEN_TTL, parse_csr, verify_rotation
from aip.identity.keyfile import signing_key_from_pem, signing_key_to_pem
from aip.identity.keys import SigningKey, VerifyKey
from aip.identity.revocation import RevocationEntry, RevocationReason, build_crl

__all__ = ["DEFAULT_CRL_PERIOD", "DEFAULT_RENEWAL_WINDOW_DAYS", "DomainCA"]

DEFAULT_RENEWAL_WINDOW_DAYS = 30  # [IDN-REN-001]
DEFAULT_CRL_PERIOD = timedelta(days=1)  # [IDN-REV-004]
_PEM_KEY = re.compile(
    rb"-----BEGIN PRIVATE KEY-----\r?\n.+?\r?\n-----END PRIVATE KEY-----\r?\n?", re.DOTALL
)


def _fail(code: Code, why: str) -> EnrollmentError:
    return EnrollmentError(code, why)


def _check_serial(serial: object, taken: object = ()) -> int:
    """A serial is an int in 1..2^159-1, unused by this issuer [IDN-CRT-009]."""
    if type(serial) is not int or not 0 < serial <= MAX_SERIAL:
        raise _fail(Code.SERIAL_INVALID, "a serial number is an integer in 1..2^159-1")
    if serial in taken:  # type: ignore[operator]
        raise _fail(Code.SERIAL_INVALID, "this serial number was already used by the issuer")
    return serial


def _check_domain(domain: str) -> str:
    try:
        return canonical_dns([domain])[0]
    except CertificateError:
        raise _fail(Code.INVALID_PARAMS, f"not a domain name: {domain!r}") from None


class DomainCA:
    """One domain's certificate authority (root -> intermediate) and its mutable state.

    Make one with :meth:`create` or :meth:`from_pem_bundle`.  The root key is only needed to
    create the intermediate; a CA loaded without it issues and revokes normally.
    """

    def __init__(
        self,
        *,
        root: x509.Certificate,
        intermediate: x509.Certificate,
        intermediate_key: SigningKey,
        state: CaState,
        root_key: SigningKey | None = None,
    ) -> None:
        """Assemble a CA from parts and check they belong together.

        Raises :class:`KeyMaterialError` KEY_INVALID if a key does not match its certificate,
        :class:`CertificateError` CERTIFICATE_CHAIN_INVALID if the intermediate is not a
        pathlen-0 CA issued by the self-signed root.
        """
        inter_public = VerifyKey.from_cryptography(intermediate.public_key())
        if intermediate_key.verify_key != inter_public:
            raise KeyMaterialError(Code.KEY_INVALID, "the intermediate key does not match")
        if root_key is not None and root_key.verify_key != VerifyKey.from_cryptography(
            root.public_key()
        ):
            raise KeyMaterialError(Code.KEY_INVALID, "the root key does not match")
        basic = extension_of(intermediate, x509.BasicConstraints)
        if (
            not (issued_by(root, root) and issued_by(intermediate, root))
            or basic is None
            or basic.value.path_length != 0
        ):
            raise CertificateError(
                Code.CERTIFICATE_CHAIN_INVALID, "the intermediate is not issued by the root"
            )
        self._root = root
        self._inter = intermediate
        self._inter_key = intermediate_key
        self._root_key = root_key
        self.state = state

    @classmethod
    def create(
        cls,
        domain: str,
        root_key: SigningKey,
        intermediate_key: SigningKey,
        now: datetime,
        *,
        root_serial: int,
        intermediate_serial: int,
        root_validity_days: int = 3650,
        intermediate_validity_days: int = 1825,
        max_validity_days: int = MAX_VALIDITY_DAYS,
        renewal_window_days: int = DEFAULT_RENEWAL_WINDOW_DAYS,
    ) -> DomainCA:
        """Create a root (pathlen 1) and an intermediate (pathlen 0) for ``domain``.

        Both start at ``now``; the intermediate may not outlive the root.  Raises
        :class:`EnrollmentError` INVALID_PARAMS (bad domain or settings), SERIAL_INVALID
        (serials bad or equal) or VALIDITY_INVALID (a lifetime below 1 day, or the
        intermediate's above the root's), :class:`KeyMaterialError` KEY_INVALID if both keys
        are the same.
        """
        name = _check_domain(domain)
        _check_serial(root_serial)
        _check_serial(intermediate_serial, {root_serial})
        if not 1 <= intermediate_validity_days <= root_validity_days:
            raise _fail(Code.VALIDITY_INVALID, "CA lifetimes must be >= 1 day, nested")
        if max_validity_days < 1 or renewal_window_days < 0:
            raise _fail(Code.INVALID_PARAMS, "bad CA settings")
        if root_key.verify_key == intermediate_key.verify_key:  # [IDN-CA-001]
            raise KeyMaterialError(Code.KEY_INVALID, "root and intermediate need distinct keys")
        root_name = ca_name(name, "Root")
        start, root_end = validity_bounds(now, root_validity_days)
        root = build_ca_certificate(
            subject=root_name,
            issuer=root_name,
            key=root_key.verify_key,
            signer=root_key,
            serial=root_serial,
            not_before=start,
            not_after=root_end,
            path_length=1,
            issuer_key=None,
        )
        inter = build_ca_certificate(
            subject=ca_name(name, "Intermediate"),
            issuer=root_name,
            key=intermediate_key.verify_key,
            signer=root_key,
            serial=intermediate_serial,
            not_before=start,
            not_after=start + timedelta(days=intermediate_validity_days),
            path_length=0,
            issuer_key=root_key.verify_key,
        )
        state = CaState(
            domain=name,
            max_validity_days=max_validity_days,
            renewal_window_days=renewal_window_days,
        )
        return cls(
            root=root,
            intermediate=inter,
            intermediate_key=intermediate_key,
            state=state,
            root_key=root_key,
        )

    # --- certificates and keys -------------------------------------------------------------

    @property
    def root_certificate(self) -> x509.Certificate:
        """The self-signed root: the only trust anchor."""
        return self._root

    @property
    def intermediate_certificate(self) -> x509.Certificate:
        """The issuing CA certificate; agents send it beside their leaf."""
        return self._inter

    def trust_bundle_pem(self) -> bytes:
        """The trust bundle relying parties install: the root certificate only [IDN-CA-002]."""
        return certificate_pem(self._root)

    def chain_pem(self) -> bytes:
        """The intermediate certificate, PEM: what follows the leaf in a presented chain."""
        return certificate_pem(self._inter)

    def to_pem_bundle(self, *, include_root_key: bool = True) -> bytes:
        """Root cert, intermediate cert, intermediate key, root key (if kept and asked), PEM.

        Private keys are unencrypted PKCS#8: the caller encrypts the bundle at rest.
        """
        parts = [certificate_pem(self._root), certificate_pem(self._inter)]
        parts.append(signing_key_to_pem(self._inter_key))
        if include_root_key and self._root_key is not None:
            parts.append(signing_key_to_pem(self._root_key))
        return b"".join(parts)

    @classmethod
    def from_pem_bundle(cls, bundle: bytes, state: CaState | None = None) -> DomainCA:
        """Load a CA written by :meth:`to_pem_bundle`; a fresh state if ``state`` is None.

        Raises :class:`CertificateError` CERTIFICATE_MALFORMED (not two certificates),
        CERTIFICATE_CHAIN_INVALID, :class:`KeyMaterialError` KEY_INVALID (keys missing, extra
        or not matching), :class:`EnrollmentError` INVALID_PARAMS (state of another domain).
        """
        if not isinstance(bundle, bytes):
            raise CertificateError(Code.CERTIFICATE_MALFORMED, "a PEM bundle is bytes")
        certs = load_certificates(bundle)
        if len(certs) != 2:
            raise CertificateError(Code.CERTIFICATE_MALFORMED, "expected root and intermediate")
        root, inter = certs
        keys = [signing_key_from_pem(block) for block in _PEM_KEY.findall(bundle)]
        inter_public = VerifyKey.from_cryptography(inter.public_key())
        inter_keys = [k for k in keys if k.verify_key == inter_public]
        others = [k for k in keys if k.verify_key != inter_public]
        if len(inter_keys) != 1 or len(others) > 1:
            raise KeyMaterialError(Code.KEY_INVALID, "expected the intermediate key (+ root key)")
        orgs = root.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        domain = str(orgs[0].value) if orgs else ""
        if state is None:
            state = CaState(domain=domain)
        elif state.domain != domain:
            raise _fail(Code.INVALID_PARAMS, "the state belongs to another domain")
        return cls(
            root=root,
            intermediate=inter,
            intermediate_key=inter_keys[0],
            state=state,
            root_key=others[0] if others else None,
        )

    # --- issuing -----------------------------------------------------------------------------

    def _build(
        self,
        aic: str,
        key: VerifyKey,
        usage: Usage,
        now: datetime,
        serial: int,
        *,
        validity_days: int,
        dns: Sequence[str],
        ips: Sequence[str],
        taken: set[int],
    ) -> x509.Certificate:
        """Policy checks, then the certificate; records nothing."""
        canonical = str(parse_aic(aic))
        if not isinstance(usage, Usage):
            raise _fail(Code.INVALID_PARAMS, "usage is clientAuth or serverAuth")
        _check_serial(serial, taken | self.state.issued.keys())
        if type(validity_days) is not int or not (
            1 <= validity_days <= self.state.max_validity_days
        ):  # [IDN-CRT-011]
            raise _fail(Code.VALIDITY_INVALID, "validity must be 1 day to the CA maximum")
        start, end = validity_bounds(now, validity_days)
        if start < self._inter.not_valid_before_utc or end > self._inter.not_valid_after_utc:
            # [IDN-CA-007]
            raise _fail(Code.VALIDITY_INVALID, "the certificate would outlive its issuer")
        if key in (
            self._inter_key.verify_key,
            VerifyKey.from_cryptography(self._root.public_key()),
        ):
            # [IDN-CA-008]
            raise KeyMaterialError(Code.KEY_INVALID, "an agent may not use a CA key")
        return build_agent_certificate(
            aic=canonical,
            key=key,
            usage=usage,
            issuer=self._inter,
            issuer_key=self._inter_key,
            serial=serial,
            not_before=start,
            not_after=end,
            dns=dns,
            ips=ips,
        )

    def issue(
        self,
        aic: str,
        key: VerifyKey,
        usage: Usage,
        now: datetime,
        serial: int,
        *,
        validity_days: int = DEFAULT_VALIDITY_DAYS,
        dns: Sequence[str] = (),
        ips: Sequence[str] = (),
    ) -> x509.Certificate:
        """Issue one agent certificate valid from ``now`` for ``validity_days`` [IDN-CRT-010].

        The operator path: the caller has already established who owns ``aic`` (enrollment
        goes through :meth:`enroll`).  Raises :class:`AicError`; :class:`EnrollmentError`
        SERIAL_INVALID (bad or reused serial) or VALIDITY_INVALID (outside 1..max days, or
        beyond the intermediate's notAfter); :class:`KeyMaterialError` KEY_INVALID (a CA key);
        :class:`CertificateError` CERTIFICATE_PROFILE_INVALID (bad DNS/IP).
        """
        cert = self._build(
            aic,
            key,
            usage,
            now,
            serial,
            validity_days=validity_days,
            dns=dns,
            ips=ips,
            taken=set(),
        )
        self.state.issued[serial] = IssuedRecord.of(cert)
        return cert

    def issue_token(
        self, aic: str, secret: bytes, now: datetime, ttl: timedelta = DEFAULT_TOKEN_TTL
    ) -> str:
        """Issue a one-time enrollment token for ``aic``; see :meth:`TokenBook.issue`."""
        return self.state.tokens.issue(aic, secret, now, ttl)

    def enroll(
        self,
        token_text: str,
        csr: bytes | str,
        now: datetime,
        usages: Usage | Sequence[Usage],
        serials: Sequence[int],
        *,
        validity_days: int = DEFAULT_VALIDITY_DAYS,
        dns: Sequence[str] = (),
        ips: Sequence[str] = (),
    ) -> tuple[x509.Certificate, ...]:
        """Redeem a token and issue one certificate per usage over the CSR key [IDN-ENR-007].

        ``serials`` pairs with the usages in the order (clientAuth, serverAuth).  Nothing
        changes unless every certificate can be issued; then the token is consumed
        [IDN-ENR-006].  The same request again (same token, CSR bytes and usages, the token not
        yet expired) gets the certificates already issued, and nothing changes: an answer lost
        on the way never costs the agent its token [IDN-ENR-011].  Raises
        what :meth:`TokenBook.check` and :meth:`issue` raise, and SERIAL_INVALID if the number
        of serials differs from the number of usages.
        """
        again = self._replayed(token_text, csr, now, usages)
        if again is not None:  # the same request after a lost answer: the same answer
            return again
        grant = self.state.tokens.check(token_text, csr, now, usages)
        if not isinstance(serials, Sequence) or len(serials) != len(grant.usages):
            raise _fail(Code.SERIAL_INVALID, "give one serial number per usage")
        taken: set[int] = set()
        certs = []
        for usage, serial in zip(grant.usages, serials, strict=True):
            certs.append(
                self._build(
                    grant.aic,
                    grant.key,
                    usage,
                    now,
                    serial,
                    validity_days=validity_days,
                    dns=dns,
                    ips=ips,
                    taken=taken,
                )
            )
            taken.add(serial)
        self.state.tokens.consume(grant, now, tuple(cert.serial_number for cert in certs))
        for cert in certs:
            self.state.issued[cert.serial_number] = IssuedRecord.of(cert)
        return tuple(certs)

    def _replayed(
        self,
        token_text: str,
        csr: bytes | str,
        now: datetime,
        usages: Usage | Sequence[Usage],
    ) -> tuple[x509.Certificate, ...] | None:
        """The certificates a used token was answered with, when this is the same request
        again and none of them was revoked since [IDN-ENR-011]; else None."""
        serials = self.state.tokens.replay(token_text, csr, now, usages)
        if not serials:
            return None
        records = [self.state.issued.get(serial) for serial in serials]
        if any(r is None or r.serial in self.state.revoked for r in records):
            return None
        return tuple(load_certificate(r.der) for r in records if r is not None)

    # --- renewal, rotation, revocation -------------------------------------------------------

    def _own(self, target: CertificateInput | int) -> IssuedRecord:
        """The record of a certificate this CA issued, else ISSUER_MISMATCH.

        Recognised by serial and identical DER [IDN-REV-001] [IDN-REN-002].
        """
        if isinstance(target, int):
            record = self.state.issued.get(target)
        else:
            cert = load_certificate(target)
            record = self.state.issued.get(cert.serial_number)
            if record is not None and record.der != certificate_der(cert):
                record = None
        if record is None:
            raise _fail(Code.ISSUER_MISMATCH, "this CA did not issue that certificate")
        return record

    def renew(
        self,
        current: CertificateInput,
        csr: bytes | str,
        now: datetime,
        serial: int,
        *,
        validity_days: int = DEFAULT_VALIDITY_DAYS,
        force: bool = False,
        rotation_signature: bytes | None = None,
    ) -> x509.Certificate:
        """Renew ``current`` (same key) or rotate its key (new key) [IDN-REN-001..005].

        Checks in order: ``current`` parses (CERTIFICATE_MALFORMED) and was issued by this CA
        (ISSUER_MISMATCH); it is not revoked (CERTIFICATE_REVOKED), has no successor yet
        (CERTIFICATE_SUPERSEDED), and is not outside its validity
        (CERTIFICATE_EXPIRED / CERTIFICATE_NOT_YET_VALID); fewer than the window's days remain
        unless ``force`` (RENEWAL_NOT_DUE); the CSR is valid (CSR_INVALID) and names the same
        AIC (ENROLLMENT_AIC_MISMATCH); same key: no ``rotation_signature`` allowed, new key: a
        valid one is required (ROTATION_PROOF_INVALID) [IDN-ROT-001]; then :meth:`issue`'s
        checks.  The same request again, once ``current`` has a successor (a CSR for the
        successor's key; the successor not revoked), gets that successor and changes nothing,
        before any other check [IDN-REN-011].  The new certificate keeps the usage and DNS/IP
        names.  A rotation revokes, with
        reason SUPERSEDED at ``now``, every unrevoked certificate of the same AIC and usage over
        the old key, ``current`` and its renewed predecessors included [IDN-ROT-003].
        """
        now = require_utc(now)
        old = self._own(current)
        info = old.info
        again = self._renewed_again(old, csr)
        if again is not None:  # the same request after a lost answer [IDN-REN-011]
            return again
        if old.serial in self.state.revoked:
            raise CertificateError(Code.CERTIFICATE_REVOKED, "a revoked certificate is not renewed")
        if any(rec.predecessor == old.serial for rec in self.state.issued.values()):
            # [IDN-REN-006] only the newest certificate of a lineage moves it forward
            raise _fail(Code.CERTIFICATE_SUPERSEDED, "renew the newest certificate instead")
        if now > info.not_after:  # [IDN-REN-003]
            raise CertificateError(Code.CERTIFICATE_EXPIRED, "expired: enroll again with a token")
        if now < info.not_before:
            raise CertificateError(Code.CERTIFICATE_NOT_YET_VALID, "not yet valid")
        window = timedelta(days=self.state.renewal_window_days)
        if not force and info.not_after - now >= window:  # [IDN-REN-001]
            raise _fail(
                Code.RENEWAL_NOT_DUE, "renewal opens when fewer days than the window remain"
            )
        request = parse_csr(csr)
        if not request.names(info.aic):
            raise _fail(Code.ENROLLMENT_AIC_MISMATCH, "the CSR names another AIC")
        rotating = request.key != info.key
        if rotating:  # [IDN-ROT-001]
            verify_rotation(info.key, old.der, request.der, rotation_signature)
        elif rotation_signature is not None:
            raise _fail(Code.ROTATION_PROOF_INVALID, "a rotation signature needs a new key")
        cert = self._build(
            info.aic,
            request.key,
            info.usage,
            now,
            serial,
            validity_days=validity_days,
            dns=info.dns,
            ips=info.ips,
            taken=set(),
        )
        self.state.issued[serial] = IssuedRecord.of(cert, predecessor=old.serial)
        if rotating:  # [IDN-ROT-003] the old key is retired for this AIC and usage
            revoked_at = now.replace(microsecond=0)
            for rec in self.state.issued.values():
                same = rec.info.aic == info.aic and rec.info.usage is info.usage
                if same and rec.info.key == info.key and rec.serial not in self.state.revoked:
                    self.state.revoked[rec.serial] = RevocationEntry(
                        rec.serial, revoked_at, RevocationReason.SUPERSEDED
                    )
        return cert

    def _renewed_again(self, old: IssuedRecord, csr: bytes | str) -> x509.Certificate | None:
        """The successor of ``old``, when this CSR asks for it again: it names the same AIC
        and carries the successor's key, and the successor is not revoked [IDN-REN-011]."""
        issued = self.state.issued.values()
        successor = next((r for r in issued if r.predecessor == old.serial), None)
        if successor is None or successor.serial in self.state.revoked:
            return None
        try:
            request = parse_csr(csr)
        except (EnrollmentError, TypeError):  # left to the checks that report it
            return None
        if not request.names(old.info.aic) or request.key != successor.info.key:
            return None
        return load_certificate(successor.der)

    def revoke(
        self, target: CertificateInput | int, reason: RevocationReason | int, now: datetime
    ) -> RevocationEntry:
        """Revoke a certificate (object, PEM/DER or serial) this CA issued [IDN-REV-001].

        Returns the new entry.  Raises :class:`EnrollmentError` ISSUER_MISMATCH (not ours),
        ALREADY_REVOKED, INVALID_PARAMS (a reason that is not an integer in 0..5);
        CERTIFICATE_MALFORMED.
        """
        try:
            if type(reason) is not int and not isinstance(reason, RevocationReason):
                raise ValueError("a reason is an integer")  # True and 1.0 are not reasons
            why = RevocationReason(reason)  # [IDN-REV-002]
        except ValueError:
            raise _fail(Code.INVALID_PARAMS, "a revocation reason is 0..5") from None
        record = self._own(target)
        if record.serial in self.state.revoked:  # [IDN-REV-003]
            raise _fail(Code.ALREADY_REVOKED, "the certificate was already revoked")
        entry = RevocationEntry(record.serial, require_utc(now).replace(microsecond=0), why)
        self.state.revoked[record.serial] = entry
        return entry

    def revocation_list(self, now: datetime, period: timedelta = DEFAULT_CRL_PERIOD) -> bytes:
        """Sign the next revocation list (PEM), valid from ``now`` for ``period`` [IDN-REV-004].

        Lists every revoked certificate still unexpired at ``now`` [IDN-REV-005]; the CRL
        number grows by one per call [IDN-REV-004].  Raises :class:`EnrollmentError`
        INVALID_PARAMS for a period under one second.
        """
        now = require_utc(now).replace(microsecond=0)  # thisUpdate
        if period < timedelta(seconds=1):
            raise _fail(Code.INVALID_PARAMS, "a revocation list period is at least one second")
        live = [
            e for s, e in self.state.revoked.items() if self.state.issued[s].info.not_after >= now
        ]
        self.state.crl_number += 1
        return build_crl(
            issuer=self._inter,
            issuer_key=self._inter_key,
            entries=live,
            number=self.state.crl_number,
            this_update=now,
            next_update=now + period,
        )
