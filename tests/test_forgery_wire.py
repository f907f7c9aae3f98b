"""Forgeries over real loopback sockets: each refused with its registry code, the node serving
honest clients throughout (the pure state machine has its own exhaustive tests)."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as raw_connect

from aip.client import Agent, AgentIdentity, connect, enroll
from aip.errors import AipError, Code
from aip.identity.certificates import Usage, certificate_pem
from aip.identity.keys import SigningKey
from aip.jsonrpc import Caller
from aip.node import Node
from aip.node.datadir import DataDir
from aip.sessions.client import ClientHandshake
from aip.sessions.proofs import CHALLENGE_SIZE
from tests.pki_helpers import AIC
from tests.test_session_wire import AGENT_KEY, enrolled

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 5.0


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with asyncio.timeout(WAIT), Node(tmp_path / "node", port=0) as running:
        yield running


async def _call(ws: ClientConnection, method: str, params: Any, ident: int) -> dict[str, Any]:
    await ws.send(json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": ident}))
    reply: dict[str, Any] = json.loads(await ws.recv())
    return reply


def _handshake(node: Node, identity: AgentIdentity, audience: str) -> ClientHandshake:
    return ClientHandshake(
        aic=identity.aic,
        key=identity.key,
        certificates=identity.certificates,
        trust_roots=identity.trust_roots,
        audience=audience,
        expected_server_aic=str(node.identity.aic),
    )


async def _still_serving(node: Node) -> None:
    async with await connect(node.url, enrolled(node), str(node.identity.aic)) as session:
        assert (await session.call("node.info"))["nodeAic"] == str(node.identity.aic)


async def test_a_proof_replayed_on_another_connection_is_refused(node: Node) -> None:
    identity = enrolled(node)
    async with asyncio.timeout(WAIT):
        async with raw_connect(node.url, compression=None) as first:  # an honest handshake...
            check = _handshake(node, identity, node.url)
            hello = await _call(first, "node.hello", check.hello(secrets.token_bytes(32)), 1)
            proof = check.on_hello(hello["result"], datetime.now(UTC))
            assert "result" in await _call(first, "node.authenticate", proof, 2)
        # ...recorded and replayed by someone else: the new server challenge is not in it
        async with raw_connect(node.url, compression=None) as thief:
            check = _handshake(node, identity, node.url)
            await _call(thief, "node.hello", check.hello(secrets.token_bytes(CHALLENGE_SIZE)), 1)
            refused = await _call(thief, "node.authenticate", proof, 2)
            assert refused["error"]["code"] == Code.CHALLENGE_MISMATCH
            await thief.wait_closed()
            assert thief.close_code == 1008  # [SES-HSK-006]
        await _still_serving(node)


async def test_an_audience_of_another_server_is_refused(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        async with raw_connect(node.url, compression=None) as ws:
            check = _handshake(node, enrolled(node), "ws://elsewhere.example:8765")
            refused = await _call(ws, "node.hello", check.hello(secrets.token_bytes(32)), 1)
            assert refused["error"]["code"] == Code.AUDIENCE_MISMATCH  # [SES-HSK-003]
            await ws.wait_closed()
            assert ws.close_code == 1008
        await _still_serving(node)


async def test_expired_and_future_certificates_get_no_session(tmp_path: Path) -> None:
    # a domain whose CA is 90 days old, so that a certificate can have expired already
    DataDir.open(tmp_path / "old", now=datetime.now(UTC) - timedelta(days=90)).close()
    cases = [
        (datetime.now(UTC) - timedelta(days=60), Code.CERTIFICATE_EXPIRED),
        (datetime.now(UTC) + timedelta(days=2), Code.CERTIFICATE_NOT_YET_VALID),
    ]
    async with asyncio.timeout(WAIT), Node(tmp_path / "old", port=0) as node:
        ca = node.identity.ca
        for serial, (start, code) in enumerate(cases, start=7000):
            cert = ca.issue(
                AIC, AGENT_KEY.verify_key, Usage.CLIENT, start, serial, validity_days=30
            )
            chain = [certificate_pem(cert).decode(), ca.chain_pem().decode()]
            stale = AgentIdentity(AIC, AGENT_KEY, chain, [ca.root_certificate])
            with pytest.raises(AipError) as refused:
                await connect(node.url, stale, str(node.identity.aic))
            assert refused.value.code is code  # [SES-PRF-003]
        await _still_serving(node)


async def test_a_client_vanishing_mid_request_leaves_the_server_serving(node: Node) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()
    key = SigningKey(b"\x42" * 32)
    bob_aic = "1.2.156.3088.1.1.34C2.478BDF.1.0000"
    async with asyncio.timeout(WAIT):
        both = (Usage.CLIENT, Usage.SERVER)
        bob = Agent(
            await enroll(node.url, node.enrollment.issue_token(bob_aic), bob_aic, key, usages=both)
        )

        @bob.method("slow")
        async def slow(params: dict[str, Any], caller: Caller) -> str:
            started.set()
            try:
                await asyncio.Event().wait()
            finally:
                cancelled.set()  # the handler is stopped: nobody is left to answer
            return "never"

        @bob.method("quick")
        def quick(params: dict[str, Any], caller: Caller) -> str:
            return "ok"

        async with bob:
            caller = enrolled(node)
            session = await connect(bob.url, caller, bob_aic)
            pending = asyncio.ensure_future(session.call("slow"))
            await started.wait()
            session._link.abort()  # type: ignore[union-attr]  # the TCP connection just drops
            await cancelled.wait()
            with pytest.raises(AipError) as lost:
                await pending
            assert lost.value.code is Code.INTERNAL_ERROR  # ConnectionLost on the caller's side
            async with await connect(bob.url, caller, bob_aic) as again:
                assert await again.call("quick") == "ok"
