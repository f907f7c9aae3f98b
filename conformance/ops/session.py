"""Vector operations for sessions (spec Part 7).

``session.handshake`` builds a domain CA from seeds, issues the node's serverAuth and the agent's
clientAuth certificates, and runs the whole handshake between the two pure state machines, with
at most one deliberate fault.  ``session.binding`` opens a signed request on a session (or on
none) and ``session.reply`` checks a signed answer, both as in §7.6.  A refusal raises its
registry code, as a peer would see it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aip.identity.ca import DomainCA
from aip.identity.certificates import Usage, certificate_pem, parse_utc
from aip.identity.keys import SigningKey
from aip.integrity import sign_object
from aip.jsonrpc import ANONYMOUS, Caller
from aip.sessions.binding import check_reply, open_message
from aip.sessions.client import ClientHandshake
from aip.sessions.proofs import format_time
from aip.sessions.replay import ReplayCache
from aip.sessions.server import Input, Refuse, Reply, ServerConfig, ServerHandshake

__all__ = ["OPERATIONS"]


def _key(hex_text: str) -> SigningKey:
    return SigningKey(bytes.fromhex(hex_text))


def _domain(data: dict[str, Any], prefix: str, ca_time: datetime) -> DomainCA:
    return DomainCA.create(
        data.get(f"{prefix}domain", "example.org"),
        _key(data[f"{prefix}root_seed_hex"]),
        _key(data[f"{prefix}intermediate_seed_hex"]),
        ca_time,
        root_serial=1,
        intermediate_serial=2,
    )


def _answer(effects: list[Any]) -> dict[str, Any]:
    first = effects[0]
    if isinstance(first, Refuse):
        raise first.error
    assert isinstance(first, Reply)
    return first.result


def _tamper(proof: dict[str, Any], fault: str, key: SigningKey, now: datetime) -> dict[str, Any]:
    """Re-sign ``proof`` with one field changed (or change it after signing)."""
    body = {k: v for k, v in proof.items() if k != "integrity"}
    if fault == "signature_after_edit":
        return {**proof, "time": format_time(now + timedelta(seconds=1))}
    edits = {
        "claim_other_aic": ("aic", "1.2.156.3088.1.1.1.1.1.06QN"),
        "other_audience": ("audience", "ws://elsewhere.example:1"),
        "other_server_challenge": ("serverChallenge", "A" * 42 + "Q"),
        "time_ahead": ("time", format_time(now + timedelta(seconds=121))),
        "time_edge": ("time", format_time(now - timedelta(seconds=120))),
        "time_fraction": ("time", format_time(now).replace("Z", ".5Z")),
        "extra_member": ("note", "x"),
    }
    name, value = edits[fault]
    return sign_object({**body, name: value}, key)


def handshake(data: dict[str, Any]) -> dict[str, Any]:
    """Run one handshake; output who each side proved to be.

    Inputs: seeds (``root_seed_hex``, ``intermediate_seed_hex``, ``node_seed_hex``,
    ``agent_seed_hex``; ``agent_root_seed_hex``/``agent_intermediate_seed_hex`` for an agent of
    another domain), ``node_aic``, ``agent_aic``, ``ca_time``, ``now``, ``audience``,
    ``expected_server_aic``, ``agent_usage``, ``agent_validity_days``, challenges
    (``client_challenge_hex``, ``server_challenge_hex``) and one ``fault`` for the client proof.
    """
    ca_time, now = parse_utc(data["ca_time"]), parse_utc(data["now"])
    ca = _domain(data, "", ca_time)
    agent_ca = _domain(data, "agent_", ca_time) if "agent_root_seed_hex" in data else ca
    node_key, agent_key = _key(data["node_seed_hex"]), _key(data["agent_seed_hex"])
    node = ca.issue(data["node_aic"], node_key.verify_key, Usage.SERVER, ca_time, 10)
    agent = agent_ca.issue(
        data["agent_aic"],
        agent_key.verify_key,
        Usage(data.get("agent_usage", "clientAuth")),
        ca_time,
        11,
        validity_days=data.get("agent_validity_days", 49),
    )
    url = data.get("url", "ws://127.0.0.1:8765")

    def chain(leaf: Any, issuer: DomainCA) -> list[str]:
        return [certificate_pem(c).decode() for c in (leaf, issuer.intermediate_certificate)]

    server = ServerHandshake(
        ServerConfig(
            aic=data["node_aic"],
            key=node_key,
            certificates=chain(node, ca),
            trust_roots=[ca.root_certificate],
            audiences=frozenset({url}),
        ),
        now,
        ReplayCache(timedelta(minutes=10)),
    )
    client = ClientHandshake(
        aic=data["agent_aic"],
        key=agent_key,
        certificates=chain(agent, agent_ca),
        trust_roots=[ca.root_certificate],
        audience=data.get("audience", url),
        expected_server_aic=data.get("expected_server_aic", data["node_aic"]),
    )
    hello = client.hello(bytes.fromhex(data["client_challenge_hex"]))
    challenge = bytes.fromhex(data["server_challenge_hex"])
    result = _answer(server.handle(Input.HELLO, now, params=hello, challenge=challenge))
    params = client.on_hello(result, now)
    fault = data.get("fault")
    if fault:
        params = {**params, "proof": _tamper(params["proof"], fault, agent_key, now)}
    done = _answer(server.handle(Input.AUTHENTICATE, now, params=params))
    session = client.on_authenticated(done)
    assert client.server is not None
    return {"sessionAic": session, "serverAic": client.server.aic, "expiresAt": done["expiresAt"]}


def binding(data: dict[str, Any]) -> dict[str, Any]:
    """Open a signed request's ``params`` as a receiver does; output the message's identity.

    Inputs: ``params`` (the JSON-RPC params, any JSON value) and the session, either
    ``session_aic`` with ``session_seed_hex`` (the seed of the key of the certificate that
    authenticated the session) or ``anonymous: true``.
    """
    if data.get("anonymous") is True:
        caller = ANONYMOUS
    else:
        caller = Caller(data["session_aic"], _key(data["session_seed_hex"]).verify_key)
    message = open_message(data["params"], caller)
    return {"id": message["id"], "senderId": message["senderId"], "sentAt": message["sentAt"]}


def reply(data: dict[str, Any]) -> dict[str, Any]:
    """Check a signed answer as a caller does; output the message's identity.

    Inputs: ``result`` (the JSON-RPC result, any JSON value), ``server_aic`` (the AIC the session
    proved for the server) and ``server_seed_hex`` (the seed of its certificate key).
    """
    server_key = _key(data["server_seed_hex"]).verify_key
    message = check_reply(data["result"], data["server_aic"], server_key)
    out = {"id": message["id"], "senderId": message["senderId"], "sentAt": message["sentAt"]}
    if "replyTo" in message:
        out["replyTo"] = message["replyTo"]
    return out


OPERATIONS = {"session.handshake": handshake, "session.binding": binding, "session.reply": reply}
