"""Kill -9 of a node in the middle of a burst of appends (spec Part 11 [AUD-LOG-005]): after
a restart every acknowledged entry is present, opens its commitment and is included in a
checkpoint, and the whole log still verifies as a bundle."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from aip.audit.checkpoint import open_checkpoint
from aip.audit.entries import check_opening
from aip.audit.merkle import decode_hash, leaf_hash, verify_inclusion
from aip.audit.note import parse_vkey
from aip.client import connect, enroll
from aip.client.session import Session
from aip.codec import canonicalize
from aip.errors import AipError
from aip.identity.keys import SigningKey
from aip.transport.link import ConnectionLost
from tests.helpers import aip, audit_record

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1, a node in a subprocess
KEY = SigningKey(b"\x42" * 32)
DEV_AIC = "1.2.156.3088.1.1.7K.9Q.5.0000"  # registry 1, as the node's
WRITERS = 8
ACKED_BEFORE_KILL = 120


async def _start(data: Path) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aip.cli",
        "node",
        "--port",
        "0",
        "--json",
        "--dev",
        "--data",
        str(data),
        "--checkpoint-interval",
        "0.1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    async with asyncio.timeout(30):
        line = await proc.stdout.readline()
    return proc, json.loads(line)


async def _burst(
    session: Session, acked: dict[int, tuple[dict[str, Any], dict[str, Any]]], enough: asyncio.Event
) -> None:
    async def writer(w: int) -> None:
        for n in range(w * 100_000, w * 100_000 + 5_000):  # bounded; the kill ends it sooner
            record = audit_record(DEV_AIC, KEY, n)
            try:
                answer = await session.call("audit.append", {"record": record}, timeout=10)
            except (ConnectionLost, AipError, TimeoutError):
                return
            acked[answer["index"]] = (record, answer)  # acknowledged: must survive
            if len(acked) >= ACKED_BEFORE_KILL:
                enough.set()

    await asyncio.gather(*(writer(w) for w in range(WRITERS)))


async def test_kill_9_mid_burst_loses_no_acknowledged_entry(tmp_path: Path) -> None:
    data = tmp_path / "node"
    proc, facts = await _start(data)
    try:
        async with asyncio.timeout(60):
            done = await enroll(
                facts["url"],
                None,
                DEV_AIC,
                KEY,
                node_aic=facts["nodeAic"],
                ca_fingerprint=facts["caFingerprint"],
            )
            session = await connect(facts["url"], done.identity, facts["nodeAic"])
            acked: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
            enough = asyncio.Event()
            burst = asyncio.create_task(_burst(session, acked, enough))
            await enough.wait()
            proc.kill()  # SIGKILL while the writers are still appending
            await proc.wait()
            await burst
            await session.close()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert len(acked) >= ACKED_BEFORE_KILL

    proc, facts = await _start(data)
    try:
        async with asyncio.timeout(60):
            session = await connect(facts["url"], done.identity, facts["nodeAic"])
            async with session:
                log_key = parse_vkey(facts["auditLogKey"])
                wanted = max(acked) + 1
                while True:  # bounded by the timeout: the restarted node checkpoints every 0.1 s
                    note = (await session.call("audit.checkpoint", {}))["checkpoint"]
                    checkpoint, _ = open_checkpoint(note, log_key)
                    if checkpoint.size >= wanted:
                        break
                    await asyncio.sleep(0.05)
                for index, (record, answer) in sorted(acked.items()):
                    got = await session.call("audit.entry", {"index": index})
                    assert got["entry"] == record
                    committed = decode_hash(answer["commitment"])
                    check_opening(base64.b64decode(got["salt"]), canonicalize(record), committed)
                    proof = await session.call(
                        "audit.inclusion", {"index": index, "size": checkpoint.size}
                    )
                    verify_inclusion(
                        leaf_hash(committed),
                        index,
                        checkpoint.size,
                        [decode_hash(h) for h in proof["proof"]],
                        checkpoint.root,
                    )
    finally:
        proc.terminate()
        async with asyncio.timeout(30):
            await proc.wait()
    bundle = tmp_path / "bundle.json"
    status, _, err = await aip("audit", "export", "--data", str(data), "--out", str(bundle))
    assert status == 0, err
    status, _, err = await aip(
        "audit", "verify", "--bundle", str(bundle), "--log-key", facts["auditLogKey"]
    )
    assert status == 0, err
