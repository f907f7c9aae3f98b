"""Vector operations for signed notes, checkpoints and cosignatures (Part 11, AUD-NOTE/CKP/COS).

Each operation adapts one vector ``input`` object to :mod:`aip.audit.note` and
:mod:`aip.audit.checkpoint`.  Keys arrive as RFC 8032 seeds (``seed_hex``) or as verifier key
text (``vkeys``, ``log_vkey``, ``witness_vkeys``); a note that is not valid UTF-8 arrives as
``note_hex``; times are RFC 3339 UTC and become POSIX seconds.  Library errors propagate as
:class:`aip.errors.AuditError`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aip.audit import checkpoint as ckp
from aip.audit import note as nt
from aip.identity.keys import SigningKey

__all__ = ["OPERATIONS"]


def _seconds(text: str) -> int:
    """POSIX seconds of an RFC 3339 UTC time (``...Z``)."""
    return int(datetime.fromisoformat(text).timestamp())


def _note_data(data: dict[str, Any]) -> str | bytes:
    if "note_hex" in data:
        return bytes.fromhex(data["note_hex"])
    text = data["note"]
    assert isinstance(text, str)
    return text


def _checkpoint(data: dict[str, Any]) -> ckp.Checkpoint:
    return ckp.Checkpoint(
        data["origin"], data["size"], bytes.fromhex(data["root_hex"]),
        tuple(data.get("extensions", ())),
    )  # fmt: skip


def note_open(data: dict[str, Any]) -> dict[str, Any]:
    """Open ``note`` (or ``note_hex``) trusting ``vkeys``; name who verified and who did not."""
    verifiers = [nt.parse_vkey(v) for v in data["vkeys"]]
    note, verified = nt.open_note(_note_data(data), verifiers)
    known = {(v.name, v.key_id) for v in verifiers}
    return {
        "text": note.text,
        "verified": [v.name for v in verified],
        "unverified": [s.name for s in note.signatures if (s.name, s.key_id) not in known],
    }


def note_sign(data: dict[str, Any]) -> dict[str, Any]:
    """Sign ``text`` as ``name`` with the key of ``seed_hex``; the note and its line."""
    key = SigningKey(bytes.fromhex(data["seed_hex"]))
    line = nt.sign_note(data["text"], data["name"], key)
    return {"note": nt.Note(data["text"], (line,)).encode(), "line": line.line()}


def note_add_signatures(data: dict[str, Any]) -> dict[str, Any]:
    """Append the signature lines in ``add`` (full line texts) to the signed ``note``."""
    lines = [nt.parse_note("-\n\n" + text).signatures[0] for text in data["add"]]
    return {"note": nt.add_signatures(data["note"], lines)}


def note_vkey(data: dict[str, Any]) -> dict[str, Any]:
    """The vkey and key id of the key of ``seed_hex`` under ``name`` and type ``kind``."""
    public = SigningKey(bytes.fromhex(data["seed_hex"])).verify_key
    verifier = nt.NoteVerifier.from_key(data["name"], public, data["kind"])
    return {
        "vkey": verifier.vkey(),
        "key_id_hex": verifier.key_id.hex(),
        "public_key_hex": public.raw.hex(),
    }


def note_parse_vkey(data: dict[str, Any]) -> dict[str, Any]:
    """Parse ``vkey``; its name, type, key id and public key."""
    verifier = nt.parse_vkey(data["vkey"])
    return {
        "name": verifier.name,
        "kind": verifier.kind,
        "key_id_hex": verifier.key_id.hex(),
        "public_key_hex": verifier.key.raw.hex(),
    }


def checkpoint_sign(data: dict[str, Any]) -> dict[str, Any]:
    """Sign the checkpoint of ``origin``/``size``/``root_hex`` as ``name`` (default: origin)."""
    cp = _checkpoint(data)
    key = SigningKey(bytes.fromhex(data["seed_hex"]))
    return {"body": cp.body(), "note": ckp.sign_checkpoint(cp, data.get("name", cp.origin), key)}


def checkpoint_open(data: dict[str, Any]) -> dict[str, Any]:
    """Open ``note`` with the log key ``log_vkey`` (and the expected ``origin``, if given)."""
    log = nt.parse_vkey(data["log_vkey"])
    cp, _ = ckp.open_checkpoint(_note_data(data), log, data.get("origin"))
    out: dict[str, Any] = {
        "body": cp.body(),
        "origin": cp.origin,
        "size_decimal": str(cp.size),
        "root_hex": cp.root.hex(),
        "extensions": list(cp.extensions),
    }
    if cp.size < 1 << 53:  # beyond that, sizes travel only as decimal text in vectors
        out["size"] = cp.size
    return out


def checkpoint_cosign(data: dict[str, Any]) -> dict[str, Any]:
    """Cosign the checkpoint as ``witness`` with the key of ``seed_hex`` at ``time``."""
    key = SigningKey(bytes.fromhex(data["seed_hex"]))
    timestamp = _seconds(data["time"])
    sig = ckp.cosign(_checkpoint(data), data["witness"], key, timestamp)
    return {
        "timestamp": timestamp,
        "line": sig.line(),
        "vkey": ckp.cosigner(data["witness"], key.verify_key).vkey(),
    }


def checkpoint_cosigners(data: dict[str, Any]) -> dict[str, Any]:
    """Open ``note`` with ``log_vkey`` and require ``quorum`` of ``witness_vkeys`` (at ``now``)."""
    cp, note = ckp.open_checkpoint(_note_data(data), nt.parse_vkey(data["log_vkey"]))
    witnesses = [nt.parse_vkey(v) for v in data["witness_vkeys"]]
    now = _seconds(data["now"]) if "now" in data else None
    found = ckp.require_cosignatures(cp, note, witnesses, data["quorum"], now)
    return {"cosigners": [w.name for w in found]}


OPERATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "note.open": note_open,
    "note.sign": note_sign,
    "note.add_signatures": note_add_signatures,
    "note.vkey": note_vkey,
    "note.parse_vkey": note_parse_vkey,
    "checkpoint.sign": checkpoint_sign,
    "checkpoint.open": checkpoint_open,
    "checkpoint.cosign": checkpoint_cosign,
    "checkpoint.cosigners": checkpoint_cosigners,
}
