"""Regenerate spec/vectors/audit/{note-open,note-keys,checkpoints,cosignatures}.json.

Expected values are computed here from the C2SP rules, independently of ``aip.audit``: note
and checkpoint text by string formatting, key ids with ``hashlib``, base64 with ``base64``,
Ed25519 with ``cryptography`` (OpenSSL).  Keys are RFC 8032 §7.1 seeds: TEST 1 signs for the
log, TEST 2 and TEST 3 are witnesses; "the zero key" (32 zero bytes) is an unrelated key.
Ed25519 is deterministic and nothing reads a clock, so every run writes the same bytes.
Run from the repository root: ``.venv/bin/python tools/gen_note_vectors.py``.
"""

# Case builders take their fields positionally, one case per line, like the tables elsewhere.
# ruff: noqa: PLR0917

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "audit"

LOG_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"  # RFC 8032 TEST 1
W1_SEED = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"  # RFC 8032 TEST 2
W2_SEED = "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"  # RFC 8032 TEST 3
ZERO_SEED = "00" * 32
LOG = "log.example/aip-audit-log"
W1 = "witness-one.example/aip-witness"
W2 = "witness-two.example/aip-witness"
DASH = "\u2014 "
ED, COSIG = 0x01, 0x04
TIME = "2026-11-21T10:00:00Z"
T = int(datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC).timestamp())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def pub(seed: str) -> bytes:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign(seed: str, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed)).sign(message)


def kid(name: str, kind: int, seed: str) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + pub(seed)).digest()[:4]


def vkey(name: str, kind: int, seed: str) -> str:
    return f"{name}+{kid(name, kind, seed).hex()}+{b64(bytes([kind]) + pub(seed))}"


def line(name: str, raw: bytes) -> str:
    return f"{DASH}{name} {b64(raw)}\n"


def ed_line(text: str, name: str, seed: str) -> str:
    """A type 0x01 signature line over ``text``."""
    return line(name, kid(name, ED, seed) + sign(seed, text.encode()))


def cosig_payload(body: str, seed: str, ts: int) -> bytes:
    return ts.to_bytes(8, "big") + sign(seed, f"cosignature/v1\ntime {ts}\n".encode() + body.encode())


def cosig_line(body: str, name: str, seed: str, ts: int) -> str:
    return line(name, kid(name, COSIG, seed) + cosig_payload(body, seed, ts))


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 Merkle tree hash."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def root_of(size: int) -> bytes:
    return mth([f"entry {i}".encode() for i in range(size)])


def body(origin: str, size: int | str, root: bytes | str, ext: tuple[str, ...] = ()) -> str:
    root_text = root if isinstance(root, str) else b64(root)
    return f"{origin}\n{size}\n{root_text}\n" + "".join(e + "\n" for e in ext)


def log_note(text: str, *extra: str) -> str:
    return text + "\n" + ed_line(text, LOG, LOG_SEED) + "".join(extra)


def write(path: str, doc: dict[str, Any]) -> None:
    out = ROOT / path
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(path, len(doc["cases"]))


def valid(cid: str, reqs: list[str], inp: dict[str, Any], exp: dict[str, Any], why: str, op: str | None = None) -> dict[str, Any]:
    case: dict[str, Any] = {"id": cid, "requirements": reqs, "verdict": "valid", "input": inp, "expected": exp, "comment": why}
    if op:
        case["operation"] = op
    return case


def invalid(cid: str, reqs: list[str], inp: dict[str, Any], code: int, why: str, op: str | None = None) -> dict[str, Any]:
    case: dict[str, Any] = {"id": cid, "requirements": reqs, "verdict": "invalid", "input": inp, "error": code, "comment": why}
    if op:
        case["operation"] = op
    return case


MALFORMED, BAD_SIG, MISSING = -34107, -34108, -34110
LOG_VKEY = vkey(LOG, ED, LOG_SEED)
W1_VKEY = vkey(W1, COSIG, W1_SEED)
W2_VKEY = vkey(W2, COSIG, W2_SEED)


# ---------------------------------------------------------------- note.open
def note_open() -> None:
    msg = "The log of log.example saw these records.\n"
    signed = log_note(msg)
    w1_plain = ed_line(msg, W1, W1_SEED)  # witness key used as an ordinary type 0x01 signer
    w1_plain_vkey = vkey(W1, ED, W1_SEED)
    good = ed_line(msg, LOG, LOG_SEED)
    raw_good = base64.b64decode(good.split(" ")[2])
    cases: list[dict[str, Any]] = []
    n = iter(range(1, 1000))

    def ok(reqs: list[str], note: str, vkeys: list[str], verified: list[str], unverified: list[str], why: str) -> None:
        cases.append(valid(f"audit-note-open-{next(n):03d}", reqs, {"note": note, "vkeys": vkeys},
                           {"text": note[: note.rindex("\n\n") + 1], "verified": verified, "unverified": unverified}, why))

    def bad(reqs: list[str], note: str | bytes, vkeys: list[str], code: int, why: str) -> None:
        inp: dict[str, Any] = {"note_hex": note.hex()} if isinstance(note, bytes) else {"note": note}
        inp["vkeys"] = vkeys
        cases.append(invalid(f"audit-note-open-{next(n):03d}", reqs, inp, code, why))

    ok(["AUD-NOTE-002", "AUD-NOTE-008", "AUD-NOTE-011"], signed, [LOG_VKEY], [LOG], [], "one Ed25519 signature by the log key over the text including its final newline")
    text2 = "first paragraph\n\nsecond paragraph after an empty line\n"
    ok(["AUD-NOTE-002"], log_note(text2), [LOG_VKEY], [LOG], [], "the text may hold empty lines; the LAST blank line separates text and signatures")
    text3 = "智能体互联 — 审计日志\n"
    ok(["AUD-NOTE-001", "AUD-NOTE-008"], log_note(text3), [LOG_VKEY], [LOG], [], "non-ASCII UTF-8 text (and an em dash inside the text) is signed as its UTF-8 bytes")
    ok(["AUD-NOTE-002"], log_note("\n"), [LOG_VKEY], [LOG], [], "the smallest text: one empty line (the note starts with two newlines)")
    ok(["AUD-NOTE-009"], signed + w1_plain, [LOG_VKEY], [LOG], [W1], "a signature from a key not trusted is kept, unverified")
    ok(["AUD-NOTE-009", "AUD-NOTE-010"], signed + w1_plain, [LOG_VKEY, w1_plain_vkey], [LOG, W1], [], "both keys trusted: both verify, in line order")
    zero_same_name = line(LOG, kid(LOG, ED, ZERO_SEED) + sign(ZERO_SEED, msg.encode()))
    ok(["AUD-NOTE-009"], signed + zero_same_name, [LOG_VKEY], [LOG], [LOG], "a line with the log's name but another key id (the zero key) is not the log's: ignored")
    same_id_other_name = line("log.example/other", kid(LOG, ED, LOG_SEED) + b"\x00" * 64)
    ok(["AUD-NOTE-009"], signed + same_id_other_name, [LOG_VKEY], [LOG], ["log.example/other"], "the log's key id under another name is not the log's: ignored, never verified (its signature is junk)")
    ok(["AUD-NOTE-012"], signed + good + good, [LOG_VKEY], [LOG], [], "identical lines count once")
    ok(["AUD-NOTE-012", "AUD-NOTE-009"], signed + w1_plain + w1_plain, [LOG_VKEY], [LOG], [W1], "identical unknown lines are kept once")
    unknown15 = "".join(line(f"other{i}.example/k", bytes([i]) * 4 + bytes([i]) * 64) for i in range(15))
    ok(["AUD-NOTE-005"], signed + unknown15, [LOG_VKEY], [LOG], [f"other{i}.example/k" for i in range(15)], "16 signature lines must be accepted")
    ok(["AUD-NOTE-005", "AUD-NOTE-012"], msg + "\n" + good * 100, [LOG_VKEY], [LOG], [], "exactly 100 signature lines (all identical) is the limit and is accepted")
    cp_text = body(LOG, 3, root_of(3))
    ok(["AUD-COS-001", "AUD-COS-003"], log_note(cp_text, cosig_line(cp_text, W1, W1_SEED, T)), [W1_VKEY], [W1], [LOG], "a type 0x04 vkey verifies a cosignature/v1 line over the note text; the log line is then the unknown one")
    # malformed (-34107)
    bad(["AUD-NOTE-002"], msg, [LOG_VKEY], MALFORMED, "text only: no blank line, no signature")
    bad(["AUD-NOTE-002"], msg + "\n", [LOG_VKEY], MALFORMED, "a blank line but no signature line")
    bad(["AUD-NOTE-002"], signed[:-1], [LOG_VKEY], MALFORMED, "the last signature line lacks its newline")
    bad(["AUD-NOTE-002"], signed + "\n", [LOG_VKEY], MALFORMED, "an empty line after the signatures")
    bad(["AUD-NOTE-002"], signed + "trailing words\n", [LOG_VKEY], MALFORMED, "a line after the signatures that is not a signature line")
    bad(["AUD-NOTE-002"], msg + "\n" + good.replace(DASH, "- ", 1), [LOG_VKEY], MALFORMED, "a hyphen instead of the em dash")
    bad(["AUD-NOTE-002"], msg + "\n" + good.replace(DASH, "\u2014", 1), [LOG_VKEY], MALFORMED, "no space after the em dash")
    bad(["AUD-NOTE-002"], msg + "\n" + f"{DASH}{LOG}  {b64(raw_good)}\n", [LOG_VKEY], MALFORMED, "two spaces between name and signature")
    bad(["AUD-NOTE-002"], msg + "\n" + f"{DASH}{LOG}\n", [LOG_VKEY], MALFORMED, "a signature line without a signature")
    bad(["AUD-NOTE-001"], log_note("tab\there\n"), [LOG_VKEY], MALFORMED, "a tab is a control character (the signature over it is valid)")
    bad(["AUD-NOTE-001"], log_note("carriage return\r\n"), [LOG_VKEY], MALFORMED, "CR LF line ends are not allowed (CR is a control character)")
    bad(["AUD-NOTE-001"], log_note("nul\x00\n"), [LOG_VKEY], MALFORMED, "a NUL character")
    bad(["AUD-NOTE-001"], b"\xff" + signed.encode(), [LOG_VKEY], MALFORMED, "not UTF-8: a 0xFF byte")
    bad(["AUD-NOTE-001"], b"\xc0\xaf" + signed.encode(), [LOG_VKEY], MALFORMED, "not UTF-8: an overlong encoding of '/'")
    bad(["AUD-NOTE-001"], b"\xed\xa0\x80\n" + signed.encode(), [LOG_VKEY], MALFORMED, "not UTF-8: an encoded surrogate U+D800")
    bad(["AUD-NOTE-003"], msg + "\n" + line("log.example+x", raw_good), [LOG_VKEY], MALFORMED, "a key name with '+'")
    bad(["AUD-NOTE-003"], msg + "\n" + line("", raw_good), [LOG_VKEY], MALFORMED, "an empty key name")
    bad(["AUD-NOTE-003"], msg + "\n" + line("log.example/\u3000x", raw_good), [LOG_VKEY], MALFORMED, "a key name with U+3000 IDEOGRAPHIC SPACE (Unicode whitespace)")
    bad(["AUD-NOTE-003"], msg + "\n" + line("log.example/\u00a0x", raw_good), [LOG_VKEY], MALFORMED, "a key name with U+00A0 NO-BREAK SPACE")
    b = b64(raw_good)
    bad(["AUD-NOTE-004"], msg + "\n" + f"{DASH}{LOG} {b.rstrip('=')}\n", [LOG_VKEY], MALFORMED, "signature base64 without its padding")
    bad(["AUD-NOTE-004"], msg + "\n" + f"{DASH}{LOG} {b[:-2]}B=\n", [LOG_VKEY], MALFORMED, "non-canonical base64: unused bits of the last character are not zero")
    assert "+" in b or "/" in b
    bad(["AUD-NOTE-004"], msg + "\n" + f"{DASH}{LOG} {b.replace('+', '-').replace('/', '_')}\n", [LOG_VKEY], MALFORMED, "URL-safe alphabet instead of the standard one")
    bad(["AUD-NOTE-004"], msg + "\n" + f"{DASH}{LOG} {b[:-4]}*{b[-3:]}\n", [LOG_VKEY], MALFORMED, "a character outside the base64 alphabet")
    bad(["AUD-NOTE-004"], msg + "\n" + line(LOG, raw_good[:4]), [LOG_VKEY], MALFORMED, "a key id and nothing else (4 bytes)")
    bad(["AUD-NOTE-005"], msg + "\n" + good * 101, [LOG_VKEY], MALFORMED, "101 signature lines, although identical: over the limit of 100")
    # signature failures (-34108)
    bad(["AUD-NOTE-011"], signed + w1_plain, [], BAD_SIG, "no trusted key at all")
    bad(["AUD-NOTE-011"], signed, [w1_plain_vkey], BAD_SIG, "only another key is trusted")
    bad(["AUD-NOTE-010"], msg.replace("saw", "sat") + "\n" + good, [LOG_VKEY], BAD_SIG, "one character of the text changed")
    flipped = bytearray(raw_good)
    flipped[10] ^= 0x01
    bad(["AUD-NOTE-010"], msg + "\n" + line(LOG, bytes(flipped)), [LOG_VKEY], BAD_SIG, "one bit of the signature flipped")
    bad(["AUD-NOTE-010"], msg + "\n" + line(LOG, raw_good[:-1]), [LOG_VKEY], BAD_SIG, "a trusted key's signature of 63 bytes")
    forged = line(LOG, kid(LOG, ED, LOG_SEED) + sign(ZERO_SEED, msg.encode()))
    bad(["AUD-NOTE-010"], msg + "\n" + forged, [LOG_VKEY], BAD_SIG, "the log's name and key id, but signed by the zero key")
    bad(["AUD-NOTE-010"], signed + w1_plain + forged, [LOG_VKEY, w1_plain_vkey], BAD_SIG, "two good lines and a second, bad line under the log key: every line of a trusted key must verify (Delta: Go checks only the first)")
    bad(["AUD-NOTE-013"], signed, [LOG_VKEY, LOG_VKEY], BAD_SIG, "the trusted list holds the log key twice and the note uses it: ambiguous")
    bad(["AUD-NOTE-010"], signed + line(W1, kid(W1, ED, W1_SEED) + sign(W1_SEED, b"other text\n")), [LOG_VKEY, w1_plain_vkey], BAD_SIG, "a trusted witness key signed another text")
    write("note-open.json", {
        "format": "aip-vectors/1",
        "area": "audit.note",
        "operation": "note.open",
        "description": "Opening C2SP signed notes against trusted verifier keys: the accepted shape, unknown and duplicate lines, the 100-line limit, malformed notes (-34107) and signature failures (-34108). Expected values from tools/gen_note_vectors.py (hashlib, base64, cryptography Ed25519; RFC 8032 TEST 1 seed as the log key).",
        "cases": cases,
    })


# ---------------------------------------------------------------- note keys and signing
def note_keys() -> None:
    cases: list[dict[str, Any]] = []
    n = iter(range(1, 1000))

    def cid() -> str:
        return f"audit-note-key-{next(n):03d}"

    for name, seed, kind, why in [
        (LOG, LOG_SEED, ED, "the log key (RFC 8032 TEST 1) as an Ed25519 note key"),
        (W1, W1_SEED, COSIG, "a witness key (RFC 8032 TEST 2) as a cosignature/v1 key"),
        (W1, W1_SEED, ED, "the same witness key as type 0x01: another key id, same material"),
        ("名前.example/log", W2_SEED, ED, "a non-ASCII key name is hashed as UTF-8"),
    ]:
        reqs = ["AUD-NOTE-006", "AUD-NOTE-007"] + (["AUD-COS-001"] if kind == COSIG else [])
        cases.append(valid(cid(), reqs, {"name": name, "seed_hex": seed, "kind": kind},
                           {"vkey": vkey(name, kind, seed), "key_id_hex": kid(name, kind, seed).hex(), "public_key_hex": pub(seed).hex()},
                           why + "; key id = SHA-256(name || 0x0A || type || pub)[:4] by hashlib", "note.vkey"))
    for name, seed, kind, why in [
        (LOG, LOG_SEED, ED, "round trip of the log vkey"),
        (W2, W2_SEED, COSIG, "a cosigner vkey with type byte 0x04"),
    ]:
        cases.append(valid(cid(), ["AUD-NOTE-007"], {"vkey": vkey(name, kind, seed)},
                           {"name": name, "kind": kind, "key_id_hex": kid(name, kind, seed).hex(), "public_key_hex": pub(seed).hex()},
                           why, "note.parse_vkey"))
    good = vkey(LOG, ED, LOG_SEED)
    name, hex_id, key64 = good.split("+", 2)
    p = pub(LOG_SEED)
    k2 = hashlib.sha256(LOG.encode() + b"\n\x02" + p).digest()[:4].hex()
    k_short = hashlib.sha256(LOG.encode() + b"\n\x01" + p[:31]).digest()[:4].hex()
    space_name = "log example"
    k_space = hashlib.sha256(space_name.encode() + b"\n\x01" + p).digest()[:4].hex()
    for text, why in [
        (f"{name}+{hex_id.upper()}+{key64}", "upper-case hex key id"),
        (f"{name}+{hex_id[:7]}+{key64}", "a key id of 7 hex digits"),
        (f"{name}+{hex_id}0+{key64}", "a key id of 9 hex digits"),
        (f"{name}+{(int(hex_id, 16) ^ 1):08x}+{key64}", "the key id does not match name and key"),
        (f"{name}+{k2}+{b64(bytes([2]) + p)}", "type byte 0x02 (ECDSA) is not supported here (key id adjusted to match)"),
        (f"{name}+{k_short}+{b64(bytes([1]) + p[:31])}", "31 key bytes (key id adjusted to match)"),
        (f"{name}+{hex_id}+{key64.rstrip('=')}A", "33 bytes of material spelled without the right length"),
        (f"{name}+{hex_id}", "two fields only"),
        (f"+{hex_id}+{key64}", "an empty name"),
        (f"{space_name}+{k_space}+{key64}", "a name with a space (key id adjusted to match)"),
        (f"{name}+{hex_id}+{key64} ", "a trailing space"),
        (f"{name}+{hex_id}+{b64(bytes([1]) + p + bytes(1))}", "33 key bytes"),
    ]:
        cases.append(invalid(cid(), ["AUD-NOTE-007"], {"vkey": text}, MALFORMED, why, "note.parse_vkey"))
    peter_text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    peter_seed = "810a1402d5146c8d84f2443330f54080ebf98ee17d9c74f6252fc5d5c7283173"
    for text, nm, seed, why in [
        ("A note by the log.\n", LOG, LOG_SEED, "sign a one-line text with the log key"),
        (peter_text, "PeterNeumann", peter_seed, "the golang.org/x/mod/sumdb/note example (external signed-note vectors): signing reproduces the published note"),
        ("two\n\nparagraphs\n", LOG, LOG_SEED, "a text with an empty line"),
    ]:
        cases.append(valid(cid(), ["AUD-NOTE-008"], {"text": text, "name": nm, "seed_hex": seed},
                           {"note": text + "\n" + ed_line(text, nm, seed), "line": ed_line(text, nm, seed)},
                           why + "; Ed25519 by cryptography", "note.sign"))
    for text, nm, why, reqs in [
        ("no final newline", LOG, "a text must end in a newline", ["AUD-NOTE-002"]),
        ("", LOG, "an empty text", ["AUD-NOTE-002"]),
        ("a\tb\n", LOG, "a control character in the text", ["AUD-NOTE-001"]),
        ("fine\n", "bad name", "a key name with a space", ["AUD-NOTE-003"]),
        ("fine\n", "a+b", "a key name with '+'", ["AUD-NOTE-003"]),
    ]:
        cases.append(invalid(cid(), reqs, {"text": text, "name": nm, "seed_hex": LOG_SEED}, MALFORMED, why, "note.sign"))
    text = body(LOG, 2, root_of(2))
    signed = log_note(text)
    c1 = cosig_line(text, W1, W1_SEED, T)
    c2 = cosig_line(text, W2, W2_SEED, T)
    c1_later = cosig_line(text, W1, W1_SEED, T + 1)
    relog = line(LOG, kid(LOG, ED, LOG_SEED) + bytes(64))
    for add, out, why in [
        ([c1], signed + c1, "one cosignature appended after the log's line"),
        ([c2, c1], signed + c2 + c1, "lines are appended in the order given"),
        ([c1, c1], signed + c1, "the same line twice is added once"),
        ([c1, c1_later], signed + c1, "a second line of the same witness (name and key id) is skipped: the first stays"),
        ([relog], signed, "a line with the log's name and key id is not added again"),
    ]:
        cases.append(valid(cid(), ["AUD-NOTE-014"], {"note": signed, "add": add}, {"note": out}, why, "note.add_signatures"))
    hundred = text + "\n" + "".join(line(f"k{i}.example", bytes([i]) * 5) for i in range(100))
    cases.append(invalid(cid(), ["AUD-NOTE-005", "AUD-NOTE-014"], {"note": hundred, "add": [c1]}, MALFORMED, "a note with 100 lines takes no more", "note.add_signatures"))
    cases.append(invalid(cid(), ["AUD-NOTE-002"], {"note": text, "add": [c1]}, MALFORMED, "signatures are added to a signed note, not to a bare text", "note.add_signatures"))
    write("note-keys.json", {
        "format": "aip-vectors/1",
        "area": "audit.note",
        "description": "Note key ids, verifier keys (vkeys) of types 0x01 and 0x04, Ed25519 note signing, and adding signature lines to a signed note. Expected values from tools/gen_note_vectors.py (hashlib, base64, cryptography Ed25519 with RFC 8032 seeds).",
        "cases": cases,
    })


# ---------------------------------------------------------------- checkpoints
def checkpoints() -> None:
    cases: list[dict[str, Any]] = []
    n = iter(range(1, 1000))

    def cid() -> str:
        return f"audit-checkpoint-{next(n):03d}"

    signs = [
        (0, (), "the empty tree: size 0 and SHA-256 of nothing"),
        (1, (), "one entry"),
        (7, (), "seven entries (an unbalanced tree)"),
        (3, ("ext one", "ext-two: 2"), "extension lines are written after the root, each with its newline"),
    ]
    for size, ext, why in signs:
        root = root_of(size)
        text = body(LOG, size, root, ext)
        inp: dict[str, Any] = {"origin": LOG, "size": size, "root_hex": root.hex(), "seed_hex": LOG_SEED}
        if ext:
            inp["extensions"] = list(ext)
        cases.append(valid(cid(), ["AUD-CKP-001", "AUD-CKP-007"] + (["AUD-CKP-006"] if ext else []), inp,
                           {"body": text, "note": log_note(text)}, why + "; root by hashlib over leaves 'entry i'", "checkpoint.sign"))
    root3 = root_of(3)
    for inp, why, reqs in [
        ({"origin": LOG, "size": -1, "root_hex": root3.hex()}, "a negative size", ["AUD-CKP-004"]),
        ({"origin": LOG, "size": 3, "root_hex": root3.hex()[:-2]}, "a 31-byte root", ["AUD-CKP-005"]),
        ({"origin": LOG, "size": 3, "root_hex": root3.hex() + "00"}, "a 33-byte root", ["AUD-CKP-005"]),
        ({"origin": "", "size": 3, "root_hex": root3.hex(), "name": LOG}, "an empty origin", ["AUD-CKP-002"]),
        ({"origin": LOG, "size": 3, "root_hex": root3.hex(), "extensions": [""]}, "an empty extension line", ["AUD-CKP-006"]),
        ({"origin": LOG, "size": 3, "root_hex": root3.hex(), "extensions": ["two\nlines"]}, "an extension holding a newline", ["AUD-CKP-006"]),
        ({"origin": LOG, "size": 3, "root_hex": root3.hex(), "name": "log.example/other"}, "a key name other than the origin", ["AUD-CKP-007"]),
    ]:
        inp["seed_hex"] = LOG_SEED
        cases.append(invalid(cid(), reqs, inp, MALFORMED, why, "checkpoint.sign"))

    def opened(text: str, note: str, exp: dict[str, Any], why: str, reqs: list[str], extra: dict[str, Any] | None = None) -> None:
        inp = {"note": note, "log_vkey": LOG_VKEY, **(extra or {})}
        cases.append(valid(cid(), reqs, inp, {"body": text, **exp}, why, "checkpoint.open"))

    for size, ext, why in signs:
        root = root_of(size)
        text = body(LOG, size, root, ext)
        opened(text, log_note(text), {"origin": LOG, "size": size, "size_decimal": str(size), "root_hex": root.hex(), "extensions": list(ext)},
               "open what the log signed: " + why, ["AUD-CKP-001", "AUD-CKP-008"])
    big = (1 << 63) - 1
    text = body(LOG, big, root3)
    opened(text, log_note(text), {"size_decimal": str(big)}, "the largest tree size, 2^63-1", ["AUD-CKP-004"])
    text = body(LOG, 3, root3)
    opened(text, log_note(text, cosig_line(text, W1, W1_SEED, T), line("someone.else", b"\x01\x02\x03\x04\x05")), {"size": 3},
           "cosignatures and unknown lines after the log's signature are kept, not needed", ["AUD-CKP-008", "AUD-NOTE-009"])
    spaced = "Log With Spaces"
    text = body(spaced, 3, root3)
    opened(text, text + "\n" + ed_line(text, LOG, LOG_SEED), {"origin": spaced}, "an origin with spaces is accepted when the reader names it", ["AUD-CKP-002", "AUD-CKP-008"], {"origin": spaced})
    text = body("https://odd origin+?", 3, root3)
    opened(text, text + "\n" + ed_line(text, LOG, LOG_SEED), {"origin": "https://odd origin+?"}, "readers assume nothing about the origin's form", ["AUD-CKP-002"], {"origin": "https://odd origin+?"})

    def broken(text: str, why: str, reqs: list[str], code: int = MALFORMED, note: str | None = None) -> None:
        cases.append(invalid(cid(), reqs, {"note": note if note is not None else log_note(text), "log_vkey": LOG_VKEY}, code, why + ("" if note else " (validly signed by the log key)"), "checkpoint.open"))

    r = b64(root3)
    for size_text, why in [("03", "a leading zero"), ("00", "zero spelled twice"), ("-1", "a negative size"), ("+3", "a plus sign"),
                           (" 3", "a leading space"), ("3 ", "a trailing space"), ("3.0", "a decimal point"), ("0x3", "hex"),
                           ("", "an empty size line"), ("\u0663", "ARABIC-INDIC DIGIT THREE"), ("\uff13", "FULLWIDTH DIGIT THREE"),
                           (str(1 << 63), "2^63, one past the largest size"), ("1" + "0" * 19, "twenty digits")]:
        broken(body(LOG, size_text, r), "tree size: " + why, ["AUD-CKP-004"])
    for root_text, why in [(b64(root3[:31]), "31 bytes"), (b64(root3 + b"\x00"), "33 bytes"), (r.rstrip("="), "no padding"),
                           (r[:-2] + "B=", "non-zero unused bits"), ("", "an empty root line"), (root3.hex(), "hex instead of base64"),
                           (" " + r, "a leading space")]:
        broken(body(LOG, 3, root_text), "root hash: " + why, ["AUD-CKP-005"])
    urlsafe_size = next(s for s in range(1, 64) if "+" in b64(root_of(s)) or "/" in b64(root_of(s)))
    ru = b64(root_of(urlsafe_size))
    broken(body(LOG, urlsafe_size, ru.replace("+", "-").replace("/", "_")), "root hash: URL-safe alphabet", ["AUD-CKP-005"])
    broken(f"{LOG}\n3\n", "two lines only", ["AUD-CKP-001"])
    broken(f"{LOG}\n", "one line only", ["AUD-CKP-001"])
    broken(body(LOG, 3, root3, ("ok", "")), "an empty extension line at the end", ["AUD-CKP-006"])
    broken(body(LOG, 3, root3, ("", "ok")), "an empty extension line in the middle", ["AUD-CKP-006"])
    broken(body("", 3, root3), "an empty origin line", ["AUD-CKP-002"])
    text = body(LOG, 3, root3)
    broken(text, "signed by the zero key under the log's name", ["AUD-CKP-008"], BAD_SIG, text + "\n" + line(LOG, kid(LOG, ED, ZERO_SEED) + sign(ZERO_SEED, text.encode())))
    broken(text, "size changed after signing", ["AUD-CKP-008"], BAD_SIG, log_note(text).replace("\n3\n", "\n4\n", 1))
    broken(text, "root changed after signing", ["AUD-CKP-008"], BAD_SIG, log_note(text).replace(b64(root3), b64(root_of(4)), 1))
    broken(text, "only a witness cosignature, no log signature", ["AUD-CKP-008"], BAD_SIG, text + "\n" + cosig_line(text, W1, W1_SEED, T))
    foreign = body("log.example/another-log", 3, root3)
    broken(foreign, "the log key signed a checkpoint of another origin", ["AUD-CKP-008"], BAD_SIG, foreign + "\n" + ed_line(foreign, LOG, LOG_SEED))
    write("checkpoints.json", {
        "format": "aip-vectors/1",
        "area": "audit.checkpoint",
        "description": "C2SP tlog checkpoints of the node's log: signing, and opening with the log key; malformed bodies under a valid log signature (-34107) and wrong keys, tampering or another origin (-34108). Expected values from tools/gen_note_vectors.py (hashlib RFC 9162 roots, base64, cryptography Ed25519; RFC 8032 TEST 1 seed as the log key).",
        "cases": cases,
    })


# ---------------------------------------------------------------- cosignatures
def cosignatures() -> None:
    cases: list[dict[str, Any]] = []
    n = iter(range(1, 1000))

    def cid() -> str:
        return f"audit-cosignature-{next(n):03d}"

    root5 = root_of(5)
    text = body(LOG, 5, root5)
    for ext, seed, name, when, ts, why in [
        ((), W1_SEED, W1, TIME, T, "witness one at 2026-11-21T10:00:00Z"),
        ((), W2_SEED, W2, TIME, T, "witness two at the same time"),
        ((), W1_SEED, W1, "1970-01-01T00:00:00Z", 0, "timestamp 0 is written as 'time 0'"),
        (("note: an extension",), W1_SEED, W1, TIME, T, "the signed message covers extension lines too"),
    ]:
        b = body(LOG, 5, root5, ext)
        inp: dict[str, Any] = {"origin": LOG, "size": 5, "root_hex": root5.hex(), "witness": name, "seed_hex": seed, "time": when}
        if ext:
            inp["extensions"] = list(ext)
        cases.append(valid(cid(), ["AUD-COS-001", "AUD-COS-002", "AUD-COS-003"], inp,
                           {"timestamp": ts, "line": cosig_line(b, name, seed, ts), "vkey": vkey(name, COSIG, seed)},
                           why + "; message 'cosignature/v1\\ntime <ts>\\n' + body signed by cryptography", "checkpoint.cosign"))
    cases.append(invalid(cid(), ["AUD-COS-002"], {"origin": LOG, "size": 5, "root_hex": root5.hex(), "witness": W1, "seed_hex": W1_SEED, "time": "1969-12-31T23:59:59Z"},
                         MALFORMED, "a time before 1970 has no u64 timestamp", "checkpoint.cosign"))
    cases.append(invalid(cid(), ["AUD-NOTE-003"], {"origin": LOG, "size": 5, "root_hex": root5.hex(), "witness": "bad name", "seed_hex": W1_SEED, "time": TIME},
                         MALFORMED, "a witness name with a space", "checkpoint.cosign"))

    signed = log_note(text)
    c1 = cosig_line(text, W1, W1_SEED, T)
    c2 = cosig_line(text, W2, W2_SEED, T)
    both = [W1_VKEY, W2_VKEY]

    def quorum(note: str, wits: list[str], q: int, exp: list[str] | int, why: str, reqs: list[str], now: str | None = None) -> None:
        inp: dict[str, Any] = {"note": note, "log_vkey": LOG_VKEY, "witness_vkeys": wits, "quorum": q}
        if now:
            inp["now"] = now
        if isinstance(exp, int):
            cases.append(invalid(cid(), reqs, inp, exp, why, "checkpoint.cosigners"))
        else:
            cases.append(valid(cid(), reqs, inp, {"cosigners": exp}, why, "checkpoint.cosigners"))

    quorum(signed + c1, [W1_VKEY], 1, [W1], "one witness configured, one cosignature, quorum 1", ["AUD-COS-008"])
    quorum(signed + c1 + c2, both, 2, [W1, W2], "two of two", ["AUD-COS-008"])
    quorum(signed + c2 + c1, both, 2, [W2, W1], "cosigners are listed in line order", ["AUD-COS-008"])
    quorum(signed + c1, both, 1, [W1], "one of two is enough for quorum 1", ["AUD-COS-008"])
    quorum(signed, both, 0, [], "quorum 0: no cosignature needed", ["AUD-COS-008"])
    quorum(signed + c1, [], 0, [], "no witnesses configured: the cosignature is ignored", ["AUD-COS-005"])
    quorum(signed + c1, both, 2, MISSING, "one of two, quorum 2", ["AUD-COS-008"])
    quorum(signed, [W1_VKEY], 1, MISSING, "no cosignature at all", ["AUD-COS-008"])
    quorum(signed + c1 + c1, both, 2, MISSING, "the same cosignature line twice counts once", ["AUD-COS-008"])
    later = cosig_line(text, W1, W1_SEED, T + 60)
    quorum(signed + c1 + later, both, 2, MISSING, "two valid cosignatures by one witness (different times) count once", ["AUD-COS-008"])
    quorum(signed + c1 + later, both, 1, [W1], "... and that witness is listed once", ["AUD-COS-008"])
    quorum(signed + c1 + c2, [W1_VKEY], 2, MISSING, "a cosignature by an unconfigured witness is ignored", ["AUD-COS-005", "AUD-COS-008"])
    w2_as_w1 = vkey(W1 + "-alias", COSIG, W1_SEED)
    alias_line = cosig_line(text, W1 + "-alias", W1_SEED, T)
    quorum(signed + c1 + alias_line, [W1_VKEY, w2_as_w1], 2, MISSING, "one witness key configured under two names counts once", ["AUD-COS-008"])
    quorum(signed + c1 + alias_line, [W1_VKEY, w2_as_w1], 1, [W1, W1 + "-alias"], "... though both names verify", ["AUD-COS-008"])
    quorum(signed + c1, [W1_VKEY], 1, [W1], "a cosignature dated exactly now counts", ["AUD-COS-007"], TIME)
    quorum(signed + later, [W1_VKEY], 1, MISSING, "a cosignature dated after now does not count", ["AUD-COS-007"], TIME)
    quorum(signed + c1 + later, [W1_VKEY], 1, [W1], "the witness counts through its cosignature dated before now", ["AUD-COS-007"], TIME)
    ed_by_w1 = line(W1, kid(W1, COSIG, W1_SEED) + sign(W1_SEED, text.encode()))
    quorum(signed + ed_by_w1, [W1_VKEY], 1, BAD_SIG, "a plain Ed25519 signature under the witness's cosignature key id: wrong length", ["AUD-COS-002", "AUD-COS-006"])
    other_text = body(LOG, 4, root_of(4))
    copied = cosig_line(other_text, W1, W1_SEED, T)
    quorum(signed + copied, [W1_VKEY], 1, BAD_SIG, "a cosignature copied from the checkpoint of size 4", ["AUD-COS-003", "AUD-COS-006"])
    raw = bytearray(base64.b64decode(c1.split(" ")[2]))
    raw[11] ^= 0x01
    quorum(signed + line(W1, bytes(raw)), [W1_VKEY], 1, BAD_SIG, "timestamp changed by one second after signing", ["AUD-COS-003", "AUD-COS-006"])
    raw = bytearray(base64.b64decode(c1.split(" ")[2]))
    raw[40] ^= 0x80
    quorum(signed + line(W1, bytes(raw)), [W1_VKEY], 1, BAD_SIG, "one bit of the Ed25519 signature flipped", ["AUD-COS-006"])
    quorum(signed + line(W1, kid(W1, COSIG, W1_SEED) + cosig_payload(text, W1_SEED, T)[:-1]), [W1_VKEY], 1, BAD_SIG, "a payload one byte short", ["AUD-COS-002", "AUD-COS-006"])
    huge = 1 << 63
    huge_line = line(W1, kid(W1, COSIG, W1_SEED) + huge.to_bytes(8, "big") + sign(W1_SEED, f"cosignature/v1\ntime {huge}\n".encode() + text.encode()))
    quorum(signed + huge_line, [W1_VKEY], 1, BAD_SIG, "timestamp 2^63 (validly signed): above 2^63-1", ["AUD-COS-002", "AUD-COS-006"])
    no_ext = cosig_line(text, W1, W1_SEED, T)
    text_ext = body(LOG, 5, root5, ("an extension",))
    quorum(log_note(text_ext, no_ext), [W1_VKEY], 1, BAD_SIG, "a cosignature over the body without its extension line", ["AUD-COS-003", "AUD-COS-006"])
    quorum(log_note(text_ext, cosig_line(text_ext, W1, W1_SEED, T)), [W1_VKEY], 1, [W1], "the same checkpoint cosigned with its extension line", ["AUD-COS-003"])
    quorum(signed + c1 + c2, [vkey(W1, ED, W1_SEED)], 1, MALFORMED, "a type 0x01 vkey configured as a witness", ["AUD-COS-001"])
    write("cosignatures.json", {
        "format": "aip-vectors/1",
        "area": "audit.cosignature",
        "description": "cosignature/v1 witness cosignatures (signature type 0x04) on checkpoints: making them, and counting them against a reader's quorum; failures from configured witnesses (-34108) and unmet quorums (-34110). Expected values from tools/gen_note_vectors.py (hashlib, base64, cryptography Ed25519; RFC 8032 TEST 1 log key, TEST 2 and TEST 3 witness keys).",
        "cases": cases,
    })


if __name__ == "__main__":
    note_open()
    note_keys()
    checkpoints()
    cosignatures()
