"""Discovery federation by forwarding: the pure core (spec Part 8, topic DSC-FWD).

A discovery node that answers ``adp.discover`` calls, in this order::

    fwd = read_forwarding(params, new_request_id=fresh_id)         # 40002 40003 40005 -32602
    check_incoming(params, fwd, own_aic=me, caller_aic=session_aic, keys=pinned)  # 508xx
    if fwd.is_entry:
        fwd = enter(fwd, trusted=configured_peers)                 # the entry fills the list
    targets = plan(fwd, configured_peers, own_aic=me, elapsed_ms=spent)
    if targets:
        out = sign_hop(params, fwd, own_aic=me, key=my_key, elapsed_ms=spent)
        requests = [(peer, branch(out, budget)) for peer, budget in targets]
    ...                                                            # the shell sends and waits
    result = merge(local_result, outcomes, limit=limit)

No clock, no randomness, no I/O: the request id, elapsed time and keys are parameters, and
``keys`` maps a discovery node's AIC to the Ed25519 key the node's federation configuration
pins for it.  Every refusal is a :class:`~aip.errors.DiscoveryError` with a registered code.
Budget arithmetic lives in :mod:`aip.discovery.budget`; redirects and result merging are at
the end of this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from aip.codec import canonicalize
from aip.discovery.budget import remaining_ms, split_budget, time_allows
from aip.errors import AicError, Code, CodecError, DiscoveryError, IntegrityError
from aip.identity.aic import is_valid_aic, parse_aic
from aip.identity.keys import SigningKey, VerifyKey, b64url_encode
from aip.integrity import sign_object, verify_object

__all__ = [
    "DEPTH_DEFAULT", "DEPTH_MAX", "EACH_TIMEOUT_DEFAULT_MS", "FANOUT_DEFAULT", "FANOUT_MAX",
    "FORWARD_MEMBERS", "HOP_TYPE", "MAX_REDIRECTS", "REQUEST_ID_MAX", "ROUTES_MAX",
    "TIMEOUT_MAX_MS", "TOTAL_TIMEOUT_DEFAULT_MS", "TRUSTED_MAX", "Forwarding", "branch",
    "check_incoming", "enter", "hop_payload", "merge", "plan", "read_forwarding",
    "redirect_error", "redirect_target", "request_digest", "sign_hop", "split_budget",
]  # fmt: skip

DEPTH_DEFAULT, DEPTH_MAX = 3, 5  # [DSC-FWD-001]
FANOUT_DEFAULT, FANOUT_MAX = 1, 5  # [DSC-FWD-002]
EACH_TIMEOUT_DEFAULT_MS, TOTAL_TIMEOUT_DEFAULT_MS = 10_000, 60_000  # [DSC-FWD-004]
TIMEOUT_MAX_MS = 3_600_000
_INT_MAX = 2**31 - 1
TRUSTED_MAX = 64  # [DSC-FWD-003]
REQUEST_ID_MAX = 128  # characters [DSC-FWD-004]
MAX_REDIRECTS = 5  # [DSC-FWD-022]
ROUTES_MAX = 16  # [DSC-FWD-020]
HOP_TYPE = "aip.adp.forward-hop"  # [DSC-FWD-012]
FORWARD_MEMBERS = (
    "forwardDepthLimit", "forwardFanoutLimit", "forwardFanoutRemaining", "forwardChain",
    "forwardTrustedServers", "forwardSignatures", "forwardEachTimeoutMs", "forwardTotalTimeoutMs",
)  # fmt: skip
_STATUSES = ("ok", "timeout", "error")


@dataclass(frozen=True, slots=True)
class Forwarding:
    """The forwarding members of one discover request, validated, defaults applied.

    Obtain it from :func:`read_forwarding`; ``chain`` and ``trusted`` hold canonical AICs,
    ``signatures`` the ``integrity`` objects of the hops, one per chain element once checked.
    """

    request_id: str
    depth_limit: int
    fanout_limit: int
    fanout_remaining: int
    chain: tuple[str, ...]
    trusted: tuple[str, ...]
    signatures: tuple[dict[str, Any], ...]
    each_timeout_ms: int
    total_timeout_ms: int

    @property
    def is_entry(self) -> bool:
        """True if no discovery node forwarded this request (the caller is a client)."""
        return not self.chain


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_aic(value: object) -> bool:
    """True for an AIC in canonical form (the text :func:`parse_aic` would give back)."""
    if not isinstance(value, str):
        return False
    try:
        return str(parse_aic(value)) == value
    except AicError:
        return False


def _canonical(aic: str) -> str:
    """The canonical form of one of our own AICs; a bad one is a configuration error."""
    try:
        return str(parse_aic(aic))
    except AicError as exc:
        raise ValueError(f"not an AIC: {aic!r}") from exc


def _aic_list(value: object, name: str, cap: int, *, unique: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > cap or not all(map(_is_aic, value)):
        raise DiscoveryError(
            Code.FORWARD_CHAIN_INVALID,
            f"{name} must be a list of at most {cap} AICs in canonical form",
        )  # [DSC-FWD-003]
    if unique and len(set(value)) != len(value):
        raise DiscoveryError(Code.FORWARD_CHAIN_INVALID, f"{name} repeats an AIC")
    return tuple(value)


# member: (default, smallest, largest, code when out of range or not an integer)
_NUMBERS: dict[str, tuple[int, int, int, Code]] = {
    "forwardDepthLimit": (DEPTH_DEFAULT, 1, DEPTH_MAX, Code.FORWARD_DEPTH_LIMIT_INVALID),
    "forwardFanoutLimit": (FANOUT_DEFAULT, 1, FANOUT_MAX, Code.FORWARD_FANOUT_LIMIT_INVALID),
    "forwardFanoutRemaining": (0, 0, _INT_MAX, Code.INVALID_PARAMS),
    "forwardEachTimeoutMs": (EACH_TIMEOUT_DEFAULT_MS, 1, TIMEOUT_MAX_MS, Code.INVALID_PARAMS),
    "forwardTotalTimeoutMs": (TOTAL_TIMEOUT_DEFAULT_MS, 0, TIMEOUT_MAX_MS, Code.INVALID_PARAMS),
}  # fmt: skip


def _number(request: Mapping[str, Any], name: str, default: int | None = None) -> int:
    """An integer member in its range [DSC-FWD-001] [DSC-FWD-002] [DSC-FWD-004]."""
    fallback, low, high, code = _NUMBERS[name]
    value = request.get(name)
    if value is None:
        return fallback if default is None else default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DiscoveryError(code, f"{name} must be an integer from {low} to {high}")
    return value


def read_forwarding(request: Mapping[str, Any], *, new_request_id: str | None = None) -> Forwarding:
    """Read and validate the forwarding members of a discover request; apply the defaults.

    Call first on every ``adp.discover`` request.  A member that is absent or ``null`` takes
    its default.  ``new_request_id`` is the id an entry node assigns when the client sent none
    [DSC-FWD-004].  Checks, in order: ``forwardDepthLimit`` (40002), ``forwardFanoutLimit``
    (40005), ``forwardChain``, ``forwardTrustedServers`` and ``forwardSignatures`` (40003),
    then ``requestId``, ``forwardFanoutRemaining`` and the two timeouts (-32602).  Raises
    :class:`~aip.errors.DiscoveryError` with the first failing code.
    """
    if not isinstance(request, Mapping):
        raise DiscoveryError(Code.INVALID_PARAMS, "a discover request must be an object")
    depth = _number(request, "forwardDepthLimit")
    fanout = _number(request, "forwardFanoutLimit")
    raw_chain, raw_trusted = request.get("forwardChain"), request.get("forwardTrustedServers")
    chain = () if raw_chain is None else _aic_list(raw_chain, "forwardChain", DEPTH_MAX)
    trusted = () if raw_trusted is None else _aic_list(raw_trusted, "forwardTrustedServers",
                                                       TRUSTED_MAX, unique=True)  # fmt: skip
    raw_sigs = request.get("forwardSignatures")
    raw_sigs = [] if raw_sigs is None else raw_sigs
    if not (isinstance(raw_sigs, list) and len(raw_sigs) <= DEPTH_MAX
            and all(isinstance(s, Mapping) for s in raw_sigs)):  # fmt: skip
        raise DiscoveryError(Code.FORWARD_CHAIN_INVALID, "forwardSignatures: at most 5 objects")
    request_id = request.get("requestId")
    if request_id is None:
        if chain:  # [DSC-FWD-004] a forwarded request keeps the entry's id
            raise DiscoveryError(Code.INVALID_PARAMS, "a forwarded request must carry requestId")
        request_id = new_request_id
    if not isinstance(request_id, str) or not 0 < len(request_id) <= REQUEST_ID_MAX:
        raise DiscoveryError(Code.INVALID_PARAMS, "requestId is text of 1 to 128 characters")
    return Forwarding(
        request_id=request_id,
        depth_limit=depth,
        fanout_limit=fanout,
        fanout_remaining=_number(request, "forwardFanoutRemaining", 0 if chain else fanout),
        chain=chain,
        trusted=trusted,
        signatures=tuple(dict(s) for s in raw_sigs),
        each_timeout_ms=_number(request, "forwardEachTimeoutMs"),
        total_timeout_ms=_number(request, "forwardTotalTimeoutMs"),
    )


def enter(fwd: Forwarding, *, trusted: Sequence[str]) -> Forwarding:
    """At the entry node, set the trusted list from the node's own configuration.

    Call after :func:`check_incoming` when ``fwd.is_entry``.  The result lists the configured
    peers (canonical AICs, in configuration order); a list the client sent can only narrow it
    to the peers it names, never add one [DSC-FWD-005].  A forwarded request is returned
    unchanged: only the entry writes the list.  A malformed configured AIC is ``ValueError``.
    """
    if not fwd.is_entry:
        return fwd
    configured = tuple(dict.fromkeys(_canonical(a) for a in trusted))
    if len(configured) > TRUSTED_MAX:
        raise ValueError(f"at most {TRUSTED_MAX} trusted servers")
    if fwd.trusted:
        wanted = set(fwd.trusted)
        configured = tuple(a for a in configured if a in wanted)
    return replace(fwd, trusted=configured)


def request_digest(request: Mapping[str, Any]) -> str:
    """SHA-256 (base64url) of the RFC 8785 bytes of ``request`` without ``requestId`` and the
    members whose names start with ``forward``.

    This binds every member a hop must not change (type, query, filter, limit, context and
    any other) into each hop signature; ``requestId`` is signed on its own [DSC-FWD-012].  Raises
    :class:`~aip.errors.DiscoveryError` -32602 if the request is not a JSON value.
    """
    body = {k: v for k, v in request.items() if not k.startswith("forward") and k != "requestId"}
    try:
        data = canonicalize(body)
    except CodecError:
        raise DiscoveryError(Code.INVALID_PARAMS, "the request is not a JSON value") from None
    return b64url_encode(hashlib.sha256(data).digest())


def hop_payload(
    request: Mapping[str, Any], fwd: Forwarding, hop: int, digest: str | None = None
) -> dict[str, Any]:
    """The object hop ``hop`` (0-based index into ``fwd.chain``) signs [DSC-FWD-012].

    ``forwardSignatures[hop]`` is the ``integrity`` member of this object signed by the key of
    ``fwd.chain[hop]`` (Part 3).  ``digest`` may pass a precomputed :func:`request_digest`.
    """
    return {
        "type": HOP_TYPE,
        "requestId": fwd.request_id,
        "hop": hop,
        "forwardChain": list(fwd.chain[: hop + 1]),
        "forwardTrustedServers": list(fwd.trusted),
        "forwardDepthLimit": fwd.depth_limit,
        "forwardFanoutLimit": fwd.fanout_limit,
        "forwardEachTimeoutMs": fwd.each_timeout_ms,
        "request": digest if digest is not None else request_digest(request),
    }


def _refuse(code: Code, message: str, **data: Any) -> DiscoveryError:
    return DiscoveryError(code, message, data=data or None)


def check_incoming(
    request: Mapping[str, Any],
    fwd: Forwarding,
    *,
    own_aic: str,
    caller_aic: str | None,
    keys: Callable[[str], VerifyKey | None],
) -> None:
    """Refuse a forwarded request that loops, is too deep, was tampered with or is unsigned.

    Call right after :func:`read_forwarding` (which checked the shapes, 40002/40003/40005),
    with the authenticated AIC of the connection.  Checks, in this order, and raises
    :class:`~aip.errors.DiscoveryError` with the first failure [DSC-FWD-006]:

    1. a non-empty chain ends with ``caller_aic`` (50803) [DSC-FWD-007];
    2. ``own_aic`` is not in the chain and no AIC repeats (50801) [DSC-FWD-008];
    3. ``len(chain) < depth_limit`` (50802) [DSC-FWD-009];
    4. one signature per chain element; every element after the first, and ``own_aic`` when
       the chain is non-empty, is in the trusted list (50803) [DSC-FWD-010];
    5. ``fanout_remaining <= fanout_limit - len(chain)`` (50804) [DSC-FWD-011];
    6. every hop signature verifies over its exact input with the key ``keys`` pins for that
       hop (50805) [DSC-FWD-013].

    An entry request (empty chain, no signatures) passes every step.
    """
    own = _canonical(own_aic)
    chain, trusted = fwd.chain, set(fwd.trusted)
    caller = (
        caller_aic if caller_aic is None or not is_valid_aic(caller_aic) else _canonical(caller_aic)
    )
    if chain and (caller is None or chain[-1] != caller):  # [DSC-FWD-007]
        raise _refuse(Code.FORWARD_CHAIN_TAMPERED, "forwardChain does not end with the caller")
    if own in chain or len(set(chain)) != len(chain):  # [DSC-FWD-008]
        raise _refuse(Code.FORWARD_LOOP_DETECTED, "this node or another is already in the chain")
    if len(chain) >= fwd.depth_limit:  # [DSC-FWD-009]
        raise _refuse(
            Code.FORWARD_DEPTH_EXCEEDED,
            "the forward depth limit is reached",
            depth=len(chain),
            forwardDepthLimit=fwd.depth_limit,
        )
    if len(fwd.signatures) != len(chain):  # [DSC-FWD-010]
        raise _refuse(Code.FORWARD_CHAIN_TAMPERED, "one signature per chain element is required")
    if chain and (own not in trusted or any(a not in trusted for a in chain[1:])):
        raise _refuse(Code.FORWARD_CHAIN_TAMPERED, "a hop is outside forwardTrustedServers")
    allowed = fwd.fanout_limit - len(chain)
    if fwd.fanout_remaining > allowed:  # [DSC-FWD-011]
        raise _refuse(
            Code.FORWARD_FANOUT_EXCEEDED,
            "forwardFanoutRemaining exceeds the budget",
            availableBudget=max(allowed, 0),
            requiredBranches=fwd.fanout_remaining,
        )
    if not chain:
        return
    digest = request_digest(request)
    for hop, aic in enumerate(chain):  # [DSC-FWD-013]
        key = keys(aic)
        if key is None:
            raise _refuse(Code.FORWARD_SIGNATURE_INVALID, "no pinned key for a hop", hop=hop)
        signed = {**hop_payload(request, fwd, hop, digest), "integrity": fwd.signatures[hop]}
        try:
            verify_object(signed, key)
        except IntegrityError:
            raise _refuse(
                Code.FORWARD_SIGNATURE_INVALID, "a hop signature does not verify", hop=hop
            ) from None


def sign_hop(
    request: Mapping[str, Any],
    fwd: Forwarding,
    *,
    own_aic: str,
    key: SigningKey,
    elapsed_ms: int = 0,
    now_ms_left: int | None = None,
) -> dict[str, Any]:
    """The request to send on to the next hops, with this node's hop appended and signed.

    Call after :func:`plan` returned targets.  Members other than ``forward*`` are copied
    unchanged; the forwarding members are rewritten from ``fwd`` (defaults made explicit),
    ``own_aic`` is appended to ``forwardChain`` and the signature of :func:`hop_payload` to
    ``forwardSignatures`` [DSC-FWD-014].  ``forwardTotalTimeoutMs`` is the received total less
    ``elapsed_ms`` (the time this node has spent on the request), never below 0, and no more
    than ``now_ms_left`` if given [DSC-FWD-017].  ``forwardFanoutRemaining`` is 0 here: give
    each branch its share with :func:`branch`.  Raises 50801 if ``own_aic`` is already in the
    chain.
    """
    own = _canonical(own_aic)
    if own in fwd.chain:
        raise _refuse(Code.FORWARD_LOOP_DETECTED, "this node is already in the chain")
    ext = replace(fwd, chain=(*fwd.chain, own))
    total = remaining_ms(fwd.total_timeout_ms, elapsed_ms)
    if now_ms_left is not None:
        total = min(total, max(0, now_ms_left))
    out = {k: v for k, v in request.items() if k not in FORWARD_MEMBERS}
    out["requestId"] = fwd.request_id
    integrity = sign_object(hop_payload(out, ext, len(fwd.chain)), key)["integrity"]
    out.update(
        {
            "forwardDepthLimit": fwd.depth_limit,
            "forwardFanoutLimit": fwd.fanout_limit,
            "forwardFanoutRemaining": 0,
            "forwardChain": list(ext.chain),
            "forwardTrustedServers": list(fwd.trusted),
            "forwardSignatures": [*(dict(s) for s in fwd.signatures), integrity],
            "forwardEachTimeoutMs": fwd.each_timeout_ms,
            "forwardTotalTimeoutMs": total,
        }
    )
    return out


def branch(forwarded: Mapping[str, Any], remaining: int) -> dict[str, Any]:
    """A copy of a :func:`sign_hop` request carrying one branch's fan-out budget."""
    return {**forwarded, "forwardFanoutRemaining": remaining}


def plan(
    fwd: Forwarding, candidates: Sequence[str], *, own_aic: str, elapsed_ms: int
) -> list[tuple[str, int]]:
    """Which peers to forward to and the ``forwardFanoutRemaining`` each one gets.

    ``candidates`` are this node's configured peers in preference order.  A peer qualifies if
    it is in ``fwd.trusted``, not in the chain and not this node [DSC-FWD-016]; the first
    ``min(qualifying, fanout_limit, fanout_remaining)`` are taken and the budget is split by
    :func:`split_budget`.  Nothing is planned when the next hop would reach the depth limit
    (``len(chain) + 1 >= depth_limit``) [DSC-FWD-016] or when less than ``each_timeout_ms``
    of the total is left after ``elapsed_ms`` [DSC-FWD-017].  Never raises for a valid ``fwd``.
    """
    own = _canonical(own_aic)
    if len(fwd.chain) + 1 >= fwd.depth_limit:
        return []
    if not time_allows(fwd.total_timeout_ms, fwd.each_timeout_ms, elapsed_ms):
        return []
    trusted, seen = set(fwd.trusted), {*fwd.chain, own}
    eligible: list[str] = []
    for peer in candidates:
        if peer in trusted and peer not in seen:
            eligible.append(peer)
            seen.add(peer)
    count = min(len(eligible), fwd.fanout_limit, fwd.fanout_remaining)
    if count == 0:
        return []
    return list(zip(eligible[:count], split_budget(fwd.fanout_remaining, count), strict=True))


# ---------------------------------------------------------------- redirects


def redirect_error(
    code: Code, location: str, *, aic: str, reason: str | None = None
) -> DiscoveryError:
    """The error a node answers when it sends the client elsewhere [DSC-FWD-021].

    ``code`` is CAPACITY_REDIRECT (30701) or REGION_REDIRECT (30702); ``location`` a ``ws://``
    or ``wss://`` URL and ``aic`` the AIC of the node there.  ``ValueError`` otherwise.
    """
    if code not in (Code.CAPACITY_REDIRECT, Code.REGION_REDIRECT):
        raise ValueError("a redirect is 30701 or 30702")
    data: dict[str, Any] = {"location": location, "aic": aic}
    if reason is not None:
        data["reason"] = reason
    if not _usable_location(data):
        raise ValueError("a redirect names a ws(s) URL and the AIC of the node there")
    return DiscoveryError(code, "redirected", data=data)


def _usable_location(data: object) -> bool:
    if not isinstance(data, Mapping):
        return False
    location, aic = data.get("location"), data.get("aic")
    if not isinstance(location, str) or not 0 < len(location) <= 2048 or not _is_aic(aic):
        return False
    if any(c.isspace() or not c.isprintable() for c in location):
        return False
    try:
        parts = urlsplit(location)
        _ = parts.port
    except ValueError:
        return False
    return (
        parts.scheme in ("ws", "wss")
        and bool(parts.hostname)
        and not parts.fragment
        and parts.username is None
        and parts.password is None
    )


def redirect_target(error: Mapping[str, Any], *, redirects: int) -> tuple[str, str] | None:
    """For a client: where to resend a discover request after an error reply [DSC-FWD-022].

    ``error`` is the JSON-RPC error object received; ``redirects`` counts the redirects
    already followed in a row for this request.  Returns ``None`` when the error is not a
    redirect, else ``(location, aic)``.  Raises :class:`~aip.errors.DiscoveryError` 30703 when
    ``redirects`` already reached :data:`MAX_REDIRECTS`, and the redirect's own code (30701 or
    30702) when its ``data`` names no usable ws(s) URL and AIC.
    """
    code = error.get("code")
    if not _is_int(code) or code not in (Code.CAPACITY_REDIRECT, Code.REGION_REDIRECT):
        return None
    if redirects >= MAX_REDIRECTS:
        raise _refuse(
            Code.MAX_REDIRECTS_EXCEEDED, "too many redirects in a row", redirects=redirects
        )
    data = error.get("data")
    if not _usable_location(data):
        raise _refuse(Code(code), "the redirect names no usable ws(s) URL and AIC")
    assert isinstance(data, Mapping)
    return str(data["location"]), str(data["aic"])


# ---------------------------------------------------------------- merging results


def _entries(group: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The well-formed agentSkills of one group; anything else a peer sent is dropped."""
    out = []
    skills = group.get("agentSkills")
    for e in skills if isinstance(skills, list) else ():
        if not (
            isinstance(e, Mapping)
            and isinstance(e.get("aic"), str)
            and isinstance(e.get("skillId"), str)
            and _is_int(e.get("ranking"))
            and e["ranking"] >= 1
        ):
            continue
        entry = {"aic": e["aic"], "skillId": e["skillId"], "ranking": e["ranking"]}
        if isinstance(e.get("memo"), str):
            entry["memo"] = e["memo"]
        out.append(entry)
    return out


def _groups(result: object) -> list[tuple[str, list[dict[str, Any]]]]:
    agents = result.get("agents") if isinstance(result, Mapping) else None
    return [
        (g["group"], _entries(g))
        for g in (agents if isinstance(agents, list) else ())
        if isinstance(g, Mapping) and isinstance(g.get("group"), str)
    ]


def _capped(groups: list[tuple[str, list[dict[str, Any]]]], cap: int) -> list[dict[str, Any]]:
    out, left = [], cap
    for label, entries in groups:
        out.append({"group": label, "agentSkills": entries[: max(left, 0)]})
        left -= len(entries)
    return out


def _route(
    chain: object, groups: list[dict[str, Any]], status: object, duration: object, metadata: object
) -> dict[str, Any] | None:
    if not (isinstance(chain, list | tuple) and all(isinstance(a, str) for a in chain)):
        return None
    route: dict[str, Any] = {
        "forwardChain": list(chain),
        "agentGroups": groups,
        "status": status if status in _STATUSES else "error",
    }
    if _is_int(duration) and duration >= 0:  # type: ignore[operator]
        route["durationMs"] = duration
    if isinstance(metadata, Mapping):
        route["metadata"] = dict(metadata)
    return route


def _outcome(b: Mapping[str, Any]) -> tuple[object, Mapping[str, Any] | None, object]:
    """(status, result or None, metadata) of one branch.  A branch that answered with an error
    object, a redirect included, is an ``error`` route carrying the code and gives no result
    [DSC-FWD-023] [DSC-FWD-024]."""
    error, result, metadata = b.get("error"), b.get("result"), b.get("metadata")
    if isinstance(error, Mapping):
        extra = dict(metadata) if isinstance(metadata, Mapping) else {}
        return "error", None, {**extra, "code": error.get("code")}
    ok = b.get("status") == "ok" and isinstance(result, Mapping)
    return b.get("status"), result if ok else None, metadata


def _routes(
    local: Mapping[str, Any], branches: Sequence[Mapping[str, Any]], limit: int
) -> list[dict[str, Any]]:
    """Local routes as given, then per branch our own route and its deeper ones [DSC-FWD-020]."""
    routes: list[dict[str, Any]] = [
        dict(r) for r in local.get("routes") or () if isinstance(r, Mapping)
    ]
    for b in branches:
        status, result, metadata = _outcome(b)
        groups = _capped(_groups(result), limit) if result is not None else []
        mine = _route(b.get("forwardChain"), groups, status, b.get("durationMs"), metadata)
        if mine is None:
            raise ValueError("a branch needs forwardChain, a list of AICs")
        routes.append(mine)
        prefix = mine["forwardChain"]
        for r in (result.get("routes") or ()) if result is not None else ():
            if not isinstance(r, Mapping):
                continue
            inner = _route(
                r.get("forwardChain"),
                _capped(_groups({"agents": r.get("agentGroups")}), limit),
                r.get("status"),
                r.get("durationMs"),
                r.get("metadata"),
            )
            if inner and inner["forwardChain"][: len(prefix)] == prefix != inner["forwardChain"]:
                routes.append(inner)
    return routes[:ROUTES_MAX]


def merge(
    local: Mapping[str, Any], branches: Sequence[Mapping[str, Any]], *, limit: int
) -> dict[str, Any]:
    """Merge this node's result with the results of its branches [DSC-FWD-018..020].

    ``local`` is a discovery result ``{acsMap, agents, routes?}``; each branch is
    ``{forwardChain, status: ok|timeout|error, durationMs?, metadata?, result?, error?}`` where
    ``forwardChain`` is the route to the peer (this node's chain, this node, the peer),
    ``result`` the peer's discovery result when ``status`` is ``ok``, and ``error`` the
    JSON-RPC error object the peer answered, if it did (its route gets status ``error`` and
    ``metadata.code``; a redirect is never followed) [DSC-FWD-023].  Sources are taken in
    order: local first, then the branches as given.  Within a group an (aic, skillId) keeps its
    best ranking (the earlier source on a tie); entries whose AIC no source describes in
    ``acsMap`` are dropped; each group is ordered by (ranking, source, position) and re-ranked
    1..n; ``limit`` caps the total across groups, taking rank 1 of every group before any
    rank 2.  ``acsMap`` is restricted to the AICs kept.  Malformed entries from peers are
    dropped.  Returns ``{acsMap, agents, routes}`` with at least one group (``""`` if none).
    ``ValueError`` on a negative ``limit`` or a branch without ``forwardChain``.
    """
    if not _is_int(limit) or limit < 0:
        raise ValueError("limit must be a non-negative integer")
    results = [_outcome(b)[1] for b in branches]
    sources = [local, *(r for r in results if r is not None)]
    acs: dict[str, Any] = {}
    for src in sources:
        docs = src.get("acsMap")
        for aic, doc in docs.items() if isinstance(docs, Mapping) else ():
            if isinstance(aic, str) and isinstance(doc, Mapping):
                acs.setdefault(aic, doc)
    order: list[str] = []  # group labels, first appearance first
    local_labels = {label for label, _ in _groups(local)}
    best: dict[str, dict[tuple[str, str], tuple[int, int, int, dict[str, Any]]]] = {}
    for s, src in enumerate(sources):
        position = 0
        for label, entries in _groups(src):
            if label not in best:
                order.append(label)
                best[label] = {}
            for entry in entries:
                position += 1
                if entry["aic"] not in acs:  # [DSC-FWD-019]
                    continue
                key, rank = (entry["aic"], entry["skillId"]), (entry["ranking"], s, position)
                held = best[label].get(key)
                if held is None or rank < held[:3]:  # [DSC-FWD-018]
                    best[label][key] = (*rank, entry)
    ranked = {
        label: [v[3] for v in sorted(best[label].values(), key=lambda v: v[:3])] for label in order
    }
    kept: dict[str, list[dict[str, Any]]] = {label: [] for label in order}
    taken, depth = 0, 0
    while taken < limit and any(depth < len(ranked[g]) for g in order):
        for label in order:
            if taken < limit and depth < len(ranked[label]):
                kept[label].append({**ranked[label][depth], "ranking": depth + 1})
                taken += 1
        depth += 1
    agents: list[dict[str, Any]] = [
        {"group": label, "agentSkills": kept[label]}
        for label in order
        if kept[label] or label in local_labels
    ]
    if not agents:
        agents = [{"group": "", "agentSkills": []}]
    aics = {e["aic"] for g in agents for e in g["agentSkills"]}
    return {
        "acsMap": {a: dict(d) for a, d in acs.items() if a in aics},
        "agents": agents,
        "routes": _routes(local, branches, limit),
    }
