"""Tests for the domain CA: hierarchy, issuing, renewal, rotation, revocation, CRL, state."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from aip.errors import AicError, Code
from aip.identity.ca import DomainCA
from aip.identity.ca_state import CaState
from aip.identity.certificates import (
    Usage,
    certificate_der,
    certificate_pem,
    extension_of,
    inspect_agent_certificate,
    load_certificates,
)
from aip.identity.chain import issued_by, validate_chain
from aip.identity.enrollment import build_csr, sign_rotation
from aip.identity.keyfile import signing_key_to_pem
from aip.identity.keys import SigningKey
from aip.identity.revocation import (
    RevocationEntry,
    RevocationReason,
    build_crl,
    verify_crl,
)
from tests.helpers import code_of
from tests.pki_helpers import (
    AGENT_KEY,
    AIC,
    INTER_KEY,
    NEW_KEY,
    NOW,
    OTHER_AIC,
    ROOT_KEY,
    days,
    issue,
    make_ca,
)

# --- creation and the hierarchy ------------------------------------------------------------


def test_create_builds_root_and_intermediate() -> None:  # [IDN-CA-001] [IDN-CA-003]
    ca = make_ca()
    root, inter = ca.root_certificate, ca.intermediate_certificate
    assert (
        root.subject
        == root.issuer
        == x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "example.org"),
                x509.NameAttribute(NameOID.COMMON_NAME, "AIP Root CA"),
            ]
        )
    )
    assert inter.issuer == root.subject
    assert inter.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "AIP Intermediate CA"
    )
    for cert, path in ((root, 1), (inter, 0)):
        basic = extension_of(cert, x509.BasicConstraints)
        ku = extension_of(cert, x509.KeyUsage)
        assert basic is not None
        assert ku is not None
        assert basic.critical
        assert basic.value.ca
        assert basic.value.path_length == path
        assert ku.critical
        assert ku.value.key_cert_sign
        assert ku.value.crl_sign
        assert not ku.value.digital_signature
    assert root.not_valid_after_utc == NOW + days(3650)
    assert inter.not_valid_after_utc == NOW + days(1825)
    assert issued_by(inter, root)
    assert extension_of(inter, x509.AuthorityKeyIdentifier) is not None
    assert ca.state.domain == "example.org"


def test_assembling_from_parts_checks_the_keys() -> None:
    ca = make_ca()
    parts: dict[str, Any] = {
        "root": ca.root_certificate,
        "intermediate": ca.intermediate_certificate,
        "state": CaState(domain="example.org"),
    }
    assert code_of(DomainCA, intermediate_key=AGENT_KEY, **parts) is Code.KEY_INVALID
    assert code_of(DomainCA, intermediate_key=INTER_KEY, root_key=AGENT_KEY, **parts) is (
        Code.KEY_INVALID
    )
    assert DomainCA(intermediate_key=INTER_KEY, **parts).state.domain == "example.org"


def test_trust_bundle_holds_the_root_only() -> None:  # [IDN-CA-002]
    ca = make_ca()
    bundle = load_certificates(ca.trust_bundle_pem())
    assert [certificate_der(c) for c in bundle] == [certificate_der(ca.root_certificate)]
    assert load_certificates(ca.chain_pem())[0] == ca.intermediate_certificate


def test_creation_is_deterministic() -> None:
    a, b = make_ca(), make_ca()
    assert a.to_pem_bundle() == b.to_pem_bundle()
    assert certificate_der(issue(a)) == certificate_der(issue(b))


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"domain": "not a domain"}, Code.INVALID_PARAMS),
        ({"domain": ""}, Code.INVALID_PARAMS),
        ({"root_serial": 0}, Code.SERIAL_INVALID),
        ({"intermediate_serial": 1}, Code.SERIAL_INVALID),
        ({"intermediate_serial": 2**159}, Code.SERIAL_INVALID),
        ({"root_validity_days": 100, "intermediate_validity_days": 101}, Code.VALIDITY_INVALID),
        ({"intermediate_validity_days": 0}, Code.VALIDITY_INVALID),
        ({"max_validity_days": 0}, Code.INVALID_PARAMS),
        ({"renewal_window_days": -1}, Code.INVALID_PARAMS),
        ({"intermediate_key": ROOT_KEY}, Code.KEY_INVALID),
    ],
)
def test_create_rejects(kw: dict[str, Any], code: Code) -> None:
    args: dict[str, Any] = {
        "domain": "example.org",
        "root_key": ROOT_KEY,
        "intermediate_key": INTER_KEY,
        "now": NOW,
        "root_serial": 1,
        "intermediate_serial": 2,
    }
    args.update(kw)
    assert code_of(DomainCA.create, **args) is code


def test_domain_is_lower_cased() -> None:
    ca = DomainCA.create(
        "Example.ORG", ROOT_KEY, INTER_KEY, NOW, root_serial=1, intermediate_serial=2
    )
    assert ca.state.domain == "example.org"


# --- issuing -------------------------------------------------------------------------------


def test_issue_records_the_certificate() -> None:
    ca = make_ca()
    cert = issue(ca, serial=10, dns=["a.example.org"], ips=["192.0.2.1"])
    record = ca.state.record(10)
    assert record is not None
    assert record.der == certificate_der(cert)
    assert record.info.dns == ("a.example.org",)
    assert record.predecessor is None
    assert ca.state.record(11) is None


def test_issue_rejects() -> None:  # [IDN-CRT-011]
    ca = make_ca()
    issue(ca, serial=10)
    assert code_of(issue, ca, serial=10) is Code.SERIAL_INVALID  # [IDN-CRT-009]
    assert code_of(issue, ca, serial=0) is Code.SERIAL_INVALID
    assert code_of(issue, ca, serial=2**159) is Code.SERIAL_INVALID
    assert code_of(issue, ca, serial=True) is Code.SERIAL_INVALID
    assert code_of(issue, ca, serial=11, validity_days=0) is Code.VALIDITY_INVALID
    assert code_of(issue, ca, serial=11, validity_days=1826) is Code.VALIDITY_INVALID
    assert code_of(issue, ca, serial=11, validity_days=2.5) is Code.VALIDITY_INVALID
    late = NOW + days(1800)  # 49 days would pass the intermediate's notAfter [IDN-CA-007]
    assert code_of(issue, ca, serial=11, when=late) is Code.VALIDITY_INVALID
    early = NOW - days(1)
    assert code_of(issue, ca, serial=11, when=early) is Code.VALIDITY_INVALID
    assert code_of(issue, ca, serial=11, key=INTER_KEY) is Code.KEY_INVALID  # [IDN-CA-008]
    assert code_of(issue, ca, serial=11, key=ROOT_KEY) is Code.KEY_INVALID
    assert code_of(issue, ca, serial=11, dns=["*.x.org"]) is Code.CERTIFICATE_PROFILE_INVALID
    assert code_of(issue, ca, serial=11, ips=["1.2.3"]) is Code.CERTIFICATE_PROFILE_INVALID
    assert code_of(ca.issue, AIC, AGENT_KEY.verify_key, "clientAuth", NOW, 11) is (
        Code.INVALID_PARAMS
    )
    with pytest.raises(AicError):
        ca.issue("1.2.3", AGENT_KEY.verify_key, Usage.CLIENT, NOW, 11)
    with pytest.raises(ValueError, match="timezone"):
        ca.issue(AIC, AGENT_KEY.verify_key, Usage.CLIENT, NOW.replace(tzinfo=None), 11)
    assert sorted(ca.state.issued) == [10]


def test_max_validity_setting() -> None:
    ca = make_ca(max_validity_days=90)
    assert issue(ca, validity_days=90).not_valid_after_utc == NOW + days(90)
    assert code_of(issue, ca, serial=11, validity_days=91) is Code.VALIDITY_INVALID


# --- revocation ----------------------------------------------------------------------------


def test_revoke_by_serial_certificate_or_pem() -> None:  # [IDN-REV-001]
    ca = make_ca()
    certs = [issue(ca, serial=s) for s in (10, 11, 12)]
    e1 = ca.revoke(10, RevocationReason.KEY_COMPROMISE, NOW + timedelta(hours=1, microseconds=9))
    assert e1 == RevocationEntry(10, NOW + timedelta(hours=1), RevocationReason.KEY_COMPROMISE)
    ca.revoke(certs[1], 3, NOW)
    ca.revoke(certificate_pem(certs[2]), 0, NOW)
    assert {s: e.reason for s, e in ca.state.revoked.items()} == {10: 1, 11: 3, 12: 0}
    assert ca.state.revocation(11) == RevocationEntry(11, NOW, RevocationReason.AFFILIATION_CHANGED)


def test_revoke_rejects() -> None:
    ca = make_ca()
    cert = issue(ca, serial=10)
    ca.revoke(cert, 1, NOW)
    assert code_of(ca.revoke, cert, 4, NOW) is Code.ALREADY_REVOKED  # [IDN-REV-003]
    assert code_of(ca.revoke, 10, 1, NOW) is Code.ALREADY_REVOKED
    assert ca.state.revoked[10].reason is RevocationReason.KEY_COMPROMISE
    assert code_of(ca.revoke, 99, 1, NOW) is Code.ISSUER_MISMATCH
    foreign = issue(make_ca(other=True), serial=10)
    issue(ca, serial=11)
    same_serial = issue(make_ca(other=True), serial=11)
    assert code_of(ca.revoke, foreign, 1, NOW) is Code.ISSUER_MISMATCH  # same serial as 10
    assert code_of(ca.revoke, same_serial, 1, NOW) is Code.ISSUER_MISMATCH
    assert code_of(ca.revoke, 11, 6, NOW) is Code.INVALID_PARAMS  # [IDN-REV-002]
    assert code_of(ca.revoke, 11, -1, NOW) is Code.INVALID_PARAMS
    assert code_of(ca.revoke, b"garbage", 1, NOW) is Code.CERTIFICATE_MALFORMED


def test_revocation_list_contents() -> None:  # [IDN-REV-004] [IDN-REV-005]
    ca = make_ca()
    for serial in (12, 10, 11):
        issue(ca, serial=serial)
    issue(ca, serial=13, validity_days=1)
    ca.revoke(12, RevocationReason.SUPERSEDED, NOW)
    ca.revoke(10, RevocationReason.UNSPECIFIED, NOW)
    ca.revoke(13, RevocationReason.KEY_COMPROMISE, NOW)
    when = NOW + days(2)
    pem = ca.revocation_list(when + timedelta(microseconds=7))
    crl = x509.load_pem_x509_crl(pem)
    assert [r.serial_number for r in crl] == [10, 12]  # 13 expired, order by serial
    assert len(crl[0].extensions) == 0  # unspecified: no reasonCode
    reason = crl[1].extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason is x509.ReasonFlags.superseded
    assert crl.last_update_utc == when
    assert crl.next_update_utc == when + days(1)
    assert crl.issuer == ca.intermediate_certificate.subject
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 1
    second = x509.load_pem_x509_crl(ca.revocation_list(when, timedelta(hours=1)))
    assert second.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2
    assert second.next_update_utc == when + timedelta(hours=1)
    assert ca.state.crl_number == 2
    assert code_of(ca.revocation_list, when, timedelta(0)) is Code.INVALID_PARAMS
    listed = verify_crl(pem, ca.intermediate_certificate, when)
    assert listed.reason_for(10) is RevocationReason.UNSPECIFIED
    assert listed.reason_for(12) is RevocationReason.SUPERSEDED
    assert listed.reason_for(11) is None
    assert listed.number == 1
    assert listed.issuer_key == INTER_KEY.verify_key
    assert listed.der == crl.public_bytes(Encoding.DER)


def _raw_crl(
    ca: DomainCA,
    *,
    number: bool = True,
    reason: x509.ReasonFlags | None = None,
    twice: bool = False,
    key: SigningKey = INTER_KEY,
) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.intermediate_certificate.subject)
        .last_update(NOW)
    )
    builder = builder.next_update(NOW + days(1))  # cryptography cannot omit it
    if number:
        builder = builder.add_extension(x509.CRLNumber(1), critical=False)
    entry = x509.RevokedCertificateBuilder().serial_number(10).revocation_date(NOW)
    if reason is not None:
        entry = entry.add_extension(x509.CRLReason(reason), critical=False)
    builder = builder.add_revoked_certificate(entry.build())
    if twice:
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(key.to_cryptography(), None).public_bytes(Encoding.PEM)


def test_verify_crl_rejects() -> None:  # [IDN-REV-006] [IDN-REV-007]
    ca = make_ca()
    other = make_ca(other=True)
    inter = ca.intermediate_certificate
    pem = ca.revocation_list(NOW)
    bad = Code.REVOCATION_LIST_INVALID
    der = x509.load_pem_x509_crl(pem).public_bytes(Encoding.DER)
    assert verify_crl(der, inter, NOW).number == 1
    assert verify_crl(pem.decode(), inter, NOW + days(1)).number == 1
    assert code_of(verify_crl, der[:-1] + bytes([der[-1] ^ 1]), inter, NOW) is bad
    unused_bits = der[:-65] + b"\x01" + der[-64:]
    assert code_of(verify_crl, unused_bits, inter, NOW) is bad
    assert code_of(verify_crl, b"junk", inter, NOW) is bad
    assert code_of(verify_crl, pem + pem, inter, NOW) is bad
    assert code_of(verify_crl, 5, inter, NOW) is bad
    assert code_of(verify_crl, pem, ca.root_certificate, NOW) is bad
    assert code_of(verify_crl, pem, other.intermediate_certificate, NOW) is bad
    assert code_of(verify_crl, pem, issue(ca), NOW) is bad  # a leaf may not sign lists
    assert code_of(verify_crl, pem, inter, NOW + days(1) + timedelta(seconds=1)) is bad
    assert code_of(verify_crl, pem, inter, NOW - timedelta(seconds=1)) is bad
    assert verify_crl(_raw_crl(ca), inter, NOW).reason_for(10) is RevocationReason.UNSPECIFIED
    assert code_of(verify_crl, _raw_crl(ca, number=False), inter, NOW) is bad
    hold = _raw_crl(ca, reason=x509.ReasonFlags.certificate_hold)
    assert code_of(verify_crl, hold, inter, NOW) is bad
    assert code_of(verify_crl, _raw_crl(ca, twice=True), inter, NOW) is bad
    assert code_of(verify_crl, _raw_crl(ca, key=ROOT_KEY), inter, NOW) is bad


def test_build_crl_rejects_an_empty_period() -> None:
    ca = make_ca()
    with pytest.raises(ValueError, match="nextUpdate"):
        build_crl(
            issuer=ca.intermediate_certificate,
            issuer_key=INTER_KEY,
            entries=[],
            number=1,
            this_update=NOW,
            next_update=NOW,
        )


# --- renewal and rotation ------------------------------------------------------------------

DUE = NOW + days(29)  # 20 days before the default notAfter


def test_renewal_with_the_same_key() -> None:  # [IDN-REN-004] [IDN-REN-005]
    ca = make_ca()
    current = issue(ca, serial=10, usage=Usage.SERVER, dns=["a.example.org"])
    new = ca.renew(current, build_csr(AGENT_KEY, AIC), DUE, 20)
    info = inspect_agent_certificate(new)
    assert (info.aic, info.usage, info.key, info.dns) == (
        AIC,
        Usage.SERVER,
        AGENT_KEY.verify_key,
        ("a.example.org",),
    )
    assert info.not_after == DUE + days(49)
    assert ca.state.revocation(10) is None  # both stay valid
    record = ca.state.record(20)
    assert record is not None
    assert record.predecessor == 10
    validate_chain(
        new, [ca.intermediate_certificate], [ca.root_certificate], now=DUE, usage=Usage.SERVER
    )


def test_renewal_window() -> None:  # [IDN-REN-001]
    ca = make_ca()
    current = issue(ca, serial=10)
    csr = build_csr(AGENT_KEY, AIC)
    edge = NOW + days(19)  # exactly 30 days left
    assert code_of(ca.renew, current, csr, edge, 20) is Code.RENEWAL_NOT_DUE
    opened = edge + timedelta(seconds=1)
    renewed = ca.renew(current, csr, opened, 20)
    assert renewed.serial_number == 20
    assert ca.renew(renewed, csr, opened, 21, force=True).serial_number == 21
    # [IDN-REN-011] the older certificate has a successor: the same request gets it again...
    assert ca.renew(current, csr, opened, 22, force=True).serial_number == 20
    assert 22 not in ca.state.issued
    # ...and [IDN-REN-006] a request for another key cannot branch the lineage
    assert code_of(ca.renew, current, build_csr(NEW_KEY, AIC), opened, 22, force=True) is (
        Code.CERTIFICATE_SUPERSEDED
    )
    wide = make_ca(renewal_window_days=60)
    assert wide.renew(issue(wide, serial=10), csr, NOW, 20).serial_number == 20


def test_renewal_rejects() -> None:  # [IDN-REN-002] [IDN-REN-003]
    ca = make_ca()
    current = issue(ca, serial=10)
    csr = build_csr(AGENT_KEY, AIC)
    assert code_of(ca.renew, b"junk", csr, DUE, 20) is Code.CERTIFICATE_MALFORMED
    foreign = issue(make_ca(other=True), serial=10)
    assert code_of(ca.renew, foreign, csr, DUE, 20) is Code.ISSUER_MISMATCH  # [IDN-REN-002]
    late = NOW + days(49) + timedelta(seconds=1)
    assert code_of(ca.renew, current, csr, late, 20) is Code.CERTIFICATE_EXPIRED
    assert code_of(ca.renew, current, csr, NOW - days(1), 20, force=True) is (
        Code.CERTIFICATE_NOT_YET_VALID
    )
    assert code_of(ca.renew, current, build_csr(AGENT_KEY, OTHER_AIC), DUE, 20) is (
        Code.ENROLLMENT_AIC_MISMATCH
    )
    assert code_of(ca.renew, current, b"junk", DUE, 20) is Code.CSR_INVALID
    signature = sign_rotation(AGENT_KEY, certificate_der(current), csr)
    assert code_of(ca.renew, current, csr, DUE, 20, rotation_signature=signature) is (
        Code.ROTATION_PROOF_INVALID
    )  # same key: no rotation signature allowed
    assert code_of(ca.renew, current, csr, DUE, 10) is Code.SERIAL_INVALID
    assert code_of(ca.renew, current, csr, DUE, 20, validity_days=0) is Code.VALIDITY_INVALID
    ca.revoke(current, 1, NOW)
    assert code_of(ca.renew, current, csr, NOW, 20) is Code.CERTIFICATE_REVOKED  # before due
    assert sorted(ca.state.issued) == [10]


def test_key_rotation() -> None:  # [IDN-ROT-001] [IDN-ROT-003]
    ca = make_ca()
    current = issue(ca, serial=10)
    csr = build_csr(NEW_KEY, AIC)
    der = certificate_der(current)
    assert code_of(ca.renew, current, csr, DUE, 20) is Code.ROTATION_PROOF_INVALID
    by_new = sign_rotation(NEW_KEY, der, csr)
    assert code_of(ca.renew, current, csr, DUE, 20, rotation_signature=by_new) is (
        Code.ROTATION_PROOF_INVALID
    )
    other_cert = sign_rotation(AGENT_KEY, certificate_der(ca.root_certificate), csr)
    assert code_of(ca.renew, current, csr, DUE, 20, rotation_signature=other_cert) is (
        Code.ROTATION_PROOF_INVALID
    )
    assert code_of(ca.renew, current, csr, DUE, 20, rotation_signature=b"short") is (
        Code.ROTATION_PROOF_INVALID
    )
    assert ca.state.revocation(10) is None  # failures change nothing
    good = sign_rotation(AGENT_KEY, der, csr)
    new = ca.renew(current, csr, DUE, 20, rotation_signature=good)
    assert inspect_agent_certificate(new).key == NEW_KEY.verify_key
    assert ca.state.revocation(10) == RevocationEntry(10, DUE, RevocationReason.SUPERSEDED)
    # the same rotation again gets the same certificate [IDN-REN-011]; the superseded
    # certificate can be neither renewed over its old key nor rotated to another one
    assert ca.renew(current, csr, DUE, 21, rotation_signature=good) == new
    assert code_of(ca.renew, current, build_csr(AGENT_KEY, AIC), DUE, 21) is (
        Code.CERTIFICATE_REVOKED
    )
    to_ca_key = build_csr(INTER_KEY, AIC)
    sig = sign_rotation(NEW_KEY, certificate_der(new), to_ca_key)
    assert code_of(ca.renew, new, to_ca_key, DUE + days(30), 21, rotation_signature=sig) is (
        Code.KEY_INVALID
    )


# --- state and key bundle ------------------------------------------------------------------


def test_state_round_trip_through_json() -> None:
    ca = make_ca()
    issue(ca, serial=2**158 + 5)
    current = issue(ca, serial=10)
    ca.renew(current, build_csr(AGENT_KEY, AIC), DUE, 20)
    ca.revoke(10, 5, NOW)
    ca.issue_token(AIC, bytes(range(32)), NOW)
    ca.revocation_list(NOW)
    data = json.loads(json.dumps(ca.state.to_dict()))
    assert data["issued"][0]["serial"] == "a"
    restored = CaState.from_dict(data)
    assert restored.to_dict() == ca.state.to_dict()
    assert restored.crl_number == 1
    assert restored.issued[20].predecessor == 10
    assert bytes(range(32)).hex() not in json.dumps(data)  # [IDN-ENR-002]


@pytest.mark.parametrize(
    "change",
    [
        {"format": "other"},
        {"issued": [{"serial": "1", "der": "AAAA", "predecessor": None}]},
        {"revoked": [{"serial": "a", "revoked_at": "2026-11-21T10:00:00Z", "reason": 9}]},
        {"crl_number": None},
        {"tokens": [{"token_id": "x"}]},
    ],
)
def test_state_from_dict_rejects(change: dict[str, Any]) -> None:
    data = make_ca().state.to_dict()
    data.update(change)
    assert code_of(CaState.from_dict, data) is Code.INVALID_PARAMS
    assert code_of(CaState.from_dict, {}) is Code.INVALID_PARAMS


def test_state_from_dict_checks_serials() -> None:
    ca = make_ca()
    issue(ca, serial=10)
    data = ca.state.to_dict()
    data["issued"][0]["serial"] = "b"
    assert code_of(CaState.from_dict, data) is Code.INVALID_PARAMS


def test_pem_bundle_round_trip() -> None:
    ca = make_ca()
    issue(ca, serial=10)
    bundle = ca.to_pem_bundle()
    assert bundle.count(b"BEGIN PRIVATE KEY") == 2
    again = DomainCA.from_pem_bundle(bundle, ca.state)
    assert again.to_pem_bundle() == bundle
    assert certificate_der(issue(again, serial=11)) == certificate_der(issue(make_ca(), serial=11))
    offline = DomainCA.from_pem_bundle(ca.to_pem_bundle(include_root_key=False))
    assert offline.to_pem_bundle().count(b"BEGIN PRIVATE KEY") == 1
    assert offline.state.domain == "example.org"
    assert offline.state.issued == {}


def test_pem_bundle_rejects() -> None:
    ca = make_ca()
    root_pem = certificate_pem(ca.root_certificate)
    inter_pem = certificate_pem(ca.intermediate_certificate)
    inter_key = signing_key_to_pem(INTER_KEY)
    root_key = signing_key_to_pem(ROOT_KEY)
    stray = signing_key_to_pem(AGENT_KEY)
    cases = [
        (root_pem + inter_key, Code.CERTIFICATE_MALFORMED),
        (root_pem + inter_pem, Code.KEY_INVALID),
        (root_pem + inter_pem + root_key, Code.KEY_INVALID),
        (root_pem + inter_pem + inter_key + root_key + stray, Code.KEY_INVALID),
        (root_pem + inter_pem + inter_key + stray, Code.KEY_INVALID),
        (inter_pem + root_pem + root_key + inter_key, Code.CERTIFICATE_CHAIN_INVALID),
    ]
    for bundle, code in cases:
        assert code_of(DomainCA.from_pem_bundle, bundle) is code
    assert code_of(DomainCA.from_pem_bundle, ca.to_pem_bundle(), CaState(domain="other.org")) is (
        Code.INVALID_PARAMS
    )
