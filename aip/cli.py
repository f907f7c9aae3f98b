"""The ``aip`` command line: one entry point whose subcommands grow issue by issue.

Run ``aip <command> --help`` for each command.  A built-in command is one
:class:`Command` registration (name, help, add_arguments, run) in :data:`COMMANDS`; a command
owned by another package is a module with ``register(subparsers) -> None`` listed in
:data:`PLUGIN_MODULES`, imported lazily when the parser is built and skipped only if that module
does not exist.  Either way the subcommand's parser carries ``handler(args) -> int`` in its
defaults, and :func:`main` returns what the handler returns.

Every failure prints one line ``aip <command>: <reason>`` on stderr and exits non-zero
(2 for usage errors, 1 for anything else).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from aip.cli_agent import (
    call_arguments,
    enroll_arguments,
    fail,
    renew_arguments,
    revoke_arguments,
    run_call,
    run_enroll,
    run_renew,
    run_revoke,
    run_token,
    stop_on_signals,
    token_arguments,
    why,
)
from aip.cli_audit import audit_arguments, run_audit
from aip.cli_registry import registry_arguments, run_registry
from aip.cli_serve import run_serve, serve_arguments

__all__ = ["COMMANDS", "PLUGIN_MODULES", "Command", "build_parser", "main"]

DEFAULT_DATA_DIR = "./.aip-node"
DATA_DIR_ENV = "AIP_DATA_DIR"


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


@dataclass(frozen=True, slots=True)
class Command:
    """One built-in subcommand: its name, one-line help, argument adder and handler."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --- aip node ---------------------------------------------------------------------------------


def _node_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="TCP port; 0 picks a free one")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"data directory (default: ${DATA_DIR_ENV} or {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--domain",
        default=None,
        help="domain name, used when the data directory is created (default: localhost)",
    )
    parser.add_argument("--json", action="store_true", help="print the startup facts as JSON")
    parser.add_argument(
        "--dev",
        action="store_true",
        help="development mode: enroll any local agent without a token (loopback only)",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve wss:// in mTLS mode (TLS 1.3, client certificates required; spec 7.4)",
    )
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        metavar="URL=VKEY",
        help="a witness to ask for cosignatures of this node's log (repeat)",
    )
    parser.add_argument(
        "--witness-for",
        action="append",
        default=[],
        metavar="VKEY",
        help="act as a witness for the log with this checkpoint key (repeat)",
    )
    parser.add_argument(
        "--peer",
        action="append",
        default=[],
        metavar="URL=AIC=ROOTFILE",
        help="a federation peer: its node's ws:// URL and AIC, and its domain's root "
        "certificate (PEM file); discovery forwards to peers in the order given (repeat)",
    )
    parser.add_argument(
        "--checkpoint-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how often the audit log issues a checkpoint when it grew (1.0)",
    )
    parser.add_argument(
        "--stale-after",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="liveness: leave out of discovery answers the entities with no heartbeat or open "
        "session for this long (0, the default: list every active entity; spec 8.9)",
    )


def _run_node(args: argparse.Namespace) -> int:
    """Start the node, print its identity and URL, serve until SIGINT/SIGTERM; return 0."""
    from aip.node import Node  # noqa: PLC0415  (websockets loads only for this command)
    from aip.node.federation import Peer  # noqa: PLC0415
    from aip.transport.loop import run  # noqa: PLC0415

    if not 0 <= args.port <= 65535:
        return fail("node", f"port {args.port} is outside 0..65535")
    if not 0 <= args.stale_after < float("inf"):  # NaN fails too
        return fail("node", f"--stale-after {args.stale_after} is not 0 or a positive number")
    try:
        peers = [Peer.parse(text) for text in args.peer]
    except (ValueError, OSError) as exc:
        return fail("node", f"--peer: {why(exc)}")
    data = args.data or Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)

    def announce(node: Node) -> None:
        facts = {
            "nodeAic": str(node.identity.aic),
            "domain": node.identity.domain,
            "caFingerprint": node.identity.ca_fingerprint,
            "url": node.url,
            "auditLogKey": node.audit.log_verifier.vkey(),
            "witnessKey": node.audit.cosigner.vkey(),
        }
        if args.json:
            print(json.dumps(facts), flush=True)
        else:
            print(f"node-aic: {facts['nodeAic']}")
            print(f"domain: {facts['domain']}")
            print(f"ca-fingerprint: {facts['caFingerprint']}")
            print(f"url: {facts['url']}")
            print(f"audit-log-key: {facts['auditLogKey']}")
            print(f"witness-key: {facts['witnessKey']}", flush=True)

    async def serve() -> None:
        stop = stop_on_signals()
        node = Node(
            data,
            host=args.host,
            port=args.port,
            domain=args.domain,
            dev_mode=args.dev,
            tls=args.tls,
            witnesses=args.witness,
            witness_logs=args.witness_for,
            audit_interval=args.checkpoint_interval,
            peers=peers,
            stale_after=args.stale_after,
        )
        if args.dev:  # loudly, on stderr so that --json output stays one object [IDN-ENR-009]
            from aip.node.atr import DEV_MODE_BANNER  # noqa: PLC0415

            print(f"aip node: WARNING: {DEV_MODE_BANNER}", file=sys.stderr, flush=True)
        await node.start()
        try:
            announce(node)
            await stop.wait()
        finally:
            await node.stop()

    try:
        run(serve())
    except Exception as exc:  # every failure: one line, non-zero exit
        return fail("node", why(exc))
    return 0


COMMANDS: list[Command] = [
    Command("node", "run the local discovery node", _node_arguments, _run_node),
    Command(
        "token", "issue a one-time enrollment token (node operator)", token_arguments, run_token
    ),
    Command(
        "enroll", "enroll an agent at a node and save its identity", enroll_arguments, run_enroll
    ),
    Command("call", "call a method on a node or agent, authenticated", call_arguments, run_call),
    Command("serve", "serve an enrolled agent's demo methods to peers", serve_arguments, run_serve),
    Command("renew", "renew an agent's certificates (same key)", renew_arguments, run_renew),
    Command("revoke", "revoke a certificate (operator, or agent)", revoke_arguments, run_revoke),
    Command("audit", "export or verify a node's transparency log", audit_arguments, run_audit),
    Command(
        "registry",
        "review ontology registrations (node operator)",
        registry_arguments,
        run_registry,
    ),
]

# Modules with ``register(subparsers) -> None``, owned elsewhere.
PLUGIN_MODULES: list[str] = ["conformance.cli"]


def _load_plugin(name: str) -> Callable[..., None] | None:
    """Import ``name`` and return its ``register``; None only if that module does not exist."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only the module itself (or its missing package) being absent is skipped; a missing
        # dependency inside it is a real error and propagates.
        parents = {".".join(name.split(".")[: i + 1]) for i in range(name.count(".") + 1)}
        if exc.name in parents:
            return None
        raise
    register: Callable[..., None] = module.register
    return register


def build_parser() -> argparse.ArgumentParser:
    """The full ``aip`` parser: built-in commands, then plugin commands that are installed."""
    parser = _Parser(prog="aip", description="Agent Interconnection Protocol (GB/Z 185) tools")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(handler=command.run)
    for name in PLUGIN_MODULES:
        register = _load_plugin(name)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the chosen command, return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else 1
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        print("aip: no command given (see --help)", file=sys.stderr)
        return 2
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
