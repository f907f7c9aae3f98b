"""Renewal, revocation, the revocation list and development mode over real loopback sockets."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from websockets.asyncio.client import connect as raw_connect

from aip.client import AgentIdentity, ConnectionLost, Session, connect, enroll
from aip.client.identity import load_identity, save_identity
from aip.client.lifecycle import fetch_revocation_list, read_chain, renew, revoke
from aip.errors import AipError, Code
from aip.identity.certificates import (
    Usage,
    certificate_pem,
    inspect_agent_certificate,
    load_certificate,
)
from aip.identity.chain import validate_chain
from aip.identity.enrollment import build_csr
from aip.identity.keys import SigningKey
from aip.identity.revocation import RevocationReason, verify_crl
from aip.jsonrpc import ANONYMOUS
from aip.node import Node
from aip.node.atr import Enrollment
from aip.node.datadir import DataDir
from aip.node.operator import load_operator
from tests.helpers import aip, started
from tests.pki_helpers import AIC, OTHER_AIC

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 5.0
KEY = SigningKey(b"\x51" * 32)
OTHER_KEY = SigningKey(b"\x52" * 32)
NEW_KEY = SigningKey(b"\x53" * 32)
_serials = itertools.count(7000)


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with started(Node(tmp_path / "node", port=0), WAIT) as running:
        yield running


def issued(
    node: Node, aic: str = AIC, key: SigningKey = KEY, days: int = 10, usage: Usage = Usage.CLIENT
) -> AgentIdentity:
    """An agent certified by the node's CA for ``days`` (10: inside the renewal window)."""
    ca = node.identity.ca
    now, serial = datetime.now(UTC), next(_serials)
    cert = ca.issue(aic, key.verify_key, usage, now, serial, validity_days=days)
    chain = [certificate_pem(cert).decode(), ca.chain_pem().decode()]
    return AgentIdentity(aic, key, chain, [ca.root_certificate])


def serial_of(identity: AgentIdentity | list[str]) -> int:
    chain = identity.certificates if isinstance(identity, AgentIdentity) else identity
    return load_certificate(chain[0]).serial_number


async def session_of(node: Node, identity: AgentIdentity) -> Session:
    return await connect(node.url, identity, str(node.identity.aic))


async def refused(call: Any) -> Code:
    """The code of the AipError the awaitable ``call`` must raise."""
    with pytest.raises(AipError) as info:
        await call
    return info.value.code


async def ended(session: Session) -> str:
    """Wait (bounded by the caller) until the node closes ``session``; its close reason."""
    await session.wait_closed()
    assert session.close_code == 1008
    return session.close_reason or ""


# --- renewal -------------------------------------------------------------------------------------


async def test_renew_keeps_both_valid_and_is_durable(node: Node) -> None:
    # [IDN-REN-005] [IDN-REN-007] [IDN-REN-010]
    identity = issued(node)
    async with asyncio.timeout(WAIT):
        async with await session_of(node, identity) as session:
            chain = await renew(session, identity)
            assert (await session.call("node.info"))["nodeAic"] == str(node.identity.aic)
            # the same renewal again (an answer lost on the way) gets the same certificate
            # [IDN-REN-011]; only the newest certificate of a lineage moves on [IDN-REN-006]
            assert await renew(session, identity) == chain
            other = SigningKey(b"\x5e" * 32)
            assert await refused(renew(session, identity, new_key=other)) is (
                Code.CERTIFICATE_SUPERSEDED
            )
        old, new = serial_of(identity), serial_of(chain)
        assert new != old
        now, roots = datetime.now(UTC), identity.trust_roots
        for pems in (identity.certificates, chain):
            agent = validate_chain(pems[0], pems[1:], roots, now=now, usage=Usage.CLIENT)
            assert (agent.aic, agent.key) == (AIC, KEY.verify_key)
        renewed = AgentIdentity(AIC, KEY, chain, roots)
        await (await session_of(node, renewed)).close()
        await (await session_of(node, identity)).close()  # not revoked by a renewal
    await node.stop()
    async with asyncio.timeout(WAIT), Node(node.data_path, port=0) as again:
        assert again.identity.ca.state.issued[new].predecessor == old
    await node.start()  # the fixture stops it again


async def test_renew_is_for_the_certificates_own_aic(node: Node) -> None:
    # [IDN-REN-007] [IDN-REN-008] [IDN-REN-009]
    mine, other = issued(node), issued(node, OTHER_AIC, OTHER_KEY)
    csr = build_csr(KEY, AIC).decode()
    async with asyncio.timeout(WAIT), await session_of(node, other) as session:
        assert await refused(renew(session, mine)) is Code.AUTHORIZATION_FAILED
        own_csr = build_csr(OTHER_KEY, OTHER_AIC).decode()
        params = {"certificate": other.certificates[0], "csr": own_csr}
        forced = session.call("atr.renew", {**params, "force": True})
        assert await refused(forced) is Code.AUTHORIZATION_FAILED  # only the operator forces
        for bad in (
            {"certificate": mine.certificates[0]},
            {**params, "force": 1},
            {**params, "rotationProof": 7},
            {**params, "rotationProof": None},
            {**params, "force": None},
            {**params, "extra": 1},
        ):
            assert await refused(session.call("atr.renew", bad)) is Code.INVALID_PARAMS
        garbage = {"certificate": "not a certificate", "csr": csr}
        assert await refused(session.call("atr.renew", garbage)) is Code.CERTIFICATE_MALFORMED
        unproven = {**params, "rotationProof": "!"}
        assert await refused(session.call("atr.renew", unproven)) is Code.ROTATION_PROOF_INVALID
    async with asyncio.timeout(WAIT), raw_connect(node.url) as ws:  # [ARC-AUTH-001]
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "atr.renew", "id": 1}))
        assert json.loads(await ws.recv())["error"]["code"] == Code.AUTHENTICATION_REQUIRED


async def test_renew_before_the_window_only_when_the_operator_forces(node: Node) -> None:
    # [IDN-REN-001] [IDN-REN-008]
    identity = issued(node, days=49)
    async with asyncio.timeout(WAIT):
        async with await session_of(node, identity) as session:
            assert await refused(renew(session, identity)) is Code.RENEWAL_NOT_DUE
        params = {"certificate": identity.certificates[0], "csr": build_csr(KEY, AIC).decode()}
        async with await session_of(node, load_operator(node.data_path)) as operator:
            result = await operator.call("atr.renew", {**params, "force": True})
    (leaf, inter) = result["certificates"]["clientAuth"]
    info = inspect_agent_certificate(load_certificate(leaf))
    assert (info.aic, info.key) == (AIC, KEY.verify_key)
    assert inter == node.identity.ca.chain_pem().decode()


async def test_rotation_retires_the_old_key_and_its_sessions(node: Node) -> None:
    # [IDN-ROT-001] [IDN-ROT-003] [SES-HSK-008]
    identity = issued(node)
    async with asyncio.timeout(WAIT):
        session = await session_of(node, identity)
        chain = await renew(session, identity, new_key=NEW_KEY)
        assert (await ended(session)).startswith(str(int(Code.CERTIFICATE_REVOKED)))
        await session.close()
        entry = node.identity.ca.state.revoked[serial_of(identity)]
        assert entry.reason is RevocationReason.SUPERSEDED
        assert await refused(session_of(node, identity)) is Code.CERTIFICATE_REVOKED
        rotated = AgentIdentity(AIC, NEW_KEY, chain, identity.trust_roots)
        await (await session_of(node, rotated)).close()


# --- revocation ----------------------------------------------------------------------------------


async def test_self_revocation_ends_the_session_and_later_handshakes(node: Node) -> None:
    # [IDN-REV-011] [IDN-REV-013] [SES-HSK-008]
    identity = issued(node, days=49)
    serial = serial_of(identity)
    async with asyncio.timeout(WAIT):
        session = await session_of(node, identity)
        record = await revoke(session, serial, RevocationReason.KEY_COMPROMISE)
        assert record["serial"] == str(serial)
        assert record["reason"] == 1
        assert record["revokedAt"].endswith("Z")
        assert (await ended(session)).startswith(str(int(Code.CERTIFICATE_REVOKED)))
        with pytest.raises(ConnectionLost):
            await session.call("node.info")
        await session.close()
        assert await refused(session_of(node, identity)) is Code.CERTIFICATE_REVOKED
    await node.stop()  # acknowledged means on disk [IDN-REV-013]
    async with asyncio.timeout(WAIT), Node(node.data_path, port=0) as again:
        assert await refused(session_of(again, identity)) is Code.CERTIFICATE_REVOKED
    await node.start()


async def test_operator_and_stranger(node: Node) -> None:
    # [IDN-REV-001] [IDN-REV-003] [IDN-REV-010] [IDN-REV-011] [IDN-REV-012] [SES-HSK-008]
    victim, stranger = issued(node, days=49), issued(node, OTHER_AIC, OTHER_KEY, days=49)
    serial = serial_of(victim)
    async with asyncio.timeout(WAIT):
        agent = await session_of(node, victim)
        async with await session_of(node, stranger) as other:
            assert await refused(revoke(other, serial, 1)) is Code.AUTHORIZATION_FAILED
            assert await refused(revoke(other, 12345, 1)) is Code.AUTHORIZATION_FAILED  # unknown
            assert await refused(revoke(other, serial, 6)) is Code.INVALID_PARAMS  # params first
        async with await session_of(node, load_operator(node.data_path)) as operator:
            forms: list[Any] = [serial, None, [str(serial)], "0", "-1", "0123", "1e3", " 1"]
            for form in [*forms, str(2**159), "9" * 49]:  # decimal text only [IDN-REV-010]
                bad = {"serial": form, "reason": 0}
                assert await refused(operator.call("atr.revoke", bad)) is Code.INVALID_PARAMS
            for reason in (-1, 6, True, "1", 1.5, None):  # [IDN-REV-002]
                bad = {"serial": str(serial), "reason": reason}
                assert await refused(operator.call("atr.revoke", bad)) is Code.INVALID_PARAMS
            assert await refused(operator.call("atr.revoke", {"serial": "1"})) is (
                Code.INVALID_PARAMS
            )
            assert await refused(revoke(operator, 12345, 0)) is Code.ISSUER_MISMATCH
            assert (await revoke(operator, serial, 3))["reason"] == 3
            assert (await ended(agent)).startswith(str(int(Code.CERTIFICATE_REVOKED)))
            assert await refused(revoke(operator, serial, 1)) is Code.ALREADY_REVOKED
            assert (await operator.call("node.info"))["domain"] == node.identity.domain
        await agent.close()
        assert await refused(session_of(node, victim)) is Code.CERTIFICATE_REVOKED
        async with await session_of(node, stranger) as other:  # the stranger is untouched
            assert (await other.call("node.info"))["domain"] == node.identity.domain
    assert node.identity.ca.state.revoked[serial].reason is RevocationReason.AFFILIATION_CHANGED


async def test_a_session_stays_while_another_certificate_binds_its_key(node: Node) -> None:
    # [SES-HSK-008]: revoking the older of two certificates over one key ends nothing
    old = issued(node)
    async with asyncio.timeout(WAIT), await session_of(node, old) as session:
        await renew(session, old)  # a successor over the same key
        async with await session_of(node, load_operator(node.data_path)) as operator:
            await revoke(operator, serial_of(old), 4)
        assert (await session.call("node.info"))["domain"] == node.identity.domain


# --- the revocation list -------------------------------------------------------------------------


async def _public_list(node: Node) -> str:
    async with raw_connect(node.url) as ws:  # no session needed [IDN-REV-014]
        await ws.send('{"jsonrpc":"2.0","method":"atr.revocationList","id":1}')
        reply = json.loads(await ws.recv())
        await ws.send('{"jsonrpc":"2.0","method":"atr.revocationList","params":{"x":1},"id":2}')
        assert json.loads(await ws.recv())["error"]["code"] == Code.INVALID_PARAMS
    pem: str = reply["result"]["revocationList"]
    return pem


async def test_revocation_list_is_public_current_and_numbered(node: Node) -> None:
    # [IDN-REV-004] [IDN-REV-005] [IDN-REV-014]
    inter = node.identity.ca.intermediate_certificate
    first, second = issued(node, days=49), issued(node, OTHER_AIC, OTHER_KEY, days=49)
    async with asyncio.timeout(WAIT):
        pem = await _public_list(node)
        empty = verify_crl(pem, inter, datetime.now(UTC))
        assert dict(empty.entries) == {}
        assert await _public_list(node) == pem  # nothing changed: the same list, not re-signed
        async with await session_of(node, load_operator(node.data_path)) as operator:
            await revoke(operator, serial_of(first), 1)
            listed = verify_crl(await fetch_revocation_list(operator), inter, datetime.now(UTC))
            await revoke(operator, serial_of(second), 0)
        latest = verify_crl(await _public_list(node), inter, datetime.now(UTC))
    assert listed.number == empty.number + 1
    assert listed.reason_for(serial_of(first)) is RevocationReason.KEY_COMPROMISE
    assert latest.number == listed.number + 1
    assert set(latest.entries) == {serial_of(first), serial_of(second)}
    assert node.identity.ca.state.crl_number == latest.number


def test_revocation_list_is_re_signed_at_half_its_period(tmp_path: Path) -> None:
    # [IDN-REV-014] driven by the desk's clock, no sockets
    now = datetime.now(UTC)
    clock = [now]
    with DataDir.open(tmp_path / "node", now=now) as data:
        desk = Enrollment(data, "operator", lambda: clock[0])
        inter = data.identity.ca.intermediate_certificate
        first = desk.revocation_list({}, ANONYMOUS)["revocationList"]
        clock[0] = now + timedelta(hours=11, minutes=59)
        assert desk.revocation_list({}, ANONYMOUS)["revocationList"] == first
        clock[0] = now + timedelta(hours=12)
        fresh = verify_crl(desk.revocation_list({}, ANONYMOUS)["revocationList"], inter, clock[0])
        assert fresh.number == verify_crl(first, inter, now).number + 1
        assert fresh.next_update - clock[0] >= timedelta(hours=23)


# --- development mode ----------------------------------------------------------------------------

DEV_AIC = "1.2.156.3088.1.1.7K.9Q.5.0000"  # registry 1, as the node's; any checksum


async def test_dev_mode_enrolls_local_agents_without_a_token(tmp_path: Path) -> None:
    # [IDN-ENR-009] [IDN-ENR-010]
    async with asyncio.timeout(WAIT), Node(tmp_path / "dev", port=0, dev_mode=True) as dev:
        node_aic, fingerprint = str(dev.identity.aic), dev.identity.ca_fingerprint
        both = (Usage.CLIENT, Usage.SERVER)
        done = await enroll(
            dev.url, None, DEV_AIC.lower(), KEY, usages=both, node_aic=node_aic,
            ca_fingerprint=fingerprint,
        )
        assert done.identity.aic == DEV_AIC
        assert set(done.chains) == {"clientAuth", "serverAuth"}
        async with await connect(dev.url, done.identity, str(dev.identity.aic)) as session:
            info = await session.call("node.info")
            assert info["features"]["devEnrollment"] is True
            assert {"atr.renew", "atr.revoke", "atr.revocationList"} <= set(info["methods"])
        operator = load_operator(dev.data_path).aic
        refusals = [
            ("1.2.156.3088.1.2.7K.9Q.5.0000", Code.AUTHORIZATION_FAILED),  # another registry
            (operator, Code.AUTHORIZATION_FAILED),  # the node's own ontology
            (str(dev.identity.aic), Code.AUTHORIZATION_FAILED),
            ("1.2.156.3088.1.1.7K.9Q.0.0000", Code.AIC_KIND_MISMATCH),  # an ontology
        ]
        for aic, code in refusals:
            attempt = enroll(
                dev.url, None, aic, OTHER_KEY, node_aic=node_aic, ca_fingerprint=fingerprint
            )
            assert await refused(attempt) is code, aic
        token = dev.enrollment.issue_token(OTHER_AIC)  # tokens still work
        assert (await enroll(dev.url, token, OTHER_AIC, OTHER_KEY)).identity.aic == OTHER_AIC


async def test_dev_mode_checks_the_request(tmp_path: Path) -> None:  # [IDN-ENR-010]
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
    no_cn = builder.sign(KEY.to_cryptography(), None).public_bytes(Encoding.PEM).decode()
    cases = [
        ({"csr": no_cn, "usages": ["clientAuth"]}, Code.CSR_INVALID),
        ({"csr": build_csr(KEY, DEV_AIC).decode(), "usages": []}, Code.INVALID_PARAMS),
        ({"csr": "junk", "usages": ["clientAuth"]}, Code.CSR_INVALID),
    ]
    dev = Node(tmp_path / "dev", port=0, dev_mode=True)
    async with asyncio.timeout(WAIT), dev, raw_connect(dev.url) as ws:
        for ident, (params, code) in enumerate(cases):
            frame = {"jsonrpc": "2.0", "method": "atr.enroll", "params": params, "id": ident}
            await ws.send(json.dumps(frame))
            assert json.loads(await ws.recv())["error"]["code"] == code, params
        assert dev.identity.ca.state.tokens.records == {}  # a refusal registers nothing


async def test_without_dev_mode_a_token_is_required(node: Node) -> None:  # [IDN-ENR-008]
    async with asyncio.timeout(WAIT):
        assert await refused(enroll(node.url, None, DEV_AIC, KEY)) is Code.INVALID_PARAMS
        async with raw_connect(node.url) as ws:
            await ws.send('{"jsonrpc":"2.0","method":"node.info","id":1}')
            assert json.loads(await ws.recv())["result"]["features"]["devEnrollment"] is False
    assert DEV_AIC not in {r.info.aic for r in node.identity.ca.state.issued.values()}


@pytest.mark.parametrize(
    ("host", "urls"), [("0.0.0.0", ()), ("192.0.2.1", ()), ("127.0.0.1", ("wss://x.example",))]
)
def test_dev_mode_is_for_loopback_only(tmp_path: Path, host: str, urls: tuple[str, ...]) -> None:
    # [IDN-ENR-009]
    with pytest.raises(ValueError, match="loopback"):
        Node(tmp_path, host=host, port=0, dev_mode=True, public_urls=urls)
    assert Node(tmp_path, host="::1", port=0, dev_mode=True).dev_mode


# --- the command line ----------------------------------------------------------------------------



async def test_cli_renew_and_revoke(node: Node, tmp_path: Path) -> None:
    agent = tmp_path / "agent"
    client, server = issued(node), issued(node, usage=Usage.SERVER)
    chains = {"clientAuth": list(client.certificates), "serverAuth": list(server.certificates)}
    save_identity(agent, AIC, KEY, chains, [node.identity.trust_bundle_pem])
    at = ("--node", node.url, "--node-aic", str(node.identity.aic))
    as_operator = ("--data", str(node.data_path), "--node", node.url)
    async with asyncio.timeout(6 * WAIT):
        code, out, err = await aip("renew", "--identity", str(agent), *at, "--json")
        assert code == 0, err
        renewed = json.loads(out)["renewed"]
        new_client = int(renewed["clientAuth"]["serial"])
        new_server = int(renewed["serverAuth"]["serial"])
        assert serial_of(load_identity(agent)) == new_client != serial_of(client)
        assert serial_of(read_chain(agent, "serverAuth") or []) == new_server != serial_of(server)
        code, _, err = await aip("renew", "--identity", str(agent), *at)
        assert code == 1
        assert str(int(Code.RENEWAL_NOT_DUE)) in err
        code, out, err = await aip(
            "revoke", "--serial", str(new_server), "--reason", "keyCompromise", *as_operator,
            "--json",
        )
        assert code == 0, err
        assert json.loads(out)["reason"] == 1
        again = ("--serial", str(new_server), "--reason", "0")
        code, _, err = await aip("revoke", *again, *as_operator)
        assert code == 1
        assert str(int(Code.ALREADY_REVOKED)) in err
        code, out, err = await aip("revoke", "--reason", "0", "--identity", str(agent), *at)
        assert code == 0, err  # all it holds; the revoked serverAuth one is said to be so
        assert f"{new_server} already revoked" in out
        assert new_client in node.identity.ca.state.revoked
        code, _, err = await aip("call", "node.info", "--identity", str(agent), *at)
        assert code == 1
        assert str(int(Code.CERTIFICATE_REVOKED)) in err
        code, _, err = await aip(
            "enroll", "--aic", DEV_AIC, "--identity", str(tmp_path / "dev-agent"), *at,
            "--ca-fingerprint", node.identity.ca_fingerprint,
        )
        assert code == 1  # no token, no development mode [IDN-ENR-008]
        assert str(int(Code.INVALID_PARAMS)) in err


async def test_cli_dev_node_enrolls_without_a_token(tmp_path: Path) -> None:
    async with asyncio.timeout(6 * WAIT):
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "aip.cli", "node", "--dev", "--port", "0", "--json",
            "--data", str(tmp_path / "node"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=dict(os.environ),
        )
        try:
            assert proc.stdout is not None
            facts = json.loads(await proc.stdout.readline())
            at = ("--node", facts["url"], "--node-aic", facts["nodeAic"])
            agent = tmp_path / "agent"
            code, out, err = await aip(
                "enroll", "--aic", DEV_AIC, "--identity", str(agent), *at,
                "--ca-fingerprint", facts["caFingerprint"],
            )
            assert code == 0, err
            code, out, err = await aip("call", "node.info", "--identity", str(agent), *at)
            assert code == 0, err
            assert json.loads(out)["features"]["devEnrollment"] is True
        finally:
            proc.send_signal(signal.SIGINT)
            _, banner = await proc.communicate()
    assert proc.returncode == 0
    assert b"DEVELOPMENT MODE: any local agent is enrolled without a token" in banner


async def test_a_revoked_operator_gets_a_new_key_on_the_next_start(tmp_path: Path) -> None:
    """Revoking the operator's own certificate (say, for key compromise) does not lock the
    operator out: the next start issues a certificate over a fresh key."""
    data = tmp_path / "node"
    async with started(Node(data, port=0), WAIT) as node:
        before = load_operator(data)
        serial = serial_of(before)
        async with await session_of(node, before) as session:
            await revoke(session, serial, RevocationReason.KEY_COMPROMISE)
    async with started(Node(data, port=0), WAIT) as node:
        after = load_operator(data)
        assert serial_of(after) != serial
        assert after.key.verify_key != before.key.verify_key  # the old key is retired
        assert after.aic == before.aic
        async with await session_of(node, after) as session:  # the operator is back
            token = await session.call("atr.issueToken", {"aic": AIC})
            assert token["token"].startswith("aipt1.")
        assert await refused(session_of(node, before)) is Code.CERTIFICATE_REVOKED
