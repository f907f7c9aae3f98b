"""The local discovery node over WebSockets (shell: sockets, event loop, files).

Start one with ``async with Node(data_dir, port=0) as node: ...`` (or :meth:`Node.start` /
:meth:`Node.stop`), or run :func:`serve` until cancelled.  The node is its data directory (CA,
identity, operator), a :class:`~aip.transport.listener.SessionListener` that authenticates every
connection (spec Part 7), and its methods: ``node.info``, ``node.ping`` (the signed echo of
Part 7 §7.6), and the registration desk of :mod:`aip.node.atr` (``atr.enroll``,
``atr.issueToken`` for the operator, ``atr.renew``, ``atr.revoke``, ``atr.revocationList``).
With federation ``peers`` it forwards ``adp.discover`` to them (:mod:`aip.node.federation`).
With ``stale_after`` discovery leaves out entities without a recent heartbeat or session
(:mod:`aip.node.liveness`, spec Part 8 §8.9).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import Any

from aip.audit.note import parse_vkey
from aip.discovery.feed import SqliteFeed
from aip.discovery.service import Registry
from aip.identity.certificates import load_certificates
from aip.jsonrpc import Caller, Handler, expect_params
from aip.node.atr import (
    ENROLL,
    ISSUE_TOKEN,
    RENEW,
    REVOCATION_LIST,
    REVOKE,
    Enrollment,
    require_loopback,
)
from aip.node.audit import PUBLIC as AUDIT_PUBLIC
from aip.node.audit import AuditDesk, WitnessTarget
from aip.node.audit_events import audited
from aip.node.datadir import DataDir, NodeIdentity
from aip.node.discovery import METHODS as REGISTRY_METHODS
from aip.node.discovery import PUBLIC as REGISTRY_PUBLIC
from aip.node.discovery import RegistryMethods, TokenBatch, open_registry
from aip.node.federation import Federation, Peer, ensure_node_client, guard_methods
from aip.node.liveness import METHODS as LIVENESS_METHODS
from aip.node.liveness import LivenessDesk, check_stale_after
from aip.node.operator import ensure_operator
from aip.node.peer_revocation import DEFAULT_INTERVAL as PEER_REVOCATION_INTERVAL
from aip.node.sync import METHODS as SYNC_METHODS
from aip.node.sync import SyncDesk
from aip.sessions.binding import SignedMethod, message_ids
from aip.sessions.proofs import certificate_list
from aip.sessions.server import AUTHENTICATE, HELLO
from aip.transport.listener import Limits, SessionListener

__all__ = ["PROTOCOL_VERSION", "Node", "NodeLimits", "serve"]

PROTOCOL_VERSION = "0.1"
logger = logging.getLogger("aip.node")


def _aip_version() -> str:
    try:
        return metadata.version("aip")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


NodeLimits = Limits  # the node's limits are its listener's


class Node:
    """One node process: a data directory and a WebSocket listener answering JSON-RPC.

    ``port=0`` lets the OS pick a free port; read :attr:`port` / :attr:`url` after
    :meth:`start`.  ``domain`` is used only when the data directory is created.  ``tls=True``
    serves ``wss://`` in mTLS mode (spec Part 7 §7.4) with the node's serverAuth certificate.
    ``peers`` are the federation peers discovery forwards to, in preference order (see
    :mod:`aip.node.federation`); they need the in-band handshake, so not with ``tls``
    (``ValueError``); their revocation lists are fetched at start and every
    ``peer_revocation_interval`` seconds.  ``stale_after`` (seconds, 0 for off) turns liveness
    on: discovery then lists an entity only while it shows signs of life (spec Part 8 §8.9);
    ``liveness_clock`` is the time liveness reads (default: the wall clock; tests pass their
    own).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        domain: str | None = None,
        limits: NodeLimits | None = None,
        public_urls: Sequence[str] = (),
        dev_mode: bool = False,
        tls: bool = False,
        witness_logs: Sequence[str] = (),
        witnesses: Sequence[str] = (),
        audit_interval: float = 1.0,
        peers: Sequence[Peer] = (),
        stale_after: float = 0.0,
        liveness_clock: Callable[[], datetime] | None = None,
        peer_revocation_interval: float = PEER_REVOCATION_INTERVAL,
    ) -> None:
        if tls and peers:
            raise ValueError("federation peers need the in-band handshake, not mTLS mode")
        if dev_mode:  # tokenless enrollment for local agents only [IDN-ENR-009]
            require_loopback(host, public_urls)
        self.dev_mode = dev_mode
        self.tls = tls  # serve wss:// in mTLS mode, spec Part 7 §7.4
        self.data_path = Path(data_dir)
        self.host = host
        self.limits = limits or NodeLimits()
        self._requested_port = port
        self._domain = domain
        self._data: DataDir | None = None
        self._methods: dict[str, Handler] = {"node.info": self._node_info}
        self._info: dict[str, Any] = {}
        self.operator_aic: str | None = None
        # Parsed here, so that a bad vkey or witness stops the node before it opens anything.
        self._witness_logs = [parse_vkey(v) for v in witness_logs]
        self._witnesses = [WitnessTarget.parse(w) for w in witnesses]
        if audit_interval <= 0:
            raise ValueError("audit_interval must be positive")
        self._audit_interval = audit_interval
        self._audit: AuditDesk | None = None
        self._registry: Registry | None = None
        self._feed: SqliteFeed | None = None
        self._sync: SyncDesk | None = None
        self._peers = list(peers)
        self._peer_revocation_interval = peer_revocation_interval
        self._federation: Federation | None = None
        self._stale_after = check_stale_after(stale_after)  # [DSC-LIV-006] 0: off
        self._liveness_clock = liveness_clock or _now
        self.liveness: LivenessDesk | None = None  # after start: heartbeats, the predicate
        # [ARC-AUTH-001]; atr.enroll is authenticated by its one-time token, and the
        # revocation list is published to anyone [IDN-REV-014]
        # and the transparency log's proofs and witness cosigning [AUD-API-001]
        self._public = (
            frozenset({"node.info", ENROLL, REVOCATION_LIST}) | AUDIT_PUBLIC | REGISTRY_PUBLIC
        )
        self._listener = SessionListener(
            host=host,
            port=port,
            methods=self._methods,
            public_methods=self._public,
            limits=self.limits,
            revoked=self._is_revoked,
            public_urls=public_urls,
        )

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the data directory, then listen.

        Raises :class:`~aip.node.datadir.DataDirError` or ``OSError`` (e.g. the port is taken);
        on failure nothing is left open.  Raises ``RuntimeError`` if already started.
        """
        if self._data is not None:
            raise RuntimeError("the node is already started")
        # File I/O and fsyncs run off the event loop.
        data = await asyncio.to_thread(DataDir.open, self.data_path, domain=self._domain)
        audit: AuditDesk | None = None
        registry: Registry | None = None
        feed: SqliteFeed | None = None
        sync: SyncDesk | None = None
        federation: Federation | None = None
        try:
            identity = data.identity
            self.operator_aic = await asyncio.to_thread(ensure_operator, data, _now())
            federation = await self._open_federation(data)
            audit = await AuditDesk.open(
                data.path / "audit.sqlite3",
                domain=identity.domain,
                aic=str(identity.aic),
                key=identity.key,
                operator=self.operator_aic,
                witness_logs=self._witness_logs,
                witnesses=self._witnesses,
                interval=self._audit_interval,
                clock=_now,
            )
            self._methods.update(audit.methods())
            # the grace period of never-seen entities starts now [DSC-LIV-004]
            liveness = LivenessDesk(
                self._stale_after, self._liveness_clock, self._listener.has_session
            )
            self._listener.session_ended.append(liveness.session_ended)
            self._info = {
                "protocol": "aip",
                "protocolVersion": PROTOCOL_VERSION,
                "implementation": {"name": "aip", "version": _aip_version()},
                "nodeAic": str(identity.aic),
                "domain": identity.domain,
                "trustBundle": [identity.trust_bundle_pem],
                "nodeCertificate": identity.certificate_chain_pem,
                "limits": self.limits.to_wire(),
                "transport": {"tls": self.tls},  # [SES-TLS-009]
                "features": {  # [IDN-ENR-009] [AUD-API-002]
                    "devEnrollment": self.dev_mode,
                    "auditLog": True,
                    "witness": bool(self._witness_logs),
                    "discovery": True,
                    "sync": True,
                    "liveness": liveness.enabled,  # [DSC-LIV-007]
                    "federation": bool(self._peers),  # [DSC-FWD-028]
                },
                "audit": audit.info(),
                "liveness": liveness.info(),
                "federation": {"peers": [peer.aic for peer in self._peers]},
                "methods": sorted(
                    {*self._methods, ENROLL, ISSUE_TOKEN, RENEW, REVOKE, REVOCATION_LIST}
                    | {PING, HELLO, AUTHENTICATE}
                    | REGISTRY_METHODS
                    | SYNC_METHODS
                    | LIVENESS_METHODS
                ),
            }
            self.enrollment = Enrollment(
                data,
                self.operator_aic,
                _now,
                dev_mode=self.dev_mode,
                end_sessions=self._listener.end_sessions,
            )
            for name, handler in (  # every registration decision is on the record [AUD-EVT-001]
                (ENROLL, self.enrollment.enroll),
                (ISSUE_TOKEN, self.enrollment.issue_token_call),
                (RENEW, self.enrollment.renew),
                (REVOKE, self.enrollment.revoke),
            ):
                self._methods[name] = audited(name, handler, audit.emit)
            self._listener.refused = audit.authentication_failed  # [AUD-EVT-003]
            salt = bytes.fromhex((data.path / "keys" / "registry.salt").read_text().strip())
            registry = await open_registry(
                data.path / "registry.sqlite3",
                node_aic=identity.aic,
                key=identity.key,
                salt=salt,
                operator=self.operator_aic,
                emit=audit.emit,
                token_for=TokenBatch(self.enrollment.issue_tokens).token_for,
                dev_mode=self.dev_mode,
                clock=_now,
                alive=liveness.predicate,
            )
            self._methods.update(RegistryMethods(registry, federation).table())
            liveness.install(self._methods)  # atr.heartbeat
            feed = await asyncio.to_thread(SqliteFeed, data.path / "registry.sqlite3", clock=_now)
            # [DSC-SYN-022] every authenticated caller is of this domain, but for federation
            # peers, whom the peer guard below refuses (-32009)
            sync = SyncDesk(
                feed,
                registry,
                allowed=lambda caller: caller.aic is not None,
                max_bytes=self.limits.max_frame_bytes * 3 // 4,  # room for the frame around
            )
            self._methods.update(sync.methods())
            self._methods[REVOCATION_LIST] = self.enrollment.revocation_list
            self._methods[PING] = SignedMethod(
                _pong, str(identity.aic), identity.key, _now, message_ids(secrets.token_hex(8))
            )
            root = identity.ca.root_certificate
            guard_methods(self._methods, self._public, federation)  # peers only discover
            await self._listener.start(
                str(identity.aic),
                identity.key,
                certificate_list(load_certificates(identity.certificate_chain_pem)),
                federation.trust_roots(root),
                tls=self.tls,
                peer_roots=federation.peer_roots(root),
            )
        except BaseException:
            await self._listener.stop()
            if federation is not None:
                await federation.close()
            if sync is not None:
                await sync.close()
            if feed is not None:
                feed.close()
            if registry is not None:
                await registry.close()
            if audit is not None:
                await audit.close()
            data.close()
            raise
        self._data, self._audit, self._registry = data, audit, registry
        self._feed, self._sync = feed, sync
        self._federation, self.liveness = federation, liveness

    async def _open_federation(self, data: DataDir) -> Federation:
        """The federation shell; with peers, the node's clientAuth chain to dial them as itself."""
        chain: list[str] = []
        if self._peers:
            chain = await asyncio.to_thread(ensure_node_client, data, _now())
        identity = data.identity
        federation = Federation(self._peers, own_aic=str(identity.aic), key=identity.key,
                                client_chain=chain)  # fmt: skip
        federation.revocations.start(self._peer_revocation_interval)  # [DSC-FWD-029]
        return federation

    async def stop(self) -> None:
        """Close every connection (status 1001), stop listening, close the data directory."""
        await self._listener.stop()
        federation, self._federation = self._federation, None
        if federation is not None:  # our sessions to peers
            await federation.close()
        sync, self._sync = self._sync, None
        if sync is not None:  # answers the long polls still waiting
            await sync.close()
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()
        registry, self._registry = self._registry, None
        if registry is not None:  # before the audit desk: its changes are audited
            await registry.close()
        audit, self._audit = self._audit, None
        if audit is not None:  # after the listener: no new events; waits for those in flight
            await audit.close()
        data, self._data = self._data, None
        if data is not None:
            data.close()

    async def __aenter__(self) -> Node:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # --- facts -------------------------------------------------------------------------------

    @property
    def data(self) -> DataDir:
        """The open data directory.  Raises ``RuntimeError`` before :meth:`start`."""
        if self._data is None:
            raise RuntimeError("the node is not started")
        return self._data

    @property
    def identity(self) -> NodeIdentity:
        """Who the node is (after :meth:`start`)."""
        return self.data.identity

    @property
    def port(self) -> int:
        """The TCP port actually bound.  Raises ``RuntimeError`` before :meth:`start`."""
        return self._listener.port

    @property
    def url(self) -> str:
        """``ws://host:port`` (``wss://`` with ``tls``) clients connect to (IPv6 in brackets)."""
        return self._listener.url

    @property
    def audit(self) -> AuditDesk:
        """The node's audit desk (after :meth:`start`)."""
        if self._audit is None:
            raise RuntimeError("the node is not started")
        return self._audit

    @property
    def federation(self) -> Federation:
        """The node's federation shell: its peers, and whom it dials them as (after
        :meth:`start`)."""
        if self._federation is None:
            raise RuntimeError("the node is not started")
        return self._federation

    @property
    def listener(self) -> SessionListener:
        """The node's listener (e.g. for :func:`aip.client.memory.connect_memory` in tests)."""
        return self._listener

    async def push(
        self, aic: str, method: str, params: dict[str, Any] | None = None, *, timeout: float = 10.0
    ) -> Any:
        """Call ``method`` on the agent ``aic`` over its session with this node; see
        :meth:`~aip.transport.listener.SessionListener.push` for what it raises."""
        return await self._listener.push(aic, method, params, timeout=timeout)

    # --- methods -----------------------------------------------------------------------------

    def _is_revoked(self, serial: int) -> bool:
        """Live revocation status from the node's own CA [SES-PRF-003], and from the peers'
        latest revocation lists [DSC-FWD-029]."""
        if self._data is not None and serial in self._data.identity.ca.state.revoked:
            return True
        return self._federation is not None and self._federation.revocations.revoked(serial)

    def _node_info(self, params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        """``node.info``: who this node is and what it enforces [ARC-NODE-001]."""
        expect_params(params)
        return self._info


async def serve(
    host: str,
    port: int,
    data_dir: str | os.PathLike[str],
    *,
    ready: Callable[[Node], None] | None = None,
) -> None:
    """Run a node until cancelled; ``ready(node)`` is called once it listens.

    Raises like :meth:`Node.start`.  The node is stopped cleanly on cancellation.
    """
    async with Node(data_dir, host=host, port=port) as node:
        if ready is not None:
            ready(node)
        await asyncio.Future()


def _now() -> datetime:
    return datetime.now(UTC)


PING = "node.ping"


def _pong(message: dict[str, Any], _caller: Caller) -> dict[str, Any]:
    """``node.ping``: the signed echo of Part 7 §7.6 [SES-BND-005]; echoes ``dataItems``."""
    body: dict[str, Any] = {"type": "aip.pong"}
    if "dataItems" in message:
        body["dataItems"] = message["dataItems"]
    return body
