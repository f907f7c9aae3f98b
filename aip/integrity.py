"""The signed-object primitive used by every signed AIP object.

Pure core.  A signed object is a JSON object with a member
``integrity = {"alg": "EdDSA", "kid": <key id>, "sig": <base64url signature>}``; the signature
is Ed25519 over the RFC 8785 bytes of the object *without* its ``integrity`` member
(``spec/03-integrity.md``).

Sign with :func:`sign_object`.  Verify what a peer sent with :func:`verify_received` (bytes in)
or :func:`verify_object` (the value :func:`aip.codec.parse` returned) — never over a model
re-serialised from the object, which could drop or reorder what the signer covered.  Every
verification failure raises :class:`~aip.errors.IntegrityError`; nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aip.codec import canonicalize, parse
from aip.errors import Code, CodecError, IntegrityError
from aip.identity.keys import SIGNATURE_SIZE, SigningKey, VerifyKey, b64url_decode, b64url_encode

__all__ = [
    "ALG",
    "INTEGRITY",
    "KeyResolver",
    "sign_object",
    "signing_input",
    "verify_object",
    "verify_received",
]

ALG = "EdDSA"
INTEGRITY = "integrity"
_MEMBERS = frozenset(("alg", "kid", "sig"))

KeyResolver = Callable[[str], VerifyKey | None] | Mapping[str, VerifyKey] | VerifyKey
"""Where verification finds the key for a kid: a function, a mapping, or one trusted key."""


def signing_input(obj: Mapping[str, Any]) -> bytes:
    """The bytes a signature covers: RFC 8785 of ``obj`` minus ``integrity`` [INT-SIG-002].

    Raises :class:`~aip.errors.CodecError` if ``obj`` is not a JSON value.
    """
    body = dict(obj)
    body.pop(INTEGRITY, None)
    return canonicalize(body)


def sign_object(obj: Mapping[str, Any], key: SigningKey, kid: str | None = None) -> dict[str, Any]:
    """Return a copy of ``obj`` carrying a fresh ``integrity`` member [INT-SIG-001].

    ``kid`` defaults to the key's RFC 7638 thumbprint [IDN-KEY-003].  An ``integrity`` member
    already present is replaced.  Raises :class:`~aip.errors.CodecError` if ``obj`` is not a
    JSON object value.
    """
    body = dict(obj)
    body.pop(INTEGRITY, None)
    signature = key.sign(canonicalize(body))
    body[INTEGRITY] = {
        "alg": ALG,
        "kid": kid if kid is not None else key.verify_key.key_id(),
        "sig": b64url_encode(signature),
    }
    return body


def _resolve(keys: KeyResolver, kid: str) -> VerifyKey | None:
    if isinstance(keys, VerifyKey):
        return keys if keys.key_id() == kid else None
    if isinstance(keys, Mapping):
        return keys.get(kid)
    return keys(kid)


def _read_integrity(obj: Any) -> tuple[str, bytes]:
    """Check the shape of ``integrity`` [INT-SIG-004..006]; return (kid, signature)."""
    if not isinstance(obj, dict):
        raise IntegrityError(Code.INTEGRITY_MALFORMED, "a signed object must be a JSON object")
    member = obj.get(INTEGRITY)
    if member is None:
        raise IntegrityError(Code.INTEGRITY_MISSING, "the object carries no integrity member")
    if not isinstance(member, dict) or member.keys() != _MEMBERS:
        raise IntegrityError(Code.INTEGRITY_MALFORMED, "integrity must be {alg, kid, sig}")
    alg, kid, sig = member["alg"], member["kid"], member["sig"]
    if not (isinstance(alg, str) and isinstance(kid, str) and isinstance(sig, str)):
        raise IntegrityError(Code.INTEGRITY_MALFORMED, "alg, kid and sig must be strings")
    if not (alg and kid and sig):
        raise IntegrityError(Code.INTEGRITY_MALFORMED, "alg, kid and sig must be non-empty")
    try:
        signature = b64url_decode(sig)
    except ValueError:
        raise IntegrityError(Code.INTEGRITY_MALFORMED, "sig is not unpadded base64url") from None
    if len(signature) != SIGNATURE_SIZE:
        raise IntegrityError(Code.INTEGRITY_MALFORMED, "sig must encode 64 bytes")
    if alg != ALG:
        raise IntegrityError(Code.ALGORITHM_UNSUPPORTED, "only EdDSA (Ed25519) is defined")
    return kid, signature


def verify_object(obj: Any, keys: KeyResolver) -> str:
    """Verify a parsed signed object; return the kid that verified it [INT-SIG-003].

    Checks, in this order: shape of ``integrity`` (INTEGRITY_MALFORMED / INTEGRITY_MISSING),
    algorithm (ALGORITHM_UNSUPPORTED), key lookup (KEY_UNKNOWN), signature (SIGNATURE_INVALID).
    Raises :class:`~aip.errors.IntegrityError` only.
    """
    kid, signature = _read_integrity(obj)
    key = _resolve(keys, kid)
    if key is None:
        raise IntegrityError(Code.KEY_UNKNOWN, "no trusted key for this kid")
    try:
        message = signing_input(obj)
    except CodecError:  # a parsed object always canonicalises; a hand-made one may not
        raise IntegrityError(Code.INTEGRITY_MALFORMED, "object is not a JSON value") from None
    key.verify(signature, message)
    return kid


def verify_received(data: bytes | str, keys: KeyResolver) -> tuple[dict[str, Any], str]:
    """Parse bytes from a peer strictly and verify them; return (object, kid).

    Raises :class:`~aip.errors.CodecError` if the bytes are not strict I-JSON and
    :class:`~aip.errors.IntegrityError` if the signature does not hold.
    """
    obj = parse(data)
    kid = verify_object(obj, keys)
    return obj, kid
