"""The measurements behind docs/decisions.md D1 and D2, as ratios within one run.

D1: Ed25519 sign and verify, PyNaCl (libsodium) vs cryptography (OpenSSL).
D2: RFC 8785 canonicalisation, ours (orjson fast path) vs the rfc8785 package and our exact
encoder; strict parsing, ours vs the stdlib json with a duplicate-key hook and plain orjson.

Run: ``python -m bench.choices``.  Needs the dev extras (rfc8785).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from aip import _jcs, codec
from aip.identity.keys import SigningKey
from bench.envelope import ENVELOPE


def _per_second(fn: Callable[[], object], seconds: float = 0.25) -> float:
    count, start = 0, time.perf_counter()
    while True:
        for _ in range(20):
            fn()
        count += 20
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def _medians(cases: dict[str, Callable[[], object]], rounds: int = 5) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):  # interleaved, so noise hits every case alike
        for name, fn in cases.items():
            samples[name].append(_per_second(fn))
    return {name: statistics.median(values) for name, values in samples.items()}


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate")
    return obj


def main() -> dict[str, float]:
    """Measure, print one line per figure, return the medians."""
    message = codec.canonicalize(ENVELOPE)
    nacl = SigningKey(bytes(range(32)))
    nacl_sig = nacl.sign(message)
    ossl = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    ossl_pub, ossl_sig = ossl.public_key(), ossl.sign(message)
    wire = codec.dumps(ENVELOPE)
    r = _medians({
        "sign.pynacl": lambda: nacl.sign(message),
        "sign.cryptography": lambda: ossl.sign(message),
        "verify.pynacl": lambda: nacl.verify_key.verify(nacl_sig, message),
        "verify.cryptography": lambda: ossl_pub.verify(ossl_sig, message),
        "canon.aip": lambda: codec.canonicalize(ENVELOPE),
        "canon.aip_exact": lambda: _jcs.canonicalize(ENVELOPE),
        "canon.rfc8785": lambda: rfc8785.dumps(ENVELOPE),
        "parse.aip": lambda: codec.parse(wire),
        "parse.json_dup_hook": lambda: json.loads(wire, object_pairs_hook=_unique),
        "parse.orjson_lax": lambda: orjson.loads(wire),
    })
    for name, value in r.items():
        print(f"{name:<22} {value:>12,.0f} /s")
    sign, verify = "sign.pynacl", "verify.pynacl"
    print(f"BENCH ed25519.sign.pynacl.vs_cryptography {r[sign] / r['sign.cryptography']:.2f} ratio")
    print(f"BENCH ed25519.verify.pynacl.vs_cryptography "
          f"{r[verify] / r['verify.cryptography']:.2f} ratio")
    print(f"BENCH jcs.aip.vs_rfc8785 {r['canon.aip'] / r['canon.rfc8785']:.1f} ratio")
    print(f"BENCH jcs.aip_exact.vs_rfc8785 {r['canon.aip_exact'] / r['canon.rfc8785']:.2f} ratio")
    print(f"BENCH parse.aip.vs_json_dup_hook {r['parse.aip'] / r['parse.json_dup_hook']:.1f} ratio")
    print(f"BENCH parse.aip.vs_orjson_lax {r['parse.aip'] / r['parse.orjson_lax']:.2f} ratio")
    return r


if __name__ == "__main__":
    main()
