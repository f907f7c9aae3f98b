"""The error registry (spec/errors.json) and its Python binding agree, both ways."""

from __future__ import annotations

import json

from aip._spec import spec_dir
from aip.errors import AipError, Code, CodecError, registry

RAW = json.loads((spec_dir() / "errors.json").read_text(encoding="utf-8"))


def test_enum_mirrors_registry_exactly() -> None:
    rows = {row["code"]: row["name"] for row in RAW["errors"]}
    assert {int(c): c.name for c in Code} == {
        code: "".join("_" + ch if ch.isupper() and i else ch for i, ch in enumerate(name))
        .upper()
        .replace("UTF8", "UTF8")
        for code, name in rows.items()
    }


def test_codes_unique_and_rows_complete() -> None:
    codes = [row["code"] for row in RAW["errors"]]
    assert len(codes) == len(set(codes))
    for row in RAW["errors"]:
        assert row["origin"] in {"jsonrpc-2.0", "acps-aip", "acps-adp", "aip-ri"}
        assert row["meaning"]
        assert isinstance(row["retryable"], bool)
        if row["origin"] == "aip-ri":
            assert row["parent"] in registry()
            assert registry()[row["parent"]].origin != "aip-ri"
            assert -34999 <= row["code"] <= -33100
        if row["origin"] == "acps-adp":
            assert row["http"] in {307, 400, 401, 429, 500, 508}


def test_standard_ranges_present() -> None:
    assert {-32700, -32600, -32601, -32602, -32603} <= set(registry())
    assert set(range(-32010, -32000)) <= set(registry())
    assert {30701, 40004, 50805} <= set(registry())


def test_error_to_wire() -> None:
    err = CodecError(Code.DUPLICATE_KEY, "dup", data={"at": "/a"})
    assert err.to_wire() == {"code": -33102, "message": "dup",
                             "data": {"at": "/a", "parent": -32700}}
    assert AipError(Code.METHOD_NOT_FOUND, "m").to_wire() == {"code": -32601, "message": "m"}
    assert isinstance(err, AipError)
    assert not err.retryable
    assert "DUPLICATE_KEY" in repr(err)
    assert AipError(Code.INTERNAL_ERROR, "x").retryable
