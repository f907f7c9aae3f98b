"""Identity binding of signed messages to the session that carries them (spec Part 7 §7.6).

Pure core.  On an authenticated session every signed message a peer sends must name the session
AIC as its ``senderId`` and carry an ``integrity`` member made with the key of the certificate
that authenticated the session.  The server opens a signed request with :func:`open_message`
and answers with :func:`seal_message`; the client checks that answer with :func:`check_reply`.
A method served this way is a :class:`SignedMethod` in the listener's method table.

Nothing here reads a clock or a random source: the caller passes ``now`` and message ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from inspect import isawaitable
from typing import Any

from aip.errors import AipError, Code
from aip.identity.keys import SigningKey, VerifyKey
from aip.integrity import INTEGRITY, sign_object, verify_object
from aip.jsonrpc import Caller
from aip.sessions.proofs import format_time

__all__ = ["SignedMethod", "check_reply", "message_ids", "open_message", "seal_message"]

MESSAGE = "message"


def _message_of(params: Any, what: str) -> dict[str, Any]:
    """``params.message`` as an object with string ``id``/``senderId``/``sentAt``, else -32602."""
    if not isinstance(params, dict) or params.keys() != {MESSAGE}:
        raise AipError(Code.INVALID_PARAMS, f"{what} takes exactly one member, message")
    message = params[MESSAGE]
    if not isinstance(message, dict):
        raise AipError(Code.INVALID_PARAMS, "message must be an object")
    for member in ("id", "senderId", "sentAt"):
        if not isinstance(message.get(member), str):
            raise AipError(Code.INVALID_PARAMS, f"message.{member} must be a string")
    return message


def open_message(params: Any, caller: Caller) -> dict[str, Any]:
    """Check a signed request's ``message`` against the session; return the message.

    Checks, in this order [SES-BND-004]: shape (-32602 INVALID_PARAMS), an authenticated
    session (-32008), ``senderId`` is the session AIC (-32009 AUTHORIZATION_FAILED,
    [SES-BND-001]), the signature under the session certificate's key (Part 3 codes,
    [SES-BND-002]).  Raises :class:`~aip.errors.AipError` only.
    """
    message = _message_of(params, "a signed request")
    if caller.aic is None or caller.key is None:
        raise AipError(Code.AUTHENTICATION_REQUIRED, "signed requests need a session")
    if message["senderId"] != caller.aic:
        raise AipError(Code.AUTHORIZATION_FAILED, "senderId is not the session AIC")
    verify_object(message, caller.key)
    return message


def seal_message(
    body: dict[str, Any], *, aic: str, key: SigningKey, now: datetime, ident: str
) -> dict[str, Any]:
    """``body`` as a signed message from ``aic``: ``id``, ``senderId``, ``sentAt`` set, signed.

    Raises :class:`~aip.errors.CodecError` if ``body`` is not a JSON object value.
    """
    message = {**body, "id": ident, "senderId": aic, "sentAt": format_time(now)}
    message.pop(INTEGRITY, None)
    return sign_object(message, key)


def check_reply(result: Any, server_aic: str, server_key: VerifyKey) -> dict[str, Any]:
    """Check a signed answer on the client; return its message [SES-BND-003].

    A reply that is malformed, or whose ``senderId`` is not the server the session proved,
    raises INVALID_AGENT_RESPONSE; a bad signature raises its Part 3 code.
    """
    try:
        message = _message_of(result, "a signed reply")
    except AipError as exc:
        raise AipError(Code.INVALID_AGENT_RESPONSE, str(exc)) from None
    if message["senderId"] != server_aic:
        raise AipError(Code.INVALID_AGENT_RESPONSE, "the reply is not from the session peer")
    verify_object(message, server_key)
    return message


def message_ids(prefix: str) -> Callable[[], str]:
    """Message ids ``<prefix>-1``, ``<prefix>-2``, ...; the shell passes a random prefix
    (e.g. 16 hex digits), so ids from different processes do not collide."""
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


SignedHandler = Callable[[dict[str, Any], Caller], dict[str, Any] | Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class SignedMethod:
    """A method table entry that takes and answers signed messages (§7.6).

    ``handler(message, caller)`` gets the opened request message and returns the body of the
    answer (or an awaitable of it: an ``async def`` handler); the answer is sealed as ``aic``
    with ``key`` and names the request in ``replyTo``.  ``clock`` and ``ids`` are the shell's:
    the time now, and a fresh message id per call.
    """

    handler: SignedHandler
    aic: str
    key: SigningKey
    clock: Callable[[], datetime]
    ids: Callable[[], str]

    def __call__(
        self, params: dict[str, Any], caller: Caller
    ) -> dict[str, Any] | Awaitable[dict[str, Any]]:
        message = open_message(params, caller)  # before the handler sees anything
        body = self.handler(message, caller)
        if type(body) is not dict and isawaitable(body):  # an async handler: sealed when done
            return self._seal_later(message, body)
        return self._seal(message, body)

    async def _seal_later(
        self, message: dict[str, Any], body: Awaitable[dict[str, Any]]
    ) -> dict[str, Any]:
        return self._seal(message, await body)

    def _seal(self, message: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "replyTo": message["id"]}
        reply = seal_message(body, aic=self.aic, key=self.key, now=self.clock(), ident=self.ids())
        return {MESSAGE: reply}
