"""The registry's DSP methods on the node's WebSocket (spec Part 8 §8.8, DSC-SYN).

Build them with :func:`sync_methods` (or :class:`SyncDesk`, which can also be closed) over a
:class:`~aip.discovery.feed.SqliteFeed` on the registry's file, and put them in the node's
method table next to the registry's.  Methods (params → result; each one refused with -32008
on an unauthenticated session and -32009 for a caller ``allowed`` rejects [DSC-SYN-022]):

* ``dsp.info {}`` → types, limits, ``headSeq`` and ``minSince`` [DSC-SYN-020];
* ``dsp.snapshot {types?, chunkSize?}`` → chunk 0 of a new snapshot [DSC-SYN-015];
* ``dsp.chunk {snapshotId, index}`` → that chunk, or -33807 [DSC-SYN-017];
* ``dsp.changes {since, limit?, waitMs?}`` → ``{changes, nextSeq}``, or -33806 with
  ``{minSince, headSeq}`` [DSC-SYN-011]; with nothing after ``since`` it waits up to ``waitMs``
  for the registry's next committed write (a long poll) [DSC-SYN-014].

Params are checked by the parsers of :mod:`aip.discovery.sync` (-32602 [DSC-SYN-001]).  Feed
calls run on worker threads, so a snapshot of a large registry never stalls the event loop.
Retention is applied here: after a committed write or a call, at most once per
``prune_every_s`` seconds, :meth:`SqliteFeed.prune` runs on a worker thread [DSC-SYN-010].
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from aip.codec import dumps
from aip.discovery.feed import SqliteFeed
from aip.discovery.service import Registry
from aip.discovery.sync import (
    Change,
    encode_changes_result,
    parse_changes_params,
    parse_chunk_params,
    parse_info_params,
    parse_snapshot_params,
)
from aip.errors import Code, DiscoveryError
from aip.jsonrpc import Caller, Handler

__all__ = ["METHODS", "SyncDesk", "sync_methods"]

METHODS = frozenset({"dsp.info", "dsp.snapshot", "dsp.chunk", "dsp.changes"})
logger = logging.getLogger("aip.node.sync")


class SyncDesk:
    """The ``dsp.*`` handlers of one node.  Create inside the running event loop; it listens to
    ``registry.committed`` until :meth:`close`.

    ``allowed(caller)`` decides who may synchronise (an authenticated caller; the node passes
    "a discovery node of its own domain").  :attr:`waiting` counts the long polls waiting now.
    """

    def __init__(
        self,
        feed: SqliteFeed,
        registry: Registry,
        *,
        allowed: Callable[[Caller], bool],
        prune_every_s: float = 60.0,
        max_bytes: int = 768 * 1024,
    ) -> None:
        if prune_every_s <= 0:
            raise ValueError("prune_every_s must be positive")
        self.feed = feed
        self._registry = registry
        self._allowed = allowed
        self._prune_every = prune_every_s
        self._max_bytes = max_bytes  # an answer stays under the session's frame limit
        self._bell = asyncio.Event()  # set (and replaced) at every committed write
        self._closed = False
        self._last_prune: float | None = None
        self._pruning: asyncio.Task[int | None] | None = None
        self.waiting = 0
        registry.committed.append(self._committed)

    def methods(self) -> dict[str, Handler]:
        """The method table entries."""
        return {
            "dsp.info": self.info,
            "dsp.snapshot": self.snapshot,
            "dsp.chunk": self.chunk,
            "dsp.changes": self.changes,
        }

    async def close(self) -> None:
        """Stop listening, answer the waiting long polls now (empty), wait for a prune in
        progress.  The feed stays open: close it after."""
        self._closed = True
        if self._committed in self._registry.committed:
            self._registry.committed.remove(self._committed)
        self._ring()
        if self._pruning is not None:
            await asyncio.shield(self._pruning)

    # --- events ------------------------------------------------------------------------------

    def _ring(self) -> None:
        bell, self._bell = self._bell, asyncio.Event()
        bell.set()

    def _committed(self) -> None:
        """``registry.committed``: new changes may be there; wake every long poll."""
        self._ring()
        self._maybe_prune()

    def _maybe_prune(self) -> None:
        if self._closed or (self._pruning is not None and not self._pruning.done()):
            return
        loop = asyncio.get_running_loop()
        if self._last_prune is not None and loop.time() - self._last_prune < self._prune_every:
            return
        self._last_prune = loop.time()
        self._pruning = loop.create_task(self.prune())

    async def prune(self) -> int | None:
        """Apply retention now, on a worker thread [DSC-SYN-010]; the horizon, or None when the
        file was busy or failed, or held a ``ts`` it cannot read (logged; the next run tries
        again)."""
        try:
            return await asyncio.to_thread(self.feed.prune, self.feed.clock())
        except (sqlite3.Error, ValueError):
            logger.exception("pruning the change feed failed")
            return None

    # --- methods -----------------------------------------------------------------------------

    def _check(self, caller: Caller) -> None:
        """[DSC-SYN-022] only an authenticated caller ``allowed`` admits."""
        if caller.aic is None:
            raise DiscoveryError(Code.AUTHENTICATION_REQUIRED, "dsp.* needs a session")
        if not self._allowed(caller):
            raise DiscoveryError(Code.AUTHORIZATION_FAILED, "synchronisation is for this domain")

    async def info(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """``dsp.info`` [DSC-SYN-020]."""
        self._check(caller)
        parse_info_params(params)
        self._maybe_prune()
        return await asyncio.to_thread(self.feed.info)

    async def snapshot(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """``dsp.snapshot`` [DSC-SYN-015] [DSC-SYN-016]."""
        self._check(caller)
        req = parse_snapshot_params(params, self.feed.types)
        largest = await asyncio.to_thread(self.feed.largest_object)
        # [DSC-SYN-015] chunks small enough that one of the largest objects' chunks fits a frame
        size = max(1, min(req.chunk_size, self._max_bytes // (largest + _ENVELOPE)))
        return await asyncio.to_thread(self.feed.snapshot, size, req.types)

    async def chunk(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """``dsp.chunk`` [DSC-SYN-017]."""
        self._check(caller)
        req = parse_chunk_params(params)
        return await asyncio.to_thread(self.feed.chunk, req.snapshot_id, req.index)

    def _fit(self, page: list[Change], next_seq: int) -> tuple[list[Change], int]:
        """The longest prefix of ``page`` that fits a frame, at least one change
        [DSC-SYN-012]; ``nextSeq`` then names the last change kept."""
        total = 0
        for kept, change in enumerate(page):
            total += _size(change)
            if kept and total > self._max_bytes:
                return page[:kept], page[kept - 1].seq
        return page, next_seq

    async def changes(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """``dsp.changes`` [DSC-SYN-012]: refusals at once; with nothing after ``since``, wait
        up to ``waitMs`` for a committed write and answer as soon as a change is there, or
        empty with ``nextSeq`` = ``since`` when the time is up [DSC-SYN-014].  The wait holds
        no other call up and ends when the session closes (the transport cancels the task)."""
        self._check(caller)
        req = parse_changes_params(params)
        self._maybe_prune()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + req.wait_ms / 1000
        while True:
            bell = self._bell  # taken before reading: a commit meanwhile rings this one
            page, next_seq = await asyncio.to_thread(self.feed.changes, req.since, req.limit)
            page, next_seq = self._fit(page, next_seq)
            remaining = deadline - loop.time()
            if page or remaining <= 0 or self._closed:
                return encode_changes_result(page, next_seq)
            self.waiting += 1
            try:
                async with asyncio.timeout(remaining):
                    await bell.wait()
            except TimeoutError:
                pass  # read once more, then answer (remaining is now <= 0)
            finally:
                self.waiting -= 1


_ENVELOPE = 512  # bytes an envelope adds to its payload, generously


def _size(change: Change) -> int:
    return _ENVELOPE + (len(dumps(change.payload)) if change.payload is not None else 0)


def sync_methods(
    feed: SqliteFeed, registry: Registry, *, allowed: Callable[[Caller], bool]
) -> dict[str, Handler]:
    """The ``dsp.*`` handlers over ``feed`` (the registry's file), woken by ``registry``'s
    committed writes; see :class:`SyncDesk` (use it directly to be able to close it)."""
    return SyncDesk(feed, registry, allowed=allowed).methods()
