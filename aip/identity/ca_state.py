"""The mutable state of a domain CA: settings, issued certificates, revocations, tokens.

Plain in-memory dataclasses; a service layer persists them through :meth:`CaState.to_dict` and
:meth:`CaState.from_dict` (JSON-able: serials as lowercase hex strings, since they exceed the
I-JSON integer range; times as RFC 3339 UTC; certificates as base64url DER).  Keys never live
here: see :meth:`aip.identity.ca.DomainCA.to_pem_bundle`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from aip.errors import Code, EnrollmentError
from aip.identity.certificates import (
    AgentCertificateInfo,
    certificate_der,
    format_utc,
    inspect_agent_certificate,
    load_certificate,
    parse_utc,
)
from aip.identity.enrollment import TokenBook
from aip.identity.keys import b64url_decode, b64url_encode
from aip.identity.revocation import RevocationEntry, RevocationReason

__all__ = ["STATE_FORMAT", "CaState", "IssuedRecord"]

STATE_FORMAT = "aip-ca-state/1"


@dataclass(frozen=True, slots=True)
class IssuedRecord:
    """One certificate this CA issued: its DER, what it says, and what it renewed."""

    der: bytes
    info: AgentCertificateInfo
    predecessor: int | None = None

    @property
    def serial(self) -> int:
        """The certificate serial number."""
        return self.info.serial

    @classmethod
    def of(cls, cert: x509.Certificate, predecessor: int | None = None) -> IssuedRecord:
        """Record ``cert`` (which must pass the agent profile)."""
        info = inspect_agent_certificate(cert)
        return cls(certificate_der(cert), info, predecessor)


def _hex(serial: int) -> str:
    return format(serial, "x")


@dataclass(slots=True)
class CaState:
    """Everything a :class:`~aip.identity.ca.DomainCA` changes over time.

    ``crl_number`` is the number of the last revocation list signed (0: none yet).
    """

    domain: str
    max_validity_days: int = 1825
    renewal_window_days: int = 30
    crl_number: int = 0
    issued: dict[int, IssuedRecord] = field(default_factory=dict)
    revoked: dict[int, RevocationEntry] = field(default_factory=dict)
    tokens: TokenBook = field(default_factory=TokenBook.empty)

    def record(self, serial: int) -> IssuedRecord | None:
        """The issued record for ``serial``, or None."""
        return self.issued.get(serial)

    def revocation(self, serial: int) -> RevocationEntry | None:
        """The revocation entry for ``serial``, or None if it is not revoked."""
        return self.revoked.get(serial)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot; :meth:`from_dict` restores an equal state."""
        return {
            "format": STATE_FORMAT,
            "domain": self.domain,
            "max_validity_days": self.max_validity_days,
            "renewal_window_days": self.renewal_window_days,
            "crl_number": self.crl_number,
            "issued": [
                {
                    "serial": _hex(s),
                    "der": b64url_encode(rec.der),
                    "predecessor": None if rec.predecessor is None else _hex(rec.predecessor),
                }
                for s, rec in sorted(self.issued.items())
            ],
            "revoked": [
                {
                    "serial": _hex(s),
                    "revoked_at": format_utc(e.revoked_at),
                    "reason": int(e.reason),
                }
                for s, e in sorted(self.revoked.items())
            ],
            "tokens": self.tokens.to_list(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaState:
        """Restore a state written by :meth:`to_dict`.

        Raises :class:`EnrollmentError` INVALID_PARAMS if the dict is not such a snapshot
        (wrong format tag, missing fields, a certificate that does not parse).
        """
        try:
            if data["format"] != STATE_FORMAT:
                raise ValueError("unknown state format")
            issued: dict[int, IssuedRecord] = {}
            for item in data["issued"]:
                cert = load_certificate(b64url_decode(item["der"]))
                pred = item["predecessor"]
                rec = IssuedRecord.of(cert, None if pred is None else int(pred, 16))
                if rec.serial != int(item["serial"], 16):
                    raise ValueError("serial does not match the certificate")
                issued[rec.serial] = rec
            revoked = {
                int(item["serial"], 16): RevocationEntry(
                    int(item["serial"], 16),
                    parse_utc(item["revoked_at"]),
                    RevocationReason(item["reason"]),
                )
                for item in data["revoked"]
            }
            dangling = [s for s in revoked if s not in issued] + [
                r.predecessor for r in issued.values()
                if r.predecessor is not None and r.predecessor not in issued
            ]
            if dangling:
                raise ValueError(f"serials {dangling} are not among the issued certificates")
            return cls(
                domain=str(data["domain"]),
                max_validity_days=int(data["max_validity_days"]),
                renewal_window_days=int(data["renewal_window_days"]),
                crl_number=int(data["crl_number"]),
                issued=issued,
                revoked=revoked,
                tokens=TokenBook.from_list(list(data["tokens"])),
            )
        except Exception as exc:  # KeyError, TypeError, ValueError, CertificateError
            raise EnrollmentError(Code.INVALID_PARAMS, f"not a CA state snapshot: {exc}") from None
