"""Ed25519 keys to and from PEM: PKCS#8 for private keys (optionally encrypted at rest) and
SubjectPublicKeyInfo for public keys [IDN-KEY-004..006].

Pure apart from one thing: encrypting a private key draws its salt and IV from OpenSSL's
random source.  Reading and writing files is the caller's job (the node keeps keys 0600).
"""

from __future__ import annotations

from cryptography.exceptions import InternalError, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from aip.errors import Code, KeyMaterialError
from aip.identity.keys import SigningKey, VerifyKey

__all__ = [
    "signing_key_from_pem",
    "signing_key_to_pem",
    "verify_key_from_pem",
    "verify_key_to_pem",
]

_ENCRYPTED_MARK = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


def signing_key_to_pem(key: SigningKey, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM of ``key``; encrypted with ``passphrase`` when one is given [IDN-KEY-005].

    Raises :class:`KeyMaterialError` KEY_INVALID for an empty passphrase.
    """
    if passphrase is not None and not passphrase:
        raise KeyMaterialError(Code.KEY_INVALID, "an empty passphrase protects nothing")
    algorithm = NoEncryption() if passphrase is None else BestAvailableEncryption(passphrase)
    return key.to_cryptography().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, algorithm)


def signing_key_from_pem(data: bytes, passphrase: bytes | None = None) -> SigningKey:
    """Load a PKCS#8 PEM Ed25519 private key.

    Raises :class:`KeyMaterialError`: KEY_PASSPHRASE_REQUIRED (encrypted, no passphrase),
    KEY_DECRYPTION_FAILED (wrong passphrase), KEY_INVALID (not PEM, not Ed25519).
    """
    if not isinstance(data, bytes):
        raise KeyMaterialError(Code.KEY_INVALID, "a key file is bytes")
    encrypted = data.lstrip().startswith(_ENCRYPTED_MARK)
    if encrypted and passphrase is None:
        raise KeyMaterialError(Code.KEY_PASSPHRASE_REQUIRED, "the key file is encrypted")
    try:
        key = load_pem_private_key(data, password=passphrase if encrypted else None)
    # OpenSSL reports some malformed keys (an Ed448 OID over 32 bytes, say) as InternalError.
    except (ValueError, TypeError, UnsupportedAlgorithm, InternalError):
        if encrypted:
            raise KeyMaterialError(Code.KEY_DECRYPTION_FAILED, "wrong passphrase") from None
        raise KeyMaterialError(Code.KEY_INVALID, "not a PEM Ed25519 private key") from None
    return SigningKey.from_cryptography(key)


def verify_key_to_pem(key: VerifyKey) -> bytes:
    """SubjectPublicKeyInfo PEM of ``key``."""
    return key.to_cryptography().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def verify_key_from_pem(data: bytes) -> VerifyKey:
    """Load a SubjectPublicKeyInfo PEM Ed25519 public key; raises KEY_INVALID otherwise."""
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm, InternalError):
        raise KeyMaterialError(Code.KEY_INVALID, "not a PEM public key") from None
    return VerifyKey.from_cryptography(key)
