"""Federated discovery between domains over the wire (spec Part 8 §8.7; shell: sockets, clock).

A node configured with federation peers answers ``adp.discover`` from its own registry and
forwards the query to its peers with the pure core of :mod:`aip.discovery.forwarding`, then
merges what comes back.  :class:`Federation` is that shell; the node builds one at start and
hands every ``adp.discover`` call to :meth:`Federation.discover`.

Configuration
    A node's peers are :class:`Peer` entries ``(url, aic, root)``: the ``ws://`` (or
    ``wss://``) URL of the peer's discovery node, that node's AIC, and the trust root (PEM)
    of the peer's domain, from ``Node(..., peers=...)`` or ``aip node --peer
    URL=AIC=ROOTFILE`` (repeatable, see :meth:`Peer.parse`).  The peers' AICs, in
    configuration order, are the node's trusted forwarding servers: an entry node writes them
    to ``forwardTrustedServers`` [DSC-FWD-005] and forwards to them in that order
    [DSC-FWD-016].  Since every node a request reaches must
    be on the entry's list [DSC-FWD-010], a path A → B → C needs C among A's peers too.

Identity between nodes
    A node dials its peers as its own node AIC, with a clientAuth certificate its own CA issues
    over the node key (the key of its serverAuth certificate, which also signs its registry's
    ACS documents and its hop signatures).  :func:`ensure_node_client` keeps that certificate
    in the data directory, ``certs/node-client.pem``, like the operator's (issued on first
    start with peers, re-issued within the CA's renewal window or when revoked); the key is
    ``keys/node.key``.

Trust rule (who may open a session)
    The node's listener trusts its own root and the roots of its peers, but a peer's root
    vouches for that peer's node AIC only: a session whose chain ends in a peer's root is
    refused unless its AIC is that peer's, and a peer's AIC is refused unless its chain ends in
    that peer's root (-33503 CertificateChainInvalid, checked in the in-band handshake right
    after the chain is validated: :class:`~aip.sessions.server.ServerConfig` ``peer_roots``).
    An agent of a peer domain therefore never gets a session.  A peer node's session may call
    only the methods in :data:`PEER_METHODS` (the public ones aside); everything else, the
    registry desk and ``dsp.*`` included [DSC-SYN-022], answers -32009 AuthorizationFailed.
    Federation needs the in-band handshake: a node in mTLS mode cannot have peers.

Key rule (pinned hop keys) [DSC-FWD-013]
    Only configured peers have pinned keys; a hop naming any other AIC fails with 50805.  The
    key pinned for a peer is the Ed25519 key of a certificate for the peer's AIC that validates
    under the peer's configured root: for the caller's own hop, the key its session just proved
    (the trust rule guarantees it is under that root); for the other hops, the key of the
    server certificate proven by this node's own session to the peer, or else of the node
    certificate in the peer's ``node.info``, fetched once when a hop needs it and validated
    under the configured root (``usage`` serverAuth, AIC checked; a ``wss://`` peer, which
    serves authenticated sessions only, is dialled instead).  Keys are remembered for
    :data:`KEY_TTL_SECONDS`.  So in A → B → C, C checks A's hop only if A is one of C's peers.

Forwarding [DSC-FWD-014..020, 024]
    An entry request (no chain) is checked too (no signatures, a budget within its fan-out
    limit), gets the trusted list, is answered locally, and is forwarded per :func:`plan`; a
    forwarded request is first checked with :func:`check_incoming` (caller = the session
    AIC).  Each branch (connect if needed, then the call) is bounded by
    ``min(forwardEachTimeoutMs, what is left of forwardTotalTimeoutMs)``; a branch still
    pending then is a ``timeout`` route, a refused or unreachable one an ``error`` route
    (``metadata.code`` = the peer's code, or ``metadata.reason`` = ``unreachable`` /
    ``malformed``), and the answer merges what arrived.  A redirect answered by a peer is
    recorded, never followed [DSC-FWD-023].
    Results are merged per :func:`merge`; documents from peers are relayed as their registries
    signed them, for the client to verify with each domain's node key.  Sessions to peers are
    kept open and reused; :meth:`Federation.close` closes them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509

from aip._files import write_atomic
from aip.client.session import AgentIdentity, Session, connect, open_session
from aip.discovery.budget import branch_timeout_ms
from aip.discovery.forwarding import (
    Forwarding,
    branch,
    check_incoming,
    enter,
    merge,
    plan,
    read_forwarding,
    sign_hop,
)
from aip.discovery.query import Discover, read_request
from aip.errors import AicError, AipError, Code
from aip.identity.aic import parse_aic
from aip.identity.certificates import (
    MAX_SERIAL,
    Usage,
    certificate_der,
    certificate_pem,
    inspect_agent_certificate,
    load_certificates,
)
from aip.identity.chain import validate_chain
from aip.identity.keys import SigningKey, VerifyKey
from aip.jsonrpc import Caller, Handler
from aip.node.datadir import DataDir
from aip.node.peer_revocation import PeerRevocations
from aip.transport.link import ConnectionLost

__all__ = [
    "KEY_TTL_SECONDS",
    "PEER_METHODS",
    "Federation",
    "Peer",
    "ensure_node_client",
    "guard_methods",
]

logger = logging.getLogger("aip.node.federation")

KEY_TTL_SECONDS = 3600.0  # how long a fetched or proven peer key stays pinned
_UNTRACKED = -1  # the certificate serial of a key pinned from a caller (never listed)
PEER_METHODS = frozenset({"adp.discover", "node.info", "node.ping"})  # for peer node sessions
_CLIENT_CERT = Path("certs") / "node-client.pem"

LocalAnswer = Callable[[Discover], dict[str, Any]]


# ---------------------------------------------------------------- configuration


def _fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(certificate_der(cert)).hexdigest()


@dataclass(frozen=True, slots=True)
class Peer:
    """One federation peer: its node's URL and AIC, and its domain's trust root."""

    url: str
    aic: str
    root: x509.Certificate

    def __post_init__(self) -> None:
        if not self.url.startswith(("ws://", "wss://")):
            raise ValueError(f"a peer URL is ws:// or wss://, not {self.url!r}")
        try:
            canonical = str(parse_aic(self.aic))
        except AicError:
            raise ValueError(f"not an AIC: {self.aic!r}") from None
        if canonical != self.aic:
            raise ValueError(f"give the peer AIC in canonical form: {canonical}")
        try:
            ca = self.root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            ca = False
        if not ca or self.root.issuer != self.root.subject:
            raise ValueError("a peer root is a self-issued CA certificate")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the root's DER, lowercase hex (the listener's ``peer_roots`` value)."""
        return _fingerprint(self.root)

    @classmethod
    def parse(cls, text: str) -> Peer:
        """``URL=AIC=ROOTFILE`` as given to ``aip node --peer``; the file holds one PEM root.

        The AIC (which never holds ``=``) splits the text, so the URL and the file name may.
        Raises ``ValueError`` for a malformed entry, ``OSError`` for an unreadable file.
        """
        parts = text.split("=")
        for i in range(1, len(parts) - 1):
            try:
                aic = str(parse_aic(parts[i]))
            except AicError:
                continue
            url, path = "=".join(parts[:i]), "=".join(parts[i + 1 :])
            try:
                roots = load_certificates(Path(path).read_bytes())
            except AipError as exc:
                raise ValueError(f"{path}: {exc.message}") from None
            if len(roots) != 1:
                raise ValueError(f"{path}: give exactly one root certificate")
            return cls(url, aic, roots[0])
        raise ValueError("a peer is given as ws://HOST:PORT=AIC=ROOTFILE")


def ensure_node_client(data: DataDir, now: datetime) -> list[str]:
    """The node's clientAuth chain for its own AIC (leaf PEM, then intermediate PEM).

    Kept in ``certs/node-client.pem`` and issued by the node's CA over the node key: issued
    when missing, for another key or AIC, revoked, or within the CA's renewal window; the CA
    state is saved before the file is written.  Call at start, before the listener runs.
    Raises ``OSError``.
    """
    identity = data.identity
    ca, aic, key = identity.ca, str(identity.aic), identity.key
    path = data.path / _CLIENT_CERT
    window = timedelta(days=ca.state.renewal_window_days)
    if path.exists():
        chain = load_certificates(path.read_bytes())
        info = inspect_agent_certificate(chain[0])
        if (
            info.aic == aic
            and info.key == key.verify_key
            and info.usage is Usage.CLIENT
            and info.serial not in ca.state.revoked
            and now < info.not_after - window
        ):
            return [certificate_pem(c).decode("ascii") for c in chain]
    cert = ca.issue(aic, key.verify_key, Usage.CLIENT, now, secrets.randbelow(MAX_SERIAL) + 1)
    data.save_ca_state()
    pem = certificate_pem(cert) + ca.chain_pem()
    write_atomic(path, pem)
    return [certificate_pem(cert).decode("ascii"), ca.chain_pem().decode("ascii")]


def _peer_guard(handler: Handler, peers: frozenset[str]) -> Handler:
    def guarded(params: dict[str, Any], caller: Caller) -> Any:
        if caller.aic in peers:
            raise AipError(Code.AUTHORIZATION_FAILED, "federation peers may only discover")
        return handler(params, caller)

    return guarded


def guard_methods(
    methods: dict[str, Handler], public: frozenset[str], federation: Federation
) -> None:
    """Make every method but the public ones and :data:`PEER_METHODS` refuse the sessions of
    ``federation``'s peers with -32009 AuthorizationFailed (trust rule; [DSC-SYN-022] for
    ``dsp.*``).  Call once the table is complete, before the listener starts."""
    if not federation.peers:
        return
    peers = frozenset(federation.peers)
    for name, handler in list(methods.items()):
        if name not in PEER_METHODS and name not in public:
            methods[name] = _peer_guard(handler, peers)


# ---------------------------------------------------------------- the shell


def _ms_since(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


class Federation:
    """Discovery with forwarding for one node; see the module docstring for the rules.

    ``peers`` in preference order; ``own_aic`` and ``key`` are the node's; ``client_chain`` is
    what :func:`ensure_node_client` returned (may be empty with no peers).  ``ValueError`` for
    a peer listed twice or a peer that is this node.
    """

    def __init__(
        self,
        peers: Sequence[Peer],
        *,
        own_aic: str,
        key: SigningKey,
        client_chain: Sequence[str] = (),
    ) -> None:
        self.peers: dict[str, Peer] = {}
        for peer in peers:
            if peer.aic in self.peers or peer.aic == own_aic:
                raise ValueError(f"peer {peer.aic} is listed twice or is this node")
            self.peers[peer.aic] = peer
        self.own_aic = own_aic
        self._key = key
        self._chain = list(client_chain)
        self._sessions: dict[str, Session] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._keys: dict[str, tuple[VerifyKey, float, int]] = {}  # key, until, cert serial
        self._closing: set[asyncio.Task[None]] = set()  # sessions dropped for a revocation
        # The peers' revocation lists [DSC-FWD-029]: refused sessions, unpinned keys.
        self.revocations = PeerRevocations(self.peers, self._session)

    # --- facts for the listener ----------------------------------------------------------------

    def peer_roots(self, own_root: x509.Certificate) -> dict[str, str]:
        """Peer AIC -> its root's fingerprint, for the listener's trust rule; a peer of this
        node's own domain (same root) needs no rule and is left out."""
        own = _fingerprint(own_root)
        return {a: p.fingerprint for a, p in self.peers.items() if p.fingerprint != own}

    def trust_roots(self, own_root: x509.Certificate) -> list[x509.Certificate]:
        """The listener's trust roots: this node's own, then each distinct peer root."""
        roots = {_fingerprint(own_root): own_root}
        for peer in self.peers.values():
            roots.setdefault(peer.fingerprint, peer.root)
        return list(roots.values())

    def identity_for(self, peer: Peer) -> AgentIdentity:
        """Who this node is when it dials ``peer``: its AIC, key and clientAuth chain, trusting
        the peer's root only."""
        return AgentIdentity(self.own_aic, self._key, self._chain, [peer.root])

    # --- adp.discover ----------------------------------------------------------------------------

    async def discover(self, params: Any, caller: Caller, local: LocalAnswer) -> dict[str, Any]:
        """Answer one ``adp.discover`` call: check it, answer locally, forward, merge.

        Raises the request's first refusal: 40002, 40003, 40005, -32602
        (:func:`read_forwarding`); -32602, 40004, 40001 (:func:`read_request`); 50801..50805
        (:func:`check_incoming`).
        A failing branch never fails the call [DSC-FWD-024].
        """
        started = time.monotonic()
        # the forwarding members first, in the order of [DSC-FWD-004], then the rest
        fwd = read_forwarding(params, new_request_id=f"req-{secrets.token_hex(12)}")
        request = read_request(params)  # [DSC-ADP-001..004]
        await self._check(params, fwd, caller, started)  # [DSC-FWD-006]
        if fwd.is_entry:
            fwd = enter(fwd, trusted=list(self.peers))  # [DSC-FWD-005]
        answer = local(request)
        elapsed = _ms_since(started)
        targets = plan(fwd, list(self.peers), own_aic=self.own_aic, elapsed_ms=elapsed)
        if not targets:  # [DSC-FWD-016] [DSC-FWD-017]
            return answer
        out = sign_hop(params, fwd, own_aic=self.own_aic, key=self._key, elapsed_ms=elapsed)
        wait_ms = branch_timeout_ms(fwd.total_timeout_ms, fwd.each_timeout_ms, elapsed)
        branches = await asyncio.gather(
            *(
                self._branch(self.peers[aic], [*fwd.chain, self.own_aic], branch(out, budget),
                             wait_ms)
                for aic, budget in targets
            )
        )  # fmt: skip
        return merge(answer, branches, limit=request.limit)  # [DSC-FWD-018..020]

    async def _check(
        self, params: Mapping[str, Any], fwd: Forwarding, caller: Caller, started: float
    ) -> None:
        """:func:`check_incoming` with this node's pinned keys, fetching the missing ones of
        configured peers once the cheaper checks passed."""
        missing: list[str] = []

        def pinned(aic: str) -> VerifyKey | None:
            if aic not in self.peers:  # only configured peers are pinned [DSC-FWD-013]
                return None
            if aic == caller.aic and caller.key is not None:
                # proven just now, under the peer's root and not on its list; the session's
                # certificate serial is not at hand, so this key is not unpinned by a later list
                self._remember(aic, caller.key, _UNTRACKED)
                return caller.key
            key = self._known(aic)
            if key is None:
                missing.append(aic)
            return key

        def run() -> None:
            check_incoming(params, fwd, own_aic=self.own_aic, caller_aic=caller.aic, keys=pinned)

        try:
            run()
            return
        except AipError as exc:
            if exc.code is not Code.FORWARD_SIGNATURE_INVALID or not missing:
                raise
        wanted = [a for a in dict.fromkeys(fwd.chain) if a in self.peers and not self._known(a)]
        left = branch_timeout_ms(fwd.total_timeout_ms, fwd.each_timeout_ms, _ms_since(started))
        await asyncio.gather(*(self._fetch_key(self.peers[a], left) for a in wanted))
        run()

    async def _branch(
        self, peer: Peer, route: list[str], request: dict[str, Any], wait_ms: int
    ) -> dict[str, Any]:
        """One branch: its merge input ``{forwardChain, status, durationMs, result | error |
        metadata}``; never raises [DSC-FWD-017] [DSC-FWD-024]."""
        started = time.monotonic()
        out: dict[str, Any] = {"forwardChain": [*route, peer.aic]}
        try:
            async with asyncio.timeout(wait_ms / 1000):
                session = await self._session(peer, wait_ms / 1000)
                result = await session.call("adp.discover", request, timeout=wait_ms / 1000)
        except TimeoutError:
            out["status"] = "timeout"
        except (ConnectionLost, OSError):
            self._sessions.pop(peer.aic, None)
            out.update(status="error", metadata={"reason": "unreachable"})
        except AipError as exc:  # the peer refused, or refused us; a redirect too [DSC-FWD-023]
            out.update(status="error", error={"code": int(exc.code)})
        else:
            if isinstance(result, dict):
                out.update(status="ok", result=result)
            else:
                out.update(status="error", metadata={"reason": "malformed"})
        out["durationMs"] = _ms_since(started)
        return out

    # --- sessions and keys -----------------------------------------------------------------

    async def _session(self, peer: Peer, timeout: float) -> Session:
        """The open session to ``peer``, dialled (as this node) if there is none."""
        session = self._sessions.get(peer.aic)
        if session is not None and session.is_open:
            return session
        async with self._locks.setdefault(peer.aic, asyncio.Lock()):
            session = self._sessions.get(peer.aic)
            if session is not None and session.is_open:
                return session
            session = await connect(peer.url, self.identity_for(peer), peer.aic, timeout=timeout)
            assert session.server is not None  # connect proved it
            if self.revocations.revoked(session.server.serial):  # [DSC-FWD-029]
                await session.close()
                raise AipError(Code.CERTIFICATE_REVOKED, "the peer's certificate is revoked")
            self._sessions[peer.aic] = session
            self._remember(peer.aic, session.server.key, session.server.serial)
            return session

    def _remember(self, aic: str, key: VerifyKey, serial: int) -> None:
        self._keys[aic] = (key, time.monotonic() + KEY_TTL_SECONDS, serial)

    def _known(self, aic: str) -> VerifyKey | None:
        """The key pinned for ``aic``, unless expired or its certificate is now listed by the
        peer [DSC-FWD-029] (then the session it came from is dropped too)."""
        held = self._keys.get(aic)
        if held is None or held[1] < time.monotonic():
            return None
        if self.revocations.revoked(held[2]):
            del self._keys[aic]
            session = self._sessions.pop(aic, None)
            if session is not None:  # closed in the background; close() waits for it
                closing = asyncio.get_running_loop().create_task(session.close())
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
            return None
        return held[0]

    async def _fetch_key(self, peer: Peer, wait_ms: int) -> None:
        """Pin ``peer``'s key from the node certificate in its ``node.info``, validated under
        its configured root for its AIC; a failure leaves it unpinned (the hop then fails
        with 50805)."""
        timeout = max(wait_ms, 1) / 1000
        try:
            async with asyncio.timeout(timeout):
                if peer.url.startswith("wss://"):  # mTLS peers answer authenticated sessions only
                    await self._session(peer, timeout)
                    return
                session = await open_session(peer.url, timeout=timeout)
                async with session:
                    info = await session.call("node.info", timeout=timeout)
            chain = load_certificates(str(info["nodeCertificate"]))
            agent = validate_chain(
                chain[0], chain[1:], [peer.root], now=datetime.now(UTC), usage=Usage.SERVER,
                revocation=self.revocations.fresh_list(peer.aic),  # [DSC-FWD-029]
            )
        except (AipError, OSError, TimeoutError, KeyError, TypeError, IndexError) as exc:
            logger.info("no key for peer %s: %r", peer.aic, exc)
            return
        if agent.aic == peer.aic and not self.revocations.revoked(agent.serial):
            self._remember(peer.aic, agent.key, agent.serial)

    async def close(self) -> None:
        """Stop refreshing revocation lists; close every session to a peer (each bounded by
        the closing handshake's timeout)."""
        await self.revocations.close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
