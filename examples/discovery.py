"""Find agents by what they can do: register a few priced agents at a node, then search.

A provider agent registers four agent products (ontologies) with different skills and prices;
the operator approves them; the provider derives one running instance (entity) of each; then a
user agent asks in plain language and with a filter.  Every document it gets back is signed by
the registry, so it can be checked wherever it travels (spec Part 8).

Run: ``.venv/bin/python examples/discovery.py`` (it starts its own node in a temporary directory).
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from typing import Any

from aip.client import connect, enroll
from aip.client.session import Session
from aip.discovery.acs import verify_acs
from aip.identity.keys import SigningKey
from aip.node import Node
from aip.node.operator import load_operator

PROVIDER = "1.2.156.3088.1.1.34C2.478BDF.3GF546.0JU4"
USER = "1.2.156.3088.1.1.34C2.478BDF.1.0000"
PRODUCTS = [  # name, country, skill, tags, price per 1000 output tokens in fen
    ("Contract reviewer", "CN", "legal.review.contract", ["legal", "contract"], "120"),
    ("Tax helper", "CN", "finance.tax.filing", ["finance", "tax"], "80"),
    ("Trip planner", "DE", "travel.plan.trip", ["travel", "hotel"], "50"),
    ("Hotel finder", "FR", "travel.book.hotel", ["travel", "hotel", "booking"], "30"),
]


def product(name: str, country: str, skill: str, tags: list[str], price: str) -> dict[str, Any]:
    """The capability description (ACS) a provider submits for one agent product."""
    domain = skill.split(".", maxsplit=1)[0] + ".example.cn"
    return {
        "protocolVersion": "02.01",
        "name": name,
        "description": f"{name}: {' and '.join(tags)} work, answers in minutes.",
        "version": "1.0.0",
        "provider": {
            "organization": f"{name} Co",
            "url": f"https://{domain}",
            "countryCode": country,
            "domainRegistrations": [
                {"domain": domain, "registrationNumber": "R-1", "registrationType": "WHOIS"}
            ],
        },
        "securitySchemes": {"mtls": {"type": "mutualTLS"}},
        "endPoints": [
            {"url": f"wss://{domain}/ws", "transport": "WEBSOCKET", "security": [{"mtls": []}]}
        ],
        "capabilities": {"streaming": True, "notification": False, "messageQueue": []},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": [
            {
                "id": skill,
                "name": name.lower(),
                "description": f"{name} for {', '.join(tags)}.",
                "version": "1.0.0",
                "tags": tags,
                "examples": [f"I need help with {tags[0]}"],
                "pricing": [
                    {"unit": "token.output", "per": "1000", "pricePerUnit": price, "asset": "CNY"}
                ],
            }
        ],
    }


async def _session(node: Node, aic: str) -> Session:
    done = await enroll(
        node.url, node.enrollment.issue_token(aic), aic, SigningKey(secrets.token_bytes(32)),
        node_aic=str(node.identity.aic), ca_fingerprint=node.identity.ca_fingerprint,
    )  # fmt: skip
    return await connect(node.url, done.identity, str(node.identity.aic))


async def main() -> dict[str, list[str]]:
    """Register, approve, derive, search; return what each query found (skill ids)."""
    with tempfile.TemporaryDirectory() as data:
        async with Node(data, port=0, audit_interval=60.0) as node:
            provider = await _session(node, PROVIDER)
            user = await _session(node, USER)
            operator = await connect(
                node.url, load_operator(node.data_path), str(node.identity.aic)
            )
            async with provider, user, operator:
                for spec in PRODUCTS:
                    made = await provider.call("atr.register", {"acs": product(*spec)})
                    await provider.call("atr.act", {"id": made["id"], "action": "submit"})
                    done = await operator.call("atr.act", {"id": made["id"], "action": "approve"})
                    await provider.call("atr.derive", {"ontology": done["aic"]})
                asked: dict[str, dict[str, Any]] = {
                    "plain": {"query": "who can help me book a hotel"},
                    "filtered": {"type": "filtered", "filter": {"logic": "and", "conditions": [
                        {"field": "skills.tags", "op": "anyOf", "value": ["travel"]},
                        {"field": "provider.countryCode", "op": "ne", "value": "FR"},
                    ]}},
                }  # fmt: skip
                found: dict[str, list[str]] = {}
                for name, params in asked.items():
                    answer = await user.call("adp.discover", params)
                    for document in answer["acsMap"].values():  # signed by the registry
                        verify_acs(document, node.identity.key.verify_key)
                    found[name] = [s["skillId"] for s in answer["agents"][0]["agentSkills"]]
                    print(name, found[name])
                return found


if __name__ == "__main__":
    asyncio.run(main())
