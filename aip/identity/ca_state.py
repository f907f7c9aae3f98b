"""The mutable state of a domain CA: settings, issued certificates, revocations, tokens.

Plain in-memory dataclasses; a service layer persists them through :meth:`CaState.to_dict` and
:meth:`CaState.from_dict` (JSON-able: serials as lowercase hex strings, since they exceed the
I-JSON integer range; times as RFC 3339 UTC; certificates as base64url DER).  Keys never live
here: see :meth:`aip.identity.ca.DomainCA.to_pem_bundle`.

A state also keeps a journal of what changed since it was last saved, so that a store writes
only those records and a failed save is undone in memory, both at a cost independent of how
many records there are: :meth:`CaState.changes`, :meth:`CaState.settle`,
:meth:`CaState.discard`.  The journal sits in the dicts themselves (``issued``, ``revoked``,
``tokens.records``), so every change through them is seen; mutate them, never replace them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

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
from aip.identity.enrollment import TokenBook, TokenRecord
from aip.identity.keys import b64url_decode, b64url_encode
from aip.identity.revocation import RevocationEntry, RevocationReason

__all__ = ["STATE_FORMAT", "CaChanges", "CaState", "IssuedRecord"]

STATE_FORMAT = "aip-ca-state/1"
# The scalar fields of a CaState, by the name a store keeps them under.
SETTINGS = ("domain", "max_validity_days", "renewal_window_days", "crl_number")

K = TypeVar("K")
V = TypeVar("V")
_ABSENT: Any = object()  # "the key was not there" in a journal


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


class _Journal(dict[K, V]):
    """A dict that remembers, for each key changed since :meth:`settle`, its value before.

    Every mutating dict method goes through :meth:`__setitem__` / :meth:`__delitem__` or notes
    the key itself, so nothing escapes the journal.
    """

    __slots__ = ("before",)

    def __init__(self, items: dict[K, V] | None = None) -> None:
        super().__init__(items or {})
        self.before: dict[K, Any] = {}

    def _note(self, key: K) -> None:
        if key not in self.before:
            self.before[key] = dict.get(self, key, _ABSENT)

    def __setitem__(self, key: K, value: V) -> None:
        self._note(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: K) -> None:
        if key in self:
            self._note(key)
        super().__delitem__(key)

    def pop(self, key: K, *default: Any) -> Any:
        if key in self:
            self._note(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[K, V]:
        if not self:
            raise KeyError("popitem(): dictionary is empty")
        key = next(reversed(self))
        value = self[key]
        del self[key]
        return key, value

    def clear(self) -> None:
        for key in self:
            self._note(key)
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: K, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def __ior__(self, other: Any) -> _Journal[K, V]:  # type: ignore[override,misc]
        self.update(other)
        return self

    def changed(self) -> dict[K, V | None]:
        """Each key changed since :meth:`settle`: its value now, None if it is gone."""
        out: dict[K, V | None] = {}
        for key, old in self.before.items():
            new = dict.get(self, key, _ABSENT)
            if new is not old:
                out[key] = None if new is _ABSENT else new
        return out

    def settle(self) -> None:
        """Forget the journal: the current values are the saved ones."""
        self.before.clear()

    def discard(self) -> None:
        """Put back every changed key as it was at :meth:`settle`, and forget the journal."""
        for key, old in self.before.items():
            if old is _ABSENT:
                dict.pop(self, key, None)
            else:
                dict.__setitem__(self, key, old)
        self.before.clear()


def _journal(items: dict[K, V], name: str) -> _Journal[K, V]:
    if not isinstance(items, _Journal):
        raise TypeError(f"CaState.{name} was replaced: change it in place")  # untracked
    return items


@dataclass(frozen=True, slots=True)
class CaChanges:
    """What changed in a :class:`CaState` since it was last saved, as the new values.

    ``settings`` maps changed scalar fields (``domain``, ``max_validity_days``,
    ``renewal_window_days``, ``crl_number``) to their values; the others map a key to its record
    now, or None when it was removed.
    """

    settings: dict[str, Any]
    issued: dict[int, IssuedRecord | None]
    revoked: dict[int, RevocationEntry | None]
    tokens: dict[str, TokenRecord | None]

    def __bool__(self) -> bool:
        return bool(self.settings or self.issued or self.revoked or self.tokens)


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
    _settled: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.issued, _Journal):
            self.issued = _Journal(self.issued)
        if not isinstance(self.revoked, _Journal):
            self.revoked = _Journal(self.revoked)
        if not isinstance(self.tokens.records, _Journal):
            self.tokens.records = _Journal(self.tokens.records)
        self._settled = self._settings()

    def _settings(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SETTINGS}

    def changes(self) -> CaChanges:
        """What changed since the state was created or last :meth:`settle`-d (not a copy of
        the state: its size is that of the changes).  Raises ``TypeError`` if one of the
        dicts was replaced instead of changed in place (its changes would go unseen)."""
        settings = {k: v for k, v in self._settings().items() if self._settled[k] != v}
        return CaChanges(
            settings,
            _journal(self.issued, "issued").changed(),
            _journal(self.revoked, "revoked").changed(),
            _journal(self.tokens.records, "tokens").changed(),
        )

    def settle(self) -> None:
        """Mark the current state as saved: :meth:`changes` is empty again."""
        _journal(self.issued, "issued").settle()
        _journal(self.revoked, "revoked").settle()
        _journal(self.tokens.records, "tokens").settle()
        self._settled = self._settings()

    def discard(self) -> None:
        """Undo every change since the state was created or last :meth:`settle`-d (a save
        that failed): memory is again what was saved."""
        _journal(self.issued, "issued").discard()
        _journal(self.revoked, "revoked").discard()
        _journal(self.tokens.records, "tokens").discard()
        for name, value in self._settled.items():
            setattr(self, name, value)

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
                r.predecessor
                for r in issued.values()
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
