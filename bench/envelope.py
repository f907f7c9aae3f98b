"""Envelope pipeline vs the bare Ed25519 ceiling, measured in the same run.

pipeline = sender (RFC 8785 canonicalise + sign + encode) and receiver (strict parse +
canonicalise + verify) for a ~500-byte signed JSON-RPC envelope;
bare = Ed25519 sign + verify of the same canonical bytes with the same library (PyNaCl).
Rounds alternate between the two so that machine noise hits both alike; medians are reported.

Run: ``python -m bench.envelope`` (or ``python -m bench`` for every bench).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from aip import codec
from aip.identity.keys import SigningKey
from aip.integrity import sign_object, verify_received

KEY = SigningKey(bytes(range(32)))
ENVELOPE: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": "01JD3Q8ZK6Y1W4M2B7N9P0R5ST",
    "method": "aip.rpc",
    "params": {
        "command": {
            "id": "msg-7f3a9c21",
            "type": "task-command",
            "senderId": "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4",
            "senderRole": "leader",
            "sentAt": "2026-11-21T10:00:00.000Z",
            "command": "start",
            "taskId": "task-0001",
            "sessionId": "session-42",
            "dataItems": [{"type": "text", "text": "Find a quiet vegetarian restaurant near "
                           "the Forbidden City for two people tonight at seven."}],
            "commandParams": {"priority": 2, "deadlineSeconds": 300},
        }
    },
}


def _rate(fn: Callable[[], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        count += 50
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main(rounds: int = 7, seconds: float = 0.4) -> dict[str, float]:
    """Measure and print; returns the medians (ops/s) and the ratio."""
    message = codec.canonicalize(ENVELOPE)
    signature = KEY.sign(message)
    verify_key = KEY.verify_key

    def bare() -> None:
        KEY.sign(message)
        verify_key.verify(signature, message)

    wire = codec.dumps(sign_object(ENVELOPE, KEY))

    def pipeline() -> None:
        codec.dumps(sign_object(ENVELOPE, KEY))
        verify_received(wire, verify_key)

    openssl = Ed25519PrivateKey.from_private_bytes(KEY.seed)
    openssl_pub = openssl.public_key()
    openssl_sig = openssl.sign(message)

    def bare_openssl() -> None:
        openssl.sign(message)
        openssl_pub.verify(openssl_sig, message)

    bare_rates, pipe_rates, ossl_rates = [], [], []
    for _ in range(rounds):
        bare_rates.append(_rate(bare, seconds))
        pipe_rates.append(_rate(pipeline, seconds))
        ossl_rates.append(_rate(bare_openssl, seconds))
    b, p, o = (statistics.median(x) for x in (bare_rates, pipe_rates, ossl_rates))
    print(f"envelope: {len(wire)} bytes on the wire, {len(message)} canonical bytes signed")
    print(f"bare Ed25519 sign+verify (PyNaCl):       {b:9.0f} /s")
    print(f"bare Ed25519 sign+verify (cryptography): {o:9.0f} /s")
    print(f"envelope pipeline (canon+sign+encode, parse+canon+verify): {p:9.0f} /s")
    print(f"BENCH envelope.pipeline {p:.0f} ops/s")
    print(f"BENCH envelope.bare_pynacl {b:.0f} ops/s")
    print(f"BENCH envelope.pipeline.vs_bare_pynacl {p / b:.3f} ratio goal >= 0.8")
    print(f"BENCH ed25519.pynacl.vs_cryptography {b / o:.2f} ratio")
    return {"pipeline": p, "bare": b, "openssl": o, "ratio": p / b}


if __name__ == "__main__":
    main()
