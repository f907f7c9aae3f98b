"""The transparency log over a real SQLite file: appends, checkpoints, proofs, erasure, the
witness's rules and bundles (spec Part 11 §11.4–§11.8)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aip.audit.bundle import make_bundle, verify_bundle
from aip.audit.checkpoint import Checkpoint, cosign, cosigner, parse_checkpoint, sign_checkpoint
from aip.audit.entries import MAX_ENTRY, SALT_SIZE, check_opening, commitment
from aip.audit.log import TransparencyLog
from aip.audit.merkle import leaf_hash, tree_hash, verify_consistency, verify_inclusion
from aip.audit.note import NoteVerifier, add_signatures, parse_note
from aip.audit.records import audit_body, make_record, sign_record
from aip.audit.store import LogStore, StoreError
from aip.audit.witness import Witnessed, review
from aip.codec import canonicalize
from aip.errors import AipError, Code
from aip.identity.keys import SigningKey
from tests.helpers import code_of

LOG_KEY = SigningKey(bytes(range(32)))
WITNESS_KEY = SigningKey(bytes(range(1, 33)))
OTHER_KEY = SigningKey(bytes(range(2, 34)))
ORIGIN = "example.test/aip-log/1"
WITNESS = "example.test/aip-witness/2"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
AIC = "1.2.156.3088.1.1.1.1.1.0SL3"


def _salts() -> Any:
    counter = iter(range(1, 1 << 30))
    return lambda: hashlib.sha256(next(counter).to_bytes(8, "big")).digest()


@pytest.fixture
async def log(tmp_path: Path) -> AsyncIterator[TransparencyLog]:
    store = LogStore.open(tmp_path / "audit.sqlite3", ORIGIN)
    opened = TransparencyLog(store, LOG_KEY, ORIGIN, clock=lambda: NOW, salts=_salts())
    yield opened
    await opened.close()


def _record(n: int) -> bytes:
    body = audit_body(
        actor={"id": AIC, "type": "agent"},
        action={"name": "task.start", "type": "interaction"},
        target={"type": "task", "id": f"task-{n}"},
        result={"status": "success"},
    )
    record = make_record(aic=AIC, log_type="audit", body=body, timestamp=NOW)
    return canonicalize(sign_record(record, LOG_KEY))


# --- appending and reading -------------------------------------------------------------------


async def test_concurrent_appends_get_consecutive_indexes_and_one_tree(
    log: TransparencyLog,
) -> None:
    entries = [_record(n) for n in range(50)]
    done = await asyncio.gather(*(log.append(e) for e in entries))
    assert sorted(a.index for a in done) == list(range(50))  # group commit keeps them all
    leaves = [leaf_hash(log.commitment_of(i)) for i in range(50)]
    assert log.root(50) == tree_hash(leaves)
    for appended, entry in zip(done, entries, strict=True):
        stored = log.entry(appended.index)
        assert stored.entry == entry
        assert stored.salt == appended.salt
        check_opening(appended.salt, entry, appended.commitment)  # [AUD-LOG-004]


async def test_proofs_served_verify_against_the_roots(log: TransparencyLog) -> None:
    await log.append_many([_record(n) for n in range(37)])
    leaves = [leaf_hash(log.commitment_of(i)) for i in range(37)]
    for size in (1, 2, 7, 16, 37):
        root = log.root(size)
        for index in range(0, size, 3):
            verify_inclusion(leaves[index], index, size, log.inclusion(index, size), root)
        for old in range(1, size):
            verify_consistency(old, size, log.root(old), root, log.consistency(old, size))


async def test_sizes_beyond_the_log_are_refused(log: TransparencyLog) -> None:
    await log.append(_record(0))
    assert code_of(log.inclusion, 0, 2) is Code.TREE_SIZE_INVALID
    assert code_of(log.consistency, 1, 5) is Code.TREE_SIZE_INVALID
    assert code_of(log.entry, 1) is Code.ENTRY_NOT_FOUND
    assert code_of(log.entry, -1) is Code.ENTRY_NOT_FOUND


async def test_entry_limits(log: TransparencyLog) -> None:
    with pytest.raises(AipError) as big:
        await log.append(b"x" * (MAX_ENTRY + 1))
    assert big.value.code is Code.ENTRY_TOO_LARGE
    with pytest.raises(AipError) as empty:
        await log.append(b"")
    assert empty.value.code is Code.RECORD_INVALID
    assert (await log.append(b"x" * MAX_ENTRY)).index == 0  # the limit itself is allowed
    assert log.size == 1


async def test_erasure_keeps_the_leaf_and_every_proof(log: TransparencyLog) -> None:
    await log.append_many([_record(n) for n in range(5)])
    issued = await log.issue_checkpoint()
    assert issued is not None
    checkpoint, _ = issued
    kept = log.commitment_of(2)
    assert await log.erase(2, "data subject request") is True
    assert await log.erase(2, "again") is False
    assert code_of(log.entry, 2) is Code.ENTRY_ERASED  # [AUD-LOG-007]
    assert log.commitment_of(2) == kept
    verify_inclusion(leaf_hash(kept), 2, 5, log.inclusion(2, 5), checkpoint.root)
    assert log.root(5) == checkpoint.root
    with pytest.raises(AipError) as missing:
        await log.erase(9, "no such entry")
    assert missing.value.code is Code.ENTRY_NOT_FOUND


async def test_checkpoints_come_in_batches(log: TransparencyLog) -> None:
    first = await log.issue_checkpoint()
    assert first is not None
    assert first[0].size == 0
    assert await log.issue_checkpoint() is None  # nothing new: no new checkpoint
    await log.append_many([_record(n) for n in range(10)])
    issued = await log.issue_checkpoint()
    assert issued is not None
    checkpoint, note = issued
    assert checkpoint.size == 10
    assert checkpoint.origin == ORIGIN
    assert log.latest_checkpoint() == note
    assert parse_checkpoint(parse_note(note).text) == checkpoint


async def test_a_reopened_log_continues_the_same_tree(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    log = TransparencyLog(LogStore.open(path, ORIGIN), LOG_KEY, ORIGIN, salts=_salts())
    await log.append_many([_record(n) for n in range(13)])
    root13 = log.root(13)
    await log.close()
    again = TransparencyLog(LogStore.open(path, ORIGIN), LOG_KEY, ORIGIN)
    try:
        assert again.size == 13
        assert again.root(13) == root13
        await again.append(_record(13))
        leaves = [leaf_hash(again.commitment_of(i)) for i in range(14)]
        assert again.root(14) == tree_hash(leaves)
    finally:
        await again.close()
    with pytest.raises(StoreError):
        LogStore.open(path, "another.test/log")


def test_commitments_are_salted() -> None:
    salt = b"\x01" * SALT_SIZE
    assert commitment(salt, b"entry") == hashlib.sha256(salt + b"entry").digest()
    assert commitment(salt, b"entry") != commitment(b"\x02" * SALT_SIZE, b"entry")
    assert code_of(check_opening, salt, b"entrY", commitment(salt, b"entry")) is Code.ENTRY_MISMATCH
    with pytest.raises(ValueError, match="salt"):
        commitment(b"short", b"entry")


# --- the witness -------------------------------------------------------------------------------

LOGS = {ORIGIN: NoteVerifier.from_key(ORIGIN, LOG_KEY.verify_key)}


def _note(size: int, root: bytes, key: SigningKey = LOG_KEY) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), ORIGIN, key)


def _review(note: str, old: int, proof: list[bytes], state: Witnessed | None) -> Any:
    return review(
        note, old, proof, logs=LOGS, state=state, name=WITNESS, key=WITNESS_KEY, now=1_800_000_000
    )


def _tree(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


async def test_witness_cosigns_a_consistent_history(log: TransparencyLog) -> None:
    # [AUD-WIT-003] [AUD-COS-004]: a cosignature only for a tree that extends what was cosigned
    await log.append_many([_record(n) for n in range(8)])
    first = _review(_note(5, log.root(5)), 0, [], None)
    assert first.state == Witnessed(5, log.root(5))
    verifier = cosigner(WITNESS, WITNESS_KEY.verify_key)
    from aip.audit.checkpoint import verify_cosignature

    assert verify_cosignature(first.checkpoint, first.signature, verifier) == 1_800_000_000
    second = _review(_note(8, log.root(8)), 5, log.consistency(5, 8), first.state)
    assert second.state.size == 8
    again = _review(_note(8, log.root(8)), 8, [], second.state)  # same size, same root: fine
    assert again.state == second.state


async def test_witness_refusals(log: TransparencyLog) -> None:
    # [AUD-WIT-003] each check in its order, each with its code
    await log.append_many([_record(n) for n in range(8)])
    state = Witnessed(5, log.root(5))
    good = _note(8, log.root(8))
    proof = log.consistency(5, 8)
    cases = [
        (
            lambda: review(
                good, 5, proof, logs={}, state=state, name=WITNESS, key=WITNESS_KEY, now=0
            ),
            Code.LOG_UNKNOWN,
        ),
        (
            lambda: _review(_note(8, log.root(8), OTHER_KEY), 5, proof, state),
            Code.NOTE_SIGNATURE_INVALID,
        ),
        (lambda: _review(good, 4, proof, state), Code.WITNESS_CONFLICT),
        (lambda: _review(_note(3, log.root(3)), 5, [], state), Code.TREE_SIZE_INVALID),
        (lambda: _review(_note(5, log.root(4)), 5, [], state), Code.CHECKPOINT_INCONSISTENT),
        (lambda: _review(_note(8, log.root(7)), 5, proof, state), Code.PROOF_INVALID),
        (lambda: _review(good, 5, proof[:-1], state), Code.PROOF_INVALID),
        (lambda: _review(good, 0, [b"\x00" * 32], None), Code.PROOF_INVALID),
        (lambda: _review("not a note", 5, proof, state), Code.NOTE_MALFORMED),
    ]
    for call, code in cases:
        assert code_of(call) is code
    with pytest.raises(AipError) as conflict:
        _review(good, 4, proof, state)
    assert conflict.value.data == {"size": 5}  # tells the log where the witness stands


# --- bundles -----------------------------------------------------------------------------------


async def _bundle(log: TransparencyLog, n: int = 6) -> dict[str, Any]:
    await log.append_many([_record(i) for i in range(n // 2)])
    await log.issue_checkpoint()
    await log.append_many([_record(i) for i in range(n // 2, n)])
    issued = await log.issue_checkpoint()
    assert issued is not None
    checkpoint = issued[0]
    cosig = cosign(checkpoint, WITNESS, WITNESS_KEY, 1_800_000_000)
    await log.add_cosignatures(checkpoint.size, [cosig])
    notes = [n for _, n in log.store.checkpoints()]
    entries = [(i, s.salt, s.entry) for i in range(n) for s in [log.entry(i)]]
    return make_bundle(
        origin=ORIGIN,
        log_key=LOGS[ORIGIN].vkey(),
        checkpoints=notes,
        leaves=[log.commitment_of(i) for i in range(n)],
        entries=[(i, s, e) for i, s, e in entries if s is not None and e is not None],
        keys={LOG_KEY.verify_key.key_id(): LOG_KEY.verify_key},
    )


WITNESSES = [cosigner(WITNESS, WITNESS_KEY.verify_key)]


async def test_a_whole_bundle_verifies(log: TransparencyLog) -> None:
    bundle = await _bundle(log)
    report = verify_bundle(bundle, log_key=LOGS[ORIGIN], witnesses=WITNESSES, quorum=1)
    assert (report.size, report.checkpoints, report.entries) == (6, 2, 6)
    assert report.cosigners == (WITNESS,)


async def test_bundle_tampering_is_caught_with_its_reason(log: TransparencyLog) -> None:
    bundle = await _bundle(log)

    def changed(**members: Any) -> dict[str, Any]:
        return {**bundle, **members}

    entry0 = dict(bundle["entries"][0])
    entry0["entry"] = base64.b64encode(base64.b64decode(entry0["entry"]) + b" ").decode()
    leaves = list(bundle["leaves"])
    leaves[1] = base64.b64encode(b"\x07" * 32).decode()
    forked = _note(3, b"\x09" * 32)
    cases = [
        (changed(entries=[entry0, *bundle["entries"][1:]]), Code.ENTRY_MISMATCH),
        (changed(leaves=leaves), Code.CHECKPOINT_INCONSISTENT),
        (changed(leaves=bundle["leaves"][:5]), Code.TREE_SIZE_INVALID),
        (changed(checkpoints=[forked, bundle["checkpoints"][1]]), Code.CHECKPOINT_INCONSISTENT),
        (
            changed(checkpoints=[bundle["checkpoints"][1], forked.replace("\n3\n", "\n6\n")]),
            Code.NOTE_SIGNATURE_INVALID,
        ),
    ]
    for tampered, code in cases:
        assert code_of(verify_bundle, tampered, log_key=LOGS[ORIGIN]) is code
    # a cosignature that does not verify, or too few of them
    latest = bundle["checkpoints"][-1]
    lines = latest.split("\n")
    broken = "\n".join(
        line[:-6] + "AAAAA=" if line.startswith("— " + WITNESS) else line for line in lines
    )
    assert code_of(
        verify_bundle,
        changed(checkpoints=[bundle["checkpoints"][0], broken]),
        log_key=LOGS[ORIGIN],
        witnesses=WITNESSES,
        quorum=1,
    ) in {Code.COSIGNATURE_MISSING, Code.NOTE_SIGNATURE_INVALID}
    other = cosigner("other.test/w", OTHER_KEY.verify_key)
    assert (
        code_of(
            verify_bundle, bundle, log_key=LOGS[ORIGIN], witnesses=[*WITNESSES, other], quorum=2
        )
        is Code.COSIGNATURE_MISSING
    )
    # a log key other than the pinned one
    assert code_of(
        verify_bundle, bundle, log_key=NoteVerifier.from_key(ORIGIN, OTHER_KEY.verify_key)
    ) is (Code.NOTE_SIGNATURE_INVALID)


def test_add_signatures_is_idempotent() -> None:
    note = _note(1, leaf_hash(b"x"))
    checkpoint = parse_checkpoint(parse_note(note).text)
    sig = cosign(checkpoint, WITNESS, WITNESS_KEY, 5)
    once = add_signatures(note, [sig])
    assert add_signatures(once, [sig]) == once
    assert len(parse_note(once).signatures) == 2
