"""Federated discovery over real loopback WebSockets (spec Part 8 §8.7, aip.node.federation).

Three domains A, B and C, each a node with its own data directory, CA and registered agent, every
node configured with the other two as peers.  A query at A comes back merged from all three with
``routes``, and every relayed document verifies under its own domain's node key.  Then the
attacks, each sent over a real session and refused with its code: a loop, a forged or broken hop
signature (at the next hop and two hops on, where the key comes from the signer's ``node.info``),
a tampered chain, an exhausted budget and a depth beyond the limit; an agent of a peer domain
cannot open a session; and a peer that is down, slow or redirecting costs only its route.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from aip.client import AgentIdentity, connect
from aip.client.session import Session
from aip.discovery import forwarding as fw
from aip.discovery.acs import verify_acs
from aip.errors import AipError, Code, IntegrityError
from aip.identity.certificates import Usage, certificate_pem, load_certificates
from aip.identity.keys import SigningKey
from aip.jsonrpc import Caller
from aip.node import Node
from aip.node.datadir import DataDir
from aip.node.federation import Peer, ensure_node_client
from aip.node.operator import load_operator
from tests.helpers import acs_submission, started
from tests.test_session_wire import enrolled

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 10.0
QUERY = "plan a trip with hotels"
NAMES = ("a", "b", "c")
STRANGER_KEY = SigningKey(b"\x5a" * 32)


@dataclass
class Domain:
    """One domain of the mesh: its node and the entity AIC of its one registered agent."""

    node: Node
    agent: str

    @property
    def aic(self) -> str:
        return str(self.node.identity.aic)


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _identity(path: Path, domain: str) -> tuple[str, x509.Certificate]:
    """Create the data directory; return the node AIC and the domain root."""
    with DataDir.open(path, domain=domain) as data:
        return str(data.identity.aic), data.identity.ca.root_certificate


async def _register(node: Node, name: str) -> str:
    """Register, approve and derive one agent; return the entity's AIC."""
    aic = str(node.identity.aic)
    owner = await connect(node.url, enrolled(node), aic)
    operator = await connect(node.url, load_operator(node.data_path), aic)
    async with owner, operator:
        made = await owner.call("atr.register", {"acs": acs_submission(name)})
        await owner.call("atr.act", {"id": made["id"], "action": "submit"})
        done = await operator.call("atr.act", {"id": made["id"], "action": "approve"})
        entity = await owner.call("atr.derive", {"ontology": done["aic"]})
        return str(entity["aic"])


@pytest.fixture
async def mesh(tmp_path: Path) -> AsyncIterator[dict[str, Domain]]:
    ports = dict(zip(NAMES, _free_ports(len(NAMES)), strict=True))
    ids = {n: _identity(tmp_path / n, f"{n}.example") for n in NAMES}

    def peers_of(me: str) -> list[Peer]:
        return [Peer(f"ws://127.0.0.1:{ports[n]}", *ids[n]) for n in NAMES if n != me]

    async with AsyncExitStack() as stack:
        domains: dict[str, Domain] = {}
        for n in NAMES:
            node = Node(tmp_path / n, port=ports[n], audit_interval=60.0, peers=peers_of(n))
            await stack.enter_async_context(started(node, WAIT))
            domains[n] = Domain(node, await _register(node, f"Travel helper {n.upper()}"))
        yield domains


async def _as_node(sender: Domain, receiver: Domain) -> Session:
    """A session to ``receiver`` authenticated as ``sender``'s node, the way nodes dial."""
    peer = sender.node.federation.peers[receiver.aic]
    return await connect(peer.url, sender.node.federation.identity_for(peer), receiver.aic)


async def _client(domain: Domain) -> Session:
    return await connect(domain.node.url, enrolled(domain.node), domain.aic)


async def _refused(call: Any) -> AipError:
    with pytest.raises(AipError) as info:
        await call
    return info.value


def _signed(
    hops: list[tuple[Domain, SigningKey | None]], trusted: list[str], **members: Any
) -> dict[str, Any]:
    """The request the last hop sends on: each hop signs with its node key (or the key given),
    as :mod:`aip.node.federation` does; each branch keeps the budget the hop received, less 1."""
    request: dict[str, Any] = {"query": QUERY, "requestId": "req-fed-1", **members}
    fwd = fw.enter(fw.read_forwarding(request), trusted=trusted)
    for domain, key in hops:
        out = fw.sign_hop(request, fwd, own_aic=domain.aic, key=key or domain.node.identity.key)
        request = fw.branch(out, max(fwd.fanout_remaining - 1, 0))
        fwd = fw.read_forwarding(request)
    return request


def _skills(answer: dict[str, Any]) -> list[str]:
    return [s["aic"] for g in answer["agents"] for s in g["agentSkills"]]


async def test_a_query_at_a_returns_all_three_domains_merged_and_verifiable(
    mesh: dict[str, Domain],
) -> None:
    a, b, c = mesh["a"], mesh["b"], mesh["c"]
    async with asyncio.timeout(WAIT):
        client = await _client(a)
        async with client:
            found = await client.call(
                "adp.discover",
                {"query": QUERY, "limit": 10, "forwardFanoutLimit": 3, "forwardDepthLimit": 3},
            )
            default = await client.call("adp.discover", {"query": QUERY})
            capped = await client.call(
                "adp.discover", {"query": QUERY, "limit": 2, "forwardFanoutLimit": 3}
            )
            alone = await client.call("adp.discover", {"query": QUERY, "forwardDepthLimit": 1})
            info = await client.call("node.info")
    # [DSC-FWD-028] the node publishes whom it forwards to, in preference order
    assert info["features"]["federation"] is True
    assert sorted(info["federation"]["peers"]) == sorted([b.aic, c.aic])
    assert info["federation"]["peers"] == [p.aic for p in a.node._peers]
    # [DSC-FWD-018] one group, each agent once, re-ranked 1..n: own result, then the branches
    assert len(found["agents"]) == 1
    assert _skills(found) == [a.agent, b.agent, c.agent]
    assert [s["ranking"] for s in found["agents"][0]["agentSkills"]] == [1, 2, 3]
    # "verifiable": each relayed document is the one its own registry signed [DSC-FWD-019]
    assert set(found["acsMap"]) == {a.agent, b.agent, c.agent}
    for home in (a, b, c):
        document = found["acsMap"][home.agent]
        verify_acs(document, home.node.identity.key.verify_key)
        for other in (d for d in (a, b, c) if d is not home):
            with pytest.raises(IntegrityError):
                verify_acs(document, other.node.identity.key.verify_key)
    # [DSC-FWD-020] A -> B, A -> C, and C's own branch C -> B (budget 3: B 0, C 1 [DSC-FWD-015])
    routes = {tuple(r["forwardChain"]): r for r in found["routes"]}
    assert set(routes) == {(a.aic, b.aic), (a.aic, c.aic), (a.aic, c.aic, b.aic)}
    assert {r["status"] for r in routes.values()} == {"ok"}
    deep = routes[(a.aic, c.aic, b.aic)]["agentGroups"][0]["agentSkills"]
    assert [s["aic"] for s in deep] == [b.agent]  # C -> B checked A's hop with A's pinned key
    # defaults: fan-out 1 reaches B only, with no budget left to go on [DSC-FWD-005]
    assert _skills(default) == [a.agent, b.agent]
    assert [r["forwardChain"] for r in default["routes"]] == [[a.aic, b.aic]]
    # the limit counts across sources, acsMap follows [DSC-FWD-019]
    assert _skills(capped) == [a.agent, b.agent]
    assert set(capped["acsMap"]) == {a.agent, b.agent}
    # depth 1: never forwarded, the local answer alone [DSC-FWD-016]
    assert _skills(alone) == [a.agent]
    assert "routes" not in alone


async def test_attacks_at_the_next_hop(mesh: dict[str, Domain]) -> None:
    a, b, c = mesh["a"], mesh["b"], mesh["c"]
    trusted = [b.aic, c.aic]
    genuine = _signed([(a, None)], trusted, forwardFanoutLimit=3)
    async with asyncio.timeout(WAIT):
        session = await _as_node(a, b)  # A's node, authenticated by its own domain's chain
        async with session:
            answer = await session.call("adp.discover", genuine)  # the honest request passes
            assert b.agent in _skills(answer)

            async def refusal(request: dict[str, Any]) -> AipError:
                return await _refused(session.call("adp.discover", request))

            # loop: the chain already holds the receiver [DSC-FWD-008]
            looped = {**genuine, "forwardChain": [b.aic, a.aic],
                      "forwardSignatures": genuine["forwardSignatures"] * 2}  # fmt: skip
            assert (await refusal(looped)).code is Code.FORWARD_LOOP_DETECTED
            # depth: a chain of forwardDepthLimit elements goes no further [DSC-FWD-009]
            shallow = _signed([(a, None)], trusted, forwardDepthLimit=1)
            assert (await refusal(shallow)).code is Code.FORWARD_DEPTH_EXCEEDED
            # tampered chain [DSC-FWD-007] [DSC-FWD-010]: not ending with the caller; a
            # signature too many; the receiver left off the trusted list
            as_c = _signed([(c, None)], trusted)
            extra = {**genuine, "forwardSignatures": genuine["forwardSignatures"] * 2}
            off_list = _signed([(a, None)], [c.aic])
            for request in (as_c, extra, off_list):
                assert (await refusal(request)).code is Code.FORWARD_CHAIN_TAMPERED
            # exhausted budget: more than forwardFanoutLimit - len(chain) left [DSC-FWD-011]
            inflated = {**genuine, "forwardFanoutRemaining": 3}
            error = await refusal(inflated)
            assert error.code is Code.FORWARD_FANOUT_EXCEEDED
            assert error.data is not None
            assert (error.data["availableBudget"], error.data["requiredBranches"]) == (2, 3)
            # forged hop signature: another key, or a query changed after signing [DSC-FWD-013]
            forged = _signed([(a, STRANGER_KEY)], trusted)
            changed = {**genuine, "query": "book a hotel in Paris"}
            changed_limit = {**genuine, "limit": 3}
            for request in (forged, changed, changed_limit):
                assert (await refusal(request)).code is Code.FORWARD_SIGNATURE_INVALID
            # what no signature covers may change: the budget, downwards, and the time left
            # [DSC-FWD-012]; with no budget B answers without forwarding [DSC-FWD-005]
            spent = {**genuine, "forwardFanoutRemaining": 0, "forwardTotalTimeoutMs": 5000}
            assert _skills(await session.call("adp.discover", spent)) == [b.agent]


async def test_attacks_two_hops_on_use_the_first_hops_pinned_key(mesh: dict[str, Domain]) -> None:
    # [DSC-FWD-027] a non-adjacent hop's key comes from the configured peer's certificate
    a, b, c = mesh["a"], mesh["b"], mesh["c"]
    trusted = [b.aic, c.aic]
    members = {"forwardFanoutLimit": 3}
    honest = _signed([(a, None), (b, None)], trusted, **members)
    # B (malicious) changes the query A signed, and signs its own hop correctly
    request: dict[str, Any] = {"query": QUERY, "requestId": "req-fed-1", **members}
    first = fw.branch(
        fw.sign_hop(request, fw.enter(fw.read_forwarding(request), trusted=trusted),
                    own_aic=a.aic, key=a.node.identity.key), 2)  # fmt: skip
    altered = {**first, "query": "quantum chromodynamics"}
    relayed = fw.branch(
        fw.sign_hop(altered, fw.read_forwarding(altered), own_aic=b.aic, key=b.node.identity.key),
        0,
    )
    # B signs A's hop itself; B drops A and starts a chain with a node C has not configured
    impostor = _signed([(a, b.node.identity.key), (b, None)], trusted, **members)
    unknown = "1.2.156.3088.1.1.34C2.478BDF.3GF547.0JU4"
    stray = {**honest, "forwardChain": [unknown, b.aic]}
    async with asyncio.timeout(WAIT):
        session = await _as_node(b, c)
        async with session:
            # C never had a session from A: it pins A's key from A's node.info, under A's root
            answer = await session.call("adp.discover", honest)
            assert c.agent in _skills(answer)
            for forged, hop in ((relayed, 0), (impostor, 0), (stray, 0)):
                error = await _refused(session.call("adp.discover", forged))
                assert error.code is Code.FORWARD_SIGNATURE_INVALID  # [DSC-FWD-013]
                assert error.data is not None
                assert error.data["hop"] == hop


async def test_a_peer_root_admits_that_peer_node_only(mesh: dict[str, Domain]) -> None:
    # [DSC-FWD-025] the trust rule; [DSC-FWD-026] what a peer node's session may call
    a, b = mesh["a"], mesh["b"]
    ca_a, ca_b = a.node.identity.ca, b.node.identity.ca
    now = datetime.now(UTC)

    def certified(ca: Any, aic: str, serial: int) -> AgentIdentity:
        cert = ca.issue(aic, STRANGER_KEY.verify_key, Usage.CLIENT, now, serial)
        chain = [certificate_pem(cert).decode(), ca.chain_pem().decode()]
        return AgentIdentity(aic, STRANGER_KEY, chain, [ca_b.root_certificate])

    async with asyncio.timeout(WAIT):
        # an agent of domain A (a valid chain under A's root, which B trusts for A's node)
        agent_of_a = certified(ca_a, enrolled(a.node).aic, 7001)
        error = await _refused(connect(b.node.url, agent_of_a, b.aic))
        assert error.code is Code.CERTIFICATE_CHAIN_INVALID
        # A's node AIC certified by B's own CA: a peer's AIC counts only under its own root
        fake_a = certified(ca_b, a.aic, 7002)
        error = await _refused(connect(b.node.url, fake_a, b.aic))
        assert error.code is Code.CERTIFICATE_CHAIN_INVALID
        # A's node itself gets in, and may discover, but nothing else
        session = await _as_node(a, b)
        async with session:
            assert (await session.call("node.info"))["nodeAic"] == b.aic
            assert b.agent in _skills(await session.call("adp.discover", {"query": QUERY}))
            for method, params in (
                ("dsp.info", {}),  # [DSC-SYN-022] no synchronisation between domains
                ("atr.register", {"acs": acs_submission()}),
                ("atr.status", {"id": "x"}),
            ):
                error = await _refused(session.call(method, params))
                assert error.code is Code.AUTHORIZATION_FAILED
        # B's own agents are unaffected
        own = await _client(b)
        async with own:
            assert (await own.call("dsp.info", {}))["types"] == ["acs"]


async def test_a_peer_domains_revocations_are_honoured(mesh: dict[str, Domain]) -> None:
    """[DSC-FWD-029] a node takes its peers' revocation lists, verified under each peer's root,
    and refuses a peer node whose certificate its own domain revoked."""
    a, b, c = mesh["a"], mesh["b"], mesh["c"]
    revocations = a.node.federation.revocations
    async with asyncio.timeout(WAIT):
        assert await revocations.refresh() == {b.aic: True, c.aic: True}
        dialing = b.node.federation.identity_for(b.node.federation.peers[a.aic])
        serial = load_certificates(dialing.certificates[0])[0].serial_number
        assert not revocations.revoked(serial)
        async with await _as_node(b, a) as session:  # B's node is admitted
            assert (await session.call("node.info"))["nodeAic"] == a.aic
        # B's operator revokes the certificate B's node dials with
        b.node.enrollment.revoke({"serial": str(serial), "reason": 1},
                                 Caller(aic=b.node.operator_aic))  # fmt: skip
        async with await _as_node(b, a) as session:  # A has not seen B's new list yet
            assert (await session.call("node.info"))["nodeAic"] == a.aic
        assert await revocations.refresh() == {b.aic: True, c.aic: True}
        assert revocations.revoked(serial)
        refused = await _refused(_as_node(b, a))
        assert refused.code == Code.CERTIFICATE_REVOKED
        # C's list does not speak for B's certificates, nor B's for C's node
        async with await _as_node(c, a) as session:
            assert (await session.call("node.info"))["nodeAic"] == a.aic
        fresh = revocations.fresh_list(b.aic)
        assert fresh is not None
        assert serial in fresh.entries


async def test_down_slow_and_redirecting_peers_cost_only_their_route(
    mesh: dict[str, Domain],
) -> None:
    a, b, c = mesh["a"], mesh["b"], mesh["c"]
    a_aic, b_aic, c_aic = a.aic, b.aic, c.aic  # B's node object forgets it once stopped
    never = asyncio.Event()

    async def hang(_params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        await never.wait()  # until C stops
        return {}

    def redirect(_params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        raise fw.redirect_error(Code.CAPACITY_REDIRECT, "ws://127.0.0.1:1", aic=b_aic)

    params = {"query": QUERY, "forwardFanoutLimit": 3,
              "forwardEachTimeoutMs": 400, "forwardTotalTimeoutMs": 1500}  # fmt: skip
    async with asyncio.timeout(WAIT):
        await b.node.stop()  # down
        c.node.listener.methods["adp.discover"] = hang  # slow
        client = await _client(a)
        async with client:
            began = time.monotonic()
            found = await client.call("adp.discover", params)
            took = time.monotonic() - began
            c.node.listener.methods["adp.discover"] = redirect
            redirected = await client.call("adp.discover", params)
    assert _skills(found) == [a.agent]  # the local answer still arrives [DSC-FWD-024]
    assert took < 1.5  # within forwardTotalTimeoutMs [DSC-FWD-017]
    routes = {tuple(r["forwardChain"]): r for r in found["routes"]}
    assert routes[(a_aic, b_aic)]["status"] == "error"
    assert routes[(a_aic, b_aic)]["metadata"] == {"reason": "unreachable"}
    assert routes[(a_aic, c_aic)]["status"] == "timeout"
    assert routes[(a_aic, c_aic)]["durationMs"] >= 300
    # a redirect from a branch is recorded, never followed [DSC-FWD-023]
    assert _skills(redirected) == [a.agent]
    route = next(r for r in redirected["routes"] if r["forwardChain"] == [a_aic, c_aic])
    assert (route["status"], route["metadata"]["code"]) == ("error", Code.CAPACITY_REDIRECT)


async def test_configuration(tmp_path: Path) -> None:
    aic, root = _identity(tmp_path / "x", "x.example")
    root_file = tmp_path / "x=root.pem"
    root_file.write_bytes(certificate_pem(root))
    peer = Peer.parse(f"ws://127.0.0.1:9/p?a=b={aic}={root_file}")
    assert (peer.url, peer.aic, peer.fingerprint) == (
        "ws://127.0.0.1:9/p?a=b",
        aic,
        Peer("ws://h:1", aic, root).fingerprint,
    )
    with DataDir.open(tmp_path / "x") as data:
        leaf = data.identity.certificate
        chain = ensure_node_client(data, datetime.now(UTC))
        assert ensure_node_client(data, datetime.now(UTC)) == chain  # kept in the data dir
    leaf_file = tmp_path / "leaf.pem"
    leaf_file.write_bytes(certificate_pem(leaf))
    for bad, why in (
        (f"ws://h:1={aic}", "is given as"),  # no file
        ("ws://h:1=nope=file", "is given as"),  # no AIC
        (f"http://h:1={aic}={root_file}", "ws:// or wss://"),
        (f"ws://h:1={aic}={leaf_file}", "CA certificate"),  # not a root
    ):
        with pytest.raises(ValueError, match=why):
            Peer.parse(bad)
    with pytest.raises(ValueError, match="in-band handshake"):
        Node(tmp_path / "y", port=0, tls=True, peers=[peer])
    own = Node(tmp_path / "x", port=0, peers=[Peer("ws://127.0.0.1:9", aic, root)])
    with pytest.raises(ValueError, match="this node"):
        await own.start()
