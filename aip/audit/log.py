"""The node's transparency log service (shell: threads, the event loop, the clock, salts).

:class:`TransparencyLog` puts the pure pieces together over a :class:`~aip.audit.store.LogStore`:
entries become salted commitments (:mod:`aip.audit.entries`), appends are grouped into durable
batches written by one worker thread (group commit: every caller waiting at once shares one
fsync), checkpoints are signed notes issued in batches (:meth:`issue_checkpoint`, called by the
node's timer), and proofs are read from the committed tree.

Every public method either returns or raises :class:`~aip.errors.AuditError` with a -341xx
code for a bad request (a size beyond the log, an erased entry); I/O errors propagate.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aip.audit.checkpoint import Checkpoint, sign_checkpoint
from aip.audit.entries import SALT_SIZE, check_entry, commitment
from aip.audit.merkle import consistency_proof, inclusion_proof, root_hash
from aip.audit.note import NoteSignature, add_signatures
from aip.audit.records import format_timestamp
from aip.audit.store import LogStore, StoredEntry
from aip.errors import AuditError, Code
from aip.identity.keys import SigningKey

__all__ = ["MAX_BATCH", "Appended", "SaltPool", "TransparencyLog"]

MAX_BATCH = 4096  # entries per transaction


@dataclass(frozen=True, slots=True)
class Appended:
    """Where an entry went: its index, the salt it was committed under, and the commitment."""

    index: int
    salt: bytes
    commitment: bytes


class SaltPool:
    """Fresh random salts, drawn from the OS a few kilobytes at a time: one ``getrandom`` per
    128 entries instead of one per entry (it costs tens of microseconds in a VM)."""

    def __init__(self, size: int = SALT_SIZE, batch: int = 128) -> None:
        self._size = size
        self._batch = batch
        self._pool = b""

    def __call__(self) -> bytes:
        if not self._pool:
            self._pool = secrets.token_bytes(self._size * self._batch)
        salt, self._pool = self._pool[: self._size], self._pool[self._size :]
        return salt


_Waiting = tuple[list[tuple[bytes, bytes, bytes]], "asyncio.Future[int]"]


class TransparencyLog:
    """One node's log.  Create it inside a running event loop; call :meth:`close` at the end.

    ``origin`` names the log (the checkpoint's first line) and is the key name of its note
    signatures, made with ``key``.  ``clock`` gives the time (UTC); ``salts`` draws
    :data:`~aip.audit.entries.SALT_SIZE` random bytes per entry.
    """

    def __init__(
        self,
        store: LogStore,
        key: SigningKey,
        origin: str,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        salts: Callable[[], bytes] | None = None,
    ) -> None:
        self.store = store
        self.origin = origin
        self._key = key
        self._clock = clock
        self._salts = salts if salts is not None else SaltPool()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aip-audit")
        self._waiting: list[_Waiting] = []
        self._draining: asyncio.Task[None] | None = None
        self._closed = False

    # --- appending ---------------------------------------------------------------------------

    async def append(self, entry: bytes) -> Appended:
        """Append ``entry``; return once it is durable [AUD-LOG-005].

        Raises ENTRY_TOO_LARGE or RECORD_INVALID (empty) before anything is written; an I/O
        error fails every entry of the batch it was in (none of them was appended).
        """
        return (await self.append_many([entry]))[0]

    async def append_many(self, entries: Sequence[bytes]) -> list[Appended]:
        """Append several entries, in order, in one transaction with whatever else is waiting
        (group commit); return once all of them are durable."""
        items, future = self._submit(entries)
        first = await future
        return [Appended(first + n, salt, c) for n, (c, salt, _) in enumerate(items)]

    def submit(self, entry: bytes) -> asyncio.Future[int]:
        """Queue ``entry`` for the next group commit without waiting: the future gives its
        index once it is durable (or the batch's I/O error).  For fire-and-forget callers that
        must not pay for a task per entry; call from the event loop.  Raises like
        :meth:`append`, before anything is queued."""
        return self._submit([entry])[1]

    def _submit(
        self, entries: Sequence[bytes]
    ) -> tuple[list[tuple[bytes, bytes, bytes]], asyncio.Future[int]]:
        if self._closed:
            raise RuntimeError("the log is closed")
        for entry in entries:
            check_entry(entry)
        items = []
        for entry in entries:
            salt = self._salts()
            items.append((commitment(salt, entry), salt, entry))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int] = loop.create_future()
        self._waiting.append((items, future))
        if self._draining is None or self._draining.done():
            self._draining = loop.create_task(self._drain())
        return items, future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch: list[_Waiting] = []
            count = 0
            while self._waiting and (not batch or count + len(self._waiting[0][0]) <= MAX_BATCH):
                batch.append(self._waiting.pop(0))
                count += len(batch[-1][0])
            items = [item for waiting, _ in batch for item in waiting]
            try:
                first = await loop.run_in_executor(
                    self._writer, self.store.append, items, format_timestamp(self._clock())
                )
            except BaseException as exc:  # nothing of this batch is in the log
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for waiting, future in batch:
                if not future.done():
                    future.set_result(first)
                first += len(waiting)

    @property
    def size(self) -> int:
        """Entries durably appended so far."""
        return self.store.size

    # --- checkpoints -------------------------------------------------------------------------

    async def issue_checkpoint(self) -> tuple[Checkpoint, str] | None:
        """Sign and store a checkpoint of the whole committed log if it grew since the last
        one [AUD-LOG-006]; return it and its note, or None when there is nothing new."""
        latest = self.store.latest_checkpoint()
        size = self.store.size
        if latest is not None and latest[0] >= size:
            return None
        checkpoint = Checkpoint(self.origin, size, self.store.root())
        note = sign_checkpoint(checkpoint, self.origin, self._key)
        await self._write(self.store.save_checkpoint, size, note, format_timestamp(self._clock()))
        return checkpoint, note

    async def add_cosignatures(self, size: int, signatures: Sequence[NoteSignature]) -> str:
        """Attach witness cosignatures to the stored checkpoint of ``size``; return its note."""
        for stored_size, note in reversed(self.store.checkpoints()):
            if stored_size == size:
                updated = add_signatures(note, signatures)
                await self._write(
                    self.store.save_checkpoint, size, updated, format_timestamp(self._clock())
                )
                return updated
        raise AuditError(Code.TREE_SIZE_INVALID, f"no checkpoint of size {size}")

    def latest_checkpoint(self) -> str | None:
        """The signed note of the largest checkpoint, with any cosignatures, or None."""
        latest = self.store.latest_checkpoint()
        return None if latest is None else latest[1]

    # --- reading -----------------------------------------------------------------------------

    def _check_size(self, size: int) -> None:
        if size > self.store.size:
            raise AuditError(Code.TREE_SIZE_INVALID, f"the log has {self.store.size} entries")

    def root(self, size: int) -> bytes:
        """The root hash of the first ``size`` entries."""
        self._check_size(size)
        return root_hash(size, self.store.read_nodes)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """The inclusion proof of leaf ``index`` in the tree of ``size`` [AUD-API-004]."""
        self._check_size(size)
        return inclusion_proof(index, size, self.store.read_nodes)

    def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        """The consistency proof from ``old_size`` to ``new_size`` [AUD-API-005]."""
        self._check_size(new_size)
        return consistency_proof(old_size, new_size, self.store.read_nodes)

    def entry(self, index: int) -> StoredEntry:
        """Leaf ``index`` with its payload; ENTRY_NOT_FOUND past the end, ENTRY_ERASED once
        erased (the commitment stays available through :meth:`commitment_of`)."""
        stored = self.store.entry(index) if 0 <= index < self.store.size else None
        if stored is None:
            raise AuditError(Code.ENTRY_NOT_FOUND, f"no entry {index}")
        if stored.entry is None:
            raise AuditError(
                Code.ENTRY_ERASED, f"entry {index} was erased", data={"erasedAt": stored.erased_at}
            )
        return stored

    def commitment_of(self, index: int) -> bytes:
        """The commitment of leaf ``index`` (erased or not); ENTRY_NOT_FOUND past the end."""
        stored = self.store.entry(index) if 0 <= index < self.store.size else None
        if stored is None:
            raise AuditError(Code.ENTRY_NOT_FOUND, f"no entry {index}")
        return stored.commitment

    async def erase(self, index: int, reason: str) -> bool:
        """Erase the payload and salt of entry ``index``, keeping its leaf [AUD-LOG-007];
        True if something was erased.  ENTRY_NOT_FOUND past the end."""
        if not 0 <= index < self.store.size:
            raise AuditError(Code.ENTRY_NOT_FOUND, f"no entry {index}")
        erased: bool = await self._write(
            self.store.erase, index, format_timestamp(self._clock()), reason
        )
        return erased

    async def record_witnessed(self, origin: str, size: int, root: bytes, note: str) -> None:
        """Store durably what this node, as a witness, just cosigned for ``origin``."""
        await self._write(
            self.store.save_witnessed, origin, size, root, note, format_timestamp(self._clock())
        )

    # --- plumbing ----------------------------------------------------------------------------

    async def _write(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    async def close(self) -> None:
        """Wait for appends in flight, then stop the writer thread and close the store."""
        self._closed = True
        if self._draining is not None:
            await asyncio.shield(self._draining)
        self._writer.shutdown(wait=True)
        self.store.close()
