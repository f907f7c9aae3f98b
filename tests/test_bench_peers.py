"""The pure parts of bench/peers.py: request bytes, response parsing, result checks (no network)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from bench.peers import Kind, Peer, body_factory, check_result, parse_head, request_factory

UVICORN_HEAD = (b"HTTP/1.1 200 OK\r\ndate: Sat, 21 Nov 2026 23:44:13 GMT\r\nserver: uvicorn\r\n"
                b"content-length: 196\r\ncontent-type: application/json\r\n\r\n")
A2A_OK: dict[str, Any] = {"result": {"message": {"messageId": "x", "role": "ROLE_AGENT",
                                                  "parts": [{"text": "hello"}]}},
                          "id": 1, "jsonrpc": "2.0"}
ACPS_OK: dict[str, Any] = {
    "jsonrpc": "2.0", "id": 1, "error": None,
    "result": {"type": "task-result", "taskId": "task-1",
               "status": {"state": "awaiting-completion", "dataItems": []},
               "products": [{"id": "p", "name": "echo",
                             "dataItems": [{"type": "text", "text": "hello"}]}]},
}


def test_parse_head_reads_status_and_length() -> None:
    assert parse_head(UVICORN_HEAD) == (200, 196)
    assert parse_head(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n") == (404, 9)


@pytest.mark.parametrize("head", [
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nserver: x\r\n\r\n",
    b"garbage\r\ncontent-length: 3\r\n\r\n",
])
def test_parse_head_rejects_what_the_client_cannot_read(head: bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - every case has its own message
        parse_head(head)


@pytest.mark.parametrize("kind", ["acps", "a2a"])
def test_request_bytes_are_well_formed_with_fresh_ids(kind: Kind) -> None:
    peer = Peer(kind, "127.0.0.1", 8000, "/rpc", body_factory(kind),
                (("A2A-Version", "1.0"),) if kind == "a2a" else ())
    make = request_factory(peer)
    requests = [make() for _ in range(1000)]
    ids = set()
    for raw in requests:
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"POST /rpc HTTP/1.1"
        assert f"Content-Length: {len(body)}".encode() in lines
        assert (b"A2A-Version: 1.0" in lines) == (kind == "a2a")
        message = orjson.loads(body)
        assert message["jsonrpc"] == "2.0"
        if kind == "acps":
            command = message["params"]["command"]
            assert (message["method"], command["command"]) == ("rpc", "start")
            assert command["dataItems"] == [{"type": "text", "text": "hello"}]
            ids.add(command["taskId"])
        else:
            assert message["method"] == "SendMessage"
            ids.add(message["params"]["message"]["messageId"])
    assert len(ids) == 1000
    other = orjson.loads(body_factory(kind)())  # a second run against the same server
    other_id = (other["params"]["command"]["taskId"] if kind == "acps"
                else other["params"]["message"]["messageId"])
    assert other_id not in ids


def test_check_result_accepts_the_echo_replies() -> None:
    check_result("acps", orjson.dumps(ACPS_OK))
    check_result("a2a", orjson.dumps(A2A_OK))


def test_check_result_rejects_errors_and_wrong_shapes() -> None:
    version_error = {"error": {"code": -32009, "message": "A2A version '0.3' is not supported"},
                     "id": 1, "jsonrpc": "2.0"}  # what a2a answers, with HTTP 200, sans header
    rejected = orjson.loads(orjson.dumps(ACPS_OK))
    rejected["result"]["status"]["state"] = "rejected"
    wrong_echo = orjson.loads(orjson.dumps(A2A_OK))
    wrong_echo["result"]["message"]["parts"][0]["text"] = "bye"
    cases: list[tuple[Kind, object]] = [
        ("a2a", version_error), ("acps", rejected), ("a2a", wrong_echo), ("acps", A2A_OK),
        ("a2a", [1, 2]), ("a2a", {**A2A_OK, "jsonrpc": "1"}),
        ("a2a", {**A2A_OK, "error": version_error["error"]}),  # a result does not excuse an error
    ]
    for kind, reply in cases:
        with pytest.raises(ValueError, match="not the expected JSON-RPC result"):
            check_result(kind, orjson.dumps(reply))
