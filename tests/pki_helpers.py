"""Shared material for the PKI tests: fixed keys, times, a CA, and hand-built certificates.

Nothing here goes through :class:`aip.identity.ca.DomainCA` to build a certificate except
:func:`make_ca` and :func:`issue`; :func:`reference_leaf` rebuilds the profile of §6.1.1 with
``cryptography``'s raw builder so tests can compare bytes and apply one mutation at a time.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from aip.identity.ca import DomainCA
from aip.identity.certificates import Usage
from aip.identity.keys import SigningKey, VerifyKey

NOW = datetime(2026, 11, 21, 10, 0, 0, tzinfo=UTC)
AIC = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
OTHER_AIC = "1.2.156.3088.1.1.34C2.478BDF.1.0000"
ROOT_KEY = SigningKey(b"\x11" * 32)
INTER_KEY = SigningKey(b"\x22" * 32)
AGENT_KEY = SigningKey(b"\x33" * 32)
NEW_KEY = SigningKey(b"\x44" * 32)
OTHER_ROOT_KEY = SigningKey(b"\xee" * 32)
OTHER_INTER_KEY = SigningKey(b"\xdd" * 32)
SECRET = bytes(range(32))


def days(n: float) -> timedelta:
    """A shorthand for ``timedelta(days=n)``."""
    return timedelta(days=n)


def make_ca(other: bool = False, **settings: Any) -> DomainCA:
    """The test CA for ``example.org`` (or the other CA: same names, other keys) at NOW."""
    root, inter = (OTHER_ROOT_KEY, OTHER_INTER_KEY) if other else (ROOT_KEY, INTER_KEY)
    return DomainCA.create(
        "example.org", root, inter, NOW, root_serial=1, intermediate_serial=2, **settings
    )


def issue(
    ca: DomainCA,
    serial: int = 10,
    usage: Usage = Usage.CLIENT,
    key: SigningKey = AGENT_KEY,
    when: datetime = NOW,
    **kw: Any,
) -> x509.Certificate:
    """Issue a certificate for AIC over ``key``."""
    return ca.issue(AIC, key.verify_key, usage, when, serial, **kw)


def reference_leaf(
    *,
    issuer: x509.Certificate,
    issuer_key: SigningKey,
    serial: int = 10,
    cn: str = AIC,
    key: VerifyKey | ec.EllipticCurvePublicKey | None = None,
    purposes: Sequence[x509.ObjectIdentifier] = (ExtendedKeyUsageOID.CLIENT_AUTH,),
    sans: Sequence[x509.GeneralName] | None = None,
    dns: Sequence[str] = (),
    ips: Sequence[str] = (),
    start: datetime = NOW,
    lifetime: timedelta = timedelta(days=49),
    ca_flag: bool = False,
    key_usage: dict[str, Any] | None = None,
    ku_critical: bool = True,
    bc_critical: bool = True,
    drop: Sequence[type[x509.ExtensionType]] = (),
    aki: bytes | None = None,
) -> x509.Certificate:
    """An agent certificate built field by field from the table of §6.1.1.

    With the defaults it must equal the CA's output byte for byte; each keyword changes one
    thing.  ``drop`` removes extensions by class.
    """
    public: Any
    if isinstance(key, ec.EllipticCurvePublicKey):
        public = key
    else:
        public = (key or AGENT_KEY.verify_key).to_cryptography()
    names: list[x509.GeneralName] = (
        list(sans) if sans is not None else [x509.UniformResourceIdentifier("acps://" + cn)]
    )
    names += [x509.DNSName(d) for d in dns]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    ku = {
        "digital_signature": True,
        "content_commitment": False,
        "key_encipherment": False,
        "data_encipherment": False,
        "key_agreement": False,
        "key_cert_sign": False,
        "crl_sign": False,
        "encipher_only": False,
        "decipher_only": False,
    }
    ku.update(key_usage or {})
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=ca_flag, path_length=None), bc_critical),
        (x509.KeyUsage(**ku), ku_critical),
        (x509.ExtendedKeyUsage(list(purposes)), False),
        (x509.SubjectAlternativeName(names), False),
        (x509.SubjectKeyIdentifier.from_public_key(public), False),
        (x509.AuthorityKeyIdentifier(aki if aki is not None else ski, None, None), False),
    ]
    builder = (
        x509.CertificateBuilder()
        .serial_number(serial)
        .issuer_name(issuer.subject)
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .not_valid_before(start)
        .not_valid_after(start + lifetime)
        .public_key(public)
    )
    for value, critical in extensions:
        if not isinstance(value, tuple(drop)):
            builder = builder.add_extension(value, critical=critical)
    return builder.sign(issuer_key.to_cryptography(), algorithm=None)


def p256_public() -> ec.EllipticCurvePublicKey:
    """A fixed P-256 public key (not allowed in an AIP PKI)."""
    return ec.derive_private_key(0x1234567, ec.SECP256R1()).public_key()
