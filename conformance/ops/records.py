"""Vector operations for AMP log records (spec Part 11, topic AUD-REC).

Each operation adapts one vector ``input`` object to :mod:`aip.audit.records` and returns the
outputs the vectors compare.  ``record_text`` is parsed strictly (Part 2) first, so a record is
always checked as a receiver sees it.  Library errors propagate as :class:`aip.errors.AipError`.
"""

from __future__ import annotations

from typing import Any

from aip import codec, integrity
from aip.audit import records
from aip.identity.keys import SigningKey, VerifyKey

__all__ = ["OPERATIONS"]


def check(data: dict[str, Any]) -> dict[str, Any]:
    """Check the shape of the record in ``record_text`` (its signature is not verified)."""
    record = records.check_record(codec.parse(data["record_text"]))
    return {"log_type": record["logType"], "signed": integrity.INTEGRITY in record}


def sign(data: dict[str, Any]) -> dict[str, Any]:
    """Sign the record in ``record_text`` with the key from ``seed_hex`` (and ``kid`` if given)."""
    key = SigningKey(bytes.fromhex(data["seed_hex"]))
    signed = records.sign_record(codec.parse(data["record_text"]), key, data.get("kid"))
    return {
        "signing_input": integrity.signing_input(signed).decode("utf-8"),
        "sig": signed["integrity"]["sig"],
        "kid": signed["integrity"]["kid"],
    }


def verify(data: dict[str, Any]) -> dict[str, Any]:
    """Check and verify the record in ``record_text`` under the keys in ``public_keys_hex``."""
    keys = [VerifyKey(bytes.fromhex(text)) for text in data["public_keys_hex"]]
    ring = {key.key_id(): key for key in keys}
    kid = records.verify_record(codec.parse(data["record_text"]), ring)
    return {"verified": True, "kid": kid}


def hash_subject(data: dict[str, Any]) -> dict[str, Any]:
    """The subject hash of ``subject`` under the salt ``salt_hex``."""
    return {"subject": records.hash_subject(data["subject"], bytes.fromhex(data["salt_hex"]))}


def timestamp(data: dict[str, Any]) -> dict[str, Any]:
    """Read the record time ``text`` and write it back in the six-digit form."""
    return {"utc": records.format_timestamp(records.parse_timestamp(data["text"]))}


OPERATIONS = {
    "records.check": check,
    "records.sign": sign,
    "records.verify": verify,
    "records.hash_subject": hash_subject,
    "records.timestamp": timestamp,
}
