"""Enrollment from the agent's side (shell: sockets, clock, randomness).

:func:`enroll` sends a CSR to the node's ``atr.enroll`` — with a one-time token, or without one
at a node in development mode [IDN-ENR-010] — and returns the certificates, checked.  Pin the
node with ``node_aic`` and ``ca_fingerprint`` (``aip node`` prints both) so that the request
leaves only after the node proved, on this very connection, that it is that node under that
root.  :func:`checked_chain` is the check every returned chain passes (also used by renewal).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aip.client.session import AgentIdentity, ConnectionLost, Enrolled, Session, open_session
from aip.errors import AipError, Code
from aip.identity.aic import parse_aic
from aip.identity.certificates import Usage, certificate_der, load_certificates
from aip.identity.chain import validate_chain
from aip.identity.enrollment import ENROLL_METHOD, build_csr
from aip.identity.keys import SigningKey
from aip.sessions.client import ClientHandshake
from aip.sessions.proofs import CHALLENGE_SIZE
from aip.sessions.server import HELLO

__all__ = ["checked_chain", "enroll", "fingerprint"]

_ATTEMPTS = 2  # the request, and once more if the connection was lost before the answer


def _bad_answer(why: str) -> AipError:
    return AipError(Code.INVALID_AGENT_RESPONSE, why)


def fingerprint(cert: Any) -> str:
    """The SHA-256 of a certificate's DER, lowercase hex (how ``aip node`` prints its root)."""
    return hashlib.sha256(certificate_der(cert)).hexdigest()


def checked_chain(
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


async def enroll(
    url: str,
    token: str | None,
    aic: str,
    key: SigningKey,
    *,
    usages: Sequence[Usage] = (Usage.CLIENT,),
    node_aic: str | None = None,
    ca_fingerprint: str | None = None,
    timeout: float = 10.0,
) -> Enrolled:
    """Enroll ``aic`` with ``key`` at the node at ``url``; return what it issued, checked.

    ``token`` is the one-time enrollment token; None asks a node in development mode to enroll
    without one.  With ``node_aic`` and ``ca_fingerprint``, the token (or request) is sent only
    after the node has proved, with the Part 7 server proof on this connection, that it is
    ``node_aic`` under that root — so a process squatting on the address never sees it.
    Without them the first answer is trusted (fit for a local development node only).  Every
    returned certificate must validate under the root for its usage, name ``aic`` and carry
    ``key``; the result's ``identity`` holds the clientAuth chain, ready for ``connect``.

    A connection lost before the answer arrives is retried once with the same request, which
    the node answers with the certificates it may already have issued (IDN-ENR-011); each
    attempt is bounded by ``timeout``.

    Raises the node's refusal (Part 6 codes; -32602 for a missing token at a node not in
    development mode), the handshake's codes, CERTIFICATE_CHAIN_INVALID for another root,
    :class:`~aip.client.session.ConnectionLost`; ``ValueError`` if only one pin is given.
    """
    if (node_aic is None) != (ca_fingerprint is None):
        raise ValueError("pin the node with both node_aic and ca_fingerprint, or neither")
    params: dict[str, Any] = {
        "csr": build_csr(key, aic).decode("ascii"),
        "usages": [str(u) for u in usages],
    }
    if token is not None:
        params["token"] = token
    for attempt in range(_ATTEMPTS):
        try:
            async with await open_session(url, timeout=timeout) as session:
                if node_aic is not None and ca_fingerprint is not None:
                    await _check_node(
                        session, url, aic, key, node_aic=node_aic, pinned=ca_fingerprint,
                        timeout=timeout,
                    )  # fmt: skip
                result = await session.call(ENROLL_METHOD, params, timeout=timeout)
            break
        except ConnectionLost:
            # The node may have issued before the answer was lost: the very same request again
            # gets the same certificates, not a refusal [IDN-ENR-011].
            if attempt == _ATTEMPTS - 1:
                raise
    try:
        bundle = [str(pem) for pem in result["trustBundle"]]
    except (KeyError, TypeError) as exc:
        raise _bad_answer(f"no trust bundle in the answer: {exc}") from None
    roots = load_certificates("".join(bundle))
    if ca_fingerprint is not None and fingerprint(roots[0]) != ca_fingerprint.lower():
        raise AipError(Code.CERTIFICATE_CHAIN_INVALID, "the node's root is not the one expected")
    canonical = str(parse_aic(aic))
    chains = {str(u): checked_chain(result, u, canonical, key, roots) for u in usages}
    client = chains.get(str(Usage.CLIENT), [])
    return Enrolled(AgentIdentity(canonical, key, client, roots), chains, bundle)


async def _check_node(
    session: Session,
    url: str,
    aic: str,
    key: SigningKey,
    *,
    node_aic: str,
    pinned: str,
    timeout: float,
) -> None:
    """The node proves it is ``node_aic`` under the root ``pinned`` before anything is sent."""
    info = await session.call("node.info", timeout=timeout)
    try:
        roots = load_certificates("".join(info["trustBundle"]))
    except (KeyError, TypeError) as exc:
        raise _bad_answer(f"node.info without a trust bundle: {exc}") from None
    roots = [root for root in roots if fingerprint(root) == pinned.lower()]
    if not roots:
        raise AipError(Code.CERTIFICATE_CHAIN_INVALID, "the node's root is not the one expected")
    check = ClientHandshake(
        aic=aic,
        key=key,
        certificates=(),
        trust_roots=roots,
        audience=url,
        expected_server_aic=node_aic,
    )
    hello = await session.call(
        HELLO, check.hello(secrets.token_bytes(CHALLENGE_SIZE)), timeout=timeout
    )
    check.check_server(hello, datetime.now(UTC))  # raises before the token leaves
