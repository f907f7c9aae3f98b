"""Ed25519 agent keys: signing, verification and key ids.

Pure: no randomness inside.  Make a key with ``SigningKey(seed)`` where the caller supplies 32
bytes of entropy (``secrets.token_bytes(32)`` in a shell).  Sign and verify use libsodium
(PyNaCl), which verifies about twice as fast as OpenSSL through ``cryptography`` on this machine
class (docs/decisions.md); :meth:`SigningKey.to_cryptography` and
:meth:`VerifyKey.to_cryptography` bridge to ``cryptography`` for X.509 work.

Key ids are RFC 7638 JWK thumbprints of the public key [IDN-KEY-003].
"""

from __future__ import annotations

import binascii
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from nacl.bindings import (
    crypto_sign,
    crypto_sign_BYTES,
    crypto_sign_open,
    crypto_sign_seed_keypair,
)
from nacl.exceptions import BadSignatureError, CryptoError

from aip.errors import Code, IntegrityError, KeyMaterialError

__all__ = ["SIGNATURE_SIZE", "SigningKey", "VerifyKey", "b64url_decode", "b64url_encode"]

# libsodium's crypto_sign_open through PyNaCl's compiled module: the call nacl.bindings makes,
# without its Python wrapping (about 10 % of a verification here; tests cover both paths).
try:
    from nacl._sodium import ffi as _ffi
    from nacl._sodium import lib as _lib
except ImportError:  # pragma: no cover - another PyNaCl layout: use its public binding
    _ffi = _lib = None

SIGNATURE_SIZE = 64
_KEY_SIZE = 32


# bytes.translate tables between the url-safe and the standard alphabet.  Decoding maps '+' and
# '/' to '*', which binascii's strict mode refuses, so only url-safe text gets through.
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_FROM_URLSAFE = bytes.maketrans(b"-_+/", b"+/**")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_UNUSED_BITS = {2: 0x0F, 3: 0x03}  # text length mod 4 -> bits of the last character left over
_PADDING = ("", "", "==", "=")


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5), as used for signatures and key ids."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Strict inverse of :func:`b64url_encode`.

    Raises ``ValueError`` on padding, characters outside the url-safe alphabet, an impossible
    length, or a final character whose unused bits are not zero (so that each byte string has
    exactly one encoding).
    """
    rem = len(text) % 4
    if rem == 1 or "=" in text or not text.isascii():
        raise ValueError("not unpadded base64url")
    if rem and text[-1] in _ALPHABET and _ALPHABET.index(text[-1]) & _UNUSED_BITS[rem]:
        raise ValueError("non-canonical base64url")
    try:
        return binascii.a2b_base64(
            (text + _PADDING[rem]).encode("ascii").translate(_FROM_URLSAFE), strict_mode=True
        )
    except binascii.Error:
        raise ValueError("not unpadded base64url") from None


class VerifyKey:
    """An Ed25519 public key (32 raw bytes, RFC 8032 encoding)."""

    __slots__ = ("_kid", "_raw")

    def __init__(self, raw: bytes) -> None:
        """Wrap 32 raw bytes.  Raises :class:`KeyMaterialError` (KEY_INVALID) on another length."""
        if not isinstance(raw, bytes) or len(raw) != _KEY_SIZE:
            raise KeyMaterialError(Code.KEY_INVALID, "an Ed25519 public key is 32 bytes")
        self._raw = raw
        self._kid: str | None = None

    @property
    def raw(self) -> bytes:
        """The 32-byte encoded point."""
        return self._raw

    def verify(self, signature: bytes, message: bytes) -> None:
        """Check ``signature`` over ``message``.

        Raises :class:`IntegrityError` (SIGNATURE_INVALID) on any failure: wrong length, a
        signature that does not verify, or a public key libsodium refuses (small order,
        non-canonical).  There is no other failure type.
        """
        if len(signature) != crypto_sign_BYTES:
            raise IntegrityError(Code.SIGNATURE_INVALID, "an Ed25519 signature is 64 bytes")
        signed = signature + message
        if _lib is not None:
            out = _ffi.new("unsigned char[]", len(signed))
            if _lib.crypto_sign_open(out, _ffi.NULL, signed, len(signed), self._raw) != 0:
                raise IntegrityError(Code.SIGNATURE_INVALID, "signature does not verify")
            return
        try:
            crypto_sign_open(signed, self._raw)
        except (BadSignatureError, CryptoError, ValueError):
            raise IntegrityError(Code.SIGNATURE_INVALID, "signature does not verify") from None

    def key_id(self) -> str:
        """The RFC 7638 JWK thumbprint (SHA-256, base64url) of this key [IDN-KEY-003]."""
        if self._kid is None:
            jwk = '{"crv":"Ed25519","kty":"OKP","x":"' + b64url_encode(self._raw) + '"}'
            self._kid = b64url_encode(hashlib.sha256(jwk.encode("ascii")).digest())
        return self._kid

    def to_cryptography(self) -> Ed25519PublicKey:
        """The same key as a ``cryptography`` object, for X.509 work."""
        return Ed25519PublicKey.from_public_bytes(self._raw)

    @classmethod
    def from_cryptography(cls, key: object) -> VerifyKey:
        """Wrap a ``cryptography`` public key.  Raises KEY_INVALID if it is not Ed25519."""
        if not isinstance(key, Ed25519PublicKey):
            raise KeyMaterialError(Code.KEY_INVALID, "not an Ed25519 public key")
        return cls(key.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyKey) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash(self._raw)

    def __repr__(self) -> str:
        return f"VerifyKey(kid={self.key_id()!r})"


class SigningKey:
    """An Ed25519 private key, made from a 32-byte seed the caller supplies."""

    __slots__ = ("_expanded", "_seed", "_verify_key")

    def __init__(self, seed: bytes) -> None:
        """Derive the key pair from ``seed``.  Raises KEY_INVALID unless it is 32 bytes."""
        if not isinstance(seed, bytes) or len(seed) != _KEY_SIZE:
            raise KeyMaterialError(Code.KEY_INVALID, "an Ed25519 seed is 32 bytes")
        public, expanded = crypto_sign_seed_keypair(seed)
        self._seed = seed
        self._expanded = expanded
        self._verify_key = VerifyKey(public)

    @property
    def seed(self) -> bytes:
        """The 32-byte RFC 8032 private key.  Handle with care."""
        return self._seed

    @property
    def verify_key(self) -> VerifyKey:
        """The matching public key."""
        return self._verify_key

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature over ``message`` (deterministic, RFC 8032)."""
        return crypto_sign(message, self._expanded)[:SIGNATURE_SIZE]

    def to_cryptography(self) -> Ed25519PrivateKey:
        """The same key as a ``cryptography`` object, for X.509 work."""
        return Ed25519PrivateKey.from_private_bytes(self._seed)

    @classmethod
    def from_cryptography(cls, key: object) -> SigningKey:
        """Wrap a ``cryptography`` private key.  Raises KEY_INVALID if it is not Ed25519."""
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyMaterialError(Code.KEY_INVALID, "not an Ed25519 private key")
        return cls(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))

    def __repr__(self) -> str:
        return f"SigningKey(kid={self._verify_key.key_id()!r})"
