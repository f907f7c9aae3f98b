"""Agent to agent: the SDK's Agent serves authenticated peers (spec Part 7 over loopback)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect as raw_connect

from aip.client import Agent, Enrolled, enroll
from aip.errors import AipError, Code
from aip.identity.certificates import Usage
from aip.identity.keys import SigningKey
from aip.jsonrpc import Caller
from aip.node import Node
from examples import two_agents

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 10.0
ALICE, BOB = two_agents.ALICE, two_agents.BOB


async def test_the_example_runs() -> None:
    async with asyncio.timeout(WAIT):
        said = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4 said: hello from Alice"
        assert await two_agents.main() == said  # Bob saw Alice's proven AIC


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with asyncio.timeout(WAIT), Node(tmp_path / "node", port=0) as running:
        yield running


async def _enrolled(node: Node, aic: str, seed: int) -> Enrolled:
    token = node.enrollment.issue_token(aic)
    key = SigningKey(bytes([seed]) * 32)
    return await enroll(node.url, token, aic, key, usages=(Usage.CLIENT, Usage.SERVER))


async def test_peer_calls_errors_and_refusals(node: Node, tmp_path: Path) -> None:
    async with asyncio.timeout(WAIT):
        bob = Agent(await _enrolled(node, BOB, 2))

        @bob.method("math.half")
        def half(params: dict[str, Any], caller: Caller) -> int:
            assert caller.aic == ALICE  # the handler sees the authenticated caller
            if params.get("n", 1) % 2:
                raise AipError(Code.INVALID_PARAMS, "odd")
            return int(params["n"]) // 2

        @bob.method("oops")
        def oops(params: dict[str, Any], caller: Caller) -> None:
            raise RuntimeError("bug")

        async with bob:
            alice = Agent(await _enrolled(node, ALICE, 1))
            async with await alice.connect(bob.url, BOB) as peer:
                assert await peer.call("math.half", {"n": 8}) == 4
                with pytest.raises(AipError) as odd:
                    await peer.call("math.half", {"n": 3})
                assert odd.value.code is Code.INVALID_PARAMS
                with pytest.raises(AipError) as bug:
                    await peer.call("oops")
                assert bug.value.code is Code.INTERNAL_ERROR
                assert await peer.call("math.half", {"n": 2}) == 1  # still serving
            # nothing is public on an agent: an unauthenticated caller gets -32008
            async with raw_connect(bob.url) as ws:
                await ws.send('{"jsonrpc":"2.0","method":"math.half","params":{"n":2},"id":1}')
                assert json.loads(await ws.recv())["error"]["code"] == Code.AUTHENTICATION_REQUIRED
            # Alice expecting someone else at Bob's address refuses Bob [ARC-AUTH-002]
            with pytest.raises(AipError) as who:
                await alice.connect(bob.url, ALICE)
            assert who.value.code is Code.PEER_AIC_MISMATCH
            # an agent of another domain cannot authenticate Bob (nor Bob it): chain invalid
            async with Node(tmp_path / "other", port=0) as other_node:
                stranger = Agent(await _enrolled(other_node, ALICE, 3))
                with pytest.raises(AipError) as foreign:
                    await stranger.connect(bob.url, BOB)
                assert foreign.value.code is Code.CERTIFICATE_CHAIN_INVALID


def test_serving_needs_a_server_certificate_and_unique_methods() -> None:
    client_only = Enrolled(identity=None, chains={"clientAuth": []}, trust_bundle=[])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="serverAuth"):
        Agent(client_only)
    agent = Agent(Enrolled(identity=None, chains={"serverAuth": []}, trust_bundle=[]))  # type: ignore[arg-type]
    agent.method("a.b")(lambda params, caller: None)
    with pytest.raises(ValueError, match="already"):
        agent.method("a.b")(lambda params, caller: None)
