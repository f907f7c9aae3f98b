"""The registry's review workflow for ontology registrations (spec Part 8 §8.3), as a table.

Pure core.  An ontology registration moves through the states of ACPs ATR:

    DRAFT --submit--> PENDING --approve--> APPROVED --disable--> DISABLED --enable--> APPROVED
      ^                  |  \\--reject--> REJECTED
      |                  |                  |
      +-----cancel-------+     update ------+ (back to DRAFT)

:data:`TRANSITIONS` maps (state, action) to (next state, who may take it); a pair that is not in
the table is refused with REGISTRATION_STATE_INVALID (-33803), and an action taken by the wrong
party with AUTHORIZATION_FAILED (-32009) [DSC-REG-002].  :func:`step` is the only way a state
changes.  Serial allocation (:func:`next_serial`) and the provider codes are pure arithmetic too;
the shell keeps the counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aip.errors import Code, DiscoveryError
from aip.identity.aic import base36_encode

__all__ = [
    "TRANSITIONS",
    "Action",
    "Party",
    "State",
    "Step",
    "next_serial",
    "step",
]


class State(StrEnum):
    """Where an ontology registration stands [DSC-REG-001]."""

    DRAFT = "DRAFT"
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    DISABLED = "DISABLED"
    DELETED = "DELETED"


class Action(StrEnum):
    """What a party asks of a registration."""

    UPDATE = "update"
    SUBMIT = "submit"
    CANCEL = "cancel"
    DELETE = "delete"
    APPROVE = "approve"
    REJECT = "reject"
    DISABLE = "disable"
    ENABLE = "enable"


class Party(StrEnum):
    """Who acts: the registration's owner (the session that created it) or the operator."""

    OWNER = "owner"
    OPERATOR = "operator"


# (state, action) -> (next state, the party allowed) [DSC-REG-002]
TRANSITIONS: dict[tuple[State, Action], tuple[State, Party]] = {
    (State.DRAFT, Action.UPDATE): (State.DRAFT, Party.OWNER),
    (State.REJECTED, Action.UPDATE): (State.DRAFT, Party.OWNER),
    (State.DRAFT, Action.SUBMIT): (State.PENDING, Party.OWNER),
    (State.PENDING, Action.CANCEL): (State.DRAFT, Party.OWNER),
    (State.DRAFT, Action.DELETE): (State.DELETED, Party.OWNER),
    (State.REJECTED, Action.DELETE): (State.DELETED, Party.OWNER),
    (State.PENDING, Action.APPROVE): (State.APPROVED, Party.OPERATOR),
    (State.PENDING, Action.REJECT): (State.REJECTED, Party.OPERATOR),
    (State.APPROVED, Action.DISABLE): (State.DISABLED, Party.OPERATOR),
    (State.DISABLED, Action.ENABLE): (State.APPROVED, Party.OPERATOR),
}


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of an allowed step: the new state, and whether the ontology goes live or
    stops being live (the shell publishes or withdraws its documents then)."""

    state: State
    publishes: bool
    withdraws: bool


def step(state: State, action: Action, party: Party, *, is_operator: bool) -> Step:
    """Apply ``action`` by ``party`` to a registration in ``state``.

    ``is_operator`` says whether the caller is the node's operator: the operator may also take
    an owner's step (on behalf of the owner).  Raises :class:`~aip.errors.DiscoveryError`
    REGISTRATION_STATE_INVALID for a pair outside :data:`TRANSITIONS`, and AUTHORIZATION_FAILED
    when the caller is not the party the step needs [DSC-REG-002].
    """
    entry = TRANSITIONS.get((state, action))
    if entry is None:
        raise DiscoveryError(
            Code.REGISTRATION_STATE_INVALID,
            f"{action.value} is not allowed in state {state.value}",
            data={"state": state.value},
        )
    after, needed = entry
    if needed is Party.OPERATOR and not is_operator:
        raise DiscoveryError(Code.AUTHORIZATION_FAILED, f"only the operator may {action.value}")
    if needed is Party.OWNER and party is not Party.OWNER and not is_operator:
        raise DiscoveryError(Code.AUTHORIZATION_FAILED, f"only the owner may {action.value}")
    return Step(
        after,
        publishes=after is State.APPROVED,
        withdraws=state is State.APPROVED and after is not State.APPROVED,
    )


def next_serial(counter: int, width: int = 1) -> tuple[str, int]:
    """The Base36 serial for ``counter + 1`` (at least ``width`` characters), and the new
    counter: serials are handed out in order and never reused [DSC-REG-004]."""
    value = counter + 1
    digits = 1
    while 36**digits <= value:
        digits += 1
    return base36_encode(value, max(width, digits)), value
