"""Enrollment over the wire: ``atr.enroll`` on the node (shell: clock, randomness, files).

An operator issues a one-time token for an AIC (:meth:`Enrollment.issue_token`); the agent
sends it with a CSR to ``atr.enroll`` — before any session, since the token is its credential —
and receives its certificates.  Every change to the CA is written to disk before it is
acknowledged, and rolled back in memory if that write fails, so an answer the agent receives is
never lost and a failure never burns the token [IDN-ENR-006].
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aip.errors import AipError, Code
from aip.identity.certificates import (
    MAX_SERIAL,
    Usage,
    certificate_pem,
    inspect_agent_certificate,
)
from aip.identity.enrollment import DEFAULT_TOKEN_TTL, ENROLL_METHOD
from aip.jsonrpc import Caller, expect_params
from aip.node.datadir import DataDir

__all__ = ["ENROLL", "ISSUE_TOKEN", "Enrollment"]

ENROLL = ENROLL_METHOD
ISSUE_TOKEN = "atr.issueToken"  # operator only


class Enrollment:
    """The node's enrollment desk, over its data directory's CA."""

    def __init__(
        self, data: DataDir, operator: str, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._data = data
        self._operator = operator
        self._clock = clock or (lambda: datetime.now(UTC))

    def _commit(self, change: Callable[[], Any]) -> Any:
        """Apply ``change`` to the CA, persist it, or undo it if persisting fails.

        The snapshot is shallow (the records are immutable), so a refused request costs no
        more than its checks; ``change`` itself changes nothing when it raises.
        """
        state = self._data.identity.ca.state
        before = (dict(state.issued), dict(state.revoked), state.crl_number)
        tokens = dict(state.tokens.records)
        result = change()  # raises, changing nothing, when the request is refused
        try:
            self._data.save_ca_state()
        except BaseException:
            state.issued, state.revoked, state.crl_number = before
            state.tokens.records.clear()
            state.tokens.records.update(tokens)
            raise
        return result

    def issue_token(self, aic: str, ttl: timedelta = DEFAULT_TOKEN_TTL) -> str:
        """Operator: a one-time enrollment token for ``aic`` (24 h by default), persisted.

        Raises :class:`~aip.errors.AicError` for a bad AIC, ``OSError`` if it cannot be saved.
        """
        secret = secrets.token_bytes(32)
        token: str = self._commit(
            lambda: self._data.identity.ca.issue_token(aic, secret, self._clock(), ttl)
        )
        return token

    def issue_token_call(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """``atr.issueToken {aic, ttlSeconds?}`` (operator sessions only): a fresh token."""
        if caller.aic != self._operator:
            raise AipError(Code.AUTHORIZATION_FAILED, "operator sessions only")
        expect_params(params, required=frozenset({"aic"}), optional=frozenset({"ttlSeconds"}))
        ttl = params.get("ttlSeconds", int(DEFAULT_TOKEN_TTL.total_seconds()))
        if type(ttl) is not int or not 60 <= ttl <= int(DEFAULT_TOKEN_TTL.total_seconds()):
            raise AipError(Code.INVALID_PARAMS, "ttlSeconds is an integer from 60 to 86400")
        aic = params["aic"]
        if not isinstance(aic, str):
            raise AipError(Code.INVALID_PARAMS, "aic is text")
        return {"token": self.issue_token(aic, timedelta(seconds=ttl)), "ttlSeconds": ttl}

    def enroll(self, params: dict[str, Any], _caller: Caller) -> dict[str, Any]:
        """``atr.enroll {token, csr, usages}``: redeem the token, return the certificates.

        Params: ``token`` (text), ``csr`` (PEM), ``usages`` (a list of "clientAuth" and/or
        "serverAuth").  Result: ``certificates`` (usage -> [leaf PEM, intermediate PEM]) and
        ``trustBundle`` ([root PEM]).  Refusals carry the -336xx / -335xx codes of Part 6.
        """
        expect_params(params, required=frozenset({"token", "csr", "usages"}))
        token, csr, usages = params["token"], params["csr"], params["usages"]
        if not (isinstance(token, str) and isinstance(csr, str) and isinstance(usages, list)):
            raise AipError(Code.INVALID_PARAMS, "token and csr are text, usages a list")
        try:
            wanted = [Usage(u) for u in usages]
        except ValueError:
            raise AipError(Code.INVALID_PARAMS, "usages are clientAuth and serverAuth") from None
        ca = self._data.identity.ca
        serials = [secrets.randbelow(MAX_SERIAL) + 1 for _ in wanted]
        now = self._clock()
        issued = self._commit(lambda: ca.enroll(token, csr, now, wanted, serials))
        intermediate = ca.chain_pem().decode("ascii")
        return {
            "certificates": {
                str(inspect_agent_certificate(cert).usage): [
                    certificate_pem(cert).decode("ascii"),
                    intermediate,
                ]
                for cert in issued
            },
            "trustBundle": [ca.trust_bundle_pem().decode("ascii")],
        }
