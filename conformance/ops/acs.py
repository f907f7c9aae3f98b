"""Vector operations for ACS capability documents (spec Part 8, DSC-ACS and DSC-PRC).

Each operation adapts one vector ``input`` to :mod:`aip.discovery.acs`.  Documents travel as
JSON objects in ``document``; keys as the lowercase hex of an Ed25519 seed (``seed_hex``) or
public key (``public_key_hex``); times as RFC 3339 strings.  Library errors propagate as
:class:`aip.errors.AipError` (ACS_INVALID -33801, DOMAIN_NOT_OWNED -33804, and Part 3's
integrity codes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aip import codec
from aip.discovery import acs
from aip.identity.keys import SigningKey, VerifyKey
from aip.integrity import signing_input

__all__ = ["OPERATIONS"]


def _facts(doc: dict[str, Any], checked: dict[str, Any]) -> dict[str, Any]:
    """What a valid case compares: the object came back unchanged, its skill ids, its search
    text, and the SHA-256 of its canonical bytes (proving nothing was added or dropped)."""
    return {
        "valid": checked is doc,
        "skill_ids": [s["id"] for s in checked["skills"]],
        "search": acs.search_fields(checked),
        "canonical_sha256_hex": hashlib.sha256(codec.canonicalize(checked)).hexdigest(),
    }


def check(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`aip.discovery.acs.check_acs` on ``document``."""
    doc = data["document"]
    return _facts(doc, acs.check_acs(doc))


def check_submission(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`aip.discovery.acs.check_submission` on ``document``."""
    doc = data["document"]
    return _facts(doc, acs.check_submission(doc))


def version_expression(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`aip.discovery.acs.check_version_expression` on ``text``."""
    acs.check_version_expression(data["text"])
    return {"valid": True}


def publish(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`aip.discovery.acs.published` with ``aic``, ``active`` and ``modified``."""
    out = acs.published(
        data["document"],
        aic=data["aic"],
        active=data["active"],
        modified=datetime.fromisoformat(data["modified"]),
    )
    return {"document": out}


def sign(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`aip.discovery.acs.sign_acs` with the key from ``seed_hex`` (and ``kid``)."""
    key = SigningKey(bytes.fromhex(data["seed_hex"]))
    signed = acs.sign_acs(data["document"], key, data.get("kid"))
    return {
        "sig": signed["integrity"]["sig"],
        "kid": signed["integrity"]["kid"],
        "signing_input_sha256_hex": hashlib.sha256(signing_input(signed)).hexdigest(),
    }


def verify(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`aip.discovery.acs.verify_acs` trusting ``public_key_hex`` under its thumbprint,
    or under ``kid`` when given."""
    key = VerifyKey(bytes.fromhex(data["public_key_hex"]))
    kid = acs.verify_acs(data["document"], {data.get("kid", key.key_id()): key})
    return {"verified": True, "kid": kid}


def domains(data: dict[str, Any]) -> dict[str, Any]:
    """:func:`aip.discovery.acs.check_domains` after :func:`check_acs`."""
    doc = acs.check_acs(data["document"])
    acs.check_domains(doc, allow_loopback=data.get("allow_loopback", False))
    return {"owned": True}


OPERATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "acs.check": check,
    "acs.check_submission": check_submission,
    "acs.version_expression": version_expression,
    "acs.publish": publish,
    "acs.sign": sign,
    "acs.verify": verify,
    "acs.domains": domains,
}
