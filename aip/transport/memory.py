"""Two connected endpoints in one process, without a socket (shell: the event loop only).

:func:`memory_pair` joins a client and a server :class:`~aip.transport.link.Endpoint` with two
:class:`MemoryLink` objects, which offer the endpoints the same surface as
:class:`~aip.transport.link.Link` (``send``, ``close``, ``abort``, ``is_open``, ``paused``,
``writable``, ``ready``, ``done``, ``close_code``, ``close_reason``, ``extra``, ``transport``,
``response``).  :func:`accept_memory` attaches a client endpoint to a running
:class:`~aip.transport.listener.SessionListener` exactly as an accepted TCP connection would be,
so the listener's handshake, limits, timers and method table all apply; only the socket and the
RFC 6455 framing are missing.  It is meant for fast tests.

What a link does, as the real one does:

* Messages reach the peer's ``received`` in order, each in its own event-loop callback
  (``loop.call_soon``): never inside ``send``, so an endpoint is not re-entered.
* The binding's rules at this layer [ARC-WS-001]: a binary message (:meth:`MemoryLink.send_binary`,
  a test hook) closes the connection with 1003, invalid UTF-8 with 1007, and a message larger
  than the receiver's ``max_size`` fails it with 1009 and the reason ``websockets`` gives (the
  failing side then reads 1006, as with ``websockets``).
* The closing handshake: the peer reads the close code and reason sent, echoes them, and once
  both sides have their close frame the connection is gone: ``closed`` is called once on both
  endpoints and ``done`` is set on both links.  :meth:`MemoryLink.abort` drops the connection at
  once (close code 1006 on both sides).

There is no flow control: a link is never ``paused``, since the peer reads every message on the
next turn of the loop.  An endpoint sees a :class:`MemoryLink` where its type says ``Link``
(the same duck-typed surface; a test checks that no public name of ``Link`` is missing).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from websockets.datastructures import Headers
from websockets.exceptions import PayloadTooBig
from websockets.frames import Close, CloseCode, Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State

from aip.transport.link import Endpoint, Link
from aip.transport.listener import SessionListener
from aip.transport.served import ServedConnection

__all__ = ["MemoryLink", "accept_memory", "memory_pair"]

DEFAULT_MAX_SIZE = 2**20  # what :func:`aip.transport.link.dial` accepts


class MemoryLink:
    """One side of an in-memory connection, reporting to ``endpoint`` (see the module)."""

    def __init__(self, endpoint: Endpoint, *, max_size: int = DEFAULT_MAX_SIZE) -> None:
        loop = asyncio.get_running_loop()
        self.endpoint = endpoint
        self.max_size = max_size  # the largest message this side accepts
        self.peer: MemoryLink = self  # set by memory_pair
        self.state = State.CONNECTING
        self.transport: asyncio.Transport | None = _MemoryTransport(self)
        self.ready: asyncio.Future[None] = loop.create_future()
        self.done = asyncio.Event()  # set once the connection is gone
        self.response: Response | None = None  # client side: the (simulated) 101
        self._up = False  # between the opening handshake and the end of the connection
        self._loop = loop
        self._as_link = cast(Link, self)  # what the endpoint's signatures call it
        self._close_rcvd: Close | None = None
        self._reading = True  # False once a close frame arrived or the connection failed
        self._dropping = False  # abort() called: the connection is gone on the next turn

    # --- what the endpoint calls ---------------------------------------------------------------

    def send(self, message: bytes | str) -> bool:
        """Queue one text message for the peer; False when the link is not open."""
        if not self.is_open:
            return False
        data = message.encode() if isinstance(message, str) else bytes(message)
        self._loop.call_soon(self.peer._data, Opcode.TEXT, data)
        return True

    def send_binary(self, data: bytes) -> bool:
        """Queue one binary message (a test hook: ``Link`` never sends one)."""
        if not self.is_open:
            return False
        self._loop.call_soon(self.peer._data, Opcode.BINARY, bytes(data))
        return True

    @property
    def is_open(self) -> bool:
        """True while messages may be sent: opened, and no close started or received."""
        return self._up and self.state is State.OPEN and not self._dropping

    @property
    def paused(self) -> bool:
        """Always False: the peer reads every message on the next turn of the loop."""
        return False

    async def writable(self) -> None:
        """Returns at once (no buffer fills up in memory)."""

    def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Start the closing handshake with ``code``; the connection ends when it completes.

        Raises ``websockets`` ``ProtocolError`` for a code or reason that cannot be sent, like
        :meth:`Link.close`.
        """
        if self.state is State.OPEN:
            self._send_close(Close(code, reason))
        elif self.state is State.CONNECTING:
            self.abort()

    def abort(self) -> None:
        """Drop the connection at once (no closing handshake)."""
        if self.state is not State.CLOSED and not self._dropping:
            self._dropping = True
            self._loop.call_soon(self._lose, ConnectionResetError("the peer aborted"))

    @property
    def close_code(self) -> int | None:
        """The close code the peer sent (1006 when the connection ended without one)."""
        if self.state is not State.CLOSED:
            return None
        return CloseCode.ABNORMAL_CLOSURE if self._close_rcvd is None else self._close_rcvd.code

    @property
    def close_reason(self) -> str | None:
        """The close reason the peer sent."""
        if self.state is not State.CLOSED:
            return None
        return "" if self._close_rcvd is None else self._close_rcvd.reason

    def extra(self, name: str) -> Any:
        """Nothing: there is no socket (``peername``, ``ssl_object``: None)."""
        return None

    # --- the peer's side of the wire -----------------------------------------------------------

    def _opened(self) -> None:
        self.state = State.OPEN
        self._up = True
        if not self.ready.done():
            self.ready.set_result(None)
        self.endpoint.opened(self._as_link)

    def _data(self, opcode: Opcode, data: bytes) -> None:
        if self.state is State.CLOSED or not self._reading:
            return  # failed: what follows is discarded, as websockets does
        if len(data) > self.max_size:  # [ARC-LIM-001]
            self._fail(CloseCode.MESSAGE_TOO_BIG, str(PayloadTooBig(len(data), self.max_size)))
        elif opcode is not Opcode.TEXT:  # [ARC-WS-001] text only
            self.close(CloseCode.UNSUPPORTED_DATA, "binary messages are not accepted")
        elif self._up:  # still delivered while our own close is on its way, as by Link
            try:
                message = data.decode()
            except UnicodeDecodeError:
                self.close(CloseCode.INVALID_DATA, "invalid UTF-8")
                return
            self.endpoint.received(self._as_link, message)

    def _send_close(self, close: Close) -> None:
        Frame(Opcode.CLOSE, close.serialize()).check()  # ProtocolError, as websockets raises
        self.state = State.CLOSING
        self._loop.call_soon(self.peer._closing, close)

    def _closing(self, close: Close) -> None:
        """A close frame arrived: keep it, echo it if we sent none, end when both are in."""
        if self.state is State.CLOSED:
            return
        if self._reading:
            self._close_rcvd = close
            self._reading = False
        if self.state is State.OPEN:
            self._send_close(close)  # the echo carries the same code and reason
        if not self.peer._reading:
            self._lose(None)

    def _fail(self, code: int, reason: str) -> None:
        """Fail the connection (RFC 6455 §7.1.7): send a close frame, then read nothing more."""
        if self.state is State.OPEN:
            self._send_close(Close(code, reason))
        self._reading = False
        if not self.peer._reading:
            self._lose(None)

    def _lose(self, error: BaseException | None) -> None:
        """The connection is gone: both ends hear of it once (``error`` for the peer only)."""
        self._gone(None)
        self.peer._gone(error)

    def _gone(self, error: BaseException | None) -> None:
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSED
        self._up = False
        self._reading = False
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("connection closed"))
            self.ready.exception()  # retrieved: nobody may be waiting any more
        self.done.set()
        self.endpoint.closed(self._as_link, error)


class _MemoryTransport(asyncio.Transport):
    """What a :class:`MemoryLink` has for ``transport``: no extra info; close and abort drop
    the connection."""

    def __init__(self, link: MemoryLink) -> None:
        super().__init__()
        self._link = link

    def is_closing(self) -> bool:
        return self._link.state in (State.CLOSING, State.CLOSED)

    def close(self) -> None:
        self._link.abort()

    def abort(self) -> None:
        self._link.abort()


def memory_pair(
    client: Endpoint,
    server: Endpoint,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    client_max_size: int = DEFAULT_MAX_SIZE,
) -> tuple[MemoryLink, MemoryLink]:
    """Connect ``client`` and ``server``; returns their links (client's first).

    The opening handshake completes on the next turn of the loop: the server's ``accepting``
    and ``opened``, then the client's ``opened``; await the client link's ``ready``.
    ``max_size`` is the largest message the server accepts, ``client_max_size`` the client's.
    Call on the event loop.
    """
    client_link = MemoryLink(client, max_size=client_max_size)
    server_link = MemoryLink(server, max_size=max_size)
    client_link.peer, server_link.peer = server_link, client_link
    asyncio.get_running_loop().call_soon(_open, client_link, server_link)
    return client_link, server_link


def _open(client: MemoryLink, server: MemoryLink) -> None:
    if client._dropping or server._dropping:
        return  # dropped before the upgrade
    response = Response(
        101, "Switching Protocols", Headers({"Upgrade": "websocket", "Connection": "Upgrade"})
    )
    server.endpoint.accepting(server._as_link, response)
    server._opened()
    client.response = response
    client._opened()


def accept_memory(
    listener: SessionListener, client: Endpoint, *, client_max_size: int = DEFAULT_MAX_SIZE
) -> MemoryLink:
    """Connect ``client`` to ``listener`` in memory, as a TCP connection to its port would be.

    The listener's connection (:class:`~aip.transport.served.ServedConnection`) sees a new
    connection, counts it against ``max_connections``, applies ``max_frame_bytes`` and runs the
    in-band handshake; :meth:`SessionListener.stop` closes it like the others.  Returns the
    client's link; await its ``ready``.

    Raises ``RuntimeError`` when the listener is not listening (the handshake's audience is its
    URL) and ``ValueError`` for an mTLS listener (there is no TLS handshake in memory).
    """
    _ = listener.port  # raises RuntimeError when not listening
    if listener.tls is not None:
        raise ValueError("an mTLS listener authenticates in TLS, which a memory link has not")
    connection = ServedConnection(listener)
    client_link, server_link = memory_pair(
        client,
        connection,
        max_size=listener.limits.max_frame_bytes,
        client_max_size=client_max_size,
    )
    connection.link = server_link._as_link
    listener.served.add(connection)
    return client_link
