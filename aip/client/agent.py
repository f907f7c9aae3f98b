"""An agent that serves requests and calls its peers (shell): the heart of the Agent SDK.

::

    agent = Agent(enrolled)                      # from aip.client.enroll(...)
    @agent.method("echo.say")
    def say(params): return {"text": params["text"]}
    await agent.start()                          # listens; every caller must authenticate
    async with await agent.connect(peer_url, peer_aic) as peer:
        await peer.call("echo.say", {"text": "hi"})

Callers authenticate with the Part 7 handshake against the agent's serverAuth certificate; no
method is callable before that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aip.client.session import Enrolled, Session, connect
from aip.identity.certificates import Usage
from aip.jsonrpc import Handler
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
    ) -> None:
        if str(Usage.SERVER) not in enrolled.chains:
            raise ValueError("serving needs a serverAuth certificate: enroll with both usages")
        self.enrolled = enrolled
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
        """Decorator: serve ``name`` with the decorated ``handler(params) -> result``.

        A handler raises :class:`~aip.errors.AipError` to refuse with a registry code; any other
        exception is a bug, answered with -32603.
        """

        def register(handler: Handler) -> Handler:
            if name in self._methods:
                raise ValueError(f"{name} is already served")
            self._methods[name] = handler
            return handler

        return register

    async def start(self) -> None:
        """Listen for authenticated peers.  Raises ``OSError`` if the port is taken."""
        identity = self.enrolled.identity
        await self._listener.start(
            identity.aic,
            identity.key,
            self.enrolled.chains[str(Usage.SERVER)],
            identity.trust_roots,
        )

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        await self._listener.stop()

    async def connect(self, url: str, expected_aic: str, *, timeout: float = 10.0) -> Session:
        """Open an authenticated session to the peer (or node) at ``url`` that must be
        ``expected_aic``; raises like :func:`aip.client.session.connect`."""
        return await connect(url, self.enrolled.identity, expected_aic, timeout=timeout)

    async def __aenter__(self) -> Agent:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
