"""The node's certificate desk over the wire (shell: clock, randomness, files).

``atr.enroll`` redeems a one-time token (:meth:`Enrollment.issue_token`) for certificates —
before any session, since the token is its credential; ``atr.renew`` and ``atr.revoke`` move a
certificate on for an authenticated session; ``atr.revocationList`` publishes the signed list to
anyone.  Every change to the CA is written to disk before it is acknowledged, and rolled back in
memory if that write fails, so an answer a caller receives is never lost and a failure never
burns a token [IDN-ENR-006] [IDN-REN-010] [IDN-REV-013]; an enrollment answer lost on the way is
given again to the same request [IDN-ENR-011].

Development mode (off unless the node is started with it) enrolls a local agent without a
token [IDN-ENR-008] [IDN-ENR-009] [IDN-ENR-010].
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509

from aip.errors import AipError, Code, EnrollmentError
from aip.identity.aic import parse_aic, require_entity
from aip.identity.ca import DEFAULT_CRL_PERIOD
from aip.identity.certificates import (
    MAX_SERIAL,
    Usage,
    certificate_pem,
    format_utc,
    inspect_agent_certificate,
    load_certificate,
)
from aip.identity.enrollment import DEFAULT_TOKEN_TTL, ENROLL_METHOD, parse_csr, token_id_of
from aip.identity.keys import b64url_decode
from aip.jsonrpc import Caller, expect_params
from aip.node.datadir import DataDir

__all__ = [
    "DEV_MODE_BANNER",
    "ENROLL",
    "ISSUE_TOKEN",
    "RENEW",
    "REVOCATION_LIST",
    "REVOKE",
    "EndSessions",
    "Enrollment",
    "require_loopback",
]

ENROLL = ENROLL_METHOD
ISSUE_TOKEN = "atr.issueToken"  # operator only
RENEW = "atr.renew"  # authenticated: the certificate's own AIC, or the operator
REVOKE = "atr.revoke"  # authenticated: the certificate's own AIC, or the operator
REVOCATION_LIST = "atr.revocationList"  # public
DEV_MODE_BANNER = "DEVELOPMENT MODE: any local agent is enrolled without a token"

# Closes the authenticated sessions whose caller the predicate selects, with a reason code
# (:meth:`aip.transport.listener.SessionListener.end_sessions`); returns how many.
EndSessions = Callable[[Callable[[Caller], bool], Code], int]

_SERIAL_TEXT = re.compile(r"[1-9][0-9]{0,47}")  # 2^159 - 1 has 48 digits [IDN-REV-010]
logger = logging.getLogger("aip.node")


def _params(why: str) -> AipError:
    return AipError(Code.INVALID_PARAMS, why)


def _denied(why: str) -> AipError:
    return AipError(Code.AUTHORIZATION_FAILED, why)


def require_loopback(host: str, public_urls: Sequence[str]) -> None:
    """Check that a node may run in development mode: it listens on loopback only and answers
    to no public URL [IDN-ENR-009].  Raises ``ValueError`` otherwise."""
    try:
        local = host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        local = False
    if not local or public_urls:
        raise ValueError("development mode needs a loopback host and no public URLs")


def parse_serial(text: object) -> int:
    """A certificate serial from its canonical decimal text [IDN-REV-010].

    Raises :class:`AipError` INVALID_PARAMS for anything else (a JSON number included: serials
    exceed the I-JSON integer range).
    """
    if not isinstance(text, str) or _SERIAL_TEXT.fullmatch(text) is None:
        raise _params("serial is decimal text without sign or leading zeros")
    serial = int(text)
    if serial > MAX_SERIAL:
        raise _params("serial is at most 2^159 - 1")
    return serial


@dataclass(frozen=True, slots=True)
class _SignedList:
    """The revocation list last signed: for which revocations, and until when it is served."""

    revoked: frozenset[int]
    refresh_at: datetime
    pem: str


class Enrollment:
    """The node's certificate desk, over its data directory's CA.

    ``operator`` is the operator's AIC; ``end_sessions`` ends the sessions of revoked
    certificates (none are ended without it); ``dev_mode`` turns on tokenless enrollment.
    """

    def __init__(
        self,
        data: DataDir,
        operator: str,
        clock: Callable[[], datetime] | None = None,
        *,
        dev_mode: bool = False,
        end_sessions: EndSessions | None = None,
    ) -> None:
        self._data = data
        self._operator = operator
        self._clock = clock or (lambda: datetime.now(UTC))
        self._dev = dev_mode
        self._end_sessions = end_sessions
        self._list: _SignedList | None = None
        if dev_mode:
            logger.warning("%s (node %s)", DEV_MODE_BANNER, data.identity.aic)

    def _commit(self, change: Callable[[], Any]) -> Any:
        """Apply ``change`` to the CA, persist it, or undo it if persisting fails.

        The CA state journals what ``change`` touches, so saving writes those records only and
        undoing puts back only them: the cost does not grow with the records kept.  ``change``
        itself changes nothing when it raises (a refused request costs no more than its checks).
        """
        result = change()  # raises, changing nothing, when the request is refused
        try:
            self._data.save_ca_state()
        except BaseException:
            self._data.discard_ca_changes()
            raise
        return result

    # --- enrollment ----------------------------------------------------------------------------

    def issue_token(self, aic: str, ttl: timedelta = DEFAULT_TOKEN_TTL) -> str:
        """Operator: a one-time enrollment token for ``aic`` (24 h by default), persisted.

        Raises :class:`~aip.errors.AicError` for a bad AIC, ``OSError`` if it cannot be saved.
        """
        return self.issue_tokens([aic], ttl)[0]

    def issue_tokens(self, aics: Sequence[str], ttl: timedelta = DEFAULT_TOKEN_TTL) -> list[str]:
        """One-time enrollment tokens for ``aics``, persisted together (one durable save):
        all of them or, if one AIC is bad or the save fails, none.  Raises as
        :meth:`issue_token`."""
        ca, now = self._data.identity.ca, self._clock()
        for aic in aics:  # every AIC first, so that a bad one refuses the batch unchanged
            parse_aic(aic)
        drawn = [(aic, secrets.token_bytes(32)) for aic in aics]
        tokens: list[str] = self._commit(
            lambda: [ca.issue_token(aic, secret, now, ttl) for aic, secret in drawn]
        )
        return tokens

    def issue_token_call(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """``atr.issueToken {aic, ttlSeconds?}`` (operator sessions only): a fresh token."""
        if caller.aic != self._operator:
            raise _denied("operator sessions only")
        expect_params(params, required=frozenset({"aic"}), optional=frozenset({"ttlSeconds"}))
        ttl = params.get("ttlSeconds", int(DEFAULT_TOKEN_TTL.total_seconds()))
        if type(ttl) is not int or not 60 <= ttl <= int(DEFAULT_TOKEN_TTL.total_seconds()):
            raise _params("ttlSeconds is an integer from 60 to 86400")
        aic = params["aic"]
        if not isinstance(aic, str):
            raise _params("aic is text")
        return {"token": self.issue_token(aic, timedelta(seconds=ttl)), "ttlSeconds": ttl}

    def enroll(self, params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        """``atr.enroll {token, csr, usages}``: redeem the token, return the certificates.

        Params: ``token`` (text), ``csr`` (PEM), ``usages`` (a list of "clientAuth" and/or
        "serverAuth"); in development mode ``token`` may be left out.  Result:
        ``certificates`` (usage -> [leaf PEM, intermediate PEM]) and ``trustBundle``
        ([root PEM]).  Refusals carry the -336xx / -335xx codes of Part 6, and -32602 for a
        missing token outside development mode [IDN-ENR-008].
        """
        dev = self._dev and "token" not in params
        names = {"csr", "usages"} if dev else {"token", "csr", "usages"}
        expect_params(params, required=frozenset(names))
        token, csr, usages = params.get("token", ""), params["csr"], params["usages"]
        if not (isinstance(token, str) and isinstance(csr, str) and isinstance(usages, list)):
            raise _params("token and csr are text, usages a list")
        try:
            wanted = [Usage(u) for u in usages]
        except ValueError:
            raise _params("usages are clientAuth and serverAuth") from None
        ca = self._data.identity.ca
        serials = [secrets.randbelow(MAX_SERIAL) + 1 for _ in wanted]
        now = self._clock()
        if dev:
            aic = self._dev_aic(csr, wanted)
            secret = secrets.token_bytes(32)

            def enroll() -> tuple[x509.Certificate, ...]:
                text = ca.issue_token(aic, secret, now)  # registered and approved at once
                try:
                    return ca.enroll(text, csr, now, wanted, serials)
                except BaseException:
                    ca.state.tokens.records.pop(token_id_of(secret), None)
                    raise

            issued = self._commit(enroll)
        else:
            issued = self._commit(lambda: ca.enroll(token, csr, now, wanted, serials))
        return {
            "certificates": {
                str(inspect_agent_certificate(cert).usage): self._chain(cert) for cert in issued
            },
            "trustBundle": [ca.trust_bundle_pem().decode("ascii")],
        }

    def _dev_aic(self, csr: str, wanted: list[Usage]) -> str:
        """The AIC a tokenless request may enroll, checked in the order of [IDN-ENR-010]."""
        if not wanted or len(set(wanted)) != len(wanted):  # [IDN-ENR-007]
            raise _params("ask for clientAuth, serverAuth or both, once each")
        request = parse_csr(csr)  # CSR_INVALID [IDN-ENR-005]
        if request.cn is None:
            raise EnrollmentError(Code.CSR_INVALID, "the CSR names no AIC in its commonName")
        aic = require_entity(parse_aic(request.cn))
        node = self._data.identity.aic
        if (aic.version, aic.registry) != (node.version, node.registry):
            raise _denied("this node enrolls only AICs of its own registry")
        if aic.ontology_prefix == node.ontology_prefix:  # the node's and the operator's own
            raise _denied("the node's own ontology is not enrolled without a token")
        return str(aic)

    def _chain(self, cert: x509.Certificate) -> list[str]:
        """[leaf PEM, intermediate PEM]: what a certificate's holder presents."""
        inter = self._data.identity.ca.chain_pem()
        return [certificate_pem(cert).decode("ascii"), inter.decode("ascii")]

    # --- renewal, revocation -------------------------------------------------------------------

    def renew(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """``atr.renew {certificate, csr, rotationProof?, force?}``: the renewed certificate.

        Params: ``certificate`` (PEM of the current leaf), ``csr`` (PEM; a new key rotates),
        ``rotationProof`` (the IDN-ROT-002 signature by the current key, unpadded base64url;
        with a new key only), ``force`` (operator only: ignore the renewal window).  Result:
        ``certificates`` ({usage: [leaf PEM, intermediate PEM]}).  Raises, first failure wins
        [IDN-REN-009]: INVALID_PARAMS; CERTIFICATE_MALFORMED / CERTIFICATE_PROFILE_INVALID;
        AUTHORIZATION_FAILED [IDN-REN-007] [IDN-REN-008]; ROTATION_PROOF_INVALID (not
        base64url); then what :meth:`~aip.identity.ca.DomainCA.renew` raises.
        """
        expect_params(
            params,
            required=frozenset({"certificate", "csr"}),
            optional=frozenset({"rotationProof", "force"}),
        )
        current, csr = params["certificate"], params["csr"]
        proof, force = params.get("rotationProof", ""), params.get("force", False)
        if not (isinstance(current, str) and isinstance(csr, str)):
            raise _params("certificate and csr are PEM text")
        if not isinstance(proof, str) or type(force) is not bool:
            raise _params("rotationProof is text, force a boolean")
        info = inspect_agent_certificate(load_certificate(current))
        operator = caller.aic == self._operator
        if info.aic != caller.aic and not operator:  # [IDN-REN-007]
            raise _denied("a session renews the certificates of its own AIC only")
        if force and not operator:  # [IDN-REN-008]
            raise _denied("only the operator forces a renewal")
        try:
            signature = b64url_decode(proof) if "rotationProof" in params else None
        except ValueError:
            raise EnrollmentError(
                Code.ROTATION_PROOF_INVALID, "rotationProof is unpadded base64url"
            ) from None
        ca = self._data.identity.ca
        serial = secrets.randbelow(MAX_SERIAL) + 1
        now = self._clock()
        before = frozenset(ca.state.revoked)
        cert: x509.Certificate = self._commit(
            lambda: ca.renew(current, csr, now, serial, force=force, rotation_signature=signature)
        )
        self._ended(frozenset(ca.state.revoked) - before, now)  # a rotation retires a key
        return {"certificates": {str(info.usage): self._chain(cert)}}

    def revoke(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """``atr.revoke {serial, reason}``: revoke a certificate of this CA.

        Params: ``serial`` (canonical decimal text), ``reason`` (an integer 0..5).  The
        operator revokes any certificate, any other session those of its own AIC.  Result:
        ``serial``, ``reason``, ``revokedAt``.  Raises, first failure wins [IDN-REV-012]:
        INVALID_PARAMS (shape, serial, reason); AUTHORIZATION_FAILED [IDN-REV-011];
        ISSUER_MISMATCH; ALREADY_REVOKED.
        """
        expect_params(params, required=frozenset({"serial", "reason"}))
        serial, reason = parse_serial(params["serial"]), params["reason"]
        if type(reason) is not int or not 0 <= reason <= 5:  # [IDN-REV-002]
            raise _params("reason is an integer from 0 to 5")
        ca = self._data.identity.ca
        record = ca.state.issued.get(serial)
        own = record is not None and record.info.aic == caller.aic
        if not own and caller.aic != self._operator:  # [IDN-REV-011]
            raise _denied("a session revokes the certificates of its own AIC only")
        now = self._clock()
        entry = self._commit(lambda: ca.revoke(serial, reason, now))
        self._ended(frozenset({serial}), now)  # [SES-HSK-008]
        return {
            "serial": str(entry.serial),
            "reason": int(entry.reason),
            "revokedAt": format_utc(entry.revoked_at),
        }

    def _ended(self, revoked: frozenset[int], now: datetime) -> None:
        """End the sessions whose AIC and key no valid clientAuth certificate binds any more
        [SES-HSK-008]: the holder could not authenticate again, so it may not stay on."""
        if not revoked or self._end_sessions is None:
            return
        state = self._data.identity.ca.state
        live = {
            (r.info.aic, r.info.key)
            for r in state.issued.values()
            if r.info.usage is Usage.CLIENT
            and r.serial not in state.revoked
            and r.info.not_before <= now <= r.info.not_after
        }
        lost = {
            (r.info.aic, r.info.key)
            for r in (state.issued[s] for s in revoked)
            if r.info.usage is Usage.CLIENT
        } - live
        if lost:
            self._end_sessions(lambda c: (c.aic, c.key) in lost, Code.CERTIFICATE_REVOKED)

    def revocation_list(self, params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        """``atr.revocationList`` (public, no params): ``{"revocationList": <CRL PEM>}``.

        The list names every revocation acknowledged so far and is fresh for at least half its
        period: a new one is signed (and its number persisted) when a revocation was added or
        half the period has passed [IDN-REV-014].  Raises INVALID_PARAMS for params.
        """
        expect_params(params)
        ca = self._data.identity.ca
        now = self._clock()
        revoked = frozenset(ca.state.revoked)
        signed = self._list
        if signed is None or signed.revoked != revoked or now >= signed.refresh_at:
            pem: bytes = self._commit(lambda: ca.revocation_list(now))
            signed = _SignedList(revoked, now + DEFAULT_CRL_PERIOD / 2, pem.decode("ascii"))
            self._list = signed
        return {"revocationList": signed.pem}
