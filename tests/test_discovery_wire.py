"""The registry and discovery over real loopback WebSockets (spec Part 8 §8.3, §8.4): the review
workflow, entity derivation, registry-signed documents, adp.discover, and their refusals."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from aip.client import AgentIdentity, connect
from aip.client.session import Session, open_session
from aip.codec import parse
from aip.discovery.acs import verify_acs
from aip.discovery.filters import matches, parse_filter
from aip.discovery.registry import TRANSITIONS, Action, Party, State, step
from aip.errors import AipError, Code
from aip.identity.certificates import Usage, certificate_pem
from aip.identity.keys import SigningKey
from aip.node import Node
from aip.node.operator import load_operator
from tests.helpers import acs_submission, code_of, started
from tests.test_session_wire import enrolled

pytestmark = pytest.mark.network  # real sockets on 127.0.0.1
WAIT = 10.0


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    async with started(Node(tmp_path / "node", port=0, audit_interval=60.0), WAIT) as running:
        yield running


STRANGER = "1.2.156.3088.1.1.34C2.478BDF.3GF547.0JU4"


def _agent_as(node: Node, aic: str) -> AgentIdentity:
    """An identity for ``aic`` certified by the node's CA."""
    key = SigningKey(b"\x13" * 32)
    ca = node.identity.ca
    cert = ca.issue(aic, key.verify_key, Usage.CLIENT, datetime.now(UTC), 4242)
    return AgentIdentity(
        aic, key, [certificate_pem(cert).decode(), ca.chain_pem().decode()], [ca.root_certificate]
    )


async def _refused(call: Any) -> Code:
    with pytest.raises(AipError) as info:
        await call
    return info.value.code


async def _sessions(node: Node) -> tuple[Session, Session]:
    owner = await connect(node.url, enrolled(node), str(node.identity.aic))
    operator = await connect(node.url, load_operator(node.data_path), str(node.identity.aic))
    return owner, operator


async def _approved(owner: Session, operator: Session, acs: dict[str, Any]) -> str:
    made = await owner.call("atr.register", {"acs": acs})
    await owner.call("atr.act", {"id": made["id"], "action": "submit"})
    done = await operator.call("atr.act", {"id": made["id"], "action": "approve"})
    assert done["state"] == "APPROVED"
    return str(done["aic"])


async def test_register_review_derive_and_discover(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        owner, operator = await _sessions(node)
        async with owner, operator:
            made = await owner.call("atr.register", {"acs": acs_submission()})
            assert made["state"] == "DRAFT"  # [DSC-REG-001]
            status = await owner.call("atr.status", {"id": made["id"]})
            assert status["owner"] == owner.aic
            await owner.call("atr.act", {"id": made["id"], "action": "submit"})
            approved = await operator.call("atr.act", {"id": made["id"], "action": "approve"})
            ontology = approved["aic"]
            assert ontology.split(".")[8] == "0"  # an ontology AIC [DSC-REG-004]
            entity = await owner.call("atr.derive", {"ontology": ontology})
            assert entity["aic"].rsplit(".", 2)[0] == ontology.rsplit(".", 2)[0]
            assert entity["token"]  # the entity enrolls with it (Part 6)
            looked = await owner.call("atr.lookup", {"aic": entity["aic"]})
            document = looked["document"]
            assert document["aic"] == entity["aic"]
            assert document["active"] is True
            # the registry signs what it publishes [DSC-REG-003]
            assert verify_acs(document, node.identity.key.verify_key)

            found = await owner.call("adp.discover", {"query": "plan a trip with hotels"})
            skills = found["agents"][0]["agentSkills"]
            assert [s["aic"] for s in skills] == [entity["aic"]]
            assert skills[0]["ranking"] == 1
            assert skills[0]["skillId"] == "travel.plan.trip"
            assert set(found["acsMap"]) == {entity["aic"]}  # [DSC-ADP-005]
            flt = {"conditions": [{"field": "skills.tags", "op": "anyOf", "value": ["hotel"]}]}
            filtered = await owner.call("adp.discover", {"type": "filtered", "filter": flt})
            assert [s["aic"] for s in filtered["agents"][0]["agentSkills"]] == [entity["aic"]]
            trending = await owner.call("adp.discover", {"type": "trending"})
            assert trending["agents"][0]["agentSkills"][0]["aic"] == entity["aic"]
            # the node serves its change feed [DSC-SYN-001]: the entity is in a snapshot
            snapshot = await owner.call("dsp.snapshot", {})
            ids = [change["id"] for change in snapshot["objects"]]
            assert f"urn:aip:acs:{entity['aic']}" in ids
            nothing = await owner.call("adp.discover", {"query": "quantum chromodynamics"})
            assert nothing["agents"] == [{"group": "quantum chromodynamics", "agentSkills": []}]

            # disabling the ontology withdraws its entities from discovery [DSC-ADP-009]
            await operator.call("atr.act", {"id": made["id"], "action": "disable"})
            gone = await owner.call("adp.discover", {"type": "filtered", "filter": flt})
            assert gone["agents"][0]["agentSkills"] == []
            assert await _refused(owner.call("atr.lookup", {"aic": entity["aic"]})) is (
                Code.AGENT_NOT_FOUND
            )
            assert await _refused(owner.call("atr.derive", {"ontology": ontology})) is (
                Code.ONTOLOGY_NOT_APPROVED
            )
            await operator.call("atr.act", {"id": made["id"], "action": "enable"})
            back = await owner.call("adp.discover", {"type": "filtered", "filter": flt})
            assert back["agents"][0]["agentSkills"][0]["aic"] == entity["aic"]


async def test_registry_refusals(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        owner, operator = await _sessions(node)
        async with owner, operator:
            made = await owner.call("atr.register", {"acs": acs_submission()})
            ident = made["id"]
            await owner.call("atr.act", {"id": ident, "action": "submit"})
            cases = [
                (owner.call("atr.act", {"id": ident, "action": "approve"}),
                 Code.AUTHORIZATION_FAILED),  # the operator approves [DSC-REG-002]
                (owner.call("atr.act", {"id": ident, "action": "update",
                                        "acs": acs_submission()}),
                 Code.REGISTRATION_STATE_INVALID),  # pending: cancel first
                (owner.call("atr.act", {"id": ident, "action": "fly"}), Code.INVALID_PARAMS),
                (owner.call("atr.register", {"acs": {"name": "x"}}), Code.ACS_INVALID),
                (owner.call("atr.derive", {"ontology": str(node.identity.aic)}),
                 Code.AGENT_NOT_FOUND),
                (owner.call("atr.status", {"id": "nope"}), Code.AGENT_NOT_FOUND),
            ]  # fmt: skip
            for call, code in cases:
                assert await _refused(call) is code
            foreign = acs_submission(domain="agents.example.cn")
            foreign["endPoints"][0]["url"] = "wss://elsewhere.example.com/ws"
            other = await owner.call("atr.register", {"acs": foreign})
            assert (
                await _refused(owner.call("atr.act", {"id": other["id"], "action": "submit"}))
                is Code.DOMAIN_NOT_OWNED
            )  # [DSC-REG-005]
            ontology = await _approved(owner, operator, acs_submission("Second"))
            stranger = await connect(node.url, _agent_as(node, STRANGER), str(node.identity.aic))
            async with stranger:  # not the owner, not the ontology, not the operator
                assert await _refused(stranger.call("atr.derive", {"ontology": ontology})) is (
                    Code.AUTHORIZATION_FAILED  # [DSC-REG-006]
                )
                assert await _refused(stranger.call("atr.status", {"id": ident})) is (
                    Code.AGENT_NOT_FOUND
                )
            assert await _refused(operator.call("atr.act", {"id": ident, "action": "enable"})) is (
                Code.REGISTRATION_STATE_INVALID
            )


async def test_discover_refusals(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        owner, operator = await _sessions(node)
        async with owner, operator:
            deep = {
                "groups": [
                    {
                        "groups": [
                            {
                                "groups": [
                                    {"conditions": [{"field": "name", "op": "eq", "value": "x"}]}
                                ]
                            }
                        ]
                    }
                ]
            }
            cases: list[tuple[dict[str, Any], Code]] = [
                ({"type": "explicit"}, Code.MISSING_QUERY),  # [DSC-ADP-002]
                ({"query": "x", "limit": 0}, Code.INVALID_PARAMS),  # [DSC-ADP-003]
                ({"query": "x", "limit": 101}, Code.INVALID_PARAMS),
                (
                    {"query": "x", "context": {"metadata": {"blob": "x" * 5000}}},
                    Code.INVALID_PARAMS,
                ),  # [DSC-ADP-004]
                ({"query": "x", "surprise": 1}, Code.INVALID_PARAMS),
                ({"type": "filtered", "filter": deep}, Code.FILTER_INVALID),
                (
                    {
                        "type": "filtered",
                        "filter": {"conditions": [{"field": "name", "op": "nope", "value": 1}]},
                    },
                    Code.FILTER_INVALID,
                ),
            ]
            for params, code in cases:
                assert await _refused(owner.call("adp.discover", params)) is code
        anonymous = await open_session(node.url)
        async with anonymous:
            assert await _refused(anonymous.call("adp.discover", {"query": "x"})) is (
                Code.AUTHENTICATION_REQUIRED  # [DSC-ADP-001]
            )


async def test_every_registration_step_is_audited(node: Node) -> None:
    async with asyncio.timeout(WAIT):
        owner, operator = await _sessions(node)
        async with owner, operator:
            ontology = await _approved(owner, operator, acs_submission())
            await owner.call("atr.derive", {"ontology": ontology})
        for _ in range(200):  # bounded: until the desk's appends are done
            if not node.audit._tasks:
                break
            await asyncio.sleep(0.01)
    log = node.audit.log
    actions = [
        parse(log.entry(i).entry or b"null")["body"]["action"]["name"] for i in range(log.size)
    ]
    for wanted in (
        "registration.create",
        "registration.submit",
        "registration.approve",
        "entity.derive",
    ):  # [DSC-REG-007]
        assert wanted in actions


def test_the_workflow_table_decides_every_pair() -> None:
    # [DSC-REG-002] every (state, action, party) is either in the table or refused by code
    for state in State:
        for action in Action:
            for party in Party:
                for is_operator in (False, True):
                    entry = TRANSITIONS.get((state, action))
                    if entry is None:
                        assert code_of(step, state, action, party, is_operator=is_operator) is (
                            Code.REGISTRATION_STATE_INVALID
                        )
                    elif not is_operator and (
                        entry[1] is Party.OPERATOR or party is Party.OPERATOR
                    ):
                        assert code_of(step, state, action, party, is_operator=is_operator) is (
                            Code.AUTHORIZATION_FAILED
                        )
                    else:
                        assert (
                            step(state, action, party, is_operator=is_operator).state is (entry[0])
                        )


def test_acs_submission_helper_is_json() -> None:
    assert json.loads(json.dumps(acs_submission())) == acs_submission()


async def test_filtered_answers_are_exactly_the_matches(node: Node) -> None:
    # [DSC-FLT-026] [DSC-ADP-007] the index only narrows: the answer is what exact evaluation
    # of every published document gives, in AIC order
    products = [
        ("Alpha", ("travel", "hotel"), "CN"), ("Beta", ("travel",), "DE"),
        ("Gamma", ("legal", "contract"), "CN"), ("Delta", ("hotel", "food"), "FR"),
        ("Epsilon", ("food",), "DE"),
    ]  # fmt: skip
    filters: list[dict[str, Any]] = [
        {"conditions": [{"field": "skills.tags", "op": "anyOf", "value": ["hotel", "food"]}]},
        {"logic": "and", "conditions": [
            {"field": "provider.countryCode", "op": "eq", "value": "cn"},
            {"field": "skills.tags", "op": "anyOf", "value": ["travel"]}]},
        {"logic": "or", "conditions": [
            {"field": "provider.countryCode", "op": "eq", "value": "DE"},
            {"field": "skills.tags", "op": "allOf", "value": ["legal", "contract"]}]},
        {"logic": "not", "conditions": [
            {"field": "skills.tags", "op": "anyOf", "value": ["travel"]}]},
        {"conditions": [{"field": "name", "op": "startsWith", "value": "al"}]},
    ]  # fmt: skip
    async with asyncio.timeout(WAIT):
        owner, operator = await _sessions(node)
        async with owner, operator:
            entities = []
            for name, tags, country in products:
                acs = acs_submission(name, tags=tags, country=country)
                ontology = await _approved(owner, operator, acs)
                entities.append((await owner.call("atr.derive", {"ontology": ontology}))["aic"])
            documents = {
                aic: (await owner.call("atr.lookup", {"aic": aic}))["document"] for aic in entities
            }
            for raw in filters:
                answer = await owner.call(
                    "adp.discover", {"type": "filtered", "filter": raw, "limit": 100}
                )
                got = [s["aic"] for s in answer["agents"][0]["agentSkills"]]
                flt = parse_filter(raw)
                expected = sorted(a for a, d in documents.items() if matches(flt, d))
                assert got == expected, raw
