"""A Partner: an agent that does tasks for Leaders through synchronous ``aip.rpc`` (shell).

::

    partner = Partner(Agent(enrolled))          # serves aip.rpc on the agent (spec Part 9 §9.4)
    @partner.skill("echo")
    def echo(work: Work) -> Outcome:             # or async def
        if not work.data_items:
            return Ask([{"type": "text", "text": "say something"}])   # -> awaiting-input
        return Submit([{"id": "p1", "dataItems": work.data_items}])   # -> awaiting-completion
    await partner.agent.start()

Each ``aip.rpc`` call carries one signed ``task-command`` and is answered with the Partner's
signed ``task-result`` [MSG-RPC-001].  The request is opened exactly as ``@agent.signed`` opens
it (:func:`aip.sessions.binding.open_message`: the sender must be the session's peer), the
command is applied to the Partner's :class:`~aip.interaction.task.TaskBook`, and a skill
handler runs when the table says so: after the Partner accepts a ``start`` and on every
``continue`` that delivers data items.  A refusal by the table is a JSON-RPC error with the
AIP code (-32001 TaskNotFound, -32002 TaskNotCancelable) [MSG-RPC-004].

Time comes from ``clock`` (an aware datetime), message ids from ``ids``: both injectable.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from inspect import isawaitable
from typing import Any, TypeAlias

from aip.client.agent import Agent
from aip.errors import AipError, Code, InteractionError
from aip.interaction.messages import sign_message
from aip.interaction.task import DEFAULT_TIMEOUT_MS, TaskBook, TaskKey, result_message
from aip.interaction.tasks import Effect, Input, State
from aip.jsonrpc import Caller
from aip.sessions.binding import message_ids, open_message

__all__ = [
    "RPC", "Ask", "Chunk", "Emitter", "Fail", "Outcome", "Partner", "SkillHandler", "Submit",
    "Watcher", "Work",
]

RPC = "aip.rpc"  # the method of the synchronous style [MSG-RPC-001]


@dataclass(frozen=True, slots=True)
class Work:
    """What a skill handler gets: the task, who asked, and the data items of this delivery
    (the ``start``'s, then each ``continue``'s)."""

    task_id: str
    leader: str
    skill: str
    data_items: list[dict[str, Any]]
    products: list[dict[str, Any]] = field(default_factory=list)  # held so far
    first: bool = True  # the delivery of the start (False for a continue)
    emitter: Emitter | None = field(default=None, repr=False, compare=False)

    async def emit(
        self, product: Mapping[str, Any], *, append: bool = False, last_chunk: bool = False
    ) -> None:
        """Add ``product`` to the task while working (``append``: its data items extend the
        held product with its id) and, on a stream, send it as a ``product-chunk``
        [MSG-STR-004].  Raises INVALID_AGENT_RESPONSE when the task table refuses it."""
        if self.emitter is None:
            raise RuntimeError("this work cannot emit products")
        await self.emitter(product, append, last_chunk)


@dataclass(frozen=True, slots=True)
class Submit:
    """The handler's products: the task goes to ``awaiting-completion`` (row 5)."""

    products: Sequence[Mapping[str, Any]]
    data_items: Sequence[Mapping[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class Ask:
    """The handler needs more input: the task goes to ``awaiting-input`` (row 6) with these
    data items in its status."""

    data_items: Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Fail:
    """The handler cannot do the task: it goes to ``failed`` (row 7)."""

    data_items: Sequence[Mapping[str, Any]] | None = None


Outcome: TypeAlias = Submit | Ask | Fail
Emitter: TypeAlias = Callable[[Mapping[str, Any], bool, bool], Awaitable[None]]
Chunk: TypeAlias = tuple[dict[str, Any], bool, bool]  # (product, append, lastChunk)
Watcher: TypeAlias = Callable[[TaskKey, Chunk | None], Awaitable[None] | None]
"""Told of every change to a task the Partner makes: after each change of state (None), and
with the chunk for every product the work emits; for a chunk it may return what the work
awaits before it goes on (a stream holding it back until its events are sent)."""
SkillHandler: TypeAlias = Callable[
    [Work], Outcome | Sequence[Mapping[str, Any]] | Awaitable[Outcome | Sequence[Mapping[str, Any]]]
]
"""A skill: ``handler(work)`` returns (or, async, resolves to) an :data:`Outcome`, or a list of
products as a shorthand for :class:`Submit`."""


def _reason(reason: str, **more: Any) -> list[dict[str, Any]]:
    return [{"type": "data", "data": {"reason": reason, **more}}]


class Partner:
    """Does the tasks Leaders send to ``agent`` over ``aip.rpc`` with the skills registered by
    :meth:`skill`.  Registers ``aip.rpc`` on the agent; start the agent to serve."""

    def __init__(
        self,
        agent: Agent,
        *,
        clock: Callable[[], datetime] | None = None,
        ids: Callable[[], str] | None = None,
        default_timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> None:
        self.agent = agent
        self.book = TaskBook()
        self._skills: dict[str, SkillHandler] = {}
        self._task_skill: dict[TaskKey, str] = {}
        self._clock = clock or (lambda: datetime.now(UTC))
        self._ids = ids or message_ids(secrets.token_hex(8))
        self._default_timeout_ms = default_timeout_ms
        self._running: dict[TaskKey, asyncio.Task[None]] = {}
        self.watcher: Watcher | None = None  # set by aip.client.streams.Streams
        agent.method(RPC)(self.rpc)

    @property
    def aic(self) -> str:
        """The Partner's AIC: the ``senderId`` of its results."""
        return self.agent.aic

    def skill(self, skill_id: str) -> Callable[[SkillHandler], SkillHandler]:
        """Decorator: do tasks whose ``start`` names ``skill_id`` (``commandParams.skill``)
        with the decorated handler.  Raises ``ValueError`` for a skill registered twice."""

        def register(handler: SkillHandler) -> SkillHandler:
            if skill_id in self._skills:
                raise ValueError(f"skill {skill_id} is already registered")
            self._skills[skill_id] = handler
            return handler

        return register

    # ---------------------------------------------------------------- the method

    async def rpc(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """The ``aip.rpc`` handler: ``{"message": <signed task-command>}`` in, ``{"message":
        <signed task-result>}`` out [MSG-RPC-002] [MSG-RPC-003].

        Raises :class:`~aip.errors.AipError`: the binding's codes (-32602, -32008, -32009,
        Part 3), -33901 for a message that is not a task command, and the table's refusals.
        """
        command = open_message(params, caller)  # as @agent.signed: [SES-BND-004]
        key = await self.apply(command, wait=True)
        return self.answer(key, command)

    async def apply(self, command: dict[str, Any], *, wait: bool) -> TaskKey:
        """Apply an opened ``command`` to the book and set off the work it calls for; with
        ``wait``, return only once that work has taken its step.  Raises the table's refusal
        [MSG-RPC-004]."""
        now = self._clock()
        step = self.book.command(command, partner=self.aic, now=now)  # -33901 for a bad shape
        key = TaskKey(command["senderId"], command["taskId"], self.aic)
        if step.error is not None:  # [MSG-RPC-004]
            raise InteractionError(step.error, f"the task table refuses this {command['command']}")
        self._changed(key)  # a timeout or the command itself may have moved the task
        if Effect.DECIDE in step.effects:
            await self._decide(key, command, wait=wait)
        elif Effect.STOP in step.effects:  # [MSG-RPC-006]
            job = self._running.get(key)
            if job is not None:
                job.cancel()
        elif Effect.DELIVER in step.effects:
            await self._deliver(key, command.get("dataItems") or [], first=False, wait=wait)
        return key

    def _changed(self, key: TaskKey, chunk: Chunk | None = None) -> Awaitable[None] | None:
        return None if self.watcher is None else self.watcher(key, chunk)

    def answer(self, key: TaskKey, command: dict[str, Any]) -> dict[str, Any]:
        """The signed task result for the task as it stands, naming the command [MSG-RPC-003]."""
        task = self.book.tasks[key]
        result = result_message(task, ident=self._ids(), now=self._clock(), command=command)
        result["replyTo"] = command["id"]
        identity = self.agent.enrolled.identity
        return {"message": sign_message(result, identity.key, aic=identity.aic)}

    # ---------------------------------------------------------------- the work

    def _skill_of(self, command: Mapping[str, Any]) -> str | None:
        """The skill a start asks for: ``commandParams.skill``, or the only skill there is."""
        wanted = (command.get("commandParams") or {}).get("skill")
        if wanted is None and len(self._skills) == 1:
            return next(iter(self._skills))
        return wanted if isinstance(wanted, str) and wanted in self._skills else None

    async def _decide(self, key: TaskKey, start: dict[str, Any], *, wait: bool) -> None:
        """Accept a start for a known skill and begin it, or reject it [MSG-RPC-005]."""
        skill = self._skill_of(start)
        now = self._clock()
        if skill is None:
            self.book.open(start, partner=self.aic, now=now, accept=False,
                           data_items=_reason("unknownSkill"),
                           default_timeout_ms=self._default_timeout_ms)
            self._changed(key)
            return
        self.book.open(start, partner=self.aic, now=now, accept=True,
                       default_timeout_ms=self._default_timeout_ms)
        self._task_skill[key] = skill
        self.book.step(key, Input.BEGIN, now)  # row 3: synchronous work begins at once
        self._changed(key)
        await self._deliver(key, start.get("dataItems") or [], first=True, wait=wait)

    async def _deliver(
        self, key: TaskKey, items: list[dict[str, Any]], *, first: bool, wait: bool
    ) -> None:
        """Run the skill on ``items`` and, with ``wait``, wait for it: the ``aip.rpc`` answer
        is sent once it is done [MSG-RPC-003]; ``aip.stream`` answers at once [MSG-STR-001].

        The work runs as its own task: if the call that started it is dropped, the task still
        moves on (a Leader reads it with ``get``); a ``cancel`` stops it.
        """
        task = self.book.tasks[key]
        skill = self._task_skill[key]
        seen = len(task.statuses)

        async def emit(product: Mapping[str, Any], append: bool, last_chunk: bool) -> None:
            held = self.book.tasks.get(key)
            if held is None or len(held.statuses) != seen:
                raise InteractionError(Code.INVALID_AGENT_RESPONSE, "the task moved on")
            step = self.book.produce(key, product, append=append, now=self._clock())
            if step.transitions:  # over maxProductsBytes: the task failed [MSG-TSK-013]
                self._changed(key)
                raise InteractionError(Code.INVALID_AGENT_RESPONSE, "over maxProductsBytes")
            held_back = self._changed(key, (dict(product), append, last_chunk))
            await (asyncio.sleep(0) if held_back is None else held_back)

        work = Work(key.task_id, key.leader, skill, list(items), list(task.products), first, emit)
        job = asyncio.ensure_future(self._work(key, self._skills[skill], work, seen))
        self._running[key] = job
        job.add_done_callback(lambda done: self._finished(key, done))
        if wait:
            await asyncio.wait({job})

    def _finished(self, key: TaskKey, job: asyncio.Task[None]) -> None:
        if self._running.get(key) is job:
            del self._running[key]
        if not job.cancelled():
            with contextlib.suppress(Exception):
                job.result()

    async def _work(self, key: TaskKey, handler: SkillHandler, work: Work, seen: int) -> None:
        try:
            outcome: Any = handler(work)
            if isawaitable(outcome):
                outcome = await outcome
        except asyncio.CancelledError:
            raise
        except Exception:  # a skill that breaks fails its task, not the Partner
            outcome = Fail(_reason("skillError"))
        held = self.book.tasks.get(key)
        if held is None or held.state is not State.WORKING or len(held.statuses) != seen:
            return  # the task moved on while the skill ran (canceled): its outcome is dropped
        now = self._clock()
        try:
            self._apply(key, outcome, now)
        except AipError:  # the skill answered something the table or the shape refuses
            self.book.step(key, Input.FAIL, now, data_items=_reason("invalidOutcome"))
        self._changed(key)

    def _apply(self, key: TaskKey, outcome: Any, now: datetime) -> None:
        if isinstance(outcome, Submit):
            self.book.step(key, Input.SUBMIT, now, products=list(outcome.products),
                           data_items=outcome.data_items)
        elif isinstance(outcome, Ask):
            self.book.step(key, Input.ASK, now, data_items=outcome.data_items)
        elif isinstance(outcome, Fail):
            self.book.step(key, Input.FAIL, now, data_items=outcome.data_items)
        elif isinstance(outcome, list | tuple):
            self.book.step(key, Input.SUBMIT, now, products=list(outcome))
        else:
            raise InteractionError(
                Code.INVALID_AGENT_RESPONSE,
                "a skill returns Submit, Ask, Fail or a list of products",
            )
