"""Session proofs: the signed objects each side of the in-band handshake presents (Part 7).

Pure core: time (``now``) and challenges are parameters.  :func:`make_proof` builds and signs a
proof; :func:`verify_proof` checks one a peer sent, in the order of [SES-PRF-006], and returns
who the peer is.  Failures raise :class:`~aip.errors.SessionError` (-337xx), or the certificate
and integrity errors of Parts 3 and 6, each with its registry code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from aip.errors import CertificateError, Code, SessionError
from aip.identity.certificates import (
    Usage,
    certificate_pem,
    load_certificate,
    require_utc,
)
from aip.identity.chain import MAX_INTERMEDIATES, ValidatedAgent, validate_chain
from aip.identity.keys import SigningKey, b64url_decode, b64url_encode
from aip.identity.revocation import RevocationList
from aip.integrity import sign_object, verify_object

__all__ = [
    "CHALLENGE_SIZE",
    "DEFAULT_SKEW",
    "Role",
    "SessionContext",
    "certificate_list",
    "encode_challenge",
    "format_time",
    "make_proof",
    "read_challenge",
    "verify_proof",
]

CHALLENGE_SIZE = 32  # bytes of fresh randomness per challenge [SES-HSK-002]
DEFAULT_SKEW = timedelta(seconds=120)  # [SES-PRF-005]
PROOF_VERSION = 1
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_MEMBERS = frozenset(
    {
        "type",
        "version",
        "aic",
        "audience",
        "clientChallenge",
        "serverChallenge",
        "time",
        "integrity",
    }
)


class Role(StrEnum):
    """Who made a proof: the value of its ``type`` member [SES-PRF-001]."""

    CLIENT = "aip.session.client-proof"
    SERVER = "aip.session.server-proof"

    @property
    def usage(self) -> Usage:
        """The certificate usage the prover must hold: clientAuth or serverAuth [SES-PRF-003]."""
        return Usage.CLIENT if self is Role.CLIENT else Usage.SERVER


@dataclass(frozen=True, slots=True)
class SessionContext:
    """What both sides of one handshake agree on before any proof is made."""

    audience: str  # the server's URL as the client dialed it
    client_challenge: str  # base64url of 32 bytes, chosen by the client
    server_challenge: str  # base64url of 32 bytes, chosen by the server


def _malformed(why: str) -> SessionError:
    return SessionError(Code.PROOF_MALFORMED, why)


def encode_challenge(raw: bytes) -> str:
    """The wire form of a challenge.  Raises PROOF_MALFORMED unless ``raw`` is 32 bytes."""
    if not isinstance(raw, bytes) or len(raw) != CHALLENGE_SIZE:
        raise _malformed(f"a challenge is {CHALLENGE_SIZE} bytes")
    return b64url_encode(raw)


def read_challenge(value: Any) -> str:
    """Check a received challenge: base64url of exactly 32 bytes [SES-HSK-002]; return it."""
    try:
        if isinstance(value, str) and len(b64url_decode(value)) == CHALLENGE_SIZE:
            return value
    except ValueError:
        pass
    raise _malformed(f"a challenge is base64url of {CHALLENGE_SIZE} bytes")


def format_time(moment: datetime) -> str:
    """Proof time: RFC 3339 UTC, whole seconds, ``Z`` [SES-PRF-002]."""
    t = require_utc(moment)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}Z"


def make_proof(
    role: Role,
    aic: str,
    context: SessionContext,
    now: datetime,
    key: SigningKey,
) -> dict[str, Any]:
    """A signed proof that the holder of ``key`` is ``aic`` in this handshake [SES-PRF-001]."""
    body = {
        "type": str(role),
        "version": PROOF_VERSION,
        "aic": aic,
        "audience": context.audience,
        "clientChallenge": context.client_challenge,
        "serverChallenge": context.server_challenge,
        "time": format_time(now),
    }
    return sign_object(body, key)


def certificate_list(chain: Sequence[Any]) -> list[str]:
    """PEM texts of a leaf and its intermediates, for the ``certificates`` member."""
    return [certificate_pem(load_certificate(c)).decode("ascii") for c in chain]


def _read_certificates(value: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= 1 + MAX_INTERMEDIATES
        or not all(isinstance(c, str) for c in value)
    ):
        raise _malformed("certificates is a list of 1 to 5 PEM texts, the leaf first")
    return value


def _read_shape(proof: Any, role: Role) -> datetime:
    """Members, types and formats of a proof [SES-PRF-001] [SES-PRF-002]; return its time."""
    if not isinstance(proof, dict) or proof.keys() != _MEMBERS:
        raise _malformed("a proof has exactly the members of SES-PRF-001")
    if (
        proof["type"] != str(role)
        or type(proof["version"]) is not int
        or (proof["version"] != PROOF_VERSION)
    ):
        raise _malformed(f"expected a version {PROOF_VERSION} {role} proof")
    for name in ("aic", "audience", "time"):
        if not isinstance(proof[name], str) or not proof[name]:
            raise _malformed(f"{name} must be a non-empty string")
    read_challenge(proof["clientChallenge"])
    read_challenge(proof["serverChallenge"])
    if not _TIME.fullmatch(proof["time"]):
        raise _malformed("time is RFC 3339 UTC in whole seconds: YYYY-MM-DDTHH:MM:SSZ")
    try:
        return require_utc(datetime.fromisoformat(proof["time"]))
    except ValueError:
        raise _malformed("time is not a calendar date and time") from None


def verify_proof(
    proof: Any,
    certificates: Any,
    *,
    role: Role,
    context: SessionContext,
    trust_roots: Sequence[Any],
    now: datetime,
    skew: timedelta = DEFAULT_SKEW,
    expected_aic: str | None = None,
    revocation: RevocationList | None = None,
    revoked: Callable[[int], bool] | None = None,
) -> ValidatedAgent:
    """Check a peer's proof and certificates as received; return the proven identity.

    Checks, first failure deciding [SES-PRF-006]: shape (PROOF_MALFORMED); the two challenges
    are this handshake's (CHALLENGE_MISMATCH); the audience (AUDIENCE_MISMATCH); the time is
    within ``skew`` of ``now`` (CLOCK_SKEW); the certificate chain for the role's usage (Part 6
    codes); the proof's AIC is the certificate's, and ``expected_aic`` if given
    (PEER_AIC_MISMATCH); the signature, by the certificate's key (Part 3 codes).
    """
    now = require_utc(now)
    moment = _read_shape(proof, role)
    chain = _read_certificates(certificates)
    if (proof["clientChallenge"], proof["serverChallenge"]) != (
        context.client_challenge,
        context.server_challenge,
    ):  # [SES-PRF-004]
        raise SessionError(Code.CHALLENGE_MISMATCH, "the proof is for another handshake")
    if proof["audience"] != context.audience:  # [SES-PRF-004]
        raise SessionError(Code.AUDIENCE_MISMATCH, "the proof is for another server")
    if abs(moment - now) > skew:  # [SES-PRF-005]
        raise SessionError(Code.CLOCK_SKEW, "the proof's time is outside the skew window")
    agent = validate_chain(
        chain[0], chain[1:], trust_roots, now=now, usage=role.usage, revocation=revocation
    )  # [SES-PRF-003]
    if revoked is not None and revoked(agent.serial):  # the issuing CA's live state
        raise CertificateError(Code.CERTIFICATE_REVOKED, "the certificate was revoked")
    if proof["aic"] != agent.aic or (expected_aic is not None and agent.aic != expected_aic):
        raise SessionError(Code.PEER_AIC_MISMATCH, "the proven AIC is not the one expected")
    verify_object(proof, agent.key)  # [SES-PRF-001] kid and signature, Part 3
    return agent
