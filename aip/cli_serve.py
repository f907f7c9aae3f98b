"""``aip serve``: run an enrolled agent that peers can call (shell: sockets, signals).

The agent listens with its serverAuth certificate; every caller authenticates with the Part 7
handshake (``ws://``) or mTLS (``--tls``, ``wss://``).  It serves two demonstration methods:

* ``demo.echo`` — signed both ways (Part 7 §7.6): the request message's ``text`` comes back in
  a message signed by this agent, with ``heardFrom`` naming the caller's proven AIC;
* ``demo.whoami`` — plain JSON-RPC: ``{"you": <caller AIC>, "me": <this agent's AIC>}``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from aip.cli_agent import fail, stop_on_signals, why

__all__ = ["run_serve", "serve_arguments"]


def serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--identity", type=Path, required=True, help="identity directory")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8801, help="TCP port (8801); 0 picks one")
    parser.add_argument("--tls", action="store_true", help="serve wss:// in mTLS mode")
    parser.add_argument("--json", action="store_true", help="print the startup facts as JSON")


def run_serve(args: argparse.Namespace) -> int:
    """Serve the demonstration methods as the identity's AIC until SIGINT/SIGTERM; return 0."""
    from aip.client import Agent  # noqa: PLC0415  (websockets loads only for this command)
    from aip.client.identity import load_enrolled  # noqa: PLC0415
    from aip.jsonrpc import Caller  # noqa: PLC0415
    from aip.transport.loop import run  # noqa: PLC0415

    if not 0 <= args.port <= 65535:
        return fail("serve", f"port {args.port} is outside 0..65535")

    async def serve() -> None:
        enrolled = load_enrolled(args.identity)
        agent = Agent(enrolled, host=args.host, port=args.port, tls=args.tls)

        @agent.signed("demo.echo")
        def echo(message: dict[str, Any], caller: Caller) -> dict[str, Any]:
            return {"type": "demo.echo", "text": message.get("text"), "heardFrom": caller.aic}

        @agent.method("demo.whoami")
        def whoami(params: dict[str, Any], caller: Caller) -> dict[str, Any]:
            return {"you": caller.aic, "me": agent.aic}

        stop = stop_on_signals()
        async with agent:
            facts = {"aic": agent.aic, "url": agent.url}
            if args.json:
                print(json.dumps(facts), flush=True)
            else:
                print(f"aic: {facts['aic']}\nurl: {facts['url']}", flush=True)
            await stop.wait()

    try:
        run(serve())
    except Exception as exc:  # every failure: one line, non-zero exit
        return fail("serve", why(exc))
    return 0
