"""tlog checkpoints and cosignature/v1 witness cosignatures (spec Part 11, AUD-CKP, AUD-COS).

Pure core.  A checkpoint is a signed note whose text is the log's origin, its tree size, the
base64 RFC 9162 root hash and optional extension lines.  The log signs it with an Ed25519
note key named after the origin; witnesses add timestamped cosignatures (signature type
``0x04``) saying: as of that time, this is the largest tree head of the origin they have seen
and checked for consistency.

A log calls :func:`sign_checkpoint`, then :func:`~aip.audit.note.add_signatures` (re-exported
here) with the witnesses' :func:`cosign` lines.  A reader calls :func:`open_checkpoint` with
the log's key, then :func:`require_cosignatures` with its witness keys and quorum.  Failures raise
:class:`~aip.errors.AuditError`: NOTE_MALFORMED (-34107), NOTE_SIGNATURE_INVALID (-34108),
COSIGNATURE_MISSING (-34110).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aip.audit.note import (
    COSIGNATURE_V1,
    ED25519,
    MAX_TIMESTAMP,
    Note,
    NoteSignature,
    NoteVerifier,
    add_signatures,
    b64_decode,
    b64_encode,
    check_text,
    cosignature_message,
    open_note,
    sign_note,
)
from aip.errors import AuditError, Code
from aip.identity.keys import SigningKey, VerifyKey

__all__ = [
    "MAX_TREE_SIZE",
    "Checkpoint",
    "add_signatures",
    "cosign",
    "cosigner",
    "open_checkpoint",
    "parse_checkpoint",
    "require_cosignatures",
    "sign_checkpoint",
    "verified_cosigners",
    "verify_cosignature",
]

MAX_TREE_SIZE = (1 << 63) - 1  # [AUD-CKP-004]
_HASH_SIZE = 32
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")


def _malformed(why: str) -> AuditError:
    return AuditError(Code.NOTE_MALFORMED, why)


def _invalid(why: str) -> AuditError:
    return AuditError(Code.NOTE_SIGNATURE_INVALID, why)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: origin, tree size, 32-byte root hash, extension lines.

    Construction checks every field and raises NOTE_MALFORMED [AUD-CKP-001..006], so a
    :class:`Checkpoint` always has a valid :meth:`body`.
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        lines = (self.origin, *self.extensions)  # [AUD-CKP-002] [AUD-CKP-006]
        if not all(isinstance(line, str) and line and "\n" not in line for line in lines):
            raise _malformed("origin and extension lines are non-empty single lines")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise _malformed("tree size is an integer")
        if not 0 <= self.size <= MAX_TREE_SIZE:  # [AUD-CKP-004]
            raise _malformed("tree size out of range 0..2^63-1")
        if not isinstance(self.root, bytes) or len(self.root) != _HASH_SIZE:  # [AUD-CKP-005]
            raise _malformed("root hash is 32 bytes")
        check_text(self.body())  # control characters, UTF-8, size [AUD-NOTE-001]

    def body(self) -> str:
        """The note text: origin, size, base64 root, extension lines, each ending in LF."""
        head = f"{self.origin}\n{self.size}\n{b64_encode(self.root)}\n"
        return head + "".join(line + "\n" for line in self.extensions)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint note text (the body, not the whole note) [AUD-CKP-001..006].

    Strict, so that ``parse_checkpoint(t).body() == t``: at least three lines, each ending in
    a newline; a non-empty origin; a decimal size without leading zeros up to 2^63-1; a root
    in canonical padded base64 of exactly 32 bytes; non-empty extension lines.  Raises
    NOTE_MALFORMED.
    """
    check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise _malformed("a checkpoint has origin, size and root lines")
    origin, size, root, *extensions = lines
    if not _DECIMAL.fullmatch(size):  # [AUD-CKP-004]
        raise _malformed("tree size is decimal without leading zeros")
    try:
        raw_root = b64_decode(root)
    except ValueError:  # [AUD-CKP-005]
        raise _malformed("root hash is not canonical base64") from None
    return Checkpoint(origin, int(size), raw_root, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, name: str, key: SigningKey) -> str:
    """The full signed note of ``cp`` with the log's Ed25519 signature line [AUD-CKP-007].

    ``name`` must equal the origin (raises NOTE_MALFORMED otherwise, or for an illegal name).
    """
    if name != cp.origin:
        raise _malformed("a log signs under its origin as key name")
    body = cp.body()
    return body + "\n" + sign_note(body, name, key).line()


def open_checkpoint(
    data: str | bytes, log: NoteVerifier, origin: str | None = None
) -> tuple[Checkpoint, Note]:
    """Verify a checkpoint note against the log's key; return the checkpoint and the note.

    Requires a valid type-0x01 signature from ``log`` and the expected origin, which is the
    log key's name unless ``origin`` is given [AUD-CKP-008].  Other signature lines
    (cosignatures among them) are kept unverified in the note for :func:`verified_cosigners`.
    Raises NOTE_MALFORMED (bad note or body, or ``log`` not type 0x01) or
    NOTE_SIGNATURE_INVALID (no valid log signature, or another origin).
    """
    if log.kind != ED25519:
        raise _malformed("a log key has signature type 0x01")
    note, _ = open_note(data, [log])
    cp = parse_checkpoint(note.text)
    if cp.origin != (log.name if origin is None else origin):
        raise _invalid("checkpoint of another origin")
    return cp, note


def cosigner(name: str, key: VerifyKey) -> NoteVerifier:
    """The cosignature/v1 verifier (type 0x04) of a witness key [AUD-COS-001]."""
    return NoteVerifier.from_key(name, key, COSIGNATURE_V1)


def cosign(cp: Checkpoint, name: str, key: SigningKey, timestamp: int) -> NoteSignature:
    """A witness's cosignature/v1 line on ``cp`` at ``timestamp`` (POSIX seconds).

    Call only for a checkpoint the witness has checked [AUD-COS-004].  Raises NOTE_MALFORMED
    for an illegal name or a timestamp outside 0..2^63-1 [AUD-COS-002].
    """
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise _malformed("a cosignature timestamp is an integer")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise _malformed("cosignature timestamp out of range 0..2^63-1")
    verifier = cosigner(name, key.verify_key)
    signature = key.sign(cosignature_message(cp.body(), timestamp))  # [AUD-COS-003]
    return NoteSignature(name, verifier.key_id, timestamp.to_bytes(8, "big") + signature)


def verify_cosignature(cp: Checkpoint, sig: NoteSignature, witness: NoteVerifier) -> int:
    """Check one cosignature line on ``cp`` by ``witness``; return its timestamp.

    Raises NOTE_SIGNATURE_INVALID if the line is not by that witness (name, key id), the
    witness key is not type 0x04, or the payload does not verify [AUD-COS-002] [AUD-COS-003].
    """
    if witness.kind != COSIGNATURE_V1:
        raise _invalid("not a cosignature/v1 key")
    if (sig.name, sig.key_id) != (witness.name, witness.key_id):
        raise _invalid("the line is not by this witness")
    timestamp = witness.verify(cp.body(), sig.payload)
    assert timestamp is not None  # type 0x04 always yields one
    return timestamp


def _witness_index(witnesses: Sequence[NoteVerifier]) -> dict[tuple[str, bytes], NoteVerifier]:
    index: dict[tuple[str, bytes], NoteVerifier] = {}
    for witness in witnesses:
        if witness.kind != COSIGNATURE_V1:  # [AUD-COS-001]
            raise _malformed("a witness key has signature type 0x04")
        seen = index.setdefault((witness.name, witness.key_id), witness)
        if seen != witness:
            raise _invalid(f"two witness keys share {witness.name}+{witness.key_id.hex()}")
    return index


def verified_cosigners(
    cp: Checkpoint, note: Note, witnesses: Sequence[NoteVerifier], now: int | None = None
) -> list[NoteVerifier]:
    """Every configured witness with a valid cosignature on ``cp`` in ``note``, each once.

    ``note`` is the one :func:`open_checkpoint` returned for ``cp``.  Lines by unconfigured
    keys are ignored [AUD-COS-005]; a line by a configured witness that fails raises
    NOTE_SIGNATURE_INVALID [AUD-COS-006]; with ``now`` (POSIX seconds), cosignatures dated
    after it do not count [AUD-COS-007].  Raises NOTE_MALFORMED if ``note`` is not ``cp``'s
    note or a witness key is not type 0x04.
    """
    body = cp.body()
    if note.text != body:
        raise _malformed("the note's text is not this checkpoint")
    index = _witness_index(witnesses)
    found: list[NoteVerifier] = []
    for sig in note.signatures:
        witness = index.get((sig.name, sig.key_id))
        if witness is None:
            continue
        timestamp = verify_cosignature(cp, sig, witness)
        if now is not None and timestamp > now:
            continue
        if witness not in found:
            found.append(witness)
    return found


def require_cosignatures(
    cp: Checkpoint,
    note: Note,
    witnesses: Sequence[NoteVerifier],
    quorum: int,
    now: int | None = None,
) -> list[NoteVerifier]:
    """Accept ``cp`` only if at least ``quorum`` distinct witness keys cosigned it [AUD-COS-008].

    Returns the witnesses that did (see :func:`verified_cosigners`, whose errors it raises).
    Raises COSIGNATURE_MISSING when fewer distinct public keys than ``quorum`` cosigned.
    """
    if quorum < 0:
        raise ValueError("quorum is not negative")
    found = verified_cosigners(cp, note, witnesses, now)
    if len({witness.key.raw for witness in found}) < quorum:
        raise AuditError(Code.COSIGNATURE_MISSING, f"fewer than {quorum} witness cosignatures")
    return found
