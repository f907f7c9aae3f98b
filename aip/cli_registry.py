"""``aip registry``: the operator's review desk for ontology registrations (spec Part 8 §8.4).

* ``aip registry list [--state STATE] [--limit N] [--after ID]``: one page of registrations
  (``atr.list``, [DSC-REG-009]); continue with ``--after`` the ``next`` it prints.
* ``aip registry show ID``: one registration with its ACS (``atr.status``).
* ``aip registry approve|reject|disable|enable ID [--reason TEXT]``: a review step
  (``atr.act``, [DSC-REG-002]); ``reject`` needs a reason.
* ``aip registry lookup AIC``: the registry-signed document of an agent (``atr.lookup``).

Every command connects as the node's operator, whose identity lives in the node's data
directory (``--data``, as for ``aip token``), prints one JSON document on stdout and returns 0,
or prints ``aip registry <command>: <reason> (<code> <NAME>)`` on stderr and returns 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

# The operator options and the node's data directory, exactly as `aip token` reads them.
from aip.cli_agent import data_dir, fail, operator_arguments, read_node_aic, why

__all__ = ["registry_arguments", "run_registry"]

_STEPS = ("approve", "reject", "disable", "enable")  # the operator's review steps [DSC-REG-002]


def registry_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``list``, ``show``, review step and ``lookup`` subcommands of ``aip registry``."""
    sub = parser.add_subparsers(dest="registry_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="one page of registrations, in a stable order")
    listing.add_argument(
        "--state", default=None, help="only registrations in this state (PENDING, APPROVED, ...)"
    )
    listing.add_argument("--limit", type=int, default=None, help="page size, 1..500 (100)")
    listing.add_argument("--after", default=None, metavar="ID", help="the `next` of a page")
    operator_arguments(listing, "operator: ")
    show = sub.add_parser("show", help="one registration, its ACS included")
    show.add_argument("id", help="the registration id")
    operator_arguments(show, "operator: ")
    for step in _STEPS:
        step_parser = sub.add_parser(step, help=f"{step} a registration")
        step_parser.add_argument("id", help="the registration id")
        step_parser.add_argument(
            "--reason", required=step == "reject", default=None, help="why (kept in the audit log)"
        )
        operator_arguments(step_parser, "operator: ")
    lookup = sub.add_parser("lookup", help="the registry-signed document of an agent")
    lookup.add_argument("aic", help="the agent's AIC")
    operator_arguments(lookup, "operator: ")


def _request(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The node method and params that ``aip registry <action>`` sends; call after parsing.

    Values are passed on unchecked (a state name is upper-cased): the node judges them and
    refuses bad ones with INVALID_PARAMS (-32602)."""
    command = args.registry_command
    if command == "list":
        params: dict[str, Any] = {}
        if args.state is not None:
            params["state"] = args.state.upper()
        if args.limit is not None:
            params["limit"] = args.limit
        if args.after is not None:
            params["after"] = args.after
        return "atr.list", params
    if command == "show":
        return "atr.status", {"id": args.id}
    if command == "lookup":
        return "atr.lookup", {"aic": args.aic}
    params = {"id": args.id, "action": command}
    if args.reason is not None:
        params["reason"] = args.reason
    return "atr.act", params


def _output(command: str, result: Any) -> Any:
    """What a command prints: the method's result, but the document itself for ``lookup``."""
    if command == "lookup" and isinstance(result, dict) and "document" in result:
        return result["document"]
    return result


def run_registry(args: argparse.Namespace) -> int:
    """Run one ``aip registry`` action as the node operator; return the exit status (0, or 1
    with the failure and its registry code on stderr).  Never raises."""
    from aip.client import connect  # noqa: PLC0415 (the client and websockets load only here)
    from aip.node.operator import load_operator  # noqa: PLC0415

    command: str = args.registry_command
    method, params = _request(args)
    data: Path = data_dir(args)

    async def ask() -> Any:
        operator = load_operator(data)
        async with await connect(args.node, operator, read_node_aic(data)) as session:
            return await session.call(method, params)

    try:
        result = asyncio.run(ask())
    except Exception as exc:  # every failure: one line, non-zero exit
        return fail(f"registry {command}", why(exc))
    print(json.dumps(_output(command, result), indent=2), flush=True)
    return 0
