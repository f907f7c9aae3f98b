"""tlog checkpoints and cosignature/v1 (aip.audit.checkpoint; spec AUD-CKP, AUD-COS).

The public C2SP checkpoint example, our vector files through the conformance operations, and
properties: sign -> open round trips, single changed bytes refused, a cosignature holds only
for its checkpoint and timestamp, and the quorum counts each configured witness key once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aip.audit.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    add_signatures,
    cosign,
    cosigner,
    open_checkpoint,
    parse_checkpoint,
    require_cosignatures,
    sign_checkpoint,
    verified_cosigners,
    verify_cosignature,
)
from aip.audit.note import (
    MAX_TIMESTAMP,
    Note,
    NoteSignature,
    NoteVerifier,
    b64_decode,
    open_note,
    parse_note,
    parse_vkey,
)
from aip.errors import AipError, Code
from aip.identity.keys import SigningKey
from conformance.ops.note import OPERATIONS
from tests.helpers import audit_vector_cases, code_of

SPEC = Path(__file__).resolve().parent.parent / "spec" / "vectors"
EXT = SPEC / "external" / "signed-note"
ORIGIN = "log.example/aip-audit-log"
TEST1 = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"  # RFC 8032 §7.1
LOG_KEY = SigningKey(bytes.fromhex(TEST1))
LOG = NoteVerifier.from_key(ORIGIN, LOG_KEY.verify_key)
WITNESS_KEYS = [SigningKey(bytes([i + 1]) * 32) for i in range(5)]
WITNESSES = [cosigner(f"w{i}.example/witness", k.verify_key) for i, k in enumerate(WITNESS_KEYS)]
T = 1_795_255_200
CP = Checkpoint(ORIGIN, 5, bytes(range(32)))

def _cosigned(cp: Checkpoint, signers: list[int], ts: int = T) -> tuple[Checkpoint, Note]:
    lines = [cosign(cp, WITNESSES[i].name, WITNESS_KEYS[i], ts) for i in signers]
    return open_checkpoint(add_signatures(sign_checkpoint(cp, ORIGIN, LOG_KEY), lines), LOG)


# ------------------------------------------------------------ public vector


def test_c2sp_checkpoint_example_parses() -> None:
    expect = json.loads((EXT / "tlog-checkpoint-example.json").read_text("utf-8"))
    raw = (EXT / expect["file"]).read_bytes()
    assert raw.decode("utf-8") == expect["note"]
    note = parse_note(raw)
    want = expect["expect"]
    assert note.text == want["text"]
    cp = parse_checkpoint(note.text)
    assert cp.origin == want["origin"]
    assert cp.size == want["tree_size"]
    assert cp.root == b64_decode(want["root_hash_base64"])
    assert len(cp.root) == want["root_hash_len"]
    assert list(cp.extensions) == want["extension_lines"]
    assert cp.body() == note.text
    assert note.encode().encode("utf-8") == raw
    got = [
        {"name": s.name, "key_id_hex": s.key_id.hex(), "signature_len": len(s.payload)}
        for s in note.signatures
    ]
    keys = ("name", "key_id_hex", "signature_len")
    assert got == [{k: s[k] for k in keys} for s in want["signatures"]]
    # no key is published for it: under our log key it is simply not trusted
    assert code_of(open_checkpoint, raw, LOG) == Code.NOTE_SIGNATURE_INVALID


# ------------------------------------------------------------ our vector files


@pytest.mark.parametrize(
    ("cid", "case", "op"),
    [c for c in audit_vector_cases("checkpoints.json") if c[1].get("error") == Code.NOTE_MALFORMED
     and c[2] == "checkpoint.open"],
)  # fmt: skip
def test_malformed_checkpoint_vectors_are_validly_signed(
    cid: str, case: dict[str, Any], op: str
) -> None:
    # one thing at a time: the note verifies under the log key, only the body is wrong
    note, verified = open_note(case["input"]["note"], [parse_vkey(case["input"]["log_vkey"])])
    assert verified, cid
    assert code_of(parse_checkpoint, note.text) == Code.NOTE_MALFORMED


def test_every_operation_has_vectors() -> None:
    files = ("note-open.json", "note-keys.json", "checkpoints.json", "cosignatures.json")
    used = {op for _, _, op in audit_vector_cases(*files)}
    assert used == set(OPERATIONS)


# ------------------------------------------------------------ checkpoint rules


def test_checkpoint_fields_are_checked() -> None:
    root = bytes(32)
    for args in [
        ("", 1, root),
        (ORIGIN, -1, root),
        (ORIGIN, MAX_TREE_SIZE + 1, root),
        (ORIGIN, True, root),
        (ORIGIN, 1, root[:31]),
        (ORIGIN, 1, bytearray(root)),
        ("a\nb", 1, root),
        ("tab\there", 1, root),
    ]:
        assert code_of(Checkpoint, *args) == Code.NOTE_MALFORMED, args
    assert code_of(Checkpoint, ORIGIN, 1, root, ("",)) == Code.NOTE_MALFORMED
    assert Checkpoint(ORIGIN, MAX_TREE_SIZE, root).body().split("\n")[1] == str(2**63 - 1)


def test_sign_requires_the_origin_as_key_name() -> None:
    assert code_of(sign_checkpoint, CP, "log.example/other", LOG_KEY) == Code.NOTE_MALFORMED


def test_open_requires_a_log_key_of_type_ed25519() -> None:
    note = sign_checkpoint(CP, ORIGIN, LOG_KEY)
    as_cosigner = cosigner(ORIGIN, LOG_KEY.verify_key)
    assert code_of(open_checkpoint, note, as_cosigner) == Code.NOTE_MALFORMED
    assert code_of(open_checkpoint, note, LOG, "another/origin") == Code.NOTE_SIGNATURE_INVALID


# ------------------------------------------------------------ properties

origins = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40
)
extensions = st.lists(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20), max_size=3
).map(tuple)
checkpoints = st.builds(
    Checkpoint,
    origins,
    st.integers(0, MAX_TREE_SIZE),
    st.binary(min_size=32, max_size=32),
    extensions,
)


@settings(max_examples=200)
@given(checkpoints)
def test_sign_open_round_trip(cp: Checkpoint) -> None:
    assert parse_checkpoint(cp.body()) == cp  # any origin parses back exactly
    ours = Checkpoint(ORIGIN, cp.size, cp.root, cp.extensions)
    signed = sign_checkpoint(ours, ORIGIN, LOG_KEY)
    opened, note = open_checkpoint(signed, LOG)
    assert opened == ours
    assert note.text == ours.body()
    assert note.encode() == signed


@settings(max_examples=300)
@given(checkpoints.map(lambda cp: Checkpoint(ORIGIN, cp.size, cp.root, cp.extensions)), st.data())
def test_any_changed_byte_is_refused(cp: Checkpoint, data: st.DataObject) -> None:
    wire = bytearray(sign_checkpoint(cp, ORIGIN, LOG_KEY).encode())
    index = data.draw(st.integers(0, len(wire) - 1))
    wire[index] = data.draw(st.integers(0, 255).filter(lambda b: b != wire[index]))
    with pytest.raises(AipError) as info:
        open_checkpoint(bytes(wire), LOG)
    assert info.value.code in (Code.NOTE_MALFORMED, Code.NOTE_SIGNATURE_INVALID)


@settings(max_examples=200)
@given(checkpoints, checkpoints, st.integers(0, MAX_TIMESTAMP), st.integers(0, MAX_TIMESTAMP))
def test_cosignature_binds_checkpoint_and_time(
    cp: Checkpoint, other: Checkpoint, ts: int, other_ts: int
) -> None:
    witness, key = WITNESSES[0], WITNESS_KEYS[0]
    sig = cosign(cp, witness.name, key, ts)
    assert verify_cosignature(cp, sig, witness) == ts
    if other != cp:
        assert code_of(verify_cosignature, other, sig, witness) == Code.NOTE_SIGNATURE_INVALID
    if other_ts != ts:
        moved = NoteSignature(sig.name, sig.key_id, other_ts.to_bytes(8, "big") + sig.payload[8:])
        assert code_of(verify_cosignature, cp, moved, witness) == Code.NOTE_SIGNATURE_INVALID
    assert code_of(verify_cosignature, cp, sig, WITNESSES[1]) == Code.NOTE_SIGNATURE_INVALID
    as_plain = NoteVerifier.from_key(witness.name, key.verify_key)
    assert code_of(verify_cosignature, cp, sig, as_plain) == Code.NOTE_SIGNATURE_INVALID


@settings(max_examples=100)
@given(
    st.lists(st.integers(0, 4), max_size=8),  # who cosigns (repeats allowed)
    st.sets(st.integers(0, 4)),  # who is configured
    st.integers(0, 6),
)
def test_quorum(signers: list[int], configured: set[int], quorum: int) -> None:
    cp, note = _cosigned(CP, signers)
    witnesses = [WITNESSES[i] for i in sorted(configured)]
    counted = [i for i in dict.fromkeys(signers) if i in configured]
    found = verified_cosigners(cp, note, witnesses)
    assert found == [WITNESSES[i] for i in counted]
    if len(counted) >= quorum:
        assert require_cosignatures(cp, note, witnesses, quorum) == found
    else:
        code = code_of(require_cosignatures, cp, note, witnesses, quorum)
        assert code == Code.COSIGNATURE_MISSING


def test_duplicate_lines_and_repeated_witnesses_count_once() -> None:
    cp = CP
    line = cosign(cp, WITNESSES[0].name, WITNESS_KEYS[0], T)
    later = cosign(cp, WITNESSES[0].name, WITNESS_KEYS[0], T + 5)
    signed = sign_checkpoint(cp, ORIGIN, LOG_KEY)
    note_text = signed + line.line() + line.line() + later.line()
    _, note = open_checkpoint(note_text, LOG)
    assert verified_cosigners(cp, note, [WITNESSES[0], WITNESSES[0]]) == [WITNESSES[0]]
    assert code_of(require_cosignatures, cp, note, WITNESSES[:2], 2) == Code.COSIGNATURE_MISSING
    # add_signatures keeps the first line of a witness
    assert add_signatures(signed, [line, later]) == signed + line.line()


def test_now_filters_future_cosignatures() -> None:
    cp, note = _cosigned(CP, [0], T)
    assert verified_cosigners(cp, note, WITNESSES, now=T) == [WITNESSES[0]]
    assert verified_cosigners(cp, note, WITNESSES, now=T - 1) == []
    assert code_of(require_cosignatures, cp, note, WITNESSES, 1, T - 1) == Code.COSIGNATURE_MISSING


def test_configuration_errors() -> None:
    cp, note = _cosigned(CP, [0])
    plain = NoteVerifier.from_key(WITNESSES[0].name, WITNESS_KEYS[0].verify_key)
    assert code_of(verified_cosigners, cp, note, [plain]) == Code.NOTE_MALFORMED
    other = Checkpoint(ORIGIN, 6, bytes(32))
    assert code_of(verified_cosigners, other, note, WITNESSES) == Code.NOTE_MALFORMED
    with pytest.raises(ValueError):  # noqa: PT011 - a negative quorum is a programming error
        require_cosignatures(cp, note, WITNESSES, -1)


def test_cosign_timestamp_range() -> None:
    name, key = WITNESSES[0].name, WITNESS_KEYS[0]
    latest = cosign(CP, name, key, MAX_TIMESTAMP)
    assert verify_cosignature(CP, latest, WITNESSES[0]) == MAX_TIMESTAMP
    for bad in (-1, MAX_TIMESTAMP + 1, True):
        assert code_of(cosign, CP, name, key, bad) == Code.NOTE_MALFORMED
