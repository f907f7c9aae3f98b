"""The node's audit desk over real loopback WebSockets: audit.* methods, records of node events,
witnessing between two nodes, and ``aip audit`` against a live node and a bundle."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aip.audit.checkpoint import (
    Checkpoint,
    cosign,
    cosigner,
    open_checkpoint,
    parse_checkpoint,
    require_cosignatures,
    sign_checkpoint,
)
from aip.audit.entries import check_opening
from aip.audit.merkle import decode_hash, leaf_hash, verify_inclusion
from aip.audit.note import NoteVerifier, add_signatures, parse_note, parse_vkey
from aip.client import AgentIdentity, connect
from aip.client.audit import AuditTrail
from aip.client.session import Session, open_session
from aip.codec import canonicalize, parse
from aip.errors import AipError, Code
from aip.identity.certificates import Usage, certificate_pem
from aip.identity.keys import SigningKey
from aip.node import Node
from aip.node.audit import AuditDesk
from aip.node.operator import load_operator
from tests.helpers import aip, audit_record, started
from tests.pki_helpers import AIC, make_ca
from tests.test_session_wire import AGENT_KEY, enrolled

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 10.0


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with started(Node(tmp_path / "node", port=0, audit_interval=60.0), WAIT) as running:
        yield running


async def _refused(call: Any) -> Code:
    with pytest.raises(AipError) as info:
        await call
    return info.value.code


async def _agent(node: Node) -> Session:
    identity = enrolled(node)
    node.data.save_ca_state()  # as enrollment would: the export reads keys from the CA state
    return await connect(node.url, identity, str(node.identity.aic))


async def test_an_agent_appends_its_record_and_proves_it_included(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        session = await _agent(node)
        async with session:
            aic = session.aic
            assert aic is not None
            record = audit_record(aic, AGENT_KEY)
            answer = await session.call("audit.append", {"record": record})
            await node.audit.checkpoint_now()
            checkpoint, _ = open_checkpoint(
                (await session.call("audit.checkpoint", {}))["checkpoint"],
                node.audit.log_verifier,
            )
            got = await session.call("audit.entry", {"index": answer["index"]})
            assert got["entry"] == record
            salt = base64.b64decode(got["salt"])
            committed = decode_hash(answer["commitment"])
            check_opening(salt, canonicalize(record), committed)
            proof = await session.call(
                "audit.inclusion", {"index": answer["index"], "size": checkpoint.size}
            )
            verify_inclusion(
                leaf_hash(committed),
                answer["index"],
                checkpoint.size,
                [decode_hash(h) for h in proof["proof"]],
                checkpoint.root,
            )


async def test_append_refusals(node: Node) -> None:
    stranger = SigningKey(b"\x55" * 32)
    async with asyncio.timeout(WAIT):
        session = await _agent(node)
        async with session:
            aic = session.aic
            assert aic is not None
            other_aic = str(node.identity.aic)
            unsigned = {k: v for k, v in audit_record(aic, AGENT_KEY).items() if k != "integrity"}
            cases = [
                ({"record": audit_record(other_aic, AGENT_KEY)}, Code.AUTHORIZATION_FAILED),
                ({"record": unsigned}, Code.INTEGRITY_MISSING),
                ({"record": audit_record(aic, stranger)}, Code.KEY_UNKNOWN),
                (
                    {"record": {**audit_record(aic, AGENT_KEY), "correlationId": "changed"}},
                    Code.SIGNATURE_INVALID,
                ),
                ({"record": {"aic": aic}}, Code.RECORD_INVALID),
                ({}, Code.INVALID_PARAMS),
            ]
            for params, code in cases:
                assert await _refused(session.call("audit.append", params)) is code
            assert await _refused(session.call("audit.erase", {"index": 0, "reason": "x"})) is (
                Code.AUTHORIZATION_FAILED  # the operator alone erases
            )
        # anonymous: proofs yes, entries and appends no
        anonymous = await open_session(node.url)
        async with anonymous:
            assert await _refused(anonymous.call("audit.entry", {"index": 0})) is (
                Code.AUTHENTICATION_REQUIRED
            )
            assert await _refused(anonymous.call("audit.append", {"record": {}})) is (
                Code.AUTHENTICATION_REQUIRED
            )
            assert await _refused(anonymous.call("audit.inclusion", {"index": 5, "size": 2})) is (
                Code.TREE_SIZE_INVALID
            )
            assert (
                await _refused(anonymous.call("audit.consistency", {"oldSize": True, "newSize": 1}))
                is Code.INVALID_PARAMS
            )


async def _records(node: Node) -> list[dict[str, Any]]:
    await node.audit.checkpoint_now()
    log = node.audit.log
    return [parse(log.entry(i).entry or b"null") for i in range(log.size)]


async def test_registration_and_authentication_events_are_recorded(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        async with await connect(
            node.url, load_operator(node.data_path), str(node.identity.aic)
        ) as operator:
            await operator.call(
                "atr.issueToken", {"aic": "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"}
            )
        bad = await open_session(node.url)
        async with bad:
            with pytest.raises(AipError):
                await bad.call(
                    "atr.enroll", {"token": "nope", "csr": "x", "usages": ["clientAuth"]}
                )
        foreign = make_ca(other=True)
        alien_cert = foreign.issue(AIC, AGENT_KEY.verify_key, Usage.CLIENT, datetime.now(UTC), 5)
        alien = AgentIdentity(
            AIC,
            AGENT_KEY,
            [certificate_pem(alien_cert).decode(), foreign.chain_pem().decode()],
            [node.identity.ca.root_certificate],
        )
        with pytest.raises(AipError) as refused:  # the node refuses a foreign CA's chain
            await connect(node.url, alien, str(node.identity.aic))
        assert refused.value.code is Code.CERTIFICATE_CHAIN_INVALID
        await asyncio.sleep(0)  # the refusal's record is appended by a task
        for _ in range(100):  # bounded: wait until the desk's tasks are done
            if not node.audit._tasks:
                break
            await asyncio.sleep(0.01)
    records = await _records(node)
    actions = [(r["body"]["action"]["name"], r["body"]["result"]["status"]) for r in records]
    assert ("token.issue", "success") in actions
    assert ("certificate.issue", "failure") in actions
    failed = [r for r in records if r["body"]["action"]["name"] == "session.authenticate"]
    assert [r["body"]["actor"]["id"] for r in failed] == [AIC]  # [AUD-EVT-003]
    assert failed[0]["body"]["result"]["errorCode"] == str(int(Code.CERTIFICATE_CHAIN_INVALID))
    text = json.dumps(records)
    assert "nope" not in text  # [AUD-EVT-002] the token never reaches the log
    for record in records:
        assert record["aic"] == str(node.identity.aic)
        assert record["integrity"]["kid"] == node.identity.key.verify_key.key_id()


async def test_a_peer_node_witnesses_the_log(tmp_path: Path) -> None:
    async with asyncio.timeout(30):
        first = Node(tmp_path / "a", port=0, audit_interval=60.0)
        async with started(first, WAIT):
            log_vkey = first.audit.log_verifier.vkey()
        witness = Node(tmp_path / "b", port=0, audit_interval=60.0, witness_logs=[log_vkey])
        async with started(witness, WAIT):
            cosigner_vkey = witness.audit.cosigner.vkey()
            log = Node(
                tmp_path / "a",
                port=0,
                audit_interval=60.0,
                witnesses=[f"{witness.url}={cosigner_vkey}"],
            )
            async with started(log, WAIT):
                for size in range(2):
                    log.audit.emit(
                        action="test.event",
                        kind="test",
                        actor={"id": "x", "type": "agent"},
                        target={"type": "t", "id": str(size)},
                        status="success",
                    )
                    for _ in range(100):
                        if not log.audit._tasks:
                            break
                        await asyncio.sleep(0.01)
                    note = await log.audit.checkpoint_now()
                    assert note is not None
                    checkpoint, opened = open_checkpoint(note, parse_vkey(log_vkey))
                    cosigners = require_cosignatures(
                        checkpoint, opened, [parse_vkey(cosigner_vkey)], 1
                    )
                    assert [c.name for c in cosigners] == [witness.audit.witness_as]
                state = tmp_path / "state.note"
                args = [
                    "audit",
                    "verify",
                    "--node",
                    log.url,
                    "--log-key",
                    log_vkey,
                    "--witness",
                    cosigner_vkey,
                    "--quorum",
                    "1",
                    "--state",
                    str(state),
                    "--full",
                    "--json",
                ]
                status, out, err = await aip(*args)
                assert status == 0, err
                assert json.loads(out)["cosigners"] == [witness.audit.witness_as]
                # a remembered checkpoint the live log does not extend: a fork or rollback
                forked = sign_checkpoint(
                    Checkpoint(checkpoint.origin, checkpoint.size, b"\x01" * 32),
                    checkpoint.origin,
                    log.identity.key,
                )
                state.write_text(forked, encoding="utf-8")
                status, _, err = await aip(*args)
                assert status == 1
                assert "CHECKPOINT_INCONSISTENT" in err
                # the witness refuses to cosign a fork of what it saw
                fork = sign_checkpoint(
                    Checkpoint(checkpoint.origin, checkpoint.size, b"\x02" * 32),
                    checkpoint.origin,
                    log.identity.key,
                )
                async with await open_session(witness.url) as peer:
                    refused = peer.call(
                        "audit.cosign",
                        {"checkpoint": fork, "oldSize": checkpoint.size, "proof": []},
                    )
                    assert await _refused(refused) is Code.CHECKPOINT_INCONSISTENT


async def test_export_and_verify_a_bundle(node: Node, tmp_path: Path) -> None:
    async with asyncio.timeout(WAIT):
        session = await _agent(node)
        async with session:
            assert session.aic is not None
            for n in range(3):
                await session.call(
                    "audit.append", {"record": audit_record(session.aic, AGENT_KEY, n)}
                )
        await node.audit.checkpoint_now()
    bundle_file = tmp_path / "bundle.json"
    status, _, err = await aip(
        "audit", "export", "--data", str(node.data_path), "--out", str(bundle_file)
    )
    assert status == 0, err
    vkey = node.audit.log_verifier.vkey()
    status, out, err = await aip(
        "audit", "verify", "--bundle", str(bundle_file), "--log-key", vkey, "--json"
    )
    assert status == 0, err
    assert json.loads(out)["entries"] >= 3
    bundle = json.loads(bundle_file.read_text())
    witness_key = SigningKey(b"\x31" * 32)
    witness = cosigner("witness.test/w", witness_key.verify_key)
    latest_note = bundle["checkpoints"][-1]
    latest = parse_checkpoint(parse_note(latest_note).text)
    cosigned = add_signatures(latest_note, [cosign(latest, "witness.test/w", witness_key, 5)])
    ok = {**bundle, "checkpoints": [*bundle["checkpoints"][:-1], cosigned]}
    witness_args = ("--witness", witness.vkey(), "--quorum", "1")
    assert await _verify(tmp_path, ok, vkey, *witness_args) == (0, "")

    changed_entry = dict(bundle["entries"][-1])
    changed_entry["entry"] = base64.b64encode(
        base64.b64decode(changed_entry["entry"]).replace(b"task-2", b"task-9")
    ).decode()
    forked = sign_checkpoint(
        Checkpoint(latest.origin, latest.size, b"\x05" * 32), latest.origin, node.identity.key
    )
    bad_cosignature = cosigned[:-6] + ("A" if cosigned[-6] != "A" else "B") + cosigned[-5:]
    cases = [  # each tamper, caught with its own reason
        ({**bundle, "entries": [*bundle["entries"][:-1], changed_entry]}, (), "ENTRY_MISMATCH"),
        ({**bundle, "leaves": bundle["leaves"][:-1]}, (), "TREE_SIZE_INVALID"),
        (
            {**bundle, "checkpoints": [*bundle["checkpoints"][:-1], forked]},
            (),
            "CHECKPOINT_INCONSISTENT",
        ),
        (
            {**bundle, "checkpoints": [*bundle["checkpoints"][:-1], bad_cosignature]},
            witness_args,
            "NOTE_SIGNATURE_INVALID",
        ),
        (bundle, witness_args, "COSIGNATURE_MISSING"),
    ]
    for tampered, args, reason in cases:
        assert await _verify(tmp_path, tampered, vkey, *args) == (1, reason)


async def _verify(tmp_path: Path, bundle: dict[str, Any], vkey: str, *args: str) -> tuple[int, str]:
    """Run ``aip audit verify --bundle`` on ``bundle``: (exit status, the code name it gave)."""
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(bundle))
    status, _, err = await aip("audit", "verify", "--bundle", str(path), "--log-key", vkey, *args)
    return status, err.split(":")[1].split()[0] if status else ""


async def test_a_flood_of_refused_handshakes_is_counted_not_logged(tmp_path: Path) -> None:
    # [AUD-EVT-003] a bounded number of records per second; the rest counted in the next one
    now = [datetime(2026, 11, 22, 12, 0, tzinfo=UTC)]
    desk = await AuditDesk.open(
        tmp_path / "audit.sqlite3",
        domain="example.test",
        aic=AIC,
        key=AGENT_KEY,
        operator=AIC,
        interval=60.0,
        clock=lambda: now[0],
    )
    try:
        for _ in range(50):
            desk.authentication_failed(int(Code.CERTIFICATE_CHAIN_INVALID), AIC)
        now[0] += timedelta(seconds=1)
        desk.authentication_failed(int(Code.CERTIFICATE_EXPIRED), "")
        for _ in range(200):  # bounded: until the desk's appends are done
            if not desk._tasks:
                break
            await asyncio.sleep(0.01)
        log = desk.log
        records = [parse(log.entry(i).entry or b"null") for i in range(log.size)]
    finally:
        await desk.close()
    assert len(records) == 21  # the burst of 20, then one a second later
    last = records[-1]
    assert last["attributes"] == {"suppressed": 30}
    assert last["body"]["actor"]["id"] == "unknown"  # an empty claim is not recorded as given


async def test_the_sdk_records_and_proves_an_agents_record(node: Node) -> None:
    identity = enrolled(node)
    async with asyncio.timeout(WAIT):
        session = await connect(node.url, identity, str(node.identity.aic))
        async with session:
            trail = AuditTrail(session, identity, log_key=node.audit.log_verifier.vkey())
            receipt = await trail.record(
                action="task.complete", kind="interaction", target={"type": "task", "id": "t-1"}
            )
            with pytest.raises(AipError) as early:  # not in a checkpoint yet
                await trail.prove(receipt)
            assert early.value.code is Code.TREE_SIZE_INVALID
            await node.audit.checkpoint_now()
            checkpoint = await trail.prove(receipt)
            assert checkpoint.size > receipt.index
            # unpinned, the node's published key; pinned to another key, nothing verifies
            assert (await AuditTrail(session, identity).prove(receipt)).root == checkpoint.root
            other = NoteVerifier.from_key(
                node.audit.log.origin, SigningKey(b"\x66" * 32).verify_key
            )
            with pytest.raises(AipError) as wrong:
                await AuditTrail(session, identity, log_key=other.vkey()).prove(receipt)
            assert wrong.value.code is Code.NOTE_SIGNATURE_INVALID


async def test_a_witness_ignores_logs_it_does_not_follow(node: Node) -> None:
    stranger = SigningKey(b"\x24" * 32)
    async with asyncio.timeout(WAIT):
        async with await open_session(node.url) as peer:
            for n in range(3):  # any origin a stranger makes up
                origin = f"stranger.test/log-{n}"
                note = sign_checkpoint(Checkpoint(origin, 1, b"\x03" * 32), origin, stranger)
                refused = peer.call("audit.cosign", {"checkpoint": note, "oldSize": 0})
                assert await _refused(refused) is Code.LOG_UNKNOWN
    assert node.audit._origin_locks == {}  # [AUD-WIT-001] no state kept for strangers
