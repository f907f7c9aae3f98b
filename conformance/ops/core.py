"""Vector operations for the codec, integrity and key areas (``spec/02``, ``03``, ``05``).

Each operation adapts one vector ``input`` object to the public library API and returns the
outputs the vectors compare.  Library errors propagate as :class:`aip.errors.AipError`.
"""

from __future__ import annotations

import struct
from typing import Any

from aip import codec, integrity
from aip.identity import keyfile
from aip.identity.keys import SigningKey, VerifyKey

__all__ = ["OPERATIONS"]


def _text_or_bytes(data: dict[str, Any]) -> bytes | str:
    if "bytes_hex" in data:
        return bytes.fromhex(data["bytes_hex"])
    text = data["text"]
    assert isinstance(text, str)
    return text


def canonicalize(data: dict[str, Any]) -> dict[str, Any]:
    """Parse ``text`` (or ``bytes_hex``) strictly and canonicalise it."""
    out = codec.canonicalize(codec.parse(_text_or_bytes(data)))
    return {"canonical": out.decode("utf-8"), "canonical_hex": out.hex()}


def number(data: dict[str, Any]) -> dict[str, Any]:
    """The RFC 8785 text of the IEEE 754 double whose big-endian bits are ``float_hex``."""
    (value,) = struct.unpack(">d", bytes.fromhex(data["float_hex"]))
    return {"text": codec.number_text(value), "canonical": codec.canonicalize(value).decode()}


def sign(data: dict[str, Any]) -> dict[str, Any]:
    """Sign the object in ``object_text`` with the key from ``seed_hex``."""
    key = SigningKey(bytes.fromhex(data["seed_hex"]))
    signed = integrity.sign_object(codec.parse(data["object_text"]), key, data.get("kid"))
    return {
        "signing_input": integrity.signing_input(signed).decode("utf-8"),
        "sig": signed["integrity"]["sig"],
        "kid": signed["integrity"]["kid"],
    }


def verify(data: dict[str, Any]) -> dict[str, Any]:
    """Verify the signed object in ``object_text`` under the key(s) in ``public_keys_hex``."""
    keys = [VerifyKey(bytes.fromhex(k)) for k in data["public_keys_hex"]]
    ring = {key.key_id(): key for key in keys}
    ring.update({kid: VerifyKey(bytes.fromhex(k)) for kid, k in data.get("kids", {}).items()})
    _, kid = integrity.verify_received(_text_or_bytes({"text": data["object_text"]}), ring)
    return {"verified": True, "kid": kid}


def key_id(data: dict[str, Any]) -> dict[str, Any]:
    """The RFC 7638 thumbprint of the public key ``public_key_hex``."""
    return {"kid": VerifyKey(bytes.fromhex(data["public_key_hex"])).key_id()}


def derive(data: dict[str, Any]) -> dict[str, Any]:
    """Public key and kid from a 32-byte seed."""
    key = SigningKey(bytes.fromhex(data["seed_hex"]))
    return {"public_key_hex": key.verify_key.raw.hex(), "kid": key.verify_key.key_id()}


def load_pem(data: dict[str, Any]) -> dict[str, Any]:
    """Load a PEM private key (optionally with ``passphrase``)."""
    phrase = data.get("passphrase")
    key = keyfile.signing_key_from_pem(
        data["pem"].encode("ascii"), phrase.encode("utf-8") if phrase is not None else None
    )
    return {"public_key_hex": key.verify_key.raw.hex()}


def load_public_pem(data: dict[str, Any]) -> dict[str, Any]:
    """Load a PEM public key."""
    return {"public_key_hex": keyfile.verify_key_from_pem(data["pem"].encode("ascii")).raw.hex()}


OPERATIONS = {
    "codec.canonicalize": canonicalize,
    "codec.number": number,
    "integrity.sign": sign,
    "integrity.verify": verify,
    "keys.key_id": key_id,
    "keys.derive": derive,
    "keys.load_pem": load_pem,
    "keys.load_public_pem": load_public_pem,
}
