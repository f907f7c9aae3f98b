"""Discovery forwarding (aip.discovery.forwarding, aip.discovery.budget; spec DSC-FWD).

Every refusal by its code; a three-hop chain A -> B -> C -> D built the way nodes build it and
checked at each hop, with its signatures re-verified by ``cryptography`` over ``rfc8785`` bytes;
budget splits and merges by property; and our vector file run through the conformance
operations (plus a check that its generator reproduces it byte for byte).
"""

from __future__ import annotations

import base64
import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from aip.discovery import budget
from aip.discovery import forwarding as fw
from aip.errors import AipError, Code
from aip.identity.keys import SigningKey
from conformance.requirements import load_requirements
from conformance.runner import load_operations, run_case
from conformance.vectors import load_file
from tests.helpers import code_of

REPO = Path(__file__).resolve().parent.parent
A, B, C, D = (f"1.2.156.3088.1.{r}.1.1.1.0000" for r in "ABCD")
SEEDS = {
    A: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",  # RFC 8032 TEST 1
    B: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",  # TEST 2
    C: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",  # TEST 3
    D: bytes(range(32)).hex(),
}
KEYS = {aic: SigningKey(bytes.fromhex(seed)) for aic, seed in SEEDS.items()}
PINNED = {aic: key.verify_key for aic, key in KEYS.items()}
QUERY = {
    "type": "explicit",
    "query": "recommend a Beijing restaurant",
    "limit": 5,
    "filter": {"conditions": [{"field": "provider.countryCode", "op": "in", "value": ["CN"]}]},
    "context": {"conversationId": "conv-1"},
}


def hop(
    request: dict[str, Any],
    me: str,
    caller: str | None,
    *,
    trusted: list[str] | None = None,
    peers: tuple[str, ...] = (A, B, C, D),
) -> tuple[fw.Forwarding, list[tuple[str, int]]]:
    """What node ``me`` does with ``request``: read, check, enter, plan (no time spent)."""
    fwd = fw.read_forwarding(request, new_request_id="req-1")
    fw.check_incoming(request, fwd, own_aic=me, caller_aic=caller, keys=PINNED.get)
    if fwd.is_entry:
        fwd = fw.enter(fwd, trusted=trusted or [])
    return fwd, fw.plan(fwd, peers, own_aic=me, elapsed_ms=0)


def send(request: dict[str, Any], fwd: fw.Forwarding, me: str, remaining: int) -> dict[str, Any]:
    out = fw.sign_hop(request, fwd, own_aic=me, key=KEYS[me])
    return fw.branch(out, remaining)


def chain_to(n: int, **client: Any) -> dict[str, Any]:
    """The request hop n (1 = B, 2 = C, 3 = D) receives on the path A -> B -> C -> D."""
    request = {**QUERY, "forwardDepthLimit": 4, "forwardFanoutLimit": 3, **client}
    fwd, _ = hop(request, A, None, trusted=[B, C, D])
    request = send(request, fwd, A, fwd.fanout_limit - 1)  # each hop spends one unit
    for me, prev in ((B, A), (C, B))[: n - 1]:
        fwd, _ = hop(request, me, prev)
        request = send(request, fwd, me, max(fwd.fanout_remaining - 1, 0))
    return request


def check(request: dict[str, Any], me: str, caller: str | None, keys: Any = None) -> Code:
    fwd = fw.read_forwarding(request)
    return code_of(
        fw.check_incoming,
        request,
        fwd,
        own_aic=me,
        caller_aic=caller,
        keys=(keys or PINNED).get,
    )


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# ---------------------------------------------------------------- reading the members


def test_defaults() -> None:
    fwd = fw.read_forwarding({"query": "x"}, new_request_id="req-9")
    assert fwd == fw.Forwarding("req-9", 3, 1, 1, (), (), (), 10000, 60000)
    assert fwd.is_entry


@pytest.mark.parametrize(
    ("member", "value", "code"),
    [
        ("forwardDepthLimit", 0, Code.FORWARD_DEPTH_LIMIT_INVALID),
        ("forwardDepthLimit", 6, Code.FORWARD_DEPTH_LIMIT_INVALID),
        ("forwardDepthLimit", True, Code.FORWARD_DEPTH_LIMIT_INVALID),
        ("forwardDepthLimit", 2.0, Code.FORWARD_DEPTH_LIMIT_INVALID),
        ("forwardFanoutLimit", 0, Code.FORWARD_FANOUT_LIMIT_INVALID),
        ("forwardFanoutLimit", 6, Code.FORWARD_FANOUT_LIMIT_INVALID),
        ("forwardChain", [A, "AIC-DS-B"], Code.FORWARD_CHAIN_INVALID),
        ("forwardChain", [A.lower()], Code.FORWARD_CHAIN_INVALID),
        ("forwardChain", [A, B, C, D, A, B], Code.FORWARD_CHAIN_INVALID),
        ("forwardChain", {"0": A}, Code.FORWARD_CHAIN_INVALID),
        ("forwardTrustedServers", [B, B], Code.FORWARD_CHAIN_INVALID),
        ("forwardTrustedServers", [B, 1], Code.FORWARD_CHAIN_INVALID),
        ("forwardSignatures", ["c2ln"], Code.FORWARD_CHAIN_INVALID),
        ("forwardSignatures", {}, Code.FORWARD_CHAIN_INVALID),
        ("requestId", "", Code.INVALID_PARAMS),
        ("requestId", 7, Code.INVALID_PARAMS),
        ("forwardFanoutRemaining", -1, Code.INVALID_PARAMS),
        ("forwardEachTimeoutMs", 0, Code.INVALID_PARAMS),
        ("forwardTotalTimeoutMs", -1, Code.INVALID_PARAMS),
    ],
)
def test_read_refuses(member: str, value: Any, code: Code) -> None:
    request = {**QUERY, "requestId": "r", member: value}
    assert code_of(fw.read_forwarding, request) == code


def test_read_order_and_request_id() -> None:
    both = {"forwardDepthLimit": 0, "forwardFanoutLimit": 0, "forwardChain": 1}
    assert code_of(fw.read_forwarding, both, new_request_id="r") == Code.FORWARD_DEPTH_LIMIT_INVALID
    forwarded = chain_to(1)
    del forwarded["requestId"]
    assert code_of(fw.read_forwarding, forwarded, new_request_id="r") == Code.INVALID_PARAMS
    assert code_of(fw.read_forwarding, {"query": "x"}) == Code.INVALID_PARAMS
    assert code_of(fw.read_forwarding, [1]) == Code.INVALID_PARAMS
    assert fw.read_forwarding({"requestId": "mine"}, new_request_id="r").request_id == "mine"


def test_entry_trusted_list_comes_from_configuration() -> None:
    fwd = fw.read_forwarding({"forwardTrustedServers": [D, C]}, new_request_id="r")
    assert fw.enter(fwd, trusted=[B, C]).trusted == (C,)  # narrowed, never widened
    fwd = fw.read_forwarding({}, new_request_id="r")
    assert fw.enter(fwd, trusted=[C, B, C]).trusted == (C, B)
    forwarded = fw.read_forwarding(chain_to(1))
    assert fw.enter(forwarded, trusted=[D]) == forwarded
    with pytest.raises(ValueError, match="AIC"):
        fw.enter(fwd, trusted=["not-an-aic"])


# ---------------------------------------------------------------- a valid chain


def test_three_hop_chain_verifies_at_every_hop() -> None:
    at_d = chain_to(3)
    assert at_d["forwardChain"] == [A, B, C]
    fwd, targets = hop(at_d, D, C)
    assert targets == []  # the budget is spent, and depth 4 is reached by the next hop
    assert fwd.fanout_remaining == 0
    for index, signer in enumerate([A, B, C]):  # independent check of each signature
        payload = fw.hop_payload(at_d, fwd, index)
        sig = at_d["forwardSignatures"][index]
        assert sig["kid"] == PINNED[signer].key_id()
        Ed25519PublicKey.from_public_bytes(PINNED[signer].raw).verify(
            b64d(sig["sig"]), rfc8785.dumps(payload)
        )
    body: Any = dict(QUERY)
    assert (
        payload["request"]
        == base64.urlsafe_b64encode(hashlib.sha256(rfc8785.dumps(body)).digest())
        .rstrip(b"=")
        .decode()
    )


def test_signed_request_keeps_the_query_and_updates_the_budgets() -> None:
    request = {**QUERY, "forwardFanoutLimit": 2, "forwardTotalTimeoutMs": 5000}
    fwd = fw.enter(fw.read_forwarding(request, new_request_id="req-1"), trusted=[B])
    out = fw.sign_hop(request, fwd, own_aic=A, key=KEYS[A], elapsed_ms=1200)
    assert {k: out[k] for k in QUERY} == QUERY
    assert out["requestId"] == "req-1"
    assert out["forwardTotalTimeoutMs"] == 3800
    assert out["forwardFanoutRemaining"] == 0
    assert (out["forwardDepthLimit"], out["forwardEachTimeoutMs"]) == (3, 10000)
    assert fw.branch(out, 1)["forwardFanoutRemaining"] == 1
    late = fw.sign_hop(request, fwd, own_aic=A, key=KEYS[A], elapsed_ms=9000)
    assert late["forwardTotalTimeoutMs"] == 0
    capped = fw.sign_hop(request, fwd, own_aic=A, key=KEYS[A], now_ms_left=700)
    assert capped["forwardTotalTimeoutMs"] == 700
    at_c = chain_to(2)
    assert code_of(fw.sign_hop, at_c, fw.read_forwarding(at_c), own_aic=A, key=KEYS[A]) == (
        Code.FORWARD_LOOP_DETECTED
    )


def test_unsigned_members_may_change() -> None:
    at_c = chain_to(2)
    fw.check_incoming(
        {**at_c, "forwardTotalTimeoutMs": 10, "forwardFanoutRemaining": 0},
        fw.read_forwarding(at_c),
        own_aic=C,
        caller_aic=B,
        keys=PINNED.get,
    )


# ---------------------------------------------------------------- every refusal


def test_chain_must_end_with_the_caller() -> None:
    at_c = chain_to(2)
    assert check(at_c, C, D) == Code.FORWARD_CHAIN_TAMPERED
    assert check(at_c, C, None) == Code.FORWARD_CHAIN_TAMPERED
    assert check({**at_c, "forwardChain": [B, A]}, C, B) == Code.FORWARD_CHAIN_TAMPERED


def test_loop() -> None:
    assert check(chain_to(2), A, B) == Code.FORWARD_LOOP_DETECTED
    assert check({**chain_to(2), "forwardChain": [B, B]}, C, B) == Code.FORWARD_LOOP_DETECTED


def test_depth() -> None:
    at_c = chain_to(2, forwardDepthLimit=2)
    assert check(at_c, C, B) == Code.FORWARD_DEPTH_EXCEEDED
    assert check({**at_c, "forwardSignatures": []}, C, B) == Code.FORWARD_DEPTH_EXCEEDED


def test_signature_count_and_trust() -> None:
    at_c = chain_to(2)
    sigs = at_c["forwardSignatures"]
    assert check({**at_c, "forwardSignatures": sigs[:1]}, C, B) == Code.FORWARD_CHAIN_TAMPERED
    assert check({**at_c, "forwardSignatures": [*sigs, sigs[0]]}, C, B) == (
        Code.FORWARD_CHAIN_TAMPERED
    )
    assert check({**at_c, "forwardTrustedServers": [B, D]}, C, B) == Code.FORWARD_CHAIN_TAMPERED
    entry = {"requestId": "r", "forwardSignatures": sigs[:1]}
    assert check(entry, A, None) == Code.FORWARD_CHAIN_TAMPERED


def test_signer_outside_the_trusted_list() -> None:
    request = {**QUERY, "forwardFanoutLimit": 2}
    fwd = fw.enter(fw.read_forwarding(request, new_request_id="r"), trusted=[C])
    assert fw.plan(fwd, [B], own_aic=A, elapsed_ms=0) == []  # A would never choose B
    to_b = send(request, fwd, A, 1)  # ... but signs for it anyway
    at_c = send(to_b, fw.read_forwarding(to_b), B, 0)
    assert check(at_c, C, B) == Code.FORWARD_CHAIN_TAMPERED


def test_budget_raised_by_a_middle_hop() -> None:
    at_c = chain_to(2, forwardFanoutLimit=2)
    with pytest.raises(AipError) as info:
        fw.check_incoming(
            {**at_c, "forwardFanoutRemaining": 1},
            fw.read_forwarding({**at_c, "forwardFanoutRemaining": 1}),
            own_aic=C,
            caller_aic=B,
            keys=PINNED.get,
        )
    assert info.value.code == Code.FORWARD_FANOUT_EXCEEDED
    assert info.value.data == {"availableBudget": 0, "requiredBranches": 1}


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("query", "recommend a Shanghai restaurant"),
        ("limit", 6),
        ("type", "exploratory"),
        ("filter", {"conditions": []}),
        ("context", None),
        ("requestId", "req-2"),
        ("forwardTrustedServers", [B, C, D, A]),
        ("forwardDepthLimit", 5),
        ("forwardFanoutLimit", 4),
        ("forwardEachTimeoutMs", 9999),
        ("forwardChain", [D, B]),
    ],
)
def test_signed_members_cannot_change(member: str, value: Any) -> None:
    at_c = chain_to(2)
    assert check({**at_c, member: value}, C, B) == Code.FORWARD_SIGNATURE_INVALID


def test_signature_faults() -> None:
    at_c = chain_to(2)
    first, second = at_c["forwardSignatures"]
    assert check(at_c, C, B, keys={B: PINNED[B]}) == Code.FORWARD_SIGNATURE_INVALID  # no key
    wrong = {**PINNED, B: PINNED[D]}
    assert check(at_c, C, B, keys=wrong) == Code.FORWARD_SIGNATURE_INVALID
    flipped = bytearray(b64d(second["sig"]))
    flipped[0] ^= 1
    bad_sig = base64.urlsafe_b64encode(bytes(flipped)).rstrip(b"=").decode()
    for bad in (
        [second, first],
        [first, {**second, "sig": bad_sig}],
        [first, {**second, "kid": first["kid"]}],
        [first, {**second, "alg": "ES256"}],
        [first, {**second, "extra": 1}],
    ):
        assert check({**at_c, "forwardSignatures": bad}, C, B) == Code.FORWARD_SIGNATURE_INVALID


# ---------------------------------------------------------------- budgets and plans


def test_split_examples_and_refusal() -> None:
    assert fw.split_budget(4, 3) == [0, 0, 1]
    assert fw.split_budget(4, 3, [2, 1, 1]) == [1, 0, 0]
    assert fw.split_budget(0, 0) == []
    with pytest.raises(AipError) as info:
        fw.split_budget(2, 3)
    assert info.value.code == Code.FORWARD_FANOUT_EXCEEDED
    assert info.value.data == {"availableBudget": 2, "requiredBranches": 3}
    for bad in ([1], [-1, 2, 1], [True, 1, 1]):
        with pytest.raises(ValueError, match="weight"):
            fw.split_budget(4, 3, bad)
    with pytest.raises(ValueError, match="branches"):
        fw.split_budget(4, -1)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(-3, 60),
    st.integers(0, 8),
    st.one_of(st.none(), st.lists(st.integers(0, 9), min_size=8, max_size=8)),
)
def test_split_properties(remaining: int, branches: int, weights: list[int] | None) -> None:
    used = None if weights is None else weights[:branches]
    if remaining < branches:
        assert code_of(fw.split_budget, remaining, branches, used) == Code.FORWARD_FANOUT_EXCEEDED
        return
    children = fw.split_budget(remaining, branches, used)
    if branches == 0:
        assert children == []
        return
    assert len(children) == branches
    assert all(c >= 0 for c in children)
    assert sum(children) + branches == remaining
    assert children == fw.split_budget(remaining, branches, used)
    if used is not None and any(used):
        assert all(c == 0 for c, w in zip(children, used, strict=True) if w == 0)
    assert fw.split_budget(remaining, branches, [3] * branches) == fw.split_budget(
        remaining, branches
    )
    assert max(children) - min(children) <= 1 or used is not None


def test_plan() -> None:
    request = {**QUERY, "forwardFanoutLimit": 5}
    fwd = fw.enter(fw.read_forwarding(request, new_request_id="r"), trusted=[B, C])
    assert fw.plan(fwd, [D, C, B, C], own_aic=A, elapsed_ms=0) == [(C, 1), (B, 2)]
    assert fw.plan(fwd, [A], own_aic=A, elapsed_ms=0) == []
    assert fw.plan(fwd, [B], own_aic=A, elapsed_ms=50_000) == [(B, 4)]
    assert fw.plan(fwd, [B], own_aic=A, elapsed_ms=50_001) == []
    shallow = fw.read_forwarding({"forwardDepthLimit": 1}, new_request_id="r")
    assert fw.plan(fw.enter(shallow, trusted=[B]), [B], own_aic=A, elapsed_ms=0) == []
    narrow = fw.enter(fw.read_forwarding({}, new_request_id="r"), trusted=[B, C])
    assert fw.plan(narrow, [B, C], own_aic=A, elapsed_ms=0) == [(B, 0)]  # default fan-out 1


def test_time_budget_helpers() -> None:
    assert budget.remaining_ms(60_000, 1_500) == 58_500
    assert budget.remaining_ms(1_000, 5_000) == 0
    assert budget.time_allows(20_000, 10_000, 10_000)
    assert not budget.time_allows(20_000, 10_000, 10_001)
    assert budget.branch_timeout_ms(60_000, 10_000, 55_000) == 5_000
    assert budget.branch_timeout_ms(60_000, 10_000, 0) == 10_000


# ---------------------------------------------------------------- three nodes end to end


def test_federated_round_trip() -> None:
    """A (fan-out 3, peers B and C) forwards to B with budget 0 and to C with budget 1; C
    forwards on to D; answers merge back up, with the route through C to D."""
    request = {**QUERY, "forwardFanoutLimit": 3}
    PEERS = {A: (B, C), B: (D,), C: (D, A), D: (A,)}
    answers = {
        n: {
            "acsMap": {f"agent-{n}": {"name": n}},
            "agents": [
                {"group": "g", "agentSkills": [{"aic": f"agent-{n}", "skillId": "s", "ranking": 1}]}
            ],
        }
        for n in "ABCD"
    }

    def serve(me: str, req: dict[str, Any], caller: str | None) -> dict[str, Any]:
        fwd, targets = hop(req, me, caller, trusted=[B, C, D], peers=PEERS[me])
        local = answers["ABCD"[[A, B, C, D].index(me)]]
        if not targets:
            return fw.merge(local, [], limit=10)
        out = fw.sign_hop(req, fwd, own_aic=me, key=KEYS[me])
        outcomes = [
            {"forwardChain": [*fwd.chain, me, peer], "status": "ok", "durationMs": 1,
             "result": serve(peer, fw.branch(out, budget_left), me)}
            for peer, budget_left in targets
        ]  # fmt: skip
        return fw.merge(local, outcomes, limit=10)

    result = serve(A, request, None)
    kept = [e["aic"] for e in result["agents"][0]["agentSkills"]]
    assert sorted(kept) == ["agent-A", "agent-B", "agent-C", "agent-D"]
    assert set(result["acsMap"]) == set(kept)
    chains = [r["forwardChain"] for r in result["routes"]]
    assert chains == [[A, B], [A, C], [A, C, D]]
    assert [r["status"] for r in result["routes"]] == ["ok", "ok", "ok"]


# ---------------------------------------------------------------- merging


def test_merge_dedupes_and_keeps_the_best() -> None:
    local = {
        "acsMap": {"x": {"n": "local"}},
        "agents": [{"group": "g", "agentSkills": [{"aic": "x", "skillId": "s", "ranking": 3}]}],
    }
    remote = {
        "acsMap": {"x": {"n": "remote"}, "y": {"n": "y"}},
        "agents": [
            {
                "group": "g",
                "agentSkills": [
                    {"aic": "x", "skillId": "s", "ranking": 1, "memo": "better"},
                    {"aic": "y", "skillId": "s", "ranking": 2},
                    {"aic": "z", "skillId": "s", "ranking": 1},  # no ACS: dropped
                    {"aic": "y", "skillId": "t", "ranking": "1"},  # malformed: dropped
                ],
            },
            {"group": "empty", "agentSkills": []},
        ],
    }
    branch = {"forwardChain": [A, B], "status": "ok", "result": remote}
    out = fw.merge(local, [branch], limit=10)
    assert out["agents"] == [
        {
            "group": "g",
            "agentSkills": [
                {"aic": "x", "skillId": "s", "ranking": 1, "memo": "better"},
                {"aic": "y", "skillId": "s", "ranking": 2},
            ],
        }
    ]
    assert out["acsMap"] == {"x": {"n": "local"}, "y": {"n": "y"}}
    assert out["routes"][0]["status"] == "ok"
    failed = {"forwardChain": [A, C], "status": "weird"}
    assert fw.merge(local, [failed], limit=1)["routes"] == [
        {"forwardChain": [A, C], "agentGroups": [], "status": "error"}
    ]
    with pytest.raises(ValueError, match="limit"):
        fw.merge(local, [], limit=-1)
    with pytest.raises(ValueError, match="forwardChain"):
        fw.merge(local, [{"status": "ok"}], limit=1)


def test_merge_never_uses_an_error_branch() -> None:
    redirect = fw.redirect_error(Code.CAPACITY_REDIRECT, "wss://x.example/", aic=D).to_wire()
    stale = {
        "acsMap": {"x": {}},
        "agents": [{"group": "g", "agentSkills": [{"aic": "x", "skillId": "s", "ranking": 1}]}],
    }
    branch = {"forwardChain": [A, B], "status": "ok", "result": stale, "error": redirect}
    out = fw.merge({"acsMap": {}, "agents": []}, [branch], limit=5)
    assert out["agents"] == [{"group": "", "agentSkills": []}]
    assert out["routes"] == [
        {
            "forwardChain": [A, B],
            "agentGroups": [],
            "status": "error",
            "metadata": {"code": Code.CAPACITY_REDIRECT},
        }
    ]


def test_merge_caps_routes() -> None:
    many = {"acsMap": {}, "agents": [], "routes": [
        {"forwardChain": [A, B, f"x{i}"], "agentGroups": [], "status": "ok"} for i in range(40)
    ]}  # fmt: skip
    out = fw.merge({"acsMap": {}, "agents": []}, [{"forwardChain": [A, B], "status": "ok",
                                                   "result": many}], limit=5)  # fmt: skip
    assert len(out["routes"]) == fw.ROUTES_MAX


_entry = st.fixed_dictionaries(
    {
        "aic": st.sampled_from(["a", "b", "c", "d", "e"]),
        "skillId": st.sampled_from(["s", "t"]),
        "ranking": st.integers(1, 6),
    }
)
_result = st.fixed_dictionaries(
    {
        "acsMap": st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), st.just({"n": 1})),
        "agents": st.lists(
            st.fixed_dictionaries(
                {
                    "group": st.sampled_from(["", "g1", "g2"]),
                    "agentSkills": st.lists(_entry, max_size=6),
                }
            ),
            max_size=3,
        ),
    }
)


@settings(max_examples=200, deadline=None)
@given(_result, st.lists(_result, max_size=3), st.integers(0, 12))
def test_merge_properties(local: dict[str, Any], results: list[dict[str, Any]], limit: int) -> None:
    branches = [
        {"forwardChain": [A, peer], "status": "ok", "result": r}
        for peer, r in zip([B, C, D], results, strict=False)
    ]
    before = copy.deepcopy((local, branches))
    out = fw.merge(local, branches, limit=limit)
    assert out == fw.merge(local, branches, limit=limit)  # deterministic
    assert (local, branches) == before  # inputs untouched
    assert out["agents"]  # at least one group
    listed = [e for g in out["agents"] for e in g["agentSkills"]]
    assert len(listed) <= limit
    assert {e["aic"] for e in listed} == set(out["acsMap"])
    for group in out["agents"]:
        assert [e["ranking"] for e in group["agentSkills"]] == list(
            range(1, len(group["agentSkills"]) + 1)
        )
        keys = [(e["aic"], e["skillId"]) for e in group["agentSkills"]]
        assert len(keys) == len(set(keys))
    labels = [g["group"] for g in out["agents"]]
    assert len(labels) == len(set(labels))


# ---------------------------------------------------------------- redirects


def test_redirect_round_trip() -> None:
    error = fw.redirect_error(Code.REGION_REDIRECT, "wss://ds-b.example.com/", aic=B, reason="r")
    wire = error.to_wire()
    assert wire["code"] == Code.REGION_REDIRECT
    assert fw.redirect_target(wire, redirects=0) == ("wss://ds-b.example.com/", B)
    assert code_of(fw.redirect_target, wire, redirects=5) == Code.MAX_REDIRECTS_EXCEEDED
    assert fw.redirect_target({"code": -32602}, redirects=9) is None
    broken = {**wire, "data": {"location": "http://x/", "aic": B}}
    assert code_of(fw.redirect_target, broken, redirects=0) == Code.REGION_REDIRECT
    with pytest.raises(ValueError, match="redirect"):
        fw.redirect_error(Code.REGION_REDIRECT, "https://x/", aic=B)
    with pytest.raises(ValueError, match="redirect"):
        fw.redirect_error(Code.INVALID_PARAMS, "wss://x/", aic=B)


# ---------------------------------------------------------------- vectors

VECTORS = REPO / "spec" / "vectors" / "discovery" / "forwarding.json"
OURS = {f"DSC-FWD-{n:03d}" for n in range(1, 25)}  # until the draft is merged into Part 8
CASES = load_file(VECTORS, OURS | set(load_requirements(REPO / "spec")))
OPERATIONS = load_operations()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_vector_case(case: Any) -> None:
    result = run_case(case, OPERATIONS)
    assert result.passed, result.detail


def test_vectors_cover_every_operation_and_requirement() -> None:
    ops = {name for name in OPERATIONS if name.startswith("forwarding.")}
    assert {case.operation for case in CASES} == ops
    cited = {r for case in CASES for r in case.requirements}
    assert cited <= OURS
    assert sum(case.verdict == "invalid" for case in CASES) >= len(CASES) // 3
