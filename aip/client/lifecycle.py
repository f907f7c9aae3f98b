"""A certificate's life after enrollment (shell: sockets, clock, files): renew, revoke, list.

On an authenticated :class:`~aip.client.session.Session`, :func:`renew` replaces a certificate
before it expires (same key, or a new one: key rotation) and :func:`revoke` ends one (spec
Part 6 §6.5 to §6.7); :func:`fetch_revocation_list` reads the node's signed list, with or
without a session.  :func:`read_chain` and :func:`save_chain` read and atomically replace the
chains of an identity directory (:mod:`aip.client.identity`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aip._files import write_atomic
from aip.client.enrollment import checked_chain
from aip.client.session import AgentIdentity, Session
from aip.errors import AipError, Code
from aip.identity.certificates import (
    Usage,
    certificate_der,
    certificate_pem,
    inspect_agent_certificate,
    load_certificate,
    load_certificates,
)
from aip.identity.enrollment import build_csr, sign_rotation
from aip.identity.keys import SigningKey, b64url_encode
from aip.identity.revocation import RevocationReason

__all__ = [
    "CHAIN_FILES",
    "fetch_revocation_list",
    "read_chain",
    "renew",
    "revoke",
    "save_chain",
]

CHAIN_FILES = {str(Usage.CLIENT): "client.pem", str(Usage.SERVER): "server.pem"}


def _bad_answer(why: str) -> AipError:
    return AipError(Code.INVALID_AGENT_RESPONSE, why)


async def renew(
    session: Session,
    identity: AgentIdentity,
    chain: Sequence[str] | None = None,
    *,
    new_key: SigningKey | None = None,
    force: bool = False,
    timeout: float = 10.0,
) -> list[str]:
    """Renew one of our certificates through ``atr.renew``; return its successor's chain.

    ``chain`` is the chain to renew (leaf first; default: ``identity.certificates``, the
    clientAuth chain) and ``identity.key`` its key.  With ``new_key`` the key is rotated: the
    request carries a rotation signature by the current key [IDN-ROT-002], and the node revokes
    the certificates over the old key [IDN-ROT-003] — rotating the clientAuth certificate thus
    ends this session right after the answer; connect again with the new key.  ``force`` is
    honoured for the operator only.  The answer must validate under ``identity.trust_roots``
    for the same usage, AIC and the expected key.

    Raises the node's refusal (Part 6 codes, -32009 for another AIC's certificate), the chain's
    codes or INVALID_AGENT_RESPONSE for a bad answer, ``TimeoutError``, :class:`ConnectionLost`.
    """
    current = list(identity.certificates if chain is None else chain)
    if not current:
        raise ValueError("no certificate to renew")
    cert = load_certificate(current[0])
    info = inspect_agent_certificate(cert)
    key = new_key or identity.key
    csr = build_csr(key, info.aic)
    params: dict[str, Any] = {"certificate": current[0], "csr": csr.decode("ascii")}
    if new_key is not None:
        signature = sign_rotation(identity.key, certificate_der(cert), csr)
        params["rotationProof"] = b64url_encode(signature)
    if force:
        params["force"] = True
    result = await session.call("atr.renew", params, timeout=timeout)
    return checked_chain(result, info.usage, info.aic, key, identity.trust_roots)


async def revoke(
    session: Session,
    serial: int,
    reason: RevocationReason | int = RevocationReason.UNSPECIFIED,
    *,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Revoke the certificate with ``serial`` through ``atr.revoke``; return the node's record
    (``serial`` as decimal text, ``reason``, ``revokedAt``).

    Our own certificates, or any of the domain on the operator's session.  Revoking the
    certificate this session authenticated with ends the session after the answer, unless
    another valid clientAuth certificate binds our key [SES-HSK-008].  Raises the node's
    refusal: -32009 (not ours), -33607 AlreadyRevoked, -33609 IssuerMismatch, -32602 (a reason
    outside 0..5); ``TimeoutError``; :class:`ConnectionLost`.
    """
    params = {"serial": str(serial), "reason": int(reason)}
    result: dict[str, Any] = await session.call("atr.revoke", params, timeout=timeout)
    return result


async def fetch_revocation_list(session: Session, *, timeout: float = 10.0) -> str:
    """The node's current revocation list, PEM, from ``atr.revocationList`` (public, so any
    session will do).  Verify it with :func:`aip.identity.revocation.verify_crl` against the
    intermediate before use.  Raises INVALID_AGENT_RESPONSE for an answer without one."""
    result = await session.call("atr.revocationList", timeout=timeout)
    pem = result.get("revocationList") if isinstance(result, dict) else None
    if not isinstance(pem, str):
        raise _bad_answer("no revocationList in the answer")
    return pem


def read_chain(directory: str | os.PathLike[str], usage: Usage | str) -> list[str] | None:
    """The chain (PEM texts, leaf first) of ``usage`` in an identity directory, or None if it
    holds none.  Raises ``OSError`` and CERTIFICATE_MALFORMED for a damaged file."""
    path = Path(directory) / CHAIN_FILES[str(usage)]
    if not path.exists():
        return None
    return [certificate_pem(c).decode("ascii") for c in load_certificates(path.read_bytes())]


def save_chain(
    directory: str | os.PathLike[str], usage: Usage | str, chain: Sequence[str]
) -> Path:
    """Replace the chain of ``usage`` in an identity directory atomically (a crash leaves the
    old file or the new one); returns its path.  Raises ``OSError``."""
    path = Path(directory) / CHAIN_FILES[str(usage)]
    write_atomic(path, "".join(chain).encode("ascii"))
    return path

