"""A certificate's life after enrollment (shell: sockets, clock, files): renew, revoke, list.

On an authenticated :class:`~aip.client.session.Session`, :func:`renew` replaces a certificate
before it expires (same key, or a new one: key rotation) and :func:`revoke` ends one (spec
Part 6 §6.5 to §6.7); :func:`fetch_revocation_list` reads the node's signed list, with or
without a session.  :func:`enroll_dev` enrolls without a token at a node in development mode
[IDN-ENR-010].  :func:`read_chain` and :func:`save_chain` read and atomically replace the
chains of an identity directory (:mod:`aip.client.identity`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidURI, WebSocketException

from aip._files import write_atomic
from aip.client.session import AgentIdentity, ConnectionLost, Enrolled, Session
from aip.errors import AipError, Code
from aip.identity.aic import parse_aic
from aip.identity.certificates import (
    Usage,
    certificate_der,
    certificate_pem,
    inspect_agent_certificate,
    load_certificate,
    load_certificates,
)
from aip.identity.chain import validate_chain
from aip.identity.enrollment import ENROLL_METHOD, build_csr, sign_rotation
from aip.identity.keys import SigningKey, b64url_encode
from aip.identity.revocation import RevocationReason
from aip.sessions.client import ClientHandshake
from aip.sessions.proofs import CHALLENGE_SIZE
from aip.sessions.server import HELLO

__all__ = [
    "CHAIN_FILES",
    "enroll_dev",
    "fetch_revocation_list",
    "read_chain",
    "renew",
    "revoke",
    "save_chain",
]

CHAIN_FILES = {str(Usage.CLIENT): "client.pem", str(Usage.SERVER): "server.pem"}


def _bad_answer(why: str) -> AipError:
    return AipError(Code.INVALID_AGENT_RESPONSE, why)


def _checked_chain(
    result: Any, usage: Usage, aic: str, key: SigningKey, roots: Sequence[Any]
) -> list[str]:
    """The ``[leaf, intermediate]`` PEMs of ``usage`` in an enroll or renew result, validated
    under ``roots`` now and certifying ``key`` for ``aic``; else INVALID_AGENT_RESPONSE or the
    chain's Part 6 code."""
    try:
        chain = [str(pem) for pem in result["certificates"][str(usage)]]
    except (KeyError, TypeError) as exc:
        raise _bad_answer(f"no {usage} chain in the answer: {exc}") from None
    if not chain:
        raise _bad_answer(f"an empty {usage} chain")
    agent = validate_chain(chain[0], chain[1:], roots, now=datetime.now(UTC), usage=usage)
    if agent.aic != aic or agent.key != key.verify_key:
        raise _bad_answer("the certificate is not for us")
    return chain


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
    return _checked_chain(result, info.usage, info.aic, key, identity.trust_roots)


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


async def enroll_dev(
    url: str,
    aic: str,
    key: SigningKey,
    *,
    usages: Sequence[Usage] = (Usage.CLIENT,),
    node_aic: str | None = None,
    ca_fingerprint: str | None = None,
    timeout: float = 10.0,
) -> Enrolled:
    """Enroll ``aic`` without a token at a node in development mode [IDN-ENR-010].

    Pins as :func:`aip.client.session.enroll` does: with ``node_aic`` and ``ca_fingerprint``
    the node must prove itself first; without them the first answer is trusted.  Raises the
    node's refusal (-32602 when the node is not in development mode, -32009 for an AIC it does
    not enroll, Part 4 and Part 6 codes), the handshake's codes, CERTIFICATE_CHAIN_INVALID for
    another root, :class:`ConnectionLost`; ``ValueError`` if only one pin is given.
    """
    if (node_aic is None) != (ca_fingerprint is None):
        raise ValueError("pin the node with both node_aic and ca_fingerprint, or neither")
    try:
        ws = await ws_connect(url, compression=None, open_timeout=timeout)
    except (OSError, InvalidURI, WebSocketException, TimeoutError) as exc:
        raise ConnectionLost(f"cannot open {url}: {exc}") from None
    async with Session(ws) as session:
        if node_aic is not None and ca_fingerprint is not None:
            info = await session.call("node.info", timeout=timeout)
            roots = _pinned(info, ca_fingerprint)
            check = ClientHandshake(
                aic=aic,
                key=key,
                certificates=(),
                trust_roots=roots,
                audience=url,
                expected_server_aic=node_aic,
            )
            hello = check.hello(secrets.token_bytes(CHALLENGE_SIZE))
            check.check_server(await session.call(HELLO, hello, timeout=timeout), datetime.now(UTC))
        params = {"csr": build_csr(key, aic).decode("ascii"), "usages": [str(u) for u in usages]}
        result = await session.call(ENROLL_METHOD, params, timeout=timeout)
    try:
        bundle = [str(pem) for pem in result["trustBundle"]]
    except (KeyError, TypeError) as exc:
        raise _bad_answer(f"no trust bundle in the answer: {exc}") from None
    roots = load_certificates("".join(bundle))
    if ca_fingerprint is not None and _fingerprint(roots[0]) != ca_fingerprint.lower():
        raise AipError(Code.CERTIFICATE_CHAIN_INVALID, "the node's root is not the one expected")
    canonical = str(parse_aic(aic))
    chains = {str(u): _checked_chain(result, u, canonical, key, roots) for u in usages}
    client = chains.get(str(Usage.CLIENT), [])
    return Enrolled(AgentIdentity(canonical, key, client, roots), chains, bundle)


def _fingerprint(cert: Any) -> str:
    return hashlib.sha256(certificate_der(cert)).hexdigest()


def _pinned(info: Any, fingerprint: str) -> list[Any]:
    """The roots of ``node.info`` that are the pinned one; else CERTIFICATE_CHAIN_INVALID."""
    try:
        roots = load_certificates("".join(info["trustBundle"]))
    except (KeyError, TypeError) as exc:
        raise _bad_answer(f"node.info without a trust bundle: {exc}") from None
    pinned = [root for root in roots if _fingerprint(root) == fingerprint.lower()]
    if not pinned:
        raise AipError(Code.CERTIFICATE_CHAIN_INVALID, "the node's root is not the one expected")
    return pinned


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

