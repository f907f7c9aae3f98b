"""The Merkle tree of a transparency log: RFC 6962 / RFC 9162 hashing, proofs and appending.

Pure core (``hashlib`` only).  The tree is stored as the hashes of its *complete* subtrees,
named ``(level, index)``: the subtree covering leaves ``[index << level, (index + 1) << level)``;
level 0 holds the leaf hashes.  Nothing here keeps the tree itself: proof generation gets the
hashes it needs from a :data:`NodeReader` (the SQLite store answers one batch with one query),
and :class:`Appender` keeps only the right edge to tell the store which subtrees each new leaf
completes.

* Hash an entry with :func:`leaf_hash`; hash a tree the slow, obvious way with :func:`tree_hash`.
* Serve proofs with :func:`root_hash`, :func:`inclusion_proof` and :func:`consistency_proof`:
  each works out the subtree ids first, reads them in one call, then folds, so a proof costs
  O(log n) reads and hashes at any tree size.
* Check proofs with :func:`verify_inclusion` and :func:`verify_consistency`.

A bad size or index on the generating side raises :class:`~aip.errors.AuditError` with
``TREE_SIZE_INVALID`` (-34105); every verification failure raises ``PROOF_INVALID`` (-34106).
Local misuse that no peer can cause (a reader answering with the wrong number of hashes, an
:class:`Appender` given an edge that does not fit its size) raises ``ValueError``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence

from aip.errors import AuditError, Code

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Appender",
    "NodeReader",
    "consistency_proof",
    "decode_hash",
    "encode_hash",
    "inclusion_proof",
    "leaf_hash",
    "needed_for_root",
    "node_hash",
    "root_hash",
    "subtree_ids",
    "tree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # [AUD-MRK-003]
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

NodeReader = Callable[[Sequence[tuple[int, int]]], Sequence[bytes]]
"""Answers a batch of ``(level, index)`` ids with the hashes of those complete subtrees, in
order; called once per proof or root."""

SubtreeId = tuple[int, int]


# ---------------------------------------------------------------- hashing


def leaf_hash(data: bytes) -> bytes:
    """The hash of one log entry: SHA-256(0x00 || data) [AUD-MRK-001]."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 || left || right) [AUD-MRK-002]."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def tree_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """The reference Merkle tree hash over ``leaf_hashes`` (already leaf-hashed) [AUD-MRK-003].

    Splits at the largest power of two below the size, recursively; :data:`EMPTY_ROOT` for no
    leaves.  O(n) hashes: use it to check, not to serve.
    """

    def mth(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return leaf_hashes[lo]
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        return node_hash(mth(lo, lo + k), mth(lo + k, hi))

    return mth(0, len(leaf_hashes)) if leaf_hashes else EMPTY_ROOT


def encode_hash(value: bytes) -> str:
    """A hash as it travels: standard base64 with padding, 44 characters [AUD-MRK-012]."""
    return base64.b64encode(value).decode("ascii")


def decode_hash(text: object) -> bytes:
    """Decode a hash from the wire; raises ``PROOF_INVALID`` unless ``text`` is the exact
    padded standard base64 of 32 bytes [AUD-MRK-012]."""
    if not isinstance(text, str) or len(text) != 44 or not text.isascii():
        raise AuditError(Code.PROOF_INVALID, "a hash is 44 characters of padded base64")
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise AuditError(Code.PROOF_INVALID, "a hash is not valid base64") from None
    if len(value) != HASH_SIZE or encode_hash(value) != text:
        raise AuditError(Code.PROOF_INVALID, "a hash is not the canonical base64 of 32 bytes")
    return value


# ---------------------------------------------------------------- subtree arithmetic


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _bad_size(why: str) -> AuditError:
    return AuditError(Code.TREE_SIZE_INVALID, why)


def subtree_ids(start: int, end: int) -> list[SubtreeId]:
    """The maximal complete aligned subtrees that exactly cover leaves ``[start, end)``.

    Left to right; empty when ``start == end``.  Raises ``TREE_SIZE_INVALID`` for a negative or
    reversed range.
    """
    if not (_is_size(start) and _is_size(end)) or end < start:
        raise _bad_size("a leaf range must satisfy 0 <= start <= end")
    return _ids(start, end)


def _ids(start: int, end: int) -> list[SubtreeId]:
    """:func:`subtree_ids` without the checks: greedily the widest aligned block that fits."""
    out: list[SubtreeId] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        out.append((level, start >> level))
        start += 1 << level
    return out


def needed_for_root(size: int) -> list[SubtreeId]:
    """The ids whose hashes :func:`root_hash` folds: the complete subtrees of ``[0, size)``."""
    return subtree_ids(0, size)


def _fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range that starts on a boundary aligned to its own width, given its
    complete subtrees left to right (widths strictly decreasing): fold from the right."""
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def _read_groups(groups: Sequence[Sequence[SubtreeId]], read: NodeReader) -> list[bytes]:
    """One hash per group of subtree ids (each group folded), read with ONE call to ``read``."""
    flat = [node for group in groups for node in group]
    hashes = list(read(flat)) if flat else []
    if len(hashes) != len(flat) or not set(map(len, hashes)) <= {HASH_SIZE}:
        raise ValueError("the node reader must answer every id with one 32-byte hash")
    out: list[bytes] = []
    pos = 0
    for group in groups:
        end = pos + len(group)
        out.append(hashes[pos] if end == pos + 1 else _fold(hashes[pos:end]))
        pos = end
    return out


# ---------------------------------------------------------------- proofs from a store


def root_hash(size: int, read: NodeReader) -> bytes:
    """The root of the first ``size`` leaves [AUD-MRK-003]; :data:`EMPTY_ROOT` for 0.

    Reads the at most log2(size) + 1 subtrees of :func:`needed_for_root` in one call.
    Raises ``TREE_SIZE_INVALID`` for a negative size.
    """
    if not _is_size(size):
        raise _bad_size("a tree size is a non-negative integer")
    return _read_groups([_ids(0, size)], read)[0] if size else EMPTY_ROOT


def _inclusion_plan(index: int, size: int) -> list[list[SubtreeId]]:
    """The audit path of ``index`` as groups of subtree ids, bottom-up [AUD-MRK-005].

    At each level the sibling of the node holding ``index`` is one complete subtree, or (at
    most once, on the right edge) a truncated range folded from its complete subtrees; a
    sibling starting past the end is absent, and the node is promoted unchanged.
    """
    plan: list[list[SubtreeId]] = []
    level = 0
    while (1 << level) < size:
        sibling = (index >> level) ^ 1
        lo, hi = sibling << level, (sibling + 1) << level
        if hi <= size:
            plan.append([(level, sibling)])
        elif lo < size:
            plan.append(_ids(lo, size))
        level += 1
    return plan


def _inclusion_length(index: int, size: int) -> int:
    """How many hashes the audit path of ``index`` in a tree of ``size`` has (size > index)."""
    inner = (index ^ (size - 1)).bit_length()  # levels below the split from the right edge
    return inner + (index >> inner).bit_count()


def inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    """The RFC 9162 §2.1.3.1 inclusion proof of leaf ``index`` in the tree of ``size`` leaves.

    Call it for a size the log has reached.  Returns the audit path, leaf side first
    [AUD-MRK-005]; empty for a one-leaf tree.  Raises ``TREE_SIZE_INVALID`` unless
    ``0 <= index < size``.
    """
    if not (_is_size(index) and _is_size(size)) or index >= size:
        raise _bad_size("an inclusion proof needs 0 <= index < size")
    return _read_groups(_inclusion_plan(index, size), read)


def _consistency_plan(old_size: int, new_size: int) -> list[list[SubtreeId]]:
    """RFC 9162 SUBPROOF(old, D[new], true) as groups of subtree ids, in proof order."""
    top_down: list[list[SubtreeId]] = []
    lo, m, n, whole = 0, old_size, new_size, True
    while m != n:
        k = 1 << ((n - 1).bit_length() - 1)  # largest power of two below n
        if m <= k:  # the old tree lies in the left half: the right half is a proof node
            top_down.append(_ids(lo + k, lo + n))
            n = k
        else:  # the left half is complete and common to both trees
            level = k.bit_length() - 1
            top_down.append([(level, lo >> level)])
            lo, m, n, whole = lo + k, m - k, n - k, False
    if not whole:  # the old tree is not itself a node of the path: name the subtree it ends in
        top_down.append(_ids(lo, lo + n))
    top_down.reverse()
    return top_down


def _consistency_length(old_size: int, new_size: int) -> int:
    """How many hashes :func:`_consistency_plan` has, without building it (old < new)."""
    count, m, n, whole = 0, old_size, new_size, True
    while m != n:
        k = 1 << ((n - 1).bit_length() - 1)
        if m <= k:
            n = k
        else:
            m, n, whole = m - k, n - k, False
        count += 1
    return count + (not whole)


def consistency_proof(old_size: int, new_size: int, read: NodeReader) -> list[bytes]:
    """The RFC 9162 §2.1.4.1 proof that the tree of ``new_size`` extends that of ``old_size``.

    Returns ``[]`` when the sizes are equal [AUD-MRK-010].  Raises ``TREE_SIZE_INVALID`` unless
    ``0 < old_size <= new_size``: a proof from the empty tree proves nothing and is refused
    [AUD-MRK-007].
    """
    if not (_is_size(old_size) and _is_size(new_size)) or not 0 < old_size <= new_size:
        raise _bad_size("a consistency proof needs 0 < old_size <= new_size")
    return _read_groups(_consistency_plan(old_size, new_size), read)


# ---------------------------------------------------------------- verification


def _bad_proof(why: str) -> AuditError:
    return AuditError(Code.PROOF_INVALID, why)


def _check_hashes(*hashes: object) -> None:
    for value in hashes:  # [AUD-MRK-011]
        if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
            raise _bad_proof("every hash is exactly 32 bytes")


def _climb(fn: int, sn: int) -> tuple[int, int]:
    """Shift both node numbers right until ``fn`` is a right child or the root of its path."""
    while not fn & 1 and fn:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` (a LEAF HASH) sits at ``index`` in the tree of ``size`` with ``root``.

    RFC 9162 §2.1.3.2 [AUD-MRK-006].  Returns nothing on success; raises ``PROOF_INVALID`` for
    ``index >= size``, a proof of the wrong length, any hash not 32 bytes, or a mismatch.
    """
    if not (_is_size(index) and _is_size(size)) or index >= size:
        raise _bad_proof("inclusion needs 0 <= index < size")
    _check_hashes(leaf, root, *proof)
    if len(proof) != _inclusion_length(index, size):
        raise _bad_proof("the proof has the wrong length for this index and size")
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            raise _bad_proof("the proof is longer than the path")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _climb(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != root:
        raise _bad_proof("the proof does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` with ``new_root`` extends the one of ``old_size``.

    RFC 9162 §2.1.4.2 [AUD-MRK-008].  Returns nothing on success; raises ``PROOF_INVALID`` for
    ``old_size > new_size``, ``old_size == 0`` (even 0 to 0) [AUD-MRK-009], equal sizes with a
    non-empty proof or different roots [AUD-MRK-010], a proof of the wrong length, any hash not
    32 bytes [AUD-MRK-011], or a mismatch.
    """
    if not (_is_size(old_size) and _is_size(new_size)) or old_size > new_size:
        raise _bad_proof("consistency needs old_size <= new_size")
    if old_size == 0:
        raise _bad_proof("consistency from the empty tree is refused")
    _check_hashes(old_root, new_root, *proof)
    if old_size == new_size:
        if proof or old_root != new_root:
            raise _bad_proof("equal sizes need an empty proof and equal roots")
        return
    if len(proof) != _consistency_length(old_size, new_size):
        raise _bad_proof("the proof has the wrong length for these sizes")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # the old tree is a node: its root starts the path
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise _bad_proof("the proof is longer than the path")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            fn, sn = _climb(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise _bad_proof("the proof does not join the two roots")


# ---------------------------------------------------------------- appending


class Appender:
    """Incremental tree: keeps the hashes of the maximal complete subtrees of the right edge.

    Build it empty, or from a stored ``(size, edge)`` where ``edge`` holds the hashes of
    :func:`subtree_ids(0, size) <subtree_ids>` in order.  Raises ``ValueError`` when the edge
    does not fit the size (a store bug, not peer input).
    """

    __slots__ = ("_edge", "_size")

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        if not _is_size(size) or len(edge) != size.bit_count():
            raise ValueError("the edge must hold one hash per set bit of the size")
        if any(not isinstance(h, bytes) or len(h) != HASH_SIZE for h in edge):
            raise ValueError("edge hashes are 32 bytes")
        self._size = size
        self._edge = list(edge)

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    @property
    def edge(self) -> tuple[bytes, ...]:
        """The hashes of ``subtree_ids(0, size)``, left to right: store them to resume."""
        return tuple(self._edge)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one LEAF HASH [AUD-MRK-004]; return every complete subtree it completes.

        As ``(level, index, hash)``, the leaf itself first as ``(0, size_before, leaf)``, then
        upwards.  Raises ``ValueError`` for a hash that is not 32 bytes.
        """
        if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        index, level, acc = self._size, 0, leaf
        made = [(0, index, leaf)]
        while index & 1:  # each trailing 1 bit of the old size is a left sibling to merge
            acc = node_hash(self._edge.pop(), acc)
            index, level = index >> 1, level + 1
            made.append((level, index, acc))
        self._edge.append(acc)
        self._size += 1
        return made

    def root(self) -> bytes:
        """The current root [AUD-MRK-003], O(log n); :data:`EMPTY_ROOT` when empty."""
        return _fold(self._edge) if self._edge else EMPTY_ROOT
