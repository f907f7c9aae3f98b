"""Streams: server-pushed task events with ``eventSeq`` and resume (shell, spec Part 9 §9.4.2).

Partner side::

    partner = Partner(Agent(enrolled))
    Streams(partner, buffer=256)                 # serves aip.stream next to aip.rpc
    @partner.skill("draft")
    async def draft(work: Work) -> Submit:
        await work.emit({"id": "d", "dataItems": [...]})                  # product-chunk
        await work.emit({"id": "d", "dataItems": [...]}, append=True, last_chunk=True)
        return Submit([])

Leader side (see :meth:`aip.client.leader.Leader.stream`)::

    inbox = EventInbox()
    session = await connect(url, identity, partner_aic, methods=inbox.methods)
    leader = Leader(session, identity, inbox=inbox)
    stream = await leader.stream("hello", skill="draft")
    async for event in stream: ...

``aip.stream`` takes the same params as ``aip.rpc`` (one signed ``task-command``) and answers
with the task result as it stands once the command is applied, without waiting for the work
[MSG-STR-001]; every change of the task after that — each new status as a
``task-status-update``, each product the work emits as a ``product-chunk`` — is numbered per
task (``eventSeq`` 1, 2, 3, ...) [MSG-STR-002] and pushed to the Leader's session as
``aip.streamEvent`` ``{"eventSeq": n, "message": <signed event>}`` [MSG-STR-003].  The last
``buffer`` events of each task are kept so that a ``re-stream`` with ``lastEventSeq`` replays
those after it [MSG-STR-005], or is refused with -32004 once they are gone [MSG-STR-006].
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aip.client.partner import Chunk, Partner
from aip.errors import AipError, Code, InteractionError
from aip.interaction.messages import check_message, product_chunk, sign_message, status_update
from aip.interaction.task import TaskKey
from aip.interaction.tasks import TERMINAL, State, check_report
from aip.jsonrpc import Caller
from aip.sessions.binding import check_reply, message_ids, open_message

__all__ = [
    "DEFAULT_BUFFER",
    "STREAM",
    "STREAM_EVENT",
    "EventInbox",
    "EventStream",
    "StreamEvent",
    "Streams",
    "check_event",
]

STREAM = "aip.stream"  # the Leader's call [MSG-STR-001]
STREAM_EVENT = "aip.streamEvent"  # the Partner's push [MSG-STR-003]
DEFAULT_BUFFER = 256  # events kept per task for re-stream [MSG-STR-005]
EVENT_TYPES = ("task-status-update", "product-chunk")


# ==================================================================== the Partner


@dataclass(slots=True)
class _Log:
    """The events of one streamed task: the last ``buffer`` of them, and where its push is."""

    events: deque[tuple[int, dict[str, Any]]]
    seq: int = 0  # the last eventSeq given
    published: int = 0  # statuses of the task already made events
    cursor: int = 1  # the next eventSeq to push
    generation: int = 0  # bumped by every re-stream
    live: bool = True  # a Leader session is listening (False after a failed push)
    pump: asyncio.Task[None] | None = None
    progress: asyncio.Event = field(default_factory=asyncio.Event)  # the cursor moved


class Streams:
    """Serves ``aip.stream`` for ``partner``'s tasks, keeping the last ``buffer`` events of
    each task.  ``push_timeout`` bounds each push in seconds."""

    def __init__(
        self,
        partner: Partner,
        *,
        buffer: int = DEFAULT_BUFFER,
        clock: Callable[[], datetime] | None = None,
        push_timeout: float = 10.0,
    ) -> None:
        if buffer < 1:
            raise ValueError("the buffer holds at least one event")
        self.partner = partner
        self.buffer = buffer
        self._clock = clock or (lambda: datetime.now(UTC))
        self._ids = message_ids(secrets.token_hex(8))
        self._push_timeout = push_timeout
        self._logs: dict[TaskKey, _Log] = {}
        partner.watcher = self._watch
        partner.agent.method(STREAM)(self.stream)

    async def stream(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """The ``aip.stream`` handler: ``{"message": <signed task-command>}`` in, ``{"message":
        <signed task-result>}`` out, at once; the events follow as pushes [MSG-STR-001].

        Raises like ``aip.rpc``, and -32004 UnsupportedOperation for a ``re-stream`` whose
        first wanted event is no longer kept [MSG-STR-006].
        """
        command = open_message(params, caller)
        key = TaskKey(command["senderId"], command["taskId"], self.partner.aic)
        if key not in self._logs and command.get("command") == "start":
            held = self.partner.book.tasks.get(key)  # a task started with aip.rpc: from now
            self._logs[key] = _Log(deque(maxlen=self.buffer),
                                   published=0 if held is None else len(held.statuses))
        key = await self.partner.apply(command, wait=False)  # -32001 for an unknown task
        if command.get("command") == "re-stream":
            self._restream(key, command)
        return self.partner.answer(key, command)

    def _restream(self, key: TaskKey, command: dict[str, Any]) -> None:
        log = self._logs.get(key)
        if log is None:  # a task never streamed: its events start now
            task = self.partner.book.tasks[key]
            log = self._logs[key] = _Log(deque(maxlen=self.buffer), published=len(task.statuses))
        last = (command.get("commandParams") or {}).get("lastEventSeq") or 0
        oldest = log.events[0][0] if log.events else log.seq + 1
        if last < log.seq and oldest > last + 1:  # [MSG-STR-006]
            raise InteractionError(
                Code.UNSUPPORTED_OPERATION,
                "the events after lastEventSeq are no longer kept",
                data={"lastEventSeq": last, "oldestEventSeq": oldest},
            )
        log.cursor, log.generation, log.live = last + 1, log.generation + 1, True
        self._start(key, log)

    # ---------------------------------------------------------------- events

    def _watch(self, key: TaskKey, chunk: Chunk | None) -> Awaitable[None] | None:
        """Make events of what changed: new statuses, or the chunk the work emitted; for a
        chunk, return a wait until the events not yet pushed fit the buffer again."""
        log = self._logs.get(key)
        task = self.partner.book.tasks.get(key)
        if log is None or task is None:
            return None
        ident, now, me = self._ids(), self._clock(), self.partner.aic
        if chunk is not None:
            product, append, last = chunk
            self._add(key, log, product_chunk(
                key.task_id, product, append=append, last_chunk=last, ident=ident, now=now,
                sender=me, session_id=task.session_id,
            ))
        for status in task.statuses[log.published:]:
            self._add(key, log, status_update(
                key.task_id, status, ident=self._ids(), now=now, sender=me,
                session_id=task.session_id,
            ))
        log.published = len(task.statuses)
        return None if chunk is None else self._room(log)

    async def _room(self, log: _Log) -> None:
        """Hold the work back while a live stream lags a whole buffer behind, so that no
        event is dropped before it was pushed once."""
        while log.live and log.pump is not None and log.seq - log.cursor + 1 >= self.buffer:
            log.progress.clear()
            await log.progress.wait()

    def _add(self, key: TaskKey, log: _Log, message: dict[str, Any]) -> None:
        identity = self.partner.agent.enrolled.identity
        log.seq += 1  # [MSG-STR-002]
        log.events.append((log.seq, sign_message(message, identity.key, aic=identity.aic)))
        self._start(key, log)

    def _start(self, key: TaskKey, log: _Log) -> None:
        if log.live and log.pump is None:
            log.pump = asyncio.ensure_future(self._pump(key, log))

    async def _pump(self, key: TaskKey, log: _Log) -> None:
        """Push the kept events from the cursor on, in order, one at a time [MSG-STR-003]."""
        try:
            while log.live:
                wanted = next(((s, m) for s, m in log.events if s >= log.cursor), None)
                if wanted is None:
                    return
                seq, message = wanted
                generation = log.generation
                try:
                    await self.partner.agent.push(
                        key.leader, STREAM_EVENT, {"eventSeq": seq, "message": message},
                        timeout=self._push_timeout,
                    )
                except Exception:  # the Leader is gone or refused: it resumes with re-stream
                    if log.generation == generation:
                        log.live = False
                    continue
                if log.generation == generation:
                    log.cursor = seq + 1
                    log.progress.set()
        finally:
            log.pump = None
            log.progress.set()


# ==================================================================== the Leader


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One checked event of a task's stream."""

    seq: int
    message: dict[str, Any]

    @property
    def task_id(self) -> str:
        return str(self.message["taskId"])

    @property
    def state(self) -> State | None:
        """The state a ``task-status-update`` reports; None for a chunk."""
        status = self.message.get("status")
        return State(status["state"]) if isinstance(status, dict) else None

    @property
    def product(self) -> dict[str, Any] | None:
        """The product a ``product-chunk`` carries; None for a status."""
        product = self.message.get("product")
        return product if isinstance(product, dict) else None


def _bad(why: str, **data: Any) -> InteractionError:
    return InteractionError(Code.INVALID_AGENT_RESPONSE, why, data=data or None)


def check_event(params: Any, caller: Caller) -> StreamEvent:
    """Check one ``aip.streamEvent`` push on the Leader [MSG-STR-007]: params ``{eventSeq,
    message}`` (-32602), the signed message by [SES-BND-003] against the session's peer
    (-32006, or the Part 3 code of a signature that does not verify), then, as -32006, a
    positive integer ``eventSeq`` and a §9.2 message of type ``task-status-update`` or
    ``product-chunk``.  The state is checked by the inbox, after repeats are dropped."""
    if not isinstance(params, dict) or set(params) != {"eventSeq", "message"}:
        raise AipError(Code.INVALID_PARAMS, "a stream event is {eventSeq, message}")
    if caller.aic is None or caller.key is None:
        raise AipError(Code.AUTHENTICATION_REQUIRED, "stream events come from a proven peer")
    message = check_reply({"message": params["message"]}, caller.aic, caller.key)
    seq = params["eventSeq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise _bad("eventSeq is a positive integer")
    try:
        check_message(message)
    except InteractionError as exc:
        member = (exc.data or {}).get("member")
        raise _bad("the event is not a valid message", member=member) from None
    if message["type"] not in EVENT_TYPES:
        raise _bad("the event is neither a status update nor a product chunk")
    return StreamEvent(seq, message)


@dataclass(slots=True)
class _Track:
    last_seq: int = 0
    state: State | None = None
    queue: asyncio.Queue[StreamEvent] = field(default_factory=asyncio.Queue)


class EventInbox:
    """Receives the events a Partner pushes, on any session that serves :attr:`methods`:
    checked, deduplicated by ``eventSeq`` per task [MSG-STR-008] and queued for
    :class:`EventStream`.  Reuse one inbox across the sessions of a resume."""

    def __init__(self) -> None:
        self._tracks: dict[tuple[str, str], _Track] = {}
        self.methods: dict[str, Any] = {STREAM_EVENT: self.receive}

    def track(self, partner: str, task_id: str) -> _Track:
        return self._tracks.setdefault((partner, task_id), _Track())

    def last_seq(self, partner: str, task_id: str) -> int:
        """The last ``eventSeq`` accepted for the task (0 before any)."""
        found = self._tracks.get((partner, task_id))
        return 0 if found is None else found.last_seq

    async def receive(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """The ``aip.streamEvent`` handler: refuse a bad event [MSG-STR-007], drop a repeat
        [MSG-STR-008], check the state it reports [MSG-TSK-015], queue the rest."""
        event = check_event(params, caller)
        track = self.track(str(caller.aic), event.task_id)
        if event.seq <= track.last_seq:  # a replay already seen [MSG-STR-008]
            return {}
        if event.state is not None:
            check_report(track.state, event.state)  # -32006
            track.state = event.state
        track.last_seq = event.seq
        track.queue.put_nowait(event)
        return {}


class EventStream:
    """The events of one task, in ``eventSeq`` order, each once; ends after the event that
    reports a terminal state.  ``report`` is the checked answer to the call that opened it."""

    def __init__(self, report: Any, track: _Track) -> None:
        self.report = report
        self._track = track
        self._done = False

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        return self

    async def __anext__(self) -> StreamEvent:
        if self._done:
            raise StopAsyncIteration
        event = await self._track.queue.get()
        if event.state in TERMINAL:
            self._done = True
        return event

