"""Vector operations for discovery forwarding (spec Part 8, topic DSC-FWD).

Each operation adapts one vector ``input`` to :mod:`aip.discovery.forwarding`.  Requests are
JSON objects (the ``adp.discover`` params); keys travel as lowercase hex: ``seed_hex`` for the
signing hop, ``keys`` (AIC -> 32-byte public key hex) for the keys a node pins for its peers.
Library errors propagate as :class:`aip.errors.DiscoveryError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aip import codec
from aip.discovery import forwarding as fw
from aip.errors import AipError
from aip.identity.keys import SigningKey, VerifyKey

__all__ = ["OPERATIONS"]


def _read(data: dict[str, Any]) -> fw.Forwarding:
    fwd = fw.read_forwarding(data["request"], new_request_id=data.get("new_request_id"))
    if "entry_trusted" in data:
        fwd = fw.enter(fwd, trusted=data["entry_trusted"])
    return fwd


def read(data: dict[str, Any]) -> dict[str, Any]:
    """The forwarding members of ``request`` with defaults applied (``new_request_id`` for an
    entry request without one)."""
    fwd = _read(data)
    return {
        "requestId": fwd.request_id,
        "forwardDepthLimit": fwd.depth_limit,
        "forwardFanoutLimit": fwd.fanout_limit,
        "forwardFanoutRemaining": fwd.fanout_remaining,
        "forwardChain": list(fwd.chain),
        "forwardTrustedServers": list(fwd.trusted),
        "signatureCount": len(fwd.signatures),
        "forwardEachTimeoutMs": fwd.each_timeout_ms,
        "forwardTotalTimeoutMs": fwd.total_timeout_ms,
    }


def hop_input(data: dict[str, Any]) -> dict[str, Any]:
    """The exact bytes hop ``hop`` of ``request`` signs, as text, and the request digest."""
    fwd = _read(data)
    payload = fw.hop_payload(data["request"], fwd, data["hop"])
    return {
        "signing_input": codec.canonicalize(payload).decode("utf-8"),
        "request_digest": payload["request"],
    }


def sign(data: dict[str, Any]) -> dict[str, Any]:
    """What node ``own_aic`` (key ``seed_hex``) sends to a branch with budget ``remaining``.

    An entry request is read with ``new_request_id`` and its trusted list set from
    ``entry_trusted``; ``elapsed_ms`` is the time the node has spent.
    """
    fwd = _read(data)
    out = fw.sign_hop(
        data["request"],
        fwd,
        own_aic=data["own_aic"],
        key=SigningKey(bytes.fromhex(data["seed_hex"])),
        elapsed_ms=data.get("elapsed_ms", 0),
    )
    return {"request": fw.branch(out, data.get("remaining", 0))}


def check(data: dict[str, Any]) -> dict[str, Any]:
    """Read ``request`` and check it at ``own_aic`` as sent by ``caller_aic`` under the pinned
    ``keys``."""
    keys = {aic: VerifyKey(bytes.fromhex(pub)) for aic, pub in data["keys"].items()}
    fwd = fw.read_forwarding(data["request"], new_request_id=data.get("new_request_id"))
    fw.check_incoming(
        data["request"],
        fwd,
        own_aic=data["own_aic"],
        caller_aic=data.get("caller_aic"),
        keys=keys.get,
    )
    return {"accepted": True, "entry": fwd.is_entry}


def split(data: dict[str, Any]) -> dict[str, Any]:
    """The fan-out budget of each of ``branches`` children of a node holding ``remaining``."""
    return {"children": fw.split_budget(data["remaining"], data["branches"], data.get("weights"))}


def split_refusal(data: dict[str, Any]) -> dict[str, Any]:
    """The code and ``data`` of the refusal :func:`split` must raise for this input."""
    try:
        fw.split_budget(data["remaining"], data["branches"], data.get("weights"))
    except AipError as exc:
        return {"code": int(exc.code), "data": exc.data}
    return {"code": None}


def plan(data: dict[str, Any]) -> dict[str, Any]:
    """The peers node ``own_aic`` forwards ``request`` to, after ``elapsed_ms``."""
    targets = fw.plan(
        _read(data), data["candidates"], own_aic=data["own_aic"], elapsed_ms=data["elapsed_ms"]
    )
    return {"targets": [[peer, budget] for peer, budget in targets]}


def merge(data: dict[str, Any]) -> dict[str, Any]:
    """The merged answer (``acsMap``, ``agents``, ``routes``) of ``local`` and ``branches``."""
    return fw.merge(data["local"], data["branches"], limit=data["limit"])


def redirect(data: dict[str, Any]) -> dict[str, Any]:
    """Where a client resends after the error ``error``, having followed ``redirects``."""
    target = fw.redirect_target(data["error"], redirects=data["redirects"])
    if target is None:
        return {"redirect": False}
    return {"redirect": True, "location": target[0], "aic": target[1]}


OPERATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "forwarding.read": read,
    "forwarding.hop_input": hop_input,
    "forwarding.sign": sign,
    "forwarding.check": check,
    "forwarding.split": split,
    "forwarding.split_refusal": split_refusal,
    "forwarding.plan": plan,
    "forwarding.merge": merge,
    "forwarding.redirect": redirect,
}
