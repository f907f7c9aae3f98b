"""One task as the Partner holds it, and the book of tasks (spec Part 9 §9.3, MSG-TSK).

Pure core: every method takes ``now`` (an aware datetime) and returns a new value; nothing
reads a clock.  A :class:`Task` holds its status history, the commands it acted on and its
products; it moves only through :func:`aip.interaction.tasks.outcome`.  Which function to call:

* :meth:`TaskBook.command` for every task command a Leader sends: a start for a task the book
  does not hold comes back with the DECIDE effect, then :meth:`TaskBook.open` records the
  Partner's decision; any other command comes back as a :class:`Step` whose ``error`` (a
  registry code) is the answer when the table refuses it;
* :meth:`TaskBook.step` and :meth:`TaskBook.produce` for the Partner's own steps (misuse
  raises InteractionError -32006);
* :meth:`TaskBook.tick` periodically, to apply the timeouts that have run out;
* :meth:`Task.result_members` / :func:`result_message` for the task result to send.

Times: each new status is stamped ``now``, or one microsecond after the previous status if
``now`` is not later, so stamps of one task strictly increase [MSG-TSK-010]; a timeout is
stamped at its deadline, whenever it is noticed [MSG-TSK-011].
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from aip.codec import canonicalize
from aip.errors import Code, InteractionError
from aip.interaction import message_fields as f
from aip.interaction.messages import check_message, new_message
from aip.interaction.tasks import Effect, Input, Row, State, outcome

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "Step",
    "Task",
    "TaskBook",
    "TaskKey",
    "open_task",
    "products_bytes",
    "result_message",
]

DEFAULT_TIMEOUT_MS = 3_600_000  # the reference Partner's wait in an awaiting state [MSG-TSK-011]
_MS = 1_000_000  # nanoseconds
_US = 1_000
_PARTNER_STEPS = (Input.BEGIN, Input.SUBMIT, Input.ASK, Input.FAIL)


class TaskKey(NamedTuple):
    """What names a task: the Leader that chose the id, the id, the Partner doing it
    [MSG-TSK-014]."""

    leader: str
    task_id: str
    partner: str


def products_bytes(products: Sequence[Mapping[str, Any]]) -> int:
    """The size ``maxProductsBytes`` limits: the RFC 8785 bytes of each product, summed
    [MSG-TSK-013].  Raises CodecError if a product is not a JSON value."""
    return sum(len(canonicalize(dict(p))) for p in products)


@dataclass(frozen=True, slots=True)
class Task:
    """One task, for one Leader and one Partner.  Build it with :func:`open_task`."""

    key: TaskKey
    state: State
    statuses: tuple[dict[str, Any], ...]  # statusHistory, oldest first; the last is current
    commands: tuple[dict[str, Any], ...]  # commandHistory: the commands that moved the task
    products: tuple[dict[str, Any], ...] = ()
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    max_products_bytes: int | None = None
    session_id: str | None = None
    group_id: str | None = None

    @property
    def changed_ns(self) -> int:
        """When the current status began, in nanoseconds since 1970."""
        return f.instant(self.statuses[-1]["stateChangedAt"]) or 0

    @property
    def deadline_ns(self) -> int | None:
        """When the wait in an awaiting state runs out; None in the other states."""
        if self.state in (State.AWAITING_INPUT, State.AWAITING_COMPLETION):
            return self.changed_ns + self.timeout_ms * _MS
        return None

    # ---------------------------------------------------------------- inputs

    def tick(self, now: datetime) -> Step:
        """Apply the timeout if it has run out at ``now`` (at the deadline exactly, too)."""
        moment, deadline = f.nanoseconds(now), self.deadline_ns
        if deadline is None or moment < deadline:
            return Step(self)
        return self._move(outcome(self.state, Input.TIMEOUT), deadline, Input.TIMEOUT)

    def command(self, command: Mapping[str, Any], now: datetime) -> Step:
        """Apply a Leader's task command received at ``now`` [MSG-TSK-004].

        A timeout due at ``now`` is applied first [MSG-TSK-012].  A refusal by the table is
        returned in :attr:`Step.error` (the answer to send), never raised.  Raises
        MESSAGE_INVALID if ``command`` is not a task command, TASK_NOT_FOUND if it names
        another task or comes from another Leader (routing misuse).
        """
        msg = _command_of(command)
        if (msg["senderId"], msg["taskId"]) != self.key[:2]:
            raise InteractionError(Code.TASK_NOT_FOUND, "the command is for another task")
        first = self.tick(now)
        event = Input(msg["command"])
        row = outcome(first.task_now.state, event)
        if row.error is not None:
            return replace(first, error=row.error)
        second = first.task_now._move(row, f.nanoseconds(now), event, command=msg)
        return first.then(second)

    def step(
        self,
        event: Input,
        now: datetime,
        *,
        data_items: Sequence[Mapping[str, Any]] | None = None,
        products: Sequence[Mapping[str, Any]] = (),
    ) -> Step:
        """The Partner's own step: BEGIN, SUBMIT (with ``products``), ASK or FAIL, with the
        new status's ``data_items``.  A timeout due at ``now`` is applied first.  Raises
        INVALID_AGENT_RESPONSE (-32006) out of order, MESSAGE_INVALID for bad items."""
        if event not in _PARTNER_STEPS or (products and event is not Input.SUBMIT):
            raise InteractionError(Code.INVALID_AGENT_RESPONSE, f"not a Partner step: {event}")
        _check_items(data_items, products)
        first = self.tick(now)
        task = first.task_now
        row = _allowed(outcome(task.state, event))
        kept = _merge(task.products, products)
        over = task._over_cap(kept) if event is Input.SUBMIT else None
        if over is not None:
            return first.then(task._move(outcome(task.state, Input.FAIL), f.nanoseconds(now),
                                         Input.FAIL, data_items=over))
        task = replace(task, products=kept)
        return first.then(task._move(row, f.nanoseconds(now), event, data_items=data_items))

    def produce(self, product: Mapping[str, Any], *, append: bool, now: datetime) -> Step:
        """Add a product while working, or (``append``) extend the one with its id by the
        product's data items [MSG-TSK-013].  Over ``maxProductsBytes`` the task fails instead.
        Raises INVALID_AGENT_RESPONSE out of order or when there is nothing to append to."""
        f.product(product, "/product")
        first = self.tick(now)
        task = first.task_now
        row = _allowed(outcome(task.state, Input.PRODUCE))
        if append:
            held = [p for p in task.products if p["id"] == product["id"]]
            if not held:
                raise InteractionError(Code.INVALID_AGENT_RESPONSE, "no product to append to")
            items = [*held[0]["dataItems"], *product["dataItems"]]
            product = {**held[0], "dataItems": items}
        kept = _merge(task.products, [product])
        over = task._over_cap(kept)
        if over is not None:
            return first.then(task._move(outcome(task.state, Input.FAIL), f.nanoseconds(now),
                                         Input.FAIL, data_items=over))
        return first.then(Step(replace(task, products=kept), row.effects))

    # ---------------------------------------------------------------- answers

    def result_members(self, command: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The members of the task result answering ``command`` (None: a status push).

        Always ``taskId``, ``status`` and ``products``; ``sessionId`` and ``groupId`` of the
        start.  For a ``get``, also ``commandHistory`` and ``statusHistory``, each limited to
        entries strictly later than ``lastCommandSentAt`` / ``lastStateChangedAt`` when
        those are given [MSG-TSK-009].
        """
        members: dict[str, Any] = {
            "taskId": self.key.task_id,
            "status": self.statuses[-1],
            "products": list(self.products),
            "sessionId": self.session_id,
            "groupId": self.group_id,
        }
        if command is not None and command.get("command") == "get":
            params = command.get("commandParams") or {}
            members["commandHistory"] = _after(self.commands, "sentAt", params, "lastCommandSentAt")
            members["statusHistory"] = _after(
                self.statuses, "stateChangedAt", params, "lastStateChangedAt"
            )
        return copy.deepcopy({k: v for k, v in members.items() if v is not None})

    # ---------------------------------------------------------------- internals

    def _over_cap(self, products: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]] | None:
        """The failure data item when ``products`` exceed the cap, else None [MSG-TSK-013]."""
        size = products_bytes(products)
        if self.max_products_bytes is None or size <= self.max_products_bytes:
            return None
        detail = {"reason": "maxProductsBytes", "maxProductsBytes": self.max_products_bytes,
                  "productsBytes": size}
        return [{"type": "data", "data": detail}]

    def _move(
        self,
        row: Row,
        at_ns: int,
        event: Input,
        *,
        command: dict[str, Any] | None = None,
        data_items: Sequence[Mapping[str, Any]] | None = None,
    ) -> Step:
        """Apply an allowed row: a new status (if the state changes) and history."""
        if row.next is None or (row.next is self.state and Effect.CHANGED not in row.effects):
            return Step(self, row.effects)
        stamp = max(at_ns, self.changed_ns + _US) if event is not Input.TIMEOUT else at_ns
        status: dict[str, Any] = {"state": str(row.next), "stateChangedAt": f.format_time(stamp)}
        if data_items:
            status["dataItems"] = copy.deepcopy([dict(i) for i in data_items])
        task = replace(
            self,
            state=row.next,
            statuses=(*self.statuses, status),
            commands=self.commands if command is None else (*self.commands, copy.deepcopy(command)),
        )
        return Step(task, row.effects, ((self.state, row.next),))


@dataclass(frozen=True, slots=True)
class Step:
    """What one input did: the task after it (None: still no task), the effects for the
    shell, the state changes in order (a due timeout first), and the registry code of a
    refused command (the task is then as it was, timeouts applied)."""

    task: Task | None
    effects: frozenset[Effect] = frozenset()
    transitions: tuple[tuple[State | None, State], ...] = ()
    error: Code | None = None

    @property
    def task_now(self) -> Task:
        """The task, when there is one (internal use after a tick)."""
        assert self.task is not None
        return self.task

    def then(self, later: Step) -> Step:
        """This step followed by ``later``: effects united, transitions in order."""
        return Step(
            later.task,
            self.effects | later.effects,
            self.transitions + later.transitions,
            later.error,
        )

    def raise_for_error(self) -> None:
        """Raise :class:`~aip.errors.InteractionError` if the command was refused."""
        if self.error is not None:
            raise InteractionError(self.error, f"the task table refuses this ({self.error.name})")


def _command_of(command: Any) -> dict[str, Any]:
    msg = check_message(command)
    if msg["type"] != "task-command":
        f.fail("/type", "must be task-command")
    return msg


def _check_items(
    data_items: Sequence[Mapping[str, Any]] | None, products: Sequence[Mapping[str, Any]]
) -> None:
    if data_items is not None:
        f.data_items([dict(i) for i in data_items], "/dataItems")
    f.products([dict(p) for p in products], "/products")


def _allowed(row: Row) -> Row:
    if row.error is not None:
        raise InteractionError(row.error, "this Partner step is not allowed in this state")
    return row


def _merge(
    held: Sequence[dict[str, Any]], new: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], ...]:
    """``held`` with each new product replacing the one with its id, or appended [MSG-TSK-013]."""
    out = list(held)
    for product in new:
        item = copy.deepcopy(dict(product))
        index = next((i for i, p in enumerate(out) if p["id"] == item["id"]), None)
        if index is None:
            out.append(item)
        else:
            out[index] = item
    return tuple(out)


def _after(
    entries: Sequence[dict[str, Any]], name: str, params: Mapping[str, Any], param: str
) -> list[dict[str, Any]]:
    """Entries whose time ``name`` is strictly later than ``params[param]`` (all when that is
    absent or None); a parameter that is not a time raises MESSAGE_INVALID."""
    since = params.get(param)
    if since is None:
        return list(entries)
    limit = f.timestamp(since, f.pointer("/commandParams", param))
    return [e for e in entries if (f.instant(e[name]) or 0) > limit]


def open_task(
    start: Mapping[str, Any],
    *,
    partner: str,
    now: datetime,
    accept: bool,
    data_items: Sequence[Mapping[str, Any]] | None = None,
    default_timeout_ms: int = DEFAULT_TIMEOUT_MS,
) -> Step:
    """The Partner's decision on a ``start`` for a task it does not hold (rows 1 and 2): the
    task, accepted or rejected, with the start as its first command [MSG-TSK-005].

    ``commandParams.timeout`` (ms) overrides ``default_timeout_ms`` and
    ``commandParams.maxProductsBytes`` caps the products [MSG-TSK-011] [MSG-TSK-013].
    Raises MESSAGE_INVALID if ``start`` is not a start command.
    """
    msg = _command_of(start)
    if msg["command"] != "start":
        f.fail("/command", "must be start")
    _check_items(data_items, ())
    params = msg.get("commandParams") or {}
    event = Input.ACCEPT if accept else Input.REJECT
    row = outcome(None, event)
    assert row.next is not None
    stamp = f.nanoseconds(now)
    status: dict[str, Any] = {"state": str(row.next), "stateChangedAt": f.format_time(stamp)}
    if data_items:
        status["dataItems"] = copy.deepcopy([dict(i) for i in data_items])
    task = Task(
        TaskKey(msg["senderId"], msg["taskId"], partner),
        row.next,
        (status,),
        (copy.deepcopy(msg),),
        timeout_ms=params.get("timeout") or default_timeout_ms,
        max_products_bytes=params.get("maxProductsBytes"),
        session_id=msg.get("sessionId"),
        group_id=msg.get("groupId"),
    )
    return Step(task, row.effects, ((None, row.next),))


def result_message(
    task: Task, *, ident: str, now: datetime, command: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The unsigned task result from the task's Partner answering ``command`` (or pushing the
    current status when it is None); sign it with :func:`~aip.interaction.messages.sign_message`.
    """
    members = task.result_members(command)
    return new_message("task-result", members, ident=ident, now=now, sender=task.key.partner)


@dataclass(slots=True)
class TaskBook:
    """The tasks one party holds, by (Leader, task id, Partner) [MSG-TSK-014]."""

    tasks: dict[TaskKey, Task] = field(default_factory=dict)

    def command(self, command: Mapping[str, Any], *, partner: str, now: datetime) -> Step:
        """Apply a Leader's command for ``partner`` and keep the result.

        A start for a task not held returns a step with the DECIDE effect and no task: call
        :meth:`open`.  A command the table refuses returns its code in :attr:`Step.error`.
        Raises MESSAGE_INVALID if ``command`` is not a task command.
        """
        msg = _command_of(command)
        key = TaskKey(msg["senderId"], msg["taskId"], partner)
        task = self.tasks.get(key)
        if task is None:
            row = outcome(None, Input(msg["command"]))
            return Step(None, row.effects, error=row.error)
        step = task.command(msg, now)
        self.tasks[key] = step.task_now
        return step

    def open(
        self,
        start: Mapping[str, Any],
        *,
        partner: str,
        now: datetime,
        accept: bool,
        data_items: Sequence[Mapping[str, Any]] | None = None,
        default_timeout_ms: int = DEFAULT_TIMEOUT_MS,
    ) -> Step:
        """Record the Partner's decision on a start (see :func:`open_task`); a task already
        held raises INVALID_AGENT_RESPONSE (the decision was taken)."""
        msg = _command_of(start)
        if TaskKey(msg["senderId"], msg["taskId"], partner) in self.tasks:
            raise InteractionError(Code.INVALID_AGENT_RESPONSE, "this task was already decided")
        step = open_task(msg, partner=partner, now=now, accept=accept, data_items=data_items,
                         default_timeout_ms=default_timeout_ms)
        self.tasks[step.task_now.key] = step.task_now
        return step

    def step(self, key: TaskKey, event: Input, now: datetime, **kwargs: Any) -> Step:
        """A Partner step on a held task (see :meth:`Task.step`); TASK_NOT_FOUND if none."""
        step = self._held(key).step(event, now, **kwargs)
        self.tasks[key] = step.task_now
        return step

    def produce(self, key: TaskKey, product: Mapping[str, Any], *, append: bool,
                now: datetime) -> Step:
        """A product on a held task (see :meth:`Task.produce`); TASK_NOT_FOUND if none."""
        step = self._held(key).produce(product, append=append, now=now)
        self.tasks[key] = step.task_now
        return step

    def tick(self, now: datetime) -> dict[TaskKey, Step]:
        """Apply every timeout that has run out at ``now``; the steps that changed a task."""
        changed: dict[TaskKey, Step] = {}
        for key, task in list(self.tasks.items()):
            step = task.tick(now)
            if step.transitions:
                self.tasks[key] = step.task_now
                changed[key] = step
        return changed

    def _held(self, key: TaskKey) -> Task:
        task = self.tasks.get(key)
        if task is None:
            raise InteractionError(Code.TASK_NOT_FOUND, "no such task")
        return task
