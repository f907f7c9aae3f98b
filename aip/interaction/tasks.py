"""The AIP task machine as a table (spec Part 9 §9.3, topic MSG-TSK).

Pure core.  A task is in one of eight states; what moves it is a Leader command, a step the
Partner takes, or the clock.  :data:`TRANSITIONS` holds the fifteen transitions of the standard
(ACPs AIP §4.5, rows 1 to 15) plus the one self-loop this specification adds (products while
working); :func:`outcome` extends it to every (state, input) pair by the rules of [MSG-TSK-004]:

* ``start`` for a task that exists is ignored (idempotent start) [MSG-TSK-005];
* ``continue`` and ``complete`` where the table has no row are ignored;
* ``cancel`` on a finished task is refused with -32002 TaskNotCancelable [MSG-TSK-006];
* ``get`` and ``re-stream`` read the task in every state and change nothing [MSG-TSK-009];
* a Partner step out of order is refused with -32006 InvalidAgentResponse [MSG-TSK-007];
* a timeout where none applies does nothing;
* anything but ``start`` (and the Partner's decision on it) for a task that does not exist is
  refused with -32001 TaskNotFound.

:data:`TABLE` is that total function written out for every pair, ``None`` standing for "no
such task".  The value type that walks the table is :class:`aip.interaction.task.Task`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aip.errors import Code, InteractionError

__all__ = [
    "COMMANDS",
    "STEPS",
    "TABLE",
    "TERMINAL",
    "TRANSITIONS",
    "Effect",
    "Input",
    "Row",
    "State",
    "check_report",
    "outcome",
    "reachable",
]


class State(StrEnum):
    """The eight task states [MSG-TSK-001]."""

    ACCEPTED = "accepted"
    WORKING = "working"
    AWAITING_INPUT = "awaiting-input"
    AWAITING_COMPLETION = "awaiting-completion"
    COMPLETED = "completed"
    CANCELED = "canceled"
    FAILED = "failed"
    REJECTED = "rejected"


TERMINAL = frozenset({State.COMPLETED, State.CANCELED, State.FAILED, State.REJECTED})


class Input(StrEnum):
    """What can happen to a task: a Leader command, a Partner step, or the clock."""

    START = "start"  # Leader commands [MSG-MSG-014]
    CONTINUE = "continue"
    CANCEL = "cancel"
    COMPLETE = "complete"
    GET = "get"
    RE_STREAM = "re-stream"
    ACCEPT = "accept"  # Partner steps: the decision on a start ...
    REJECT = "reject"
    BEGIN = "begin"  # ... then the work
    PRODUCE = "produce"
    SUBMIT = "submit"
    ASK = "ask"
    FAIL = "fail"
    TIMEOUT = "timeout"  # the clock: the wait in an awaiting state has run out [MSG-TSK-011]


COMMANDS = (Input.START, Input.CONTINUE, Input.CANCEL, Input.COMPLETE, Input.GET, Input.RE_STREAM)
STEPS = (
    Input.ACCEPT, Input.REJECT, Input.BEGIN, Input.PRODUCE, Input.SUBMIT, Input.ASK, Input.FAIL
)


class Effect(StrEnum):
    """What the Partner's shell does after a step [MSG-TSK-003]."""

    CHANGED = "changed"  # a new status: tell the Leader (task result, stream event, notification)
    DELIVER = "deliver"  # hand the command's data items to the Partner's work
    STOP = "stop"  # the task is canceled: stop working on it and release what it holds
    PRODUCED = "produced"  # the products changed without a new status (stream the chunk)
    IGNORED = "ignored"  # nothing changed; the answer is the task as it stands
    READ = "read"  # answered from the task: a result with history, or the stream replayed
    DECIDE = "decide"  # a start for a task that does not exist: the Partner accepts or rejects


@dataclass(frozen=True, slots=True)
class Row:
    """The outcome of one (state, input) pair: the next state (``None``: still no task), the
    effects, or the registry code the input is refused with (then the state is unchanged)."""

    next: State | None
    effects: frozenset[Effect] = frozenset()
    error: Code | None = None


_C, _D, _S = Effect.CHANGED, Effect.DELIVER, Effect.STOP

# (state, input) -> (next state, effects): rows 1-15 of ACPs AIP §4.5, and products [MSG-TSK-002]
TRANSITIONS: dict[tuple[State | None, Input], tuple[State, frozenset[Effect]]] = {
    (None, Input.ACCEPT): (State.ACCEPTED, frozenset({_C})),  # 1
    (None, Input.REJECT): (State.REJECTED, frozenset({_C})),  # 2
    (State.ACCEPTED, Input.BEGIN): (State.WORKING, frozenset({_C})),  # 3
    (State.ACCEPTED, Input.CANCEL): (State.CANCELED, frozenset({_C, _S})),  # 4
    (State.WORKING, Input.SUBMIT): (State.AWAITING_COMPLETION, frozenset({_C})),  # 5
    (State.WORKING, Input.ASK): (State.AWAITING_INPUT, frozenset({_C})),  # 6
    (State.WORKING, Input.FAIL): (State.FAILED, frozenset({_C})),  # 7
    (State.WORKING, Input.CANCEL): (State.CANCELED, frozenset({_C, _S})),  # 8
    (State.AWAITING_INPUT, Input.CONTINUE): (State.WORKING, frozenset({_C, _D})),  # 9
    (State.AWAITING_INPUT, Input.CANCEL): (State.CANCELED, frozenset({_C, _S})),  # 10
    (State.AWAITING_INPUT, Input.TIMEOUT): (State.CANCELED, frozenset({_C, _S})),  # 11
    (State.AWAITING_COMPLETION, Input.COMPLETE): (State.COMPLETED, frozenset({_C})),  # 12
    (State.AWAITING_COMPLETION, Input.CONTINUE): (State.WORKING, frozenset({_C, _D})),  # 13
    (State.AWAITING_COMPLETION, Input.CANCEL): (State.CANCELED, frozenset({_C, _S})),  # 14
    (State.AWAITING_COMPLETION, Input.TIMEOUT): (State.COMPLETED, frozenset({_C})),  # 15
    (State.WORKING, Input.PRODUCE): (State.WORKING, frozenset({Effect.PRODUCED})),  # [MSG-TSK-013]
}


def outcome(state: State | None, event: Input) -> Row:
    """The row for ``event`` in ``state`` (``None``: no such task) [MSG-TSK-004].

    Total: every pair has a row, so this never raises.  See the module docstring for the rules
    that fill the pairs :data:`TRANSITIONS` does not list.
    """
    listed = TRANSITIONS.get((state, event))
    if listed is not None:
        return Row(*listed)
    if state is None:
        if event is Input.START:
            return Row(None, frozenset({Effect.DECIDE}))
        if event is Input.TIMEOUT:
            return Row(None)
        return Row(None, error=Code.TASK_NOT_FOUND)
    if event in (Input.START, Input.CONTINUE, Input.COMPLETE):  # [MSG-TSK-005]
        return Row(state, frozenset({Effect.IGNORED}))
    if event is Input.CANCEL:  # every state without a cancel row is terminal [MSG-TSK-006]
        return Row(state, error=Code.TASK_NOT_CANCELABLE)
    if event in (Input.GET, Input.RE_STREAM):  # [MSG-TSK-009]
        return Row(state, frozenset({Effect.READ}))
    if event is Input.TIMEOUT:
        return Row(state)
    return Row(state, error=Code.INVALID_AGENT_RESPONSE)  # a Partner step out of order


TABLE: dict[tuple[State | None, Input], Row] = {
    (state, event): outcome(state, event) for state in (None, *State) for event in Input
}


def reachable(state: State | None) -> frozenset[State]:
    """Every state the table can lead to from ``state`` in one or more steps (``state`` itself
    only if a loop returns to it); from ``None``, every state a new task can reach."""
    found: set[State] = set()
    frontier = [state]
    while frontier:
        here = frontier.pop()
        for (source, _event), (target, _effects) in TRANSITIONS.items():
            if source == here and target not in found:
                found.add(target)
                frontier.append(target)
    return frozenset(found)


def check_report(previous: State | None, reported: State) -> None:
    """On the Leader: check a state a Partner reports for a task against the last one seen.

    ``previous`` is the last state seen for this (task, Partner), ``None`` before any.  A
    repeat of ``previous`` is fine, and so is any state the table can reach from it (results in
    between may have been missed); anything else raises :class:`~aip.errors.InteractionError`
    INVALID_AGENT_RESPONSE (-32006) [MSG-TSK-015].
    """
    if reported != previous and reported not in reachable(previous):
        raise InteractionError(
            Code.INVALID_AGENT_RESPONSE,
            f"a task cannot go from {previous or 'nothing'} to {reported}",
            data={"state": str(previous) if previous else None, "reported": str(reported)},
        )
