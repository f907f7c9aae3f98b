"""Vector operations for the transparency log's Merkle tree (``spec/11-audit.md``, AUD-MRK).

Each operation adapts one vector ``input`` object to :mod:`aip.audit.merkle`.  Hashes travel
as padded standard base64 (as in a C2SP checkpoint) and are decoded with
:func:`aip.audit.merkle.decode_hash`, so a malformed hash is the library's ``PROOF_INVALID``
too; entries for building a tree arrive as lowercase hex in ``leaves_hex``.  Trees are built
the way a log builds them: leaf hashes through :class:`~aip.audit.merkle.Appender`, whose
subtrees fill a dictionary that stands in for the store.  Library errors propagate as
:class:`aip.errors.AuditError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aip.audit import merkle

__all__ = ["OPERATIONS"]


def _hashes(values: Any) -> list[bytes]:
    return [merkle.decode_hash(v) for v in values]


def _build(leaves_hex: Sequence[str]) -> tuple[merkle.Appender, merkle.NodeReader]:
    """Append every entry; return the appender and a reader over the subtrees it reported."""
    appender = merkle.Appender()
    nodes: dict[tuple[int, int], bytes] = {}
    for entry in leaves_hex:
        for level, index, value in appender.append(merkle.leaf_hash(bytes.fromhex(entry))):
            nodes[(level, index)] = value

    def read(ids: Sequence[tuple[int, int]]) -> list[bytes]:
        return [nodes[node] for node in ids]

    return appender, read


def root(data: dict[str, Any]) -> dict[str, Any]:
    """Root of the tree over the entries ``leaves_hex``: served from the store, from the
    appender's edge, and by the reference recursion (all three must agree)."""
    leaves = data["leaves_hex"]
    appender, read = _build(leaves)
    reference = merkle.tree_hash([merkle.leaf_hash(bytes.fromhex(e)) for e in leaves])
    return {
        "root_hex": merkle.root_hash(len(leaves), read).hex(),
        "appender_root_hex": appender.root().hex(),
        "tree_hash_hex": reference.hex(),
    }


def inclusion(data: dict[str, Any]) -> dict[str, Any]:
    """Verify the inclusion proof of ``leafHash`` at ``leafIndex`` in ``treeSize`` / ``root``."""
    merkle.verify_inclusion(
        merkle.decode_hash(data["leafHash"]),
        data["leafIndex"],
        data["treeSize"],
        _hashes(data["proof"]),
        merkle.decode_hash(data["root"]),
    )
    return {"verified": True}


def consistency(data: dict[str, Any]) -> dict[str, Any]:
    """Verify that ``newSize`` / ``newRoot`` extends ``oldSize`` / ``oldRoot`` by ``proof``."""
    merkle.verify_consistency(
        data["oldSize"],
        data["newSize"],
        merkle.decode_hash(data["oldRoot"]),
        merkle.decode_hash(data["newRoot"]),
        _hashes(data["proof"]),
    )
    return {"verified": True}


def inclusion_proof(data: dict[str, Any]) -> dict[str, Any]:
    """The inclusion proof of entry ``leafIndex`` in the tree over all of ``leaves_hex``."""
    leaves = data["leaves_hex"]
    _, read = _build(leaves)
    proof = merkle.inclusion_proof(data["leafIndex"], len(leaves), read)
    return {"proof": [merkle.encode_hash(h) for h in proof]}


def consistency_proof(data: dict[str, Any]) -> dict[str, Any]:
    """The consistency proof from ``oldSize`` to the tree over all of ``leaves_hex``."""
    leaves = data["leaves_hex"]
    _, read = _build(leaves)
    proof = merkle.consistency_proof(data["oldSize"], len(leaves), read)
    return {"proof": [merkle.encode_hash(h) for h in proof]}


OPERATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "merkle.root": root,
    "merkle.inclusion": inclusion,
    "merkle.consistency": consistency,
    "merkle.inclusion_proof": inclusion_proof,
    "merkle.consistency_proof": consistency_proof,
}
