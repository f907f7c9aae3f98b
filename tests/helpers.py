"""Small helpers shared by the tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from aip import spec_dir
from aip.audit.records import audit_body, make_record, sign_record
from aip.errors import AipError, Code
from aip.identity.keys import SigningKey
from aip.node import Node


def audit_vector_cases(*files: str) -> list[tuple[str, dict[str, Any], str]]:
    """(id, case, operation name) of every case in the named files under spec/vectors/audit."""
    out = []
    for name in files:
        doc = json.loads((spec_dir() / "vectors" / "audit" / name).read_text("utf-8"))
        out += [
            (case["id"], case, str(case.get("operation", doc.get("operation"))))
            for case in doc["cases"]
        ]
    return out


def audit_record(aic: str, key: SigningKey, n: int = 0, **override: Any) -> dict[str, Any]:
    """A signed audit record by ``aic`` about task ``n``; ``override`` changes members before
    signing."""
    body = audit_body(
        actor={"id": aic, "type": "agent"},
        action={"name": "task.complete", "type": "interaction"},
        target={"type": "task", "id": f"task-{n}"},
        result={"status": "success"},
    )
    record = make_record(aic=aic, log_type="audit", body=body, timestamp=datetime.now(UTC))
    return sign_record({**record, **override}, key)


def code_of(fn: Any, *args: Any, **kw: Any) -> Code:
    """Call ``fn`` and return the registry code of the :class:`AipError` it must raise."""
    with pytest.raises(AipError) as info:
        fn(*args, **kw)
    return info.value.code


@contextlib.asynccontextmanager
async def started(node: Node, wait: float = 5.0) -> AsyncIterator[Node]:
    """Start ``node`` for the block and stop it afterwards (a no-op if the test stopped it),
    each step bounded by ``wait`` seconds."""
    async with asyncio.timeout(wait):
        await node.start()
    try:
        yield node
    finally:
        async with asyncio.timeout(wait):
            await node.stop()


async def aip(*args: str) -> tuple[int, str, str]:
    """Run ``aip <args>`` in a subprocess; return its exit status, stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aip.cli", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def acs_submission(name: str = "Travel helper", *, domain: str = "agents.example.cn",
                   tags: tuple[str, ...] = ("travel", "hotel"),
                   country: str = "CN") -> dict[str, Any]:
    """A valid ACS submission (spec Part 8) whose URLs all sit under ``domain``."""
    return {
        "protocolVersion": "02.01",
        "name": name,
        "description": f"{name}: plans trips and books hotels.",
        "version": "1.0.0",
        "provider": {
            "organization": f"{name} Ltd",
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
                "id": "travel.plan.trip",
                "name": "trip planning",
                "description": f"{name} plans a trip itinerary with hotels.",
                "version": "1.0.0",
                "tags": list(tags),
                "examples": ["plan a weekend in Hangzhou"],
            }
        ],
    }
