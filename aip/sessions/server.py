"""The server side of the in-band session handshake, as a state table (spec Part 7).

Sans-I/O: the node's connection shell feeds every received call and a periodic tick into
:meth:`ServerHandshake.handle` with the current time (and, for ``node.hello``, 32 fresh random
bytes), and carries out the effects it returns: reply, refuse with an error, pass the call to
the method table, or close the connection.  Peer misbehaviour never raises out of ``handle``:
it becomes a refusal, and a failed handshake also closes the connection [SES-HSK-006].

The table ``TABLE`` maps every (state, input) pair to a handler; it is total, and a property
test runs every pair.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from aip.errors import AipError, CertificateError, Code, SessionError
from aip.identity.certificates import require_utc
from aip.identity.chain import ValidatedAgent
from aip.identity.keys import SigningKey
from aip.identity.revocation import RevocationList
from aip.jsonrpc import ANONYMOUS, Caller
from aip.sessions.proofs import (
    DEFAULT_SKEW,
    Role,
    SessionContext,
    encode_challenge,
    format_time,
    make_proof,
    read_challenge,
    verify_proof,
)
from aip.sessions.replay import ReplayCache

__all__ = [
    "AUTHENTICATE",
    "HELLO",
    "PROTOCOL_VERSION",
    "TABLE",
    "Close",
    "Effect",
    "Input",
    "Pass",
    "Refuse",
    "Reply",
    "ServerConfig",
    "ServerHandshake",
    "State",
]

HELLO = "node.hello"
AUTHENTICATE = "node.authenticate"
PROTOCOL_VERSION = "0.1"
POLICY_VIOLATION = 1008  # WebSocket close code for a failed or timed-out handshake


class State(StrEnum):
    """Where one connection is in its handshake."""

    AWAIT_HELLO = "await-hello"
    AWAIT_PROOF = "await-proof"
    AUTHENTICATED = "authenticated"
    CLOSED = "closed"


class Input(StrEnum):
    """What can happen to a connection."""

    HELLO = "hello"  # a node.hello request
    AUTHENTICATE = "authenticate"  # a node.authenticate request
    CALL = "call"  # any other request or notification
    TICK = "tick"  # time passes (the shell calls this periodically)


@dataclass(frozen=True, slots=True)
class Reply:
    """Answer the current request with ``result``."""

    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Refuse:
    """Answer the current request with ``error`` (a notification gets nothing)."""

    error: AipError


@dataclass(frozen=True, slots=True)
class Pass:
    """Hand the current call to the method table."""


@dataclass(frozen=True, slots=True)
class Close:
    """Close the connection with WebSocket ``status``; ``code`` says why (registry)."""

    status: int
    code: Code


Effect = Reply | Refuse | Pass | Close


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Who the server is and what it accepts; one per node, shared by its connections."""

    aic: str
    key: SigningKey
    certificates: Sequence[str]  # PEM: the node's serverAuth certificate, then its issuer
    trust_roots: Sequence[Any]
    audiences: frozenset[str]  # the URLs clients may dial this server by [SES-HSK-003]
    public_methods: frozenset[str] = frozenset({"node.info"})
    skew: timedelta = DEFAULT_SKEW
    handshake_timeout: timedelta = timedelta(seconds=10)  # [SES-HSK-004]
    revoked: Callable[[int], bool] | None = None  # live revocation status by serial
    revocation: RevocationList | None = None  # the issuer's current list, when the node has one
    # Federation peers: peer node AIC -> SHA-256 (hex) of the root its chain must end in.  Such
    # a root admits only the AICs mapped to it, and such an AIC only under its root.
    peer_roots: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ServerHandshake:
    """One connection's handshake, from open to authenticated or closed."""

    config: ServerConfig
    opened_at: datetime
    replay: ReplayCache
    state: State = State.AWAIT_HELLO
    session_aic: str | None = None
    session_expires: datetime | None = None
    caller: Caller = ANONYMOUS  # who the method table sees: set once authenticated
    _context: SessionContext | None = field(default=None, repr=False)

    @classmethod
    def authenticated(
        cls, config: ServerConfig, now: datetime, replay: ReplayCache, agent: ValidatedAgent
    ) -> ServerHandshake:
        """A connection whose transport already authenticated the client as ``agent`` (mTLS,
        spec Part 7 §7.4): it starts in the authenticated row of :data:`TABLE`, so handshake
        methods get -33701 and the tick closes it at ``agent.not_after`` [SES-TLS-008]."""
        return cls(
            config,
            require_utc(now),
            replay,
            state=State.AUTHENTICATED,
            session_aic=agent.aic,
            session_expires=agent.not_after,
            caller=Caller(agent.aic, agent.key),
        )

    def handle(
        self,
        kind: Input,
        now: datetime,
        *,
        method: str = "",
        params: Any = None,
        challenge: bytes = b"",
    ) -> list[Effect]:
        """Run one input through :data:`TABLE`; return the effects, in order.

        ``method`` names the call for CALL inputs, ``params`` are the call's params, and
        ``challenge`` is 32 fresh random bytes for HELLO.  Never raises on peer input.
        """
        handler = TABLE[(self.state, kind)]
        return handler(self, require_utc(now), method, params, challenge)

    # --- handlers (one per table cell group) ---------------------------------------------

    def _fail(self, error: AipError) -> list[Effect]:
        """A handshake failure: refuse, then close [SES-HSK-006]."""
        self.state = State.CLOSED
        return [Refuse(error), Close(POLICY_VIOLATION, error.code)]

    def _hello(self, now: datetime, _m: str, params: Any, challenge: bytes) -> list[Effect]:
        try:
            if not isinstance(params, dict) or params.keys() != {
                "clientChallenge",
                "audience",
                "protocolVersion",
            }:
                raise SessionError(
                    Code.PROOF_MALFORMED, "hello takes exactly the members of SES-HSK-001"
                )
            if params["protocolVersion"] != PROTOCOL_VERSION:
                raise SessionError(Code.PROOF_MALFORMED, f"protocolVersion {PROTOCOL_VERSION} only")
            if not isinstance(params["audience"], str):
                raise SessionError(Code.PROOF_MALFORMED, "audience is a URL string")
            if params["audience"] not in self.config.audiences:  # [SES-HSK-003]
                raise SessionError(Code.AUDIENCE_MISMATCH, "this server is not that URL")
            context = SessionContext(
                audience=params["audience"],
                client_challenge=read_challenge(params["clientChallenge"]),
                server_challenge=encode_challenge(challenge),
            )
        except AipError as exc:
            return self._fail(exc)
        self._context = context
        self.state = State.AWAIT_PROOF
        proof = make_proof(Role.SERVER, self.config.aic, context, now, self.config.key)
        return [
            Reply(
                {
                    "serverChallenge": context.server_challenge,
                    "proof": proof,
                    "certificates": list(self.config.certificates),
                }
            )
        ]

    def _authenticate(self, now: datetime, _m: str, params: Any, _c: bytes) -> list[Effect]:
        context = self._context
        assert context is not None  # set by _hello on the way into AWAIT_PROOF
        try:
            if not isinstance(params, dict) or params.keys() != {"proof", "certificates"}:
                raise SessionError(Code.PROOF_MALFORMED, "authenticate takes proof, certificates")
            if not self.replay.use(context.server_challenge, now):  # [SES-HSK-005]
                raise SessionError(Code.CHALLENGE_REPLAYED, "this challenge was already used")
            agent = verify_proof(
                params["proof"],
                params["certificates"],
                role=Role.CLIENT,
                context=context,
                trust_roots=self.config.trust_roots,
                now=now,
                skew=self.config.skew,
                revocation=self.config.revocation,
                revoked=self.config.revoked,
            )
            _check_peer_root(self.config.peer_roots, agent)
        except AipError as exc:
            return self._fail(exc)
        self.state = State.AUTHENTICATED
        self.session_aic = agent.aic
        self.session_expires = agent.not_after
        self.caller = Caller(agent.aic, agent.key)
        return [Reply({"sessionAic": agent.aic, "expiresAt": format_time(agent.not_after)})]

    def _out_of_order(self, _n: datetime, _m: str, _p: Any, _c: bytes) -> list[Effect]:
        return self._fail(SessionError(Code.HANDSHAKE_OUT_OF_ORDER, "not at this point"))

    def _again(self, _n: datetime, _m: str, params: Any, _c: bytes) -> list[Effect]:
        """A handshake method on an authenticated session: refused, session kept [ARC-AUTH-003]."""
        proof = params.get("proof") if isinstance(params, dict) else None
        claimed = proof.get("aic") if isinstance(proof, dict) else None
        if isinstance(claimed, str) and claimed != self.session_aic:
            error = AipError(Code.AUTHORIZATION_FAILED, "the session AIC cannot change")
        else:
            error = SessionError(Code.HANDSHAKE_OUT_OF_ORDER, "the session is authenticated")
        return [Refuse(error)]

    def _call_early(self, _n: datetime, method: str, _p: Any, _c: bytes) -> list[Effect]:
        if method in self.config.public_methods:  # [ARC-AUTH-001]
            return [Pass()]
        return [Refuse(AipError(Code.AUTHENTICATION_REQUIRED, "authenticate the session first"))]

    def _call(self, _n: datetime, _m: str, _p: Any, _c: bytes) -> list[Effect]:
        return [Pass()]

    def _tick_early(self, now: datetime, _m: str, _p: Any, _c: bytes) -> list[Effect]:
        if now - self.opened_at >= self.config.handshake_timeout:  # [SES-HSK-004]
            self.state = State.CLOSED
            return [Close(POLICY_VIOLATION, Code.HANDSHAKE_TIMEOUT)]
        return []

    def _tick(self, now: datetime, _m: str, _p: Any, _c: bytes) -> list[Effect]:
        assert self.session_expires is not None
        if now > self.session_expires:  # [SES-HSK-007]
            self.state = State.CLOSED
            return [Close(POLICY_VIOLATION, Code.SESSION_EXPIRED)]
        return []

    def _closed(self, _n: datetime, _m: str, _p: Any, _c: bytes) -> list[Effect]:
        return []


def _check_peer_root(peer_roots: Mapping[str, str], agent: ValidatedAgent) -> None:
    """A federation peer's root vouches for that peer's node AIC only, and a peer's AIC is
    accepted only under its own root (see :mod:`aip.node.federation`); anything else is refused
    with CERTIFICATE_CHAIN_INVALID: the chain ends in a root that is no anchor for this AIC."""
    if not peer_roots:
        return
    scoped = agent.aic in peer_roots or agent.root_fingerprint in peer_roots.values()
    if scoped and peer_roots.get(agent.aic) != agent.root_fingerprint:
        raise CertificateError(
            Code.CERTIFICATE_CHAIN_INVALID, "that root vouches only for its federation peer"
        )


Handler = Callable[[ServerHandshake, datetime, str, Any, bytes], list[Effect]]

# [SES-HSK-006] Every (state, input) pair has exactly one handler; nothing is implicit.
TABLE: dict[tuple[State, Input], Handler] = {
    (State.AWAIT_HELLO, Input.HELLO): ServerHandshake._hello,
    (State.AWAIT_HELLO, Input.AUTHENTICATE): ServerHandshake._out_of_order,
    (State.AWAIT_HELLO, Input.CALL): ServerHandshake._call_early,
    (State.AWAIT_HELLO, Input.TICK): ServerHandshake._tick_early,
    (State.AWAIT_PROOF, Input.HELLO): ServerHandshake._out_of_order,
    (State.AWAIT_PROOF, Input.AUTHENTICATE): ServerHandshake._authenticate,
    (State.AWAIT_PROOF, Input.CALL): ServerHandshake._call_early,
    (State.AWAIT_PROOF, Input.TICK): ServerHandshake._tick_early,
    (State.AUTHENTICATED, Input.HELLO): ServerHandshake._again,
    (State.AUTHENTICATED, Input.AUTHENTICATE): ServerHandshake._again,
    (State.AUTHENTICATED, Input.CALL): ServerHandshake._call,
    (State.AUTHENTICATED, Input.TICK): ServerHandshake._tick,
    (State.CLOSED, Input.HELLO): ServerHandshake._closed,
    (State.CLOSED, Input.AUTHENTICATE): ServerHandshake._closed,
    (State.CLOSED, Input.CALL): ServerHandshake._closed,
    (State.CLOSED, Input.TICK): ServerHandshake._closed,
}
