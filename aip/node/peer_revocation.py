"""The revocation lists of a node's federation peers (spec Part 8 §8.7, DSC-FWD-029; shell:
sockets, clock).

A node trusts each peer's root for that peer's node AIC only (DSC-FWD-025), so a peer domain's
revocations matter for exactly that: the peer node's certificates.  :class:`PeerRevocations`
fetches each peer's ``atr.revocationList``, verifies it against the peer's issuing CA (the
issuer in the peer's ``node.info`` chain, validated under the configured root) and never takes
a list older than one already held (Part 6, [IDN-REV-009]).  The node then:

* refuses a peer session whose certificate a held list names (the listener's ``revoked``
  check: :meth:`PeerRevocations.revoked`), with -33506 CertificateRevoked;
* validates a peer's ``node.info`` certificate against the peer's list before pinning its key;
* drops a session it dialled, and the key it pinned from it, when the peer's server
  certificate is listed.

Refresh at start and then every ``interval`` seconds (:meth:`PeerRevocations.start`); a peer
that cannot be reached or answers a bad list keeps its previous list, and the failure is
logged.  A list past its ``nextUpdate`` stays in force for refusals (a revocation never
expires), but is not handed to chain validation, which would refuse it as stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aip.client.lifecycle import fetch_revocation_list
from aip.client.session import Session, open_session
from aip.errors import AipError
from aip.identity.certificates import Usage, load_certificates
from aip.identity.chain import validate_chain
from aip.identity.revocation import RevocationList, verify_crl
from aip.transport.link import ConnectionLost

if TYPE_CHECKING:
    from aip.node.federation import Peer

__all__ = ["DEFAULT_INTERVAL", "PeerRevocations"]

DEFAULT_INTERVAL = 300.0  # seconds between refreshes [DSC-FWD-029]: at most ten minutes
logger = logging.getLogger(__name__)

Dial = Callable[["Peer", float], Awaitable[Session]]


class PeerRevocations:
    """The latest verified revocation list of each peer.

    ``dial`` opens (or returns) an authenticated session to a peer, for ``wss://`` peers,
    which answer nothing before authentication; ``ws://`` peers are asked on a plain session.
    ``clock`` gives the time lists are checked at.
    """

    def __init__(
        self,
        peers: Mapping[str, Peer],
        dial: Dial,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._peers = peers
        self._dial = dial
        self._clock = clock
        self._lists: dict[str, RevocationList] = {}
        self._task: asyncio.Task[None] | None = None

    def revoked(self, serial: int) -> bool:
        """Whether a held peer list names ``serial`` (serials are random, 64 bits or more, so
        one domain's never stands for another's)."""
        return any(serial in held.entries for held in self._lists.values())

    def fresh_list(self, aic: str) -> RevocationList | None:
        """Peer ``aic``'s list while it is fresh, for chain validation; None otherwise."""
        held = self._lists.get(aic)
        now = self._clock()
        if held is None or not held.this_update <= now <= held.next_update:
            return None
        return held

    async def refresh(self, timeout: float = 10.0) -> dict[str, bool]:
        """Fetch and verify every peer's list now; peer AIC -> whether a list was taken."""
        peers = list(self._peers.values())
        taken = await asyncio.gather(*(self._refresh(peer, timeout) for peer in peers))
        return {peer.aic: ok for peer, ok in zip(peers, taken, strict=True)}

    async def _refresh(self, peer: Peer, timeout: float) -> bool:
        try:
            async with asyncio.timeout(timeout):
                if peer.url.startswith("wss://"):
                    session = await self._dial(peer, timeout)
                    info, pem = await _ask(session, timeout)
                else:
                    async with await open_session(peer.url, timeout=timeout) as plain:
                        info, pem = await _ask(plain, timeout)
            chain = load_certificates(str(info["nodeCertificate"]))
            now = self._clock()
            # the issuer of the peer's node certificate, under the peer's configured root
            validate_chain(chain[0], chain[1:], [peer.root], now=now, usage=Usage.SERVER)
            held = self._lists.get(peer.aic)
            found = verify_crl(pem, chain[1], now, min_number=None if held is None else held.number)
        except (AipError, OSError, TimeoutError, ConnectionLost, KeyError, TypeError,
                IndexError) as exc:  # fmt: skip
            logger.warning("revocation list of peer %s not taken: %r", peer.aic, exc)
            return False
        self._lists[peer.aic] = found
        return True

    def start(self, interval: float = DEFAULT_INTERVAL) -> None:
        """Refresh now and then every ``interval`` seconds, until :meth:`close`."""
        if self._task is None and self._peers:
            self._task = asyncio.get_running_loop().create_task(self._run(interval))

    async def _run(self, interval: float) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(interval)

    async def close(self) -> None:
        """Stop refreshing."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _ask(session: Session, timeout: float) -> tuple[dict[str, object], str]:
    """The peer's ``node.info`` and its revocation list (PEM)."""
    info = await session.call("node.info", timeout=timeout)
    if not isinstance(info, dict):
        raise TypeError("node.info is not an object")
    return info, await fetch_revocation_list(session, timeout=timeout)
