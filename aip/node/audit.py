"""The node's audit desk (spec Part 11): its transparency log, the records it emits, the
``audit.*`` methods, the checkpoint timer, and the witness roles.

Create an :class:`AuditDesk` when the node starts (:meth:`AuditDesk.open`) and close it when
the node stops: closing waits for every record in flight and issues a last checkpoint, so an
event the node acted on is never lost.  Node components report events with :meth:`emit`
(synchronous; the append runs as a tracked task).

Methods (params → result; errors are -341xx codes unless said):

* ``audit.checkpoint {}`` → ``{checkpoint, size}``: the latest signed note, with cosignatures.
* ``audit.inclusion {index, size}`` → ``{proof}``; ``audit.consistency {oldSize, newSize}`` →
  ``{proof}``; ``audit.leaves {start, end}`` → ``{commitments}`` (at most 1024).  All public.
* ``audit.entry {index}`` → ``{index, entry, salt, commitment}``: authenticated sessions only.
* ``audit.append {record}`` → ``{index, salt, commitment}``: an agent's own signed AMP record.
* ``audit.erase {index, reason}``: the operator only.
* ``audit.cosign {checkpoint, oldSize, proof}`` → ``{cosignature}``: when the node witnesses
  other logs (public: the log's signature and the proof are the authentication).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aip.audit.checkpoint import Checkpoint, cosigner, parse_checkpoint, verify_cosignature
from aip.audit.log import TransparencyLog
from aip.audit.merkle import decode_hash, encode_hash
from aip.audit.note import NoteSignature, NoteVerifier, parse_note, parse_vkey
from aip.audit.records import make_record, verify_record
from aip.audit.store import LogStore
from aip.audit.witness import Witnessed, review
from aip.client.session import open_session
from aip.codec import MAX_SAFE_INTEGER, canonicalize, parse
from aip.errors import AipError, AuditError, Code
from aip.identity.keys import SigningKey
from aip.integrity import sign_object
from aip.jsonrpc import Caller, Handler, expect_params
from aip.ratelimit import TokenBucket

__all__ = ["AuditDesk", "WitnessTarget", "log_origin", "witness_name"]

logger = logging.getLogger("aip.node.audit")

CHECKPOINT = "audit.checkpoint"
INCLUSION = "audit.inclusion"
CONSISTENCY = "audit.consistency"
LEAVES = "audit.leaves"
ENTRY = "audit.entry"
APPEND = "audit.append"
ERASE = "audit.erase"
COSIGN = "audit.cosign"
PUBLIC = frozenset({CHECKPOINT, INCLUSION, CONSISTENCY, LEAVES, COSIGN})  # [AUD-API-001]
MAX_LEAVES = 1024
_FAILURES_PER_SECOND = 10.0  # authentication failures recorded; the rest are counted


def log_origin(domain: str, aic: str) -> str:
    """The origin line of a node's log: ``<domain>/aip-log/<node AIC>`` [AUD-LOG-001]."""
    return f"{domain}/aip-log/{aic}"


def witness_name(domain: str, aic: str) -> str:
    """The cosigner name of a node acting as a witness [AUD-WIT-001]."""
    return f"{domain}/aip-witness/{aic}"


@dataclass(frozen=True, slots=True)
class WitnessTarget:
    """A witness this node's log asks for cosignatures: where it listens and its key."""

    url: str
    verifier: NoteVerifier

    @classmethod
    def parse(cls, text: str) -> WitnessTarget:
        """``URL=VKEY`` (a cosignature vkey).  Raises NOTE_MALFORMED or ``ValueError``."""
        url, sep, vkey = text.partition("=")
        if not sep or not url.startswith(("ws://", "wss://")):
            raise ValueError("a witness is given as ws[s]://HOST:PORT=VKEY")
        return cls(url, parse_vkey(vkey))


def _size(params: dict[str, Any], name: str) -> int:
    value = params[name]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SAFE_INTEGER:
        raise AipError(Code.INVALID_PARAMS, f"{name} must be a non-negative integer")
    return value


def _proof(params: dict[str, Any]) -> list[bytes]:
    proof = params.get("proof", [])
    if not isinstance(proof, list) or len(proof) > 128:
        raise AipError(Code.INVALID_PARAMS, "proof must be a list of at most 128 hashes")
    return [decode_hash(item) for item in proof]


class AuditDesk:
    """One node's audit: see the module docstring.  Build with :meth:`open`."""

    def __init__(
        self,
        log: TransparencyLog,
        *,
        aic: str,
        key: SigningKey,
        operator: str,
        witness_as: str,
        witness_logs: Sequence[NoteVerifier],
        witnesses: Sequence[WitnessTarget],
        interval: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.log = log
        self.aic = aic
        self._key = key
        self._operator = operator
        self.witness_as = witness_as
        self._follows = {v.name: v for v in witness_logs}
        self._witnesses = list(witnesses)
        self._witness_sizes: dict[str, int] = {}
        self._interval = interval
        self._clock = clock
        self._tasks: set[asyncio.Future[Any]] = set()
        self._timer: asyncio.Task[None] | None = None
        self._origin_locks: dict[str, asyncio.Lock] = {}
        self._issuing = asyncio.Lock()  # one checkpoint round at a time
        self._failures = TokenBucket(_FAILURES_PER_SECOND, 20, clock())
        self._suppressed = 0
        self.log_verifier = NoteVerifier.from_key(log.origin, key.verify_key)
        self.cosigner = cosigner(witness_as, key.verify_key)

    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        domain: str,
        aic: str,
        key: SigningKey,
        operator: str,
        witness_logs: Sequence[NoteVerifier] = (),
        witnesses: Sequence[WitnessTarget] = (),
        interval: float = 1.0,
        clock: Callable[[], datetime],
    ) -> AuditDesk:
        """Open the log file at ``path`` (off the event loop) and start the checkpoint timer."""
        origin = log_origin(domain, aic)
        store = await asyncio.to_thread(LogStore.open, path, origin)
        log = TransparencyLog(store, key, origin, clock=clock)
        desk = cls(
            log,
            aic=aic,
            key=key,
            operator=operator,
            witness_as=witness_name(domain, aic),
            witness_logs=witness_logs,
            witnesses=witnesses,
            interval=interval,
            clock=clock,
        )
        await log.issue_checkpoint()  # a started node always has one to serve [AUD-API-002]
        desk._timer = asyncio.get_running_loop().create_task(desk._tick())
        return desk

    async def close(self) -> None:
        """Stop the timer, wait for records in flight, issue a last checkpoint, close."""
        if self._timer is not None:
            self._timer.cancel()
            await asyncio.gather(self._timer, return_exceptions=True)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        async with self._issuing:
            await self.log.issue_checkpoint()
        await self.log.close()

    def info(self) -> dict[str, Any]:
        """What ``node.info`` publishes under ``audit`` [AUD-API-002]."""
        return {
            "origin": self.log.origin,
            "logKey": self.log_verifier.vkey(),
            "witnessKey": self.cosigner.vkey(),
            "witnessing": sorted(self._follows),
            "witnesses": [w.verifier.vkey() for w in self._witnesses],
            "checkpointIntervalSeconds": self._interval,
        }

    def methods(self) -> dict[str, Handler]:
        """The ``audit.*`` method table entries."""
        return {
            CHECKPOINT: self._checkpoint,
            INCLUSION: self._inclusion,
            CONSISTENCY: self._consistency,
            LEAVES: self._leaves,
            ENTRY: self._entry,
            APPEND: self._append,
            ERASE: self._erase,
            COSIGN: self._cosign,
        }

    # --- emitting ----------------------------------------------------------------------------

    def emit(
        self,
        *,
        action: str,
        kind: str,
        actor: dict[str, Any],
        target: dict[str, Any],
        status: str,
        reason: str | None = None,
        code: int | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        """Record an audit event signed by the node [AUD-EVT-001]; the append runs as a task
        that :meth:`close` waits for.  Never raises on a record it cannot build: it logs."""
        result: dict[str, Any] = {"status": status}
        if reason is not None:
            result["reason"] = reason
        if code is not None:
            result["errorCode"] = str(code)
        body = {"actor": actor, "action": {"name": action, "type": kind}, "target": target,
                "result": result}  # fmt: skip
        try:
            record = make_record(  # checks the whole record, body included, once
                aic=self.aic,
                log_type="audit",
                body=body,
                timestamp=self._clock(),
                severity="INFO" if status == "success" else "WARN",
                attributes=attributes,
            )
            entry = canonicalize(sign_object(record, self._key))  # [AUD-REC-017]
        except AipError:
            logger.exception("audit record for %s not built", action)
            return
        try:
            self._track(self.log.submit(entry))  # no task per event: the hot path
        except (AipError, RuntimeError):  # too large, or the log is closed: never raises
            logger.exception("audit record for %s not appended", action)

    def authentication_failed(self, code: int, claimed: object) -> None:
        """Record a refused session authentication, at most a few per second; the others
        are counted into the next record (a flood must not fill the log) [AUD-EVT-003]."""
        if self._failures.take(self._clock()) > 0:
            self._suppressed += 1
            return
        suppressed, self._suppressed = self._suppressed, 0
        fits = isinstance(claimed, str) and 0 < len(claimed) <= 128
        claimed_aic = claimed if fits else "unknown"
        self.emit(
            action="session.authenticate",
            kind="authentication",
            actor={"id": claimed_aic, "type": "agent"},
            target={"type": "node", "id": self.aic},
            status="failure",
            code=code,
            attributes={"suppressed": suppressed} if suppressed else None,
        )

    def _track(self, work: Any) -> None:
        """Keep ``work`` (a coroutine, run as a task, or a future) until it is done; close
        waits for it, and a failure is logged."""
        pending = work if asyncio.isfuture(work) else asyncio.get_running_loop().create_task(work)
        self._tasks.add(pending)
        pending.add_done_callback(self._done)

    def _done(self, pending: asyncio.Future[Any]) -> None:
        self._tasks.discard(pending)
        if not pending.cancelled() and pending.exception() is not None:
            logger.error("audit append failed", exc_info=pending.exception())

    # --- checkpoints and witnesses -----------------------------------------------------------

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._interval)  # the batching period [AUD-LOG-006]
            try:
                await self.checkpoint_now()
            except Exception:  # a full disk must not stop the timer for good
                logger.exception("checkpoint not issued")

    async def checkpoint_now(self) -> str | None:
        """Issue a checkpoint if the log grew, collect cosignatures; return the latest note.

        Rounds never overlap (the timer and a caller may both ask), so a late round cannot
        store a checkpoint without the cosignatures an earlier round attached."""
        async with self._issuing:
            issued = await self.log.issue_checkpoint()
            if issued is not None and self._witnesses:
                checkpoint, note = issued
                signatures = await self._collect(checkpoint, note)
                if signatures:
                    await self.log.add_cosignatures(checkpoint.size, signatures)
            return self.log.latest_checkpoint()

    async def _collect(self, checkpoint: Checkpoint, note: str) -> list[NoteSignature]:
        results = await asyncio.gather(
            *(self._ask(w, checkpoint, note) for w in self._witnesses), return_exceptions=True
        )
        out = []
        for witness, result in zip(self._witnesses, results, strict=True):
            if isinstance(result, NoteSignature):
                out.append(result)
            else:
                logger.warning("witness %s: no cosignature (%s)", witness.url, result)
        return out

    async def _ask(self, witness: WitnessTarget, checkpoint: Checkpoint, note: str) -> Any:
        session = await open_session(witness.url, timeout=5.0)
        try:
            for _ in range(2):  # a second try from the size the witness says it holds
                old = self._witness_sizes.get(witness.url, 0)
                proof = (
                    []
                    if old in (0, checkpoint.size)
                    else self.log.consistency(old, checkpoint.size)
                )
                try:
                    answer = await session.call(
                        COSIGN,
                        {
                            "checkpoint": note,
                            "oldSize": old,
                            "proof": [encode_hash(h) for h in proof],
                        },
                        timeout=5.0,
                    )
                except AipError as exc:
                    size = (exc.data or {}).get("size")
                    if exc.code == Code.WITNESS_CONFLICT and isinstance(size, int):
                        self._witness_sizes[witness.url] = size
                        continue
                    raise
                signature = _signature_line(checkpoint, answer)
                verify_cosignature(checkpoint, signature, witness.verifier)
                self._witness_sizes[witness.url] = checkpoint.size
                return signature
            raise AuditError(Code.WITNESS_CONFLICT, "the witness moved twice")
        finally:
            await session.close()

    # --- methods -----------------------------------------------------------------------------

    def _checkpoint(self, params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        expect_params(params)
        latest = self.log.store.latest_checkpoint()
        if latest is None:
            raise AuditError(Code.TREE_SIZE_INVALID, "no checkpoint issued yet")
        return {"checkpoint": latest[1], "size": latest[0]}

    def _inclusion(self, params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        expect_params(params, required=frozenset({"index", "size"}))
        proof = self.log.inclusion(_size(params, "index"), _size(params, "size"))
        return {"proof": [encode_hash(h) for h in proof]}

    def _consistency(self, params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        expect_params(params, required=frozenset({"oldSize", "newSize"}))
        proof = self.log.consistency(_size(params, "oldSize"), _size(params, "newSize"))
        return {"proof": [encode_hash(h) for h in proof]}

    def _leaves(self, params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        expect_params(params, required=frozenset({"start", "end"}))
        start, end = _size(params, "start"), _size(params, "end")
        if end < start or end - start > MAX_LEAVES or end > self.log.size:
            raise AuditError(Code.TREE_SIZE_INVALID, f"at most {MAX_LEAVES} leaves of the log")
        return {"commitments": [encode_hash(c) for c in self.log.store.commitments(start, end)]}

    def _entry(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        expect_params(params, required=frozenset({"index"}))
        if caller.aic is None:  # [AUD-API-003] payloads only to authenticated sessions
            raise AipError(Code.AUTHENTICATION_REQUIRED, "entries are read on a session")
        stored = self.log.entry(_size(params, "index"))
        assert stored.entry is not None
        assert stored.salt is not None
        return {
            "index": stored.index,
            "entry": parse(stored.entry),
            "salt": base64.b64encode(stored.salt).decode("ascii"),
            "commitment": encode_hash(stored.commitment),
        }

    async def _append(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        expect_params(params, required=frozenset({"record"}))
        if caller.aic is None or caller.key is None:
            raise AipError(Code.AUTHENTICATION_REQUIRED, "records are appended on a session")
        record = params["record"]
        verify_record(record, caller.key)  # [AUD-API-006] signed by the session's key
        if record.get("aic") != caller.aic:
            raise AipError(Code.AUTHORIZATION_FAILED, "a record's aic is the session AIC")
        appended = await self.log.append(canonicalize(record))
        return {
            "index": appended.index,
            "salt": base64.b64encode(appended.salt).decode("ascii"),
            "commitment": encode_hash(appended.commitment),
        }

    async def _erase(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        expect_params(params, required=frozenset({"index", "reason"}))
        index, reason = _size(params, "index"), params["reason"]
        if not isinstance(reason, str) or not 0 < len(reason) <= 512:
            raise AipError(Code.INVALID_PARAMS, "reason must be 1 to 512 characters")
        if caller.aic != self._operator:  # [AUD-LOG-008]
            raise AipError(Code.AUTHORIZATION_FAILED, "the operator alone erases entries")
        erased = await self.log.erase(index, reason)
        self.emit(  # the erasure itself is on the record [AUD-LOG-008]
            action="audit.erase",
            kind="audit",
            actor={"id": caller.aic, "type": "operator"},
            target={"type": "log-entry", "id": str(index)},
            status="success",
            reason=reason,
        )
        return {"index": index, "erased": erased}

    async def _cosign(self, params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        expect_params(
            params, required=frozenset({"checkpoint", "oldSize"}), optional=frozenset({"proof"})
        )
        note = params["checkpoint"]
        if not isinstance(note, str):
            raise AipError(Code.INVALID_PARAMS, "checkpoint must be a signed note")
        old, proof = _size(params, "oldSize"), _proof(params)
        origin = parse_checkpoint(parse_note(note).text).origin
        if origin not in self._follows:  # before any state: strangers' origins cost nothing
            raise AuditError(Code.LOG_UNKNOWN, "this witness does not follow that log")
        lock = self._origin_locks.setdefault(origin, asyncio.Lock())
        async with lock:  # one review at a time per log: no two forks both pass [AUD-WIT-004]
            stored = self.log.store.witnessed(origin)
            state = None if stored is None else Witnessed(stored[0], stored[1])
            now = int(self._clock().timestamp())
            done = review(
                note,
                old,
                proof,
                logs=self._follows,
                state=state,
                name=self.witness_as,
                key=self._key,
                now=now,
            )
            # durable before the cosignature leaves [AUD-WIT-005]
            await self.log.record_witnessed(origin, done.state.size, done.state.root, note)
        return {"cosignature": done.signature.line()}


def _signature_line(checkpoint: Checkpoint, answer: object) -> NoteSignature:
    """The one signature line a witness answered, parsed."""
    line = answer.get("cosignature") if isinstance(answer, dict) else None
    if not isinstance(line, str) or line.count("\n") > 1:
        raise AuditError(Code.NOTE_MALFORMED, "a cosignature is one signature line")
    note = parse_note(checkpoint.body() + "\n" + line.rstrip("\n") + "\n")
    return note.signatures[0]
