"""Vector operations for the domain PKI (``spec/06-identity-pki.md``).

Every operation rebuilds a whole scene from its inputs, deterministically: Ed25519 keys from
``*_seed_hex``, serial numbers, times (RFC 3339 UTC).  Ed25519 signatures are deterministic, so a
fixed input gives fixed certificate bytes and the vectors can pin their SHA-256.

Common inputs: ``domain``, ``root_seed_hex``, ``intermediate_seed_hex``, ``root_serial``,
``intermediate_serial``, ``ca_time`` (creation and issue time), optionally
``root_validity_days``, ``intermediate_validity_days``, ``max_validity_days``,
``renewal_window_days``.  "The other CA" is the CA made from the same inputs with every seed
byte XOR 0xFF: same names, different keys.

Deliberately bad certificates are built with ``cryptography``'s raw builders here, never by the
CA, following the reference encoding of §6.1.1 and changing one thing per mutation.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from aip.errors import AipError
from aip.identity.ca import DomainCA
from aip.identity.ca_profile import build_ca_certificate
from aip.identity.certificates import (
    Usage,
    certificate_der,
    format_utc,
    inspect_agent_certificate,
    load_certificates,
    parse_utc,
)
from aip.identity.chain import validate_chain
from aip.identity.enrollment import build_csr, rotation_message
from aip.identity.keys import SigningKey
from aip.identity.revocation import verify_crl

__all__ = ["OPERATIONS"]

Op = Callable[[dict[str, Any]], dict[str, Any]]


def _t(text: str) -> datetime:
    return parse_utc(text)


def _seed(hex_text: str, other: bool = False) -> SigningKey:
    raw = bytes.fromhex(hex_text)
    return SigningKey(bytes(b ^ 0xFF for b in raw) if other else raw)


def _sha(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _ca(data: dict[str, Any], other: bool = False) -> DomainCA:
    return DomainCA.create(
        data["domain"],
        _seed(data["root_seed_hex"], other),
        _seed(data["intermediate_seed_hex"], other),
        _t(data["ca_time"]),
        root_serial=data["root_serial"],
        intermediate_serial=data["intermediate_serial"],
        root_validity_days=data.get("root_validity_days", 3650),
        intermediate_validity_days=data.get("intermediate_validity_days", 1825),
        max_validity_days=data.get("max_validity_days", 1825),
        renewal_window_days=data.get("renewal_window_days", 30),
    )


def _serial(data: dict[str, Any], name: str = "serial") -> int:
    if f"{name}_hex" in data:
        return int(data[f"{name}_hex"], 16)
    return int(data[name])


def _flip_last(der: bytes) -> bytes:
    """Flip one bit in the last byte: inside the signature value of a certificate or CRL."""
    return der[:-1] + bytes([der[-1] ^ 0x01])


# --- raw (mutated) certificates ------------------------------------------------------------


def _raw_leaf(
    ca: DomainCA,
    data: dict[str, Any],
    mutations: set[str],
    signer: SigningKey,
    signer_cert: x509.Certificate,
) -> x509.Certificate:
    """An agent certificate built by hand (§6.1.1), with ``mutations`` applied."""
    aic = data["aic"]
    usage = Usage(data["usage"])
    start = _t(data["ca_time"])
    end = start + timedelta(days=data.get("validity_days", 49))
    public: Any = _seed(data["agent_seed_hex"]).verify_key.to_cryptography()
    if "leaf_key_p256" in mutations:
        public = ec.derive_private_key(0x1234567, ec.SECP256R1()).public_key()
    cn = {"cn_not_aic": "agent.example.org", "cn_lowercase": aic.lower()}.get(
        next((m for m in mutations if m.startswith("cn_")), ""), aic
    )
    uris = [x509.UniformResourceIdentifier("acps://" + cn)]
    if "san_mismatch" in mutations:
        uris = [x509.UniformResourceIdentifier("acps://1.2.156.3088.1.1.34C2.478BDF.1.0000")]
    if "no_acps_uri" in mutations:
        uris = []
    if "two_acps_uris" in mutations:
        uris.append(x509.UniformResourceIdentifier("acps://" + cn))
    sans: list[x509.GeneralName] = [*uris]
    sans += [x509.DNSName(n) for n in data.get("dns", [])]
    sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in data.get("ips", [])]
    if "san_email" in mutations:
        sans.append(x509.RFC822Name("agent@example.org"))
    purposes = [usage.oid]
    if "both_ekus" in mutations:
        purposes = [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
    if "extra_eku" in mutations:
        purposes.append(ExtendedKeyUsageOID.CODE_SIGNING)
    issuer_ski = signer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski)
    if "aki_mismatch" in mutations:
        aki = x509.AuthorityKeyIdentifier(bytes(20), None, None)
    builder = (
        x509.CertificateBuilder()
        .serial_number(_serial(data))
        .issuer_name(signer_cert.subject)
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .not_valid_before(start)
        .not_valid_after(end)
        .public_key(public)
        .add_extension(x509.BasicConstraints("leaf_ca_true" in mutations, None), critical=True)
    )
    if "no_key_usage" not in mutations:
        builder = builder.add_extension(
            x509.KeyUsage(
                True,
                False,
                False,
                False,
                False,
                "leaf_keycertsign" in mutations,
                False,
                False,
                False,
            ),
            critical="ku_not_critical" not in mutations,
        )
    if "no_eku" not in mutations:
        builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
    builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(public), critical=False
    )
    if "no_aki" not in mutations:
        builder = builder.add_extension(aki, critical=False)
    return builder.sign(signer.to_cryptography(), algorithm=None)


_LEAF_MUTATIONS = {
    "both_ekus",
    "no_eku",
    "extra_eku",
    "cn_not_aic",
    "cn_lowercase",
    "san_mismatch",
    "no_acps_uri",
    "two_acps_uris",
    "san_email",
    "leaf_ca_true",
    "no_key_usage",
    "ku_not_critical",
    "leaf_keycertsign",
    "no_aki",
    "aki_mismatch",
    "leaf_key_p256",
    "leaf_by_root",
    "raw_leaf",
}


def _raw_intermediate(data: dict[str, Any], ca: DomainCA, mutations: set[str]) -> x509.Certificate:
    """The CA's intermediate rebuilt by the root key with one change (same key and name)."""
    inter = ca.intermediate_certificate
    start = inter.not_valid_before_utc
    end = inter.not_valid_after_utc
    if "intermediate_expired" in mutations:
        end = start + timedelta(days=10)
    path = None if "intermediate_pathlen_absent" in mutations else 0
    root_key = _seed(data["root_seed_hex"])
    cert = build_ca_certificate(
        subject=inter.subject,
        issuer=ca.root_certificate.subject,
        key=_seed(data["intermediate_seed_hex"]).verify_key,
        signer=root_key,
        serial=inter.serial_number,
        not_before=start,
        not_after=end,
        path_length=path,
        issuer_key=root_key.verify_key,
    )
    if "intermediate_not_ca" in mutations:
        builder = x509.CertificateBuilder(
            issuer_name=cert.issuer,
            subject_name=cert.subject,
            public_key=cert.public_key(),
            serial_number=cert.serial_number,
            not_valid_before=start,
            not_valid_after=end,
            extensions=[
                e
                if not isinstance(e.value, x509.BasicConstraints)
                else x509.Extension(e.oid, True, x509.BasicConstraints(False, None))
                for e in cert.extensions
            ],
        )
        cert = builder.sign(root_key.to_cryptography(), algorithm=None)
    return cert


def _raw_root(data: dict[str, Any], ca: DomainCA) -> x509.Certificate:
    """The CA's root rebuilt with pathLenConstraint 0 (same key and name)."""
    root = ca.root_certificate
    key = _seed(data["root_seed_hex"])
    return build_ca_certificate(
        subject=root.subject,
        issuer=root.subject,
        key=key.verify_key,
        signer=key,
        serial=root.serial_number,
        not_before=root.not_valid_before_utc,
        not_after=root.not_valid_after_utc,
        path_length=0,
        issuer_key=None,
    )


def issue_and_validate(data: dict[str, Any]) -> dict[str, Any]:
    """Issue (or hand-build) a leaf, then validate it at ``now`` for ``validate_usage``.

    Extra inputs: ``aic``, ``usage``, ``agent_seed_hex``, ``serial`` (or ``serial_hex``),
    ``validity_days``, ``dns``, ``ips``, ``now``, ``validate_usage`` (default ``usage``),
    ``mutations`` (see the module and the vector file), ``revoke_reason`` (revoke the leaf
    before the list is signed), ``revoke_other_serial``, ``crl_time``, ``crl_period_seconds``,
    ``crl_from_other_ca``.
    """
    mutations = set(data.get("mutations", []))
    ca = _ca(data)
    inter_key = _seed(data["intermediate_seed_hex"])
    if mutations & _LEAF_MUTATIONS:
        if "leaf_by_root" in mutations:
            leaf = _raw_leaf(ca, data, mutations, _seed(data["root_seed_hex"]), ca.root_certificate)
        else:
            leaf = _raw_leaf(ca, data, mutations, inter_key, ca.intermediate_certificate)
    else:
        agent = _seed(data["agent_seed_hex"])
        if "agent_key_is_intermediate" in mutations:
            agent = inter_key
        leaf = ca.issue(
            data["aic"],
            agent.verify_key,
            Usage(data["usage"]),
            _t(data["ca_time"]),
            _serial(data),
            validity_days=data.get("validity_days", 49),
            dns=data.get("dns", []),
            ips=data.get("ips", []),
        )
    leaf_der = certificate_der(leaf)
    presented: bytes = leaf_der
    if "tampered_signature" in mutations:
        presented = _flip_last(leaf_der)
    if "signature_unused_bits" in mutations:  # same signature bytes, other DER
        presented = leaf_der[:-65] + b"\x01" + leaf_der[-64:]
    if "truncated" in mutations:
        presented = leaf_der[:-10]
    inters: list[x509.Certificate] = [ca.intermediate_certificate]
    if mutations & {"intermediate_not_ca", "intermediate_expired", "intermediate_pathlen_absent"}:
        inters = [_raw_intermediate(data, ca, mutations)]
    if "missing_intermediate" in mutations:
        inters = []
    if "root_as_intermediate" in mutations:
        inters = [ca.root_certificate]
    roots = [ca.root_certificate]
    if "wrong_root" in mutations:
        roots = [_ca(data, other=True).root_certificate]
    if "root_pathlen_0" in mutations:
        roots = [_raw_root(data, ca)]
    now = _t(data["now"])
    revocation = None
    if "crl_time" in data:
        if "revoke_reason" in data:
            ca.revoke(leaf, data["revoke_reason"], _t(data["crl_time"]))
        if "revoke_other_serial" in data:
            agent = _seed(data["agent_seed_hex"])
            other = ca.issue(
                data["aic"],
                agent.verify_key,
                Usage(data["usage"]),
                _t(data["ca_time"]),
                data["revoke_other_serial"],
            )
            ca.revoke(other, 1, _t(data["crl_time"]))
        signer_ca = _ca(data, other=True) if data.get("crl_from_other_ca") else ca
        period = timedelta(seconds=data.get("crl_period_seconds", 86400))
        crl = signer_ca.revocation_list(_t(data["crl_time"]), period)
        revocation = verify_crl(crl, signer_ca.intermediate_certificate, now)
    result = validate_chain(
        presented,
        inters,
        roots,
        now=now,
        usage=Usage(data.get("validate_usage", data["usage"])),
        revocation=revocation,
    )
    info = inspect_agent_certificate(leaf)
    return {
        "aic": result.aic,
        "usage": str(result.usage),
        "dns": list(info.dns),
        "ips": list(info.ips),
        "serial_hex": format(result.serial, "x"),
        "not_after": format_utc(result.not_after),
        "key_hex": result.key.raw.hex(),
        "leaf_sha256": _sha(leaf_der),
        "root_sha256": _sha(certificate_der(ca.root_certificate)),
        "trust_bundle_sha256": [
            _sha(certificate_der(c)) for c in load_certificates(ca.trust_bundle_pem())
        ],
        "intermediate_sha256": _sha(certificate_der(ca.intermediate_certificate)),
    }


# --- enrollment -----------------------------------------------------------------------------


def _csr(data: dict[str, Any], prefix: str = "csr") -> bytes:
    """A CSR (DER) for ``<prefix>_cn`` by ``agent_seed_hex``, with ``<prefix>_mutation``."""
    mutation = data.get(f"{prefix}_mutation")
    cn = str(data.get(f"{prefix}_cn") or data.get("aic") or data["token_aic"])
    key = _seed(data.get(f"{prefix}_seed_hex", data["agent_seed_hex"]))
    if mutation == "garbage":
        return b"\x30\x03\x02\x01\x00"
    if mutation in ("p256", "two_cns", "no_cn"):
        names: list[x509.NameAttribute[str]] = {
            "two_cns": [x509.NameAttribute(NameOID.COMMON_NAME, cn)] * 2,
            "no_cn": [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "example.org")],
            "p256": [x509.NameAttribute(NameOID.COMMON_NAME, cn)],
        }[mutation]
        builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
        if mutation == "p256":
            ec_key = ec.derive_private_key(0x1234567, ec.SECP256R1())
            return builder.sign(ec_key, SHA256()).public_bytes(Encoding.DER)
        return builder.sign(key.to_cryptography(), None).public_bytes(Encoding.DER)
    pem = build_csr(key, cn) if mutation != "raw_cn" else _raw_cn_csr(key, cn)
    der = x509.load_pem_x509_csr(pem).public_bytes(Encoding.DER)
    return _flip_last(der) if mutation == "bad_signature" else der


def _raw_cn_csr(key: SigningKey, cn: str) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name)
    return csr.sign(key.to_cryptography(), None).public_bytes(Encoding.PEM)


def enroll(data: dict[str, Any]) -> dict[str, Any]:
    """Issue a token at ``token_issued_at``, then redeem it at ``now``.

    Extra inputs: ``token_aic``, ``token_secret_hex``, ``token_issued_at``,
    ``token_ttl_seconds`` (default 86400), ``token_text`` (redeem this text instead),
    ``agent_seed_hex``, ``csr_cn`` (default the token AIC), ``csr_mutation``, ``usages``,
    ``serials``, ``validity_days``, ``earlier`` (list of earlier redemption attempts at
    ``now``, each an object overriding ``now``, ``csr_cn``, ``csr_mutation``, ``usages`` or
    ``serials``; an attempt that fails is ignored, as its failure must not consume the token).
    """
    ca = _ca(data)
    ttl = timedelta(seconds=data.get("token_ttl_seconds", 86400))
    text = ca.issue_token(
        data["token_aic"],
        bytes.fromhex(data["token_secret_hex"]),
        _t(data["token_issued_at"]),
        ttl,
    )
    now = _t(data["now"])
    base = {k: v for k, v in data.items() if k != "csr_mutation"}
    for attempt in data.get("earlier", []):
        merged = {**base, **attempt}
        with contextlib.suppress(AipError):  # a failed attempt must not consume the token
            ca.enroll(
                text,
                _csr(merged),
                _t(merged["now"]),
                [Usage(u) for u in merged["usages"]],
                merged["serials"],
            )
    certs = ca.enroll(
        data.get("token_text", text),
        _csr(data),
        now,
        [Usage(u) for u in data["usages"]],
        data["serials"],
        validity_days=data.get("validity_days", 49),
    )
    return {
        "token": text,
        "token_id": hashlib.sha256(bytes.fromhex(data["token_secret_hex"])).hexdigest(),
        "aic": certs[0].subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value,
        "usages": [
            str(Usage.CLIENT if ExtendedKeyUsageOID.CLIENT_AUTH in _ekus(c) else Usage.SERVER)
            for c in certs
        ],
        "serials": [c.serial_number for c in certs],
        "leaf_sha256": [_sha(certificate_der(c)) for c in certs],
        "not_after": format_utc(certs[0].not_valid_after_utc),
    }


def _ekus(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


# --- revocation lists -----------------------------------------------------------------------


def crl(data: dict[str, Any]) -> dict[str, Any]:
    """Issue certificates, revoke some, sign lists, verify the last one.

    Extra inputs: ``agent_seed_hex``, ``aic``, ``issue`` (list of {serial, usage,
    validity_days?}), ``revoke`` (list of {serial, reason, at, by?}; ``by`` "certificate" revokes
    by DER, "other_ca_certificate" presents a certificate of the other CA with that serial),
    ``crl_time``, ``crl_period_seconds`` (default 86400), ``earlier_crls`` (lists signed before),
    ``verify_time``, ``verify_against`` ("intermediate", "root", "other_intermediate"),
    ``crl_mutation`` ("tampered_signature", "garbage"), ``query_serial``.
    """
    ca = _ca(data)
    other = _ca(data, other=True)
    agent = _seed(data["agent_seed_hex"])
    certs: dict[int, x509.Certificate] = {}
    for item in data.get("issue", []):
        certs[item["serial"]] = ca.issue(
            data["aic"],
            agent.verify_key,
            Usage(item["usage"]),
            _t(data["ca_time"]),
            item["serial"],
            validity_days=item.get("validity_days", 49),
        )
    for item in data.get("revoke", []):
        target: x509.Certificate | int = item["serial"]
        if item.get("by") == "certificate":
            target = certs[item["serial"]]
        elif item.get("by") == "other_ca_certificate":
            target = other.issue(
                data["aic"], agent.verify_key, Usage.CLIENT, _t(data["ca_time"]), item["serial"]
            )
        ca.revoke(target, item["reason"], _t(item["at"]))
    period = timedelta(seconds=data.get("crl_period_seconds", 86400))
    for when in data.get("earlier_crls", []):
        ca.revocation_list(_t(when), period)
    pem = ca.revocation_list(_t(data["crl_time"]), period)
    mutation = data.get("crl_mutation")
    blob: bytes = pem
    if mutation == "tampered_signature":
        blob = _flip_last(x509.load_pem_x509_crl(pem).public_bytes(Encoding.DER))
    elif mutation == "garbage":
        blob = b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"
    issuer = {
        "intermediate": ca.intermediate_certificate,
        "root": ca.root_certificate,
        "other_intermediate": other.intermediate_certificate,
    }[data.get("verify_against", "intermediate")]
    result = verify_crl(blob, issuer, _t(data["verify_time"]))
    query = result.reason_for(data["query_serial"]) if "query_serial" in data else None
    return {
        "number": result.number,
        "this_update": format_utc(result.this_update),
        "next_update": format_utc(result.next_update),
        "entries": [
            {"serial": e.serial, "reason": int(e.reason), "revoked_at": format_utc(e.revoked_at)}
            for e in result.entries.values()
        ],
        "query_reason": None if query is None else int(query),
        "crl_sha256": _sha(result.der),
    }


# --- renewal and rotation -------------------------------------------------------------------


def renew(data: dict[str, Any]) -> dict[str, Any]:
    """Issue the current certificate at ``ca_time``, then renew or rotate it at ``now``.

    Extra inputs: ``aic``, ``usage``, ``agent_seed_hex``, ``serial``, ``validity_days``,
    ``dns``, ``ips``, ``revoke_reason`` (revoke the current certificate first), ``present``
    ("current" or "other_ca"), ``csr_seed_hex`` (default the agent seed), ``csr_cn``,
    ``csr_mutation``, ``rotation`` ("none", "valid", "by_new_key", "other_certificate",
    "tampered"), ``new_serial``, ``new_validity_days``, ``force``, ``successor`` ({``serial``,
    ``time``}: renew the current certificate over the same key first) with ``present``
    "successor" to move that one forward instead.
    """
    ca = _ca(data)
    agent = _seed(data["agent_seed_hex"])
    current = ca.issue(
        data["aic"],
        agent.verify_key,
        Usage(data["usage"]),
        _t(data["ca_time"]),
        data["serial"],
        validity_days=data.get("validity_days", 49),
        dns=data.get("dns", []),
        ips=data.get("ips", []),
    )
    if "revoke_reason" in data:
        ca.revoke(current, data["revoke_reason"], _t(data["ca_time"]))
    presented = current
    if "successor" in data:
        step = data["successor"]
        successor = ca.renew(
            current, build_csr(agent, data["aic"]), _t(step["time"]), step["serial"]
        )
        if data.get("present") == "successor":
            presented = successor
    if data.get("present") == "other_ca":
        presented = _ca(data, other=True).issue(
            data["aic"],
            agent.verify_key,
            Usage(data["usage"]),
            _t(data["ca_time"]),
            data["serial"],
        )
    csr_der = _csr(data)
    mode = data.get("rotation", "none")
    signature = None
    if mode != "none":
        signer = _seed(data["csr_seed_hex"]) if mode == "by_new_key" else agent
        digest_of = certificate_der(presented)
        if mode == "other_certificate":
            digest_of = certificate_der(ca.root_certificate)
        signature = signer.sign(rotation_message(digest_of, csr_der))
        if mode == "tampered":
            signature = _flip_last(signature)
    now = _t(data["now"])
    new = ca.renew(
        presented,
        csr_der,
        now,
        data["new_serial"],
        validity_days=data.get("new_validity_days", 49),
        force=data.get("force", False),
        rotation_signature=signature,
    )
    checked = validate_chain(
        new,
        [ca.intermediate_certificate],
        [ca.root_certificate],
        now=now,
        usage=Usage(data["usage"]),
    )
    old_entry = ca.state.revocation(current.serial_number)
    return {
        "aic": checked.aic,
        "usage": str(checked.usage),
        "serial": checked.serial,
        "key_hex": checked.key.raw.hex(),
        "not_after": format_utc(checked.not_after),
        "leaf_sha256": _sha(certificate_der(new)),
        "old_revoked_reason": None if old_entry is None else int(old_entry.reason),
        "dns": [n.value for n in _sans(new, x509.DNSName)],
    }


def _sans(cert: x509.Certificate, kind: type[x509.DNSName]) -> list[x509.DNSName]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [n for n in san if isinstance(n, kind)]


OPERATIONS: dict[str, Op] = {
    "pki.issue_and_validate": issue_and_validate,
    "pki.enroll": enroll,
    "pki.crl": crl,
    "pki.renew": renew,
}
