"""``aip audit``: export a node's transparency log, and verify a log as a third party.

* ``aip audit export --data DIR --out FILE`` writes a bundle (:mod:`aip.audit.bundle`) from a
  node's data directory; it reads the SQLite log and the CA state without locking the node.
* ``aip audit verify --bundle FILE`` checks a bundle end to end.
* ``aip audit verify --node URL`` checks a live node from its public methods: the latest
  checkpoint's signature and cosignatures, its consistency with the checkpoint remembered in
  ``--state FILE`` (a rollback or fork fails), and with ``--full`` every leaf against the root.

Both verify forms pin the log with ``--log-key VKEY`` (else they take the key the source
states, and say so), require ``--quorum N`` of the ``--witness VKEY`` keys, and exit 1 with
``aip audit: <CODE NAME>: <reason>`` on the first failure, 0 when everything holds.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

from aip.audit.bundle import BundleReport, make_bundle, verify_bundle
from aip.audit.checkpoint import Checkpoint, open_checkpoint, require_cosignatures
from aip.audit.merkle import Appender, decode_hash, leaf_hash, verify_consistency
from aip.audit.note import NoteVerifier, parse_vkey
from aip.codec import parse
from aip.errors import AipError, AuditError, Code
from aip.identity.certificates import load_certificate
from aip.identity.keys import VerifyKey
from aip.node.ca_store import read_ca_state

__all__ = ["audit_arguments", "run_audit"]

_PAGE = 1024  # audit.leaves answers at most this many


def audit_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``export`` and ``verify`` subcommands."""
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    export = sub.add_parser("export", help="write a bundle from a node's data directory")
    export.add_argument("--data", type=Path, required=True, help="the node's data directory")
    export.add_argument("--out", type=Path, required=True, help="bundle file to write")
    verify = sub.add_parser("verify", help="verify a bundle or a live node's log")
    source = verify.add_mutually_exclusive_group(required=True)
    source.add_argument("--bundle", type=Path, help="a bundle written by 'aip audit export'")
    source.add_argument("--node", help="a node's ws[s]:// URL")
    verify.add_argument("--log-key", help="the log's vkey to trust (pins the log)")
    verify.add_argument(
        "--witness",
        action="append",
        default=[],
        metavar="VKEY",
        help="a witness cosigner vkey (repeat)",
    )
    verify.add_argument(
        "--quorum",
        type=int,
        default=0,
        help="witness cosignatures required on the latest checkpoint",
    )
    verify.add_argument(
        "--state", type=Path, help="node mode: file remembering the last checkpoint verified"
    )
    verify.add_argument(
        "--full", action="store_true", help="node mode: fetch every leaf and recompute the root"
    )
    verify.add_argument("--json", action="store_true", help="print the result as JSON")


def run_audit(args: argparse.Namespace) -> int:
    """Run ``aip audit export`` or ``aip audit verify``; return the exit status."""
    try:
        if args.audit_command == "export":
            bundle = export_bundle(args.data)
            args.out.write_text(json.dumps(bundle, indent=1) + "\n", encoding="utf-8")
            print(
                f"wrote {args.out}: {len(bundle['leaves'])} leaves, "
                f"{len(bundle['checkpoints'])} checkpoints"
            )
            return 0
        witnesses = [parse_vkey(v) for v in args.witness]
        pinned = parse_vkey(args.log_key) if args.log_key else None
        if args.quorum < 0 or args.quorum > len(witnesses):
            raise ValueError("--quorum is between 0 and the number of --witness keys")
        if args.bundle is not None:
            report = _verify_file(args.bundle, pinned, witnesses, args.quorum)
            facts: dict[str, Any] = {
                "origin": report.origin,
                "size": report.size,
                "checkpoints": report.checkpoints,
                "entries": report.entries,
                "withoutPayload": report.erased,
                "cosigners": list(report.cosigners),
            }
        else:
            from aip.transport.loop import run  # noqa: PLC0415 (the event loop only here)

            facts = run(_verify_node(args, pinned, witnesses))
        facts["logKeyPinned"] = pinned is not None
    except AipError as exc:
        print(f"aip audit: {exc.code.name} ({int(exc.code)}): {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError, sqlite3.Error) as exc:
        print(f"aip audit: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"ok": True, **facts}))
    else:
        for name, value in facts.items():
            print(f"{name}: {value}")
        print("ok: the log verifies")
    return 0


def _verify_file(
    path: Path, pinned: NoteVerifier | None, witnesses: list[NoteVerifier], quorum: int
) -> BundleReport:
    try:
        bundle = parse(path.read_bytes())
    except AipError as exc:
        raise AuditError(Code.RECORD_INVALID, f"bundle is not strict JSON: {exc}") from None
    return verify_bundle(bundle, log_key=pinned, witnesses=witnesses, quorum=quorum)


def export_bundle(data: Path) -> dict[str, Any]:
    """A bundle of the log in node data directory ``data`` (read-only, while it runs too)."""
    path = data / "audit.sqlite3"
    if not path.is_file():
        raise ValueError(f"{path}: no audit log here")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        meta = dict(db.execute("SELECT key, value FROM meta"))
        checkpoints = [n for (n,) in db.execute("SELECT note FROM checkpoints ORDER BY size")]
        leaves = [bytes(c) for (c,) in db.execute("SELECT commitment FROM leaves ORDER BY idx")]
        entries = [
            (int(i), bytes(s), bytes(e))
            for i, s, e in db.execute("SELECT idx, salt, entry FROM payloads ORDER BY idx")
        ]
    finally:
        db.close()
    node_key = VerifyKey(_raw(load_certificate((data / "certs" / "node.pem").read_bytes())))
    keys = {node_key.key_id(): node_key}
    state = read_ca_state(data)
    for record in state.issued.values():  # every key the CA certified may sign a record
        keys[record.info.key.key_id()] = record.info.key
    origin = meta["origin"]
    log_key = NoteVerifier.from_key(origin, node_key).vkey()  # the node signs its log
    return make_bundle(
        origin=origin,
        log_key=log_key,
        checkpoints=checkpoints,
        leaves=leaves,
        entries=entries,
        keys=keys,
    )


def _raw(cert: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import (  # noqa: PLC0415
        Encoding,
        PublicFormat,
    )

    raw: bytes = cert.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return raw


async def _verify_node(
    args: argparse.Namespace, pinned: NoteVerifier | None, witnesses: list[NoteVerifier]
) -> dict[str, Any]:
    from aip.client.session import open_session  # noqa: PLC0415

    session = await open_session(args.node)
    try:
        info = await session.call("node.info", timeout=10.0)
        audit = info.get("audit") if isinstance(info, dict) else None
        if not isinstance(audit, dict) or not isinstance(audit.get("logKey"), str):
            raise AuditError(Code.LOG_UNKNOWN, "the node publishes no audit log")
        stated = parse_vkey(audit["logKey"])
        if pinned is not None and stated != pinned:
            raise AuditError(
                Code.NOTE_SIGNATURE_INVALID, "the node's log key is not the pinned one"
            )
        verifier = pinned or stated
        answer = await session.call("audit.checkpoint", {}, timeout=10.0)
        checkpoint, note = open_checkpoint(answer["checkpoint"], verifier)
        cosigners = require_cosignatures(checkpoint, note, witnesses, args.quorum)
        facts: dict[str, Any] = {
            "origin": checkpoint.origin,
            "size": checkpoint.size,
            "cosigners": [v.name for v in cosigners],
        }
        if args.state is not None:
            facts["rememberedSize"] = await _check_state(
                session, args.state, checkpoint, verifier, answer["checkpoint"]
            )
        if args.full:
            await _check_leaves(session, checkpoint)
            facts["leavesChecked"] = checkpoint.size
        return facts
    finally:
        await session.close()


async def _check_state(
    session: Any, state: Path, checkpoint: Checkpoint, verifier: NoteVerifier, note: str
) -> int | None:
    """Prove the new checkpoint extends the remembered one; then remember the new one."""
    previous_size = None
    if state.is_file():
        old, _ = open_checkpoint(state.read_text("utf-8"), verifier)
        previous_size = old.size
        if checkpoint.size < old.size:
            raise AuditError(
                Code.CHECKPOINT_INCONSISTENT, f"the log shrank from {old.size} to {checkpoint.size}"
            )
        if checkpoint.size == old.size:
            if checkpoint.root != old.root:
                raise AuditError(Code.CHECKPOINT_INCONSISTENT, "same size, another root: a fork")
        elif old.size > 0:
            answer = await session.call(
                "audit.consistency", {"oldSize": old.size, "newSize": checkpoint.size}
            )
            proof = [decode_hash(h) for h in answer["proof"]]
            try:
                verify_consistency(old.size, checkpoint.size, old.root, checkpoint.root, proof)
            except AuditError:
                raise AuditError(
                    Code.CHECKPOINT_INCONSISTENT,
                    "the new checkpoint does not extend the remembered one",
                ) from None
    state.write_text(note, encoding="utf-8")
    return previous_size


async def _check_leaves(session: Any, checkpoint: Checkpoint) -> None:
    appender = Appender()
    for start in range(0, checkpoint.size, _PAGE):
        end = min(checkpoint.size, start + _PAGE)
        answer = await session.call("audit.leaves", {"start": start, "end": end})
        page = answer.get("commitments") if isinstance(answer, dict) else None
        if not isinstance(page, list) or len(page) != end - start:
            raise AuditError(Code.TREE_SIZE_INVALID, f"leaves {start}..{end} not served")
        for text in page:
            appender.append(leaf_hash(decode_hash(text)))
    if appender.root() != checkpoint.root:
        raise AuditError(Code.CHECKPOINT_INCONSISTENT, "the leaves do not give the checkpoint root")
