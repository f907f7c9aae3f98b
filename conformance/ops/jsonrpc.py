"""Vector operations for the JSON-RPC 2.0 profile of the WebSocket binding (spec Part 1 §1.5).

``jsonrpc.decode`` classifies one received frame as the receiver must; ``jsonrpc.error_object``
builds the error object for a registered code.  The same cases will later be sent to a live
node over the wire by the remote runner.
"""

from __future__ import annotations

from typing import Any

from aip import jsonrpc

__all__ = ["OPERATIONS"]


def decode(data: dict[str, Any]) -> dict[str, Any]:
    """Classify ``text`` (or ``bytes_hex``): kind, id, method, and the error code if refused."""
    raw: bytes | str = bytes.fromhex(data["bytes_hex"]) if "bytes_hex" in data else data["text"]
    frame = jsonrpc.decode_frame(raw)
    if isinstance(frame, jsonrpc.ErrorReply):
        return {
            "kind": "error_reply",
            "id": frame.id,
            "code": frame.code,
            "parent": (frame.error.get("data") or {}).get("parent"),
        }
    if isinstance(frame, jsonrpc.Request):
        return {"kind": "request", "id": frame.id, "method": frame.method}
    if isinstance(frame, jsonrpc.Notification):
        return {"kind": "notification", "method": frame.method}
    return {
        "kind": "response",
        "id": frame.id,
        "code": None if frame.error is None else frame.error["code"],
    }


def error_object(data: dict[str, Any]) -> dict[str, Any]:
    """The error object for ``code`` and ``message`` (``data`` optional)."""
    return {"error": jsonrpc.error_object(data["code"], data["message"], data.get("data"))}


OPERATIONS = {"jsonrpc.decode": decode, "jsonrpc.error_object": error_object}
