"""Two agents and a node: enroll both, then agent A calls agent B, authenticated both ways.

Run: ``.venv/bin/python examples/two_agents.py`` (it starts its own node in a temporary
directory; against a running node you would get tokens with ``aip token`` instead).
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from typing import Any

from aip.client import Agent, Enrolled, enroll
from aip.identity.certificates import Usage
from aip.identity.keys import SigningKey
from aip.jsonrpc import Caller
from aip.node import Node

ALICE = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
BOB = "1.2.156.3088.1.1.34C2.478BDF.1.0000"
BOTH = (Usage.CLIENT, Usage.SERVER)


async def main() -> str:
    with tempfile.TemporaryDirectory() as data:
        async with Node(data, port=0) as node:

            async def enrolled(aic: str) -> Enrolled:
                # The operator hands the agent a one-time token (here: in-process); the agent
                # pins the node by AIC and CA fingerprint, as `aip node` prints them.
                return await enroll(
                    node.url,
                    node.enrollment.issue_token(aic),
                    aic,
                    SigningKey(secrets.token_bytes(32)),
                    usages=BOTH,
                    node_aic=str(node.identity.aic),
                    ca_fingerprint=node.identity.ca_fingerprint,
                )

            alice, bob = await enrolled(ALICE), await enrolled(BOB)
            agent_b = Agent(bob)

            @agent_b.signed("echo.say")  # signed, identity-bound messages both ways
            def say(message: dict[str, Any], caller: Caller) -> dict[str, Any]:
                return {"text": f"{caller.aic} said: {message['text']}"}

            async with agent_b, await Agent(alice).connect(agent_b.url, BOB) as session:
                reply = await session.call_signed("echo.say", {"text": "hello from Alice"})
                print(f"{reply['senderId']} answered: {reply['text']}")
                return str(reply["text"])


if __name__ == "__main__":
    asyncio.run(main())
