"""The message model (spec/09-interaction.md §9.2, MSG-MSG): shapes, pointers, constructors,
signing and verification with the sender bound to the signer."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aip import codec, spec_dir
from aip.errors import AipError, Code, IntegrityError, InteractionError
from aip.identity.keys import SigningKey
from aip.integrity import sign_object
from aip.interaction import message_fields as f
from aip.interaction.messages import (
    MESSAGE_TYPES,
    ROLES,
    Signer,
    check_message,
    group_command,
    group_result,
    new_message,
    product_chunk,
    sign_message,
    status_update,
    task_command,
    verify_message,
)
from tests.helpers import code_of
from tests.strategies import ijson_values

L = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
P = "1.2.156.3088.1.2.5A.9B.7C.1A2B"
T0 = datetime(2026, 11, 21, 10, tzinfo=UTC)
LEADER = SigningKey(bytes(range(32)))
PARTNER = SigningKey(bytes(range(1, 33)))
SIGNERS = {
    LEADER.verify_key.key_id(): Signer(L, LEADER.verify_key),
    PARTNER.verify_key.key_id(): Signer(P, PARTNER.verify_key),
}
VECTORS = spec_dir() / "vectors" / "interaction" / "messages.json"
TEXT = {"type": "text", "text": "hello"}


def member_of(fn: Any, *args: Any, **kw: Any) -> str:
    """The data.member of the MESSAGE_INVALID that ``fn`` must raise."""
    with pytest.raises(InteractionError) as info:
        fn(*args, **kw)
    assert info.value.code is Code.MESSAGE_INVALID
    assert info.value.data is not None
    member = info.value.data["member"]
    assert isinstance(member, str)
    return member


def examples() -> list[dict[str, Any]]:
    """One unsigned message of each type, built with the constructors."""
    status = {"state": "working", "stateChangedAt": "2026-11-21T10:00:00.000000Z"}
    return [
        task_command("start", "t-1", ident="m-1", now=T0, sender=L, params={"timeout": 5},
                     data_items=[TEXT], session_id="s-1"),
        new_message("task-result", {"taskId": "t-1", "status": status, "products": []},
                    ident="m-2", now=T0, sender=P),
        status_update("t-1", status, ident="m-3", now=T0, sender=P, group_id="g-1"),
        product_chunk("t-1", {"id": "p", "dataItems": [TEXT]}, append=False, last_chunk=True,
                      ident="m-4", now=T0, sender=P),
        group_command("mute", "g-1", ident="m-5", now=T0, sender=L, mentions=[P]),
        group_result("g-1", connected=True, muted=True, ident="m-6", now=T0, sender=P),
    ]


def key_for(message: dict[str, Any]) -> SigningKey:
    return LEADER if message["senderRole"] == "leader" else PARTNER


# ---------------------------------------------------------------- the vectors' pointers


def _pointer_cases() -> list[Any]:
    doc = json.loads(VECTORS.read_text(encoding="utf-8"))
    out = []
    for case in doc["cases"]:
        found = re.search(r"\[@ ([^\]]*)\]$", case["comment"])
        if case["verdict"] == "invalid" and case["error"] == -33901:
            assert found, f"{case['id']} names no pointer"
            text = case["input"]["message_text"]
            out.append(pytest.param(case["operation"], text, found[1], id=case["id"]))
    return out


@pytest.mark.parametrize(("operation", "text", "pointer"), _pointer_cases())
def test_vector_pointer(operation: str, text: str, pointer: str) -> None:
    message = codec.parse(text)
    if operation == "messages.sign":
        assert member_of(sign_message, message, LEADER, aic=L) == pointer
    elif operation == "messages.verify":
        assert member_of(verify_message, message, SIGNERS) == pointer
    else:
        assert member_of(check_message, message) == pointer


def test_vectors_cover_every_type_and_both_verdicts() -> None:
    doc = json.loads(VECTORS.read_text(encoding="utf-8"))
    ops = {(c["operation"], c["verdict"]) for c in doc["cases"]}
    assert ops == {(op, v) for op in ("messages.check", "messages.sign", "messages.verify")
                   for v in ("valid", "invalid")}
    checked = [json.loads(c["input"]["message_text"]) for c in doc["cases"]
               if c["operation"] == "messages.check" and c["verdict"] == "valid"]
    assert {m["type"] for m in checked} == set(MESSAGE_TYPES)


# ---------------------------------------------------------------- building and checking


def test_constructors_build_checked_messages() -> None:
    built = examples()
    assert [m["type"] for m in built] == list(MESSAGE_TYPES)
    for message in built:
        assert check_message(message) is message  # the very object [MSG-MSG-002]
        assert message["senderRole"] == ROLES[message["type"]]  # [MSG-MSG-009]
        assert message["sentAt"] == "2026-11-21T10:00:00.000000Z"  # [MSG-MSG-007]
    assert "mentions" not in built[0]  # None members are left out
    assert built[4]["mentions"] == [P]


def test_constructor_misuse_is_refused() -> None:
    assert member_of(new_message, "task-event", {}, ident="m", now=T0, sender=L) == "/type"
    assert member_of(task_command, "pause", "t", ident="m", now=T0, sender=L) == "/command"
    assert member_of(task_command, "get", "t", ident="", now=T0, sender=L) == "/id"
    assert member_of(task_command, "get", "t", ident="m", now=T0, sender="leader") == "/senderId"
    with pytest.raises(ValueError, match="aware"):
        task_command("get", "t", ident="m", now=datetime(2026, 1, 1), sender=L)


def test_pointer_order_and_escaping() -> None:
    message = examples()[1]
    bad = {**message, "id": "", "status": {"state": "x"}}
    assert member_of(check_message, bad) == "/id"  # the first bad member in check order
    assert member_of(check_message, {**message, "status": {"state": "x"}}) == "/status/state"
    nested = {**examples()[0], "dataItems": [{"type": "data", "data": {"a/b": 1}, "metadata": 1}]}
    assert member_of(check_message, nested) == "/dataItems/0/metadata"
    assert f.pointer("/a", "b/c~d") == "/a/b~1c~0d"
    assert member_of(check_message, None) == ""


def test_times() -> None:
    base = f.instant("2026-11-21T10:00:00Z")
    assert base == f.nanoseconds(T0)
    assert f.instant("2026-11-21T18:00:00+08:00") == base
    assert f.instant("2026-11-21T10:00:00.000000001Z") == (base or 0) + 1
    assert f.instant("2026-11-21T10:00:00-00:00") == base
    for bad in ("2026-11-21T10:00Z", "2026-11-21 10:00:00Z", "2026-11-31T10:00:00Z",
                "2026-11-21T24:00:00Z", "2026-11-21T10:00:00+23:60", "0000-01-01T00:00:00Z"):
        assert f.instant(bad) is None, bad
    assert f.format_time(f.nanoseconds(T0 + timedelta(microseconds=5))) == (
        "2026-11-21T10:00:00.000005Z")
    east = datetime(2026, 11, 21, 18, tzinfo=timezone(timedelta(hours=8)))
    assert f.nanoseconds(east) == f.nanoseconds(T0)
    assert f.format_time(0) == "1970-01-01T00:00:00.000000Z"


# ---------------------------------------------------------------- signatures and the sender


@pytest.mark.parametrize("index", range(6))
def test_sign_and_verify_every_type(index: int) -> None:
    message = examples()[index]
    signed = sign_message(message, key_for(message), aic=message["senderId"])
    assert verify_message(signed, SIGNERS) is signed  # [MSG-MSG-019]
    single = Signer(message["senderId"], key_for(message).verify_key)
    assert verify_message(signed, single) is signed
    assert verify_message(signed, SIGNERS.get) is signed
    relayed = codec.parse(json.dumps(signed, indent=3, ensure_ascii=True))
    assert verify_message(relayed, SIGNERS) == signed  # a relay's formatting does not matter


def test_sender_is_bound_to_the_signer() -> None:
    command = examples()[0]
    assert code_of(sign_message, command, PARTNER, aic=P) == Code.AUTHORIZATION_FAILED
    own = sign_message({**command, "senderId": P}, PARTNER, aic=P)  # any agent may lead a task
    assert verify_message(own, SIGNERS) is own
    as_partner = {**command, "senderRole": "partner"}
    assert member_of(sign_message, as_partner, LEADER, aic=L) == "/senderRole"  # role by type
    result = examples()[1]
    as_leader = sign_message(result, PARTNER, aic=P)
    wrong = {**as_leader, "senderId": L}
    assert code_of(verify_message, wrong, SIGNERS) == Code.SIGNATURE_INVALID
    by_partner = sign_object({**result, "senderId": L}, PARTNER)  # a forged sender, signed
    assert code_of(verify_message, by_partner, SIGNERS) == Code.AUTHORIZATION_FAILED
    assert code_of(verify_message, as_leader, Signer(P, LEADER.verify_key)) == Code.KEY_UNKNOWN
    assert code_of(verify_message, result, SIGNERS) == Code.INTEGRITY_MISSING


def test_unknown_members_survive_and_are_signed() -> None:
    message = {**examples()[2], "x-extension": {"deep": [1, None]}}
    signed = sign_message(message, PARTNER, aic=P)
    assert verify_message(signed, SIGNERS)["x-extension"] == {"deep": [1, None]}
    dropped = {k: v for k, v in signed.items() if k != "x-extension"}
    assert code_of(verify_message, dropped, SIGNERS) == Code.SIGNATURE_INVALID


# ---------------------------------------------------------------- properties


@settings(max_examples=300)
@given(ijson_values)
def test_check_refuses_any_value_with_the_registry_code(value: Any) -> None:
    try:
        check_message(value)
    except InteractionError as exc:
        assert exc.code is Code.MESSAGE_INVALID
        assert isinstance(exc.data, dict)
        assert isinstance(exc.data["member"], str)


MEMBERS = st.sampled_from(["type", "id", "sentAt", "senderRole", "senderId", "mentions",
                           "dataItems", "groupId", "sessionId", "taskId", "command",
                           "commandParams", "status", "products", "product", "append"])


@settings(max_examples=300)
@given(st.integers(0, 5), MEMBERS, ijson_values)
def test_one_changed_member_is_valid_or_named(index: int, name: str, value: Any) -> None:
    message = {**examples()[index], name: value}
    try:
        check_message(message)
    except InteractionError as exc:
        assert exc.code is Code.MESSAGE_INVALID
        assert exc.data is not None
        assert exc.data["member"] == f"/{name}" or exc.data["member"].startswith(f"/{name}/")


@settings(max_examples=200)
@given(st.integers(0, 5), MEMBERS, ijson_values)
def test_any_change_after_signing_is_caught(index: int, name: str, value: Any) -> None:
    message = examples()[index]
    signed = sign_message(message, key_for(message), aic=message["senderId"])
    changed = {**signed, name: value}
    if changed == signed:
        return
    with pytest.raises(AipError) as info:
        verify_message(changed, SIGNERS)
    assert isinstance(info.value, InteractionError | IntegrityError)
    assert info.value.code in (Code.MESSAGE_INVALID, Code.SIGNATURE_INVALID)


@given(st.text(max_size=300))
def test_identifier_rule(text: str) -> None:
    ok = 0 < len(text) <= 256 and not re.search(r"[\x00-\x1f\x7f]", text)
    message = {**examples()[0], "id": text}
    if ok:
        check_message(message)
    else:
        assert member_of(check_message, message) == "/id"
