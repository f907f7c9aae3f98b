"""One accepted connection of a :class:`~aip.transport.listener.SessionListener` (shell).

:class:`ServedConnection` is the :class:`~aip.transport.link.Endpoint` of one server-side
:class:`~aip.transport.link.Link`: it owns the connection's handshake state, its rate bucket
before authentication and one timer.  Every received message is answered synchronously by the
listener's :meth:`~aip.transport.listener.SessionListener.handle_message`; the timer fires only
at the next deadline (handshake timeout, certificate expiry, idleness), never per message.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Any

from websockets.frames import CloseCode
from websockets.http11 import Response

from aip.errors import AipError, Code
from aip.identity.chain import ValidatedAgent
from aip.ratelimit import TokenBucket
from aip.sessions.server import Close, Input, ServerHandshake, State
from aip.transport.link import ConnectionLost, Link
from aip.transport.rpc import Incoming, Outgoing
from aip.transport.tls import SESSION_HEADER

if TYPE_CHECKING:
    from aip.transport.listener import SessionListener

__all__ = ["ServedConnection", "close_reason"]


_sequence = itertools.count()


def close_reason(code: Code) -> str:
    """The close reason for a registry code: ``"<code> <NAME>"`` (Part 7)."""
    return f"{int(code)} {code.name}"


class ServedConnection:
    """The server's side of one connection, from TCP accept to close."""

    def __init__(self, listener: SessionListener) -> None:
        self.listener = listener
        self.link: Link  # set by the listener right after it makes the link
        self.handshake: ServerHandshake | None = None  # set once the WebSocket is open
        now = listener.now()
        self.bucket: TokenBucket = listener.new_bucket(now)
        self.last = now
        self.outgoing = Outgoing()  # our pushes to the client
        self.incoming = Incoming()  # the client's calls to async handlers
        self._counted = False
        self.sequence = -1
        self._peer: ValidatedAgent | AipError | None = None  # mTLS: the client's certificate
        self._indexed: str | None = None  # the AIC the listener indexes this connection under
        loop = asyncio.get_running_loop()
        # The upgrade itself must also finish within the handshake timeout [SES-HSK-004].
        self._timer = loop.call_later(listener.limits.handshake_timeout_seconds, self._tick)

    # --- Endpoint ----------------------------------------------------------------------------

    def accepting(self, link: Link, response: Response) -> None:
        """mTLS: check the client certificate before the 101 names it [SES-TLS-006]."""
        tls = self.listener.tls
        if tls is not None:
            self._peer = tls.check(link.extra("ssl_object"))
            if isinstance(self._peer, ValidatedAgent):
                response.headers[SESSION_HEADER] = self._peer.aic

    def opened(self, link: Link) -> None:
        listener = self.listener
        if listener.connections >= listener.limits.max_connections:  # [ARC-LIM-001]
            link.close(CloseCode.TRY_AGAIN_LATER, "too many connections")
            return
        if isinstance(self._peer, AipError):  # mTLS: refused after TLS [SES-TLS-006]
            link.close(CloseCode.POLICY_VIOLATION, close_reason(self._peer.code))
            return
        self._counted = True
        self.sequence = next(_sequence)  # orders sessions: the newest one gets pushes
        listener.connections += 1
        listener.live.add(self)
        now = listener.now()
        listener.purge_replay(now)
        config, replay = listener.config, listener.replay
        if isinstance(self._peer, ValidatedAgent):  # mTLS: authenticated before the 101
            self.handshake = ServerHandshake.authenticated(config, now, replay, self._peer)
            self._index()
        else:
            self.handshake = ServerHandshake(config, now, replay)
        self._rearm()

    def _index(self) -> None:
        """Have the listener index this connection by its session AIC once authenticated."""
        handshake = self.handshake
        if (
            self._indexed is None
            and handshake is not None
            and handshake.state is State.AUTHENTICATED
            and handshake.session_aic is not None
        ):
            self._indexed = handshake.session_aic
            self.listener.authenticated(self, self._indexed)

    def received(self, link: Link, message: str) -> None:
        handshake = self.handshake
        if handshake is None or handshake.state is State.CLOSED:
            return  # closing: nothing more is acted on
        self.last = self.listener.now()
        outcome = self.listener.handle_message(handshake, message, self.bucket)
        if self._indexed is None:
            self._index()
        for frame in outcome.frames:
            link.send(frame)
        if outcome.call is not None:
            reply = self.incoming.serve(link, self.listener.methods, outcome.call, handshake.caller)
            if reply is not None:
                link.send(reply)
        if outcome.answer is not None:
            self.outgoing.answer(outcome.answer)
        if outcome.close is not None:
            self.end(outcome.close)

    async def call(self, method: str, params: dict[str, Any] | None, timeout: float) -> Any:
        """Send a request to the authenticated client and wait for its answer (a push).

        Raises the client's error, ``TimeoutError`` or
        :class:`~aip.transport.link.ConnectionLost` [SES-PSH-001].
        """
        if self.handshake is None or self.handshake.state is not State.AUTHENTICATED:
            raise ConnectionLost("no authenticated session on this connection")
        return await self.outgoing.call(self.link, method, params, timeout)

    def closed(self, link: Link, error: BaseException | None) -> None:
        self._timer.cancel()
        self.outgoing.fail_all()
        self.incoming.cancel_all()
        if self._counted:
            self._counted = False
            self.listener.connections -= 1
            self.listener.live.discard(self)
        self.listener.served.discard(self)
        if self._indexed is not None:
            aic, self._indexed = self._indexed, None
            self.listener.ended(self, aic)

    # --- ending ------------------------------------------------------------------------------

    def end(self, close: Close) -> None:
        """Act on nothing more and close with ``close`` (status 1008 and its code)."""
        if self.handshake is not None:
            self.handshake.state = State.CLOSED
        self.link.close(close.status, close_reason(close.code))

    def _tick(self) -> None:
        link, handshake = self.link, self.handshake
        if handshake is None:  # no upgrade in time, or a refused one still open: cut it
            if link.transport is None:  # the TLS handshake failed: the loop never handed it over
                self.listener.served.discard(self)
            link.abort()
            return
        now = self.listener.now()
        closing = [e for e in handshake.handle(Input.TICK, now) if isinstance(e, Close)]
        if closing:
            self.end(closing[0])
        elif now - self.last >= self.listener.idle:
            handshake.state = State.CLOSED
            link.close(CloseCode.GOING_AWAY, "idle")
        else:
            self._rearm()

    def _rearm(self) -> None:
        assert self.handshake is not None
        wait = self.listener.wait(self.handshake, self.listener.now(), self.last)
        self._timer = asyncio.get_running_loop().call_later(wait, self._tick)
