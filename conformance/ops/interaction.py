"""Vector operations for interaction (spec Part 9: MSG-MSG messages, MSG-TSK the task machine).

* ``messages.check``: the shape of the message in ``message_text`` (parsed strictly first).
* ``messages.sign``: sign it as ``aic`` with the key from ``seed_hex``.
* ``messages.verify``: verify it against ``signers`` (AIC and public key of each).
* ``tasks.run``: a transcript against a :class:`~aip.interaction.task.TaskBook`.  Each step is
  a Leader command (``command``, built into a task command from the step: ``id``, ``sentAt``,
  ``params``, ``dataItems``, ``leader``, ``taskId``, ``partner``; a start for a task not held is
  decided by ``decision``, accept unless it says reject), a Partner step (``step``:
  accept, reject, begin, produce, submit, ask, fail, with ``dataItems``, ``products``,
  ``product`` and ``append``) or a ``tick``, each at its ``now``.  A refusal raises its
  registry code; otherwise the outputs are the state and effects after each step and the final
  task (the last step's key), plus ``answer`` when the last step is a command.
* ``tasks.report``: the Leader's check of a ``reported`` state after ``previous``.

Library errors propagate as :class:`aip.errors.AipError`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aip import codec, integrity
from aip.errors import Code, InteractionError
from aip.identity.keys import SigningKey, VerifyKey
from aip.interaction.messages import Signer, check_message, sign_message, verify_message
from aip.interaction.task import DEFAULT_TIMEOUT_MS, Step, TaskBook, TaskKey
from aip.interaction.tasks import Effect, Input, State, check_report

__all__ = ["OPERATIONS"]


def check(data: dict[str, Any]) -> dict[str, Any]:
    """Check the message in ``message_text``; its type."""
    return {"type": check_message(codec.parse(data["message_text"]))["type"]}


def sign(data: dict[str, Any]) -> dict[str, Any]:
    """Sign the message in ``message_text`` as ``aic`` with the key from ``seed_hex``."""
    signed = sign_message(
        codec.parse(data["message_text"]), SigningKey(bytes.fromhex(data["seed_hex"])),
        aic=data["aic"],
    )
    return {
        "signing_input": integrity.signing_input(signed).decode("utf-8"),
        "sig": signed["integrity"]["sig"],
        "kid": signed["integrity"]["kid"],
    }


def verify(data: dict[str, Any]) -> dict[str, Any]:
    """Verify the message in ``message_text`` against ``signers``: [{aic, public_key_hex}]."""
    keys = [(s["aic"], VerifyKey(bytes.fromhex(s["public_key_hex"]))) for s in data["signers"]]
    ring = {key.key_id(): Signer(aic, key) for aic, key in keys}
    message = verify_message(codec.parse(data["message_text"]), ring)
    return {"verified": True, "kid": message["integrity"]["kid"], "senderId": message["senderId"]}


def _command(step: dict[str, Any], index: int, leader: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "task-command",
        "id": step.get("id", f"cmd-{index + 1}"),
        "sentAt": step.get("sentAt", step["now"]),
        "senderRole": "leader",
        "senderId": step.get("leader", leader),
        "taskId": step.get("taskId", "task-1"),
        "command": step["command"],
    }
    for name, member in (("params", "commandParams"), ("dataItems", "dataItems")):
        if name in step:
            message[member] = step[name]
    return message


def _answer(members: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"members": sorted(members)}
    if "commandHistory" in members:
        out["commandHistory"] = [c["id"] for c in members["commandHistory"]]
    if "statusHistory" in members:
        out["statusHistory"] = members["statusHistory"]
    return out


def run_tasks(data: dict[str, Any]) -> dict[str, Any]:
    """Run the transcript ``steps`` (see the module docstring)."""
    book = TaskBook()
    default_timeout = data.get("defaultTimeoutMs", DEFAULT_TIMEOUT_MS)
    starts: dict[TaskKey, dict[str, Any]] = {}
    states: list[str] = []
    effects: list[list[str]] = []
    answer: dict[str, Any] | None = None
    key = TaskKey(data["leader"], "task-1", data["partner"])
    for index, step in enumerate(data["steps"]):
        now = datetime.fromisoformat(step["now"])
        key = TaskKey(step.get("leader", data["leader"]), step.get("taskId", "task-1"),
                      step.get("partner", data["partner"]))
        answer = None
        if "command" in step:
            message = _command(step, index, data["leader"])
            result = book.command(message, partner=key.partner, now=now)
            if Effect.DECIDE in result.effects:
                starts[key] = message
                result = result.then(book.open(
                    message, partner=key.partner, now=now, accept=step.get("decision") != "reject",
                    default_timeout_ms=default_timeout,
                ))
            result.raise_for_error()
            answer = _answer(book.tasks[key].result_members(message))
        elif step.get("step") in ("accept", "reject"):
            if key not in starts:
                raise InteractionError(Code.TASK_NOT_FOUND, "no start to decide on")
            result = book.open(starts[key], partner=key.partner, now=now,
                               accept=step["step"] == "accept")
        elif step.get("step") == "produce":
            result = book.produce(key, step["product"], append=step.get("append", False), now=now)
        elif "step" in step:
            result = book.step(key, Input(step["step"]), now, data_items=step.get("dataItems"),
                               products=step.get("products", ()))
        else:
            result = book.tick(now).get(key, Step(book.tasks.get(key)))
        task = book.tasks.get(key)
        states.append(str(task.state) if task else "none")
        effects.append(sorted(str(e) for e in result.effects))
    out: dict[str, Any] = {"states": states, "effects": effects}
    task = book.tasks.get(key)
    if task is not None:
        out.update(
            status=task.statuses[-1],
            statusHistory=list(task.statuses),
            commandHistory=[c["id"] for c in task.commands],
            products=list(task.products),
        )
    if answer is not None:
        out["answer"] = answer
    return out


def report(data: dict[str, Any]) -> dict[str, Any]:
    """The Leader's check of a ``reported`` state after ``previous`` (null: none seen yet)."""
    previous = data["previous"]
    check_report(None if previous is None else State(previous), State(data["reported"]))
    return {"accepted": True}


OPERATIONS = {
    "messages.check": check,
    "messages.sign": sign,
    "messages.verify": verify,
    "tasks.run": run_tasks,
    "tasks.report": report,
}
