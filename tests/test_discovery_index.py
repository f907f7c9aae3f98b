"""Filtered discovery over the real SQLite index (aip.discovery.store.Candidates and
Registry._filtered) against the plain reference evaluator [DSC-FLT-026] [DSC-ADP-007]: the
index plan only narrows, so a filtered answer is exactly the first ``limit`` matching entities
in AIC order, whatever hint drives the scan."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aip.discovery.query import read_request
from aip.discovery.service import Registry
from aip.discovery.store import Published, RegistryStore, Writer
from aip.identity.aic import make_aic
from aip.identity.keys import SigningKey
from tests.filter_reference import documents, fitted, hinted_filters, ref_matches, tiny_documents

_SALT = bytes(16)
_NODE = make_aic(version="1", registry="1", provider="1", ontology="1", entity="1", salt=_SALT)


def _answer(docs: list[dict[str, Any]], flt: dict[str, Any], limit: int) -> list[str]:
    """The AICs a registry holding ``docs`` (as entities aic0000..) answers for ``flt``."""
    with tempfile.TemporaryDirectory() as tmp:
        store = RegistryStore.open(Path(tmp) / "registry.sqlite3")

        def fill(w: Writer) -> None:
            for n, doc in enumerate(docs):
                agent = Published(f"aic{n:04}", "entity", "onto", True, 1, "t", doc)
                w.publish(agent, "2026-01-01T00:00:00Z", replaces=False)

        store.write(fill)
        registry = Registry(
            store, node_aic=_NODE, key=SigningKey(bytes(32)), salt=_SALT, operator="op",
            emit=lambda **_: None, token_for=lambda aic: "t",
        )  # fmt: skip
        try:
            answer = registry.discover(
                read_request({"type": "filtered", "filter": flt, "limit": limit})
            )
        finally:
            store.close()
    return [s["aic"] for s in answer["agents"][0]["agentSkills"]]


def _expected(docs: list[dict[str, Any]], flt: dict[str, Any], limit: int) -> list[str]:
    return [f"aic{n:04}" for n, doc in enumerate(docs) if ref_matches(flt, doc)][:limit]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(tiny_documents, documents), min_size=1, max_size=12),
    hinted_filters,
    st.integers(1, 5),
)
def test_filtered_answers_equal_the_reference(
    docs: list[dict[str, Any]], flt: dict[str, Any], limit: int
) -> None:
    assert _answer(docs, flt, limit) == _expected(docs, flt, limit)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fitted(), st.lists(tiny_documents, max_size=10), st.integers(1, 5))
def test_fitted_filters_over_many_documents(
    pair: tuple[dict[str, Any], dict[str, Any]], others: list[dict[str, Any]], limit: int
) -> None:
    doc, flt = pair
    if not flt["conditions"]:
        return
    docs = [*others, doc, *others]
    assert _answer(docs, flt, limit) == _expected(docs, flt, limit)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=120),
    st.integers(1, 12),
)
def test_trending_pages_past_entities_that_may_not_be_listed(
    entities: list[tuple[int, bool]], limit: int
) -> None:
    """[DSC-ADP-008] most recent first, then by AIC; [DSC-LIV-005] entities that are not
    alive are skipped, and the answer still fills up from further back."""
    alive = {f"aic{n:04}" for n, (_, up) in enumerate(entities) if up}
    with tempfile.TemporaryDirectory() as tmp:
        store = RegistryStore.open(Path(tmp) / "registry.sqlite3")

        def fill(w: Writer) -> None:
            for n, (minute, _) in enumerate(entities):
                at = f"2026-01-01T00:0{minute}:00Z"
                doc = {"skills": [{"id": f"s{n}"}]}
                w.publish(Published(f"aic{n:04}", "entity", "o", True, 1, at, doc), at,
                          replaces=False)  # fmt: skip

        store.write(fill)
        registry = Registry(
            store, node_aic=_NODE, key=SigningKey(bytes(32)), salt=_SALT, operator="op",
            emit=lambda **_: None, token_for=lambda aic: "t", alive=alive.__contains__,
        )  # fmt: skip
        try:
            answer = registry.discover(read_request({"type": "trending", "limit": limit}))
        finally:
            store.close()
    order = sorted(
        (f"aic{n:04}" for n in range(len(entities))),
        key=lambda a: (-entities[int(a[3:])][0], a),
    )
    expected = [a for a in order if a in alive][:limit]
    assert [s["aic"] for s in answer["agents"][0]["agentSkills"]] == expected
