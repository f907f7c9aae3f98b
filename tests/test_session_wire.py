"""Authenticated sessions over real loopback WebSockets: the node and the client SDK."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as raw_connect
from websockets.exceptions import ConnectionClosed

from aip.client import AgentIdentity, connect, enroll
from aip.errors import AipError, Code
from aip.identity.certificates import Usage, certificate_pem
from aip.identity.keys import SigningKey
from aip.node import Node, NodeLimits
from tests.pki_helpers import AIC, make_ca

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 5.0
AGENT_KEY = SigningKey(b"\x77" * 32)


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    running = Node(tmp_path / "node", port=0, limits=NodeLimits(handshake_timeout_seconds=0.5))
    async with asyncio.timeout(WAIT):
        await running.start()
    try:
        yield running
    finally:
        async with asyncio.timeout(WAIT):
            await running.stop()


_serials = iter(range(1000, 2000))


def enrolled(node: Node, usage: Usage = Usage.CLIENT, key: SigningKey = AGENT_KEY) -> AgentIdentity:
    """An agent certified by the node's own CA (enrollment over the wire comes later)."""
    ca = node.identity.ca
    cert = ca.issue(AIC, key.verify_key, usage, datetime.now(UTC), next(_serials))
    chain = [certificate_pem(cert).decode(), ca.chain_pem().decode()]
    return AgentIdentity(AIC, key, chain, [ca.root_certificate])


async def test_agent_and_node_authenticate_each_other(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        session = await connect(node.url, enrolled(node), str(node.identity.aic))
        async with session:
            assert session.aic == AIC
            assert session.server is not None
            assert session.server.aic == str(node.identity.aic)
            info = await session.call("node.info")
            assert info["nodeAic"] == str(node.identity.aic)
            with pytest.raises(AipError) as unknown:
                await session.call("no.such")
            assert unknown.value.code is Code.METHOD_NOT_FOUND  # [ARC-RPC-004] once authenticated
            again = await asyncio.gather(*(session.call("node.info") for _ in range(20)))
            assert {a["nodeAic"] for a in again} == {info["nodeAic"]}


async def test_localhost_is_an_accepted_audience(node: Node) -> None:
    url = node.url.replace("127.0.0.1", "localhost")
    async with asyncio.timeout(WAIT):
        session = await connect(url, enrolled(node), str(node.identity.aic))
        await session.close()


async def test_refusals_and_the_node_keeps_serving(node: Node) -> None:
    good = enrolled(node)
    foreign_ca = make_ca(other=True)
    alien_cert = foreign_ca.issue(AIC, AGENT_KEY.verify_key, Usage.CLIENT, datetime.now(UTC), 5)
    alien = AgentIdentity(
        AIC,
        AGENT_KEY,
        [certificate_pem(alien_cert).decode(), foreign_ca.chain_pem().decode()],
        good.trust_roots,
    )
    cases = [
        (good, AIC, Code.PEER_AIC_MISMATCH),  # we expected another node [ARC-AUTH-002]
        (alien, str(node.identity.aic), Code.CERTIFICATE_CHAIN_INVALID),
        (enrolled(node, Usage.SERVER), str(node.identity.aic), Code.CERTIFICATE_WRONG_USAGE),
    ]
    async with asyncio.timeout(WAIT):
        for identity, expected, code in cases:
            with pytest.raises(AipError) as info:
                await connect(node.url, identity, expected)
            assert info.value.code is code
        session = await connect(node.url, good, str(node.identity.aic))
        assert (await session.call("node.info"))["domain"] == node.identity.domain
        await session.close()


async def test_silent_client_is_closed_after_the_handshake_timeout(node: Node) -> None:
    async with asyncio.timeout(WAIT), raw_connect(node.url) as ws:  # [SES-HSK-004]
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008
        assert closed.value.rcvd.reason.startswith(str(int(Code.HANDSHAKE_TIMEOUT)))


async def _call_until_closed(ws: ClientConnection, frame: bytes) -> None:
    for _ in range(1_000_000):  # bounded by count and by WAIT; the deadline is 0.5 s
        await ws.send(frame, text=True)
        await ws.recv()


async def test_busy_unauthenticated_client_is_closed_too(node: Node) -> None:
    frame = b'{"jsonrpc":"2.0","method":"node.info","id":1}'
    async with asyncio.timeout(WAIT), raw_connect(node.url) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await _call_until_closed(ws, frame)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008


async def test_unreachable_node() -> None:
    with pytest.raises(AipError) as info:
        await connect("ws://127.0.0.1:1", AgentIdentity(AIC, AGENT_KEY, [], []), AIC, timeout=2)
    assert info.value.code is Code.INTERNAL_ERROR


# --- enrollment over the wire -------------------------------------------------------------------

OTHER_AIC = "1.2.156.3088.1.1.34C2.478BDF.1.0000"


async def test_enroll_then_authenticate(node: Node, tmp_path: Path) -> None:
    token = node.enrollment.issue_token(AIC)
    key = SigningKey(b"\x78" * 32)
    async with asyncio.timeout(WAIT):
        done = await enroll(
            node.url,
            token,
            AIC,
            key,
            usages=(Usage.CLIENT, Usage.SERVER),
            ca_fingerprint=node.identity.ca_fingerprint,
        )
        identity = done.identity
        session = await connect(node.url, identity, str(node.identity.aic))
        assert session.aic == AIC
        await session.close()
        with pytest.raises(AipError) as reused:  # one-time [IDN-ENR-006]
            await enroll(node.url, token, AIC, key)
        assert reused.value.code is Code.ENROLLMENT_TOKEN_USED
        other = node.enrollment.issue_token(OTHER_AIC)
        with pytest.raises(AipError) as mismatch:  # bound to one AIC [IDN-ENR-005]
            await enroll(node.url, other, AIC, key)
        assert mismatch.value.code is Code.ENROLLMENT_AIC_MISMATCH
        with pytest.raises(AipError) as unknown:
            await enroll(node.url, "aipt1." + "A" * 43, AIC, key)
        assert unknown.value.code is Code.ENROLLMENT_TOKEN_UNKNOWN
        with pytest.raises(AipError) as wrong_root:
            await enroll(node.url, other, OTHER_AIC, key, ca_fingerprint="00" * 32)
        assert wrong_root.value.code is Code.CERTIFICATE_CHAIN_INVALID
    # what the node acknowledged is on disk: a restarted node knows the used token and the certs
    serials = set(node.identity.ca.state.issued)
    await node.stop()
    again = Node(node.data_path, port=0)
    async with asyncio.timeout(WAIT), again:
        assert serials <= set(again.identity.ca.state.issued)
        with pytest.raises(AipError) as after_restart:
            await enroll(again.url, token, AIC, key)
        assert after_restart.value.code is Code.ENROLLMENT_TOKEN_USED
        session = await connect(again.url, identity, str(again.identity.aic))
        await session.close()
    await node.start()  # the fixture stops it again


async def test_enroll_refuses_bad_params(node: Node) -> None:
    frame = b'{"jsonrpc":"2.0","method":"atr.enroll","params":{"token":1},"id":1}'
    async with asyncio.timeout(WAIT), raw_connect(node.url) as ws:
        await ws.send(frame, text=True)
        reply = json.loads(await ws.recv())
    assert reply["error"]["code"] == Code.INVALID_PARAMS
