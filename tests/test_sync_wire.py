"""DSP synchronisation over real loopback WebSockets (spec Part 8 §8.8, DSC-SYN): a Replica on
its own session snapshots the registry of a running node and follows its change feed while
entities are derived and an ontology is disabled and enabled; the long poll; CursorExpired
after pruning and recovery by a new snapshot; access.

The node does not serve ``dsp.*`` by itself yet: each test builds the methods with
:class:`aip.node.sync.SyncDesk` over a :class:`SqliteFeed` on the node's registry file and puts
them in the node's method table after start (the lead wires them in ``aip/node/server.py``).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aip.client import AgentIdentity, connect
from aip.client.session import Session, open_session
from aip.discovery.acs import verify_acs
from aip.discovery.feed import SqliteFeed
from aip.discovery.service import Registry
from aip.discovery.sync import Replica, acs_urn, decode_changes_result, encode_seq
from aip.errors import AipError, Code
from aip.identity.certificates import Usage, certificate_pem
from aip.identity.keys import SigningKey
from aip.jsonrpc import ANONYMOUS, Caller
from aip.node import Node
from aip.node.operator import load_operator
from aip.node.sync import SyncDesk, sync_methods
from tests.helpers import acs_submission, started
from tests.pki_helpers import AIC as OWNER
from tests.pki_helpers import OTHER_AIC as STRANGER

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 15.0
CONSUMER = "1.2.156.3088.1.1.34C2.478BDF.3GF547.0JU4"  # the domain's discovery node
_serials = itertools.count(7000)

Install = Callable[..., tuple[SqliteFeed, SyncDesk]]


def identity(node: Node, aic: str) -> AgentIdentity:
    """An identity for ``aic`` certified by the node's own CA."""
    key = SigningKey(bytes([next(_serials) % 251 + 1]) * 32)
    ca = node.identity.ca
    cert = ca.issue(aic, key.verify_key, Usage.CLIENT, datetime.now(UTC), next(_serials))
    return AgentIdentity(
        aic, key, [certificate_pem(cert).decode(), ca.chain_pem().decode()], [ca.root_certificate]
    )


def registry_of(node: Node) -> Registry:
    assert node._registry is not None
    return node._registry


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with started(Node(tmp_path / "node", port=0, audit_interval=60.0), WAIT) as running:
        yield running


@pytest.fixture
async def install(node: Node) -> AsyncIterator[Install]:
    """Put ``dsp.*`` over a new SqliteFeed into the node's method table (replacing any earlier
    one); closed at the end of the test."""
    opened: list[tuple[SqliteFeed, SyncDesk]] = []

    def make(**feed_kw: Any) -> tuple[SqliteFeed, SyncDesk]:
        registry = registry_of(node)
        feed = SqliteFeed(registry.store.path, **feed_kw)
        desk = SyncDesk(feed, registry, allowed=lambda c: c.aic == CONSUMER, prune_every_s=3600)
        node._methods.update(desk.methods())
        opened.append((feed, desk))
        return feed, desk

    yield make
    for feed, desk in opened:
        await desk.close()
        feed.close()


async def sessions(node: Node) -> tuple[Session, Session, Session]:
    """The ontology's owner, the operator and the discovery node, each on its own session."""
    server = str(node.identity.aic)
    owner = await connect(node.url, identity(node, OWNER), server)
    operator = await connect(node.url, load_operator(node.data_path), server)
    consumer = await connect(node.url, identity(node, CONSUMER), server)
    return owner, operator, consumer


async def approved(owner: Session, operator: Session, name: str) -> tuple[str, str]:
    """A registered and approved ontology: (registration id, ontology AIC)."""
    made = await owner.call("atr.register", {"acs": acs_submission(name)})
    await owner.call("atr.act", {"id": made["id"], "action": "submit"})
    done = await operator.call("atr.act", {"id": made["id"], "action": "approve"})
    return str(made["id"]), str(done["aic"])


async def snapshot(session: Session, replica: Replica, size: int) -> None:
    """Take a snapshot chunk by chunk [DSC-SYN-019]."""
    first = await session.call("dsp.snapshot", {"chunkSize": size})
    replica.apply_snapshot_chunk(first)
    for index in range(1, first["chunkTotal"]):
        params = {"snapshotId": first["snapshotId"], "index": index}
        replica.apply_snapshot_chunk(await session.call("dsp.chunk", params))


async def catch_up(session: Session, replica: Replica) -> int:
    """Pages until an empty one; a new snapshot when the cursor has expired.  Returns how many
    snapshots that took."""
    snapshots = 0
    while True:
        try:
            page = await session.call(
                "dsp.changes", {"since": encode_seq(replica.cursor), "limit": 2}
            )
        except AipError as exc:
            assert exc.code is Code.CURSOR_EXPIRED
            await snapshot(session, replica, 2)
            snapshots += 1
            continue
        replica.apply_changes(*decode_changes_result(page))
        if not page["changes"]:
            return snapshots


async def published(session: Session, aics: list[str]) -> dict[tuple[str, str], Any]:
    """What the replica must hold: the registry's live documents of ``aics``."""
    out: dict[tuple[str, str], Any] = {}
    for aic in aics:
        try:
            out[("acs", acs_urn(aic))] = (await session.call("atr.lookup", {"aic": aic}))[
                "document"
            ]
        except AipError as exc:
            assert exc.code is Code.AGENT_NOT_FOUND  # withdrawn
    return out


async def until(check: Callable[[], bool]) -> None:
    """Wait (bounded by the test's timeout) until ``check()`` holds."""
    while not check():
        await asyncio.sleep(0.005)


async def test_replica_follows_the_registry(node: Node, install: Install) -> None:
    # [DSC-SYN-001] [DSC-SYN-012] [DSC-SYN-014] [DSC-SYN-015] [DSC-SYN-019] [DSC-SYN-021]
    feed, desk = install()
    async with asyncio.timeout(WAIT):
        owner, operator, consumer = await sessions(node)
        async with owner, operator, consumer:
            ident, ontology = await approved(owner, operator, "Travel helper")
            entities = [(await owner.call("atr.derive", {"ontology": ontology}))["aic"]]
            replica = Replica()
            await snapshot(consumer, replica, 1)  # one object per chunk
            assert set(replica.objects) == {("acs", acs_urn(a)) for a in [ontology, *entities]}

            stop = asyncio.Event()
            pages: list[int] = []

            async def follow() -> None:  # a discovery node's loop, on its own session
                while True:
                    since = encode_seq(replica.cursor)
                    page = await consumer.call(
                        "dsp.changes", {"since": since, "limit": 2, "waitMs": 500}
                    )
                    replica.apply_changes(*decode_changes_result(page))
                    pages.append(len(page["changes"]))
                    if stop.is_set() and not page["changes"]:
                        return

            follower = asyncio.create_task(follow())
            entities.append((await owner.call("atr.derive", {"ontology": ontology}))["aic"])
            await operator.call("atr.act", {"id": ident, "action": "disable"})
            await until(lambda: not replica.objects)  # every document withdrawn: deletes
            await operator.call("atr.act", {"id": ident, "action": "enable"})
            entities.append((await owner.call("atr.derive", {"ontology": ontology}))["aic"])
            stop.set()
            await follower
            assert sum(pages) == 1 + 3 + 3 + 1  # derive, disable (3), enable (3), derive
            want = await published(owner, [ontology, *entities])
            assert len(want) == 4
            assert replica.objects == want
            assert replica.cursor == feed.head
            # disabled, then enabled: v1 derive, v2 delete, v3 upsert [DSC-SYN-005]
            assert replica.versions[("acs", acs_urn(entities[0]))] == 3
            for doc in replica.objects.values():  # the registry's signature holds [DSC-SYN-021]
                verify_acs(doc, node.identity.key.verify_key)
            assert desk.waiting == 0


async def test_long_poll(node: Node, install: Install) -> None:  # [DSC-SYN-014]
    _, desk = install()
    async with asyncio.timeout(WAIT):
        owner, operator, consumer = await sessions(node)
        async with owner, operator, consumer:
            _, ontology = await approved(owner, operator, "Travel helper")
            head = (await consumer.call("dsp.info"))["headSeq"]
            loop = asyncio.get_running_loop()

            # nothing new: an empty page with nextSeq = since, after waitMs
            began = loop.time()
            empty = await consumer.call("dsp.changes", {"since": head, "waitMs": 300})
            assert empty == {"changes": [], "nextSeq": head}
            assert loop.time() - began >= 0.25

            # a publication ends the wait at once (waitMs is 30 s, the test's bound 15 s)
            poll = asyncio.create_task(
                consumer.call("dsp.changes", {"since": head, "waitMs": 30_000}, timeout=WAIT)
            )
            await until(lambda: desk.waiting == 1)
            info = await consumer.call("dsp.info")  # the wait holds nothing else up
            assert info["headSeq"] == head
            derived = await owner.call("atr.derive", {"ontology": ontology})
            page = await poll
            assert [c["id"] for c in page["changes"]] == [acs_urn(derived["aic"])]
            assert page["nextSeq"] == page["changes"][0]["seq"]
            assert desk.waiting == 0

            # refusals are answered at once, never after waiting
            past = encode_seq(int(page["nextSeq"]) + 1)
            began = loop.time()
            with pytest.raises(AipError) as expired:
                await consumer.call("dsp.changes", {"since": past, "waitMs": 30_000})
            assert expired.value.code is Code.CURSOR_EXPIRED  # [DSC-SYN-011]
            with pytest.raises(AipError) as bad:
                await consumer.call("dsp.changes", {"since": head, "waitMs": 30_001})
            assert bad.value.code is Code.INVALID_PARAMS
            assert loop.time() - began < 5


async def test_a_closed_session_leaves_no_waiter(node: Node, install: Install) -> None:
    # [DSC-SYN-014] the wait ends when the session closes; closing the desk answers at once
    _, desk = install()
    async with asyncio.timeout(WAIT):
        owner, operator, consumer = await sessions(node)
        async with owner, operator:
            poll = asyncio.create_task(
                consumer.call("dsp.changes", {"since": "0", "waitMs": 30_000}, timeout=WAIT)
            )
            await until(lambda: desk.waiting == 1)
            await consumer.close()
            with pytest.raises(AipError):  # ConnectionLost: the answer never comes
                await poll
            await until(lambda: desk.waiting == 0)

            other = await connect(node.url, identity(node, CONSUMER), str(node.identity.aic))
            async with other:
                poll = asyncio.create_task(
                    other.call("dsp.changes", {"since": "0", "waitMs": 30_000}, timeout=WAIT)
                )
                await until(lambda: desk.waiting == 1)
                await desk.close()  # shutting down: an empty page now
                assert await poll == {"changes": [], "nextSeq": "0"}
                assert desk._committed not in registry_of(node).committed  # detached


async def test_cursor_expired_and_recovery(node: Node, install: Install) -> None:
    # [DSC-SYN-010] [DSC-SYN-011] [DSC-SYN-019]
    feed, desk = install(retention_count=2)
    async with asyncio.timeout(WAIT):
        owner, operator, consumer = await sessions(node)
        async with owner, operator, consumer:
            _, ontology = await approved(owner, operator, "Travel helper")
            replica = Replica()
            assert await catch_up(consumer, replica) == 0  # from 0: nothing discarded yet
            stale = replica.cursor
            entities = [
                (await owner.call("atr.derive", {"ontology": ontology}))["aic"] for _ in range(4)
            ]
            assert await desk.prune() == feed.head - 2
            with pytest.raises(AipError) as expired:
                await consumer.call("dsp.changes", {"since": encode_seq(stale)})
            assert expired.value.code is Code.CURSOR_EXPIRED
            data = expired.value.data or {}
            assert (data["minSince"], data["headSeq"]) == (
                encode_seq(feed.horizon),
                encode_seq(feed.head),
            )
            info = await consumer.call("dsp.info")
            assert (info["minSince"], info["retention"]["maxRecords"]) == (data["minSince"], 2)
            assert await catch_up(consumer, replica) == 1  # one new snapshot repairs it
            assert replica.objects == await published(owner, [ontology, *entities])
            assert replica.cursor == feed.head


async def test_params_and_access(node: Node, install: Install) -> None:
    # [DSC-SYN-001] [DSC-SYN-016] [DSC-SYN-017] [DSC-SYN-022]
    install()
    async with asyncio.timeout(WAIT):
        owner, operator, consumer = await sessions(node)
        async with owner, operator, consumer:
            cases: list[tuple[str, dict[str, Any], Code]] = [
                ("dsp.info", {"x": 1}, Code.INVALID_PARAMS),
                ("dsp.changes", {}, Code.INVALID_PARAMS),
                ("dsp.changes", {"since": 0}, Code.INVALID_PARAMS),
                ("dsp.changes", {"since": "0", "limit": 0}, Code.INVALID_PARAMS),
                ("dsp.changes", {"since": "0", "cursor": "0"}, Code.INVALID_PARAMS),
                ("dsp.changes", {"since": "1"}, Code.CURSOR_EXPIRED),
                ("dsp.snapshot", {"types": ["ont"]}, Code.INVALID_PARAMS),
                ("dsp.snapshot", {"chunkSize": 10_001}, Code.INVALID_PARAMS),
                ("dsp.chunk", {"snapshotId": "a/b", "index": 0}, Code.INVALID_PARAMS),
                ("dsp.chunk", {"snapshotId": "nope", "index": -1}, Code.INVALID_PARAMS),
                ("dsp.chunk", {"snapshotId": "nope", "index": 0}, Code.SNAPSHOT_NOT_FOUND),
            ]
            for method, params, code in cases:
                with pytest.raises(AipError) as refused:
                    await consumer.call(method, params)
                assert refused.value.code is code, (method, params)
            first = await consumer.call("dsp.snapshot", {})
            assert (first["seq"], first["objectCount"], first["objects"]) == ("0", 0, [])
            with pytest.raises(AipError) as past:
                await consumer.call("dsp.chunk", {"snapshotId": first["snapshotId"], "index": 1})
            assert past.value.code is Code.SNAPSHOT_NOT_FOUND

            for method in ("dsp.info", "dsp.snapshot", "dsp.changes", "dsp.chunk"):
                with pytest.raises(AipError) as other:  # authenticated, not a discovery node
                    await owner.call(method, {"since": "0"} if method == "dsp.changes" else {})
                assert other.value.code is Code.AUTHORIZATION_FAILED, method
        stranger = await connect(node.url, identity(node, STRANGER), str(node.identity.aic))
        async with stranger:
            with pytest.raises(AipError) as refused:
                await stranger.call("dsp.info")
            assert refused.value.code is Code.AUTHORIZATION_FAILED
        anonymous = await open_session(node.url)
        async with anonymous:
            with pytest.raises(AipError) as refused:
                await anonymous.call("dsp.info")
            assert refused.value.code is Code.AUTHENTICATION_REQUIRED


async def test_the_desk_refuses_an_anonymous_caller_itself(node: Node) -> None:
    # [DSC-SYN-022] even where the session layer would let a call through
    registry = registry_of(node)
    feed = SqliteFeed(registry.store.path)
    try:
        table = sync_methods(feed, registry, allowed=lambda c: True)
        assert set(table) == {"dsp.info", "dsp.snapshot", "dsp.chunk", "dsp.changes"}
        for name, handler in table.items():
            with pytest.raises(AipError) as refused:
                await handler({}, ANONYMOUS)
            assert refused.value.code is Code.AUTHENTICATION_REQUIRED, name
        admitted = await table["dsp.info"]({}, Caller(aic=CONSUMER))
        assert admitted["headSeq"] == "0"
    finally:
        desk = getattr(table["dsp.info"], "__self__", None)
        assert isinstance(desk, SyncDesk)
        await desk.close()  # detaches from the registry, waits for its prune
        assert desk._committed not in registry.committed
        feed.close()


async def test_answers_fit_the_frame_limit(node: Node) -> None:
    # [DSC-SYN-012] [DSC-SYN-015] a page or a chunk never outgrows the session's frames
    owner, operator, _consumer = await sessions(node)
    async with owner, operator:
        _, ontology = await approved(owner, operator, "Framed")
        for _ in range(4):
            await owner.call("atr.derive", {"ontology": ontology})
    registry = registry_of(node)
    feed = SqliteFeed(registry.store.path)
    largest = feed.largest_object()
    desk = SyncDesk(feed, registry, allowed=lambda c: True, max_bytes=2 * (largest + 512))
    caller = Caller(aic=CONSUMER)
    try:
        page = await desk.changes({"since": "0", "limit": 1000}, caller)
        assert 1 <= len(page["changes"]) <= 2  # cut to fit, and never empty
        assert page["nextSeq"] == page["changes"][-1]["seq"]  # resume right after the cut
        rest = await desk.changes({"since": page["nextSeq"], "limit": 1000}, caller)
        assert rest["changes"][0]["seq"] > page["nextSeq"]  # nothing skipped or repeated
        first = await desk.snapshot({"chunkSize": 1000}, caller)
        assert first["objectCount"] >= 5
        assert first["chunkTotal"] >= 3  # chunks of at most two of the largest objects
        assert len(first["objects"]) <= 2
    finally:
        await desk.close()
        feed.close()
