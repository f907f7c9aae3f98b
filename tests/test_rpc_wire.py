"""Synchronous rpc between a Leader and a Partner over real loopback (spec Part 9 §9.4.1,
MSG-RPC-001..007)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aip.client import Agent, Ask, Enrolled, Fail, Leader, Partner, Submit, Work, enroll
from aip.client.leader import check_result
from aip.client.partner import RPC
from aip.client.session import Session
from aip.errors import AipError, Code
from aip.identity.certificates import Usage
from aip.identity.keys import SigningKey
from aip.integrity import sign_object
from aip.interaction.messages import sign_message, task_command
from aip.interaction.tasks import State
from aip.jsonrpc import Caller
from aip.node import Node
from tests.pki_helpers import AIC as LEADER_AIC
from tests.pki_helpers import OTHER_AIC as PARTNER_AIC

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 10.0
T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def _enrolled(node: Node, aic: str, seed: int) -> Enrolled:
    token = node.enrollment.issue_token(aic)
    key = SigningKey(bytes([seed]) * 32)
    return await enroll(node.url, token, aic, key, usages=(Usage.CLIENT, Usage.SERVER))


def echo(work: Work) -> Submit | Ask:
    """Asks for input when the start has none; else echoes it as one product."""
    if not work.data_items:
        return Ask([{"type": "text", "text": "what shall I echo?"}])
    return Submit([{"id": "echo", "dataItems": work.data_items}])


@dataclass
class Pair:
    node: Node
    partner: Partner
    leader: Leader
    session: Session
    clock: Clock
    calls: list[Work]


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Pair]:
    async with asyncio.timeout(WAIT), Node(tmp_path / "node", port=0) as node:
        clock = Clock()
        partner = Partner(Agent(await _enrolled(node, PARTNER_AIC, 2)), clock=clock)
        calls: list[Work] = []

        @partner.skill("echo")
        def _echo(work: Work) -> Submit | Ask:
            calls.append(work)
            return echo(work)

        @partner.skill("broken")
        def _broken(work: Work) -> Submit:
            raise RuntimeError("a bug in the skill")

        alice = Agent(await _enrolled(node, LEADER_AIC, 1))
        async with partner.agent, await alice.connect(partner.agent.url, PARTNER_AIC) as session:
            leader = Leader(session, alice.enrolled.identity, clock=clock)
            yield Pair(node, partner, leader, session, clock, calls)


async def _code(call: Any) -> Code:
    with pytest.raises(AipError) as info:
        await call
    return info.value.code


async def test_a_full_task(pair: Pair) -> None:
    async with asyncio.timeout(WAIT):
        report = await pair.leader.start("hello", skill="echo", task_id="t-1")
        assert report.state is State.AWAITING_COMPLETION
        assert report.products == [{"id": "echo", "dataItems": [{"type": "text", "text": "hello"}]}]
        assert report.message["senderId"] == PARTNER_AIC
        done = await pair.leader.complete("t-1")
        assert done.state is State.COMPLETED
        assert done.products == report.products
        read = await pair.leader.get("t-1")
        states = [s["state"] for s in read.message["statusHistory"]]
        assert states == ["accepted", "working", "awaiting-completion", "completed"]
        assert [c["command"] for c in read.message["commandHistory"]] == ["start", "complete"]
        assert [c["senderId"] for c in read.message["commandHistory"]] == [LEADER_AIC] * 2
        assert pair.calls[0].leader == LEADER_AIC
        assert pair.calls[0].first


async def test_input_then_continue(pair: Pair) -> None:
    async with asyncio.timeout(WAIT):
        asked = await pair.leader.start(skill="echo", task_id="t-2")
        assert asked.state is State.AWAITING_INPUT
        assert asked.data_items == [{"type": "text", "text": "what shall I echo?"}]
        more = await pair.leader.continue_("t-2", "again")
        assert more.state is State.AWAITING_COMPLETION
        assert more.products[0]["dataItems"] == [{"type": "text", "text": "again"}]
        assert not pair.calls[-1].first
        assert (await pair.leader.complete("t-2")).state is State.COMPLETED


async def test_cancel_and_cancel_of_a_finished_task(pair: Pair) -> None:
    async with asyncio.timeout(WAIT):
        await pair.leader.start(skill="echo", task_id="t-3")
        assert (await pair.leader.cancel("t-3")).state is State.CANCELED
        assert await _code(pair.leader.cancel("t-3")) is Code.TASK_NOT_CANCELABLE
        # continue and complete outside their rows are ignored [MSG-TSK-006]
        assert (await pair.leader.continue_("t-3", "late")).state is State.CANCELED


async def test_unknown_task(pair: Pair) -> None:
    async with asyncio.timeout(WAIT):
        for call in (
            pair.leader.continue_("nope", "x"),
            pair.leader.cancel("nope"),
            pair.leader.complete("nope"),
            pair.leader.get("nope"),
        ):
            assert await _code(call) is Code.TASK_NOT_FOUND


async def test_idempotent_start(pair: Pair) -> None:
    async with asyncio.timeout(WAIT):
        first = await pair.leader.start("once", skill="echo", task_id="t-4")
        again = await pair.leader.start("twice", skill="echo", task_id="t-4")
        assert again.state is first.state is State.AWAITING_COMPLETION
        assert again.products == first.products  # the second start did nothing
        assert len(pair.calls) == 1
        assert len(pair.partner.book.tasks) == 1


async def test_unknown_skill_is_rejected_and_a_broken_skill_fails(pair: Pair) -> None:
    async with asyncio.timeout(WAIT):
        rejected = await pair.leader.start("x", skill="no.such", task_id="t-5")
        assert rejected.state is State.REJECTED
        assert rejected.data_items[0]["data"]["reason"] == "unknownSkill"
        failed = await pair.leader.start("x", skill="broken", task_id="t-6")
        assert failed.state is State.FAILED


async def test_the_injected_clock_runs_the_timeout(pair: Pair) -> None:
    async with asyncio.timeout(WAIT):
        asked = await pair.leader.start(skill="echo", task_id="t-7", timeout_ms=1000)
        # accepted, working, awaiting-input within one tick: a microsecond apart [MSG-TSK-010]
        assert asked.status["stateChangedAt"] == "2026-11-21T10:00:00.000002Z"
        pair.clock.now = T0 + timedelta(seconds=1, microseconds=1)
        assert (await pair.leader.get("t-7")).state is State.AWAITING_INPUT
        pair.clock.now = T0 + timedelta(seconds=1, microseconds=2)
        late = await pair.leader.continue_("t-7", "too late")  # the deadline came first
        assert late.state is State.CANCELED
        assert late.status["stateChangedAt"] == "2026-11-21T10:00:01.000002Z"


async def test_cancel_stops_running_work(pair: Pair) -> None:
    began, release = asyncio.Event(), asyncio.Event()

    @pair.partner.skill("slow")
    async def slow(work: Work) -> Fail:
        began.set()
        await release.wait()
        return Fail()

    async with asyncio.timeout(WAIT):
        started = asyncio.ensure_future(pair.leader.start(skill="slow", task_id="t-8"))
        await began.wait()
        canceled = await pair.leader.cancel("t-8")
        assert canceled.state is State.CANCELED
        assert (await started).state is State.CANCELED  # the skill's outcome never applied
        release.set()


async def test_forged_sender_and_bad_commands_are_refused(pair: Pair) -> None:
    key = pair.leader._identity.key
    command = task_command("start", "t-9", ident="m-1", now=T0, sender=PARTNER_AIC,
                           params={"skill": "echo"})
    forged = sign_object(command, key)  # the Leader's key, another agent's senderId
    async with asyncio.timeout(WAIT):
        assert await _code(pair.session.call(RPC, {"message": forged})) is Code.AUTHORIZATION_FAILED
        with pytest.raises(AipError) as local:  # nor does the SDK sign it [MSG-MSG-018]
            sign_message(command, key, aic=LEADER_AIC)
        assert local.value.code is Code.AUTHORIZATION_FAILED
        # a signed message that is not a task command: -33901
        mine = {**command, "senderId": LEADER_AIC, "type": "task-result"}
        bad = sign_object(mine, key)
        assert await _code(pair.session.call(RPC, {"message": bad})) is Code.MESSAGE_INVALID
        assert await _code(pair.session.call(RPC, {"text": "hi"})) is Code.INVALID_PARAMS
    assert pair.partner.book.tasks == {}


async def test_a_tampered_result_is_refused(tmp_path: Path) -> None:
    async with asyncio.timeout(WAIT), Node(tmp_path / "node", port=0) as node:
        enrolled = await _enrolled(node, PARTNER_AIC, 2)
        inner = Partner(Agent(enrolled))  # never started: does the work for ``outer``
        inner.skill("echo")(echo)
        outer = Agent(enrolled)

        @outer.method(RPC)
        async def tampered(params: dict[str, Any], caller: Caller) -> dict[str, Any]:
            reply = await inner.rpc(params, caller)
            reply["message"]["products"][0]["dataItems"][0]["text"] = "changed"
            return reply

        alice = Agent(await _enrolled(node, LEADER_AIC, 1))
        async with outer, await alice.connect(outer.url, PARTNER_AIC) as session:
            leader = Leader(session, alice.enrolled.identity)
            assert await _code(leader.start("hi", task_id="t-10")) is Code.SIGNATURE_INVALID


def test_the_leader_checks_what_the_result_answers() -> None:
    partner_key, leader_key = SigningKey(b"\x02" * 32), SigningKey(b"\x01" * 32)
    command = sign_message(
        task_command("get", "t-11", ident="c-1", now=T0, sender=LEADER_AIC), leader_key,
        aic=LEADER_AIC,
    )

    def body(state: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "task-result", "id": "r-1", "sentAt": "2026-11-21T10:00:00Z",
            "senderRole": "partner", "senderId": PARTNER_AIC, "taskId": "t-11",
            "status": {"state": state, "stateChangedAt": "2026-11-21T10:00:00Z"},
            "replyTo": "c-1", **extra,
        }  # fmt: skip

    def result(state: str, key: SigningKey = partner_key, **extra: Any) -> dict[str, Any]:
        return {"message": sign_object(body(state, **extra), key)}

    def check(reply: dict[str, Any], previous: State | None = None) -> Any:
        return check_result(reply, command, partner=PARTNER_AIC,
                            partner_key=partner_key.verify_key, previous=previous)

    assert check(result("working")).state is State.WORKING
    cases = [
        (result("working", replyTo="c-2"), None),  # answers another command
        (result("working", taskId="t-12"), None),  # about another task
        (result("working", type="task-status-update"), None),  # not a result
        (result("working", senderRole="leader"), None),  # not a valid message
        (result("working"), State.COMPLETED),  # a finished task cannot work again
        (result("working", senderId=LEADER_AIC), None),  # not from the Partner
    ]
    for reply, previous in cases:
        with pytest.raises(AipError) as info:
            check(reply, previous)
        assert info.value.code is Code.INVALID_AGENT_RESPONSE
    with pytest.raises(AipError) as info:
        check(result("working", leader_key))
    assert info.value.code is Code.KEY_UNKNOWN
