"""Signed, identity-bound round trips over authenticated sessions, against the peers, in one run.

What is measured (requests per second, medians of interleaved rounds):

* ``aip``   — an enrolled agent sends ``node.ping`` as a message signed by its AIC; the node
  checks the session binding and the signature and answers with a message it signs; the agent
  checks that answer (spec Part 7 §7.6).  Every message is signed and verified.
* ``echo``  — a bare ``websockets`` echo of the same bytes: the transport's ceiling.
* ``acps``  — the standard's reference partner (``acps-sdk`` rpc ``start``, plain HTTP, unsigned).
* ``a2a``   — the A2A SDK echo agent (``SendMessage``, plain HTTP, unsigned).

Each server runs in its own process and each load generator in another, so a figure is what one
server process sustains, as the issue asks: sequential (one client) and capacity (100 agents for
``aip``/``echo``; 32 clients for the HTTP peers, their best case).  Run:
``python -m bench.sessions [--rounds N] [--seconds S]``.  Needs the ``bench`` extra for the
peers (``pip install -e '.[bench]'``); without it only ``aip`` vs ``echo`` is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AGENTS = 100
BODY: dict[str, Any] = {
    "type": "task-command",
    "command": "start",
    "taskId": "task-1",
    "sessionId": "s-1",
    "senderRole": "leader",
    "dataItems": [{"type": "text", "text": "hello"}],
}


def _run(coro: Awaitable[Any]) -> Any:
    """Run on uvloop when installed (the peers get it too), else on asyncio's loop."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    return uvloop.run(coro)  # type: ignore[arg-type]


# --- set-up: a node data directory with enrolled agents ----------------------------------------


def prepare(root: Path, count: int) -> Path:
    """Create a node data directory and ``count`` client identities; return the agents file."""
    from aip.identity.aic import base36_encode, make_aic  # noqa: PLC0415
    from aip.identity.certificates import Usage, certificate_pem  # noqa: PLC0415
    from aip.identity.keys import SigningKey  # noqa: PLC0415
    from aip.node.datadir import DataDir  # noqa: PLC0415

    salt, now, agents = secrets.token_bytes(16), datetime.now(UTC), []
    with DataDir.open(root / "node") as data:
        ca = data.identity.ca
        for i in range(count):
            key = SigningKey(secrets.token_bytes(32))
            aic = str(
                make_aic(
                    version="1",
                    registry="1",
                    provider="BENCH",
                    ontology="1",
                    entity=base36_encode(i + 1, 4),
                    salt=salt,
                )
            )
            cert = ca.issue(aic, key.verify_key, Usage.CLIENT, now, 10_000 + i)
            chain = [certificate_pem(cert).decode(), ca.chain_pem().decode()]
            agents.append({"aic": aic, "seed": key.seed.hex(), "chain": chain})
        facts = {"nodeAic": str(data.identity.aic), "root": data.identity.trust_bundle_pem}
    path = root / "agents.json"
    path.write_text(json.dumps({**facts, "agents": agents}))
    return path


# --- servers (each in its own process) ----------------------------------------------------------


async def _serve_node(data: str) -> None:
    from aip.node import Node, NodeLimits  # noqa: PLC0415

    # Generous rate limits: the bench measures the hot path, the bucket check included.
    limits = NodeLimits(requests_per_second=1e9, request_burst=1_000_000_000)
    async with Node(data, port=0, limits=limits) as node:
        print(f"PORT {node.port}", flush=True)
        await asyncio.Event().wait()


async def _serve_echo() -> None:
    from websockets.asyncio.server import ServerConnection, serve  # noqa: PLC0415

    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(echo, "127.0.0.1", 0, compression=None) as server:
        print(f"PORT {next(iter(server.sockets)).getsockname()[1]}", flush=True)
        await asyncio.Event().wait()


@contextmanager
def server(*args: str) -> Iterator[int]:
    """Start ``python -m bench.sessions <args>``; yield its port; always stop it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.sessions", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # bounded: the server prints PORT or dies
        if not line.startswith("PORT "):
            raise RuntimeError(f"server {args} did not start: {line!r}")
        yield int(line.split()[1])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# --- load generators (each in its own process) --------------------------------------------------


async def _timed(clients: list[Callable[[], Awaitable[Any]]], seconds: float) -> float:
    """Run every client in a loop; return completed calls per second after a short warm-up."""
    done = 0
    counting = False
    stop = False

    async def loop(call: Callable[[], Awaitable[Any]]) -> None:
        nonlocal done
        while not stop:
            await call()
            if counting:
                done += 1

    tasks = [asyncio.create_task(loop(c)) for c in clients]
    await asyncio.sleep(min(0.5, seconds / 4))  # warm-up, not a wait for a condition
    counting, start = True, time.perf_counter()
    await asyncio.sleep(seconds)
    counting, elapsed = False, time.perf_counter() - start
    stop = True
    async with asyncio.timeout(30):
        await asyncio.gather(*tasks)
    return done / elapsed


async def _load_aip(port: int, agents_file: str, clients: int, seconds: float) -> float:
    from aip.client import AgentIdentity, connect  # noqa: PLC0415
    from aip.identity.certificates import load_certificates  # noqa: PLC0415
    from aip.identity.keys import SigningKey  # noqa: PLC0415

    facts = json.loads(Path(agents_file).read_text())
    roots = load_certificates(facts["root"])
    url = f"ws://127.0.0.1:{port}"
    sessions = []
    for agent in facts["agents"][:clients]:
        identity = AgentIdentity(
            agent["aic"], SigningKey(bytes.fromhex(agent["seed"])), agent["chain"], roots
        )
        sessions.append(await connect(url, identity, facts["nodeAic"]))
    calls: list[Callable[[], Awaitable[Any]]] = [
        functools.partial(s.call_signed, "node.ping", BODY) for s in sessions
    ]
    try:
        return await _timed(calls, seconds)
    finally:
        for session in sessions:
            await session.close()


async def _load_echo(port: int, clients: int, seconds: float) -> float:
    from websockets.asyncio.client import connect  # noqa: PLC0415

    from aip.codec import dumps  # noqa: PLC0415

    frame = dumps({"jsonrpc": "2.0", "id": 1, "method": "node.ping", "params": {"message": BODY}})
    sockets = [
        await connect(f"ws://127.0.0.1:{port}", compression=None) for _ in range(clients)
    ]

    def call(ws: Any) -> Callable[[], Awaitable[Any]]:
        async def once() -> Any:
            await ws.send(frame, text=True)
            return await ws.recv()

        return once

    try:
        return await _timed([call(ws) for ws in sockets], seconds)
    finally:
        for ws in sockets:
            await ws.close()


def load(kind: str, port: int, clients: int, seconds: float, agents: str = "") -> float:
    """Measure ``kind`` ('aip' or 'echo') from a fresh process; return requests per second."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.sessions", "load", kind, str(port), str(clients),
         str(seconds), agents],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=True,
    )
    return float(out.stdout.split()[-1])


# --- the run ------------------------------------------------------------------------------------


def main(rounds: int = 3, seconds: float = 3.0) -> dict[str, float]:
    """Measure every side in interleaved rounds; print figures and ratios; return the medians."""
    try:
        from bench import peers  # noqa: PLC0415
    except ImportError:  # pragma: no cover - bench/peers.py is part of the repo
        peers = None  # type: ignore[assignment]
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        agents = str(prepare(Path(tmp), AGENTS))
        with server("serve-node", str(Path(tmp) / "node")) as node_port, server(
            "serve-echo"
        ) as echo_port:
            for _ in range(rounds):
                for clients in (1, AGENTS):
                    results.setdefault(f"aip.c{clients}", []).append(
                        load("aip", node_port, clients, seconds, agents)
                    )
                    results.setdefault(f"echo.c{clients}", []).append(
                        load("echo", echo_port, clients, seconds)
                    )
                if peers is not None:
                    _peer_round(peers, results, seconds)
    medians = {name: statistics.median(values) for name, values in results.items()}
    _report(medians)
    return medians


def _peer_round(peers: Any, results: dict[str, list[float]], seconds: float) -> None:
    """One measurement per (peer, clients), each on a fresh server: the ACPs partner keeps
    every task in memory and slows as its store fills, so no figure inherits another's."""
    for kind in ("acps", "a2a"):
        for clients in (1, 32):
            try:
                with peers.start_peer(kind) as peer:
                    rate = peers.measure_http(peer, clients, seconds)
            except peers.PeerUnavailable as exc:
                print(f"# {kind} skipped: {exc}")
                return
            results.setdefault(f"{kind}.c{clients}", []).append(rate)


def _report(m: dict[str, float]) -> None:
    for name, value in sorted(m.items()):
        print(f"BENCH sessions.{name} {value:.0f} req/s")
    print(f"BENCH sessions.aip_seq.vs_echo_seq {m['aip.c1'] / m['echo.c1']:.3f} ratio")
    print(f"BENCH sessions.aip_c100.vs_echo_c100 {m['aip.c100'] / m['echo.c100']:.3f} ratio")
    goals = [("acps", 1.0, 1.5), ("a2a", 3.0, 6.0)]
    for kind, seq_goal, cap_goal in goals:
        if f"{kind}.c1" in m:
            seq = m["aip.c1"] / m[f"{kind}.c1"]
            cap = m["aip.c100"] / m[f"{kind}.c32"]
            print(f"BENCH sessions.aip_seq.vs_{kind}_seq {seq:.3f} ratio goal >= {seq_goal}")
            print(f"BENCH sessions.aip_c100.vs_{kind}_c32 {cap:.3f} ratio goal >= {cap_goal}")


def _cli() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sessions")
    parser.add_argument("what", nargs="?", default="run")
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    if args.what == "serve-node":
        _run(_serve_node(args.rest[0]))
    elif args.what == "serve-echo":
        _run(_serve_echo())
    elif args.what == "load":
        kind, port, clients, seconds = args.rest[0], *map(float, args.rest[1:4])
        if kind == "aip":
            rate = _run(_load_aip(int(port), args.rest[4], int(clients), seconds))
        else:
            rate = _run(_load_echo(int(port), int(clients), seconds))
        print(f"RATE {rate}")
    else:
        main(args.rounds, args.seconds)


if __name__ == "__main__":
    _cli()
