"""The README's walk-through, command by command, in real subprocesses: a node, two agents
enrolled with operator tokens, one serving, the other calling it with mutual authentication."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import orjson
import pytest

from aip.errors import Code
from tests.helpers import aip

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 30.0  # seconds: the whole walk-through, processes started one after another
ALICE = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
BOB = "1.2.156.3088.1.1.34C2.478BDF.1.0000"



async def _daemon(*args: str) -> tuple[asyncio.subprocess.Process, dict[str, str]]:
    """Start a long-running ``aip`` command with ``--json``; return it and its facts line."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aip.cli",
        *args,
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    assert line, f"aip {args[0]} exited before printing its facts"
    facts: dict[str, str] = orjson.loads(line)
    return proc, facts


async def _stop(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGTERM)
    await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode


async def test_two_agents_one_calls_the_other(tmp_path: Path) -> None:
    data = tmp_path / "node"
    async with asyncio.timeout(WAIT):
        node, facts = await _daemon("node", "--port", "0", "--data", str(data))
        serving = None
        try:
            url, node_aic, pin = facts["url"], facts["nodeAic"], facts["caFingerprint"]
            for aic, name in ((ALICE, "alice"), (BOB, "bob")):
                code, token, err = await aip(
                    "token", "--data", str(data), "--aic", aic, "--node", url
                )
                assert code == 0, err
                code, _, err = await aip(
                    "enroll",
                    "--node",
                    url,
                    "--token",
                    token.strip(),
                    "--aic",
                    aic,
                    "--identity",
                    str(tmp_path / name),
                    "--ca-fingerprint",
                    pin,
                    "--node-aic",
                    node_aic,
                )
                assert code == 0, err
            serving, bob = await _daemon(
                "serve", "--identity", str(tmp_path / "bob"), "--port", "0"
            )
            assert bob["aic"] == BOB
            alice_calls = ("--identity", str(tmp_path / "alice"), "--peer", bob["url"])
            # signed both ways: Bob saw Alice's proven AIC; Alice checked Bob's signed answer
            code, out, err = await aip(
                "call",
                "demo.echo",
                '{"text": "hello"}',
                "--signed",
                *alice_calls,
                "--peer-aic",
                BOB,
            )
            assert code == 0, err
            answer = orjson.loads(out)
            assert (answer["senderId"], answer["text"], answer["heardFrom"]) == (
                BOB,
                "hello",
                ALICE,
            )
            code, out, err = await aip("call", "demo.whoami", *alice_calls, "--peer-aic", BOB)
            assert code == 0, err
            assert orjson.loads(out) == {"you": ALICE, "me": BOB}
            # Alice expecting someone else at Bob's address refuses to talk [ARC-AUTH-002]
            code, _, err = await aip("call", "demo.whoami", *alice_calls, "--peer-aic", ALICE)
            assert code == 1
            assert str(int(Code.PEER_AIC_MISMATCH)) in err
        finally:
            if serving is not None:
                assert await _stop(serving) == 0
            assert await _stop(node) == 0
