"""The transparency log's Merkle tree (aip.audit.merkle; spec AUD-MRK).

Public RFC 6962 / 9162 vectors from transparency-dev/merkle, exhaustive self-consistency for
every tree size up to 256, the appender against a brute-force enumeration, hypothesis over
larger sparse trees against a direct transcription of the RFC recursion, and our own vector
file through the conformance operations.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aip.audit import merkle
from aip.audit.merkle import (
    EMPTY_ROOT,
    Appender,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    subtree_ids,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)
from aip.errors import Code
from conformance.ops.merkle import OPERATIONS
from tests.helpers import code_of

SPEC = Path(__file__).resolve().parent.parent / "spec" / "vectors"
EXT = SPEC / "external" / "merkle"
INCLUSION = sorted((EXT / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((EXT / "consistency").rglob("*.json"))
OURS = json.loads((SPEC / "audit" / "merkle.json").read_text(encoding="utf-8"))

Id = tuple[int, int]


# ---------------------------------------------------------------- helpers


@cache
def leaf(i: int) -> bytes:
    """Deterministic leaf hash number ``i``."""
    return leaf_hash(i.to_bytes(8, "big"))


@cache
def node(level: int, index: int) -> bytes:
    """Hash of the complete subtree (level, index) over :func:`leaf`, computed on demand."""
    if level == 0:
        return leaf(index)
    return node_hash(node(level - 1, 2 * index), node(level - 1, 2 * index + 1))


class Reader:
    """A sparse node reader for the tree of the first ``size`` leaves; counts its calls and
    refuses any id outside the tree (so a proof cannot quietly read past the size)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.calls: list[list[Id]] = []

    def __call__(self, ids: Sequence[Id]) -> list[bytes]:
        self.calls.append(list(ids))
        for level, index in ids:
            assert level >= 0, level
            assert 0 <= index < (self.size >> level), (level, index)  # complete and inside
        return [node(level, index) for level, index in ids]


def leaves(n: int) -> list[bytes]:
    return [leaf(i) for i in range(n)]


def _store(hashes: Sequence[bytes]) -> tuple[Appender, Callable[[Sequence[Id]], list[bytes]]]:
    """Append ``hashes``; return the appender and a reader over the subtrees it reported."""
    appender = Appender()
    nodes: dict[Id, bytes] = {}
    for h in hashes:
        nodes.update(((lv, ix), value) for lv, ix, value in appender.append(h))
    return appender, lambda ids: [nodes[i] for i in ids]


def split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH over leaf hashes, transcribed literally."""
    if len(d) == 1:
        return []
    k = split(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), tree_hash(d[k:])]
    return [*ref_path(m - k, d[k:]), tree_hash(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], whole: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF over leaf hashes, transcribed literally."""
    if m == len(d):
        return [] if whole else [tree_hash(d)]
    k = split(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], whole), tree_hash(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), tree_hash(d[:k])]


def flipped(proof: list[bytes], at: int, byte: int = 0) -> list[bytes]:
    out = list(proof)
    value = bytearray(out[at])
    value[byte] ^= 0x80
    out[at] = bytes(value)
    return out


def invalid(fn: Callable[..., Any], *args: Any) -> None:
    assert code_of(fn, *args) == Code.PROOF_INVALID


# ---------------------------------------------------------------- public vectors


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


@pytest.mark.parametrize("path", INCLUSION, ids=lambda p: str(p.relative_to(EXT)))
def test_external_inclusion(path: Path) -> None:
    v = json.loads(path.read_text(encoding="utf-8"))
    args = (_b64(v["leafHash"]), v["leafIdx"], v["treeSize"],
            [_b64(p) for p in v["proof"] or []], _b64(v["root"]))  # fmt: skip
    if v["wantErr"]:
        invalid(verify_inclusion, *args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=lambda p: str(p.relative_to(EXT)))
def test_external_consistency(path: Path) -> None:
    v = json.loads(path.read_text(encoding="utf-8"))
    args = (v["size1"], v["size2"], _b64(v["root1"]), _b64(v["root2"]),
            [_b64(p) for p in v["proof"] or []])  # fmt: skip
    if v["wantErr"]:
        invalid(verify_consistency, *args)
    else:
        verify_consistency(*args)


def test_external_sets_are_complete() -> None:
    assert len(INCLUSION) == 49
    assert len(CONSISTENCY) == 49
    for paths, passing in [(INCLUSION, 3), (CONSISTENCY, 4)]:  # both sides are exercised
        wanted = [json.loads(p.read_text(encoding="utf-8"))["wantErr"] for p in paths]
        assert wanted.count(False) == passing
        assert wanted.count(True) == 49 - passing


def test_reference_leaves_roots() -> None:
    ref = json.loads((EXT / "reference-leaves-roots.json").read_text(encoding="utf-8"))
    hashed = [leaf_hash(bytes.fromhex(x)) for x in ref["leaf_inputs_hex"]]
    assert [h.hex() for h in hashed] == ref["leaf_hashes_hex"]
    assert len(ref["roots_hex_by_tree_size"]) == 9
    for row in ref["roots_hex_by_tree_size"]:
        n = row["tree_size"]
        assert tree_hash(hashed[:n]).hex() == row["root_hex"]
        appender, read = _store(hashed[:n])
        assert appender.root().hex() == row["root_hex"]
        assert root_hash(n, read).hex() == row["root_hex"]
    assert EMPTY_ROOT.hex() == ref["roots_hex_by_tree_size"][0]["root_hex"]
    appender = Appender()
    nodes: dict[Id, bytes] = {}
    for h in hashed:
        nodes.update(((lv, ix), value) for lv, ix, value in appender.append(h))
    levels = ref["node_hashes_hex_by_level"]
    names = ["level0_leaf_hashes", "level1_pairs", "level2_quads", "level3_all8"]
    for level, key in enumerate(names):
        for index, want in enumerate(levels[key]):
            assert nodes[(level, index)].hex() == want
            assert tree_hash(hashed[index << level : (index + 1) << level]).hex() == want
    assert len(nodes) == 15


# ---------------------------------------------------------------- hashing and subtree ids


def test_hash_prefixes() -> None:
    a, b = b"\x11" * 32, b"\x22" * 32
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert node_hash(a, b) != node_hash(b, a)
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert tree_hash([]) == EMPTY_ROOT
    assert tree_hash([a]) == a  # a one-leaf tree is its leaf hash, not hashed again
    assert tree_hash([a, b, a]) == node_hash(node_hash(a, b), a)


def test_subtree_ids_exhaustive() -> None:
    for start in range(65):
        for end in range(start, 65):
            ids = subtree_ids(start, end)
            covered = [i for lv, ix in ids for i in range(ix << lv, (ix + 1) << lv)]
            assert covered == list(range(start, end))
            for lv, ix in ids:  # maximal: the parent of each would stick out of the range
                parent = ix >> 1
                assert parent << (lv + 1) < start or (parent + 1) << (lv + 1) > end
            assert len(ids) <= 2 * max(1, (end - start).bit_length())
    assert merkle.needed_for_root(13) == [(3, 0), (2, 2), (0, 12)]
    assert merkle.needed_for_root(0) == []
    assert subtree_ids(5, 13) == [(0, 5), (1, 3), (2, 2), (0, 12)]


@pytest.mark.parametrize("bad", [(-1, 3), (4, 3), (True, 3), (0, -1)])
def test_subtree_ids_refuses_bad_ranges(bad: tuple[int, int]) -> None:
    assert code_of(subtree_ids, *bad) == Code.TREE_SIZE_INVALID


def test_encode_decode_hash() -> None:
    h = leaf_hash(b"x")
    text = merkle.encode_hash(h)
    assert len(text) == 44
    assert text.endswith("=")
    assert merkle.decode_hash(text) == h
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    odd = text[:42] + alphabet[alphabet.index(text[42]) | 1] + "="
    assert base64.b64decode(odd) == h  # lenient decoders accept it; we do not
    for bad in [text.rstrip("="), text + "\n", odd, h.hex(), "", None, 44, text.replace("A", "-"),
                merkle.encode_hash(h[:31]), merkle.encode_hash(h + b"\0")[:44], "é" * 44]:
        if bad != text:
            assert code_of(merkle.decode_hash, bad) == Code.PROOF_INVALID, bad


# ---------------------------------------------------------------- exhaustive sizes 1..256


def test_every_size_up_to_256() -> None:
    appender = Appender()
    for size in range(1, 257):
        appender.append(leaf(size - 1))
        want = tree_hash(leaves(size))
        reader = Reader(size)
        assert appender.root() == want == root_hash(size, reader)
        assert len(reader.calls) == 1
        for index in range(size):
            reader = Reader(size)
            proof = inclusion_proof(index, size, reader)
            assert len(reader.calls) <= 1
            verify_inclusion(leaf(index), index, size, proof, want)
        for old in range(1, size + 1):
            reader = Reader(size)
            proof = consistency_proof(old, size, reader)
            assert len(reader.calls) == (0 if old == size else 1)
            verify_consistency(old, size, node_root(old), want, proof)


@cache
def node_root(size: int) -> bytes:
    return tree_hash(leaves(size))


def test_proofs_match_the_rfc_recursion() -> None:
    for size in range(1, 70):
        d = leaves(size)
        for index in range(size):
            assert inclusion_proof(index, size, Reader(size)) == ref_path(index, d)
        for old in range(1, size + 1):
            assert consistency_proof(old, size, Reader(size)) == ref_subproof(old, d, True)


def test_negatives_sampled() -> None:
    """Flipped bytes, wrong indices and shape-changing sizes fail, for a sample of every size."""
    for size in range(1, 257):
        root = node_root(size)
        for index in sorted({0, size // 3, size // 2, size - 1}):
            proof = inclusion_proof(index, size, Reader(size))
            for at in range(len(proof)):
                bad = flipped(proof, at, at % 32)
                invalid(verify_inclusion, leaf(index), index, size, bad, root)
            invalid(verify_inclusion, flipped([leaf(index)], 0)[0], index, size, proof, root)
            invalid(verify_inclusion, leaf(index), index, size, proof, flipped([root], 0, 31)[0])
            for other in {index - 1, index + 1, index ^ 1, index ^ 2}:
                if 0 <= other < size and other != index:
                    invalid(verify_inclusion, leaf(index), other, size, proof, root)
            invalid(verify_inclusion, leaf(index), index, index, proof, root)
            for other_size in {size + 1, size * 2, size // 2, size - 1}:
                if other_size > index and len(
                    inclusion_proof(index, other_size, Reader(other_size))
                ) != len(proof):
                    invalid(verify_inclusion, leaf(index), index, other_size, proof, root)
            invalid(verify_inclusion, leaf(index), index, size, [*proof, root], root)
            if proof:
                invalid(verify_inclusion, leaf(index), index, size, proof[:-1], root)
        for old in sorted({1, size // 3 or 1, size // 2 or 1, size - 1 or 1}):
            if old == size:
                continue
            proof = consistency_proof(old, size, Reader(size))
            old_root = node_root(old)
            for at in range(len(proof)):
                bad = flipped(proof, at, 31 - at % 32)
                invalid(verify_consistency, old, size, old_root, root, bad)
            invalid(verify_consistency, old, size, flipped([old_root], 0)[0], root, proof)
            invalid(verify_consistency, old, size, old_root, flipped([root], 0)[0], proof)
            invalid(verify_consistency, old, size, root, old_root, proof)
            invalid(verify_consistency, old, size, old_root, root, proof[:-1])
            invalid(verify_consistency, old, size, old_root, root, [*proof, root])
            for other in {old - 1, old + 1}:
                if 0 < other < size and other != old:
                    invalid(verify_consistency, other, size, old_root, root, proof)


def test_size_is_bound_only_through_the_root() -> None:
    # Why a verifier takes size and root from ONE checkpoint: a proof checks the path's shape,
    # and trees of different sizes can share a shape.  (0 in 3) verifies as (0 in 4), and
    # (6 -> 13) as (6 -> 12), against the roots of the real sizes.
    verify_inclusion(leaf(0), 0, 4, inclusion_proof(0, 3, Reader(3)), node_root(3))
    verify_consistency(6, 12, node_root(6), node_root(13), consistency_proof(6, 13, Reader(13)))


# ---------------------------------------------------------------- generation and verification edges


@pytest.mark.parametrize(
    ("index", "size"), [(0, 0), (3, 3), (4, 3), (-1, 3), (0, -1), (True, 3), (0, 2.0)]
)
def test_inclusion_proof_refuses_bad_sizes(index: Any, size: Any) -> None:
    assert code_of(inclusion_proof, index, size, Reader(0)) == Code.TREE_SIZE_INVALID


@pytest.mark.parametrize(("old", "new"), [(0, 0), (0, 5), (6, 5), (-1, 5), (2, -1), (1, True)])
def test_consistency_proof_refuses_bad_sizes(old: Any, new: Any) -> None:
    assert code_of(consistency_proof, old, new, Reader(5)) == Code.TREE_SIZE_INVALID


def test_root_hash_edges() -> None:
    assert root_hash(0, Reader(0)) == EMPTY_ROOT
    assert code_of(root_hash, -1, Reader(0)) == Code.TREE_SIZE_INVALID
    with pytest.raises(ValueError, match="node reader"):
        root_hash(3, lambda ids: [b"\0" * 32])  # the store answered too few hashes
    with pytest.raises(ValueError, match="node reader"):
        inclusion_proof(0, 2, lambda ids: [b"\0" * 31])


def test_verification_edges() -> None:
    root3, root4 = node_root(3), node_root(4)
    proof = consistency_proof(3, 4, Reader(4))
    verify_consistency(3, 3, root3, root3, [])
    invalid(verify_consistency, 3, 3, root3, root3, [root3])
    invalid(verify_consistency, 3, 3, root3, root4, [])
    invalid(verify_consistency, 0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    invalid(verify_consistency, 0, 4, EMPTY_ROOT, root4, [])
    invalid(verify_consistency, 4, 3, root4, root3, proof)
    invalid(verify_consistency, 3, 4, root3, root4, [])
    invalid(verify_consistency, 3, 4, root3[:31], root4, proof)
    invalid(verify_consistency, 3, 4, root3, root4, [*proof[:-1], proof[-1] + b"\0"])
    invalid(verify_consistency, 3, 3, b"\1" * 12, b"\1" * 12, [])  # equal, but not hashes
    invalid(verify_consistency, True, 4, root3, root4, proof)
    invalid(verify_inclusion, leaf(0), 0, 1, [], root3)
    verify_inclusion(leaf(0), 0, 1, [], leaf(0))
    invalid(verify_inclusion, leaf(0), 0, 0, [], EMPTY_ROOT)
    invalid(verify_inclusion, leaf(0)[:31], 0, 1, [], leaf(0)[:31])
    invalid(verify_inclusion, leaf(0), -1, 1, [], leaf(0))
    invalid(verify_inclusion, "x" * 32, 0, 1, [], leaf(0))


class SparseTree:
    """A huge tree whose leaves are all one filler hash except at a few marked indices, so any
    subtree hash costs O(marks x depth) to compute, yet every subtree is a real node hash."""

    def __init__(self, marks: set[int]) -> None:
        self.marks = sorted(marks)
        self.filler = [leaf_hash(b"filler")]
        for _ in range(40):
            self.filler.append(node_hash(self.filler[-1], self.filler[-1]))
        self.calls: list[list[Id]] = []

    @cache  # noqa: B019 - one small tree per test
    def node(self, level: int, index: int) -> bytes:
        lo, hi = index << level, (index + 1) << level
        if not any(lo <= m < hi for m in self.marks):
            return self.filler[level]
        if level == 0:
            return leaf_hash(index.to_bytes(8, "big"))
        return node_hash(self.node(level - 1, 2 * index), self.node(level - 1, 2 * index + 1))

    def reader(self, size: int) -> Callable[[Sequence[Id]], list[bytes]]:
        def read(ids: Sequence[Id]) -> list[bytes]:
            self.calls.append(list(ids))
            assert all((ix + 1) << lv <= size for lv, ix in ids)
            return [self.node(lv, ix) for lv, ix in ids]

        return read


def test_reads_are_batched_and_logarithmic() -> None:
    size = 1_000_003
    marks = {0, 1, 524_287, 524_288, 777_776, 999_999, size - 1}
    tree = SparseTree(marks)
    root = root_hash(size, tree.reader(size))
    for index in sorted(marks):
        tree.calls.clear()
        proof = inclusion_proof(index, size, tree.reader(size))
        assert len(tree.calls) == 1
        assert len(tree.calls[0]) <= 2 * size.bit_length()
        verify_inclusion(tree.node(0, index), index, size, proof, root)
        invalid(verify_inclusion, tree.node(0, index), index ^ 1, size, proof, root)
    for old in (1, 524_288, 777_777, size - 1):
        tree.calls.clear()
        proof = consistency_proof(old, size, tree.reader(size))
        assert len(tree.calls) == 1
        assert len(tree.calls[0]) <= 3 * size.bit_length()
        verify_consistency(old, size, root_hash(old, tree.reader(old)), root, proof)
        invalid(verify_consistency, old, size, root_hash(old, tree.reader(old)), root, proof[1:])


# ---------------------------------------------------------------- appender


def complete_ids(size: int) -> set[Id]:
    return {(lv, ix) for lv in range(size.bit_length()) for ix in range(size >> lv)}


def test_appender_reports_exactly_the_new_subtrees() -> None:
    appender = Appender()
    for size in range(300):
        made = appender.append(leaf(size))
        assert made[0] == (0, size, leaf(size))
        assert [lv for lv, _, _ in made] == list(range(len(made)))  # leaf first, then upwards
        assert {(lv, ix) for lv, ix, _ in made} == complete_ids(size + 1) - complete_ids(size)
        for lv, ix, value in made:
            assert value == tree_hash(leaves(size + 1)[ix << lv : (ix + 1) << lv])
        assert appender.size == size + 1
        assert len(appender.edge) == (size + 1).bit_count()
        assert list(appender.edge) == [node(lv, ix) for lv, ix in subtree_ids(0, size + 1)]


def test_appender_resumes_from_size_and_edge() -> None:
    for size in [*range(40), 255, 256, 1000, 1023, 1024]:
        first = Appender()
        for i in range(size):
            first.append(leaf(i))
        second = Appender(size, [node(lv, ix) for lv, ix in subtree_ids(0, size)])
        assert second.edge == first.edge
        assert second.root() == first.root()
        for i in range(size, size + 20):
            assert second.append(leaf(i)) == first.append(leaf(i))
            assert second.root() == first.root()


def test_appender_refuses_an_edge_that_does_not_fit() -> None:
    assert Appender().root() == EMPTY_ROOT
    assert Appender().edge == ()
    for size, edge in [(3, [leaf(0)]), (1, []), (-1, []), (2, [leaf(0), leaf(1)])]:
        with pytest.raises(ValueError, match="set bit"):
            Appender(size, edge)
    with pytest.raises(ValueError, match="32 bytes"):
        Appender(1, [b"x"])
    with pytest.raises(ValueError, match="32 bytes"):
        Appender().append(b"short")


# ---------------------------------------------------------------- hypothesis, larger sparse trees


@settings(max_examples=40)
@given(st.integers(1, 4000), st.data())
def test_random_large_trees(size: int, data: st.DataObject) -> None:
    root = root_hash(size, Reader(size))
    assert root == node_root(size)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, Reader(size))
    verify_inclusion(leaf(index), index, size, proof, root)
    if size <= 600:
        assert proof == ref_path(index, leaves(size))
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        invalid(verify_inclusion, leaf(index), index, size, flipped(proof, at), root)
    old = data.draw(st.integers(1, size))
    cproof = consistency_proof(old, size, Reader(size))
    verify_consistency(old, size, node_root(old), root, cproof)
    if size <= 600:
        assert cproof == ref_subproof(old, leaves(size), True)
    if cproof:
        at = data.draw(st.integers(0, len(cproof) - 1))
        invalid(verify_consistency, old, size, node_root(old), root, flipped(cproof, at, 5))


# ---------------------------------------------------------------- our vectors through the ops


def test_vector_file_uses_every_operation() -> None:
    assert OURS["format"] == "aip-vectors/1"
    assert OURS["area"].split(".")[0] == "audit"
    assert {c["operation"] for c in OURS["cases"]} == set(OPERATIONS)
    assert {c["error"] for c in OURS["cases"] if c["verdict"] == "invalid"} == {-34105, -34106}
