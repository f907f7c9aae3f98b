"""``aip token``, ``aip enroll`` and ``aip call``: the operator's and the agent's commands.

Each prints its result (one JSON object with ``--json``) and returns 0, or prints one line
``aip <command>: <reason>`` on stderr and returns 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from aip.errors import AipError

__all__ = [
    "call_arguments",
    "enroll_arguments",
    "fail",
    "run_call",
    "run_enroll",
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


def _node_aic(data: Path) -> str:
    config: dict[str, Any] = json.loads((data / "node.json").read_text(encoding="utf-8"))
    return str(config["nodeAic"])


# --- aip token ----------------------------------------------------------------------------------


def token_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--aic", required=True, help="the AIC the token may enroll")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="the node's data directory (default: $AIP_DATA_DIR or ./.aip-node)",
    )
    parser.add_argument("--node", default=DEFAULT_NODE, help=f"node URL (default {DEFAULT_NODE})")
    parser.add_argument("--ttl", type=int, default=86400, help="lifetime in seconds (<= 86400)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_token(args: argparse.Namespace) -> int:
    """Ask the running node, as its operator, for a one-time enrollment token."""
    from aip.client import connect  # noqa: PLC0415
    from aip.node.operator import load_operator  # noqa: PLC0415

    data = args.data or Path(os.environ.get("AIP_DATA_DIR") or "./.aip-node")

    async def ask() -> dict[str, Any]:
        operator = load_operator(data)
        async with await connect(args.node, operator, _node_aic(data)) as session:
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
    parser.add_argument("--token", required=True, help="the one-time token from the operator")
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
    """Make a key, enroll it at the node for both usages, save the identity directory."""
    from aip.client import enroll  # noqa: PLC0415
    from aip.client.identity import save_identity  # noqa: PLC0415
    from aip.identity.certificates import Usage  # noqa: PLC0415
    from aip.identity.keys import SigningKey  # noqa: PLC0415

    if (args.identity / "identity.json").exists():
        return fail("enroll", f"{args.identity} already holds an identity")
    key = SigningKey(secrets.token_bytes(32))
    try:
        done = asyncio.run(
            enroll(
                args.node,
                args.token,
                args.aic,
                key,
                usages=(Usage.CLIENT, Usage.SERVER),
                node_aic=args.node_aic,
                ca_fingerprint=args.ca_fingerprint,
            )
        )
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
    parser.add_argument("params", nargs="?", default=None, help="params as a JSON object")
    parser.add_argument("--identity", type=Path, required=True, help="identity directory")
    parser.add_argument("--node", default=DEFAULT_NODE, help=f"node URL (default {DEFAULT_NODE})")
    parser.add_argument("--node-aic", required=True, help="the AIC the node must prove")


def run_call(args: argparse.Namespace) -> int:
    """Authenticate to the node with an identity directory and call one method."""
    from aip.client import connect  # noqa: PLC0415
    from aip.client.identity import load_identity  # noqa: PLC0415

    try:
        params = json.loads(args.params) if args.params is not None else None
    except ValueError:
        return fail("call", "params must be a JSON object")

    async def call() -> Any:
        async with await connect(args.node, load_identity(args.identity), args.node_aic) as s:
            return await s.call(args.method, params)

    try:
        result = asyncio.run(call())
    except Exception as exc:
        return fail("call", why(exc))
    print(json.dumps(result, indent=2))
    return 0
