"""The client side of the in-band session handshake (spec Part 7).

Sans-I/O: the client's connection shell sends what :meth:`ClientHandshake.hello` returns as the
params of ``node.hello``, passes the result to :meth:`ClientHandshake.on_hello`, sends what that
returns as the params of ``node.authenticate``, and passes that result to
:meth:`ClientHandshake.on_authenticated`.  Any failure raises an :class:`~aip.errors.AipError`
whose code the shell reports when it closes the connection; the client never sends another
request on a connection whose server it could not authenticate [ARC-AUTH-002].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aip.errors import Code, SessionError
from aip.identity.chain import ValidatedAgent
from aip.identity.keys import SigningKey
from aip.sessions.proofs import (
    DEFAULT_SKEW,
    Role,
    SessionContext,
    encode_challenge,
    make_proof,
    read_challenge,
    verify_proof,
)
from aip.sessions.server import PROTOCOL_VERSION

__all__ = ["ClientHandshake"]


@dataclass(slots=True)
class ClientHandshake:
    """One outgoing connection's handshake with the server at ``audience``."""

    aic: str
    key: SigningKey
    certificates: Sequence[str]  # PEM: our clientAuth certificate, then its issuer
    trust_roots: Sequence[Any]
    audience: str  # the URL we dial, exactly as the server will see it named
    expected_server_aic: str  # from discovery or configuration [ARC-AUTH-002]
    skew: timedelta = DEFAULT_SKEW
    server: ValidatedAgent | None = None
    _challenge: str | None = field(default=None, repr=False)
    _context: SessionContext | None = field(default=None, repr=False)

    def hello(self, challenge: bytes) -> dict[str, Any]:
        """Params of ``node.hello``; ``challenge`` is 32 fresh random bytes [SES-HSK-001]."""
        if self._challenge is not None:
            raise SessionError(Code.HANDSHAKE_OUT_OF_ORDER, "hello was already sent")
        self._challenge = encode_challenge(challenge)
        return {
            "clientChallenge": self._challenge,
            "audience": self.audience,
            "protocolVersion": PROTOCOL_VERSION,
        }

    def on_hello(self, result: Any, now: datetime) -> dict[str, Any]:
        """Check the server's proof; return the params of ``node.authenticate``.

        Raises PROOF_MALFORMED, the errors of :func:`~aip.sessions.proofs.verify_proof`, and
        PEER_AIC_MISMATCH when the server is not ``expected_server_aic`` [ARC-AUTH-002].
        """
        context = self.check_server(result, now)
        proof = make_proof(Role.CLIENT, self.aic, context, now, self.key)
        return {"proof": proof, "certificates": list(self.certificates)}

    def check_server(self, result: Any, now: datetime) -> SessionContext:
        """Check the server's answer to ``node.hello`` only (proof, chain, expected AIC).

        Enrollment uses this on its own: an agent without certificates yet still makes sure it
        hands its token to the node it means before sending it.  Raises like :meth:`on_hello`.
        """
        if self._challenge is None or self._context is not None:
            raise SessionError(Code.HANDSHAKE_OUT_OF_ORDER, "no hello is outstanding")
        if not isinstance(result, dict) or result.keys() != {
            "serverChallenge",
            "proof",
            "certificates",
        }:
            raise SessionError(Code.PROOF_MALFORMED, "hello result of SES-HSK-002's members")
        context = SessionContext(
            audience=self.audience,
            client_challenge=self._challenge,
            server_challenge=read_challenge(result["serverChallenge"]),
        )
        self.server = verify_proof(
            result["proof"],
            result["certificates"],
            role=Role.SERVER,
            context=context,
            trust_roots=self.trust_roots,
            now=now,
            skew=self.skew,
            expected_aic=self.expected_server_aic,
        )
        self._context = context
        return context

    def on_authenticated(self, result: Any) -> str:
        """Check the server's answer to ``node.authenticate``; return our session AIC."""
        if self._context is None or self.server is None:
            raise SessionError(Code.HANDSHAKE_OUT_OF_ORDER, "no proof is outstanding")
        if not isinstance(result, dict) or result.get("sessionAic") != self.aic:
            raise SessionError(Code.PEER_AIC_MISMATCH, "the server bound another AIC")
        return self.aic
