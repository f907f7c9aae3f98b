"""One WebSocket connection as an asyncio protocol over websockets' sans-I/O core (shell).

:class:`Link` feeds the bytes the event loop delivers into a ``websockets`` :class:`ServerProtocol`
or :class:`ClientProtocol` (RFC 6455 framing, the opening handshake, ping/pong and the closing
handshake) and hands each complete text message to its :class:`Endpoint` synchronously, inside
``data_received``: no task, future or lock per message.  The endpoint answers by calling
:meth:`Link.send` and :meth:`Link.close`, which write at once.

The binding's rules at this layer [ARC-WS-001]: text messages only (a binary message closes the
connection with 1003), valid UTF-8 (else 1007), at most ``max_size`` bytes (else 1009, enforced
by the protocol), no compression (none is negotiated).  When the peer stops reading, the link
stops reading too, so a peer cannot make us buffer without bound.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol, cast

from websockets.client import ClientProtocol
from websockets.frames import CloseCode, Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from aip.errors import AipError, Code
from aip.transport.frames import next_frame, text_frame

__all__ = ["CLOSE_TIMEOUT", "ConnectionLost", "Endpoint", "Link", "dial"]

logger = logging.getLogger("aip.transport")


class ConnectionLost(AipError):
    """The connection closed, or could not be opened; calls pending on it fail with this."""

    def __init__(self, message: str) -> None:
        super().__init__(Code.INTERNAL_ERROR, message)

CLOSE_TIMEOUT = 5.0  # seconds the closing handshake may take before the TCP connection is cut


class Endpoint(Protocol):
    """What a :class:`Link` reports to its owner (the listener's connection or a client)."""

    def accepting(self, link: Link, response: Response) -> None:
        """Server side, before the ``101`` goes out: the owner may add headers (mTLS mode)."""

    def opened(self, link: Link) -> None:
        """The opening handshake succeeded; messages may flow."""

    def received(self, link: Link, message: str) -> None:
        """One complete text message arrived.  Must not raise on peer input."""

    def closed(self, link: Link, error: BaseException | None) -> None:
        """The TCP connection is gone (``error`` says why, when it was not a clean close)."""


class Link(asyncio.Protocol):
    """A WebSocket connection driven by ``protocol``, reporting to ``endpoint``."""

    def __init__(
        self,
        protocol: ServerProtocol | ClientProtocol,
        endpoint: Endpoint,
        *,
        request: Request | None = None,
    ) -> None:
        self.protocol = protocol
        self.endpoint = endpoint
        self.transport: asyncio.Transport | None = None
        self._request = request  # a client's opening request, sent on connect
        self._parts: list[bytes] = []  # a fragmented text message so far
        self._closer: asyncio.TimerHandle | None = None
        self._writable = asyncio.Event()
        self._writable.set()
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.done = asyncio.Event()  # set once the TCP connection is gone
        self.response: Response | None = None  # the server's answer to our opening request
        self._up = False  # between the opening handshake and the TCP close
        # The inline path for whole text frames (aip.transport.frames): on once the protocol is
        # open and at a frame boundary; a server receives masked frames, a client sends them.
        self._inline = False
        self._rx = b""  # received bytes of a frame not complete yet (inline path only)
        self._client = isinstance(protocol, ClientProtocol)
        self._max = protocol.max_message_size or 2**63

    # --- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        if self._request is not None and isinstance(self.protocol, ClientProtocol):
            self.protocol.send_request(self._request)
            self._flush()

    def data_received(self, data: bytes) -> None:
        if not self._inline:
            self.protocol.receive_data(data)
            self._process()
            return
        buf = self._rx + data if self._rx else data
        pos, masked = 0, not self._client
        while self._inline:
            found = next_frame(buf, pos, masked, self._max)
            if found is None:  # wait for the rest of this frame
                break
            if isinstance(found, int):  # announced too large: the protocol refuses it (1009)
                self._to_protocol(buf[found:])
                return
            pos = found.end
            if found.payload is not None:
                self._deliver(found.payload)
            else:  # a frame of any other kind, whole: the protocol keeps every rule
                self.protocol.receive_data(buf[found.start : found.end])
                self._process()
            if self.protocol.state is not State.OPEN:  # closing: the protocol takes the rest
                self._to_protocol(buf[pos:])
                return
        self._rx = buf[pos:]

    def _to_protocol(self, rest: bytes) -> None:
        """Leave the inline path for good: the protocol gets the unparsed bytes and all later
        ones."""
        self._inline, self._rx = False, b""
        if rest:
            self.protocol.receive_data(rest)
        self._process()

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._process()
        return None  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        self._up = False
        self._writable.set()  # wake writers: their send fails now
        if self._closer is not None:
            self._closer.cancel()
        if not self.ready.done():
            failure = self.protocol.handshake_exc or exc or ConnectionError("connection closed")
            self.ready.set_exception(failure)
            self.ready.exception()  # retrieved: nobody may be waiting any more
        self.done.set()
        self.endpoint.closed(self, exc)

    def pause_writing(self) -> None:
        self._writable.clear()
        if self.transport is not None:
            self.transport.pause_reading()  # the peer does not read: stop taking its requests

    def resume_writing(self) -> None:
        self._writable.set()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    # --- what the endpoint calls ---------------------------------------------------------------

    def send(self, message: bytes | str) -> bool:
        """Send one text message now; False when the link is not open (nothing is sent)."""
        if not self.is_open:
            return False
        data = message.encode() if isinstance(message, str) else message
        if self._inline and self.transport is not None:
            self.transport.write(text_frame(data, masked=self._client))
            return True
        self.protocol.send_text(data)
        self._flush()
        return True

    @property
    def is_open(self) -> bool:
        """True while messages may be sent: opened, and no close started or received."""
        return self._up and self.protocol.state is State.OPEN

    @property
    def paused(self) -> bool:
        """True while the transport's buffer is full (the peer is not reading)."""
        return not self._writable.is_set()

    async def writable(self) -> None:
        """Wait until the transport's buffer has room (flow control for bulk senders)."""
        await self._writable.wait()

    def close(self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "") -> None:
        """Start the closing handshake with ``code``; the TCP connection follows."""
        if self.protocol.state is State.OPEN:
            self.protocol.send_close(code, reason)
            self._flush()
            self._expect_close()
        elif self.transport is not None and self.protocol.state is State.CONNECTING:
            self.transport.close()

    @property
    def close_code(self) -> int | None:
        """The close code the peer sent (1006 when the connection dropped without one)."""
        return self.protocol.close_code

    @property
    def close_reason(self) -> str | None:
        """The close reason the peer sent."""
        return self.protocol.close_reason

    def extra(self, name: str) -> Any:
        """``transport.get_extra_info(name)``, e.g. ``"ssl_object"`` or ``"peername"``."""
        return None if self.transport is None else self.transport.get_extra_info(name)

    # --- internals -----------------------------------------------------------------------------

    def _process(self) -> None:
        for event in self.protocol.events_received():
            if isinstance(event, Frame):
                self._frame(event)
            elif isinstance(event, Request):
                assert isinstance(self.protocol, ServerProtocol)
                response = self.protocol.accept(event)
                if response.status_code == 101:
                    self.endpoint.accepting(self, response)
                self.protocol.send_response(response)
                if response.status_code == 101:
                    self._opened()
            elif isinstance(event, Response):
                self.response = event
                failure = self.protocol.handshake_exc
                if failure is None:
                    self._opened()
                elif not self.ready.done():
                    self.ready.set_exception(failure)
        self._flush()
        if self.protocol.state is not State.OPEN:
            self._expect_close()

    def _opened(self) -> None:
        self._up = True
        self._flush()  # the 101 goes out before any frame written inline
        # Inline only from a frame boundary: nothing received after the handshake is pending
        # in the protocol (a peer may send right behind its 101).
        self._inline = not getattr(getattr(self.protocol, "reader", None), "buffer", True)
        if not self.ready.done():
            self.ready.set_result(None)
        self.endpoint.opened(self)

    def _frame(self, frame: Frame) -> None:
        opcode, data = frame.opcode, bytes(frame.data)  # bytes already: no copy
        if opcode is Opcode.TEXT:
            if frame.fin:
                self._deliver(data)
            else:
                self._parts = [data]
        elif opcode is Opcode.CONT:
            if self._parts:
                self._parts.append(data)
                if frame.fin:
                    data, self._parts = b"".join(self._parts), []
                    self._deliver(data)
        elif opcode is Opcode.BINARY:  # [ARC-WS-001] text only
            self.close(CloseCode.UNSUPPORTED_DATA, "binary messages are not accepted")

    def _deliver(self, data: bytes) -> None:
        if not self._up:
            return
        try:
            message = data.decode()
        except UnicodeDecodeError:
            self.close(CloseCode.INVALID_DATA, "invalid UTF-8")
            return
        self.endpoint.received(self, message)

    def _flush(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        for data in self.protocol.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():
                transport.write_eof()
            else:  # TLS: no half-close
                transport.close()

    def _expect_close(self) -> None:
        """When the protocol expects the TCP connection to end, cut it after CLOSE_TIMEOUT."""
        if self._closer is None and self.transport is not None and self.protocol.close_expected():
            loop = asyncio.get_running_loop()
            self._closer = loop.call_later(CLOSE_TIMEOUT, self._cut)

    def _cut(self) -> None:
        self.abort()

    def abort(self) -> None:
        """Drop the TCP connection at once (no closing handshake)."""
        if self.transport is not None:
            self.transport.abort()


async def dial(
    url: str,
    endpoint: Endpoint,
    *,
    timeout: float,
    max_size: int = 2**20,
    ssl: Any = None,
) -> Link:
    """Open a WebSocket to ``url`` (``ws://`` or ``wss://`` with ``ssl``) for ``endpoint``.

    Returns once the opening handshake succeeded.  Raises ``InvalidURI`` for a bad URL,
    ``OSError`` when nothing answers, ``TimeoutError`` after ``timeout`` seconds, and
    ``websockets`` ``InvalidHandshake`` (or ``ConnectionError``) when the server refuses the
    upgrade or hangs up; the connection is closed in every failure.
    """
    uri = parse_uri(url)
    protocol = ClientProtocol(uri, max_size=max_size)
    request = protocol.connect()
    loop = asyncio.get_running_loop()
    link: Link | None = None

    def made() -> Link:
        nonlocal link
        link = Link(protocol, endpoint, request=request)
        return link

    async with asyncio.timeout(timeout):
        try:
            await loop.create_connection(
                made, uri.host, uri.port, ssl=ssl, server_hostname=uri.host if ssl else None
            )
            assert link is not None
            await link.ready
        except BaseException:
            if link is not None and link.transport is not None:
                link.transport.abort()
            raise
    return link
