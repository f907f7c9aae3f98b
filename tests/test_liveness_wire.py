"""Liveness over real loopback WebSockets (spec Part 8 §8.9, DSC-LIV): heartbeats and open
sessions keep entities in discovery answers, stale ones drop out, and liveness is off by
default.  The node's liveness reads a clock the test moves; everything else runs on real time.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aip import cli, spec_dir
from aip.client import AgentIdentity, Session, connect, heartbeat
from aip.client.session import open_session
from aip.discovery.acs import format_time
from aip.errors import AipError, Code
from aip.identity.certificates import Usage, certificate_pem
from aip.identity.keys import SigningKey
from aip.node import Node
from aip.node.operator import load_operator
from tests.helpers import acs_submission, started
from tests.test_cli import _node_info, _read_lines, _start, _stop
from tests.test_session_wire import enrolled

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 10.0
START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
S = 30  # staleAfterSeconds of the node under test
JUST = timedelta(microseconds=1)
TAGGED = {"conditions": [{"field": "skills.tags", "op": "anyOf", "value": ["hotel"]}]}


class Clock:
    """The time the node's liveness reads; the test moves it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float, extra: timedelta = timedelta(0)) -> None:
        """Set the time to ``seconds`` after START (plus ``extra``)."""
        self.now = START + timedelta(seconds=seconds) + extra


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def node(tmp_path: Path, clock: Clock) -> AsyncIterator[Node]:
    made = Node(tmp_path / "node", port=0, audit_interval=60.0, stale_after=S,
                liveness_clock=clock)  # fmt: skip
    async with started(made, WAIT) as running:
        yield running


def _identity(node: Node, aic: str, n: int) -> AgentIdentity:
    """An identity for ``aic`` (an entity) certified by the node's CA, with its own key."""
    key = SigningKey(bytes([0x40 + n]) * 32)
    ca = node.identity.ca
    cert = ca.issue(aic, key.verify_key, Usage.CLIENT, datetime.now(UTC), 7000 + n)
    return AgentIdentity(
        aic, key, [certificate_pem(cert).decode(), ca.chain_pem().decode()], [ca.root_certificate]
    )


async def _entities(node: Node, count: int) -> tuple[Session, list[str]]:
    """An owner session and ``count`` entities of one approved ontology (the owner's session
    stays open: it is no entity, so its own liveness does not matter)."""
    owner = await connect(node.url, enrolled(node), str(node.identity.aic))
    async with await connect(node.url, load_operator(node.data_path), str(node.identity.aic)) as op:
        made = await owner.call("atr.register", {"acs": acs_submission()})
        await owner.call("atr.act", {"id": made["id"], "action": "submit"})
        done = await op.call("atr.act", {"id": made["id"], "action": "approve"})
    entities = [(await owner.call("atr.derive", {"ontology": done["aic"]}))["aic"]
                for _ in range(count)]  # fmt: skip
    return owner, entities


async def _listed(session: Session) -> set[str]:
    """The entities a filtered discovery lists now (the same for a query and trending)."""
    answers = [
        await session.call("adp.discover", {"type": "filtered", "filter": TAGGED, "limit": 100}),
        await session.call("adp.discover", {"query": "plan a trip with hotels", "limit": 100}),
        await session.call("adp.discover", {"type": "trending", "limit": 100}),
    ]
    found = [{s["aic"] for s in a["agents"][0]["agentSkills"]} for a in answers]
    assert found[0] == found[1] == found[2]
    return found[0]


async def _gone(node: Node, aic: str) -> None:
    """Wait until the node has seen the session of ``aic`` end (its end is a sign of life at
    the liveness clock's time then, [DSC-LIV-003]); bounded by the test's timeout."""
    assert node.liveness is not None
    while node.liveness.connected(aic):
        await asyncio.sleep(0.005)


async def _refused(call: Any) -> Code:
    with pytest.raises(AipError) as info:
        await call
    return info.value.code


async def test_heartbeats_keep_an_entity_listed_and_stale_ones_drop_out(
    node: Node, clock: Clock
) -> None:
    async with asyncio.timeout(WAIT):
        owner, (a, b) = await _entities(node, 2)
        async with owner:
            assert await _listed(owner) == {a, b}  # grace after the start [DSC-LIV-004]
            clock.at(20)
            async with await connect(node.url, _identity(node, a, 1), str(node.identity.aic)) as s:
                until = await heartbeat(s, uptime_seconds=3600)  # [DSC-LIV-002]
                assert until == START + timedelta(seconds=20 + S)
                raw = await s.call("atr.heartbeat", {})
                assert raw == {"aliveUntil": format_time(START + timedelta(seconds=20 + S))}
            await _gone(node, a)  # its end, at 20 s, is its last sign of life
            clock.at(S)
            assert await _listed(owner) == {a, b}  # the grace ends exactly at S
            clock.at(S, JUST)
            assert await _listed(owner) == {a}  # b never beat: dropped [DSC-LIV-005]
            clock.at(20 + S)
            assert await _listed(owner) == {a}  # exactly S after its heartbeat
            clock.at(20 + S, JUST)
            assert await _listed(owner) == set()  # a stopped beating: dropped
            clock.at(100)
            async with await connect(node.url, _identity(node, b, 2), str(node.identity.aic)) as s:
                await heartbeat(s)
            await _gone(node, b)
            assert await _listed(owner) == {b}  # a first sign of life lists it again


async def test_an_open_session_counts_as_a_heartbeat(node: Node, clock: Clock) -> None:
    async with asyncio.timeout(WAIT):
        owner, (a, b) = await _entities(node, 2)
        async with owner:
            clock.at(1000)
            assert await _listed(owner) == set()
            agent = await connect(node.url, _identity(node, a, 3), str(node.identity.aic))
            async with agent:
                assert await _listed(owner) == {a}  # connected, no heartbeat [DSC-LIV-003]
                clock.at(5000)
                assert await _listed(owner) == {a}  # however long it stays connected
            await _gone(node, a)
            # closed at 5000 s, its last sign of life: listed until S after it
            clock.at(5000 + S)
            assert await _listed(owner) == {a}
            clock.at(5000 + S, JUST)
            assert await _listed(owner) == set()
            assert b not in await _listed(owner)


async def test_one_agent_cannot_keep_another_alive(node: Node, clock: Clock) -> None:
    async with asyncio.timeout(WAIT):
        owner, (a, b) = await _entities(node, 2)
        async with owner:
            clock.at(S + 1)
            async with await connect(node.url, _identity(node, a, 4), str(node.identity.aic)) as s:
                # no member names an agent: a heartbeat is for the session's AIC [DSC-LIV-001]
                for params in ({"aic": b}, {"uptimeSeconds": 1, "aic": b}, {"for": b}):
                    assert await _refused(s.call("atr.heartbeat", params)) is Code.INVALID_PARAMS
                for bad in (-1, 1.5, "3", True, None, [1]):
                    assert (
                        await _refused(s.call("atr.heartbeat", {"uptimeSeconds": bad}))
                        is Code.INVALID_PARAMS
                    )
                await heartbeat(s, uptime_seconds=0)
                await heartbeat(s, uptime_seconds=2**53 - 1)  # the largest exact integer
            clock.at(S + 2)
            assert await _listed(owner) == {a}  # a's heartbeat did nothing for b


async def test_a_heartbeat_needs_an_authenticated_session(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        anonymous = await open_session(node.url)
        async with anonymous:
            assert await _refused(anonymous.call("atr.heartbeat", {})) is (
                Code.AUTHENTICATION_REQUIRED  # [DSC-LIV-001]
            )
            with pytest.raises(AipError) as refused:
                await heartbeat(anonymous)
            assert refused.value.code is Code.AUTHENTICATION_REQUIRED


async def test_node_info_publishes_liveness(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        anonymous = await open_session(node.url)
        async with anonymous:
            info = await anonymous.call("node.info")
    assert info["features"]["liveness"] is True  # [DSC-LIV-007]
    assert info["liveness"] == {"staleAfterSeconds": S}
    assert "atr.heartbeat" in info["methods"]
    schema = json.loads((spec_dir() / "schema" / "node-info.schema.json").read_text())
    jsonschema.validate(info, schema)


async def test_with_liveness_off_every_active_entity_is_listed(tmp_path: Path) -> None:
    clock = Clock()
    off = Node(tmp_path / "off", port=0, audit_interval=60.0, liveness_clock=clock)
    async with started(off, WAIT), asyncio.timeout(WAIT):
        owner, (a, b) = await _entities(off, 2)
        async with owner:
            clock.at(10**6)  # far past any limit: nothing is stale while liveness is off
            assert await _listed(owner) == {a, b}  # [DSC-LIV-006]
            async with await connect(off.url, _identity(off, a, 5), str(off.identity.aic)) as s:
                assert await heartbeat(s) is None  # accepted, aliveUntil null [DSC-LIV-002]
                assert await s.call("atr.heartbeat", {"uptimeSeconds": 7}) == {"aliveUntil": None}
            info = await owner.call("node.info")
            assert info["features"]["liveness"] is False
            assert info["liveness"] == {"staleAfterSeconds": 0}
            assert off.liveness is not None
            assert off.liveness.predicate is None  # the registry lists all, as before


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_node_refuses_a_bad_limit(tmp_path: Path, bad: float) -> None:
    with pytest.raises(ValueError, match="stale_after"):
        Node(tmp_path / "n", port=0, stale_after=bad)


@pytest.mark.parametrize("text", ["-1", "nan", "inf"])
def test_cli_refuses_a_bad_limit(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["node", "--port", "0", "--data", str(tmp_path / "d"), "--stale-after", text]
    assert cli.main(argv) == 1
    assert capsys.readouterr().err.startswith("aip node: --stale-after")
    assert not (tmp_path / "d").exists()  # refused before anything was made


async def test_cli_turns_liveness_on(tmp_path: Path) -> None:
    proc = await _start("--data", str(tmp_path / "d"), "--json", "--stale-after", "45")
    try:
        async with asyncio.timeout(WAIT):
            (line,) = await _read_lines(proc, 1)
            info = await _node_info(json.loads(line)["url"])
    finally:
        async with asyncio.timeout(WAIT):
            status, _ = await _stop(proc, signal.SIGTERM)
    assert status == 0
    features = info["features"]
    assert isinstance(features, dict)
    assert features["liveness"] is True
    assert info["liveness"] == {"staleAfterSeconds": 45.0}
