"""ReconnectingSession: backoff with full jitter, and reconnecting to a node that restarts."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from aip.client import Agent, ConnectionLost, Enrolled, ReconnectingSession, backoff_delays, enroll
from aip.client import reconnect as reconnect_module
from aip.client.session import Session, connect
from aip.errors import AipError, Code
from aip.identity.certificates import Usage
from aip.identity.keys import SigningKey
from aip.node import Node
from tests.helpers import started
from tests.pki_helpers import AIC

WAIT = 10.0
HALF = 0.5  # a fixed "random" draw: every delay is half its ceiling


# --- the schedule, pure ----------------------------------------------------------------------


def test_schedule_doubles_up_to_the_cap() -> None:
    delays = list(itertools.islice(backoff_delays(0.1, 2.0, 1.0, lambda: HALF), 7))
    assert delays == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5])


def test_jitter_stays_within_zero_and_the_ceiling() -> None:
    draws = random.Random(7)
    delays = itertools.islice(backoff_delays(0.1, 3.0, 5.0, draws.random), 40)
    for n, delay in enumerate(delays):
        assert 0.0 <= delay < min(5.0, 0.1 * 3.0**n)
    assert list(itertools.islice(backoff_delays(0.1, 2.0, 1.0, lambda: 0.0), 3)) == [0.0] * 3


def test_a_long_schedule_never_overflows() -> None:
    delays = list(itertools.islice(backoff_delays(0.1, 10.0, 10.0, lambda: 0.999), 5000))
    assert max(delays) < 10.0
    assert delays[-1] == pytest.approx(9.99)


@pytest.mark.parametrize(
    ("base", "factor", "cap"), [(0.0, 2.0, 1.0), (2.0, 2.0, 1.0), (0.1, 0.5, 1.0)]
)
def test_bad_parameters_are_refused(base: float, factor: float, cap: float) -> None:
    with pytest.raises(ValueError, match="backoff"):
        next(backoff_delays(base, factor, cap))
    with pytest.raises(ValueError, match="backoff"):
        ReconnectingSession("ws://127.0.0.1:1", None, AIC, base=base, factor=factor, cap=cap)  # type: ignore[arg-type]


# --- against a real node ---------------------------------------------------------------------


class FakeTime:
    """A clock that only moves when the session sleeps; ``then`` runs during a given sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.then: dict[int, Callable[[], Awaitable[None]]] = {}

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.slept.append(delay)
        self.now += delay
        action = self.then.get(len(self.slept))
        if action is not None:
            await action()

    def session(self, node: Node, enrolled: Enrolled, expected: str = "") -> ReconnectingSession:
        return ReconnectingSession(
            node.url,
            enrolled.identity,
            expected or str(node.identity.aic),
            random=lambda: HALF,
            sleep=self.sleep,
            clock=self.clock,
        )


def _connected(peer: ReconnectingSession) -> bool:
    return peer.connected  # read through a call: mypy would narrow the property


async def _forever() -> None:
    await asyncio.Event().wait()  # the call's deadline ends it


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with started(Node(tmp_path / "node", port=0), WAIT) as running:
        yield running


@pytest.fixture
async def enrolled(node: Node) -> Enrolled:
    token = node.enrollment.issue_token(AIC)
    async with asyncio.timeout(WAIT):
        return await enroll(
            node.url, token, AIC, SigningKey(b"\x79" * 32), usages=(Usage.CLIENT, Usage.SERVER)
        )


@pytest.mark.network
async def test_reconnects_after_the_node_restarts(node: Node, enrolled: Enrolled) -> None:
    node_aic, port, time = str(node.identity.aic), node.port, FakeTime()
    restarted = Node(node.data_path, port=port)  # same data, same identity, same port

    time.then[3] = restarted.start  # the node is back during the third backoff delay
    try:
        async with asyncio.timeout(WAIT), time.session(node, enrolled) as peer:
            assert (await peer.call("node.info"))["nodeAic"] == node_aic
            assert time.slept == []

            # sent, then the node goes away before answering: not retried.  Both tasks take
            # their first step in one loop iteration, before the node can read the request.
            in_flight = asyncio.create_task(peer.call("node.info"))
            stopping = asyncio.create_task(node.stop())
            with pytest.raises(ConnectionLost) as lost:
                await in_flight
            assert lost.value.code is Code.INTERNAL_ERROR
            await stopping
            assert not _connected(peer)

            # the next call reconnects: refused three times, with the backoff in between
            pong = await peer.call_signed("node.ping", {"dataItems": [1]})
            assert pong["type"] == "aip.pong"
            assert pong["senderId"] == node_aic
            assert time.slept == pytest.approx([0.05, 0.1, 0.2])
            assert _connected(peer)

            # a drop with nothing in flight is noticed; the schedule starts over
            await restarted.stop()
            await peer.wait_closed()
            assert not _connected(peer)
            restarted = Node(node.data_path, port=port)
            time.then[4] = restarted.start
            assert (await peer.call("node.info"))["nodeAic"] == node_aic
            assert time.slept[3:] == pytest.approx([0.05])
    finally:
        async with asyncio.timeout(WAIT):
            await restarted.stop()


@pytest.mark.network
async def test_deadline_while_the_node_is_down(node: Node, enrolled: Enrolled) -> None:
    time = FakeTime()
    peer = time.session(node, enrolled)
    async with asyncio.timeout(WAIT):
        await node.stop()
        time.then[1] = _forever  # the backoff outlasts the call
        with pytest.raises(TimeoutError):
            await peer.call("node.info", timeout=0.2)
        assert time.slept == pytest.approx([0.05])
        # the failures are remembered: the schedule goes on (0.1 s, not 0.05 s again)
        time.then[2] = _forever
        with pytest.raises(TimeoutError):
            await peer.session(timeout=0.2)
        assert time.slept == pytest.approx([0.05, 0.1])
        await peer.close()


@pytest.mark.network
async def test_refusals_are_raised_at_once(node: Node, enrolled: Enrolled) -> None:
    time = FakeTime()
    async with asyncio.timeout(WAIT):
        wrong = time.session(node, enrolled, expected=AIC)  # we expected someone else
        for _ in range(2):  # and the next call tries again from scratch
            with pytest.raises(AipError) as refused:
                await wrong.call("node.info")
            assert refused.value.code is Code.PEER_AIC_MISMATCH
        assert time.slept == []
        assert not _connected(wrong)
        await wrong.close()


@pytest.mark.network
async def test_one_connection_for_concurrent_calls(
    node: Node, enrolled: Enrolled, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Session] = []

    async def counting(*args: Any, **kwargs: Any) -> Session:
        opened.append(await connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(reconnect_module, "connect", counting)
    async with asyncio.timeout(WAIT), FakeTime().session(node, enrolled) as peer:
        infos = await asyncio.gather(*(peer.call("node.info") for _ in range(10)))
        assert {info["nodeAic"] for info in infos} == {str(node.identity.aic)}
        assert await peer.session() is opened[0]
    assert len(opened) == 1


@pytest.mark.network
async def test_closed_means_closed(node: Node, enrolled: Enrolled) -> None:
    async with asyncio.timeout(WAIT):
        peer = await Agent(enrolled).connect(node.url, str(node.identity.aic), reconnect=True)
        assert isinstance(peer, ReconnectingSession)
        assert _connected(peer)  # connected eagerly
        await peer.close()
        assert not _connected(peer)
        for attempt in (peer.call("node.info"), peer.call_signed("node.ping")):
            with pytest.raises(ConnectionLost) as closed:
                await attempt
            assert closed.value.code is Code.INTERNAL_ERROR
        assert not _connected(peer)
