"""Audit bundles: a log exported whole, and its verification by a third party (Part 11 §11.10).

Pure core.  A bundle (format ``aip-audit-bundle/1``) is one JSON object::

    {"format": "aip-audit-bundle/1", "origin": <log origin>, "logKey": <vkey>,
     "checkpoints": [<signed note>, ...],            # smallest tree first
     "leaves": [<base64 commitment>, ...],           # every leaf, index order
     "entries": [{"index": n, "salt": <base64>, "entry": <base64 bytes>}, ...],
     "keys": {<kid>: <base64url Ed25519 public key>}}  # signers of the records

:func:`verify_bundle` trusts nothing in it except what the reader pins (the log key, witness
keys): it checks every checkpoint's signature, recomputes the tree from the leaves and
compares each checkpoint's root (a changed, truncated or forked log fails here), opens every
entry against its leaf (a changed entry fails here), verifies each record's signature, and
counts witness cosignatures on the latest checkpoint.  The first failure raises
:class:`~aip.errors.AuditError` (or the Part 3 code of a bad record signature) naming it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aip.audit.checkpoint import Checkpoint, open_checkpoint, require_cosignatures
from aip.audit.entries import check_opening
from aip.audit.merkle import Appender, decode_hash, encode_hash, leaf_hash
from aip.audit.note import NoteVerifier, parse_vkey
from aip.audit.records import verify_record
from aip.codec import parse
from aip.errors import AipError, AuditError, Code
from aip.identity.keys import VerifyKey, b64url_decode

__all__ = ["FORMAT", "BundleReport", "make_bundle", "verify_bundle"]

FORMAT = "aip-audit-bundle/1"
_MEMBERS = frozenset({"format", "origin", "logKey", "checkpoints", "leaves", "entries", "keys"})


@dataclass(frozen=True, slots=True)
class BundleReport:
    """What a bundle was found to hold, once every check passed."""

    origin: str
    size: int
    checkpoints: int
    entries: int
    erased: int
    cosigners: tuple[str, ...]


def _bad(why: str) -> AuditError:
    return AuditError(Code.RECORD_INVALID, f"bundle: {why}")


def _b64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise _bad(f"{what} must be base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad(f"{what} is not base64") from None


def make_bundle(
    *,
    origin: str,
    log_key: str,
    checkpoints: Sequence[str],
    leaves: Sequence[bytes],
    entries: Sequence[tuple[int, bytes, bytes]],
    keys: Mapping[str, VerifyKey],
) -> dict[str, Any]:
    """Build a bundle from a log's parts; ``entries`` are (index, salt, entry bytes)."""
    return {
        "format": FORMAT,
        "origin": origin,
        "logKey": log_key,
        "checkpoints": list(checkpoints),
        "leaves": [encode_hash(c) for c in leaves],
        "entries": [
            {
                "index": index,
                "salt": base64.b64encode(salt).decode("ascii"),
                "entry": base64.b64encode(entry).decode("ascii"),
            }
            for index, salt, entry in entries
        ],
        "keys": {
            kid: base64.urlsafe_b64encode(k.raw).rstrip(b"=").decode() for kid, k in keys.items()
        },
    }


def _log_verifier(bundle: Mapping[str, Any], pinned: NoteVerifier | None) -> NoteVerifier:
    stated = parse_vkey(bundle["logKey"]) if isinstance(bundle.get("logKey"), str) else None
    if pinned is not None:
        if stated is not None and stated != pinned:  # [AUD-VFY-002]
            raise AuditError(Code.NOTE_SIGNATURE_INVALID, "the bundle names another log key")
        return pinned
    if stated is None:
        raise _bad("logKey must be a vkey")
    return stated


def _checkpoints(
    notes: object, origin: str, verifier: NoteVerifier
) -> list[tuple[Checkpoint, Any]]:
    if not isinstance(notes, list) or not notes:
        raise _bad("checkpoints must be a non-empty list of signed notes")
    out: list[tuple[Checkpoint, Any]] = []
    for note in notes:
        if not isinstance(note, str):
            raise _bad("a checkpoint is a signed note")
        checkpoint, opened = open_checkpoint(note, verifier)  # [AUD-VFY-001]
        if checkpoint.origin != origin:
            raise AuditError(Code.CHECKPOINT_INCONSISTENT, "a checkpoint of another log")
        if out and checkpoint.size <= out[-1][0].size:
            if checkpoint.size == out[-1][0].size and checkpoint.root != out[-1][0].root:
                raise AuditError(
                    Code.CHECKPOINT_INCONSISTENT,
                    f"two checkpoints of size {checkpoint.size} with different roots: a fork",
                )
            raise _bad("checkpoints must grow strictly, smallest first")
        out.append((checkpoint, opened))
    return out


def _check_tree(leaves: list[bytes], checkpoints: list[tuple[Checkpoint, Any]]) -> None:
    """Recompute the tree from the leaves; every checkpoint root must match [AUD-VFY-003]."""
    latest = checkpoints[-1][0].size
    if len(leaves) < latest:
        raise AuditError(
            Code.TREE_SIZE_INVALID,
            f"truncated: the latest checkpoint commits to {latest} leaves, "
            f"the bundle holds {len(leaves)}",
        )
    appender = Appender()
    due = iter(checkpoints)
    checkpoint: Checkpoint | None = next(due)[0]
    for size in range(latest + 1):
        while checkpoint is not None and checkpoint.size == size:
            if appender.root() != checkpoint.root:
                raise AuditError(
                    Code.CHECKPOINT_INCONSISTENT,
                    f"the leaves do not give the root of checkpoint {size}: "
                    "the log was changed or forked",
                )
            checkpoint = next(due, (None, None))[0]
        if size < latest:
            appender.append(leaf_hash(leaves[size]))


def _keys(raw: object) -> dict[str, VerifyKey]:
    if not isinstance(raw, dict):
        raise _bad("keys must map kid to a base64url public key")
    keys: dict[str, VerifyKey] = {}
    for kid, text in raw.items():
        if not isinstance(text, str):
            raise _bad(f"key {kid!r} must be text")
        try:
            keys[kid] = VerifyKey(b64url_decode(text))
        except (ValueError, AipError):
            raise _bad(f"key {kid!r} is not a base64url Ed25519 key") from None
    return keys


def verify_bundle(
    bundle: Any,
    *,
    log_key: NoteVerifier | None = None,
    witnesses: Sequence[NoteVerifier] = (),
    quorum: int = 0,
) -> BundleReport:
    """Check everything a bundle claims (see the module docstring); return what it holds.

    ``log_key`` pins the log's key (else the bundle's own ``logKey`` is used, which proves
    only internal consistency); ``quorum`` of ``witnesses`` must have cosigned the latest
    checkpoint.  Raises :class:`~aip.errors.AuditError` (or a Part 3 ``IntegrityError`` for a
    record's signature) at the first failure.
    """
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise _bad(f"format must be {FORMAT}")
    if bundle.keys() - _MEMBERS:
        raise _bad(f"unknown members {sorted(bundle.keys() - _MEMBERS)}")
    origin = bundle.get("origin")
    if not isinstance(origin, str):
        raise _bad("origin must be text")
    verifier = _log_verifier(bundle, log_key)
    checkpoints = _checkpoints(bundle.get("checkpoints"), origin, verifier)
    latest, latest_note = checkpoints[-1]
    cosigners = require_cosignatures(latest, latest_note, witnesses, quorum)  # [AUD-VFY-004]
    raw_leaves = bundle.get("leaves")
    if not isinstance(raw_leaves, list):
        raise _bad("leaves must be a list of base64 commitments")
    leaves = [decode_hash(text) for text in raw_leaves]
    _check_tree(leaves, checkpoints)
    keys = _keys(bundle.get("keys", {}))
    keys.setdefault(verifier.key.key_id(), verifier.key)
    entries = bundle.get("entries")
    if not isinstance(entries, list):
        raise _bad("entries must be a list")
    seen: set[int] = set()
    for item in entries:
        if not isinstance(item, dict) or item.keys() != {"index", "salt", "entry"}:
            raise _bad("an entry is {index, salt, entry}")
        index = item["index"]
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < latest.size:
            raise AuditError(Code.ENTRY_NOT_FOUND, f"entry {index!r} is not in the checkpoint")
        if index in seen:
            raise _bad(f"entry {index} appears twice")
        seen.add(index)
        entry = _b64(item["entry"], f"entry {index}")
        check_opening(_b64(item["salt"], f"salt {index}"), entry, leaves[index])  # [AUD-VFY-005]
        verify_record(parse(entry), keys)  # [AUD-VFY-006]
    return BundleReport(
        origin,
        latest.size,
        len(checkpoints),
        len(seen),
        latest.size - len(seen),
        tuple(v.name for v in cosigners),
    )
