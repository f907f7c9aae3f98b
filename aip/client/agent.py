"""An agent that serves requests and calls its peers (shell): the heart of the Agent SDK.

::

    agent = Agent(enrolled)                      # from aip.client.enroll(...)
    @agent.method("echo.say")                    # plain JSON-RPC, caller authenticated
    def say(params, caller): return {"text": params["text"], "to": caller.aic}
    @agent.signed("echo.sign")                   # signed messages both ways (Part 7 §7.6)
    def sign(message, caller): return {"text": message["text"]}
    await agent.start()                          # listens; every caller must authenticate
    async with await agent.connect(peer_url, peer_aic) as peer:
        await peer.call("echo.say", {"text": "hi"})
        await peer.call_signed("echo.sign", {"text": "hi"})   # checked reply message

Callers authenticate with the Part 7 handshake against the agent's serverAuth certificate; no
method is callable before that.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal, overload

from aip.client.reconnect import ReconnectingSession
from aip.client.session import Enrolled, Session, connect
from aip.identity.certificates import Usage
from aip.jsonrpc import Handler
from aip.sessions.binding import SignedHandler, SignedMethod, message_ids
from aip.transport.listener import Limits, SessionListener

__all__ = ["Agent"]


class Agent:
    """Serves the methods registered with :meth:`method`, as the enrolled AIC."""

    def __init__(
        self,
        enrolled: Enrolled,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        tls: bool = False,
    ) -> None:
        """``tls=True`` serves ``wss://`` in mTLS mode (spec Part 7 §7.4) instead of ``ws://``
        with the in-band handshake.  Raises ``ValueError`` without a serverAuth chain."""
        if str(Usage.SERVER) not in enrolled.chains:
            raise ValueError("serving needs a serverAuth certificate: enroll with both usages")
        self.enrolled = enrolled
        self._tls = tls
        self._methods: dict[str, Handler] = {}
        self._listener = SessionListener(
            host=host, port=port, methods=self._methods, public_methods=frozenset(), limits=limits
        )

    @property
    def aic(self) -> str:
        """Who this agent is."""
        return self.enrolled.identity.aic

    @property
    def url(self) -> str:
        """Where peers reach this agent (after :meth:`start`)."""
        return self._listener.url

    def method(self, name: str) -> Callable[[Handler], Handler]:
        """Decorator: serve ``name`` with the decorated ``handler(params, caller) -> result``.

        The handler gets the params and the :class:`~aip.jsonrpc.Caller` (the authenticated
        peer).  It raises :class:`~aip.errors.AipError` to refuse with a registry code; any other
        exception is a bug, answered with -32603.
        """

        def register(handler: Handler) -> Handler:
            self._add(name, handler)
            return handler

        return register

    def signed(self, name: str) -> Callable[[SignedHandler], SignedHandler]:
        """Decorator: serve ``name`` with signed messages both ways (spec Part 7 §7.6).

        The decorated ``handler(message, caller) -> body`` gets the request message only after
        its ``senderId`` proved to be the caller's session AIC and its signature held; the body
        it returns goes back signed by this agent.  Callers use ``Session.call_signed``.
        """

        def register(handler: SignedHandler) -> SignedHandler:
            identity = self.enrolled.identity
            self._add(
                name,
                SignedMethod(
                    handler,
                    identity.aic,
                    identity.key,
                    lambda: datetime.now(UTC),
                    message_ids(secrets.token_hex(8)),
                ),
            )
            return handler

        return register

    def _add(self, name: str, handler: Handler) -> None:
        if name in self._methods:
            raise ValueError(f"{name} is already served")
        self._methods[name] = handler

    async def start(self) -> None:
        """Listen for authenticated peers.  Raises ``OSError`` if the port is taken (and
        ``ssl.SSLError`` for unusable TLS material)."""
        identity = self.enrolled.identity
        await self._listener.start(
            identity.aic,
            identity.key,
            self.enrolled.chains[str(Usage.SERVER)],
            identity.trust_roots,
            tls=self._tls,
        )

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        await self._listener.stop()

    @overload
    async def connect(
        self, url: str, expected_aic: str, *, timeout: float = ..., reconnect: Literal[False] = ...
    ) -> Session: ...
    @overload
    async def connect(
        self, url: str, expected_aic: str, *, timeout: float = ..., reconnect: Literal[True]
    ) -> ReconnectingSession: ...
    @overload
    async def connect(
        self, url: str, expected_aic: str, *, timeout: float = ..., reconnect: bool
    ) -> Session | ReconnectingSession: ...
    async def connect(
        self, url: str, expected_aic: str, *, timeout: float = 10.0, reconnect: bool = False
    ) -> Session | ReconnectingSession:
        """Open an authenticated session to the peer (or node) at ``url`` that must be
        ``expected_aic``; raises like :func:`aip.client.session.connect`.

        ``reconnect=True`` returns a :class:`~aip.client.reconnect.ReconnectingSession`
        instead, already connected (with backoff, within ``timeout``), that reconnects on the
        call after a drop; a call in flight at the drop is not retried."""
        identity = self.enrolled.identity
        if not reconnect:
            return await connect(url, identity, expected_aic, timeout=timeout)
        peer = ReconnectingSession(url, identity, expected_aic)
        await peer.session(timeout=timeout)
        return peer

    async def push(
        self, aic: str, method: str, params: dict[str, Any] | None = None, *, timeout: float = 10.0
    ) -> Any:
        """Call ``method`` back on a peer ``aic`` connected to this agent (over the session it
        opened); see :meth:`~aip.transport.listener.SessionListener.push`."""
        return await self._listener.push(aic, method, params, timeout=timeout)

    async def __aenter__(self) -> Agent:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
