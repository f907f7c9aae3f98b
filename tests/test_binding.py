"""Identity binding of signed messages (spec Part 7 §7.6): pure checks, then over the wire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aip.client import connect
from aip.client.session import Session
from aip.errors import AipError, Code
from aip.identity.keys import SigningKey
from aip.integrity import sign_object
from aip.jsonrpc import ANONYMOUS, Caller
from aip.node import Node
from aip.sessions.binding import SignedMethod, check_reply, open_message, seal_message
from tests.pki_helpers import AIC
from tests.test_session_wire import AGENT_KEY, enrolled

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
OTHER = "1.2.156.3088.1.1.34C2.478BDF.1.0000"
STRANGER_KEY = SigningKey(b"\x55" * 32)
CALLER = Caller(AIC, AGENT_KEY.verify_key)
WAIT = 5.0


def _request(sender: str = AIC, key: SigningKey = AGENT_KEY, **extra: Any) -> dict[str, Any]:
    return {"message": seal_message(extra, aic=sender, key=key, now=NOW, ident="m-1")}


def _code(call: Any) -> int:
    with pytest.raises(AipError) as caught:
        call()
    return int(caught.value.code)


# --- pure ---------------------------------------------------------------------------------------


def test_an_honest_request_opens() -> None:
    message = open_message(_request(text="hi"), CALLER)
    assert (message["senderId"], message["text"], message["sentAt"]) == (
        AIC,
        "hi",
        "2026-11-22T10:00:00Z",
    )


@pytest.mark.parametrize(
    ("params", "caller", "code"),
    [
        (None, CALLER, Code.INVALID_PARAMS),
        ({"message": "text"}, CALLER, Code.INVALID_PARAMS),
        ({"message": {}, "extra": 1}, CALLER, Code.INVALID_PARAMS),
        ({"message": {"id": 1, "senderId": AIC, "sentAt": "x"}}, CALLER, Code.INVALID_PARAMS),
        (_request(), ANONYMOUS, Code.AUTHENTICATION_REQUIRED),  # [SES-BND-004]
        (_request(sender=OTHER), CALLER, Code.AUTHORIZATION_FAILED),  # [SES-BND-001]
        # signed by our key but naming another sender: the binding check comes first
        (_request(sender=OTHER, key=STRANGER_KEY), CALLER, Code.AUTHORIZATION_FAILED),
        (_request(key=STRANGER_KEY), CALLER, Code.KEY_UNKNOWN),  # [SES-BND-002]
    ],
)
def test_refusals_carry_their_codes(params: Any, caller: Caller, code: Code) -> None:
    assert _code(lambda: open_message(params, caller)) == code


def test_a_message_edited_after_signing_is_refused() -> None:
    params = _request(text="pay 1")
    params["message"]["text"] = "pay 1000"
    assert _code(lambda: open_message(params, CALLER)) == Code.SIGNATURE_INVALID
    unsigned = _request()
    del unsigned["message"]["integrity"]
    assert _code(lambda: open_message(unsigned, CALLER)) == Code.INTEGRITY_MISSING


def test_signed_method_answers_signed_and_the_caller_checks_it() -> None:
    server_key = SigningKey(b"\x66" * 32)
    method = SignedMethod(
        lambda message, caller: {"echo": message["text"], "to": caller.aic},
        OTHER,
        server_key,
        lambda: NOW,
        lambda: "r-1",
    )
    result = method(_request(text="hi"), CALLER)
    reply = check_reply(result, OTHER, server_key.verify_key)
    assert (reply["echo"], reply["to"], reply["replyTo"], reply["id"]) == ("hi", AIC, "m-1", "r-1")
    # [SES-BND-003] an answer from anyone but the proven peer is discarded
    assert _code(lambda: check_reply(result, AIC, server_key.verify_key)) == (
        Code.INVALID_AGENT_RESPONSE
    )
    assert _code(lambda: check_reply(result, OTHER, STRANGER_KEY.verify_key)) == Code.KEY_UNKNOWN
    assert _code(lambda: check_reply({"answer": 1}, OTHER, server_key.verify_key)) == (
        Code.INVALID_AGENT_RESPONSE
    )


# --- over the wire ------------------------------------------------------------------------------

@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[tuple[Node, Session]]:
    async with asyncio.timeout(WAIT), Node(tmp_path / "node", port=0) as node:
        live = await connect(node.url, enrolled(node), str(node.identity.aic))
        async with live:
            yield node, live


@pytest.mark.network
async def test_node_ping_is_signed_both_ways(session: tuple[Node, Session]) -> None:
    node, live = session
    async with asyncio.timeout(WAIT):
        items = [{"type": "text", "text": "hello"}]
        reply = await live.call_signed("node.ping", {"dataItems": items})
        assert reply["senderId"] == str(node.identity.aic)
        assert (reply["type"], reply["dataItems"]) == ("aip.pong", items)  # [SES-BND-005]


@pytest.mark.network
async def test_forged_sender_and_foreign_signature_over_the_wire(
    session: tuple[Node, Session],
) -> None:
    _, live = session
    async with asyncio.timeout(WAIT):
        forged = [
            (_request(sender=OTHER), Code.AUTHORIZATION_FAILED),  # -32009 [SES-BND-001]
            (_request(key=STRANGER_KEY), Code.KEY_UNKNOWN),  # [SES-BND-002]
            ({"message": sign_object({"id": "x"}, AGENT_KEY)}, Code.INVALID_PARAMS),
        ]
        for params, code in forged:
            with pytest.raises(AipError) as refused:
                await live.call("node.ping", params)
            assert refused.value.code is code
        # the session and the node keep serving after every refusal
        assert (await live.call_signed("node.ping"))["type"] == "aip.pong"
