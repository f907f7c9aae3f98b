"""Tests for enrollment tokens, CSR proof of possession and rotation signatures (§6.4, §6.6)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from aip.errors import AicError, Code, EnrollmentError
from aip.identity.certificates import Usage, certificate_der, inspect_agent_certificate
from aip.identity.enrollment import (
    DEFAULT_TOKEN_TTL,
    ROTATION_CONTEXT,
    TOKEN_PREFIX,
    CertificateRequest,
    TokenBook,
    TokenRecord,
    build_csr,
    normalise_usages,
    parse_csr,
    rotation_message,
    sign_rotation,
    token_id_of,
    verify_rotation,
)
from aip.identity.keys import b64url_encode
from tests.helpers import code_of
from tests.pki_helpers import AGENT_KEY, AIC, NEW_KEY, NOW, OTHER_AIC, SECRET, issue, make_ca

TOKEN = "aipt1.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
CSR = build_csr(AGENT_KEY, AIC)
BOTH = [Usage.CLIENT, Usage.SERVER]




def book_with_token(ttl: timedelta = DEFAULT_TOKEN_TTL) -> TokenBook:
    book = TokenBook.empty()
    assert book.issue(AIC, SECRET, NOW, ttl) == TOKEN
    return book


def raw_csr(names: list[x509.NameAttribute[str]], key: Any = None) -> bytes:
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return builder.sign(key, SHA256()).public_bytes(Encoding.PEM)
    return builder.sign(AGENT_KEY.to_cryptography(), None).public_bytes(Encoding.PEM)


def flipped(pem: bytes) -> bytes:
    der = x509.load_pem_x509_csr(pem).public_bytes(Encoding.DER)
    return der[:-1] + bytes([der[-1] ^ 1])


# --- tokens ----------------------------------------------------------------------------------


def test_token_text_and_stored_record() -> None:  # [IDN-ENR-001] [IDN-ENR-002]
    book = book_with_token()
    assert TOKEN_PREFIX + b64url_encode(SECRET) == TOKEN
    token_id = hashlib.sha256(SECRET).hexdigest()
    assert token_id_of(SECRET) == token_id
    assert book.records == {
        token_id: TokenRecord(token_id, AIC, NOW, NOW + timedelta(hours=24), None)
    }
    listed = book.to_list()
    assert SECRET.hex() not in str(listed)
    assert b64url_encode(SECRET) not in str(listed)
    assert TokenBook.from_list(listed) == book


def test_issue_token_normalises_and_rejects() -> None:
    book = TokenBook.empty()
    book.issue(AIC.lower(), bytes(16), NOW)
    assert next(iter(book.records.values())).aic == AIC
    assert code_of(book.issue, AIC, bytes(16), NOW) is Code.INVALID_PARAMS  # same secret
    assert code_of(book.issue, AIC, bytes(15), NOW) is Code.INVALID_PARAMS
    assert code_of(book.issue, AIC, bytes(65), NOW) is Code.INVALID_PARAMS
    assert code_of(book.issue, AIC, "x" * 32, NOW) is Code.INVALID_PARAMS
    assert code_of(book.issue, AIC, bytes(range(20)), NOW, timedelta(0)) is Code.INVALID_PARAMS
    with pytest.raises(AicError):
        book.issue("not an aic", bytes(range(20)), NOW)
    assert len(book.records) == 1


def test_redeem_both_usages_once() -> None:  # [IDN-ENR-006] [IDN-ENR-007]
    book = book_with_token()
    later = NOW + timedelta(hours=1)
    grant = book.redeem(TOKEN, CSR, later, [Usage.SERVER, Usage.CLIENT])
    assert grant.aic == AIC
    assert grant.key == AGENT_KEY.verify_key
    assert grant.usages == (Usage.CLIENT, Usage.SERVER)
    assert grant.token_id == token_id_of(SECRET)
    assert book.records[grant.token_id].used_at == later
    assert code_of(book.redeem, TOKEN, CSR, later, Usage.CLIENT) is Code.ENROLLMENT_TOKEN_USED


def test_expiry_is_exclusive() -> None:  # [IDN-ENR-003]
    book = book_with_token()
    end = NOW + timedelta(hours=24)
    assert book.check(TOKEN, CSR, end - timedelta(microseconds=1), BOTH).aic == AIC
    assert code_of(book.check, TOKEN, CSR, end, BOTH) is Code.ENROLLMENT_TOKEN_EXPIRED
    short = TokenBook.empty()
    short.issue(AIC, SECRET, NOW, timedelta(minutes=5))
    assert code_of(short.check, TOKEN, CSR, NOW + timedelta(minutes=5), BOTH) is (
        Code.ENROLLMENT_TOKEN_EXPIRED
    )


@pytest.mark.parametrize(
    "text",
    [
        "aipt1." + b64url_encode(bytes(range(1, 33))),  # never issued
        "aipt1." + b64url_encode(SECRET) + "=",
        "aipt2." + b64url_encode(SECRET),
        "AIPT1." + b64url_encode(SECRET),
        "aipt1." + b64url_encode(bytes(15)),
        "aipt1." + b64url_encode(bytes(65)),
        "aipt1.",
        "aipt1.!!!!",
        "",
        b64url_encode(SECRET),
    ],
)
def test_unknown_tokens(text: str) -> None:  # [IDN-ENR-001]
    assert code_of(book_with_token().check, text, CSR, NOW, BOTH) is Code.ENROLLMENT_TOKEN_UNKNOWN


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80) | st.binary(max_size=40).map(lambda b: "aipt1." + b64url_encode(b)))
def test_any_other_text_is_an_unknown_token(text: str) -> None:
    book = book_with_token()
    if text == TOKEN:
        return
    assert code_of(book.check, text, CSR, NOW, BOTH) is Code.ENROLLMENT_TOKEN_UNKNOWN


def test_csr_checks() -> None:  # [IDN-ENR-005]
    book = book_with_token()
    p256 = ec.derive_private_key(0x1234567, ec.SECP256R1())
    cn = x509.NameAttribute(NameOID.COMMON_NAME, AIC)
    cases: list[tuple[bytes | str, Code]] = [
        (build_csr(AGENT_KEY, OTHER_AIC), Code.ENROLLMENT_AIC_MISMATCH),
        (
            raw_csr([x509.NameAttribute(NameOID.COMMON_NAME, "agent.example.org")]),
            Code.ENROLLMENT_AIC_MISMATCH,
        ),
        (
            raw_csr([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "x")]),
            Code.ENROLLMENT_AIC_MISMATCH,
        ),
        (raw_csr([cn, cn]), Code.CSR_INVALID),
        (raw_csr([cn], p256), Code.CSR_INVALID),
        (flipped(CSR), Code.CSR_INVALID),
        (b"junk", Code.CSR_INVALID),
        (
            b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            Code.CSR_INVALID,
        ),
    ]
    for csr, code in cases:
        assert code_of(book.check, TOKEN, csr, NOW, BOTH) is code
    lower = raw_csr([x509.NameAttribute(NameOID.COMMON_NAME, " " + AIC.lower())])
    assert book.check(TOKEN, lower, NOW, BOTH).aic == AIC
    assert book.check(TOKEN, CSR.decode(), NOW, BOTH).aic == AIC
    assert book.records[token_id_of(SECRET)].used_at is None  # check never consumes


def test_check_order() -> None:  # [IDN-ENR-004]
    book = book_with_token()
    unknown = "aipt1." + b64url_encode(bytes(range(1, 33)))
    assert code_of(book.check, unknown, b"junk", NOW, []) is Code.INVALID_PARAMS
    assert code_of(book.check, unknown, b"junk", NOW, BOTH) is Code.ENROLLMENT_TOKEN_UNKNOWN
    late = NOW + timedelta(days=2)
    book.redeem(TOKEN, CSR, NOW, BOTH)
    assert code_of(book.check, TOKEN, b"junk", late, BOTH) is Code.ENROLLMENT_TOKEN_EXPIRED
    assert code_of(book.check, TOKEN, b"junk", NOW, BOTH) is Code.ENROLLMENT_TOKEN_USED
    fresh = book_with_token()
    other = flipped(build_csr(AGENT_KEY, OTHER_AIC))
    assert code_of(fresh.check, TOKEN, other, NOW, BOTH) is Code.CSR_INVALID


def test_normalise_usages() -> None:
    assert normalise_usages(Usage.SERVER) == (Usage.SERVER,)
    assert normalise_usages([Usage.SERVER, Usage.CLIENT]) == (Usage.CLIENT, Usage.SERVER)
    for bad in ([], [Usage.CLIENT, Usage.CLIENT], ["clientAuth"]):
        assert code_of(normalise_usages, bad) is Code.INVALID_PARAMS


def test_consume_race_and_purge() -> None:
    book = book_with_token()
    first = book.check(TOKEN, CSR, NOW, BOTH)
    second = book.check(TOKEN, CSR, NOW, BOTH)
    book.consume(first, NOW)
    assert code_of(book.consume, second, NOW) is Code.ENROLLMENT_TOKEN_USED
    other = TokenBook.empty()
    other.issue(AIC, bytes(range(100, 132)), NOW, timedelta(hours=48))
    book.records.update(other.records)
    assert book.purge(NOW + timedelta(hours=24) - timedelta(seconds=1)) == 0
    assert book.purge(NOW + timedelta(hours=24)) == 1
    assert code_of(book.check, TOKEN, CSR, NOW, BOTH) is Code.ENROLLMENT_TOKEN_UNKNOWN
    assert code_of(book.consume, first, NOW) is Code.ENROLLMENT_TOKEN_UNKNOWN
    assert len(book.records) == 1


# --- CSRs and rotation ----------------------------------------------------------------------


def test_parse_and_build_csr() -> None:
    request = parse_csr(CSR)
    der = x509.load_pem_x509_csr(CSR).public_bytes(Encoding.DER)
    assert request == CertificateRequest(cn=AIC, key=AGENT_KEY.verify_key, der=der)
    assert parse_csr(der) == request
    assert request.names(AIC)
    assert not request.names(OTHER_AIC)
    assert not CertificateRequest(None, AGENT_KEY.verify_key, der).names(AIC)
    assert not CertificateRequest("x", AGENT_KEY.verify_key, der).names(AIC)
    assert build_csr(AGENT_KEY, AIC) == CSR  # Ed25519: deterministic
    with pytest.raises(AicError):
        build_csr(AGENT_KEY, "nope")
    assert code_of(parse_csr, 42) is Code.CSR_INVALID


def test_rotation_message_bytes() -> None:  # [IDN-ROT-002]
    assert ROTATION_CONTEXT == b"aip-key-rotation-v1\x00"
    assert len(ROTATION_CONTEXT) == 20
    cert_der, csr_der = b"\x30\x01\x00", b"\x30\x02\x05\x00"
    message = rotation_message(cert_der, csr_der)
    assert message == b"aip-key-rotation-v1\x00" + hashlib.sha256(cert_der).digest() + csr_der
    assert len(message) == 20 + 32 + len(csr_der)


def test_sign_and_verify_rotation() -> None:  # [IDN-ROT-001]
    current = certificate_der(issue(make_ca()))
    new_csr = build_csr(NEW_KEY, AIC)
    new_der = parse_csr(new_csr).der
    signature = sign_rotation(AGENT_KEY, current, new_csr)
    assert signature == AGENT_KEY.sign(rotation_message(current, new_der))
    verify_rotation(AGENT_KEY.verify_key, current, new_der, signature)
    for sig in (None, signature[:-1] + bytes([signature[-1] ^ 1]), b""):
        assert code_of(verify_rotation, AGENT_KEY.verify_key, current, new_der, sig) is (
            Code.ROTATION_PROOF_INVALID
        )
    assert code_of(verify_rotation, NEW_KEY.verify_key, current, new_der, signature) is (
        Code.ROTATION_PROOF_INVALID
    )
    assert code_of(sign_rotation, AGENT_KEY, current, b"junk") is Code.CSR_INVALID


# --- the CA side ----------------------------------------------------------------------------


def test_ca_enroll_issues_both_certificates() -> None:  # [IDN-ENR-007]
    ca = make_ca()
    token = ca.issue_token(AIC, SECRET, NOW)
    at = NOW + timedelta(hours=3)
    client, server = ca.enroll(token, CSR, at, [Usage.SERVER, Usage.CLIENT], [100, 101])
    infos = [inspect_agent_certificate(c) for c in (client, server)]
    assert [(i.usage, i.serial, i.key) for i in infos] == [
        (Usage.CLIENT, 100, AGENT_KEY.verify_key),
        (Usage.SERVER, 101, AGENT_KEY.verify_key),
    ]
    assert infos[0].not_after == at + timedelta(days=49)
    assert sorted(ca.state.issued) == [100, 101]
    assert code_of(ca.enroll, token, CSR, at, [Usage.CLIENT], [102]) is Code.ENROLLMENT_TOKEN_USED


def test_ca_enroll_is_all_or_nothing() -> None:  # [IDN-ENR-006]
    ca = make_ca()
    issue(ca, serial=101)
    token = ca.issue_token(AIC, SECRET, NOW)
    assert code_of(ca.enroll, token, CSR, NOW, BOTH, [100, 101]) is Code.SERIAL_INVALID
    assert code_of(ca.enroll, token, CSR, NOW, BOTH, [100, 100]) is Code.SERIAL_INVALID
    assert code_of(ca.enroll, token, CSR, NOW, BOTH, [100]) is Code.SERIAL_INVALID
    assert code_of(ca.enroll, token, CSR, NOW, BOTH, [100, 102], validity_days=0) is (
        Code.VALIDITY_INVALID
    )
    assert sorted(ca.state.issued) == [101]
    assert ca.state.tokens.records[token_id_of(SECRET)].used_at is None
    certs = ca.enroll(token, CSR, NOW, Usage.CLIENT, [100], dns=["a.example.org"])
    assert inspect_agent_certificate(certs[0]).dns == ("a.example.org",)


def test_enrollment_error_type() -> None:
    with pytest.raises(EnrollmentError):
        book_with_token().check("nope", CSR, NOW, BOTH)


def test_the_same_request_again_is_recognised_until_the_token_expires() -> None:  # [IDN-ENR-011]
    ca = make_ca()
    token = ca.issue_token(AIC, SECRET, NOW)
    at = NOW + timedelta(hours=3)
    first = ca.enroll(token, CSR, at, [Usage.CLIENT, Usage.SERVER], [100, 101])
    book = ca.state.tokens
    assert book.replay(token, CSR, at, [Usage.SERVER, Usage.CLIENT]) == (100, 101)
    again = ca.enroll(token, CSR, at, [Usage.CLIENT, Usage.SERVER], [102, 103])
    assert [c.serial_number for c in again] == [c.serial_number for c in first]
    assert sorted(ca.state.issued) == [100, 101]  # nothing new
    expires = NOW + DEFAULT_TOKEN_TTL
    assert book.replay(token, CSR, expires, [Usage.CLIENT, Usage.SERVER]) is None
    assert book.replay(token, CSR, at, [Usage.CLIENT]) is None  # other usages
    assert book.replay(token, b"junk", at, [Usage.CLIENT, Usage.SERVER]) is None
    assert book.replay("aipt1.x", CSR, at, [Usage.CLIENT, Usage.SERVER]) is None
    # the request survives a save and a load; records written before it load as before
    listed = book.to_list()
    assert TokenBook.from_list(listed) == book
    old = [{k: v for k, v in item.items() if k not in ("request", "serials")} for item in listed]
    assert TokenBook.from_list(old).replay(token, CSR, at, [Usage.CLIENT, Usage.SERVER]) is None
