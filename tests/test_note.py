"""C2SP signed notes and verifier keys (aip.audit.note; spec AUD-NOTE).

The public signed-note vectors (C2SP example, golang.org/x/mod/sumdb/note) case by case, our
vector files through the conformance operations, and properties: sign -> open round trips and
any single changed byte is refused.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aip.audit.note import (
    COSIGNATURE_V1,
    ED25519,
    MAX_NOTE_SIZE,
    Note,
    NoteSignature,
    NoteVerifier,
    add_signatures,
    b64_decode,
    key_id,
    open_note,
    parse_note,
    parse_vkey,
    sign_note,
)
from aip.errors import AipError, Code
from aip.identity.keys import SigningKey, VerifyKey
from tests.helpers import code_of

SPEC = Path(__file__).resolve().parent.parent / "spec" / "vectors"
EXT = json.loads((SPEC / "external" / "signed-note" / "note-vectors.json").read_text("utf-8"))
KEY = SigningKey(bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
OTHER = SigningKey(bytes(32))
NAME = "log.example/aip-audit-log"
LOG = NoteVerifier.from_key(NAME, KEY.verify_key)
PETER = next(k for k in EXT["keys"] if k["id"] == "peter")

# ------------------------------------------------------------ public vectors


@pytest.mark.parametrize("key", EXT["keys"], ids=lambda k: k["id"])
def test_external_vkeys_round_trip(key: dict[str, Any]) -> None:
    verifier = parse_vkey(key["vkey"])
    assert verifier.name == key["name"]
    assert verifier.kind == ED25519
    assert verifier.key_id.hex() == key["key_id_hex"]
    assert verifier.key.raw.hex() == key["public_key_hex"]
    assert verifier.vkey() == key["vkey"]
    assert key_id(key["name"], ED25519, verifier.key.raw).hex() == key["key_id_hex"]


@pytest.mark.parametrize("key", [k for k in EXT["keys"] if k["private_key"]], ids=lambda k: k["id"])
def test_external_private_keys_give_the_vkeys(key: dict[str, Any]) -> None:
    # Go private key text: PRIVATE+KEY+name+hex(keyid)+base64(0x01 || seed), at most 5 fields
    fields = key["private_key"].split("+", 4)
    material = base64.b64decode(fields[4])
    assert fields[:3] == ["PRIVATE", "KEY", key["name"]]
    assert material[0] == ED25519
    assert material[1:].hex() == key["private_seed_hex"]
    signer = SigningKey(material[1:])
    assert NoteVerifier.from_key(key["name"], signer.verify_key).vkey() == key["vkey"]


@pytest.mark.parametrize("case", EXT["notes"], ids=lambda c: c["id"])
def test_external_notes(case: dict[str, Any]) -> None:
    verifiers = [parse_vkey(v) for v in case["verifier_vkeys"]]
    expect = case["expect"]
    if not expect["ok"]:
        malformed = "malformed" in expect["error"]
        want = Code.NOTE_MALFORMED if malformed else Code.NOTE_SIGNATURE_INVALID
        assert code_of(open_note, case["note"], verifiers) == want
        return
    note, verified = open_note(case["note"], verifiers)
    assert note.text == case["text"]
    assert [v.name for v in verified] == expect["verified"]
    known = {(v.name, v.key_id) for v in verifiers}
    unverified = [s for s in note.signatures if (s.name, s.key_id) not in known]
    assert [s.name for s in unverified] == expect["unverified"]
    if "unverified_base64" in expect:
        got = [base64.b64encode(s.key_id + s.payload).decode() for s in unverified]
        assert got == expect["unverified_base64"]


def test_external_go_sign_peter_reproduced() -> None:
    case = next(c for c in EXT["notes"] if c["id"] == "go-sign-peter")
    signer = SigningKey(bytes.fromhex(PETER["private_seed_hex"]))
    line = sign_note(case["text"], "PeterNeumann", signer)
    assert Note(case["text"], (line,)).encode() == case["note"]
    assert add_signatures(case["note"], [line]) == case["note"]


@pytest.mark.parametrize("case", EXT["malformed_notes"], ids=lambda c: c["why"])
def test_external_malformed_notes(case: dict[str, Any]) -> None:
    data: str | bytes = case["note"] if "note" in case else bytes.fromhex(case["note_hex"])
    verifiers = [parse_vkey(v) for v in EXT["malformed_notes_verifier_vkeys"]]
    assert code_of(parse_note, data) == Code.NOTE_MALFORMED
    assert code_of(open_note, data, verifiers) == Code.NOTE_MALFORMED


@pytest.mark.parametrize("case", EXT["bad_vkeys"], ids=lambda c: c["why"])
def test_external_bad_vkeys(case: dict[str, Any]) -> None:
    assert code_of(parse_vkey, case["vkey"]) == Code.NOTE_MALFORMED


def test_every_substring_and_increment_of_a_vkey_is_refused() -> None:
    # the checks golang's TestNewVerifier makes on the Peter vkey
    vkey = PETER["vkey"]
    for start in range(len(vkey)):
        for end in range(start, len(vkey) + 1):
            if (start, end) != (0, len(vkey)):
                assert code_of(parse_vkey, vkey[start:end]) == Code.NOTE_MALFORMED
    for index in range(len(vkey)):
        changed = vkey[:index] + chr(ord(vkey[index]) + 1) + vkey[index + 1 :]
        assert code_of(parse_vkey, changed) == Code.NOTE_MALFORMED


# ------------------------------------------------------------ our vector files


# ------------------------------------------------------------ rules in detail


def test_open_returns_note_without_duplicate_lines() -> None:
    text = "hello\n"
    line = sign_note(text, NAME, KEY)
    junk = NoteSignature("x.example", b"\x01\x02\x03\x04", b"\x00" * 64)
    note, verified = open_note(Note(text, (line, junk, line, junk)).encode(), [LOG])
    assert note.signatures == (line, junk)
    assert verified == [LOG]
    assert parse_note(Note(text, (line, junk, line)).encode()).signatures == (line, junk, line)


def test_a_second_bad_line_of_a_trusted_key_is_refused() -> None:
    # Go's note.Open verifies only the first line of each key; C2SP says every one (AUD-NOTE-010)
    text = "hello\n"
    good = sign_note(text, NAME, KEY)
    bad = NoteSignature(NAME, LOG.key_id, OTHER.sign(text.encode()))
    code = code_of(open_note, Note(text, (good, bad)).encode(), [LOG])
    assert code == Code.NOTE_SIGNATURE_INVALID


def test_size_limit() -> None:
    line = sign_note("x\n", NAME, KEY).line()
    filler = "a" * (MAX_NOTE_SIZE - len(line.encode()) - 2) + "\n"
    at_limit = filler + "\n" + sign_note(filler, NAME, KEY).line()
    assert len(at_limit.encode()) == MAX_NOTE_SIZE
    assert open_note(at_limit, [LOG])[1] == [LOG]
    over = "a" + at_limit
    assert code_of(parse_note, over) == Code.NOTE_MALFORMED
    assert code_of(parse_note, over.encode()) == Code.NOTE_MALFORMED
    assert code_of(sign_note, "a" * MAX_NOTE_SIZE + "\n", NAME, KEY) == Code.NOTE_MALFORMED


def test_lone_surrogates_are_malformed() -> None:
    line = sign_note("x\n", NAME, KEY).line()
    assert code_of(parse_note, "\ud800\n\n" + line) == Code.NOTE_MALFORMED
    assert code_of(sign_note, "\udc00\n", NAME, KEY) == Code.NOTE_MALFORMED
    assert code_of(NoteVerifier.from_key, "a\ud800", KEY.verify_key) == Code.NOTE_MALFORMED


def test_verifier_checks() -> None:
    assert code_of(NoteVerifier.from_key, NAME, KEY.verify_key, 0x02) == Code.NOTE_MALFORMED
    assert code_of(NoteVerifier, NAME, ED25519, b"\x00" * 4, KEY.verify_key) == Code.NOTE_MALFORMED
    cos = NoteVerifier.from_key(NAME, KEY.verify_key, COSIGNATURE_V1)
    assert cos.key_id != LOG.key_id  # same key and name, another type: another id
    assert parse_vkey(cos.vkey()) == cos
    assert code_of(NoteSignature, NAME, b"\x00" * 3, b"\x01") == Code.NOTE_MALFORMED
    assert code_of(NoteSignature, NAME, b"\x00" * 4, b"") == Code.NOTE_MALFORMED


def test_strict_base64() -> None:
    assert b64_decode("AA==") == b"\x00"
    for text in ("AB==", "AA", "AA=", "A===", "AA==\n", "-_8=", "ＡＡ==", ""):
        if text:
            with pytest.raises(ValueError):  # noqa: PT011 - b64_decode raises plain ValueError
                b64_decode(text)
    assert b64_decode("") == b""


def test_add_signatures() -> None:
    text = "hello\n"
    first = Note(text, (sign_note(text, NAME, KEY),)).encode()
    extra = sign_note(text, "other.example/k", OTHER)
    again = NoteSignature(NAME, LOG.key_id, b"\x00" * 64)  # same name and key id: skipped
    out = add_signatures(first, [extra, again, extra])
    assert out == first + extra.line()
    other_v = NoteVerifier.from_key("other.example/k", OTHER.verify_key)
    assert open_note(out, [LOG, other_v])[1] == [LOG, other_v]
    many = [NoteSignature(f"w{i}.example", i.to_bytes(4, "big"), b"\x01") for i in range(99)]
    full = add_signatures(first, many)
    assert len(parse_note(full).signatures) == 100
    more = NoteSignature("w100.example", b"\xff" * 4, b"\x01")
    assert code_of(add_signatures, full, [more]) == Code.NOTE_MALFORMED
    assert code_of(add_signatures, text, [extra]) == Code.NOTE_MALFORMED


# ------------------------------------------------------------ properties

texts = st.lists(
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30), min_size=1, max_size=5
).map(lambda lines: "\n".join(lines) + "\n")
names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")).filter(
        lambda c: c != "+" and not c.isspace()
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=200)
@given(texts, names)
def test_sign_open_round_trip(text: str, name: str) -> None:
    verifier = NoteVerifier.from_key(name, KEY.verify_key)
    line = sign_note(text, name, KEY)
    encoded = Note(text, (line,)).encode()
    note, verified = open_note(encoded, [verifier])
    assert note.text == text
    assert verified == [verifier]
    assert note.encode() == encoded
    assert parse_vkey(verifier.vkey()) == verifier


@settings(max_examples=300)
@given(texts, st.data())
def test_any_changed_byte_is_refused(text: str, data: st.DataObject) -> None:
    wire = bytearray(Note(text, (sign_note(text, NAME, KEY),)).encode().encode())
    index = data.draw(st.integers(0, len(wire) - 1))
    wire[index] = data.draw(st.integers(0, 255).filter(lambda b: b != wire[index]))
    with pytest.raises(AipError) as info:
        open_note(bytes(wire), [LOG])
    assert info.value.code in (Code.NOTE_MALFORMED, Code.NOTE_SIGNATURE_INVALID)


@settings(max_examples=100)
@given(texts, st.lists(st.booleans(), min_size=1, max_size=8))
def test_unknown_lines_never_matter(text: str, order: list[bool]) -> None:
    # any mix of unknown lines around the log's line opens the same way
    log_line = sign_note(text, NAME, KEY)
    other = sign_note(text, "other.example/k", OTHER)
    lines = (*(log_line if pick else other for pick in order), log_line)
    note, verified = open_note(Note(text, lines).encode(), [LOG])
    assert verified == [LOG]
    assert set(note.signatures) <= {log_line, other}


def test_verify_key_material_of_vkeys_is_the_key() -> None:
    verifier = parse_vkey(PETER["vkey"])
    assert verifier.key == VerifyKey(bytes.fromhex(PETER["public_key_hex"]))
