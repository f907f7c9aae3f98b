"""The node: its data directory, and its WebSocket server over a real loopback socket."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import os
import socket
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from aip import spec_dir
from aip._files import write_atomic
from aip.errors import Code
from aip.identity.certificates import Usage, certificate_der, load_certificates
from aip.identity.chain import validate_chain
from aip.identity.keyfile import signing_key_from_pem
from aip.models import NodeInfo
from aip.node import DataDir, DataDirError, Node, NodeLimits
from tests.helpers import started

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 5.0  # seconds: the bound on every network wait

# --- data directory -----------------------------------------------------------------------------


def test_second_start_loads_the_same_identity(tmp_path: Path) -> None:
    with DataDir.open(tmp_path / "d") as first:
        assert first.created
        aic, fingerprint = str(first.identity.aic), first.identity.ca_fingerprint
        cert_der = certificate_der(first.identity.certificate)
        key_raw = first.identity.key.verify_key.raw
    with DataDir.open(tmp_path / "d") as second:
        assert not second.created
        assert str(second.identity.aic) == aic
        assert second.identity.ca_fingerprint == fingerprint
        assert certificate_der(second.identity.certificate) == cert_der
        assert second.identity.key.verify_key.raw == key_raw
    root_der = certificate_der(second.identity.ca.root_certificate)
    assert fingerprint == hashlib.sha256(root_der).hexdigest()
    assert aic.startswith("1.2.156.3088.1.1.1.1.1.")


def test_layout_modes_and_database(tmp_path: Path) -> None:
    root = tmp_path / "d"
    with DataDir.open(root) as data:
        files = DataDir.paths(root)
        for role in ("ca_bundle", "ca_state", "node_key", "salt"):
            assert files[role].stat().st_mode & 0o777 == 0o600, role
        assert root.stat().st_mode & 0o777 == 0o700
        key = signing_key_from_pem(files["node_key"].read_bytes())
        assert key.verify_key == data.identity.key.verify_key
        assert b"BEGIN PRIVATE KEY" in files["node_key"].read_bytes()  # PKCS#8
        assert len(bytes.fromhex(files["salt"].read_text())) == 16
        config = json.loads(files["config"].read_text())
        assert config["nodeAic"] == str(data.identity.aic)
        db = data.database
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        assert meta == {"schema_version": "1", "node_aic": str(data.identity.aic)}
    assert not list(root.rglob("*.tmp"))


def test_directory_is_locked_while_open(tmp_path: Path) -> None:
    with DataDir.open(tmp_path / "d"), pytest.raises(DataDirError, match="in use"):
        DataDir.open(tmp_path / "d")
    DataDir.open(tmp_path / "d").close()  # released


def test_missing_config_never_overwrites_keys(tmp_path: Path) -> None:
    root = tmp_path / "d"
    DataDir.open(root).close()
    files = DataDir.paths(root)
    old_bundle = files["ca_bundle"].read_bytes()
    files["config"].unlink()  # a crash before node.json was written, or a careless rm
    with pytest.raises(DataDirError, match=r"node\.json"):
        DataDir.open(root)
    assert files["ca_bundle"].read_bytes() == old_bundle


def test_first_start_in_an_existing_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "d" / "ca").mkdir(parents=True)
    with DataDir.open(tmp_path / "d") as data:
        assert data.created


@pytest.mark.parametrize("damage", ["missing_key", "open_key", "bad_key", "bad_salt", "domain"])
def test_damaged_directory_is_refused(tmp_path: Path, damage: str) -> None:
    root = tmp_path / "d"
    DataDir.open(root).close()
    files = DataDir.paths(root)
    domain = None
    if damage == "missing_key":
        files["node_key"].unlink()
    elif damage == "open_key":
        files["node_key"].chmod(0o644)
    elif damage == "bad_key":
        files["node_key"].write_bytes(b"not a key")
    elif damage == "bad_salt":
        files["salt"].write_text("00" * 16)  # the AIC checksum no longer matches
    else:
        domain = "other.example"
    with pytest.raises(DataDirError):
        DataDir.open(root, domain=domain)


def test_node_certificate_is_reissued_when_due(tmp_path: Path) -> None:
    start = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    with DataDir.open(tmp_path / "d", now=start) as first:
        old = first.identity
    later = start + timedelta(days=40)  # inside the 30-day renewal window of a 49-day cert
    with DataDir.open(tmp_path / "d", now=later) as second:
        new = second.identity
    assert new.certificate.serial_number != old.certificate.serial_number
    assert (new.aic, new.ca_fingerprint) == (old.aic, old.ca_fingerprint)
    assert new.key.verify_key == old.key.verify_key
    leaf, inter = load_certificates(new.certificate_chain_pem)
    agent = validate_chain(
        leaf, [inter], [new.trust_bundle_pem], now=later + timedelta(days=20), usage=Usage.SERVER
    )
    assert agent.aic == str(new.aic)
    with DataDir.open(tmp_path / "d", now=later) as third:  # loaded unchanged
        assert third.identity.certificate.serial_number == new.certificate.serial_number


def test_write_atomic_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "f"
    write_atomic(target, b"old", 0o600)
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes", 0o600)  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f"]


# --- the server over a real socket ---------------------------------------------------------------


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with started(Node(tmp_path / "node", port=0), WAIT) as running:
        yield running


async def _call(ws: ClientConnection, frame: bytes | str) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        await ws.send(frame, text=True)
        reply: dict[str, Any] = orjson.loads(await ws.recv(decode=False))
    return reply


INFO = b'{"jsonrpc":"2.0","method":"node.info","id":1}'


async def test_node_info(node: Node) -> None:
    async with asyncio.timeout(WAIT), connect(node.url, compression=None) as ws:
        reply = await _call(ws, INFO)
    assert reply["id"] == 1
    info = reply["result"]
    assert info["protocol"] == "aip"
    assert info["protocolVersion"] == "0.1"
    assert info["implementation"]["name"] == "aip"
    assert info["nodeAic"] == str(node.identity.aic)
    assert info["domain"] == "localhost"
    assert info["limits"] == {
        "maxFrameBytes": 1048576,
        "maxNestingDepth": 128,
        "maxConnections": 1024,
        "requestsPerSecond": 200.0,
        "requestBurst": 400,
        "idleTimeoutSeconds": 300.0,
        "handshakeTimeoutSeconds": 10.0,
    }
    assert info["methods"] == [
        "adp.discover",
        "atr.act", "atr.derive", "atr.enroll", "atr.heartbeat", "atr.issueToken", "atr.list",
        "atr.lookup", "atr.register", "atr.renew", "atr.revocationList", "atr.revoke", "atr.status",
        "audit.append", "audit.checkpoint", "audit.consistency", "audit.cosign", "audit.entry",
        "audit.erase", "audit.inclusion", "audit.leaves",
        "dsp.changes", "dsp.chunk", "dsp.info", "dsp.snapshot",
        "node.authenticate", "node.hello", "node.info", "node.ping",
    ]
    assert info["features"] == {
        "devEnrollment": False, "auditLog": True, "witness": False, "discovery": True,
        "sync": True, "liveness": False, "federation": False,
    }
    assert info["liveness"] == {"staleAfterSeconds": 0.0}  # off by default [DSC-LIV-007]
    assert info["federation"] == {"peers": []}  # no peers configured [DSC-FWD-028]
    assert info["audit"]["origin"] == f"localhost/aip-log/{info['nodeAic']}"
    schema = json.loads((spec_dir() / "schema" / "node-info.schema.json").read_text())
    jsonschema.validate(info, schema)  # the published schema describes what the node sends
    assert NodeInfo.model_validate(info).nodeAic == info["nodeAic"]
    (root,) = load_certificates(info["trustBundle"][0])
    assert hashlib.sha256(certificate_der(root)).hexdigest() == node.identity.ca_fingerprint
    leaf, inter = load_certificates(info["nodeCertificate"])
    agent = validate_chain(
        leaf, [inter], info["trustBundle"], now=datetime.now(UTC), usage=Usage.SERVER
    )
    assert agent.aic == info["nodeAic"]


GARBAGE: list[tuple[bytes, int, object]] = [
    (b'{"jsonrpc":"2.0","jsonrpc":"2.0","method":"node.info","id":1}', Code.DUPLICATE_KEY, None),
    (b'{"jsonrpc":"2.0","method":"m","id":9007199254740993}', Code.INTEGER_OUT_OF_RANGE, None),
    (b"[" * 129 + b"]" * 129, Code.NESTING_TOO_DEEP, None),
    (b'{"jsonrpc":"2.0","method":"x","id":"\\udc00"}', Code.LONE_SURROGATE, None),
    (b'{"jsonrpc":"2.0","method":"x","params":[1e999],"id":2}', Code.NON_FINITE_NUMBER, None),
    (b"{nope", Code.PARSE_ERROR, None),
    (b"", Code.PARSE_ERROR, None),
    (b'{"jsonrpc":"1.0","method":"node.info","id":3}', Code.INVALID_REQUEST, 3),
    (b'{"method":"node.info","id":4}', Code.INVALID_REQUEST, 4),
    (b'[{"jsonrpc":"2.0","method":"node.info","id":5}]', Code.INVALID_REQUEST, None),
    (b"[]", Code.INVALID_REQUEST, None),
    (b"42", Code.INVALID_REQUEST, None),
    (b'{"jsonrpc":"2.0","method":"node.info","id":6,"x":1}', Code.INVALID_REQUEST, 6),
    (b'{"jsonrpc":"2.0","method":"node.info","id":[7]}', Code.INVALID_REQUEST, None),
    # before session authentication only node.info is served [ARC-AUTH-001]
    (b'{"jsonrpc":"2.0","method":"no.such","id":8}', Code.AUTHENTICATION_REQUIRED, 8),
    (b'{"jsonrpc":"2.0","method":"aip.rpc","id":"9"}', Code.AUTHENTICATION_REQUIRED, "9"),
    (b'{"jsonrpc":"2.0","method":"atr.enroll","id":"e"}', Code.INVALID_PARAMS, "e"),
    (b'{"jsonrpc":"2.0","method":"node.info","params":{"x":1},"id":10}', Code.INVALID_PARAMS, 10),
    (b'{"jsonrpc":"2.0","method":"node.info","params":[],"id":11}', Code.INVALID_PARAMS, 11),
]


async def test_garbage_gets_error_replies_and_the_connection_survives(node: Node) -> None:
    async with asyncio.timeout(WAIT), connect(node.url, compression=None) as ws:
        for frame, code, reply_id in GARBAGE:
            reply = await _call(ws, frame)
            assert reply["error"]["code"] == code, frame
            assert reply["id"] == reply_id, frame
            assert set(reply) == {"jsonrpc", "error", "id"}
            if code <= -33000:  # aip-ri codes carry their parent [ARC-RPC-006]
                assert reply["error"]["data"]["parent"] == Code.PARSE_ERROR
        # Notifications and stray responses are never answered: the next reply is for id 1.
        await ws.send('{"jsonrpc":"2.0","method":"node.info"}')
        await ws.send('{"jsonrpc":"2.0","method":"no.such"}')
        await ws.send('{"jsonrpc":"2.0","result":{},"id":77}')
        reply = await _call(ws, INFO)
        assert reply["id"] == 1
        assert reply["result"]["nodeAic"] == str(node.identity.aic)


@pytest.mark.parametrize(
    ("payload", "text", "close_code"),
    [
        (b'{"jsonrpc":"2.0","method":"node.info","id":1}', False, 1003),  # binary [ARC-WS-001]
        (b'{"jsonrpc":"2.0","method":"\xff","id":1}', True, 1007),  # bad UTF-8, RFC 6455 §8.1
        (b"[" + b" " * 1_048_576 + b"]", True, 1009),  # over maxFrameBytes [ARC-LIM-001]
    ],
)
async def test_fatal_frames_close_the_connection_and_the_node_lives_on(
    node: Node, payload: bytes, text: bool, close_code: int
) -> None:
    async with asyncio.timeout(WAIT), connect(node.url, compression=None, max_size=None) as ws:
        await ws.send(payload, text=text)
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == close_code
    async with asyncio.timeout(WAIT), connect(node.url) as again:
        assert (await _call(again, INFO))["id"] == 1


async def test_handler_bug_answers_internal_error(node: Node) -> None:
    def broken(params: dict[str, Any], caller: Any) -> Any:
        raise RuntimeError("bug")

    working = node._methods["node.info"]
    node._methods["node.info"] = broken
    async with asyncio.timeout(WAIT), connect(node.url) as ws:
        reply = await _call(ws, b'{"jsonrpc":"2.0","method":"node.info","id":"b"}')
        assert (reply["error"]["code"], reply["id"]) == (Code.INTERNAL_ERROR, "b")
        node._methods["node.info"] = working
        assert (await _call(ws, INFO))["id"] == 1


async def test_port_in_use_fails_cleanly(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        node = Node(tmp_path / "d", port=busy.getsockname()[1])
        with pytest.raises(OSError, match=r"(?i)address already in use") as info:
            await node.start()
        assert info.value.errno == errno.EADDRINUSE
    DataDir.open(tmp_path / "d").close()  # the data directory was released


async def test_custom_limits_are_published_and_enforced(tmp_path: Path) -> None:
    limits = NodeLimits(max_frame_bytes=256)
    node = Node(tmp_path / "d", port=0, limits=limits)
    async with asyncio.timeout(WAIT), node, connect(node.url) as ws:
        info = (await _call(ws, INFO))["result"]
        assert info["limits"]["maxFrameBytes"] == 256
        await ws.send('{"jsonrpc":"2.0","method":"node.info","id":"' + "x" * 300 + '"}')
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1009


def test_database_is_usable_after_open(tmp_path: Path) -> None:
    with DataDir.open(tmp_path / "d") as data:
        data.database.execute("CREATE TABLE t (x INTEGER)")
    db = sqlite3.connect(tmp_path / "d" / "node.sqlite3")
    try:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 't'").fetchone() == ("t",)
    finally:
        db.close()


async def test_request_rate_is_limited_and_the_connection_kept(tmp_path: Path) -> None:
    limits = NodeLimits(requests_per_second=1.0, request_burst=3)  # [ARC-LIM-002]
    node = Node(tmp_path / "d", port=0, limits=limits)
    async with asyncio.timeout(WAIT), node, connect(node.url) as ws:
        replies = [await _call(ws, INFO) for _ in range(4)]
        assert all("result" in r for r in replies[:3])
        error = replies[3]["error"]
        assert error["code"] == Code.CALLER_RATE_LIMITED
        assert 0 < error["data"]["retryAfterMs"] <= 1000
        assert ws.close_code is None  # still open


async def test_connection_cap(tmp_path: Path) -> None:
    node = Node(tmp_path / "d", port=0, limits=NodeLimits(max_connections=1))
    async with asyncio.timeout(WAIT), node, connect(node.url) as first:
        assert "result" in await _call(first, INFO)
        async with connect(node.url) as second:
            with pytest.raises(ConnectionClosed):
                await second.recv()
            assert second.close_code == 1013  # try again later [ARC-LIM-001]
        assert "result" in await _call(first, INFO)  # the first one is unharmed


async def test_idle_connection_is_closed(tmp_path: Path) -> None:
    limits = NodeLimits(idle_timeout_seconds=0.3, handshake_timeout_seconds=30)
    node = Node(tmp_path / "d", port=0, limits=limits)
    async with asyncio.timeout(WAIT), node, connect(node.url) as ws:
        assert "result" in await _call(ws, INFO)
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1001
