"""Envelope pipeline vs the bare Ed25519 ceiling, measured in the same run.

bare     = Ed25519 sign + verify of the canonical bytes (PyNaCl, the library we chose);
envelope = canonicalise + sign (``sign_object``) and canonicalise + verify (``verify_object``)
           of a ~500-byte JSON-RPC envelope: the issue's "canonicalise+sign+verify";
wire     = the envelope plus encoding for the wire and strict parsing of the received bytes
           (``codec.dumps`` + ``verify_received``): what a node really does per message.
Rounds alternate between the three so that machine noise hits all alike; medians are reported.

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
from aip.integrity import sign_object, verify_object, verify_received

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


def main(rounds: int = 11, seconds: float = 0.3) -> dict[str, float]:
    """Measure and print; returns the medians (ops/s) and the ratio."""
    message = codec.canonicalize(ENVELOPE)
    signature = KEY.sign(message)
    verify_key = KEY.verify_key

    def bare() -> None:
        KEY.sign(message)
        verify_key.verify(signature, message)

    wire = codec.dumps(sign_object(ENVELOPE, KEY))
    received = codec.parse(wire)

    def envelope() -> None:
        sign_object(ENVELOPE, KEY)
        verify_object(received, verify_key)

    def on_the_wire() -> None:
        codec.dumps(sign_object(ENVELOPE, KEY))
        verify_received(wire, verify_key)

    openssl = Ed25519PrivateKey.from_private_bytes(KEY.seed)
    openssl_pub = openssl.public_key()
    openssl_sig = openssl.sign(message)

    def bare_openssl() -> None:
        openssl.sign(message)
        openssl_pub.verify(openssl_sig, message)

    cases = {"bare": bare, "envelope": envelope, "wire": on_the_wire, "openssl": bare_openssl}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            samples[name].append(_rate(fn, seconds))
    b, e, w, o = (statistics.median(samples[n]) for n in ("bare", "envelope", "wire", "openssl"))
    print(f"envelope: {len(wire)} bytes on the wire, {len(message)} canonical bytes signed")
    print(f"bare Ed25519 sign+verify (PyNaCl):             {b:9.0f} /s")
    print(f"bare Ed25519 sign+verify (cryptography):       {o:9.0f} /s")
    print(f"envelope canonicalise+sign, canonicalise+verify: {e:9.0f} /s")
    print(f"wire: envelope + encode + strict parse:          {w:9.0f} /s")
    print(f"BENCH envelope.pipeline {e:.0f} ops/s")
    print(f"BENCH envelope.bare_pynacl {b:.0f} ops/s")
    print(f"BENCH envelope.pipeline.vs_bare_pynacl {e / b:.3f} ratio goal >= 0.8")
    print(f"BENCH envelope.wire.vs_bare_pynacl {w / b:.3f} ratio")
    print(f"BENCH ed25519.pynacl.vs_cryptography {b / o:.2f} ratio")
    return {"envelope": e, "wire": w, "bare": b, "openssl": o, "ratio": e / b}


if __name__ == "__main__":
    main()
