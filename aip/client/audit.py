"""The agent's side of the audit log (spec Part 11): record what it did, prove it is logged.

Wrap an authenticated session in an :class:`AuditTrail`.  :meth:`AuditTrail.record` signs an
audit record with the agent's key and appends it to the node's transparency log; the node
answers once the entry is durable, with a :class:`Receipt`.  :meth:`AuditTrail.prove` later
checks, without trusting the node, that the record is in a checkpoint signed by the node's log
key: it opens the commitment with the salt and verifies the inclusion proof.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aip.audit.checkpoint import Checkpoint, open_checkpoint
from aip.audit.entries import check_opening
from aip.audit.merkle import decode_hash, leaf_hash, verify_inclusion
from aip.audit.note import NoteVerifier, parse_vkey
from aip.audit.records import audit_body, make_record, sign_record
from aip.client.session import AgentIdentity, Session
from aip.codec import canonicalize
from aip.errors import AuditError, Code

__all__ = ["AuditTrail", "Receipt"]


@dataclass(frozen=True, slots=True)
class Receipt:
    """Where the node put a record: its index, the salt and commitment, and the record."""

    index: int
    salt: bytes
    commitment: bytes
    record: dict[str, Any]


class AuditTrail:
    """Audit records of one agent over its authenticated ``session`` with its node.

    ``log_key`` pins the node's log (a vkey, as ``aip node`` prints it); without it the key
    the node publishes in ``node.info`` is used.
    """

    def __init__(
        self, session: Session, identity: AgentIdentity, *, log_key: str | None = None
    ) -> None:
        self._session = session
        self._identity = identity
        self._log_key = parse_vkey(log_key) if log_key is not None else None

    async def record(
        self,
        *,
        action: str,
        kind: str,
        target: dict[str, Any],
        status: str = "success",
        reason: str | None = None,
        code: int | None = None,
        correlation_id: str | None = None,
        attributes: dict[str, Any] | None = None,
        timeout: float = 10.0,
    ) -> Receipt:
        """Sign and append one audit record; return once the node holds it durably.

        Raises RECORD_INVALID for a record that breaks §11.2 (before anything is sent), and
        the node's refusal as :class:`~aip.errors.AipError`.
        """
        result: dict[str, Any] = {"status": status}
        if reason is not None:
            result["reason"] = reason
        if code is not None:
            result["errorCode"] = str(code)
        body = audit_body(
            actor={"id": self._identity.aic, "type": "agent"},
            action={"name": action, "type": kind},
            target=target,
            result=result,
        )
        record = sign_record(
            make_record(
                aic=self._identity.aic,
                log_type="audit",
                body=body,
                timestamp=datetime.now(UTC),
                correlation_id=correlation_id,
                attributes=attributes,
            ),
            self._identity.key,
        )
        answer = await self._session.call("audit.append", {"record": record}, timeout=timeout)
        try:
            receipt = Receipt(
                int(answer["index"]),
                base64.b64decode(answer["salt"], validate=True),
                decode_hash(answer["commitment"]),
                record,
            )
        except (KeyError, TypeError, ValueError):
            raise AuditError(Code.INVALID_AGENT_RESPONSE, "not an audit.append answer") from None
        check_opening(receipt.salt, canonicalize(record), receipt.commitment)  # [AUD-LOG-004]
        return receipt

    async def _verifier(self, timeout: float) -> NoteVerifier:
        if self._log_key is None:
            info = await self._session.call("node.info", timeout=timeout)
            audit = info.get("audit") if isinstance(info, dict) else None
            if not isinstance(audit, dict) or not isinstance(audit.get("logKey"), str):
                raise AuditError(Code.LOG_UNKNOWN, "the node publishes no audit log")
            self._log_key = parse_vkey(audit["logKey"])
        return self._log_key

    async def prove(self, receipt: Receipt, *, timeout: float = 10.0) -> Checkpoint:
        """Check that ``receipt``'s record is in the node's latest checkpoint; return it.

        Raises TREE_SIZE_INVALID while no checkpoint covers the record yet (retry after the
        node's checkpoint interval), NOTE_* codes for a checkpoint that is not the log's, and
        PROOF_INVALID / ENTRY_MISMATCH when the node's answer does not prove the record.
        """
        verifier = await self._verifier(timeout)
        answer = await self._session.call("audit.checkpoint", {}, timeout=timeout)
        checkpoint, _ = open_checkpoint(_member(answer, "checkpoint", str), verifier)
        if checkpoint.size <= receipt.index:
            raise AuditError(Code.TREE_SIZE_INVALID, "no checkpoint covers the record yet")
        proof = await self._session.call(
            "audit.inclusion", {"index": receipt.index, "size": checkpoint.size}, timeout=timeout
        )
        hashes = [decode_hash(h) for h in _member(proof, "proof", list)]
        verify_inclusion(
            leaf_hash(receipt.commitment), receipt.index, checkpoint.size, hashes, checkpoint.root
        )
        return checkpoint


def _member(answer: Any, name: str, kind: type) -> Any:
    """``answer[name]`` when the node's answer is an object holding a ``kind`` there."""
    value = answer.get(name) if isinstance(answer, dict) else None
    if not isinstance(value, kind):
        raise AuditError(Code.INVALID_AGENT_RESPONSE, f"the answer has no {name}")
    return value
