"""JSON-RPC 2.0 framing: classification, error replies, builders, dispatch."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aip.errors import AipError, Code
from aip.jsonrpc import (
    Caller,
    ErrorReply,
    Notification,
    Pending,
    Request,
    Response,
    decode_frame,
    dispatch,
    error_frame,
    error_object,
    expect_params,
    finish,
    result_frame,
)

FRAME_TYPES = (Request, Notification, Response, ErrorReply)


def _enc(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def _reply(data: bytes | str) -> ErrorReply:
    frame = decode_frame(data)
    assert isinstance(frame, ErrorReply), frame
    # The reply itself is a well-formed error response.
    sent = decode_frame(frame.to_bytes())
    assert isinstance(sent, Response)
    assert sent.error == frame.error
    return frame


# --- well-formed frames ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"jsonrpc": "2.0", "method": "m", "id": 1}, Request(1, "m")),
        (
            {"jsonrpc": "2.0", "method": "m", "id": "a", "params": {"x": 1}},
            Request("a", "m", {"x": 1}),
        ),
        ({"jsonrpc": "2.0", "method": "m", "id": None, "params": [1]}, Request(None, "m", [1])),
        ({"jsonrpc": "2.0", "method": "m", "id": -(2**53 - 1)}, Request(-(2**53 - 1), "m")),
        ({"jsonrpc": "2.0", "method": "m"}, Notification("m")),
        ({"jsonrpc": "2.0", "method": "m", "params": []}, Notification("m", [])),
        ({"jsonrpc": "2.0", "result": None, "id": 3}, Response(3, result=None)),
        ({"jsonrpc": "2.0", "result": {"a": [1]}, "id": "x"}, Response("x", result={"a": [1]})),
        (
            {"jsonrpc": "2.0", "error": {"code": -32601, "message": "no"}, "id": None},
            Response(None, error={"code": -32601, "message": "no"}),
        ),
        (
            {"jsonrpc": "2.0", "error": {"code": 1, "message": "", "data": [None]}, "id": 7},
            Response(7, error={"code": 1, "message": "", "data": [None]}),
        ),
    ],
)
def test_valid_frames_classify(obj: dict[str, Any], expected: object) -> None:
    assert decode_frame(_enc(obj)) == expected
    assert decode_frame(json.dumps(obj)) == expected  # str input too


# --- codec errors carry the precise code ------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\xff\xfe", Code.INVALID_UTF8),
        (b'{"jsonrpc":"2.0","jsonrpc":"2.0","method":"m","id":1}', Code.DUPLICATE_KEY),
        (b'{"jsonrpc":"2.0","method":"m","id":9007199254740992}', Code.INTEGER_OUT_OF_RANGE),
        (b'{"jsonrpc":"2.0","method":"m","id":"\\ud800"}', Code.LONE_SURROGATE),
        (b'{"jsonrpc":"2.0","method":"m","params":[NaN],"id":1}', Code.NON_FINITE_NUMBER),
        (b"[" * 200 + b"]" * 200, Code.NESTING_TOO_DEEP),
        (b'{"jsonrpc":"2.0",', Code.PARSE_ERROR),
        (b"", Code.PARSE_ERROR),
    ],
)
def test_codec_errors_reply_with_codec_code_and_null_id(data: bytes, code: Code) -> None:
    reply = _reply(data)
    assert reply.code == code
    assert reply.id is None
    if code != Code.PARSE_ERROR:  # an aip-ri code names its parent [ARC-RPC-006]
        assert reply.error["data"] == {"parent": Code.PARSE_ERROR}
    else:
        assert "data" not in reply.error


# --- invalid requests and responses -----------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "reply_id"),
    [
        ([], None),  # empty batch
        ([{"jsonrpc": "2.0", "method": "m", "id": 1}], None),  # batches unsupported
        (1, None),
        ("x", None),
        (None, None),
        ({}, None),
        ({"jsonrpc": "1.0", "method": "m", "id": 5}, 5),
        ({"jsonrpc": 2.0, "method": "m", "id": 5}, 5),
        ({"method": "m", "id": "k"}, "k"),
        ({"jsonrpc": "2.0", "method": 1, "id": 5}, 5),
        ({"jsonrpc": "2.0", "method": None}, None),
        ({"jsonrpc": "2.0", "method": "m", "params": None, "id": 5}, 5),
        ({"jsonrpc": "2.0", "method": "m", "params": "bar", "id": 5}, 5),
        ({"jsonrpc": "2.0", "method": "m", "id": 1.5}, None),
        ({"jsonrpc": "2.0", "method": "m", "id": True}, None),
        ({"jsonrpc": "2.0", "method": "m", "id": {"a": 1}}, None),
        ({"jsonrpc": "2.0", "method": "m", "id": [1]}, None),
        ({"jsonrpc": "2.0", "method": "m", "id": 5, "extra": 1}, 5),
        ({"jsonrpc": "2.0", "method": "m", "id": 5, "result": 1}, 5),
        ({"jsonrpc": "2.0", "id": 5}, None),
        ({"jsonrpc": "2.0", "result": 1}, None),  # response without id
        ({"jsonrpc": "2.0", "result": 1, "error": {"code": 1, "message": "m"}, "id": 5}, None),
        ({"jsonrpc": "2.0", "result": None, "error": None, "id": 5}, None),  # the ACPs habit
        ({"jsonrpc": "2.0", "result": 1, "id": 5, "x": 0}, None),
        ({"jsonrpc": "1.0", "result": 1, "id": 5}, None),
        ({"jsonrpc": "2.0", "result": 1, "id": 1.0}, None),
        ({"jsonrpc": "2.0", "error": "bad", "id": 5}, None),
        ({"jsonrpc": "2.0", "error": {"code": "1", "message": "m"}, "id": 5}, None),
        ({"jsonrpc": "2.0", "error": {"code": True, "message": "m"}, "id": 5}, None),
        ({"jsonrpc": "2.0", "error": {"code": 1}, "id": 5}, None),
        ({"jsonrpc": "2.0", "error": {"code": 1, "message": "m", "x": 1}, "id": 5}, None),
    ],
)
def test_invalid_frames_get_invalid_request(obj: Any, reply_id: Any) -> None:
    reply = _reply(_enc(obj))
    assert reply.code == Code.INVALID_REQUEST
    assert reply.id == reply_id


# --- builders ---------------------------------------------------------------------------------


def test_result_frame_round_trips() -> None:
    frame = result_frame("id-1", {"ok": True, "n": [1, 2]})
    body = {"jsonrpc": "2.0", "result": {"ok": True, "n": [1, 2]}, "id": "id-1"}
    assert orjson.loads(frame) == body
    assert decode_frame(frame) == Response("id-1", result={"ok": True, "n": [1, 2]})


def test_error_frame_from_aip_error_and_tuple() -> None:
    exc = AipError(Code.INVALID_PARAMS, "bad", data={"field": "x"})
    assert orjson.loads(error_frame(3, exc)) == {
        "jsonrpc": "2.0",
        "error": {"code": -32602, "message": "bad", "data": {"field": "x"}},
        "id": 3,
    }
    body = orjson.loads(error_frame(None, (Code.METHOD_NOT_FOUND, "nope", None)))
    assert body == {"jsonrpc": "2.0", "error": {"code": -32601, "message": "nope"}, "id": None}
    assert orjson.loads(error_frame("a", (-32603, "m", [1])))["error"]["data"] == [1]


def test_error_objects_carry_registered_codes_and_parents() -> None:
    # [ARC-RPC-006] aip-ri codes name their parent; other codes keep data as given.
    exc = AipError(Code.SIGNATURE_INVALID, "bad sig", data={"kid": "k"})
    body = orjson.loads(error_frame(1, exc))["error"]
    assert body == {"code": -33205, "message": "bad sig", "data": {"kid": "k", "parent": -32009}}
    assert error_object(Code.AIC_MALFORMED, "m") == {
        "code": -33301, "message": "m", "data": {"parent": -32602}
    }
    assert error_object(Code.TASK_NOT_FOUND, "m") == {"code": -32001, "message": "m"}
    with pytest.raises(ValueError, match="registry"):
        error_object(-1, "unregistered")
    with pytest.raises(TypeError):
        error_object(Code.AIC_MALFORMED, "m", [1])


def test_result_frame_refuses_non_json_values() -> None:
    with pytest.raises(AipError) as info:
        result_frame(1, {"x": 2**60})
    assert info.value.code == Code.INTEGER_OUT_OF_RANGE


# --- dispatch ---------------------------------------------------------------------------------


def _echo(params: dict[str, Any], caller: Caller) -> Any:
    expect_params(params, required=frozenset({"a"}), optional=frozenset({"b"}))
    return params


def _fail(params: dict[str, Any], caller: Caller) -> Any:
    raise AipError(Code.TASK_NOT_FOUND, "no such task")


def _whoami(params: dict[str, Any], caller: Caller) -> Any:
    return caller.aic


METHODS = {"echo": _echo, "fail": _fail, "ping": lambda params, caller: "pong", "who": _whoami}


def _dispatch_obj(call: Request | Notification, caller: Caller | None = None) -> dict[str, Any]:
    out = dispatch(METHODS, call) if caller is None else dispatch(METHODS, call, caller)
    assert isinstance(out, bytes)
    loaded: dict[str, Any] = orjson.loads(out)
    return loaded


def test_dispatch_results_and_errors() -> None:
    assert _dispatch_obj(Request(1, "ping"))["result"] == "pong"
    assert _dispatch_obj(Request(2, "ping", {}))["result"] == "pong"
    assert _dispatch_obj(Request(3, "echo", {"a": 1}))["result"] == {"a": 1}
    assert _dispatch_obj(Request(3, "who"))["result"] is None  # anonymous by default
    who = _dispatch_obj(Request(3, "who"), Caller("1.2.3", None))
    assert who["result"] == "1.2.3"  # handlers see who called
    cases: list[tuple[Request, int]] = [
        (Request(4, "nope"), Code.METHOD_NOT_FOUND),
        (Request(5, "rpc.discover"), Code.METHOD_NOT_FOUND),
        (Request(6, "ping", [1]), Code.INVALID_PARAMS),
        (Request(7, "echo", {}), Code.INVALID_PARAMS),
        (Request(8, "echo", {"a": 1, "c": 2}), Code.INVALID_PARAMS),
        (Request(9, "fail"), Code.TASK_NOT_FOUND),
    ]
    for call, code in cases:
        body = _dispatch_obj(call)
        assert body["error"]["code"] == code
        assert body["id"] == call.id


def test_dispatch_never_answers_notifications() -> None:
    seen: list[dict[str, Any]] = []
    table = {"note": lambda params, caller: seen.append(params)}
    assert dispatch(table, Notification("note", {"k": 1})) is None
    assert seen == [{"k": 1}]
    assert dispatch(METHODS, Notification("nope")) is None
    assert dispatch(METHODS, Notification("fail")) is None
    assert dispatch(METHODS, Notification("ping", [1])) is None


# --- properties -------------------------------------------------------------------------------

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_members = st.sampled_from(
    ["jsonrpc", "method", "params", "id", "result", "error", "code", "message", "data", "x"]
)
_member_values = st.one_of(
    _json_values,
    st.just("2.0"),
    st.fixed_dictionaries({"code": _json_values, "message": _json_values}),
)
_frames = st.one_of(
    st.dictionaries(_members, _member_values, max_size=5),
    st.lists(st.dictionaries(_members, _member_values, max_size=4), max_size=2),
    _json_values,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_yield_a_frame_and_never_raise(data: bytes) -> None:
    assert isinstance(decode_frame(data), FRAME_TYPES)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=64))
def test_any_text_yields_a_frame_and_never_raise(data: str) -> None:
    assert isinstance(decode_frame(data), FRAME_TYPES)


@settings(max_examples=200, deadline=None)
@given(_frames)
def test_structured_frames_classify_consistently(value: Any) -> None:
    frame = decode_frame(json.dumps(value))
    assert isinstance(frame, FRAME_TYPES)
    if isinstance(frame, ErrorReply):
        assert frame.code in {Code.INVALID_REQUEST, Code.INTEGER_OUT_OF_RANGE}
        assert isinstance(decode_frame(frame.to_bytes()), Response)
        return
    # Accepted frames are exact JSON-RPC 2.0 objects.
    assert isinstance(value, dict)
    assert value["jsonrpc"] == "2.0"
    if isinstance(frame, Request | Notification):
        assert set(value) <= {"jsonrpc", "method", "params", "id"}
        assert ("id" in value) == isinstance(frame, Request)
        assert frame.params is None or isinstance(frame.params, dict | list)
    else:
        assert ("result" in value) != ("error" in value)
        assert "id" in value


async def test_an_async_handler_is_pending_until_finished() -> None:
    async def later(params: dict[str, Any], caller: Caller) -> Any:
        if params.get("refuse"):
            raise AipError(Code.TASK_NOT_FOUND, "no such task")
        if params.get("bug"):
            raise RuntimeError("bug")
        return params["n"] * 2

    table = {"later": later}
    pending = dispatch(table, Request(5, "later", {"n": 21}))
    assert isinstance(pending, Pending)
    assert orjson.loads(finish(pending, await pending.work) or b"")["result"] == 42
    refused = dispatch(table, Request(6, "later", {"refuse": True}))
    assert isinstance(refused, Pending)
    with pytest.raises(AipError) as caught:
        await refused.work
    frame = orjson.loads(finish(refused, error=caught.value) or b"")
    assert (frame["error"]["code"], frame["id"]) == (Code.TASK_NOT_FOUND, 6)
    broken = dispatch(table, Request(7, "later", {"bug": True}))
    assert isinstance(broken, Pending)
    with pytest.raises(RuntimeError) as bug:
        await broken.work
    with pytest.raises(RuntimeError):  # a local bug is re-raised for the shell to log (-32603)
        finish(broken, error=bug.value)
    note = dispatch(table, Notification("later", {"n": 1}))
    assert isinstance(note, Pending)
    assert finish(note, await note.work) is None  # notifications are never answered
