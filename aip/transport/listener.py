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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from websockets.frames import CloseCode
from websockets.server import ServerProtocol

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
from aip.transport.link import CLOSE_TIMEOUT, Link
from aip.transport.served import ServedConnection
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
        self.methods = methods
        self._public = public_methods
        self._revoked = revoked
        self._public_urls = frozenset(public_urls)
        self._server: asyncio.Server | None = None
        self._config: ServerConfig | None = None
        self.tls: TlsAcceptor | None = None  # mTLS mode, spec Part 7 §7.4
        self._handshake_timeout = timedelta(seconds=self.limits.handshake_timeout_seconds)
        self.idle = timedelta(seconds=self.limits.idle_timeout_seconds)
        self.connections = 0  # open WebSockets counted against max_connections
        self.live: set[ServedConnection] = set()  # those connections
        self.served: set[ServedConnection] = set()  # every connection, open or opening
        # The connections that authenticated, by session AIC (kept until they close): pushes
        # and liveness find an AIC's sessions without a pass over every connection.
        self.by_aic: dict[str, set[ServedConnection]] = {}
        # Told when an authenticated session ends (its AIC), on the event loop.
        self.session_ended: list[Callable[[str], None]] = []
        self._buckets: dict[str, TokenBucket] = {}  # per session AIC [ARC-LIM-002]
        # Remembers used challenges longer than any proof could still be accepted [SES-HSK-005].
        self.replay = ReplayCache(
            self._handshake_timeout + 2 * DEFAULT_SKEW + timedelta(seconds=60)
        )
        self._purged = datetime.min.replace(tzinfo=UTC)
        # Told of every refused authentication: (code, the AIC the proof claimed, if any).
        self.refused: Callable[[int, object], None] | None = None

    async def start(
        self,
        aic: str,
        key: SigningKey,
        certificates: Sequence[str],
        trust_roots: Sequence[Any],
        *,
        tls: bool = False,
        peer_roots: Mapping[str, str] | None = None,
    ) -> None:
        """Bind and serve as ``aic`` (serverAuth ``certificates``: leaf PEM, then issuer).

        ``tls=True`` serves ``wss://`` in mTLS mode (spec Part 7 §7.4): the TLS handshake
        authenticates each client, and no in-band handshake runs.  ``peer_roots`` maps the
        node AIC of each federation peer to the SHA-256 (hex) of its domain's root, which is
        among ``trust_roots``: such a root admits that AIC only (see
        :class:`~aip.sessions.server.ServerConfig`); it needs the in-band handshake, so it
        cannot be combined with ``tls`` (``ValueError``).
        Raises ``OSError`` (e.g. the port is taken), ``ssl.SSLError`` for unusable TLS
        material; on failure nothing is left listening.
        """
        if tls and peer_roots:
            raise ValueError("federation peers need the in-band handshake, not mTLS mode")
        self.tls = None
        if tls:  # mTLS mode: clients are authenticated before the 101 [SES-TLS-006]
            self.tls = TlsAcceptor(
                key, certificates, trust_roots, revoked=self._revoked, now=self.now
            )
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._accept,
            self.host,
            self._requested_port,
            ssl=None if self.tls is None else self.tls.context,
        )
        # No await from here on: the first connection needs the config, which needs the port.
        self._config = ServerConfig(
            aic=aic,
            key=key,
            certificates=list(certificates),
            trust_roots=list(trust_roots),
            audiences=self.audiences,
            public_methods=self._public,
            handshake_timeout=self._handshake_timeout,
            revoked=self._revoked,
            peer_roots=dict(peer_roots or {}),
        )

    def _accept(self) -> Link:
        """A new TCP connection: its link and the connection state behind it."""
        connection = ServedConnection(self)
        # No compression is offered or accepted: small frames [ARC-WS-001]; larger than
        # max_frame_bytes: close 1009 [ARC-LIM-001].
        protocol = ServerProtocol(max_size=self.limits.max_frame_bytes, logger=logger)
        connection.link = Link(protocol, connection)
        self.served.add(connection)
        return connection.link

    @property
    def config(self) -> ServerConfig:
        """Who the server is (after :meth:`start`)."""
        assert self._config is not None
        return self._config

    async def stop(self) -> None:
        """Stop listening, close every connection (status 1001) and wait until they are gone
        (at most the closing handshake's timeout; stragglers are cut)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        # A connection whose TLS handshake never completed has no transport and needs no close.
        links = [c.link for c in self.served if c.link.transport is not None]
        for link in links:
            link.close(CloseCode.GOING_AWAY, "server shutting down")
        if links:
            waits = asyncio.gather(*(link.done.wait() for link in links))
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT + 1):
                    await waits
            except TimeoutError:
                for link in links:
                    link.abort()
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
        return "ws" if self.tls is None else "wss"

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
            connection
            for connection in self.live
            if connection.handshake is not None
            and connection.handshake.state is State.AUTHENTICATED
            and match(connection.handshake.caller)
        ]
        loop = asyncio.get_running_loop()
        for connection in ended:
            assert connection.handshake is not None
            connection.handshake.state = State.CLOSED  # nothing more is acted on, from now
            # The close goes out after the reply being sent (a handler may be ending its own
            # caller's session, e.g. a self-revocation).
            loop.call_soon(connection.end, Close(CloseCode.POLICY_VIOLATION, code))
        return len(ended)

    def authenticated(self, connection: ServedConnection, aic: str) -> None:
        """Index ``connection``, which just authenticated as ``aic``.  Called by the
        connection."""
        self.by_aic.setdefault(aic, set()).add(connection)

    def ended(self, connection: ServedConnection, aic: str) -> None:
        """Drop ``connection`` (authenticated as ``aic``) from the index, and tell
        :attr:`session_ended`.  Called by the connection when it closes."""
        held = self.by_aic.get(aic)
        if held is not None:
            held.discard(connection)
            if not held:
                del self.by_aic[aic]
        for listener in self.session_ended:
            listener(aic)

    def sessions_of(self, aic: str) -> list[ServedConnection]:
        """The connections with an authenticated session of ``aic`` open now."""
        return [
            c
            for c in self.by_aic.get(aic, ())
            if c.handshake is not None
            and c.handshake.state is State.AUTHENTICATED
            and c.link.is_open  # a closing session is no longer reachable
        ]

    def has_session(self, aic: str) -> bool:
        """Whether ``aic`` has an authenticated session that has not ended (closing counts
        until the connection is gone, when :attr:`session_ended` is told); the node's
        liveness counts it as alive (spec Part 8 §8.9)."""
        return any(
            c.handshake is not None and c.handshake.state is State.AUTHENTICATED
            for c in self.by_aic.get(aic, ())
        )

    async def push(
        self, aic: str, method: str, params: dict[str, Any] | None = None, *, timeout: float = 10.0
    ) -> Any:
        """Call ``method`` on the client authenticated as ``aic`` (its newest session) and
        return its result [SES-PSH-001].

        Raises PEER_NOT_CONNECTED when no session of ``aic`` is open, the client's error as
        :class:`AipError`, ``TimeoutError`` or ``ConnectionLost``.
        """
        sessions = self.sessions_of(aic)
        if not sessions:
            raise AipError(Code.PEER_NOT_CONNECTED, "no session of that AIC is open")
        newest = max(sessions, key=lambda c: c.sequence)
        return await newest.call(method, params, timeout)

    # --- receive path ------------------------------------------------------------------------

    def now(self) -> datetime:
        """The wall clock, in UTC (the listener's only clock)."""
        return datetime.now(UTC)

    def purge_replay(self, now: datetime) -> None:
        """Drop expired challenges, at most once a second (entries live minutes)."""
        if now - self._purged >= timedelta(seconds=1):
            self.replay.purge(now)
            self._purged = now

    def _bucket(self, handshake: ServerHandshake, own: TokenBucket, now: datetime) -> TokenBucket:
        """The session AIC's shared bucket once authenticated, the connection's before."""
        aic = handshake.session_aic
        if aic is None:
            return own
        bucket = self._buckets.get(aic)
        if bucket is None:
            bucket = self._buckets[aic] = self.new_bucket(now)
        return bucket

    def new_bucket(self, now: datetime) -> TokenBucket:
        """A fresh bucket with the listener's rate and burst [ARC-LIM-002]."""
        return TokenBucket(self.limits.requests_per_second, self.limits.request_burst, now)

    def handle_message(
        self, handshake: ServerHandshake, message: str, bucket: TokenBucket
    ) -> Outcome:
        """Answer one received text message on a connection in ``handshake``'s state.

        Returns the frames to send (in order), the call to pass to the method table, the
        answer to one of our requests, and the close to perform after them, if any.  Never
        raises on peer input: bad frames get the error reply of :mod:`aip.jsonrpc`
        [SES-HSK-006].
        """
        now = self.now()
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
        if isinstance(frame, Response):  # an answer to a request we pushed [ARC-WS-002]
            if handshake.state is not State.AUTHENTICATED:
                return Outcome([])  # we push only to authenticated sessions
            return Outcome([], answer=frame)
        if handshake.state is not State.AUTHENTICATED or now > _expiry(handshake):
            # Time may have run out since the connection's timer last fired: ask the table
            # (a tick on a live authenticated session is a no-op, so it is skipped).
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
                if frame.method == AUTHENTICATE and self.refused is not None:
                    self.refused(int(effect.error.code), _claimed_aic(frame.params))
            elif isinstance(effect, Pass):
                out.call = frame  # for the method table, after the frames above
            elif isinstance(effect, Close):
                out.close = effect
        return out

    def wait(self, handshake: ServerHandshake, now: datetime, last: datetime) -> float:
        """Seconds until the next tick: handshake timeout or certificate expiry, or idleness."""
        if handshake.state is State.AUTHENTICATED:
            assert handshake.session_expires is not None
            until = handshake.session_expires - now + timedelta(seconds=1)
        else:
            until = handshake.opened_at + handshake.config.handshake_timeout - now
        until = min(until, last + self.idle - now)
        return max(0.0, min(until.total_seconds(), 60.0))


@dataclass(slots=True)
class Outcome:
    """What one received message leads to: frames to send, a call for the method table, an
    answer to one of our own requests, or a close after the frames."""

    frames: list[bytes]
    close: Close | None = None
    call: Request | Notification | None = None
    answer: Response | None = None


_INPUTS = {HELLO: Input.HELLO, AUTHENTICATE: Input.AUTHENTICATE}


def _claimed_aic(params: object) -> object:
    """The AIC a refused ``session.authenticate`` proof claimed, if it has that shape."""
    proof = params.get("proof") if isinstance(params, dict) else None
    return proof.get("aic") if isinstance(proof, dict) else None


def _expiry(handshake: ServerHandshake) -> datetime:
    assert handshake.session_expires is not None  # set with the authenticated state
    return handshake.session_expires
