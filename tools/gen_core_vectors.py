"""Regenerate spec/vectors/{codec,integrity}/*.json and spec/vectors/identity/keys.json.

Expected values come from implementations independent of ours: the ``rfc8785`` package for
canonical bytes, ``cryptography`` (OpenSSL) for Ed25519, ``hashlib`` for key ids.  Inputs are
written by hand.  Run from the repository root: ``.venv/bin/python tools/gen_core_vectors.py``.
Encrypted PEM cases are regenerated with fresh salts each run; everything else is stable.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ROOT = Path(__file__).resolve().parent.parent / "spec" / "vectors"
L = 2**252 + 27742317777372353535851937790883648493


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def kid_of(pub: bytes) -> str:
    jwk = '{"crv":"Ed25519","kty":"OKP","x":"' + b64u(pub) + '"}'
    return b64u(hashlib.sha256(jwk.encode()).digest())


def write(path: str, doc: dict[str, Any]) -> None:
    out = ROOT / path
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(path, len(doc["cases"]))


# ---------------------------------------------------------------- codec.canonicalize
VALID_TEXTS = [  # (id suffix, requirements, text, comment)
    ("ws", ["COD-JCS-001", "COD-JCS-006"], ' { "b" : 1 ,\n\t"a" : [ 1 , 2 ] } ', "whitespace removed"),
    ("order", ["COD-JCS-002"], '{"c":3,"a":1,"b":{"z":0,"y":[{"q":1,"p":2}]}}', "members sorted at every level, arrays kept"),
    ("utf16-order", ["COD-JCS-002"], '{"\\ue000":1,"\\ud83d\\ude00":2,"a":3}', "U+1F600 (UTF-16 D83D DE00) sorts before U+E000; code point order would differ"),
    ("utf16-order-2", ["COD-JCS-002"], '{"\\uffff":1,"\\ud800\\udc00":2,"\\u00e9":3,"e":4}', "U+10000 sorts between U+00E9 and U+FFFF by UTF-16 code units"),
    ("prefix-order", ["COD-JCS-002"], '{"ab":1,"a":2,"":3,"b":4}', "a name sorts before its extensions; the empty name first"),
    ("escapes", ["COD-JCS-004"], '"\\u0041\\u00e9\\/\\u20ac\\ud83d\\ude00"', "needless escapes become literal characters; \\/ becomes /"),
    ("controls", ["COD-JCS-004"], '"\\u0000\\u0008\\u0009\\u000a\\u000c\\u000d\\u001f\\u007f"', "short forms for b t n f r, lower-case hex for the other controls, U+007F literal"),
    ("quote-backslash", ["COD-JCS-004"], '"a\\"b\\\\c"', "quote and backslash stay escaped"),
    ("line-sep", ["COD-JCS-004"], '"\\u2028\\u2029"', "U+2028 and U+2029 are written as themselves"),
    ("literals", ["COD-JCS-001"], '[true ,false, null]', "literals"),
    ("empty", ["COD-JCS-001"], '{ "a" : { } , "b" : [ ] }', "empty containers"),
    ("top-string", ["COD-JCS-001"], '"x"', "a scalar is a JSON text too"),
    ("max-int", ["COD-JSON-004", "COD-JCS-003"], '[9007199254740991,-9007199254740991]', "the largest safe integers are accepted"),
    ("float-int", ["COD-JCS-003"], '[1.0,-0.0,0.0,100e-2,1E2]', "integral doubles print without fraction; -0 prints as 0"),
    ("float-big", ["COD-JCS-003", "COD-JSON-004"], '[9007199254740993.0]', "a fractional literal is a double, not an integer: it rounds to 2^53 and is accepted"),
    ("exp-switch", ["COD-JCS-003"], '[1e20,1e21,0.000001,0.0000001,123456789012345678901234.5]', "plain notation below 1e21 and from 1e-6, exponent notation outside"),
    ("extremes", ["COD-JCS-003"], '[5e-324,1.7976931348623157e308,-2.2250738585072014e-308]', "smallest subnormal, largest double, smallest normal"),
    ("shortest", ["COD-JCS-003"], '[0.1,0.30000000000000004,333333333.33333333,1.5e-9]', "shortest round-trip digits"),
    ("depth-128", ["COD-JSON-007"], "[" * 128 + "]" * 128, "exactly 128 levels is allowed"),
    ("depth-128-mixed", ["COD-JSON-007"], '{"a":' * 64 + "[" * 64 + "]" * 64 + "}" * 64, "64 objects and 64 arrays"),
    ("surrogate-pair-key", ["COD-JSON-006", "COD-JCS-004"], '{"\\ud834\\udd1e":"\\ud834\\udd1e"}', "a paired surrogate escape is one character"),
    ("unicode-raw", ["COD-JSON-001", "COD-JCS-004"], '{"名前":"智能体互联","é":"\u00e9"}', "raw non-ASCII UTF-8 passes through unchanged"),
    ("nested-integrity", ["COD-JCS-002"], '{"integrity":{"sig":"x","kid":"k","alg":"EdDSA"},"a":1}', "integrity is an ordinary member to the canonicaliser"),
    ("lone-1e16", ["COD-JCS-003"], "[1e16]", "1e16 alone: ECMAScript writes all 17 digits (some orjson versions write 1e16)"),
    ("member-1e21", ["COD-JCS-003"], '{"a":1e21}', "1e21 alone in an object: exponent form with an explicit sign"),
    ("wide-shallow", ["COD-JSON-007"], "[" + ",".join(["[]"] * 200) + "]", "200 empty arrays: more than 128 brackets, but only 2 levels deep"),
]
INVALID_TEXTS = [  # (id suffix, requirements, input (text or bytes), code, comment)
    ("utf8-overlong", ["COD-JSON-001"], bytes.fromhex("22c0af22"), -33101, "overlong encoding of '/'"),
    ("utf8-continuation", ["COD-JSON-001"], bytes.fromhex("2280 22".replace(" ", "")), -33101, "a lone continuation byte"),
    ("utf8-surrogate", ["COD-JSON-001"], bytes.fromhex("22eda08022"), -33101, "UTF-8 encoding of U+D800 is ill-formed"),
    ("utf8-truncated", ["COD-JSON-001"], bytes.fromhex("22e28222"), -33101, "a truncated three-byte sequence"),
    ("utf8-beyond", ["COD-JSON-001"], bytes.fromhex("22f490808022"), -33101, "a code point above U+10FFFF"),
    ("latin1", ["COD-JSON-001"], bytes.fromhex("7b22e9223a317d"), -33101, "Latin-1 text is not UTF-8"),
    ("bom", ["COD-JSON-002"], bytes.fromhex("efbbbf7b7d"), -32700, "a byte order mark is not allowed"),
    ("utf16", ["COD-JSON-001", "COD-JSON-002"], "{}".encode("utf-16-le"), -32700, "UTF-16 text is not accepted (NUL bytes are control characters outside strings)"),
    ("dup", ["COD-JSON-003"], '{"a":1,"a":1}', -33102, "same name twice, even with the same value"),
    ("dup-escaped", ["COD-JSON-003"], '{"a":1,"\\u0061":2}', -33102, "names are compared after unescaping"),
    ("dup-nested", ["COD-JSON-003"], '{"x":[{"b":1,"c":2,"b":3}]}', -33102, "duplicates are found at any depth"),
    ("dup-empty", ["COD-JSON-003"], '{"":1,"":2}', -33102, "the empty name too"),
    ("int-2p53", ["COD-JSON-004"], "[9007199254740992]", -33103, "2^53 is one past the safe range"),
    ("int-neg-2p53", ["COD-JSON-004"], "[-9007199254740992]", -33103, "-2^53 is one past the safe range"),
    ("int-huge", ["COD-JSON-004"], '{"n":123456789012345678901234567890}', -33103, "far beyond the range"),
    ("int-u64", ["COD-JSON-004"], "18446744073709551615", -33103, "the largest 64-bit unsigned integer"),
    ("nan", ["COD-JSON-005"], "[NaN]", -33105, "NaN is not JSON"),
    ("infinity", ["COD-JSON-005"], '{"x":Infinity}', -33105, "Infinity is not JSON"),
    ("neg-infinity", ["COD-JSON-005"], "[-Infinity]", -33105, "-Infinity is not JSON"),
    ("overflow", ["COD-JSON-005"], "[1e400]", -33105, "overflows a double"),
    ("overflow-neg", ["COD-JSON-005"], "[-1.5E+309]", -33105, "overflows a double"),
    ("lone-high", ["COD-JSON-006"], '"\\ud800"', -33104, "a high surrogate alone"),
    ("lone-low", ["COD-JSON-006"], '"a\\udc00b"', -33104, "a low surrogate alone"),
    ("reversed-pair", ["COD-JSON-006"], '"\\udc00\\ud800"', -33104, "low before high is two lone surrogates"),
    ("lone-in-key", ["COD-JSON-006"], '{"\\udbff":1}', -33104, "member names are checked too"),
    ("lone-deep", ["COD-JSON-006"], '{"a":[{"b":["\\uDFFF"]}]}', -33104, "upper-case escape, deep inside"),
    ("depth-129", ["COD-JSON-007"], "[" * 129 + "]" * 129, -33106, "one level too deep"),
    ("depth-129-objects", ["COD-JSON-007"], '{"a":' * 128 + "[]" + "}" * 128, -33106, "128 objects and an array"),
    ("depth-5000", ["COD-JSON-007", "COD-JSON-008"], "[" * 5000 + "]" * 5000, -33106, "far too deep; must not exhaust the stack"),
    ("trailing-comma", ["COD-JSON-002"], "[1,2,]", -32700, "trailing comma"),
    ("comment", ["COD-JSON-002"], '{"a":1 /* c */}', -32700, "comments are not JSON"),
    ("single-quote", ["COD-JSON-002"], "{'a':1}", -32700, "single quotes"),
    ("bare-key", ["COD-JSON-002"], "{a:1}", -32700, "unquoted member name"),
    ("trailing-content", ["COD-JSON-002"], "{} {}", -32700, "two texts"),
    ("empty-text", ["COD-JSON-002"], "", -32700, "no text at all"),
    ("only-ws", ["COD-JSON-002"], " \n\t", -32700, "whitespace only"),
    ("raw-control", ["COD-JSON-002"], '"a\tb"', -32700, "an unescaped tab inside a string"),
    ("leading-zero", ["COD-JSON-002"], "[01]", -32700, "leading zero"),
    ("plus-sign", ["COD-JSON-002"], "[+1]", -32700, "a leading plus"),
    ("bare-fraction", ["COD-JSON-002"], "[.5]", -32700, "no digit before the point"),
    ("hex-number", ["COD-JSON-002"], "[0x10]", -32700, "hex is not JSON"),
    ("bad-literal", ["COD-JSON-002"], "[tru]", -32700, "truncated literal"),
    ("bad-escape", ["COD-JSON-002"], '"\\x41"', -32700, "\\x is not a JSON escape"),
    ("short-unicode-escape", ["COD-JSON-002"], '"\\u12"', -32700, "\\u needs four hex digits"),
    ("unclosed", ["COD-JSON-002"], '{"a":[1,2}', -32700, "mismatched brackets"),
    ("nul-byte", ["COD-JSON-002"], bytes.fromhex("7b7d00"), -32700, "a NUL after the text"),
    ("int-5000-digits", ["COD-JSON-004"], "[" + "1" * 5000 + "]", -33103, "5000 digits: refused for its length, before any conversion"),
]


def codec_vectors() -> None:
    cases: list[dict[str, Any]] = []
    for n, (sfx, reqs, text, comment) in enumerate(VALID_TEXTS, 1):
        value = json.loads(text)
        canonical = rfc8785.dumps(value)
        cases.append({"id": f"codec-canon-{n:03d}-{sfx}", "requirements": reqs, "verdict": "valid",
                      "input": {"text": text}, "expected": {"canonical": canonical.decode(), "canonical_hex": canonical.hex()},
                      "comment": comment})
    for n, (sfx, reqs, data, code, comment) in enumerate(INVALID_TEXTS, 1):
        inp = {"bytes_hex": data.hex()} if isinstance(data, bytes) else {"text": data}
        cases.append({"id": f"codec-reject-{n:03d}-{sfx}", "requirements": [*reqs, "COD-JSON-008"] if "COD-JSON-008" not in reqs else reqs,
                      "verdict": "invalid", "input": inp, "error": code, "comment": comment})
    write("codec/strict-json-and-jcs.json", {
        "format": "aip-vectors/1", "area": "codec", "operation": "codec.canonicalize",
        "description": "Strict I-JSON parsing (Part 2.1) and RFC 8785 canonical form (Part 2.2). Input is `text` (UTF-8 of the string) or `bytes_hex`; valid cases give the canonical text and its bytes; invalid ones the registry code. Expected values computed with the independent rfc8785 package.",
        "cases": cases})


# RFC 8785 Appendix B (IEEE 754 bits -> text); NaN and Infinity rows become invalid cases.
NUMBERS = [
    "0000000000000000", "8000000000000000", "0000000000000001", "8000000000000001",
    "7fefffffffffffff", "ffefffffffffffff", "4340000000000000", "c340000000000000",
    "4430000000000000", "44b52d02c7e14af5", "44b52d02c7e14af6", "44b52d02c7e14af7",
    "444b1ae4d6e2ef4e", "444b1ae4d6e2ef4f", "444b1ae4d6e2ef50", "3eb0c6f7a0b5ed8c",
    "3eb0c6f7a0b5ed8d", "41b3de4355555553", "41b3de4355555554", "41b3de4355555555",
    "41b3de4355555556", "41b3de4355555557", "becbf647612f3696", "43143ff3c1cb0959",
]


def number_vectors() -> None:
    cases: list[dict[str, Any]] = []
    for n, bits in enumerate(NUMBERS, 1):
        (value,) = struct.unpack(">d", bytes.fromhex(bits))
        text = rfc8785.dumps(value).decode()
        cases.append({"id": f"codec-number-{n:03d}", "requirements": ["COD-JCS-003"], "verdict": "valid",
                      "input": {"float_hex": bits}, "expected": {"text": text, "canonical": text},
                      "comment": f"RFC 8785 Appendix B row {bits}"})
    for n, (bits, what) in enumerate([("7fffffffffffffff", "NaN"), ("7ff0000000000000", "Infinity"),
                                      ("fff0000000000000", "-Infinity")], len(NUMBERS) + 1):
        cases.append({"id": f"codec-number-{n:03d}", "requirements": ["COD-JCS-005"], "verdict": "invalid",
                      "input": {"float_hex": bits}, "error": -33105, "comment": f"{what} has no canonical form"})
    write("codec/numbers.json", {
        "format": "aip-vectors/1", "area": "codec", "operation": "codec.number",
        "description": "ECMAScript number serialisation (RFC 8785 §3.2.2.3) from IEEE 754 bits (big-endian hex), including the rows of RFC 8785 Appendix B.",
        "cases": cases})


# ---------------------------------------------------------------- integrity
SEED1 = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")  # RFC 8032 TEST 1
SEED2 = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")  # RFC 8032 TEST 2
OBJECTS = [
    ("envelope", '{"jsonrpc":"2.0","id":"req-1","method":"aip.rpc","params":{"command":{"id":"m-1","senderId":"1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4","command":"start","taskId":"t-1"}}}'),
    ("unicode", '{"text":"智能体互联 \\ud83d\\ude00","\\ue000":1,"\\ud83d\\ude00":2}'),
    ("numbers", '{"amount":1000,"ratio":0.25,"big":1e21,"neg":-0.0}'),
    ("empty", "{}"),
    ("nested-signed", '{"outer":true,"inner":{"v":1,"integrity":{"alg":"EdDSA","kid":"x","sig":"y"}}}'),
    ("replace", '{"a":1,"integrity":{"alg":"EdDSA","kid":"old","sig":"old"}}'),
]


def ed_sign(seed: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


def pub_of(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def signed(obj: dict[str, Any], seed: bytes, kid: str | None = None) -> dict[str, Any]:
    body = {k: v for k, v in obj.items() if k != "integrity"}
    sig = ed_sign(seed, rfc8785.dumps(body))
    return {**body, "integrity": {"alg": "EdDSA", "kid": kid or kid_of(pub_of(seed)), "sig": b64u(sig)}}


def integrity_vectors() -> None:
    cases: list[dict[str, Any]] = []
    for n, (sfx, text) in enumerate(OBJECTS, 1):
        obj = json.loads(text)
        body = {k: v for k, v in obj.items() if k != "integrity"}
        sig = ed_sign(SEED1, rfc8785.dumps(body))
        cases.append({"id": f"int-sign-{n:03d}-{sfx}", "operation": "integrity.sign",
                      "requirements": ["INT-SIG-001", "INT-SIG-002", "INT-SIG-003", "IDN-KEY-003"], "verdict": "valid",
                      "input": {"seed_hex": SEED1.hex(), "object_text": text},
                      "expected": {"signing_input": rfc8785.dumps(body).decode(), "sig": b64u(sig), "kid": kid_of(pub_of(SEED1))},
                      "comment": "Ed25519 (RFC 8032 TEST 1 key) over the RFC 8785 bytes without integrity; an existing integrity member is replaced"})
    pub1, pub2 = pub_of(SEED1).hex(), pub_of(SEED2).hex()
    base = json.loads(OBJECTS[0][1])
    good = signed(base, SEED1)
    good_text = json.dumps(good)
    verify_ok = [
        ("canonical", json.dumps(good, separators=(",", ":"), sort_keys=True), "canonical serialisation"),
        ("reordered", json.dumps(dict(reversed(list(good.items())))), "members in another order and with whitespace: the signature covers the value, not the bytes"),
        ("escaped", json.dumps(good, ensure_ascii=True).replace("aip.rpc", "aip\\u002erpc"), "needless escapes in the received text do not matter"),
        ("unknown-member", json.dumps(signed({**base, "x-vendor": {"deep": [1, 2]}}, SEED1)), "members the receiver does not know are covered and verify"),
        ("nested", json.dumps(signed({"hop": 2, "inner": good}, SEED2)), "an outer signature covers the inner signed object whole"),
    ]
    for n, (sfx, text, comment) in enumerate(verify_ok, 1):
        kid = kid_of(bytes.fromhex(pub2 if sfx == "nested" else pub1))
        cases.append({"id": f"int-verify-{n:03d}-{sfx}", "operation": "integrity.verify",
                      "requirements": ["INT-SIG-002", "INT-SIG-006"], "verdict": "valid",
                      "input": {"object_text": text, "public_keys_hex": [pub1, pub2]},
                      "expected": {"verified": True, "kid": kid}, "comment": comment})
    sig_bytes = base64.urlsafe_b64decode(good["integrity"]["sig"] + "==")
    s_plus_l = sig_bytes[:32] + (int.from_bytes(sig_bytes[32:], "little") + L).to_bytes(32, "little")

    def with_integrity(**changes: Any) -> str:
        integ = {**good["integrity"], **changes}
        integ = {k: v for k, v in integ.items() if v is not None}
        return json.dumps({**{k: v for k, v in good.items() if k != "integrity"}, "integrity": integ})

    flipped = bytearray(sig_bytes)
    flipped[10] ^= 1
    bad = [
        ("tampered", good_text.replace('"t-1"', '"t-2"'), -33205, ["INT-SIG-002"], "one member changed after signing"),
        ("added-member", json.dumps({**good, "extra": 1}), -33205, ["INT-SIG-002", "INT-SIG-009"], "a relay added a member"),
        ("removed-member", json.dumps({k: v for k, v in good.items() if k != "id"}), -33205, ["INT-SIG-009"], "a relay removed a member"),
        ("flipped-sig", with_integrity(sig=b64u(bytes(flipped))), -33205, ["INT-SIG-007"], "one bit of the signature flipped"),
        ("s-plus-l", with_integrity(sig=b64u(s_plus_l)), -33205, ["INT-SIG-008"], "S + L: same signature modulo L, non-canonical, must be rejected"),
        ("wrong-key-same-kid", good_text, -33205, ["INT-SIG-007"], "the kid maps to another trusted key"),
        ("missing", json.dumps(base), -33201, ["INT-SIG-001", "INT-SIG-007"], "no integrity member"),
        ("null", json.dumps({**base, "integrity": None}), -33201, ["INT-SIG-007"], "integrity: null counts as absent"),
        ("not-object", json.dumps({**base, "integrity": "sig"}), -33202, ["INT-SIG-001"], "integrity is a string"),
        ("top-array", "[" + good_text + "]", -33202, ["INT-SIG-001"], "a signed object must be an object"),
        ("extra-field", with_integrity(typ="x"), -33202, ["INT-SIG-001"], "integrity has a fourth member"),
        ("missing-kid", with_integrity(kid=None), -33202, ["INT-SIG-001"], "integrity lacks kid"),
        ("empty-kid", with_integrity(kid=""), -33202, ["INT-SIG-001"], "kid is empty"),
        ("kid-number", with_integrity(kid=7), -33202, ["INT-SIG-001"], "kid is not a string"),
        ("padded-sig", with_integrity(sig=good["integrity"]["sig"] + "=="), -33202, ["INT-SIG-004"], "padding is not allowed"),
        ("std-alphabet", with_integrity(sig=base64.b64encode(b"\xfb\xff" * 32).decode().rstrip("=")), -33202, ["INT-SIG-004"], "'+' and '/' are not base64url"),
        ("short-sig", with_integrity(sig=b64u(sig_bytes[:63])), -33202, ["INT-SIG-004"], "63 bytes"),
        ("long-sig", with_integrity(sig=b64u(sig_bytes + b"\x00")), -33202, ["INT-SIG-004"], "65 bytes"),
        ("noncanonical-b64", with_integrity(sig=good["integrity"]["sig"][:-1] + {"A": "B", "Q": "R", "g": "h", "w": "x"}.get(good["integrity"]["sig"][-1], "B")), -33202, ["INT-SIG-004"], "the last character carries non-zero unused bits (or the sig is otherwise altered in its final character)"),
        ("alg-es256", with_integrity(alg="ES256"), -33203, ["INT-SIG-003", "INT-SIG-007"], "another algorithm"),
        ("alg-none", with_integrity(alg="none"), -33203, ["INT-SIG-003"], "alg none"),
        ("alg-case", with_integrity(alg="eddsa"), -33203, ["INT-SIG-003"], "alg is case-sensitive"),
        ("kid-unknown", with_integrity(kid="not-a-trusted-key"), -33204, ["INT-SIG-005"], "no key for this kid"),
        ("dup-key", good_text[:-1] + ', "id": "req-2"}', -33102, ["INT-SIG-006", "COD-JSON-003"], "a duplicate member could make two parsers see two objects: rejected before verifying"),
    ]
    for n, (sfx, text, code, reqs, comment) in enumerate(bad, 1):
        inp: dict[str, Any] = {"object_text": text, "public_keys_hex": [pub1, pub2]}
        if sfx == "wrong-key-same-kid":
            inp = {"object_text": text, "public_keys_hex": [], "kids": {kid_of(pub_of(SEED1)): pub2}}
        cases.append({"id": f"int-reject-{n:03d}-{sfx}", "operation": "integrity.verify", "requirements": reqs,
                      "verdict": "invalid", "input": inp, "error": code, "comment": comment})
    write("integrity/signed-objects.json", {
        "format": "aip-vectors/1", "area": "integrity",
        "description": "The integrity member (Part 3): signing input, signatures, and the verification order and codes. Keys are RFC 8032 TEST 1 and TEST 2. Expected signatures computed with OpenSSL Ed25519 over rfc8785 bytes.",
        "cases": cases})


# ---------------------------------------------------------------- keys
def _existing_encrypted_pem() -> str | None:
    """Keep the committed encrypted PEM (its salt is random) so that a rerun changes nothing."""
    path = ROOT / "identity" / "keys.json"
    if not path.exists():
        return None
    for case in json.loads(path.read_text())["cases"]:
        if case["id"] == "keys-pem-021-encrypted":
            pem: str = case["input"]["pem"]
            return pem
    return None


def key_vectors() -> None:
    cases: list[dict[str, Any]] = []
    rfc8037_x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    cases.append({"id": "keys-kid-001-rfc8037", "operation": "keys.key_id", "requirements": ["IDN-KEY-003"], "verdict": "valid",
                  "input": {"public_key_hex": base64.urlsafe_b64decode(rfc8037_x + "=").hex()},
                  "expected": {"kid": "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
                  "comment": "RFC 8037 Appendix A.3: the JWK thumbprint of the RFC 8032 TEST 1 public key"})
    seeds = [SEED1, SEED2, bytes.fromhex("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"), bytes(32), b"\xff" * 32]
    for n, seed in enumerate(seeds, 2):
        pub = pub_of(seed)
        cases.append({"id": f"keys-derive-{n:03d}", "operation": "keys.derive", "requirements": ["IDN-KEY-001", "IDN-KEY-003"],
                      "verdict": "valid", "input": {"seed_hex": seed.hex()},
                      "expected": {"public_key_hex": pub.hex(), "kid": kid_of(pub)},
                      "comment": "public key and kid from the seed (RFC 8032 TEST 1-3, then all-zero and all-one seeds)"})
    for n, (sfx, op, field, hexval) in enumerate([
        ("pub-31", "keys.key_id", "public_key_hex", "00" * 31), ("pub-33", "keys.key_id", "public_key_hex", "00" * 33),
        ("pub-empty", "keys.key_id", "public_key_hex", ""), ("seed-31", "keys.derive", "seed_hex", "11" * 31),
        ("seed-64", "keys.derive", "seed_hex", "11" * 64)], 10):
        cases.append({"id": f"keys-reject-{n:03d}-{sfx}", "operation": op, "requirements": ["IDN-KEY-004"], "verdict": "invalid",
                      "input": {field: hexval}, "error": -33401, "comment": "wrong length"})
    k = Ed25519PrivateKey.from_private_bytes(SEED1)
    plain = k.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    enc = _existing_encrypted_pem() or k.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"correct horse")).decode()
    ec_key = ec.derive_private_key(12345, ec.SECP256R1())
    ec_pem = ec_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    pub_pem = k.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    ec_pub = ec_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    p1 = pub_of(SEED1).hex()
    rows = [
        ("keys-pem-020-plain", "keys.load_pem", ["IDN-KEY-005"], {"pem": plain}, {"public_key_hex": p1}, None, "unencrypted PKCS#8"),
        ("keys-pem-021-encrypted", "keys.load_pem", ["IDN-KEY-006"], {"pem": enc, "passphrase": "correct horse"}, {"public_key_hex": p1}, None, "encrypted PKCS#8 with the right passphrase"),
        ("keys-pem-022-public", "keys.load_public_pem", ["IDN-KEY-005"], {"pem": pub_pem}, {"public_key_hex": p1}, None, "SubjectPublicKeyInfo"),
        ("keys-pem-023-no-pass", "keys.load_pem", ["IDN-KEY-006"], {"pem": enc}, None, -33403, "encrypted, no passphrase"),
        ("keys-pem-024-wrong-pass", "keys.load_pem", ["IDN-KEY-006"], {"pem": enc, "passphrase": "battery staple"}, None, -33402, "wrong passphrase"),
        ("keys-pem-025-ec", "keys.load_pem", ["IDN-KEY-007"], {"pem": ec_pem}, None, -33401, "a P-256 key is not Ed25519"),
        ("keys-pem-026-garbage", "keys.load_pem", ["IDN-KEY-007"], {"pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, None, -33401, "not a key"),
        ("keys-pem-027-empty", "keys.load_pem", ["IDN-KEY-007"], {"pem": ""}, None, -33401, "no key at all"),
        ("keys-pem-028-ec-public", "keys.load_public_pem", ["IDN-KEY-007"], {"pem": ec_pub}, None, -33401, "a P-256 public key"),
        ("keys-pem-029-private-as-public", "keys.load_public_pem", ["IDN-KEY-007"], {"pem": plain}, None, -33401, "a private key where a public key is expected"),
    ]
    for cid, op, reqs, inp, exp, err, comment in rows:
        case: dict[str, Any] = {"id": cid, "operation": op, "requirements": reqs, "verdict": "valid" if exp else "invalid", "input": inp}
        if exp:
            case["expected"] = exp
        else:
            case["error"] = err
        case["comment"] = comment
        cases.append(case)
    write("identity/keys.json", {
        "format": "aip-vectors/1", "area": "identity.keys",
        "description": "Ed25519 key ids (RFC 7638 thumbprints), seeds and key files (Part 5). Public keys computed with OpenSSL; kids with hashlib.",
        "cases": cases})


# ---------------------------------------------------------------- session.binding (Part 7 §7.6)
BND_AGENT_AIC = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"  # the session AIC, as in session/handshake.json
BND_OTHER_AIC = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU5"  # a valid AIC of another agent of the same organisation
BND_NODE_AIC = "1.2.156.3088.1.1.1.1.1.06QN"  # the node, as in session/handshake.json
BND_AGENT_SEED = bytes.fromhex("33" * 32)  # agent_seed_hex of session/handshake.json
BND_NODE_SEED = bytes.fromhex("55" * 32)  # node_seed_hex of session/handshake.json
BND_FOREIGN_SEED = SEED2  # RFC 8032 TEST 2: a key no certificate of the session carries
BND_SENT_AT = "2026-11-22T10:00:00Z"
BND_ITEMS = [{"type": "text", "text": "hello"}]


def _binding_case(
    cid: str, reqs: list[str], inp: dict[str, Any], outcome: dict[str, Any] | int, comment: str
) -> dict[str, Any]:
    """One vector case: valid with ``expected`` when ``outcome`` is a dict, else its error code."""
    case: dict[str, Any] = {"id": cid, "requirements": reqs}
    if isinstance(outcome, dict):
        case.update(verdict="valid", input=inp, expected=outcome)
    else:
        case.update(verdict="invalid", input=inp, error=outcome)
    case["comment"] = comment
    return case


def binding_vectors() -> None:
    """spec/vectors/session/binding.json (session.binding) and binding-reply.json (session.reply).

    Every signed message is made here with ``signed()`` (OpenSSL Ed25519 over rfc8785 bytes);
    the expected codes follow the check order of SES-BND-004 and the Part 3 order INT-SIG-007.
    """
    agent_key_hex, node_key_hex = BND_AGENT_SEED.hex(), BND_NODE_SEED.hex()
    request = {"type": "aip.ping", "id": "m-1", "senderId": BND_AGENT_AIC, "sentAt": BND_SENT_AT, "dataItems": BND_ITEMS}
    honest = signed(request, BND_AGENT_SEED)
    body = {k: v for k, v in honest.items() if k != "integrity"}
    edited = {**honest, "dataItems": [{"type": "text", "text": "goodbye"}]}
    foreign_kid_as_session = signed(request, BND_FOREIGN_SEED, kid=kid_of(pub_of(BND_AGENT_SEED)))
    padded = {**honest, "integrity": {**honest["integrity"], "sig": honest["integrity"]["sig"] + "=="}}
    bnd = ["SES-BND-004"]
    rows: list[tuple[str, list[str], dict[str, Any], Any, dict[str, Any] | int, str]] = [
        # (id suffix, requirements, session input, params, expected or code, comment)
        ("honest", ["SES-BND-001", "SES-BND-002", "SES-BND-004"], {}, {"message": honest},
         {"id": "m-1", "senderId": BND_AGENT_AIC, "sentAt": BND_SENT_AT},
         "a node.ping request from the session AIC, signed with the key of the certificate that authenticated the session"),
        ("unknown-members", ["SES-BND-002", "INT-SIG-002"], {}, {"message": signed({**request, "x-vendor": {"deep": [1, 2]}}, BND_AGENT_SEED)},
         {"id": "m-1", "senderId": BND_AGENT_AIC},
         "members the receiver does not know are covered by the signature and accepted"),
        ("other-sender", ["SES-BND-001"], {}, {"message": signed({**request, "senderId": BND_OTHER_AIC}, BND_AGENT_SEED)}, -32009,
         "the session agent signs a message claiming another agent's AIC: its own key, a senderId that is not the session AIC"),
        ("node-as-sender", ["SES-BND-001"], {}, {"message": signed({**request, "senderId": BND_NODE_AIC}, BND_AGENT_SEED)}, -32009,
         "the session agent claims to be the node it is talking to"),
        ("other-key", ["SES-BND-002", "INT-SIG-005"], {}, {"message": signed(request, BND_FOREIGN_SEED)}, -33204,
         "the right senderId, signed by another key: its kid is not the thumbprint of the session certificate's key"),
        ("other-key-session-kid", ["SES-BND-002", "INT-SIG-007"], {}, {"message": foreign_kid_as_session}, -33205,
         "signed by another key but labelled with the session key's kid: the kid resolves, the signature does not verify"),
        ("edited-after-signing", ["SES-BND-002", "INT-SIG-002"], {}, {"message": edited}, -33205,
         "dataItems changed after signing"),
        ("integrity-missing", ["SES-BND-002", "INT-SIG-001", "INT-SIG-007"], {}, {"message": body}, -33201,
         "a well-formed message from the session AIC without an integrity member"),
        ("integrity-null", ["SES-BND-002", "INT-SIG-007"], {}, {"message": {**body, "integrity": None}}, -33201,
         "integrity: null counts as absent"),
        ("integrity-string", ["SES-BND-002", "INT-SIG-001"], {}, {"message": {**body, "integrity": honest["integrity"]["sig"]}}, -33202,
         "integrity is a string, not {alg, kid, sig}"),
        ("integrity-padded-sig", ["SES-BND-002", "INT-SIG-004"], {}, {"message": padded}, -33202,
         "the signature with base64 padding is malformed"),
        ("id-number", bnd, {}, {"message": signed({**request, "id": 1}, BND_AGENT_SEED)}, -32602,
         "message.id is a number, not a string (signed correctly: shape is checked first)"),
        ("sent-at-missing", bnd, {}, {"message": signed({k: v for k, v in request.items() if k != "sentAt"}, BND_AGENT_SEED)}, -32602,
         "message.sentAt is absent"),
        ("sender-null", bnd, {}, {"message": signed({**request, "senderId": None}, BND_AGENT_SEED)}, -32602,
         "message.senderId is null"),
        ("message-not-object", bnd, {}, {"message": [honest]}, -32602,
         "message is an array holding the signed message"),
        ("message-missing", bnd, {}, {"dataItems": BND_ITEMS}, -32602,
         "params without a message member"),
        ("extra-param", bnd, {}, {"message": honest, "trace": "t-1"}, -32602,
         "params has a member beside message"),
        ("params-array", bnd, {}, [honest], -32602,
         "params by position: a signed request takes a params object"),
        ("params-null", bnd, {}, None, -32602,
         "no params at all"),
        ("anonymous", bnd, {"anonymous": True}, {"message": honest}, -32008,
         "an honest signed request on a connection that has not authenticated"),
        ("anonymous-bad-shape", bnd, {"anonymous": True}, {"message": honest, "trace": "t-1"}, -32602,
         "no session and a bad shape: the shape is reported first"),
        ("anonymous-forged", bnd, {"anonymous": True}, {"message": signed({**request, "senderId": BND_OTHER_AIC}, BND_FOREIGN_SEED)}, -32008,
         "no session and a forged sender: the session is reported before senderId"),
        ("forged-foreign-key", ["SES-BND-004", "SES-BND-001"], {}, {"message": signed({**request, "senderId": BND_OTHER_AIC}, BND_FOREIGN_SEED)}, -32009,
         "another AIC, signed with another key: senderId is checked before the signature, so the binding failure is reported, not KeyUnknown"),
        ("forged-bad-signature", ["SES-BND-004", "SES-BND-001"], {}, {"message": {**signed({**request, "senderId": BND_OTHER_AIC}, BND_AGENT_SEED), "sentAt": "2026-11-22T10:00:01Z"}}, -32009,
         "another AIC and a broken signature: senderId is reported first"),
    ]
    session = {"session_aic": BND_AGENT_AIC, "session_seed_hex": agent_key_hex}
    cases = [
        _binding_case(f"ses-bnd-{n:03d}-{sfx}", reqs, {**(who or session), "params": params},
                      outcome, comment)
        for n, (sfx, reqs, who, params, outcome, comment) in enumerate(rows, 1)
    ]
    write("session/binding.json", {
        "format": "aip-vectors/1", "area": "session.binding", "operation": "session.binding",
        "description": "Identity binding of signed requests (Part 7 §7.6) as a receiver checks them: input is the session (`session_aic` and `session_seed_hex`, the seed of the key of the certificate that authenticated the session; or `anonymous: true` before authentication) and the JSON-RPC `params`; valid cases give the opened message's id and senderId, invalid ones the first failure in the order of SES-BND-004. Signatures made with OpenSSL Ed25519 over rfc8785 bytes; the agent and node keys are those of session/handshake.json, the foreign key RFC 8032 TEST 2.",
        "cases": cases})

    reply = {"type": "aip.pong", "id": "r-1", "senderId": BND_NODE_AIC, "sentAt": BND_SENT_AT, "replyTo": "m-1", "dataItems": BND_ITEMS}
    good = signed(reply, BND_NODE_SEED)
    answer = ["SES-BND-003"]
    reply_rows: list[tuple[str, list[str], Any, dict[str, Any] | int, str]] = [
        ("honest", answer, {"message": good},
         {"id": "r-1", "senderId": BND_NODE_AIC, "replyTo": "m-1"},
         "a pong from the node the session proved, signed with its certificate key, naming the request in replyTo"),
        ("other-sender", answer, {"message": signed({**reply, "senderId": BND_OTHER_AIC}, BND_NODE_SEED)}, -32006,
         "signed with the node's key but naming another AIC as sender: InvalidAgentResponse"),
        ("other-key", ["SES-BND-003", "INT-SIG-005"], {"message": signed(reply, BND_FOREIGN_SEED)}, -33204,
         "the node's AIC, signed by a key that is not the node certificate's"),
        ("edited-after-signing", ["SES-BND-003", "INT-SIG-002"], {"message": {**good, "replyTo": "m-2"}}, -33205,
         "replyTo changed after signing"),
        ("integrity-missing", ["SES-BND-003", "INT-SIG-007"], {"message": {k: v for k, v in good.items() if k != "integrity"}}, -33201,
         "an unsigned answer"),
        ("no-message", answer, {"type": "aip.pong", "dataItems": BND_ITEMS}, -32006,
         "a result without a message member"),
        ("result-null", answer, None, -32006,
         "a null result where a signed answer is due"),
        ("extra-member", answer, {"message": good, "note": "x"}, -32006,
         "a result with a member beside message"),
        ("id-missing", answer, {"message": signed({k: v for k, v in reply.items() if k != "id"}, BND_NODE_SEED)}, -32006,
         "a signed answer without a message id"),
    ]
    server = {"server_aic": BND_NODE_AIC, "server_seed_hex": node_key_hex}
    cases = [
        _binding_case(f"ses-reply-{n:03d}-{sfx}", reqs, {**server, "result": result}, outcome,
                      comment)
        for n, (sfx, reqs, result, outcome, comment) in enumerate(reply_rows, 1)
    ]
    write("session/binding-reply.json", {
        "format": "aip-vectors/1", "area": "session.binding", "operation": "session.reply",
        "description": "The caller's check of a signed answer (Part 7 §7.6, SES-BND-003): input is the AIC the session proved for the server (`server_aic`), the seed of its certificate key (`server_seed_hex`) and the JSON-RPC `result`; valid cases give the message's id, senderId and replyTo. A malformed answer or one from another AIC is -32006 InvalidAgentResponse (the registry's code for that name), a bad signature its Part 3 code. Signatures made with OpenSSL Ed25519 over rfc8785 bytes.",
        "cases": cases})


if __name__ == "__main__":
    codec_vectors()
    number_vectors()
    integrity_vectors()
    key_vectors()
    binding_vectors()
