"""CA certificates of a domain PKI: names and the root / intermediate certificate profile.

Called by :meth:`aip.identity.ca.DomainCA.create`; public so that tests and conformance vectors
can build deliberately different CA certificates with the same code path.  Pure.
"""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

from aip.identity.keys import SigningKey, VerifyKey

__all__ = ["build_ca_certificate", "ca_name"]


def ca_name(domain: str, role: str) -> x509.Name:
    """``O=<domain>, CN=AIP <role> CA`` (role ``Root`` or ``Intermediate``) [IDN-CA-001]."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, domain),
            x509.NameAttribute(NameOID.COMMON_NAME, f"AIP {role} CA"),
        ]
    )


def build_ca_certificate(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    key: VerifyKey,
    signer: SigningKey,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    path_length: int | None,
    issuer_key: VerifyKey | None,
) -> x509.Certificate:
    """A CA certificate: CA true with ``path_length``, keyCertSign + cRLSign [IDN-CA-003]."""
    public = key.to_cryptography()
    builder = (
        x509.CertificateBuilder()
        .serial_number(serial)
        .issuer_name(issuer)
        .subject_name(subject)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .public_key(public)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer_key is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.to_cryptography()),
            critical=False,
        )
    return builder.sign(signer.to_cryptography(), algorithm=None)
