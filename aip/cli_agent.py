"""``aip token``, ``aip enroll``, ``aip call``, ``aip renew`` and ``aip revoke``: the
operator's and the agent's commands.

Each prints its result (one JSON object with ``--json``) and returns 0, or prints one line
``aip <command>: <reason>`` on stderr and returns 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

from aip.errors import AipError

__all__ = [
    "call_arguments",
    "data_dir",
    "enroll_arguments",
    "fail",
    "operator_arguments",
    "read_node_aic",
    "renew_arguments",
    "revoke_arguments",
    "run_call",
    "run_enroll",
    "run_renew",
    "run_revoke",
    "run_token",
    "token_arguments",
    "why",
]

DEFAULT_NODE = "ws://127.0.0.1:8765"


def fail(command: str, reason: str) -> int:
    """Print ``aip <command>: <reason>`` on stderr; return the failure status 1."""
    print(f"aip {command}: {reason}", file=sys.stderr, flush=True)
    return 1


def why(exc: BaseException) -> str:
    """One line saying why ``exc`` happened (with the registry code for an AipError)."""
    if isinstance(exc, AipError):
        return f"{exc.message} ({int(exc.code)} {exc.code.name})"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM: long-running commands serve until it is set, then
    shut down cleanly.  Call on the running event loop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def data_dir(args: argparse.Namespace) -> Path:
    """The node's data directory: ``--data``, else $AIP_DATA_DIR, else ./.aip-node."""
    data: Path = args.data or Path(os.environ.get("AIP_DATA_DIR") or "./.aip-node")
    return data


def read_node_aic(data: Path) -> str:
    config: dict[str, Any] = json.loads((data / "node.json").read_text(encoding="utf-8"))
    return str(config["nodeAic"])


# --- aip token ----------------------------------------------------------------------------------


def operator_arguments(parser: argparse.ArgumentParser, role: str) -> None:
    """``--data`` and ``--node``: where the operator identity lives and which node to call."""
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"{role}the node's data directory (default: $AIP_DATA_DIR or ./.aip-node)",
    )
    parser.add_argument("--node", default=DEFAULT_NODE, help=f"node URL (default {DEFAULT_NODE})")


def token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--aic", required=True, help="the AIC the token may enroll")
    operator_arguments(parser, "")
    parser.add_argument("--ttl", type=int, default=86400, help="lifetime in seconds (<= 86400)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_token(args: argparse.Namespace) -> int:
    """Ask the running node, as its operator, for a one-time enrollment token."""
    from aip.client import connect  # noqa: PLC0415
    from aip.node.operator import load_operator  # noqa: PLC0415

    data = data_dir(args)

    async def ask() -> dict[str, Any]:
        operator = load_operator(data)
        async with await connect(args.node, operator, read_node_aic(data)) as session:
            result: dict[str, Any] = await session.call(
                "atr.issueToken", {"aic": args.aic, "ttlSeconds": args.ttl}
            )
            return result

    try:
        result = asyncio.run(ask())
    except Exception as exc:
        return fail("token", why(exc))
    print(json.dumps(result) if args.json else result["token"], flush=True)
    return 0


# --- aip enroll ---------------------------------------------------------------------------------


def enroll_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--node", default=DEFAULT_NODE, help=f"node URL (default {DEFAULT_NODE})")
    parser.add_argument(
        "--token",
        default=None,
        help="the one-time token from the operator (leave out at a node started with --dev)",
    )
    parser.add_argument("--aic", required=True, help="the AIC the token was issued for")
    parser.add_argument("--identity", type=Path, required=True, help="directory to create")
    parser.add_argument(
        "--ca-fingerprint",
        required=True,
        help="SHA-256 of the node's root, as `aip node` prints it",
    )
    parser.add_argument(
        "--node-aic",
        required=True,
        help="the node's AIC, as `aip node` prints it: it must prove it before the token is sent",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_enroll(args: argparse.Namespace) -> int:
    """Make a key, enroll it at the node for both usages, save the identity directory.

    Without ``--token`` the node must be in development mode [IDN-ENR-010].
    """
    from aip.client import enroll  # noqa: PLC0415
    from aip.client.identity import save_identity  # noqa: PLC0415
    from aip.identity.certificates import Usage  # noqa: PLC0415
    from aip.identity.keys import SigningKey  # noqa: PLC0415

    if (args.identity / "identity.json").exists():
        return fail("enroll", f"{args.identity} already holds an identity")
    key = SigningKey(secrets.token_bytes(32))
    pins = {"node_aic": args.node_aic, "ca_fingerprint": args.ca_fingerprint}
    both = (Usage.CLIENT, Usage.SERVER)
    try:
        done = asyncio.run(enroll(args.node, args.token, args.aic, key, usages=both, **pins))
        identity = done.identity
        save_identity(args.identity, identity.aic, key, done.chains, done.trust_bundle)
    except Exception as exc:
        return fail("enroll", why(exc))
    facts = {"aic": identity.aic, "identity": str(args.identity)}
    print(json.dumps(facts) if args.json else f"enrolled {identity.aic} in {args.identity}")
    return 0


# --- aip call -----------------------------------------------------------------------------------


def call_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("method", help="the JSON-RPC method, e.g. node.info")
    parser.add_argument(
        "params",
        nargs="?",
        default=None,
        help="params as a JSON object (the message body with --signed)",
    )
    parser.add_argument("--identity", type=Path, required=True, help="identity directory")
    parser.add_argument(
        "--node",
        "--peer",
        dest="node",
        default=DEFAULT_NODE,
        help=f"URL of the node or agent to call (default {DEFAULT_NODE})",
    )
    parser.add_argument(
        "--node-aic",
        "--peer-aic",
        dest="node_aic",
        required=True,
        help="the AIC the node or agent must prove",
    )
    parser.add_argument(
        "--signed",
        action="store_true",
        help="send params as a message signed by our AIC and check the signed answer (Part 7 §7.6)",
    )


def run_call(args: argparse.Namespace) -> int:
    """Authenticate to a node or agent with an identity directory and call one method."""
    from aip.client import connect  # noqa: PLC0415
    from aip.client.identity import load_identity  # noqa: PLC0415

    try:
        params = json.loads(args.params) if args.params is not None else None
    except ValueError:
        return fail("call", "params must be a JSON object")

    if args.signed and not isinstance(params, dict | None):
        return fail("call", "with --signed, params are the message body: a JSON object")

    async def call() -> Any:
        async with await connect(args.node, load_identity(args.identity), args.node_aic) as s:
            if args.signed:
                return await s.call_signed(args.method, params)
            return await s.call(args.method, params)

    try:
        result = asyncio.run(call())
    except Exception as exc:
        return fail("call", why(exc))
    print(json.dumps(result, indent=2))
    return 0


# --- aip renew ----------------------------------------------------------------------------------


def renew_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--identity", type=Path, required=True, help="identity directory")
    parser.add_argument("--node", default=DEFAULT_NODE, help=f"node URL (default {DEFAULT_NODE})")
    parser.add_argument("--node-aic", required=True, help="the AIC the node must prove")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_renew(args: argparse.Namespace) -> int:
    """Renew every certificate of an identity directory (same key), each file replaced
    atomically as soon as its successor is validated: a renewal the node made is never lost
    on our side [IDN-REN-006]."""
    from aip.client import connect  # noqa: PLC0415
    from aip.client.identity import load_identity  # noqa: PLC0415
    from aip.client.lifecycle import read_chain, renew, save_chain  # noqa: PLC0415
    from aip.identity.certificates import format_utc, inspect_agent_certificate  # noqa: PLC0415

    renewed: dict[str, dict[str, str]] = {}

    async def go() -> str:
        identity = load_identity(args.identity)
        async with await connect(args.node, identity, args.node_aic) as session:
            for usage in ("serverAuth", "clientAuth"):
                chain = read_chain(args.identity, usage)
                if chain is None:
                    continue
                new = await renew(session, identity, chain)
                save_chain(args.identity, usage, new)
                info = inspect_agent_certificate(new[0])
                until = format_utc(info.not_after)
                renewed[usage] = {"serial": str(info.serial), "notAfter": until}
        return identity.aic

    try:
        aic = asyncio.run(go())
    except Exception as exc:
        return fail("renew", why(exc) + (f" (renewed: {sorted(renewed)})" if renewed else ""))
    if args.json:
        print(json.dumps({"aic": aic, "renewed": renewed}))
    else:
        for usage, facts in renewed.items():
            print(f"renewed {usage} of {aic}: serial {facts['serial']} until {facts['notAfter']}")
    return 0


# --- aip revoke ---------------------------------------------------------------------------------


def _reason(text: str) -> int:
    """A revocation reason: its number, or its RFC 5280 name (keyCompromise, ...)."""
    from aip.identity.revocation import RevocationReason  # noqa: PLC0415

    names = {r.flag.value: int(r) for r in RevocationReason}
    if text in names:
        return names[text]
    try:
        return int(text)  # the node judges the range: -32602 outside 0..5 [IDN-REV-002]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a reason: {text!r}") from None


def revoke_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--serial",
        default=None,
        help="the serial number, decimal (default with --identity: every certificate it holds)",
    )
    parser.add_argument(
        "--reason",
        type=_reason,
        required=True,
        help="0-5 or unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "
        "cessationOfOperation",
    )
    parser.add_argument(
        "--identity",
        type=Path,
        default=None,
        help="revoke as this agent (its own certificates) instead of as the node operator",
    )
    parser.add_argument("--node-aic", default=None, help="with --identity: the node's AIC")
    operator_arguments(parser, "operator: ")
    parser.add_argument("--json", action="store_true", help="print one JSON object per line")


def run_revoke(args: argparse.Namespace) -> int:
    """Revoke a certificate as the node operator (like ``aip token``) or, with ``--identity``,
    as the agent itself: one serial, or every certificate of the identity directory (the
    clientAuth one last, since revoking it ends the session; one revoked already is reported,
    not a failure)."""
    from aip.client import connect  # noqa: PLC0415
    from aip.client.identity import load_identity  # noqa: PLC0415
    from aip.client.lifecycle import read_chain, revoke  # noqa: PLC0415
    from aip.errors import Code  # noqa: PLC0415
    from aip.identity.certificates import load_certificate  # noqa: PLC0415
    from aip.node.operator import load_operator  # noqa: PLC0415

    if args.identity is not None and args.node_aic is None:
        return fail("revoke", "--identity needs --node-aic")
    if args.identity is None and args.serial is None:
        return fail("revoke", "give --serial (or --identity to revoke its own certificates)")

    async def go() -> list[dict[str, Any]]:
        if args.identity is None:
            data = data_dir(args)
            identity, node_aic = load_operator(data), read_node_aic(data)
        else:
            identity, node_aic = load_identity(args.identity), args.node_aic
        serials = [int(args.serial)] if args.serial is not None else []
        for usage in () if serials else ("serverAuth", "clientAuth"):
            chain = read_chain(args.identity, usage)
            if chain is not None:
                serials.append(load_certificate(chain[0]).serial_number)
        done: list[dict[str, Any]] = []
        async with await connect(args.node, identity, node_aic) as session:
            for serial in serials:
                try:
                    done.append(await revoke(session, serial, args.reason))
                except AipError as exc:
                    if args.serial is not None or exc.code is not Code.ALREADY_REVOKED:
                        raise
                    done.append({"serial": str(serial), "alreadyRevoked": True})
        return done

    try:
        done = asyncio.run(go())
    except Exception as exc:
        return fail("revoke", why(exc))
    for record in done:
        if args.json:
            print(json.dumps(record))
        elif record.get("alreadyRevoked"):
            print(f"{record['serial']} already revoked")
        else:
            serial, reason, when = record["serial"], record["reason"], record["revokedAt"]
            print(f"revoked {serial} (reason {reason}) at {when}")
    return 0
