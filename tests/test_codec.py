"""Strict parsing and RFC 8785 canonicalisation (spec/02-codec.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aip import _jcs, codec
from aip.errors import Code, CodecError
from tests.strategies import ijson_values

JCS = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "external" / "jcs"
CODEC_CODES = {Code.PARSE_ERROR, Code.INVALID_UTF8, Code.DUPLICATE_KEY, Code.INTEGER_OUT_OF_RANGE,
               Code.LONE_SURROGATE, Code.NON_FINITE_NUMBER, Code.NESTING_TOO_DEEP}


@pytest.mark.parametrize("name", sorted(p.stem for p in (JCS / "input").glob("*.json")))
def test_rfc8785_external_vectors(name: str) -> None:
    got = codec.canonicalize(codec.parse((JCS / "input" / f"{name}.json").read_bytes()))
    assert got == (JCS / "output" / f"{name}.json").read_bytes()
    hex_text = (JCS / "outhex" / f"{name}.txt").read_text()
    assert got == bytes.fromhex("".join(hex_text.split()))


def test_external_vector_set_is_complete() -> None:
    assert len(list((JCS / "input").glob("*.json"))) == 6


@settings(max_examples=400)
@given(ijson_values)
def test_fast_path_equals_reference(value: Any) -> None:
    # [COD-JCS-001..004] the fast path, our exact path and the rfc8785 package agree
    want = rfc8785.dumps(value)
    assert codec.canonicalize(value) == want
    assert _jcs.canonicalize(value) == want


@settings(max_examples=300)
@given(ijson_values)
def test_parse_of_any_serialisation_canonicalises_the_same(value: Any) -> None:
    # [COD-JCS-006]
    canonical = codec.canonicalize(value)
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=2)):
        assert codec.canonicalize(codec.parse(text)) == canonical
    try:
        reparsed = codec.parse(canonical)
    except CodecError as exc:
        # an integral double of magnitude >= 2**53 canonicalises to digits that read back as
        # an unsafe integer literal (spec/02-codec.md 2.2, note) — the only exception
        assert exc.code == Code.INTEGER_OUT_OF_RANGE
        return
    assert codec.canonicalize(reparsed) == canonical


@settings(max_examples=500)
@given(st.binary(max_size=200))
@example(b"[" * 3000)
@example(b'"\\ud800"')
@example(b"\xef\xbb\xbf{}")
def test_parse_raises_only_codec_errors(data: bytes) -> None:
    # [COD-JSON-008]
    try:
        codec.parse(data)
    except CodecError as exc:
        assert exc.code in CODEC_CODES


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from('{}[]",:0123456789.eE+-\\untrfalsN \ud800'), max_size=60))
def test_parse_raises_only_codec_errors_on_json_like_text(text: str) -> None:
    try:
        codec.parse(text)
    except CodecError as exc:
        assert exc.code in CODEC_CODES


def test_fast_path_spoilers_route_to_exact_path() -> None:
    # each spoiler would make orjson's sorted output differ from RFC 8785
    assert codec.canonicalize(1.0) == b"1"
    assert codec.canonicalize({"a": [1e21]}) == b'{"a":[1e+21]}'
    assert codec.canonicalize({"\ue000": 1, "\U0001f600": 2}) == rfc8785.dumps(
        {"\ue000": 1, "\U0001f600": 2}
    )
    assert codec.canonicalize({"s": "a:1.5"}) == b'{"s":"a:1.5"}'


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (float("nan"), Code.NON_FINITE_NUMBER),
        ({"a": [float("inf")]}, Code.NON_FINITE_NUMBER),
        ([None, float("-inf")], Code.NON_FINITE_NUMBER),
        (2**53, Code.INTEGER_OUT_OF_RANGE),
        ({"n": -(2**63)}, Code.INTEGER_OUT_OF_RANGE),
        (2**70, Code.INTEGER_OUT_OF_RANGE),
        ("\ud800", Code.LONE_SURROGATE),
        ({"\udc00": 1}, Code.LONE_SURROGATE),
        ({1: "a"}, Code.NOT_JSON_VALUE),
        ({"a": {1, 2}}, Code.NOT_JSON_VALUE),
        (b"bytes", Code.NOT_JSON_VALUE),
        ([[[]]] * 1, None),
    ],
)
def test_canonicalize_refuses_non_json(value: Any, code: Code | None) -> None:
    # [COD-JCS-005]
    if code is None:
        assert codec.canonicalize(value) == b"[[[]]]"
        return
    with pytest.raises(CodecError) as info:
        codec.canonicalize(value)
    assert info.value.code == code
    with pytest.raises(CodecError) as again:
        codec.dumps(value)
    assert again.value.code == code


def test_canonicalize_refuses_excess_depth() -> None:
    deep: Any = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(CodecError) as info:
        codec.canonicalize(deep)
    assert info.value.code == Code.NESTING_TOO_DEEP


def test_datetime_is_not_silently_encoded() -> None:
    import datetime

    with pytest.raises(CodecError) as info:
        codec.canonicalize({"t": datetime.datetime(2026, 1, 1)})
    assert info.value.code == Code.NOT_JSON_VALUE


@given(ijson_values)
def test_dumps_round_trips(value: Any) -> None:
    # compared as canonical bytes, so that 1 vs 1.0 or 0.0 vs -0.0 would show
    back = codec.parse(codec.dumps(value))
    assert codec.canonicalize(back) == rfc8785.dumps(value)
    assert type(back) is type(value)


def test_parse_accepts_str_and_memoryview() -> None:
    assert codec.parse('{"a":1}') == {"a": 1}
    assert codec.parse(memoryview(b"[1]")) == [1]
    with pytest.raises(CodecError) as info:
        codec.parse("\ud800")
    assert info.value.code == Code.LONE_SURROGATE


def test_number_text_rejects_non_finite() -> None:
    with pytest.raises(CodecError) as info:
        _jcs.number_text(float("nan"))
    assert info.value.code == Code.NON_FINITE_NUMBER


def test_foreign_types_are_refused_whatever_else_the_value_holds() -> None:
    # orjson encodes these natively; the exact path refuses them; both paths must agree
    import enum
    import uuid

    import orjson

    class Colour(enum.Enum):
        RED = 1

    for foreign in (Colour.RED, uuid.UUID(int=1), orjson.Fragment(b'{"b":1,"a":2}')):
        for value in ([foreign], {"x": foreign, "n": None}, [foreign, 1.5]):
            for encode in (codec.canonicalize, codec.dumps):
                with pytest.raises(CodecError) as info:
                    encode(value)
                assert info.value.code == Code.NOT_JSON_VALUE


def test_subclasses_encode_as_their_base_type() -> None:
    class Text(str):
        pass

    class Number(int):
        pass

    value = {Text("b"): [Number(2), Text("x")], "a": 1.5}
    assert codec.canonicalize(value) == b'{"a":1.5,"b":[2,"x"]}'
    assert codec.parse(codec.dumps(value)) == {"a": 1.5, "b": [2, "x"]}


@pytest.mark.parametrize("value", [[1e16], {"a": 1e21}, [1e-7], 1e16, [[[5e-324]]]])
def test_floats_alone_take_the_exact_path(value: Any) -> None:
    # no other float beside them to hide a wrong fast-path verdict
    assert codec.canonicalize(value) == rfc8785.dumps(value)


def test_wide_shallow_text_is_accepted_and_deep_narrow_refused() -> None:
    wide = b"[" + b",".join([b"[]"] * 5000) + b"]"
    assert len(codec.parse(wide)) == 5000
    assert len(codec.parse(wide.replace(b",", b", "))) == 5000  # the exact path too
    deep = b"[" * 129 + b"]" * 129
    for text in (deep, deep.replace(b"[", b"[ ")):
        with pytest.raises(CodecError) as info:
            codec.parse(text)
        assert info.value.code == Code.NESTING_TOO_DEEP


def test_long_integer_literal_is_out_of_range_not_a_parse_error() -> None:
    for digits in (17, 5000, 100_000):
        with pytest.raises(CodecError) as info:
            codec.parse(b"[-" + b"9" * digits + b"]")
        assert info.value.code == Code.INTEGER_OUT_OF_RANGE
