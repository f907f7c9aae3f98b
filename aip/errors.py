"""The error registry binding and the library's exception types.

``spec/errors.json`` is the single registry of codes; :class:`Code` mirrors it (a test keeps the
two equal, in both directions).  Every exception the library raises on bad input is an
:class:`AipError` carrying one registry code, so callers and tests match on ``exc.code``, never on
message text.  Peer misbehaviour found on a receive path is turned into an error reply carrying
the same code (see :meth:`AipError.to_wire`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any

from aip._spec import spec_dir

__all__ = [
    "AicError",
    "AipError",
    "AuditError",
    "CertificateError",
    "Code",
    "CodecError",
    "DiscoveryError",
    "EnrollmentError",
    "IntegrityError",
    "InteractionError",
    "KeyMaterialError",
    "RegistryEntry",
    "SessionError",
    "error_object",
    "registry",
]


class Code(IntEnum):
    """Every error code of the registry, by name (``spec/errors.json``)."""

    PARSE_ERROR = -32700
    INVALID_REQUEST = -32600
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    TASK_NOT_FOUND = -32001
    TASK_NOT_CANCELABLE = -32002
    NOTIFICATION_NOT_SUPPORTED = -32003
    UNSUPPORTED_OPERATION = -32004
    CONTENT_TYPE_NOT_SUPPORTED = -32005
    INVALID_AGENT_RESPONSE = -32006
    GROUP_NOT_SUPPORTED = -32007
    AUTHENTICATION_REQUIRED = -32008
    AUTHORIZATION_FAILED = -32009
    ACCESS_TOKEN_INVALID = -32010
    CAPACITY_REDIRECT = 30701
    REGION_REDIRECT = 30702
    MAX_REDIRECTS_EXCEEDED = 30703
    MISSING_QUERY = 40001
    FORWARD_DEPTH_LIMIT_INVALID = 40002
    FORWARD_CHAIN_INVALID = 40003
    FILTER_INVALID = 40004
    FORWARD_FANOUT_LIMIT_INVALID = 40005
    CERTIFICATE_INVALID = 40101
    CALLER_RATE_LIMITED = 42901
    TENANT_RATE_LIMITED = 42902
    DISCOVERY_INTERNAL_ERROR = 50001
    FORWARD_LOOP_DETECTED = 50801
    FORWARD_DEPTH_EXCEEDED = 50802
    FORWARD_CHAIN_TAMPERED = 50803
    FORWARD_FANOUT_EXCEEDED = 50804
    FORWARD_SIGNATURE_INVALID = 50805
    INVALID_UTF8 = -33101
    DUPLICATE_KEY = -33102
    INTEGER_OUT_OF_RANGE = -33103
    LONE_SURROGATE = -33104
    NON_FINITE_NUMBER = -33105
    NESTING_TOO_DEEP = -33106
    NOT_JSON_VALUE = -33107
    INTEGRITY_MISSING = -33201
    INTEGRITY_MALFORMED = -33202
    ALGORITHM_UNSUPPORTED = -33203
    KEY_UNKNOWN = -33204
    SIGNATURE_INVALID = -33205
    AIC_MALFORMED = -33301
    AIC_OUT_OF_RANGE = -33302
    AIC_CHECKSUM_MISMATCH = -33303
    AIC_KIND_MISMATCH = -33304
    SALT_INVALID = -33305
    KEY_INVALID = -33401
    KEY_DECRYPTION_FAILED = -33402
    KEY_PASSPHRASE_REQUIRED = -33403
    CERTIFICATE_MALFORMED = -33501
    CERTIFICATE_PROFILE_INVALID = -33502
    CERTIFICATE_CHAIN_INVALID = -33503
    CERTIFICATE_EXPIRED = -33504
    CERTIFICATE_NOT_YET_VALID = -33505
    CERTIFICATE_REVOKED = -33506
    CERTIFICATE_WRONG_USAGE = -33507
    REVOCATION_LIST_INVALID = -33508
    ENROLLMENT_TOKEN_UNKNOWN = -33601
    ENROLLMENT_TOKEN_EXPIRED = -33602
    ENROLLMENT_TOKEN_USED = -33603
    ENROLLMENT_AIC_MISMATCH = -33604
    CSR_INVALID = -33605
    RENEWAL_NOT_DUE = -33606
    ALREADY_REVOKED = -33607
    VALIDITY_INVALID = -33608
    ISSUER_MISMATCH = -33609
    ROTATION_PROOF_INVALID = -33610
    SERIAL_INVALID = -33611
    CERTIFICATE_SUPERSEDED = -33612
    HANDSHAKE_OUT_OF_ORDER = -33701
    PROOF_MALFORMED = -33702
    CHALLENGE_MISMATCH = -33703
    AUDIENCE_MISMATCH = -33704
    CLOCK_SKEW = -33705
    CHALLENGE_REPLAYED = -33706
    HANDSHAKE_TIMEOUT = -33707
    PEER_AIC_MISMATCH = -33708
    SESSION_EXPIRED = -33709
    PEER_NOT_CONNECTED = -33710
    ACS_INVALID = -33801
    AGENT_NOT_FOUND = -33802
    REGISTRATION_STATE_INVALID = -33803
    DOMAIN_NOT_OWNED = -33804
    ONTOLOGY_NOT_APPROVED = -33805
    CURSOR_EXPIRED = -33806
    SNAPSHOT_NOT_FOUND = -33807
    MESSAGE_INVALID = -33901
    RECORD_INVALID = -34101
    ENTRY_TOO_LARGE = -34102
    ENTRY_NOT_FOUND = -34103
    ENTRY_ERASED = -34104
    TREE_SIZE_INVALID = -34105
    PROOF_INVALID = -34106
    NOTE_MALFORMED = -34107
    NOTE_SIGNATURE_INVALID = -34108
    CHECKPOINT_INCONSISTENT = -34109
    COSIGNATURE_MISSING = -34110
    WITNESS_CONFLICT = -34111
    LOG_UNKNOWN = -34112
    ENTRY_MISMATCH = -34113

@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """One row of ``spec/errors.json``."""

    code: int
    name: str
    origin: str
    meaning: str
    retryable: bool
    parent: int | None = None
    http: int | None = None


@cache
def registry() -> dict[int, RegistryEntry]:
    """Load the registry, keyed by code.  Raises ``FileNotFoundError`` if it is not installed."""
    raw = json.loads((spec_dir() / "errors.json").read_text(encoding="utf-8"))
    return {row["code"]: RegistryEntry(**row) for row in raw["errors"]}


class AipError(Exception):
    """Base of every error the library raises on bad input; ``code`` is a :class:`Code`."""

    def __init__(self, code: Code, message: str, *, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.name}, {self.message!r})"

    @property
    def retryable(self) -> bool:
        """Whether the registry says a retry of the same request may succeed."""
        return registry()[int(self.code)].retryable

    def to_wire(self) -> dict[str, Any]:
        """The JSON-RPC ``error`` object for this failure (see :func:`error_object`)."""
        return error_object(self.code, self.message, self.data)


def error_object(code: int, message: str, data: Any = None) -> dict[str, Any]:
    """The JSON-RPC 2.0 error object (§5.1) for a registered ``code``; ``data=None`` omits it.

    A code of our own (origin aip-ri) also carries ``data.parent``, the standard code that a
    peer which does not know ours falls back to [ARC-RPC-006].  Local misuse raises:
    ``ValueError`` for a code absent from ``spec/errors.json``, ``TypeError`` for an aip-ri
    code whose ``data`` is not an object.
    """
    entry = registry().get(int(code))
    if entry is None:
        raise ValueError(f"error code {int(code)} is not in the registry")
    body: dict[str, Any] = {"code": int(code), "message": message}
    if entry.parent is not None:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise TypeError(f"data of error {int(code)} must be an object")
        data = {**data, "parent": entry.parent}
    if data is not None:
        body["data"] = data
    return body


class CodecError(AipError):
    """The bytes or value are not strict I-JSON (codes -32700, -331xx)."""


class IntegrityError(AipError):
    """A signed object failed verification; the one failure type for bad signatures (-332xx)."""


class AicError(AipError):
    """An Agent Identity Code is malformed, out of range or fails its checksum (-333xx)."""


class KeyMaterialError(AipError):
    """Key bytes or a key file are unusable (-334xx)."""


class CertificateError(AipError):
    """A certificate, chain or revocation list fails a check (-335xx)."""


class EnrollmentError(AipError):
    """The CA refuses an enrollment, renewal or revocation request (-336xx)."""


class SessionError(AipError):
    """A session handshake fails (-337xx); the peer's connection is then closed."""


class AuditError(AipError):
    """An audit record, log entry, Merkle proof, signed note or witness exchange failed (-341xx)."""


class DiscoveryError(AipError):
    """An ACS document, registration step, discovery request, filter, forwarded hop or sync
    cursor was refused (-338xx, and the ADP codes 30701..50805)."""


class InteractionError(AipError):
    """An AIP message or a task command was refused (-339xx, and the AIP codes -32001 TaskNotFound,
    -32002 TaskNotCancelable, -32006 InvalidAgentResponse, -32009 AuthorizationFailed)."""
