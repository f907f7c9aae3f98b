"""Tests for the agent certificate profile and chain validation (spec/06-identity-pki.md)."""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from aip.errors import CertificateError, Code
from aip.identity.ca_profile import build_ca_certificate
from aip.identity.certificates import (
    DEFAULT_VALIDITY_DAYS,
    MAX_SERIAL,
    AgentCertificateInfo,
    Usage,
    acps_uri,
    build_agent_certificate,
    canonical_dns,
    canonical_ips,
    certificate_der,
    certificate_pem,
    extension_of,
    format_utc,
    inspect_agent_certificate,
    is_ed25519_signed,
    load_certificate,
    load_certificates,
    parse_utc,
    require_utc,
    validity_bounds,
)
from aip.identity.chain import ValidatedAgent, issued_by, validate_chain
from aip.identity.keys import SigningKey
from aip.identity.revocation import verify_crl
from tests.helpers import code_of
from tests.pki_helpers import (
    AGENT_KEY,
    AIC,
    INTER_KEY,
    NOW,
    ROOT_KEY,
    days,
    issue,
    make_ca,
    p256_public,
    reference_leaf,
)

CA = make_ca()
LEAF = issue(CA)
LEAF_DER = certificate_der(LEAF)
INTER = CA.intermediate_certificate
ROOT = CA.root_certificate


DAY1 = NOW + days(1)


def check(
    leaf: Any,
    *,
    now: datetime = DAY1,
    usage: Usage = Usage.CLIENT,
    inters: list[Any] | None = None,
    roots: list[Any] | None = None,
    revocation: Any = None,
) -> ValidatedAgent:
    return validate_chain(
        leaf,
        [INTER] if inters is None else inters,
        [ROOT] if roots is None else roots,
        now=now,
        usage=usage,
        revocation=revocation,
    )




# --- small helpers --------------------------------------------------------------------------


def test_usage_oids() -> None:
    assert Usage.CLIENT.oid == ExtendedKeyUsageOID.CLIENT_AUTH
    assert Usage.SERVER.oid == ExtendedKeyUsageOID.SERVER_AUTH
    assert Usage("clientAuth") is Usage.CLIENT
    assert str(Usage.SERVER) == "serverAuth"


def test_times_and_uri() -> None:
    assert acps_uri(AIC) == "acps://" + AIC
    assert format_utc(NOW) == "2026-11-21T10:00:00Z"
    assert parse_utc("2026-11-21T10:00:00Z") == NOW
    assert parse_utc(format_utc(NOW + timedelta(microseconds=5))) == NOW + timedelta(microseconds=5)
    with pytest.raises(ValueError, match="timezone-aware"):
        require_utc(datetime(2026, 1, 1))  # naive on purpose
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_utc("2026-11-21T10:00:00")
    start, end = validity_bounds(NOW + timedelta(microseconds=999), 2)
    assert (start, end) == (NOW, NOW + days(2))


def test_canonical_dns_and_ips() -> None:
    assert canonical_dns(["Agent.Example.ORG", "a-1.b"]) == ("agent.example.org", "a-1.b")
    assert canonical_ips(["192.0.2.1", "2001:DB8:0::1"]) == ("192.0.2.1", "2001:db8::1")
    for bad in ["*.example.org", "", "-a.example", "a..b", "a.", "ex ample.org", "é.cn", "a" * 64]:
        assert code_of(canonical_dns, [bad]) is Code.CERTIFICATE_PROFILE_INVALID, bad
    for bad_ip in ["300.1.1.1", "192.0.2.0/24", "host", ""]:
        assert code_of(canonical_ips, [bad_ip]) is Code.CERTIFICATE_PROFILE_INVALID


def test_extension_of_and_signature_algorithm() -> None:
    basic = extension_of(LEAF, x509.BasicConstraints)
    assert basic is not None
    assert basic.critical
    assert not basic.value.ca
    assert extension_of(ROOT, x509.AuthorityKeyIdentifier) is None
    assert is_ed25519_signed(LEAF)


# --- parsing -------------------------------------------------------------------------------


def test_load_certificate_accepts_pem_der_text_and_objects() -> None:
    pem = certificate_pem(LEAF)
    for form in (pem, pem.decode(), LEAF_DER, LEAF):
        assert certificate_der(load_certificate(form)) == LEAF_DER
    assert [certificate_der(c) for c in load_certificates(pem + CA.chain_pem())] == [
        LEAF_DER,
        certificate_der(INTER),
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x30\x00",
        LEAF_DER[:-1],
        LEAF_DER + b"\x00",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        certificate_pem(LEAF) + certificate_pem(ROOT),
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        12345,
    ],
)
def test_load_certificate_rejects_malformed(data: Any) -> None:
    assert code_of(load_certificate, data) is Code.CERTIFICATE_MALFORMED  # [IDN-CRT-001]


def test_load_certificates_rejects_empty_and_bad_blocks() -> None:
    assert code_of(load_certificates, b"nothing here") is Code.CERTIFICATE_MALFORMED
    bad = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    assert code_of(load_certificates, certificate_pem(ROOT) + bad) is Code.CERTIFICATE_MALFORMED
    assert code_of(load_certificates, 7) is Code.CERTIFICATE_MALFORMED


@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_parser_raises_only_certificate_errors(data: bytes) -> None:
    try:
        load_certificate(data)
    except CertificateError as exc:
        assert exc.code is Code.CERTIFICATE_MALFORMED


@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(LEAF_DER) - 1), st.integers(1, 255))
def test_any_flipped_byte_in_the_leaf_is_rejected(position: int, xor: int) -> None:
    mutated = bytearray(LEAF_DER)
    mutated[position] ^= xor
    with pytest.raises(CertificateError):
        check(bytes(mutated))


def test_signature_unused_bits_are_rejected() -> None:  # [IDN-CA-006]
    # The parser ignores the BIT STRING's unused-bits octet; we must not.
    position = len(LEAF_DER) - 65
    assert LEAF_DER[position - 2 : position + 1] == b"\x03\x41\x00"
    mutated = LEAF_DER[:position] + b"\x01" + LEAF_DER[position + 1 :]
    assert load_certificate(mutated).signature == LEAF.signature
    assert not is_ed25519_signed(load_certificate(mutated))
    assert code_of(check, mutated) is Code.CERTIFICATE_CHAIN_INVALID


# --- the profile ---------------------------------------------------------------------------


def test_inspect_returns_what_the_certificate_says() -> None:  # [IDN-CRT-010]
    leaf = issue(make_ca(), serial=77, usage=Usage.SERVER, dns=["Agent.example.org"], ips=["::1"])
    info = inspect_agent_certificate(leaf)
    assert info == AgentCertificateInfo(
        aic=AIC,
        usage=Usage.SERVER,
        key=AGENT_KEY.verify_key,
        serial=77,
        not_before=NOW,
        not_after=NOW + days(DEFAULT_VALIDITY_DAYS),
        dns=("agent.example.org",),
        ips=("::1",),
    )


def test_reference_leaf_equals_the_ca_output() -> None:  # [IDN-CRT-012]
    # §6.1.1 reproduced independently: same bytes, so the vectors' hashes are reproducible.
    assert certificate_der(reference_leaf(issuer=INTER, issuer_key=INTER_KEY)) == LEAF_DER
    ski = extension_of(LEAF, x509.SubjectKeyIdentifier)
    assert ski is not None
    spki_bits = AGENT_KEY.verify_key.raw  # the BIT STRING contents of an Ed25519 key
    assert ski.value.digest == hashlib.sha1(spki_bits).digest()  # RFC 5280 method 1


def test_build_agent_certificate_normalises_the_aic() -> None:
    cert = build_agent_certificate(
        aic="  " + AIC.lower(),
        key=AGENT_KEY.verify_key,
        usage=Usage.CLIENT,
        issuer=INTER,
        issuer_key=INTER_KEY,
        serial=10,
        not_before=NOW,
        not_after=NOW + days(49),
    )
    assert certificate_der(cert) == LEAF_DER


PROFILE_BREAKS: dict[str, dict[str, Any]] = {
    "both usages": {"purposes": [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]},
    "no usage": {"drop": [x509.ExtendedKeyUsage]},
    "code signing": {"purposes": [ExtendedKeyUsageOID.CODE_SIGNING]},
    "cn not an aic": {"cn": "agent.example.org"},
    "cn lower case": {"cn": AIC.lower()},
    "cn with domain": {"cn": AIC + ".example.org"},
    "san of another aic": {"sans": [x509.UniformResourceIdentifier("acps://" + AIC[:-4] + "0000")]},
    "no acps uri": {"sans": [x509.DNSName("a.example")]},
    "two uris": {"sans": [x509.UniformResourceIdentifier("acps://" + AIC)] * 2},
    "https uri": {
        "sans": [
            x509.UniformResourceIdentifier("acps://" + AIC),
            x509.UniformResourceIdentifier("https://a.example"),
        ]
    },
    "email san": {
        "sans": [x509.UniformResourceIdentifier("acps://" + AIC), x509.RFC822Name("a@example.org")]
    },
    "ip network": {
        "sans": [
            x509.UniformResourceIdentifier("acps://" + AIC),
            x509.IPAddress(ipaddress.ip_network("10.0.0.0/8")),
        ]
    },
    "no san": {"drop": [x509.SubjectAlternativeName]},
    "ca leaf": {"ca_flag": True},
    "basic not critical": {"bc_critical": False},
    "no basic": {"drop": [x509.BasicConstraints]},
    "no key usage": {"drop": [x509.KeyUsage]},
    "key usage not critical": {"ku_critical": False},
    "no digital signature": {"key_usage": {"digital_signature": False, "key_encipherment": True}},
    "cert sign": {"key_usage": {"key_cert_sign": True}},
    "crl sign": {"key_usage": {"crl_sign": True}},
    "no ski": {"drop": [x509.SubjectKeyIdentifier]},
    "no aki": {"drop": [x509.AuthorityKeyIdentifier]},
    "p256 key": {"key": p256_public()},
}


@pytest.mark.parametrize("name", sorted(PROFILE_BREAKS))
def test_profile_violations(name: str) -> None:
    # [IDN-CRT-002] [IDN-CRT-003] [IDN-CRT-004] [IDN-CRT-005] [IDN-CRT-006] [IDN-CRT-007]
    # [IDN-CRT-008]
    cert = reference_leaf(issuer=INTER, issuer_key=INTER_KEY, **PROFILE_BREAKS[name])
    assert code_of(inspect_agent_certificate, cert) is Code.CERTIFICATE_PROFILE_INVALID
    assert code_of(check, cert) is Code.CERTIFICATE_PROFILE_INVALID


def test_extra_subject_attributes_and_two_cns() -> None:
    base = reference_leaf(issuer=INTER, issuer_key=INTER_KEY)

    def with_subject(*attrs: x509.NameAttribute[str]) -> x509.Certificate:
        builder = x509.CertificateBuilder(
            issuer_name=base.issuer,
            subject_name=x509.Name(list(attrs)),
            public_key=AGENT_KEY.verify_key.to_cryptography(),
            serial_number=10,
            not_valid_before=NOW,
            not_valid_after=NOW + days(49),
            extensions=list(base.extensions),
        )
        return builder.sign(INTER_KEY.to_cryptography(), algorithm=None)

    cn = x509.NameAttribute(NameOID.COMMON_NAME, AIC)
    org = x509.NameAttribute(NameOID.ORGANIZATION_NAME, "example.org")
    assert check(with_subject(org, cn)).aic == AIC  # other attributes are ignored
    assert code_of(check, with_subject(cn, cn)) is Code.CERTIFICATE_PROFILE_INVALID
    assert code_of(check, with_subject(org)) is Code.CERTIFICATE_PROFILE_INVALID


def _edit_tbs(old: bytes, new: bytes) -> bytes:
    assert LEAF_DER.count(old) == 1
    return LEAF_DER.replace(old, new)


def test_version_and_serial_edits() -> None:  # [IDN-CRT-001] [IDN-CRT-009]
    # version 1: drop the [0] version field and shorten the two enclosing lengths by 5
    assert LEAF_DER[:8] == b"\x30\x82\x01\xc9\x30\x82\x01\x7b"
    v1 = b"\x30\x82\x01\xc4\x30\x82\x01\x76" + LEAF_DER[13:]
    assert load_certificate(v1).version is x509.Version.v1
    assert code_of(inspect_agent_certificate, v1) is Code.CERTIFICATE_PROFILE_INVALID
    # version 2 is a number the parser does not know: not a certificate at all
    v2 = _edit_tbs(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x01")
    assert code_of(inspect_agent_certificate, v2) is Code.CERTIFICATE_MALFORMED
    for serial in (b"\x00", b"\xf6"):  # zero and -10
        der = _edit_tbs(b"\x02\x01\x0a\x30", b"\x02\x01" + serial + b"\x30")
        with pytest.warns(CryptographyDeprecationWarning):  # cryptography still parses these
            assert code_of(inspect_agent_certificate, der) is Code.CERTIFICATE_PROFILE_INVALID


def test_serial_limits() -> None:
    biggest = issue(make_ca(), serial=MAX_SERIAL)
    assert check(biggest).serial == MAX_SERIAL


# --- the chain -----------------------------------------------------------------------------


def test_valid_chain_for_both_roles() -> None:
    result = check(LEAF)
    anchor = hashlib.sha256(certificate_der(CA.root_certificate)).hexdigest()
    assert result == ValidatedAgent(
        AIC, Usage.CLIENT, AGENT_KEY.verify_key, NOW + days(49), 10, anchor
    )
    server = issue(make_ca(), serial=11, usage=Usage.SERVER)
    assert check(server, usage=Usage.SERVER).usage is Usage.SERVER
    # PEM inputs and extra, irrelevant intermediates are fine
    other = make_ca(other=True)
    assert (
        check(
            certificate_pem(LEAF),
            inters=[other.intermediate_certificate, CA.chain_pem()],
            roots=[other.trust_bundle_pem(), CA.trust_bundle_pem()],
        ).serial
        == 10
    )


def test_wrong_usage() -> None:  # [IDN-CRT-015]
    assert code_of(check, LEAF, usage=Usage.SERVER) is Code.CERTIFICATE_WRONG_USAGE
    server = issue(make_ca(), serial=11, usage=Usage.SERVER)
    assert code_of(check, server, usage=Usage.CLIENT) is Code.CERTIFICATE_WRONG_USAGE


def test_validity_window_is_inclusive() -> None:  # [IDN-CRT-014]
    assert check(LEAF, now=NOW).serial == 10
    assert check(LEAF, now=NOW + days(49)).serial == 10
    late = NOW + days(49) + timedelta(microseconds=1)
    assert code_of(check, LEAF, now=late) is Code.CERTIFICATE_EXPIRED
    early = NOW - timedelta(seconds=1)
    assert code_of(check, LEAF, now=early) is Code.CERTIFICATE_NOT_YET_VALID


def _intermediate(
    path_length: int | None = 0,
    lifetime: float = 1825,
    subject: x509.Name | None = None,
    key_cert_sign: bool = True,
) -> x509.Certificate:
    cert = build_ca_certificate(
        subject=subject or INTER.subject,
        issuer=ROOT.subject,
        key=INTER_KEY.verify_key,
        signer=ROOT_KEY,
        serial=2,
        not_before=NOW,
        not_after=NOW + days(lifetime),
        path_length=path_length,
        issuer_key=ROOT_KEY.verify_key,
    )
    if key_cert_sign:
        return cert
    exts = [e for e in cert.extensions if not isinstance(e.value, x509.KeyUsage)]
    ku = x509.KeyUsage(True, False, False, False, False, False, True, False, False)
    builder = x509.CertificateBuilder(
        issuer_name=cert.issuer,
        subject_name=cert.subject,
        public_key=INTER_KEY.verify_key.to_cryptography(),
        serial_number=2,
        not_valid_before=NOW,
        not_valid_after=NOW + days(lifetime),
        extensions=[*exts, x509.Extension(ku.oid, True, ku)],
    )
    return builder.sign(ROOT_KEY.to_cryptography(), algorithm=None)


def test_chain_failures() -> None:  # [IDN-CA-005] [IDN-CA-006]
    chain_invalid = Code.CERTIFICATE_CHAIN_INVALID
    other = make_ca(other=True)
    assert code_of(check, LEAF, inters=[]) is chain_invalid
    assert code_of(check, LEAF, roots=[other.root_certificate]) is chain_invalid
    assert code_of(check, LEAF, inters=[other.intermediate_certificate]) is chain_invalid
    assert code_of(check, LEAF, inters=[_intermediate(path_length=None)]) is chain_invalid
    assert code_of(check, LEAF, inters=[_intermediate(path_length=1)]) is chain_invalid
    assert code_of(check, LEAF, inters=[_intermediate(key_cert_sign=False)]) is chain_invalid
    by_root = reference_leaf(issuer=ROOT, issuer_key=ROOT_KEY)  # [IDN-CA-004]
    assert code_of(check, by_root) is chain_invalid
    assert code_of(check, by_root, inters=[ROOT]) is chain_invalid
    wrong_aki = reference_leaf(issuer=INTER, issuer_key=INTER_KEY, aki=bytes(20))
    assert code_of(check, wrong_aki) is chain_invalid
    forged = reference_leaf(issuer=INTER, issuer_key=AGENT_KEY)  # right names, wrong key
    assert code_of(check, forged) is chain_invalid
    # the intermediate re-issued with identical content verifies: same key, same names
    assert check(LEAF, inters=[_intermediate()]).serial == 10


def test_root_path_length() -> None:
    def root_with(path_length: int | None) -> x509.Certificate:
        return build_ca_certificate(
            subject=ROOT.subject,
            issuer=ROOT.subject,
            key=ROOT_KEY.verify_key,
            signer=ROOT_KEY,
            serial=1,
            not_before=NOW,
            not_after=NOW + days(3650),
            path_length=path_length,
            issuer_key=None,
        )

    assert check(LEAF, roots=[root_with(None)]).serial == 10
    assert check(LEAF, roots=[root_with(5)]).serial == 10
    assert code_of(check, LEAF, roots=[root_with(0)]) is Code.CERTIFICATE_CHAIN_INVALID


def _raw_ca(
    subject: x509.Name,
    public: Any,
    signer: SigningKey,
    *,
    ca: bool = True,
    ski: bool = True,
    issuer: x509.Name | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .serial_number(3)
        .issuer_name(issuer or ROOT.subject)
        .subject_name(subject)
        .not_valid_before(NOW)
        .not_valid_after(NOW + days(1825))
        .public_key(public)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    )
    if ski:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public), False)
    return builder.sign(signer.to_cryptography(), algorithm=None)


def test_intermediate_and_root_shapes() -> None:
    inter_public = INTER_KEY.verify_key.to_cryptography()
    not_ca = _raw_ca(INTER.subject, inter_public, ROOT_KEY, ca=False)
    assert code_of(check, LEAF, inters=[not_ca]) is Code.CERTIFICATE_CHAIN_INVALID
    plain = _raw_ca(INTER.subject, inter_public, ROOT_KEY)  # no authorityKeyIdentifier
    assert check(LEAF, inters=[plain]).serial == 10
    root_public = ROOT_KEY.verify_key.to_cryptography()
    bare_root = _raw_ca(ROOT.subject, root_public, ROOT_KEY, ski=False, issuer=ROOT.subject)
    basic = x509.BasicConstraints(ca=True, path_length=None)
    assert extension_of(bare_root, x509.SubjectKeyIdentifier) is None
    assert basic.ca  # the root's path length 0 above is rejected, so rebuild with None below
    bare_root = x509.CertificateBuilder(
        issuer_name=ROOT.subject,
        subject_name=ROOT.subject,
        public_key=root_public,
        serial_number=1,
        not_valid_before=NOW,
        not_valid_after=NOW + days(3650),
        extensions=[e for e in bare_root.extensions if not isinstance(e.value, type(basic))]
        + [x509.Extension(basic.oid, True, basic)],
    ).sign(ROOT_KEY.to_cryptography(), algorithm=None)
    assert check(LEAF, roots=[bare_root]).serial == 10  # key ids compared only when both exist


def test_issued_by() -> None:
    assert issued_by(LEAF, INTER)
    assert issued_by(INTER, ROOT)
    assert issued_by(ROOT, ROOT)
    assert not issued_by(LEAF, ROOT)
    assert not issued_by(INTER, INTER)
    p256_ca = _raw_ca(INTER.subject, p256_public(), ROOT_KEY)
    assert not issued_by(LEAF, p256_ca)  # same name, but not an Ed25519 key


def test_expired_intermediate_and_root() -> None:
    short = _intermediate(lifetime=10)
    assert code_of(check, LEAF, now=NOW + days(11), inters=[short]) is Code.CERTIFICATE_EXPIRED
    late_inter = build_ca_certificate(
        subject=INTER.subject,
        issuer=ROOT.subject,
        key=INTER_KEY.verify_key,
        signer=ROOT_KEY,
        serial=2,
        not_before=NOW + days(5),
        not_after=NOW + days(100),
        path_length=0,
        issuer_key=ROOT_KEY.verify_key,
    )
    assert code_of(check, LEAF, inters=[late_inter]) is Code.CERTIFICATE_NOT_YET_VALID
    short_root = build_ca_certificate(
        subject=ROOT.subject,
        issuer=ROOT.subject,
        key=ROOT_KEY.verify_key,
        signer=ROOT_KEY,
        serial=1,
        not_before=NOW,
        not_after=NOW + days(2),
        path_length=1,
        issuer_key=None,
    )
    assert code_of(check, LEAF, now=NOW + days(3), roots=[short_root]) is Code.CERTIFICATE_EXPIRED


def test_check_order() -> None:  # [IDN-CRT-013]
    other = make_ca(other=True)
    both = reference_leaf(
        issuer=INTER,
        issuer_key=INTER_KEY,
        purposes=[ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH],
    )
    expired = NOW + days(60)
    assert code_of(check, b"junk", inters=[]) is Code.CERTIFICATE_MALFORMED
    assert code_of(check, LEAF, inters=[b"junk"]) is Code.CERTIFICATE_MALFORMED
    assert code_of(check, both, now=expired, roots=[]) is Code.CERTIFICATE_PROFILE_INVALID
    assert code_of(check, LEAF, usage=Usage.SERVER, roots=[other.root_certificate]) is (
        Code.CERTIFICATE_WRONG_USAGE
    )
    assert code_of(check, LEAF, now=expired, roots=[other.root_certificate]) is (
        Code.CERTIFICATE_CHAIN_INVALID
    )


# --- revocation during validation ----------------------------------------------------------


def test_revocation_status() -> None:  # [IDN-REV-008]
    ca = make_ca()
    good = issue(ca, serial=10)
    bad = issue(ca, serial=11)
    ca.revoke(bad, 1, NOW + days(1))
    crl_now = NOW + days(1)
    crl = verify_crl(ca.revocation_list(crl_now), ca.intermediate_certificate, crl_now)
    assert check(good, now=crl_now, revocation=crl).serial == 10
    with pytest.raises(CertificateError) as info:
        check(bad, now=crl_now, revocation=crl)
    assert info.value.code is Code.CERTIFICATE_REVOKED
    assert info.value.data == {"reason": 1}
    stale = crl_now + days(1) + timedelta(seconds=1)
    assert code_of(check, bad, now=stale, revocation=crl) is Code.REVOCATION_LIST_INVALID
    early = crl_now - timedelta(seconds=1)
    assert code_of(check, good, now=early, revocation=crl) is Code.REVOCATION_LIST_INVALID
    other = make_ca(other=True)
    foreign = verify_crl(other.revocation_list(crl_now), other.intermediate_certificate, crl_now)
    assert code_of(check, good, now=crl_now, revocation=foreign) is Code.REVOCATION_LIST_INVALID
    # expiry is reported before revocation
    late = NOW + days(50)
    late_crl = verify_crl(ca.revocation_list(NOW + days(49)), ca.intermediate_certificate, late)
    assert code_of(check, bad, now=late, revocation=late_crl) is Code.CERTIFICATE_EXPIRED
