"""The two HTTP baseline peers (ACPs reference SDK, A2A SDK), measured in the same run as our code.

``start_peer(kind)`` launches the baseline server (``$AIP_BASELINES``, default
``<repo>/../shared/baselines``) with this interpreter, httptools and uvloop, and yields a ``Peer``;
``measure_http(peer, clients, seconds)`` runs a light keep-alive HTTP/1.1 load generator in a
separate (spawned) process and returns requests/second over ``seconds`` after a short warm-up.
Every response must be HTTP 200 with a JSON-RPC ``result`` echoing our text, or the run fails.
The load process is spawned: a script calling ``measure_http`` needs an ``if __name__`` guard.

Run: ``python -m bench.peers acps|a2a [--clients N] [--seconds S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import importlib.util
import itertools
import multiprocessing
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args

import orjson

Kind = Literal["acps", "a2a"]
BASELINES = Path(os.environ.get("AIP_BASELINES",
                                Path(__file__).resolve().parents[2] / "shared" / "baselines"))
START_TIMEOUT = 30.0  # for the server to print PORT and answer a first request
CONNECT_TIMEOUT = 5.0
REQUEST_TIMEOUT = 10.0  # one request written and its whole response read
TEXT = "hello"


class PeerUnavailable(RuntimeError):
    """The baseline packages (or scripts) are missing: callers print a skip line."""


class _Spec(NamedTuple):
    script: str
    args: tuple[str, ...]
    modules: tuple[str, ...]
    pip: str
    path: str
    headers: tuple[tuple[str, str], ...]
    template: bytes  # the request body, %(n)d and %(tag)s filled in per request


_SPECS: dict[Kind, _Spec] = {
    "acps": _Spec(
        "acps/acps_partner_server.py", ("--mode", "echo"),
        ("acps_sdk", "fastapi", "uvicorn", "httptools", "uvloop"),
        "pip install acps-sdk==2.1.0 fastapi uvicorn httptools uvloop", "/acps-aip-v2/rpc", (),
        b'{"jsonrpc":"2.0","id":%(n)d,"method":"rpc","params":{"command":{"type":"task-command",'
        b'"id":"cmd-%(tag)s-%(n)d","sentAt":"2026-11-21T12:00:00+00:00","senderRole":"leader",'
        b'"senderId":"1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4","sessionId":"s-1","dataItems":'
        b'[{"type":"text","text":"' + TEXT.encode() + b'"}],"command":"start",'
        b'"taskId":"task-%(tag)s-%(n)d"}}}'),
    "a2a": _Spec(
        "a2a/a2a_echo_server.py", (),
        ("a2a", "starlette", "sse_starlette", "uvicorn", "httptools", "uvloop"),
        "pip install 'a2a-sdk[http-server]==1.3.0' uvicorn httptools uvloop", "/a2a/jsonrpc",
        (("A2A-Version", "1.0"),),
        b'{"jsonrpc":"2.0","id":%(n)d,"method":"SendMessage","params":{"message":{'
        b'"messageId":"m-%(tag)s-%(n)d","role":"ROLE_USER","parts":[{"text":"'
        + TEXT.encode() + b'"}]}}}'),
}


def body_factory(kind: Kind) -> Callable[[], bytes]:
    """A callable returning one request body per call, each with fresh ids (taskId, messageId).

    The ids carry a random per-factory tag, so two load runs against one server never reuse a
    taskId (the ACPs partner answers a repeated ``start`` from its store, a cheaper path).
    """
    template, counter = _SPECS[kind].template, itertools.count(1)
    fields: dict[bytes, object] = {b"tag": os.urandom(4).hex().encode()}

    def make() -> bytes:
        fields[b"n"] = next(counter)
        return template % fields

    return make


@dataclass(frozen=True)
class Peer:
    """A running baseline server and how to talk to it."""

    kind: Kind
    host: str
    port: int
    path: str
    body_factory: Callable[[], bytes] = field(repr=False, compare=False)
    headers: tuple[tuple[str, str], ...] = ()


def _peer(kind: Kind, host: str, port: int) -> Peer:
    spec = _SPECS[kind]
    return Peer(kind, host, port, spec.path, body_factory(kind), spec.headers)


def request_factory(peer: Peer) -> Callable[[], bytes]:
    """A callable returning the full HTTP/1.1 request bytes (fixed head, fresh body) per call."""
    extra = "".join(f"{name}: {value}\r\n" for name, value in peer.headers)
    head = (f"POST {peer.path} HTTP/1.1\r\nHost: {peer.host}:{peer.port}\r\n"
            f"Content-Type: application/json\r\n{extra}Content-Length: ").encode("ascii")
    make_body = peer.body_factory

    def make() -> bytes:
        body = make_body()
        return b"%s%d\r\n\r\n%s" % (head, len(body), body)

    return make


def parse_head(head: bytes) -> tuple[int, int]:
    """Status code and Content-Length of a response head (status line and headers, CRLF CRLF)."""
    status_line, *lines = head.split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    if not version.startswith(b"HTTP/1.") or len(rest) < 3 or not rest[:3].isdigit():
        raise ValueError(f"bad status line {status_line!r}")
    length = None
    for line in lines:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding":
            raise ValueError(f"unsupported Transfer-Encoding {value.strip()!r}")
    if length is None:
        raise ValueError("response without Content-Length")
    return int(rest[:3]), length


def check_result(kind: Kind, body: bytes) -> None:
    """Raise ValueError unless ``body`` is a JSON-RPC success carrying the echoed text."""
    message: Any = orjson.loads(body)
    try:
        result = message["result"]
        echoed = (result["products"][0]["dataItems"][0]["text"] if kind == "acps"
                  else result["message"]["parts"][0]["text"])
        ok = (message["jsonrpc"] == "2.0" and message.get("error") is None and echoed == TEXT
              and (kind != "acps" or result["status"]["state"] == "awaiting-completion"))
    except (KeyError, IndexError, TypeError):
        ok = False
    if not ok:
        raise ValueError(f"not the expected JSON-RPC result: {body[:300]!r}")


def _require(kind: Kind) -> _Spec:
    spec = _SPECS[kind]
    missing = [m for m in spec.modules if importlib.util.find_spec(m) is None]
    if missing:
        raise PeerUnavailable(f"{kind} peer needs {', '.join(missing)}: "
                              f"pip install -e '.[bench]' (or: {spec.pip})")
    if not (BASELINES / spec.script).is_file():
        raise PeerUnavailable(f"no {spec.script} under {BASELINES} (set AIP_BASELINES)")
    return spec


def _probe(peer: Peer, deadline: float) -> None:
    """One real request; the scripts print PORT before uvicorn listens, so retry refusals."""
    while True:
        conn = http.client.HTTPConnection(peer.host, peer.port, timeout=CONNECT_TIMEOUT)
        try:
            conn.request("POST", peer.path, peer.body_factory(),
                         {"Content-Type": "application/json", **dict(peer.headers)})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"{peer.kind} peer answered {response.status}: {body[:300]!r}")
            check_result(peer.kind, body)
            return
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            conn.close()


@contextlib.contextmanager
def start_peer(kind: Kind) -> Iterator[Peer]:
    """Run one baseline server for the duration of the block; always stops it."""
    spec = _require(kind)
    command = [sys.executable, str(BASELINES / spec.script), *spec.args,
               "--http", "httptools", "--loop", "uvloop"]
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=stderr)
        lines: queue.Queue[bytes] = queue.Queue()

        def drain() -> None:  # keeps the pipe empty for the server's whole life
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.put(line)
            lines.put(b"")

        threading.Thread(target=drain, daemon=True).start()
        try:
            deadline = time.monotonic() + START_TIMEOUT
            line = b""
            while not line.startswith(b"PORT "):
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise TimeoutError(f"{kind} peer printed no PORT line in "
                                       f"{START_TIMEOUT:.0f} s") from None
                if not line:
                    proc.wait(timeout=5)
                    stderr.seek(0)
                    tail = stderr.read()[-2000:].decode(errors="replace")
                    error = PeerUnavailable if "ModuleNotFoundError" in tail else RuntimeError
                    raise error(f"{kind} peer exited ({proc.returncode}) before PORT:\n{tail}")
            peer = _peer(kind, "127.0.0.1", int(line.split()[1]))
            _probe(peer, deadline)
            yield peer
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


async def _run_load(peer: Peer, clients: int, seconds: float, warmup: float) -> float:
    done, stop, errors, failed = 0, False, list[str](), asyncio.Event()

    async def client() -> None:
        nonlocal done
        make, kind, writer = request_factory(peer), peer.kind, None
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                reader, writer = await asyncio.open_connection(peer.host, peer.port)
            while not stop:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    writer.write(make())
                    status, length = parse_head(await reader.readuntil(b"\r\n\r\n"))
                    body = await reader.readexactly(length)
                if status != 200:
                    raise ValueError(f"HTTP {status}: {body[:300]!r}")
                check_result(kind, body)
                done += 1
        except Exception as exc:  # every failure is counted and fails the run
            errors.append(repr(exc))
            failed.set()
        finally:
            if writer is not None:
                writer.close()
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1.0):
                        await writer.wait_closed()

    async def pause(seconds: float) -> None:  # cut short by the first failure
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await failed.wait()

    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await pause(warmup)
    count0, t0 = done, time.perf_counter()
    await pause(seconds)
    count1, t1 = done, time.perf_counter()
    stop = True
    async with asyncio.timeout(REQUEST_TIMEOUT + 5):
        await asyncio.gather(*tasks)
    if errors:
        raise RuntimeError(f"{len(errors)} of {clients} clients failed against the {peer.kind} "
                           f"peer; first: {errors[0]}")
    if count1 == count0:
        raise RuntimeError(f"no request completed against the {peer.kind} peer")
    return (count1 - count0) / (t1 - t0)


def _load_child(conn: Any, kind: Kind, host: str, port: int, *, clients: int, seconds: float,
                warmup: float) -> None:
    """Spawned process: run the load on uvloop (if present), send ("ok", rate) or ("error", msg)."""
    try:
        factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
        with contextlib.suppress(ImportError):
            import uvloop  # noqa: PLC0415 - optional, and only in the load process

            factory = uvloop.new_event_loop
        with asyncio.Runner(loop_factory=factory) as runner:
            rate = runner.run(_run_load(_peer(kind, host, port), clients, seconds, warmup))
        conn.send(("ok", rate))
    except BaseException as exc:  # reported to the parent, which raises
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def measure_http(peer: Peer, clients: int, seconds: float, warmup: float = 1.0) -> float:
    """Requests/second from ``clients`` keep-alive connections, measured in a separate process.

    ``clients=1`` is the sequential rate, ``clients=32`` the concurrent capacity. Raises
    RuntimeError if any request fails (status, JSON-RPC error, timeout, closed connection).
    """
    if clients < 1 or seconds <= 0 or warmup < 0:
        raise ValueError("need clients >= 1, seconds > 0 and warmup >= 0")
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    kwargs = {"clients": clients, "seconds": seconds, "warmup": warmup}
    proc = ctx.Process(target=_load_child, args=(child, peer.kind, peer.host, peer.port),
                       kwargs=kwargs, daemon=True)
    proc.start()
    child.close()
    budget = 30.0 + warmup + seconds + REQUEST_TIMEOUT + CONNECT_TIMEOUT
    try:
        if not parent.poll(budget):
            raise TimeoutError(f"load process gave no result in {budget:.0f} s")
        status, value = parent.recv()
    except EOFError:
        status, value = "error", "the load process died"
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
        parent.close()
    if status != "ok":
        raise RuntimeError(f"load against the {peer.kind} peer failed: {value}")
    return float(value)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=get_args(Kind))
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    args = ap.parse_args(argv)
    try:
        with start_peer(args.kind) as peer:
            rate = measure_http(peer, args.clients, args.seconds, args.warmup)
    except PeerUnavailable as exc:
        print(f"SKIP peer.{args.kind}: {exc}")
        return 0
    print(f"BENCH peer.{args.kind}.c{args.clients} {rate:.0f} req/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
