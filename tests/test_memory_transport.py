"""The in-memory transport: link semantics, and a node's listener served without sockets.

No network marker: nothing here opens a connection (the node binds port 0 on loopback only so
that its listener has a URL, the handshake's audience).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from websockets.exceptions import ProtocolError
from websockets.http11 import Response

from aip.client import AgentIdentity, ConnectionLost, Session
from aip.client.memory import connect_memory, open_memory
from aip.errors import AipError, Code
from aip.identity.certificates import Usage, certificate_pem
from aip.identity.keys import SigningKey
from aip.node import Node, NodeLimits
from aip.transport.link import Link
from aip.transport.listener import SessionListener
from aip.transport.memory import MemoryLink, accept_memory, memory_pair
from tests.helpers import started
from tests.pki_helpers import AIC

WAIT = 5.0
AGENT_KEY = SigningKey(b"\x79" * 32)
FAST = NodeLimits(
    handshake_timeout_seconds=0.5,
    max_frame_bytes=16_384,
    requests_per_second=100_000.0,  # the speed test is not about rate limits
    request_burst=100_000,
)


# --- a recording endpoint ----------------------------------------------------------------------


class Recorder:
    """An endpoint that keeps what happens to it and never answers."""

    def __init__(self) -> None:
        self.accepted: list[Response] = []
        self.opened_count = 0
        self.messages: list[str] = []
        self.errors: list[BaseException | None] = []  # one entry per closed() call
        self._arrived = asyncio.Event()

    def accepting(self, link: Link, response: Response) -> None:
        self.accepted.append(response)

    def opened(self, link: Link) -> None:
        self.opened_count += 1

    def received(self, link: Link, message: str) -> None:
        self.messages.append(message)
        self._arrived.set()

    def closed(self, link: Link, error: BaseException | None) -> None:
        self.errors.append(error)

    async def until(self, count: int) -> None:
        """Wait until ``count`` messages arrived (bound it with ``asyncio.timeout``)."""
        while len(self.messages) < count:
            self._arrived.clear()
            await self._arrived.wait()


async def _pair(**sizes: int) -> tuple[Recorder, Recorder, MemoryLink, MemoryLink]:
    client, server = Recorder(), Recorder()
    client_link, server_link = memory_pair(client, server, **sizes)
    await client_link.ready
    return client, server, client_link, server_link


async def _next_turn() -> None:
    """Let every callback already scheduled run (no timed sleep)."""
    turn = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(turn.set_result, None)
    await turn


async def _gone(*links: MemoryLink) -> None:
    for link in links:
        await link.done.wait()


# --- the link on its own -----------------------------------------------------------------------


async def test_opening_then_messages_in_order_never_inside_send() -> None:
    async with asyncio.timeout(WAIT):
        client, server = Recorder(), Recorder()
        client_link, server_link = memory_pair(client, server)
        assert (client_link.is_open, server_link.is_open) == (False, False)
        assert not client_link.send("too early")
        await client_link.ready
        assert client_link.is_open
        assert server_link.is_open
        assert len(server.accepted) == 1
        assert server.accepted[0].status_code == 101
        assert client_link.response is server.accepted[0]
        assert (client.opened_count, server.opened_count) == (1, 1)
        assert client_link.transport is not None
        assert client_link.extra("peername") is None
        assert not client_link.paused
        await client_link.writable()
        sent = [f"m{i}" for i in range(50)]
        for message in sent:
            assert client_link.send(message)
        assert client_link.send("é".encode())
        assert server.messages == []  # delivered later, never inside send
        assert server_link.send("back")
        await server.until(51)
        await client.until(1)
        assert server.messages == [*sent, "é"]
        assert client.messages == ["back"]


async def test_closing_handshake_both_ways() -> None:
    async with asyncio.timeout(WAIT):
        client, server, client_link, server_link = await _pair()
        assert client_link.send("last words")
        client_link.close(4000, "bye")
        assert not client_link.is_open
        assert not client_link.send("after close")  # nothing goes out once a close started
        assert (client_link.close_code, client_link.close_reason) == (None, None)  # not yet
        assert client_link.transport is not None
        assert client_link.transport.is_closing()
        await _gone(client_link, server_link)
        assert server.messages == ["last words"]  # sent before the close: delivered
        assert (server_link.close_code, server_link.close_reason) == (4000, "bye")
        assert (client_link.close_code, client_link.close_reason) == (4000, "bye")  # the echo
        assert client.errors == [None]
        assert server.errors == [None]
        client_link.close()  # closing again does nothing
        server_link.abort()
        await _next_turn()  # a stray callback would run now
        assert client.errors == [None]
        assert server.errors == [None]


async def test_close_from_the_server_side_and_simultaneous_closes() -> None:
    async with asyncio.timeout(WAIT):
        client, server, client_link, server_link = await _pair()
        server_link.close(1001, "going away")
        await _gone(client_link, server_link)
        assert (client_link.close_code, client_link.close_reason) == (1001, "going away")
        assert client.errors == [None]
        assert server.errors == [None]

        client, server, client_link, server_link = await _pair()
        client_link.close(1000, "a")
        server_link.close(1001, "b")
        await _gone(client_link, server_link)
        assert (client_link.close_code, server_link.close_code) == (1001, 1000)
        assert client.errors == [None]
        assert server.errors == [None]


async def test_an_unsendable_close_raises_like_websockets() -> None:
    async with asyncio.timeout(WAIT):
        _, _, client_link, _ = await _pair()
        with pytest.raises(ProtocolError):
            client_link.close(1006, "reserved code")
        with pytest.raises(ProtocolError):
            client_link.close(1000, "x" * 200)  # control frames carry at most 125 bytes
        assert client_link.is_open


async def test_abort_drops_both_sides_with_1006() -> None:
    async with asyncio.timeout(WAIT):
        client, server, client_link, server_link = await _pair()
        client_link.abort()
        await _gone(client_link, server_link)
        assert (client_link.close_code, server_link.close_code) == (1006, 1006)
        assert client.errors == [None]
        assert len(server.errors) == 1
        assert isinstance(server.errors[0], ConnectionResetError)


async def test_abort_before_the_upgrade() -> None:
    async with asyncio.timeout(WAIT):
        client, server = Recorder(), Recorder()
        client_link, server_link = memory_pair(client, server)
        client_link.close()  # still connecting: the connection is dropped
        with pytest.raises(ConnectionError):
            await client_link.ready
        await _gone(client_link, server_link)
        assert (client.opened_count, server.opened_count) == (0, 0)
        assert client.errors == [None]
        assert len(server.errors) == 1


async def test_oversized_message_fails_the_connection_with_1009() -> None:
    async with asyncio.timeout(WAIT):
        client, server, client_link, server_link = await _pair(max_size=10)
        assert client_link.send("x" * 10)
        assert client_link.send("x" * 11)
        assert client_link.send("never read")
        await _gone(client_link, server_link)
        assert server.messages == ["x" * 10]
        assert client_link.close_code == 1009
        assert client_link.close_reason == "frame with 11 bytes exceeds limit of 10 bytes"
        assert server_link.close_code == 1006  # the failing side reads no echo (websockets)
        assert client.errors == [None]
        assert server.errors == [None]


@pytest.mark.parametrize(
    ("binary", "data", "code"),
    [(True, b"{}", 1003), (False, b"\xff\xfe", 1007)],
    ids=["binary", "invalid-utf8"],
)
async def test_binary_and_invalid_utf8_close(binary: bool, data: bytes, code: int) -> None:
    async with asyncio.timeout(WAIT):
        _, server, client_link, server_link = await _pair()
        sent = client_link.send_binary(data) if binary else client_link.send(data)
        assert sent
        await _gone(client_link, server_link)
        assert server.messages == []
        assert client_link.close_code == code
        assert server_link.close_code == code


async def test_memory_link_offers_every_public_name_of_link() -> None:
    async with asyncio.timeout(WAIT):
        _, _, client_link, _ = await _pair()
    callbacks = set(dir(asyncio.Protocol))
    names = {name for name in dir(Link) if not name.startswith("_")} - callbacks
    names |= {"transport", "ready", "done", "response", "is_open", "endpoint"}
    assert not {name for name in names if not hasattr(client_link, name)}


# --- sessions with a node's listener -----------------------------------------------------------


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with started(Node(tmp_path / "node", port=0, limits=FAST), WAIT) as running:
        yield running


_serials = iter(range(3000, 4000))


def enrolled(node: Node) -> AgentIdentity:
    """An agent certified by the node's own CA."""
    ca = node.identity.ca
    cert = ca.issue(AIC, AGENT_KEY.verify_key, Usage.CLIENT, datetime.now(UTC), next(_serials))
    chain = [certificate_pem(cert).decode(), ca.chain_pem().decode()]
    return AgentIdentity(AIC, AGENT_KEY, chain, [ca.root_certificate])


async def test_authenticated_session_in_memory(node: Node) -> None:
    listener = node.listener
    async with asyncio.timeout(WAIT):
        session = await connect_memory(listener, enrolled(node), str(node.identity.aic))
        async with session:
            assert session.aic == AIC
            assert session.server is not None
            assert session.server.aic == str(node.identity.aic)
            assert listener.connections == 1
            info = await session.call("node.info")
            assert info["nodeAic"] == str(node.identity.aic)
            pong = await session.call_signed("node.ping", {"dataItems": [{"n": 1}]})
            assert pong["type"] == "aip.pong"
            assert pong["senderId"] == str(node.identity.aic)
            assert pong["dataItems"] == [{"n": 1}]
            with pytest.raises(AipError) as unknown:
                await session.call("no.such")
            assert unknown.value.code is Code.METHOD_NOT_FOUND
        assert session.close_code == 1000
        assert listener.connections == 0
        assert not listener.served


async def test_calls_before_authentication_are_refused(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        session = await open_memory(node.listener)
        async with session:
            assert session.aic is None
            info = await session.call("node.info")  # public [ARC-AUTH-001]
            assert info["nodeAic"] == str(node.identity.aic)
            with pytest.raises(AipError) as refused:
                await session.call("node.ping", {"message": {}})
            assert refused.value.code is Code.AUTHENTICATION_REQUIRED
            assert int(refused.value.code) == -32008
            with pytest.raises(RuntimeError):
                await session.call_signed("node.ping")


async def test_wrong_server_aic_is_refused_and_closed(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        with pytest.raises(AipError) as info:
            await connect_memory(node.listener, enrolled(node), AIC)  # not the node's AIC
        assert info.value.code is Code.PEER_AIC_MISMATCH
        assert node.listener.connections == 0
        assert not node.listener.served


async def test_silent_memory_client_is_closed_after_the_handshake_timeout(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        session = await open_memory(node.listener)
        await session.wait_closed()  # [SES-HSK-004], 0.5 s here
    assert session.close_code == 1008
    assert session.close_reason is not None
    assert session.close_reason.startswith(str(int(Code.HANDSHAKE_TIMEOUT)))


async def test_oversized_message_closes_1009_and_fails_the_call(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        session = await connect_memory(node.listener, enrolled(node), str(node.identity.aic))
        with pytest.raises(ConnectionLost) as lost:
            await session.call("node.info", {"pad": "x" * FAST.max_frame_bytes})
        assert lost.value.code is Code.INTERNAL_ERROR
        await session.wait_closed()
        assert session.close_code == 1009
        assert session.close_reason is not None
        assert session.close_reason.startswith("frame with")
        with pytest.raises(ConnectionLost):
            await session.call("node.info")
        assert node.listener.connections == 0


@pytest.mark.parametrize(
    ("binary", "data", "code"),
    [(True, b'{"jsonrpc":"2.0","method":"node.info","id":1}', 1003), (False, b"\xc3(", 1007)],
    ids=["binary", "invalid-utf8"],
)
async def test_listener_closes_on_binary_or_invalid_utf8(
    node: Node, binary: bool, data: bytes, code: int
) -> None:
    async with asyncio.timeout(WAIT):
        session = Session()
        link = accept_memory(node.listener, session)
        await link.ready
        assert link.send_binary(data) if binary else link.send(data)
        await session.wait_closed()
    assert session.close_code == code


async def test_server_ends_the_session_and_later_calls_fail(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        session = await connect_memory(node.listener, enrolled(node), str(node.identity.aic))
        ended = node.listener.end_sessions(lambda c: c.aic == AIC, Code.CERTIFICATE_REVOKED)
        assert ended == 1
        await session.wait_closed()
        assert session.close_code == 1008
        assert session.close_reason == f"{int(Code.CERTIFICATE_REVOKED)} CERTIFICATE_REVOKED"
        with pytest.raises(ConnectionLost) as lost:
            await session.call("node.info")
        assert lost.value.code is Code.INTERNAL_ERROR


async def test_stopping_the_node_closes_memory_sessions_1001(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        session = await connect_memory(node.listener, enrolled(node), str(node.identity.aic))
        await node.stop()
        await session.wait_closed()
    assert session.close_code == 1001


async def test_the_listener_limits_connections(tmp_path: Path) -> None:
    limits = NodeLimits(max_connections=1)
    async with asyncio.timeout(WAIT), Node(tmp_path, port=0, limits=limits) as one:
        first = await open_memory(one.listener)
        second = await open_memory(one.listener)  # opened, then closed at once [ARC-LIM-001]
        await second.wait_closed()
        assert second.close_code == 1013
        assert (await first.call("node.info"))["nodeAic"] == str(one.identity.aic)
        await first.close()


async def test_accept_memory_needs_a_listening_listener() -> None:
    listener = SessionListener(host="127.0.0.1", port=0, methods={}, public_methods=frozenset())
    with pytest.raises(RuntimeError):
        accept_memory(listener, Session())
    assert not listener.served


@pytest.mark.parametrize("side", ["client", "server"])
async def test_closing_either_side_fails_pending_calls(side: str) -> None:
    async with asyncio.timeout(WAIT):
        silent = Recorder()  # a server that never answers
        session = Session()
        client_link, server_link = memory_pair(session, silent)
        await client_link.ready
        pending = asyncio.create_task(session.call("never.answered", timeout=WAIT))
        await silent.until(1)
        assert not pending.done()
        if side == "client":
            await session.close()
        else:
            server_link.close(1011, "server trouble")
        with pytest.raises(ConnectionLost) as lost:
            await pending
        assert lost.value.code is Code.INTERNAL_ERROR
        await _gone(client_link, server_link)
        assert silent.errors == [None]
        expected = (1000, "") if side == "client" else (1011, "server trouble")
        assert (session.close_code, session.close_reason) == expected


async def test_many_calls_complete_quickly(node: Node) -> None:
    async with asyncio.timeout(WAIT):  # the bound is the whole assertion on speed
        session = await connect_memory(node.listener, enrolled(node), str(node.identity.aic))
        async with session:
            answers = await asyncio.gather(*(session.call("node.info") for _ in range(500)))
            assert {a["nodeAic"] for a in answers} == {str(node.identity.aic)}
            for n in range(500):
                pong = await session.call_signed("node.ping", {"dataItems": [n]})
                assert pong["dataItems"] == [n]
