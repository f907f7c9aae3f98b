"""The witness's rules (spec Part 11 §11.7): when a node cosigns a peer log's checkpoint.

Pure core.  A witness follows a set of logs, each known by its origin and note verifier key.
For each it remembers the last checkpoint it cosigned (size and root).  Asked to cosign a new
checkpoint, it checks, in this order [AUD-WIT-003]:

1. the note parses and names a log the witness follows (NOTE_MALFORMED, LOG_UNKNOWN);
2. the log's own signature verifies (NOTE_SIGNATURE_INVALID);
3. the request's ``old_size`` is the size the witness last cosigned, 0 if none
   (WITNESS_CONFLICT, whose ``data.size`` tells the log where the witness stands);
4. the tree did not shrink (TREE_SIZE_INVALID);
5. at equal size the roots are equal, a fork otherwise (CHECKPOINT_INCONSISTENT);
6. from a non-zero ``old_size``, the consistency proof verifies (PROOF_INVALID); from 0 the
   proof is empty.

Only then does :func:`review` return the new state and the cosignature.  The shell must store
the state durably before the cosignature leaves (AUD-WIT-005): a witness that forgets what it
cosigned could be led to cosign a fork.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aip.audit.checkpoint import Checkpoint, cosign, open_checkpoint, parse_checkpoint
from aip.audit.merkle import verify_consistency
from aip.audit.note import NoteSignature, NoteVerifier, parse_note
from aip.errors import AuditError, Code
from aip.identity.keys import SigningKey

__all__ = ["Cosigned", "Witnessed", "review"]


@dataclass(frozen=True, slots=True)
class Witnessed:
    """What the witness last cosigned for one log."""

    size: int
    root: bytes


@dataclass(frozen=True, slots=True)
class Cosigned:
    """The outcome of a successful review: the checkpoint, the state to store, the signature."""

    checkpoint: Checkpoint
    state: Witnessed
    signature: NoteSignature


def review(
    note: str | bytes,
    old_size: int,
    proof: Sequence[bytes],
    *,
    logs: Mapping[str, NoteVerifier],
    state: Witnessed | None,
    name: str,
    key: SigningKey,
    now: int,
) -> Cosigned:
    """Check a log's request to cosign ``note`` (see the module docstring); return the
    cosignature made as witness ``name`` with ``key`` at POSIX time ``now``.

    ``logs`` maps origin to the log's verifier; ``state`` is the stored :class:`Witnessed`
    of that origin (None if never cosigned).  Raises :class:`~aip.errors.AuditError` only.
    """
    origin = parse_checkpoint(parse_note(note).text).origin  # [AUD-WIT-003] step 1
    verifier = logs.get(origin)
    if verifier is None:
        raise AuditError(Code.LOG_UNKNOWN, "this witness does not follow that log")
    checkpoint, _ = open_checkpoint(note, verifier)  # step 2
    seen = state if state is not None else Witnessed(0, b"")
    if old_size != seen.size:  # step 3
        raise AuditError(
            Code.WITNESS_CONFLICT,
            "the old size is not the size this witness last cosigned",
            data={"size": seen.size},
        )
    if checkpoint.size < seen.size:  # step 4
        raise AuditError(Code.TREE_SIZE_INVALID, "the checkpoint is smaller than one cosigned")
    if checkpoint.size == seen.size and seen.size > 0:  # step 5
        if checkpoint.root != seen.root:
            raise AuditError(Code.CHECKPOINT_INCONSISTENT, "same size, another root: a fork")
        if proof:
            raise AuditError(Code.PROOF_INVALID, "equal sizes take an empty proof")
    elif seen.size == 0:  # step 6
        if proof:
            raise AuditError(Code.PROOF_INVALID, "a first checkpoint takes an empty proof")
    else:
        verify_consistency(seen.size, checkpoint.size, seen.root, checkpoint.root, proof)
    signature = cosign(checkpoint, name, key, now)
    return Cosigned(checkpoint, Witnessed(checkpoint.size, checkpoint.root), signature)
