"""Behaviour audit (spec Part 11): signed AMP log records and the node's transparency log.

Pure core: :mod:`~aip.audit.merkle` (RFC 9162 tree hashing and proofs), :mod:`~aip.audit.note`
(C2SP signed notes and verifier keys), :mod:`~aip.audit.checkpoint` (tlog checkpoints and
cosignatures), :mod:`~aip.audit.records` (AMP log records), :mod:`~aip.audit.entries` (salted
commitments) and :mod:`~aip.audit.witness` (the witness's rules).  Shells: the SQLite store
:mod:`~aip.audit.store` and the log service :mod:`~aip.audit.log`.
"""

__all__: list[str] = []
