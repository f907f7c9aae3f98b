"""Streams between a Leader and a Partner over real loopback: ``aip.stream`` events with
``eventSeq``, resume with ``re-stream`` (spec Part 9 §9.4.2, MSG-STR-001..008)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from aip.client import Agent, Enrolled, EventInbox, Leader, Partner, Streams, Submit, Work, enroll
from aip.client.session import Session, connect
from aip.client.streams import STREAM_EVENT, EventStream, StreamEvent
from aip.errors import AipError, Code
from aip.identity.certificates import Usage
from aip.identity.keys import SigningKey
from aip.interaction.messages import sign_message, status_update
from aip.interaction.tasks import State
from aip.node import Node
from tests.pki_helpers import AIC as LEADER_AIC
from tests.pki_helpers import OTHER_AIC as PARTNER_AIC

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 10.0


async def _enrolled(node: Node, aic: str, seed: int) -> Enrolled:
    token = node.enrollment.issue_token(aic)
    key = SigningKey(bytes([seed]) * 32)
    return await enroll(node.url, token, aic, key, usages=(Usage.CLIENT, Usage.SERVER))


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


@dataclass
class Pair:
    partner: Partner
    streams: Streams
    alice: Agent
    inbox: EventInbox
    leader: Leader
    gate: asyncio.Event  # the "slow" skill waits on it after its second chunk

    async def reconnect(self) -> Session:
        identity = self.alice.enrolled.identity
        return await connect(self.partner.agent.url, identity, PARTNER_AIC,
                             methods=self.inbox.methods)


@asynccontextmanager
async def _pair(tmp_path: Path, *, buffer: int = 256) -> AsyncIterator[Pair]:
    async with Node(tmp_path / "node", port=0) as node:
        partner = Partner(Agent(await _enrolled(node, PARTNER_AIC, 2)))
        streams = Streams(partner, buffer=buffer)
        gate = asyncio.Event()

        @partner.skill("draft")
        async def draft(work: Work) -> Submit:
            count = int(work.data_items[0]["text"]) if work.data_items else 3
            for n in range(count):
                await work.emit({"id": "d", "dataItems": [_text(f"part {n}")]},
                                append=n > 0, last_chunk=n == count - 1)
            return Submit([])

        @partner.skill("slow")
        async def slow(work: Work) -> Submit:
            await work.emit({"id": "s", "dataItems": [_text("a")]})
            await work.emit({"id": "s", "dataItems": [_text("b")]}, append=True)
            await gate.wait()
            await work.emit({"id": "s", "dataItems": [_text("c")]}, append=True)
            await work.emit({"id": "s", "dataItems": [_text("d")]}, append=True, last_chunk=True)
            return Submit([])

        alice = Agent(await _enrolled(node, LEADER_AIC, 1))
        inbox = EventInbox()
        async with partner.agent:
            session = await connect(partner.agent.url, alice.enrolled.identity, PARTNER_AIC,
                                    methods=inbox.methods)
            leader = Leader(session, alice.enrolled.identity, inbox=inbox)
            try:
                yield Pair(partner, streams, alice, inbox, leader, gate)
            finally:
                await leader.session.close()


async def _until(stream: EventStream, seq: int) -> list[StreamEvent]:
    """Read the stream up to and including event ``seq``."""
    events = []
    async for event in stream:
        events.append(event)
        if event.seq >= seq:
            break
    return events


def _kinds(events: list[StreamEvent]) -> list[str]:
    return [str(e.state) if e.state else f"chunk:{e.product and e.product['dataItems'][0]['text']}"
            for e in events]


async def test_a_streamed_task_arrives_in_order(tmp_path: Path) -> None:
    async with asyncio.timeout(WAIT), _pair(tmp_path) as pair:
        stream = await pair.leader.stream("3", skill="draft", task_id="t-1")
        assert stream.report.state is State.WORKING  # answered before the work [MSG-STR-001]
        events = await _until(stream, 6)
        assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]  # [MSG-STR-002]
        assert _kinds(events) == ["accepted", "working", "chunk:part 0", "chunk:part 1",
                                  "chunk:part 2", "awaiting-completion"]
        chunks = [e.message for e in events if e.product]
        assert [(c["append"], c["lastChunk"]) for c in chunks] == [
            (False, False), (True, False), (True, True)]
        assert all(e.message["senderId"] == PARTNER_AIC for e in events)
        done = await pair.leader.complete("t-1")  # over aip.rpc; the stream reports it too
        assert done.products[0]["dataItems"] == [_text(f"part {n}") for n in range(3)]
        rest = [e async for e in stream]  # ends after the terminal status
        assert [(e.seq, e.state) for e in rest] == [(7, State.COMPLETED)]


async def test_resume_after_a_dropped_connection(tmp_path: Path) -> None:
    async with asyncio.timeout(WAIT), _pair(tmp_path) as pair:
        stream = await pair.leader.stream(skill="slow", task_id="t-2")
        seen = await _until(stream, 4)  # accepted, working, chunks a and b
        assert [e.seq for e in seen] == [1, 2, 3, 4]
        await pair.leader.session.close()  # the connection drops mid-stream
        pair.gate.set()  # the skill goes on emitting with nobody listening
        resumed = await pair.leader.resume("t-2", 4, session=await pair.reconnect())
        assert resumed.report.message["replyTo"]
        events = await _until(resumed, 7)
        assert [e.seq for e in events] == [5, 6, 7]  # each missing event once [MSG-STR-008]
        assert _kinds(events) == ["chunk:c", "chunk:d", "awaiting-completion"]
        assert (await pair.leader.complete("t-2")).state is State.COMPLETED
        rest = [e async for e in resumed]
        assert [e.seq for e in rest] == [8]
        # a second re-stream from the start replays what is kept; the inbox drops repeats
        again = await pair.leader.resume("t-2", 0)
        assert again.report.state is State.COMPLETED
        assert pair.inbox.last_seq(PARTNER_AIC, "t-2") == 8


async def test_re_stream_past_the_buffer(tmp_path: Path) -> None:
    async with asyncio.timeout(WAIT), _pair(tmp_path, buffer=3) as pair:
        stream = await pair.leader.stream("5", skill="draft", task_id="t-3")
        events = await _until(stream, 8)  # a live stream loses nothing to a small buffer
        assert [e.seq for e in events] == list(range(1, 9))
        # kept: 6, 7, 8; the first event wanted after 4 is gone [MSG-STR-006]
        with pytest.raises(AipError) as info:
            await pair.leader.resume("t-3", 4)
        assert info.value.code is Code.UNSUPPORTED_OPERATION
        assert (await pair.leader.resume("t-3", 5)).report.state is State.AWAITING_COMPLETION
        with pytest.raises(AipError) as unknown:
            await pair.leader.resume("t-none", 0)
        assert unknown.value.code is Code.TASK_NOT_FOUND


async def test_forged_events_are_refused(tmp_path: Path) -> None:
    async with asyncio.timeout(WAIT), _pair(tmp_path) as pair:
        stream = await pair.leader.stream("1", skill="draft", task_id="t-4")
        events = await _until(stream, 4)
        identity = pair.partner.agent.enrolled.identity
        update = status_update("t-4", events[1].message["status"], ident="f-1",
                               now=pair.partner._clock(), sender=PARTNER_AIC)
        signed = sign_message(update, identity.key, aic=PARTNER_AIC)
        tampered = {**signed, "status": {**signed["status"], "state": "completed"}}

        async def push(params: dict[str, Any]) -> Code:
            with pytest.raises(AipError) as info:
                await pair.partner.agent.push(LEADER_AIC, STREAM_EVENT, params)
            return info.value.code

        assert await push({"eventSeq": 90, "message": tampered}) is Code.SIGNATURE_INVALID
        wrong_key = sign_message({**update, "senderId": LEADER_AIC},
                                 pair.alice.enrolled.identity.key, aic=LEADER_AIC)
        assert await push({"eventSeq": 91, "message": wrong_key}) is Code.INVALID_AGENT_RESPONSE
        assert await push({"eventSeq": 0, "message": signed}) is Code.INVALID_AGENT_RESPONSE
        assert await push({"eventSeq": 92}) is Code.INVALID_PARAMS
        # well signed, but "working" after "awaiting-completion" without a continue is fine;
        # "accepted" is not reachable [MSG-TSK-015]
        back = sign_message({**update, "status": {**update["status"], "state": "accepted"}},
                            identity.key, aic=PARTNER_AIC)
        assert await push({"eventSeq": 93, "message": back}) is Code.INVALID_AGENT_RESPONSE
        assert pair.inbox.last_seq(PARTNER_AIC, "t-4") == 4  # nothing forged got in
        assert (await pair.leader.complete("t-4")).state is State.COMPLETED
        assert [e.seq for e in [e async for e in stream]] == [5]


async def test_a_refused_chunk_is_no_event_and_rpc_tasks_stream_from_re_stream(
    tmp_path: Path,
) -> None:
    async with asyncio.timeout(WAIT), _pair(tmp_path) as pair:

        @pair.partner.skill("orphan")
        async def orphan(work: Work) -> Submit:
            await work.emit({"id": "x", "dataItems": [_text("?")]}, append=True)  # nothing held
            return Submit([])

        stream = await pair.leader.stream(skill="orphan", task_id="t-5")
        events = [e async for e in stream]  # [MSG-STR-004]
        assert [(e.seq, e.state) for e in events] == [
            (1, State.ACCEPTED), (2, State.WORKING), (3, State.FAILED)]
        # a task started with aip.rpc has events from its first re-stream on [MSG-STR-002]
        started = await pair.leader.start("2", skill="draft", task_id="t-6")
        assert started.state is State.AWAITING_COMPLETION
        later = await pair.leader.resume("t-6", 0)
        assert later.report.state is State.AWAITING_COMPLETION
        await pair.leader.cancel("t-6")
        assert [(e.seq, e.state) for e in [e async for e in later]] == [(1, State.CANCELED)]
