"""Authenticated sessions over real loopback WebSockets: the node and the client SDK."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as raw_connect
from websockets.exceptions import ConnectionClosed

from aip.client import AgentIdentity, connect, enroll
from aip.errors import AipError, Code
from aip.identity.certificates import Usage, certificate_pem, load_certificate
from aip.identity.enrollment import build_csr
from aip.identity.keys import SigningKey
from aip.node import Node, NodeLimits
from tests.helpers import started
from tests.pki_helpers import AIC, make_ca

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 5.0
AGENT_KEY = SigningKey(b"\x77" * 32)


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    limits = NodeLimits(handshake_timeout_seconds=0.5)
    async with started(Node(tmp_path / "node", port=0, limits=limits), WAIT) as running:
        yield running


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
            node_aic=str(node.identity.aic),
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
            await enroll(
                node.url,
                other,
                OTHER_AIC,
                key,
                node_aic=str(node.identity.aic),
                ca_fingerprint="00" * 32,
            )
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


# --- review findings, kept as regressions -------------------------------------------------------


async def test_token_never_reaches_a_squatter(node: Node) -> None:
    """A process on the node's address without the node's key never sees the token."""
    from websockets.asyncio.server import ServerConnection, serve

    seen: list[str] = []
    info = {"trustBundle": [node.identity.trust_bundle_pem], "nodeAic": str(node.identity.aic)}

    async def squatter(ws: ServerConnection) -> None:
        async for message in ws:
            seen.append(str(message))
            request = json.loads(message)
            result: object = info if request["method"] == "node.info" else {"nope": 1}
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}))

    token = node.enrollment.issue_token(AIC)
    async with asyncio.timeout(WAIT), serve(squatter, "127.0.0.1", 0) as fake:
        url = f"ws://127.0.0.1:{next(iter(fake.sockets)).getsockname()[1]}"
        with pytest.raises(AipError) as refused:
            await enroll(
                url,
                token,
                AIC,
                AGENT_KEY,
                node_aic=str(node.identity.aic),
                ca_fingerprint=node.identity.ca_fingerprint,
            )
        assert refused.value.code is Code.PROOF_MALFORMED
    assert not any(token in frame for frame in seen)
    assert any('"node.hello"' in frame for frame in seen)
    with pytest.raises(ValueError, match="both"):
        await enroll(node.url, token, AIC, AGENT_KEY, ca_fingerprint="00" * 32)


async def test_revoked_certificate_gets_no_session(node: Node) -> None:  # [SES-PRF-003]
    identity = enrolled(node)
    ca = node.identity.ca
    serial = load_certificate(identity.certificates[0]).serial_number
    ca.revoke(serial, 1, datetime.now(UTC))
    async with asyncio.timeout(WAIT):
        with pytest.raises(AipError) as info:
            await connect(node.url, identity, str(node.identity.aic))
    assert info.value.code is Code.CERTIFICATE_REVOKED


async def test_enroll_as_a_notification_is_not_acted_on(node: Node) -> None:  # [ARC-AUTH-001]
    token = node.enrollment.issue_token(AIC)
    csr = build_csr(AGENT_KEY, AIC).decode()
    note = {
        "jsonrpc": "2.0",
        "method": "atr.enroll",
        "params": {"token": token, "csr": csr, "usages": ["clientAuth"]},
    }
    async with asyncio.timeout(WAIT), raw_connect(node.url) as ws:
        await ws.send(json.dumps(note), text=True)
        await ws.send('{"jsonrpc":"2.0","method":"node.info","id":1}', text=True)
        assert json.loads(await ws.recv())["id"] == 1  # the notification got no answer
    done = await enroll(node.url, token, AIC, AGENT_KEY)  # and the token is still good
    assert done.identity.aic == AIC


async def test_malformed_hello_and_garbage_are_coded_and_rate_limited(tmp_path: Path) -> None:
    limits = NodeLimits(requests_per_second=1.0, request_burst=5, handshake_timeout_seconds=5)
    async with asyncio.timeout(WAIT), Node(tmp_path / "n", port=0, limits=limits) as small:
        async with raw_connect(small.url) as ws:
            hello = {
                "jsonrpc": "2.0",
                "method": "node.hello",
                "id": 1,
                "params": {
                    "clientChallenge": "A" * 43,
                    "audience": [small.url],
                    "protocolVersion": "0.1",
                },
            }
            await ws.send(json.dumps(hello), text=True)
            assert json.loads(await ws.recv())["error"]["code"] == Code.PROOF_MALFORMED
        async with raw_connect(small.url) as ws:  # garbage is charged too [ARC-LIM-002]
            for _ in range(5):
                await ws.send("{not json", text=True)
                assert json.loads(await ws.recv())["error"]["code"] == Code.PARSE_ERROR
            for _ in range(3):
                await ws.send("{not json", text=True)  # over the limit: dropped, no reply
            await ws.send('{"jsonrpc":"2.0","method":"node.info","id":2}', text=True)
            reply = json.loads(await ws.recv())
            assert reply["id"] == 2
            assert reply["error"]["code"] == Code.CALLER_RATE_LIMITED


async def test_the_same_enrollment_again_gets_the_same_certificates(node: Node) -> None:
    """An agent whose answer was lost sends the same request again [IDN-ENR-011]."""
    token = node.enrollment.issue_token(OTHER_AIC)
    key, both = SigningKey(b"\x79" * 32), (Usage.CLIENT, Usage.SERVER)
    async with asyncio.timeout(WAIT):
        first = await enroll(node.url, token, OTHER_AIC, key, usages=both)
        issued = set(node.identity.ca.state.issued)
        again = await enroll(node.url, token, OTHER_AIC, key, usages=both)
        assert again.chains == first.chains
        assert set(node.identity.ca.state.issued) == issued  # nothing new was issued
        for other_key, usages in ((SigningKey(b"\x7a" * 32), both), (key, (Usage.CLIENT,))):
            with pytest.raises(AipError) as used:  # another request: the token is spent
                await enroll(node.url, token, OTHER_AIC, other_key, usages=usages)
            assert used.value.code is Code.ENROLLMENT_TOKEN_USED
    await node.stop()  # what makes a request "the same" is on disk too
    async with asyncio.timeout(WAIT), Node(node.data_path, port=0) as restarted:
        after = await enroll(restarted.url, token, OTHER_AIC, key, usages=both)
        assert after.chains == first.chains
        ca = restarted.identity.ca
        serial = load_certificate(first.chains["clientAuth"][0]).serial_number
        ca.revoke(serial, 1, datetime.now(UTC))  # revoked since: no longer handed out again
        with pytest.raises(AipError) as revoked:
            await enroll(restarted.url, token, OTHER_AIC, key, usages=both)
        assert revoked.value.code is Code.ENROLLMENT_TOKEN_USED
    await node.start()  # for the fixture's stop


async def test_an_enrollment_answer_lost_on_the_way_is_fetched_again(node: Node) -> None:
    """The node issues, the connection drops before the answer leaves; the SDK sends the same
    request once more and gets the same certificates [IDN-ENR-011]."""
    real = node.listener.methods["atr.enroll"]
    calls: list[str] = []

    def issue_then_drop(params: dict[str, Any], caller: Any) -> Any:
        result = real(params, caller)  # issued and on disk...
        calls.append("enrolled")
        if len(calls) == 1:  # ...but this first answer never arrives
            for connection in list(node.listener.served):
                connection.link.abort()
        return result

    node.listener.methods["atr.enroll"] = issue_then_drop
    token, key = node.enrollment.issue_token(OTHER_AIC), SigningKey(b"\x7b" * 32)
    async with asyncio.timeout(WAIT):
        done = await enroll(
            node.url, token, OTHER_AIC, key, usages=(Usage.CLIENT, Usage.SERVER),
            node_aic=str(node.identity.aic), ca_fingerprint=node.identity.ca_fingerprint,
        )  # fmt: skip
    assert calls == ["enrolled", "enrolled"]
    serials = {load_certificate(chain[0]).serial_number for chain in done.chains.values()}
    mine = {s for s, r in node.identity.ca.state.issued.items() if r.info.aic == OTHER_AIC}
    assert serials == mine  # the retry issued nothing new: one clientAuth, one serverAuth
    node_aic = str(node.identity.aic)
    async with asyncio.timeout(WAIT), await connect(node.url, done.identity, node_aic) as session:
        assert session.aic == OTHER_AIC  # the certificates work
