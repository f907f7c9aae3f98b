"""Attacks found in review, kept as regression tests (spec/06-identity-pki.md).

Each test builds a hostile certificate, list or request with cryptography's raw builders, signed
by the real CA keys where the attack needs it, and checks the exact refusal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from aip.errors import Code
from aip.identity.certificates import Usage, certificate_der, inspect_agent_certificate
from aip.identity.chain import MAX_INTERMEDIATES, validate_chain
from aip.identity.enrollment import build_csr, sign_rotation
from aip.identity.keys import SigningKey
from aip.identity.revocation import verify_crl
from tests.helpers import code_of
from tests.pki_helpers import AGENT_KEY, AIC, INTER_KEY, NEW_KEY, NOW, ROOT_KEY, days, issue
from tests.pki_helpers import make_ca as _make_ca

CA = _make_ca()
LEAF = issue(CA)
INTER = CA.intermediate_certificate
ROOT = CA.root_certificate
DAY1 = NOW + days(1)
PRIVATE_OID = ObjectIdentifier("1.3.6.1.4.1.55555.1")




def check(leaf: Any, inters: Sequence[Any] = (), **kw: Any) -> Any:
    return validate_chain(
        leaf,
        list(inters) or [INTER],
        [ROOT],
        now=kw.pop("now", DAY1),
        usage=kw.pop("usage", Usage.CLIENT),
        **kw,
    )


def reissue(
    cert: x509.Certificate,
    signer: SigningKey,
    *,
    drop: tuple[type[x509.ExtensionType], ...] = (),
    add: Sequence[tuple[x509.ExtensionType, bool]] = (),
) -> x509.Certificate:
    """``cert`` with extensions dropped or added, re-signed by ``signer``."""
    builder = x509.CertificateBuilder(
        issuer_name=cert.issuer,
        subject_name=cert.subject,
        public_key=cert.public_key(),
        serial_number=cert.serial_number,
        not_valid_before=cert.not_valid_before_utc,
        not_valid_after=cert.not_valid_after_utc,
        extensions=[e for e in cert.extensions if not isinstance(e.value, drop)],
    )
    for value, critical in add:
        builder = builder.add_extension(value, critical=critical)
    return builder.sign(signer.to_cryptography(), algorithm=None)


# --- finding: unknown critical extensions were ignored ----------------------------------------


def test_leaf_with_unknown_critical_extension_is_refused() -> None:  # [IDN-CRT-006]
    odd = x509.UnrecognizedExtension(PRIVATE_OID, b"\x05\x00")
    bad = reissue(LEAF, INTER_KEY, add=[(odd, True)])
    assert code_of(inspect_agent_certificate, bad) is Code.CERTIFICATE_PROFILE_INVALID
    fine = reissue(LEAF, INTER_KEY, add=[(odd, False)])  # non-critical: may be ignored
    assert check(fine).aic == AIC


def test_intermediate_with_constraints_we_do_not_process_is_refused() -> None:  # [IDN-CA-003]
    excluded = x509.NameConstraints(
        permitted_subtrees=None,
        excluded_subtrees=[x509.DirectoryName(x509.Name([]))],
    )
    policy = x509.PolicyConstraints(require_explicit_policy=0, inhibit_policy_mapping=None)
    for ext in (excluded, policy, x509.UnrecognizedExtension(PRIVATE_OID, b"\x05\x00")):
        inter = reissue(INTER, ROOT_KEY, add=[(ext, True)])
        assert code_of(check, LEAF, [inter]) is Code.CERTIFICATE_CHAIN_INVALID, ext


def test_intermediate_eku_must_allow_the_leaf_usage() -> None:  # [IDN-CA-003]
    signing = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING])
    inter = reissue(INTER, ROOT_KEY, add=[(signing, False)])
    assert code_of(check, LEAF, [inter]) is Code.CERTIFICATE_CHAIN_INVALID
    client = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    assert check(LEAF, [reissue(INTER, ROOT_KEY, add=[(client, False)])]).aic == AIC


# --- finding: intermediate keyUsage was only partly checked ------------------------------------


def test_intermediate_key_usage_must_be_critical_with_both_bits() -> None:  # [IDN-CA-003]
    ku = INTER.extensions.get_extension_for_class(x509.KeyUsage).value
    non_critical = reissue(INTER, ROOT_KEY, drop=(x509.KeyUsage,), add=[(ku, False)])
    assert code_of(check, LEAF, [non_critical]) is Code.CERTIFICATE_CHAIN_INVALID
    no_crl_sign = x509.KeyUsage(False, False, False, False, False, True, False, False, False)
    without = reissue(INTER, ROOT_KEY, drop=(x509.KeyUsage,), add=[(no_crl_sign, True)])
    assert code_of(check, LEAF, [without]) is Code.CERTIFICATE_CHAIN_INVALID
    assert check(LEAF, [reissue(INTER, ROOT_KEY)]).aic == AIC  # the control re-issue passes


# --- finding: the signed algorithm identifier was not compared ---------------------------------


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def test_inner_algorithm_must_be_ed25519() -> None:  # [IDN-CA-006]
    ed25519 = bytes.fromhex("300506032b6570")
    ecdsa_sha256 = bytes.fromhex("300a06082a8648ce3d040302")
    tbs = LEAF.tbs_certificate_bytes
    header = 2 if tbs[1] < 0x80 else 2 + (tbs[1] & 0x7F)
    body = tbs[header:]
    assert ed25519 in body
    forged_tbs = _der(0x30, body.replace(ed25519, ecdsa_sha256, 1))
    signature = INTER_KEY.sign(forged_tbs)
    forged = _der(0x30, forged_tbs + ed25519 + _der(0x03, b"\x00" + signature))
    assert code_of(check, forged) is Code.CERTIFICATE_CHAIN_INVALID
    # the same construction with the honest identifier is the honest certificate
    honest_tbs = _der(0x30, body)
    honest = _der(0x30, honest_tbs + ed25519 + _der(0x03, b"\x00" + INTER_KEY.sign(honest_tbs)))
    assert honest == certificate_der(LEAF)


# --- finding: a peer could make path building arbitrarily slow ---------------------------------


def test_intermediate_count_is_bounded() -> None:  # [IDN-CA-005]
    assert check(LEAF, [INTER] * MAX_INTERMEDIATES).aic == AIC
    assert code_of(check, LEAF, [INTER] * (MAX_INTERMEDIATES + 1)) is (
        Code.CERTIFICATE_CHAIN_INVALID
    )


# --- finding: delta, partial and critically extended revocation lists --------------------------


def _crl(*extensions: tuple[x509.ExtensionType, bool], entry_critical: bool = False) -> bytes:
    ski = INTER.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    entry = x509.RevokedCertificateBuilder().serial_number(99).revocation_date(NOW)
    if entry_critical:
        entry = entry.add_extension(x509.UnrecognizedExtension(PRIVATE_OID, b"\x05\x00"), True)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(INTER.subject)
        .last_update(NOW)
        .next_update(NOW + timedelta(days=1))
        .add_extension(x509.CRLNumber(7), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
        .add_revoked_certificate(entry.build())
    )
    for value, critical in extensions:
        builder = builder.add_extension(value, critical=critical)
    return builder.sign(INTER_KEY.to_cryptography(), algorithm=None).public_bytes(Encoding.PEM)


def test_only_complete_lists_are_accepted() -> None:  # [IDN-REV-006]
    now = NOW + timedelta(hours=1)
    assert verify_crl(_crl(), INTER, now).number == 7  # the control list passes
    idp = x509.IssuingDistributionPoint(
        full_name=None,
        relative_name=None,
        only_contains_user_certs=False,
        only_contains_ca_certs=True,
        only_some_reasons=None,
        indirect_crl=False,
        only_contains_attribute_certs=False,
    )
    for ext, critical in (
        (x509.DeltaCRLIndicator(6), True),
        (x509.DeltaCRLIndicator(6), False),
        (idp, True),
        (x509.UnrecognizedExtension(PRIVATE_OID, b"\x05\x00"), True),
    ):
        assert code_of(verify_crl, _crl((ext, critical)), INTER, now) is (
            Code.REVOCATION_LIST_INVALID
        ), ext
    assert code_of(verify_crl, _crl(entry_critical=True), INTER, now) is (
        Code.REVOCATION_LIST_INVALID
    )


def test_an_older_list_than_one_seen_is_refused() -> None:  # [IDN-REV-009]
    now = NOW + timedelta(hours=1)
    assert verify_crl(_crl(), INTER, now, min_number=7).number == 7
    assert code_of(verify_crl, _crl(), INTER, now, min_number=8) is Code.REVOCATION_LIST_INVALID


# --- finding: rotation left the old key alive through renewed predecessors ---------------------


def test_rotation_retires_the_old_key_for_the_whole_lineage() -> None:  # [IDN-ROT-003]
    ca = _make_ca()
    first = issue(ca, serial=10)
    due = NOW + days(20)
    second = ca.renew(first, build_csr(AGENT_KEY, AIC), due, 11)  # same key: first stays valid
    assert 10 not in ca.state.revoked
    new_csr = build_csr(NEW_KEY, AIC)
    rotation = sign_rotation(AGENT_KEY, certificate_der(second), new_csr)
    third = ca.renew(second, new_csr, due + days(1), 12, rotation_signature=rotation, force=True)
    assert {10, 11} <= set(ca.state.revoked)  # both certificates over the old key
    assert 12 not in ca.state.revoked
    # the old key cannot start a second branch from the first certificate
    later = due + days(1) + timedelta(hours=1)
    assert code_of(ca.renew, first, build_csr(AGENT_KEY, AIC), later, 13, force=True) in (
        Code.CERTIFICATE_REVOKED,
        Code.CERTIFICATE_SUPERSEDED,
    )
    crl = verify_crl(ca.revocation_list(later), ca.intermediate_certificate, later)
    for old in (first, second):
        assert (
            code_of(
                validate_chain,
                old,
                [ca.intermediate_certificate],
                [ca.root_certificate],
                now=later,
                usage=Usage.CLIENT,
                revocation=crl,
            )
            is Code.CERTIFICATE_REVOKED
        )
    assert (
        validate_chain(
            third,
            [ca.intermediate_certificate],
            [ca.root_certificate],
            now=later,
            usage=Usage.CLIENT,
            revocation=crl,
        ).key
        == NEW_KEY.verify_key
    )


def test_a_superseded_certificate_cannot_branch() -> None:  # [IDN-REN-006]
    ca = _make_ca()
    first = issue(ca, serial=10)
    due = NOW + days(20)
    ca.renew(first, build_csr(AGENT_KEY, AIC), due, 11)
    # the same request again gets the same successor [IDN-REN-011]: no second branch
    assert ca.renew(first, build_csr(AGENT_KEY, AIC), due, 12).serial_number == 11
    assert 12 not in ca.state.issued
    new_csr = build_csr(NEW_KEY, AIC)
    rotation = sign_rotation(AGENT_KEY, certificate_der(first), new_csr)
    assert code_of(ca.renew, first, new_csr, due, 12, rotation_signature=rotation) is (
        Code.CERTIFICATE_SUPERSEDED
    )


def test_validated_agent_names_its_trust_anchor() -> None:
    other = _make_ca(other=True)
    foreign = issue(other, serial=10)
    roots = [ROOT, other.root_certificate]
    mine = validate_chain(LEAF, [INTER], roots, now=DAY1, usage=Usage.CLIENT)
    theirs = validate_chain(
        foreign, [other.intermediate_certificate], roots, now=DAY1, usage=Usage.CLIENT
    )
    assert mine.root_fingerprint == hashlib.sha256(certificate_der(ROOT)).hexdigest()
    assert theirs.root_fingerprint != mine.root_fingerprint


# --- finding: non-registry exceptions on caller input ------------------------------------------


def test_caller_input_errors_carry_codes() -> None:
    ca = _make_ca()
    current = issue(ca, serial=10)
    assert code_of(ca.revoke, current, True, NOW) is Code.INVALID_PARAMS  # True is not 1
    assert code_of(ca.revoke, current, 1.0, NOW) is Code.INVALID_PARAMS
    assert code_of(issue, ca, serial=11, ips=[1]) is Code.CERTIFICATE_PROFILE_INVALID
    assert code_of(issue, ca, serial=11, dns="abc") is Code.CERTIFICATE_PROFILE_INVALID
    new_csr = build_csr(NEW_KEY, AIC)
    for bad in ("x" * 64, bytearray(64), 5):
        assert (
            code_of(ca.renew, current, new_csr, NOW + days(20), 11, rotation_signature=bad)
            is Code.ROTATION_PROOF_INVALID
        )
    token = ca.issue_token(AIC, bytes(range(32)), NOW)
    csr = build_csr(AGENT_KEY, AIC)
    assert code_of(ca.enroll, token, csr, NOW, None, [11]) is Code.INVALID_PARAMS
    assert code_of(ca.enroll, token, csr, NOW, [Usage.CLIENT], 11) is Code.SERIAL_INVALID
    assert code_of(validate_chain, LEAF, None, [ROOT], now=DAY1, usage=Usage.CLIENT) is (
        Code.CERTIFICATE_CHAIN_INVALID
    )
    assert code_of(type(ca).from_pem_bundle, ca.to_pem_bundle().decode()) is (
        Code.CERTIFICATE_MALFORMED
    )


def test_state_snapshot_must_be_consistent() -> None:
    from aip.identity.ca_state import CaState

    ca = _make_ca()
    issue(ca, serial=10)
    ca.revoke(10, 1, NOW)
    data = ca.state.to_dict()
    assert CaState.from_dict(data).revoked.keys() == {10}
    data["issued"] = []  # a revocation of a certificate the state does not know
    assert code_of(CaState.from_dict, data) is Code.INVALID_PARAMS


def test_dates_from_2050_use_generalized_time_and_validate() -> None:
    # RFC 5280 §4.1.2.5: UTCTime up to 2049, GeneralizedTime from 2050 on
    from aip.identity.ca import DomainCA

    start = NOW.replace(year=2049, month=12, day=1)
    ca = DomainCA.create(
        "example.org", ROOT_KEY, INTER_KEY, start, root_serial=1, intermediate_serial=2
    )
    leaf = ca.issue(AIC, AGENT_KEY.verify_key, Usage.CLIENT, start, 10)
    der = certificate_der(leaf)
    assert b"\x17\x0d491201" in der  # notBefore 2049-12-01 as UTCTime (tag 0x17)
    assert b"\x18\x0f20500119" in der  # notAfter 2050-01-19 as GeneralizedTime (tag 0x18)
    result = validate_chain(
        leaf,
        [ca.intermediate_certificate],
        [ca.root_certificate],
        now=start + days(49),
        usage=Usage.CLIENT,
    )
    assert result.not_after == start + days(49)
