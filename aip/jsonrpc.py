"""JSON-RPC 2.0 framing for the WebSocket binding: classify, build and dispatch frames.

Pure core (no sockets, no event loop, no clock).  Call :func:`decode_frame` on every text frame
received from a peer: it returns a :class:`Request`, :class:`Notification`, :class:`Response` or
an :class:`ErrorReply` and never raises, so peer misbehaviour cannot escape the receive path.
Build outgoing frames with :func:`result_frame` and :func:`error_frame`, and run requests against
a method table with :func:`dispatch`.

This is the JSON-RPC 2.0 profile of spec/01-architecture.md §5.2, stricter than the letter of
JSON-RPC 2.0 (https://www.jsonrpc.org/specification):

* Batches are not supported: any top-level array, empty or not, is answered with one -32600
  error whose id is null [ARC-RPC-002].  A peer pipelines requests over the socket instead.
* Members other than those of §4 / §5 / §5.1 (``jsonrpc``, ``method``, ``params``, ``id``,
  ``result``, ``error``; ``code``, ``message``, ``data`` in an error object) are refused with
  -32600, so every accepted frame has one meaning [ARC-RPC-003] [ARC-RPC-005].
* Ids are strings, integers within ±(2^53−1) (never booleans or fractions) or null.
* An invalid request echoes its id when the id member itself is valid, else null.  A frame
  that looks like a response (no ``method``) gets null: its id belongs to our own id space.
* Every error object carries a registered code; an ``aip-ri`` code carries its registered
  parent in ``data.parent`` [ARC-RPC-006] (see :func:`error_object`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any, TypeAlias

from aip.codec import MAX_SAFE_INTEGER, dumps, parse
from aip.errors import AipError, Code, CodecError, error_object
from aip.identity.keys import VerifyKey

__all__ = [
    "ANONYMOUS",
    "Caller",
    "ErrorReply",
    "Handler",
    "JsonId",
    "Notification",
    "Pending",
    "Request",
    "Response",
    "decode_frame",
    "dispatch",
    "error_frame",
    "error_object",
    "expect_params",
    "finish",
    "result_frame",
]

JsonId: TypeAlias = str | int | None
Params: TypeAlias = dict[str, Any] | list[Any] | None


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a call: the session's AIC and certificate key, both None before authentication.

    Handlers get it as their second argument, to authorize and to check identity binding
    (spec Part 7 §7.6).
    """

    aic: str | None = None
    key: VerifyKey | None = None


ANONYMOUS = Caller()
Handler: TypeAlias = Callable[[dict[str, Any], Caller], Any]
ErrorSpec: TypeAlias = AipError | tuple[int, str, Any]

_VERSION = "2.0"
_REQUEST_MEMBERS = frozenset({"jsonrpc", "method", "params", "id"})
_RESPONSE_MEMBERS = frozenset({"jsonrpc", "result", "error", "id"})
_ERROR_MEMBERS = frozenset({"code", "message", "data"})
_ABSENT = object()
_JSON_TYPES = frozenset({dict, list, str, int, float, bool, type(None)})


@dataclass(frozen=True, slots=True)
class Request:
    """A call that expects a response (§4: the ``id`` member is present)."""

    id: JsonId
    method: str
    params: Params = None


@dataclass(frozen=True, slots=True)
class Notification:
    """A call without an ``id`` member (§4.1): the receiver never answers it, not even on error."""

    method: str
    params: Params = None


@dataclass(frozen=True, slots=True)
class Response:
    """An answer to one of our requests (§5): exactly one of ``result`` / ``error`` is set.

    ``error`` is the validated error object (``code`` int, ``message`` str, optional ``data``);
    when it is None the call succeeded and ``result`` holds its value (which may be None).
    """

    id: JsonId
    result: Any = None
    error: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """What to send back for a frame that could not be accepted; ``error`` is the §5.1 object."""

    id: JsonId
    error: dict[str, Any]

    @property
    def code(self) -> int:
        """The JSON-RPC error code carried by this reply."""
        code: int = self.error["code"]
        return code

    def to_bytes(self) -> bytes:
        """The complete error response frame, ready to send as a text frame."""
        return _frame({"jsonrpc": _VERSION, "error": self.error, "id": self.id})


Frame: TypeAlias = Request | Notification | Response | ErrorReply


def _valid_id(value: Any) -> bool:
    """True for a string, an integer within ±(2^53−1) (not a bool) or null (§4 ``id``)."""
    if value is None or isinstance(value, str):
        return True
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    )


def _invalid(id_: JsonId, message: str) -> ErrorReply:
    return ErrorReply(id_, {"code": int(Code.INVALID_REQUEST), "message": message})


def decode_frame(data: bytes | str) -> Frame:
    """Classify one received frame; never raises.

    Returns a :class:`Request`, :class:`Notification` or :class:`Response` for a well-formed
    JSON-RPC 2.0 object, otherwise an :class:`ErrorReply` to send back: the codec's own code
    (-32700 or a more precise -331xx child) when the bytes are not strict I-JSON, -32600 for a
    batch or any object that breaks §4 / §5.
    """
    try:
        value = parse(data)
    except CodecError as exc:  # [ARC-RPC-001]
        return ErrorReply(None, error_object(exc.code, exc.message, exc.data))
    if isinstance(value, list):  # [ARC-RPC-002]
        return _invalid(None, "batch requests are not supported in the WebSocket binding")
    if not isinstance(value, dict):
        return _invalid(None, "a JSON-RPC frame must be an object")
    if "method" in value:
        return _classify_call(value)
    return _classify_response(value)


def _classify_call(obj: dict[str, Any]) -> Frame:
    # [ARC-RPC-003]
    raw_id = obj.get("id", _ABSENT)
    has_id = raw_id is not _ABSENT
    reply_id: JsonId = raw_id if has_id and _valid_id(raw_id) else None
    if obj.get("jsonrpc") != _VERSION:
        return _invalid(reply_id, 'jsonrpc must be exactly "2.0"')
    extra = obj.keys() - _REQUEST_MEMBERS
    if extra:
        return _invalid(reply_id, f"unknown request member {sorted(extra)[0]!r}")
    method = obj["method"]
    if not isinstance(method, str):
        return _invalid(reply_id, "method must be a string")
    params = obj.get("params", _ABSENT)
    if params is _ABSENT:
        params = None
    elif not isinstance(params, dict | list):
        return _invalid(reply_id, "params must be an object or an array when present")
    if not has_id:
        return Notification(method, params)
    if not _valid_id(raw_id):
        return _invalid(None, "id must be a string, an integer within ±(2^53-1) or null")
    return Request(raw_id, method, params)


def _classify_response(obj: dict[str, Any]) -> Frame:
    # [ARC-RPC-005]
    # Replies to bad responses carry a null id: the id is from our own id space.
    if obj.get("jsonrpc") != _VERSION:
        return _invalid(None, 'jsonrpc must be exactly "2.0"')
    if "result" not in obj and "error" not in obj:
        return _invalid(None, "a frame needs a method (call) or a result or error (response)")
    extra = obj.keys() - _RESPONSE_MEMBERS
    if extra:
        return _invalid(None, f"unknown response member {sorted(extra)[0]!r}")
    if "result" in obj and "error" in obj:
        return _invalid(None, "a response carries result or error, never both")
    if "id" not in obj or not _valid_id(obj["id"]):
        return _invalid(None, "a response needs a valid id member")
    if "result" in obj:
        return Response(obj["id"], result=obj["result"])
    error = obj["error"]
    if not isinstance(error, dict) or error.keys() - _ERROR_MEMBERS:
        return _invalid(None, "error must be an object of code, message and optional data")
    code = error.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        return _invalid(None, "error.code must be an integer")
    if not isinstance(error.get("message"), str):
        return _invalid(None, "error.message must be a string")
    return Response(obj["id"], error=error)


def _frame(obj: dict[str, Any]) -> bytes:
    return dumps(obj)


def result_frame(id_: JsonId, result: Any) -> bytes:
    """The success response frame for request ``id_``.

    Raises :class:`CodecError` (NOT_JSON_VALUE, INTEGER_OUT_OF_RANGE, NON_FINITE_NUMBER, ...)
    if ``result`` is not a JSON value: that is a bug in the local caller, never the peer.
    """
    return _frame({"jsonrpc": _VERSION, "result": result, "id": id_})


def error_frame(id_: JsonId, error: ErrorSpec) -> bytes:
    """The error response frame for request ``id_`` (null when unknown).

    ``error`` is an :class:`AipError` or a ``(code, message, data)`` tuple where ``data=None``
    leaves the member out; either way the object is built by :func:`error_object` and raises
    like it.  Raises :class:`CodecError` if ``data`` is not a JSON value.
    """
    if isinstance(error, AipError):
        body = error_object(error.code, error.message, error.data)
    else:
        body = error_object(*error)
    return _frame({"jsonrpc": _VERSION, "error": body, "id": id_})


def expect_params(
    params: dict[str, Any],
    *,
    required: frozenset[str] = frozenset(),
    optional: frozenset[str] = frozenset(),
) -> None:
    """Check a handler's named parameters; call it first thing in a handler.

    Raises :class:`AipError` INVALID_PARAMS when a required member is missing or an unknown
    member is present.
    """
    missing = required - params.keys()
    if missing:
        raise AipError(Code.INVALID_PARAMS, f"missing parameter {sorted(missing)[0]!r}")
    unknown = params.keys() - required - optional
    if unknown:
        raise AipError(Code.INVALID_PARAMS, f"unknown parameter {sorted(unknown)[0]!r}")


@dataclass(frozen=True, slots=True)
class Pending:
    """A handler answered with an awaitable (an ``async def`` handler): the shell awaits
    :attr:`work` off the receive path, then turns the outcome into a frame with :func:`finish`.
    """

    call: Request | Notification
    work: Awaitable[Any]


def dispatch(
    methods: Mapping[str, Handler], call: Request | Notification, caller: Caller = ANONYMOUS
) -> bytes | Pending | None:
    """Run ``call`` against a method table; returns the response frame, or None for a notification.

    Handlers take the named parameters as a dict (absent params become ``{}``) and the
    :class:`Caller`; positional (array) params are refused with -32602, an unknown method gets
    -32601, and an :class:`AipError` raised by the handler becomes an error response with its
    code.  Any other exception from the handler, or a result that is not a JSON value, is a
    local bug and propagates to the caller (the shell logs it and answers -32603).  A handler
    that returns an awaitable yields a :class:`Pending` for the shell to complete.
    Notifications are run for their effect; their errors are dropped, as §4.1 forbids answering
    them [ARC-RPC-005].
    """
    handler = methods.get(call.method)
    id_ = call.id if isinstance(call, Request) else None
    if handler is None:  # [ARC-RPC-004]
        error: ErrorSpec = (Code.METHOD_NOT_FOUND, f"unknown method {call.method!r}", None)
    elif isinstance(call.params, list):
        error = (Code.INVALID_PARAMS, "this method takes named parameters (an object)", None)
    else:
        try:
            result = handler({} if call.params is None else call.params, caller)
        except AipError as exc:
            error = exc
        else:
            if type(result) not in _JSON_TYPES and isawaitable(result):  # an async handler
                return Pending(call, result)
            return result_frame(id_, result) if isinstance(call, Request) else None
    return error_frame(id_, error) if isinstance(call, Request) else None


def finish(
    pending: Pending, result: Any = None, error: BaseException | None = None
) -> bytes | None:
    """The frame that answers a completed :class:`Pending`: its result, or its
    :class:`AipError`; None for a notification.  Any other ``error`` is re-raised (a local bug:
    the shell logs it and answers -32603), as is a result that is not a JSON value."""
    call = pending.call
    if error is not None and not isinstance(error, AipError):
        raise error
    if not isinstance(call, Request):
        return None
    if isinstance(error, AipError):
        return error_frame(call.id, error)
    return result_frame(call.id, result)
