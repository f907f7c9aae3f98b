"""C2SP signed notes and verifier keys (spec Part 11, topic AUD-NOTE).

Pure core.  A signed note is UTF-8 text ending in a newline, a blank line, and one or more
signature lines ``— <key name> <base64(key id || payload)>``.  Two signature types are known
here: Ed25519 over the note text (type ``0x01``, :data:`ED25519`) and the timestamped witness
cosignature of c2sp.org/tlog-cosignature (type ``0x04``, :data:`COSIGNATURE_V1`).

Call :func:`parse_note` to split a note without trusting it, :func:`open_note` to verify it
against trusted :class:`NoteVerifier` keys (the only way to let its text be used), and
:func:`sign_note` to make an Ed25519 signature line.  Every failure raises
:class:`~aip.errors.AuditError` with NOTE_MALFORMED (-34107) for shape and NOTE_SIGNATURE_INVALID
(-34108) for trust.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from aip.errors import AuditError, Code, IntegrityError
from aip.identity.keys import SIGNATURE_SIZE, SigningKey, VerifyKey

__all__ = [
    "COSIGNATURE_V1",
    "ED25519",
    "MAX_NOTE_SIZE",
    "MAX_SIGNATURES",
    "MAX_TIMESTAMP",
    "Note",
    "NoteSignature",
    "NoteVerifier",
    "add_signatures",
    "b64_decode",
    "b64_encode",
    "check_name",
    "check_text",
    "cosignature_message",
    "key_id",
    "open_note",
    "parse_note",
    "parse_vkey",
    "sign_note",
]

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
MAX_NOTE_SIZE = 1 << 20  # bytes of UTF-8 [AUD-NOTE-001]
MAX_SIGNATURES = 100  # signature lines, duplicates included [AUD-NOTE-005]
MAX_TIMESTAMP = (1 << 63) - 1  # [AUD-COS-002]

_DASH = "\u2014 "
_KINDS = frozenset((ED25519, COSIGNATURE_V1))
_KEY_SIZE = 32
_HEX8 = re.compile(r"[0-9a-f]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_COSIG_PAYLOAD = 8 + SIGNATURE_SIZE


def _malformed(why: str) -> AuditError:
    return AuditError(Code.NOTE_MALFORMED, why)


def _invalid(why: str) -> AuditError:
    return AuditError(Code.NOTE_SIGNATURE_INVALID, why)


def b64_encode(data: bytes) -> str:
    """Standard, padded base64 (RFC 4648 §4), the encoding notes use everywhere."""
    return base64.b64encode(data).decode("ascii")


def b64_decode(text: str) -> bytes:
    """Strict inverse of :func:`b64_encode`: the one canonical spelling only [AUD-NOTE-004].

    Raises ``ValueError`` on characters outside the alphabet, missing or extra padding, or
    unused bits that are not zero.
    """
    if not text.isascii():
        raise ValueError("not base64")
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("not base64") from None
    if b64_encode(raw) != text:
        raise ValueError("not canonical base64")
    return raw


def check_name(name: str) -> None:
    """Raise NOTE_MALFORMED unless ``name`` is a legal key name [AUD-NOTE-003].

    Legal: non-empty, encodable as UTF-8, no whitespace character of any script, no ``+``, and
    no control character.
    """
    if not isinstance(name, str) or not name or "+" in name or _CONTROL.search(name):
        raise _malformed("a key name is non-empty and holds no '+' or control character")
    if any(ch.isspace() for ch in name):
        raise _malformed("a key name holds no whitespace")
    _utf8(name)


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise _malformed("not encodable as UTF-8 (lone surrogate)") from None


def check_text(text: str) -> bytes:
    """Check a note text [AUD-NOTE-001] [AUD-NOTE-002]; return its UTF-8 bytes.

    The text must be non-empty, end in a newline, hold no control character except newline,
    and leave room for signatures under :data:`MAX_NOTE_SIZE`.  Raises NOTE_MALFORMED.
    """
    if not isinstance(text, str) or not text.endswith("\n"):
        raise _malformed("a note text is non-empty and ends in a newline")
    if _CONTROL.search(text):
        raise _malformed("a note holds no control character except newline")
    raw = _utf8(text)
    if len(raw) >= MAX_NOTE_SIZE:
        raise _malformed("note text too large")
    return raw


def key_id(name: str, kind: int, public: bytes) -> bytes:
    """The 4-byte key id: SHA-256(name || LF || type byte || public key)[:4] [AUD-NOTE-006]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes((kind,)) + public).digest()[:4]


def cosignature_message(text: str, timestamp: int) -> bytes:
    """The bytes a cosignature/v1 signature covers [AUD-COS-003].

    ``cosignature/v1`` LF, ``time <decimal timestamp>`` LF, then the whole checkpoint body.
    """
    return b"cosignature/v1\ntime %d\n" % timestamp + text.encode("utf-8")


@dataclass(frozen=True, slots=True)
class NoteVerifier:
    """A trusted key: name, signature type, 4-byte key id and Ed25519 public key.

    Build one with :meth:`from_key` or :func:`parse_vkey`; direct construction is checked too
    and raises NOTE_MALFORMED when the key id does not belong to the rest [AUD-NOTE-006].
    """

    name: str
    kind: int
    key_id: bytes
    key: VerifyKey

    def __post_init__(self) -> None:
        check_name(self.name)
        if self.kind not in _KINDS:
            raise _malformed("only signature types 0x01 and 0x04 are supported")
        if self.key_id != key_id(self.name, self.kind, self.key.raw):
            raise _malformed("key id does not match name, type and key")

    @classmethod
    def from_key(cls, name: str, key: VerifyKey, kind: int = ED25519) -> NoteVerifier:
        """The verifier for ``key`` under ``name`` and signature type ``kind``."""
        check_name(name)
        if kind not in _KINDS:
            raise _malformed("only signature types 0x01 and 0x04 are supported")
        return cls(name, kind, key_id(name, kind, key.raw), key)

    def vkey(self) -> str:
        """The verifier key text ``name+hex(key id)+base64(type || public key)`` [AUD-NOTE-007]."""
        return f"{self.name}+{self.key_id.hex()}+{b64_encode(bytes((self.kind,)) + self.key.raw)}"

    def verify(self, text: str, payload: bytes) -> int | None:
        """Check one signature payload over the note ``text``.

        Returns the cosignature timestamp for type 0x04 and ``None`` for type 0x01.  Raises
        NOTE_SIGNATURE_INVALID on a wrong length, a timestamp above 2^63-1 or a bad signature.
        """
        timestamp: int | None = None
        if self.kind == ED25519:  # [AUD-NOTE-008]
            signature, message = payload, text.encode("utf-8")
        else:  # [AUD-COS-002] [AUD-COS-003]
            if len(payload) != _COSIG_PAYLOAD:
                raise _invalid("a cosignature is 8 + 64 bytes after the key id")
            timestamp = int.from_bytes(payload[:8], "big")
            if timestamp > MAX_TIMESTAMP:
                raise _invalid("cosignature timestamp above 2^63-1")
            signature, message = payload[8:], cosignature_message(text, timestamp)
        try:
            self.key.verify(signature, message)
        except IntegrityError:
            raise _invalid(f"{self.name}+{self.key_id.hex()}: signature fails") from None
        return timestamp


def parse_vkey(text: str) -> NoteVerifier:
    """Parse a verifier key ``name+keyid+base64`` [AUD-NOTE-007].

    The text splits at the first two ``+`` (base64 may hold more).  Raises NOTE_MALFORMED on a
    bad name, a key id that is not 8 lowercase hex digits, bad base64, an unknown type byte,
    a public key that is not 32 bytes, or a key id that does not match the rest.
    """
    if not isinstance(text, str):
        raise _malformed("a vkey is text")
    parts = text.split("+", 2)
    if len(parts) != 3 or not _HEX8.fullmatch(parts[1]):
        raise _malformed("a vkey is name+hex8+base64")
    name, hex_id, key_b64 = parts
    try:
        material = b64_decode(key_b64)
    except ValueError:
        raise _malformed("vkey key material is not canonical base64") from None
    if len(material) != 1 + _KEY_SIZE:
        raise _malformed("vkey key material is a type byte and 32 key bytes")
    return NoteVerifier(name, material[0], bytes.fromhex(hex_id), VerifyKey(material[1:]))


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key name, 4-byte key id and the bytes after the key id."""

    name: str
    key_id: bytes
    payload: bytes

    def __post_init__(self) -> None:
        check_name(self.name)
        if len(self.key_id) != 4 or not self.payload:
            raise _malformed("a signature is a 4-byte key id and at least one byte")

    def line(self) -> str:
        """The signature line ``— name base64(key id || payload)`` with its newline."""
        return f"{_DASH}{self.name} {b64_encode(self.key_id + self.payload)}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed note: its text (with final newline) and its signature lines, in order."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def encode(self) -> str:
        """The note as sent: text, blank line, signature lines."""
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


def _decode_note(data: str | bytes) -> str:
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_SIZE:
            raise _malformed("note larger than 1 MiB")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("a note is UTF-8") from None
    if not isinstance(data, str) or len(_utf8(data)) > MAX_NOTE_SIZE:
        raise _malformed("note larger than 1 MiB")
    return data


def _parse_line(line: str) -> NoteSignature:
    if not line.startswith(_DASH):
        raise _malformed("a signature line starts with an em dash and a space")
    name, space, encoded = line[len(_DASH) :].partition(" ")
    if not space:
        raise _malformed("a signature line is '— name base64'")
    try:
        raw = b64_decode(encoded)
    except ValueError:
        raise _malformed("signature is not canonical base64") from None
    if len(raw) < 5:
        raise _malformed("a signature is a key id and at least one byte")
    return NoteSignature(name, raw[:4], raw[4:])


def parse_note(data: str | bytes) -> Note:
    """Split a note into text and signature lines, verifying nothing.

    Strict: UTF-8, at most 1 MiB, no control character but newline, the last blank line
    separating a non-empty text from 1..100 well-formed signature lines, a final newline
    [AUD-NOTE-001..005].  Duplicate lines are kept.  Raises NOTE_MALFORMED.
    """
    note = _decode_note(data)
    if _CONTROL.search(note):
        raise _malformed("a note holds no control character except newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise _malformed("a note has a blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise _malformed("a note ends with a signature line and a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _malformed("more than 100 signature lines")
    return Note(text, tuple(_parse_line(line) for line in lines))


def _index(verifiers: Sequence[NoteVerifier]) -> dict[tuple[str, bytes], list[NoteVerifier]]:
    known: dict[tuple[str, bytes], list[NoteVerifier]] = {}
    for verifier in verifiers:
        known.setdefault((verifier.name, verifier.key_id), []).append(verifier)
    return known


def open_note(
    data: str | bytes, verifiers: Sequence[NoteVerifier]
) -> tuple[Note, list[NoteVerifier]]:
    """Parse a note and verify it against trusted keys; call before using its text.

    A line whose (name, key id) matches no trusted key is kept unverified [AUD-NOTE-009]; every
    line that matches one must verify [AUD-NOTE-010]; at least one must [AUD-NOTE-011].
    Identical lines count once and are dropped from the returned note [AUD-NOTE-012].  Returns
    the note and the verifiers that verified, each once, in line order.

    Raises NOTE_MALFORMED (see :func:`parse_note`) or NOTE_SIGNATURE_INVALID: a trusted key's
    signature fails, none verifies, or a line matches two trusted entries [AUD-NOTE-013].
    """
    parsed = parse_note(data)
    known = _index(verifiers)
    kept: list[NoteSignature] = []
    verified: list[NoteVerifier] = []
    for sig in parsed.signatures:
        if sig in kept:
            continue
        kept.append(sig)
        matches = known.get((sig.name, sig.key_id))
        if matches is None:
            continue
        if len(matches) > 1:
            raise _invalid(f"ambiguous trusted key {sig.name}+{sig.key_id.hex()}")
        matches[0].verify(parsed.text, sig.payload)
        if matches[0] not in verified:
            verified.append(matches[0])
    if not verified:
        raise _invalid("no trusted key signed the note")
    return Note(parsed.text, tuple(kept)), verified


def sign_note(text: str, name: str, key: SigningKey) -> NoteSignature:
    """An Ed25519 (type 0x01) signature line by ``key`` under ``name`` over ``text``.

    Raises NOTE_MALFORMED if the text or name is not legal [AUD-NOTE-002] [AUD-NOTE-003].
    """
    raw = check_text(text)
    check_name(name)
    kid = key_id(name, ED25519, key.verify_key.raw)
    return NoteSignature(name, kid, key.sign(raw))  # [AUD-NOTE-008]


def add_signatures(note_text: str, extra: Sequence[NoteSignature]) -> str:
    """Append signature lines to a signed note, skipping any whose name and key id it has.

    ``note_text`` is a whole signed note, such as a signed checkpoint; a line already there
    wins over a new one with the same name and key id [AUD-NOTE-014].  Raises NOTE_MALFORMED
    if the note does not parse or would exceed 100 signature lines.
    """
    note = parse_note(note_text)
    lines = list(note.signatures)
    have = {(sig.name, sig.key_id) for sig in lines}
    for sig in extra:
        if (sig.name, sig.key_id) not in have:
            have.add((sig.name, sig.key_id))
            lines.append(sig)
    if len(lines) > MAX_SIGNATURES:
        raise _malformed("more than 100 signature lines")
    out = Note(note.text, tuple(lines)).encode()
    parse_note(out)  # size limit and shape still hold
    return out
