"""mTLS mode over ``wss://`` (spec Part 7 §7.4; shell: ssl, temporary files, clock).

TLS authenticates both sides, then our own Part 6 code decides who they are: OpenSSL checks the
path to the domain root, and :func:`validate_peer` runs :func:`~aip.identity.chain.validate_chain`
on the peer's leaf for its role, so codes and order are those of [IDN-CRT-013].  The AIC check
replaces hostname verification [SES-TLS-004].

* The listener builds a :class:`TlsAcceptor`, listens with its ``context``, and asks
  :meth:`TlsAcceptor.check` who each client is before accepting its upgrade.
* :func:`aip.client.session.connect` calls :func:`dial` for ``wss://`` URLs.

Python before 3.13 hands over only the peer's leaf (``getpeercert(binary_form=True)``), not the
intermediate it sent.  Each side therefore validates the peer's leaf with the intermediate of its
own domain, which it holds as the issuer in its own chain: a path-building candidate only, never
a trust anchor [IDN-CA-002] [SES-TLS-004].
"""

from __future__ import annotations

import asyncio
import os
import secrets
import ssl
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
)
from websockets.exceptions import InvalidHandshake, InvalidMessage
from websockets.frames import CloseCode

from aip.errors import AipError, CertificateError, Code, SessionError
from aip.identity.certificates import Usage, certificate_pem, load_certificate
from aip.identity.chain import ValidatedAgent, validate_chain
from aip.identity.keys import SigningKey
from aip.identity.revocation import RevocationList
from aip.transport.link import Endpoint, Link
from aip.transport.link import dial as open_link

__all__ = [
    "SESSION_HEADER",
    "TlsAcceptor",
    "client_context",
    "dial",
    "peer_certificate",
    "refusal",
    "server_context",
    "validate_peer",
]

# In the 101 response exactly when the server accepted the client certificate [SES-TLS-006].
SESSION_HEADER = "AIP-Session-AIC"
_RAM = Path("/dev/shm")  # tmpfs where there is one: the (encrypted) key never reaches a disk


def server_context(
    key: SigningKey, chain_pems: Sequence[str], trust_roots: Sequence[Any]
) -> ssl.SSLContext:
    """A server context: TLS 1.3 floor, client certificate required, ``trust_roots`` only.

    ``chain_pems`` is our serverAuth leaf then its intermediate.  Raises ``ssl.SSLError`` or
    the library's certificate errors for unusable material, ``OSError`` for the temporary file.
    """
    context = _context(ssl.PROTOCOL_TLS_SERVER, key, chain_pems, trust_roots)
    context.num_tickets = 0  # no resumption: every connection presents its certificate
    return context


def client_context(
    key: SigningKey, chain_pems: Sequence[str], trust_roots: Sequence[Any]
) -> ssl.SSLContext:
    """A client context: TLS 1.3 floor, server certificate required, ``trust_roots`` only, no
    hostname check (the AIC check replaces it [SES-TLS-004]).  Raises like
    :func:`server_context`."""
    return _context(ssl.PROTOCOL_TLS_CLIENT, key, chain_pems, trust_roots)


def _context(
    protocol: int, key: SigningKey, chain_pems: Sequence[str], roots: Sequence[Any]
) -> ssl.SSLContext:
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_3  # [SES-TLS-001]
    context.check_hostname = False  # our names are AICs, checked by validate_peer [SES-TLS-004]
    context.verify_mode = ssl.CERT_REQUIRED  # [SES-TLS-002] both ways
    context.verify_flags &= ~ssl.VERIFY_X509_PARTIAL_CHAIN  # anchors are roots only [SES-TLS-003]
    pems = [certificate_pem(load_certificate(root)).decode("ascii") for root in roots]
    if not pems:
        raise CertificateError(Code.CERTIFICATE_CHAIN_INVALID, "no trust roots")
    context.load_verify_locations(cadata="".join(pems))
    _load_identity(context, key, chain_pems)
    return context


def _load_identity(context: ssl.SSLContext, key: SigningKey, chain_pems: Sequence[str]) -> None:
    """Load our chain and key; ``ssl`` reads them only from files.

    The key is written encrypted under a random passphrase that stays in memory, mode 0600, in a
    private directory (tmpfs when there is one), and deleted right after loading.
    """
    chain = "".join(certificate_pem(load_certificate(c)).decode("ascii") for c in chain_pems)
    passphrase = secrets.token_bytes(32)
    sealed = key.to_cryptography().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(passphrase)
    )
    where = _RAM if _RAM.is_dir() and os.access(_RAM, os.W_OK) else None
    directory = Path(tempfile.mkdtemp(prefix="aip-tls-", dir=where))  # mode 0700
    key_path, chain_path = directory / "key.pem", directory / "chain.pem"
    try:
        for path, data in ((key_path, sealed), (chain_path, chain.encode("ascii"))):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        context.load_cert_chain(chain_path, key_path, password=passphrase)
    finally:
        for path in (key_path, chain_path):
            path.unlink(missing_ok=True)
        directory.rmdir()


def peer_certificate(ssl_object: Any) -> bytes:
    """The DER leaf the peer presented in this TLS connection (OpenSSL verified its path).

    Raises CERTIFICATE_MALFORMED when the connection has no TLS layer or no peer certificate.
    """
    der = None
    if isinstance(ssl_object, ssl.SSLObject):
        der = ssl_object.getpeercert(binary_form=True)
    if not der:
        raise CertificateError(Code.CERTIFICATE_MALFORMED, "the peer presented no certificate")
    return bytes(der)


def validate_peer(
    leaf: bytes,
    *,
    usage: Usage,
    intermediates: Sequence[Any],
    trust_roots: Sequence[Any],
    now: datetime,
    revocation: RevocationList | None = None,
    revoked: Callable[[int], bool] | None = None,
    expected_aic: str | None = None,
) -> ValidatedAgent:
    """Who the TLS peer is: its leaf validated for ``usage`` at ``now`` [SES-TLS-004].

    ``intermediates`` are path-building candidates (our own domain's intermediate).  Raises the
    Part 6 code of the first failing check of [IDN-CRT-013], CERTIFICATE_REVOKED when
    ``revoked(serial)`` (the issuing CA's live state), then PEER_AIC_MISMATCH when the AIC
    (commonName, equal to the SAN URI by IDN-CRT-003) is not ``expected_aic`` [SES-TLS-005].
    """
    agent = validate_chain(
        leaf, intermediates, trust_roots, now=now, usage=usage, revocation=revocation
    )
    if revoked is not None and revoked(agent.serial):
        raise CertificateError(Code.CERTIFICATE_REVOKED, "the certificate was revoked")
    if expected_aic is not None and agent.aic != expected_aic:  # [ARC-AUTH-002]
        raise SessionError(Code.PEER_AIC_MISMATCH, "the server is not the AIC expected")
    return agent


def _reason(error: AipError) -> str:
    """The close reason of a refusal: ``"<code> <NAME>"``, as the in-band path sends."""
    return f"{int(error.code)} {error.code.name}"


class TlsAcceptor:
    """The server half of mTLS mode for one listener.

    Pass :attr:`context` as the listening socket's ``ssl``; when a client's upgrade request is
    about to be accepted, :meth:`check` says who it is or why it is refused, and only an
    accepted client is named in the ``101`` (:data:`SESSION_HEADER`) [SES-TLS-006].
    """

    def __init__(
        self,
        key: SigningKey,
        certificates: Sequence[str],
        trust_roots: Sequence[Any],
        *,
        revoked: Callable[[int], bool] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.context = server_context(key, certificates, trust_roots)
        self._intermediates = list(certificates[1:])  # our domain's intermediate
        self._roots = list(trust_roots)
        self._revoked = revoked
        self._now = now

    def check(self, ssl_object: Any) -> ValidatedAgent | AipError:
        """Validate the client's leaf on a TLS connection; never raises on peer input."""
        try:
            return validate_peer(
                peer_certificate(ssl_object),
                usage=Usage.CLIENT,
                intermediates=self._intermediates,
                trust_roots=self._roots,
                now=self._now(),
                revoked=self._revoked,
            )
        except AipError as exc:
            return exc


async def dial(
    url: str,
    endpoint: Endpoint,
    *,
    aic: str,
    key: SigningKey,
    certificates: Sequence[str],
    trust_roots: Sequence[Any],
    expected_aic: str,
    timeout: float,
) -> tuple[Link, ValidatedAgent]:
    """Open ``url`` (``wss://``) with mTLS as ``aic`` for ``endpoint``; authenticate the server.

    ``certificates`` is our clientAuth leaf then its intermediate.  Returns the open link and
    the server's identity once the server is ``expected_aic`` and has accepted us.  Raises
    :class:`AipError` with a Part 6 or Part 7 code when either side refuses [SES-TLS-007]
    (after closing with 1008 when we refuse the server); ``OSError``, ``InvalidHandshake``
    or ``TimeoutError`` when the server cannot be reached.
    """
    context = client_context(key, certificates, trust_roots)
    try:
        link = await open_link(url, endpoint, ssl=context, timeout=timeout)
    except (OSError, InvalidHandshake, TimeoutError) as exc:
        refused = refusal(exc)
        if refused is not None:
            raise refused from None
        raise
    try:
        server = validate_peer(
            peer_certificate(link.extra("ssl_object")),
            usage=Usage.SERVER,
            intermediates=list(certificates[1:]),
            trust_roots=trust_roots,
            now=datetime.now(UTC),
            expected_aic=expected_aic,
        )
    except AipError as exc:
        link.close(CloseCode.POLICY_VIOLATION, _reason(exc))  # [ARC-AUTH-002]
        raise
    try:
        await _accepted(link, aic, timeout)
    except BaseException:
        link.close()
        raise
    return link, server


async def _accepted(link: Link, aic: str, timeout: float) -> None:
    """Return once the server's 101 names ``aic``; else raise its close code [SES-TLS-006]."""
    assert link.response is not None  # set by the opening handshake
    granted = link.response.headers.get(SESSION_HEADER)
    if granted == aic:
        return
    if granted is not None:
        raise AipError(Code.INVALID_AGENT_RESPONSE, "the server bound the session to another AIC")
    async with asyncio.timeout(timeout):
        await link.done.wait()
    code, _, _ = (link.close_reason or "").partition(" ")
    try:
        refused = Code(int(code))  # the registry code the server closed with
    except ValueError:
        refused = Code.AUTHENTICATION_REQUIRED  # no session, and no registered reason given
    raise AipError(refused, "the server refused our certificate")


# OpenSSL's verdict on the server's chain, as registry codes; anything else is -33503.
_VERIFY_CODES = {
    9: Code.CERTIFICATE_NOT_YET_VALID,  # X509_V_ERR_CERT_NOT_YET_VALID
    10: Code.CERTIFICATE_EXPIRED,  # X509_V_ERR_CERT_HAS_EXPIRED
    23: Code.CERTIFICATE_REVOKED,  # X509_V_ERR_CERT_REVOKED
    26: Code.CERTIFICATE_WRONG_USAGE,  # X509_V_ERR_INVALID_PURPOSE
}


def refusal(exc: BaseException) -> AipError | None:
    """What a failed ``wss://`` opening tells the client, as a registry code [SES-TLS-006].

    OpenSSL refused the server's certificate: its Part 6 code.  The server hung up after the
    TLS handshake and before answering the upgrade: it refused our certificate at the TLS layer
    (in TLS 1.3 the client's side of the handshake is complete before the server checks the
    client certificate), AUTHENTICATION_REQUIRED.  None for anything else (unreachable, reset).
    """
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = _VERIFY_CODES.get(exc.verify_code, Code.CERTIFICATE_CHAIN_INVALID)
        return AipError(code, "the server's certificate failed TLS verification")
    if isinstance(exc, InvalidMessage) and isinstance(exc.__cause__, EOFError):
        return AipError(Code.AUTHENTICATION_REQUIRED, "the server refused our certificate")
    return None
