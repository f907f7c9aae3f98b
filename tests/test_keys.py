"""Ed25519 keys, key ids and key files (spec/05-identity-keys.md), RFC 8032 vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aip.errors import Code, IntegrityError, KeyMaterialError
from aip.identity import keyfile
from aip.identity.keys import SigningKey, VerifyKey, b64url_decode, b64url_encode

EXT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "external" / "ed25519"


def _rows(name: str) -> list[dict[str, Any]]:
    rows = json.loads((EXT / name).read_text())
    assert isinstance(rows, list)
    return rows


@pytest.mark.parametrize(
    "row",
    _rows("rfc8032-test1-3.json") + _rows("sign-input-first64.json"),
    ids=lambda r: r["source"][:40],
)
def test_rfc8032_vectors(row: dict[str, Any]) -> None:
    key = SigningKey(bytes.fromhex(row["secret_key_hex"]))
    assert key.verify_key.raw.hex() == row["public_key_hex"]
    message = bytes.fromhex(row["message_hex"])
    signature = key.sign(message)
    assert signature.hex() == row["signature_hex"]
    key.verify_key.verify(signature, message)
    flipped = bytearray(signature)
    flipped[0] ^= 0x01
    with pytest.raises(IntegrityError) as info:
        key.verify_key.verify(bytes(flipped), message)
    assert info.value.code == Code.SIGNATURE_INVALID
    with pytest.raises(IntegrityError):
        key.verify_key.verify(signature, message + b"\x00")


def test_external_ed25519_vector_counts() -> None:
    assert len(_rows("rfc8032-test1-3.json")) == 3
    assert len(_rows("sign-input-first64.json")) == 64


def test_wrong_signature_length_is_signature_invalid() -> None:
    key = SigningKey(bytes(32))
    with pytest.raises(IntegrityError) as info:
        key.verify_key.verify(b"\x00" * 63, b"m")
    assert info.value.code == Code.SIGNATURE_INVALID


def test_small_order_public_key_is_rejected() -> None:
    # the identity point (y = 1) has order 1; libsodium refuses it as a verifying key
    identity = (1).to_bytes(32, "little")
    with pytest.raises(IntegrityError) as info:
        VerifyKey(identity).verify(b"\x00" * 64, b"m")
    assert info.value.code == Code.SIGNATURE_INVALID


def test_bridges_to_cryptography() -> None:
    key = SigningKey(bytes(range(32)))
    assert SigningKey.from_cryptography(key.to_cryptography()).seed == key.seed
    assert VerifyKey.from_cryptography(key.verify_key.to_cryptography()) == key.verify_key
    for bad in (object(), key.verify_key.to_cryptography()):
        with pytest.raises(KeyMaterialError) as info:
            SigningKey.from_cryptography(bad)
        assert info.value.code == Code.KEY_INVALID
    with pytest.raises(KeyMaterialError):
        VerifyKey.from_cryptography(key.to_cryptography())
    assert key.seed.hex() not in repr(key)
    assert key.verify_key.key_id() in repr(key)
    assert hash(key.verify_key) == hash(VerifyKey(key.verify_key.raw))


@given(st.binary(max_size=80))
def test_b64url_round_trip(data: bytes) -> None:
    assert b64url_decode(b64url_encode(data)) == data


@pytest.mark.parametrize("text", ["AA==", "A", "+/8", "AB", "é", "AAA="])
def test_b64url_rejects_non_canonical(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        b64url_decode(text)


def test_keyfile_round_trips() -> None:
    key = SigningKey(bytes(range(32)))
    assert keyfile.signing_key_from_pem(keyfile.signing_key_to_pem(key)).seed == key.seed
    pem = keyfile.signing_key_to_pem(key, b"pass phrase")
    assert b"ENCRYPTED" in pem
    assert keyfile.signing_key_from_pem(pem, b"pass phrase").seed == key.seed
    public = keyfile.verify_key_to_pem(key.verify_key)
    assert keyfile.verify_key_from_pem(public) == key.verify_key


@pytest.mark.parametrize(
    ("pem", "phrase", "code"),
    [
        (None, None, Code.KEY_PASSPHRASE_REQUIRED),
        (None, b"wrong", Code.KEY_DECRYPTION_FAILED),
        (b"not pem", None, Code.KEY_INVALID),
        (b"not pem", b"x", Code.KEY_INVALID),
    ],
)
def test_keyfile_errors(pem: bytes | None, phrase: bytes | None, code: Code) -> None:
    data = pem or keyfile.signing_key_to_pem(SigningKey(bytes(32)), b"right")
    with pytest.raises(KeyMaterialError) as info:
        keyfile.signing_key_from_pem(data, phrase)
    assert info.value.code == code


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(KeyMaterialError) as info:
        keyfile.signing_key_to_pem(SigningKey(bytes(32)), b"")
    assert info.value.code == Code.KEY_INVALID


def test_key_file_of_another_curve_is_key_invalid() -> None:  # [IDN-KEY-007]
    import base64

    der = bytes.fromhex("302e020100300506032b657004220420") + bytes(range(32))
    for oid_tail in (0x71, 0x6F):  # Ed448 and X448 object identifiers over 32 bytes
        body = der.replace(b"\x2b\x65\x70", bytes([0x2B, 0x65, oid_tail]))
        pem = (
            b"-----BEGIN PRIVATE KEY-----\n"
            + base64.encodebytes(body)
            + b"-----END PRIVATE KEY-----\n"
        )
        with pytest.raises(KeyMaterialError) as info:
            keyfile.signing_key_from_pem(pem)
        assert info.value.code == Code.KEY_INVALID
    # the unchanged structure is the key it claims to be
    good = (
        b"-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(der) + b"-----END PRIVATE KEY-----\n"
    )
    assert keyfile.signing_key_from_pem(good).seed == bytes(range(32))


def test_marker_text_inside_a_plain_key_file_does_not_make_it_encrypted() -> None:
    plain = keyfile.signing_key_to_pem(SigningKey(bytes(32)))
    noted = plain + b"# -----BEGIN ENCRYPTED PRIVATE KEY----- (a comment)\n"
    assert keyfile.signing_key_from_pem(noted).seed == bytes(32)


def test_verification_without_the_direct_libsodium_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The public PyNaCl binding gives the same verdicts when libsodium is not reachable
    directly (another PyNaCl layout)."""
    from aip.identity import keys

    key = SigningKey(b"\x07" * 32)
    message = b"the same verdicts on both paths"
    signature = key.sign(message)
    for lib in (vars(keys)["_lib"], None):  # the direct path, then the public binding
        monkeypatch.setattr(keys, "_lib", lib)
        key.verify_key.verify(signature, message)
        flipped = signature[:-1] + bytes([signature[-1] ^ 1])
        for bad_signature, bad_message in ((flipped, message), (signature, message + b"!")):
            with pytest.raises(IntegrityError) as caught:
                key.verify_key.verify(bad_signature, bad_message)
            assert caught.value.code is Code.SIGNATURE_INVALID
