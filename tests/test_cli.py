"""The ``aip`` command line: ``aip node`` in a real subprocess, usage errors, the plugin hook."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import orjson
import pytest
from websockets.asyncio.client import connect

from aip import cli
from aip.errors import Code
from tests.helpers import aip

WAIT = 10.0  # seconds: bound on process start-up, replies and exit

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1


async def _start(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aip.cli", "node", "--port", "0", *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )


async def _read_lines(proc: asyncio.subprocess.Process, count: int) -> list[str]:
    assert proc.stdout is not None
    lines = []
    for _ in range(count):
        line = await proc.stdout.readline()
        assert line, "aip node exited before printing its facts"
        lines.append(line.decode().rstrip("\n"))
    return lines


async def _node_info(url: str) -> dict[str, object]:
    async with connect(url, compression=None) as ws:
        await ws.send('{"jsonrpc":"2.0","method":"node.info","id":"cli"}')
        reply = orjson.loads(await ws.recv())
    assert reply["id"] == "cli"
    result: dict[str, object] = reply["result"]
    return result


async def _stop(proc: asyncio.subprocess.Process, sig: signal.Signals) -> tuple[int, bytes]:
    proc.send_signal(sig)
    _, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, err


async def test_node_prints_facts_serves_and_stops(tmp_path: Path) -> None:
    data = tmp_path / "node"
    async with asyncio.timeout(WAIT):
        proc = await _start("--data", str(data))
        try:
            lines = await _read_lines(proc, 4)
            keys = [line.split(": ", 1)[0] for line in lines]
            assert keys == ["node-aic", "domain", "ca-fingerprint", "url"]
            facts = dict(line.split(": ", 1) for line in lines)
            assert facts["url"].startswith("ws://127.0.0.1:")
            assert int(facts["url"].rsplit(":", 1)[1]) > 0  # the real port, not 0
            assert len(facts["ca-fingerprint"]) == 64
            int(facts["ca-fingerprint"], 16)
            info = await _node_info(facts["url"])
            assert info["nodeAic"] == facts["node-aic"]
            assert info["domain"] == facts["domain"] == "localhost"
        finally:
            code, err = await _stop(proc, signal.SIGINT)
    assert code == 0, err
    assert err == b""

    # A restart, with the data directory from the environment, JSON output and SIGTERM.
    async with asyncio.timeout(WAIT):
        proc = await _start("--json", env={"AIP_DATA_DIR": str(data)})
        try:
            (line,) = await _read_lines(proc, 1)
            again = json.loads(line)
            assert set(again) == {
                "nodeAic", "domain", "caFingerprint", "url", "auditLogKey", "witnessKey"
            }
            assert again["nodeAic"] == facts["node-aic"]
            assert again["caFingerprint"] == facts["ca-fingerprint"]
            assert (await _node_info(again["url"]))["nodeAic"] == facts["node-aic"]
        finally:
            code, err = await _stop(proc, signal.SIGTERM)
    assert code == 0, err


def _one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_port_in_use_is_one_line_and_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        assert cli.main(["node", "--port", port, "--data", str(tmp_path / "d")]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert _one_line(out.err).startswith("aip node: ")


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        ([], 2),
        (["nope"], 2),
        (["node", "--bogus"], 2),
        (["node", "--port", "x"], 2),
        (["node", "--port", "70000"], 1),
    ],
)
def test_usage_errors(argv: list[str], code: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == code
    assert _one_line(capsys.readouterr().err).startswith("aip")


def test_damaged_data_directory_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "node.json").write_text("{not json")
    assert cli.main(["node", "--port", "0", "--data", str(data)]) == 1
    assert "node.json" in _one_line(capsys.readouterr().err)


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "node" in out
    assert "conformance" in out  # registered from conformance/cli.py
    assert cli.main(["node", "--help"]) == 0
    assert "--data" in capsys.readouterr().out


def test_plugins_skip_only_missing_modules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli._load_plugin("aip_no_such_plugin.cli") is None
    assert cli._load_plugin("aip_no_such_plugin") is None
    (tmp_path / "aip_broken_plugin.py").write_text("import aip_missing_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as info:
        cli._load_plugin("aip_broken_plugin")
    assert info.value.name == "aip_missing_dependency_xyz"



async def test_operator_token_agent_enroll_and_call(tmp_path: Path) -> None:
    data = tmp_path / "node"
    agent_aic = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
    async with asyncio.timeout(3 * WAIT):
        proc = await _start("--data", str(data), "--json")
        try:
            (line,) = await _read_lines(proc, 1)
            facts = orjson.loads(line)
            url, node_aic = facts["url"], facts["nodeAic"]
            code, token, err = await aip(
                "token", "--data", str(data), "--node", url, "--aic", agent_aic
            )
            assert code == 0, err
            identity = tmp_path / "agent"
            code, out, err = await aip(
                "enroll", "--node", url, "--token", token.strip(), "--aic", agent_aic,
                "--identity", str(identity), "--ca-fingerprint", facts["caFingerprint"],
                "--node-aic", node_aic, "--json",
            )
            assert code == 0, err
            assert orjson.loads(out)["aic"] == agent_aic
            assert (identity / "agent.key").stat().st_mode & 0o077 == 0
            code, out, err = await aip(
                "call", "node.info", "--identity", str(identity), "--node", url,
                "--node-aic", node_aic,
            )
            assert code == 0, err
            assert orjson.loads(out)["nodeAic"] == node_aic
            # an agent is not the operator: no tokens for it [ARC-AUTH-001]
            code, out, err = await aip(
                "call", "atr.issueToken", '{"aic": "' + agent_aic + '"}', "--identity",
                str(identity), "--node", url, "--node-aic", node_aic,
            )
            assert code == 1
            assert str(int(Code.AUTHORIZATION_FAILED)) in err
            # the token was used: a second enrollment is refused with its code
            code, out, err = await aip(
                "enroll", "--node", url, "--token", token.strip(), "--aic", agent_aic,
                "--identity", str(tmp_path / "again"), "--ca-fingerprint", facts["caFingerprint"],
                "--node-aic", node_aic,
            )
            assert code == 1
            assert str(int(Code.ENROLLMENT_TOKEN_USED)) in err
        finally:
            code, err_bytes = await _stop(proc, signal.SIGINT)
    assert code == 0, err_bytes
