"""An authenticated client session over one WebSocket (shell: sockets, clock, randomness).

:func:`connect` dials a node, runs the in-band handshake of spec Part 7 and returns a
:class:`Session` bound to our AIC and to the server's proven AIC; :meth:`Session.call` then sends
requests with bounded waits, several in flight at once.  A failure to authenticate the server
closes the connection before any other request is sent [ARC-AUTH-002].
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException

from aip.codec import dumps
from aip.errors import AipError, Code, registry
from aip.identity.aic import parse_aic
from aip.identity.certificates import Usage, certificate_der, load_certificates
from aip.identity.chain import ValidatedAgent, validate_chain
from aip.identity.enrollment import ENROLL_METHOD, build_csr
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
from aip.transport.tls import dial

__all__ = ["AgentIdentity", "ConnectionLost", "Enrolled", "Session", "connect", "enroll"]

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
    """An open, authenticated connection.  Use :func:`connect` to make one.

    Requests the peer sends us (a node pushes too) are answered from ``methods``, whose
    handlers see the proven peer as their :class:`~aip.jsonrpc.Caller`; with no table every
    such request gets -32601.
    """

    def __init__(
        self,
        ws: ClientConnection,
        identity: AgentIdentity | None = None,
        methods: dict[str, Handler] | None = None,
    ) -> None:
        self._ws = ws
        self._identity = identity
        self._methods = methods or {}
        self._ids = itertools.count(1)
        self._message_ids = message_ids(secrets.token_hex(8))
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._peer = ANONYMOUS
        self._reader = asyncio.create_task(self._read())
        self.aic: str | None = None
        self.server: ValidatedAgent | None = None

    def _authenticated(self, aic: str, server: ValidatedAgent) -> None:
        self.aic, self.server = aic, server
        self._peer = Caller(server.aic, server.key)

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

        Raises the peer's error as :class:`AipError` (its registry code), ``TimeoutError``, or
        :class:`ConnectionLost`.
        """
        ident = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        frame: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": ident}
        if params is not None:
            frame["params"] = params
        try:
            await self._ws.send(dumps(frame), text=True)
            async with asyncio.timeout(timeout):
                return await future
        except ConnectionClosed:
            raise ConnectionLost("the connection closed") from None
        finally:
            self._pending.pop(ident, None)

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                if isinstance(message, bytes):
                    await self._ws.close(1003, "binary messages are not accepted")
                    break
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
                        await self._ws.send(reply, text=True)
        except ConnectionClosed:
            pass
        finally:
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

    async def close(self) -> None:
        """Close the connection and stop reading; pending calls fail with ConnectionLost."""
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


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
    try:
        if url.startswith("wss://"):  # [SES-TLS-008] the same session, authenticated by TLS
            ws, server = await dial(
                url,
                aic=identity.aic,
                key=identity.key,
                certificates=identity.certificates,
                trust_roots=identity.trust_roots,
                expected_aic=expected_server_aic,
                timeout=timeout,
            )
            session = Session(ws, identity, methods)
            session._authenticated(identity.aic, server)
            return session
        ws = await ws_connect(url, compression=None, open_timeout=timeout)
    except (OSError, InvalidURI, WebSocketException, TimeoutError) as exc:
        raise ConnectionLost(f"cannot open {url}: {exc}") from None
    session = Session(ws, identity, methods)
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
            await ws.close(1008, f"{int(exc.code)} {exc.code.name}")  # [ARC-AUTH-002]
        await session.close()
        raise
    assert handshake.server is not None  # on_hello set it
    session._authenticated(aic, handshake.server)
    return session


async def enroll(
    url: str,
    token: str,
    aic: str,
    key: SigningKey,
    *,
    usages: Sequence[Usage] = (Usage.CLIENT,),
    node_aic: str | None = None,
    ca_fingerprint: str | None = None,
    timeout: float = 10.0,
) -> Enrolled:
    """Redeem an enrollment token at the node; return what it issued, checked.

    With ``node_aic`` and ``ca_fingerprint`` (the SHA-256 of the domain root; ``aip node``
    prints both), the token is sent only after the node has proved, with the Part 7 server
    proof on this very connection, that it is ``node_aic`` under that root — so a process
    squatting on the address never sees it.  Without them the first answer is trusted (fit for
    a local development node only).  Every returned certificate must validate under the root
    for its usage, name ``aic`` and carry ``key``.  The result's ``identity`` holds the
    clientAuth chain, ready for :func:`connect`.  Raises the node's refusal (Part 6 codes),
    the handshake's codes, CERTIFICATE_CHAIN_INVALID for another root, or
    :class:`ConnectionLost`; ``ValueError`` if only one of the two pins is given.
    """
    if (node_aic is None) != (ca_fingerprint is None):
        raise ValueError("pin the node with both node_aic and ca_fingerprint, or neither")
    try:
        ws = await ws_connect(url, compression=None, open_timeout=timeout)
    except (OSError, InvalidURI, WebSocketException, TimeoutError) as exc:
        raise ConnectionLost(f"cannot open {url}: {exc}") from None
    async with Session(ws) as session:
        if node_aic is not None and ca_fingerprint is not None:
            roots = await _pinned_roots(session, ca_fingerprint, timeout)
            check = ClientHandshake(
                aic=aic,
                key=key,
                certificates=(),
                trust_roots=roots,
                audience=url,
                expected_server_aic=node_aic,
            )
            hello = await session.call(
                HELLO, check.hello(secrets.token_bytes(CHALLENGE_SIZE)), timeout=timeout
            )
            check.check_server(hello, datetime.now(UTC))  # raises before the token leaves
        params = {
            "token": token,
            "csr": build_csr(key, aic).decode("ascii"),
            "usages": [str(u) for u in usages],
        }
        result = await session.call(ENROLL_METHOD, params, timeout=timeout)
    roots = load_certificates("".join(result["trustBundle"]))
    if ca_fingerprint is not None and _fingerprint(roots[0]) != ca_fingerprint.lower():
        raise AipError(Code.CERTIFICATE_CHAIN_INVALID, "the node's root is not the one expected")
    now = datetime.now(UTC)
    for usage in usages:
        chain = result["certificates"][str(usage)]
        agent = validate_chain(chain[0], chain[1:], roots, now=now, usage=usage)
        if agent.aic != str(parse_aic(aic)) or agent.key != key.verify_key:
            raise AipError(Code.INVALID_AGENT_RESPONSE, "the certificate is not for us")
    chains = {str(u): list(result["certificates"][str(u)]) for u in usages}
    client = chains.get(str(Usage.CLIENT), [])
    return Enrolled(
        AgentIdentity(str(parse_aic(aic)), key, client, roots), chains, list(result["trustBundle"])
    )


def _fingerprint(cert: Any) -> str:
    return hashlib.sha256(certificate_der(cert)).hexdigest()


async def _pinned_roots(session: Session, fingerprint: str, timeout: float) -> list[Any]:
    """The node's advertised root, if it is the pinned one; else CERTIFICATE_CHAIN_INVALID."""
    info = await session.call("node.info", timeout=timeout)
    try:
        roots = load_certificates("".join(info["trustBundle"]))
    except (KeyError, TypeError) as exc:
        raise AipError(
            Code.INVALID_AGENT_RESPONSE, f"node.info without a trust bundle: {exc}"
        ) from None
    pinned = [root for root in roots if _fingerprint(root) == fingerprint.lower()]
    if not pinned:
        raise AipError(Code.CERTIFICATE_CHAIN_INVALID, "the node's root is not the one expected")
    return pinned
