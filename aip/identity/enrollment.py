"""Enrollment tokens and certificate requests (CSR) with proof of possession.

An operator (or the registry) issues a one-time enrollment token bound to one AIC; the agent
redeems it once with a CSR signed by its new Ed25519 key and receives its certificates
(spec/06-identity-pki.md, IDN-ENR).  The token text is ``aipt1.<base64url secret>``; the CA
stores only SHA-256 of the secret [IDN-ENR-002].  One redemption may ask for both usages, so a
single token yields the clientAuth and the serverAuth certificate over the same key
[IDN-ENR-007].

Key rotation proves possession of the old key by a signature over :func:`rotation_message`
[IDN-ROT-002].

Pure: the secret, ``now`` and every id are parameters.  Failures raise
:class:`~aip.errors.EnrollmentError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from aip.errors import AicError, AipError, Code, EnrollmentError, IntegrityError
from aip.identity.aic import parse_aic
from aip.identity.certificates import Usage, format_utc, parse_utc, require_utc
from aip.identity.keys import SigningKey, VerifyKey, b64url_decode, b64url_encode

__all__ = [
    "DEFAULT_TOKEN_TTL",
    "ENROLL_METHOD",
    "MAX_SECRET_SIZE",
    "MIN_SECRET_SIZE",
    "ROTATION_CONTEXT",
    "TOKEN_PREFIX",
    "CertificateRequest",
    "EnrollmentGrant",
    "TokenBook",
    "TokenRecord",
    "build_csr",
    "normalise_usages",
    "parse_csr",
    "rotation_message",
    "sign_rotation",
    "token_id_of",
    "verify_rotation",
]

TOKEN_PREFIX = "aipt1."
DEFAULT_TOKEN_TTL = timedelta(hours=24)  # [IDN-ENR-003]
MIN_SECRET_SIZE = 16
MAX_SECRET_SIZE = 64
ROTATION_CONTEXT = b"aip-key-rotation-v1\x00"  # [IDN-ROT-002]

ENROLL_METHOD = "atr.enroll"  # the wire method that redeems a token (Part 6 §6.4)


def _fail(code: Code, why: str) -> EnrollmentError:
    return EnrollmentError(code, why)


def token_id_of(secret: bytes) -> str:
    """The token id: lowercase hex SHA-256 of the secret, the only thing the CA stores."""
    return hashlib.sha256(secret).hexdigest()


def _secret_of(token_text: object) -> bytes:
    """Decode ``aipt1.<base64url secret>``; anything else is an unknown token [IDN-ENR-001]."""
    if isinstance(token_text, str) and token_text.startswith(TOKEN_PREFIX):
        try:
            secret = b64url_decode(token_text[len(TOKEN_PREFIX) :])
        except ValueError:
            secret = b""
        if MIN_SECRET_SIZE <= len(secret) <= MAX_SECRET_SIZE:
            return secret
    raise _fail(Code.ENROLLMENT_TOKEN_UNKNOWN, "not an enrollment token of this CA")


def normalise_usages(usages: Usage | Iterable[Usage]) -> tuple[Usage, ...]:
    """One or both usages, without repeats, in the order (clientAuth, serverAuth).

    Raises :class:`EnrollmentError` INVALID_PARAMS for an empty or repeated selection.
    """
    if isinstance(usages, Usage):
        items = [usages]
    elif isinstance(usages, list | tuple | set | frozenset):
        items = list(usages)
    else:
        raise _fail(Code.INVALID_PARAMS, "usages are a Usage or a collection of them")
    if not items or len(set(items)) != len(items) or not all(isinstance(u, Usage) for u in items):
        raise _fail(Code.INVALID_PARAMS, "ask for clientAuth, serverAuth or both, once each")
    return tuple(u for u in Usage if u in items)


@dataclass(frozen=True, slots=True)
class CertificateRequest:
    """A CSR whose Ed25519 self-signature verified: the requested CN and the proven key."""

    cn: str | None
    key: VerifyKey
    der: bytes

    def names(self, aic: str) -> bool:
        """True if the CN, after AIC normalisation, is the canonical ``aic`` [IDN-ENR-005]."""
        if self.cn is None:
            return False
        try:
            return str(parse_aic(self.cn)) == aic
        except AicError:
            return False


def parse_csr(data: bytes | str) -> CertificateRequest:
    """Parse a CSR (PEM or DER) and check proof of possession of its key [IDN-ENR-005].

    Only the subject CN and the key are used; requested extensions are ignored (the CA decides
    the profile).  Raises :class:`EnrollmentError` CSR_INVALID if it does not parse, the key is
    not Ed25519, the self-signature fails, or the subject has more than one CN.
    """
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    try:
        if not isinstance(raw, bytes):
            raise TypeError("a CSR is PEM or DER bytes")
        if raw.lstrip().startswith(b"-----BEGIN"):
            csr = x509.load_pem_x509_csr(raw)
        else:
            csr = x509.load_der_x509_csr(raw)
        public = csr.public_key()
        if not isinstance(public, Ed25519PublicKey):
            raise _fail(Code.CSR_INVALID, "the CSR key is not Ed25519")
        if not csr.is_signature_valid:
            raise _fail(Code.CSR_INVALID, "the CSR self-signature does not verify")
        cns = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        der = csr.public_bytes(Encoding.DER)
    except EnrollmentError:
        raise
    except Exception:  # cryptography raises several types for malformed input
        raise _fail(Code.CSR_INVALID, "the CSR does not parse") from None
    if len(cns) > 1 or (cns and not isinstance(cns[0].value, str)):
        raise _fail(Code.CSR_INVALID, "the CSR subject must carry at most one CN")
    cn = cns[0].value if cns else None
    return CertificateRequest(
        cn=cn if isinstance(cn, str) else None, key=VerifyKey.from_cryptography(public), der=der
    )


def build_csr(key: SigningKey, aic: str) -> bytes:
    """The PEM CSR an agent sends to enroll or renew: subject CN = ``aic``, signed by ``key``.

    Raises :class:`AicError` if ``aic`` is not a valid AIC.
    """
    text = str(parse_aic(aic))
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])
    )
    return builder.sign(key.to_cryptography(), algorithm=None).public_bytes(Encoding.PEM)


def rotation_message(current_der: bytes, csr_der: bytes) -> bytes:
    """The exact bytes the OLD key signs to authorise a key rotation [IDN-ROT-002].

    ``ROTATION_CONTEXT`` (``aip-key-rotation-v1`` and one zero byte) || SHA-256(DER of the
    current certificate) || DER of the new CSR.
    """
    return ROTATION_CONTEXT + hashlib.sha256(current_der).digest() + csr_der


def sign_rotation(old_key: SigningKey, current_der: bytes, csr: bytes | str) -> bytes:
    """Agent side: the 64-byte rotation signature for ``csr`` (PEM or DER) under ``old_key``.

    Raises :class:`EnrollmentError` CSR_INVALID if ``csr`` does not parse.
    """
    return old_key.sign(rotation_message(current_der, parse_csr(csr).der))


def verify_rotation(
    old_key: VerifyKey, current_der: bytes, csr_der: bytes, signature: bytes | None
) -> None:
    """CA side: check the old key's rotation signature [IDN-ROT-001].

    Raises :class:`EnrollmentError` ROTATION_PROOF_INVALID if it is missing or does not verify.
    """
    if not isinstance(signature, bytes):
        raise _fail(Code.ROTATION_PROOF_INVALID, "a new key needs a rotation signature (bytes)")
    try:
        old_key.verify(signature, rotation_message(current_der, csr_der))
    except IntegrityError:
        raise _fail(Code.ROTATION_PROOF_INVALID, "the rotation signature does not verify") from None


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """What the CA keeps about one token: never the secret itself [IDN-ENR-002]."""

    token_id: str
    aic: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    request: str | None = None  # fingerprint of the redeeming request [IDN-ENR-011]
    serials: tuple[int, ...] = ()  # what that redemption issued, in usage order

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (times as RFC 3339 UTC)."""
        out: dict[str, Any] = {
            "token_id": self.token_id,
            "aic": self.aic,
            "issued_at": format_utc(self.issued_at),
            "expires_at": format_utc(self.expires_at),
            "used_at": None if self.used_at is None else format_utc(self.used_at),
        }
        if self.request is not None:
            out["request"] = self.request
            out["serials"] = [str(serial) for serial in self.serials]  # up to 159 bits
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenRecord:
        """Inverse of :meth:`to_dict` (records written before IDN-ENR-011 have no request).
        Raises ``KeyError``/``ValueError`` on a bad dict."""
        used, request = data["used_at"], data.get("request")
        return cls(
            token_id=str(data["token_id"]),
            aic=str(data["aic"]),
            issued_at=parse_utc(data["issued_at"]),
            expires_at=parse_utc(data["expires_at"]),
            used_at=None if used is None else parse_utc(used),
            request=None if request is None else str(request),
            serials=tuple(int(serial) for serial in data.get("serials", ())),
        )


def request_fingerprint(csr_der: bytes, usages: tuple[Usage, ...]) -> str:
    """What identifies one redemption request: the CSR's DER and the usages asked for."""
    digest = hashlib.sha256(csr_der)
    digest.update(",".join(usages).encode("ascii"))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class EnrollmentGrant:
    """What a successful token check hands the CA: issue ``usages`` for ``aic`` over ``key``."""

    token_id: str
    aic: str
    key: VerifyKey
    usages: tuple[Usage, ...]
    csr_der: bytes


@dataclass(slots=True)
class TokenBook:
    """The CA's enrollment tokens, keyed by token id.  Mutable; every method takes ``now``."""

    records: dict[str, TokenRecord]

    @classmethod
    def empty(cls) -> TokenBook:
        """A book with no tokens."""
        return cls(records={})

    def issue(
        self, aic: str, secret: bytes, now: datetime, ttl: timedelta = DEFAULT_TOKEN_TTL
    ) -> str:
        """Record a one-time token for ``aic`` and return its text ``aipt1.<secret>``.

        ``secret`` is 16-64 random bytes from the caller.  Raises :class:`AicError` for a bad
        AIC and :class:`EnrollmentError` INVALID_PARAMS for a bad secret size, a non-positive
        ``ttl`` or a secret already used for a token.  [IDN-ENR-001..003]
        """
        canonical = str(parse_aic(aic))
        if not isinstance(secret, bytes) or not MIN_SECRET_SIZE <= len(secret) <= MAX_SECRET_SIZE:
            raise _fail(Code.INVALID_PARAMS, "a token secret is 16 to 64 bytes")
        if ttl <= timedelta(0):
            raise _fail(Code.INVALID_PARAMS, "a token lifetime must be positive")
        token_id = token_id_of(secret)
        if token_id in self.records:
            raise _fail(Code.INVALID_PARAMS, "this secret was already used for a token")
        now = require_utc(now)
        self.records[token_id] = TokenRecord(token_id, canonical, now, now + ttl)
        return TOKEN_PREFIX + b64url_encode(secret)

    def check(
        self,
        token_text: str,
        csr: bytes | str,
        now: datetime,
        usages: Usage | Iterable[Usage],
    ) -> EnrollmentGrant:
        """Run every redemption check without consuming the token [IDN-ENR-004].

        Order, first failure wins: the usages (INVALID_PARAMS); the token is known
        (ENROLLMENT_TOKEN_UNKNOWN), not expired — it expires AT ``expires_at``
        (ENROLLMENT_TOKEN_EXPIRED) —, not used (ENROLLMENT_TOKEN_USED); the CSR parses, is
        Ed25519 and self-signed (CSR_INVALID); its CN is the token's AIC after AIC
        normalisation (ENROLLMENT_AIC_MISMATCH).  Returns an :class:`EnrollmentGrant`.
        """
        wanted = normalise_usages(usages)
        now = require_utc(now)
        secret = _secret_of(token_text)
        # Looking up by SHA-256 of the secret leaks nothing useful through timing.
        record = self.records.get(token_id_of(secret))
        if record is None:
            raise _fail(Code.ENROLLMENT_TOKEN_UNKNOWN, "not an enrollment token of this CA")
        if now >= record.expires_at:  # [IDN-ENR-003]
            raise _fail(Code.ENROLLMENT_TOKEN_EXPIRED, "the enrollment token has expired")
        if record.used_at is not None:  # [IDN-ENR-006]
            raise _fail(Code.ENROLLMENT_TOKEN_USED, "the enrollment token was already used")
        request = parse_csr(csr)
        if not request.names(record.aic):  # [IDN-ENR-005]
            raise _fail(Code.ENROLLMENT_AIC_MISMATCH, "the CSR names another AIC than the token")
        return EnrollmentGrant(record.token_id, record.aic, request.key, wanted, request.der)

    def consume(
        self, grant: EnrollmentGrant, now: datetime, serials: tuple[int, ...] = ()
    ) -> None:
        """Mark the token of ``grant`` used at ``now`` [IDN-ENR-006], remembering the request
        and the ``serials`` it was answered with [IDN-ENR-011].

        Raises ENROLLMENT_TOKEN_UNKNOWN / ENROLLMENT_TOKEN_USED if it vanished or was consumed
        since :meth:`check` (a second redemption racing the first).
        """
        record = self.records.get(grant.token_id)
        if record is None:
            raise _fail(Code.ENROLLMENT_TOKEN_UNKNOWN, "not an enrollment token of this CA")
        if record.used_at is not None:
            raise _fail(Code.ENROLLMENT_TOKEN_USED, "the enrollment token was already used")
        self.records[grant.token_id] = replace(
            record,
            used_at=require_utc(now),
            request=request_fingerprint(grant.csr_der, grant.usages),
            serials=serials,
        )

    def replay(
        self, token_text: str, csr: bytes | str, now: datetime, usages: Usage | Iterable[Usage]
    ) -> tuple[int, ...] | None:
        """The serials a used token was answered with, when this is the very same request
        again (same CSR bytes, same usages) before the token expires; else None [IDN-ENR-011].

        Never raises: anything else is left to :meth:`check` to refuse with its code.
        """
        try:
            wanted = normalise_usages(usages)
            record = self.records.get(token_id_of(_secret_of(token_text)))
            if record is None or record.used_at is None or record.request is None:
                return None
            if require_utc(now) >= record.expires_at:
                return None
            request = parse_csr(csr)
        except (AipError, ValueError):
            return None
        if request_fingerprint(request.der, wanted) != record.request:
            return None
        return record.serials

    def redeem(
        self,
        token_text: str,
        csr: bytes | str,
        now: datetime,
        usages: Usage | Iterable[Usage],
    ) -> EnrollmentGrant:
        """:meth:`check` then :meth:`consume`: one call for a redemption with no later step."""
        grant = self.check(token_text, csr, now, usages)
        self.consume(grant, now)
        return grant

    def purge(self, now: datetime) -> int:
        """Forget tokens that expired at or before ``now``; returns how many.

        A purged token then reads as ENROLLMENT_TOKEN_UNKNOWN instead of EXPIRED.
        """
        now = require_utc(now)
        gone = [tid for tid, rec in self.records.items() if rec.expires_at <= now]
        for tid in gone:
            del self.records[tid]
        return len(gone)

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-able records, sorted by token id."""
        return [self.records[tid].to_dict() for tid in sorted(self.records)]

    @classmethod
    def from_list(cls, items: list[dict[str, Any]]) -> TokenBook:
        """Inverse of :meth:`to_list`."""
        records = [TokenRecord.from_dict(item) for item in items]
        return cls(records={r.token_id: r for r in records})
