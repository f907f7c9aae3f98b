"""Regenerate spec/vectors/discovery/forwarding.json: discovery forwarding (spec Part 8, DSC-FWD).

Independent of ``aip``: the hop signature input, the request digest and every forwarded request
are built here from the rules of the draft with ``rfc8785`` (canonical bytes), ``hashlib``
(SHA-256, key ids) and ``cryptography`` (Ed25519, OpenSSL).  Budget splits, plans, merges,
redirects and the expected error codes are written by hand.  The hops sign with the RFC 8032
§7.1 TEST 1, TEST 2 and TEST 3 keys (nodes A, B, C); node D uses the seed 00 01 .. 1f.  The
output is byte-for-byte reproducible.  Run from the repository root:
``.venv/bin/python tools/gen_forwarding_vectors.py``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "discovery" / "forwarding.json"

A = "1.2.156.3088.1.A.1.1.1.0000"  # discovery node of domain A (the entry)
B = "1.2.156.3088.1.B.1.1.1.0000"
C = "1.2.156.3088.1.C.1.1.1.0000"
D = "1.2.156.3088.1.D.1.1.1.0000"  # a node outside the federation of these requests
SEEDS = {
    A: bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),  # TEST 1
    B: bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"),  # TEST 2
    C: bytes.fromhex("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"),  # TEST 3
    D: bytes(range(32)),
}
RID = "req-20261121-0001"
FORWARD_SIGNATURE_INVALID, CHAIN_TAMPERED, LOOP, DEPTH, FANOUT = 50805, 50803, 50801, 50802, 50804
DEPTH_INVALID, CHAIN_INVALID, FANOUT_INVALID, INVALID_PARAMS = 40002, 40003, 40005, -32602
CAPACITY, REGION, MAX_REDIRECTS = 30701, 30702, 30703


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pub(aic: str) -> bytes:
    key = Ed25519PrivateKey.from_private_bytes(SEEDS[aic]).public_key()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def kid(aic: str) -> str:
    """RFC 7638 thumbprint of the node's Ed25519 JWK (Part 5)."""
    jwk = '{"crv":"Ed25519","kty":"OKP","x":"' + b64u(pub(aic)) + '"}'
    return b64u(hashlib.sha256(jwk.encode()).digest())


def keys(*aics: str) -> dict[str, str]:
    return {a: pub(a).hex() for a in aics}


def digest(request: dict[str, Any]) -> str:
    """[DSC-FWD-012]: SHA-256 of JCS(request without requestId and forward* members)."""
    body = {k: v for k, v in request.items() if not k.startswith("forward") and k != "requestId"}
    return b64u(hashlib.sha256(rfc8785.dumps(body)).digest())


def hop_object(request: dict[str, Any], hop: int) -> dict[str, Any]:
    """The object hop ``hop`` of a forwarded ``request`` signs [DSC-FWD-012]."""
    return {
        "type": "aip.adp.forward-hop",
        "requestId": request["requestId"],
        "hop": hop,
        "forwardChain": request["forwardChain"][: hop + 1],
        "forwardTrustedServers": request["forwardTrustedServers"],
        "forwardDepthLimit": request["forwardDepthLimit"],
        "forwardFanoutLimit": request["forwardFanoutLimit"],
        "forwardEachTimeoutMs": request["forwardEachTimeoutMs"],
        "request": digest(request),
    }


def integrity(aic: str, obj: dict[str, Any]) -> dict[str, str]:
    signature = Ed25519PrivateKey.from_private_bytes(SEEDS[aic]).sign(rfc8785.dumps(obj))
    return {"alg": "EdDSA", "kid": kid(aic), "sig": b64u(signature)}


def forward(received: dict[str, Any], signer: str, *, remaining: int, elapsed: int = 0,
            **fields: Any) -> dict[str, Any]:
    """The request ``signer`` sends on [DSC-FWD-014]: non-forward members copied, forwarding
    members explicit (``fields`` override them, as the entry sets them), chain and signatures
    extended, total timeout less ``elapsed``."""
    out = {k: v for k, v in received.items() if not k.startswith("forward")}
    out.setdefault("requestId", RID)
    out["forwardDepthLimit"] = received.get("forwardDepthLimit", 3)
    out["forwardFanoutLimit"] = received.get("forwardFanoutLimit", 1)
    out["forwardFanoutRemaining"] = remaining
    out["forwardChain"] = [*received.get("forwardChain", []), signer]
    out["forwardTrustedServers"] = received.get("forwardTrustedServers", [])
    out["forwardSignatures"] = list(received.get("forwardSignatures", []))
    out["forwardEachTimeoutMs"] = received.get("forwardEachTimeoutMs", 10000)
    out["forwardTotalTimeoutMs"] = max(0, received.get("forwardTotalTimeoutMs", 60000) - elapsed)
    out.update(fields)
    out["forwardSignatures"].append(integrity(signer, hop_object(out, len(out["forwardChain"]) - 1)))
    return out


CASES: list[dict[str, Any]] = []


def case(kind: str, op: str, reqs: list[str], inp: dict[str, Any], comment: str, *,
         expected: dict[str, Any] | None = None, error: int | None = None) -> None:
    number = sum(c["id"].startswith(f"fwd-{kind}-") for c in CASES) + 1
    row: dict[str, Any] = {"id": f"fwd-{kind}-{number:03d}", "operation": op, "requirements": reqs,
                           "verdict": "valid" if error is None else "invalid", "input": inp}
    if error is None:
        row["expected"] = expected
    else:
        row["error"] = error
    row["comment"] = comment
    CASES.append(row)


def edit(request: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(request)
    out.update(changes)
    return out


# ---------------------------------------------------------------- the scenario
# A client asks A; A (entry, trusted list [B, C], fan-out 2) forwards to B with budget 1 after
# 120 ms; B forwards to C with budget 0 after 80 ms.
CLIENT = {
    "type": "explicit",
    "query": "recommend a Beijing restaurant for a family dinner",
    "limit": 5,
    "filter": {"conditions": [{"field": "provider.countryCode", "op": "in", "value": ["CN"]}]},
    "context": {"conversationId": "conv-12345", "userProfile": {"city": "Beijing"}},
    "forwardFanoutLimit": 2,
}
R1 = forward(CLIENT, A, remaining=1, elapsed=120, forwardTrustedServers=[B, C])  # A -> B
R2 = forward(R1, B, remaining=0, elapsed=80)  # B -> C
ALL = keys(A, B, C, D)

# ---------------------------------------------------------------- forwarding.read
READ = ["DSC-FWD-001", "DSC-FWD-002", "DSC-FWD-004"]
case("read", "forwarding.read", [*READ, "DSC-FWD-005"], {"request": {"query": "x"}, "new_request_id": RID},
     "no forwarding member: every default, the assigned id, budget = fan-out limit",
     expected={"requestId": RID, "forwardDepthLimit": 3, "forwardFanoutLimit": 1,
               "forwardFanoutRemaining": 1, "forwardChain": [], "forwardTrustedServers": [],
               "signatureCount": 0, "forwardEachTimeoutMs": 10000, "forwardTotalTimeoutMs": 60000})
case("read", "forwarding.read", READ,
     {"request": {"query": "x", "requestId": "r-1", "forwardDepthLimit": None, "forwardChain": None},
      "new_request_id": RID},
     "null members read as absent; the client's requestId is kept",
     expected={"requestId": "r-1", "forwardDepthLimit": 3, "forwardChain": []})
case("read", "forwarding.read", [*READ, "DSC-FWD-005"],
     {"request": {**CLIENT, "forwardTrustedServers": [C, D]}, "new_request_id": RID,
      "entry_trusted": [B, C]},
     "an entry's trusted list comes from its configuration; the client's list only narrows it",
     expected={"forwardTrustedServers": [C], "forwardFanoutRemaining": 2})
case("read", "forwarding.read", READ, {"request": R2},
     "the request C receives: explicit members as B sent them",
     expected={"requestId": RID, "forwardDepthLimit": 3, "forwardFanoutLimit": 2,
               "forwardFanoutRemaining": 0, "forwardChain": [A, B], "forwardTrustedServers": [B, C],
               "signatureCount": 2, "forwardEachTimeoutMs": 10000, "forwardTotalTimeoutMs": 59800})
case("read", "forwarding.read", READ, {"request": edit(R2, forwardFanoutRemaining=None)},
     "a forwarded request without forwardFanoutRemaining may not forward again (budget 0)",
     expected={"forwardFanoutRemaining": 0})
for value in (1, 5):
    case("read", "forwarding.read", ["DSC-FWD-001"],
         {"request": {"forwardDepthLimit": value, "forwardFanoutLimit": value}, "new_request_id": RID},
         f"limits of {value} are in range", expected={"forwardDepthLimit": value, "forwardFanoutLimit": value})
bad_depth: tuple[Any, ...] = (0, 6, -1, "3", 3.5, True)
for wrong in bad_depth:
    case("read", "forwarding.read", ["DSC-FWD-001"],
         {"request": {"forwardDepthLimit": wrong}, "new_request_id": RID},
         f"forwardDepthLimit {json.dumps(wrong)} is not an integer from 1 to 5", error=DEPTH_INVALID)
bad_fanout: tuple[Any, ...] = (0, 6, "1", False)
for wrong in bad_fanout:
    case("read", "forwarding.read", ["DSC-FWD-002"],
         {"request": {"forwardFanoutLimit": wrong}, "new_request_id": RID},
         f"forwardFanoutLimit {json.dumps(wrong)} is not an integer from 1 to 5", error=FANOUT_INVALID)
case("read", "forwarding.read", ["DSC-FWD-001", "DSC-FWD-002"],
     {"request": {"forwardDepthLimit": 9, "forwardFanoutLimit": 9}, "new_request_id": RID},
     "both limits wrong: the depth limit is checked first", error=DEPTH_INVALID)
for chain, why in (
    (A, "a string, not a list"),
    ([A, "AIC-DS-B"], "an element that is not an AIC"),
    ([A.replace(".A.", ".a.")], "an AIC not in canonical (upper-case) form"),
    ([A, " " + B], "an AIC with whitespace"),
    ([A, B, C, D, A, B], "six elements: longer than the absolute depth maximum 5"),
    ([A, 7], "a number in the chain"),
):
    case("read", "forwarding.read", ["DSC-FWD-003"], {"request": edit(R2, forwardChain=chain)},
         f"forwardChain: {why}", error=CHAIN_INVALID)
case("read", "forwarding.read", ["DSC-FWD-003"], {"request": edit(R2, forwardTrustedServers=[B, C, B])},
     "forwardTrustedServers repeats an AIC", error=CHAIN_INVALID)
case("read", "forwarding.read", ["DSC-FWD-003"], {"request": edit(R2, forwardTrustedServers={"B": B})},
     "forwardTrustedServers is an object", error=CHAIN_INVALID)
case("read", "forwarding.read", ["DSC-FWD-003"],
     {"request": edit(R2, forwardSignatures=[s["sig"] for s in R2["forwardSignatures"]])},
     "forwardSignatures as bare strings (the ADP typing): each must be an integrity object",
     error=CHAIN_INVALID)
case("read", "forwarding.read", ["DSC-FWD-004"], {"request": edit(R2, requestId=None)},
     "a forwarded request without requestId", error=INVALID_PARAMS)
case("read", "forwarding.read", ["DSC-FWD-004"], {"request": edit(R2, requestId="")},
     "an empty requestId", error=INVALID_PARAMS)
case("read", "forwarding.read", ["DSC-FWD-004"], {"request": edit(R2, requestId="r" * 129)},
     "a requestId of 129 characters", error=INVALID_PARAMS)
case("read", "forwarding.read", ["DSC-FWD-004"], {"request": {"query": "x"}},
     "an entry request without requestId and no id assigned", error=INVALID_PARAMS)
bad_numbers: tuple[tuple[str, Any], ...] = (
    ("forwardFanoutRemaining", -1), ("forwardFanoutRemaining", "0"), ("forwardEachTimeoutMs", 0),
    ("forwardEachTimeoutMs", 3600001), ("forwardTotalTimeoutMs", -1), ("forwardTotalTimeoutMs", 1.5))
for member, wrong in bad_numbers:
    case("read", "forwarding.read", ["DSC-FWD-004"], {"request": edit(R2, **{member: wrong})},
         f"{member} {json.dumps(wrong)} is out of range", error=INVALID_PARAMS)

# ---------------------------------------------------------------- forwarding.hop_input
for hop, req in ((0, R1), (0, R2), (1, R2)):
    obj = hop_object(req, hop)
    case("hop", "forwarding.hop_input", ["DSC-FWD-012"], {"request": req, "hop": hop},
         f"the exact RFC 8785 text hop {hop} signs in a request with chain of {len(req['forwardChain'])}",
         expected={"signing_input": rfc8785.dumps(obj).decode(), "request_digest": obj["request"]})

# ---------------------------------------------------------------- forwarding.sign
case("sign", "forwarding.sign", ["DSC-FWD-012", "DSC-FWD-014", "DSC-FWD-005", "DSC-FWD-017"],
     {"request": CLIENT, "new_request_id": RID, "entry_trusted": [B, C], "own_aic": A,
      "seed_hex": SEEDS[A].hex(), "elapsed_ms": 120, "remaining": 1},
     "entry A (RFC 8032 TEST 1) forwards to B: chain [A], one signature, total 60000 - 120",
     expected={"request": R1})
case("sign", "forwarding.sign", ["DSC-FWD-012", "DSC-FWD-014", "DSC-FWD-017"],
     {"request": R1, "own_aic": B, "seed_hex": SEEDS[B].hex(), "elapsed_ms": 80, "remaining": 0},
     "B (TEST 2) forwards to C: chain [A, B], A's signature kept, B's appended",
     expected={"request": R2})
case("sign", "forwarding.sign", ["DSC-FWD-017"],
     {"request": R1, "own_aic": B, "seed_hex": SEEDS[B].hex(), "elapsed_ms": 70000},
     "more time spent than was left: the total never goes below 0",
     expected={"request": forward(R1, B, remaining=0, elapsed=70000)})
case("sign", "forwarding.sign", ["DSC-FWD-008"],
     {"request": R2, "own_aic": A, "seed_hex": SEEDS[A].hex()},
     "a node never signs a chain that already holds it", error=LOOP)

# ---------------------------------------------------------------- forwarding.check
CHECK = ["DSC-FWD-006", "DSC-FWD-013"]


def check(reqs: list[str], request: dict[str, Any], comment: str, *, own: str = C, caller: str | None = B,
          pinned: dict[str, str] | None = None, error: int | None = None) -> None:
    inp: dict[str, Any] = {"request": request, "own_aic": own, "keys": ALL if pinned is None else pinned}
    if caller is not None:
        inp["caller_aic"] = caller
    if error is None:
        case("check", "forwarding.check", reqs, inp, comment, expected={"accepted": True})
    else:
        case("check", "forwarding.check", reqs, inp, comment, error=error)


check(CHECK, R1, "B accepts A's request (one hop, TEST 1)", own=B, caller=A)
check(CHECK, R2, "C accepts the two-hop chain A -> B (TEST 1, TEST 2)")
R3_TRUSTED = [B, C, D]
R1b = forward(CLIENT, A, remaining=2, forwardTrustedServers=R3_TRUSTED,
              forwardDepthLimit=4, forwardFanoutLimit=3)
R2b = forward(R1b, B, remaining=1)
R3 = forward(R2b, C, remaining=0)
check(CHECK, R3, "D accepts the three-hop chain A -> B -> C (TEST 1, 2, 3; depth 4, fan-out 3)",
      own=D, caller=C)
check(["DSC-FWD-012"], edit(R2, forwardFanoutRemaining=0, forwardTotalTimeoutMs=1000),
      "fan-out budget and total timeout are not signed: lowering them keeps the chain valid")
check(["DSC-FWD-006"], {"query": "x", "requestId": RID}, "an entry request passes every step",
      own=A, caller=None)
check(["DSC-FWD-007"], R2, "the chain ends with B but the caller is D", caller=D, error=CHAIN_TAMPERED)
check(["DSC-FWD-007"], R2, "a forwarded request on a connection with no AIC", caller=None,
      error=CHAIN_TAMPERED)
check(["DSC-FWD-007"], edit(R2, forwardChain=[B, A]), "chain order swapped: it ends with A, not the caller",
      error=CHAIN_TAMPERED)
check(["DSC-FWD-008"], R2, "A receives a chain that already holds A", own=A, error=LOOP)
check(["DSC-FWD-008"], edit(R2, forwardChain=[B, B]), "an AIC twice in the chain", own=C, error=LOOP)
check(["DSC-FWD-006", "DSC-FWD-007"], R2, "caller mismatch and loop: the caller check comes first",
      own=A, caller=D, error=CHAIN_TAMPERED)
R1d = forward(CLIENT, A, remaining=1, forwardTrustedServers=[B, C], forwardDepthLimit=2)
R2d = forward(R1d, B, remaining=0)
check(["DSC-FWD-009"], R1d, "depth limit 2: B may receive a chain of one", own=B, caller=A)
check(["DSC-FWD-009"], R2d, "depth limit 2: a chain of two reaches it (B forwarded anyway)",
      error=DEPTH)
check(["DSC-FWD-006", "DSC-FWD-009"], edit(R2d, forwardSignatures=[]),
      "too deep and unsigned: the depth check comes first", error=DEPTH)
check(["DSC-FWD-010"], edit(R2, forwardSignatures=R2["forwardSignatures"][:1]),
      "B's signature removed", error=CHAIN_TAMPERED)
check(["DSC-FWD-010"], edit(R2, forwardSignatures=[*R2["forwardSignatures"], R2["forwardSignatures"][1]]),
      "a third signature added", error=CHAIN_TAMPERED)
check(["DSC-FWD-010"], edit(R2, forwardTrustedServers=[B]), "C removed from the trusted list: "
      "the receiver is outside it", error=CHAIN_TAMPERED)
R1o = forward(CLIENT, A, remaining=1, forwardTrustedServers=[C])
R2o = forward(R1o, B, remaining=0)
check(["DSC-FWD-010"], R2o, "B signed a hop but is not in A's trusted list", error=CHAIN_TAMPERED)
check(["DSC-FWD-006", "DSC-FWD-010"], edit(R2, forwardSignatures=R2["forwardSignatures"][:1], query="y"),
      "a signature missing and the query changed: the count check comes first", error=CHAIN_TAMPERED)
check(["DSC-FWD-011"], edit(R2, forwardFanoutRemaining=1),
      "budget raised to 1 with fan-out limit 2 and two hops spent (at most 0 left)", error=FANOUT)
check(["DSC-FWD-011"], {"query": "x", "requestId": RID, "forwardFanoutRemaining": 2}, "an entry "
      "request claiming more budget than its fan-out limit (default 1)", own=A, caller=None,
      error=FANOUT)
changed: tuple[tuple[str, Any], ...] = (("query", "recommend a Shanghai restaurant"), ("limit", 50),
                      ("type", "exploratory"),
                      ("filter", {"conditions": [{"field": "provider.countryCode", "op": "in",
                                                  "value": ["CN", "US"]}]}),
                      ("context", {"conversationId": "conv-12345"}),
                      ("requestId", "req-20261121-0002"),
                      ("forwardTrustedServers", [B, C, D]), ("forwardDepthLimit", 4),
                      ("forwardFanoutLimit", 3), ("forwardEachTimeoutMs", 20000))
for member, new in changed:
    check(["DSC-FWD-012", "DSC-FWD-013"], edit(R2, **{member: new}),
          f"{member} changed after A and B signed", error=FORWARD_SIGNATURE_INVALID)
check(["DSC-FWD-012", "DSC-FWD-013"], {k: v for k, v in R2.items() if k != "filter"},
      "the filter removed after signing", error=FORWARD_SIGNATURE_INVALID)
check(["DSC-FWD-013"], edit(R2, forwardChain=[D, B]), "A replaced by D in the chain (D is pinned)",
      error=FORWARD_SIGNATURE_INVALID)
check(["DSC-FWD-013"], edit(R2, forwardSignatures=R2["forwardSignatures"][::-1]),
      "the two signatures swapped", error=FORWARD_SIGNATURE_INVALID)
check(["DSC-FWD-013"], R2, "no key pinned for A", pinned=keys(B, C), error=FORWARD_SIGNATURE_INVALID)
check(["DSC-FWD-013"], R2, "D's key pinned for B", pinned={**ALL, B: pub(D).hex()},
      error=FORWARD_SIGNATURE_INVALID)
sig_b = R2["forwardSignatures"][1]
bad_sigs: list[tuple[Any, str]] = [
    ({**sig_b, "kid": kid(A)}, "B's signature carrying A's key id"),
    ({**sig_b, "alg": "ES256"}, "an algorithm other than EdDSA"),
    ({**sig_b, "sig": sig_b["sig"][:-2]}, "a truncated signature"),
    ({**sig_b, "signer": B}, "an extra member in the integrity object"),
    ({"alg": "EdDSA", "kid": sig_b["kid"]}, "no sig member"),
]
for bad, why in bad_sigs:
    check(["DSC-FWD-013"], edit(R2, forwardSignatures=[R2["forwardSignatures"][0], bad]), why,
          error=FORWARD_SIGNATURE_INVALID)
check(["DSC-FWD-010"], {"query": "x", "requestId": RID, "forwardSignatures": [sig_b]},
      "an entry request carrying a signature but no chain", own=A, caller=None, error=CHAIN_TAMPERED)

# ---------------------------------------------------------------- forwarding.split / split_refusal
SPLIT = ["DSC-FWD-015"]
for remaining, branches, weights, children, why in (
    (4, 3, None, [0, 0, 1], "the ADP example: one unit left over goes to the last branch"),
    (3, 3, None, [0, 0, 0], "exactly enough for the branches"),
    (5, 1, None, [4], "a chain: the one child gets everything but its own unit"),
    (10, 3, None, [2, 2, 3], "7 shared by 3: 2 each, the rest to the last"),
    (11, 3, None, [2, 3, 3], "8 shared by 3: the rest to the last two"),
    (0, 0, None, [], "no branches"),
    (4, 3, [2, 1, 1], [1, 0, 0], "weighted: floor(1*2/4)=0 each, the rest to the heaviest"),
    (10, 3, [1, 1, 1], [2, 2, 3], "equal weights split like no weights"),
    (10, 2, [3, 1], [6, 2], "8 shared 3:1"),
    (9, 3, [1, 0, 2], [2, 0, 4], "6 shared 1:0:2; a zero weight gets nothing"),
    (7, 2, [0, 0], [2, 3], "all-zero weights mean equal weights"),
):
    inp: dict[str, Any] = {"remaining": remaining, "branches": branches}
    if weights is not None:
        inp["weights"] = weights
    case("split", "forwarding.split", SPLIT, inp, f"R={remaining}, b={branches}: {why}",
         expected={"children": children})
for remaining, branches in ((2, 3), (0, 1), (4, 5)):
    case("split", "forwarding.split", SPLIT, {"remaining": remaining, "branches": branches},
         f"R={remaining} < b={branches}", error=FANOUT)
    case("split", "forwarding.split_refusal", SPLIT, {"remaining": remaining, "branches": branches},
         f"R={remaining} < b={branches}: the refusal carries availableBudget and requiredBranches",
         expected={"code": FANOUT, "data": {"availableBudget": remaining, "requiredBranches": branches}})

# ---------------------------------------------------------------- forwarding.plan
PLAN = ["DSC-FWD-016"]
ENTRY = {"request": CLIENT, "new_request_id": RID, "entry_trusted": [B, C], "own_aic": A}
case("plan", "forwarding.plan", PLAN, {**ENTRY, "candidates": [B, C, D], "elapsed_ms": 120},
     "fan-out 2 at the entry: B and C (D is not trusted), each child budget 0",
     expected={"targets": [[B, 0], [C, 0]]})
case("plan", "forwarding.plan", PLAN, {**ENTRY, "candidates": [D, C], "elapsed_ms": 120},
     "only C qualifies: one branch, the child keeps the other unit", expected={"targets": [[C, 1]]})
case("plan", "forwarding.plan", PLAN,
     {**ENTRY, "request": {**CLIENT, "forwardFanoutLimit": 1}, "candidates": [B, C], "elapsed_ms": 0},
     "the default fan-out 1: one branch, no budget left below it", expected={"targets": [[B, 0]]})
case("plan", "forwarding.plan", PLAN,
     {**ENTRY, "request": {**CLIENT, "forwardFanoutLimit": 5}, "candidates": [C, B], "elapsed_ms": 0},
     "fan-out 5, two peers: 3 units shared, the rest to the last", expected={"targets": [[C, 1], [B, 2]]})
case("plan", "forwarding.plan", PLAN, {"request": R1, "own_aic": B, "candidates": [A, C, B], "elapsed_ms": 80},
     "B skips A (in the chain) and itself; budget 1 pays for C", expected={"targets": [[C, 0]]})
case("plan", "forwarding.plan", PLAN, {"request": R2, "own_aic": C, "candidates": [B, D], "elapsed_ms": 0},
     "C holds budget 0 and the next hop would reach depth 3: nothing", expected={"targets": []})
case("plan", "forwarding.plan", PLAN, {"request": R1d, "own_aic": B, "candidates": [C], "elapsed_ms": 0},
     "depth limit 2 with a chain of one: the next hop would reach the limit", expected={"targets": []})
case("plan", "forwarding.plan", ["DSC-FWD-017"], {**ENTRY, "candidates": [B], "elapsed_ms": 50000},
     "60000 - 50000 = 10000 left, equal to the per-hop timeout: forwarding allowed",
     expected={"targets": [[B, 1]]})
case("plan", "forwarding.plan", ["DSC-FWD-017"], {**ENTRY, "candidates": [B], "elapsed_ms": 50001},
     "9999 ms left, below the per-hop timeout of 10000: no forwarding", expected={"targets": []})

# ---------------------------------------------------------------- forwarding.merge
MERGE = ["DSC-FWD-018", "DSC-FWD-019"]
G = "recommend a Beijing restaurant for a family dinner"
X1, X2, X3, X4 = (f"1.2.156.3088.1.{d}.1.1.7.0000" for d in ("A", "B", "C", "Q"))
LOCAL: dict[str, Any] = {"acsMap": {X1: {"name": "FoodGuide"}},
         "agents": [{"group": G, "agentSkills": [
             {"aic": X1, "skillId": "food", "ranking": 1, "memo": "local"}]}],
         "routes": [{"forwardChain": [A], "agentGroups": [], "status": "ok", "durationMs": 15}]}
FROM_B: dict[str, Any] = {"acsMap": {X1: {"name": "FoodGuide (B's copy)"}, X2: {"name": "CuisineBot"}},
          "agents": [{"group": G, "agentSkills": [
              {"aic": X2, "skillId": "cuisine", "ranking": 1},
              {"aic": X1, "skillId": "food", "ranking": 2, "memo": "from B"},
              {"aic": X4, "skillId": "ghost", "ranking": 3}]}],
          "routes": [{"forwardChain": [A, B], "agentGroups": [], "status": "ok"},
                     {"forwardChain": [A, B, C], "agentGroups": [], "status": "timeout",
                      "metadata": {"reason": "downstream-timeout"}}]}
BRANCHES = [{"forwardChain": [A, B], "status": "ok", "durationMs": 420, "result": FROM_B},
            {"forwardChain": [A, C], "status": "timeout", "metadata": {"reason": "downstream-timeout"}}]
MERGED_AGENTS: list[dict[str, Any]] = [{"group": G, "agentSkills": [
    {"aic": X1, "skillId": "food", "ranking": 1, "memo": "local"},
    {"aic": X2, "skillId": "cuisine", "ranking": 2}]}]
case("merge", "forwarding.merge", [*MERGE, "DSC-FWD-020"],
     {"local": LOCAL, "branches": BRANCHES, "limit": 5},
     "X1 twice: the local rank 1 wins (and the local ACS); X4 has no ACS and is dropped; rank 1 "
     "of each source before rank 2; routes: local, B as measured, B's deeper route, C timed out",
     expected={
         "acsMap": {X1: {"name": "FoodGuide"}, X2: {"name": "CuisineBot"}},
         "agents": MERGED_AGENTS,
         "routes": [LOCAL["routes"][0],
                    {"forwardChain": [A, B], "agentGroups": [{"group": G, "agentSkills": [
                        {"aic": X2, "skillId": "cuisine", "ranking": 1},
                        {"aic": X1, "skillId": "food", "ranking": 2, "memo": "from B"},
                        {"aic": X4, "skillId": "ghost", "ranking": 3}]}],
                     "status": "ok", "durationMs": 420},
                    FROM_B["routes"][1],
                    {"forwardChain": [A, C], "agentGroups": [], "status": "timeout",
                     "metadata": {"reason": "downstream-timeout"}}]})
case("merge", "forwarding.merge", MERGE, {"local": LOCAL, "branches": BRANCHES, "limit": 1},
     "limit 1 keeps the best entry only, and only its ACS",
     expected={"acsMap": {X1: {"name": "FoodGuide"}},
               "agents": [{"group": G, "agentSkills": [MERGED_AGENTS[0]["agentSkills"][0]]}]})
TWO = {"acsMap": {X1: {"name": "FoodGuide"}, X3: {"name": "Taxi"}},
       "agents": [{"group": "dinner", "agentSkills": [
           {"aic": X1, "skillId": "food", "ranking": 1}, {"aic": X1, "skillId": "wine", "ranking": 2}]},
                  {"group": "ride home", "agentSkills": [{"aic": X3, "skillId": "taxi", "ranking": 1}]}]}
case("merge", "forwarding.merge", MERGE, {"local": TWO, "branches": [], "limit": 2},
     "two groups, limit 2: rank 1 of every group before any rank 2",
     expected={"agents": [
         {"group": "dinner", "agentSkills": [{"aic": X1, "skillId": "food", "ranking": 1}]},
         {"group": "ride home", "agentSkills": [{"aic": X3, "skillId": "taxi", "ranking": 1}]}]})
case("merge", "forwarding.merge", MERGE,
     {"local": {"acsMap": {}, "agents": []}, "branches": [
         {"forwardChain": [A, B], "status": "error", "metadata": {"code": 50801}}], "limit": 5},
     "nothing found anywhere: still one (empty) group",
     expected={"acsMap": {}, "agents": [{"group": "", "agentSkills": []}],
               "routes": [{"forwardChain": [A, B], "agentGroups": [], "status": "error",
                           "metadata": {"code": 50801}}]})

FROM_C: dict[str, Any] = {"acsMap": {X3: {"name": "Taxi"}},
                          "agents": [{"group": G, "agentSkills": [{"aic": X3, "skillId": "taxi", "ranking": 1}]}]}
REDIRECTED = {"code": CAPACITY, "message": "CapacityRedirect",
              "data": {"location": "wss://ds-d.example.com/", "aic": D}}
case("merge", "forwarding.merge", ["DSC-FWD-023", "DSC-FWD-024", "DSC-FWD-020"],
     {"local": LOCAL, "branches": [
         {"forwardChain": [A, B], "durationMs": 30, "error": REDIRECTED},
         {"forwardChain": [A, C], "status": "ok", "durationMs": 50, "result": FROM_C}], "limit": 5},
     "B answered with a redirect: not followed, recorded as an error route with its code; the "
     "answer still holds the local result and C's",
     expected={"acsMap": {X1: {"name": "FoodGuide"}, X3: {"name": "Taxi"}},
               "agents": [{"group": G, "agentSkills": [
                   {"aic": X1, "skillId": "food", "ranking": 1, "memo": "local"},
                   {"aic": X3, "skillId": "taxi", "ranking": 2}]}],
               "routes": [LOCAL["routes"][0],
                          {"forwardChain": [A, B], "agentGroups": [], "status": "error",
                           "durationMs": 30, "metadata": {"code": CAPACITY}},
                          {"forwardChain": [A, C], "agentGroups": FROM_C["agents"], "status": "ok",
                           "durationMs": 50}]})

# ---------------------------------------------------------------- forwarding.redirect
RED = ["DSC-FWD-021", "DSC-FWD-022"]
GOOD = {"code": CAPACITY, "message": "CapacityRedirect",
        "data": {"location": "wss://ds-b.example.com:8765/", "aic": B, "reason": "maintenance-window"}}
case("redirect", "forwarding.redirect", RED, {"error": GOOD, "redirects": 0},
     "a capacity redirect: reconnect to the URL and expect the AIC there",
     expected={"redirect": True, "location": "wss://ds-b.example.com:8765/", "aic": B})
case("redirect", "forwarding.redirect", RED,
     {"error": {**GOOD, "code": REGION, "data": {"location": "ws://127.0.0.1:9000", "aic": C}},
      "redirects": 4}, "a region redirect after four in a row: the fifth is still followed",
     expected={"redirect": True, "location": "ws://127.0.0.1:9000", "aic": C})
case("redirect", "forwarding.redirect", ["DSC-FWD-022"], {"error": GOOD, "redirects": 5},
     "a sixth redirect in a row", error=MAX_REDIRECTS)
case("redirect", "forwarding.redirect", ["DSC-FWD-022"],
     {"error": {"code": 50801, "message": "ForwardLoopDetected"}, "redirects": 0},
     "not a redirect", expected={"redirect": False})
for data, why in (
    ({"location": "https://ds-b.example.com/discover", "aic": B}, "an HTTP URL"),
    ({"location": "wss://ds-b.example.com/"}, "no AIC of the target node"),
    ({"location": "wss:///x", "aic": B}, "no host"),
    ({"location": "wss://ds-b.example.com/#x", "aic": B}, "a fragment"),
    ({"location": "wss://user:pw@ds-b.example.com/", "aic": B}, "credentials in the URL"),
    ({"location": "wss://ds-b.example.com/ x", "aic": B}, "whitespace in the URL"),
    ({"aic": B}, "no location"),
):
    case("redirect", "forwarding.redirect", ["DSC-FWD-021"], {"error": {**GOOD, "data": data}, "redirects": 0},
         f"a redirect with {why} cannot be followed: the client reports the redirect code", error=CAPACITY)

doc = {
    "format": "aip-vectors/1",
    "area": "discovery.forwarding",
    "description": "Discovery forwarding (spec Part 8, DSC-FWD): reading the forwarding members, the "
    "exact hop signature input, signing a hop, checking a forwarded request (chain, loop, depth, "
    "trust, budget, signatures), fan-out budget splits, plans, merged results and redirects. "
    "Hops A, B, C sign with the RFC 8032 TEST 1, 2, 3 keys.",
    "cases": CASES,
}
OUT.parent.mkdir(parents=True, exist_ok=True)
OUT.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
print(f"wrote {len(CASES)} cases to {OUT}")
