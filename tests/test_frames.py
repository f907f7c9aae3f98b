"""The inline path for whole text frames (aip.transport.frames in aip.transport.link): every
frame checked against websockets' own protocol on the other side; everything unusual still goes
through websockets, with its errors."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.uri import parse_uri

from aip.transport.frames import next_frame, text_frame
from aip.transport.link import Link

MAX = 1024


class _Transport:
    """Records what the link writes; the test is about the link's framing, not the socket."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.closed = True

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return None

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class _Endpoint:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def accepting(self, link: Link, response: Response) -> None:
        pass

    def opened(self, link: Link) -> None:
        pass

    def received(self, link: Link, message: str) -> None:
        self.messages.append(message)

    def closed(self, link: Link, error: BaseException | None) -> None:
        pass


async def _server_link(
    client_max: int | None = MAX,
) -> tuple[Link, _Endpoint, _Transport, ClientProtocol]:
    """An open server-side link, and a websockets client protocol to talk to it."""
    endpoint, transport = _Endpoint(), _Transport()
    link = Link(ServerProtocol(max_size=MAX), endpoint)
    link.connection_made(transport)  # type: ignore[arg-type]
    client = ClientProtocol(parse_uri("ws://127.0.0.1:1/"), max_size=client_max)
    client.send_request(client.connect())
    link.data_received(b"".join(client.data_to_send()))
    client.receive_data(b"".join(transport.written))
    transport.written.clear()
    assert client.state is State.OPEN
    assert link.is_open
    assert link._inline  # at a frame boundary after the handshake
    return link, endpoint, transport, client


def _sent(client: ClientProtocol, frame: Frame) -> bytes:
    client.send_frame(frame)
    return b"".join(client.data_to_send())


def _frames_to(client: ClientProtocol, transport: _Transport) -> list[Frame]:
    client.receive_data(b"".join(transport.written))
    transport.written.clear()
    return [e for e in client.events_received() if isinstance(e, Frame)]


async def test_text_frames_in_any_chunking_arrive_whole_and_in_order() -> None:
    link, endpoint, _, client = await _server_link()
    texts = ["a", "é" * 70, "x" * 126, "y" * 1000]
    wire = b"".join(_sent(client, Frame(Opcode.TEXT, t.encode())) for t in texts)
    for size in (1, 2, 3, 7, len(wire)):
        endpoint.messages.clear()
        for i in range(0, len(wire), size):
            link.data_received(wire[i : i + size])
        assert endpoint.messages == texts
    assert link._rx == b""


async def test_control_frames_and_fragments_go_through_the_protocol() -> None:
    link, endpoint, transport, client = await _server_link()
    wire = (
        _sent(client, Frame(Opcode.TEXT, b"one"))
        + _sent(client, Frame(Opcode.PING, b"hi"))
        + _sent(client, Frame(Opcode.TEXT, b"fr", fin=False))
        + _sent(client, Frame(Opcode.CONT, b"ag", fin=False))
        + _sent(client, Frame(Opcode.CONT, b"ment"))
        + _sent(client, Frame(Opcode.TEXT, b"two"))
    )
    link.data_received(wire)
    assert endpoint.messages == ["one", "fragment", "two"]
    pongs = [f for f in _frames_to(client, transport) if f.opcode is Opcode.PONG]
    assert [p.data for p in pongs] == [b"hi"]  # websockets answered the ping
    assert link._inline


async def test_answers_written_inline_parse_as_websockets_frames() -> None:
    link, _, transport, client = await _server_link(client_max=None)
    texts = ["", "a" * 125, "b" * 126, "c" * 65535, "d" * 65536]
    for text in texts:
        assert link.send(text)
    got = _frames_to(client, transport)
    assert [(f.opcode, f.fin, bytes(f.data).decode()) for f in got] == [
        (Opcode.TEXT, True, t) for t in texts
    ]


@pytest.mark.parametrize(
    ("frame", "status"),
    [
        (bytes((0x81, 0x03)) + b"abc", 1002),  # a client frame without a mask
        (bytes((0xC1, 0x83)) + b"\0\0\0\0abc", 1002),  # RSV1 without an extension
        (bytes((0x82, 0x83)) + b"\0\0\0\0abc", 1003),  # binary: text only [ARC-WS-001]
        (bytes((0x81, 0x83)) + b"\0\0\0\0\xff\xfe\xfd", 1007),  # not UTF-8
        (bytes((0x81, 0xFF)) + struct.pack("!Q", 2**40), 1009),  # announced too large
        (bytes((0x81, 0xFE)) + struct.pack("!H", MAX + 1), 1009),  # just over the limit
    ],
)
async def test_bad_frames_close_with_websockets_codes(frame: bytes, status: int) -> None:
    link, endpoint, transport, client = await _server_link()
    link.data_received(frame)  # no payload needed for the oversized ones: refused at once
    assert endpoint.messages == []
    assert link.protocol.state is not State.OPEN
    closes = [f for f in _frames_to(client, transport) if f.opcode is Opcode.CLOSE]
    assert Close.parse(closes[0].data).code == status
    assert link.send("late") is False  # nothing is sent after the close


async def test_a_close_frame_ends_the_inline_path() -> None:
    link, endpoint, _, client = await _server_link()
    client.send_close(1000, "bye")
    wire = b"".join(client.data_to_send()) + _sent_after_close()
    link.data_received(wire)
    assert link.protocol.state is not State.OPEN
    assert not link._inline
    assert endpoint.messages == []  # a text frame after the close is not acted on


def _sent_after_close() -> bytes:
    return text_frame(b"after", masked=True)


async def test_the_client_side_masks_what_it_sends() -> None:
    server = ServerProtocol(max_size=MAX, state=State.OPEN)
    server.receive_data(text_frame(b'{"jsonrpc":"2.0"}', masked=True))
    (frame,) = server.events_received()
    assert isinstance(frame, Frame)
    assert (frame.opcode, frame.data) == (Opcode.TEXT, b'{"jsonrpc":"2.0"}')


@settings(max_examples=200)
@given(st.lists(st.text(max_size=300), max_size=6))
def test_next_frame_reads_back_what_text_frame_wrote(texts: list[str]) -> None:
    wire = b"".join(text_frame(t.encode(), masked=True) for t in texts)
    pos, seen = 0, []
    while True:
        found = next_frame(wire, pos, True, MAX)
        if found is None:
            break
        assert not isinstance(found, int)
        assert found.payload is not None
        seen.append(found.payload.decode())
        pos = found.end
    assert seen == texts
    assert pos == len(wire)
    if texts:  # a frame cut anywhere short of its end is not read
        first = len(text_frame(texts[0].encode(), masked=True))
        assert all(next_frame(wire[:cut], 0, True, MAX) is None for cut in range(first))


async def test_bytes_pending_after_the_handshake_keep_the_protocol_in_charge() -> None:
    endpoint, transport = _Endpoint(), _Transport()
    link = Link(ServerProtocol(max_size=MAX), endpoint)
    link.connection_made(transport)  # type: ignore[arg-type]
    client = ClientProtocol(parse_uri("ws://127.0.0.1:1/"), max_size=MAX)
    client.send_request(client.connect())
    request = b"".join(client.data_to_send())
    frame = text_frame(b"early", masked=True)
    link.data_received(request + frame[:3])  # a frame begun right behind the request
    assert link.is_open
    assert not link._inline  # the protocol holds part of a frame: it keeps parsing
    link.data_received(frame[3:] + text_frame(b"next", masked=True))
    assert endpoint.messages == ["early", "next"]
