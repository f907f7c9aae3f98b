"""An authenticated client session over one WebSocket (shell: sockets, clock, randomness).

:func:`connect` dials a node, runs the in-band handshake of spec Part 7 and returns a
:class:`Session` bound to our AIC and to the server's proven AIC; :meth:`Session.call` then sends
requests with bounded waits, several in flight at once.  A failure to authenticate the server
closes the connection before any other request is sent [ARC-AUTH-002].
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from websockets.exceptions import InvalidHandshake, InvalidURI
from websockets.http11 import Response as HttpResponse

from aip.errors import AipError, Code
from aip.identity.chain import ValidatedAgent
from aip.identity.keys import SigningKey
from aip.jsonrpc import (
    ANONYMOUS,
    Caller,
    Handler,
    Notification,
    Request,
    Response,
    decode_frame,
    error_frame,
)
from aip.sessions.binding import check_reply, message_ids, seal_message
from aip.sessions.client import ClientHandshake
from aip.sessions.proofs import CHALLENGE_SIZE
from aip.sessions.server import AUTHENTICATE, HELLO
from aip.transport.link import CLOSE_TIMEOUT, ConnectionLost, Link, dial
from aip.transport.rpc import Incoming, Outgoing
from aip.transport.tls import dial as tls_dial

__all__ = [
    "AgentIdentity",
    "ConnectionLost",
    "Enrolled",
    "Session",
    "authenticate",
    "connect",
    "open_session",
]


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    """What an agent needs to prove itself: AIC, key, clientAuth chain (PEM), trusted roots."""

    aic: str
    key: SigningKey
    certificates: Sequence[str]
    trust_roots: Sequence[Any]


@dataclass(frozen=True, slots=True)
class Enrolled:
    """What :func:`enroll` returns: the identity to connect with, every chain, the root PEM."""

    identity: AgentIdentity
    chains: dict[str, list[str]]  # usage -> [leaf PEM, intermediate PEM]
    trust_bundle: list[str]


class Session:
    """An open connection, authenticated once :func:`connect` returns it.

    Requests the peer sends us (a node pushes too) are answered from ``methods``, whose
    handlers see the proven peer as their :class:`~aip.jsonrpc.Caller`; with no table every
    such request gets -32601.  Everything received is handled as it arrives, inside the
    connection's read callback (see :mod:`aip.transport.link`).
    """

    def __init__(
        self,
        identity: AgentIdentity | None = None,
        methods: dict[str, Handler] | None = None,
    ) -> None:
        self._link: Link | None = None
        self._identity = identity
        self._methods = methods or {}
        self._message_ids = message_ids(secrets.token_hex(8))
        self._outgoing = Outgoing()
        self._incoming = Incoming()
        self._peer = ANONYMOUS
        self.aic: str | None = None
        self.server: ValidatedAgent | None = None

    def _authenticated(self, aic: str, server: ValidatedAgent) -> None:
        self.aic, self.server = aic, server
        self._peer = Caller(server.aic, server.key)

    # --- calls -------------------------------------------------------------------------------

    async def call_signed(
        self, method: str, body: dict[str, Any] | None = None, *, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Send ``body`` as a message signed by our AIC (spec Part 7 §7.6) and return the
        peer's signed answer, checked: it must come from the session's proven peer and its
        signature must hold [SES-BND-003].

        Raises like :meth:`call`, and INVALID_AGENT_RESPONSE or a Part 3 code for a bad answer;
        ``RuntimeError`` on a session that is not authenticated.
        """
        if self._identity is None or self.server is None:
            raise RuntimeError("signed calls need an authenticated session")
        message = seal_message(
            body or {},
            aic=self._identity.aic,
            key=self._identity.key,
            now=datetime.now(UTC),
            ident=self._message_ids(),
        )
        result = await self.call(method, {"message": message}, timeout=timeout)
        return check_reply(result, self.server.aic, self.server.key)

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 10.0
    ) -> Any:
        """Send a request and wait at most ``timeout`` seconds for its result.

        Several calls may be in flight at once; cancelling one forgets its answer.  Raises the
        peer's error as :class:`AipError` (its registry code), ``TimeoutError``, or
        :class:`ConnectionLost`.
        """
        return await self._outgoing.call(self._link, method, params, timeout)

    # --- Endpoint (called by the link) ---------------------------------------------------------

    def accepting(self, link: Link, response: HttpResponse) -> None:
        """Server side only; a client has nothing to add."""

    def opened(self, link: Link) -> None:
        self._link = link

    def received(self, link: Link, message: str) -> None:
        frame = decode_frame(message)
        if isinstance(frame, Response):
            self._outgoing.answer(frame)  # an answer to no call of ours is dropped
        elif isinstance(frame, Request | Notification):
            if self.server is None:  # [ARC-AUTH-001] only a proven peer is served
                error = AipError(Code.AUTHENTICATION_REQUIRED, "the peer is not authenticated")
                reply = error_frame(frame.id, error) if isinstance(frame, Request) else None
            else:
                reply = self._incoming.serve(link, self._methods, frame, self._peer)
            if reply is not None:
                link.send(reply)

    def closed(self, link: Link, error: BaseException | None) -> None:
        self._outgoing.fail_all()
        self._incoming.cancel_all()

    # --- closing -----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True while calls can be sent (opened, and no close started or received)."""
        return self._link is not None and self._link.is_open

    @property
    def close_code(self) -> int | None:
        """The close status the peer sent, once closed (1006 when it just dropped)."""
        return None if self._link is None else self._link.close_code

    @property
    def close_reason(self) -> str | None:
        """The close reason the peer sent (Part 7: ``"<code> <NAME>"`` for a refusal)."""
        return None if self._link is None else self._link.close_reason

    async def wait_closed(self) -> None:
        """Wait until the connection is gone; bound it with ``asyncio.timeout``."""
        if self._link is not None:
            await self._link.done.wait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (waiting at most the closing handshake's timeout); pending
        calls fail with :class:`ConnectionLost`."""
        link = self._link
        if link is None:
            return
        link.close(code, reason)
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT + 1):
                await link.done.wait()
        except TimeoutError:
            link.abort()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


async def open_session(
    url: str,
    identity: AgentIdentity | None = None,
    methods: dict[str, Handler] | None = None,
    *,
    timeout: float = 10.0,
) -> Session:
    """Open a WebSocket to ``url`` without authenticating (for enrollment and :func:`connect`).

    Raises :class:`ConnectionLost` when the server cannot be reached or refuses the upgrade.
    """
    session = Session(identity, methods)
    try:
        await dial(url, session, timeout=timeout)
    except (OSError, InvalidURI, InvalidHandshake, TimeoutError) as exc:
        raise ConnectionLost(f"cannot open {url}: {exc}") from None
    return session


async def connect(
    url: str,
    identity: AgentIdentity,
    expected_server_aic: str,
    *,
    timeout: float = 10.0,
    methods: dict[str, Handler] | None = None,
) -> Session:
    """Dial ``url``, authenticate both ways, and return the session.

    A ``wss://`` URL uses mTLS mode (spec Part 7 §7.4): TLS 1.3 with our clientAuth chain, the
    server's certificate checked for ``expected_server_aic``; ``ws://`` runs the in-band
    handshake.  ``methods`` answers requests the server sends us once it is authenticated.

    Raises the handshake's :class:`AipError` (Part 7 and Part 6 codes) after closing the
    connection with status 1008, or :class:`ConnectionLost` if the node cannot be reached.
    """
    if url.startswith("wss://"):  # [SES-TLS-008] the same session, authenticated by TLS
        session = Session(identity, methods)
        try:
            _, server = await tls_dial(
                url,
                session,
                aic=identity.aic,
                key=identity.key,
                certificates=identity.certificates,
                trust_roots=identity.trust_roots,
                expected_aic=expected_server_aic,
                timeout=timeout,
            )
        except (OSError, InvalidURI, InvalidHandshake, TimeoutError) as exc:
            raise ConnectionLost(f"cannot open {url}: {exc}") from None
        session._authenticated(identity.aic, server)
        return session
    session = await open_session(url, identity, methods, timeout=timeout)
    return await authenticate(session, url, identity, expected_server_aic, timeout=timeout)


async def authenticate(
    session: Session,
    url: str,
    identity: AgentIdentity,
    expected_server_aic: str,
    *,
    timeout: float = 10.0,
) -> Session:
    """Run the in-band handshake (spec Part 7) on an open ``session`` and return it.

    ``url`` is the audience named in the proof (the URL the server listens on); ``identity``
    is the session's own.  Raises and closes like :func:`connect`.
    """
    handshake = ClientHandshake(
        aic=identity.aic,
        key=identity.key,
        certificates=identity.certificates,
        trust_roots=identity.trust_roots,
        audience=url,
        expected_server_aic=expected_server_aic,
    )
    try:
        hello = await session.call(
            HELLO, handshake.hello(secrets.token_bytes(CHALLENGE_SIZE)), timeout=timeout
        )
        proof = handshake.on_hello(hello, datetime.now(UTC))
        done = await session.call(AUTHENTICATE, proof, timeout=timeout)
        aic = handshake.on_authenticated(done)
    except BaseException as exc:
        if isinstance(exc, AipError) and not isinstance(exc, ConnectionLost):
            await session.close(1008, f"{int(exc.code)} {exc.code.name}")  # [ARC-AUTH-002]
        else:
            await session.close()
        raise
    assert handshake.server is not None  # on_hello set it
    session._authenticated(aic, handshake.server)
    return session
