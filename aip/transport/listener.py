"""A WebSocket listener that authenticates every connection (shell: sockets, clock, randomness).

:class:`SessionListener` binds a port, runs the Part 7 handshake on each connection with a
:class:`~aip.sessions.server.ServerHandshake`, enforces :class:`Limits`, and hands
authenticated calls (and the public ones before that) to a method table.  The node and an agent
that serves requests are both a listener plus their own methods.  Peer misbehaviour never
escapes a connection: it becomes an error reply or a close with a defined status.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from websockets.asyncio.server import Server, ServerConnection
from websockets.asyncio.server import serve as ws_serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode

from aip.codec import MAX_DEPTH
from aip.errors import AipError, Code
from aip.identity.keys import SigningKey
from aip.jsonrpc import (
    Caller,
    ErrorReply,
    Handler,
    Notification,
    Request,
    Response,
    decode_frame,
    dispatch,
    error_frame,
    result_frame,
)
from aip.ratelimit import TokenBucket
from aip.sessions.proofs import CHALLENGE_SIZE, DEFAULT_SKEW
from aip.sessions.replay import ReplayCache
from aip.sessions.server import (
    AUTHENTICATE,
    HELLO,
    Close,
    Effect,
    Input,
    Pass,
    Refuse,
    Reply,
    ServerConfig,
    ServerHandshake,
    State,
)
from aip.transport.tls import TlsAcceptor

__all__ = ["Limits", "Outcome", "SessionListener"]

logger = logging.getLogger("aip.transport")


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits a listener publishes (``node.info``) and enforces [ARC-LIM-001]."""

    max_frame_bytes: int = 1_048_576  # larger: close 1009
    max_connections: int = 1024  # more: close 1013 (try again later)
    requests_per_second: float = 200.0  # per session AIC (per connection before it) [ARC-LIM-002]
    request_burst: int = 400
    idle_timeout_seconds: float = 300.0  # no frame for this long: close 1001
    handshake_timeout_seconds: float = 10.0  # [SES-HSK-004]

    def to_wire(self) -> dict[str, float]:
        """The ``limits`` member of ``node.info``.

        The nesting depth is the codec's fixed limit (spec/02-codec.md), not a setting: a node
        publishes what it enforces [ARC-LIM-001].
        """
        return {
            "maxFrameBytes": self.max_frame_bytes,
            "maxNestingDepth": MAX_DEPTH,
            "maxConnections": self.max_connections,
            "requestsPerSecond": self.requests_per_second,
            "requestBurst": self.request_burst,
            "idleTimeoutSeconds": self.idle_timeout_seconds,
            "handshakeTimeoutSeconds": self.handshake_timeout_seconds,
        }


class SessionListener:
    """Listen on ``host:port`` and serve authenticated JSON-RPC sessions.

    ``methods`` is the method table (shared, so the owner may add methods later);
    ``public_methods`` may be called before authentication [ARC-AUTH-001]; handlers authorize
    further with the :class:`~aip.jsonrpc.Caller` they get.  Call :meth:`start` with who the
    server is.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        methods: dict[str, Handler],
        public_methods: frozenset[str],
        limits: Limits | None = None,
        revoked: Callable[[int], bool] | None = None,
        public_urls: Sequence[str] = (),
    ) -> None:
        self.host = host
        self.limits = limits or Limits()
        self._requested_port = port
        self._methods = methods
        self._public = public_methods
        self._revoked = revoked
        self._public_urls = frozenset(public_urls)
        self._server: Server | None = None
        self._config: ServerConfig | None = None
        self._tls: TlsAcceptor | None = None  # mTLS mode, spec Part 7 §7.4
        self._ready = asyncio.Event()
        self._handshake_timeout = timedelta(seconds=self.limits.handshake_timeout_seconds)
        self._idle = timedelta(seconds=self.limits.idle_timeout_seconds)
        self._connections = 0
        self._buckets: dict[str, TokenBucket] = {}  # per session AIC [ARC-LIM-002]
        # Remembers used challenges longer than any proof could still be accepted [SES-HSK-005].
        self._replay = ReplayCache(
            self._handshake_timeout + 2 * DEFAULT_SKEW + timedelta(seconds=60)
        )
        self._purged = datetime.min.replace(tzinfo=UTC)
        self._live: dict[ServerConnection, ServerHandshake] = {}  # for end_sessions
        self._ending: dict[ServerConnection, Close] = {}
        self._closing: set[asyncio.Task[None]] = set()

    async def start(
        self,
        aic: str,
        key: SigningKey,
        certificates: Sequence[str],
        trust_roots: Sequence[Any],
        *,
        tls: bool = False,
    ) -> None:
        """Bind and serve as ``aic`` (serverAuth ``certificates``: leaf PEM, then issuer).

        ``tls=True`` serves ``wss://`` in mTLS mode (spec Part 7 §7.4): the TLS handshake
        authenticates each client, and no in-band handshake runs.
        Raises ``OSError`` (e.g. the port is taken), ``ssl.SSLError`` for unusable TLS
        material; on failure nothing is left listening.
        """
        self._tls = None
        if tls:  # mTLS mode: clients are authenticated before the 101 [SES-TLS-006]
            self._tls = TlsAcceptor(
                key, certificates, trust_roots, revoked=self._revoked, now=self._now
            )
        self._server = await ws_serve(
            self._connection,
            self.host,
            self._requested_port,
            compression=None,  # small frames: compression costs more than it saves
            max_size=self.limits.max_frame_bytes,  # larger: close 1009 [ARC-LIM-001]
            logger=logger,
            ssl=None if self._tls is None else self._tls.context,
            process_response=None if self._tls is None else self._tls.process_response,
        )
        self._config = ServerConfig(
            aic=aic,
            key=key,
            certificates=list(certificates),
            trust_roots=list(trust_roots),
            audiences=self.audiences,
            public_methods=self._public,
            handshake_timeout=self._handshake_timeout,
            revoked=self._revoked,
        )
        self._ready.set()

    async def stop(self) -> None:
        """Close every connection (status 1001) and stop listening."""
        server, self._server = self._server, None
        self._ready.clear()
        if server is not None:
            server.close()
            await server.wait_closed()

    @property
    def port(self) -> int:
        """The TCP port actually bound.  Raises ``RuntimeError`` before :meth:`start`."""
        if self._server is None:
            raise RuntimeError("not listening")
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """``ws://host:port`` (``wss://`` in mTLS mode) clients connect to (IPv6 hosts in
        brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self._scheme}://{host}:{self.port}"

    @property
    def _scheme(self) -> str:
        return "ws" if self._tls is None else "wss"

    @property
    def audiences(self) -> frozenset[str]:
        """The URLs clients may name as audience [SES-HSK-003]: the bound address, localhost
        for loopback, and the ``public_urls`` given (e.g. behind a proxy, or when bound to
        0.0.0.0)."""
        hosts = {f"[{self.host}]" if ":" in self.host else self.host}
        if self.host in ("127.0.0.1", "::1", "localhost"):
            hosts |= {"localhost", "127.0.0.1"}
        return frozenset(f"{self._scheme}://{h}:{self.port}" for h in hosts) | self._public_urls

    def end_sessions(self, match: Callable[[Caller], bool], code: Code) -> int:
        """End every authenticated session whose caller ``match`` selects; returns how many.

        None of their calls is acted on any more; each connection is closed with status 1008 and
        reason ``code``, after a reply already on its way [SES-HSK-008].  Call on the event loop.
        """
        ended = [
            ws
            for ws, hs in self._live.items()
            if hs.state is State.AUTHENTICATED and match(hs.caller)
        ]
        for ws in ended:
            self._live[ws].state = State.CLOSED
            self._ending[ws] = close = Close(CloseCode.POLICY_VIOLATION, code)
            task = asyncio.get_running_loop().create_task(ws.close(close.status, _reason(close)))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return len(ended)

    # --- receive path ------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.now(UTC)

    def _bucket(self, handshake: ServerHandshake, own: TokenBucket, now: datetime) -> TokenBucket:
        """The session AIC's shared bucket once authenticated, the connection's before."""
        aic = handshake.session_aic
        if aic is None:
            return own
        bucket = self._buckets.get(aic)
        if bucket is None:
            bucket = self._buckets[aic] = self._new_bucket(now)
        return bucket

    def _new_bucket(self, now: datetime) -> TokenBucket:
        return TokenBucket(self.limits.requests_per_second, self.limits.request_burst, now)

    def handle_message(
        self, handshake: ServerHandshake, message: str, bucket: TokenBucket
    ) -> Outcome:
        """Answer one received text message on a connection in ``handshake``'s state.

        Returns the frames to send (in order) and the close to perform after them, if any.
        Never raises on peer input: bad frames get the error reply of :mod:`aip.jsonrpc`, a
        handler bug gets -32603 and a log entry [SES-HSK-006].
        """
        now = self._now()
        frame = decode_frame(message)
        # Every frame costs a token, malformed ones included [ARC-LIM-002].
        wait = self._bucket(handshake, bucket, now).take(now)
        if wait > 0:  # refused, connection kept; only a readable request gets an answer
            if isinstance(frame, Request):
                error = AipError(
                    Code.CALLER_RATE_LIMITED,
                    "request rate exceeded",
                    data={"retryAfterMs": math.ceil(wait * 1000)},
                )
                return Outcome([error_frame(frame.id, error)])
            return Outcome([])
        if isinstance(frame, ErrorReply):
            return Outcome([frame.to_bytes()])
        if isinstance(frame, Response):
            # This listener sends no requests yet: every response is unmatched [ARC-WS-002].
            logger.debug("discarding a response to unknown id %r", frame.id)
            return Outcome([])
        outcome = self._effects(handshake, frame, handshake.handle(Input.TICK, now))
        if outcome.close is not None:
            return outcome
        if isinstance(frame, Notification) and handshake.state is not State.AUTHENTICATED:
            return Outcome([])  # [ARC-AUTH-001] discarded, never acted on
        kind = _INPUTS.get(frame.method, Input.CALL) if isinstance(frame, Request) else Input.CALL
        challenge = secrets.token_bytes(CHALLENGE_SIZE) if kind is Input.HELLO else b""
        effects = handshake.handle(
            kind, now, method=frame.method, params=frame.params, challenge=challenge
        )
        return self._effects(handshake, frame, effects)

    def _effects(
        self, handshake: ServerHandshake, frame: Request | Notification, effects: list[Effect]
    ) -> Outcome:
        """Carry out the handshake's effects for one frame (see :mod:`aip.sessions.server`)."""
        out = Outcome([])
        answer = frame.id if isinstance(frame, Request) else None
        for effect in effects:
            if isinstance(effect, Reply) and isinstance(frame, Request):
                out.frames.append(result_frame(answer, effect.result))
            elif isinstance(effect, Refuse) and isinstance(frame, Request):
                out.frames.append(error_frame(answer, effect.error))
            elif isinstance(effect, Pass):
                reply = self._dispatch(frame, handshake.caller)
                if reply is not None:
                    out.frames.append(reply)
            elif isinstance(effect, Close):
                out.close = effect
        if handshake.state is State.AUTHENTICATED and out.close is None:
            logger.debug("session %s", handshake.session_aic)
        return out

    def _dispatch(self, frame: Request | Notification, caller: Caller) -> bytes | None:
        try:
            return dispatch(self._methods, frame, caller)
        except Exception:
            logger.exception("method %r failed", frame.method)
            if isinstance(frame, Request):
                return error_frame(frame.id, (Code.INTERNAL_ERROR, "internal error", None))
            return None

    def _wait(self, handshake: ServerHandshake, now: datetime, last: datetime) -> float:
        """Seconds until the next tick: handshake timeout or certificate expiry, or idleness."""
        if handshake.state is State.AUTHENTICATED:
            assert handshake.session_expires is not None
            until = handshake.session_expires - now + timedelta(seconds=1)
        else:
            until = handshake.opened_at + handshake.config.handshake_timeout - now
        until = min(until, last + self._idle - now)
        return max(0.0, min(until.total_seconds(), 60.0))

    async def _connection(self, ws: ServerConnection) -> None:
        async with asyncio.timeout(self.limits.handshake_timeout_seconds):
            await self._ready.wait()  # the config needs the bound port: set right after binding
        config = self._config
        assert config is not None
        if self._connections >= self.limits.max_connections:  # [ARC-LIM-001]
            await ws.close(CloseCode.TRY_AGAIN_LATER, "too many connections")
            return
        self._connections += 1
        try:
            await self._serve_connection(ws, config)
        finally:
            self._connections -= 1

    async def _serve_connection(self, ws: ServerConnection, config: ServerConfig) -> None:
        now = self._now()
        if now - self._purged >= timedelta(seconds=1):  # bounded: entries live minutes
            self._replay.purge(now)
            self._purged = now
        if self._tls is None:
            handshake = ServerHandshake(config, now, self._replay)
        else:  # mTLS: the client was authenticated before the 101 [SES-TLS-006]
            peer = self._tls.outcome(ws)
            if isinstance(peer, AipError):
                refused = Close(CloseCode.POLICY_VIOLATION, peer.code)
                await ws.close(refused.status, _reason(refused))
                return
            handshake = ServerHandshake.authenticated(config, now, self._replay, peer)
        bucket, last = self._new_bucket(now), now
        self._live[ws] = handshake
        try:
            while handshake.state is not State.CLOSED:  # end_sessions may close it
                try:
                    async with asyncio.timeout(self._wait(handshake, self._now(), last)):
                        message = await ws.recv()  # invalid UTF-8 text: websockets closes 1007
                except TimeoutError:
                    now = self._now()
                    closing = [e for e in handshake.handle(Input.TICK, now) if isinstance(e, Close)]
                    if closing:
                        await ws.close(closing[0].status, _reason(closing[0]))
                        return
                    if now - last >= self._idle:
                        await ws.close(CloseCode.GOING_AWAY, "idle")
                        return
                    continue
                last = self._now()
                if isinstance(message, bytes):  # [ARC-WS-001]
                    await ws.close(CloseCode.UNSUPPORTED_DATA, "binary messages are not accepted")
                    return
                outcome = self.handle_message(handshake, message, bucket)
                for reply in outcome.frames:
                    await ws.send(reply, text=True)
                if outcome.close is not None:
                    await ws.close(outcome.close.status, _reason(outcome.close))
                    return
            ending = self._ending.get(ws)
            if ending is not None:
                await ws.close(ending.status, _reason(ending))
        except ConnectionClosed:
            return
        finally:
            self._live.pop(ws, None)
            self._ending.pop(ws, None)


@dataclass(slots=True)
class Outcome:
    """What one received message leads to: frames to send, then possibly a close."""

    frames: list[bytes]
    close: Close | None = None


_INPUTS = {HELLO: Input.HELLO, AUTHENTICATE: Input.AUTHENTICATE}


def _reason(close: Close) -> str:
    return f"{int(close.code)} {close.code.name}"
