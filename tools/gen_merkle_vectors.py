"""Regenerate spec/vectors/audit/merkle.json (Merkle roots and proofs, spec/11-audit.md AUD-MRK).

Independent of ``aip``: expected values come from a direct transcription of the recursive
definitions in RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1 (SUBPROOF) over the entry
list, with ``hashlib`` for SHA-256; nothing here uses the incremental or store-backed code under
test.  Entries are written by hand.  Run from the repository root:
``.venv/bin/python tools/gen_merkle_vectors.py``.  The output is stable.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "audit" / "merkle.json"
PROOF_INVALID = -34106
TREE_SIZE_INVALID = -34105


def entries(n: int) -> list[bytes]:
    """n hand-written entries: the first is empty, the rest vary in length."""
    return [b"" if i == 0 else f"aip audit entry {i}".encode() * (1 + i % 3) for i in range(n)]


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return sha(b"")
    if len(d) == 1:
        return sha(b"\x00" + d[0])
    k = split(len(d))
    return sha(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = split(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], whole: bool) -> list[bytes]:
    if m == len(d):
        return [] if whole else [mth(d)]
    k = split(len(d))
    if m <= k:
        return [*subproof(m, d[:k], whole), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def odd_bits(text: str) -> str:
    """The same 32 bytes in base64 whose last data character has a low bit set (non-canonical)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return text[:42] + alphabet[alphabet.index(text[42]) | 1] + "="


def flip(data: bytes, at: int = 0) -> bytes:
    out = bytearray(data)
    out[at] ^= 0x01
    return bytes(out)


CASES: list[dict[str, Any]] = []


def case(kind: str, op: str, reqs: list[str], inp: dict[str, Any], comment: str, *,
         expected: dict[str, Any] | None = None, error: int | None = None) -> None:
    number = sum(c["id"].startswith(f"audit-merkle-{kind}-") for c in CASES) + 1
    row: dict[str, Any] = {"id": f"audit-merkle-{kind}-{number:03d}", "operation": op,
                           "requirements": reqs, "verdict": "valid" if error is None else "invalid",
                           "input": inp}
    if error is None:
        row["expected"] = expected
    else:
        row["error"] = error
    row["comment"] = comment
    CASES.append(row)


def hexes(d: list[bytes]) -> list[str]:
    return [e.hex() for e in d]


# ---------------------------------------------------------------- merkle.root
for n in (0, 1, 2, 3, 5, 7, 8, 13, 16, 21):
    root = mth(entries(n)).hex()
    reqs = ["AUD-MRK-001", "AUD-MRK-003"] + (["AUD-MRK-002"] if n > 1 else [])
    case("root", "merkle.root", reqs, {"leaves_hex": hexes(entries(n))},
         f"MTH of {n} entries by the RFC 9162 recursion; {'SHA-256 of nothing' if n == 0 else 'split at the largest power of two below n'}",
         expected={"root_hex": root, "appender_root_hex": root, "tree_hash_hex": root})
case("root", "merkle.root", ["AUD-MRK-001"], {"leaves_hex": ["00"]},
     "one entry 0x00 (not empty): root = SHA-256(0x00 || 0x00)",
     expected={"root_hex": sha(b"\x00\x00").hex()})

# ---------------------------------------------------------------- merkle.inclusion (verify)
INCL_GOOD = [(1, 0), (2, 1), (7, 6), (8, 3), (13, 5), (13, 12), (21, 16)]
for n, m in INCL_GOOD:
    d = entries(n)
    case("incl", "merkle.inclusion", ["AUD-MRK-006", "AUD-MRK-004"],
         {"leafIndex": m, "treeSize": n, "leafHash": b64(sha(b"\x00" + d[m])),
          "proof": [b64(h) for h in path(m, d)], "root": b64(mth(d))},
         f"RFC 9162 PATH({m}, D[{n}]) verifies", expected={"verified": True})


def incl_input(n: int, m: int) -> dict[str, Any]:
    d = entries(n)
    return {"leafIndex": m, "treeSize": n, "leafHash": b64(sha(b"\x00" + d[m])),
            "proof": [b64(h) for h in path(m, d)], "root": b64(mth(d))}


def bad_incl(reqs: list[str], inp: dict[str, Any], comment: str) -> None:
    case("incl", "merkle.inclusion", reqs, inp, comment, error=PROOF_INVALID)


good = incl_input(13, 5)
bad_incl(["AUD-MRK-006"], {**good, "proof": [good["proof"][0], b64(flip(base64.b64decode(good["proof"][1]), 31)),
                                              *good["proof"][2:]]}, "one bit of the second proof hash flipped")
bad_incl(["AUD-MRK-006"], {**good, "leafIndex": 4}, "the proof of index 5 offered for index 4")
bad_incl(["AUD-MRK-006"], {**good, "leafIndex": 13}, "index equal to the tree size")
bad_incl(["AUD-MRK-006"], {**good, "treeSize": 0, "leafIndex": 0}, "a tree of size 0 includes nothing")
bad_incl(["AUD-MRK-006"], {**good, "treeSize": 26}, "size 26 needs a proof of 5 hashes, 4 given")
bad_incl(["AUD-MRK-006"], {**good, "proof": good["proof"][:-1]}, "last proof hash removed")
bad_incl(["AUD-MRK-006"], {**good, "proof": [*good["proof"], good["root"]]}, "the root appended to the proof")
bad_incl(["AUD-MRK-006"], {**good, "leafHash": b64(sha(entries(13)[5]))}, "entry hashed without the 0x00 prefix")
bad_incl(["AUD-MRK-006"], {**good, "root": b64(mth(entries(12)))}, "root of the tree one entry shorter")
bad_incl(["AUD-MRK-011"], {**good, "leafHash": b64(sha(b"\x00" + entries(13)[5])[:31])}, "leaf hash of 31 bytes")
bad_incl(["AUD-MRK-011"], {**good, "proof": [*good["proof"][:-1], b64(base64.b64decode(good["proof"][-1]) + b"\x00")]},
         "a proof hash of 33 bytes")
bad_incl(["AUD-MRK-012"], {**good, "root": good["root"].rstrip("=")}, "root without base64 padding")
bad_incl(["AUD-MRK-012"], {**good, "root": good["root"] + "\n"}, "root with a trailing newline")
bad_incl(["AUD-MRK-012"], {**good, "root": odd_bits(good["root"])},
         "root whose last character carries non-zero padding bits (decodes to the same bytes)")
bad_incl(["AUD-MRK-006"], incl_input(1, 0) | {"proof": [b64(sha(b"x"))]}, "a one-entry tree needs an empty proof")

# ---------------------------------------------------------------- merkle.consistency (verify)


def cons_input(m: int, n: int) -> dict[str, Any]:
    d = entries(n)
    return {"oldSize": m, "newSize": n, "oldRoot": b64(mth(d[:m])), "newRoot": b64(mth(d)),
            "proof": [b64(h) for h in subproof(m, d, True)]}


for m, n in [(1, 2), (3, 7), (4, 8), (6, 13), (8, 13), (13, 21), (1, 21), (20, 21)]:
    case("cons", "merkle.consistency", ["AUD-MRK-008"], cons_input(m, n),
         f"RFC 9162 PROOF({m}, D[{n}]) verifies", expected={"verified": True})
case("cons", "merkle.consistency", ["AUD-MRK-010"], cons_input(7, 7),
     "equal sizes, equal roots, empty proof", expected={"verified": True})


def bad_cons(reqs: list[str], inp: dict[str, Any], comment: str) -> None:
    case("cons", "merkle.consistency", reqs, inp, comment, error=PROOF_INVALID)


good = cons_input(6, 13)
bad_cons(["AUD-MRK-008"], {**good, "proof": [good["proof"][0], b64(flip(base64.b64decode(good["proof"][1]), 7)),
                                              *good["proof"][2:]]}, "one bit of the second proof hash flipped")
bad_cons(["AUD-MRK-008"], {**good, "oldRoot": good["newRoot"], "newRoot": good["oldRoot"]}, "roots swapped")
bad_cons(["AUD-MRK-008"], {**good, "proof": good["proof"][:-1]}, "last proof hash removed")
bad_cons(["AUD-MRK-008"], {**good, "proof": [*good["proof"], good["newRoot"]]}, "new root appended to the proof")
bad_cons(["AUD-MRK-008"], {**good, "oldSize": 5}, "old size 5 with the proof and root of 6 (5 hashes expected, 4 given)")
bad_cons(["AUD-MRK-008"], {**good, "newSize": 7}, "new size 7 with the proof and root of 13 (4 hashes, 3 expected); "
         "a size between 9 and 16 would pass, as the size is bound to the root only by the checkpoint (note under AUD-MRK-008)")
bad_cons(["AUD-MRK-008"], {**good, "oldSize": 14}, "old size larger than new size")
bad_cons(["AUD-MRK-008"], {**cons_input(4, 8), "proof": []}, "an empty proof between different sizes")
bad_cons(["AUD-MRK-009"], {**good, "oldSize": 0, "oldRoot": b64(sha(b"")), "proof": []},
         "from the empty tree (0 to 13): refused even though every tree extends the empty one")
bad_cons(["AUD-MRK-009"], {**cons_input(7, 7), "oldSize": 0, "newSize": 0,
                           "oldRoot": b64(sha(b"")), "newRoot": b64(sha(b""))}, "0 to 0 is refused too")
bad_cons(["AUD-MRK-010"], {**cons_input(7, 7), "newRoot": b64(mth(entries(8)[1:]))}, "equal sizes, different roots")
bad_cons(["AUD-MRK-010"], {**cons_input(7, 7), "proof": [b64(mth(entries(7)))]}, "equal sizes, non-empty proof")
bad_cons(["AUD-MRK-011"], {**good, "oldRoot": b64(base64.b64decode(good["oldRoot"])[:16])}, "old root of 16 bytes")
bad_cons(["AUD-MRK-012"], {**good, "newRoot": base64.b64decode(good["newRoot"]).hex()}, "new root in hex, not base64")

# ---------------------------------------------------------------- proof generation
for n, m in [(1, 0), (5, 4), (7, 3), (13, 8), (21, 20)]:
    d = entries(n)
    case("gen", "merkle.inclusion_proof", ["AUD-MRK-005", "AUD-MRK-004"],
         {"leaves_hex": hexes(d), "leafIndex": m},
         f"RFC 9162 PATH({m}, D[{n}]), leaf side first",
         expected={"proof": [b64(h) for h in path(m, d)]})
for m, n in [(1, 5), (4, 7), (3, 13), (8, 21), (12, 13), (13, 13)]:
    d = entries(n)
    case("gen", "merkle.consistency_proof", ["AUD-MRK-007"] + (["AUD-MRK-010"] if m == n else []),
         {"leaves_hex": hexes(d), "oldSize": m},
         f"RFC 9162 PROOF({m}, D[{n}])" + (": empty for equal sizes" if m == n else ""),
         expected={"proof": [b64(h) for h in subproof(m, d, True)]})
for inp, why in [({"leaves_hex": hexes(entries(5)), "leafIndex": 5}, "index equal to the size"),
                 ({"leaves_hex": hexes(entries(5)), "leafIndex": -1}, "negative index"),
                 ({"leaves_hex": [], "leafIndex": 0}, "the empty tree has no leaves to prove")]:
    case("gen", "merkle.inclusion_proof", ["AUD-MRK-005"], inp, why, error=TREE_SIZE_INVALID)
for inp, why in [({"leaves_hex": hexes(entries(5)), "oldSize": 0}, "from the empty tree"),
                 ({"leaves_hex": hexes(entries(5)), "oldSize": 6}, "old size beyond the new size"),
                 ({"leaves_hex": [], "oldSize": 0}, "0 to 0")]:
    case("gen", "merkle.consistency_proof", ["AUD-MRK-007"], inp, why, error=TREE_SIZE_INVALID)


def main() -> None:
    doc = {
        "format": "aip-vectors/1",
        "area": "audit.merkle",
        "description": "RFC 9162 Merkle tree hashes, inclusion and consistency proofs of the "
                       "transparency log: roots, proof generation, and verification with the "
                       "edge conventions of AUD-MRK (size 0, equal sizes, 32-byte hashes, padded "
                       "base64). Expected values from tools/gen_merkle_vectors.py (hashlib only).",
        "cases": CASES,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(OUT.relative_to(OUT.parents[3]), len(CASES))


if __name__ == "__main__":
    main()
