"""The transparency log at scale, against raw SHA-256 measured in the same run.

What is measured:

* ``sha256``   — hashlib SHA-256 of one 64-byte input per call: the raw hashing ceiling.
* ``append``   — durable batched appends through :class:`~aip.audit.log.TransparencyLog`
  (salt, commitment, leaf and subtree hashes, one SQLite transaction per batch with
  ``synchronous=FULL``) of a ~600-byte signed AMP record; entries per second.
* ``inclusion`` — inclusion-proof generation at ``--size`` entries (default 1M) for random
  indexes, from the SQLite store; proofs per second and microseconds per proof.
* ``verify``   — inclusion-proof verification per second.
* proof length (hashes) at 1k, 10k, 100k and ``--size`` entries: it grows as log2(n).

Run: ``python -m bench.audit [--size N] [--batch B]``.  The 1M-entry log is built in a
temporary directory (about 1 minute and ~700 MB on this machine class) and deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from aip.audit.log import TransparencyLog
from aip.audit.merkle import leaf_hash, verify_inclusion
from aip.audit.records import audit_body, make_record, sign_record
from aip.audit.store import LogStore
from aip.codec import canonicalize
from aip.identity.keys import SigningKey

KEY = SigningKey(bytes(range(32)))
ORIGIN = "bench.test/aip-log/1"
AIC = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"


def _entry() -> bytes:
    body = audit_body(
        actor={"id": AIC, "type": "agent", "name": "bench agent", "role": "leader"},
        action={"name": "task.complete", "type": "interaction", "method": "aip.rpc"},
        target={"type": "task", "id": "task-000001", "name": "summarise the quarterly report"},
        result={"status": "success", "reason": "products delivered"},
    )
    record = make_record(
        aic=AIC,
        log_type="audit",
        body=body,
        timestamp=datetime(2026, 11, 22, tzinfo=UTC),
        correlation_id="session-42",
        attributes={"aip.node": "bench", "aip.tokens.in": 1200, "aip.tokens.out": 800},
    )
    return canonicalize(sign_record(record, KEY))


def _sha_rate(seconds: float = 1.0) -> float:
    data, n, start = b"\x01" * 64, 0, time.perf_counter()
    sha = hashlib.sha256
    while time.perf_counter() - start < seconds:
        for _ in range(10_000):
            sha(data).digest()
        n += 10_000
    return n / (time.perf_counter() - start)


async def _fill(log: TransparencyLog, total: int, batch: int, entry: bytes) -> float:
    """Append ``total`` entries in batches; return entries per second."""
    start = time.perf_counter()
    done = 0
    while done < total:
        count = min(batch, total - done)
        await log.append_many([entry] * count)
        done += count
    return total / (time.perf_counter() - start)


def _proof_rate(log: TransparencyLog, size: int, seconds: float = 2.0) -> tuple[float, float]:
    rng = random.Random(7)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(200):
            log.inclusion(rng.randrange(size), size)
        n += 200
    rate = n / (time.perf_counter() - start)
    return rate, 1e6 / rate


def _verify_rate(log: TransparencyLog, size: int, seconds: float = 1.0) -> float:
    rng = random.Random(11)
    root = log.root(size)
    cases = []
    for _ in range(200):
        index = rng.randrange(size)
        cases.append((leaf_hash(log.commitment_of(index)), index, log.inclusion(index, size)))
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for leaf, index, proof in cases:
            verify_inclusion(leaf, index, size, proof, root)
        n += len(cases)
    return n / (time.perf_counter() - start)


async def run(size: int, batch: int) -> dict[str, float]:
    """Build a log of ``size`` entries and measure; return the figures."""
    entry = _entry()
    sha = _sha_rate()
    figures: dict[str, float] = {"sha256": sha, "entry_bytes": len(entry)}
    with tempfile.TemporaryDirectory() as tmp:
        store = LogStore.open(Path(tmp) / "audit.sqlite3", ORIGIN)
        log = TransparencyLog(store, KEY, ORIGIN, salts=lambda: secrets.token_bytes(32))
        try:
            marks = [m for m in (1_000, 10_000, 100_000) if m < size] + [size]
            rates, lengths = [], {}
            for mark in marks:
                rates.append(await _fill(log, mark - log.size, batch, entry))
                lengths[mark] = len(log.inclusion(mark // 3, mark))
            figures["append"] = max(rates[-1], 0.0)
            figures["inclusion"], figures["inclusion_us"] = _proof_rate(log, size)
            figures["verify"] = _verify_rate(log, size)
            for mark, length in lengths.items():
                figures[f"proof_len.{mark}"] = length
        finally:
            await log.close()
    return figures


def _report(f: dict[str, float], size: int) -> None:
    print(f"BENCH audit.sha256 {f['sha256']:.0f} hashes/s (64-byte inputs, raw hashlib)")
    print(
        f"BENCH audit.append {f['append']:.0f} entries/s goal >= 20000 "
        f"({f['entry_bytes']:.0f}-byte records, durable, batched)"
    )
    print(f"BENCH audit.append.vs_sha256 {f['append'] / f['sha256']:.4f} ratio")
    print(f"BENCH audit.inclusion_at_{size} {f['inclusion']:.0f} proofs/s")
    print(f"BENCH audit.inclusion_at_{size}.us {f['inclusion_us']:.1f} us goal < 1000")
    print(f"BENCH audit.inclusion.vs_sha256 {f['inclusion'] / f['sha256']:.4f} ratio")
    print(f"BENCH audit.verify {f['verify']:.0f} proofs/s")
    print(f"BENCH audit.verify.vs_sha256 {f['verify'] / f['sha256']:.4f} ratio")
    for name, value in sorted(f.items()):
        if name.startswith("proof_len."):
            n = int(name.split(".")[1])
            depth = n.bit_length() - 1
            print(f"BENCH audit.proof_hashes_at_{n} {value:.0f} hashes (log2 n = {depth})")


def main(size: int = 1_000_000, batch: int = 1000) -> dict[str, float]:
    """Run the bench and print BENCH lines; return the figures."""
    figures = asyncio.run(run(size, batch))
    _report(figures, size)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.audit")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()
    main(args.size, args.batch)
