"""An authenticated client session over one WebSocket (shell: sockets, clock, randomness).

:func:`connect` dials a node, runs the in-band handshake of spec Part 7 and returns a
:class:`Session` bound to our AIC and to the server's proven AIC; :meth:`Session.call` then sends
requests with bounded waits, several in flight at once.  A failure to authenticate the server
closes the connection before any other request is sent [ARC-AUTH-002].
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from websockets.exceptions import InvalidHandshake, InvalidURI
from websockets.http11 import Response as HttpResponse

from aip.codec import dumps
from aip.errors import AipError, Code, registry
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
    dispatch,
    error_frame,
)
from aip.sessions.binding import check_reply, message_ids, seal_message
from aip.sessions.client import ClientHandshake
from aip.sessions.proofs import CHALLENGE_SIZE
from aip.sessions.server import AUTHENTICATE, HELLO
from aip.transport.link import CLOSE_TIMEOUT, Link, dial
from aip.transport.tls import dial as tls_dial

__all__ = [
    "AgentIdentity",
    "ConnectionLost",
    "Enrolled",
    "Session",
    "connect",
    "open_session",
]

logger = logging.getLogger("aip.client")


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


class ConnectionLost(AipError):
    """The connection closed, or could not be opened; pending calls fail with it."""

    def __init__(self, message: str) -> None:
        super().__init__(Code.INTERNAL_ERROR, message)


def _remote_error(error: dict[str, Any]) -> AipError:
    """The peer's error object as an AipError (unknown codes become InvalidAgentResponse)."""
    raw = error["code"]
    if raw in registry():
        return AipError(Code(raw), str(error.get("message", "")), data=error.get("data"))
    return AipError(Code.INVALID_AGENT_RESPONSE, "unregistered error code", data={"code": raw})


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
        self._ids = itertools.count(1)
        self._message_ids = message_ids(secrets.token_hex(8))
        self._pending: dict[int, asyncio.Future[Any]] = {}
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
        link = self._link
        if link is None or not link.is_open:
            raise ConnectionLost("the connection is closed")
        ident = next(self._ids)
        frame: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": ident}
        if params is not None:
            frame["params"] = params
        data = dumps(frame)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            async with asyncio.timeout(timeout):
                if link.paused:
                    await link.writable()  # the peer is not reading: wait, bounded
                if not link.send(data):
                    raise ConnectionLost("the connection closed")
                return await future
        finally:
            self._pending.pop(ident, None)

    # --- Endpoint (called by the link) ---------------------------------------------------------

    def accepting(self, link: Link, response: HttpResponse) -> None:
        """Server side only; a client has nothing to add."""

    def opened(self, link: Link) -> None:
        self._link = link

    def received(self, link: Link, message: str) -> None:
        frame = decode_frame(message)
        if isinstance(frame, Response):
            future = self._pending.get(frame.id) if isinstance(frame.id, int) else None
            if future is not None and not future.done():
                if frame.error is None:
                    future.set_result(frame.result)
                else:
                    future.set_exception(_remote_error(frame.error))
        elif isinstance(frame, Request | Notification):
            reply = self._serve(frame)
            if reply is not None:
                link.send(reply)

    def closed(self, link: Link, error: BaseException | None) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionLost("the connection closed"))

    def _serve(self, frame: Request | Notification) -> bytes | None:
        """Answer a request from the peer; a handler bug is logged and answered -32603."""
        if self.server is None:  # [ARC-AUTH-001] only a proven peer is served
            error = AipError(Code.AUTHENTICATION_REQUIRED, "the peer is not authenticated yet")
            return error_frame(frame.id, error) if isinstance(frame, Request) else None
        try:
            return dispatch(self._methods, frame, self._peer)
        except Exception:
            logger.exception("method %r failed", frame.method)
            if isinstance(frame, Request):
                return error_frame(frame.id, (Code.INTERNAL_ERROR, "internal error", None))
            return None

    # --- closing -----------------------------------------------------------------------------

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
