"""Signed objects (spec/03-integrity.md) and the external eddsa-jcs-2022 vector."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aip import codec
from aip.errors import Code, CodecError, IntegrityError
from aip.identity.keys import SigningKey, VerifyKey
from aip.integrity import sign_object, signing_input, verify_object, verify_received
from tests.strategies import ijson_objects

EXT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "external" / "eddsa-jcs-2022"
KEY = SigningKey(bytes(range(32)))
OTHER = SigningKey(bytes(range(1, 33)))
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _B58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + body


@settings(max_examples=150)
@given(ijson_objects)
def test_sign_verify_round_trip(obj: dict[str, Any]) -> None:
    signed = sign_object(obj, KEY)
    assert verify_object(signed, KEY.verify_key) == KEY.verify_key.key_id()
    ring = {KEY.verify_key.key_id(): KEY.verify_key}
    obj2, kid = verify_received(codec.dumps(signed), ring)
    assert kid == KEY.verify_key.key_id()
    assert obj2["integrity"] == signed["integrity"]


@settings(max_examples=150, deadline=None)
@given(ijson_objects, st.data())
def test_any_changed_byte_fails(obj: dict[str, Any], data: st.DataObject) -> None:
    wire = bytearray(codec.canonicalize(sign_object(obj, KEY)))
    index = data.draw(st.integers(0, len(wire) - 1))
    wire[index] = data.draw(st.integers(0, 255).filter(lambda b: b != wire[index]))
    try:
        parsed = codec.parse(bytes(wire))
        if isinstance(parsed, dict) and codec.canonicalize(parsed) == codec.canonicalize(
            sign_object(obj, KEY)
        ):
            return  # the change was an equivalent spelling (e.g. whitespace), not tampering
        verify_object(parsed, KEY.verify_key)
    except (IntegrityError, CodecError):
        return
    pytest.fail("a changed byte verified")


def test_signature_is_over_received_value_not_a_model() -> None:
    signed = sign_object({"a": 1, "vendor-extension": {"x": [1, 2]}}, KEY)
    text = json.dumps(signed, indent=3)
    obj, _ = verify_received(text.encode(), KEY.verify_key)
    # a model that drops unknown members would no longer verify
    reduced = {k: v for k, v in obj.items() if k != "vendor-extension"}
    with pytest.raises(IntegrityError) as info:
        verify_object(reduced, KEY.verify_key)
    assert info.value.code == Code.SIGNATURE_INVALID


def test_single_key_resolver_checks_kid() -> None:
    signed = sign_object({"a": 1}, KEY)
    with pytest.raises(IntegrityError) as info:
        verify_object(signed, OTHER.verify_key)
    assert info.value.code == Code.KEY_UNKNOWN


def test_callable_resolver_and_custom_kid() -> None:
    signed = sign_object({"a": 1}, KEY, kid="agent-key-2026")
    seen: list[str] = []

    def resolve(kid: str) -> VerifyKey | None:
        seen.append(kid)
        return KEY.verify_key if kid == "agent-key-2026" else None

    assert verify_object(signed, resolve) == "agent-key-2026"
    assert seen == ["agent-key-2026"]


def test_signing_input_excludes_only_top_level_integrity() -> None:
    inner = sign_object({"v": 1}, OTHER)
    outer = sign_object({"inner": inner}, KEY)
    assert b'"integrity"' in signing_input(outer)  # the inner one is covered
    assert signing_input(outer) == codec.canonicalize({"inner": inner})


def test_hand_made_object_that_is_not_json_is_malformed() -> None:
    signed = sign_object({"a": 1}, KEY)
    signed["a"] = float("nan")
    with pytest.raises(IntegrityError) as info:
        verify_object(signed, KEY.verify_key)
    assert info.value.code == Code.INTEGRITY_MALFORMED


def test_eddsa_jcs_2022_external_vector() -> None:
    # W3C vc-di-eddsa: JCS of document and proof config, SHA-256 of each, Ed25519 signature
    pair = json.loads((EXT / "keyPair.json").read_text())
    multikey = _b58decode(pair["privateKeyMultibase"][1:])
    assert multikey[:2] == b"\x80\x26"
    key = SigningKey(multikey[2:])
    public = _b58decode(pair["publicKeyMultibase"][1:])
    assert public[:2] == b"\xed\x01"
    assert public[2:] == key.verify_key.raw
    folder = EXT / "eddsa-jcs-2022"
    unsigned = codec.parse((EXT / "unsigned.json").read_bytes())
    doc = codec.canonicalize(unsigned)
    assert doc == (folder / "canonDocJCS.txt").read_bytes()
    config = codec.parse((folder / "proofConfigJCS.json").read_bytes())
    proof = codec.canonicalize(config)
    assert proof == (folder / "proofCanonJCS.txt").read_bytes()
    combined = hashlib.sha256(proof).digest() + hashlib.sha256(doc).digest()
    assert combined.hex() == (folder / "combinedHashJCS.txt").read_text().strip()
    sig = key.sign(combined)
    assert sig.hex() == (folder / "sigHexJCS.txt").read_text().strip()
    assert "z" + _b58encode(sig) == (folder / "sigBTC58JCS.txt").read_text().strip()
    signed = codec.parse((folder / "signedJCS.json").read_bytes())
    proof_obj = dict(signed.pop("proof"))
    value = proof_obj.pop("proofValue")
    recombined = (hashlib.sha256(codec.canonicalize(proof_obj)).digest()
                  + hashlib.sha256(codec.canonicalize(signed)).digest())
    key.verify_key.verify(_b58decode(value[1:]), recombined)


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = _B58[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\x00"))) + out
