"""``aip registry`` and ``atr.list`` over a real node on loopback (spec Part 8 §8.4): the
operator lists, shows, approves, rejects, disables and enables registrations from the command
line, looks up the signed documents, and every refusal carries its registry code."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aip import cli
from aip.client import connect
from aip.client.session import Session
from aip.discovery.acs import verify_acs
from aip.errors import AipError, Code
from aip.node import Node
from aip.node.operator import load_operator
from tests.helpers import acs_submission, aip, started
from tests.pki_helpers import AIC
from tests.test_session_wire import enrolled

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 10.0
SUMMARY = {"id", "owner", "state", "aic", "updatedAt"}  # a listed registration [DSC-REG-009]


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with started(Node(tmp_path / "node", port=0, audit_interval=60.0), WAIT) as running:
        yield running


def _as_operator(node: Node) -> tuple[str, ...]:
    """The options that make ``aip registry`` act as ``node``'s operator."""
    return ("--data", str(node.data_path), "--node", node.url)


async def _ok(*args: str) -> Any:
    """Run ``aip registry <args>``, which must succeed; its one JSON document."""
    code, out, err = await aip("registry", *args)
    assert code == 0, err
    return json.loads(out)


async def _refused(*args: str) -> Code:
    """Run ``aip registry <args>``, which must fail; the registry code it reports."""
    code, out, err = await aip("registry", *args)
    assert code == 1
    assert out == ""
    found = re.search(r"\((-?\d+) [A-Z_]+\)$", err.strip())
    assert found is not None, err
    return Code(int(found[1]))


async def _call_refused(call: Any) -> Code:
    with pytest.raises(AipError) as info:
        await call
    return info.value.code


async def _submitted(owner: Session, name: str, *, submit: bool = True) -> str:
    """A registration of ``owner`` for an ontology called ``name``, PENDING (or DRAFT)."""
    made = await owner.call("atr.register", {"acs": acs_submission(name)})
    if submit:
        await owner.call("atr.act", {"id": made["id"], "action": "submit"})
    return str(made["id"])


async def test_operator_reviews_from_the_command_line(node: Node) -> None:
    op = _as_operator(node)
    async with asyncio.timeout(8 * WAIT):
        owner = await connect(node.url, enrolled(node), str(node.identity.aic))
        async with owner:
            first = await _submitted(owner, "Travel helper")
            second = await _submitted(owner, "Hotel helper")
            draft = await _submitted(owner, "Draft helper", submit=False)

        pending = await _ok("list", "--state", "PENDING", *op)
        assert "next" not in pending
        assert [r["id"] for r in pending["registrations"]] == sorted([first, second])
        for row in pending["registrations"]:
            assert set(row) == SUMMARY
            assert (row["owner"], row["state"], row["aic"]) == (AIC, "PENDING", None)
        drafts = await _ok("list", "--state", "draft", *op)  # the state's case is forgiven
        assert [r["id"] for r in drafts["registrations"]] == [draft]

        shown = await _ok("show", first, *op)
        assert (shown["id"], shown["state"], shown["owner"]) == (first, "PENDING", AIC)
        assert shown["acs"]["name"] == "Travel helper"

        approved = await _ok("approve", first, "--reason", "checked", *op)
        assert approved["state"] == "APPROVED"
        ontology = approved["aic"]
        document = await _ok("lookup", ontology, *op)
        assert (document["aic"], document["active"]) == (ontology, True)
        assert verify_acs(document, node.identity.key.verify_key)  # [DSC-REG-003]
        assert (await _ok("show", first, *op))["reason"] == "checked"

        assert (await _ok("disable", first, *op))["state"] == "DISABLED"
        assert await _refused("lookup", ontology, *op) is Code.AGENT_NOT_FOUND  # withdrawn
        assert (await _ok("enable", first, "--reason", "fixed", *op)) == {
            "id": first, "state": "APPROVED", "aic": ontology,
        }  # fmt: skip
        assert (await _ok("lookup", ontology, *op))["active"] is True

        rejected = await _ok("reject", second, "--reason", "incomplete", *op)
        assert rejected == {"id": second, "state": "REJECTED"}
        listed = await _ok("list", "--state", "REJECTED", *op)
        assert [(r["id"], r["state"]) for r in listed["registrations"]] == [(second, "REJECTED")]

        # a page of two, then the rest: every registration once, in id order
        page = await _ok("list", "--limit", "2", *op)
        assert len(page["registrations"]) == 2
        assert page["next"] == page["registrations"][-1]["id"]
        rest = await _ok("list", "--limit", "2", "--after", page["next"], *op)
        assert "next" not in rest
        ids = [r["id"] for r in page["registrations"] + rest["registrations"]]
        assert ids == sorted([first, second, draft])
        states = {r["id"]: r["state"] for r in page["registrations"] + rest["registrations"]}
        assert states == {first: "APPROVED", second: "REJECTED", draft: "DRAFT"}

        # refusals carry their registry code
        refusals = await asyncio.gather(
            _refused("approve", second, *op),  # REJECTED: not a pending one [DSC-REG-002]
            _refused("enable", first, *op),  # APPROVED already
            _refused("show", "no-such-registration", *op),
            _refused("list", "--state", "BOGUS", *op),
            _refused("list", "--limit", "0", *op),
            _refused("list", "--limit", "501", *op),
            _refused("list", "--after", "", *op),
            _refused("reject", first, "--reason", "x" * 513, *op),
        )
        assert refusals == [
            Code.REGISTRATION_STATE_INVALID,
            Code.REGISTRATION_STATE_INVALID,
            Code.AGENT_NOT_FOUND,
            *[Code.INVALID_PARAMS] * 5,
        ]


async def test_only_the_operator_lists(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        owner = await connect(node.url, enrolled(node), str(node.identity.aic))
        operator = await connect(node.url, load_operator(node.data_path), str(node.identity.aic))
        async with owner, operator:
            await _submitted(owner, "Travel helper")
            # even the owner of every registration is not the operator [DSC-REG-009]
            assert await _call_refused(owner.call("atr.list", {})) is Code.AUTHORIZATION_FAILED
            assert await _call_refused(owner.call("atr.list", {"state": "PENDING"})) is (
                Code.AUTHORIZATION_FAILED
            )
            assert len((await operator.call("atr.list", {}))["registrations"]) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"state": "pending"},
        {"state": None},
        {"state": 3},
        {"limit": 0},
        {"limit": 501},
        {"limit": True},
        {"limit": 2.0},
        {"limit": "5"},
        {"after": ""},
        {"after": 7},
        {"after": "x" * 257},
        {"surprise": 1},
    ],
)
async def test_list_params_are_checked(node: Node, params: dict[str, Any]) -> None:
    async with asyncio.timeout(WAIT):
        operator = await connect(node.url, load_operator(node.data_path), str(node.identity.aic))
        async with operator:
            code = await _call_refused(operator.call("atr.list", params))
            assert code is Code.INVALID_PARAMS  # [DSC-REG-010]


async def test_list_pages_stay_stable_while_states_change(node: Node) -> None:
    async with asyncio.timeout(2 * WAIT):
        owner = await connect(node.url, enrolled(node), str(node.identity.aic))
        operator = await connect(node.url, load_operator(node.data_path), str(node.identity.aic))
        async with owner, operator:
            made = sorted([await _submitted(owner, f"Helper {n}") for n in range(7)])
            first = await operator.call("atr.list", {"limit": 3})
            assert [r["id"] for r in first["registrations"]] == made[:3]
            # a step between pages moves nothing: the order is by id [DSC-REG-009]
            await operator.call("atr.act", {"id": made[4], "action": "reject", "reason": "no"})
            seen = list(first["registrations"])
            after = first["next"]
            while after is not None:
                page = await operator.call("atr.list", {"limit": 3, "after": after})
                seen += page["registrations"]
                after = page.get("next")
            assert [r["id"] for r in seen] == made
            full = await operator.call("atr.list", {"limit": 7})
            assert "next" not in full  # exactly one page: no empty page after it
            pending = await operator.call("atr.list", {"state": "PENDING", "limit": 500})
            assert [r["id"] for r in pending["registrations"]] == made[:4] + made[5:]


@pytest.mark.parametrize(
    "argv",
    [
        ["registry"],
        ["registry", "reject", "some-id"],  # a rejection says why
        ["registry", "list", "--limit", "many"],
        ["registry", "show"],
    ],
)
def test_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    assert capsys.readouterr().out == ""


async def test_missing_operator_identity_is_one_line(node: Node, tmp_path: Path) -> None:
    async with asyncio.timeout(WAIT):
        code, out, err = await aip(
            "registry", "list", "--data", str(tmp_path / "nothing-here"), "--node", node.url
        )
    assert code == 1
    assert out == ""
    assert err.startswith("aip registry list: ")
    assert len(err.strip().splitlines()) == 1
