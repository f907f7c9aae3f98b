"""AIP messages (spec Part 9 §9.2, topic MSG-MSG): check, build, sign and verify.

Pure core.  A message is the JSON object it arrived as; :func:`check_message` checks it and
hands back *the very object given*, so unknown members survive a relay byte for byte and the
signature still verifies after it [MSG-MSG-002].  Which function to call:

* :func:`check_message` on any message object, to know its shape is right (no signature check);
* :func:`verify_message` on a message a peer sent: shape, then the Part 3 signature, then that
  ``senderId`` is the AIC of the key that signed [MSG-MSG-018] [MSG-MSG-019];
* :func:`task_command`, :func:`status_update`, :func:`product_chunk`, :func:`group_command`,
  :func:`group_result` (or :func:`new_message`) to build an unsigned message, then
  :func:`sign_message` before it leaves.

Shape failures raise :class:`~aip.errors.InteractionError` MESSAGE_INVALID (-33901) with
``data.member``, the JSON Pointer of the first bad member in the order of [MSG-MSG-003];
signature failures raise Part 3's :class:`~aip.errors.IntegrityError`; a sender that is not the
signer raises InteractionError AUTHORIZATION_FAILED (-32009).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from aip.errors import Code, InteractionError
from aip.identity.keys import SigningKey, VerifyKey
from aip.integrity import INTEGRITY, sign_object, verify_object
from aip.interaction import message_fields as f
from aip.interaction.message_fields import fail, optional, pointer, required

__all__ = [
    "GROUP_COMMANDS", "MESSAGE_TYPES", "ROLES", "TASK_COMMANDS", "Signer", "SignerResolver",
    "check_message", "group_command", "group_result", "new_message", "product_chunk",
    "sign_message", "status_update", "task_command", "verify_message",
]

# message type -> the role of its sender [MSG-MSG-001] [MSG-MSG-009]
ROLES = {
    "task-command": "leader",
    "task-result": "partner",
    "task-status-update": "partner",
    "product-chunk": "partner",
    "group-mgmt-command": "leader",
    "group-mgmt-result": "partner",
}
MESSAGE_TYPES = tuple(ROLES)
TASK_COMMANDS = ("start", "continue", "cancel", "complete", "get", "re-stream")  # [MSG-MSG-014]
GROUP_COMMANDS = ("get-status", "leave-group", "mute", "unmute")  # [MSG-MSG-017]


class Signer(NamedTuple):
    """Who holds a key: the AIC a certificate (Part 6) or a session (Part 7) binds it to."""

    aic: str
    key: VerifyKey


SignerResolver = Signer | Mapping[str, Signer] | Callable[[str], Signer | None]
"""Where :func:`verify_message` finds the signer of a key id: one signer, a mapping, a function."""


# ---------------------------------------------------------------- checking


def check_message(message: Any) -> dict[str, Any]:
    """Check the shape of a message of any of the six types; return ``message`` unchanged.

    ``integrity`` is not looked at here (see :func:`verify_message`); unknown members are
    allowed and kept [MSG-MSG-002].  Raises MESSAGE_INVALID (-33901) with ``data.member``.
    """
    return _check(message, "")


def _check(message: Any, at: str) -> dict[str, Any]:
    msg = f.obj(message, at)
    kind = required(msg, "type", at)
    if not isinstance(kind, str) or kind not in ROLES:  # [MSG-MSG-001]
        fail(pointer(at, "type"), "is not an AIP message type")
    f.ident(required(msg, "id", at), pointer(at, "id"))
    f.timestamp(required(msg, "sentAt", at), pointer(at, "sentAt"))
    if required(msg, "senderRole", at) != ROLES[kind]:  # [MSG-MSG-009]
        fail(pointer(at, "senderRole"), f"a {kind} is sent by the {ROLES[kind]}")
    f.aic(required(msg, "senderId", at), pointer(at, "senderId"))
    if optional(msg, "mentions") is not None:
        f.mentions(msg["mentions"], pointer(at, "mentions"))
    if optional(msg, "dataItems") is not None:
        f.data_items(msg["dataItems"], pointer(at, "dataItems"))
    if kind.startswith("group-"):  # [MSG-MSG-017]
        f.group_id(required(msg, "groupId", at), pointer(at, "groupId"))
    elif optional(msg, "groupId") is not None:
        f.group_id(msg["groupId"], pointer(at, "groupId"))
    if optional(msg, "sessionId") is not None:
        f.ident(msg["sessionId"], pointer(at, "sessionId"))
    _BODIES[kind](msg, at)
    return msg


def _task_id(msg: dict[str, Any], at: str) -> None:
    f.ident(required(msg, "taskId", at), pointer(at, "taskId"))  # [MSG-MSG-014]


def _command(msg: dict[str, Any], at: str) -> None:
    """[MSG-MSG-014] [MSG-MSG-015]"""
    _task_id(msg, at)
    command = required(msg, "command", at)
    if command not in TASK_COMMANDS:
        fail(pointer(at, "command"), "is not a task command")
    params = optional(msg, "commandParams")
    if params is None:
        return
    at = pointer(at, "commandParams")
    params = f.obj(params, at)
    if command == "start":
        for name in ("timeout", "maxProductsBytes"):
            if optional(params, name) is not None:
                f.positive_int(params[name], pointer(at, name))
    elif command == "get":
        for name in ("lastCommandSentAt", "lastStateChangedAt"):
            if optional(params, name) is not None:
                f.timestamp(params[name], pointer(at, name))
    elif command == "re-stream":
        seq = optional(params, "lastEventSeq")
        if seq is not None and (type(seq) is not int or seq < 0):
            fail(pointer(at, "lastEventSeq"), "must be an integer of at least 0")


def _result(msg: dict[str, Any], at: str) -> None:
    """[MSG-MSG-013]"""
    _task_id(msg, at)
    f.task_status(required(msg, "status", at), pointer(at, "status"))
    if optional(msg, "products") is not None:
        f.products(msg["products"], pointer(at, "products"))
    history = optional(msg, "commandHistory")
    if history is not None:
        if not isinstance(history, list):
            fail(pointer(at, "commandHistory"), "must be an array of task commands")
        for index, command in enumerate(history):
            where = pointer(pointer(at, "commandHistory"), index)
            if _check(command, where)["type"] != "task-command":
                fail(pointer(where, "type"), "must be task-command")
    statuses = optional(msg, "statusHistory")
    if statuses is not None:
        if not isinstance(statuses, list):
            fail(pointer(at, "statusHistory"), "must be an array of task statuses")
        for index, status in enumerate(statuses):
            f.task_status(status, pointer(pointer(at, "statusHistory"), index))


def _status_update(msg: dict[str, Any], at: str) -> None:
    """[MSG-MSG-016]"""
    _task_id(msg, at)
    f.task_status(required(msg, "status", at), pointer(at, "status"))


def _chunk(msg: dict[str, Any], at: str) -> None:
    """[MSG-MSG-016]"""
    _task_id(msg, at)
    f.product(required(msg, "product", at), pointer(at, "product"))
    f.boolean(required(msg, "append", at), pointer(at, "append"))
    f.boolean(required(msg, "lastChunk", at), pointer(at, "lastChunk"))


def _group_command(msg: dict[str, Any], at: str) -> None:
    """[MSG-MSG-017]"""
    if required(msg, "command", at) not in GROUP_COMMANDS:
        fail(pointer(at, "command"), "is not a group management command")


def _group_result(msg: dict[str, Any], at: str) -> None:
    """[MSG-MSG-017]"""
    where = pointer(at, "status")
    status = f.obj(required(msg, "status", at), where)
    for name in ("connected", "muted"):
        f.boolean(required(status, name, where), pointer(where, name))


_BODIES: dict[str, Callable[[dict[str, Any], str], None]] = {
    "task-command": _command,
    "task-result": _result,
    "task-status-update": _status_update,
    "product-chunk": _chunk,
    "group-mgmt-command": _group_command,
    "group-mgmt-result": _group_result,
}


# ---------------------------------------------------------------- building


def new_message(
    kind: str, members: Mapping[str, Any], *, ident: str, now: datetime, sender: str
) -> dict[str, Any]:
    """A checked, unsigned message of type ``kind`` from ``sender``.

    Sets ``type``, ``id``, ``sentAt`` (``now`` in UTC with six fractional digits),
    ``senderRole`` (the role of the type) and ``senderId``, then the ``members`` whose value is
    not None.  Raises MESSAGE_INVALID when the result breaks a rule (misuse), ``ValueError``
    for a naive ``now``.
    """
    if kind not in ROLES:
        fail("/type", "is not an AIP message type")
    message: dict[str, Any] = {
        "type": kind,
        "id": ident,
        "sentAt": f.format_time(f.nanoseconds(now)),
        "senderRole": ROLES[kind],
        "senderId": sender,
    }
    message.update((k, v) for k, v in members.items() if v is not None)
    return check_message(message)


def _common(
    data_items: Sequence[Mapping[str, Any]] | None,
    session_id: str | None,
    group_id: str | None,
    mentions: str | Sequence[str] | None,
) -> dict[str, Any]:
    return {
        "dataItems": None if data_items is None else [dict(i) for i in data_items],
        "sessionId": session_id,
        "groupId": group_id,
        "mentions": mentions if mentions is None or isinstance(mentions, str) else list(mentions),
    }


def task_command(
    command: str,
    task_id: str,
    *,
    ident: str,
    now: datetime,
    sender: str,
    params: Mapping[str, Any] | None = None,
    data_items: Sequence[Mapping[str, Any]] | None = None,
    session_id: str | None = None,
    group_id: str | None = None,
    mentions: str | Sequence[str] | None = None,
) -> dict[str, Any]:
    """An unsigned task command from the Leader ``sender`` [MSG-MSG-014] (:func:`new_message`)."""
    members = {
        "taskId": task_id,
        "command": command,
        "commandParams": None if params is None else dict(params),
        **_common(data_items, session_id, group_id, mentions),
    }
    return new_message("task-command", members, ident=ident, now=now, sender=sender)


def status_update(
    task_id: str,
    status: Mapping[str, Any],
    *,
    ident: str,
    now: datetime,
    sender: str,
    session_id: str | None = None,
    group_id: str | None = None,
) -> dict[str, Any]:
    """An unsigned stream event carrying a task's new status [MSG-MSG-016]."""
    members = {
        "taskId": task_id, "status": dict(status), **_common(None, session_id, group_id, None)
    }
    return new_message("task-status-update", members, ident=ident, now=now, sender=sender)


def product_chunk(
    task_id: str,
    product: Mapping[str, Any],
    *,
    append: bool,
    last_chunk: bool,
    ident: str,
    now: datetime,
    sender: str,
    session_id: str | None = None,
    group_id: str | None = None,
) -> dict[str, Any]:
    """An unsigned stream event carrying one chunk of a product [MSG-MSG-016]."""
    members = {
        "taskId": task_id,
        "product": dict(product),
        "append": append,
        "lastChunk": last_chunk,
        **_common(None, session_id, group_id, None),
    }
    return new_message("product-chunk", members, ident=ident, now=now, sender=sender)


def group_command(
    command: str,
    group_id: str,
    *,
    ident: str,
    now: datetime,
    sender: str,
    mentions: str | Sequence[str] | None = None,
    session_id: str | None = None,
) -> dict[str, Any]:
    """An unsigned group management command from the Leader [MSG-MSG-017]."""
    members = {"command": command, **_common(None, session_id, group_id, mentions)}
    return new_message("group-mgmt-command", members, ident=ident, now=now, sender=sender)


def group_result(
    group_id: str,
    *,
    connected: bool,
    muted: bool,
    ident: str,
    now: datetime,
    sender: str,
    session_id: str | None = None,
) -> dict[str, Any]:
    """An unsigned group member status from a Partner [MSG-MSG-017]."""
    members = {
        "status": {"connected": connected, "muted": muted},
        **_common(None, session_id, group_id, None),
    }
    return new_message("group-mgmt-result", members, ident=ident, now=now, sender=sender)


# ---------------------------------------------------------------- signing


def sign_message(message: Mapping[str, Any], key: SigningKey, *, aic: str) -> dict[str, Any]:
    """Sign ``message`` as ``aic`` with ``key`` (Part 3); return the signed copy [MSG-MSG-018].

    The message is checked first (MESSAGE_INVALID), and its ``senderId`` must be ``aic``, the
    identity ``key`` is certified for: signing a message in another agent's name is refused
    with AUTHORIZATION_FAILED (-32009).  An ``integrity`` member already present is replaced.
    """
    body = {k: v for k, v in message.items() if k != INTEGRITY}
    check_message(body)
    if body["senderId"] != aic:
        raise InteractionError(Code.AUTHORIZATION_FAILED, "senderId is not the signer's AIC")
    return sign_object(body, key)


def _lookup(signers: SignerResolver, kid: str) -> Signer | None:
    if isinstance(signers, Signer):
        return signers if signers.key.key_id() == kid else None
    if isinstance(signers, Mapping):
        return signers.get(kid)
    return signers(kid)


def verify_message(message: Any, signers: SignerResolver) -> dict[str, Any]:
    """Verify a message a peer sent, exactly as parsed (Part 2); return it unchanged.

    Checks in this order [MSG-MSG-019]: the shape (MESSAGE_INVALID, -33901); the signature as
    Part 3 orders it (-33201 IntegrityMissing .. -33205 SignatureInvalid, -33204 KeyUnknown when
    ``signers`` knows no signer for the kid); ``senderId`` equals the signer's AIC
    (AUTHORIZATION_FAILED, -32009).  Raises InteractionError or IntegrityError only.
    """
    msg = check_message(message)
    found: list[Signer] = []

    def key_of(kid: str) -> VerifyKey | None:
        signer = _lookup(signers, kid)
        if signer is None:
            return None
        found.append(signer)
        return signer.key

    verify_object(msg, key_of)
    if found[-1].aic != msg["senderId"]:
        raise InteractionError(Code.AUTHORIZATION_FAILED, "senderId is not the signer's AIC")
    return msg
