"""A Leader: starts and steers tasks at one Partner over a session with ``aip.rpc`` (shell).

::

    async with await agent.connect(partner_url, partner_aic) as session:
        leader = Leader(session, agent.enrolled.identity)
        report = await leader.start("plan a weekend in Hangzhou", skill="travel.plan")
        if report.state is State.AWAITING_INPUT:
            report = await leader.continue_(report.task_id, "two nights")
        report = await leader.complete(report.task_id)      # report.products

Each call signs one ``task-command`` with the Leader's key, sends it as ``aip.rpc`` and checks
the Partner's signed ``task-result`` with :func:`check_result` before returning it as a
:class:`TaskReport` [MSG-RPC-007].  A refusal comes back as :class:`~aip.errors.AipError` with
the Partner's code (-32001 TaskNotFound, -32002 TaskNotCancelable, ...).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aip.client.partner import RPC
from aip.client.session import AgentIdentity, Session
from aip.client.streams import STREAM, EventInbox, EventStream
from aip.errors import Code, InteractionError
from aip.identity.keys import VerifyKey
from aip.interaction.messages import check_message, sign_message, task_command
from aip.interaction.tasks import State, check_report
from aip.sessions.binding import check_reply, message_ids

__all__ = ["DataItem", "Leader", "TaskReport", "check_result"]

DataItem = str | Mapping[str, Any]
"""A data item, or a string as a shorthand for ``{"type": "text", "text": ...}``."""


@dataclass(frozen=True, slots=True)
class TaskReport:
    """A task as the Partner reported it: checked, signed result in ``message``."""

    task_id: str
    state: State
    status: dict[str, Any]
    products: list[dict[str, Any]]
    message: dict[str, Any]

    @property
    def data_items(self) -> list[dict[str, Any]]:
        """The data items of the current status (what an ``awaiting-input`` asks, say)."""
        return list(self.status.get("dataItems") or [])


def _bad(why: str, **data: Any) -> InteractionError:
    return InteractionError(Code.INVALID_AGENT_RESPONSE, why, data=data or None)


def check_result(
    reply: Any,
    command: Mapping[str, Any],
    *,
    partner: str,
    partner_key: VerifyKey,
    previous: State | None,
) -> TaskReport:
    """Check the answer to ``command`` sent with ``aip.rpc``; return it as a report.

    In this order [MSG-RPC-007]: the signed answer itself (Part 7 §7.6: -32006 if it is not a
    message or not from ``partner``, the Part 3 code if its signature does not verify under
    ``partner_key``); then, all as -32006 InvalidAgentResponse, a ``task-result`` of the right
    shape, naming the command in ``replyTo`` and its ``taskId``, whose state the table can
    reach from ``previous`` (the last state seen for the task, [MSG-TSK-015]).
    """
    message = check_reply(reply, partner, partner_key)  # [SES-BND-003]
    try:
        check_message(message)
    except InteractionError as exc:
        member = (exc.data or {}).get("member")
        raise _bad("the result is not a valid message", member=member) from None
    if message["type"] != "task-result":
        raise _bad("the answer is not a task result")
    if message.get("replyTo") != command["id"] or message["taskId"] != command["taskId"]:
        raise _bad("the result answers another command")
    state = State(message["status"]["state"])
    check_report(previous, state)  # -32006 when the table cannot reach it
    return TaskReport(
        message["taskId"],
        state,
        message["status"],
        list(message.get("products") or []),
        message,
    )


def _items(items: Sequence[DataItem]) -> list[dict[str, Any]]:
    return [{"type": "text", "text": i} if isinstance(i, str) else dict(i) for i in items]


class Leader:
    """Starts and steers tasks at the Partner a session is authenticated to.

    ``identity`` is the session's own (``agent.enrolled.identity``): its key signs every
    command.  ``clock`` and ``ids`` (message ids) are injectable; ``timeout`` bounds each call
    in seconds.  Remembers the last state seen per task to check the next report.
    """

    def __init__(
        self,
        session: Session,
        identity: AgentIdentity,
        *,
        clock: Callable[[], datetime] | None = None,
        ids: Callable[[], str] | None = None,
        timeout: float = 10.0,
        inbox: EventInbox | None = None,
    ) -> None:
        """``inbox`` receives stream events: the session must serve its ``methods``
        (``connect(..., methods=inbox.methods)``) for :meth:`stream` and :meth:`resume`."""
        if session.server is None or session.aic != identity.aic:
            raise ValueError("a Leader needs a session authenticated as its identity")
        self.session = session
        self.inbox = inbox
        self._identity = identity
        self._clock = clock or (lambda: datetime.now(UTC))
        self._ids = ids or message_ids(secrets.token_hex(8))
        self._timeout = timeout
        self._seen: dict[str, State] = {}

    @property
    def partner(self) -> str:
        """The Partner's AIC, as the session proved it."""
        assert self.session.server is not None
        return self.session.server.aic

    async def start(
        self,
        *data_items: DataItem,
        skill: str | None = None,
        task_id: str | None = None,
        timeout_ms: int | None = None,
        max_products_bytes: int | None = None,
        session_id: str | None = None,
    ) -> TaskReport:
        """Start a task (a fresh UUID unless ``task_id`` is given; sending the same start
        again is harmless [MSG-TSK-005]) with the skill ``skill`` and these data items."""
        params = {"skill": skill, "timeout": timeout_ms, "maxProductsBytes": max_products_bytes}
        kept = {k: v for k, v in params.items() if v is not None}
        return await self.send(
            "start",
            task_id or str(uuid.uuid4()),
            params=kept or None,
            data_items=_items(data_items),
            session_id=session_id,
        )

    async def continue_(self, task_id: str, *data_items: DataItem) -> TaskReport:
        """Give an awaiting task more input (rows 9 and 13)."""
        return await self.send("continue", task_id, data_items=_items(data_items))

    async def cancel(self, task_id: str) -> TaskReport:
        """Cancel a task; -32002 TaskNotCancelable once it has finished."""
        return await self.send("cancel", task_id)

    async def complete(self, task_id: str) -> TaskReport:
        """Accept the products of a task in ``awaiting-completion`` (row 12)."""
        return await self.send("complete", task_id)

    async def get(
        self,
        task_id: str,
        *,
        last_command_sent_at: str | None = None,
        last_state_changed_at: str | None = None,
    ) -> TaskReport:
        """Read a task with its histories (entries after the given times only)
        [MSG-TSK-009]; ``report.message`` holds ``commandHistory`` and ``statusHistory``."""
        params = {
            "lastCommandSentAt": last_command_sent_at,
            "lastStateChangedAt": last_state_changed_at,
        }
        return await self.send("get", task_id, params=params)

    async def stream(
        self,
        *data_items: DataItem,
        skill: str | None = None,
        task_id: str | None = None,
        timeout_ms: int | None = None,
        max_products_bytes: int | None = None,
    ) -> EventStream:
        """Start a task with ``aip.stream`` [MSG-STR-001]: return its events, checked and in
        order, each once; ``stream.report`` is the Partner's answer to the start."""
        params = {"skill": skill, "timeout": timeout_ms, "maxProductsBytes": max_products_bytes}
        kept = {k: v for k, v in params.items() if v is not None}
        task_id = task_id or str(uuid.uuid4())
        track = self._inbox().track(self.partner, task_id)
        report = await self.send("start", task_id, params=kept or None,
                                 data_items=_items(data_items), method=STREAM)
        return EventStream(report, track)

    async def resume(
        self, task_id: str, last_event_seq: int | None = None, *, session: Session | None = None
    ) -> EventStream:
        """Send ``re-stream`` with ``lastEventSeq`` (the last event accepted when None) on
        ``session`` (a new one after a drop; it becomes the Leader's) [MSG-STR-005]: the
        events after it follow, repeats dropped [MSG-STR-008].  -32004 once they are gone."""
        if session is not None:
            if session.server is None or session.aic != self._identity.aic:
                raise ValueError("a Leader needs a session authenticated as its identity")
            self.session = session
        inbox = self._inbox()
        last = inbox.last_seq(self.partner, task_id) if last_event_seq is None else last_event_seq
        track = inbox.track(self.partner, task_id)
        report = await self.send("re-stream", task_id, params={"lastEventSeq": last},
                                 method=STREAM)
        return EventStream(report, track)

    def _inbox(self) -> EventInbox:
        if self.inbox is None:
            raise RuntimeError("streams need a Leader with an inbox its session serves")
        return self.inbox

    async def send(
        self,
        command: str,
        task_id: str,
        *,
        params: Mapping[str, Any] | None = None,
        data_items: Sequence[Mapping[str, Any]] | None = None,
        session_id: str | None = None,
        method: str = RPC,
    ) -> TaskReport:
        """Sign and send one task command; return the checked report.  Raises the Partner's
        refusal as :class:`~aip.errors.AipError`, -32006 or a Part 3 code for a bad result,
        ``TimeoutError`` or :class:`~aip.client.session.ConnectionLost`."""
        unsigned = task_command(
            command,
            task_id,
            ident=self._ids(),
            now=self._clock(),
            sender=self._identity.aic,
            params=params,
            data_items=data_items or None,
            session_id=session_id,
        )
        signed = sign_message(unsigned, self._identity.key, aic=self._identity.aic)
        reply = await self.session.call(method, {"message": signed}, timeout=self._timeout)
        server = self.session.server
        assert server is not None
        report = check_result(
            reply, signed, partner=server.aic, partner_key=server.key,
            previous=self._seen.get(task_id),
        )
        self._seen[task_id] = report.state
        return report
