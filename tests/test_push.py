"""JSON-RPC in both directions (spec Part 7 §7.7) and async handlers, over loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aip.client import Agent, Enrolled, connect, enroll
from aip.errors import AipError, Code
from aip.identity.certificates import Usage
from aip.identity.keys import SigningKey
from aip.jsonrpc import Caller, Handler, Pending, Request
from aip.node import Node
from aip.transport.link import ConnectionLost
from aip.transport.rpc import Incoming
from tests.pki_helpers import AIC
from tests.test_session_wire import enrolled

WAIT = 5.0
BOB = "1.2.156.3088.1.1.34C2.478BDF.1.0000"


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with asyncio.timeout(WAIT), Node(tmp_path / "node", port=0) as running:
        yield running


async def _code(call: Any) -> int:
    with pytest.raises(AipError) as caught:
        await call
    return int(caught.value.code)


@pytest.mark.network
async def test_the_node_pushes_to_an_authenticated_agent(node: Node) -> None:
    release = asyncio.Event()

    def ping(params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        assert caller.aic == str(node.identity.aic)  # the proven node is the caller
        return {"pong": params.get("n")}

    def refuse(params: dict[str, Any], caller: Caller) -> None:
        raise AipError(Code.TASK_NOT_FOUND, "no such task")

    async def slow(params: dict[str, Any], caller: Caller) -> str:
        async with asyncio.timeout(WAIT):
            await release.wait()
        return "done"

    methods: dict[str, Handler] = {"agent.ping": ping, "agent.refuse": refuse, "agent.slow": slow}
    async with asyncio.timeout(WAIT):
        session = await connect(node.url, enrolled(node), str(node.identity.aic), methods=methods)
        async with session:
            assert await node.push(AIC, "agent.ping", {"n": 7}) == {"pong": 7}
            assert await _code(node.push(AIC, "agent.nope")) == Code.METHOD_NOT_FOUND
            assert await _code(node.push(AIC, "agent.refuse")) == Code.TASK_NOT_FOUND
            with pytest.raises(TimeoutError):  # a bounded wait on our side [SES-PSH-001]
                await node.push(AIC, "agent.slow", timeout=0.1)
            # both directions at once: the agent's own calls are unaffected [SES-PSH-002]
            pushed = asyncio.ensure_future(node.push(AIC, "agent.slow"))
            info = await session.call("node.info")
            assert info["nodeAic"] == str(node.identity.aic)
            release.set()
            assert await pushed == "done"
            assert await _code(node.push(BOB, "agent.ping")) == Code.PEER_NOT_CONNECTED
        # the session is gone: nobody to reach [SES-PSH-003]
        assert await _code(node.push(AIC, "agent.ping")) == Code.PEER_NOT_CONNECTED


@pytest.mark.network
async def test_a_push_in_flight_fails_when_the_agent_leaves(node: Node) -> None:
    entered = asyncio.Event()

    async def hang(params: dict[str, Any], caller: Caller) -> None:
        entered.set()
        await asyncio.Event().wait()  # cancelled when the session closes

    async with asyncio.timeout(WAIT):
        session = await connect(
            node.url, enrolled(node), str(node.identity.aic), methods={"agent.hang": hang}
        )
        pushed = asyncio.ensure_future(node.push(AIC, "agent.hang"))
        await entered.wait()
        await session.close()
        with pytest.raises(ConnectionLost):
            await pushed


async def _agent(node: Node, aic: str, seed: int) -> Enrolled:
    key = SigningKey(bytes([seed]) * 32)
    both = (Usage.CLIENT, Usage.SERVER)
    return await enroll(node.url, node.enrollment.issue_token(aic), aic, key, usages=both)


@pytest.mark.network
async def test_async_handlers_call_back_their_caller(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        bob = Agent(await _agent(node, BOB, 2))

        @bob.method("ask.back")
        async def ask_back(params: dict[str, Any], caller: Caller) -> Any:
            assert caller.aic is not None
            # while answering, Bob calls back the agent that called him (§7.7)
            return {"heard": await bob.push(caller.aic, "who.are.you")}

        @bob.signed("sign.later")
        async def sign_later(message: dict[str, Any], caller: Caller) -> dict[str, Any]:
            await asyncio.sleep(0)  # an await point: the answer is sealed after it
            return {"text": message["text"].upper()}

        def who(params: dict[str, Any], caller: Caller) -> str:
            return f"alice, asked by {caller.aic}"

        async with bob:
            alice = Agent(await _agent(node, AIC, 1))
            session = await connect(
                bob.url, alice.enrolled.identity, BOB, methods={"who.are.you": who}
            )
            async with session:
                assert await session.call("ask.back") == {"heard": f"alice, asked by {BOB}"}
                answer = await session.call_signed("sign.later", {"text": "hi"})
                assert (answer["text"], answer["senderId"]) == ("HI", BOB)
                # several async calls in flight on one connection
                many = await asyncio.gather(
                    *(session.call_signed("sign.later", {"text": str(i)}) for i in range(20))
                )
                assert [m["text"] for m in many] == [str(i) for i in range(20)]


class _Link:
    """Records what would be sent; the test is about Incoming, not the socket."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.is_open = True

    def send(self, data: bytes) -> bool:
        self.sent.append(data)
        return True


async def test_running_handlers_per_connection_are_bounded() -> None:  # [SES-PSH-004]
    gate = asyncio.Event()

    async def wait(params: dict[str, Any], caller: Caller) -> str:
        async with asyncio.timeout(WAIT):
            await gate.wait()
        return "ok"

    incoming, link = Incoming(limit=2), _Link()
    methods = {"wait": wait}
    answers = [
        incoming.serve(link, methods, Request(i, "wait", {}), Caller())  # type: ignore[arg-type]
        for i in range(3)
    ]
    assert answers[:2] == [None, None]  # running as tasks
    assert answers[2] is not None  # refused at once, with a hint
    assert b"42901" in answers[2]
    assert b"retryAfterMs" in answers[2]
    gate.set()
    async with asyncio.timeout(WAIT):
        while len(link.sent) < 2:
            await asyncio.sleep(0)  # yields to the two handler tasks; bounded by the timeout
    assert all(b'"result":"ok"' in frame for frame in link.sent)
    assert not isinstance(answers[0], Pending)


@pytest.mark.network
async def test_sessions_are_indexed_by_aic_until_they_end(node: Node) -> None:
    """Pushes and liveness find an AIC's sessions through the listener's index: each
    authenticated connection is in it until it closes, when the end is reported once."""
    listener = node._listener
    ended: list[str] = []
    listener.session_ended.append(ended.append)
    methods: dict[str, Handler] = {"agent.which": lambda params, caller: params["n"]}
    async with asyncio.timeout(WAIT):
        first = await connect(node.url, enrolled(node), str(node.identity.aic), methods=methods)
        second = await connect(node.url, enrolled(node), str(node.identity.aic), methods=methods)
        assert listener.has_session(AIC)
        assert len(listener.by_aic[AIC]) == 2
        assert not listener.has_session(BOB)
        assert await node.push(AIC, "agent.which", {"n": 2}) == 2  # the newest session
        await second.close()
        while len(listener.by_aic.get(AIC, ())) == 2:  # until the node saw it end
            await asyncio.sleep(0.005)
        assert ended == [AIC]
        assert listener.has_session(AIC)
        assert await node.push(AIC, "agent.which", {"n": 1}) == 1  # the one left
        await first.close()
        while AIC in listener.by_aic:
            await asyncio.sleep(0.005)
        assert ended == [AIC, AIC]
        assert not listener.has_session(AIC)
        assert await _code(node.push(AIC, "agent.which", {"n": 0})) == Code.PEER_NOT_CONNECTED
