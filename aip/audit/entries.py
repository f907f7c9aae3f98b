"""Log entries as salted commitments (spec Part 11 §11.5).

Pure core.  The transparency log never hashes an entry directly: its Merkle leaf is the
*commitment* ``SHA-256(salt || entry)`` under a fresh 32-byte salt that the node keeps beside the
entry.  Whoever holds the entry and its salt can recompute the leaf and check its inclusion;
once the node erases both, the leaf stays, every proof still verifies, and nobody can test a
guess of the erased entry against the commitment.

Call :func:`check_entry` before appending, :func:`commitment` to make the leaf data, and
:func:`check_opening` when a reader gets an entry back.  The caller draws salts (``secrets``).
"""

from __future__ import annotations

import hashlib

from aip.audit.merkle import leaf_hash
from aip.errors import AuditError, Code

__all__ = ["MAX_ENTRY", "SALT_SIZE", "check_entry", "check_opening", "commitment", "entry_leaf"]

MAX_ENTRY = 65536  # [AUD-LOG-002]
SALT_SIZE = 32  # [AUD-LOG-003]


def check_entry(entry: bytes) -> None:
    """Refuse an entry the log does not take: empty, or over :data:`MAX_ENTRY` bytes.

    Raises :class:`~aip.errors.AuditError` ENTRY_TOO_LARGE or RECORD_INVALID (empty).
    """
    if not entry:
        raise AuditError(Code.RECORD_INVALID, "an entry is at least one byte")
    if len(entry) > MAX_ENTRY:  # [AUD-LOG-002]
        raise AuditError(Code.ENTRY_TOO_LARGE, f"an entry is at most {MAX_ENTRY} bytes")


def commitment(salt: bytes, entry: bytes) -> bytes:
    """The Merkle leaf data of ``entry``: SHA-256(salt || entry) [AUD-LOG-003].

    Raises ``ValueError`` if ``salt`` is not :data:`SALT_SIZE` bytes (a local bug).
    """
    if len(salt) != SALT_SIZE:
        raise ValueError(f"a salt is {SALT_SIZE} bytes")
    return hashlib.sha256(salt + entry).digest()


def entry_leaf(salt: bytes, entry: bytes) -> bytes:
    """The Merkle leaf hash of ``entry`` under ``salt``."""
    return leaf_hash(commitment(salt, entry))


def check_opening(salt: bytes, entry: bytes, committed: bytes) -> None:
    """Check that ``entry`` and ``salt`` open the commitment ``committed`` [AUD-LOG-004].

    Raises :class:`~aip.errors.AuditError` ENTRY_MISMATCH when they do not (a changed entry, a
    changed salt, or a salt of the wrong size).
    """
    if len(salt) != SALT_SIZE or commitment(salt, entry) != committed:
        raise AuditError(Code.ENTRY_MISMATCH, "the entry and salt do not open the commitment")
