"""A session that reconnects with backoff (shell: sockets, clock, randomness).

::

    async with ReconnectingSession(node_url, identity, node_aic) as node:
        await node.call("node.info")              # connects first, if need be
        ...                                       # the node restarts
        await node.call("node.info")              # reconnects, with backoff, then calls

:class:`ReconnectingSession` holds at most one :class:`~aip.client.session.Session` from
:func:`~aip.client.session.connect`.  A call that finds none (never connected, or the connection
is gone) connects first, and both the connecting and the call itself fit in the call's
``timeout``.  The rules:

* **A call in flight is never retried.**  When the connection drops under a call, that call
  fails with :class:`~aip.client.session.ConnectionLost`: the request may or may not have been
  acted on, and only the caller knows whether sending it again is safe.  The next call
  reconnects.
* **Only "cannot reach" is retried.**  A connection attempt that fails with ``ConnectionLost``
  (refused, unreachable, dropped during the handshake) or times out is tried again after a
  backoff delay, until the call's deadline; the call then raises ``TimeoutError``.
* **Refusals are raised at once.**  Any other :class:`~aip.errors.AipError` from the handshake
  (PeerAicMismatch, CertificateRevoked, a bad chain...) ends the call immediately and resets the
  backoff, so the next call starts from scratch.
* **Backoff is exponential with full jitter**: after the n-th consecutive failed attempt (n from
  0) the next attempt waits ``random() * min(cap, base * factor**n)`` seconds, counted from that
  failure, whichever call makes it.  A successful connection resets the count.  Attempts are
  made one at a time; concurrent callers share the connection they produce.
* After :meth:`~ReconnectingSession.close`, calls raise ``ConnectionLost`` and nothing
  reconnects (a call already waiting out a backoff delay notices when the delay ends).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from random import random as uniform
from types import TracebackType
from typing import Any

from aip.client.session import AgentIdentity, ConnectionLost, Session, connect
from aip.errors import AipError
from aip.jsonrpc import Handler

__all__ = ["ReconnectingSession", "backoff_delays"]

logger = logging.getLogger("aip.client")
_CLOSED = "the reconnecting session is closed"


def backoff_delays(
    base: float = 0.1,
    factor: float = 2.0,
    cap: float = 10.0,
    random: Callable[[], float] = uniform,
) -> Iterator[float]:
    """The delays before retries 1, 2, 3...: ``random() * min(cap, base * factor**n)`` (full
    jitter), for ever.  ``random`` returns a float in [0, 1).

    Raises ``ValueError`` unless ``0 < base <= cap`` and ``factor >= 1``.
    """
    if not 0 < base <= cap or factor < 1:
        raise ValueError("backoff needs 0 < base <= cap and factor >= 1")
    return _full_jitter(base, factor, cap, random)


def _full_jitter(
    ceiling: float, factor: float, cap: float, random: Callable[[], float]
) -> Iterator[float]:
    while True:
        yield random() * ceiling
        ceiling = min(cap, ceiling * factor)  # no overflow however long it runs


class ReconnectingSession:
    """An authenticated session to ``url`` (which must prove ``expected_aic``) that reconnects
    with backoff; see the module's documentation for the rules.

    ``random``, ``sleep`` and ``clock`` (seconds, monotonic) are the sources of jitter, waiting
    and time; tests inject their own.  ``methods`` answers requests the peer sends us, on every
    connection.
    """

    def __init__(
        self,
        url: str,
        identity: AgentIdentity,
        expected_aic: str,
        *,
        methods: dict[str, Handler] | None = None,
        base: float = 0.1,
        factor: float = 2.0,
        cap: float = 10.0,
        random: Callable[[], float] = uniform,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.identity = identity
        self.expected_aic = expected_aic
        self._methods = methods
        self._backoff = (base, factor, cap, random)
        self._delays = backoff_delays(*self._backoff)  # checks the parameters now
        self._sleep = sleep
        self._clock = clock
        self._retry_at: float | None = None  # no attempt before this time (after a failure)
        self._lock = asyncio.Lock()  # one connection attempt at a time
        self._session: Session | None = None
        self._watch: asyncio.Task[None] | None = None  # notices when the session is gone
        self._closed = False

    @property
    def connected(self) -> bool:
        """True while a session is held that is not known to be gone."""
        return self._session is not None

    async def call(
        self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 10.0
    ) -> Any:
        """Like :meth:`Session.call <aip.client.session.Session.call>`, connecting first if
        needed; ``timeout`` bounds both.  Raises the peer's :class:`AipError`, a refusal from
        the handshake, ``TimeoutError``, or ``ConnectionLost`` (the connection dropped while
        the call was in flight, or this object is closed)."""
        async with asyncio.timeout(timeout):
            session = await self._connected()
            try:
                return await session.call(method, params, timeout=timeout)
            except ConnectionLost:
                self._forget(session)
                raise

    async def call_signed(
        self, method: str, body: dict[str, Any] | None = None, *, timeout: float = 10.0
    ) -> dict[str, Any]:
        """Like :meth:`Session.call_signed <aip.client.session.Session.call_signed>`,
        connecting first if needed; raises like :meth:`call`."""
        async with asyncio.timeout(timeout):
            session = await self._connected()
            try:
                return await session.call_signed(method, body, timeout=timeout)
            except ConnectionLost:
                self._forget(session)
                raise

    async def session(self, *, timeout: float = 10.0) -> Session:
        """The current session, connecting (with backoff) if there is none; raises like
        :meth:`call`.  Hand it no further than the next drop: it does not reconnect."""
        async with asyncio.timeout(timeout):
            return await self._connected()

    async def wait_closed(self) -> None:
        """Wait until the current connection, if any, is gone; bound it with
        ``asyncio.timeout``."""
        if self._watch is not None:
            await asyncio.shield(self._watch)

    async def close(self) -> None:
        """Close the connection for good: later calls raise ``ConnectionLost``."""
        self._closed = True
        session = self._session
        if session is not None:
            await session.close()
        await self.wait_closed()

    async def __aenter__(self) -> ReconnectingSession:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # --- internals -----------------------------------------------------------------------------

    async def _connected(self) -> Session:
        """The current session, or a new one; the caller bounds the wait."""
        async with self._lock:
            self._check_open()
            if self._session is not None and self._session.is_open:
                return self._session
            while True:
                if self._retry_at is not None and (wait := self._retry_at - self._clock()) > 0:
                    await self._sleep(wait)
                    self._check_open()
                try:
                    session = await connect(
                        self.url, self.identity, self.expected_aic, methods=self._methods
                    )
                except (ConnectionLost, TimeoutError) as exc:  # cannot reach: back off, retry
                    delay = next(self._delays)
                    self._retry_at = self._clock() + delay
                    logger.debug("cannot reach %s (%s); next try in %.3f s", self.url, exc, delay)
                    continue
                except AipError:  # refused: not retried, and nothing held against the next call
                    self._reset()
                    raise
                self._reset()
                if self._closed:  # closed while we were connecting
                    await session.close()
                    raise ConnectionLost(_CLOSED)
                self._session = session
                self._watch = asyncio.create_task(self._watch_session(session))
                return session

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionLost(_CLOSED)

    def _reset(self) -> None:
        self._delays = backoff_delays(*self._backoff)
        self._retry_at = None

    def _forget(self, session: Session) -> None:
        if self._session is session:
            self._session = None

    async def _watch_session(self, session: Session) -> None:
        await session.wait_closed()
        self._forget(session)
