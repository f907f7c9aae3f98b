"""mTLS mode over wss:// (spec Part 7 §7.4): real loopback TLS 1.3, the node and the SDK."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from websockets.asyncio.client import connect as raw_connect
from websockets.exceptions import ConnectionClosed

from aip.client import Agent, AgentIdentity, Enrolled, connect
from aip.errors import AipError, Code
from aip.identity.ca import DomainCA
from aip.identity.certificates import Usage, certificate_pem, load_certificate
from aip.identity.keys import SigningKey
from aip.jsonrpc import Caller
from aip.node import Node
from aip.node.datadir import DataDir
from aip.transport import tls
from aip.transport.listener import SessionListener
from tests.helpers import started
from tests.pki_helpers import AIC, INTER_KEY, OTHER_AIC, ROOT_KEY, make_ca, reference_leaf
from tests.test_session_wire import enrolled

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 5.0
KEY = SigningKey(b"\x79" * 32)
_serials = iter(range(5000, 6000))


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    """A wss:// node whose CA was created ten days ago, so certificates can lie in the past."""
    DataDir.open(tmp_path / "node", now=datetime.now(UTC) - timedelta(days=10)).close()
    async with started(Node(tmp_path / "node", port=0, tls=True), WAIT) as running:
        yield running


def issued(
    ca: DomainCA,
    usage: Usage = Usage.CLIENT,
    *,
    aic: str = AIC,
    when: datetime | None = None,
    days: int = 49,
    trusting: DomainCA | None = None,
) -> AgentIdentity:
    """An identity over KEY certified by ``ca`` from ``when`` (default now) for ``days``,
    trusting the root of ``trusting`` (default ``ca``)."""
    start = when or datetime.now(UTC)
    cert = ca.issue(aic, KEY.verify_key, usage, start, next(_serials), validity_days=days)
    chain = [certificate_pem(cert).decode(), ca.chain_pem().decode()]
    return AgentIdentity(aic, KEY, chain, [(trusting or ca).root_certificate])


async def still_serves(node: Node) -> None:
    """A good client still gets a session and an answer."""
    async with await connect(node.url, enrolled(node), str(node.identity.aic)) as session:
        assert (await session.call("node.info"))["nodeAic"] == str(node.identity.aic)


async def refused(url: str, identity: AgentIdentity, expected: str) -> Code:
    with pytest.raises(AipError) as info:
        await connect(url, identity, expected, timeout=WAIT)
    return info.value.code


# --- success ------------------------------------------------------------------------------------


async def test_mutual_success_binds_the_same_session(node: Node) -> None:
    assert node.url.startswith("wss://")
    async with asyncio.timeout(WAIT):
        session = await connect(node.url, enrolled(node), str(node.identity.aic))
        async with session:
            assert session.aic == AIC
            assert session.server is not None
            assert session.server.aic == str(node.identity.aic)
            info = await session.call("node.info")
            assert info["transport"] == {"tls": True}  # [SES-TLS-009]
            assert session.server.key == node.identity.key.verify_key
            # the node bound the session to our AIC: a signed request in its name passes
            pong = await session.call_signed("node.ping", {"dataItems": [1]})  # [SES-BND-001]
            assert pong["dataItems"] == [1]
            for method in ("node.hello", "node.authenticate"):  # [SES-TLS-008]
                with pytest.raises(AipError) as again:
                    await session.call(method, {})
                assert again.value.code is Code.HANDSHAKE_OUT_OF_ORDER
            assert (await session.call("node.info"))["nodeAic"] == info["nodeAic"]  # kept


async def test_tls_13_is_negotiated(node: Node) -> None:  # [SES-TLS-001]
    identity = enrolled(node)
    context = tls.client_context(identity.key, identity.certificates, identity.trust_roots)
    async with asyncio.timeout(WAIT), raw_connect(node.url, ssl=context) as ws:
        assert ws.transport.get_extra_info("ssl_object").version() == "TLSv1.3"
        assert ws.response is not None
        assert ws.response.headers[tls.SESSION_HEADER] == AIC  # [SES-TLS-006]


async def test_an_agent_serves_wss(node: Node) -> None:
    server = issued(node.identity.ca, Usage.SERVER, aic=OTHER_AIC)
    own = issued(node.identity.ca, aic=OTHER_AIC)
    chains = {"clientAuth": list(own.certificates), "serverAuth": list(server.certificates)}
    agent = Agent(Enrolled(own, chains, [node.identity.trust_bundle_pem]), tls=True)

    @agent.method("who")
    def who(_params: Any, caller: Caller) -> dict[str, str | None]:
        return {"aic": caller.aic}

    async with asyncio.timeout(WAIT), agent:
        assert agent.url.startswith("wss://")
        async with await connect(agent.url, enrolled(node), OTHER_AIC) as session:
            assert await session.call("who") == {"aic": AIC}  # the server side's session AIC


# --- refusals -------------------------------------------------------------------------------


async def test_client_expecting_another_aic(node: Node) -> None:  # [SES-TLS-005]
    async with asyncio.timeout(WAIT):
        assert await refused(node.url, enrolled(node), OTHER_AIC) is Code.PEER_AIC_MISMATCH
        await still_serves(node)


async def test_openssl_refusals_are_seen_as_authentication_required(node: Node) -> None:
    """Foreign CA, wrong usage, expired: the server's TLS layer refuses (SES-TLS-006)."""
    ca = node.identity.ca
    past = datetime.now(UTC) - timedelta(days=5)
    cases = {
        "foreign CA": issued(make_ca(other=True), trusting=ca),
        "serverAuth only": enrolled(node, Usage.SERVER),
        "expired": issued(ca, when=past, days=1),
    }
    async with asyncio.timeout(4 * WAIT):
        for name, identity in cases.items():
            code = await refused(node.url, identity, str(node.identity.aic))
            assert code is Code.AUTHENTICATION_REQUIRED, name
            await still_serves(node)


async def test_revoked_client_is_closed_with_its_code(node: Node) -> None:
    identity = enrolled(node)
    serial = load_certificate(identity.certificates[0]).serial_number
    node.identity.ca.revoke(serial, 1, datetime.now(UTC))  # the node's live state [SES-TLS-004]
    context = tls.client_context(identity.key, identity.certificates, identity.trust_roots)
    async with asyncio.timeout(WAIT):
        assert await refused(node.url, identity, str(node.identity.aic)) is Code.CERTIFICATE_REVOKED
        async with raw_connect(node.url, ssl=context) as ws:  # what is on the wire
            assert ws.response is not None
            assert tls.SESSION_HEADER not in ws.response.headers
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008
        assert closed.value.rcvd.reason.split()[0] == str(int(Code.CERTIFICATE_REVOKED))
        await still_serves(node)


async def test_tls_12_client_is_refused(node: Node) -> None:  # [SES-TLS-001]
    identity = enrolled(node)
    context = tls.client_context(identity.key, identity.certificates, identity.trust_roots)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    async with asyncio.timeout(WAIT):
        # the handshake fails before any WebSocket byte: a protocol_version alert, or (asyncio
        # servers do not flush the alert of a failed handshake) a reset
        with pytest.raises((ssl.SSLError, ConnectionError)):
            await raw_connect(node.url, ssl=context)
        await still_serves(node)


async def test_session_closes_when_the_certificate_expires(node: Node) -> None:
    """The authenticated row's tick still ends an mTLS session at notAfter [SES-HSK-007]."""
    soon = datetime.now(UTC) + timedelta(seconds=2) - timedelta(days=1)
    identity = issued(node.identity.ca, when=soon, days=1)
    context = tls.client_context(identity.key, identity.certificates, identity.trust_roots)
    async with asyncio.timeout(WAIT), raw_connect(node.url, ssl=context) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason.split()[0] == str(int(Code.SESSION_EXPIRED))


# --- a listener under a CA whose keys the test holds -----------------------------------------


@pytest.fixture
def domain() -> DomainCA:
    return DomainCA.create(
        "example.org",
        ROOT_KEY,
        INTER_KEY,
        datetime.now(UTC) - timedelta(days=1),
        root_serial=1,
        intermediate_serial=2,
    )


@contextlib.asynccontextmanager
async def serving(server: AgentIdentity) -> AsyncIterator[SessionListener]:
    """A bare wss:// listener presenting ``server``'s chain, whatever its usage."""
    listener = SessionListener(host="127.0.0.1", port=0, methods={}, public_methods=frozenset())
    await listener.start(server.aic, server.key, server.certificates, server.trust_roots, tls=True)
    try:
        yield listener
    finally:
        await listener.stop()


async def test_server_with_a_client_certificate_is_refused(domain: DomainCA) -> None:
    wrong = issued(domain, Usage.CLIENT, aic=OTHER_AIC)  # clientAuth presented as a server
    async with asyncio.timeout(WAIT), serving(wrong) as listener:
        code = await refused(listener.url, issued(domain), OTHER_AIC)
    assert code is Code.CERTIFICATE_WRONG_USAGE


async def test_our_profile_check_runs_after_openssl(domain: DomainCA) -> None:
    """CN and SAN disagree: OpenSSL accepts the chain, Part 6 does not [SES-TLS-005]."""
    leaf = reference_leaf(
        issuer=domain.intermediate_certificate,
        issuer_key=INTER_KEY,
        serial=next(_serials),
        key=KEY.verify_key,
        sans=[x509.UniformResourceIdentifier("acps://" + OTHER_AIC)],
        start=datetime.now(UTC) - timedelta(hours=1),
    )
    chain = [certificate_pem(leaf).decode(), domain.chain_pem().decode()]
    liar = AgentIdentity(AIC, KEY, chain, [domain.root_certificate])
    good = issued(domain)
    async with asyncio.timeout(WAIT), serving(issued(domain, Usage.SERVER, aic=OTHER_AIC)) as srv:
        assert await refused(srv.url, liar, OTHER_AIC) is Code.CERTIFICATE_PROFILE_INVALID
        async with await connect(srv.url, good, OTHER_AIC) as session:
            assert session.aic == AIC


# --- key hygiene ------------------------------------------------------------------------------


def test_key_never_stays_on_disk(monkeypatch: pytest.MonkeyPatch, domain: DomainCA) -> None:
    identity = issued(domain)
    seen: list[tuple[Path, int, bytes]] = []
    load = ssl.SSLContext.load_cert_chain

    def spy(self: ssl.SSLContext, certfile: Any, keyfile: Any = None, password: Any = None) -> None:
        path = Path(keyfile)
        seen.append((path, path.stat().st_mode & 0o777, path.read_bytes()))
        load(self, certfile, keyfile, password)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
    tls.client_context(identity.key, identity.certificates, identity.trust_roots)
    tls.server_context(identity.key, identity.certificates, identity.trust_roots)
    assert len(seen) == 2
    for path, mode, text in seen:
        assert mode == 0o600
        assert text.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")  # passphrase in memory
        assert not path.exists()
        assert not path.parent.exists()
